/* ioapic.c: the I/O APIC (82093AA): 24 interrupt pins, each routed by a
 * redirection table entry to a local APIC. Follows the Intel 82093AA I/O
 * Advanced Programmable Interrupt Controller datasheet (290566-001).
 *
 * Registers through IOREGSEL (offset 0x00) and IOWIN (offset 0x10): 0x00
 * IOAPICID, 0x01 IOAPICVER (0x170011: 24 entries, version 0x11), 0x02
 * IOAPICARB, 0x10-0x3F the redirection table (two 32-bit halves each).
 * Edge pins send a message on the rising edge of an unmasked pin; level
 * pins send while the pin is high, set Remote IRR when the local APIC
 * accepts and resend after the EOI broadcast clears it if the pin is still
 * high. Inputs are logical requests (polarity is stored, not applied).
 * Single processor: every message goes to the one local APIC
 * (`lapic:`); the destination field is kept but not decoded. Delivery
 * modes other than fixed and lowest priority (NMI, INIT, ExtINT) are not
 * modelled: such entries deliver nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/apic/apic.h"

#define IOAPIC_PINS 24
#define IOAPIC_VERSION 0x00170011u

#define IOAPIC_MASKED (1ull << 16)
#define IOAPIC_LEVEL (1ull << 15)
#define IOAPIC_REMOTE_IRR (1ull << 14)
#define IOAPIC_POLARITY_LOW (1ull << 13)
#define IOAPIC_PENDING (1ull << 12) /* delivery status */
/* writable bits: vector, delivery mode, destination mode, polarity,
 * trigger mode, mask, destination */
#define IOAPIC_WRITABLE 0xFF0000000001AFFFull

struct ioapic {
    struct component *comp;
    struct sim *sim;
    uint32_t id;
    uint8_t regsel;
    uint64_t redir[IOAPIC_PINS];
    uint32_t pin_level;   /* input levels as wired (before polarity) */
    const char *lapic_name;
    struct lapic_iface *lapic;
    uint64_t stat_messages;
};

extern const struct component_type ioapic_type;

/* Signals in a machine are logical: 1 means the device requests. The
 * polarity bit says how the board wires the pin (PCI INTx# active low, ISA
 * active high); it is stored for the guest but does not invert the logical
 * request, as the firmware's tables and QEMU's model agree. */
static bool ioapic_asserted(const struct ioapic *s, unsigned pin)
{
    return s->pin_level >> pin & 1;
}

static bool ioapic_delivers(uint64_t entry)
{
    unsigned mode = (unsigned)(entry >> 8) & 7;
    return mode == 0 || mode == 1; /* fixed, lowest priority */
}

/* Sends the pin's message to the local APIC. */
static void ioapic_send(struct ioapic *s, unsigned pin)
{
    uint64_t e = s->redir[pin];
    if ((e & IOAPIC_MASKED) || !s->lapic || !ioapic_delivers(e))
        return;
    bool level = (e & IOAPIC_LEVEL) != 0;
    if (level) {
        if (e & IOAPIC_REMOTE_IRR)
            return; /* the previous message is not yet EOIed */
        s->redir[pin] |= IOAPIC_REMOTE_IRR;
    }
    s->stat_messages++;
    s->lapic->deliver(s->lapic->opaque, (unsigned)(e & 0xFF), level);
}

/* A level pin that is asserted and idle sends (again). */
static void ioapic_service_level(struct ioapic *s, unsigned pin)
{
    if ((s->redir[pin] & IOAPIC_LEVEL) && ioapic_asserted(s, pin))
        ioapic_send(s, pin);
}

static void ioapic_input(void *opaque, int line, int level)
{
    struct ioapic *s = opaque;
    unsigned pin = (unsigned)line;
    bool was = ioapic_asserted(s, pin);
    if (level)
        s->pin_level |= 1u << pin;
    else
        s->pin_level &= ~(1u << pin);
    bool now = ioapic_asserted(s, pin);
    if (s->redir[pin] & IOAPIC_LEVEL) {
        ioapic_service_level(s, pin);
        return;
    }
    if (now && !was)
        ioapic_send(s, pin);
}

/* EOI broadcast from the local APIC (82093AA: the EOI message clears Remote
 * IRR of every level entry with that vector). */
static void ioapic_eoi(void *ctx, unsigned vector)
{
    struct ioapic *s = ctx;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = s->redir[pin];
        if ((e & IOAPIC_LEVEL) && (e & IOAPIC_REMOTE_IRR) && (e & 0xFF) == vector) {
            s->redir[pin] &= ~IOAPIC_REMOTE_IRR;
            ioapic_service_level(s, pin);
        }
    }
}

static uint32_t ioapic_read_reg(const struct ioapic *s, uint8_t reg)
{
    switch (reg) {
    case 0x00: return s->id;
    case 0x01: return IOAPIC_VERSION;
    case 0x02: return s->id; /* arbitration ID follows the APIC ID */
    default:
        break;
    }
    if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_PINS) {
        uint64_t e = s->redir[(reg - 0x10) / 2];
        return (uint32_t)((reg & 1) ? e >> 32 : e);
    }
    return 0;
}

static void ioapic_write_reg(struct ioapic *s, uint8_t reg, uint32_t value)
{
    if (reg == 0x00) {
        s->id = value & 0x0F000000u;
        return;
    }
    if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_PINS)
        return; /* version and arbitration are read-only */
    unsigned pin = (unsigned)(reg - 0x10) / 2;
    uint64_t e = s->redir[pin];
    uint64_t v = (reg & 1) ? (e & 0xFFFFFFFFull) | (uint64_t)value << 32
                           : (e & ~0xFFFFFFFFull) | value;
    uint64_t keep = e & (IOAPIC_REMOTE_IRR | IOAPIC_PENDING);
    s->redir[pin] = (v & IOAPIC_WRITABLE) | keep;
    if (!(s->redir[pin] & IOAPIC_LEVEL))
        s->redir[pin] &= ~IOAPIC_REMOTE_IRR;
    /* unmasking an asserted level pin delivers it */
    ioapic_service_level(s, pin);
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ioapic *s = opaque;
    if (offset == 0x00)
        return s->regsel;
    if (offset == 0x10)
        return ioapic_read_reg(s, s->regsel);
    return 0;
}

static void ioapic_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct ioapic *s = opaque;
    if (offset == 0x00)
        s->regsel = (uint8_t)value;
    else if (offset == 0x10)
        ioapic_write_reg(s, s->regsel, (uint32_t)value);
}

static const struct mmio_ops ioapic_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .max_access = 4,
};

static const struct param_desc ioapic_params[] = {
    {"space", PARAM_SPACE, "memory", "address space of the registers"},
    {"base", PARAM_U64, "0xFEC00000", "address of IOREGSEL (IOWIN at +0x10)"},
    {"apic-id", PARAM_U64, "0", "IOAPICID after reset (SeaBIOS's MP table names 0)"},
    {"lapic", PARAM_COMPONENT, NULL, "the local APIC that receives the messages"},
    PARAM_END,
};

static void ioapic_reset(struct component *c)
{
    struct ioapic *s = c->state;
    s->regsel = 0;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        s->redir[pin] = IOAPIC_MASKED;
    uint64_t id = 0;
    params_u64(c->params, "apic-id", &id);
    s->id = (uint32_t)(id & 15) << 24;
}

static int ioapic_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct ioapic *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    uint64_t base = 0, id = 0;
    params_u64(p, "base", &base);
    params_u64(p, "apic-id", &id);
    if (id > 15)
        return params_error(p, "apic-id", err, "a 4-bit I/O APIC ID, 0..15");
    s->lapic_name = params_string(p, "lapic");
    if (!as_add_mmio(params_space(p, "space"), c, c->name, base, 0x20, &ioapic_ops, s, err))
        return -1;
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        char name[16];
        snprintf(name, sizeof name, "pin%d", pin);
        if (signal_input_register(c->sim, c, name, ioapic_input, s, pin) < 0)
            return cw_errorf(err, "%s: cannot register input %s", c->name, name);
    }
    stat_register(c, "messages", "interrupt messages sent to the local APIC",
                  &s->stat_messages);
    return 0;
}

static int ioapic_realize(struct component *c, struct cw_error *err)
{
    struct ioapic *s = c->state;
    struct component *other = sim_find_component(c->sim, s->lapic_name);
    s->lapic = other ? component_interface(other, "lapic") : NULL;
    if (!s->lapic)
        return params_error(c->params, "lapic", err,
                            "'%s' does not export a \"lapic\" interface", s->lapic_name);
    s->lapic->eoi_listener = ioapic_eoi;
    s->lapic->eoi_ctx = s;
    return 0;
}

static void ioapic_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type ioapic_type = {
    .name = "ioapic",
    .description = "82093AA I/O APIC: 24 pins, redirection table, edge/level, remote IRR",
    .params = ioapic_params,
    .create = ioapic_create,
    .realize = ioapic_realize,
    .reset = ioapic_reset,
    .destroy = ioapic_destroy,
};
