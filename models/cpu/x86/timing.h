/* timing.h: the x86 core's timing layer: the models that decide how many
 * clock cycles each instruction of the one functional core takes
 * ("functional" table timing, "pipeline" prefetch-queue/bus model), the
 * per-CPU timing tables, and switching between models during a run.
 * Design: ARCHITECTURE.md "The CPU: one ISA, several timing models";
 * docs/timing.md describes the parameters and the statistics. */
#ifndef CW_X86_TIMING_H
#define CW_X86_TIMING_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/component.h"

struct x86_cpu;
struct x86_timing;

enum x86_timing_kind { X86_TIMING_FUNCTIONAL, X86_TIMING_PIPELINE };

/* Per-CPU timing table: the pipeline model's fixed costs (clock cycles). */
struct x86_timing_table {
    const char *name;          /* "8086", "286", "386", "p6" */
    unsigned queue_size;       /* prefetch queue bytes */
    unsigned fetch_width;      /* bytes per fetch (bus width for code) */
    unsigned fetch_align;      /* fetch addresses are multiples of this */
    unsigned bus_width;        /* bytes per data bus cycle */
    unsigned bus_cycles;       /* clocks per bus cycle without wait states */
    unsigned agu_cycles;       /* address generation before a memory operand */
    unsigned exception_cycles; /* interrupt/exception entry beyond its bus cycles */
    unsigned walk_cycles;      /* per page-table walk (beyond DRAM latency) */
    unsigned flush_decode;     /* decode clocks before the first instruction after a flush */
    bool posted_writes;        /* the EU does not wait for a write to finish */
    bool fetch_when_room;      /* prefetch only when a whole fetch fits (8086) */
    uint8_t exec[512];         /* execute cycles per opcode (0x100+: 0F xx) */
};

/* Fills `t` with the table of the named CPU ("8086", "286", "386", "p6");
 * returns false for an unknown name. */
bool x86_timing_table_init(struct x86_timing_table *t, const char *name);

/* Called by the x86-cpu component: reads the parameters `timing`,
 * `pipeline` (map of overrides) and `switch-timing`, registers the
 * statistics and installs the selected model. Returns -1 with err filled. */
int x86_timing_create(struct x86_cpu *cpu, struct component *c, const struct params *p,
                      const char *profile, struct cw_error *err);
/* Resolves component references (the DRAM named by pipeline.dram). */
int x86_timing_realize(struct x86_cpu *cpu, struct cw_error *err);
void x86_timing_destroy(struct x86_cpu *cpu);

/* The timing model of cpu (NULL if the component has none yet). */
struct x86_timing *x86_timing_of(struct x86_cpu *cpu);
enum x86_timing_kind x86_timing_kind(const struct x86_timing *t);
/* Switches the model now (between instructions, or inside one: the new
 * model starts counting at the next instruction). Architectural state is
 * the core's and is not touched. */
void x86_timing_switch(struct x86_timing *t, enum x86_timing_kind kind);
int x86_timing_parse_kind(const char *name, enum x86_timing_kind *out);

/* The exact 8086 bus model behind the pipeline model with the 8086 table
 * (biu_8086.h), or NULL. */
struct biu8086 *x86_timing_biu8086(struct x86_timing *t);

/* Where the pipeline model's cycles went (also registered as statistics). */
struct x86_timing_stats {
    uint64_t execute, fetch_stall, flush_stall, data_stall, walk, exception;
    uint64_t functional;     /* cycles run under the functional model (updated at switches) */
    uint64_t insns;          /* instructions timed by the pipeline model */
    uint64_t fetches, data_cycles, flushes, walks, switches;
};
const struct x86_timing_stats *x86_timing_stats(const struct x86_timing *t);
/* Sum of the pipeline model's cycle owners (execute + stalls + walk + exception). */
uint64_t x86_timing_owned_cycles(const struct x86_timing *t);

#endif
