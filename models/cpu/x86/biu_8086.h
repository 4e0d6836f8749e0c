/* biu_8086.h: the Intel 8086 bus interface unit and execution-unit timing,
 * cycle by cycle: 6-byte prefetch queue filled by word fetches, T1-T4 bus
 * cycles with wait states, the queue status pins QS0/QS1, fed by the
 * functional core's events (timing.h). Intel iAPX 86/88 User's Manual
 * (1981) ch. 2 and 4; 8086 datasheet (231455) figures 5-9. */
#ifndef CW_BIU_8086_H
#define CW_BIU_8086_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct x86_cpu;
struct x86_insn;
struct x86_timing_table;
struct biu8086;

/* T-states, bus status (S2-S0) and queue status as the 8086 shows them
 * (the numbering of the SingleStepTests MOO files). */
enum biu8086_tstate { B86_TI, B86_T1, B86_T2, B86_T3, B86_T4, B86_TW };
enum biu8086_status { B86_INTA, B86_IOR, B86_IOW, B86_MEMR, B86_MEMW, B86_HALT, B86_CODE,
                      B86_PASV };
enum biu8086_qs { B86_QS_NONE, B86_QS_FIRST, B86_QS_FLUSH, B86_QS_SUBSEQUENT };

/* One clock as seen on the pins. */
struct biu8086_cycle {
    uint32_t addr;     /* address latched at T1 (ALE cycles) */
    uint16_t data;     /* data on the bus in T3 (reads and writes) */
    uint8_t ale;       /* 1 in T1 */
    uint8_t tstate;    /* enum biu8086_tstate */
    uint8_t status;    /* enum biu8086_status, valid in T1 and T2, else PASV */
    uint8_t qs;        /* enum biu8086_qs */
    uint8_t qbyte;     /* byte read from the queue when qs is FIRST or SUBSEQUENT */
    uint8_t bhe;       /* BHE# low (odd byte or word transfer) */
};

struct biu8086 *biu8086_create(struct x86_cpu *cpu, const struct x86_timing_table *tab);
void biu8086_destroy(struct biu8086 *b);
/* Counters the clocks are added to: EU working, EU waiting for a queue
 * byte, EU waiting for its bus cycle. */
void biu8086_set_owners(struct biu8086 *b, uint64_t *execute, uint64_t *fetch_stall,
                        uint64_t *data_stall);
/* Empties the queue and idles the bus at core cycle `now`. */
void biu8086_reset(struct biu8086 *b, uint64_t now);
/* Loads the queue with `n` bytes that were fetched from linear `lin` on
 * (the state at the start of a SingleStepTests case); the next fetch is at
 * lin + n. */
void biu8086_set_queue(struct biu8086 *b, uint32_t lin, const uint8_t *bytes, unsigned n);
/* Records every clock into buf (up to cap) until set again; NULL stops. */
void biu8086_record(struct biu8086 *b, struct biu8086_cycle *buf, size_t cap);
size_t biu8086_recorded(const struct biu8086 *b);

/* Clock positions of an instruction's EU program outside the ALU and
 * effective-address microcode that biu_8086.c spells out: clocks before the
 * first immediate byte, before the first bus request, between requests,
 * after the last one's T4, and for a taken transfer before and after the
 * queue flush. One entry per opcode and form (register or memory operand;
 * group opcodes per ModRM reg field); see biu8086_param_key. */
struct biu8086_params {
    int8_t imm_wait, pre, between, post, jump, jpost;
};
#define BIU8086_NKEYS 1024
int biu8086_param_key(unsigned op, unsigned reg, bool mem);
void biu8086_get_params(const struct biu8086 *b, int key, struct biu8086_params *out);
void biu8086_set_params(struct biu8086 *b, int key, const struct biu8086_params *p);

/* timing hooks (timing_pipeline.c forwards the core's events) */
void biu8086_decode(struct biu8086 *b, const struct x86_insn *in);
void biu8086_mem(struct biu8086 *b, uint64_t lin, unsigned size, bool write);
void biu8086_io(struct biu8086 *b, uint16_t port, unsigned size, bool write, uint32_t value);
void biu8086_exception(struct biu8086 *b, int vector);
void biu8086_retire(struct biu8086 *b);
/* Clocks after the retired instruction until the EU can take the next
 * opcode byte (hardware captures end just before that read). */
void biu8086_until_next(struct biu8086 *b);

#endif
