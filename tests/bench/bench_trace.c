/* bench_trace.c: throughput and size of the SQLite trace sink.
 * Writes N million synthetic transactions (default 4) through the ring and
 * the writer thread, closes the database and prints, one per line,
 * "name<TAB>value<TAB>unit": end-to-end rows per second (first record to
 * closed file), bytes per transaction row (file size / rows), the rate the
 * simulation side saw, rows per CPU second (both threads; steady under
 * host load) and how often the simulation waited for the writer.
 * Usage: bench_trace [MILLIONS] [FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/trace_db.h"

/* A boot-like mix: mostly sequential instruction fetches from the BIOS
 * area, data reads and writes over the first megabyte, some port I/O,
 * 5 to 70 ns apart, with a few distinct latencies. Data values are random,
 * which is the pessimistic case for the row size. */
struct bench_gen {
    uint64_t rng;
    uint64_t time;
    uint64_t pc;
};

static uint64_t bench_rand(struct bench_gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static void bench_next(struct bench_gen *g, struct bus_tx *tx, unsigned *space)
{
    static const uint64_t steps[] = {10000, 10000, 20000, 30000, 5000, 70000};
    static const uint64_t mem_latency[] = {60000, 60000, 15000};
    static const uint64_t ports[] = {0x40, 0x43, 0x60, 0x64, 0x3f8, 0x80, 0x70, 0x71};
    static const uint8_t sizes[] = {1, 2, 4};
    g->time += steps[bench_rand(g) % 6];
    uint64_t r = bench_rand(g) % 100;
    tx->time = g->time;
    tx->initiator = 1;
    *space = 1;
    if (r < 60) {
        tx->kind = BUS_FETCH;
        tx->addr = g->pc;
        g->pc = (g->pc + 1 + bench_rand(g) % 4) & 0xfffff;
        tx->size = 4;
        tx->target = 2;
        tx->latency = mem_latency[bench_rand(g) % 3];
    } else if (r < 95) {
        tx->kind = r < 80 ? BUS_READ : BUS_WRITE;
        tx->addr = bench_rand(g) & 0xfffff;
        tx->size = sizes[bench_rand(g) % 3];
        tx->target = 2;
        tx->latency = mem_latency[bench_rand(g) % 2];
    } else {
        tx->kind = r < 98 ? BUS_IO_READ : BUS_IO_WRITE;
        tx->addr = ports[bench_rand(g) % 8];
        tx->size = 1;
        tx->target = (uint16_t)(3 + tx->addr % 6);
        tx->latency = 1000000;
        *space = 2;
    }
    tx->data = bench_rand(g) & (tx->size == 8 ? ~0ull : (1ull << (8 * tx->size)) - 1);
}

/* CPU seconds of the whole process (simulation side and writer thread):
 * a measure that other load on the host does not distort. */
static double bench_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double bench_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double millions = argc > 1 ? atof(argv[1]) : 4.0;
    char path[256];
    if (argc > 2)
        snprintf(path, sizeof path, "%s", argv[2]);
    else
        snprintf(path, sizeof path, "%s/bench_trace_%ld.db",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    uint64_t rows = (uint64_t)(millions * 1e6);
    if (rows == 0) {
        fprintf(stderr, "usage: bench_trace [MILLIONS] [FILE]\n");
        return 2;
    }

    struct cw_error err;
    struct trace_run_info info = {.program_version = "bench_trace"};
    struct trace_db *db = trace_db_open(path, &info, &err);
    if (!db) {
        fprintf(stderr, "bench_trace: %s\n", err.msg);
        return 1;
    }
    trace_db_define_component(db, 1, "cpu0", "x86-cpu");
    trace_db_define_component(db, 2, "ram0", "dram");
    unsigned mem = trace_db_define_space(db, "memory");
    unsigned io = trace_db_define_space(db, "io");

    struct bench_gen gen = {.rng = 0x9e3779b97f4a7c15ull, .pc = 0xf0000};
    double start = bench_seconds();
    double cpu_start = bench_cpu_seconds();
    for (uint64_t i = 0; i < rows; i++) {
        struct bus_tx tx;
        unsigned space;
        bench_next(&gen, &tx, &space);
        trace_db_record_tx(db, space == 1 ? mem : io, &tx);
    }
    double produced = bench_seconds();
    uint64_t waits = trace_db_waits(db);
    if (trace_db_close(db, NULL, "bench", &err) != 0) {
        fprintf(stderr, "bench_trace: %s\n", err.msg);
        return 1;
    }
    double done = bench_seconds();
    double cpu = bench_cpu_seconds() - cpu_start;

    struct stat stb;
    if (stat(path, &stb) != 0) {
        perror(path);
        return 1;
    }
    printf("trace rows/s\t%.0f\trows/s\n", (double)rows / (done - start));
    printf("bytes per tx row\t%.2f\tbytes\n", (double)stb.st_size / (double)rows);
    printf("trace producer rows/s\t%.0f\trows/s\n", (double)rows / (produced - start));
    printf("trace rows per CPU second\t%.0f\trows/s\n", (double)rows / cpu);
    printf("trace producer waits\t%llu\tcount\n", (unsigned long long)waits);
    if (argc <= 2)
        unlink(path);
    return 0;
}
