/* test_pci.c: the PCI core against the PCI Local Bus Specification 3.0,
 * chapter 6: header fields and write masks, status write-one-to-clear,
 * BAR sizing (I/O, memory, prefetchable, expansion ROM), region mapping
 * following the BARs and the command register, multi-function header bit,
 * INTx swizzling with wired-OR sharing and the interrupt-disable bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "models/pci/pci.h"

struct rig {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct pci_bus *bus;
    struct pci_device dev;
    struct region *io_r, *mmio_r, *fb_r, *rom_r;
    uint8_t rom_data[65536];
    int pirq_level[4];
    int pirq_calls;
    unsigned last_write_reg;
};

static uint64_t rig_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0xA5000000u | (uint32_t)offset;
}

static void rig_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
}

static const struct mmio_ops rig_ops = {.read = rig_mmio_read, .write = rig_mmio_write};

static void rig_router(void *opaque, int pirq, int level)
{
    struct rig *r = opaque;
    r->pirq_level[pirq] = level;
    r->pirq_calls++;
}

static void rig_config_write(struct pci_device *d, unsigned reg, unsigned size, uint32_t value)
{
    struct rig *r = d->opaque;
    r->last_write_reg = reg;
}

static const struct pci_device_ops rig_dev_ops = {.config_write = rig_config_write};

/* A device with BAR0 = 32 bytes of I/O, BAR1 = 4 KiB MMIO, BAR2 = 16 MiB
 * prefetchable memory, a 64 KiB expansion ROM and INTA#. */
static void rig_device(struct rig *r, struct pci_device *d, const char *name)
{
    struct cw_error err = {{0}};
    pci_device_init(d, name, 0x1234, 0x1111, 0x03, 0x00, 0x00, 0x02);
    d->ops = &rig_dev_ops;
    d->opaque = r;
    d->config[PCI_INTERRUPT_PIN] = 1;
    char n[64];
    snprintf(n, sizeof n, "%s-io", name);
    r->io_r = as_add_mmio(r->io, NULL, n, AS_UNMAPPED, 32, &rig_ops, r, &err);
    snprintf(n, sizeof n, "%s-mmio", name);
    r->mmio_r = as_add_mmio(r->mem, NULL, n, AS_UNMAPPED, 4096, &rig_ops, r, &err);
    snprintf(n, sizeof n, "%s-fb", name);
    r->fb_r = as_add_ram(r->mem, NULL, n, AS_UNMAPPED, 16 << 20, &err);
    snprintf(n, sizeof n, "%s-rom", name);
    r->rom_r = as_add_rom(r->mem, NULL, n, AS_UNMAPPED, sizeof r->rom_data, r->rom_data,
                          sizeof r->rom_data, &err);
    assert_non_null(r->rom_r);
    d->bars[0] = (struct pci_bar){PCI_BAR_IO, 32, r->io_r};
    d->bars[1] = (struct pci_bar){PCI_BAR_MEM32, 4096, r->mmio_r};
    d->bars[2] = (struct pci_bar){PCI_BAR_MEM32_PREFETCH, 16 << 20, r->fb_r};
    d->bars[PCI_ROM_SLOT] = (struct pci_bar){PCI_BAR_MEM32, 65536, r->rom_r};
}

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
    struct cw_error err = {{0}};
    assert_non_null(as_add_ram(r->mem, NULL, "ram", 0, 1 << 20, &err));
    r->rom_data[0] = 0x55;
    r->rom_data[1] = 0xAA;
    r->bus = pci_bus_create("pci0");
    rig_device(r, &r->dev, "vga");
    if (pci_device_register(r->bus, &r->dev, 2 << 3, &err) != 0)
        fail_msg("register: %s", err.msg);
    pci_bus_set_irq_router(r->bus, rig_router, r);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    pci_bus_destroy(r->bus);
    sim_destroy(r->sim);
    return 0;
}

#define DEVFN (2 << 3)

static uint32_t cfg_r(struct rig *r, unsigned reg, unsigned size)
{
    return pci_config_read(r->bus, DEVFN, reg, size);
}

static void cfg_w(struct rig *r, unsigned reg, unsigned size, uint32_t v)
{
    pci_config_write(r->bus, DEVFN, reg, size, v);
}

static void test_ids_and_absent(void **state)
{
    struct rig *r = *state;
    assert_int_equal(cfg_r(r, 0, 4), 0x11111234);
    assert_int_equal(cfg_r(r, PCI_DEVICE_ID, 2), 0x1111);
    assert_int_equal(cfg_r(r, PCI_REVISION, 4), 0x03000002);
    assert_int_equal(cfg_r(r, PCI_CLASS, 1), 0x03);
    /* Byte reads inside a dword. */
    assert_int_equal(cfg_r(r, 1, 1), 0x12);
    /* Absent device and function: all ones of the access size. */
    assert_int_equal(pci_config_read(r->bus, 3 << 3, 0, 4), 0xFFFFFFFF);
    assert_int_equal(pci_config_read(r->bus, 3 << 3, 0, 2), 0xFFFF);
    assert_int_equal(pci_config_read(r->bus, DEVFN | 1, 0, 1), 0xFF);
    assert_ptr_equal(pci_bus_device(r->bus, DEVFN), &r->dev);
}

static void test_readonly_and_wmask(void **state)
{
    struct rig *r = *state;
    cfg_w(r, 0, 4, 0xDEADBEEF); /* IDs are read-only */
    assert_int_equal(cfg_r(r, 0, 4), 0x11111234);
    cfg_w(r, PCI_CLASS, 1, 0x77);
    assert_int_equal(cfg_r(r, PCI_CLASS, 1), 0x03);
    cfg_w(r, PCI_INTERRUPT_LINE, 1, 11);
    assert_int_equal(cfg_r(r, PCI_INTERRUPT_LINE, 1), 11);
    cfg_w(r, PCI_INTERRUPT_PIN, 1, 3); /* read-only pin */
    assert_int_equal(cfg_r(r, PCI_INTERRUPT_PIN, 1), 1);
    /* Command: only implemented bits stick. */
    cfg_w(r, PCI_COMMAND, 2, 0xFFFF);
    assert_int_equal(cfg_r(r, PCI_COMMAND, 2), 0x0547);
    cfg_w(r, PCI_COMMAND, 2, 0);
    assert_int_equal(r->last_write_reg, PCI_COMMAND);
    /* Device-specific registers follow the device's wmask. */
    r->dev.wmask[0x40] = 0x0F;
    cfg_w(r, 0x40, 1, 0xFF);
    assert_int_equal(cfg_r(r, 0x40, 1), 0x0F);
}

static void test_status_w1c(void **state)
{
    struct rig *r = *state;
    r->dev.config[PCI_STATUS + 1] |= 0xF9; /* error bits set by "hardware" */
    uint16_t st = (uint16_t)cfg_r(r, PCI_STATUS, 2);
    assert_int_equal(st & 0xF900, 0xF900);
    cfg_w(r, PCI_STATUS, 2, 0x2000); /* clear received master abort only */
    st = (uint16_t)cfg_r(r, PCI_STATUS, 2);
    assert_int_equal(st & 0xF900, 0xD900);
    assert_int_equal(st & 0x0600, 0x0200); /* DEVSEL timing untouched */
    cfg_w(r, PCI_STATUS, 2, 0xFFFF);
    assert_int_equal(cfg_r(r, PCI_STATUS, 2) & 0xF900, 0);
}

static void test_bar_sizing(void **state)
{
    struct rig *r = *state;
    /* Write all ones, read back the size mask with the type bits. */
    cfg_w(r, PCI_BAR0, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_r(r, PCI_BAR0, 4), 0xFFFFFFE1); /* 32 bytes I/O */
    cfg_w(r, PCI_BAR0 + 4, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_r(r, PCI_BAR0 + 4, 4), 0xFFFFF000); /* 4 KiB memory */
    cfg_w(r, PCI_BAR0 + 8, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_r(r, PCI_BAR0 + 8, 4), 0xFF000008); /* 16 MiB prefetchable */
    /* Unimplemented BARs read 0 and ignore writes. */
    for (unsigned b = 3; b < 6; b++) {
        cfg_w(r, PCI_BAR0 + 4 * b, 4, 0xFFFFFFFF);
        assert_int_equal(cfg_r(r, PCI_BAR0 + 4 * b, 4), 0);
    }
    /* Expansion ROM: SeaBIOS writes ~enable; the enable bit stays writable. */
    cfg_w(r, PCI_ROM_BAR, 4, 0xFFFFFFFE);
    assert_int_equal(cfg_r(r, PCI_ROM_BAR, 4), 0xFFFF0000);
    cfg_w(r, PCI_ROM_BAR, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_r(r, PCI_ROM_BAR, 4), 0xFFFF0001);
    /* Byte writes to a BAR keep the read-only low bits. */
    cfg_w(r, PCI_BAR0, 4, 0);
    cfg_w(r, PCI_BAR0, 1, 0xFF);
    assert_int_equal(cfg_r(r, PCI_BAR0, 4), 0x000000E1);
    /* Reset clears addresses, keeps type bits. */
    pci_device_reset(&r->dev);
    assert_int_equal(cfg_r(r, PCI_BAR0, 4), 1);
    assert_int_equal(cfg_r(r, PCI_BAR0 + 8, 4), 8);
    assert_int_equal(cfg_r(r, PCI_ROM_BAR, 4), 0);
}

static void test_bar_mapping(void **state)
{
    struct rig *r = *state;
    /* Programmed but decoding off: nothing answers. */
    cfg_w(r, PCI_BAR0, 4, 0xC000);
    cfg_w(r, PCI_BAR0 + 4, 4, 0xFEBF0000);
    assert_int_equal(as_read(r->io, 0xC004, 4, BUS_IO_READ, 0, NULL), 0xFFFFFFFF);
    assert_int_equal(as_read(r->mem, 0xFEBF0010, 4, BUS_READ, 0, NULL), 0xFFFFFFFF);
    assert_int_equal(pci_bar_address(&r->dev, 0), PCI_BAR_UNMAPPED);
    /* I/O decode only. */
    cfg_w(r, PCI_COMMAND, 2, PCI_COMMAND_IO);
    assert_int_equal(as_read(r->io, 0xC004, 4, BUS_IO_READ, 0, NULL), 0xA5000004);
    assert_int_equal(as_read(r->mem, 0xFEBF0010, 4, BUS_READ, 0, NULL), 0xFFFFFFFF);
    assert_int_equal(pci_bar_address(&r->dev, 0), 0xC000);
    /* Memory decode too. */
    cfg_w(r, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    assert_int_equal(as_read(r->mem, 0xFEBF0010, 4, BUS_READ, 0, NULL), 0xA5000010);
    /* Moving the BAR moves the region. */
    cfg_w(r, PCI_BAR0, 4, 0xC100);
    assert_int_equal(as_read(r->io, 0xC004, 4, BUS_IO_READ, 0, NULL), 0xFFFFFFFF);
    assert_int_equal(as_read(r->io, 0xC104, 2, BUS_IO_READ, 0, NULL), 0x0004);
    /* The framebuffer is RAM behind a prefetchable BAR. */
    cfg_w(r, PCI_BAR0 + 8, 4, 0xFD000000);
    as_write(r->mem, 0xFD000100, 4, 0x12345678, BUS_WRITE, 0, NULL);
    assert_int_equal(as_read(r->mem, 0xFD000100, 4, BUS_READ, 0, NULL), 0x12345678);
    /* Sizing a live BAR unmaps it until the address is restored. */
    cfg_w(r, PCI_BAR0 + 4, 4, 0xFFFFFFFF);
    assert_int_equal(pci_bar_address(&r->dev, 1), PCI_BAR_UNMAPPED);
    assert_int_equal(as_read(r->mem, 0xFFFFF000, 4, BUS_READ, 0, NULL), 0xFFFFFFFF);
    cfg_w(r, PCI_BAR0 + 4, 4, 0xFEBF0000);
    assert_int_equal(as_read(r->mem, 0xFEBF0010, 4, BUS_READ, 0, NULL), 0xA5000010);
    /* Turning memory decode off unmaps every memory BAR. */
    cfg_w(r, PCI_COMMAND, 2, PCI_COMMAND_IO);
    assert_int_equal(as_read(r->mem, 0xFD000100, 4, BUS_READ, 0, NULL), 0xFFFFFFFF);
    /* Reset unmaps everything. */
    pci_device_reset(&r->dev);
    assert_int_equal(as_read(r->io, 0xC104, 2, BUS_IO_READ, 0, NULL), 0xFFFF);
}

static void test_rom_bar(void **state)
{
    struct rig *r = *state;
    cfg_w(r, PCI_ROM_BAR, 4, 0xFEB00000); /* address, enable bit clear */
    cfg_w(r, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    assert_int_equal(as_read(r->mem, 0xFEB00000, 2, BUS_READ, 0, NULL), 0xFFFF);
    cfg_w(r, PCI_ROM_BAR, 4, 0xFEB00001);
    assert_int_equal(cfg_r(r, PCI_ROM_BAR, 4), 0xFEB00001);
    assert_int_equal(as_read(r->mem, 0xFEB00000, 2, BUS_READ, 0, NULL), 0xAA55);
    assert_int_equal(pci_bar_address(&r->dev, PCI_ROM_SLOT), 0xFEB00000);
    /* Low address bits below the ROM size are not writable. */
    cfg_w(r, PCI_ROM_BAR, 4, 0xFEB0F801);
    assert_int_equal(cfg_r(r, PCI_ROM_BAR, 4), 0xFEB00001);
    /* The ROM also needs memory space decoding. */
    cfg_w(r, PCI_COMMAND, 2, 0);
    assert_int_equal(as_read(r->mem, 0xFEB00000, 2, BUS_READ, 0, NULL), 0xFFFF);
}

static void test_io_bar_limits(void **state)
{
    struct rig *r = *state;
    cfg_w(r, PCI_COMMAND, 2, PCI_COMMAND_IO);
    /* An I/O BAR at 0 is "unassigned". */
    cfg_w(r, PCI_BAR0, 4, 0);
    assert_int_equal(pci_bar_address(&r->dev, 0), PCI_BAR_UNMAPPED);
    /* Upper 16 bits of an I/O BAR are writable (32-bit I/O decode), but a
     * range past the 64 KiB I/O space decodes nothing. */
    cfg_w(r, PCI_BAR0, 4, 0x12340);
    assert_int_equal(cfg_r(r, PCI_BAR0, 4), 0x12341);
    assert_int_equal(pci_bar_address(&r->dev, 0), PCI_BAR_UNMAPPED);
}

static void test_registration(void **state)
{
    struct rig *r = *state;
    struct cw_error err = {{0}};
    struct pci_device other = {0};
    pci_device_init(&other, "other", 0x8086, 0x1234, 0x02, 0x00, 0x00, 0x00);
    assert_int_equal(pci_device_register(r->bus, &other, DEVFN, &err), -1);
    assert_non_null(strstr(err.msg, "taken"));
    /* Function 1 makes function 0 report a multi-function device. */
    assert_int_equal(cfg_r(r, PCI_HEADER_TYPE, 1), 0x00);
    assert_int_equal(pci_device_register(r->bus, &other, DEVFN | 1, &err), 0);
    assert_int_equal(cfg_r(r, PCI_HEADER_TYPE, 1), 0x80);
    assert_int_equal(pci_config_read(r->bus, DEVFN | 1, 0, 4), 0x12348086);
    /* Bad BAR sizes are configuration errors. */
    struct pci_device bad = {0};
    pci_device_init(&bad, "bad", 0x8086, 0x1, 0x02, 0, 0, 0);
    bad.bars[0] = (struct pci_bar){PCI_BAR_MEM32, 24, NULL};
    assert_int_equal(pci_device_register(r->bus, &bad, 5 << 3, &err), -1);
    bad.bars[0] = (struct pci_bar){PCI_BAR_IO, 2, NULL};
    assert_int_equal(pci_device_register(r->bus, &bad, 5 << 3, &err), -1);
}

static void test_parse_devfn(void **state)
{
    uint8_t devfn = 0xEE;
    assert_int_equal(pci_parse_devfn("1.1", &devfn), 0);
    assert_int_equal(devfn, 0x09);
    assert_int_equal(pci_parse_devfn("01.0", &devfn), 0);
    assert_int_equal(devfn, 0x08);
    assert_int_equal(pci_parse_devfn("1f.7", &devfn), 0);
    assert_int_equal(devfn, 0xFF);
    assert_int_equal(pci_parse_devfn("3", &devfn), 0);
    assert_int_equal(devfn, 0x18);
    assert_int_equal(pci_parse_devfn("20.0", &devfn), -1);
    assert_int_equal(pci_parse_devfn("1.8", &devfn), -1);
    assert_int_equal(pci_parse_devfn("", &devfn), -1);
    assert_int_equal(pci_parse_devfn("1.", &devfn), -1);
    assert_int_equal(pci_parse_devfn("x", &devfn), -1);
}

static void test_intx_routing(void **state)
{
    struct rig *r = *state;
    struct cw_error err = {{0}};
    /* Device 2 INTA# -> PIRQ (2 + 1 - 1) & 3 = 2. */
    pci_set_irq(&r->dev, 1);
    assert_int_equal(r->pirq_level[2], 1);
    assert_int_equal(cfg_r(r, PCI_STATUS, 1) & 0x08, 0x08); /* interrupt status */
    /* Device 6 INTA# also lands on PIRQ 2 (6 & 3 = 2): wired OR. */
    struct pci_device d6 = {0};
    pci_device_init(&d6, "d6", 0x8086, 0x2, 0x02, 0, 0, 0);
    d6.config[PCI_INTERRUPT_PIN] = 1;
    assert_int_equal(pci_device_register(r->bus, &d6, 6 << 3, &err), 0);
    pci_set_irq(&d6, 1);
    int calls = r->pirq_calls;
    pci_set_irq(&r->dev, 0);
    assert_int_equal(r->pirq_level[2], 1); /* d6 still asserts */
    pci_set_irq(&d6, 0);
    assert_int_equal(r->pirq_level[2], 0);
    assert_int_equal(r->pirq_calls, calls + 1);
    assert_int_equal(cfg_r(r, PCI_STATUS, 1) & 0x08, 0);
    /* INTB# of device 2 -> PIRQ 3. */
    r->dev.config[PCI_INTERRUPT_PIN] = 2;
    pci_set_irq(&r->dev, 1);
    assert_int_equal(r->pirq_level[3], 1);
    /* Interrupt disable (command bit 10) masks the pin but not the status. */
    cfg_w(r, PCI_COMMAND, 2, 0x0400);
    assert_int_equal(r->pirq_level[3], 0);
    assert_int_equal(cfg_r(r, PCI_STATUS, 1) & 0x08, 0x08);
    cfg_w(r, PCI_COMMAND, 2, 0);
    assert_int_equal(r->pirq_level[3], 1);
    pci_set_irq(&r->dev, 0);
    assert_int_equal(r->pirq_level[3], 0);
    /* A router installed late learns the lines already asserted. */
    pci_set_irq(&d6, 1);
    r->pirq_level[2] = 0;
    pci_bus_set_irq_router(r->bus, rig_router, r);
    assert_int_equal(r->pirq_level[2], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ids_and_absent, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_and_wmask, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_status_w1c, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_bar_sizing, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_bar_mapping, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_rom_bar, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_io_bar_limits, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_registration, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_parse_devfn, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_intx_routing, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
