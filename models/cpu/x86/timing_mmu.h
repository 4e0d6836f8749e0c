/* timing_mmu.h: the MMU of the x86 pipeline timing model: set-associative
 * TLBs (entries, ways, LRU/FIFO/random replacement; 4 KiB and large-page
 * TLBs, split into ITLB/DTLB or unified) in front of a page-walk cost
 * model. A TLB miss replays the walk the functional core made (the tables
 * are read with as_peek for the addresses) as BUS_WALK_READ transactions
 * through as_access, so the DRAM's timing hook and the trace see them, and
 * charges their latency as walk clocks. Intel SDM vol. 3 ch. 4 (paging
 * formats, PDPTE registers, TLB invalidation); docs/timing-pc.md. */
#ifndef CW_X86_TIMING_MMU_H
#define CW_X86_TIMING_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/component.h"

enum x86_tmmu_repl { X86_TMMU_LRU, X86_TMMU_FIFO, X86_TMMU_RANDOM };

struct x86_tmmu_way {
    uint64_t tag;    /* virtual page number (in the TLB's page size) */
    uint64_t stamp;  /* LRU: last use; FIFO: insertion */
    bool valid, global;
};

/* One set-associative TLB for one page size. */
struct x86_tmmu_tlb {
    unsigned sets, ways;
    enum x86_tmmu_repl repl;
    struct x86_tmmu_way *way; /* sets x ways; NULL when the TLB has no entries */
    uint64_t clock;           /* stamp source */
    uint64_t rng;             /* xorshift state of random replacement */
};

/* Sets the TLB up with `entries` in sets of `ways` (entries a multiple of
 * ways, the set count a power of two; 0 entries: no TLB). */
int x86_tmmu_tlb_init(struct x86_tmmu_tlb *t, unsigned entries, unsigned ways,
                      enum x86_tmmu_repl repl, struct cw_error *err);
void x86_tmmu_tlb_free(struct x86_tmmu_tlb *t);
/* True if vpn is held (LRU: it becomes the most recently used). */
bool x86_tmmu_tlb_lookup(struct x86_tmmu_tlb *t, uint64_t vpn);
/* Inserts vpn, evicting by the replacement policy when its set is full. */
void x86_tmmu_tlb_insert(struct x86_tmmu_tlb *t, uint64_t vpn, bool global);
/* Invalidates every entry, or the non-global ones. */
void x86_tmmu_tlb_flush(struct x86_tmmu_tlb *t, bool include_global);
/* Invalidates the entry for vpn, global or not. */
void x86_tmmu_tlb_invalidate(struct x86_tmmu_tlb *t, uint64_t vpn);

/* The paging state a walk needs (from the core's control registers). */
struct x86_tmmu_mode {
    bool paging;        /* CR0.PG */
    bool pae;           /* CR4.PAE */
    bool pse;           /* CR4.PSE */
    bool pge;           /* CR4.PGE */
    bool lma;           /* IA-32e mode: 4-level tables */
    uint64_t cr3;
    uint64_t a20_mask;
};

struct x86_tmmu_config {
    enum x86_tmmu_repl repl;
    bool split;                          /* ITLB and DTLB (else one, the D geometry) */
    unsigned itlb_entries, itlb_ways;    /* 4 KiB pages */
    unsigned itlb_large_entries, itlb_large_ways;
    unsigned dtlb_entries, dtlb_ways;
    unsigned dtlb_large_entries, dtlb_large_ways;
    unsigned walk_cycles;                /* fixed clocks per walk (page-miss handler) */
    unsigned read_cycles;                /* clocks per table read beyond the memory latency */
};

/* Core 2 class defaults (docs/timing-pc.md); walk/read clocks as given. */
void x86_tmmu_config_default(struct x86_tmmu_config *cfg, unsigned walk_cycles,
                             unsigned read_cycles);
/* Reads a `mmu:` map over cfg: replacement, split, itlb, itlb-large, dtlb,
 * dtlb-large ({entries, ways}), walk-cycles, read-cycles. */
int x86_tmmu_config_parse(struct x86_tmmu_config *cfg, const struct ynode *n,
                          struct cw_error *err);

struct x86_tmmu_stats {
    uint64_t itlb_hits, itlb_misses, dtlb_hits, dtlb_misses;
    uint64_t walks, walk_reads, walk_cycles, faults, flushes;
    uint64_t flushes_global; /* those that dropped global entries too */
    uint64_t invlpgs;        /* single pages invalidated (INVLPG) */
};

struct dram_iface;

struct x86_tmmu {
    struct x86_tmmu_config cfg;
    const struct dram_iface *dram; /* charges the walk reads when set */
    struct x86_tmmu_tlb itlb, itlb_large, dtlb, dtlb_large;
    struct addr_space *mem;
    uint16_t initiator;
    struct x86_tmmu_mode mode;   /* the mode the TLB contents belong to */
    bool have_mode;
    bool cr3_loaded;             /* a MOV to CR3 since the last translation */
    struct x86_tmmu_stats st;
};

/* Creates the model; returns NULL with err filled on a bad geometry. */
struct x86_tmmu *x86_tmmu_create(const struct x86_tmmu_config *cfg, struct addr_space *mem,
                                 uint16_t initiator, struct cw_error *err);
void x86_tmmu_destroy(struct x86_tmmu *m);
void x86_tmmu_register_stats(struct x86_tmmu *m, struct component *c);
/* Walk reads cost what this DRAM says (the pipeline's `dram`), asked
 * through its interface; their bus transactions are then untimed (the
 * DRAM's claim). NULL: the latency of the bus transaction. */
void x86_tmmu_set_dram(struct x86_tmmu *m, const struct dram_iface *dram);

/* The clocks the translation of `lin` costs under `mode`: 0 on a TLB hit
 * (or without paging), else the walk's. The walk's reads are timed from
 * `start` (ps) on, one after the other, `period_ps` per clock. A change of
 * CR3 flushes the non-global entries, any other mode change all of them. */
uint64_t x86_tmmu_translate(struct x86_tmmu *m, const struct x86_tmmu_mode *mode, uint64_t lin,
                            bool fetch, sim_time_t start, sim_time_t period_ps);
/* Drops every entry, or the non-global ones (counted in mmu-flushes). */
void x86_tmmu_flush(struct x86_tmmu *m, bool include_global);
/* A MOV to CR3 is about to run (even with the same value): the next
 * translation drops the non-global entries, once. */
void x86_tmmu_cr3_load(struct x86_tmmu *m);
/* INVLPG of linear address lin: drops the 4 KiB entry of its page and the
 * large-page entry covering it, global or not (SDM vol. 3, 4.10.4.1). */
void x86_tmmu_invlpg(struct x86_tmmu *m, uint64_t lin);

#endif
