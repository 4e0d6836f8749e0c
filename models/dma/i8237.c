/* i8237.c: the 8237A DMA controller (one chip per instance; the PC has an
 * 8-bit one at 0x00-0x0F and a 16-bit one at 0xC0-0xDE whose channel 4
 * cascades the first) and the AT's DMA page registers at 0x80-0x8F.
 * Follows the Intel 8237A datasheet (231466) and the IBM PC/AT Technical
 * Reference for the page registers and the 16-bit controller's addressing.
 *
 * The register file is exact: base and current address and count through
 * the byte-pointer flip-flop, mode, single and all-mask, request, status
 * (TC bits cleared by reading), temporary register, master clear, clear
 * mask. Transfers are not driven by DREQ timing: a device calls the "dma"
 * interface (i8237.h), which moves bytes at once, updates address and
 * count, sets TC, reloads on autoinitialise and masks the channel at TC
 * otherwise. A 16-bit controller (`word: true`) counts words and shifts the
 * address left by one, the page register supplying bits 23-17. Memory-to-
 * memory transfers are not modelled. Port 0x80 of the page register file is
 * the POST code port: writes are counted and the last value kept as stats
 * (the write itself is visible in the I/O trace). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "models/dma/i8237.h"

#define I8237_CHANNELS 4
#define I8237_REG_STATUS_COMMAND 8
#define I8237_REG_REQUEST 9
#define I8237_REG_SINGLE_MASK 10
#define I8237_REG_MODE 11
#define I8237_REG_CLEAR_FLIP_FLOP 12
#define I8237_REG_TEMP_MASTER_CLEAR 13
#define I8237_REG_CLEAR_MASK 14
#define I8237_REG_ALL_MASK 15

#define I8237_CMD_DISABLE 0x04
#define I8237_MODE_TYPE(m) (((m) >> 2) & 3)  /* 0 verify, 1 write, 2 read */
#define I8237_MODE_AUTOINIT 0x10
#define I8237_MODE_DECREMENT 0x20
#define I8237_MODE_CASCADE 0xC0
#define I8237_TYPE_WRITE 1 /* device to memory */
#define I8237_TYPE_READ 2  /* memory to device */

/* Page register index (port 0x80 + index) for each DMA channel 0-7. */
static const uint8_t i8237_page_index[8] = {0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA};

struct i8237_channel {
    uint16_t base_address;
    uint16_t current_address;
    uint16_t base_count;
    uint16_t current_count;
    uint8_t mode;               /* mode register, channel bits included */
};

struct i8237 {
    struct component *comp;
    struct sim *sim;
    struct i8237_channel channel[I8237_CHANNELS];
    uint8_t command;            /* command register */
    uint8_t status;             /* bits 3-0 TC reached, 7-4 requests */
    uint8_t request;            /* software request bits 3-0 */
    uint8_t mask;               /* mask bits 3-0 */
    uint8_t temporary;          /* temporary register */
    bool flip_flop;             /* byte pointer: false = low byte next */

    unsigned stride;            /* port spacing: 1 (8-bit) or 2 (16-bit) */
    unsigned first_channel;     /* 0 or 4: system channel number of channel 0 */
    bool word;                  /* 16-bit transfers */
    uint8_t page[16];           /* page register file, if this instance has it */
    bool has_pages;
    const char *pages_name;
    const char *cascade_name;
    struct i8237 *pages;        /* instance holding the page registers */
    struct i8237 *cascade;      /* controller whose channel 0 we cascade into */
    struct addr_space *memory;
    struct i8237_iface iface;

    uint64_t stat_post_writes;
    uint64_t stat_post_code;
    uint64_t stat_bytes;
};

extern const struct component_type i8237_type;

/* --- register file ------------------------------------------------------------------ */

static void i8237_master_clear(struct i8237 *s)
{
    s->command = 0;
    s->status = 0;
    s->request = 0;
    s->temporary = 0;
    s->flip_flop = false;
    s->mask = 0x0F;
}

static uint8_t i8237_status_read(struct i8237 *s)
{
    uint8_t v = (uint8_t)(s->status | s->request << 4);
    s->status &= 0xF0; /* reading clears the TC bits */
    return v;
}

static uint8_t i8237_read_channel_reg(struct i8237 *s, unsigned reg)
{
    struct i8237_channel *c = &s->channel[reg >> 1];
    uint16_t v = (reg & 1) ? c->current_count : c->current_address;
    bool high = s->flip_flop;
    s->flip_flop = !s->flip_flop;
    return (uint8_t)(high ? v >> 8 : v);
}

static void i8237_write_channel_reg(struct i8237 *s, unsigned reg, uint8_t v)
{
    struct i8237_channel *c = &s->channel[reg >> 1];
    uint16_t *base = (reg & 1) ? &c->base_count : &c->base_address;
    uint16_t *current = (reg & 1) ? &c->current_count : &c->current_address;
    if (s->flip_flop)
        *base = (uint16_t)((*base & 0x00FF) | v << 8);
    else
        *base = (uint16_t)((*base & 0xFF00) | v);
    *current = *base; /* writing loads base and current together */
    s->flip_flop = !s->flip_flop;
}

static uint64_t i8237_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8237 *s = opaque;
    unsigned reg = (unsigned)(offset / s->stride);
    if (reg < 8)
        return i8237_read_channel_reg(s, reg);
    switch (reg) {
    case I8237_REG_STATUS_COMMAND:
        return i8237_status_read(s);
    case I8237_REG_TEMP_MASTER_CLEAR:
        return s->temporary;
    case I8237_REG_ALL_MASK:
        /* Write-only on the 8237A; later Intel bridges read the mask back. */
        return 0xF0 | s->mask;
    default:
        return 0xFF; /* write-only registers */
    }
}

static void i8237_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8237 *s = opaque;
    unsigned reg = (unsigned)(offset / s->stride);
    uint8_t v = (uint8_t)value;
    unsigned ch = v & 3;
    if (reg < 8) {
        i8237_write_channel_reg(s, reg, v);
        return;
    }
    switch (reg) {
    case I8237_REG_STATUS_COMMAND:
        s->command = v;
        break;
    case I8237_REG_REQUEST:
        s->request = (v & 4) ? (uint8_t)(s->request | 1u << ch) : (uint8_t)(s->request & ~(1u << ch));
        break;
    case I8237_REG_SINGLE_MASK:
        s->mask = (v & 4) ? (uint8_t)(s->mask | 1u << ch) : (uint8_t)(s->mask & ~(1u << ch));
        break;
    case I8237_REG_MODE:
        s->channel[ch].mode = v;
        break;
    case I8237_REG_CLEAR_FLIP_FLOP:
        s->flip_flop = false;
        break;
    case I8237_REG_TEMP_MASTER_CLEAR:
        i8237_master_clear(s);
        break;
    case I8237_REG_CLEAR_MASK:
        s->mask = 0;
        break;
    default: /* I8237_REG_ALL_MASK */
        s->mask = v & 0x0F;
        break;
    }
}

static const struct mmio_ops i8237_ops = {
    .read = i8237_read,
    .write = i8237_write,
    .max_access = 1,
};

static uint64_t i8237_page_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8237 *s = opaque;
    return s->page[offset & 15];
}

static void i8237_page_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8237 *s = opaque;
    s->page[offset & 15] = (uint8_t)value;
    if ((offset & 15) == 0) {
        s->stat_post_writes++;
        s->stat_post_code = (uint8_t)value;
    }
}

static const struct mmio_ops i8237_page_ops = {
    .read = i8237_page_read,
    .write = i8237_page_write,
    .max_access = 1,
};

/* --- transfers ------------------------------------------------------------------------ */

static bool i8237_path_open(const struct i8237 *s, unsigned ch)
{
    if ((s->command & I8237_CMD_DISABLE) || (s->mask & (1u << ch)))
        return false;
    if ((s->channel[ch].mode & I8237_MODE_CASCADE) == I8237_MODE_CASCADE)
        return false; /* a cascade channel passes another chip's cycles */
    if (!s->cascade)
        return true;
    /* Our HRQ is the other controller's DREQ on its channel 0. */
    const struct i8237 *up = s->cascade;
    return !(up->command & I8237_CMD_DISABLE) && !(up->mask & 1) &&
           (up->channel[0].mode & I8237_MODE_CASCADE) == I8237_MODE_CASCADE;
}

static uint64_t i8237_memory_address(const struct i8237 *s, unsigned ch)
{
    uint8_t page = s->pages ? s->pages->page[i8237_page_index[s->first_channel + ch]] : 0;
    uint16_t a = s->channel[ch].current_address;
    if (s->word)
        return (uint64_t)(page & 0xFE) << 16 | (uint64_t)a << 1;
    return (uint64_t)page << 16 | a;
}

/* Moves one unit (byte or word) and steps address and count; returns true
 * at terminal count. */
static bool i8237_transfer_unit(struct i8237 *s, unsigned ch, uint8_t *unit, unsigned unit_len)
{
    struct i8237_channel *c = &s->channel[ch];
    uint64_t addr = i8237_memory_address(s, ch);
    unsigned type = I8237_MODE_TYPE(c->mode);
    for (unsigned i = 0; s->memory && i < unit_len; i++) {
        if (type == I8237_TYPE_WRITE)
            as_write(s->memory, addr + i, 1, unit[i], BUS_DMA_WRITE, s->comp->id, NULL);
        else if (type == I8237_TYPE_READ)
            unit[i] = (uint8_t)as_read(s->memory, addr + i, 1, BUS_DMA_READ, s->comp->id, NULL);
    }
    if (type == I8237_TYPE_READ || type == I8237_TYPE_WRITE)
        s->temporary = unit[unit_len - 1];
    c->current_address = (uint16_t)(c->current_address + ((c->mode & I8237_MODE_DECREMENT) ? -1 : 1));
    return c->current_count-- == 0;
}

static void i8237_terminal_count(struct i8237 *s, unsigned ch)
{
    struct i8237_channel *c = &s->channel[ch];
    s->status |= (uint8_t)(1u << ch);
    s->request &= (uint8_t)~(1u << ch);
    if (c->mode & I8237_MODE_AUTOINIT) {
        c->current_address = c->base_address;
        c->current_count = c->base_count;
    } else {
        s->mask |= (uint8_t)(1u << ch);
    }
}

static size_t i8237_transfer(void *opaque, unsigned ch, uint8_t *buf, size_t len)
{
    struct i8237 *s = opaque;
    if (ch >= I8237_CHANNELS || !i8237_path_open(s, ch))
        return 0;
    unsigned unit_len = s->word ? 2 : 1;
    size_t done = 0;
    while (done + unit_len <= len) {
        bool tc = i8237_transfer_unit(s, ch, buf + done, unit_len);
        done += unit_len;
        if (tc) {
            i8237_terminal_count(s, ch);
            break;
        }
    }
    s->stat_bytes += done;
    return done;
}

/* --- component ----------------------------------------------------------------------- */

static const struct param_desc i8237_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space holding the registers"},
    {"base", PARAM_U64, NULL, "first register port (0x00 or 0xC0)"},
    {"stride", PARAM_U64, "1", "port spacing of the 16 registers: 1, or 2 for the 16-bit chip"},
    {"word", PARAM_BOOL, "false", "16-bit transfers (channels 4-7): word counts and addresses"},
    {"first-channel", PARAM_U64, "0", "system number of channel 0 (0, or 4 for the 16-bit chip)"},
    {"page-registers", PARAM_U64, NULL, "map the 16 page registers here (0x80)", true},
    {"pages", PARAM_COMPONENT, NULL, "instance holding the page registers", true},
    {"cascade", PARAM_COMPONENT, NULL, "controller whose channel 0 this chip cascades into",
     true},
    {"memory", PARAM_SPACE, NULL, "memory space transfers go to", true},
    PARAM_END,
};

static int i8237_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct i8237 *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;

    uint64_t v = 0;
    params_u64(p, "stride", &v);
    if (v != 1 && v != 2)
        return params_error(p, "stride", err, "1 or 2");
    s->stride = (unsigned)v;
    params_u64(p, "first-channel", &v);
    if (v != 0 && v != 4)
        return params_error(p, "first-channel", err, "0 or 4");
    s->first_channel = (unsigned)v;
    params_bool(p, "word", &s->word);
    if (params_has(p, "memory"))
        s->memory = params_space(p, "memory");
    if (params_has(p, "pages"))
        s->pages_name = params_string(p, "pages");
    if (params_has(p, "cascade"))
        s->cascade_name = params_string(p, "cascade");

    struct addr_space *io = params_space(p, "space");
    params_u64(p, "base", &v);
    if (!as_add_mmio(io, c, c->name, v, 16 * s->stride, &i8237_ops, s, err))
        return -1;
    if (params_has(p, "page-registers")) {
        char name[128];
        snprintf(name, sizeof name, "%s.pages", c->name);
        params_u64(p, "page-registers", &v);
        if (!as_add_mmio(io, c, name, v, 16, &i8237_page_ops, s, err))
            return -1;
        s->has_pages = true;
        s->pages = s;
        stat_register(c, "post-code-writes", "writes to port 0x80 (POST codes)",
                      &s->stat_post_writes);
        stat_register(c, "post-code", "last POST code written to port 0x80",
                      &s->stat_post_code);
    }
    stat_register(c, "bytes", "bytes moved by DMA transfers", &s->stat_bytes);
    s->iface.transfer = i8237_transfer;
    s->iface.opaque = s;
    component_export(c, "dma", &s->iface);
    return 0;
}

static int i8237_find_peer(struct component *c, const char *param, const char *name,
                           struct i8237 **out, struct cw_error *err)
{
    if (!name)
        return 0;
    struct component *other = sim_find_component(c->sim, name);
    if (!other || other->type != &i8237_type)
        return params_error(c->params, param, err, "'%s' is not an i8237 instance", name);
    *out = other->state;
    return 0;
}

static int i8237_realize(struct component *c, struct cw_error *err)
{
    struct i8237 *s = c->state;
    if (i8237_find_peer(c, "pages", s->pages_name, &s->pages, err) != 0)
        return -1;
    if (s->pages && !s->pages->has_pages)
        return params_error(c->params, "pages", err, "'%s' has no page-registers",
                            s->pages_name);
    return i8237_find_peer(c, "cascade", s->cascade_name, &s->cascade, err);
}

static void i8237_reset(struct component *c)
{
    struct i8237 *s = c->state;
    /* RESET: like master clear; we also clear modes, addresses and counts
     * (undefined on the chip) so runs are reproducible. */
    memset(s->channel, 0, sizeof s->channel);
    i8237_master_clear(s);
    if (s->has_pages)
        memset(s->page, 0, sizeof s->page);
}

static void i8237_destroy(struct component *c)
{
    free(c->state);
    c->state = NULL;
}

const struct component_type i8237_type = {
    .name = "i8237",
    .description = "Intel 8237A DMA controller (one chip), optionally with the AT page registers",
    .params = i8237_params,
    .create = i8237_create,
    .realize = i8237_realize,
    .reset = i8237_reset,
    .destroy = i8237_destroy,
};
