/* test_timing_dram_auto.c: the pipeline model finds the machine's DRAM when
 * pipeline.dram does not name one (timing_pipeline.c, x86_timing_realize).
 * A paging guest on a DRAM with the timing MMU must be charged once per
 * code fetch, data cycle and page-walk read, exactly as with pipeline.dram
 * named; two DRAMs and no name is an error that says what to write.
 *
 * Before the lookup, the core's own walk reads crossed the DRAM's region
 * hook and the timing MMU replayed them through it again, while the fetches
 * and data accesses the core made through DMI were never asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86.h"
#include "tests/lib/dev_test.h"

#define PAGE_DIR 0x80000u   /* the guest's page directory */
#define PAGE_TABLE 0x81000u /* its one page table: 0..4 MiB identity mapped */
#define DATA_SEG 0x3000u    /* DS: the loop walks 0x30000..0x3FFFF, 16 pages */
#define ITERATIONS 64u

/* 16-bit code at 1000:0000, run with CR0.PE and CR0.PG set and the real-mode
 * segment caches still loaded (the test sets CR3 and CR0; no GDT needed):
 *       mov cx,64
 *   l:  mov ax,[si]        ; a read in page (si >> 12)
 *       mov [si+4],ax      ; a write to the same page
 *       add si,0x1000      ; the next of 16 pages (wraps at 64 KiB)
 *       loop l
 *       hlt
 * With a 4-entry DTLB every read misses (16 pages round robin) and walks. */
static const uint8_t paging_loop[] = { 0xb9, ITERATIONS, 0x00, 0x8b, 0x04, 0x89, 0x44, 0x04,
                                       0x81, 0xc6, 0x00, 0x10, 0xe2, 0xf5, 0xf4 };

struct run {
    uint64_t dram_accesses, hits, misses, conflicts, latency_ps;
    uint64_t fetches, data_cycles, walks, walk_reads, cycles, insns;
    uint64_t eip;
};

struct machine {
    struct sim *sim;
    struct addr_space *mem;
    struct ynode *yaml[3];
    struct component *dram[2];
    struct component *cpu;
};

static struct component *machine_add(struct machine *m, unsigned slot, const char *name,
                                     const char *type, const char *yaml)
{
    struct cw_error err = { { 0 } };
    m->yaml[slot] = ytree_load_string(yaml, strlen(yaml), name, &err);
    if (!m->yaml[slot])
        fail_msg("%s: %s", name, err.msg);
    struct component *c = component_create(m->sim, name, component_type_find(type),
                                            m->yaml[slot], &err);
    if (!c)
        fail_msg("%s: %s", name, err.msg);
    return c;
}

/* A 100 MHz x86 CPU (default profile) on `ndram` DDR3-1600 DRAMs of 1 MiB
 * each (dram0 at 0, dram1 at 1 MiB), its pipeline map `pipeline` (the
 * timing MMU and maybe a dram name). Returns realize()'s result; err says
 * why it refused. */
static int machine_make(struct machine *m, unsigned ndram, const char *timing,
                        const char *pipeline, struct cw_error *err)
{
    memset(m, 0, sizeof *m);
    m->sim = sim_create();
    sim_set_log_quiet(m->sim, true);
    m->mem = as_create(m->sim, "memory", SPACE_MEMORY, 32);
    sim_add_space(m->sim, m->mem);
    struct addr_space *io = as_create(m->sim, "io", SPACE_IO, 16);
    sim_add_space(m->sim, io);
    sim_add_clock(m->sim, "cpu", 100000000, 1);
    for (unsigned i = 0; i < ndram; i++) {
        char y[200], name[16];
        snprintf(name, sizeof name, "dram%u", i);
        snprintf(y, sizeof y, "{type: dram, base: %u, size: 1MiB, preset: ddr3-1600, "
                 "tREFI: 0s}", i << 20);
        m->dram[i] = machine_add(m, i, name, "dram", y);
    }
    char cy[400];
    snprintf(cy, sizeof cy, "{type: x86-cpu, clock: cpu, memory: memory, io: io, "
             "timing: %s, pipeline: %s}", timing, pipeline);
    m->cpu = machine_add(m, 2, "cpu0", "x86-cpu", cy);
    /* the kernel realizes in creation order; the CPU is the only one with realize() here */
    const struct component_type *ct = m->cpu->type;
    return ct->realize ? ct->realize(m->cpu, err) : 0;
}

static void machine_free(struct machine *m)
{
    sim_destroy(m->sim);
    for (unsigned i = 0; i < 3; i++)
        if (m->yaml[i])
            ytree_free(m->yaml[i]);
}

static void put32(struct addr_space *as, uint64_t addr, uint32_t v)
{
    as_load(as, addr, &v, sizeof v);
}

/* Runs the paging loop to its HLT on one DRAM with a 4-entry DTLB. */
static void run_paging_loop(const char *pipeline_extra, struct run *out)
{
    struct machine m;
    struct cw_error err = { { 0 } };
    char pipeline[300];
    snprintf(pipeline, sizeof pipeline, "{mmu: {dtlb: {entries: 4, ways: 4}, itlb: {entries: 4, "
             "ways: 4}}%s}", pipeline_extra);
    if (machine_make(&m, 1, "pipeline", pipeline, &err))
        fail_msg("cpu0: %s", err.msg);
    struct x86_cpu *cpu = x86_cpu_of(m.cpu);
    /* Accessed and dirty already set: the core's walks write nothing back */
    put32(m.mem, PAGE_DIR, PAGE_TABLE | 0x67);
    for (uint32_t p = 0; p < 1024; p++)
        put32(m.mem, PAGE_TABLE + 4 * p, (p << 12) | 0x67);
    as_load(m.mem, 0x10000, paging_loop, sizeof paging_loop);
    x86_cpu_set_reg(cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(cpu, X86_RIP, 0);
    x86_cpu_set_reg(cpu, X86_DS, DATA_SEG);
    x86_cpu_set_reg(cpu, X86_CR3, PAGE_DIR);
    x86_cpu_set_reg(cpu, X86_CR0, 0x80000011); /* PG, ET, PE */
    struct sim_limits lim = { SIM_TIME_MAX, 0, 100000 };
    sim_run(m.sim, &lim);
    const struct x86_timing_stats *st = x86_timing_stats(x86_timing_of(cpu));
    out->dram_accesses = dev_test_stat(m.dram[0], "accesses");
    out->hits = dev_test_stat(m.dram[0], "row-hits");
    out->misses = dev_test_stat(m.dram[0], "row-misses");
    out->conflicts = dev_test_stat(m.dram[0], "row-conflicts");
    out->latency_ps = dev_test_stat(m.dram[0], "latency-total-ps");
    out->fetches = st->fetches;
    out->data_cycles = st->data_cycles;
    out->insns = st->insns;
    out->walks = dev_test_stat(m.cpu, "mmu-walks");
    out->walk_reads = dev_test_stat(m.cpu, "mmu-walk-reads");
    out->cycles = dev_test_stat(m.cpu, "cycles");
    out->eip = x86_cpu_get_reg(cpu, X86_RIP);
    machine_free(&m);
}

static void print_run(const char *what, const struct run *r)
{
    print_message("%s: %llu DRAM accesses (%llu fetches + %llu data cycles + %llu walk reads "
                  "of %llu walks), %llu cycles, DRAM latency %llu ns\n", what,
                  (unsigned long long)r->dram_accesses, (unsigned long long)r->fetches,
                  (unsigned long long)r->data_cycles, (unsigned long long)r->walk_reads,
                  (unsigned long long)r->walks, (unsigned long long)r->cycles,
                  (unsigned long long)(r->latency_ps / 1000));
}

static void test_paging_guest_charged_once(void **state)
{
    (void)state;
    struct run named, found;
    run_paging_loop(", dram: dram0", &named);
    run_paging_loop("", &found);
    print_run("pipeline.dram: dram0", &named);
    print_run("no pipeline.dram   ", &found);
    /* the guest ran to its HLT with paging on: 1 + 4 per iteration + HLT */
    assert_int_equal(named.eip, sizeof paging_loop);
    assert_int_equal(named.insns, 1 + 4 * ITERATIONS + 1);
    assert_int_equal(named.data_cycles, 2 * ITERATIONS);
    /* every read misses the 4-entry DTLB: two-level walks, two reads each */
    assert_true(named.walks >= ITERATIONS);
    assert_int_equal(named.walk_reads, 2 * named.walks);
    /* each access reaches the DRAM once */
    assert_int_equal(named.dram_accesses, named.fetches + named.data_cycles + named.walk_reads);
    assert_int_equal(found.dram_accesses, found.fetches + found.data_cycles + found.walk_reads);
    /* and without the name it is the same run */
    assert_int_equal(found.insns, named.insns);
    assert_int_equal(found.fetches, named.fetches);
    assert_int_equal(found.data_cycles, named.data_cycles);
    assert_int_equal(found.walks, named.walks);
    assert_int_equal(found.walk_reads, named.walk_reads);
    assert_int_equal(found.dram_accesses, named.dram_accesses);
    assert_int_equal(found.hits, named.hits);
    assert_int_equal(found.misses, named.misses);
    assert_int_equal(found.conflicts, named.conflicts);
    assert_int_equal(found.latency_ps, named.latency_ps);
    assert_int_equal(found.cycles, named.cycles);
}

static void test_two_drams_need_a_name(void **state)
{
    (void)state;
    struct machine m;
    struct cw_error err = { { 0 } };
    /* the timing MMU wants the DRAM: refused, naming the CPU and the fix */
    assert_int_equal(machine_make(&m, 2, "functional", "{mmu: {}}", &err), -1);
    print_message("%s\n", err.msg);
    assert_non_null(strstr(err.msg, "cpu0"));
    assert_non_null(strstr(err.msg, "dram0"));
    assert_non_null(strstr(err.msg, "dram1"));
    assert_non_null(strstr(err.msg, "pipeline.dram: NAME"));
    machine_free(&m);
    /* so does the pipeline model, from the start or at a switch point */
    memset(&err, 0, sizeof err);
    assert_int_equal(machine_make(&m, 2, "pipeline", "{}", &err), -1);
    assert_non_null(strstr(err.msg, "pipeline.dram: NAME"));
    machine_free(&m);
    memset(&err, 0, sizeof err);
    assert_int_equal(machine_make(&m, 2, "functional, switch-timing: {at: time:1ms, to: pipeline}",
                                  "{}", &err), -1);
    assert_non_null(strstr(err.msg, "pipeline.dram: NAME"));
    machine_free(&m);
    /* named, it is fine */
    memset(&err, 0, sizeof err);
    if (machine_make(&m, 2, "pipeline", "{mmu: {}, dram: dram1}", &err))
        fail_msg("named dram1 refused: %s", err.msg);
    machine_free(&m);
    /* and a CPU that never runs the pipeline model asks no DRAM */
    if (machine_make(&m, 2, "functional", "{}", &err))
        fail_msg("functional CPU refused: %s", err.msg);
    machine_free(&m);
}

static void test_no_dram_as_before(void **state)
{
    (void)state;
    /* Without any DRAM the pipeline model and its MMU still realize (fixed
     * latencies, as before). */
    struct machine m;
    struct cw_error err = { { 0 } };
    if (machine_make(&m, 0, "pipeline", "{mmu: {}}", &err))
        fail_msg("no DRAM: %s", err.msg);
    machine_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_guest_charged_once),
        cmocka_unit_test(test_two_drams_need_a_name),
        cmocka_unit_test(test_no_dram_as_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
