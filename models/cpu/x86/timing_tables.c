/* timing_tables.c: per-CPU timing tables for the x86 pipeline timing model:
 * queue and bus geometry and execute cycles per opcode. Sources: Intel
 * iAPX 86/88 User's Manual (1981) instruction timings, Intel 80286
 * Programmer's Reference (1987) appendix B clock counts, Intel 386 DX
 * datasheet (1990) section 10, Intel Pentium Pro Family Developer's Manual
 * vol. 2 (1996) for the P6 bus; docs/timing.md lists what each field means.
 *
 * exec[] holds the execution unit's own clocks: the documented count minus
 * the bus cycles the pipeline model charges separately (operand reads and
 * writes, stack pushes and pops) and minus the effective-address clocks
 * (agu_cycles is charged once per memory operand). */
#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/timing_pc.h"

#include <string.h>

struct x86_timing_exec {
    uint16_t lo, hi; /* opcode range, inclusive */
    uint8_t cycles;
};

static void x86_timing_fill(struct x86_timing_table *t, unsigned base,
                            const struct x86_timing_exec *e, size_t n)
{
    for (unsigned i = 0; i < 512; i++)
        t->exec[i] = (uint8_t)base;
    for (size_t i = 0; i < n; i++)
        for (unsigned op = e[i].lo; op <= e[i].hi && op < 512; op++)
            t->exec[op] = e[i].cycles;
}

/* 8086: iAPX 86/88 User's Manual table 2-21, register forms. */
static const struct x86_timing_exec x86_exec_8086[] = {
    { 0x00, 0x3f, 3 },     /* ALU r/m,r and r,r/m; AL/AX,imm 4 */
    { 0x04, 0x05, 4 }, { 0x0c, 0x0d, 4 }, { 0x14, 0x15, 4 }, { 0x1c, 0x1d, 4 },
    { 0x24, 0x25, 4 }, { 0x2c, 0x2d, 4 }, { 0x34, 0x35, 4 }, { 0x3c, 0x3d, 4 },
    { 0x06, 0x06, 6 }, { 0x0e, 0x0e, 6 }, { 0x16, 0x16, 6 }, { 0x1e, 0x1e, 6 },
    { 0x07, 0x07, 4 }, { 0x17, 0x17, 4 }, { 0x1f, 0x1f, 4 },
    { 0x26, 0x26, 2 }, { 0x2e, 0x2e, 2 }, { 0x36, 0x36, 2 }, { 0x3e, 0x3e, 2 },
    { 0x27, 0x27, 4 }, { 0x2f, 0x2f, 4 }, { 0x37, 0x37, 8 }, { 0x3f, 0x3f, 8 },
    { 0x40, 0x4f, 3 }, { 0x50, 0x57, 7 }, { 0x58, 0x5f, 4 },
    { 0x70, 0x7f, 4 },     /* not taken; taken adds the refill */
    { 0x80, 0x83, 4 }, { 0x84, 0x85, 3 }, { 0x86, 0x87, 4 }, { 0x88, 0x8b, 2 },
    { 0x8c, 0x8c, 2 }, { 0x8d, 0x8d, 2 }, { 0x8e, 0x8e, 2 }, { 0x8f, 0x8f, 4 },
    { 0x90, 0x97, 3 }, { 0x98, 0x98, 2 }, { 0x99, 0x99, 5 }, { 0x9a, 0x9a, 20 },
    { 0x9b, 0x9b, 3 }, { 0x9c, 0x9c, 6 }, { 0x9d, 0x9d, 4 }, { 0x9e, 0x9f, 4 },
    { 0xa0, 0xa3, 6 }, { 0xa4, 0xa7, 9 }, { 0xa8, 0xa9, 4 }, { 0xaa, 0xaf, 7 },
    { 0xb0, 0xbf, 4 }, { 0xc2, 0xc3, 12 }, { 0xc4, 0xc5, 8 }, { 0xc6, 0xc7, 4 },
    { 0xca, 0xcb, 18 }, { 0xcc, 0xce, 32 }, { 0xcf, 0xcf, 12 },
    { 0xd0, 0xd1, 2 }, { 0xd2, 0xd3, 8 }, { 0xd4, 0xd4, 83 }, { 0xd5, 0xd5, 60 },
    { 0xd6, 0xd6, 3 }, { 0xd7, 0xd7, 7 }, { 0xd8, 0xdf, 2 },
    { 0xe0, 0xe2, 6 }, { 0xe3, 0xe3, 6 }, { 0xe4, 0xe7, 6 }, { 0xe8, 0xe8, 15 },
    { 0xe9, 0xeb, 11 }, { 0xec, 0xef, 4 }, { 0xf4, 0xf4, 2 }, { 0xf5, 0xf5, 2 },
    { 0xf6, 0xf7, 70 },    /* MUL/DIV dominate the group's average */
    { 0xf8, 0xfd, 2 }, { 0xfe, 0xff, 3 },
};

/* 80286: Programmer's Reference appendix B, real-mode register forms. */
static const struct x86_timing_exec x86_exec_286[] = {
    { 0x00, 0x3f, 2 }, { 0x06, 0x06, 1 }, { 0x0e, 0x0e, 1 }, { 0x16, 0x16, 1 },
    { 0x1e, 0x1e, 1 }, { 0x07, 0x07, 3 }, { 0x17, 0x17, 3 }, { 0x1f, 0x1f, 3 },
    { 0x27, 0x27, 3 }, { 0x2f, 0x2f, 3 }, { 0x37, 0x37, 3 }, { 0x3f, 0x3f, 3 },
    { 0x40, 0x4f, 2 }, { 0x50, 0x57, 1 }, { 0x58, 0x5f, 3 }, { 0x60, 0x60, 1 },
    { 0x61, 0x61, 3 }, { 0x62, 0x62, 9 }, { 0x68, 0x68, 1 }, { 0x69, 0x69, 21 },
    { 0x6a, 0x6a, 1 }, { 0x6b, 0x6b, 21 }, { 0x6c, 0x6f, 3 },
    { 0x70, 0x7f, 3 }, { 0x80, 0x83, 3 }, { 0x84, 0x85, 2 }, { 0x86, 0x87, 3 },
    { 0x88, 0x8b, 2 }, { 0x8c, 0x8c, 2 }, { 0x8d, 0x8d, 3 }, { 0x8e, 0x8e, 2 },
    { 0x8f, 0x8f, 3 }, { 0x90, 0x97, 3 }, { 0x98, 0x99, 2 }, { 0x9a, 0x9a, 9 },
    { 0x9b, 0x9b, 3 }, { 0x9c, 0x9c, 1 }, { 0x9d, 0x9d, 3 }, { 0x9e, 0x9f, 2 },
    { 0xa0, 0xa3, 1 }, { 0xa4, 0xa7, 3 }, { 0xa8, 0xa9, 3 }, { 0xaa, 0xaf, 2 },
    { 0xb0, 0xbf, 2 }, { 0xc0, 0xc1, 5 }, { 0xc2, 0xc3, 7 }, { 0xc4, 0xc5, 3 },
    { 0xc6, 0xc7, 2 }, { 0xc8, 0xc8, 11 }, { 0xc9, 0xc9, 3 }, { 0xca, 0xcb, 11 },
    { 0xcc, 0xce, 17 }, { 0xcf, 0xcf, 11 }, { 0xd0, 0xd1, 2 }, { 0xd2, 0xd3, 5 },
    { 0xd4, 0xd4, 16 }, { 0xd5, 0xd5, 14 }, { 0xd6, 0xd6, 2 }, { 0xd7, 0xd7, 3 },
    { 0xd8, 0xdf, 2 }, { 0xe0, 0xe3, 4 }, { 0xe4, 0xe7, 3 }, { 0xe8, 0xe8, 5 },
    { 0xe9, 0xeb, 5 }, { 0xec, 0xef, 3 }, { 0xf4, 0xf4, 2 }, { 0xf5, 0xf5, 2 },
    { 0xf6, 0xf7, 17 }, { 0xf8, 0xfd, 2 }, { 0xfe, 0xff, 2 },
    { 0x100, 0x1ff, 10 },
};

/* 386 DX datasheet table 10-1, register forms. */
static const struct x86_timing_exec x86_exec_386[] = {
    { 0x00, 0x3f, 2 }, { 0x40, 0x4f, 2 }, { 0x50, 0x57, 1 }, { 0x58, 0x5f, 2 },
    { 0x69, 0x69, 12 }, { 0x6b, 0x6b, 12 }, { 0x70, 0x7f, 3 }, { 0x88, 0x8b, 2 },
    { 0x9a, 0x9a, 17 }, { 0xa4, 0xaf, 4 }, { 0xc2, 0xc3, 6 }, { 0xca, 0xcb, 14 },
    { 0xcc, 0xcf, 30 }, { 0xd0, 0xd3, 3 }, { 0xe8, 0xe8, 3 }, { 0xe9, 0xeb, 3 },
    { 0xe4, 0xe7, 12 }, { 0xec, 0xef, 11 }, { 0xf6, 0xf7, 14 },
    { 0x100, 0x1ff, 6 }, { 0x1af, 0x1af, 12 }, { 0x180, 0x18f, 3 },
};

/* P6: one simple instruction per clock through the in-order model;
 * microcoded instructions (far transfers, string setup, multiply/divide,
 * CPUID, control-register moves) from the Pentium Pro optimisation
 * manual's latency tables. */
static const struct x86_timing_exec x86_exec_p6[] = {
    { 0x9a, 0x9a, 20 }, { 0xca, 0xcb, 20 }, { 0xcc, 0xcf, 30 }, { 0xea, 0xea, 12 },
    { 0x69, 0x69, 4 }, { 0x6b, 0x6b, 4 }, { 0x1af, 0x1af, 4 }, { 0xf6, 0xf7, 12 },
    { 0xe4, 0xe7, 30 }, { 0xec, 0xef, 30 }, { 0x1a2, 0x1a2, 100 }, { 0x130, 0x132, 40 },
    { 0x120, 0x123, 15 }, { 0xa4, 0xaf, 3 }, { 0xd4, 0xd5, 10 },
};

bool x86_timing_table_init(struct x86_timing_table *t, const char *name)
{
    if (!strcmp(name, "pc"))
        return x86_timing_table_pc(t); /* timing_pc.c, docs/timing-pc.md */
    memset(t, 0, sizeof *t);
    if (!strcmp(name, "8086")) {
        *t = (struct x86_timing_table){ .name = "8086", .queue_size = 6, .fetch_width = 2,
                                        .fetch_align = 2, .bus_width = 2, .bus_cycles = 4,
                                        .agu_cycles = 7, .exception_cycles = 30,
                                        .walk_cycles = 0, .posted_writes = false,
                                        .fetch_when_room = true };
        x86_timing_fill(t, 2, x86_exec_8086, sizeof x86_exec_8086 / sizeof x86_exec_8086[0]);
        return true;
    }
    if (!strcmp(name, "286")) {
        *t = (struct x86_timing_table){ .name = "286", .queue_size = 6, .fetch_width = 2,
                                        .fetch_align = 2, .bus_width = 2, .bus_cycles = 2,
                                        .agu_cycles = 2, .exception_cycles = 17,
                                        .flush_decode = 5,
                                        .walk_cycles = 0, .posted_writes = false,
                                        .fetch_when_room = true };
        x86_timing_fill(t, 2, x86_exec_286, sizeof x86_exec_286 / sizeof x86_exec_286[0]);
        return true;
    }
    if (!strcmp(name, "386")) {
        *t = (struct x86_timing_table){ .name = "386", .queue_size = 16, .fetch_width = 4,
                                        .fetch_align = 4, .bus_width = 4, .bus_cycles = 2,
                                        .agu_cycles = 1, .exception_cycles = 30,
                                        .walk_cycles = 4, .posted_writes = true,
                                        .fetch_when_room = true };
        x86_timing_fill(t, 2, x86_exec_386, sizeof x86_exec_386 / sizeof x86_exec_386[0]);
        return true;
    }
    if (!strcmp(name, "p6")) {
        *t = (struct x86_timing_table){ .name = "p6", .queue_size = 32, .fetch_width = 16,
                                        .fetch_align = 16, .bus_width = 8, .bus_cycles = 2,
                                        .agu_cycles = 1, .exception_cycles = 60,
                                        .walk_cycles = 4, .posted_writes = true,
                                        .fetch_when_room = false };
        x86_timing_fill(t, 1, x86_exec_p6, sizeof x86_exec_p6 / sizeof x86_exec_p6[0]);
        return true;
    }
    return false;
}
