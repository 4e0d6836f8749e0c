/* bus.h: address spaces, regions, bus transactions, DMI and observers.
 *
 * An address space (memory, I/O ports, PCI configuration) holds regions:
 * RAM and ROM (host-backed), MMIO (callbacks) and aliases (a window onto
 * another region). Regions may overlap; the one with the highest priority
 * wins, later-added wins ties. Regions can be enabled, disabled and moved at
 * run time (PAM shadowing, PCI BARs); the space keeps a flattened view that
 * is rebuilt on each change. Unmapped reads return all ones; unmapped
 * writes are dropped.
 *
 * DMI: a RAM (or, for reads, ROM) range with no observer hands out a host
 * pointer. Whenever the map or the observers change, the space's generation
 * number increases and every DMI listener is called: holders of pointers
 * (the CPU's TLB) must drop them. */
#ifndef CW_BUS_H
#define CW_BUS_H

#include "types.h"

enum bus_kind {
    BUS_FETCH = 0,    /* instruction fetch */
    BUS_READ,         /* data read */
    BUS_WRITE,        /* data write */
    BUS_IO_READ,
    BUS_IO_WRITE,
    BUS_WALK_READ,    /* page-table walk */
    BUS_WALK_WRITE,   /* accessed/dirty bit update */
    BUS_DMA_READ,
    BUS_DMA_WRITE,
    BUS_INTA,         /* interrupt acknowledge */
    BUS_CFG_READ,     /* PCI configuration */
    BUS_CFG_WRITE,
    BUS_KIND_COUNT
};
#define BUS_KIND_BIT(k) (1u << (k))
#define BUS_KIND_ALL ((1u << BUS_KIND_COUNT) - 1)

const char *bus_kind_name(enum bus_kind k);
/* Parses "read", "io-write", ... Returns -1 if unknown. */
int bus_kind_parse(const char *name);

static inline bool bus_kind_is_write(enum bus_kind k)
{
    return k == BUS_WRITE || k == BUS_IO_WRITE || k == BUS_WALK_WRITE ||
           k == BUS_DMA_WRITE || k == BUS_CFG_WRITE;
}

/* One bus transaction, as observers and timing models see it. */
struct bus_tx {
    uint64_t addr;
    uint64_t data;        /* little-endian value, `size` bytes significant */
    sim_time_t time;      /* start time */
    sim_time_t latency;   /* ps, filled by the target */
    uint16_t initiator;   /* component id of the initiator (0 = none) */
    uint16_t target;      /* component id of the target (0 = unmapped) */
    uint8_t size;         /* 1, 2, 4 or 8 bytes */
    uint8_t kind;         /* enum bus_kind */
};

/* MMIO callbacks, TinyEMU style. offset is relative to the region base;
 * size is 1, 2, 4 or 8. Accesses are never split across a region edge by the
 * bus; a device that wants wider accesses split registers at most 8 bytes. */
struct mmio_ops {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
    /* Optional: latency of this access in ps (DRAM models). If NULL the
     * region's fixed latency applies. */
    sim_time_t (*timing)(void *opaque, const struct bus_tx *tx, uint64_t offset);
    /* Largest access the device handles in one call; larger accesses are
     * split into this size (0 means 8). */
    unsigned max_access;
    /* Optional, for data ports and FIFOs: up to `count` reads of `size`
     * bytes at `offset`, stored one after the other in buf (little-endian),
     * exactly as that many read() calls would return them. Returns how many
     * it did; it may do fewer (0: the caller reads one by one). A device
     * offers only reads whose sole effect is the data: the read that ends a
     * transfer (and raises an interrupt, schedules an event or depends on
     * the time) is left to read(). */
    size_t (*read_rep)(void *opaque, uint64_t offset, unsigned size, void *buf, size_t count);
};

enum region_type { REGION_RAM, REGION_ROM, REGION_MMIO, REGION_ALIAS };

struct region {
    char *name;
    enum region_type type;
    uint64_t base;        /* in its space, while mapped */
    uint64_t size;
    int priority;
    bool enabled;
    bool readonly_alias;  /* alias: writes dropped */
    uint8_t *host;        /* RAM/ROM backing (owned unless `host_borrowed`) */
    bool host_borrowed;
    const struct mmio_ops *ops;
    void *opaque;
    struct region *alias_of; /* alias target region */
    uint64_t alias_offset;   /* offset into alias_of */
    sim_time_t latency;      /* fixed latency per access (ps) */
    /* RAM/ROM: optional latency per access (a DRAM model), replacing
     * `latency`. Offset is relative to this region. DMI accesses are not
     * timed: timing models that use DMI ask the DRAM themselves. */
    sim_time_t (*timing)(void *opaque, const struct bus_tx *tx, uint64_t offset);
    void *timing_opaque;
    uint16_t owner_id;       /* component id (trace "target") */
    struct addr_space *space;
};

enum space_kind { SPACE_MEMORY, SPACE_IO, SPACE_PCI_CONFIG, SPACE_OTHER };

/* Creates a named space covering [0, 2^addr_bits). */
struct addr_space *as_create(struct sim *sim, const char *name, enum space_kind kind,
                             unsigned addr_bits);
void as_destroy(struct addr_space *as);
const char *as_name(const struct addr_space *as);
enum space_kind as_kind(const struct addr_space *as);
uint64_t as_limit(const struct addr_space *as); /* highest address */

/* --- regions ----------------------------------------------------------- */

/* All add functions return NULL and fill err on a bad range or an overlap
 * with an enabled region of the same priority (a configuration error). A
 * region is mapped (enabled) when added, unless base is AS_UNMAPPED: then it
 * is created disabled at base 0 without an overlap check, for regions that
 * software places later (PCI BARs) with region_move + region_set_enabled.
 * Run-time moves and enables may overlap: priority decides. `owner` may be
 * NULL. */
#define AS_UNMAPPED UINT64_MAX

struct region *as_add_ram(struct addr_space *as, struct component *owner, const char *name,
                          uint64_t base, uint64_t size, struct cw_error *err);
/* ROM contents are copied from `data` (len <= size; the rest reads 0xFF). */
struct region *as_add_rom(struct addr_space *as, struct component *owner, const char *name,
                          uint64_t base, uint64_t size, const void *data, size_t len,
                          struct cw_error *err);
struct region *as_add_mmio(struct addr_space *as, struct component *owner, const char *name,
                           uint64_t base, uint64_t size, const struct mmio_ops *ops,
                           void *opaque, struct cw_error *err);
/* A window of `size` bytes onto `target` starting at target_offset. */
struct region *as_add_alias(struct addr_space *as, struct component *owner, const char *name,
                            uint64_t base, uint64_t size, struct region *target,
                            uint64_t target_offset, struct cw_error *err);
/* RAM backed by caller memory (e.g. VGA planes the model owns). */
struct region *as_add_ram_borrowed(struct addr_space *as, struct component *owner,
                                   const char *name, uint64_t base, uint64_t size,
                                   uint8_t *host, struct cw_error *err);

/* Priority for run-time overlays (PCI BARs over RAM holes, VGA window,
 * PAM aliases). Default 0. Changing it remaps. */
void region_set_priority(struct region *r, int priority);
void region_set_enabled(struct region *r, bool enabled);
void region_move(struct region *r, uint64_t new_base);
/* Makes writes through an alias region go nowhere (PAM "read from ROM"). */
void region_set_alias_readonly(struct region *r, bool readonly);
void region_set_latency(struct region *r, sim_time_t latency);
/* Gives a RAM or ROM region a latency per access, computed by `fn` from the
 * transaction (its time, kind, size) and the offset in the region; NULL
 * returns to the fixed latency. (MMIO regions use mmio_ops.timing.) */
void region_set_timing(struct region *r,
                       sim_time_t (*fn)(void *opaque, const struct bus_tx *tx, uint64_t offset),
                       void *opaque);
/* Removes and frees a region. */
void as_remove_region(struct region *r);

/* Finds a region by name (first added wins), or NULL. */
struct region *as_find_region(struct addr_space *as, const char *name);

/* --- access ------------------------------------------------------------- */

/* Performs one transaction of size 1/2/4/8 at tx->addr. For reads tx->data
 * receives the value; for writes it supplies it. Accesses that cross a
 * region boundary are split into bytes. tx->time is set to sim_now() if 0,
 * tx->latency and tx->target are filled. Observers are called. */
void as_access(struct addr_space *as, struct bus_tx *tx);

/* Convenience wrappers; return the data (reads) and add the latency to
 * *latency if non-NULL. */
uint64_t as_read(struct addr_space *as, uint64_t addr, unsigned size, enum bus_kind kind,
                 uint16_t initiator, sim_time_t *latency);
void as_write(struct addr_space *as, uint64_t addr, unsigned size, uint64_t value,
              enum bus_kind kind, uint16_t initiator, sim_time_t *latency);

/* Block copies (DMA, loaders): split into aligned transactions of up to 8
 * bytes. Each piece is a separate transaction for observers. */
void as_read_block(struct addr_space *as, uint64_t addr, void *buf, size_t len,
                   enum bus_kind kind, uint16_t initiator);
void as_write_block(struct addr_space *as, uint64_t addr, const void *buf, size_t len,
                    enum bus_kind kind, uint16_t initiator);

/* Repeated reads of one device register (REP INS from a data port): up to
 * count reads of `size` bytes at addr into buf, for a device region whose
 * ops offer read_rep. Returns how many were done, 0 when the space has
 * observers (tracing sees every transaction), the address is not such a
 * device or the device declines; the caller then reads one by one with
 * as_read. No latency is reported: callers that time accesses read one by
 * one. */
size_t as_read_rep(struct addr_space *as, uint64_t addr, unsigned size, void *buf, size_t count);

/* Loader access: bypasses observers and ROM write protection (firmware
 * loading, test setup). Unmapped bytes are skipped. */
void as_load(struct addr_space *as, uint64_t addr, const void *buf, size_t len);
void as_peek(struct addr_space *as, uint64_t addr, void *buf, size_t len);

/* --- DMI ---------------------------------------------------------------- */

struct dmi {
    uint8_t *host;  /* host pointer for address `lo` */
    uint64_t lo;    /* first guest address covered */
    uint64_t hi;    /* last guest address covered (inclusive) */
    bool writable;  /* RAM; false for ROM or read-only alias */
    uint16_t target;
};

/* Asks for a direct pointer covering addr. Returns false (and the caller
 * uses as_access) for MMIO, unmapped, or observed addresses. For `write`,
 * ROM and read-only aliases are refused. */
bool as_dmi(struct addr_space *as, uint64_t addr, bool write, struct dmi *out);

/* Increases whenever a DMI pointer handed out earlier may have become
 * invalid (map change, observer added or removed). */
uint64_t as_generation(const struct addr_space *as);

/* Called synchronously on every generation change. */
typedef void (*dmi_invalidate_fn)(void *opaque, struct addr_space *as);
void as_add_dmi_listener(struct addr_space *as, dmi_invalidate_fn fn, void *opaque);

/* Called for every write to RAM that does not go through a DMI pointer
 * (bus writes from any initiator, DMA, loaders): decoded-code caches use it
 * to stay coherent with self-modifying code and DMA. */
typedef void (*ram_write_fn)(void *opaque, uint64_t addr, unsigned len);
void as_add_ram_write_listener(struct addr_space *as, ram_write_fn fn, void *opaque);

/* Tells the RAM write listeners that a model wrote guest RAM at addr
 * directly through a host pointer of its own (not via as_access). */
void as_ram_written(struct addr_space *as, uint64_t addr, unsigned len);

/* --- observers ------------------------------------------------------------ */

/* An observer sees every transaction in [lo, hi] whose kind is in kind_mask.
 * While an observer of memory kinds (fetch, read, write, walks, DMA) covers
 * a RAM range, DMI is refused there; observers of other kinds (I/O, INTA,
 * configuration) leave DMI alone. */
typedef void (*bus_observer_fn)(void *opaque, struct addr_space *as, const struct bus_tx *tx);
struct bus_observer;
struct bus_observer *as_add_observer(struct addr_space *as, uint64_t lo, uint64_t hi,
                                     uint32_t kind_mask, bus_observer_fn fn, void *opaque);
void as_remove_observer(struct addr_space *as, struct bus_observer *obs);

/* Records a transaction that did not go through as_access (the CPU's
 * functional model reading via DMI never calls this; timing models or DMA
 * engines that bypass the bus may) so observers still see it. */
void as_notify(struct addr_space *as, const struct bus_tx *tx);

/* Iterates the flattened map (for `clockwork` diagnostics and tests). */
typedef void (*as_map_fn)(void *opaque, uint64_t lo, uint64_t hi, const struct region *r);
void as_walk_map(struct addr_space *as, as_map_fn fn, void *opaque);

#endif
