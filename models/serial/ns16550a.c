/* ns16550a.c: National Semiconductor NS16550A UART with 16-byte FIFOs.
 * Follows the PC16550D datasheet (National/TI SNLS378): registers, DLAB,
 * FIFO control and trigger levels, interrupt priorities, loopback.
 *
 * Timing is lazy. A character occupies the line for (start + data + parity
 * + stop bits) x 16 clocks x divisor; the transmitter remembers when its
 * current busy period ends, so LSR.THRE/TEMT and the FIFO fill are computed
 * from sim_now() on demand. Events exist only where an interrupt must rise
 * at a moment the guest does not cause (THR empty, character timeout) and
 * for receiving host input at the line rate.
 *
 * Host side: bytes the guest transmits go to "chardev" listeners when the
 * transmitter accepts them (the wire timing governs LSR and IIR, not the
 * delivery to the host). Host input is queued and received one character
 * time apart; with `host-flow-control` (default) a full receive FIFO holds
 * the host back instead of overrunning. The interrupt output "irq" is the
 * INTRPT pin gated by MCR.OUT2, as PC serial boards wire it. */
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/iface.h"
#include "kernel/signal.h"
#include "kernel/sim.h"

#define UART_FIFO_SIZE 16
#define UART_HOST_BUF 4096
#define UART_MAX_LISTENERS 8

/* Register offsets. */
#define UART_RBR 0 /* receive buffer (read), THR (write), DLL (DLAB) */
#define UART_IER 1 /* interrupt enable, DLM (DLAB) */
#define UART_IIR 2 /* interrupt identification (read), FCR (write) */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDA 0x01  /* received data available (and timeout) */
#define IER_THRE 0x02 /* transmitter holding register empty */
#define IER_RLS 0x04  /* receiver line status */
#define IER_MS 0x08   /* modem status */

#define IIR_NONE 0x01
#define IIR_MS 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0C
#define IIR_FIFO_ON 0xC0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_STOP2 0x04
#define LCR_PARITY 0x08
#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct uart_listener {
    chardev_out_fn fn;
    void *ctx;
};

struct ns16550a {
    struct component *comp;
    struct sim *sim;
    uint64_t clk_num, clk_den;      /* UART input clock, Hz = num/den */
    bool flow_control;              /* host input waits for FIFO room */
    uint8_t modem_inputs;           /* MSR bits 7:4 outside loopback */
    struct signal *irq;

    /* Registers. */
    uint16_t divisor;               /* DLL/DLM */
    uint8_t ier, lcr, mcr, lsr_errors, msr, scr, fcr;
    bool thri;                      /* THRE interrupt latch */
    uint8_t last_rx;                /* RBR value when the FIFO is empty */

    /* Receiver: FIFO (one entry in 16450 mode). */
    uint8_t rx_fifo[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
    sim_time_t rx_activity;         /* last receive or RBR read (timeout) */

    /* Transmitter: the current busy period of back-to-back characters. */
    sim_time_t tx_busy_until;       /* last character leaves the TSR */
    sim_time_t tx_char_time;        /* character time of the queued ones */
    bool thre_seen;                 /* the empty transition already latched */

    /* Host input waiting to be received. */
    uint8_t host_buf[UART_HOST_BUF];
    unsigned host_head, host_count;

    struct uart_listener listeners[UART_MAX_LISTENERS];
    unsigned nlisteners;
    struct chardev_iface chardev;

    struct event rx_event;          /* next host byte arrives */
    struct event wake_event;        /* THRE or timeout interrupt due */

    uint64_t stat_tx, stat_rx, stat_overruns, stat_tx_dropped, stat_host_dropped;
};

/* --- timing -------------------------------------------------------------------- */

/* One character on the line: start bit, 5-8 data bits, optional parity,
 * 1, 1.5 (5-bit words) or 2 stop bits; 16 clocks per bit. */
static sim_time_t ns16550a_char_time(const struct ns16550a *s)
{
    unsigned data = 5 + (s->lcr & 3);
    unsigned half_bits = 2 * (1 + data + ((s->lcr & LCR_PARITY) ? 1 : 0));
    half_bits += (s->lcr & LCR_STOP2) ? (data == 5 ? 3 : 4) : 2;
    uint64_t divisor = s->divisor ? s->divisor : 65536;
    unsigned __int128 clocks = (unsigned __int128)half_bits * 8 * divisor;
    unsigned __int128 ps = clocks * 1000000000000ull * s->clk_den / s->clk_num;
    return ps ? (sim_time_t)ps : 1;
}

static bool ns16550a_fifo_mode(const struct ns16550a *s)
{
    return (s->fcr & FCR_ENABLE) != 0;
}

/* Characters still in the transmitter (TSR plus FIFO/THR) at time t. */
static unsigned ns16550a_tx_pending(const struct ns16550a *s, sim_time_t t)
{
    if (t >= s->tx_busy_until)
        return 0;
    return (unsigned)((s->tx_busy_until - t + s->tx_char_time - 1) / s->tx_char_time);
}

/* The holding register (or TX FIFO) is empty once at most the character
 * in the shift register remains. */
static bool ns16550a_thr_empty(const struct ns16550a *s, sim_time_t t)
{
    return ns16550a_tx_pending(s, t) <= 1;
}

static sim_time_t ns16550a_thr_empty_time(const struct ns16550a *s)
{
    return s->tx_busy_until > s->tx_char_time ? s->tx_busy_until - s->tx_char_time : 0;
}

/* Latches the THRE interrupt when the holding register has become empty
 * since the last write (datasheet: THRE interrupt source). */
static void ns16550a_sync_tx(struct ns16550a *s, sim_time_t now)
{
    if (!s->thre_seen && ns16550a_thr_empty(s, now)) {
        s->thre_seen = true;
        s->thri = true;
    }
}

/* --- interrupts ------------------------------------------------------------------ */

static unsigned ns16550a_trigger_level(const struct ns16550a *s)
{
    static const unsigned levels[4] = {1, 4, 8, 14};
    return levels[s->fcr >> 6];
}

static sim_time_t ns16550a_timeout_time(const struct ns16550a *s)
{
    return s->rx_activity + 4 * ns16550a_char_time(s);
}

/* The highest-priority pending source, as IIR bits 3:0. */
static uint8_t ns16550a_source(const struct ns16550a *s, sim_time_t now)
{
    if ((s->ier & IER_RLS) && (s->lsr_errors & LSR_ERRORS))
        return IIR_RLS;
    if ((s->ier & IER_RDA) && s->rx_count) {
        if (!ns16550a_fifo_mode(s) || s->rx_count >= ns16550a_trigger_level(s))
            return IIR_RDA;
        if (now >= ns16550a_timeout_time(s))
            return IIR_TIMEOUT;
    }
    if ((s->ier & IER_THRE) && s->thri)
        return IIR_THRE;
    if ((s->ier & IER_MS) && (s->msr & 0x0F))
        return IIR_MS;
    return IIR_NONE;
}

/* Schedules the wake-up for the next interrupt that time alone raises. */
static void ns16550a_schedule_wake(struct ns16550a *s, sim_time_t now)
{
    sim_time_t when = SIM_TIME_MAX;
    if ((s->ier & IER_THRE) && !s->thre_seen)
        when = ns16550a_thr_empty_time(s);
    if ((s->ier & IER_RDA) && ns16550a_fifo_mode(s) && s->rx_count &&
        s->rx_count < ns16550a_trigger_level(s)) {
        sim_time_t t = ns16550a_timeout_time(s);
        if (t > now && t < when)
            when = t;
    }
    if (when == SIM_TIME_MAX) {
        event_cancel(s->sim, &s->wake_event);
        return;
    }
    event_schedule(s->sim, &s->wake_event, when > now ? when : now, EVENT_PRIO_DEFAULT);
}

static void ns16550a_update_irq(struct ns16550a *s)
{
    sim_time_t now = sim_now(s->sim);
    ns16550a_sync_tx(s, now);
    bool pending = ns16550a_source(s, now) != IIR_NONE;
    /* PC wiring: OUT2 enables the interrupt driver; in loopback the
     * modem outputs are forced inactive, so the line is off. */
    bool gate = (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);
    signal_set(s->irq, pending && gate);
    ns16550a_schedule_wake(s, now);
}

static void ns16550a_wake(struct event *ev, void *opaque)
{
    ns16550a_update_irq(opaque);
}

/* --- modem status -------------------------------------------------------------------- */

/* MSR bits 7:4: the loopback wiring of MCR, or the host-side inputs. */
static uint8_t ns16550a_modem_lines(const struct ns16550a *s)
{
    if (!(s->mcr & MCR_LOOP))
        return s->modem_inputs;
    uint8_t v = 0;
    if (s->mcr & MCR_RTS)
        v |= MSR_CTS;
    if (s->mcr & MCR_DTR)
        v |= MSR_DSR;
    if (s->mcr & MCR_OUT1)
        v |= MSR_RI;
    if (s->mcr & MCR_OUT2)
        v |= MSR_DCD;
    return v;
}

/* Updates MSR with delta bits for changed lines (RI: trailing edge only). */
static void ns16550a_update_msr(struct ns16550a *s)
{
    uint8_t old = s->msr & 0xF0;
    uint8_t now = ns16550a_modem_lines(s);
    uint8_t changed = old ^ now;
    uint8_t delta = s->msr & 0x0F;
    if (changed & MSR_CTS)
        delta |= MSR_DCTS;
    if (changed & MSR_DSR)
        delta |= MSR_DDSR;
    if ((changed & MSR_RI) && !(now & MSR_RI))
        delta |= MSR_TERI;
    if (changed & MSR_DCD)
        delta |= MSR_DDCD;
    s->msr = now | delta;
}

/* --- receiver ------------------------------------------------------------------------ */

static unsigned ns16550a_rx_capacity(const struct ns16550a *s)
{
    return ns16550a_fifo_mode(s) ? UART_FIFO_SIZE : 1;
}

/* A character arrives at the receiver. Returns false if there was no room
 * (the caller decides between overrun and waiting). */
static bool ns16550a_receive(struct ns16550a *s, uint8_t b, bool may_overrun)
{
    if (s->rx_count >= ns16550a_rx_capacity(s)) {
        if (!may_overrun)
            return false;
        /* Overrun: the FIFO keeps its contents, the new character is lost
         * (16450 mode: the RBR keeps the old one too). */
        s->lsr_errors |= LSR_OE;
        s->stat_overruns++;
        return true;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = b;
    s->rx_count++;
    s->rx_activity = sim_now(s->sim);
    s->stat_rx++;
    return true;
}

static void ns16550a_rx_clear(struct ns16550a *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
}

static void ns16550a_schedule_rx(struct ns16550a *s, sim_time_t delay)
{
    if (s->host_count && !event_pending(&s->rx_event))
        event_schedule_in(s->sim, &s->rx_event, delay, EVENT_PRIO_DEFAULT);
}

/* One host byte reaches the receiver per character time. In loopback the
 * receiver listens to the transmitter, so host bytes wait. */
static void ns16550a_rx_tick(struct event *ev, void *opaque)
{
    struct ns16550a *s = opaque;
    sim_time_t t = ns16550a_char_time(s);
    if (!s->host_count)
        return;
    if (!(s->mcr & MCR_LOOP)) {
        uint8_t b = s->host_buf[s->host_head];
        if (ns16550a_receive(s, b, !s->flow_control)) {
            s->host_head = (s->host_head + 1) % UART_HOST_BUF;
            s->host_count--;
            ns16550a_update_irq(s);
        }
    }
    ns16550a_schedule_rx(s, t);
}

static uint8_t ns16550a_read_rbr(struct ns16550a *s)
{
    if (s->rx_count) {
        s->last_rx = s->rx_fifo[s->rx_head];
        s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
        s->rx_count--;
    }
    s->rx_activity = sim_now(s->sim);
    ns16550a_update_irq(s);
    return s->last_rx;
}

/* --- transmitter ------------------------------------------------------------------- */

static void ns16550a_emit(struct ns16550a *s, uint8_t b)
{
    for (unsigned i = 0; i < s->nlisteners; i++)
        s->listeners[i].fn(s->listeners[i].ctx, &b, 1);
}

static void ns16550a_write_thr(struct ns16550a *s, uint8_t b)
{
    sim_time_t now = sim_now(s->sim);
    ns16550a_sync_tx(s, now);
    unsigned capacity = 1 + (ns16550a_fifo_mode(s) ? UART_FIFO_SIZE : 1);
    /* Writing THR clears the THRE interrupt (datasheet table IV). */
    s->thri = false;
    if (ns16550a_tx_pending(s, now) >= capacity) {
        s->stat_tx_dropped++; /* FIFO full: the character is lost */
        ns16550a_update_irq(s);
        return;
    }
    sim_time_t t = ns16550a_char_time(s);
    sim_time_t start = s->tx_busy_until > now ? s->tx_busy_until : now;
    if (start == now)
        s->tx_char_time = t;
    s->tx_busy_until = start + s->tx_char_time;
    s->thre_seen = false;
    s->stat_tx++;
    if (s->mcr & MCR_LOOP)
        ns16550a_receive(s, b, true);
    else
        ns16550a_emit(s, b);
    ns16550a_update_irq(s);
}

/* --- registers ------------------------------------------------------------------------ */

static uint8_t ns16550a_read_iir(struct ns16550a *s)
{
    sim_time_t now = sim_now(s->sim);
    ns16550a_sync_tx(s, now);
    uint8_t src = ns16550a_source(s, now);
    /* Reading IIR clears the THRE interrupt if it is the one reported. */
    if (src == IIR_THRE)
        s->thri = false;
    uint8_t v = src | (ns16550a_fifo_mode(s) ? IIR_FIFO_ON : 0);
    ns16550a_update_irq(s);
    return v;
}

static uint8_t ns16550a_read_lsr(struct ns16550a *s)
{
    sim_time_t now = sim_now(s->sim);
    uint8_t v = s->lsr_errors;
    if (s->rx_count)
        v |= LSR_DR;
    if (ns16550a_thr_empty(s, now))
        v |= LSR_THRE;
    if (ns16550a_tx_pending(s, now) == 0)
        v |= LSR_TEMT;
    /* Reading LSR clears the error bits (and the line status interrupt). */
    s->lsr_errors = 0;
    ns16550a_update_irq(s);
    return v;
}

static uint8_t ns16550a_read_msr(struct ns16550a *s)
{
    uint8_t v = s->msr;
    s->msr &= 0xF0;
    ns16550a_update_irq(s);
    return v;
}

static uint64_t ns16550a_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ns16550a *s = opaque;
    bool dlab = s->lcr & LCR_DLAB;
    switch (offset) {
    case UART_RBR: return dlab ? (s->divisor & 0xFF) : ns16550a_read_rbr(s);
    case UART_IER: return dlab ? (s->divisor >> 8) : s->ier;
    case UART_IIR: return ns16550a_read_iir(s);
    case UART_LCR: return s->lcr;
    case UART_MCR: return s->mcr;
    case UART_LSR: return ns16550a_read_lsr(s);
    case UART_MSR: return ns16550a_read_msr(s);
    case UART_SCR: return s->scr;
    default: return 0xFF;
    }
}

static void ns16550a_write_ier(struct ns16550a *s, uint8_t v)
{
    uint8_t old = s->ier;
    s->ier = v & 0x0F;
    /* Enabling ETBEI while THR is empty raises the THRE interrupt. */
    if (!(old & IER_THRE) && (s->ier & IER_THRE) &&
        ns16550a_thr_empty(s, sim_now(s->sim)))
        s->thri = true;
    ns16550a_update_irq(s);
}

static void ns16550a_tx_clear(struct ns16550a *s)
{
    sim_time_t now = sim_now(s->sim);
    /* The character in the shift register finishes; the FIFO is dropped. */
    if (ns16550a_tx_pending(s, now) > 1) {
        sim_time_t in_tsr_end = s->tx_busy_until;
        while (in_tsr_end - s->tx_char_time > now)
            in_tsr_end -= s->tx_char_time;
        s->tx_busy_until = in_tsr_end;
    }
}

static void ns16550a_write_fcr(struct ns16550a *s, uint8_t v)
{
    bool was_fifo = ns16550a_fifo_mode(s);
    bool fifo = v & FCR_ENABLE;
    if (fifo != was_fifo) {
        /* Changing the FIFO enable resets both FIFOs. */
        ns16550a_rx_clear(s);
        ns16550a_tx_clear(s);
    }
    if (fifo && (v & FCR_CLEAR_RX))
        ns16550a_rx_clear(s);
    if (fifo && (v & FCR_CLEAR_TX))
        ns16550a_tx_clear(s);
    s->fcr = fifo ? (v & 0xC9) : 0;
    ns16550a_update_irq(s);
}

static void ns16550a_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct ns16550a *s = opaque;
    uint8_t v = (uint8_t)value;
    bool dlab = s->lcr & LCR_DLAB;
    switch (offset) {
    case UART_RBR:
        if (dlab)
            s->divisor = (uint16_t)((s->divisor & 0xFF00) | v);
        else
            ns16550a_write_thr(s, v);
        break;
    case UART_IER:
        if (dlab)
            s->divisor = (uint16_t)((s->divisor & 0x00FF) | v << 8);
        else
            ns16550a_write_ier(s, v);
        break;
    case UART_IIR:
        ns16550a_write_fcr(s, v);
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1F;
        ns16550a_update_msr(s);
        ns16550a_update_irq(s);
        break;
    case UART_LSR:
        break; /* factory test register: writes ignored */
    case UART_MSR:
        break;
    case UART_SCR:
        s->scr = v;
        break;
    default:
        break;
    }
}

static const struct mmio_ops ns16550a_ops = {
    .read = ns16550a_read,
    .write = ns16550a_write,
    .max_access = 1,
};

/* --- host side -------------------------------------------------------------------------- */

static void ns16550a_add_listener(void *opaque, chardev_out_fn fn, void *ctx)
{
    struct ns16550a *s = opaque;
    if (s->nlisteners == UART_MAX_LISTENERS) {
        sim_log(s->sim, s->comp->name, "too many output listeners; ignoring one");
        return;
    }
    s->listeners[s->nlisteners++] = (struct uart_listener){fn, ctx};
}

static void ns16550a_input(void *opaque, const uint8_t *buf, size_t len)
{
    struct ns16550a *s = opaque;
    for (size_t i = 0; i < len; i++) {
        if (s->host_count == UART_HOST_BUF) {
            s->stat_host_dropped += len - i;
            break;
        }
        s->host_buf[(s->host_head + s->host_count) % UART_HOST_BUF] = buf[i];
        s->host_count++;
    }
    ns16550a_schedule_rx(s, ns16550a_char_time(s));
}

/* --- component ---------------------------------------------------------------------------- */

static const struct param_desc ns16550a_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space"},
    {"base", PARAM_U64, "0x3f8", "first of the 8 register ports"},
    {"clock", PARAM_FREQ, "1.8432MHz", "UART input clock (16 x the 115200 baud maximum)"},
    {"host-flow-control", PARAM_BOOL, "true",
     "host input waits for room in the receive FIFO instead of overrunning"},
    {"modem-inputs", PARAM_U64, "0xb0",
     "MSR bits 7:4 outside loopback (DCD, RI, DSR, CTS); 0xb0: a terminal is attached"},
    PARAM_END,
};

static void ns16550a_reset(struct component *c)
{
    struct ns16550a *s = c->state;
    /* Master reset (datasheet table III): divisor and scratch untouched. */
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->fcr = 0;
    s->lsr_errors = 0;
    s->thri = false;
    s->thre_seen = true;
    s->tx_busy_until = 0;
    s->tx_char_time = ns16550a_char_time(s);
    ns16550a_rx_clear(s);
    s->rx_activity = sim_now(s->sim);
    s->msr = ns16550a_modem_lines(s);
    event_cancel(s->sim, &s->wake_event);
    ns16550a_update_irq(s);
    ns16550a_schedule_rx(s, s->tx_char_time);
}

static int ns16550a_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct ns16550a *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    uint64_t base = 0x3F8, inputs = 0xB0;
    params_u64(p, "base", &base);
    params_u64(p, "modem-inputs", &inputs);
    params_freq(p, "clock", &s->clk_num, &s->clk_den);
    params_bool(p, "host-flow-control", &s->flow_control);
    if (s->clk_num == 0 || s->clk_den == 0)
        return params_error(p, "clock", err, "the UART clock must be above 0 Hz");
    if (inputs & ~0xF0ull)
        return params_error(p, "modem-inputs", err, "modem-inputs: only bits 7:4 (0xf0) are modem lines");
    s->modem_inputs = (uint8_t)inputs;
    s->divisor = 12; /* 9600 baud until firmware programs it */
    if (!as_add_mmio(params_space(p, "space"), c, c->name, base, 8, &ns16550a_ops, s, err))
        return -1;
    s->irq = signal_create(c->sim, c, "irq");
    event_init(c->sim, &s->rx_event, "uart-rx", ns16550a_rx_tick, s);
    event_init(c->sim, &s->wake_event, "uart-wake", ns16550a_wake, s);
    s->chardev = (struct chardev_iface){
        .add_listener = ns16550a_add_listener,
        .input = ns16550a_input,
        .opaque = s,
    };
    component_export(c, "chardev", &s->chardev);
    stat_register(c, "tx-bytes", "characters transmitted", &s->stat_tx);
    stat_register(c, "rx-bytes", "characters received", &s->stat_rx);
    stat_register(c, "overruns", "receiver overruns", &s->stat_overruns);
    stat_register(c, "tx-dropped", "characters written to a full transmitter", &s->stat_tx_dropped);
    stat_register(c, "host-dropped", "host input lost to a full host buffer",
                  &s->stat_host_dropped);
    ns16550a_reset(c);
    return 0;
}

static void ns16550a_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type ns16550a_type = {
    .name = "ns16550a",
    .description = "NS16550A UART with FIFOs (COM port), lazy line timing",
    .params = ns16550a_params,
    .create = ns16550a_create,
    .reset = ns16550a_reset,
    .destroy = ns16550a_destroy,
};
