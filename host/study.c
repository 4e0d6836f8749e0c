/* study.c: `clockwork study`: runs a parameter sweep as one `clockwork run`
 * per point (fork/exec, in parallel on the local cores, each with its own
 * trace database) and compares the points phase by phase. The databases are
 * read back through SQLite ATTACH, so a report can be redone, or the runs
 * made elsewhere (a cluster job per point) and reported here. The study file
 * format and the workflow are in docs/study.md. */
#include "host/study.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "kernel/ytree.h"

#define STUDY_MAX_POINTS 100000

static const char *const study_keys[] = {
    "study", "description", "config", "args", "set", "sweep", "phases", "stats", "cpu",
    "trace-kinds", "output", "publish", "jobs", NULL,
};

/* --- small helpers ------------------------------------------------------------ */

static char *study_strdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort(); /* host out of memory: nothing sensible to do */
    return d;
}

static void *study_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static char *study_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *study_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        abort();
    va_end(ap);
    return out;
}

/* `name` relative to the folder of `base` (absolute names stay); a leading
 * "~/" is the home folder. */
static char *study_relative(const char *base, const char *name)
{
    if (name[0] == '~' && name[1] == '/') {
        const char *home = getenv("HOME");
        return study_printf("%s%s", home ? home : "", name + 1);
    }
    const char *slash = base ? strrchr(base, '/') : NULL;
    if (name[0] == '/' || !slash)
        return study_strdup(name);
    return study_printf("%.*s/%s", (int)(slash - base), base, name);
}

static char *study_expand_home(const char *arg)
{
    if (arg[0] == '~' && arg[1] == '/')
        return study_relative(NULL, arg);
    return study_strdup(arg);
}

/* A scalar or a list of scalars as strings. */
static int study_string_list(const struct ynode *n, char ***out, size_t *count,
                             struct cw_error *err)
{
    size_t len = n->kind == YNODE_SEQ ? n->count : 1;
    char **list = study_calloc(len, sizeof *list);
    *out = list;
    *count = 0;
    for (size_t i = 0; i < len; i++) {
        const struct ynode *item = n->kind == YNODE_SEQ ? n->items[i] : n;
        const char *s;
        if (ynode_string(item, &s, err))
            return -1;
        list[i] = study_strdup(s);
        *count = i + 1;
    }
    return 0;
}

static const char *study_path_leaf(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

/* --- loading ------------------------------------------------------------------- */

static int study_check_keys(const struct ynode *root, struct cw_error *err)
{
    for (size_t i = 0; i < root->count; i++) {
        bool known = false;
        for (size_t k = 0; study_keys[k]; k++)
            known |= strcmp(root->keys[i], study_keys[k]) == 0;
        if (!known)
            return ynode_error(err, root->key_nodes[i],
                               "unknown key '%s' in the study; expected study, description, "
                               "config, args, set, sweep, phases, stats, cpu, trace-kinds, "
                               "output, publish, jobs", root->keys[i]);
    }
    return 0;
}

static int study_parse_sweep(struct study *s, const struct ynode *sweep, struct cw_error *err)
{
    if (sweep->kind != YNODE_MAP)
        return ynode_error(err, sweep, "sweep: expected a map of PATH: [VALUES]");
    s->params = study_calloc(sweep->count, sizeof *s->params);
    size_t total = 1;
    for (size_t i = 0; i < sweep->count; i++) {
        struct study_param *p = &s->params[i];
        const struct ynode *v = sweep->items[i];
        p->path = study_strdup(sweep->keys[i]);
        s->nparams = i + 1;
        if (!strchr(p->path, '.'))
            return ynode_error(err, sweep->key_nodes[i],
                               "sweep: '%s' is not a dotted path (components.NAME.PARAM)",
                               p->path);
        if (v->kind == YNODE_MAP)
            return ynode_error(err, v, "sweep: %s: expected a list of values", p->path);
        if (study_string_list(v, &p->values, &p->nvalues, err))
            return -1;
        if (!p->nvalues)
            return ynode_error(err, v, "sweep: %s: the list of values is empty", p->path);
        total *= p->nvalues;
        if (total > STUDY_MAX_POINTS)
            return ynode_error(err, v, "sweep: more than %d points", STUDY_MAX_POINTS);
    }
    return 0;
}

static int study_parse_set(struct study *s, const struct ynode *set, struct cw_error *err)
{
    if (set->kind != YNODE_MAP)
        return ynode_error(err, set, "set: expected a map of PATH: VALUE");
    s->set_paths = study_calloc(set->count, sizeof *s->set_paths);
    s->set_values = study_calloc(set->count, sizeof *s->set_values);
    for (size_t i = 0; i < set->count; i++) {
        const char *v;
        if (ynode_string(set->items[i], &v, err))
            return ynode_error(err, set->items[i],
                               "set: %s: expected one value (maps belong in the base config's "
                               "set:)", set->keys[i]);
        s->set_paths[i] = study_strdup(set->keys[i]);
        s->set_values[i] = study_strdup(v);
        s->nsets = i + 1;
    }
    return 0;
}

static int study_parse(struct study *s, const struct ynode *root, struct cw_error *err)
{
    if (root->kind != YNODE_MAP)
        return ynode_error(err, root, "a study is a map (study:, config:, sweep:, phases:)");
    if (study_check_keys(root, err))
        return -1;
    const struct ynode *v;
    const char *str;
    if (!(v = ymap_get(root, "study")) || ynode_string(v, &str, err))
        return v ? -1 : ynode_error(err, root, "no study name; expected study: NAME");
    for (const char *c = str; *c; c++)
        if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
              (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
            return ynode_error(err, v, "study name '%s': use letters, digits, '-', '_', '.'", str);
    s->name = study_strdup(str);
    if ((v = ymap_get(root, "description"))) {
        if (ynode_string(v, &str, err))
            return -1;
        s->description = study_strdup(str);
    }
    if (!(v = ymap_get(root, "config")) || ynode_string(v, &str, err))
        return v ? -1 : ynode_error(err, root, "no base config; expected config: FILE");
    s->config = study_relative(s->file, str);
    if ((v = ymap_get(root, "args")) && study_string_list(v, &s->args, &s->nargs, err))
        return -1;
    if ((v = ymap_get(root, "set")) && study_parse_set(s, v, err))
        return -1;
    if ((v = ymap_get(root, "sweep")) && study_parse_sweep(s, v, err))
        return -1;
    if ((v = ymap_get(root, "phases"))) {
        if (study_string_list(v, &s->phases, &s->nphases, err))
            return -1;
        if (s->nphases < 2)
            return ynode_error(err, v, "phases: name at least two markers (a phase runs from "
                                       "one to the next; 'end' is the end of the run)");
    } else {
        return ynode_error(err, root, "no phases; expected phases: [MARKER, MARKER, ...]");
    }
    if ((v = ymap_get(root, "stats"))) {
        if (study_string_list(v, &s->stats, &s->nstats, err))
            return -1;
        for (size_t i = 0; i < s->nstats; i++)
            if (!strchr(s->stats[i], '.'))
                return ynode_error(err, v, "stats: '%s': expected COMPONENT.COUNTER",
                                   s->stats[i]);
    }
    if ((v = ymap_get(root, "cpu"))) {
        if (ynode_string(v, &str, err))
            return -1;
        s->cpu = study_strdup(str);
    }
    if ((v = ymap_get(root, "trace-kinds"))) {
        char **kinds;
        size_t n;
        if (study_string_list(v, &kinds, &n, err)) {
            for (size_t i = 0; i < n; i++)
                free(kinds[i]);
            free(kinds);
            return -1;
        }
        size_t len = 1;
        for (size_t i = 0; i < n; i++)
            len += strlen(kinds[i]) + 1;
        s->trace_kinds = study_calloc(len, 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                strcat(s->trace_kinds, ",");
            strcat(s->trace_kinds, kinds[i]);
            free(kinds[i]);
        }
        free(kinds);
    } else {
        /* Port writes only: a small database, and RAM keeps its direct
         * pointers (a memory trace would slow the run many times). */
        s->trace_kinds = study_strdup("io-write");
    }
    if ((v = ymap_get(root, "output"))) {
        if (ynode_string(v, &str, err))
            return -1;
        s->output = study_strdup(str);
    } else {
        s->output = study_printf("study-out/%s", s->name);
    }
    if ((v = ymap_get(root, "publish"))) {
        if (ynode_string(v, &str, err))
            return -1;
        s->publish = study_relative(s->file, str);
    }
    if ((v = ymap_get(root, "jobs"))) {
        uint64_t j;
        if (ynode_u64(v, &j, err))
            return -1;
        if (j > 4096)
            return ynode_error(err, v, "jobs: at most 4096");
        s->jobs = (unsigned)j;
    }
    return 0;
}

int study_load_string(struct study *s, const char *text, const char *file, struct cw_error *err)
{
    memset(s, 0, sizeof *s);
    s->file = study_strdup(file);
    s->text = study_strdup(text);
    struct ynode *root = ytree_load_string(text, strlen(text), file, err);
    if (!root)
        return -1;
    int rc = study_parse(s, root, err);
    ytree_free(root);
    return rc;
}

int study_load_file(struct study *s, const char *path, struct cw_error *err)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cw_errorf(err, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *text = study_calloc(cap, 1);
    size_t got;
    while ((got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            cap *= 2;
            text = realloc(text, cap);
            if (!text)
                abort();
        }
    }
    fclose(f);
    text[len] = 0;
    int rc = study_load_string(s, text, path, err);
    free(text);
    return rc;
}

static void study_free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

void study_free(struct study *s)
{
    free(s->name);
    free(s->description);
    free(s->file);
    free(s->text);
    free(s->config);
    study_free_list(s->args, s->nargs);
    study_free_list(s->set_paths, s->nsets);
    study_free_list(s->set_values, s->nsets);
    for (size_t i = 0; i < s->nparams; i++) {
        free(s->params[i].path);
        study_free_list(s->params[i].values, s->params[i].nvalues);
    }
    free(s->params);
    study_free_list(s->phases, s->nphases);
    study_free_list(s->stats, s->nstats);
    free(s->cpu);
    free(s->trace_kinds);
    free(s->output);
    free(s->publish);
    memset(s, 0, sizeof *s);
}

/* --- points ---------------------------------------------------------------------- */

size_t study_point_count(const struct study *s)
{
    size_t n = 1;
    for (size_t i = 0; i < s->nparams; i++)
        n *= s->params[i].nvalues;
    return n;
}

void study_point_indices(const struct study *s, size_t point, size_t *idx)
{
    /* mixed radix, the last parameter the fastest digit */
    for (size_t i = s->nparams; i-- > 0;) {
        idx[i] = point % s->params[i].nvalues;
        point /= s->params[i].nvalues;
    }
}

void study_point_label(const struct study *s, size_t point, char *buf, size_t len)
{
    size_t idx[64] = { 0 };
    size_t used = 0;
    buf[0] = 0;
    if (s->nparams > 64)
        return;
    study_point_indices(s, point, idx);
    for (size_t i = 0; i < s->nparams && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s=%s", i ? " " : "",
                         study_path_leaf(s->params[i].path), s->params[i].values[idx[i]]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!s->nparams)
        snprintf(buf, len, "base");
}

char **study_point_argv(const struct study *s, size_t point, const char *exe, const char *db)
{
    /* exe, run, config, --trace DB, --trace-kinds K, --quiet, NULL */
    size_t n = 9 + s->nargs + 2 * (s->nsets + s->nparams);
    char **argv = study_calloc(n, sizeof *argv);
    size_t a = 0;
    argv[a++] = study_strdup(exe);
    argv[a++] = study_strdup("run");
    argv[a++] = study_strdup(s->config);
    for (size_t i = 0; i < s->nargs; i++)
        argv[a++] = study_expand_home(s->args[i]);
    for (size_t i = 0; i < s->nsets; i++) {
        argv[a++] = study_strdup("--set");
        argv[a++] = study_printf("%s=%s", s->set_paths[i], s->set_values[i]);
    }
    size_t idx[64] = { 0 };
    if (s->nparams <= 64)
        study_point_indices(s, point, idx);
    for (size_t i = 0; i < s->nparams && i < 64; i++) {
        argv[a++] = study_strdup("--set");
        argv[a++] = study_printf("%s=%s", s->params[i].path, s->params[i].values[idx[i]]);
    }
    argv[a++] = study_strdup("--trace");
    argv[a++] = study_strdup(db);
    argv[a++] = study_strdup("--trace-kinds");
    argv[a++] = study_strdup(s->trace_kinds);
    argv[a++] = study_strdup("--quiet");
    argv[a] = NULL;
    return argv;
}

void study_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

static char *study_point_file(const char *dir, size_t point, const char *ext)
{
    return study_printf("%s/point-%03zu.%s", dir, point, ext);
}

/* --- reading the databases back ----------------------------------------------------- */

/* The clock frequency (Hz) of component `cpu` in the machine text of a run;
 * 0 if unknown. Without `cpu`, the first x86-cpu. */
static double study_cpu_hz(const char *machine_yaml, const char *cpu)
{
    if (!machine_yaml)
        return 0;
    struct cw_error err = { { 0 } };
    struct ynode *m = ytree_load_string(machine_yaml, strlen(machine_yaml), "run", &err);
    if (!m)
        return 0;
    double hz = 0;
    const struct ynode *comps = ymap_get(m, "components"), *c = NULL;
    if (cpu) {
        c = ymap_get(comps, cpu);
    } else {
        for (size_t i = 0; comps && comps->kind == YNODE_MAP && i < comps->count && !c; i++) {
            const struct ynode *t = ymap_get(comps->items[i], "type");
            if (t && t->kind == YNODE_SCALAR && strcmp(t->scalar, "x86-cpu") == 0)
                c = comps->items[i];
        }
    }
    const struct ynode *clk = c ? ymap_get(c, "clock") : NULL;
    const struct ynode *f = clk && clk->kind == YNODE_SCALAR
                                ? ymap_get(ymap_get(m, "clocks"), clk->scalar) : NULL;
    uint64_t num, den;
    if (f && !ynode_freq(f, &num, &den, &err) && den)
        hz = (double)num / (double)den;
    ytree_free(m);
    return hz;
}

/* First occurrence of a marker (or the run's end for "end"). */
static bool study_marker(sqlite3 *db, const char *name, int64_t *time, int64_t *insns)
{
    const char *sql = strcmp(name, "end") == 0
                          ? "SELECT end_time, end_insns FROM r.run WHERE end_time IS NOT NULL"
                          : "SELECT time, insns FROM r.marker WHERE name = ?1 ORDER BY time, id "
                            "LIMIT 1";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        *time = sqlite3_column_int64(st, 0);
        *insns = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return found;
}

static double study_stat(sqlite3 *db, const char *spec)
{
    const char *dot = strchr(spec, '.');
    if (!dot)
        return NAN;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.value FROM r.stats s JOIN r.component c ON c.id = s.component "
                           "WHERE c.name = ?1 AND s.name = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return NAN;
    sqlite3_bind_text(st, 1, spec, (int)(dot - spec), SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dot + 1, -1, SQLITE_STATIC);
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : NAN;
    sqlite3_finalize(st);
    return v;
}

static int study_read_status(const char *dir, size_t point)
{
    char *path = study_point_file(dir, point, "status");
    FILE *f = fopen(path, "r");
    free(path);
    int status = -1;
    if (f) {
        if (fscanf(f, "%d", &status) != 1)
            status = -1;
        fclose(f);
    }
    return status;
}

static void study_collect_point(const struct study *s, sqlite3 *db,
                                struct study_point_result *pr)
{
    sqlite3_stmt *st;
    double hz = 0;
    if (sqlite3_prepare_v2(db, "SELECT stop_reason, wall_seconds, machine_yaml FROM r.run", -1,
                           &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            pr->have_db = true;
            const unsigned char *reason = sqlite3_column_text(st, 0);
            pr->stop_reason = reason ? study_strdup((const char *)reason) : NULL;
            pr->wall_seconds = sqlite3_column_double(st, 1);
            hz = study_cpu_hz((const char *)sqlite3_column_text(st, 2), s->cpu);
        }
        sqlite3_finalize(st);
    }
    for (size_t i = 0; i + 1 < s->nphases; i++) {
        struct study_phase_result *ph = &pr->phases[i];
        int64_t t0, i0, t1, i1;
        if (!study_marker(db, s->phases[i], &t0, &i0) ||
            !study_marker(db, s->phases[i + 1], &t1, &i1) || t1 < t0)
            continue;
        ph->valid = true;
        ph->start_ps = t0;
        ph->duration_ps = t1 - t0;
        ph->insns = i1 - i0;
        ph->cycles = hz > 0 ? (double)ph->duration_ps * 1e-12 * hz : -1;
    }
    for (size_t i = 0; i < s->nstats; i++)
        pr->stats[i] = study_stat(db, s->stats[i]);
}

int study_collect(const struct study *s, const char *dir, struct study_results *r,
                  struct cw_error *err)
{
    memset(r, 0, sizeof *r);
    r->npoints = study_point_count(s);
    r->nphase_spans = s->nphases ? s->nphases - 1 : 0;
    r->points = study_calloc(r->npoints, sizeof *r->points);
    for (size_t p = 0; p < r->npoints; p++) {
        r->points[p].phases = study_calloc(r->nphase_spans, sizeof *r->points[p].phases);
        r->points[p].stats = study_calloc(s->nstats, sizeof *r->points[p].stats);
        for (size_t i = 0; i < s->nstats; i++)
            r->points[p].stats[i] = NAN;
        r->points[p].status = study_read_status(dir, p);
    }
    /* One in-memory connection; each run's database is attached as `r`,
     * read and detached (SQLite attaches ten databases at most at once). */
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        sqlite3_close(db);
        return cw_errorf(err, "study: cannot open SQLite");
    }
    for (size_t p = 0; p < r->npoints; p++) {
        char *path = study_point_file(dir, p, "db");
        struct stat stbuf;
        if (stat(path, &stbuf) == 0) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(db, "ATTACH ?1 AS r", -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
                int rc = sqlite3_step(st);
                sqlite3_finalize(st);
                if (rc == SQLITE_DONE) {
                    study_collect_point(s, db, &r->points[p]);
                    sqlite3_exec(db, "DETACH r", NULL, NULL, NULL);
                }
            }
        }
        free(path);
    }
    sqlite3_close(db);
    return 0;
}

void study_results_free(struct study_results *r)
{
    for (size_t p = 0; r->points && p < r->npoints; p++) {
        free(r->points[p].phases);
        free(r->points[p].stats);
        free(r->points[p].stop_reason);
    }
    free(r->points);
    memset(r, 0, sizeof *r);
}

/* --- report: TSV ------------------------------------------------------------------- */

void study_write_tsv(const struct study *s, const struct study_results *r, FILE *out)
{
    fprintf(out, "point");
    for (size_t i = 0; i < s->nparams; i++)
        fprintf(out, "\t%s", s->params[i].path);
    fprintf(out, "\tphase\tstart_ps\tduration_ps\tguest_ms\tcycles\tinsns\tstatus\n");
    size_t idx[64] = { 0 };
    for (size_t p = 0; p < r->npoints; p++) {
        const struct study_point_result *pr = &r->points[p];
        if (s->nparams <= 64)
            study_point_indices(s, p, idx);
        for (size_t ph = 0; ph < r->nphase_spans; ph++) {
            const struct study_phase_result *x = &pr->phases[ph];
            fprintf(out, "%zu", p);
            for (size_t i = 0; i < s->nparams && i < 64; i++)
                fprintf(out, "\t%s", s->params[i].values[idx[i]]);
            fprintf(out, "\t%s", s->phases[ph]);
            if (x->valid) {
                fprintf(out, "\t%lld\t%lld\t%.6f\t", (long long)x->start_ps,
                        (long long)x->duration_ps, (double)x->duration_ps / 1e9);
                if (x->cycles >= 0)
                    fprintf(out, "%.2f", x->cycles);
                fprintf(out, "\t%lld", (long long)x->insns);
            } else {
                fprintf(out, "\t\t\t\t\t");
            }
            fprintf(out, "\t%d\n", pr->status);
        }
    }
}

/* --- report: aligned text ----------------------------------------------------------- */

struct study_table {
    size_t rows, cols;
    char **cell; /* rows x cols */
};

static void study_table_init(struct study_table *t, size_t rows, size_t cols)
{
    t->rows = rows;
    t->cols = cols;
    t->cell = study_calloc(rows * cols, sizeof *t->cell);
}

static void study_table_set(struct study_table *t, size_t row, size_t col, char *text)
{
    free(t->cell[row * t->cols + col]);
    t->cell[row * t->cols + col] = text;
}

/* Prints the table with columns padded; the header row is underlined and
 * columns whose cells look like numbers are right-aligned. */
static void study_table_print(struct study_table *t, FILE *out)
{
    size_t *width = study_calloc(t->cols, sizeof *width);
    bool *numeric = study_calloc(t->cols, sizeof *numeric);
    for (size_t c = 0; c < t->cols; c++) {
        numeric[c] = true;
        for (size_t r = 0; r < t->rows; r++) {
            const char *x = t->cell[r * t->cols + c] ? t->cell[r * t->cols + c] : "";
            size_t w = strlen(x);
            if (w > width[c])
                width[c] = w;
            if (r > 0 && *x && strspn(x, "0123456789.-") != w)
                numeric[c] = false;
        }
    }
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cols; c++) {
            const char *x = t->cell[r * t->cols + c] ? t->cell[r * t->cols + c] : "";
            bool last = c + 1 == t->cols;
            if (numeric[c])
                fprintf(out, "%*s%s", (int)width[c], x, last ? "" : "  ");
            else if (last)
                fprintf(out, "%s", x);
            else
                fprintf(out, "%-*s  ", (int)width[c], x);
        }
        fputc('\n', out);
        if (r == 0) {
            size_t total = 0;
            for (size_t c = 0; c < t->cols; c++)
                total += width[c] + (c + 1 < t->cols ? 2 : 0);
            for (size_t i = 0; i < total; i++)
                fputc('-', out);
            fputc('\n', out);
        }
    }
    for (size_t i = 0; i < t->rows * t->cols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(width);
    free(numeric);
}

enum study_metric { STUDY_TIME, STUDY_CYCLES, STUDY_INSNS, STUDY_CPI };

/* The raw value of a metric: time in ps, counts, or cycles per instruction. */
static bool study_metric(const struct study_phase_result *x, enum study_metric m, double *v)
{
    if (!x->valid)
        return false;
    switch (m) {
    case STUDY_TIME: *v = (double)x->duration_ps; return true;
    case STUDY_CYCLES: *v = x->cycles; return x->cycles >= 0;
    case STUDY_INSNS: *v = (double)x->insns; return true;
    case STUDY_CPI: *v = x->insns ? x->cycles / (double)x->insns : 0; return x->cycles >= 0 && x->insns;
    }
    return false;
}

/* A unit that keeps the largest value of the table readable. */
struct study_unit {
    const char *name;
    double divisor;
    int decimals;
};

static struct study_unit study_pick_unit(enum study_metric m, double max)
{
    if (m == STUDY_TIME) {
        if (max >= 1e12)
            return (struct study_unit){ "s", 1e12, 4 };
        if (max >= 1e9)
            return (struct study_unit){ "ms", 1e9, 3 };
        if (max >= 1e6)
            return (struct study_unit){ "us", 1e6, 3 };
        return (struct study_unit){ "ns", 1e3, 2 };
    }
    if (m == STUDY_CPI)
        return (struct study_unit){ "", 1, 2 };
    if (max >= 1e7)
        return (struct study_unit){ "millions", 1e6, 3 };
    if (max >= 1e4)
        return (struct study_unit){ "thousands", 1e3, 3 };
    return (struct study_unit){ "", 1, 0 };
}

static double study_metric_max(const struct study_results *r, enum study_metric m, bool *any)
{
    double max = 0;
    *any = false;
    for (size_t p = 0; p < r->npoints; p++)
        for (size_t ph = 0; ph < r->nphase_spans; ph++) {
            double v;
            if (study_metric(&r->points[p].phases[ph], m, &v)) {
                *any = true;
                if (v > max)
                    max = v;
            }
        }
    return max;
}

static void study_write_pivot(const struct study *s, const struct study_results *r,
                              enum study_metric m, const char *title, FILE *out)
{
    bool any;
    double max = study_metric_max(r, m, &any);
    if (!any)
        return;
    struct study_unit u = study_pick_unit(m, max);
    if (u.name[0])
        fprintf(out, "%s (%s)\n\n", title, u.name);
    else
        fprintf(out, "%s\n\n", title);
    size_t cols = 1 + s->nparams + r->nphase_spans + (m == STUDY_CPI ? 0 : 1);
    struct study_table t;
    study_table_init(&t, r->npoints + 1, cols);
    study_table_set(&t, 0, 0, study_strdup("point"));
    for (size_t i = 0; i < s->nparams; i++)
        study_table_set(&t, 0, 1 + i, study_strdup(study_path_leaf(s->params[i].path)));
    for (size_t ph = 0; ph < r->nphase_spans; ph++)
        study_table_set(&t, 0, 1 + s->nparams + ph, study_strdup(s->phases[ph]));
    if (m != STUDY_CPI)
        study_table_set(&t, 0, cols - 1, study_strdup("total"));
    size_t idx[64] = { 0 };
    for (size_t p = 0; p < r->npoints; p++) {
        if (s->nparams <= 64)
            study_point_indices(s, p, idx);
        study_table_set(&t, p + 1, 0, study_printf("%zu", p));
        for (size_t i = 0; i < s->nparams && i < 64; i++)
            study_table_set(&t, p + 1, 1 + i, study_strdup(s->params[i].values[idx[i]]));
        double total = 0;
        bool complete = true;
        for (size_t ph = 0; ph < r->nphase_spans; ph++) {
            double v;
            if (study_metric(&r->points[p].phases[ph], m, &v)) {
                study_table_set(&t, p + 1, 1 + s->nparams + ph,
                                study_printf("%.*f", u.decimals, v / u.divisor));
                total += v;
            } else {
                study_table_set(&t, p + 1, 1 + s->nparams + ph, study_strdup("-"));
                complete = false;
            }
        }
        if (m != STUDY_CPI)
            study_table_set(&t, p + 1, cols - 1,
                            complete ? study_printf("%.*f", u.decimals, total / u.divisor)
                                     : study_strdup("-"));
    }
    study_table_print(&t, out);
    fputc('\n', out);
}

void study_write_text(const struct study *s, const struct study_results *r, FILE *out)
{
    fprintf(out, "study %s: %zu points, phases %s", s->name, r->npoints,
            s->nphases ? s->phases[0] : "");
    for (size_t i = 1; i < s->nphases; i++)
        fprintf(out, " > %s", s->phases[i]);
    fprintf(out, "\n");
    if (s->description)
        fprintf(out, "%s\n", s->description);
    fputc('\n', out);
    study_write_pivot(s, r, STUDY_TIME, "guest time per phase", out);
    study_write_pivot(s, r, STUDY_CYCLES, "CPU cycles per phase", out);
    study_write_pivot(s, r, STUDY_INSNS, "instructions per phase", out);
    study_write_pivot(s, r, STUDY_CPI, "cycles per instruction", out);

    /* runs: status, stop reason, wall time and the requested counters */
    fprintf(out, "runs\n\n");
    struct study_table t;
    size_t cols = 1 + s->nparams + 3 + s->nstats;
    study_table_init(&t, r->npoints + 1, cols);
    study_table_set(&t, 0, 0, study_strdup("point"));
    for (size_t i = 0; i < s->nparams; i++)
        study_table_set(&t, 0, 1 + i, study_strdup(study_path_leaf(s->params[i].path)));
    study_table_set(&t, 0, 1 + s->nparams, study_strdup("exit"));
    study_table_set(&t, 0, 2 + s->nparams, study_strdup("wall_s"));
    for (size_t i = 0; i < s->nstats; i++)
        study_table_set(&t, 0, 3 + s->nparams + i, study_strdup(s->stats[i]));
    study_table_set(&t, 0, cols - 1, study_strdup("stop"));
    size_t idx[64] = { 0 };
    for (size_t p = 0; p < r->npoints; p++) {
        const struct study_point_result *pr = &r->points[p];
        if (s->nparams <= 64)
            study_point_indices(s, p, idx);
        study_table_set(&t, p + 1, 0, study_printf("%zu", p));
        for (size_t i = 0; i < s->nparams && i < 64; i++)
            study_table_set(&t, p + 1, 1 + i, study_strdup(s->params[i].values[idx[i]]));
        study_table_set(&t, p + 1, 1 + s->nparams,
                        pr->status >= 0 ? study_printf("%d", pr->status) : study_strdup("-"));
        study_table_set(&t, p + 1, 2 + s->nparams,
                        pr->have_db ? study_printf("%.1f", pr->wall_seconds) : study_strdup("-"));
        for (size_t i = 0; i < s->nstats; i++)
            study_table_set(&t, p + 1, 3 + s->nparams + i,
                            isnan(pr->stats[i]) ? study_strdup("-")
                                                : study_printf("%.0f", pr->stats[i]));
        study_table_set(&t, p + 1, cols - 1,
                        study_strdup(pr->have_db ? (pr->stop_reason ? pr->stop_reason : "killed")
                                                 : "no database"));
    }
    study_table_print(&t, out);
}

/* --- report: SVG ----------------------------------------------------------------- */

static void study_svg_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* The smallest 1, 2 or 5 x 10^k at or above v. */
static double study_nice_ceiling(double v)
{
    if (v <= 0)
        return 1;
    double p = pow(10, floor(log10(v)));
    for (int i = 0; i < 3; i++) {
        static const double steps[] = { 1, 2, 5 };
        if (steps[i] * p >= v * (1 - 1e-12))
            return steps[i] * p;
    }
    return 10 * p;
}

static const char *const study_colors[] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};

/* Grouped bars: one panel per phase (each with its own scale, since phases
 * differ by orders of magnitude), one bar per point, a legend of points. */
void study_write_svg(const struct study *s, const struct study_results *r, FILE *out)
{
    const double bar = r->npoints > 16 ? 10 : 18, gap = 4, plot_h = 220, top = 72;
    const double panel_pad = 56, left = 16;
    double panel_w = r->npoints * (bar + gap) + gap + panel_pad;
    if (panel_w < 150)
        panel_w = 150;
    size_t npanels = r->nphase_spans ? r->nphase_spans : 1;
    double width = left + npanels * panel_w + 16;
    /* wide enough for the title and the description (average glyph widths
     * of sans-serif at 14 px bold and 11 px) */
    static const char title_rest[] = ": guest time per phase (each panel has its own scale)";
    double title_w = left + 8.5 * (double)(strlen("study ") + strlen(s->name) + strlen(title_rest)) + 16;
    double desc_w = s->description ? left + 6.2 * (double)strlen(s->description) + 16 : 0;
    if (width < title_w)
        width = title_w;
    if (width < desc_w)
        width = desc_w;
    double legend_y = top + plot_h + 40;
    double height = legend_y + 18.0 * (double)r->npoints + 16;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
            width, height, width, height);
    fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(out, "<text x=\"%.0f\" y=\"20\" font-size=\"14\" font-weight=\"bold\">study ", left);
    study_svg_text(out, s->name);
    fprintf(out, "%s</text>\n", title_rest);
    if (s->description) {
        fprintf(out, "<text x=\"%.0f\" y=\"36\" fill=\"#555\">", left);
        study_svg_text(out, s->description);
        fprintf(out, "</text>\n");
    }
    for (size_t ph = 0; ph < r->nphase_spans; ph++) {
        double x0 = left + ph * panel_w + 40, max = 0;
        double raw_max = 0;
        for (size_t p = 0; p < r->npoints; p++) {
            double v;
            if (study_metric(&r->points[p].phases[ph], STUDY_TIME, &v) && v > raw_max)
                raw_max = v;
        }
        struct study_unit u = study_pick_unit(STUDY_TIME, raw_max);
        for (size_t p = 0; p < r->npoints; p++) {
            double v;
            if (study_metric(&r->points[p].phases[ph], STUDY_TIME, &v) && v / u.divisor > max)
                max = v / u.divisor;
        }
        double scale_max = study_nice_ceiling(max);
        double axis_y = top + plot_h;
        fprintf(out, "<text x=\"%.1f\" y=\"%.0f\" font-weight=\"bold\">", x0, top - 8);
        study_svg_text(out, s->phases[ph]);
        fprintf(out, " &gt; ");
        study_svg_text(out, s->phases[ph + 1]);
        fprintf(out, " (%s)</text>\n", u.name);
        for (int tick = 0; tick <= 4; tick++) {
            double y = axis_y - plot_h * tick / 4.0;
            fprintf(out,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%g</text>\n",
                    x0, y, x0 + panel_w - panel_pad + 8, y, x0 - 4, y + 4,
                    scale_max * tick / 4.0);
        }
        for (size_t p = 0; p < r->npoints; p++) {
            double v;
            double x = x0 + gap + p * (bar + gap);
            if (!study_metric(&r->points[p].phases[ph], STUDY_TIME, &v)) {
                fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#999\">x</text>\n", x + 2,
                        axis_y - 2);
                continue;
            }
            v /= u.divisor;
            double h = plot_h * v / scale_max;
            char label[256];
            study_point_label(s, p, label, sizeof label);
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    "<title>",
                    x, axis_y - h, bar, h, study_colors[p % 10]);
            study_svg_text(out, label);
            fprintf(out, ": %.*f %s</title></rect>\n", u.decimals, v, u.name);
        }
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                x0, axis_y, x0 + panel_w - panel_pad + 8, axis_y);
    }
    for (size_t p = 0; p < r->npoints; p++) {
        char label[256];
        study_point_label(s, p, label, sizeof label);
        double y = legend_y + 18.0 * (double)p;
        fprintf(out,
                "<rect x=\"%.0f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.0f\" y=\"%.1f\">%zu: ",
                left + 40, y - 10, study_colors[p % 10], left + 58, y, p);
        study_svg_text(out, label);
        fprintf(out, "</text>\n");
    }
    fprintf(out, "</svg>\n");
}

/* --- merge --------------------------------------------------------------------------- */

static int study_exec(sqlite3 *db, const char *sql, struct cw_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    cw_errorf(err, "study merge: %s (in: %.60s)", msg ? msg : "SQLite error", sql);
    sqlite3_free(msg);
    return -1;
}

int study_merge(const struct study *s, const char *dir, const char *out_path, bool with_tx,
                struct cw_error *err)
{
    static const char *const tables[] = { "run", "component", "marker", "stats", "tx", NULL };
    unlink(out_path);
    sqlite3 *db;
    if (sqlite3_open(out_path, &db) != SQLITE_OK) {
        cw_errorf(err, "study merge: cannot create %s: %s", out_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    int rc = study_exec(db,
                        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;"
                        "CREATE TABLE point (id INTEGER PRIMARY KEY, label TEXT, status INTEGER);"
                        "CREATE TABLE param (point INTEGER, path TEXT, value TEXT);",
                        err);
    bool created[8] = { false };
    size_t n = study_point_count(s);
    for (size_t p = 0; p < n && !rc; p++) {
        char label[512];
        study_point_label(s, p, label, sizeof label);
        char *sql = sqlite3_mprintf("INSERT INTO point VALUES (%llu, %Q, %d);", (unsigned long long)p, label,
                                    study_read_status(dir, p));
        rc = study_exec(db, sql, err);
        sqlite3_free(sql);
        size_t idx[64] = { 0 };
        if (s->nparams <= 64)
            study_point_indices(s, p, idx);
        for (size_t i = 0; i < s->nparams && i < 64 && !rc; i++) {
            sql = sqlite3_mprintf("INSERT INTO param VALUES (%llu, %Q, %Q);", (unsigned long long)p,
                                  s->params[i].path,
                                  s->params[i].values[idx[i]]);
            rc = study_exec(db, sql, err);
            sqlite3_free(sql);
        }
        char *path = study_point_file(dir, p, "db");
        struct stat stbuf;
        if (rc || stat(path, &stbuf) != 0) {
            free(path);
            continue;
        }
        sql = sqlite3_mprintf("ATTACH %Q AS r;", path);
        free(path);
        rc = study_exec(db, sql, err);
        sqlite3_free(sql);
        for (size_t t = 0; tables[t] && !rc; t++) {
            if (!strcmp(tables[t], "tx") && !with_tx)
                continue;
            /* The first database that has the table defines its columns. */
            if (!created[t])
                sql = sqlite3_mprintf("CREATE TABLE %s AS SELECT %llu AS point, * FROM r.%s;",
                                      tables[t], (unsigned long long)p, tables[t]);
            else
                sql = sqlite3_mprintf("INSERT INTO %s SELECT %llu, * FROM r.%s;", tables[t],
                                      (unsigned long long)p, tables[t]);
            rc = study_exec(db, sql, err);
            sqlite3_free(sql);
            created[t] = true;
        }
        if (!rc)
            rc = study_exec(db, "COMMIT; DETACH r; BEGIN;", err);
    }
    if (!rc && created[2])
        rc = study_exec(db,
                        "CREATE VIEW phase AS SELECT point, id, name, time AS start,\n"
                        "  coalesce(lead(time) OVER w, (SELECT end_time FROM run WHERE run.point = "
                        "marker.point)) - time AS duration,\n"
                        "  coalesce(lead(insns) OVER w, (SELECT end_insns FROM run WHERE "
                        "run.point = marker.point)) - insns AS insns\n"
                        "  FROM marker WINDOW w AS (PARTITION BY point ORDER BY time, id);",
                        err);
    if (!rc)
        rc = study_exec(db, "COMMIT;", err);
    sqlite3_close(db);
    return rc;
}

/* --- running --------------------------------------------------------------------------- */

static double study_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *study_self_exe(const char *argv0)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = 0;
        return study_strdup(buf);
    }
    return study_strdup(argv0);
}

static int study_mkdirs(const char *path, struct cw_error *err)
{
    char *p = study_strdup(path);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = 0;
        mkdir(p, 0777);
        *c = '/';
    }
    int rc = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        rc = cw_errorf(err, "cannot create %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

static int study_write_file(const char *path, const char *text, struct cw_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cw_errorf(err, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    return fclose(f) ? cw_errorf(err, "cannot write %s: %s", path, strerror(errno)) : 0;
}

static pid_t study_spawn(const struct study *s, size_t point, const char *exe, const char *dir)
{
    char *db = study_point_file(dir, point, "db");
    char *log = study_point_file(dir, point, "log");
    char **argv = study_point_argv(s, point, exe, db);
    FILE *f = fopen(log, "w");
    if (f) {
        /* the command line first, so a failed point can be rerun by hand */
        for (size_t i = 0; argv[i]; i++)
            fprintf(f, "%s%s", i ? " " : "", argv[i]);
        fputc('\n', f);
        fclose(f);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            close(null_fd);
        }
        execv(exe, argv);
        fprintf(stderr, "study: cannot run %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    study_argv_free(argv);
    free(db);
    free(log);
    return pid;
}

static void study_write_status(const char *dir, size_t point, int status)
{
    char *path = study_point_file(dir, point, "status");
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", status);
        fclose(f);
    }
    free(path);
}

/* Runs the listed points, at most `jobs` at once. Returns the number of
 * points whose run did not exit 0. */
static size_t study_run_points(const struct study *s, const size_t *points, size_t n,
                               unsigned jobs, const char *exe, const char *dir)
{
    pid_t *pids = study_calloc(n, sizeof *pids);
    double *started = study_calloc(n, sizeof *started);
    size_t next = 0, running = 0, done = 0, failed = 0;
    while (done < n) {
        while (running < jobs && next < n) {
            pids[next] = study_spawn(s, points[next], exe, dir);
            started[next] = study_now();
            if (pids[next] < 0) {
                fprintf(stderr, "study: fork: %s\n", strerror(errno));
                study_write_status(dir, points[next], 127);
                done++;
                failed++;
            } else {
                running++;
            }
            next++;
        }
        int wstatus;
        pid_t pid = wait(&wstatus);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t i = 0; i < next; i++) {
            if (pids[i] != pid)
                continue;
            int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
            study_write_status(dir, points[i], status);
            char label[512];
            study_point_label(s, points[i], label, sizeof label);
            fprintf(stderr, "study %s: [%zu/%zu] point %zu (%s): %s%d, %.0f s\n", s->name,
                    done + 1, n, points[i], label, status ? "FAILED, exit " : "exit ", status,
                    study_now() - started[i]);
            pids[i] = 0;
            running--;
            done++;
            failed += status != 0;
        }
    }
    free(pids);
    free(started);
    return failed;
}

static int study_report(const struct study *s, const char *dir, const char *extra_dir,
                        bool quiet)
{
    struct cw_error err = { { 0 } };
    struct study_results r;
    if (study_collect(s, dir, &r, &err)) {
        fprintf(stderr, "clockwork study: %s\n", err.msg);
        return 1;
    }
    const char *dirs[2] = { dir, extra_dir };
    int rc = 0;
    for (size_t d = 0; d < 2 && !rc; d++) {
        if (!dirs[d])
            continue;
        if (study_mkdirs(dirs[d], &err)) {
            fprintf(stderr, "clockwork study: %s\n", err.msg);
            rc = 1;
            break;
        }
        static const char *const names[] = { "tsv", "txt", "svg" };
        for (size_t k = 0; k < 3; k++) {
            char *path = d ? study_printf("%s/%s.%s", dirs[d], s->name, names[k])
                           : study_printf("%s/report.%s", dirs[d], names[k]);
            FILE *f = fopen(path, "w");
            if (!f) {
                fprintf(stderr, "clockwork study: cannot write %s: %s\n", path, strerror(errno));
                free(path);
                rc = 1;
                break;
            }
            if (k == 0)
                study_write_tsv(s, &r, f);
            else if (k == 1)
                study_write_text(s, &r, f);
            else
                study_write_svg(s, &r, f);
            fclose(f);
            free(path);
        }
    }
    if (!rc && !quiet)
        study_write_text(s, &r, stdout);
    if (!rc)
        fprintf(stderr, "study %s: report in %s/report.{txt,tsv,svg}%s%s\n", s->name, dir,
                extra_dir ? " and " : "", extra_dir ? extra_dir : "");
    study_results_free(&r);
    return rc;
}

/* --- command line ------------------------------------------------------------------- */

static const char study_usage[] =
    "usage: clockwork study run STUDY.yaml [-j N] [--out DIR] [--point N] [--skip-done]\n"
    "       clockwork study report DIR [--study STUDY.yaml] [--quiet]\n"
    "       clockwork study points STUDY.yaml\n"
    "       clockwork study merge DIR OUT.db [--tx]\n"
    "\n"
    "A study runs `clockwork run` once per point of a parameter sweep (the\n"
    "cartesian product of the value lists in STUDY.yaml), each with a trace\n"
    "database, and compares guest time, CPU cycles and instructions per phase\n"
    "(from marker to marker). docs/study.md describes the study file.\n"
    "\n"
    "  run       runs the points, N at a time (default: the study's jobs, else one\n"
    "            per CPU), into DIR (default: the study's output) as\n"
    "            point-NNN.db/.log/.status, then writes report.txt/.tsv/.svg\n"
    "            (and copies them to the study's publish folder)\n"
    "  --point N runs only point N (0-based) and writes no report: one job of a\n"
    "            cluster array; `study report DIR` once all are done\n"
    "  --skip-done  keeps points whose last run exited 0\n"
    "  report    rereads the databases in DIR (study file: DIR/study.yaml)\n"
    "  points    prints the number of points, then one line per point\n"
    "  merge     combines the databases of DIR into one (tables point, param, run,\n"
    "            component, marker, stats with a point column; a phase view);\n"
    "            --tx also copies the transactions\n"
    "\n"
    "Exit status: 0 all points ran and exited 0, 1 some failed, 2 usage error.\n";

static int study_usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "clockwork study: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "",
            study_usage);
    return 2;
}

static int study_load_or_complain(struct study *s, const char *path)
{
    struct cw_error err = { { 0 } };
    if (study_load_file(s, path, &err) == 0)
        return 0;
    fprintf(stderr, "clockwork study: %s\n", err.msg);
    study_free(s);
    return 2;
}

static bool study_parse_index(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-')
        return false;
    *out = (size_t)v;
    return true;
}

static int study_cmd_run(int argc, char **argv)
{
    const char *file = NULL, *out_dir = NULL;
    size_t jobs = 0, only = SIZE_MAX;
    bool skip_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-j") || !strcmp(a, "--jobs")) && i + 1 < argc) {
            if (!study_parse_index(argv[++i], &jobs) || !jobs || jobs > 4096)
                return study_usage_error("-j needs a number of jobs (1..4096)", argv[i]);
        } else if (!strncmp(a, "-j", 2) && a[2]) {
            if (!study_parse_index(a + 2, &jobs) || !jobs || jobs > 4096)
                return study_usage_error("-j needs a number of jobs (1..4096)", a);
        } else if (!strcmp(a, "--out") && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (!strcmp(a, "--point") && i + 1 < argc) {
            if (!study_parse_index(argv[++i], &only))
                return study_usage_error("--point needs a point number", argv[i]);
        } else if (!strcmp(a, "--skip-done")) {
            skip_done = true;
        } else if (a[0] == '-') {
            return study_usage_error("unknown option", a);
        } else if (!file) {
            file = a;
        } else {
            return study_usage_error("more than one study file", a);
        }
    }
    if (!file)
        return study_usage_error("study run needs a study file", NULL);
    struct study s;
    if (study_load_or_complain(&s, file))
        return 2;
    struct cw_error err = { { 0 } };
    size_t npoints = study_point_count(&s);
    if (only != SIZE_MAX && only >= npoints) {
        fprintf(stderr, "clockwork study: --point %zu: the study has points 0..%zu\n", only,
                npoints - 1);
        study_free(&s);
        return 2;
    }
    if (access(s.config, R_OK) != 0) {
        fprintf(stderr, "clockwork study: %s: base config %s: %s\n", file, s.config,
                strerror(errno));
        study_free(&s);
        return 2;
    }
    const char *dir = out_dir ? out_dir : s.output;
    char *study_copy = study_printf("%s/study.yaml", dir);
    if (study_mkdirs(dir, &err) || study_write_file(study_copy, s.text, &err)) {
        fprintf(stderr, "clockwork study: %s\n", err.msg);
        free(study_copy);
        study_free(&s);
        return 2;
    }
    free(study_copy);
    size_t *points = study_calloc(npoints, sizeof *points);
    size_t n = 0;
    for (size_t p = 0; p < npoints; p++) {
        if (only != SIZE_MAX && p != only)
            continue;
        if (skip_done && study_read_status(dir, p) == 0)
            continue;
        points[n++] = p;
    }
    if (!jobs)
        jobs = s.jobs;
    if (!jobs) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = cpus > 0 ? (size_t)cpus : 1;
    }
    char *exe = study_self_exe(argv[0]);
    fprintf(stderr, "study %s: %zu of %zu points, %zu at a time, into %s\n", s.name, n, npoints,
            jobs, dir);
    size_t failed = study_run_points(&s, points, n, (unsigned)jobs, exe, dir);
    free(exe);
    free(points);
    int rc = failed ? 1 : 0;
    if (only == SIZE_MAX && study_report(&s, dir, s.publish, false))
        rc = 1;
    study_free(&s);
    return rc;
}

static int study_cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *file = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--study") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--quiet"))
            quiet = true;
        else if (argv[i][0] == '-')
            return study_usage_error("unknown option", argv[i]);
        else if (!dir)
            dir = argv[i];
        else
            return study_usage_error("more than one folder", argv[i]);
    }
    if (!dir)
        return study_usage_error("study report needs the study's output folder", NULL);
    char *copy = file ? NULL : study_printf("%s/study.yaml", dir);
    struct study s;
    int rc = study_load_or_complain(&s, file ? file : copy);
    free(copy);
    if (rc)
        return rc;
    rc = study_report(&s, dir, NULL, quiet);
    study_free(&s);
    return rc;
}

static int study_cmd_points(int argc, char **argv)
{
    if (argc != 2)
        return study_usage_error("study points needs one study file", NULL);
    struct study s;
    if (study_load_or_complain(&s, argv[1]))
        return 2;
    size_t n = study_point_count(&s);
    printf("%zu\n", n);
    for (size_t p = 0; p < n; p++) {
        char label[512];
        study_point_label(&s, p, label, sizeof label);
        printf("%zu\t%s\n", p, label);
    }
    study_free(&s);
    return 0;
}

static int study_cmd_merge(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    bool tx = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tx"))
            tx = true;
        else if (argv[i][0] == '-')
            return study_usage_error("unknown option", argv[i]);
        else if (!dir)
            dir = argv[i];
        else if (!out)
            out = argv[i];
        else
            return study_usage_error("too many arguments", argv[i]);
    }
    if (!dir || !out)
        return study_usage_error("study merge needs DIR and OUT.db", NULL);
    char *copy = study_printf("%s/study.yaml", dir);
    struct study s;
    int rc = study_load_or_complain(&s, copy);
    free(copy);
    if (rc)
        return rc;
    struct cw_error err = { { 0 } };
    if (study_merge(&s, dir, out, tx, &err)) {
        fprintf(stderr, "clockwork study: %s\n", err.msg);
        rc = 1;
    }
    study_free(&s);
    return rc;
}

int study_main(int argc, char **argv)
{
    if (argc < 2)
        return study_usage_error("give a subcommand (run, report, points, merge)", NULL);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(study_usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return study_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return study_cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "points"))
        return study_cmd_points(argc - 1, argv + 1);
    if (!strcmp(cmd, "merge"))
        return study_cmd_merge(argc - 1, argv + 1);
    return study_usage_error("unknown study subcommand", cmd);
}
