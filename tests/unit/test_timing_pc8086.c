/* test_timing_pc8086.c: machines/pc-8086.yaml builds and runs: a small
 * ROM program (not a BIOS: it programs the 8259 and the 8254 and counts
 * timer interrupts in RAM while halted) under the exact 8086 bus model at
 * 4.77 MHz; the interrupt count follows guest time and the clocks are the
 * 8086 model's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/machine.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86.h"

/* F000:E000: set the timer vector, 8259 single mode (ICW1 13h, ICW2 08h,
 * ICW4 01h, unmask IRQ0), 8254 counter 0 mode 2 divisor 1193 (1 kHz), then
 * HLT in a loop; the handler increments the word at 0000:0500. */
static const uint8_t rom_code[] = {
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c,
    0xc7, 0x06, 0x20, 0x00, 0x36, 0xe0, 0xc7, 0x06, 0x22, 0x00, 0x00, 0xf0,
    0xb0, 0x13, 0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21, 0xb0, 0xfe, 0xe6, 0x21,
    0xb0, 0x34, 0xe6, 0x43, 0xb0, 0xa9, 0xe6, 0x40, 0xb0, 0x04, 0xe6, 0x40,
    0xfb, 0xf4, 0xeb, 0xfd,
    0xff, 0x06, 0x00, 0x05, 0xb0, 0x20, 0xe6, 0x20, 0xcf,
};

static uint64_t stat_of(struct component *c, const char *name)
{
    for (struct stat_entry *s = c->stats; s; s = s->next)
        if (!strcmp(s->name, name))
            return *s->counter;
    fail_msg("no statistic %s", name);
    return 0;
}

static void test_pc8086_timer_interrupts(void **state)
{
    static uint8_t rom[65536];
    memset(rom, 0xff, sizeof rom);
    memcpy(rom + 0xe000, rom_code, sizeof rom_code);
    static const uint8_t reset[] = { 0xea, 0x00, 0xe0, 0x00, 0xf0 }; /* jmp f000:e000 */
    memcpy(rom + 0xfff0, reset, sizeof reset);
    char path[] = "/tmp/pc8086-romXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, rom, sizeof rom), (ssize_t)sizeof rom);
    close(fd);

    struct cw_error err = {{0}};
    struct ynode *tree = machine_load_file("machines/pc-8086.yaml", &err);
    if (!tree)
        fail_msg("%s", err.msg);
    for (size_t i = 0; machine_alias_path(tree, "bios", i); i++)
        if (machine_set_path(tree, machine_alias_path(tree, "bios", i), path, "test", &err))
            fail_msg("%s", err.msg);
    if (getenv("PC8086_FUNCTIONAL"))
        machine_set_path(tree, "components.cpu0.timing", "functional", "test", &err);
    struct sim *sim = machine_build(tree, &err);
    if (!sim)
        fail_msg("%s", err.msg);
    struct sim_limits lim = { SIM_MS(20), 0, 0 };
    sim_run(sim, &lim);
    struct component *cpu = sim_find_component(sim, "cpu0");
    struct addr_space *mem = sim_find_space(sim, "memory");
    uint16_t ticks = 0;
    as_peek(mem, 0x500, &ticks, 2);
    uint64_t insns = stat_of(cpu, "instructions");
    uint64_t timed = stat_of(cpu, "timing-insns");
    print_message("pc-8086: %u timer interrupts in 20 ms, %llu instructions, %llu cycles\n", ticks,
                  (unsigned long long)insns, (unsigned long long)stat_of(cpu, "cycles"));
    /* a 1 kHz tick for 20 ms: 19 or 20 interrupts */
    assert_true(ticks >= 19 && ticks <= 20);
    assert_true(insns > 30);
    /* every clock of the 8086 model has an owner; the rest is HLT sleep */
    struct x86_timing *t = x86_timing_of(x86_cpu_of(cpu));
    if (!getenv("PC8086_FUNCTIONAL")) {
        assert_int_equal(timed, insns);
        assert_true(x86_timing_owned_cycles(t) > 0);
        assert_true(x86_timing_owned_cycles(t) <= stat_of(cpu, "cycles"));
    }
    sim_destroy(sim);
    ytree_free(tree);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pc8086_timer_interrupts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
