/* x86_mmu.c: linear-to-physical translation for the x86 core: 32-bit
 * two-level paging with 4 MiB pages (PSE), PAE three-level paging, accessed
 * and dirty bits, CR0.WP, A20 gating, and the software TLB that maps linear
 * pages straight to host pointers (DMI). Intel SDM vol. 3 chapter 4. */
#include "models/cpu/x86/x86_cpu.h"

/* --- time and device synchronisation ---------------------------------------- */

static sim_time_t x86_cycles_time(const struct x86_cpu *cpu, uint64_t cycles)
{
    return cpu->time_origin + clock_cycles_to_time(cpu->clock, cycles);
}

void x86_sync(struct x86_cpu *cpu)
{
    sim_time_t t = x86_cycles_time(cpu, cpu->cycles);
    if (t > cpu->ini.local_time)
        cpu->ini.local_time = t;
    sim_sync(&cpu->ini);
}

void x86_after_device_access(struct x86_cpu *cpu)
{
    sim_time_t end = sim_slice_end(&cpu->ini);
    if (cpu->ini.yield) {
        cpu->cycle_limit = cpu->cycles;
        return;
    }
    if (end == SIM_TIME_MAX) {
        cpu->cycle_limit = UINT64_MAX;
        return;
    }
    uint64_t c = end > cpu->time_origin ? clock_time_to_cycles(cpu->clock, end - cpu->time_origin) : 0;
    if (x86_cycles_time(cpu, c) < end)
        c++;
    if (c < cpu->cycle_limit)
        cpu->cycle_limit = c;
}

/* --- physical accesses ---------------------------------------------------- */

uint64_t x86_phys_read(struct x86_cpu *cpu, uint64_t phys, unsigned size, enum bus_kind kind)
{
    return as_read(cpu->mem, phys & cpu->a20_mask, size, kind, cpu->id, NULL);
}

void x86_phys_write(struct x86_cpu *cpu, uint64_t phys, unsigned size, uint64_t v,
                    enum bus_kind kind)
{
    as_write(cpu->mem, phys & cpu->a20_mask, size, v, kind, cpu->id, NULL);
}

/* --- decoded-code coherence ------------------------------------------------ */

void x86_dcache_flush(struct x86_cpu *cpu)
{
    cpu->fetch_stamp++;
    if (!cpu->dcache)
        return;
    for (unsigned i = 0; i < X86_DCACHE_SIZE; i++)
        cpu->dcache[i].lin = X86_TLB_NONE;
}

/* A page that holds decoded instructions loses its fast write pointers, so
 * every write to it comes through x86_code_page_written. */
static struct x86_tlb_entry *x86_tlb_slot(struct x86_cpu *cpu, unsigned slot)
{
    return &cpu->tlb[slot / X86_TLB_SIZE][slot % X86_TLB_SIZE];
}

void x86_mark_code_page(struct x86_cpu *cpu, uint64_t pg)
{
    cpu->code_page[pg >> 3] |= (uint8_t)(1u << (pg & 7));
    for (unsigned k = 0; k < cpu->tlb_used_count; k++) {
        struct x86_tlb_entry *e = x86_tlb_slot(cpu, cpu->tlb_used[k]);
        if (e->lin != X86_TLB_NONE && (e->phys >> 12) == pg)
            e->tag_w = X86_TLB_NONE;
    }
}

void x86_code_page_written(struct x86_cpu *cpu, uint64_t pg)
{
    if (pg >= X86_CODE_PAGES || !(cpu->code_page[pg >> 3] & (1u << (pg & 7))))
        return;
    cpu->code_page[pg >> 3] &= (uint8_t)~(1u << (pg & 7));
    cpu->page_gen[pg]++;
    cpu->fetch_stamp++;
}

/* --- TLB ---------------------------------------------------------------- */

static void x86_tlb_entry_clear(struct x86_tlb_entry *e)
{
    e->tag_r = e->tag_w = e->lin = X86_TLB_NONE;
    e->host = NULL;
    e->perm = 0;
}

void x86_tlb_flush(struct x86_cpu *cpu, bool include_global)
{
    cpu->fetch_stamp++;
    if (!cpu->tlb_ready) {
        for (int u = 0; u < 2; u++)
            for (int i = 0; i < X86_TLB_SIZE; i++) {
                x86_tlb_entry_clear(&cpu->tlb[u][i]);
                cpu->tlb[u][i].listed = false;
            }
        cpu->tlb_used_count = 0;
        cpu->tlb_ready = true;
    }
    /* only the slots filled since their last flush can hold anything;
     * global ones stay listed when kept */
    unsigned kept = 0;
    for (unsigned k = 0; k < cpu->tlb_used_count; k++) {
        uint16_t slot = cpu->tlb_used[k];
        struct x86_tlb_entry *e = x86_tlb_slot(cpu, slot);
        if (include_global || !(e->perm & X86_TLB_G)) {
            x86_tlb_entry_clear(e);
            e->listed = false;
        } else {
            cpu->tlb_used[kept++] = slot;
        }
    }
    cpu->tlb_used_count = kept;
    if (include_global)
        cpu->tlb_has_large = false;
}

void x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t lin)
{
    cpu->fetch_stamp++;
    uint64_t page = lin & ~0xfffull;
    for (int u = 0; u < 2; u++) {
        struct x86_tlb_entry *e = &cpu->tlb[u][(lin >> 12) & (X86_TLB_SIZE - 1)];
        if (e->lin == page)
            x86_tlb_entry_clear(e);
    }
    if (!cpu->tlb_has_large)
        return;
    /* The soft TLB holds 4 KiB pieces of large pages: drop every piece of a
     * large page that may contain lin (the 4 MiB-aligned region covers a
     * 2 MiB page too; dropping more than needed is always allowed). Other
     * pages stay, as INVLPG leaves them on hardware. */
    uint64_t region = lin & ~0x3fffffull;
    for (unsigned k = 0; k < cpu->tlb_used_count; k++) {
        struct x86_tlb_entry *e = x86_tlb_slot(cpu, cpu->tlb_used[k]);
        if ((e->perm & X86_TLB_L) && (e->lin & ~0x3fffffull) == region)
            x86_tlb_entry_clear(e);
    }
}

void x86_update_mode(struct x86_cpu *cpu)
{
    cpu->pe = (cpu->cr0 & X86_CR0_PE) != 0;
    cpu->vm86 = cpu->pe && (cpu->eflags & X86_VM);
    cpu->paging = cpu->pe && (cpu->cr0 & X86_CR0_PG);
    cpu->lma = (cpu->efer & X86_EFER_LMA) != 0;
    cpu->long64 = cpu->lma && (cpu->seg[X86_SEG_CS].attr & X86_ATTR_L) != 0;
    if (!cpu->pe)
        cpu->cpl = 0;
    else if (cpu->vm86)
        cpu->cpl = 3;
    cpu->code32 = (cpu->seg[X86_SEG_CS].attr & X86_ATTR_DB) != 0 && !cpu->vm86 && !cpu->long64;
    cpu->stack32 = (cpu->seg[X86_SEG_SS].attr & X86_ATTR_DB) != 0 && !cpu->vm86;
    cpu->tlb_cur = cpu->tlb[cpu->cpl == 3];
    cpu->fetch_stamp++;
    const struct x86_seg *cs = &cpu->seg[X86_SEG_CS];
    int bits = cpu->long64 ? 64 : cpu->code32 ? 32 : 16;
    if (cpu->profile == X86_PROFILE_286)
        bits = -16; /* 286: 10-byte instruction limit */
    cpu->fetch_mode = (uint32_t)(bits & 0xff) | (cs->limit == 0xffff ? 0x100u : 0);
    cpu->fetch_base = cpu->long64 ? 0 : cs->base;
    cpu->fetch_lin_mask = cpu->long64 ? ~0ull : 0xffffffffull;
    cpu->ip_mask = cpu->long64 ? ~0ull : cpu->code32 ? 0xffffffffull : 0xffffull;
    cpu->fetch_limit = cpu->long64 ? ~0ull : cs->limit;
    if (X86_UNLIKELY(cpu->markers_pending))
        x86_check_markers(cpu);
    for (int s = 0; s < X86_SEG_COUNT; s++)
        x86_seg_derive(&cpu->seg[s], cpu->pe && !cpu->vm86, cpu->long64);
}

/* --- page walk ----------------------------------------------------------- */

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_PS 0x80ull
#define PTE_G 0x100ull
#define PTE_NX (1ull << 63)

struct x86_walk {
    uint64_t phys;      /* physical address of the page (4 KiB piece) */
    bool writable, user, global, large, nx, dirty;
    uint32_t err;       /* page-fault error code when it fails */
};

static uint64_t x86_walk_read(struct x86_cpu *cpu, uint64_t addr, unsigned size)
{
    return x86_phys_read(cpu, addr, size, BUS_WALK_READ);
}

static void x86_walk_set_bits(struct x86_cpu *cpu, uint64_t addr, uint64_t old, uint64_t bits,
                              unsigned size)
{
    if ((old & bits) != bits)
        x86_phys_write(cpu, addr, size, old | bits, BUS_WALK_WRITE);
}

/* Reserved bits of a PAE/IA-32e paging entry: physical address bits above
 * MAXPHYADDR and, without EFER.NXE, the XD bit. */
static uint64_t x86_pte_rsvd(const struct x86_cpu *cpu)
{
    uint64_t r = 0x000fffffffffffffull & ~((1ull << X86_PHYS_BITS) - 1);
    if (!(cpu->efer & X86_EFER_NXE))
        r |= PTE_NX;
    return r;
}

/* Walks the page tables for lin; returns false with w->err on a fault.
 * Three formats: 32-bit (two levels, PSE), PAE (PDPTE + two levels) and
 * IA-32e 4-level (PML4, PDPT, PD with 2 MiB pages, PT). 1 GiB pages are not
 * advertised, so PS in a PDPTE is a reserved bit. */
static bool x86_walk(struct x86_cpu *cpu, uint64_t lin, enum x86_access acc, bool user,
                     struct x86_walk *w)
{
    bool write = acc == X86_ACC_WRITE;
    bool pae = (cpu->cr4 & X86_CR4_PAE) != 0;
    unsigned esz = pae ? 8 : 4;
    uint64_t entries[4], addrs[4];
    int levels = 0;
    uint32_t errbase = (write ? 2u : 0u) | (user ? 4u : 0u) |
                       (acc == X86_ACC_FETCH && pae && (cpu->efer & X86_EFER_NXE) ? 16u : 0u);
    bool nxe = (cpu->efer & X86_EFER_NXE) != 0;

    cpu->stats.page_walks++;
    w->large = false;
    w->nx = false;
    if (cpu->lma) {
        uint64_t rsvd = x86_pte_rsvd(cpu);
        uint64_t table = cpu->cr3 & 0x000ffffffffff000ull;
        for (int level = 3; level >= 0; level--) {
            uint64_t addr = table + ((lin >> (12 + 9 * level)) & 0x1ff) * 8;
            uint64_t e = x86_walk_read(cpu, addr, 8);
            addrs[levels] = addr;
            entries[levels++] = e;
            if (!(e & PTE_P)) {
                w->err = errbase;
                return false;
            }
            bool ps = (e & PTE_PS) != 0 && level > 0;
            uint64_t r = rsvd;
            if (level == 3 || (level == 2 && ps))
                r |= PTE_PS; /* no PS in a PML4E; no 1 GiB pages */
            else if (level == 1 && ps)
                r |= 0x1fe000ull; /* 2 MiB page: bits 20:13 */
            if (e & r) {
                w->err = errbase | 1u | 8u;
                return false;
            }
            if (level == 1 && ps) {
                w->large = true;
                w->phys = (e & 0x000fffffffe00000ull) + (lin & 0x1ff000);
                break;
            }
            table = e & 0x000ffffffffff000ull;
            if (level == 0)
                w->phys = table;
        }
    } else if (pae) {
        uint64_t pdpte_addr = (cpu->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8;
        uint64_t pdpte = x86_walk_read(cpu, pdpte_addr, 8);
        if (!(pdpte & PTE_P)) {
            w->err = errbase;
            return false;
        }
        uint64_t pde_addr = (pdpte & 0x000ffffffffff000ull) + ((lin >> 21) & 0x1ff) * 8;
        uint64_t pde = x86_walk_read(cpu, pde_addr, 8);
        addrs[levels] = pde_addr;
        entries[levels++] = pde;
        if (!(pde & PTE_P)) {
            w->err = errbase;
            return false;
        }
        if (pde & x86_pte_rsvd(cpu)) {
            w->err = errbase | 1u | 8u;
            return false;
        }
        if (pde & PTE_PS) {
            w->large = true;
            w->phys = (pde & 0x000fffffffe00000ull) + (lin & 0x1ff000);
        } else {
            uint64_t pte_addr = (pde & 0x000ffffffffff000ull) + ((lin >> 12) & 0x1ff) * 8;
            uint64_t pte = x86_walk_read(cpu, pte_addr, 8);
            addrs[levels] = pte_addr;
            entries[levels++] = pte;
            if (!(pte & PTE_P)) {
                w->err = errbase;
                return false;
            }
            if (pte & x86_pte_rsvd(cpu)) {
                w->err = errbase | 1u | 8u;
                return false;
            }
            w->phys = pte & 0x000ffffffffff000ull;
        }
    } else {
        uint64_t pde_addr = (cpu->cr3 & 0xfffff000u) + ((lin >> 22) & 0x3ff) * 4;
        uint64_t pde = x86_walk_read(cpu, pde_addr, 4);
        addrs[levels] = pde_addr;
        entries[levels++] = pde;
        if (!(pde & PTE_P)) {
            w->err = errbase;
            return false;
        }
        if ((pde & PTE_PS) && (cpu->cr4 & X86_CR4_PSE)) {
            w->large = true;
            w->phys = (pde & 0xffc00000u) + (lin & 0x3ff000) + (((pde >> 13) & 0xff) << 32);
        } else {
            uint64_t pte_addr = (pde & 0xfffff000u) + ((lin >> 12) & 0x3ff) * 4;
            uint64_t pte = x86_walk_read(cpu, pte_addr, 4);
            addrs[levels] = pte_addr;
            entries[levels++] = pte;
            if (!(pte & PTE_P)) {
                w->err = errbase;
                return false;
            }
            w->phys = pte & 0xfffff000u;
        }
    }
    /* effective rights: AND of all levels */
    bool rw = true, us = true;
    for (int i = 0; i < levels; i++) {
        rw = rw && (entries[i] & PTE_W);
        us = us && (entries[i] & PTE_U);
        if (nxe && pae && (entries[i] & PTE_NX))
            w->nx = true;
    }
    uint64_t leaf = entries[levels - 1];
    w->user = us;
    w->global = (leaf & PTE_G) && (cpu->cr4 & X86_CR4_PGE);
    /* writable at this privilege: user needs R/W; supervisor needs it only with WP */
    w->writable = user ? (rw && us) : (rw || !(cpu->cr0 & X86_CR0_WP));
    if ((user && !us) || (write && !w->writable) || (acc == X86_ACC_FETCH && w->nx)) {
        w->err = errbase | 1u;
        return false;
    }
    /* accessed bits on every level, dirty on the leaf for writes */
    for (int i = 0; i < levels - 1; i++)
        x86_walk_set_bits(cpu, addrs[i], entries[i], PTE_A, esz);
    x86_walk_set_bits(cpu, addrs[levels - 1], leaf, write ? (PTE_A | PTE_D) : PTE_A, esz);
    w->dirty = write || (leaf & PTE_D);
    return true;
}

/* Fills the TLB entry for lin after a successful translation. */
static struct x86_tlb_entry *x86_tlb_fill(struct x86_cpu *cpu, uint64_t lin, bool user,
                                          const struct x86_walk *w)
{
    struct x86_tlb_entry *e = &cpu->tlb[user][(lin >> 12) & (X86_TLB_SIZE - 1)];
    uint64_t page = lin & ~0xfffull;
    uint64_t phys = w->phys & cpu->a20_mask;
    struct dmi d;
    /* No new fetch stamp: decoded instructions of the page whose entry this
     * replaces stay usable, as an instruction TLB keeps a translation until
     * it is invalidated (flushes, INVLPG, CR3/CR0/CR4 and mode changes, code
     * writes and map changes bump the stamp; a full check after one of
     * them walks again and compares the physical page). */
    x86_tlb_entry_clear(e);
    if (!e->listed) {
        e->listed = true;
        cpu->tlb_used[cpu->tlb_used_count++] = (uint16_t)(user * X86_TLB_SIZE +
                                                          ((lin >> 12) & (X86_TLB_SIZE - 1)));
    }
    e->lin = page;
    e->phys = phys;
    e->perm = (uint8_t)((w->writable ? X86_TLB_W : 0) | (w->dirty ? X86_TLB_D : 0) |
                        (w->global ? X86_TLB_G : 0) | (w->large ? X86_TLB_L : 0));
    if (w->large)
        cpu->tlb_has_large = true;
    bool ok_w = as_dmi(cpu->mem, phys, true, &d) && d.lo <= phys && phys + 0xfff <= d.hi;
    if (ok_w) {
        e->host = d.host + (phys - d.lo);
        e->tag_r = page;
        uint64_t pg = phys >> 12;
        bool code = pg < X86_CODE_PAGES && (cpu->code_page[pg >> 3] & (1u << (pg & 7)));
        if (w->writable && w->dirty && !code)
            e->tag_w = page;
    } else if (as_dmi(cpu->mem, phys, false, &d) && d.lo <= phys && phys + 0xfff <= d.hi) {
        e->host = d.host + (phys - d.lo);
        e->tag_r = page;
        e->perm |= X86_TLB_ROM;
    }
    return e;
}

bool x86_translate(struct x86_cpu *cpu, uint64_t lin, enum x86_access acc, bool user,
                   bool raise, uint64_t *phys, struct x86_tlb_entry **entry)
{
    struct x86_tlb_entry *e = &cpu->tlb[user][(lin >> 12) & (X86_TLB_SIZE - 1)];
    uint64_t page = lin & ~0xfffull;
    if (e->lin == page && (acc != X86_ACC_WRITE || ((e->perm & X86_TLB_W) && (e->perm & X86_TLB_D)))) {
        cpu->stats.tlb_hits++;
        *phys = e->phys | (lin & 0xfff);
        if (entry)
            *entry = e;
        return true;
    }
    cpu->stats.tlb_misses++;
    if (X86_UNLIKELY(cpu->lma) && (uint64_t)((int64_t)(lin << 16) >> 16) != lin) {
        /* non-canonical linear address: #GP (the TLB never holds one) */
        if (!raise) {
            cpu->fault_vec = X86_EXC_GP;
            cpu->fault_err = 0;
            cpu->fault_has_err = true;
            return false;
        }
        x86_gp(cpu, 0);
    }
    struct x86_walk w;
    if (!cpu->paging) {
        w.phys = page;
        w.writable = w.user = w.dirty = true;
        w.global = w.large = w.nx = false;
    } else if (!x86_walk(cpu, lin, acc, user, &w)) {
        if (!raise) {
            cpu->fault_vec = X86_EXC_PF;
            cpu->fault_err = w.err;
            cpu->fault_has_err = true;
            cpu->cr2 = lin;
            return false;
        }
        cpu->cr2 = lin;
        x86_fault(cpu, X86_EXC_PF, w.err, true);
    }
    e = x86_tlb_fill(cpu, lin, user, &w);
    *phys = e->phys | (lin & 0xfff);
    if (entry)
        *entry = e;
    return true;
}

/* --- linear accesses (slow path) ----------------------------------------- */

static uint64_t x86_lin_mask(const struct x86_cpu *cpu)
{
    return cpu->long64 ? ~0ull : 0xffffffffull;
}

static uint64_t x86_access_phys_read(struct x86_cpu *cpu, struct x86_tlb_entry *e, uint64_t phys,
                                     unsigned size, enum x86_access acc)
{
    if (e && e->host)
        return x86_load_host(e->host + (phys & 0xfff), size);
    /* MMIO or observed memory: devices see the access at our local time */
    x86_sync(cpu);
    cpu->stats.mmio_accesses++;
    uint64_t v = as_read(cpu->mem, phys & cpu->a20_mask, size,
                         acc == X86_ACC_FETCH ? BUS_FETCH : BUS_READ, cpu->id, NULL);
    x86_after_device_access(cpu);
    return v;
}

static void x86_access_phys_write(struct x86_cpu *cpu, struct x86_tlb_entry *e, uint64_t phys,
                                  unsigned size, uint64_t v)
{
    if (e && e->host && !(e->perm & X86_TLB_ROM)) {
        x86_code_page_written(cpu, (phys & cpu->a20_mask) >> 12);
        x86_store_host(e->host + (phys & 0xfff), size, v);
        return;
    }
    x86_sync(cpu);
    cpu->stats.mmio_accesses++;
    as_write(cpu->mem, phys & cpu->a20_mask, size, v, BUS_WRITE, cpu->id, NULL);
    x86_after_device_access(cpu);
}

/* The timing model's view of a data access (x86.h), after it happened. */
static void x86_mem_hook(struct x86_cpu *cpu, uint64_t lin, unsigned size, bool write)
{
    if (X86_UNLIKELY(cpu->hooks != NULL) && cpu->hooks->mem)
        cpu->hooks->mem(cpu->hooks->ctx, lin, size, write);
}

static uint64_t x86_read_lin_split(struct x86_cpu *cpu, uint64_t lin, unsigned size,
                                   enum x86_access acc, bool user);

uint64_t x86_read_lin_slow(struct x86_cpu *cpu, uint64_t lin, unsigned size,
                           enum x86_access acc, bool user)
{
    uint64_t v = x86_read_lin_split(cpu, lin, size, acc, user);
    if (acc != X86_ACC_FETCH)
        x86_mem_hook(cpu, lin & x86_lin_mask(cpu), size, false);
    return v;
}

static uint64_t x86_read_lin_split(struct x86_cpu *cpu, uint64_t lin, unsigned size,
                                   enum x86_access acc, bool user)
{
    uint64_t phys;
    struct x86_tlb_entry *e;
    lin &= x86_lin_mask(cpu);
    if ((lin & 0xfff) + size > 0x1000) {
        /* page-crossing: translate both pages before touching either */
        uint64_t lin2 = (lin + size - 1) & x86_lin_mask(cpu);
        uint64_t p1, p2;
        x86_translate(cpu, lin, acc, user, true, &p1, NULL);
        x86_translate(cpu, lin2, acc, user, true, &p2, NULL);
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            uint64_t l = (lin + i) & x86_lin_mask(cpu);
            x86_translate(cpu, l, acc, user, true, &phys, &e);
            v |= x86_access_phys_read(cpu, e, phys, 1, acc) << (8 * i);
        }
        return v;
    }
    x86_translate(cpu, lin, acc, user, true, &phys, &e);
    return x86_access_phys_read(cpu, e, phys, size, acc);
}

static void x86_write_lin_split(struct x86_cpu *cpu, uint64_t lin, unsigned size, uint64_t v,
                                bool user);

void x86_write_lin_slow(struct x86_cpu *cpu, uint64_t lin, unsigned size, uint64_t v, bool user)
{
    x86_write_lin_split(cpu, lin, size, v, user);
    x86_mem_hook(cpu, lin & x86_lin_mask(cpu), size, true);
}

static void x86_write_lin_split(struct x86_cpu *cpu, uint64_t lin, unsigned size, uint64_t v,
                                bool user)
{
    uint64_t phys;
    struct x86_tlb_entry *e;
    lin &= x86_lin_mask(cpu);
    if ((lin & 0xfff) + size > 0x1000) {
        uint64_t lin2 = (lin + size - 1) & x86_lin_mask(cpu);
        uint64_t p1, p2;
        x86_translate(cpu, lin, X86_ACC_WRITE, user, true, &p1, NULL);
        x86_translate(cpu, lin2, X86_ACC_WRITE, user, true, &p2, NULL);
        for (unsigned i = 0; i < size; i++) {
            uint64_t l = (lin + i) & x86_lin_mask(cpu);
            x86_translate(cpu, l, X86_ACC_WRITE, user, true, &phys, &e);
            x86_access_phys_write(cpu, e, phys, 1, (v >> (8 * i)) & 0xff);
        }
        return;
    }
    x86_translate(cpu, lin, X86_ACC_WRITE, user, true, &phys, &e);
    x86_access_phys_write(cpu, e, phys, size, v);
}

bool x86_try_read_lin(struct x86_cpu *cpu, uint64_t lin, void *buf, unsigned len, bool user)
{
    uint8_t *out = buf;
    uint64_t phys;
    struct x86_tlb_entry *e;
    /* translate every page first so a fault leaves nothing half done */
    for (unsigned i = 0; i < len; i++) {
        uint64_t l = (lin + i) & x86_lin_mask(cpu);
        if (i == 0 || (l & 0xfff) == 0)
            if (!x86_translate(cpu, l, X86_ACC_READ, user, false, &phys, NULL))
                return false;
    }
    for (unsigned i = 0; i < len; i++) {
        uint64_t l = (lin + i) & x86_lin_mask(cpu);
        x86_translate(cpu, l, X86_ACC_READ, user, false, &phys, &e);
        out[i] = (uint8_t)x86_access_phys_read(cpu, e, phys, 1, X86_ACC_READ);
    }
    return true;
}

bool x86_try_write_lin(struct x86_cpu *cpu, uint64_t lin, const void *buf, unsigned len, bool user)
{
    const uint8_t *in = buf;
    uint64_t phys;
    struct x86_tlb_entry *e;
    for (unsigned i = 0; i < len; i++) {
        uint64_t l = (lin + i) & x86_lin_mask(cpu);
        if (i == 0 || (l & 0xfff) == 0)
            if (!x86_translate(cpu, l, X86_ACC_WRITE, user, false, &phys, NULL))
                return false;
    }
    for (unsigned i = 0; i < len; i++) {
        uint64_t l = (lin + i) & x86_lin_mask(cpu);
        x86_translate(cpu, l, X86_ACC_WRITE, user, false, &phys, &e);
        x86_access_phys_write(cpu, e, phys, 1, in[i]);
    }
    return true;
}
