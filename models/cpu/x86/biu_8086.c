/* biu_8086.c: the Intel 8086 bus interface unit and execution-unit timing
 * (placeholder while the cycle model is written). */
#include "models/cpu/x86/biu_8086.h"

#include <stdlib.h>

#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86_cpu.h"

struct biu8086 {
    struct x86_cpu *cpu;
};

struct biu8086 *biu8086_create(struct x86_cpu *cpu, const struct x86_timing_table *tab)
{
    struct biu8086 *b = calloc(1, sizeof *b);
    if (b)
        b->cpu = cpu;
    return b;
}
void biu8086_destroy(struct biu8086 *b) { free(b); }
void biu8086_reset(struct biu8086 *b, uint64_t now) {}
void biu8086_set_queue(struct biu8086 *b, uint32_t lin, const uint8_t *bytes, unsigned n) {}
void biu8086_record(struct biu8086 *b, struct biu8086_cycle *buf, size_t cap) {}
size_t biu8086_recorded(const struct biu8086 *b) { return 0; }
void biu8086_decode(struct biu8086 *b, const struct x86_insn *in) {}
void biu8086_mem(struct biu8086 *b, uint64_t lin, unsigned size, bool write) {}
void biu8086_exception(struct biu8086 *b, int vector) {}
void biu8086_retire(struct biu8086 *b) {}
