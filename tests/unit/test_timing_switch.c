/* test_timing_switch.c: switching the x86 core's timing model during a run
 * (x86-cpu `switch-timing`), at a marker and at a time: architectural state
 * after the run is exactly that of a run without switching (it is one core;
 * only the timing layer changes), the clocks differ, and the statistics say
 * which model ran what. */
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

/* real mode at 1000:0000, data at 2000:0000:
 *   mov cx,300 ; l1: add ax,cx ; mov [si],ax ; add si,2 ; and si,0xff ; loop l1
 *   out 0x80,al                      ; port 0x80 records the marker "kernel-entry"
 *   mov cx,300 ; l2: (same body) ; loop l2
 *   hlt */
static const uint8_t prog[] = {
    0xb9, 0x2c, 0x01, 0x01, 0xc8, 0x89, 0x04, 0x83, 0xc6, 0x02, 0x81, 0xe6, 0xff, 0x00, 0xe2, 0xf3,
    0xe6, 0x80,
    0xb9, 0x2c, 0x01, 0x01, 0xc8, 0x89, 0x04, 0x83, 0xc6, 0x02, 0x81, 0xe6, 0xff, 0x00, 0xe2, 0xf3,
    0xf4,
};
#define PROG_INSNS (2 * (1 + 5 * 300) + 2)

static struct sim *marker_sim;

static uint64_t port80_read(void *opaque, uint64_t off, unsigned size)
{
    return 0xff;
}

static void port80_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
    sim_marker(opaque, "kernel-entry");
}

static const struct mmio_ops port80_ops = { .read = port80_read, .write = port80_write, .max_access = 1 };

struct outcome {
    uint64_t regs[X86_REG_COUNT];
    uint8_t data[256];
    uint64_t cycles, insns;
    struct x86_timing_stats st;
    enum x86_timing_kind final_kind;
};

static uint64_t stat_of(struct component *c, const char *name)
{
    for (struct stat_entry *s = c->stats; s; s = s->next)
        if (!strcmp(s->name, name))
            return *s->counter;
    fail_msg("no statistic %s", name);
    return 0;
}

static void run(const char *yaml, struct outcome *o)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    memset(o, 0, sizeof *o);
    if (x86_rig_create(&rig, 1 << 20, yaml, &err) != 0)
        fail_msg("rig: %s", err.msg);
    marker_sim = rig.sim;
    assert_non_null(as_add_mmio(rig.io, NULL, "port80", 0x80, 1, &port80_ops, rig.sim, &err));
    memcpy(rig.ram_host + 0x10000, prog, sizeof prog);
    x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
    x86_cpu_set_reg(rig.cpu, X86_DS, 0x2000);
    struct sim_limits lim = { SIM_TIME_MAX, 0, 100000 };
    sim_run(rig.sim, &lim);
    for (int r = 0; r < X86_REG_COUNT; r++)
        o->regs[r] = x86_cpu_get_reg(rig.cpu, (enum x86_reg_id)r);
    memcpy(o->data, rig.ram_host + 0x20000, sizeof o->data);
    o->cycles = stat_of(rig.comp, "cycles");
    o->insns = stat_of(rig.comp, "instructions");
    struct x86_timing *t = x86_timing_of(rig.cpu);
    o->st = *x86_timing_stats(t);
    o->final_kind = x86_timing_kind(t);
    x86_rig_destroy(&rig);
}

static void assert_same_state(const struct outcome *a, const struct outcome *b)
{
    for (int r = 0; r < X86_REG_COUNT; r++)
        if (a->regs[r] != b->regs[r])
            fail_msg("register %d differs: %llx vs %llx", r, (unsigned long long)a->regs[r],
                     (unsigned long long)b->regs[r]);
    assert_memory_equal(a->data, b->data, sizeof a->data);
    assert_int_equal(a->insns, b->insns);
}

static void test_switch_at_marker(void **state)
{
    struct outcome func, pipe, sw;
    run("profile: \"286\"\n", &func);
    run("profile: \"286\"\ntiming: pipeline\n", &pipe);
    run("profile: \"286\"\nswitch-timing:\n  at: marker:kernel-entry\n  to: pipeline\n", &sw);
    assert_int_equal(func.insns, PROG_INSNS);
    assert_same_state(&func, &pipe);
    assert_same_state(&func, &sw);
    assert_int_equal(sw.final_kind, X86_TIMING_PIPELINE);
    assert_int_equal(sw.st.switches, 1);
    /* the pipeline timed the second half only (the OUT's own tail and on) */
    assert_true(sw.st.insns > 1 + 5 * 300 && sw.st.insns <= 1 + 5 * 300 + 2);
    assert_true(sw.st.functional > 0);
    /* clocks: the switched run lies between the two pure runs */
    uint64_t lo = func.cycles < pipe.cycles ? func.cycles : pipe.cycles;
    uint64_t hi = func.cycles < pipe.cycles ? pipe.cycles : func.cycles;
    assert_true(sw.cycles > lo && sw.cycles < hi);
    /* every clock is owned: functional (up to the switch) + pipeline owners */
    assert_int_equal(sw.st.functional + sw.st.execute + sw.st.fetch_stall + sw.st.flush_stall +
                     sw.st.data_stall + sw.st.walk + sw.st.exception, sw.cycles);
}

static void test_switch_at_time_and_back(void **state)
{
    struct outcome func, sw;
    run("profile: \"286\"\n", &func);
    /* the 100 MHz rig: 20 us is 2000 clocks, well inside the first loop */
    run("profile: \"286\"\ntiming: pipeline\nswitch-timing:\n  - at: time:20us\n"
        "    to: functional\n  - at: marker:kernel-entry\n    to: pipeline\n", &sw);
    assert_same_state(&func, &sw);
    assert_int_equal(sw.st.switches, 2);
    assert_int_equal(sw.final_kind, X86_TIMING_PIPELINE);
    assert_true(sw.st.functional > 0);
    assert_true(sw.st.insns < PROG_INSNS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch_at_marker),
        cmocka_unit_test(test_switch_at_time_and_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
