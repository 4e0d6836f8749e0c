/* stdvga.c: the "standard VGA" PCI display adapter 1234:1111 (QEMU's
 * -vga std): IBM VGA + Bochs DISPI, linear framebuffer in BAR0, the
 * stdvga MMIO block in BAR2 and the VGA BIOS behind the expansion ROM BAR.
 * Follows the PCI Local Bus Specification 3.0 (BARs, expansion ROM) and
 * QEMU docs/specs/standard-vga.txt for the register map of BAR2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/sim.h"
#include "models/pci/pci.h"
#include "models/vga/vga.h"
#include "models/vga/vga_font.h"

#define STDVGA_LEGACY_WINDOW 0xA0000
#define STDVGA_LEGACY_SIZE 0x20000
#define STDVGA_PORTS_BASE 0x3B0
#define STDVGA_PORTS_SIZE 0x30
#define STDVGA_DISPI_PORT 0x1CE      /* index; data at 0x1CF, alias 0x1D0 */
#define STDVGA_MMIO_SIZE 0x1000
#define STDVGA_MMIO_VGA 0x400        /* ports 0x3C0-0x3DF */
#define STDVGA_MMIO_DISPI 0x500      /* DISPI register i at 0x500 + 2i */
#define STDVGA_ROM_PACKAGE "seabios"

struct stdvga {
    struct component *comp;
    struct sim *sim;
    struct vga vga;
    uint8_t *vram;                 /* linear framebuffer, BAR0 */
    uint32_t vram_size;
    struct addr_space *mem, *io;
    struct region *lfb, *mmio, *rom;
    struct component *bus_owner;   /* exporter of "pci-bus", or NULL */
    uint8_t devfn;
    struct pci_device pci;
    bool pci_registered;
    struct display_iface display;
    struct vga_font_iface font;
};

/* --- legacy ports and window ------------------------------------------------------ */

static uint64_t stdvga_ports_read(void *opaque, uint64_t offset, unsigned size)
{
    struct stdvga *s = opaque;
    uint64_t value = 0;
    sim_time_t now = sim_now(s->sim);
    for (unsigned i = 0; i < size; i++)
        value |= (uint64_t)vga_port_read(&s->vga, (uint16_t)(STDVGA_PORTS_BASE + offset + i), now)
                 << (8 * i);
    return value;
}

/* A word write (out dx, ax) sets an index register then its data. */
static void stdvga_ports_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct stdvga *s = opaque;
    for (unsigned i = 0; i < size; i++)
        vga_port_write(&s->vga, (uint16_t)(STDVGA_PORTS_BASE + offset + i),
                       (uint8_t)(value >> (8 * i)));
}

static const struct mmio_ops stdvga_ports_ops = {
    .read = stdvga_ports_read,
    .write = stdvga_ports_write,
    .max_access = 4,
};

static uint64_t stdvga_window_read(void *opaque, uint64_t offset, unsigned size)
{
    struct stdvga *s = opaque;
    uint64_t value = 0;
    for (unsigned i = 0; i < size; i++)
        value |= (uint64_t)vga_mem_read(&s->vga, (uint32_t)(offset + i)) << (8 * i);
    return value;
}

static void stdvga_window_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct stdvga *s = opaque;
    for (unsigned i = 0; i < size; i++)
        vga_mem_write(&s->vga, (uint32_t)(offset + i), (uint8_t)(value >> (8 * i)));
}

static const struct mmio_ops stdvga_window_ops = {
    .read = stdvga_window_read,
    .write = stdvga_window_write,
};

/* --- Bochs DISPI ports ------------------------------------------------------------- */

static uint64_t stdvga_dispi_read(void *opaque, uint64_t offset, unsigned size)
{
    struct stdvga *s = opaque;
    uint16_t value = offset == 0 ? s->vga.dispi_index : bochs_dispi_read(&s->vga, s->vga.dispi_index);
    return size == 1 ? (value & 0xFF) : value;
}

static void stdvga_dispi_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct stdvga *s = opaque;
    if (offset == 0)
        s->vga.dispi_index = (uint16_t)value;
    else
        bochs_dispi_write(&s->vga, s->vga.dispi_index, (uint16_t)value);
}

static const struct mmio_ops stdvga_dispi_ops = {
    .read = stdvga_dispi_read,
    .write = stdvga_dispi_write,
    .max_access = 2,
};

/* --- BAR2: EDID (none), VGA ports, flat DISPI registers ------------------------------ */

static uint64_t stdvga_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct stdvga *s = opaque;
    if (offset >= STDVGA_MMIO_VGA && offset < STDVGA_MMIO_VGA + 0x20)
        return stdvga_ports_read(s, offset - STDVGA_MMIO_VGA + 0x10, size);
    if (offset >= STDVGA_MMIO_DISPI && offset < STDVGA_MMIO_DISPI + 2 * DISPI_INDEX_COUNT) {
        uint16_t value = bochs_dispi_read(&s->vga, (uint16_t)((offset - STDVGA_MMIO_DISPI) / 2));
        return size == 1 ? (value >> (8 * (offset & 1))) & 0xFF : value;
    }
    return 0; /* EDID area and unused registers read zero: no EDID */
}

static void stdvga_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct stdvga *s = opaque;
    if (offset >= STDVGA_MMIO_VGA && offset < STDVGA_MMIO_VGA + 0x20) {
        stdvga_ports_write(s, offset - STDVGA_MMIO_VGA + 0x10, size, value);
        return;
    }
    if (offset >= STDVGA_MMIO_DISPI && offset < STDVGA_MMIO_DISPI + 2 * DISPI_INDEX_COUNT &&
        size == 2)
        bochs_dispi_write(&s->vga, (uint16_t)((offset - STDVGA_MMIO_DISPI) / 2), (uint16_t)value);
}

static const struct mmio_ops stdvga_mmio_ops = {
    .read = stdvga_mmio_read,
    .write = stdvga_mmio_write,
    .max_access = 2,
};

/* --- host interfaces ------------------------------------------------------------------- */

static const struct display_surface *stdvga_display_update(void *opaque)
{
    struct stdvga *s = opaque;
    return vga_update(&s->vga, sim_now(s->sim));
}

static size_t stdvga_display_text(void *opaque, char *buf, size_t len)
{
    struct stdvga *s = opaque;
    return vga_text(&s->vga, buf, len);
}

static uint32_t stdvga_display_refresh(void *opaque)
{
    struct stdvga *s = opaque;
    return vga_refresh_mhz(&s->vga);
}

static int stdvga_font_glyphs(void *opaque, uint8_t out[256 * 32])
{
    struct stdvga *s = opaque;
    return vga_font_glyphs(&s->vga, out);
}

/* --- setup ------------------------------------------------------------------------------ */

/* Reads the VGA BIOS image; errors name the file and where it comes from. */
static int stdvga_load_rom(struct stdvga *s, const struct params *p, struct cw_error *err)
{
    const char *path = params_path(p, "rom");
    FILE *f = fopen(path, "rb");
    if (!f)
        return params_error(p, "rom", err,
                            "cannot open VGA BIOS '%s': %s (install the Debian package '%s' "
                            "or set rom: to vgabios-stdvga.bin)",
                            path, strerror(errno), STDVGA_ROM_PACKAGE);
    uint8_t *data = malloc(1u << 20);
    size_t len = data ? fread(data, 1, 1u << 20, f) : 0;
    bool too_big = data && len == (1u << 20) && fgetc(f) != EOF;
    fclose(f);
    if (!data || len == 0 || too_big) {
        free(data);
        return params_error(p, "rom", err, "VGA BIOS '%s' is %s", path,
                            too_big ? "larger than 1 MiB" : "empty or unreadable");
    }
    uint64_t size = 2048;
    while (size < len)
        size <<= 1;
    s->rom = as_add_rom(s->mem, s->comp, "vga-rom", AS_UNMAPPED, size, data, len, err);
    free(data);
    if (!s->rom)
        return -1;
    s->pci.bars[PCI_ROM_SLOT] = (struct pci_bar){PCI_BAR_MEM32, size, s->rom};
    return 0;
}

/* Maps a region above anything at priority 0 (RAM covering the VGA hole). */
static void stdvga_place(struct region *r, uint64_t base)
{
    region_set_priority(r, 1);
    region_move(r, base);
    region_set_enabled(r, true);
}

static int stdvga_add_regions(struct stdvga *s, const struct params *p, struct cw_error *err)
{
    struct component *c = s->comp;
    struct region *window = as_add_mmio(s->mem, c, "vga-window", AS_UNMAPPED, STDVGA_LEGACY_SIZE,
                                        &stdvga_window_ops, s, err);
    if (!window)
        return -1;
    stdvga_place(window, STDVGA_LEGACY_WINDOW);
    if (!as_add_mmio(s->io, c, "vga-ports", STDVGA_PORTS_BASE, STDVGA_PORTS_SIZE,
                     &stdvga_ports_ops, s, err) ||
        !as_add_mmio(s->io, c, "vbe-dispi", STDVGA_DISPI_PORT, 3, &stdvga_dispi_ops, s, err))
        return -1;
    uint64_t lfb_base = 0;
    bool fixed_lfb = params_u64(p, "lfb-base", &lfb_base);
    s->lfb = as_add_ram_borrowed(s->mem, c, "vga-lfb", AS_UNMAPPED, s->vram_size, s->vram, err);
    if (!s->lfb)
        return -1;
    if (fixed_lfb)
        stdvga_place(s->lfb, lfb_base);
    s->mmio = as_add_mmio(s->mem, c, "vga-mmio", AS_UNMAPPED, STDVGA_MMIO_SIZE, &stdvga_mmio_ops,
                          s, err);
    return s->mmio ? 0 : -1;
}

static const struct param_desc stdvga_params[] = {
    {"memory", PARAM_SPACE, "memory", "memory address space (window 0xA0000, BARs)"},
    {"io", PARAM_SPACE, "io", "I/O space (ports 0x3B0-0x3DF, 0x1CE-0x1D0)"},
    {"pci-bus", PARAM_COMPONENT, NULL, "host bridge exporting the PCI bus; absent: ISA VGA",
     true},
    {"devfn", PARAM_STRING, "2.0", "PCI device.function"},
    {"rom", PARAM_PATH, "/usr/share/seabios/vgabios-stdvga.bin",
     "VGA BIOS image offered through the expansion ROM BAR (Debian package seabios)"},
    {"vram-size", PARAM_SIZE, "16MiB", "linear framebuffer size (power of two, 1-256 MiB)"},
    {"lfb-base", PARAM_U64, NULL, "fixed framebuffer address when there is no PCI bus", true},
    PARAM_END,
};

static int stdvga_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct stdvga *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    s->mem = params_space(p, "memory");
    s->io = params_space(p, "io");
    if (!s->mem || !s->io)
        return params_error(p, "memory", err, "stdvga needs a memory and an I/O space");
    uint64_t vram_size = 0;
    params_size(p, "vram-size", &vram_size);
    if (vram_size < (1u << 20) || vram_size > (256u << 20) || (vram_size & (vram_size - 1)))
        return params_error(p, "vram-size", err, "expected a power of two from 1MiB to 256MiB");
    s->vram_size = (uint32_t)vram_size;
    /* The bus owner may be declared later in the machine file: it is looked
     * up in realize(). */
    bool on_pci = params_has(p, "pci-bus");
    if (pci_parse_devfn(params_string(p, "devfn"), &s->devfn) < 0)
        return params_error(p, "devfn", err, "expected device.function such as 2.0");
    s->vram = calloc(1, s->vram_size);
    if (!s->vram || vga_init(&s->vga, s->vram, s->vram_size) < 0)
        return cw_errorf(err, "%s: out of memory for video memory", c->name);

    pci_device_init(&s->pci, c->name, 0x1234, 0x1111, 0x03, 0x00, 0x00, 0x02);
    /* QEMU's subsystem IDs; SeaBIOS treats any 1234:1111 alike. */
    s->pci.config[PCI_SUBSYS_VENDOR] = 0xF4;
    s->pci.config[PCI_SUBSYS_VENDOR + 1] = 0x1A;
    s->pci.config[PCI_SUBSYS_ID] = 0x00;
    s->pci.config[PCI_SUBSYS_ID + 1] = 0x11;
    s->pci.opaque = s;
    if (stdvga_add_regions(s, p, err) < 0)
        return -1;
    s->pci.bars[0] = (struct pci_bar){PCI_BAR_MEM32_PREFETCH, s->vram_size, s->lfb};
    s->pci.bars[2] = (struct pci_bar){PCI_BAR_MEM32, STDVGA_MMIO_SIZE, s->mmio};
    if (on_pci && stdvga_load_rom(s, p, err) < 0)
        return -1;

    s->display = (struct display_iface){stdvga_display_update, stdvga_display_text,
                                        stdvga_display_refresh, s};
    s->font = (struct vga_font_iface){stdvga_font_glyphs, s};
    component_export(c, "display", &s->display);
    component_export(c, VGA_FONT_IFACE, &s->font);
    stat_register(c, "mem-reads", "CPU reads of the 0xA0000 window", &s->vga.stat_mem_reads);
    stat_register(c, "mem-writes", "CPU writes to the 0xA0000 window", &s->vga.stat_mem_writes);
    stat_register(c, "io", "VGA port accesses", &s->vga.stat_io);
    stat_register(c, "frames", "frames rendered for the host", &s->vga.stat_frames);
    return 0;
}

static int stdvga_realize(struct component *c, struct cw_error *err)
{
    struct stdvga *s = c->state;
    s->bus_owner = params_component(c->params, "pci-bus");
    if (!s->bus_owner)
        return 0;
    struct pci_bus *bus = component_interface(s->bus_owner, "pci-bus");
    if (!bus)
        return cw_errorf(err, "%s: component '%s' does not export a PCI bus", c->name,
                         s->bus_owner->name);
    if (pci_device_register(bus, &s->pci, s->devfn, err) < 0)
        return -1;
    s->pci_registered = true;
    return 0;
}

static void stdvga_reset(struct component *c)
{
    struct stdvga *s = c->state;
    vga_reset(&s->vga);
    memset(s->vram, 0, s->vram_size);
    if (s->pci_registered)
        pci_device_reset(&s->pci);
}

static void stdvga_destroy(struct component *c)
{
    struct stdvga *s = c->state;
    if (!s)
        return;
    vga_free(&s->vga);
    free(s->vram);
    free(s);
    c->state = NULL;
}

const struct component_type stdvga_type = {
    .name = "stdvga",
    .description = "standard VGA 1234:1111 with Bochs VBE and the VGA BIOS ROM",
    .params = stdvga_params,
    .create = stdvga_create,
    .realize = stdvga_realize,
    .reset = stdvga_reset,
    .destroy = stdvga_destroy,
};
