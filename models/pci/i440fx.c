/* i440fx.c: Intel 82441FX PCI and Memory Controller (host bridge 8086:1237).
 * Intel 440FX PCIset datasheet (82441FX PMC), PCI Local Bus Spec 3.0 3.2.2.3.2.
 *
 * What it does here:
 * - configuration mechanism #1: CONFIG_ADDRESS at 0xCF8 (dword accesses
 *   only), CONFIG_DATA at 0xCFC-0xCFF (byte, word, dword at 0xCFC+(reg&3));
 * - owns PCI bus 0 and exports it as the interface "pci-bus";
 * - the PAM registers 0x59-0x5F, which route each segment of
 *   0xC0000-0xFFFFF to DRAM or to PCI (the BIOS ROM) for reads and writes
 *   independently;
 * - SMRAM (0x72): with G_SMRAME and D_OPEN set, 0xA0000-0xBFFFF is DRAM;
 * - the Turbo-Reset Control register (byte I/O at 0xCF9): setting bit 2
 *   resets the machine.
 *
 * Memory layout contract (docs/models/i440fx.md): system RAM is a region
 * named by `ram-region` in the memory space; the BIOS ROM is the region
 * named by `bios-region` (mapped at the top of 4 GiB by the firmware
 * loader). The i440fx places its own regions over 0xC0000-0xFFFFF at
 * priorities PAM_PRIORITY..+2 and over 0xA0000-0xBFFFF at SMRAM_PRIORITY,
 * so RAM below them stays at priority 0 and VGA's window sits between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "models/pci/pci.h"

#define I440FX_PAM0 0x59      /* first PAM register */
#define I440FX_PAM_COUNT 7    /* 0x59-0x5F */
#define I440FX_SMRAM 0x72
#define I440FX_SEGMENTS 13    /* 0xF0000 (64 KiB) + 12 x 16 KiB from 0xC0000 */

#define SMRAM_D_OPEN 0x40
#define SMRAM_D_CLS 0x20
#define SMRAM_D_LCK 0x10
#define SMRAM_G_SMRAME 0x08
#define SMRAM_C_BASE_SEG 0x02 /* hardwired: SMRAM at 0xA0000 */

#define TRC_RESET_CPU 0x04    /* 0 -> 1 starts a reset */
#define TRC_SYSTEM_RESET 0x02

#define PAM_PRIORITY 10       /* PCI view of a segment */
#define SMRAM_PRIORITY 100    /* above the VGA window */

enum pam_mode {
    PAM_PCI = 0,        /* reads and writes go to PCI (ROM) */
    PAM_READ_RAM = 1,   /* reads DRAM, writes PCI */
    PAM_WRITE_RAM = 2,  /* reads PCI, writes DRAM */
    PAM_RAM = 3,        /* reads and writes DRAM */
};

struct i440fx_segment {
    uint64_t base, size;
    enum pam_mode mode;
    struct region *pci_view;   /* BIOS ROM alias, or all-ones MMIO */
    struct region *ram;        /* DRAM alias (read-only in PAM_READ_RAM) */
    struct region *write_ram;  /* PAM_WRITE_RAM: reads PCI, writes DRAM */
    struct i440fx *owner;
};

struct i440fx {
    struct component *comp;
    struct pci_bus *bus;
    struct pci_device dev;
    struct addr_space *mem, *io, *cfg;
    const char *ram_name, *bios_name;
    struct region *ram_region;   /* system DRAM */
    struct region *bios_region;  /* BIOS ROM (NULL: PCI reads all ones) */
    struct region *smram;        /* DRAM alias at 0xA0000 */
    struct i440fx_segment seg[I440FX_SEGMENTS];
    uint32_t config_address;     /* CONFIG_ADDRESS (0xCF8) */
    uint8_t trc;                 /* Turbo-Reset Control (0xCF9) */
    uint64_t stat_config_reads, stat_config_writes, stat_pam_changes;
};

/* --- configuration mechanism #1 -------------------------------------------- */

/* Config space transactions go through an optional address space so trace
 * observers see them: address = bus << 16 | devfn << 8 | register. */
static uint64_t i440fx_cfgspace_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i440fx *s = opaque;
    if (offset >> 16)
        return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    return pci_config_read(s->bus, (uint8_t)(offset >> 8), offset & 0xFF, size);
}

static void i440fx_cfgspace_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i440fx *s = opaque;
    if (offset >> 16)
        return;
    pci_config_write(s->bus, (uint8_t)(offset >> 8), offset & 0xFF, size, (uint32_t)value);
}

static const struct mmio_ops i440fx_cfgspace_ops = {
    .read = i440fx_cfgspace_read,
    .write = i440fx_cfgspace_write,
    .max_access = 4,
};

/* The configuration address selected by CONFIG_ADDRESS plus the byte
 * offset of the data port, or false if the enable bit is clear. */
static bool i440fx_config_target(const struct i440fx *s, unsigned port_offset, uint32_t *addr)
{
    if (!(s->config_address & 0x80000000u))
        return false;
    *addr = (s->config_address & 0x00FFFFFCu) + port_offset;
    return true;
}

static uint64_t i440fx_data_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i440fx *s = opaque;
    uint32_t ones = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    uint32_t addr;
    if (!i440fx_config_target(s, (unsigned)offset, &addr))
        return ones;
    s->stat_config_reads++;
    if (s->cfg)
        return as_read(s->cfg, addr, size, BUS_CFG_READ, s->comp->id, NULL);
    return i440fx_cfgspace_read(s, addr, size);
}

static void i440fx_data_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i440fx *s = opaque;
    uint32_t addr;
    if (!i440fx_config_target(s, (unsigned)offset, &addr))
        return;
    s->stat_config_writes++;
    if (s->cfg)
        as_write(s->cfg, addr, size, value, BUS_CFG_WRITE, s->comp->id, NULL);
    else
        i440fx_cfgspace_write(s, addr, size, value);
}

static const struct mmio_ops i440fx_data_ops = {
    .read = i440fx_data_read,
    .write = i440fx_data_write,
    .max_access = 4,
};

/* 0xCF8-0xCFB: only a dword access at 0xCF8 is CONFIG_ADDRESS (PCI spec
 * 3.2.2.3.2); a byte at 0xCF9 is the Turbo-Reset Control register. */
static uint64_t i440fx_address_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i440fx *s = opaque;
    if (offset == 0 && size == 4)
        return s->config_address;
    if (offset == 1 && size == 1)
        return s->trc;
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

static void i440fx_address_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i440fx *s = opaque;
    if (offset == 0 && size == 4) {
        /* Bits 30:24 are reserved and 1:0 are hardwired to 0 (type 0). */
        s->config_address = (uint32_t)value & 0x80FFFFFCu;
        return;
    }
    if (offset == 1 && size == 1) {
        uint8_t old = s->trc;
        s->trc = (uint8_t)value & (TRC_RESET_CPU | TRC_SYSTEM_RESET);
        if ((s->trc & TRC_RESET_CPU) && !(old & TRC_RESET_CPU)) {
            sim_log(s->comp->sim, s->comp->name, "reset through 0xCF9 (0x%02x)",
                    (unsigned)value & 0xFF);
            sim_request_reset(s->comp->sim);
        }
    }
}

static const struct mmio_ops i440fx_address_ops = {
    .read = i440fx_address_read,
    .write = i440fx_address_write,
    .max_access = 4,
};

/* --- PAM ---------------------------------------------------------------------- */

/* Segment k: 0 is 0xF0000-0xFFFFF, 1..12 are 16 KiB from 0xC0000. */
static void i440fx_segment_range(int k, uint64_t *base, uint64_t *size)
{
    if (k == 0) {
        *base = 0xF0000;
        *size = 0x10000;
        return;
    }
    *base = 0xC0000 + (uint64_t)(k - 1) * 0x4000;
    *size = 0x4000;
}

/* The PAM nibble of segment k: register and shift. */
static enum pam_mode i440fx_segment_mode(const struct i440fx *s, int k)
{
    if (k == 0)
        return (enum pam_mode)((s->dev.config[I440FX_PAM0] >> 4) & 3);
    unsigned reg = I440FX_PAM0 + 1 + (unsigned)(k - 1) / 2;
    unsigned shift = ((k - 1) & 1) ? 4 : 0;
    return (enum pam_mode)((s->dev.config[reg] >> shift) & 3);
}

/* Offset of `addr` inside the BIOS ROM as seen below 1 MiB: the ROM's
 * last 128 KiB (or all of it if smaller) ends at 0xFFFFF. */
static bool i440fx_bios_offset(const struct i440fx *s, uint64_t addr, uint64_t *off)
{
    const struct region *rom = s->bios_region;
    if (!rom || !rom->host)
        return false;
    uint64_t window = rom->size < 0x20000 ? rom->size : 0x20000;
    uint64_t start = 0x100000 - window;
    if (addr < start || addr >= 0x100000)
        return false;
    *off = rom->size - window + (addr - start);
    return true;
}

/* PCI view of 0xC0000-0xDFFFF (and of E/F without a BIOS): nothing there. */
static uint64_t i440fx_open_bus_read(void *opaque, uint64_t offset, unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

static void i440fx_open_bus_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
}

static const struct mmio_ops i440fx_open_bus_ops = {
    .read = i440fx_open_bus_read,
    .write = i440fx_open_bus_write,
};

/* PAM "write only" mode: reads come from PCI (the ROM), writes land in
 * DRAM. The write goes straight into the RAM region's backing store; no
 * DMI pointer to this range exists while the mode is active, and the map
 * changes (bumping the generation) before DRAM becomes readable here. */
static uint64_t i440fx_write_ram_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i440fx_segment *g = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t rom_off, b = 0xFF;
        if (i440fx_bios_offset(g->owner, g->base + offset + i, &rom_off))
            b = g->owner->bios_region->host[rom_off];
        v |= b << (8 * i);
    }
    return v;
}

static void i440fx_write_ram_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i440fx_segment *g = opaque;
    const struct region *ram = g->owner->ram_region;
    uint64_t at = g->base + offset - ram->base;
    for (unsigned i = 0; i < size && at + i < ram->size; i++)
        ram->host[at + i] = (uint8_t)(value >> (8 * i));
    as_ram_written(ram->space, g->base + offset, size);
}

static const struct mmio_ops i440fx_write_ram_ops = {
    .read = i440fx_write_ram_read,
    .write = i440fx_write_ram_write,
};

static void i440fx_apply_segment(struct i440fx *s, int k)
{
    struct i440fx_segment *g = &s->seg[k];
    if (!g->ram)
        return; /* not realized yet */
    enum pam_mode mode = i440fx_segment_mode(s, k);
    if (mode == g->mode && g->pci_view->enabled)
        return;
    if (mode != g->mode)
        s->stat_pam_changes++;
    g->mode = mode;
    /* The PCI view stays underneath; the DRAM regions sit above it. */
    if (!g->pci_view->enabled)
        region_set_enabled(g->pci_view, true);
    bool ram_on = mode == PAM_READ_RAM || mode == PAM_RAM;
    if (ram_on && g->ram->readonly_alias != (mode == PAM_READ_RAM))
        region_set_alias_readonly(g->ram, mode == PAM_READ_RAM);
    if (g->ram->enabled != ram_on)
        region_set_enabled(g->ram, ram_on);
    if (g->write_ram->enabled != (mode == PAM_WRITE_RAM))
        region_set_enabled(g->write_ram, mode == PAM_WRITE_RAM);
}

static void i440fx_apply_pam(struct i440fx *s)
{
    for (int k = 0; k < I440FX_SEGMENTS; k++)
        i440fx_apply_segment(s, k);
}

static void i440fx_apply_smram(struct i440fx *s)
{
    if (!s->smram)
        return;
    uint8_t v = s->dev.config[I440FX_SMRAM];
    bool open = (v & SMRAM_G_SMRAME) && (v & SMRAM_D_OPEN);
    if (s->smram->enabled != open)
        region_set_enabled(s->smram, open);
}

/* SMRAM: D_LCK makes D_OPEN read 0 and itself and G_SMRAME read-only until
 * reset (82441FX datasheet, SMRAM register). */
static void i440fx_write_smram(struct i440fx *s, uint8_t old, uint8_t val)
{
    uint8_t v;
    if (old & SMRAM_D_LCK) {
        v = (uint8_t)((old & (SMRAM_D_LCK | SMRAM_G_SMRAME)) | (val & SMRAM_D_CLS));
    } else {
        v = val & (SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME);
        if (v & SMRAM_D_LCK)
            v &= (uint8_t)~SMRAM_D_OPEN;
    }
    s->dev.config[I440FX_SMRAM] = v | SMRAM_C_BASE_SEG;
}

/* Called after the PCI core applied a write. SMRAM is write-protected in
 * wmask, so config[] still holds the old value and D_LCK can be honoured. */
static void i440fx_config_write(struct pci_device *d, unsigned reg, unsigned size, uint32_t value)
{
    struct i440fx *s = d->opaque;
    unsigned end = reg + size;
    if (reg <= I440FX_SMRAM && end > I440FX_SMRAM) {
        uint8_t val = (uint8_t)(value >> (8 * (I440FX_SMRAM - reg)));
        i440fx_write_smram(s, s->dev.config[I440FX_SMRAM], val);
        i440fx_apply_smram(s);
    }
    if (reg < I440FX_PAM0 + I440FX_PAM_COUNT && end > I440FX_PAM0)
        i440fx_apply_pam(s);
}

static const struct pci_device_ops i440fx_pci_ops = {
    .config_write = i440fx_config_write,
};

/* --- component ----------------------------------------------------------------- */

static void i440fx_init_config(struct i440fx *s)
{
    struct pci_device *d = &s->dev;
    pci_device_init(d, s->comp->name, 0x8086, 0x1237, 0x06, 0x00, 0x00, 0x02);
    d->ops = &i440fx_pci_ops;
    d->opaque = s;
    /* QEMU-like subsystem: SeaBIOS checks it (fw/paravirt.c). */
    d->config[PCI_SUBSYS_VENDOR] = 0xF4;
    d->config[PCI_SUBSYS_VENDOR + 1] = 0x1A;
    d->config[PCI_SUBSYS_ID] = 0x00;
    d->config[PCI_SUBSYS_ID + 1] = 0x11;
    /* Device-specific registers that hold plain values. */
    for (unsigned r = 0x50; r <= 0x58; r++)
        d->wmask[r] = 0xFF;
    d->wmask[I440FX_PAM0] = 0x30; /* low nibble reserved */
    for (unsigned r = I440FX_PAM0 + 1; r < I440FX_PAM0 + I440FX_PAM_COUNT; r++)
        d->wmask[r] = 0x33;
    for (unsigned r = 0x60; r <= 0x68; r++)
        d->wmask[r] = 0xFF; /* DRB0-7, FDHC */
    d->wmask[0x70] = 0xFF;   /* multi-transaction timer */
    d->wmask[0x71] = 0xFF;   /* CPU latency timer */
    d->wmask[0x90] = 0xFF;   /* error command */
    d->wmask[0x91] = 0xFF;   /* error status */
    d->wmask[0x93] = 0xFF;   /* turbo reset control mirror */
    d->wmask[I440FX_SMRAM] = 0; /* handled by i440fx_write_smram */
}

static void i440fx_reset_config(struct i440fx *s)
{
    struct pci_device *d = &s->dev;
    pci_device_reset(d);
    /* 82441FX: memory access and bus master are always on. */
    d->config[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    memset(&d->config[0x50], 0, 0x100 - 0x50);
    d->config[0x50] = 0x80; /* PMCCFG reset value */
    d->config[0x51] = 0x80; /* DETURBO */
    for (unsigned r = 0x60; r <= 0x67; r++)
        d->config[r] = 0x01; /* DRB: 8 MiB per row until firmware sizes */
    d->config[I440FX_SMRAM] = SMRAM_C_BASE_SEG;
}

static const struct param_desc i440fx_params[] = {
    {"memory", PARAM_SPACE, "memory", "memory address space"},
    {"io", PARAM_SPACE, "io", "I/O address space (0xCF8/0xCFC)"},
    {"config-space", PARAM_SPACE, NULL,
     "optional space for configuration transactions (bus<<16|devfn<<8|reg), so traces see them",
     true},
    {"ram-region", PARAM_STRING, "ram", "name of the system RAM region in the memory space"},
    {"bios-region", PARAM_STRING, NULL,
     "name of the BIOS ROM region; its last 128 KiB is the PCI view of 0xE0000-0xFFFFF", true},
    PARAM_END,
};

static int i440fx_map_io(struct i440fx *s, struct cw_error *err)
{
    struct component *c = s->comp;
    if (!as_add_mmio(s->io, c, "pci-config-address", 0xCF8, 4, &i440fx_address_ops, s, err))
        return -1;
    if (!as_add_mmio(s->io, c, "pci-config-data", 0xCFC, 4, &i440fx_data_ops, s, err))
        return -1;
    if (s->cfg && !as_add_mmio(s->cfg, c, "pci-bus0", 0, 1u << 16, &i440fx_cfgspace_ops, s, err))
        return -1;
    return 0;
}

static int i440fx_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct i440fx *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->mem = params_space(p, "memory");
    s->io = params_space(p, "io");
    s->cfg = params_has(p, "config-space") ? params_space(p, "config-space") : NULL;
    s->ram_name = params_string(p, "ram-region");
    s->bios_name = params_has(p, "bios-region") ? params_string(p, "bios-region") : NULL;
    if (!s->mem || !s->io)
        return params_error(p, "memory", err, "i440fx needs a memory and an I/O space");
    s->bus = pci_bus_create(c->name);
    if (!s->bus)
        return cw_errorf(err, "%s: out of memory", c->name);
    if (i440fx_map_io(s, err) < 0)
        return -1;
    i440fx_init_config(s);
    if (pci_device_register(s->bus, &s->dev, 0, err) < 0)
        return -1;
    i440fx_reset_config(s);
    component_export(c, "pci-bus", s->bus);
    stat_register(c, "config-reads", "configuration reads through 0xCFC", &s->stat_config_reads);
    stat_register(c, "config-writes", "configuration writes through 0xCFC",
                  &s->stat_config_writes);
    stat_register(c, "pam-changes", "PAM segment mode changes", &s->stat_pam_changes);
    return 0;
}

/* Places a region created with AS_UNMAPPED at its address and priority. */
static void i440fx_place(struct region *r, uint64_t base, int priority, bool enabled)
{
    region_move(r, base);
    region_set_priority(r, priority);
    region_set_enabled(r, enabled);
}

/* Builds the regions of one PAM segment: the PCI view enabled, the DRAM
 * views disabled until a PAM register selects them. They overlap RAM, so
 * they are created unmapped and placed with their priority. */
static int i440fx_make_segment(struct i440fx *s, int k, struct cw_error *err)
{
    struct component *c = s->comp;
    struct i440fx_segment *g = &s->seg[k];
    char name[48];
    g->owner = s;
    i440fx_segment_range(k, &g->base, &g->size);
    uint64_t rom_off, rom_last;
    snprintf(name, sizeof name, "pam-pci-%05llx", (unsigned long long)g->base);
    if (i440fx_bios_offset(s, g->base, &rom_off) &&
        i440fx_bios_offset(s, g->base + g->size - 1, &rom_last)) {
        g->pci_view = as_add_alias(s->mem, c, name, AS_UNMAPPED, g->size, s->bios_region,
                                   rom_off, err);
        if (g->pci_view)
            region_set_alias_readonly(g->pci_view, true);
    } else {
        g->pci_view = as_add_mmio(s->mem, c, name, AS_UNMAPPED, g->size, &i440fx_open_bus_ops,
                                  s, err);
    }
    if (!g->pci_view)
        return -1;
    i440fx_place(g->pci_view, g->base, PAM_PRIORITY, true);
    snprintf(name, sizeof name, "pam-ram-%05llx", (unsigned long long)g->base);
    g->ram = as_add_alias(s->mem, c, name, AS_UNMAPPED, g->size, s->ram_region,
                          g->base - s->ram_region->base, err);
    if (!g->ram)
        return -1;
    i440fx_place(g->ram, g->base, PAM_PRIORITY + 1, false);
    snprintf(name, sizeof name, "pam-wo-%05llx", (unsigned long long)g->base);
    g->write_ram = as_add_mmio(s->mem, c, name, AS_UNMAPPED, g->size, &i440fx_write_ram_ops, g,
                               err);
    if (!g->write_ram)
        return -1;
    i440fx_place(g->write_ram, g->base, PAM_PRIORITY + 2, false);
    g->mode = PAM_PCI;
    return 0;
}

static int i440fx_realize(struct component *c, struct cw_error *err)
{
    struct i440fx *s = c->state;
    s->ram_region = as_find_region(s->mem, s->ram_name);
    if (!s->ram_region || s->ram_region->type != REGION_RAM)
        return cw_errorf(err, "%s: no RAM region named '%s' in space '%s' (set ram-region)",
                         c->name, s->ram_name, as_name(s->mem));
    if (s->ram_region->base > 0xA0000 ||
        s->ram_region->base + s->ram_region->size < 0x100000)
        return cw_errorf(err, "%s: RAM region '%s' must cover 0xA0000-0xFFFFF (>= 1 MiB of RAM)",
                         c->name, s->ram_name);
    if (!s->bios_name)
        sim_log(c->sim, c->name,
                "no bios-region: 0xE0000-0xFFFFF reads all ones until PAM maps RAM there");
    if (s->bios_name) {
        s->bios_region = as_find_region(s->mem, s->bios_name);
        if (!s->bios_region || !s->bios_region->host)
            return cw_errorf(err, "%s: no ROM region named '%s' in space '%s' (bios-region)",
                             c->name, s->bios_name, as_name(s->mem));
    }
    for (int k = 0; k < I440FX_SEGMENTS; k++)
        if (i440fx_make_segment(s, k, err) < 0)
            return -1;
    s->smram = as_add_alias(s->mem, c, "smram", AS_UNMAPPED, 0x20000, s->ram_region,
                            0xA0000 - s->ram_region->base, err);
    if (!s->smram)
        return -1;
    i440fx_place(s->smram, 0xA0000, SMRAM_PRIORITY, false);
    i440fx_apply_pam(s);
    return 0;
}

static void i440fx_reset(struct component *c)
{
    struct i440fx *s = c->state;
    s->config_address = 0;
    s->trc = 0;
    i440fx_reset_config(s);
    i440fx_apply_pam(s);
    i440fx_apply_smram(s);
}

static void i440fx_destroy(struct component *c)
{
    struct i440fx *s = c->state;
    if (!s)
        return;
    pci_bus_destroy(s->bus);
    free(s);
}

const struct component_type i440fx_type = {
    .name = "i440fx",
    .description = "Intel 82441FX host bridge: PCI config mechanism #1, PAM shadowing, SMRAM",
    .params = i440fx_params,
    .create = i440fx_create,
    .realize = i440fx_realize,
    .reset = i440fx_reset,
    .destroy = i440fx_destroy,
};
