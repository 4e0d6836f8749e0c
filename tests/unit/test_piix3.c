/* test_piix3.c: the PIIX3 ISA bridge and IDE function against the 82371SB
 * datasheet: identification and reset values, PIRQ routing through
 * PIRQRC[A:D] (0x60-0x63) to the IRQ output signals with the PCI INTx
 * swizzle, shared lines, the disable bit and reserved IRQ numbers; the IDE
 * function's legacy-mode class, IDETIM registers and bus-master BAR4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/machine.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/pci/pci.h"
#include "tests/lib/dev_test.h"

struct rig {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct ynode *yaml[3];
    struct pci_bus *bus;
    struct pci_device slot2, slot3;
    int irq[16];
    int irq_edges[16];
};

static void rig_irq_sink(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    if (level != r->irq[line])
        r->irq_edges[line]++;
    r->irq[line] = level;
}

static struct component *rig_component(struct rig *r, int slot, const char *name,
                                       const char *type, const char *yaml)
{
    return dev_test_component(r->sim, name, type, yaml, &r->yaml[slot]);
}

static void rig_card(struct rig *r, struct pci_device *d, uint8_t slot)
{
    struct cw_error err = {{0}};
    pci_device_init(d, "card", 0x10EC, 0x8139, 0x02, 0x00, 0x00, 0x20);
    d->config[PCI_INTERRUPT_PIN] = 1; /* INTA# */
    if (pci_device_register(r->bus, d, (uint8_t)(slot << 3), &err) != 0)
        fail_msg("register: %s", err.msg);
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
    struct component *nb = rig_component(r, 0, "nb", "i440fx", "type: i440fx\n");
    rig_component(r, 1, "isa", "piix3", "type: piix3\npci-bus: nb\n");
    rig_component(r, 2, "ide-fn", "piix3-ide", "type: piix3-ide\npci-bus: nb\n");
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    sim_reset_components(r->sim);
    r->bus = component_interface(nb, "pci-bus");
    assert_non_null(r->bus);
    for (int irq = 0; irq < 16; irq++) {
        char name[32];
        snprintf(name, sizeof name, "isa.irq%d", irq);
        struct signal *s = signal_find(r->sim, name);
        bool routable = irq >= 3 && irq != 8 && irq != 13;
        if (!routable) {
            assert_null(s);
            continue;
        }
        assert_non_null(s);
        signal_add_sink(s, rig_irq_sink, r, irq);
    }
    rig_card(r, &r->slot2, 2);
    rig_card(r, &r->slot3, 3);
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

static uint32_t cfg_r(struct rig *r, unsigned devfn, unsigned reg, unsigned size)
{
    as_write(r->io, 0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC), BUS_IO_WRITE, 0, NULL);
    return (uint32_t)as_read(r->io, 0xCFC + (reg & 3), size, BUS_IO_READ, 0, NULL);
}

static void cfg_w(struct rig *r, unsigned devfn, unsigned reg, unsigned size, uint32_t v)
{
    as_write(r->io, 0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC), BUS_IO_WRITE, 0, NULL);
    as_write(r->io, 0xCFC + (reg & 3), size, v, BUS_IO_WRITE, 0, NULL);
}

#define ISA 0x08
#define IDE 0x09

static void test_isa_identification(void **state)
{
    struct rig *r = *state;
    assert_int_equal(cfg_r(r, ISA, 0x00, 4), 0x70008086);
    assert_int_equal(cfg_r(r, ISA, 0x08, 4) >> 8, 0x060100);
    assert_int_equal(cfg_r(r, ISA, 0x0E, 1), 0x80); /* multi-function */
    assert_int_equal(cfg_r(r, ISA, 0x04, 2) & 7, 7);
    /* Datasheet reset values. */
    assert_int_equal(cfg_r(r, ISA, 0x60, 4), 0x80808080);
    assert_int_equal(cfg_r(r, ISA, 0x4C, 1), 0x4D);
    assert_int_equal(cfg_r(r, ISA, 0x4E, 2), 0x0003);
    assert_int_equal(cfg_r(r, ISA, 0x69, 1), 0x02);
    assert_int_equal(cfg_r(r, ISA, 0x70, 1), 0x80);
    /* PIRQRC: bits 6:4 are reserved. */
    cfg_w(r, ISA, 0x60, 1, 0xFF);
    assert_int_equal(cfg_r(r, ISA, 0x60, 1), 0x8F);
}

static void test_pirq_routing(void **state)
{
    struct rig *r = *state;
    /* SeaBIOS (fw/pciinit.c): PIRQA-D = 10, 10, 11, 11. */
    cfg_w(r, ISA, 0x60, 4, 0x0B0B0A0A);
    assert_int_equal(cfg_r(r, ISA, 0x60, 4), 0x0B0B0A0A);
    /* Slot 2 INTA# -> PIRQC -> IRQ 11; slot 3 INTA# -> PIRQD -> IRQ 11. */
    pci_set_irq(&r->slot2, 1);
    assert_int_equal(r->irq[11], 1);
    assert_int_equal(r->irq[10], 0);
    pci_set_irq(&r->slot3, 1);
    assert_int_equal(r->irq[11], 1);
    assert_int_equal(r->irq_edges[11], 1); /* one line, wired OR */
    pci_set_irq(&r->slot2, 0);
    assert_int_equal(r->irq[11], 1);
    pci_set_irq(&r->slot3, 0);
    assert_int_equal(r->irq[11], 0);
    /* Slot 2 INTB# -> PIRQD; INTC# -> PIRQA -> IRQ 10. */
    r->slot2.config[PCI_INTERRUPT_PIN] = 3;
    pci_set_irq(&r->slot2, 1);
    assert_int_equal(r->irq[10], 1);
    assert_int_equal(r->irq[11], 0);
    pci_set_irq(&r->slot2, 0);
    assert_int_equal(r->irq[10], 0);
}

static void test_pirq_reroute_and_disable(void **state)
{
    struct rig *r = *state;
    cfg_w(r, ISA, 0x62, 1, 0x05); /* PIRQC -> IRQ 5 */
    pci_set_irq(&r->slot2, 1);
    assert_int_equal(r->irq[5], 1);
    /* Re-routing an asserted line moves the level. */
    cfg_w(r, ISA, 0x62, 1, 0x09);
    assert_int_equal(r->irq[5], 0);
    assert_int_equal(r->irq[9], 1);
    /* Bit 7 disables routing. */
    cfg_w(r, ISA, 0x62, 1, 0x89);
    assert_int_equal(r->irq[9], 0);
    /* Reserved IRQ numbers route nowhere. */
    static const uint8_t reserved[] = {0, 1, 2, 8, 13};
    for (size_t i = 0; i < sizeof reserved; i++) {
        cfg_w(r, ISA, 0x62, 1, reserved[i]);
        for (int irq = 0; irq < 16; irq++)
            assert_int_equal(r->irq[irq], 0);
    }
    cfg_w(r, ISA, 0x62, 1, 0x0F);
    assert_int_equal(r->irq[15], 1);
    /* Reset disables every route. */
    sim_reset_components(r->sim);
    assert_int_equal(r->irq[15], 0);
}

static void test_ide_function(void **state)
{
    struct rig *r = *state;
    assert_int_equal(cfg_r(r, IDE, 0x00, 4), 0x70108086);
    assert_int_equal(cfg_r(r, IDE, 0x08, 4) >> 8, 0x010180); /* legacy, bus master */
    /* Legacy mode: BAR0-3 are absent, BAR4 is 16 bytes of I/O. */
    for (unsigned bar = 0; bar < 4; bar++) {
        cfg_w(r, IDE, 0x10 + 4 * bar, 4, 0xFFFFFFFF);
        assert_int_equal(cfg_r(r, IDE, 0x10 + 4 * bar, 4), 0);
    }
    assert_int_equal(cfg_r(r, IDE, 0x20, 4), 0x00000001);
    cfg_w(r, IDE, 0x20, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_r(r, IDE, 0x20, 4), 0xFFFFFFF1);
    /* IDETIM: SeaBIOS writes 0x8000 to both channels. */
    cfg_w(r, IDE, 0x40, 2, 0x8000);
    cfg_w(r, IDE, 0x42, 2, 0x8000);
    assert_int_equal(cfg_r(r, IDE, 0x40, 4), 0x80008000);
    struct piix3_ide_iface *ide =
        component_interface(sim_find_component(r->sim, "ide-fn"), "piix3-ide");
    assert_non_null(ide);
    assert_true(ide->decode_enabled(ide->opaque, 0));
    assert_true(ide->decode_enabled(ide->opaque, 1));
    cfg_w(r, IDE, 0x42, 2, 0x0000);
    assert_false(ide->decode_enabled(ide->opaque, 1));
    /* The IDE function does not decode memory. */
    cfg_w(r, IDE, 0x04, 2, 0x0007);
    assert_int_equal(cfg_r(r, IDE, 0x04, 2), 0x0005);
}

static uint32_t io_r(struct rig *r, uint16_t port, unsigned size)
{
    return (uint32_t)as_read(r->io, port, size, BUS_IO_READ, 0, NULL);
}

static void io_w(struct rig *r, uint16_t port, unsigned size, uint32_t v)
{
    as_write(r->io, port, size, v, BUS_IO_WRITE, 0, NULL);
}

static void test_bus_master_registers(void **state)
{
    struct rig *r = *state;
    struct piix3_ide_iface *ide =
        component_interface(sim_find_component(r->sim, "ide-fn"), "piix3-ide");
    cfg_w(r, IDE, 0x20, 4, 0xC000);
    assert_int_equal(io_r(r, 0xC000, 1), 0xFF); /* I/O decode still off */
    cfg_w(r, IDE, 0x04, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    /* Command: start and direction bits only. */
    io_w(r, 0xC000, 1, 0xFF);
    assert_int_equal(io_r(r, 0xC000, 1), 0x09);
    assert_int_equal(ide->bm_command(ide->opaque, 0), 0x09);
    /* PRD table pointer: dword aligned. */
    io_w(r, 0xC00C, 4, 0x0012345F);
    assert_int_equal(io_r(r, 0xC00C, 4), 0x0012345C);
    assert_int_equal(ide->bm_prd_address(ide->opaque, 1), 0x0012345C);
    /* Status: engine sets interrupt and error; software clears by writing 1;
     * drive DMA-capable bits are plain storage; active is read-only. */
    ide->bm_set_status(ide->opaque, 1, 0x07, 0x07);
    assert_int_equal(io_r(r, 0xC00A, 1), 0x07);
    io_w(r, 0xC00A, 1, 0x64); /* clear interrupt, set both DMA-capable bits */
    assert_int_equal(io_r(r, 0xC00A, 1), 0x63);
    io_w(r, 0xC00A, 1, 0x03);
    assert_int_equal(io_r(r, 0xC00A, 1), 0x01);
    /* The primary channel's status is separate. */
    assert_int_equal(io_r(r, 0xC002, 1), 0x00);
    /* Moving BAR4 moves the registers. */
    cfg_w(r, IDE, 0x20, 4, 0xD001);
    assert_int_equal(io_r(r, 0xC000, 1), 0xFF);
    assert_int_equal(io_r(r, 0xD000, 1), 0x09);
}

static void test_slot_conflict(void **state)
{
    struct rig r;
    struct cw_error err = {{0}};
    memset(&r, 0, sizeof r);
    r.sim = sim_create();
    sim_set_log_quiet(r.sim, true);
    r.mem = as_create(r.sim, "memory", SPACE_MEMORY, 32);
    r.io = as_create(r.sim, "io", SPACE_IO, 16);
    sim_add_space(r.sim, r.mem);
    sim_add_space(r.sim, r.io);
    assert_non_null(as_add_ram(r.mem, NULL, "ram", 0, 2 << 20, &err));
    rig_component(&r, 0, "nb", "i440fx", "type: i440fx\n");
    rig_component(&r, 1, "isa", "piix3", "type: piix3\npci-bus: nb\n");
    rig_component(&r, 2, "isa2", "piix3", "type: piix3\npci-bus: nb\ndevfn: '1.0'\n");
    assert_int_equal(sim_realize_components(r.sim, &err), -1);
    assert_non_null(strstr(err.msg, "taken"));
    sim_destroy(r.sim);
    for (int i = 0; i < 3; i++)
        ytree_free(r.yaml[i]);
}

/* Through the machine loader, with the bridges declared before the host
 * bridge they name (references may point forward). */
static void test_machine_forward_refs(void **state)
{
    static const char yaml[] = "spaces:\n"
                               "  memory: {kind: memory, bits: 32}\n"
                               "  io: {kind: io, bits: 16}\n"
                               "  pci-config: {kind: pci-config, bits: 24}\n"
                               "components:\n"
                               "  isa: {type: piix3, pci-bus: nb}\n"
                               "  ide-fn: {type: piix3-ide, pci-bus: nb}\n"
                               "  ram: {type: ram, size: 4MiB}\n"
                               "  nb: {type: i440fx, config-space: pci-config}\n";
    struct cw_error err = {{0}};
    struct ynode *m = ytree_load_string(yaml, strlen(yaml), "m.yaml", &err);
    assert_non_null(m);
    struct sim *sim = machine_build(m, &err);
    if (!sim)
        fail_msg("build: %s", err.msg);
    struct addr_space *io = sim_find_space(sim, "io");
    as_write(io, 0xCF8, 4, 0x80000800, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(io, 0xCFC, 4, BUS_IO_READ, 0, NULL), 0x70008086);
    as_write(io, 0xCF8, 4, 0x80000900, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(io, 0xCFC, 4, BUS_IO_READ, 0, NULL), 0x70108086);
    sim_destroy(sim);
    /* A pci-bus that is not a host bridge is an error at its location. */
    static const char bad[] = "spaces:\n"
                              "  memory: {kind: memory, bits: 32}\n"
                              "  io: {kind: io, bits: 16}\n"
                              "components:\n"
                              "  ram: {type: ram, size: 4MiB}\n"
                              "  isa: {type: piix3, pci-bus: ram}\n";
    struct ynode *b = ytree_load_string(bad, strlen(bad), "b.yaml", &err);
    assert_null(machine_build(b, &err));
    assert_non_null(strstr(err.msg, "b.yaml:6"));
    assert_non_null(strstr(err.msg, "PCI bus"));
    ytree_free(m);
    ytree_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_isa_identification, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pirq_routing, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pirq_reroute_and_disable, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_ide_function, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_bus_master_registers, rig_setup, rig_teardown),
        cmocka_unit_test(test_slot_conflict),
        cmocka_unit_test(test_machine_forward_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
