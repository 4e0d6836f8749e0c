/* config.h: run configurations (configs/NAME.yaml) and command-line overrides.
 *
 * A config file:
 *
 *   machine: ../machines/pc-i440fx.yaml   path relative to the config file
 *   set:                                  parameter overrides on the machine
 *     components.ram0.size: 256MiB
 *   media:        {cdrom: FILE, hda: FILE}  -> the machine's aliases
 *   run:
 *     quantum: 1us
 *     timeout: 120s                       guest time (or "wall:90s")
 *     until: ["serial:login:", "marker:kernel-entry"]
 *     screenshot: out.png
 *     headless: true
 *     serial: FILE|-                      where the first UART writes
 *     debugcon: FILE|-
 *   trace:
 *     file: run.db
 *     components: [cpu0, pit0]            initiator or target
 *     kinds: [io-read, io-write]
 *     ranges: ["0x3f8-0x3ff"]             address ranges
 *     window: {from: 0s, to: 2s}          guest time
 *     signals: true                       interrupt edges
 *   script:                               scripted input (issue 6)
 *     - {wait: "screen:Install", then: [{keys: "Down Enter"}]}
 *
 * The command line can name a config, a machine, or both, and every option
 * overrides the file. */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include "../kernel/types.h"

enum until_kind {
    UNTIL_SERIAL,     /* text seen on the serial output */
    UNTIL_DEBUGCON,   /* text seen on the firmware debug console */
    UNTIL_SCREEN,     /* text on the emulated screen */
    UNTIL_MARKER,     /* a named marker was recorded */
    UNTIL_GUEST_TIME, /* guest time reached */
    UNTIL_INSNS,      /* instructions retired */
    UNTIL_POWEROFF,   /* the guest powered off */
};

struct until_cond {
    enum until_kind kind;
    char *text;          /* serial/screen/marker; screen-png: the PNG's path */
    uint64_t value;      /* guest-time ps or instruction count */
    const char *origin;  /* "--until" or "file:line:col" for messages */
    /* UNTIL_SCREEN written screen-png:[X,Y,WxH=]FILE: the screen must
     * equal the PNG (whole, or the region X,Y WxH taken from the same place
     * of both) pixel for pixel. */
    bool png;
    bool region;
    int x, y, w, h;
};

struct trace_range {
    uint64_t lo, hi;
};

struct trace_settings {
    char *file;                 /* NULL: no trace database */
    char **components;          /* NULL-terminated, NULL = all */
    uint32_t kind_mask;         /* BUS_KIND_BIT set; 0 = all */
    struct trace_range *ranges; /* nranges; 0 = everything */
    size_t nranges;
    sim_time_t from, to;        /* guest-time window; to = SIM_TIME_MAX */
    bool signals;               /* interrupt edges (default true) */
};

struct run_config {
    char *config_path;          /* NULL when run from a machine only */
    char *machine_path;
    struct ynode *machine;      /* merged machine tree, overrides applied */
    char *config_text;          /* for the run table */
    char *machine_text;
    sim_time_t quantum;
    sim_time_t timeout_guest;   /* SIM_TIME_MAX: none */
    uint64_t timeout_wall_ms;   /* 0: none */
    struct until_cond *until;
    size_t nuntil;
    char *screenshot;
    bool headless;
    char *serial_out;           /* "-" for stdout */
    char *debugcon_out;
    struct trace_settings trace;
    const struct ynode *script; /* scripted input, interpreted by the host */
};

/* Parses "serial:TEXT", "guest-time:2s", ... */
int until_parse(const char *s, const char *origin, struct until_cond *out, struct cw_error *err);

/* Loads a config file into rc (machine loaded and overrides applied). */
int run_config_load(struct run_config *rc, const char *config_path, struct cw_error *err);
/* The same with another machine file in place of the config's (the
 * config's set: and media: apply to it). */
int run_config_load_machine(struct run_config *rc, const char *config_path,
                            const char *machine_path, struct cw_error *err);
/* A run from a machine file only (no config). */
int run_config_from_machine(struct run_config *rc, const char *machine_path,
                            struct cw_error *err);
void run_config_free(struct run_config *rc);

/* Applies a command-line trace filter: key is components, kinds or ranges
 * (value comma-separated) or window (value FROM..TO). Errors name the
 * option. */
int run_config_trace_option(struct run_config *rc, const char *key, const char *value,
                            struct cw_error *err);

#endif
