/* run.c: drives one run: builds the machine from the merged YAML, routes
 * serial and debug-console output, opens the trace database, watches the
 * stop conditions, prints progress while it runs and a summary at the end. */
#include "host/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/png.h"
#include "host/screen_text.h"
#include "host/script.h"
#include "host/trace_db.h"
#include "host/window_sdl.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/machine.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

#define WATCH_TAIL 8192

/* A byte stream the run watches: serial port or debug console. */
struct watch {
    const char *label;
    FILE *out;            /* copy of the output, or NULL */
    bool close_out;
    char tail[WATCH_TAIL + 1];
    size_t len;
    struct run_state *rs;
};

/* The picture a screen-png: stop condition waits for. */
struct run_png {
    uint32_t *pixels;     /* 0x00RRGGBB, stride = width; NULL: not a PNG condition */
    int width, height;
};

struct run_state {
    struct sim *sim;
    struct run_config *rc;
    struct watch serial, debugcon;
    const struct display_iface *display;
    struct screen_text screen;
    int met;               /* index of the condition that held, or -1 */
    bool quiet;
    bool tty;
    uint64_t start_ns, last_progress_ns;
    sim_time_t last_guest;
    uint64_t last_insns, last_events;
    const char *phase;
    uint64_t screen_frame;
    bool screen_checked;
    struct event screen_event; /* periodic screen-condition check */
    struct run_png *pngs;      /* per stop condition (rc->nuntil), or NULL */
    struct script *script;  /* scripted input (host/script.h), or NULL */
    struct window *window;  /* SDL window (host/window_sdl.h), or NULL */
};

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void run_condition_met(struct run_state *rs, size_t i)
{
    if (rs->met < 0)
        rs->met = (int)i;
    sim_request_stop(rs->sim, SIM_STOP_REQUEST);
}

/* Appends output to the watch's tail and checks the text conditions. */
static void watch_bytes(void *ctx, const uint8_t *buf, size_t len)
{
    struct watch *w = ctx;
    struct run_state *rs = w->rs;
    if (w->out) {
        fwrite(buf, 1, len, w->out);
        if (w->out == stdout)
            fflush(stdout);
    }
    if (len >= WATCH_TAIL) {
        buf += len - WATCH_TAIL;
        len = WATCH_TAIL;
    }
    if (w->len + len > WATCH_TAIL) {
        size_t drop = w->len + len - WATCH_TAIL;
        memmove(w->tail, w->tail + drop, w->len - drop);
        w->len -= drop;
    }
    memcpy(w->tail + w->len, buf, len);
    w->len += len;
    w->tail[w->len] = 0;
    enum until_kind kind = w == &rs->serial ? UNTIL_SERIAL : UNTIL_DEBUGCON;
    for (size_t i = 0; i < rs->rc->nuntil; i++) {
        const struct until_cond *u = &rs->rc->until[i];
        if (u->kind != kind)
            continue;
        /* NULs in the stream would hide text from strstr: search by memmem. */
        if (memmem(w->tail, w->len, u->text, strlen(u->text)))
            run_condition_met(rs, i);
    }
}

static void on_marker(struct sim *sim, const char *name, void *opaque)
{
    struct run_state *rs = opaque;
    rs->phase = sim_marker_get(sim, sim_marker_count(sim) - 1)->name;
    script_marker(rs->script, name);
    for (size_t i = 0; i < rs->rc->nuntil; i++) {
        const struct until_cond *u = &rs->rc->until[i];
        if (u->kind == UNTIL_MARKER && strcmp(u->text, name) == 0)
            run_condition_met(rs, i);
    }
}

static int open_output(const char *path, FILE **out, bool *close_out, struct cw_error *err)
{
    *out = NULL;
    *close_out = false;
    if (!path)
        return 0;
    if (strcmp(path, "-") == 0) {
        *out = stdout;
        return 0;
    }
    *out = fopen(path, "wb");
    if (!*out)
        return cw_errorf(err, "cannot write '%s': %s", path, strerror(errno));
    *close_out = true;
    return 0;
}

/* Finds the first component of one of the given types exporting iface. */
static void *find_iface(struct sim *sim, const char *const *types, const char *iface)
{
    for (struct component *c = sim_components(sim); c; c = c->next)
        for (size_t i = 0; types[i]; i++)
            if (strcmp(c->type->name, types[i]) == 0 && component_interface(c, iface))
                return component_interface(c, iface);
    return NULL;
}

static void *find_any_iface(struct sim *sim, const char *iface)
{
    for (struct component *c = sim_components(sim); c; c = c->next)
        if (component_interface(c, iface))
            return component_interface(c, iface);
    return NULL;
}

static int attach_watch(struct run_state *rs, struct watch *w, const char *label,
                        const char *const *types, const char *path, enum until_kind kind,
                        struct cw_error *err)
{
    w->label = label;
    w->rs = rs;
    struct chardev_iface *cd = find_iface(rs->sim, types, "chardev");
    bool wanted = path != NULL;
    for (size_t i = 0; i < rs->rc->nuntil; i++)
        wanted |= rs->rc->until[i].kind == kind;
    if (!wanted)
        return 0;
    if (!cd)
        return cw_errorf(err, "the machine has no %s device to read (--%s or until %s:)", label,
                         label, label);
    if (open_output(path, &w->out, &w->close_out, err))
        return -1;
    cd->add_listener(cd->opaque, watch_bytes, w);
    return 0;
}

static void fmt_time(char *buf, size_t len, sim_time_t t)
{
    snprintf(buf, len, "%llu.%09llus", (unsigned long long)(t / SIM_S(1)),
             (unsigned long long)(t % SIM_S(1) / SIM_NS(1)));
}

static char screen_buf[256 * 1024];

/* The text on the screen now (text modes, or graphics matched against the
 * font the guest loaded into the VGA). */
static const char *read_screen(struct run_state *rs)
{
    if (!rs->screen.font_height) {
        const struct vga_font_iface *vf = find_any_iface(rs->sim, "vga-font");
        if (vf)
            screen_text_font_from_vga(&rs->screen, vf);
    }
    screen_text_read(&rs->screen, rs->display, screen_buf, sizeof screen_buf);
    return screen_buf;
}

/* screen-png: the screen equals the PNG, pixel for pixel: the whole
 * screen (same size), or the region X,Y WxH, which a PNG of the screen's
 * size gives at the same place and a crop from its corner (as the
 * script's waits read it). */
static bool run_png_matches(const struct until_cond *u, const struct run_png *p,
                            const struct display_surface *surf)
{
    if (!surf->pixels || surf->width <= 0)
        return false;
    int x = 0, y = 0, w = p->width, h = p->height, px = 0, py = 0;
    if (u->region) {
        x = u->x;
        y = u->y;
        w = u->w;
        h = u->h;
        if (p->width == surf->width && p->height == surf->height) {
            px = x;
            py = y;
        }
        if (px + w > p->width || py + h > p->height)
            return false;
    } else if (surf->width != p->width || surf->height != p->height) {
        return false;
    }
    if (x + w > surf->width || y + h > surf->height)
        return false;
    for (int r = 0; r < h; r++) {
        const uint32_t *a = surf->pixels + (size_t)(y + r) * (size_t)surf->stride + x;
        const uint32_t *b = p->pixels + (size_t)(py + r) * (size_t)p->width + px;
        for (int i = 0; i < w; i++)
            if ((a[i] & 0xFFFFFF) != (b[i] & 0xFFFFFF))
                return false;
    }
    return true;
}

static void check_screen(struct run_state *rs)
{
    bool any = false, any_text = false;
    for (size_t i = 0; i < rs->rc->nuntil; i++) {
        any |= rs->rc->until[i].kind == UNTIL_SCREEN;
        any_text |= rs->rc->until[i].kind == UNTIL_SCREEN && !rs->rc->until[i].png;
    }
    if (!any || !rs->display)
        return;
    /* Reading a graphics screen costs milliseconds: only when the frame
     * changed. Called from a guest-time event, so where a run stops does
     * not depend on the host's speed. */
    const struct display_surface *surf = rs->display->update(rs->display->opaque);
    if (surf->frame == rs->screen_frame && rs->screen_checked)
        return;
    rs->screen_frame = surf->frame;
    rs->screen_checked = true;
    /* Reading text from a graphics screen costs; pictures need none. */
    const char *text = any_text ? read_screen(rs) : "";
    for (size_t i = 0; i < rs->rc->nuntil; i++) {
        const struct until_cond *u = &rs->rc->until[i];
        if (u->kind != UNTIL_SCREEN)
            continue;
        if (u->png ? run_png_matches(u, &rs->pngs[i], surf) : strstr(text, u->text) != NULL)
            run_condition_met(rs, i);
    }
}

/* Reads the PNG of every screen-png: stop condition. */
static int run_load_pngs(struct run_state *rs, struct cw_error *err)
{
    const struct run_config *rc = rs->rc;
    rs->pngs = calloc(rc->nuntil ? rc->nuntil : 1, sizeof *rs->pngs);
    if (!rs->pngs)
        return cw_errorf(err, "out of memory");
    for (size_t i = 0; i < rc->nuntil; i++) {
        const struct until_cond *u = &rc->until[i];
        if (!u->png)
            continue;
        const char *origin = u->origin ? u->origin : "--until";
        struct run_png *p = &rs->pngs[i];
        struct cw_error inner;
        if (png_read_rgb(u->text, &p->pixels, &p->width, &p->height, &inner))
            return cw_errorf(err, "%s: screen-png: %s", origin, inner.msg);
        if (u->region && (u->w > p->width || u->h > p->height))
            return cw_errorf(err, "%s: screen-png: %s is %dx%d, smaller than the region %dx%d",
                             origin, u->text, p->width, p->height, u->w, u->h);
    }
    return 0;
}

static void run_free_pngs(struct run_state *rs)
{
    for (size_t i = 0; rs->pngs && i < rs->rc->nuntil; i++)
        free(rs->pngs[i].pixels);
    free(rs->pngs);
    rs->pngs = NULL;
}

#define SCREEN_CHECK_PERIOD SIM_MS(20)

static void on_screen_event(struct event *ev, void *opaque)
{
    struct run_state *rs = opaque;
    check_screen(rs);
    event_schedule_in(rs->sim, ev, SCREEN_CHECK_PERIOD, EVENT_PRIO_LOW);
}

static void on_poll(struct sim *sim, void *opaque)
{
    struct run_state *rs = opaque;
    window_poll(rs->window, sim);
    uint64_t now = host_ns();
    if (rs->rc->timeout_wall_ms && now - rs->start_ns >= rs->rc->timeout_wall_ms * 1000000ull)
        sim_request_stop(sim, SIM_STOP_WALLCLOCK);
    if (rs->quiet || now - rs->last_progress_ns < (rs->tty ? 1000000000ull : 10000000000ull))
        return;
    double dt = (double)(now - rs->last_progress_ns) / 1e9;
    uint64_t insns = sim_total_insns(sim), events = sim_events_fired(sim);
    sim_time_t guest = sim_now(sim);
    char gt[32];
    fmt_time(gt, sizeof gt, guest);
    fprintf(stderr, "%sguest %s | %.1f MIPS | %.2f M events/s | guest/host %.3f | phase %s%s",
            rs->tty ? "\r" : "", gt, (double)(insns - rs->last_insns) / dt / 1e6,
            (double)(events - rs->last_events) / dt / 1e6,
            (double)(guest - rs->last_guest) / 1e12 / dt, rs->phase ? rs->phase : "start",
            rs->tty ? "   " : "\n");
    rs->last_progress_ns = now;
    rs->last_guest = guest;
    rs->last_insns = insns;
    rs->last_events = events;
}

static char *join_command_line(const struct run_options *ro)
{
    size_t n = 16;
    for (int i = 0; i < ro->argc; i++)
        n += strlen(ro->argv[i]) + 3;
    char *s = calloc(1, n);
    if (!s)
        return NULL;
    strcat(s, "clockwork");
    for (int i = 0; i < ro->argc; i++) {
        strcat(s, " ");
        strcat(s, ro->argv[i]);
    }
    return s;
}

static void print_summary(struct run_state *rs, enum sim_stop_reason why, double wall_s)
{
    struct sim *sim = rs->sim;
    char gt[32];
    fmt_time(gt, sizeof gt, sim_now(sim));
    uint64_t insns = sim_total_insns(sim);
    if (rs->tty && !rs->quiet)
        fputc('\n', stderr);
    fprintf(stderr, "--- run summary ---\n");
    if (why == SIM_STOP_REQUEST && rs->met >= 0) {
        const struct until_cond *u = &rs->rc->until[rs->met];
        fprintf(stderr, "stopped:       condition met (%s)\n", u->origin ? u->origin : "until");
    } else if (why == SIM_STOP_REQUEST && window_closed(rs->window)) {
        fprintf(stderr, "stopped:       window closed\n");
    } else if (why == SIM_STOP_REQUEST && script_status(rs->script) >= SCRIPT_STOPPED) {
        fprintf(stderr, "stopped:       %s\n", script_describe(rs->script));
    } else {
        fprintf(stderr, "stopped:       %s\n", sim_stop_reason_name(why));
    }
    if (script_status(rs->script) == SCRIPT_RUNNING || script_status(rs->script) == SCRIPT_DONE)
        fprintf(stderr, "script:        %s\n", script_describe(rs->script));
    fprintf(stderr, "guest time:    %s\n", gt);
    fprintf(stderr, "wall time:     %.3fs\n", wall_s);
    fprintf(stderr, "instructions:  %llu (%.1f MIPS)\n", (unsigned long long)insns,
            wall_s > 0 ? (double)insns / wall_s / 1e6 : 0.0);
    fprintf(stderr, "events:        %llu\n", (unsigned long long)sim_events_fired(sim));
    if (sim_reset_count(sim) > 1)
        fprintf(stderr, "resets:        %llu\n", (unsigned long long)sim_reset_count(sim) - 1);
    size_t nm = sim_marker_count(sim);
    if (nm) {
        fprintf(stderr, "phases (from marker to the next):\n");
        fprintf(stderr, "  %-24s %16s %16s %16s %10s\n", "phase", "starts at", "guest time",
                "instructions", "wall");
        for (size_t i = 0; i < nm; i++) {
            const struct sim_marker_info *m = sim_marker_get(sim, i);
            const struct sim_marker_info *n = i + 1 < nm ? sim_marker_get(sim, i + 1) : NULL;
            sim_time_t end = n ? n->time : sim_now(sim);
            uint64_t end_insns = n ? n->insns : insns;
            uint64_t end_host = n ? n->host_ns : (uint64_t)(wall_s * 1e9);
            char st[32], dur[32];
            fmt_time(st, sizeof st, m->time);
            fmt_time(dur, sizeof dur, end - m->time);
            fprintf(stderr, "  %-24s %16s %16s %16llu %9.2fs\n", m->name, st, dur,
                    (unsigned long long)(end_insns - m->insns),
                    (double)(end_host - m->host_ns) / 1e9);
        }
    }
    bool header = false;
    for (struct component *c = sim_components(sim); c; c = c->next) {
        for (struct stat_entry *s = c->stats; s; s = s->next) {
            if (!*s->counter)
                continue;
            if (!header) {
                fprintf(stderr, "statistics (non-zero):\n");
                header = true;
            }
            fprintf(stderr, "  %-12s %-28s %16llu\n", c->name, s->name,
                    (unsigned long long)*s->counter);
        }
    }
}

static int run_screenshot(struct run_state *rs, const char *path)
{
    if (!rs->display) {
        fprintf(stderr, "clockwork: --screenshot: the machine has no display\n");
        return -1;
    }
    const struct display_surface *s = rs->display->update(rs->display->opaque);
    struct cw_error err;
    if (png_write_surface(path, s, &err)) {
        fprintf(stderr, "clockwork: screenshot: %s\n", err.msg);
        return -1;
    }
    fprintf(stderr, "screenshot:    %s (%dx%d)\n", path, s->width, s->height);
    return 0;
}

/* The script: --script/--do replace the config's script: section. */
static struct script *run_script_load(const struct run_config *rc, const struct run_options *ro,
                                      struct cw_error *err)
{
    struct script *s = script_new();
    if (!s) {
        cw_errorf(err, "out of memory");
        return NULL;
    }
    int rcode = 0;
    if (ro->script_file)
        rcode = script_add_file(s, ro->script_file, err);
    for (size_t i = 0; !rcode && i < ro->nscript_lines; i++)
        rcode = script_add_line(s, ro->script_lines[i], "--do", err);
    if (!rcode && !ro->script_file && !ro->nscript_lines)
        rcode = script_add_yaml(s, rc->script, err);
    if (ro->screenshot_every)
        script_screenshot_every(s, ro->screenshot_every, "shot-");
    if (rcode) {
        script_free(s);
        return NULL;
    }
    return s;
}

/* Starts the script and, unless headless, the window (docs/ui.md). */
static int run_ui_start(struct run_state *rs, const struct run_options *ro, struct cw_error *err)
{
    static const char *const serial_types[] = { "ns16550a", NULL };
    static const char *const debugcon_types[] = { "debugcon", NULL };
    struct script_io io = {
        .display = rs->display,
        .font = find_any_iface(rs->sim, VGA_FONT_IFACE),
        .keyboard = find_any_iface(rs->sim, "keyboard"),
        .mouse = find_any_iface(rs->sim, "mouse"),
        .serial = find_iface(rs->sim, serial_types, "chardev"),
        .debugcon = find_iface(rs->sim, debugcon_types, "chardev"),
    };
    if (script_start(rs->script, rs->sim, &io, err))
        return -1;
    if (!ro->window && (rs->rc->headless || !window_display_available()))
        return 0;
    if (!rs->display)
        return ro->window ? cw_errorf(err, "--window: the machine has no display") : 0;
    const struct ynode *m = ymap_get(rs->rc->machine, "machine");
    const struct ynode *name = ymap_get(m, "name");
    struct window_io wio = { rs->display, io.keyboard, io.mouse };
    rs->window = window_open(&wio, name && name->kind == YNODE_SCALAR ? name->scalar : NULL,
                             rs->rc->trace.file, err);
    if (!rs->window && ro->window)
        return -1;
    if (!rs->window)
        fprintf(stderr, "clockwork: %s; running headless\n", err->msg);
    return 0;
}

/* A window closed by the user or a script's stop ends a run well; a
 * failed or unfinished script does not. */
static int run_ui_status(const struct run_state *rs, enum sim_stop_reason why, int status)
{
    if (rs->met >= 0 || why == SIM_STOP_POWEROFF || why == SIM_STOP_INTERRUPT)
        return status;
    if (window_closed(rs->window))
        return 0;
    switch (script_status(rs->script)) {
    case SCRIPT_STOPPED: return 0;
    case SCRIPT_FAILED:
    case SCRIPT_RUNNING: return 1;
    default: return status;
    }
}

int run_machine(struct run_config *rc, const struct run_options *ro)
{
    struct cw_error err = { { 0 } };
    static const char *const serial_types[] = { "ns16550a", NULL };
    static const char *const debugcon_types[] = { "debugcon", NULL };
    struct run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.rc = rc;
    rs.met = -1;
    rs.quiet = ro->quiet;
    rs.tty = isatty(2);
    screen_text_init(&rs.screen);
    rs.script = run_script_load(rc, ro, &err);
    if (!rs.script) {
        fprintf(stderr, "clockwork: %s\n", err.msg);
        return 2;
    }

    struct sim *sim = machine_build(rc->machine, &err);
    if (!sim) {
        fprintf(stderr, "clockwork: %s\n", err.msg);
        script_free(rs.script);
        return 2;
    }
    rs.sim = sim;
    int status = 2;
    struct trace_db *db = NULL;
    FILE *insn_out = NULL;
    if (attach_watch(&rs, &rs.serial, "serial", serial_types, rc->serial_out, UNTIL_SERIAL, &err) ||
        attach_watch(&rs, &rs.debugcon, "debugcon", debugcon_types, rc->debugcon_out,
                     UNTIL_DEBUGCON, &err)) {
        fprintf(stderr, "clockwork: %s\n", err.msg);
        goto out;
    }
    rs.display = find_any_iface(sim, "display");
    if (run_load_pngs(&rs, &err)) {
        fprintf(stderr, "clockwork: %s\n", err.msg);
        goto out;
    }
    bool screen_conditions = false;
    for (size_t i = 0; i < rc->nuntil; i++) {
        if (rc->until[i].kind != UNTIL_SCREEN)
            continue;
        if (!rs.display) {
            fprintf(stderr, "clockwork: %s: %s:%s needs a machine with a display\n",
                    rc->until[i].origin ? rc->until[i].origin : "--until",
                    rc->until[i].png ? "screen-png" : "screen", rc->until[i].text);
            goto out;
        }
        screen_conditions = true;
    }
    if (screen_conditions) {
        event_init(sim, &rs.screen_event, "screen-conditions", on_screen_event, &rs);
        event_schedule(sim, &rs.screen_event, SCREEN_CHECK_PERIOD, EVENT_PRIO_LOW);
    }
    if (ro->trace_insns) {
        struct insn_trace_iface *it = find_any_iface(sim, "insn-trace");
        if (!it) {
            fprintf(stderr, "clockwork: --trace-insns: the machine has no CPU that can trace\n");
            goto out;
        }
        bool close_it;
        if (open_output(ro->trace_insns, &insn_out, &close_it, &err)) {
            fprintf(stderr, "clockwork: --trace-insns: %s\n", err.msg);
            goto out;
        }
        if (!close_it)
            insn_out = NULL; /* stdout: nothing to close */
        it->set_output(it->opaque, close_it ? insn_out : stdout);
    }
    if (rc->trace.file) {
        char *cmdline = join_command_line(ro);
        char version[64];
        snprintf(version, sizeof version, "clockwork %s", ro->version);
        struct trace_run_info info = {
            .program_version = version,
            .command_line = cmdline,
            .machine_yaml = rc->machine_text,
            .config_yaml = rc->config_text,
        };
        db = trace_db_open(rc->trace.file, &info, &err);
        free(cmdline);
        if (!db) {
            fprintf(stderr, "clockwork: --trace: %s\n", err.msg);
            goto out;
        }
        struct trace_filter f;
        trace_filter_from_settings(&f, &rc->trace);
        if (trace_db_attach(db, sim, &f, &err)) {
            fprintf(stderr, "clockwork: trace: %s\n", err.msg);
            goto out;
        }
    }
    sim_add_marker_hook(sim, on_marker, &rs);
    if (rc->quantum)
        sim_set_quantum(sim, rc->quantum);
    if (run_ui_start(&rs, ro, &err)) {
        fprintf(stderr, "clockwork: %s\n", err.msg);
        goto out;
    }
    sim_set_poll(sim, on_poll, &rs, rs.window ? 10 : 100);
    sim_install_signal_handlers();

    struct sim_limits lim = { .until_time = SIM_TIME_MAX };
    if (rc->timeout_guest && rc->timeout_guest != SIM_TIME_MAX)
        lim.until_time = rc->timeout_guest;
    for (size_t i = 0; i < rc->nuntil; i++) {
        const struct until_cond *u = &rc->until[i];
        if (u->kind == UNTIL_GUEST_TIME && u->value < lim.until_time)
            lim.until_time = u->value;
        if (u->kind == UNTIL_INSNS && (!lim.max_insns || u->value < lim.max_insns))
            lim.max_insns = u->value;
    }
    rs.start_ns = rs.last_progress_ns = host_ns();
    sim_marker(sim, "reset");
    enum sim_stop_reason why = sim_run(sim, &lim);
    double wall = (double)(host_ns() - rs.start_ns) / 1e9;

    /* Translate the stop into the condition that caused it. */
    for (size_t i = 0; i < rc->nuntil && rs.met < 0; i++) {
        const struct until_cond *u = &rc->until[i];
        if ((u->kind == UNTIL_GUEST_TIME && why == SIM_STOP_TIME && sim_now(sim) >= u->value) ||
            (u->kind == UNTIL_INSNS && why == SIM_STOP_INSNS) ||
            (u->kind == UNTIL_POWEROFF && why == SIM_STOP_POWEROFF))
            rs.met = (int)i;
    }
    if (why == SIM_STOP_TIME || why == SIM_STOP_REQUEST || why == SIM_STOP_INSNS)
        check_screen(&rs);
    if (ro->print_screen && rs.display)
        printf("%s\n", read_screen(&rs));
    print_summary(&rs, why, wall);
    if (rs.met >= 0 || why == SIM_STOP_POWEROFF)
        status = 0;
    else if (why == SIM_STOP_INTERRUPT)
        status = 130;
    else
        status = rc->nuntil ? 1 : 0;
    if (why == SIM_STOP_IDLE && rc->nuntil)
        status = 1;
    status = run_ui_status(&rs, why, status);
    if (rc->screenshot && run_screenshot(&rs, rc->screenshot) && status == 0)
        status = 1;
    if (db) {
        if (trace_db_close(db, sim, rs.met >= 0 ? "condition met" : sim_stop_reason_name(why), &err))
            fprintf(stderr, "clockwork: trace: %s\n", err.msg);
        else
            fprintf(stderr, "trace:         %s\n", rc->trace.file);
        db = NULL;
    }
    if (status == 1 && rc->nuntil)
        fprintf(stderr, "result:        no stop condition was met\n");
out:
    if (db)
        trace_db_close(db, sim, "error", &err);
    if (rs.serial.close_out)
        fclose(rs.serial.out);
    if (rs.debugcon.close_out)
        fclose(rs.debugcon.out);
    if (insn_out) {
        struct insn_trace_iface *it = find_any_iface(sim, "insn-trace");
        if (it)
            it->set_output(it->opaque, NULL);
        fclose(insn_out);
    }
    script_free(rs.script);
    window_close(rs.window);
    sim_destroy(sim);
    run_free_pngs(&rs);
    return status;
}
