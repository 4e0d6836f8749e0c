/* test_script.c: the script engine (host/script.c) on a bare kernel sim with
 * test doubles for the display, keyboard, mouse and serial port: step
 * parsing and its errors, key timing in guest time, waits on screen text,
 * serial output, PNG regions, markers and time, timeouts, stop, and
 * periodic screenshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/keymap.h"
#include "host/png.h"
#include "host/script.h"
#include "kernel/event.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

/* --- test doubles ------------------------------------------------------------------ */

#define FAKE_W 32
#define FAKE_H 16

struct fake_display {
    uint32_t pixels[FAKE_W * FAKE_H];
    struct display_surface surf;
    char text[256];
    int text_calls;
    struct display_iface iface;
};

static const struct display_surface *fake_update(void *opaque)
{
    struct fake_display *d = opaque;
    return &d->surf;
}

static size_t fake_text(void *opaque, char *buf, size_t len)
{
    struct fake_display *d = opaque;
    d->text_calls++;
    snprintf(buf, len, "%s", d->text);
    return strlen(buf);
}

static void fake_display_init(struct fake_display *d)
{
    memset(d, 0, sizeof *d);
    d->surf = (struct display_surface){d->pixels, FAKE_W, FAKE_H, FAKE_W, 1};
    d->iface = (struct display_iface){.update = fake_update, .text = fake_text, .opaque = d};
}

#define MAX_KEYS 64

struct fake_keyboard {
    struct {
        uint16_t code;
        bool down;
        sim_time_t when;
    } log[MAX_KEYS];
    int n;
    struct sim *sim;
    struct keyboard_iface iface;
};

static void fake_key(void *opaque, uint16_t code, bool down)
{
    struct fake_keyboard *k = opaque;
    assert_true(k->n < MAX_KEYS);
    k->log[k->n].code = code;
    k->log[k->n].down = down;
    k->log[k->n].when = sim_now(k->sim);
    k->n++;
}

struct fake_mouse {
    int dx, dy, dz, calls;
    unsigned buttons[8];
    sim_time_t when[8];
    struct sim *sim;
    struct mouse_iface iface;
};

static void fake_motion(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
    struct fake_mouse *m = opaque;
    m->dx += dx;
    m->dy += dy;
    m->dz += dz;
    if (m->calls < 8) {
        m->buttons[m->calls] = buttons;
        m->when[m->calls] = sim_now(m->sim);
    }
    m->calls++;
}

struct fake_serial {
    chardev_out_fn fn;
    void *ctx;
    struct chardev_iface iface;
};

static void fake_add_listener(void *opaque, chardev_out_fn fn, void *ctx)
{
    struct fake_serial *f = opaque;
    f->fn = fn;
    f->ctx = ctx;
}

/* A rig: sim + doubles + a script; events the test schedules change the
 * doubles at given guest times. */
struct rig {
    struct sim *sim;
    struct fake_display display;
    struct fake_keyboard kbd;
    struct fake_mouse mouse;
    struct fake_serial serial;
    struct script_io io;
    struct script *script;
    FILE *log;
    char *logbuf;
    size_t loglen;
};

static int rig_setup(void **state)
{
    struct rig *r = calloc(1, sizeof *r);
    r->sim = sim_create();
    fake_display_init(&r->display);
    r->kbd.sim = r->sim;
    r->kbd.iface = (struct keyboard_iface){.key = fake_key, .opaque = &r->kbd};
    r->mouse.sim = r->sim;
    r->mouse.iface = (struct mouse_iface){.motion = fake_motion, .opaque = &r->mouse};
    r->serial.iface = (struct chardev_iface){.add_listener = fake_add_listener,
                                             .opaque = &r->serial};
    r->log = open_memstream(&r->logbuf, &r->loglen);
    r->io = (struct script_io){
        .display = &r->display.iface,
        .keyboard = &r->kbd.iface,
        .mouse = &r->mouse.iface,
        .serial = &r->serial.iface,
        .log = r->log,
    };
    r->script = script_new();
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    script_free(r->script);
    sim_destroy(r->sim);
    fclose(r->log);
    free(r->logbuf);
    free(r);
    return 0;
}

static void rig_yaml(struct rig *r, const char *yaml)
{
    struct cw_error err = {{0}};
    struct ynode *n = ytree_load_string(yaml, strlen(yaml), "test.yaml", &err);
    if (!n)
        fail_msg("%s", err.msg);
    if (script_add_yaml(r->script, n, &err))
        fail_msg("%s", err.msg);
    ytree_free(n);
}

static void rig_start(struct rig *r)
{
    struct cw_error err = {{0}};
    if (script_start(r->script, r->sim, &r->io, &err))
        fail_msg("%s", err.msg);
}

static enum sim_stop_reason rig_run_until(struct rig *r, sim_time_t t)
{
    struct sim_limits lim = {.until_time = t};
    return sim_run(r->sim, &lim);
}

static const struct sim_marker_info *marker(struct rig *r, const char *name)
{
    for (size_t i = 0; i < sim_marker_count(r->sim); i++)
        if (strcmp(sim_marker_get(r->sim, i)->name, name) == 0)
            return sim_marker_get(r->sim, i);
    return NULL;
}

/* Runs fn(opaque) at guest time t. */
struct at_call {
    struct event ev;
    void (*fn)(struct rig *r, const char *arg);
    struct rig *r;
    const char *arg;
};

static void at_fire(struct event *ev, void *opaque)
{
    struct at_call *c = opaque;
    c->fn(c->r, c->arg);
}

static void at(struct rig *r, struct at_call *c, sim_time_t t,
               void (*fn)(struct rig *r, const char *arg), const char *arg)
{
    c->fn = fn;
    c->r = r;
    c->arg = arg;
    event_init(r->sim, &c->ev, "test", at_fire, c);
    event_schedule(r->sim, &c->ev, t, 0);
}

static void set_text(struct rig *r, const char *text)
{
    snprintf(r->display.text, sizeof r->display.text, "%s", text);
    r->display.surf.frame++;
}

static void emit_serial(struct rig *r, const char *text)
{
    if (r->serial.fn)
        r->serial.fn(r->serial.ctx, (const uint8_t *)text, strlen(text));
}

static void fill_pixels(struct rig *r, const char *arg)
{
    uint32_t colour = (uint32_t)strtoul(arg, NULL, 16);
    for (int i = 0; i < FAKE_W * FAKE_H; i++)
        r->display.pixels[i] = colour;
    r->display.surf.frame++;
}

static int parse_error(const char *yaml, char *msg, size_t len)
{
    struct cw_error err = {{0}};
    struct ynode *n = ytree_load_string(yaml, strlen(yaml), "bad.yaml", &err);
    assert_non_null(n);
    struct script *s = script_new();
    int rc = script_add_yaml(s, n, &err);
    snprintf(msg, len, "%s", err.msg);
    script_free(s);
    ytree_free(n);
    return rc;
}

/* --- parsing ---------------------------------------------------------------------- */

static void parses_every_step_form(void **state)
{
    struct rig *r = *state;
    rig_yaml(r, "- wait: \"screen:Install\"\n"
                "  timeout: 30s\n"
                "- keys: \"Down Enter Ctrl+Alt+Delete Down*3 KP+ !\"\n"
                "- type: \"root\\n\"\n"
                "- mouse: move 10 -5\n"
                "- screenshot: a.png\n"
                "- sleep: 500ms\n"
                "- marker: here\n"
                "- print: hello\n"
                "- keys Tab\n"
                "- {wait: \"serial:login:\", then: [{keys: Enter}, stop]}\n"
                "- stop\n");
    assert_int_equal(script_step_count(r->script), 13);
    struct cw_error err = {{0}};
    assert_int_equal(script_add_line(r->script, "wait 2s marker:x", NULL, &err), 0);
    assert_int_equal(script_add_line(r->script, "type a\\tb\\n", NULL, &err), 0);
    assert_int_equal(script_step_count(r->script), 15);
}

static void reports_parse_errors_with_locations(void **state)
{
    (void)state;
    char msg[1024];
    assert_int_equal(parse_error("- wait: \"screen:a\"\n- press: Enter\n", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "bad.yaml:2:3"));
    assert_non_null(strstr(msg, "unknown step 'press'"));

    assert_int_equal(parse_error("- keys: \"Down Entr\"\n", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "bad.yaml:1:9"));
    assert_non_null(strstr(msg, "unknown key 'Entr'"));

    assert_int_equal(parse_error("- keys: Down\n  timeout: 2s\n", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "only a wait step takes a timeout"));

    assert_int_equal(parse_error("- type: \"caf\xc3\xa9\"\n", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "U+00E9"));

    assert_int_equal(parse_error("- wait: \"screen-png:/nonexistent/x.png\"\n", msg,
                                 sizeof msg), -1);
    assert_non_null(strstr(msg, "/nonexistent/x.png"));

    assert_int_equal(parse_error("- wait: poweroff\n", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "run.until"));

    assert_int_equal(parse_error("- wait: \"scren:x\"\n", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "bad stop condition"));

    assert_int_equal(parse_error("- {wait: \"screen:a\", keys: Enter}\n", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "one step per list item"));

    assert_int_equal(parse_error("- keys: \"Down*0\"\n", msg, sizeof msg), -1);
    assert_int_equal(parse_error("- sleep: soon\n", msg, sizeof msg), -1);
    assert_int_equal(parse_error("- mouse: jump 1 2\n", msg, sizeof msg), -1);
    assert_int_equal(parse_error("- stop: now\n", msg, sizeof msg), -1);
    assert_int_equal(parse_error("wait: x\n", msg, sizeof msg), -1);

    struct script *s = script_new();
    struct cw_error err = {{0}};
    assert_int_equal(script_add_line(s, "jump 3", "--do", &err), -1);
    assert_non_null(strstr(err.msg, "--do: unknown step 'jump'"));
    assert_int_equal(script_add_line(s, "wait 5s", "--do", &err), -1);
    assert_int_equal(script_step_count(s), 0);
    script_free(s);
}

/* --- keys ------------------------------------------------------------------------- */

static void keys_are_pressed_held_and_released_in_guest_time(void **state)
{
    struct rig *r = *state;
    rig_yaml(r, "- keys: \"a Ctrl+Down\"\n- marker: after\n");
    rig_start(r);
    rig_run_until(r, SIM_S(1));
    struct fake_keyboard *k = &r->kbd;
    assert_int_equal(k->n, 6);
    const uint16_t down = KEY_EXT | 0x72;
    struct {
        uint16_t code;
        bool down;
        sim_time_t when;
    } want[] = {
        {0x1C, true, 0},
        {0x1C, false, SIM_MS(50)},          /* held 50 ms */
        {0x14, true, SIM_MS(100)},          /* 50 ms gap */
        {down, true, SIM_MS(110)},          /* 10 ms after the modifier */
        {down, false, SIM_MS(160)},
        {0x14, false, SIM_MS(170)},
    };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(k->log[i].code, want[i].code);
        assert_int_equal(k->log[i].down, want[i].down);
        assert_int_equal(k->log[i].when, want[i].when);
    }
    const struct sim_marker_info *m = marker(r, "after");
    assert_non_null(m);
    assert_int_equal(m->time, SIM_MS(220)); /* one gap after the last release */
    assert_int_equal(script_status(r->script), SCRIPT_DONE);
}

static void typed_text_uses_shift_for_capitals_and_symbols(void **state)
{
    struct rig *r = *state;
    rig_yaml(r, "- type: \"Hi!\\n\"\n");
    rig_start(r);
    rig_run_until(r, SIM_S(2));
    static const struct {
        uint16_t code;
        bool down;
    } want[] = {
        {0x12, true}, {0x33, true}, {0x33, false}, {0x12, false}, /* H */
        {0x43, true}, {0x43, false},                             /* i */
        {0x12, true}, {0x16, true}, {0x16, false}, {0x12, false}, /* ! */
        {0x5A, true}, {0x5A, false},                             /* Enter */
    };
    assert_int_equal(r->kbd.n, 12);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(r->kbd.log[i].code, want[i].code);
        assert_int_equal(r->kbd.log[i].down, want[i].down);
    }
}

static void repeat_and_custom_timing(void **state)
{
    struct rig *r = *state;
    struct script_timing t = {.hold = SIM_MS(20), .gap = SIM_MS(30), .modifier_gap = SIM_MS(5),
                              .check_period = SIM_MS(10)};
    script_set_timing(r->script, &t);
    rig_yaml(r, "- keys: \"Down*3\"\n");
    rig_start(r);
    rig_run_until(r, SIM_S(1));
    assert_int_equal(r->kbd.n, 6);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r->kbd.log[2 * i].when, (sim_time_t)i * SIM_MS(50));
        assert_int_equal(r->kbd.log[2 * i + 1].when, (sim_time_t)i * SIM_MS(50) + SIM_MS(20));
        assert_int_equal(r->kbd.log[2 * i].code, KEY_EXT | 0x72);
    }
}

static void mouse_click_presses_then_releases(void **state)
{
    struct rig *r = *state;
    rig_yaml(r, "- mouse: move 10 -5\n- mouse: click right\n- mouse: wheel -2\n");
    rig_start(r);
    rig_run_until(r, SIM_S(1));
    assert_int_equal(r->mouse.dx, 10);
    assert_int_equal(r->mouse.dy, -5);
    assert_int_equal(r->mouse.dz, -2);
    assert_int_equal(r->mouse.calls, 4);
    assert_int_equal(r->mouse.buttons[1], 2);
    assert_int_equal(r->mouse.buttons[2], 0);
    assert_int_equal(r->mouse.when[2] - r->mouse.when[1], SIM_MS(50));
}

/* --- waits ------------------------------------------------------------------------ */

static void waits_for_screen_text(void **state)
{
    struct rig *r = *state;
    set_text(r, "Booting...");
    struct at_call c1, c2;
    at(r, &c1, SIM_MS(1000), set_text, "Debian installer menu\nInstall");
    at(r, &c2, SIM_MS(2000), set_text, "Select a language");
    rig_yaml(r, "- wait: \"screen:Install\"\n- marker: menu\n- keys: Enter\n"
                "- wait: \"screen:Select a language\"\n- marker: language\n");
    rig_start(r);
    rig_run_until(r, SIM_S(5));
    const struct sim_marker_info *m = marker(r, "menu");
    assert_non_null(m);
    /* Checked every 50 ms of guest time: seen at the first check after 1 s. */
    assert_int_equal(m->time, SIM_MS(1000));
    m = marker(r, "language");
    assert_non_null(m);
    assert_true(m->time >= SIM_MS(2000) && m->time <= SIM_MS(2050));
    assert_int_equal(script_status(r->script), SCRIPT_DONE);
    /* The text is read once per new frame, not at every check. */
    assert_int_equal(r->display.text_calls, 4);
}

static void serial_text_counts_only_after_the_wait_began(void **state)
{
    struct rig *r = *state;
    struct at_call c1, c2, c3;
    at(r, &c1, SIM_MS(100), emit_serial, "login: ");
    at(r, &c2, SIM_MS(500), emit_serial, "...log");
    at(r, &c3, SIM_MS(600), emit_serial, "in: ");
    rig_yaml(r, "- sleep: 200ms\n- wait: \"serial:login:\"\n- marker: seen\n");
    rig_start(r);
    rig_run_until(r, SIM_S(2));
    const struct sim_marker_info *m = marker(r, "seen");
    assert_non_null(m);
    assert_int_equal(m->time, SIM_MS(600)); /* split across two writes */
}

static void wait_timeout_fails_the_script_and_stops_the_run(void **state)
{
    struct rig *r = *state;
    set_text(r, "nothing here");
    rig_yaml(r, "- wait: \"screen:Never\"\n  timeout: 1500ms\n- marker: unreachable\n");
    rig_start(r);
    assert_int_equal(rig_run_until(r, SIM_S(10)), SIM_STOP_REQUEST);
    assert_int_equal(sim_now(r->sim), SIM_MS(1500));
    assert_int_equal(script_status(r->script), SCRIPT_FAILED);
    const char *d = script_describe(r->script);
    assert_non_null(strstr(d, "step 1 (test.yaml:1:9) timed out after 1.500s"));
    assert_non_null(strstr(d, "screen:Never"));
    assert_null(marker(r, "unreachable"));
}

static void line_form_timeout(void **state)
{
    struct rig *r = *state;
    struct cw_error err = {{0}};
    assert_int_equal(script_add_line(r->script, "wait 300ms serial:never", NULL, &err), 0);
    rig_start(r);
    assert_int_equal(rig_run_until(r, SIM_S(10)), SIM_STOP_REQUEST);
    assert_int_equal(sim_now(r->sim), SIM_MS(300));
    assert_non_null(strstr(script_describe(r->script), "--do"));
}

static void stop_ends_the_run_with_success(void **state)
{
    struct rig *r = *state;
    rig_yaml(r, "- sleep: 2s\n- stop\n- marker: never\n");
    rig_start(r);
    assert_int_equal(rig_run_until(r, SIM_S(10)), SIM_STOP_REQUEST);
    assert_int_equal(sim_now(r->sim), SIM_S(2));
    assert_int_equal(script_status(r->script), SCRIPT_STOPPED);
    assert_non_null(strstr(script_describe(r->script), "test.yaml:2:3"));
    assert_null(marker(r, "never"));
}

static void waits_for_markers_and_guest_time(void **state)
{
    struct rig *r = *state;
    sim_marker(r->sim, "early");
    rig_yaml(r, "- wait: \"marker:early\"\n- wait: \"guest-time:1.25s\"\n- marker: t\n"
                "- wait: \"marker:late\"\n- marker: after-late\n");
    rig_start(r);
    rig_run_until(r, SIM_S(3));
    assert_int_equal(marker(r, "t")->time, SIM_MS(1250));
    assert_null(marker(r, "after-late"));
    assert_non_null(strstr(script_describe(r->script), "waiting for marker:late"));
    sim_marker(r->sim, "late");
    script_marker(r->script, "late");
    rig_run_until(r, SIM_S(4));
    assert_non_null(marker(r, "after-late"));
}

static void waits_for_a_screen_region_to_match_a_png(void **state)
{
    struct rig *r = *state;
    char dir[] = "/tmp/test_script_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char full[256], crop[256];
    snprintf(full, sizeof full, "%s/full.png", dir);
    snprintf(crop, sizeof crop, "%s/crop.png", dir);
    struct cw_error err = {{0}};
    /* Reference: all 0x123456 except the top-left 4x4, which is 0x00FF00. */
    fill_pixels(r, "123456");
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            r->display.pixels[y * FAKE_W + x] = 0x00FF00;
    assert_int_equal(png_write_surface(full, &r->display.surf, &err), 0);
    struct display_surface small = {r->display.pixels + 8 * FAKE_W + 8, 4, 4, FAKE_W, 0};
    assert_int_equal(png_write_surface(crop, &small, &err), 0);

    /* The screen starts black; at 1 s it becomes 0x123456 everywhere. */
    fill_pixels(r, "000000");
    struct at_call c1;
    at(r, &c1, SIM_S(1), fill_pixels, "123456");
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "- wait: \"screen-png:8,8,4x4=%s\"\n- marker: crop\n"
             "- wait: \"screen-png:4,0,28x16=%s\"\n- marker: region\n"
             "- wait: \"screen-png:%s\"\n  timeout: 1s\n",
             crop, full, full);
    rig_yaml(r, yaml);
    rig_start(r);
    rig_run_until(r, SIM_S(5));
    assert_int_equal(marker(r, "crop")->time, SIM_S(1));
    assert_int_equal(marker(r, "region")->time, SIM_S(1));
    /* The whole screen differs from the reference in the green corner. */
    assert_int_equal(script_status(r->script), SCRIPT_FAILED);
    unlink(full);
    unlink(crop);
    rmdir(dir);
}

/* --- actions ---------------------------------------------------------------------- */

static void screenshot_step_and_periodic_screenshots(void **state)
{
    struct rig *r = *state;
    char dir[] = "/tmp/test_script_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prefix[256], shot[256], yaml[512];
    snprintf(prefix, sizeof prefix, "%s/every-", dir);
    snprintf(shot, sizeof shot, "%s/step.png", dir);
    fill_pixels(r, "FF0000");
    struct at_call c0, c1;
    at(r, &c0, SIM_MS(1500), fill_pixels, "FF0000"); /* a new frame, the same picture */
    at(r, &c1, SIM_MS(2500), fill_pixels, "0000FF");
    snprintf(yaml, sizeof yaml, "- sleep: 1s\n- screenshot: %s\n- print: shot taken\n", shot);
    rig_yaml(r, yaml);
    script_screenshot_every(r->script, SIM_S(1), prefix);
    rig_start(r);
    rig_run_until(r, SIM_MS(4500));
    uint32_t *px;
    int w, h;
    struct cw_error err;
    assert_int_equal(png_read_rgb(shot, &px, &w, &h, &err), 0);
    assert_int_equal(w, FAKE_W);
    assert_int_equal(px[0], 0xFF0000);
    free(px);
    /* The picture changed at 0 s and 2.5 s: two periodic screenshots. */
    char p0[300], p1[300], p2[300], p15[300];
    snprintf(p0, sizeof p0, "%s0.000s.png", prefix);
    snprintf(p1, sizeof p1, "%s1.000s.png", prefix);
    snprintf(p15, sizeof p15, "%s2.000s.png", prefix);
    snprintf(p2, sizeof p2, "%s3.000s.png", prefix);
    assert_int_equal(access(p0, F_OK), 0);
    assert_int_equal(access(p1, F_OK), -1);
    assert_int_equal(access(p15, F_OK), -1);
    assert_int_equal(png_read_rgb(p2, &px, &w, &h, &err), 0);
    assert_int_equal(px[0], 0x0000FF);
    free(px);
    fflush(r->log);
    assert_non_null(strstr(r->logbuf, "script [1.000s]: shot taken"));
    assert_non_null(strstr(r->logbuf, "step.png (32x16)"));
    unlink(shot);
    unlink(p0);
    unlink(p2);
    rmdir(dir);
}

static void start_refuses_what_the_machine_lacks(void **state)
{
    struct rig *r = *state;
    rig_yaml(r, "- wait: \"serial:x\"\n- keys: Enter\n");
    r->io.keyboard = NULL;
    struct cw_error err = {{0}};
    assert_int_equal(script_start(r->script, r->sim, &r->io, &err), -1);
    assert_non_null(strstr(err.msg, "test.yaml:2:9"));
    assert_non_null(strstr(err.msg, "no keyboard"));
}

static void script_file_with_a_script_section(void **state)
{
    struct rig *r = *state;
    char path[] = "/tmp/test_script_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    const char *text = "machine: x.yaml\nscript:\n  - keys: a\n  - stop\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct cw_error err = {{0}};
    assert_int_equal(script_add_file(r->script, path, &err), 0);
    assert_int_equal(script_step_count(r->script), 2);
    rig_start(r);
    assert_int_equal(rig_run_until(r, SIM_S(1)), SIM_STOP_REQUEST);
    assert_int_equal(r->kbd.n, 2);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(parses_every_step_form, rig_setup, rig_teardown),
        cmocka_unit_test(reports_parse_errors_with_locations),
        cmocka_unit_test_setup_teardown(keys_are_pressed_held_and_released_in_guest_time,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(typed_text_uses_shift_for_capitals_and_symbols,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(repeat_and_custom_timing, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(mouse_click_presses_then_releases, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(waits_for_screen_text, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(serial_text_counts_only_after_the_wait_began, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(wait_timeout_fails_the_script_and_stops_the_run,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(line_form_timeout, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(stop_ends_the_run_with_success, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(waits_for_markers_and_guest_time, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(waits_for_a_screen_region_to_match_a_png, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(screenshot_step_and_periodic_screenshots, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(start_refuses_what_the_machine_lacks, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(script_file_with_a_script_section, rig_setup,
                                        rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
