/* f80.h: exact software 80-bit extended-precision arithmetic for the x87.
 * IEEE 754-1985 double extended, with the x87 rules of Intel SDM vol. 1 ch. 4 and 8.
 *
 * Every operation takes an f80_ctx carrying the rounding control, precision
 * control and exception masks of the x87 control word, and ORs the
 * exceptions it raises into ctx->flags (same bit positions as the status
 * word; F80_C1 marks "rounded up"). Pure integer arithmetic: the same bits
 * on every host. */
#ifndef CW_F80_H
#define CW_F80_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpu/x86/x87.h"

enum {
    F80_IE = 0x01, F80_DE = 0x02, F80_ZE = 0x04,
    F80_OE = 0x08, F80_UE = 0x10, F80_PE = 0x20,
    F80_C1 = 0x200, /* result was rounded away from zero (SW.C1) */
};

enum { F80_RC_NEAREST = 0, F80_RC_DOWN = 1, F80_RC_UP = 2, F80_RC_ZERO = 3 };

#define F80_BIAS 16383
#define F80_EXP_MAX 0x7FFF
#define F80_INT_BIT 0x8000000000000000ull
#define F80_QUIET_BIT 0x4000000000000000ull
#define F80_WRAP_BIAS 24576 /* exponent adjust for unmasked OE/UE results */

struct f80_ctx {
    unsigned rc;      /* rounding control, F80_RC_* */
    unsigned prec;    /* 24, 53 or 64 significant bits */
    unsigned masks;   /* CW bits 5:0: a set bit masks that exception */
    uint16_t flags;   /* raised exceptions (F80_*) */
};

/* Context from an x87 control word. */
void f80_ctx_from_cw(struct f80_ctx *c, uint16_t cw);

/* True when an exception raised so far is unmasked and prevents the
 * operation from delivering a result (IE, DE, ZE). */
bool f80_ctx_blocks_result(const struct f80_ctx *c);

/* Classification. */
static inline unsigned f80_exp(struct f80 a) { return a.sign_exp & 0x7FFF; }
static inline bool f80_sign(struct f80 a) { return (a.sign_exp >> 15) != 0; }
bool f80_is_zero(struct f80 a);
bool f80_is_inf(struct f80 a);
bool f80_is_nan(struct f80 a);
bool f80_is_snan(struct f80 a);
bool f80_is_unsupported(struct f80 a);  /* unnormal, pseudo-NaN, pseudo-infinity */
bool f80_is_denormal(struct f80 a);     /* denormal or pseudo-denormal */

/* Raises IE for an invalid operation (dropping DE, which it outranks) and
 * returns the QNaN indefinite. */
struct f80 f80_invalid(struct f80_ctx *c);

struct f80 f80_make(bool sign, unsigned exp, uint64_t mant);
struct f80 f80_indefinite(void);
struct f80 f80_zero(bool sign);
struct f80 f80_inf(bool sign);
struct f80 f80_from_int(int64_t v);

/* Rounds sign * (sig0 + sig1 * 2^-64) * 2^(exp - BIAS - 63) to the context's
 * precision and the extended exponent range (wrapping the exponent when OE/UE
 * are unmasked). sig0 need not be normalized. */
struct f80 f80_round_pack(struct f80_ctx *c, bool sign, int32_t exp, uint64_t sig0, uint64_t sig1);

/* Arithmetic (FADD, FSUB, FMUL, FDIV, FSQRT). */
struct f80 f80_add(struct f80_ctx *c, struct f80 a, struct f80 b);
struct f80 f80_sub(struct f80_ctx *c, struct f80 a, struct f80 b);
struct f80 f80_mul(struct f80_ctx *c, struct f80 a, struct f80 b);
struct f80 f80_div(struct f80_ctx *c, struct f80 a, struct f80 b);
struct f80 f80_sqrt(struct f80_ctx *c, struct f80 a);

/* FPREM (ieee=false, truncating quotient) and FPREM1 (ieee=true). *quot gets
 * the low three quotient bits; *partial is set when the reduction is
 * incomplete (C2). */
struct f80 f80_rem(struct f80_ctx *c, struct f80 a, struct f80 b, bool ieee, unsigned *quot, bool *partial);

struct f80 f80_round_to_int(struct f80_ctx *c, struct f80 a);   /* FRNDINT */
struct f80 f80_scale(struct f80_ctx *c, struct f80 a, struct f80 b); /* FSCALE */

/* Comparison: returns F80_LT/EQ/GT/UNORDERED. quiet: FUCOM rules (only
 * SNaN raises IE), otherwise any NaN raises IE. */
enum { F80_LT = 0, F80_EQ = 1, F80_GT = 2, F80_UNORDERED = 3 };
int f80_compare(struct f80_ctx *c, struct f80 a, struct f80 b, bool quiet);

/* Operand check shared by the x87: raises IE for unsupported formats and
 * SNaNs, DE for denormals. Returns true when a is a NaN or unsupported
 * (the caller's result is then *nan_result). */
bool f80_check_operand(struct f80_ctx *c, struct f80 a, struct f80 *nan_result);
/* Same for two operands, applying the x87 NaN propagation rules. */
bool f80_check_operands(struct f80_ctx *c, struct f80 a, struct f80 b, struct f80 *nan_result);

/* Conversions. The "from" forms are exact (they raise IE on SNaN and DE on
 * denormal sources); the "to" forms round with the context's rounding
 * control into the destination format. */
struct f80 f80_from_f32(struct f80_ctx *c, uint32_t v);
struct f80 f80_from_f64(struct f80_ctx *c, uint64_t v);
/* Same, as an arithmetic operand: SNaNs stay signaling (the operation
 * raises IE) and only DE is reported in *denormal. */
struct f80 f80_from_f32_operand(uint32_t v, bool *denormal);
struct f80 f80_from_f64_operand(uint64_t v, bool *denormal);
uint32_t f80_to_f32(struct f80_ctx *c, struct f80 a);
uint64_t f80_to_f64(struct f80_ctx *c, struct f80 a);
/* To a bits-wide two's complement integer (16, 32, 64); truncate selects
 * FISTTP. Out of range, NaN and infinity give IE and the integer indefinite. */
int64_t f80_to_int(struct f80_ctx *c, struct f80 a, unsigned bits, bool truncate);

/* Transcendentals (f80_trans.c). Results are computed in 128-bit fixed
 * and floating arithmetic and rounded once with the context's rounding
 * control: within 1 ulp, almost always correctly rounded. */
struct f80 f80_f2xm1(struct f80_ctx *c, struct f80 a);                 /* 2^a - 1 */
struct f80 f80_yl2x(struct f80_ctx *c, struct f80 x, struct f80 y);    /* y * log2(x) */
struct f80 f80_yl2xp1(struct f80_ctx *c, struct f80 x, struct f80 y);  /* y * log2(x + 1) */
struct f80 f80_atan2(struct f80_ctx *c, struct f80 y, struct f80 x);   /* FPATAN */
/* FSIN/FCOS/FSINCOS/FPTAN: false when |a| >= 2^63 (source left alone, C2).
 * want selects the results: 1 sine, 2 cosine, 4 tangent. */
bool f80_trig(struct f80_ctx *c, struct f80 a, unsigned want, struct f80 *sin, struct f80 *cos,
              struct f80 *tan);
/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (index = modrm - 0xE8),
 * rounded from the internal constants by the rounding control. */
struct f80 f80_constant(struct f80_ctx *c, unsigned index);

/* 128-bit helpers, shared with the transcendental code. */
void f80_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo);
/* (hi:lo) / d with hi < d. */
uint64_t f80_div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem);
unsigned f80_clz64(uint64_t v);

#endif
