/* sfp.h: exact software IEEE 754 binary32/binary64 arithmetic for the SSE
 * unit, with x86 (MXCSR) semantics: rounding modes, DAZ/FTZ, tininess after
 * rounding, x86 NaN propagation and default NaN. IEEE 754-2008; Intel SDM
 * vol. 1 ch. 4.8-4.9 and 11.5. No host floating point is used. */
#ifndef CW_SFP_H
#define CW_SFP_H

#include <stdbool.h>
#include <stdint.h>

/* exception flags, in MXCSR bit order */
#define SFP_IE 0x01u
#define SFP_DE 0x02u
#define SFP_ZE 0x04u
#define SFP_OE 0x08u
#define SFP_UE 0x10u
#define SFP_PE 0x20u
#define SFP_PRE (SFP_IE | SFP_DE | SFP_ZE) /* detected before computing */

enum sfp_round { SFP_NEAREST = 0, SFP_DOWN = 1, SFP_UP = 2, SFP_ZERO = 3 };

struct sfp_env {
    enum sfp_round round;
    bool daz;          /* denormal inputs are zero (no DE) */
    bool ftz;          /* masked underflow gives zero */
    unsigned masks;    /* masked exceptions (MXCSR bits 12:7 as SFP_*): FTZ
                          needs UE masked; masked UE needs inexact */
    unsigned flags;    /* accumulated SFP_* */
};

/* Operands and results are raw encodings: uint32_t binary32 and uint64_t
 * binary64. `fmt` selects binary32 (0) or binary64 (1) for the generic
 * helpers. */
enum sfp_fmt { SFP_F32 = 0, SFP_F64 = 1 };

uint64_t sfp_add(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b);
uint64_t sfp_sub(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b);
uint64_t sfp_mul(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b);
uint64_t sfp_div(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b);
uint64_t sfp_sqrt(struct sfp_env *e, enum sfp_fmt f, uint64_t a);
/* MINPS/MAXPS semantics: NaN or both zero -> b; IE on any NaN */
uint64_t sfp_min(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b);
uint64_t sfp_max(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b);

/* Comparison: returns -1, 0, 1, or 2 (unordered). `signaling`: IE on QNaN
 * too (COMISS, LT/LE predicates). */
int sfp_compare(struct sfp_env *e, enum sfp_fmt f, uint64_t a, uint64_t b, bool signaling);

/* Format conversions. */
uint64_t sfp_f32_to_f64(struct sfp_env *e, uint32_t a);
uint32_t sfp_f64_to_f32(struct sfp_env *e, uint64_t a);
/* Integer -> float: value is signed of `bits` (32 or 64). */
uint64_t sfp_from_int(struct sfp_env *e, enum sfp_fmt f, int64_t v);
/* Float -> signed integer of `bits` (32 or 64); `truncate` rounds toward
 * zero regardless of the mode. Invalid/out of range: IE and the integer
 * indefinite (sign bit only). */
int64_t sfp_to_int(struct sfp_env *e, enum sfp_fmt f, uint64_t a, unsigned bits, bool truncate);

/* RCPSS/RSQRTSS approximations (relative error below 1.5 * 2^-12): this
 * core returns the correctly rounded reciprocal (square root). No flags. */
uint32_t sfp_rcp32(struct sfp_env *e, uint32_t a);
uint32_t sfp_rsqrt32(struct sfp_env *e, uint32_t a);

#endif
