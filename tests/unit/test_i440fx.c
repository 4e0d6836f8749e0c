/* test_i440fx.c: the 82441FX host bridge against the 440FX datasheet and
 * the PCI spec's configuration mechanism #1: CONFIG_ADDRESS read-back,
 * byte/word/dword data port access, identification, PAM routing of
 * 0xC0000-0xFFFFF between ROM/PCI and DRAM for reads and writes (checked
 * with bus accesses on a memory space holding RAM and the BIOS ROM),
 * SeaBIOS's shadowing sequence, SMRAM open/lock, the 0xCF9 reset and the
 * traced configuration space. */
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
#include "kernel/ytree.h"
#include "models/pci/pci.h"

struct rig {
    struct sim *sim;
    struct addr_space *mem, *io, *cfg;
    struct ynode *yaml;
    struct component *nb;
    uint8_t bios[0x20000];
    int cfg_reads;
    uint64_t last_cfg_addr;
};

static void rig_build(struct rig *r, const char *yaml)
{
    struct cw_error err = {{0}};
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->mem = as_create(r->sim, "memory", SPACE_MEMORY, 32);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    r->cfg = as_create(r->sim, "pci-config", SPACE_PCI_CONFIG, 24);
    sim_add_space(r->sim, r->mem);
    sim_add_space(r->sim, r->io);
    sim_add_space(r->sim, r->cfg);
    assert_non_null(as_add_ram(r->mem, NULL, "ram", 0, 2 << 20, &err));
    /* BIOS image: each byte is the low byte of its offset xor 0x5A, and
     * the last 16 bytes hold a recognisable reset vector. */
    for (size_t i = 0; i < sizeof r->bios; i++)
        r->bios[i] = (uint8_t)(i ^ 0x5A);
    if (!as_add_rom(r->mem, NULL, "bios", 0xFFFE0000, sizeof r->bios, r->bios, sizeof r->bios,
                    &err))
        fail_msg("rom: %s", err.msg);
    r->yaml = ytree_load_string(yaml, strlen(yaml), "test", &err);
    if (!r->yaml)
        fail_msg("yaml: %s", err.msg);
    r->nb = component_create(r->sim, "nb", component_type_find("i440fx"), r->yaml, &err);
    if (!r->nb)
        fail_msg("create: %s", err.msg);
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    sim_reset_components(r->sim);
}

static int rig_setup(void **state)
{
    static struct rig rig;
    rig_build(&rig, "type: i440fx\nbios-region: bios\nconfig-space: pci-config\n");
    *state = &rig;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    return 0;
}

static uint32_t io_r(struct rig *r, uint16_t port, unsigned size)
{
    return (uint32_t)as_read(r->io, port, size, BUS_IO_READ, 0, NULL);
}

static void io_w(struct rig *r, uint16_t port, unsigned size, uint32_t v)
{
    as_write(r->io, port, size, v, BUS_IO_WRITE, 0, NULL);
}

/* Mechanism #1 as SeaBIOS does it (hw/pci.c). */
static uint32_t cfg_r(struct rig *r, unsigned devfn, unsigned reg, unsigned size)
{
    io_w(r, 0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC));
    return io_r(r, (uint16_t)(0xCFC + (reg & 3)), size);
}

static void cfg_w(struct rig *r, unsigned devfn, unsigned reg, unsigned size, uint32_t v)
{
    io_w(r, 0xCF8, 4, 0x80000000u | devfn << 8 | (reg & 0xFC));
    io_w(r, (uint16_t)(0xCFC + (reg & 3)), size, v);
}

static uint32_t mem_r(struct rig *r, uint32_t addr, unsigned size)
{
    return (uint32_t)as_read(r->mem, addr, size, BUS_READ, 0, NULL);
}

static void mem_w(struct rig *r, uint32_t addr, unsigned size, uint32_t v)
{
    as_write(r->mem, addr, size, v, BUS_WRITE, 0, NULL);
}

/* What the BIOS ROM holds at its low-memory alias address. */
static uint8_t rom_at(struct rig *r, uint32_t addr)
{
    return r->bios[addr - 0xE0000];
}

static void test_config_address(void **state)
{
    struct rig *r = *state;
    io_w(r, 0xCF8, 4, 0x80000000);
    assert_int_equal(io_r(r, 0xCF8, 4), 0x80000000); /* SeaBIOS's probe */
    /* Reserved bits 30:24 and the type bits 1:0 read 0. */
    io_w(r, 0xCF8, 4, 0xFFFFFFFF);
    assert_int_equal(io_r(r, 0xCF8, 4), 0x80FFFFFC);
    /* Byte and word accesses to 0xCF8 are not CONFIG_ADDRESS. */
    io_w(r, 0xCF8, 1, 0x00);
    io_w(r, 0xCF8, 2, 0x0000);
    assert_int_equal(io_r(r, 0xCF8, 4), 0x80FFFFFC);
    io_w(r, 0xCF8, 4, 0);
    assert_int_equal(io_r(r, 0xCF8, 4), 0);
}

static void test_identification(void **state)
{
    struct rig *r = *state;
    assert_int_equal(cfg_r(r, 0, 0x00, 4), 0x12378086);
    assert_int_equal(cfg_r(r, 0, 0x08, 4) >> 8, 0x060000); /* host bridge */
    assert_int_equal(cfg_r(r, 0, 0x08, 1), 0x02);           /* revision */
    assert_int_equal(cfg_r(r, 0, 0x2C, 2), 0x1AF4);         /* subsystem vendor */
    assert_int_equal(cfg_r(r, 0, 0x2E, 2), 0x1100);         /* subsystem id */
    assert_int_equal(cfg_r(r, 0, 0x0E, 1), 0x00);
    /* Byte and word at 0xCFC + (reg & 3). */
    assert_int_equal(cfg_r(r, 0, 0x02, 2), 0x1237);
    assert_int_equal(cfg_r(r, 0, 0x01, 1), 0x80);
    assert_int_equal(cfg_r(r, 0, 0x0B, 1), 0x06);
    assert_int_equal(cfg_r(r, 0, 0x72, 1), 0x02);           /* SMRAM */
    /* Absent devices read all ones; so does the data port when disabled. */
    assert_int_equal(cfg_r(r, 3 << 3, 0x00, 4), 0xFFFFFFFF);
    assert_int_equal(cfg_r(r, 0, 0x00, 2), 0x8086);
    io_w(r, 0xCF8, 4, 0x00000000);
    assert_int_equal(io_r(r, 0xCFC, 4), 0xFFFFFFFF);
    /* Bus 1 has nothing. */
    io_w(r, 0xCF8, 4, 0x80010000);
    assert_int_equal(io_r(r, 0xCFC, 4), 0xFFFFFFFF);
}

static void test_pam_reset_state(void **state)
{
    struct rig *r = *state;
    for (unsigned reg = 0x59; reg <= 0x5F; reg++)
        assert_int_equal(cfg_r(r, 0, reg, 1), 0);
    /* 0xE0000-0xFFFFF reads the BIOS ROM; ROM ignores writes. */
    assert_int_equal(mem_r(r, 0xFFFF0, 1), rom_at(r, 0xFFFF0));
    assert_int_equal(mem_r(r, 0xE1234, 1), rom_at(r, 0xE1234));
    mem_w(r, 0xF0000, 1, 0x00);
    assert_int_equal(mem_r(r, 0xF0000, 1), rom_at(r, 0xF0000));
    /* The same ROM at the top of 4 GiB. */
    assert_int_equal(mem_r(r, 0xFFFFFFF0, 1), rom_at(r, 0xFFFF0));
    /* 0xC0000-0xDFFFF: nothing on PCI, RAM hidden. */
    mem_w(r, 0xC0000, 4, 0x11223344);
    assert_int_equal(mem_r(r, 0xC0000, 4), 0xFFFFFFFF);
    assert_int_equal(mem_r(r, 0xDFFFC, 4), 0xFFFFFFFF);
    /* RAM below and above is unaffected. */
    mem_w(r, 0x9FFFC, 4, 0xCAFEF00D);
    assert_int_equal(mem_r(r, 0x9FFFC, 4), 0xCAFEF00D);
    mem_w(r, 0x100000, 4, 0x600DF00D);
    assert_int_equal(mem_r(r, 0x100000, 4), 0x600DF00D);
}

static void test_pam_modes(void **state)
{
    struct rig *r = *state;
    const uint32_t a = 0xF1000;
    uint8_t rom = rom_at(r, a);
    /* 11: read and write DRAM. */
    cfg_w(r, 0, 0x59, 1, 0x30);
    assert_int_equal(cfg_r(r, 0, 0x59, 1), 0x30);
    mem_w(r, a, 1, 0x42);
    assert_int_equal(mem_r(r, a, 1), 0x42);
    /* 01: reads DRAM, writes go to PCI (the ROM ignores them). */
    cfg_w(r, 0, 0x59, 1, 0x10);
    assert_int_equal(mem_r(r, a, 1), 0x42);
    mem_w(r, a, 1, 0x99);
    assert_int_equal(mem_r(r, a, 1), 0x42);
    /* 00: back to the ROM; DRAM keeps its contents underneath. */
    cfg_w(r, 0, 0x59, 1, 0x00);
    assert_int_equal(mem_r(r, a, 1), rom);
    /* 10: reads the ROM, writes land in DRAM. */
    cfg_w(r, 0, 0x59, 1, 0x20);
    assert_int_equal(mem_r(r, a, 1), rom);
    mem_w(r, a, 2, 0xBEEF);
    assert_int_equal(mem_r(r, a, 2), (uint32_t)(rom | rom_at(r, a + 1) << 8));
    cfg_w(r, 0, 0x59, 1, 0x10);
    assert_int_equal(mem_r(r, a, 2), 0xBEEF);
    /* Reserved bits of PAM0 do not stick. */
    cfg_w(r, 0, 0x59, 1, 0xFF);
    assert_int_equal(cfg_r(r, 0, 0x59, 1), 0x30);
    cfg_w(r, 0, 0x5A, 1, 0xFF);
    assert_int_equal(cfg_r(r, 0, 0x5A, 1), 0x33);
}

static void test_pam_segments(void **state)
{
    struct rig *r = *state;
    /* 0x5A low nibble: 0xC0000-0xC3FFF only; high nibble 0xC4000-0xC7FFF. */
    cfg_w(r, 0, 0x5A, 1, 0x03);
    mem_w(r, 0xC3FFC, 4, 0x01020304);
    assert_int_equal(mem_r(r, 0xC3FFC, 4), 0x01020304);
    assert_int_equal(mem_r(r, 0xC4000, 4), 0xFFFFFFFF);
    cfg_w(r, 0, 0x5A, 1, 0x30);
    assert_int_equal(mem_r(r, 0xC3FFC, 4), 0xFFFFFFFF);
    mem_w(r, 0xC4000, 4, 0x0A0B0C0D);
    assert_int_equal(mem_r(r, 0xC4000, 4), 0x0A0B0C0D);
    /* 0x5F high nibble: 0xEC000-0xEFFFF; 0xE8000 stays ROM. */
    cfg_w(r, 0, 0x5F, 1, 0x30);
    mem_w(r, 0xEC000, 1, 0x77);
    assert_int_equal(mem_r(r, 0xEC000, 1), 0x77);
    assert_int_equal(mem_r(r, 0xEBFFF, 1), rom_at(r, 0xEBFFF));
    assert_int_equal(mem_r(r, 0xF0000, 1), rom_at(r, 0xF0000));
    /* A dword access spanning two segments in different modes. */
    assert_int_equal(mem_r(r, 0xEBFFE, 4),
                     (uint32_t)(rom_at(r, 0xEBFFE) | rom_at(r, 0xEBFFF) << 8 | 0x77 << 16 |
                                (uint32_t)mem_r(r, 0xEC001, 1) << 24));
}

/* fw/shadow.c: read-modify-write dwords 0x58/0x5C, set 0x30/0x33, copy
 * the BIOS from its high alias, then lock with 0x10/0x11. */
static void test_seabios_shadow_sequence(void **state)
{
    struct rig *r = *state;
    uint32_t lo = cfg_r(r, 0, 0x58, 4);
    uint32_t hi = cfg_r(r, 0, 0x5C, 4);
    lo = (lo & 0x000000FF) | 0x30u << 8 | 0x3333u << 16;
    hi = 0x33333333;
    cfg_w(r, 0, 0x58, 4, lo);
    cfg_w(r, 0, 0x5C, 4, hi);
    assert_int_equal(cfg_r(r, 0, 0x59, 1), 0x30);
    assert_int_equal(cfg_r(r, 0, 0x5F, 1), 0x33);
    /* RAM is empty before the copy. */
    assert_int_equal(mem_r(r, 0xFFFF0, 4), 0);
    for (uint32_t a = 0xE0000; a < 0x100000; a += 4)
        mem_w(r, a, 4, mem_r(r, 0xFFFE0000 + (a - 0xE0000), 4));
    cfg_w(r, 0, 0x58, 4, (lo & 0xFF) | 0x10u << 8 | 0x1111u << 16);
    cfg_w(r, 0, 0x5C, 4, 0x11111111);
    /* Reads come from the shadow, which equals the ROM; writes are lost. */
    assert_int_equal(mem_r(r, 0xFFFF0, 1), rom_at(r, 0xFFFF0));
    assert_int_equal(mem_r(r, 0xE8000, 4), mem_r(r, 0xFFFE8000, 4));
    mem_w(r, 0xFFFF0, 1, (uint8_t)~rom_at(r, 0xFFFF0));
    assert_int_equal(mem_r(r, 0xFFFF0, 1), rom_at(r, 0xFFFF0));
    /* 0xC0000 is read-only zeroed RAM now, not open bus. */
    assert_int_equal(mem_r(r, 0xC0000, 4), 0);
    /* Machine reset returns everything to the ROM. */
    sim_reset_components(r->sim);
    assert_int_equal(cfg_r(r, 0, 0x59, 1), 0);
    assert_int_equal(mem_r(r, 0xC0000, 4), 0xFFFFFFFF);
}

static void test_smram(void **state)
{
    struct rig *r = *state;
    /* Without D_OPEN, 0xA0000 belongs to PCI (nothing here: the RAM
     * region below would answer, since no VGA is present in this rig). */
    mem_w(r, 0xA0000, 4, 0x5EC2E7);
    cfg_w(r, 0, 0x72, 1, 0x4A); /* G_SMRAME | D_OPEN */
    assert_int_equal(cfg_r(r, 0, 0x72, 1), 0x4A);
    mem_w(r, 0xA0000, 4, 0x12345678);
    assert_int_equal(mem_r(r, 0xA0000, 4), 0x12345678);
    /* Base segment bits are hardwired to 010. */
    cfg_w(r, 0, 0x72, 1, 0x0F);
    assert_int_equal(cfg_r(r, 0, 0x72, 1), 0x0A);
    /* D_LCK closes D_OPEN and freezes the register until reset. */
    cfg_w(r, 0, 0x72, 1, 0x5A);
    assert_int_equal(cfg_r(r, 0, 0x72, 1), 0x1A);
    cfg_w(r, 0, 0x72, 1, 0x4A);
    assert_int_equal(cfg_r(r, 0, 0x72, 1), 0x1A);
    cfg_w(r, 0, 0x72, 1, 0x00);
    assert_int_equal(cfg_r(r, 0, 0x72, 1), 0x1A);
    sim_reset_components(r->sim);
    assert_int_equal(cfg_r(r, 0, 0x72, 1), 0x02);
}

static void test_smram_overlays_vga(void **state)
{
    struct rig *r = *state;
    struct cw_error err = {{0}};
    /* A VGA window above RAM (priority 1): D_OPEN puts DRAM over it. */
    static uint8_t vram[0x20000];
    struct region *vga = as_add_ram_borrowed(r->mem, NULL, "vga", AS_UNMAPPED, sizeof vram,
                                             vram, &err);
    assert_non_null(vga);
    region_move(vga, 0xA0000);
    region_set_priority(vga, 1);
    region_set_enabled(vga, true);
    mem_w(r, 0xA0000, 1, 0xAB);
    assert_int_equal(vram[0], 0xAB);
    cfg_w(r, 0, 0x72, 1, 0x4A);
    mem_w(r, 0xA0000, 1, 0xCD);
    assert_int_equal(vram[0], 0xAB);
    assert_int_equal(mem_r(r, 0xA0000, 1), 0xCD);
    cfg_w(r, 0, 0x72, 1, 0x0A);
    assert_int_equal(mem_r(r, 0xA0000, 1), 0xAB);
}

static void test_reset_register(void **state)
{
    struct rig *r = *state;
    struct sim_limits lim = {.until_time = SIM_US(1)};
    uint64_t before = sim_reset_count(r->sim);
    io_w(r, 0xCF9, 1, 0x02); /* system reset selected, not started */
    assert_int_equal(io_r(r, 0xCF9, 1), 0x02);
    sim_run(r->sim, &lim);
    assert_int_equal(sim_reset_count(r->sim), before);
    io_w(r, 0xCF9, 1, 0x06); /* 0 -> 1 on bit 2 */
    lim.until_time = SIM_US(2);
    sim_run(r->sim, &lim);
    assert_int_equal(sim_reset_count(r->sim), before + 1);
    assert_int_equal(io_r(r, 0xCF9, 1), 0x00); /* cleared by the reset */
}

static void rig_cfg_observer(void *opaque, struct addr_space *as, const struct bus_tx *tx)
{
    struct rig *r = opaque;
    if (tx->kind == BUS_CFG_READ)
        r->cfg_reads++;
    r->last_cfg_addr = tx->addr;
}

static void test_traced_config_space(void **state)
{
    struct rig *r = *state;
    as_add_observer(r->cfg, 0, UINT64_MAX, BUS_KIND_ALL, rig_cfg_observer, r);
    assert_int_equal(cfg_r(r, 0, 0x2E, 2), 0x1100);
    assert_int_equal(r->cfg_reads, 1);
    assert_int_equal(r->last_cfg_addr, 0x2E);
    cfg_w(r, 0x09, 0x40, 2, 0x8000);
    assert_int_equal(r->last_cfg_addr, 0x0940);
    /* Direct access to the space reaches the same registers. */
    assert_int_equal(as_read(r->cfg, 0x0000, 4, BUS_CFG_READ, 0, NULL), 0x12378086);
}

static void test_errors(void **state)
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
    const char *y = "type: i440fx\nram-region: dram\n";
    r.yaml = ytree_load_string(y, strlen(y), "test", &err);
    assert_non_null(component_create(r.sim, "nb", component_type_find("i440fx"), r.yaml, &err));
    assert_int_equal(sim_realize_components(r.sim, &err), -1);
    assert_non_null(strstr(err.msg, "dram"));
    sim_destroy(r.sim);
    ytree_free(r.yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_address, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_identification, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pam_reset_state, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pam_modes, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pam_segments, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_seabios_shadow_sequence, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_smram, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_smram_overlays_vga, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_reset_register, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_traced_config_space, rig_setup, rig_teardown),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
