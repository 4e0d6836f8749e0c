/* f80.c: exact software 80-bit extended-precision arithmetic for the x87.
 * IEEE 754-1985 double extended; x87 specifics from Intel SDM vol. 1 ch. 4 and 8.
 *
 * Values are unpacked to (sign, unbiased exponent e, 64-bit significand
 * with the integer bit at bit 63), so the value is sig * 2^(e - 63).
 * Intermediate results carry a second 64-bit word of fraction bits below
 * the significand, sticky-jammed, and are rounded once by f80_round_core. */
#include "models/cpu/x86/f80.h"

#include <string.h>

/* ---- 64/128-bit integer helpers ----
 * unsigned __int128 where the compiler has it; the portable fallbacks are
 * exercised by building with -DF80_NO_INT128. */

unsigned f80_clz64(uint64_t v)
{
    unsigned n = 0;
    if (v == 0)
        return 64;
    while (!(v & F80_INT_BIT)) {
        v <<= 1;
        n++;
    }
    return n;
}

void f80_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__) && !defined(F80_NO_INT128)
    unsigned __int128 p = (unsigned __int128)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
#else
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

uint64_t f80_div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__SIZEOF_INT128__) && !defined(F80_NO_INT128)
    unsigned __int128 n = ((unsigned __int128)hi << 64) | lo;
    *rem = (uint64_t)(n % d);
    return (uint64_t)(n / d);
#else
    /* Restoring division, one quotient bit per step; hi < d keeps the
     * quotient within 64 bits. */
    uint64_t q = 0;
    for (int i = 0; i < 64; i++) {
        uint64_t top = hi >> 63;
        hi = (hi << 1) | (lo >> 63);
        lo <<= 1;
        q <<= 1;
        if (top || hi >= d) {
            hi -= d;
            q |= 1;
        }
    }
    *rem = hi;
    return q;
#endif
}

/* Shifts hi:lo right by n, ORing every lost bit into bit 0 (sticky). */
static void f80_shift_right_jam(uint64_t *hi, uint64_t *lo, uint32_t n)
{
    uint64_t h = *hi, l = *lo;
    if (n == 0)
        return;
    if (n < 64) {
        *lo = (h << (64 - n)) | (l >> n) | ((l << (64 - n)) != 0);
        *hi = h >> n;
    } else if (n == 64) {
        *lo = h | (l != 0);
        *hi = 0;
    } else if (n < 128) {
        *lo = (h >> (n - 64)) | (((h << (128 - n)) | l) != 0);
        *hi = 0;
    } else {
        *lo = (h | l) != 0;
        *hi = 0;
    }
}

/* ---- classification and construction ---- */

struct f80 f80_make(bool sign, unsigned exp, uint64_t mant)
{
    struct f80 r = {mant, (uint16_t)((sign ? 0x8000 : 0) | (exp & 0x7FFF))};
    return r;
}

struct f80 f80_indefinite(void) { return f80_make(true, F80_EXP_MAX, F80_INT_BIT | F80_QUIET_BIT); }
struct f80 f80_zero(bool sign) { return f80_make(sign, 0, 0); }
struct f80 f80_inf(bool sign) { return f80_make(sign, F80_EXP_MAX, F80_INT_BIT); }

bool f80_is_zero(struct f80 a) { return f80_exp(a) == 0 && a.mant == 0; }
bool f80_is_inf(struct f80 a) { return f80_exp(a) == F80_EXP_MAX && a.mant == F80_INT_BIT; }
bool f80_is_nan(struct f80 a)
{
    return f80_exp(a) == F80_EXP_MAX && (a.mant & F80_INT_BIT) && (a.mant << 1) != 0;
}
bool f80_is_snan(struct f80 a) { return f80_is_nan(a) && !(a.mant & F80_QUIET_BIT); }
bool f80_is_unsupported(struct f80 a) { return f80_exp(a) != 0 && !(a.mant & F80_INT_BIT); }
bool f80_is_denormal(struct f80 a) { return f80_exp(a) == 0 && a.mant != 0; }

void f80_ctx_from_cw(struct f80_ctx *c, uint16_t cw)
{
    static const unsigned prec_of_pc[4] = {24, 64, 53, 64}; /* PC=01 is reserved */
    c->rc = (cw >> 10) & 3;
    c->prec = prec_of_pc[(cw >> 8) & 3];
    c->masks = cw & 0x3F;
    c->flags = 0;
}

bool f80_ctx_blocks_result(const struct f80_ctx *c)
{
    return (c->flags & ~c->masks & (F80_IE | F80_DE | F80_ZE)) != 0;
}

struct f80 f80_from_int(int64_t v)
{
    if (v == 0)
        return f80_zero(false);
    bool sign = v < 0;
    uint64_t mag = sign ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    unsigned sh = f80_clz64(mag);
    return f80_make(sign, F80_BIAS + 63 - sh, mag << sh);
}

/* Finite nonzero supported value to (e, normalized sig). */
static void f80_unpack(struct f80 a, int32_t *e, uint64_t *sig)
{
    uint64_t m = a.mant;
    int32_t x = f80_exp(a) == 0 ? 1 - F80_BIAS : (int32_t)f80_exp(a) - F80_BIAS;
    unsigned sh = f80_clz64(m);
    *sig = m << sh;
    *e = x - (int32_t)sh;
}

/* ---- rounding ---- */

struct f80_format {
    unsigned prec;   /* significant bits kept */
    int32_t emin;    /* smallest normal unbiased exponent */
    int32_t emax;    /* largest unbiased exponent */
    bool wrap;       /* register destination: unmasked OE/UE wrap the exponent */
};

struct f80_rounded {
    bool sign, inf;
    int32_t e;       /* unbiased exponent; emin for denormals and zero */
    uint64_t sig;    /* bit 63 clear for denormals */
};

static bool f80_round_up(unsigned rc, bool sign, bool odd, bool guard, bool sticky)
{
    switch (rc) {
    case F80_RC_NEAREST: return guard && (sticky || odd);
    case F80_RC_DOWN: return sign && (guard || sticky);
    case F80_RC_UP: return !sign && (guard || sticky);
    default: return false;
    }
}

/* True when rounding the normalized sig0.sig1 to prec bits carries out
 * into the next power of two. */
static bool f80_rounds_to_next_binade(unsigned rc, bool sign, unsigned prec, uint64_t sig0, uint64_t sig1)
{
    uint64_t mask = prec >= 64 ? 0 : ~0ull >> prec;
    if ((sig0 | mask) != ~0ull)
        return false;
    bool guard, sticky;
    if (prec >= 64) {
        guard = sig1 >> 63;
        sticky = (sig1 << 1) != 0;
    } else {
        guard = (sig0 >> (63 - prec)) & 1;
        sticky = (sig0 & (mask >> 1)) != 0 || sig1 != 0;
    }
    return f80_round_up(rc, sign, true, guard, sticky);
}

static struct f80_rounded f80_round_core(struct f80_ctx *c, bool sign, int32_t e, uint64_t sig0,
                                         uint64_t sig1, const struct f80_format *f)
{
    struct f80_rounded r = {sign, false, f->emin, 0};
    if (sig0 == 0 && sig1 == 0)
        return r;
    if (sig0 == 0) {
        sig0 = sig1;
        sig1 = 0;
        e -= 64;
    }
    unsigned sh = f80_clz64(sig0);
    if (sh) {
        sig0 = (sig0 << sh) | (sig1 >> (64 - sh));
        sig1 <<= sh;
        e -= (int32_t)sh;
    }

    bool tiny = false;
    if (e == f->emin - 1 && f80_rounds_to_next_binade(c->rc, sign, f->prec, sig0, sig1)) {
        /* Tininess is detected after rounding (as the x87 does): a value
         * that rounds up to the smallest normal is not tiny. */
    } else if (e < f->emin) {
        if (f->wrap && !(c->masks & F80_UE) && e + F80_WRAP_BIAS < f->emin) {
            /* So tiny that even the biased exponent does not fit (only
             * FSCALE gets here): the hardware delivers a signed zero. */
            c->flags |= F80_UE | F80_PE;
            return r;
        }
        if (f->wrap && !(c->masks & F80_UE)) {
            /* SDM 4.9.1.5: unmasked underflow delivers the result with the
             * exponent biased up by 24576. */
            e += F80_WRAP_BIAS;
            c->flags |= F80_UE;
        } else {
            /* Masked (or a memory destination): denormalize. */
            tiny = true;
            f80_shift_right_jam(&sig0, &sig1, (uint32_t)(f->emin - e));
            e = f->emin;
        }
    }

    uint64_t mask = f->prec >= 64 ? 0 : ~0ull >> f->prec;
    uint64_t lsb = mask + 1;
    bool guard, sticky;
    if (f->prec >= 64) {
        guard = sig1 >> 63;
        sticky = (sig1 << 1) != 0;
    } else {
        guard = (sig0 >> (63 - f->prec)) & 1;
        sticky = (sig0 & (mask >> 1)) != 0 || sig1 != 0;
    }
    bool inexact = guard || sticky;
    bool inc = f80_round_up(c->rc, sign, (sig0 & lsb) != 0, guard, sticky);
    sig0 &= ~mask;
    if (inc) {
        sig0 += lsb;
        if (sig0 == 0) {
            sig0 = F80_INT_BIT;
            e++;
        }
    }
    if (inexact)
        c->flags |= F80_PE;
    if (inc)
        c->flags |= F80_C1;
    if (tiny && (inexact || !(c->masks & F80_UE)))
        c->flags |= F80_UE; /* masked: only if inexact */

    if (e > f->emax) {
        if (f->wrap && !(c->masks & F80_OE) && e - F80_WRAP_BIAS > f->emax) {
            /* Beyond even the biased range (FSCALE): infinity, as the
             * hardware delivers regardless of RC. */
            c->flags |= F80_OE | F80_PE | F80_C1;
            r.inf = true;
            return r;
        }
        if (!(c->masks & F80_OE)) {
            c->flags |= F80_OE;
            e -= F80_WRAP_BIAS; /* meaningful only for register destinations */
        } else {
            bool to_inf = c->rc == F80_RC_NEAREST || (c->rc == F80_RC_UP && !sign) ||
                          (c->rc == F80_RC_DOWN && sign);
            c->flags = (uint16_t)((c->flags & ~F80_C1) | F80_OE | F80_PE | (to_inf ? F80_C1 : 0));
            if (to_inf) {
                r.inf = true;
                return r;
            }
            e = f->emax;
            sig0 = ~mask;
        }
    }
    r.e = e;
    r.sig = sig0;
    return r;
}

static struct f80_format f80_ext_format(const struct f80_ctx *c)
{
    struct f80_format f = {c->prec, 1 - F80_BIAS, F80_BIAS, true};
    return f;
}

static struct f80 f80_pack_rounded(struct f80_rounded r)
{
    if (r.inf)
        return f80_inf(r.sign);
    if (r.sig == 0)
        return f80_zero(r.sign);
    if (!(r.sig & F80_INT_BIT))
        return f80_make(r.sign, 0, r.sig);
    return f80_make(r.sign, (unsigned)(r.e + F80_BIAS), r.sig);
}

struct f80 f80_round_pack(struct f80_ctx *c, bool sign, int32_t exp, uint64_t sig0, uint64_t sig1)
{
    struct f80_format f = f80_ext_format(c);
    return f80_pack_rounded(f80_round_core(c, sign, exp - F80_BIAS, sig0, sig1, &f));
}

/* Same, with an unbiased exponent: value = sig0.sig1 * 2^(e - 63). */
static struct f80 f80_round_pack_e(struct f80_ctx *c, bool sign, int32_t e, uint64_t sig0, uint64_t sig1)
{
    struct f80_format f = f80_ext_format(c);
    return f80_pack_rounded(f80_round_core(c, sign, e, sig0, sig1, &f));
}

/* ---- operand checks and NaN propagation (SDM table 4-7) ---- */

static struct f80 f80_quiet(struct f80 a)
{
    a.mant |= F80_QUIET_BIT;
    return a;
}

bool f80_check_operand(struct f80_ctx *c, struct f80 a, struct f80 *nan_result)
{
    if (f80_is_unsupported(a)) {
        c->flags |= F80_IE;
        *nan_result = f80_indefinite();
        return true;
    }
    if (f80_is_nan(a)) {
        if (f80_is_snan(a))
            c->flags |= F80_IE;
        *nan_result = f80_quiet(a);
        return true;
    }
    if (f80_is_denormal(a))
        c->flags |= F80_DE;
    return false;
}

bool f80_check_operands(struct f80_ctx *c, struct f80 a, struct f80 b, struct f80 *nan_result)
{
    if (f80_is_unsupported(a) || f80_is_unsupported(b)) {
        c->flags |= F80_IE;
        *nan_result = f80_indefinite();
        return true;
    }
    bool an = f80_is_nan(a), bn = f80_is_nan(b);
    if (an || bn) {
        bool as = f80_is_snan(a), bs = f80_is_snan(b);
        if (as || bs)
            c->flags |= F80_IE;
        struct f80 pick;
        if (an && bn && as == bs) {
            /* Both quiet or both signaling: the larger significand wins. */
            if (a.mant != b.mant)
                pick = a.mant > b.mant ? a : b;
            else
                pick = a.sign_exp < b.sign_exp ? a : b;
        } else if (an && bn) {
            pick = as ? b : a; /* a QNaN source wins over an SNaN */
        } else {
            pick = an ? a : b;
        }
        *nan_result = f80_quiet(pick);
        return true;
    }
    if (f80_is_denormal(a) || f80_is_denormal(b))
        c->flags |= F80_DE;
    return false;
}

/* ---- arithmetic ---- */

/* Invalid operation on supported operands (SDM 4.9.1.2): it outranks the
 * denormal-operand exception. */
struct f80 f80_invalid(struct f80_ctx *c)
{
    c->flags = (uint16_t)((c->flags & ~F80_DE) | F80_IE);
    return f80_indefinite();
}

static struct f80 f80_add_signs(struct f80_ctx *c, struct f80 a, bool sa, struct f80 b, bool sb)
{
    if (f80_is_inf(a) && f80_is_inf(b)) {
        if (sa != sb) {
            return f80_invalid(c);
        }
        return f80_inf(sa);
    }
    if (f80_is_inf(a))
        return f80_inf(sa);
    if (f80_is_inf(b))
        return f80_inf(sb);
    bool az = f80_is_zero(a), bz = f80_is_zero(b);
    if (az && bz)
        return f80_zero(sa == sb ? sa : c->rc == F80_RC_DOWN);
    int32_t ea, eb;
    uint64_t ma, mb;
    if (az) {
        f80_unpack(b, &eb, &mb);
        return f80_round_pack_e(c, sb, eb, mb, 0);
    }
    if (bz) {
        f80_unpack(a, &ea, &ma);
        return f80_round_pack_e(c, sa, ea, ma, 0);
    }
    f80_unpack(a, &ea, &ma);
    f80_unpack(b, &eb, &mb);
    if (eb > ea || (eb == ea && mb > ma)) {
        int32_t te = ea; ea = eb; eb = te;
        uint64_t tm = ma; ma = mb; mb = tm;
        bool ts = sa; sa = sb; sb = ts;
    }
    /* |a| >= |b| now. */
    uint64_t a0 = ma, a1 = 0, b0 = mb, b1 = 0;
    f80_shift_right_jam(&b0, &b1, (uint32_t)(ea - eb));
    if (sa == sb) {
        uint64_t lo = a1 + b1;
        uint64_t hi = a0 + b0;
        bool carry = hi < a0;
        if (lo < a1) {
            hi++;
            carry |= hi == 0;
        }
        if (carry) {
            f80_shift_right_jam(&hi, &lo, 1);
            hi |= F80_INT_BIT;
            ea++;
        }
        return f80_round_pack_e(c, sa, ea, hi, lo);
    }
    uint64_t lo = a1 - b1;
    uint64_t hi = a0 - b0 - (a1 < b1);
    if (hi == 0 && lo == 0)
        return f80_zero(c->rc == F80_RC_DOWN);
    return f80_round_pack_e(c, sa, ea, hi, lo);
}

struct f80 f80_add(struct f80_ctx *c, struct f80 a, struct f80 b)
{
    struct f80 n;
    if (f80_check_operands(c, a, b, &n))
        return n;
    if (f80_ctx_blocks_result(c))
        return a;
    return f80_add_signs(c, a, f80_sign(a), b, f80_sign(b));
}

struct f80 f80_sub(struct f80_ctx *c, struct f80 a, struct f80 b)
{
    struct f80 n;
    if (f80_check_operands(c, a, b, &n))
        return n;
    if (f80_ctx_blocks_result(c))
        return a;
    return f80_add_signs(c, a, f80_sign(a), b, !f80_sign(b));
}

struct f80 f80_mul(struct f80_ctx *c, struct f80 a, struct f80 b)
{
    struct f80 n;
    if (f80_check_operands(c, a, b, &n))
        return n;
    if (f80_ctx_blocks_result(c))
        return a;
    bool sign = f80_sign(a) ^ f80_sign(b);
    bool ai = f80_is_inf(a), bi = f80_is_inf(b), az = f80_is_zero(a), bz = f80_is_zero(b);
    if ((ai && bz) || (bi && az)) {
        return f80_invalid(c);
    }
    if (ai || bi)
        return f80_inf(sign);
    if (az || bz)
        return f80_zero(sign);
    int32_t ea, eb;
    uint64_t ma, mb, hi, lo;
    f80_unpack(a, &ea, &ma);
    f80_unpack(b, &eb, &mb);
    f80_mul64(ma, mb, &hi, &lo);
    return f80_round_pack_e(c, sign, ea + eb + 1, hi, lo);
}

struct f80 f80_div(struct f80_ctx *c, struct f80 a, struct f80 b)
{
    struct f80 n;
    if (f80_check_operands(c, a, b, &n))
        return n;
    bool sign = f80_sign(a) ^ f80_sign(b);
    bool ai = f80_is_inf(a), bi = f80_is_inf(b), az = f80_is_zero(a), bz = f80_is_zero(b);
    if ((ai && bi) || (az && bz)) {
        return f80_invalid(c);
    }
    if (bz && !ai) {
        c->flags |= F80_ZE;
        c->flags &= (uint16_t)~F80_DE; /* divide-by-zero outranks denormal */
    }
    if (f80_ctx_blocks_result(c))
        return a;
    if (ai || bz)
        return f80_inf(sign);
    if (bi || az)
        return f80_zero(sign);
    int32_t ea, eb;
    uint64_t ma, mb;
    f80_unpack(a, &ea, &ma);
    f80_unpack(b, &eb, &mb);
    bool qhi = ma >= mb;
    uint64_t r = qhi ? ma - mb : ma;
    uint64_t r1, r2;
    uint64_t q1 = f80_div128(r, 0, mb, &r1);
    uint64_t q2 = f80_div128(r1, 0, mb, &r2);
    uint64_t sig0, sig1;
    int32_t e;
    if (qhi) {
        sig0 = F80_INT_BIT | (q1 >> 1);
        sig1 = (q1 << 63) | (q2 >> 1) | (q2 & 1) | (r2 != 0);
        e = ea - eb;
    } else {
        sig0 = q1;
        sig1 = q2 | (r2 != 0);
        e = ea - eb - 1;
    }
    return f80_round_pack_e(c, sign, e, sig0, sig1);
}

/* Integer square root of the 128-bit hi:lo: returns floor(sqrt) and the
 * remainder (at most 65 bits) in rem_hi:rem_lo. */
static uint64_t f80_isqrt128(uint64_t hi, uint64_t lo, uint64_t *rem_hi, uint64_t *rem_lo)
{
    uint64_t root = 0, rh = 0, rl = 0;
    for (int i = 0; i < 64; i++) {
        /* rem = rem * 4 + next two bits of the radicand */
        rh = (rh << 2) | (rl >> 62);
        rl = (rl << 2) | (hi >> 62);
        hi = (hi << 2) | (lo >> 62);
        lo <<= 2;
        /* trial = root * 4 + 1 (up to 66 bits) */
        uint64_t th = root >> 62, tl = (root << 2) | 1;
        root <<= 1;
        if (rh > th || (rh == th && rl >= tl)) {
            rh = rh - th - (rl < tl);
            rl -= tl;
            root |= 1;
        }
    }
    *rem_hi = rh;
    *rem_lo = rl;
    return root;
}

struct f80 f80_sqrt(struct f80_ctx *c, struct f80 a)
{
    struct f80 n;
    if (f80_check_operand(c, a, &n))
        return n;
    if (f80_is_zero(a))
        return a;
    if (f80_sign(a)) {
        return f80_invalid(c);
    }
    if (f80_ctx_blocks_result(c))
        return a;
    if (f80_is_inf(a))
        return a;
    int32_t e;
    uint64_t m;
    f80_unpack(a, &e, &m);
    bool odd = (e & 1) != 0;
    /* radicand N = m << 63 (e even) or m << 64 (e odd); root exponent e/2 or (e-1)/2 */
    uint64_t hi = odd ? m : m >> 1, lo = odd ? 0 : m << 63;
    uint64_t rh, rl;
    uint64_t root = f80_isqrt128(hi, lo, &rh, &rl);
    int32_t re = odd ? (e - 1) / 2 : e / 2;
    /* sqrt(N) = root + f: f > 1/2 exactly when rem > root; f is never 1/2. */
    bool more_than_half = rh != 0 || rl > root;
    bool nonzero = rh != 0 || rl != 0;
    uint64_t sig1 = (more_than_half ? F80_INT_BIT : 0) | (nonzero ? 1 : 0);
    return f80_round_pack_e(c, false, re, root, sig1);
}

struct f80 f80_rem(struct f80_ctx *c, struct f80 a, struct f80 b, bool ieee, unsigned *quot, bool *partial)
{
    struct f80 n;
    *quot = 0;
    *partial = false;
    if (f80_check_operands(c, a, b, &n))
        return n;
    if (f80_is_inf(a) || f80_is_zero(b)) {
        return f80_invalid(c);
    }
    if (f80_ctx_blocks_result(c))
        return a;
    struct f80_ctx exact = *c;
    exact.prec = 64;
    if (f80_is_inf(b) || f80_is_zero(a)) {
        if (f80_is_denormal(a)) {
            int32_t e0;
            uint64_t m0;
            f80_unpack(a, &e0, &m0);
            a = f80_round_pack_e(&exact, f80_sign(a), e0, m0, 0);
            c->flags |= exact.flags;
        }
        return a;
    }
    int32_t ea, eb;
    uint64_t ma, mb;
    f80_unpack(a, &ea, &ma);
    f80_unpack(b, &eb, &mb);
    bool sign = f80_sign(a);
    int32_t d = ea - eb;
    if (d >= 64) {
        /* SDM FPREM: partial remainder, reducing the exponent difference
         * by an implementation-dependent 32..63 per step. */
        int32_t shift = d - (32 + (d - 64) % 32);
        eb += shift;
        d -= shift;
        *partial = true;
    }
    uint64_t r;
    uint64_t q = 0;
    int32_t re;
    if (d < 0) {
        r = ma;
        re = ea;
        if (ieee && !*partial && d == -1 && ma > mb) {
            /* |a| > |b|/2: round the quotient to 1 */
            r = mb - (ma - mb); /* (2*mb - ma) in units of a */
            sign = !sign;
            q = 1;
        }
    } else {
        r = ma;
        if (r >= mb) {
            r -= mb;
            q = 1;
        }
        for (int32_t i = 0; i < d; i++) {
            uint64_t top = r >> 63;
            r <<= 1;
            q <<= 1;
            if (top || r >= mb) {
                r -= mb;
                q |= 1;
            }
        }
        re = eb;
        if (ieee && !*partial) {
            uint64_t h = mb - r;
            if (r > h || (r == h && (q & 1))) {
                r = h;
                sign = !sign;
                q++;
            }
        }
    }
    *quot = (unsigned)(q & 7);
    if (r == 0)
        return f80_zero(f80_sign(a));
    struct f80 res = f80_round_pack_e(&exact, sign, re, r, 0);
    c->flags |= exact.flags & ~(F80_PE | F80_C1);
    return res;
}

struct f80 f80_round_to_int(struct f80_ctx *c, struct f80 a)
{
    struct f80 n;
    if (f80_check_operand(c, a, &n))
        return n;
    if (f80_ctx_blocks_result(c))
        return a;
    if (f80_is_inf(a) || f80_is_zero(a))
        return a;
    bool sign = f80_sign(a);
    int32_t e;
    uint64_t m;
    f80_unpack(a, &e, &m);
    if (e >= 63)
        return f80_make(sign, (unsigned)(e + F80_BIAS), m);
    bool guard, sticky, odd;
    uint64_t ip; /* integer part */
    if (e < 0) {
        ip = 0;
        odd = false;
        guard = e == -1;
        sticky = e == -1 ? (m << 1) != 0 : true;
    } else {
        unsigned fb = (unsigned)(63 - e);
        ip = m >> fb;
        odd = ip & 1;
        guard = (m >> (fb - 1)) & 1;
        sticky = (m & ((1ull << (fb - 1)) - 1)) != 0;
    }
    if (!guard && !sticky)
        return a; /* only values >= 1 get here: already integers */
    c->flags |= F80_PE;
    if (f80_round_up(c->rc, sign, odd, guard, sticky)) {
        ip++;
        c->flags |= F80_C1;
    }
    if (ip == 0)
        return f80_zero(sign);
    unsigned sh = f80_clz64(ip);
    return f80_make(sign, (unsigned)(F80_BIAS + 63 - (int32_t)sh), ip << sh);
}

struct f80 f80_scale(struct f80_ctx *c, struct f80 a, struct f80 b)
{
    struct f80 n;
    if (f80_check_operands(c, a, b, &n))
        return n;
    if (f80_is_inf(b)) {
        if (!f80_sign(b) ? f80_is_zero(a) : f80_is_inf(a)) {
            return f80_invalid(c);
        }
    }
    if (f80_ctx_blocks_result(c))
        return a;
    if (f80_is_inf(b)) {
        if (f80_is_inf(a) || f80_is_zero(a))
            return a;
        return f80_sign(b) ? f80_zero(f80_sign(a)) : f80_inf(f80_sign(a));
    }
    if (f80_is_inf(a) || f80_is_zero(a))
        return a;
    int32_t scale = 0;
    if (!f80_is_zero(b)) {
        int32_t eb;
        uint64_t mb;
        f80_unpack(b, &eb, &mb);
        if (eb >= 20)
            scale = 1 << 20; /* far beyond any representable result */
        else if (eb >= 0)
            scale = (int32_t)(mb >> (63 - eb));
        if (f80_sign(b))
            scale = -scale;
    }
    int32_t ea;
    uint64_t ma;
    f80_unpack(a, &ea, &ma);
    struct f80_ctx full = *c;
    full.prec = 64;
    struct f80 r = f80_round_pack_e(&full, f80_sign(a), ea + scale, ma, 0);
    c->flags |= full.flags;
    return r;
}

/* ---- comparison ---- */

int f80_compare(struct f80_ctx *c, struct f80 a, struct f80 b, bool quiet)
{
    if (f80_is_unsupported(a) || f80_is_unsupported(b)) {
        c->flags |= F80_IE;
        return F80_UNORDERED;
    }
    if (f80_is_nan(a) || f80_is_nan(b)) {
        if (!quiet || f80_is_snan(a) || f80_is_snan(b))
            c->flags |= F80_IE;
        return F80_UNORDERED;
    }
    if (f80_is_denormal(a) || f80_is_denormal(b))
        c->flags |= F80_DE;
    bool az = f80_is_zero(a), bz = f80_is_zero(b);
    if (az && bz)
        return F80_EQ;
    bool sa = f80_sign(a), sb = f80_sign(b);
    if (az)
        return sb ? F80_GT : F80_LT;
    if (bz)
        return sa ? F80_LT : F80_GT;
    if (sa != sb)
        return sa ? F80_LT : F80_GT;
    int mag; /* sign of |a| - |b| */
    bool ai = f80_is_inf(a), bi = f80_is_inf(b);
    if (ai || bi) {
        mag = ai && bi ? 0 : ai ? 1 : -1;
    } else {
        int32_t ea, eb;
        uint64_t ma, mb;
        f80_unpack(a, &ea, &ma);
        f80_unpack(b, &eb, &mb);
        mag = ea != eb ? (ea > eb ? 1 : -1) : ma != mb ? (ma > mb ? 1 : -1) : 0;
    }
    if (mag == 0)
        return F80_EQ;
    if (sa)
        mag = -mag;
    return mag > 0 ? F80_GT : F80_LT;
}

/* ---- conversions ---- */

static struct f80 f80_from_ieee(struct f80_ctx *c, uint64_t v, unsigned frac_bits, unsigned exp_bits,
                                bool quiet_snan)
{
    bool sign = (v >> (frac_bits + exp_bits)) & 1;
    unsigned emax_field = (1u << exp_bits) - 1;
    unsigned ef = (unsigned)(v >> frac_bits) & emax_field;
    uint64_t frac = v & ((1ull << frac_bits) - 1);
    int32_t bias = (int32_t)(emax_field >> 1);
    if (ef == emax_field) {
        if (frac == 0)
            return f80_inf(sign);
        struct f80 r = f80_make(sign, F80_EXP_MAX, F80_INT_BIT | (frac << (63 - frac_bits)));
        if (quiet_snan && !(r.mant & F80_QUIET_BIT)) {
            c->flags |= F80_IE;
            r.mant |= F80_QUIET_BIT;
        }
        return r;
    }
    if (ef == 0) {
        if (frac == 0)
            return f80_zero(sign);
        c->flags |= F80_DE;
        unsigned sh = f80_clz64(frac);
        int32_t e = (1 - bias) - (int32_t)frac_bits + (63 - (int32_t)sh);
        return f80_make(sign, (unsigned)(e + F80_BIAS), frac << sh);
    }
    return f80_make(sign, (unsigned)((int32_t)ef - bias + F80_BIAS),
                    F80_INT_BIT | (frac << (63 - frac_bits)));
}

struct f80 f80_from_f32(struct f80_ctx *c, uint32_t v) { return f80_from_ieee(c, v, 23, 8, true); }
struct f80 f80_from_f64(struct f80_ctx *c, uint64_t v) { return f80_from_ieee(c, v, 52, 11, true); }

struct f80 f80_from_f32_operand(uint32_t v, bool *denormal)
{
    struct f80_ctx c = {0, 64, 0x3F, 0};
    struct f80 r = f80_from_ieee(&c, v, 23, 8, false);
    *denormal = (c.flags & F80_DE) != 0;
    return r;
}

struct f80 f80_from_f64_operand(uint64_t v, bool *denormal)
{
    struct f80_ctx c = {0, 64, 0x3F, 0};
    struct f80 r = f80_from_ieee(&c, v, 52, 11, false);
    *denormal = (c.flags & F80_DE) != 0;
    return r;
}

static uint64_t f80_to_ieee(struct f80_ctx *c, struct f80 a, unsigned frac_bits, unsigned exp_bits)
{
    uint64_t sign_bit = (uint64_t)f80_sign(a) << (frac_bits + exp_bits);
    uint64_t emax_field = (1ull << exp_bits) - 1;
    uint64_t inf = emax_field << frac_bits;
    uint64_t quiet = 1ull << (frac_bits - 1);
    if (f80_is_unsupported(a)) {
        c->flags |= F80_IE;
        return (1ull << (frac_bits + exp_bits)) | inf | quiet;
    }
    if (f80_is_nan(a)) {
        if (f80_is_snan(a))
            c->flags |= F80_IE;
        return sign_bit | inf | quiet | ((a.mant << 1) >> (64 - frac_bits));
    }
    if (f80_is_inf(a))
        return sign_bit | inf;
    if (f80_is_zero(a))
        return sign_bit;
    int32_t e;
    uint64_t m;
    f80_unpack(a, &e, &m);
    int32_t bias = (int32_t)(emax_field >> 1);
    struct f80_format f = {frac_bits + 1, 1 - bias, bias, false};
    struct f80_rounded r = f80_round_core(c, f80_sign(a), e, m, 0, &f);
    if (r.inf)
        return sign_bit | inf;
    uint64_t frac = (r.sig >> (63 - frac_bits)) & (quiet * 2 - 1);
    if (!(r.sig & F80_INT_BIT))
        return sign_bit | frac;
    return sign_bit | ((uint64_t)(r.e + bias) << frac_bits) | frac;
}

uint32_t f80_to_f32(struct f80_ctx *c, struct f80 a) { return (uint32_t)f80_to_ieee(c, a, 23, 8); }
uint64_t f80_to_f64(struct f80_ctx *c, struct f80 a) { return f80_to_ieee(c, a, 52, 11); }

int64_t f80_to_int(struct f80_ctx *c, struct f80 a, unsigned bits, bool truncate)
{
    int64_t indefinite = (int64_t)((uint64_t)-1 << (bits - 1));
    if (f80_is_unsupported(a) || f80_is_nan(a) || f80_is_inf(a)) {
        c->flags |= F80_IE;
        return indefinite;
    }
    if (f80_is_zero(a))
        return 0;
    bool sign = f80_sign(a);
    int32_t e;
    uint64_t m;
    f80_unpack(a, &e, &m);
    if (e >= 64) {
        c->flags |= F80_IE;
        return indefinite;
    }
    uint64_t ip;
    bool guard, sticky;
    if (e < 0) {
        ip = 0;
        guard = e == -1;
        sticky = e == -1 ? (m << 1) != 0 : true;
    } else if (e == 63) {
        ip = m;
        guard = sticky = false;
    } else {
        unsigned fb = (unsigned)(63 - e);
        ip = m >> fb;
        guard = (m >> (fb - 1)) & 1;
        sticky = (m & ((1ull << (fb - 1)) - 1)) != 0;
    }
    bool inc = truncate ? false : f80_round_up(c->rc, sign, ip & 1, guard, sticky);
    bool carry = false;
    if (inc) {
        ip++;
        carry = ip == 0;
    }
    uint64_t limit = (1ull << (bits - 1)) - (sign ? 0 : 1);
    if (carry || ip > limit) {
        c->flags |= F80_IE;
        return indefinite;
    }
    if (guard || sticky)
        c->flags |= F80_PE;
    if (inc)
        c->flags |= F80_C1;
    return sign ? (int64_t)(0 - ip) : (int64_t)ip;
}
