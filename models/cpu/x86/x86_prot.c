/* x86_prot.c: segmentation and protection for the x86 core: descriptor
 * caches, segment loads, far jumps/calls/returns through call gates,
 * interrupt and exception delivery (real, protected, virtual-8086), IRET,
 * task switching through 16- and 32-bit TSSs, I/O permission, control
 * registers. Intel SDM vol. 3 chapters 3, 5, 6 and 7; 80386 PRM. */
#include "models/cpu/x86/x86_cpu.h"

/* --- descriptor caches ------------------------------------------------------ */

void x86_seg_derive(struct x86_seg *s, bool prot, bool long64)
{
    s->lo = 0;
    s->hi = s->limit;
    if (!prot) {
        /* real and virtual-8086 mode: limits apply, types do not */
        s->can_read = s->can_write = s->usable = true;
        return;
    }
    s->usable = (s->attr & X86_ATTR_P) != 0;
    if (!s->usable) {
        s->can_read = s->can_write = false;
        s->hi = 0;
        s->lo = 1;
        return;
    }
    unsigned type = s->attr & X86_ATTR_TYPE;
    if (!(s->attr & X86_ATTR_S)) {
        s->can_read = s->can_write = false; /* system segments (LDTR, TR) */
        return;
    }
    if (type & 8) { /* code */
        s->can_read = (type & 2) != 0;
        s->can_write = false;
    } else {
        s->can_read = true;
        s->can_write = (type & 2) != 0;
        if (type & 4) { /* expand-down */
            s->lo = (uint64_t)s->limit + 1;
            s->hi = (s->attr & X86_ATTR_DB) ? 0xffffffffu : 0xffffu;
        }
    }
    (void)long64;
}

void x86_seg_from_desc(struct x86_seg *s, uint16_t sel, uint64_t raw)
{
    s->sel = sel;
    s->base = ((raw >> 16) & 0xffffff) | (((raw >> 56) & 0xff) << 24);
    uint32_t limit = (uint32_t)((raw & 0xffff) | (((raw >> 48) & 0xf) << 16));
    s->attr = (uint16_t)(((raw >> 40) & 0xff) | (((raw >> 52) & 0xf) << 8));
    if (s->attr & X86_ATTR_G)
        limit = (limit << 12) | 0xfff;
    s->limit = limit;
}

void x86_commit_seg(struct x86_cpu *cpu, int seg, const struct x86_seg *s)
{
    cpu->seg[seg] = *s;
    x86_seg_derive(&cpu->seg[seg], cpu->pe && !cpu->vm86, cpu->long64);
    if (seg == X86_SEG_CS || seg == X86_SEG_SS)
        x86_update_mode(cpu);
}

void x86_load_seg_real(struct x86_cpu *cpu, int seg, uint16_t sel)
{
    struct x86_seg s = cpu->seg[seg];
    s.sel = sel;
    s.base = (uint64_t)sel << 4;
    if (cpu->vm86) {
        s.limit = 0xffff;
        s.attr = seg == X86_SEG_CS ? 0xfb : 0xf3;
    } else {
        s.attr |= X86_ATTR_P | X86_ATTR_S;
        if (seg == X86_SEG_CS)
            s.attr = (uint16_t)((s.attr & ~0x6fu) | 0x0b); /* code, DPL 0 */
    }
    x86_commit_seg(cpu, seg, &s);
}

/* Reads the 8-byte descriptor for sel; false if outside its table. */
bool x86_desc_read(struct x86_cpu *cpu, uint16_t sel, uint64_t *raw, uint64_t *addr)
{
    uint64_t base;
    uint32_t limit;
    if (sel & 4) {
        const struct x86_seg *ldt = &cpu->seg[X86_SEG_LDTR];
        if (!(ldt->attr & X86_ATTR_P) || (ldt->sel & ~3u) == 0)
            return false;
        base = ldt->base;
        limit = ldt->limit;
    } else {
        base = cpu->gdt_base;
        limit = cpu->gdt_limit;
    }
    uint32_t idx = sel & ~7u;
    if (idx + 7 > limit)
        return false;
    *addr = base + idx;
    *raw = x86_read_sys(cpu, *addr, 4) | (x86_read_sys(cpu, *addr + 4, 4) << 32);
    return true;
}

void x86_desc_set_accessed(struct x86_cpu *cpu, uint64_t addr, uint64_t raw)
{
    if (!(raw & (1ull << 40)))
        x86_write_sys(cpu, addr + 5, 1, ((raw >> 40) & 0xff) | 1);
}


void x86_load_seg(struct x86_cpu *cpu, int seg, uint16_t sel)
{
    if (!cpu->pe || cpu->vm86) {
        x86_load_seg_real(cpu, seg, sel);
        return;
    }
    uint16_t err = sel & 0xfffc;
    unsigned rpl = sel & 3;
    struct x86_seg s;
    uint64_t raw, addr;
    if ((sel & 0xfffc) == 0) {
        /* 64-bit mode allows a null SS below CPL 3 (RPL = CPL) */
        if (seg == X86_SEG_SS && !(cpu->long64 && cpu->cpl != 3 && rpl == (unsigned)cpu->cpl))
            x86_gp(cpu, 0);
        memset(&s, 0, sizeof s);
        s.sel = sel;
        if (seg == X86_SEG_SS) /* keeps a usable 64-bit stack */
            s.attr = (uint16_t)(X86_ATTR_P | X86_ATTR_S | 0x3 | (rpl << 5));
        else if (seg >= X86_SEG_FS && cpu->long64)
            s.base = cpu->seg[seg].base; /* Intel keeps the base of a null FS/GS */
        x86_commit_seg(cpu, seg, &s);
        return;
    }
    if (!x86_desc_read(cpu, sel, &raw, &addr))
        x86_gp(cpu, err);
    unsigned dpl = x86_raw_dpl(raw), type = x86_raw_type(raw);
    if (seg == X86_SEG_SS) {
        if (rpl != (unsigned)cpu->cpl || !x86_raw_s(raw) || (type & 8) || !(type & 2) ||
            dpl != (unsigned)cpu->cpl)
            x86_gp(cpu, err);
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_SS, err, true);
    } else {
        if (!x86_raw_s(raw) || ((type & 8) && !(type & 2)))
            x86_gp(cpu, err);
        bool conforming_code = (type & 8) && (type & 4);
        if (!conforming_code && (dpl < (unsigned)cpu->cpl || dpl < rpl))
            x86_gp(cpu, err);
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_NP, err, true);
    }
    x86_desc_set_accessed(cpu, addr, raw);
    x86_seg_from_desc(&s, sel, raw | (1ull << 40));
    x86_commit_seg(cpu, seg, &s);
}

/* Loads CS from a checked code descriptor with the given CPL. */
void x86_load_cs(struct x86_cpu *cpu, uint16_t sel, uint64_t raw, uint64_t addr, int cpl)
{
    struct x86_seg s;
    x86_desc_set_accessed(cpu, addr, raw);
    x86_seg_from_desc(&s, (uint16_t)((sel & ~3u) | (unsigned)cpl), raw | (1ull << 40));
    cpu->cpl = cpl;
    x86_commit_seg(cpu, X86_SEG_CS, &s);
}

/* After a return to an outer level: data segments the new CPL may not use
 * become null. */
void x86_null_inaccessible_segs(struct x86_cpu *cpu)
{
    static const int segs[] = { X86_SEG_ES, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS };
    for (int i = 0; i < 4; i++) {
        struct x86_seg *s = &cpu->seg[segs[i]];
        unsigned type = s->attr & 0xf;
        bool conforming_code = (type & 8) && (type & 4);
        if ((s->attr & X86_ATTR_P) && !conforming_code && X86_ATTR_DPL(s->attr) < (unsigned)cpu->cpl) {
            struct x86_seg n;
            memset(&n, 0, sizeof n);
            n.sel = 0;
            x86_commit_seg(cpu, segs[i], &n);
        }
    }
}

/* --- stacks for privilege changes ------------------------------------------- */

struct x86_stack {
    struct x86_seg seg;
    uint64_t sp;
    bool big;
    bool user;
    int vec;          /* #SS or #TS */
    uint16_t err;
};

static void x86_stack_push(struct x86_cpu *cpu, struct x86_stack *st, unsigned size, uint64_t v)
{
    uint64_t m = st->big ? 0xffffffffull : 0xffffull;
    uint64_t sp = (st->sp - size) & m;
    if (X86_UNLIKELY(cpu->i8086) && sp + size - 1 > 0xffff) {
        /* the 8086 wraps a word at offset FFFF to offset 0 */
        x86_8086_write_wrap(cpu, X86_SEG_SS, sp, size, v);
        st->sp = sp;
        return;
    }
    if (sp < st->seg.lo || sp + size - 1 > st->seg.hi)
        x86_fault(cpu, st->vec, st->err, true);
    x86_write_lin_slow(cpu, (st->seg.base + sp) & 0xffffffffu, size, v, st->user);
    st->sp = sp;
}

static void x86_stack_current(struct x86_cpu *cpu, struct x86_stack *st)
{
    st->seg = cpu->seg[X86_SEG_SS];
    st->sp = cpu->regs[4];
    st->big = cpu->stack32;
    st->user = cpu->cpl == 3;
    st->vec = X86_EXC_SS;
    st->err = 0;
}

static void x86_stack_commit(struct x86_cpu *cpu, const struct x86_stack *st)
{
    uint64_t m = st->big ? 0xffffffffull : 0xffffull;
    cpu->regs[4] = (cpu->regs[4] & ~m) | (st->sp & m);
}

/* Reads the inner stack for privilege level dpl from the current TSS and
 * checks the new SS; errors are #TS. */
static void x86_tss_stack(struct x86_cpu *cpu, unsigned dpl, struct x86_stack *st, bool ext)
{
    const struct x86_seg *tr = &cpu->seg[X86_SEG_TR];
    bool tss32 = (tr->attr & 8) != 0;
    uint32_t off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
    uint32_t need = tss32 ? off + 7 : off + 3;
    uint16_t trerr = (uint16_t)((tr->sel & 0xfffc) | (ext ? 1 : 0));
    if (need > tr->limit)
        x86_fault(cpu, X86_EXC_TS, trerr, true);
    uint64_t sp;
    uint16_t ss;
    if (tss32) {
        sp = x86_read_sys(cpu, tr->base + off, 4);
        ss = (uint16_t)x86_read_sys(cpu, tr->base + off + 4, 2);
    } else {
        sp = x86_read_sys(cpu, tr->base + off, 2);
        ss = (uint16_t)x86_read_sys(cpu, tr->base + off + 2, 2);
    }
    uint16_t err = (uint16_t)((ss & 0xfffc) | (ext ? 1 : 0));
    uint64_t raw, addr;
    if ((ss & 0xfffc) == 0)
        x86_fault(cpu, X86_EXC_TS, (uint16_t)(ext ? 1 : 0), true);
    if (!x86_desc_read(cpu, ss, &raw, &addr))
        x86_fault(cpu, X86_EXC_TS, err, true);
    unsigned type = x86_raw_type(raw);
    if ((ss & 3) != dpl || x86_raw_dpl(raw) != dpl || !x86_raw_s(raw) || (type & 8) || !(type & 2))
        x86_fault(cpu, X86_EXC_TS, err, true);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_SS, err, true);
    x86_desc_set_accessed(cpu, addr, raw);
    x86_seg_from_desc(&st->seg, ss, raw | (1ull << 40));
    x86_seg_derive(&st->seg, true, false);
    st->big = (st->seg.attr & X86_ATTR_DB) != 0;
    st->sp = st->big ? sp : (sp & 0xffff);
    st->user = dpl == 3;
    st->vec = X86_EXC_SS;
    st->err = err;
}

/* --- task switch ------------------------------------------------------------ */

enum x86_task_reason { X86_TASK_JMP, X86_TASK_CALL, X86_TASK_IRET, X86_TASK_INT };

static void x86_tss_set_busy(struct x86_cpu *cpu, uint16_t sel, bool busy)
{
    uint64_t addr = cpu->gdt_base + (sel & ~7u);
    uint64_t b = x86_read_sys(cpu, addr + 5, 1);
    b = busy ? (b | 2) : (b & ~2ull);
    x86_write_sys(cpu, addr + 5, 1, b);
}

/* Loads a segment register during a task switch; errors are #TS(sel). */
static void x86_task_load_seg(struct x86_cpu *cpu, int seg, uint16_t sel)
{
    if (cpu->vm86) {
        x86_load_seg_real(cpu, seg, sel);
        return;
    }
    uint16_t err = sel & 0xfffc;
    struct x86_seg s;
    uint64_t raw, addr;
    if ((sel & 0xfffc) == 0) {
        if (seg == X86_SEG_SS || seg == X86_SEG_CS)
            x86_fault(cpu, X86_EXC_TS, err, true);
        memset(&s, 0, sizeof s);
        s.sel = sel;
        x86_commit_seg(cpu, seg, &s);
        return;
    }
    if (!x86_desc_read(cpu, sel, &raw, &addr))
        x86_fault(cpu, X86_EXC_TS, err, true);
    unsigned dpl = x86_raw_dpl(raw), type = x86_raw_type(raw), rpl = sel & 3;
    if (!x86_raw_s(raw))
        x86_fault(cpu, X86_EXC_TS, err, true);
    if (seg == X86_SEG_CS) {
        if (!(type & 8))
            x86_fault(cpu, X86_EXC_TS, err, true);
        if ((type & 4) ? dpl > rpl : dpl != rpl)
            x86_fault(cpu, X86_EXC_TS, err, true);
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_NP, err, true);
        x86_load_cs(cpu, sel, raw, addr, (int)rpl);
        return;
    }
    if (seg == X86_SEG_SS) {
        if ((type & 8) || !(type & 2) || dpl != (unsigned)cpu->cpl || rpl != (unsigned)cpu->cpl)
            x86_fault(cpu, X86_EXC_TS, err, true);
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_SS, err, true);
    } else {
        if ((type & 8) && !(type & 2))
            x86_fault(cpu, X86_EXC_TS, err, true);
        if (!((type & 8) && (type & 4)) && (dpl < (unsigned)cpu->cpl || dpl < rpl))
            x86_fault(cpu, X86_EXC_TS, err, true);
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_NP, err, true);
    }
    x86_desc_set_accessed(cpu, addr, raw);
    x86_seg_from_desc(&s, sel, raw | (1ull << 40));
    x86_commit_seg(cpu, seg, &s);
}

static void x86_task_switch(struct x86_cpu *cpu, uint16_t sel, uint64_t raw, enum x86_task_reason why,
                            uint64_t ret_rip, bool has_err, uint32_t err, bool ext)
{
    uint16_t tserr = (uint16_t)((sel & 0xfffc) | (ext ? 1 : 0));
    unsigned type = x86_raw_type(raw);
    bool new32 = (type & 8) != 0;
    struct x86_seg nt;
    x86_seg_from_desc(&nt, sel, raw);
    if (sel & 4)
        x86_fault(cpu, X86_EXC_TS, tserr, true);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, tserr, true);
    if (nt.limit < (new32 ? 0x67u : 0x2bu))
        x86_fault(cpu, X86_EXC_TS, tserr, true);

    /* read the whole incoming state first */
    uint64_t b = nt.base;
    uint32_t ncr3 = 0, neip, nflags, nregs[8];
    uint16_t nsegs[6], nldt;
    if (new32) {
        ncr3 = (uint32_t)x86_read_sys(cpu, b + 0x1c, 4);
        neip = (uint32_t)x86_read_sys(cpu, b + 0x20, 4);
        nflags = (uint32_t)x86_read_sys(cpu, b + 0x24, 4);
        for (int i = 0; i < 8; i++)
            nregs[i] = (uint32_t)x86_read_sys(cpu, b + 0x28 + 4 * (unsigned)i, 4);
        for (int i = 0; i < 6; i++)
            nsegs[i] = (uint16_t)x86_read_sys(cpu, b + 0x48 + 4 * (unsigned)i, 2);
        nldt = (uint16_t)x86_read_sys(cpu, b + 0x60, 2);
    } else {
        neip = (uint32_t)x86_read_sys(cpu, b + 0x0e, 2);
        nflags = (uint32_t)x86_read_sys(cpu, b + 0x10, 2);
        for (int i = 0; i < 8; i++)
            nregs[i] = (uint32_t)x86_read_sys(cpu, b + 0x12 + 2 * (unsigned)i, 2) |
                       (uint32_t)(cpu->regs[i] & 0xffff0000u);
        for (int i = 0; i < 4; i++)
            nsegs[i] = (uint16_t)x86_read_sys(cpu, b + 0x22 + 2 * (unsigned)i, 2);
        nsegs[4] = nsegs[5] = 0;
        nldt = (uint16_t)x86_read_sys(cpu, b + 0x2a, 2);
    }

    /* save the outgoing state into the current TSS */
    struct x86_seg *tr = &cpu->seg[X86_SEG_TR];
    bool old32 = (tr->attr & 8) != 0;
    uint32_t oflags = x86_get_flags(cpu);
    if (why == X86_TASK_IRET)
        oflags &= ~X86_NT;
    uint64_t ob = tr->base;
    if (old32) {
        x86_write_sys(cpu, ob + 0x20, 4, ret_rip);
        x86_write_sys(cpu, ob + 0x24, 4, oflags);
        for (int i = 0; i < 8; i++)
            x86_write_sys(cpu, ob + 0x28 + 4 * (unsigned)i, 4, cpu->regs[i]);
        for (int i = 0; i < 6; i++)
            x86_write_sys(cpu, ob + 0x48 + 4 * (unsigned)i, 2, cpu->seg[i].sel);
    } else {
        x86_write_sys(cpu, ob + 0x0e, 2, ret_rip);
        x86_write_sys(cpu, ob + 0x10, 2, oflags);
        for (int i = 0; i < 8; i++)
            x86_write_sys(cpu, ob + 0x12 + 2 * (unsigned)i, 2, cpu->regs[i]);
        for (int i = 0; i < 4; i++)
            x86_write_sys(cpu, ob + 0x22 + 2 * (unsigned)i, 2, cpu->seg[i].sel);
    }
    if (why == X86_TASK_JMP || why == X86_TASK_IRET)
        x86_tss_set_busy(cpu, tr->sel, false);
    if (why == X86_TASK_CALL || why == X86_TASK_INT) {
        x86_write_sys(cpu, b, 2, tr->sel);
        nflags |= X86_NT;
    }
    if (why != X86_TASK_IRET)
        x86_tss_set_busy(cpu, sel, true);

    /* switch */
    nt.attr |= 2; /* busy */
    cpu->seg[X86_SEG_TR] = nt;
    x86_seg_derive(&cpu->seg[X86_SEG_TR], true, false);
    cpu->cr0 |= X86_CR0_TS;
    if (new32 && cpu->paging && ncr3 != (uint32_t)cpu->cr3)
        x86_set_cr3(cpu, ncr3);
    for (int i = 0; i < 8; i++)
        cpu->regs[i] = new32 ? nregs[i] : (cpu->regs[i] & ~0xffffull) | (nregs[i] & 0xffff);
    cpu->rip = neip;
    cpu->next_rip = neip;
    cpu->lazy.mask = 0;
    cpu->eflags = (new32 ? nflags : ((cpu->eflags & 0xffff0000u) | (nflags & 0xffff))) | 2;
    cpu->attention = true;
    x86_update_mode(cpu);
    /* selectors first (so a later fault shows the new task's selectors) */
    for (int i = 0; i < 6; i++)
        cpu->seg[i].sel = nsegs[i];
    cpu->seg[X86_SEG_LDTR].sel = nldt;
    cpu->cpl = nsegs[X86_SEG_CS] & 3;
    if (cpu->vm86)
        cpu->cpl = 3;
    /* LDT, then segments; faults here are taken in the new task */
    if ((nldt & 0xfffc) == 0) {
        cpu->seg[X86_SEG_LDTR].attr = 0;
    } else {
        uint64_t lraw, laddr;
        uint16_t lerr = nldt & 0xfffc;
        if ((nldt & 4) || !x86_desc_read(cpu, nldt & ~4u, &lraw, &laddr) ||
            x86_raw_s(lraw) || x86_raw_type(lraw) != 2)
            x86_fault(cpu, X86_EXC_TS, lerr, true);
        if (!x86_raw_p(lraw))
            x86_fault(cpu, X86_EXC_TS, lerr, true);
        x86_seg_from_desc(&cpu->seg[X86_SEG_LDTR], nldt, lraw);
    }
    x86_update_mode(cpu);
    x86_task_load_seg(cpu, X86_SEG_CS, nsegs[X86_SEG_CS]);
    x86_task_load_seg(cpu, X86_SEG_SS, nsegs[X86_SEG_SS]);
    x86_task_load_seg(cpu, X86_SEG_ES, nsegs[X86_SEG_ES]);
    x86_task_load_seg(cpu, X86_SEG_DS, nsegs[X86_SEG_DS]);
    x86_task_load_seg(cpu, X86_SEG_FS, nsegs[X86_SEG_FS]);
    x86_task_load_seg(cpu, X86_SEG_GS, nsegs[X86_SEG_GS]);
    if (has_err) {
        struct x86_stack st;
        x86_stack_current(cpu, &st);
        x86_stack_push(cpu, &st, new32 ? 4 : 2, err);
        x86_stack_commit(cpu, &st);
    }
    if (cpu->rip > cpu->seg[X86_SEG_CS].limit)
        x86_gp(cpu, 0);
}

/* --- far transfers ------------------------------------------------------- */

static void x86_far_real(struct x86_cpu *cpu, uint16_t sel, uint64_t off, bool is_call,
                         unsigned opsize)
{
    if (is_call) {
        struct x86_stack st;
        x86_stack_current(cpu, &st);
        x86_stack_push(cpu, &st, opsize, cpu->seg[X86_SEG_CS].sel);
        x86_stack_push(cpu, &st, opsize, cpu->next_rip);
        if (off > cpu->seg[X86_SEG_CS].limit)
            x86_gp(cpu, 0);
        x86_stack_commit(cpu, &st);
    } else if (off > cpu->seg[X86_SEG_CS].limit) {
        x86_gp(cpu, 0);
    }
    x86_load_seg_real(cpu, X86_SEG_CS, sel);
    cpu->next_rip = off;
}

static void x86_call_gate(struct x86_cpu *cpu, uint16_t gsel, uint64_t graw, bool is_call)
{
    unsigned gtype = x86_raw_type(graw);
    bool gate32 = (gtype & 8) != 0;
    uint16_t tsel = (uint16_t)(graw >> 16);
    uint64_t toff = (graw & 0xffff) | (gate32 ? ((graw >> 48) & 0xffff) << 16 : 0);
    unsigned params = (unsigned)(graw >> 32) & 31;
    uint64_t raw, addr;
    (void)gsel;
    if ((tsel & 0xfffc) == 0)
        x86_gp(cpu, 0);
    if (!x86_desc_read(cpu, tsel, &raw, &addr))
        x86_gp(cpu, tsel & 0xfffc);
    unsigned dpl = x86_raw_dpl(raw);
    if (!x86_raw_code(raw) || dpl > (unsigned)cpu->cpl)
        x86_gp(cpu, tsel & 0xfffc);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, tsel & 0xfffc, true);
    bool conforming = (x86_raw_type(raw) & 4) != 0;
    struct x86_seg tseg;
    x86_seg_from_desc(&tseg, tsel, raw);
    if (!is_call) {
        if (!conforming && dpl != (unsigned)cpu->cpl)
            x86_gp(cpu, tsel & 0xfffc);
        if (toff > tseg.limit)
            x86_gp(cpu, 0);
        x86_load_cs(cpu, tsel, raw, addr, cpu->cpl);
        cpu->next_rip = toff;
        return;
    }
    unsigned psize = gate32 ? 4 : 2;
    if (!conforming && dpl < (unsigned)cpu->cpl) {
        /* inner privilege: new stack from the TSS, copy parameters */
        struct x86_stack st;
        x86_tss_stack(cpu, dpl, &st, false);
        uint64_t osp = cpu->regs[4];
        uint16_t oss = cpu->seg[X86_SEG_SS].sel;
        x86_stack_push(cpu, &st, psize, oss);
        x86_stack_push(cpu, &st, psize, cpu->stack32 ? osp & 0xffffffffu : osp & 0xffff);
        for (unsigned i = params; i > 0; i--) {
            uint64_t v = x86_read(cpu, X86_SEG_SS, (osp + (i - 1) * psize) & x86_sp_mask(cpu), psize);
            x86_stack_push(cpu, &st, psize, v);
        }
        x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_CS].sel);
        x86_stack_push(cpu, &st, psize, cpu->next_rip);
        if (toff > tseg.limit)
            x86_gp(cpu, 0);
        x86_load_cs(cpu, tsel, raw, addr, (int)dpl);
        st.seg.sel = (uint16_t)((st.seg.sel & ~3u) | dpl);
        x86_commit_seg(cpu, X86_SEG_SS, &st.seg);
        cpu->regs[4] = st.big ? st.sp : ((cpu->regs[4] & ~0xffffull) | (st.sp & 0xffff));
        cpu->next_rip = toff;
        return;
    }
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_CS].sel);
    x86_stack_push(cpu, &st, psize, cpu->next_rip);
    if (toff > tseg.limit)
        x86_gp(cpu, 0);
    x86_stack_commit(cpu, &st);
    x86_load_cs(cpu, tsel, raw, addr, cpu->cpl);
    cpu->next_rip = toff;
}

void x86_far_jump(struct x86_cpu *cpu, uint16_t sel, uint64_t off, bool is_call, unsigned opsize)
{
    if (!cpu->pe || cpu->vm86) {
        x86_far_real(cpu, sel, off, is_call, opsize);
        return;
    }
    uint16_t err = sel & 0xfffc;
    uint64_t raw, addr;
    if ((sel & 0xfffc) == 0)
        x86_gp(cpu, 0);
    if (!x86_desc_read(cpu, sel, &raw, &addr))
        x86_gp(cpu, err);
    unsigned dpl = x86_raw_dpl(raw), rpl = sel & 3, type = x86_raw_type(raw);
    if (x86_raw_code(raw)) {
        if (type & 4) {
            if (dpl > (unsigned)cpu->cpl)
                x86_gp(cpu, err);
        } else if (rpl > (unsigned)cpu->cpl || dpl != (unsigned)cpu->cpl) {
            x86_gp(cpu, err);
        }
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_NP, err, true);
        struct x86_seg s;
        x86_seg_from_desc(&s, sel, raw);
        bool to64 = cpu->lma && (s.attr & X86_ATTR_L);
        if (to64 && (s.attr & X86_ATTR_DB))
            x86_gp(cpu, err);
        if (to64 ? !x86_canonical(off) : off > s.limit)
            x86_gp(cpu, 0);
        if (is_call) {
            struct x86_stack st;
            x86_stack_current(cpu, &st);
            x86_stack_push(cpu, &st, opsize, cpu->seg[X86_SEG_CS].sel);
            x86_stack_push(cpu, &st, opsize, cpu->next_rip);
            x86_stack_commit(cpu, &st);
        }
        x86_load_cs(cpu, sel, raw, addr, cpu->cpl);
        cpu->next_rip = off;
        return;
    }
    if (x86_raw_s(raw))
        x86_gp(cpu, err);
    if (cpu->lma)
        x86_gp(cpu, err); /* IA-32e mode has no task switches; 64-bit call gates: not implemented */
    switch (type) {
    case 4: case 0xc: /* call gate */
        if (dpl < (unsigned)cpu->cpl || dpl < rpl)
            x86_gp(cpu, err);
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_NP, err, true);
        x86_call_gate(cpu, sel, raw, is_call);
        return;
    case 5: { /* task gate */
        if (dpl < (unsigned)cpu->cpl || dpl < rpl)
            x86_gp(cpu, err);
        if (!x86_raw_p(raw))
            x86_fault(cpu, X86_EXC_NP, err, true);
        uint16_t tss = (uint16_t)(raw >> 16);
        uint64_t traw, taddr;
        if ((tss & 4) || !x86_desc_read(cpu, tss, &traw, &taddr))
            x86_gp(cpu, tss & 0xfffc);
        unsigned ttype = x86_raw_type(traw);
        if (x86_raw_s(traw) || (ttype != 1 && ttype != 9))
            x86_gp(cpu, tss & 0xfffc);
        x86_task_switch(cpu, tss, traw, is_call ? X86_TASK_CALL : X86_TASK_JMP, cpu->next_rip,
                        false, 0, false);
        return;
    }
    case 1: case 9: /* available TSS */
        if (dpl < (unsigned)cpu->cpl || dpl < rpl)
            x86_gp(cpu, err);
        x86_task_switch(cpu, sel, raw, is_call ? X86_TASK_CALL : X86_TASK_JMP, cpu->next_rip,
                        false, 0, false);
        return;
    default:
        x86_gp(cpu, err);
    }
}

void x86_far_return(struct x86_cpu *cpu, unsigned opsize, uint16_t pop_bytes)
{
    uint64_t m = x86_sp_mask(cpu);
    uint64_t ip = x86_stack_peek(cpu, 0, opsize);
    uint16_t sel = (uint16_t)x86_stack_peek(cpu, opsize, opsize);
    if (!cpu->pe || cpu->vm86) {
        if (ip > cpu->seg[X86_SEG_CS].limit)
            x86_gp(cpu, 0);
        x86_load_seg_real(cpu, X86_SEG_CS, sel);
        cpu->regs[4] = (cpu->regs[4] & ~m) | ((cpu->regs[4] + 2 * opsize + pop_bytes) & m);
        cpu->next_rip = ip;
        return;
    }
    uint16_t err = sel & 0xfffc;
    unsigned rpl = sel & 3;
    uint64_t raw, addr;
    if ((sel & 0xfffc) == 0)
        x86_gp(cpu, 0);
    if (!x86_desc_read(cpu, sel, &raw, &addr))
        x86_gp(cpu, err);
    unsigned dpl = x86_raw_dpl(raw);
    if (!x86_raw_code(raw) || rpl < (unsigned)cpu->cpl)
        x86_gp(cpu, err);
    if ((x86_raw_type(raw) & 4) ? dpl > rpl : dpl != rpl)
        x86_gp(cpu, err);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, err, true);
    struct x86_seg s;
    x86_seg_from_desc(&s, sel, raw);
    bool to64 = cpu->lma && (s.attr & X86_ATTR_L);
    if (to64 ? !x86_canonical(ip) : ip > s.limit)
        x86_gp(cpu, 0);
    if (rpl == (unsigned)cpu->cpl) {
        x86_load_cs(cpu, sel, raw, addr, cpu->cpl);
        cpu->regs[4] = (cpu->regs[4] & ~m) | ((cpu->regs[4] + 2 * opsize + pop_bytes) & m);
        cpu->next_rip = ip;
        return;
    }
    /* return to an outer level: pop SS:ESP too */
    unsigned base = 2 * opsize + pop_bytes;
    uint64_t nsp = x86_stack_peek(cpu, base, opsize);
    uint16_t nss = (uint16_t)x86_stack_peek(cpu, base + opsize, opsize);
    uint64_t sraw, saddr;
    uint16_t serr = nss & 0xfffc;
    if ((nss & 0xfffc) == 0)
        x86_gp(cpu, 0);
    if (!x86_desc_read(cpu, nss, &sraw, &saddr))
        x86_gp(cpu, serr);
    unsigned stype = x86_raw_type(sraw);
    if ((nss & 3) != rpl || x86_raw_dpl(sraw) != rpl || !x86_raw_s(sraw) || (stype & 8) || !(stype & 2))
        x86_gp(cpu, serr);
    if (!x86_raw_p(sraw))
        x86_fault(cpu, X86_EXC_SS, serr, true);
    x86_load_cs(cpu, sel, raw, addr, (int)rpl);
    struct x86_seg ss;
    x86_desc_set_accessed(cpu, saddr, sraw);
    x86_seg_from_desc(&ss, nss, sraw | (1ull << 40));
    x86_commit_seg(cpu, X86_SEG_SS, &ss);
    uint64_t nm = x86_sp_mask(cpu);
    if (opsize == 2)
        nsp &= 0xffff;
    cpu->regs[4] = (cpu->regs[4] & ~nm) | ((nsp + pop_bytes) & nm);
    x86_null_inaccessible_segs(cpu);
    cpu->next_rip = ip;
}

/* --- IRET ---------------------------------------------------------------- */

static void x86_iret_real(struct x86_cpu *cpu, unsigned opsize)
{
    uint64_t m = x86_sp_mask(cpu);
    uint64_t ip = x86_stack_peek(cpu, 0, opsize);
    uint16_t cs = (uint16_t)x86_stack_peek(cpu, opsize, opsize);
    uint32_t fl = (uint32_t)x86_stack_peek(cpu, 2 * opsize, opsize);
    if (ip > cpu->seg[X86_SEG_CS].limit)
        x86_gp(cpu, 0);
    uint32_t mask = opsize == 4 ? ~(uint32_t)(X86_VM | X86_VIF | X86_VIP) : 0xffffu;
    if (cpu->vm86)
        mask &= ~(uint32_t)X86_IOPL;
    if (cpu->profile == X86_PROFILE_286 && !cpu->pe)
        mask &= ~(uint32_t)(X86_IOPL | X86_NT);
    x86_load_seg_real(cpu, X86_SEG_CS, cs);
    cpu->regs[4] = (cpu->regs[4] & ~m) | ((cpu->regs[4] + 3 * opsize) & m);
    cpu->next_rip = ip;
    x86_set_flags(cpu, fl, mask);
    cpu->nmi_blocked = false;
}

void x86_iret(struct x86_cpu *cpu, unsigned opsize)
{
    if (!cpu->pe) {
        x86_iret_real(cpu, opsize);
        return;
    }
    if (cpu->vm86) {
        if (((x86_get_flags(cpu) & X86_IOPL) >> 12) < 3)
            x86_gp(cpu, 0);
        x86_iret_real(cpu, opsize);
        return;
    }
    if (cpu->lma) {
        x86_iret_long(cpu, opsize);
        return;
    }
    cpu->nmi_blocked = false;
    if (x86_get_flags(cpu) & X86_NT) {
        /* return to the previous task through the back link */
        uint16_t link = (uint16_t)x86_read_sys(cpu, cpu->seg[X86_SEG_TR].base, 2);
        uint64_t raw, addr;
        if ((link & 4) || !x86_desc_read(cpu, link, &raw, &addr))
            x86_fault(cpu, X86_EXC_TS, link & 0xfffc, true);
        unsigned type = x86_raw_type(raw);
        if (x86_raw_s(raw) || (type != 3 && type != 0xb))
            x86_fault(cpu, X86_EXC_TS, link & 0xfffc, true);
        x86_task_switch(cpu, link, raw, X86_TASK_IRET, cpu->next_rip, false, 0, false);
        return;
    }
    uint64_t ip = x86_stack_peek(cpu, 0, opsize);
    uint16_t sel = (uint16_t)x86_stack_peek(cpu, opsize, opsize);
    uint32_t fl = (uint32_t)x86_stack_peek(cpu, 2 * opsize, opsize);
    uint64_t m = x86_sp_mask(cpu);
    if (opsize == 4 && (fl & X86_VM) && cpu->cpl == 0) {
        /* return to virtual-8086 mode */
        uint64_t nsp = x86_stack_peek(cpu, 12, 4);
        uint16_t vss = (uint16_t)x86_stack_peek(cpu, 16, 4);
        uint16_t ves = (uint16_t)x86_stack_peek(cpu, 20, 4);
        uint16_t vds = (uint16_t)x86_stack_peek(cpu, 24, 4);
        uint16_t vfs = (uint16_t)x86_stack_peek(cpu, 28, 4);
        uint16_t vgs = (uint16_t)x86_stack_peek(cpu, 32, 4);
        cpu->lazy.mask = 0;
        cpu->eflags = (fl & 0x3f7fd5u) | 2;
        cpu->cpl = 3;
        x86_update_mode(cpu);
        x86_load_seg_real(cpu, X86_SEG_CS, sel);
        x86_load_seg_real(cpu, X86_SEG_SS, vss);
        x86_load_seg_real(cpu, X86_SEG_ES, ves);
        x86_load_seg_real(cpu, X86_SEG_DS, vds);
        x86_load_seg_real(cpu, X86_SEG_FS, vfs);
        x86_load_seg_real(cpu, X86_SEG_GS, vgs);
        cpu->regs[4] = nsp & 0xffffffffu;
        cpu->next_rip = ip & 0xffff;
        cpu->attention = true;
        return;
    }
    uint16_t err = sel & 0xfffc;
    unsigned rpl = sel & 3;
    uint64_t raw, addr;
    if ((sel & 0xfffc) == 0)
        x86_gp(cpu, 0);
    if (!x86_desc_read(cpu, sel, &raw, &addr))
        x86_gp(cpu, err);
    unsigned dpl = x86_raw_dpl(raw);
    if (!x86_raw_code(raw) || rpl < (unsigned)cpu->cpl)
        x86_gp(cpu, err);
    if ((x86_raw_type(raw) & 4) ? dpl > rpl : dpl != rpl)
        x86_gp(cpu, err);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, err, true);
    struct x86_seg s;
    x86_seg_from_desc(&s, sel, raw);
    if (ip > s.limit)
        x86_gp(cpu, 0);
    int old_cpl = cpu->cpl;
    uint32_t iopl = (x86_get_flags(cpu) & X86_IOPL) >> 12;
    uint32_t mask = X86_ARITH_FLAGS | X86_TF | X86_DF | X86_NT | X86_RF | X86_AC | X86_ID;
    if (old_cpl == 0)
        mask |= X86_IOPL | X86_VIF | X86_VIP;
    if ((unsigned)old_cpl <= iopl)
        mask |= X86_IF;
    if (opsize == 2)
        mask &= 0xffff;
    if (rpl == (unsigned)old_cpl) {
        x86_load_cs(cpu, sel, raw, addr, old_cpl);
        cpu->regs[4] = (cpu->regs[4] & ~m) | ((cpu->regs[4] + 3 * opsize) & m);
        cpu->next_rip = ip;
        x86_set_flags(cpu, fl, mask);
        return;
    }
    uint64_t nsp = x86_stack_peek(cpu, 3 * opsize, opsize);
    uint16_t nss = (uint16_t)x86_stack_peek(cpu, 4 * opsize, opsize);
    uint64_t sraw, saddr;
    uint16_t serr = nss & 0xfffc;
    if ((nss & 0xfffc) == 0)
        x86_gp(cpu, 0);
    if (!x86_desc_read(cpu, nss, &sraw, &saddr))
        x86_gp(cpu, serr);
    unsigned stype = x86_raw_type(sraw);
    if ((nss & 3) != rpl || x86_raw_dpl(sraw) != rpl || !x86_raw_s(sraw) || (stype & 8) || !(stype & 2))
        x86_gp(cpu, serr);
    if (!x86_raw_p(sraw))
        x86_fault(cpu, X86_EXC_SS, serr, true);
    x86_load_cs(cpu, sel, raw, addr, (int)rpl);
    struct x86_seg ss;
    x86_desc_set_accessed(cpu, saddr, sraw);
    x86_seg_from_desc(&ss, nss, sraw | (1ull << 40));
    x86_commit_seg(cpu, X86_SEG_SS, &ss);
    uint64_t nm = x86_sp_mask(cpu);
    if (opsize == 2)
        nsp &= 0xffff;
    cpu->regs[4] = (cpu->regs[4] & ~nm) | (nsp & nm);
    cpu->next_rip = ip;
    x86_set_flags(cpu, fl, mask);
    x86_null_inaccessible_segs(cpu);
}

/* --- interrupt and exception delivery -------------------------------------- */

static void x86_deliver_real(struct x86_cpu *cpu, int vec, uint64_t ret_rip)
{
    uint32_t off = (uint32_t)vec * 4;
    if (off + 3 > cpu->idt_limit)
        x86_gp(cpu, 0);
    uint64_t entry = x86_read_sys(cpu, cpu->idt_base + off, 4);
    struct x86_stack st;
    x86_stack_current(cpu, &st);
    uint32_t fl = x86_get_flags(cpu);
    if (cpu->profile == X86_PROFILE_286 && !cpu->i8086)
        fl &= 0x0fff; /* the 8086 pushes bits 12-15 as 1 */
    x86_stack_push(cpu, &st, 2, fl);
    x86_stack_push(cpu, &st, 2, cpu->seg[X86_SEG_CS].sel);
    x86_stack_push(cpu, &st, 2, ret_rip);
    x86_stack_commit(cpu, &st);
    cpu->eflags &= ~(X86_IF | X86_TF | X86_AC | X86_RF);
    x86_load_seg_real(cpu, X86_SEG_CS, (uint16_t)(entry >> 16));
    cpu->rip = cpu->next_rip = entry & 0xffff;
}

void x86_deliver(struct x86_cpu *cpu, int vec, bool soft, bool has_err, uint32_t err,
                 uint64_t ret_rip)
{
    if (X86_UNLIKELY(cpu->hooks) && cpu->hooks->exception)
        cpu->hooks->exception(cpu->hooks->ctx, vec);
    if (!cpu->pe) {
        x86_deliver_real(cpu, vec, ret_rip);
        return;
    }
    if (cpu->lma) {
        x86_deliver_long(cpu, vec, soft, has_err, err, ret_rip);
        return;
    }
    bool ext = !soft;
    uint16_t ierr = (uint16_t)(vec * 8 + 2 + (ext ? 1 : 0));
    if ((uint32_t)vec * 8 + 7 > cpu->idt_limit)
        x86_gp(cpu, ierr);
    uint64_t addr = cpu->idt_base + (uint64_t)vec * 8;
    uint64_t raw = x86_read_sys(cpu, addr, 4) | (x86_read_sys(cpu, addr + 4, 4) << 32);
    unsigned type = x86_raw_type(raw);
    if (x86_raw_s(raw) || !(type == 5 || type == 6 || type == 7 || type == 0xe || type == 0xf))
        x86_gp(cpu, ierr);
    if (soft && x86_raw_dpl(raw) < (unsigned)cpu->cpl)
        x86_gp(cpu, ierr);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, ierr, true);
    if (type == 5) {
        uint16_t tss = (uint16_t)(raw >> 16);
        uint64_t traw, taddr;
        if ((tss & 4) || !x86_desc_read(cpu, tss, &traw, &taddr))
            x86_fault(cpu, X86_EXC_TS, (uint16_t)((tss & 0xfffc) | ext), true);
        unsigned ttype = x86_raw_type(traw);
        if (x86_raw_s(traw) || (ttype != 1 && ttype != 9))
            x86_fault(cpu, X86_EXC_TS, (uint16_t)((tss & 0xfffc) | ext), true);
        x86_task_switch(cpu, tss, traw, X86_TASK_INT, ret_rip, has_err, err, ext);
        return;
    }
    bool gate32 = (type & 8) != 0;
    bool trap = (type & 1) != 0;
    unsigned psize = gate32 ? 4 : 2;
    uint16_t tsel = (uint16_t)(raw >> 16);
    uint64_t toff = (raw & 0xffff) | (gate32 ? ((raw >> 48) & 0xffff) << 16 : 0);
    uint64_t craw, caddr;
    uint16_t terr = (uint16_t)((tsel & 0xfffc) | (ext ? 1 : 0));
    if ((tsel & 0xfffc) == 0)
        x86_gp(cpu, ext ? 1 : 0);
    if (!x86_desc_read(cpu, tsel, &craw, &caddr))
        x86_gp(cpu, terr);
    unsigned dpl = x86_raw_dpl(craw);
    if (!x86_raw_code(craw) || dpl > (unsigned)cpu->cpl)
        x86_gp(cpu, terr);
    if (!x86_raw_p(craw))
        x86_fault(cpu, X86_EXC_NP, terr, true);
    bool conforming = (x86_raw_type(craw) & 4) != 0;
    struct x86_seg cs;
    x86_seg_from_desc(&cs, tsel, craw);
    uint32_t fl = x86_get_flags(cpu);
    bool from_vm86 = cpu->vm86;
    struct x86_stack st;
    int new_cpl;
    if (!conforming && dpl < (unsigned)cpu->cpl) {
        if (from_vm86 && dpl != 0)
            x86_gp(cpu, terr);
        x86_tss_stack(cpu, dpl, &st, ext);
        new_cpl = (int)dpl;
        if (from_vm86) {
            x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_GS].sel);
            x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_FS].sel);
            x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_DS].sel);
            x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_ES].sel);
        }
        x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_SS].sel);
        x86_stack_push(cpu, &st, psize, cpu->regs[4] & (cpu->stack32 ? 0xffffffffu : 0xffffu));
    } else {
        if (from_vm86)
            x86_gp(cpu, terr);
        x86_stack_current(cpu, &st);
        new_cpl = cpu->cpl;
    }
    x86_stack_push(cpu, &st, psize, fl);
    x86_stack_push(cpu, &st, psize, cpu->seg[X86_SEG_CS].sel);
    x86_stack_push(cpu, &st, psize, ret_rip);
    if (has_err)
        x86_stack_push(cpu, &st, psize, err);
    if (toff > cs.limit)
        x86_gp(cpu, 0);
    /* commit */
    bool stack_switch = new_cpl != cpu->cpl || from_vm86;
    cpu->eflags &= ~(X86_TF | X86_NT | X86_RF | X86_VM);
    if (!trap)
        cpu->eflags &= ~X86_IF;
    if (from_vm86) {
        cpu->vm86 = false;
        x86_update_mode(cpu);
    }
    x86_load_cs(cpu, tsel, craw, caddr, new_cpl);
    if (stack_switch) {
        st.seg.sel = (uint16_t)((st.seg.sel & ~3u) | (unsigned)new_cpl);
        x86_commit_seg(cpu, X86_SEG_SS, &st.seg);
        cpu->regs[4] = st.big ? st.sp : ((cpu->regs[4] & ~0xffffull) | (st.sp & 0xffff));
        if (from_vm86) {
            struct x86_seg n;
            memset(&n, 0, sizeof n);
            x86_commit_seg(cpu, X86_SEG_ES, &n);
            x86_commit_seg(cpu, X86_SEG_DS, &n);
            x86_commit_seg(cpu, X86_SEG_FS, &n);
            x86_commit_seg(cpu, X86_SEG_GS, &n);
        }
    } else {
        x86_stack_commit(cpu, &st);
    }
    cpu->rip = cpu->next_rip = toff;
}

/* --- LDT, TR, LAR/LSL/VERR/VERW ------------------------------------------- */

void x86_lldt(struct x86_cpu *cpu, uint16_t sel)
{
    struct x86_seg *l = &cpu->seg[X86_SEG_LDTR];
    if ((sel & 0xfffc) == 0) {
        memset(l, 0, sizeof *l);
        l->sel = sel;
        return;
    }
    uint64_t raw, addr;
    if (sel & 4)
        x86_gp(cpu, sel & 0xfffc);
    if (!x86_desc_read(cpu, sel, &raw, &addr) || x86_raw_s(raw) || x86_raw_type(raw) != 2)
        x86_gp(cpu, sel & 0xfffc);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, sel & 0xfffc, true);
    uint64_t hi = 0;
    if (cpu->lma) {
        if ((sel & ~7u) + 15 > cpu->gdt_limit)
            x86_gp(cpu, sel & 0xfffc);
        hi = x86_read_sys(cpu, addr + 8, 8);
        if (!x86_canonical((hi << 32) | ((raw >> 16) & 0xffffff) | (((raw >> 56) & 0xff) << 24)))
            x86_gp(cpu, sel & 0xfffc);
    }
    x86_seg_from_desc(l, sel, raw);
    l->base |= (hi & 0xffffffffu) << 32;
    x86_seg_derive(l, true, false);
}

void x86_ltr(struct x86_cpu *cpu, uint16_t sel)
{
    uint64_t raw, addr;
    if ((sel & 0xfffc) == 0)
        x86_gp(cpu, 0);
    if (sel & 4)
        x86_gp(cpu, sel & 0xfffc);
    if (!x86_desc_read(cpu, sel, &raw, &addr) || x86_raw_s(raw) ||
        (x86_raw_type(raw) != 1 && x86_raw_type(raw) != 9))
        x86_gp(cpu, sel & 0xfffc);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, sel & 0xfffc, true);
    uint64_t hi = 0;
    if (cpu->lma) {
        /* IA-32e mode: a 16-byte 64-bit TSS descriptor (type 9 only) */
        if (x86_raw_type(raw) != 9 || (sel & ~7u) + 15 > cpu->gdt_limit)
            x86_gp(cpu, sel & 0xfffc);
        hi = x86_read_sys(cpu, addr + 8, 8);
    }
    x86_write_sys(cpu, addr + 5, 1, ((raw >> 40) & 0xff) | 2);
    struct x86_seg *t = &cpu->seg[X86_SEG_TR];
    x86_seg_from_desc(t, sel, raw | (2ull << 40));
    t->base |= (hi & 0xffffffffu) << 32;
    x86_seg_derive(t, true, false);
}

/* Checks visibility of a descriptor for LAR/LSL/VERR/VERW. */
static bool x86_desc_visible(struct x86_cpu *cpu, uint16_t sel, uint64_t *raw)
{
    uint64_t addr;
    if ((sel & 0xfffc) == 0 || !x86_desc_read(cpu, sel, raw, &addr))
        return false;
    bool conforming_code = x86_raw_code(*raw) && (x86_raw_type(*raw) & 4);
    if (!conforming_code) {
        unsigned dpl = x86_raw_dpl(*raw);
        if (dpl < (unsigned)cpu->cpl || dpl < (sel & 3u))
            return false;
    }
    return true;
}

bool x86_lar_lsl(struct x86_cpu *cpu, uint16_t sel, bool lsl, uint32_t *out)
{
    uint64_t raw;
    if (!x86_desc_visible(cpu, sel, &raw))
        return false;
    if (!x86_raw_s(raw)) {
        unsigned t = x86_raw_type(raw);
        /* LAR accepts gates too; LSL only segments (TSS, LDT) */
        bool ok = lsl ? (t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb)
                      : (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 0xb || t == 0xc);
        if (!ok)
            return false;
    }
    if (lsl) {
        struct x86_seg s;
        x86_seg_from_desc(&s, sel, raw);
        *out = s.limit;
    } else {
        *out = (uint32_t)((raw >> 32) & 0x00f0ff00u);
    }
    return true;
}

bool x86_verify(struct x86_cpu *cpu, uint16_t sel, bool write)
{
    uint64_t raw;
    if (!x86_desc_visible(cpu, sel, &raw) || !x86_raw_s(raw))
        return false;
    unsigned t = x86_raw_type(raw);
    if (write)
        return !(t & 8) && (t & 2);
    return !(t & 8) || (t & 2);
}

/* --- I/O permission --------------------------------------------------------- */

bool x86_io_allowed(struct x86_cpu *cpu, uint16_t port, unsigned size)
{
    if (!cpu->pe)
        return true;
    unsigned iopl = (x86_get_flags(cpu) & X86_IOPL) >> 12;
    if (!cpu->vm86 && (unsigned)cpu->cpl <= iopl)
        return true;
    const struct x86_seg *tr = &cpu->seg[X86_SEG_TR];
    unsigned type = tr->attr & 0xf;
    if ((type != 9 && type != 0xb) || tr->limit < 0x67)
        return false;
    uint32_t bm = (uint32_t)x86_read_sys(cpu, tr->base + 0x66, 2);
    uint32_t byte = bm + port / 8;
    if (byte + 1 > tr->limit)
        return false;
    uint32_t bits = (uint32_t)x86_read_sys(cpu, tr->base + byte, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    return (bits & mask) == 0;
}

/* --- control registers --------------------------------------------------------- */

void x86_set_cr0(struct x86_cpu *cpu, uint64_t v)
{
    v &= 0xffffffffu;
    if ((v & X86_CR0_PG) && !(v & X86_CR0_PE))
        x86_gp(cpu, 0);
    if ((v & X86_CR0_NW) && !(v & X86_CR0_CD))
        x86_gp(cpu, 0);
    if (cpu->profile != X86_PROFILE_286)
        v |= X86_CR0_ET;
    uint64_t old = cpu->cr0;
    if ((v & X86_CR0_PG) && !(old & X86_CR0_PG) && (cpu->efer & X86_EFER_LME)) {
        /* activating IA-32e mode: needs PAE and a non-64-bit CS */
        if (!(cpu->cr4 & X86_CR4_PAE) || (cpu->seg[X86_SEG_CS].attr & X86_ATTR_L))
            x86_gp(cpu, 0);
        cpu->efer |= X86_EFER_LMA;
    } else if (!(v & X86_CR0_PG) && (old & X86_CR0_PG) && cpu->lma) {
        if (cpu->long64)
            x86_gp(cpu, 0);
        cpu->efer &= ~X86_EFER_LMA;
    }
    if (cpu->lma && !(v & X86_CR0_PE))
        x86_gp(cpu, 0);
    cpu->cr0 = v;
    if ((old ^ v) & (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP)) {
        x86_tlb_flush(cpu, true);
        x86_update_mode(cpu);
    }
}

void x86_set_cr3(struct x86_cpu *cpu, uint64_t v)
{
    if (cpu->lma) {
        if (v & ~((1ull << X86_PHYS_BITS) - 1))
            x86_gp(cpu, 0); /* reserved bits above MAXPHYADDR */
        cpu->cr3 = v;
    } else {
        cpu->cr3 = v & 0xffffffffu;
    }
    x86_tlb_flush(cpu, false);
}

void x86_set_cr4(struct x86_cpu *cpu, uint64_t v)
{
    uint64_t allowed = X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE |
                       X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    if (v & ~allowed)
        x86_gp(cpu, 0);
    if (cpu->lma && !(v & X86_CR4_PAE))
        x86_gp(cpu, 0);
    uint64_t old = cpu->cr4;
    cpu->cr4 = v;
    if ((old ^ v) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE))
        x86_tlb_flush(cpu, true);
}
