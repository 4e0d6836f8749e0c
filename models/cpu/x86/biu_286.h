/* biu_286.h: the Intel 80286 bus unit, instruction decoder and execution-unit
 * bus timing, clock by clock: 2-clock bus cycles (plus wait states), a
 * 6-byte prefetch queue refilled a word at a time, a decoder that takes the
 * queue's bytes one per clock, and per-opcode EU programs placing the data
 * cycles, fed by the functional core's events (timing.h). Intel 80286
 * Hardware Reference Manual (1987) ch. 6; 80286 Programmer's Reference
 * Manual appendix B; docs/timing.md "80286 clock counts". */
#ifndef CW_BIU_286_H
#define CW_BIU_286_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/bus.h"

struct x86_cpu;
struct x86_insn;
struct biu286;

/* What the pipeline model provides: the extra clocks (beyond the 2-clock
 * bus cycle) of a code fetch or data cycle starting at core cycle `start`
 * (wait states, DRAM; a fetch also makes its bus transaction), and the
 * bytes at a linear address without side effects (for decoding the next
 * instruction ahead of the core). */
struct biu286_env {
    uint64_t (*fetch)(void *ctx, uint64_t lin, uint64_t start);
    uint64_t (*data)(void *ctx, uint64_t lin, unsigned size, enum bus_kind kind, uint64_t start);
    unsigned (*peek)(void *ctx, uint64_t lin, uint8_t *buf, unsigned n);
    void *ctx;
};

struct biu286 *biu286_create(struct x86_cpu *cpu, const struct biu286_env *env,
                             const uint8_t *exec_table);
void biu286_destroy(struct biu286 *b);
/* Counters the clocks are added to: EU working, waiting for code bytes,
 * refilling after a flush, waiting for data bus cycles. */
void biu286_set_owners(struct biu286 *b, uint64_t *execute, uint64_t *fetch_stall,
                       uint64_t *flush_stall, uint64_t *data_stall, uint64_t *flushes);
/* Empties the queue and idles the bus at core cycle `now`. */
void biu286_reset(struct biu286 *b, uint64_t now);

/* timing hooks (timing_pipeline.c forwards the core's events) */
void biu286_decode(struct biu286 *b, const struct x86_insn *in);
void biu286_mem(struct biu286 *b, uint64_t lin, unsigned size, bool write);
void biu286_io(struct biu286 *b, uint16_t port, unsigned size, bool write);
void biu286_exception(struct biu286 *b, int vector);
void biu286_retire(struct biu286 *b);

#endif
