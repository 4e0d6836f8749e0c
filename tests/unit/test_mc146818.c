/* test_mc146818.c: the RTC and CMOS against the MC146818A datasheet and the
 * PC CMOS map SeaBIOS reads: memory, CPU count, boot order, checksum; time
 * keeping in BCD/binary and 12/24 h with carries; the UIP window; periodic,
 * alarm and update-ended interrupts; register C clearing; SET and the
 * divider; the upper bank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct ynode *yaml;
    int irq;
    unsigned irq_rises;
};

static void watch_irq(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    if (level && !r->irq)
        r->irq_rises++;
    r->irq = level;
}

static struct rig *rig_build(const char *extra, struct cw_error *err)
{
    static struct rig rig;
    struct rig *r = &rig;
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "type: mc146818\nspace: io\n%s", extra);
    r->yaml = ytree_load_string(yaml, strlen(yaml), "rtc.yaml", err);
    assert_non_null(r->yaml);
    struct component *c =
        component_create(r->sim, "rtc0", component_type_find("mc146818"), r->yaml, err);
    if (!c)
        return r;
    signal_add_sink(signal_find(r->sim, "rtc0.irq"), watch_irq, r, 0);
    sim_reset_components(r->sim);
    return r;
}

static int rig_setup(void **state)
{
    struct cw_error err = {{0}};
    struct rig *r = rig_build("memory: 256MiB\ncpus: 2\n", &err);
    if (err.msg[0])
        fail_msg("%s", err.msg);
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

static void run_to(struct rig *r, sim_time_t t)
{
    struct sim_limits lim = {t, 0, 0};
    assert_true(t >= sim_now(r->sim));
    sim_run(r->sim, &lim);
}

static uint8_t cmos(struct rig *r, uint8_t index)
{
    as_write(r->io, 0x70, 1, index, BUS_IO_WRITE, 0, NULL);
    return (uint8_t)as_read(r->io, 0x71, 1, BUS_IO_READ, 0, NULL);
}

static void cmos_write(struct rig *r, uint8_t index, uint8_t v)
{
    as_write(r->io, 0x70, 1, index, BUS_IO_WRITE, 0, NULL);
    as_write(r->io, 0x71, 1, v, BUS_IO_WRITE, 0, NULL);
}

/* Sets the time the way a BIOS does: SET, write, release. */
static void set_time(struct rig *r, uint8_t hour, uint8_t min, uint8_t sec, uint8_t dow,
                     uint8_t day, uint8_t month, uint8_t year)
{
    uint8_t b = cmos(r, 0x0B);
    cmos_write(r, 0x0B, b | 0x80);
    cmos_write(r, 0x00, sec);
    cmos_write(r, 0x02, min);
    cmos_write(r, 0x04, hour);
    cmos_write(r, 0x06, dow);
    cmos_write(r, 0x07, day);
    cmos_write(r, 0x08, month);
    cmos_write(r, 0x09, year);
    cmos_write(r, 0x0B, b & 0x7F);
}

/* Time of the end of the n-th update cycle after power-on (n >= 1). */
static sim_time_t update_end(unsigned n)
{
    return SIM_MS(500) + SIM_S(n - 1) + SIM_US(1984);
}

static void test_cmos_contents_for_seabios(void **state)
{
    struct rig *r = *state;
    assert_int_equal(cmos(r, 0x15) | cmos(r, 0x16) << 8, 640);
    assert_int_equal(cmos(r, 0x17) | cmos(r, 0x18) << 8, 0xFFFF); /* 255 MiB, capped */
    assert_int_equal(cmos(r, 0x30) | cmos(r, 0x31) << 8, 0xFFFF);
    assert_int_equal(cmos(r, 0x34) | cmos(r, 0x35) << 8, (256 - 16) * 16);
    assert_int_equal(cmos(r, 0x5B) | cmos(r, 0x5C) << 8 | cmos(r, 0x5D) << 16, 0);
    assert_int_equal(cmos(r, 0x5F), 1);
    assert_int_equal(cmos(r, 0x3D), 0x23); /* CD first, then hard disk */
    assert_int_equal(cmos(r, 0x38), 0x11); /* floppy third; no signature check */
    assert_int_equal(cmos(r, 0x10), 0x00);
    assert_int_equal(cmos(r, 0x14), 0x06);
    assert_int_equal(cmos(r, 0x0F), 0x00);
    assert_int_equal(cmos(r, 0x32), 0x20);
    assert_int_equal(cmos(r, 0x0A), 0x26);
    assert_int_equal(cmos(r, 0x0B), 0x02);
    assert_int_equal(cmos(r, 0x0D), 0x80); /* valid RAM and time */
    assert_int_not_equal(cmos(r, 0x08), 0xFF);
    unsigned sum = 0;
    for (uint8_t i = 0x10; i <= 0x2D; i++)
        sum += cmos(r, i);
    assert_int_equal(cmos(r, 0x2E) << 8 | cmos(r, 0x2F), sum);
}

static void test_cmos_large_memory_and_params(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    struct cw_error err = {{0}};
    r = rig_build("memory: 6GiB\ncpus: 4\nfloppy: 0x40\nboot-order: hdd\n"
                  "cmos: {0x45: 0x99}\n",
                  &err);
    *state = r;
    assert_string_equal(err.msg, "");
    assert_int_equal(cmos(r, 0x34) | cmos(r, 0x35) << 8, (3584 - 16) * 16);
    assert_int_equal(cmos(r, 0x5B) | cmos(r, 0x5C) << 8 | cmos(r, 0x5D) << 16,
                     (6144 - 3584) * 16);
    assert_int_equal(cmos(r, 0x5F), 3);
    assert_int_equal(cmos(r, 0x10), 0x40);
    assert_int_equal(cmos(r, 0x14), 0x07); /* one floppy drive present */
    assert_int_equal(cmos(r, 0x3D), 0x02);
    assert_int_equal(cmos(r, 0x45), 0x99);
}

static void test_bad_params_are_refused(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    struct cw_error err = {{0}};
    r = rig_build("time: \"2025-02-30T00:00:00\"\n", &err);
    *state = r;
    assert_non_null(strstr(err.msg, "not a time"));
    assert_non_null(strstr(err.msg, "rtc.yaml:3"));
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    memset(&err, 0, sizeof err);
    r = rig_build("boot-order: cdrom,tape\n", &err);
    *state = r;
    assert_non_null(strstr(err.msg, "tape"));
}

static void test_initial_time_and_seconds(void **state)
{
    struct rig *r = *state;
    /* Default: 2025-01-01T00:00:00, a Wednesday, BCD, 24 h. */
    assert_int_equal(cmos(r, 0x00), 0x00);
    assert_int_equal(cmos(r, 0x04), 0x00);
    assert_int_equal(cmos(r, 0x06), 4);
    assert_int_equal(cmos(r, 0x07), 0x01);
    assert_int_equal(cmos(r, 0x08), 0x01);
    assert_int_equal(cmos(r, 0x09), 0x25);
    run_to(r, update_end(1) - 1);
    assert_int_equal(cmos(r, 0x00), 0x00);
    run_to(r, update_end(1));
    assert_int_equal(cmos(r, 0x00), 0x01);
    run_to(r, SIM_S(75));
    assert_int_equal(cmos(r, 0x00), 0x15); /* 75 updates: 1 min 15 s */
    assert_int_equal(cmos(r, 0x02), 0x01);
}

static void test_uip_window(void **state)
{
    struct rig *r = *state;
    sim_time_t begin = SIM_MS(500) + SIM_S(3); /* fourth update cycle */
    run_to(r, begin - SIM_US(245));
    assert_int_equal(cmos(r, 0x0A) & 0x80, 0x00);
    uint8_t before = cmos(r, 0x00);
    run_to(r, begin - SIM_US(244));
    assert_int_equal(cmos(r, 0x0A) & 0x80, 0x80);
    run_to(r, begin + SIM_US(1983));
    assert_int_equal(cmos(r, 0x0A) & 0x80, 0x80);
    assert_int_equal(cmos(r, 0x00), before);
    run_to(r, begin + SIM_US(1984));
    assert_int_equal(cmos(r, 0x0A) & 0x80, 0x00);
    assert_int_equal(cmos(r, 0x00), before + 1);
    /* SET masks UIP. */
    run_to(r, begin + SIM_S(1) - SIM_US(100));
    cmos_write(r, 0x0B, 0x82);
    assert_int_equal(cmos(r, 0x0A) & 0x80, 0x00);
}

static void test_carries_bcd_24h(void **state)
{
    struct rig *r = *state;
    set_time(r, 0x23, 0x59, 0x59, 6, 0x31, 0x12, 0x99);
    run_to(r, update_end(1));
    assert_int_equal(cmos(r, 0x00), 0x00);
    assert_int_equal(cmos(r, 0x02), 0x00);
    assert_int_equal(cmos(r, 0x04), 0x00);
    assert_int_equal(cmos(r, 0x06), 7);
    assert_int_equal(cmos(r, 0x07), 0x01);
    assert_int_equal(cmos(r, 0x08), 0x01);
    assert_int_equal(cmos(r, 0x09), 0x00);
    set_time(r, 0x23, 0x59, 0x59, 7, 0x28, 0x02, 0x24); /* leap year */
    run_to(r, update_end(2));
    assert_int_equal(cmos(r, 0x07), 0x29);
    assert_int_equal(cmos(r, 0x06), 1); /* Saturday -> Sunday */
    set_time(r, 0x23, 0x59, 0x59, 7, 0x28, 0x02, 0x25);
    run_to(r, update_end(3));
    assert_int_equal(cmos(r, 0x07), 0x01);
    assert_int_equal(cmos(r, 0x08), 0x03);
    set_time(r, 0x23, 0x59, 0x59, 7, 0x30, 0x04, 0x25);
    run_to(r, update_end(4));
    assert_int_equal(cmos(r, 0x07), 0x01);
    assert_int_equal(cmos(r, 0x08), 0x05);
}

static void test_binary_and_12h(void **state)
{
    struct rig *r = *state;
    cmos_write(r, 0x0B, 0x04); /* binary, 12-hour */
    set_time(r, 0x80 | 11, 59, 59, 3, 14, 7, 25); /* 11:59:59 PM */
    run_to(r, update_end(1));
    assert_int_equal(cmos(r, 0x04), 12); /* 12 AM */
    assert_int_equal(cmos(r, 0x07), 15);
    assert_int_equal(cmos(r, 0x06), 4);
    set_time(r, 11, 59, 59, 3, 14, 7, 25); /* 11:59:59 AM */
    run_to(r, update_end(2));
    assert_int_equal(cmos(r, 0x04), 0x80 | 12); /* 12 PM, same day */
    assert_int_equal(cmos(r, 0x07), 14);
    set_time(r, 0x80 | 12, 59, 59, 3, 14, 7, 25);
    run_to(r, update_end(3));
    assert_int_equal(cmos(r, 0x04), 0x80 | 1); /* 1 PM */
    cmos_write(r, 0x0B, 0x06); /* binary, 24 h */
    set_time(r, 23, 59, 59, 3, 31, 12, 99);
    run_to(r, update_end(4));
    assert_int_equal(cmos(r, 0x09), 0);
    assert_int_equal(cmos(r, 0x08), 1);
}

static void test_periodic_interrupt(void **state)
{
    struct rig *r = *state;
    /* Register A 0x26: 976.5625 us. PF without PIE: flag only. */
    run_to(r, SIM_US(2000));
    assert_int_equal(r->irq, 0);
    assert_int_equal(cmos(r, 0x0C), 0x40);
    assert_int_equal(cmos(r, 0x0C), 0x00); /* reading C cleared it */
    cmos_write(r, 0x0B, 0x42);                 /* PIE */
    run_to(r, SIM_PS(976562500) * 3 - 1);
    assert_int_equal(r->irq, 0);
    run_to(r, SIM_PS(976562500) * 3);
    assert_int_equal(r->irq, 0); /* the event at this instant has not fired */
    run_to(r, SIM_PS(976562500) * 3 + 1);
    assert_int_equal(r->irq, 1);
    assert_int_equal(cmos(r, 0x0C), 0xC0);
    assert_int_equal(r->irq, 0);
    /* Slowest rate: 500 ms. */
    cmos_write(r, 0x0A, 0x2F);
    unsigned rises = r->irq_rises;
    for (unsigned k = 1; k <= 8; k++) {
        run_to(r, SIM_MS(500) * (k + 1) - SIM_US(1));
        cmos(r, 0x0C); /* acknowledge whatever came */
        uint8_t c = cmos(r, 0x0C);
        assert_int_equal(c & 0x40, 0);
        run_to(r, SIM_MS(500) * (k + 1) + 1);
        assert_int_equal(r->irq, 1);
        assert_int_equal(cmos(r, 0x0C) & 0xC0, 0xC0);
    }
    /* The 0.5 s tick (before the first acknowledge) and eight more. */
    assert_int_equal(r->irq_rises - rises, 9);
}

static void test_periodic_no_drift(void **state)
{
    struct rig *r = *state;
    /* Rate 3: 4 cycles = 122.0703125 us, not a whole number of ps. Tick
     * 819200 falls at exactly 100 s. */
    cmos_write(r, 0x0A, 0x23);
    cmos_write(r, 0x0B, 0x42);
    run_to(r, SIM_S(100) - SIM_US(10));
    cmos(r, 0x0C);
    run_to(r, SIM_S(100) - 1);
    assert_int_equal(r->irq, 0);
    run_to(r, SIM_S(100) + 1);
    assert_int_equal(r->irq, 1);
}

static void test_update_ended_interrupt(void **state)
{
    struct rig *r = *state;
    cmos_write(r, 0x0B, 0x12); /* UIE */
    run_to(r, update_end(1));
    assert_int_equal(r->irq, 0);
    run_to(r, update_end(1) + 1);
    assert_int_equal(r->irq, 1);
    /* IRQF and UF; PF too: it is set at the 0x26 rate whatever PIE says. */
    assert_int_equal(cmos(r, 0x0C), 0xD0);
    assert_int_equal(r->irq, 0);
    run_to(r, update_end(2) + 1);
    assert_int_equal(r->irq, 1);
    /* SET clears UIE and stops the clock. */
    cmos_write(r, 0x0B, 0x92);
    assert_int_equal(cmos(r, 0x0B), 0x82);
    cmos(r, 0x0C);
    uint8_t sec = cmos(r, 0x00);
    run_to(r, update_end(6));
    assert_int_equal(cmos(r, 0x00), sec);
    assert_int_equal(r->irq, 0);
    cmos_write(r, 0x0B, 0x02);
    run_to(r, update_end(7));
    assert_int_equal(cmos(r, 0x00), sec + 1);
}

static void test_alarm(void **state)
{
    struct rig *r = *state;
    cmos_write(r, 0x01, 0x05);
    cmos_write(r, 0x03, 0x00);
    cmos_write(r, 0x05, 0x00);
    cmos_write(r, 0x0B, 0x22); /* AIE */
    run_to(r, update_end(4) + 1);
    assert_int_equal(r->irq, 0);
    assert_int_equal(cmos(r, 0x0C) & 0x20, 0x00);
    run_to(r, update_end(5) + 1);
    assert_int_equal(r->irq, 1);
    assert_int_equal(cmos(r, 0x0C), 0xF0); /* IRQF, PF, AF and UF */
    /* Don't-care codes: every second. */
    cmos_write(r, 0x01, 0xC0);
    cmos_write(r, 0x03, 0xFF);
    cmos_write(r, 0x05, 0xC5);
    run_to(r, update_end(6) + 1);
    assert_int_equal(r->irq, 1);
    assert_int_equal(cmos(r, 0x0C), 0xF0);
    run_to(r, update_end(7) + 1);
    assert_int_equal(r->irq, 1);
}

static void test_divider_reset(void **state)
{
    struct rig *r = *state;
    run_to(r, SIM_S(2));
    cmos_write(r, 0x0A, 0x76); /* DV = 111: divider held in reset */
    uint8_t sec = cmos(r, 0x00);
    run_to(r, SIM_S(5));
    assert_int_equal(cmos(r, 0x00), sec);
    assert_int_equal(cmos(r, 0x0A), 0x76); /* UIP stays 0 */
    cmos_write(r, 0x0A, 0x26);
    /* First update begins half a second after the reset is removed. */
    run_to(r, SIM_S(5) + SIM_MS(500) + SIM_US(1983));
    assert_int_equal(cmos(r, 0x00), sec);
    run_to(r, SIM_S(5) + SIM_MS(500) + SIM_US(1984));
    assert_int_equal(cmos(r, 0x00), sec + 1);
    cmos_write(r, 0x0C, 0xFF); /* read-only */
    cmos_write(r, 0x0D, 0x00);
    assert_int_equal(cmos(r, 0x0D), 0x80);
}

static void test_banks_and_nmi_bit(void **state)
{
    struct rig *r = *state;
    cmos_write(r, 0x50, 0x11);
    as_write(r->io, 0x72, 1, 0x50, BUS_IO_WRITE, 0, NULL);
    as_write(r->io, 0x73, 1, 0xA5, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(r->io, 0x73, 1, BUS_IO_READ, 0, NULL), 0xA5);
    assert_int_equal(cmos(r, 0x50), 0x11); /* byte 0xD0 is a different byte */
    assert_int_equal(cmos(r, 0x80 | 0x50), 0x11); /* bit 7 of the index is NMI mask */
    assert_int_equal(as_read(r->io, 0x70, 1, BUS_IO_READ, 0, NULL), 0xFF);
}

static void test_reset_keeps_time_clears_enables(void **state)
{
    struct rig *r = *state;
    cmos_write(r, 0x0B, 0x72); /* PIE, AIE, UIE */
    cmos_write(r, 0x0F, 0x0A); /* shutdown status survives a reset */
    run_to(r, SIM_S(3));
    sim_reset_components(r->sim);
    assert_int_equal(cmos(r, 0x0B), 0x02);
    assert_int_equal(cmos(r, 0x0C), 0x00);
    assert_int_equal(r->irq, 0);
    assert_int_equal(cmos(r, 0x0F), 0x0A);
    assert_int_equal(cmos(r, 0x00), 0x03);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cmos_contents_for_seabios, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_cmos_large_memory_and_params, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_bad_params_are_refused, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_initial_time_and_seconds, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_uip_window, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_carries_bcd_24h, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_binary_and_12h, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_periodic_interrupt, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_periodic_no_drift, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_update_ended_interrupt, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_alarm, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_divider_reset, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_banks_and_nmi_bit, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_reset_keeps_time_clears_enables, rig_setup,
                                        rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
