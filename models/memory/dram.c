/* dram.c: a DRAM main memory (SDRAM, DDR2, DDR3, DDR4) with a bank-level
 * timing model. Follows JEDEC JESD79-2F, JESD79-3F and JESD79-4 (speed bins and
 * refresh tables) and the PC100 SDRAM specification for the presets.
 *
 * The component owns the memory (a RAM region, so the CPU keeps its DMI fast
 * path) and computes every access's latency from the state of the addressed
 * bank: a row hit costs CL + burst, a miss (bank precharged) tRCD + CL +
 * burst, a conflict (other row open) tRP + tRCD + CL + burst, each respecting
 * tRAS, tRC, tWR, tRTP since the bank's earlier commands, tCCD and the data
 * bus on the channel, and all-bank refresh every tREFI for tRFC.
 *
 * Time is kept in DRAM command-clock cycles: an access is issued on the first
 * clock edge at or after its start time, every command lands on an edge, and
 * the latency is the exact picosecond distance to the edge that ends the data
 * burst. The state is updated at the access's own time (tx->time), so a bank
 * precharged long ago is simply ready, and nothing here needs an event. */
#include "models/memory/dram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/clock.h"
#include "kernel/component.h"

/* --- presets ------------------------------------------------------------------ */

/* One JEDEC speed bin (or PC100 part) with the geometry of a typical x8 device. */
struct dram_preset {
    const char *name;
    uint64_t hz_num, hz_den;   /* command clock */
    unsigned data_rate, burst_length;
    unsigned cl, cwl, trcd, trp, tras, trc, twr, trtp, tccd;
    sim_time_t trefi, trfc;
    unsigned banks, columns;
};

static const struct dram_preset dram_presets[] = {
    /* PC100 CL2 (2-2-2), 64 Mbit x8 parts: 4 banks x 4096 rows x 512 columns,
     * 4096 refreshes per 64 ms, auto-refresh period = tRC. Single data rate:
     * a READ may be followed by PRECHARGE BL cycles later (last data - (CL-1)). */
    { "sdram-pc100", 100000000, 1, 1, 4, 2, 0, 2, 2, 5, 7, 2, 4, 1,
      SIM_NS(15625), SIM_NS(70), 4, 512 },
    /* DDR2-800D (5-5-5), 1 Gbit x8: tRAS 45 ns, tRC 57.5 ns, tWR 15 ns,
     * tRTP 7.5 ns, WL = RL - 1, tRFC 127.5 ns. */
    { "ddr2-800", 400000000, 1, 2, 8, 5, 4, 5, 5, 18, 23, 6, 3, 2,
      SIM_NS(7800), SIM_PS(127500), 8, 1024 },
    /* DDR3-1333H (9-9-9), 4 Gbit x8: tRAS 36 ns, tRC 49.5 ns, CWL 7, tRFC 260 ns. */
    { "ddr3-1333", 2000000000, 3, 2, 8, 9, 7, 9, 9, 24, 33, 10, 5, 4,
      SIM_NS(7800), SIM_NS(260), 8, 1024 },
    /* DDR3-1600K (11-11-11), 4 Gbit x8: tRAS 35 ns, tRC 48.75 ns, CWL 8,
     * tWR 15 ns, tRTP 7.5 ns, tRFC 260 ns. */
    { "ddr3-1600", 800000000, 1, 2, 8, 11, 8, 11, 11, 28, 39, 12, 6, 4,
      SIM_NS(7800), SIM_NS(260), 8, 1024 },
    /* DDR4-2400T (17-17-17), 8 Gbit x8 (4 bank groups x 4 banks, counted as
     * 16 banks with tCCD_S): tRAS 32 ns, tRC 46.16 ns, CWL 12, tRFC 350 ns. */
    { "ddr4-2400", 1200000000, 1, 2, 8, 17, 12, 17, 17, 39, 56, 18, 9, 4,
      SIM_NS(7800), SIM_NS(350), 16, 1024 },
    /* DDR4-3200AA (22-22-22), 8 Gbit x8: tRAS 32 ns, tRC 45.75 ns, CWL 16. */
    { "ddr4-3200", 1600000000, 1, 2, 8, 22, 16, 22, 22, 52, 74, 24, 12, 4,
      SIM_NS(7800), SIM_NS(350), 16, 1024 },
};
#define DRAM_NPRESETS (sizeof dram_presets / sizeof *dram_presets)

/* --- state -------------------------------------------------------------------- */

enum dram_field { DRAM_CHANNEL, DRAM_RANK, DRAM_BANK, DRAM_ROW, DRAM_COLUMN, DRAM_NFIELDS };
static const char *const dram_field_names[DRAM_NFIELDS] = { "channel", "rank", "bank", "row",
                                                           "column" };

/* Earliest cycles at which the bank accepts each command (JEDEC command
 * spacing), and what its row buffer holds. */
struct dram_bank {
    bool open;          /* a row is active */
    uint64_t row;       /* the active row */
    uint64_t act_ok;    /* ACTIVATE: tRP after PRECHARGE, tRC after ACTIVATE */
    uint64_t col_ok;    /* READ/WRITE: tRCD after ACTIVATE */
    uint64_t pre_ok;    /* PRECHARGE: tRAS after ACTIVATE, tRTP after READ, tWR after write data */
    uint64_t last_cmd;  /* last command cycle: a refresh after it closed the row */
    uint64_t stat_hits, stat_misses, stat_conflicts;
};

/* Per channel: the shared data bus and column-command spacing. */
struct dram_channel {
    uint64_t col_ok;    /* next READ/WRITE: tCCD after the last */
    uint64_t data_free; /* the data bus is free from this cycle */
};

struct dram {
    struct component *c;
    struct dram_timing t;           /* effective timing (reported to users) */
    struct clock_domain own_clock;
    const struct clock_domain *clock;
    uint64_t base, size;
    bool closed_page;
    uint8_t *store;                 /* mmio mode: the backing memory */
    /* geometry: counts are powers of two; bits[f] = log2(count of field f) */
    uint64_t count[DRAM_NFIELDS];
    unsigned bits[DRAM_NFIELDS];
    enum dram_field order[DRAM_NFIELDS]; /* mapping, most significant first */
    unsigned offset_bits;           /* log2(bus width in bytes): byte within a beat */
    unsigned shift[DRAM_NFIELDS];   /* field f = (addr - base) >> shift[f] & (count[f] - 1) */
    uint64_t period_num, period_den; /* clock period: period_num / period_den ps */
    uint64_t fast_cycle_limit, fast_time_limit; /* 64-bit conversions up to here */
    /* timing in cycles */
    uint64_t burst_cycles, trefi_cycles, trfc_cycles;
    uint64_t refresh_start;         /* start of the refresh interval last looked at */
    sim_time_t controller_latency;
    struct dram_bank *banks;        /* [channel][rank][bank] */
    struct dram_channel *channels;
    struct dram_iface iface;
    uint16_t claimed[DRAM_MAX_CLAIMS]; /* initiators timed by their own timing model */
    unsigned nclaimed;
    /* statistics */
    uint64_t stat_accesses, stat_reads, stat_writes;
    uint64_t stat_hits, stat_misses, stat_conflicts;
    uint64_t stat_refresh_stalls, stat_refresh_wait_ps;
    uint64_t stat_latency_total_ps, stat_latency_avg_ps, stat_latency_max_ps;
};

/* --- address mapping ------------------------------------------------------------ */

void dram_decode(const struct dram *d, uint64_t addr, struct dram_location *out)
{
    uint64_t at = addr - d->base; /* outside the range: wraps, still a valid location */
    out->channel = (unsigned)((at >> d->shift[DRAM_CHANNEL]) & (d->count[DRAM_CHANNEL] - 1));
    out->rank = (unsigned)((at >> d->shift[DRAM_RANK]) & (d->count[DRAM_RANK] - 1));
    out->bank = (unsigned)((at >> d->shift[DRAM_BANK]) & (d->count[DRAM_BANK] - 1));
    out->row = (at >> d->shift[DRAM_ROW]) & (d->count[DRAM_ROW] - 1);
    out->column = (at >> d->shift[DRAM_COLUMN]) & (d->count[DRAM_COLUMN] - 1);
}

/* Bit positions of the fields: the last field of the mapping sits just
 * above the byte-in-beat bits. */
static void dram_place_fields(struct dram *d)
{
    unsigned at = d->offset_bits;
    for (int i = DRAM_NFIELDS - 1; i >= 0; i--) {
        d->shift[d->order[i]] = at;
        at += d->bits[d->order[i]];
    }
}

/* Parses "row:rank:bank:channel:column" (most significant field first). */
static int dram_parse_mapping(struct dram *d, const char *text, const struct params *p,
                              struct cw_error *err)
{
    bool seen[DRAM_NFIELDS] = { false };
    unsigned n = 0;
    const char *s = text;
    while (*s) {
        size_t len = strcspn(s, ":");
        int f = -1;
        for (int i = 0; i < DRAM_NFIELDS; i++)
            if (strlen(dram_field_names[i]) == len && strncmp(s, dram_field_names[i], len) == 0)
                f = i;
        if (f < 0 || seen[f] || n == DRAM_NFIELDS)
            return params_error(p, "mapping", err,
                                "mapping '%s': expected each of row, rank, bank, channel and column "
                                "once, separated by ':', most significant first "
                                "(e.g. row:rank:bank:channel:column)", text);
        seen[f] = true;
        d->order[n++] = (enum dram_field)f;
        s += len;
        if (*s == ':')
            s++;
    }
    if (n != DRAM_NFIELDS)
        return params_error(p, "mapping", err,
                            "mapping '%s' names %u fields; expected all five of row, rank, bank, "
                            "channel and column (e.g. row:rank:bank:channel:column)", text, n);
    return 0;
}

/* --- timing ------------------------------------------------------------------------ */

/* A cycle lasts pn/pd ps exactly (the clock's 10^12 * den / num, reduced),
 * so edge n is at ceil(n * pn / pd) ps, as the kernel's clock places it; in
 * 64 bits while the products fit (months of simulated time), through the
 * kernel's 128-bit conversions beyond. */
static sim_time_t dram_cycle_time(const struct dram *d, uint64_t cycle)
{
    if (cycle <= d->fast_cycle_limit) {
        uint64_t scaled = cycle * d->period_num;
        if (d->period_den == 1)
            return scaled;
        return scaled / d->period_den + (scaled % d->period_den != 0);
    }
    return clock_cycles_to_time(d->clock, cycle);
}

/* First clock edge at or after t: the least n with n * pn / pd > t - 1. */
static uint64_t dram_cycle_at(const struct dram *d, sim_time_t t)
{
    if (t == 0)
        return 0;
    if (t - 1 <= d->fast_time_limit)
        return (t - 1) * d->period_den / d->period_num + 1;
    uint64_t n = clock_time_to_cycles(d->clock, t);
    return clock_cycles_to_time(d->clock, n) < t ? n + 1 : n;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

static void dram_set_period(struct dram *d)
{
    uint64_t ps = 1000000000000ull * d->clock->hz_den; /* fits: clock_init checks */
    uint64_t g = gcd_u64(ps, d->clock->hz_num);
    d->period_num = ps / g;
    d->period_den = d->clock->hz_num / g;
    d->fast_cycle_limit = UINT64_MAX / d->period_num;
    d->fast_time_limit = UINT64_MAX / d->period_den;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* All-bank refresh: the controller refreshes every rank at cycles k * tREFI
 * (k >= 1) for tRFC. An access that arrives inside a refresh waits for its
 * end; a row left open before the refresh was closed by it (the precharge-all
 * before REFRESH is taken as hidden in the interval before it). */
static uint64_t dram_refresh(struct dram *d, struct dram_bank *b, uint64_t cycle,
                             struct dram_result *res)
{
    if (!d->trefi_cycles)
        return cycle;
    /* Accesses come roughly in time order: remember the current interval. */
    if (cycle < d->refresh_start || cycle - d->refresh_start >= d->trefi_cycles)
        d->refresh_start = cycle / d->trefi_cycles * d->trefi_cycles;
    uint64_t start = d->refresh_start;
    if (start == 0)
        return cycle;
    uint64_t end = start + d->trfc_cycles;
    if (b->last_cmd < start)
        b->open = false;
    if (cycle >= end)
        return cycle;
    d->stat_refresh_stalls++;
    res->refresh_wait = dram_cycle_time(d, end) - dram_cycle_time(d, cycle);
    return end;
}

/* Opens `row` in bank b no earlier than `cycle`; returns the ACTIVATE cycle. */
static uint64_t dram_activate(struct dram *d, struct dram_bank *b, uint64_t row, uint64_t cycle)
{
    const struct dram_timing *t = &d->t;
    uint64_t act = max_u64(cycle, b->act_ok);
    b->open = true;
    b->row = row;
    b->act_ok = act + t->trc;
    b->col_ok = act + t->trcd;
    b->pre_ok = act + t->tras;
    return act;
}

/* The access's commands against one bank; returns the cycle its data burst
 * ends. */
static uint64_t dram_schedule(struct dram *d, struct dram_bank *b, struct dram_channel *ch,
                              uint64_t row, bool write, uint64_t cycle,
                              enum dram_row_outcome *outcome)
{
    const struct dram_timing *t = &d->t;
    uint64_t cmd;
    if (b->open && b->row == row) {
        *outcome = DRAM_ROW_HIT;
        cmd = max_u64(cycle, b->col_ok);
    } else if (!b->open) {
        *outcome = DRAM_ROW_MISS;
        cmd = dram_activate(d, b, row, cycle) + t->trcd;
    } else {
        *outcome = DRAM_ROW_CONFLICT;
        uint64_t pre = max_u64(cycle, b->pre_ok);
        b->act_ok = max_u64(b->act_ok, pre + t->trp);
        cmd = dram_activate(d, b, row, cycle) + t->trcd;
    }
    /* The channel: column commands tCCD apart, one burst at a time on the bus. */
    unsigned to_data = write ? t->cwl : t->cl;
    cmd = max_u64(cmd, ch->col_ok);
    if (cmd + to_data < ch->data_free)
        cmd = ch->data_free - to_data;
    uint64_t data_end = cmd + to_data + d->burst_cycles;
    ch->col_ok = cmd + t->tccd;
    ch->data_free = data_end;
    b->pre_ok = max_u64(b->pre_ok, write ? data_end + t->twr : cmd + t->trtp);
    b->last_cmd = cmd;
    if (d->closed_page) {
        /* Auto-precharge: the bank closes as soon as the rules allow. */
        b->open = false;
        b->act_ok = max_u64(b->act_ok, b->pre_ok + t->trp);
        b->last_cmd = b->pre_ok;
    }
    return data_end;
}

static void dram_count(struct dram *d, struct dram_bank *b, bool write,
                       const struct dram_result *res)
{
    d->stat_accesses++;
    if (write)
        d->stat_writes++;
    else
        d->stat_reads++;
    switch (res->outcome) {
    case DRAM_ROW_HIT:
        d->stat_hits++;
        b->stat_hits++;
        break;
    case DRAM_ROW_MISS:
        d->stat_misses++;
        b->stat_misses++;
        break;
    case DRAM_ROW_CONFLICT:
        d->stat_conflicts++;
        b->stat_conflicts++;
        break;
    }
    d->stat_refresh_wait_ps += res->refresh_wait;
    d->stat_latency_total_ps += res->latency;
    d->stat_latency_avg_ps = d->stat_latency_total_ps / d->stat_accesses;
    if (res->latency > d->stat_latency_max_ps)
        d->stat_latency_max_ps = res->latency;
}

static struct dram_bank *dram_bank_at(struct dram *d, const struct dram_location *loc)
{
    size_t i = ((size_t)loc->channel * d->count[DRAM_RANK] + loc->rank) * d->count[DRAM_BANK] +
               loc->bank;
    return &d->banks[i];
}

void dram_access_result(struct dram *d, const struct bus_tx *tx, struct dram_result *res)
{
    bool write = bus_kind_is_write((enum bus_kind)tx->kind);
    memset(res, 0, sizeof *res);
    dram_decode(d, tx->addr, &res->loc);
    struct dram_bank *b = dram_bank_at(d, &res->loc);
    struct dram_channel *ch = &d->channels[res->loc.channel];
    /* The request reaches the DRAM after the controller's fixed latency. */
    uint64_t cycle = dram_cycle_at(d, tx->time + d->controller_latency);
    cycle = dram_refresh(d, b, cycle, res);
    uint64_t end = dram_schedule(d, b, ch, res->loc.row, write, cycle, &res->outcome);
    res->latency = dram_cycle_time(d, end) - tx->time;
    dram_count(d, b, write, res);
}

sim_time_t dram_access(struct dram *d, const struct bus_tx *tx)
{
    struct dram_result res;
    dram_access_result(d, tx, &res);
    return res.latency;
}

const struct dram_timing *dram_get_timing(const struct dram *d)
{
    return &d->t;
}

static sim_time_t dram_iface_access(void *opaque, const struct bus_tx *tx)
{
    return dram_access(opaque, tx);
}

static int dram_iface_claim(void *opaque, uint16_t initiator, bool on)
{
    struct dram *d = opaque;
    for (unsigned i = 0; i < d->nclaimed; i++) {
        if (d->claimed[i] != initiator)
            continue;
        if (!on)
            d->claimed[i] = d->claimed[--d->nclaimed];
        return 0;
    }
    if (!on)
        return 0;
    if (d->nclaimed == DRAM_MAX_CLAIMS)
        return -1;
    d->claimed[d->nclaimed++] = initiator;
    return 0;
}

/* A CPU access whose initiator's timing model charges it through the
 * iface: the bus transaction is the same access, not a second one. */
static bool dram_timed_by_claim(const struct dram *d, const struct bus_tx *tx)
{
    if (!d->nclaimed)
        return false;
    switch ((enum bus_kind)tx->kind) {
    case BUS_FETCH: case BUS_READ: case BUS_WRITE: case BUS_WALK_READ: case BUS_WALK_WRITE:
        break;
    default:
        return false;
    }
    for (unsigned i = 0; i < d->nclaimed; i++)
        if (d->claimed[i] == tx->initiator)
            return true;
    return false;
}

/* --- bus side -------------------------------------------------------------------------- */

/* Region offsets: the region may be seen through an alias, so the address
 * the DRAM decodes is its own base plus the offset, not tx->addr. */
static sim_time_t dram_region_timing(void *opaque, const struct bus_tx *tx, uint64_t offset)
{
    struct dram *d = opaque;
    if (dram_timed_by_claim(d, tx))
        return 0;
    struct bus_tx at = *tx;
    at.addr = d->base + offset;
    return dram_access(d, &at);
}

static uint64_t dram_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct dram *d = opaque;
    uint64_t v = 0;
    if (offset < d->size && size <= d->size - offset)
        memcpy(&v, d->store + offset, size);
    return v;
}

static void dram_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct dram *d = opaque;
    if (offset < d->size && size <= d->size - offset)
        memcpy(d->store + offset, &value, size);
}

static const struct mmio_ops dram_mmio_ops = {
    .read = dram_mmio_read,
    .write = dram_mmio_write,
    .timing = dram_region_timing,
    .max_access = 8,
};

/* --- construction ---------------------------------------------------------------------- */

static const struct param_desc dram_params[] = {
    { "space", PARAM_SPACE, "memory", "address space to map into" },
    { "base", PARAM_U64, "0", "first address" },
    { "size", PARAM_SIZE, NULL, "size in bytes, e.g. 512MiB" },
    { "preset", PARAM_STRING, "ddr3-1600",
      "timing and geometry: sdram-pc100, ddr2-800, ddr3-1333, ddr3-1600, ddr4-2400, ddr4-3200" },
    { "region", PARAM_STRING, "ram",
      "'ram' (bus accesses timed, DMI untimed) or 'mmio' (every access timed, no DMI)" },
    { "clock", PARAM_CLOCK, NULL, "command clock domain (overrides frequency and the preset)", true },
    { "frequency", PARAM_FREQ, NULL, "command clock, e.g. 800MHz for DDR3-1600 (default: preset)", true },
    { "channels", PARAM_U64, "1", "channels (power of two)" },
    { "ranks", PARAM_U64, "1", "ranks per channel (power of two)" },
    { "banks", PARAM_U64, NULL, "banks per rank (power of two; default: preset)", true },
    { "rows", PARAM_U64, NULL, "rows per bank (power of two; default: enough for size)", true },
    { "columns", PARAM_U64, NULL, "columns per row (power of two; default: preset)", true },
    { "bus-width", PARAM_U64, "8", "bytes per beat (8 for a 64-bit channel)" },
    { "mapping", PARAM_STRING, "row:rank:bank:channel:column",
      "address bits, most significant field first" },
    { "page-policy", PARAM_STRING, "open", "'open' (rows stay open) or 'closed' (auto-precharge)" },
    { "data-rate", PARAM_U64, NULL, "beats per clock: 2 (DDR) or 1 (SDR); default: preset", true },
    { "burst-length", PARAM_U64, NULL, "beats per burst (default: preset)", true },
    { "tCL", PARAM_U64, NULL, "CAS latency: READ to data, cycles", true },
    { "tCWL", PARAM_U64, NULL, "CAS write latency: WRITE to data, cycles", true },
    { "tRCD", PARAM_U64, NULL, "ACTIVATE to READ/WRITE, cycles", true },
    { "tRP", PARAM_U64, NULL, "PRECHARGE to ACTIVATE, cycles", true },
    { "tRAS", PARAM_U64, NULL, "ACTIVATE to PRECHARGE, cycles", true },
    { "tRC", PARAM_U64, NULL, "ACTIVATE to ACTIVATE, same bank, cycles (default: preset, or tRAS + tRP if either is set)", true },
    { "tWR", PARAM_U64, NULL, "end of write data to PRECHARGE, cycles", true },
    { "tRTP", PARAM_U64, NULL, "READ to PRECHARGE, cycles", true },
    { "tCCD", PARAM_U64, NULL, "READ/WRITE to READ/WRITE on a channel, cycles", true },
    { "tREFI", PARAM_TIME, NULL, "refresh interval, e.g. 7.8us (0 disables refresh)", true },
    { "tRFC", PARAM_TIME, NULL, "refresh cycle time, e.g. 260ns", true },
    { "controller-latency", PARAM_TIME, "0ns", "time from the request to its arrival at the DRAM (controller, interconnect)" },
    { "bank-stats", PARAM_BOOL, "true", "register hit/miss/conflict counters per bank" },
    PARAM_END,
};

static const struct dram_preset *dram_find_preset(const char *name)
{
    for (size_t i = 0; i < DRAM_NPRESETS; i++)
        if (strcmp(dram_presets[i].name, name) == 0)
            return &dram_presets[i];
    return NULL;
}

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static unsigned log2_u64(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

/* Reads an optional cycle count into *out (keeps the preset's value if
 * absent). */
static int dram_cycles_param(const struct params *p, const char *name, unsigned *out,
                             unsigned min, struct cw_error *err)
{
    uint64_t v;
    if (!params_u64(p, name, &v))
        return 0;
    if (v < min || v > 100000)
        return params_error(p, name, err, "%s must be %u..100000 cycles", name, min);
    *out = (unsigned)v;
    return 0;
}

static int dram_read_timing(struct dram *d, const struct params *p, const struct dram_preset *ps,
                            struct cw_error *err)
{
    struct dram_timing *t = &d->t;
    t->hz_num = ps->hz_num;
    t->hz_den = ps->hz_den;
    t->data_rate = ps->data_rate;
    t->burst_length = ps->burst_length;
    t->cl = ps->cl;
    t->cwl = ps->cwl;
    t->trcd = ps->trcd;
    t->trp = ps->trp;
    t->tras = ps->tras;
    t->trc = ps->trc;
    t->twr = ps->twr;
    t->trtp = ps->trtp;
    t->tccd = ps->tccd;
    t->trefi = ps->trefi;
    t->trfc = ps->trfc;
    if (dram_cycles_param(p, "tCL", &t->cl, 1, err) ||
        dram_cycles_param(p, "tCWL", &t->cwl, 0, err) ||
        dram_cycles_param(p, "tRCD", &t->trcd, 1, err) ||
        dram_cycles_param(p, "tRP", &t->trp, 1, err) ||
        dram_cycles_param(p, "tRAS", &t->tras, 1, err) ||
        dram_cycles_param(p, "tWR", &t->twr, 0, err) ||
        dram_cycles_param(p, "tRTP", &t->trtp, 0, err) ||
        dram_cycles_param(p, "tCCD", &t->tccd, 1, err) ||
        dram_cycles_param(p, "burst-length", &t->burst_length, 1, err) ||
        dram_cycles_param(p, "data-rate", &t->data_rate, 1, err))
        return -1;
    /* A sweep of tRAS or tRP alone keeps JEDEC's tRC = tRAS + tRP. */
    if (params_has(p, "tRAS") || params_has(p, "tRP"))
        t->trc = t->tras + t->trp;
    if (dram_cycles_param(p, "tRC", &t->trc, 1, err))
        return -1;
    if (t->data_rate != 1 && t->data_rate != 2)
        return params_error(p, "data-rate", err, "data-rate must be 1 (SDR) or 2 (DDR)");
    if (t->burst_length % t->data_rate)
        return params_error(p, "burst-length", err,
                            "burst-length %u is not a whole number of clocks at data-rate %u",
                            t->burst_length, t->data_rate);
    params_time(p, "tREFI", &t->trefi);
    params_time(p, "tRFC", &t->trfc);
    if (t->trefi && t->trfc >= t->trefi)
        return params_error(p, params_has(p, "tRFC") ? "tRFC" : "tREFI", err,
                            "tRFC must be shorter than tREFI");

    if (params_has(p, "clock")) {
        d->clock = params_clock(p, "clock");
        t->hz_num = d->clock->hz_num;
        t->hz_den = d->clock->hz_den;
        return 0;
    }
    params_freq(p, "frequency", &t->hz_num, &t->hz_den);
    if (clock_init(&d->own_clock, d->c->name, t->hz_num, t->hz_den) != 0)
        return params_error(p, "frequency", err, "frequency must be above 0 Hz");
    d->clock = &d->own_clock;
    t->hz_num = d->own_clock.hz_num;
    t->hz_den = d->own_clock.hz_den;
    return 0;
}

/* Whole cycles covering a duration (rounded up, as a controller must). */
static uint64_t dram_cycles_for(const struct dram *d, sim_time_t span)
{
    return dram_cycle_at(d, span);
}

static int dram_geometry_param(const struct params *p, const char *name, uint64_t *out,
                               struct cw_error *err)
{
    params_u64(p, name, out);
    if (!is_pow2(*out))
        return params_error(p, name, err, "%s must be a power of two, not %llu", name,
                            (unsigned long long)*out);
    return 0;
}

static int dram_read_geometry(struct dram *d, const struct params *p, const struct dram_preset *ps,
                              struct cw_error *err)
{
    uint64_t bus_width = 8;
    d->count[DRAM_BANK] = ps->banks;
    d->count[DRAM_COLUMN] = ps->columns;
    if (dram_geometry_param(p, "channels", &d->count[DRAM_CHANNEL], err) ||
        dram_geometry_param(p, "ranks", &d->count[DRAM_RANK], err) ||
        dram_geometry_param(p, "banks", &d->count[DRAM_BANK], err) ||
        dram_geometry_param(p, "columns", &d->count[DRAM_COLUMN], err) ||
        dram_geometry_param(p, "bus-width", &bus_width, err))
        return -1;
    d->offset_bits = log2_u64(bus_width);
    unsigned bits = d->offset_bits;
    for (int f = 0; f < DRAM_NFIELDS; f++)
        if (f != DRAM_ROW)
            bits += log2_u64(d->count[f]);
    if (bits >= 48)
        return params_error(p, "columns", err, "geometry has %u address bits below the row; "
                            "too many", bits);
    uint64_t row_bytes_all = 1ull << bits; /* bytes per row index across all banks */
    uint64_t rows = (d->size + row_bytes_all - 1) / row_bytes_all;
    uint64_t need = 1;
    while (need < rows)
        need <<= 1;
    d->count[DRAM_ROW] = need;
    if (params_has(p, "rows")) {
        if (dram_geometry_param(p, "rows", &d->count[DRAM_ROW], err))
            return -1;
        if (d->count[DRAM_ROW] < need)
            return params_error(p, "rows", err,
                                "%llu rows hold %llu bytes, less than the size (%llu bytes)",
                                (unsigned long long)d->count[DRAM_ROW],
                                (unsigned long long)(d->count[DRAM_ROW] * row_bytes_all),
                                (unsigned long long)d->size);
    }
    for (int f = 0; f < DRAM_NFIELDS; f++)
        d->bits[f] = log2_u64(d->count[f]);
    if (bits + d->bits[DRAM_ROW] > 63)
        return params_error(p, "rows", err, "geometry needs more than 63 address bits");
    dram_place_fields(d);
    uint64_t nbanks = d->count[DRAM_CHANNEL] * d->count[DRAM_RANK] * d->count[DRAM_BANK];
    if (nbanks > 4096)
        return params_error(p, "banks", err, "%llu banks in all; at most 4096",
                            (unsigned long long)nbanks);
    d->banks = calloc(nbanks, sizeof *d->banks);
    d->channels = calloc(d->count[DRAM_CHANNEL], sizeof *d->channels);
    if (!d->banks || !d->channels)
        return cw_errorf(err, "%s: out of memory", d->c->name);
    return 0;
}

static void dram_register_stats(struct dram *d, bool per_bank)
{
    struct component *c = d->c;
    stat_register(c, "accesses", "accesses timed", &d->stat_accesses);
    stat_register(c, "reads", "read accesses", &d->stat_reads);
    stat_register(c, "writes", "write accesses", &d->stat_writes);
    stat_register(c, "row-hits", "accesses to the open row", &d->stat_hits);
    stat_register(c, "row-misses", "accesses to a precharged bank", &d->stat_misses);
    stat_register(c, "row-conflicts", "accesses while another row was open", &d->stat_conflicts);
    stat_register(c, "refresh-stalls", "accesses that waited for a refresh", &d->stat_refresh_stalls);
    stat_register(c, "refresh-wait-ps", "time accesses waited for refreshes (ps)",
                  &d->stat_refresh_wait_ps);
    stat_register(c, "latency-total-ps", "sum of access latencies (ps)", &d->stat_latency_total_ps);
    stat_register(c, "latency-avg-ps", "average access latency (ps)", &d->stat_latency_avg_ps);
    stat_register(c, "latency-max-ps", "longest access latency (ps)", &d->stat_latency_max_ps);
    if (!per_bank)
        return;
    bool named_channel = d->count[DRAM_CHANNEL] > 1, named_rank = d->count[DRAM_RANK] > 1;
    for (uint64_t ch = 0; ch < d->count[DRAM_CHANNEL]; ch++) {
        for (uint64_t rk = 0; rk < d->count[DRAM_RANK]; rk++) {
            for (uint64_t bk = 0; bk < d->count[DRAM_BANK]; bk++) {
                struct dram_location loc = { (unsigned)ch, (unsigned)rk, (unsigned)bk, 0, 0 };
                struct dram_bank *b = dram_bank_at(d, &loc);
                char prefix[64], name[96];
                int n = 0;
                if (named_channel)
                    n += snprintf(prefix + n, sizeof prefix - n, "ch%llu.", (unsigned long long)ch);
                if (named_rank)
                    n += snprintf(prefix + n, sizeof prefix - n, "rank%llu.", (unsigned long long)rk);
                snprintf(prefix + n, sizeof prefix - n, "bank%llu.", (unsigned long long)bk);
                snprintf(name, sizeof name, "%shits", prefix);
                stat_register(c, name, "row hits in this bank", &b->stat_hits);
                snprintf(name, sizeof name, "%smisses", prefix);
                stat_register(c, name, "row misses in this bank", &b->stat_misses);
                snprintf(name, sizeof name, "%sconflicts", prefix);
                stat_register(c, name, "row conflicts in this bank", &b->stat_conflicts);
            }
        }
    }
}

static int dram_map(struct dram *d, const struct params *p, struct cw_error *err)
{
    const char *mode = params_string(p, "region");
    struct addr_space *as = params_space(p, "space");
    struct cw_error e2;
    struct region *r;
    if (strcmp(mode, "ram") == 0) {
        r = as_add_ram(as, d->c, d->c->name, d->base, d->size, &e2);
        if (r)
            region_set_timing(r, dram_region_timing, d);
    } else if (strcmp(mode, "mmio") == 0) {
        if (d->size > (uint64_t)SIZE_MAX / 2 || !(d->store = calloc(1, (size_t)d->size)))
            return params_error(p, "size", err, "cannot allocate %llu bytes",
                                (unsigned long long)d->size);
        r = as_add_mmio(as, d->c, d->c->name, d->base, d->size, &dram_mmio_ops, d, &e2);
    } else {
        return params_error(p, "region", err, "region must be 'ram' or 'mmio', not '%s'", mode);
    }
    if (!r)
        return params_error(p, "base", err, "%s", e2.msg);
    return 0;
}

static int dram_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct dram *d = calloc(1, sizeof *d);
    if (!d)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = d;
    d->c = c;
    params_u64(p, "base", &d->base);
    params_size(p, "size", &d->size);
    if (d->size == 0)
        return params_error(p, "size", err, "size must be above 0");

    const char *preset = params_string(p, "preset");
    const struct dram_preset *ps = dram_find_preset(preset);
    if (!ps)
        return params_error(p, "preset", err, "unknown DRAM preset '%s'; expected one of sdram-pc100, "
                            "ddr2-800, ddr3-1333, ddr3-1600, ddr4-2400, ddr4-3200", preset);
    const char *policy = params_string(p, "page-policy");
    if (strcmp(policy, "open") != 0 && strcmp(policy, "closed") != 0)
        return params_error(p, "page-policy", err, "page-policy must be 'open' or 'closed', not '%s'",
                            policy);
    d->closed_page = strcmp(policy, "closed") == 0;
    if (dram_read_timing(d, p, ps, err) ||
        dram_parse_mapping(d, params_string(p, "mapping"), p, err) ||
        dram_read_geometry(d, p, ps, err))
        return -1;
    dram_set_period(d);
    d->burst_cycles = d->t.burst_length / d->t.data_rate;
    d->trefi_cycles = d->t.trefi ? dram_cycles_for(d, d->t.trefi) : 0;
    d->trfc_cycles = dram_cycles_for(d, d->t.trfc);
    params_time(p, "controller-latency", &d->controller_latency);
    if (dram_map(d, p, err))
        return -1;
    bool per_bank = true;
    params_bool(p, "bank-stats", &per_bank);
    dram_register_stats(d, per_bank);
    d->iface.access = dram_iface_access;
    d->iface.opaque = d;
    d->iface.claim = dram_iface_claim;
    component_export(c, "dram", &d->iface);
    return 0;
}

static void dram_destroy(struct component *c)
{
    struct dram *d = c->state;
    if (!d)
        return;
    free(d->banks);
    free(d->channels);
    free(d->store);
    free(d);
}

const struct component_type dram_type = {
    .name = "dram",
    .description = "DRAM main memory with banks, rows, page policy, JEDEC timing and refresh",
    .params = dram_params,
    .create = dram_create,
    .destroy = dram_destroy,
};
