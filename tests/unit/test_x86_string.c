/* test_x86_string.c: REP MOVS/STOS/INS run in bulk (x86_core.c) end exactly as
 * the same instruction run one iteration at a time: each case runs twice on
 * fresh machines, once plainly and once with (empty) timing hooks, which
 * make the core take the per-iteration path, and compares registers, flags,
 * the time-stamp counter read after the instruction and all of memory.
 * Cases: both directions, every element size, page crossings, overlapping
 * source and destination (pattern fills), a segment-limit #GP in the
 * middle, an interruption at the end of a time slice, a zero count; for
 * INS a data port (port 0x1f0) whose transfer ends partway, downwards and
 * byte forms (one by one), a port without block reads (0x80). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

#define RAM (1u << 20)

struct string_case {
    const char *name;
    uint8_t op[4];      /* the string instruction (with its prefixes) */
    unsigned oplen;
    bool std;           /* DF = 1 */
    uint16_t ds, es, si, di, cx;
    uint32_t eax;
    sim_time_t time_limit; /* 0: run to the HLT */
    uint16_t dx;           /* port of INS */
};

struct outcome {
    uint64_t regs[X86_REG_COUNT];
    uint8_t *mem;
    unsigned port_reads; /* data-port reads one by one (read()) */
};

/* A data port at 0x1f0 with a transfer of PORT_WORDS words: word i reads
 * as i * 0x0101 ^ 0x5a3c; the read that takes the last word ends the
 * transfer, after which the port reads as ones. read_rep offers the words
 * before the last one. Port 0x80 counts up and has no block reads. */
#define PORT_WORDS 3000u

struct data_port {
    uint32_t pos;       /* bytes taken */
    bool done;
    unsigned reads;
    uint8_t counter;
};

static uint16_t port_word(uint32_t i)
{
    return (uint16_t)((i * 0x0101u) ^ 0x5a3cu);
}

static uint64_t port_read(void *opaque, uint64_t offset, unsigned size)
{
    struct data_port *p = opaque;
    p->reads++;
    if (offset != 0)
        return p->counter++;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = 0xff;
        if (!p->done) {
            b = (uint8_t)(port_word(p->pos / 2) >> (8 * (p->pos & 1)));
            if (++p->pos == 2 * PORT_WORDS)
                p->done = true;
        }
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static size_t port_read_rep(void *opaque, uint64_t offset, unsigned size, void *buf, size_t count)
{
    struct data_port *p = opaque;
    if (offset != 0 || p->done || size < 2)
        return 0;
    size_t left = (2 * PORT_WORDS - p->pos) / size;
    if (left * size == 2 * PORT_WORDS - p->pos)
        left--;
    size_t n = count < left ? count : left;
    uint8_t *out = buf;
    for (size_t k = 0; k < n * size; k++, p->pos++)
        out[k] = (uint8_t)(port_word(p->pos / 2) >> (8 * (p->pos & 1)));
    return n;
}

static void port_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
}

static const struct mmio_ops data_port_ops = {
    .read = port_read, .write = port_write, .max_access = 4, .read_rep = port_read_rep,
};
static const struct mmio_ops counter_port_ops = { .read = port_read, .write = port_write };

/* 1000:0000: [CLD|STD] op ; RDTSC ; HLT. Vector 13 (#GP) goes to 0000:0600: HLT. */
static void run_case(const struct string_case *c, bool per_iteration, struct outcome *out)
{
    struct x86_rig rig;
    struct cw_error err = {{0}};
    if (x86_rig_create(&rig, RAM, NULL, &err) != 0)
        fail_msg("rig: %s", err.msg);
    for (uint32_t i = 0x20000; i < 0x60000; i++)
        rig.ram_host[i] = (uint8_t)(i * 7 + 3);
    uint8_t *code = rig.ram_host + 0x10000;
    unsigned n = 0;
    code[n++] = c->std ? 0xfd : 0xfc;
    memcpy(code + n, c->op, c->oplen);
    n += c->oplen;
    code[n++] = 0x0f; /* RDTSC */
    code[n++] = 0x31;
    code[n++] = 0xf4; /* HLT */
    rig.ram_host[0x600] = 0xf4;
    rig.ram_host[13 * 4 + 0] = 0x00; /* IVT[13] = 0000:0600 */
    rig.ram_host[13 * 4 + 1] = 0x06;
    struct data_port port = { 0 };
    if (!as_add_mmio(rig.io, NULL, "data-port", 0x1f0, 8, &data_port_ops, &port, &err) ||
        !as_add_mmio(rig.io, NULL, "counter-port", 0x80, 1, &counter_port_ops, &port, &err))
        fail_msg("ports: %s", err.msg);
    if (per_iteration) {
        struct x86_timing_hooks none;
        memset(&none, 0, sizeof none);
        x86_cpu_set_timing_hooks(rig.cpu, &none);
    }
    x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
    x86_cpu_set_reg(rig.cpu, X86_SS, 0);
    x86_cpu_set_reg(rig.cpu, X86_RSP, 0x8000);
    x86_cpu_set_reg(rig.cpu, X86_DS, c->ds);
    x86_cpu_set_reg(rig.cpu, X86_ES, c->es);
    x86_cpu_set_reg(rig.cpu, X86_RSI, c->si);
    x86_cpu_set_reg(rig.cpu, X86_RDI, c->di);
    x86_cpu_set_reg(rig.cpu, X86_RCX, c->cx);
    x86_cpu_set_reg(rig.cpu, X86_RAX, c->eax);
    x86_cpu_set_reg(rig.cpu, X86_RDX, c->dx);
    struct sim_limits lim = { c->time_limit ? c->time_limit : SIM_MS(5), 0, 0 };
    sim_run(rig.sim, &lim);
    for (int r = 0; r < X86_REG_COUNT; r++)
        out->regs[r] = x86_cpu_get_reg(rig.cpu, (enum x86_reg_id)r);
    out->mem = malloc(RAM);
    assert_non_null(out->mem);
    memcpy(out->mem, rig.ram_host, RAM);
    out->port_reads = port.reads;
    x86_rig_destroy(&rig);
}

static void check_case(const struct string_case *c)
{
    struct outcome bulk, single;
    run_case(c, false, &bulk);
    run_case(c, true, &single);
    for (int r = 0; r < X86_REG_COUNT; r++)
        if (bulk.regs[r] != single.regs[r])
            fail_msg("%s: register %d is %llx in bulk, %llx one at a time", c->name, r,
                     (unsigned long long)bulk.regs[r], (unsigned long long)single.regs[r]);
    for (uint32_t a = 0; a < RAM; a++)
        if (bulk.mem[a] != single.mem[a])
            fail_msg("%s: memory at %05x is %02x in bulk, %02x one at a time", c->name, a,
                     bulk.mem[a], single.mem[a]);
    free(bulk.mem);
    free(single.mem);
}

/* Runs an INS case both ways; returns the data-port reads the bulk run
 * made one by one (the per-iteration run makes one per element). */
static unsigned check_ins_case(const struct string_case *c)
{
    struct outcome o;
    run_case(c, false, &o);
    unsigned reads = o.port_reads;
    free(o.mem);
    check_case(c);
    return reads;
}

#define F3 0xf3
#define P66 0x66

static void test_movs(void **state)
{
    static const struct string_case cases[] = {
        { "movsb up across pages", { F3, 0xa4 }, 2, false, 0x2000, 0x3000, 0x0010, 0x2003, 9000, 0, 0 },
        { "movsw down", { F3, 0xa5 }, 2, true, 0x2000, 0x3000, 0x5ffe, 0x7001, 3000, 0, 0 },
        { "movsd up", { P66, F3, 0xa5 }, 3, false, 0x2000, 0x3000, 0x0ffd, 0x0002, 2500, 0, 0 },
        { "movsd down", { P66, F3, 0xa5 }, 3, true, 0x2000, 0x3000, 0x9000, 0x8ff7, 2500, 0, 0 },
        { "movsb overlap +1 (fill)", { F3, 0xa4 }, 2, false, 0x2000, 0x2000, 0x0100, 0x0101, 9000, 0, 0 },
        { "movsw overlap +3", { F3, 0xa5 }, 2, false, 0x2000, 0x2000, 0x0100, 0x0103, 5000, 0, 0 },
        { "movsd overlap down -2", { P66, F3, 0xa5 }, 3, true, 0x2000, 0x2000, 0x8000, 0x7ffe, 3000, 0, 0 },
        { "movsb overlap down", { F3, 0xa4 }, 2, true, 0x2000, 0x2000, 0x8000, 0x8001, 5000, 0, 0 },
        { "movsb ES override source", { F3, 0x26, 0xa4 }, 3, false, 0x2000, 0x3000, 0x0000, 0x4000, 6000, 0, 0 },
        { "movsw zero count", { F3, 0xa5 }, 2, false, 0x2000, 0x3000, 0x0000, 0x0000, 0, 0, 0 },
        /* DI reaches the segment limit: #GP after the iterations that fit */
        { "movsw limit #GP", { F3, 0xa5 }, 2, false, 0x2000, 0x3000, 0x0000, 0xf001, 8000, 0, 0 },
        /* the time slice ends in the middle: the REP restarts later */
        { "movsb sliced", { F3, 0xa4 }, 2, false, 0x2000, 0x3000, 0x0000, 0x0000, 60000, 0,
          SIM_US(30) },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i]);
}

static void test_stos(void **state)
{
    static const struct string_case cases[] = {
        { "stosb up", { F3, 0xaa }, 2, false, 0, 0x3000, 0, 0x0123, 20000, 0x5a, 0 },
        { "stosw down", { F3, 0xab }, 2, true, 0, 0x3000, 0, 0xfffe, 20000, 0xbeef, 0 },
        { "stosd up", { P66, F3, 0xab }, 3, false, 0, 0x3000, 0, 0x0002, 9000, 0x12345678, 0 },
        { "stosd down odd", { P66, F3, 0xab }, 3, true, 0, 0x3000, 0, 0x9003, 9000, 0x9abcdef0, 0 },
        { "stosw limit #GP", { F3, 0xab }, 2, false, 0, 0x3000, 0, 0xff00, 300, 0x1111, 0 },
        { "stosd sliced", { P66, F3, 0xab }, 3, false, 0, 0x3000, 0, 0, 16000, 0x77777777,
          SIM_US(20) },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i]);
}

static void test_ins(void **state)
{
    /* the whole transfer and past its end: all but the last word in bulk */
    static const struct string_case past_end = { "insw past the end", { F3, 0x6d }, 2, false, 0, 0x3000,
                                                 0, 0x0100, PORT_WORDS + 40, 0, 0, 0x1f0 };
    unsigned reads = check_ins_case(&past_end);
    assert_true(reads > 40 && reads < 100); /* page edges, the last word, the 40 ones */
    static const struct string_case cases[] = {
        { "insd up across pages", { P66, F3, 0x6d }, 3, false, 0, 0x3000, 0, 0x0ffa, 1400, 0, 0, 0x1f0 },
        { "insw down (one by one)", { F3, 0x6d }, 2, true, 0, 0x3000, 0, 0x9000, 2000, 0, 0, 0x1f0 },
        { "insb (one by one)", { F3, 0x6c }, 2, false, 0, 0x3000, 0, 0x0000, 500, 0, 0, 0x1f0 },
        { "insw limit #GP", { F3, 0x6d }, 2, false, 0, 0x3000, 0, 0xfc01, 2000, 0, 0, 0x1f0 },
        { "insw sliced", { F3, 0x6d }, 2, false, 0, 0x3000, 0, 0x0000, PORT_WORDS - 1, 0, SIM_US(10),
          0x1f0 },
        { "insw from a port without block reads", { F3, 0x6d }, 2, false, 0, 0x3000, 0, 0x0000, 300, 0,
          0, 0x80 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_ins_case(&cases[i]);
}

/* A sliced run really stops in the middle: CX is left between 0 and the
 * start (so the comparison above covers the restart). */
static void test_slice_stops_midway(void **state)
{
    static const struct string_case c = { "stosb sliced", { F3, 0xaa }, 2, false, 0, 0x3000, 0, 0,
                                          60000, 0x42, SIM_US(30) };
    struct outcome o;
    run_case(&c, false, &o);
    assert_true(o.regs[X86_RCX] > 0 && o.regs[X86_RCX] < 60000);
    assert_int_equal(o.regs[X86_RDI], 60000 - o.regs[X86_RCX]);
    assert_int_equal(o.mem[0x30000 + o.regs[X86_RDI] - 1], 0x42);
    assert_int_not_equal(o.mem[0x30000 + o.regs[X86_RDI]], 0x42);
    free(o.mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_movs),
        cmocka_unit_test(test_stos),
        cmocka_unit_test(test_ins),
        cmocka_unit_test(test_slice_stops_midway),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
