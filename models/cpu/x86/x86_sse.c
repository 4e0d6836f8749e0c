/* x86_sse.c: the SIMD unit of the x86 core: MMX, SSE and SSE2 (the x86-64
 * baseline), MXCSR, SIMD floating-point exceptions (#XM, or #UD without
 * CR4.OSXMMEXCPT), CR0.EM/TS and CR4.OSFXSR rules. Intel SDM vol. 1
 * ch. 9-11, vol. 2 (instruction reference), vol. 3 ch. 13. Floating point
 * is exact software IEEE arithmetic (sfp.c). */
#include "models/cpu/x86/x86_cpu.h"
#include "models/cpu/x86/sfp.h"

/* mandatory-prefix classes: none, 66, F3, F2 */
enum { SSE_NP = 0, SSE_66 = 1, SSE_F3 = 2, SSE_F2 = 3 };

static unsigned x86_sse_pfx(const struct x86_insn *in)
{
    if (in->rep == 0xf3)
        return SSE_F3;
    if (in->rep == 0xf2)
        return SSE_F2;
    return in->pfx66 ? SSE_66 : SSE_NP;
}

/* --- availability --------------------------------------------------------- */

static void x86_sse_check(struct x86_cpu *cpu)
{
    if ((cpu->cr0 & X86_CR0_EM) || !(cpu->cr4 & X86_CR4_OSFXSR))
        x86_undefined(cpu);
    if (cpu->cr0 & X86_CR0_TS)
        x86_fault(cpu, X86_EXC_NM, 0, false);
}

/* MMX instructions alias the x87 registers: TOP = 0 and every tag valid. */
static void x86_mmx_enter(struct x86_cpu *cpu)
{
    if (cpu->cr0 & X86_CR0_EM)
        x86_undefined(cpu);
    if (cpu->cr0 & X86_CR0_TS)
        x86_fault(cpu, X86_EXC_NM, 0, false);
    if (x87_exception_pending(&cpu->fpu)) {
        if (cpu->cr0 & X86_CR0_NE)
            x86_fault(cpu, X86_EXC_MF, 0, false);
    }
    cpu->fpu.sw &= (uint16_t)~0x3800u;
    cpu->fpu.tw = 0;
}

static uint64_t x86_mmx_get(const struct x86_cpu *cpu, unsigned r)
{
    return cpu->fpu.r[r & 7].mant;
}

static void x86_mmx_set(struct x86_cpu *cpu, unsigned r, uint64_t v)
{
    cpu->fpu.r[r & 7].mant = v;
    cpu->fpu.r[r & 7].sign_exp = 0xffff;
}

/* --- memory operands ------------------------------------------------------ */

static uint64_t x86_sse_lin(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                            bool align, bool write)
{
    uint64_t ea = 0;
    {
        /* effective address (same rules as the integer core) */
        uint64_t a = (uint64_t)in->disp;
        if (in->base >= 0)
            a += cpu->regs[in->base];
        if (in->index >= 0)
            a += cpu->regs[in->index] << in->scale;
        if (in->rip_rel)
            a += cpu->next_rip;
        ea = a & x86_size_mask(in->addrsize);
    }
    uint64_t lin = x86_lin(cpu, in->seg, ea, size, write);
    if (align && (lin & (size - 1)))
        x86_gp(cpu, 0);
    return lin;
}

static void x86_sse_read_mem(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                             bool align, uint8_t *out)
{
    uint64_t lin = x86_sse_lin(cpu, in, size, align, false);
    if (size <= 8) {
        uint64_t v = x86_read_lin(cpu, lin, size);
        memcpy(out, &v, size);
        return;
    }
    uint64_t lo = x86_read_lin(cpu, lin, 8), hi = x86_read_lin(cpu, lin + 8, 8);
    memcpy(out, &lo, 8);
    memcpy(out + 8, &hi, 8);
}

static void x86_sse_write_mem(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                              bool align, const uint8_t *data)
{
    uint64_t lin = x86_sse_lin(cpu, in, size, align, true);
    if (size <= 8) {
        uint64_t v = 0;
        memcpy(&v, data, size);
        x86_write_lin(cpu, lin, size, v);
        return;
    }
    /* both pages must be writable before either half is written */
    uint64_t phys;
    x86_translate(cpu, lin, X86_ACC_WRITE, x86_user(cpu), true, &phys, NULL);
    x86_translate(cpu, lin + 15, X86_ACC_WRITE, x86_user(cpu), true, &phys, NULL);
    uint64_t lo, hi;
    memcpy(&lo, data, 8);
    memcpy(&hi, data + 8, 8);
    x86_write_lin(cpu, lin, 8, lo);
    x86_write_lin(cpu, lin + 8, 8, hi);
}

/* The r/m source operand: an XMM register (16 bytes), an MMX register
 * (8 bytes) or `size` bytes of memory (zero-extended to 16). */
static void x86_sse_src(struct x86_cpu *cpu, const struct x86_insn *in, bool mmx, unsigned size,
                        bool align, uint8_t out[16])
{
    memset(out, 0, 16);
    if (!in->mem) {
        if (mmx) {
            uint64_t v = x86_mmx_get(cpu, in->rm);
            memcpy(out, &v, 8);
        } else {
            memcpy(out, cpu->xmm[in->rm], 16);
        }
        return;
    }
    x86_sse_read_mem(cpu, in, size, align, out);
}

/* --- lanes ------------------------------------------------------------------ */

static uint64_t x86_lane(const uint8_t *v, unsigned i, unsigned size)
{
    uint64_t x = 0;
    memcpy(&x, v + i * size, size);
    return x;
}

static void x86_set_lane(uint8_t *v, unsigned i, unsigned size, uint64_t x)
{
    memcpy(v + i * size, &x, size);
}

static int64_t x86_sext_lane(uint64_t x, unsigned size)
{
    unsigned sh = 64 - 8 * size;
    return (int64_t)(x << sh) >> sh;
}

static uint64_t x86_sat_signed(int64_t x, unsigned size)
{
    int64_t hi = (int64_t)((1ull << (8 * size - 1)) - 1), lo = -hi - 1;
    return (uint64_t)(x > hi ? hi : x < lo ? lo : x) & x86_size_mask(size);
}

static uint64_t x86_sat_unsigned(int64_t x, unsigned size)
{
    int64_t hi = (int64_t)x86_size_mask(size);
    return (uint64_t)(x > hi ? hi : x < 0 ? 0 : x);
}

/* --- integer SIMD operations (MMX width 8, SSE2 width 16) -------------------- */

static void x86_pack(uint8_t *d, const uint8_t *s, unsigned w, unsigned in_size, bool sign)
{
    uint8_t r[16];
    unsigned n = w / in_size, out = in_size / 2;
    for (unsigned i = 0; i < n; i++) {
        int64_t a = x86_sext_lane(x86_lane(d, i, in_size), in_size);
        int64_t b = x86_sext_lane(x86_lane(s, i, in_size), in_size);
        x86_set_lane(r, i, out, sign ? x86_sat_signed(a, out) : x86_sat_unsigned(a, out));
        x86_set_lane(r, i + n, out, sign ? x86_sat_signed(b, out) : x86_sat_unsigned(b, out));
    }
    memcpy(d, r, w);
}

static void x86_unpack(uint8_t *d, const uint8_t *s, unsigned w, unsigned size, bool high)
{
    uint8_t r[16];
    unsigned n = w / size / 2, base = high ? n : 0;
    for (unsigned i = 0; i < n; i++) {
        x86_set_lane(r, 2 * i, size, x86_lane(d, base + i, size));
        x86_set_lane(r, 2 * i + 1, size, x86_lane(s, base + i, size));
    }
    memcpy(d, r, w);
}

/* Shifts each lane of d by count (PSLL/PSRL/PSRA). kind: 0 left, 1 logical
 * right, 2 arithmetic right. */
static void x86_shift_lanes(uint8_t *d, unsigned w, unsigned size, uint64_t count, int kind)
{
    unsigned bits = 8 * size;
    for (unsigned i = 0; i < w / size; i++) {
        uint64_t x = x86_lane(d, i, size);
        if (kind == 2) {
            int64_t sx = x86_sext_lane(x, size);
            x = (uint64_t)(sx >> (count >= bits ? bits - 1 : count)) & x86_size_mask(size);
        } else if (count >= bits) {
            x = 0;
        } else {
            x = kind == 0 ? (x << count) & x86_size_mask(size) : x >> count;
        }
        x86_set_lane(d, i, size, x);
    }
}

/* One lane of the element-wise integer ops (compare, add, subtract,
 * saturate, multiply, min, max, average); size is a constant wherever the
 * compiler inlines it, so the lane reads are plain loads. */
static inline uint64_t x86_elem(unsigned op, uint64_t a, uint64_t b, unsigned size)
{
    uint64_t m = x86_size_mask(size);
    int64_t sa = x86_sext_lane(a, size), sb = x86_sext_lane(b, size);
    switch (op) {
    case 0x64: case 0x65: case 0x66: return sa > sb ? m : 0;
    case 0x74: case 0x75: case 0x76: return a == b ? m : 0;
    case 0xd4: case 0xfc: case 0xfd: case 0xfe: return (a + b) & m;
    case 0xf8: case 0xf9: case 0xfa: case 0xfb: return (a - b) & m;
    case 0xd5: return (uint64_t)(sa * sb) & m;
    case 0xe5: return ((uint64_t)(sa * sb) >> 16) & m;
    case 0xe4: return ((a * b) >> 16) & m;
    case 0xd8: case 0xd9: return a > b ? a - b : 0;
    case 0xdc: case 0xdd: return x86_sat_unsigned((int64_t)(a + b), size);
    case 0xe8: case 0xe9: return x86_sat_signed(sa - sb, size);
    case 0xec: case 0xed: return x86_sat_signed(sa + sb, size);
    case 0xda: return a < b ? a : b;
    case 0xde: return a > b ? a : b;
    case 0xea: return (uint64_t)(sa < sb ? sa : sb) & m;
    case 0xee: return (uint64_t)(sa > sb ? sa : sb) & m;
    default: return (a + b + 1) >> 1; /* PAVGB, PAVGW */
    }
}

static inline void x86_elems(unsigned op, uint8_t *d, const uint8_t *s, unsigned w, unsigned size)
{
    for (unsigned i = 0; i < w / size; i++)
        x86_set_lane(d, i, size, x86_elem(op, x86_lane(d, i, size), x86_lane(s, i, size), size));
}

/* Byte lanes: the ops glibc's string functions run in their inner loops
 * (PCMPEQB, PMINUB, PMAXUB, PADDB, PSUBB, PCMPGTB) as whole-register loops
 * the compiler vectorizes; the others lane by lane. */
static void x86_elems_1(unsigned op, uint8_t *d, const uint8_t *s, unsigned w)
{
    switch (op) {
    case 0x74:
        for (unsigned i = 0; i < 16; i++)
            d[i] = d[i] == s[i] ? 0xff : 0;
        return;
    case 0x64:
        for (unsigned i = 0; i < 16; i++)
            d[i] = (int8_t)d[i] > (int8_t)s[i] ? 0xff : 0;
        return;
    case 0xda:
        for (unsigned i = 0; i < 16; i++)
            d[i] = d[i] < s[i] ? d[i] : s[i];
        return;
    case 0xde:
        for (unsigned i = 0; i < 16; i++)
            d[i] = d[i] > s[i] ? d[i] : s[i];
        return;
    case 0xfc:
        for (unsigned i = 0; i < 16; i++)
            d[i] = (uint8_t)(d[i] + s[i]);
        return;
    case 0xf8:
        for (unsigned i = 0; i < 16; i++)
            d[i] = (uint8_t)(d[i] - s[i]);
        return;
    default:
        x86_elems(op, d, s, w, 1);
        return;
    }
}

/* Lane-wise binary integer ops on W bytes (8 for MMX, 16 for SSE2) of d
 * and s, both 16-byte buffers (bytes past W are computed and dropped).
 * Returns false if op is not one of them. */
static bool x86_int_op(unsigned op, uint8_t *d, const uint8_t *s, unsigned w)
{
    unsigned size;
    switch (op) {
    case 0x60: x86_unpack(d, s, w, 1, false); return true;
    case 0x61: x86_unpack(d, s, w, 2, false); return true;
    case 0x62: x86_unpack(d, s, w, 4, false); return true;
    case 0x63: x86_pack(d, s, w, 2, true); return true;
    case 0x67: x86_pack(d, s, w, 2, false); return true;
    case 0x68: x86_unpack(d, s, w, 1, true); return true;
    case 0x69: x86_unpack(d, s, w, 2, true); return true;
    case 0x6a: x86_unpack(d, s, w, 4, true); return true;
    case 0x6b: x86_pack(d, s, w, 4, true); return true;
    case 0x6c: x86_unpack(d, s, w, 8, false); return true;
    case 0x6d: x86_unpack(d, s, w, 8, true); return true;
    case 0xdb: for (unsigned i = 0; i < 16; i++) d[i] &= s[i]; return true;
    case 0xdf: for (unsigned i = 0; i < 16; i++) d[i] = (uint8_t)(~d[i] & s[i]); return true;
    case 0xeb: for (unsigned i = 0; i < 16; i++) d[i] |= s[i]; return true;
    case 0xef: for (unsigned i = 0; i < 16; i++) d[i] ^= s[i]; return true;
    case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3: {
        uint64_t count = x86_lane(s, 0, 8);
        size = (op & 3) == 1 ? 2 : (op & 3) == 2 ? 4 : 8;
        x86_shift_lanes(d, w, size, count, op >= 0xf0 ? 0 : op >= 0xe0 ? 2 : 1);
        return true;
    }
    case 0xf5: { /* PMADDWD */
        uint8_t r[16];
        for (unsigned i = 0; i < w / 4; i++) {
            int64_t p = x86_sext_lane(x86_lane(d, 2 * i, 2), 2) * x86_sext_lane(x86_lane(s, 2 * i, 2), 2) +
                        x86_sext_lane(x86_lane(d, 2 * i + 1, 2), 2) * x86_sext_lane(x86_lane(s, 2 * i + 1, 2), 2);
            x86_set_lane(r, i, 4, (uint64_t)p & 0xffffffffu);
        }
        memcpy(d, r, w);
        return true;
    }
    case 0xf6: { /* PSADBW */
        uint8_t r[16] = { 0 };
        for (unsigned q = 0; q < w / 8; q++) {
            uint64_t sum = 0;
            for (unsigned i = 0; i < 8; i++) {
                int diff = (int)d[8 * q + i] - (int)s[8 * q + i];
                sum += (uint64_t)(diff < 0 ? -diff : diff);
            }
            x86_set_lane(r, q, 8, sum);
        }
        memcpy(d, r, w);
        return true;
    }
    case 0xf4: /* PMULUDQ */
        for (unsigned i = 0; i < w / 8; i++)
            x86_set_lane(d, i, 8, (x86_lane(d, i, 8) & 0xffffffffu) * (x86_lane(s, i, 8) & 0xffffffffu));
        return true;
    default:
        break;
    }
    /* element-wise arithmetic */
    switch (op) {
    case 0x64: case 0x74: case 0xd8: case 0xda: case 0xdc: case 0xde: case 0xe0: case 0xe8:
    case 0xec: case 0xf8: case 0xfc:
        size = 1;
        break;
    case 0x65: case 0x75: case 0xd5: case 0xd9: case 0xdd: case 0xe3: case 0xe4: case 0xe5:
    case 0xe9: case 0xea: case 0xed: case 0xee: case 0xf9: case 0xfd:
        size = 2;
        break;
    case 0x66: case 0x76: case 0xfa: case 0xfe:
        size = 4;
        break;
    case 0xd4: case 0xfb:
        size = 8;
        break;
    default:
        return false;
    }
    switch (size) {
    case 1: x86_elems_1(op, d, s, w); break;
    case 2: x86_elems(op, d, s, w, 2); break;
    case 4: x86_elems(op, d, s, w, 4); break;
    default: x86_elems(op, d, s, w, 8); break;
    }
    return true;
}

/* --- floating point ---------------------------------------------------------- */

static struct sfp_env x86_sse_env(const struct x86_cpu *cpu)
{
    struct sfp_env e;
    e.round = (enum sfp_round)((cpu->mxcsr >> 13) & 3);
    e.daz = (cpu->mxcsr & 0x40) != 0;
    e.ftz = (cpu->mxcsr & 0x8000) != 0;
    e.masks = (cpu->mxcsr >> 7) & 0x3f;
    e.flags = 0;
    return e;
}

/* Accumulated flags of an instruction: pre-computation (IE, DE, ZE) and
 * post-computation (OE, UE, PE) ones of all lanes. */
struct x86_simd_flags {
    unsigned pre, post;
};

static void x86_simd_note(struct x86_simd_flags *sf, struct sfp_env *e)
{
    sf->pre |= e->flags & SFP_PRE;
    sf->post |= e->flags & ~SFP_PRE;
    e->flags = 0;
}

/* Commits the flags to MXCSR; raises #XM (#UD without OSXMMEXCPT) for an
 * unmasked exception, before the destination is written. */
static void x86_simd_finish(struct x86_cpu *cpu, const struct x86_simd_flags *sf)
{
    unsigned unmasked = ~(cpu->mxcsr >> 7) & 0x3f;
    unsigned set = sf->pre;
    bool fault = (sf->pre & unmasked) != 0;
    if (!fault) {
        set |= sf->post;
        fault = (sf->post & unmasked) != 0;
    }
    cpu->mxcsr |= set;
    if (fault) {
        if (!(cpu->cr4 & X86_CR4_OSXMMEXCPT))
            x86_ud(cpu);
        x86_fault(cpu, X86_EXC_XM, 0, false);
    }
}

static uint64_t x86_fp_arith(struct sfp_env *e, unsigned op, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    switch (op) {
    case 0x51: return sfp_sqrt(e, f, b);
    case 0x58: return sfp_add(e, f, a, b);
    case 0x59: return sfp_mul(e, f, a, b);
    case 0x5c: return sfp_sub(e, f, a, b);
    case 0x5d: return sfp_min(e, f, a, b);
    case 0x5e: return sfp_div(e, f, a, b);
    default: return sfp_max(e, f, a, b);
    }
}

/* CMPPS predicate imm8 & 7: EQ LT LE UNORD NEQ NLT NLE ORD */
static bool x86_fp_cmp(struct sfp_env *e, unsigned pred, enum sfp_fmt f, uint64_t a, uint64_t b)
{
    bool signaling = pred == 1 || pred == 2 || pred == 5 || pred == 6;
    int c = sfp_compare(e, f, a, b, signaling);
    switch (pred & 7) {
    case 0: return c == 0;
    case 1: return c == -1;
    case 2: return c == -1 || c == 0;
    case 3: return c == 2;
    case 4: return c != 0;
    case 5: return c != -1;
    case 6: return c == 1 || c == 2;
    default: return c != 2;
    }
}

/* Packed/scalar arithmetic, comparisons: 0x51, 0x58-0x5F (not 5A/5B), 0xC2. */
static void x86_sse_fp(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
    bool packed = pfx == SSE_NP || pfx == SSE_66;
    enum sfp_fmt f = (pfx == SSE_66 || pfx == SSE_F2) ? SFP_F64 : SFP_F32;
    unsigned ls = f == SFP_F64 ? 8 : 4;
    unsigned lanes = packed ? 16 / ls : 1;
    uint8_t d[16], s[16];
    memcpy(d, cpu->xmm[in->reg], 16);
    x86_sse_src(cpu, in, false, packed ? 16 : ls, packed, s);
    unsigned op = in->op & 0xff;
    if (op == 0xc2 && (in->imm & 0xff) > 7)
        x86_undefined(cpu);
    struct sfp_env e = x86_sse_env(cpu);
    struct x86_simd_flags sf = { 0, 0 };
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t a = x86_lane(d, i, ls), b = x86_lane(s, i, ls), r;
        if (op == 0xc2)
            r = x86_fp_cmp(&e, (unsigned)in->imm & 7, f, a, b) ? x86_size_mask(ls) : 0;
        else
            r = x86_fp_arith(&e, op, f, a, b);
        x86_simd_note(&sf, &e);
        x86_set_lane(d, i, ls, r);
    }
    x86_simd_finish(cpu, &sf);
    memcpy(cpu->xmm[in->reg], d, 16);
}

/* RCPPS/RCPSS, RSQRTPS/RSQRTSS: approximations, no exceptions */
static void x86_sse_approx(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
    bool packed = pfx == SSE_NP;
    uint8_t d[16], s[16];
    memcpy(d, cpu->xmm[in->reg], 16);
    x86_sse_src(cpu, in, false, packed ? 16 : 4, packed, s);
    struct sfp_env e = x86_sse_env(cpu);
    for (unsigned i = 0; i < (packed ? 4u : 1u); i++) {
        uint32_t a = (uint32_t)x86_lane(s, i, 4);
        x86_set_lane(d, i, 4, (in->op & 0xff) == 0x53 ? sfp_rcp32(&e, a) : sfp_rsqrt32(&e, a));
    }
    memcpy(cpu->xmm[in->reg], d, 16);
}

/* COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF from the comparison */
static void x86_sse_comis(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
    enum sfp_fmt f = pfx == SSE_66 ? SFP_F64 : SFP_F32;
    unsigned ls = f == SFP_F64 ? 8 : 4;
    uint8_t s[16];
    x86_sse_src(cpu, in, false, ls, false, s);
    struct sfp_env e = x86_sse_env(cpu);
    struct x86_simd_flags sf = { 0, 0 };
    int c = sfp_compare(&e, f, x86_lane(cpu->xmm[in->reg], 0, ls), x86_lane(s, 0, ls),
                        (in->op & 0xff) == 0x2f);
    x86_simd_note(&sf, &e);
    x86_simd_finish(cpu, &sf);
    uint32_t fl = c == 2 ? (X86_ZF | X86_PF | X86_CF) : c == 0 ? X86_ZF : c < 0 ? X86_CF : 0;
    x86_set_flags(cpu, fl, X86_ARITH_FLAGS);
}

/* Conversions 0x2A, 0x2C, 0x2D, 0x5A, 0x5B, 0xE6 */
static void x86_sse_cvt(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
    unsigned op = in->op & 0xff;
    struct sfp_env e = x86_sse_env(cpu);
    struct x86_simd_flags sf = { 0, 0 };
    uint8_t d[16], s[16];
    memcpy(d, cpu->xmm[in->reg], 16);
    switch (op) {
    case 0x2a:
        if (pfx == SSE_F3 || pfx == SSE_F2) { /* CVTSI2SS/SD from r/m32/64 */
            unsigned isz = in->opsize == 8 ? 8 : 4;
            uint64_t v;
            if (in->mem) {
                x86_sse_read_mem(cpu, in, isz, false, s);
                v = x86_lane(s, 0, isz);
            } else {
                v = cpu->regs[in->rm] & x86_size_mask(isz);
            }
            enum sfp_fmt f = pfx == SSE_F2 ? SFP_F64 : SFP_F32;
            uint64_t r = sfp_from_int(&e, f, x86_sext_lane(v, isz));
            x86_simd_note(&sf, &e);
            x86_simd_finish(cpu, &sf);
            x86_set_lane(d, 0, f == SFP_F64 ? 8 : 4, r);
            break;
        }
        /* CVTPI2PS / CVTPI2PD from mm/m64 */
        x86_sse_src(cpu, in, true, 8, false, s);
        if (!in->mem)
            x86_mmx_enter(cpu);
        for (unsigned i = 0; i < 2; i++) {
            int64_t v = x86_sext_lane(x86_lane(s, i, 4), 4);
            if (pfx == SSE_66)
                x86_set_lane(d, i, 8, sfp_from_int(&e, SFP_F64, v));
            else
                x86_set_lane(d, i, 4, sfp_from_int(&e, SFP_F32, v));
            x86_simd_note(&sf, &e);
        }
        x86_simd_finish(cpu, &sf);
        break;
    case 0x2c: case 0x2d: {
        bool trunc = op == 0x2c;
        if (pfx == SSE_F3 || pfx == SSE_F2) { /* CVT(T)SS2SI, CVT(T)SD2SI */
            enum sfp_fmt f = pfx == SSE_F2 ? SFP_F64 : SFP_F32;
            unsigned ls = f == SFP_F64 ? 8 : 4, isz = in->opsize == 8 ? 8 : 4;
            x86_sse_src(cpu, in, false, ls, false, s);
            int64_t v = sfp_to_int(&e, f, x86_lane(s, 0, ls), isz * 8, trunc);
            x86_simd_note(&sf, &e);
            x86_simd_finish(cpu, &sf);
            x86_set_reg(cpu, in->reg, isz, true, (uint64_t)v);
            return;
        }
        /* CVT(T)PS2PI, CVT(T)PD2PI to an MMX register */
        enum sfp_fmt f = pfx == SSE_66 ? SFP_F64 : SFP_F32;
        unsigned ls = f == SFP_F64 ? 8 : 4;
        x86_sse_src(cpu, in, false, f == SFP_F64 ? 16 : 8, f == SFP_F64, s);
        uint8_t r[8];
        for (unsigned i = 0; i < 2; i++) {
            x86_set_lane(r, i, 4, (uint64_t)sfp_to_int(&e, f, x86_lane(s, i, ls), 32, trunc) & 0xffffffffu);
            x86_simd_note(&sf, &e);
        }
        x86_simd_finish(cpu, &sf);
        x86_mmx_enter(cpu);
        uint64_t v;
        memcpy(&v, r, 8);
        x86_mmx_set(cpu, in->reg, v);
        return;
    }
    case 0x5a:
        if (pfx == SSE_NP) { /* CVTPS2PD xmm, xmm/m64 */
            x86_sse_src(cpu, in, false, 8, false, s);
            for (unsigned i = 0; i < 2; i++) {
                x86_set_lane(d, i, 8, sfp_f32_to_f64(&e, (uint32_t)x86_lane(s, i, 4)));
                x86_simd_note(&sf, &e);
            }
        } else if (pfx == SSE_66) { /* CVTPD2PS */
            x86_sse_src(cpu, in, false, 16, true, s);
            for (unsigned i = 0; i < 2; i++) {
                x86_set_lane(d, i, 4, sfp_f64_to_f32(&e, x86_lane(s, i, 8)));
                x86_simd_note(&sf, &e);
            }
            x86_set_lane(d, 1, 8, 0);
        } else if (pfx == SSE_F3) { /* CVTSS2SD */
            x86_sse_src(cpu, in, false, 4, false, s);
            x86_set_lane(d, 0, 8, sfp_f32_to_f64(&e, (uint32_t)x86_lane(s, 0, 4)));
            x86_simd_note(&sf, &e);
        } else { /* CVTSD2SS */
            x86_sse_src(cpu, in, false, 8, false, s);
            x86_set_lane(d, 0, 4, sfp_f64_to_f32(&e, x86_lane(s, 0, 8)));
            x86_simd_note(&sf, &e);
        }
        x86_simd_finish(cpu, &sf);
        break;
    case 0x5b:
        if (pfx == SSE_F2)
            x86_undefined(cpu);
        x86_sse_src(cpu, in, false, 16, true, s);
        for (unsigned i = 0; i < 4; i++) {
            uint64_t v = x86_lane(s, i, 4);
            if (pfx == SSE_NP) /* CVTDQ2PS */
                v = sfp_from_int(&e, SFP_F32, x86_sext_lane(v, 4));
            else /* CVTPS2DQ, CVTTPS2DQ */
                v = (uint64_t)sfp_to_int(&e, SFP_F32, v, 32, pfx == SSE_F3) & 0xffffffffu;
            x86_simd_note(&sf, &e);
            x86_set_lane(d, i, 4, v);
        }
        x86_simd_finish(cpu, &sf);
        break;
    default: /* 0xE6 */
        if (pfx == SSE_NP)
            x86_undefined(cpu);
        if (pfx == SSE_F3) { /* CVTDQ2PD xmm, xmm/m64 */
            x86_sse_src(cpu, in, false, 8, false, s);
            for (unsigned i = 0; i < 2; i++)
                x86_set_lane(d, i, 8, sfp_from_int(&e, SFP_F64, x86_sext_lane(x86_lane(s, i, 4), 4)));
        } else { /* CVTTPD2DQ (66), CVTPD2DQ (F2) */
            x86_sse_src(cpu, in, false, 16, true, s);
            for (unsigned i = 0; i < 2; i++) {
                x86_set_lane(d, i, 4, (uint64_t)sfp_to_int(&e, SFP_F64, x86_lane(s, i, 8), 32,
                                                           pfx == SSE_66) & 0xffffffffu);
                x86_simd_note(&sf, &e);
            }
            x86_set_lane(d, 1, 8, 0);
        }
        x86_simd_finish(cpu, &sf);
        break;
    }
    memcpy(cpu->xmm[in->reg], d, 16);
}

/* --- MXCSR ------------------------------------------------------------------ */

#define X86_MXCSR_MASK 0xffffu /* every defined bit, DAZ included */

static void x86_sse_mxcsr(struct x86_cpu *cpu, const struct x86_insn *in, bool load)
{
    if (!in->mem)
        x86_undefined(cpu);
    x86_sse_check(cpu);
    uint64_t lin = x86_sse_lin(cpu, in, 4, false, !load);
    if (load) {
        uint32_t v = (uint32_t)x86_read_lin(cpu, lin, 4);
        if (v & ~X86_MXCSR_MASK)
            x86_gp(cpu, 0);
        cpu->mxcsr = v;
    } else {
        x86_write_lin(cpu, lin, 4, cpu->mxcsr);
    }
}

/* --- dispatch ---------------------------------------------------------------- */

static void x86_xmm_write64(struct x86_cpu *cpu, unsigned r, uint64_t v, bool zero_high)
{
    memcpy(cpu->xmm[r], &v, 8);
    if (zero_high)
        memset(cpu->xmm[r] + 8, 0, 8);
}

/* SSE/SSE2 instructions with XMM operands (after the availability checks). */
static void x86_sse_xmm(struct x86_cpu *cpu, struct x86_insn *in, unsigned pfx)
{
    unsigned op = in->op & 0xff;
    uint8_t d[16], s[16];
    switch (op) {
    case 0x10: /* MOVUPS, MOVUPD, MOVSS, MOVSD loads */
        if (pfx == SSE_F3 || pfx == SSE_F2) {
            unsigned ls = pfx == SSE_F2 ? 8 : 4;
            if (in->mem) {
                x86_sse_read_mem(cpu, in, ls, false, s);
                memset(cpu->xmm[in->reg], 0, 16);
                memcpy(cpu->xmm[in->reg], s, ls);
            } else {
                memcpy(cpu->xmm[in->reg], cpu->xmm[in->rm], ls);
            }
            return;
        }
        x86_sse_src(cpu, in, false, 16, false, s);
        memcpy(cpu->xmm[in->reg], s, 16);
        return;
    case 0x11:
        if (pfx == SSE_F3 || pfx == SSE_F2) {
            unsigned ls = pfx == SSE_F2 ? 8 : 4;
            if (in->mem)
                x86_sse_write_mem(cpu, in, ls, false, cpu->xmm[in->reg]);
            else
                memcpy(cpu->xmm[in->rm], cpu->xmm[in->reg], ls);
            return;
        }
        if (in->mem)
            x86_sse_write_mem(cpu, in, 16, false, cpu->xmm[in->reg]);
        else
            memcpy(cpu->xmm[in->rm], cpu->xmm[in->reg], 16);
        return;
    case 0x12: case 0x16: { /* MOVLPS/MOVHLPS/MOVLPD, MOVHPS/MOVLHPS/MOVHPD loads */
        if (pfx >= SSE_F3 || (pfx == SSE_66 && !in->mem))
            x86_undefined(cpu);
        unsigned dst_half = op == 0x12 ? 0 : 8;
        if (in->mem) {
            x86_sse_read_mem(cpu, in, 8, false, s);
            memcpy(cpu->xmm[in->reg] + dst_half, s, 8);
        } else {
            /* MOVHLPS: low <- source high; MOVLHPS: high <- source low */
            memcpy(s, cpu->xmm[in->rm], 16);
            memcpy(cpu->xmm[in->reg] + dst_half, s + (op == 0x12 ? 8 : 0), 8);
        }
        return;
    }
    case 0x13: case 0x17: /* MOVLPS/MOVLPD, MOVHPS/MOVHPD stores */
        if (pfx >= SSE_F3 || !in->mem)
            x86_undefined(cpu);
        x86_sse_write_mem(cpu, in, 8, false, cpu->xmm[in->reg] + (op == 0x13 ? 0 : 8));
        return;
    case 0x14: case 0x15: /* UNPCKLPS/PD, UNPCKHPS/PD */
        if (pfx >= SSE_F3)
            x86_undefined(cpu);
        memcpy(d, cpu->xmm[in->reg], 16);
        x86_sse_src(cpu, in, false, 16, true, s);
        x86_unpack(d, s, 16, pfx == SSE_66 ? 8 : 4, op == 0x15);
        memcpy(cpu->xmm[in->reg], d, 16);
        return;
    case 0x28: /* MOVAPS, MOVAPD */
        if (pfx >= SSE_F3)
            x86_undefined(cpu);
        x86_sse_src(cpu, in, false, 16, true, s);
        memcpy(cpu->xmm[in->reg], s, 16);
        return;
    case 0x29: case 0x2b: /* MOVAPS/MOVAPD stores, MOVNTPS/MOVNTPD */
        if (pfx >= SSE_F3 || (op == 0x2b && !in->mem))
            x86_undefined(cpu);
        if (in->mem)
            x86_sse_write_mem(cpu, in, 16, true, cpu->xmm[in->reg]);
        else
            memcpy(cpu->xmm[in->rm], cpu->xmm[in->reg], 16);
        return;
    case 0x2e: case 0x2f:
        if (pfx >= SSE_F3)
            x86_undefined(cpu);
        x86_sse_comis(cpu, in, pfx);
        return;
    case 0x50: { /* MOVMSKPS/PD */
        if (pfx >= SSE_F3 || in->mem)
            x86_undefined(cpu);
        unsigned ls = pfx == SSE_66 ? 8 : 4, m = 0;
        for (unsigned i = 0; i < 16 / ls; i++)
            m |= (unsigned)((x86_lane(cpu->xmm[in->rm], i, ls) >> (8 * ls - 1)) & 1) << i;
        x86_set_reg(cpu, in->reg, 4, true, m);
        return;
    }
    case 0x51: case 0x58: case 0x59: case 0x5c: case 0x5d: case 0x5e: case 0x5f: case 0xc2:
        x86_sse_fp(cpu, in, pfx);
        return;
    case 0x52: case 0x53:
        if (pfx != SSE_NP && pfx != SSE_F3)
            x86_undefined(cpu);
        x86_sse_approx(cpu, in, pfx);
        return;
    case 0x54: case 0x55: case 0x56: case 0x57: /* ANDPS ANDNPS ORPS XORPS (and PD) */
        if (pfx >= SSE_F3)
            x86_undefined(cpu);
        memcpy(d, cpu->xmm[in->reg], 16);
        x86_sse_src(cpu, in, false, 16, true, s);
        x86_int_op(op == 0x54 ? 0xdb : op == 0x55 ? 0xdf : op == 0x56 ? 0xeb : 0xef, d, s, 16);
        memcpy(cpu->xmm[in->reg], d, 16);
        return;
    case 0x2a: case 0x2c: case 0x2d: case 0x5a: case 0x5b: case 0xe6:
        x86_sse_cvt(cpu, in, pfx);
        return;
    case 0xc6: { /* SHUFPS, SHUFPD */
        if (pfx >= SSE_F3)
            x86_undefined(cpu);
        unsigned imm = (unsigned)in->imm & 0xff;
        memcpy(d, cpu->xmm[in->reg], 16);
        x86_sse_src(cpu, in, false, 16, true, s);
        uint8_t r[16];
        if (pfx == SSE_66) {
            x86_set_lane(r, 0, 8, x86_lane(d, imm & 1, 8));
            x86_set_lane(r, 1, 8, x86_lane(s, (imm >> 1) & 1, 8));
        } else {
            x86_set_lane(r, 0, 4, x86_lane(d, imm & 3, 4));
            x86_set_lane(r, 1, 4, x86_lane(d, (imm >> 2) & 3, 4));
            x86_set_lane(r, 2, 4, x86_lane(s, (imm >> 4) & 3, 4));
            x86_set_lane(r, 3, 4, x86_lane(s, (imm >> 6) & 3, 4));
        }
        memcpy(cpu->xmm[in->reg], r, 16);
        return;
    }
    default:
        x86_undefined(cpu);
    }
}

/* Integer SIMD instructions: MMX form (no prefix) or XMM form (66), plus
 * the integer moves. */
static void x86_simd_int(struct x86_cpu *cpu, struct x86_insn *in, unsigned pfx)
{
    unsigned op = in->op & 0xff;
    bool mmx = pfx == SSE_NP;
    unsigned w = mmx ? 8 : 16;
    uint8_t d[16] = { 0 }, s[16] = { 0 }; /* MMX: whole-register ops see zeros above 8 bytes */

    /* moves and forms with their own prefix rules first */
    switch (op) {
    case 0x6e: /* MOVD/MOVQ mm/xmm, r/m32/64 */
        if (pfx >= SSE_F3)
            x86_undefined(cpu);
        {
            unsigned isz = in->opsize == 8 ? 8 : 4;
            uint64_t v;
            if (in->mem) {
                uint8_t b[16];
                x86_sse_read_mem(cpu, in, isz, false, b);
                v = x86_lane(b, 0, isz);
            } else {
                v = cpu->regs[in->rm] & x86_size_mask(isz);
            }
            if (mmx) {
                x86_mmx_enter(cpu);
                x86_mmx_set(cpu, in->reg, v);
            } else {
                x86_xmm_write64(cpu, in->reg, v, true);
            }
        }
        return;
    case 0x7e:
        if (pfx == SSE_F3) { /* MOVQ xmm, xmm/m64 */
            x86_sse_src(cpu, in, false, 8, false, s);
            x86_xmm_write64(cpu, in->reg, x86_lane(s, 0, 8), true);
            return;
        }
        if (pfx == SSE_F2)
            x86_undefined(cpu);
        { /* MOVD/MOVQ r/m32/64, mm/xmm */
            unsigned isz = in->opsize == 8 ? 8 : 4;
            uint64_t v;
            if (mmx) {
                x86_mmx_enter(cpu);
                v = x86_mmx_get(cpu, in->reg);
            } else {
                v = x86_lane(cpu->xmm[in->reg], 0, 8);
            }
            v &= x86_size_mask(isz);
            if (in->mem) {
                uint8_t b[8];
                memcpy(b, &v, 8);
                x86_sse_write_mem(cpu, in, isz, false, b);
            } else {
                x86_set_reg(cpu, in->rm, isz, true, v);
            }
        }
        return;
    case 0x6f: /* MOVQ mm, mm/m64; MOVDQA; MOVDQU */
        if (pfx == SSE_F2)
            x86_undefined(cpu);
        if (mmx) {
            x86_mmx_enter(cpu);
            x86_sse_src(cpu, in, true, 8, false, s);
            x86_mmx_set(cpu, in->reg, x86_lane(s, 0, 8));
            return;
        }
        x86_sse_src(cpu, in, false, 16, pfx == SSE_66, s);
        memcpy(cpu->xmm[in->reg], s, 16);
        return;
    case 0x7f: /* stores */
        if (pfx == SSE_F2)
            x86_undefined(cpu);
        if (mmx) {
            x86_mmx_enter(cpu);
            uint64_t v = x86_mmx_get(cpu, in->reg);
            if (in->mem) {
                uint8_t b[8];
                memcpy(b, &v, 8);
                x86_sse_write_mem(cpu, in, 8, false, b);
            } else {
                x86_mmx_set(cpu, in->rm, v);
            }
            return;
        }
        if (in->mem)
            x86_sse_write_mem(cpu, in, 16, pfx == SSE_66, cpu->xmm[in->reg]);
        else
            memcpy(cpu->xmm[in->rm], cpu->xmm[in->reg], 16);
        return;
    case 0xd6:
        if (pfx == SSE_66) { /* MOVQ xmm/m64, xmm */
            if (in->mem)
                x86_sse_write_mem(cpu, in, 8, false, cpu->xmm[in->reg]);
            else
                x86_xmm_write64(cpu, in->rm, x86_lane(cpu->xmm[in->reg], 0, 8), true);
            return;
        }
        if (in->mem || pfx == SSE_NP)
            x86_undefined(cpu);
        x86_mmx_enter(cpu);
        if (pfx == SSE_F3) /* MOVQ2DQ xmm, mm */
            x86_xmm_write64(cpu, in->reg, x86_mmx_get(cpu, in->rm), true);
        else /* MOVDQ2Q mm, xmm */
            x86_mmx_set(cpu, in->reg, x86_lane(cpu->xmm[in->rm], 0, 8));
        return;
    case 0xe7: /* MOVNTQ, MOVNTDQ */
        if (!in->mem || pfx >= SSE_F3)
            x86_undefined(cpu);
        if (mmx) {
            x86_mmx_enter(cpu);
            uint64_t v = x86_mmx_get(cpu, in->reg);
            uint8_t b[8];
            memcpy(b, &v, 8);
            x86_sse_write_mem(cpu, in, 8, false, b);
        } else {
            x86_sse_write_mem(cpu, in, 16, true, cpu->xmm[in->reg]);
        }
        return;
    default:
        break;
    }
    if (pfx >= SSE_F3 && op != 0x70)
        x86_undefined(cpu);
    if (mmx)
        x86_mmx_enter(cpu);
    if (mmx) {
        uint64_t v = x86_mmx_get(cpu, in->reg);
        memcpy(d, &v, 8);
    } else {
        memcpy(d, cpu->xmm[in->reg], 16);
    }
    switch (op) {
    case 0x70: { /* PSHUFW, PSHUFD, PSHUFHW, PSHUFLW */
        unsigned imm = (unsigned)in->imm & 0xff;
        x86_sse_src(cpu, in, mmx, w, !mmx, s);
        uint8_t r[16];
        memcpy(r, s, 16);
        if (pfx == SSE_NP) {
            for (unsigned i = 0; i < 4; i++)
                x86_set_lane(r, i, 2, x86_lane(s, (imm >> (2 * i)) & 3, 2));
        } else if (pfx == SSE_66) {
            for (unsigned i = 0; i < 4; i++)
                x86_set_lane(r, i, 4, x86_lane(s, (imm >> (2 * i)) & 3, 4));
        } else {
            unsigned base = pfx == SSE_F3 ? 4 : 0; /* PSHUFHW: high words */
            for (unsigned i = 0; i < 4; i++)
                x86_set_lane(r, base + i, 2, x86_lane(s, base + ((imm >> (2 * i)) & 3), 2));
        }
        memcpy(d, r, 16);
        break;
    }
    case 0x71: case 0x72: case 0x73: { /* shifts by immediate */
        if (in->mem)
            x86_undefined(cpu);
        unsigned sub = in->reg & 7;
        uint64_t count = in->imm & 0xff;
        if (mmx) {
            uint64_t v = x86_mmx_get(cpu, in->rm);
            memcpy(d, &v, 8);
        } else {
            memcpy(d, cpu->xmm[in->rm], 16);
        }
        unsigned size = op == 0x71 ? 2 : op == 0x72 ? 4 : 8;
        if (op == 0x73 && (sub == 3 || sub == 7)) { /* PSRLDQ, PSLLDQ: bytes */
            if (mmx)
                x86_undefined(cpu);
            uint8_t r[16] = { 0 };
            unsigned n = count > 16 ? 16 : (unsigned)count;
            for (unsigned i = 0; i < 16; i++) {
                if (sub == 3 && i + n < 16)
                    r[i] = d[i + n];
                if (sub == 7 && i >= n)
                    r[i] = d[i - n];
            }
            memcpy(d, r, 16);
        } else if (sub == 2) {
            x86_shift_lanes(d, w, size, count, 1);
        } else if (sub == 4 && op != 0x73) {
            x86_shift_lanes(d, w, size, count, 2);
        } else if (sub == 6) {
            x86_shift_lanes(d, w, size, count, 0);
        } else {
            x86_undefined(cpu);
        }
        if (mmx) {
            uint64_t v;
            memcpy(&v, d, 8);
            x86_mmx_set(cpu, in->rm, v);
        } else {
            memcpy(cpu->xmm[in->rm], d, 16);
        }
        return;
    }
    case 0xc4: { /* PINSRW */
        uint64_t v;
        if (in->mem) {
            uint8_t b[16];
            x86_sse_read_mem(cpu, in, 2, false, b);
            v = x86_lane(b, 0, 2);
        } else {
            v = cpu->regs[in->rm] & 0xffff;
        }
        x86_set_lane(d, (unsigned)in->imm & (w / 2 - 1), 2, v);
        break;
    }
    case 0xc5: { /* PEXTRW r32, mm/xmm, imm8 */
        if (in->mem)
            x86_undefined(cpu);
        uint8_t b[16];
        x86_sse_src(cpu, in, mmx, w, false, b);
        x86_set_reg(cpu, in->reg, 4, true, x86_lane(b, (unsigned)in->imm & (w / 2 - 1), 2));
        return;
    }
    case 0xd7: { /* PMOVMSKB */
        if (in->mem)
            x86_undefined(cpu);
        uint8_t b[16];
        x86_sse_src(cpu, in, mmx, w, false, b);
        unsigned m = 0;
        for (unsigned i = 0; i < w; i++)
            m |= (unsigned)(b[i] >> 7) << i;
        x86_set_reg(cpu, in->reg, 4, true, m);
        return;
    }
    case 0xf7: { /* MASKMOVQ, MASKMOVDQU: byte stores to DS:rDI */
        if (in->mem)
            x86_undefined(cpu);
        uint8_t mask[16];
        x86_sse_src(cpu, in, mmx, w, false, mask);
        uint64_t di = cpu->regs[7] & x86_size_mask(in->addrsize);
        int seg = in->seg_override ? in->seg : X86_SEG_DS;
        for (unsigned i = 0; i < w; i++)
            if (mask[i] & 0x80)
                x86_write(cpu, seg, (di + i) & x86_size_mask(in->addrsize), 1, d[i]);
        return;
    }
    default:
        if ((op == 0x6c || op == 0x6d) && mmx)
            x86_undefined(cpu);
        x86_sse_src(cpu, in, mmx, w, !mmx, s);
        if (!x86_int_op(op, d, s, w))
            x86_undefined(cpu);
        break;
    }
    if (mmx) {
        uint64_t v;
        memcpy(&v, d, 8);
        x86_mmx_set(cpu, in->reg, v);
    } else {
        memcpy(cpu->xmm[in->reg], d, 16);
    }
}

/* True for the 0F opcodes this unit executes. */
void x86_sse_exec(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned op = in->op & 0xff;
    unsigned pfx = x86_sse_pfx(in);
    if (in->lock || !(cpu->cpuid.feat_edx & (1u << 25)))
        x86_undefined(cpu);
    if (op == 0xae) { /* LDMXCSR, STMXCSR */
        x86_sse_mxcsr(cpu, in, (in->reg & 7) == 2);
        return;
    }
    if (op == 0x77) { /* EMMS */
        if (pfx != SSE_NP)
            x86_undefined(cpu);
        x86_mmx_enter(cpu);
        cpu->fpu.tw = 0xffff;
        return;
    }
    if (op == 0xc3) { /* MOVNTI m32/64, r32/64 */
        if (!in->mem || pfx != SSE_NP)
            x86_undefined(cpu);
        unsigned isz = in->opsize == 8 ? 8 : 4;
        uint8_t b[8];
        uint64_t v = cpu->regs[in->reg];
        memcpy(b, &v, 8);
        x86_sse_write_mem(cpu, in, isz, false, b);
        return;
    }
    bool int_simd = (op >= 0x60 && op <= 0x7f) || op == 0xc4 || op == 0xc5 ||
                    (op >= 0xd0 && op != 0xe6);
    if (op == 0xd0 || op == 0xf0 || op == 0x7c || op == 0x7d || op == 0x78 || op == 0x79 ||
        op == 0x7a || op == 0x7b || op == 0xff)
        x86_undefined(cpu); /* SSE3 and later, or undefined */
    if (int_simd && pfx == SSE_NP && op != 0xd6) {
        x86_simd_int(cpu, in, pfx); /* MMX: its own checks */
        return;
    }
    x86_sse_check(cpu);
    if (int_simd)
        x86_simd_int(cpu, in, pfx);
    else
        x86_sse_xmm(cpu, in, pfx);
}
