/* window_sdl.c: the SDL2 window: the guest's display surface scaled into a
 * resizable window, host keys to PS/2 set 2 (host/keymap.c), relative mouse
 * motion while grabbed, hot keys, real-time pacing and a status title.
 * Everything runs from window_poll on the simulation's own thread. */
#include "host/window_sdl.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/keymap.h"
#include "host/png.h"
#include "kernel/sim.h"

#define WINDOW_MAX_FPS 60
#define WINDOW_TITLE_NS 500000000ull   /* title refresh */
#define WINDOW_PACE_SLACK_NS 2000000ull /* guest may lead host by this much */
#define WINDOW_PACE_BEHIND_NS 100000000ull /* a slower guest never catches up */
#define WINDOW_KEYS 512

struct window {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tex_w, tex_h;
    struct window_io io;
    char name[128], trace[256];

    uint64_t frame;         /* last frame uploaded */
    bool have_frame;
    bool dirty;             /* re-present (exposed, resized) */
    uint64_t last_present_ns;
    uint64_t title_ns, title_insns;
    sim_time_t title_guest;
    double mips;

    bool paused, closed, grabbed, fullscreen, realtime;
    bool paced;             /* pacing anchor set */
    uint64_t pace_host_ns;  /* host time at the anchor */
    sim_time_t pace_guest;  /* guest time at the anchor */

    bool held[WINDOW_KEYS];      /* scancodes sent down to the guest */
    bool swallowed[WINDOW_KEYS]; /* hot keys: their release is not sent */
    unsigned buttons;
};

static uint64_t window_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool window_display_available(void)
{
#ifdef __APPLE__
    return true;
#else
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    return (x && *x) || (wl && *wl);
#endif
}

struct window *window_open(const struct window_io *io, const char *name, const char *trace,
                           struct cw_error *err)
{
    if (!io->display) {
        cw_errorf(err, "the machine has no display to show");
        return NULL;
    }
    /* The simulator handles Ctrl-C itself; SDL must not take SIGINT. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        cw_errorf(err, "cannot open a window: %s", SDL_GetError());
        return NULL;
    }
    struct window *w = calloc(1, sizeof *w);
    if (!w) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        cw_errorf(err, "out of memory");
        return NULL;
    }
    w->io = *io;
    w->realtime = true;
    snprintf(w->name, sizeof w->name, "%s", name ? name : "machine");
    snprintf(w->trace, sizeof w->trace, "%s", trace ? trace : "off");
    w->win = SDL_CreateWindow("clockwork", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 640,
                              480, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (w->win)
        w->ren = SDL_CreateRenderer(w->win, -1, 0);
    if (!w->win || !w->ren) {
        cw_errorf(err, "cannot open a window: %s", SDL_GetError());
        window_close(w);
        return NULL;
    }
    SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
    SDL_RenderClear(w->ren);
    SDL_RenderPresent(w->ren);
    return w;
}

void window_close(struct window *w)
{
    if (!w)
        return;
    if (w->grabbed)
        SDL_SetRelativeMouseMode(SDL_FALSE);
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    SDL_Quit();
    free(w);
}

bool window_closed(const struct window *w)
{
    return w && w->closed;
}

/* --- drawing ---------------------------------------------------------------------- */

/* The largest integer scale that fits 90% of the desktop, or a smaller
 * window of the same aspect ratio when even 1:1 does not fit. */
static void window_fit_to_mode(struct window *w, int gw, int gh)
{
    if (w->fullscreen)
        return;
    SDL_Rect usable;
    int display = SDL_GetWindowDisplayIndex(w->win);
    if (display < 0 || SDL_GetDisplayUsableBounds(display, &usable) != 0) {
        usable.w = 1280;
        usable.h = 1024;
    }
    int max_w = usable.w * 9 / 10, max_h = usable.h * 9 / 10;
    int scale = max_w / gw < max_h / gh ? max_w / gw : max_h / gh;
    int ww = gw, wh = gh;
    if (scale >= 1) {
        ww = gw * scale;
        wh = gh * scale;
    } else if (gw * max_h > gh * max_w) {
        ww = max_w;
        wh = gh * max_w / gw;
    } else {
        wh = max_h;
        ww = gw * max_h / gh;
    }
    SDL_SetWindowSize(w->win, ww, wh);
}

/* Where the frame goes in the window: integer scaling when it fits, else
 * the largest rectangle of the guest's aspect ratio; centred. */
static SDL_Rect window_frame_rect(struct window *w, bool *integer)
{
    int ow, oh;
    SDL_GetRendererOutputSize(w->ren, &ow, &oh);
    int scale = ow / w->tex_w < oh / w->tex_h ? ow / w->tex_w : oh / w->tex_h;
    SDL_Rect r;
    *integer = scale >= 1;
    if (*integer) {
        r.w = w->tex_w * scale;
        r.h = w->tex_h * scale;
    } else if ((long)w->tex_w * oh > (long)w->tex_h * ow) {
        r.w = ow;
        r.h = (int)((long)w->tex_h * ow / w->tex_w);
    } else {
        r.h = oh;
        r.w = (int)((long)w->tex_w * oh / w->tex_h);
    }
    r.x = (ow - r.w) / 2;
    r.y = (oh - r.h) / 2;
    return r;
}

static void window_present(struct window *w)
{
    SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
    SDL_RenderClear(w->ren);
    if (w->tex && w->have_frame) {
        bool integer;
        SDL_Rect dst = window_frame_rect(w, &integer);
        SDL_SetTextureScaleMode(w->tex, integer ? SDL_ScaleModeNearest : SDL_ScaleModeLinear);
        SDL_RenderCopy(w->ren, w->tex, NULL, &dst);
    }
    SDL_RenderPresent(w->ren);
    w->dirty = false;
}

/* Uploads a new frame (only when the guest drew one) and presents. */
static void window_redraw(struct window *w)
{
    const struct display_surface *s = w->io.display->update(w->io.display->opaque);
    if (!s || !s->pixels || s->width <= 0 || s->height <= 0) {
        /* Blanked: keep the window, show black. */
        if (w->have_frame) {
            w->have_frame = false;
            w->dirty = true;
        }
        if (w->dirty)
            window_present(w);
        return;
    }
    if (w->have_frame && s->frame == w->frame && !w->dirty)
        return;
    if (!w->tex || s->width != w->tex_w || s->height != w->tex_h) {
        if (w->tex)
            SDL_DestroyTexture(w->tex);
        w->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING,
                                   s->width, s->height);
        if (!w->tex)
            return;
        w->tex_w = s->width;
        w->tex_h = s->height;
        window_fit_to_mode(w, s->width, s->height);
        w->have_frame = false;
    }
    if (!w->have_frame || s->frame != w->frame)
        SDL_UpdateTexture(w->tex, NULL, s->pixels, s->stride * 4);
    w->frame = s->frame;
    w->have_frame = true;
    window_present(w);
}

static uint64_t window_frame_interval_ns(const struct window *w)
{
    uint64_t min = 1000000000ull / WINDOW_MAX_FPS;
    uint32_t mhz = w->io.display->refresh_mhz ? w->io.display->refresh_mhz(w->io.display->opaque)
                                              : 0;
    if (!mhz)
        return min;
    uint64_t ns = 1000000000000ull / mhz;
    return ns > min ? ns : min;
}

static void window_update_title(struct window *w, struct sim *sim, uint64_t now)
{
    sim_time_t guest = sim_now(sim);
    uint64_t insns = sim_total_insns(sim);
    if (w->title_ns && now > w->title_ns && !w->paused)
        w->mips = (double)(insns - w->title_insns) / ((double)(now - w->title_ns) / 1e9) / 1e6;
    w->title_ns = now;
    w->title_insns = insns;
    w->title_guest = guest;
    size_t nm = sim_marker_count(sim);
    const char *phase = nm ? sim_marker_get(sim, nm - 1)->name : "start";
    char title[1024];
    snprintf(title, sizeof title,
             "clockwork: %s | guest %llu.%03llus | %.1f MIPS | phase %s | trace %s%s%s%s",
             w->name, (unsigned long long)(guest / SIM_S(1)),
             (unsigned long long)(guest % SIM_S(1) / SIM_MS(1)), w->paused ? 0.0 : w->mips,
             phase, w->trace, w->paused ? " | PAUSED (Ctrl+Alt+P)" : "",
             w->grabbed ? " | mouse grabbed (Ctrl+Alt+G)" : "",
             w->realtime ? "" : " | full speed");
    SDL_SetWindowTitle(w->win, title);
}

/* --- input ------------------------------------------------------------------------ */

static void window_grab(struct window *w, bool on)
{
    if (on && !w->io.mouse)
        return;
    w->grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowGrab(w->win, on ? SDL_TRUE : SDL_FALSE);
    if (!on && w->buttons && w->io.mouse) {
        w->buttons = 0;
        w->io.mouse->motion(w->io.mouse->opaque, 0, 0, 0, 0);
    }
}

/* Keys held when the window loses focus would stay down in the guest. */
static void window_release_keys(struct window *w)
{
    for (int sc = 0; sc < WINDOW_KEYS; sc++) {
        if (!w->held[sc])
            continue;
        w->held[sc] = false;
        uint16_t code = keymap_from_usb_hid((unsigned)sc);
        if (code && w->io.keyboard)
            w->io.keyboard->key(w->io.keyboard->opaque, code, false);
    }
}

static void window_screenshot(struct window *w)
{
    const struct display_surface *s = w->io.display->update(w->io.display->opaque);
    char path[128];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(path, sizeof path, "clockwork-%s.png", stamp);
    for (int n = 2; access(path, F_OK) == 0 && n < 1000; n++)
        snprintf(path, sizeof path, "clockwork-%s-%d.png", stamp, n);
    struct cw_error err;
    if (png_write_surface(path, s, &err))
        fprintf(stderr, "\nclockwork: screenshot: %s\n", err.msg);
    else
        fprintf(stderr, "\nscreenshot:    %s (%dx%d)\n", path, s->width, s->height);
}

static void window_quit(struct window *w, struct sim *sim)
{
    w->closed = true;
    w->paused = false;
    sim_request_stop(sim, SIM_STOP_REQUEST);
}

/* Ctrl+Alt+letter. Returns true if it was a hot key. */
static bool window_hot_key(struct window *w, struct sim *sim, SDL_Scancode sc)
{
    switch (sc) {
    case SDL_SCANCODE_G: window_grab(w, !w->grabbed); break;
    case SDL_SCANCODE_P:
        w->paused = !w->paused;
        w->paced = false;
        break;
    case SDL_SCANCODE_S: window_screenshot(w); break;
    case SDL_SCANCODE_F:
        w->fullscreen = !w->fullscreen;
        SDL_SetWindowFullscreen(w->win, w->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        w->dirty = true;
        break;
    case SDL_SCANCODE_T:
        w->realtime = !w->realtime;
        w->paced = false;
        break;
    case SDL_SCANCODE_Q: window_quit(w, sim); break;
    default: return false;
    }
    window_update_title(w, sim, window_host_ns());
    return true;
}

static void window_key(struct window *w, struct sim *sim, const SDL_KeyboardEvent *k, bool down)
{
    int sc = k->keysym.scancode;
    if (sc < 0 || sc >= WINDOW_KEYS)
        return;
    if (down) {
        if (k->repeat)
            return; /* the guest keyboard repeats by itself (typematic) */
        /* The event's own modifier state: SDL_GetModState() is already
         * past the events still queued (a fast Ctrl+Alt+Q from xdotool). */
        uint16_t mod = k->keysym.mod;
        if ((mod & KMOD_CTRL) && (mod & KMOD_ALT) && window_hot_key(w, sim, k->keysym.scancode)) {
            w->swallowed[sc] = true;
            return;
        }
        uint16_t code = keymap_from_usb_hid((unsigned)sc);
        if (!code || !w->io.keyboard)
            return;
        w->held[sc] = true;
        w->io.keyboard->key(w->io.keyboard->opaque, code, true);
        return;
    }
    if (w->swallowed[sc]) {
        w->swallowed[sc] = false;
        return;
    }
    if (!w->held[sc])
        return;
    w->held[sc] = false;
    w->io.keyboard->key(w->io.keyboard->opaque, keymap_from_usb_hid((unsigned)sc), false);
}

static unsigned window_button_bit(uint8_t button)
{
    switch (button) {
    case SDL_BUTTON_LEFT: return 1;
    case SDL_BUTTON_RIGHT: return 2;
    case SDL_BUTTON_MIDDLE: return 4;
    default: return 0;
    }
}

static void window_mouse_send(struct window *w, int dx, int dy, int dz)
{
    w->io.mouse->motion(w->io.mouse->opaque, dx, dy, dz, w->buttons);
}

static void window_event(struct window *w, struct sim *sim, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT:
        window_quit(w, sim);
        break;
    case SDL_WINDOWEVENT:
        switch (e->window.event) {
        case SDL_WINDOWEVENT_CLOSE: window_quit(w, sim); break;
        case SDL_WINDOWEVENT_FOCUS_LOST:
            window_release_keys(w);
            if (w->grabbed)
                window_grab(w, false);
            window_update_title(w, sim, window_host_ns());
            break;
        case SDL_WINDOWEVENT_EXPOSED:
        case SDL_WINDOWEVENT_RESIZED:
        case SDL_WINDOWEVENT_SIZE_CHANGED: w->dirty = true; break;
        default: break;
        }
        break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
        window_key(w, sim, &e->key, e->type == SDL_KEYDOWN);
        break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        if (!w->io.mouse)
            break;
        if (!w->grabbed) {
            /* The first click into the window grabs the mouse. */
            if (e->type == SDL_MOUSEBUTTONDOWN) {
                window_grab(w, true);
                window_update_title(w, sim, window_host_ns());
            }
            break;
        }
        unsigned bit = window_button_bit(e->button.button);
        if (e->type == SDL_MOUSEBUTTONDOWN)
            w->buttons |= bit;
        else
            w->buttons &= ~bit;
        window_mouse_send(w, 0, 0, 0);
        break;
    }
    case SDL_MOUSEMOTION:
        if (w->grabbed && w->io.mouse)
            window_mouse_send(w, e->motion.xrel, e->motion.yrel, 0);
        break;
    case SDL_MOUSEWHEEL:
        if (w->grabbed && w->io.mouse) {
            int y = e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -e->wheel.y : e->wheel.y;
            window_mouse_send(w, 0, 0, -y); /* PS/2: positive is towards the user */
        }
        break;
    default:
        break;
    }
}

static void window_drain_events(struct window *w, struct sim *sim)
{
    SDL_Event e;
    while (!w->closed && SDL_PollEvent(&e))
        window_event(w, sim, &e);
}

/* Waits up to ms for an event, handling whatever arrives. */
static void window_wait_events(struct window *w, struct sim *sim, int ms)
{
    SDL_Event e;
    if (SDL_WaitEventTimeout(&e, ms))
        window_event(w, sim, &e);
    window_drain_events(w, sim);
}

/* --- pacing ----------------------------------------------------------------------- */

/* Keeps guest time from running ahead of host time (an idle guest would
 * otherwise race through menu timeouts). A guest slower than real time is
 * never made to catch up: the anchor follows it. */
static void window_pace(struct window *w, struct sim *sim)
{
    uint64_t now = window_host_ns();
    sim_time_t guest = sim_now(sim);
    if (!w->paced || guest < w->pace_guest) {
        w->paced = true;
        w->pace_host_ns = now;
        w->pace_guest = guest;
        return;
    }
    uint64_t guest_ns = (guest - w->pace_guest) / 1000;
    uint64_t host_ns = now - w->pace_host_ns;
    if (host_ns > guest_ns + WINDOW_PACE_BEHIND_NS)
        w->pace_host_ns = now - guest_ns;
    while (!w->closed && !w->paused && w->realtime && !sim_interrupted()) {
        now = window_host_ns();
        host_ns = now - w->pace_host_ns;
        if (guest_ns <= host_ns + WINDOW_PACE_SLACK_NS)
            break;
        uint64_t ahead_ms = (guest_ns - host_ns) / 1000000ull;
        window_wait_events(w, sim, ahead_ms > 20 ? 20 : (int)ahead_ms + 1);
        if (now - w->last_present_ns >= window_frame_interval_ns(w)) {
            window_redraw(w);
            w->last_present_ns = now;
        }
    }
}

void window_poll(struct window *w, struct sim *sim)
{
    if (!w || w->closed)
        return;
    window_drain_events(w, sim);
    uint64_t now = window_host_ns();
    if (now - w->last_present_ns >= window_frame_interval_ns(w) || w->dirty) {
        window_redraw(w);
        w->last_present_ns = now;
    }
    if (now - w->title_ns >= WINDOW_TITLE_NS)
        window_update_title(w, sim, now);
    if (w->paused) {
        window_update_title(w, sim, now);
        while (w->paused && !w->closed && !sim_interrupted()) {
            window_wait_events(w, sim, 100);
            if (w->dirty)
                window_redraw(w);
        }
        w->paced = false;
        w->title_ns = 0;
        window_update_title(w, sim, window_host_ns());
    }
    if (w->realtime && !w->closed)
        window_pace(w, sim);
}
