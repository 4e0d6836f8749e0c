/* timing_mmu.c: TLBs and page-walk costs for the x86 pipeline timing model.
 * Follows the Intel SDM vol. 3 chapter 4: the three table formats (32-bit
 * with PSE 4 MiB pages, PAE with the PDPTEs held in registers loaded with
 * CR3, IA-32e 4-level with 2 MiB pages), global pages kept across CR3
 * loads, INVLPG (one page) and control-register writes invalidating entries.
 *
 * The functional core translates with its own software TLB; this model only
 * decides what the translation costs. Its TLBs have the geometry and
 * replacement of the modelled part, and a miss replays the walk: entry
 * addresses from the tables in guest memory (as_peek: no side effects), each
 * read issued as a BUS_WALK_READ through as_access so the memory's timing
 * (a DRAM's hook) and the trace see it at the time it happens. */
#include "models/cpu/x86/timing_mmu.h"

#include <stdlib.h>
#include <string.h>

#include "kernel/ytree.h"
#include "models/memory/dram.h"

#define TMMU_PTE_P 0x1ull
#define TMMU_PTE_PS 0x80ull
#define TMMU_PTE_G 0x100ull
#define TMMU_ADDR_MASK 0x000ffffffffff000ull

/* --- one TLB ------------------------------------------------------------------- */

int x86_tmmu_tlb_init(struct x86_tmmu_tlb *t, unsigned entries, unsigned ways,
                      enum x86_tmmu_repl repl, struct cw_error *err)
{
    memset(t, 0, sizeof *t);
    t->repl = repl;
    t->rng = 0x9e3779b97f4a7c15ull; /* fixed seed: runs repeat exactly */
    if (!entries)
        return 0;
    if (!ways || ways > entries || entries % ways)
        return cw_errorf(err, "TLB of %u entries: ways (%u) must divide the entries", entries,
                         ways);
    unsigned sets = entries / ways;
    if (sets & (sets - 1))
        return cw_errorf(err, "TLB of %u entries in %u ways: the set count (%u) must be a "
                              "power of two", entries, ways, sets);
    t->way = calloc(entries, sizeof *t->way);
    if (!t->way)
        return cw_errorf(err, "TLB: out of memory");
    t->sets = sets;
    t->ways = ways;
    return 0;
}

void x86_tmmu_tlb_free(struct x86_tmmu_tlb *t)
{
    free(t->way);
    t->way = NULL;
}

static struct x86_tmmu_way *x86_tmmu_tlb_set(struct x86_tmmu_tlb *t, uint64_t vpn)
{
    return &t->way[(vpn & (t->sets - 1)) * t->ways];
}

bool x86_tmmu_tlb_lookup(struct x86_tmmu_tlb *t, uint64_t vpn)
{
    if (!t->way)
        return false;
    struct x86_tmmu_way *set = x86_tmmu_tlb_set(t, vpn);
    for (unsigned w = 0; w < t->ways; w++) {
        if (set[w].valid && set[w].tag == vpn) {
            if (t->repl == X86_TMMU_LRU)
                set[w].stamp = ++t->clock;
            return true;
        }
    }
    return false;
}

static uint64_t x86_tmmu_random(struct x86_tmmu_tlb *t)
{
    uint64_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t->rng = x;
    return x;
}

void x86_tmmu_tlb_insert(struct x86_tmmu_tlb *t, uint64_t vpn, bool global)
{
    if (!t->way)
        return;
    struct x86_tmmu_way *set = x86_tmmu_tlb_set(t, vpn), *victim = NULL;
    for (unsigned w = 0; w < t->ways && !victim; w++)
        if (!set[w].valid || set[w].tag == vpn)
            victim = &set[w];
    if (!victim && t->repl == X86_TMMU_RANDOM)
        victim = &set[x86_tmmu_random(t) % t->ways];
    if (!victim) {
        /* LRU: the least recently used; FIFO: the first inserted (both
         * stamps count up, so the smallest is the victim) */
        victim = &set[0];
        for (unsigned w = 1; w < t->ways; w++)
            if (set[w].stamp < victim->stamp)
                victim = &set[w];
    }
    victim->valid = true;
    victim->global = global;
    victim->tag = vpn;
    victim->stamp = ++t->clock;
}

void x86_tmmu_tlb_flush(struct x86_tmmu_tlb *t, bool include_global)
{
    unsigned n = t->sets * t->ways;
    for (unsigned i = 0; t->way && i < n; i++)
        if (include_global || !t->way[i].global)
            t->way[i].valid = false;
}

void x86_tmmu_tlb_invalidate(struct x86_tmmu_tlb *t, uint64_t vpn)
{
    if (!t->way)
        return;
    struct x86_tmmu_way *set = x86_tmmu_tlb_set(t, vpn);
    for (unsigned w = 0; w < t->ways; w++)
        if (set[w].valid && set[w].tag == vpn)
            set[w].valid = false;
}

/* --- configuration ---------------------------------------------------------------- */

void x86_tmmu_config_default(struct x86_tmmu_config *cfg, unsigned walk_cycles,
                             unsigned read_cycles)
{
    /* Intel Core microarchitecture (Optimization Reference Manual, "Intel
     * Core microarchitecture" TLB table): ITLB 128 x 4 KiB, 4-way, and
     * 8 large pages; DTLB 256 x 4 KiB, 4-way, and 32 large pages, 4-way. */
    *cfg = (struct x86_tmmu_config){
        .repl = X86_TMMU_LRU,
        .split = true,
        .itlb_entries = 128, .itlb_ways = 4,
        .itlb_large_entries = 8, .itlb_large_ways = 8,
        .dtlb_entries = 256, .dtlb_ways = 4,
        .dtlb_large_entries = 32, .dtlb_large_ways = 4,
        .walk_cycles = walk_cycles,
        .read_cycles = read_cycles,
    };
}

static int x86_tmmu_parse_geometry(const struct ynode *n, unsigned *entries, unsigned *ways,
                                   struct cw_error *err)
{
    if (n->kind != YNODE_MAP)
        return ynode_error(err, n, "expected {entries: N, ways: N}");
    for (size_t i = 0; i < n->count; i++)
        if (strcmp(n->keys[i], "entries") && strcmp(n->keys[i], "ways"))
            return ynode_error(err, n->key_nodes[i], "unknown key '%s'; expected entries, ways",
                               n->keys[i]);
    const struct ynode *v;
    uint64_t x;
    if ((v = ymap_get(n, "entries"))) {
        if (ynode_u64(v, &x, err))
            return -1;
        if (x > 65536)
            return ynode_error(err, v, "entries: at most 65536");
        *entries = (unsigned)x;
        if (*ways > *entries)
            *ways = *entries; /* fewer entries than the default ways: fully associative */
    }
    if ((v = ymap_get(n, "ways"))) {
        if (ynode_u64(v, &x, err))
            return -1;
        if (x > 65536)
            return ynode_error(err, v, "ways: at most 65536");
        *ways = (unsigned)x;
    }
    if (*entries && (!*ways || *ways > *entries || *entries % *ways ||
                     ((*entries / *ways) & (*entries / *ways - 1))))
        return ynode_error(err, n, "%u entries in %u ways: ways must divide the entries and "
                                   "the number of sets be a power of two", *entries, *ways);
    return 0;
}

int x86_tmmu_config_parse(struct x86_tmmu_config *cfg, const struct ynode *n,
                          struct cw_error *err)
{
    static const char *const keys[] = { "replacement", "split", "itlb", "itlb-large", "dtlb",
                                        "dtlb-large", "walk-cycles", "read-cycles", NULL };
    if (n->kind != YNODE_MAP)
        return ynode_error(err, n, "mmu: expected a map of TLB parameters");
    for (size_t i = 0; i < n->count; i++) {
        bool known = false;
        for (size_t k = 0; keys[k]; k++)
            known |= !strcmp(n->keys[i], keys[k]);
        if (!known)
            return ynode_error(err, n->key_nodes[i],
                               "unknown mmu parameter '%s'; expected replacement, split, itlb, "
                               "itlb-large, dtlb, dtlb-large, walk-cycles, read-cycles",
                               n->keys[i]);
    }
    const struct ynode *v;
    if ((v = ymap_get(n, "replacement"))) {
        const char *s;
        if (ynode_string(v, &s, err))
            return -1;
        if (!strcmp(s, "lru"))
            cfg->repl = X86_TMMU_LRU;
        else if (!strcmp(s, "fifo"))
            cfg->repl = X86_TMMU_FIFO;
        else if (!strcmp(s, "random"))
            cfg->repl = X86_TMMU_RANDOM;
        else
            return ynode_error(err, v, "unknown replacement '%s'; expected lru, fifo, random", s);
    }
    if ((v = ymap_get(n, "split")) && ynode_bool(v, &cfg->split, err))
        return -1;
    struct { const char *key; unsigned *entries, *ways; } geo[] = {
        { "itlb", &cfg->itlb_entries, &cfg->itlb_ways },
        { "itlb-large", &cfg->itlb_large_entries, &cfg->itlb_large_ways },
        { "dtlb", &cfg->dtlb_entries, &cfg->dtlb_ways },
        { "dtlb-large", &cfg->dtlb_large_entries, &cfg->dtlb_large_ways },
    };
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++)
        if ((v = ymap_get(n, geo[i].key)) &&
            x86_tmmu_parse_geometry(v, geo[i].entries, geo[i].ways, err))
            return -1;
    struct { const char *key; unsigned *field; } nums[] = {
        { "walk-cycles", &cfg->walk_cycles },
        { "read-cycles", &cfg->read_cycles },
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        uint64_t x;
        if (!(v = ymap_get(n, nums[i].key)))
            continue;
        if (ynode_u64(v, &x, err))
            return -1;
        if (x > 100000)
            return ynode_error(err, v, "%s: at most 100000", nums[i].key);
        *nums[i].field = (unsigned)x;
    }
    return 0;
}

/* --- the model ------------------------------------------------------------------------ */

struct x86_tmmu *x86_tmmu_create(const struct x86_tmmu_config *cfg, struct addr_space *mem,
                                 uint16_t initiator, struct cw_error *err)
{
    struct x86_tmmu *m = calloc(1, sizeof *m);
    if (!m) {
        cw_errorf(err, "mmu: out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->mem = mem;
    m->initiator = initiator;
    if (x86_tmmu_tlb_init(&m->dtlb, cfg->dtlb_entries, cfg->dtlb_ways, cfg->repl, err) ||
        x86_tmmu_tlb_init(&m->dtlb_large, cfg->dtlb_large_entries, cfg->dtlb_large_ways,
                          cfg->repl, err) ||
        (cfg->split &&
         (x86_tmmu_tlb_init(&m->itlb, cfg->itlb_entries, cfg->itlb_ways, cfg->repl, err) ||
          x86_tmmu_tlb_init(&m->itlb_large, cfg->itlb_large_entries, cfg->itlb_large_ways,
                            cfg->repl, err)))) {
        x86_tmmu_destroy(m);
        return NULL;
    }
    return m;
}

void x86_tmmu_destroy(struct x86_tmmu *m)
{
    if (!m)
        return;
    x86_tmmu_tlb_free(&m->itlb);
    x86_tmmu_tlb_free(&m->itlb_large);
    x86_tmmu_tlb_free(&m->dtlb);
    x86_tmmu_tlb_free(&m->dtlb_large);
    free(m);
}

void x86_tmmu_set_dram(struct x86_tmmu *m, const struct dram_iface *dram)
{
    m->dram = dram;
}

void x86_tmmu_register_stats(struct x86_tmmu *m, struct component *c)
{
    struct x86_tmmu_stats *s = &m->st;
    stat_register(c, "mmu-itlb-hits", "timing MMU: instruction TLB hits", &s->itlb_hits);
    stat_register(c, "mmu-itlb-misses", "timing MMU: instruction TLB misses", &s->itlb_misses);
    stat_register(c, "mmu-dtlb-hits", "timing MMU: data TLB hits", &s->dtlb_hits);
    stat_register(c, "mmu-dtlb-misses", "timing MMU: data TLB misses", &s->dtlb_misses);
    stat_register(c, "mmu-walks", "timing MMU: page walks", &s->walks);
    stat_register(c, "mmu-walk-reads", "timing MMU: page-table reads (walk-read transactions)",
                  &s->walk_reads);
    stat_register(c, "mmu-walk-cycles", "timing MMU: clocks of page walks (code and data)",
                  &s->walk_cycles);
    stat_register(c, "mmu-walk-faults", "timing MMU: walks that found a non-present entry",
                  &s->faults);
    stat_register(c, "mmu-flushes", "timing MMU: TLB flushes", &s->flushes);
    stat_register(c, "mmu-flushes-global",
                  "timing MMU: flushes of global entries too (paging mode changes)",
                  &s->flushes_global);
    stat_register(c, "mmu-invlpg", "timing MMU: pages invalidated by INVLPG", &s->invlpgs);
}

void x86_tmmu_flush(struct x86_tmmu *m, bool include_global)
{
    x86_tmmu_tlb_flush(&m->itlb, include_global);
    x86_tmmu_tlb_flush(&m->itlb_large, include_global);
    x86_tmmu_tlb_flush(&m->dtlb, include_global);
    x86_tmmu_tlb_flush(&m->dtlb_large, include_global);
    m->st.flushes++;
    if (include_global)
        m->st.flushes_global++;
}

void x86_tmmu_cr3_load(struct x86_tmmu *m)
{
    m->cr3_loaded = true;
}

void x86_tmmu_invlpg(struct x86_tmmu *m, uint64_t lin)
{
    /* the large-page size of the mode the entries were filled under */
    unsigned large_shift = m->mode.pae || m->mode.lma ? 21 : 22;
    x86_tmmu_tlb_invalidate(&m->itlb, lin >> 12);
    x86_tmmu_tlb_invalidate(&m->dtlb, lin >> 12);
    x86_tmmu_tlb_invalidate(&m->itlb_large, lin >> large_shift);
    x86_tmmu_tlb_invalidate(&m->dtlb_large, lin >> large_shift);
    m->st.invlpgs++;
}

/* Flushes what a change from the mode the TLBs were filled under requires:
 * a CR3 load (announced, or seen as a new CR3: a task switch) the
 * non-global entries, once; any other change everything. */
static void x86_tmmu_check_mode(struct x86_tmmu *m, const struct x86_tmmu_mode *mode)
{
    const struct x86_tmmu_mode *old = &m->mode;
    bool cr3_loaded = m->cr3_loaded;
    m->cr3_loaded = false;
    if (m->have_mode && old->paging == mode->paging && old->pae == mode->pae &&
        old->pse == mode->pse && old->pge == mode->pge && old->lma == mode->lma &&
        old->a20_mask == mode->a20_mask) {
        if (old->cr3 != mode->cr3 || cr3_loaded) {
            x86_tmmu_flush(m, false);
            m->mode.cr3 = mode->cr3;
        }
        return;
    }
    if (m->have_mode)
        x86_tmmu_flush(m, true);
    m->mode = *mode;
    m->have_mode = true;
}

/* State of one walk being replayed. */
struct x86_tmmu_walk {
    struct x86_tmmu *m;
    sim_time_t time, period_ps;
    uint64_t cycles;
};

/* Reads one table entry: the value from memory without side effects, the
 * cost from a walk-read transaction at the walk's current time. */
static uint64_t x86_tmmu_read(struct x86_tmmu_walk *w, uint64_t addr, unsigned size)
{
    struct x86_tmmu *m = w->m;
    addr &= m->mode.a20_mask;
    uint64_t value = 0;
    as_peek(m->mem, addr, &value, size);
    struct bus_tx tx = { 0 };
    tx.addr = addr;
    tx.size = (uint8_t)size;
    tx.kind = BUS_WALK_READ;
    tx.initiator = m->initiator;
    tx.time = w->time + (sim_time_t)w->cycles * w->period_ps;
    if (!tx.time)
        tx.time = 1; /* as_access reads 0 as "now" */
    as_access(m->mem, &tx);
    sim_time_t lat = m->dram ? m->dram->access(m->dram->opaque, &tx) : tx.latency;
    uint64_t mem = w->period_ps ? (lat + w->period_ps - 1) / w->period_ps : 0;
    w->cycles += m->cfg.read_cycles + mem;
    m->st.walk_reads++;
    return value;
}

/* Replays the walk for lin; returns false at a non-present entry. *large
 * says the translation is a large page, *global its G bit. */
static bool x86_tmmu_walk(struct x86_tmmu_walk *w, uint64_t lin, bool *large, bool *global)
{
    const struct x86_tmmu_mode *mode = &w->m->mode;
    uint64_t e = 0;
    *large = false;
    if (mode->lma) {
        uint64_t table = mode->cr3 & TMMU_ADDR_MASK;
        for (int level = 3; level >= 0; level--) {
            e = x86_tmmu_read(w, table + ((lin >> (12 + 9 * level)) & 0x1ff) * 8, 8);
            if (!(e & TMMU_PTE_P))
                return false;
            if (level == 1 && (e & TMMU_PTE_PS)) {
                *large = true;
                break;
            }
            table = e & TMMU_ADDR_MASK;
        }
    } else if (mode->pae) {
        /* the four PDPTEs live in registers loaded with CR3: no read */
        uint64_t pdpte = 0;
        as_peek(w->m->mem, ((mode->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8) & mode->a20_mask,
                &pdpte, 8);
        if (!(pdpte & TMMU_PTE_P))
            return false;
        e = x86_tmmu_read(w, (pdpte & TMMU_ADDR_MASK) + ((lin >> 21) & 0x1ff) * 8, 8);
        if (!(e & TMMU_PTE_P))
            return false;
        if (e & TMMU_PTE_PS)
            *large = true;
        else if (!((e = x86_tmmu_read(w, (e & TMMU_ADDR_MASK) + ((lin >> 12) & 0x1ff) * 8, 8)) &
                   TMMU_PTE_P))
            return false;
    } else {
        e = x86_tmmu_read(w, (mode->cr3 & 0xfffff000u) + ((lin >> 22) & 0x3ff) * 4, 4);
        if (!(e & TMMU_PTE_P))
            return false;
        if ((e & TMMU_PTE_PS) && mode->pse)
            *large = true;
        else if (!((e = x86_tmmu_read(w, (e & 0xfffff000u) + ((lin >> 12) & 0x3ff) * 4, 4)) &
                   TMMU_PTE_P))
            return false;
    }
    *global = (e & TMMU_PTE_G) && mode->pge;
    return true;
}

uint64_t x86_tmmu_translate(struct x86_tmmu *m, const struct x86_tmmu_mode *mode, uint64_t lin,
                            bool fetch, sim_time_t start, sim_time_t period_ps)
{
    if (!mode->paging)
        return 0;
    x86_tmmu_check_mode(m, mode);
    bool split = m->cfg.split && fetch;
    struct x86_tmmu_tlb *small = split ? &m->itlb : &m->dtlb;
    struct x86_tmmu_tlb *big = split ? &m->itlb_large : &m->dtlb_large;
    unsigned large_shift = mode->pae || mode->lma ? 21 : 22;
    uint64_t *hits = split ? &m->st.itlb_hits : &m->st.dtlb_hits;
    uint64_t *misses = split ? &m->st.itlb_misses : &m->st.dtlb_misses;
    if (x86_tmmu_tlb_lookup(small, lin >> 12) || x86_tmmu_tlb_lookup(big, lin >> large_shift)) {
        (*hits)++;
        return 0;
    }
    (*misses)++;
    struct x86_tmmu_walk w = { .m = m, .time = start, .period_ps = period_ps,
                               .cycles = m->cfg.walk_cycles };
    bool large = false, global = false;
    m->st.walks++;
    if (!x86_tmmu_walk(&w, lin, &large, &global)) {
        m->st.faults++; /* nothing cached: the core raises #PF */
    } else if (large && big->way) {
        x86_tmmu_tlb_insert(big, lin >> large_shift, global);
    } else {
        /* a large page without large-page entries is held as its 4 KiB piece */
        x86_tmmu_tlb_insert(small, lin >> 12, global);
    }
    m->st.walk_cycles += w.cycles;
    return w.cycles;
}
