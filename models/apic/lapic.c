/* lapic.c: the local APIC of one x86 CPU (xAPIC, memory-mapped at
 * 0xFEE00000). Follows the Intel SDM vol. 3A chapter 10 (Advanced
 * Programmable Interrupt Controller), xAPIC mode only.
 *
 * Registers: ID, version (0x50014: 6 LVT entries, integrated APIC), TPR,
 * APR/PPR (computed), EOI, LDR, DFR, SVR, ISR/TMR/IRR (256 bits each), ESR,
 * ICR, LVT timer/thermal/perf/LINT0/LINT1/error, timer initial/current
 * count and divide configuration. The timer counts the `timer-clock`
 * (the bus clock) divided by the divide configuration; the current count
 * is computed from guest time when read, and one event is scheduled for
 * the next expiry (one-shot or periodic; TSC-deadline mode is not
 * advertised by the CPU). LINT0 in ExtINT mode passes the 8259's INTR
 * through: the acknowledge then runs the 8259's INTA (`extint:`). LINT1
 * in NMI mode drives the "nmi" output. With the APIC globally disabled
 * (IA32_APIC_BASE bit 11 clear) LINT0 and LINT1 are the CPU's INTR and
 * NMI pins as on a processor without an APIC (SDM 10.4.3).
 * Single CPU: IPIs to self (shorthand or own ID) are accepted, INIT and
 * SIPI to others are ignored; INIT to self is not modelled.
 *
 * Interfaces: "intack" (the CPU's interrupt acknowledge) and "lapic"
 * (IA32_APIC_BASE MSR read/write for the CPU, EOI broadcast listener for
 * an I/O APIC, fixed-vector delivery from an I/O APIC). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/clock.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/apic/apic.h"

#define LAPIC_VERSION 0x00050014u /* 6 LVT entries (max LVT 5), version 0x14 */
#define LAPIC_BASE_DEFAULT 0xFEE00000u
#define LAPIC_BASE_BSP 0x100u
#define LAPIC_BASE_ENABLE 0x800u

#define LAPIC_LVT_MASKED 0x10000u
#define LAPIC_LVT_PENDING 0x1000u /* delivery status */
#define LAPIC_LVT_LEVEL 0x8000u
#define LAPIC_LVT_REMOTE_IRR 0x4000u
#define LAPIC_TIMER_PERIODIC 0x20000u
#define LAPIC_SVR_ENABLE 0x100u

enum lapic_lvt {
    LAPIC_LVT_TIMER,
    LAPIC_LVT_THERMAL,
    LAPIC_LVT_PERF,
    LAPIC_LVT_LINT0,
    LAPIC_LVT_LINT1,
    LAPIC_LVT_ERROR,
    LAPIC_LVT_COUNT
};

enum lapic_delivery {
    LAPIC_DM_FIXED = 0,
    LAPIC_DM_LOWEST = 1,
    LAPIC_DM_SMI = 2,
    LAPIC_DM_NMI = 4,
    LAPIC_DM_INIT = 5,
    LAPIC_DM_STARTUP = 6,
    LAPIC_DM_EXTINT = 7,
};

/* ESR bits (SDM 10.5.3) */
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR 0x20u
#define LAPIC_ESR_RECV_ILLEGAL_VECTOR 0x40u
#define LAPIC_ESR_ILLEGAL_REGISTER 0x80u

struct lapic {
    struct component *comp;
    struct sim *sim;
    struct clock_domain timer_clock;

    uint64_t apic_base;      /* IA32_APIC_BASE */
    uint32_t id;
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr, esr_pending;
    uint32_t icr_low, icr_high;
    uint32_t lvt[LAPIC_LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8];

    /* timer: counting since `timer_start` (a timer-clock cycle number) */
    uint32_t initial_count;
    uint32_t divide_config;
    uint64_t timer_start;
    bool timer_running;
    struct event timer_event;

    int lint_level[2];
    struct signal *int_out;
    struct signal *nmi_out;
    const char *extint_name;
    struct intack_iface *extint; /* the 8259 behind LINT0 in ExtINT mode */

    struct region *mmio;
    struct intack_iface intack;
    struct lapic_iface iface;

    uint64_t stat_delivered, stat_timer, stat_eoi, stat_extint;
};

extern const struct component_type lapic_type;

/* --- 256-bit registers ------------------------------------------------------ */

static bool lapic_bit(const uint32_t *reg, unsigned v)
{
    return reg[v >> 5] >> (v & 31) & 1;
}

static void lapic_set_bit(uint32_t *reg, unsigned v, bool on)
{
    if (on)
        reg[v >> 5] |= 1u << (v & 31);
    else
        reg[v >> 5] &= ~(1u << (v & 31));
}

/* Highest set vector, or -1. */
static int lapic_highest(const uint32_t *reg)
{
    for (int w = 7; w >= 0; w--)
        if (reg[w])
            return w * 32 + 31 - __builtin_clz(reg[w]);
    return -1;
}

/* --- state queries ------------------------------------------------------------ */

static bool lapic_hw_enabled(const struct lapic *s)
{
    return (s->apic_base & LAPIC_BASE_ENABLE) != 0;
}

static bool lapic_sw_enabled(const struct lapic *s)
{
    return lapic_hw_enabled(s) && (s->svr & LAPIC_SVR_ENABLE);
}

/* Processor priority (SDM 10.8.3.1): the higher of TPR and the ISR's class. */
static uint32_t lapic_ppr(const struct lapic *s)
{
    int isrv = lapic_highest(s->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    uint32_t tpr_class = s->tpr & 0xF0;
    return tpr_class >= isr_class ? s->tpr & 0xFF : isr_class;
}

static unsigned lapic_lvt_mode(uint32_t lvt)
{
    return (lvt >> 8) & 7;
}

/* LINT0 hands the 8259's INTR to the CPU (ExtINT, unmasked, or APIC off). */
static bool lapic_extint_pending(const struct lapic *s)
{
    if (!s->lint_level[0])
        return false;
    if (!lapic_hw_enabled(s))
        return true;
    uint32_t lvt = s->lvt[LAPIC_LVT_LINT0];
    return !(lvt & LAPIC_LVT_MASKED) && lapic_lvt_mode(lvt) == LAPIC_DM_EXTINT;
}

/* The vector the CPU would take now, or -1 (IRR above PPR, SDM 10.8.3). */
static int lapic_deliverable(const struct lapic *s)
{
    int v = lapic_highest(s->irr);
    if (v < 0)
        return -1;
    if (((uint32_t)v & 0xF0) <= (lapic_ppr(s) & 0xF0))
        return -1;
    return v;
}

static void lapic_update_output(struct lapic *s)
{
    signal_set(s->int_out, lapic_extint_pending(s) || lapic_deliverable(s) >= 0);
}

/* --- accepting interrupts ---------------------------------------------------------- */

static void lapic_error(struct lapic *s, uint32_t bits)
{
    s->esr_pending |= bits;
    uint32_t lvt = s->lvt[LAPIC_LVT_ERROR];
    if (!(lvt & LAPIC_LVT_MASKED) && (lvt & 0xFF) >= 16) {
        lapic_set_bit(s->irr, lvt & 0xFF, true);
        lapic_set_bit(s->tmr, lvt & 0xFF, false);
    }
}

/* A fixed interrupt arrives (from an LVT, an IPI or the I/O APIC). Vectors
 * 0-15 are illegal (SDM 10.5.2: "receive illegal vector"). */
static void lapic_accept_fixed(struct lapic *s, unsigned vector, bool level)
{
    vector &= 0xFF;
    if (!lapic_hw_enabled(s))
        return;
    if (vector < 16) {
        lapic_error(s, LAPIC_ESR_RECV_ILLEGAL_VECTOR);
    } else {
        lapic_set_bit(s->irr, vector, true);
        lapic_set_bit(s->tmr, vector, level);
    }
    lapic_update_output(s);
}

static void lapic_deliver_nmi(struct lapic *s)
{
    /* an edge on the CPU's NMI input */
    signal_set(s->nmi_out, 1);
    signal_set(s->nmi_out, 0);
}

/* Delivers through an LVT entry (timer, error, LINT). */
static void lapic_lvt_fire(struct lapic *s, enum lapic_lvt which)
{
    uint32_t lvt = s->lvt[which];
    if (lvt & LAPIC_LVT_MASKED)
        return;
    switch (lapic_lvt_mode(lvt)) {
    case LAPIC_DM_FIXED:
        lapic_accept_fixed(s, lvt & 0xFF, (lvt & LAPIC_LVT_LEVEL) && which != LAPIC_LVT_TIMER);
        break;
    case LAPIC_DM_NMI:
        lapic_deliver_nmi(s);
        break;
    default:
        break; /* SMI, INIT: not modelled; ExtINT handled by the output */
    }
}

/* --- timer ------------------------------------------------------------------------- */

static unsigned lapic_timer_shift(const struct lapic *s)
{
    /* bits 3,1,0: 000 = /2 ... 110 = /128, 111 = /1 (SDM figure 10-10) */
    unsigned code = (s->divide_config & 3) | ((s->divide_config >> 1) & 4);
    return code == 7 ? 0 : code + 1;
}

static uint64_t lapic_timer_now(const struct lapic *s)
{
    return clock_time_to_cycles(&s->timer_clock, sim_now(s->sim));
}

/* Divided ticks since the count was loaded. */
static uint64_t lapic_timer_ticks(const struct lapic *s)
{
    return (lapic_timer_now(s) - s->timer_start) >> lapic_timer_shift(s);
}

static uint32_t lapic_current_count(const struct lapic *s)
{
    if (!s->timer_running || s->initial_count == 0)
        return 0;
    uint64_t t = lapic_timer_ticks(s);
    if (s->lvt[LAPIC_LVT_TIMER] & LAPIC_TIMER_PERIODIC)
        return s->initial_count - (uint32_t)(t % s->initial_count);
    return t >= s->initial_count ? 0 : s->initial_count - (uint32_t)t;
}

/* Schedules the event for the next time the count reaches zero. */
static void lapic_timer_schedule(struct lapic *s)
{
    event_cancel(s->sim, &s->timer_event);
    if (!s->timer_running || s->initial_count == 0)
        return;
    uint64_t t = lapic_timer_ticks(s);
    uint64_t n = s->initial_count;
    uint64_t next; /* in divided ticks since the load */
    if (s->lvt[LAPIC_LVT_TIMER] & LAPIC_TIMER_PERIODIC) {
        next = (t / n + 1) * n;
    } else {
        if (t >= n) {
            s->timer_running = false;
            return;
        }
        next = n;
    }
    uint64_t cycle = s->timer_start + (next << lapic_timer_shift(s));
    event_schedule(s->sim, &s->timer_event, clock_cycles_to_time(&s->timer_clock, cycle),
                   EVENT_PRIO_DEFAULT);
}

static void lapic_timer_expired(struct event *ev, void *opaque)
{
    struct lapic *s = opaque;
    s->stat_timer++;
    lapic_lvt_fire(s, LAPIC_LVT_TIMER);
    if (!(s->lvt[LAPIC_LVT_TIMER] & LAPIC_TIMER_PERIODIC)) {
        s->timer_running = false;
        return;
    }
    lapic_timer_schedule(s);
}

static void lapic_timer_load(struct lapic *s, uint32_t count)
{
    s->initial_count = count;
    s->timer_start = lapic_timer_now(s);
    s->timer_running = count != 0;
    lapic_timer_schedule(s);
}

/* --- EOI and ICR ------------------------------------------------------------------- */

static void lapic_eoi(struct lapic *s)
{
    int v = lapic_highest(s->isr);
    if (v < 0)
        return;
    s->stat_eoi++;
    lapic_set_bit(s->isr, (unsigned)v, false);
    /* Level-triggered: the EOI is broadcast to the I/O APICs (SDM 10.8.5). */
    if (lapic_bit(s->tmr, (unsigned)v) && s->iface.eoi_listener)
        s->iface.eoi_listener(s->iface.eoi_ctx, (unsigned)v);
    lapic_update_output(s);
}

static void lapic_write_icr(struct lapic *s, uint32_t value)
{
    s->icr_low = value & ~LAPIC_LVT_PENDING; /* delivered at once: idle */
    unsigned mode = (value >> 8) & 7;
    unsigned shorthand = (value >> 18) & 3;
    unsigned dest = s->icr_high >> 24;
    bool physical = !(value & 0x800);
    bool to_self = shorthand == 1 || shorthand == 2 ||
                   (shorthand == 0 && physical && (dest == s->id >> 24 || dest == 0xFF)) ||
                   (shorthand == 0 && !physical && (dest & (s->ldr >> 24)));
    if (!to_self)
        return; /* no other processors */
    switch (mode) {
    case LAPIC_DM_FIXED:
    case LAPIC_DM_LOWEST:
        if ((value & 0xFF) < 16) {
            lapic_error(s, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
            lapic_update_output(s);
            return;
        }
        lapic_accept_fixed(s, value & 0xFF, false);
        break;
    case LAPIC_DM_NMI:
        lapic_deliver_nmi(s);
        break;
    default:
        break; /* INIT, SIPI, SMI to self: not modelled */
    }
}

/* --- register file ------------------------------------------------------------------------ */

static uint32_t lapic_read_reg(struct lapic *s, unsigned reg)
{
    switch (reg) {
    case 0x02: return s->id;
    case 0x03: return LAPIC_VERSION;
    case 0x08: return s->tpr;
    case 0x09: return 0; /* APR: arbitration not modelled */
    case 0x0A: return lapic_ppr(s);
    case 0x0B: return 0; /* EOI is write-only */
    case 0x0D: return s->ldr;
    case 0x0E: return s->dfr;
    case 0x0F: return s->svr;
    case 0x28: return s->esr;
    case 0x30: return s->icr_low;
    case 0x31: return s->icr_high;
    case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37:
        return s->lvt[reg - 0x32];
    case 0x38: return s->initial_count;
    case 0x39: return lapic_current_count(s);
    case 0x3E: return s->divide_config;
    default:
        break;
    }
    if (reg >= 0x10 && reg < 0x18)
        return s->isr[reg - 0x10];
    if (reg >= 0x18 && reg < 0x20)
        return s->tmr[reg - 0x18];
    if (reg >= 0x20 && reg < 0x28)
        return s->irr[reg - 0x20];
    return 0;
}

static void lapic_write_lvt(struct lapic *s, enum lapic_lvt which, uint32_t value)
{
    static const uint32_t writable[LAPIC_LVT_COUNT] = {
        [LAPIC_LVT_TIMER] = 0x300FF | LAPIC_LVT_MASKED,
        [LAPIC_LVT_THERMAL] = 0x107FF,
        [LAPIC_LVT_PERF] = 0x107FF,
        [LAPIC_LVT_LINT0] = 0x1A7FF,
        [LAPIC_LVT_LINT1] = 0x1A7FF,
        [LAPIC_LVT_ERROR] = 0x100FF,
    };
    uint32_t keep = s->lvt[which] & (LAPIC_LVT_REMOTE_IRR | LAPIC_LVT_PENDING);
    value &= writable[which];
    if (!lapic_sw_enabled(s))
        value |= LAPIC_LVT_MASKED; /* SDM 10.4.7.2: masks cannot be cleared */
    if (which == LAPIC_LVT_TIMER)
        value &= ~0x40000u; /* TSC-deadline mode is not advertised */
    s->lvt[which] = value | keep;
    if (which == LAPIC_LVT_TIMER)
        lapic_timer_schedule(s);
}

static void lapic_write_reg(struct lapic *s, unsigned reg, uint32_t value)
{
    switch (reg) {
    case 0x02: s->id = value & 0xFF000000u; return;
    case 0x08: s->tpr = value & 0xFF; break;
    case 0x0B: lapic_eoi(s); return;
    case 0x0D: s->ldr = value & 0xFF000000u; return;
    case 0x0E: s->dfr = value | 0x0FFFFFFFu; return;
    case 0x0F:
        s->svr = value & 0x13FF;
        if (!(s->svr & LAPIC_SVR_ENABLE))
            for (int i = 0; i < LAPIC_LVT_COUNT; i++)
                s->lvt[i] |= LAPIC_LVT_MASKED;
        break;
    case 0x28:
        /* a write moves the errors seen since the last write into ESR */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return;
    case 0x30: lapic_write_icr(s, value); return;
    case 0x31: s->icr_high = value & 0xFF000000u; return;
    case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37:
        lapic_write_lvt(s, (enum lapic_lvt)(reg - 0x32), value);
        break;
    case 0x38: lapic_timer_load(s, value); return;
    case 0x3E: {
        /* keep the count where it is across a change of the divider */
        uint32_t cur = lapic_current_count(s);
        bool periodic = s->lvt[LAPIC_LVT_TIMER] & LAPIC_TIMER_PERIODIC;
        s->divide_config = value & 0xB;
        if (s->timer_running) {
            uint64_t done = (uint64_t)(s->initial_count - cur) << lapic_timer_shift(s);
            s->timer_start = lapic_timer_now(s) - done;
            (void)periodic;
            lapic_timer_schedule(s);
        }
        return;
    }
    default:
        if (reg == 0x03 || reg == 0x09 || reg == 0x0A || reg == 0x39 ||
            (reg >= 0x10 && reg < 0x28))
            return; /* read-only */
        lapic_error(s, LAPIC_ESR_ILLEGAL_REGISTER);
        break;
    }
    lapic_update_output(s);
}

static uint64_t lapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct lapic *s = opaque;
    /* registers are 32 bits on 16-byte boundaries */
    uint32_t v = lapic_read_reg(s, (unsigned)(offset >> 4));
    unsigned shift = (unsigned)(offset & 3) * 8;
    return (offset & 15) < 4 ? v >> shift : 0;
}

static void lapic_mmio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct lapic *s = opaque;
    if ((offset & 15) != 0)
        return; /* only aligned 32-bit writes reach a register */
    lapic_write_reg(s, (unsigned)(offset >> 4), (uint32_t)value);
}

static const struct mmio_ops lapic_ops = {
    .read = lapic_mmio_read,
    .write = lapic_mmio_write,
    .max_access = 4,
};

/* --- interfaces -------------------------------------------------------------------------- */

static int lapic_acknowledge(void *opaque)
{
    struct lapic *s = opaque;
    int v = lapic_deliverable(s);
    if (v >= 0) {
        lapic_set_bit(s->irr, (unsigned)v, false);
        lapic_set_bit(s->isr, (unsigned)v, true);
        s->stat_delivered++;
        lapic_update_output(s);
        return v;
    }
    if (lapic_extint_pending(s) && s->extint) {
        s->stat_extint++;
        int vec = s->extint->acknowledge(s->extint->opaque);
        lapic_update_output(s);
        return vec;
    }
    /* nothing above PPR any more: the spurious vector, no ISR bit */
    return (int)(s->svr & 0xFF);
}

static uint64_t lapic_iface_base_read(void *opaque)
{
    struct lapic *s = opaque;
    return s->apic_base;
}

static void lapic_iface_base_write(void *opaque, uint64_t value)
{
    struct lapic *s = opaque;
    bool was = lapic_hw_enabled(s);
    s->apic_base = (value & 0xFFFFFF800ull) | (s->apic_base & LAPIC_BASE_BSP) |
                   (value & LAPIC_BASE_ENABLE);
    if (was && !lapic_hw_enabled(s)) {
        /* SDM 10.4.3: disabling resets the APIC to its power-up state */
        memset(s->irr, 0, sizeof s->irr);
        memset(s->isr, 0, sizeof s->isr);
        memset(s->tmr, 0, sizeof s->tmr);
        s->svr = 0xFF;
        for (int i = 0; i < LAPIC_LVT_COUNT; i++)
            s->lvt[i] = LAPIC_LVT_MASKED;
        s->timer_running = false;
        event_cancel(s->sim, &s->timer_event);
    }
    region_move(s->mmio, s->apic_base & 0xFFFFFF000ull);
    region_set_enabled(s->mmio, lapic_hw_enabled(s));
    lapic_update_output(s);
}

static void lapic_iface_deliver(void *opaque, unsigned vector, bool level)
{
    lapic_accept_fixed(opaque, vector, level);
}

static void lapic_lint(void *opaque, int line, int level)
{
    struct lapic *s = opaque;
    level = level != 0;
    int was = s->lint_level[line];
    s->lint_level[line] = level;
    if (line == 0) {
        lapic_update_output(s);
        return;
    }
    if (!lapic_hw_enabled(s)) {
        signal_set(s->nmi_out, level); /* through to the CPU's NMI pin */
        return;
    }
    if (level && !was)
        lapic_lvt_fire(s, LAPIC_LVT_LINT1);
}

/* --- component ---------------------------------------------------------------------------- */

static const struct param_desc lapic_params[] = {
    {"space", PARAM_SPACE, "memory", "address space of the xAPIC registers"},
    {"apic-id", PARAM_U64, "0", "initial APIC ID"},
    {"timer-clock", PARAM_FREQ, "1GHz", "bus clock the timer divides"},
    {"extint", PARAM_COMPONENT, NULL, "8259 whose INTR arrives on LINT0 (exports intack)",
     true},
    PARAM_END,
};

static void lapic_reset(struct component *c)
{
    struct lapic *s = c->state;
    s->apic_base = LAPIC_BASE_DEFAULT | LAPIC_BASE_BSP | LAPIC_BASE_ENABLE;
    s->tpr = s->ldr = 0;
    s->dfr = 0xFFFFFFFFu;
    s->svr = 0xFF;
    s->esr = s->esr_pending = 0;
    s->icr_low = s->icr_high = 0;
    for (int i = 0; i < LAPIC_LVT_COUNT; i++)
        s->lvt[i] = LAPIC_LVT_MASKED;
    memset(s->irr, 0, sizeof s->irr);
    memset(s->isr, 0, sizeof s->isr);
    memset(s->tmr, 0, sizeof s->tmr);
    s->initial_count = 0;
    s->divide_config = 0;
    s->timer_running = false;
    event_cancel(s->sim, &s->timer_event);
    region_move(s->mmio, LAPIC_BASE_DEFAULT);
    region_set_enabled(s->mmio, true);
    lapic_update_output(s);
}

static int lapic_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct lapic *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;

    uint64_t id = 0, num = 0, den = 0;
    params_u64(p, "apic-id", &id);
    if (id > 0xFF)
        return params_error(p, "apic-id", err, "an xAPIC ID, 0..255");
    s->id = (uint32_t)id << 24;
    params_freq(p, "timer-clock", &num, &den);
    if (clock_init(&s->timer_clock, c->name, num, den) != 0)
        return params_error(p, "timer-clock", err, "not a usable frequency");
    if (params_has(p, "extint"))
        s->extint_name = params_string(p, "extint");

    struct addr_space *mem = params_space(p, "space");
    s->mmio = as_add_mmio(mem, c, c->name, LAPIC_BASE_DEFAULT, 0x1000, &lapic_ops, s, err);
    if (!s->mmio)
        return -1;
    s->int_out = signal_create(c->sim, c, "int");
    s->nmi_out = signal_create(c->sim, c, "nmi");
    if (signal_input_register(c->sim, c, "lint0", lapic_lint, s, 0) < 0 ||
        signal_input_register(c->sim, c, "lint1", lapic_lint, s, 1) < 0)
        return cw_errorf(err, "%s: cannot register the LINT inputs", c->name);
    event_init(c->sim, &s->timer_event, "lapic-timer", lapic_timer_expired, s);

    s->intack.acknowledge = lapic_acknowledge;
    s->intack.opaque = s;
    component_export(c, "intack", &s->intack);
    s->iface.base_read = lapic_iface_base_read;
    s->iface.base_write = lapic_iface_base_write;
    s->iface.deliver = lapic_iface_deliver;
    s->iface.opaque = s;
    component_export(c, "lapic", &s->iface);

    stat_register(c, "delivered", "APIC vectors acknowledged by the CPU", &s->stat_delivered);
    stat_register(c, "extint", "8259 vectors passed through LINT0", &s->stat_extint);
    stat_register(c, "timer", "timer expiries", &s->stat_timer);
    stat_register(c, "eoi", "EOI writes that retired a vector", &s->stat_eoi);
    return 0;
}

static int lapic_realize(struct component *c, struct cw_error *err)
{
    struct lapic *s = c->state;
    if (!s->extint_name)
        return 0;
    struct component *pic = sim_find_component(c->sim, s->extint_name);
    s->extint = pic ? component_interface(pic, "intack") : NULL;
    if (!s->extint)
        return params_error(c->params, "extint", err,
                            "'%s' does not export an \"intack\" interface", s->extint_name);
    return 0;
}

static void lapic_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type lapic_type = {
    .name = "lapic",
    .description = "local APIC (xAPIC) of one x86 CPU: timer, LVT, EOI, ExtINT on LINT0",
    .params = lapic_params,
    .create = lapic_create,
    .realize = lapic_realize,
    .reset = lapic_reset,
    .destroy = lapic_destroy,
};
