/* biu_286.c: the Intel 80286 bus unit, decoder and EU bus timing, clock by
 * clock, behind the pipeline timing model with the "286" table.
 * Intel 80286 Hardware Reference Manual (1987) ch. 6 (2-clock pipelined bus
 * cycles, 6-byte prefetch queue); clock positions measured on the
 * SingleStepTests 80286 real-mode captures (docs/timing.md).
 *
 * The model, as the captures show it:
 * - the prefetcher starts a word fetch (Ts, Tc; the bytes are usable two
 *   clocks after Ts, later with wait states) whenever the bus is free, no
 *   EU cycle is due and at most 4 fetched bytes wait in the 6-byte queue;
 * - the decoder takes one byte per clock as it arrives; a sign-extended
 *   8-bit displacement or immediate takes two clocks. It starts the next
 *   instruction one clock before the EU starts the current one;
 * - the EU starts an instruction when it is decoded and the previous one
 *   has ended, three clocks after the decode when it is the first after a
 *   queue flush; its data cycles follow an EU program per opcode and form
 *   (biu_286_params.h): clocks to the first request, then gaps after each
 *   read's data or each write's first clock, the flush, and the end. A
 *   word at an odd address is two byte cycles back to back; the EU waits
 *   for a read's last one and goes on one clock after a write's first.
 * The EU programs were fitted per opcode to the captures; the instruction
 * is replayed at retire, with the next instruction's bytes read ahead so
 * the decoder and prefetcher run on while the EU works. */
#include "models/cpu/x86/biu_286.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/cpu/x86/biu_286_params.h"
#include "models/cpu/x86/x86_cpu.h"

#define B286_QUEUE_ROOM 4    /* fetch while at most this many bytes wait */
#define B286_EU_DELAY 3      /* decode to EU start after a flush */
#define B286_DECODE_LEAD 1   /* next decode starts this many clocks before the EU start */
#define B286_RING 8          /* fetched words remembered */
#define B286_REQS 8          /* pending bus cycles */
#define B286_NEVER UINT64_MAX
#define B286_KEYS (1u << 17)  /* program keys (biu_286_params.h) */
#define B286_UNKNOWN 0xffffu

enum { B286_R, B286_W, B286_J, B286_E, B286_H }; /* access kinds; E = the end */

struct b286_access {
    uint8_t kind;        /* B286_R, B286_W, B286_J, B286_H */
    uint8_t ncyc;        /* bus cycles (2: an odd word) */
    uint8_t size;
    uint8_t bus_kind;    /* enum bus_kind of its cycles */
    bool iter_start;     /* first of a REP iteration's two transfers (MOVS, CMPS, INS, OUTS) */
    uint8_t exc_pos;     /* 1-6: the pushes, vector reads and flush of an exception entry */
    uint64_t lin;
};

/* One instruction as the decoder takes it. */
struct b286_slot {
    bool used, pseudo;   /* pseudo: an interrupt entry, nothing to decode */
    uint64_t lin;
    unsigned n;          /* bytes */
    uint8_t clk[16];     /* decode clocks per byte */
    unsigned pos;        /* bytes decoded */
    uint64_t from;       /* decoding may start at this clock */
    uint64_t done;       /* decode end, B286_NEVER until then */
    bool after_flush;
};

struct b286_req {
    uint64_t ready;      /* B286_NEVER: after the previous cycle */
    uint8_t kind;        /* B286_R, B286_W, B286_H */
    uint8_t bus_kind;
    bool last, first;
    uint8_t exc_pos;
    uint64_t lin;
    uint64_t asked;      /* when the EU asked (for the owners) */
};

struct biu286 {
    struct x86_cpu *cpu;
    struct biu286_env env;
    const uint8_t *exec;
    bool trace;
    uint16_t *prog_index;   /* key -> 1 + entry in b286_progs after the fallbacks, 0: none,
                             * B286_UNKNOWN: not looked up yet */
    uint64_t *own_execute, *own_fetch, *own_flush, *own_data, *own_flushes;

    uint64_t t;          /* next clock to simulate */
    uint64_t busy;       /* the bus is free from this clock */
    uint64_t last_end;   /* end of the last instruction */
    uint64_t trace_base;

    uint64_t fetch_lin;
    uint64_t arr_tag[B286_RING], arr_time[B286_RING];
    uint64_t consumed;   /* first byte the decoder has not taken */

    struct b286_slot slot[2]; /* the instruction the EU takes next, and the one after */
    struct b286_slot *dec;    /* the slot the decoder works on, or NULL */
    uint64_t dec_free;
    struct b286_fill {        /* decode clocks of recent instructions, by address */
        uint64_t lin, bytes;
        uint8_t n, clk[16];
    } fills[256];

    /* the instruction being timed */
    bool have;
    struct x86_insn in;
    uint64_t lin;
    unsigned count;      /* shift count (C0, C1, D2, D3) */
    bool carry;          /* CF before the instruction (SALC) */
    bool taken_to_next;  /* a short jump taken to the next instruction (still a flush) */
    bool rep_more;       /* a REP string instruction goes on with its next iteration */
    bool exc;            /* real-mode exception or INT: the core's stack and vector accesses replaced */
    int vector;
    uint64_t exc_sp, exc_ss;
    struct b286_access *acc;
    unsigned nacc, cap;

    /* EU and BIU while replaying it */
    struct b286_req req[B286_REQS];
    unsigned rq_head, rq_n;
    bool waiting;
    uint64_t eu_t, start, end;
    unsigned ai;
    int8_t gap[3][4];
    int8_t exc_gap[6];
    uint64_t data_wait;
    uint64_t tgt;
};


struct biu286 *biu286_create(struct x86_cpu *cpu, const struct biu286_env *env,
                             const uint8_t *exec_table)
{
    struct biu286 *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cpu = cpu;
    b->env = *env;
    b->exec = exec_table;
    b->trace = getenv("B286_TRACE") != NULL;
    b->prog_index = malloc(B286_KEYS * sizeof *b->prog_index);
    if (!b->prog_index) {
        free(b);
        return NULL;
    }
    /* filled as keys come up (b286_program) */
    memset(b->prog_index, 0xff, B286_KEYS * sizeof *b->prog_index);
    return b;
}

void biu286_destroy(struct biu286 *b)
{
    if (!b)
        return;
    free(b->acc);
    free(b->prog_index);
    free(b);
}

void biu286_set_owners(struct biu286 *b, uint64_t *execute, uint64_t *fetch_stall,
                       uint64_t *flush_stall, uint64_t *data_stall, uint64_t *flushes)
{
    b->own_execute = execute;
    b->own_fetch = fetch_stall;
    b->own_flush = flush_stall;
    b->own_data = data_stall;
    b->own_flushes = flushes;
}

static void b286_clear_ring(struct biu286 *b)
{
    for (unsigned i = 0; i < B286_RING; i++)
        b->arr_tag[i] = B286_NEVER;
}

void biu286_reset(struct biu286 *b, uint64_t now)
{
    b->t = now;
    b->trace_base = now;
    if (b->trace)
        fprintf(stderr, "\n");
    b->busy = now;
    b->last_end = now;
    b->slot[0].used = b->slot[1].used = false;
    b->dec = NULL;
    for (unsigned i = 0; i < 256; i++)
        b->fills[i].lin = B286_NEVER;
    b->dec_free = now;
    b->have = false;
    b->nacc = 0;
    b->rq_n = 0;
    b286_clear_ring(b);
}

/* --- instruction formats --------------------------------------------------------- */

static bool b286_is_prefix(uint8_t v)
{
    return v == 0x26 || v == 0x2e || v == 0x36 || v == 0x3e || v == 0xf0 || v == 0xf2 ||
           v == 0xf3;
}

static bool b286_has_modrm(unsigned op)
{
    if (op < 0x40)
        return (op & 7) < 4;
    if (op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6b)
        return true;
    if (op >= 0x80 && op <= 0x8f)
        return true;
    if (op == 0xc0 || op == 0xc1 || (op >= 0xc4 && op <= 0xc7))
        return true;
    if (op >= 0xd0 && op <= 0xd3)
        return true;
    if (op >= 0xd8 && op <= 0xdf)
        return true;
    return op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
}

/* Immediate fields after the ModRM: sizes, an 8-bit one sign-extended
 * (two decode clocks) marked by a negative size. Up to two. */
static unsigned b286_imms(unsigned op, unsigned reg, int out[2])
{
    int n = 0;
    if (op < 0x40 && (op & 7) == 4)
        out[n++] = 1;
    else if (op < 0x40 && (op & 7) == 5)
        out[n++] = 2;
    else if (op == 0x68 || op == 0x69 || op == 0x81 || op == 0xa9 || op == 0xc7 || op == 0xe8 ||
             op == 0xe9 || op == 0xc2 || op == 0xca || (op >= 0xa0 && op <= 0xa3) ||
             (op >= 0xb8 && op <= 0xbf) || (op == 0xf7 && reg < 2))
        out[n++] = 2;
    else if (op == 0x6a || op == 0x6b || op == 0x83 || (op >= 0x70 && op <= 0x7f) ||
             (op >= 0xe0 && op <= 0xe3) || op == 0xeb)
        out[n++] = -1;
    else if (op == 0x80 || op == 0x82 || op == 0xa8 || (op >= 0xb0 && op <= 0xb7) ||
             op == 0xc0 || op == 0xc1 || op == 0xc6 || op == 0xcd || op == 0xd4 || op == 0xd5 ||
             (op >= 0xe4 && op <= 0xe7) || (op == 0xf6 && reg < 2))
        out[n++] = 1;
    else if (op == 0x9a || op == 0xea) {
        out[n++] = 2;
        out[n++] = 2;
    } else if (op == 0xc8) {
        out[n++] = 2;
        out[n++] = 1;
    }
    return (unsigned)n;
}

/* Fills the decode clocks of the instruction in `bytes` (up to n valid). */
static void b286_slot_fill(struct b286_slot *s, uint64_t lin, const uint8_t *bytes, unsigned n)
{
    unsigned i = 0, k = 0;
    s->lin = lin;
    while (i < n && i < 10 && b286_is_prefix(bytes[i]))
        s->clk[k++] = 1, i++;
    unsigned op = i < n ? bytes[i] : 0x90;
    s->clk[k++] = 1, i++;
    unsigned reg = 0;
    if (op == 0x0f) {
        /* 0F xx: the second opcode byte, a ModRM for the system groups */
        unsigned op2 = i < n ? bytes[i] : 0;
        s->clk[k++] = 1, i++;
        if (op2 < 4)
            op = 0x100;
        else
            goto done;
    }
    if (op == 0x100 || b286_has_modrm(op)) {
        uint8_t m = i < n ? bytes[i] : 0;
        s->clk[k++] = 1, i++;
        unsigned mod = m >> 6, rm = m & 7;
        reg = (m >> 3) & 7;
        if (mod == 1) {
            s->clk[k++] = 2, i++;
        } else if (mod == 2 || (mod == 0 && rm == 6)) {
            s->clk[k++] = 1, i++;
            s->clk[k++] = 1, i++;
        }
    }
    if (op < 0x100) {
        int imm[2];
        unsigned ni = b286_imms(op, reg, imm);
        for (unsigned j = 0; j < ni && k < 15; j++) {
            if (imm[j] < 0) {
                s->clk[k++] = 2, i++;
            } else {
                for (int x = 0; x < imm[j] && k < 15; x++)
                    s->clk[k++] = 1, i++;
            }
        }
    }
done:
    s->n = k;
    s->pos = 0;
    s->done = B286_NEVER;
    s->used = true;
    s->pseudo = false;
}

/* b286_slot_fill through a small cache: the decode clocks depend only on
 * the first bytes (prefixes, opcode, ModRM), compared here as eight. */
static void b286_fill(struct biu286 *b, struct b286_slot *s, uint64_t lin, const uint8_t *bytes,
                      unsigned n)
{
    uint64_t key = 0;
    memcpy(&key, bytes, n < 8 ? n : 8);
    struct b286_fill *f = &b->fills[lin & 255];
    if (f->lin == lin && f->bytes == key && n >= 8) {
        s->lin = lin;
        s->n = f->n;
        memcpy(s->clk, f->clk, sizeof s->clk);
        s->pos = 0;
        s->done = B286_NEVER;
        s->used = true;
        s->pseudo = false;
        return;
    }
    b286_slot_fill(s, lin, bytes, n);
    f->lin = lin;
    f->bytes = key;
    f->n = (uint8_t)s->n;
    memcpy(f->clk, s->clk, sizeof f->clk);
}

/* The decoder works on the oldest slot not yet decoded; an interrupt
 * entry (pseudo) has nothing to decode and holds the next one back. */
static void b286_dec_select(struct biu286 *b)
{
    struct b286_slot *s0 = &b->slot[0], *s1 = &b->slot[1];
    if (s0->used && s0->done == B286_NEVER)
        b->dec = s0->pseudo ? NULL : s0;
    else if (s1->used && s1->done == B286_NEVER && !s1->pseudo)
        b->dec = s1;
    else
        b->dec = NULL;
}

/* --- the program of the instruction ------------------------------------------------ */

static bool b286_group(unsigned op)
{
    return (op >= 0x80 && op <= 0x83) || op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3) ||
           op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
}

static const struct b286_prog_entry *b286_find(unsigned key)
{
    size_t lo = 0, hi = sizeof b286_progs / sizeof b286_progs[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b286_progs[mid].key == key)
            return &b286_progs[mid];
        if (b286_progs[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The EU program: table entry by opcode and form, falling back to the
 * entry without the odd-address split, without the flush, and last to
 * the 286 table's execute clocks. */
static int b286_program(struct biu286 *b, bool split, bool flush, int *pre, int *e, int *jpos)
{
    const struct x86_insn *in = &b->in;
    unsigned op = in->op < 0x100 ? in->op : 0x1ff;
    unsigned key = op & 0x1ff;
    if (b286_group(op))
        key |= (unsigned)(in->reg & 7) << 9;
    if (in->has_modrm && in->mem)
        key |= 1u << 12;
    bool shift = op == 0xc0 || op == 0xc1 || op == 0xd2 || op == 0xd3;
    bool string = (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
                  (op >= 0x6c && op <= 0x6f);
    /* the variant: a shift by 0, a REP string instruction, SALC with CF set */
    if ((shift && b->count == 0) || (string && in->rep) || (op == 0xd6 && b->carry))
        key |= 1u << 15;
    /* base + index + displacement: an address clock more, not always first */
    if (in->has_modrm && in->mem && (in->mod == 1 || in->mod == 2) && (in->rm & 7) < 4)
        key |= 1u << 16;
    if (split)
        key |= 1u << 13;
    if (flush)
        key |= 1u << 14;
    if (split && !b286_group(op)) {
        /* which of the reads and writes were odd words */
        for (unsigned i = 0; i < b->nacc; i++)
            if (b->acc[i].ncyc > 1)
                key |= (b->acc[i].kind == B286_R ? 1u : 2u) << 9;
    }
    unsigned idx = b->prog_index[key];
    if (idx == B286_UNKNOWN) {
        /* the entry itself, else without which accesses split, without the
         * odd-address split, without the flush, without both */
        unsigned detail = b286_group(key & 0x1ff) ? 0 : 3u << 9;
        unsigned nosplit = key & ~((1u << 13) | detail);
        const unsigned tries[] = { key, key & ~detail, nosplit, key & ~(1u << 14),
                                   nosplit & ~(1u << 14) };
        idx = 0;
        for (unsigned i = 0; i < 5 && !idx; i++) {
            const struct b286_prog_entry *hit = b286_find(tries[i]);
            if (hit)
                idx = (unsigned)(hit - b286_progs + 1);
        }
        b->prog_index[key] = (uint16_t)idx;
    }
    const struct b286_prog_entry *p = idx ? &b286_progs[idx - 1] : NULL;
    if (!p) {
        /* no capture for this form: the documented execute clocks */
        *pre = 2;
        *e = b->exec[in->op & 0x1ff];
        *jpos = (int)b->nacc;
        static const int8_t dflt[3][4] = { { 0, 2, 3, 1 }, { 0, 0, 0, 0 }, { 0, 0, 0, 4 } };
        memcpy(b->gap, dflt, sizeof b->gap);
        static const int8_t dflt_exc[6] = { 1, 1, 1, 0, 4, 6 }; /* INT's, as captured */
        memcpy(b->exc_gap, dflt_exc, sizeof b->exc_gap);
        return 0;
    }
    *pre = p->pre;
    *e = p->e;
    *jpos = p->jpos;
    memcpy(b->gap, p->gap, sizeof b->gap);
    memcpy(b->exc_gap, p->exc, sizeof b->exc_gap);
    if (shift && b->count > 1) {
        /* one clock per bit beyond the first: in the register form's
         * execute clocks, after the read of the memory form */
        if (!in->mem)
            *e += (int)b->count - 1;
        else
            for (unsigned k = 0; k < 4; k++)
                b->gap[B286_R][k] = (int8_t)(b->gap[B286_R][k] + (int)b->count - 1);
    }
    return 0;
}

/* --- clock loop -------------------------------------------------------------------- */

static uint64_t *b286_arrival(struct biu286 *b, uint64_t word)
{
    unsigned i = (unsigned)(word >> 1) & (B286_RING - 1);
    return b->arr_tag[i] == word ? &b->arr_time[i] : NULL;
}

static void b286_decoder(struct biu286 *b, uint64_t t)
{
    struct b286_slot *s = b->dec;
    if (!s || t < b->dec_free || t < s->from)
        return;
    uint64_t addr = s->lin + s->pos;
    uint64_t *arr = b286_arrival(b, addr & ~1ull);
    if (!arr || *arr > t)
        return;
    unsigned cl = s->clk[s->pos];
    b->dec_free = t + cl;
    b->consumed = addr + 1;
    if (++s->pos == s->n) {
        s->done = t + cl;
        b286_dec_select(b);
    }
}

static void b286_push_req(struct biu286 *b, const struct b286_access *a, uint64_t at)
{
    for (unsigned k = 0; k < a->ncyc && b->rq_n < B286_REQS; k++) {
        struct b286_req *r = &b->req[(b->rq_head + b->rq_n++) % B286_REQS];
        r->ready = k == 0 ? at : B286_NEVER;
        r->kind = a->kind;
        r->bus_kind = a->bus_kind;
        r->first = k == 0;
        r->last = k + 1 == a->ncyc;
        r->exc_pos = a->exc_pos;
        r->lin = a->lin + k;
        r->asked = at;
    }
}

static unsigned b286_next_kind(const struct biu286 *b)
{
    if (b->ai >= b->nacc)
        return B286_E;
    if (b->acc[b->ai].iter_start)
        return B286_J;
    unsigned k = b->acc[b->ai].kind;
    return k == B286_H ? B286_W : k;
}

/* The queue is discarded; fetching and decoding restart at the target. */
static void b286_flush(struct biu286 *b, uint64_t t)
{
    b->fetch_lin = b->tgt & ~1ull;
    b286_clear_ring(b);
    b->consumed = b->tgt;
    struct b286_slot *s = &b->slot[1];
    uint8_t bytes[16];
    unsigned n = b->env.peek(b->env.ctx, b->tgt, bytes, sizeof bytes);
    b286_fill(b, s, b->tgt, bytes, n);
    s->from = t;
    s->after_flush = true;
    b->dec_free = t;
    b286_dec_select(b);
    if (b->own_flushes)
        (*b->own_flushes)++;
}

/* Runs the clocks of the instruction being replayed until its end. */
static void b286_run(struct biu286 *b, int pre, int e)
{
    enum { WAIT, RUN, DONE } stage = WAIT;
    struct b286_slot *cur = &b->slot[0];
    uint64_t guard = b->t + 1000000;
    b->ai = 0;
    b->waiting = false;
    b->end = B286_NEVER;
    b->data_wait = 0;
    for (uint64_t t = b->t;; t++) {
        uint64_t cons_prev = b->consumed;
        b286_decoder(b, t);
        if (stage == WAIT && (cur->pseudo || cur->done != B286_NEVER)) {
            uint64_t s = cur->pseudo ? t : cur->done + (cur->after_flush ? B286_EU_DELAY : 0);
            if (s < b->last_end)
                s = b->last_end;
            if (b->slot[1].used && b->slot[1].from == B286_NEVER)
                b->slot[1].from = s > B286_DECODE_LEAD ? s - B286_DECODE_LEAD : 0;
            if (t >= s) {
                /* s may lie a clock behind when the previous replay ran
                 * on to its end */
                stage = RUN;
                b->start = s;
                if (b->trace)
                    fprintf(stderr, " [S%llu D%llu]", (unsigned long long)(s - b->trace_base),
                            (unsigned long long)(cur->pseudo ? 0 : cur->done - b->trace_base));
                b->eu_t = s + (uint64_t)(b->nacc ? pre : e);
            }
        }
        if (stage == RUN && !b->waiting && t >= b->eu_t && (b->rq_n == 0 || b->ai >= b->nacc)) {
            if (b->ai < b->nacc && b->acc[b->ai].kind == B286_J) {
                b->ai++;
                b286_flush(b, t);
                cons_prev = b->consumed;
                int g = b->acc[b->ai - 1].exc_pos ? b->exc_gap[5]
                                                  : b->gap[B286_J][b286_next_kind(b)];
                b->eu_t = t + (uint64_t)(int64_t)g;
            } else if (b->ai < b->nacc) {
                b286_push_req(b, &b->acc[b->ai], b->eu_t);
                b->ai++;
                b->waiting = true;
            }
        }
        if (stage == RUN && !b->waiting && b->ai >= b->nacc) {
            /* nothing left but clocks: the end is known */
            b->end = b->eu_t;
            stage = DONE;
        }
        if (b->busy <= t) {
            struct b286_req *r = b->rq_n ? &b->req[b->rq_head] : NULL;
            if (r && r->ready <= t) {
                struct b286_req q = *r;
                b->rq_head = (b->rq_head + 1) % B286_REQS;
                b->rq_n--;
                if (b->trace)
                    fprintf(stderr, " %llu%c", (unsigned long long)(t - b->trace_base), "RWJH"[q.kind]);
                if (q.kind == B286_H) {
                    b->busy = t + 2;
                    b->end = t;
                    b->waiting = false;
                    b->data_wait += t - q.asked;
                    stage = DONE;
                } else {
                    uint64_t lat = 2 + b->env.data(b->env.ctx, q.lin, 2, (enum bus_kind)q.bus_kind, t);
                    b->busy = t + lat;
                    if (b->rq_n)
                        b->req[b->rq_head].ready = b->busy;
                    if (q.first)
                        b->data_wait += t - q.asked;
                    unsigned nk = b286_next_kind(b);
                    int xg = q.exc_pos ? b->exc_gap[q.exc_pos - 1] : 0;
                    if (q.kind == B286_R && q.last) {
                        b->waiting = false;
                        b->data_wait += lat;
                        b->eu_t = t + lat + (uint64_t)(int64_t)(q.exc_pos ? xg : b->gap[B286_R][nk]);
                    } else if (q.kind == B286_W && q.first) {
                        b->waiting = false;
                        b->eu_t = t + 1 + (uint64_t)(int64_t)(q.exc_pos ? xg : b->gap[B286_W][nk]);
                    }
                    if (!b->waiting && b->ai >= b->nacc && stage == RUN) {
                        b->end = b->eu_t;
                        stage = DONE;
                    }
                }
            } else if (!(r && r->ready != B286_NEVER && r->ready <= t) &&
                       b->fetch_lin <= cons_prev + B286_QUEUE_ROOM) {
                if (b->trace)
                    fprintf(stderr, " %lluF", (unsigned long long)(t - b->trace_base));
                uint64_t lat = 2 + b->env.fetch(b->env.ctx, b->fetch_lin, t);
                unsigned i = (unsigned)(b->fetch_lin >> 1) & (B286_RING - 1);
                b->arr_tag[i] = b->fetch_lin;
                b->arr_time[i] = t + lat;
                b->fetch_lin += 2;
                b->busy = t + lat;
            }
        }
        /* the clocks from end - 1 on may see the decoder start the
         * instruction after next, which the next replay knows */
        if (stage == DONE && (t + 2 >= b->end || t >= guard)) {
            b->t = t + 1;
            return;
        }
        if (t >= guard) {
            b->end = t;
            b->t = t + 1;
            return;
        }
    }
}

/* --- hooks ----------------------------------------------------------------------------- */

static void b286_add(struct biu286 *b, unsigned kind, uint64_t lin, unsigned size,
                     enum bus_kind bk)
{
    if (b->nacc == b->cap) {
        unsigned cap = b->cap ? 2 * b->cap : 64;
        struct b286_access *n = realloc(b->acc, cap * sizeof *n);
        if (!n)
            return;
        b->acc = n;
        b->cap = cap;
    }
    struct b286_access *a = &b->acc[b->nacc++];
    a->kind = (uint8_t)kind;
    a->lin = lin;
    a->size = (uint8_t)size;
    a->bus_kind = (uint8_t)bk;
    a->ncyc = (uint8_t)(size == 2 && (lin & 1) ? 2 : 1);
    a->iter_start = false;
    a->exc_pos = 0;
}

/* A transfer of `size` bytes as the 16-bit bus does it: words (an odd one
 * is two byte cycles back to back), one access each. */
static void b286_transfer(struct biu286 *b, unsigned kind, uint64_t lin, unsigned size,
                          enum bus_kind bk)
{
    while (size) {
        unsigned n = size >= 2 ? 2 : 1;
        b286_add(b, kind, lin, n, bk);
        lin += n;
        size -= n;
    }
}

static void b286_process(struct biu286 *b, uint64_t next_lin);

/* Whether a short jump (Jcc, JMP, LOOPs, JCXZ) is taken, from the state
 * before it: a jump by 0 lands where the core goes on anyway, but the
 * 80286 still flushes its queue for it. */
static bool b286_short_jump_taken(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned op = in->op;
    if (op == 0xeb)
        return true;
    uint32_t f = (op >= 0x70 && op <= 0x7f) || op == 0xe0 || op == 0xe1 ? x86_get_flags(cpu) : 0;
    bool zf = f & 0x40, cf = f & 1, sf = f & 0x80, of = f & 0x800, pf = f & 4;
    uint16_t cx = (uint16_t)cpu->regs[1];
    switch (op) {
    case 0xe0: return cx != 1 && !zf;
    case 0xe1: return cx != 1 && zf;
    case 0xe2: return cx != 1;
    case 0xe3: return cx == 0;
    default: break;
    }
    if (op < 0x70 || op > 0x7f)
        return false;
    bool c;
    switch ((op >> 1) & 7) {
    case 0: c = of; break;
    case 1: c = cf; break;
    case 2: c = zf; break;
    case 3: c = cf || zf; break;
    case 4: c = sf; break;
    case 5: c = pf; break;
    case 6: c = sf != of; break;
    default: c = zf || sf != of; break;
    }
    return (op & 1) ? !c : c;
}

void biu286_decode(struct biu286 *b, const struct x86_insn *in)
{
    struct x86_cpu *cpu = b->cpu;
    uint64_t lin = (cpu->seg[X86_SEG_CS].base + cpu->insn_rip) & 0xffffffffu;
    if (b->have && b->rep_more && lin == b->lin) {
        /* the core runs a REP string instruction an iteration at a time:
         * the EU program spans all of them */
        b->rep_more = false;
        return;
    }
    b->rep_more = false;
    if (b->have)
        b286_process(b, lin); /* a faulted instruction or an interrupt entry */
    if (cpu->cycles > b->last_end) {
        /* time went on outside the model (halt, a switch): start afresh */
        biu286_reset(b, cpu->cycles);
    }
    b->have = true;
    b->in = *in;
    b->lin = lin;
    b->nacc = 0;
    b->exc = false;
    b->count = 0;
    if (in->op == 0xc0 || in->op == 0xc1)
        b->count = (unsigned)in->imm & 31;
    else if (in->op == 0xd2 || in->op == 0xd3)
        b->count = (unsigned)cpu->regs[1] & 31;
    b->carry = in->op == 0xd6 && (x86_get_flags(cpu) & 1);
    b->taken_to_next = in->len && in->bytes[in->len - 1] == 0 && b286_short_jump_taken(cpu, in);
    struct b286_slot *s = &b->slot[0];
    if (!s->used || s->pseudo || s->lin != lin) {
        /* not the bytes read ahead: a transfer the model did not see */
        if (s->used && b->own_flushes)
            (*b->own_flushes)++;
        b->fetch_lin = lin & ~1ull;
        b286_clear_ring(b);
        b->consumed = lin;
        b286_slot_fill(s, lin, in->bytes, in->len);
        s->from = b->t;
        s->after_flush = true;
        b->dec_free = b->t;
        b->slot[1].used = false;
        b286_dec_select(b);
    }
}

void biu286_mem(struct biu286 *b, uint64_t lin, unsigned size, bool write)
{
    if (!b->have || b->exc)
        return;
    b286_transfer(b, write ? B286_W : B286_R, lin, size, write ? BUS_WRITE : BUS_READ);
}

void biu286_io(struct biu286 *b, uint16_t port, unsigned size, bool write)
{
    if (!b->have || b->exc)
        return;
    b286_transfer(b, write ? B286_W : B286_R, port, size, write ? BUS_IO_WRITE : BUS_IO_READ);
}

void biu286_exception(struct biu286 *b, int vector)
{
    struct x86_cpu *cpu = b->cpu;
    if (!b->have) {
        /* an external interrupt between instructions: its entry is a
         * pseudo-instruction timed like INT 3 */
        b->have = true;
        memset(&b->in, 0, sizeof b->in);
        b->in.op = 0xcc;
        b->lin = (cpu->seg[X86_SEG_CS].base + cpu->rip) & 0xffffffffu;
        b->nacc = 0;
        b->count = 0;
        b->slot[0].used = true;
        b->slot[0].pseudo = true;
        b->slot[0].lin = b->lin;
        b->slot[1].used = false;
        b286_dec_select(b);
    }
    if (cpu->pe)
        return; /* protected mode: the core's own accesses */
    /* real mode: FLAGS, CS, IP pushed, then the vector read, as the bus
     * shows them (the core reads the vector first) */
    b->exc = true;
    uint64_t ss = cpu->seg[X86_SEG_SS].base;
    uint16_t sp = (uint16_t)cpu->regs[4];
    for (unsigned k = 1; k <= 3; k++) {
        b286_add(b, B286_W, (ss + (uint16_t)(sp - 2 * k)) & 0xffffff, 2, BUS_WRITE);
        b->acc[b->nacc - 1].exc_pos = (uint8_t)k;
    }
    uint64_t iv = cpu->idt_base + (uint64_t)vector * 4;
    b286_add(b, B286_R, iv, 2, BUS_READ);
    b->acc[b->nacc - 1].exc_pos = 4;
    b286_add(b, B286_R, iv + 2, 2, BUS_READ);
    b->acc[b->nacc - 1].exc_pos = 5;
}

void biu286_retire(struct biu286 *b)
{
    if (!b->have)
        return;
    struct x86_cpu *cpu = b->cpu;
    uint64_t next = (cpu->seg[X86_SEG_CS].base + cpu->rip) & 0xffffffffu;
    if (b->in.rep && next == b->lin) {
        b->rep_more = true;
        return;
    }
    b286_process(b, next);
}

/* Replays the instruction; next_lin is where the core goes on. */
static void b286_process(struct biu286 *b, uint64_t next_lin)
{
    struct x86_cpu *cpu = b->cpu;
    b->have = false;
    const struct x86_insn *in = &b->in;
    /* a HLT's next address may wrap at 64K: a halt transfers nowhere */
    bool flush = b->slot[0].pseudo || (next_lin != b->lin + in->len && in->op != 0xf4) ||
                 b->taken_to_next;
    if ((in->op == 0xc0 || in->op == 0xc1 || in->op == 0xd2 || in->op == 0xd3) && b->count == 0) {
        /* a shift by 0 reads its operand and writes nothing back */
        unsigned k = 0;
        for (unsigned i = 0; i < b->nacc; i++)
            if (b->acc[i].kind != B286_W)
                b->acc[k++] = b->acc[i];
        b->nacc = k;
    }
    bool split = false;
    for (unsigned i = 0; i < b->nacc; i++)
        split |= b->acc[i].ncyc > 1;
    if (in->rep && ((in->op >= 0xa4 && in->op <= 0xa7) || (in->op >= 0x6c && in->op <= 0x6f))) {
        /* REP MOVS, CMPS, INS, OUTS: two transfers an iteration; the gap
         * into the next iteration is the program's flush column */
        for (unsigned i = 2; i < b->nacc; i += 2)
            b->acc[i].iter_start = true;
    }
    int pre, e, jpos;
    b286_program(b, split, flush, &pre, &e, &jpos);
    if (in->op == 0xf4 && !b->slot[0].pseudo) {
        /* HLT: the halt bus cycle two clocks into it */
        b->nacc = 0;
        b286_add(b, B286_H, 2, 1, BUS_WRITE);
        pre = 2;
    }
    if (flush) {
        if (jpos > (int)b->nacc || jpos < 0)
            jpos = (int)b->nacc;
        b286_add(b, B286_J, 0, 0, BUS_FETCH);
        if (b->exc)
            b->acc[b->nacc - 1].exc_pos = 6;
        struct b286_access j = b->acc[b->nacc - 1];
        memmove(&b->acc[jpos + 1], &b->acc[jpos], (b->nacc - 1 - (unsigned)jpos) * sizeof j);
        b->acc[jpos] = j;
        b->tgt = next_lin;
        b->slot[1].used = false;
    } else if (in->op == 0xf4) {
        b->slot[1].used = false; /* the decoder stops at HLT */
    } else {
        uint8_t bytes[16];
        unsigned n = b->env.peek(b->env.ctx, next_lin, bytes, sizeof bytes);
        b286_fill(b, &b->slot[1], next_lin, bytes, n);
        b->slot[1].from = B286_NEVER;
        b->slot[1].after_flush = false;
    }
    b286_dec_select(b);
    bool after_flush = b->slot[0].after_flush;
    uint64_t begin = b->last_end;
    b286_run(b, pre, e);
    uint64_t end = b->end < b->start ? b->start : b->end;
    /* owners: waiting for the decode, for the bus, and the rest working */
    uint64_t span = end - begin, wait = b->start - begin;
    uint64_t data = b->data_wait < span - wait ? b->data_wait : span - wait;
    if (after_flush) {
        if (b->own_flush)
            *b->own_flush += wait;
    } else if (b->own_fetch) {
        *b->own_fetch += wait;
    }
    if (b->own_data)
        *b->own_data += data;
    if (b->own_execute)
        *b->own_execute += span - wait - data;
    b->last_end = end;
    cpu->cycles = end;
    /* the next instruction moves up */
    b->slot[0] = b->slot[1];
    b->slot[1].used = false;
    b286_dec_select(b);
    b->nacc = 0;
}
