/* biu_8086.c: the Intel 8086 bus interface unit (BIU) and execution unit
 * (EU) timing, clock by clock: a 6-byte prefetch queue filled by word
 * fetches from even addresses while two or more bytes are free, T1-T4 bus
 * cycles (Tw while READY is low), EU bus requests taking precedence over
 * prefetch, the queue status pins QS0/QS1 (first byte, subsequent byte,
 * flush), fed by the functional core's events: the decoded instruction and
 * the data accesses it made, in order, with their values.
 * Intel iAPX 86/88 User's Manual (1981) ch. 2 (BIU/EU, queue, T-states) and
 * ch. 4 (8086 datasheet: bus timing, QS0/QS1, S0-S2), instruction timings
 * table 2-21; the clock positions inside instructions are calibrated
 * against the hardware captures of SingleStepTests 8086 (docs/timing.md).
 *
 * The core runs an instruction to completion first; at retire this file
 * replays it on the pins: the EU program of the instruction (queue reads,
 * internal clocks, bus requests carrying the core's addresses and data)
 * runs against the BIU until the EU is ready for the next opcode byte. */
#include "models/cpu/x86/biu_8086.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86_cpu.h"

#define B86_QUEUE 6
#define B86_MAX_EV 1024
#define B86_MAX_STEPS 2048

/* --- EU program ---------------------------------------------------------- */

enum b86_step_kind {
    B86_QREAD,    /* take the next instruction byte from the queue (QS=S) */
    B86_FIRST,    /* take an opcode or prefix byte (QS=F) */
    B86_WAIT,     /* n internal clocks */
    B86_BUS,      /* bus request for data event `ev`; waits until its T4 (reads: T3 done) */
    B86_FLUSH,    /* empty the queue (QS=E), prefetch from the new CS:IP */
    B86_HOLD,     /* the EU holds the address adder for n clocks: no new cycle from Ti */
    B86_BUSRNI,   /* terminal bus request: the instruction ends with its T3 */
    B86_SUSP,     /* suspend prefetching (a code fetch in progress completes) */
};

struct b86_step {
    uint8_t kind;
    uint8_t n;
};

/* one data bus cycle: a byte or an aligned word */
struct b86_buscycle {
    uint32_t addr;
    uint16_t data;
    uint8_t status;   /* B86_MEMR, B86_MEMW, B86_IOR, B86_IOW, B86_INTA */
    uint8_t word;     /* 16-bit transfer (even address) */
    uint8_t bhe;
    uint8_t chained;  /* second byte of an odd word: the BIU runs it itself */
};

struct biu8086 {
    struct x86_cpu *cpu;
    const struct x86_timing_table *tab;

    /* queue */
    uint8_t q[B86_QUEUE];
    unsigned qn;
    uint32_t fetch_lin;       /* next prefetch address */
    uint16_t fetch_ip;        /* its offset in CS (wraps at 64 KiB) */
    uint32_t fetch_cs_base;
    bool fetch_suspended;     /* after a flush until the EU restarts it */
    bool susp;                /* prefetch suspended by the microcode (SUSP) until FLUSH */
    unsigned flush_delay;     /* clocks after a flush before the first fetch may start */
    uint64_t delay_until;     /* no bus cycle starts before the end of this clock */
    uint64_t delay_t4;        /* T4 of the fetch that set the delay */
    unsigned delay_qn, delay_clocks;
    unsigned j2;
    uint64_t susp_clock, susp_t4;
    unsigned susp_n, susp_m;
    uint64_t qready[B86_QUEUE]; /* first clock the EU may take each queued byte as a first byte */
    unsigned landed;          /* bytes the current fetch put in the queue */
    uint16_t cl_before, ax_before, dx_before, flags_before, rm_before;
    unsigned empty_k;

    /* bus */
    uint8_t t;                /* state of the current clock */
    bool cur_fetch;           /* current cycle is a prefetch */
    struct b86_buscycle cur;
    bool eu_req;              /* EU request waiting for the bus */
    uint64_t eu_req_at;       /* clock the request is timed from */
    uint64_t eu_req_ready;    /* first clock whose end may start it */
    struct b86_buscycle req;
    struct b86_buscycle req2; /* the chained second half of req */
    bool has_req2;
    bool req_done;            /* the requested cycle reached T4 */
    unsigned hold;            /* adder held by the EU for this many clocks */
    unsigned wait_states;

    /* clock */
    uint64_t clock;           /* core cycles */

    /* the instruction being replayed */
    bool have_insn;
    struct x86_insn in;
    uint32_t insn_lin;
    uint32_t expect_lin;      /* where the queue's next byte comes from */
    struct b86_buscycle ev[B86_MAX_EV];
    unsigned nev;
    int vector;               /* exception/interrupt entered, or -1 */

    struct biu8086_params params[BIU8086_NKEYS];
    struct b86_step prog[B86_MAX_STEPS];
    unsigned nprog;

    /* where the clocks went (timing_pipeline.c's statistics) */
    uint64_t *own_execute, *own_fetch, *own_data;

    /* recording */
    struct biu8086_cycle *rec;
    size_t rec_cap, rec_n;
};

#include "models/cpu/x86/biu_8086_params.h"



static const int8_t b86_groups[] = { 0x80, 0x81, 0x82, 0x83, 0x8f, 0xc6, 0xc7, 0xd0, 0xd1,
                                     0xd2, 0xd3, (int8_t)0xf6, (int8_t)0xf7, (int8_t)0xfe,
                                     (int8_t)0xff };

int biu8086_param_key(unsigned op, unsigned reg, bool mem)
{
    op &= 0xff;
    for (unsigned g = 0; g < sizeof b86_groups; g++)
        if ((uint8_t)b86_groups[g] == op)
            return 512 + (int)((g * 8 + (reg & 7)) * 2 + mem);
    return (int)(op * 2 + mem);
}

void biu8086_get_params(const struct biu8086 *b, int key, struct biu8086_params *out)
{
    *out = b->params[key & (BIU8086_NKEYS - 1)];
}

void biu8086_set_params(struct biu8086 *b, int key, const struct biu8086_params *p)
{
    b->params[key & (BIU8086_NKEYS - 1)] = *p;
}

struct biu8086 *biu8086_create(struct x86_cpu *cpu, const struct x86_timing_table *tab)
{
    struct biu8086 *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cpu = cpu;
    b->tab = tab;
    /* BIU constants measured on the captures (docs/timing.md) */
    b->delay_qn = 3;      /* queue bytes in a code fetch's T3 that start the fetch delay */
    b->delay_clocks = 3;  /* clocks the delay holds the bus after that fetch's T4 */
    b->flush_delay = 1;   /* clocks after a flush before the first fetch starts */
    b->empty_k = 3;       /* clocks after T3 before a fetched byte can be a first byte */
    b->j2 = 5;            /* clocks after a fetch's T4 before a relative jump's flush */
    b->vector = -1;
    /* documented clocks first, then the calibrated positions */
    for (unsigned op = 0; op < 256; op++)
        for (unsigned reg = 0; reg < 8; reg++)
            for (int mem = 0; mem < 2; mem++) {
                struct biu8086_params *p = &b->params[biu8086_param_key(op, reg, mem)];
                unsigned ex = tab->exec[op];
                *p = (struct biu8086_params){ 1, 2, 2, (int8_t)(ex > 2 ? ex - 2 : 1), 2, 1 };
            }
    for (size_t i = 0; i < sizeof b86_calibrated / sizeof b86_calibrated[0]; i++)
        b->params[b86_calibrated[i].key] = b86_calibrated[i].p;
    return b;
}

void biu8086_set_owners(struct biu8086 *b, uint64_t *execute, uint64_t *fetch_stall,
                        uint64_t *data_stall)
{
    b->own_execute = execute;
    b->own_fetch = fetch_stall;
    b->own_data = data_stall;
}

void biu8086_destroy(struct biu8086 *b)
{
    free(b);
}

void biu8086_reset(struct biu8086 *b, uint64_t now)
{
    b->qn = 0;
    b->t = B86_TI;
    b->eu_req = false;
    b->hold = 0;
    b->clock = now;
    b->have_insn = false;
    b->fetch_suspended = true;
    b->susp = false;
}

void biu8086_set_queue(struct biu8086 *b, uint32_t lin, const uint8_t *bytes, unsigned n)
{
    const struct x86_cpu *cpu = b->cpu;
    if (n > B86_QUEUE)
        n = B86_QUEUE;
    memcpy(b->q, bytes, n);
    b->qn = n;
    b->fetch_cs_base = (uint32_t)cpu->seg[X86_SEG_CS].base;
    b->fetch_ip = (uint16_t)(cpu->rip + n);
    b->fetch_lin = (b->fetch_cs_base + b->fetch_ip) & 0xfffff;
    b->fetch_suspended = false;
    b->susp = false;
    b->delay_until = 0;
    memset(b->qready, 0, sizeof b->qready);
    b->expect_lin = lin;
    b->t = B86_TI;
    b->eu_req = false;
}

void biu8086_record(struct biu8086 *b, struct biu8086_cycle *buf, size_t cap)
{
    b->rec = buf;
    b->rec_cap = buf ? cap : 0;
    b->rec_n = 0;
}

size_t biu8086_recorded(const struct biu8086 *b)
{
    return b->rec_n;
}

/* --- events from the core ------------------------------------------------- */

static uint8_t b86_peek(struct biu8086 *b, uint32_t addr)
{
    uint8_t v = 0xff;
    as_peek(b->cpu->mem, addr & 0xfffff, &v, 1);
    return v;
}

void biu8086_decode(struct biu8086 *b, const struct x86_insn *in)
{
    const struct x86_cpu *cpu = b->cpu;
    b->have_insn = true;
    b->in = *in;
    b->insn_lin = (uint32_t)((cpu->seg[X86_SEG_CS].base + cpu->insn_rip) & 0xfffff);
    if (b->fetch_suspended || b->insn_lin != b->expect_lin) {
        /* a transfer the EU program did not flush for (reset, an external
         * interrupt, a model switch): refill the queue from here */
        b->qn = 0;
        b->fetch_cs_base = (uint32_t)cpu->seg[X86_SEG_CS].base;
        b->fetch_ip = (uint16_t)cpu->insn_rip;
        b->fetch_lin = b->insn_lin;
        b->fetch_suspended = false;
    }
    b->nev = 0;
    b->vector = -1;
    /* operands that decide the microcode's path, before the instruction */
    b->cl_before = (uint16_t)cpu->regs[1];
    if (in->has_modrm && !in->mem) {
        unsigned r = in->rm & 7;
        b->rm_before = (in->op & 1) ? (uint16_t)cpu->regs[r]
                                    : (uint16_t)((r < 4 ? cpu->regs[r] : cpu->regs[r - 4] >> 8) & 0xff);
    }
    b->ax_before = (uint16_t)cpu->regs[0];
    b->dx_before = (uint16_t)cpu->regs[2];
    b->flags_before = (uint16_t)x86_get_flags(b->cpu);
}

/* Splits an access into the 8086's bus cycles: aligned words go in one
 * cycle, odd words in two byte cycles (low byte first). */
void biu8086_mem(struct biu8086 *b, uint64_t lin, unsigned size, bool write)
{
    for (unsigned i = 0; i < size && b->nev < B86_MAX_EV;) {
        uint32_t a = (uint32_t)(lin + i) & 0xfffff;
        struct b86_buscycle *c = &b->ev[b->nev++];
        c->addr = a;
        c->status = write ? B86_MEMW : B86_MEMR;
        if (!(a & 1) && size - i >= 2) {
            c->word = 1;
            c->bhe = 1;
            c->chained = 0;
            c->data = (uint16_t)(b86_peek(b, a) | (b86_peek(b, a + 1) << 8));
            i += 2;
        } else {
            c->word = 0;
            c->bhe = (uint8_t)(a & 1);
            c->chained = i > 0;
            uint8_t v = b86_peek(b, a);
            /* a byte travels on the half of the bus its address selects */
            c->data = (a & 1) ? (uint16_t)(v << 8) : v;
            i += 1;
        }
    }
}

/* I/O: the port on A0-A15; a word at an even port in one cycle, else
 * byte cycles (the 8086 splits odd words like memory words). */
void biu8086_io(struct biu8086 *b, uint16_t port, unsigned size, bool write, uint32_t value)
{
    for (unsigned i = 0; i < size && b->nev < B86_MAX_EV;) {
        uint16_t a = (uint16_t)(port + i);
        struct b86_buscycle *c = &b->ev[b->nev++];
        c->addr = a;
        c->status = write ? B86_IOW : B86_IOR;
        if (!(a & 1) && size - i >= 2) {
            c->word = 1;
            c->bhe = 1;
            c->chained = 0;
            c->data = (uint16_t)(value >> (8 * i));
            i += 2;
        } else {
            c->word = 0;
            c->bhe = (uint8_t)(a & 1);
            c->chained = i > 0;
            uint8_t v = (uint8_t)(value >> (8 * i));
            c->data = (a & 1) ? (uint16_t)(v << 8) : v;
            i += 1;
        }
    }
}

void biu8086_exception(struct biu8086 *b, int vector)
{
    b->vector = vector;
}

/* --- the clock ---------------------------------------------------------------- */

static void b86_record(struct biu8086 *b, uint8_t qs, uint8_t qbyte)
{
    if (!b->rec || b->rec_n >= b->rec_cap) {
        b->rec_n += b->rec != NULL;
        return;
    }
    struct biu8086_cycle *r = &b->rec[b->rec_n++];
    memset(r, 0, sizeof *r);
    r->tstate = b->t;
    r->qs = qs;
    r->qbyte = qbyte;
    r->status = B86_PASV;
    if (b->t == B86_TI)
        return;
    const struct b86_buscycle *c = &b->cur;
    if (b->t == B86_T1 || b->t == B86_T2)
        r->status = c->status;
    r->ale = b->t == B86_T1;
    r->addr = c->addr;
    r->bhe = c->bhe;
    if (b->t == B86_T3)
        r->data = c->data;
}

static bool b86_queue_room(const struct biu8086 *b, unsigned qn)
{
    /* a word fetch needs two free bytes; an odd address fetches a byte */
    return B86_QUEUE - qn >= ((b->fetch_lin & 1) ? 1u : 2u);
}

static void b86_begin_fetch(struct biu8086 *b)
{
    b->cur_fetch = true;
    b->cur.addr = b->fetch_lin;
    b->cur.status = B86_CODE;
    b->cur.word = !(b->fetch_lin & 1);
    b->cur.bhe = 1;
    uint8_t lo = b86_peek(b, b->fetch_lin & ~1u), hi = b86_peek(b, b->fetch_lin | 1u);
    b->cur.data = (uint16_t)(lo | (hi << 8));
}

/* End of a clock: the BIU's next state. `qn_start` is the queue level at
 * the start of this clock (the BIU samples it before the EU's read). */
static void b86_biu_advance(struct biu8086 *b, unsigned qn_start)
{
    if (b->eu_req && b->clock == b->eu_req_at && b->t != B86_T4 && b->t != B86_TI)
        b->eu_req_ready = b->clock; /* in T1-T3: right after this cycle's T4 */
    switch (b->t) {
    case B86_T1: b->t = B86_T2; return;
    case B86_T2:
        b->t = B86_T3;
        b->landed = 0;
        if (b->cur_fetch && !b->fetch_suspended) {
            /* the fetched bytes are in the queue in T3: the EU takes an
             * operand byte at once, a first byte three clocks later */
            unsigned n = (b->fetch_lin & 1) ? 1 : 2;
            for (unsigned i = 0; i < n && b->qn < B86_QUEUE; i++) {
                b->qready[b->qn] = b->clock + 1 + b->empty_k;
                b->q[b->qn++] = (uint8_t)(b->cur.data >> (8 * ((b->fetch_lin + i) & 1)));
                b->landed++;
            }
            b->fetch_ip = (uint16_t)(b->fetch_ip + n);
            b->fetch_lin = (b->fetch_cs_base + b->fetch_ip) & 0xfffff;
        }
        return;
    case B86_T3:
        /* a code fetch that will leave less than a word free in the queue
         * (three bytes queued in its T3, before its own land) holds the
         * bus for three clocks after its T4 */
        if (b->cur_fetch && !b->susp && b->qn - b->landed == b->delay_qn) {
            b->delay_until = b->clock + 1 + b->delay_clocks;
            b->delay_t4 = b->clock + 1;
        }
        if (b->wait_states) {
            b->t = B86_TW;
            return;
        }
        /* fall through */
    case B86_TW:
        b->t = B86_T4;
        if (!b->cur_fetch) {
            if (b->has_req2) {
                /* the other byte of an odd word follows at once */
                b->has_req2 = false;
                b->req = b->req2;
                b->eu_req = true;
                b->eu_req_at = 0;
                b->eu_req_ready = b->clock + 1;
            } else {
                b->req_done = true;
            }
        }
        return;
    case B86_T4:
    case B86_TI:
        break;
    default:
        return;
    }
    if (b->eu_req && b->clock == b->eu_req_at) {
        /* a request in T1-T3 gets the cycle after T4; in T4 it misses
         * that decision and takes two idle clocks; from idle one */
        if (b->t == B86_T4)
            b->eu_req_ready = b->clock + 2;
        else if (b->t == B86_TI)
            /* a request in the clock the delayed prefetch starts its
             * address cycle aborts it: a clock later */
            b->eu_req_ready = b->clock + 1 +
                              (b->delay_t4 && b->clock == b->delay_t4 + b->delay_clocks &&
                                       b86_queue_room(b, qn_start)
                                   ? 1
                                   : 0);
        else
            b->eu_req_ready = b->clock;
    }
    /* the delay holds prefetches and EU requests made after its T4 */
    bool delayed = b->clock < b->delay_until;
    /* a request made during the delay waits for an address cycle after it */
    bool eu_delayed = b->delay_t4 && b->eu_req_at > b->delay_t4 &&
                      b->clock < b->delay_t4 + 0;
    bool eu = b->eu_req && b->clock >= b->eu_req_ready && !eu_delayed;
    if (delayed && !eu) {
        b->t = B86_TI;
        return;
    }
    bool fetch = !b->eu_req && !b->fetch_suspended && !b->susp && b86_queue_room(b, qn_start) &&
                 b->hold == 0;
    if (eu) {
        b->t = B86_T1;
            b->cur_fetch = false;
        b->cur = b->req;
        b->eu_req = false;
        return;
    }
    if (fetch) {
        b->t = B86_T1;
            b86_begin_fetch(b);
        return;
    }
    b->t = B86_TI;
}

/* SUSP in clock `at`: no new prefetch; the queue may be flushed `n`
 * clocks later, and not before a code fetch in progress has ended. */
static void b86_susp(struct biu8086 *b, unsigned n, uint64_t at)
{
    b->susp = true;
    b->susp_clock = at;
    b->susp_n = n & 15;
    b->susp_m = (n >> 4) & 7 ? (n >> 4) & 7 : 5;
    b->susp_t4 = 0;
    if (b->cur_fetch && b->t >= B86_T1 && b->t <= B86_T3 && at == b->clock)
        b->susp_t4 = at + (uint64_t)(B86_T4 - b->t);
    else if (b->cur_fetch && b->t >= B86_T1 && b->t <= B86_T4 && at + 1 == b->clock)
        b->susp_t4 = at + 1 + (uint64_t)(B86_T4 - b->t);
}

/* Hands the next data transfer to the BIU, timed from clock `at`. */
static void b86_issue(struct biu8086 *b, unsigned *ev_next, uint64_t at)
{
    b->req = b->ev[(*ev_next)++];
    b->has_req2 = *ev_next < b->nev && b->ev[*ev_next].chained;
    if (b->has_req2)
        b->req2 = b->ev[(*ev_next)++];
    b->eu_req = true;
    b->eu_req_at = at;
    b->eu_req_ready = UINT64_MAX;
    b->req_done = false;
}

/* Runs the EU program of the current instruction; returns when the EU is
 * ready for the next opcode byte. */
static void b86_run(struct biu8086 *b)
{
    unsigned pc = 0;
    unsigned wait_left = 0;
    enum { W_NONE, W_T4, W_T3, W_SUSP } waiting = W_NONE;
    unsigned ev_next = 0;
    for (unsigned guard = 0; guard < 4096; guard++) {
        unsigned qn_start = b->qn;
        uint8_t qs = B86_QS_NONE, qbyte = 0;
        uint64_t *owner = b->own_execute;
        bool consumed = false;
        /* the EU's clock: steps that take no time chain within it */
        while (!consumed) {
            if (waiting == W_T4) {
                /* a transfer: the EU goes on in the clock of its T4 */
                if (!b->req_done) {
                    owner = b->own_data;
                    consumed = true;
                    break;
                }
                waiting = W_NONE;
                pc++;
                continue;
            }
            if (waiting == W_T3) {
                /* the terminal transfer (RNI): the instruction ends with
                 * its T3, the next one starts in its T4 */
                consumed = true;
                if (b->t == B86_T3 && !b->cur_fetch && !b->eu_req && !b->has_req2) {
                    waiting = W_NONE;
                    pc++;
                } else {
                    owner = b->own_data;
                }
                break;
            }
            if (waiting == W_SUSP) {
                /* the EU waits for a code fetch in progress to end */
                if (b->clock < b->susp_t4) {
                    consumed = true;
                    break;
                }
                waiting = W_NONE;
                continue;
            }
            if (pc >= b->nprog)
                break;
            const struct b86_step *s = &b->prog[pc];
            switch (s->kind) {
            case B86_FIRST:
            case B86_QREAD:
                consumed = true;
                if (b->qn == 0 || (s->kind == B86_FIRST && b->clock < b->qready[0])) {
                    owner = b->own_fetch;
                    break;
                }
                qs = s->kind == B86_FIRST ? B86_QS_FIRST : B86_QS_SUBSEQUENT;
                qbyte = b->q[0];
                memmove(b->q, b->q + 1, --b->qn);
                memmove(b->qready, b->qready + 1, b->qn * sizeof b->qready[0]);
                pc++;
                break;
            case B86_WAIT:
                consumed = true;
                if (!wait_left)
                    wait_left = s->n;
                if (--wait_left == 0)
                    pc++;
                break;
            case B86_HOLD:
                b->hold = s->n;
                pc++;
                break;
            case B86_SUSP:
                b86_susp(b, s->n, b->clock - 1);
                pc++;
                if ((s->n & 0x80) && b->susp_t4)
                    waiting = W_SUSP;
                break;
            case B86_BUS:
            case B86_BUSRNI:
                if (ev_next >= b->nev) {
                    pc++;
                    break;
                }
                /* the request is timed from this clock (b86_biu_advance) */
                b86_issue(b, &ev_next, b->clock);
                waiting = s->kind == B86_BUS ? W_T4 : W_T3;
                break;
            case B86_FLUSH:
                consumed = true;
                /* after SUSP: a number of clocks, and a code fetch that was
                 * in progress must have ended some clocks before */
                if (b->susp && (b->clock < b->susp_clock + b->susp_n ||
                                (b->susp_t4 && b->clock < b->susp_t4 + b->susp_m))) {
                    break;
                }
                b->qn = 0;
                qs = B86_QS_FLUSH;
                b->fetch_cs_base = (uint32_t)b->cpu->seg[X86_SEG_CS].base;
                b->fetch_ip = (uint16_t)b->cpu->rip;
                b->fetch_lin = (b->fetch_cs_base + b->fetch_ip) & 0xfffff;
                b->fetch_suspended = false;
                b->susp = false;
                b->hold = b->flush_delay;
                pc++;
                break;
            }
        }
        if (!consumed)
            return;
        /* SUSP acts in the clock of the step before it */
        if (waiting == W_NONE && pc < b->nprog && b->prog[pc].kind == B86_SUSP) {
            b86_susp(b, b->prog[pc].n, b->clock);
            if ((b->prog[pc].n & 0x80) && b->susp_t4)
                waiting = W_SUSP;
            pc++;
        }
        /* a transfer is announced in the clock before it is requested:
         * from then on the BIU starts no prefetch */
        if (waiting == W_NONE && pc < b->nprog &&
            (b->prog[pc].kind == B86_BUS || b->prog[pc].kind == B86_BUSRNI) &&
            ev_next < b->nev) {
            b86_issue(b, &ev_next, b->clock + 1);
            waiting = b->prog[pc].kind == B86_BUS ? W_T4 : W_T3;
        }
        if (owner)
            (*owner)++;
        b86_record(b, qs, qbyte);
        b86_biu_advance(b, qn_start);
        if (b->hold)
            b->hold--;
        b->clock++;
    }
}

/* --- EU programs -------------------------------------------------------------- */


static void b86_emit(struct biu8086 *b, enum b86_step_kind k, unsigned n)
{
    if (b->nprog < B86_MAX_STEPS)
        b->prog[b->nprog++] = (struct b86_step){ (uint8_t)k, (uint8_t)n };
}

static void b86_wait(struct biu8086 *b, unsigned n)
{
    if (n)
        b86_emit(b, B86_WAIT, n);
}

static void b86_q(struct biu8086 *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b86_emit(b, B86_QREAD, 0);
}

static void b86_bus(struct biu8086 *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b86_emit(b, B86_BUS, 0);
}

static void b86_rni(struct biu8086 *b)
{
    b86_emit(b, B86_BUSRNI, 0);
}

static unsigned b86_disp_bytes(const struct x86_insn *in)
{
    if (!in->mem)
        return 0;
    if (in->mod == 1)
        return 1;
    if (in->mod == 2 || (in->mod == 0 && in->rm == 6))
        return 2;
    return 0;
}

static unsigned b86_prefixes(const struct x86_insn *in)
{
    unsigned n = 0;
    while (n < in->len && n < 15) {
        uint8_t x = in->bytes[n];
        if (x == 0x26 || x == 0x2e || x == 0x36 || x == 0x3e || x == 0xf0 || x == 0xf1 ||
            x == 0xf2 || x == 0xf3)
            n++;
        else
            break;
    }
    return n;
}

/* Opcodes whose ModRM operand is written only (the group decode ROM's
 * "no EA load"): the EA microcode ends in EADONE instead of EALOAD. */
static bool b86_loads_ea(unsigned op)
{
    switch (op) {
    case 0x88: case 0x89: case 0x8c: case 0x8d: case 0x8f: case 0xc6: case 0xc7:
        return false;
    default:
        return true;
    }
}

static bool b86_has_modrm(const struct x86_insn *in)
{
    return in->has_modrm;
}

/* Decode phase: prefixes (two clocks each), the opcode, the ModRM byte and
 * the effective-address microcode (clocks before and after the
 * displacement bytes), then EALOAD (the operand read and two clocks) or
 * EADONE (two clocks). Returns the number of queue bytes taken. */
static unsigned b86_decode_phase(struct biu8086 *b, const struct x86_insn *in, unsigned op)
{
    unsigned npre = b86_prefixes(in);
    for (unsigned i = 0; i < npre; i++) {
        b86_emit(b, B86_FIRST, 0);
        b86_wait(b, 1);
    }
    b86_emit(b, B86_FIRST, 0);
    unsigned have = npre + 1;
    if (!b86_has_modrm(in))
        return have;
    b86_emit(b, B86_QREAD, 0);
    have++;
    if (!in->mem)
        return have;
    /* EA microcode: a jump, then clocks before and after the displacement */
    static const uint8_t pre_rm[8] = { 4, 5, 5, 4, 2, 2, 2, 2 };
    unsigned rm = in->rm & 7, nd = b86_disp_bytes(in);
    unsigned pre, post;
    if (in->mod == 0 && rm == 6) {
        pre = 0;
        post = 1;
    } else {
        pre = pre_rm[rm];
        post = in->mod == 1 ? 3 : in->mod == 2 ? 2 : 0;
    }
    b86_wait(b, 1 + pre);
    b86_q(b, nd);
    have += nd;
    b86_wait(b, post);
    if (b86_loads_ea(op)) {
        b86_bus(b, 1);
        b86_wait(b, 3);
    } else {
        b86_wait(b, 2);
    }
    return have;
}

/* RELJMP: prefetching suspended, the new IP computed, the queue flushed. */
static void b86_reljmp(struct biu8086 *b, unsigned n)
{
    b86_emit(b, B86_SUSP, n);
    b86_emit(b, B86_FLUSH, 0);
}

/* INTR microcode after the vector is known: the vector's IP and CS
 * read, FLAGS and CS pushed, the queue flushed, IP pushed (terminal). */
static void b86_intr(struct biu8086 *b)
{
    b86_bus(b, 1);
    b86_wait(b, 2);
    b86_bus(b, 1);
    b86_emit(b, B86_SUSP, 1);
    b86_wait(b, 3);
    b86_bus(b, 1);
    b86_wait(b, 5);
    b86_bus(b, 1);
    b86_wait(b, 4);
    b86_emit(b, B86_FLUSH, 0);
    b86_wait(b, 2);
    b86_rni(b);
}

/* Number of data transfers (an odd word's two halves count once). */
static unsigned b86_nev(const struct biu8086 *b)
{
    unsigned n = 0;
    for (unsigned i = 0; i < b->nev; i++)
        n += !b->ev[i].chained;
    return n;
}

/* String instructions: clocks before, between and after the transfers of
 * each iteration; with REP a setup, a gap between iterations and an end
 * that depends on why the loop stopped (CX or ZF). */
static void b86_string(struct biu8086 *b, const struct x86_insn *in, unsigned op)
{
    unsigned kind = (op & 0xe) >> 1; /* 2 MOVS, 3 CMPS, 5 STOS, 6 LODS, 7 SCAS */
    unsigned per = kind == 2 || kind == 3 ? 2 : 1;
    static const uint8_t pre[8] = { 0, 0, 1, 2, 0, 1, 1, 3 };
    static const uint8_t mid[8] = { 0, 0, 2, 3, 0, 0, 0, 0 };
    static const uint8_t post[8] = { 0, 0, 3, 5, 0, 3, 4, 5 };
    static const uint8_t setup[8] = { 0, 0, 8, 9, 0, 8, 8, 10 };
    static const uint8_t gap[8] = { 0, 0, 5, 9, 0, 5, 8, 10 };
    static const uint8_t end[8] = { 0, 0, 4, 6, 0, 4, 7, 6 };
    unsigned n = b86_nev(b) / per;
    if (!in->rep) {
        b86_wait(b, pre[kind]);
        b86_bus(b, 1);
        if (per == 2) {
            b86_wait(b, mid[kind]);
            b86_bus(b, 1);
        }
        b86_wait(b, post[kind]);
        return;
    }
    if (n == 0) {
        b86_wait(b, 7);
        return;
    }
    b86_wait(b, setup[kind]);
    for (unsigned i = 0; i < n; i++) {
        b86_bus(b, 1);
        if (per == 2) {
            b86_wait(b, mid[kind]);
            b86_bus(b, 1);
        }
        if (i + 1 < n)
            b86_wait(b, gap[kind]);
    }
    bool by_cx = (uint16_t)b->cpu->regs[1] == 0;
    b86_wait(b, end[kind] + ((kind == 3 || kind == 7) && by_cx ? 1 : 0));
}

/* --- multiply and divide: the microcode's loops bit by bit --------------
 * Clock counts of the 8086 microcode routines CORX (multiply), CORD
 * (divide) and NEGATE, following the microcode disassembly (reenigne,
 * "8086 microcode disassembled"); the operand values decide the path. */

struct b86_md {
    unsigned n;                  /* operand bits: 8 or 16 */
    uint32_t mask, msb;
    uint32_t tmpa, tmpb, tmpc;
    bool carry, negate;
    unsigned clk;
};

static void b86_rcr(const struct b86_md *m, uint32_t *v, bool *carry)
{
    bool out = *v & 1;
    *v = ((*v & m->mask) >> 1) | (*carry ? m->msb : 0);
    *carry = out;
}

static void b86_rcl(const struct b86_md *m, uint32_t *v, bool *carry)
{
    bool out = (*v & m->msb) != 0;
    *v = ((*v << 1) | (*carry ? 1u : 0u)) & m->mask;
    *carry = out;
}

/* NEGATE (from its line 7 when `skip`): makes tmpb positive, flips the
 * negate flag per negation; returns whether tmpb was negative. */
static bool b86_negate(struct b86_md *m, bool skip)
{
    if (!skip) {
        bool c = (m->tmpc & 0xffff) != 0;
        m->tmpc = (0u - m->tmpc) & 0xffff;
        m->tmpa = c ? ~m->tmpa & 0xffff : (0u - m->tmpa) & 0xffff;
        m->clk += 5;
        m->negate = !m->negate;
    }
    bool neg = (m->tmpb & m->msb) != 0;
    m->clk += 3;
    if (!neg) {
        m->clk += 3;
    } else {
        m->tmpb = (0u - m->tmpb) & 0xffff;
        m->negate = !m->negate;
        m->clk += 2;
    }
    return neg;
}

static void b86_corx(struct b86_md *m)
{
    bool carry = m->carry;
    m->tmpb &= m->mask;
    m->tmpc &= m->mask;
    m->clk += 2;
    b86_rcr(m, &m->tmpc, &carry);
    m->tmpa = 0;
    for (unsigned counter = m->n - 1;; counter--) {
        m->clk += 1;
        if (carry) {
            uint32_t sum = m->tmpa + m->tmpb;
            carry = sum > m->mask;
            m->tmpa = sum & m->mask;
            m->clk += 2;
        } else {
            m->clk += 1;
        }
        b86_rcr(m, &m->tmpa, &carry);
        b86_rcr(m, &m->tmpc, &carry);
        m->clk += 3;
        if (counter == 0)
            break;
        m->clk += 1;
    }
    m->clk += 2;
    m->carry = carry;
}

/* Returns false on a divide overflow. */
static bool b86_cord(struct b86_md *m)
{
    uint32_t a = m->tmpa & m->mask, bb = m->tmpb & m->mask, c = m->tmpc & m->mask;
    bool carry = a < bb;
    m->clk += 3;
    if (!carry) {
        m->clk += 1;
        return false;
    }
    unsigned counter = m->n;
    while (counter > 0) {
        b86_rcl(m, &c, &carry);
        b86_rcl(m, &a, &carry);
        uint32_t sigma = (a - bb) & m->mask;
        bool borrow = a < bb;
        m->clk += 4;
        if (carry) {
            m->clk += 3;
            carry = false;
            a = sigma;
            if (--counter > 0)
                m->clk += 1;
            else
                m->clk += 2;
        } else {
            carry = borrow;
            m->clk += 2;
            if (!carry) {
                a = sigma;
                m->clk += 2;
                if (--counter > 0)
                    m->clk += 1;
                else
                    m->clk += 2;
            } else {
                m->clk += 1;
                if (--counter > 0)
                    m->clk += 1;
            }
        }
    }
    b86_rcl(m, &c, &carry);
    uint32_t c2 = c;
    b86_rcl(m, &c2, &carry);
    m->clk += 4;
    m->tmpa = a;
    m->tmpc = c;
    m->carry = carry;
    return true;
}

static unsigned b86_mul_clocks(unsigned n, uint32_t acc, uint32_t operand, bool is_signed,
                               bool negate)
{
    struct b86_md m = { n, n == 8 ? 0xffu : 0xffffu, 1u << (n - 1), 0, operand, acc, false,
                        negate, 0 };
    m.carry = (m.tmpc & m.msb) != 0;
    m.clk = 2;
    if (is_signed) {
        m.clk += 3;
        if (m.carry) {
            m.tmpc = (0u - m.tmpc) & 0xffff;
            m.negate = !m.negate;
            m.clk += 3;
        } else {
            m.clk += 1;
        }
        m.carry = b86_negate(&m, true);
    }
    m.clk += 2;
    b86_corx(&m);
    m.clk += 1;
    if (m.negate) {
        m.clk += 1;
        b86_negate(&m, false);
    }
    m.clk += 1;
    if (is_signed) {
        bool c = (m.tmpc & m.msb) != 0;
        uint32_t sigma = (m.tmpa + (c ? 1u : 0u)) & m.mask;
        m.clk += 1 + 3 + (sigma == 0 ? 4 : 3) + 2;
    } else {
        m.clk += 6 + ((m.tmpa & m.mask) == 0 ? 4 : 3);
    }
    return m.clk;
}

/* Clocks of DIV/IDIV; *err set when the divide error is taken (the
 * clocks are then those up to the jump to INT0). */
static unsigned b86_div_clocks(unsigned n, uint32_t dividend, uint32_t divisor, bool is_signed,
                               bool negate, bool *err)
{
    struct b86_md m = { n, n == 8 ? 0xffu : 0xffffu, 1u << (n - 1), 0, 0, 0, false, negate, 0 };
    m.tmpa = (dividend >> n) & m.mask;
    m.tmpc = dividend & m.mask;
    m.tmpb = divisor & m.mask;
    *err = false;
    m.clk = 3;
    if (is_signed) {
        bool neg = (m.tmpa & m.msb) != 0;
        m.clk += 3;
        if (!neg) {
            m.clk += 1;
            b86_negate(&m, true);
        } else {
            b86_negate(&m, false);
        }
    }
    m.clk += 2;
    if (!b86_cord(&m)) {
        *err = true;
        return m.clk;
    }
    m.clk += 2;
    if (is_signed) {
        m.clk += 2;
        if (!m.carry) {
            m.clk += 1;
            *err = true;
            return m.clk;
        }
        m.clk += 3 + 1 + 2 + 1 + 2;
    }
    return m.clk;
}

/* MUL, IMUL, DIV, IDIV (F6/F7 /4-/7); a divide error continues into the
 * INT0 microcode. */
static bool b86_muldiv(struct biu8086 *b, const struct x86_insn *in, unsigned op, bool mem)
{
    unsigned n = (op & 1) ? 16 : 8;
    uint32_t src;
    if (mem) {
        src = b->nev ? b->ev[0].data : 0;
        if (b->nev > 1 && b->ev[1].chained)
            src = (uint32_t)((b->ev[0].data >> 8) & 0xff) | (uint32_t)(b->ev[1].data & 0xff) << 8;
        else if (n == 8 && (b->ev[0].addr & 1))
            src >>= 8;
    } else {
        src = (uint32_t)b->rm_before;
    }
    src &= n == 8 ? 0xff : 0xffff;
    bool is_signed = in->reg & 1;
    bool negate = in->rep != 0;
    if (in->reg < 6) {
        uint32_t acc = n == 8 ? b->ax_before & 0xff : b->ax_before;
        b86_wait(b, b86_mul_clocks(n, acc, src, is_signed, negate));
        return true;
    }
    uint32_t dividend = n == 8 ? b->ax_before : ((uint32_t)b->dx_before << 16) | b->ax_before;
    bool err;
    unsigned clk = b86_div_clocks(n, dividend, src, is_signed, negate, &err);
    b86_wait(b, clk);
    if (err) {
        b86_wait(b, 5);
        b86_intr(b);
    }
    return true;
}

/* The microcode of one instruction after its decode phase; false when the
 * opcode is left to the calibrated generic program. */
static bool b86_execute(struct biu8086 *b, const struct x86_insn *in, unsigned op, unsigned have)
{
    bool mem = in->has_modrm && in->mem;
    unsigned rest = in->len > have ? in->len - have : 0; /* immediate bytes */
    bool w = op & 1;
    (void)w;
    if (!b86_has_modrm(in))
        b86_wait(b, 1); /* the clock after a first-byte read */
    /* groups 3-5 (F6/F7/FE/FF) take a clock to select their microcode */
    if ((op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff) && !mem)
        b86_wait(b, 1);
    /* ALU r/m, reg / reg, r/m */
    if (op < 0x40 && (op & 7) < 4) {
        bool cmp = (op & 0x38) == 0x38;
        b86_wait(b, 1);
        if (cmp)
            return true;
        if (mem && !(op & 2)) {
            b86_wait(b, 2);
            b86_rni(b);
        }
        return true;
    }
    /* ALU AL/AX, imm */
    if (op < 0x40 && (op & 7) >= 4 && (op & 7) < 6) {
        b86_q(b, rest);
        if (!(op & 1))
            b86_wait(b, 1);
        return true;
    }
    bool taken = (uint16_t)(b->cpu->rip) != (uint16_t)(b->cpu->insn_rip + in->len);
    switch (op) {
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
        b86_q(b, rest);
        if (taken) {
            b86_wait(b, 2);
            b86_reljmp(b, 6);
        } else {
            b86_wait(b, 1);
        }
        return true;
    case 0xeb: /* JMP rel8 */
        b86_q(b, rest);
        b86_reljmp(b, 6);
        return true;
    case 0xe9: /* JMP rel16: SUSP with the first byte */
        b86_q(b, 1);
        b86_emit(b, B86_SUSP, 6);
        b86_q(b, 1);
        b86_emit(b, B86_FLUSH, 0);
        return true;
    case 0xe8: /* CALL rel16 */
        b86_q(b, 1);
        b86_emit(b, B86_SUSP, 6);
        b86_q(b, 1);
        b86_emit(b, B86_FLUSH, 0);
        b86_wait(b, 2);
        b86_rni(b);
        return true;
    case 0xc3: /* RET */
        b86_bus(b, 1);
        b86_emit(b, B86_SUSP, 3);
        b86_emit(b, B86_FLUSH, 0);
        return true;
    case 0xc2: /* RET imm16 */
        b86_q(b, rest);
        b86_wait(b, 1);
        b86_bus(b, 1);
        b86_emit(b, B86_SUSP, 4);
        b86_emit(b, B86_FLUSH, 0);
        return true;
    case 0xe2: /* LOOP */
    case 0xe0: case 0xe1: /* LOOPNE, LOOPE: a clock more for ZF */
        b86_wait(b, 2);
        b86_q(b, rest);
        if (taken && op == 0xe2) {
            b86_reljmp(b, 6);
        } else if (taken) {
            b86_wait(b, 2);
            b86_reljmp(b, 5);
        } else {
            b86_wait(b, 1);
        }
        return true;
    case 0xe3: /* JCXZ */
        b86_wait(b, 2);
        b86_q(b, rest);
        b86_wait(b, 1);
        if (taken)
            b86_reljmp(b, 6);
        return true;
    case 0x80: case 0x81: case 0x82: case 0x83: {
        bool cmp = in->reg == 7;
        b86_q(b, rest);
        if (op != 0x81) {
            b86_wait(b, 1);
            if (mem)
                b86_wait(b, cmp ? 1 : 2);
        } else if (mem) {
            b86_wait(b, cmp ? 1 : 2);
        }
        if (!cmp && mem)
            b86_rni(b);
        return true;
    }
    case 0x84: case 0x85: /* TEST */
        b86_wait(b, 1);
        return true;
    case 0x86: case 0x87: /* XCHG */
        b86_wait(b, 2);
        if (mem) {
            b86_wait(b, 2);
            b86_rni(b);
        }
        return true;
    case 0x88: case 0x89: case 0x8a: case 0x8b: /* MOV */
        if (mem && !(op & 2)) {
            b86_wait(b, 2);
            b86_rni(b);
        } else if (mem) {
            /* the load was EALOAD */
        }
        return true;
    case 0x8c: /* MOV r/m, Sreg */
        if (mem) {
            b86_wait(b, 1);
            b86_rni(b);
        }
        return true;
    case 0x8e: /* MOV Sreg, r/m */
        return true;
    case 0x8d: /* LEA */
        return true;
    case 0x8f: /* POP r/m */
        b86_wait(b, 1);
        b86_bus(b, 1);
        b86_wait(b, mem ? 1 : 2);
        if (mem) {
            b86_wait(b, 3);
            b86_rni(b);
        }
        return true;
    case 0xc4: case 0xc5: /* LES, LDS: the offset was EALOAD */
        b86_wait(b, 2);
        b86_bus(b, 1);
        b86_wait(b, 1);
        return true;
    case 0xc6: case 0xc7: /* MOV r/m, imm */
        b86_q(b, rest);
        b86_wait(b, mem ? (op == 0xc6 ? 2 : 1) : (op == 0xc6 ? 1 : 0));
        if (mem)
            b86_rni(b);
        return true;
    case 0xd0: case 0xd1: /* shift by 1 */
        if (mem) {
            b86_wait(b, 2);
            b86_rni(b);
        }
        return true;
    case 0xd2: case 0xd3: { /* shift by CL: four clocks a bit, the count not masked */
        unsigned cl = (unsigned)(b->cl_before & 0xff);
        b86_wait(b, 6);
        for (unsigned i = 0; i < cl; i++)
            b86_wait(b, 4);
        if (mem) {
            b86_wait(b, 1);
            b86_rni(b);
        }
        return true;
    }
    case 0xea: /* JMP far */
        b86_q(b, rest);
        b86_emit(b, B86_SUSP, 3 | 3 << 4);
        b86_emit(b, B86_FLUSH, 0);
        return true;
    case 0x9a: /* CALL far */
        b86_q(b, rest);
        b86_wait(b, 1);
        b86_emit(b, B86_SUSP, 0x81); /* waits for a fetch in progress */
        b86_wait(b, 4);
        b86_bus(b, 1);
        b86_wait(b, 4);
        b86_emit(b, B86_FLUSH, 0);
        b86_wait(b, 2);
        b86_rni(b);
        return true;
    case 0xca: /* RETF imm16 */
        b86_q(b, rest);
        b86_wait(b, 2);
        b86_bus(b, 1);
        b86_emit(b, B86_SUSP, 1);
        b86_wait(b, 4);
        b86_bus(b, 1);
        b86_wait(b, 1);
        b86_emit(b, B86_FLUSH, 0);
        return true;
    case 0x37: case 0x3f: { /* AAA, AAS: a clock less when AL is adjusted */
        bool adjust = (b->ax_before & 0xf) > 9 || (b->flags_before & 0x10);
        b86_wait(b, adjust ? 6 : 7);
        return true;
    }
    case 0x99: /* CWD: a clock more for a negative AX */
        b86_wait(b, (b->ax_before & 0x8000) ? 4 : 3);
        return true;
    case 0xd6: /* SALC: a clock more with CF set */
        b86_wait(b, (b->flags_before & 1) ? 2 : 1);
        return true;
    case 0xd4: { /* AAM: the division microcode (CORD) of AL by the immediate */
        b86_q(b, rest);
        uint8_t base = (uint8_t)in->imm;
        struct b86_md m = { 8, 0xff, 0x80, 0, base, b->ax_before & 0xff, false, false, 0 };
        if (base && b86_cord(&m)) {
            b86_wait(b, m.clk + 4);
        } else {
            b86_wait(b, m.clk + 5);
            b86_intr(b);
        }
        return true;
    }
    case 0xd5: { /* AAD: the multiply microcode (CORX), a clock per set bit */
        b86_q(b, rest);
        unsigned ones = 0;
        for (unsigned v = (uint8_t)in->imm; v; v >>= 1)
            ones += v & 1;
        b86_wait(b, 56 + ones);
        return true;
    }
    case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac: case 0xad:
    case 0xae: case 0xaf:
        b86_string(b, in, op);
        return true;
    case 0xa0: case 0xa1: /* MOV AL/AX, [offset] */
        b86_q(b, rest);
        b86_bus(b, 1);
        b86_wait(b, 1);
        return true;
    case 0xe4: case 0xe5: /* IN AL/AX, imm8 */
        b86_q(b, rest);
        b86_wait(b, 1);
        b86_bus(b, 1);
        b86_wait(b, 1);
        return true;
    case 0xec: case 0xed: /* IN AL/AX, DX */
        b86_bus(b, 1);
        b86_wait(b, 1);
        return true;
    case 0xe6: case 0xe7: /* OUT imm8, AL/AX */
        b86_q(b, rest);
        b86_wait(b, 3);
        b86_rni(b);
        return true;
    case 0xee: case 0xef: /* OUT DX, AL/AX */
        b86_wait(b, 1);
        b86_rni(b);
        return true;
    case 0xcc: /* INT 3 */
        b86_wait(b, 7);
        b86_intr(b);
        return true;
    case 0xcd: /* INT imm8: prefetching stops, a fetch in progress ends first */
        b86_q(b, rest);
        b86_wait(b, 2);
        b86_emit(b, B86_SUSP, 0x81);
        b86_wait(b, 4);
        b86_intr(b);
        return true;
    case 0xce: /* INTO */
        b86_wait(b, 2);
        if (b->vector == 4) {
            b86_wait(b, 6);
            b86_intr(b);
        }
        return true;
    case 0xcf: /* IRET */
        b86_wait(b, 2);
        b86_bus(b, 1);
        b86_emit(b, B86_SUSP, 1);
        b86_wait(b, 4);
        b86_bus(b, 1);
        b86_wait(b, 1);
        b86_emit(b, B86_FLUSH, 0);
        b86_wait(b, 1);
        b86_bus(b, 1);
        b86_wait(b, 1);
        return true;
    case 0xf6: case 0xf7:
        switch (in->reg) {
        case 0: case 1: /* TEST r/m, imm */
            b86_q(b, rest);
            b86_wait(b, (op == 0xf6 ? 2 : 1) - (mem ? 0 : 1));
            return true;
        case 2: case 3: /* NOT, NEG */
            if (mem) {
                b86_wait(b, 2);
                b86_rni(b);
            }
            return true;
        default:
            return b86_muldiv(b, in, op, mem);
        }
    case 0xff:
        if (in->reg == 2) { /* CALL r/m */
            b86_emit(b, B86_SUSP, 0x81);
            b86_wait(b, !mem ? 5 : 4);
            b86_emit(b, B86_FLUSH, 0);
            b86_wait(b, 2);
            b86_rni(b);
            return true;
        }
        if (in->reg <= 1) { /* INC/DEC r/m */
            if (mem) {
                b86_wait(b, 2);
                b86_rni(b);
            }
            return true;
        }
        if (in->reg == 3 && mem) { /* CALL far [m] */
            b86_wait(b, 1);
            b86_bus(b, 1);
            b86_emit(b, B86_SUSP, 1);
            b86_wait(b, 5);
            b86_bus(b, 1);
            b86_wait(b, 4);
            b86_emit(b, B86_FLUSH, 0);
            b86_wait(b, 2);
            b86_rni(b);
            return true;
        }
        if (in->reg == 5 && mem) { /* JMP far [m] */
            b86_wait(b, 1);
            b86_emit(b, B86_SUSP, 1);
            b86_wait(b, 1);
            b86_bus(b, 1);
            b86_wait(b, 1);
            b86_emit(b, B86_FLUSH, 0);
            return true;
        }
        if (in->reg == 4) { /* JMP r/m */
            if (0) {
                b86_emit(b, B86_SUSP, 0x81);
                b86_wait(b, mem ? 1 : 3);
            } else {
                b86_wait(b, mem ? 0 : 0);
                b86_emit(b, B86_SUSP, 2 | 2 << 4);
            }
            b86_emit(b, B86_FLUSH, 0);
            return true;
        }
        if (in->reg == 6) { /* PUSH r/m */
            b86_wait(b, mem ? 3 : 3);
            b86_rni(b);
            return true;
        }
        return false;
    case 0xfe:
        if (in->reg <= 1) { /* INC/DEC r/m */
            if (mem) {
                b86_wait(b, 2);
                b86_rni(b);
            }
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* The other instructions: positions from the calibrated parameter table. */
static void b86_generic(struct biu8086 *b, const struct x86_insn *in, unsigned op, unsigned have)
{
    unsigned nev = b86_nev(b);
    bool taken = (uint16_t)(b->cpu->rip) != (uint16_t)(b->cpu->insn_rip + in->len);
    const struct biu8086_params *p =
        &b->params[biu8086_param_key(op, in->reg, in->has_modrm && in->mem)];
    if (have < in->len) {
        b86_wait(b, (unsigned)p->imm_wait);
        b86_q(b, in->len - have);
    }
    for (unsigned i = 0; i < nev; i++) {
        /* the fitted positions count the clock that announces the request */
        b86_wait(b, (unsigned)(i ? p->between : p->pre) + 1);
        b86_bus(b, 1);
    }
    if (taken) {
        b86_wait(b, (unsigned)p->jump);
        b86_emit(b, B86_FLUSH, 0);
        b86_wait(b, (unsigned)p->jpost);
    } else {
        b86_wait(b, (unsigned)p->post);
    }
}

/* Builds the EU program of the decoded instruction. */
static void b86_program(struct biu8086 *b)
{
    const struct x86_insn *in = &b->in;
    unsigned op = in->op & 0xff;
    b->nprog = 0;
    unsigned have = b86_decode_phase(b, in, op);
    unsigned mark = b->nprog;
    if (b86_execute(b, in, op, have))
        return;
    /* generic: the old positions counted from the ModRM byte */
    b->nprog = mark;
    if (!b86_has_modrm(in))
        b->nprog = mark;
    b86_generic(b, in, op, have);
}

void biu8086_retire(struct biu8086 *b)
{
    if (!b->have_insn)
        return;
    b->have_insn = false;
    b->clock = b->cpu->cycles > b->clock ? b->cpu->cycles : b->clock;
    b86_program(b);
    b86_run(b);
    b->cpu->cycles = b->clock;
    b->expect_lin = (uint32_t)((b->cpu->seg[X86_SEG_CS].base + b->cpu->rip) & 0xfffff);
}

/* For the SingleStepTests harness: clocks after the instruction until the
 * EU can take the next opcode byte (the captures end just before it). */
void biu8086_until_next(struct biu8086 *b)
{
    b->nprog = 0;
    /* run the clocks while the queue is empty, without taking the byte */
    for (unsigned guard = 0; guard < 64 && (b->qn == 0 || b->clock < b->qready[0]); guard++) {
        unsigned qn_start = b->qn;
        b86_record(b, B86_QS_NONE, 0);
        b86_biu_advance(b, qn_start);
        if (b->hold)
            b->hold--;
        b->clock++;
    }
}
