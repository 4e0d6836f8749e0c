/* timing_pipeline.c: the x86 core's timing layer: the "functional" model
 * (the core's own cycle table) and the "pipeline" model, a bus interface
 * unit with a prefetch queue that fetches over bus transactions and shares
 * the bus with data accesses, in front of an execution unit with per-CPU
 * execute latencies; plus switching between them during a run.
 * Follows ARCHITECTURE.md "The CPU: one ISA, several timing models"; the
 * BIU/EU split and queue policy are those of the Intel iAPX 86/88 User's
 * Manual (1981) ch. 2 and the 80286 Hardware Reference Manual ch. 6. */
#include "models/cpu/x86/timing.h"

#include <stdlib.h>

#include "kernel/event.h"
#include "kernel/ytree.h"
#include "models/cpu/x86/biu_286.h"
#include "models/cpu/x86/biu_8086.h"
#include "models/cpu/x86/timing_mmu.h"
#include "models/cpu/x86/x86_cpu.h"
#include "models/memory/dram.h"

#define X86_TIMING_RING 64 /* fetch chunks remembered (>= queue / width + 1) */
#define X86_TIMING_MAX_SWITCHES 8

struct x86_timing_switch_at {
    enum { X86_SWITCH_MARKER, X86_SWITCH_TIME } when;
    char *marker;
    sim_time_t time;
    enum x86_timing_kind to;
    bool done;
};

struct x86_timing {
    struct x86_cpu *cpu;
    struct component *comp;
    enum x86_timing_kind kind;
    struct x86_timing_table tab;
    struct x86_timing_hooks hooks;
    unsigned width_shift;    /* log2(fetch_width) */
    uint64_t align_mask;     /* ~(fetch_align - 1) */
    uint64_t time_cycles;    /* cache of x86_timing_time_of */
    sim_time_t time_value;

    /* bus interface unit: all times in core clock cycles (cpu->cycles) */
    uint64_t bus_free;       /* the bus is idle from this cycle */
    uint64_t fetch_next;     /* linear address of the next code fetch */
    uint64_t fetch_start;    /* first fetched address since the last flush */
    uint64_t consume;        /* linear address the EU expects next */
    uint64_t room_time;      /* the last time the EU took bytes out of the queue */
    uint64_t ready[X86_TIMING_RING]; /* arrival cycle of each fetch chunk */
    bool queue_valid;
    bool catch_up;           /* count the clocks since the switch as functional */

    /* the instruction being timed */
    bool open;
    bool flushed;
    bool excepted;
    uint64_t span_start;     /* cpu->cycles when it began */
    uint64_t eu;             /* the EU's time inside it */
    uint64_t walks_before;
    unsigned exec;           /* execute clocks from the table */

    /* memory timing */
    struct dram_iface *dram;
    const char *dram_name;
    uint64_t mem_latency;    /* fixed extra clocks per access without a DRAM */
    sim_time_t period_ps;

    /* exact 8086 bus model (profile 8086) */
    struct biu8086 *b86;
    /* 80286 bus model (table 286 with its own geometry, pipeline.exact) */
    struct biu286 *b286;
    int exact;               /* pipeline.exact: -1 not given, 0, 1 */

    /* TLBs and page walks (pipeline.mmu; timing_mmu.c), or NULL */
    struct x86_tmmu *mmu;
    struct x86_tmmu_config mmu_cfg;
    bool mmu_wanted;

    /* switching */
    struct x86_timing_switch_at sw[X86_TIMING_MAX_SWITCHES];
    unsigned nsw;
    struct event switch_event;
    uint64_t kind_since;     /* cpu->cycles when the current kind began */

    struct x86_timing_stats st;
};

struct x86_timing *x86_timing_of(struct x86_cpu *cpu)
{
    return cpu ? cpu->timing : NULL;
}

struct biu8086 *x86_timing_biu8086(struct x86_timing *t)
{
    return t ? t->b86 : NULL;
}

enum x86_timing_kind x86_timing_kind(const struct x86_timing *t)
{
    return t->kind;
}

const struct x86_timing_stats *x86_timing_stats(const struct x86_timing *t)
{
    return &t->st;
}

uint64_t x86_timing_owned_cycles(const struct x86_timing *t)
{
    const struct x86_timing_stats *s = &t->st;
    return s->execute + s->fetch_stall + s->flush_stall + s->data_stall + s->walk + s->exception;
}

int x86_timing_parse_kind(const char *name, enum x86_timing_kind *out)
{
    if (!strcmp(name, "functional")) {
        *out = X86_TIMING_FUNCTIONAL;
        return 0;
    }
    if (!strcmp(name, "pipeline")) {
        *out = X86_TIMING_PIPELINE;
        return 0;
    }
    return -1;
}

/* --- memory latency ------------------------------------------------------- */

static uint64_t x86_timing_ps_to_cycles(const struct x86_timing *t, sim_time_t ps)
{
    if (!ps || !t->period_ps)
        return 0;
    return (ps + t->period_ps - 1) / t->period_ps;
}

/* Guest time of a core cycle, for transaction time stamps. Exact at a
 * recomputation; a few cycles later the period is added (sub-picosecond
 * error for those) to keep the 128-bit division off the per-fetch path. */
static sim_time_t x86_timing_time_of(struct x86_timing *t, uint64_t cycles)
{
    const struct x86_cpu *cpu = t->cpu;
    if (cycles >= t->time_cycles && cycles - t->time_cycles < 64 && t->time_cycles)
        return t->time_value + (sim_time_t)(cycles - t->time_cycles) * t->period_ps;
    t->time_cycles = cycles;
    t->time_value = cpu->time_origin + clock_cycles_to_time(cpu->clock, cycles);
    return t->time_value;
}

/* Physical address of a linear one, from the core's TLB only (a timing
 * model must not walk page tables or fault); false if not cached. */
static bool x86_timing_phys(const struct x86_timing *t, uint64_t lin, uint64_t *phys)
{
    const struct x86_cpu *cpu = t->cpu;
    if (!cpu->paging) {
        *phys = lin & cpu->a20_mask;
        return true;
    }
    const struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
    if (e->lin != (lin & ~0xfffull))
        return false;
    *phys = (e->phys | (lin & 0xfff)) & cpu->a20_mask;
    return true;
}

/* Memory clocks of one access beyond the bus cycle itself. */
static uint64_t x86_timing_mem_cycles(struct x86_timing *t, uint64_t phys, unsigned size,
                                      enum bus_kind kind, uint64_t start)
{
    if (!t->dram)
        return t->mem_latency;
    struct bus_tx tx = { 0 };
    tx.addr = phys;
    tx.size = (uint8_t)size;
    tx.kind = (uint8_t)kind;
    tx.initiator = t->cpu->id;
    tx.time = x86_timing_time_of(t, start);
    return x86_timing_ps_to_cycles(t, t->dram->access(t->dram->opaque, &tx));
}

/* Clocks the timing MMU charges for translating lin at core cycle `start`
 * (0 without an MMU model, without paging, or on a TLB hit). */
static uint64_t x86_timing_translate(struct x86_timing *t, uint64_t lin, bool fetch,
                                     uint64_t start)
{
    const struct x86_cpu *cpu = t->cpu;
    if (!t->mmu || !cpu->paging)
        return 0;
    struct x86_tmmu_mode mode = {
        .paging = true,
        .pae = (cpu->cr4 & X86_CR4_PAE) != 0,
        .pse = (cpu->cr4 & X86_CR4_PSE) != 0,
        .pge = (cpu->cr4 & X86_CR4_PGE) != 0,
        .lma = cpu->lma,
        .cr3 = cpu->cr3,
        .a20_mask = cpu->a20_mask,
    };
    return x86_tmmu_translate(t->mmu, &mode, lin, fetch, x86_timing_time_of(t, start),
                              t->period_ps);
}

/* --- bus interface unit ------------------------------------------------------ */

static void x86_timing_flush(struct x86_timing *t, uint64_t lin, uint64_t now)
{
    t->fetch_next = lin & t->align_mask;
    t->fetch_start = t->fetch_next;
    t->consume = lin;
    t->room_time = now;
    t->queue_valid = true;
}

static uint64_t *x86_timing_ready_slot(struct x86_timing *t, uint64_t chunk_addr)
{
    return &t->ready[(chunk_addr >> t->width_shift) & (X86_TIMING_RING - 1)];
}

/* The memory side of one code fetch of `w` bytes at linear `lin` starting
 * at `start`: a real BUS_FETCH transaction (observers and the trace see
 * it) unless the memory is plain unobserved RAM/ROM; returns the clocks
 * it adds to the bus cycle (ITLB walk, wait states, the memory's latency
 * or the DRAM's). */
static uint64_t x86_timing_fetch_tx(struct x86_timing *t, uint64_t lin, unsigned w,
                                    uint64_t start)
{
    struct x86_cpu *cpu = t->cpu;
    /* an ITLB miss walks (over the bus) before the fetch can go out */
    uint64_t walk = x86_timing_translate(t, lin, true, start);
    start += walk;
    uint64_t cycles = walk;
    uint64_t phys;
    const struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
    if (e->tag_r == (lin & ~0xfffull)) {
        /* The core holds a direct pointer: plain RAM or ROM that nobody
         * observes (observed memory never gets one), so the transaction
         * would be seen by no one and cost only the memory's time. */
        phys = (e->phys | (lin & 0xfff)) & cpu->a20_mask;
        cycles += x86_timing_mem_cycles(t, phys, w, BUS_FETCH, start);
    } else if (x86_timing_phys(t, lin, &phys)) {
        sim_time_t lat = 0;
        for (unsigned off = 0; off < w; off += 8) {
            struct bus_tx tx = { 0 };
            tx.addr = phys + off;
            tx.size = (uint8_t)(w - off < 8 ? w - off : 8);
            tx.kind = BUS_FETCH;
            tx.initiator = cpu->id;
            tx.time = x86_timing_time_of(t, start);
            as_access(cpu->mem, &tx);
            if (tx.latency > lat)
                lat = tx.latency;
        }
        cycles += t->dram ? x86_timing_mem_cycles(t, phys, w, BUS_FETCH, start)
                          : t->mem_latency + x86_timing_ps_to_cycles(t, lat);
    } else {
        cycles += t->mem_latency;
    }
    t->st.fetches++;
    return cycles;
}

/* One code fetch of the chunk at fetch_next, starting at `start`. */
static void x86_timing_fetch_one(struct x86_timing *t, uint64_t start)
{
    uint64_t lin = t->fetch_next;
    const struct x86_cpu *cpu = t->cpu;
    uint64_t cycles = t->tab.bus_cycles;
    if (!t->dram && !t->mmu && cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)].tag_r ==
                                   (lin & ~0xfffull)) {
        /* the common case inline: unobserved RAM/ROM, a fixed latency */
        cycles += t->mem_latency;
        t->st.fetches++;
    } else {
        cycles += x86_timing_fetch_tx(t, lin, t->tab.fetch_width, start);
    }
    *x86_timing_ready_slot(t, lin) = start + cycles;
    t->bus_free = start + cycles;
    t->fetch_next = lin + t->tab.fetch_width;
}

/* --- the 80286 bus model's view of memory (biu_286.h) ------------------------ */

static uint64_t x86_timing_b286_fetch(void *ctx, uint64_t lin, uint64_t start)
{
    struct x86_timing *t = ctx;
    const struct x86_cpu *cpu = t->cpu;
    if (!t->dram && !t->mmu &&
        cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)].tag_r == (lin & ~0xfffull)) {
        t->st.fetches++; /* unobserved RAM/ROM, a fixed latency */
        return t->mem_latency;
    }
    return x86_timing_fetch_tx(t, lin, 2, start);
}

static uint64_t x86_timing_b286_data(void *ctx, uint64_t lin, unsigned size, enum bus_kind kind,
                                     uint64_t start)
{
    struct x86_timing *t = ctx;
    t->st.data_cycles++;
    if (kind == BUS_IO_READ || kind == BUS_IO_WRITE)
        return t->mem_latency;
    uint64_t phys;
    if (!x86_timing_phys(t, lin, &phys))
        phys = lin;
    return x86_timing_mem_cycles(t, phys, size, kind, start);
}

static unsigned x86_timing_b286_peek(void *ctx, uint64_t lin, uint8_t *buf, unsigned n)
{
    struct x86_timing *t = ctx;
    const struct x86_cpu *cpu = t->cpu;
    unsigned in_page = 0x1000 - (unsigned)(lin & 0xfff);
    const struct x86_tlb_entry *e = &cpu->tlb_cur[(lin >> 12) & (X86_TLB_SIZE - 1)];
    if (n <= in_page && e->tag_r == (lin & ~0xfffull)) {
        memcpy(buf, e->host + (lin & 0xfff), n); /* plain RAM/ROM: the core's pointer */
        return n;
    }
    uint64_t phys;
    memset(buf, 0x90, n);
    if (!x86_timing_phys(t, lin, &phys))
        return 0;
    if (n > in_page)
        n = in_page;
    as_peek(t->cpu->mem, phys, buf, n);
    return n;
}

/* Is there room in the queue for the next chunk, with the EU at `consume`? */
static bool x86_timing_room(const struct x86_timing *t)
{
    uint64_t held = t->fetch_next + t->tab.fetch_width - t->consume;
    if (t->fetch_next < t->consume)
        return true;
    return held <= t->tab.queue_size;
}

/* Runs the prefetcher: every fetch that would start before `until`
 * (background prefetch while the EU works), and then every fetch needed
 * for the bytes below `need_end`, whatever the time. */
static void x86_timing_prefetch(struct x86_timing *t, uint64_t until, uint64_t need_end)
{
    for (;;) {
        uint64_t start = t->bus_free > t->room_time ? t->bus_free : t->room_time;
        if (t->fetch_next < need_end) {
            x86_timing_fetch_one(t, start);
            continue;
        }
        if (start >= until || !x86_timing_room(t))
            return;
        x86_timing_fetch_one(t, start);
    }
}

/* --- hooks ------------------------------------------------------------------------ */

static uint64_t x86_timing_insn_lin(const struct x86_cpu *cpu)
{
    if (cpu->long64)
        return cpu->insn_rip;
    return (cpu->seg[X86_SEG_CS].base + cpu->insn_rip) & 0xffffffffu;
}

/* Ends the instruction being timed at the EU's time plus its execute
 * clocks: the core's cycle counter becomes that, every clock accounted. */
static void x86_timing_close(struct x86_timing *t)
{
    struct x86_cpu *cpu = t->cpu;
    if (!t->open)
        return;
    t->open = false;
    uint64_t end = t->eu + t->exec;
    t->st.execute += t->exec;
    uint64_t walks = cpu->stats.page_walks - t->walks_before;
    if (walks && !t->mmu) {
        uint64_t w = walks * (t->tab.walk_cycles + (t->dram ? 2 * t->tab.bus_cycles : t->mem_latency));
        t->st.walk += w;
        t->st.walks += walks;
        end += w;
    }
    cpu->cycles = end;
}

static void x86_timing_open(struct x86_timing *t)
{
    struct x86_cpu *cpu = t->cpu;
    t->open = true;
    t->span_start = cpu->cycles;
    t->eu = cpu->cycles;
    t->exec = 0;
    t->walks_before = cpu->stats.page_walks;
}

/* The linear address INVLPG names, computed at decode as the core will when
 * it runs the instruction (which changes no register it reads). */
static uint64_t x86_timing_invlpg_lin(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t ea = (uint64_t)in->disp;
    if (in->base >= 0)
        ea += cpu->regs[in->base];
    if (in->index >= 0)
        ea += cpu->regs[in->index] << in->scale;
    if (in->rip_rel)
        ea += cpu->insn_rip + in->len;
    ea &= x86_size_mask(in->addrsize);
    const struct x86_seg *s = &cpu->seg[in->seg];
    if (cpu->long64)
        return ea + (in->seg >= X86_SEG_FS ? s->base : 0);
    return (s->base + ea) & 0xffffffffu;
}

static void x86_timing_decode(void *ctx, const struct x86_insn *in)
{
    struct x86_timing *t = ctx;
    struct x86_cpu *cpu = t->cpu;
    if (t->b86 || t->b286) {
        if (t->catch_up) {
            t->catch_up = false;
            t->st.functional += cpu->cycles - t->kind_since;
        }
        t->st.insns++;
        if (t->b86)
            biu8086_decode(t->b86, in);
        else
            biu286_decode(t->b286, in);
        return;
    }
    if (t->catch_up) {
        /* switched to this model inside an instruction: the core's table
         * timed the rest of it, so those clocks belong to the functional model */
        t->catch_up = false;
        t->st.functional += cpu->cycles - t->kind_since;
    }
    x86_timing_close(t); /* a faulted instruction or an exception entry */
    x86_timing_open(t);
    uint64_t lin = x86_timing_insn_lin(cpu);
    uint64_t now = t->eu;
    bool flush = !t->queue_valid || lin != t->consume;
    if (flush) {
        /* taken branch, far transfer, interrupt: the queue is discarded */
        if (t->queue_valid)
            t->st.flushes++;
        x86_timing_flush(t, lin, now);
    }
    /* background prefetch up to now, then whatever this instruction needs */
    x86_timing_prefetch(t, now, lin + in->len);
    uint64_t last = lin + in->len - 1;
    uint64_t ready = *x86_timing_ready_slot(t, last);
    if (flush)
        ready += t->tab.flush_decode; /* the decoder restarts behind the queue */
    if (ready > now) {
        if (flush)
            t->st.flush_stall += ready - now;
        else
            t->st.fetch_stall += ready - now;
        t->eu = ready;
    }
    t->consume = lin + in->len;
    t->room_time = t->eu;
    t->exec = t->tab.exec[in->op & 0x1ff];
    if (in->mem)
        t->exec += t->tab.agu_cycles;
    t->st.insns++;
    if (t->mmu && in->op == 0x101 && in->mem && (in->reg & 7) == 7)
        x86_tmmu_invlpg(t->mmu, x86_timing_invlpg_lin(cpu, in));
    else if (t->mmu && in->op == 0x122 && in->reg == 3)
        x86_tmmu_cr3_load(t->mmu); /* MOV CR3, even with the same value */
}

static void x86_timing_mem(void *ctx, uint64_t lin, unsigned size, bool write)
{
    struct x86_timing *t = ctx;
    if (t->b86) {
        biu8086_mem(t->b86, lin, size, write);
        return;
    }
    if (t->b286) {
        biu286_mem(t->b286, lin, size, write);
        return;
    }
    if (!t->open)
        return;
    /* background prefetches that began before this request hold the bus */
    x86_timing_prefetch(t, t->eu, 0);
    if (t->mmu) {
        /* a DTLB miss: the walk's clocks are the EU's, its reads use the bus */
        uint64_t at = t->bus_free > t->eu ? t->bus_free : t->eu;
        uint64_t walk = x86_timing_translate(t, lin, false, at);
        if (walk) {
            t->st.walk += at + walk - t->eu;
            t->st.walks++;
            t->eu = at + walk;
            t->bus_free = t->eu;
        }
    }
    uint64_t phys;
    if (!x86_timing_phys(t, lin, &phys))
        phys = lin;
    uint64_t bw = t->tab.bus_width;
    unsigned cycles_n = (unsigned)((((lin + size - 1) & ~(bw - 1)) - (lin & ~(bw - 1))) /
                                   bw + 1);
    uint64_t start = t->bus_free > t->eu ? t->bus_free : t->eu;
    uint64_t lat = (uint64_t)cycles_n * t->tab.bus_cycles +
                   x86_timing_mem_cycles(t, phys, size, write ? BUS_WRITE : BUS_READ, start);
    t->bus_free = start + lat;
    t->st.data_cycles += cycles_n;
    uint64_t done = write && t->tab.posted_writes ? start + 1 : start + lat;
    t->st.data_stall += done - t->eu;
    t->eu = done;
}

/* I/O port accesses: the 8086 bus model runs them as IOR/IOW cycles; the
 * pipeline model leaves their time to the device (sim_sync). */
static void x86_timing_io(void *ctx, uint16_t port, unsigned size, bool write, uint32_t value)
{
    struct x86_timing *t = ctx;
    if (t->b86)
        biu8086_io(t->b86, port, size, write, value);
    else if (t->b286)
        biu286_io(t->b286, port, size, write);
}

static void x86_timing_exception(void *ctx, int vector)
{
    struct x86_timing *t = ctx;
    if (t->b86) {
        biu8086_exception(t->b86, vector);
        return;
    }
    if (t->b286) {
        biu286_exception(t->b286, vector);
        return;
    }
    if (!t->open)
        x86_timing_open(t);
    t->eu += t->tab.exception_cycles;
    t->st.exception += t->tab.exception_cycles;
}

static void x86_timing_retire(void *ctx)
{
    struct x86_timing *t = ctx;
    if (t->b86) {
        biu8086_retire(t->b86);
        return;
    }
    if (t->b286) {
        biu286_retire(t->b286);
        return;
    }
    x86_timing_close(t);
}

/* --- switching --------------------------------------------------------------------- */

/* While the pipeline model charges the DRAM per access, the CPU's own bus
 * transactions (the core's reads and writes of observed or MMIO-mapped
 * memory, its page walks, the model's fetch transactions) must not be
 * charged again by the DRAM's region hook. */
static void x86_timing_claim_dram(struct x86_timing *t)
{
    if (t->dram && t->dram->claim)
        t->dram->claim(t->dram->opaque, t->cpu->id, t->kind == X86_TIMING_PIPELINE);
}

void x86_timing_switch(struct x86_timing *t, enum x86_timing_kind kind)
{
    struct x86_cpu *cpu = t->cpu;
    if (kind == t->kind)
        return;
    if (t->kind == X86_TIMING_FUNCTIONAL)
        t->st.functional += cpu->cycles - t->kind_since;
    t->kind = kind;
    t->kind_since = cpu->cycles;
    t->st.switches++;
    t->open = false;
    t->queue_valid = false;
    t->bus_free = cpu->cycles;
    t->catch_up = kind == X86_TIMING_PIPELINE;
    x86_timing_claim_dram(t);
    if (t->b86)
        biu8086_reset(t->b86, cpu->cycles);
    if (t->b286)
        biu286_reset(t->b286, cpu->cycles);
    x86_cpu_set_timing_hooks(cpu, kind == X86_TIMING_PIPELINE ? &t->hooks : NULL);
    /* the run loop ends its slice so the new model starts cleanly */
    cpu->ini.yield = true;
}

static void x86_timing_marker(struct sim *sim, const char *name, void *opaque)
{
    struct x86_timing *t = opaque;
    for (unsigned i = 0; i < t->nsw; i++) {
        struct x86_timing_switch_at *s = &t->sw[i];
        if (!s->done && s->when == X86_SWITCH_MARKER && !strcmp(s->marker, name)) {
            s->done = true;
            x86_timing_switch(t, s->to);
        }
    }
}

static void x86_timing_switch_event(struct event *ev, void *opaque)
{
    struct x86_timing *t = opaque;
    sim_time_t now = sim_now(t->cpu->sim);
    for (unsigned i = 0; i < t->nsw; i++) {
        struct x86_timing_switch_at *s = &t->sw[i];
        if (!s->done && s->when == X86_SWITCH_TIME && s->time <= now) {
            s->done = true;
            x86_timing_switch(t, s->to);
        }
    }
    /* the next time switch, if any */
    for (unsigned i = 0; i < t->nsw; i++) {
        struct x86_timing_switch_at *s = &t->sw[i];
        if (!s->done && s->when == X86_SWITCH_TIME &&
            (!event_pending(ev) || s->time < ev->when))
            event_schedule(t->cpu->sim, ev, s->time, EVENT_PRIO_HIGH);
    }
}

/* One `{at: marker:NAME | time:DURATION, to: MODEL}` entry. */
static int x86_timing_parse_switch(struct x86_timing *t, const struct ynode *n,
                                   struct cw_error *err)
{
    if (n->kind != YNODE_MAP)
        return ynode_error(err, n, "expected a map {at: marker:NAME or time:DURATION, to: MODEL}");
    for (size_t i = 0; i < n->count; i++)
        if (strcmp(n->keys[i], "at") && strcmp(n->keys[i], "to"))
            return ynode_error(err, n->key_nodes[i], "unknown key '%s'; expected at, to", n->keys[i]);
    const struct ynode *at = ymap_get(n, "at"), *to = ymap_get(n, "to");
    if (!at || !to)
        return ynode_error(err, n, "switch-timing needs both 'at' and 'to'");
    if (t->nsw == X86_TIMING_MAX_SWITCHES)
        return ynode_error(err, n, "at most %d timing switches", X86_TIMING_MAX_SWITCHES);
    struct x86_timing_switch_at *s = &t->sw[t->nsw];
    const char *to_s, *at_s;
    if (ynode_string(to, &to_s, err) || ynode_string(at, &at_s, err))
        return -1;
    if (x86_timing_parse_kind(to_s, &s->to))
        return ynode_error(err, to, "unknown timing model '%s'; expected functional or pipeline", to_s);
    if (!strncmp(at_s, "marker:", 7) && at_s[7]) {
        s->when = X86_SWITCH_MARKER;
        s->marker = strdup(at_s + 7);
    } else if (!strncmp(at_s, "time:", 5)) {
        s->when = X86_SWITCH_TIME;
        if (parse_time(at_s + 5, &s->time, err))
            return ynode_error(err, at, "bad time '%s' (for example time:10ms)", at_s + 5);
    } else {
        return ynode_error(err, at, "expected marker:NAME or time:DURATION, got '%s'", at_s);
    }
    t->nsw++;
    return 0;
}

/* --- parameters ------------------------------------------------------------------ */

static int x86_timing_parse_pipeline(struct x86_timing *t, const struct ynode *n,
                                     struct cw_error *err)
{
    static const char *const keys[] = { "table", "queue-size", "fetch-width", "fetch-align",
                                        "bus-width", "bus-cycles", "wait-states", "mem-latency",
                                        "posted-writes", "dram", "mmu", "exact", NULL };
    if (n->kind != YNODE_MAP)
        return ynode_error(err, n, "pipeline: expected a map of timing parameters");
    for (size_t i = 0; i < n->count; i++) {
        bool known = false;
        for (unsigned k = 0; keys[k]; k++)
            known |= !strcmp(n->keys[i], keys[k]);
        if (!known)
            return ynode_error(err, n->key_nodes[i],
                               "unknown pipeline parameter '%s'; expected table, queue-size, "
                               "fetch-width, fetch-align, bus-width, bus-cycles, wait-states, "
                               "mem-latency, posted-writes, dram, mmu, exact", n->keys[i]);
    }
    const struct ynode *v;
    if ((v = ymap_get(n, "table"))) {
        const char *name;
        if (ynode_string(v, &name, err))
            return -1;
        if (!x86_timing_table_init(&t->tab, name))
            return ynode_error(err, v, "unknown timing table '%s'; expected 8086, 286, 386, p6, pc", name);
    }
    struct { const char *key; unsigned *field; uint64_t lo, hi; } nums[] = {
        { "queue-size", &t->tab.queue_size, 1, 64 },
        { "fetch-width", &t->tab.fetch_width, 1, 64 },
        { "fetch-align", &t->tab.fetch_align, 1, 64 },
        { "bus-width", &t->tab.bus_width, 1, 64 },
        { "bus-cycles", &t->tab.bus_cycles, 1, 1000 },
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (!(v = ymap_get(n, nums[i].key)))
            continue;
        uint64_t x;
        if (ynode_u64(v, &x, err))
            return -1;
        if (x < nums[i].lo || x > nums[i].hi)
            return ynode_error(err, v, "%s must be %llu..%llu", nums[i].key,
                               (unsigned long long)nums[i].lo, (unsigned long long)nums[i].hi);
        *nums[i].field = (unsigned)x;
    }
    unsigned w = t->tab.fetch_width;
    if ((w & (w - 1)) || (t->tab.fetch_align & (t->tab.fetch_align - 1)) ||
        (t->tab.bus_width & (t->tab.bus_width - 1)))
        return ynode_error(err, n, "fetch-width, fetch-align and bus-width must be powers of two");
    if (t->tab.queue_size < w)
        return ynode_error(err, n, "queue-size (%u) must hold at least one fetch (%u bytes)",
                           t->tab.queue_size, w);
    if (t->tab.queue_size / w + 2 > X86_TIMING_RING)
        return ynode_error(err, n, "queue-size / fetch-width must stay below %d", X86_TIMING_RING - 2);
    if ((v = ymap_get(n, "wait-states"))) {
        uint64_t x;
        if (ynode_u64(v, &x, err))
            return -1;
        t->mem_latency += x;
    }
    if ((v = ymap_get(n, "mem-latency"))) {
        sim_time_t ps;
        if (ynode_time(v, &ps, err))
            return -1;
        t->mem_latency += x86_timing_ps_to_cycles(t, ps);
    }
    if ((v = ymap_get(n, "posted-writes")) && ynode_bool(v, &t->tab.posted_writes, err))
        return -1;
    if ((v = ymap_get(n, "exact"))) {
        bool on;
        if (ynode_bool(v, &on, err))
            return -1;
        if (on && strcmp(t->tab.name, "8086") && strcmp(t->tab.name, "286"))
            return ynode_error(err, v, "exact: there is a clock-level bus model for the 8086 "
                               "and 286 tables only, not '%s'", t->tab.name);
        t->exact = on;
    }
    if ((v = ymap_get(n, "dram")) && ynode_string(v, &t->dram_name, err))
        return -1;
    if ((v = ymap_get(n, "mmu"))) {
        /* defaults from the (possibly overridden) table */
        x86_tmmu_config_default(&t->mmu_cfg, t->tab.walk_cycles, t->tab.bus_cycles);
        if (x86_tmmu_config_parse(&t->mmu_cfg, v, err))
            return -1;
        t->mmu_wanted = true;
    }
    return 0;
}

int x86_timing_create(struct x86_cpu *cpu, struct component *c, const struct params *p,
                      const char *profile, struct cw_error *err)
{
    struct x86_timing *t = calloc(1, sizeof *t);
    if (!t)
        return cw_errorf(err, "%s: out of memory", c->name);
    cpu->timing = t;
    t->cpu = cpu;
    t->comp = c;
    t->period_ps = clock_period_ps(cpu->clock);
    t->exact = -1;
    if (!x86_timing_table_init(&t->tab, profile))
        x86_timing_table_init(&t->tab, "p6");
    const struct ynode *n = params_node(p, "pipeline");
    if (n && x86_timing_parse_pipeline(t, n, err))
        return -1;
    t->width_shift = (unsigned)__builtin_ctz(t->tab.fetch_width);
    t->align_mask = ~(uint64_t)(t->tab.fetch_align - 1);
    const char *kind_s = params_string(p, "timing");
    enum x86_timing_kind kind;
    if (x86_timing_parse_kind(kind_s, &kind))
        return params_error(p, "timing", err,
                            "unknown timing model '%s'; expected functional or pipeline", kind_s);
    if ((n = params_node(p, "switch-timing"))) {
        if (n->kind == YNODE_SEQ) {
            for (size_t i = 0; i < n->count; i++)
                if (x86_timing_parse_switch(t, n->items[i], err))
                    return -1;
        } else if (x86_timing_parse_switch(t, n, err)) {
            return -1;
        }
    }
    if (!strcmp(t->tab.name, "8086") && t->exact != 0) {
        t->b86 = biu8086_create(cpu, &t->tab);
        if (!t->b86)
            return cw_errorf(err, "%s: out of memory", c->name);
        biu8086_set_owners(t->b86, &t->st.execute, &t->st.fetch_stall, &t->st.data_stall);
    }
    const struct x86_timing_table *g = &t->tab;
    /* The 80286 bus model is the 286 table's default, as the 8086's is;
     * a table given its own queue or bus geometry keeps the pipeline model. */
    bool geometry_286 = g->queue_size == 6 && g->fetch_width == 2 && g->fetch_align == 2 &&
                        g->bus_width == 2 && g->bus_cycles == 2;
    if (!strcmp(g->name, "286") && t->exact == 1 && !geometry_286)
        return params_error(p, "pipeline", err, "exact: the 80286 bus model has its own "
                            "queue and bus; leave queue-size, fetch-width, fetch-align, "
                            "bus-width and bus-cycles out");
    if (!strcmp(g->name, "286") && (t->exact == 1 || (t->exact == -1 && geometry_286))) {
        /* the 80286 with its own queue and bus: the bus-level model */
        struct biu286_env env = { .fetch = x86_timing_b286_fetch, .data = x86_timing_b286_data,
                                  .peek = x86_timing_b286_peek, .ctx = t };
        t->b286 = biu286_create(cpu, &env, t->tab.exec);
        if (!t->b286)
            return cw_errorf(err, "%s: out of memory", c->name);
        biu286_set_owners(t->b286, &t->st.execute, &t->st.fetch_stall, &t->st.flush_stall,
                          &t->st.data_stall, &t->st.flushes);
    }
    t->hooks = (struct x86_timing_hooks){ .decode = x86_timing_decode, .mem = x86_timing_mem,
                                          .io = x86_timing_io,
                                          .exception = x86_timing_exception,
                                          .retire = x86_timing_retire, .ctx = t };
    event_init(c->sim, &t->switch_event, "timing-switch", x86_timing_switch_event, t);
    bool marker_hook = false;
    for (unsigned i = 0; i < t->nsw; i++) {
        if (t->sw[i].when == X86_SWITCH_MARKER && !marker_hook) {
            sim_add_marker_hook(c->sim, x86_timing_marker, t);
            marker_hook = true;
        }
        if (t->sw[i].when == X86_SWITCH_TIME &&
            (!event_pending(&t->switch_event) || t->sw[i].time < t->switch_event.when))
            event_schedule(c->sim, &t->switch_event, t->sw[i].time, EVENT_PRIO_HIGH);
    }

    struct x86_timing_stats *s = &t->st;
    stat_register(c, "timing-execute", "pipeline: execute-stage clocks", &s->execute);
    stat_register(c, "timing-fetch-stall", "pipeline: clocks waiting for code bytes", &s->fetch_stall);
    stat_register(c, "timing-flush-stall",
                  "pipeline: clocks refilling the queue after a branch, far transfer or interrupt",
                  &s->flush_stall);
    stat_register(c, "timing-data-stall", "pipeline: clocks waiting for data bus cycles and memory",
                  &s->data_stall);
    stat_register(c, "timing-walk", "pipeline: clocks of page walks", &s->walk);
    stat_register(c, "timing-exception", "pipeline: interrupt and exception entry clocks",
                  &s->exception);
    stat_register(c, "timing-functional", "clocks run under the functional model (at switches)",
                  &s->functional);
    stat_register(c, "timing-insns", "instructions timed by the pipeline model", &s->insns);
    stat_register(c, "timing-fetches", "pipeline: code fetch bus cycles", &s->fetches);
    stat_register(c, "timing-data-cycles", "pipeline: data bus cycles", &s->data_cycles);
    stat_register(c, "timing-flushes", "pipeline: prefetch queue flushes", &s->flushes);
    stat_register(c, "timing-switches", "timing model switches", &s->switches);
    if (t->mmu_wanted) {
        t->mmu = x86_tmmu_create(&t->mmu_cfg, cpu->mem, cpu->id, err);
        if (!t->mmu)
            return -1;
        x86_tmmu_register_stats(t->mmu, c);
    }

    t->kind = X86_TIMING_FUNCTIONAL;
    t->kind_since = cpu->cycles;
    if (kind == X86_TIMING_PIPELINE) {
        x86_timing_switch(t, kind);
        t->st.switches = 0;
    }
    return 0;
}

/* Does this CPU ever run the pipeline model (from the start, at a
 * switch-timing point) or time its page walks (pipeline.mmu)? Only then
 * does it charge memory accesses itself and need the DRAM behind them. */
static bool x86_timing_pipeline_wanted(const struct x86_timing *t)
{
    if (t->kind == X86_TIMING_PIPELINE || t->mmu_wanted)
        return true;
    for (unsigned i = 0; i < t->nsw; i++)
        if (t->sw[i].to == X86_TIMING_PIPELINE)
            return true;
    return false;
}

/* Without pipeline.dram: the one component that exports "dram", which then
 * times this CPU's accesses as if it had been named. Else the CPU's own
 * page walks and the timing MMU's replay of them would both cross the
 * DRAM's region hook, and its accesses through DMI none at all. With
 * several, which one is behind the CPU's memory is the user's to say.
 * *out stays NULL when there is none. */
static int x86_timing_find_dram(struct x86_timing *t, struct component **out,
                                struct cw_error *err)
{
    struct x86_cpu *cpu = t->cpu;
    struct component *first = NULL, *second = NULL;
    unsigned n = 0;
    for (struct component *c = sim_components(cpu->sim); c; c = c->next) {
        if (!component_interface(c, "dram"))
            continue;
        if (n == 0)
            first = c;
        else if (n == 1)
            second = c;
        n++;
    }
    if (n > 1)
        return cw_errorf(err, "%s: %u components export \"dram\" (%s, %s%s) and pipeline.dram "
                         "does not say which one times this CPU's memory; set pipeline.dram: "
                         "NAME in %s's YAML", cpu->comp->name, n, first->name, second->name,
                         n > 2 ? ", ..." : "", cpu->comp->name);
    *out = first;
    return 0;
}

int x86_timing_realize(struct x86_cpu *cpu, struct cw_error *err)
{
    struct x86_timing *t = cpu->timing;
    if (!t)
        return 0;
    struct component *d = NULL;
    if (t->dram_name) {
        d = sim_find_component(cpu->sim, t->dram_name);
        if (!d)
            return cw_errorf(err, "%s: pipeline.dram: unknown component '%s'", cpu->comp->name,
                             t->dram_name);
    } else if (x86_timing_pipeline_wanted(t)) {
        if (x86_timing_find_dram(t, &d, err))
            return -1;
    }
    if (!d)
        return 0;
    t->dram = component_interface(d, "dram");
    if (!t->dram)
        return cw_errorf(err, "%s: pipeline.dram: component '%s' does not export \"dram\"",
                         cpu->comp->name, d->name);
    if (t->dram->claim && t->dram->claim(t->dram->opaque, cpu->id, false))
        return cw_errorf(err, "%s: pipeline.dram: '%s' is asked by too many CPUs",
                         cpu->comp->name, d->name);
    x86_timing_claim_dram(t);
    if (t->mmu)
        x86_tmmu_set_dram(t->mmu, t->dram);
    return 0;
}

void x86_timing_destroy(struct x86_cpu *cpu)
{
    struct x86_timing *t = cpu->timing;
    if (!t)
        return;
    /* the kernel drops pending events before destroy: nothing to cancel */
    for (unsigned i = 0; i < t->nsw; i++)
        free(t->sw[i].marker);
    biu8086_destroy(t->b86);
    biu286_destroy(t->b286);
    x86_tmmu_destroy(t->mmu);
    free(t);
    cpu->timing = NULL;
}
