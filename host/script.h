/* script.h: scripted input and actions for a run: wait for something the
 * guest shows, then press keys, type text, take screenshots, stop. The
 * form is docs/ui.md's; in a config file:
 *
 *   script:
 *     - wait: "screen:Debian GNU/Linux installer menu"
 *       timeout: 60s                  optional, guest time
 *     - keys: "Down Enter"            key names, chords Ctrl+Alt+Delete, Down*3
 *     - type: "root\n"                text on a US layout
 *     - wait: "serial:login:"
 *     - screenshot: login.png
 *     - sleep: 500ms
 *     - marker: installer-menu
 *     - print: "reached the menu"
 *     - stop                          ends the run with success
 *
 * and on the command line one step per --do "VERB ARGUMENT" ("wait 60s
 * screen:Install", "keys Down Enter", "stop"), or --script FILE (a YAML
 * list of steps, or a config with a script: section).
 *
 * Wait conditions: serial:TEXT, debugcon:TEXT (output after the wait
 * began), screen:TEXT (the screen's text; text modes and graphics modes
 * through host/screen_text.h), screen-png:[X,Y,WxH=]FILE (a screen region
 * equals the same region of a PNG, or a PNG of the region's size),
 * marker:NAME (recorded during the run), guest-time:T (absolute),
 * insns:N (instructions retired).
 *
 * Everything runs in guest time through kernel events, so a script does
 * not block the simulation and two runs of one script behave the same:
 * keys are pressed, held and released at guest times, and screen
 * conditions are checked every `check_period` of guest time when the
 * display shows a new frame. */
#ifndef CW_SCRIPT_H
#define CW_SCRIPT_H

#include <stdio.h>

#include "kernel/iface.h"
#include "kernel/types.h"
#include "models/vga/vga_font.h"

struct sim;
struct ynode;

/* What a script can reach in the machine; any of these may be NULL, and a
 * script that needs a missing one is refused by script_start. */
struct script_io {
    const struct display_iface *display;
    const struct vga_font_iface *font;
    const struct keyboard_iface *keyboard;
    const struct mouse_iface *mouse;
    const struct chardev_iface *serial, *debugcon;
    FILE *log; /* "screenshot: ..." and print: lines (stderr if NULL) */
};

enum script_status {
    SCRIPT_IDLE,    /* no steps, or not started */
    SCRIPT_RUNNING, /* a step is in progress */
    SCRIPT_DONE,    /* every step ran; the run goes on */
    SCRIPT_STOPPED, /* a stop step ended the run */
    SCRIPT_FAILED,  /* a wait timed out or an action failed */
};

struct script_timing {
    sim_time_t hold;         /* a key is held down this long (default 50ms) */
    sim_time_t gap;          /* pause after each key (default 50ms) */
    sim_time_t modifier_gap; /* between a modifier and its key (default 10ms) */
    sim_time_t check_period; /* screen and instruction-count checks (50ms) */
};

struct script;

struct script *script_new(void);
void script_free(struct script *s);

/* Appends the steps of a YAML sequence. Relative screen-png files are
 * taken relative to the YAML file's directory. Errors name file:line:col. */
int script_add_yaml(struct script *s, const struct ynode *steps, struct cw_error *err);
/* Appends one step in the command-line form "VERB ARGUMENT"; origin names
 * it in messages ("--do"). */
int script_add_line(struct script *s, const char *line, const char *origin,
                    struct cw_error *err);
/* Appends the steps of a file: a YAML list, or a map with a script: key. */
int script_add_file(struct script *s, const char *path, struct cw_error *err);

size_t script_step_count(const struct script *s);
void script_set_timing(struct script *s, const struct script_timing *t);

/* Checks that the machine has what the steps need, attaches to the
 * serial and debug console, and starts the first step at the current
 * guest time. A script without steps does nothing. */
int script_start(struct script *s, struct sim *sim, const struct script_io *io,
                 struct cw_error *err);

/* Called from the run's marker hook. */
void script_marker(struct script *s, const char *name);

enum script_status script_status(const struct script *s);
/* One line: how the script ended, or the step it is at ("step 2
 * (run.yaml:4:5): waiting for screen:Install"). */
const char *script_describe(const struct script *s);

/* Headless screenshots every `period` of guest time, named
 * PREFIX<guest time>.png (e.g. shot-12.500s.png), written only when the
 * picture changed since the last one. Needs a display; call before
 * script_start. */
void script_screenshot_every(struct script *s, sim_time_t period, const char *prefix);

#endif
