/* f80_trans.c: x87 transcendental instructions and constants on 80-bit values.
 * Intel SDM vol. 2 (F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS, FPTAN, FLDPI...).
 *
 * Method: every result is computed in a 128-bit-significand software float
 * (struct f80w, truncating arithmetic, about 120 good bits) and rounded once
 * to extended precision with the rounding control, so results are within
 * 1 ulp and almost always correctly rounded.
 *   2^x - 1:      expm1(x ln2) by its Taylor series (|x ln2| <= 0.7).
 *   log2:         x = m 2^e with m in [sqrt2/2, sqrt2); ln m = 2 atanh(s),
 *                 s = (m-1)/(m+1); log2(1+x) uses s = x/(2+x) directly.
 *   atan:         reduced to |w| <= tan(pi/8) with atan z = pi/4 + atan w,
 *                 w = (z-1)/(z+1), then the odd Taylor series.
 *   sin/cos/tan:  argument reduced modulo pi/2 exactly (integer remainder)
 *                 against the 66-bit pi of the x87 (SDM vol. 1 8.3.10), so
 *                 large arguments give the hardware's values; Taylor series
 *                 on |r| <= pi/4. */
#include "models/cpu/x86/f80.h"

/* value = (-1)^neg * (hi:lo) * 2^(exp - 127); hi bit 63 set unless zero. */
struct f80w {
    bool neg;
    int32_t exp;
    uint64_t hi, lo;
};

static const struct f80w f80w_pi = {false, 1, 0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull};
static const struct f80w f80w_pi_2 = {false, 0, 0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull};
static const struct f80w f80w_pi_4 = {false, -1, 0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull};
static const struct f80w f80w_ln2 = {false, -1, 0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull};
static const struct f80w f80w_log2e = {false, 0, 0xB8AA3B295C17F0BBull, 0xBE87FED0691D3E88ull};
static const struct f80w f80w_one = {false, 0, F80_INT_BIT, 0};

/* pi/2 as used by the x87 argument reduction: 66 significant bits. */
static const uint64_t f80w_pio2_hw_hi = 0xC90FDAA22168C234ull, f80w_pio2_hw_lo = 0xC000000000000000ull;

static bool f80w_is_zero(struct f80w a) { return a.hi == 0 && a.lo == 0; }

static struct f80w f80w_normalize(struct f80w a)
{
    if (a.hi == 0) {
        if (a.lo == 0)
            return a;
        a.hi = a.lo;
        a.lo = 0;
        a.exp -= 64;
    }
    unsigned sh = f80_clz64(a.hi);
    if (sh) {
        a.hi = (a.hi << sh) | (a.lo >> (64 - sh));
        a.lo <<= sh;
        a.exp -= (int32_t)sh;
    }
    return a;
}

static struct f80w f80w_from_f80(struct f80 v)
{
    struct f80w w = {f80_sign(v), 0, v.mant, 0};
    w.exp = f80_exp(v) == 0 ? 1 - F80_BIAS : (int32_t)f80_exp(v) - F80_BIAS;
    return f80w_normalize(w);
}

static struct f80w f80w_from_int(int64_t n)
{
    struct f80w w = {n < 0, 63, n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n, 0};
    return f80w_normalize(w);
}

static struct f80w f80w_neg(struct f80w a)
{
    a.neg = !a.neg;
    return a;
}

static struct f80w f80w_mul(struct f80w a, struct f80w b)
{
    struct f80w r = {a.neg != b.neg, 0, 0, 0};
    if (f80w_is_zero(a) || f80w_is_zero(b))
        return r;
    uint64_t h1, h0, m1, m0, n1, n0, l1, l0;
    f80_mul64(a.hi, b.hi, &h1, &h0);
    f80_mul64(a.hi, b.lo, &m1, &m0);
    f80_mul64(a.lo, b.hi, &n1, &n0);
    f80_mul64(a.lo, b.lo, &l1, &l0);
    (void)l0;
    uint64_t w1 = l1 + m0;
    uint64_t c1 = w1 < l1;
    w1 += n0;
    c1 += w1 < n0;
    uint64_t w2 = h0 + m1;
    uint64_t c2 = w2 < h0;
    w2 += n1;
    c2 += w2 < n1;
    w2 += c1;
    c2 += w2 < c1;
    uint64_t w3 = h1 + c2;
    if (w3 & F80_INT_BIT) {
        r.hi = w3;
        r.lo = w2;
        r.exp = a.exp + b.exp + 1;
    } else {
        r.hi = (w3 << 1) | (w2 >> 63);
        r.lo = (w2 << 1) | (w1 >> 63);
        r.exp = a.exp + b.exp;
    }
    return r;
}

/* |a| >= |b| compare of magnitudes. */
static bool f80w_mag_ge(struct f80w a, struct f80w b)
{
    if (f80w_is_zero(b))
        return true;
    if (f80w_is_zero(a))
        return false;
    if (a.exp != b.exp)
        return a.exp > b.exp;
    return a.hi != b.hi ? a.hi > b.hi : a.lo >= b.lo;
}

static struct f80w f80w_add(struct f80w a, struct f80w b)
{
    if (f80w_is_zero(b))
        return a;
    if (f80w_is_zero(a))
        return b;
    if (!f80w_mag_ge(a, b)) {
        struct f80w t = a;
        a = b;
        b = t;
    }
    uint32_t d = (uint32_t)(a.exp - b.exp);
    uint64_t bh = b.hi, bl = b.lo;
    if (d >= 128) {
        bh = bl = 0;
    } else if (d >= 64) {
        bl = bh >> (d - 64);
        bh = 0;
    } else if (d > 0) {
        bl = (bl >> d) | (bh << (64 - d));
        bh >>= d;
    }
    struct f80w r = {a.neg, a.exp, 0, 0};
    if (a.neg == b.neg) {
        uint64_t lo = a.lo + bl;
        uint64_t hi = a.hi + bh + (lo < bl);
        bool carry = hi < a.hi || (hi == a.hi && lo < bl);
        if (carry) {
            lo = (lo >> 1) | (hi << 63);
            hi = (hi >> 1) | F80_INT_BIT;
            r.exp++;
        }
        r.hi = hi;
        r.lo = lo;
        return r;
    }
    r.lo = a.lo - bl;
    r.hi = a.hi - bh - (a.lo < bl);
    return f80w_normalize(r);
}

static struct f80w f80w_sub(struct f80w a, struct f80w b) { return f80w_add(a, f80w_neg(b)); }

/* Long division of the significands, one quotient bit per step. */
static struct f80w f80w_div(struct f80w a, struct f80w b)
{
    struct f80w q = {a.neg != b.neg, a.exp - b.exp, 0, 0};
    if (f80w_is_zero(a) || f80w_is_zero(b))
        return q;
    uint64_t rh = a.hi, rl = a.lo;
    bool carry = false;
    for (int i = 0; i < 128; i++) {
        bool bit = carry || rh > b.hi || (rh == b.hi && rl >= b.lo);
        if (bit) {
            uint64_t nl = rl - b.lo;
            rh = rh - b.hi - (rl < b.lo);
            rl = nl;
        }
        q.hi = (q.hi << 1) | (q.lo >> 63);
        q.lo = (q.lo << 1) | bit;
        carry = rh >> 63;
        rh = (rh << 1) | (rl >> 63);
        rl <<= 1;
    }
    return f80w_normalize(q);
}

static struct f80w f80w_div_small(struct f80w a, uint32_t n)
{
    uint64_t r1, r2, r3;
    uint64_t qh = f80_div128(0, a.hi, n, &r1);
    uint64_t ql = f80_div128(r1, a.lo, n, &r2);
    uint64_t qx = f80_div128(r2, 0, n, &r3);
    struct f80w q = {a.neg, a.exp, qh, ql};
    if (f80w_is_zero(q))
        return q;
    unsigned sh = qh ? f80_clz64(qh) : 64 + f80_clz64(ql);
    if (sh >= 64) /* not reached: a.hi >= 2^63 > n makes qh nonzero */
        return f80w_normalize(q);
    if (sh) {
        q.hi = (qh << sh) | (ql >> (64 - sh));
        q.lo = (ql << sh) | (qx >> (64 - sh));
        q.exp -= (int32_t)sh;
    }
    return q;
}

static struct f80 f80w_round(struct f80_ctx *c, struct f80w w)
{
    /* Transcendentals are not affected by precision control. */
    struct f80_ctx full = *c;
    full.prec = 64;
    full.flags = 0;
    /* The computed value is never exact: keep a sticky bit so directed
     * rounding and the inexact flag behave as for the true value (the x87
     * reports PE on every transcendental result). */
    struct f80 r = f80w_is_zero(w) ? f80_zero(w.neg)
                                   : f80_round_pack(&full, w.neg, w.exp + F80_BIAS, w.hi, w.lo ? w.lo | 1 : 0);
    if (c->masks & F80_UE) {
        /* Every result is inexact, so a masked underflow is reported
         * exactly when the delivered result is denormal or zero. */
        full.flags &= (uint16_t)~F80_UE;
        if (f80_exp(r) == 0 && !f80_is_zero(f80w_is_zero(w) ? r : f80_inf(false)))
            full.flags |= F80_UE;
    }
    c->flags |= full.flags | F80_PE;
    return r;
}

/* ---- kernels ---- */

/* expm1(t) for |t| <= about 0.7: t * (1 + t/2 (1 + t/3 (1 + ...))). */
static struct f80w f80w_expm1(struct f80w t)
{
    struct f80w p = f80w_one;
    for (uint32_t n = 40; n >= 2; n--)
        p = f80w_add(f80w_one, f80w_div_small(f80w_mul(p, t), n));
    return f80w_mul(t, p);
}

/* 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) for |s| <= 0.18. */
static struct f80w f80w_2atanh(struct f80w s)
{
    struct f80w z = f80w_mul(s, s);
    struct f80w p = f80w_div_small(f80w_one, 61);
    for (int32_t k = 29; k >= 0; k--)
        p = f80w_add(f80w_div_small(f80w_one, (uint32_t)(2 * k + 1)), f80w_mul(z, p));
    struct f80w r = f80w_mul(s, p);
    r.exp++;
    return r;
}

/* atan(w) for |w| <= 0.42: w (1 - w^2/3 + w^4/5 - ...). */
static struct f80w f80w_atan_small(struct f80w w)
{
    struct f80w z = f80w_mul(w, w);
    struct f80w p = f80w_div_small(f80w_one, 2 * 64 + 1);
    for (int32_t k = 63; k >= 0; k--) {
        struct f80w term = f80w_div_small(f80w_one, (uint32_t)(2 * k + 1));
        p = f80w_sub(term, f80w_mul(z, p)); /* alternating signs */
    }
    return f80w_mul(w, p);
}

/* log2(x) for x > 0 finite. */
static struct f80w f80w_log2(struct f80w x)
{
    int32_t e = x.exp;
    struct f80w m = x;
    m.exp = 0;
    /* sqrt(2) = 1.6A09E667F3BCC908...: keep m in [sqrt2/2, sqrt2) */
    if (m.hi > 0xB504F333F9DE6484ull || (m.hi == 0xB504F333F9DE6484ull && m.lo > 0x597D89B3754ABE9Full)) {
        m.exp = -1;
        e++;
    }
    struct f80w num = f80w_sub(m, f80w_one);
    struct f80w ln = f80w_is_zero(num) ? num : f80w_2atanh(f80w_div(num, f80w_add(m, f80w_one)));
    return f80w_add(f80w_from_int(e), f80w_mul(ln, f80w_log2e));
}

/* ---- instructions ---- */

struct f80 f80_f2xm1(struct f80_ctx *c, struct f80 a)
{
    struct f80 n;
    if (f80_check_operand(c, a, &n))
        return n;
    if (f80_ctx_blocks_result(c))
        return a;
    if (f80_is_zero(a))
        return a;
    if (f80_is_inf(a))
        return f80_sign(a) ? f80_make(true, F80_BIAS, F80_INT_BIT) : a;
    struct f80w x = f80w_from_f80(a);
    struct f80w r;
    if (x.exp < 0 || (x.exp == 0 && x.hi == F80_INT_BIT && x.lo == 0)) {
        r = f80w_expm1(f80w_mul(x, f80w_ln2));
    } else {
        /* |x| > 1: outside the documented domain; 2^i * 2^f - 1. */
        int32_t i = x.exp > 20 ? (x.neg ? -40000 : 40000) : 0;
        struct f80w fpart = x;
        if (x.exp <= 20) {
            int64_t ip = (int64_t)(x.hi >> (63 - x.exp));
            i = (int32_t)(x.neg ? -ip : ip);
            fpart = f80w_sub(x, f80w_from_int(i));
        }
        struct f80w p = f80w_add(f80w_expm1(f80w_mul(fpart, f80w_ln2)), f80w_one);
        p.exp += i;
        r = f80w_sub(p, f80w_one);
    }
    return f80w_round(c, r);
}

/* y * L with L = log2(x) given as -inf (x=0), +inf (x=inf) or finite. */
struct f80 f80_yl2x(struct f80_ctx *c, struct f80 x, struct f80 y)
{
    struct f80 n;
    if (f80_check_operands(c, x, y, &n))
        return n;
    bool xz = f80_is_zero(x), xi = f80_is_inf(x), yz = f80_is_zero(y), yi = f80_is_inf(y);
    if (f80_sign(x) && !xz) {
        return f80_invalid(c);
    }
    bool x_one = f80_exp(x) == F80_BIAS && x.mant == F80_INT_BIT;
    if ((xz && yz) || (xi && yz) || (x_one && yi)) {
        return f80_invalid(c);
    }
    if (xz && !yi) {
        c->flags |= F80_ZE;
        c->flags &= (uint16_t)~F80_DE;
    }
    if (f80_ctx_blocks_result(c))
        return x;
    bool ys = f80_sign(y);
    if (xz)
        return f80_inf(!ys);
    if (xi)
        return f80_inf(ys);
    if (x_one)
        return f80_zero(ys);
    struct f80w l = f80w_log2(f80w_from_f80(x));
    if (yi)
        return f80_inf(ys != l.neg);
    if (yz)
        return f80_zero(ys != l.neg);
    return f80w_round(c, f80w_mul(f80w_from_f80(y), l));
}

struct f80 f80_yl2xp1(struct f80_ctx *c, struct f80 x, struct f80 y)
{
    struct f80 n;
    if (f80_check_operands(c, x, y, &n))
        return n;
    bool xz = f80_is_zero(x), yz = f80_is_zero(y), yi = f80_is_inf(y);
    if (f80_is_inf(x) && !f80_sign(x) && !yz) {
        if (f80_ctx_blocks_result(c))
            return x;
        return f80_inf(f80_sign(y));
    }
    if ((xz && yi) || f80_is_inf(x)) {
        return f80_invalid(c);
    }
    struct f80w xw = f80w_from_f80(x);
    if (!xz && xw.neg && (xw.exp >= 0)) {
        /* x <= -1: log of a non-positive number */
        return f80_invalid(c);
    }
    if (f80_ctx_blocks_result(c))
        return x;
    bool ys = f80_sign(y);
    if (xz)
        return f80_zero(ys != f80_sign(x));
    if (yi)
        return f80_inf(ys != f80_sign(x));
    if (yz)
        return f80_zero(ys != f80_sign(x));
    struct f80w l;
    if (xw.exp < -1) {
        /* |x| < 0.5: ln(1+x) = 2 atanh(x / (2 + x)) keeps full relative precision */
        struct f80w two = f80w_one;
        two.exp = 1;
        l = f80w_mul(f80w_2atanh(f80w_div(xw, f80w_add(two, xw))), f80w_log2e);
    } else {
        l = f80w_log2(f80w_add(xw, f80w_one));
    }
    return f80w_round(c, f80w_mul(f80w_from_f80(y), l));
}

struct f80 f80_atan2(struct f80_ctx *c, struct f80 y, struct f80 x)
{
    struct f80 n;
    if (f80_check_operands(c, x, y, &n))
        return n;
    if (f80_ctx_blocks_result(c))
        return x;
    bool ys = f80_sign(y), xs = f80_sign(x);
    struct f80w r;
    bool yz = f80_is_zero(y), xz = f80_is_zero(x), yi = f80_is_inf(y), xi = f80_is_inf(x);
    if (yz) {
        if (!xs)
            return f80_zero(ys);
        r = f80w_pi;
    } else if (yi && xi) {
        r = xs ? f80w_add(f80w_pi_2, f80w_pi_4) : f80w_pi_4;
    } else if (yi || xz) {
        r = f80w_pi_2;
    } else if (xi) {
        if (!xs)
            return f80_zero(ys);
        r = f80w_pi;
    } else {
        struct f80w a = f80w_from_f80(y), b = f80w_from_f80(x);
        a.neg = b.neg = false;
        bool swap = !f80w_mag_ge(b, a); /* |y| > |x| */
        if (swap) {
            struct f80w t = a;
            a = b;
            b = t;
        }
        /* z = a/b in [0, 1]; tan(pi/8) = 0.41421356 */
        struct f80w z = f80w_div(a, b);
        struct f80w t = {false, -2, 0xD413CCCFE7799211ull, 0x65F626CDD52AFA7Cull};
        if (f80w_mag_ge(z, t))
            r = f80w_add(f80w_pi_4, f80w_atan_small(f80w_div(f80w_sub(a, b), f80w_add(a, b))));
        else
            r = f80w_atan_small(z);
        if (swap)
            r = f80w_sub(f80w_pi_2, r);
        if (xs)
            r = f80w_sub(f80w_pi, r);
    }
    r.neg = ys;
    return f80w_round(c, r);
}

/* sin and cos of |r| <= pi/4. */
static void f80w_sincos_small(struct f80w r, struct f80w *s, struct f80w *co)
{
    struct f80w z = f80w_mul(r, r);
    struct f80w ps = f80w_one, pc = f80w_one;
    for (uint32_t k = 20; k >= 1; k--) {
        /* sin: 1 - z/((2k)(2k+1)) * ps; cos: 1 - z/((2k-1)(2k)) * pc */
        ps = f80w_sub(f80w_one, f80w_div_small(f80w_mul(z, ps), (2 * k) * (2 * k + 1)));
        pc = f80w_sub(f80w_one, f80w_div_small(f80w_mul(z, pc), (2 * k - 1) * (2 * k)));
    }
    *s = f80w_mul(r, ps);
    *co = pc;
}

bool f80_trig(struct f80_ctx *c, struct f80 a, unsigned want, struct f80 *sin, struct f80 *cos,
              struct f80 *tan)
{
    struct f80 n;
    if (f80_check_operand(c, a, &n)) {
        *sin = *cos = *tan = n;
        return true;
    }
    if (f80_is_inf(a)) {
        *sin = *cos = *tan = f80_invalid(c);
        return true;
    }
    struct f80w x = f80w_from_f80(a);
    if (!f80_is_zero(a) && x.exp >= 63)
        return false;
    if (f80_ctx_blocks_result(c))
        return true;
    if (f80_is_zero(a)) {
        *sin = *tan = a;
        *cos = f80_make(false, F80_BIAS, F80_INT_BIT);
        return true;
    }
    if (x.exp < -40) {
        /* sin x = x - x^3/6, tan x = x + x^3/3, cos x = 1 - x^2/2: the
         * corrections lie far below the result's last bit, but they decide
         * directed rounding and tininess. */
        struct f80w d = x, one_minus = f80w_one;
        d.exp -= 100;
        one_minus.exp = -100;
        if (want & 1)
            *sin = f80w_round(c, f80w_sub(x, d));
        if (want & 2)
            *cos = f80w_round(c, f80w_sub(f80w_one, one_minus));
        if (want & 4)
            *tan = f80w_round(c, f80w_add(x, d));
        return true;
    }
    bool neg = x.neg;
    x.neg = false;
    uint64_t q = 0;
    struct f80w r = x;
    if (f80w_mag_ge(x, f80w_pi_4)) {
        /* Exact remainder of sig * 2^k modulo the hardware's pi/2, both as
         * integers scaled by 2^127 (k = exp + 64 <= 126). */
        uint64_t rh = 0, rl = x.hi; /* significand as an integer, < pi/2 scaled */
        /* x = x.hi * 2^(exp - 63) = (x.hi << (exp + 64)) * 2^-127 */
        int32_t k = x.exp + 64;
        const uint64_t dh = f80w_pio2_hw_hi, dl = f80w_pio2_hw_lo;
        for (int32_t i = 0; i < k; i++) {
            bool carry = rh >> 63;
            rh = (rh << 1) | (rl >> 63);
            rl <<= 1;
            q <<= 1;
            if (carry || rh > dh || (rh == dh && rl >= dl)) {
                uint64_t nl = rl - dl;
                rh = rh - dh - (rl < dl);
                rl = nl;
                q |= 1;
            }
        }
        /* centre: if r > d/2 use r - d */
        uint64_t hh = dh >> 1, hl = (dl >> 1) | (dh << 63);
        bool neg_r = false;
        if (rh > hh || (rh == hh && rl > hl)) {
            uint64_t nl = dl - rl;
            rh = dh - rh - (dl < rl);
            rl = nl;
            neg_r = true;
            q++;
        }
        struct f80w red = {neg_r, 0, rh, rl};
        r = f80w_normalize(red);
    }
    struct f80w s, co;
    f80w_sincos_small(r, &s, &co);
    struct f80w sx, cx;
    switch (q & 3) {
    case 0: sx = s; cx = co; break;
    case 1: sx = co; cx = f80w_neg(s); break;
    case 2: sx = f80w_neg(s); cx = f80w_neg(co); break;
    default: sx = f80w_neg(co); cx = s; break;
    }
    if (neg)
        sx = f80w_neg(sx);
    /* Round each result on its own context copy so flags combine. */
    if (want & 1)
        *sin = f80w_round(c, sx);
    if (want & 2)
        *cos = f80w_round(c, cx);
    if (want & 4)
        *tan = f80w_round(c, f80w_div(sx, cx));
    return true;
}

struct f80 f80_constant(struct f80_ctx *c, unsigned index)
{
    static const struct f80w constants[7] = {
        {false, 0, F80_INT_BIT, 0},                                /* 1 */
        {false, 1, 0xD49A784BCD1B8AFEull, 0x492BF6FF4DAFDB4Cull},  /* log2(10) */
        {false, 0, 0xB8AA3B295C17F0BBull, 0xBE87FED0691D3E88ull},  /* log2(e) */
        {false, 1, 0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull},  /* pi */
        {false, -2, 0x9A209A84FBCFF798ull, 0x8F8959AC0B7C9178ull}, /* log10(2) */
        {false, -1, 0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull}, /* ln(2) */
        {false, 0, 0, 0},                                          /* +0 */
    };
    /* Rounded by RC from the full-precision value; the x87 reports no
     * inexact for constant loads. */
    struct f80w k = constants[index % 7];
    struct f80_ctx t = *c;
    t.masks = 0x3F;
    struct f80 r = f80w_round(&t, k);
    return r;
}
