/* test_timing_mmu.c: the timing MMU of the x86 pipeline model (timing_mmu.h):
 * set-associative TLB replacement (LRU, FIFO, random) on hand-traced
 * sequences, global entries, geometry errors, and page-walk costs for the
 * 32-bit (4 KiB and PSE 4 MiB), PAE and IA-32e formats computed by hand:
 * walk = walk-cycles + per read (read-cycles + memory latency in clocks),
 * with the reads seen as BUS_WALK_READ transactions at their times, through
 * a fixed-latency RAM and through the DDR3-1600 DRAM model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/timing_mmu.h"
#include "models/cpu/x86/x86.h"
#include "tests/lib/x86_test_machine.h"

#define PERIOD_PS 1000   /* a 1 GHz core */
#define RAM_LATENCY 10000 /* 10 ns: 10 clocks per table read */
#define WALK_CYCLES 5
#define READ_CYCLES 3
#define START_PS 1000000 /* walks start 1 us into the run */

/* --- TLB replacement --------------------------------------------------------------- */

/* One access: a hit, or a miss that fills the entry (as a walk would). */
static bool touch(struct x86_tmmu_tlb *t, uint64_t vpn)
{
    if (x86_tmmu_tlb_lookup(t, vpn))
        return true;
    x86_tmmu_tlb_insert(t, vpn, false);
    return false;
}

static void run_sequence(enum x86_tmmu_repl repl, const char *want)
{
    /* 4 entries in 2 ways: 2 sets, set = vpn & 1. A, B, C all map to set 0. */
    struct x86_tmmu_tlb t;
    struct cw_error err = {{0}};
    assert_int_equal(x86_tmmu_tlb_init(&t, 4, 2, repl, &err), 0);
    const uint64_t A = 0, B = 2, C = 4, D = 1;
    assert_false(touch(&t, D)); /* set 1: must survive everything below */
    const uint64_t seq[] = { A, B, A, C, A, B, C, A };
    char got[9] = { 0 };
    for (int i = 0; i < 8; i++)
        got[i] = touch(&t, seq[i]) ? 'H' : 'M';
    assert_string_equal(got, want);
    assert_true(x86_tmmu_tlb_lookup(&t, D));
    x86_tmmu_tlb_free(&t);
}

static void test_lru_sequence(void **state)
{
    /* A B (set full) A:hit (A newest) C: evicts B; A:hit; B: evicts C (A
     * was used after C); C: evicts A; A: evicts B */
    run_sequence(X86_TMMU_LRU, "MMHMHMMM");
}

static void test_fifo_sequence(void **state)
{
    /* A B A:hit (no reordering) C: evicts A (first in); A: evicts B;
     * B: evicts C; C: evicts A; A: evicts B */
    run_sequence(X86_TMMU_FIFO, "MMHMMMMM");
}

static void test_lru_keeps_working_set(void **state)
{
    /* 8 entries, 4 ways: a loop over 4 pages of one set never misses after
     * the first round; a fifth page in the loop makes LRU miss every time */
    struct x86_tmmu_tlb t;
    struct cw_error err = {{0}};
    assert_int_equal(x86_tmmu_tlb_init(&t, 8, 4, X86_TMMU_LRU, &err), 0);
    int misses = 0;
    for (int round = 0; round < 3; round++)
        for (uint64_t p = 0; p < 4; p++)
            misses += !touch(&t, p * 2);
    assert_int_equal(misses, 4);
    misses = 0;
    for (int round = 0; round < 3; round++)
        for (uint64_t p = 0; p < 5; p++)
            misses += !touch(&t, p * 2);
    /* first round: only page 8 misses... then 8 evicted page 0, so 0
     * misses and evicts 2, and so on: everything misses */
    assert_int_equal(misses, 1 + 5 + 5);
    x86_tmmu_tlb_free(&t);
}

static void test_random_replacement(void **state)
{
    /* fully associative, 4 entries: 5 pages leave exactly 4 resident, and
     * the fixed seed makes two TLBs evict alike */
    struct x86_tmmu_tlb a, b;
    struct cw_error err = {{0}};
    assert_int_equal(x86_tmmu_tlb_init(&a, 4, 4, X86_TMMU_RANDOM, &err), 0);
    assert_int_equal(x86_tmmu_tlb_init(&b, 4, 4, X86_TMMU_RANDOM, &err), 0);
    char ha[64], hb[64];
    for (int i = 0; i < 63; i++) {
        uint64_t vpn = (uint64_t)(i * 7 % 6);
        ha[i] = touch(&a, vpn) ? 'H' : 'M';
        hb[i] = touch(&b, vpn) ? 'H' : 'M';
    }
    ha[63] = hb[63] = 0;
    assert_string_equal(ha, hb);
    assert_non_null(strchr(ha, 'H'));
    int resident = 0;
    for (uint64_t v = 0; v < 6; v++)
        resident += x86_tmmu_tlb_lookup(&a, v);
    assert_int_equal(resident, 4);
    x86_tmmu_tlb_free(&a);
    x86_tmmu_tlb_free(&b);
}

static void test_global_entries_survive(void **state)
{
    struct x86_tmmu_tlb t;
    struct cw_error err = {{0}};
    assert_int_equal(x86_tmmu_tlb_init(&t, 16, 4, X86_TMMU_LRU, &err), 0);
    x86_tmmu_tlb_insert(&t, 10, true);
    x86_tmmu_tlb_insert(&t, 11, false);
    x86_tmmu_tlb_flush(&t, false);
    assert_true(x86_tmmu_tlb_lookup(&t, 10));
    assert_false(x86_tmmu_tlb_lookup(&t, 11));
    x86_tmmu_tlb_flush(&t, true);
    assert_false(x86_tmmu_tlb_lookup(&t, 10));
    x86_tmmu_tlb_free(&t);
}

static void test_geometry_errors(void **state)
{
    struct x86_tmmu_tlb t;
    struct cw_error err = {{0}};
    assert_int_equal(x86_tmmu_tlb_init(&t, 6, 4, X86_TMMU_LRU, &err), -1);
    assert_non_null(strstr(err.msg, "divide"));
    assert_int_equal(x86_tmmu_tlb_init(&t, 12, 4, X86_TMMU_LRU, &err), -1);
    assert_non_null(strstr(err.msg, "power of two"));
    /* no entries: a TLB that never hits */
    assert_int_equal(x86_tmmu_tlb_init(&t, 0, 0, X86_TMMU_LRU, &err), 0);
    assert_false(touch(&t, 1));
    assert_false(touch(&t, 1));

    struct x86_tmmu_config cfg;
    x86_tmmu_config_default(&cfg, 4, 3);
    const char *bad[][2] = {
        { "{replacement: mru}", "expected lru, fifo, random" },
        { "{dtlb: {entries: 48, ways: 4}}", "power of two" },
        { "{dtlb: {entries: 64, way: 4}}", "unknown key 'way'" },
        { "{itlb-huge: {entries: 4}}", "unknown mmu parameter" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ynode *n = ytree_load_string(bad[i][0], strlen(bad[i][0]), "t.yaml", &err);
        assert_non_null(n);
        assert_int_equal(x86_tmmu_config_parse(&cfg, n, &err), -1);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("%s: got '%s', want '%s'", bad[i][0], err.msg, bad[i][1]);
        ytree_free(n);
    }
    const char *good = "{replacement: fifo, split: false, dtlb: {entries: 8}, walk-cycles: 9}";
    struct ynode *n = ytree_load_string(good, strlen(good), "t.yaml", &err);
    assert_int_equal(x86_tmmu_config_parse(&cfg, n, &err), 0);
    assert_int_equal(cfg.repl, X86_TMMU_FIFO);
    assert_false(cfg.split);
    assert_int_equal(cfg.dtlb_entries, 8);
    assert_int_equal(cfg.dtlb_ways, 4);
    assert_int_equal(cfg.walk_cycles, 9);
    assert_int_equal(cfg.read_cycles, 3);
    ytree_free(n);
}

/* --- walks -------------------------------------------------------------------------- */

struct walk_rig {
    struct sim *sim;
    struct addr_space *as;
    struct region *ram;
    struct x86_tmmu *m;
    struct ynode *yaml;
    uint64_t addr[8];
    sim_time_t time[8];
    unsigned nreads;
};

static void record_walk(void *opaque, struct addr_space *as, const struct bus_tx *tx)
{
    struct walk_rig *r = opaque;
    if (tx->kind != BUS_WALK_READ || r->nreads == 8)
        return;
    r->addr[r->nreads] = tx->addr;
    r->time[r->nreads] = tx->time;
    r->nreads++;
}

static void rig_tmmu(struct walk_rig *r, const struct x86_tmmu_config *cfg)
{
    struct cw_error err = {{0}};
    r->m = x86_tmmu_create(cfg, r->as, 1, &err);
    if (!r->m)
        fail_msg("tmmu: %s", err.msg);
    as_add_observer(r->as, 0, ~0ull >> 28, BUS_KIND_BIT(BUS_WALK_READ), record_walk, r);
}

/* 1 MiB of RAM with a 10 ns latency per access. */
static void rig_make(struct walk_rig *r, const struct x86_tmmu_config *cfg)
{
    struct cw_error err = {{0}};
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    r->as = as_create(r->sim, "memory", SPACE_MEMORY, 36);
    sim_add_space(r->sim, r->as);
    r->ram = as_add_ram(r->as, NULL, "ram", 0, 1 << 20, &err);
    assert_non_null(r->ram);
    region_set_latency(r->ram, RAM_LATENCY);
    rig_tmmu(r, cfg);
}

static void rig_free(struct walk_rig *r)
{
    x86_tmmu_destroy(r->m);
    sim_destroy(r->sim);
    ytree_free(r->yaml);
}

static void put32(struct walk_rig *r, uint64_t addr, uint32_t v)
{
    as_load(r->as, addr, &v, 4);
}

static void put64(struct walk_rig *r, uint64_t addr, uint64_t v)
{
    as_load(r->as, addr, &v, 8);
}

static uint64_t walk(struct walk_rig *r, const struct x86_tmmu_mode *mode, uint64_t lin, bool fetch)
{
    r->nreads = 0;
    return x86_tmmu_translate(r->m, mode, lin, fetch, START_PS, PERIOD_PS);
}

static struct x86_tmmu_config default_cfg(void)
{
    struct x86_tmmu_config cfg;
    x86_tmmu_config_default(&cfg, WALK_CYCLES, READ_CYCLES);
    return cfg;
}

/* one table read: read-cycles + 10 ns at 1 GHz */
#define READ_COST (READ_CYCLES + RAM_LATENCY / PERIOD_PS)

static void test_walk_32bit(void **state)
{
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    rig_make(&r, &cfg);
    /* CR3 = 0x1000; lin 0x00403123: PDE 1 at 0x1004 -> table 0x2000, PTE 3 at 0x200c */
    put32(&r, 0x1004, 0x2000 | 1);
    put32(&r, 0x200c, 0x5000 | 1);
    struct x86_tmmu_mode mode = { .paging = true, .cr3 = 0x1000, .a20_mask = ~0ull };
    assert_int_equal(walk(&r, &mode, 0x00403123, false), WALK_CYCLES + 2 * READ_COST);
    assert_int_equal(r.nreads, 2);
    assert_int_equal(r.addr[0], 0x1004);
    assert_int_equal(r.addr[1], 0x200c);
    /* the reads go out one after the other, after the walker's own clocks */
    assert_int_equal(r.time[0], START_PS + WALK_CYCLES * PERIOD_PS);
    assert_int_equal(r.time[1], START_PS + (WALK_CYCLES + READ_COST) * PERIOD_PS);
    /* the same page hits, the next page walks again */
    assert_int_equal(walk(&r, &mode, 0x00403ffc, false), 0);
    assert_int_equal(r.nreads, 0);
    put32(&r, 0x2010, 0x6000 | 1);
    assert_int_equal(walk(&r, &mode, 0x00404000, false), WALK_CYCLES + 2 * READ_COST);
    assert_int_equal(r.m->st.dtlb_hits, 1);
    assert_int_equal(r.m->st.dtlb_misses, 2);
    assert_int_equal(r.m->st.walks, 2);
    assert_int_equal(r.m->st.walk_reads, 4);
    assert_int_equal(r.m->st.walk_cycles, 2 * (WALK_CYCLES + 2 * READ_COST));
    /* no paging: nothing to translate */
    struct x86_tmmu_mode off = { .paging = false };
    assert_int_equal(walk(&r, &off, 0x12345678, false), 0);
    rig_free(&r);
}

static void test_walk_pse_large_page(void **state)
{
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    rig_make(&r, &cfg);
    put32(&r, 0x1008, 0x00800000 | 0x80 | 1); /* PDE 2: a 4 MiB page (PS) */
    put32(&r, 0x0000, 0x0);
    struct x86_tmmu_mode mode = { .paging = true, .pse = true, .cr3 = 0x1000, .a20_mask = ~0ull };
    assert_int_equal(walk(&r, &mode, 0x00800000, false), WALK_CYCLES + READ_COST);
    assert_int_equal(r.nreads, 1);
    /* anywhere in the 4 MiB page hits the large-page entry */
    assert_int_equal(walk(&r, &mode, 0x00bff000, false), 0);
    rig_free(&r);

    /* without CR4.PSE the PS bit means nothing: the PDE points at a table */
    rig_make(&r, &cfg);
    put32(&r, 0x1008, 0x00003000 | 0x80 | 1);
    put32(&r, 0x3000, 0x7000 | 1);
    mode.pse = false;
    assert_int_equal(walk(&r, &mode, 0x00800000, false), WALK_CYCLES + 2 * READ_COST);
    rig_free(&r);
}

static void test_walk_pae_and_long(void **state)
{
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    rig_make(&r, &cfg);
    /* PAE: PDPTE 0 at 0x3000 (held in a register: no read) -> PD 0x4000;
     * lin 0x00201000: PDE 1 at 0x4008 -> PT 0x6000, PTE 1 at 0x6008 */
    put64(&r, 0x3000, 0x4000 | 1);
    put64(&r, 0x4008, 0x6000 | 1);
    put64(&r, 0x6008, 0x9000 | 1);
    put64(&r, 0x4010, 0x00400000 | 0x80 | 1); /* PDE 2: a 2 MiB page */
    struct x86_tmmu_mode pae = { .paging = true, .pae = true, .cr3 = 0x3000, .a20_mask = ~0ull };
    assert_int_equal(walk(&r, &pae, 0x00201000, false), WALK_CYCLES + 2 * READ_COST);
    assert_int_equal(r.addr[0], 0x4008);
    assert_int_equal(r.addr[1], 0x6008);
    assert_int_equal(walk(&r, &pae, 0x00400000, false), WALK_CYCLES + READ_COST);
    assert_int_equal(walk(&r, &pae, 0x005ff000, false), 0);
    rig_free(&r);

    /* IA-32e: PML4 at 0x10000, lin 0x0000008040201000: indexes 1, 1, 1, 1 */
    rig_make(&r, &cfg);
    put64(&r, 0x10008, 0x11000 | 1);
    put64(&r, 0x11008, 0x12000 | 1);
    put64(&r, 0x12008, 0x13000 | 1);
    put64(&r, 0x13008, 0x14000 | 1);
    put64(&r, 0x12010, 0x00600000 | 0x80 | 1); /* PD index 2: a 2 MiB page */
    struct x86_tmmu_mode lm = { .paging = true, .pae = true, .lma = true, .cr3 = 0x10000,
                                .a20_mask = ~0ull };
    assert_int_equal(walk(&r, &lm, 0x0000008040201000ull, false), WALK_CYCLES + 4 * READ_COST);
    assert_int_equal(r.nreads, 4);
    assert_int_equal(r.addr[0], 0x10008);
    assert_int_equal(r.addr[3], 0x13008);
    assert_int_equal(walk(&r, &lm, 0x0000008040400000ull, false), WALK_CYCLES + 3 * READ_COST);
    assert_int_equal(walk(&r, &lm, 0x00000080405ff000ull, false), 0);
    rig_free(&r);
}

static void test_walk_not_present(void **state)
{
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    rig_make(&r, &cfg);
    struct x86_tmmu_mode mode = { .paging = true, .cr3 = 0x1000, .a20_mask = ~0ull };
    /* PDE 0 not present: one read, nothing cached, the next access walks again */
    assert_int_equal(walk(&r, &mode, 0x1000, false), WALK_CYCLES + READ_COST);
    assert_int_equal(walk(&r, &mode, 0x1000, false), WALK_CYCLES + READ_COST);
    assert_int_equal(r.m->st.faults, 2);
    rig_free(&r);
}

static void test_cr3_flush_and_global(void **state)
{
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    rig_make(&r, &cfg);
    /* two address spaces sharing one page table: page 0x1000 global, 0x2000 not */
    put32(&r, 0x1000, 0x3000 | 1);
    put32(&r, 0x8000, 0x3000 | 1);
    put32(&r, 0x3004, 0x5000 | 0x100 | 1);
    put32(&r, 0x3008, 0x6000 | 1);
    struct x86_tmmu_mode a = { .paging = true, .pge = true, .cr3 = 0x1000, .a20_mask = ~0ull };
    struct x86_tmmu_mode b = a;
    b.cr3 = 0x8000;
    assert_int_not_equal(walk(&r, &a, 0x1000, false), 0);
    assert_int_not_equal(walk(&r, &a, 0x2000, false), 0);
    assert_int_equal(walk(&r, &b, 0x1000, false), 0);  /* global: kept */
    assert_int_not_equal(walk(&r, &b, 0x2000, false), 0); /* flushed by the CR3 load */
    /* any other mode change flushes all, global ones too */
    struct x86_tmmu_mode c = b;
    c.pse = true;
    assert_int_not_equal(walk(&r, &c, 0x1000, false), 0);
    /* an explicit flush (MOV CR3 with the same value) keeps global entries */
    x86_tmmu_flush(r.m, false);
    assert_int_equal(walk(&r, &c, 0x1000, false), 0);
    assert_int_not_equal(walk(&r, &c, 0x2000, false), 0);
    /* counted: the CR3 load, the mode change (global too), the explicit one */
    assert_int_equal(r.m->st.flushes, 3);
    assert_int_equal(r.m->st.flushes_global, 1);
    rig_free(&r);
}

static void test_invlpg_and_cr3_load(void **state)
{
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    rig_make(&r, &cfg);
    /* 32-bit tables with PSE and PGE: pages 0x1000 (global) and 0x2000 in
     * one table, a 4 MiB global page at 0x00800000 */
    put32(&r, 0x1000, 0x3000 | 1);
    put32(&r, 0x1008, 0x00800000 | 0x100 | 0x80 | 1);
    put32(&r, 0x3004, 0x5000 | 0x100 | 1);
    put32(&r, 0x3008, 0x6000 | 1);
    struct x86_tmmu_mode mode = { .paging = true, .pse = true, .pge = true, .cr3 = 0x1000,
                                  .a20_mask = ~0ull };
    assert_int_not_equal(walk(&r, &mode, 0x1000, false), 0);
    assert_int_not_equal(walk(&r, &mode, 0x2000, false), 0);
    assert_int_not_equal(walk(&r, &mode, 0x00800000, false), 0);
    assert_int_not_equal(walk(&r, &mode, 0x1000, true), 0); /* the ITLB too */
    /* INVLPG drops that page in both TLBs, global or not, and nothing else */
    x86_tmmu_invlpg(r.m, 0x1234);
    assert_int_not_equal(walk(&r, &mode, 0x1000, false), 0);
    assert_int_not_equal(walk(&r, &mode, 0x1000, true), 0);
    assert_int_equal(walk(&r, &mode, 0x2000, false), 0);
    assert_int_equal(walk(&r, &mode, 0x00800000, false), 0);
    /* any address in a large page drops its large-page entry */
    x86_tmmu_invlpg(r.m, 0x00a01000);
    assert_int_not_equal(walk(&r, &mode, 0x00bff000, false), 0);
    assert_int_equal(walk(&r, &mode, 0x2000, false), 0);
    assert_int_equal(r.m->st.invlpgs, 2);
    assert_int_equal(r.m->st.flushes, 0);
    /* a MOV to CR3 with the same value: the non-global entries go at the next
     * translation, counted once; with a new value (the core loads CR3 after
     * the decode announced it), still once */
    x86_tmmu_cr3_load(r.m);
    assert_int_not_equal(walk(&r, &mode, 0x2000, false), 0);
    assert_int_equal(walk(&r, &mode, 0x1000, false), 0);   /* global: kept */
    assert_int_equal(r.m->st.flushes, 1);
    x86_tmmu_cr3_load(r.m);
    put32(&r, 0x8000, 0x3000 | 1);
    mode.cr3 = 0x8000;
    assert_int_not_equal(walk(&r, &mode, 0x2000, false), 0);
    assert_int_equal(walk(&r, &mode, 0x2000, false), 0);
    assert_int_equal(r.m->st.flushes, 2);
    /* a new CR3 nobody announced (a task switch) flushes too */
    mode.cr3 = 0x1000;
    assert_int_not_equal(walk(&r, &mode, 0x2000, false), 0);
    assert_int_equal(r.m->st.flushes, 3);
    assert_int_equal(r.m->st.flushes_global, 0);
    rig_free(&r);
}

static void test_split_and_unified(void **state)
{
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    rig_make(&r, &cfg);
    put32(&r, 0x1000, 0x3000 | 1);
    put32(&r, 0x3004, 0x5000 | 1);
    struct x86_tmmu_mode mode = { .paging = true, .cr3 = 0x1000, .a20_mask = ~0ull };
    /* split: code and data of one page each walk once */
    assert_int_not_equal(walk(&r, &mode, 0x1000, true), 0);
    assert_int_not_equal(walk(&r, &mode, 0x1000, false), 0);
    assert_int_equal(walk(&r, &mode, 0x1010, true), 0);
    assert_int_equal(r.m->st.itlb_misses, 1);
    assert_int_equal(r.m->st.itlb_hits, 1);
    assert_int_equal(r.m->st.dtlb_misses, 1);
    rig_free(&r);

    cfg.split = false;
    rig_make(&r, &cfg);
    put32(&r, 0x1000, 0x3000 | 1);
    put32(&r, 0x3004, 0x5000 | 1);
    assert_int_not_equal(walk(&r, &mode, 0x1000, true), 0);
    assert_int_equal(walk(&r, &mode, 0x1000, false), 0);
    assert_int_equal(r.m->st.walks, 1);
    rig_free(&r);
}

static void test_small_tlb_thrashes(void **state)
{
    /* a 4-entry direct-mapped DTLB (4 sets x 1 way): pages 0 and 4 share a
     * set and evict each other; pages 0..3 all fit */
    struct walk_rig r;
    struct x86_tmmu_config cfg = default_cfg();
    cfg.dtlb_entries = 4;
    cfg.dtlb_ways = 1;
    rig_make(&r, &cfg);
    put32(&r, 0x1000, 0x3000 | 1);
    for (uint32_t i = 0; i < 8; i++)
        put32(&r, 0x3000 + 4 * i, (0x10 + i) << 12 | 1);
    struct x86_tmmu_mode mode = { .paging = true, .cr3 = 0x1000, .a20_mask = ~0ull };
    for (int round = 0; round < 3; round++)
        for (uint64_t p = 0; p < 4; p++)
            walk(&r, &mode, p << 12, false);
    assert_int_equal(r.m->st.walks, 4);
    for (int round = 0; round < 3; round++) {
        walk(&r, &mode, 0, false);
        walk(&r, &mode, 4 << 12, false);
    }
    /* page 0 was resident, so the first round misses only on 4 */
    assert_int_equal(r.m->st.walks, 4 + 1 + 2 + 2);
    rig_free(&r);
}

static void test_walk_through_dram(void **state)
{
    /* The tables in DDR3-1600 (tCK 1.25 ns, default mapping: column [12:3],
     * bank [15:13]; the walk starts on a clock edge): the PDE read at
     * 0x1004 opens row 0 of bank 0 (miss:
     * tRCD + CL + BL/2 = 26 tCK = 32.5 ns = 33 clocks at 1 GHz), the PTE
     * read at 0x000c is in the same row (hit: CL + BL/2 = 15 tCK =
     * 18.75 ns, plus 250 ps to the next edge = 19 clocks). */
    struct walk_rig r;
    struct cw_error err = {{0}};
    memset(&r, 0, sizeof r);
    r.sim = sim_create();
    r.as = as_create(r.sim, "memory", SPACE_MEMORY, 36);
    sim_add_space(r.sim, r.as);
    const char *yaml = "{space: memory, base: 0, size: 1MiB, preset: ddr3-1600}";
    r.yaml = ytree_load_string(yaml, strlen(yaml), "t.yaml", &err);
    assert_non_null(r.yaml);
    struct component *d = component_create(r.sim, "dram0", component_type_find("dram"), r.yaml,
                                           &err);
    if (!d)
        fail_msg("dram: %s", err.msg);
    struct x86_tmmu_config cfg = default_cfg();
    rig_tmmu(&r, &cfg);
    put32(&r, 0x1004, 0x0000 | 1); /* the page table at 0: row 0 of bank 0 too */
    put32(&r, 0x000c, 0x5000 | 1);
    struct x86_tmmu_mode mode = { .paging = true, .cr3 = 0x1000, .a20_mask = ~0ull };
    assert_int_equal(walk(&r, &mode, 0x00403000, false),
                     WALK_CYCLES + (READ_CYCLES + 33) + (READ_CYCLES + 19));
    assert_int_equal(r.time[1], START_PS + (WALK_CYCLES + READ_CYCLES + 33) * PERIOD_PS);
    /* 100 ns later: the PDE hits the open row 0; a table at 0x2000 is in
     * bank 1, a row miss (33 clocks with the 500 ps to the edge) */
    put32(&r, 0x1008, 0x2000 | 1);
    put32(&r, 0x200c, 0x6000 | 1);
    assert_int_equal(x86_tmmu_translate(r.m, &mode, 0x00803000, false, START_PS + 100000,
                                        PERIOD_PS),
                     WALK_CYCLES + (READ_CYCLES + 19) + (READ_CYCLES + 33));
    rig_free(&r);
}

/* --- in the pipeline model -------------------------------------------------------- */

static uint64_t rig_stat(struct x86_rig *rig, const char *name)
{
    for (struct stat_entry *s = rig->comp->stats; s; s = s->next)
        if (!strcmp(s->name, name))
            return *s->counter;
    fail_msg("no statistic %s", name);
    return 0;
}

static void test_pipeline_yaml(void **state)
{
    /* pipeline.mmu is accepted, registers its statistics, and without
     * paging (real mode) costs nothing: the same clocks as without it */
    static const uint8_t prog[] = { 0xb9, 0x10, 0x00, 0x89, 0x0c, 0xe2, 0xfc, 0xf4 };
    uint64_t cycles[2];
    for (int with = 0; with < 2; with++) {
        struct x86_rig rig;
        struct cw_error err = {{0}};
        const char *yaml = with ? "timing: pipeline\npipeline: {table: pc, mmu: {dtlb: "
                                  "{entries: 16, ways: 4}, replacement: fifo}}\n"
                                : "timing: pipeline\npipeline: {table: pc}\n";
        if (x86_rig_create(&rig, 1 << 20, yaml, &err) != 0)
            fail_msg("rig: %s", err.msg);
        memcpy(rig.ram_host + 0x10000, prog, sizeof prog);
        x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
        x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
        struct sim_limits lim = { SIM_TIME_MAX, 0, 1000 };
        sim_run(rig.sim, &lim);
        cycles[with] = rig_stat(&rig, "cycles");
        if (with) {
            assert_int_equal(rig_stat(&rig, "mmu-walks"), 0);
            assert_int_equal(rig_stat(&rig, "mmu-dtlb-misses"), 0);
        }
        x86_rig_destroy(&rig);
    }
    assert_true(cycles[0] > 0);
    assert_int_equal(cycles[0], cycles[1]);

    struct x86_rig rig;
    struct cw_error err = {{0}};
    assert_int_equal(x86_rig_create(&rig, 1 << 20,
                                    "timing: pipeline\npipeline: {mmu: {dtlb: {entries: 24}}}\n",
                                    &err), -1);
    assert_non_null(strstr(err.msg, "power of two"));
    x86_rig_destroy(&rig);
}

/* Runs a 16-bit loop with paging on (CR0.PG and PE set with the real-mode
 * segment caches still loaded, identity-mapped tables at 0x80000): 64
 * reads, each of the next of 16 pages at DS = 3000h, each followed by an
 * INVLPG with the ModRM byte `modrm` (0F 01 /7), under the pipeline model
 * with a 64-entry DTLB (all 16 pages fit). Gives the MMU's DTLB and ITLB
 * misses and INVLPG count. */
static void run_invlpg_loop(uint8_t modrm, uint64_t *dtlb_misses, uint64_t *itlb_misses,
                            uint64_t *invlpgs)
{
    /* mov cx,64 ; l: mov ax,[si] ; invlpg [..] ; add si,0x1000 ; loop l ; hlt */
    const uint8_t prog[] = { 0xb9, 0x40, 0x00, 0x8b, 0x04, 0x0f, 0x01, modrm, 0x81, 0xc6,
                             0x00, 0x10, 0xe2, 0xf5, 0xf4 };
    struct x86_rig rig;
    struct cw_error err = {{0}};
    if (x86_rig_create(&rig, 1 << 20, "timing: pipeline\npipeline: {table: pc, mmu: {dtlb: "
                       "{entries: 64, ways: 4}}}\n", &err) != 0)
        fail_msg("rig: %s", err.msg);
    uint32_t pde = 0x81000 | 0x67;
    memcpy(rig.ram_host + 0x80000, &pde, 4);
    for (uint32_t p = 0; p < 256; p++) {
        uint32_t pte = (p << 12) | 0x67;
        memcpy(rig.ram_host + 0x81000 + 4 * p, &pte, 4);
    }
    memcpy(rig.ram_host + 0x10000, prog, sizeof prog);
    x86_cpu_set_reg(rig.cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(rig.cpu, X86_RIP, 0);
    x86_cpu_set_reg(rig.cpu, X86_DS, 0x3000);
    x86_cpu_set_reg(rig.cpu, X86_CR3, 0x80000);
    x86_cpu_set_reg(rig.cpu, X86_CR0, 0x80000011);
    struct sim_limits lim = { SIM_TIME_MAX, 0, 10000 };
    sim_run(rig.sim, &lim);
    assert_int_equal(x86_cpu_get_reg(rig.cpu, X86_RIP), sizeof prog);
    *dtlb_misses = rig_stat(&rig, "mmu-dtlb-misses");
    *itlb_misses = rig_stat(&rig, "mmu-itlb-misses");
    *invlpgs = rig_stat(&rig, "mmu-invlpg");
    assert_int_equal(rig_stat(&rig, "mmu-flushes"), 0);
    x86_rig_destroy(&rig);
}

static void test_pipeline_invlpg(void **state)
{
    /* INVLPG drops the page it names (computed from the instruction's
     * operand at decode), not the whole TLB: invalidating each page after
     * its read makes every read miss, and the code page stays in the ITLB */
    uint64_t dmiss, imiss, inv;
    run_invlpg_loop(0x3c, &dmiss, &imiss, &inv); /* invlpg [si] */
    assert_int_equal(inv, 64);
    assert_int_equal(dmiss, 64);
    assert_int_equal(imiss, 1);
    /* invlpg [bx] with BX = 0: only page 30000h goes; the 16 pages miss
     * once, 30000h again at each of its three later visits */
    run_invlpg_loop(0x3f, &dmiss, &imiss, &inv);
    assert_int_equal(inv, 64);
    assert_int_equal(dmiss, 16 + 3);
    assert_int_equal(imiss, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_sequence),
        cmocka_unit_test(test_fifo_sequence),
        cmocka_unit_test(test_lru_keeps_working_set),
        cmocka_unit_test(test_random_replacement),
        cmocka_unit_test(test_global_entries_survive),
        cmocka_unit_test(test_geometry_errors),
        cmocka_unit_test(test_walk_32bit),
        cmocka_unit_test(test_walk_pse_large_page),
        cmocka_unit_test(test_walk_pae_and_long),
        cmocka_unit_test(test_walk_not_present),
        cmocka_unit_test(test_cr3_flush_and_global),
        cmocka_unit_test(test_invlpg_and_cr3_load),
        cmocka_unit_test(test_split_and_unified),
        cmocka_unit_test(test_small_tlb_thrashes),
        cmocka_unit_test(test_walk_through_dram),
        cmocka_unit_test(test_pipeline_yaml),
        cmocka_unit_test(test_pipeline_invlpg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
