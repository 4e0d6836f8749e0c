/* test_lapic.c: the local APIC against the Intel SDM vol. 3A chapter 10:
 * reset values (10.4.7.1), version register, TPR/PPR and the acknowledge
 * order (10.8.3), EOI and the ISR, self IPIs through the ICR, illegal
 * vectors in the ESR (10.5.3), the timer in one-shot and periodic mode with
 * the divide configuration (10.5.4), masks that stay set while software
 * disabled (10.4.7.2) and LINT0 in ExtINT mode passing an 8259 through. */
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
#include "models/apic/apic.h"
#include "tests/lib/dev_test.h"

#define BASE 0xFEE00000u

struct rig {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct ynode *yaml[3];
    struct intack_iface *intack;
    struct lapic_iface *lapic;
    struct signal *lint0, *lint1, *irq1;
    int cpu_int, nmi_edges;
};

static void rig_int(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    r->cpu_int = level;
}

static void rig_nmi(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    if (level)
        r->nmi_edges++;
}

static struct component *rig_component(struct rig *r, int slot, const char *name,
                                       const char *type, const char *yaml)
{
    return dev_test_component(r->sim, name, type, yaml, &r->yaml[slot]);
}

static void rig_wire(struct rig *r, const char *from, const char *to)
{
    dev_test_wire(r->sim, from, to);
}

/* A LAPIC with a 100 MHz timer clock; an 8259 (single mode) on LINT0. */
static int rig_setup(void **state)
{
    static struct rig rig;
    struct rig *r = &rig;
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->mem = as_create(r->sim, "memory", SPACE_MEMORY, 32);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->mem);
    sim_add_space(r->sim, r->io);
    rig_component(r, 0, "pic0", "i8259", "type: i8259\nspace: io\nbase: 0x20\n");
    struct component *apic = rig_component(
        r, 1, "lapic0", "lapic", "type: lapic\ntimer-clock: 100MHz\nextint: pic0\n");
    struct cw_error err = {{0}};
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    rig_wire(r, "pic0.int", "lapic0.lint0");
    r->lint1 = signal_create(r->sim, NULL, "nmi-button");
    rig_wire(r, "host.nmi-button", "lapic0.lint1");
    r->irq1 = signal_create(r->sim, NULL, "irq1");
    rig_wire(r, "host.irq1", "pic0.ir1");
    signal_add_sink(signal_find(r->sim, "lapic0.int"), rig_int, r, 0);
    signal_add_sink(signal_find(r->sim, "lapic0.nmi"), rig_nmi, r, 0);
    sim_reset_components(r->sim);
    r->intack = component_interface(apic, "intack");
    r->lapic = component_interface(apic, "lapic");
    assert_non_null(r->intack);
    assert_non_null(r->lapic);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    for (int i = 0; i < 3; i++)
        ytree_free(r->yaml[i]);
    return 0;
}

static uint32_t rd(struct rig *r, unsigned reg)
{
    return (uint32_t)as_read(r->mem, BASE + reg, 4, BUS_READ, 0, NULL);
}

static void wr(struct rig *r, unsigned reg, uint32_t v)
{
    as_write(r->mem, BASE + reg, 4, v, BUS_WRITE, 0, NULL);
}

static void run_to(struct rig *r, sim_time_t t)
{
    struct sim_limits lim = {t, 0, 0};
    sim_run(r->sim, &lim);
}

static void enable(struct rig *r)
{
    wr(r, 0xF0, 0x1FF); /* SVR: enabled, spurious vector 0xFF */
}

static void test_reset_values(void **state)
{
    struct rig *r = *state;
    assert_int_equal(r->lapic->base_read(r->lapic->opaque), 0xFEE00900u);
    assert_int_equal(rd(r, 0x20), 0);
    assert_int_equal(rd(r, 0x30), 0x00050014u);
    assert_int_equal(rd(r, 0xE0), 0xFFFFFFFFu);
    assert_int_equal(rd(r, 0xF0), 0xFF);
    for (unsigned reg = 0x320; reg <= 0x370; reg += 0x10)
        assert_int_equal(rd(r, reg), 0x10000);
    /* software disabled: an LVT mask cannot be cleared */
    wr(r, 0x320, 0x30);
    assert_int_equal(rd(r, 0x320), 0x10030);
    enable(r);
    wr(r, 0x320, 0x30);
    assert_int_equal(rd(r, 0x320), 0x30);
    /* clearing SVR bit 8 sets every mask again */
    wr(r, 0xF0, 0xFF);
    assert_int_equal(rd(r, 0x320), 0x10030);
}

static void test_self_ipi_priority_and_eoi(void **state)
{
    struct rig *r = *state;
    enable(r);
    wr(r, 0x300, 0x40050); /* self shorthand, fixed, vector 0x50 */
    wr(r, 0x300, 0x40061);
    assert_int_equal(r->cpu_int, 1);
    assert_true(rd(r, 0x200 + 0x30) & (1u << 1)); /* IRR bit 0x61 */
    assert_int_equal(r->intack->acknowledge(r->intack->opaque), 0x61);
    assert_int_equal(rd(r, 0xA0), 0x60); /* PPR = ISR class */
    /* 0x50 is below the in-service class: no INT until the EOI */
    assert_int_equal(r->cpu_int, 0);
    wr(r, 0xB0, 0);
    assert_int_equal(r->cpu_int, 1);
    /* TPR 0x50 blocks class 5 */
    wr(r, 0x80, 0x50);
    assert_int_equal(r->cpu_int, 0);
    assert_int_equal(rd(r, 0xA0), 0x50);
    wr(r, 0x80, 0x40);
    assert_int_equal(r->intack->acknowledge(r->intack->opaque), 0x50);
    assert_true(rd(r, 0x100 + 0x20) & (1u << 16)); /* ISR bit 0x50 */
    wr(r, 0xB0, 0);
    assert_int_equal(rd(r, 0x100 + 0x20), 0);
}

static void test_illegal_vector_esr(void **state)
{
    struct rig *r = *state;
    enable(r);
    wr(r, 0x300, 0x40005);
    assert_int_equal(r->cpu_int, 0);
    assert_int_equal(rd(r, 0x280), 0); /* ESR updates on the next write */
    wr(r, 0x280, 0);
    assert_int_equal(rd(r, 0x280), 0x20);
    wr(r, 0x280, 0);
    assert_int_equal(rd(r, 0x280), 0);
}

static void test_timer_one_shot(void **state)
{
    struct rig *r = *state;
    enable(r);
    wr(r, 0x3E0, 0x3);      /* divide by 16: 6.25 MHz, 160 ns a tick */
    wr(r, 0x320, 0x40);     /* one-shot, vector 0x40 */
    wr(r, 0x380, 1000);     /* expires 160 us after the write */
    run_to(r, 80000000);    /* 80 us */
    assert_int_equal(rd(r, 0x390), 500);
    assert_int_equal(r->cpu_int, 0);
    run_to(r, 160000000 - 1);
    assert_int_equal(r->cpu_int, 0);
    run_to(r, 160000000 + 1); /* events at the limit run in the next call */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(rd(r, 0x390), 0);
    assert_int_equal(r->intack->acknowledge(r->intack->opaque), 0x40);
    wr(r, 0xB0, 0);
    run_to(r, 1000000000);
    assert_int_equal(r->cpu_int, 0);
}

static void test_timer_periodic_and_divider(void **state)
{
    struct rig *r = *state;
    enable(r);
    wr(r, 0x3E0, 0xB);      /* divide by 1: 10 ns a tick */
    wr(r, 0x320, 0x20041);  /* periodic, vector 0x41 */
    wr(r, 0x380, 100);      /* 1 us period */
    int ticks = 0;
    for (int k = 1; k <= 10; k++) {
        run_to(r, (sim_time_t)k * 1000000 - 1);
        assert_int_equal(r->cpu_int, 0);
        run_to(r, (sim_time_t)k * 1000000 + 500000);
        assert_int_equal(rd(r, 0x390), 50);
        if (r->cpu_int) {
            assert_int_equal(r->intack->acknowledge(r->intack->opaque), 0x41);
            wr(r, 0xB0, 0);
            ticks++;
        }
    }
    assert_int_equal(ticks, 10);
    /* writing 0 stops it */
    wr(r, 0x380, 0);
    run_to(r, 20000000);
    assert_int_equal(r->cpu_int, 0);
    assert_int_equal(rd(r, 0x390), 0);
}

static void test_lint0_extint(void **state)
{
    struct rig *r = *state;
    /* 8259 single mode, vector base 0x08 */
    as_write(r->io, 0x20, 1, 0x13, BUS_IO_WRITE, 0, NULL);
    as_write(r->io, 0x21, 1, 0x08, BUS_IO_WRITE, 0, NULL);
    as_write(r->io, 0x21, 1, 0x01, BUS_IO_WRITE, 0, NULL);
    signal_set(r->irq1, 1);
    /* LINT0 is masked after reset */
    assert_int_equal(r->cpu_int, 0);
    enable(r);
    wr(r, 0x350, 0x700); /* ExtINT */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(r->intack->acknowledge(r->intack->opaque), 0x09);
    assert_int_equal(r->cpu_int, 0);
    /* globally disabled: LINT0 is the CPU's INTR again */
    signal_set(r->irq1, 0);
    as_write(r->io, 0x20, 1, 0x20, BUS_IO_WRITE, 0, NULL);
    r->lapic->base_write(r->lapic->opaque, 0xFEE00100u);
    signal_set(r->irq1, 1);
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(r->intack->acknowledge(r->intack->opaque), 0x09);
}

static void test_lint1_nmi(void **state)
{
    struct rig *r = *state;
    enable(r);
    wr(r, 0x360, 0x400); /* NMI */
    signal_set(r->lint1, 1);
    signal_set(r->lint1, 0);
    assert_int_equal(r->nmi_edges, 1);
    wr(r, 0x360, 0x10400);
    signal_set(r->lint1, 1);
    assert_int_equal(r->nmi_edges, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_values, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_self_ipi_priority_and_eoi, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_illegal_vector_esr, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_timer_one_shot, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_timer_periodic_and_divider, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_lint0_extint, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_lint1_nmi, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
