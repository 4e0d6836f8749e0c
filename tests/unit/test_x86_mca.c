/* test_x86_mca.c: machine-check architecture of the x86 core (p6 profile):
 * CPUID.1 EDX MCE/MCA, CR4.MCE, IA32_MCG_CAP/STATUS and the banks'
 * MCi_CTL/STATUS/ADDR/MISC with their #GP rules (Intel SDM vol. 3B ch. 15),
 * and the sequence Linux runs at boot (mce/core.c). Each case executes one
 * instruction in real mode with x86_cpu_step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

#define MCA_BANKS 10
#define VEC_GP 13

/* The instructions sit at fixed offsets of segment 1000 (written once:
 * the core caches decoded instructions). */
enum { OP_RDMSR = 0x00, OP_WRMSR = 0x10, OP_CPUID = 0x20, OP_MOV_CR4_EAX = 0x30 };

static void rig_up(struct x86_rig *rig, const char *yaml)
{
    static const uint8_t rdmsr_op[] = { 0x0f, 0x32 }, wrmsr_op[] = { 0x0f, 0x30 },
                         cpuid_op[] = { 0x0f, 0xa2 }, mov_cr4_op[] = { 0x0f, 0x22, 0xe0 };
    struct cw_error err = {{0}};
    if (x86_rig_create(rig, 1 << 20, yaml, &err) != 0)
        fail_msg("rig: %s", err.msg);
    memcpy(rig->ram_host + 0x10000 + OP_RDMSR, rdmsr_op, sizeof rdmsr_op);
    memcpy(rig->ram_host + 0x10000 + OP_WRMSR, wrmsr_op, sizeof wrmsr_op);
    memcpy(rig->ram_host + 0x10000 + OP_CPUID, cpuid_op, sizeof cpuid_op);
    memcpy(rig->ram_host + 0x10000 + OP_MOV_CR4_EAX, mov_cr4_op, sizeof mov_cr4_op);
}

/* Runs the instruction at 1000:op with EAX/ECX/EDX set; returns the vector
 * it raised or -1. */
static int run1(struct x86_rig *rig, unsigned op, uint64_t eax, uint64_t ecx, uint64_t edx)
{
    x86_cpu_set_reg(rig->cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig->cpu, X86_RIP, op);
    x86_cpu_set_reg(rig->cpu, X86_SS, 0);
    x86_cpu_set_reg(rig->cpu, X86_RSP, 0x8000);
    x86_cpu_set_reg(rig->cpu, X86_RAX, eax);
    x86_cpu_set_reg(rig->cpu, X86_RCX, ecx);
    x86_cpu_set_reg(rig->cpu, X86_RDX, edx);
    return x86_cpu_step(rig->cpu);
}

static int wrmsr(struct x86_rig *rig, uint32_t msr, uint64_t v)
{
    return run1(rig, OP_WRMSR, v & 0xffffffffu, msr, v >> 32);
}

/* RDMSR; returns the vector, the value in *v */
static int rdmsr(struct x86_rig *rig, uint32_t msr, uint64_t *v)
{
    int vec = run1(rig, OP_RDMSR, 0x5a5a5a5a, msr, 0xa5a5a5a5);
    *v = (x86_cpu_get_reg(rig->cpu, X86_RDX) << 32) | (x86_cpu_get_reg(rig->cpu, X86_RAX) & 0xffffffffu);
    return vec;
}

static uint32_t cpuid1_edx(struct x86_rig *rig)
{
    assert_int_equal(run1(rig, OP_CPUID, 1, 0, 0), -1);
    return (uint32_t)x86_cpu_get_reg(rig->cpu, X86_RDX);
}

static void test_cpuid_advertises_mce_mca(void **state)
{
    struct x86_rig rig;
    rig_up(&rig, NULL);
    uint32_t edx = cpuid1_edx(&rig);
    assert_true(edx & (1u << 7));  /* MCE */
    assert_true(edx & (1u << 14)); /* MCA */
    x86_rig_destroy(&rig);
}

static void test_cr4_mce(void **state)
{
    struct x86_rig rig;
    rig_up(&rig, NULL);
    assert_int_equal(run1(&rig, OP_MOV_CR4_EAX, 0x40, 0, 0), -1);
    assert_int_equal(x86_cpu_get_reg(rig.cpu, X86_CR4), 0x40);
    x86_rig_destroy(&rig);
}

static void test_mcg_cap_status(void **state)
{
    struct x86_rig rig;
    rig_up(&rig, NULL);
    uint64_t v;
    assert_int_equal(rdmsr(&rig, 0x179, &v), -1);
    assert_int_equal(v, MCA_BANKS); /* count 10, no MCG_CTL_P, no extensions */
    assert_int_equal(wrmsr(&rig, 0x179, MCA_BANKS), VEC_GP); /* read-only */
    assert_int_equal(rdmsr(&rig, 0x17a, &v), -1);
    assert_int_equal(v, 0);
    assert_int_equal(wrmsr(&rig, 0x17a, 4), -1); /* MCIP: software may set it */
    assert_int_equal(rdmsr(&rig, 0x17a, &v), -1);
    assert_int_equal(v, 4);
    assert_int_equal(wrmsr(&rig, 0x17a, 0), -1);
    assert_int_equal(rdmsr(&rig, 0x17a, &v), -1);
    assert_int_equal(v, 0);
    assert_int_equal(wrmsr(&rig, 0x17a, 8), VEC_GP);          /* reserved bit 3 */
    assert_int_equal(wrmsr(&rig, 0x17a, 1ull << 40), VEC_GP); /* reserved high bits */
    /* MCG_CTL is absent without MCG_CTL_P */
    assert_int_equal(rdmsr(&rig, 0x17b, &v), VEC_GP);
    assert_int_equal(wrmsr(&rig, 0x17b, ~0ull), VEC_GP);
    x86_rig_destroy(&rig);
}

static void test_bank_ctl(void **state)
{
    struct x86_rig rig;
    rig_up(&rig, NULL);
    uint64_t v;
    for (uint32_t i = 0; i < MCA_BANKS; i++) {
        uint32_t ctl = 0x400 + 4 * i;
        assert_int_equal(wrmsr(&rig, ctl, ~0ull), -1);
        assert_int_equal(rdmsr(&rig, ctl, &v), -1);
        assert_true(v == ~0ull);
        assert_int_equal(wrmsr(&rig, ctl, 0), -1);
        assert_int_equal(rdmsr(&rig, ctl, &v), -1);
        assert_int_equal(v, 0);
        /* P6 family: only all 1s or all 0s */
        assert_int_equal(wrmsr(&rig, ctl, 1), VEC_GP);
        assert_int_equal(wrmsr(&rig, ctl, 0xffffffffull), VEC_GP);
        assert_int_equal(rdmsr(&rig, ctl, &v), -1);
        assert_int_equal(v, 0);
    }
    x86_rig_destroy(&rig);
}

static void test_bank_status_addr_misc(void **state)
{
    struct x86_rig rig;
    rig_up(&rig, NULL);
    uint64_t v;
    for (uint32_t i = 0; i < MCA_BANKS; i++) {
        for (uint32_t reg = 1; reg < 4; reg++) { /* STATUS, ADDR, MISC */
            uint32_t msr = 0x400 + 4 * i + reg;
            assert_int_equal(rdmsr(&rig, msr, &v), -1);
            assert_int_equal(v, 0); /* nothing logged: VAL clear */
            assert_int_equal(wrmsr(&rig, msr, 0), -1);
            /* writing 1s raises #GP: only clearing is allowed */
            assert_int_equal(wrmsr(&rig, msr, 1), VEC_GP);
            assert_int_equal(wrmsr(&rig, msr, 1ull << 63), VEC_GP);
            assert_int_equal(rdmsr(&rig, msr, &v), -1);
            assert_int_equal(v, 0);
        }
    }
    /* no bank 10 */
    assert_int_equal(rdmsr(&rig, 0x400 + 4 * MCA_BANKS, &v), VEC_GP);
    assert_int_equal(wrmsr(&rig, 0x400 + 4 * MCA_BANKS + 1, 0), VEC_GP);
    x86_rig_destroy(&rig);
}

/* What Linux 6.12 does (mce/core.c): MCG_CAP for the bank count, poll every
 * bank's STATUS, set CR4.MCE, write CTL all 1s and STATUS 0 for banks 1-9
 * (the Core 2 quirk leaves bank 0 alone), read CTL back; the poll timer then
 * reads MCG_STATUS and each STATUS. No access may fault. */
static void test_linux_init_sequence(void **state)
{
    struct x86_rig rig;
    rig_up(&rig, NULL);
    uint64_t cap, v;
    uint32_t edx = cpuid1_edx(&rig);
    assert_true((edx & (1u << 7)) && (edx & (1u << 14)));
    assert_int_equal(rdmsr(&rig, 0x179, &cap), -1);
    unsigned banks = (unsigned)(cap & 0xff);
    assert_int_equal(banks, MCA_BANKS);
    for (unsigned i = 0; i < banks; i++) {
        assert_int_equal(rdmsr(&rig, 0x400 + 4 * i + 1, &v), -1);
        assert_false(v >> 63); /* VAL */
    }
    assert_int_equal(run1(&rig, OP_MOV_CR4_EAX, 0x40, 0, 0), -1);
    for (unsigned i = 1; i < banks; i++) {
        assert_int_equal(wrmsr(&rig, 0x400 + 4 * i, ~0ull), -1);
        assert_int_equal(wrmsr(&rig, 0x400 + 4 * i + 1, 0), -1);
        assert_int_equal(rdmsr(&rig, 0x400 + 4 * i, &v), -1);
        assert_true(v != 0);
    }
    assert_int_equal(rdmsr(&rig, 0x17a, &v), -1);
    assert_int_equal(v, 0);
    for (unsigned i = 0; i < banks; i++) {
        assert_int_equal(rdmsr(&rig, 0x400 + 4 * i + 1, &v), -1);
        assert_int_equal(v, 0);
    }
    x86_rig_destroy(&rig);
}

/* Masking CPUID.MCA away (cpuid-edx-mask) removes the MSRs; the 386
 * profile has no machine check at all. */
static void test_without_mca(void **state)
{
    struct x86_rig rig;
    uint64_t v;
    rig_up(&rig, "cpuid-edx-mask: 0xffffbfff\n");
    uint32_t edx = cpuid1_edx(&rig);
    assert_false(edx & (1u << 14));
    assert_true(edx & (1u << 7));
    assert_int_equal(rdmsr(&rig, 0x179, &v), VEC_GP);
    assert_int_equal(wrmsr(&rig, 0x401, 0), VEC_GP);
    x86_rig_destroy(&rig);

    rig_up(&rig, "profile: \"386\"\n");
    edx = cpuid1_edx(&rig);
    assert_false(edx & ((1u << 7) | (1u << 14)));
    assert_int_equal(rdmsr(&rig, 0x179, &v), VEC_GP);
    x86_rig_destroy(&rig);
}

/* Reset clears MCG_STATUS and the bank controls. */
static void test_reset(void **state)
{
    struct x86_rig rig;
    rig_up(&rig, NULL);
    uint64_t v;
    assert_int_equal(wrmsr(&rig, 0x17a, 7), -1);
    assert_int_equal(wrmsr(&rig, 0x404, ~0ull), -1);
    rig.comp->type->reset(rig.comp);
    assert_int_equal(rdmsr(&rig, 0x17a, &v), -1);
    assert_int_equal(v, 0);
    assert_int_equal(rdmsr(&rig, 0x404, &v), -1);
    assert_int_equal(v, 0);
    x86_rig_destroy(&rig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpuid_advertises_mce_mca),
        cmocka_unit_test(test_cr4_mce),
        cmocka_unit_test(test_mcg_cap_status),
        cmocka_unit_test(test_bank_ctl),
        cmocka_unit_test(test_bank_status_addr_misc),
        cmocka_unit_test(test_linux_init_sequence),
        cmocka_unit_test(test_without_mca),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
