/* timing_pc.c: the "pc" timing table: an in-order model of a Core 2 class
 * x86-64 CPU for the pipeline timing layer. Sources: Intel 64 and IA-32
 * Architectures Optimization Reference Manual (Intel Core microarchitecture
 * chapter and appendix C latency tables) and Agner Fog's "Instruction
 * tables" (Merom/Wolfdale sections); docs/timing-pc.md lists each value,
 * its source, and which ones are estimates.
 *
 * The pipeline model is in order and has no caches: bus_cycles is the L1
 * hit latency, so a run without `pipeline.dram` times every access as an
 * L1 hit, and a run with it adds the DRAM's latency to every access (a
 * machine without caches). exec[] is the latency of the instruction's
 * execution once its operands are there, without its memory accesses. */
#include "models/cpu/x86/timing_pc.h"

#include <string.h>

struct x86_pc_exec {
    uint16_t lo, hi; /* opcode range, inclusive (0x100+: 0F xx) */
    uint8_t cycles;
};

static const struct x86_pc_exec x86_pc_exec_table[] = {
    /* one-byte opcodes */
    { 0x27, 0x27, 3 }, { 0x2f, 0x2f, 3 }, { 0x37, 0x37, 3 }, { 0x3f, 0x3f, 3 }, /* DAA.. */
    { 0x60, 0x61, 8 },      /* PUSHA/POPA beyond their stack accesses */
    { 0x62, 0x62, 10 },     /* BOUND */
    { 0x69, 0x69, 3 }, { 0x6b, 0x6b, 3 }, /* IMUL r,r/m,imm */
    { 0x6c, 0x6f, 30 },     /* INS/OUTS: I/O is serialising */
    { 0x86, 0x87, 2 },      /* XCHG (register form; the locked memory form is slower) */
    { 0x8e, 0x8e, 8 },      /* MOV Sreg: descriptor load */
    { 0x9a, 0x9a, 25 },     /* CALL far */
    { 0x9c, 0x9c, 2 }, { 0x9d, 0x9d, 10 }, /* PUSHF, POPF */
    { 0xa4, 0xa7, 2 }, { 0xaa, 0xaf, 2 },  /* string instructions, per iteration */
    { 0xc2, 0xc3, 2 },      /* RET near */
    { 0xc4, 0xc5, 8 },      /* LES/LDS */
    { 0xc8, 0xc8, 12 }, { 0xc9, 0xc9, 3 }, /* ENTER, LEAVE */
    { 0xca, 0xcb, 25 },     /* RET far */
    { 0xcc, 0xce, 40 }, { 0xcf, 0xcf, 40 }, /* INT n, IRET */
    { 0xd4, 0xd4, 17 }, { 0xd5, 0xd5, 3 },  /* AAM, AAD */
    { 0xd7, 0xd7, 2 },      /* XLAT */
    { 0xd8, 0xdf, 3 },      /* x87: FADD-class latency */
    { 0xe0, 0xe2, 5 },      /* LOOPcc/LOOP */
    { 0xe4, 0xe7, 30 }, { 0xec, 0xef, 30 }, /* IN/OUT */
    { 0xe8, 0xe8, 2 },      /* CALL near */
    { 0xea, 0xea, 20 },     /* JMP far */
    { 0xf4, 0xf4, 1 },      /* HLT (the halt itself is idle time) */
    { 0xf6, 0xf7, 3 },      /* group 3: MUL/IMUL latency (DIV is longer: see the doc) */
    { 0xfa, 0xfb, 4 },      /* CLI/STI */
    /* two-byte opcodes (0F xx) */
    { 0x100, 0x101, 15 },   /* system tables: LGDT/LIDT/LLDT/LTR, INVLPG */
    { 0x102, 0x103, 15 },   /* LAR/LSL */
    { 0x105, 0x105, 40 }, { 0x107, 0x107, 40 }, /* SYSCALL, SYSRET */
    { 0x106, 0x106, 10 },   /* CLTS */
    { 0x108, 0x109, 100 },  /* INVD/WBINVD */
    { 0x120, 0x123, 15 },   /* MOV to/from CR/DR: serialising */
    { 0x130, 0x130, 100 }, { 0x132, 0x132, 50 }, /* WRMSR, RDMSR */
    { 0x131, 0x131, 64 },   /* RDTSC */
    { 0x134, 0x135, 40 },   /* SYSENTER/SYSEXIT */
    { 0x140, 0x14f, 2 },    /* CMOVcc */
    { 0x1a2, 0x1a2, 100 },  /* CPUID: serialising */
    { 0x1a4, 0x1a5, 2 }, { 0x1ac, 0x1ad, 2 }, /* SHLD/SHRD */
    { 0x1af, 0x1af, 3 },    /* IMUL r,r/m */
    { 0x1b0, 0x1b1, 5 },    /* CMPXCHG */
    { 0x1bc, 0x1bd, 2 },    /* BSF/BSR */
    { 0x1c0, 0x1c1, 2 },    /* XADD */
    { 0x1c7, 0x1c7, 10 },   /* CMPXCHG8B/16B */
};

bool x86_timing_table_pc(struct x86_timing_table *t)
{
    memset(t, 0, sizeof *t);
    *t = (struct x86_timing_table){
        .name = "pc",
        .queue_size = 32,      /* instruction bytes ahead of decode */
        .fetch_width = 16,     /* one aligned 16-byte fetch block per fetch */
        .fetch_align = 16,
        .bus_width = 8,        /* 64-bit load/store port */
        .bus_cycles = 3,       /* L1 hit (load-to-use) */
        .agu_cycles = 0,       /* included in the L1 latency */
        .exception_cycles = 100,
        .walk_cycles = 4,      /* page-miss handler overhead per walk */
        .flush_decode = 2,     /* redirect bubble of a taken transfer */
        .posted_writes = true, /* store buffer */
        .fetch_when_room = false,
    };
    for (unsigned i = 0; i < 512; i++)
        t->exec[i] = 1;
    for (size_t i = 0; i < sizeof x86_pc_exec_table / sizeof x86_pc_exec_table[0]; i++) {
        const struct x86_pc_exec *e = &x86_pc_exec_table[i];
        for (unsigned op = e->lo; op <= e->hi && op < 512; op++)
            t->exec[op] = e->cycles;
    }
    return true;
}
