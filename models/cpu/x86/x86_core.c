/* x86_core.c: the one implementation of x86 integer semantics (8086 to
 * Pentium Pro, designed for 64-bit): flags, ALU, shifts, strings, stack,
 * control flow and system instructions. Intel SDM vol. 2 (instruction
 * reference), vol. 1 appendix A (EFLAGS cross-reference). */
#include "models/cpu/x86/x86_cpu.h"
#include "models/apic/apic.h"

#include <stddef.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------
 * faults
 */

_Noreturn void x86_fault(struct x86_cpu *cpu, int vec, uint32_t err, bool has_err)
{
    cpu->fault_vec = vec;
    cpu->fault_err = err;
    cpu->fault_has_err = has_err;
    longjmp(cpu->fault_env, 1);
}

void x86_log_undefined(struct x86_cpu *cpu)
{
    const struct x86_insn *in = cpu->cur ? cpu->cur : &cpu->in;
    unsigned op = in->op & 0x1ff;
    if (cpu->ud_logged[op / 64] & (1ull << (op % 64)))
        return;
    cpu->ud_logged[op / 64] |= 1ull << (op % 64);
    char bytes[64] = "";
    size_t n = 0;
    unsigned len = in->len ? in->len : 4;
    for (unsigned i = 0; i < len && i < 15; i++)
        n += (size_t)snprintf(bytes + n, sizeof bytes - n, "%02x ", in->bytes[i]);
    sim_log(cpu->sim, cpu->comp ? cpu->comp->name : "cpu",
            "undefined or unimplemented instruction at %04x:%08llx: %s-> #UD",
            cpu->seg[X86_SEG_CS].sel, (unsigned long long)cpu->insn_rip, bytes);
}

_Noreturn void x86_undefined(struct x86_cpu *cpu)
{
    x86_log_undefined(cpu);
    x86_ud(cpu);
}

/* ------------------------------------------------------------------------
 * lazy flags
 */

static uint32_t x86_lazy_compute(const struct x86_lazy *l)
{
    unsigned n = (unsigned)l->size * 8;
    uint64_t res = l->res, aux = l->aux;
    uint32_t f = 0;
    if ((aux >> (n - 1)) & 1)
        f |= X86_CF;
    if (!__builtin_parity((unsigned)(res & 0xff)))
        f |= X86_PF;
    if (aux & 8)
        f |= X86_AF;
    if (res == 0)
        f |= X86_ZF;
    if ((res >> (n - 1)) & 1)
        f |= X86_SF;
    if (((aux >> (n - 1)) ^ (aux >> (n - 2))) & 1)
        f |= X86_OF;
    return f & l->mask;
}

uint32_t x86_get_flags(struct x86_cpu *cpu)
{
    if (cpu->lazy.mask) {
        cpu->eflags = (cpu->eflags & ~cpu->lazy.mask) | x86_lazy_compute(&cpu->lazy);
        cpu->lazy.mask = 0;
    }
    return cpu->eflags;
}

void x86_set_flags(struct x86_cpu *cpu, uint32_t value, uint32_t mask)
{
    uint32_t old = x86_get_flags(cpu);
    uint32_t f = (old & ~mask) | (value & mask);
    f = (f | 2u) & ~0xffc08028u; /* bit 1 reads 1; 3, 5, 15, 22-31 read 0 */
    if (cpu->profile == X86_PROFILE_286)
        f &= 0xffffu;
    if (X86_UNLIKELY(cpu->i8086))
        f |= 0xf000u; /* the 8086's bits 12-15 read 1 */
    cpu->eflags = f;
    if ((f ^ old) & X86_VM)
        x86_update_mode(cpu);
    if ((f & X86_IF) && !(old & X86_IF))
        cpu->attention = true;
    if (f & X86_TF) {
        cpu->attention = true;
        cpu->slow_loop = true;
    }
}

/* ------------------------------------------------------------------------
 * instruction helpers
 */

static uint64_t x86_ea(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t a = (uint64_t)in->disp;
    if (in->base >= 0)
        a += cpu->regs[in->base];
    if (in->index >= 0)
        a += cpu->regs[in->index] << in->scale;
    if (in->rip_rel)
        a += cpu->next_rip;
    return a & x86_size_mask(in->addrsize);
}

/* The r/m operand helpers are split: the register form is inlined into
 * every caller, the memory form (segment checks, TLB) stays out of line. */
static __attribute__((noinline)) uint64_t x86_rm_read_mem(struct x86_cpu *cpu,
                                                          const struct x86_insn *in, unsigned size)
{
    return x86_read(cpu, in->seg, x86_ea(cpu, in), size);
}

static inline uint64_t x86_rm_read(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
    if (!in->mem)
        return x86_reg(cpu, in->rm, size, in->rex);
    return x86_rm_read_mem(cpu, in, size);
}

static __attribute__((noinline)) void x86_rm_write_mem(struct x86_cpu *cpu, const struct x86_insn *in,
                                                       unsigned size, uint64_t v)
{
    x86_write(cpu, in->seg, x86_ea(cpu, in), size, v);
}

static inline void x86_rm_write(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                                uint64_t v)
{
    if (!in->mem)
        x86_set_reg(cpu, in->rm, size, in->rex, v);
    else
        x86_rm_write_mem(cpu, in, size, v);
}

/* Read-modify-write memory operand: the linear address is checked for
 * writing before the read, as the CPU does. */
struct x86_rmw {
    bool mem;
    uint64_t lin;
};

static __attribute__((noinline)) uint64_t x86_rmw_read_mem(struct x86_cpu *cpu,
                                                           const struct x86_insn *in, unsigned size,
                                                           struct x86_rmw *w)
{
    w->lin = x86_lin(cpu, in->seg, x86_ea(cpu, in), size, true);
    return x86_read_lin(cpu, w->lin, size);
}

static inline uint64_t x86_rmw_read(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                                    struct x86_rmw *w)
{
    w->mem = in->mem;
    if (!in->mem)
        return x86_reg(cpu, in->rm, size, in->rex);
    return x86_rmw_read_mem(cpu, in, size, w);
}

static __attribute__((noinline)) void x86_rmw_write_mem(struct x86_cpu *cpu, unsigned size,
                                                        const struct x86_rmw *w, uint64_t v)
{
    x86_write_lin(cpu, w->lin, size, v);
}

static inline void x86_rmw_write(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                                 const struct x86_rmw *w, uint64_t v)
{
    if (!w->mem)
        x86_set_reg(cpu, in->rm, size, in->rex, v);
    else
        x86_rmw_write_mem(cpu, size, w, v);
}

static inline void x86_lf(struct x86_cpu *cpu, uint64_t res, uint64_t aux, unsigned size,
                          uint32_t mask)
{
    /* lazy.mask only ever holds arithmetic flags: a full mask keeps none */
    uint32_t keep = mask == X86_ARITH_FLAGS ? 0 : cpu->lazy.mask & ~mask;
    if (X86_UNLIKELY(keep)) {
        /* INC/DEC after an arithmetic op: only CF outlives the old state,
         * so materialise that bit alone (the others are overwritten) */
        if (keep == X86_CF)
            cpu->eflags = (cpu->eflags & ~X86_CF) |
                          (uint32_t)((cpu->lazy.aux >> (cpu->lazy.size * 8u - 1)) & 1);
        else
            x86_get_flags(cpu);
    }
    cpu->lazy.res = res;
    cpu->lazy.aux = aux;
    cpu->lazy.size = (uint8_t)size;
    cpu->lazy.mask = mask;
}

static inline bool x86_cf(struct x86_cpu *cpu)
{
    return (x86_get_flags(cpu) & X86_CF) != 0;
}

/* ALU ops in encoding order: ADD OR ADC SBB AND SUB XOR CMP. Inlined into
 * the pre-resolved handlers, where op is a constant. */
static inline __attribute__((always_inline)) uint64_t x86_alu_op(struct x86_cpu *cpu, unsigned op,
                                                                 uint64_t a, uint64_t b,
                                                                 unsigned size)
{
    uint64_t m = x86_size_mask(size), r;
    a &= m;
    b &= m;
    switch (op & 7) {
    case 0:
        r = (a + b) & m;
        x86_lf(cpu, r, (a & b) | ((a | b) & ~r), size, X86_ARITH_FLAGS);
        return r;
    case 2: {
        uint64_t c = x86_cf(cpu);
        r = (a + b + c) & m;
        x86_lf(cpu, r, (a & b) | ((a | b) & ~r), size, X86_ARITH_FLAGS);
        return r;
    }
    case 3: {
        uint64_t c = x86_cf(cpu);
        r = (a - b - c) & m;
        x86_lf(cpu, r, (~a & b) | (~(a ^ b) & r), size, X86_ARITH_FLAGS);
        return r;
    }
    case 5:
    case 7:
        r = (a - b) & m;
        x86_lf(cpu, r, (~a & b) | (~(a ^ b) & r), size, X86_ARITH_FLAGS);
        return r;
    case 1: r = a | b; break;
    case 4: r = a & b; break;
    default: r = a ^ b; break;
    }
    x86_lf(cpu, r, 0, size, X86_ARITH_FLAGS);
    return r;
}

uint64_t x86_alu(struct x86_cpu *cpu, unsigned op, uint64_t a, uint64_t b, unsigned size)
{
    return x86_alu_op(cpu, op, a, b, size);
}

static void x86_flags_logic(struct x86_cpu *cpu, uint64_t r, unsigned size)
{
    x86_lf(cpu, r & x86_size_mask(size), 0, size, X86_ARITH_FLAGS);
}

static inline __attribute__((always_inline)) uint64_t x86_incdec(struct x86_cpu *cpu, uint64_t a,
                                                                 bool dec, unsigned size)
{
    uint64_t m = x86_size_mask(size), r;
    a &= m;
    if (!dec) {
        r = (a + 1) & m;
        x86_lf(cpu, r, (a & 1) | ((a | 1) & ~r), size, X86_ARITH_FLAGS & ~X86_CF);
    } else {
        r = (a - 1) & m;
        x86_lf(cpu, r, (~a & 1) | (~(a ^ 1) & r), size, X86_ARITH_FLAGS & ~X86_CF);
    }
    return r;
}

/* Sets CF, OF and AF as given and SF/ZF/PF from r, all lazily: the carry
 * vector gets CF in bit n-1, CF^OF in bit n-2 and AF in bit 3, which is
 * what x86_lazy_compute reads back (n >= 8, so the bits are distinct). */
static void x86_flags_eager(struct x86_cpu *cpu, uint64_t r, unsigned size, bool cf, bool of,
                            bool af)
{
    unsigned n = size * 8;
    uint64_t aux = ((uint64_t)cf << (n - 1)) | ((uint64_t)(cf ^ of) << (n - 2)) | (af ? 8u : 0u);
    x86_lf(cpu, r & x86_size_mask(size), aux, size, X86_ARITH_FLAGS);
}

/* Shifts and rotates (group 2): op = ROL ROR RCL RCR SHL SHR SAL SAR. */
uint64_t x86_shift(struct x86_cpu *cpu, unsigned op, uint64_t v, unsigned count, unsigned size)
{
    unsigned n = size * 8;
    uint64_t m = x86_size_mask(size), r;
    uint64_t msb = 1ull << (n - 1);
    count &= (size == 8) ? 63 : 31;
    v &= m;
    if (count == 0)
        return v;
    /* rotates keep the other flags (RCL/RCR read CF): materialise them */
    uint32_t f = (op & 4) ? 0 : x86_get_flags(cpu);
    bool cf, of;
    switch (op & 7) {
    case 0: { /* ROL: flags CF/OF only */
        unsigned c = count % n;
        r = c ? ((v << c) | (v >> (n - c))) & m : v;
        cf = r & 1;
        of = ((r & msb) != 0) ^ cf;
        cpu->eflags = (f & ~(X86_CF | X86_OF)) | (cf ? X86_CF : 0) | (of ? X86_OF : 0);
        return r;
    }
    case 1: { /* ROR */
        unsigned c = count % n;
        r = c ? ((v >> c) | (v << (n - c))) & m : v;
        cf = (r & msb) != 0;
        of = (((r >> (n - 1)) ^ (r >> (n - 2))) & 1) != 0;
        cpu->eflags = (f & ~(X86_CF | X86_OF)) | (cf ? X86_CF : 0) | (of ? X86_OF : 0);
        return r;
    }
    case 2: { /* RCL through CF: an (n+1)-bit rotate */
        unsigned c = count % (n + 1);
        uint64_t carry = (f & X86_CF) ? 1 : 0;
        r = v;
        for (unsigned i = 0; i < c; i++) {
            uint64_t out = (r & msb) ? 1 : 0;
            r = ((r << 1) | carry) & m;
            carry = out;
        }
        cf = carry;
        of = ((r & msb) != 0) ^ cf;
        cpu->eflags = (f & ~(X86_CF | X86_OF)) | (cf ? X86_CF : 0) | (of ? X86_OF : 0);
        return r;
    }
    case 3: { /* RCR: OF from the two top bits of the result */
        unsigned c = count % (n + 1);
        uint64_t carry = (f & X86_CF) ? 1 : 0;
        r = v;
        for (unsigned i = 0; i < c; i++) {
            uint64_t out = r & 1;
            r = (r >> 1) | (carry ? msb : 0);
            carry = out;
        }
        cf = carry;
        of = (((r >> (n - 1)) ^ (r >> (n - 2))) & 1) != 0;
        cpu->eflags = (f & ~(X86_CF | X86_OF)) | (cf ? X86_CF : 0) | (of ? X86_OF : 0);
        return r;
    }
    case 4:
    case 6: /* SHL/SAL */
        r = count < 64 ? (v << count) & m : 0;
        cf = count <= n ? ((v >> (n - count)) & 1) != 0 : false;
        of = ((r & msb) != 0) ^ cf;
        x86_flags_eager(cpu, r, size, cf, of, false);
        return r;
    case 5: /* SHR: OF is the original sign for a count of 1 */
        r = count < 64 ? v >> count : 0;
        cf = count <= n ? ((v >> (count - 1)) & 1) != 0 : false;
        x86_flags_eager(cpu, r, size, cf, count == 1 && (v & msb) != 0, false);
        return r;
    default: { /* SAR */
        int64_t sv = (int64_t)(v << (64 - n)) >> (64 - n);
        unsigned c = count >= n ? n - 1 : count;
        r = (uint64_t)(sv >> c) & m;
        cf = ((uint64_t)(sv >> (count >= n ? n - 1 : count - 1)) & 1) != 0;
        x86_flags_eager(cpu, r, size, cf, false, false);
        return r;
    }
    }
}

/* SHLD/SHRD */
static uint64_t x86_shxd(struct x86_cpu *cpu, bool left, uint64_t dst, uint64_t src,
                         unsigned count, unsigned size)
{
    unsigned n = size * 8;
    uint64_t m = x86_size_mask(size), r;
    count &= size == 8 ? 63 : 31;
    dst &= m;
    src &= m;
    if (count == 0)
        return dst;
    bool cf, of;
    if (size == 2 && count > 16) {
        /* 16-bit form with count > 16: Intel shifts a 48-bit window */
        if (left) {
            uint64_t wide = (dst << 32) | (src << 16) | dst;
            r = ((wide << count) >> 32) & m;
            cf = (wide >> (48 - count)) & 1;
        } else {
            uint64_t wide = dst | (src << 16) | (dst << 32);
            r = (wide >> count) & m;
            cf = (wide >> (count - 1)) & 1;
        }
    } else if (left) {
        r = ((dst << count) | (count == n ? src : (src >> (n - count)))) & m;
        if (count == n)
            r = src;
        cf = (dst >> (n - count)) & 1;
    } else {
        r = ((dst >> count) | (src << (n - count))) & m;
        if (count == n)
            r = src;
        cf = (dst >> (count - 1)) & 1;
    }
    of = ((r ^ dst) >> (n - 1)) & 1;
    x86_flags_eager(cpu, r, size, cf, of, false);
    return r;
}

static inline __attribute__((always_inline)) bool x86_cond_inl(struct x86_cpu *cpu, unsigned cc)
{
    uint32_t f;
    bool r;
    /* fast paths on lazy state for the common ZF test */
    if ((cc & ~1u) == 4 && (cpu->lazy.mask & X86_ZF))
        return (cpu->lazy.res == 0) ^ (cc & 1);
    if (cpu->lazy.mask == X86_ARITH_FLAGS) {
        /* all from the last result and its carry vector (x86_lazy_compute)
         * without materialising EFLAGS */
        unsigned n = (unsigned)cpu->lazy.size * 8;
        uint64_t res = cpu->lazy.res, aux = cpu->lazy.aux;
        bool cf = (aux >> (n - 1)) & 1, zf = res == 0, sf = (res >> (n - 1)) & 1;
        bool of = ((aux >> (n - 1)) ^ (aux >> (n - 2))) & 1;
        switch (cc >> 1) {
        case 0: r = of; break;
        case 1: r = cf; break;
        case 3: r = cf || zf; break;
        case 4: r = sf; break;
        case 5: r = !__builtin_parity((unsigned)(res & 0xff)); break;
        case 6: r = sf != of; break;
        default: r = zf || sf != of; break; /* case 2 is the ZF path above */
        }
        return r ^ (cc & 1);
    }
    f = x86_get_flags(cpu);
    switch (cc >> 1) {
    case 0: r = f & X86_OF; break;
    case 1: r = f & X86_CF; break;
    case 2: r = f & X86_ZF; break;
    case 3: r = f & (X86_CF | X86_ZF); break;
    case 4: r = f & X86_SF; break;
    case 5: r = f & X86_PF; break;
    case 6: r = ((f & X86_SF) != 0) != ((f & X86_OF) != 0); break;
    default: r = (f & X86_ZF) || (((f & X86_SF) != 0) != ((f & X86_OF) != 0)); break;
    }
    return r ^ (cc & 1);
}

static bool x86_cond(struct x86_cpu *cpu, unsigned cc)
{
    return x86_cond_inl(cpu, cc);
}

/* --- stack --------------------------------------------------------------- */

static unsigned x86_stack_opsize(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->long64)
        return in->opsize == 2 ? 2 : 8;
    return in->opsize;
}

void x86_push(struct x86_cpu *cpu, unsigned size, uint64_t v)
{
    uint64_t m = x86_sp_mask(cpu);
    uint64_t sp = (cpu->regs[4] - size) & m;
    x86_write(cpu, X86_SEG_SS, sp, size, v);
    cpu->regs[4] = (cpu->regs[4] & ~m) | sp;
}

uint64_t x86_pop(struct x86_cpu *cpu, unsigned size)
{
    uint64_t m = x86_sp_mask(cpu);
    uint64_t sp = cpu->regs[4] & m;
    uint64_t v = x86_read(cpu, X86_SEG_SS, sp, size);
    cpu->regs[4] = (cpu->regs[4] & ~m) | ((sp + size) & m);
    return v;
}

/* Reads the stack at SP + offset without popping. */
uint64_t x86_stack_peek(struct x86_cpu *cpu, unsigned offset, unsigned size)
{
    uint64_t m = x86_sp_mask(cpu);
    return x86_read(cpu, X86_SEG_SS, (cpu->regs[4] + offset) & m, size);
}

/* --- control flow -------------------------------------------------------- */

static inline __attribute__((always_inline)) void x86_jump_near_inl(struct x86_cpu *cpu,
                                                                   uint64_t target, unsigned opsize)
{
    target &= x86_size_mask(opsize);
    if (cpu->long64 ? !x86_canonical(target) : target > cpu->seg[X86_SEG_CS].limit)
        x86_gp(cpu, 0);
    if (X86_UNLIKELY(cpu->hooks) && cpu->hooks->branch)
        cpu->hooks->branch(cpu->hooks->ctx, cpu->insn_rip, target);
    cpu->next_rip = target;
}

void x86_jump_near(struct x86_cpu *cpu, uint64_t target, unsigned opsize)
{
    x86_jump_near_inl(cpu, target, opsize);
}

/* --- I/O ------------------------------------------------------------------- */

static uint64_t x86_io_in(struct x86_cpu *cpu, uint16_t port, unsigned size)
{
    if (!x86_io_allowed(cpu, port, size))
        x86_gp(cpu, 0);
    x86_sync(cpu);
    cpu->stats.io_accesses++;
    uint64_t v = as_read(cpu->io, port, size, BUS_IO_READ, cpu->id, NULL);
    x86_after_device_access(cpu);
    if (X86_UNLIKELY(cpu->hooks != NULL) && cpu->hooks->io)
        cpu->hooks->io(cpu->hooks->ctx, port, size, false, (uint32_t)(v & x86_size_mask(size)));
    return v & x86_size_mask(size);
}

static void x86_io_out(struct x86_cpu *cpu, uint16_t port, unsigned size, uint64_t v)
{
    if (!x86_io_allowed(cpu, port, size))
        x86_gp(cpu, 0);
    x86_sync(cpu);
    cpu->stats.io_accesses++;
    as_write(cpu->io, port, size, v & x86_size_mask(size), BUS_IO_WRITE, cpu->id, NULL);
    x86_after_device_access(cpu);
    if (X86_UNLIKELY(cpu->hooks != NULL) && cpu->hooks->io)
        cpu->hooks->io(cpu->hooks->ctx, port, size, true, (uint32_t)(v & x86_size_mask(size)));
}

/* --- string instructions ------------------------------------------------- */

static uint64_t x86_count_reg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return cpu->regs[1] & x86_size_mask(in->addrsize);
}

static void x86_set_count_reg(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t v)
{
    x86_set_reg(cpu, 1, in->addrsize, true, v);
}

static void x86_advance_index(struct x86_cpu *cpu, const struct x86_insn *in, int r,
                              unsigned size)
{
    uint64_t m = x86_size_mask(in->addrsize);
    uint64_t v = cpu->regs[r] & m;
    v = (cpu->eflags & X86_DF) ? v - size : v + size;
    x86_set_reg(cpu, r, in->addrsize, true, v & m);
}

/* One iteration of a string instruction; returns false for CMPS/SCAS when
 * the REPE/REPNE condition ends the loop. */
static bool x86_string_once(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
    uint64_t m = x86_size_mask(in->addrsize);
    uint64_t si = cpu->regs[6] & m, di = cpu->regs[7] & m;
    uint64_t a, b;
    switch (in->op) {
    case 0xa4: case 0xa5: /* MOVS */
        a = x86_read(cpu, in->seg, si, size);
        x86_write(cpu, X86_SEG_ES, di, size, a);
        x86_advance_index(cpu, in, 6, size);
        x86_advance_index(cpu, in, 7, size);
        return true;
    case 0xa6: case 0xa7: /* CMPS */
        a = x86_read(cpu, in->seg, si, size);
        b = x86_read(cpu, X86_SEG_ES, di, size);
        x86_alu(cpu, 7, a, b, size);
        x86_advance_index(cpu, in, 6, size);
        x86_advance_index(cpu, in, 7, size);
        break;
    case 0xaa: case 0xab: /* STOS */
        x86_write(cpu, X86_SEG_ES, di, size, cpu->regs[0]);
        x86_advance_index(cpu, in, 7, size);
        return true;
    case 0xac: case 0xad: /* LODS */
        a = x86_read(cpu, in->seg, si, size);
        x86_set_reg(cpu, 0, size, true, a);
        x86_advance_index(cpu, in, 6, size);
        return true;
    case 0xae: case 0xaf: /* SCAS */
        b = x86_read(cpu, X86_SEG_ES, di, size);
        x86_alu(cpu, 7, cpu->regs[0], b, size);
        x86_advance_index(cpu, in, 7, size);
        break;
    case 0x6c: case 0x6d: /* INS */
        x86_lin(cpu, X86_SEG_ES, di, size, true);
        a = x86_io_in(cpu, (uint16_t)cpu->regs[2], size);
        x86_write(cpu, X86_SEG_ES, di, size, a);
        x86_advance_index(cpu, in, 7, size);
        return true;
    default: /* OUTS */
        a = x86_read(cpu, in->seg, si, size);
        x86_io_out(cpu, (uint16_t)cpu->regs[2], size, a);
        x86_advance_index(cpu, in, 6, size);
        return true;
    }
    /* CMPS/SCAS: REPE continues while ZF=1, REPNE while ZF=0 */
    bool zf = x86_cond(cpu, 4);
    return in->rep == 0xf3 ? zf : !zf;
}

/* How many of up to n elements of `size` bytes, the first at seg:off and
 * the next ones `size` bytes further up (or down), lie in one page that the
 * TLB maps to host memory for this access, with every element passing the
 * checks x86_lin and x86_read_lin/x86_write_lin make, and no index wrap
 * (address size amask). *host is the first element's host pointer. 0 when
 * the first element does not qualify: the caller then takes the
 * per-iteration path, which faults, reaches MMIO or fills the TLB. */
static uint64_t x86_string_span(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
                                uint64_t n, bool down, uint64_t amask, bool write, uint8_t **host)
{
    const struct x86_seg *s = &cpu->seg[seg];
    uint64_t lin;
    /* elements before the index register wraps */
    if (off > amask - (size - 1))
        return 0;
    uint64_t room = down ? off / size + 1 : (amask - (size - 1) - off) / size + 1;
    if (cpu->long64) {
        lin = (seg >= X86_SEG_FS ? s->base : 0) + off;
    } else {
        if (!(write ? s->can_write : s->can_read) || off < s->lo || off + size - 1 > s->hi)
            return 0;
        uint64_t in_seg = down ? (off - s->lo) / size + 1 : (s->hi - (off + size - 1)) / size + 1;
        if (in_seg < room)
            room = in_seg;
        lin = (s->base + off) & 0xffffffffu;
    }
    unsigned pofs = (unsigned)(lin & 0xfff);
    if (pofs > 0x1000u - size)
        return 0;
    uint64_t in_page = down ? pofs / size + 1 : (0x1000u - size - pofs) / size + 1;
    if (in_page < room)
        room = in_page;
    const struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
    if ((write ? e->tag_w : e->tag_r) != (lin & ~0xfffull))
        return 0;
    *host = e->host + pofs;
    return n < room ? n : room;
}

/* Iterations of `cyc` cycles each, up to count, that a REP loop runs
 * before it stops for the cycle limit (it stops after the iteration that
 * reaches it). */
static uint64_t x86_string_budget(const struct x86_cpu *cpu, uint64_t count, unsigned cyc)
{
    uint64_t budget = cpu->cycles < cpu->cycle_limit
                          ? (cpu->cycle_limit - cpu->cycles + cyc - 1) / cyc : 1;
    return budget < count ? budget : count;
}

/* REP INSW/INSD in bulk: the device reads the data port's words straight
 * into the destination page when it can do so with no effect but the data
 * (as_read_rep; the word that ends a transfer is read one by one, at its
 * own time). Upwards only, within one host page, before the cycle limit,
 * with no timing model or trace watching each access. Registers, memory,
 * cycles and statistics end as after that many single iterations. Returns
 * the iterations done (0: none). */
static uint64_t x86_ins_bulk(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                             uint64_t count, unsigned cyc)
{
    uint16_t port = (uint16_t)cpu->regs[2];
    if ((cpu->eflags & X86_DF) || size < 2 || !x86_io_allowed(cpu, port, size))
        return 0;
    uint64_t amask = x86_size_mask(in->addrsize);
    uint64_t di = cpu->regs[7] & amask;
    uint8_t *dst;
    uint64_t n = x86_string_span(cpu, X86_SEG_ES, di, size, x86_string_budget(cpu, count, cyc), false,
                                 amask, true, &dst);
    if (!n)
        return 0;
    x86_sync(cpu);
    uint64_t done = as_read_rep(cpu->io, port, size, dst, (size_t)n);
    if (!done)
        return 0;
    cpu->stats.io_accesses += done;
    x86_set_reg(cpu, 7, in->addrsize, true, (di + done * size) & amask);
    x86_set_count_reg(cpu, in, count - done);
    cpu->cycles += done * cyc;
    x86_after_device_access(cpu);
    return done;
}

/* REP MOVS/STOS in bulk: the iterations that stay within the current source
 * and destination pages (host memory, as the per-iteration fast path would
 * find it) and end before the cycle limit, done at once. The registers,
 * memory and cycle count end exactly as after that many single iterations;
 * nothing in between could fault, reach a device or see an interrupt.
 * Returns the iterations done (0: none qualified). */
static uint64_t x86_string_bulk(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
                                uint64_t count, unsigned cyc)
{
    uint64_t amask = x86_size_mask(in->addrsize);
    bool down = (cpu->eflags & X86_DF) != 0;
    bool movs = (in->op & ~1u) == 0xa4;
    uint64_t n = x86_string_budget(cpu, count, cyc);
    uint8_t *dst, *src = NULL;
    uint64_t di = cpu->regs[7] & amask, si = cpu->regs[6] & amask;
    n = x86_string_span(cpu, X86_SEG_ES, di, size, n, down, amask, true, &dst);
    if (n && movs)
        n = x86_string_span(cpu, in->seg, si, size, n, down, amask, false, &src);
    if (!n)
        return 0;
    size_t bytes = (size_t)n * size;
    /* lowest byte of each run (downwards runs end at the first element) */
    uint8_t *dlo = down ? dst - (bytes - size) : dst;
    if (movs) {
        uint8_t *slo = down ? src - (bytes - size) : src;
        if (dlo + bytes <= slo || slo + bytes <= dlo) {
            memcpy(dlo, slo, bytes);
        } else {
            /* overlapping runs: element by element, in the instruction's order */
            for (uint64_t i = 0; i < n; i++) {
                ptrdiff_t step = down ? -(ptrdiff_t)(i * size) : (ptrdiff_t)(i * size);
                memmove(dst + step, src + step, size);
            }
        }
        x86_set_reg(cpu, 6, in->addrsize, true, (down ? si - bytes : si + bytes) & amask);
    } else if (size == 1) {
        memset(dlo, (int)(cpu->regs[0] & 0xff), bytes);
    } else {
        for (uint64_t i = 0; i < n; i++)
            x86_store_host(dlo + i * size, size, cpu->regs[0]);
    }
    x86_set_reg(cpu, 7, in->addrsize, true, (down ? di - bytes : di + bytes) & amask);
    x86_set_count_reg(cpu, in, count - n);
    cpu->cycles += n * cyc;
    return n;
}

static void x86_string(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = (in->op & 1) ? in->opsize : 1;
    if (!in->rep) {
        x86_string_once(cpu, in, size);
        return;
    }
    unsigned cyc = cpu->cycle_table[in->op] ? cpu->cycle_table[in->op] : 1;
    /* MOVS, STOS and INS may run in bulk unless a timing model watches each access */
    bool fast = !cpu->hooks && !cpu->i8086;
    bool bulk = fast && ((in->op & ~1u) == 0xa4 || (in->op & ~1u) == 0xaa);
    bool ins_bulk = fast && (in->op & ~1u) == 0x6c;
    for (;;) {
        uint64_t count = x86_count_reg(cpu, in);
        if (count == 0)
            return;
        bool go = true;
        if (!(bulk ? x86_string_bulk(cpu, in, size, count, cyc)
                   : ins_bulk && x86_ins_bulk(cpu, in, size, count, cyc))) {
            go = x86_string_once(cpu, in, size);
            x86_set_count_reg(cpu, in, count - 1);
            cpu->cycles += cyc;
        }
        if (!go || x86_count_reg(cpu, in) == 0)
            return;
        /* interruptible between iterations: restart the instruction */
        if (cpu->cycles >= cpu->cycle_limit || cpu->attention) {
            cpu->next_rip = cpu->insn_rip;
            cpu->string_restart = true;
            return;
        }
    }
}

/* --- multiply/divide ----------------------------------------------------- */

static void x86_mul(struct x86_cpu *cpu, const struct x86_insn *in, bool is_signed,
                    uint64_t src, unsigned size)
{
    uint64_t m = x86_size_mask(size);
    uint64_t a = cpu->regs[0] & m;
    uint64_t lo, hi;
    bool over;
    if (size == 8) {
        if (is_signed) {
            __int128 p = (__int128)(int64_t)a * (int64_t)src;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
            over = p != (__int128)(int64_t)lo;
        } else {
            unsigned __int128 p = (unsigned __int128)a * src;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
            over = hi != 0;
        }
    } else {
        unsigned n = size * 8;
        if (is_signed) {
            int64_t sa = (int64_t)(a << (64 - n)) >> (64 - n);
            int64_t sb = (int64_t)((src & m) << (64 - n)) >> (64 - n);
            int64_t p = sa * sb;
            lo = (uint64_t)p & m;
            hi = ((uint64_t)p >> n) & m;
            over = p != ((int64_t)((uint64_t)p << (64 - n)) >> (64 - n));
        } else {
            uint64_t p = a * (src & m);
            lo = p & m;
            hi = (p >> n) & m;
            over = hi != 0;
        }
    }
    if (size == 1) {
        x86_set_reg(cpu, 0, 2, true, (hi << 8) | lo);
    } else {
        x86_set_reg(cpu, 0, size, true, lo);
        x86_set_reg(cpu, 2, size, true, hi);
    }
    x86_flags_eager(cpu, lo, size, over, over, false);
}

/* Two/three-operand IMUL: returns the truncated product. */
static uint64_t x86_imul2(struct x86_cpu *cpu, uint64_t a, uint64_t b, unsigned size)
{
    unsigned n = size * 8;
    uint64_t lo;
    bool over;
    if (size == 8) {
        __int128 p = (__int128)(int64_t)a * (int64_t)b;
        lo = (uint64_t)p;
        over = p != (__int128)(int64_t)lo;
    } else {
        uint64_t m = x86_size_mask(size);
        int64_t sa = (int64_t)((a & m) << (64 - n)) >> (64 - n);
        int64_t sb = (int64_t)((b & m) << (64 - n)) >> (64 - n);
        int64_t p = sa * sb;
        lo = (uint64_t)p & m;
        over = p != ((int64_t)((uint64_t)p << (64 - n)) >> (64 - n));
    }
    x86_flags_eager(cpu, lo, size, over, over, false);
    return lo;
}

static void x86_div(struct x86_cpu *cpu, bool is_signed, uint64_t d, unsigned size)
{
    uint64_t m = x86_size_mask(size);
    unsigned n = size * 8;
    d &= m;
    if (d == 0)
        x86_fault(cpu, X86_EXC_DE, 0, false);
    if (size == 8) {
        unsigned __int128 num = ((unsigned __int128)cpu->regs[2] << 64) | cpu->regs[0];
        if (!is_signed) {
            unsigned __int128 q = num / d;
            if (q >> 64)
                x86_fault(cpu, X86_EXC_DE, 0, false);
            cpu->regs[2] = (uint64_t)(num % d);
            cpu->regs[0] = (uint64_t)q;
        } else {
            __int128 sn = (__int128)num, sd = (int64_t)d;
            if (sd == -1 && sn == (__int128)((unsigned __int128)1 << 127))
                x86_fault(cpu, X86_EXC_DE, 0, false);
            __int128 q = sn / sd, r = sn % sd;
            if (q > INT64_MAX || q < INT64_MIN)
                x86_fault(cpu, X86_EXC_DE, 0, false);
            cpu->regs[2] = (uint64_t)r;
            cpu->regs[0] = (uint64_t)q;
        }
        return;
    }
    uint64_t num = size == 1 ? cpu->regs[0] & 0xffff
                             : ((cpu->regs[2] & m) << n) | (cpu->regs[0] & m);
    uint64_t q, r;
    if (!is_signed) {
        q = num / d;
        r = num % d;
        if (q > m)
            x86_fault(cpu, X86_EXC_DE, 0, false);
    } else {
        int64_t sn = (int64_t)(num << (64 - 2 * n)) >> (64 - 2 * n);
        int64_t sd = (int64_t)(d << (64 - n)) >> (64 - n);
        int64_t sq = sn / sd, sr = sn % sd;
        int64_t lim = (int64_t)1 << (n - 1);
        if (sq >= lim || sq < -lim)
            x86_fault(cpu, X86_EXC_DE, 0, false);
        q = (uint64_t)sq & m;
        r = (uint64_t)sr & m;
    }
    if (size == 1) {
        x86_set_reg(cpu, 0, 2, true, (r << 8) | q);
    } else {
        x86_set_reg(cpu, 0, size, true, q);
        x86_set_reg(cpu, 2, size, true, r);
    }
}

/* --- BCD ----------------------------------------------------------------- */

static void x86_flags_szp8(struct x86_cpu *cpu, uint8_t v, bool cf, bool af, bool of)
{
    x86_flags_eager(cpu, v, 1, cf, of, af);
}

static void x86_daa_das(struct x86_cpu *cpu, bool sub)
{
    uint32_t f = x86_get_flags(cpu);
    uint8_t al = (uint8_t)cpu->regs[0], old = al;
    bool old_cf = (f & X86_CF) != 0, cf = false, af = false;
    if ((al & 0xf) > 9 || (f & X86_AF)) {
        cf = old_cf || (sub ? al < 6 : al > 0xf9);
        al = sub ? (uint8_t)(al - 6) : (uint8_t)(al + 6);
        af = true;
    }
    if (old > 0x99 || old_cf) {
        al = sub ? (uint8_t)(al - 0x60) : (uint8_t)(al + 0x60);
        cf = true;
    } else if (!sub) {
        cf = false;
    }
    x86_set_reg(cpu, 0, 1, true, al);
    /* OF is undefined; the 286 leaves the signed overflow of the whole
     * adjustment, as if added/subtracted in one step. */
    bool of = sub ? ((old & 0x80) && !(al & 0x80)) : (!(old & 0x80) && (al & 0x80));
    x86_flags_szp8(cpu, al, cf, af, of);
}

static void x86_aaa_aas(struct x86_cpu *cpu, bool sub)
{
    uint32_t f = x86_get_flags(cpu);
    uint16_t ax = (uint16_t)cpu->regs[0];
    bool adj = (ax & 0xf) > 9 || (f & X86_AF);
    if (adj) {
        if (sub) {
            ax = (uint16_t)(ax - 6);
            ax = (uint16_t)(ax - 0x100);
        } else {
            ax = (uint16_t)(ax + 0x106);
        }
    }
    ax &= 0xff0f;
    x86_set_reg(cpu, 0, 2, true, ax);
    x86_flags_szp8(cpu, (uint8_t)ax, adj, adj, false);
}

/* --- CPUID / MSR ---------------------------------------------------------- */

/* CPUID leaf 4: deterministic cache parameters (L1d, L1i, L2), which
 * glibc and Linux read (leaf 2 says so with descriptor 0xFF). */
static void x86_cpuid_cache(uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c)
{
    static const struct { uint8_t type, level; uint16_t ways; uint32_t kib; } caches[] = {
        { 1, 1, 8, 32 },    /* L1 data, 32 KiB, 8-way */
        { 2, 1, 8, 32 },    /* L1 instruction */
        { 3, 2, 16, 1024 }, /* L2 unified, 1 MiB, 16-way */
    };
    if (sub >= sizeof caches / sizeof caches[0])
        return; /* type 0: no more caches */
    uint32_t line = 64, sets = caches[sub].kib * 1024 / (caches[sub].ways * line);
    *a = caches[sub].type | ((uint32_t)caches[sub].level << 5) | (1u << 8);
    *b = (line - 1) | ((uint32_t)(caches[sub].ways - 1) << 22);
    *c = sets - 1;
}

static void x86_cpuid(struct x86_cpu *cpu)
{
    uint32_t leaf = (uint32_t)cpu->regs[0], sub = (uint32_t)cpu->regs[1];
    uint32_t a = 0, b = 0, c = 0, d = 0;
    const struct x86_cpuid_cfg *p = &cpu->cpuid;
    if (leaf >= 0x80000000u ? leaf > p->max_ext_leaf : leaf > p->max_leaf)
        leaf = p->max_leaf; /* out of range: Intel returns the highest basic leaf */
    switch (leaf) {
    case 0:
        a = p->max_leaf;
        memcpy(&b, p->vendor, 4);
        memcpy(&d, p->vendor + 4, 4);
        memcpy(&c, p->vendor + 8, 4);
        break;
    case 1: {
        uint32_t fam = p->family, model = p->model;
        uint32_t efam = fam > 15 ? fam - 15 : 0;
        a = (p->stepping & 0xf) | ((model & 0xf) << 4) | ((fam > 15 ? 15 : fam) << 8) |
            ((model >> 4) << 16) | (efam << 20);
        b = (p->feat_edx & (1u << 19)) ? 8u << 8 : 0; /* CLFLUSH line: 8 quadwords */
        c = p->feat_ecx;
        d = p->feat_edx;
        break;
    }
    case 2:
        /* one iteration; descriptor 0xFF: the cache parameters are in leaf 4 */
        a = p->max_leaf >= 4 ? 0x00ff0001u : 0x00000001u;
        break;
    case 4:
        x86_cpuid_cache(sub, &a, &b, &c);
        break;
    case 0x80000000u:
        a = p->max_ext_leaf;
        break;
    case 0x80000001u:
        c = p->ext_ecx;
        d = p->ext_edx;
        break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u: {
        uint32_t w[4];
        memcpy(w, p->brand + (leaf - 0x80000002u) * 16, 16);
        a = w[0]; b = w[1]; c = w[2]; d = w[3];
        break;
    }
    case 0x80000006u:
        c = (1024u << 16) | (0x8u << 12) | 64u; /* L2: 1 MiB, 16-way, 64-byte lines */
        break;
    case 0x80000007u:
        d = 1u << 8; /* invariant TSC: it counts core clocks of a fixed clock */
        break;
    case 0x80000008u:
        a = X86_PHYS_BITS | (48u << 8);
        break;
    default:
        break; /* leaves 3, 5, 6, 7, 0x80000005: nothing to report */
    }
    cpu->regs[0] = a;
    cpu->regs[3] = b;
    cpu->regs[1] = c;
    cpu->regs[2] = d;
}

static uint64_t x86_tsc(struct x86_cpu *cpu)
{
    return cpu->cycles + cpu->tsc_offset;
}

/* MTRR memory types valid in a range, default-type or PAT field */
static bool x86_mtrr_type_ok(unsigned t, bool pat)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7);
}

/* index into mtrr_fixed for a fixed-range MTRR, or -1 */
static int x86_mtrr_fixed_index(uint32_t msr)
{
    if (msr == 0x250) return 0;
    if (msr == 0x258) return 1;
    if (msr == 0x259) return 2;
    if (msr >= 0x268 && msr <= 0x26f) return 3 + (int)(msr - 0x268);
    return -1;
}

static bool x86_mtrr_enabled(const struct x86_cpu *cpu)
{
    return (cpu->cpuid.feat_edx & (1u << 12)) != 0;
}

/* Machine-check architecture (SDM vol. 3B ch. 15): IA32_MCG_CAP reports
 * X86_MCA_BANKS banks and no MCG_CTL; each bank's MSRs sit at 0x400 + 4*i
 * (CTL, STATUS, ADDR, MISC). No error is ever logged, so STATUS, ADDR and
 * MISC only ever hold 0. Only with CPUID.MCA advertised. */
static bool x86_mca_enabled(const struct x86_cpu *cpu)
{
    return (cpu->cpuid.feat_edx & (1u << 14)) != 0;
}

static bool x86_mca_rdmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t *v)
{
    if (msr == 0x179) { /* IA32_MCG_CAP: bank count, no MCG_CTL_P or extensions */
        *v = X86_MCA_BANKS;
        return true;
    }
    if (msr == 0x17a) {
        *v = cpu->mcg_status;
        return true;
    }
    uint32_t i = (msr - 0x400u) / 4;
    *v = cpu->mca_bank[i][msr & 3];
    return true;
}

static bool x86_mca_wrmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t v)
{
    if (msr == 0x179)
        return false; /* MCG_CAP is read-only */
    if (msr == 0x17a) {
        if (v & ~7ull)
            return false; /* only RIPV, EIPV, MCIP; bits 63:3 reserved */
        cpu->mcg_status = v;
        return true;
    }
    uint32_t i = (msr - 0x400u) / 4, reg = msr & 3;
    if (reg == 0) {
        /* P6 family: MCi_CTL takes all 1s or all 0s only */
        if (v != 0 && v != ~0ull)
            return false;
    } else if (v != 0) {
        return false; /* STATUS, ADDR, MISC: software may only clear them */
    }
    cpu->mca_bank[i][reg] = v;
    return true;
}

static bool x86_mca_msr(const struct x86_cpu *cpu, uint32_t msr)
{
    return x86_mca_enabled(cpu) &&
           (msr == 0x179 || msr == 0x17a || (msr >= 0x400 && msr < 0x400 + 4 * X86_MCA_BANKS));
}

static bool x86_rdmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t *v)
{
    int fx = x86_mtrr_fixed_index(msr);
    if (x86_mca_msr(cpu, msr))
        return x86_mca_rdmsr(cpu, msr, v);
    if (fx >= 0 && x86_mtrr_enabled(cpu)) {
        *v = cpu->mtrr_fixed[fx];
        return true;
    }
    if (msr >= 0x200 && msr <= 0x20f && x86_mtrr_enabled(cpu)) {
        *v = cpu->mtrr_var[msr - 0x200];
        return true;
    }
    switch (msr) {
    case 0x10: *v = x86_tsc(cpu); return true;
    case 0x17: *v = 0; return true;             /* IA32_PLATFORM_ID */
    case 0x1b: /* IA32_APIC_BASE */
        /* without a local APIC the register keeps its old stand-alone value */
        *v = cpu->lapic ? cpu->lapic->base_read(cpu->lapic->opaque) : cpu->apic_base;
        return true;
    case 0x3a: *v = 1; return true;             /* IA32_FEATURE_CONTROL: locked, nothing enabled */
    case 0x8b: *v = 0; return true;             /* IA32_BIOS_SIGN_ID: no microcode update */
    case 0xfe:                                  /* MTRRcap: 8 variable, fixed, WC */
        if (!x86_mtrr_enabled(cpu))
            return false;
        *v = 0x508;
        return true;
    case 0x174: *v = cpu->sysenter_cs; return true;
    case 0x175: *v = cpu->sysenter_esp; return true;
    case 0x176: *v = cpu->sysenter_eip; return true;
    case 0x1a0: *v = cpu->misc_enable; return true;
    case 0x277: *v = cpu->pat; return true;
    case 0x2ff:
        if (!x86_mtrr_enabled(cpu))
            return false;
        *v = cpu->mtrr_def_type;
        return true;
    case 0xc0000080u: *v = cpu->efer; return true;
    case 0xc0000081u: *v = cpu->star; return true;
    case 0xc0000082u: *v = cpu->lstar; return true;
    case 0xc0000083u: *v = cpu->cstar; return true;
    case 0xc0000084u: *v = cpu->sfmask; return true;
    case 0xc0000100u: *v = cpu->seg[X86_SEG_FS].base; return true;
    case 0xc0000101u: *v = cpu->seg[X86_SEG_GS].base; return true;
    case 0xc0000102u: *v = cpu->kernel_gs_base; return true;
    case 0xc0000103u:
        if (!(cpu->cpuid.ext_edx & (1u << 27)))
            return false;
        *v = cpu->tsc_aux;
        return true;
    default: return false;
    }
}

static bool x86_wrmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t v)
{
    uint64_t phys_mask = ((1ull << X86_PHYS_BITS) - 1) & ~0xfffull;
    int fx = x86_mtrr_fixed_index(msr);
    if (x86_mca_msr(cpu, msr))
        return x86_mca_wrmsr(cpu, msr, v);
    if (fx >= 0 && x86_mtrr_enabled(cpu)) {
        for (int i = 0; i < 8; i++)
            if (!x86_mtrr_type_ok((unsigned)(v >> (8 * i)) & 0xff, false))
                return false;
        cpu->mtrr_fixed[fx] = v;
        return true;
    }
    if (msr >= 0x200 && msr <= 0x20f && x86_mtrr_enabled(cpu)) {
        bool is_mask = msr & 1;
        if (is_mask ? (v & ~(phys_mask | 0x800)) != 0
                    : ((v & ~(phys_mask | 0xff)) != 0 || !x86_mtrr_type_ok(v & 0xff, false)))
            return false;
        cpu->mtrr_var[msr - 0x200] = v;
        return true;
    }
    switch (msr) {
    case 0x10: cpu->tsc_offset = v - cpu->cycles; return true;
    case 0x1b:
        if (!cpu->lapic) {
            cpu->apic_base = v;
            return true;
        }
        if (v & ~0xFFFFFF900ull)
            return false; /* reserved bits, x2APIC enable (not advertised) */
        cpu->lapic->base_write(cpu->lapic->opaque, v);
        return true;
    case 0x8b: return true; /* microcode revision read protocol: write 0, CPUID, read */
    case 0x174: cpu->sysenter_cs = v & 0xffff; return true;
    case 0x175:
    case 0x176:
        if (!x86_canonical(v))
            return false;
        *(msr == 0x175 ? &cpu->sysenter_esp : &cpu->sysenter_eip) = v;
        return true;
    case 0x1a0: cpu->misc_enable = v; return true;
    case 0x277:
        for (int i = 0; i < 8; i++)
            if (!x86_mtrr_type_ok((unsigned)(v >> (8 * i)) & 0xff, true))
                return false;
        cpu->pat = v;
        return true;
    case 0x2ff:
        if (!x86_mtrr_enabled(cpu) || (v & ~0xcffull) || !x86_mtrr_type_ok(v & 0xff, false))
            return false;
        cpu->mtrr_def_type = v;
        return true;
    case 0xc0000080u: return x86_set_efer(cpu, v);
    case 0xc0000081u: cpu->star = v; return true;
    case 0xc0000082u:
    case 0xc0000083u:
    case 0xc0000100u:
    case 0xc0000101u:
    case 0xc0000102u:
        if (!x86_canonical(v))
            return false;
        if (msr == 0xc0000082u) cpu->lstar = v;
        else if (msr == 0xc0000083u) cpu->cstar = v;
        else if (msr == 0xc0000100u) cpu->seg[X86_SEG_FS].base = v;
        else if (msr == 0xc0000101u) cpu->seg[X86_SEG_GS].base = v;
        else cpu->kernel_gs_base = v;
        return true;
    case 0xc0000084u: cpu->sfmask = v & 0xffffffffu; return true;
    case 0xc0000103u:
        if (!(cpu->cpuid.ext_edx & (1u << 27)))
            return false;
        cpu->tsc_aux = v & 0xffffffffu;
        return true;
    default: return false;
    }
}

/* An MSR access that raises #GP is logged once per MSR: it shows what a
 * guest probes that this core does not model. */
static void x86_msr_log(struct x86_cpu *cpu, uint32_t msr, bool write, uint64_t v)
{
    unsigned h = (msr * 2654435761u) >> 22; /* 1024 bits */
    if (cpu->msr_logged[h / 32] & (1u << (h % 32)))
        return;
    cpu->msr_logged[h / 32] |= 1u << (h % 32);
    if (write)
        sim_log(cpu->sim, cpu->comp ? cpu->comp->name : "cpu",
                "WRMSR 0x%x <- 0x%llx at %llx: #GP", msr, (unsigned long long)v,
                (unsigned long long)cpu->insn_rip);
    else
        sim_log(cpu->sim, cpu->comp ? cpu->comp->name : "cpu", "RDMSR 0x%x at %llx: #GP", msr,
                (unsigned long long)cpu->insn_rip);
}

/* --- x87 dispatch --------------------------------------------------------- */

struct x86_fpu_ctx {
    struct x86_cpu *cpu;
    const struct x86_insn *in;
    uint64_t ea;
};

static int x86_fpu_mem(struct x86_fpu_ctx *fc, uint32_t offset, void *buf, unsigned len,
                       bool write)
{
    struct x86_cpu *cpu = fc->cpu;
    const struct x86_seg *s = &cpu->seg[fc->in->seg];
    uint64_t off = (fc->ea + offset) & x86_size_mask(fc->in->addrsize);
    bool ok = cpu->long64 || (off >= s->lo && off + len - 1 <= s->hi &&
                              (write ? s->can_write : s->can_read));
    if (!ok) {
        cpu->fault_vec = fc->in->seg == X86_SEG_SS ? X86_EXC_SS : X86_EXC_GP;
        cpu->fault_err = 0;
        cpu->fault_has_err = true;
        return -1;
    }
    uint64_t lin = cpu->long64 ? off + (fc->in->seg >= X86_SEG_FS ? s->base : 0)
                               : (s->base + off) & 0xffffffffu;
    bool r = write ? x86_try_write_lin(cpu, lin, buf, len, x86_user(cpu))
                   : x86_try_read_lin(cpu, lin, buf, len, x86_user(cpu));
    return r ? 0 : -1;
}

static int x86_fpu_read(void *ctx, uint32_t offset, void *buf, unsigned len)
{
    return x86_fpu_mem(ctx, offset, buf, len, false);
}

static int x86_fpu_write(void *ctx, uint32_t offset, const void *buf, unsigned len)
{
    return x86_fpu_mem(ctx, offset, (void *)buf, len, true);
}

/* FERR#/#MF: with CR0.NE the pending x87 exception is #MF; without it the
 * core drives FERR# (wired to the PIC's IRQ 13 through the chipset) and
 * the instruction waits as if IGNNE# were asserted. */
static void x86_fpu_error(struct x86_cpu *cpu)
{
    if (cpu->cr0 & X86_CR0_NE)
        x86_fault(cpu, X86_EXC_MF, 0, false);
    if (cpu->ferr && signal_level(cpu->ferr) == 0)
        signal_set(cpu->ferr, 1);
}

static void x86_fpu_update_ferr(struct x86_cpu *cpu)
{
    if (cpu->ferr && signal_level(cpu->ferr) && !x87_exception_pending(&cpu->fpu))
        signal_set(cpu->ferr, 0);
}

static void x86_esc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cr0 & (X86_CR0_EM | X86_CR0_TS))
        x86_fault(cpu, X86_EXC_NM, 0, false);
    struct x86_fpu_ctx fc = { cpu, in, in->mem ? x86_ea(cpu, in) : 0 };
    struct x87_insn xi = {
        .opcode = (uint8_t)in->op,
        .modrm = in->modrm,
        .has_mem = in->mem,
        .op32 = in->opsize != 2,
        .real_mode = !cpu->pe || cpu->vm86,
        .cs = cpu->seg[X86_SEG_CS].sel,
        .ip = cpu->insn_rip,
        .ds = cpu->seg[in->seg].sel,
        .ea = fc.ea,
    };
    struct x87_mem mem = { x86_fpu_read, x86_fpu_write, &fc };
    struct x87_result res = { 0 };
    enum x87_status st = x87_execute(&cpu->fpu, &xi, &mem, &res);
    switch (st) {
    case X87_OK:
        break;
    case X87_FAULT:
        x86_fault(cpu, cpu->fault_vec, cpu->fault_err, cpu->fault_has_err);
    case X87_UD:
        x86_undefined(cpu);
    case X87_MF:
        x86_fpu_error(cpu);
        return;
    }
    if (res.write_ax)
        x86_set_reg(cpu, 0, 2, true, res.ax);
    if (res.write_flags) {
        uint32_t f = (res.zf ? X86_ZF : 0) | (res.pf ? X86_PF : 0) | (res.cf ? X86_CF : 0);
        x86_set_flags(cpu, f, X86_ARITH_FLAGS);
    }
    x86_fpu_update_ferr(cpu);
}

static void x86_fwait(struct x86_cpu *cpu)
{
    if ((cpu->cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS))
        x86_fault(cpu, X86_EXC_NM, 0, false);
    if (x87_exception_pending(&cpu->fpu))
        x86_fpu_error(cpu);
}

static void x86_fxsave_rstor(struct x86_cpu *cpu, const struct x86_insn *in, bool restore)
{
    if (!in->mem)
        x86_undefined(cpu);
    if (cpu->cr0 & (X86_CR0_EM | X86_CR0_TS))
        x86_fault(cpu, X86_EXC_NM, 0, false);
    uint64_t ea = x86_ea(cpu, in);
    uint8_t image[512];
    if (ea & 15)
        x86_gp(cpu, 0);
    bool form64 = in->opsize == 8;
    if (restore) {
        for (unsigned i = 0; i < 512; i += 8) {
            uint64_t v = x86_read(cpu, in->seg, (ea + i) & x86_size_mask(in->addrsize), 8);
            memcpy(image + i, &v, 8);
        }
        uint32_t mx;
        memcpy(&mx, image + 24, 4);
        if (mx & 0xffff0000u)
            x86_gp(cpu, 0);
        x87_fxrstor(&cpu->fpu, image, form64);
        cpu->mxcsr = mx;
        for (unsigned r = 0; r < (cpu->long64 ? 16u : 8u); r++)
            memcpy(cpu->xmm[r], image + 160 + 16 * r, 16);
    } else {
        memset(image, 0, sizeof image);
        x87_fxsave(&cpu->fpu, image, form64);
        memcpy(image + 24, &cpu->mxcsr, 4);
        uint32_t mask = 0xffff; /* MXCSR_MASK: DAZ supported */
        memcpy(image + 28, &mask, 4);
        for (unsigned r = 0; r < (cpu->long64 ? 16u : 8u); r++)
            memcpy(image + 160 + 16 * r, cpu->xmm[r], 16);
        /* check the whole area is writable before writing any of it */
        x86_lin(cpu, in->seg, ea, 1, true);
        x86_lin(cpu, in->seg, (ea + 511) & x86_size_mask(in->addrsize), 1, true);
        for (unsigned i = 0; i < 512; i += 8) {
            uint64_t v;
            memcpy(&v, image + i, 8);
            x86_write(cpu, in->seg, (ea + i) & x86_size_mask(in->addrsize), 8, v);
        }
    }
}

/* --- exec ------------------------------------------------------------------ */

static void x86_lock_check(struct x86_cpu *cpu, const struct x86_insn *in)
{
    /* LOCK is valid only on read-modify-write instructions with a memory
     * destination */
    bool ok = false;
    unsigned op = in->op;
    if (in->mem) {
        if (op < 0x40 && (op & 7) < 2 && (op & 0x38) != 0x38)
            ok = true;
        else if (op >= 0x80 && op <= 0x83 && (in->reg & 7) != 7)
            ok = true;
        else if (op == 0x86 || op == 0x87)
            ok = true;
        else if ((op == 0xf6 || op == 0xf7) && ((in->reg & 7) == 2 || (in->reg & 7) == 3))
            ok = true;
        else if ((op == 0xfe || op == 0xff) && (in->reg & 7) < 2)
            ok = true;
        else if (op == 0x1ab || op == 0x1b3 || op == 0x1bb || op == 0x1b0 || op == 0x1b1 ||
                 op == 0x1c0 || op == 0x1c1 || op == 0x1c7)
            ok = true;
        else if (op == 0x1ba && (in->reg & 7) >= 5)
            ok = true;
    }
    if (!ok)
        x86_undefined(cpu);
}

static void x86_load_far_pointer(struct x86_cpu *cpu, const struct x86_insn *in, int seg)
{
    if (!in->mem)
        x86_undefined(cpu);
    uint64_t ea = x86_ea(cpu, in);
    uint64_t off = x86_read(cpu, in->seg, ea, in->opsize);
    uint16_t sel = (uint16_t)x86_read(cpu, in->seg, (ea + in->opsize) & x86_size_mask(in->addrsize), 2);
    x86_load_seg(cpu, seg, sel);
    x86_set_reg(cpu, in->reg, in->opsize, true, off);
}

static void x86_bit_op(struct x86_cpu *cpu, const struct x86_insn *in, unsigned kind,
                       uint64_t bitoff, bool imm_form)
{
    /* kind: 0 BT, 1 BTS, 2 BTR, 3 BTC */
    unsigned size = in->opsize, n = size * 8;
    uint64_t v, bit;
    x86_get_flags(cpu);
    if (!in->mem || imm_form) {
        bit = bitoff & (n - 1);
        struct x86_rmw w;
        if (kind == 0)
            v = x86_rm_read(cpu, in, size);
        else
            v = x86_rmw_read(cpu, in, size, &w);
        bool cf = (v >> bit) & 1;
        if (kind) {
            if (kind == 1) v |= 1ull << bit;
            else if (kind == 2) v &= ~(1ull << bit);
            else v ^= 1ull << bit;
            x86_rmw_write(cpu, in, size, &w, v);
        }
        cpu->eflags = (cpu->eflags & ~X86_CF) | (cf ? X86_CF : 0);
        return;
    }
    /* register bit offset with memory operand: signed offset selects the word */
    int64_t sbit = (int64_t)(bitoff << (64 - n)) >> (64 - n);
    int64_t word = sbit >> (n == 16 ? 4 : n == 32 ? 5 : 6);
    uint64_t ea = (x86_ea(cpu, in) + (uint64_t)(word * (int64_t)size)) & x86_size_mask(in->addrsize);
    bit = (uint64_t)sbit & (n - 1);
    uint64_t lin = x86_lin(cpu, in->seg, ea, size, kind != 0);
    v = x86_read_lin(cpu, lin, size);
    bool cf = (v >> bit) & 1;
    if (kind) {
        if (kind == 1) v |= 1ull << bit;
        else if (kind == 2) v &= ~(1ull << bit);
        else v ^= 1ull << bit;
        x86_write_lin(cpu, lin, size, v);
    }
    cpu->eflags = (cpu->eflags & ~X86_CF) | (cf ? X86_CF : 0);
}

/* CMPXCHG16B m128: needs 16-byte alignment; the memory is written either
 * way (locked read-modify-write). */
static void x86_cmpxchg16b(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!(cpu->cpuid.feat_ecx & (1u << 13)))
        x86_undefined(cpu);
    uint64_t ea = x86_ea(cpu, in);
    uint64_t lin = x86_lin(cpu, in->seg, ea, 16, true);
    if (lin & 15)
        x86_gp(cpu, 0);
    uint64_t phys;
    /* both halves are in one page (aligned): check it is writable first */
    x86_translate(cpu, lin, X86_ACC_WRITE, x86_user(cpu), true, &phys, NULL);
    uint64_t lo = x86_read_lin(cpu, lin, 8), hi = x86_read_lin(cpu, lin + 8, 8);
    x86_get_flags(cpu);
    if (lo == cpu->regs[0] && hi == cpu->regs[2]) {
        x86_write_lin(cpu, lin, 8, cpu->regs[3]);
        x86_write_lin(cpu, lin + 8, 8, cpu->regs[1]);
        cpu->eflags |= X86_ZF;
    } else {
        x86_write_lin(cpu, lin, 8, lo);
        x86_write_lin(cpu, lin + 8, 8, hi);
        cpu->regs[0] = lo;
        cpu->regs[2] = hi;
        cpu->eflags &= ~X86_ZF;
    }
}

static void x86_mov_cr(struct x86_cpu *cpu, const struct x86_insn *in, bool to_cr)
{
    unsigned cr = in->reg;
    if (cpu->cpl != 0 || cpu->vm86)
        x86_gp(cpu, 0);
    unsigned size = cpu->long64 ? 8 : 4;
    if (!to_cr) {
        uint64_t v;
        switch (cr) {
        case 0: v = cpu->cr0; break;
        case 2: v = cpu->cr2; break;
        case 3: v = cpu->cr3; break;
        case 4: v = cpu->cr4; break;
        case 8: v = cpu->cr8; break; /* TPR: no local APIC behind it */
        default: x86_undefined(cpu);
        }
        x86_set_reg(cpu, in->rm, size, true, v);
        return;
    }
    uint64_t v = x86_reg(cpu, in->rm, size, true);
    switch (cr) {
    case 0: x86_set_cr0(cpu, v); break;
    case 2: cpu->cr2 = v; break;
    case 3: x86_set_cr3(cpu, v); break;
    case 4: x86_set_cr4(cpu, v); break;
    case 8:
        if (v & ~0xfull)
            x86_gp(cpu, 0);
        cpu->cr8 = v;
        break;
    default: x86_undefined(cpu);
    }
}

static void x86_mov_dr(struct x86_cpu *cpu, const struct x86_insn *in, bool to_dr)
{
    unsigned dr = in->reg & 7;
    if (cpu->cpl != 0 || cpu->vm86)
        x86_gp(cpu, 0);
    if ((dr == 4 || dr == 5) && (cpu->cr4 & X86_CR4_DE))
        x86_undefined(cpu);
    if (dr == 4 || dr == 5)
        dr += 2;
    unsigned size = cpu->long64 ? 8 : 4;
    if (to_dr) {
        uint64_t v = x86_reg(cpu, in->rm, size, true);
        if (dr == 6) v = (v & 0xe00f) | 0xffff0ff0u;
        if (dr == 7) v = (v & 0xffff2fffu) | 0x400;
        cpu->dr[dr] = v;
    } else {
        x86_set_reg(cpu, in->rm, size, true, cpu->dr[dr]);
    }
}

static void x86_hlt(struct x86_cpu *cpu)
{
    if (cpu->cpl != 0)
        x86_gp(cpu, 0);
    cpu->halted = true;
    cpu->stats.halts++;
}

static void x86_group6(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned r = in->reg & 7;
    if (!cpu->pe || cpu->vm86)
        x86_undefined(cpu);
    switch (r) {
    case 0: /* SLDT */
        x86_rm_write(cpu, in, in->mem ? 2 : in->opsize, cpu->seg[X86_SEG_LDTR].sel);
        return;
    case 1: /* STR */
        x86_rm_write(cpu, in, in->mem ? 2 : in->opsize, cpu->seg[X86_SEG_TR].sel);
        return;
    case 2: /* LLDT */
        if (cpu->cpl)
            x86_gp(cpu, 0);
        x86_lldt(cpu, (uint16_t)x86_rm_read(cpu, in, 2));
        return;
    case 3: /* LTR */
        if (cpu->cpl)
            x86_gp(cpu, 0);
        x86_ltr(cpu, (uint16_t)x86_rm_read(cpu, in, 2));
        return;
    case 4: case 5: { /* VERR, VERW */
        bool ok = x86_verify(cpu, (uint16_t)x86_rm_read(cpu, in, 2), r == 5);
        x86_get_flags(cpu);
        cpu->eflags = (cpu->eflags & ~X86_ZF) | (ok ? X86_ZF : 0);
        return;
    }
    default:
        x86_undefined(cpu);
    }
}

static void x86_group7(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned r = in->reg & 7;
    if (!in->mem) {
        if (r == 4 || r == 6)
            goto msw;
        if (in->modrm == 0xf8) { /* SWAPGS */
            x86_swapgs(cpu);
            return;
        }
        if (in->modrm == 0xf9 && (cpu->cpuid.ext_edx & (1u << 27))) { /* RDTSCP */
            if ((cpu->cr4 & X86_CR4_TSD) && cpu->cpl)
                x86_gp(cpu, 0);
            uint64_t t = cpu->cycles + cpu->tsc_offset;
            cpu->regs[0] = (uint32_t)t;
            cpu->regs[2] = t >> 32;
            cpu->regs[1] = (uint32_t)cpu->tsc_aux;
            return;
        }
        x86_undefined(cpu);
    }
    uint64_t ea = x86_ea(cpu, in);
    uint64_t ea2 = (ea + 2) & x86_size_mask(in->addrsize);
    unsigned bsize = cpu->long64 ? 8 : 4;
    switch (r) {
    case 0: case 1: { /* SGDT, SIDT */
        uint32_t lim = r ? cpu->idt_limit : cpu->gdt_limit;
        uint64_t base = r ? cpu->idt_base : cpu->gdt_base;
        if (in->opsize == 2 && !cpu->long64 && cpu->profile == X86_PROFILE_286)
            base |= 0xff000000u; /* the 286 stores 0xFF in the unused byte */
        else if (in->opsize == 2 && !cpu->long64)
            base &= 0xffffffu;
        x86_lin(cpu, in->seg, ea2, bsize, true);
        x86_write(cpu, in->seg, ea, 2, lim);
        x86_write(cpu, in->seg, ea2, bsize, base);
        return;
    }
    case 2: case 3: { /* LGDT, LIDT */
        if (cpu->cpl || cpu->vm86)
            x86_gp(cpu, 0);
        uint32_t lim = (uint32_t)x86_read(cpu, in->seg, ea, 2);
        uint64_t base = x86_read(cpu, in->seg, ea2, bsize);
        if (in->opsize == 2 && !cpu->long64)
            base &= 0xffffffu;
        if (r == 2) {
            cpu->gdt_base = base;
            cpu->gdt_limit = lim;
        } else {
            cpu->idt_base = base;
            cpu->idt_limit = lim;
        }
        return;
    }
    case 7: /* INVLPG */
        if (cpu->cpl || cpu->vm86)
            x86_gp(cpu, 0);
        {
            const struct x86_seg *s = &cpu->seg[in->seg];
            uint64_t lin = cpu->long64 ? ea + (in->seg >= X86_SEG_FS ? s->base : 0)
                                       : (s->base + ea) & 0xffffffffu;
            x86_tlb_flush_page(cpu, lin);
        }
        return;
    default:
        break;
    }
msw:
    switch (r) {
    case 4: { /* SMSW */
        unsigned size = in->mem ? 2 : in->opsize;
        uint64_t v = cpu->cr0;
        if (cpu->profile == X86_PROFILE_286)
            v |= 0xfff0;
        x86_rm_write(cpu, in, size, v);
        return;
    }
    case 6: { /* LMSW: cannot clear PE */
        if (cpu->cpl || cpu->vm86)
            x86_gp(cpu, 0);
        uint64_t v = x86_rm_read(cpu, in, 2) & 0xf;
        uint64_t cr0 = (cpu->cr0 & ~0xeull) | (v & 0xe) | (cpu->cr0 & 1) | (v & 1);
        x86_set_cr0(cpu, cr0);
        return;
    }
    default:
        x86_undefined(cpu);
    }
}

static void x86_enter(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = x86_stack_opsize(cpu, in);
    uint16_t alloc = (uint16_t)in->imm;
    unsigned level = (unsigned)in->imm2 & 31;
    uint64_t m = x86_sp_mask(cpu);
    uint64_t sp = cpu->regs[4] & m;
    uint64_t bp = cpu->regs[5];
    /* all writes are checked before registers change */
    sp = (sp - size) & m;
    x86_write(cpu, X86_SEG_SS, sp, size, bp);
    uint64_t frame = sp;
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - size) & m;
            uint64_t v = x86_read(cpu, X86_SEG_SS, bp & (cpu->stack32 ? 0xffffffffu : 0xffff), size);
            sp = (sp - size) & m;
            x86_write(cpu, X86_SEG_SS, sp, size, v);
        }
        sp = (sp - size) & m;
        x86_write(cpu, X86_SEG_SS, sp, size, frame);
    }
    sp = (sp - alloc) & m;
    /* the final stack pointer must be inside the segment too */
    if (!cpu->long64)
        x86_lin(cpu, X86_SEG_SS, sp, 1, true);
    x86_set_reg(cpu, 5, size, true, frame);
    cpu->regs[4] = (cpu->regs[4] & ~m) | sp;
}

static void x86_pusha(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t m = x86_sp_mask(cpu);
    uint64_t sp = cpu->regs[4];
    for (int r = 0; r < 8; r++) {
        sp = (sp - size) & m;
        x86_write(cpu, X86_SEG_SS, sp, size, cpu->regs[r == 4 ? 4 : r] & x86_size_mask(size));
    }
    /* PUSHA pushes the original SP */
    cpu->regs[4] = (cpu->regs[4] & ~m) | sp;
}

static void x86_popa(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t m = x86_sp_mask(cpu);
    uint64_t sp = cpu->regs[4] & m;
    uint64_t v[8];
    for (int r = 7; r >= 0; r--) {
        v[r] = x86_read(cpu, X86_SEG_SS, sp, size);
        sp = (sp + size) & m;
    }
    for (int r = 0; r < 8; r++)
        if (r != 4)
            x86_set_reg(cpu, r, size, true, v[r]);
    cpu->regs[4] = (cpu->regs[4] & ~m) | sp;
}

static void x86_pushf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = x86_stack_opsize(cpu, in);
    uint32_t f = x86_get_flags(cpu);
    if (cpu->vm86 && ((f & X86_IOPL) >> 12) < 3)
        x86_gp(cpu, 0);
    f &= ~(X86_RF | X86_VM);
    if (cpu->profile == X86_PROFILE_286 && !cpu->pe)
        f &= 0x0fff; /* the 286 reads bits 12-15 as 0 in real mode */
    x86_push(cpu, size, f);
}

static void x86_popf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = x86_stack_opsize(cpu, in);
    uint32_t f = x86_get_flags(cpu);
    if (cpu->vm86 && ((f & X86_IOPL) >> 12) < 3)
        x86_gp(cpu, 0);
    uint32_t v = (uint32_t)x86_pop(cpu, size);
    uint32_t mask = X86_ARITH_FLAGS | X86_TF | X86_DF | X86_NT | X86_AC | X86_ID;
    if (cpu->cpl == 0 && !cpu->vm86)
        mask |= X86_IOPL;
    if (cpu->cpl <= (int)((f & X86_IOPL) >> 12))
        mask |= X86_IF;
    if (size == 2)
        mask &= 0xffff;
    if (cpu->profile == X86_PROFILE_286 && !cpu->pe)
        mask &= ~(X86_IOPL | X86_NT);
    x86_set_flags(cpu, v, mask);
}

static void x86_cli_sti(struct x86_cpu *cpu, bool set)
{
    unsigned iopl = (x86_get_flags(cpu) & X86_IOPL) >> 12;
    if (cpu->pe && (int)iopl < cpu->cpl)
        x86_gp(cpu, 0);
    if (set) {
        if (!(cpu->eflags & X86_IF)) {
            cpu->irq_shadow = true;
            cpu->attention = true;
        }
        x86_set_flags(cpu, X86_IF, X86_IF);
    } else {
        cpu->eflags &= ~X86_IF;
    }
}

static void x86_exec_0f(struct x86_cpu *cpu, struct x86_insn *in);

/* direct handlers the generic executor shares (defined with the others below) */
static void x86_h_grp5_call(struct x86_cpu *cpu, struct x86_insn *in);

static void x86_exec(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned op = in->op;
    unsigned size = (op & 1) ? in->opsize : 1;
    uint64_t a, b, r;
    struct x86_rmw w;

    if (X86_UNLIKELY(in->lock) && cpu->profile != X86_PROFILE_286)
        x86_lock_check(cpu, in); /* the 286 accepts LOCK anywhere */
    if (X86_UNLIKELY(cpu->i8086) && x86_8086_exec(cpu, in))
        return;
    if (op >= 0x100) {
        x86_exec_0f(cpu, in);
        return;
    }
    switch (op) {
    /* ALU r/m, reg forms */
    case 0x00: case 0x01: case 0x08: case 0x09: case 0x10: case 0x11: case 0x18: case 0x19:
    case 0x20: case 0x21: case 0x28: case 0x29: case 0x30: case 0x31:
        a = x86_rmw_read(cpu, in, size, &w);
        b = x86_reg(cpu, in->reg, size, in->rex);
        r = x86_alu(cpu, op >> 3, a, b, size);
        x86_rmw_write(cpu, in, size, &w, r);
        return;
    case 0x38: case 0x39:
        a = x86_rm_read(cpu, in, size);
        x86_alu(cpu, 7, a, x86_reg(cpu, in->reg, size, in->rex), size);
        return;
    case 0x02: case 0x03: case 0x0a: case 0x0b: case 0x12: case 0x13: case 0x1a: case 0x1b:
    case 0x22: case 0x23: case 0x2a: case 0x2b: case 0x32: case 0x33: case 0x3a: case 0x3b:
        b = x86_rm_read(cpu, in, size);
        r = x86_alu(cpu, op >> 3, x86_reg(cpu, in->reg, size, in->rex), b, size);
        if ((op >> 3) != 7)
            x86_set_reg(cpu, in->reg, size, in->rex, r);
        return;
    case 0x04: case 0x05: case 0x0c: case 0x0d: case 0x14: case 0x15: case 0x1c: case 0x1d:
    case 0x24: case 0x25: case 0x2c: case 0x2d: case 0x34: case 0x35: case 0x3c: case 0x3d:
        r = x86_alu(cpu, op >> 3, cpu->regs[0], in->imm, size);
        if ((op >> 3) != 7)
            x86_set_reg(cpu, 0, size, true, r);
        return;
    case 0x06: case 0x0e: case 0x16: case 0x1e:
        x86_push(cpu, x86_stack_opsize(cpu, in), cpu->seg[op >> 3].sel);
        return;
    case 0x07: case 0x17: case 0x1f: {
        unsigned s = x86_stack_opsize(cpu, in);
        uint16_t sel = (uint16_t)x86_stack_peek(cpu, 0, s);
        x86_load_seg(cpu, (int)(op >> 3), sel);
        cpu->regs[4] = (cpu->regs[4] & ~x86_sp_mask(cpu)) | ((cpu->regs[4] + s) & x86_sp_mask(cpu));
        if (op == 0x17) {
            cpu->irq_shadow = true;
            cpu->attention = true;
        }
        return;
    }
    case 0x27: x86_daa_das(cpu, false); return;
    case 0x2f: x86_daa_das(cpu, true); return;
    case 0x37: x86_aaa_aas(cpu, false); return;
    case 0x3f: x86_aaa_aas(cpu, true); return;
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
        r = x86_incdec(cpu, cpu->regs[op & 7], op >= 0x48, in->opsize);
        x86_set_reg(cpu, op & 7, in->opsize, true, r);
        return;
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57: {
        unsigned s = x86_stack_opsize(cpu, in);
        x86_push(cpu, s, cpu->regs[(op & 7) | ((in->rex & 1u) << 3)]);
        return;
    }
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: {
        unsigned s = x86_stack_opsize(cpu, in);
        a = x86_pop(cpu, s);
        x86_set_reg(cpu, (op & 7) | ((in->rex & 1u) << 3), s, true, a);
        return;
    }
    case 0x60: x86_pusha(cpu, in); return;
    case 0x61: x86_popa(cpu, in); return;
    case 0x62: { /* BOUND */
        if (!in->mem)
            x86_undefined(cpu);
        uint64_t ea = x86_ea(cpu, in);
        unsigned s = in->opsize;
        uint64_t lo = x86_read(cpu, in->seg, ea, s);
        uint64_t hi = x86_read(cpu, in->seg, (ea + s) & x86_size_mask(in->addrsize), s);
        unsigned sh = 64 - 8 * s;
        int64_t idx = (int64_t)(cpu->regs[in->reg] << sh) >> sh;
        if (idx < (int64_t)(lo << sh) >> sh || idx > (int64_t)(hi << sh) >> sh)
            x86_fault(cpu, X86_EXC_BR, 0, false);
        return;
    }
    case 0x63: { /* ARPL; MOVSXD in 64-bit mode */
        if (cpu->long64) {
            a = x86_rm_read(cpu, in, 4);
            x86_set_reg(cpu, in->reg, in->opsize, in->rex, (uint64_t)(int64_t)(int32_t)a);
            return;
        }
        if (!cpu->pe || cpu->vm86)
            x86_undefined(cpu);
        a = x86_rmw_read(cpu, in, 2, &w);
        b = x86_reg(cpu, in->reg, 2, in->rex);
        x86_get_flags(cpu);
        if ((a & 3) < (b & 3)) {
            x86_rmw_write(cpu, in, 2, &w, (a & ~3ull) | (b & 3));
            cpu->eflags |= X86_ZF;
        } else {
            cpu->eflags &= ~X86_ZF;
        }
        return;
    }
    case 0x68: case 0x6a:
        x86_push(cpu, x86_stack_opsize(cpu, in), in->imm);
        return;
    case 0x69: case 0x6b:
        a = x86_rm_read(cpu, in, in->opsize);
        r = x86_imul2(cpu, a, in->imm, in->opsize);
        x86_set_reg(cpu, in->reg, in->opsize, in->rex, r);
        return;
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:
        x86_string(cpu, in);
        return;
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
        if (x86_cond(cpu, op & 15))
            x86_jump_near(cpu, cpu->next_rip + in->imm, cpu->long64 ? 8 : in->opsize);
        return;
    case 0x80: case 0x81: case 0x82: case 0x83: {
        unsigned s = op == 0x80 || op == 0x82 ? 1 : in->opsize;
        unsigned aop = in->reg & 7;
        if (aop == 7) {
            x86_alu(cpu, 7, x86_rm_read(cpu, in, s), in->imm, s);
            return;
        }
        a = x86_rmw_read(cpu, in, s, &w);
        r = x86_alu(cpu, aop, a, in->imm, s);
        x86_rmw_write(cpu, in, s, &w, r);
        return;
    }
    case 0x84: case 0x85:
        a = x86_rm_read(cpu, in, size);
        x86_flags_logic(cpu, a & x86_reg(cpu, in->reg, size, in->rex), size);
        return;
    case 0x86: case 0x87:
        a = x86_rmw_read(cpu, in, size, &w);
        b = x86_reg(cpu, in->reg, size, in->rex);
        x86_rmw_write(cpu, in, size, &w, b);
        x86_set_reg(cpu, in->reg, size, in->rex, a);
        return;
    case 0x88: case 0x89:
        x86_rm_write(cpu, in, size, x86_reg(cpu, in->reg, size, in->rex));
        return;
    case 0x8a: case 0x8b:
        x86_set_reg(cpu, in->reg, size, in->rex, x86_rm_read(cpu, in, size));
        return;
    case 0x8c: /* MOV r/m, Sreg */
        if ((in->reg & 7) > (cpu->profile == X86_PROFILE_286 ? 3 : 5))
            x86_undefined(cpu);
        x86_rm_write(cpu, in, in->mem ? 2 : in->opsize, cpu->seg[in->reg & 7].sel);
        return;
    case 0x8d: /* LEA */
        if (!in->mem)
            x86_undefined(cpu);
        x86_set_reg(cpu, in->reg, in->opsize, in->rex, x86_ea(cpu, in));
        return;
    case 0x8e: { /* MOV Sreg, r/m */
        unsigned s = in->reg & 7;
        if (s == X86_SEG_CS || s > (cpu->profile == X86_PROFILE_286 ? 3u : 5u))
            x86_undefined(cpu);
        x86_load_seg(cpu, (int)s, (uint16_t)x86_rm_read(cpu, in, 2));
        if (s == X86_SEG_SS) {
            cpu->irq_shadow = true;
            cpu->attention = true;
        }
        return;
    }
    case 0x8f: { /* POP r/m: the address uses the incremented SP */
        unsigned s = x86_stack_opsize(cpu, in);
        if ((in->reg & 7) != 0)
            x86_undefined(cpu);
        a = x86_stack_peek(cpu, 0, s);
        uint64_t old = cpu->regs[4];
        cpu->regs[4] = (old & ~x86_sp_mask(cpu)) | ((old + s) & x86_sp_mask(cpu));
        x86_rm_write(cpu, in, s, a);
        return;
    }
    case 0x90:
        if (in->rex & 1)
            goto xchg;
        return; /* NOP, PAUSE */
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    xchg: {
        unsigned rr = (op & 7) | ((in->rex & 1u) << 3);
        a = cpu->regs[rr];
        x86_set_reg(cpu, rr, in->opsize, true, cpu->regs[0]);
        x86_set_reg(cpu, 0, in->opsize, true, a);
        return;
    }
    case 0x98: /* CBW/CWDE/CDQE */
        if (in->opsize == 2)
            x86_set_reg(cpu, 0, 2, true, (uint64_t)(int64_t)(int8_t)cpu->regs[0]);
        else if (in->opsize == 4)
            x86_set_reg(cpu, 0, 4, true, (uint64_t)(int64_t)(int16_t)cpu->regs[0]);
        else
            cpu->regs[0] = (uint64_t)(int64_t)(int32_t)cpu->regs[0];
        return;
    case 0x99: { /* CWD/CDQ/CQO */
        unsigned s = in->opsize;
        bool neg = (cpu->regs[0] >> (8 * s - 1)) & 1;
        x86_set_reg(cpu, 2, s, true, neg ? ~0ull : 0);
        return;
    }
    case 0x9a:
        x86_far_jump(cpu, (uint16_t)in->imm2, in->imm & x86_size_mask(in->opsize), true, in->opsize);
        return;
    case 0x9b:
        x86_fwait(cpu);
        return;
    case 0x9c: x86_pushf(cpu, in); return;
    case 0x9d: x86_popf(cpu, in); return;
    case 0x9e: /* SAHF */
        x86_set_flags(cpu, (cpu->regs[0] >> 8) & 0xff, X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF);
        return;
    case 0x9f: /* LAHF */
        x86_set_reg(cpu, 4, 1, false, (x86_get_flags(cpu) & 0xd7) | 2);
        return;
    case 0xa0: case 0xa1:
        x86_set_reg(cpu, 0, size, true, x86_read(cpu, in->seg, in->imm, size));
        return;
    case 0xa2: case 0xa3:
        x86_write(cpu, in->seg, in->imm, size, cpu->regs[0]);
        return;
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad:
    case 0xae: case 0xaf:
        x86_string(cpu, in);
        return;
    case 0xa8: case 0xa9:
        x86_flags_logic(cpu, cpu->regs[0] & in->imm, size);
        return;
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
        x86_set_reg(cpu, (op & 7) | ((in->rex & 1u) << 3), 1, in->rex, in->imm);
        return;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
        x86_set_reg(cpu, (op & 7) | ((in->rex & 1u) << 3), in->opsize, true, in->imm);
        return;
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        unsigned count = op <= 0xc1 ? (unsigned)in->imm & 0xff : op <= 0xd1 ? 1 : (unsigned)cpu->regs[1] & 0xff;
        a = x86_rmw_read(cpu, in, size, &w);
        r = x86_shift(cpu, in->reg & 7, a, count, size);
        x86_rmw_write(cpu, in, size, &w, r);
        return;
    }
    case 0xc2: case 0xc3: {
        unsigned s = x86_stack_opsize(cpu, in);
        uint64_t target = x86_stack_peek(cpu, 0, s);
        x86_jump_near(cpu, target, s);
        uint64_t m = x86_sp_mask(cpu);
        uint64_t add = s + (op == 0xc2 ? (in->imm & 0xffff) : 0);
        cpu->regs[4] = (cpu->regs[4] & ~m) | ((cpu->regs[4] + add) & m);
        return;
    }
    case 0xc4: case 0xc5:
        x86_load_far_pointer(cpu, in, op == 0xc4 ? X86_SEG_ES : X86_SEG_DS);
        return;
    case 0xc6: case 0xc7:
        if ((in->reg & 7) != 0)
            x86_undefined(cpu);
        x86_rm_write(cpu, in, size, in->imm);
        return;
    case 0xc8: x86_enter(cpu, in); return;
    case 0xc9: { /* LEAVE */
        uint64_t m = x86_sp_mask(cpu);
        unsigned s = x86_stack_opsize(cpu, in);
        uint64_t bp = cpu->regs[5] & m;
        a = x86_read(cpu, X86_SEG_SS, bp, s);
        cpu->regs[4] = (cpu->regs[4] & ~m) | ((bp + s) & m);
        x86_set_reg(cpu, 5, s, true, a);
        return;
    }
    case 0xca: case 0xcb:
        x86_far_return(cpu, in->opsize, op == 0xca ? (uint16_t)in->imm : 0);
        return;
    case 0xcc:
        x86_deliver(cpu, X86_EXC_BP, true, false, 0, cpu->next_rip);
        return;
    case 0xcd:
        if (cpu->vm86 && ((x86_get_flags(cpu) & X86_IOPL) >> 12) < 3)
            x86_gp(cpu, 0);
        x86_deliver(cpu, (int)(in->imm & 0xff), true, false, 0, cpu->next_rip);
        return;
    case 0xce:
        if (x86_get_flags(cpu) & X86_OF)
            x86_deliver(cpu, X86_EXC_OF, true, false, 0, cpu->next_rip);
        return;
    case 0xcf: x86_iret(cpu, in->opsize); return;
    case 0xd4: { /* AAM */
        uint8_t base = (uint8_t)in->imm, al = (uint8_t)cpu->regs[0];
        if (base == 0)
            x86_fault(cpu, X86_EXC_DE, 0, false);
        uint8_t res = (uint8_t)(al % base);
        x86_set_reg(cpu, 0, 2, true, ((unsigned)(al / base) << 8) | res);
        x86_flags_logic(cpu, res, 1);
        return;
    }
    case 0xd5: { /* AAD: flags as the byte add AL + AH*imm */
        uint8_t al = (uint8_t)cpu->regs[0], ah = (uint8_t)(cpu->regs[0] >> 8);
        uint8_t prod = (uint8_t)(ah * (uint8_t)in->imm);
        uint8_t res = (uint8_t)x86_alu(cpu, 0, al, prod, 1);
        x86_set_reg(cpu, 0, 2, true, res);
        return;
    }
    case 0xd6: /* SALC */
        x86_set_reg(cpu, 0, 1, true, x86_cf(cpu) ? 0xff : 0);
        return;
    case 0xd7: { /* XLAT */
        uint64_t ea = (cpu->regs[3] + (cpu->regs[0] & 0xff)) & x86_size_mask(in->addrsize);
        x86_set_reg(cpu, 0, 1, true, x86_read(cpu, in->seg, ea, 1));
        return;
    }
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
        x86_esc(cpu, in);
        return;
    case 0xe0: case 0xe1: case 0xe2: { /* LOOPNE, LOOPE, LOOP */
        uint64_t c = (x86_count_reg(cpu, in) - 1) & x86_size_mask(in->addrsize);
        x86_set_count_reg(cpu, in, c);
        bool go = c != 0;
        if (op == 0xe0)
            go = go && !x86_cond(cpu, 4);
        else if (op == 0xe1)
            go = go && x86_cond(cpu, 4);
        if (go)
            x86_jump_near(cpu, cpu->next_rip + in->imm, cpu->long64 ? 8 : in->opsize);
        return;
    }
    case 0xe3:
        if (x86_count_reg(cpu, in) == 0)
            x86_jump_near(cpu, cpu->next_rip + in->imm, cpu->long64 ? 8 : in->opsize);
        return;
    case 0xe4: case 0xe5:
        x86_set_reg(cpu, 0, size, true, x86_io_in(cpu, (uint16_t)(in->imm & 0xff), size));
        return;
    case 0xe6: case 0xe7:
        x86_io_out(cpu, (uint16_t)(in->imm & 0xff), size, cpu->regs[0]);
        return;
    case 0xe8: {
        unsigned s = cpu->long64 ? 8 : in->opsize;
        uint64_t target = (cpu->next_rip + in->imm) & x86_size_mask(s);
        if (!cpu->long64 && target > cpu->seg[X86_SEG_CS].limit)
            x86_gp(cpu, 0);
        x86_push(cpu, s, cpu->next_rip);
        x86_jump_near(cpu, target, s);
        return;
    }
    case 0xe9: case 0xeb:
        x86_jump_near(cpu, cpu->next_rip + in->imm, cpu->long64 ? 8 : in->opsize);
        return;
    case 0xea:
        x86_far_jump(cpu, (uint16_t)in->imm2, in->imm & x86_size_mask(in->opsize), false, in->opsize);
        return;
    case 0xec: case 0xed:
        x86_set_reg(cpu, 0, size, true, x86_io_in(cpu, (uint16_t)cpu->regs[2], size));
        return;
    case 0xee: case 0xef:
        x86_io_out(cpu, (uint16_t)cpu->regs[2], size, cpu->regs[0]);
        return;
    case 0xf1: /* INT1 / ICEBP: a #DB trap */
        x86_deliver(cpu, X86_EXC_DB, true, false, 0, cpu->next_rip);
        return;
    case 0xf4: x86_hlt(cpu); return;
    case 0xf5:
        x86_get_flags(cpu);
        cpu->eflags ^= X86_CF;
        return;
    case 0xf6: case 0xf7:
        switch (in->reg & 7) {
        case 0: case 1:
            x86_flags_logic(cpu, x86_rm_read(cpu, in, size) & in->imm, size);
            return;
        case 2:
            a = x86_rmw_read(cpu, in, size, &w);
            x86_rmw_write(cpu, in, size, &w, ~a);
            return;
        case 3:
            a = x86_rmw_read(cpu, in, size, &w);
            r = x86_alu(cpu, 5, 0, a, size);
            x86_rmw_write(cpu, in, size, &w, r);
            return;
        case 4: case 5:
            x86_mul(cpu, in, (in->reg & 7) == 5, x86_rm_read(cpu, in, size), size);
            return;
        default:
            x86_div(cpu, (in->reg & 7) == 7, x86_rm_read(cpu, in, size), size);
            return;
        }
    case 0xf8: x86_get_flags(cpu); cpu->eflags &= ~X86_CF; return;
    case 0xf9: x86_get_flags(cpu); cpu->eflags |= X86_CF; return;
    case 0xfa: x86_cli_sti(cpu, false); return;
    case 0xfb: x86_cli_sti(cpu, true); return;
    case 0xfc: cpu->eflags &= ~X86_DF; return;
    case 0xfd: cpu->eflags |= X86_DF; return;
    case 0xfe:
        if ((in->reg & 7) > 1)
            x86_undefined(cpu);
        a = x86_rmw_read(cpu, in, 1, &w);
        x86_rmw_write(cpu, in, 1, &w, x86_incdec(cpu, a, in->reg & 1, 1));
        return;
    case 0xff:
        switch (in->reg & 7) {
        case 0: case 1:
            a = x86_rmw_read(cpu, in, in->opsize, &w);
            x86_rmw_write(cpu, in, in->opsize, &w, x86_incdec(cpu, a, in->reg & 1, in->opsize));
            return;
        case 2: /* CALL near indirect */
            x86_h_grp5_call(cpu, in);
            return;
        case 3: case 5: { /* CALL/JMP far indirect */
            if (!in->mem)
                x86_undefined(cpu);
            uint64_t ea = x86_ea(cpu, in);
            uint64_t off = x86_read(cpu, in->seg, ea, in->opsize);
            uint16_t sel = (uint16_t)x86_read(cpu, in->seg, (ea + in->opsize) & x86_size_mask(in->addrsize), 2);
            x86_far_jump(cpu, sel, off, (in->reg & 7) == 3, in->opsize);
            return;
        }
        case 4:
            x86_jump_near(cpu, x86_rm_read(cpu, in, cpu->long64 ? 8 : in->opsize),
                          cpu->long64 ? 8 : in->opsize);
            return;
        case 6:
            x86_push(cpu, x86_stack_opsize(cpu, in), x86_rm_read(cpu, in, x86_stack_opsize(cpu, in)));
            return;
        default:
            x86_undefined(cpu);
        }
    default:
        x86_undefined(cpu);
    }
}

static void x86_exec_0f(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned op = in->op & 0xff;
    unsigned size = in->opsize;
    uint64_t a, b, r;
    struct x86_rmw w;

    if (x86_sse_owns(op)) {
        x86_sse_exec(cpu, in);
        return;
    }

    switch (op) {
    case 0x00: x86_group6(cpu, in); return;
    case 0x01: x86_group7(cpu, in); return;
    case 0x02: case 0x03: { /* LAR, LSL */
        if (!cpu->pe || cpu->vm86)
            x86_undefined(cpu);
        uint32_t v;
        bool ok = x86_lar_lsl(cpu, (uint16_t)x86_rm_read(cpu, in, 2), op == 3, &v);
        x86_get_flags(cpu);
        if (ok) {
            x86_set_reg(cpu, in->reg, size, in->rex, v);
            cpu->eflags |= X86_ZF;
        } else {
            cpu->eflags &= ~X86_ZF;
        }
        return;
    }
    case 0x05: x86_syscall(cpu); return;
    case 0x07: x86_sysret(cpu, in->opsize); return;
    case 0x34:
        if (!(cpu->cpuid.feat_edx & (1u << 11)))
            x86_undefined(cpu);
        x86_sysenter(cpu);
        return;
    case 0x35:
        if (!(cpu->cpuid.feat_edx & (1u << 11)))
            x86_undefined(cpu);
        x86_sysexit(cpu, in->opsize);
        return;
    case 0x06: /* CLTS */
        if (cpu->cpl || cpu->vm86)
            x86_gp(cpu, 0);
        cpu->cr0 &= ~(uint64_t)X86_CR0_TS;
        return;
    case 0x08: case 0x09: /* INVD, WBINVD: no caches to write back */
        if (cpu->cpl || cpu->vm86)
            x86_gp(cpu, 0);
        return;
    case 0x0b: /* UD2 */
        x86_ud(cpu);
    case 0x0d: case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e:
    case 0x1f: /* prefetch hints and NOP r/m */
        return;
    case 0x20: x86_mov_cr(cpu, in, false); return;
    case 0x22: x86_mov_cr(cpu, in, true); return;
    case 0x21: x86_mov_dr(cpu, in, false); return;
    case 0x23: x86_mov_dr(cpu, in, true); return;
    case 0x30: case 0x32: { /* WRMSR, RDMSR */
        if (cpu->cpl || cpu->vm86)
            x86_gp(cpu, 0);
        uint32_t msr = (uint32_t)cpu->regs[1];
        if (op == 0x30) {
            uint64_t v = ((cpu->regs[2] & 0xffffffffu) << 32) | (cpu->regs[0] & 0xffffffffu);
            if (!x86_wrmsr(cpu, msr, v)) {
                x86_msr_log(cpu, msr, true, v);
                x86_gp(cpu, 0);
            }
        } else {
            uint64_t v;
            if (!x86_rdmsr(cpu, msr, &v)) {
                x86_msr_log(cpu, msr, false, 0);
                x86_gp(cpu, 0);
            }
            cpu->regs[0] = (uint32_t)v;
            cpu->regs[2] = v >> 32;
        }
        return;
    }
    case 0x31: /* RDTSC */
        if ((cpu->cr4 & X86_CR4_TSD) && cpu->cpl)
            x86_gp(cpu, 0);
        a = x86_tsc(cpu);
        cpu->regs[0] = (uint32_t)a;
        cpu->regs[2] = a >> 32;
        return;
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
        a = x86_rm_read(cpu, in, size);
        if (x86_cond(cpu, op & 15))
            x86_set_reg(cpu, in->reg, size, in->rex, a);
        else if (size == 4)
            x86_set_reg(cpu, in->reg, 4, in->rex, cpu->regs[in->reg]);
        return;
    case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
    case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8c: case 0x8d: case 0x8e: case 0x8f:
        if (x86_cond(cpu, op & 15))
            x86_jump_near(cpu, cpu->next_rip + in->imm, cpu->long64 ? 8 : in->opsize);
        return;
    case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9a: case 0x9b: case 0x9c: case 0x9d: case 0x9e: case 0x9f:
        x86_rm_write(cpu, in, 1, x86_cond(cpu, op & 15));
        return;
    case 0xa0: case 0xa8:
        x86_push(cpu, x86_stack_opsize(cpu, in), cpu->seg[op == 0xa0 ? X86_SEG_FS : X86_SEG_GS].sel);
        return;
    case 0xa1: case 0xa9: {
        unsigned s = x86_stack_opsize(cpu, in);
        uint16_t sel = (uint16_t)x86_stack_peek(cpu, 0, s);
        x86_load_seg(cpu, op == 0xa1 ? X86_SEG_FS : X86_SEG_GS, sel);
        cpu->regs[4] = (cpu->regs[4] & ~x86_sp_mask(cpu)) | ((cpu->regs[4] + s) & x86_sp_mask(cpu));
        return;
    }
    case 0xa2: x86_cpuid(cpu); return;
    case 0xa3: x86_bit_op(cpu, in, 0, x86_reg(cpu, in->reg, size, in->rex), false); return;
    case 0xab: x86_bit_op(cpu, in, 1, x86_reg(cpu, in->reg, size, in->rex), false); return;
    case 0xb3: x86_bit_op(cpu, in, 2, x86_reg(cpu, in->reg, size, in->rex), false); return;
    case 0xbb: x86_bit_op(cpu, in, 3, x86_reg(cpu, in->reg, size, in->rex), false); return;
    case 0xba:
        if ((in->reg & 7) < 4)
            x86_undefined(cpu);
        x86_bit_op(cpu, in, (in->reg & 7) - 4, in->imm & 0xff, true);
        return;
    case 0xa4: case 0xa5: case 0xac: case 0xad: {
        unsigned count = (op & 1) ? (unsigned)cpu->regs[1] & 0xff : (unsigned)in->imm & 0xff;
        a = x86_rmw_read(cpu, in, size, &w);
        b = x86_reg(cpu, in->reg, size, in->rex);
        r = x86_shxd(cpu, op < 0xa8, a, b, count, size);
        x86_rmw_write(cpu, in, size, &w, r);
        return;
    }
    case 0xae: {
        unsigned sub = in->reg & 7;
        if (!in->mem && sub >= 5)
            return; /* LFENCE, MFENCE, SFENCE */
        if (sub == 7 && (cpu->cpuid.feat_edx & (1u << 19))) {
            /* CLFLUSH: no caches; the access is checked like a byte read */
            uint64_t lin = x86_lin(cpu, in->seg, x86_ea(cpu, in), 1, false);
            uint64_t phys;
            x86_translate(cpu, lin, X86_ACC_READ, x86_user(cpu), true, &phys, NULL);
            return;
        }
        if (sub == 0 || sub == 1) {
            if (!(cpu->cpuid.feat_edx & (1u << 24)))
                x86_undefined(cpu);
            x86_fxsave_rstor(cpu, in, sub == 1);
            return;
        }
        if ((sub == 2 || sub == 3) && in->mem) { /* LDMXCSR, STMXCSR */
            x86_sse_exec(cpu, in);
            return;
        }
        x86_undefined(cpu);
    }
    case 0xaf:
        a = x86_rm_read(cpu, in, size);
        r = x86_imul2(cpu, x86_reg(cpu, in->reg, size, in->rex), a, size);
        x86_set_reg(cpu, in->reg, size, in->rex, r);
        return;
    case 0xb0: case 0xb1: { /* CMPXCHG */
        unsigned s = op == 0xb0 ? 1 : size;
        a = x86_rmw_read(cpu, in, s, &w);
        x86_alu(cpu, 7, cpu->regs[0], a, s);
        if ((cpu->regs[0] & x86_size_mask(s)) == a) {
            x86_rmw_write(cpu, in, s, &w, x86_reg(cpu, in->reg, s, in->rex));
        } else {
            /* the destination is written back unchanged (locked cycle) */
            x86_rmw_write(cpu, in, s, &w, a);
            x86_set_reg(cpu, 0, s, true, a);
        }
        return;
    }
    case 0xb2: x86_load_far_pointer(cpu, in, X86_SEG_SS); return;
    case 0xb4: x86_load_far_pointer(cpu, in, X86_SEG_FS); return;
    case 0xb5: x86_load_far_pointer(cpu, in, X86_SEG_GS); return;
    case 0xb6: case 0xb7:
        a = x86_rm_read(cpu, in, op == 0xb6 ? 1 : 2);
        x86_set_reg(cpu, in->reg, size, in->rex, a);
        return;
    case 0xbe:
        a = (uint64_t)(int64_t)(int8_t)x86_rm_read(cpu, in, 1);
        x86_set_reg(cpu, in->reg, size, in->rex, a);
        return;
    case 0xbf:
        a = (uint64_t)(int64_t)(int16_t)x86_rm_read(cpu, in, 2);
        x86_set_reg(cpu, in->reg, size, in->rex, a);
        return;
    case 0xbc: case 0xbd: { /* BSF, BSR: destination unchanged when the source is 0 */
        a = x86_rm_read(cpu, in, size);
        x86_get_flags(cpu);
        if (a == 0) {
            cpu->lazy.mask = 0;
            cpu->eflags |= X86_ZF;
            return;
        }
        unsigned idx = op == 0xbc ? (unsigned)__builtin_ctzll(a) : 63u - (unsigned)__builtin_clzll(a);
        x86_set_reg(cpu, in->reg, size, in->rex, idx);
        x86_flags_eager(cpu, 1, size, false, false, false);
        x86_get_flags(cpu);
        cpu->eflags &= ~X86_ZF;
        return;
    }
    case 0xb9: /* UD1 */
        x86_ud(cpu);
    case 0xc0: case 0xc1: { /* XADD */
        unsigned s = op == 0xc0 ? 1 : size;
        a = x86_rmw_read(cpu, in, s, &w);
        b = x86_reg(cpu, in->reg, s, in->rex);
        r = x86_alu(cpu, 0, a, b, s);
        x86_rmw_write(cpu, in, s, &w, r);
        x86_set_reg(cpu, in->reg, s, in->rex, a);
        return;
    }
    case 0xc7: { /* CMPXCHG8B */
        if ((in->reg & 7) != 1 || !in->mem)
            x86_undefined(cpu);
        if (in->opsize == 8) {
            x86_cmpxchg16b(cpu, in);
            return;
        }
        uint64_t ea = x86_ea(cpu, in);
        uint64_t lin = x86_lin(cpu, in->seg, ea, 8, true);
        uint64_t v = x86_read_lin(cpu, lin, 8);
        uint64_t cmp = ((cpu->regs[2] & 0xffffffffu) << 32) | (cpu->regs[0] & 0xffffffffu);
        x86_get_flags(cpu);
        if (v == cmp) {
            x86_write_lin(cpu, lin, 8, ((cpu->regs[1] & 0xffffffffu) << 32) | (cpu->regs[3] & 0xffffffffu));
            cpu->eflags |= X86_ZF;
        } else {
            x86_write_lin(cpu, lin, 8, v);
            cpu->regs[0] = (uint32_t)v;
            cpu->regs[2] = v >> 32;
            cpu->eflags &= ~X86_ZF;
        }
        return;
    }
    case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xcc: case 0xcd: case 0xce: case 0xcf: {
        unsigned rr = (op & 7) | ((in->rex & 1u) << 3);
        if (size == 8)
            cpu->regs[rr] = __builtin_bswap64(cpu->regs[rr]);
        else if (size == 4)
            cpu->regs[rr] = __builtin_bswap32((uint32_t)cpu->regs[rr]);
        else
            x86_set_reg(cpu, rr, 2, true, 0); /* undefined; P6 clears the word */
        return;
    }
    default:
        x86_undefined(cpu);
    }
}

/* ------------------------------------------------------------------------
 * pre-resolved handlers
 *
 * The commonest forms get their own function, picked once per decode
 * (x86_pick_exec) and kept in the decoded instruction, so executing them
 * skips x86_exec's opcode switch and its LOCK and 8086 checks: a pick is
 * made only without a LOCK prefix, outside the 8086 profile and, for 0F
 * opcodes, outside the 286 profile. Each body is its x86_exec (or
 * x86_exec_0f) case, unchanged.
 */

static unsigned x86_h_size(const struct x86_insn *in)
{
    return (in->op & 1) ? in->opsize : 1;
}

/* ALU forms per operation (x86_alu_op with a constant op): r/m,reg;
 * reg,r/m; AL/eAX,imm; group 1 r/m,imm. CMP writes nothing back. */
#define X86_ALU_HANDLERS(NAME, OP)                                                         \
    static void x86_h_##NAME##_rm_r(struct x86_cpu *cpu, struct x86_insn *in)              \
    {                                                                                      \
        unsigned size = x86_h_size(in);                                                    \
        if ((OP) == 7) {                                                                   \
            uint64_t a = x86_rm_read(cpu, in, size);                                       \
            x86_alu_op(cpu, 7, a, x86_reg(cpu, in->reg, size, in->rex), size);            \
            return;                                                                        \
        }                                                                                  \
        struct x86_rmw w;                                                                  \
        uint64_t a = x86_rmw_read(cpu, in, size, &w);                                      \
        uint64_t b = x86_reg(cpu, in->reg, size, in->rex);                                 \
        x86_rmw_write(cpu, in, size, &w, x86_alu_op(cpu, (OP), a, b, size));               \
    }                                                                                      \
    static void x86_h_##NAME##_r_rm(struct x86_cpu *cpu, struct x86_insn *in)              \
    {                                                                                      \
        unsigned size = x86_h_size(in);                                                    \
        uint64_t b = x86_rm_read(cpu, in, size);                                           \
        uint64_t r = x86_alu_op(cpu, (OP), x86_reg(cpu, in->reg, size, in->rex), b, size); \
        if ((OP) != 7)                                                                     \
            x86_set_reg(cpu, in->reg, size, in->rex, r);                                   \
    }                                                                                      \
    static void x86_h_##NAME##_acc_imm(struct x86_cpu *cpu, struct x86_insn *in)           \
    {                                                                                      \
        unsigned size = x86_h_size(in);                                                    \
        uint64_t r = x86_alu_op(cpu, (OP), cpu->regs[0], in->imm, size);                   \
        if ((OP) != 7)                                                                     \
            x86_set_reg(cpu, 0, size, true, r);                                            \
    }                                                                                      \
    static void x86_h_##NAME##_grp1(struct x86_cpu *cpu, struct x86_insn *in)              \
    {                                                                                      \
        unsigned s = in->op == 0x80 || in->op == 0x82 ? 1 : in->opsize;                    \
        if ((OP) == 7) {                                                                   \
            x86_alu_op(cpu, 7, x86_rm_read(cpu, in, s), in->imm, s);                       \
            return;                                                                        \
        }                                                                                  \
        struct x86_rmw w;                                                                  \
        uint64_t a = x86_rmw_read(cpu, in, s, &w);                                         \
        x86_rmw_write(cpu, in, s, &w, x86_alu_op(cpu, (OP), a, in->imm, s));               \
    }

X86_ALU_HANDLERS(add, 0)
X86_ALU_HANDLERS(or, 1)
X86_ALU_HANDLERS(adc, 2)
X86_ALU_HANDLERS(sbb, 3)
X86_ALU_HANDLERS(and, 4)
X86_ALU_HANDLERS(sub, 5)
X86_ALU_HANDLERS(xor, 6)
X86_ALU_HANDLERS(cmp, 7)

static const x86_exec_fn x86_h_alu[8][4] = {
    { x86_h_add_rm_r, x86_h_add_r_rm, x86_h_add_acc_imm, x86_h_add_grp1 },
    { x86_h_or_rm_r, x86_h_or_r_rm, x86_h_or_acc_imm, x86_h_or_grp1 },
    { x86_h_adc_rm_r, x86_h_adc_r_rm, x86_h_adc_acc_imm, x86_h_adc_grp1 },
    { x86_h_sbb_rm_r, x86_h_sbb_r_rm, x86_h_sbb_acc_imm, x86_h_sbb_grp1 },
    { x86_h_and_rm_r, x86_h_and_r_rm, x86_h_and_acc_imm, x86_h_and_grp1 },
    { x86_h_sub_rm_r, x86_h_sub_r_rm, x86_h_sub_acc_imm, x86_h_sub_grp1 },
    { x86_h_xor_rm_r, x86_h_xor_r_rm, x86_h_xor_acc_imm, x86_h_xor_grp1 },
    { x86_h_cmp_rm_r, x86_h_cmp_r_rm, x86_h_cmp_acc_imm, x86_h_cmp_grp1 },
};

static void x86_h_incdec_r(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned op = in->op;
    uint64_t r = x86_incdec(cpu, cpu->regs[op & 7], op >= 0x48, in->opsize);
    x86_set_reg(cpu, op & 7, in->opsize, true, r);
}

static void x86_h_push_r(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_push(cpu, x86_stack_opsize(cpu, in), cpu->regs[(in->op & 7) | ((in->rex & 1u) << 3)]);
}

static void x86_h_pop_r(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned s = x86_stack_opsize(cpu, in);
    uint64_t a = x86_pop(cpu, s);
    x86_set_reg(cpu, (in->op & 7) | ((in->rex & 1u) << 3), s, true, a);
}

/* Jcc rel8 (70-7F) and rel16/32 (0F 80-8F) */
static void x86_h_jcc(struct x86_cpu *cpu, struct x86_insn *in)
{
    if (x86_cond_inl(cpu, in->op & 15))
        x86_jump_near_inl(cpu, cpu->next_rip + in->imm, cpu->long64 ? 8 : in->opsize);
}

static void x86_h_test_rm_r(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = x86_h_size(in);
    uint64_t a = x86_rm_read(cpu, in, size);
    x86_flags_logic(cpu, a & x86_reg(cpu, in->reg, size, in->rex), size);
}

static void x86_h_test_acc_imm(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_flags_logic(cpu, cpu->regs[0] & in->imm, x86_h_size(in));
}

static void x86_h_mov_rm_r(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = x86_h_size(in);
    x86_rm_write(cpu, in, size, x86_reg(cpu, in->reg, size, in->rex));
}

static void x86_h_mov_r_rm(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = x86_h_size(in);
    x86_set_reg(cpu, in->reg, size, in->rex, x86_rm_read(cpu, in, size));
}

static void x86_h_mov_rm_imm(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_rm_write(cpu, in, x86_h_size(in), in->imm);
}

static void x86_h_lea(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_set_reg(cpu, in->reg, in->opsize, in->rex, x86_ea(cpu, in));
}

static void x86_h_mov_r8_imm(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_set_reg(cpu, (in->op & 7) | ((in->rex & 1u) << 3), 1, in->rex, in->imm);
}

static void x86_h_mov_r_imm(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_set_reg(cpu, (in->op & 7) | ((in->rex & 1u) << 3), in->opsize, true, in->imm);
}

static void x86_h_shift(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned op = in->op, size = x86_h_size(in);
    unsigned count = op <= 0xc1 ? (unsigned)in->imm & 0xff : op <= 0xd1 ? 1 : (unsigned)cpu->regs[1] & 0xff;
    struct x86_rmw w;
    uint64_t a = x86_rmw_read(cpu, in, size, &w);
    x86_rmw_write(cpu, in, size, &w, x86_shift(cpu, in->reg & 7, a, count, size));
}

static void x86_h_ret(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned s = x86_stack_opsize(cpu, in);
    uint64_t target = x86_stack_peek(cpu, 0, s);
    x86_jump_near(cpu, target, s);
    uint64_t m = x86_sp_mask(cpu);
    uint64_t add = s + (in->op == 0xc2 ? (in->imm & 0xffff) : 0);
    cpu->regs[4] = (cpu->regs[4] & ~m) | ((cpu->regs[4] + add) & m);
}

static void x86_h_call(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned s = cpu->long64 ? 8 : in->opsize;
    uint64_t target = (cpu->next_rip + in->imm) & x86_size_mask(s);
    if (!cpu->long64 && target > cpu->seg[X86_SEG_CS].limit)
        x86_gp(cpu, 0);
    x86_push(cpu, s, cpu->next_rip);
    x86_jump_near(cpu, target, s);
}

static void x86_h_jmp(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_jump_near_inl(cpu, cpu->next_rip + in->imm, cpu->long64 ? 8 : in->opsize);
}

static void x86_h_cmovcc(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t a = x86_rm_read(cpu, in, size);
    if (x86_cond(cpu, in->op & 15))
        x86_set_reg(cpu, in->reg, size, in->rex, a);
    else if (size == 4)
        x86_set_reg(cpu, in->reg, 4, in->rex, cpu->regs[in->reg]);
}

static void x86_h_setcc(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_rm_write(cpu, in, 1, x86_cond(cpu, in->op & 15));
}

static void x86_h_movzx(struct x86_cpu *cpu, struct x86_insn *in)
{
    uint64_t a = x86_rm_read(cpu, in, in->op == 0x1b6 ? 1 : 2);
    x86_set_reg(cpu, in->reg, in->opsize, in->rex, a);
}

static void x86_h_movsx(struct x86_cpu *cpu, struct x86_insn *in)
{
    uint64_t a = in->op == 0x1be ? (uint64_t)(int64_t)(int8_t)x86_rm_read(cpu, in, 1)
                                 : (uint64_t)(int64_t)(int16_t)x86_rm_read(cpu, in, 2);
    x86_set_reg(cpu, in->reg, in->opsize, in->rex, a);
}

/* NOP, PAUSE, NOP r/m (0F 1F), prefetch and hint space (0F 0D, 0F 18-1E) */
static void x86_h_nop(struct x86_cpu *cpu, struct x86_insn *in)
{
}

/* MOVSXD in 64-bit mode; ARPL elsewhere goes to x86_exec */
static void x86_h_63(struct x86_cpu *cpu, struct x86_insn *in)
{
    if (!cpu->long64) {
        x86_exec(cpu, in);
        return;
    }
    uint64_t a = x86_rm_read(cpu, in, 4);
    x86_set_reg(cpu, in->reg, in->opsize, in->rex, (uint64_t)(int64_t)(int32_t)a);
}

/* group 3 (F6/F7) by reg: TEST, NOT, NEG, then MUL/IMUL/DIV/IDIV */
static void x86_h_grp3_test(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = x86_h_size(in);
    x86_flags_logic(cpu, x86_rm_read(cpu, in, size) & in->imm, size);
}

static void x86_h_grp3_not(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = x86_h_size(in);
    struct x86_rmw w;
    uint64_t a = x86_rmw_read(cpu, in, size, &w);
    x86_rmw_write(cpu, in, size, &w, ~a);
}

static void x86_h_grp3_neg(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = x86_h_size(in);
    struct x86_rmw w;
    uint64_t a = x86_rmw_read(cpu, in, size, &w);
    x86_rmw_write(cpu, in, size, &w, x86_alu_op(cpu, 5, 0, a, size));
}

static void x86_h_grp3_muldiv(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = x86_h_size(in);
    if ((in->reg & 7) < 6)
        x86_mul(cpu, in, (in->reg & 7) == 5, x86_rm_read(cpu, in, size), size);
    else
        x86_div(cpu, (in->reg & 7) == 7, x86_rm_read(cpu, in, size), size);
}

/* group 5 (FF): INC, DEC, CALL near, JMP near, PUSH; far forms go to x86_exec */
static void x86_h_grp5_incdec(struct x86_cpu *cpu, struct x86_insn *in)
{
    struct x86_rmw w;
    uint64_t a = x86_rmw_read(cpu, in, in->opsize, &w);
    x86_rmw_write(cpu, in, in->opsize, &w, x86_incdec(cpu, a, in->reg & 1, in->opsize));
}

static void x86_h_grp5_call(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned s = cpu->long64 ? 8 : in->opsize;
    uint64_t target = x86_rm_read(cpu, in, s) & x86_size_mask(s);
    if (!cpu->long64 && target > cpu->seg[X86_SEG_CS].limit)
        x86_gp(cpu, 0);
    x86_push(cpu, s, cpu->next_rip);
    x86_jump_near(cpu, target, s);
}

static void x86_h_grp5_jmp(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_jump_near(cpu, x86_rm_read(cpu, in, cpu->long64 ? 8 : in->opsize),
                  cpu->long64 ? 8 : in->opsize);
}

static void x86_h_grp5_push(struct x86_cpu *cpu, struct x86_insn *in)
{
    x86_push(cpu, x86_stack_opsize(cpu, in), x86_rm_read(cpu, in, x86_stack_opsize(cpu, in)));
}

static void x86_h_imul_r_rm(struct x86_cpu *cpu, struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t a = x86_rm_read(cpu, in, size);
    x86_set_reg(cpu, in->reg, size, in->rex, x86_imul2(cpu, x86_reg(cpu, in->reg, size, in->rex), a, size));
}

static void x86_h_rdtsc(struct x86_cpu *cpu, struct x86_insn *in)
{
    if ((cpu->cr4 & X86_CR4_TSD) && cpu->cpl)
        x86_gp(cpu, 0);
    uint64_t a = x86_tsc(cpu);
    cpu->regs[0] = (uint32_t)a;
    cpu->regs[2] = a >> 32;
}

/* The handler for a decoded instruction: a pre-resolved one or x86_exec. */
static x86_exec_fn x86_pick_exec(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned op = in->op;
    if (in->lock || cpu->i8086)
        return x86_exec;
    if (op < 0x40) {
        switch (op & 7) {
        case 0: case 1: return x86_h_alu[op >> 3][0];
        case 2: case 3: return x86_h_alu[op >> 3][1];
        case 4: case 5: return x86_h_alu[op >> 3][2];
        default: return x86_exec;
        }
    }
    if (op >= 0x40 && op <= 0x4f)
        return x86_h_incdec_r;
    if (op >= 0x50 && op <= 0x57)
        return x86_h_push_r;
    if (op >= 0x58 && op <= 0x5f)
        return x86_h_pop_r;
    if (op >= 0x70 && op <= 0x7f)
        return x86_h_jcc;
    if (op >= 0x80 && op <= 0x83)
        return x86_h_alu[in->reg & 7][3];
    if (op >= 0xb0 && op <= 0xb7)
        return x86_h_mov_r8_imm;
    if (op >= 0xb8 && op <= 0xbf)
        return x86_h_mov_r_imm;
    if (op >= 0x100 && cpu->profile != X86_PROFILE_286) {
        if (op >= 0x180 && op <= 0x18f)
            return x86_h_jcc;
        if (op >= 0x140 && op <= 0x14f)
            return x86_h_cmovcc;
        if (op >= 0x190 && op <= 0x19f)
            return x86_h_setcc;
        if (op == 0x10d || (op >= 0x118 && op <= 0x11f))
            return x86_h_nop;
        if (op == 0x1af)
            return x86_h_imul_r_rm;
        if (op == 0x131)
            return x86_h_rdtsc;
    }
    if (op == 0xf6 || op == 0xf7) {
        static const x86_exec_fn grp3[8] = {
            x86_h_grp3_test, x86_h_grp3_test, x86_h_grp3_not, x86_h_grp3_neg,
            x86_h_grp3_muldiv, x86_h_grp3_muldiv, x86_h_grp3_muldiv, x86_h_grp3_muldiv,
        };
        return grp3[in->reg & 7];
    }
    if (op == 0xff) {
        static const x86_exec_fn grp5[8] = {
            x86_h_grp5_incdec, x86_h_grp5_incdec, x86_h_grp5_call, x86_exec,
            x86_h_grp5_jmp, x86_exec, x86_h_grp5_push, x86_exec,
        };
        return grp5[in->reg & 7];
    }
    switch (op) {
    case 0x84: case 0x85: return x86_h_test_rm_r;
    case 0x88: case 0x89: return x86_h_mov_rm_r;
    case 0x8a: case 0x8b: return x86_h_mov_r_rm;
    case 0x8d: return in->mem ? x86_h_lea : x86_exec;
    case 0x63: return x86_h_63;
    case 0x90: return (in->rex & 1) ? x86_exec : x86_h_nop;
    case 0xa8: case 0xa9: return x86_h_test_acc_imm;
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: return x86_h_shift;
    case 0xc2: case 0xc3: return x86_h_ret;
    case 0xc6: case 0xc7: return (in->reg & 7) == 0 ? x86_h_mov_rm_imm : x86_exec;
    case 0xe8: return x86_h_call;
    case 0xe9: case 0xeb: return x86_h_jmp;
    case 0x1b6: case 0x1b7: return cpu->profile != X86_PROFILE_286 ? x86_h_movzx : x86_exec;
    case 0x1be: case 0x1bf: return cpu->profile != X86_PROFILE_286 ? x86_h_movsx : x86_exec;
    default: return x86_exec;
    }
}

/* ------------------------------------------------------------------------
 * fetch and step
 */

static int x86_fetch_more(void *ctx, unsigned index)
{
    struct x86_cpu *cpu = ctx;
    uint64_t off = (cpu->insn_rip + index) & (cpu->long64 ? ~0ull : cpu->code32 ? 0xffffffffull : 0xffffull);
    const struct x86_seg *cs = &cpu->seg[X86_SEG_CS];
    uint64_t lin;
    if (cpu->long64) {
        lin = off;
    } else {
        if (off > cs->limit)
            x86_gp(cpu, 0);
        lin = (cs->base + off) & 0xffffffffu;
    }
    return (int)x86_read_lin_slow(cpu, lin, 1, X86_ACC_FETCH, x86_user(cpu));
}

/* Decodes the instruction at CS:RIP, from the decode cache when the page
 * has not been written since; returns the decoded instruction. */
static struct x86_insn *x86_fetch_decode(struct x86_cpu *cpu)
{
    const struct x86_seg *cs = &cpu->seg[X86_SEG_CS];
    uint64_t rip = cpu->rip;
    uint64_t lin = (cpu->fetch_base + rip) & cpu->fetch_lin_mask;
    struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
    const uint8_t *buf = NULL;
    unsigned avail = 0;
    int bits = cpu->long64 ? 64 : cpu->code32 ? 32 : 16;
    if (X86_UNLIKELY(cpu->profile == X86_PROFILE_286))
        bits = -16; /* 286: 10-byte instruction limit */
    struct x86_insn *in = &cpu->in;
    struct x86_dcache_entry *d = NULL;
    uint64_t phys = 0;
    if (X86_LIKELY(e->tag_r == (lin & ~0xfffull))) {
        phys = e->phys | (lin & 0xfff);
        uint64_t pg = phys >> 12;
        uint32_t mode = cpu->fetch_mode;
        if (pg < X86_CODE_PAGES && cpu->dcache) {
            d = &cpu->dcache[lin & (X86_DCACHE_SIZE - 1)];
            if (d->lin == lin && d->phys == phys && d->gen == cpu->page_gen[pg] && d->mode == mode &&
                (cpu->long64 || rip + d->in.len - 1 <= cs->limit)) {
                cpu->stats.decode_hits++;
                return &d->in;
            }
            cpu->stats.decode_misses++;
            d->lin = X86_TLB_NONE;
            d->mode = mode;
            in = &d->in;
        }
        buf = e->host + (lin & 0xfff);
        avail = 0x1000u - (unsigned)(lin & 0xfff);
        if (!cpu->long64) {
            uint64_t left = rip <= cs->limit ? (uint64_t)cs->limit - rip + 1 : 0;
            if (!cpu->code32 && left > 0x10000 - rip)
                left = 0x10000 - rip;
            if (left < avail)
                avail = (unsigned)left;
        }
        if (avail > 15)
            avail = 15;
    }
    cpu->cur = in;
    if (X86_UNLIKELY(cpu->markers_pending))
        x86_check_markers(cpu);
    int rc = X86_UNLIKELY(cpu->i8086) ? x86_8086_decode(in, buf, avail, x86_fetch_more, cpu)
                                      : x86_decode_buf(in, bits, buf, avail, x86_fetch_more, cpu);
    if (X86_UNLIKELY(rc != 0)) {
        if (rc == X86_EXC_UD)
            x86_undefined(cpu);
        x86_gp(cpu, 0);
    }
    in->exec = x86_pick_exec(cpu, in);
    /* cache it if it lies entirely in this page */
    if (d && (lin & 0xfff) + in->len <= 0x1000) {
        uint64_t pg = phys >> 12;
        if (!(cpu->code_page[pg >> 3] & (1u << (pg & 7))))
            x86_mark_code_page(cpu, pg);
        d->lin = lin;
        d->phys = phys;
        d->gen = cpu->page_gen[pg];
        d->stamp = cpu->fetch_stamp - 1; /* checked in full at its first hit */
    }
    return in;
}

/* Executes one instruction. Faults longjmp out to the run loop's handler. */
void x86_step_insn(struct x86_cpu *cpu)
{
    cpu->insn_rip = cpu->rip;
    cpu->insn_rsp = cpu->regs[4];
    struct x86_insn *in = x86_fetch_decode(cpu);
    cpu->cur = in;
    cpu->next_rip = (cpu->rip + in->len) & cpu->ip_mask;
    if (X86_UNLIKELY(cpu->slow_loop))
        x86_insn_observed(cpu);
    in->exec(cpu, in);
    cpu->rip = cpu->next_rip;
    cpu->cycles += cpu->cycle_table[in->op];
    cpu->stats.insns++;
}

/* The decode-cache hit of x86_fetch_decode, inlined into the fast loop:
 * the same checks (TLB read tag, physical page and its write generation,
 * mode, CS limit) in the cheapest order; NULL sends the caller to
 * x86_fetch_decode. A slot only holds pages below X86_CODE_PAGES, so a
 * matching physical address needs no page-range check. */
static inline struct x86_insn *x86_fetch_hit(struct x86_cpu *cpu)
{
    uint64_t rip = cpu->rip;
    uint64_t lin = (cpu->fetch_base + rip) & cpu->fetch_lin_mask;
    struct x86_dcache_entry *d = &cpu->dcache[lin & (X86_DCACHE_SIZE - 1)];
    if (X86_UNLIKELY(d->lin != lin))
        return NULL;
    if (X86_UNLIKELY(d->stamp != cpu->fetch_stamp)) {
        /* something changed since this entry was checked: check in full */
        const struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
        if (e->tag_r != (lin & ~0xfffull))
            return NULL;
        uint64_t phys = e->phys | (lin & 0xfff);
        if (d->phys != phys || d->gen != cpu->page_gen[phys >> 12] || d->mode != cpu->fetch_mode ||
            rip + d->in.len - 1 > cpu->fetch_limit)
            return NULL;
        d->stamp = cpu->fetch_stamp;
    }
    cpu->stats.decode_hits++;
    return &d->in;
}

/* Executes instructions without the per-instruction extras until the cycle
 * limit, or until something needs the run loop: attention (interrupts,
 * shadows, pin changes), the slow loop (trace, hooks, TF), HLT or shutdown.
 * Each turn is x86_step_insn; slow_loop is known clear at its start (the
 * loop condition), so the trace/hook call is not needed. */
void x86_run_insns(struct x86_cpu *cpu)
{
    do {
        cpu->insn_rip = cpu->rip;
        cpu->insn_rsp = cpu->regs[4];
        struct x86_insn *in = cpu->dcache ? x86_fetch_hit(cpu) : NULL;
        if (X86_UNLIKELY(!in))
            in = x86_fetch_decode(cpu);
        cpu->cur = in;
        cpu->next_rip = (cpu->rip + in->len) & cpu->ip_mask;
        /* The decode cache is larger than the host's L2: start loading the
         * entry of the next instruction in line while this one executes. */
        if (cpu->dcache)
            __builtin_prefetch(&cpu->dcache[(cpu->fetch_base + cpu->next_rip) & cpu->fetch_lin_mask &
                                            (X86_DCACHE_SIZE - 1)]);
        in->exec(cpu, in);
        cpu->rip = cpu->next_rip;
        cpu->cycles += cpu->cycle_table[in->op];
        cpu->stats.insns++;
        if (cpu->cycles >= cpu->cycle_limit)
            return;
    } while (!(cpu->attention | cpu->slow_loop | cpu->halted | cpu->shutdown));
}
