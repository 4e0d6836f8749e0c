/* test_sysctl.c: system control ports B (0x61) and A (0x92) with an 8254:
 * GATE2 and OUT2 through port B (SeaBIOS's TSC calibration pattern), the
 * refresh toggle, fast A20 and fast reset. */
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

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct ynode *yaml[2];
    struct clock_domain clk;
    int a20;
    int speaker;
};

static void watch(void *opaque, int line, int level)
{
    int *v = opaque;
    *v = level;
}

static struct component *make(struct rig *r, int slot, const char *name, const char *yaml)
{
    struct cw_error err = {{0}};
    r->yaml[slot] = ytree_load_string(yaml, strlen(yaml), name, &err);
    assert_non_null(r->yaml[slot]);
    const char *type = slot == 0 ? "i8254" : "sysctl";
    struct component *c = component_create(r->sim, name, component_type_find(type),
                                           r->yaml[slot], &err);
    if (!c)
        fail_msg("create %s: %s", name, err.msg);
    return c;
}

static int rig_setup(void **state)
{
    static struct rig rig;
    struct rig *r = &rig;
    memset(r, 0, sizeof *r);
    struct cw_error err = {{0}};
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    clock_init(&r->clk, "pit", 1193182, 1);
    make(r, 0, "pit0", "type: i8254\nspace: io\nbase: 0x40\n");
    make(r, 1, "sysctl", "type: sysctl\nspace: io\npit: pit0\n");
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    if (signal_connect(r->sim, "sysctl.pit-gate2", "pit0.gate2", &err) != 0)
        fail_msg("%s", err.msg);
    signal_add_sink(signal_find(r->sim, "sysctl.a20"), watch, &r->a20, 0);
    signal_add_sink(signal_find(r->sim, "sysctl.speaker"), watch, &r->speaker, 0);
    sim_reset_components(r->sim);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml[0]);
    ytree_free(r->yaml[1]);
    return 0;
}

static void run_to(struct rig *r, sim_time_t t)
{
    struct sim_limits lim = {t, 0, 0};
    sim_run(r->sim, &lim);
}

static void at_pulse(struct rig *r, uint64_t p)
{
    run_to(r, clock_cycles_to_time(&r->clk, p) + 1);
}

static void out8(struct rig *r, uint16_t port, uint8_t v)
{
    as_write(r->io, port, 1, v, BUS_IO_WRITE, 0, NULL);
}

static uint8_t in8(struct rig *r, uint16_t port)
{
    return (uint8_t)as_read(r->io, port, 1, BUS_IO_READ, 0, NULL);
}

static void test_tsc_calibration_pattern(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 50);
    /* SeaBIOS: gate on, speaker off; counter 2 mode 0, count 0x800. */
    out8(r, 0x61, (uint8_t)((in8(r, 0x61) & ~0x02) | 0x01));
    assert_int_equal(in8(r, 0x61) & 0x0F, 0x01);
    out8(r, 0x43, 0xB0);
    out8(r, 0x42, 0x00);
    out8(r, 0x42, 0x08);
    at_pulse(r, 50 + 0x800);
    assert_int_equal(in8(r, 0x61) & 0x20, 0x00);
    at_pulse(r, 51 + 0x800); /* loaded at 51, OUT2 high 0x800 pulses later */
    assert_int_equal(in8(r, 0x61) & 0x20, 0x20);
}

static void test_gate2_low_after_reset(void **state)
{
    struct rig *r = *state;
    /* Port B resets to 0: GATE2 is low, counter 2 must not count. */
    assert_int_equal(in8(r, 0x61) & 0x0F, 0x00);
    out8(r, 0x43, 0xB0);
    out8(r, 0x42, 0x10);
    out8(r, 0x42, 0x00);
    at_pulse(r, 1000);
    assert_int_equal(in8(r, 0x61) & 0x20, 0x00);
    out8(r, 0x43, 0x80); /* latch counter 2 */
    assert_int_equal(in8(r, 0x42), 0x10);
    out8(r, 0x61, 0x01);
    at_pulse(r, 1016);
    assert_int_equal(in8(r, 0x61) & 0x20, 0x20);
    out8(r, 0x61, 0x00); /* gate off keeps OUT as it is (mode 0) */
    assert_int_equal(in8(r, 0x61) & 0x21, 0x20);
}

static void test_refresh_toggle(void **state)
{
    struct rig *r = *state;
    sim_time_t period = SIM_NS(15085);
    run_to(r, period * 10 + 5);
    uint8_t a = in8(r, 0x61) & 0x10;
    run_to(r, period * 11 + 5);
    uint8_t b = in8(r, 0x61) & 0x10;
    run_to(r, period * 12 - 5);
    uint8_t c = in8(r, 0x61) & 0x10;
    assert_int_equal(a, 0x00);
    assert_int_equal(b, 0x10);
    assert_int_equal(c, 0x10);
    /* Flips every period: one at t0 = 12 periods, then one per period. */
    unsigned flips = 0;
    uint8_t last = c;
    sim_time_t t0 = period * 12;
    for (sim_time_t t = t0; t < t0 + SIM_MS(1); t += SIM_NS(1000)) {
        run_to(r, t);
        uint8_t v = in8(r, 0x61) & 0x10;
        flips += v != last;
        last = v;
    }
    assert_int_equal(flips, SIM_MS(1) / period + 1);
}

static void test_speaker_and_port_b_bits(void **state)
{
    struct rig *r = *state;
    out8(r, 0x61, 0xFE);
    assert_int_equal(in8(r, 0x61) & 0xCF, 0x0E); /* bits 7-4 are read-only status */
    assert_int_equal(r->speaker, 1);
    out8(r, 0x61, 0x00);
    assert_int_equal(r->speaker, 0);
}

static void test_fast_a20_and_reset(void **state)
{
    struct rig *r = *state;
    assert_int_equal(in8(r, 0x92), 0x00);
    out8(r, 0x92, 0x02);
    assert_int_equal(r->a20, 1);
    assert_int_equal(in8(r, 0x92), 0x02);
    out8(r, 0x92, 0x00);
    assert_int_equal(r->a20, 0);
    out8(r, 0x92, 0x02);
    run_to(r, SIM_US(1));
    assert_int_equal(sim_reset_count(r->sim), 0);
    out8(r, 0x92, 0x03); /* 0 -> 1 on bit 0: reset */
    run_to(r, SIM_US(2));
    assert_int_equal(sim_reset_count(r->sim), 1);
    assert_int_equal(in8(r, 0x92), 0x00);
    assert_int_equal(r->a20, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tsc_calibration_pattern, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_gate2_low_after_reset, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_refresh_toggle, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_speaker_and_port_b_bits, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_fast_a20_and_reset, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
