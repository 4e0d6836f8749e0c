/* test_timing_286.c: instruction clock counts of the pipeline timing model
 * with the 80286 table against the hardware captures of SingleStepTests
 * 80286 real mode (Harris 80C286-12; /work/shared/data/singlestep/README.md):
 * each test starts from a flushed queue; the captured clocks (CYCL entries)
 * are compared with the clocks the model charges for the instruction.
 * The model is the 80286 bus model (pipeline.exact, biu_286.c). Reports
 * exact and within-2-clocks rates per opcode file and overall, and the tests
 * not exact by file and kind; fails when the exact count drops below
 * T286_BASELINE_EXACT. T286_ONLY=F runs the files starting with F,
 * T286_VERBOSE=1 prints every test not exact. Files with status
 * "fpu" or "undefined" and revoked tests are skipped, as in test_x86_moo. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86.h"
#include "tests/lib/moo.h"
#include "kernel/bus.h"
#include "tests/lib/x86_test_machine.h"

#ifndef T286_DIR
#define T286_DIR "/work/shared/data/singlestep/80286-real-mode"
#endif
#define T286_BASELINE_EXACT 96816

static const enum x86_reg_id moo_regs[MOO_NREGS] = {
    X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_CS, X86_SS, X86_DS, X86_ES,
    X86_RSP, X86_RBP, X86_RSI, X86_RDI, X86_RIP, X86_RFLAGS,
};

/* What kind of instruction a test that is not exact runs: an exception
 * entry (the capture records one), a REP string instruction, else by how
 * far the model is off. */
enum { T286_MISS_EXCEPTION, T286_MISS_REP, T286_MISS_ONE, T286_MISS_OTHER, T286_MISS_KINDS };
static const char *const t286_miss_names[T286_MISS_KINDS] = { "exception", "rep-string",
                                                              "one-clock", "other" };

static unsigned t286_miss_kind(const struct moo_test *t, long d)
{
    if (t->has_excp)
        return T286_MISS_EXCEPTION;
    for (uint32_t i = 0; i < t->nbytes; i++) {
        uint8_t b = t->bytes[i];
        if (b == 0xf2 || b == 0xf3)
            return T286_MISS_REP;
        if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e && b != 0xf0)
            break;
    }
    return d == 1 || d == -1 ? T286_MISS_ONE : T286_MISS_OTHER;
}

static uint32_t rd32(const uint8_t *e)
{
    return (uint32_t)(e[0] | (e[1] << 8) | (e[2] << 16) | ((uint32_t)e[3] << 24));
}

static void test_286_clock_counts(void **state)
{
    struct moo_meta *meta = moo_meta_load(T286_DIR "/metadata.json");
    if (!meta) {
        print_message("SingleStepTests 80286 data not found at %s: skipped\n", T286_DIR);
        skip();
    }
    FILE *rf = fopen(T286_DIR "/revocation_list.txt", "rb");
    char *revoked = NULL;
    if (rf) {
        fseek(rf, 0, SEEK_END);
        long n = ftell(rf);
        fseek(rf, 0, SEEK_SET);
        revoked = calloc(1, (size_t)n + 1);
        if (fread(revoked, 1, (size_t)n, rf) != (size_t)n)
            revoked[0] = 0;
        fclose(rf);
    }
    struct x86_rig rig;
    struct cw_error err = {{0}};
    if (x86_rig_create(&rig, 16 << 20, "profile: \"286\"\ntiming: pipeline\npipeline: {exact: true}\n", &err) != 0)
        fail_msg("rig: %s", err.msg);
    char **names;
    size_t nf = moo_list(T286_DIR, &names);
    unsigned exact = 0, near = 0, run = 0, skipped = 0;
    static char misses[16384];
    size_t misses_len = 0;
    unsigned total_kind[T286_MISS_KINDS] = { 0 };
    const char *only = getenv("T286_ONLY");
    bool verbose = getenv("T286_VERBOSE") != NULL;
    for (size_t fi = 0; fi < nf; fi++) {
        if (only && strncmp(names[fi], only, strlen(only)))
            continue;
        char key[16];
        snprintf(key, sizeof key, "%s", names[fi]);
        char *dot = strstr(key, ".MOO");
        if (dot)
            *dot = 0;
        const char *status = moo_meta_status(meta, key);
        bool skip_file = !strcmp(status, "fpu") || !strcmp(status, "undefined");
        char path[512];
        snprintf(path, sizeof path, "%s/%s", T286_DIR, names[fi]);
        struct moo_file f;
        if (moo_open(&f, path) != 0)
            fail_msg("cannot read %s", path);
        struct moo_test t;
        unsigned fx = 0, fn = 0, fr = 0;
        unsigned miss_kind[T286_MISS_KINDS] = { 0 };
        long diff_sum = 0;
        while (moo_next(&f, &t)) {
            if (skip_file || (revoked && strstr(revoked, t.hash))) {
                skipped++;
                continue;
            }
            rig.comp->type->reset(rig.comp);
            for (uint32_t i = 0; i < t.init.nram; i++)
                as_load(rig.mem, rd32(t.init.ram + 5 * i) & 0xffffff, t.init.ram + 5 * i + 4, 1);
            for (int i = 0; i < MOO_NREGS; i++)
                x86_cpu_set_reg(rig.cpu, moo_regs[i], t.init.regs[i]);
            /* the capture starts from a flushed queue: a fresh model state */
            struct x86_timing *tm = x86_timing_of(rig.cpu);
            x86_timing_switch(tm, X86_TIMING_FUNCTIONAL);
            x86_timing_switch(tm, X86_TIMING_PIPELINE);
            uint64_t before = x86_timing_owned_cycles(tm);
            x86_cpu_step(rig.cpu);
            /* the captures run on to the HLT after the instruction and end
             * with the first clock of its halt bus cycle */
            uint32_t lin = (uint32_t)(x86_cpu_get_reg(rig.cpu, X86_CS) * 16 +
                                      x86_cpu_get_reg(rig.cpu, X86_RIP));
            uint8_t next = 0;
            as_peek(rig.mem, lin & 0xffffff, &next, 1);
            if (next == 0xf4)
                x86_cpu_step(rig.cpu);
            uint64_t got = x86_timing_owned_cycles(tm) - before + 1;
            static const uint8_t zero;
            for (uint32_t i = 0; i < t.init.nram; i++)
                as_load(rig.mem, rd32(t.init.ram + 5 * i) & 0xffffff, &zero, 1);
            for (uint32_t i = 0; i < t.fina.nram; i++)
                as_load(rig.mem, rd32(t.fina.ram + 5 * i) & 0xffffff, &zero, 1);
            long d = (long)got - (long)t.ncycles;
            if (d)
                miss_kind[t286_miss_kind(&t, d)]++;
            if (d && verbose)
                printf("  %s: %s captured %u model %llu\n", key, t.name, t.ncycles,
                       (unsigned long long)got);
            diff_sum += d;
            fr++;
            if (d == 0)
                fx++;
            if (d >= -2 && d <= 2)
                fn++;
        }
        moo_close(&f);
        run += fr;
        exact += fx;
        near += fn;
        if (fr)
            printf("%-6s exact %3u within-2 %3u of %3u, mean difference %+.1f clocks\n", key, fx, fn,
                   fr, (double)diff_sum / fr);
        if (fx < fr) {
            int n = snprintf(misses + misses_len, sizeof misses - misses_len, "  %-5s %3u:", key,
                             fr - fx);
            misses_len += n > 0 ? (size_t)n : 0;
            for (unsigned k = 0; k < T286_MISS_KINDS && misses_len < sizeof misses; k++) {
                if (!miss_kind[k])
                    continue;
                n = snprintf(misses + misses_len, sizeof misses - misses_len, " %s %u,",
                             t286_miss_names[k], miss_kind[k]);
                misses_len += n > 0 ? (size_t)n : 0;
                total_kind[k] += miss_kind[k];
            }
            if (misses_len < sizeof misses)
                misses[misses_len - 1] = '\n';
        }
    }
    moo_names_free(names, nf);
    moo_meta_free(meta);
    free(revoked);
    x86_rig_destroy(&rig);
    printf("Tests not exact, by opcode file and kind (docs/timing.md explains them):\n%s",
           misses_len ? misses : "  none\n");
    for (unsigned k = 0; k < T286_MISS_KINDS; k++)
        printf("%s%s %u", k ? ", " : "by kind: ", t286_miss_names[k], total_kind[k]);
    printf("\n");
    printf("80286 clock counts: %u of %u exact (%.2f%%), %u within 2 clocks (%.2f%%), %u skipped\n",
           exact, run, run ? 100.0 * exact / run : 0.0, near, run ? 100.0 * near / run : 0.0, skipped);
    assert_true(run > 0);
    unsigned baseline = T286_BASELINE_EXACT;
    if (exact < baseline)
        fail_msg("%u exact, below the baseline %u", exact, baseline);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_286_clock_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
