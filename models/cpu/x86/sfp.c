/* sfp.c: exact software IEEE 754 binary32/binary64 arithmetic for the SSE
 * unit with x86 semantics. IEEE 754-2008; Intel SDM vol. 1 ch. 4.8-4.9, 11.5.
 *
 * Finite values are unpacked to (sign, exponent e, 64-bit significand with
 * the leading one at bit 62), so the value is sig * 2^(e - 62). Lower bits
 * are sticky-jammed; every result is rounded once by sfp_round_pack with
 * tininess detected after rounding (as x86 does). */
#include "models/cpu/x86/sfp.h"

#include <stddef.h>

struct sfp_info {
    unsigned prec;      /* significand bits including the hidden one */
    int32_t emin, emax;
    unsigned fbits;     /* stored fraction bits */
    unsigned ebits;
};

static const struct sfp_info sfp_info[2] = {
    { 24, -126, 127, 23, 8 },
    { 53, -1022, 1023, 52, 11 },
};

enum { SFP_ZEROC, SFP_FINITE, SFP_INFC, SFP_NANC };

struct sfp_val {
    bool sign;
    bool den;          /* a denormal operand (DE unless a NaN or invalid wins) */
    int cls;
    int32_t exp;
    uint64_t sig;
};

static uint64_t sfp_frac_mask(enum sfp_fmt f) { return (1ull << sfp_info[f].fbits) - 1; }
static unsigned sfp_sign_shift(enum sfp_fmt f) { return f == SFP_F32 ? 31 : 63; }
static uint64_t sfp_exp_field(enum sfp_fmt f, uint64_t a)
{
    return (a >> sfp_info[f].fbits) & ((1u << sfp_info[f].ebits) - 1);
}
static uint64_t sfp_exp_max(enum sfp_fmt f) { return (1u << sfp_info[f].ebits) - 1; }

static bool sfp_is_nan(enum sfp_fmt f, uint64_t a)
{
    return sfp_exp_field(f, a) == sfp_exp_max(f) && (a & sfp_frac_mask(f)) != 0;
}

static bool sfp_is_snan(enum sfp_fmt f, uint64_t a)
{
    return sfp_is_nan(f, a) && !((a >> (sfp_info[f].fbits - 1)) & 1);
}

static uint64_t sfp_quiet(enum sfp_fmt f, uint64_t a)
{
    return a | (1ull << (sfp_info[f].fbits - 1));
}

static uint64_t sfp_default_nan(enum sfp_fmt f)
{
    return f == SFP_F32 ? 0xffc00000u : 0xfff8000000000000ull;
}

static uint64_t sfp_pack(enum sfp_fmt f, bool sign, uint64_t biased, uint64_t frac)
{
    return ((uint64_t)sign << sfp_sign_shift(f)) | (biased << sfp_info[f].fbits) | frac;
}

static uint64_t sfp_zero(enum sfp_fmt f, bool sign) { return sfp_pack(f, sign, 0, 0); }
static uint64_t sfp_inf(enum sfp_fmt f, bool sign) { return sfp_pack(f, sign, sfp_exp_max(f), 0); }

static unsigned sfp_clz(uint64_t v)
{
    return v ? (unsigned)__builtin_clzll(v) : 64;
}

static uint64_t sfp_shift_right_jam(uint64_t v, uint32_t n)
{
    if (n == 0)
        return v;
    if (n >= 63)
        return v != 0;
    return (v >> n) | ((v << (64 - n)) != 0);
}

/* Unpacks a; denormals set DE (or become zero under DAZ). */
static struct sfp_val sfp_unpack(struct sfp_env *e, enum sfp_fmt f, uint64_t a, bool note_de)
{
    const struct sfp_info *fi = &sfp_info[f];
    struct sfp_val v;
    uint64_t ex = sfp_exp_field(f, a), frac = a & sfp_frac_mask(f);
    v.sign = (a >> sfp_sign_shift(f)) & 1;
    v.exp = 0;
    v.sig = 0;
    v.den = false;
    if (ex == sfp_exp_max(f)) {
        v.cls = frac ? SFP_NANC : SFP_INFC;
        return v;
    }
    if (ex == 0) {
        if (frac == 0 || e->daz) {
            v.cls = SFP_ZEROC;
            return v;
        }
        v.den = note_de;
        unsigned lz = sfp_clz(frac);
        v.cls = SFP_FINITE;
        v.sig = frac << (lz - 1);
        v.exp = fi->emin - (int32_t)(lz - 1 - (62 - fi->fbits));
        return v;
    }
    v.cls = SFP_FINITE;
    v.sig = (frac | (1ull << fi->fbits)) << (62 - fi->fbits);
    v.exp = (int32_t)ex - (fi->emax);
    return v;
}

/* Rounds sig * 2^(exp - 62) to the format. */
static uint64_t sfp_round_pack(struct sfp_env *e, enum sfp_fmt f, bool sign, int32_t exp, uint64_t sig)
{
    const struct sfp_info *fi = &sfp_info[f];
    if (sig == 0)
        return sfp_zero(f, sign);
    if (sig >> 63) {
        sig = (sig >> 1) | (sig & 1);
        exp++;
    } else {
        unsigned lz = sfp_clz(sig) - 1;
        sig <<= lz;
        exp -= (int32_t)lz;
    }
    unsigned rbits = 63 - fi->prec;
    uint64_t rmask = (1ull << rbits) - 1, half = 1ull << (rbits - 1);
    bool tiny = false;
    if (exp < fi->emin) {
        if (exp < fi->emin - 1) {
            tiny = true;
        } else {
            /* rounded at full precision, does it reach 2^emin? */
            uint64_t low = sig & rmask, q = sig >> rbits;
            bool up;
            switch (e->round) {
            case SFP_NEAREST: up = low > half || (low == half && (q & 1)); break;
            case SFP_DOWN: up = sign && low; break;
            case SFP_UP: up = !sign && low; break;
            default: up = false; break;
            }
            tiny = !(up && ((q + 1) >> fi->prec));
        }
        if (tiny && e->ftz && (e->masks & SFP_UE)) {
            e->flags |= SFP_UE | SFP_PE;
            return sfp_zero(f, sign);
        }
        sig = sfp_shift_right_jam(sig, (uint32_t)(fi->emin - exp));
        exp = fi->emin;
    }
    uint64_t low = sig & rmask, q = sig >> rbits;
    bool inexact = low != 0, up;
    switch (e->round) {
    case SFP_NEAREST: up = low > half || (low == half && (q & 1)); break;
    case SFP_DOWN: up = sign && inexact; break;
    case SFP_UP: up = !sign && inexact; break;
    default: up = false; break;
    }
    q += up;
    if (q >> fi->prec) {
        q >>= 1;
        exp++;
    }
    if (exp > fi->emax) {
        if (!(e->masks & SFP_OE)) {
            e->flags |= SFP_OE | (inexact ? SFP_PE : 0);
            return sfp_inf(f, sign); /* not stored: the instruction faults */
        }
        e->flags |= SFP_OE | SFP_PE;
        bool to_inf = e->round == SFP_NEAREST || (e->round == SFP_UP && !sign) ||
                       (e->round == SFP_DOWN && sign);
        if (to_inf)
            return sfp_inf(f, sign);
        return sfp_pack(f, sign, sfp_exp_max(f) - 1, sfp_frac_mask(f));
    }
    if (inexact)
        e->flags |= SFP_PE;
    if (tiny && (inexact || !(e->masks & SFP_UE)))
        e->flags |= SFP_UE;
    uint64_t biased = (q >> (fi->prec - 1)) ? (uint64_t)(exp + fi->emax) : 0;
    return sfp_pack(f, sign, biased, q & sfp_frac_mask(f));
}

/* Denormal-operand exception: it ranks below NaN operands, invalid
 * operations and divide-by-zero (SDM vol. 1, 4.9.2), so each operation
 * notes it after those checks. */
static void sfp_de(struct sfp_env *e, const struct sfp_val *x, const struct sfp_val *y)
{
    if (x->den || (y && y->den))
        e->flags |= SFP_DE;
}

static uint64_t sfp_propagate(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    if (sfp_is_snan(f, a) || sfp_is_snan(f, b))
        e->flags |= SFP_IE;
    return sfp_quiet(f, sfp_is_nan(f, a) ? a : b);
}

static uint64_t sfp_invalid(struct sfp_env *e, enum sfp_fmt f)
{
    e->flags |= SFP_IE;
    return sfp_default_nan(f);
}

static uint64_t sfp_mask_fmt(enum sfp_fmt f, uint64_t a)
{
    return f == SFP_F32 ? (a & 0xffffffffu) : a;
}

static uint64_t sfp_addsub(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b, bool sub)
{
    a = sfp_mask_fmt(f, a);
    b = sfp_mask_fmt(f, b);
    struct sfp_val x = sfp_unpack(e, f, a, true), y = sfp_unpack(e, f, b, true);
    if (x.cls == SFP_NANC || y.cls == SFP_NANC)
        return sfp_propagate(e, f, a, b);
    bool ys = y.sign ^ sub;
    if (x.cls == SFP_INFC && y.cls == SFP_INFC && x.sign != ys)
        return sfp_invalid(e, f);
    sfp_de(e, &x, &y);
    if (x.cls == SFP_INFC || y.cls == SFP_INFC) {
        return sfp_inf(f, x.cls == SFP_INFC ? x.sign : ys);
    }
    if (x.cls == SFP_ZEROC && y.cls == SFP_ZEROC) {
        bool s = x.sign == ys ? x.sign : e->round == SFP_DOWN;
        return sfp_zero(f, s);
    }
    if (x.cls == SFP_ZEROC)
        return sfp_round_pack(e, f, ys, y.exp, y.sig);
    if (y.cls == SFP_ZEROC)
        return sfp_round_pack(e, f, x.sign, x.exp, x.sig);
    /* x is the operand with the larger magnitude */
    if (y.exp > x.exp || (y.exp == x.exp && y.sig > x.sig)) {
        struct sfp_val t = x;
        bool xs = x.sign;
        x = y;
        y = t;
        x.sign = ys;
        ys = xs;
    }
    uint64_t ysig = sfp_shift_right_jam(y.sig, (uint32_t)(x.exp - y.exp));
    if (x.sign == ys)
        return sfp_round_pack(e, f, x.sign, x.exp, x.sig + ysig);
    uint64_t d = x.sig - ysig;
    if (d == 0)
        return sfp_zero(f, e->round == SFP_DOWN);
    return sfp_round_pack(e, f, x.sign, x.exp, d);
}

uint64_t sfp_add(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    return sfp_addsub(e, f, a, b, false);
}

uint64_t sfp_sub(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    return sfp_addsub(e, f, a, b, true);
}

uint64_t sfp_mul(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    a = sfp_mask_fmt(f, a);
    b = sfp_mask_fmt(f, b);
    struct sfp_val x = sfp_unpack(e, f, a, true), y = sfp_unpack(e, f, b, true);
    bool s = x.sign ^ y.sign;
    if (x.cls == SFP_NANC || y.cls == SFP_NANC)
        return sfp_propagate(e, f, a, b);
    if ((x.cls == SFP_INFC && y.cls == SFP_ZEROC) || (x.cls == SFP_ZEROC && y.cls == SFP_INFC))
        return sfp_invalid(e, f);
    sfp_de(e, &x, &y);
    if (x.cls == SFP_INFC || y.cls == SFP_INFC)
        return sfp_inf(f, s);
    if (x.cls == SFP_ZEROC || y.cls == SFP_ZEROC)
        return sfp_zero(f, s);
    unsigned __int128 p = (unsigned __int128)x.sig * y.sig;
    uint64_t hi = (uint64_t)(p >> 62), lo = (uint64_t)p & ((1ull << 62) - 1);
    return sfp_round_pack(e, f, s, x.exp + y.exp, hi | (lo != 0));
}

uint64_t sfp_div(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    a = sfp_mask_fmt(f, a);
    b = sfp_mask_fmt(f, b);
    struct sfp_val x = sfp_unpack(e, f, a, true), y = sfp_unpack(e, f, b, true);
    bool s = x.sign ^ y.sign;
    if (x.cls == SFP_NANC || y.cls == SFP_NANC)
        return sfp_propagate(e, f, a, b);
    if ((x.cls == SFP_INFC && y.cls == SFP_INFC) || (x.cls == SFP_ZEROC && y.cls == SFP_ZEROC))
        return sfp_invalid(e, f);
    if (y.cls == SFP_ZEROC && x.cls != SFP_INFC) {
        e->flags |= SFP_ZE;
        return sfp_inf(f, s);
    }
    sfp_de(e, &x, &y);
    if (x.cls == SFP_INFC)
        return sfp_inf(f, s);
    if (y.cls == SFP_INFC)
        return sfp_zero(f, s);
    if (x.cls == SFP_ZEROC)
        return sfp_zero(f, s);
    /* (x.sig * 2^63) / y.sig lies in (2^62, 2^64) */
    unsigned __int128 n = (unsigned __int128)x.sig << 63;
    uint64_t q = (uint64_t)(n / y.sig), r = (uint64_t)(n % y.sig);
    return sfp_round_pack(e, f, s, x.exp - y.exp - 1, q | (r != 0));
}

uint64_t sfp_sqrt(struct sfp_env *e, enum sfp_fmt f, uint64_t a)
{
    a = sfp_mask_fmt(f, a);
    struct sfp_val x = sfp_unpack(e, f, a, true);
    if (x.cls == SFP_NANC)
        return sfp_propagate(e, f, a, a);
    if (x.cls == SFP_ZEROC)
        return sfp_zero(f, x.sign);
    if (x.sign)
        return sfp_invalid(e, f);
    sfp_de(e, &x, NULL);
    if (x.cls == SFP_INFC)
        return sfp_inf(f, false);
    /* value = sig * 2^E with E = exp - 62; make E even */
    int32_t E = x.exp - 62;
    uint64_t sig = x.sig;
    if (E & 1) {
        sig <<= 1;
        E -= 1;
    }
    /* sqrt(sig * 2^64) * 2^((E - 64) / 2) */
    unsigned __int128 n = (unsigned __int128)sig << 64, res = 0;
    unsigned __int128 bit = (unsigned __int128)1 << 126;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= res + bit) {
            n -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    uint64_t r = (uint64_t)res;
    return sfp_round_pack(e, f, false, (E - 64) / 2 + 62, r | (n != 0));
}

/* Orders two unpacked finite/infinite/zero values: -1, 0, 1. */
static int sfp_order(const struct sfp_val *x, const struct sfp_val *y)
{
    if (x->cls == SFP_ZEROC && y->cls == SFP_ZEROC)
        return 0;
    if (x->sign != y->sign)
        return x->sign ? -1 : 1;
    int mag;
    if (x->cls == SFP_INFC || y->cls == SFP_INFC)
        mag = (x->cls == SFP_INFC) - (y->cls == SFP_INFC);
    else if (x->cls == SFP_ZEROC || y->cls == SFP_ZEROC)
        mag = (x->cls != SFP_ZEROC) - (y->cls != SFP_ZEROC);
    else if (x->exp != y->exp)
        mag = x->exp > y->exp ? 1 : -1;
    else
        mag = x->sig > y->sig ? 1 : x->sig < y->sig ? -1 : 0;
    return x->sign ? -mag : mag;
}

int sfp_compare(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b, bool signaling)
{
    a = sfp_mask_fmt(f, a);
    b = sfp_mask_fmt(f, b);
    struct sfp_val x = sfp_unpack(e, f, a, true), y = sfp_unpack(e, f, b, true);
    if (x.cls == SFP_NANC || y.cls == SFP_NANC) {
        if (signaling || sfp_is_snan(f, a) || sfp_is_snan(f, b))
            e->flags |= SFP_IE;
        return 2;
    }
    sfp_de(e, &x, &y);
    return sfp_order(&x, &y);
}

/* a with DAZ applied (what MIN/MAX return) */
static uint64_t sfp_daz(struct sfp_env *e, enum sfp_fmt f, uint64_t a)
{
    if (e->daz && sfp_exp_field(f, a) == 0)
        return a & (1ull << sfp_sign_shift(f));
    return a;
}

static uint64_t sfp_minmax(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b, bool max)
{
    a = sfp_mask_fmt(f, a);
    b = sfp_mask_fmt(f, b);
    struct sfp_val x = sfp_unpack(e, f, a, true), y = sfp_unpack(e, f, b, true);
    if (x.cls == SFP_NANC || y.cls == SFP_NANC) {
        e->flags |= SFP_IE;
        return sfp_daz(e, f, b);
    }
    sfp_de(e, &x, &y);
    int c = sfp_order(&x, &y);
    bool take_a = max ? c > 0 : c < 0;
    if (x.cls == SFP_ZEROC && y.cls == SFP_ZEROC)
        take_a = false;
    return sfp_daz(e, f, take_a ? a : b);
}

uint64_t sfp_min(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    return sfp_minmax(e, f, a, b, false);
}

uint64_t sfp_max(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    return sfp_minmax(e, f, a, b, true);
}

uint64_t sfp_f32_to_f64(struct sfp_env *e, uint32_t a)
{
    struct sfp_val x = sfp_unpack(e, SFP_F32, a, true);
    switch (x.cls) {
    case SFP_NANC:
        if (sfp_is_snan(SFP_F32, a))
            e->flags |= SFP_IE;
        return sfp_pack(SFP_F64, x.sign, 0x7ff, ((uint64_t)(a & 0x7fffffu) << 29)) |
               (1ull << 51);
    case SFP_INFC: return sfp_inf(SFP_F64, x.sign);
    case SFP_ZEROC: return sfp_zero(SFP_F64, x.sign);
    default:
        sfp_de(e, &x, NULL);
        return sfp_round_pack(e, SFP_F64, x.sign, x.exp, x.sig);
    }
}

uint32_t sfp_f64_to_f32(struct sfp_env *e, uint64_t a)
{
    struct sfp_val x = sfp_unpack(e, SFP_F64, a, true);
    switch (x.cls) {
    case SFP_NANC:
        if (sfp_is_snan(SFP_F64, a))
            e->flags |= SFP_IE;
        return (uint32_t)sfp_pack(SFP_F32, x.sign, 0xff, (a >> 29) & 0x7fffffu) | (1u << 22);
    case SFP_INFC: return (uint32_t)sfp_inf(SFP_F32, x.sign);
    case SFP_ZEROC: return (uint32_t)sfp_zero(SFP_F32, x.sign);
    default:
        sfp_de(e, &x, NULL);
        return (uint32_t)sfp_round_pack(e, SFP_F32, x.sign, x.exp, x.sig);
    }
}

uint64_t sfp_from_int(struct sfp_env *e, enum sfp_fmt f, int64_t v)
{
    if (v == 0)
        return sfp_zero(f, false);
    bool sign = v < 0;
    uint64_t mag = sign ? 0 - (uint64_t)v : (uint64_t)v;
    return sfp_round_pack(e, f, sign, 62, mag);
}

int64_t sfp_to_int(struct sfp_env *e, enum sfp_fmt f, uint64_t a, unsigned bits, bool truncate)
{
    a = sfp_mask_fmt(f, a);
    struct sfp_val x = sfp_unpack(e, f, a, false);
    int64_t indefinite = bits == 64 ? INT64_MIN : INT32_MIN;
    if (x.cls == SFP_NANC || x.cls == SFP_INFC) {
        e->flags |= SFP_IE;
        return indefinite;
    }
    if (x.cls == SFP_ZEROC)
        return 0;
    if (x.exp > 62) {
        e->flags |= SFP_IE;
        return indefinite;
    }
    /* integer part and the fraction bits below it (sticky) */
    uint32_t s = (uint32_t)(62 - x.exp);
    uint64_t ip, frac;
    if (s >= 64) {
        ip = 0;
        frac = 1; /* below one half, but not zero */
    } else {
        ip = x.sig >> s;
        frac = s ? x.sig << (64 - s) : 0;
    }
    enum sfp_round r = truncate ? SFP_ZERO : e->round;
    bool up;
    uint64_t half = 1ull << 63;
    switch (r) {
    case SFP_NEAREST: up = frac > half || (frac == half && (ip & 1)); break;
    case SFP_DOWN: up = x.sign && frac; break;
    case SFP_UP: up = !x.sign && frac; break;
    default: up = false; break;
    }
    ip += up;
    uint64_t lim = 1ull << (bits - 1);
    if (x.sign ? ip > lim : ip >= lim) {
        e->flags |= SFP_IE;
        return indefinite;
    }
    if (frac)
        e->flags |= SFP_PE;
    return x.sign ? (int64_t)(0 - ip) : (int64_t)ip;
}

uint32_t sfp_rcp32(struct sfp_env *e, uint32_t a)
{
    struct sfp_env t = { SFP_NEAREST, true, true, 0x3f, 0 };
    bool sign = a >> 31;
    if (sfp_is_nan(SFP_F32, a))
        return (uint32_t)sfp_quiet(SFP_F32, a);
    if (sfp_exp_field(SFP_F32, a) == 0)
        return (uint32_t)sfp_inf(SFP_F32, sign); /* zero and denormal */
    (void)e;
    return (uint32_t)sfp_div(&t, SFP_F32, 0x3f800000u, a);
}

uint32_t sfp_rsqrt32(struct sfp_env *e, uint32_t a)
{
    struct sfp_env t = { SFP_NEAREST, true, true, 0x3f, 0 };
    bool sign = a >> 31;
    (void)e;
    if (sfp_is_nan(SFP_F32, a))
        return (uint32_t)sfp_quiet(SFP_F32, a);
    if (sfp_exp_field(SFP_F32, a) == 0)
        return (uint32_t)sfp_inf(SFP_F32, sign);
    if (sign)
        return 0xffc00000u;
    /* 1/sqrt(a): the square root then the reciprocal, both rounded: close
     * enough for an approximation instruction */
    uint32_t s = (uint32_t)sfp_sqrt(&t, SFP_F32, a);
    return (uint32_t)sfp_div(&t, SFP_F32, 0x3f800000u, s);
}
