/* trace_cli.c: `clockwork trace`, reading the databases runs leave behind:
 * a summary for people and a query command whose tab-separated output
 * suits scripts. The schema it reads is in docs/trace-schema.md. */
#include "trace_db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char trace_cli_usage[] =
    "usage: clockwork trace summary DB\n"
    "       clockwork trace query DB SQL [-p NAME=VALUE]...\n"
    "       clockwork trace --help\n";

static const char trace_cli_help[] =
    "\n"
    "Reads a trace database written by `clockwork run` (trace: file: in the\n"
    "config, or --trace FILE).\n"
    "\n"
    "  summary DB     the run (machine, command line, end time, stop reason),\n"
    "                 rows per table, transactions per kind and per component,\n"
    "                 markers with their times and phase durations, and the\n"
    "                 busiest I/O ports\n"
    "  query DB SQL   runs SQL (one or more statements) and prints each result\n"
    "                 as tab-separated lines under a header line; NULL prints\n"
    "                 as an empty field\n"
    "  -p NAME=VALUE  binds the SQL parameter :NAME (also @NAME, $NAME); VALUE\n"
    "                 is bound as an integer when it is one, else as text.\n"
    "                 Unbound parameters are NULL.\n"
    "\n"
    "Times are in picoseconds. The canned queries in traces/ run as\n"
    "  clockwork trace query run.db \"$(cat traces/busiest-io-ports.sql)\"\n"
    "\n"
    "Exit status: 0 ok, 1 file or SQL error, 2 usage error.\n";

static int trace_cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "clockwork trace: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", trace_cli_usage);
    return 2;
}

/* Opens an existing database without creating or changing it. A database
 * from a killed run still has its WAL; SQLite replays it on reading. */
static sqlite3 *trace_cli_open(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        /* Opening is lazy: touch the schema to find out it is a database. */
        if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) ==
            SQLITE_OK)
            return db;
    }
    fprintf(stderr, "clockwork trace: cannot read %s: %s\n", path,
            db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
}

/* --- query ---------------------------------------------------------------- */

struct trace_cli_param {
    const char *name;   /* without the prefix; ends at '=' */
    size_t name_len;
    const char *value;
};

static bool trace_cli_integer(const char *s, sqlite3_int64 *out)
{
    char *end;
    if (!*s)
        return false;
    long long v = strtoll(s, &end, 0);
    if (*end)
        return false;
    *out = v;
    return true;
}

static void trace_cli_bind(sqlite3_stmt *st, const struct trace_cli_param *params,
                           size_t nparams)
{
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= n; i++) {
        const char *name = sqlite3_bind_parameter_name(st, i);
        if (!name || !name[0] || !name[1])
            continue;
        for (size_t p = 0; p < nparams; p++) {
            if (strlen(name + 1) != params[p].name_len ||
                strncmp(name + 1, params[p].name, params[p].name_len) != 0)
                continue;
            sqlite3_int64 v;
            if (trace_cli_integer(params[p].value, &v))
                sqlite3_bind_int64(st, i, v);
            else
                sqlite3_bind_text(st, i, params[p].value, -1, SQLITE_STATIC);
        }
    }
}

static void trace_cli_print_value(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        return;
    case SQLITE_BLOB: {
        const unsigned char *b = sqlite3_column_blob(st, col);
        int len = sqlite3_column_bytes(st, col);
        fputs("x'", stdout);
        for (int i = 0; i < len; i++)
            printf("%02x", b[i]);
        fputc('\'', stdout);
        return;
    }
    default:
        fputs((const char *)sqlite3_column_text(st, col), stdout);
    }
}

/* Steps one prepared statement, printing its rows (with a header) if it
 * has columns. Returns 0 or the SQLite error code. */
static int trace_cli_run_statement(sqlite3_stmt *st, bool *printed_before)
{
    int ncol = sqlite3_column_count(st);
    bool header_done = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!header_done) {
            if (*printed_before)
                fputc('\n', stdout);
            for (int c = 0; c < ncol; c++)
                printf("%s%s", c ? "\t" : "", sqlite3_column_name(st, c));
            fputc('\n', stdout);
            header_done = true;
            *printed_before = true;
        }
        for (int c = 0; c < ncol; c++) {
            if (c)
                fputc('\t', stdout);
            trace_cli_print_value(st, c);
        }
        fputc('\n', stdout);
    }
    /* A query with no rows still shows its header, so scripts see columns. */
    if (rc == SQLITE_DONE && ncol > 0 && !header_done) {
        if (*printed_before)
            fputc('\n', stdout);
        for (int c = 0; c < ncol; c++)
            printf("%s%s", c ? "\t" : "", sqlite3_column_name(st, c));
        fputc('\n', stdout);
        *printed_before = true;
    }
    return rc == SQLITE_DONE ? 0 : rc;
}

static int trace_cli_query(sqlite3 *db, const char *sql, const struct trace_cli_param *params,
                           size_t nparams)
{
    bool printed = false;
    const char *rest = sql;
    while (rest && *rest) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, rest, -1, &st, &tail) != SQLITE_OK) {
            fprintf(stderr, "clockwork trace: SQL error: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        rest = tail;
        if (!st)
            continue; /* whitespace or a comment */
        trace_cli_bind(st, params, nparams);
        int rc = trace_cli_run_statement(st, &printed);
        sqlite3_finalize(st);
        if (rc) {
            fprintf(stderr, "clockwork trace: SQL error: %s\n", sqlite3_errmsg(db));
            return 1;
        }
    }
    fflush(stdout);
    return 0;
}

/* --- summary ------------------------------------------------------------------ */

/* Prints a small result as an aligned table under a title. Columns whose
 * name starts with '>' are right-aligned (numbers). */
#define TRACE_CLI_MAX_COLS 8
#define TRACE_CLI_MAX_ROWS 64

static int trace_cli_table(sqlite3 *db, const char *title, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "clockwork trace: %s: %s\n", title, sqlite3_errmsg(db));
        return 1;
    }
    int ncol = sqlite3_column_count(st);
    if (ncol > TRACE_CLI_MAX_COLS)
        ncol = TRACE_CLI_MAX_COLS;
    char *cells[TRACE_CLI_MAX_ROWS + 1][TRACE_CLI_MAX_COLS] = {{0}};
    int width[TRACE_CLI_MAX_COLS] = {0};
    bool right[TRACE_CLI_MAX_COLS] = {0};
    for (int c = 0; c < ncol; c++) {
        const char *name = sqlite3_column_name(st, c);
        right[c] = name[0] == '>';
        cells[0][c] = strdup(name + right[c]);
    }
    int nrows = 1, rc;
    long more = 0; /* rows beyond what the table shows */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (nrows > TRACE_CLI_MAX_ROWS) {
            more++;
            continue;
        }
        for (int c = 0; c < ncol; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            cells[nrows][c] = strdup(t ? (const char *)t : "");
        }
        nrows++;
    }
    int status = 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        fprintf(stderr, "clockwork trace: %s: %s\n", title, sqlite3_errmsg(db));
        status = 1;
    }
    sqlite3_finalize(st);

    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncol; c++)
            if (cells[r][c] && (int)strlen(cells[r][c]) > width[c])
                width[c] = (int)strlen(cells[r][c]);
    printf("\n%s\n", title);
    if (nrows == 1)
        printf("  (none)\n");
    for (int r = 0; r < nrows && nrows > 1; r++) {
        printf(" ");
        for (int c = 0; c < ncol; c++) {
            const char *cell = cells[r][c] ? cells[r][c] : "";
            bool last = c + 1 == ncol;
            if (last && !right[c])
                printf(" %s", cell);
            else
                printf(" %*s%s", right[c] ? width[c] : -width[c], cell, last ? "" : " ");
        }
        printf("\n");
    }
    if (more)
        printf("  ... and %ld more (use `clockwork trace query`)\n", more);
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncol; c++)
            free(cells[r][c]);
    return status;
}

/* Guest time as seconds with picosecond digits, e.g. 1.234567890123 s. */
static const char trace_cli_seconds[] = "printf('%%d.%%012d s', (%s) / 1000000000000, "
                                        "(%s) %% 1000000000000)";

static int trace_cli_summary(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "clockwork trace: not a clockwork trace database (%s)\n",
                sqlite3_errmsg(db));
        return 1;
    }
    sqlite3_finalize(st);

    char end[256], sql[4096];
    snprintf(end, sizeof end, trace_cli_seconds, "end_time", "end_time");
    snprintf(sql, sizeof sql,
             "SELECT 'program' AS item, program_version AS value FROM run UNION ALL "
             "SELECT 'command line', command_line FROM run UNION ALL "
             "SELECT 'started', start_wall FROM run UNION ALL "
             "SELECT 'host seconds', round(wall_seconds, 3) FROM run UNION ALL "
             "SELECT 'guest end time', %s || ' (' || end_time || ' ps)' FROM run UNION ALL "
             "SELECT 'stop reason', coalesce(stop_reason, '(run did not finish)') FROM run",
             end);
    int status = trace_cli_table(db, "run", sql);
    status |= trace_cli_table(
        db, "rows",
        "SELECT 'tx' AS 'table', (SELECT count(*) FROM tx_data) AS '>rows' UNION ALL "
        "SELECT 'irq', (SELECT count(*) FROM irq) UNION ALL "
        "SELECT 'marker', (SELECT count(*) FROM marker) UNION ALL "
        "SELECT 'signal', (SELECT count(*) FROM signal) UNION ALL "
        "SELECT 'component', (SELECT count(*) FROM component) UNION ALL "
        "SELECT 'space', (SELECT count(*) FROM space) UNION ALL "
        "SELECT 'stats', (SELECT count(*) FROM stats)");
    /* Counting per route first makes one pass over the big table. */
    status |= trace_cli_table(
        db, "transactions per kind",
        "WITH rc AS (SELECT route, count(*) AS n FROM tx_data GROUP BY route) "
        "SELECT k.name AS kind, sum(rc.n) AS '>count' FROM rc JOIN route r ON r.id = rc.route "
        "JOIN kind k ON k.id = r.kind GROUP BY r.kind ORDER BY 2 DESC");
    status |= trace_cli_table(
        db, "transactions per component",
        "WITH rc AS (SELECT route, count(*) AS n FROM tx_data GROUP BY route) "
        "SELECT component, type, ini AS '>as initiator', tgt AS '>as target' FROM ("
        "  SELECT c.id AS id, c.name AS component, c.type AS type, "
        "  (SELECT coalesce(sum(rc.n), 0) FROM rc JOIN route r ON r.id = rc.route "
        "   WHERE r.initiator = c.id) AS ini, "
        "  (SELECT coalesce(sum(rc.n), 0) FROM rc JOIN route r ON r.id = rc.route "
        "   WHERE r.target = c.id) AS tgt FROM component c) "
        "WHERE ini + tgt > 0 ORDER BY ini + tgt DESC, id");
    char start[256], dur[256];
    snprintf(start, sizeof start, trace_cli_seconds, "start", "start");
    snprintf(dur, sizeof dur, trace_cli_seconds, "duration", "duration");
    snprintf(sql, sizeof sql,
             "SELECT name AS marker, %s AS '>time', %s AS '>phase duration', "
             "insns AS '>phase insns' FROM phase ORDER BY start, id",
             start, dur);
    status |= trace_cli_table(db, "markers and phases (a phase runs to the next marker)", sql);
    status |= trace_cli_table(
        db, "busiest I/O ports",
        "WITH io AS (SELECT d.addr AS port, r.kind AS kind, count(*) AS n FROM tx_data d "
        "  JOIN route r ON r.id = d.route JOIN kind k ON k.id = r.kind "
        "  WHERE k.name IN ('io-read', 'io-write') GROUP BY d.addr, r.kind) "
        "SELECT printf('0x%04x', port) AS port, "
        "  sum(CASE WHEN kind = (SELECT id FROM kind WHERE name = 'io-read') THEN n ELSE 0 END)"
        "  AS '>reads', "
        "  sum(CASE WHEN kind = (SELECT id FROM kind WHERE name = 'io-write') THEN n ELSE 0 END)"
        "  AS '>writes', sum(n) AS '>total' "
        "FROM io GROUP BY port ORDER BY sum(n) DESC, port LIMIT 10");
    fflush(stdout);
    return status ? 1 : 0;
}

/* --- entry ------------------------------------------------------------------------ */

/* argv[0] is the command's own name ("trace"); argv[1] the subcommand. */
int trace_cli_main(int argc, char **argv)
{
    if (argc < 2)
        return trace_cli_usage_error("%s", "missing subcommand");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        printf("%s%s", trace_cli_usage, trace_cli_help);
        return 0;
    }
    if (strcmp(cmd, "summary") == 0) {
        if (argc != 3)
            return trace_cli_usage_error("%s", "summary takes one database file");
        sqlite3 *db = trace_cli_open(argv[2]);
        if (!db)
            return 1;
        int rc = trace_cli_summary(db);
        sqlite3_close(db);
        return rc;
    }
    if (strcmp(cmd, "query") != 0)
        return trace_cli_usage_error("unknown subcommand '%s'", cmd);

    const char *path = NULL, *sql = NULL;
    struct trace_cli_param *params = calloc((size_t)argc, sizeof *params);
    size_t nparams = 0;
    if (!params)
        abort();
    int status = 0;
    for (int i = 2; i < argc && status == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-p") == 0 || strcmp(a, "--param") == 0) {
            const char *eq = i + 1 < argc ? strchr(argv[i + 1], '=') : NULL;
            if (!eq || eq == argv[i + 1]) {
                status = trace_cli_usage_error("%s needs NAME=VALUE", a);
                break;
            }
            params[nparams].name = argv[i + 1];
            params[nparams].name_len = (size_t)(eq - argv[i + 1]);
            params[nparams++].value = eq + 1;
            i++;
        } else if (!path) {
            path = a;
        } else if (!sql) {
            sql = a;
        } else {
            status = trace_cli_usage_error("unexpected argument '%s'", a);
        }
    }
    if (status == 0 && (!path || !sql || !*sql))
        status = trace_cli_usage_error("%s", "query takes a database file and SQL text");
    if (status == 0) {
        sqlite3 *db = trace_cli_open(path);
        status = db ? trace_cli_query(db, sql, params, nparams) : 1;
        sqlite3_close(db);
    }
    free(params);
    return status;
}
