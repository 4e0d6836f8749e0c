/* study.h: parameter studies. A study file (configs/studies/NAME.yaml) names a
 * base run config, a sweep (the cartesian product of value lists for
 * --set-style dotted paths) and the markers that delimit the phases to
 * compare. `clockwork study run` runs one `clockwork run` per point with a
 * trace database each, in parallel on the local cores; `clockwork study
 * report` reads the databases back (SQLite ATTACH, one run at a time) and
 * writes the comparison: time, cycles and instructions per phase per point
 * as TSV, aligned text and an SVG bar chart. docs/study.md is the guide. */
#ifndef CW_STUDY_H
#define CW_STUDY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kernel/types.h"

/* One swept parameter: a dotted machine path and its values. */
struct study_param {
    char *path;
    char **values;
    size_t nvalues;
};

struct study {
    char *name;
    char *description;
    char *file;            /* the study file (for relative paths) */
    char *text;            /* its text, copied into the output folder */
    char *config;          /* base run config, resolved against the study file */
    char **args;           /* extra `clockwork run` arguments */
    size_t nargs;
    char **set_paths, **set_values; /* fixed --set overrides */
    size_t nsets;
    struct study_param *params;
    size_t nparams;
    char **phases;         /* markers delimiting the phases; "end" = run end */
    size_t nphases;
    char **stats;          /* "component.counter" read at the end of each run */
    size_t nstats;
    char *cpu;             /* component whose clock turns time into cycles */
    char *trace_kinds;     /* --trace-kinds value (comma list) */
    char *output;          /* default output folder (relative to the cwd) */
    char *publish;         /* optional folder that also gets the report files */
    unsigned jobs;         /* 0: one per online CPU */
};

/* Parses a study from text; `file` names it in errors and anchors relative
 * paths. Returns -1 with err filled on a bad study. */
int study_load_string(struct study *s, const char *text, const char *file,
                      struct cw_error *err);
int study_load_file(struct study *s, const char *path, struct cw_error *err);
void study_free(struct study *s);

/* Number of points: the product of the value-list lengths (1 with no sweep). */
size_t study_point_count(const struct study *s);
/* The value index of each parameter at point `point` (the first parameter
 * varies slowest), into idx[nparams]. */
void study_point_indices(const struct study *s, size_t point, size_t *idx);
/* "queue-size=8 preset=ddr3-1600": the last path element of each swept
 * parameter with its value. */
void study_point_label(const struct study *s, size_t point, char *buf, size_t len);

/* The argument vector of `clockwork run` for a point (NULL-terminated,
 * caller frees with study_argv_free). `exe` is the clockwork binary, `db`
 * the trace database to write. */
char **study_point_argv(const struct study *s, size_t point, const char *exe, const char *db);
void study_argv_free(char **argv);

/* Results of one point read back from its database. */
struct study_phase_result {
    bool valid;            /* both delimiting markers were recorded */
    int64_t start_ps, duration_ps, insns;
    double cycles;         /* duration x CPU clock; < 0 if the clock is unknown */
};
struct study_point_result {
    bool have_db;
    int status;            /* exit status of its run (-1 unknown) */
    char *stop_reason;
    double wall_seconds;
    struct study_phase_result *phases; /* nphases - 1 of them */
    double *stats;         /* nstats values; NAN when absent */
};
struct study_results {
    size_t npoints, nphase_spans;
    struct study_point_result *points;
};

/* Reads every point's database under `dir` (point-NNN.db). Missing or
 * incomplete databases leave invalid entries, not errors. */
int study_collect(const struct study *s, const char *dir, struct study_results *r,
                  struct cw_error *err);
void study_results_free(struct study_results *r);

/* Report writers. */
void study_write_tsv(const struct study *s, const struct study_results *r, FILE *out);
void study_write_text(const struct study *s, const struct study_results *r, FILE *out);
void study_write_svg(const struct study *s, const struct study_results *r, FILE *out);

/* Combines the databases under dir into one at out_path: tables point,
 * param, run, marker, stats, component with a `point` column, and a phase
 * view per point. With `with_tx`, the transactions too. */
int study_merge(const struct study *s, const char *dir, const char *out_path, bool with_tx,
                struct cw_error *err);

/* `clockwork study ...` (argv[0] is "study"). */
int study_main(int argc, char **argv);

#endif
