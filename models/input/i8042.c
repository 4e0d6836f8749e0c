/* i8042.c: the Intel 8042 keyboard controller of PC/AT and PS/2 machines:
 * data port 0x60, status/command port 0x64, keyboard and auxiliary (mouse)
 * ports, scan code translation, the output port (A20 gate, CPU reset).
 * IBM PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary
 * Device Controller" (status register, command byte, commands 20-FF).
 *
 * The keyboard and mouse are separate components attached through
 * "ps2-device" (ps2.h). A byte from a device takes `byte-time` on the wire
 * before it lands in the output buffer; the controller fetches the next one
 * only when the buffer is empty and the port's clock is enabled. Controller
 * replies land in the output buffer at once.
 *
 * Signals: "irq1" (keyboard byte in the output buffer, command byte bit 0),
 * "irq12" (mouse byte, bit 1), "a20" (output port bit 1 OR the input
 * "a20-in", so the fast A20 of port 0x92 can be combined here, as the
 * chipset does, before the CPU's single A20 pin). Output port bit 0 low
 * (command D1, or pulse command FE) resets the machine. */
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/input/ps2.h"

/* Status register (port 0x64 read). */
#define STAT_OBF 0x01      /* output buffer full */
#define STAT_IBF 0x02      /* input buffer full (never seen: writes are immediate) */
#define STAT_SYS 0x04      /* system flag */
#define STAT_CMD 0x08      /* last write was to port 0x64 */
#define STAT_UNLOCKED 0x10 /* keyboard not inhibited by the key lock */
#define STAT_AUX 0x20      /* output buffer holds mouse data */
#define STAT_TIMEOUT 0x40
#define STAT_PARITY 0x80

/* Command byte (controller RAM byte 0). */
#define CCB_KBD_INT 0x01
#define CCB_AUX_INT 0x02
#define CCB_SYS 0x04
#define CCB_KBD_DISABLE 0x10
#define CCB_AUX_DISABLE 0x20
#define CCB_XLATE 0x40

/* Output port. */
#define OUT_RESET 0x01     /* 0 = CPU held in reset */
#define OUT_A20 0x02
#define OUT_KBD_OBF 0x10
#define OUT_AUX_OBF 0x20
#define OUT_DEFAULT 0xCF

enum i8042_port { PORT_KBD = 0, PORT_AUX = 1 };

struct i8042 {
    struct component *comp;
    struct sim *sim;
    struct ps2_device_iface *dev[2];  /* NULL if nothing plugged in */
    sim_time_t byte_time;

    uint8_t status;
    uint8_t ram[32];                  /* ram[0] is the command byte */
    uint8_t outport;
    uint8_t out_buf;
    bool out_aux;                     /* out_buf came from the mouse port */
    uint8_t pending_cmd;              /* command awaiting a data byte, or 0 */
    bool xlate_break;                 /* translation saw F0 */

    struct signal *irq1, *irq12, *a20;
    bool a20_in;                      /* other A20 source (port 0x92) */
    bool a20_at_reset;
    struct event rx_event;            /* a device byte finishes arriving */
    int rx_port;                      /* port of the byte in flight */

    uint64_t stat_kbd_bytes, stat_aux_bytes, stat_commands;
};

/* --- set 2 -> set 1 translation ------------------------------------------------- */

/* The 8042's translation table for codes 0x00-0x7F (IBM PS/2 technical
 * reference); codes from 0x80 pass unchanged except F7 (83) and SysRq (84). */
static const uint8_t i8042_xlate[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t i8042_translate_set2(uint8_t code)
{
    if (code < 0x80)
        return i8042_xlate[code];
    if (code == 0x83)
        return 0x41;
    if (code == 0x84)
        return 0x54;
    return code;
}

/* --- output buffer and interrupts ------------------------------------------------- */

static uint8_t i8042_ccb(const struct i8042 *s)
{
    return s->ram[0];
}

static void i8042_update_irq(struct i8042 *s)
{
    bool full = s->status & STAT_OBF;
    signal_set(s->irq1, full && !s->out_aux && (i8042_ccb(s) & CCB_KBD_INT));
    signal_set(s->irq12, full && s->out_aux && (i8042_ccb(s) & CCB_AUX_INT));
}

static void i8042_set_output(struct i8042 *s, uint8_t b, bool aux)
{
    s->out_buf = b;
    s->out_aux = aux;
    s->status |= STAT_OBF;
    if (aux)
        s->status |= STAT_AUX;
    else
        s->status &= (uint8_t)~STAT_AUX;
    i8042_update_irq(s);
}

static bool i8042_port_enabled(const struct i8042 *s, int port)
{
    uint8_t bit = port == PORT_KBD ? CCB_KBD_DISABLE : CCB_AUX_DISABLE;
    return s->dev[port] && !(i8042_ccb(s) & bit);
}

/* Starts receiving the next device byte if the buffer is free. The
 * keyboard port goes first. */
static void i8042_poll_devices(struct i8042 *s)
{
    if ((s->status & STAT_OBF) || event_pending(&s->rx_event))
        return;
    for (int port = PORT_KBD; port <= PORT_AUX; port++) {
        if (!i8042_port_enabled(s, port) || !s->dev[port]->pending(s->dev[port]->opaque))
            continue;
        s->rx_port = port;
        event_schedule_in(s->sim, &s->rx_event, s->byte_time, EVENT_PRIO_DEFAULT);
        return;
    }
}

/* Translation: F0 is swallowed and sets bit 7 of the next code. Returns
 * false if the byte produced no output. */
static bool i8042_translate(struct i8042 *s, uint8_t in, uint8_t *out)
{
    if (in == 0xF0) {
        s->xlate_break = true;
        return false;
    }
    *out = i8042_translate_set2(in);
    if (s->xlate_break)
        *out |= 0x80;
    s->xlate_break = false;
    return true;
}

static void i8042_rx_done(struct event *ev, void *opaque)
{
    struct i8042 *s = opaque;
    int port = s->rx_port;
    if ((s->status & STAT_OBF) || !i8042_port_enabled(s, port)) {
        i8042_poll_devices(s); /* a controller reply got there first */
        return;
    }
    int b = s->dev[port]->read(s->dev[port]->opaque);
    if (b >= 0) {
        uint8_t out = (uint8_t)b;
        bool deliver = true;
        if (port == PORT_KBD && (i8042_ccb(s) & CCB_XLATE))
            deliver = i8042_translate(s, (uint8_t)b, &out);
        if (deliver) {
            if (port == PORT_KBD)
                s->stat_kbd_bytes++;
            else
                s->stat_aux_bytes++;
            s->status &= (uint8_t)~(STAT_TIMEOUT | STAT_PARITY);
            i8042_set_output(s, out, port == PORT_AUX);
        }
    }
    i8042_poll_devices(s);
}

static void i8042_device_notify(void *ctx)
{
    i8042_poll_devices(ctx);
}

/* --- output port --------------------------------------------------------------------- */

static void i8042_update_a20(struct i8042 *s)
{
    signal_set(s->a20, (s->outport & OUT_A20) || s->a20_in);
}

static void i8042_a20_input(void *opaque, int line, int level)
{
    struct i8042 *s = opaque;
    s->a20_in = level != 0;
    i8042_update_a20(s);
}

static void i8042_write_outport(struct i8042 *s, uint8_t v)
{
    s->outport = v;
    i8042_update_a20(s);
    if (!(v & OUT_RESET)) {
        sim_log(s->sim, s->comp->name, "CPU reset through the output port");
        sim_request_reset(s->sim);
    }
}

static uint8_t i8042_read_outport(const struct i8042 *s)
{
    uint8_t v = s->outport & (uint8_t)~(OUT_KBD_OBF | OUT_AUX_OBF);
    if (s->status & STAT_OBF)
        v |= s->out_aux ? OUT_AUX_OBF : OUT_KBD_OBF;
    return v;
}

/* --- commands (port 0x64) --------------------------------------------------------------- */

static void i8042_reply(struct i8042 *s, uint8_t b)
{
    i8042_set_output(s, b, false);
}

static void i8042_set_ccb(struct i8042 *s, uint8_t v)
{
    s->ram[0] = v;
    if (v & CCB_SYS)
        s->status |= STAT_SYS;
    else
        s->status &= (uint8_t)~STAT_SYS;
    i8042_update_irq(s);
    i8042_poll_devices(s);
}

static void i8042_command(struct i8042 *s, uint8_t cmd)
{
    s->stat_commands++;
    s->pending_cmd = 0;
    if (cmd >= 0x20 && cmd <= 0x3F) { /* read controller RAM */
        i8042_reply(s, s->ram[cmd & 0x1F]);
        return;
    }
    if ((cmd >= 0x60 && cmd <= 0x7F) || (cmd >= 0xD1 && cmd <= 0xD4)) {
        s->pending_cmd = cmd; /* takes a data byte */
        return;
    }
    if (cmd >= 0xF0) {
        /* Pulse output port bits 3:0 low for those written as 0. Bit 0 is
         * the CPU reset line. */
        if (!(cmd & 1)) {
            sim_log(s->sim, s->comp->name, "CPU reset pulse (command 0x%02x)", cmd);
            sim_request_reset(s->sim);
        }
        return;
    }
    switch (cmd) {
    case 0xA7: i8042_set_ccb(s, i8042_ccb(s) | CCB_AUX_DISABLE); break;
    case 0xA8: i8042_set_ccb(s, i8042_ccb(s) & (uint8_t)~CCB_AUX_DISABLE); break;
    case 0xA9: i8042_reply(s, 0x00); break;  /* aux interface test: no error */
    case 0xAA:                               /* self test */
        s->status |= STAT_SYS;
        i8042_reply(s, 0x55);
        break;
    case 0xAB: i8042_reply(s, 0x00); break;  /* keyboard interface test */
    case 0xAD: i8042_set_ccb(s, i8042_ccb(s) | CCB_KBD_DISABLE); break;
    case 0xAE: i8042_set_ccb(s, i8042_ccb(s) & (uint8_t)~CCB_KBD_DISABLE); break;
    case 0xC0: i8042_reply(s, 0x80); break;  /* input port: keyboard not locked */
    case 0xD0: i8042_reply(s, i8042_read_outport(s)); break;
    case 0xDD: i8042_write_outport(s, s->outport & (uint8_t)~OUT_A20); break;
    case 0xDF: i8042_write_outport(s, s->outport | OUT_A20); break;
    case 0xE0: i8042_reply(s, 0x00); break;  /* test inputs */
    default:
        break;                               /* unknown: ignored */
    }
}

/* A byte for a device; nothing attached answers with a timeout. */
static void i8042_send_to_device(struct i8042 *s, int port, uint8_t b)
{
    /* Sending to a device enables its clock again (as the 8042 firmware
     * does when it has to talk to it). */
    uint8_t bit = port == PORT_KBD ? CCB_KBD_DISABLE : CCB_AUX_DISABLE;
    s->ram[0] &= (uint8_t)~bit;
    if (!s->dev[port]) {
        s->status |= STAT_TIMEOUT;
        i8042_set_output(s, 0xFE, port == PORT_AUX);
        return;
    }
    s->dev[port]->write(s->dev[port]->opaque, b);
    i8042_poll_devices(s);
}

static void i8042_write_data(struct i8042 *s, uint8_t v)
{
    uint8_t cmd = s->pending_cmd;
    s->pending_cmd = 0;
    if (cmd >= 0x60 && cmd <= 0x7F) {
        if (cmd == 0x60)
            i8042_set_ccb(s, v);
        else
            s->ram[cmd & 0x1F] = v;
        return;
    }
    switch (cmd) {
    case 0xD1: i8042_write_outport(s, v); break;
    case 0xD2: i8042_set_output(s, v, false); break; /* as if from the keyboard */
    case 0xD3: i8042_set_output(s, v, true); break;  /* as if from the mouse */
    case 0xD4: i8042_send_to_device(s, PORT_AUX, v); break;
    default: i8042_send_to_device(s, PORT_KBD, v); break;
    }
}

/* --- ports -------------------------------------------------------------------------------- */

static uint64_t i8042_data_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8042 *s = opaque;
    /* Reading the data port empties the buffer (the last byte stays). */
    uint8_t v = s->out_buf;
    s->status &= (uint8_t)~(STAT_OBF | STAT_AUX);
    i8042_update_irq(s);
    i8042_poll_devices(s);
    return v;
}

static void i8042_data_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *s = opaque;
    s->status &= (uint8_t)~STAT_CMD;
    i8042_write_data(s, (uint8_t)value);
}

static uint64_t i8042_status_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8042 *s = opaque;
    return s->status;
}

static void i8042_command_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *s = opaque;
    s->status |= STAT_CMD;
    i8042_command(s, (uint8_t)value);
}

static const struct mmio_ops i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_write,
    .max_access = 1,
};

static const struct mmio_ops i8042_command_ops = {
    .read = i8042_status_read,
    .write = i8042_command_write,
    .max_access = 1,
};

/* --- component ------------------------------------------------------------------------------ */

static const struct param_desc i8042_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space (ports base and base + 4)"},
    {"base", PARAM_U64, "0x60", "data port; status/command is base + 4"},
    {"keyboard", PARAM_COMPONENT, NULL, "PS/2 keyboard on the first port", true},
    {"mouse", PARAM_COMPONENT, NULL, "PS/2 mouse on the auxiliary port", true},
    {"byte-time", PARAM_TIME, "1ms",
     "time for one byte from a device to reach the output buffer (11 bits at about 11 kHz)"},
    {"a20-at-reset", PARAM_BOOL, "true", "output port A20 bit after reset (QEMU: on)"},
    PARAM_END,
};

static void i8042_reset(struct component *c)
{
    struct i8042 *s = c->state;
    event_cancel(s->sim, &s->rx_event);
    memset(s->ram, 0, sizeof s->ram);
    s->ram[0] = CCB_KBD_INT | CCB_XLATE;
    s->status = STAT_UNLOCKED;
    s->pending_cmd = 0;
    s->xlate_break = false;
    s->out_buf = 0;
    s->out_aux = false;
    i8042_write_outport(s, s->a20_at_reset ? OUT_DEFAULT : OUT_DEFAULT & ~OUT_A20);
    i8042_update_irq(s);
    i8042_poll_devices(s);
}

static int i8042_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct i8042 *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    uint64_t base = 0x60;
    params_u64(p, "base", &base);
    s->byte_time = SIM_MS(1);
    params_time(p, "byte-time", &s->byte_time);
    struct addr_space *io = params_space(p, "space");
    if (!as_add_mmio(io, c, "i8042-data", base, 1, &i8042_data_ops, s, err) ||
        !as_add_mmio(io, c, "i8042-command", base + 4, 1, &i8042_command_ops, s, err))
        return -1;
    s->irq1 = signal_create(c->sim, c, "irq1");
    s->irq12 = signal_create(c->sim, c, "irq12");
    s->a20 = signal_create(c->sim, c, "a20");
    s->a20_at_reset = true;
    params_bool(p, "a20-at-reset", &s->a20_at_reset);
    if (signal_input_register(c->sim, c, "a20-in", i8042_a20_input, s, 0) < 0)
        return cw_errorf(err, "%s: cannot register input a20-in", c->name);
    event_init(c->sim, &s->rx_event, "i8042-rx", i8042_rx_done, s);
    stat_register(c, "kbd-bytes", "bytes received from the keyboard", &s->stat_kbd_bytes);
    stat_register(c, "aux-bytes", "bytes received from the mouse", &s->stat_aux_bytes);
    stat_register(c, "commands", "controller commands", &s->stat_commands);
    return 0;
}

static int i8042_realize(struct component *c, struct cw_error *err)
{
    struct i8042 *s = c->state;
    static const char *const names[2] = {"keyboard", "mouse"};
    /* Resolved here: the devices may be declared after the controller. */
    for (int port = PORT_KBD; port <= PORT_AUX; port++) {
        struct component *dev = params_component(c->params, names[port]);
        if (!dev)
            continue;
        s->dev[port] = component_interface(dev, "ps2-device");
        if (!s->dev[port])
            return params_error(c->params, names[port], err, "%s '%s' is not a PS/2 device",
                                names[port], dev->name);
        s->dev[port]->set_notify(s->dev[port]->opaque, i8042_device_notify, s);
    }
    return 0;
}

static void i8042_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type i8042_type = {
    .name = "i8042",
    .description = "8042 keyboard controller (ports 0x60/0x64, translation, A20, reset)",
    .params = i8042_params,
    .create = i8042_create,
    .realize = i8042_realize,
    .reset = i8042_reset,
    .destroy = i8042_destroy,
};
