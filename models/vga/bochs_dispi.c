/* bochs_dispi.c: the Bochs VBE "DISPI" display interface: resolution, depth,
 * bank and linear framebuffer registers behind ports 0x1CE/0x1CF, as used by
 * SeaBIOS vgasrc/bochsvga.c, Linux bochs-drm and the Bochs vgabios. */
#include <stdlib.h>
#include <string.h>

#include "models/vga/vga.h"

void bochs_dispi_reset(struct vga *v)
{
    memset(v->dispi, 0, sizeof v->dispi);
    v->dispi_index = 0;
    v->dispi[DISPI_INDEX_ID] = DISPI_ID5;
    v->dispi[DISPI_INDEX_BPP] = 8;
}

bool bochs_dispi_enabled(const struct vga *v)
{
    return v->dispi[DISPI_INDEX_ENABLE] & DISPI_ENABLED;
}

bool bochs_dispi_banked(const struct vga *v)
{
    return bochs_dispi_enabled(v) && v->dispi[DISPI_INDEX_BPP] != 4;
}

uint32_t bochs_dispi_bank_offset(const struct vga *v)
{
    return (uint32_t)v->dispi[DISPI_INDEX_BANK] << 16;
}

static unsigned bochs_dispi_bytes_per_pixel(const struct vga *v)
{
    return (v->dispi[DISPI_INDEX_BPP] + 7u) / 8u;
}

/* Bytes per scan line in vram; for 4 bpp, bytes per line of one plane. */
static uint32_t bochs_dispi_line_bytes(const struct vga *v)
{
    uint32_t w = v->dispi[DISPI_INDEX_VIRT_WIDTH];
    if (v->dispi[DISPI_INDEX_BPP] == 4)
        return w / 8;
    return w * bochs_dispi_bytes_per_pixel(v);
}

/* The virtual height is whatever fits in memory at the current line width. */
static void bochs_dispi_update_virt_height(struct vga *v)
{
    uint32_t line = bochs_dispi_line_bytes(v);
    uint32_t mem = v->dispi[DISPI_INDEX_BPP] == 4 ? VGA_PLANE_SIZE : v->vram_size;
    uint32_t h = line ? mem / line : 0;
    v->dispi[DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)(h > 0xFFFF ? 0xFFFF : h);
}

uint16_t bochs_dispi_read(struct vga *v, uint16_t index)
{
    bool caps = v->dispi[DISPI_INDEX_ENABLE] & DISPI_GETCAPS;
    switch (index) {
    case DISPI_INDEX_XRES:
        return caps ? DISPI_MAX_XRES : v->dispi[index];
    case DISPI_INDEX_YRES:
        return caps ? DISPI_MAX_YRES : v->dispi[index];
    case DISPI_INDEX_BPP:
        return caps ? DISPI_MAX_BPP : v->dispi[index];
    case DISPI_INDEX_VIDEO_MEMORY_64K:
        return (uint16_t)(v->vram_size >> 16);
    default:
        return index < DISPI_INDEX_COUNT ? v->dispi[index] : 0;
    }
}

static void bochs_dispi_clear(struct vga *v)
{
    if (v->dispi[DISPI_INDEX_BPP] == 4) {
        uint64_t n = (uint64_t)bochs_dispi_line_bytes(v) * v->dispi[DISPI_INDEX_YRES] * 4;
        memset(v->planes, 0, n < (uint64_t)VGA_PLANE_SIZE * 4 ? n : (uint64_t)VGA_PLANE_SIZE * 4);
        return;
    }
    uint64_t n = (uint64_t)bochs_dispi_line_bytes(v) * v->dispi[DISPI_INDEX_YRES];
    memset(v->vram, 0, n < v->vram_size ? n : v->vram_size);
}

static void bochs_dispi_write_enable(struct vga *v, uint16_t value)
{
    uint16_t old = v->dispi[DISPI_INDEX_ENABLE];
    if ((value & DISPI_ENABLED) && !(old & DISPI_ENABLED))
        vga_capture_text_font(v); /* the text mode being left */
    value &= DISPI_ENABLED | DISPI_GETCAPS | DISPI_8BIT_DAC | DISPI_LFB_ENABLED | DISPI_NOCLEARMEM;
    v->dispi[DISPI_INDEX_ENABLE] = value;
    if ((value & DISPI_ENABLED) && !(old & DISPI_ENABLED)) {
        /* Enabling starts a fresh mode: unpanned, virtual size = visible. */
        v->dispi[DISPI_INDEX_VIRT_WIDTH] = v->dispi[DISPI_INDEX_XRES];
        v->dispi[DISPI_INDEX_X_OFFSET] = 0;
        v->dispi[DISPI_INDEX_Y_OFFSET] = 0;
        bochs_dispi_update_virt_height(v);
        if (!(value & DISPI_NOCLEARMEM))
            bochs_dispi_clear(v);
    } else if (!(value & DISPI_ENABLED)) {
        v->dispi[DISPI_INDEX_BANK] = 0;
    }
    if ((value ^ old) & DISPI_8BIT_DAC)
        v->palette_dirty = true;
}

void bochs_dispi_write(struct vga *v, uint16_t index, uint16_t value)
{
    switch (index) {
    case DISPI_INDEX_ID:
        if (value >= DISPI_ID0 && value <= DISPI_ID5)
            v->dispi[index] = value;
        return;
    case DISPI_INDEX_XRES:
        if (value <= DISPI_MAX_XRES)
            v->dispi[index] = value;
        break;
    case DISPI_INDEX_YRES:
        if (value <= DISPI_MAX_YRES)
            v->dispi[index] = value;
        break;
    case DISPI_INDEX_BPP:
        if (value == 0)
            value = 8;
        if (value == 4 || value == 8 || value == 15 || value == 16 || value == 24 || value == 32)
            v->dispi[index] = value;
        break;
    case DISPI_INDEX_ENABLE:
        bochs_dispi_write_enable(v, value);
        break;
    case DISPI_INDEX_BANK: {
        uint32_t banks = v->vram_size >> 16;
        if (banks)
            v->dispi[index] = (uint16_t)(value & (banks - 1));
        break;
    }
    case DISPI_INDEX_VIRT_WIDTH:
        v->dispi[index] = value;
        bochs_dispi_update_virt_height(v);
        break;
    case DISPI_INDEX_X_OFFSET:
    case DISPI_INDEX_Y_OFFSET:
        v->dispi[index] = value;
        break;
    default:
        return; /* VIRT_HEIGHT and VIDEO_MEMORY_64K are computed */
    }
    v->dirty = true;
    v->lfb_full = true;
}

/* --- rendering ----------------------------------------------------------------- */

static uint32_t bochs_dispi_expand5(uint32_t x)
{
    return x << 3 | x >> 2;
}

static void bochs_dispi_convert_row(struct vga *v, uint32_t *dst, const uint8_t *src, int width)
{
    switch (v->dispi[DISPI_INDEX_BPP]) {
    case 8:
        for (int x = 0; x < width; x++)
            dst[x] = v->dac_rgb[src[x] & v->pel_mask];
        break;
    case 15:
        for (int x = 0; x < width; x++) {
            uint32_t p = src[2 * x] | (uint32_t)src[2 * x + 1] << 8;
            dst[x] = bochs_dispi_expand5((p >> 10) & 31) << 16 |
                     bochs_dispi_expand5((p >> 5) & 31) << 8 | bochs_dispi_expand5(p & 31);
        }
        break;
    case 16:
        for (int x = 0; x < width; x++) {
            uint32_t p = src[2 * x] | (uint32_t)src[2 * x + 1] << 8;
            uint32_t g = (p >> 5) & 63;
            dst[x] = bochs_dispi_expand5(p >> 11) << 16 | (g << 2 | g >> 4) << 8 |
                     bochs_dispi_expand5(p & 31);
        }
        break;
    case 24:
        for (int x = 0; x < width; x++)
            dst[x] = (uint32_t)src[3 * x + 2] << 16 | (uint32_t)src[3 * x + 1] << 8 | src[3 * x];
        break;
    default:
        for (int x = 0; x < width; x++)
            dst[x] = (uint32_t)src[4 * x + 2] << 16 | (uint32_t)src[4 * x + 1] << 8 | src[4 * x];
        break;
    }
}

/* Returns true if the surface size changed. */
static bool bochs_dispi_set_size(struct vga *v, int width, int height)
{
    bool changed = v->surface.width != width || v->surface.height != height;
    vga_surface_resize(v, width, height);
    return changed;
}

static bool bochs_dispi_render_planar(struct vga *v, int width, int height)
{
    if (!v->lfb_full && !v->dirty)
        return false;
    bochs_dispi_set_size(v, width, height);
    if (!v->surface.width)
        return true;
    uint32_t line = bochs_dispi_line_bytes(v);
    uint32_t start = (v->dispi[DISPI_INDEX_Y_OFFSET] * (uint32_t)v->dispi[DISPI_INDEX_VIRT_WIDTH] +
                      v->dispi[DISPI_INDEX_X_OFFSET]) / 8;
    for (int y = 0; y < height; y++)
        vga_render_planar_line(v, v->pixels + (size_t)y * v->surface.stride,
                               start + (uint32_t)y * line, VGA_PLANE_SIZE - 1, width / 8);
    v->lfb_full = false;
    return true;
}

bool bochs_dispi_render(struct vga *v)
{
    int width = v->dispi[DISPI_INDEX_XRES], height = v->dispi[DISPI_INDEX_YRES];
    if (v->dispi[DISPI_INDEX_BPP] == 4)
        return bochs_dispi_render_planar(v, width, height);
    uint64_t bpp = bochs_dispi_bytes_per_pixel(v);
    uint64_t row_bytes = (uint64_t)width * bpp;
    uint64_t line = bochs_dispi_line_bytes(v);
    if (line < row_bytes)
        line = row_bytes;
    uint64_t start = v->dispi[DISPI_INDEX_Y_OFFSET] * line + v->dispi[DISPI_INDEX_X_OFFSET] * bpp;
    /* Only rows that lie wholly inside video memory are shown. */
    if (start + row_bytes > v->vram_size)
        height = 0;
    else if (height > 0 && start + (uint64_t)(height - 1) * line + row_bytes > v->vram_size)
        height = (int)((v->vram_size - start - row_bytes) / line) + 1;
    if (width == 0 || height == 0)
        width = height = 0;

    bool resized = bochs_dispi_set_size(v, width, height);
    bool full = v->lfb_full || resized;
    if (!v->surface.width)
        return full;
    size_t shadow_need = (size_t)row_bytes * (size_t)height;
    if (shadow_need > v->lfb_shadow_cap) {
        uint8_t *s = realloc(v->lfb_shadow, shadow_need);
        if (!s)
            return false;
        v->lfb_shadow = s;
        v->lfb_shadow_cap = shadow_need;
        full = true;
    }
    /* DMI writes bypass the model, so compare with what was shown last. */
    bool changed = false;
    for (int y = 0; y < height; y++) {
        const uint8_t *src = v->vram + start + (uint64_t)y * line;
        uint8_t *shadow = v->lfb_shadow + (size_t)y * row_bytes;
        if (!full && memcmp(shadow, src, row_bytes) == 0)
            continue;
        memcpy(shadow, src, row_bytes);
        bochs_dispi_convert_row(v, v->pixels + (size_t)y * v->surface.stride, src, width);
        changed = true;
    }
    v->lfb_full = false;
    return changed || full;
}
