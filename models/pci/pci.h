/* pci.h: the PCI bus contract shared by the host bridge and PCI devices.
 * Follows the PCI Local Bus Specification 3.0, chapter 6 (configuration
 * space, base address registers, expansion ROM).
 *
 * The host bridge component (i440fx) owns the bus and exports it as the
 * interface "pci-bus". A PCI device model:
 *   1. creates its regions (MMIO/RAM/ROM) in the memory or I/O space,
 *      disabled (region_set_enabled(r, false));
 *   2. fills a struct pci_device: IDs and class in config[], its BARs with
 *      size, type and region;
 *   3. calls pci_device_register() in realize() with the bus found from its
 *      `pci-bus` parameter.
 * The bus implements BAR sizing (write all ones, read the size mask),
 * moving the regions when a BAR is written, enabling them according to the
 * command register's I/O and memory bits, and the expansion ROM BAR
 * (enable bit 0). Devices hook config writes for their own registers. */
#ifndef CW_PCI_H
#define CW_PCI_H

#include "kernel/bus.h"
#include "kernel/types.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0A
#define PCI_CLASS 0x0B
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2C
#define PCI_SUBSYS_ID 0x2E
#define PCI_ROM_BAR 0x30
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

#define PCI_NUM_BARS 6
#define PCI_ROM_SLOT 6

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM32_PREFETCH };

struct pci_bar {
    enum pci_bar_type type;
    uint64_t size;          /* power of two; I/O >= 4, memory >= 16, ROM >= 2048 */
    struct region *region;  /* moved/enabled by the bus; may be NULL */
};

struct pci_device;

struct pci_device_ops {
    /* Called after the bus applied a configuration write (BARs and command
     * handled already). reg is the byte offset, size 1/2/4. Optional. */
    void (*config_write)(struct pci_device *d, unsigned reg, unsigned size, uint32_t value);
    /* Overrides a read of device-specific registers (>= 0x40); return false
     * to use config[]. Optional. */
    bool (*config_read)(struct pci_device *d, unsigned reg, unsigned size, uint32_t *value);
};

struct pci_device {
    const char *name;
    uint8_t config[256];    /* current configuration space contents */
    uint8_t wmask[256];     /* writable bits of device-specific registers */
    struct pci_bar bars[7]; /* 0-5 BARs, 6 = expansion ROM */
    const struct pci_device_ops *ops;
    void *opaque;
    uint8_t devfn;          /* device << 3 | function, set by register */
    struct pci_bus *bus;
};

/* Prepares config[] (IDs, class, header type 0) and a default wmask: command,
 * latency timer, interrupt line, and BAR/ROM handling by the bus. */
void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor, uint16_t device,
                     uint8_t class_code, uint8_t subclass, uint8_t prog_if, uint8_t revision);

/* Registers at devfn (device << 3 | function). Fails if the slot is taken. */
int pci_device_register(struct pci_bus *bus, struct pci_device *d, uint8_t devfn,
                        struct cw_error *err);

/* The PCI bus named by a device's PARAM_COMPONENT parameter `param`
 * (usually "pci-bus"): looked up in realize(), since the host bridge may be
 * declared later in the machine file. NULL with err filled if that
 * component exports no bus. */
struct component;
struct pci_bus *pci_bus_from_param(struct component *c, const char *param, struct cw_error *err);

/* Parses "1.1" or "01.1" (device.function) or a plain device number. */
int pci_parse_devfn(const char *s, uint8_t *devfn);

/* Configuration access by bus/devfn (the host bridge's 0xCF8/0xCFC). Returns
 * all ones for absent devices. */
uint32_t pci_config_read(struct pci_bus *bus, uint8_t devfn, unsigned reg, unsigned size);
void pci_config_write(struct pci_bus *bus, uint8_t devfn, unsigned reg, unsigned size,
                      uint32_t value);

/* Interrupts: INTA#..INTD# of a device are routed by the ISA bridge (PIIX3
 * PIRQ registers). The device raises its pin with this; the bus forwards it
 * to the router the host bridge was given. */
void pci_set_irq(struct pci_device *d, int level);

/* The router (PIIX3) installs itself: pirq = (device + pin - 1) & 3. */
typedef void (*pci_irq_route_fn)(void *opaque, int pirq, int level);
void pci_bus_set_irq_router(struct pci_bus *bus, pci_irq_route_fn fn, void *opaque);

/* --- extensions by the PCI core (compatible with the contract above) ------
 *
 * The bus itself. The host bridge creates it and exports it as "pci-bus";
 * anything else only ever sees the pointer. */
struct pci_bus *pci_bus_create(const char *name);
void pci_bus_destroy(struct pci_bus *bus);
const char *pci_bus_name(const struct pci_bus *bus);

/* The device registered at devfn, or NULL. */
struct pci_device *pci_bus_device(struct pci_bus *bus, uint8_t devfn);

/* Power-on/reset state of the registers the bus manages: command 0, BARs
 * and expansion ROM unassigned (regions unmapped), interrupt line 0, error
 * bits in status cleared, INTx deasserted. A device calls this from its own
 * reset, then restores its device-specific registers (>= 0x40). */
void pci_device_reset(struct pci_device *d);

/* Current decoded address of BAR i (0-5, or PCI_ROM_SLOT), or
 * PCI_BAR_UNMAPPED when the BAR is not decoded: the command register's
 * I/O or memory bit is clear, the ROM enable bit is clear, the address is
 * 0, or the range is the all-ones sizing pattern / outside the space. */
#define PCI_BAR_UNMAPPED UINT64_MAX
uint64_t pci_bar_address(const struct pci_device *d, int i);

/* PIIX3 IDE function (00:01.1). The PCI core owns its configuration space:
 * the component type "piix3-ide" (models/pci/piix3.c) registers 8086:7010,
 * prog-if 0x80 (legacy ports 0x1F0/0x3F6 IRQ 14, 0x170/0x376 IRQ 15),
 * the IDETIM registers 0x40/0x42 and the bus-master I/O BAR4 (16 bytes:
 * command, status, PRD table pointer per channel, kept as registers).
 * The ATA/ATAPI model (models/ide/) owns the legacy task-file ports and
 * needs nothing from this function to work in PIO mode. If it wants more it
 * takes a `pci-function: ide-fn` parameter and looks up the interface
 * "piix3-ide" below in realize(). */
struct piix3_ide_iface {
    /* IDETIM bit 15 (IDE decode enable) of channel 0 (primary) or 1. */
    bool (*decode_enabled)(void *opaque, int channel);
    /* Bus-master registers of a channel: command (bit 0 start, bit 3
     * direction), status, PRD table address. For a future DMA engine. */
    uint8_t (*bm_command)(void *opaque, int channel);
    uint32_t (*bm_prd_address)(void *opaque, int channel);
    /* Sets status bits (bit 0 active, bit 1 error, bit 2 interrupt) as a
     * DMA engine would; `mask` selects the bits changed. */
    void (*bm_set_status)(void *opaque, int channel, uint8_t mask, uint8_t value);
    /* Called on a write to a channel's bus-master command register. */
    void (*on_bm_command)(void *ctx, int channel, uint8_t command);
    void *on_bm_command_ctx;
    void *opaque;
};

#endif
