/* x86_cpu.h: internal state and helpers shared by the x86 core's files.
 * Intel SDM vol. 3 (system state), vol. 2 (instruction formats). */
#ifndef CW_X86_CPU_H
#define CW_X86_CPU_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/clock.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/cpu/x86/x86.h"
#include "models/cpu/x86/x87.h"

#define X86_LIKELY(x) __builtin_expect(!!(x), 1)
#define X86_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* EFLAGS bits */
#define X86_CF 0x0001u
#define X86_PF 0x0004u
#define X86_AF 0x0010u
#define X86_ZF 0x0040u
#define X86_SF 0x0080u
#define X86_TF 0x0100u
#define X86_IF 0x0200u
#define X86_DF 0x0400u
#define X86_OF 0x0800u
#define X86_IOPL 0x3000u
#define X86_NT 0x4000u
#define X86_RF 0x10000u
#define X86_VM 0x20000u
#define X86_AC 0x40000u
#define X86_VIF 0x80000u
#define X86_VIP 0x100000u
#define X86_ID 0x200000u
#define X86_ARITH_FLAGS (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

/* CR0 / CR4 bits */
#define X86_CR0_PE 0x1u
#define X86_CR0_MP 0x2u
#define X86_CR0_EM 0x4u
#define X86_CR0_TS 0x8u
#define X86_CR0_ET 0x10u
#define X86_CR0_NE 0x20u
#define X86_CR0_WP 0x10000u
#define X86_CR0_AM 0x40000u
#define X86_CR0_NW 0x20000000u
#define X86_CR0_CD 0x40000000u
#define X86_CR0_PG 0x80000000u
#define X86_CR4_VME 0x1u
#define X86_CR4_PVI 0x2u
#define X86_CR4_TSD 0x4u
#define X86_CR4_DE 0x8u
#define X86_CR4_PSE 0x10u
#define X86_CR4_PAE 0x20u
#define X86_CR4_MCE 0x40u
#define X86_CR4_PGE 0x80u
#define X86_CR4_PCE 0x100u
#define X86_CR4_OSFXSR 0x200u
#define X86_CR4_OSXMMEXCPT 0x400u

/* EFER bits (MSR 0xC0000080) */
#define X86_EFER_SCE 0x001ull
#define X86_EFER_LME 0x100ull
#define X86_EFER_LMA 0x400ull
#define X86_EFER_NXE 0x800ull

/* machine-check banks reported in IA32_MCG_CAP (as common virtual CPUs) */
#define X86_MCA_BANKS 10

/* physical address width this core reports (CPUID 0x80000008) */
#define X86_PHYS_BITS 36

/* exception vectors */
enum {
    X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_NMI = 2, X86_EXC_BP = 3, X86_EXC_OF = 4,
    X86_EXC_BR = 5, X86_EXC_UD = 6, X86_EXC_NM = 7, X86_EXC_DF = 8, X86_EXC_TS = 10,
    X86_EXC_NP = 11, X86_EXC_SS = 12, X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MF = 16,
    X86_EXC_AC = 17, X86_EXC_MC = 18, X86_EXC_XM = 19,
};

/* segment register numbers, in encoding order */
enum { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS,
       X86_SEG_LDTR, X86_SEG_TR, X86_SEG_COUNT };

/* Descriptor-cache attributes: descriptor bits 40-47 in 0-7, 52-55 in 8-11. */
#define X86_ATTR_TYPE 0x0fu
#define X86_ATTR_S 0x10u
#define X86_ATTR_DPL(a) (((a) >> 5) & 3)
#define X86_ATTR_P 0x80u
#define X86_ATTR_L 0x200u
#define X86_ATTR_DB 0x400u
#define X86_ATTR_G 0x800u

struct x86_seg {
    uint64_t base;
    uint32_t limit;    /* byte-granular */
    uint16_t sel;
    uint16_t attr;
    /* derived for the fast access checks */
    uint64_t lo, hi;   /* valid offsets [lo, hi] */
    bool can_read, can_write, usable;
};

struct x86_cpu;
struct x86_insn;
/* Executes a decoded instruction (x86_core.c picks one per decode). */
typedef void (*x86_exec_fn)(struct x86_cpu *cpu, struct x86_insn *in);

/* Decoded instruction. */
struct x86_insn {
    x86_exec_fn exec;  /* set by the core's fetch (x86_pick_exec), not the decoder */
    uint16_t op;       /* 0x000-0x0ff one-byte, 0x100-0x1ff 0F xx */
    uint8_t len;
    uint8_t opsize;    /* 2, 4 or 8 */
    uint8_t addrsize;  /* 2, 4 or 8 */
    uint8_t seg;       /* segment of the memory operand */
    uint8_t rep;       /* 0, 0xf2 or 0xf3 */
    bool lock;
    bool pfx66;        /* 66 prefix seen (SSE mandatory prefix) */
    bool seg_override;
    bool has_modrm;
    uint8_t rex;       /* 0 if none */
    uint8_t modrm, mod, reg, rm; /* reg/rm include REX extensions */
    bool mem;          /* memory operand present (mod != 3) */
    int8_t base, index;/* -1: none */
    uint8_t scale;
    bool rip_rel;
    int64_t disp;
    uint64_t imm, imm2;
    uint8_t bytes[16];
};

#define X86_DCACHE_SIZE 65536
#define X86_CODE_PAGES (1u << 20)
/* One cache line holds what a hit reads (tag, stamp, the decoded fields up
 * to the immediate); the fields of the full check and the raw bytes follow
 * in the second. */
struct x86_dcache_entry {
    uint64_t lin;      /* X86_TLB_NONE when empty */
    uint64_t stamp;    /* fetch_stamp when last checked in full */
    struct x86_insn in;
    uint64_t phys;
    uint32_t gen;
    uint32_t mode;
} __attribute__((aligned(64)));

/* software TLB entry: one 4 KiB linear page */
struct x86_tlb_entry {
    uint64_t tag_r;    /* linear page if reads may use host, else X86_TLB_NONE */
    uint64_t tag_w;    /* linear page if writes may use host */
    uint64_t lin;      /* linear page of the translation, or X86_TLB_NONE */
    uint64_t phys;     /* physical page */
    uint8_t *host;     /* host pointer of the page (NULL: go to the bus) */
    uint8_t perm;      /* X86_TLB_* */
    bool listed;       /* in x86_cpu.tlb_used (kept when the entry is cleared) */
};
#define X86_TLB_NONE UINT64_MAX
#define X86_TLB_SIZE 1024
#define X86_TLB_W 0x1u     /* writable at this privilege */
#define X86_TLB_D 0x2u     /* dirty bit already set */
#define X86_TLB_G 0x4u     /* global */
#define X86_TLB_ROM 0x8u   /* host pointer is read-only memory */
#define X86_TLB_L 0x10u    /* a 4 KiB piece of a large page */

/* access kinds for translation */
enum x86_access { X86_ACC_READ, X86_ACC_WRITE, X86_ACC_FETCH };

/* CPU model profile: behaviour that differs between generations */
enum x86_profile { X86_PROFILE_286, X86_PROFILE_386, X86_PROFILE_P6 };

struct x86_cpuid_cfg {
    char vendor[13];
    uint32_t family, model, stepping;
    uint32_t feat_edx, feat_ecx, ext_edx, ext_ecx;
    uint32_t max_leaf, max_ext_leaf;
    char brand[49];
};

/* lazy-flag state: flags in lf_mask are computed from lf_res/lf_aux */
struct x86_lazy {
    uint64_t res;  /* result truncated to size */
    uint64_t aux;  /* carry/borrow-out vector (bit n-1 CF, bit 3 AF, OF from n-1^n-2) */
    uint32_t mask; /* which arithmetic flags are lazy */
    uint8_t size;  /* bytes */
};

struct x86_stats {
    uint64_t insns, cycles, interrupts, nmis, tlb_hits, tlb_misses, decode_hits, decode_misses;
    uint64_t exceptions[32];
    uint64_t page_walks, io_accesses, mmio_accesses, halts;
};

struct x86_cpu {
    struct sim_initiator ini;
    struct component *comp;
    struct sim *sim;
    struct clock_domain *clock;
    struct addr_space *mem, *io;
    struct intack_iface *intack;
    const char *intack_name;
    uint16_t id;

    /* architectural state */
    uint64_t regs[16];
    uint64_t rip;
    uint32_t eflags;   /* authoritative except bits in lazy.mask */
    struct x86_lazy lazy;
    struct x86_seg seg[X86_SEG_COUNT];
    uint64_t gdt_base, idt_base;
    uint32_t gdt_limit, idt_limit;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t dr[8];
    uint64_t efer, star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t apic_base, misc_enable, pat, tsc_offset, cr8, tsc_aux;
    struct lapic_iface *lapic; /* the local APIC (`apic:`), or NULL: no APIC */
    uint64_t mtrr_var[16];   /* PHYSBASE0, PHYSMASK0, ... PHYSMASK7 */
    uint64_t mtrr_fixed[11]; /* 0x250, 0x258, 0x259, 0x268-0x26F */
    uint64_t mtrr_def_type;
    /* machine-check architecture (x86_core.c): global status and the
     * banks' CTL, STATUS, ADDR, MISC; nothing is ever logged */
    uint64_t mcg_status;
    uint64_t mca_bank[X86_MCA_BANKS][4];
    uint32_t mxcsr;
    uint8_t xmm[16][16]; /* SSE register file (instructions later) */
    struct x87 fpu;
    int cpl;
    enum x86_profile profile;
    bool i8086;        /* profile 8086: the 286 profile with the 8086's differences (x86_8086.c) */
    struct x86_cpuid_cfg cpuid;

    /* derived mode */
    bool pe, vm86, long64, code32, stack32, paging;
    bool lma;          /* IA-32e mode active: long64 or compatibility mode */
    /* fetch key, derived with the mode (x86_update_mode) so the decode
     * cache's hit test reads no mode bits: the linear address of RIP is
     * (fetch_base + rip) & fetch_lin_mask, RIP wraps at ip_mask, an
     * instruction must end at or below fetch_limit, and fetch_mode is
     * what a decode-cache entry was decoded for */
    uint64_t fetch_base, fetch_lin_mask, ip_mask, fetch_limit;
    uint32_t fetch_mode;
    /* bumped by everything that may change what a linear address fetches
     * (TLB fills and flushes, code-page writes, mode and CS changes, decode
     * cache flushes): a decode-cache entry checked in full under the
     * current stamp needs no second check (x86_fetch_hit) */
    uint64_t fetch_stamp;
    uint64_t a20_mask;

    /* TLB: [0] supervisor, [1] user */
    struct x86_tlb_entry tlb[2][X86_TLB_SIZE];
    struct x86_tlb_entry *tlb_cur;
    bool tlb_has_large;
    /* the slots (user * X86_TLB_SIZE + index) filled since they were last
     * flushed, each once: flushes and scans visit only these */
    uint16_t tlb_used[2 * X86_TLB_SIZE];
    unsigned tlb_used_count;
    bool tlb_ready;    /* every slot cleared once (the first flush) */

    /* current instruction: `cur` points at `in` or at a decode-cache slot */
    struct x86_insn in;
    struct x86_insn *cur;

    /* decoded-instruction cache: direct-mapped by linear address, checked
     * against the physical page's write generation */
    struct x86_dcache_entry *dcache;
    uint32_t *page_gen;     /* per physical page below 4 GiB */
    uint8_t *code_page;     /* bitmap: page holds cached decodes */

    uint64_t insn_rip, insn_rsp;
    uint64_t next_rip;
    bool string_restart;   /* a REP string instruction stopped early */

    /* exceptions */
    jmp_buf fault_env;
    bool fault_env_valid;
    int fault_vec;
    uint32_t fault_err;
    bool fault_has_err;
    int delivering;        /* vector whose delivery is in progress, or -1 */
    int last_vector;       /* for x86_cpu_step */
    bool shutdown;

    /* interrupts and halt */
    int intr_level, nmi_level, reset_level;
    bool reset_pending;
    bool nmi_pending, nmi_blocked;
    bool attention;        /* check interrupts/traps before next insn */
    bool irq_shadow;       /* STI / MOV SS shadow for one instruction */
    bool halted;
    bool a20_wired;
    int a20_level;
    int ignne_level;
    struct signal *ferr;

    /* time */
    uint64_t cycles;       /* clock cycles since power-on (TSC base) */
    uint64_t cycle_limit;  /* run until cycles reaches this */
    sim_time_t time_origin;
    uint8_t cycle_table[512];

    /* debug */
    FILE *trace;
    FILE *trace_owned;
    struct insn_trace_iface trace_iface;
    const struct x86_timing_hooks *hooks;
    struct x86_timing_hooks hooks_copy;
    struct x86_timing *timing; /* timing layer (timing.h) */
    bool slow_loop;        /* trace, hooks or TF: per-instruction checks */
    uint64_t ud_logged[8]; /* opcode bitmap: log each undefined opcode once */
    uint32_t msr_logged[32]; /* MSRs whose #GP was logged (small hash set) */

    /* boot-phase markers (optional params): first instruction at an
     * address, first 64-bit instruction, first CPL 3 instruction */
#define X86_ADDR_MARKERS 8
    uint64_t marker_addr[X86_ADDR_MARKERS];
    const char *marker_addr_name[X86_ADDR_MARKERS];
    unsigned marker_addr_count, marker_addr_left;
    const char *marker_long_name, *marker_user_name;
    bool marker_addr_done[X86_ADDR_MARKERS], marker_long_done, marker_user_done;
    bool markers_pending;

    struct x86_stats stats;
};

/* --- faults (x86_core.c) ------------------------------------------------ */
_Noreturn void x86_fault(struct x86_cpu *cpu, int vec, uint32_t err, bool has_err);
static inline _Noreturn void x86_gp(struct x86_cpu *cpu, uint32_t err)
{
    x86_fault(cpu, X86_EXC_GP, err, true);
}
static inline _Noreturn void x86_ud(struct x86_cpu *cpu)
{
    x86_fault(cpu, X86_EXC_UD, 0, false);
}
void x86_log_undefined(struct x86_cpu *cpu);
_Noreturn void x86_undefined(struct x86_cpu *cpu); /* logs once, then #UD */

/* --- core helpers (x86_core.c) -------------------------------------------- */
uint64_t x86_alu(struct x86_cpu *cpu, unsigned op, uint64_t a, uint64_t b, unsigned size);
uint64_t x86_shift(struct x86_cpu *cpu, unsigned op, uint64_t v, unsigned count, unsigned size);
void x86_push(struct x86_cpu *cpu, unsigned size, uint64_t v);
uint64_t x86_pop(struct x86_cpu *cpu, unsigned size);
uint64_t x86_stack_peek(struct x86_cpu *cpu, unsigned offset, unsigned size);
void x86_jump_near(struct x86_cpu *cpu, uint64_t target, unsigned opsize);
void x86_step_insn(struct x86_cpu *cpu);
void x86_run_insns(struct x86_cpu *cpu); /* fast loop until the run loop is needed */
void x86_insn_observed(struct x86_cpu *cpu); /* trace and decode hook */
void x86_check_markers(struct x86_cpu *cpu);  /* boot-phase markers (x86_cpu.c) */

/* --- flags (x86_core.c) ------------------------------------------------- */
uint32_t x86_get_flags(struct x86_cpu *cpu);
/* Writes EFLAGS under `mask` (bits outside keep their value). */
void x86_set_flags(struct x86_cpu *cpu, uint32_t value, uint32_t mask);

/* --- memory (x86_mmu.c) -------------------------------------------------- */
void x86_tlb_flush(struct x86_cpu *cpu, bool include_global);
void x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t lin);
void x86_update_mode(struct x86_cpu *cpu);
/* Translates lin for an access by privilege `user`; on failure raises #PF
 * (if `raise`) or returns false with *pf_err set. */
bool x86_translate(struct x86_cpu *cpu, uint64_t lin, enum x86_access acc, bool user,
                   bool raise, uint64_t *phys, struct x86_tlb_entry **entry);
uint64_t x86_read_lin_slow(struct x86_cpu *cpu, uint64_t lin, unsigned size,
                           enum x86_access acc, bool user);
void x86_write_lin_slow(struct x86_cpu *cpu, uint64_t lin, unsigned size, uint64_t v, bool user);
/* Non-raising access for the x87 callbacks: returns false on fault (recorded). */
bool x86_try_read_lin(struct x86_cpu *cpu, uint64_t lin, void *buf, unsigned len, bool user);
bool x86_try_write_lin(struct x86_cpu *cpu, uint64_t lin, const void *buf, unsigned len, bool user);
uint64_t x86_phys_read(struct x86_cpu *cpu, uint64_t phys, unsigned size, enum bus_kind kind);
void x86_phys_write(struct x86_cpu *cpu, uint64_t phys, unsigned size, uint64_t v,
                    enum bus_kind kind);
void x86_sync(struct x86_cpu *cpu);
void x86_after_device_access(struct x86_cpu *cpu);
/* Decoded-code coherence: a write hit page `pg` (physical page number). */
void x86_code_page_written(struct x86_cpu *cpu, uint64_t pg);
void x86_mark_code_page(struct x86_cpu *cpu, uint64_t pg);
void x86_dcache_flush(struct x86_cpu *cpu);

/* --- segments and protection (x86_prot.c) -------------------------------- */
void x86_seg_derive(struct x86_seg *s, bool pe, bool long64);
void x86_load_seg_real(struct x86_cpu *cpu, int seg, uint16_t sel);
/* Loads a data/stack segment register with protected-mode checks. */
void x86_load_seg(struct x86_cpu *cpu, int seg, uint16_t sel);
void x86_far_jump(struct x86_cpu *cpu, uint16_t sel, uint64_t off, bool is_call,
                  unsigned opsize);
void x86_far_return(struct x86_cpu *cpu, unsigned opsize, uint16_t pop_bytes);
void x86_iret(struct x86_cpu *cpu, unsigned opsize);
/* Delivers an interrupt/exception. `soft`: INT n/INT3/INTO (DPL check);
 * next_rip is the return address for traps and software interrupts. */
void x86_deliver(struct x86_cpu *cpu, int vec, bool soft, bool has_err, uint32_t err,
                 uint64_t ret_rip);
void x86_lldt(struct x86_cpu *cpu, uint16_t sel);
void x86_ltr(struct x86_cpu *cpu, uint16_t sel);
bool x86_io_allowed(struct x86_cpu *cpu, uint16_t port, unsigned size);
/* LAR/LSL/VERR/VERW: returns false if the selector does not qualify */
bool x86_lar_lsl(struct x86_cpu *cpu, uint16_t sel, bool lsl, uint32_t *out);
bool x86_verify(struct x86_cpu *cpu, uint16_t sel, bool write);
void x86_set_cr0(struct x86_cpu *cpu, uint64_t v);
void x86_set_cr4(struct x86_cpu *cpu, uint64_t v);
void x86_set_cr3(struct x86_cpu *cpu, uint64_t v);

/* raw 8-byte descriptor fields */
static inline unsigned x86_raw_dpl(uint64_t raw) { return (unsigned)(raw >> 45) & 3; }
static inline unsigned x86_raw_type(uint64_t raw) { return (unsigned)(raw >> 40) & 0xf; }
static inline bool x86_raw_s(uint64_t raw) { return (raw >> 44) & 1; }
static inline bool x86_raw_p(uint64_t raw) { return (raw >> 47) & 1; }
static inline bool x86_raw_code(uint64_t raw) { return x86_raw_s(raw) && (x86_raw_type(raw) & 8); }
static inline bool x86_raw_long(uint64_t raw) { return (raw >> 53) & 1; }

void x86_seg_from_desc(struct x86_seg *s, uint16_t sel, uint64_t raw);
void x86_commit_seg(struct x86_cpu *cpu, int seg, const struct x86_seg *s);
/* Reads the 8-byte descriptor for sel; false if outside its table. */
bool x86_desc_read(struct x86_cpu *cpu, uint16_t sel, uint64_t *raw, uint64_t *addr);
void x86_desc_set_accessed(struct x86_cpu *cpu, uint64_t addr, uint64_t raw);
/* Loads CS from a checked code descriptor with the given CPL. */
void x86_load_cs(struct x86_cpu *cpu, uint16_t sel, uint64_t raw, uint64_t addr, int cpl);
void x86_null_inaccessible_segs(struct x86_cpu *cpu);

/* --- SIMD unit (x86_sse.c) ----------------------------------------------- */
/* 0F opcode (low byte) executed by the SIMD unit: 10-17, 28-2F, 50-7F,
 * C2-C6, D0-FF (a bitmap: this is asked for every 0F instruction) */
static inline bool x86_sse_owns(unsigned op)
{
    static const uint64_t owns[4] = { 0x0000ff0000ff0000ull, 0xffffffffffff0000ull, 0,
                                      0xffffffffffff007cull };
    op &= 0xff;
    return (owns[op >> 6] >> (op & 63)) & 1;
}
void x86_sse_exec(struct x86_cpu *cpu, struct x86_insn *in);

/* --- long mode (x86_long.c) ---------------------------------------------- */
static inline bool x86_canonical(uint64_t a)
{
    return (uint64_t)(((int64_t)a << 16) >> 16) == a;
}
void x86_deliver_long(struct x86_cpu *cpu, int vec, bool soft, bool has_err, uint32_t err,
                      uint64_t ret_rip);
void x86_iret_long(struct x86_cpu *cpu, unsigned opsize);
void x86_syscall(struct x86_cpu *cpu);
void x86_sysret(struct x86_cpu *cpu, unsigned opsize);
void x86_sysenter(struct x86_cpu *cpu);
void x86_sysexit(struct x86_cpu *cpu, unsigned opsize);
void x86_swapgs(struct x86_cpu *cpu);
/* EFER write; false if it must #GP */
bool x86_set_efer(struct x86_cpu *cpu, uint64_t v);

/* --- disassembler (x86_disasm.c) ----------------------------------------- */
void x86_disasm_insn(const struct x86_insn *in, uint64_t ip, char *buf, size_t len);

/* --- decoder (x86_decode.c) -------------------------------------------- */
/* Fetch callback: returns the next byte of the instruction. */
typedef int (*x86_fetch_fn)(void *ctx, unsigned index);
/* Decodes into `in`; returns 0, or the exception vector (#UD for bad
 * encodings, #GP for >15 bytes) and -2 when fetch failed. `bits` 16/32/64. */
int x86_decode(struct x86_insn *in, int bits, x86_fetch_fn fetch, void *ctx);
/* Same, with the first `avail` bytes already at buf (fast path). */
int x86_decode_buf(struct x86_insn *in, int bits, const uint8_t *buf, unsigned avail,
                   x86_fetch_fn more, void *ctx);

/* --- 8086 profile (x86_8086.c) ------------------------------------------ */
/* Decoder of the 8086's opcode map (aliases 60-6F, C0/C1, C8/C9, POP CS, no #UD). */
int x86_8086_decode(struct x86_insn *in, const uint8_t *buf, unsigned avail, x86_fetch_fn more,
                    void *ctx);
/* Executes the instructions whose 8086 behaviour differs; false: the core's. */
bool x86_8086_exec(struct x86_cpu *cpu, struct x86_insn *in);
/* A word at offset FFFF: two byte accesses, the second at offset 0. */
uint64_t x86_8086_read_wrap(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size);
void x86_8086_write_wrap(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size, uint64_t v);

/* --- fast memory access --------------------------------------------------- */

static inline void x86_seg_fault(struct x86_cpu *cpu, int seg)
{
    /* the 286 reports every real-mode segment overrun as exception 13 */
    bool ss = seg == X86_SEG_SS && !(cpu->profile == X86_PROFILE_286 && !cpu->pe);
    x86_fault(cpu, ss ? X86_EXC_SS : X86_EXC_GP, 0, true);
}

/* Linear address of seg:off for an access of `size` bytes, with the
 * segment's limit and type checks. */
static inline uint64_t x86_lin(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
                               bool write)
{
    const struct x86_seg *s = &cpu->seg[seg];
    if (X86_UNLIKELY(cpu->long64))
        return (seg >= X86_SEG_FS ? s->base : 0) + off;
    if (X86_UNLIKELY(off < s->lo || off + size - 1 > s->hi || !(write ? s->can_write : s->can_read)))
        x86_seg_fault(cpu, seg);
    return (s->base + off) & 0xffffffffu;
}

static inline bool x86_user(const struct x86_cpu *cpu)
{
    return cpu->cpl == 3;
}

static inline uint64_t x86_load_host(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void x86_store_host(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *p = (uint8_t)v; break;
    case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); break; }
    case 4: { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static inline uint64_t x86_read_lin(struct x86_cpu *cpu, uint64_t lin, unsigned size)
{
    struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
    if (X86_LIKELY(e->tag_r == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000u - size)) {
        uint64_t v = x86_load_host(e->host + (lin & 0xfff), size);
        if (X86_UNLIKELY(cpu->hooks != NULL) && cpu->hooks->mem)
            cpu->hooks->mem(cpu->hooks->ctx, lin, size, false);
        return v;
    }
    return x86_read_lin_slow(cpu, lin, size, X86_ACC_READ, x86_user(cpu));
}

static inline void x86_write_lin(struct x86_cpu *cpu, uint64_t lin, unsigned size, uint64_t v)
{
    struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
    if (X86_LIKELY(e->tag_w == (lin & ~0xfffull) && (lin & 0xfff) <= 0x1000u - size)) {
        x86_store_host(e->host + (lin & 0xfff), size, v);
        if (X86_UNLIKELY(cpu->hooks != NULL) && cpu->hooks->mem)
            cpu->hooks->mem(cpu->hooks->ctx, lin, size, true);
        return;
    }
    x86_write_lin_slow(cpu, lin, size, v, x86_user(cpu));
}

static inline uint64_t x86_read(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size)
{
    if (X86_UNLIKELY(cpu->i8086) && off + size - 1 > 0xffff)
        return x86_8086_read_wrap(cpu, seg, off, size);
    return x86_read_lin(cpu, x86_lin(cpu, seg, off, size, false), size);
}

static inline void x86_write(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size, uint64_t v)
{
    if (X86_UNLIKELY(cpu->i8086) && off + size - 1 > 0xffff) {
        x86_8086_write_wrap(cpu, seg, off, size, v);
        return;
    }
    x86_write_lin(cpu, x86_lin(cpu, seg, off, size, true), size, v);
}

/* Supervisor accesses to system structures (GDT, IDT, TSS). */
static inline uint64_t x86_read_sys(struct x86_cpu *cpu, uint64_t lin, unsigned size)
{
    return x86_read_lin_slow(cpu, lin, size, X86_ACC_READ, false);
}
static inline void x86_write_sys(struct x86_cpu *cpu, uint64_t lin, unsigned size, uint64_t v)
{
    x86_write_lin_slow(cpu, lin, size, v, false);
}

/* --- registers ------------------------------------------------------------ */

static inline uint64_t x86_size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t x86_reg(const struct x86_cpu *cpu, int r, unsigned size, bool rex)
{
    if (size == 1) {
        if (r >= 4 && r < 8 && !rex)
            return (cpu->regs[r - 4] >> 8) & 0xff;
        return cpu->regs[r] & 0xff;
    }
    return cpu->regs[r] & x86_size_mask(size);
}

static inline void x86_set_reg(struct x86_cpu *cpu, int r, unsigned size, bool rex, uint64_t v)
{
    switch (size) {
    case 1:
        if (r >= 4 && r < 8 && !rex)
            cpu->regs[r - 4] = (cpu->regs[r - 4] & ~0xff00ull) | ((v & 0xff) << 8);
        else
            cpu->regs[r] = (cpu->regs[r] & ~0xffull) | (v & 0xff);
        break;
    case 2: cpu->regs[r] = (cpu->regs[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: cpu->regs[r] = (uint32_t)v; break;
    default: cpu->regs[r] = v; break;
    }
}

/* stack pointer in the current stack size */
static inline uint64_t x86_sp_mask(const struct x86_cpu *cpu)
{
    return cpu->long64 ? ~0ull : cpu->stack32 ? 0xffffffffull : 0xffffull;
}

#endif
