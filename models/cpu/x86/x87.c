/* x87.c: the x87 floating-point unit of an x86 processor (register stack,
 * control/status/tag words, every ESC D8-DF instruction, exceptions).
 * Intel SDM vol. 1 ch. 8 and vol. 2 (FABS..FYL2XP1); arithmetic in f80.c. */
#include "models/cpu/x86/x87.h"

#include <stdio.h>
#include <string.h>

#include "models/cpu/x86/f80.h"

/* Status word (SDM figure 8-4). */
#define X87_SW_IE 0x0001
#define X87_SW_DE 0x0002
#define X87_SW_ZE 0x0004
#define X87_SW_OE 0x0008
#define X87_SW_UE 0x0010
#define X87_SW_PE 0x0020
#define X87_SW_SF 0x0040
#define X87_SW_ES 0x0080
#define X87_SW_C0 0x0100
#define X87_SW_C1 0x0200
#define X87_SW_C2 0x0400
#define X87_SW_TOP 0x3800
#define X87_SW_C3 0x4000
#define X87_SW_B 0x8000
#define X87_SW_CC (X87_SW_C0 | X87_SW_C1 | X87_SW_C2 | X87_SW_C3)
#define X87_SW_EXC 0x003F

/* Control word (SDM figure 8-6): bits 0-5 masks, 8-9 PC, 10-11 RC, 12 X. */
#define X87_CW_IM 0x0001
#define X87_CW_VALID 0x1F3F
#define X87_CW_ALWAYS 0x0040 /* reserved bit 6 reads as 1 */

/* Tag values (SDM figure 8-7). */
enum { X87_TAG_VALID = 0, X87_TAG_ZERO = 1, X87_TAG_SPECIAL = 2, X87_TAG_EMPTY = 3 };

/* One instruction in flight. */
struct x87_exec {
    struct x87 *f;
    const struct x87_insn *in;
    const struct x87_mem *mem;
    struct x87_result *res;
};

/* ---- register stack ---- */

static unsigned x87_top(const struct x87 *f) { return (f->sw >> 11) & 7; }

static void x87_set_top(struct x87 *f, unsigned top)
{
    f->sw = (uint16_t)((f->sw & ~X87_SW_TOP) | ((top & 7) << 11));
}

static unsigned x87_phys(const struct x87 *f, unsigned i) { return (x87_top(f) + i) & 7; }

static unsigned x87_tag_of(struct f80 v)
{
    if (f80_is_zero(v))
        return X87_TAG_ZERO;
    if (f80_exp(v) == F80_EXP_MAX || f80_exp(v) == 0 || !(v.mant & F80_INT_BIT))
        return X87_TAG_SPECIAL;
    return X87_TAG_VALID;
}

static unsigned x87_phys_tag(const struct x87 *f, unsigned p) { return (f->tw >> (2 * p)) & 3; }

static void x87_set_phys_tag(struct x87 *f, unsigned p, unsigned tag)
{
    f->tw = (uint16_t)((f->tw & ~(3u << (2 * p))) | (tag << (2 * p)));
}

static bool x87_empty(const struct x87 *f, unsigned i)
{
    return x87_phys_tag(f, x87_phys(f, i)) == X87_TAG_EMPTY;
}

static struct f80 x87_st(const struct x87 *f, unsigned i) { return f->r[x87_phys(f, i)]; }

static void x87_write_st(struct x87 *f, unsigned i, struct f80 v)
{
    unsigned p = x87_phys(f, i);
    f->r[p] = v;
    x87_set_phys_tag(f, p, x87_tag_of(v));
}

static void x87_pop(struct x87 *f)
{
    x87_set_phys_tag(f, x87_phys(f, 0), X87_TAG_EMPTY);
    x87_set_top(f, x87_top(f) + 1);
}

static void x87_push(struct x87 *f, struct f80 v)
{
    x87_set_top(f, x87_top(f) - 1);
    x87_write_st(f, 0, v);
}

/* Recomputes the tags of non-empty registers from their contents, as the
 * hardware does when it loads or stores a tag word. */
static void x87_retag(struct x87 *f)
{
    for (unsigned p = 0; p < 8; p++)
        if (x87_phys_tag(f, p) != X87_TAG_EMPTY)
            x87_set_phys_tag(f, p, x87_tag_of(f->r[p]));
}

/* ---- exceptions ---- */

/* ES and B summarize the unmasked exception flags (SDM 8.1.3.1). */
static void x87_update_es(struct x87 *f)
{
    if (f->sw & ~f->cw & X87_SW_EXC)
        f->sw |= X87_SW_ES | X87_SW_B;
    else
        f->sw &= (uint16_t)~(X87_SW_ES | X87_SW_B);
}

static void x87_raise(struct x87 *f, unsigned flags)
{
    f->sw |= (uint16_t)(flags & (X87_SW_EXC | X87_SW_SF));
    x87_update_es(f);
}

static void x87_set_c1(struct x87 *f, bool on)
{
    f->sw = (uint16_t)(on ? f->sw | X87_SW_C1 : f->sw & ~X87_SW_C1);
}

static void x87_set_cc(struct x87 *f, bool c3, bool c2, bool c1, bool c0)
{
    f->sw &= (uint16_t)~X87_SW_CC;
    f->sw |= (uint16_t)((c3 ? X87_SW_C3 : 0) | (c2 ? X87_SW_C2 : 0) | (c1 ? X87_SW_C1 : 0) |
                        (c0 ? X87_SW_C0 : 0));
}

static bool x87_masked(const struct x87 *f, unsigned flag) { return (f->cw & flag) != 0; }

/* Stack underflow (SDM 8.5.1.1): IE+SF with C1=0. True when masked, so the
 * caller delivers the QNaN indefinite. */
static bool x87_stack_underflow(struct x87 *f)
{
    x87_set_c1(f, false);
    x87_raise(f, X87_SW_IE | X87_SW_SF);
    return x87_masked(f, X87_CW_IM);
}

static bool x87_stack_overflow(struct x87 *f)
{
    x87_set_c1(f, true);
    x87_raise(f, X87_SW_IE | X87_SW_SF);
    return x87_masked(f, X87_CW_IM);
}

static void x87_ctx(const struct x87 *f, struct f80_ctx *c) { f80_ctx_from_cw(c, f->cw); }

/* Records an operation's exceptions and C1; true when the result may be
 * delivered (no unmasked IE/DE/ZE). */
static bool x87_account(struct x87 *f, const struct f80_ctx *c)
{
    x87_set_c1(f, (c->flags & F80_C1) != 0);
    x87_raise(f, c->flags);
    return !f80_ctx_blocks_result(c);
}

/* ---- memory ---- */

static int x87_read(const struct x87_exec *x, uint32_t off, void *buf, unsigned len)
{
    return x->mem->read(x->mem->ctx, off, buf, len);
}

static int x87_write(const struct x87_exec *x, uint32_t off, const void *buf, unsigned len)
{
    return x->mem->write(x->mem->ctx, off, buf, len);
}

static uint64_t x87_le(const uint8_t *b, unsigned len)
{
    uint64_t v = 0;
    for (unsigned i = len; i-- > 0;)
        v = (v << 8) | b[i];
    return v;
}

static void x87_put_le(uint8_t *b, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++, v >>= 8)
        b[i] = (uint8_t)v;
}

static struct f80 x87_f80_from_bytes(const uint8_t *b)
{
    struct f80 v = {x87_le(b, 8), (uint16_t)x87_le(b + 8, 2)};
    return v;
}

static void x87_f80_to_bytes(uint8_t *b, struct f80 v)
{
    x87_put_le(b, v.mant, 8);
    x87_put_le(b + 8, v.sign_exp, 2);
}

/* Reads an integer or floating memory operand (D8/DA/DC/DE arithmetic)
 * as an f80; *denormal reports a denormal single/double source. */
static int x87_read_operand(const struct x87_exec *x, struct f80 *v, bool *denormal)
{
    uint8_t b[8];
    *denormal = false;
    switch (x->in->opcode) {
    case 0xD8:
        if (x87_read(x, 0, b, 4))
            return -1;
        *v = f80_from_f32_operand((uint32_t)x87_le(b, 4), denormal);
        return 0;
    case 0xDC:
        if (x87_read(x, 0, b, 8))
            return -1;
        *v = f80_from_f64_operand(x87_le(b, 8), denormal);
        return 0;
    case 0xDA:
        if (x87_read(x, 0, b, 4))
            return -1;
        *v = f80_from_int((int32_t)(uint32_t)x87_le(b, 4));
        return 0;
    default:
        if (x87_read(x, 0, b, 2))
            return -1;
        *v = f80_from_int((int16_t)(uint16_t)x87_le(b, 2));
        return 0;
    }
}

/* ---- arithmetic ---- */

enum x87_arith_op { X87_ADD, X87_MUL, X87_COM, X87_COMP, X87_SUB, X87_SUBR, X87_DIV, X87_DIVR };

static struct f80 x87_arith_compute(struct f80_ctx *c, unsigned op, struct f80 a, struct f80 b)
{
    switch (op) {
    case X87_ADD: return f80_add(c, a, b);
    case X87_MUL: return f80_mul(c, a, b);
    case X87_SUB: return f80_sub(c, a, b);
    case X87_SUBR: return f80_sub(c, b, a);
    case X87_DIV: return f80_div(c, a, b);
    default: return f80_div(c, b, a);
    }
}

static bool x87_nan_or_unsupported(struct f80 v) { return f80_is_nan(v) || f80_is_unsupported(v); }

/* ST(dst) <- ST(dst) op src, popping afterwards if asked. */
static void x87_arith(struct x87 *f, unsigned op, unsigned dst, struct f80 src, bool src_empty,
                      bool src_denormal, bool pop)
{
    if (x87_empty(f, dst) || src_empty) {
        if (!x87_stack_underflow(f))
            return;
        x87_write_st(f, dst, f80_indefinite());
        if (pop)
            x87_pop(f);
        return;
    }
    struct f80_ctx c;
    x87_ctx(f, &c);
    struct f80 a = x87_st(f, dst);
    if (src_denormal && !x87_nan_or_unsupported(a) && !f80_is_nan(src))
        c.flags |= F80_DE;
    struct f80 r = x87_arith_compute(&c, op, a, src);
    if (!x87_account(f, &c))
        return;
    x87_write_st(f, dst, r);
    if (pop)
        x87_pop(f);
}

/* FCOM/FUCOM/FICOM/FTST and FCOMI/FUCOMI: compare ST(0) with src. */
static void x87_compare(const struct x87_exec *x, struct f80 src, bool src_empty, bool src_denormal,
                        bool quiet, unsigned pops, bool to_eflags)
{
    struct x87 *f = x->f;
    int rel;
    bool keep_c1 = to_eflags;
    if (x87_empty(f, 0) || src_empty) {
        if (!x87_stack_underflow(f))
            pops = 0;
        rel = F80_UNORDERED;
        keep_c1 = false;
    } else {
        struct f80_ctx c;
        x87_ctx(f, &c);
        struct f80 a = x87_st(f, 0);
        if (src_denormal && !x87_nan_or_unsupported(a) && !f80_is_nan(src))
            c.flags |= F80_DE;
        rel = f80_compare(&c, a, src, quiet);
        if (!to_eflags)
            x87_set_c1(f, false);
        x87_raise(f, c.flags);
        /* The condition codes are written even when the exception is
         * unmasked; only the pops are suppressed. */
        if (f80_ctx_blocks_result(&c))
            pops = 0;
    }
    bool z = rel == F80_EQ || rel == F80_UNORDERED;
    bool p = rel == F80_UNORDERED;
    bool cy = rel == F80_LT || rel == F80_UNORDERED;
    if (to_eflags) {
        x->res->write_flags = true;
        x->res->zf = z;
        x->res->pf = p;
        x->res->cf = cy;
        if (!keep_c1)
            x87_set_c1(f, false);
    } else {
        x87_set_cc(f, z, p, false, cy);
    }
    while (pops--)
        x87_pop(f);
}

/* ---- FXAM and BCD ---- */

static void x87_fxam(struct x87 *f)
{
    struct f80 v = x87_st(f, 0);
    bool sign = f80_sign(v);
    unsigned cls; /* C3 C2 C0 */
    if (x87_empty(f, 0))
        cls = 5;
    else if (f80_is_unsupported(v))
        cls = 0;
    else if (f80_is_nan(v))
        cls = 1;
    else if (f80_is_inf(v))
        cls = 3;
    else if (f80_is_zero(v))
        cls = 4;
    else if (f80_is_denormal(v))
        cls = 6;
    else
        cls = 2;
    x87_set_cc(f, cls & 4, cls & 2, sign, cls & 1);
}

static const uint8_t x87_bcd_indefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};

static struct f80 x87_bcd_to_f80(const uint8_t *b)
{
    int64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (b[i] >> 4) * 10 + (b[i] & 15);
    bool sign = (b[9] & 0x80) != 0;
    if (v == 0)
        return f80_zero(sign);
    struct f80 r = f80_from_int(v);
    r.sign_exp |= sign ? 0x8000 : 0;
    return r;
}

/* FBSTP: round to an integer by RC and pack 18 digits (SDM FBSTP). */
static bool x87_f80_to_bcd(struct f80_ctx *c, struct f80 v, uint8_t *b)
{
    struct f80_ctx t = *c;
    int64_t iv = f80_to_int(&t, v, 64, false);
    uint64_t mag = iv < 0 ? (uint64_t)0 - (uint64_t)iv : (uint64_t)iv;
    if ((t.flags & F80_IE) || mag > 999999999999999999ull) {
        c->flags |= F80_IE | (t.flags & F80_DE);
        memcpy(b, x87_bcd_indefinite, 10);
        return false;
    }
    c->flags |= t.flags;
    for (int i = 0; i < 9; i++) {
        unsigned lo = (unsigned)(mag % 10);
        mag /= 10;
        unsigned hi = (unsigned)(mag % 10);
        mag /= 10;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    b[9] = f80_sign(v) ? 0x80 : 0;
    return true;
}

/* ---- environment images (SDM figures 8-9 to 8-12) ---- */

static unsigned x87_env_size(const struct x87_insn *in) { return in->op32 ? 28 : 14; }

static void x87_env_store(const struct x87 *f, const struct x87_insn *in, uint8_t *b)
{
    uint16_t tw = f->tw;
    uint32_t fip = (uint32_t)f->fip, fdp = (uint32_t)f->fdp;
    if (in->real_mode) {
        fip = (uint32_t)(f->fcs << 4) + fip; /* real mode saves linear addresses */
        fdp = (uint32_t)(f->fds << 4) + fdp;
    }
    if (in->op32) {
        memset(b, 0, 28);
        x87_put_le(b + 0, 0xFFFF0000u | f->cw, 4);
        x87_put_le(b + 4, 0xFFFF0000u | f->sw, 4);
        x87_put_le(b + 8, 0xFFFF0000u | tw, 4);
        if (in->real_mode) {
            x87_put_le(b + 12, 0xFFFF0000u | (fip & 0xFFFF), 4);
            x87_put_le(b + 16, ((fip >> 16) << 12) | (f->fop & 0x7FF), 4);
            x87_put_le(b + 20, 0xFFFF0000u | (fdp & 0xFFFF), 4);
            x87_put_le(b + 24, (fdp >> 16) << 12, 4);
        } else {
            x87_put_le(b + 12, fip, 4);
            x87_put_le(b + 16, ((uint32_t)(f->fop & 0x7FF) << 16) | f->fcs, 4);
            x87_put_le(b + 20, fdp, 4);
            x87_put_le(b + 24, 0xFFFF0000u | f->fds, 4);
        }
        return;
    }
    x87_put_le(b + 0, f->cw, 2);
    x87_put_le(b + 2, f->sw, 2);
    x87_put_le(b + 4, tw, 2);
    if (in->real_mode) {
        x87_put_le(b + 6, fip & 0xFFFF, 2);
        x87_put_le(b + 8, (((fip >> 16) & 0xF) << 12) | (f->fop & 0x7FF), 2);
        x87_put_le(b + 10, fdp & 0xFFFF, 2);
        x87_put_le(b + 12, ((fdp >> 16) & 0xF) << 12, 2);
    } else {
        x87_put_le(b + 6, fip & 0xFFFF, 2);
        x87_put_le(b + 8, f->fcs, 2);
        x87_put_le(b + 10, fdp & 0xFFFF, 2);
        x87_put_le(b + 12, f->fds, 2);
    }
}

static void x87_env_load(struct x87 *f, const struct x87_insn *in, const uint8_t *b)
{
    if (in->op32) {
        f->cw = (uint16_t)x87_le(b + 0, 2);
        f->sw = (uint16_t)x87_le(b + 4, 2);
        f->tw = (uint16_t)x87_le(b + 8, 2);
        if (in->real_mode) {
            f->fip = x87_le(b + 12, 2) | ((x87_le(b + 16, 4) >> 12 & 0xFFFF) << 16);
            f->fop = (uint16_t)(x87_le(b + 16, 2) & 0x7FF);
            f->fdp = x87_le(b + 20, 2) | ((x87_le(b + 24, 4) >> 12 & 0xFFFF) << 16);
            f->fcs = f->fds = 0;
        } else {
            f->fip = x87_le(b + 12, 4);
            f->fcs = (uint16_t)x87_le(b + 16, 2);
            f->fop = (uint16_t)(x87_le(b + 18, 2) & 0x7FF);
            f->fdp = x87_le(b + 20, 4);
            f->fds = (uint16_t)x87_le(b + 24, 2);
        }
    } else {
        f->cw = (uint16_t)x87_le(b + 0, 2);
        f->sw = (uint16_t)x87_le(b + 2, 2);
        f->tw = (uint16_t)x87_le(b + 4, 2);
        if (in->real_mode) {
            f->fip = x87_le(b + 6, 2) | ((x87_le(b + 8, 2) >> 12) << 16);
            f->fop = (uint16_t)(x87_le(b + 8, 2) & 0x7FF);
            f->fdp = x87_le(b + 10, 2) | ((x87_le(b + 12, 2) >> 12) << 16);
            f->fcs = f->fds = 0;
        } else {
            f->fip = x87_le(b + 6, 2);
            f->fcs = (uint16_t)x87_le(b + 8, 2);
            f->fdp = x87_le(b + 10, 2);
            f->fds = (uint16_t)x87_le(b + 12, 2);
        }
    }
    f->cw = (uint16_t)((f->cw & X87_CW_VALID) | X87_CW_ALWAYS);
    x87_retag(f);
    x87_update_es(f);
}

/* ---- state ---- */

void x87_init(struct x87 *f)
{
    f->cw = 0x037F;
    f->sw = 0;
    f->tw = 0xFFFF;
    f->fop = 0;
    f->fcs = f->fds = 0;
    f->fip = f->fdp = 0;
}

void x87_reset(struct x87 *f)
{
    memset(f, 0, sizeof *f);
    f->cw = 0x0040;
    f->tw = 0x5555; /* all registers +0.0 (SDM table 9-1) */
}

bool x87_exception_pending(const struct x87 *f) { return (f->sw & X87_SW_ES) != 0; }

void x87_fxsave(const struct x87 *f, uint8_t image[512], bool form64)
{
    uint8_t ftw = 0;
    for (unsigned p = 0; p < 8; p++)
        if (x87_phys_tag(f, p) != X87_TAG_EMPTY)
            ftw |= (uint8_t)(1u << p);
    memset(image, 0, 24);
    x87_put_le(image + 0, f->cw, 2);
    x87_put_le(image + 2, f->sw, 2);
    image[4] = ftw;
    x87_put_le(image + 6, f->fop, 2);
    if (form64) {
        x87_put_le(image + 8, f->fip, 8);
        x87_put_le(image + 16, f->fdp, 8);
    } else {
        x87_put_le(image + 8, (uint32_t)f->fip, 4);
        x87_put_le(image + 12, f->fcs, 2);
        x87_put_le(image + 16, (uint32_t)f->fdp, 4);
        x87_put_le(image + 20, f->fds, 2);
    }
    for (unsigned i = 0; i < 8; i++) {
        uint8_t *slot = image + 32 + 16 * i;
        memset(slot, 0, 16);
        x87_f80_to_bytes(slot, x87_st(f, i));
    }
}

void x87_fxrstor(struct x87 *f, const uint8_t image[512], bool form64)
{
    f->cw = (uint16_t)((x87_le(image + 0, 2) & X87_CW_VALID) | X87_CW_ALWAYS);
    f->sw = (uint16_t)x87_le(image + 2, 2);
    f->fop = (uint16_t)(x87_le(image + 6, 2) & 0x7FF);
    if (form64) {
        f->fip = x87_le(image + 8, 8);
        f->fdp = x87_le(image + 16, 8);
        f->fcs = f->fds = 0;
    } else {
        f->fip = x87_le(image + 8, 4);
        f->fcs = (uint16_t)x87_le(image + 12, 2);
        f->fdp = x87_le(image + 16, 4);
        f->fds = (uint16_t)x87_le(image + 20, 2);
    }
    for (unsigned i = 0; i < 8; i++)
        f->r[x87_phys(f, i)] = x87_f80_from_bytes(image + 32 + 16 * i);
    f->tw = 0;
    for (unsigned p = 0; p < 8; p++)
        x87_set_phys_tag(f, p, (image[4] >> p) & 1 ? x87_tag_of(f->r[p]) : X87_TAG_EMPTY);
    x87_update_es(f);
}

/* ---- memory-operand instructions ---- */

static enum x87_status x87_mem_arith(const struct x87_exec *x, unsigned reg)
{
    struct f80 v;
    bool denormal;
    if (x87_read_operand(x, &v, &denormal))
        return X87_FAULT;
    if (reg == X87_COM || reg == X87_COMP)
        x87_compare(x, v, false, denormal, false, reg == X87_COMP, false);
    else
        x87_arith(x->f, reg, 0, v, false, denormal, false);
    return X87_OK;
}

/* FST/FSTP/FIST/FISTP/FISTTP/FBSTP to memory: converts ST(0), writes the
 * bytes unless an unmasked exception forbids it, then pops if asked. */
enum x87_store_kind { X87_ST_F32, X87_ST_F64, X87_ST_F80, X87_ST_I16, X87_ST_I32, X87_ST_I64,
                      X87_ST_T16, X87_ST_T32, X87_ST_T64, X87_ST_BCD };

static enum x87_status x87_store(const struct x87_exec *x, enum x87_store_kind kind, bool pop)
{
    static const unsigned size[] = {4, 8, 10, 2, 4, 8, 2, 4, 8, 10};
    struct x87 *f = x->f;
    uint8_t b[10];
    struct f80_ctx c;
    x87_ctx(f, &c);
    bool empty = x87_empty(f, 0);
    struct f80 v = empty ? f80_indefinite() : x87_st(f, 0);
    if (empty)
        c.flags |= F80_IE;
    switch (kind) {
    case X87_ST_F32: x87_put_le(b, f80_to_f32(&c, v), 4); break;
    case X87_ST_F64: x87_put_le(b, f80_to_f64(&c, v), 8); break;
    case X87_ST_F80: x87_f80_to_bytes(b, v); break;
    case X87_ST_I16: case X87_ST_T16:
        x87_put_le(b, (uint64_t)f80_to_int(&c, v, 16, kind == X87_ST_T16), 2);
        break;
    case X87_ST_I32: case X87_ST_T32:
        x87_put_le(b, (uint64_t)f80_to_int(&c, v, 32, kind == X87_ST_T32), 4);
        break;
    case X87_ST_I64: case X87_ST_T64:
        x87_put_le(b, (uint64_t)f80_to_int(&c, v, 64, kind == X87_ST_T64), 8);
        break;
    case X87_ST_BCD: x87_f80_to_bcd(&c, v, b); break;
    }
    if (empty) {
        if (!x87_stack_underflow(f))
            return X87_OK;
        if (kind == X87_ST_BCD)
            memcpy(b, x87_bcd_indefinite, 10);
        if (x87_write(x, 0, b, size[kind]))
            return X87_FAULT;
        if (pop)
            x87_pop(f);
        return X87_OK;
    }
    /* Unmasked overflow/underflow on a memory destination stores nothing
     * (SDM 4.9.1.4, 4.9.1.5). */
    bool blocked = f80_ctx_blocks_result(&c) || (c.flags & ~c.masks & (F80_OE | F80_UE));
    if (c.flags & ~c.masks & (F80_OE | F80_UE))
        c.flags &= (uint16_t)~(F80_PE | F80_C1);
    if (!blocked && x87_write(x, 0, b, size[kind]))
        return X87_FAULT;
    x87_account(f, &c);
    if (!blocked && pop)
        x87_pop(f);
    return X87_OK;
}

static enum x87_status x87_load_mem(const struct x87_exec *x, unsigned len, unsigned kind)
{
    struct x87 *f = x->f;
    uint8_t b[10];
    if (x87_read(x, 0, b, len))
        return X87_FAULT;
    if (!x87_empty(f, 7)) {
        if (x87_stack_overflow(f))
            x87_push(f, f80_indefinite());
        return X87_OK;
    }
    struct f80_ctx c;
    x87_ctx(f, &c);
    struct f80 v;
    switch (kind) {
    case 32: v = f80_from_f32(&c, (uint32_t)x87_le(b, 4)); break;
    case 64: v = f80_from_f64(&c, x87_le(b, 8)); break;
    case 80: v = x87_f80_from_bytes(b); break;
    case 16 + 1: v = f80_from_int((int16_t)(uint16_t)x87_le(b, 2)); break;
    case 32 + 1: v = f80_from_int((int32_t)(uint32_t)x87_le(b, 4)); break;
    case 64 + 1: v = f80_from_int((int64_t)x87_le(b, 8)); break;
    default: v = x87_bcd_to_f80(b); break;
    }
    x87_set_c1(f, false);
    x87_raise(f, c.flags);
    /* A denormal source is loaded even when DE is unmasked. */
    if (c.flags & ~c.masks & F80_IE)
        return X87_OK;
    x87_push(f, v);
    return X87_OK;
}

static enum x87_status x87_store_u16(const struct x87_exec *x, uint16_t v)
{
    uint8_t b[2];
    x87_put_le(b, v, 2);
    return x87_write(x, 0, b, 2) ? X87_FAULT : X87_OK;
}

static enum x87_status x87_fldcw(const struct x87_exec *x)
{
    uint8_t b[2];
    if (x87_read(x, 0, b, 2))
        return X87_FAULT;
    x->f->cw = (uint16_t)((x87_le(b, 2) & X87_CW_VALID) | X87_CW_ALWAYS);
    x87_update_es(x->f);
    return X87_OK;
}

static enum x87_status x87_fnstenv(const struct x87_exec *x)
{
    uint8_t b[28];
    x87_env_store(x->f, x->in, b);
    if (x87_write(x, 0, b, x87_env_size(x->in)))
        return X87_FAULT;
    x->f->cw |= X87_SW_EXC; /* FNSTENV masks all exceptions afterwards */
    return X87_OK;
}

static enum x87_status x87_fldenv(const struct x87_exec *x)
{
    uint8_t b[28];
    if (x87_read(x, 0, b, x87_env_size(x->in)))
        return X87_FAULT;
    x87_env_load(x->f, x->in, b);
    return X87_OK;
}

static enum x87_status x87_fnsave(const struct x87_exec *x)
{
    uint8_t b[108];
    unsigned env = x87_env_size(x->in);
    x87_env_store(x->f, x->in, b);
    for (unsigned i = 0; i < 8; i++)
        x87_f80_to_bytes(b + env + 10 * i, x87_st(x->f, i));
    if (x87_write(x, 0, b, env + 80))
        return X87_FAULT;
    x87_init(x->f);
    return X87_OK;
}

static enum x87_status x87_frstor(const struct x87_exec *x)
{
    uint8_t b[108];
    unsigned env = x87_env_size(x->in);
    if (x87_read(x, 0, b, env + 80))
        return X87_FAULT;
    struct x87 *f = x->f;
    /* Registers are stored in stack order: place them with the new TOP. */
    x87_env_load(f, x->in, b);
    for (unsigned i = 0; i < 8; i++)
        f->r[x87_phys(f, i)] = x87_f80_from_bytes(b + env + 10 * i);
    x87_retag(f);
    return X87_OK;
}

static enum x87_status x87_exec_mem(const struct x87_exec *x, unsigned reg)
{
    switch (x->in->opcode) {
    case 0xD8: case 0xDA: case 0xDC: case 0xDE:
        return x87_mem_arith(x, reg);
    case 0xD9:
        switch (reg) {
        case 0: return x87_load_mem(x, 4, 32);
        case 2: return x87_store(x, X87_ST_F32, false);
        case 3: return x87_store(x, X87_ST_F32, true);
        case 4: return x87_fldenv(x);
        case 5: return x87_fldcw(x);
        case 6: return x87_fnstenv(x);
        case 7: return x87_store_u16(x, x->f->cw);
        }
        break;
    case 0xDB:
        switch (reg) {
        case 0: return x87_load_mem(x, 4, 33);
        case 1: return x87_store(x, X87_ST_T32, true);
        case 2: return x87_store(x, X87_ST_I32, false);
        case 3: return x87_store(x, X87_ST_I32, true);
        case 5: return x87_load_mem(x, 10, 80);
        case 7: return x87_store(x, X87_ST_F80, true);
        }
        break;
    case 0xDD:
        switch (reg) {
        case 0: return x87_load_mem(x, 8, 64);
        case 1: return x87_store(x, X87_ST_T64, true);
        case 2: return x87_store(x, X87_ST_F64, false);
        case 3: return x87_store(x, X87_ST_F64, true);
        case 4: return x87_frstor(x);
        case 6: return x87_fnsave(x);
        case 7: return x87_store_u16(x, x->f->sw);
        }
        break;
    case 0xDF:
        switch (reg) {
        case 0: return x87_load_mem(x, 2, 17);
        case 1: return x87_store(x, X87_ST_T16, true);
        case 2: return x87_store(x, X87_ST_I16, false);
        case 3: return x87_store(x, X87_ST_I16, true);
        case 4: return x87_load_mem(x, 10, 0);
        case 5: return x87_load_mem(x, 8, 65);
        case 6: return x87_store(x, X87_ST_BCD, true);
        case 7: return x87_store(x, X87_ST_I64, true);
        }
        break;
    }
    return X87_UD;
}

/* ---- register-operand instructions ---- */

static void x87_fxch(struct x87 *f, unsigned i)
{
    if (x87_empty(f, 0) || x87_empty(f, i)) {
        if (!x87_stack_underflow(f))
            return;
        if (x87_empty(f, 0))
            x87_write_st(f, 0, f80_indefinite());
        if (x87_empty(f, i))
            x87_write_st(f, i, f80_indefinite());
    } else {
        x87_set_c1(f, false);
    }
    struct f80 a = x87_st(f, 0), b = x87_st(f, i);
    x87_write_st(f, 0, b);
    x87_write_st(f, i, a);
}

static void x87_fst_reg(struct x87 *f, unsigned i, bool pop)
{
    if (x87_empty(f, 0)) {
        if (!x87_stack_underflow(f))
            return;
        x87_write_st(f, i, f80_indefinite());
    } else {
        x87_set_c1(f, false);
        x87_write_st(f, i, x87_st(f, 0));
    }
    if (pop)
        x87_pop(f);
}

static void x87_fld_reg(struct x87 *f, unsigned i)
{
    if (!x87_empty(f, 7)) {
        if (x87_stack_overflow(f))
            x87_push(f, f80_indefinite());
        return;
    }
    if (x87_empty(f, i)) {
        if (x87_stack_underflow(f))
            x87_push(f, f80_indefinite());
        return;
    }
    x87_set_c1(f, false);
    x87_push(f, x87_st(f, i));
}

static bool x87_fcmov_condition(const struct x87_insn *in)
{
    bool cf = in->eflags & 0x01, pf = in->eflags & 0x04, zf = in->eflags & 0x40;
    unsigned reg = (in->modrm >> 3) & 3;
    bool cond = reg == 0 ? cf : reg == 1 ? zf : reg == 2 ? (cf || zf) : pf;
    return in->opcode == 0xDA ? cond : !cond;
}

static void x87_fcmov(struct x87 *f, const struct x87_insn *in, unsigned i)
{
    if (x87_empty(f, 0) || x87_empty(f, i)) {
        if (x87_stack_underflow(f))
            x87_write_st(f, 0, f80_indefinite());
        return;
    }
    if (x87_fcmov_condition(in))
        x87_write_st(f, 0, x87_st(f, i));
}

/* One-operand ST(0) <- op(ST(0)) with the usual exception handling. */
static void x87_unary(struct x87 *f, struct f80 (*op)(struct f80_ctx *, struct f80))
{
    if (x87_empty(f, 0)) {
        if (x87_stack_underflow(f))
            x87_write_st(f, 0, f80_indefinite());
        return;
    }
    struct f80_ctx c;
    x87_ctx(f, &c);
    struct f80 r = op(&c, x87_st(f, 0));
    if (x87_account(f, &c))
        x87_write_st(f, 0, r);
}

/* ST(1) <- op(ST(0), ST(1)) then pop (FYL2X, FYL2XP1, FPATAN); or, without
 * pop_into_st1, ST(0) <- op(ST(0), ST(1)) (FSCALE). */
static void x87_binary_st01(struct x87 *f, struct f80 (*op)(struct f80_ctx *, struct f80, struct f80),
                            bool pop_into_st1)
{
    if (x87_empty(f, 0) || x87_empty(f, 1)) {
        if (!x87_stack_underflow(f))
            return;
        if (pop_into_st1) {
            x87_write_st(f, 1, f80_indefinite());
            x87_pop(f);
        } else {
            x87_write_st(f, 0, f80_indefinite());
        }
        return;
    }
    struct f80_ctx c;
    x87_ctx(f, &c);
    struct f80 r = op(&c, x87_st(f, 0), x87_st(f, 1));
    if (!x87_account(f, &c))
        return;
    if (pop_into_st1) {
        x87_write_st(f, 1, r);
        x87_pop(f);
    } else {
        x87_write_st(f, 0, r);
    }
}

static struct f80 x87_op_fchs(struct f80_ctx *c, struct f80 a)
{
    (void)c;
    a.sign_exp ^= 0x8000;
    return a;
}

static struct f80 x87_op_fabs(struct f80_ctx *c, struct f80 a)
{
    (void)c;
    a.sign_exp &= 0x7FFF;
    return a;
}

static struct f80 x87_op_yl2x(struct f80_ctx *c, struct f80 st0, struct f80 st1)
{
    return f80_yl2x(c, st0, st1);
}

static struct f80 x87_op_yl2xp1(struct f80_ctx *c, struct f80 st0, struct f80 st1)
{
    return f80_yl2xp1(c, st0, st1);
}

static struct f80 x87_op_patan(struct f80_ctx *c, struct f80 st0, struct f80 st1)
{
    return f80_atan2(c, st1, st0);
}

static struct f80 x87_op_scale(struct f80_ctx *c, struct f80 st0, struct f80 st1)
{
    return f80_scale(c, st0, st1);
}

/* Instructions that replace ST(0) and push a second result (FXTRACT,
 * FPTAN, FSINCOS): stack faults give indefinites in both places. */
static bool x87_two_result_check(struct x87 *f)
{
    if (x87_empty(f, 0)) {
        if (x87_stack_underflow(f)) {
            x87_write_st(f, 0, f80_indefinite());
            if (x87_empty(f, 7))
                x87_push(f, f80_indefinite());
        }
        return false;
    }
    if (!x87_empty(f, 7)) {
        if (x87_stack_overflow(f)) {
            x87_write_st(f, 0, f80_indefinite());
            x87_push(f, f80_indefinite());
        }
        return false;
    }
    return true;
}

static void x87_fxtract(struct x87 *f)
{
    if (!x87_two_result_check(f))
        return;
    struct f80_ctx c;
    x87_ctx(f, &c);
    struct f80 v = x87_st(f, 0), sig, expo;
    if (f80_check_operand(&c, v, &sig)) {
        expo = sig;
    } else if (f80_is_zero(v)) {
        c.flags |= F80_ZE;
        expo = f80_inf(true);
        sig = v;
    } else if (f80_is_inf(v)) {
        expo = f80_inf(false);
        sig = v;
    } else {
        int32_t e = f80_exp(v) == 0 ? 1 - F80_BIAS : (int32_t)f80_exp(v) - F80_BIAS;
        uint64_t m = v.mant;
        unsigned sh = f80_clz64(m);
        e -= (int32_t)sh;
        expo = f80_from_int(e);
        sig = f80_make(f80_sign(v), F80_BIAS, m << sh);
    }
    if (!x87_account(f, &c))
        return;
    x87_write_st(f, 0, expo);
    x87_push(f, sig);
}

static void x87_trig(struct x87 *f, unsigned want)
{
    bool pushes = want != 1 && want != 2;
    if (pushes ? !x87_two_result_check(f) : x87_empty(f, 0)) {
        f->sw &= (uint16_t)~X87_SW_C2;
        if (!pushes && x87_stack_underflow(f))
            x87_write_st(f, 0, f80_indefinite());
        return;
    }
    struct f80_ctx c;
    x87_ctx(f, &c);
    struct f80 s, co, t;
    if (!f80_trig(&c, x87_st(f, 0), want, &s, &co, &t)) {
        x87_raise(f, c.flags);
        f->sw |= X87_SW_C2;
        return;
    }
    f->sw &= (uint16_t)~X87_SW_C2;
    if (!x87_account(f, &c))
        return;
    switch (want) {
    case 1: x87_write_st(f, 0, s); break;
    case 2: x87_write_st(f, 0, co); break;
    case 3:
        x87_write_st(f, 0, s);
        x87_push(f, co);
        break;
    default:
        /* FPTAN pushes 1.0, or the NaN again for a NaN result */
        x87_write_st(f, 0, t);
        x87_push(f, x87_nan_or_unsupported(t) ? t : f80_make(false, F80_BIAS, F80_INT_BIT));
        break;
    }
}

static void x87_fprem(struct x87 *f, bool ieee)
{
    f->sw &= (uint16_t)~X87_SW_C2; /* stays clear unless a partial remainder is delivered */
    if (x87_empty(f, 0) || x87_empty(f, 1)) {
        if (x87_stack_underflow(f))
            x87_write_st(f, 0, f80_indefinite());
        return;
    }
    struct f80_ctx c;
    x87_ctx(f, &c);
    unsigned q;
    bool partial;
    struct f80 a = x87_st(f, 0), b = x87_st(f, 1);
    struct f80 r = f80_rem(&c, a, b, ieee, &q, &partial);
    if (!x87_account(f, &c))
        return;
    if (x87_nan_or_unsupported(r)) {
        /* NaN or invalid result: C2 and C1 cleared, C0 and C3 kept */
        f->sw &= (uint16_t)~(X87_SW_C2 | X87_SW_C1);
        x87_write_st(f, 0, r);
        return;
    }
    if (partial)
        q = 0;
    x87_set_cc(f, q & 2, partial, q & 1, q & 4);
    x87_write_st(f, 0, r);
}

static void x87_fldconst(struct x87 *f, unsigned index)
{
    struct f80_ctx c;
    x87_ctx(f, &c);
    if (!x87_empty(f, 7)) {
        if (x87_stack_overflow(f))
            x87_push(f, f80_indefinite());
        return;
    }
    x87_set_c1(f, false);
    x87_push(f, f80_constant(&c, index));
}

static enum x87_status x87_exec_d9_reg(const struct x87_exec *x, unsigned reg, unsigned rm)
{
    struct x87 *f = x->f;
    switch (reg) {
    case 0: x87_fld_reg(f, rm); return X87_OK;
    case 1: x87_fxch(f, rm); return X87_OK;
    case 2:
        return rm == 0 ? X87_OK : X87_UD; /* FNOP */
    case 3: /* FSTP1: an alias of FSTP, except that an empty ST(0) just pops
             * without a stack fault (measured on an x86-64 host) */
        if (x87_empty(f, 0)) {
            x87_set_c1(f, false);
            x87_pop(f);
            return X87_OK;
        }
        x87_fst_reg(f, rm, true);
        return X87_OK;
    }
    unsigned op = x->in->modrm;
    switch (op) {
    case 0xE0: x87_unary(f, x87_op_fchs); x87_set_c1(f, false); return X87_OK;
    case 0xE1: x87_unary(f, x87_op_fabs); x87_set_c1(f, false); return X87_OK;
    case 0xE4: {
        struct f80 zero = f80_zero(false);
        x87_compare(x, zero, false, false, false, 0, false);
        return X87_OK;
    }
    case 0xE5: x87_fxam(f); return X87_OK;
    case 0xE8: case 0xE9: case 0xEA: case 0xEB: case 0xEC: case 0xED: case 0xEE:
        x87_fldconst(f, op - 0xE8);
        return X87_OK;
    case 0xF0: x87_unary(f, f80_f2xm1); return X87_OK;
    case 0xF1: x87_binary_st01(f, x87_op_yl2x, true); return X87_OK;
    case 0xF2: x87_trig(f, 4); return X87_OK;
    case 0xF3: x87_binary_st01(f, x87_op_patan, true); return X87_OK;
    case 0xF4: x87_fxtract(f); return X87_OK;
    case 0xF5: x87_fprem(f, true); return X87_OK;
    case 0xF6: x87_set_top(f, x87_top(f) - 1); x87_set_c1(f, false); return X87_OK;
    case 0xF7: x87_set_top(f, x87_top(f) + 1); x87_set_c1(f, false); return X87_OK;
    case 0xF8: x87_fprem(f, false); return X87_OK;
    case 0xF9: x87_binary_st01(f, x87_op_yl2xp1, true); return X87_OK;
    case 0xFA: x87_unary(f, f80_sqrt); return X87_OK;
    case 0xFB: x87_trig(f, 3); return X87_OK;
    case 0xFC: x87_unary(f, f80_round_to_int); return X87_OK;
    case 0xFD: x87_binary_st01(f, x87_op_scale, false); return X87_OK;
    case 0xFE: x87_trig(f, 1); return X87_OK;
    case 0xFF: x87_trig(f, 2); return X87_OK;
    }
    return X87_UD;
}

static enum x87_status x87_exec_reg(const struct x87_exec *x, unsigned reg, unsigned rm)
{
    struct x87 *f = x->f;
    uint8_t modrm = x->in->modrm;
    /* DC/DE encode the reversed operations with dest ST(i): swap R forms. */
    static const unsigned reversed[8] = {X87_ADD, X87_MUL, X87_COM, X87_COMP,
                                         X87_SUBR, X87_SUB, X87_DIVR, X87_DIV};
    switch (x->in->opcode) {
    case 0xD8:
        if (reg == X87_COM || reg == X87_COMP)
            x87_compare(x, x87_st(f, rm), x87_empty(f, rm), false, false, reg == X87_COMP, false);
        else
            x87_arith(f, reg, 0, x87_st(f, rm), x87_empty(f, rm), false, false);
        return X87_OK;
    case 0xD9:
        return x87_exec_d9_reg(x, reg, rm);
    case 0xDA:
        if (reg < 4) {
            x87_fcmov(f, x->in, rm);
            return X87_OK;
        }
        if (modrm == 0xE9) {
            x87_compare(x, x87_st(f, 1), x87_empty(f, 1), false, true, 2, false);
            return X87_OK;
        }
        return X87_UD;
    case 0xDB:
        if (reg < 4) {
            x87_fcmov(f, x->in, rm);
            return X87_OK;
        }
        if (reg == 5 || reg == 6) {
            x87_compare(x, x87_st(f, rm), x87_empty(f, rm), false, reg == 5, 0, true);
            return X87_OK;
        }
        switch (modrm) {
        case 0xE0: case 0xE1: case 0xE4: return X87_OK; /* FNENI, FNDISI, FNSETPM: no-ops */
        case 0xE2:
            f->sw &= (uint16_t)~(X87_SW_EXC | X87_SW_SF | X87_SW_ES | X87_SW_B);
            return X87_OK;
        case 0xE3: x87_init(f); return X87_OK;
        }
        return X87_UD;
    case 0xDC:
        if (reg == X87_COM || reg == X87_COMP) /* FCOM2/FCOMP3 aliases */
            x87_compare(x, x87_st(f, rm), x87_empty(f, rm), false, false, reg == X87_COMP, false);
        else
            x87_arith(f, reversed[reg], rm, x87_st(f, 0), x87_empty(f, 0), false, false);
        return X87_OK;
    case 0xDD:
        switch (reg) {
        case 0:
            x87_set_phys_tag(f, x87_phys(f, rm), X87_TAG_EMPTY);
            x87_set_c1(f, false);
            return X87_OK;
        case 1: x87_fxch(f, rm); return X87_OK; /* FXCH4 alias */
        case 2: x87_fst_reg(f, rm, false); return X87_OK;
        case 3: x87_fst_reg(f, rm, true); return X87_OK;
        case 4: case 5:
            x87_compare(x, x87_st(f, rm), x87_empty(f, rm), false, true, reg == 5, false);
            return X87_OK;
        }
        return X87_UD;
    case 0xDE:
        if (reg == X87_COM) { /* FCOMP5 alias */
            x87_compare(x, x87_st(f, rm), x87_empty(f, rm), false, false, 1, false);
            return X87_OK;
        }
        if (reg == X87_COMP) {
            if (rm != 1)
                return X87_UD;
            x87_compare(x, x87_st(f, 1), x87_empty(f, 1), false, false, 2, false);
            return X87_OK;
        }
        x87_arith(f, reversed[reg], rm, x87_st(f, 0), x87_empty(f, 0), false, true);
        return X87_OK;
    case 0xDF:
        switch (reg) {
        case 0: /* FFREEP */
            x87_set_phys_tag(f, x87_phys(f, rm), X87_TAG_EMPTY);
            x87_set_c1(f, false);
            x87_pop(f);
            return X87_OK;
        case 1: x87_fxch(f, rm); return X87_OK;           /* FXCH7 alias */
        case 2: case 3: x87_fst_reg(f, rm, true); return X87_OK; /* FSTP8/9 */
        case 4:
            if (rm != 0)
                return X87_UD;
            x->res->write_ax = true;
            x->res->ax = f->sw;
            return X87_OK;
        case 5: case 6:
            x87_compare(x, x87_st(f, rm), x87_empty(f, rm), false, reg == 5, 1, true);
            return X87_OK;
        }
        return X87_UD;
    }
    return X87_UD;
}

/* ---- dispatch ---- */

/* Encodings that exist (anything else is #UD before the FPU looks at
 * pending exceptions). */
static bool x87_valid(const struct x87_insn *in)
{
    unsigned reg = (in->modrm >> 3) & 7, rm = in->modrm & 7;
    if (in->has_mem) {
        switch (in->opcode) {
        case 0xD9: return reg != 1;
        case 0xDB: return reg != 4 && reg != 6;
        case 0xDD: return reg != 5;
        default: return true;
        }
    }
    switch (in->opcode) {
    case 0xD9:
        if (reg == 2)
            return rm == 0;
        if (reg == 4)
            return rm != 2 && rm != 3 && rm != 6 && rm != 7;
        if (reg == 5)
            return rm != 7;
        return true;
    case 0xDA: return reg < 4 || in->modrm == 0xE9;
    case 0xDB: return reg != 4 || rm <= 4;
    case 0xDD: return reg < 6;
    case 0xDE: return reg != 3 || rm == 1;
    case 0xDF: return reg != 4 ? reg != 7 : rm == 0;
    default: return true;
    }
}

/* Control instructions: they do not wait for pending exceptions (FN*
 * forms) or do not update FIP/FDP/FOP (SDM 8.1.8). */
static bool x87_is_nowait(const struct x87_insn *in)
{
    unsigned reg = (in->modrm >> 3) & 7;
    if (in->has_mem)
        return (in->opcode == 0xD9 && (reg == 6 || reg == 7)) ||
               (in->opcode == 0xDD && (reg == 6 || reg == 7));
    return (in->opcode == 0xDB && (in->modrm == 0xE0 || in->modrm == 0xE1 || in->modrm == 0xE2 ||
                                   in->modrm == 0xE3 || in->modrm == 0xE4)) ||
           (in->opcode == 0xDF && in->modrm == 0xE0);
}

static bool x87_is_control(const struct x87_insn *in)
{
    unsigned reg = (in->modrm >> 3) & 7;
    if (x87_is_nowait(in))
        return true;
    return in->has_mem && ((in->opcode == 0xD9 && (reg == 4 || reg == 5)) ||
                            (in->opcode == 0xDD && reg == 4));
}

enum x87_status x87_execute(struct x87 *f, const struct x87_insn *in, const struct x87_mem *mem,
                            struct x87_result *res)
{
    memset(res, 0, sizeof *res);
    if (!x87_valid(in))
        return X87_UD;
    if (!x87_is_nowait(in) && (f->sw & X87_SW_ES))
        return X87_MF;
    struct x87_exec x = {f, in, mem, res};
    unsigned reg = (in->modrm >> 3) & 7, rm = in->modrm & 7;
    enum x87_status st = in->has_mem ? x87_exec_mem(&x, reg) : x87_exec_reg(&x, reg, rm);
    if (st == X87_OK && !x87_is_control(in)) {
        f->fop = (uint16_t)(((in->opcode & 7) << 8) | in->modrm);
        f->fip = in->ip;
        f->fcs = in->cs;
        if (in->has_mem) {
            f->fdp = in->ea;
            f->fds = in->ds;
        }
    }
    return st;
}

/* ---- disassembly ---- */

static const char *const x87_arith_names[8] = {"fadd", "fmul", "fcom", "fcomp",
                                               "fsub", "fsubr", "fdiv", "fdivr"};

static const char *x87_mem_name(const struct x87_insn *in, const char **size)
{
    static const char *const d9[8] = {"fld", NULL, "fst", "fstp", "fldenv", "fldcw", "fnstenv", "fnstcw"};
    static const char *const db[8] = {"fild", "fisttp", "fist", "fistp", NULL, "fld", NULL, "fstp"};
    static const char *const dd[8] = {"fld", "fisttp", "fst", "fstp", "frstor", NULL, "fnsave", "fnstsw"};
    static const char *const df[8] = {"fild", "fisttp", "fist", "fistp", "fbld", "fild", "fbstp", "fistp"};
    static const char *const intarith[8] = {"fiadd", "fimul", "ficom", "ficomp",
                                            "fisub", "fisubr", "fidiv", "fidivr"};
    unsigned reg = (in->modrm >> 3) & 7;
    switch (in->opcode) {
    case 0xD8: *size = "dword"; return x87_arith_names[reg];
    case 0xDC: *size = "qword"; return x87_arith_names[reg];
    case 0xDA: *size = "dword"; return intarith[reg];
    case 0xDE: *size = "word"; return intarith[reg];
    case 0xD9: *size = reg < 4 ? "dword" : reg == 5 || reg == 7 ? "word" : ""; return d9[reg];
    case 0xDB: *size = reg < 4 ? "dword" : "tbyte"; return db[reg];
    case 0xDD: *size = reg < 4 ? "qword" : reg == 7 ? "word" : ""; return dd[reg];
    default: *size = reg < 4 ? "word" : reg == 5 || reg == 7 ? "qword" : "tbyte"; return df[reg];
    }
}

static const char *x87_reg_name(const struct x87_insn *in, int *form)
{
    /* form: 0 no operand, 1 st(i), 2 st(0),st(i), 3 st(i),st(0) */
    static const char *const d9_e0[32] = {
        "fchs", "fabs", NULL, NULL, "ftst", "fxam", NULL, NULL,
        "fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", NULL,
        "f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp",
        "fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos"};
    static const char *const dc_names[8] = {"fadd", "fmul", "fcom2", "fcomp3",
                                            "fsubr", "fsub", "fdivr", "fdiv"};
    static const char *const de_names[8] = {"faddp", "fmulp", "fcomp5", "fcompp",
                                            "fsubrp", "fsubp", "fdivrp", "fdivp"};
    static const char *const fcmov[8] = {"fcmovb", "fcmove", "fcmovbe", "fcmovu",
                                         "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu"};
    unsigned reg = (in->modrm >> 3) & 7;
    *form = 1;
    switch (in->opcode) {
    case 0xD8:
        *form = reg == 2 || reg == 3 ? 1 : 2;
        return x87_arith_names[reg];
    case 0xD9:
        if (reg == 0) return "fld";
        if (reg == 1) return "fxch";
        if (reg == 2) { *form = 0; return "fnop"; }
        if (reg == 3) return "fstp1";
        *form = 0;
        return d9_e0[in->modrm - 0xE0];
    case 0xDA:
        if (reg < 4) { *form = 2; return fcmov[reg]; }
        *form = 0;
        return "fucompp";
    case 0xDB:
        if (reg < 4) { *form = 2; return fcmov[reg + 4]; }
        if (reg == 5) { *form = 2; return "fucomi"; }
        if (reg == 6) { *form = 2; return "fcomi"; }
        *form = 0;
        switch (in->modrm) {
        case 0xE0: return "fneni";
        case 0xE1: return "fndisi";
        case 0xE2: return "fnclex";
        case 0xE3: return "fninit";
        default: return "fnsetpm";
        }
    case 0xDC:
        *form = reg == 2 || reg == 3 ? 1 : 3;
        return dc_names[reg];
    case 0xDD: {
        static const char *const dd_names[6] = {"ffree", "fxch4", "fst", "fstp", "fucom", "fucomp"};
        return dd_names[reg];
    }
    case 0xDE:
        *form = reg == 2 ? 1 : reg == 3 ? 0 : 3;
        return de_names[reg];
    default: {
        static const char *const df_names[8] = {"ffreep", "fxch7", "fstp8", "fstp9",
                                                "fnstsw", "fucomip", "fcomip", NULL};
        if (reg == 4) { *form = -1; return "fnstsw"; }
        if (reg == 5 || reg == 6) *form = 2;
        return df_names[reg];
    }
    }
}

int x87_disasm(const struct x87_insn *in, char *buf, unsigned len)
{
    if (!x87_valid(in))
        return snprintf(buf, len, "(bad) %02x %02x", in->opcode, in->modrm);
    unsigned rm = in->modrm & 7;
    if (in->has_mem) {
        const char *size;
        const char *name = x87_mem_name(in, &size);
        return snprintf(buf, len, "%s %s%s[0x%llx]", name, size, *size ? " " : "",
                        (unsigned long long)in->ea);
    }
    int form;
    const char *name = x87_reg_name(in, &form);
    switch (form) {
    case -1: return snprintf(buf, len, "%s ax", name);
    case 0: return snprintf(buf, len, "%s", name);
    case 1: return snprintf(buf, len, "%s st(%u)", name, rm);
    case 2: return snprintf(buf, len, "%s st(0),st(%u)", name, rm);
    default: return snprintf(buf, len, "%s st(%u),st(0)", name, rm);
    }
}
