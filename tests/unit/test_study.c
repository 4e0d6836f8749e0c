/* test_study.c: study files (host/study.h): parsing and its errors, the
 * enumeration of sweep points (first parameter slowest), the `clockwork
 * run` argument vector of a point, and the report read back from trace
 * databases written here by hand (markers, run row, statistics): phase
 * times, instructions and cycles from the CPU clock of the run's machine,
 * missing markers and databases, TSV, text and SVG output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "host/study.h"

static const char study_text[] =
    "study: demo\n"
    "description: a demo\n"
    "config: ../base.yaml\n"
    "args: [--cdrom, ~/x.iso]\n"
    "set: {components.cpu0.timing: pipeline}\n"
    "sweep:\n"
    "  components.cpu0.pipeline.queue-size: [8, 16, 32]\n"
    "  components.ram.preset: [ddr3-1600, ddr4-2400]\n"
    "phases: [reset, post, menu]\n"
    "stats: [cpu0.cycles]\n"
    "jobs: 3\n";

static void load(struct study *s, const char *text)
{
    struct cw_error err = {{0}};
    if (study_load_string(s, text, "/studies/sub/demo.yaml", &err))
        fail_msg("study refused: %s", err.msg);
}

static void test_parse_and_points(void **state)
{
    struct study s;
    load(&s, study_text);
    assert_string_equal(s.name, "demo");
    assert_string_equal(s.config, "/studies/sub/../base.yaml");
    assert_int_equal(s.nparams, 2);
    assert_int_equal(s.nphases, 3);
    assert_int_equal(s.jobs, 3);
    assert_string_equal(s.trace_kinds, "io-write");
    assert_string_equal(s.output, "study-out/demo");
    assert_int_equal(study_point_count(&s), 6);
    /* the first parameter varies slowest */
    size_t idx[2];
    study_point_indices(&s, 0, idx);
    assert_true(idx[0] == 0 && idx[1] == 0);
    study_point_indices(&s, 1, idx);
    assert_true(idx[0] == 0 && idx[1] == 1);
    study_point_indices(&s, 5, idx);
    assert_true(idx[0] == 2 && idx[1] == 1);
    char label[128];
    study_point_label(&s, 3, label, sizeof label);
    assert_string_equal(label, "queue-size=16 preset=ddr4-2400");
    study_free(&s);
}

static void test_point_argv(void **state)
{
    struct study s;
    load(&s, study_text);
    setenv("HOME", "/home/u", 1);
    char **argv = study_point_argv(&s, 4, "/bin/cw", "/out/point-004.db");
    const char *want[] = {
        "/bin/cw", "run", "/studies/sub/../base.yaml", "--cdrom", "/home/u/x.iso",
        "--set", "components.cpu0.timing=pipeline",
        "--set", "components.cpu0.pipeline.queue-size=32",
        "--set", "components.ram.preset=ddr3-1600",
        "--trace", "/out/point-004.db", "--trace-kinds", "io-write", "--quiet", NULL,
    };
    for (size_t i = 0; want[i]; i++) {
        assert_non_null(argv[i]);
        assert_string_equal(argv[i], want[i]);
    }
    assert_null(argv[sizeof want / sizeof want[0] - 1]);
    study_argv_free(argv);
    study_free(&s);
}

static void expect_error(const char *text, const char *needle)
{
    struct study s;
    struct cw_error err = {{0}};
    assert_int_equal(study_load_string(&s, text, "bad.yaml", &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("'%s': got '%s', want '%s'", text, err.msg, needle);
    study_free(&s);
}

static void test_errors(void **state)
{
    expect_error("study: x\nconfig: a.yaml\nphases: [a, b]\nsweeps: {}\n", "unknown key 'sweeps'");
    expect_error("config: a.yaml\nphases: [a, b]\n", "no study name");
    expect_error("study: x y\nconfig: a.yaml\nphases: [a, b]\n", "use letters");
    expect_error("study: x\nphases: [a, b]\n", "no base config");
    expect_error("study: x\nconfig: a.yaml\n", "no phases");
    expect_error("study: x\nconfig: a.yaml\nphases: [a]\n", "at least two markers");
    expect_error("study: x\nconfig: a.yaml\nphases: [a, b]\nsweep: {size: [1]}\n",
                 "not a dotted path");
    expect_error("study: x\nconfig: a.yaml\nphases: [a, b]\nsweep: {a.b: []}\n", "empty");
    expect_error("study: x\nconfig: a.yaml\nphases: [a, b]\nsweep: {a.b: {c: 1}}\n",
                 "expected a list");
    expect_error("study: x\nconfig: a.yaml\nphases: [a, b]\nset: {a.b: {c: 1}}\n",
                 "expected one value");
    expect_error("study: x\nconfig: a.yaml\nphases: [a, b]\nstats: [cycles]\n",
                 "COMPONENT.COUNTER");
    /* no sweep: a single point */
    struct study s;
    load(&s, "study: one\nconfig: a.yaml\nphases: [a, end]\n");
    assert_int_equal(study_point_count(&s), 1);
    char label[32];
    study_point_label(&s, 0, label, sizeof label);
    assert_string_equal(label, "base");
    study_free(&s);
}

/* --- reports from hand-written databases ---------------------------------------- */

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql: %s", msg);
}

/* A database with the trace schema's run, marker, component and stats
 * rows the report reads: a 100 MHz cpu0; markers reset at 0, post at
 * `post_us` and menu at `menu_us`; 1000 instructions per microsecond. */
static void write_db(const char *path, int post_us, int menu_us, bool with_menu)
{
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE run (id, program_version, command_line, machine_yaml, "
                 "config_yaml, start_wall, start_unix_ns, end_wall, wall_seconds, end_time, "
                 "end_insns, stop_reason);"
                 "CREATE TABLE marker (id INTEGER PRIMARY KEY, time, name, insns);"
                 "CREATE TABLE component (id, name, type);"
                 "CREATE TABLE stats (component, name, value);"
                 "INSERT INTO component VALUES (1, 'cpu0', 'x86-cpu');");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO run VALUES (1, 'v', 'cmd', 'clocks: {cpu: 100MHz}\ncomponents:\n"
             "  ram: {type: ram}\n  cpu0: {type: x86-cpu, clock: cpu}\n', NULL, NULL, 0, NULL, "
             "2.5, %lld, %d, 'condition met');"
             "INSERT INTO marker (time, name, insns) VALUES (0, 'reset', 0);"
             "INSERT INTO marker (time, name, insns) VALUES (%lld, 'post', %d);"
             "INSERT INTO marker (time, name, insns) VALUES (%lld, 'post', %d);"
             "INSERT INTO stats VALUES (1, 'cycles', %d);",
             (long long)menu_us * 1000000 + 5, menu_us * 1000, (long long)post_us * 1000000,
             post_us * 1000, (long long)post_us * 2000000, post_us * 2000, menu_us * 100);
    exec_sql(db, sql);
    if (with_menu) {
        snprintf(sql, sizeof sql, "INSERT INTO marker (time, name, insns) VALUES (%lld, 'menu', %d);",
                 (long long)menu_us * 1000000, menu_us * 1000);
        exec_sql(db, sql);
    }
    sqlite3_close(db);
}

static char *read_all(FILE *f)
{
    fflush(f);
    long len = ftell(f);
    rewind(f);
    char *buf = calloc((size_t)len + 1, 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    return buf;
}

static void test_report(void **state)
{
    char dir[] = "/tmp/test_study.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    struct study s;
    load(&s, "study: r\nconfig: a.yaml\nsweep: {components.x.y: [a, b, c]}\n"
             "phases: [reset, post, menu]\nstats: [cpu0.cycles, cpu0.nothing]\n");
    /* point 0: post at 10 us, menu at 40 us; point 1: the menu never came;
     * point 2: no database at all */
    snprintf(path, sizeof path, "%s/point-000.db", dir);
    write_db(path, 10, 40, true);
    snprintf(path, sizeof path, "%s/point-001.db", dir);
    write_db(path, 20, 50, false);
    snprintf(path, sizeof path, "%s/point-000.status", dir);
    FILE *st = fopen(path, "w");
    fputs("0\n", st);
    fclose(st);

    struct study_results r;
    struct cw_error err = {{0}};
    assert_int_equal(study_collect(&s, dir, &r, &err), 0);
    assert_int_equal(r.npoints, 3);
    assert_int_equal(r.nphase_spans, 2);
    const struct study_point_result *p0 = &r.points[0];
    assert_true(p0->have_db);
    assert_int_equal(p0->status, 0);
    assert_string_equal(p0->stop_reason, "condition met");
    /* the first 'post' counts, not the second */
    assert_true(p0->phases[0].valid);
    assert_int_equal(p0->phases[0].duration_ps, 10000000);
    assert_int_equal(p0->phases[0].insns, 10000);
    assert_true(p0->phases[0].cycles > 999.999 && p0->phases[0].cycles < 1000.001);
    assert_int_equal(p0->phases[1].duration_ps, 30000000);
    assert_int_equal(p0->phases[1].start_ps, 10000000);
    assert_true(p0->stats[0] == 4000.0);
    assert_true(p0->stats[1] != p0->stats[1]); /* NAN: no such counter */
    assert_true(r.points[1].have_db);
    assert_int_equal(r.points[1].status, -1);
    assert_true(r.points[1].phases[0].valid);
    assert_false(r.points[1].phases[1].valid);
    assert_false(r.points[2].have_db);
    assert_false(r.points[2].phases[0].valid);

    FILE *f = tmpfile();
    study_write_tsv(&s, &r, f);
    char *tsv = read_all(f);
    fclose(f);
    assert_non_null(strstr(tsv, "point\tcomponents.x.y\tphase\tstart_ps\tduration_ps\tguest_ms\t"
                                "cycles\tinsns\tstatus\n"));
    assert_non_null(strstr(tsv, "0\ta\treset\t0\t10000000\t0.010000\t1000.00\t10000\t0\n"));
    assert_non_null(strstr(tsv, "1\tb\tpost\t\t\t\t\t\t-1\n"));
    free(tsv);

    f = tmpfile();
    study_write_text(&s, &r, f);
    char *txt = read_all(f);
    fclose(f);
    assert_non_null(strstr(txt, "guest time per phase (us)"));
    assert_non_null(strstr(txt, "no database"));
    assert_non_null(strstr(txt, "cpu0.cycles"));
    free(txt);

    f = tmpfile();
    study_write_svg(&s, &r, f);
    char *svg = read_all(f);
    fclose(f);
    assert_true(!strncmp(svg, "<svg ", 5));
    /* bars: point 0 in both phases, point 1 in the first */
    int bars = 0;
    for (const char *c = svg; (c = strstr(c, "<title>")); c++)
        bars++;
    assert_int_equal(bars, 3);
    assert_non_null(strstr(svg, "</svg>\n"));
    /* two narrow panels, but the picture is as wide as its title */
    double width = 0;
    assert_int_equal(sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%lf\"", &width), 1);
    assert_true(width >= 8.5 * strlen("study demo: guest time per phase (each panel has its own scale)"));
    free(svg);

    study_results_free(&r);
    study_free(&s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_points),
        cmocka_unit_test(test_point_argv),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
