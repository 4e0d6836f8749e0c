/* DRAM model: latencies computed by hand from the JEDEC timing of each
 * preset (row hit, miss, conflict, tRAS, tRC, tWR, tCCD/data bus, refresh),
 * the address mapping, the presets against the speed-bin tables in ns, the
 * page policies on sequential and row-thrashing access patterns, bus access
 * through the mmio mode, and the tiny-dram demo machine.
 *
 * DDR3-1600 (11-11-11) has tCK = 1.25 ns: a hit costs CL + BL/2 = 15 cycles
 * (18.75 ns), a miss tRCD + CL + BL/2 = 26 cycles (32.5 ns), a conflict
 * tRP + tRCD + CL + BL/2 = 37 cycles (46.25 ns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/machine.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86.h"
#include "models/memory/dram.h"
#include "tests/lib/dev_test.h"

#define TCK_DDR3 1250 /* ps */

struct rig {
    struct sim *sim;
    struct addr_space *as;
    struct ynode *yaml;
    struct component *c;
    struct dram *d;
};

/* Builds a sim with one memory space and a dram from `yaml` (the
 * component's map). Returns -1 with err filled if the model refuses. */
static int rig_try(struct rig *r, const char *yaml, struct cw_error *err)
{
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    r->as = as_create(r->sim, "memory", SPACE_MEMORY, 40);
    sim_add_space(r->sim, r->as);
    r->yaml = ytree_load_string(yaml, strlen(yaml), "t.yaml", err);
    assert_non_null(r->yaml);
    r->c = component_create(r->sim, "dram0", component_type_find("dram"), r->yaml, err);
    if (!r->c)
        return -1;
    struct dram_iface *di = component_interface(r->c, "dram");
    assert_non_null(di);
    r->d = di->opaque;
    return 0;
}

static void rig_make(struct rig *r, const char *yaml)
{
    struct cw_error err = { { 0 } };
    if (rig_try(r, yaml, &err))
        fail_msg("dram refused: %s", err.msg);
}

static void rig_free(struct rig *r)
{
    sim_destroy(r->sim);
    ytree_free(r->yaml);
}

static struct dram_result rig_access(struct rig *r, uint64_t addr, sim_time_t t, bool write)
{
    struct bus_tx tx = { .addr = addr, .time = t, .size = 8,
                         .kind = (uint8_t)(write ? BUS_WRITE : BUS_READ) };
    struct dram_result res;
    dram_access_result(r->d, &tx, &res);
    return res;
}

static uint64_t rig_stat(struct rig *r, const char *name)
{
    for (struct stat_entry *s = r->c->stats; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return *s->counter;
    fail_msg("no stat '%s'", name);
    return 0;
}

static bool rig_has_stat(struct rig *r, const char *name)
{
    for (struct stat_entry *s = r->c->stats; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return true;
    return false;
}

/* --- row hit, miss, conflict ------------------------------------------------------ */

static void test_hit_miss_conflict(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB, preset: ddr3-1600}");
    /* Bank 0 is closed at power-on: ACT, tRCD, READ, CL, 4-cycle burst. */
    struct dram_result a = rig_access(&r, 0x0, SIM_US(1), false);
    assert_int_equal(a.outcome, DRAM_ROW_MISS);
    assert_int_equal(a.latency, 26 * TCK_DDR3);
    assert_int_equal(a.latency, 32500);
    /* Same row, a microsecond later: READ only. */
    struct dram_result h = rig_access(&r, 0x1238, SIM_US(2), false);
    assert_int_equal(h.outcome, DRAM_ROW_HIT);
    assert_int_equal(h.latency, 15 * TCK_DDR3);
    /* Row 1 of bank 0 (64 KiB further with 8 banks of 8 KiB rows). */
    struct dram_result c = rig_access(&r, 0x10000, SIM_US(3), false);
    assert_int_equal(c.outcome, DRAM_ROW_CONFLICT);
    assert_int_equal(c.loc.row, 1);
    assert_int_equal(c.loc.bank, 0);
    assert_int_equal(c.latency, 37 * TCK_DDR3);
    assert_int_equal(c.latency, 46250);
    /* Bank 1 is untouched: a miss, whatever bank 0 holds. */
    struct dram_result m = rig_access(&r, 0x2000, SIM_US(4), false);
    assert_int_equal(m.outcome, DRAM_ROW_MISS);
    assert_int_equal(m.loc.bank, 1);
    assert_int_equal(m.latency, 26 * TCK_DDR3);

    assert_int_equal(rig_stat(&r, "accesses"), 4);
    assert_int_equal(rig_stat(&r, "row-hits"), 1);
    assert_int_equal(rig_stat(&r, "row-misses"), 2);
    assert_int_equal(rig_stat(&r, "row-conflicts"), 1);
    assert_int_equal(rig_stat(&r, "bank0.hits"), 1);
    assert_int_equal(rig_stat(&r, "bank0.misses"), 1);
    assert_int_equal(rig_stat(&r, "bank0.conflicts"), 1);
    assert_int_equal(rig_stat(&r, "bank1.misses"), 1);
    assert_int_equal(rig_stat(&r, "latency-total-ps"), 32500 + 18750 + 46250 + 32500);
    assert_int_equal(rig_stat(&r, "latency-avg-ps"), (32500 + 18750 + 46250 + 32500) / 4);
    assert_int_equal(rig_stat(&r, "latency-max-ps"), 46250);
    assert_int_equal(rig_stat(&r, "refresh-stalls"), 0);
    rig_free(&r);
}

/* An access between clock edges is issued on the next edge. */
static void test_arrival_between_edges(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB}");
    /* 1 us + 1 ps: edge 801 (1001.25 ns); the burst ends at edge 827. */
    struct dram_result a = rig_access(&r, 0x40, SIM_US(1) + 1, false);
    assert_int_equal(a.latency, 827 * TCK_DDR3 - (SIM_US(1) + 1));
    rig_free(&r);
}

/* A conflict soon after an ACTIVATE waits for tRAS (then tRP). */
static void test_conflict_respects_tras_and_trc(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB}");
    rig_access(&r, 0x0, SIM_US(1), false);   /* ACT at cycle 800 */
    /* Cycle 824: PRECHARGE waits for ACT + tRAS = 828, ACT at 839, burst ends 865. */
    struct dram_result c = rig_access(&r, 0x10000, SIM_US(1) + 24 * TCK_DDR3, false);
    assert_int_equal(c.outcome, DRAM_ROW_CONFLICT);
    assert_int_equal(c.latency, (865 - 824) * TCK_DDR3);
    rig_free(&r);

    /* With tRAS 12 (tRC given too), tRTP decides the PRECHARGE (READ 811 + 6
     * = 817 < 824): a plain conflict, 37 cycles. */
    rig_make(&r, "{type: dram, size: 64MiB, tRAS: 12, tRC: 23}");
    rig_access(&r, 0x0, SIM_US(1), false);
    c = rig_access(&r, 0x10000, SIM_US(1) + 24 * TCK_DDR3, false);
    assert_int_equal(c.latency, 37 * TCK_DDR3);
    rig_free(&r);

    /* A long tRC holds the second ACTIVATE until 800 + 60 = 860: ends 886. */
    rig_make(&r, "{type: dram, size: 64MiB, tRC: 60}");
    rig_access(&r, 0x0, SIM_US(1), false);
    c = rig_access(&r, 0x10000, SIM_US(1) + 24 * TCK_DDR3, false);
    assert_int_equal(c.latency, (886 - 824) * TCK_DDR3);
    rig_free(&r);
}

/* Writes: CWL to data, and tWR after the data before the row may close. */
static void test_write_recovery(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB}");
    /* ACT 800, WRITE 811, data 819-823: 23 cycles. */
    struct dram_result w = rig_access(&r, 0x0, SIM_US(1), true);
    assert_int_equal(w.outcome, DRAM_ROW_MISS);
    assert_int_equal(w.latency, 23 * TCK_DDR3);
    /* Write hit later: CWL 8 + burst 4. */
    struct dram_result wh = rig_access(&r, 0x8, SIM_US(2), true);
    assert_int_equal(wh.outcome, DRAM_ROW_HIT);
    assert_int_equal(wh.latency, 12 * TCK_DDR3);
    /* Write data ends at 1612; tWR 12: PRECHARGE at 1624, ACT 1635, READ
     * 1646, data ends 1661. The read arrives at 1613. */
    struct dram_result c = rig_access(&r, 0x10000, SIM_US(2) + 13 * TCK_DDR3, false);
    assert_int_equal(c.outcome, DRAM_ROW_CONFLICT);
    assert_int_equal(c.latency, (1661 - 1613) * TCK_DDR3);
    assert_int_equal(rig_stat(&r, "writes"), 2);
    assert_int_equal(rig_stat(&r, "reads"), 1);
    rig_free(&r);
}

/* Two banks work in parallel, but bursts share the channel's data bus. */
static void test_bank_parallelism_and_data_bus(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB}");
    struct dram_result a = rig_access(&r, 0x0000, SIM_US(1), false);
    struct dram_result b = rig_access(&r, 0x2000, SIM_US(1), false);
    assert_int_equal(a.latency, 26 * TCK_DDR3);
    /* Bank 1 activates at 800 too, but its READ waits tCCD after bank 0's
     * (811 + 4): data 826-830. */
    assert_int_equal(b.latency, 30 * TCK_DDR3);
    rig_free(&r);

    /* Two channels have two data buses: no wait. */
    rig_make(&r, "{type: dram, size: 64MiB, channels: 2, mapping: row:rank:bank:column:channel}");
    a = rig_access(&r, 0x0, SIM_US(1), false);
    b = rig_access(&r, 0x8, SIM_US(1), false);
    assert_int_equal(a.loc.channel, 0);
    assert_int_equal(b.loc.channel, 1);
    assert_int_equal(a.latency, 26 * TCK_DDR3);
    assert_int_equal(b.latency, 26 * TCK_DDR3);
    assert_true(rig_has_stat(&r, "ch1.bank0.misses"));
    assert_int_equal(rig_stat(&r, "ch1.bank0.misses"), 1);
    rig_free(&r);
}

/* --- page policy --------------------------------------------------------------------- */

static void test_closed_page(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB, page-policy: closed}");
    /* Every access finds its bank precharged: 26 cycles, hit or not. */
    assert_int_equal(rig_access(&r, 0x0, SIM_US(1), false).latency, 26 * TCK_DDR3);
    struct dram_result same = rig_access(&r, 0x8, SIM_US(2), false);
    assert_int_equal(same.outcome, DRAM_ROW_MISS);
    assert_int_equal(same.latency, 26 * TCK_DDR3);
    struct dram_result other = rig_access(&r, 0x10000, SIM_US(3), false);
    assert_int_equal(other.outcome, DRAM_ROW_MISS);
    assert_int_equal(other.latency, 26 * TCK_DDR3);
    assert_int_equal(rig_stat(&r, "row-misses"), 3);
    assert_int_equal(rig_stat(&r, "row-hits"), 0);
    assert_int_equal(rig_stat(&r, "row-conflicts"), 0);
    /* Back to back: ACT at 2400 (3 us), auto-precharge at 2428 (tRAS), next
     * ACT at 2439 (tRP, tRC). A read at 2426 ends 2439 + 26 = 2465. */
    struct dram_result soon = rig_access(&r, 0x10008, SIM_US(3) + 26 * TCK_DDR3, false);
    assert_int_equal(soon.latency, (2465 - 2426) * TCK_DDR3);
    rig_free(&r);
}

/* A memory-bound loop: each access waits for the previous one and 20 ns of
 * work (16 cycles). Refresh off so the sums are exact. */
static uint64_t loop_cycles(const char *policy, bool thrash, struct rig *r)
{
    char y[160];
    snprintf(y, sizeof y, "{type: dram, size: 64MiB, page-policy: %s, tREFI: 0s}", policy);
    rig_make(r, y);
    sim_time_t t = SIM_US(1), total = 0;
    for (unsigned i = 0; i < 256; i++) {
        uint64_t addr = thrash ? (i & 1) * 0x10000ull + (i / 2) * 8 : i * 8ull;
        struct dram_result res = rig_access(r, addr, t, false);
        total += res.latency;
        t += res.latency + 16 * TCK_DDR3;
    }
    assert_int_equal(total % TCK_DDR3, 0);
    return total / TCK_DDR3;
}

static void test_policy_on_access_patterns(void **state)
{
    struct rig r;
    /* Open page, sequential: one miss, then 255 hits. */
    assert_int_equal(loop_cycles("open", false, &r), 26 + 255 * 15);
    assert_int_equal(rig_stat(&r, "row-hits"), 255);
    rig_free(&r);
    /* Closed page, sequential: 256 misses (the bank is precharged again
     * before the next access comes: 26 + 16 > tRC 39). */
    assert_int_equal(loop_cycles("closed", false, &r), 256 * 26);
    assert_int_equal(rig_stat(&r, "row-misses"), 256);
    rig_free(&r);
    /* Open page, two rows of one bank in turn: 255 conflicts. */
    assert_int_equal(loop_cycles("open", true, &r), 26 + 255 * 37);
    assert_int_equal(rig_stat(&r, "row-conflicts"), 255);
    rig_free(&r);
    /* Closed page, thrashing: still 26 cycles each. */
    assert_int_equal(loop_cycles("closed", true, &r), 256 * 26);
    rig_free(&r);
    /* So: open page saves tRCD = 11 cycles per access on the stream,
     * closed page saves tRP = 11 cycles per access on the thrash. */
    assert_int_equal(256 * 26 - (26 + 255 * 15), 255 * 11);
    assert_int_equal((26 + 255 * 37) - 256 * 26, 255 * 11);
}

/* --- refresh ---------------------------------------------------------------------------- */

static void test_refresh(void **state)
{
    struct rig r;
    /* tREFI 7.8 us = cycle 6240, tRFC 260 ns = 208 cycles: an access at
     * exactly 7.8 us waits until 6448 and is then a miss (ends 6474). */
    rig_make(&r, "{type: dram, size: 64MiB}");
    struct dram_result a = rig_access(&r, 0x0, SIM_NS(7800), false);
    assert_int_equal(a.refresh_wait, 260000);
    assert_int_equal(a.latency, 234 * TCK_DDR3);
    assert_int_equal(rig_stat(&r, "refresh-stalls"), 1);
    assert_int_equal(rig_stat(&r, "refresh-wait-ps"), 260000);
    rig_free(&r);

    /* In the middle of the refresh: 7.9 us = cycle 6320 waits 128 cycles. */
    rig_make(&r, "{type: dram, size: 64MiB}");
    a = rig_access(&r, 0x0, SIM_NS(7900), false);
    assert_int_equal(a.refresh_wait, 128 * TCK_DDR3);
    assert_int_equal(a.latency, (128 + 26) * TCK_DDR3);
    /* Just after the refresh: no wait; bank 0's row stays open. */
    a = rig_access(&r, 0x8, SIM_NS(8100), false);
    assert_int_equal(a.refresh_wait, 0);
    assert_int_equal(a.outcome, DRAM_ROW_HIT);
    rig_free(&r);

    /* A refresh closes the open row: hit without refresh, miss with. */
    rig_make(&r, "{type: dram, size: 64MiB}");
    rig_access(&r, 0x0, SIM_US(7), false);
    a = rig_access(&r, 0x8, SIM_NS(8100), false);
    assert_int_equal(a.outcome, DRAM_ROW_MISS);
    assert_int_equal(a.latency, 26 * TCK_DDR3);
    rig_free(&r);
    rig_make(&r, "{type: dram, size: 64MiB, tREFI: 0s}");
    rig_access(&r, 0x0, SIM_US(7), false);
    a = rig_access(&r, 0x8, SIM_NS(8100), false);
    assert_int_equal(a.outcome, DRAM_ROW_HIT);
    assert_int_equal(a.latency, 15 * TCK_DDR3);
    rig_free(&r);

    /* Far into a run (refresh 100000 at cycle 624000000), 100 cycles in:
     * 108 cycles of wait, then the miss. */
    rig_make(&r, "{type: dram, size: 64MiB}");
    a = rig_access(&r, 0x0, (624000000ull + 100) * TCK_DDR3, false);
    assert_int_equal(a.refresh_wait, 108 * TCK_DDR3);
    assert_int_equal(a.latency, (108 + 26) * TCK_DDR3);
    rig_free(&r);

    /* Overridden refresh: tREFI 1 us, tRFC 100 ns. */
    rig_make(&r, "{type: dram, size: 64MiB, tREFI: 1us, tRFC: 100ns}");
    a = rig_access(&r, 0x0, SIM_US(3), false);
    assert_int_equal(a.refresh_wait, 100000);
    assert_int_equal(a.latency, 100000 + 26 * TCK_DDR3);
    rig_free(&r);
}

/* --- mapping ----------------------------------------------------------------------------- */

static void test_default_mapping(void **state)
{
    struct rig r;
    /* row:rank:bank:channel:column, 8-byte beats, 1024 columns, 8 banks:
     * byte [2:0], column [12:3], bank [15:13], row above. */
    rig_make(&r, "{type: dram, size: 1GiB, preset: ddr3-1600}");
    struct dram_location l;
    dram_decode(r.d, 0x0, &l);
    assert_int_equal(l.row, 0);
    assert_int_equal(l.bank, 0);
    assert_int_equal(l.column, 0);
    dram_decode(r.d, 0x1238, &l);
    assert_int_equal(l.column, 0x247);
    assert_int_equal(l.bank, 0);
    dram_decode(r.d, 0x2000, &l);
    assert_int_equal(l.bank, 1);
    assert_int_equal(l.column, 0);
    dram_decode(r.d, 0x12345678, &l);
    assert_int_equal(l.row, 0x1234);
    assert_int_equal(l.bank, 2);
    assert_int_equal(l.column, 0x2CF);
    assert_int_equal(l.channel, 0);
    assert_int_equal(l.rank, 0);
    dram_decode(r.d, 0x3FFFFFFF, &l);
    assert_int_equal(l.row, 16383); /* 1 GiB / 64 KiB rows of all banks */
    assert_int_equal(l.bank, 7);
    assert_int_equal(l.column, 1023);
    rig_free(&r);
}

static void test_custom_mapping(void **state)
{
    struct rig r;
    /* row:bank:rank:column:channel with 2 channels, 2 ranks: byte [2:0],
     * channel [3], column [13:4], rank [14], bank [17:15], row [27:18]. */
    rig_make(&r, "{type: dram, base: 0x100000000, size: 256MiB, channels: 2, ranks: 2, "
                 "mapping: 'row:bank:rank:column:channel'}");
    struct dram_location l;
    dram_decode(r.d, 0x100000008, &l);
    assert_int_equal(l.channel, 1);
    assert_int_equal(l.column, 0);
    dram_decode(r.d, 0x100000010, &l);
    assert_int_equal(l.channel, 0);
    assert_int_equal(l.column, 1);
    dram_decode(r.d, 0x100004000, &l);
    assert_int_equal(l.rank, 1);
    assert_int_equal(l.bank, 0);
    dram_decode(r.d, 0x100008000, &l);
    assert_int_equal(l.rank, 0);
    assert_int_equal(l.bank, 1);
    dram_decode(r.d, 0x10ABCDEF8, &l);
    assert_int_equal(l.channel, 1);
    assert_int_equal(l.column, 0x1EF);
    assert_int_equal(l.rank, 1);
    assert_int_equal(l.bank, 1);
    assert_int_equal(l.row, 0x2AF);
    assert_true(rig_has_stat(&r, "ch1.rank1.bank7.conflicts"));
    rig_free(&r);

    /* A different preset's geometry: DDR4 has 16 banks, PC100 4 banks of
     * 512 columns. */
    rig_make(&r, "{type: dram, size: 64MiB, preset: ddr4-2400}");
    dram_decode(r.d, 0x1E000, &l);
    assert_int_equal(l.bank, 15);
    dram_decode(r.d, 0x20000, &l);
    assert_int_equal(l.bank, 0);
    assert_int_equal(l.row, 1);
    rig_free(&r);
    rig_make(&r, "{type: dram, size: 64MiB, preset: sdram-pc100}");
    dram_decode(r.d, 0x1000, &l);
    assert_int_equal(l.bank, 1);
    assert_int_equal(l.column, 0);
    dram_decode(r.d, 0x4000, &l);
    assert_int_equal(l.row, 1);
    assert_int_equal(l.bank, 0);
    rig_free(&r);
}

/* --- presets -------------------------------------------------------------------------------- */

/* JEDEC minimums in ps, converted to cycles by rounding up at the preset's
 * clock: the preset tables must agree. */
struct preset_ns {
    const char *name;
    uint64_t hz;
    unsigned cl, cwl;
    uint64_t trcd, trp, tras, trc, twr, trtp; /* ps; trtp 0: not checked */
    sim_time_t trefi, trfc;
};

/* ps at num/den Hz in cycles, rounded up. */
static uint64_t ceil_cycles(uint64_t ps, const struct dram_timing *t)
{
    unsigned __int128 n = (unsigned __int128)ps * t->hz_num;
    unsigned __int128 q = (unsigned __int128)1000000000000ull * t->hz_den;
    return (uint64_t)((n + q - 1) / q);
}

static void test_presets(void **state)
{
    static const struct preset_ns ref[] = {
        { "sdram-pc100", 100000000, 2, 0, 20000, 20000, 50000, 70000, 20000, 0,
          SIM_NS(15625), SIM_NS(70) },
        { "ddr2-800", 400000000, 5, 4, 12500, 12500, 45000, 57500, 15000, 7500,
          SIM_NS(7800), SIM_PS(127500) },
        { "ddr3-1333", 666666667, 9, 7, 13500, 13500, 36000, 49500, 15000, 7500,
          SIM_NS(7800), SIM_NS(260) },
        { "ddr3-1600", 800000000, 11, 8, 13750, 13750, 35000, 48750, 15000, 7500,
          SIM_NS(7800), SIM_NS(260) },
        { "ddr4-2400", 1200000000, 17, 12, 14160, 14160, 32000, 46160, 15000, 7500,
          SIM_NS(7800), SIM_NS(350) },
        { "ddr4-3200", 1600000000, 22, 16, 13750, 13750, 32000, 45750, 15000, 7500,
          SIM_NS(7800), SIM_NS(350) },
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        struct rig r;
        char y[128];
        snprintf(y, sizeof y, "{type: dram, size: 64MiB, preset: %s}", ref[i].name);
        rig_make(&r, y);
        const struct dram_timing *t = dram_get_timing(r.d);
        uint64_t hz = (t->hz_num + t->hz_den / 2) / t->hz_den;
        assert_int_equal(hz, ref[i].hz);
        assert_int_equal(t->cl, ref[i].cl);
        assert_int_equal(t->cwl, ref[i].cwl);
        assert_int_equal(t->trcd, ceil_cycles(ref[i].trcd, t));
        assert_int_equal(t->trp, ceil_cycles(ref[i].trp, t));
        assert_int_equal(t->tras, ceil_cycles(ref[i].tras, t));
        assert_int_equal(t->trc, ceil_cycles(ref[i].trc, t));
        assert_int_equal(t->trc, t->tras + t->trp);
        assert_int_equal(t->twr, ceil_cycles(ref[i].twr, t));
        if (ref[i].trtp)
            assert_int_equal(t->trtp, ceil_cycles(ref[i].trtp, t));
        assert_int_equal(t->trefi, ref[i].trefi);
        assert_int_equal(t->trfc, ref[i].trfc);
        /* BL8 at DDR and BL4 at SDR: a 64-bit channel moves 64 or 32 bytes
         * in 4 clocks. */
        assert_int_equal(t->burst_length / t->data_rate, 4);
        rig_free(&r);
    }
}

/* Latencies at a clock that is not a whole number of ps: DDR4-2400. */
static void test_ddr4_latencies(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB, preset: ddr4-2400}");
    /* 1 us is edge 1200; a miss ends at edge 1238, which the kernel's clock
     * places at ceil(1238 / 1.2 GHz) = 1031667 ps. */
    struct dram_result a = rig_access(&r, 0x0, SIM_US(1), false);
    assert_int_equal(a.outcome, DRAM_ROW_MISS);
    assert_int_equal(a.latency, 31667);
    /* Hit at 2 us (edge 2400): 17 + 4 cycles = 17.5 ns exactly. */
    a = rig_access(&r, 0x8, SIM_US(2), false);
    assert_int_equal(a.outcome, DRAM_ROW_HIT);
    assert_int_equal(a.latency, 17500);
    rig_free(&r);

    /* Months into a run the clock conversions leave 64 bits (DDR4-2400's
     * period is 2500/3 ps): still a miss of 38 cycles from the next edge. */
    rig_make(&r, "{type: dram, size: 64MiB, preset: ddr4-2400, tREFI: 0s}");
    sim_time_t late = SIM_TIME_MAX / 2 + 12345;
    a = rig_access(&r, 0x0, late, false);
    assert_int_equal(a.outcome, DRAM_ROW_MISS);
    assert_in_range(a.latency, 31666, 31667 + 834);
    a = rig_access(&r, 0x8, late + SIM_US(1), false);
    assert_int_equal(a.outcome, DRAM_ROW_HIT);
    assert_in_range(a.latency, 17500, 17500 + 834);
    rig_free(&r);

    /* PC100 CL2: hit 2 + 4 cycles of 10 ns; miss 2 + 2 + 4. */
    rig_make(&r, "{type: dram, size: 64MiB, preset: sdram-pc100}");
    assert_int_equal(rig_access(&r, 0x0, SIM_US(1), false).latency, 80000);
    assert_int_equal(rig_access(&r, 0x8, SIM_US(2), false).latency, 60000);
    assert_int_equal(rig_access(&r, 0x4000, SIM_US(3), false).latency, 100000);
    rig_free(&r);
}

/* Every parameter can be overridden on top of a preset. */
static void test_overrides(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, size: 64MiB, preset: ddr3-1600, tCL: 13, tRCD: 12, tRP: 10, "
                 "burst-length: 4, frequency: 400MHz, controller-latency: 10ns}");
    const struct dram_timing *t = dram_get_timing(r.d);
    assert_int_equal(t->cl, 13);
    assert_int_equal(t->trc, 28 + 10); /* tRP set: tRC follows tRAS + tRP */
    /* 2.5 ns clock; the request reaches the DRAM 10 ns later (4 cycles).
     * Miss: 12 + 13 + 2 cycles. */
    assert_int_equal(rig_access(&r, 0x0, SIM_US(1), false).latency, 10000 + 27 * 2500);
    assert_int_equal(rig_access(&r, 0x8, SIM_US(2), false).latency, 10000 + 15 * 2500);
    rig_free(&r);

    /* A machine clock domain as the command clock. */
    struct cw_error err = { { 0 } };
    memset(&r, 0, sizeof r);
    r.sim = sim_create();
    r.as = as_create(r.sim, "memory", SPACE_MEMORY, 32);
    sim_add_space(r.sim, r.as);
    sim_add_clock(r.sim, "mclk", 500000000, 1);
    const char *y = "{type: dram, size: 1MiB, clock: mclk}";
    r.yaml = ytree_load_string(y, strlen(y), "t.yaml", &err);
    r.c = component_create(r.sim, "dram0", component_type_find("dram"), r.yaml, &err);
    assert_non_null(r.c);
    r.d = ((struct dram_iface *)component_interface(r.c, "dram"))->opaque;
    assert_int_equal(rig_access(&r, 0x0, SIM_US(1), false).latency, 26 * 2000);
    rig_free(&r);
}

static void expect_error(const char *yaml, const char *needle)
{
    struct rig r;
    struct cw_error err = { { 0 } };
    if (rig_try(&r, yaml, &err) == 0)
        fail_msg("accepted: %s", yaml);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_non_null(strstr(err.msg, "t.yaml:1:"));
    rig_free(&r);
}

static void test_bad_parameters(void **state)
{
    expect_error("{type: dram, size: 1MiB, preset: ddr5-4800}", "expected one of sdram-pc100");
    expect_error("{type: dram, size: 1MiB, mapping: 'row:bank:column'}", "expected all five");
    expect_error("{type: dram, size: 1MiB, mapping: 'row:bank:bank:rank:column'}", "once");
    expect_error("{type: dram, size: 1MiB, mapping: 'row:rank:bank:chanel:column'}", "once");
    expect_error("{type: dram, size: 1MiB, banks: 6}", "power of two");
    expect_error("{type: dram, size: 1MiB, page-policy: adaptive}", "'open' or 'closed'");
    expect_error("{type: dram, size: 1MiB, region: rom}", "'ram' or 'mmio'");
    expect_error("{type: dram, size: 1MiB, tCL: 0}", "tCL must be");
    expect_error("{type: dram, size: 1MiB, data-rate: 4}", "data-rate must be");
    expect_error("{type: dram, size: 1MiB, burst-length: 7}", "whole number of clocks");
    expect_error("{type: dram, size: 1MiB, tRFC: 8us}", "shorter than tREFI");
    expect_error("{type: dram, size: 64MiB, rows: 16}", "less than the size");
    expect_error("{type: dram, size: 1MiB, frequency: 0Hz}", "frequency");
    expect_error("{type: dram, size: 1MiB, tCAS: 11}", "tCAS");
}

/* --- through the bus ---------------------------------------------------------------------------- */

/* mmio mode: every bus access is timed by the DRAM, data round-trips. */
static void test_bus_access_mmio(void **state)
{
    struct rig r;
    rig_make(&r, "{type: dram, base: 0x100000, size: 1MiB, region: mmio}");
    sim_time_t lat = 0;
    /* Global time 0 is edge 0: write miss = tRCD + CWL + burst = 23 cycles. */
    as_write(r.as, 0x100010, 4, 0xdeadbeef, BUS_WRITE, 0, &lat);
    assert_int_equal(lat, 23 * TCK_DDR3);
    lat = 0;
    struct bus_tx tx = { .addr = 0x100010, .size = 4, .kind = BUS_READ, .time = SIM_US(1) };
    as_access(r.as, &tx);
    assert_int_equal(tx.data, 0xdeadbeef);
    assert_int_equal(tx.latency, 15 * TCK_DDR3);
    /* The region's offset is decoded from the DRAM's own base. */
    tx = (struct bus_tx){ .addr = 0x110000, .size = 8, .kind = BUS_READ, .time = SIM_US(2) };
    as_access(r.as, &tx);
    assert_int_equal(tx.latency, 37 * TCK_DDR3);
    assert_int_equal(tx.data, 0);
    /* No DMI: the CPU must come through the bus. */
    struct dmi dmi;
    assert_false(as_dmi(r.as, 0x100000, false, &dmi));
    assert_int_equal(rig_stat(&r, "accesses"), 3);
    rig_free(&r);

    /* ram mode: a RAM region with DMI for the CPU; bus accesses are timed
     * by the region's timing hook, and the iface times DMI users. */
    rig_make(&r, "{type: dram, base: 0x100000, size: 1MiB}");
    assert_true(as_dmi(r.as, 0x100000, true, &dmi));
    lat = 0;
    as_write(r.as, 0x100020, 2, 0x1234, BUS_WRITE, 0, &lat);
    assert_int_equal(lat, 23 * TCK_DDR3);
    lat = 0;
    assert_int_equal(as_read(r.as, 0x100020, 2, BUS_READ, 0, &lat), 0x1234);
    /* Read right after the write at time 0: READ after the WRITE's tCCD
     * (11 + 4), data 26-30. */
    assert_int_equal(lat, 30 * TCK_DDR3);
    struct dram_iface *di = component_interface(r.c, "dram");
    tx = (struct bus_tx){ .addr = 0x110020, .size = 8, .kind = BUS_READ, .time = SIM_US(1) };
    assert_int_equal(di->access(di->opaque, &tx), 37 * TCK_DDR3);
    assert_int_equal(rig_stat(&r, "row-conflicts"), 1);
    /* Seen through an alias, the DRAM still decodes its own offset. */
    struct cw_error err = { { 0 } };
    struct region *ram = as_find_region(r.as, "dram0");
    assert_non_null(as_add_alias(r.as, NULL, "window", 0xA0000, 0x10000, ram, 0x10000, &err));
    tx = (struct bus_tx){ .addr = 0xA0028, .size = 8, .kind = BUS_READ, .time = SIM_US(2) };
    as_access(r.as, &tx);
    assert_int_equal(tx.latency, 15 * TCK_DDR3); /* row 1 of bank 0 is open */
    assert_int_equal(rig_stat(&r, "row-hits"), 2);  /* the read after the write, and this */
    rig_free(&r);
}

/* --- the demo machine --------------------------------------------------------------------------- */

static sim_time_t phase_time(struct sim *sim, const char *from, const char *to)
{
    sim_time_t a = SIM_TIME_MAX, b = SIM_TIME_MAX;
    for (size_t i = 0; i < sim_marker_count(sim); i++) {
        const struct sim_marker_info *m = sim_marker_get(sim, i);
        if (strcmp(m->name, from) == 0 && a == SIM_TIME_MAX)
            a = m->time;
        if (strcmp(m->name, to) == 0 && b == SIM_TIME_MAX)
            b = m->time;
    }
    assert_true(a != SIM_TIME_MAX && b != SIM_TIME_MAX);
    return b - a;
}

/* Runs machines/tiny-dram.yaml with a page policy; returns the phases. */
static void run_demo(const char *policy, const char *region, sim_time_t *seq, sim_time_t *thrash)
{
    char path[4096];
    /* This file is tests/unit/test_dram.c, relative to the repository root. */
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strrchr(path, '/');
    size_t at = slash ? (size_t)(slash - path) : 0;
    snprintf(path + at, sizeof path - at, "%s../../machines/tiny-dram.yaml", slash ? "/" : "");
    struct cw_error err = { { 0 } };
    struct ynode *tree = machine_load_file(path, &err);
    if (!tree)
        fail_msg("%s", err.msg);
    if (machine_set_path(tree, "components.dram0.page-policy", policy, "test", &err) ||
        machine_set_path(tree, "components.dram0.region", region, "test", &err))
        fail_msg("%s", err.msg);
    struct sim *sim = machine_build(tree, &err);
    if (!sim)
        fail_msg("%s", err.msg);
    sim_set_quantum(sim, SIM_US(1));
    struct sim_limits lim = { .until_time = SIM_MS(1) };
    assert_int_equal(sim_run(sim, &lim), SIM_STOP_POWEROFF);
    *seq = phase_time(sim, "sequential", "thrash");
    *thrash = phase_time(sim, "thrash", "done");
    sim_destroy(sim);
    ytree_free(tree);
}

static void test_demo_machine(void **state)
{
    sim_time_t open_seq, open_thrash, closed_seq, closed_thrash;
    run_demo("open", "mmio", &open_seq, &open_thrash);
    run_demo("closed", "mmio", &closed_seq, &closed_thrash);
    /* 32 reads per phase, one 20 ns generator cycle (16 DRAM cycles) plus
     * the latency each: open page streams 1 miss + 31 hits, thrashes 1 miss
     * + 31 conflicts; closed page misses every time. */
    assert_int_equal(open_seq, (26 + 31 * 15 + 32 * 16) * TCK_DDR3);
    assert_int_equal(open_thrash, (26 + 31 * 37 + 32 * 16) * TCK_DDR3);
    assert_int_equal(closed_seq, (32 * 26 + 32 * 16) * TCK_DDR3);
    assert_int_equal(closed_thrash, (32 * 26 + 32 * 16) * TCK_DDR3);
    /* A RAM region (DMI for CPUs) times bus accesses the same way. */
    sim_time_t ram_seq, ram_thrash;
    run_demo("open", "ram", &ram_seq, &ram_thrash);
    assert_int_equal(ram_seq, open_seq);
    assert_int_equal(ram_thrash, open_thrash);
}

/* --- a CPU's accesses through its pipeline timing model ----------------------------------- */

/* real mode at 1000:0000:
 *   mov cx,50 ; l: add ax,cx ; mov [si],ax ; add si,2 ; and si,0xff ; loop l ; hlt */
static const uint8_t cpu_loop[] = { 0xb9, 0x32, 0x00, 0x01, 0xc8, 0x89, 0x04, 0x83, 0xc6,
                                    0x02, 0x81, 0xe6, 0xff, 0x00, 0xe2, 0xf3, 0xf4 };

struct cpu_run {
    uint64_t dram_accesses, fetches, data_cycles, cycles;
    uint64_t hits, misses, conflicts;
    uint64_t latency_ps;     /* sum over the DRAM's accesses */
};

/* A guest program on an 80286 whose pipeline model asks dram0 per access. */
struct cpu_setup {
    const char *region;      /* ram (DMI for the core) or mmio */
    bool observe;            /* an observer on memory: every access over the bus */
    bool exact;              /* the 80286 bus model (pipeline.exact) */
    const char *policy;      /* page policy */
    uint64_t hz;             /* CPU clock */
    const uint8_t *prog;     /* at 1000:0000 */
    size_t len;
    uint16_t ds;
};

static void ignore_tx(void *opaque, struct addr_space *as, const struct bus_tx *tx)
{
    (void)opaque, (void)as, (void)tx;
}

/* Runs the setup's program to its HLT (and a little idling after it). */
static void run_cpu(const struct cpu_setup *su, struct cpu_run *out)
{
    struct cw_error err = { { 0 } };
    struct sim *sim = sim_create();
    sim_set_log_quiet(sim, true);
    struct addr_space *mem = as_create(sim, "memory", SPACE_MEMORY, 32);
    sim_add_space(sim, mem);
    struct addr_space *io = as_create(sim, "io", SPACE_IO, 16);
    sim_add_space(sim, io);
    sim_add_clock(sim, "cpu", su->hz, 1);
    char y[256];
    snprintf(y, sizeof y, "{type: dram, size: 1MiB, preset: ddr3-1600, region: %s, "
             "page-policy: %s, tREFI: 0s}", su->region, su->policy);
    struct ynode *dy = ytree_load_string(y, strlen(y), "dram.yaml", &err);
    assert_non_null(dy);
    struct component *dc = component_create(sim, "dram0", component_type_find("dram"), dy, &err);
    if (!dc)
        fail_msg("dram: %s", err.msg);
    char cy[256];
    snprintf(cy, sizeof cy, "{type: x86-cpu, clock: cpu, memory: memory, io: io, profile: \"286\", "
             "timing: pipeline, pipeline: {dram: dram0%s}}", su->exact ? ", exact: true" : "");
    struct ynode *cpuy = ytree_load_string(cy, strlen(cy), "cpu.yaml", &err);
    assert_non_null(cpuy);
    const struct component_type *ct = component_type_find("x86-cpu");
    struct component *cc = component_create(sim, "cpu0", ct, cpuy, &err);
    if (!cc || (ct->realize && ct->realize(cc, &err)))
        fail_msg("cpu: %s", err.msg);
    struct x86_cpu *cpu = x86_cpu_of(cc);
    as_load(mem, 0x10000, su->prog, su->len);
    x86_cpu_set_reg(cpu, X86_CS, 0x1000);
    x86_cpu_set_reg(cpu, X86_RIP, 0);
    x86_cpu_set_reg(cpu, X86_DS, su->ds);
    if (su->observe)
        as_add_observer(mem, 0, 0xfffff, BUS_KIND_ALL, ignore_tx, NULL);
    struct sim_limits lim = { SIM_TIME_MAX, 0, 100000 };
    sim_run(sim, &lim);
    const struct x86_timing_stats *st = x86_timing_stats(x86_timing_of(cpu));
    out->dram_accesses = dev_test_stat(dc, "accesses");
    out->hits = dev_test_stat(dc, "row-hits");
    out->misses = dev_test_stat(dc, "row-misses");
    out->conflicts = dev_test_stat(dc, "row-conflicts");
    out->latency_ps = dev_test_stat(dc, "latency-total-ps");
    out->fetches = st->fetches;
    out->data_cycles = st->data_cycles;
    out->cycles = dev_test_stat(cc, "cycles");
    sim_destroy(sim);
    ytree_free(dy);
    ytree_free(cpuy);
}

static void run_cpu_loop(const char *region, bool observe, bool exact, struct cpu_run *out)
{
    struct cpu_setup su = { region, observe, exact, "open", 12000000, cpu_loop, sizeof cpu_loop,
                            0x2000 };
    run_cpu(&su, out);
}

static void test_cpu_accesses_counted_once(void **state)
{
    /* The pipeline model charges every code fetch and data access once
     * through the "dram" interface. When the core's own reads and writes
     * (or the model's fetch transactions) also cross the bus, the DRAM
     * region must not charge them a second time. */
    struct cpu_run dmi, observed, mmio, exact;
    run_cpu_loop("ram", false, false, &dmi);
    run_cpu_loop("ram", true, false, &observed);
    run_cpu_loop("mmio", false, false, &mmio);
    run_cpu_loop("mmio", false, true, &exact); /* the 80286 bus model asks the same way */
    assert_int_equal(dmi.data_cycles, 50); /* one aligned word written per iteration */
    assert_true(dmi.fetches > 50);
    assert_int_equal(dmi.dram_accesses, dmi.fetches + dmi.data_cycles);
    assert_int_equal(observed.dram_accesses, observed.fetches + observed.data_cycles);
    assert_int_equal(mmio.dram_accesses, mmio.fetches + mmio.data_cycles);
    assert_int_equal(exact.data_cycles, 50);
    assert_int_equal(exact.dram_accesses, exact.fetches + exact.data_cycles);
    /* and the clocks do not depend on who watches the bus */
    assert_int_equal(observed.cycles, dmi.cycles);
    assert_int_equal(mmio.cycles, dmi.cycles);
}

/* real mode at 1000:0000, DS = 2200h (bank 1; the code is in bank 0):
 *   mov cx,64 ; l: mov ax,[si] ; add si,2 ; loop l ; hlt */
static const uint8_t read_loop[] = { 0xb9, 0x40, 0x00, 0x8b, 0x04, 0x83, 0xc6, 0x02,
                                     0xe2, 0xf9, 0xf4 };

static void test_cpu_loop_page_policy(void **state)
{
    /* A memory-bound guest loop at 1 GHz (so the DRAM's latency is most of
     * every bus cycle): 64 word reads along one row of bank 1, the code in
     * one row of bank 0. Open page: after the first access of each row
     * every access is a row hit, CL + BL/2 = 15 tCK (18.75 ns); closed
     * page: every access opens its row, tRCD + CL + BL/2 = 26 tCK at
     * least, 11 tCK (13.75 ns) more, and waits for the bank's precharge
     * after the previous one. The loop is bound by its bus cycles, so the
     * clocks it gains are the DRAM's added latency, each access rounded
     * up to the next CPU clock. */
    struct cpu_run open, closed;
    struct cpu_setup su = { "ram", false, false, "open", 1000000000, read_loop, sizeof read_loop,
                            0x2200 };
    for (int exact = 0; exact < 2; exact++) {
        su.exact = exact;
        su.policy = "open";
        run_cpu(&su, &open);
        su.policy = "closed";
        run_cpu(&su, &closed);
        uint64_t n = open.dram_accesses;
        uint64_t extra = closed.cycles - open.cycles;
        uint64_t added_ns = (closed.latency_ps - open.latency_ps) / 1000;
        print_message("%s: open page %llu cycles, closed page %llu (+%llu; %llu reads, %llu "
                      "fetches; DRAM latency +%llu ns)\n", exact ? "80286 bus model" : "pipeline",
                      (unsigned long long)open.cycles, (unsigned long long)closed.cycles,
                      (unsigned long long)extra, (unsigned long long)open.data_cycles,
                      (unsigned long long)open.fetches, (unsigned long long)added_ns);
        assert_int_equal(open.data_cycles, 64);
        assert_int_equal(n, open.fetches + open.data_cycles);
        assert_int_equal(open.conflicts, 0);
        assert_true(open.misses <= 2); /* the first touch of each row */
        assert_int_equal(open.hits, n - open.misses);
        assert_int_equal(closed.dram_accesses, n);
        assert_int_equal(closed.misses, n);
        assert_true(added_ns * 1000 >= (n - 2) * 11 * TCK_DDR3);
        assert_true(extra + n >= added_ns && extra <= added_ns + n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_miss_conflict),
        cmocka_unit_test(test_arrival_between_edges),
        cmocka_unit_test(test_conflict_respects_tras_and_trc),
        cmocka_unit_test(test_write_recovery),
        cmocka_unit_test(test_bank_parallelism_and_data_bus),
        cmocka_unit_test(test_closed_page),
        cmocka_unit_test(test_policy_on_access_patterns),
        cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_default_mapping),
        cmocka_unit_test(test_custom_mapping),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_ddr4_latencies),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_bus_access_mmio),
        cmocka_unit_test(test_demo_machine),
        cmocka_unit_test(test_cpu_accesses_counted_once),
        cmocka_unit_test(test_cpu_loop_page_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
