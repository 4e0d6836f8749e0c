/* Temporal decoupling with a synthetic initiator: an initiator that runs
 * ahead must never let a device observe a time past a pending event, must
 * honour events that devices schedule during its slice, and must produce
 * exactly the same device-visible history whatever the quantum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"

#define HISTORY 4096

struct world {
    struct sim *sim;
    struct addr_space *io;
    /* device */
    struct event dev_ev;
    struct event tick_ev;
    uint64_t ticks;
    sim_time_t history[HISTORY]; /* times of device-visible actions */
    uint64_t hvalue[HISTORY];
    int nhist;
    int violations;
    /* initiator */
    struct sim_initiator ini;
    uint64_t steps;
    int slices;
    struct signal *irq;
    bool waiting;
};

static void record(struct world *w, uint64_t value)
{
    if (w->nhist < HISTORY) {
        w->history[w->nhist] = sim_now(w->sim);
        w->hvalue[w->nhist] = value;
        w->nhist++;
    }
}

/* The device: every write is checked against the invariant and recorded;
 * a write of an odd value schedules a near event (shortening the slice). */
static void dev_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct world *w = opaque;
    if (sim_now(w->sim) > sim_next_event_time(w->sim))
        w->violations++;
    if (sim_now(w->sim) != w->ini.local_time)
        w->violations++;
    record(w, value);
    if (value & 1)
        event_schedule_in(w->sim, &w->dev_ev, SIM_NS(5), 0);
}

static uint64_t dev_read(void *opaque, uint64_t offset, unsigned size)
{
    struct world *w = opaque;
    return w->ticks;
}

static const struct mmio_ops dev_ops = { .read = dev_read, .write = dev_write };

static void dev_event(struct event *ev, void *opaque)
{
    struct world *w = opaque;
    record(w, 1000000 + w->ticks);
    /* raise an interrupt that wakes the initiator when it waits */
    signal_pulse(w->irq);
}

static void tick_event(struct event *ev, void *opaque)
{
    struct world *w = opaque;
    w->ticks++;
    record(w, 2000000 + w->ticks);
    if (w->ticks % 16 == 0)
        signal_pulse(w->irq);
    event_schedule_in(w->sim, ev, SIM_NS(20), 0);
}

static void irq_in(void *opaque, int line, int level)
{
    struct world *w = opaque;
    if (level && w->waiting) {
        w->waiting = false;
        sim_initiator_wake(&w->ini);
    }
}

/* Each step costs 7 ns; every third step writes the step number to the
 * device; every 50th step waits for the interrupt (HLT-like). */
static void ini_run(struct sim_initiator *ini, sim_time_t slice_end)
{
    struct world *w = ini->opaque;
    w->slices++;
    bool first = true;
    while (first || (ini->local_time < slice_end && !ini->yield)) {
        first = false;
        uint64_t n = w->steps++;
        ini->insns++;
        if (n % 3 == 0) {
            sim_sync(ini);
            as_write(w->io, 0x10, 4, n, BUS_IO_WRITE, 1, NULL);
            slice_end = sim_slice_end(ini);
        }
        if (n % 50 == 49) {
            sim_sync(ini);
            ini->local_time += SIM_NS(7);
            w->waiting = true;
            sim_initiator_sleep(ini);
            return;
        }
        ini->local_time += SIM_NS(7);
    }
}

static void world_init(struct world *w, sim_time_t quantum)
{
    memset(w, 0, sizeof *w);
    w->sim = sim_create();
    sim_set_quantum(w->sim, quantum);
    w->io = as_create(w->sim, "io", SPACE_IO, 16);
    sim_add_space(w->sim, w->io);
    struct cw_error err;
    assert_non_null(as_add_mmio(w->io, NULL, "dev", 0x10, 4, &dev_ops, w, &err));
    event_init(w->sim, &w->dev_ev, "dev", dev_event, w);
    event_init(w->sim, &w->tick_ev, "tick", tick_event, w);
    event_schedule(w->sim, &w->tick_ev, SIM_NS(20), 0);
    w->irq = signal_create(w->sim, NULL, "irq");
    signal_add_sink(w->irq, irq_in, w, 0);
    w->ini.name = "synthetic";
    w->ini.run = ini_run;
    w->ini.opaque = w;
    sim_add_initiator(w->sim, &w->ini);
}

static void test_td_invariant_and_quantum_independence(void **state)
{
    static struct world a, b, c;
    struct sim_limits lim = { .until_time = SIM_US(20) };
    world_init(&a, SIM_US(1));
    world_init(&b, 0);
    world_init(&c, SIM_MS(1));
    assert_int_equal(sim_run(a.sim, &lim), SIM_STOP_TIME);
    assert_int_equal(sim_run(b.sim, &lim), SIM_STOP_TIME);
    assert_int_equal(sim_run(c.sim, &lim), SIM_STOP_TIME);
    assert_int_equal(a.violations, 0);
    assert_int_equal(b.violations, 0);
    assert_int_equal(c.violations, 0);
    assert_true(a.nhist > 500);
    /* Identical device-visible histories, whatever the quantum. */
    assert_int_equal(a.nhist, b.nhist);
    assert_int_equal(a.nhist, c.nhist);
    assert_memory_equal(a.history, b.history, sizeof(sim_time_t) * (size_t)a.nhist);
    assert_memory_equal(a.hvalue, b.hvalue, sizeof(uint64_t) * (size_t)a.nhist);
    assert_memory_equal(a.history, c.history, sizeof(sim_time_t) * (size_t)a.nhist);
    assert_int_equal(a.steps, b.steps);
    /* Lock-step runs one step per slice; decoupled runs take far fewer. */
    assert_int_equal((uint64_t)b.slices, b.steps);
    assert_true(a.slices < b.slices);
    /* The initiator slept and was woken by the interrupt */
    assert_true(a.steps > 100);
    sim_destroy(a.sim);
    sim_destroy(b.sim);
    sim_destroy(c.sim);
}

static void test_td_insn_limit(void **state)
{
    static struct world a;
    world_init(&a, SIM_US(1));
    struct sim_limits lim = { .max_insns = 1234, .until_time = SIM_S(1) };
    /* This initiator ignores insn_stop (it is a test of the loop), so the
     * loop stops after the slice in which the count is reached. */
    assert_int_equal(sim_run(a.sim, &lim), SIM_STOP_INSNS);
    assert_true(sim_total_insns(a.sim) >= 1234);
    sim_destroy(a.sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_td_invariant_and_quantum_independence),
        cmocka_unit_test(test_td_insn_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
