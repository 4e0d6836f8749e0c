/* test_hpet.c: the HPET model against the IA-PC HPET Specification 1.0a:
 * capability registers, a main counter that runs at 14.31818 MHz only when
 * enabled (with no events while nobody waits on it) and is writable while
 * halted, one-shot matches at the exact tick (edge and level, the status
 * bit's write-1-to-clear), periodic mode with Tn_VAL_SET_CNF, 32-bit mode
 * wrap, legacy replacement onto irq0/irq8 cutting off the 8254 and RTC,
 * route selection, enable/disable cancelling events, 64-bit accesses
 * against pairs of 32-bit ones, and Linux's clockevent sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/clock.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

#define BASE 0xFED00000ull
#define REG_CAP 0x000
#define REG_CFG 0x010
#define REG_STATUS 0x020
#define REG_COUNTER 0x0F0
#define TN_CFG(n) (0x100 + 0x20 * (n))
#define TN_CMP(n) (0x108 + 0x20 * (n))
#define TN_FSB(n) (0x110 + 0x20 * (n))

#define CFG_ENABLE 0x1
#define CFG_LEGACY 0x2
#define TN_LEVEL (1u << 1)
#define TN_INT_ENB (1u << 2)
#define TN_PERIODIC (1u << 3)
#define TN_PER_CAP (1u << 4)
#define TN_64BIT_CAP (1u << 5)
#define TN_VAL_SET (1u << 6)
#define TN_32MODE (1u << 8)
#define TN_ROUTE(n) ((uint32_t)(n) << 9)

#define MAX_EDGES 64

/* Rising edges and the current level of one output. */
struct line_log {
    int level;
    unsigned rises;
    sim_time_t time[MAX_EDGES];
    struct sim *sim;
};

enum { LOG_IRQ0, LOG_IRQ8, LOG_PIN20, LOG_PIN21, LOG_PIN22, LOG_PIN23, LOGS };
static const char *const log_names[LOGS] = {"hpet0.irq0",  "hpet0.irq8",  "hpet0.pin20",
                                            "hpet0.pin21", "hpet0.pin22", "hpet0.pin23"};

struct rig {
    struct sim *sim;
    struct addr_space *mem;
    struct ynode *yaml;
    struct clock_domain clk;
    struct component *hpet;
    struct signal *pit_out;
    struct signal *rtc_irq;
    struct line_log log[LOGS];
};

static void log_line(void *opaque, int line, int level)
{
    struct line_log *l = opaque;
    if (level && !l->level) {
        if (l->rises < MAX_EDGES)
            l->time[l->rises] = sim_now(l->sim);
        l->rises++;
    }
    l->level = level;
}

static int rig_setup(void **state)
{
    static struct rig rig;
    struct rig *r = &rig;
    memset(r, 0, sizeof *r);
    struct cw_error err = {{0}};
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->mem = as_create(r->sim, "memory", SPACE_MEMORY, 32);
    sim_add_space(r->sim, r->mem);
    clock_init(&r->clk, "hpet", 14318180, 1);
    const char *yaml = "type: hpet\n";
    r->yaml = ytree_load_string(yaml, strlen(yaml), "hpet0", &err);
    assert_non_null(r->yaml);
    r->hpet = component_create(r->sim, "hpet0", component_type_find("hpet"), r->yaml, &err);
    if (!r->hpet)
        fail_msg("create: %s", err.msg);
    r->pit_out = signal_create(r->sim, NULL, "pit-out0");
    r->rtc_irq = signal_create(r->sim, NULL, "rtc-irq");
    if (signal_connect(r->sim, "host.pit-out0", "hpet0.irq0-in", &err) != 0 ||
        signal_connect(r->sim, "host.rtc-irq", "hpet0.irq8-in", &err) != 0)
        fail_msg("%s", err.msg);
    for (int i = 0; i < LOGS; i++) {
        struct signal *s = signal_find(r->sim, log_names[i]);
        assert_non_null(s);
        r->log[i].sim = r->sim;
        signal_add_sink(s, log_line, &r->log[i], 0);
    }
    sim_reset_components(r->sim);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    return 0;
}

static uint64_t rd64(struct rig *r, uint64_t reg)
{
    return as_read(r->mem, BASE + reg, 8, BUS_READ, 0, NULL);
}

static uint32_t rd32(struct rig *r, uint64_t reg)
{
    return (uint32_t)as_read(r->mem, BASE + reg, 4, BUS_READ, 0, NULL);
}

static void wr64(struct rig *r, uint64_t reg, uint64_t v)
{
    as_write(r->mem, BASE + reg, 8, v, BUS_WRITE, 0, NULL);
}

static void wr32(struct rig *r, uint64_t reg, uint32_t v)
{
    as_write(r->mem, BASE + reg, 4, v, BUS_WRITE, 0, NULL);
}

/* Start time of HPET clock tick k (absolute cycle number). */
static sim_time_t tick(struct rig *r, uint64_t k)
{
    return clock_cycles_to_time(&r->clk, k);
}

static uint64_t tick_now(struct rig *r)
{
    return clock_time_to_cycles(&r->clk, sim_now(r->sim));
}

/* Runs until just after time t: events due at t have fired. */
static void run_to(struct rig *r, sim_time_t t)
{
    struct sim_limits lim = {t + 1, 0, 0};
    assert_true(t + 1 >= sim_now(r->sim));
    sim_run(r->sim, &lim);
}

/* Runs until 1 ps before time t: events due at t have not fired. */
static void run_before(struct rig *r, sim_time_t t)
{
    struct sim_limits lim = {t - 1, 0, 0};
    sim_run(r->sim, &lim);
}

/* Enables the counter now; returns the tick at which it held its value. */
static uint64_t start_counter(struct rig *r, uint32_t extra_cfg)
{
    wr32(r, REG_CFG, CFG_ENABLE | extra_cfg);
    return tick_now(r);
}

static void test_capabilities(void **state)
{
    struct rig *r = *state;
    uint64_t cap = rd64(r, REG_CAP);
    assert_int_equal(cap & 0xFF, 0x01);                 /* REV_ID */
    assert_int_equal(cap >> 8 & 0x1F, 2);               /* NUM_TIM_CAP: 3 timers */
    assert_int_equal(cap >> 13 & 1, 1);                 /* COUNT_SIZE_CAP: 64-bit */
    assert_int_equal(cap >> 14 & 1, 0);                 /* reserved */
    assert_int_equal(cap >> 15 & 1, 1);                 /* LEG_RT_CAP */
    assert_int_equal(cap >> 16 & 0xFFFF, 0x8086);       /* VENDOR_ID */
    assert_int_equal(cap >> 32, 69841279);              /* 14.31818 MHz in fs (0x0429B17F) */
    /* The value SeaBIOS puts in its ACPI HPET table as the block id. */
    assert_int_equal(rd32(r, REG_CAP), 0x8086A201);
    assert_int_equal(rd32(r, REG_CAP + 4), 0x0429B17F);
    wr64(r, REG_CAP, 0);                                /* read-only */
    assert_int_equal(rd64(r, REG_CAP), cap);

    /* Timer 0: 64-bit, periodic-capable; 1 and 2: 32-bit one-shot; all
     * route to pins 20-23, no FSB delivery, edge, disabled. */
    assert_int_equal(rd64(r, TN_CFG(0)), 0x00F0000000000030ull);
    assert_int_equal(rd64(r, TN_CFG(1)), 0x00F0000000000000ull);
    assert_int_equal(rd64(r, TN_CFG(2)), 0x00F0000000000000ull);
    assert_int_equal(rd64(r, TN_CMP(0)), UINT64_MAX);
    assert_int_equal(rd64(r, TN_CMP(1)), 0xFFFFFFFFull);
    assert_int_equal(rd64(r, TN_FSB(0)), 0);
    /* Read-only capability bits ignore writes. */
    wr64(r, TN_CFG(1), 0xFFFFFFFFFFFFFFFFull);
    uint64_t t1 = rd64(r, TN_CFG(1));
    assert_int_equal(t1 >> 32, 0x00F00000);
    assert_int_equal(t1 & (TN_PER_CAP | TN_64BIT_CAP | TN_PERIODIC | TN_32MODE | 0xC000), 0);
    /* Reserved registers read 0 and ignore writes. */
    wr64(r, 0x008, ~0ull);
    wr64(r, 0x030, ~0ull);
    wr64(r, 0x0F8, ~0ull);
    wr64(r, TN_CFG(3), ~0ull);
    assert_int_equal(rd64(r, 0x008), 0);
    assert_int_equal(rd64(r, 0x030), 0);
    assert_int_equal(rd64(r, 0x0F8), 0);
    assert_int_equal(rd64(r, TN_CFG(3)), 0);
    assert_int_equal(rd64(r, 0x3F8), 0);
    assert_int_equal(rd64(r, REG_CFG) & ~3ull, 0);
}

static struct component *make_hpet(struct sim *sim, const char *name, const char *yaml,
                                   struct cw_error *err, struct ynode **node)
{
    *node = ytree_load_string(yaml, strlen(yaml), name, err);
    assert_non_null(*node);
    return component_create(sim, name, component_type_find("hpet"), *node, err);
}

static void test_parameters(void **state)
{
    (void)state;
    struct cw_error err = {{0}};
    struct sim *sim = sim_create();
    sim_set_log_quiet(sim, true);
    struct addr_space *mem = as_create(sim, "memory", SPACE_MEMORY, 32);
    sim_add_space(sim, mem);
    struct ynode *node = NULL;

    assert_null(make_hpet(sim, "bad1", "type: hpet\nfrequency: 1MHz\n", &err, &node));
    assert_non_null(strstr(err.msg, "10 MHz"));
    ytree_free(node);
    assert_null(make_hpet(sim, "bad2", "type: hpet\ntimers: 2\n", &err, &node));
    ytree_free(node);
    assert_null(make_hpet(sim, "bad3", "type: hpet\ntimers: 25\n", &err, &node));
    ytree_free(node);
    assert_null(make_hpet(sim, "bad4", "type: hpet\nvendor-id: 0xFFFF\n", &err, &node));
    ytree_free(node);

    struct component *c = make_hpet(
        sim, "hpet1", "type: hpet\nbase: 0xFED01000\nfrequency: 10MHz\ntimers: 8\nroute-cap: 0x0C00\n",
        &err, &node);
    if (!c)
        fail_msg("%s", err.msg);
    sim_reset_components(sim);
    uint64_t cap = as_read(mem, 0xFED01000, 8, BUS_READ, 0, NULL);
    assert_int_equal(cap >> 8 & 0x1F, 7);
    assert_int_equal(cap >> 32, 100000000); /* 10 MHz: 100 ns */
    assert_int_equal(as_read(mem, 0xFED01000 + TN_CFG(7) + 4, 4, BUS_READ, 0, NULL), 0x0C00);
    assert_non_null(signal_find(sim, "hpet1.pin10"));
    assert_non_null(signal_find(sim, "hpet1.pin11"));
    assert_null(signal_find(sim, "hpet1.pin20"));
    sim_destroy(sim);
    ytree_free(node);
}

static void test_counter_runs_only_when_enabled(void **state)
{
    struct rig *r = *state;
    run_to(r, SIM_MS(1));
    assert_int_equal(rd64(r, REG_COUNTER), 0); /* halted after reset */
    uint64_t t0 = start_counter(r, 0);
    /* No event keeps the counter going: it is computed from time. */
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
    run_to(r, SIM_MS(1) + SIM_S(1));
    uint64_t n = rd64(r, REG_COUNTER);
    assert_int_equal(n, tick_now(r) - t0);
    assert_true(n >= 14318179 && n <= 14318181); /* 14.31818 MHz */
    /* Exactly one increment per tick. */
    run_to(r, tick(r, t0 + 20000000));
    assert_int_equal(rd64(r, REG_COUNTER), 20000000);
    run_before(r, tick(r, t0 + 20000001));
    assert_int_equal(rd64(r, REG_COUNTER), 20000000);
    run_to(r, tick(r, t0 + 20000001));
    assert_int_equal(rd64(r, REG_COUNTER), 20000001);
    /* Halting holds the value. */
    wr32(r, REG_CFG, 0);
    run_to(r, sim_now(r->sim) + SIM_MS(500));
    assert_int_equal(rd64(r, REG_COUNTER), 20000001);
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
    /* Restarting counts on from there. */
    uint64_t t1 = start_counter(r, 0);
    run_to(r, tick(r, t1 + 1000));
    assert_int_equal(rd64(r, REG_COUNTER), 20001001);
}

static void test_counter_writable_while_halted(void **state)
{
    struct rig *r = *state;
    wr64(r, REG_COUNTER, 0x123456789ABCDEFull);
    assert_int_equal(rd64(r, REG_COUNTER), 0x123456789ABCDEFull);
    wr32(r, REG_COUNTER, 0xFFFFFFF0); /* low half only */
    assert_int_equal(rd64(r, REG_COUNTER), 0x01234567FFFFFFF0ull);
    uint64_t t0 = start_counter(r, 0);
    run_to(r, tick(r, t0 + 0x20));
    /* The low half carries into the high half: a 64-bit counter. */
    assert_int_equal(rd64(r, REG_COUNTER), 0x0123456800000010ull);
    assert_int_equal(rd32(r, REG_COUNTER + 4), 0x01234568);
    assert_int_equal(rd32(r, REG_COUNTER), 0x00000010);
}

/* Linux's hpet_clkevt_set_next_event: read the counter, write counter +
 * delta to the comparator, re-read. The interrupt comes delta ticks after
 * the first read. */
static void test_oneshot_edge(void **state)
{
    struct rig *r = *state;
    wr32(r, TN_CFG(2), TN_INT_ENB | TN_ROUTE(20)); /* edge, one-shot */
    uint64_t t0 = start_counter(r, 0);
    run_to(r, tick(r, t0 + 5000));
    uint32_t cnt = rd32(r, REG_COUNTER);
    assert_int_equal(cnt, 5000);
    wr32(r, TN_CMP(2), cnt + 1000);
    assert_int_equal((int32_t)(cnt + 1000 - rd32(r, REG_COUNTER)), 1000);
    run_before(r, tick(r, t0 + 6000));
    assert_int_equal(r->log[LOG_PIN20].rises, 0);
    run_to(r, tick(r, t0 + 6000));
    assert_int_equal(r->log[LOG_PIN20].rises, 1);
    assert_int_equal(r->log[LOG_PIN20].time[0], tick(r, t0 + 6000));
    assert_int_equal(r->log[LOG_PIN20].level, 0);     /* a pulse */
    assert_int_equal(rd32(r, REG_STATUS), 0);         /* no status in edge mode */
    assert_int_equal(rd32(r, TN_CMP(2)), 6000);       /* one-shot: unchanged */
    /* Nothing more until the 32-bit comparator matches again. */
    assert_int_equal(sim_next_event_time(r->sim), tick(r, t0 + 6000 + (1ull << 32)));
    run_to(r, tick(r, t0 + 2000000));
    assert_int_equal(r->log[LOG_PIN20].rises, 1);
    /* A comparator equal to the counter does not match at once (the
     * comparison is for equality; Linux treats this as -ETIME). */
    cnt = rd32(r, REG_COUNTER);
    wr32(r, TN_CMP(2), cnt);
    run_to(r, sim_now(r->sim) + SIM_MS(10));
    assert_int_equal(r->log[LOG_PIN20].rises, 1);
    /* Other timers and pins stay quiet. */
    assert_int_equal(r->log[LOG_PIN21].rises + r->log[LOG_IRQ0].rises + r->log[LOG_IRQ8].rises,
                     0);
}

static void test_oneshot_level(void **state)
{
    struct rig *r = *state;
    wr32(r, TN_CFG(1), TN_LEVEL | TN_INT_ENB | TN_ROUTE(21));
    wr32(r, TN_CMP(1), 500);
    uint64_t t0 = start_counter(r, 0);
    run_before(r, tick(r, t0 + 500));
    assert_int_equal(r->log[LOG_PIN21].level, 0);
    assert_int_equal(rd32(r, REG_STATUS), 0);
    run_to(r, tick(r, t0 + 500));
    assert_int_equal(r->log[LOG_PIN21].level, 1);
    assert_int_equal(r->log[LOG_PIN21].time[0], tick(r, t0 + 500));
    assert_int_equal(rd32(r, REG_STATUS), 1u << 1);
    /* The level holds until software clears the status; writing 0 does
     * nothing. */
    run_to(r, tick(r, t0 + 100000));
    wr32(r, REG_STATUS, 0);
    assert_int_equal(r->log[LOG_PIN21].level, 1);
    assert_int_equal(rd32(r, REG_STATUS), 1u << 1);
    wr32(r, REG_STATUS, 1u << 1);
    assert_int_equal(r->log[LOG_PIN21].level, 0);
    assert_int_equal(rd32(r, REG_STATUS), 0);
    assert_int_equal(r->log[LOG_PIN21].rises, 1);

    /* With the interrupt disabled the status is still set at a match;
     * enabling it then raises the line. */
    wr32(r, TN_CFG(1), TN_LEVEL | TN_ROUTE(21));
    uint32_t cnt = rd32(r, REG_COUNTER);
    wr32(r, TN_CMP(1), cnt + 300);
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX); /* nothing to drive */
    run_to(r, sim_now(r->sim) + SIM_MS(1));
    assert_int_equal(rd32(r, REG_STATUS), 1u << 1);
    assert_int_equal(r->log[LOG_PIN21].level, 0);
    wr32(r, TN_CFG(1), TN_LEVEL | TN_INT_ENB | TN_ROUTE(21));
    assert_int_equal(r->log[LOG_PIN21].level, 1);
    /* Halting the block disables all timer interrupts. */
    wr32(r, REG_CFG, 0);
    assert_int_equal(r->log[LOG_PIN21].level, 0);
    wr32(r, REG_CFG, CFG_ENABLE);
    assert_int_equal(r->log[LOG_PIN21].level, 1);
    /* Switching to edge mode drops the status. */
    wr32(r, TN_CFG(1), TN_INT_ENB | TN_ROUTE(21));
    assert_int_equal(rd32(r, REG_STATUS), 0);
    assert_int_equal(r->log[LOG_PIN21].level, 0);
}

/* Linux's hpet_clkevt_set_state_periodic on the legacy channel: counter
 * stopped, Tn_CFG with ENABLE|PERIODIC|VAL_SET|32BIT, comparator = now +
 * delta (sets the accumulator), comparator = delta (sets the period only),
 * counter started. */
static void test_periodic_val_set(void **state)
{
    struct rig *r = *state;
    const uint32_t delta = 59659; /* 1/240 s at 14.31818 MHz */
    wr32(r, REG_CFG, CFG_LEGACY);
    wr64(r, REG_COUNTER, 777);
    uint32_t now = rd32(r, REG_COUNTER);
    wr32(r, TN_CFG(0), TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32MODE);
    assert_int_equal(rd32(r, TN_CFG(0)) & TN_VAL_SET, TN_VAL_SET);
    wr32(r, TN_CMP(0), now + delta);
    assert_int_equal(rd32(r, TN_CFG(0)) & TN_VAL_SET, 0); /* cleared by the write */
    wr32(r, TN_CMP(0), delta);
    assert_int_equal(rd64(r, TN_CMP(0)), 777 + delta); /* accumulator kept */
    uint64_t t0 = start_counter(r, CFG_LEGACY);
    for (unsigned k = 1; k <= 5; k++) {
        run_before(r, tick(r, t0 + k * delta));
        assert_int_equal(r->log[LOG_IRQ0].rises, k - 1);
        run_to(r, tick(r, t0 + k * delta));
        assert_int_equal(r->log[LOG_IRQ0].rises, k);
        assert_int_equal(r->log[LOG_IRQ0].time[k - 1], tick(r, t0 + k * delta));
        assert_int_equal(rd32(r, TN_CMP(0)), 777 + (k + 1) * delta);
    }
    /* No drift: the 1000th interrupt is exactly 1000 periods in. */
    run_to(r, tick(r, t0 + 1000ull * delta));
    assert_int_equal(r->log[LOG_IRQ0].rises, 1000);
    assert_int_equal(r->log[LOG_IRQ0].time[MAX_EDGES - 1], tick(r, t0 + MAX_EDGES * delta));
    assert_int_equal(rd32(r, TN_CMP(0)), 777 + 1001 * delta);
    /* A write without VAL_SET changes the period from the next match on. */
    wr32(r, TN_CMP(0), 1000);
    assert_int_equal(rd32(r, TN_CMP(0)), 777 + 1001 * delta);
    run_to(r, tick(r, t0 + 1001ull * delta));
    assert_int_equal(r->log[LOG_IRQ0].rises, 1001);
    assert_int_equal(rd32(r, TN_CMP(0)), 777 + 1001 * delta + 1000);
    run_to(r, tick(r, t0 + 1001ull * delta + 1000));
    assert_int_equal(r->log[LOG_IRQ0].rises, 1002);
    /* Shutdown (ENABLE off, PERIODIC left set, as Linux does): no more
     * events, but the accumulator still follows the counter on reads. */
    wr32(r, TN_CFG(0), TN_PERIODIC | TN_32MODE);
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
    run_to(r, tick(r, t0 + 1001ull * delta + 10500));
    assert_int_equal(r->log[LOG_IRQ0].rises, 1002);
    assert_int_equal(rd32(r, TN_CMP(0)), 777 + 1001 * delta + 11000);
}

static void test_32bit_mode_wrap(void **state)
{
    struct rig *r = *state;
    /* Periodic timer 0 forced to 32 bits: its comparator sees the counter's
     * low 32 bits and its accumulator wraps at 2^32. */
    wr64(r, REG_COUNTER, 0x5FFFFFF00ull);
    wr32(r, TN_CFG(0), TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32MODE | TN_ROUTE(22));
    wr64(r, TN_CMP(0), 0x7FFFFFF80ull); /* high half ignored in 32-bit mode */
    assert_int_equal(rd64(r, TN_CMP(0)), 0xFFFFFF80ull);
    wr32(r, TN_CMP(0), 0x100); /* period */
    uint64_t t0 = start_counter(r, 0);
    run_to(r, tick(r, t0 + 0x80));
    assert_int_equal(r->log[LOG_PIN22].rises, 1);
    assert_int_equal(rd64(r, TN_CMP(0)), 0x00000080ull); /* wrapped */
    run_before(r, tick(r, t0 + 0x180));
    assert_int_equal(r->log[LOG_PIN22].rises, 1);
    run_to(r, tick(r, t0 + 0x180));
    assert_int_equal(r->log[LOG_PIN22].rises, 2);
    assert_int_equal(rd64(r, REG_COUNTER), 0x600000080ull);

    /* A 32-bit one-shot timer below the counter's low half matches after
     * the low half wraps. */
    wr32(r, TN_CFG(0), 0);
    wr32(r, REG_CFG, 0);
    wr64(r, REG_COUNTER, 0x2FFFFF000ull);
    wr32(r, TN_CFG(2), TN_INT_ENB | TN_ROUTE(23));
    wr32(r, TN_CMP(2), 0x10);
    uint64_t t1 = start_counter(r, 0);
    run_before(r, tick(r, t1 + 0x1010));
    assert_int_equal(r->log[LOG_PIN23].rises, 0);
    run_to(r, tick(r, t1 + 0x1010));
    assert_int_equal(r->log[LOG_PIN23].rises, 1);

    /* Timer 0 in 64-bit mode compares all 64 bits: 0x10 alone is not a
     * match, 0x3_00000010 is. */
    wr32(r, REG_CFG, 0);
    wr32(r, TN_CFG(2), 0);
    wr64(r, REG_COUNTER, 0x2FFFFF000ull);
    wr32(r, TN_CFG(0), TN_INT_ENB | TN_ROUTE(23));
    wr64(r, TN_CMP(0), 0x300000010ull);
    assert_int_equal(rd64(r, TN_CMP(0)), 0x300000010ull);
    uint64_t t2 = start_counter(r, 0);
    run_to(r, tick(r, t2 + 0x1010));
    assert_int_equal(r->log[LOG_PIN23].rises, 2);
    wr64(r, TN_CMP(0), 0x500000010ull);
    run_to(r, tick(r, t2 + 0x1010 + (1ull << 32)));
    assert_int_equal(r->log[LOG_PIN23].rises, 2);   /* low bits matched: no interrupt */
    assert_int_equal(sim_next_event_time(r->sim), tick(r, t2 + 0x1010 + (2ull << 32)));
}

static void test_legacy_replacement(void **state)
{
    struct rig *r = *state;
    /* Without legacy replacement the 8254 and RTC pass through. */
    signal_set(r->pit_out, 1);
    assert_int_equal(r->log[LOG_IRQ0].level, 1);
    signal_set(r->pit_out, 0);
    assert_int_equal(r->log[LOG_IRQ0].level, 0);
    signal_set(r->rtc_irq, 1);
    assert_int_equal(r->log[LOG_IRQ8].level, 1);
    signal_set(r->rtc_irq, 0);

    wr32(r, TN_CFG(0), TN_INT_ENB | TN_ROUTE(20));
    wr64(r, TN_CMP(0), 100); /* timer 0 is 64-bit */
    wr32(r, TN_CFG(1), TN_INT_ENB | TN_ROUTE(21));
    wr32(r, TN_CMP(1), 200);
    uint64_t t0 = start_counter(r, CFG_LEGACY);
    /* Legacy replacement cuts the 8254 and RTC off. */
    signal_set(r->pit_out, 1);
    signal_set(r->rtc_irq, 1);
    assert_int_equal(r->log[LOG_IRQ0].level, 0);
    assert_int_equal(r->log[LOG_IRQ8].level, 0);
    signal_set(r->pit_out, 0);
    signal_set(r->rtc_irq, 0);
    unsigned pit_rises = r->log[LOG_IRQ0].rises;
    unsigned rtc_rises = r->log[LOG_IRQ8].rises;
    run_to(r, tick(r, t0 + 100));
    assert_int_equal(r->log[LOG_IRQ0].rises, pit_rises + 1);
    assert_int_equal(r->log[LOG_IRQ0].time[pit_rises], tick(r, t0 + 100));
    run_to(r, tick(r, t0 + 200));
    assert_int_equal(r->log[LOG_IRQ8].rises, rtc_rises + 1);
    assert_int_equal(r->log[LOG_IRQ8].time[rtc_rises], tick(r, t0 + 200));
    /* Their routes are ignored meanwhile. */
    assert_int_equal(r->log[LOG_PIN20].rises + r->log[LOG_PIN21].rises, 0);

    /* Level mode on the legacy line, then leaving legacy mode: the timer
     * goes to its route and the 8254 comes back on irq0. */
    wr32(r, TN_CFG(0), TN_LEVEL | TN_INT_ENB | TN_ROUTE(20));
    wr64(r, TN_CMP(0), 300);
    run_to(r, tick(r, t0 + 300));
    assert_int_equal(r->log[LOG_IRQ0].level, 1);
    signal_set(r->pit_out, 1);
    wr32(r, REG_CFG, CFG_ENABLE);
    assert_int_equal(r->log[LOG_PIN20].level, 1);
    assert_int_equal(r->log[LOG_IRQ0].level, 1); /* now the 8254's level */
    signal_set(r->pit_out, 0);
    assert_int_equal(r->log[LOG_IRQ0].level, 0);
    wr32(r, REG_STATUS, 1);
    assert_int_equal(r->log[LOG_PIN20].level, 0);
}

static void test_route_selection(void **state)
{
    struct rig *r = *state;
    assert_int_equal(rd32(r, TN_CFG(2) + 4), 0x00F00000); /* Tn_INT_ROUTE_CAP */
    wr32(r, TN_CFG(2), TN_LEVEL | TN_INT_ENB | TN_ROUTE(22));
    assert_int_equal(rd32(r, TN_CFG(2)) >> 9 & 0x1F, 22);
    /* A pin outside the capability is not taken. */
    wr32(r, TN_CFG(2), TN_LEVEL | TN_INT_ENB | TN_ROUTE(5));
    assert_int_equal(rd32(r, TN_CFG(2)) >> 9 & 0x1F, 22);
    wr32(r, TN_CMP(2), 50);
    uint64_t t0 = start_counter(r, 0);
    run_to(r, tick(r, t0 + 50));
    assert_int_equal(r->log[LOG_PIN22].level, 1);
    /* Re-routing a pending level interrupt moves it. */
    wr32(r, TN_CFG(2), TN_LEVEL | TN_INT_ENB | TN_ROUTE(23));
    assert_int_equal(r->log[LOG_PIN22].level, 0);
    assert_int_equal(r->log[LOG_PIN23].level, 1);
    /* Two level timers share a pin: it stays high until both are cleared. */
    wr32(r, TN_CFG(1), TN_LEVEL | TN_INT_ENB | TN_ROUTE(23));
    wr32(r, TN_CMP(1), 80);
    run_to(r, tick(r, t0 + 80));
    assert_int_equal(rd32(r, REG_STATUS), 0x6);
    wr32(r, REG_STATUS, 0x4);
    assert_int_equal(r->log[LOG_PIN23].level, 1);
    wr32(r, REG_STATUS, 0x2);
    assert_int_equal(r->log[LOG_PIN23].level, 0);
    assert_int_equal(r->log[LOG_PIN20].rises + r->log[LOG_PIN21].rises, 0);
}

static void test_enable_disable_cancels_events(void **state)
{
    struct rig *r = *state;
    wr32(r, TN_CFG(2), TN_INT_ENB | TN_ROUTE(20));
    wr32(r, TN_CMP(2), 10000);
    /* Counter halted: no match can happen, no event. */
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
    uint64_t t0 = start_counter(r, 0);
    assert_int_equal(sim_next_event_time(r->sim), tick(r, t0 + 10000));
    run_to(r, tick(r, t0 + 4000));
    wr32(r, REG_CFG, 0);
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
    run_to(r, tick(r, t0 + 50000)); /* halted 46000 ticks */
    assert_int_equal(r->log[LOG_PIN20].rises, 0);
    uint64_t t1 = start_counter(r, 0);
    assert_int_equal(sim_next_event_time(r->sim), tick(r, t1 + 6000));
    /* Disabling the timer's interrupt cancels its event too. */
    wr32(r, TN_CFG(2), TN_ROUTE(20));
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
    wr32(r, TN_CFG(2), TN_INT_ENB | TN_ROUTE(20));
    run_to(r, tick(r, t1 + 6000));
    assert_int_equal(r->log[LOG_PIN20].rises, 1);
    assert_int_equal(r->log[LOG_PIN20].time[0], tick(r, t1 + 6000));
}

static void test_access_widths(void **state)
{
    struct rig *r = *state;
    /* A 64-bit write and two 32-bit writes set the same comparator. */
    wr32(r, TN_CFG(0), TN_INT_ENB | TN_ROUTE(20));
    wr64(r, TN_CMP(0), 0x1122334455667788ull);
    assert_int_equal(rd64(r, TN_CMP(0)), 0x1122334455667788ull);
    wr32(r, TN_CMP(0), 0xAABBCCDD);
    wr32(r, TN_CMP(0) + 4, 0x00000001);
    assert_int_equal(rd64(r, TN_CMP(0)), 0x00000001AABBCCDDull);
    assert_int_equal(rd32(r, TN_CMP(0)), 0xAABBCCDD);
    assert_int_equal(rd32(r, TN_CMP(0) + 4), 0x00000001);
    /* Counter: a 64-bit write equals two halves; reads agree. */
    wr64(r, REG_COUNTER, 0x0000000100000000ull - 0x40);
    uint64_t whole = rd64(r, REG_COUNTER);
    assert_int_equal(whole, 0xFFFFFFC0ull);
    wr32(r, REG_COUNTER, 0xFFFFFFC0);
    wr32(r, REG_COUNTER + 4, 0);
    assert_int_equal(rd64(r, REG_COUNTER), whole);
    /* The match works from the 64-bit comparator written in halves: set
     * it to counter + 0x50 across the 32-bit boundary. */
    wr32(r, TN_CMP(0), 0x00000010);
    wr32(r, TN_CMP(0) + 4, 0x00000001);
    uint64_t t0 = start_counter(r, 0);
    run_to(r, tick(r, t0 + 0x50));
    assert_int_equal(r->log[LOG_PIN20].rises, 1);
    assert_int_equal(r->log[LOG_PIN20].time[0], tick(r, t0 + 0x50));

    /* Periodic accumulator set in two halves (the ICH procedure: VAL_SET
     * before each half), and in one 64-bit write. */
    wr32(r, REG_CFG, 0);
    wr64(r, REG_COUNTER, 0);
    wr32(r, TN_CFG(0), TN_PERIODIC | TN_VAL_SET | TN_ROUTE(20));
    wr32(r, TN_CMP(0), 0x00001000);
    wr32(r, TN_CFG(0), TN_PERIODIC | TN_VAL_SET | TN_ROUTE(20));
    wr32(r, TN_CMP(0) + 4, 0x00000002);
    assert_int_equal(rd64(r, TN_CMP(0)), 0x0000000200001000ull);
    wr32(r, TN_CFG(0), TN_PERIODIC | TN_VAL_SET | TN_ROUTE(20));
    wr64(r, TN_CMP(0), 0x0000000300002000ull);
    assert_int_equal(rd64(r, TN_CMP(0)), 0x0000000300002000ull);
    /* Without VAL_SET a periodic comparator write only sets the period. */
    wr64(r, TN_CMP(0), 0x500);
    assert_int_equal(rd64(r, TN_CMP(0)), 0x0000000300002000ull);

    /* Byte accesses act on their bytes (the spec asks for 32/64-bit). */
    assert_int_equal(as_read(r->mem, BASE + REG_CAP + 2, 2, BUS_READ, 0, NULL), 0x8086);
    assert_int_equal(as_read(r->mem, BASE + REG_CAP + 4, 1, BUS_READ, 0, NULL), 0x7F);
}

/* The LAPIC-timer handover: Linux calibrates against the periodic HPET
 * tick, then shuts channel 0 down and reprograms it one-shot; both paths
 * must keep their timing. */
static void test_linux_oneshot_after_periodic(void **state)
{
    struct rig *r = *state;
    const uint32_t delta = 143182; /* 10 ms */
    wr32(r, REG_CFG, 0);
    wr64(r, REG_COUNTER, 0);
    wr32(r, REG_CFG, CFG_ENABLE | CFG_LEGACY);
    /* set_state_periodic */
    wr32(r, REG_CFG, CFG_LEGACY);
    uint32_t now = rd32(r, REG_COUNTER);
    wr32(r, TN_CFG(0), TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32MODE);
    wr32(r, TN_CMP(0), now + delta);
    wr32(r, TN_CMP(0), delta);
    uint64_t t0 = start_counter(r, CFG_LEGACY);
    run_to(r, tick(r, t0 + 3ull * delta));
    assert_int_equal(r->log[LOG_IRQ0].rises, 3);
    /* set_state_oneshot then set_next_event(2000) */
    uint32_t cfg = rd32(r, TN_CFG(0));
    wr32(r, TN_CFG(0), (cfg & ~TN_PERIODIC) | TN_INT_ENB | TN_32MODE);
    run_to(r, tick(r, t0 + 3ull * delta + 77));
    uint32_t cnt = rd32(r, REG_COUNTER);
    wr32(r, TN_CMP(0), cnt + 2000);
    run_to(r, tick(r, t0 + 3ull * delta + 77 + 2000));
    assert_int_equal(r->log[LOG_IRQ0].rises, 4);
    assert_int_equal(r->log[LOG_IRQ0].time[3], tick(r, t0 + 3ull * delta + 77 + 2000));
    /* One-shot: no further interrupt at the old period. */
    run_to(r, tick(r, t0 + 6ull * delta));
    assert_int_equal(r->log[LOG_IRQ0].rises, 4);
    /* shutdown */
    cfg = rd32(r, TN_CFG(0));
    wr32(r, TN_CFG(0), cfg & ~TN_INT_ENB);
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
}

static void test_reset(void **state)
{
    struct rig *r = *state;
    wr32(r, TN_CFG(0), TN_INT_ENB | TN_LEVEL | TN_ROUTE(20));
    wr64(r, TN_CMP(0), 10);
    start_counter(r, CFG_LEGACY);
    run_to(r, sim_now(r->sim) + SIM_MS(1));
    assert_int_equal(r->log[LOG_IRQ0].level, 1);
    sim_reset_components(r->sim);
    assert_int_equal(r->log[LOG_IRQ0].level, 0);
    assert_int_equal(rd64(r, REG_CFG), 0);
    assert_int_equal(rd64(r, REG_STATUS), 0);
    assert_int_equal(rd64(r, REG_COUNTER), 0);
    assert_int_equal(rd64(r, TN_CFG(0)), 0x00F0000000000030ull);
    assert_int_equal(rd64(r, TN_CMP(0)), UINT64_MAX);
    assert_int_equal(sim_next_event_time(r->sim), SIM_TIME_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_capabilities, rig_setup, rig_teardown),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test_setup_teardown(test_counter_runs_only_when_enabled, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_counter_writable_while_halted, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_oneshot_edge, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_oneshot_level, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_periodic_val_set, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_32bit_mode_wrap, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_legacy_replacement, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_route_selection, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_enable_disable_cancels_events, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_access_widths, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_linux_oneshot_after_periodic, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_reset, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
