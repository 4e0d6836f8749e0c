/* Clock domains and the event queue: exact conversion, no drift, ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "kernel/clock.h"
#include "kernel/event.h"
#include "kernel/sim.h"

static void test_clock_exact_pit(void **state)
{
    struct clock_domain c;
    assert_int_equal(clock_init(&c, "pit", 1193182, 1), 0);
    /* 1193182 cycles are exactly one second. */
    assert_int_equal(clock_cycles_to_time(&c, 1193182), SIM_S(1));
    /* No drift over 10^12 cycles: the time is the exact ceiling of
     * n * 10^12 / f, computed independently here with 128-bit maths. */
    uint64_t n = 1000000000000ull;
    unsigned __int128 exact = ((unsigned __int128)n * 1000000000000ull + 1193182 - 1) / 1193182;
    assert_true(clock_cycles_to_time(&c, n) == (sim_time_t)exact);
    /* Summing periods would drift; the conversion does not: cycle 10^12
     * is exactly 10^12 times the cycle boundary at one second / f. */
    assert_int_equal(clock_time_to_cycles(&c, clock_cycles_to_time(&c, n)), n);
    assert_int_equal(clock_time_to_cycles(&c, clock_cycles_to_time(&c, n) - 1), n - 1);
}

static void test_clock_fractional(void **state)
{
    struct clock_domain c;
    /* 14.31818 MHz / 12 = 1193181.666... Hz */
    assert_int_equal(clock_init(&c, "osc12", 1431818000, 1200), 0);
    assert_int_equal(c.hz_num, 3579545);
    assert_int_equal(c.hz_den, 3);
    for (uint64_t k = 0; k < 100000; k += 7) {
        sim_time_t t = clock_cycles_to_time(&c, k);
        assert_int_equal(clock_time_to_cycles(&c, t), k);
        if (k)
            assert_int_equal(clock_time_to_cycles(&c, t - 1), k - 1);
        assert_int_equal(clock_next_edge(&c, t), t);
        assert_int_equal(clock_next_edge(&c, t + 1), clock_cycles_to_time(&c, k + 1));
    }
    /* 3 cycles take exactly 3 * 3 / 3579545 s, rounded up. */
    assert_int_equal(clock_cycles_to_time(&c, 3579545), SIM_S(3));
}

static void test_clock_bad(void **state)
{
    struct clock_domain c;
    assert_int_equal(clock_init(&c, "zero", 0, 1), -1);
    assert_int_equal(clock_init(&c, "zero", 1, 0), -1);
    assert_int_equal(clock_init(&c, "ghz", 3000000000ull, 1), 0);
    assert_int_equal(clock_period_ps(&c), 333);
}

struct log {
    int order[64];
    sim_time_t times[64];
    int n;
};

struct tagged {
    struct event ev;
    struct log *log;
    int tag;
};

static void record(struct event *ev, void *opaque)
{
    struct tagged *t = opaque;
    t->log->order[t->log->n] = t->tag;
    t->log->times[t->log->n] = ev->when;
    t->log->n++;
}

static void test_event_order(void **state)
{
    struct sim *sim = sim_create();
    struct log log = { 0 };
    struct tagged t[6];
    for (int i = 0; i < 6; i++) {
        t[i].log = &log;
        t[i].tag = i;
        event_init(sim, &t[i].ev, "t", record, &t[i]);
    }
    event_schedule(sim, &t[0].ev, SIM_NS(30), 0);
    event_schedule(sim, &t[1].ev, SIM_NS(10), 0);
    event_schedule(sim, &t[2].ev, SIM_NS(10), -1); /* same time, higher priority */
    event_schedule(sim, &t[3].ev, SIM_NS(10), 0);  /* same time and priority: FIFO */
    event_schedule(sim, &t[4].ev, SIM_NS(20), 0);
    event_schedule(sim, &t[5].ev, SIM_NS(5), 0);
    event_cancel(sim, &t[5].ev);                   /* never fires */
    event_schedule(sim, &t[4].ev, SIM_NS(40), 0);  /* moved later */
    assert_false(event_pending(&t[5].ev));
    assert_int_equal(sim_run(sim, NULL), SIM_STOP_IDLE);
    int want[] = { 2, 1, 3, 0, 4 };
    assert_int_equal(log.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(log.order[i], want[i]);
    assert_int_equal(sim_now(sim), SIM_NS(40));
    assert_int_equal(sim_events_fired(sim), 5);
    sim_destroy(sim);
}

/* A periodic event that reschedules itself: exercise the heap hard and
 * compare against a brute-force expectation. */
struct periodic {
    struct event ev;
    struct sim *sim;
    sim_time_t period;
    uint64_t count;
    uint64_t *global_checksum;
};

static void periodic_fire(struct event *ev, void *opaque)
{
    struct periodic *p = opaque;
    p->count++;
    *p->global_checksum = *p->global_checksum * 31 + (uint64_t)(p->period ^ sim_now(p->sim));
    event_schedule_in(p->sim, ev, p->period, 0);
}

static uint64_t run_periodic(sim_time_t until, uint64_t *counts)
{
    struct sim *sim = sim_create();
    struct periodic p[100];
    uint64_t checksum = 0;
    for (int i = 0; i < 100; i++) {
        p[i] = (struct periodic){ .sim = sim, .period = SIM_NS(7 + i * 13),
                                  .global_checksum = &checksum };
        event_init(sim, &p[i].ev, "p", periodic_fire, &p[i]);
        event_schedule(sim, &p[i].ev, p[i].period, 0);
    }
    struct sim_limits lim = { .until_time = until };
    assert_int_equal(sim_run(sim, &lim), SIM_STOP_TIME);
    assert_int_equal(sim_now(sim), until);
    for (int i = 0; i < 100; i++)
        counts[i] = p[i].count;
    /* Event limit: exactly ten more. */
    uint64_t fired = sim_events_fired(sim);
    struct sim_limits lim2 = { .max_events = fired + 10 };
    assert_int_equal(sim_run(sim, &lim2), SIM_STOP_EVENTS);
    assert_int_equal(sim_events_fired(sim), fired + 10);
    sim_destroy(sim);
    return checksum;
}

static void test_event_many_periodic(void **state)
{
    uint64_t counts[100], counts2[100];
    sim_time_t until = SIM_US(100);
    uint64_t c1 = run_periodic(until, counts);
    /* The time limit is exclusive: events strictly before it fire. */
    for (int i = 0; i < 100; i++)
        assert_int_equal(counts[i], (until - 1) / SIM_NS(7 + i * 13));
    /* Determinism: the same run again fires in the same order. */
    uint64_t c2 = run_periodic(until, counts2);
    assert_true(c1 == c2);
    assert_true(c1 != 0);
}

struct stopper {
    struct event ev;
    struct sim *sim;
};

static void stop_fire(struct event *ev, void *opaque)
{
    struct stopper *s = opaque;
    sim_request_stop(s->sim, SIM_STOP_REQUEST);
}

static void test_stop_request(void **state)
{
    struct sim *sim = sim_create();
    struct stopper s = { .sim = sim };
    event_init(sim, &s.ev, "stop", stop_fire, &s);
    event_schedule(sim, &s.ev, SIM_MS(3), 0);
    struct sim_limits lim = { .until_time = SIM_S(1) };
    assert_int_equal(sim_run(sim, &lim), SIM_STOP_REQUEST);
    assert_int_equal(sim_now(sim), SIM_MS(3));
    /* Continue: nothing pending, runs to the time limit. */
    assert_int_equal(sim_run(sim, &lim), SIM_STOP_TIME);
    assert_int_equal(sim_now(sim), SIM_S(1));
    sim_destroy(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_exact_pit),
        cmocka_unit_test(test_clock_fractional),
        cmocka_unit_test(test_clock_bad),
        cmocka_unit_test(test_event_order),
        cmocka_unit_test(test_event_many_periodic),
        cmocka_unit_test(test_stop_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
