/* test_timing_pipeline.c: the x86 pipeline timing model (timing.h): YAML
 * selection and errors, every clock owned by a statistic, queue flushes on
 * taken branches, code fetches as BUS_FETCH transactions, data stalls from
 * wait states and from the DRAM model, and the effect of queue geometry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/sim.h"
#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

/* real mode at 1000:0000:
 *   mov cx,200 ; l: add ax,cx ; mov [si],ax ; add si,2 ; and si,0xff ; loop l ; hlt */
static const uint8_t loop_prog[] = { 0xb9, 0xc8, 0x00, 0x01, 0xc8, 0x89, 0x04, 0x83, 0xc6,
                                     0x02, 0x81, 0xe6, 0xff, 0x00, 0xe2, 0xf3, 0xf4 };
#define LOOP_ITERS 200
#define LOOP_INSNS (1 + 5 * LOOP_ITERS + 1)

struct run_result {
    uint64_t cycles, insns;
    struct x86_timing_stats st;
    uint64_t owned;
    uint64_t fetch_tx;
    uint16_t ax, si;
};

static void count_fetch(void *opaque, struct addr_space *as, const struct bus_tx *tx)
{
    struct run_result *r = opaque;
    /* the model fetches whole words; the functional core's own byte reads
     * of observed code are not the BIU's */
    if (tx->kind == BUS_FETCH && tx->size == 2)
        r->fetch_tx++;
}

static uint64_t cpu_stat(struct x86_rig *rig, const char *name)
{
    for (struct stat_entry *s = rig->comp->stats; s; s = s->next)
        if (!strcmp(s->name, name))
            return *s->counter;
    fail_msg("no statistic %s", name);
    return 0;
}

static void run_prog(const char *yaml, struct run_result *r, bool observe)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    memset(r, 0, sizeof *r);
    if (x86_rig_create(&rig, 1 << 20, yaml, &err) != 0)
        fail_msg("rig: %s", err.msg);
    memcpy(rig.ram_host + 0x10000, loop_prog, sizeof loop_prog);
    x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
    x86_cpu_set_reg(rig.cpu, X86_DS, 0x2000);
    if (observe)
        as_add_observer(rig.mem, 0, 0xfffff, BUS_KIND_BIT(BUS_FETCH), count_fetch, r);
    struct sim_limits lim = { SIM_TIME_MAX, 0, 100000 };
    sim_run(rig.sim, &lim);
    r->cycles = cpu_stat(&rig, "cycles");
    r->insns = cpu_stat(&rig, "instructions");
    struct x86_timing *t = x86_timing_of(rig.cpu);
    assert_non_null(t);
    r->st = *x86_timing_stats(t);
    r->owned = x86_timing_owned_cycles(t);
    r->ax = (uint16_t)x86_cpu_get_reg(rig.cpu, X86_RAX);
    r->si = (uint16_t)x86_cpu_get_reg(rig.cpu, X86_RSI);
    x86_rig_destroy(&rig);
}

static void test_every_cycle_owned(void **state)
{
    struct run_result r;
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: false}\n", &r, false);
    assert_int_equal(r.insns, LOOP_INSNS);
    assert_int_equal(r.st.insns, LOOP_INSNS);
    /* every clock the CPU ran is owned by exactly one statistic */
    assert_int_equal(r.owned, r.cycles);
    assert_true(r.st.execute > 0);
    assert_true(r.st.data_stall > 0);
    assert_true(r.st.fetches > 0);
    /* one data write per iteration, each one 16-bit bus cycle */
    assert_int_equal(r.st.data_cycles, LOOP_ITERS);
}

static void test_flush_on_taken_branch(void **state)
{
    struct run_result r;
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: false}\n", &r, false);
    /* LOOP is taken 199 times; the last one falls through */
    assert_int_equal(r.st.flushes, LOOP_ITERS - 1);
    assert_true(r.st.flush_stall > 0);
}

static void test_fetches_are_bus_transactions(void **state)
{
    struct run_result r;
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: false}\n", &r, true);
    assert_true(r.fetch_tx > 0);
    assert_int_equal(r.fetch_tx, r.st.fetches);
}

static void test_same_results_as_functional(void **state)
{
    struct run_result f, p;
    run_prog("profile: \"286\"\n", &f, false);
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: false}\n", &p, false);
    assert_int_equal(f.ax, p.ax);
    assert_int_equal(f.si, p.si);
    assert_int_equal(f.insns, p.insns);
    assert_true(f.cycles != p.cycles);
    assert_int_equal(f.st.insns, 0); /* the functional model times nothing itself */
}

static void test_wait_states_stall_data_and_fetch(void **state)
{
    struct run_result a, b;
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: false}\n", &a, false);
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline:\n  exact: false\n  wait-states: 3\n", &b, false);
    /* 3 more clocks per data cycle, and fetches slow down too */
    assert_true(b.st.data_stall >= a.st.data_stall + 3 * LOOP_ITERS);
    assert_true(b.cycles > a.cycles + 3 * LOOP_ITERS);
    assert_int_equal(b.owned, b.cycles);
}

static void test_queue_geometry_matters(void **state)
{
    struct run_result narrow, wide;
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline:\n  exact: false\n  fetch-width: 1\n  fetch-align: 1\n"
             "  queue-size: 2\n  bus-cycles: 4\n", &narrow, false);
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline:\n  exact: false\n  fetch-width: 2\n  queue-size: 6\n"
             "  bus-cycles: 4\n", &wide, false);
    assert_true(narrow.st.fetches > wide.st.fetches);
    assert_true(narrow.st.fetch_stall + narrow.st.flush_stall >
                wide.st.fetch_stall + wide.st.flush_stall);
    assert_true(narrow.cycles > wide.cycles);
}

static void test_exact_286_bus_model(void **state)
{
    /* pipeline.exact: the 80286 bus model (biu_286.c) times the same
     * program: every clock owned, one data cycle per write, a flush per
     * taken LOOP, every code fetch a bus transaction */
    struct run_result f, e, o;
    run_prog("profile: \"286\"\n", &f, false);
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: true}\n", &e, false);
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: true}\n", &o, true);
    assert_int_equal(e.ax, f.ax);
    assert_int_equal(e.si, f.si);
    assert_int_equal(e.st.insns, LOOP_INSNS);
    assert_int_equal(e.owned, e.cycles);
    assert_int_equal(e.st.data_cycles, LOOP_ITERS);
    assert_int_equal(e.st.flushes, LOOP_ITERS - 1);
    assert_true(e.st.flush_stall > 0);
    assert_int_equal(o.fetch_tx, o.st.fetches);
    assert_int_equal(o.cycles, e.cycles); /* observing the bus changes no clock */
    struct run_result d; /* the 286 table's default is the bus model */
    run_prog("profile: \"286\"\ntiming: pipeline\n", &d, false);
    assert_int_equal(d.cycles, e.cycles);
    /* per iteration (flushed queue at l:): ADD 2 + MOV [SI],AX 3 + ADD SI,2 3
     * + AND SI,imm16 3 + LOOP 8 + m plus the refill: between 20 and 30 */
    uint64_t per = (e.cycles - 20) / LOOP_ITERS;
    assert_true(per >= 20 && per <= 30);
    /* wait states lengthen every bus cycle; the EU goes on one clock into
     * a write, so what waits is the bus work after it */
    struct run_result w;
    run_prog("profile: \"286\"\ntiming: pipeline\npipeline: {exact: true, wait-states: 3}\n", &w,
             false);
    assert_true(w.cycles > e.cycles + 3 * LOOP_ITERS);
    assert_true(w.st.data_stall > e.st.data_stall);
    assert_int_equal(w.owned, w.cycles);
}

static void expect_error(const char *yaml, const char *needle)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    int rc = x86_rig_create(&rig, 1 << 20, yaml, &err);
    x86_rig_destroy(&rig);
    assert_int_equal(rc, -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' does not mention '%s'", err.msg, needle);
}

static void test_yaml_errors(void **state)
{
    expect_error("timing: cycle-exact\n", "unknown timing model");
    expect_error("timing: pipeline\npipeline:\n  queue-sise: 4\n", "queue-sise");
    expect_error("timing: pipeline\npipeline:\n  fetch-width: 3\n", "powers of two");
    expect_error("timing: pipeline\npipeline:\n  queue-size: 1\n  fetch-width: 2\n", "at least one fetch");
    expect_error("timing: pipeline\npipeline:\n  table: z80\n", "unknown timing table");
    expect_error("switch-timing:\n  at: kernel-entry\n  to: pipeline\n", "marker:NAME");
    expect_error("timing: pipeline\npipeline: {table: p6, exact: true}\n", "8086 and 286 tables only");
    expect_error("profile: \"286\"\ntiming: pipeline\npipeline: {exact: true, queue-size: 4}\n",
                 "own queue and bus");
    expect_error("switch-timing:\n  at: marker:x\n  to: fast\n", "unknown timing model");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cycle_owned),
        cmocka_unit_test(test_flush_on_taken_branch),
        cmocka_unit_test(test_fetches_are_bus_transactions),
        cmocka_unit_test(test_same_results_as_functional),
        cmocka_unit_test(test_wait_states_stall_data_and_fetch),
        cmocka_unit_test(test_queue_geometry_matters),
        cmocka_unit_test(test_exact_286_bus_model),
        cmocka_unit_test(test_yaml_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
