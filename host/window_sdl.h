/* window_sdl.h: the SDL2 window of a run: shows the emulated display,
 * sends host keys and mouse to the guest's PS/2 devices, and has hot keys
 * (docs/ui.md):
 *
 *   Ctrl+Alt+G  grab / release the mouse (released on focus loss too)
 *   Ctrl+Alt+P  pause / resume the simulation (the window stays live)
 *   Ctrl+Alt+S  screenshot: clockwork-YYYYMMDD-HHMMSS.png in the cwd
 *   Ctrl+Alt+F  full screen on / off
 *   Ctrl+Alt+T  real-time pacing off / on (on: guest time never runs
 *               ahead of host time, so boot menus keep their timeouts)
 *   Ctrl+Alt+Q  quit (as closing the window): the run ends with its summary
 *
 * The simulation is single-threaded: every SDL call happens in
 * window_poll, which the run loop's poll callback calls on the main
 * thread every ~10 ms of host time. */
#ifndef CW_WINDOW_SDL_H
#define CW_WINDOW_SDL_H

#include <stdbool.h>

#include "kernel/iface.h"
#include "kernel/types.h"

struct sim;
struct window;

struct window_io {
    const struct display_iface *display; /* required */
    const struct keyboard_iface *keyboard;
    const struct mouse_iface *mouse;
};

/* True when a window could be shown: DISPLAY or WAYLAND_DISPLAY is set
 * (on macOS always). */
bool window_display_available(void);

/* Opens the window (SDL video). `name` is the machine's name for the
 * title; `trace` what the title says about tracing (NULL: off). */
struct window *window_open(const struct window_io *io, const char *name, const char *trace,
                           struct cw_error *err);

/* Host poll: handles input, hot keys and redraws when the guest drew a new
 * frame (at the guest's refresh rate, at most 60 Hz); blocks while paused
 * or while guest time is ahead of host time. Requests a stop of `sim`
 * when the user closes the window. */
void window_poll(struct window *w, struct sim *sim);

/* True once the user closed the window (or pressed Ctrl+Alt+Q). */
bool window_closed(const struct window *w);

void window_close(struct window *w);

#endif
