/* bus.c: address spaces with RAM, ROM, MMIO and alias regions, the
 * flattened map used for lookups, DMI, observers and bus transactions.
 *
 * Regions may overlap; the flattened map (a sorted array of segments, each
 * owned by the highest-priority enabled region) is rebuilt whenever a region
 * is added, removed, moved, enabled or re-prioritised. That happens a few
 * dozen times in a PC boot (PAM, BARs), while lookups happen millions of
 * times, so lookups are a binary search with a one-entry cache. */
#include "bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "hostmem.h"
#include "sim_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "clockwork assumes a little-endian host (x86-64, arm64)"
#endif

struct seg {
    uint64_t lo, hi;   /* inclusive */
    struct region *r;  /* the visible region (may be an alias) */
};

struct listener {
    void (*fn)(void);
    void *opaque;
};

struct bus_observer {
    uint64_t lo, hi;
    uint32_t kind_mask;
    bus_observer_fn fn;
    void *opaque;
    struct bus_observer *next;
};

struct addr_space {
    char *name;
    enum space_kind kind;
    uint64_t limit;
    struct sim *sim;
    struct region **regions; /* insertion order (later wins ties) */
    size_t nregions, cap_regions;
    struct seg *segs;
    size_t nsegs;
    size_t last;             /* lookup cache */
    uint64_t generation;
    struct listener *dmi_listeners;
    size_t ndmi_listeners;
    struct listener *write_listeners;
    size_t nwrite_listeners;
    struct bus_observer *observers;
};

static void *bus_alloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    return p;
}

static const char *const kind_names[BUS_KIND_COUNT] = {
    [BUS_FETCH] = "fetch",         [BUS_READ] = "read",
    [BUS_WRITE] = "write",         [BUS_IO_READ] = "io-read",
    [BUS_IO_WRITE] = "io-write",   [BUS_WALK_READ] = "walk-read",
    [BUS_WALK_WRITE] = "walk-write", [BUS_DMA_READ] = "dma-read",
    [BUS_DMA_WRITE] = "dma-write", [BUS_INTA] = "inta",
    [BUS_CFG_READ] = "cfg-read",   [BUS_CFG_WRITE] = "cfg-write",
};

const char *bus_kind_name(enum bus_kind k)
{
    return (unsigned)k < BUS_KIND_COUNT ? kind_names[k] : "?";
}

int bus_kind_parse(const char *name)
{
    for (int k = 0; k < BUS_KIND_COUNT; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return -1;
}

/* --- spaces ---------------------------------------------------------------- */

struct addr_space *as_create(struct sim *sim, const char *name, enum space_kind kind,
                             unsigned addr_bits)
{
    struct addr_space *as = bus_alloc(sizeof *as);
    as->name = strdup(name);
    as->kind = kind;
    as->limit = addr_bits >= 64 ? UINT64_MAX : (1ull << addr_bits) - 1;
    as->sim = sim;
    return as;
}

static void region_free(struct region *r)
{
    if (r->host_borrowed)
        ; /* the owner frees it */
    else if (r->type == REGION_RAM)
        hostmem_free(r->host, (size_t)r->size);
    else
        free(r->host);
    free(r->name);
    free(r);
}

void as_destroy(struct addr_space *as)
{
    if (!as)
        return;
    for (size_t i = 0; i < as->nregions; i++)
        region_free(as->regions[i]);
    free(as->regions);
    free(as->segs);
    free(as->dmi_listeners);
    free(as->write_listeners);
    for (struct bus_observer *o = as->observers; o;) {
        struct bus_observer *n = o->next;
        free(o);
        o = n;
    }
    free(as->name);
    free(as);
}

const char *as_name(const struct addr_space *as) { return as->name; }
enum space_kind as_kind(const struct addr_space *as) { return as->kind; }
uint64_t as_limit(const struct addr_space *as) { return as->limit; }
uint64_t as_generation(const struct addr_space *as) { return as->generation; }

static void as_bump_generation(struct addr_space *as)
{
    as->generation++;
    for (size_t i = 0; i < as->ndmi_listeners; i++)
        ((dmi_invalidate_fn)as->dmi_listeners[i].fn)(as->dmi_listeners[i].opaque, as);
}

/* --- flattened map ------------------------------------------------------------ */

static uint64_t region_hi(const struct region *r)
{
    return r->base + (r->size - 1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The winner at `addr`: highest priority, later insertion on ties. */
static struct region *as_top_region(struct addr_space *as, uint64_t addr)
{
    struct region *best = NULL;
    for (size_t i = 0; i < as->nregions; i++) {
        struct region *r = as->regions[i];
        if (!r->enabled || addr < r->base || addr > region_hi(r))
            continue;
        if (!best || r->priority >= best->priority)
            best = r;
    }
    return best;
}

static void as_rebuild(struct addr_space *as)
{
    size_t n = 0;
    uint64_t *pts = bus_alloc((2 * as->nregions + 1) * sizeof *pts);
    for (size_t i = 0; i < as->nregions; i++) {
        struct region *r = as->regions[i];
        if (!r->enabled)
            continue;
        pts[n++] = r->base;
        if (region_hi(r) != UINT64_MAX)
            pts[n++] = region_hi(r) + 1;
    }
    qsort(pts, n, sizeof *pts, cmp_u64);
    free(as->segs);
    as->segs = bus_alloc((n + 1) * sizeof *as->segs);
    as->nsegs = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && pts[i] == pts[i - 1])
            continue;
        uint64_t lo = pts[i];
        size_t j = i + 1;
        while (j < n && pts[j] == lo)
            j++;
        uint64_t hi = j < n ? pts[j] - 1 : UINT64_MAX;
        struct region *r = as_top_region(as, lo);
        if (!r)
            continue;
        if (hi > region_hi(r))
            hi = region_hi(r);
        struct seg *prev = as->nsegs ? &as->segs[as->nsegs - 1] : NULL;
        if (prev && prev->r == r && prev->hi + 1 == lo) {
            prev->hi = hi;
            continue;
        }
        as->segs[as->nsegs++] = (struct seg){ lo, hi, r };
    }
    free(pts);
    as->last = 0;
    as_bump_generation(as);
}

static const struct seg *as_lookup(struct addr_space *as, uint64_t addr)
{
    if (as->nsegs == 0)
        return NULL;
    const struct seg *s = &as->segs[as->last];
    if (addr >= s->lo && addr <= s->hi)
        return s;
    size_t lo = 0, hi = as->nsegs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (as->segs[mid].hi < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == as->nsegs || as->segs[lo].lo > addr)
        return NULL;
    as->last = lo;
    return &as->segs[lo];
}

void as_walk_map(struct addr_space *as, as_map_fn fn, void *opaque)
{
    for (size_t i = 0; i < as->nsegs; i++)
        fn(opaque, as->segs[i].lo, as->segs[i].hi, as->segs[i].r);
}

/* --- regions --------------------------------------------------------------------- */

static struct region *as_new_region(struct addr_space *as, struct component *owner,
                                    const char *name, enum region_type type, uint64_t base,
                                    uint64_t size, struct cw_error *err)
{
    bool unmapped = base == AS_UNMAPPED;
    if (unmapped)
        base = 0;
    if (size == 0) {
        cw_errorf(err, "region '%s' in space '%s' has size 0", name, as->name);
        return NULL;
    }
    if (base > as->limit || size - 1 > as->limit - base) {
        cw_errorf(err, "region '%s' [0x%llx, +0x%llx) does not fit in space '%s' (last address 0x%llx)",
                  name, (unsigned long long)base, (unsigned long long)size, as->name,
                  (unsigned long long)as->limit);
        return NULL;
    }
    if (!unmapped) {
        uint64_t hi = base + (size - 1);
        for (size_t i = 0; i < as->nregions; i++) {
            struct region *o = as->regions[i];
            if (!o->enabled || o->priority != 0 || hi < o->base || base > region_hi(o))
                continue;
            cw_errorf(err,
                      "region '%s' [0x%llx-0x%llx] overlaps region '%s' [0x%llx-0x%llx] in space '%s'; "
                      "move one of them or give one a priority",
                      name, (unsigned long long)base, (unsigned long long)hi, o->name,
                      (unsigned long long)o->base, (unsigned long long)region_hi(o), as->name);
            return NULL;
        }
    }
    struct region *r = bus_alloc(sizeof *r);
    r->name = strdup(name);
    r->type = type;
    r->base = base;
    r->size = size;
    r->enabled = !unmapped;
    r->owner_id = owner ? owner->id : COMPONENT_ID_NONE;
    r->space = as;
    if (as->nregions == as->cap_regions) {
        size_t cap = as->cap_regions ? as->cap_regions * 2 : 16;
        struct region **v = realloc(as->regions, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "clockwork: out of memory\n");
            abort();
        }
        as->regions = v;
        as->cap_regions = cap;
    }
    as->regions[as->nregions++] = r;
    return r;
}

static bool host_size_ok(uint64_t size, const char *name, struct cw_error *err)
{
    if (size > (uint64_t)SIZE_MAX / 2) {
        cw_errorf(err, "region '%s' is too large for this host", name);
        return false;
    }
    return true;
}

struct region *as_add_ram(struct addr_space *as, struct component *owner, const char *name,
                          uint64_t base, uint64_t size, struct cw_error *err)
{
    if (!host_size_ok(size, name, err))
        return NULL;
    uint8_t *host = hostmem_alloc((size_t)size);
    if (!host) {
        cw_errorf(err, "cannot allocate %llu bytes of RAM for '%s'", (unsigned long long)size, name);
        return NULL;
    }
    struct region *r = as_new_region(as, owner, name, REGION_RAM, base, size, err);
    if (!r) {
        hostmem_free(host, (size_t)size);
        return NULL;
    }
    r->host = host;
    as_rebuild(as);
    return r;
}

struct region *as_add_ram_borrowed(struct addr_space *as, struct component *owner,
                                   const char *name, uint64_t base, uint64_t size,
                                   uint8_t *host, struct cw_error *err)
{
    struct region *r = as_new_region(as, owner, name, REGION_RAM, base, size, err);
    if (!r)
        return NULL;
    r->host = host;
    r->host_borrowed = true;
    as_rebuild(as);
    return r;
}

struct region *as_add_rom(struct addr_space *as, struct component *owner, const char *name,
                          uint64_t base, uint64_t size, const void *data, size_t len,
                          struct cw_error *err)
{
    if (!host_size_ok(size, name, err))
        return NULL;
    if (len > size) {
        cw_errorf(err, "ROM image for '%s' is %zu bytes, larger than the region (%llu bytes)",
                  name, len, (unsigned long long)size);
        return NULL;
    }
    uint8_t *host = malloc(size);
    if (!host) {
        cw_errorf(err, "cannot allocate %llu bytes of ROM for '%s'", (unsigned long long)size, name);
        return NULL;
    }
    memset(host, 0xFF, size);
    if (len)
        memcpy(host, data, len);
    struct region *r = as_new_region(as, owner, name, REGION_ROM, base, size, err);
    if (!r) {
        free(host);
        return NULL;
    }
    r->host = host;
    as_rebuild(as);
    return r;
}

struct region *as_add_mmio(struct addr_space *as, struct component *owner, const char *name,
                           uint64_t base, uint64_t size, const struct mmio_ops *ops,
                           void *opaque, struct cw_error *err)
{
    struct region *r = as_new_region(as, owner, name, REGION_MMIO, base, size, err);
    if (!r)
        return NULL;
    r->ops = ops;
    r->opaque = opaque;
    as_rebuild(as);
    return r;
}

struct region *as_add_alias(struct addr_space *as, struct component *owner, const char *name,
                            uint64_t base, uint64_t size, struct region *target,
                            uint64_t target_offset, struct cw_error *err)
{
    if (!target) {
        cw_errorf(err, "alias '%s' has no target region", name);
        return NULL;
    }
    struct region *r = as_new_region(as, owner, name, REGION_ALIAS, base, size, err);
    if (!r)
        return NULL;
    r->alias_of = target;
    r->alias_offset = target_offset;
    as_rebuild(as);
    return r;
}

void region_set_priority(struct region *r, int priority)
{
    if (r->priority == priority)
        return;
    r->priority = priority;
    as_rebuild(r->space);
}

void region_set_enabled(struct region *r, bool enabled)
{
    if (r->enabled == enabled)
        return;
    r->enabled = enabled;
    as_rebuild(r->space);
}

void region_move(struct region *r, uint64_t new_base)
{
    if (r->base == new_base)
        return;
    struct addr_space *as = r->space;
    if (new_base > as->limit || r->size - 1 > as->limit - new_base) {
        /* Placed outside the space (a BAR programmed past the top):
         * nothing decodes it. */
        r->base = new_base;
        if (r->enabled) {
            r->enabled = false;
            as_rebuild(as);
        }
        return;
    }
    r->base = new_base;
    if (r->enabled)
        as_rebuild(as);
}

void region_set_alias_readonly(struct region *r, bool readonly)
{
    if (r->readonly_alias == readonly)
        return;
    r->readonly_alias = readonly;
    as_bump_generation(r->space); /* DMI write pointers may have become wrong */
}

void region_set_latency(struct region *r, sim_time_t latency)
{
    r->latency = latency;
}

void region_set_timing(struct region *r,
                       sim_time_t (*fn)(void *opaque, const struct bus_tx *tx, uint64_t offset),
                       void *opaque)
{
    r->timing = fn;
    r->timing_opaque = opaque;
}

void as_remove_region(struct region *r)
{
    struct addr_space *as = r->space;
    for (size_t i = 0; i < as->nregions; i++) {
        if (as->regions[i] != r)
            continue;
        memmove(&as->regions[i], &as->regions[i + 1], (as->nregions - i - 1) * sizeof r);
        as->nregions--;
        break;
    }
    region_free(r);
    as_rebuild(as);
}

struct region *as_find_region(struct addr_space *as, const char *name)
{
    for (size_t i = 0; i < as->nregions; i++)
        if (strcmp(as->regions[i]->name, name) == 0)
            return as->regions[i];
    return NULL;
}

/* --- access ------------------------------------------------------------------------ */

static void as_notify_writes(struct addr_space *as, uint64_t addr, unsigned len)
{
    for (size_t i = 0; i < as->nwrite_listeners; i++)
        ((ram_write_fn)as->write_listeners[i].fn)(as->write_listeners[i].opaque, addr, len);
}

/* Follows alias chains. Returns the backing region and adjusts *offset;
 * NULL if the access falls outside the target. *ro is set when any alias
 * on the way drops writes. */
static struct region *region_resolve(struct region *r, uint64_t *offset, bool *ro)
{
    for (int depth = 0; r && r->type == REGION_ALIAS; depth++) {
        if (depth == 8)
            return NULL;
        if (r->readonly_alias)
            *ro = true;
        *offset += r->alias_offset;
        r = r->alias_of;
    }
    if (!r || *offset >= r->size)
        return NULL;
    return r;
}

static uint64_t mmio_read(struct region *r, uint64_t offset, unsigned size)
{
    unsigned max = r->ops->max_access ? r->ops->max_access : 8;
    if (!r->ops->read)
        return ~0ull;
    if (size <= max)
        return r->ops->read(r->opaque, offset, size);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i += max)
        v |= r->ops->read(r->opaque, offset + i, max) << (8 * i);
    return v;
}

static void mmio_write(struct region *r, uint64_t offset, unsigned size, uint64_t value)
{
    unsigned max = r->ops->max_access ? r->ops->max_access : 8;
    if (!r->ops->write)
        return;
    if (size <= max) {
        r->ops->write(r->opaque, offset, size, value);
        return;
    }
    for (unsigned i = 0; i < size; i += max)
        r->ops->write(r->opaque, offset + i, max, value >> (8 * i));
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* One access that lies entirely inside the visible region `vis`. */
static void region_access(struct addr_space *as, struct region *vis, uint64_t addr,
                          struct bus_tx *tx)
{
    uint64_t offset = addr - vis->base;
    bool ro = false;
    struct region *r = region_resolve(vis, &offset, &ro);
    bool write = bus_kind_is_write((enum bus_kind)tx->kind);
    unsigned size = tx->size;
    tx->target = vis->owner_id;
    if (!r || offset + size > r->size) {
        if (!write)
            tx->data = size_mask(size);
        return;
    }
    tx->latency = vis->latency ? vis->latency : r->latency;
    if (r->timing)
        tx->latency = r->timing(r->timing_opaque, tx, offset);
    switch (r->type) {
    case REGION_RAM:
        if (write) {
            if (!ro) {
                memcpy(r->host + offset, &tx->data, size);
                if (as->nwrite_listeners)
                    as_notify_writes(as, addr, size);
            }
        } else {
            tx->data = 0;
            memcpy(&tx->data, r->host + offset, size);
        }
        break;
    case REGION_ROM:
        if (!write) {
            tx->data = 0;
            memcpy(&tx->data, r->host + offset, size);
        }
        break;
    case REGION_MMIO:
        if (r->ops->timing)
            tx->latency = r->ops->timing(r->opaque, tx, offset);
        if (write) {
            if (!ro)
                mmio_write(r, offset, size, tx->data & size_mask(size));
        } else {
            tx->data = mmio_read(r, offset, size) & size_mask(size);
        }
        break;
    case REGION_ALIAS:
        break;
    }
}

static void as_observe(struct addr_space *as, const struct bus_tx *tx)
{
    uint64_t last = tx->addr + tx->size - 1;
    for (struct bus_observer *o = as->observers; o; o = o->next) {
        if (!(o->kind_mask & BUS_KIND_BIT(tx->kind)))
            continue;
        if (last < o->lo || tx->addr > o->hi)
            continue;
        o->fn(o->opaque, as, tx);
    }
}

static void as_access_unobserved(struct addr_space *as, struct bus_tx *tx)
{
    tx->latency = 0;
    tx->target = 0;
    unsigned size = tx->size;
    const struct seg *s = as_lookup(as, tx->addr);
    if (s && tx->addr + (size - 1) <= s->hi && tx->addr + (size - 1) >= tx->addr) {
        region_access(as, s->r, tx->addr, tx);
        return;
    }
    if (!s && size == 1) {
        tx->data = bus_kind_is_write((enum bus_kind)tx->kind) ? tx->data : 0xFF;
        return;
    }
    /* Crosses a region edge (or partly unmapped): byte by byte. */
    uint64_t data = 0;
    sim_time_t latency = 0;
    uint16_t target = 0;
    for (unsigned i = 0; i < size; i++) {
        struct bus_tx b = *tx;
        b.addr = (tx->addr + i) & as->limit;
        b.size = 1;
        b.data = (tx->data >> (8 * i)) & 0xFF;
        const struct seg *bs = as_lookup(as, b.addr);
        if (bs) {
            region_access(as, bs->r, b.addr, &b);
            if (!target)
                target = b.target;
        } else {
            b.data = 0xFF;
        }
        data |= (b.data & 0xFF) << (8 * i);
        if (b.latency > latency)
            latency = b.latency;
    }
    if (!bus_kind_is_write((enum bus_kind)tx->kind))
        tx->data = data;
    tx->latency = latency;
    tx->target = target;
}

void as_access(struct addr_space *as, struct bus_tx *tx)
{
    if (!tx->time)
        tx->time = as->sim ? as->sim->now : 0;
    if (tx->size == 0 || tx->size > 8)
        tx->size = tx->size ? 8 : 1;
    as_access_unobserved(as, tx);
    if (as->observers)
        as_observe(as, tx);
}

uint64_t as_read(struct addr_space *as, uint64_t addr, unsigned size, enum bus_kind kind,
                 uint16_t initiator, sim_time_t *latency)
{
    struct bus_tx tx = { .addr = addr, .size = (uint8_t)size, .kind = (uint8_t)kind,
                         .initiator = initiator };
    as_access(as, &tx);
    if (latency)
        *latency += tx.latency;
    return tx.data;
}

void as_write(struct addr_space *as, uint64_t addr, unsigned size, uint64_t value,
              enum bus_kind kind, uint16_t initiator, sim_time_t *latency)
{
    struct bus_tx tx = { .addr = addr, .data = value & size_mask(size), .size = (uint8_t)size,
                         .kind = (uint8_t)kind, .initiator = initiator };
    as_access(as, &tx);
    if (latency)
        *latency += tx.latency;
}

size_t as_read_rep(struct addr_space *as, uint64_t addr, unsigned size, void *buf, size_t count)
{
    if (as->observers || count == 0 || size == 0 || size > 8)
        return 0;
    const struct seg *s = as_lookup(as, addr);
    if (!s || addr + (size - 1) > s->hi || addr + (size - 1) < addr)
        return 0;
    uint64_t offset = addr - s->r->base;
    bool ro = false;
    struct region *r = region_resolve(s->r, &offset, &ro);
    if (!r || r->type != REGION_MMIO || !r->ops->read_rep || offset + size > r->size)
        return 0;
    unsigned max = r->ops->max_access ? r->ops->max_access : 8;
    if (size > max)
        return 0;
    size_t done = r->ops->read_rep(r->opaque, offset, size, buf, count);
    return done < count ? done : count;
}

static unsigned block_chunk(uint64_t addr, size_t left)
{
    unsigned n = 8;
    while (n > 1 && ((addr & (n - 1)) || n > left))
        n >>= 1;
    return n;
}

void as_read_block(struct addr_space *as, uint64_t addr, void *buf, size_t len,
                   enum bus_kind kind, uint16_t initiator)
{
    uint8_t *p = buf;
    while (len) {
        unsigned n = block_chunk(addr, len);
        uint64_t v = as_read(as, addr, n, kind, initiator, NULL);
        memcpy(p, &v, n);
        p += n;
        addr += n;
        len -= n;
    }
}

void as_write_block(struct addr_space *as, uint64_t addr, const void *buf, size_t len,
                    enum bus_kind kind, uint16_t initiator)
{
    const uint8_t *p = buf;
    while (len) {
        unsigned n = block_chunk(addr, len);
        uint64_t v = 0;
        memcpy(&v, p, n);
        as_write(as, addr, n, v, kind, initiator, NULL);
        p += n;
        addr += n;
        len -= n;
    }
}

/* Loader/debugger access to backing memory, ignoring ROM protection and
 * observers; MMIO is accessed byte by byte. */
static void as_raw(struct addr_space *as, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
    while (len) {
        const struct seg *s = as_lookup(as, addr);
        size_t n = 1;
        if (s) {
            uint64_t span = s->hi - addr;
            n = span >= len - 1 ? len : (size_t)span + 1;
            uint64_t offset = addr - s->r->base;
            bool ro = false;
            struct region *r = region_resolve(s->r, &offset, &ro);
            if (r && (r->type == REGION_RAM || r->type == REGION_ROM)) {
                if (offset + n > r->size)
                    n = (size_t)(r->size - offset);
                if (write) {
                    memcpy(r->host + offset, buf, n);
                    if (r->type == REGION_RAM && as->nwrite_listeners)
                        as_notify_writes(as, addr, (unsigned)n);
                } else {
                    memcpy(buf, r->host + offset, n);
                }
            } else if (r && r->type == REGION_MMIO) {
                n = 1;
                if (write)
                    mmio_write(r, offset, 1, buf[0]);
                else
                    buf[0] = (uint8_t)mmio_read(r, offset, 1);
            } else {
                n = 1;
                if (!write)
                    buf[0] = 0xFF;
            }
        } else if (!write) {
            buf[0] = 0xFF;
        }
        buf += n;
        addr += n;
        len -= n;
    }
}

void as_load(struct addr_space *as, uint64_t addr, const void *buf, size_t len)
{
    as_raw(as, addr, (uint8_t *)buf, len, true);
}

void as_peek(struct addr_space *as, uint64_t addr, void *buf, size_t len)
{
    as_raw(as, addr, buf, len, false);
}

/* --- DMI ---------------------------------------------------------------------------- */

/* The kinds an initiator's DMI accesses would hide from observers. */
#define DMI_HIDDEN_KINDS                                                                   \
    (BUS_KIND_BIT(BUS_FETCH) | BUS_KIND_BIT(BUS_READ) | BUS_KIND_BIT(BUS_WRITE) |           \
     BUS_KIND_BIT(BUS_WALK_READ) | BUS_KIND_BIT(BUS_WALK_WRITE) | BUS_KIND_BIT(BUS_DMA_READ) | \
     BUS_KIND_BIT(BUS_DMA_WRITE))

/* True if an observer that wants accesses DMI would hide covers [lo, hi]. */
static bool as_range_observed(struct addr_space *as, uint64_t lo, uint64_t hi)
{
    for (struct bus_observer *o = as->observers; o; o = o->next)
        if ((o->kind_mask & DMI_HIDDEN_KINDS) && !(hi < o->lo || lo > o->hi))
            return true;
    return false;
}

bool as_dmi(struct addr_space *as, uint64_t addr, bool write, struct dmi *out)
{
    const struct seg *s = as_lookup(as, addr);
    if (!s)
        return false;
    uint64_t offset = s->lo - s->r->base;
    bool ro = false;
    struct region *r = region_resolve(s->r, &offset, &ro);
    if (!r || (r->type != REGION_RAM && r->type != REGION_ROM))
        return false;
    bool writable = r->type == REGION_RAM && !ro;
    if (write && !writable)
        return false;
    uint64_t lo = s->lo, hi = s->hi;
    if (hi - lo > r->size - 1 - offset)
        hi = lo + (r->size - 1 - offset);
    if (addr > hi)
        return false;
    if (as_range_observed(as, lo, hi)) {
        /* Narrow to the 4 KiB page around addr, if that is unobserved. */
        uint64_t plo = addr & ~0xFFFull, phi = plo | 0xFFF;
        if (plo < lo)
            plo = lo;
        if (phi > hi)
            phi = hi;
        if (as_range_observed(as, plo, phi))
            return false;
        offset += plo - lo;
        lo = plo;
        hi = phi;
    }
    out->host = r->host + offset;
    out->lo = lo;
    out->hi = hi;
    out->writable = writable;
    out->target = s->r->owner_id;
    return true;
}

static void listener_add(struct listener **v, size_t *n, void (*fn)(void), void *opaque)
{
    struct listener *nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    nv[*n] = (struct listener){ fn, opaque };
    *v = nv;
    (*n)++;
}

void as_add_dmi_listener(struct addr_space *as, dmi_invalidate_fn fn, void *opaque)
{
    listener_add(&as->dmi_listeners, &as->ndmi_listeners, (void (*)(void))fn, opaque);
}

void as_ram_written(struct addr_space *as, uint64_t addr, unsigned len)
{
    if (as->nwrite_listeners)
        as_notify_writes(as, addr, len);
}

void as_add_ram_write_listener(struct addr_space *as, ram_write_fn fn, void *opaque)
{
    listener_add(&as->write_listeners, &as->nwrite_listeners, (void (*)(void))fn, opaque);
}

/* --- observers ----------------------------------------------------------------------- */

struct bus_observer *as_add_observer(struct addr_space *as, uint64_t lo, uint64_t hi,
                                     uint32_t kind_mask, bus_observer_fn fn, void *opaque)
{
    struct bus_observer *o = bus_alloc(sizeof *o);
    o->lo = lo;
    o->hi = hi;
    o->kind_mask = kind_mask;
    o->fn = fn;
    o->opaque = opaque;
    struct bus_observer **p = &as->observers;
    while (*p)
        p = &(*p)->next;
    *p = o;
    as_bump_generation(as);
    return o;
}

void as_remove_observer(struct addr_space *as, struct bus_observer *obs)
{
    for (struct bus_observer **p = &as->observers; *p; p = &(*p)->next) {
        if (*p == obs) {
            *p = obs->next;
            free(obs);
            as_bump_generation(as);
            return;
        }
    }
}

void as_notify(struct addr_space *as, const struct bus_tx *tx)
{
    if (as->observers)
        as_observe(as, tx);
}
