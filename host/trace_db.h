/* trace_db.h: the SQLite trace sink. One database file per run holds the
 * run's description, every captured bus transaction, interrupt edge and
 * marker, and the components' statistics (schema: docs/trace-schema.md).
 *
 * Threads. The simulation thread only fills fixed-size records into a
 * bounded single-producer/single-consumer ring; a writer thread owned by the
 * trace_db drains it into SQLite with prepared statements, one transaction
 * per batch. When the ring is full the simulation waits: rows are never
 * dropped. The writer commits at least every TRACE_DB_COMMIT_MS of host time
 * (and every TRACE_DB_COMMIT_ROWS rows), so a run killed with SIGKILL leaves
 * a valid database (WAL journal) holding everything committed until then.
 *
 * All functions except trace_db_open's writer are called from the one
 * thread that drives the simulation. A trace_db is not shared between sims. */
#ifndef CW_TRACE_DB_H
#define CW_TRACE_DB_H

#include "../kernel/bus.h"
#include "../kernel/types.h"
#include "config.h"

/* What the run table records (all strings may be NULL). */
struct trace_run_info {
    const char *program_version;  /* "clockwork 0.1" */
    const char *command_line;     /* as typed, for reproducing the run */
    const char *machine_yaml;     /* merged machine text */
    const char *config_yaml;      /* config file text */
    /* Also build indexes on the transaction table at close (addresses and
     * routes): faster address lookups, about 10 more bytes per row. */
    bool index_tx;
};

/* What to capture, chosen before the run (filters apply at capture time,
 * so uncaptured transactions cost nothing in the database). Initialise with
 * trace_filter_init(), which selects everything. */
struct trace_filter {
    /* Component instance names; a transaction is kept when its initiator or
     * its target is listed. NULL-terminated; NULL = every component. */
    const char *const *components;
    uint32_t kind_mask;               /* BUS_KIND_BIT() set; 0 = every kind */
    const struct trace_range *ranges; /* inclusive address ranges, applied */
    size_t nranges;                   /* in every space; 0 = all addresses */
    sim_time_t from, to;              /* guest-time window, inclusive */
    bool signals;                     /* record interrupt-line edges */
    /* Address spaces to observe, NULL-terminated. NULL = every space named
     * under `spaces:` in trace_run_info.machine_yaml. */
    const char *const *spaces;
};

/* Selects everything: all components, kinds, addresses, times; signals on. */
void trace_filter_init(struct trace_filter *f);

/* Fills f from a config's trace settings. f points into ts (no copies), so
 * ts must outlive the trace_db_attach call. */
void trace_filter_from_settings(struct trace_filter *f, const struct trace_settings *ts);

struct trace_db;

/* Creates the database at `path`. An existing file there (and its -wal and
 * -shm companions) is replaced: the database is written at that path
 * directly, so a run that dies early leaves a valid but partial database,
 * never a stale one. Starts the writer thread. Returns NULL with err filled
 * when the file cannot be created. `info` is copied. */
struct trace_db *trace_db_open(const char *path, const struct trace_run_info *info,
                               struct cw_error *err);

/* Subscribes the database to the sim: an observer on each address space
 * (kind mask and ranges), a signal trace hook (if f->signals) and a marker
 * hook; records the component and space names. Call once, after the machine
 * is built and before it runs. Errors: an unknown component or space name,
 * an empty time window, a bad range. */
int trace_db_attach(struct trace_db *db, struct sim *sim, const struct trace_filter *f,
                    struct cw_error *err);

/* Observes one more address space (when the caller knows the spaces
 * better than the machine text does). Filters from trace_db_attach apply;
 * without attach, everything in the space is recorded. Returns its space id. */
int trace_db_attach_space(struct trace_db *db, struct addr_space *as, struct cw_error *err);

/* Direct recording, for hosts and benchmarks that do not go through a sim.
 * No filters apply. `space` is a space id (trace_db_define_space), or 0. */
void trace_db_record_tx(struct trace_db *db, unsigned space, const struct bus_tx *tx);
void trace_db_record_irq(struct trace_db *db, sim_time_t time, const char *signal, int level);
void trace_db_record_marker(struct trace_db *db, sim_time_t time, const char *name,
                            uint64_t insns);
/* Names a component / space id in the database (attach does this itself). */
void trace_db_define_component(struct trace_db *db, unsigned id, const char *name,
                               const char *type);
unsigned trace_db_define_space(struct trace_db *db, const char *name);

/* Rows handed to the writer so far (accepted by the filters). */
uint64_t trace_db_rows(const struct trace_db *db);       /* transactions */
uint64_t trace_db_irq_rows(const struct trace_db *db);
uint64_t trace_db_marker_rows(const struct trace_db *db);
/* Times the simulation had to wait for the writer (ring full). */
uint64_t trace_db_waits(const struct trace_db *db);

/* Finishes the database: waits for the writer to store every queued row,
 * writes the components' statistics and the run's end (guest time from sim,
 * the stop reason, host end time), builds the indexes, checkpoints the WAL
 * and switches the file to a self-contained rollback journal. Removes the
 * observers and the signal and marker hooks, and frees db; the sim may run
 * on untraced afterwards. `sim` may be NULL (no stats; end time = the last recorded time).
 * Returns 0, or -1 with err filled if SQLite failed. */
int trace_db_close(struct trace_db *db, struct sim *sim, const char *stop_reason,
                   struct cw_error *err);

/* Writer tuning (exposed for tests). */
#define TRACE_DB_RING_RECORDS (1u << 16) /* records in the ring */
#define TRACE_DB_COMMIT_ROWS 200000      /* rows per transaction at most */
#define TRACE_DB_COMMIT_MS 200           /* host ms between commits at most */
#define TRACE_DB_BLOCK_SHIFT 6           /* tx rows per time block: 64 */
#define TRACE_DB_SCHEMA_VERSION 2

/* `clockwork trace ...`: summary, query, --help. Returns the exit status:
 * 0 ok, 1 SQL or file error, 2 usage error. */
int trace_cli_main(int argc, char **argv);

#endif
