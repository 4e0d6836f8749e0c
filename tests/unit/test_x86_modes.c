/* test_x86_modes.c: runs the nasm CPU mode test programs (tests/cpu/NAME.asm:
 * protected mode switches, paging, exceptions, task switches, virtual-8086
 * mode, long mode) on a small machine through the normal run loop (sim_run) and
 * checks the exit code they report on port 0xF4 (harness.inc). nasm is run
 * at test time; without it the tests are skipped with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

#ifndef CPU_TEST_DIR
#define CPU_TEST_DIR "tests/cpu"
#endif

struct port_state {
    struct sim *sim;
    int exit_code;
    char out[256];
    size_t outlen;
};

static uint64_t port_read(void *opaque, uint64_t offset, unsigned size)
{
    return ~0ull;
}

static void port_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct port_state *ps = opaque;
    if (offset == 0) { /* 0xE9 */
        if (ps->outlen + 1 < sizeof ps->out)
            ps->out[ps->outlen++] = (char)value;
        return;
    }
    if (offset == 0xf4 - 0xe9) {
        ps->exit_code = (int)(value & 0xff);
        sim_request_stop(ps->sim, SIM_STOP_REQUEST);
    }
}

static const struct mmio_ops port_ops = { port_read, port_write, NULL, 1 };

static void run_program(const char *name)
{
    char src[256], bin[256], cmd[700];
    snprintf(src, sizeof src, "%s/%s.asm", CPU_TEST_DIR, name);
    snprintf(bin, sizeof bin, "/tmp/cw_x86_%s_%d.bin", name, (int)getpid());
    if (system("nasm -v >/dev/null 2>&1") != 0) {
        print_message("nasm not found: %s skipped\n", name);
        skip();
    }
    snprintf(cmd, sizeof cmd, "nasm -f bin -I %s/ -o %s %s", CPU_TEST_DIR, bin, src);
    if (system(cmd) != 0)
        fail_msg("nasm failed for %s", src);
    FILE *f = fopen(bin, "rb");
    assert_non_null(f);
    static uint8_t image[65536];
    size_t n = fread(image, 1, sizeof image, f);
    fclose(f);
    unlink(bin);

    struct x86_rig rig;
    struct cw_error err = {{0}};
    if (x86_rig_create(&rig, 16 << 20, NULL, &err) != 0)
        fail_msg("rig: %s", err.msg);
    struct port_state ps = { rig.sim, -1, "", 0 };
    if (!as_add_mmio(rig.io, NULL, "testport", 0xe9, 0xf4 - 0xe9 + 1, &port_ops, &ps, &err))
        fail_msg("port: %s", err.msg);
    memcpy(rig.ram_host + 0x10000, image, n);
    if (getenv("X86_TRACE")) /* debugging aid: per-instruction trace on stderr */
        x86_cpu_set_insn_trace(rig.cpu, stderr);
    x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
    struct sim_limits lim = { SIM_MS(100), 0, 20000000 };
    enum sim_stop_reason why = sim_run(rig.sim, &lim);
    uint64_t eip = x86_cpu_get_reg(rig.cpu, X86_RIP);
    uint64_t cs = x86_cpu_get_reg(rig.cpu, X86_CS);
    x86_rig_destroy(&rig);
    if (ps.exit_code != 0)
        fail_msg("%s: exit code %d (stop: %s) at %04llx:%08llx, output '%.*s'", name,
                 ps.exit_code, sim_stop_reason_name(why), (unsigned long long)cs,
                 (unsigned long long)eip, (int)ps.outlen, ps.out);
}

static void test_pm_switch(void **state) { run_program("pm_switch"); }
static void test_exceptions(void **state) { run_program("exceptions"); }
static void test_paging(void **state) { run_program("paging"); }
static void test_task_switch(void **state) { run_program("task_switch"); }
static void test_v86(void **state) { run_program("v86"); }
static void test_long_mode(void **state) { run_program("long_mode"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pm_switch),
        cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_task_switch),
        cmocka_unit_test(test_v86),
        cmocka_unit_test(test_long_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
