/* trace_db.c: the SQLite trace sink: schema, capture filters, the bounded
 * ring between the simulation and the writer thread, and the writer.
 *
 * Layout on disk (docs/trace-schema.md has the full story). A transaction
 * row must stay small (target: 24 bytes on disk), so the `tx` table users
 * query is a view over three tables:
 *   tx_data  (rowid, dt, route, addr, data)  one row per transaction
 *   tx_block (id, base)   the time of the first row of each block of 64;
 *                         a row's time is base + dt of its block
 *                         (rowid >> 6), so dt needs 2-3 bytes instead of 6
 *   route    (id, initiator, target, space, kind, size, latency)  the few
 *                         distinct combinations, so a row stores one small
 *                         number (a region's latencies take a handful of
 *                         values: fixed, or DRAM hit/miss/conflict)
 * The view joins them back into (time, initiator, target, space, kind,
 * addr, size, data, latency) at about the cost of a plain table scan. */
#include "trace_db.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../kernel/component.h"
#include "../kernel/signal.h"
#include "../kernel/sim.h"

#define TRACE_RING_MASK (TRACE_DB_RING_RECORDS - 1)
/* The writer takes at most this many records between ring updates. */
#define TRACE_WRITER_CHUNK 4096u
/* Transaction rows per multi-row INSERT, and columns of tx_data. */
#define TRACE_TX_PER_INSERT 64u
#define TRACE_TX_COLUMNS 4u
/* The producer pokes a sleeping writer every this many records. */
#define TRACE_KICK_EVERY 4096u

enum trace_rec_type {
    TRACE_REC_TX = 1,
    TRACE_REC_IRQ,
    TRACE_REC_MARKER,
    TRACE_REC_SIGNAL,    /* defines a signal id */
    TRACE_REC_COMPONENT, /* defines a component id */
    TRACE_REC_SPACE,     /* defines a space id */
};

/* One fixed-size entry of the ring (40 bytes). Text is heap-allocated by
 * the producer and freed by the writer. */
struct trace_rec {
    uint8_t type;   /* enum trace_rec_type */
    uint8_t kind;   /* tx: enum bus_kind */
    uint8_t size;   /* tx: bytes */
    uint8_t space;  /* tx: space id */
    uint16_t initiator, target;
    sim_time_t time;
    union {
        struct {
            uint64_t addr, data, latency;
        } tx;
        struct {
            uint32_t signal;
            int32_t level;
        } irq;
        struct {
            char *text;   /* marker name, or "name\0type" for components */
            uint64_t id;  /* defined id; marker: unused */
            uint64_t insns;
        } named;
    } u;
};

/* Per observed address space: what the observer callback needs. */
struct trace_space {
    struct trace_db *db;
    struct addr_space *as;
    unsigned id;
    struct bus_observer **observers;
    size_t nobservers;
    struct trace_space *next;
};

/* Signal pointer -> id, interned on the first edge (simulation thread). */
struct trace_signal_map {
    const struct signal **keys;
    uint32_t *ids;
    size_t cap, count;
};

/* Signal name -> id for trace_db_record_irq. */
struct trace_named_ids {
    char **names;
    uint32_t *ids;
    size_t count, cap;
};

/* A distinct (initiator, target, space, kind, size, latency): `fields`
 * packs all but the latency and has bit 63 set (0 marks an empty slot). */
struct trace_route_key {
    uint64_t fields;
    sim_time_t latency;
};

/* Route key -> route id (writer thread). */
struct trace_route_map {
    struct trace_route_key *keys;
    uint32_t *ids;
    size_t cap, count;
};

struct trace_db {
    sqlite3 *sql;
    char *path;
    struct trace_run_info info;
    char *machine_yaml, *config_yaml, *command_line, *program_version;
    uint64_t start_wall_ns;

    /* ring: head written by the simulation, tail by the writer, each on
     * its own cache line so the two threads do not fight over one */
    struct trace_rec *ring;
    _Alignas(64) _Atomic uint64_t head;
    uint64_t head_local;   /* producer's copy of head */
    uint64_t tail_cached;  /* producer's last look at tail */
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) _Atomic int producer_waiting;
    _Atomic int writer_sleeping;
    pthread_mutex_t lock;
    pthread_cond_t data_cv;   /* writer waits for records */
    pthread_cond_t space_cv;  /* producer waits for room */
    bool closing;             /* under lock */
    pthread_t writer;
    bool writer_started;

    /* writer state */
    sqlite3_stmt *st_tx, *st_tx_many, *st_block, *st_route, *st_irq, *st_marker, *st_signal,
        *st_component, *st_space;
    struct trace_route_map routes;
    sqlite3_int64 pending[TRACE_TX_PER_INSERT][TRACE_TX_COLUMNS]; /* tx rows not inserted yet */
    unsigned npending;
    uint64_t next_tx_id;
    sim_time_t block_base;
    bool in_txn;
    uint64_t rows_in_txn;
    uint64_t txn_deadline_ns;
    char writer_error[512];  /* first SQLite failure, reported at close */

    /* capture filters (simulation thread) */
    struct sim *sim;
    bool attached;
    uint8_t *component_bits;  /* NULL = every component */
    sim_time_t from, to;
    uint32_t kind_mask;
    struct trace_range *ranges;
    size_t nranges;
    bool signals;
    struct trace_space *spaces;
    unsigned next_space_id;
    struct trace_signal_map signal_ids;
    struct trace_named_ids direct_signals;
    uint32_t next_signal_id;

    /* counters (simulation thread) */
    uint64_t tx_rows, irq_rows, marker_rows, waits;
    sim_time_t last_time;
};

/* --- small helpers ----------------------------------------------------- */

static uint64_t trace_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t trace_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void trace_format_wall(uint64_t wall_ns, char *buf, size_t len)
{
    time_t secs = (time_t)(wall_ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *trace_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void trace_abstime_after_ms(struct timespec *ts, uint64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    uint64_t ns = (uint64_t)ts->tv_nsec + ms * 1000000ull;
    ts->tv_sec += (time_t)(ns / 1000000000ull);
    ts->tv_nsec = (long)(ns % 1000000000ull);
}

/* --- schema -------------------------------------------------------------- */

static const char trace_schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;\n"
    "CREATE TABLE run(id INTEGER PRIMARY KEY CHECK (id = 1), program_version TEXT,\n"
    "  command_line TEXT, machine_yaml TEXT, config_yaml TEXT, start_wall TEXT,\n"
    "  start_unix_ns INTEGER, end_wall TEXT, wall_seconds REAL, end_time INTEGER,\n"
    "  end_insns INTEGER, stop_reason TEXT);\n"
    "CREATE TABLE component(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT);\n"
    "CREATE TABLE space(id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE TABLE kind(id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE TABLE signal(id INTEGER PRIMARY KEY, name TEXT NOT NULL, owner INTEGER);\n"
    "CREATE TABLE route(id INTEGER PRIMARY KEY, initiator INTEGER, target INTEGER,\n"
    "  space INTEGER, kind INTEGER, size INTEGER, latency INTEGER);\n"
    "CREATE TABLE tx_block(id INTEGER PRIMARY KEY, base INTEGER NOT NULL);\n"
    "CREATE TABLE tx_data(dt INTEGER, route INTEGER, addr INTEGER, data INTEGER);\n"
    "CREATE TABLE irq(id INTEGER PRIMARY KEY, time INTEGER, signal INTEGER, level INTEGER);\n"
    "CREATE TABLE marker(id INTEGER PRIMARY KEY, time INTEGER, name TEXT, insns INTEGER);\n"
    "CREATE TABLE stats(component INTEGER, name TEXT, value INTEGER);\n"
    "CREATE VIEW tx AS SELECT d.rowid AS id, b.base + d.dt AS time,\n"
    "  r.initiator AS initiator, r.target AS target, r.space AS space, r.kind AS kind,\n"
    "  d.addr AS addr, r.size AS size, d.data AS data, r.latency AS latency\n"
    "  FROM tx_data d JOIN tx_block b ON b.id = d.rowid >> 6 JOIN route r ON r.id = d.route;\n"
    "CREATE VIEW phase AS SELECT id, name, time AS start,\n"
    "  coalesce(lead(time) OVER w, (SELECT end_time FROM run)) AS end,\n"
    "  coalesce(lead(time) OVER w, (SELECT end_time FROM run)) - time AS duration,\n"
    "  coalesce(lead(insns) OVER w, (SELECT end_insns FROM run)) - insns AS insns\n"
    "  FROM marker WINDOW w AS (ORDER BY time, id);\n";

/* Built when the run ends, so inserts never pay for them. */
static const char trace_index_sql[] =
    "CREATE INDEX irq_time ON irq(time);\n"
    "CREATE INDEX marker_time ON marker(time);\n"
    "CREATE INDEX tx_block_base ON tx_block(base);\n"
    "CREATE INDEX stats_component ON stats(component);\n";

static const char trace_index_tx_sql[] =
    "CREATE INDEX tx_data_addr ON tx_data(addr);\n"
    "CREATE INDEX tx_data_route ON tx_data(route);\n";

static int trace_sql_fail(struct trace_db *db, struct cw_error *err, const char *what)
{
    return cw_errorf(err, "trace database %s: %s: %s", db->path, what, sqlite3_errmsg(db->sql));
}

static int trace_exec(struct trace_db *db, const char *sql, struct cw_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    cw_errorf(err, "trace database %s: %s", db->path, msg ? msg : sqlite3_errmsg(db->sql));
    sqlite3_free(msg);
    return -1;
}

static int trace_prepare(struct trace_db *db, const char *sql, sqlite3_stmt **st,
                         struct cw_error *err)
{
    if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return trace_sql_fail(db, err, "prepare");
    return 0;
}

static int trace_create_schema(struct trace_db *db, struct cw_error *err)
{
    if (trace_exec(db, "BEGIN", err) || trace_exec(db, trace_schema_sql, err))
        return -1;
    char sql[160];
    snprintf(sql, sizeof sql,
             "PRAGMA user_version = %d; INSERT INTO meta VALUES('schema_version', '%d'),"
             "('tx_block_shift', '%d'), ('time_unit', 'ps');",
             TRACE_DB_SCHEMA_VERSION, TRACE_DB_SCHEMA_VERSION, TRACE_DB_BLOCK_SHIFT);
    if (trace_exec(db, sql, err))
        return -1;

    sqlite3_stmt *st;
    if (trace_prepare(db, "INSERT INTO kind VALUES(?, ?)", &st, err))
        return -1;
    for (int k = 0; k < BUS_KIND_COUNT; k++) {
        sqlite3_bind_int(st, 1, k);
        sqlite3_bind_text(st, 2, bus_kind_name((enum bus_kind)k), -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);

    char wall[40];
    trace_format_wall(db->start_wall_ns, wall, sizeof wall);
    if (trace_prepare(db,
                      "INSERT INTO run(id, program_version, command_line, machine_yaml, "
                      "config_yaml, start_wall, start_unix_ns) VALUES(1, ?, ?, ?, ?, ?, ?)",
                      &st, err))
        return -1;
    sqlite3_bind_text(st, 1, db->program_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, db->command_line, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, db->machine_yaml, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, db->config_yaml, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, wall, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)db->start_wall_ns);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return trace_sql_fail(db, err, "writing the run row");
    return trace_exec(db, "COMMIT", err);
}

static int trace_prepare_all(struct trace_db *db, struct cw_error *err)
{
    char many[64 + TRACE_TX_PER_INSERT * 24] = "INSERT INTO tx_data VALUES(?, ?, ?, ?)";
    for (unsigned i = 1; i < TRACE_TX_PER_INSERT; i++)
        strcat(many, ", (?, ?, ?, ?)");
    return trace_prepare(db, many, &db->st_tx_many, err) ||
           trace_prepare(db, "INSERT INTO tx_data VALUES(?, ?, ?, ?)", &db->st_tx, err) ||
           trace_prepare(db, "INSERT INTO tx_block VALUES(?, ?)", &db->st_block, err) ||
           trace_prepare(db, "INSERT INTO route VALUES(?, ?, ?, ?, ?, ?, ?)", &db->st_route, err) ||
           trace_prepare(db, "INSERT INTO irq(time, signal, level) VALUES(?, ?, ?)",
                         &db->st_irq, err) ||
           trace_prepare(db, "INSERT INTO marker(time, name, insns) VALUES(?, ?, ?)",
                         &db->st_marker, err) ||
           trace_prepare(db, "INSERT OR REPLACE INTO signal VALUES(?, ?, ?)", &db->st_signal,
                         err) ||
           trace_prepare(db, "INSERT OR REPLACE INTO component VALUES(?, ?, ?)",
                         &db->st_component, err) ||
           trace_prepare(db, "INSERT OR REPLACE INTO space VALUES(?, ?)", &db->st_space, err)
               ? -1
               : 0;
}

/* --- writer thread ------------------------------------------------------ */

static void trace_writer_fail(struct trace_db *db, const char *what)
{
    if (db->writer_error[0])
        return;
    snprintf(db->writer_error, sizeof db->writer_error, "trace database %s: %s: %s", db->path,
             what, sqlite3_errmsg(db->sql));
}

/* Runs a prepared insert and resets it; remembers the first failure. */
static void trace_step(struct trace_db *db, sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        trace_writer_fail(db, what);
    sqlite3_reset(st);
}

static void trace_writer_exec(struct trace_db *db, const char *sql)
{
    if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
        trace_writer_fail(db, sql);
}

static void trace_writer_begin(struct trace_db *db)
{
    if (db->in_txn)
        return;
    trace_writer_exec(db, "BEGIN IMMEDIATE");
    db->in_txn = true;
    db->rows_in_txn = 0;
    db->txn_deadline_ns = trace_mono_ns() + TRACE_DB_COMMIT_MS * 1000000ull;
}

static void trace_writer_commit(struct trace_db *db)
{
    if (!db->in_txn)
        return;
    trace_writer_exec(db, "COMMIT");
    db->in_txn = false;
}

static struct trace_route_key trace_route_key(const struct trace_rec *r)
{
    return (struct trace_route_key){
        .fields = 1ull << 63 | (uint64_t)r->size << 48 | (uint64_t)r->kind << 40 |
                  (uint64_t)r->space << 32 | (uint64_t)r->target << 16 | r->initiator,
        .latency = r->u.tx.latency,
    };
}

static size_t trace_hash64(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (size_t)k & mask;
}

static size_t trace_route_hash(struct trace_route_key k, size_t mask)
{
    return trace_hash64(k.fields ^ (k.latency * 0x9e3779b97f4a7c15ull), mask);
}

static void trace_route_grow(struct trace_route_map *m)
{
    struct trace_route_map n = {.cap = m->cap ? m->cap * 2 : 64, .count = m->count};
    n.keys = calloc(n.cap, sizeof *n.keys);
    n.ids = calloc(n.cap, sizeof *n.ids);
    if (!n.keys || !n.ids)
        abort();
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i].fields)
            continue;
        size_t j = trace_route_hash(m->keys[i], n.cap - 1);
        while (n.keys[j].fields)
            j = (j + 1) & (n.cap - 1);
        n.keys[j] = m->keys[i];
        n.ids[j] = m->ids[i];
    }
    free(m->keys);
    free(m->ids);
    *m = n;
}

/* Finds or creates the route id of r. Route ids are given in order of
 * first appearance, so they are the same in every run of the same config. */
static uint32_t trace_route_get(struct trace_db *db, const struct trace_rec *r)
{
    struct trace_route_map *m = &db->routes;
    struct trace_route_key key = trace_route_key(r);
    if (2 * (m->count + 1) > m->cap)
        trace_route_grow(m);
    size_t i = trace_route_hash(key, m->cap - 1);
    while (m->keys[i].fields) {
        if (m->keys[i].fields == key.fields && m->keys[i].latency == key.latency)
            return m->ids[i];
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    uint32_t id = m->ids[i] = (uint32_t)++m->count;

    sqlite3_stmt *st = db->st_route;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, r->initiator);
    sqlite3_bind_int(st, 3, r->target);
    sqlite3_bind_int(st, 4, r->space);
    sqlite3_bind_int(st, 5, r->kind);
    sqlite3_bind_int(st, 6, r->size);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)key.latency);
    trace_step(db, st, "inserting a route");
    return id;
}

/* Inserts the buffered transaction rows: a full buffer with one statement
 * of TRACE_TX_PER_INSERT rows (SQLite's per-statement cost dominates a
 * one-row insert), a partial one row by row. */
static void trace_flush_tx(struct trace_db *db)
{
    if (db->npending == TRACE_TX_PER_INSERT) {
        sqlite3_stmt *st = db->st_tx_many;
        for (unsigned i = 0; i < TRACE_TX_PER_INSERT; i++)
            for (unsigned c = 0; c < TRACE_TX_COLUMNS; c++)
                sqlite3_bind_int64(st, (int)(i * TRACE_TX_COLUMNS + c + 1), db->pending[i][c]);
        trace_step(db, st, "inserting transactions");
        db->npending = 0;
        return;
    }
    for (unsigned i = 0; i < db->npending; i++) {
        for (unsigned c = 0; c < TRACE_TX_COLUMNS; c++)
            sqlite3_bind_int64(db->st_tx, (int)(c + 1), db->pending[i][c]);
        trace_step(db, db->st_tx, "inserting a transaction");
    }
    db->npending = 0;
}

static void trace_store_tx(struct trace_db *db, const struct trace_rec *r)
{
    /* SQLite gives rowids 1, 2, ... itself (the fast append path); the
     * writer counts along to know where blocks start. */
    uint64_t id = ++db->next_tx_id;
    if ((id & ((1u << TRACE_DB_BLOCK_SHIFT) - 1)) == 0 || id == 1) {
        db->block_base = r->time;
        sqlite3_bind_int64(db->st_block, 1, (sqlite3_int64)(id >> TRACE_DB_BLOCK_SHIFT));
        sqlite3_bind_int64(db->st_block, 2, (sqlite3_int64)r->time);
        trace_step(db, db->st_block, "inserting a time block");
    }
    uint32_t route = trace_route_get(db, r);
    sqlite3_int64 *row = db->pending[db->npending++];
    row[0] = (sqlite3_int64)(r->time - db->block_base);
    row[1] = route;
    row[2] = (sqlite3_int64)r->u.tx.addr;
    row[3] = (sqlite3_int64)r->u.tx.data;
    if (db->npending == TRACE_TX_PER_INSERT)
        trace_flush_tx(db);
}

static void trace_store_named(struct trace_db *db, sqlite3_stmt *st, const struct trace_rec *r)
{
    const char *text = r->u.named.text ? r->u.named.text : "";
    sqlite3_bind_int64(st, 1, (sqlite3_int64)r->u.named.id);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    if (r->type == TRACE_REC_COMPONENT)
        sqlite3_bind_text(st, 3, text + strlen(text) + 1, -1, SQLITE_STATIC);
    else if (r->type == TRACE_REC_SIGNAL)
        sqlite3_bind_int64(st, 3, (sqlite3_int64)r->u.named.insns); /* owner id */
    trace_step(db, st, "inserting a name");
}

static void trace_store(struct trace_db *db, struct trace_rec *r)
{
    switch (r->type) {
    case TRACE_REC_TX:
        trace_store_tx(db, r);
        return;
    case TRACE_REC_IRQ:
        sqlite3_bind_int64(db->st_irq, 1, (sqlite3_int64)r->time);
        sqlite3_bind_int64(db->st_irq, 2, r->u.irq.signal);
        sqlite3_bind_int(db->st_irq, 3, r->u.irq.level);
        trace_step(db, db->st_irq, "inserting an interrupt edge");
        return;
    case TRACE_REC_MARKER:
        sqlite3_bind_int64(db->st_marker, 1, (sqlite3_int64)r->time);
        sqlite3_bind_text(db->st_marker, 2, r->u.named.text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(db->st_marker, 3, (sqlite3_int64)r->u.named.insns);
        trace_step(db, db->st_marker, "inserting a marker");
        break;
    case TRACE_REC_SIGNAL:
        trace_store_named(db, db->st_signal, r);
        break;
    case TRACE_REC_COMPONENT:
        trace_store_named(db, db->st_component, r);
        break;
    case TRACE_REC_SPACE:
        trace_store_named(db, db->st_space, r);
        break;
    }
    free(r->u.named.text);
}

static void trace_writer_wake_producer(struct trace_db *db)
{
    if (!atomic_load(&db->producer_waiting))
        return;
    pthread_mutex_lock(&db->lock);
    pthread_cond_signal(&db->space_cv);
    pthread_mutex_unlock(&db->lock);
}

/* Sleeps until records arrive, the commit deadline passes or close is
 * asked. Returns false when the writer should stop (closing and empty). */
static bool trace_writer_wait(struct trace_db *db, uint64_t tail)
{
    bool keep_going = true;
    pthread_mutex_lock(&db->lock);
    atomic_store(&db->writer_sleeping, 1);
    if (atomic_load(&db->head) == tail) {
        if (db->closing) {
            keep_going = false;
        } else {
            struct timespec until;
            trace_abstime_after_ms(&until, TRACE_DB_COMMIT_MS);
            pthread_cond_timedwait(&db->data_cv, &db->lock, &until);
        }
    }
    atomic_store(&db->writer_sleeping, 0);
    pthread_mutex_unlock(&db->lock);
    return keep_going;
}

static void *trace_writer_main(void *arg)
{
    struct trace_db *db = arg;
    uint64_t tail = atomic_load(&db->tail);
    for (;;) {
        uint64_t head = atomic_load_explicit(&db->head, memory_order_acquire);
        if (head == tail) {
            /* Idle: make what we have durable before sleeping. */
            trace_writer_commit(db);
            if (!trace_writer_wait(db, tail))
                break;
            continue;
        }
        uint64_t n = head - tail;
        if (n > TRACE_WRITER_CHUNK)
            n = TRACE_WRITER_CHUNK;
        trace_writer_begin(db);
        for (uint64_t i = 0; i < n; i++)
            trace_store(db, &db->ring[(tail + i) & TRACE_RING_MASK]);
        trace_flush_tx(db);
        tail += n;
        atomic_store_explicit(&db->tail, tail, memory_order_release);
        trace_writer_wake_producer(db);
        db->rows_in_txn += n;
        if (db->rows_in_txn >= TRACE_DB_COMMIT_ROWS || trace_mono_ns() >= db->txn_deadline_ns)
            trace_writer_commit(db);
    }
    trace_writer_commit(db);
    return NULL;
}

/* --- producer side (simulation thread) ------------------------------------ */

/* The ring is full: wake the writer and wait until it is at most half full,
 * so the two threads do not hand over one record at a time. */
static void trace_ring_wait_space(struct trace_db *db)
{
    db->waits++;
    pthread_mutex_lock(&db->lock);
    atomic_store(&db->producer_waiting, 1);
    pthread_cond_signal(&db->data_cv);
    while (db->head_local - atomic_load(&db->tail) > TRACE_DB_RING_RECORDS / 2)
        pthread_cond_wait(&db->space_cv, &db->lock);
    atomic_store(&db->producer_waiting, 0);
    pthread_mutex_unlock(&db->lock);
    db->tail_cached = atomic_load(&db->tail);
}

static void trace_ring_kick_writer(struct trace_db *db)
{
    if (!atomic_load_explicit(&db->writer_sleeping, memory_order_relaxed))
        return;
    pthread_mutex_lock(&db->lock);
    pthread_cond_signal(&db->data_cv);
    pthread_mutex_unlock(&db->lock);
}

static void trace_ring_push(struct trace_db *db, const struct trace_rec *r)
{
    uint64_t h = db->head_local;
    if (h - db->tail_cached >= TRACE_DB_RING_RECORDS) {
        db->tail_cached = atomic_load_explicit(&db->tail, memory_order_acquire);
        if (h - db->tail_cached >= TRACE_DB_RING_RECORDS)
            trace_ring_wait_space(db);
    }
    db->ring[h & TRACE_RING_MASK] = *r;
    db->head_local = h + 1;
    atomic_store_explicit(&db->head, h + 1, memory_order_release);
    if (((h + 1) & (TRACE_KICK_EVERY - 1)) == 0)
        trace_ring_kick_writer(db);
}

static void trace_push_named(struct trace_db *db, enum trace_rec_type type, uint64_t id,
                             char *text, sim_time_t time, uint64_t extra)
{
    struct trace_rec r = {.type = (uint8_t)type, .time = time};
    r.u.named.text = text;
    r.u.named.id = id;
    r.u.named.insns = extra;
    trace_ring_push(db, &r);
}

void trace_db_record_tx(struct trace_db *db, unsigned space, const struct bus_tx *tx)
{
    struct trace_rec r = {
        .type = TRACE_REC_TX,
        .kind = tx->kind,
        .size = tx->size,
        .space = (uint8_t)space,
        .initiator = tx->initiator,
        .target = tx->target,
        .time = tx->time,
    };
    r.u.tx.addr = tx->addr;
    r.u.tx.data = tx->data;
    r.u.tx.latency = tx->latency;
    trace_ring_push(db, &r);
    db->tx_rows++;
    if (tx->time > db->last_time)
        db->last_time = tx->time;
}

static void trace_signal_map_grow(struct trace_signal_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    const struct signal **keys = calloc(cap, sizeof *keys);
    uint32_t *ids = calloc(cap, sizeof *ids);
    if (!keys || !ids)
        abort();
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = trace_hash64((uint64_t)(uintptr_t)m->keys[i], cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        ids[j] = m->ids[i];
    }
    free(m->keys);
    free(m->ids);
    m->keys = keys;
    m->ids = ids;
    m->cap = cap;
}

/* Signal ids follow the order of first edges (deterministic per config). */
static uint32_t trace_signal_id(struct trace_db *db, const struct signal *s, const char *name)
{
    struct trace_signal_map *m = &db->signal_ids;
    if (2 * (m->count + 1) > m->cap)
        trace_signal_map_grow(m);
    size_t i = trace_hash64((uint64_t)(uintptr_t)s, m->cap - 1);
    while (m->keys[i]) {
        if (m->keys[i] == s)
            return m->ids[i];
        i = (i + 1) & (m->cap - 1);
    }
    uint32_t id = ++db->next_signal_id;
    m->count++;
    m->keys[i] = s;
    m->ids[i] = id;
    trace_push_named(db, TRACE_REC_SIGNAL, id, trace_strdup(name), 0, s ? s->owner_id : 0);
    return id;
}

static void trace_push_irq(struct trace_db *db, uint32_t signal, sim_time_t time, int level)
{
    struct trace_rec r = {.type = TRACE_REC_IRQ, .time = time};
    r.u.irq.signal = signal;
    r.u.irq.level = level;
    trace_ring_push(db, &r);
    db->irq_rows++;
    if (time > db->last_time)
        db->last_time = time;
}

/* Direct use names signals by text; a linear search is fine there (tests
 * and tools, where signals are few). */
void trace_db_record_irq(struct trace_db *db, sim_time_t time, const char *signal, int level)
{
    struct trace_named_ids *m = &db->direct_signals;
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->names[i], signal) == 0) {
            trace_push_irq(db, m->ids[i], time, level);
            return;
        }
    }
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->names = realloc(m->names, m->cap * sizeof *m->names);
        m->ids = realloc(m->ids, m->cap * sizeof *m->ids);
        if (!m->names || !m->ids)
            abort();
    }
    uint32_t id = ++db->next_signal_id;
    m->names[m->count] = trace_strdup(signal);
    m->ids[m->count++] = id;
    trace_push_named(db, TRACE_REC_SIGNAL, id, trace_strdup(signal), 0, 0);
    trace_push_irq(db, id, time, level);
}

void trace_db_record_marker(struct trace_db *db, sim_time_t time, const char *name,
                            uint64_t insns)
{
    trace_push_named(db, TRACE_REC_MARKER, 0, trace_strdup(name ? name : ""), time, insns);
    db->marker_rows++;
    if (time > db->last_time)
        db->last_time = time;
}

void trace_db_define_component(struct trace_db *db, unsigned id, const char *name,
                               const char *type)
{
    size_t nlen = strlen(name), tlen = type ? strlen(type) : 0;
    char *text = malloc(nlen + tlen + 2);
    if (!text)
        abort();
    memcpy(text, name, nlen + 1);
    memcpy(text + nlen + 1, type ? type : "", tlen + 1);
    trace_push_named(db, TRACE_REC_COMPONENT, id, text, 0, 0);
}

unsigned trace_db_define_space(struct trace_db *db, const char *name)
{
    unsigned id = ++db->next_space_id;
    trace_push_named(db, TRACE_REC_SPACE, id, trace_strdup(name), 0, 0);
    return id;
}

uint64_t trace_db_rows(const struct trace_db *db)
{
    return db->tx_rows;
}

uint64_t trace_db_irq_rows(const struct trace_db *db)
{
    return db->irq_rows;
}

uint64_t trace_db_marker_rows(const struct trace_db *db)
{
    return db->marker_rows;
}

uint64_t trace_db_waits(const struct trace_db *db)
{
    return db->waits;
}

/* --- open -------------------------------------------------------------- */

/* Replaces whatever is at path, including a previous run's WAL files,
 * which SQLite would otherwise try to replay into the new database. */
static int trace_remove_old(const char *path, struct cw_error *err)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char buf[4096];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if ((size_t)snprintf(buf, sizeof buf, "%s%s", path, suffixes[i]) >= sizeof buf)
            return cw_errorf(err, "trace database path too long: %s", path);
        if (unlink(buf) != 0 && errno != ENOENT)
            return cw_errorf(err, "trace database %s: cannot replace %s: %s", path, buf,
                             strerror(errno));
    }
    return 0;
}

static void trace_db_free(struct trace_db *db)
{
    sqlite3_stmt *all[] = {db->st_tx, db->st_tx_many, db->st_block,  db->st_route,     db->st_irq,
                           db->st_marker, db->st_signal, db->st_component, db->st_space};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    if (db->sql)
        sqlite3_close(db->sql);
    for (struct trace_space *s = db->spaces; s;) {
        struct trace_space *next = s->next;
        free(s->observers);
        free(s);
        s = next;
    }
    for (size_t i = 0; i < db->direct_signals.count; i++)
        free(db->direct_signals.names[i]);
    free(db->direct_signals.names);
    free(db->direct_signals.ids);
    free(db->signal_ids.keys);
    free(db->signal_ids.ids);
    free(db->routes.keys);
    free(db->routes.ids);
    free(db->component_bits);
    free(db->ranges);
    free(db->ring);
    free(db->path);
    free(db->machine_yaml);
    free(db->config_yaml);
    free(db->command_line);
    free(db->program_version);
    pthread_mutex_destroy(&db->lock);
    pthread_cond_destroy(&db->data_cv);
    pthread_cond_destroy(&db->space_cv);
    free(db);
}

static int trace_open_sqlite(struct trace_db *db, struct cw_error *err)
{
    /* NOMUTEX: the connection is used by one thread at a time (the writer,
     * then the closing thread after the join), so SQLite's locks are waste. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(db->path, &db->sql, flags, NULL) != SQLITE_OK)
        return cw_errorf(err, "cannot create trace database %s: %s", db->path,
                         db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
    /* Another writer (someone's ad-hoc query) delays the writer, never
     * makes it lose rows. */
    sqlite3_busy_timeout(db->sql, 60000);
    /* WAL: a reader (or a crash) never sees half a batch; NORMAL sync: a
     * killed process loses nothing committed, only a host crash could.
     * Checkpointing every 64 MiB of WAL copies the partly filled last pages
     * of each table once per checkpoint rather than once per commit, and
     * bounds the WAL file. 16 KiB pages: fewer page splits and writes. */
    return trace_exec(db,
                      "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;"
                      "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;"
                      "PRAGMA wal_autocheckpoint = 4096; PRAGMA temp_store = MEMORY;",
                      err);
}

struct trace_db *trace_db_open(const char *path, const struct trace_run_info *info,
                               struct cw_error *err)
{
    if (!path || !*path) {
        cw_errorf(err, "trace database: no file name given");
        return NULL;
    }
    if (trace_remove_old(path, err))
        return NULL;
    /* The struct keeps the ring's indexes on separate cache lines. */
    void *mem = NULL;
    if (posix_memalign(&mem, 64, sizeof(struct trace_db)) != 0)
        abort();
    struct trace_db *db = memset(mem, 0, sizeof *db);
    pthread_mutex_init(&db->lock, NULL);
    pthread_cond_init(&db->data_cv, NULL);
    pthread_cond_init(&db->space_cv, NULL);
    db->path = strdup(path);
    db->ring = malloc(TRACE_DB_RING_RECORDS * sizeof *db->ring);
    if (!db->path || !db->ring)
        abort();
    if (info) {
        db->info = *info;
        db->program_version = trace_strdup(info->program_version);
        db->command_line = trace_strdup(info->command_line);
        db->machine_yaml = trace_strdup(info->machine_yaml);
        db->config_yaml = trace_strdup(info->config_yaml);
    }
    db->info.program_version = db->program_version;
    db->info.command_line = db->command_line;
    db->info.machine_yaml = db->machine_yaml;
    db->info.config_yaml = db->config_yaml;
    db->start_wall_ns = trace_wall_ns();
    db->from = 0;
    db->to = SIM_TIME_MAX;
    db->kind_mask = BUS_KIND_ALL;
    db->signals = true;

    if (trace_open_sqlite(db, err) || trace_create_schema(db, err) ||
        trace_prepare_all(db, err)) {
        trace_db_free(db);
        unlink(path);
        return NULL;
    }
    if (pthread_create(&db->writer, NULL, trace_writer_main, db) != 0) {
        cw_errorf(err, "trace database %s: cannot start the writer thread", path);
        trace_db_free(db);
        unlink(path);
        return NULL;
    }
    db->writer_started = true;
    return db;
}

/* --- filters and attach ----------------------------------------------------- */

void trace_filter_init(struct trace_filter *f)
{
    memset(f, 0, sizeof *f);
    f->to = SIM_TIME_MAX;
    f->signals = true;
}

void trace_filter_from_settings(struct trace_filter *f, const struct trace_settings *ts)
{
    trace_filter_init(f);
    f->components = (const char *const *)ts->components;
    f->kind_mask = ts->kind_mask;
    f->ranges = ts->ranges;
    f->nranges = ts->nranges;
    f->from = ts->from;
    f->to = ts->to;
    f->signals = ts->signals;
}

static bool trace_component_selected(const struct trace_db *db, uint16_t id)
{
    return db->component_bits[id >> 3] & (1u << (id & 7));
}

static void trace_observe(void *opaque, struct addr_space *as, const struct bus_tx *tx)
{
    struct trace_space *sp = opaque;
    struct trace_db *db = sp->db;
    if (tx->time < db->from || tx->time > db->to)
        return;
    if (db->component_bits && !trace_component_selected(db, tx->initiator) &&
        !trace_component_selected(db, tx->target))
        return;
    trace_db_record_tx(db, sp->id, tx);
}

static void trace_on_signal(void *opaque, const struct signal *s, int level)
{
    struct trace_db *db = opaque;
    sim_time_t now = sim_now(s->sim ? s->sim : db->sim);
    if (now < db->from || now > db->to)
        return;
    uint32_t id = trace_signal_id(db, s, s->name);
    trace_push_irq(db, id, now, level);
}

static void trace_on_marker(struct sim *sim, const char *name, void *opaque)
{
    trace_db_record_marker(opaque, sim_now(sim), name, sim_total_insns(sim));
}

static int trace_range_cmp(const void *a, const void *b)
{
    const struct trace_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges the ranges so no transaction is seen by two observers. */
static int trace_set_ranges(struct trace_db *db, const struct trace_range *ranges, size_t n,
                            struct cw_error *err)
{
    if (n == 0)
        return 0;
    struct trace_range *r = malloc(n * sizeof *r);
    if (!r)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (ranges[i].lo > ranges[i].hi) {
            free(r);
            return cw_errorf(err,
                             "trace range 0x%llx-0x%llx: the start is above the end",
                             (unsigned long long)ranges[i].lo, (unsigned long long)ranges[i].hi);
        }
        r[i] = ranges[i];
    }
    qsort(r, n, sizeof *r, trace_range_cmp);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (r[out].hi != UINT64_MAX && r[i].lo > r[out].hi + 1)
            r[++out] = r[i];
        else if (r[i].hi > r[out].hi)
            r[out].hi = r[i].hi;
    }
    db->ranges = r;
    db->nranges = out + 1;
    return 0;
}

static int trace_set_components(struct trace_db *db, struct sim *sim,
                                const char *const *names, struct cw_error *err)
{
    if (!names)
        return 0;
    db->component_bits = calloc(65536 / 8, 1);
    if (!db->component_bits)
        abort();
    for (size_t i = 0; names[i]; i++) {
        struct component *c = sim_find_component(sim, names[i]);
        if (!c)
            return cw_errorf(err, "trace: unknown component '%s' in the trace filter",
                             names[i]);
        db->component_bits[c->id >> 3] |= (uint8_t)(1u << (c->id & 7));
    }
    return 0;
}

int trace_db_attach_space(struct trace_db *db, struct addr_space *as, struct cw_error *err)
{
    if (db->next_space_id >= 255)
        return cw_errorf(err, "trace: too many address spaces (255 at most)");
    struct trace_space *sp = calloc(1, sizeof *sp);
    if (!sp)
        abort();
    sp->db = db;
    sp->as = as;
    sp->id = trace_db_define_space(db, as_name(as));
    size_t n = db->nranges ? db->nranges : 1;
    sp->observers = calloc(n, sizeof *sp->observers);
    if (!sp->observers)
        abort();
    uint64_t limit = as_limit(as);
    for (size_t i = 0; i < n; i++) {
        uint64_t lo = db->nranges ? db->ranges[i].lo : 0;
        uint64_t hi = db->nranges ? db->ranges[i].hi : limit;
        if (lo > limit)
            continue;
        if (hi > limit)
            hi = limit;
        sp->observers[sp->nobservers++] =
            as_add_observer(as, lo, hi, db->kind_mask, trace_observe, sp);
    }
    sp->next = db->spaces;
    db->spaces = sp;
    return (int)sp->id;
}

/* Every address space of the sim, in the order the machine declared them. */
static int trace_attach_all_spaces(struct trace_db *db, struct sim *sim, struct cw_error *err)
{
    struct addr_space *as;
    for (size_t i = 0; (as = sim_space_at(sim, i)); i++)
        if (trace_db_attach_space(db, as, err) < 0)
            return -1;
    return 0;
}

static int trace_attach_spaces(struct trace_db *db, struct sim *sim, const char *const *names,
                               struct cw_error *err)
{
    if (!names)
        return trace_attach_all_spaces(db, sim, err);
    for (size_t i = 0; names[i]; i++) {
        struct addr_space *as = sim_find_space(sim, names[i]);
        if (!as)
            return cw_errorf(err, "trace: unknown address space '%s'", names[i]);
        if (trace_db_attach_space(db, as, err) < 0)
            return -1;
    }
    return 0;
}

int trace_db_attach(struct trace_db *db, struct sim *sim, const struct trace_filter *f,
                    struct cw_error *err)
{
    struct trace_filter all;
    if (!f) {
        trace_filter_init(&all);
        f = &all;
    }
    if (db->attached)
        return cw_errorf(err, "trace: the database is already attached to a machine");
    if (f->from > f->to)
        return cw_errorf(err, "trace: the time window is empty (from %llu ps is after to %llu ps)",
                         (unsigned long long)f->from, (unsigned long long)f->to);
    if (f->kind_mask & ~(uint32_t)BUS_KIND_ALL)
        return cw_errorf(err, "trace: kind mask 0x%x names unknown kinds", f->kind_mask);
    db->sim = sim;
    db->from = f->from;
    db->to = f->to;
    db->kind_mask = f->kind_mask ? f->kind_mask : BUS_KIND_ALL;
    db->signals = f->signals;
    if (trace_set_components(db, sim, f->components, err) ||
        trace_set_ranges(db, f->ranges, f->nranges, err))
        return -1;

    for (struct component *c = sim_components(sim); c; c = c->next)
        trace_db_define_component(db, c->id, c->name, c->type ? c->type->name : "");
    if (trace_attach_spaces(db, sim, f->spaces, err))
        return -1;
    if (db->signals)
        signal_add_trace_hook(sim, trace_on_signal, db);
    sim_add_marker_hook(sim, trace_on_marker, db);
    db->attached = true;
    return 0;
}

/* --- close ------------------------------------------------------------------ */

static void trace_detach(struct trace_db *db)
{
    for (struct trace_space *sp = db->spaces; sp; sp = sp->next) {
        for (size_t i = 0; i < sp->nobservers; i++)
            as_remove_observer(sp->as, sp->observers[i]);
        sp->nobservers = 0;
    }
    if (db->attached && db->sim) {
        if (db->signals)
            signal_remove_trace_hook(db->sim, trace_on_signal, db);
        sim_remove_marker_hook(db->sim, trace_on_marker, db);
        db->attached = false;
    }
}

static void trace_stop_writer(struct trace_db *db)
{
    if (!db->writer_started)
        return;
    pthread_mutex_lock(&db->lock);
    db->closing = true;
    pthread_cond_signal(&db->data_cv);
    pthread_mutex_unlock(&db->lock);
    pthread_join(db->writer, NULL);
    db->writer_started = false;
}

static int trace_write_stats(struct trace_db *db, struct sim *sim, struct cw_error *err)
{
    sqlite3_stmt *st;
    if (trace_prepare(db, "INSERT INTO stats VALUES(?, ?, ?)", &st, err))
        return -1;
    int rc = 0;
    for (struct component *c = sim_components(sim); c && rc == 0; c = c->next) {
        for (struct stat_entry *s = c->stats; s; s = s->next) {
            sqlite3_bind_int(st, 1, c->id);
            sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, (sqlite3_int64)*s->counter);
            if (sqlite3_step(st) != SQLITE_DONE) {
                rc = trace_sql_fail(db, err, "writing statistics");
                break;
            }
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int trace_write_end(struct trace_db *db, struct sim *sim, const char *stop_reason,
                           struct cw_error *err)
{
    uint64_t end_ns = trace_wall_ns();
    char wall[40];
    trace_format_wall(end_ns, wall, sizeof wall);
    sqlite3_stmt *st;
    if (trace_prepare(db,
                      "UPDATE run SET end_time = ?, stop_reason = ?, end_wall = ?, "
                      "wall_seconds = ?, end_insns = ? WHERE id = 1",
                      &st, err))
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(sim ? sim_now(sim) : db->last_time));
    sqlite3_bind_text(st, 2, stop_reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, wall, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 4, (double)(end_ns - db->start_wall_ns) / 1e9);
    if (sim)
        sqlite3_bind_int64(st, 5, (sqlite3_int64)sim_total_insns(sim));
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : trace_sql_fail(db, err, "writing the run end");
    sqlite3_finalize(st);
    return rc;
}

static int trace_finish(struct trace_db *db, struct sim *sim, const char *stop_reason,
                        struct cw_error *err)
{
    if (db->writer_error[0])
        return cw_errorf(err, "%s", db->writer_error);
    if (trace_exec(db, "BEGIN", err))
        return -1;
    if (sim && trace_write_stats(db, sim, err))
        return -1;
    if (trace_write_end(db, sim, stop_reason, err) || trace_exec(db, trace_index_sql, err))
        return -1;
    if (db->info.index_tx && trace_exec(db, trace_index_tx_sql, err))
        return -1;
    if (trace_exec(db, "COMMIT", err))
        return -1;
    /* One self-contained file: readers need no -wal/-shm and no write access. */
    return trace_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;", err);
}

int trace_db_close(struct trace_db *db, struct sim *sim, const char *stop_reason,
                   struct cw_error *err)
{
    if (!db)
        return 0;
    trace_detach(db);
    trace_stop_writer(db);
    int rc = trace_finish(db, sim, stop_reason, err);
    trace_db_free(db);
    return rc;
}
