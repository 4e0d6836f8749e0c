/* ps2mouse.c: an IBM PS/2 mouse with the Microsoft IntelliMouse wheel
 * extension. IBM PS/2 Hardware Interface Technical Reference, "Pointing
 * Device" (commands FF-E6, packets, modes); IntelliMouse: sample rates 200,
 * 100, 80 switch the ID to 3 and add a fourth (wheel) byte.
 *
 * Host motion arrives through the "mouse" interface (dy positive = down on
 * the screen, dz as the wheel byte: positive = towards the user). In stream
 * mode with reporting enabled each call produces packets at once (split so
 * no count overflows); the controller paces the bytes. */
#include <stdlib.h>

#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/iface.h"
#include "kernel/sim.h"
#include "models/input/ps2.h"

#define MOUSE_ACK 0xFA
#define MOUSE_RESEND 0xFE
#define MOUSE_BAT_OK 0xAA

enum mouse_param { MOUSE_PARAM_NONE, MOUSE_PARAM_RATE, MOUSE_PARAM_RESOLUTION };

struct ps2mouse {
    struct component *comp;
    struct sim *sim;
    struct ps2_queue out;
    ps2_notify_fn notify;
    void *notify_ctx;
    sim_time_t bat_delay;

    uint8_t id;               /* 0 plain, 3 IntelliMouse */
    uint8_t rate;             /* samples per second */
    uint8_t resolution;       /* 0-3: 1, 2, 4, 8 counts/mm */
    bool scaling21;           /* E7 */
    bool enabled;             /* F4/F5: data reporting */
    bool remote;              /* F0 remote mode, EA stream mode */
    bool wrap;                /* EE echo mode */
    enum mouse_param expect;
    uint8_t rate_history[3];  /* last sample rates, for the ID sequence */
    uint8_t last_sent;

    int dx, dy, dz;           /* accumulated counts (PS/2 sense: y up) */
    unsigned buttons;         /* bit 0 left, 1 right, 2 middle */

    struct event bat_event;
    struct mouse_iface mouse;
    struct ps2_device_iface port;
    uint64_t stat_packets, stat_commands;
};

static void ps2mouse_notify(struct ps2mouse *s)
{
    if (s->notify)
        s->notify(s->notify_ctx);
}

static void ps2mouse_reply(struct ps2mouse *s, uint8_t b)
{
    ps2_queue_put(&s->out, b);
    s->last_sent = b;
}

static unsigned ps2mouse_packet_size(const struct ps2mouse *s)
{
    return s->id == 3 ? 4 : 3;
}

/* 2:1 scaling (stream mode only): 1->1, 2->1, 3->3, 4->6, 5->9, n->2n. */
static int ps2mouse_scale(int v)
{
    static const int small[6] = {0, 1, 1, 3, 6, 9};
    int m = v < 0 ? -v : v;
    int out = m < 6 ? small[m] : 2 * m;
    return v < 0 ? -out : out;
}

static int ps2mouse_clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Queues one packet from the accumulated motion, taking out what it sent. */
static void ps2mouse_send_packet(struct ps2mouse *s, bool scaled)
{
    int dx = ps2mouse_clamp(s->dx, -255, 255);
    int dy = ps2mouse_clamp(s->dy, -255, 255);
    int dz = ps2mouse_clamp(s->dz, -8, 7);
    s->dx -= dx;
    s->dy -= dy;
    s->dz -= dz;
    if (scaled) {
        dx = ps2mouse_scale(dx);
        dy = ps2mouse_scale(dy);
    }
    uint8_t b0 = (uint8_t)(0x08 | (s->buttons & 7));
    if (dx < 0)
        b0 |= 0x10;
    if (dy < 0)
        b0 |= 0x20;
    if (dx > 255 || dx < -256)
        b0 |= 0x40;
    if (dy > 255 || dy < -256)
        b0 |= 0x80;
    ps2_queue_put(&s->out, b0);
    ps2_queue_put(&s->out, (uint8_t)dx);
    ps2_queue_put(&s->out, (uint8_t)dy);
    if (s->id == 3)
        ps2_queue_put(&s->out, (uint8_t)dz);
    s->stat_packets++;
}

static void ps2mouse_motion(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
    struct ps2mouse *s = opaque;
    bool buttons_changed = (buttons & 7) != s->buttons;
    s->buttons = buttons & 7;
    s->dx += dx;
    s->dy -= dy; /* PS/2 counts up as positive */
    s->dz += dz;
    if (s->remote || s->wrap)
        return; /* remote mode: kept until EB */
    if (!s->enabled) {
        s->dx = s->dy = s->dz = 0;
        return;
    }
    bool sent = false;
    while ((s->dx || s->dy || s->dz || (buttons_changed && !sent)) &&
           ps2_queue_room(&s->out) >= ps2mouse_packet_size(s)) {
        ps2mouse_send_packet(s, s->scaling21);
        sent = true;
    }
    if (sent)
        ps2mouse_notify(s);
}

/* --- commands ------------------------------------------------------------------------- */

static void ps2mouse_defaults(struct ps2mouse *s)
{
    s->rate = 100;
    s->resolution = 2;
    s->scaling21 = false;
    s->enabled = false;
    s->remote = false;
    s->expect = MOUSE_PARAM_NONE;
    s->dx = s->dy = s->dz = 0;
}

static void ps2mouse_bat_done(struct event *ev, void *opaque)
{
    struct ps2mouse *s = opaque;
    ps2mouse_reply(s, MOUSE_BAT_OK);
    ps2mouse_reply(s, s->id);
    ps2mouse_notify(s);
}

/* Sample rates 200, 100, 80 in a row select the IntelliMouse protocol. */
static void ps2mouse_set_rate(struct ps2mouse *s, uint8_t rate)
{
    s->rate = rate;
    s->rate_history[0] = s->rate_history[1];
    s->rate_history[1] = s->rate_history[2];
    s->rate_history[2] = rate;
    if (s->rate_history[0] == 200 && s->rate_history[1] == 100 && s->rate_history[2] == 80)
        s->id = 3;
}

static void ps2mouse_status(struct ps2mouse *s)
{
    uint8_t b0 = 0;
    if (s->buttons & 1)
        b0 |= 0x04;
    if (s->buttons & 4)
        b0 |= 0x02;
    if (s->buttons & 2)
        b0 |= 0x01;
    if (s->scaling21)
        b0 |= 0x10;
    if (s->enabled)
        b0 |= 0x20;
    if (s->remote)
        b0 |= 0x40;
    ps2mouse_reply(s, MOUSE_ACK);
    ps2mouse_reply(s, b0);
    ps2mouse_reply(s, s->resolution);
    ps2mouse_reply(s, s->rate);
}

static void ps2mouse_command(struct ps2mouse *s, uint8_t cmd)
{
    s->stat_commands++;
    switch (cmd) {
    case 0xFF: /* reset: ACK, then AA and the ID after the self test */
        ps2_queue_clear(&s->out);
        ps2mouse_defaults(s);
        s->id = 0;
        s->wrap = false;
        ps2mouse_reply(s, MOUSE_ACK);
        event_schedule_in(s->sim, &s->bat_event, s->bat_delay, EVENT_PRIO_DEFAULT);
        break;
    case 0xFE: ps2_queue_put(&s->out, s->last_sent); break;
    case 0xF6: ps2mouse_defaults(s); ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xF5: s->enabled = false; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xF4: s->enabled = true; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xF3: s->expect = MOUSE_PARAM_RATE; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xF2:
        ps2mouse_reply(s, MOUSE_ACK);
        ps2mouse_reply(s, s->id);
        break;
    case 0xF0: s->remote = true; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xEE: s->wrap = true; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xEC: s->wrap = false; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xEB: /* read data: one packet even without motion */
        ps2mouse_reply(s, MOUSE_ACK);
        ps2mouse_send_packet(s, false);
        break;
    case 0xEA: s->remote = false; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xE9: ps2mouse_status(s); break;
    case 0xE8: s->expect = MOUSE_PARAM_RESOLUTION; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xE7: s->scaling21 = true; ps2mouse_reply(s, MOUSE_ACK); break;
    case 0xE6: s->scaling21 = false; ps2mouse_reply(s, MOUSE_ACK); break;
    default: ps2mouse_reply(s, MOUSE_RESEND); break;
    }
}

static void ps2mouse_write(void *opaque, uint8_t b)
{
    struct ps2mouse *s = opaque;
    if (s->wrap && b != 0xEC && b != 0xFF) {
        ps2_queue_put(&s->out, b); /* wrap mode echoes */
    } else if (s->expect == MOUSE_PARAM_RATE) {
        s->expect = MOUSE_PARAM_NONE;
        ps2mouse_set_rate(s, b);
        ps2mouse_reply(s, MOUSE_ACK);
    } else if (s->expect == MOUSE_PARAM_RESOLUTION) {
        s->expect = MOUSE_PARAM_NONE;
        s->resolution = b & 3;
        ps2mouse_reply(s, MOUSE_ACK);
    } else {
        ps2mouse_command(s, b);
    }
    ps2mouse_notify(s);
}

static int ps2mouse_read(void *opaque)
{
    struct ps2mouse *s = opaque;
    return ps2_queue_get(&s->out);
}

static bool ps2mouse_pending(void *opaque)
{
    struct ps2mouse *s = opaque;
    return s->out.count != 0;
}

static void ps2mouse_set_notify(void *opaque, ps2_notify_fn fn, void *ctx)
{
    struct ps2mouse *s = opaque;
    s->notify = fn;
    s->notify_ctx = ctx;
}

/* --- component -------------------------------------------------------------------------- */

static const struct param_desc ps2mouse_params[] = {
    {"bat-delay", PARAM_TIME, "2ms", "time from the reset command's ACK to AA 00"},
    PARAM_END,
};

static void ps2mouse_reset(struct component *c)
{
    struct ps2mouse *s = c->state;
    ps2_queue_clear(&s->out);
    ps2mouse_defaults(s);
    s->id = 0;
    s->wrap = false;
    s->buttons = 0;
    s->last_sent = 0;
    for (int i = 0; i < 3; i++)
        s->rate_history[i] = 0;
    event_cancel(s->sim, &s->bat_event);
}

static int ps2mouse_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct ps2mouse *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    s->bat_delay = SIM_MS(2);
    params_time(p, "bat-delay", &s->bat_delay);
    event_init(c->sim, &s->bat_event, "mouse-bat", ps2mouse_bat_done, s);
    s->mouse = (struct mouse_iface){.motion = ps2mouse_motion, .opaque = s};
    s->port = (struct ps2_device_iface){
        .write = ps2mouse_write,
        .read = ps2mouse_read,
        .pending = ps2mouse_pending,
        .set_notify = ps2mouse_set_notify,
        .opaque = s,
    };
    component_export(c, "mouse", &s->mouse);
    component_export(c, "ps2-device", &s->port);
    stat_register(c, "packets", "movement packets sent", &s->stat_packets);
    stat_register(c, "commands", "command bytes from the controller", &s->stat_commands);
    ps2mouse_reset(c);
    return 0;
}

static void ps2mouse_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type ps2mouse_type = {
    .name = "ps2mouse",
    .description = "PS/2 mouse with IntelliMouse wheel (ID 3 after rates 200-100-80)",
    .params = ps2mouse_params,
    .create = ps2mouse_create,
    .reset = ps2mouse_reset,
    .destroy = ps2mouse_destroy,
};
