/* run.h: one run of a machine from a run configuration: build, attach
 * outputs, trace database and stop conditions, run with progress, and
 * print the summary. */
#ifndef CW_RUN_H
#define CW_RUN_H

#include "host/config.h"

struct run_options {
    const char *trace_insns; /* file or "-" */
    bool quiet;              /* no progress line */
    bool print_screen;       /* print the screen's text at the end */
    bool window;             /* --window: a window, or an error if none can open */
    const char *script_file; /* --script FILE: replaces the config's script */
    const char *const *script_lines; /* --do STEP ... (nscript_lines) */
    size_t nscript_lines;
    sim_time_t screenshot_every; /* --screenshot-every T (0: none) */
    int argc;                /* the command line, for the run table */
    char **argv;
    const char *version;
};

/* Returns the process exit status (0 met/poweroff, 1 not met, 2 config
 * error, 130 interrupted). */
int run_machine(struct run_config *rc, const struct run_options *ro);

#endif
