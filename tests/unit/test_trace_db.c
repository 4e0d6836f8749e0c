/* The SQLite trace sink: schema, exact round trip of transactions through
 * the compact layout, capture filters on a small hand-built machine, the
 * ring's back-pressure, SIGKILL safety, determinism, and the trace CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/trace_db.h"
#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

/* --- helpers ----------------------------------------------------------------- */

static char tmpdir[256];

static int setup_tmpdir(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/test_trace_db.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown_tmpdir(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ & 3];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

/* Every row of every result of `sql`, as "a|b|c\n" lines. Caller frees. */
static char *query_text(const char *path, const char *sql)
{
    sqlite3 *db = open_db(path);
    size_t cap = 1024, len = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            size_t need = len + (t ? strlen(t) : 4) + 3;
            if (need > cap) {
                cap = need * 2;
                out = realloc(out, cap);
            }
            len += (size_t)sprintf(out + len, "%s%s", c ? "|" : "", t ? t : "NULL");
        }
        if (len + 2 > cap)
            out = realloc(out, cap = cap * 2);
        out[len++] = '\n';
        out[len] = '\0';
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static long long query_int(const char *path, const char *sql)
{
    char *t = query_text(path, sql);
    long long v = strtoll(t, NULL, 0);
    free(t);
    return v;
}

static void assert_query(const char *path, const char *sql, const char *expected)
{
    char *t = query_text(path, sql);
    assert_string_equal(t, expected);
    free(t);
}

static struct trace_db *open_or_fail(const char *path, const struct trace_run_info *info)
{
    struct cw_error err = {{0}};
    struct trace_db *db = trace_db_open(path, info, &err);
    if (!db)
        fail_msg("trace_db_open: %s", err.msg);
    return db;
}

static void close_or_fail(struct trace_db *db, struct sim *sim, const char *reason)
{
    struct cw_error err = {{0}};
    if (trace_db_close(db, sim, reason, &err) != 0)
        fail_msg("trace_db_close: %s", err.msg);
}

/* --- a small machine: cpu0 (initiator only), two I/O devices, RAM ---------- */

struct test_dev {
    struct signal *irq;
    uint64_t writes;
    uint8_t regs[16];
};

static uint64_t test_dev_read(void *opaque, uint64_t offset, unsigned size)
{
    struct test_dev *d = opaque;
    return d->regs[offset & 15];
}

/* Writing a value drives the device's irq pin to the value's bit 0. */
static void test_dev_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct test_dev *d = opaque;
    d->regs[offset & 15] = (uint8_t)value;
    d->writes++;
    signal_set(d->irq, (int)(value & 1));
}

static const struct mmio_ops test_dev_ops = {.read = test_dev_read, .write = test_dev_write};

static const struct param_desc test_dev_params[] = {
    {"base", PARAM_U64, NULL, "first I/O port", false},
    PARAM_END,
};

static int test_dev_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct test_dev *d = calloc(1, sizeof *d);
    c->state = d;
    uint64_t base = 0;
    params_u64(p, "base", &base);
    if (!as_add_mmio(sim_find_space(c->sim, "io"), c, c->name, base, 16, &test_dev_ops, d, err))
        return -1;
    d->irq = signal_create(c->sim, c, "irq");
    stat_register(c, "writes", "register writes", &d->writes);
    return 0;
}

static void test_dev_destroy(struct component *c)
{
    free(c->state);
}

static const struct component_type test_dev_type = {
    .name = "test-dev",
    .params = test_dev_params,
    .create = test_dev_create,
    .destroy = test_dev_destroy,
};

static const struct param_desc no_params[] = {PARAM_END};

static int test_ram_create(struct component *c, const struct params *p, struct cw_error *err)
{
    return as_add_ram(sim_find_space(c->sim, "memory"), c, "ram", 0, 0x10000, err) ? 0 : -1;
}

static const struct component_type test_cpu_type = {.name = "test-cpu", .params = no_params};
static const struct component_type test_ram_type = {
    .name = "test-ram", .params = no_params, .create = test_ram_create};

static const char machine_text[] = "spaces:\n"
                                   "  memory: {kind: memory, bits: 32}\n"
                                   "  io: {kind: io, bits: 16}\n";

struct machine {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct ynode *conf[4];
    uint16_t cpu;
};

static void add_component(struct machine *m, int i, const char *name,
                          const struct component_type *type, const char *yaml)
{
    struct cw_error err = {{0}};
    m->conf[i] = ytree_load_string(yaml, strlen(yaml), name, &err);
    assert_non_null(m->conf[i]);
    if (!component_create(m->sim, name, type, m->conf[i], &err))
        fail_msg("component %s: %s", name, err.msg);
}

static void machine_build_test(struct machine *m)
{
    memset(m, 0, sizeof *m);
    m->sim = sim_create();
    sim_set_log_quiet(m->sim, true);
    m->mem = as_create(m->sim, "memory", SPACE_MEMORY, 32);
    m->io = as_create(m->sim, "io", SPACE_IO, 16);
    sim_add_space(m->sim, m->mem);
    sim_add_space(m->sim, m->io);
    add_component(m, 0, "cpu0", &test_cpu_type, "type: test-cpu\n");
    add_component(m, 1, "ram0", &test_ram_type, "type: test-ram\n");
    add_component(m, 2, "devA", &test_dev_type, "type: test-dev\nbase: 0x10\n");
    add_component(m, 3, "devB", &test_dev_type, "type: test-dev\nbase: 0x20\n");
    m->cpu = sim_find_component(m->sim, "cpu0")->id;
}

static void machine_free(struct machine *m)
{
    sim_destroy(m->sim);
    for (int i = 0; i < 4; i++)
        ytree_free(m->conf[i]);
}

static void bus(struct machine *m, struct addr_space *as, enum bus_kind kind, uint64_t addr,
                uint64_t data, sim_time_t time)
{
    struct bus_tx tx = {.addr = addr, .data = data, .time = time, .initiator = m->cpu,
                        .size = 1, .kind = (uint8_t)kind};
    as_access(as, &tx);
}

/* A fixed workload: port writes to both devices (raising and lowering
 * their irq lines), port reads, RAM traffic, markers. Times 1000, 2000... */
static void workload(struct machine *m)
{
    sim_marker(m->sim, "start");
    bus(m, m->io, BUS_IO_WRITE, 0x10, 1, 1000);  /* devA irq up */
    bus(m, m->io, BUS_IO_WRITE, 0x21, 0x41, 2000); /* devB irq up */
    bus(m, m->io, BUS_IO_READ, 0x10, 0, 3000);
    bus(m, m->io, BUS_IO_READ, 0x1f, 0, 4000);
    bus(m, m->mem, BUS_WRITE, 0x100, 0xab, 5000);
    bus(m, m->mem, BUS_READ, 0x100, 0, 6000);
    sim_marker(m->sim, "middle");
    bus(m, m->io, BUS_IO_WRITE, 0x10, 0, 7000);  /* devA irq down */
    bus(m, m->io, BUS_IO_READ, 0x22, 0, 8000);
    bus(m, m->io, BUS_IO_READ, 0x40, 0, 9000);   /* unmapped */
}

/* Runs the workload into a fresh database with filter f; returns 0 or the
 * attach error (db closed either way). */
static int traced_run(const char *path, const struct trace_filter *f, struct cw_error *err)
{
    struct machine m;
    machine_build_test(&m);
    struct trace_run_info info = {.program_version = "test", .machine_yaml = machine_text,
                                  .command_line = "test_trace_db"};
    struct trace_db *db = open_or_fail(path, &info);
    int rc = trace_db_attach(db, m.sim, f, err);
    if (rc == 0)
        workload(&m);
    close_or_fail(db, m.sim, "test");
    machine_free(&m);
    return rc;
}

/* --- schema ---------------------------------------------------------------------- */

static void test_schema(void **state)
{
    const char *path = tmp_path("schema.db");
    struct trace_run_info info = {.program_version = "clockwork 0.1",
                                  .command_line = "clockwork run x.yaml",
                                  .machine_yaml = "machine: {name: pc}\n",
                                  .config_yaml = "machine: pc.yaml\n"};
    close_or_fail(open_or_fail(path, &info), NULL, "idle");

    assert_query(path,
                 "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name",
                 "component\nirq\nkind\nmarker\nmeta\nphase\nroute\nrun\nsignal\nspace\nstats\n"
                 "tx\ntx_block\ntx_data\n");
    assert_int_equal(query_int(path, "PRAGMA user_version"), TRACE_DB_SCHEMA_VERSION);
    assert_query(path, "SELECT value FROM meta WHERE key = 'schema_version'", "2\n");
    assert_query(path, "PRAGMA journal_mode", "delete\n");
    assert_query(path, "PRAGMA integrity_check", "ok\n");
    assert_false(file_exists(tmp_path("schema.db-wal")));
    /* kinds match the kernel's names */
    assert_int_equal(query_int(path, "SELECT count(*) FROM kind"), BUS_KIND_COUNT);
    assert_query(path, "SELECT id FROM kind WHERE name = 'io-write'", "4\n");
    assert_query(path,
                 "SELECT program_version, command_line, machine_yaml, config_yaml, end_time, "
                 "stop_reason FROM run",
                 "clockwork 0.1|clockwork run x.yaml|machine: {name: pc}\n|machine: pc.yaml\n"
                 "|0|idle\n");
    assert_int_equal(query_int(path, "SELECT start_wall LIKE '20__-__-__T__:__:__Z' FROM run"), 1);
    /* indexes exist after close */
    assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                                     "AND name IN ('irq_time', 'marker_time', 'tx_block_base')"),
                     3);
}

static void test_open_replaces_and_reports_errors(void **state)
{
    const char *path = tmp_path("replace.db");
    FILE *f = fopen(path, "w");
    fputs("not a database", f);
    fclose(f);
    f = fopen(tmp_path("replace.db-wal"), "w");
    fputs("stale wal", f);
    fclose(f);
    struct trace_db *db = open_or_fail(path, NULL);
    close_or_fail(db, NULL, "done");
    assert_query(path, "PRAGMA integrity_check", "ok\n");
    assert_false(file_exists(tmp_path("replace.db-wal")));

    struct cw_error err = {{0}};
    assert_null(trace_db_open(tmp_path("no/such/dir.db"), NULL, &err));
    assert_non_null(strstr(err.msg, "no/such/dir.db"));
    assert_null(trace_db_open("", NULL, &err));
}

/* --- direct recording ------------------------------------------------------------ */

static void test_roundtrip_exact(void **state)
{
    const char *path = tmp_path("roundtrip.db");
    struct trace_db *db = open_or_fail(path, NULL);
    unsigned mem = trace_db_define_space(db, "memory");
    assert_int_equal(mem, 1);
    enum { N = 1000 };
    struct bus_tx in[N];
    uint64_t rng = 12345;
    for (int i = 0; i < N; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        /* Times go backwards now and then (a CPU ahead of a DMA engine),
         * crossing block boundaries; values use all 64 bits. */
        in[i] = (struct bus_tx){
            .addr = i == 7 ? UINT64_MAX : rng >> 20,
            .data = i == 9 ? UINT64_MAX : rng,
            .time = (sim_time_t)i * 1000000 + (rng % 3 == 0 ? 0 : 2500000) + (i == 500 ? SIM_S(100000) : 0),
            .latency = i % 5 ? 60000 : rng % 100000,
            .initiator = (uint16_t)(i % 3),
            .target = (uint16_t)(i == 11 ? 65535 : i % 4),
            .size = (uint8_t)(1u << (i % 4)),
            .kind = (uint8_t)(i % BUS_KIND_COUNT),
        };
        trace_db_record_tx(db, mem, &in[i]);
    }
    assert_int_equal(trace_db_rows(db), N);
    close_or_fail(db, NULL, "done");

    sqlite3 *sql = open_db(path);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(sql,
                                        "SELECT id, time, initiator, target, space, kind, addr, "
                                        "size, data, latency FROM tx ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int i = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(i < N);
        assert_int_equal(sqlite3_column_int64(st, 0), i + 1);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 1), in[i].time);
        assert_int_equal(sqlite3_column_int(st, 2), in[i].initiator);
        assert_int_equal(sqlite3_column_int(st, 3), in[i].target);
        assert_int_equal(sqlite3_column_int(st, 4), mem);
        assert_int_equal(sqlite3_column_int(st, 5), in[i].kind);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 6), in[i].addr);
        assert_int_equal(sqlite3_column_int(st, 7), in[i].size);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 8), in[i].data);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 9), in[i].latency);
        i++;
    }
    assert_int_equal(i, N);
    sqlite3_finalize(st);
    sqlite3_close(sql);
    /* the end time without a sim is the latest time recorded */
    sim_time_t latest = 0;
    for (int k = 0; k < N; k++)
        latest = in[k].time > latest ? in[k].time : latest;
    assert_int_equal(query_int(path, "SELECT end_time FROM run"), latest);
}

static void test_markers_phases_irq(void **state)
{
    const char *path = tmp_path("phases.db");
    struct trace_db *db = open_or_fail(path, NULL);
    trace_db_record_marker(db, 100, "bios", 10);
    trace_db_record_irq(db, 150, "pit0.out", 1);
    trace_db_record_irq(db, 160, "pit0.out", 0);
    trace_db_record_irq(db, 170, "rtc0.irq", 1);
    trace_db_record_marker(db, 300, "boot-sector", 50);
    trace_db_record_marker(db, 700, "kernel", 400);
    struct bus_tx tx = {.time = 1000, .kind = BUS_READ, .size = 1};
    trace_db_record_tx(db, 0, &tx);
    assert_int_equal(trace_db_marker_rows(db), 3);
    assert_int_equal(trace_db_irq_rows(db), 3);
    close_or_fail(db, NULL, "done");

    assert_query(path, "SELECT name, start, end, duration, insns FROM phase ORDER BY start",
                 "bios|100|300|200|40\nboot-sector|300|700|400|350\nkernel|700|1000|300|NULL\n");
    assert_query(path,
                 "SELECT i.time, s.name, i.level FROM irq i JOIN signal s ON s.id = i.signal "
                 "ORDER BY i.id",
                 "150|pit0.out|1\n160|pit0.out|0\n170|rtc0.irq|1\n");
    assert_query(path, "SELECT id, name FROM signal ORDER BY id", "1|pit0.out\n2|rtc0.irq\n");
}

/* --- attach and filters --------------------------------------------------------------- */

static void test_attach_everything(void **state)
{
    const char *path = tmp_path("attach.db");
    struct trace_filter f;
    trace_filter_init(&f);
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);

    assert_query(path, "SELECT id, name, type FROM component ORDER BY id",
                 "1|cpu0|test-cpu\n2|ram0|test-ram\n3|devA|test-dev\n4|devB|test-dev\n");
    assert_query(path, "SELECT id, name FROM space ORDER BY id", "1|memory\n2|io\n");
    /* every access, with its target resolved and space named */
    assert_query(path,
                 "SELECT t.time, k.name, s.name, printf('0x%x', t.addr), t.data, t.initiator, "
                 "t.target FROM tx t JOIN kind k ON k.id = t.kind JOIN space s ON s.id = t.space "
                 "ORDER BY t.id",
                 "1000|io-write|io|0x10|1|1|3\n"
                 "2000|io-write|io|0x21|65|1|4\n"
                 "3000|io-read|io|0x10|1|1|3\n"
                 "4000|io-read|io|0x1f|0|1|3\n"
                 "5000|write|memory|0x100|171|1|2\n"
                 "6000|read|memory|0x100|171|1|2\n"
                 "7000|io-write|io|0x10|0|1|3\n"
                 "8000|io-read|io|0x22|0|1|4\n"
                 "9000|io-read|io|0x40|255|1|0\n");
    assert_query(path,
                 "SELECT s.name, i.level FROM irq i JOIN signal s ON s.id = i.signal ORDER BY i.id",
                 "devA.irq|1\ndevB.irq|1\ndevA.irq|0\n");
    assert_query(path, "SELECT name FROM marker ORDER BY id", "start\nmiddle\n");
    assert_query(path,
                 "SELECT c.name, s.name, s.value FROM stats s JOIN component c ON c.id = "
                 "s.component ORDER BY c.id",
                 "devA|writes|2\ndevB|writes|1\n");
    assert_query(path, "SELECT stop_reason FROM run", "test\n");
    assert_query(path, "PRAGMA integrity_check", "ok\n");
}

static void test_filter_components(void **state)
{
    const char *path = tmp_path("fcomp.db");
    const char *const comps[] = {"devA", NULL};
    struct trace_filter f;
    trace_filter_init(&f);
    f.components = comps;
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);
    assert_query(path, "SELECT time FROM tx ORDER BY id", "1000\n3000\n4000\n7000\n");

    /* the initiator also selects: cpu0 issued everything */
    const char *const cpu[] = {"cpu0", NULL};
    f.components = cpu;
    assert_int_equal(traced_run(path, &f, &err), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM tx"), 9);
}

static void test_filter_kinds(void **state)
{
    const char *path = tmp_path("fkind.db");
    struct trace_filter f;
    trace_filter_init(&f);
    f.kind_mask = BUS_KIND_BIT(BUS_IO_WRITE) | BUS_KIND_BIT(BUS_READ);
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);
    assert_query(path, "SELECT time FROM tx ORDER BY id", "1000\n2000\n6000\n7000\n");
}

static void test_filter_ranges(void **state)
{
    const char *path = tmp_path("frange.db");
    /* overlapping ranges are merged: nothing is recorded twice */
    const struct trace_range ranges[] = {{0x1c, 0x22}, {0x18, 0x1f}, {0x100, 0x100}};
    struct trace_filter f;
    trace_filter_init(&f);
    f.ranges = ranges;
    f.nranges = 3;
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);
    assert_query(path, "SELECT time FROM tx ORDER BY id", "2000\n4000\n5000\n6000\n8000\n");
}

static void test_filter_window(void **state)
{
    const char *path = tmp_path("fwindow.db");
    struct trace_filter f;
    trace_filter_init(&f);
    f.from = 2000;
    f.to = 7000;
    f.spaces = (const char *const[]){"io", NULL};
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);
    /* inclusive window, io space only */
    assert_query(path, "SELECT time FROM tx ORDER BY id", "2000\n3000\n4000\n7000\n");
    assert_query(path, "SELECT name FROM space", "io\n");
    /* interrupt edges happen at sim_now() = 0 here: outside the window */
    assert_int_equal(query_int(path, "SELECT count(*) FROM irq"), 0);

    trace_filter_init(&f);
    f.signals = false;
    assert_int_equal(traced_run(path, &f, &err), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM irq"), 0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM tx"), 9);
}

static void test_filter_from_settings(void **state)
{
    const char *path = tmp_path("fsettings.db");
    char *names[] = {"devB", NULL};
    struct trace_range range = {0x20, 0x2f};
    struct trace_settings ts = {.file = (char *)path, .components = names,
                                .kind_mask = BUS_KIND_BIT(BUS_IO_READ), .ranges = &range,
                                .nranges = 1, .from = 0, .to = SIM_TIME_MAX, .signals = true};
    struct trace_filter f;
    trace_filter_from_settings(&f, &ts);
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);
    assert_query(path, "SELECT time FROM tx ORDER BY id", "8000\n");
}

static void test_filter_errors(void **state)
{
    const char *path = tmp_path("ferr.db");
    struct trace_filter f;
    struct cw_error err = {{0}};

    trace_filter_init(&f);
    f.components = (const char *const[]){"devA", "devZ", NULL};
    assert_int_equal(traced_run(path, &f, &err), -1);
    assert_non_null(strstr(err.msg, "'devZ'"));

    trace_filter_init(&f);
    f.from = 10;
    f.to = 5;
    assert_int_equal(traced_run(path, &f, &err), -1);
    assert_non_null(strstr(err.msg, "window"));

    trace_filter_init(&f);
    f.spaces = (const char *const[]){"pci", NULL};
    assert_int_equal(traced_run(path, &f, &err), -1);
    assert_non_null(strstr(err.msg, "'pci'"));

    trace_filter_init(&f);
    f.ranges = (const struct trace_range[]){{0x30, 0x20}};
    f.nranges = 1;
    assert_int_equal(traced_run(path, &f, &err), -1);
    assert_non_null(strstr(err.msg, "0x30-0x20"));

    /* the database of a failed attach is still a valid (empty) trace */
    assert_query(path, "PRAGMA integrity_check", "ok\n");
}

/* --- back-pressure ---------------------------------------------------------------- */

struct lock_holder {
    const char *path;
    sqlite3 *db;
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool locked;
};

/* Holds the database's write lock for 400 ms, so the writer cannot store
 * anything and the ring fills up. */
static void *hold_write_lock(void *arg)
{
    struct lock_holder *h = arg;
    sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    pthread_mutex_lock(&h->m);
    h->locked = true;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->m);
    usleep(400000);
    sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(h->db);
    return NULL;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_backpressure_never_drops(void **state)
{
    const char *path = tmp_path("pressure.db");
    struct trace_db *db = open_or_fail(path, NULL);
    struct lock_holder h = {.path = path};
    pthread_mutex_init(&h.m, NULL);
    pthread_cond_init(&h.cv, NULL);
    pthread_t t;
    pthread_create(&t, NULL, hold_write_lock, &h);
    pthread_mutex_lock(&h.m);
    while (!h.locked)
        pthread_cond_wait(&h.cv, &h.m);
    pthread_mutex_unlock(&h.m);

    const uint64_t n = 3 * TRACE_DB_RING_RECORDS + 17;
    double start = now_seconds();
    for (uint64_t i = 0; i < n; i++) {
        struct bus_tx tx = {.time = i, .addr = i, .data = i * 3, .kind = BUS_READ, .size = 4};
        trace_db_record_tx(db, 0, &tx);
    }
    double blocked = now_seconds() - start;
    /* the producer had to wait for the lock holder: the ring was full */
    assert_true(trace_db_waits(db) >= 1);
    assert_true(blocked > 0.2);
    pthread_join(t, NULL);
    close_or_fail(db, NULL, "done");
    assert_int_equal(query_int(path, "SELECT count(*) FROM tx"), n);
    assert_int_equal(query_int(path, "SELECT sum(time = addr AND data = 3 * addr) FROM tx"), n);
    pthread_mutex_destroy(&h.m);
    pthread_cond_destroy(&h.cv);
}

/* Runs trace_cli_main with stdout captured into *out (caller frees). */
static int run_cli(char **out, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;

    const char *capture = tmp_path("cli.out");
    fflush(stdout);
    int saved = dup(1);
    int fd = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
    int rc = trace_cli_main(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);

    FILE *f = fopen(capture, "r");
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    *out = strdup(buf);
    return rc;
}

/* --- SIGKILL safety ------------------------------------------------------------------ */

static void test_sigkill_leaves_valid_database(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("killed.db"));
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct trace_run_info info = {.program_version = "killed"};
        struct trace_db *db = trace_db_open(path, &info, NULL);
        if (!db)
            _exit(3);
        trace_db_record_marker(db, 5, "start", 0);
        for (uint64_t i = 0; i < 250000; i++) {
            struct bus_tx tx = {.time = 10 + i, .addr = i, .kind = BUS_FETCH, .size = 4};
            trace_db_record_tx(db, 0, &tx);
        }
        /* longer than the commit interval: all of the above is committed */
        usleep(3 * TRACE_DB_COMMIT_MS * 1000);
        for (uint64_t i = 0; i < 1000; i++) {
            struct bus_tx tx = {.time = 1000000 + i, .kind = BUS_WRITE, .size = 1};
            trace_db_record_tx(db, 0, &tx);
        }
        raise(SIGKILL);
        _exit(4);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_true(file_exists(tmp_path("killed.db-wal")));

    /* clockwork trace reads it as it is, WAL and all, without changing it */
    char *out;
    assert_int_equal(run_cli(&out, 4, "trace", "query", path,
                             "SELECT count(*) AS n FROM tx WHERE kind = 0"),
                     0);
    assert_string_equal(out, "n\n250000\n");
    free(out);

    assert_query(path, "PRAGMA integrity_check", "ok\n");
    assert_int_equal(query_int(path, "SELECT count(*) FROM tx WHERE kind = 0"), 250000);
    assert_int_equal(query_int(path, "SELECT max(time) FROM tx WHERE kind = 0"), 10 + 249999);
    /* rows of the last batch are either all there or not at all */
    long long late = query_int(path, "SELECT count(*) FROM tx WHERE kind = 2");
    assert_true(late == 0 || late == 1000 || (late > 0 && late <= 1000));
    assert_query(path, "SELECT name FROM marker", "start\n");
    assert_query(path, "SELECT program_version, stop_reason FROM run", "killed|NULL\n");
}

/* --- determinism -------------------------------------------------------------------- */

/* Every table but `run` (which holds wall-clock times), in a fixed order. */
static char *dump_contents(const char *path)
{
    static const char *const tables[] = {"meta", "component", "space", "kind", "signal",
                                         "route", "tx_block", "tx_data", "irq", "marker",
                                         "stats"};
    size_t len = 0;
    char *all = calloc(1, 1);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT '%s', * FROM %s ORDER BY 2, 3", tables[i], tables[i]);
        char *t = query_text(path, sql);
        all = realloc(all, len + strlen(t) + 1);
        memcpy(all + len, t, strlen(t) + 1);
        len += strlen(t);
        free(t);
    }
    return all;
}

static void test_determinism(void **state)
{
    struct trace_filter f;
    trace_filter_init(&f);
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(tmp_path("det1.db"), &f, &err), 0);
    usleep(1100000); /* a different wall-clock second for the second run */
    assert_int_equal(traced_run(tmp_path("det2.db"), &f, &err), 0);
    char *a = dump_contents(tmp_path("det1.db"));
    char *b = dump_contents(tmp_path("det2.db"));
    assert_true(strlen(a) > 500);
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* only the run table differs */
    assert_int_equal(query_int(tmp_path("det1.db"), "SELECT start_unix_ns FROM run") ==
                         query_int(tmp_path("det2.db"), "SELECT start_unix_ns FROM run"),
                     0);
}

/* --- CLI ------------------------------------------------------------------------------ */

static void test_cli_query(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("cli.db"));
    struct trace_filter f;
    trace_filter_init(&f);
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);

    char *out;
    assert_int_equal(run_cli(&out, 4, "trace", "query", path,
                             "SELECT time, addr, data FROM tx WHERE kind = 4 ORDER BY id"),
                     0);
    assert_string_equal(out, "time\taddr\tdata\n1000\t16\t1\n2000\t33\t65\n7000\t16\t0\n");
    free(out);

    /* several statements, NULL as an empty field, an empty result keeps its header */
    assert_int_equal(run_cli(&out, 4, "trace", "query", path,
                             "SELECT NULL AS a, 'x' AS b; SELECT 1 AS one WHERE 0;"),
                     0);
    assert_string_equal(out, "a\tb\n\tx\n\none\n");
    free(out);

    /* parameters: integers bind as integers, other text as text */
    assert_int_equal(run_cli(&out, 8, "trace", "query", path,
                             "SELECT :n + 1 AS n, typeof(:n) AS t, :name AS name", "-p", "n=41",
                             "--param", "name=kernel-entry"),
                     0);
    assert_string_equal(out, "n\tt\tname\n42\tinteger\tkernel-entry\n");
    free(out);

    assert_int_equal(run_cli(&out, 4, "trace", "query", path, "SELECT * FROM no_such_table"), 1);
    free(out);
    assert_int_equal(run_cli(&out, 4, "trace", "query", (char *)tmp_path("missing.db"), "SELECT 1"), 1);
    free(out);
    assert_false(file_exists(tmp_path("missing.db")));
    assert_int_equal(run_cli(&out, 3, "trace", "query", path), 2);
    free(out);
    assert_int_equal(run_cli(&out, 5, "trace", "query", path, "SELECT 1", "-p"), 2);
    free(out);
    assert_int_equal(run_cli(&out, 2, "trace", "frobnicate"), 2);
    free(out);
    assert_int_equal(run_cli(&out, 1, "trace"), 2);
    free(out);
    assert_int_equal(run_cli(&out, 2, "trace", "--help"), 0);
    assert_non_null(strstr(out, "summary DB"));
    free(out);
}

static void test_cli_summary(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("summary.db"));
    struct trace_filter f;
    trace_filter_init(&f);
    struct cw_error err = {{0}};
    assert_int_equal(traced_run(path, &f, &err), 0);

    char *out;
    assert_int_equal(run_cli(&out, 3, "trace", "summary", path), 0);
    if (getenv("SHOW_SUMMARY"))
        fprintf(stderr, "%s", out);
    assert_non_null(strstr(out, "stop reason     test\n"));
    assert_non_null(strstr(out, "  tx            9\n"));
    assert_non_null(strstr(out, "  io-read       4\n"));
    assert_non_null(strstr(out, "  io-write      3\n"));
    assert_non_null(strstr(out, "  devA       test-dev             0          4\n"));
    assert_non_null(strstr(out, "  start   0.000000000000 s  0.000000000000 s            0\n"));
    assert_non_null(strstr(out, "  0x0010      1       2      3\n  0x001f      1       0      1\n"));
    free(out);

    assert_int_equal(run_cli(&out, 3, "trace", "summary", tmp_path("missing.db")), 1);
    free(out);
    assert_int_equal(run_cli(&out, 4, "trace", "summary", path, "extra"), 2);
    free(out);
}

static void test_cli_summary_long_lists(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("many.db"));
    struct trace_db *db = open_or_fail(path, NULL);
    for (int i = 0; i < 70; i++) {
        char name[32];
        snprintf(name, sizeof name, "m%02d", i);
        trace_db_record_marker(db, (sim_time_t)i * 1000, name, (uint64_t)i);
    }
    close_or_fail(db, NULL, "done");
    char *out;
    assert_int_equal(run_cli(&out, 3, "trace", "summary", path), 0);
    assert_non_null(strstr(out, "  m63 "));
    assert_null(strstr(out, "  m64 "));
    assert_non_null(strstr(out, "  ... and 6 more (use `clockwork trace query`)\n"));
    free(out);
}

/* --- canned queries in traces/ ------------------------------------------------------ */

static char *read_query(const char *name)
{
    /* __FILE__ is tests/unit/test_trace_db.c relative to the repository */
    char path[512];
    const char *file = __FILE__;
    const char *cut = strstr(file, "tests/unit/");
    snprintf(path, sizeof path, "%.*straces/%s", (int)(cut ? cut - file : 0), file, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* Three phases with known traffic: 10 fetches per phase from cpu0 to
 * ram0, port 0x40 read twice in phase 1, port 0x3f8 written once in
 * phase 2, pit0.out rising every 50 ns four times. */
static void write_phased_trace(const char *path)
{
    struct trace_db *db = open_or_fail(path, NULL);
    trace_db_define_component(db, 1, "cpu0", "x86-cpu");
    trace_db_define_component(db, 2, "ram0", "ram");
    trace_db_define_component(db, 3, "pit0", "i8254");
    trace_db_define_component(db, 4, "uart0", "ns16550");
    unsigned mem = trace_db_define_space(db, "memory");
    unsigned io = trace_db_define_space(db, "io");
    struct bus_tx fetch = {.initiator = 1, .target = 2, .kind = BUS_FETCH, .size = 4,
                           .latency = 60000};
    struct bus_tx port = {.initiator = 1, .size = 1, .latency = 1000000};
    trace_db_record_tx(db, mem, &(struct bus_tx){.time = 1, .initiator = 1, .target = 2,
                                                 .kind = BUS_READ, .size = 1});
    const char *names[] = {"bios-start", "boot-sector", "kernel-entry"};
    for (int ph = 0; ph < 3; ph++) {
        sim_time_t t0 = 1000000 * (sim_time_t)(ph + 1);
        trace_db_record_marker(db, t0, names[ph], 100 * (uint64_t)ph);
        for (int i = 0; i < 10; i++) {
            fetch.time = t0 + 1000 * (sim_time_t)i;
            trace_db_record_tx(db, mem, &fetch);
        }
        if (ph == 1) {
            port.kind = BUS_IO_READ, port.addr = 0x40, port.target = 3, port.time = t0 + 500;
            trace_db_record_tx(db, io, &port);
            port.time += 100;
            port.latency = 3000000;
            trace_db_record_tx(db, io, &port);
        }
        if (ph == 2) {
            port.kind = BUS_IO_WRITE, port.addr = 0x3f8, port.target = 4, port.time = t0 + 700;
            trace_db_record_tx(db, io, &port);
        }
    }
    for (int i = 0; i < 4; i++) {
        trace_db_record_irq(db, 50000 * (sim_time_t)(i + 1), "pit0.out", 1);
        trace_db_record_irq(db, 50000 * (sim_time_t)(i + 1) + 10, "pit0.out", 0);
    }
    close_or_fail(db, NULL, "done");
}

static void assert_canned(const char *db, const char *file, const char *expected, ...)
{
    char *sql = read_query(file);
    char *argv_p[8];
    int extra = 0;
    va_list ap;
    va_start(ap, expected);
    for (const char *p; extra < 4 && (p = va_arg(ap, const char *));)
        argv_p[extra++] = (char *)p;
    va_end(ap);
    char *out = NULL;
    int rc;
    if (extra == 0)
        rc = run_cli(&out, 4, "trace", "query", db, sql);
    else if (extra == 2)
        rc = run_cli(&out, 6, "trace", "query", db, sql, argv_p[0], argv_p[1]);
    else
        rc = run_cli(&out, 8, "trace", "query", db, sql, argv_p[0], argv_p[1], argv_p[2],
                     argv_p[3]);
    assert_int_equal(rc, 0);
    assert_string_equal(out, expected);
    free(out);
    free(sql);
}

static void test_canned_queries(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("canned.db"));
    write_phased_trace(path);

    assert_canned(path, "busiest-io-ports.sql",
                  "port\tdevice\treads\twrites\ttotal\tmean_latency_ns\n"
                  "0x0040\tpit0\t2\t0\t2\t2000.0\n"
                  "0x03f8\tuart0\t0\t1\t1\t3000.0\n",
                  NULL);
    assert_canned(path, "busiest-io-ports.sql",
                  "port\tdevice\treads\twrites\ttotal\tmean_latency_ns\n"
                  "0x0040\tpit0\t2\t0\t2\t2000.0\n",
                  "-p", "limit=1", NULL);
    assert_canned(path, "tx-per-component-per-phase.sql",
                  "phase\tcomponent\tas_initiator\tas_target\n"
                  "(before first marker)\tcpu0\t1\t0\n"
                  "(before first marker)\tram0\t0\t1\n"
                  "bios-start\tcpu0\t10\t0\n"
                  "bios-start\tram0\t0\t10\n"
                  "boot-sector\tcpu0\t12\t0\n"
                  "boot-sector\tram0\t0\t10\n"
                  "boot-sector\tpit0\t0\t2\n"
                  "kernel-entry\tcpu0\t11\t0\n"
                  "kernel-entry\tram0\t0\t10\n"
                  "kernel-entry\tuart0\t0\t1\n",
                  NULL);
    assert_canned(path, "interrupt-rates.sql",
                  "signal\towner\trising_edges\tfirst_ps\tlast_ps\tper_second\t"
                  "mean_interval_ps\n"
                  "pit0.out\t\t4\t50000\t200000\t20000000.0\t50000\n",
                  NULL);
    assert_canned(path, "time-between-markers.sql",
                  "from_marker\tto_marker\tfrom_ps\tto_ps\tduration_ps\tduration_ms\tinsns\t"
                  "transactions\n"
                  "bios-start\tkernel-entry\t1000000\t3000000\t2000000\t0.002000\t200\t22\n",
                  NULL);
    assert_canned(path, "time-between-markers.sql",
                  "from_marker\tto_marker\tfrom_ps\tto_ps\tduration_ps\tduration_ms\tinsns\t"
                  "transactions\n"
                  "boot-sector\tkernel-entry\t2000000\t3000000\t1000000\t0.001000\t100\t12\n",
                  "-p", "from=boot-sector", "-p", "to=kernel-entry", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_open_replaces_and_reports_errors),
        cmocka_unit_test(test_roundtrip_exact),
        cmocka_unit_test(test_markers_phases_irq),
        cmocka_unit_test(test_attach_everything),
        cmocka_unit_test(test_filter_components),
        cmocka_unit_test(test_filter_kinds),
        cmocka_unit_test(test_filter_ranges),
        cmocka_unit_test(test_filter_window),
        cmocka_unit_test(test_filter_from_settings),
        cmocka_unit_test(test_filter_errors),
        cmocka_unit_test(test_backpressure_never_drops),
        cmocka_unit_test(test_sigkill_leaves_valid_database),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_cli_query),
        cmocka_unit_test(test_cli_summary),
        cmocka_unit_test(test_cli_summary_long_lists),
        cmocka_unit_test(test_canned_queries),
    };
    return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
