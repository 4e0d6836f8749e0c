/* pci.c: the PCI bus core: configuration space, BAR sizing and mapping,
 * expansion ROM BAR, INTx routing. PCI Local Bus Specification 3.0, ch. 6.
 *
 * One bus (bus 0) with 256 device/function slots. The host bridge turns
 * configuration cycles into pci_config_read/pci_config_write; this file
 * applies them to the devices' config[] with their write masks, keeps the
 * BAR registers' read-only bits (size, type), and moves and enables the
 * devices' regions to follow the BARs and the command register. */
#include "models/pci/pci.h"

#include "kernel/component.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pci_bus {
    char *name;
    struct pci_device *slots[256];
    /* INTx: which devices currently assert their pin (after the command
     * register's interrupt-disable bit), and how many per PIRQ line, so
     * shared lines behave as a wired OR. */
    bool irq_forwarded[256];
    int pirq_count[4];
    pci_irq_route_fn router;
    void *router_opaque;
};

/* Command register bits beyond the contract's three. */
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
/* Status bits: interrupt status (read-only) and the write-one-to-clear
 * error bits 8 and 11-15. */
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_STATUS_W1C_HIGH 0xF9

#define PCI_BAR_END (PCI_BAR0 + 4 * PCI_NUM_BARS) /* 0x28 */

static uint32_t pci_get_long(const struct pci_device *d, unsigned reg)
{
    return (uint32_t)d->config[reg] | (uint32_t)d->config[reg + 1] << 8 |
           (uint32_t)d->config[reg + 2] << 16 | (uint32_t)d->config[reg + 3] << 24;
}

static void pci_set_long(struct pci_device *d, unsigned reg, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        d->config[reg + i] = (uint8_t)(v >> (8 * i));
}

static uint16_t pci_get_command(const struct pci_device *d)
{
    return (uint16_t)(d->config[PCI_COMMAND] | d->config[PCI_COMMAND + 1] << 8);
}

/* --- the bus -------------------------------------------------------------- */

struct pci_bus *pci_bus_create(const char *name)
{
    struct pci_bus *bus = calloc(1, sizeof *bus);
    if (!bus)
        return NULL;
    bus->name = strdup(name ? name : "pci");
    return bus;
}

void pci_bus_destroy(struct pci_bus *bus)
{
    /* Devices are not touched: they may be gone already (teardown order). */
    if (!bus)
        return;
    free(bus->name);
    free(bus);
}

const char *pci_bus_name(const struct pci_bus *bus)
{
    return bus->name;
}

struct pci_device *pci_bus_device(struct pci_bus *bus, uint8_t devfn)
{
    return bus ? bus->slots[devfn] : NULL;
}

int pci_parse_devfn(const char *s, uint8_t *devfn)
{
    if (!s || !*s)
        return -1;
    char *end;
    unsigned long dev = strtoul(s, &end, 16);
    if (end == s || dev > 31)
        return -1;
    unsigned long fn = 0;
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 10);
        if (end == f || fn > 7)
            return -1;
    }
    if (*end)
        return -1;
    *devfn = (uint8_t)(dev << 3 | fn);
    return 0;
}

/* --- BARs ----------------------------------------------------------------- */

/* Bits of a BAR (or the ROM BAR) that software can write: the address bits
 * above the size, plus the ROM enable bit. Zero for an absent BAR. */
static uint32_t pci_bar_write_mask(const struct pci_device *d, int i)
{
    const struct pci_bar *bar = &d->bars[i];
    if (bar->type == PCI_BAR_NONE || bar->size == 0)
        return 0;
    uint32_t size_mask = (uint32_t)~(bar->size - 1);
    if (i == PCI_ROM_SLOT)
        return (size_mask & 0xFFFFF800u) | 1u;
    if (bar->type == PCI_BAR_IO)
        return size_mask & 0xFFFFFFFCu;
    return size_mask & 0xFFFFFFF0u;
}

/* Read-only low bits that tell software the BAR's kind. */
static uint32_t pci_bar_type_bits(const struct pci_device *d, int i)
{
    switch (i == PCI_ROM_SLOT ? PCI_BAR_NONE : d->bars[i].type) {
    case PCI_BAR_IO: return 0x1;
    case PCI_BAR_MEM32_PREFETCH: return 0x8;
    default: return 0x0;
    }
}

static unsigned pci_bar_reg(int i)
{
    return i == PCI_ROM_SLOT ? PCI_ROM_BAR : PCI_BAR0 + 4u * (unsigned)i;
}

uint64_t pci_bar_address(const struct pci_device *d, int i)
{
    const struct pci_bar *bar = &d->bars[i];
    if (bar->type == PCI_BAR_NONE || bar->size == 0)
        return PCI_BAR_UNMAPPED;
    uint16_t cmd = pci_get_command(d);
    uint32_t raw = pci_get_long(d, pci_bar_reg(i));
    uint64_t limit; /* first address past the space */
    uint64_t addr;
    if (i == PCI_ROM_SLOT) {
        if (!(cmd & PCI_COMMAND_MEMORY) || !(raw & 1))
            return PCI_BAR_UNMAPPED;
        addr = raw & pci_bar_write_mask(d, i) & ~1u;
        limit = 1ull << 32;
    } else if (bar->type == PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO))
            return PCI_BAR_UNMAPPED;
        addr = raw & pci_bar_write_mask(d, i);
        limit = 0x10000;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY))
            return PCI_BAR_UNMAPPED;
        addr = raw & pci_bar_write_mask(d, i);
        limit = 1ull << 32;
    }
    if (bar->region && bar->region->space) {
        uint64_t space_end = as_limit(bar->region->space);
        if (space_end + 1 != 0 && space_end + 1 < limit)
            limit = space_end + 1;
    }
    /* Address 0 means "not assigned"; a range ending at the top of the
     * 32-bit space is what remains after sizing (all ones written), which
     * firmware restores right away: treat both as not decoded, as real
     * chipsets behind a BIOS effectively do. */
    if (addr == 0 || addr + bar->size > limit || addr + bar->size - 1 == 0xFFFFFFFFull)
        return PCI_BAR_UNMAPPED;
    return addr;
}

/* Moves and enables each BAR's region to match the registers. Only calls
 * the kernel when something changes, since every map change invalidates
 * the CPU's direct pointers. */
static void pci_update_mappings(struct pci_device *d)
{
    for (int i = 0; i <= PCI_ROM_SLOT; i++) {
        struct region *r = d->bars[i].region;
        if (!r)
            continue;
        uint64_t addr = pci_bar_address(d, i);
        if (addr == PCI_BAR_UNMAPPED) {
            if (r->enabled)
                region_set_enabled(r, false);
            continue;
        }
        if (r->base != addr) {
            if (r->enabled)
                region_set_enabled(r, false);
            region_move(r, addr);
        }
        if (!r->enabled)
            region_set_enabled(r, true);
    }
}

/* --- INTx ------------------------------------------------------------------ */

static int pci_pirq_of(const struct pci_device *d)
{
    int pin = d->config[PCI_INTERRUPT_PIN];
    if (pin < 1 || pin > 4)
        return -1;
    return ((d->devfn >> 3) + pin - 1) & 3;
}

/* Recomputes whether d's pin reaches its PIRQ line and tells the router
 * when a line changes between idle and asserted. */
static void pci_update_irq(struct pci_device *d)
{
    struct pci_bus *bus = d->bus;
    if (!bus)
        return;
    int pirq = pci_pirq_of(d);
    bool asserted = (d->config[PCI_STATUS] & PCI_STATUS_INTERRUPT) &&
                    !(pci_get_command(d) & PCI_COMMAND_INTX_DISABLE) && pirq >= 0;
    if (asserted == bus->irq_forwarded[d->devfn])
        return;
    bus->irq_forwarded[d->devfn] = asserted;
    if (pirq < 0)
        return;
    int before = bus->pirq_count[pirq];
    bus->pirq_count[pirq] += asserted ? 1 : -1;
    int after = bus->pirq_count[pirq];
    if ((before == 0) != (after == 0) && bus->router)
        bus->router(bus->router_opaque, pirq, after > 0);
}

void pci_set_irq(struct pci_device *d, int level)
{
    if (level)
        d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        d->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    pci_update_irq(d);
}

void pci_bus_set_irq_router(struct pci_bus *bus, pci_irq_route_fn fn, void *opaque)
{
    bus->router = fn;
    bus->router_opaque = opaque;
    if (!fn)
        return;
    for (int pirq = 0; pirq < 4; pirq++)
        if (bus->pirq_count[pirq] > 0)
            fn(opaque, pirq, 1);
}

/* --- devices ---------------------------------------------------------------- */

void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor, uint16_t device,
                     uint8_t class_code, uint8_t subclass, uint8_t prog_if, uint8_t revision)
{
    memset(d->config, 0, sizeof d->config);
    memset(d->wmask, 0, sizeof d->wmask);
    d->name = name;
    d->config[PCI_VENDOR_ID] = (uint8_t)vendor;
    d->config[PCI_VENDOR_ID + 1] = (uint8_t)(vendor >> 8);
    d->config[PCI_DEVICE_ID] = (uint8_t)device;
    d->config[PCI_DEVICE_ID + 1] = (uint8_t)(device >> 8);
    d->config[PCI_REVISION] = revision;
    d->config[PCI_PROG_IF] = prog_if;
    d->config[PCI_SUBCLASS] = subclass;
    d->config[PCI_CLASS] = class_code;
    d->config[PCI_HEADER_TYPE] = 0x00;
    /* Status: medium DEVSEL timing, fast back-to-back capable, as most
     * PCI 2.x targets report. */
    d->config[PCI_STATUS] = 0x80;
    d->config[PCI_STATUS + 1] = 0x02;
    d->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                            PCI_COMMAND_PARITY;
    d->wmask[PCI_COMMAND + 1] = (PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE) >> 8;
    d->wmask[0x0C] = 0xFF; /* cache line size */
    d->wmask[0x0D] = 0xFF; /* latency timer */
    d->wmask[PCI_INTERRUPT_LINE] = 0xFF;
}

/* Writes the read-only type bits of every BAR with a zero address. */
static void pci_clear_bars(struct pci_device *d)
{
    for (int i = 0; i <= PCI_ROM_SLOT; i++)
        pci_set_long(d, pci_bar_reg(i), pci_bar_type_bits(d, i));
}

/* Function 0 of a multi-function device says so in its header type, or
 * operating systems never look at functions 1-7. */
static void pci_update_multifunction(struct pci_bus *bus, uint8_t devfn)
{
    uint8_t base = devfn & 0xF8;
    struct pci_device *f0 = bus->slots[base];
    if (!f0)
        return;
    bool multi = false;
    for (int fn = 1; fn < 8; fn++)
        multi = multi || bus->slots[base + fn] != NULL;
    if (multi)
        f0->config[PCI_HEADER_TYPE] |= 0x80;
}

int pci_device_register(struct pci_bus *bus, struct pci_device *d, uint8_t devfn,
                        struct cw_error *err)
{
    if (!bus)
        return cw_errorf(err, "%s: no PCI bus", d->name ? d->name : "pci device");
    if (bus->slots[devfn]) {
        return cw_errorf(err, "%s: PCI slot %02x.%u on %s is taken by %s",
                         d->name ? d->name : "pci device", devfn >> 3, devfn & 7, bus->name,
                         bus->slots[devfn]->name ? bus->slots[devfn]->name : "another device");
    }
    for (int i = 0; i <= PCI_ROM_SLOT; i++) {
        uint64_t size = d->bars[i].size;
        if (d->bars[i].type == PCI_BAR_NONE)
            continue;
        uint64_t min = i == PCI_ROM_SLOT ? 2048 : d->bars[i].type == PCI_BAR_IO ? 4 : 16;
        if (size < min || (size & (size - 1)) || size > (1ull << 31))
            return cw_errorf(err, "%s: BAR %d size %llu is not a power of two >= %llu",
                             d->name ? d->name : "pci device", i, (unsigned long long)size,
                             (unsigned long long)min);
    }
    d->devfn = devfn;
    d->bus = bus;
    bus->slots[devfn] = d;
    bus->irq_forwarded[devfn] = false;
    pci_clear_bars(d);
    pci_update_multifunction(bus, devfn);
    pci_update_mappings(d);
    return 0;
}

void pci_device_reset(struct pci_device *d)
{
    d->config[PCI_COMMAND] = 0;
    d->config[PCI_COMMAND + 1] = 0;
    d->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    d->config[PCI_STATUS + 1] &= (uint8_t)~PCI_STATUS_W1C_HIGH;
    d->config[0x0C] = 0;
    d->config[0x0D] = 0;
    d->config[PCI_INTERRUPT_LINE] = 0;
    pci_clear_bars(d);
    pci_update_mappings(d);
    pci_update_irq(d);
}

/* --- configuration cycles ------------------------------------------------------ */

static uint8_t pci_read_byte(const struct pci_device *d, unsigned reg)
{
    return d->config[reg];
}

uint32_t pci_config_read(struct pci_bus *bus, uint8_t devfn, unsigned reg, unsigned size)
{
    uint32_t ones = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    struct pci_device *d = bus ? bus->slots[devfn] : NULL;
    if (!d || size == 0 || size > 4 || reg >= 256)
        return ones;
    if (reg >= 0x40 && d->ops && d->ops->config_read) {
        uint32_t v;
        if (d->ops->config_read(d, reg, size, &v))
            return v & ones;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t b = reg + i < 256 ? pci_read_byte(d, reg + i) : 0xFF;
        v |= b << (8 * i);
    }
    return v;
}

/* Applies one byte of a configuration write; returns true if it may
 * change the decoding of BARs (command or BAR registers). */
static bool pci_write_byte(struct pci_device *d, unsigned reg, uint8_t val)
{
    if (reg >= PCI_BAR0 && reg < PCI_BAR_END) {
        int i = (int)(reg - PCI_BAR0) / 4;
        unsigned shift = 8 * ((reg - PCI_BAR0) & 3);
        uint8_t mask = (uint8_t)(pci_bar_write_mask(d, i) >> shift);
        uint8_t fixed = (uint8_t)(pci_bar_type_bits(d, i) >> shift);
        d->config[reg] = (uint8_t)((val & mask) | fixed);
        return true;
    }
    if (reg >= PCI_ROM_BAR && reg < PCI_ROM_BAR + 4) {
        unsigned shift = 8 * (reg - PCI_ROM_BAR);
        uint8_t mask = (uint8_t)(pci_bar_write_mask(d, PCI_ROM_SLOT) >> shift);
        d->config[reg] = val & mask;
        return true;
    }
    if (reg == PCI_STATUS + 1) {
        d->config[reg] &= (uint8_t)~(val & PCI_STATUS_W1C_HIGH);
        return false;
    }
    d->config[reg] = (uint8_t)((d->config[reg] & ~d->wmask[reg]) | (val & d->wmask[reg]));
    return reg == PCI_COMMAND || reg == PCI_COMMAND + 1;
}

void pci_config_write(struct pci_bus *bus, uint8_t devfn, unsigned reg, unsigned size,
                      uint32_t value)
{
    struct pci_device *d = bus ? bus->slots[devfn] : NULL;
    if (!d || size == 0 || size > 4 || reg >= 256)
        return;
    bool remap = false;
    for (unsigned i = 0; i < size && reg + i < 256; i++)
        remap |= pci_write_byte(d, reg + i, (uint8_t)(value >> (8 * i)));
    if (remap) {
        pci_update_mappings(d);
        pci_update_irq(d); /* the interrupt-disable bit may have changed */
    }
    if (d->ops && d->ops->config_write)
        d->ops->config_write(d, reg, size, value);
}

struct pci_bus *pci_bus_from_param(struct component *c, const char *param, struct cw_error *err)
{
    struct component *owner = params_component(c->params, param);
    struct pci_bus *bus = owner ? component_interface(owner, "pci-bus") : NULL;
    if (!bus)
        params_error(c->params, param, err, "component '%s' does not export a PCI bus",
                     owner ? owner->name : "?");
    return bus;
}
