/* fw_cfg.c: QEMU's firmware configuration device, I/O port interface only
 * (selector 0x510, data 0x511; no DMA). Follows QEMU docs/specs/fw_cfg.rst
 * and what SeaBIOS 1.16 reads from it (src/fw/paravirt.c).
 *
 * A 16-bit write to the selector picks an item and rewinds it; each byte
 * read from the data port returns the next byte of the item, and 0 past
 * its end or for an unknown item. Items: the legacy keys SeaBIOS reads
 * (signature, ID = 1 "traditional interface only", UUID, RAM size, CPU
 * counts, NUMA, boot menu, the arch-local ACPI/SMBIOS/IRQ0/E820 keys) and
 * the file directory (key 0x19, big-endian count then 64-byte entries,
 * sorted by name) with etc/e820, etc/boot-cpus, and optionally bootorder,
 * etc/boot-menu-wait and files from the host. The device is optional: a
 * machine without it leaves 0x510/0x511 unmapped and SeaBIOS uses CMOS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_UUID 0x0002
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NOGRAPHIC 0x0004
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_NUMA 0x000d
#define FW_CFG_BOOT_MENU 0x000e
#define FW_CFG_MAX_CPUS 0x000f
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_FIRST 0x0020
#define FW_CFG_ACPI_TABLES 0x8000
#define FW_CFG_SMBIOS_ENTRIES 0x8001
#define FW_CFG_IRQ0_OVERRIDE 0x8002
#define FW_CFG_E820_TABLE 0x8003
#define FW_CFG_WRITE_CHANNEL 0x4000

#define FW_CFG_NAME_LEN 56
#define FW_CFG_MAX_FILES 64
#define E820_RAM 1

struct fw_cfg_item {
    uint16_t key;
    uint8_t *data;
    uint32_t len;
    char name[FW_CFG_NAME_LEN]; /* files only */
};

struct fw_cfg {
    struct component *comp;
    struct fw_cfg_item *items;
    size_t nitems, cap;
    size_t nfiles;
    const struct fw_cfg_item *cur;  /* selected item, NULL if unknown */
    uint32_t offset;                /* next byte of the selected item */
    uint16_t selector;
    uint64_t stat_selects, stat_bytes;
};

/* --- items ----------------------------------------------------------------------- */

static int fw_cfg_add(struct fw_cfg *s, uint16_t key, const void *data, size_t len,
                      const char *name, struct cw_error *err)
{
    if (len > UINT32_MAX)
        return cw_errorf(err, "%s: item '%s' is too large", s->comp->name, name ? name : "?");
    if (s->nitems == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        struct fw_cfg_item *v = realloc(s->items, cap * sizeof *v);
        if (!v)
            return cw_errorf(err, "%s: out of memory", s->comp->name);
        s->items = v;
        s->cap = cap;
    }
    struct fw_cfg_item *it = &s->items[s->nitems];
    memset(it, 0, sizeof *it);
    it->key = key;
    it->len = (uint32_t)len;
    it->data = malloc(len ? len : 1);
    if (!it->data)
        return cw_errorf(err, "%s: out of memory", s->comp->name);
    if (len)
        memcpy(it->data, data, len);
    if (name)
        snprintf(it->name, sizeof it->name, "%s", name);
    s->nitems++;
    return 0;
}

static void fw_cfg_le(uint8_t *buf, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        buf[i] = (uint8_t)(v >> (8 * i));
}

static int fw_cfg_add_int(struct fw_cfg *s, uint16_t key, uint64_t v, unsigned n,
                          struct cw_error *err)
{
    uint8_t buf[8];
    fw_cfg_le(buf, v, n);
    return fw_cfg_add(s, key, buf, n, NULL, err);
}

static struct fw_cfg_item *fw_cfg_find(struct fw_cfg *s, uint16_t key)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (s->items[i].key == key)
            return &s->items[i];
    return NULL;
}

/* Files are collected first and given keys in name order when the
 * directory is built. */
struct fw_cfg_file {
    char name[FW_CFG_NAME_LEN];
    uint8_t *data;
    size_t len;
};

static int fw_cfg_file_cmp(const void *a, const void *b)
{
    return strcmp(((const struct fw_cfg_file *)a)->name, ((const struct fw_cfg_file *)b)->name);
}

static int fw_cfg_build_files(struct fw_cfg *s, struct fw_cfg_file *files, size_t n,
                              struct cw_error *err)
{
    qsort(files, n, sizeof *files, fw_cfg_file_cmp);
    size_t dir_len = 4 + 64 * n;
    uint8_t *dir = calloc(1, dir_len);
    if (!dir)
        return cw_errorf(err, "%s: out of memory", s->comp->name);
    dir[0] = (uint8_t)(n >> 24);
    dir[1] = (uint8_t)(n >> 16);
    dir[2] = (uint8_t)(n >> 8);
    dir[3] = (uint8_t)n;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint8_t *e = dir + 4 + 64 * i;
        uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + i);
        uint32_t size = (uint32_t)files[i].len;
        e[0] = (uint8_t)(size >> 24); /* directory fields are big-endian */
        e[1] = (uint8_t)(size >> 16);
        e[2] = (uint8_t)(size >> 8);
        e[3] = (uint8_t)size;
        e[4] = (uint8_t)(key >> 8);
        e[5] = (uint8_t)key;
        memcpy(e + 8, files[i].name, FW_CFG_NAME_LEN);
        rc = fw_cfg_add(s, key, files[i].data, files[i].len, files[i].name, err);
    }
    if (rc == 0)
        rc = fw_cfg_add(s, FW_CFG_FILE_DIR, dir, dir_len, NULL, err);
    free(dir);
    s->nfiles = n;
    return rc;
}

/* --- ports ------------------------------------------------------------------------------ */

static void fw_cfg_select(struct fw_cfg *s, uint16_t key)
{
    s->selector = key;
    s->offset = 0;
    s->stat_selects++;
    /* The write-channel bit selects the same item for writing, which this
     * device does not allow; reads still come from the item. */
    s->cur = fw_cfg_find(s, key & (uint16_t)~FW_CFG_WRITE_CHANNEL);
}

static uint64_t fw_cfg_port_read(void *opaque, uint64_t offset, unsigned size)
{
    struct fw_cfg *s = opaque;
    if (offset == 0)
        return size == 2 ? s->selector : 0xFF; /* the selector is write-only in QEMU */
    if (!s->cur || s->offset >= s->cur->len)
        return 0;
    s->stat_bytes++;
    return s->cur->data[s->offset++];
}

static void fw_cfg_port_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct fw_cfg *s = opaque;
    if (offset == 0 && size == 2)
        fw_cfg_select(s, (uint16_t)value);
    /* Data port writes are ignored (QEMU >= 2.4). */
}

/* One region for both ports, so a 16-bit selector write is not split. */
static const struct mmio_ops fw_cfg_ops = {
    .read = fw_cfg_port_read,
    .write = fw_cfg_port_write,
    .max_access = 2,
};

/* --- parameters ------------------------------------------------------------------------- */

static const struct param_desc fw_cfg_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space"},
    {"base", PARAM_U64, "0x510", "selector port; the data port is base + 1"},
    {"ram-size", PARAM_SIZE, NULL, "guest RAM, for key 0x03 and etc/e820"},
    {"ram-below-4g", PARAM_SIZE, "3584MiB", "largest part of RAM placed below 4 GiB"},
    {"cpus", PARAM_U64, "1", "number of CPUs (keys 0x05, 0x0f, etc/boot-cpus)"},
    {"boot-menu", PARAM_BOOL, "false", "key 0x0e (etc/show-boot-menu): offer the F12 menu"},
    {"boot-menu-wait", PARAM_TIME, NULL, "etc/boot-menu-wait: how long the menu waits", true},
    {"bootorder", PARAM_STRING, NULL,
     "bootorder file: device paths separated by ';' (written one per line)", true},
    {"irq0-override", PARAM_BOOL, "false",
     "key 0x8002: the timer reaches IOAPIC pin 2 (QEMU wiring) rather than pin 0"},
    {"files", PARAM_NODE, NULL,
     "extra files: map of fw_cfg name -> host file (relative to the YAML file)", true},
    PARAM_END,
};

/* RAM below 4 GiB from 0, the rest from 4 GiB: struct e820_entry
 * { u64 address; u64 length; u32 type; } little-endian, packed. */
static size_t fw_cfg_e820(uint64_t ram, uint64_t below_limit, uint8_t *buf)
{
    uint64_t below = ram < below_limit ? ram : below_limit;
    size_t n = 0;
    fw_cfg_le(buf, 0, 8);
    fw_cfg_le(buf + 8, below, 8);
    fw_cfg_le(buf + 16, E820_RAM, 4);
    n++;
    if (ram > below) {
        uint8_t *e = buf + 20;
        fw_cfg_le(e, 0x100000000ull, 8);
        fw_cfg_le(e + 8, ram - below, 8);
        fw_cfg_le(e + 16, E820_RAM, 4);
        n++;
    }
    return n * 20;
}

static int fw_cfg_add_file(struct fw_cfg_file *files, size_t *n, const char *name,
                           const void *data, size_t len, struct cw_error *err, const char *who)
{
    if (*n == FW_CFG_MAX_FILES)
        return cw_errorf(err, "%s: more than %d fw_cfg files", who, FW_CFG_MAX_FILES);
    if (strlen(name) >= FW_CFG_NAME_LEN)
        return cw_errorf(err, "%s: fw_cfg file name '%s' is longer than 55 characters", who, name);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(files[i].name, name) == 0)
            return cw_errorf(err, "%s: fw_cfg file '%s' given twice", who, name);
    struct fw_cfg_file *f = &files[*n];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->data = malloc(len ? len : 1);
    if (!f->data)
        return cw_errorf(err, "%s: out of memory", who);
    if (len)
        memcpy(f->data, data, len);
    f->len = len;
    (*n)++;
    return 0;
}

/* Reads a host file named relative to the YAML file that mentioned it. */
static int fw_cfg_load_host_file(const struct ynode *at, const char *path, uint8_t **data,
                                 size_t *len, struct cw_error *err)
{
    char full[4096];
    const char *slash = at->file ? strrchr(at->file, '/') : NULL;
    if (path[0] != '/' && slash)
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - at->file), at->file, path);
    else
        snprintf(full, sizeof full, "%s", path);
    FILE *f = fopen(full, "rb");
    if (!f)
        return ynode_error(err, at, "cannot open '%s'", full);
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    bool bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        free(buf);
        return ynode_error(err, at, "cannot read '%s' (or larger than 64 MiB)", full);
    }
    *data = buf;
    *len = n;
    return 0;
}

static int fw_cfg_host_files(const struct params *p, struct fw_cfg_file *files, size_t *n,
                             struct cw_error *err, const char *who)
{
    const struct ynode *map = params_node(p, "files");
    if (!map)
        return 0;
    if (map->kind != YNODE_MAP)
        return ynode_error(err, map, "files: expected a map of fw_cfg name -> host file");
    for (size_t i = 0; i < map->count; i++) {
        const char *path;
        if (strlen(map->keys[i]) >= FW_CFG_NAME_LEN)
            return ynode_error(err, map->key_nodes[i],
                               "fw_cfg file name '%s' is longer than 55 characters", map->keys[i]);
        if (ynode_string(map->items[i], &path, err) < 0)
            return -1;
        uint8_t *data = NULL;
        size_t len = 0;
        if (fw_cfg_load_host_file(map->items[i], path, &data, &len, err) < 0)
            return -1;
        struct cw_error why = {{0}};
        int rc = fw_cfg_add_file(files, n, map->keys[i], data, len, &why, who);
        free(data);
        if (rc < 0)
            return ynode_error(err, map->key_nodes[i], "%s", why.msg);
    }
    return 0;
}

/* The files every machine gets, plus the optional ones. */
static int fw_cfg_standard_files(struct fw_cfg *s, const struct params *p,
                                 struct fw_cfg_file *files, size_t *n, struct cw_error *err)
{
    const char *who = s->comp->name;
    uint64_t ram = 0, below = 0, cpus = 1;
    params_size(p, "ram-size", &ram);
    params_size(p, "ram-below-4g", &below);
    params_u64(p, "cpus", &cpus);
    uint8_t e820[40], word[2];
    size_t e820_len = fw_cfg_e820(ram, below, e820);
    if (fw_cfg_add_file(files, n, "etc/e820", e820, e820_len, err, who) < 0)
        return -1;
    fw_cfg_le(word, cpus, 2);
    if (fw_cfg_add_file(files, n, "etc/boot-cpus", word, 2, err, who) < 0)
        return -1;
    sim_time_t wait;
    if (params_has(p, "boot-menu-wait") && params_time(p, "boot-menu-wait", &wait)) {
        uint64_t ms = wait / SIM_MS(1);
        fw_cfg_le(word, ms > 0xFFFF ? 0xFFFF : ms, 2);
        if (fw_cfg_add_file(files, n, "etc/boot-menu-wait", word, 2, err, who) < 0)
            return -1;
    }
    const char *order = params_has(p, "bootorder") ? params_string(p, "bootorder") : NULL;
    if (order) {
        /* One device path per line, NUL-terminated, as QEMU writes it. */
        size_t len = strlen(order);
        char *text = malloc(len + 1);
        if (!text)
            return cw_errorf(err, "%s: out of memory", who);
        for (size_t i = 0; i <= len; i++)
            text[i] = order[i] == ';' ? '\n' : order[i];
        int rc = fw_cfg_add_file(files, n, "bootorder", text, len + 1, err, who);
        free(text);
        if (rc < 0)
            return -1;
    }
    return fw_cfg_host_files(p, files, n, err, who);
}

static int fw_cfg_legacy_keys(struct fw_cfg *s, const struct params *p, struct cw_error *err)
{
    uint64_t ram = 0, cpus = 1;
    bool menu = false, irq0 = false;
    params_size(p, "ram-size", &ram);
    params_u64(p, "cpus", &cpus);
    params_bool(p, "boot-menu", &menu);
    params_bool(p, "irq0-override", &irq0);
    static const uint8_t uuid[16] = {0};
    if (fw_cfg_add(s, FW_CFG_SIGNATURE, "QEMU", 4, NULL, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_ID, 1, 4, err) < 0 || /* traditional interface, no DMA */
        fw_cfg_add(s, FW_CFG_UUID, uuid, sizeof uuid, NULL, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_RAM_SIZE, ram, 8, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_NOGRAPHIC, 0, 2, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_NB_CPUS, cpus, 2, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_NUMA, 0, 8, err) < 0 || /* no NUMA nodes */
        fw_cfg_add_int(s, FW_CFG_BOOT_MENU, menu, 2, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_MAX_CPUS, cpus, 2, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_ACPI_TABLES, 0, 2, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_SMBIOS_ENTRIES, 0, 2, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_IRQ0_OVERRIDE, irq0, 4, err) < 0 ||
        fw_cfg_add_int(s, FW_CFG_E820_TABLE, 0, 4, err) < 0)
        return -1;
    return 0;
}

/* --- component ----------------------------------------------------------------------------- */

static void fw_cfg_free_files(struct fw_cfg_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i].data);
    free(files);
}

static int fw_cfg_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct fw_cfg *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    uint64_t cpus = 1, base = 0x510;
    params_u64(p, "cpus", &cpus);
    params_u64(p, "base", &base);
    if (cpus == 0 || cpus > 255)
        return params_error(p, "cpus", err, "cpus: expected 1 to 255");
    if (fw_cfg_legacy_keys(s, p, err) < 0)
        return -1;
    struct fw_cfg_file *files = calloc(FW_CFG_MAX_FILES, sizeof *files);
    if (!files)
        return cw_errorf(err, "%s: out of memory", c->name);
    size_t nfiles = 0;
    int rc = fw_cfg_standard_files(s, p, files, &nfiles, err);
    if (rc == 0)
        rc = fw_cfg_build_files(s, files, nfiles, err);
    fw_cfg_free_files(files, nfiles);
    if (rc < 0)
        return -1;
    struct addr_space *io = params_space(p, "space");
    if (!as_add_mmio(io, c, c->name, base, 2, &fw_cfg_ops, s, err))
        return -1;
    stat_register(c, "selects", "selector writes", &s->stat_selects);
    stat_register(c, "bytes", "data bytes read", &s->stat_bytes);
    return 0;
}

static void fw_cfg_reset(struct component *c)
{
    struct fw_cfg *s = c->state;
    s->cur = NULL;
    s->offset = 0;
    s->selector = 0;
}

static void fw_cfg_destroy(struct component *c)
{
    struct fw_cfg *s = c->state;
    if (!s)
        return;
    for (size_t i = 0; i < s->nitems; i++)
        free(s->items[i].data);
    free(s->items);
    free(s);
}

const struct component_type fw_cfg_type = {
    .name = "fw-cfg",
    .description = "QEMU firmware configuration device (I/O ports 0x510/0x511, no DMA)",
    .params = fw_cfg_params,
    .create = fw_cfg_create,
    .reset = fw_cfg_reset,
    .destroy = fw_cfg_destroy,
};
