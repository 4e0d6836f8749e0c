/* bench_timing.c: speed of the x86 core under its timing models on guest
 * loops, run through sim_run like a machine would: the functional model
 * beside the pipeline model (prefetch queue, bus, execute table), for the
 * p6 and 286 tables, and the clock-level 8086 and 80286 bus models. Prints "name<TAB>value<TAB>unit". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs `code` (real mode at 1000:0000) for `insns` instructions; returns insns/s. */
static double bench_loop(const char *yaml, const uint8_t *code, size_t len, uint64_t insns)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    if (x86_rig_create(&rig, 4 << 20, yaml, &err) != 0) {
        fprintf(stderr, "bench_timing: %s\n", err.msg);
        return 0;
    }
    memcpy(rig.ram_host + 0x10000, code, len);
    x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
    struct sim_limits lim = { SIM_TIME_MAX, 0, insns };
    double t0 = now_s();
    sim_run(rig.sim, &lim);
    double dt = now_s() - t0;
    uint64_t done = sim_total_insns(rig.sim);
    x86_rig_destroy(&rig);
    return dt > 0 ? (double)done / dt : 0;
}

int main(void)
{
    /* mov cx,0 ; l: add ax,cx ; inc bx ; dec cx ; jnz l ; jmp 0 */
    static const uint8_t alu_loop[] = { 0xb9, 0x00, 0x00, 0x01, 0xc8, 0x43, 0x49,
                                        0x75, 0xfa, 0xeb, 0xf3 };
    /* l: mov [si],ax ; add ax,[si+2] ; add si,2 ; and si,0x3ff ; jmp l */
    static const uint8_t mem_loop[] = { 0x89, 0x04, 0x03, 0x44, 0x02, 0x83, 0xc6, 0x02,
                                        0x81, 0xe6, 0xff, 0x03, 0xeb, 0xf2 };
    printf("timing functional insns/s\t%.0f\tinsns/s\n",
           bench_loop(NULL, alu_loop, sizeof alu_loop, 100000000));
    printf("timing pipeline p6 insns/s\t%.0f\tinsns/s\n",
           bench_loop("timing: pipeline\n", alu_loop, sizeof alu_loop, 30000000));
    printf("timing pipeline p6 memory-loop insns/s\t%.0f\tinsns/s\n",
           bench_loop("timing: pipeline\n", mem_loop, sizeof mem_loop, 30000000));
    printf("timing pipeline 8086 (clock-exact bus) insns/s\t%.0f\tinsns/s\n",
           bench_loop("profile: \"286\"\ntiming: pipeline\npipeline:\n  table: \"8086\"\n", alu_loop,
                      sizeof alu_loop, 3000000));
    printf("timing pipeline 286 insns/s\t%.0f\tinsns/s\n",
           bench_loop("profile: \"286\"\ntiming: pipeline\npipeline: {exact: false}\n", alu_loop,
                      sizeof alu_loop, 30000000));
    printf("timing pipeline 286 (exact bus model) insns/s\t%.0f\tinsns/s\n",
           bench_loop("profile: \"286\"\ntiming: pipeline\npipeline: {exact: true}\n", alu_loop,
                      sizeof alu_loop, 10000000));
    return 0;
}
