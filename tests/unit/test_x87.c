/* test_x87.c: the x87 unit (models/cpu/x86/x87.c, f80.c, f80_trans.c).
 * (1) Differential against the host's x87 on x86-64 hosts: every instruction
 *     runs from the same FRSTOR image on both, and the FNSAVE images (control,
 *     status and tag words, all eight registers), memory results, AX and
 *     EFLAGS must agree bit for bit (transcendentals: within 1 ulp).
 * (2) Hand-written cases from the Intel SDM (FXAM classes, stack faults,
 *     FNSAVE/FNSTENV layouts, FBSTP, pending exceptions).
 * Environment: X87_CASES (per instruction, default 3000), X87_SEED,
 * X87_ONLY=<name> to run one instruction form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpu/x86/f80.h"
#include "models/cpu/x86/x87.h"

/* ---- emulator plumbing ---- */

struct test_mem {
    uint8_t *buf;
    unsigned size;
    bool fault;
};

static int test_mem_read(void *ctx, uint32_t off, void *buf, unsigned len)
{
    struct test_mem *m = ctx;
    if (m->fault || off + len > m->size)
        return -1;
    memcpy(buf, m->buf + off, len);
    return 0;
}

static int test_mem_write(void *ctx, uint32_t off, const void *buf, unsigned len)
{
    struct test_mem *m = ctx;
    if (m->fault || off + len > m->size)
        return -1;
    memcpy(m->buf + off, buf, len);
    return 0;
}

static enum x87_status emu_exec(struct x87 *f, uint8_t opcode, uint8_t modrm, uint8_t *buf, unsigned size,
                                uint32_t eflags, struct x87_result *res)
{
    struct test_mem tm = {buf, size, false};
    struct x87_mem mem = {test_mem_read, test_mem_write, &tm};
    struct x87_insn in = {0};
    in.opcode = opcode;
    in.modrm = modrm;
    in.has_mem = (modrm >> 6) != 3;
    in.op32 = true;
    in.cs = 0x33;
    in.ip = 0x401000;
    in.ds = 0x2B;
    in.ea = 0x602000;
    in.eflags = eflags;
    return x87_execute(f, &in, &mem, res);
}

/* ---- random values ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic across hosts */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }

static uint64_t rnd_mant(void)
{
    /* random bits, or long runs of ones/zeros that stress rounding */
    switch (rnd_below(6)) {
    case 0: return ~0ull << rnd_below(64);
    case 1: return (1ull << 63) | (rnd() >> rnd_below(64));
    case 2: return (1ull << 63) | (rnd() & (~0ull << rnd_below(64)));
    case 3: return (1ull << 63) | ((~0ull >> rnd_below(64)) ^ (rnd() & rnd() & rnd() & rnd()));
    default: return rnd();
    }
}

static struct f80 mkf(bool sign, unsigned exp, uint64_t mant)
{
    struct f80 v = {mant, (uint16_t)((sign ? 0x8000 : 0) | exp)};
    return v;
}

/* A value of a random class; `center`/`spread` bias normal exponents. */
static struct f80 gen_f80_around(int center, int spread, unsigned special_pct)
{
    bool s = rnd() & 1;
    if (rnd_below(100) < special_pct) {
        switch (rnd_below(12)) {
        case 0: return mkf(s, 0, 0);
        case 1: return mkf(s, 0x7FFF, 1ull << 63);
        case 2: return mkf(s, 0x7FFF, (3ull << 62) | (rnd() >> rnd_below(64) >> 2));   /* QNaN */
        case 3: return mkf(s, 0x7FFF, (1ull << 63) | ((rnd() >> 2) | 1));                /* SNaN */
        case 4: return mkf(s, 0, rnd() >> (1 + rnd_below(63)));                           /* denormal */
        case 5: return mkf(s, 0, (1ull << 63) | rnd());                                   /* pseudo-denormal */
        case 6: return mkf(s, 1 + rnd_below(0x7FFE), rnd() >> 1);                         /* unnormal */
        case 7: return mkf(s, 0x7FFF, rnd() >> 1);                                        /* pseudo-NaN/inf */
        case 8: return mkf(s, 0x7FFE, ~0ull);                                             /* max */
        case 9: return mkf(s, 1, 1ull << 63);                                             /* min normal */
        case 10: return mkf(s, 16383 + rnd_below(64), (1ull << 63) | (rnd() << (rnd_below(64)))); /* integers-ish */
        default: return mkf(s, 16383 - 1, 1ull << 63);                                     /* 0.5 */
        }
    }
    int e = 16383 + center + (spread ? (int)(rnd() % (2 * spread + 1)) - spread : 0);
    if (e < 1)
        e = 1;
    if (e > 0x7FFE)
        e = 0x7FFE;
    return mkf(s, (unsigned)e, (1ull << 63) | rnd_mant());
}

static struct f80 gen_f80(void)
{
    switch (rnd_below(5)) {
    case 0: return gen_f80_around(0, 0x3FFE, 15);
    case 1: return gen_f80_around(-16382, 70, 10);   /* near the denormal range */
    case 2: return gen_f80_around(16383, 5, 10);     /* near overflow */
    default: return gen_f80_around(0, 80, 15);
    }
}

static unsigned long total_one_ulp; /* transcendental results 1 ulp from the host */

/* ---- the host side ---- */

struct io {
    uint8_t in[108];
    uint8_t out[108];
    uint8_t mem[112];
    uint64_t eflags;
    uint16_t ax;
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(X87_TEST_NO_HOST)
#define HAVE_HOST_X87 1
/* FRSTOR the input image, run one instruction (memory operand at [rsi]),
 * read EFLAGS, FNSAVE. The red zone is stepped over around push/pop. */
#define HOST_FN(id, op, modrm)                                                            \
    static void host_##id(struct io *io)                                                  \
    {                                                                                     \
        uint64_t fl_in = io->eflags, fl_out, ax;                                          \
        __asm__ volatile("frstor (%[in])\n\t"                                             \
                         "lea -128(%%rsp), %%rsp\n\t"                                     \
                         "pushq %[fli]\n\t"                                               \
                         "popfq\n\t"                                                      \
                         "lea 128(%%rsp), %%rsp\n\t"                                      \
                         ".byte " #op ", " #modrm "\n\t"                                  \
                         "lea -128(%%rsp), %%rsp\n\t"                                     \
                         "pushfq\n\t"                                                     \
                         "popq %[flo]\n\t"                                                \
                         "lea 128(%%rsp), %%rsp\n\t"                                      \
                         "fnsave (%[out])\n\t"                                            \
                         : [flo] "=&r"(fl_out), "=&a"(ax)                                  \
                         : [in] "r"(io->in), [out] "r"(io->out), "S"(io->mem), [fli] "r"(fl_in) \
                         : "memory", "cc");                                               \
        io->eflags = fl_out;                                                              \
        io->ax = (uint16_t)ax;                                                            \
    }
#else
#define HAVE_HOST_X87 0
#define HOST_FN(id, op, modrm)
#endif

/* Operand profiles: how ST(0), ST(1), ST(2) and memory are generated. */
enum profile {
    P_ARITH, P_UNARY, P_PUSH, P_PUSH2, P_MEM_F32, P_MEM_F64, P_MEM_F80, P_MEM_I16, P_MEM_I32,
    P_MEM_I64, P_MEM_BCD, P_ST_F32, P_ST_F64, P_ST_INT, P_ST_BCD, P_SCALE, P_PREM, P_TRIG,
    P_F2XM1, P_YL2X, P_YL2XP1, P_PATAN, P_CW, P_NONE,
};

enum { F_TRANS = 1, F_EFLAGS = 2, F_AX = 4, F_ENV = 8 };

/* name, opcode, modrm (memory: mod 00 rm 110 = [rsi]), profile, flags */
#define X87_OPS(X)                                                     \
    X(fadd_st1, 0xD8, 0xC1, P_ARITH, 0)                                \
    X(fmul_st1, 0xD8, 0xC9, P_ARITH, 0)                                \
    X(fcom_st1, 0xD8, 0xD1, P_ARITH, 0)                                \
    X(fcomp_st1, 0xD8, 0xD9, P_ARITH, 0)                               \
    X(fsub_st1, 0xD8, 0xE1, P_ARITH, 0)                                \
    X(fsubr_st1, 0xD8, 0xE9, P_ARITH, 0)                               \
    X(fdiv_st1, 0xD8, 0xF1, P_ARITH, 0)                                \
    X(fdivr_st1, 0xD8, 0xF9, P_ARITH, 0)                               \
    X(fadd_m32, 0xD8, 0x06, P_MEM_F32, 0)                              \
    X(fmul_m32, 0xD8, 0x0E, P_MEM_F32, 0)                              \
    X(fcom_m32, 0xD8, 0x16, P_MEM_F32, 0)                              \
    X(fcomp_m32, 0xD8, 0x1E, P_MEM_F32, 0)                             \
    X(fsub_m32, 0xD8, 0x26, P_MEM_F32, 0)                              \
    X(fsubr_m32, 0xD8, 0x2E, P_MEM_F32, 0)                             \
    X(fdiv_m32, 0xD8, 0x36, P_MEM_F32, 0)                              \
    X(fdivr_m32, 0xD8, 0x3E, P_MEM_F32, 0)                             \
    X(fld_st2, 0xD9, 0xC2, P_PUSH, 0)                                  \
    X(fxch_st1, 0xD9, 0xC9, P_ARITH, 0)                                \
    X(fnop, 0xD9, 0xD0, P_UNARY, 0)                                    \
    X(fchs, 0xD9, 0xE0, P_UNARY, 0)                                    \
    X(fabs, 0xD9, 0xE1, P_UNARY, 0)                                    \
    X(ftst, 0xD9, 0xE4, P_UNARY, 0)                                    \
    X(fxam, 0xD9, 0xE5, P_UNARY, 0)                                    \
    X(fld1, 0xD9, 0xE8, P_PUSH, 0)                                     \
    X(fldl2t, 0xD9, 0xE9, P_PUSH, 0)                                   \
    X(fldl2e, 0xD9, 0xEA, P_PUSH, 0)                                   \
    X(fldpi, 0xD9, 0xEB, P_PUSH, 0)                                    \
    X(fldlg2, 0xD9, 0xEC, P_PUSH, 0)                                   \
    X(fldln2, 0xD9, 0xED, P_PUSH, 0)                                   \
    X(fldz, 0xD9, 0xEE, P_PUSH, 0)                                     \
    X(f2xm1, 0xD9, 0xF0, P_F2XM1, F_TRANS)                             \
    X(fyl2x, 0xD9, 0xF1, P_YL2X, F_TRANS)                              \
    X(fptan, 0xD9, 0xF2, P_TRIG, F_TRANS)                              \
    X(fpatan, 0xD9, 0xF3, P_PATAN, F_TRANS)                            \
    X(fxtract, 0xD9, 0xF4, P_PUSH2, 0)                                 \
    X(fprem1, 0xD9, 0xF5, P_PREM, 0)                                   \
    X(fdecstp, 0xD9, 0xF6, P_UNARY, 0)                                 \
    X(fincstp, 0xD9, 0xF7, P_UNARY, 0)                                 \
    X(fprem, 0xD9, 0xF8, P_PREM, 0)                                    \
    X(fyl2xp1, 0xD9, 0xF9, P_YL2XP1, F_TRANS)                          \
    X(fsqrt, 0xD9, 0xFA, P_UNARY, 0)                                   \
    X(fsincos, 0xD9, 0xFB, P_TRIG, F_TRANS)                            \
    X(frndint, 0xD9, 0xFC, P_UNARY, 0)                                 \
    X(fscale, 0xD9, 0xFD, P_SCALE, 0)                                  \
    X(fsin, 0xD9, 0xFE, P_TRIG, F_TRANS)                               \
    X(fcos, 0xD9, 0xFF, P_TRIG, F_TRANS)                               \
    X(fld_m32, 0xD9, 0x06, P_MEM_F32, 0)                               \
    X(fst_m32, 0xD9, 0x16, P_ST_F32, 0)                                \
    X(fstp_m32, 0xD9, 0x1E, P_ST_F32, 0)                               \
    X(fldcw_m16, 0xD9, 0x2E, P_CW, 0)                                  \
    X(fnstenv_m, 0xD9, 0x36, P_ARITH, F_ENV)                           \
    X(fnstcw_m16, 0xD9, 0x3E, P_ARITH, 0)                              \
    X(fcmovb, 0xDA, 0xC1, P_ARITH, 0)                                  \
    X(fcmove, 0xDA, 0xC9, P_ARITH, 0)                                  \
    X(fcmovbe, 0xDA, 0xD1, P_ARITH, 0)                                 \
    X(fcmovu, 0xDA, 0xD9, P_ARITH, 0)                                  \
    X(fucompp, 0xDA, 0xE9, P_ARITH, 0)                                 \
    X(fiadd_m32, 0xDA, 0x06, P_MEM_I32, 0)                             \
    X(fimul_m32, 0xDA, 0x0E, P_MEM_I32, 0)                             \
    X(ficom_m32, 0xDA, 0x16, P_MEM_I32, 0)                             \
    X(ficomp_m32, 0xDA, 0x1E, P_MEM_I32, 0)                            \
    X(fisub_m32, 0xDA, 0x26, P_MEM_I32, 0)                             \
    X(fisubr_m32, 0xDA, 0x2E, P_MEM_I32, 0)                            \
    X(fidiv_m32, 0xDA, 0x36, P_MEM_I32, 0)                             \
    X(fidivr_m32, 0xDA, 0x3E, P_MEM_I32, 0)                            \
    X(fcmovnb, 0xDB, 0xC1, P_ARITH, 0)                                 \
    X(fcmovne, 0xDB, 0xC9, P_ARITH, 0)                                 \
    X(fcmovnbe, 0xDB, 0xD1, P_ARITH, 0)                                \
    X(fcmovnu, 0xDB, 0xD9, P_ARITH, 0)                                 \
    X(fnclex, 0xDB, 0xE2, P_UNARY, 0)                                  \
    X(fninit, 0xDB, 0xE3, P_UNARY, 0)                                  \
    X(fucomi_st1, 0xDB, 0xE9, P_ARITH, F_EFLAGS)                       \
    X(fcomi_st1, 0xDB, 0xF1, P_ARITH, F_EFLAGS)                        \
    X(fild_m32, 0xDB, 0x06, P_MEM_I32, 0)                              \
    X(fisttp_m32, 0xDB, 0x0E, P_ST_INT, 0)                             \
    X(fist_m32, 0xDB, 0x16, P_ST_INT, 0)                               \
    X(fistp_m32, 0xDB, 0x1E, P_ST_INT, 0)                              \
    X(fld_m80, 0xDB, 0x2E, P_MEM_F80, 0)                               \
    X(fstp_m80, 0xDB, 0x3E, P_UNARY, 0)                                \
    X(fadd_st2_st, 0xDC, 0xC2, P_ARITH, 0)                             \
    X(fmul_st2_st, 0xDC, 0xCA, P_ARITH, 0)                             \
    X(fsubr_st2_st, 0xDC, 0xE2, P_ARITH, 0)                            \
    X(fsub_st2_st, 0xDC, 0xEA, P_ARITH, 0)                             \
    X(fdivr_st2_st, 0xDC, 0xF2, P_ARITH, 0)                            \
    X(fdiv_st2_st, 0xDC, 0xFA, P_ARITH, 0)                             \
    X(fadd_m64, 0xDC, 0x06, P_MEM_F64, 0)                              \
    X(fmul_m64, 0xDC, 0x0E, P_MEM_F64, 0)                              \
    X(fcom_m64, 0xDC, 0x16, P_MEM_F64, 0)                              \
    X(fcomp_m64, 0xDC, 0x1E, P_MEM_F64, 0)                             \
    X(fsub_m64, 0xDC, 0x26, P_MEM_F64, 0)                              \
    X(fsubr_m64, 0xDC, 0x2E, P_MEM_F64, 0)                             \
    X(fdiv_m64, 0xDC, 0x36, P_MEM_F64, 0)                              \
    X(fdivr_m64, 0xDC, 0x3E, P_MEM_F64, 0)                             \
    X(ffree_st1, 0xDD, 0xC1, P_ARITH, 0)                               \
    X(fst_st2, 0xDD, 0xD2, P_ARITH, 0)                                 \
    X(fstp_st2, 0xDD, 0xDA, P_ARITH, 0)                                \
    X(fucom_st1, 0xDD, 0xE1, P_ARITH, 0)                               \
    X(fucomp_st1, 0xDD, 0xE9, P_ARITH, 0)                              \
    X(fld_m64, 0xDD, 0x06, P_MEM_F64, 0)                               \
    X(fisttp_m64, 0xDD, 0x0E, P_ST_INT, 0)                             \
    X(fst_m64, 0xDD, 0x16, P_ST_F64, 0)                                \
    X(fstp_m64, 0xDD, 0x1E, P_ST_F64, 0)                               \
    X(fnstsw_m16, 0xDD, 0x3E, P_ARITH, 0)                              \
    X(faddp, 0xDE, 0xC1, P_ARITH, 0)                                   \
    X(fmulp, 0xDE, 0xC9, P_ARITH, 0)                                   \
    X(fcompp, 0xDE, 0xD9, P_ARITH, 0)                                  \
    X(fsubrp, 0xDE, 0xE1, P_ARITH, 0)                                  \
    X(fsubp, 0xDE, 0xE9, P_ARITH, 0)                                   \
    X(fdivrp, 0xDE, 0xF1, P_ARITH, 0)                                  \
    X(fdivp, 0xDE, 0xF9, P_ARITH, 0)                                   \
    X(fiadd_m16, 0xDE, 0x06, P_MEM_I16, 0)                             \
    X(fimul_m16, 0xDE, 0x0E, P_MEM_I16, 0)                             \
    X(ficom_m16, 0xDE, 0x16, P_MEM_I16, 0)                             \
    X(ficomp_m16, 0xDE, 0x1E, P_MEM_I16, 0)                            \
    X(fisub_m16, 0xDE, 0x26, P_MEM_I16, 0)                             \
    X(fisubr_m16, 0xDE, 0x2E, P_MEM_I16, 0)                            \
    X(fidiv_m16, 0xDE, 0x36, P_MEM_I16, 0)                             \
    X(fidivr_m16, 0xDE, 0x3E, P_MEM_I16, 0)                            \
    X(fnstsw_ax, 0xDF, 0xE0, P_ARITH, F_AX)                            \
    X(fucomip_st1, 0xDF, 0xE9, P_ARITH, F_EFLAGS)                      \
    X(fcomip_st1, 0xDF, 0xF1, P_ARITH, F_EFLAGS)                       \
    X(fild_m16, 0xDF, 0x06, P_MEM_I16, 0)                              \
    X(fisttp_m16, 0xDF, 0x0E, P_ST_INT, 0)                             \
    X(fist_m16, 0xDF, 0x16, P_ST_INT, 0)                               \
    X(fistp_m16, 0xDF, 0x1E, P_ST_INT, 0)                              \
    X(fbld_m80, 0xDF, 0x26, P_MEM_BCD, 0)                              \
    X(fild_m64, 0xDF, 0x2E, P_MEM_I64, 0)                              \
    X(fbstp_m80, 0xDF, 0x36, P_ST_BCD, 0)                              \
    X(fistp_m64, 0xDF, 0x3E, P_ST_INT, 0)                              \
    X(fstp1_st1, 0xD9, 0xD9, P_ARITH, 0)                               \
    X(fcom2_st1, 0xDC, 0xD1, P_ARITH, 0)                               \
    X(fcomp3_st1, 0xDC, 0xD9, P_ARITH, 0)                              \
    X(fxch4_st3, 0xDD, 0xCB, P_ARITH, 0)                               \
    X(fcomp5_st1, 0xDE, 0xD1, P_ARITH, 0)                              \
    X(ffreep_st1, 0xDF, 0xC1, P_ARITH, 0)                              \
    X(fxch7_st1, 0xDF, 0xC9, P_ARITH, 0)                               \
    X(fstp8_st1, 0xDF, 0xD1, P_ARITH, 0)                               \
    X(fstp9_st1, 0xDF, 0xD9, P_ARITH, 0)                               \
    X(fneni, 0xDB, 0xE0, P_UNARY, 0)                                   \
    X(fndisi, 0xDB, 0xE1, P_UNARY, 0)                                  \
    X(fnsetpm, 0xDB, 0xE4, P_UNARY, 0)

#define X_HOST(id, op, modrm, prof, fl) HOST_FN(id, op, modrm)
X87_OPS(X_HOST)

struct op_desc {
    const char *name;
    void (*host)(struct io *io);
    uint8_t opcode, modrm;
    enum profile profile;
    unsigned flags;
};

#if HAVE_HOST_X87
#define X_DESC(id, op, modrm, prof, fl) {#id, host_##id, op, modrm, prof, fl},
#else
#define X_DESC(id, op, modrm, prof, fl) {#id, NULL, op, modrm, prof, fl},
#endif
static const struct op_desc op_table[] = {X87_OPS(X_DESC)};
#define N_OPS (sizeof op_table / sizeof op_table[0])

/* ---- case generation ---- */

static void put_le(uint8_t *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, v >>= 8)
        b[i] = (uint8_t)v;
}

static uint64_t get_le(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = (v << 8) | b[i];
    return v;
}

static void put_f80(uint8_t *b, struct f80 v)
{
    put_le(b, v.mant, 8);
    put_le(b + 8, v.sign_exp, 2);
}

static struct f80 get_f80(const uint8_t *b)
{
    struct f80 v = {get_le(b, 8), (uint16_t)get_le(b + 8, 2)};
    return v;
}

static uint32_t gen_f32(void)
{
    uint32_t s = (uint32_t)(rnd() & 1) << 31;
    switch (rnd_below(10)) {
    case 0: return s;
    case 1: return s | 0x7F800000;
    case 2: return s | 0x7FC00000 | (uint32_t)(rnd() & 0x3FFFFF);
    case 3: return s | 0x7F800000 | (uint32_t)((rnd() & 0x3FFFFF) | 1);
    case 4: return s | (uint32_t)(rnd() & 0x7FFFFF);
    default: return (uint32_t)rnd();
    }
}

static uint64_t gen_f64(void)
{
    uint64_t s = (rnd() & 1) << 63;
    switch (rnd_below(10)) {
    case 0: return s;
    case 1: return s | 0x7FF0000000000000ull;
    case 2: return s | 0x7FF8000000000000ull | (rnd() >> 13);
    case 3: return s | 0x7FF0000000000000ull | ((rnd() >> 13) | 1);
    case 4: return s | (rnd() >> 12);
    case 5: return s | ((uint64_t)(1023 + rnd_below(130) - 65) << 52) | (rnd() >> 12);
    default: return rnd();
    }
}

static uint64_t gen_int(unsigned bits)
{
    uint64_t v;
    switch (rnd_below(6)) {
    case 0: v = 0; break;
    case 1: v = (uint64_t)1 << (bits - 1); break;
    case 2: v = ((uint64_t)1 << (bits - 1)) - 1; break;
    case 3: v = rnd() >> rnd_below(64); break;
    default: v = rnd(); break;
    }
    if (rnd() & 1)
        v = 0 - v;
    return v;
}

/* Values near the limits of a store's destination format. */
static struct f80 gen_for_store(enum profile p)
{
    if (rnd_below(4) == 0)
        return gen_f80();
    switch (p) {
    case P_ST_F32:
        return gen_f80_around(rnd() & 1 ? 127 : -130, 25, 5);
    case P_ST_F64:
        return gen_f80_around(rnd() & 1 ? 1023 : -1040, 60, 5);
    case P_ST_INT: {
        static const int centers[] = {14, 15, 30, 31, 62, 63, -1, 0, 3};
        if (rnd_below(3) == 0) { /* exact halves */
            int e = (int)rnd_below(20);
            uint64_t m = (rnd() | (1ull << 63)) & (~0ull << (62 - e));
            m |= 1ull << (62 - e);
            return mkf(rnd() & 1, (unsigned)(16383 + e), m);
        }
        return gen_f80_around(centers[rnd_below(9)], 1, 5);
    }
    default: /* BCD */
        return gen_f80_around(rnd_below(2) ? 59 : (int)rnd_below(60), 1, 5);
    }
}

static struct f80 gen_for_profile(enum profile p, int which)
{
    switch (p) {
    case P_TRIG:
        if (rnd_below(10) == 0)
            return gen_f80();
        if (rnd_below(4) == 0) {
            /* near a multiple of pi/2: the argument reduction must be exact */
            struct f80_ctx c;
            f80_ctx_from_cw(&c, 0x037F);
            struct f80 half_pi = f80_constant(&c, 3);
            half_pi.sign_exp--;
            struct f80 k = f80_from_int((int64_t)(rnd() >> rnd_below(64)) + 1);
            struct f80 x = f80_mul(&c, half_pi, k);
            x.mant += (rnd() & 15) - 8;
            x.sign_exp |= (uint16_t)((rnd() & 1) << 15);
            return x;
        }
        return gen_f80_around((int)rnd_below(70) - 6, 0, 3);
    case P_F2XM1:
        if (rnd_below(10) == 0)
            return gen_f80();
        return gen_f80_around(-(int)rnd_below(70), 0, 3);
    case P_YL2X:
        if (which == 0) {
            if (rnd_below(4) == 0)
                return gen_f80();
            struct f80 v = gen_f80_around(0, rnd_below(2) ? 3 : 2000, 3);
            v.sign_exp &= 0x7FFF;
            return v;
        }
        return rnd_below(3) ? gen_f80_around(0, 20, 5) : gen_f80();
    case P_YL2XP1:
        if (which == 0)
            return rnd_below(8) ? gen_f80_around(-2 - (int)rnd_below(70), 0, 3) : gen_f80();
        return rnd_below(3) ? gen_f80_around(0, 20, 5) : gen_f80();
    case P_PATAN:
        return rnd_below(3) ? gen_f80_around(0, 10, 5) : gen_f80();
    case P_SCALE:
        if (which == 1)
            return rnd_below(4) ? gen_f80_around((int)rnd_below(16) - 2, 0, 5) : gen_f80();
        return gen_f80();
    case P_PREM:
        if (which == 1)
            return gen_f80_around(0, 3, 5);
        return rnd_below(4) ? gen_f80_around((int)rnd_below(140) - 5, 0, 5) : gen_f80();
    default:
        break;
    }
    if (which == 1 && rnd_below(3) == 0)
        return gen_f80_around(0, 3, 0);
    return gen_f80();
}

struct test_case {
    struct io io;
    uint8_t image[108];
};

static void gen_case(const struct op_desc *d, struct io *io)
{
    memset(io, 0, sizeof *io);
    uint16_t cw = 0x0040 | (uint16_t)(rnd_below(4) << 10);
    static const uint16_t pcs[5] = {0x000, 0x200, 0x300, 0x300, 0x100};
    cw |= pcs[rnd_below(5)];
    cw |= rnd_below(4) ? 0x3F : (uint16_t)(rnd() & 0x3F);
    unsigned top = rnd_below(8);
    uint16_t sw = (uint16_t)(top << 11) | (uint16_t)(rnd() & 0x4700);
    if (rnd_below(4) == 0) /* sticky flags already set, masked ones only (no #MF on the host) */
        sw |= (uint16_t)(rnd() & cw & 0x3F) | (uint16_t)(rnd() & 0x40);
    /* live registers counted from ST(0) */
    unsigned depth = 8;
    bool pushes = d->profile == P_PUSH || d->profile == P_PUSH2 || d->profile == P_TRIG ||
                  d->profile == P_MEM_F32 || d->profile == P_MEM_F64 || d->profile == P_MEM_F80 ||
                  d->profile == P_MEM_I16 || d->profile == P_MEM_I32 || d->profile == P_MEM_I64 ||
                  d->profile == P_MEM_BCD;
    if (pushes)
        depth = 1 + rnd_below(6);
    if (rnd_below(30) == 0)
        depth = rnd_below(9);
    uint16_t tw = 0;
    for (unsigned i = 0; i < 8; i++) {
        unsigned phys = (top + i) & 7;
        if (i >= depth)
            tw |= (uint16_t)(3u << (2 * phys));
    }
    put_le(io->in + 0, 0xFFFF0000u | cw, 4);
    put_le(io->in + 4, 0xFFFF0000u | sw, 4);
    put_le(io->in + 8, 0xFFFF0000u | tw, 4);
    for (unsigned i = 0; i < 8; i++) {
        struct f80 v;
        if (i == 0 && (d->profile >= P_ST_F32 && d->profile <= P_ST_BCD))
            v = gen_for_store(d->profile);
        else
            v = gen_for_profile(d->profile, (int)i);
        put_f80(io->in + 28 + 10 * i, v);
    }
    if (d->profile == P_ARITH && rnd_below(3) == 0) {
        /* related operands: cancellation and alignment edges */
        struct f80 a = get_f80(io->in + 28);
        struct f80 b = a;
        b.sign_exp ^= (uint16_t)((rnd() & 1) << 15);
        int de = (int)rnd_below(70) * (rnd() & 1 ? 1 : -1);
        int e = (int)(b.sign_exp & 0x7FFF) + (rnd_below(2) ? 0 : de);
        if (e > 0 && e < 0x7FFF)
            b.sign_exp = (uint16_t)((b.sign_exp & 0x8000) | e);
        b.mant ^= rnd() >> rnd_below(64) >> (rnd_below(2) ? 40 : 0);
        put_f80(io->in + 28 + 10 * (1 + rnd_below(2)), b);
    }
    for (unsigned i = 0; i < sizeof io->mem; i++)
        io->mem[i] = (uint8_t)rnd();
    switch (d->profile) {
    case P_MEM_F32: put_le(io->mem, gen_f32(), 4); break;
    case P_MEM_F64: put_le(io->mem, gen_f64(), 8); break;
    case P_MEM_F80: put_f80(io->mem, gen_f80()); break;
    case P_MEM_I16: put_le(io->mem, gen_int(16), 2); break;
    case P_MEM_I32: put_le(io->mem, gen_int(32), 4); break;
    case P_MEM_I64: put_le(io->mem, gen_int(64), 8); break;
    case P_MEM_BCD:
        for (int i = 0; i < 9; i++)
            io->mem[i] = (uint8_t)(rnd_below(10) << 4 | rnd_below(10));
        io->mem[9] = (uint8_t)(rnd() & 0x80);
        break;
    case P_CW: put_le(io->mem, rnd(), 2); break;
    default: break;
    }
    io->eflags = 0x202 | (rnd() & 0x45);
}

/* ---- running and comparing ---- */

static void emu_run(const struct op_desc *d, struct io *io)
{
    struct x87 f;
    struct x87_result res;
    memset(&f, 0, sizeof f);
    x87_init(&f);
    uint8_t img[108];
    memcpy(img, io->in, 108);
    enum x87_status st = emu_exec(&f, 0xDD, 0x26, img, 108, 0, &res); /* frstor */
    assert_int_equal(st, X87_OK);
    st = emu_exec(&f, d->opcode, d->modrm, io->mem, sizeof io->mem, (uint32_t)io->eflags, &res);
    assert_int_equal(st, X87_OK);
    if (res.write_flags) {
        io->eflags &= ~0x45ull;
        io->eflags |= (res.zf ? 0x40 : 0) | (res.pf ? 0x04 : 0) | (res.cf ? 0x01 : 0);
    }
    if (res.write_ax)
        io->ax = res.ax;
    st = emu_exec(&f, 0xDD, 0x36, io->out, 108, 0, &res); /* fnsave */
    assert_int_equal(st, X87_OK);
}

/* Distance in ulps between two extended values of the same sign. */
static uint64_t ulp_distance(struct f80 a, struct f80 b)
{
    if ((a.sign_exp ^ b.sign_exp) & 0x8000)
        return (a.mant == b.mant && (a.sign_exp & 0x7FFF) == 0 && (b.sign_exp & 0x7FFF) == 0) ? 0 : ~0ull;
    /* map to a monotonic integer: exponent * 2^63 + fraction */
    unsigned ea = a.sign_exp & 0x7FFF, eb = b.sign_exp & 0x7FFF;
    if (ea == eb)
        return a.mant > b.mant ? a.mant - b.mant : b.mant - a.mant;
    if (ea + 1 == eb && a.mant >= (1ull << 63))
        return (b.mant - (1ull << 63)) + ((~0ull) - a.mant) + 1;
    if (eb + 1 == ea && b.mant >= (1ull << 63))
        return (a.mant - (1ull << 63)) + ((~0ull) - b.mant) + 1;
    return ~0ull;
}

static bool images_match(const struct op_desc *d, const struct io *h, const struct io *e, char *why, size_t n)
{
    uint16_t cw_mask = 0xFFFF;
    uint16_t sw_mask = (d->flags & F_TRANS) ? (uint16_t)~0x0200 : 0xFFFF; /* C1 = rounding direction */
    if (get_le(h->out, 4) != get_le(e->out, 4) || (get_le(h->out, 2) & cw_mask) != (get_le(e->out, 2) & cw_mask)) {
        snprintf(why, n, "cw %08llx vs %08llx", (unsigned long long)get_le(h->out, 4),
                 (unsigned long long)get_le(e->out, 4));
        return false;
    }
    if ((get_le(h->out + 4, 4) & (0xFFFF0000u | sw_mask)) != (get_le(e->out + 4, 4) & (0xFFFF0000u | sw_mask))) {
        snprintf(why, n, "sw %08llx vs %08llx", (unsigned long long)get_le(h->out + 4, 4),
                 (unsigned long long)get_le(e->out + 4, 4));
        return false;
    }
    if (get_le(h->out + 8, 4) != get_le(e->out + 8, 4)) {
        snprintf(why, n, "tw %08llx vs %08llx", (unsigned long long)get_le(h->out + 8, 4),
                 (unsigned long long)get_le(e->out + 8, 4));
        return false;
    }
    for (unsigned i = 0; i < 8; i++) {
        struct f80 a = get_f80(h->out + 28 + 10 * i), b = get_f80(e->out + 28 + 10 * i);
        if (a.mant == b.mant && a.sign_exp == b.sign_exp)
            continue;
        if ((d->flags & F_TRANS) && ulp_distance(a, b) <= 1) {
            total_one_ulp++;
            continue;
        }
        snprintf(why, n, "st%u %04x:%016llx vs %04x:%016llx", i, a.sign_exp, (unsigned long long)a.mant,
                 b.sign_exp, (unsigned long long)b.mant);
        return false;
    }
    unsigned memlen = (d->flags & F_ENV) ? 12 : sizeof h->mem;
    if (memcmp(h->mem, e->mem, memlen)) {
        snprintf(why, n, "mem %016llx %04llx vs %016llx %04llx", (unsigned long long)get_le(h->mem, 8),
                 (unsigned long long)get_le(h->mem + 8, 2), (unsigned long long)get_le(e->mem, 8),
                 (unsigned long long)get_le(e->mem + 8, 2));
        return false;
    }
    if ((d->flags & F_EFLAGS) && (h->eflags & 0x45) != (e->eflags & 0x45)) {
        snprintf(why, n, "eflags %llx vs %llx", (unsigned long long)(h->eflags & 0x45),
                 (unsigned long long)(e->eflags & 0x45));
        return false;
    }
    if ((d->flags & F_AX) && h->ax != e->ax) {
        snprintf(why, n, "ax %04x vs %04x", h->ax, e->ax);
        return false;
    }
    return true;
}

static void print_case(const struct io *in)
{
    printf("    in: cw %04x sw %04x tw %04x", (unsigned)get_le(in->in, 2), (unsigned)get_le(in->in + 4, 2),
           (unsigned)get_le(in->in + 8, 2));
    for (unsigned i = 0; i < 3; i++) {
        struct f80 v = get_f80(in->in + 28 + 10 * i);
        printf(" st%u=%04x:%016llx", i, v.sign_exp, (unsigned long long)v.mant);
    }
    printf(" mem=%016llx:%04llx efl=%llx\n", (unsigned long long)get_le(in->mem, 8),
           (unsigned long long)get_le(in->mem + 8, 2), (unsigned long long)in->eflags);
}

static unsigned cases_per_op(void)
{
    const char *e = getenv("X87_CASES");
    return e ? (unsigned)strtoul(e, NULL, 0) : 3000;
}

static unsigned long total_cases, total_mismatches;

/* Transcendental operands outside the documented domain give undefined
 * results (SDM F2XM1: -1..+1; FYL2XP1: |x| < 1 - sqrt(2)/2). */
static bool in_domain(const struct op_desc *d, const struct io *io)
{
    struct f80 x = get_f80(io->in + 28);
    unsigned e = x.sign_exp & 0x7FFF;
    bool finite_nonzero = e != 0x7FFF && (e != 0 || x.mant != 0) && (x.mant >> 63);
    unsigned top = (unsigned)(get_le(io->in + 4, 2) >> 11) & 7;
    bool empty = ((get_le(io->in + 8, 2) >> (2 * top)) & 3) == 3;
    if (empty || !finite_nonzero)
        return true;
    if (d->opcode == 0xD9 && d->modrm == 0xF0)
        return e < 0x3FFF || (e == 0x3FFF && x.mant == 1ull << 63);
    if (d->opcode == 0xD9 && d->modrm == 0xF9)
        return e < 0x3FFD || (e == 0x3FFD && x.mant < 0x95F619980C4336F7ull);
    return true;
}

static void run_ops(const char *prefix_filter, bool trans)
{
    if (!HAVE_HOST_X87) {
        printf("SKIP: differential tests need an x86-64 host with an x87\n");
        skip();
        return;
    }
    const char *only = getenv("X87_ONLY");
    unsigned n = cases_per_op();
    unsigned long failed_ops = 0;
    for (unsigned k = 0; k < N_OPS; k++) {
        const struct op_desc *d = &op_table[k];
        if (((d->flags & F_TRANS) != 0) != trans)
            continue;
        if (prefix_filter && strncmp(d->name, prefix_filter, strlen(prefix_filter)) != 0)
            continue;
        if (only && strcmp(only, d->name) != 0)
            continue;
        unsigned bad = 0;
        unsigned long one_ulp_before = total_one_ulp;
        const char *seed = getenv("X87_SEED");
        rng_state = 0x9E3779B97F4A7C15ull ^ (k * 0x100000001B3ull) ^ (seed ? strtoull(seed, NULL, 0) << 17 : 0);
        for (unsigned i = 0; i < n; i++) {
            struct io h, e, orig;
            gen_case(d, &h);
            if (!in_domain(d, &h)) {
                i--;
                continue;
            }
            e = h;
            orig = h;
            d->host(&h);
            emu_run(d, &e);
            char why[160];
            if (!images_match(d, &h, &e, why, sizeof why)) {
                if (bad < 4) {
                    printf("  %s case %u: host vs emu: %s\n", d->name, i, why);
                    print_case(&orig);
                    struct f80 hv = get_f80(h.out + 28), ev = get_f80(e.out + 28);
                    printf("    out st0: host %04x:%016llx emu %04x:%016llx\n", hv.sign_exp,
                           (unsigned long long)hv.mant, ev.sign_exp, (unsigned long long)ev.mant);
                }
                bad++;
            }
        }
        total_cases += n;
        total_mismatches += bad;
        if (trans)
            printf("  %-14s %u cases, %u mismatches (%lu results 1 ulp from the host)\n", d->name, n, bad,
                   total_one_ulp - one_ulp_before);
        else
            printf("  %-14s %u cases, %u mismatches\n", d->name, n, bad);
        if (bad)
            failed_ops++;
    }
    assert_int_equal(failed_ops, 0);
}

static void test_diff_basic(void **state)
{
    (void)state;
    run_ops(NULL, false);
}

static void test_diff_transcendental(void **state)
{
    (void)state;
    run_ops(NULL, true);
}

/* ---- hand-written SDM cases ---- */

struct rig {
    struct x87 f;
    uint8_t mem[128];
    struct x87_result res;
};

static enum x87_status rig_exec(struct rig *r, uint8_t op, uint8_t modrm)
{
    return emu_exec(&r->f, op, modrm, r->mem, sizeof r->mem, 0, &r->res);
}

static void rig_fld80(struct rig *r, struct f80 v)
{
    put_f80(r->mem, v);
    assert_int_equal(rig_exec(r, 0xDB, 0x2E), X87_OK); /* fld tbyte */
}

static uint16_t rig_sw(struct rig *r)
{
    assert_int_equal(rig_exec(r, 0xDF, 0xE0), X87_OK); /* fnstsw ax */
    return r->res.ax;
}

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof *r);
    x87_init(&r->f);
}

static void test_fxam_classes(void **state)
{
    (void)state;
    struct {
        struct f80 v;
        unsigned c3c2c0;
    } cases[] = {
        {{0, 0}, 4},                                 /* +0: zero */
        {{1ull << 63, 0x3FFF}, 2},                   /* 1.0: normal */
        {{1ull << 63, 0x7FFF}, 3},                   /* inf */
        {{3ull << 62, 0xFFFF}, 1},                   /* QNaN */
        {{(1ull << 63) | 1, 0x7FFF}, 1},             /* SNaN */
        {{1, 0}, 6},                                 /* denormal */
        {{1ull << 63, 0}, 6},                        /* pseudo-denormal */
        {{1, 0x3FFF}, 0},                            /* unnormal: unsupported */
        {{1, 0x7FFF}, 0},                            /* pseudo-NaN: unsupported */
        {{0, 0x7FFF}, 0},                            /* pseudo-infinity */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rig r;
        rig_init(&r);
        rig_fld80(&r, cases[i].v);
        assert_int_equal(rig_exec(&r, 0xD9, 0xE5), X87_OK);
        uint16_t sw = rig_sw(&r);
        unsigned cls = ((sw >> 14) & 1) << 2 | ((sw >> 10) & 1) << 1 | ((sw >> 8) & 1);
        assert_int_equal(cls, cases[i].c3c2c0);
        assert_int_equal((sw >> 9) & 1, cases[i].v.sign_exp >> 15);
    }
    /* empty: 101 */
    struct rig r;
    rig_init(&r);
    assert_int_equal(rig_exec(&r, 0xD9, 0xE5), X87_OK);
    uint16_t sw = rig_sw(&r);
    assert_int_equal(sw & 0x4500, 0x4100);
}

static void test_stack_faults(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    /* Underflow: FADD with an empty stack, masked: QNaN indefinite, IE+SF, C1=0. */
    assert_int_equal(rig_exec(&r, 0xD8, 0xC1), X87_OK);
    uint16_t sw = rig_sw(&r);
    assert_int_equal(sw & 0x02C1, 0x0041);
    assert_int_equal(r.f.r[0].sign_exp, 0xFFFF);
    assert_int_equal(r.f.r[0].mant, 0xC000000000000000ull);
    /* Overflow: nine FLD1, masked: IE+SF with C1=1, ST(0) indefinite. */
    rig_init(&r);
    for (int i = 0; i < 9; i++)
        assert_int_equal(rig_exec(&r, 0xD9, 0xE8), X87_OK);
    sw = rig_sw(&r);
    assert_int_equal(sw & 0x02C1, 0x0241);
    assert_int_equal((sw >> 11) & 7, 7);
    /* Unmasked: IM clear -> ES and B set, nothing written, next waiting
     * instruction reports X87_MF; FNSTSW still works. */
    rig_init(&r);
    put_le(r.mem, 0x037E, 2);
    assert_int_equal(rig_exec(&r, 0xD9, 0x2E), X87_OK); /* fldcw */
    assert_int_equal(rig_exec(&r, 0xD8, 0xC1), X87_OK);  /* fadd st,st1: underflow */
    sw = rig_sw(&r);
    assert_int_equal(sw & 0x80C1, 0x80C1);
    assert_int_equal(r.f.tw, 0xFFFF);
    assert_true(x87_exception_pending(&r.f));
    assert_int_equal(rig_exec(&r, 0xD9, 0xE8), X87_MF);  /* fld1 waits */
    assert_int_equal(rig_exec(&r, 0xDB, 0xE2), X87_OK);  /* fnclex */
    assert_false(x87_exception_pending(&r.f));
    assert_int_equal(rig_exec(&r, 0xD9, 0xE8), X87_OK);
    /* Unmasking a pending flag with FLDCW sets ES. */
    rig_init(&r);
    assert_int_equal(rig_exec(&r, 0xD8, 0xC1), X87_OK);  /* masked underflow: IE */
    assert_false(x87_exception_pending(&r.f));
    put_le(r.mem, 0x037E, 2);
    assert_int_equal(rig_exec(&r, 0xD9, 0x2E), X87_OK);
    assert_true(x87_exception_pending(&r.f));
    /* Undefined encodings. */
    assert_int_equal(rig_exec(&r, 0xD9, 0xD1), X87_UD);
    assert_int_equal(rig_exec(&r, 0xD9, 0x0E), X87_UD);
    assert_int_equal(rig_exec(&r, 0xDE, 0xD8), X87_UD);
}

static void test_fnsave_layouts(void **state)
{
    (void)state;
    struct x87_result res;
    for (int op32 = 0; op32 < 2; op32++) {
        for (int real = 0; real < 2; real++) {
            struct x87 f;
            memset(&f, 0, sizeof f);
            x87_init(&f);
            uint8_t mem[128];
            struct test_mem tm = {mem, sizeof mem, false};
            struct x87_mem m = {test_mem_read, test_mem_write, &tm};
            struct x87_insn in = {0};
            in.op32 = op32;
            in.real_mode = real;
            /* An instruction with a memory operand sets FIP/FCS/FDP/FDS/FOP. */
            in.opcode = 0xD9;
            in.modrm = 0x06; /* fld dword */
            in.has_mem = true;
            in.cs = 0x1234;
            in.ip = 0x5678;
            in.ds = 0x2345;
            in.ea = 0x6789;
            put_le(mem, 0x3F800000, 4);
            assert_int_equal(x87_execute(&f, &in, &m, &res), X87_OK);
            in.opcode = 0xDD;
            in.modrm = 0x36; /* fnsave */
            memset(mem, 0xAA, sizeof mem);
            assert_int_equal(x87_execute(&f, &in, &m, &res), X87_OK);
            unsigned env = op32 ? 28 : 14;
            assert_int_equal(mem[env + 80], 0xAA); /* wrote exactly env + 80 bytes */
            assert_int_equal(mem[env + 9], 0x3F);
            if (op32) {
                assert_int_equal(get_le(mem + 0, 2), 0x037F);
                assert_int_equal(get_le(mem + 4, 2), 0x3800); /* TOP = 7 */
                assert_int_equal(get_le(mem + 8, 2), 0x3FFF); /* R7 valid */
                if (real) {
                    uint32_t lin = 0x12340 + 0x5678;
                    assert_int_equal(get_le(mem + 12, 2), lin & 0xFFFF);
                    assert_int_equal(get_le(mem + 16, 4), ((lin >> 16) << 12) | 0x106);
                    uint32_t dl = 0x23450 + 0x6789;
                    assert_int_equal(get_le(mem + 20, 2), dl & 0xFFFF);
                    assert_int_equal(get_le(mem + 24, 4), (dl >> 16) << 12);
                } else {
                    assert_int_equal(get_le(mem + 12, 4), 0x5678);
                    assert_int_equal(get_le(mem + 16, 4), (0x106u << 16) | 0x1234);
                    assert_int_equal(get_le(mem + 20, 4), 0x6789);
                    assert_int_equal(get_le(mem + 24, 2), 0x2345);
                }
            } else {
                assert_int_equal(get_le(mem + 0, 2), 0x037F);
                assert_int_equal(get_le(mem + 2, 2), 0x3800);
                assert_int_equal(get_le(mem + 4, 2), 0x3FFF);
                if (real) {
                    uint32_t lin = 0x12340 + 0x5678;
                    assert_int_equal(get_le(mem + 6, 2), lin & 0xFFFF);
                    assert_int_equal(get_le(mem + 8, 2), ((lin >> 16) << 12) | 0x106);
                    uint32_t dl = 0x23450 + 0x6789;
                    assert_int_equal(get_le(mem + 10, 2), dl & 0xFFFF);
                    assert_int_equal(get_le(mem + 12, 2), (dl >> 16) << 12);
                } else {
                    assert_int_equal(get_le(mem + 6, 2), 0x5678);
                    assert_int_equal(get_le(mem + 8, 2), 0x1234);
                    assert_int_equal(get_le(mem + 10, 2), 0x6789);
                    assert_int_equal(get_le(mem + 12, 2), 0x2345);
                }
            }
            /* ST(0) = 1.0 */
            assert_int_equal(get_le(mem + env, 8), 0x8000000000000000ull);
            assert_int_equal(get_le(mem + env + 8, 2), 0x3FFF);
            /* FNSAVE reinitializes. */
            assert_int_equal(f.tw, 0xFFFF);
            assert_int_equal(f.cw, 0x037F);
            /* FRSTOR brings it back. */
            in.modrm = 0x26;
            assert_int_equal(x87_execute(&f, &in, &m, &res), X87_OK);
            assert_int_equal(f.tw, 0x3FFF);
            assert_int_equal((f.sw >> 11) & 7, 7);
            assert_int_equal(f.r[7].sign_exp, 0x3FFF);
            if (!real) {
                assert_int_equal(f.fcs, 0x1234);
                assert_int_equal(f.fip, 0x5678);
            }
            /* A faulting FNSAVE changes nothing. */
            tm.fault = true;
            in.modrm = 0x36;
            assert_int_equal(x87_execute(&f, &in, &m, &res), X87_FAULT);
            assert_int_equal(f.tw, 0x3FFF);
        }
    }
}

static void test_fbstp_values(void **state)
{
    (void)state;
    struct {
        int64_t v;
        uint8_t bcd[10];
    } cases[] = {
        {0, {0}},
        {1, {0x01}},
        {-1, {0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}},
        {1234567890, {0x90, 0x78, 0x56, 0x34, 0x12}},
        {999999999999999999ll, {0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0}},
        {-987654321012345678ll, {0x78, 0x56, 0x34, 0x12, 0x10, 0x32, 0x54, 0x76, 0x98, 0x80}},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rig r;
        rig_init(&r);
        put_le(r.mem, (uint64_t)cases[i].v, 8);
        assert_int_equal(rig_exec(&r, 0xDF, 0x2E), X87_OK); /* fild qword */
        assert_int_equal(rig_exec(&r, 0xDF, 0x36), X87_OK); /* fbstp */
        assert_memory_equal(r.mem, cases[i].bcd, 10);
        assert_int_equal(r.f.tw, 0xFFFF);
        /* and back with FBLD */
        assert_int_equal(rig_exec(&r, 0xDF, 0x26), X87_OK);
        struct f80 back = r.f.r[7];
        struct f80 want = f80_from_int(cases[i].v);
        assert_int_equal(back.mant, want.mant);
        assert_int_equal(back.sign_exp, want.sign_exp);
    }
    /* 2.5 rounds to 2 (nearest even), sets PE; 10^18 is invalid -> indefinite. */
    struct rig r;
    rig_init(&r);
    rig_fld80(&r, mkf(false, 0x4000, 0xA000000000000000ull));
    assert_int_equal(rig_exec(&r, 0xDF, 0x36), X87_OK);
    assert_int_equal(r.mem[0], 0x02);
    assert_int_equal(rig_sw(&r) & 0x3F, 0x20);
    rig_init(&r);
    put_le(r.mem, 1000000000000000000ull, 8);
    assert_int_equal(rig_exec(&r, 0xDF, 0x2E), X87_OK);
    assert_int_equal(rig_exec(&r, 0xDF, 0x36), X87_OK);
    static const uint8_t indef[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
    assert_memory_equal(r.mem, indef, 10);
    assert_int_equal(rig_sw(&r) & 0x3F, 0x01);
}

/* A faulting memory operand leaves the unit exactly as it was. */
static void test_memory_faults(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_int_equal(rig_exec(&r, 0xD9, 0xEB), X87_OK); /* fldpi */
    struct x87 before = r.f;
    static const uint8_t ops[][2] = {
        {0xDD, 0x16}, /* fst qword */
        {0xDD, 0x1E}, /* fstp qword */
        {0xD9, 0x06}, /* fld dword */
        {0xDF, 0x36}, /* fbstp */
        {0xDB, 0x3E}, /* fstp tbyte */
        {0xD8, 0x06}, /* fadd dword */
        {0xDD, 0x26}, /* frstor */
        {0xD9, 0x26}, /* fldenv */
        {0xD9, 0x36}, /* fnstenv */
        {0xD9, 0x2E}, /* fldcw */
    };
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        struct test_mem tm = {r.mem, sizeof r.mem, true};
        struct x87_mem mem = {test_mem_read, test_mem_write, &tm};
        struct x87_insn in = {0};
        in.opcode = ops[i][0];
        in.modrm = ops[i][1];
        in.has_mem = true;
        in.op32 = true;
        in.ip = 0x1234;
        assert_int_equal(x87_execute(&r.f, &in, &mem, &r.res), X87_FAULT);
        assert_memory_equal(&r.f, &before, sizeof before);
    }
}

/* FNSTENV stores without waiting and then masks every exception; FLDENV
 * of a 16-bit real-mode image restores it (SDM figures 8-9, 8-12). */
static void test_env_roundtrip(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    put_le(r.mem, 0x0372, 2); /* unmask IE, ZE, DE */
    assert_int_equal(rig_exec(&r, 0xD9, 0x2E), X87_OK);
    assert_int_equal(rig_exec(&r, 0xD9, 0xEE), X87_OK); /* fldz */
    assert_int_equal(rig_exec(&r, 0xD9, 0xE8), X87_OK); /* fld1 */
    assert_int_equal(rig_exec(&r, 0xDE, 0xF9), X87_OK); /* fdivp: 0/1 = 0, fine */
    assert_int_equal(rig_exec(&r, 0xD9, 0xE8), X87_OK);
    assert_int_equal(rig_exec(&r, 0xD9, 0xEE), X87_OK);
    assert_int_equal(rig_exec(&r, 0xDE, 0xF9), X87_OK); /* fdivp: 1/0: ZE unmasked */
    assert_true(x87_exception_pending(&r.f));
    assert_int_equal(r.f.tw, 0x47FF); /* R7 = 0, R6 = 1, R5 = 0: no pop */
    assert_int_equal(rig_exec(&r, 0xD9, 0xE8), X87_MF);
    struct test_mem tm = {r.mem, sizeof r.mem, false};
    struct x87_mem mem = {test_mem_read, test_mem_write, &tm};
    struct x87_insn in = {0};
    in.opcode = 0xD9;
    in.modrm = 0x36; /* fnstenv, 16-bit real mode */
    in.has_mem = true;
    in.real_mode = true;
    assert_int_equal(x87_execute(&r.f, &in, &mem, &r.res), X87_OK);
    assert_int_equal(get_le(r.mem, 2), 0x0372);
    assert_int_equal(get_le(r.mem + 2, 2) & 0x80BF, 0x8084); /* B, ES, ZE */
    assert_int_equal(get_le(r.mem + 4, 2), 0x47FF);
    assert_int_equal(r.f.cw, 0x037F);                          /* now all masked */
    /* Change the state, then load the image back. */
    assert_int_equal(rig_exec(&r, 0xDB, 0xE2), X87_OK); /* fnclex */
    assert_int_equal(rig_exec(&r, 0xDB, 0xE3), X87_OK); /* fninit */
    in.modrm = 0x26; /* fldenv */
    assert_int_equal(x87_execute(&r.f, &in, &mem, &r.res), X87_OK);
    assert_int_equal(r.f.cw, 0x0372);
    assert_true(x87_exception_pending(&r.f));
    assert_int_equal(r.f.tw, 0x47FF);
}

static void test_fxsave_image(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_int_equal(rig_exec(&r, 0xD9, 0xEB), X87_OK); /* fldpi */
    assert_int_equal(rig_exec(&r, 0xD9, 0xEE), X87_OK); /* fldz */
    uint8_t img[512];
    memset(img, 0x5A, sizeof img);
    x87_fxsave(&r.f, img, false);
    assert_int_equal(get_le(img, 2), 0x037F);
    assert_int_equal(get_le(img + 2, 2), 0x3000);
    assert_int_equal(img[4], 0xC0); /* R6, R7 in use */
    assert_int_equal(img[24], 0x5A); /* MXCSR left to the core */
    assert_int_equal(get_le(img + 32 + 8, 2), 0);
    assert_int_equal(get_le(img + 48, 8), 0xC90FDAA22168C235ull);
    struct x87 g;
    memset(&g, 0, sizeof g);
    x87_fxrstor(&g, img, false);
    assert_int_equal(g.tw, r.f.tw);
    assert_int_equal(g.sw, r.f.sw);
    assert_memory_equal(g.r, r.f.r, sizeof g.r);
}

static void test_reset_state(void **state)
{
    (void)state;
    struct x87 f;
    memset(&f, 0xCC, sizeof f);
    x87_reset(&f);
    assert_int_equal(f.cw, 0x0040);
    assert_int_equal(f.sw, 0);
    assert_int_equal(f.tw, 0x5555);
    x87_init(&f);
    assert_int_equal(f.cw, 0x037F);
    assert_int_equal(f.tw, 0xFFFF);
    char buf[64];
    struct x87_insn in = {0};
    in.opcode = 0xDE;
    in.modrm = 0xF9;
    x87_disasm(&in, buf, sizeof buf);
    assert_string_equal(buf, "fdivp st(1),st(0)");
    in.opcode = 0xDD;
    in.modrm = 0x06;
    in.has_mem = true;
    in.ea = 0x10;
    x87_disasm(&in, buf, sizeof buf);
    assert_string_equal(buf, "fld qword [0x10]");
}

/* FXSAVE of the model against the host's (32-bit form: no REX.W). */
static void test_fxsave_vs_host(void **state)
{
    (void)state;
#if HAVE_HOST_X87
    unsigned bad = 0, n = 2000;
    static const struct op_desc fake = {"fxsave", NULL, 0xD9, 0xD0, P_ARITH, 0};
    for (unsigned i = 0; i < n; i++) {
        struct io io;
        gen_case(&fake, &io);
        _Alignas(16) uint8_t host_img[512];
        uint8_t emu_img[512];
        memset(host_img, 0, sizeof host_img);
        memset(emu_img, 0, sizeof emu_img);
        __asm__ volatile("frstor (%0)\n\tfxsave (%1)\n\tfninit" : : "r"(io.in), "r"(host_img) : "memory");
        struct x87 f;
        struct x87_result res;
        memset(&f, 0, sizeof f);
        x87_init(&f);
        assert_int_equal(emu_exec(&f, 0xDD, 0x26, io.in, 108, 0, &res), X87_OK);
        x87_fxsave(&f, emu_img, false);
        /* FCW, FSW, abridged FTW, reserved; registers (FOP and pointers differ) */
        if (memcmp(host_img, emu_img, 6) || memcmp(host_img + 32, emu_img + 32, 128)) {
            if (bad < 3)
                printf("  fxsave case %u: header %012llx vs %012llx\n", i,
                       (unsigned long long)get_le(host_img, 6), (unsigned long long)get_le(emu_img, 6));
            bad++;
        }
        /* and FXRSTOR of the host image gives the same state back */
        struct x87 g;
        memset(&g, 0, sizeof g);
        x87_fxrstor(&g, host_img, false);
        uint8_t again[512];
        memset(again, 0, sizeof again);
        x87_fxsave(&g, again, false);
        if (memcmp(again, emu_img, 6) || memcmp(again + 32, emu_img + 32, 128) || g.tw != f.tw)
            bad++;
    }
    printf("  fxsave/fxrstor %u cases, %u mismatches\n", n, bad);
    total_cases += n;
    total_mismatches += bad;
    assert_int_equal(bad, 0);
#else
    printf("SKIP: FXSAVE comparison needs an x86-64 host\n");
    skip();
#endif
}

static void test_summary(void **state)
{
    (void)state;
    printf("differential total: %lu cases, %lu mismatches\n", total_cases, total_mismatches);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fxam_classes),
        cmocka_unit_test(test_stack_faults),
        cmocka_unit_test(test_fnsave_layouts),
        cmocka_unit_test(test_fbstp_values),
        cmocka_unit_test(test_fxsave_image),
        cmocka_unit_test(test_memory_faults),
        cmocka_unit_test(test_env_roundtrip),
        cmocka_unit_test(test_reset_state),
        cmocka_unit_test(test_diff_basic),
        cmocka_unit_test(test_diff_transcendental),
        cmocka_unit_test(test_fxsave_vs_host),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
