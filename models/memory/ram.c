/* ram.c: plain RAM and ROM regions for machine descriptions.
 * No datasheet: ideal memory with an optional fixed access latency (the
 * DRAM timing model is a separate component). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"

static const struct param_desc ram_params[] = {
    { "space", PARAM_SPACE, "memory", "address space to map into" },
    { "base", PARAM_U64, "0", "first address" },
    { "size", PARAM_SIZE, NULL, "size in bytes, e.g. 640KiB" },
    { "latency", PARAM_TIME, "0ns", "fixed latency per access" },
    PARAM_END,
};

static int ram_create(struct component *c, const struct params *p, struct cw_error *err)
{
    uint64_t base = 0, size = 0;
    sim_time_t latency = 0;
    params_u64(p, "base", &base);
    params_size(p, "size", &size);
    params_time(p, "latency", &latency);
    struct cw_error e2;
    struct region *r = as_add_ram(params_space(p, "space"), c, c->name, base, size, &e2);
    if (!r)
        return params_error(p, "base", err, "%s", e2.msg);
    region_set_latency(r, latency);
    return 0;
}

const struct component_type ram_type = {
    .name = "ram",
    .description = "RAM region (ideal memory, optional fixed latency)",
    .params = ram_params,
    .create = ram_create,
};

static const struct param_desc rom_params[] = {
    { "space", PARAM_SPACE, "memory", "address space to map into" },
    { "base", PARAM_U64, NULL, "first address" },
    { "size", PARAM_SIZE, NULL, "region size; defaults to the file's size", true },
    { "file", PARAM_PATH, NULL, "image file (the region ends with the file; the rest reads 0xFF)" },
    { "align", PARAM_STRING, "start", "'start' (image at base) or 'end' (image ends at the region's end)" },
    { "latency", PARAM_TIME, "0ns", "fixed latency per access" },
    PARAM_END,
};

/* Reads a whole file. Returns NULL with a message naming the file. */
static uint8_t *rom_read_file(const char *path, size_t *len, struct cw_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cw_errorf(err, "cannot open ROM image '%s': %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                cw_errorf(err, "out of memory reading '%s'", path);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        cw_errorf(err, "error reading ROM image '%s'", path);
        return NULL;
    }
    *len = n;
    return buf;
}

static int rom_create(struct component *c, const struct params *p, struct cw_error *err)
{
    uint64_t base = 0, size = 0;
    sim_time_t latency = 0;
    params_u64(p, "base", &base);
    params_time(p, "latency", &latency);
    const char *path = params_path(p, "file");
    const char *align = params_string(p, "align");
    struct cw_error e2;
    size_t len = 0;
    uint8_t *data = rom_read_file(path, &len, &e2);
    if (!data)
        return params_error(p, "file", err, "%s", e2.msg);
    if (!params_size(p, "size", &size))
        size = len;
    if (len > size) {
        free(data);
        return params_error(p, "size", err, "image '%s' (%zu bytes) does not fit in %llu bytes",
                            path, len, (unsigned long long)size);
    }
    if (strcmp(align, "start") != 0 && strcmp(align, "end") != 0) {
        free(data);
        return params_error(p, "align", err, "align must be 'start' or 'end', not '%s'", align);
    }
    struct region *r = as_add_rom(params_space(p, "space"), c, c->name, base, size, NULL, 0, &e2);
    if (!r) {
        free(data);
        return params_error(p, "base", err, "%s", e2.msg);
    }
    size_t at = strcmp(align, "end") == 0 ? (size_t)(size - len) : 0;
    memcpy(r->host + at, data, len);
    free(data);
    region_set_latency(r, latency);
    return 0;
}

const struct component_type rom_type = {
    .name = "rom",
    .description = "ROM region loaded from an image file",
    .params = rom_params,
    .create = rom_create,
};
