/* bench_cpu.c: speed of the x86 core's functional model on guest loops,
 * run through sim_run like a machine would, per CPU-second of this process
 * (a busy host does not skew it). Prints "name<TAB>value<TAB>unit". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs `code` (real mode at 1000:0000) for `insns` instructions; returns insns/s. */
static double bench_loop(const uint8_t *code, size_t len, uint64_t insns)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    if (x86_rig_create(&rig, 4 << 20, NULL, &err) != 0) {
        fprintf(stderr, "bench_cpu: %s\n", err.msg);
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

int main(int argc, char **argv)
{
    /* optional instruction count (small for callgrind; default 2e8) */
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 200000000;
    /* mov cx,0 ; l: add ax,cx ; inc bx ; dec cx ; jnz l ; jmp 0 */
    static const uint8_t alu_loop[] = { 0xb9, 0x00, 0x00, 0x01, 0xc8, 0x43, 0x49,
                                        0x75, 0xfa, 0xeb, 0xf3 };
    /* memory loop: l: mov [si],ax ; add ax,[si+2] ; add si,2 ; and si,0x3ff ; jmp l */
    static const uint8_t mem_loop[] = { 0x89, 0x04, 0x03, 0x44, 0x02, 0x83, 0xc6, 0x02,
                                        0x81, 0xe6, 0xff, 0x03, 0xeb, 0xf2 };
    printf("cpu functional insns/s\t%.0f\tinsns/s\n", bench_loop(alu_loop, sizeof alu_loop, n));
    printf("cpu functional memory-loop insns/s\t%.0f\tinsns/s\n",
           bench_loop(mem_loop, sizeof mem_loop, n / 2));
    return 0;
}
