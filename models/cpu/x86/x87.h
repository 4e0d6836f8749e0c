/* x87.h: the contract between the x86 core and the x87 floating-point unit.
 * Intel SDM vol. 1 ch. 8 (x87 FPU) and vol. 2 (instruction reference).
 *
 * The x87 unit is a separate module with exact software 80-bit extended
 * arithmetic (no host long double). The core decodes the ESC opcodes
 * (D8-DF), handles CR0.EM/TS (#NM) and computes the memory operand's
 * address; the unit does everything else through x87_execute. */
#ifndef CW_X87_H
#define CW_X87_H

#include <stdbool.h>
#include <stdint.h>

/* An 80-bit extended value: explicit-integer-bit mantissa, sign and
 * 15-bit biased exponent in sign_exp (bit 15 = sign). */
struct f80 {
    uint64_t mant;
    uint16_t sign_exp;
};

struct x87 {
    struct f80 r[8];  /* physical registers R0..R7; ST(i) = r[(TOP + i) & 7] */
    uint16_t cw;      /* control word */
    uint16_t sw;      /* status word, TOP in bits 13:11 */
    uint16_t tw;      /* full tag word, 2 bits per physical register */
    uint16_t fop;     /* last non-control opcode (11 bits) */
    uint16_t fcs, fds;
    uint64_t fip, fdp;
};

/* Access to the instruction's memory operand. offset is from the operand's
 * effective address (FNSAVE/FRSTOR/FLDENV/FSTENV touch up to 108 bytes).
 * Return 0, or -1 if the access faulted: the core has recorded the fault and
 * delivers it when x87_execute returns X87_FAULT; the unit must leave its
 * state as it was before the instruction (check all reads/writes before
 * committing, or write in an order that faults first). */
struct x87_mem {
    int (*read)(void *ctx, uint32_t offset, void *buf, unsigned len);
    int (*write)(void *ctx, uint32_t offset, const void *buf, unsigned len);
    void *ctx;
};

struct x87_insn {
    uint8_t opcode;     /* 0xD8..0xDF */
    uint8_t modrm;
    bool has_mem;       /* modrm.mod != 3 */
    bool op32;          /* operand size 32 (FNSAVE/FSTENV layout) */
    bool real_mode;     /* real or virtual-8086: real-mode environment layout */
    uint16_t cs;        /* for FIP/FCS bookkeeping */
    uint64_t ip;        /* address of the instruction */
    uint16_t ds;        /* segment of the memory operand */
    uint64_t ea;        /* offset of the memory operand */
    uint32_t eflags;    /* the core's EFLAGS (CF, PF, ZF) for FCMOVcc */
};

enum x87_status {
    X87_OK = 0,
    X87_FAULT,      /* a memory access faulted; core delivers its fault */
    X87_UD,         /* undefined encoding */
    X87_MF,         /* an unmasked exception is pending before this
                       instruction (core raises #MF if CR0.NE, else drives
                       FERR# and the instruction waits: see x87_ferr) */
};

struct x87_result {
    bool write_ax;      /* FNSTSW AX */
    uint16_t ax;
    bool write_flags;   /* FCOMI/FUCOMI/FCOMIP/FUCOMIP: ZF, PF, CF */
    bool zf, pf, cf;
};

void x87_init(struct x87 *f); /* FNINIT state */
void x87_reset(struct x87 *f); /* power-on/RESET state (SDM table 9-1) */

enum x87_status x87_execute(struct x87 *f, const struct x87_insn *in, const struct x87_mem *mem,
                            struct x87_result *res);

/* True when SW.ES is set (an unmasked exception is pending): the core
 * checks it for FWAIT and waiting x87 instructions. */
bool x87_exception_pending(const struct x87 *f);

/* FXSAVE/FXRSTOR: the x87 part of the 512-byte image (bytes 0-31 header with
 * abridged tag, 32-159 registers). The core fills MXCSR and XMM. `form64`
 * selects the 64-bit FIP/FDP layout (REX.W). */
void x87_fxsave(const struct x87 *f, uint8_t image[512], bool form64);
void x87_fxrstor(struct x87 *f, const uint8_t image[512], bool form64);

/* Disassembly of an ESC instruction's mnemonic and operands (for traces). */
int x87_disasm(const struct x87_insn *in, char *buf, unsigned len);

#endif
