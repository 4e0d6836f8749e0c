/* ps2kbd.c: an IBM PS/2 (MF II) keyboard: scan code sets 1 and 2, the host
 * command set, typematic repeat and the power-on self test reply.
 * IBM PS/2 Hardware Interface Technical Reference, "Keyboards (101- and
 * 102-Key)": commands FF, FE, F6, F5, F4, F3, F2, F0, EE, ED.
 *
 * Host input arrives as set-2 make codes (KEY_EXT for the E0 prefix,
 * KEY_PAUSE) through the "keyboard" interface; the keyboard encodes them in
 * its current set. Set 3 can be selected and reported, but keys are still
 * sent with set-2 codes (no PC guest uses set 3). Bytes go to the
 * controller through "ps2-device" (ps2.h). */
#include <stdlib.h>
#include <string.h>

#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/iface.h"
#include "kernel/sim.h"
#include "models/input/ps2.h"

#define KBD_ACK 0xFA
#define KBD_RESEND 0xFE
#define KBD_BAT_OK 0xAA
#define KBD_ECHO 0xEE
#define KBD_OVERRUN_SET2 0x00
#define KBD_OVERRUN_SET1 0xFF

#define KBD_TYPEMATIC_DEFAULT 0x2B /* 10.9 characters/s, 500 ms delay */

enum kbd_param { KBD_PARAM_NONE, KBD_PARAM_LEDS, KBD_PARAM_TYPEMATIC, KBD_PARAM_SET };

struct ps2kbd {
    struct component *comp;
    struct sim *sim;
    struct ps2_queue out;
    ps2_notify_fn notify;
    void *notify_ctx;
    sim_time_t bat_delay;
    bool repeat_enabled;       /* typematic repeat modelled */

    uint8_t scan_set;          /* 1, 2 or 3 */
    bool scanning;             /* F4/F5 */
    enum kbd_param expect;     /* parameter byte awaited */
    uint8_t leds;              /* ED: bit 0 scroll, 1 num, 2 caps */
    uint8_t typematic;         /* F3 value */
    uint8_t last_sent;         /* for FE (resend) */
    bool in_bat;               /* self test running: no keys */
    uint16_t repeat_key;       /* key being repeated (0: none) */

    struct event bat_event;
    struct event repeat_event;
    struct keyboard_iface keyboard;
    struct ps2_device_iface port;
    uint64_t stat_keys, stat_commands, stat_overruns;
};

static void ps2kbd_notify(struct ps2kbd *s)
{
    if (s->notify)
        s->notify(s->notify_ctx);
}

/* Queues one byte; a full buffer ends with the set's overrun code. */
static void ps2kbd_send(struct ps2kbd *s, uint8_t b)
{
    if (ps2_queue_room(&s->out) <= 1) {
        if (ps2_queue_room(&s->out) == 1) {
            ps2_queue_put(&s->out, s->scan_set == 1 ? KBD_OVERRUN_SET1 : KBD_OVERRUN_SET2);
            s->stat_overruns++;
        }
        return;
    }
    ps2_queue_put(&s->out, b);
}

/* --- scan codes ------------------------------------------------------------------ */

static void ps2kbd_send_code(struct ps2kbd *s, uint8_t code2, bool ext, bool down)
{
    if (ext)
        ps2kbd_send(s, 0xE0);
    if (s->scan_set == 1) {
        uint8_t code1 = i8042_translate_set2(code2);
        ps2kbd_send(s, down ? code1 : (uint8_t)(code1 | 0x80));
        return;
    }
    if (!down)
        ps2kbd_send(s, 0xF0);
    ps2kbd_send(s, code2);
}

/* Pause has no break code; its make code is a fixed sequence. */
static void ps2kbd_send_pause(struct ps2kbd *s)
{
    static const uint8_t set1[] = {0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5};
    static const uint8_t set2[] = {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77};
    const uint8_t *seq = s->scan_set == 1 ? set1 : set2;
    size_t n = s->scan_set == 1 ? sizeof set1 : sizeof set2;
    for (size_t i = 0; i < n; i++)
        ps2kbd_send(s, seq[i]);
}

/* Print Screen (E0 7C) is sent wrapped in a fake left shift (E0 12), as
 * MF II keyboards do when no shift key is held. */
static void ps2kbd_send_key(struct ps2kbd *s, uint16_t code, bool down)
{
    if (code == KEY_PAUSE) {
        if (down)
            ps2kbd_send_pause(s);
        return;
    }
    bool ext = code & KEY_EXT;
    uint8_t c = (uint8_t)code;
    if (ext && c == 0x7C) {
        if (down) {
            ps2kbd_send_code(s, 0x12, true, true);
            ps2kbd_send_code(s, 0x7C, true, true);
        } else {
            ps2kbd_send_code(s, 0x7C, true, false);
            ps2kbd_send_code(s, 0x12, true, false);
        }
        return;
    }
    ps2kbd_send_code(s, c, ext, down);
}

/* --- typematic --------------------------------------------------------------------- */

/* F3 byte: bits 6:5 delay (250 ms steps from 250), bits 4:0 rate:
 * period = (8 + A) * 2^B / 240 s with A = bits 2:0, B = bits 4:3. */
static sim_time_t ps2kbd_repeat_delay(const struct ps2kbd *s)
{
    return SIM_MS(250) * (1 + ((s->typematic >> 5) & 3));
}

static sim_time_t ps2kbd_repeat_period(const struct ps2kbd *s)
{
    uint64_t a = s->typematic & 7, b = (s->typematic >> 3) & 3;
    return SIM_S(1) * (8 + a) * (1u << b) / 240;
}

static void ps2kbd_repeat(struct event *ev, void *opaque)
{
    struct ps2kbd *s = opaque;
    if (!s->repeat_key || !s->scanning)
        return;
    ps2kbd_send_key(s, s->repeat_key, true);
    ps2kbd_notify(s);
    event_schedule_in(s->sim, &s->repeat_event, ps2kbd_repeat_period(s), EVENT_PRIO_DEFAULT);
}

static void ps2kbd_stop_repeat(struct ps2kbd *s)
{
    s->repeat_key = 0;
    event_cancel(s->sim, &s->repeat_event);
}

/* --- host keys ------------------------------------------------------------------------- */

static void ps2kbd_key(void *opaque, uint16_t code, bool down)
{
    struct ps2kbd *s = opaque;
    if (!s->scanning || s->in_bat)
        return;
    s->stat_keys++;
    ps2kbd_send_key(s, code, down);
    /* The last key pressed repeats until it is released. */
    if (s->repeat_enabled && code != KEY_PAUSE) {
        if (down) {
            s->repeat_key = code;
            event_schedule_in(s->sim, &s->repeat_event, ps2kbd_repeat_delay(s),
                              EVENT_PRIO_DEFAULT);
        } else if (code == s->repeat_key) {
            ps2kbd_stop_repeat(s);
        }
    }
    ps2kbd_notify(s);
}

/* --- host commands ------------------------------------------------------------------------- */

static void ps2kbd_defaults(struct ps2kbd *s)
{
    s->scan_set = 2;
    s->typematic = KBD_TYPEMATIC_DEFAULT;
    s->expect = KBD_PARAM_NONE;
    ps2kbd_stop_repeat(s);
}

static void ps2kbd_bat_done(struct event *ev, void *opaque)
{
    struct ps2kbd *s = opaque;
    s->in_bat = false;
    s->scanning = true;
    ps2kbd_send(s, KBD_BAT_OK);
    s->last_sent = KBD_BAT_OK;
    ps2kbd_notify(s);
}

static void ps2kbd_reply(struct ps2kbd *s, uint8_t b)
{
    ps2kbd_send(s, b);
    s->last_sent = b;
}

static void ps2kbd_parameter(struct ps2kbd *s, uint8_t b)
{
    enum kbd_param p = s->expect;
    s->expect = KBD_PARAM_NONE;
    switch (p) {
    case KBD_PARAM_LEDS:
        s->leds = b & 7;
        ps2kbd_reply(s, KBD_ACK);
        break;
    case KBD_PARAM_TYPEMATIC:
        s->typematic = b & 0x7F;
        ps2kbd_reply(s, KBD_ACK);
        break;
    case KBD_PARAM_SET:
        if (b == 0) {
            ps2kbd_reply(s, KBD_ACK);
            ps2kbd_reply(s, s->scan_set);
        } else if (b <= 3) {
            s->scan_set = b;
            ps2kbd_reply(s, KBD_ACK);
        } else {
            ps2kbd_reply(s, KBD_RESEND);
        }
        break;
    case KBD_PARAM_NONE:
        break;
    }
}

static void ps2kbd_command(struct ps2kbd *s, uint8_t cmd)
{
    s->stat_commands++;
    switch (cmd) {
    case 0xFF: /* reset: ACK now, AA when the self test ends */
        ps2_queue_clear(&s->out);
        ps2kbd_defaults(s);
        s->leds = 0;
        ps2kbd_reply(s, KBD_ACK);
        s->in_bat = true;
        s->scanning = false;
        event_schedule_in(s->sim, &s->bat_event, s->bat_delay, EVENT_PRIO_DEFAULT);
        break;
    case 0xFE: /* resend */
        ps2kbd_send(s, s->last_sent);
        break;
    case 0xF6: /* set defaults, keep scanning */
        ps2_queue_clear(&s->out);
        ps2kbd_defaults(s);
        ps2kbd_reply(s, KBD_ACK);
        break;
    case 0xF5: /* defaults and stop scanning */
        ps2_queue_clear(&s->out);
        ps2kbd_defaults(s);
        s->scanning = false;
        ps2kbd_reply(s, KBD_ACK);
        break;
    case 0xF4: /* enable scanning */
        ps2_queue_clear(&s->out);
        s->scanning = true;
        ps2kbd_reply(s, KBD_ACK);
        break;
    case 0xF3:
        s->expect = KBD_PARAM_TYPEMATIC;
        ps2kbd_reply(s, KBD_ACK);
        break;
    case 0xF2: /* read ID: MF II keyboard */
        ps2kbd_reply(s, KBD_ACK);
        ps2kbd_reply(s, 0xAB);
        ps2kbd_reply(s, 0x83);
        break;
    case 0xF0:
        s->expect = KBD_PARAM_SET;
        ps2kbd_reply(s, KBD_ACK);
        break;
    case 0xEE:
        ps2kbd_reply(s, KBD_ECHO);
        break;
    case 0xED:
        s->expect = KBD_PARAM_LEDS;
        ps2kbd_reply(s, KBD_ACK);
        break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
        ps2kbd_reply(s, KBD_ACK); /* set-3 key types: accepted, no effect */
        break;
    default:
        ps2kbd_reply(s, KBD_RESEND);
        break;
    }
}

static void ps2kbd_write(void *opaque, uint8_t b)
{
    struct ps2kbd *s = opaque;
    /* Parameters are below 0x80; a byte with bit 7 set where a parameter
     * was expected abandons it and is a new command. */
    if (s->expect != KBD_PARAM_NONE && b < 0x80) {
        ps2kbd_parameter(s, b);
    } else {
        s->expect = KBD_PARAM_NONE;
        ps2kbd_command(s, b);
    }
    ps2kbd_notify(s);
}

static int ps2kbd_read(void *opaque)
{
    struct ps2kbd *s = opaque;
    return ps2_queue_get(&s->out);
}

static bool ps2kbd_pending(void *opaque)
{
    struct ps2kbd *s = opaque;
    return s->out.count != 0;
}

static void ps2kbd_set_notify(void *opaque, ps2_notify_fn fn, void *ctx)
{
    struct ps2kbd *s = opaque;
    s->notify = fn;
    s->notify_ctx = ctx;
}

/* --- component ------------------------------------------------------------------------------ */

static const struct param_desc ps2kbd_params[] = {
    {"bat-delay", PARAM_TIME, "2ms",
     "time from the reset command's ACK to the self-test result AA (real keyboards: 300-500ms)"},
    {"typematic", PARAM_BOOL, "true", "repeat a held key at the F3 rate"},
    PARAM_END,
};

static void ps2kbd_reset(struct component *c)
{
    struct ps2kbd *s = c->state;
    ps2_queue_clear(&s->out);
    ps2kbd_defaults(s);
    s->scanning = true;
    s->leds = 0;
    s->in_bat = false;
    s->last_sent = 0;
    event_cancel(s->sim, &s->bat_event);
}

static int ps2kbd_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct ps2kbd *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    s->bat_delay = SIM_MS(2);
    s->repeat_enabled = true;
    params_time(p, "bat-delay", &s->bat_delay);
    params_bool(p, "typematic", &s->repeat_enabled);
    event_init(c->sim, &s->bat_event, "kbd-bat", ps2kbd_bat_done, s);
    event_init(c->sim, &s->repeat_event, "kbd-repeat", ps2kbd_repeat, s);
    s->keyboard = (struct keyboard_iface){.key = ps2kbd_key, .opaque = s};
    s->port = (struct ps2_device_iface){
        .write = ps2kbd_write,
        .read = ps2kbd_read,
        .pending = ps2kbd_pending,
        .set_notify = ps2kbd_set_notify,
        .opaque = s,
    };
    component_export(c, "keyboard", &s->keyboard);
    component_export(c, "ps2-device", &s->port);
    stat_register(c, "keys", "key events from the host", &s->stat_keys);
    stat_register(c, "commands", "command bytes from the controller", &s->stat_commands);
    stat_register(c, "overruns", "output buffer overruns", &s->stat_overruns);
    ps2kbd_reset(c);
    return 0;
}

static void ps2kbd_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type ps2kbd_type = {
    .name = "ps2kbd",
    .description = "PS/2 MF II keyboard (scan code sets 1/2, typematic, host commands)",
    .params = ps2kbd_params,
    .create = ps2kbd_create,
    .reset = ps2kbd_reset,
    .destroy = ps2kbd_destroy,
};
