/* piix3.c: Intel 82371SB PIIX3: PCI-to-ISA bridge (function 0, 8086:7000)
 * and the configuration side of its IDE function (function 1, 8086:7010).
 * Intel 82371FB (PIIX) and 82371SB (PIIX3) PCI ISA IDE Xcelerator datasheet.
 *
 * Function 0 routes the four PCI interrupt lines PIRQA#-PIRQD# to ISA IRQs
 * through PIRQRC[A:D] (0x60-0x63: bit 7 disables the route, bits 3:0 name
 * the IRQ). The chip's outputs are signals "irq3".."irq15" (only the IRQs
 * the datasheet allows: 3-7, 9-12, 14, 15), each the wired OR of the PIRQ
 * lines routed to it, level high while asserted. The machine wires them to
 * the 8259 inputs, e.g. "isa0.irq10 -> pic1.ir2"; the 8259's ELCR makes
 * those inputs level-triggered.
 *
 * Function 1 ("piix3-ide", a separate component in this file) has prog-if
 * 0x80: both channels fixed in legacy mode, bus-master capable. It owns the
 * IDETIM registers (0x40/0x42) and the 16-byte bus-master I/O BAR4; the
 * ATA/ATAPI model (models/ide/) owns the task-file ports. See pci.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/pci/pci.h"

#define PIIX3_PIRQRC 0x60       /* PIRQRC[A:D], 0x60-0x63 */
#define PIIX3_PIRQ_DISABLE 0x80 /* IRQINTRRTEN: routing disabled */
#define PIIX3_NUM_IRQS 16

struct piix3 {
    struct component *comp;
    uint8_t devfn;
    struct pci_device dev;
    struct signal *irq[PIIX3_NUM_IRQS]; /* NULL for IRQs a PIRQ cannot reach */
    bool pirq_level[4];
    uint64_t stat_irq_changes;
};

/* PIRQRC values 0-2, 8 and 13 are reserved (datasheet 2.2.11). */
static bool piix3_irq_routable(unsigned irq)
{
    return irq >= 3 && irq <= 15 && irq != 8 && irq != 13;
}

static int piix3_pirq_target(const struct piix3 *s, int pirq)
{
    uint8_t v = s->dev.config[PIIX3_PIRQRC + pirq];
    if (v & PIIX3_PIRQ_DISABLE)
        return -1;
    unsigned irq = v & 0x0F;
    return piix3_irq_routable(irq) ? (int)irq : -1;
}

/* Drives every IRQ output from the PIRQ levels and the routing registers. */
static void piix3_update_irqs(struct piix3 *s)
{
    int level[PIIX3_NUM_IRQS] = {0};
    for (int pirq = 0; pirq < 4; pirq++) {
        int irq = piix3_pirq_target(s, pirq);
        if (irq >= 0 && s->pirq_level[pirq])
            level[irq] = 1;
    }
    for (int irq = 0; irq < PIIX3_NUM_IRQS; irq++) {
        if (!s->irq[irq] || signal_level(s->irq[irq]) == level[irq])
            continue;
        s->stat_irq_changes++;
        signal_set(s->irq[irq], level[irq]);
    }
}

static void piix3_route_pirq(void *opaque, int pirq, int level)
{
    struct piix3 *s = opaque;
    if (pirq < 0 || pirq > 3)
        return;
    s->pirq_level[pirq] = level != 0;
    piix3_update_irqs(s);
}

static void piix3_config_write(struct pci_device *d, unsigned reg, unsigned size, uint32_t value)
{
    struct piix3 *s = d->opaque;
    if (reg < PIIX3_PIRQRC + 4 && reg + size > PIIX3_PIRQRC)
        piix3_update_irqs(s);
}

static const struct pci_device_ops piix3_pci_ops = {
    .config_write = piix3_config_write,
};

/* Writable bits of the function 0 registers (datasheet section 2.2). */
static void piix3_init_config(struct piix3 *s)
{
    struct pci_device *d = &s->dev;
    pci_device_init(d, s->comp->name, 0x8086, 0x7000, 0x06, 0x01, 0x00, 0x00);
    d->ops = &piix3_pci_ops;
    d->opaque = s;
    d->config[PCI_HEADER_TYPE] = 0x80; /* multi-function: the IDE is 01.1 */
    /* I/O, memory and bus master are hardwired on for the ISA bridge. */
    d->wmask[PCI_COMMAND] &= (uint8_t)~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    d->wmask[0x4C] = 0x7F;                  /* IORT */
    d->wmask[0x4E] = 0xFF;                  /* XBCS */
    d->wmask[0x4F] = 0x03;
    for (unsigned r = PIIX3_PIRQRC; r < PIIX3_PIRQRC + 4; r++)
        d->wmask[r] = 0x8F;                 /* PIRQRC[A:D] */
    d->wmask[0x69] = 0xFE;                  /* TOM */
    d->wmask[0x6A] = 0xFF;                  /* MSTAT */
    d->wmask[0x6B] = 0x80;
    d->wmask[0x70] = 0xCF;                  /* MBIRQ0 */
    d->wmask[0x76] = 0x87;                  /* MBDMA0/1 */
    d->wmask[0x77] = 0x87;
    d->wmask[0x80] = 0x7F;                  /* APICBASE */
    d->wmask[0x82] = 0x0F;                  /* DLC */
    d->wmask[0xA0] = 0x1F;                  /* SMICNTL */
    d->wmask[0xA2] = 0xFF;                  /* SMIEN */
    d->wmask[0xA3] = 0x01;
    for (unsigned r = 0xA4; r <= 0xA8; r++)
        d->wmask[r] = 0xFF;                 /* SEE, FTMR */
    d->wmask[0xAA] = 0xFF;                  /* SMIREQ */
    d->wmask[0xAB] = 0x01;
    d->wmask[0xAC] = 0xFF;                  /* CTLTMR */
    d->wmask[0xAE] = 0xFF;                  /* CTHTMR */
}

static void piix3_reset_config(struct piix3 *s)
{
    struct pci_device *d = &s->dev;
    pci_device_reset(d);
    d->config[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    memset(&d->config[0x40], 0, 0xC0);
    d->config[0x4C] = 0x4D;                 /* IORT */
    d->config[0x4E] = 0x03;                 /* XBCS: RTC and keyboard decode on */
    for (unsigned r = PIIX3_PIRQRC; r < PIIX3_PIRQRC + 4; r++)
        d->config[r] = PIIX3_PIRQ_DISABLE;
    d->config[0x69] = 0x02;                 /* TOM: 1 MiB */
    d->config[0x70] = 0x80;                 /* MBIRQ0 disabled */
    d->config[0x76] = 0x0C;                 /* MBDMA0/1: none */
    d->config[0x77] = 0x0C;
    d->config[0xA0] = 0x08;                 /* SMICNTL */
    d->config[0xA8] = 0x0F;                 /* FTMR */
}

static const struct param_desc piix3_params[] = {
    {"pci-bus", PARAM_COMPONENT, NULL, "host bridge that exports the PCI bus"},
    {"devfn", PARAM_STRING, "1.0", "PCI device.function"},
    PARAM_END,
};

static int piix3_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct piix3 *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    if (pci_parse_devfn(params_string(p, "devfn"), &s->devfn) < 0)
        return params_error(p, "devfn", err, "expected device.function such as 1.0");
    for (unsigned irq = 0; irq < PIIX3_NUM_IRQS; irq++) {
        if (!piix3_irq_routable(irq))
            continue;
        char pin[8];
        snprintf(pin, sizeof pin, "irq%u", irq);
        s->irq[irq] = signal_create(c->sim, c, pin);
    }
    piix3_init_config(s);
    piix3_reset_config(s);
    stat_register(c, "irq-changes", "PIRQ-driven IRQ output level changes", &s->stat_irq_changes);
    return 0;
}

static int piix3_realize(struct component *c, struct cw_error *err)
{
    struct piix3 *s = c->state;
    struct pci_bus *bus = pci_bus_from_param(c, "pci-bus", err);
    if (!bus || pci_device_register(bus, &s->dev, s->devfn, err) < 0)
        return -1;
    piix3_reset_config(s);
    pci_bus_set_irq_router(bus, piix3_route_pirq, s);
    return 0;
}

static void piix3_reset(struct component *c)
{
    struct piix3 *s = c->state;
    piix3_reset_config(s);
    piix3_update_irqs(s);
}

static void piix3_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type piix3_type = {
    .name = "piix3",
    .description = "Intel PIIX3 PCI-to-ISA bridge: PIRQ routing to ISA IRQs",
    .params = piix3_params,
    .create = piix3_create,
    .realize = piix3_realize,
    .reset = piix3_reset,
    .destroy = piix3_destroy,
};

/* --- function 1: IDE ----------------------------------------------------------- */

#define PIIX3_IDE_IDETIM 0x40   /* primary; secondary at 0x42 */
#define PIIX3_IDE_DECODE 0x8000 /* IDETIM bit 15: IDE decode enable */
#define PIIX3_IDE_BM_BAR 4

#define BM_CMD_START 0x01
#define BM_CMD_READ 0x08        /* direction: 1 = write to memory */
#define BM_STS_ACTIVE 0x01
#define BM_STS_ERROR 0x02
#define BM_STS_INTERRUPT 0x04
#define BM_STS_DRIVE_DMA 0x60   /* drive 0/1 DMA capable, software-set */

struct piix3_ide_channel {
    uint8_t command;            /* BMICx */
    uint8_t status;             /* BMISx */
    uint32_t prd_address;       /* BMIDTPx */
};

struct piix3_ide {
    struct component *comp;
    uint8_t devfn;
    struct pci_device dev;
    struct region *bm_region;
    struct piix3_ide_channel ch[2];
    struct piix3_ide_iface iface;
};

static uint64_t piix3_ide_bm_read(void *opaque, uint64_t offset, unsigned size)
{
    struct piix3_ide *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = (unsigned)offset + i;
        const struct piix3_ide_channel *ch = &s->ch[(off >> 3) & 1];
        uint8_t b = 0;
        switch (off & 7) {
        case 0: b = ch->command; break;
        case 2: b = ch->status; break;
        case 4: case 5: case 6: case 7:
            b = (uint8_t)(ch->prd_address >> (8 * ((off & 7) - 4)));
            break;
        default: b = 0; break;
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void piix3_ide_bm_write_byte(struct piix3_ide *s, unsigned off, uint8_t b)
{
    int channel = (off >> 3) & 1;
    struct piix3_ide_channel *ch = &s->ch[channel];
    switch (off & 7) {
    case 0:
        ch->command = b & (BM_CMD_START | BM_CMD_READ);
        if (s->iface.on_bm_command)
            s->iface.on_bm_command(s->iface.on_bm_command_ctx, channel, ch->command);
        break;
    case 2:
        /* Error and interrupt are write-one-to-clear; DMA-capable bits are
         * plain storage; active belongs to the engine. */
        ch->status &= (uint8_t)~(b & (BM_STS_ERROR | BM_STS_INTERRUPT));
        ch->status = (uint8_t)((ch->status & ~BM_STS_DRIVE_DMA) | (b & BM_STS_DRIVE_DMA));
        break;
    case 4: case 5: case 6: case 7: {
        unsigned shift = 8 * ((off & 7) - 4);
        ch->prd_address &= ~(0xFFu << shift);
        ch->prd_address |= (uint32_t)b << shift;
        ch->prd_address &= ~3u; /* dword aligned */
        break;
    }
    default:
        break;
    }
}

static void piix3_ide_bm_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct piix3_ide *s = opaque;
    for (unsigned i = 0; i < size; i++)
        piix3_ide_bm_write_byte(s, (unsigned)offset + i, (uint8_t)(value >> (8 * i)));
}

static const struct mmio_ops piix3_ide_bm_ops = {
    .read = piix3_ide_bm_read,
    .write = piix3_ide_bm_write,
    .max_access = 4,
};

static bool piix3_ide_decode_enabled(void *opaque, int channel)
{
    struct piix3_ide *s = opaque;
    unsigned reg = PIIX3_IDE_IDETIM + 2u * (channel & 1);
    uint16_t v = (uint16_t)(s->dev.config[reg] | s->dev.config[reg + 1] << 8);
    return (v & PIIX3_IDE_DECODE) != 0;
}

static uint8_t piix3_ide_bm_command(void *opaque, int channel)
{
    struct piix3_ide *s = opaque;
    return s->ch[channel & 1].command;
}

static uint32_t piix3_ide_bm_prd(void *opaque, int channel)
{
    struct piix3_ide *s = opaque;
    return s->ch[channel & 1].prd_address;
}

static void piix3_ide_bm_set_status(void *opaque, int channel, uint8_t mask, uint8_t value)
{
    struct piix3_ide *s = opaque;
    struct piix3_ide_channel *ch = &s->ch[channel & 1];
    ch->status = (uint8_t)((ch->status & ~mask) | (value & mask));
}

static void piix3_ide_init_config(struct piix3_ide *s)
{
    struct pci_device *d = &s->dev;
    pci_device_init(d, s->comp->name, 0x8086, 0x7010, 0x01, 0x01, 0x80, 0x00);
    d->opaque = s;
    /* The IDE function decodes I/O only. */
    d->wmask[PCI_COMMAND] &= (uint8_t)~PCI_COMMAND_MEMORY;
    d->wmask[PIIX3_IDE_IDETIM] = 0xFF;      /* IDETIM primary */
    d->wmask[PIIX3_IDE_IDETIM + 1] = 0xF3;
    d->wmask[PIIX3_IDE_IDETIM + 2] = 0xFF;  /* IDETIM secondary */
    d->wmask[PIIX3_IDE_IDETIM + 3] = 0xF3;
    d->wmask[0x44] = 0xFF;                  /* SIDETIM */
    d->bars[PIIX3_IDE_BM_BAR].type = PCI_BAR_IO;
    d->bars[PIIX3_IDE_BM_BAR].size = 16;
    d->bars[PIIX3_IDE_BM_BAR].region = s->bm_region;
}

static void piix3_ide_reset_config(struct piix3_ide *s)
{
    pci_device_reset(&s->dev);
    memset(&s->dev.config[0x40], 0, 0xC0);
    memset(s->ch, 0, sizeof s->ch);
}

static const struct param_desc piix3_ide_params[] = {
    {"pci-bus", PARAM_COMPONENT, NULL, "host bridge that exports the PCI bus"},
    {"devfn", PARAM_STRING, "1.1", "PCI device.function"},
    {"io", PARAM_SPACE, "io", "I/O space for the bus-master registers (BAR4)"},
    PARAM_END,
};

static int piix3_ide_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct piix3_ide *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    if (pci_parse_devfn(params_string(p, "devfn"), &s->devfn) < 0)
        return params_error(p, "devfn", err, "expected device.function such as 1.1");
    struct addr_space *io = params_space(p, "io");
    if (!io)
        return params_error(p, "io", err, "no such address space");
    /* Unmapped until firmware programs BAR4. */
    s->bm_region = as_add_mmio(io, c, "bus-master", AS_UNMAPPED, 16, &piix3_ide_bm_ops, s, err);
    if (!s->bm_region)
        return -1;
    piix3_ide_init_config(s);
    s->iface = (struct piix3_ide_iface){
        .decode_enabled = piix3_ide_decode_enabled,
        .bm_command = piix3_ide_bm_command,
        .bm_prd_address = piix3_ide_bm_prd,
        .bm_set_status = piix3_ide_bm_set_status,
        .opaque = s,
    };
    component_export(c, "piix3-ide", &s->iface);
    return 0;
}

static int piix3_ide_realize(struct component *c, struct cw_error *err)
{
    struct piix3_ide *s = c->state;
    struct pci_bus *bus = pci_bus_from_param(c, "pci-bus", err);
    if (!bus || pci_device_register(bus, &s->dev, s->devfn, err) < 0)
        return -1;
    piix3_ide_reset_config(s);
    return 0;
}

static void piix3_ide_reset(struct component *c)
{
    piix3_ide_reset_config(c->state);
}

static void piix3_ide_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type piix3_ide_type = {
    .name = "piix3-ide",
    .description = "Intel PIIX3 IDE function: config space, IDETIM, bus-master registers",
    .params = piix3_ide_params,
    .create = piix3_ide_create,
    .realize = piix3_ide_realize,
    .reset = piix3_ide_reset,
    .destroy = piix3_ide_destroy,
};
