/* x86.h: the public face of the x86 core ("x86-cpu" component): the
 * instruction trace, the timing-model hook points and test access to state.
 * Intel SDM vols. 1-3; the implementation lives in x86_*.c beside this file. */
#ifndef CW_X86_H
#define CW_X86_H

#include <stdio.h>

#include "kernel/component.h"

struct x86_cpu;
struct x86_insn;

/* Events a timing model (models/cpu/x86/timing_*.c) hooks into. Any member
 * may be NULL. The functional core calls them only while hooks are set.
 * `mem` comes after each data access (not instruction fetch) has been done,
 * so a hook may peek at the value; `retire` after each instruction that
 * completed (one that faulted reports `exception` instead). */
struct x86_timing_hooks {
    void (*fetch)(void *ctx, uint64_t lin, unsigned len);
    void (*decode)(void *ctx, const struct x86_insn *in);
    void (*mem)(void *ctx, uint64_t lin, unsigned size, bool write);
    /* after each I/O port access, with the value read or written */
    void (*io)(void *ctx, uint16_t port, unsigned size, bool write, uint32_t value);
    void (*branch)(void *ctx, uint64_t from, uint64_t to);
    void (*exception)(void *ctx, int vector);
    void (*retire)(void *ctx);
    void *ctx;
};

/* The core of an "x86-cpu" component, or NULL if c is not one. */
struct x86_cpu *x86_cpu_of(struct component *c);

/* Per-instruction trace (address, bytes, Intel-syntax disassembly and
 * registers) to `out`; NULL turns it off. The caller owns the FILE. */
void x86_cpu_set_insn_trace(struct x86_cpu *cpu, FILE *out);

void x86_cpu_set_timing_hooks(struct x86_cpu *cpu, const struct x86_timing_hooks *hooks);

/* Register snapshot for tests and debuggers. Segment registers are loaded
 * the way the current mode loads them (real mode: base = selector * 16). */
enum x86_reg_id {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
    X86_RIP, X86_RFLAGS,
    X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS,
    X86_CR0, X86_CR2, X86_CR3, X86_CR4,
    X86_REG_COUNT
};
uint64_t x86_cpu_get_reg(struct x86_cpu *cpu, enum x86_reg_id r);
void x86_cpu_set_reg(struct x86_cpu *cpu, enum x86_reg_id r, uint64_t value);

/* Executes exactly one instruction (or delivers one pending event) outside
 * the run loop; returns the exception vector raised by it, or -1. Tests use
 * it; it does not advance global time. */
int x86_cpu_step(struct x86_cpu *cpu);

/* Disassembles the instruction at bytes[0..len) (Intel syntax) for a CPU
 * in the given default size (16, 32 or 64). Returns the instruction length,
 * or 0 if it could not be decoded (buf then says "(bad)"). */
int x86_disasm_bytes(const uint8_t *bytes, unsigned len, int bits, uint64_t ip, char *buf,
                     size_t buflen);

#endif
