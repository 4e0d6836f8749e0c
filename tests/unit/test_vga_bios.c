/* test_vga_bios.c: the real SeaBIOS VGA BIOS (vgabios-stdvga.bin from the
 * Debian package seabios) running on the x86 core against this VGA: its
 * POST (DISPI detection, mode 3, font load into plane 2), INT 10h teletype
 * output read back as screen text, and VBE mode 0x142 (640x480x32, linear
 * framebuffer) with text drawn by the BIOS read back by matching glyphs
 * against the font it loaded. Skipped when the ROM file is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/png.h"
#include "host/screen_text.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/cpu/x86/x86.h"
#include "models/pci/pci.h"
#include "tests/lib/x86_test_machine.h"

#define VGABIOS "/usr/share/seabios/vgabios-stdvga.bin"
#define STUB 0x7C00
#define INT15_HANDLER 0x7E00
#define INT15_TRAP_PORT 0xEF

struct bios_rig {
    struct x86_rig x;
    struct ynode *vga_yaml, *nb_yaml;
    struct component *vga, *nb;
    struct display_iface *display;
    uint16_t bdf; /* AX for the option ROM init: PCI bus/devfn or 0xFFFF */
};

/* The VGA BIOS writes the linear framebuffer with INT 15h AH=87h (copy
 * extended memory), a system BIOS service. The test provides it: a
 * real-mode handler traps to the host through a port, and the host copies
 * CX words between the bases of GDT entries 2 and 3 at ES:SI. */
static const uint8_t int15_handler[] = {
    0x80, 0xFC, 0x87,             /* cmp ah, 87h */
    0x75, 0x0D,                   /* jne fail */
    0xE6, INT15_TRAP_PORT,        /* out TRAP, al: the host copies */
    0x30, 0xE4,                   /* xor ah, ah */
    0x55, 0x89, 0xE5,             /* push bp; mov bp, sp */
    0x80, 0x66, 0x06, 0xFE,       /* and byte [bp+6], ~CF */
    0x5D, 0xCF,                   /* pop bp; iret */
    0x55, 0x89, 0xE5,             /* fail: push bp; mov bp, sp */
    0x80, 0x4E, 0x06, 0x01,       /* or byte [bp+6], CF */
    0x5D, 0xCF,                   /* pop bp; iret */
};

static uint32_t descriptor_base(const uint8_t *d)
{
    return (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[7] << 24;
}

static void int15_trap_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct bios_rig *r = opaque;
    struct x86_cpu *cpu = r->x.cpu;
    uint32_t gdt = (uint32_t)(x86_cpu_get_reg(cpu, X86_ES) << 4) +
                   (uint32_t)(x86_cpu_get_reg(cpu, X86_RSI) & 0xFFFF);
    uint8_t desc[48];
    as_peek(r->x.mem, gdt, desc, sizeof desc);
    uint32_t src = descriptor_base(desc + 0x10), dst = descriptor_base(desc + 0x18);
    size_t len = (x86_cpu_get_reg(cpu, X86_RCX) & 0xFFFF) * 2u;
    static uint8_t buf[0x20000];
    as_read_block(r->x.mem, src, buf, len, BUS_DMA_READ, 0);
    as_write_block(r->x.mem, dst, buf, len, BUS_DMA_WRITE, 0);
}

static const struct mmio_ops int15_trap_ops = {.write = int15_trap_write};

/* Builds the CPU rig with a stdvga. Without PCI the VGA is an ISA card with
 * its LFB at the Bochs default 0xE0000000 and the test copies the ROM file
 * to 0xC0000; with PCI (i440fx bus) the BIOS must find its LFB in BAR0,
 * which is placed at 0xF0000000, and the ROM is copied from the expansion
 * ROM BAR as SeaBIOS does. Returns false if the ROM file is absent. */
static bool bios_rig_build(struct bios_rig *r, bool pci)
{
    struct cw_error err = {{0}};
    memset(r, 0, sizeof *r);
    r->bdf = 0xFFFF;
    if (x86_rig_create(&r->x, 1 << 20, NULL, &err) != 0)
        fail_msg("cpu rig: %s", err.msg);
    if (access(VGABIOS, R_OK) != 0)
        return false;
    if (pci) {
        const char *nb = "type: i440fx\n";
        r->nb_yaml = ytree_load_string(nb, strlen(nb), "test", &err);
        r->nb = component_create(r->x.sim, "nb", component_type_find("i440fx"), r->nb_yaml, &err);
        if (!r->nb || r->nb->type->realize(r->nb, &err) != 0)
            fail_msg("i440fx: %s", err.msg);
    }
    const char *yaml = pci ? "type: stdvga\npci-bus: nb\nrom: " VGABIOS "\n"
                           : "type: stdvga\nlfb-base: 0xE0000000\n";
    r->vga_yaml = ytree_load_string(yaml, strlen(yaml), "test", &err);
    r->vga = component_create(r->x.sim, "vga0", component_type_find("stdvga"), r->vga_yaml, &err);
    if (!r->vga || r->vga->type->realize(r->vga, &err) != 0)
        fail_msg("stdvga: %s", err.msg);
    sim_reset_components(r->x.sim);
    r->display = component_interface(r->vga, "display");
    if (!as_add_mmio(r->x.io, NULL, "int15-trap", INT15_TRAP_PORT, 1, &int15_trap_ops, r, &err))
        fail_msg("trap: %s", err.msg);
    as_load(r->x.mem, INT15_HANDLER, int15_handler, sizeof int15_handler);
    const uint16_t vector[2] = {INT15_HANDLER, 0};
    as_load(r->x.mem, 0x15 * 4, vector, sizeof vector);
    static uint8_t rom[65536];
    if (pci) {
        struct pci_bus *bus = component_interface(r->nb, "pci-bus");
        /* PAM: 0xC0000-0xFFFFF reads and writes go to RAM, as after SeaBIOS's
         * shadowing (82441FX PAM1-PAM6 = 0x33). */
        for (unsigned pam = 0x5A; pam <= 0x5F; pam++)
            pci_config_write(bus, 0, pam, 1, 0x33);
        r->bdf = 2 << 3;
        pci_config_write(bus, (uint8_t)r->bdf, PCI_BAR0, 4, 0xF0000000);
        pci_config_write(bus, (uint8_t)r->bdf, PCI_ROM_BAR, 4, 0xFEB00000 | 1);
        pci_config_write(bus, (uint8_t)r->bdf, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
        as_read_block(r->x.mem, 0xFEB00000, rom, sizeof rom, BUS_DMA_READ, 0);
        pci_config_write(bus, (uint8_t)r->bdf, PCI_ROM_BAR, 4, 0xFEB00000);
        as_load(r->x.mem, 0xC0000, rom, (size_t)rom[2] * 512);
        return true;
    }
    FILE *f = fopen(VGABIOS, "rb");
    size_t len = fread(rom, 1, sizeof rom, f);
    fclose(f);
    /* SeaBIOS copies the ROM to 0xC0000 (RAM) before calling its init. */
    as_load(r->x.mem, 0xC0000, rom, len);
    return true;
}

static void bios_rig_destroy(struct bios_rig *r)
{
    x86_rig_destroy(&r->x);
    ytree_free(r->vga_yaml);
    ytree_free(r->nb_yaml);
}

/* Runs real-mode code at 0000:7C00 until it halts. */
static void run_stub(struct bios_rig *r, const uint8_t *code, size_t len)
{
    as_load(r->x.mem, STUB, code, len);
    struct x86_cpu *cpu = r->x.cpu;
    x86_cpu_set_reg(cpu, X86_CS, 0);
    x86_cpu_set_reg(cpu, X86_RIP, STUB);
    x86_cpu_set_reg(cpu, X86_SS, 0);
    x86_cpu_set_reg(cpu, X86_RSP, 0x7000);
    x86_cpu_set_reg(cpu, X86_DS, 0);
    x86_cpu_set_reg(cpu, X86_ES, 0);
    x86_cpu_set_reg(cpu, X86_RAX, r->bdf);
    FILE *trace = getenv("VGA_BIOS_TRACE") ? fopen(getenv("VGA_BIOS_TRACE"), "w") : NULL;
    if (trace)
        x86_cpu_set_insn_trace(cpu, trace);
    struct sim_limits lim = {sim_now(r->x.sim) + SIM_S(5), 0, 200000000};
    enum sim_stop_reason why = sim_run(r->x.sim, &lim);
    if (trace) {
        x86_cpu_set_insn_trace(cpu, NULL);
        fclose(trace);
    }
    uint64_t ip = x86_cpu_get_reg(cpu, X86_RIP);
    if (ip != STUB + len - 2 && ip != STUB + len - 1 && ip != STUB + len)
        fail_msg("stub did not finish: stop %s at %04llx:%04llx", sim_stop_reason_name(why),
                 (unsigned long long)x86_cpu_get_reg(cpu, X86_CS), (unsigned long long)ip);
}

static void test_post_and_teletype(void **state)
{
    (void)state;
    struct bios_rig r;
    if (!bios_rig_build(&r, false)) {
        bios_rig_destroy(&r);
        skip();
    }
    static const uint8_t code[] = {
        0x9A, 0x03, 0x00, 0x00, 0xC0, /* call far C000:0003 (option ROM init) */
        0xB8, 0x03, 0x00, 0xCD, 0x10, /* mov ax, 3; int 10h */
        0xBB, 0x07, 0x00,             /* mov bx, 7 */
        0xB8, 0x48, 0x0E, 0xCD, 0x10, /* teletype 'H' */
        0xB8, 0x69, 0x0E, 0xCD, 0x10, /* teletype 'i' */
        0xF4, 0xEB, 0xFD,             /* hlt; jmp $-1 */
    };
    run_stub(&r, code, sizeof code);
    char text[8192];
    size_t n = r.display->text(r.display->opaque, text, sizeof text);
    assert_int_equal(n, 25 * 81 - 1);
    assert_memory_equal(text, "Hi ", 3);
    const struct display_surface *s = r.display->update(r.display->opaque);
    assert_int_equal(s->width, 720);
    assert_int_equal(s->height, 400);
    struct cw_error err = {{0}};
    assert_int_equal(png_write_surface("/tmp/cw-test-vga-bios-text.png", s, &err), 0);
    /* The BIOS loaded its 8x16 font into plane 2. */
    struct vga_font_iface *vf = component_interface(r.vga, VGA_FONT_IFACE);
    uint8_t glyphs[256 * 32];
    assert_int_equal(vf->glyphs(vf->opaque, glyphs), 16);
    int lit = 0;
    for (int row = 0; row < 16; row++)
        lit += glyphs['A' * 32 + row] != 0;
    assert_true(lit >= 6);
    bios_rig_destroy(&r);
}

static void test_vbe_mode_text_by_glyphs(void **state)
{
    (void)state;
    struct bios_rig r;
    if (!bios_rig_build(&r, false)) {
        bios_rig_destroy(&r);
        skip();
    }
    static const uint8_t code[] = {
        0x9A, 0x03, 0x00, 0x00, 0xC0, /* option ROM init */
        0xB8, 0x03, 0x00, 0xCD, 0x10, /* mode 3 (loads the font) */
        0xB8, 0x02, 0x4F,             /* mov ax, 4F02h */
        0xBB, 0x42, 0x41,             /* mov bx, 4142h: mode 142h with LFB */
        0xCD, 0x10,
        0xA3, 0x00, 0x60,             /* mov [6000h], ax: VBE status */
        0xBB, 0x0F, 0x00,             /* mov bx, 0Fh: white */
        0xB8, 0x4F, 0x0E, 0xCD, 0x10, /* 'O' */
        0xB8, 0x4B, 0x0E, 0xCD, 0x10, /* 'K' */
        0xF4, 0xEB, 0xFD,
    };
    run_stub(&r, code, sizeof code);
    uint16_t status = 0;
    as_peek(r.x.mem, 0x6000, &status, 2);
    assert_int_equal(status, 0x004F);
    const struct display_surface *s = r.display->update(r.display->opaque);
    assert_int_equal(s->width, 640);
    assert_int_equal(s->height, 480);
    struct cw_error err = {{0}};
    assert_int_equal(png_write_surface("/tmp/cw-test-vga-bios-vbe.png", s, &err), 0);
    struct screen_text st;
    screen_text_init(&st);
    assert_int_equal(
        screen_text_font_from_vga(&st, component_interface(r.vga, VGA_FONT_IFACE)), 0);
    char text[16384];
    assert_true(screen_text_read(&st, r.display, text, sizeof text) > 0);
    assert_memory_equal(text, "OK ", 3);
    bios_rig_destroy(&r);
}

static void test_pci_vbe_mode_114(void **state)
{
    (void)state;
    struct bios_rig r;
    if (!bios_rig_build(&r, true)) {
        bios_rig_destroy(&r);
        skip();
    }
    static const uint8_t code[] = {
        0x9A, 0x03, 0x00, 0x00, 0xC0, /* option ROM init, AX = 00:02.0 */
        0xB8, 0x03, 0x00, 0xCD, 0x10, /* mode 3 */
        0xB8, 0x02, 0x4F,             /* mov ax, 4F02h */
        0xBB, 0x14, 0x41,             /* mov bx, 4114h: 800x600x16 with LFB (vga=788) */
        0xCD, 0x10,
        0xA3, 0x00, 0x60,             /* mov [6000h], ax */
        0xBB, 0x0F, 0x00,             /* mov bx, 0Fh */
        0xB8, 0x4C, 0x0E, 0xCD, 0x10, /* 'L' */
        0xB8, 0x69, 0x0E, 0xCD, 0x10, /* 'i' */
        0xB8, 0x6E, 0x0E, 0xCD, 0x10, /* 'n' */
        0xB8, 0x75, 0x0E, 0xCD, 0x10, /* 'u' */
        0xB8, 0x78, 0x0E, 0xCD, 0x10, /* 'x' */
        0xF4, 0xEB, 0xFD,
    };
    run_stub(&r, code, sizeof code);
    uint16_t status = 0;
    as_peek(r.x.mem, 0x6000, &status, 2);
    assert_int_equal(status, 0x004F);
    const struct display_surface *s = r.display->update(r.display->opaque);
    assert_int_equal(s->width, 800);
    assert_int_equal(s->height, 600);
    struct screen_text st;
    screen_text_init(&st);
    assert_int_equal(
        screen_text_font_from_vga(&st, component_interface(r.vga, VGA_FONT_IFACE)), 0);
    char text[16384];
    assert_true(screen_text_read(&st, r.display, text, sizeof text) > 0);
    assert_memory_equal(text, "Linux ", 6);
    /* The text reached the framebuffer through BAR0 at 0xF0000000. */
    struct dmi d;
    assert_true(as_dmi(r.x.mem, 0xF0000000, false, &d));
    bios_rig_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_and_teletype),
        cmocka_unit_test(test_vbe_mode_text_by_glyphs),
        cmocka_unit_test(test_pci_vbe_mode_114),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
