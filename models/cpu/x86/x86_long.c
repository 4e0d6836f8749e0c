/* x86_long.c: IA-32e (long) mode for the x86 core: EFER, 64-bit interrupt
 * and trap gates with IST, IRET in IA-32e mode, SYSCALL/SYSRET, SYSENTER/
 * SYSEXIT and SWAPGS. Intel SDM vol. 3 chapters 2.2.1, 5.8.8, 6.14 and 7.7;
 * vol. 2 (IRET, SYSCALL, SYSRET, SYSENTER, SYSEXIT, SWAPGS). */
#include "models/cpu/x86/x86_cpu.h"

/* --- EFER ------------------------------------------------------------------ */

bool x86_set_efer(struct x86_cpu *cpu, uint64_t v)
{
    uint64_t allowed = X86_EFER_LMA;
    if (cpu->cpuid.ext_edx & (1u << 11))
        allowed |= X86_EFER_SCE;
    if (cpu->cpuid.ext_edx & (1u << 20))
        allowed |= X86_EFER_NXE;
    if (cpu->cpuid.ext_edx & (1u << 29))
        allowed |= X86_EFER_LME;
    if (v & ~allowed)
        return false;
    /* LME may not change while paging is on */
    if (((v ^ cpu->efer) & X86_EFER_LME) && (cpu->cr0 & X86_CR0_PG))
        return false;
    uint64_t old = cpu->efer;
    cpu->efer = (v & ~X86_EFER_LMA) | (old & X86_EFER_LMA); /* LMA is read-only */
    if ((old ^ cpu->efer) & X86_EFER_NXE)
        x86_tlb_flush(cpu, true);
    return true;
}

/* --- flat segments for the fast system calls ------------------------------- */

static void x86_flat_seg(struct x86_cpu *cpu, int seg, uint16_t sel, bool code, bool code64,
                         unsigned dpl)
{
    struct x86_seg s;
    memset(&s, 0, sizeof s);
    s.sel = sel;
    s.base = 0;
    s.limit = 0xffffffffu;
    s.attr = (uint16_t)(X86_ATTR_P | X86_ATTR_S | (dpl << 5) | X86_ATTR_G |
                        (code ? 0xb : 0x3) | (code64 ? X86_ATTR_L : X86_ATTR_DB));
    x86_commit_seg(cpu, seg, &s);
}

/* --- 64-bit interrupt delivery --------------------------------------------- */

static uint64_t x86_tss64_read(struct x86_cpu *cpu, uint32_t off, bool ext)
{
    const struct x86_seg *tr = &cpu->seg[X86_SEG_TR];
    if (off + 7 > tr->limit)
        x86_fault(cpu, X86_EXC_TS, (uint16_t)((tr->sel & 0xfffc) | (ext ? 1 : 0)), true);
    return x86_read_sys(cpu, tr->base + off, 8);
}

void x86_deliver_long(struct x86_cpu *cpu, int vec, bool soft, bool has_err, uint32_t err,
                      uint64_t ret_rip)
{
    bool ext = !soft;
    uint16_t ierr = (uint16_t)(vec * 8 + 2 + (ext ? 1 : 0));
    if ((uint32_t)vec * 16 + 15 > cpu->idt_limit)
        x86_gp(cpu, ierr);
    uint64_t addr = cpu->idt_base + (uint64_t)vec * 16;
    uint64_t lo = x86_read_sys(cpu, addr, 8);
    uint64_t hi = x86_read_sys(cpu, addr + 8, 8);
    unsigned type = x86_raw_type(lo);
    if (x86_raw_s(lo) || (type != 0xe && type != 0xf))
        x86_gp(cpu, ierr);
    if (soft && x86_raw_dpl(lo) < (unsigned)cpu->cpl)
        x86_gp(cpu, ierr);
    if (!x86_raw_p(lo))
        x86_fault(cpu, X86_EXC_NP, ierr, true);
    uint16_t tsel = (uint16_t)(lo >> 16);
    uint64_t toff = (lo & 0xffff) | (((lo >> 48) & 0xffff) << 16) | ((hi & 0xffffffffu) << 32);
    unsigned ist = (unsigned)(lo >> 32) & 7;
    uint16_t terr = (uint16_t)((tsel & 0xfffc) | (ext ? 1 : 0));
    uint64_t craw, caddr;
    if ((tsel & 0xfffc) == 0)
        x86_gp(cpu, ext ? 1 : 0);
    if (!x86_desc_read(cpu, tsel, &craw, &caddr))
        x86_gp(cpu, terr);
    unsigned dpl = x86_raw_dpl(craw);
    /* the target must be a 64-bit code segment */
    if (!x86_raw_code(craw) || !x86_raw_long(craw) || ((craw >> 54) & 1) ||
        dpl > (unsigned)cpu->cpl)
        x86_gp(cpu, terr);
    if (!x86_raw_p(craw))
        x86_fault(cpu, X86_EXC_NP, terr, true);
    if (!x86_canonical(toff))
        x86_gp(cpu, ext ? 1 : 0);
    bool conforming = (x86_raw_type(craw) & 4) != 0;
    int new_cpl = (!conforming && dpl < (unsigned)cpu->cpl) ? (int)dpl : cpu->cpl;

    uint64_t rsp = cpu->regs[4];
    if (new_cpl != cpu->cpl)
        rsp = x86_tss64_read(cpu, 4 + 8 * (uint32_t)new_cpl, ext);
    if (ist)
        rsp = x86_tss64_read(cpu, 0x24 + 8 * (ist - 1), ext);
    rsp &= ~15ull;

    uint64_t frame[6];
    unsigned n = 0;
    uint32_t fl = x86_get_flags(cpu);
    if (has_err)
        frame[n++] = err;
    frame[n++] = ret_rip;
    frame[n++] = cpu->seg[X86_SEG_CS].sel;
    frame[n++] = fl;
    frame[n++] = cpu->regs[4];
    frame[n++] = cpu->seg[X86_SEG_SS].sel;
    /* push SS, RSP, RFLAGS, CS, RIP [, error] onto the new stack */
    bool user = new_cpl == 3;
    uint64_t top = rsp - 8 * (uint64_t)n;
    if (!x86_canonical(rsp - 8) || !x86_canonical(top))
        x86_fault(cpu, X86_EXC_SS, ext ? 1 : 0, true);
    for (unsigned i = 0; i < n; i++)
        x86_write_lin_slow(cpu, top + 8 * i, 8, frame[i], user);

    /* commit */
    int old_cpl = cpu->cpl;
    cpu->eflags &= ~(X86_TF | X86_NT | X86_RF | X86_VM);
    if (!(type & 1))
        cpu->eflags &= ~X86_IF;
    x86_load_cs(cpu, tsel, craw, caddr, new_cpl);
    if (new_cpl != old_cpl) {
        /* the new SS is a null selector with RPL = new CPL */
        struct x86_seg ss;
        memset(&ss, 0, sizeof ss);
        ss.sel = (uint16_t)new_cpl;
        ss.attr = (uint16_t)(X86_ATTR_P | X86_ATTR_S | 0x3 | ((unsigned)new_cpl << 5));
        x86_commit_seg(cpu, X86_SEG_SS, &ss);
    }
    cpu->regs[4] = top;
    cpu->rip = cpu->next_rip = toff;
}

/* --- IRET in IA-32e mode --------------------------------------------------- */

void x86_iret_long(struct x86_cpu *cpu, unsigned opsize)
{
    cpu->nmi_blocked = false;
    if (x86_get_flags(cpu) & X86_NT)
        x86_gp(cpu, 0); /* no task switches in IA-32e mode */
    uint64_t ip = x86_stack_peek(cpu, 0, opsize);
    uint16_t sel = (uint16_t)x86_stack_peek(cpu, opsize, opsize);
    uint32_t fl = (uint32_t)x86_stack_peek(cpu, 2 * opsize, opsize);
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
    bool to64 = x86_raw_long(raw);
    if (to64 && ((raw >> 54) & 1))
        x86_gp(cpu, err);
    if (!x86_raw_p(raw))
        x86_fault(cpu, X86_EXC_NP, err, true);
    struct x86_seg cs;
    x86_seg_from_desc(&cs, sel, raw);
    if (to64 ? !x86_canonical(ip) : ip > cs.limit)
        x86_gp(cpu, 0);

    /* 64-bit mode always pops SS:RSP; compatibility mode only on a
     * privilege change */
    bool pop_stack = cpu->long64 || rpl != (unsigned)cpu->cpl;
    uint64_t nsp = 0, sraw = 0, saddr = 0;
    uint16_t nss = 0;
    if (pop_stack) {
        nsp = x86_stack_peek(cpu, 3 * opsize, opsize);
        nss = (uint16_t)x86_stack_peek(cpu, 4 * opsize, opsize);
        uint16_t serr = nss & 0xfffc;
        if ((nss & 0xfffc) == 0) {
            /* a null SS is allowed when returning to 64-bit code below CPL 3 */
            if (!to64 || rpl == 3 || (nss & 3) != rpl)
                x86_gp(cpu, 0);
        } else {
            if (!x86_desc_read(cpu, nss, &sraw, &saddr))
                x86_gp(cpu, serr);
            unsigned stype = x86_raw_type(sraw);
            if ((nss & 3) != rpl || x86_raw_dpl(sraw) != rpl || !x86_raw_s(sraw) ||
                (stype & 8) || !(stype & 2))
                x86_gp(cpu, serr);
            if (!x86_raw_p(sraw))
                x86_fault(cpu, X86_EXC_SS, serr, true);
        }
    }

    int old_cpl = cpu->cpl;
    uint32_t iopl = (x86_get_flags(cpu) & X86_IOPL) >> 12;
    uint32_t mask = X86_ARITH_FLAGS | X86_TF | X86_DF | X86_NT | X86_RF | X86_AC | X86_ID;
    if (old_cpl == 0)
        mask |= X86_IOPL | X86_VIF | X86_VIP;
    if ((unsigned)old_cpl <= iopl)
        mask |= X86_IF;
    if (opsize == 2)
        mask &= 0xffff;
    uint64_t old_sp = cpu->regs[4];
    x86_load_cs(cpu, sel, raw, addr, (int)rpl);
    x86_set_flags(cpu, fl, mask);
    if (pop_stack) {
        struct x86_seg ss;
        if ((nss & 0xfffc) == 0) {
            memset(&ss, 0, sizeof ss);
            ss.sel = nss;
            ss.attr = (uint16_t)(X86_ATTR_P | X86_ATTR_S | 0x3 | (rpl << 5));
        } else {
            x86_desc_set_accessed(cpu, saddr, sraw);
            x86_seg_from_desc(&ss, nss, sraw | (1ull << 40));
        }
        x86_commit_seg(cpu, X86_SEG_SS, &ss);
        if (opsize == 2)
            nsp &= 0xffff;
        if (cpu->long64)
            cpu->regs[4] = nsp;
        else
            cpu->regs[4] = (cpu->regs[4] & ~x86_sp_mask(cpu)) | (nsp & x86_sp_mask(cpu));
    } else {
        uint64_t m = x86_sp_mask(cpu);
        cpu->regs[4] = (old_sp & ~m) | ((old_sp + 3 * opsize) & m);
    }
    if (rpl > (unsigned)old_cpl)
        x86_null_inaccessible_segs(cpu);
    cpu->next_rip = to64 ? ip : (ip & 0xffffffffu);
}

/* --- SYSCALL / SYSRET ------------------------------------------------------ */

void x86_syscall(struct x86_cpu *cpu)
{
    /* Intel: #UD outside 64-bit mode or without EFER.SCE */
    if (!cpu->long64 || !(cpu->efer & X86_EFER_SCE))
        x86_undefined(cpu);
    uint16_t sel = (uint16_t)(cpu->star >> 32);
    uint32_t fl = x86_get_flags(cpu);
    cpu->regs[1] = cpu->next_rip;
    cpu->regs[11] = fl & ~(uint32_t)X86_RF;
    cpu->cpl = 0;
    x86_flat_seg(cpu, X86_SEG_CS, sel & 0xfffc, true, true, 0);
    x86_flat_seg(cpu, X86_SEG_SS, (uint16_t)((sel + 8) & 0xfffc), false, false, 0);
    x86_set_flags(cpu, 0, ((uint32_t)cpu->sfmask | X86_RF) & ~2u);
    cpu->next_rip = cpu->lstar;
}

void x86_sysret(struct x86_cpu *cpu, unsigned opsize)
{
    if (!cpu->long64 || !(cpu->efer & X86_EFER_SCE))
        x86_undefined(cpu);
    if (cpu->cpl != 0)
        x86_gp(cpu, 0);
    uint16_t sel = (uint16_t)(cpu->star >> 48);
    uint64_t rip = cpu->regs[1];
    if (opsize == 8 && !x86_canonical(rip))
        x86_gp(cpu, 0);
    cpu->lazy.mask = 0;
    uint32_t fl = ((uint32_t)cpu->regs[11] & 0x3c7fd7u) | 2u;
    cpu->cpl = 3;
    if (opsize == 8) {
        x86_flat_seg(cpu, X86_SEG_CS, (uint16_t)((sel + 16) | 3), true, true, 3);
    } else {
        x86_flat_seg(cpu, X86_SEG_CS, (uint16_t)(sel | 3), true, false, 3);
        rip &= 0xffffffffu;
    }
    x86_flat_seg(cpu, X86_SEG_SS, (uint16_t)((sel + 8) | 3), false, false, 3);
    /* IF and TF go through x86_set_flags so that a pending interrupt is
     * noticed right after SYSRET */
    cpu->eflags = fl & ~(uint32_t)(X86_IF | X86_TF);
    x86_update_mode(cpu);
    x86_set_flags(cpu, fl, X86_IF | X86_TF);
    cpu->next_rip = rip;
}

/* --- SYSENTER / SYSEXIT ---------------------------------------------------- */

void x86_sysenter(struct x86_cpu *cpu)
{
    uint16_t sel = (uint16_t)cpu->sysenter_cs;
    if (!cpu->pe || (sel & 0xfffc) == 0)
        x86_gp(cpu, 0);
    x86_get_flags(cpu);
    cpu->eflags &= ~(uint32_t)(X86_VM | X86_IF | X86_RF);
    cpu->cpl = 0;
    x86_update_mode(cpu);
    x86_flat_seg(cpu, X86_SEG_CS, sel & 0xfffc, true, cpu->lma, 0);
    x86_flat_seg(cpu, X86_SEG_SS, (uint16_t)((sel + 8) & 0xfffc), false, false, 0);
    if (cpu->lma) {
        cpu->regs[4] = cpu->sysenter_esp;
        cpu->next_rip = cpu->sysenter_eip;
    } else {
        cpu->regs[4] = (uint32_t)cpu->sysenter_esp;
        cpu->next_rip = (uint32_t)cpu->sysenter_eip;
    }
}

void x86_sysexit(struct x86_cpu *cpu, unsigned opsize)
{
    uint16_t sel = (uint16_t)cpu->sysenter_cs;
    if (!cpu->pe || cpu->vm86 || (sel & 0xfffc) == 0 || cpu->cpl != 0)
        x86_gp(cpu, 0);
    bool to64 = opsize == 8;
    if (to64 && (!x86_canonical(cpu->regs[2]) || !x86_canonical(cpu->regs[1])))
        x86_gp(cpu, 0);
    cpu->cpl = 3;
    if (to64) {
        x86_flat_seg(cpu, X86_SEG_CS, (uint16_t)((sel + 32) | 3), true, true, 3);
        x86_flat_seg(cpu, X86_SEG_SS, (uint16_t)((sel + 40) | 3), false, false, 3);
        cpu->regs[4] = cpu->regs[1];
        cpu->next_rip = cpu->regs[2];
    } else {
        x86_flat_seg(cpu, X86_SEG_CS, (uint16_t)((sel + 16) | 3), true, false, 3);
        x86_flat_seg(cpu, X86_SEG_SS, (uint16_t)((sel + 24) | 3), false, false, 3);
        cpu->regs[4] = (uint32_t)cpu->regs[1];
        cpu->next_rip = (uint32_t)cpu->regs[2];
    }
}

/* --- SWAPGS ---------------------------------------------------------------- */

void x86_swapgs(struct x86_cpu *cpu)
{
    if (!cpu->long64)
        x86_undefined(cpu);
    if (cpu->cpl != 0)
        x86_gp(cpu, 0);
    uint64_t t = cpu->seg[X86_SEG_GS].base;
    cpu->seg[X86_SEG_GS].base = cpu->kernel_gs_base;
    cpu->kernel_gs_base = t;
}
