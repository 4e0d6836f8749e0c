/* test_piix4_pm.c: the PIIX4 power-management function against the 82371AB
 * datasheet and ACPI 1.0b: identification, PMBA/PMREGMISC and SMBBA
 * mapping, the 24-bit PM timer at 3.579545 MHz (rate, wrap, TMROF_STS on
 * bit 23), write-1-to-clear PMSTS, SCI only with SCI_EN and an enabled
 * status, the APM port's ACPI enable/disable, soft off (SUS_TYP 0) powering
 * the machine off, GPE0 and an SMBus host with nobody on the bus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/machine.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/pci/pci.h"
#include "tests/lib/dev_test.h"

#define PM_DEVFN 0x0B   /* 01.3 */
#define PMBA 0x600
#define SMBBA 0x700

struct rig {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct ynode *yaml[2];
    int sci;
    int sci_edges;
};

static void rig_sci_sink(void *opaque, int line, int level)
{
    (void)line;
    struct rig *r = opaque;
    if (level && !r->sci)
        r->sci_edges++;
    r->sci = level;
}

static struct component *rig_component(struct rig *r, int slot, const char *name,
                                       const char *type, const char *yaml)
{
    return dev_test_component(r->sim, name, type, yaml, &r->yaml[slot]);
}

static int rig_setup(void **state)
{
    static struct rig rig;
    struct rig *r = &rig;
    struct cw_error err = {{0}};
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->mem = as_create(r->sim, "memory", SPACE_MEMORY, 32);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->mem);
    sim_add_space(r->sim, r->io);
    assert_non_null(as_add_ram(r->mem, NULL, "ram", 0, 2 << 20, &err));
    rig_component(r, 0, "nb", "i440fx", "type: i440fx\n");
    rig_component(r, 1, "pm", "piix4-pm", "type: piix4-pm\npci-bus: nb\ndevfn: \"1.3\"\n");
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    sim_reset_components(r->sim);
    struct signal *sci = signal_find(r->sim, "pm.sci");
    assert_non_null(sci);
    signal_add_sink(sci, rig_sci_sink, r, 9);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    for (int i = 0; i < 2; i++)
        ytree_free(r->yaml[i]);
    return 0;
}

static uint32_t cfg_r(struct rig *r, unsigned reg, unsigned size)
{
    as_write(r->io, 0xCF8, 4, 0x80000000u | PM_DEVFN << 8 | (reg & 0xFC), BUS_IO_WRITE, 0, NULL);
    return (uint32_t)as_read(r->io, 0xCFC + (reg & 3), size, BUS_IO_READ, 0, NULL);
}

static void cfg_w(struct rig *r, unsigned reg, unsigned size, uint32_t v)
{
    as_write(r->io, 0xCF8, 4, 0x80000000u | PM_DEVFN << 8 | (reg & 0xFC), BUS_IO_WRITE, 0, NULL);
    as_write(r->io, 0xCFC + (reg & 3), size, v, BUS_IO_WRITE, 0, NULL);
}

static uint32_t io_r(struct rig *r, uint16_t port, unsigned size)
{
    return (uint32_t)as_read(r->io, port, size, BUS_IO_READ, 0, NULL);
}

static void io_w(struct rig *r, uint16_t port, unsigned size, uint32_t v)
{
    as_write(r->io, port, size, v, BUS_IO_WRITE, 0, NULL);
}

/* What SeaBIOS's piix4_pm_setup does. */
static void firmware_setup(struct rig *r)
{
    cfg_w(r, 0x3C, 1, 9);
    cfg_w(r, 0x40, 4, PMBA | 1);
    cfg_w(r, 0x80, 1, 0x01);
    cfg_w(r, 0x90, 4, SMBBA | 1);
    cfg_w(r, 0xD2, 1, 0x09);
    cfg_w(r, 0x04, 2, 0x0001);
}

static void run_to(struct rig *r, sim_time_t t)
{
    struct sim_limits lim = {t, 0, 0};
    sim_run(r->sim, &lim);
    assert_int_equal(sim_now(r->sim), t);
}

static void test_identification(void **state)
{
    struct rig *r = *state;
    assert_int_equal(cfg_r(r, 0x00, 4), 0x71138086);
    assert_int_equal(cfg_r(r, 0x08, 4), 0x06800003);
    assert_int_equal(cfg_r(r, 0x3D, 1), 1);
    /* Base registers read back their I/O indicator bit; nothing decoded. */
    assert_int_equal(cfg_r(r, 0x40, 4), 0x00000001);
    assert_int_equal(cfg_r(r, 0x90, 4), 0x00000001);
    assert_int_equal(cfg_r(r, 0x80, 1), 0);
    assert_int_equal(cfg_r(r, 0x67, 1), 0x08);  /* COM A decode */
    /* PMBA holds bits 15:6 only. */
    cfg_w(r, 0x40, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_r(r, 0x40, 4), 0x0000FFC1);
}

static void test_pm_io_mapping(void **state)
{
    struct rig *r = *state;
    cfg_w(r, 0x40, 4, PMBA | 1);
    /* Not decoded before PMREGMISC enables it: open bus. */
    assert_int_equal(io_r(r, PMBA + 2, 2), 0xFFFF);
    cfg_w(r, 0x80, 1, 0x01);
    assert_int_equal(io_r(r, PMBA + 2, 2), 0x0000);
    io_w(r, PMBA + 2, 2, 0x0121);
    assert_int_equal(io_r(r, PMBA + 2, 2), 0x0121);
    /* Moving PMBA moves the block. */
    cfg_w(r, 0x40, 4, 0xB000 | 1);
    assert_int_equal(io_r(r, 0xB002, 2), 0x0121);
    assert_int_equal(io_r(r, PMBA + 2, 2), 0xFFFF);
    cfg_w(r, 0x80, 1, 0x00);
    assert_int_equal(io_r(r, 0xB002, 2), 0xFFFF);
}

static void test_pm_timer_rate(void **state)
{
    struct rig *r = *state;
    firmware_setup(r);
    uint32_t t0 = io_r(r, PMBA + 8, 4);
    run_to(r, sim_now(r->sim) + SIM_S(1));
    uint32_t t1 = io_r(r, PMBA + 8, 4);
    /* One second is 3579545 ticks (within one for rounding). */
    uint32_t delta = (t1 - t0) & 0xFFFFFF;
    assert_in_range(delta, 3579544, 3579546);
    /* 1 ms later: 3579.545 ticks. */
    run_to(r, sim_now(r->sim) + SIM_MS(1));
    uint32_t t2 = io_r(r, PMBA + 8, 4);
    assert_in_range((t2 - t1) & 0xFFFFFF, 3579, 3580);
    /* Byte reads see the same counter (upper byte always 0: 24 bits). */
    assert_int_equal(io_r(r, PMBA + 11, 1), 0);
    /* Writes are ignored. */
    io_w(r, PMBA + 8, 4, 0);
    assert_in_range(io_r(r, PMBA + 8, 4), t2, t2 + 1);
}

static void test_pm_timer_wrap_and_overflow_status(void **state)
{
    struct rig *r = *state;
    firmware_setup(r);
    sim_time_t epoch = sim_now(r->sim);
    /* Bit 23 first toggles after 2^23 ticks = 2.3435 s. */
    run_to(r, epoch + SIM_MS(2340));
    assert_int_equal(io_r(r, PMBA, 2) & 1, 0);
    assert_true(io_r(r, PMBA + 8, 4) < 0x800000);
    run_to(r, epoch + SIM_MS(2345));
    assert_true(io_r(r, PMBA + 8, 4) >= 0x800000);
    assert_int_equal(io_r(r, PMBA, 2) & 1, 1);   /* TMROF_STS */
    /* Write 1 clears; writing 0 leaves other bits alone. */
    io_w(r, PMBA, 2, 0x0000);
    assert_int_equal(io_r(r, PMBA, 2) & 1, 1);
    io_w(r, PMBA, 2, 0x0001);
    assert_int_equal(io_r(r, PMBA, 2) & 1, 0);
    /* The 24-bit counter wraps after 2^24 ticks (4.687 s) and bit 23
     * toggles again (1 -> 0): status set again. */
    run_to(r, epoch + SIM_MS(4690));
    assert_true(io_r(r, PMBA + 8, 4) < 0x4000);
    assert_int_equal(io_r(r, PMBA, 2) & 1, 1);
}

static void test_sci_needs_enable_and_status(void **state)
{
    struct rig *r = *state;
    firmware_setup(r);
    sim_time_t epoch = sim_now(r->sim);
    io_w(r, PMBA + 2, 2, 0x0001);                /* TMROF_EN */
    run_to(r, epoch + SIM_MS(2400));
    /* Status set by the overflow event, but SCI_EN is clear: no SCI. */
    assert_int_equal(r->sci, 0);
    assert_int_equal(io_r(r, PMBA, 2) & 1, 1);
    /* The OS asks the firmware for ACPI mode through the APM port. */
    io_w(r, 0xB2, 1, 0xF1);
    assert_int_equal(io_r(r, PMBA + 4, 2) & 1, 1);  /* SCI_EN */
    assert_int_equal(r->sci, 1);
    /* Clearing the status drops the line. */
    io_w(r, PMBA, 2, 0x0001);
    assert_int_equal(r->sci, 0);
    /* The next toggle raises it again without any access (the event). */
    run_to(r, epoch + SIM_MS(4700));
    assert_int_equal(r->sci, 1);
    assert_int_equal(r->sci_edges, 2);
    /* Disabling the enable bit drops it while the status stays. */
    io_w(r, PMBA + 2, 2, 0x0000);
    assert_int_equal(r->sci, 0);
    assert_int_equal(io_r(r, PMBA, 2) & 1, 1);
    /* ACPI disable clears SCI_EN. */
    io_w(r, 0xB2, 1, 0xF0);
    assert_int_equal(io_r(r, PMBA + 4, 2) & 1, 0);
}

static void test_gpe0_block(void **state)
{
    struct rig *r = *state;
    io_w(r, 0xB2, 1, 0xF1);
    /* Status is write-1-to-clear, nothing to clear at reset. */
    assert_int_equal(io_r(r, 0xAFE0, 4), 0);
    io_w(r, 0xAFE2, 2, 0x0006);
    assert_int_equal(io_r(r, 0xAFE2, 2), 0x0006);
    io_w(r, 0xAFE0, 2, 0xFFFF);
    assert_int_equal(io_r(r, 0xAFE0, 2), 0);
    assert_int_equal(r->sci, 0);
}

/* The guest's write happens inside the run loop, as a CPU's would. */
static void write_soft_off(struct event *ev, void *opaque)
{
    (void)ev;
    io_w(opaque, PMBA + 4, 2, 0x2001);
}

static void test_soft_off_powers_off(void **state)
{
    struct rig *r = *state;
    firmware_setup(r);
    /* Setting SUS_TYP alone does nothing. */
    io_w(r, PMBA + 4, 2, 0x0001);
    struct sim_limits lim = {sim_now(r->sim) + SIM_MS(1), 0, 0};
    assert_int_equal(sim_run(r->sim, &lim), SIM_STOP_TIME);
    /* SUS_TYP 0 with SUS_EN: soft off. SUS_EN reads back 0. */
    struct event ev;
    event_init(r->sim, &ev, "guest-write", write_soft_off, r);
    event_schedule_in(r->sim, &ev, SIM_US(10), 0);
    lim.until_time = sim_now(r->sim) + SIM_MS(1);
    assert_int_equal(sim_run(r->sim, &lim), SIM_STOP_POWEROFF);
    assert_true(sim_now(r->sim) < lim.until_time);
    assert_int_equal(io_r(r, PMBA + 4, 2), 0x0001);
    event_release(r->sim, &ev);
}

static void test_suspend_type_ignored(void **state)
{
    struct rig *r = *state;
    firmware_setup(r);
    /* SUS_TYP 1 (suspend to RAM) has no wake path here: keeps running. */
    io_w(r, PMBA + 4, 2, 0x2401);
    assert_int_equal(io_r(r, PMBA + 4, 2), 0x0401);
    struct sim_limits lim = {sim_now(r->sim) + SIM_MS(1), 0, 0};
    assert_int_equal(sim_run(r->sim, &lim), SIM_STOP_TIME);
}

static void test_smbus_without_devices(void **state)
{
    struct rig *r = *state;
    /* SMBus decodes only with SMBHSTCFG bit 0 and the command I/O bit. */
    cfg_w(r, 0x90, 4, SMBBA | 1);
    cfg_w(r, 0xD2, 1, 0x09);
    assert_int_equal(io_r(r, SMBBA, 1), 0xFF);
    cfg_w(r, 0x04, 2, 0x0001);
    assert_int_equal(io_r(r, SMBBA, 1), 0x00);
    /* A byte read from address 0x50: ends at once with a device error. */
    io_w(r, SMBBA + 4, 1, 0xA1);
    io_w(r, SMBBA + 2, 1, 0x48);
    uint8_t sts = (uint8_t)io_r(r, SMBBA, 1);
    assert_int_equal(sts & 0x01, 0);            /* not busy */
    assert_int_equal(sts & 0x04, 0x04);         /* DEV_ERR */
    assert_int_equal(io_r(r, SMBBA + 2, 1) & 0x40, 0);  /* START reads 0 */
    io_w(r, SMBBA, 1, 0x1E);
    assert_int_equal(io_r(r, SMBBA, 1), 0x00);
}

static void test_reset_restores(void **state)
{
    struct rig *r = *state;
    firmware_setup(r);
    io_w(r, 0xB2, 1, 0xF1);
    sim_reset_components(r->sim);
    assert_int_equal(cfg_r(r, 0x40, 4), 1);
    assert_int_equal(io_r(r, PMBA + 4, 2), 0xFFFF);  /* unmapped again */
    firmware_setup(r);
    assert_int_equal(io_r(r, PMBA + 4, 2), 0);
    /* The timer restarts from 0 at reset. */
    assert_true(io_r(r, PMBA + 8, 4) < 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identification, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pm_io_mapping, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pm_timer_rate, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pm_timer_wrap_and_overflow_status, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_sci_needs_enable_and_status, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_gpe0_block, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_soft_off_powers_off, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_suspend_type_ignored, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_smbus_without_devices, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_reset_restores, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
