/* hpet.c: the High Precision Event Timer block of a PC chipset: a 64-bit
 * main counter, 3 to 24 comparators and the legacy replacement route.
 * Follows the IA-PC HPET Specification 1.0a (Intel, October 2004), with the
 * register values of the HPET in Intel's ICH southbridges.
 *
 * Registers (1 KiB at 0xFED00000 by default, 32- and 64-bit accesses):
 * 0x000 General Capabilities and ID, 0x010 General Configuration
 * (ENABLE_CNF, LEG_RT_CNF), 0x020 General Interrupt Status, 0x0F0 Main
 * Counter, and per timer n at 0x100 + 0x20 n: Configuration and
 * Capabilities, Comparator, FSB route (no FSB delivery: reads 0). As in
 * the ICH, timer 0 is 64-bit and periodic-capable; the others are 32-bit
 * and one-shot.
 *
 * Nothing ticks. The main counter is computed from the cycle count of its
 * clock (counter_base at cycle base_cycle). Each timer keeps the counter
 * value up to which its matches have been applied (`accounted`) and
 * applies the matches since then in closed form whenever anything looks
 * (an access, an event): a periodic comparator advances by its period per
 * match. An event is scheduled only for a match that a wire would see (an
 * enabled edge interrupt, or a level interrupt not yet pending); a
 * periodic timer with its interrupt disabled keeps counting lazily.
 *
 * Interrupts: with LEG_RT_CNF, timer 0 drives output "irq0" and timer 1
 * "irq8", and the inputs "irq0-in" (the 8254's OUT0) and "irq8-in" (the
 * RTC) are cut off, as in the ICH; without it those inputs pass through to
 * irq0/irq8 and each timer drives output "pin<n>", n = Tn_INT_ROUTE_CNF,
 * for the I/O APIC pins of the route capability (default 20-23, as in the
 * ICH). Level-triggered timers hold their line while Tn_INT_STS is set
 * (write 1 to clear); edge-triggered ones pulse it and leave the status 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/signal.h"
#include "kernel/sim.h"

#define HPET_MMIO_SIZE 0x400
#define HPET_MIN_TIMERS 3     /* the specification's minimum */
#define HPET_MAX_TIMERS 24    /* 0x100 + 24 * 0x20 fills the 1 KiB block */
#define HPET_ROUTE_PINS 32    /* Tn_INT_ROUTE_CAP is a 32-bit mask */
#define HPET_MAX_PERIOD_FS 100000000u /* 100 ns: the spec's slowest clock */

/* Register offsets */
#define HPET_REG_CAPABILITIES 0x000
#define HPET_REG_CONFIG 0x010
#define HPET_REG_STATUS 0x020
#define HPET_REG_COUNTER 0x0F0
#define HPET_REG_TIMER0 0x100
#define HPET_TIMER_STRIDE 0x20
#define HPET_TN_CONFIG 0x00
#define HPET_TN_COMPARATOR 0x08
#define HPET_TN_FSB_ROUTE 0x10

/* General Capabilities and ID */
#define HPET_CAP_REV_ID 0x01ull
#define HPET_CAP_NUM_TIM_SHIFT 8
#define HPET_CAP_COUNT_SIZE (1ull << 13) /* 64-bit main counter */
#define HPET_CAP_LEG_RT (1ull << 15)
#define HPET_CAP_VENDOR_SHIFT 16
#define HPET_CAP_PERIOD_SHIFT 32

/* General Configuration */
#define HPET_CFG_ENABLE 0x1u
#define HPET_CFG_LEG_RT 0x2u
#define HPET_CFG_WRITABLE (HPET_CFG_ENABLE | HPET_CFG_LEG_RT)

/* Timer n Configuration and Capabilities (low half; the high half is
 * Tn_INT_ROUTE_CAP) */
#define HPET_TN_LEVEL (1u << 1)       /* Tn_INT_TYPE_CNF */
#define HPET_TN_INT_ENB (1u << 2)     /* Tn_INT_ENB_CNF */
#define HPET_TN_PERIODIC (1u << 3)    /* Tn_TYPE_CNF */
#define HPET_TN_PER_INT_CAP (1u << 4)
#define HPET_TN_SIZE_CAP (1u << 5)    /* 64-bit comparator */
#define HPET_TN_VAL_SET (1u << 6)     /* Tn_VAL_SET_CNF */
#define HPET_TN_32MODE (1u << 8)      /* Tn_32MODE_CNF */
#define HPET_TN_ROUTE_SHIFT 9         /* Tn_INT_ROUTE_CNF, 5 bits */
#define HPET_TN_ROUTE_MASK (0x1Fu << HPET_TN_ROUTE_SHIFT)
#define HPET_TN_FSB_EN (1u << 14)     /* not capable: reads 0 */
#define HPET_TN_FSB_CAP (1u << 15)

/* Output lines: I/O APIC pins 0-31 by route, then the two legacy lines. */
enum {
    HPET_LINE_IRQ0 = HPET_ROUTE_PINS,
    HPET_LINE_IRQ8,
    HPET_LINES,
    HPET_LINE_NONE = -1,
};

struct hpet;

struct hpet_timer {
    struct hpet *hpet;
    unsigned index;
    uint32_t config;      /* Tn_CONF_CAP low half: settings and capabilities */
    uint64_t comparator;  /* Tn_COMPARATOR_VAL (the accumulator when periodic) */
    uint64_t period;      /* the last value written: the periodic increment */
    uint64_t accounted;   /* main counter value up to which matches are applied */
    bool status;          /* Tn_INT_STS (level-triggered only) */
    struct event match_event;
    uint64_t stat_matches;
};

struct hpet {
    struct component *comp;
    struct sim *sim;
    struct clock_domain clock;   /* the counter's clock */
    unsigned timers;
    uint16_t vendor_id;
    uint32_t period_fs;          /* COUNTER_CLK_PERIOD */
    uint32_t route_cap;          /* Tn_INT_ROUTE_CAP of every timer */
    uint32_t config;             /* General Configuration */
    uint64_t counter_base;       /* main counter at cycle base_cycle (or halted) */
    uint64_t base_cycle;
    int legacy_in[2];            /* levels of irq0-in and irq8-in */
    struct signal *line[HPET_LINES];
    struct hpet_timer timer[HPET_MAX_TIMERS];
    uint64_t stat_reads;
    uint64_t stat_writes;
    uint64_t stat_interrupts;
};

/* --- main counter ------------------------------------------------------------ */

static bool hpet_running(const struct hpet *s)
{
    return (s->config & HPET_CFG_ENABLE) != 0;
}

static uint64_t hpet_cycles_now(const struct hpet *s)
{
    return clock_time_to_cycles(&s->clock, sim_now(s->sim));
}

static uint64_t hpet_counter_now(const struct hpet *s)
{
    if (!hpet_running(s))
        return s->counter_base;
    return s->counter_base + (hpet_cycles_now(s) - s->base_cycle);
}

/* Sets the counter to `value` now (a halted counter stays there); a
 * written counter passes no comparator value, so no match is due. */
static void hpet_set_counter(struct hpet *s, uint64_t value)
{
    s->counter_base = value;
    s->base_cycle = hpet_cycles_now(s);
    for (unsigned i = 0; i < s->timers; i++)
        s->timer[i].accounted = value;
}

/* --- comparators -------------------------------------------------------------- */

/* Bits the comparator compares: 64 for a 64-bit timer not forced to 32-bit
 * mode, else the counter's low 32 bits (which wrap every 2^32 ticks). */
static uint64_t hpet_timer_mask(const struct hpet_timer *t)
{
    bool wide = (t->config & HPET_TN_SIZE_CAP) && !(t->config & HPET_TN_32MODE);
    return wide ? UINT64_MAX : 0xFFFFFFFFull;
}

static bool hpet_timer_periodic(const struct hpet_timer *t)
{
    return (t->config & HPET_TN_PERIODIC) != 0;
}

static bool hpet_timer_level(const struct hpet_timer *t)
{
    return (t->config & HPET_TN_LEVEL) != 0;
}

/* Counter ticks after `from` until the next match, minus one (0..mask):
 * the comparison is for equality, so a comparator equal to the counter
 * matches again only after a full wrap. */
static uint64_t hpet_ticks_before_match(const struct hpet_timer *t, uint64_t from)
{
    return (t->comparator - from - 1) & hpet_timer_mask(t);
}

/* Applies the matches of the counter moving from t->accounted to `now`.
 * A periodic comparator advances by its period (the spec's accumulator),
 * wrapping at the compared width. Returns true if there was a match. */
static bool hpet_timer_advance(struct hpet_timer *t, uint64_t now)
{
    uint64_t ticks = now - t->accounted;
    uint64_t before = hpet_ticks_before_match(t, t->accounted);
    t->accounted = now;
    if (ticks <= before)
        return false;
    if (hpet_timer_periodic(t)) {
        uint64_t mask = hpet_timer_mask(t);
        uint64_t step = t->period & mask;
        /* A zero period leaves the comparator where it is. */
        uint64_t matches = step ? (ticks - before - 1) / step + 1 : 1;
        t->comparator = (t->comparator + matches * step) & mask;
    }
    t->stat_matches++;
    return true;
}

/* The output a timer drives, or HPET_LINE_NONE (a route outside the
 * capability, which the guest cannot write, or an unwired pin). */
static int hpet_timer_line(const struct hpet_timer *t)
{
    const struct hpet *s = t->hpet;
    if ((s->config & HPET_CFG_LEG_RT) && t->index < 2)
        return t->index == 0 ? HPET_LINE_IRQ0 : HPET_LINE_IRQ8;
    unsigned route = (t->config & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT;
    return s->line[route] ? (int)route : HPET_LINE_NONE;
}

/* A level-triggered timer asserts its line while its status bit is set,
 * its interrupt enabled and the block enabled ("ENABLE_CNF = 0 disables
 * all timer interrupts"). */
static bool hpet_timer_asserts(const struct hpet_timer *t)
{
    return hpet_timer_level(t) && t->status && (t->config & HPET_TN_INT_ENB) &&
           hpet_running(t->hpet);
}

static void hpet_update_outputs(struct hpet *s)
{
    int level[HPET_LINES] = {0};
    if (!(s->config & HPET_CFG_LEG_RT)) {
        level[HPET_LINE_IRQ0] = s->legacy_in[0];
        level[HPET_LINE_IRQ8] = s->legacy_in[1];
    }
    uint64_t from_timers = 0;
    for (unsigned i = 0; i < s->timers; i++) {
        const struct hpet_timer *t = &s->timer[i];
        int line = hpet_timer_line(t);
        if (line != HPET_LINE_NONE && hpet_timer_asserts(t)) {
            level[line] = 1;
            from_timers |= 1ull << line;
        }
    }
    for (int i = 0; i < HPET_LINES; i++) {
        if (!s->line[i])
            continue;
        if ((from_timers >> i & 1) && !signal_level(s->line[i]))
            s->stat_interrupts++;
        signal_set(s->line[i], level[i]);
    }
}

/* An edge-triggered interrupt: a pulse on the timer's line. A line held
 * high by another source swallows the edge, as on a shared wire. */
static void hpet_timer_pulse(struct hpet_timer *t)
{
    struct hpet *s = t->hpet;
    int line = hpet_timer_line(t);
    if (line == HPET_LINE_NONE || signal_level(s->line[line]))
        return;
    s->stat_interrupts++;
    signal_pulse(s->line[line]);
}

/* Brings the timer to the current counter value and performs the
 * interrupt of a match: level timers set Tn_INT_STS (whether or not the
 * interrupt is enabled, as the spec says); edge timers pulse if enabled.
 * Returns true if the level state may have changed. */
static bool hpet_timer_sync(struct hpet_timer *t)
{
    struct hpet *s = t->hpet;
    if (!hpet_timer_advance(t, hpet_counter_now(s)))
        return false;
    if (hpet_timer_level(t)) {
        bool was = t->status;
        t->status = true;
        return !was;
    }
    if (t->config & HPET_TN_INT_ENB)
        hpet_timer_pulse(t);
    return false;
}

static bool hpet_sync_all(struct hpet *s)
{
    bool changed = false;
    for (unsigned i = 0; i < s->timers; i++)
        changed |= hpet_timer_sync(&s->timer[i]);
    return changed;
}

/* A match needs an event only if a wire would see it. */
static bool hpet_timer_needs_event(const struct hpet_timer *t)
{
    if (!hpet_running(t->hpet) || !(t->config & HPET_TN_INT_ENB))
        return false;
    return !hpet_timer_level(t) || !t->status;
}

static void hpet_timer_schedule(struct hpet_timer *t)
{
    struct hpet *s = t->hpet;
    if (!hpet_timer_needs_event(t)) {
        event_cancel(s->sim, &t->match_event);
        return;
    }
    uint64_t cycles = hpet_cycles_now(s);
    uint64_t now = s->counter_base + (cycles - s->base_cycle);
    uint64_t before = hpet_ticks_before_match(t, now);
    /* A 64-bit match thousands of years away is never. */
    if (before >= UINT64_MAX - cycles) {
        event_cancel(s->sim, &t->match_event);
        return;
    }
    sim_time_t when = clock_cycles_to_time(&s->clock, cycles + before + 1);
    if (when == SIM_TIME_MAX) {
        event_cancel(s->sim, &t->match_event);
        return;
    }
    if (event_pending(&t->match_event) && t->match_event.when == when)
        return;
    event_schedule(s->sim, &t->match_event, when, EVENT_PRIO_DEFAULT);
}

static void hpet_schedule_all(struct hpet *s)
{
    for (unsigned i = 0; i < s->timers; i++)
        hpet_timer_schedule(&s->timer[i]);
}

static void hpet_match_event(struct event *ev, void *opaque)
{
    struct hpet_timer *t = opaque;
    if (hpet_timer_sync(t))
        hpet_update_outputs(t->hpet);
    hpet_timer_schedule(t);
}

/* --- registers ------------------------------------------------------------------ */

static uint64_t hpet_capabilities(const struct hpet *s)
{
    return HPET_CAP_REV_ID | (uint64_t)(s->timers - 1) << HPET_CAP_NUM_TIM_SHIFT |
           HPET_CAP_COUNT_SIZE | HPET_CAP_LEG_RT |
           (uint64_t)s->vendor_id << HPET_CAP_VENDOR_SHIFT |
           (uint64_t)s->period_fs << HPET_CAP_PERIOD_SHIFT;
}

static uint64_t hpet_status(const struct hpet *s)
{
    uint64_t bits = 0;
    for (unsigned i = 0; i < s->timers; i++)
        if (s->timer[i].status)
            bits |= 1ull << i;
    return bits;
}

/* The timer whose registers hold `reg`, or NULL; *field is the offset in
 * its 0x20-byte block. */
static struct hpet_timer *hpet_timer_at(struct hpet *s, uint64_t reg, uint64_t *field)
{
    if (reg < HPET_REG_TIMER0)
        return NULL;
    uint64_t index = (reg - HPET_REG_TIMER0) / HPET_TIMER_STRIDE;
    if (index >= s->timers)
        return NULL;
    *field = (reg - HPET_REG_TIMER0) % HPET_TIMER_STRIDE;
    return &s->timer[index];
}

/* The 64-bit register at `reg` (8-aligned); reserved ones read 0. */
static uint64_t hpet_read_reg(struct hpet *s, uint64_t reg)
{
    switch (reg) {
    case HPET_REG_CAPABILITIES:
        return hpet_capabilities(s);
    case HPET_REG_CONFIG:
        return s->config;
    case HPET_REG_STATUS:
        return hpet_status(s);
    case HPET_REG_COUNTER:
        return hpet_counter_now(s);
    default:
        break;
    }
    uint64_t field = 0;
    struct hpet_timer *t = hpet_timer_at(s, reg, &field);
    if (!t)
        return 0;
    if (field == HPET_TN_CONFIG)
        return t->config | (uint64_t)s->route_cap << 32;
    if (field == HPET_TN_COMPARATOR)
        return t->comparator;
    return 0; /* FSB route (not capable) and reserved */
}

static void hpet_write_config(struct hpet *s, uint32_t value)
{
    uint32_t next = value & HPET_CFG_WRITABLE;
    if ((next ^ s->config) & HPET_CFG_ENABLE) {
        /* Halting keeps the value reached; starting counts from it. */
        s->counter_base = hpet_counter_now(s);
        s->base_cycle = hpet_cycles_now(s);
    }
    s->config = next;
}

static void hpet_write_status(struct hpet *s, uint64_t ones)
{
    for (unsigned i = 0; i < s->timers; i++)
        if (ones >> i & 1)
            s->timer[i].status = false;
}

static void hpet_write_timer_config(struct hpet_timer *t, uint32_t value, uint32_t mask)
{
    const struct hpet *s = t->hpet;
    uint32_t writable = HPET_TN_LEVEL | HPET_TN_INT_ENB | HPET_TN_VAL_SET | HPET_TN_ROUTE_MASK;
    if (t->config & HPET_TN_PER_INT_CAP)
        writable |= HPET_TN_PERIODIC;
    if (t->config & HPET_TN_SIZE_CAP)
        writable |= HPET_TN_32MODE;
    writable &= mask;
    uint32_t next = (t->config & ~writable) | (value & writable);
    /* A route the timer cannot take is not stored: "the value read back
     * will not match what is written". */
    unsigned route = (next & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT;
    if (!(s->route_cap >> route & 1))
        next = (next & ~HPET_TN_ROUTE_MASK) | (t->config & HPET_TN_ROUTE_MASK);
    if (!(next & HPET_TN_LEVEL))
        t->status = false; /* edge mode has no status */
    t->config = next;
    t->comparator &= hpet_timer_mask(t);
    t->period &= hpet_timer_mask(t);
}

/* A comparator write sets the periodic increment; it sets the comparator
 * itself in one-shot mode, or in periodic mode when Tn_VAL_SET_CNF is set
 * (which then clears). Bits above a 32-bit timer's width are ignored. */
static void hpet_write_comparator(struct hpet_timer *t, uint64_t value, uint64_t mask)
{
    mask &= hpet_timer_mask(t);
    if (!mask)
        return;
    t->period = (t->period & ~mask) | (value & mask);
    if (!hpet_timer_periodic(t) || (t->config & HPET_TN_VAL_SET))
        t->comparator = (t->comparator & ~mask) | (value & mask);
    t->config &= ~HPET_TN_VAL_SET;
    t->accounted = hpet_counter_now(t->hpet);
}

/* Writes the bits of `mask` of the register at `reg` (8-aligned). */
static void hpet_write_reg(struct hpet *s, uint64_t reg, uint64_t value, uint64_t mask)
{
    switch (reg) {
    case HPET_REG_CONFIG:
        hpet_write_config(s, (uint32_t)((s->config & ~mask) | (value & mask)));
        return;
    case HPET_REG_STATUS:
        hpet_write_status(s, value & mask);
        return;
    case HPET_REG_COUNTER:
        hpet_set_counter(s, (hpet_counter_now(s) & ~mask) | (value & mask));
        return;
    default:
        break;
    }
    uint64_t field = 0;
    struct hpet_timer *t = hpet_timer_at(s, reg, &field);
    if (!t)
        return; /* capabilities (read-only) and reserved */
    if (field == HPET_TN_CONFIG)
        hpet_write_timer_config(t, (uint32_t)value, (uint32_t)mask);
    else if (field == HPET_TN_COMPARATOR)
        hpet_write_comparator(t, value, mask);
}

static uint64_t hpet_byte_mask(unsigned bytes)
{
    return bytes >= 8 ? UINT64_MAX : (1ull << (bytes * 8)) - 1;
}

/* Accesses are split at 64-bit register edges; any width works (the spec
 * asks for 32 or 64 bits; smaller ones act on their bytes). */
static uint64_t hpet_read(void *opaque, uint64_t offset, unsigned size)
{
    struct hpet *s = opaque;
    s->stat_reads++;
    if (hpet_sync_all(s)) {
        hpet_update_outputs(s);
        hpet_schedule_all(s);
    }
    uint64_t value = 0;
    for (unsigned done = 0; done < size;) {
        uint64_t at = offset + done;
        unsigned shift = (unsigned)(at & 7);
        unsigned n = size - done < 8 - shift ? size - done : 8 - shift;
        uint64_t part = hpet_read_reg(s, at & ~7ull) >> (shift * 8);
        value |= (part & hpet_byte_mask(n)) << (done * 8);
        done += n;
    }
    return value;
}

static void hpet_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct hpet *s = opaque;
    s->stat_writes++;
    hpet_sync_all(s);
    for (unsigned done = 0; done < size;) {
        uint64_t at = offset + done;
        unsigned shift = (unsigned)(at & 7);
        unsigned n = size - done < 8 - shift ? size - done : 8 - shift;
        uint64_t part = (value >> (done * 8)) & hpet_byte_mask(n);
        hpet_write_reg(s, at & ~7ull, part << (shift * 8), hpet_byte_mask(n) << (shift * 8));
        done += n;
    }
    hpet_update_outputs(s);
    hpet_schedule_all(s);
}

static const struct mmio_ops hpet_ops = {
    .read = hpet_read,
    .write = hpet_write,
    .max_access = 8,
};

/* The 8254's OUT0 (line 0) and the RTC's IRQ (line 1), passed through to
 * irq0/irq8 unless legacy replacement cuts them off. */
static void hpet_legacy_input(void *opaque, int line, int level)
{
    struct hpet *s = opaque;
    s->legacy_in[line] = level != 0;
    hpet_update_outputs(s);
}

/* --- component ------------------------------------------------------------------ */

static const struct param_desc hpet_params[] = {
    {"space", PARAM_SPACE, "memory", "memory space holding the 1 KiB register block"},
    {"base", PARAM_U64, "0xFED00000", "address of the register block"},
    {"frequency", PARAM_FREQ, "14.31818MHz", "main counter clock (10 MHz or more)"},
    {"timers", PARAM_U64, "3", "number of comparators, 3 to 24"},
    {"vendor-id", PARAM_U64, "0x8086", "VENDOR_ID in the capabilities register"},
    {"route-cap", PARAM_U64, "0xF00000",
     "Tn_INT_ROUTE_CAP: I/O APIC pins the timers can be routed to (bit n = pin n; one "
     "output pin<n> each)"},
    PARAM_END,
};

static int hpet_create_outputs(struct component *c, struct hpet *s)
{
    char pin[16];
    for (unsigned n = 0; n < HPET_ROUTE_PINS; n++) {
        if (!(s->route_cap >> n & 1))
            continue;
        snprintf(pin, sizeof pin, "pin%u", n);
        s->line[n] = signal_create(c->sim, c, pin);
    }
    s->line[HPET_LINE_IRQ0] = signal_create(c->sim, c, "irq0");
    s->line[HPET_LINE_IRQ8] = signal_create(c->sim, c, "irq8");
    if (signal_input_register(c->sim, c, "irq0-in", hpet_legacy_input, s, 0) < 0 ||
        signal_input_register(c->sim, c, "irq8-in", hpet_legacy_input, s, 1) < 0)
        return -1;
    return 0;
}

static int hpet_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct hpet *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;

    uint64_t num = 0, den = 0;
    params_freq(p, "frequency", &num, &den);
    if (clock_init(&s->clock, c->name, num, den) != 0)
        return params_error(p, "frequency", err, "a frequency above 0 Hz");
    /* COUNTER_CLK_PERIOD in femtoseconds, rounded to the nearest. */
    unsigned __int128 fs = ((unsigned __int128)1000000000000000ull * den + num / 2) / num;
    if (fs == 0 || fs > HPET_MAX_PERIOD_FS)
        return params_error(p, "frequency", err,
                            "the HPET specification needs a clock of 10 MHz or more "
                            "(a period of at most 100 ns) and at most 10^15 Hz");
    s->period_fs = (uint32_t)fs;

    uint64_t timers = 0, vendor = 0, route_cap = 0, base = 0;
    params_u64(p, "timers", &timers);
    if (timers < HPET_MIN_TIMERS || timers > HPET_MAX_TIMERS)
        return params_error(p, "timers", err, "from %u to %u comparators (1 KiB of registers)",
                            HPET_MIN_TIMERS, HPET_MAX_TIMERS);
    s->timers = (unsigned)timers;
    /* Events first: reset and destroy may run after a later refusal. */
    for (unsigned i = 0; i < s->timers; i++) {
        struct hpet_timer *t = &s->timer[i];
        t->hpet = s;
        t->index = i;
        event_init(c->sim, &t->match_event, "hpet-match", hpet_match_event, t);
    }
    params_u64(p, "vendor-id", &vendor);
    if (vendor == 0 || vendor >= 0xFFFF)
        return params_error(p, "vendor-id", err,
                            "a 16-bit PCI vendor id other than 0 and 0xFFFF (firmware "
                            "takes those for no HPET)");
    s->vendor_id = (uint16_t)vendor;
    params_u64(p, "route-cap", &route_cap);
    if (route_cap == 0 || route_cap > UINT32_MAX)
        return params_error(p, "route-cap", err,
                            "a non-zero 32-bit mask of I/O APIC pins (bit n = pin n)");
    s->route_cap = (uint32_t)route_cap;

    params_u64(p, "base", &base);
    if (!as_add_mmio(params_space(p, "space"), c, c->name, base, HPET_MMIO_SIZE, &hpet_ops, s,
                     err))
        return -1;
    if (hpet_create_outputs(c, s) != 0)
        return cw_errorf(err, "%s: cannot register its legacy inputs", c->name);

    stat_register(c, "reads", "register reads", &s->stat_reads);
    stat_register(c, "writes", "register writes", &s->stat_writes);
    stat_register(c, "interrupts", "interrupts the timers raised (pulses and level rises)",
                  &s->stat_interrupts);
    stat_register(c, "timer0-matches", "comparator 0 matches", &s->timer[0].stat_matches);
    return 0;
}

static void hpet_reset(struct component *c)
{
    struct hpet *s = c->state;
    s->config = 0;
    for (unsigned i = 0; i < s->timers; i++) {
        struct hpet_timer *t = &s->timer[i];
        event_cancel(s->sim, &t->match_event);
        /* As in the ICH: timer 0 64-bit and periodic-capable, the others
         * 32-bit one-shot; comparators reset to all ones. */
        t->config = i == 0 ? HPET_TN_PER_INT_CAP | HPET_TN_SIZE_CAP : 0;
        t->comparator = hpet_timer_mask(t);
        t->period = 0;
        t->status = false;
    }
    hpet_set_counter(s, 0);
    hpet_update_outputs(s);
}

static void hpet_destroy(struct component *c)
{
    free(c->state);
    c->state = NULL;
}

const struct component_type hpet_type = {
    .name = "hpet",
    .description = "IA-PC High Precision Event Timer block (64-bit counter, legacy "
                   "replacement, computed lazily)",
    .params = hpet_params,
    .create = hpet_create,
    .reset = hpet_reset,
    .destroy = hpet_destroy,
};
