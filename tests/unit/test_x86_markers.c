/* test_x86_markers.c: the x86 core's boot-phase markers (param `markers`):
 * each address marker is recorded once, at the first instruction fetched at
 * its linear address, in execution order; addresses never executed give no
 * marker; too many address markers are a configuration error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

/* Real-mode code at 1000:0000 (linear 0x10000): jumps over 0x10030, runs
 * the instruction at 0x10020 twice (LOOP), then halts. */
static const uint8_t program[] = {
    [0x00] = 0xeb, 0x0e,                         /* jmp 0x10010 */
    [0x10] = 0xb9, 0x02, 0x00,                   /* mov cx, 2 */
    [0x13] = 0xeb, 0x0b,                         /* jmp 0x10020 */
    [0x20] = 0x90,                               /* nop (loop target) */
    [0x21] = 0xe2, 0xfd,                         /* loop 0x10020 */
    [0x23] = 0xeb, 0x0d,                         /* jmp 0x10032 */
    [0x30] = 0x90,                               /* never executed */
    [0x32] = 0xf4,                               /* hlt */
};

static void test_address_markers(void **state)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    const char *yaml = "markers:\n"
                       "  loop-body: 0x10020\n"
                       "  skipped: 0x10030\n"
                       "  after-jump: 0x10010\n"
                       "  halt: 0x10032\n";
    if (x86_rig_create(&rig, 1 << 20, yaml, &err) != 0)
        fail_msg("rig: %s", err.msg);
    memcpy(rig.ram_host + 0x10000, program, sizeof program);
    x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
    struct sim_limits lim = { SIM_MS(1), 0, 1000 };
    sim_run(rig.sim, &lim);

    assert_int_equal(sim_marker_count(rig.sim), 3);
    assert_string_equal(sim_marker_get(rig.sim, 0)->name, "after-jump");
    assert_string_equal(sim_marker_get(rig.sim, 1)->name, "loop-body");
    assert_string_equal(sim_marker_get(rig.sim, 2)->name, "halt");
    assert_true(sim_marker_get(rig.sim, 0)->time <= sim_marker_get(rig.sim, 1)->time);
    assert_true(sim_marker_get(rig.sim, 1)->time <= sim_marker_get(rig.sim, 2)->time);
    x86_rig_destroy(&rig);
}

static void test_too_many_address_markers(void **state)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    char yaml[512] = "markers:\n";
    for (int i = 0; i < 9; i++) {
        char line[48];
        snprintf(line, sizeof line, "  m%d: %#x\n", i, 0x10000 + i);
        strcat(yaml, line);
    }
    assert_int_not_equal(x86_rig_create(&rig, 1 << 20, yaml, &err), 0);
    assert_non_null(strstr(err.msg, "at most 8 address markers"));
    x86_rig_destroy(&rig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_markers),
        cmocka_unit_test(test_too_many_address_markers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
