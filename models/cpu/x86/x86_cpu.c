/* x86_cpu.c: the "x86-cpu" component: an Intel x86 processor (286 to
 * Pentium Pro class, functional timing) as a sim_initiator, with its reset
 * state, interrupt pins, run loop and exception dispatch. Intel SDM vol. 3
 * chapter 6 (interrupts, exception classes) and chapter 9 (reset state). */
#include "models/cpu/x86/x86_cpu.h"

#include <stdlib.h>

#include "kernel/hostmem.h"
#include "kernel/ytree.h"
#include "models/apic/apic.h"
#include "models/cpu/x86/timing.h"

static const struct param_desc x86_cpu_params[] = {
    { "clock", PARAM_CLOCK, NULL, "core clock domain", false },
    { "memory", PARAM_SPACE, "memory", "memory address space", false },
    { "io", PARAM_SPACE, "io", "I/O port address space", false },
    { "interrupt-controller", PARAM_COMPONENT, NULL,
      "component exporting \"intack\" (the 8259 or an APIC)", true },
    { "apic", PARAM_COMPONENT, NULL,
      "local APIC (exports \"lapic\"): CPUID.APIC = 1 and IA32_APIC_BASE go to it", true },
    { "profile", PARAM_STRING, "p6", "behaviour profile: 8086, 286, 386 or p6", false },
    { "timing", PARAM_STRING, "functional", "timing model: functional or pipeline", false },
    { "pipeline", PARAM_NODE, NULL,
      "pipeline timing overrides {table, queue-size, fetch-width, bus-cycles, dram, ...}", true },
    { "switch-timing", PARAM_NODE, NULL,
      "switch the timing model during the run: {at: marker:NAME | time:T, to: MODEL} or a list",
      true },
    { "cpuid-vendor", PARAM_STRING, "GenuineIntel", "CPUID vendor string (12 chars)", false },
    { "cpuid-family", PARAM_U64, "6", "CPUID family", false },
    { "cpuid-model", PARAM_U64, "15", "CPUID model (p6 default 15: a Core 2 class x86-64 part)", false },
    { "cpuid-stepping", PARAM_U64, "11", "CPUID stepping", false },
    { "cpuid-brand", PARAM_STRING, "clockwork x86 functional core", "CPUID brand string", false },
    { "cpuid-edx-mask", PARAM_U64, "0xffffffff",
      "leaf 1 EDX bits allowed (only implemented features are ever advertised)", false },
    { "cycles-per-insn", PARAM_U64, "1", "cycles for simple instructions (functional timing)", false },
    { "trace-insns", PARAM_PATH, NULL, "write a per-instruction trace to this file", true },
    { "markers", PARAM_NODE, NULL,
      "boot-phase markers (up to 8 addresses): NAME: ADDRESS (first instruction at that linear address), "
      "NAME: long-mode (first 64-bit instruction), NAME: user (first CPL 3 instruction)", true },
    PARAM_END
};

/* Features this core implements (CPUID leaf 1 EDX): FPU, PSE, TSC, MSR,
 * PAE, CX8, PGE, CMOV, FXSR for every profile. The p6 profile adds MCE,
 * MCA (x86_core.c: banks that never log), SEP, MTRR, PAT, PSE-36, CLFSH,
 * MMX, SSE, SSE2 (leaf 1), CX16 (leaf 1 ECX), and
 * SYSCALL, NX, RDTSCP, LM (0x80000001 EDX) with LAHF/SAHF in 64-bit mode
 * (0x80000001 ECX). APIC (bit 9) only with a local APIC attached (`apic:`);
 * without one the machine is 8259-only and Linux keeps the 8259 and the PIT
 * (see docs/cpu.md). */
#define X86_FEAT_IMPLEMENTED \
    ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) | \
     (1u << 15) | (1u << 24))
#define X86_FEAT_P6 \
    ((1u << 7) | (1u << 11) | (1u << 12) | (1u << 14) | (1u << 16) | (1u << 17) | (1u << 19) | \
     (1u << 23) | (1u << 25) | (1u << 26))
#define X86_FEAT_ECX_P6 (1u << 13)
#define X86_EXT_EDX_P6 ((1u << 11) | (1u << 20) | (1u << 27) | (1u << 29))
#define X86_EXT_ECX_P6 (1u << 0)

const struct component_type x86_cpu_type;

struct x86_cpu *x86_cpu_of(struct component *c)
{
    if (!c || c->type != &x86_cpu_type)
        return NULL;
    return c->state;
}

/* --- reset ------------------------------------------------------------------ */

static void x86_seg_set(struct x86_seg *s, uint16_t sel, uint64_t base, uint32_t limit,
                        uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->attr = attr;
}

static void x86_cpu_reset_state(struct x86_cpu *cpu)
{
    memset(cpu->regs, 0, sizeof cpu->regs);
    /* EDX holds the processor signature after reset */
    cpu->regs[2] = cpu->profile == X86_PROFILE_286 ? 0
                 : (cpu->cpuid.stepping & 0xf) | ((cpu->cpuid.model & 0xf) << 4) |
                   ((cpu->cpuid.family & 0xf) << 8);
    cpu->rip = 0xfff0;
    cpu->eflags = 2;
    cpu->lazy.mask = 0;
    cpu->cr0 = cpu->profile == X86_PROFILE_286 ? 0 : 0x60000010u;
    cpu->cr2 = cpu->cr3 = cpu->cr4 = 0;
    memset(cpu->dr, 0, sizeof cpu->dr);
    cpu->dr[6] = 0xffff0ff0u;
    cpu->dr[7] = 0x400;
    cpu->efer = cpu->star = cpu->lstar = cpu->cstar = cpu->sfmask = cpu->kernel_gs_base = 0;
    cpu->sysenter_cs = cpu->sysenter_esp = cpu->sysenter_eip = 0;
    cpu->apic_base = 0xfee00900u;
    /* fast strings; BTS and PEBS unavailable */
    cpu->misc_enable = 1 | (1u << 11) | (1u << 12);
    cpu->pat = 0x0007040600070406ull;
    cpu->cr8 = cpu->tsc_aux = 0;
    memset(cpu->mtrr_var, 0, sizeof cpu->mtrr_var);
    memset(cpu->mtrr_fixed, 0, sizeof cpu->mtrr_fixed);
    cpu->mtrr_def_type = 0;
    /* machine check: MCG_STATUS and the bank controls clear; the banks'
     * STATUS/ADDR/MISC keep their contents across reset (zero here) */
    cpu->mcg_status = 0;
    for (int i = 0; i < X86_MCA_BANKS; i++)
        cpu->mca_bank[i][0] = 0;
    cpu->tsc_offset = 0 - cpu->cycles;
    cpu->mxcsr = 0x1f80;
    memset(cpu->xmm, 0, sizeof cpu->xmm);
    x87_reset(&cpu->fpu);
    for (int s = 0; s < 6; s++)
        x86_seg_set(&cpu->seg[s], 0, 0, 0xffff, 0x93);
    x86_seg_set(&cpu->seg[X86_SEG_CS], 0xf000,
                cpu->profile == X86_PROFILE_286 ? 0xff0000u : 0xffff0000u, 0xffff, 0x9b);
    if (cpu->i8086) {
        /* the 8086 starts at FFFF:0000 with FLAGS bits 12-15 reading 1 */
        x86_seg_set(&cpu->seg[X86_SEG_CS], 0xffff, 0xffff0u, 0xffff, 0x9b);
        cpu->rip = 0;
        cpu->eflags = 0xf002;
    }
    x86_seg_set(&cpu->seg[X86_SEG_LDTR], 0, 0, 0xffff, 0x82);
    x86_seg_set(&cpu->seg[X86_SEG_TR], 0, 0, 0xffff, 0x8b);
    cpu->gdt_base = cpu->idt_base = 0;
    cpu->gdt_limit = cpu->idt_limit = 0xffff;
    cpu->cpl = 0;
    cpu->halted = false;
    cpu->shutdown = false;
    cpu->nmi_pending = false;
    cpu->nmi_blocked = false;
    cpu->irq_shadow = false;
    cpu->delivering = -1;
    cpu->attention = true;
    x86_update_mode(cpu);
    x86_tlb_flush(cpu, true);
    if (cpu->ferr && signal_level(cpu->ferr))
        signal_set(cpu->ferr, 0);
}

static void x86_cpu_reset(struct component *c)
{
    struct x86_cpu *cpu = c->state;
    x86_cpu_reset_state(cpu);
    cpu->reset_pending = false;
    if (cpu->ini.idle)
        sim_initiator_wake(&cpu->ini);
}

/* --- interrupt pins --------------------------------------------------------- */

static void x86_wake(struct x86_cpu *cpu)
{
    if (cpu->ini.idle)
        sim_initiator_wake(&cpu->ini);
}

static void x86_pin_intr(void *opaque, int line, int level)
{
    struct x86_cpu *cpu = opaque;
    cpu->intr_level = level;
    if (level) {
        cpu->attention = true;
        if (cpu->halted)
            x86_wake(cpu);
    }
}

static void x86_pin_nmi(void *opaque, int line, int level)
{
    struct x86_cpu *cpu = opaque;
    if (level && !cpu->nmi_level) {
        cpu->nmi_pending = true;
        cpu->attention = true;
        if (cpu->halted)
            x86_wake(cpu);
    }
    cpu->nmi_level = level;
}

static void x86_pin_reset(void *opaque, int line, int level)
{
    struct x86_cpu *cpu = opaque;
    if (level && !cpu->reset_level) {
        /* takes effect before the next instruction (we may be inside one) */
        cpu->reset_pending = true;
        cpu->attention = true;
        cpu->cycle_limit = cpu->cycles;
        x86_wake(cpu);
    }
    cpu->reset_level = level;
}

static void x86_pin_a20(void *opaque, int line, int level)
{
    struct x86_cpu *cpu = opaque;
    cpu->a20_level = level;
    /* the 8086 has 20 address lines: addresses always wrap at 1 MiB */
    uint64_t mask = level && !cpu->i8086 ? ~0ull : ~(1ull << 20);
    if (mask != cpu->a20_mask) {
        cpu->a20_mask = mask;
        x86_tlb_flush(cpu, true);
    }
}

static void x86_pin_ignne(void *opaque, int line, int level)
{
    struct x86_cpu *cpu = opaque;
    cpu->ignne_level = level;
}

static void x86_dmi_invalidate(void *opaque, struct addr_space *as)
{
    /* the map changed: pointers and decodes of remapped pages are stale */
    x86_tlb_flush(opaque, true);
    x86_dcache_flush(opaque);
}

static void x86_ram_written(void *opaque, uint64_t addr, unsigned len)
{
    struct x86_cpu *cpu = opaque;
    if (!len)
        return;
    for (uint64_t pg = addr >> 12; pg <= (addr + len - 1) >> 12; pg++)
        x86_code_page_written(cpu, pg);
}

/* --- exceptions and interrupts ----------------------------------------------- */

static bool x86_contributory(int vec)
{
    return vec == X86_EXC_DE || (vec >= X86_EXC_TS && vec <= X86_EXC_GP);
}

static bool x86_vec_has_err(int vec)
{
    return vec == X86_EXC_DF || (vec >= X86_EXC_TS && vec <= X86_EXC_PF) || vec == X86_EXC_AC;
}

static void x86_triple_fault(struct x86_cpu *cpu)
{
    sim_log(cpu->sim, cpu->comp->name, "triple fault at %04x:%08llx: resetting the machine",
            cpu->seg[X86_SEG_CS].sel, (unsigned long long)cpu->insn_rip);
    cpu->shutdown = true;
    cpu->delivering = -1;
    cpu->cycle_limit = cpu->cycles;
    sim_request_reset(cpu->sim);
}

/* Called after a fault longjmp'd out of an instruction or a delivery. */
static void x86_exception(struct x86_cpu *cpu)
{
    int vec = cpu->fault_vec;
    uint32_t err = cpu->fault_err;
    bool has_err = cpu->fault_has_err && x86_vec_has_err(vec);
    cpu->stats.exceptions[vec & 31]++;
    cpu->last_vector = vec;
    cpu->rip = cpu->insn_rip;
    cpu->regs[4] = cpu->insn_rsp;
    cpu->halted = false;
    if (cpu->delivering >= 0) {
        int first = cpu->delivering;
        if (first == X86_EXC_DF) {
            x86_triple_fault(cpu);
            return;
        }
        bool c1 = x86_contributory(first), c2 = x86_contributory(vec);
        if ((c1 && c2) || (first == X86_EXC_PF && (c2 || vec == X86_EXC_PF))) {
            vec = X86_EXC_DF;
            err = 0;
            has_err = true;
            cpu->stats.exceptions[X86_EXC_DF]++;
        }
    }
    cpu->delivering = vec;
    x86_deliver(cpu, vec, false, has_err, err, cpu->rip);
    cpu->delivering = -1;
}

static int x86_acknowledge(struct x86_cpu *cpu)
{
    x86_sync(cpu);
    int vec = cpu->intack->acknowledge(cpu->intack->opaque) & 0xff;
    struct bus_tx tx = { 0 };
    tx.kind = BUS_INTA;
    tx.size = 1;
    tx.data = (uint64_t)vec;
    tx.initiator = cpu->id;
    tx.time = sim_now(cpu->sim);
    as_notify(cpu->io, &tx);
    x86_after_device_access(cpu);
    return vec;
}

/* Handles reset, interrupts and the interrupt shadow before an instruction. */
static void x86_service(struct x86_cpu *cpu)
{
    if (cpu->reset_pending) {
        cpu->reset_pending = false;
        x86_cpu_reset_state(cpu);
    }
    cpu->slow_loop = cpu->trace || cpu->hooks || (cpu->eflags & X86_TF);
    if (cpu->irq_shadow) {
        cpu->irq_shadow = false;
        return; /* check again after the next instruction */
    }
    cpu->insn_rip = cpu->rip;
    cpu->insn_rsp = cpu->regs[4];
    if (cpu->nmi_pending && !cpu->nmi_blocked) {
        cpu->nmi_pending = false;
        cpu->nmi_blocked = true;
        cpu->halted = false;
        cpu->stats.nmis++;
        cpu->delivering = X86_EXC_NMI;
        x86_deliver(cpu, X86_EXC_NMI, false, false, 0, cpu->rip);
        cpu->delivering = -1;
        return;
    }
    if (cpu->intr_level && (x86_get_flags(cpu) & X86_IF) && cpu->intack) {
        int vec = x86_acknowledge(cpu);
        cpu->halted = false;
        cpu->stats.interrupts++;
        cpu->delivering = vec;
        x86_deliver(cpu, vec, false, false, 0, cpu->rip);
        cpu->delivering = -1;
        return;
    }
    cpu->attention = cpu->reset_pending;
}

/* --- trace ------------------------------------------------------------------- */

static void x86_trace_insn(struct x86_cpu *cpu)
{
    const struct x86_insn *in = cpu->cur;
    char dis[128];
    char bytes[48] = "";
    size_t n = 0;
    x86_disasm_insn(in, cpu->insn_rip, dis, sizeof dis);
    for (unsigned i = 0; i < in->len && i < 15; i++)
        n += (size_t)snprintf(bytes + n, sizeof bytes - n, "%02x", in->bytes[i]);
    uint32_t f = x86_get_flags(cpu);
    fprintf(cpu->trace,
            "%04x:%08llx %-30s %-32s eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x "
            "ebp=%08x esp=%08x fl=%08x ds=%04x es=%04x ss=%04x\n",
            cpu->seg[X86_SEG_CS].sel, (unsigned long long)cpu->insn_rip, bytes, dis,
            (unsigned)cpu->regs[0], (unsigned)cpu->regs[3], (unsigned)cpu->regs[1],
            (unsigned)cpu->regs[2], (unsigned)cpu->regs[6], (unsigned)cpu->regs[7],
            (unsigned)cpu->regs[5], (unsigned)cpu->regs[4], f, cpu->seg[X86_SEG_DS].sel,
            cpu->seg[X86_SEG_ES].sel, cpu->seg[X86_SEG_SS].sel);
}

void x86_insn_observed(struct x86_cpu *cpu)
{
    if (cpu->trace)
        x86_trace_insn(cpu);
    if (cpu->hooks && cpu->hooks->decode)
        cpu->hooks->decode(cpu->hooks->ctx, cpu->cur);
}

/* One instruction with the per-instruction extras: single-step trap. */
static void x86_step_slow(struct x86_cpu *cpu)
{
    bool tf = (cpu->eflags & X86_TF) != 0;
    x86_step_insn(cpu);
    if (cpu->hooks && cpu->hooks->retire)
        cpu->hooks->retire(cpu->hooks->ctx);
    if (tf && !cpu->halted) {
        cpu->dr[6] |= 0x4000; /* BS */
        cpu->insn_rip = cpu->rip;
        cpu->insn_rsp = cpu->regs[4];
        x86_deliver(cpu, X86_EXC_DB, false, false, 0, cpu->rip);
    }
    cpu->slow_loop = cpu->trace || cpu->hooks || (cpu->eflags & X86_TF);
}

/* --- run loop ------------------------------------------------------------------ */

static void x86_run_loop(struct x86_cpu *cpu)
{
    if (setjmp(cpu->fault_env))
        x86_exception(cpu);
    for (;;) {
        if (X86_UNLIKELY(cpu->attention))
            x86_service(cpu);
        if (X86_UNLIKELY(cpu->halted || cpu->shutdown))
            return;
        if (X86_UNLIKELY(cpu->slow_loop)) {
            x86_step_slow(cpu);
            if (cpu->cycles >= cpu->cycle_limit)
                return;
            continue;
        }
        x86_run_insns(cpu);
        if (cpu->cycles >= cpu->cycle_limit)
            return;
    }
}

static bool x86_can_wake(struct x86_cpu *cpu)
{
    return cpu->reset_pending || (cpu->nmi_pending && !cpu->nmi_blocked) ||
           (cpu->intr_level && (x86_get_flags(cpu) & X86_IF));
}

static void x86_cpu_run(struct sim_initiator *ini, sim_time_t slice_end)
{
    struct x86_cpu *cpu = ini->opaque;
    if (cpu->shutdown && !cpu->reset_pending) {
        sim_initiator_sleep(ini);
        return;
    }
    if (cpu->halted && !x86_can_wake(cpu)) {
        sim_initiator_sleep(ini);
        return;
    }
    /* local time may have moved past our cycle count (woken from HLT) */
    sim_time_t t = cpu->time_origin + clock_cycles_to_time(cpu->clock, cpu->cycles);
    if (ini->local_time > t) {
        uint64_t c = clock_time_to_cycles(cpu->clock, ini->local_time - cpu->time_origin);
        if (cpu->time_origin + clock_cycles_to_time(cpu->clock, c) < ini->local_time)
            c++;
        cpu->cycles = c;
    }
    cpu->cycle_limit = UINT64_MAX;
    ini->yield = false;
    if (slice_end != SIM_TIME_MAX) {
        uint64_t c = slice_end > cpu->time_origin
                         ? clock_time_to_cycles(cpu->clock, slice_end - cpu->time_origin) : 0;
        if (cpu->time_origin + clock_cycles_to_time(cpu->clock, c) < slice_end)
            c++;
        cpu->cycle_limit = c;
    }
    uint64_t insns0 = cpu->stats.insns, cyc0 = cpu->cycles;
    cpu->fault_env_valid = true;
    x86_run_loop(cpu);
    cpu->fault_env_valid = false;
    ini->insns += cpu->stats.insns - insns0;
    cpu->stats.cycles += cpu->cycles - cyc0;
    t = cpu->time_origin + clock_cycles_to_time(cpu->clock, cpu->cycles);
    if (t > ini->local_time)
        ini->local_time = t;
    if (cpu->halted && !x86_can_wake(cpu))
        sim_initiator_sleep(ini);
    else if (cpu->shutdown && !cpu->reset_pending)
        sim_initiator_sleep(ini);
}

/* --- host/test API -------------------------------------------------------------- */

void x86_cpu_set_insn_trace(struct x86_cpu *cpu, FILE *out)
{
    cpu->trace = out;
    cpu->attention = true;
}

static void x86_cpu_trace_output(void *opaque, FILE *out)
{
    x86_cpu_set_insn_trace(opaque, out);
}

void x86_cpu_set_timing_hooks(struct x86_cpu *cpu, const struct x86_timing_hooks *hooks)
{
    if (hooks) {
        cpu->hooks_copy = *hooks;
        cpu->hooks = &cpu->hooks_copy;
    } else {
        cpu->hooks = NULL;
    }
    cpu->attention = true;
}

int x86_cpu_step(struct x86_cpu *cpu)
{
    cpu->last_vector = -1;
    cpu->cycle_limit = UINT64_MAX;
    cpu->fault_env_valid = true;
    if (setjmp(cpu->fault_env)) {
        x86_exception(cpu);
        cpu->fault_env_valid = false;
        return cpu->last_vector;
    }
    if (cpu->attention)
        x86_service(cpu);
    if (!cpu->halted && !cpu->shutdown) {
        do {
            cpu->string_restart = false;
            if (cpu->slow_loop)
                x86_step_slow(cpu);
            else
                x86_step_insn(cpu);
        } while (cpu->string_restart);
    }
    cpu->fault_env_valid = false;
    return -1;
}

uint64_t x86_cpu_get_reg(struct x86_cpu *cpu, enum x86_reg_id r)
{
    if (r <= X86_R15)
        return cpu->regs[r];
    switch (r) {
    case X86_RIP: return cpu->rip;
    case X86_RFLAGS: return x86_get_flags(cpu);
    case X86_ES: case X86_CS: case X86_SS: case X86_DS: case X86_FS: case X86_GS:
        return cpu->seg[r - X86_ES].sel;
    case X86_CR0: return cpu->cr0;
    case X86_CR2: return cpu->cr2;
    case X86_CR3: return cpu->cr3;
    case X86_CR4: return cpu->cr4;
    default: return 0;
    }
}

void x86_cpu_set_reg(struct x86_cpu *cpu, enum x86_reg_id r, uint64_t v)
{
    if (r <= X86_R15) {
        cpu->regs[r] = v;
        return;
    }
    switch (r) {
    case X86_RIP: cpu->rip = v; break;
    case X86_RFLAGS:
        cpu->lazy.mask = 0;
        cpu->eflags = ((uint32_t)v | 2u) & ~0xffc08028u;
        if (cpu->profile == X86_PROFILE_286)
            cpu->eflags &= cpu->pe ? 0x7fffu : 0x0fffu;
        if (cpu->i8086)
            cpu->eflags |= 0xf000u;
        cpu->attention = true;
        x86_update_mode(cpu);
        break;
    case X86_ES: case X86_CS: case X86_SS: case X86_DS: case X86_FS: case X86_GS:
        if (!cpu->pe || cpu->vm86) {
            x86_load_seg_real(cpu, (int)(r - X86_ES), (uint16_t)v);
        } else {
            cpu->seg[r - X86_ES].sel = (uint16_t)v; /* selector only */
        }
        break;
    case X86_CR0: cpu->cr0 = v; x86_update_mode(cpu); x86_tlb_flush(cpu, true); break;
    case X86_CR2: cpu->cr2 = v; break;
    case X86_CR3: cpu->cr3 = v; x86_tlb_flush(cpu, true); break;
    case X86_CR4: cpu->cr4 = v; x86_tlb_flush(cpu, true); break;
    default: break;
    }
}

/* --- boot-phase markers ---------------------------------------------------------- */

static int x86_cpu_markers(struct x86_cpu *cpu, const struct params *p, struct cw_error *err)
{
    const struct ynode *m = params_node(p, "markers");
    if (!m)
        return 0;
    if (m->kind != YNODE_MAP)
        return params_error(p, "markers", err, "expected a map NAME: ADDRESS|long-mode|user");
    for (size_t i = 0; i < m->count; i++) {
        const char *name = m->keys[i];
        const struct ynode *v = m->items[i];
        if (v->kind != YNODE_SCALAR)
            return ynode_error(err, v, "marker '%s': expected ADDRESS, long-mode or user", name);
        if (!strcmp(v->scalar, "long-mode")) {
            cpu->marker_long_name = name;
        } else if (!strcmp(v->scalar, "user")) {
            cpu->marker_user_name = name;
        } else {
            char *end;
            unsigned long long a = strtoull(v->scalar, &end, 0);
            if (*end || end == v->scalar)
                return ynode_error(err, v, "marker '%s': '%s' is not an address, long-mode or user",
                                   name, v->scalar);
            if (cpu->marker_addr_count == X86_ADDR_MARKERS)
                return ynode_error(err, v, "marker '%s': at most %d address markers per CPU",
                                   name, X86_ADDR_MARKERS);
            cpu->marker_addr[cpu->marker_addr_count] = a;
            cpu->marker_addr_name[cpu->marker_addr_count++] = name;
        }
    }
    cpu->marker_addr_left = cpu->marker_addr_count;
    cpu->markers_pending = true;
    return 0;
}

/* Records the markers whose condition now holds. Called on mode changes
 * (64-bit mode, CPL 3) and on decode-cache misses (a first instruction at
 * an address is always decoded), so markers cost nothing per instruction. */
void x86_check_markers(struct x86_cpu *cpu)
{
    /* The marker takes the initiator's local time: bring it up to this
     * instruction, or the time would depend on when the core last synced
     * (which tracing changes). */
    sim_time_t now = cpu->time_origin + clock_cycles_to_time(cpu->clock, cpu->cycles);
    if (now > cpu->ini.local_time)
        cpu->ini.local_time = now;
    if (cpu->marker_addr_left) {
        uint64_t lin = cpu->long64 ? cpu->rip : cpu->seg[X86_SEG_CS].base + cpu->rip;
        for (unsigned i = 0; i < cpu->marker_addr_count; i++) {
            if (lin == cpu->marker_addr[i] && !cpu->marker_addr_done[i]) {
                cpu->marker_addr_done[i] = true;
                cpu->marker_addr_left--;
                sim_marker(cpu->sim, cpu->marker_addr_name[i]);
            }
        }
    }
    if (cpu->marker_long_name && !cpu->marker_long_done && cpu->long64) {
        cpu->marker_long_done = true;
        sim_marker(cpu->sim, cpu->marker_long_name);
    }
    if (cpu->marker_user_name && !cpu->marker_user_done && cpu->cpl == 3 && !cpu->vm86) {
        cpu->marker_user_done = true;
        sim_marker(cpu->sim, cpu->marker_user_name);
    }
    cpu->markers_pending = cpu->marker_addr_left ||
                           (cpu->marker_long_name && !cpu->marker_long_done) ||
                           (cpu->marker_user_name && !cpu->marker_user_done);
}

/* --- construction ---------------------------------------------------------------- */

static void x86_cycle_table_init(struct x86_cpu *cpu, unsigned base)
{
    uint8_t *t = cpu->cycle_table;
    for (int i = 0; i < 512; i++)
        t[i] = (uint8_t)base;
    static const struct { uint16_t op; uint8_t cycles; } slow[] = {
        { 0x9a, 20 }, { 0xea, 12 }, { 0xca, 20 }, { 0xcb, 20 }, { 0xcc, 30 }, { 0xcd, 30 },
        { 0xce, 30 }, { 0xcf, 30 }, { 0xf6, 8 }, { 0xf7, 12 }, { 0x69, 4 }, { 0x6b, 4 },
        { 0x1af, 4 }, { 0xe4, 30 }, { 0xe5, 30 }, { 0xe6, 30 }, { 0xe7, 30 }, { 0xec, 30 },
        { 0xed, 30 }, { 0xee, 30 }, { 0xef, 30 }, { 0x6c, 30 }, { 0x6d, 30 }, { 0x6e, 30 },
        { 0x6f, 30 }, { 0x1a2, 100 }, { 0x131, 20 }, { 0x130, 40 }, { 0x132, 40 },
        { 0x120, 10 }, { 0x122, 20 }, { 0x101, 10 }, { 0x100, 10 }, { 0xc8, 10 }, { 0x60, 8 },
        { 0x61, 8 }, { 0x27, 2 }, { 0x2f, 2 }, { 0x37, 2 }, { 0x3f, 2 }, { 0xd4, 10 },
        { 0xd5, 10 }, { 0x1c7, 10 }, { 0x1b0, 4 }, { 0x1b1, 4 }, { 0xf4, 1 },
    };
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++)
        t[slow[i].op] = slow[i].cycles > base ? slow[i].cycles : (uint8_t)base;
}

static int x86_cpu_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct x86_cpu *cpu = calloc(1, sizeof *cpu);
    if (!cpu)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = cpu;
    cpu->comp = c;
    cpu->sim = c->sim;
    cpu->id = c->id;
    cpu->clock = params_clock(p, "clock");
    cpu->mem = params_space(p, "memory");
    cpu->io = params_space(p, "io");
    if (!cpu->clock)
        return params_error(p, "clock", err, "unknown clock domain");
    if (!cpu->mem)
        return params_error(p, "memory", err, "unknown address space");
    if (!cpu->io)
        return params_error(p, "io", err, "unknown address space");

    const char *prof = params_string(p, "profile");
    if (!strcmp(prof, "8086")) {
        cpu->profile = X86_PROFILE_286; /* real-mode 286 with the 8086's differences */
        cpu->i8086 = true;
    } else if (!strcmp(prof, "286"))
        cpu->profile = X86_PROFILE_286;
    else if (!strcmp(prof, "386"))
        cpu->profile = X86_PROFILE_386;
    else if (!strcmp(prof, "p6"))
        cpu->profile = X86_PROFILE_P6;
    else
        return params_error(p, "profile", err,
                            "unknown profile '%s'; expected 8086, 286, 386 or p6", prof);

    const char *vendor = params_string(p, "cpuid-vendor");
    if (strlen(vendor) != 12)
        return params_error(p, "cpuid-vendor", err, "vendor string must be 12 characters");
    memcpy(cpu->cpuid.vendor, vendor, 13);
    uint64_t v;
    params_u64(p, "cpuid-family", &v);
    cpu->cpuid.family = (uint32_t)v;
    params_u64(p, "cpuid-model", &v);
    cpu->cpuid.model = (uint32_t)v;
    params_u64(p, "cpuid-stepping", &v);
    cpu->cpuid.stepping = (uint32_t)v;
    if (cpu->cpuid.stepping > 15 || cpu->cpuid.model > 255 || cpu->cpuid.family > 15 + 255)
        return params_error(p, "cpuid-family", err, "family/model/stepping out of range");
    snprintf(cpu->cpuid.brand, sizeof cpu->cpuid.brand, "%s", params_string(p, "cpuid-brand"));
    params_u64(p, "cpuid-edx-mask", &v);
    bool p6 = cpu->profile == X86_PROFILE_P6;
    cpu->cpuid.feat_edx = (X86_FEAT_IMPLEMENTED | (p6 ? X86_FEAT_P6 : 0)) & (uint32_t)v;
    cpu->cpuid.feat_ecx = p6 ? X86_FEAT_ECX_P6 : 0;
    cpu->cpuid.ext_edx = p6 ? X86_EXT_EDX_P6 : 0;
    cpu->cpuid.ext_ecx = p6 ? X86_EXT_ECX_P6 : 0;
    cpu->cpuid.max_leaf = p6 ? 7 : 2;
    cpu->cpuid.max_ext_leaf = p6 ? 0x80000008u : 0x80000004u;
    if (x86_cpu_markers(cpu, p, err) != 0)
        return -1;
    params_u64(p, "cycles-per-insn", &v);
    if (v == 0 || v > 100)
        return params_error(p, "cycles-per-insn", err, "must be 1..100");
    x86_cycle_table_init(cpu, (unsigned)v);

    const char *trace = params_path(p, "trace-insns");
    if (trace) {
        cpu->trace_owned = fopen(trace, "w");
        if (!cpu->trace_owned)
            return params_error(p, "trace-insns", err, "cannot open '%s' for writing", trace);
        cpu->trace = cpu->trace_owned;
    }

    cpu->ini.name = c->name;
    cpu->ini.run = x86_cpu_run;
    cpu->ini.opaque = cpu;
    cpu->a20_mask = cpu->i8086 ? ~(1ull << 20) : ~0ull;
    cpu->a20_level = 1;
    cpu->time_origin = sim_now(c->sim);
    cpu->delivering = -1;

    signal_input_register(c->sim, c, "intr", x86_pin_intr, cpu, 0);
    signal_input_register(c->sim, c, "nmi", x86_pin_nmi, cpu, 0);
    signal_input_register(c->sim, c, "reset", x86_pin_reset, cpu, 0);
    signal_input_register(c->sim, c, "a20", x86_pin_a20, cpu, 0);
    signal_input_register(c->sim, c, "ignne", x86_pin_ignne, cpu, 0);
    cpu->ferr = signal_create(c->sim, c, "ferr");
    as_add_dmi_listener(cpu->mem, x86_dmi_invalidate, cpu);
    as_add_ram_write_listener(cpu->mem, x86_ram_written, cpu);
    cpu->dcache = hostmem_alloc(X86_DCACHE_SIZE * sizeof *cpu->dcache);
    cpu->page_gen = hostmem_alloc(X86_CODE_PAGES * sizeof *cpu->page_gen);
    cpu->code_page = calloc(X86_CODE_PAGES / 8, 1);
    if (!cpu->dcache || !cpu->page_gen || !cpu->code_page)
        return cw_errorf(err, "%s: out of memory", c->name);
    x86_dcache_flush(cpu);

    stat_register(c, "instructions", "instructions retired", &cpu->stats.insns);
    stat_register(c, "cycles", "core clock cycles executed", &cpu->stats.cycles);
    stat_register(c, "interrupts", "external interrupts taken", &cpu->stats.interrupts);
    stat_register(c, "nmis", "NMIs taken", &cpu->stats.nmis);
    stat_register(c, "halts", "HLT instructions", &cpu->stats.halts);
    stat_register(c, "tlb-hits", "slow-path TLB hits (fast-path hits are not counted)",
                  &cpu->stats.tlb_hits);
    stat_register(c, "tlb-misses", "TLB misses (page walks or refills)", &cpu->stats.tlb_misses);
    stat_register(c, "page-walks", "page-table walks", &cpu->stats.page_walks);
    stat_register(c, "decode-hits", "decoded-instruction cache hits", &cpu->stats.decode_hits);
    stat_register(c, "decode-misses", "decoded-instruction cache misses", &cpu->stats.decode_misses);
    stat_register(c, "io-accesses", "I/O port accesses", &cpu->stats.io_accesses);
    stat_register(c, "mmio-accesses", "memory accesses that went to the bus", &cpu->stats.mmio_accesses);
    static const char *const exc_names[32] = {
        "exc-de", "exc-db", "exc-nmi", "exc-bp", "exc-of", "exc-br", "exc-ud", "exc-nm",
        "exc-df", "exc-9", "exc-ts", "exc-np", "exc-ss", "exc-gp", "exc-pf", "exc-15",
        "exc-mf", "exc-ac", "exc-mc", "exc-xm", "exc-20", "exc-21", "exc-22", "exc-23",
        "exc-24", "exc-25", "exc-26", "exc-27", "exc-28", "exc-29", "exc-30", "exc-31",
    };
    for (int i = 0; i < 20; i++)
        stat_register(c, exc_names[i], "exceptions raised with this vector", &cpu->stats.exceptions[i]);

    cpu->trace_iface.set_output = x86_cpu_trace_output;
    cpu->trace_iface.opaque = cpu;
    component_export(c, "insn-trace", &cpu->trace_iface);

    x86_cpu_reset_state(cpu);
    sim_add_initiator(c->sim, &cpu->ini);
    return x86_timing_create(cpu, c, p, prof, err);
}

/* A local APIC: advertised in CPUID leaf 1 (EDX bit 9) and the owner of
 * IA32_APIC_BASE. */
static int x86_cpu_realize_apic(struct x86_cpu *cpu, struct component *c, struct cw_error *err)
{
    const struct ynode *n = ymap_get(c->config, "apic");
    if (!n)
        return 0;
    struct component *apic = sim_find_component(c->sim, n->scalar);
    cpu->lapic = apic ? component_interface(apic, "lapic") : NULL;
    if (!cpu->lapic)
        return ynode_error(err, n, "component '%s' does not export a \"lapic\" interface",
                           n->scalar);
    cpu->cpuid.feat_edx |= 1u << 9;
    return 0;
}

static int x86_cpu_realize(struct component *c, struct cw_error *err)
{
    struct x86_cpu *cpu = c->state;
    if (x86_timing_realize(cpu, err))
        return -1;
    const struct ynode *n = ymap_get(c->config, "interrupt-controller");
    if (!n)
        return x86_cpu_realize_apic(cpu, c, err);
    struct component *pic = sim_find_component(c->sim, n->scalar);
    if (!pic)
        return ynode_error(err, n, "unknown component '%s'", n->scalar);
    cpu->intack = component_interface(pic, "intack");
    if (!cpu->intack)
        return ynode_error(err, n, "component '%s' does not export an \"intack\" interface",
                           n->scalar);
    return x86_cpu_realize_apic(cpu, c, err);
}

static void x86_cpu_destroy(struct component *c)
{
    struct x86_cpu *cpu = c->state;
    if (!cpu)
        return;
    sim_remove_initiator(c->sim, &cpu->ini);
    x86_timing_destroy(cpu);
    if (cpu->trace_owned)
        fclose(cpu->trace_owned);
    hostmem_free(cpu->dcache, X86_DCACHE_SIZE * sizeof *cpu->dcache);
    hostmem_free(cpu->page_gen, X86_CODE_PAGES * sizeof *cpu->page_gen);
    free(cpu->code_page);
    free(cpu);
    c->state = NULL;
}

const struct component_type x86_cpu_type = {
    .name = "x86-cpu",
    .description = "x86 processor (286 to Pentium Pro class), functional timing",
    .params = x86_cpu_params,
    .create = x86_cpu_create,
    .realize = x86_cpu_realize,
    .reset = x86_cpu_reset,
    .destroy = x86_cpu_destroy,
};
