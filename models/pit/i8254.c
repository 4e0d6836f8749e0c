/* i8254.c: the 8254 programmable interval timer: three 16-bit down counters,
 * modes 0-5, binary and BCD. Follows the Intel 82C54 datasheet (231244).
 *
 * Nothing ticks. Each counter keeps its counting element (CE) as a state
 * valid after one CLK pulse (sync_pulse) and brings it forward in closed form
 * to the pulse count of the current time whenever the guest or a gate looks
 * (i8254_sync): pulse p happens at clock_cycles_to_time(p), so the count is
 * exact however long the run. Events are scheduled only for OUT edges that a
 * wire observes (OUT0 -> IRQ0); OUT2 is read on demand by port 0x61 through
 * the "i8254" interface.
 *
 * Datasheet rules modelled: a count is loaded into the CE on the CLK pulse
 * after it is written (or after the trigger in modes 1 and 5, or the gate's
 * rising edge in modes 2 and 3); that pulse does not decrement. Mode 0 OUT
 * rises N+1 pulses after the write; mode 2 OUT is low for the pulse where
 * the CE is 1; mode 3 counts by two, odd counts load N-1 and stay high one
 * pulse longer; modes 4 and 5 strobe OUT low for one pulse at zero. New
 * counts in modes 2 and 3 wait for the end of the (half) cycle. Null count,
 * counter latch, read-back status and separate read/write byte flip-flops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/pit/i8254.h"

#define I8254_COUNTERS 3
#define I8254_NEVER UINT64_MAX

/* Control word fields */
#define I8254_CW_BCD 0x01
#define I8254_CW_SELECT(v) (((v) >> 6) & 3)
#define I8254_CW_RW(v) (((v) >> 4) & 3)
#define I8254_CW_MODE(v) (((v) >> 1) & 7)
#define I8254_READBACK_NO_COUNT 0x20
#define I8254_READBACK_NO_STATUS 0x10

enum i8254_access {
    I8254_RW_LATCH = 0, /* in a control word: counter latch command */
    I8254_RW_LSB = 1,
    I8254_RW_MSB = 2,
    I8254_RW_WORD = 3,  /* LSB then MSB */
};

struct i8254;

struct i8254_counter {
    struct i8254 *pit;
    unsigned index;

    uint8_t control;        /* status bits 5-0: RW1 RW0 M2 M1 M0 BCD */
    uint8_t mode;           /* 0..5 */
    uint8_t rw;             /* enum i8254_access; 0 until a control word */
    bool bcd;

    uint16_t cr;            /* count register as written */
    bool cr_written;        /* a complete count since the control word */
    bool null_count;        /* CR written but not yet moved into the CE */
    bool write_msb_next;    /* write flip-flop */
    uint8_t write_lsb;
    bool read_msb_next;     /* read flip-flop (unlatched reads) */

    bool count_latched;     /* output latch holds a count */
    uint16_t latched_count; /* in the counter's format (BCD if BCD) */
    bool latch_msb_next;
    bool status_latched;
    uint8_t latched_status;

    int gate;               /* level of the GATE input */

    /* Counting element, valid after CLK pulse `sync_pulse`. */
    uint64_t sync_pulse;
    bool running;           /* the CE holds a count and follows the mode */
    uint32_t n;             /* count in use, 1..modulus (a written 0 is the modulus) */
    uint64_t elapsed;       /* modes 0,1,4,5: decrements since the load */
    uint32_t phase;         /* modes 2,3: pulses into the period, 0..n-1 */
    uint32_t frozen;        /* CE value while not running */
    int idle_out;           /* OUT while not running */
    bool load_pending;      /* CR goes into the CE at pulse load_pulse */
    uint64_t load_pulse;
    bool reload_pending;    /* modes 2,3: new CR at the end of the (half) cycle */

    struct signal *out;
    struct event edge_event;
    uint64_t stat_edges;
};

struct i8254 {
    struct component *comp;
    struct sim *sim;
    struct clock_domain own_clock;
    const struct clock_domain *clock;
    struct i8254_counter counter[I8254_COUNTERS];
    struct i8254_iface iface;
    uint64_t stat_reads;
    uint64_t stat_writes;
};

/* --- counting element arithmetic ------------------------------------------- */

static uint32_t i8254_modulus(const struct i8254_counter *c)
{
    return c->bcd ? 10000u : 65536u;
}

static uint32_t i8254_from_bcd(uint16_t v)
{
    /* Invalid digits (A-F) still count as their binary weight; the chip's
     * behaviour is undefined there, ours is merely deterministic. */
    return (uint32_t)((v >> 12) & 15) * 1000u + ((v >> 8) & 15) * 100u +
           ((v >> 4) & 15) * 10u + (v & 15);
}

static uint16_t i8254_to_bcd(uint32_t v)
{
    return (uint16_t)(((v / 1000) % 10) << 12 | ((v / 100) % 10) << 8 | ((v / 10) % 10) << 4 |
                      (v % 10));
}

/* The count register as a number of pulses: 0 means the full modulus. */
static uint32_t i8254_initial_count(const struct i8254_counter *c)
{
    uint32_t m = i8254_modulus(c);
    uint32_t v = c->bcd ? i8254_from_bcd(c->cr) % m : c->cr;
    return v == 0 ? m : v;
}

static uint32_t i8254_half_high(uint32_t n)
{
    return (n + 1) / 2; /* mode 3: pulses OUT stays high per period */
}

/* The CE as a number 0..modulus-1 (not yet in BCD form). */
static uint32_t i8254_ce_value(const struct i8254_counter *c)
{
    uint32_t m = i8254_modulus(c);
    if (!c->running)
        return c->frozen % m;
    switch (c->mode) {
    case 2:
        return (c->n - c->phase) % m;
    case 3: {
        uint32_t even = c->n & ~1u;
        uint32_t hi = i8254_half_high(c->n);
        uint32_t step = c->phase < hi ? c->phase : c->phase - hi;
        return (even - 2 * step) % m;
    }
    default:
        return (uint32_t)((c->n + m - c->elapsed % m) % m);
    }
}

static int i8254_out_now(const struct i8254_counter *c)
{
    if (!c->running)
        return c->idle_out;
    switch (c->mode) {
    case 0:
    case 1:
        return c->elapsed >= c->n;
    case 2:
        if (!c->gate)
            return 1;
        return c->phase != c->n - 1;
    case 3:
        if (!c->gate)
            return 1;
        return c->phase < i8254_half_high(c->n);
    default: /* 4, 5 */
        return c->elapsed != c->n;
    }
}

/* Modes 2 and 3: d pulses of counting, switching to a newly written count at
 * the end of the current cycle (mode 2) or half cycle (mode 3). */
static void i8254_run_periodic(struct i8254_counter *c, uint64_t d)
{
    while (d > 0 && c->reload_pending) {
        uint32_t hi = i8254_half_high(c->n);
        bool to_low_half = c->mode == 3 && c->phase < hi && hi < c->n;
        uint64_t to_boundary = to_low_half ? hi - c->phase : c->n - c->phase;
        if (d < to_boundary) {
            c->phase += (uint32_t)d;
            return;
        }
        d -= to_boundary;
        c->n = i8254_initial_count(c);
        c->reload_pending = false;
        c->null_count = false;
        c->phase = 0;
        if (to_low_half && i8254_half_high(c->n) < c->n)
            c->phase = i8254_half_high(c->n);
    }
    c->phase = (uint32_t)((c->phase + d % c->n) % c->n);
}

/* Applies d CLK pulses to a running CE (no load among them). */
static void i8254_run(struct i8254_counter *c, uint64_t d)
{
    if (!c->running || d == 0)
        return;
    switch (c->mode) {
    case 0:
    case 4:
        if (c->gate)
            c->elapsed += d;
        break;
    case 1:
    case 5:
        c->elapsed += d; /* the gate only triggers in these modes */
        break;
    default:
        if (c->gate)
            i8254_run_periodic(c, d);
        break;
    }
}

/* The CLK pulse that moves CR into the CE. */
static void i8254_apply_load(struct i8254_counter *c)
{
    c->load_pending = false;
    c->reload_pending = false;
    c->null_count = false;
    c->running = true;
    c->n = i8254_initial_count(c);
    c->elapsed = 0;
    c->phase = 0;
}

/* Brings the counter forward to just after pulse `target`. */
static void i8254_sync_to(struct i8254_counter *c, uint64_t target)
{
    if (target <= c->sync_pulse)
        return;
    if (c->load_pending && c->load_pulse <= target) {
        i8254_run(c, c->load_pulse - 1 - c->sync_pulse);
        i8254_apply_load(c);
        c->sync_pulse = c->load_pulse;
    }
    i8254_run(c, target - c->sync_pulse);
    c->sync_pulse = target;
}

static uint64_t i8254_pulses_now(const struct i8254 *s)
{
    return clock_time_to_cycles(s->clock, sim_now(s->sim));
}

static void i8254_sync(struct i8254_counter *c)
{
    i8254_sync_to(c, i8254_pulses_now(c->pit));
}

/* Pulses after the current one until a running CE changes OUT, 0 if never
 * (with the gate as it is now). */
static uint64_t i8254_pulses_to_out_change(const struct i8254_counter *c)
{
    if (!c->running)
        return 0;
    switch (c->mode) {
    case 0:
        return (c->gate && c->elapsed < c->n) ? c->n - c->elapsed : 0;
    case 1:
        return c->elapsed < c->n ? c->n - c->elapsed : 0;
    case 4:
    case 5:
        if (c->mode == 4 && !c->gate)
            return 0;
        if (c->elapsed < c->n)
            return c->n - c->elapsed;
        return c->elapsed == c->n ? 1 : 0;
    case 2:
        if (!c->gate || c->n == 1)
            return 0;
        return c->phase < c->n - 1 ? c->n - 1 - c->phase : 1;
    default: { /* 3 */
        uint32_t hi = i8254_half_high(c->n);
        if (!c->gate || hi == c->n)
            return 0;
        return c->phase < hi ? hi - c->phase : c->n - c->phase;
    }
    }
}

/* The pulse at which OUT next changes, or I8254_NEVER. */
static uint64_t i8254_next_out_change(const struct i8254_counter *c)
{
    struct i8254_counter probe = *c;
    int level = i8254_out_now(c);
    if (probe.load_pending) {
        i8254_sync_to(&probe, probe.load_pulse);
        if (i8254_out_now(&probe) != level)
            return probe.load_pulse;
    }
    uint64_t d = i8254_pulses_to_out_change(&probe);
    return d ? probe.sync_pulse + d : I8254_NEVER;
}

/* Drives the OUT signal to the current level and, if a wire listens,
 * schedules the next edge. The counter must be synced to now. */
static void i8254_update_output(struct i8254_counter *c)
{
    struct i8254 *s = c->pit;
    int level = i8254_out_now(c);
    if (level != signal_level(c->out)) {
        c->stat_edges++;
        signal_set(c->out, level);
    }
    if (!c->out->sinks) {
        event_cancel(s->sim, &c->edge_event);
        return;
    }
    uint64_t pulse = i8254_next_out_change(c);
    if (pulse == I8254_NEVER) {
        event_cancel(s->sim, &c->edge_event);
        return;
    }
    event_schedule(s->sim, &c->edge_event, clock_cycles_to_time(s->clock, pulse),
                   EVENT_PRIO_DEFAULT);
}

static void i8254_edge_event(struct event *ev, void *opaque)
{
    struct i8254_counter *c = opaque;
    i8254_sync(c);
    i8254_update_output(c);
}

/* Stops the CE where it is (control word, mode 0 count write). */
static void i8254_freeze(struct i8254_counter *c, int out)
{
    c->frozen = i8254_ce_value(c);
    c->running = false;
    c->idle_out = out;
}

/* --- gate input ---------------------------------------------------------------- */

static void i8254_gate_input(void *opaque, int line, int level)
{
    struct i8254 *s = opaque;
    struct i8254_counter *c = &s->counter[line];
    level = level != 0;
    if (level == c->gate)
        return;
    i8254_sync(c);
    c->gate = level;
    /* A rising edge is a trigger: modes 1 and 5 start the one-shot, modes 2
     * and 3 reload and restart; both on the next CLK pulse. */
    bool triggers = c->mode == 1 || c->mode == 5 || c->mode == 2 || c->mode == 3;
    if (level && triggers && c->cr_written && c->rw != 0) {
        c->load_pending = true;
        c->load_pulse = c->sync_pulse + 1;
    }
    i8254_update_output(c);
}

/* --- registers ---------------------------------------------------------------- */

static uint16_t i8254_read_value(struct i8254_counter *c)
{
    uint32_t v = i8254_ce_value(c);
    return c->bcd ? i8254_to_bcd(v) : (uint16_t)v;
}

static void i8254_latch_count(struct i8254_counter *c)
{
    if (c->count_latched)
        return; /* datasheet: later latches are ignored until it is read */
    c->latched_count = i8254_read_value(c);
    c->count_latched = true;
    c->latch_msb_next = false;
}

static void i8254_latch_status(struct i8254_counter *c)
{
    if (c->status_latched)
        return;
    c->latched_status =
        (uint8_t)(i8254_out_now(c) << 7 | (c->null_count ? 0x40 : 0) | c->control);
    c->status_latched = true;
}

static uint8_t i8254_read_counter(struct i8254_counter *c)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->latched_status;
    }
    if (c->count_latched) {
        uint16_t v = c->latched_count;
        if (c->rw == I8254_RW_MSB) {
            c->count_latched = false;
            return (uint8_t)(v >> 8);
        }
        if (c->rw == I8254_RW_WORD && !c->latch_msb_next) {
            c->latch_msb_next = true;
            return (uint8_t)v;
        }
        c->count_latched = false;
        c->latch_msb_next = false;
        return (uint8_t)(c->rw == I8254_RW_WORD ? v >> 8 : v);
    }
    uint16_t v = i8254_read_value(c);
    if (c->rw == I8254_RW_MSB)
        return (uint8_t)(v >> 8);
    if (c->rw == I8254_RW_WORD) {
        c->read_msb_next = !c->read_msb_next;
        return (uint8_t)(c->read_msb_next ? v : v >> 8);
    }
    return (uint8_t)v;
}

/* A complete count arrived in CR: start or schedule its use per mode. */
static void i8254_count_written(struct i8254_counter *c)
{
    c->cr_written = true;
    c->null_count = true;
    switch (c->mode) {
    case 0:
        i8254_freeze(c, 0);
        c->load_pending = true;
        c->load_pulse = c->sync_pulse + 1;
        break;
    case 4:
        c->load_pending = true;
        c->load_pulse = c->sync_pulse + 1;
        break;
    case 2:
    case 3:
        if (c->running) {
            c->reload_pending = true;
        } else {
            c->load_pending = true;
            c->load_pulse = c->sync_pulse + 1;
        }
        break;
    default: /* 1, 5: the next trigger loads it */
        break;
    }
}

static void i8254_write_counter(struct i8254_counter *c, uint8_t v)
{
    switch (c->rw) {
    case I8254_RW_LSB:
        c->cr = v;
        break;
    case I8254_RW_MSB:
        c->cr = (uint16_t)(v << 8);
        break;
    case I8254_RW_WORD:
        if (!c->write_msb_next) {
            c->write_lsb = v;
            c->write_msb_next = true;
            /* Mode 0: writing the first byte stops counting and drives OUT
             * low at once. */
            if (c->mode == 0)
                i8254_freeze(c, 0);
            return;
        }
        c->write_msb_next = false;
        c->cr = (uint16_t)(c->write_lsb | v << 8);
        break;
    default:
        return; /* no control word yet */
    }
    i8254_count_written(c);
}

static void i8254_control_counter(struct i8254_counter *c, uint8_t v)
{
    unsigned rw = I8254_CW_RW(v);
    if (rw == I8254_RW_LATCH) {
        i8254_latch_count(c);
        return;
    }
    unsigned mode = I8254_CW_MODE(v);
    if (mode >= 6)
        mode -= 4; /* x10 and x11 are modes 2 and 3 */
    /* A control word resets the counter's control logic; OUT goes to its
     * initial state: low in mode 0, high otherwise. */
    i8254_freeze(c, mode == 0 ? 0 : 1);
    c->control = v & 0x3F;
    c->rw = (uint8_t)rw;
    c->mode = (uint8_t)mode;
    c->bcd = v & I8254_CW_BCD;
    c->cr_written = false;
    c->null_count = true;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->latch_msb_next = false;
    c->status_latched = false;
    c->load_pending = false;
    c->reload_pending = false;
}

static void i8254_read_back(struct i8254 *s, uint8_t v)
{
    for (unsigned i = 0; i < I8254_COUNTERS; i++) {
        struct i8254_counter *c = &s->counter[i];
        if (!(v & (2u << i)))
            continue;
        i8254_sync(c);
        if (!(v & I8254_READBACK_NO_COUNT))
            i8254_latch_count(c);
        if (!(v & I8254_READBACK_NO_STATUS))
            i8254_latch_status(c);
    }
}

static uint64_t i8254_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8254 *s = opaque;
    s->stat_reads++;
    if (offset >= I8254_COUNTERS)
        return 0xFF; /* the control word register is write-only */
    struct i8254_counter *c = &s->counter[offset];
    i8254_sync(c);
    return i8254_read_counter(c);
}

static void i8254_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8254 *s = opaque;
    uint8_t v = (uint8_t)value;
    s->stat_writes++;
    if (offset < I8254_COUNTERS) {
        struct i8254_counter *c = &s->counter[offset];
        i8254_sync(c);
        i8254_write_counter(c, v);
        i8254_update_output(c);
        return;
    }
    unsigned select = I8254_CW_SELECT(v);
    if (select == 3) {
        i8254_read_back(s, v);
        return;
    }
    struct i8254_counter *c = &s->counter[select];
    i8254_sync(c);
    i8254_control_counter(c, v);
    i8254_update_output(c);
}

static const struct mmio_ops i8254_ops = {
    .read = i8254_read,
    .write = i8254_write,
    .max_access = 1,
};

static int i8254_iface_out_level(void *opaque, unsigned counter)
{
    struct i8254 *s = opaque;
    if (counter >= I8254_COUNTERS)
        return 0;
    struct i8254_counter *c = &s->counter[counter];
    i8254_sync(c);
    return i8254_out_now(c);
}

/* --- component ------------------------------------------------------------------ */

static const struct param_desc i8254_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space holding the four ports"},
    {"base", PARAM_U64, "0x40", "first port (counters 0-2, then the control word)"},
    {"clock", PARAM_CLOCK, NULL, "clock domain driving CLK0-2 (overrides frequency)", true},
    {"frequency", PARAM_FREQ, "1.193182MHz", "CLK frequency when no clock domain is named"},
    PARAM_END,
};

static int i8254_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct i8254 *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;

    if (params_has(p, "clock")) {
        s->clock = params_clock(p, "clock");
    } else {
        uint64_t num = 0, den = 0;
        params_freq(p, "frequency", &num, &den);
        if (clock_init(&s->own_clock, c->name, num, den) != 0)
            return params_error(p, "frequency", err, "a frequency above 0 Hz");
        s->clock = &s->own_clock;
    }

    uint64_t base = 0;
    params_u64(p, "base", &base);
    if (!as_add_mmio(params_space(p, "space"), c, c->name, base, 4, &i8254_ops, s, err))
        return -1;

    for (unsigned i = 0; i < I8254_COUNTERS; i++) {
        struct i8254_counter *k = &s->counter[i];
        static const char *const edge_stats[I8254_COUNTERS] = {"out0-edges", "out1-edges",
                                                               "out2-edges"};
        char pin[16];
        k->pit = s;
        k->index = i;
        k->gate = 1; /* an unwired GATE is pulled high, as GATE0/1 on a PC */
        snprintf(pin, sizeof pin, "out%u", i);
        k->out = signal_create(c->sim, c, pin);
        snprintf(pin, sizeof pin, "gate%u", i);
        if (signal_input_register(c->sim, c, pin, i8254_gate_input, s, (int)i) < 0)
            return cw_errorf(err, "%s: cannot register input %s", c->name, pin);
        event_init(c->sim, &k->edge_event, "i8254-out", i8254_edge_event, k);
        stat_register(c, edge_stats[i], "OUT level changes driven onto the wire",
                      &k->stat_edges);
    }
    stat_register(c, "reads", "port reads", &s->stat_reads);
    stat_register(c, "writes", "port writes", &s->stat_writes);

    s->iface.out_level = i8254_iface_out_level;
    s->iface.opaque = s;
    component_export(c, "i8254", &s->iface);
    return 0;
}

static void i8254_reset(struct component *c)
{
    struct i8254 *s = c->state;
    uint64_t now = i8254_pulses_now(s);
    for (unsigned i = 0; i < I8254_COUNTERS; i++) {
        struct i8254_counter *k = &s->counter[i];
        /* The chip has no reset pin and powers up undefined; we start every
         * counter unprogrammed, stopped, OUT low. Gate levels are wires. */
        int gate = k->gate;
        struct signal *out = k->out;
        struct event ev = k->edge_event;
        event_cancel(s->sim, &k->edge_event);
        memset(k, 0, sizeof *k);
        k->pit = s;
        k->index = i;
        k->gate = gate;
        k->out = out;
        k->edge_event = ev;
        k->sync_pulse = now;
        i8254_update_output(k);
    }
}

static void i8254_destroy(struct component *c)
{
    free(c->state);
    c->state = NULL;
}

const struct component_type i8254_type = {
    .name = "i8254",
    .description = "Intel 8254 programmable interval timer (three counters, computed lazily)",
    .params = i8254_params,
    .create = i8254_create,
    .reset = i8254_reset,
    .destroy = i8254_destroy,
};
