/* test_stdvga.c: the stdvga component in a machine: PCI identity 1234:1111
 * class 0x030000, BAR sizing (16 MiB prefetchable LFB, 4 KiB MMIO, 64 KiB
 * expansion ROM holding the VGA BIOS file), the LFB as DMI-capable RAM, the
 * DISPI registers through ports 0x1CE/0x1CF and through BAR2, word writes
 * to index/data port pairs, the 0xA0000 window above system RAM, the
 * exported display interface, and errors for a missing ROM file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/pci/pci.h"
#include "models/vga/vga_font.h"

#define VGA_DEVFN (2 << 3)

struct rig {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct region *ram;
    struct ynode *nb_yaml, *vga_yaml;
    struct component *nb, *vga;
    struct pci_bus *bus;
    char rom_path[64];
};

static void write_fake_rom(struct rig *r)
{
    snprintf(r->rom_path, sizeof r->rom_path, "/tmp/cw-test-vgarom-XXXXXX");
    int fd = mkstemp(r->rom_path);
    assert_true(fd >= 0);
    uint8_t rom[39936];
    for (size_t i = 0; i < sizeof rom; i++)
        rom[i] = (uint8_t)(i * 3);
    rom[0] = 0x55;
    rom[1] = 0xAA;
    rom[2] = sizeof rom / 512;
    assert_int_equal(write(fd, rom, sizeof rom), (ssize_t)sizeof rom);
    close(fd);
}

/* Builds memory + I/O spaces with 1 MiB of RAM covering the VGA hole, an
 * i440fx host bridge and a stdvga configured by `vga_params`. Returns the
 * create error (or NULL). */
static const char *rig_build(struct rig *r, const char *vga_params, bool with_pci,
                             struct cw_error *err)
{
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->mem = as_create(r->sim, "memory", SPACE_MEMORY, 32);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->mem);
    sim_add_space(r->sim, r->io);
    r->ram = as_add_ram(r->mem, NULL, "ram", 0, 1 << 20, err);
    assert_non_null(r->ram);
    if (with_pci) {
        const char *nb = "type: i440fx\n";
        r->nb_yaml = ytree_load_string(nb, strlen(nb), "test", err);
        r->nb = component_create(r->sim, "nb", component_type_find("i440fx"), r->nb_yaml, err);
        if (!r->nb)
            fail_msg("i440fx: %s", err->msg);
    }
    char yaml[512];
    snprintf(yaml, sizeof yaml, "type: stdvga\n%s", vga_params);
    r->vga_yaml = ytree_load_string(yaml, strlen(yaml), "test", err);
    assert_non_null(r->vga_yaml);
    r->vga = component_create(r->sim, "vga", component_type_find("stdvga"), r->vga_yaml, err);
    if (!r->vga)
        return err->msg;
    if (sim_realize_components(r->sim, err) != 0)
        fail_msg("realize: %s", err->msg);
    sim_reset_components(r->sim);
    if (with_pci)
        r->bus = component_interface(r->nb, "pci-bus");
    return NULL;
}

static int rig_setup(void **state)
{
    struct rig *r = calloc(1, sizeof *r);
    struct cw_error err = {{0}};
    write_fake_rom(r);
    char params[128];
    snprintf(params, sizeof params, "pci-bus: nb\nrom: %s\n", r->rom_path);
    if (rig_build(r, params, true, &err))
        fail_msg("stdvga: %s", err.msg);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->nb_yaml);
    ytree_free(r->vga_yaml);
    if (r->rom_path[0])
        unlink(r->rom_path);
    free(r);
    return 0;
}

static uint32_t cfg_r(struct rig *r, unsigned reg, unsigned size)
{
    return pci_config_read(r->bus, VGA_DEVFN, reg, size);
}

static void cfg_w(struct rig *r, unsigned reg, unsigned size, uint32_t value)
{
    pci_config_write(r->bus, VGA_DEVFN, reg, size, value);
}

static uint32_t bar_size_mask(struct rig *r, unsigned reg, uint32_t all_ones)
{
    uint32_t old = cfg_r(r, reg, 4);
    cfg_w(r, reg, 4, all_ones);
    uint32_t mask = cfg_r(r, reg, 4);
    cfg_w(r, reg, 4, old);
    return mask;
}

static void map_bars(struct rig *r)
{
    cfg_w(r, PCI_BAR0, 4, 0xE0000000);
    cfg_w(r, PCI_BAR0 + 8, 4, 0xE1000000);
    cfg_w(r, PCI_ROM_BAR, 4, 0xE1010000 | 1);
    cfg_w(r, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
}

static void test_pci_identity_and_bars(void **state)
{
    struct rig *r = *state;
    assert_int_equal(cfg_r(r, PCI_VENDOR_ID, 4), 0x11111234);
    assert_int_equal(cfg_r(r, PCI_REVISION, 4) >> 8, 0x030000);
    assert_int_equal(bar_size_mask(r, PCI_BAR0, 0xFFFFFFFF), 0xFF000008); /* 16 MiB, prefetchable */
    assert_int_equal(bar_size_mask(r, PCI_BAR0 + 4, 0xFFFFFFFF), 0);
    assert_int_equal(bar_size_mask(r, PCI_BAR0 + 8, 0xFFFFFFFF), 0xFFFFF000); /* 4 KiB MMIO */
    assert_int_equal(bar_size_mask(r, PCI_ROM_BAR, 0xFFFFFFFE), 0xFFFF0000); /* 64 KiB ROM */
}

static void test_rom_and_lfb_mapped(void **state)
{
    struct rig *r = *state;
    /* Before the BARs are programmed nothing answers there. */
    assert_int_equal(as_read(r->mem, 0xE1010000, 2, BUS_READ, 0, NULL), 0xFFFF);
    map_bars(r);
    assert_int_equal(as_read(r->mem, 0xE1010000, 2, BUS_READ, 0, NULL), 0xAA55);
    assert_int_equal(as_read(r->mem, 0xE1010000 + 1000, 1, BUS_READ, 0, NULL), (1000 * 3) & 0xFF);
    assert_int_equal(as_read(r->mem, 0xE1010000 + 39936, 1, BUS_READ, 0, NULL), 0xFF); /* past the file */
    /* The LFB is RAM with a direct pointer for the CPU. */
    as_write(r->mem, 0xE0000010, 4, 0x11223344, BUS_WRITE, 0, NULL);
    struct dmi d;
    assert_true(as_dmi(r->mem, 0xE0000010, true, &d));
    assert_true(d.writable);
    assert_int_equal(d.host[0xE0000010 - d.lo], 0x44);
    assert_int_equal(d.hi - d.lo + 1, 16u << 20);
    /* Clearing the ROM enable bit unmaps only the ROM. */
    cfg_w(r, PCI_ROM_BAR, 4, 0xE1010000);
    assert_int_equal(as_read(r->mem, 0xE1010000, 2, BUS_READ, 0, NULL), 0xFFFF);
    assert_int_equal(as_read(r->mem, 0xE0000010, 4, BUS_READ, 0, NULL), 0x11223344);
}

static void test_dispi_ports_and_mmio(void **state)
{
    struct rig *r = *state;
    as_write(r->io, 0x1CE, 2, 0, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(r->io, 0x1CF, 2, BUS_IO_READ, 0, NULL), 0xB0C5);
    as_write(r->io, 0x1CF, 2, 0xB0C0, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(r->io, 0x1CF, 2, BUS_IO_READ, 0, NULL), 0xB0C0);
    assert_int_equal(as_read(r->io, 0x1CE, 2, BUS_IO_READ, 0, NULL), 0);
    as_write(r->io, 0x1CE, 2, 10, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(r->io, 0x1CF, 2, BUS_IO_READ, 0, NULL), 256); /* 16 MiB in 64 KiB */
    /* BAR2: DISPI register i at 0x500 + 2i, VGA ports 0x3C0-0x3DF at 0x400. */
    map_bars(r);
    as_write(r->mem, 0xE1000500 + 2 * 1, 2, 1024, BUS_WRITE, 0, NULL);
    as_write(r->io, 0x1CE, 2, 1, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(r->io, 0x1CF, 2, BUS_IO_READ, 0, NULL), 1024);
    assert_int_equal(as_read(r->mem, 0xE1000500 + 2 * 10, 2, BUS_READ, 0, NULL), 256);
    assert_int_equal(as_read(r->mem, 0xE1000000, 4, BUS_READ, 0, NULL), 0); /* no EDID */
    as_write(r->mem, 0xE1000400 + 0x0E, 2, 0x0F08, BUS_WRITE, 0, NULL); /* GC 8 = 0x0F */
    as_write(r->io, 0x3CE, 1, 8, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(r->io, 0x3CF, 1, BUS_IO_READ, 0, NULL), 0x0F);
}

static void test_legacy_ports_window_and_display(void **state)
{
    struct rig *r = *state;
    struct addr_space *io = r->io;
    as_write(io, 0x3C2, 1, 0x67, BUS_IO_WRITE, 0, NULL);
    as_write(io, 0x3C4, 2, 0x0302, BUS_IO_WRITE, 0, NULL); /* out dx, ax: index 2, data 3 */
    as_write(io, 0x3C4, 2, 0x0204, BUS_IO_WRITE, 0, NULL);
    as_write(io, 0x3CE, 2, 0x1005, BUS_IO_WRITE, 0, NULL);
    as_write(io, 0x3CE, 2, 0x0E06, BUS_IO_WRITE, 0, NULL);
    as_write(io, 0x3CE, 2, 0xFF08, BUS_IO_WRITE, 0, NULL); /* bit mask: all bits from the CPU */
    as_write(io, 0x3C4, 1, 2, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(io, 0x3C5, 1, BUS_IO_READ, 0, NULL), 0x03);
    as_write(io, 0x3D4, 2, 0x4F01, BUS_IO_WRITE, 0, NULL); /* 80 columns */
    (void)as_read(io, 0x3DA, 1, BUS_IO_READ, 0, NULL);
    as_write(io, 0x3C0, 1, 0x20, BUS_IO_WRITE, 0, NULL);
    /* The window sits above the RAM that covers the hole. */
    as_write(r->mem, 0xB8000, 4, 0x1F691F48, BUS_WRITE, 0, NULL); /* "Hi" */
    assert_int_equal(r->ram->host[0xB8000], 0);
    assert_int_equal(as_read(r->mem, 0xB8000, 2, BUS_READ, 0, NULL), 0x1F48);
    struct display_iface *d = component_interface(r->vga, "display");
    assert_non_null(d);
    char buf[256];
    assert_int_equal(d->text(d->opaque, buf, sizeof buf), 80);
    assert_memory_equal(buf, "Hi ", 3);
    const struct display_surface *s = d->update(d->opaque);
    assert_int_equal(s->width, 720);
    assert_non_null(component_interface(r->vga, VGA_FONT_IFACE));
    /* Retrace bits move with guest time (nothing else drives them here). */
    assert_true(d->refresh_mhz(d->opaque) > 0);
}

static void test_missing_rom_names_file_and_package(void **state)
{
    (void)state;
    struct rig r = {0};
    struct cw_error err = {{0}};
    const char *msg = rig_build(&r, "pci-bus: nb\nrom: /nonexistent/vgabios-stdvga.bin\n", true, &err);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "/nonexistent/vgabios-stdvga.bin"));
    assert_non_null(strstr(msg, "seabios"));
    sim_destroy(r.sim);
    ytree_free(r.nb_yaml);
    ytree_free(r.vga_yaml);
}

/* The real VGA BIOS, when the seabios package is installed. */
static void test_real_vgabios_rom(void **state)
{
    (void)state;
    const char *path = "/usr/share/seabios/vgabios-stdvga.bin";
    if (access(path, R_OK) != 0)
        skip();
    struct rig r = {0};
    struct cw_error err = {{0}};
    assert_null(rig_build(&r, "pci-bus: nb\n", true, &err)); /* the default rom path */
    uint32_t mask = bar_size_mask(&r, PCI_ROM_BAR, 0xFFFFFFFE);
    assert_int_equal(mask, 0xFFFF0000);
    map_bars(&r);
    assert_int_equal(as_read(r.mem, 0xE1010000, 2, BUS_READ, 0, NULL), 0xAA55);
    /* PCI data structure "PCIR" names 1234:1111. */
    uint16_t pcir = (uint16_t)as_read(r.mem, 0xE1010018, 2, BUS_READ, 0, NULL);
    assert_int_equal(as_read(r.mem, 0xE1010000 + pcir, 4, BUS_READ, 0, NULL), 0x52494350);
    assert_int_equal(as_read(r.mem, 0xE1010000 + pcir + 4, 4, BUS_READ, 0, NULL), 0x11111234);
    sim_destroy(r.sim);
    ytree_free(r.nb_yaml);
    ytree_free(r.vga_yaml);
}

static void test_isa_vga_with_fixed_lfb(void **state)
{
    (void)state;
    struct rig r = {0};
    struct cw_error err = {{0}};
    assert_null(rig_build(&r, "lfb-base: 0xFD000000\n", false, &err));
    struct dmi d;
    assert_true(as_dmi(r.mem, 0xFD000000, true, &d));
    assert_int_equal(d.lo, 0xFD000000);
    sim_destroy(r.sim);
    ytree_free(r.vga_yaml);
}

static void test_bad_vram_size(void **state)
{
    (void)state;
    struct rig r = {0};
    struct cw_error err = {{0}};
    const char *msg = rig_build(&r, "vram-size: 3MiB\n", false, &err);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "power of two"));
    sim_destroy(r.sim);
    ytree_free(r.vga_yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pci_identity_and_bars, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_rom_and_lfb_mapped, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dispi_ports_and_mmio, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_legacy_ports_window_and_display, rig_setup,
                                        rig_teardown),
        cmocka_unit_test(test_missing_rom_names_file_and_package),
        cmocka_unit_test(test_real_vgabios_rom),
        cmocka_unit_test(test_isa_vga_with_fixed_lfb),
        cmocka_unit_test(test_bad_vram_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
