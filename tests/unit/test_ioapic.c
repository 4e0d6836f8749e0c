/* test_ioapic.c: the I/O APIC against the 82093AA datasheet: IOREGSEL/
 * IOWIN access, the version register, redirection entries after reset
 * (masked) and their writable bits, edge-triggered delivery on rising edges
 * only, masks, level-triggered delivery with Remote IRR cleared by the local
 * APIC's EOI broadcast (and resent while the pin stays asserted), with
 * the polarity bit stored but the logical request not inverted. The receiver is a real local APIC. */
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
#include "tests/lib/dev_test.h"

#define IOAPIC 0xFEC00000u
#define LAPIC 0xFEE00000u

struct rig {
    struct sim *sim;
    struct addr_space *mem;
    struct ynode *yaml[2];
    struct intack_iface *intack;
    struct signal *pin[4];
    int cpu_int;
};

static void rig_int(void *opaque, int line, int level)
{
    ((struct rig *)opaque)->cpu_int = level;
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
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->mem = as_create(r->sim, "memory", SPACE_MEMORY, 32);
    sim_add_space(r->sim, r->mem);
    struct component *lapic = rig_component(r, 0, "lapic0", "lapic", "type: lapic\n");
    rig_component(r, 1, "ioapic0", "ioapic", "type: ioapic\nlapic: lapic0\n");
    struct cw_error err = {{0}};
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    for (int i = 0; i < 4; i++) {
        char name[16], from[32], to[32];
        snprintf(name, sizeof name, "line%d", i);
        r->pin[i] = signal_create(r->sim, NULL, name);
        snprintf(from, sizeof from, "host.line%d", i);
        snprintf(to, sizeof to, "ioapic0.pin%d", i);
        if (signal_connect(r->sim, from, to, &err) != 0)
            fail_msg("wire: %s", err.msg);
    }
    signal_add_sink(signal_find(r->sim, "lapic0.int"), rig_int, r, 0);
    sim_reset_components(r->sim);
    r->intack = component_interface(lapic, "intack");
    as_write(r->mem, LAPIC + 0xF0, 4, 0x1FF, BUS_WRITE, 0, NULL); /* SVR: enabled */
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

static uint32_t reg_read(struct rig *r, uint8_t reg)
{
    as_write(r->mem, IOAPIC, 4, reg, BUS_WRITE, 0, NULL);
    return (uint32_t)as_read(r->mem, IOAPIC + 0x10, 4, BUS_READ, 0, NULL);
}

static void reg_write(struct rig *r, uint8_t reg, uint32_t v)
{
    as_write(r->mem, IOAPIC, 4, reg, BUS_WRITE, 0, NULL);
    as_write(r->mem, IOAPIC + 0x10, 4, v, BUS_WRITE, 0, NULL);
}

static int ack(struct rig *r) { return r->intack->acknowledge(r->intack->opaque); }
static void eoi(struct rig *r) { as_write(r->mem, LAPIC + 0xB0, 4, 0, BUS_WRITE, 0, NULL); }

static void test_registers(void **state)
{
    struct rig *r = *state;
    assert_int_equal(reg_read(r, 0x01), 0x00170011u);
    assert_int_equal(reg_read(r, 0x00), 0);
    reg_write(r, 0x00, 0xFFFFFFFFu);
    assert_int_equal(reg_read(r, 0x00), 0x0F000000u);
    for (uint8_t pin = 0; pin < 24; pin++) {
        assert_int_equal(reg_read(r, (uint8_t)(0x10 + 2 * pin)), 0x10000);
        assert_int_equal(reg_read(r, (uint8_t)(0x11 + 2 * pin)), 0);
    }
    /* delivery status and remote IRR are read-only */
    reg_write(r, 0x12, 0xFFFFFFFFu);
    assert_int_equal(reg_read(r, 0x12), 0x1AFFFu);
    reg_write(r, 0x13, 0xFFFFFFFFu);
    assert_int_equal(reg_read(r, 0x13), 0xFF000000u);
}

static void test_edge(void **state)
{
    struct rig *r = *state;
    signal_set(r->pin[0], 1);
    assert_int_equal(r->cpu_int, 0); /* masked after reset */
    signal_set(r->pin[0], 0);
    reg_write(r, 0x10, 0x30); /* edge, high, fixed, vector 0x30 */
    signal_set(r->pin[0], 1);
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x30);
    eoi(r);
    /* staying high sends nothing more */
    assert_int_equal(r->cpu_int, 0);
    signal_set(r->pin[0], 0);
    signal_set(r->pin[0], 1);
    assert_int_equal(ack(r), 0x30);
    eoi(r);
}

static void test_level_remote_irr(void **state)
{
    struct rig *r = *state;
    /* pin 3: level, active low (a PCI INTx#), vector 0x49; the machine's
     * signal is the logical request, so 1 asserts whatever the polarity */
    reg_write(r, 0x16, 0xA049);
    assert_int_equal(r->cpu_int, 0);
    signal_set(r->pin[3], 1);
    assert_int_equal(r->cpu_int, 1);
    assert_true(reg_read(r, 0x16) & 0x4000); /* remote IRR */
    assert_int_equal(ack(r), 0x49);
    /* the device still asserts: the EOI broadcast clears remote IRR and
     * the I/O APIC sends again */
    eoi(r);
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x49);
    signal_set(r->pin[3], 0); /* the handler quietened the device */
    eoi(r);
    assert_int_equal(reg_read(r, 0x16) & 0x4000, 0);
    assert_int_equal(r->cpu_int, 0);
}

static void test_unmask_asserted_level(void **state)
{
    struct rig *r = *state;
    signal_set(r->pin[2], 1);
    reg_write(r, 0x14, 0x18051); /* level, masked */
    assert_int_equal(r->cpu_int, 0);
    reg_write(r, 0x14, 0x8051);  /* unmasked */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x51);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registers, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_edge, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_level_remote_irr, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_unmask_asserted_level, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
