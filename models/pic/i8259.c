/* i8259.c: the 8259A programmable interrupt controller, one chip per instance
 * (a PC has two in cascade). Follows the Intel 8259A datasheet (order 231468).
 *
 * Master and slave are two instances of this type. The slave's "int" output
 * is wired to the master's "ir2"; the master names its slave with
 * `slave: pic1` and exports "intack", whose acknowledge() runs the whole INTA
 * sequence: the master resolves priority and, when the winning line is one
 * its ICW3 marks as having a slave, asks the slave whose ICW3 ID matches for
 * the vector (the CAS lines). The PIIX ELCR (edge/level control, ports
 * 0x4D0/0x4D1) is one byte per chip, mapped by the `elcr` parameter.
 *
 * Edge-triggered inputs latch the rising edge in IRR until the request is
 * acknowledged (the kernel's signal_pulse() drives 1 then 0 in the same
 * instant, so a real chip's "IR must stay high until INTA" would lose every
 * pulse). Level-triggered inputs show their current level in IRR. A request
 * that disappears (level line dropped, or masked) between INT and INTA gets
 * the spurious IR7 vector without an ISR bit, as the datasheet specifies.
 * MCS-80/85 mode (uPM = 0) and buffered mode are not modelled: vectors are
 * always delivered in 8086 form (ICW2 T7-T3 plus the level). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"

/* ICW1 */
#define I8259_ICW1_IC4 0x01   /* ICW4 follows */
#define I8259_ICW1_SNGL 0x02  /* single chip: no ICW3 */
#define I8259_ICW1_LTIM 0x08  /* level-triggered mode for the whole chip */
#define I8259_ICW1_SELECT 0x10
/* ICW4 */
#define I8259_ICW4_UPM 0x01   /* 8086 mode */
#define I8259_ICW4_AEOI 0x02  /* automatic end of interrupt */
#define I8259_ICW4_SFNM 0x10  /* special fully nested mode */
/* OCW3 */
#define I8259_OCW3_SELECT 0x08
#define I8259_OCW3_RIS 0x01   /* read ISR (else IRR) when RR set */
#define I8259_OCW3_RR 0x02    /* act on RIS */
#define I8259_OCW3_POLL 0x04
#define I8259_OCW3_SMM 0x20   /* special mask mode value */
#define I8259_OCW3_ESMM 0x40  /* act on SMM */

enum i8259_init_step {
    I8259_READY = 0,   /* initialised: writes to A0=1 are OCW1 */
    I8259_WANT_ICW2,
    I8259_WANT_ICW3,
    I8259_WANT_ICW4,
};

struct i8259 {
    struct component *comp;
    struct sim *sim;

    uint8_t irr;            /* interrupt request register */
    uint8_t isr;            /* in-service register */
    uint8_t imr;            /* interrupt mask register (OCW1) */
    uint8_t input_level;    /* current level of ir0..ir7 */
    uint8_t elcr;           /* PIIX ELCR: 1 = level-triggered line */
    uint8_t elcr_writable;  /* ELCR bits the guest may change */
    uint8_t elcr_reset;     /* ELCR value after reset */

    uint8_t icw1;
    uint8_t vector_base;    /* ICW2 & 0xF8 */
    uint8_t icw3;           /* master: lines with slaves; slave: its ID */
    uint8_t icw4;
    enum i8259_init_step init_step;

    uint8_t lowest_priority;  /* line with the lowest priority (7 after ICW1) */
    bool rotate_on_aeoi;      /* OCW2 "rotate in automatic EOI mode" */
    bool special_mask;        /* OCW3 special mask mode */
    bool read_isr;            /* OCW3 RIS latched: A0=0 reads return ISR */
    bool poll_pending;        /* OCW3 P: the next A0=0 read is a poll */

    bool is_master;           /* not declared a slave (no cascade-irq) */
    const char *slave_name;
    struct i8259 *slave;      /* resolved in realize */
    uint64_t cascade_irq;     /* slave: master line it is wired to (param) */

    struct signal *int_out;
    struct intack_iface intack;

    uint64_t stat_acks;
    uint64_t stat_spurious;
    uint64_t stat_irq[8];
};

extern const struct component_type i8259_type;

/* --- priority resolution ------------------------------------------------- */

static bool i8259_line_is_level(const struct i8259 *s, int line)
{
    return (s->icw1 & I8259_ICW1_LTIM) || (s->elcr >> line & 1);
}

/* Priority rank of a line: 0 is the highest. */
static int i8259_rank(const struct i8259 *s, int line)
{
    return (line - s->lowest_priority - 1) & 7;
}

/* Line of highest priority among the bits of `bits`, or -1. */
static int i8259_highest(const struct i8259 *s, uint8_t bits)
{
    if (!bits)
        return -1;
    for (int r = 0; r < 8; r++) {
        int line = (s->lowest_priority + 1 + r) & 7;
        if (bits >> line & 1)
            return line;
    }
    return -1;
}

static bool i8259_line_has_slave(const struct i8259 *s, int line)
{
    return s->is_master && !(s->icw1 & I8259_ICW1_SNGL) && (s->icw3 >> line & 1);
}

/* The request that would be acknowledged now, or -1: the highest-priority
 * unmasked IRR bit that is of higher priority than everything in service.
 * In special mask mode, masked in-service levels do not block (datasheet,
 * "Special Mask Mode"). In special fully nested mode a cascade line that is
 * in service does not block a new request on the same line. */
static int i8259_pending(const struct i8259 *s)
{
    int req = i8259_highest(s, s->irr & ~s->imr);
    if (req < 0)
        return -1;
    uint8_t in_service = s->isr;
    if (s->special_mask)
        in_service &= ~s->imr;
    int cur = i8259_highest(s, in_service);
    if (cur < 0)
        return req;
    if (i8259_rank(s, req) < i8259_rank(s, cur))
        return req;
    if (req == cur && (s->icw4 & I8259_ICW4_SFNM) && i8259_line_has_slave(s, req))
        return req;
    return -1;
}

static void i8259_update_output(struct i8259 *s)
{
    signal_set(s->int_out, i8259_pending(s) >= 0);
}

/* --- interrupt acknowledge ------------------------------------------------ */

/* The chip's part of INTA: commits the request (IRR to ISR) and returns the
 * line, or -1 for a spurious request (vector IR7, no ISR bit). */
static int i8259_accept(struct i8259 *s)
{
    int line = i8259_pending(s);
    if (line < 0) {
        s->stat_spurious++;
        return -1;
    }
    uint8_t bit = (uint8_t)(1u << line);
    if (!i8259_line_is_level(s, line))
        s->irr &= (uint8_t)~bit;
    if (s->icw4 & I8259_ICW4_AEOI) {
        if (s->rotate_on_aeoi)
            s->lowest_priority = (uint8_t)line;
    } else {
        s->isr |= bit;
    }
    s->stat_acks++;
    s->stat_irq[line]++;
    return line;
}

static int i8259_slave_acknowledge(struct i8259 *slave)
{
    int line = i8259_accept(slave);
    i8259_update_output(slave);
    return slave->vector_base | (line < 0 ? 7 : line);
}

static int i8259_acknowledge(void *opaque)
{
    struct i8259 *s = opaque;
    int line = i8259_accept(s);
    int vector;
    if (line < 0) {
        vector = s->vector_base | 7;
    } else if (i8259_line_has_slave(s, line)) {
        /* The master drives the CAS lines; only a slave whose ICW3 ID
         * matches answers. With none, the data bus floats high. */
        if (s->slave && (s->slave->icw3 & 7) == line)
            vector = i8259_slave_acknowledge(s->slave);
        else
            vector = 0xFF;
    } else {
        vector = s->vector_base | line;
    }
    i8259_update_output(s);
    return vector;
}

/* OCW3 poll: the read acts as an INTA on this chip alone; bit 7 says whether
 * a request was pending, bits 2-0 its level. */
static uint8_t i8259_poll(struct i8259 *s)
{
    int line = i8259_pending(s);
    if (line < 0)
        return 0x00;
    i8259_accept(s);
    i8259_update_output(s);
    return (uint8_t)(0x80 | line);
}

/* --- inputs --------------------------------------------------------------- */

static void i8259_input(void *opaque, int line, int level)
{
    struct i8259 *s = opaque;
    uint8_t bit = (uint8_t)(1u << line);
    bool was_high = s->input_level & bit;
    if (level)
        s->input_level |= bit;
    else
        s->input_level &= (uint8_t)~bit;

    if (i8259_line_is_level(s, line)) {
        s->irr = level ? (s->irr | bit) : (s->irr & (uint8_t)~bit);
    } else if (level && !was_high) {
        s->irr |= bit;
    }
    i8259_update_output(s);
}

/* After the trigger mode of a line changes, IRR of level lines follows the
 * input again; edge lines keep what they latched. */
static void i8259_refresh_level_lines(struct i8259 *s)
{
    for (int line = 0; line < 8; line++) {
        uint8_t bit = (uint8_t)(1u << line);
        if (!i8259_line_is_level(s, line))
            continue;
        s->irr = (s->input_level & bit) ? (s->irr | bit) : (s->irr & (uint8_t)~bit);
    }
}

/* --- command words ---------------------------------------------------------- */

static void i8259_write_icw1(struct i8259 *s, uint8_t value)
{
    s->icw1 = value;
    s->init_step = I8259_WANT_ICW2;
    /* Datasheet, ICW1: the edge sense circuit is reset (an input must make a
     * new low-to-high transition), IMR is cleared, IR7 gets the lowest
     * priority, special mask mode is cleared and status read is set to IRR;
     * with IC4 = 0 all ICW4 functions are zero. */
    s->irr = 0;
    s->imr = 0;
    s->lowest_priority = 7;
    s->special_mask = false;
    s->read_isr = false;
    s->poll_pending = false;
    s->rotate_on_aeoi = false;
    if (!(value & I8259_ICW1_IC4))
        s->icw4 = 0;
    i8259_refresh_level_lines(s);
    i8259_update_output(s);
}

static void i8259_write_ocw2(struct i8259 *s, uint8_t value)
{
    unsigned command = value >> 5; /* R SL EOI */
    int level = value & 7;
    int top = i8259_highest(s, s->isr);
    switch (command) {
    case 1: /* non-specific EOI */
        if (top >= 0)
            s->isr &= (uint8_t)~(1u << top);
        break;
    case 3: /* specific EOI */
        s->isr &= (uint8_t)~(1u << level);
        break;
    case 5: /* rotate on non-specific EOI */
        if (top >= 0) {
            s->isr &= (uint8_t)~(1u << top);
            s->lowest_priority = (uint8_t)top;
        }
        break;
    case 4: /* rotate in automatic EOI mode (set) */
        s->rotate_on_aeoi = true;
        break;
    case 0: /* rotate in automatic EOI mode (clear) */
        s->rotate_on_aeoi = false;
        break;
    case 7: /* rotate on specific EOI */
        s->isr &= (uint8_t)~(1u << level);
        s->lowest_priority = (uint8_t)level;
        break;
    case 6: /* set priority */
        s->lowest_priority = (uint8_t)level;
        break;
    default: /* 2: no operation */
        break;
    }
    i8259_update_output(s);
}

static void i8259_write_ocw3(struct i8259 *s, uint8_t value)
{
    if (value & I8259_OCW3_ESMM)
        s->special_mask = value & I8259_OCW3_SMM;
    if (value & I8259_OCW3_RR)
        s->read_isr = value & I8259_OCW3_RIS;
    /* Datasheet: a poll overrides a status read requested in the same OCW3. */
    s->poll_pending = value & I8259_OCW3_POLL;
    i8259_update_output(s);
}

static void i8259_write_data(struct i8259 *s, uint8_t value)
{
    switch (s->init_step) {
    case I8259_WANT_ICW2:
        s->vector_base = value & 0xF8;
        if (!(s->icw1 & I8259_ICW1_SNGL))
            s->init_step = I8259_WANT_ICW3;
        else if (s->icw1 & I8259_ICW1_IC4)
            s->init_step = I8259_WANT_ICW4;
        else
            s->init_step = I8259_READY;
        break;
    case I8259_WANT_ICW3:
        s->icw3 = value;
        s->init_step = (s->icw1 & I8259_ICW1_IC4) ? I8259_WANT_ICW4 : I8259_READY;
        break;
    case I8259_WANT_ICW4:
        s->icw4 = value;
        s->init_step = I8259_READY;
        break;
    case I8259_READY:
        s->imr = value; /* OCW1 */
        break;
    }
    i8259_update_output(s);
}

/* --- port access -------------------------------------------------------------- */

static uint64_t i8259_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8259 *s = opaque;
    if (offset == 1)
        return s->imr;
    if (s->poll_pending) {
        s->poll_pending = false;
        return i8259_poll(s);
    }
    return s->read_isr ? s->isr : s->irr;
}

static void i8259_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8259 *s = opaque;
    uint8_t v = (uint8_t)value;
    if (offset == 1) {
        i8259_write_data(s, v);
        return;
    }
    if (v & I8259_ICW1_SELECT)
        i8259_write_icw1(s, v);
    else if (v & I8259_OCW3_SELECT)
        i8259_write_ocw3(s, v);
    else
        i8259_write_ocw2(s, v);
}

static const struct mmio_ops i8259_ops = {
    .read = i8259_read,
    .write = i8259_write,
    .max_access = 1,
};

static uint64_t i8259_elcr_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8259 *s = opaque;
    return s->elcr;
}

static void i8259_elcr_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8259 *s = opaque;
    s->elcr = (uint8_t)((s->elcr & ~s->elcr_writable) | (value & s->elcr_writable));
    i8259_refresh_level_lines(s);
    i8259_update_output(s);
}

static const struct mmio_ops i8259_elcr_ops = {
    .read = i8259_elcr_read,
    .write = i8259_elcr_write,
    .max_access = 1,
};

/* --- component ------------------------------------------------------------------ */

static const struct param_desc i8259_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space holding the command and data ports"},
    {"base", PARAM_U64, NULL, "first of the two ports (0x20 master, 0xA0 slave)"},
    {"slave", PARAM_STRING, NULL, "instance of the slave 8259 (makes this chip the master)",
     true},
    {"cascade-irq", PARAM_U64, NULL, "slave: the master's line this chip's int drives", true},
    {"elcr", PARAM_U64, NULL, "port of this chip's ELCR byte (0x4D0 master, 0x4D1 slave)",
     true},
    {"elcr-mask", PARAM_U64, "0xFF",
     "ELCR bits the guest may set (PIIX3: 0xF8 master, 0xDE slave)"},
    {"level-triggered", PARAM_U64, "0", "ELCR value after reset: 1 bits are level-triggered"},
    PARAM_END,
};

static int i8259_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct i8259 *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;

    struct addr_space *io = params_space(p, "space");
    uint64_t base = 0, value = 0;
    params_u64(p, "base", &base);
    if (!as_add_mmio(io, c, c->name, base, 2, &i8259_ops, s, err))
        return -1;

    if (params_has(p, "elcr")) {
        params_u64(p, "elcr", &value);
        char name[128];
        snprintf(name, sizeof name, "%s.elcr", c->name);
        if (!as_add_mmio(io, c, name, value, 1, &i8259_elcr_ops, s, err))
            return -1;
    }
    params_u64(p, "elcr-mask", &value);
    s->elcr_writable = (uint8_t)value;
    params_u64(p, "level-triggered", &value);
    if (value > 0xFF)
        return params_error(p, "level-triggered", err, "a mask of 8 lines, 0..0xFF");
    s->elcr_reset = (uint8_t)value;
    s->elcr = s->elcr_reset;

    /* A chip is a master (it may drive the CAS lines) unless it is declared
     * to be a slave on some master line. */
    s->is_master = !params_has(p, "cascade-irq");
    if (params_has(p, "slave"))
        s->slave_name = params_string(p, "slave");
    if (!s->is_master) {
        params_u64(p, "cascade-irq", &s->cascade_irq);
        if (s->cascade_irq > 7)
            return params_error(p, "cascade-irq", err, "a master line, 0..7");
        if (s->slave_name)
            return params_error(p, "cascade-irq", err,
                                "a chip with a slave cannot itself be a slave here");
    }

    s->int_out = signal_create(c->sim, c, "int");
    for (int line = 0; line < 8; line++) {
        char pin[16];
        snprintf(pin, sizeof pin, "ir%d", line);
        if (signal_input_register(c->sim, c, pin, i8259_input, s, line) < 0)
            return cw_errorf(err, "%s: cannot register input %s", c->name, pin);
    }

    s->intack.acknowledge = i8259_acknowledge;
    s->intack.opaque = s;
    component_export(c, "intack", &s->intack);

    stat_register(c, "acks", "interrupts acknowledged (INTA or poll)", &s->stat_acks);
    stat_register(c, "spurious", "acknowledges that found no request (IR7 vector)",
                  &s->stat_spurious);
    for (int line = 0; line < 8; line++) {
        static const char *const names[8] = {"irq0", "irq1", "irq2", "irq3",
                                              "irq4", "irq5", "irq6", "irq7"};
        stat_register(c, names[line], "acknowledges of this line", &s->stat_irq[line]);
    }
    return 0;
}

static int i8259_realize(struct component *c, struct cw_error *err)
{
    struct i8259 *s = c->state;
    if (!s->slave_name)
        return 0;
    struct component *other = sim_find_component(c->sim, s->slave_name);
    if (!other || other->type != &i8259_type)
        return params_error(c->params, "slave", err, "'%s' is not an i8259 instance",
                            s->slave_name);
    s->slave = other->state;
    return 0;
}

static void i8259_reset(struct component *c)
{
    struct i8259 *s = c->state;
    /* Power-on state is undefined on the chip; this is what software sees
     * before ICW1: nothing pending or in service, nothing masked, IR7 lowest,
     * vector base 0. Input levels are wires, not chip state. */
    s->irr = 0;
    s->isr = 0;
    s->imr = 0;
    s->icw1 = 0;
    s->icw3 = 0;
    s->icw4 = 0;
    s->vector_base = 0;
    s->init_step = I8259_READY;
    s->lowest_priority = 7;
    s->rotate_on_aeoi = false;
    s->special_mask = false;
    s->read_isr = false;
    s->poll_pending = false;
    s->elcr = s->elcr_reset;
    i8259_refresh_level_lines(s);
    i8259_update_output(s);
}

static void i8259_destroy(struct component *c)
{
    free(c->state);
    c->state = NULL;
}

const struct component_type i8259_type = {
    .name = "i8259",
    .description = "Intel 8259A interrupt controller (one chip; cascade two for a PC)",
    .params = i8259_params,
    .create = i8259_create,
    .realize = i8259_realize,
    .reset = i8259_reset,
    .destroy = i8259_destroy,
};
