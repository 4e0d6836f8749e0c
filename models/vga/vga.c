/* vga.c: the IBM VGA core: registers, planar video memory, CRT timing and
 * rendering. Follows the IBM VGA Technical Reference (Personal System/2
 * Hardware Interface Technical Reference, Video Graphics Array section). */
#include "models/vga/vga.h"

#include <stdlib.h>
#include <string.h>

#include "models/vga/cp437.h"

/* Register indexes used by name. */
#define SEQ_CLOCKING 0x01      /* bit 0 8-dot chars, bit 3 dot clock / 2, bit 5 screen off */
#define SEQ_MAP_MASK 0x02
#define SEQ_CHAR_MAP 0x03
#define SEQ_MEMORY_MODE 0x04   /* bit 2 odd/even disable, bit 3 chain 4 */
#define GC_SET_RESET 0x00
#define GC_ENABLE_SET_RESET 0x01
#define GC_COLOR_COMPARE 0x02
#define GC_ROTATE 0x03         /* bits 0-2 count, bits 3-4 function */
#define GC_READ_MAP 0x04
#define GC_MODE 0x05           /* bits 0-1 write mode, 3 read mode, 4 odd/even, 5 interleave, 6 256 */
#define GC_MISC 0x06           /* bits 2-3 memory map */
#define GC_DONT_CARE 0x07
#define GC_BIT_MASK 0x08
#define CRTC_HTOTAL 0x00
#define CRTC_HDISPLAY_END 0x01
#define CRTC_VTOTAL 0x06
#define CRTC_OVERFLOW 0x07
#define CRTC_MAX_SCAN 0x09     /* bits 0-4 char height - 1, bit 6 LC bit 9, bit 7 double scan */
#define CRTC_CURSOR_START 0x0A
#define CRTC_CURSOR_END 0x0B
#define CRTC_START_HI 0x0C
#define CRTC_START_LO 0x0D
#define CRTC_CURSOR_HI 0x0E
#define CRTC_CURSOR_LO 0x0F
#define CRTC_VRETRACE_START 0x10
#define CRTC_VRETRACE_END 0x11 /* bits 0-3 end, bit 7 protect CR0-CR7 */
#define CRTC_VDISPLAY_END 0x12
#define CRTC_OFFSET 0x13
#define CRTC_UNDERLINE 0x14    /* bits 0-4 location, bit 6 doubleword mode */
#define CRTC_MODE 0x17         /* bits 0-1 CGA/Hercules, 5 address wrap, 6 byte mode */
#define CRTC_LINE_COMPARE 0x18
#define CRTC_REG_COUNT 0x19
#define ATC_MODE 0x10          /* bit 0 graphics, 1 mono, 2 line graphics, 3 blink, 7 P5-4 select */
#define ATC_PLANE_ENABLE 0x12
#define ATC_COLOR_SELECT 0x14
#define ATC_REG_COUNT 0x15
#define ATC_INDEX_PAS 0x20     /* palette address source: display on */

/* Readable bits of each register (others read as 0). */
static const uint8_t vga_seq_mask[8] = {0x03, 0x3D, 0x0F, 0x3F, 0x0E, 0, 0, 0};
static const uint8_t vga_gc_mask[16] = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};
static const uint8_t vga_atc_mask[ATC_REG_COUNT] = {
    0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
    0x3F, 0x3F, 0x3F, 0x3F, 0xEF, 0xFF, 0x3F, 0x0F, 0x0F,
};

/* Four-bit plane mask -> 0xFF in each selected plane's byte. */
static const uint32_t vga_plane_bytes[16] = {
    0x00000000, 0x000000FF, 0x0000FF00, 0x0000FFFF,
    0x00FF0000, 0x00FF00FF, 0x00FFFF00, 0x00FFFFFF,
    0xFF000000, 0xFF0000FF, 0xFF00FF00, 0xFF00FFFF,
    0xFFFF0000, 0xFFFF00FF, 0xFFFFFF00, 0xFFFFFFFF,
};

#define VGA_DOT_CLOCK_25 25175000u
#define VGA_DOT_CLOCK_28 28322000u

/* --- setup ---------------------------------------------------------------- */

int vga_init(struct vga *v, uint8_t *vram, uint32_t vram_size)
{
    memset(v, 0, sizeof *v);
    v->planes = calloc(VGA_PLANE_SIZE, 4);
    if (!v->planes)
        return -1;
    v->vram = vram;
    v->vram_size = vram_size;
    vga_reset(v);
    return 0;
}

void vga_free(struct vga *v)
{
    free(v->planes);
    free(v->pixels);
    free(v->lfb_shadow);
    v->planes = NULL;
    v->pixels = NULL;
    v->lfb_shadow = NULL;
}

void vga_reset(struct vga *v)
{
    v->misc_output = 0;
    v->feature_control = 0;
    v->subsystem_enable = 1;
    v->seq_index = v->gc_index = v->crtc_index = v->atc_index = 0;
    memset(v->seq, 0, sizeof v->seq);
    memset(v->gc, 0, sizeof v->gc);
    memset(v->crtc, 0, sizeof v->crtc);
    memset(v->atc, 0, sizeof v->atc);
    v->atc_data_next = false;
    v->pel_mask = 0xFF;
    v->dac_read_index = v->dac_write_index = 0;
    v->dac_component = 0;
    v->dac_reading = 0;
    memset(v->dac, 0, sizeof v->dac);
    v->latch = 0;
    memset(v->planes, 0, (size_t)VGA_PLANE_SIZE * 4);
    bochs_dispi_reset(v);
    v->dirty = true;
    v->palette_dirty = true;
    v->lfb_full = true;
    v->last_blink_phase = -1;
    v->font_snapshot_height = 0;
}

/* --- registers -------------------------------------------------------------- */

static bool vga_colour_ports(const struct vga *v)
{
    return v->misc_output & 0x01;
}

/* Ports 0x3B4/0x3B5/0x3BA answer in mono mapping, 0x3D4/0x3D5/0x3DA in
 * colour mapping; the other triple is not decoded. */
static bool vga_port_decoded(const struct vga *v, uint16_t port)
{
    if (port >= 0x3B0 && port <= 0x3BF)
        return !vga_colour_ports(v);
    if (port >= 0x3D0 && port <= 0x3DF)
        return vga_colour_ports(v);
    return true;
}

static void vga_crtc_write(struct vga *v, uint8_t value)
{
    uint8_t i = v->crtc_index;
    if (i >= CRTC_REG_COUNT)
        return;
    /* CR11 bit 7 write-protects CR00-CR07, except CR07 bit 4 (line compare bit 8). */
    if ((v->crtc[CRTC_VRETRACE_END] & 0x80) && i <= CRTC_OVERFLOW) {
        if (i != CRTC_OVERFLOW)
            return;
        value = (uint8_t)((v->crtc[i] & ~0x10) | (value & 0x10));
    }
    if (v->crtc[i] != value)
        v->dirty = true;
    v->crtc[i] = value;
}

static void vga_snapshot_font(struct vga *v, int cell_h);

void vga_capture_text_font(struct vga *v)
{
    if (!vga_in_text_mode(v))
        return;
    uint8_t previous[256 * 32];
    int previous_height = v->font_snapshot_height;
    memcpy(previous, v->font_snapshot, sizeof previous);
    vga_snapshot_font(v, (v->crtc[CRTC_MAX_SCAN] & 0x1F) + 1);
    /* An empty plane 2 (power-on) must not replace a font seen earlier. */
    for (size_t i = 0; i < sizeof previous; i++)
        if (v->font_snapshot[i])
            return;
    memcpy(v->font_snapshot, previous, sizeof previous);
    v->font_snapshot_height = previous_height;
}

static void vga_atc_write(struct vga *v, uint8_t value)
{
    if (!v->atc_data_next) {
        if ((value ^ v->atc_index) & ATC_INDEX_PAS)
            v->dirty = true;
        v->atc_index = value & 0x3F;
        v->atc_data_next = true;
        return;
    }
    v->atc_data_next = false;
    uint8_t i = v->atc_index & 0x1F;
    if (i >= ATC_REG_COUNT)
        return;
    value &= vga_atc_mask[i];
    if (v->atc[i] != value)
        v->dirty = true;
    /* Leaving text mode: keep the font for reading graphics screens. */
    if (i == ATC_MODE && (value & 0x01) && !(v->atc[i] & 0x01))
        vga_capture_text_font(v);
    v->atc[i] = value;
}

static void vga_dac_data_write(struct vga *v, uint8_t value)
{
    v->dac_pending[v->dac_component++] = value;
    if (v->dac_component < 3)
        return;
    memcpy(v->dac[v->dac_write_index], v->dac_pending, 3);
    v->dac_write_index++;
    v->dac_component = 0;
    v->palette_dirty = true;
}

/* With the 8-bit DAC off (VGA default) only six bits per component exist. */
static uint8_t vga_dac_component_mask(const struct vga *v)
{
    return (v->dispi[DISPI_INDEX_ENABLE] & DISPI_8BIT_DAC) ? 0xFF : 0x3F;
}

static uint8_t vga_dac_data_read(struct vga *v)
{
    uint8_t value = v->dac[v->dac_read_index][v->dac_component] & vga_dac_component_mask(v);
    if (++v->dac_component == 3) {
        v->dac_component = 0;
        v->dac_read_index++;
    }
    return value;
}

void vga_port_write(struct vga *v, uint16_t port, uint8_t value)
{
    v->stat_io++;
    if (!vga_port_decoded(v, port))
        return;
    switch (port) {
    case 0x3C0:
        vga_atc_write(v, value);
        break;
    case 0x3C2:
        v->misc_output = value;
        v->dirty = true;
        break;
    case 0x3C3:
        v->subsystem_enable = value & 0x01;
        break;
    case 0x3C4:
        v->seq_index = value & 0x07;
        break;
    case 0x3C5:
        v->seq[v->seq_index] = value & vga_seq_mask[v->seq_index];
        v->dirty = true;
        break;
    case 0x3C6:
        v->pel_mask = value;
        v->palette_dirty = true;
        break;
    case 0x3C7:
        v->dac_read_index = value;
        v->dac_component = 0;
        v->dac_reading = 3;
        break;
    case 0x3C8:
        v->dac_write_index = value;
        v->dac_component = 0;
        v->dac_reading = 0;
        break;
    case 0x3C9:
        vga_dac_data_write(v, value);
        break;
    case 0x3CE:
        v->gc_index = value & 0x0F;
        break;
    case 0x3CF:
        v->gc[v->gc_index] = value & vga_gc_mask[v->gc_index];
        v->dirty = true;
        break;
    case 0x3B4:
    case 0x3D4:
        v->crtc_index = value & 0x3F;
        break;
    case 0x3B5:
    case 0x3D5:
        vga_crtc_write(v, value);
        break;
    case 0x3BA:
    case 0x3DA:
        v->feature_control = value & 0x03;
        break;
    default:
        break;
    }
}

uint8_t vga_port_read(struct vga *v, uint16_t port, sim_time_t now)
{
    v->stat_io++;
    if (!vga_port_decoded(v, port))
        return 0xFF;
    switch (port) {
    case 0x3C0:
        return v->atc_index;
    case 0x3C1:
        return (v->atc_index & 0x1F) < ATC_REG_COUNT ? v->atc[v->atc_index & 0x1F] : 0;
    case 0x3C2:
        return 0x00; /* input status 0: no switch sense, no CRT interrupt */
    case 0x3C3:
        return v->subsystem_enable;
    case 0x3C4:
        return v->seq_index;
    case 0x3C5:
        return v->seq[v->seq_index];
    case 0x3C6:
        return v->pel_mask;
    case 0x3C7:
        return v->dac_reading;
    case 0x3C8:
        return v->dac_write_index;
    case 0x3C9:
        return vga_dac_data_read(v);
    case 0x3CA:
        return v->feature_control;
    case 0x3CC:
        return v->misc_output;
    case 0x3CE:
        return v->gc_index;
    case 0x3CF:
        return v->gc[v->gc_index];
    case 0x3B4:
    case 0x3D4:
        return v->crtc_index;
    case 0x3B5:
    case 0x3D5:
        return v->crtc_index < CRTC_REG_COUNT ? v->crtc[v->crtc_index] : 0;
    case 0x3BA:
    case 0x3DA:
        /* Reading input status 1 resets the attribute flip-flop to "index". */
        v->atc_data_next = false;
        return vga_input_status1(v, now);
    default:
        return 0xFF;
    }
}

/* --- CRT timing ------------------------------------------------------------- */

static uint32_t vga_vdisplay_lines(const struct vga *v)
{
    const uint8_t *cr = v->crtc;
    return (uint32_t)(cr[CRTC_VDISPLAY_END] | (cr[CRTC_OVERFLOW] & 0x02) << 7 |
                      (cr[CRTC_OVERFLOW] & 0x40) << 3) + 1;
}

static uint32_t vga_line_compare(const struct vga *v)
{
    const uint8_t *cr = v->crtc;
    return (uint32_t)(cr[CRTC_LINE_COMPARE] | (cr[CRTC_OVERFLOW] & 0x10) << 4 |
                      (cr[CRTC_MAX_SCAN] & 0x40) << 3);
}

void vga_get_timing(const struct vga *v, struct vga_timing *t)
{
    const uint8_t *cr = v->crtc;
    t->dot_hz = ((v->misc_output >> 2) & 3) == 1 ? VGA_DOT_CLOCK_28 : VGA_DOT_CLOCK_25;
    t->dots_per_char = (v->seq[SEQ_CLOCKING] & 0x01) ? 8 : 9;
    if (v->seq[SEQ_CLOCKING] & 0x08)
        t->dots_per_char *= 2;
    t->htotal_chars = cr[CRTC_HTOTAL] + 5u;
    t->hdisplay_chars = cr[CRTC_HDISPLAY_END] + 1u;
    t->vtotal_lines = (uint32_t)(cr[CRTC_VTOTAL] | (cr[CRTC_OVERFLOW] & 0x01) << 8 |
                                 (cr[CRTC_OVERFLOW] & 0x20) << 4) + 2;
    t->vdisplay_lines = vga_vdisplay_lines(v);
    t->vretrace_start = (uint32_t)(cr[CRTC_VRETRACE_START] | (cr[CRTC_OVERFLOW] & 0x04) << 6 |
                                   (cr[CRTC_OVERFLOW] & 0x80) << 2);
    /* The end register holds the low four bits of the line after retrace. */
    uint32_t lines = ((cr[CRTC_VRETRACE_END] & 0x0F) - t->vretrace_start) & 0x0F;
    t->vretrace_lines = lines ? lines : 16;
}

static uint64_t vga_frame_dots(const struct vga_timing *t)
{
    return (uint64_t)t->htotal_chars * t->dots_per_char * t->vtotal_lines;
}

/* Dots elapsed since power-on at time `now` (the CRTC is free-running). */
static uint64_t vga_dots_at(const struct vga_timing *t, sim_time_t now)
{
    return (uint64_t)((unsigned __int128)now * t->dot_hz / 1000000000000ull);
}

uint8_t vga_input_status1(const struct vga *v, sim_time_t now)
{
    struct vga_timing t;
    vga_get_timing(v, &t);
    uint64_t line_dots = (uint64_t)t.htotal_chars * t.dots_per_char;
    uint64_t pos = vga_dots_at(&t, now) % vga_frame_dots(&t);
    uint32_t line = (uint32_t)(pos / line_dots);
    uint64_t x = pos % line_dots;
    uint8_t status = 0;
    if (line >= t.vdisplay_lines || x >= (uint64_t)t.hdisplay_chars * t.dots_per_char)
        status |= 0x01;
    if ((line + t.vtotal_lines - t.vretrace_start % t.vtotal_lines) % t.vtotal_lines <
        t.vretrace_lines)
        status |= 0x08;
    return status;
}

uint32_t vga_refresh_mhz(const struct vga *v)
{
    struct vga_timing t;
    vga_get_timing(v, &t);
    uint64_t dots = vga_frame_dots(&t);
    return dots ? (uint32_t)(t.dot_hz * 1000 / dots) : 0;
}

/* --- video memory ------------------------------------------------------------- */

/* Maps a window offset to the selected memory map; false if outside it. */
static bool vga_window_offset(const struct vga *v, uint32_t offset, uint32_t *out)
{
    if (!(v->misc_output & 0x02))
        return false; /* RAM enable off: the VGA does not answer */
    switch ((v->gc[GC_MISC] >> 2) & 3) {
    case 0:
        *out = offset;
        return offset < 0x20000;
    case 1:
        *out = offset;
        return offset < 0x10000;
    case 2:
        *out = offset - 0x10000;
        return offset >= 0x10000 && offset < 0x18000;
    default:
        *out = offset - 0x18000;
        return offset >= 0x18000 && offset < 0x20000;
    }
}

/* In legacy modes the planes are 64 KiB; a planar DISPI mode reaches
 * further through its bank register. */
static uint32_t vga_plane_offset_mask(const struct vga *v)
{
    return bochs_dispi_enabled(v) ? VGA_PLANE_SIZE - 1 : VGA_LEGACY_PLANE_MASK;
}

static uint32_t vga_load_latch(const struct vga *v, uint32_t poff)
{
    const uint8_t *p = v->planes + (size_t)poff * 4;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t vga_read_colour_compare(const struct vga *v)
{
    uint8_t result = 0xFF;
    uint8_t care = v->gc[GC_DONT_CARE] & 0x0F;
    uint8_t colour = v->gc[GC_COLOR_COMPARE];
    for (int p = 0; p < 4; p++) {
        if (!(care & (1 << p)))
            continue;
        uint8_t plane = (uint8_t)(v->latch >> (8 * p));
        result &= (colour & (1 << p)) ? plane : (uint8_t)~plane;
    }
    return result;
}

uint8_t vga_mem_read(struct vga *v, uint32_t offset)
{
    uint32_t off;
    v->stat_mem_reads++;
    if (!vga_window_offset(v, offset, &off))
        return 0xFF;
    if (bochs_dispi_banked(v)) {
        uint32_t a = bochs_dispi_bank_offset(v) + off;
        return off < 0x10000 && a < v->vram_size ? v->vram[a] : 0xFF;
    }
    uint32_t mask = vga_plane_offset_mask(v);
    if (bochs_dispi_enabled(v))
        off = (bochs_dispi_bank_offset(v) + (off & 0xFFFF)) & mask;
    uint32_t poff;
    unsigned plane;
    if (v->seq[SEQ_MEMORY_MODE] & 0x08) {
        plane = off & 3;
        poff = (off & ~3u) & mask;
    } else if (v->gc[GC_MODE] & 0x10) {
        plane = (v->gc[GC_READ_MAP] & 2) | (off & 1);
        poff = (off & ~1u) & mask;
    } else {
        plane = v->gc[GC_READ_MAP] & 3;
        poff = off & mask;
    }
    v->latch = vga_load_latch(v, poff);
    if ((v->gc[GC_MODE] & 0x08) && !(v->seq[SEQ_MEMORY_MODE] & 0x08))
        return vga_read_colour_compare(v);
    return (uint8_t)(v->latch >> (8 * plane));
}

static uint8_t vga_rotate(uint8_t value, unsigned count)
{
    count &= 7;
    return (uint8_t)((value >> count) | (value << ((8 - count) & 7)));
}

/* The write path of the graphics controller (write modes 0-3, set/reset,
 * logical function, bit mask) and the sequencer map mask. */
static void vga_write_planar(struct vga *v, uint32_t poff, uint8_t value, unsigned plane_mask)
{
    const uint8_t *gc = v->gc;
    uint32_t data;
    uint8_t bit_mask = gc[GC_BIT_MASK];
    switch (gc[GC_MODE] & 3) {
    case 0: {
        uint8_t rotated = vga_rotate(value, gc[GC_ROTATE]);
        uint32_t esr = vga_plane_bytes[gc[GC_ENABLE_SET_RESET] & 0x0F];
        data = (rotated * 0x01010101u & ~esr) | (vga_plane_bytes[gc[GC_SET_RESET] & 0x0F] & esr);
        break;
    }
    case 1:
        data = v->latch;
        bit_mask = 0xFF;
        break;
    case 2:
        data = vga_plane_bytes[value & 0x0F];
        break;
    default:
        bit_mask &= vga_rotate(value, gc[GC_ROTATE]);
        data = vga_plane_bytes[gc[GC_SET_RESET] & 0x0F];
        break;
    }
    if ((gc[GC_MODE] & 3) != 1) {
        switch ((gc[GC_ROTATE] >> 3) & 3) {
        case 1:
            data &= v->latch;
            break;
        case 2:
            data |= v->latch;
            break;
        case 3:
            data ^= v->latch;
            break;
        default:
            break;
        }
    }
    uint32_t bits = bit_mask * 0x01010101u;
    data = (data & bits) | (v->latch & ~bits);
    uint8_t *p = v->planes + (size_t)poff * 4;
    for (unsigned plane = 0; plane < 4; plane++)
        if (plane_mask & (1u << plane))
            p[plane] = (uint8_t)(data >> (8 * plane));
}

void vga_mem_write(struct vga *v, uint32_t offset, uint8_t value)
{
    uint32_t off;
    v->stat_mem_writes++;
    if (!vga_window_offset(v, offset, &off))
        return;
    v->dirty = true;
    if (bochs_dispi_banked(v)) {
        uint32_t a = bochs_dispi_bank_offset(v) + off;
        if (off < 0x10000 && a < v->vram_size)
            v->vram[a] = value;
        return;
    }
    uint32_t mask = vga_plane_offset_mask(v);
    if (bochs_dispi_enabled(v))
        off = (bochs_dispi_bank_offset(v) + (off & 0xFFFF)) & mask;
    unsigned map_mask = v->seq[SEQ_MAP_MASK] & 0x0F;
    if (v->seq[SEQ_MEMORY_MODE] & 0x08) {
        /* Chain 4: the low two address bits pick the plane; no write logic. */
        unsigned plane = off & 3;
        if (map_mask & (1u << plane))
            v->planes[(size_t)((off & ~3u) & mask) * 4 + plane] = value;
        return;
    }
    if (!(v->seq[SEQ_MEMORY_MODE] & 0x04)) {
        /* Odd/even: even addresses reach planes 0 and 2, odd ones 1 and 3. */
        map_mask &= (off & 1) ? 0x0A : 0x05;
        off &= ~1u;
    }
    vga_write_planar(v, off & mask, value, map_mask);
}

/* --- rendering helpers ------------------------------------------------------------ */

bool vga_surface_resize(struct vga *v, int width, int height)
{
    size_t need = (size_t)width * (size_t)height;
    if (need > v->pixels_cap) {
        uint32_t *p = realloc(v->pixels, need * sizeof *p);
        if (!p) {
            width = height = 0;
        } else {
            v->pixels = p;
            v->pixels_cap = need;
        }
    }
    v->surface.pixels = v->pixels;
    v->surface.width = width;
    v->surface.height = height;
    v->surface.stride = width;
    return width > 0 && height > 0;
}

void vga_refresh_palette(struct vga *v)
{
    bool wide = v->dispi[DISPI_INDEX_ENABLE] & DISPI_8BIT_DAC;
    for (int i = 0; i < 256; i++) {
        uint32_t rgb = 0;
        for (int c = 0; c < 3; c++) {
            uint32_t x = v->dac[i][c];
            /* 6-bit components scale to 8 bits so 63 is full intensity. */
            x = wide ? x : ((x & 0x3F) << 2 | (x & 0x3F) >> 4);
            rgb = rgb << 8 | x;
        }
        v->dac_rgb[i] = rgb;
    }
    v->palette_dirty = false;
}

/* Attribute controller colour path: plane enable, palette, colour select,
 * then the DAC through the pel mask. */
uint32_t vga_attr_rgb(const struct vga *v, unsigned index)
{
    const uint8_t *atc = v->atc;
    index &= atc[ATC_PLANE_ENABLE] & 0x0F;
    unsigned p = atc[index] & 0x3F;
    if (atc[ATC_MODE] & 0x80)
        p = (p & 0x0F) | (atc[ATC_COLOR_SELECT] & 0x03) << 4;
    p |= (atc[ATC_COLOR_SELECT] & 0x0C) << 4;
    return v->dac_rgb[p & v->pel_mask];
}

/* CRTC memory address counter -> plane offset: byte, word or doubleword
 * addressing (CR17 bit 6, CR14 bit 6); in word mode MA13 or MA15 becomes
 * bit 0 (CR17 bit 5). */
static uint32_t vga_crtc_address(const struct vga *v, uint32_t counter)
{
    counter &= 0xFFFF;
    if (v->crtc[CRTC_UNDERLINE] & 0x40)
        return (counter << 2) & 0xFFFF;
    if (!(v->crtc[CRTC_MODE] & 0x40)) {
        unsigned wrap_bit = (v->crtc[CRTC_MODE] & 0x20) ? 15 : 13;
        return ((counter << 1) | ((counter >> wrap_bit) & 1)) & 0xFFFF;
    }
    return counter;
}

/* 16-colour planar: eight pixels per byte of each plane, plane p giving
 * bit p of the colour index. Used by legacy modes and 4-bpp DISPI modes. */
void vga_render_planar_line(struct vga *v, uint32_t *dst, uint32_t plane_offset,
                            uint32_t plane_mask, int bytes)
{
    uint32_t rgb[16];
    for (unsigned i = 0; i < 16; i++)
        rgb[i] = vga_attr_rgb(v, i);
    for (int b = 0; b < bytes; b++) {
        const uint8_t *p = v->planes + (size_t)((plane_offset + b) & plane_mask) * 4;
        for (int bit = 7; bit >= 0; bit--) {
            unsigned idx = ((p[0] >> bit) & 1) | ((p[1] >> bit) & 1) << 1 |
                           ((p[2] >> bit) & 1) << 2 | ((p[3] >> bit) & 1) << 3;
            *dst++ = rgb[idx];
        }
    }
}

/* Blink phase from the frame count: the cursor toggles every 8 frames, the
 * blink attribute every 16 (IBM VGA: 1/16 and 1/32 of the vertical rate).
 * Bit 0 set = cursor off, bit 1 set = blinking characters off. */
static int vga_blink_phase(const struct vga *v, sim_time_t now)
{
    struct vga_timing t;
    vga_get_timing(v, &t);
    uint64_t frames = vga_dots_at(&t, now) / vga_frame_dots(&t);
    return (int)((frames >> 3) & 3);
}

bool vga_in_text_mode(const struct vga *v)
{
    return !bochs_dispi_enabled(v) && !(v->atc[ATC_MODE] & 0x01);
}

struct vga_text_geometry {
    int cols, cell_w, cell_h, hscale, double_scan;
    int rows;      /* character rows displayed (partial last row counts) */
    int lines;     /* output scan lines */
    uint32_t start, stride;
};

static bool vga_text_geometry(const struct vga *v, struct vga_text_geometry *g)
{
    g->cols = v->crtc[CRTC_HDISPLAY_END] + 1;
    g->cell_w = (v->seq[SEQ_CLOCKING] & 0x01) ? 8 : 9;
    g->hscale = (v->seq[SEQ_CLOCKING] & 0x08) ? 2 : 1;
    g->cell_h = (v->crtc[CRTC_MAX_SCAN] & 0x1F) + 1;
    g->double_scan = v->crtc[CRTC_MAX_SCAN] >> 7;
    g->lines = (int)(vga_vdisplay_lines(v) >> g->double_scan);
    g->rows = (g->lines + g->cell_h - 1) / g->cell_h;
    g->start = (uint32_t)v->crtc[CRTC_START_HI] << 8 | v->crtc[CRTC_START_LO];
    g->stride = v->crtc[CRTC_OFFSET] * 2u;
    return g->cols * g->cell_w * g->hscale <= VGA_MAX_WIDTH && g->lines <= VGA_MAX_HEIGHT;
}

static uint32_t vga_font_base(unsigned map)
{
    /* Maps 0-3 start at 0, 16, 32, 48 KiB; maps 4-7 at 8, 24, 40, 56 KiB. */
    return (map & 3) * 0x4000u + (map >> 2) * 0x2000u;
}

static void vga_font_maps(const struct vga *v, uint32_t *map_a, uint32_t *map_b)
{
    uint8_t sr3 = v->seq[SEQ_CHAR_MAP];
    *map_a = vga_font_base(((sr3 >> 3) & 4) | ((sr3 >> 2) & 3));
    *map_b = vga_font_base(((sr3 >> 2) & 4) | (sr3 & 3));
}

static void vga_snapshot_font(struct vga *v, int cell_h)
{
    uint32_t map_a, map_b;
    vga_font_maps(v, &map_a, &map_b);
    for (unsigned i = 0; i < 256 * 32; i++)
        v->font_snapshot[i] = v->planes[(size_t)((map_a + i) & VGA_LEGACY_PLANE_MASK) * 4 + 2];
    v->font_snapshot_height = cell_h;
}

/* Draws one character cell row: `bits` MSB first, plus the ninth dot. */
static uint32_t *vga_draw_cell(uint32_t *dst, unsigned bits, bool ninth, const struct vga_text_geometry *g,
                               uint32_t fg, uint32_t bg)
{
    for (int x = 0; x < g->cell_w; x++) {
        bool on = x < 8 ? (bits >> (7 - x)) & 1 : ninth;
        uint32_t c = on ? fg : bg;
        for (int s = 0; s < g->hscale; s++)
            *dst++ = c;
    }
    return dst;
}

static void vga_render_text(struct vga *v, int phase)
{
    struct vga_text_geometry g;
    if (!vga_text_geometry(v, &g) ||
        !vga_surface_resize(v, g.cols * g.cell_w * g.hscale, g.lines))
        return;
    vga_capture_text_font(v);
    uint32_t rgb[16];
    for (unsigned i = 0; i < 16; i++)
        rgb[i] = vga_attr_rgb(v, i);
    uint32_t map_a, map_b;
    vga_font_maps(v, &map_a, &map_b);
    const uint8_t *cr = v->crtc;
    uint32_t cursor = (uint32_t)cr[CRTC_CURSOR_HI] << 8 | cr[CRTC_CURSOR_LO];
    int cursor_start = cr[CRTC_CURSOR_START] & 0x1F, cursor_end = cr[CRTC_CURSOR_END] & 0x1F;
    bool cursor_on = !(cr[CRTC_CURSOR_START] & 0x20) && !(phase & 1);
    bool blink = v->atc[ATC_MODE] & 0x08, blink_off = phase & 2;
    bool line_graphics = v->atc[ATC_MODE] & 0x04;
    bool mono = v->atc[ATC_MODE] & 0x02;
    int underline = cr[CRTC_UNDERLINE] & 0x1F;
    uint32_t lc = vga_line_compare(v);

    for (int y = 0; y < g.lines; y++) {
        uint32_t phys = (uint32_t)y << g.double_scan, start = g.start;
        int line = y;
        if (phys > lc) {
            /* Line compare: the screen below restarts at address 0. */
            line = (int)((phys - lc - 1) >> g.double_scan);
            start = 0;
        }
        int row = line / g.cell_h, rs = line % g.cell_h;
        uint32_t counter = start + (uint32_t)row * g.stride;
        uint32_t *dst = v->pixels + (size_t)y * v->surface.stride;
        for (int col = 0; col < g.cols; col++, counter++) {
            uint32_t a = vga_crtc_address(v, counter);
            uint8_t ch = v->planes[(size_t)a * 4], attr = v->planes[(size_t)a * 4 + 1];
            unsigned fg = attr & 0x0F, bg = attr >> 4;
            uint32_t font = (attr & 0x08) ? map_b : map_a;
            unsigned bits = v->planes[(size_t)((font + ch * 32u + (unsigned)rs) & 0xFFFF) * 4 + 2];
            if (blink) {
                bg &= 7;
                if ((attr & 0x80) && blink_off)
                    bits = 0;
            }
            if (mono && (attr & 0x77) == 0x01 && rs == underline)
                bits = 0xFF;
            bool ninth = line_graphics && ch >= 0xC0 && ch <= 0xDF && (bits & 1);
            if (cursor_on && (counter & 0xFFFF) == cursor && rs >= cursor_start &&
                rs <= cursor_end) {
                bits = 0xFF;
                ninth = true;
            }
            dst = vga_draw_cell(dst, bits, ninth, &g, rgb[fg], rgb[bg]);
        }
    }
}

/* One scan line of a graphics mode from plane offset `a` per character. */
static void vga_render_graphics_line(struct vga *v, uint32_t *dst, uint32_t counter, int cols,
                                     int rs, const uint32_t rgb[16])
{
    bool shift256 = v->gc[GC_MODE] & 0x40, interleave = v->gc[GC_MODE] & 0x20;
    uint8_t cga = v->crtc[CRTC_MODE] & 3;
    for (int col = 0; col < cols; col++, counter++) {
        uint32_t a = vga_crtc_address(v, counter);
        /* CGA compatibility: row scan bits 0/1 replace MA13/MA14. */
        if (!(cga & 1))
            a = (a & ~0x2000u) | ((uint32_t)rs & 1) << 13;
        if (!(cga & 2))
            a = (a & ~0x4000u) | ((uint32_t)rs & 2) << 13;
        const uint8_t *p = v->planes + (size_t)a * 4;
        if (shift256) {
            for (int i = 0; i < 4; i++)
                *dst++ = v->dac_rgb[p[i] & v->pel_mask];
        } else if (interleave) {
            /* Plane 0 then plane 1 shift out 2-bit pixels; 2/3 give bits 2-3. */
            for (int half = 0; half < 2; half++)
                for (int shift = 6; shift >= 0; shift -= 2) {
                    unsigned idx = ((p[half] >> shift) & 3) | ((p[half + 2] >> shift) & 3) << 2;
                    *dst++ = rgb[idx];
                }
        } else {
            for (int bit = 7; bit >= 0; bit--) {
                unsigned idx = ((p[0] >> bit) & 1) | ((p[1] >> bit) & 1) << 1 |
                               ((p[2] >> bit) & 1) << 2 | ((p[3] >> bit) & 1) << 3;
                *dst++ = rgb[idx];
            }
        }
    }
}

static void vga_render_graphics(struct vga *v)
{
    int cols = v->crtc[CRTC_HDISPLAY_END] + 1;
    int cell_h = (v->crtc[CRTC_MAX_SCAN] & 0x1F) + 1;
    int ds = v->crtc[CRTC_MAX_SCAN] >> 7;
    bool cga = (v->crtc[CRTC_MODE] & 3) != 3;
    /* Scan lines that repeat one memory row collapse into one output row,
     * unless CGA compatibility fetches each of them from a different bank. */
    int vscale = (1 << ds) * (cga ? 1 : cell_h);
    int width = (v->gc[GC_MODE] & 0x40) ? cols * 4 : cols * 8;
    int height = (int)(vga_vdisplay_lines(v) / (uint32_t)vscale);
    if (width > VGA_MAX_WIDTH || height > VGA_MAX_HEIGHT || !vga_surface_resize(v, width, height))
        return;
    uint32_t rgb[16];
    for (unsigned i = 0; i < 16; i++)
        rgb[i] = vga_attr_rgb(v, i);
    uint32_t start_addr = (uint32_t)v->crtc[CRTC_START_HI] << 8 | v->crtc[CRTC_START_LO];
    uint32_t stride = v->crtc[CRTC_OFFSET] * 2u, lc = vga_line_compare(v);
    for (int y = 0; y < height; y++) {
        uint32_t phys = (uint32_t)(y * vscale), start = start_addr;
        uint32_t line = phys >> ds;
        if (phys > lc) {
            line = (phys - lc - 1) >> ds;
            start = 0;
        }
        uint32_t counter = start + (line / (uint32_t)cell_h) * stride;
        vga_render_graphics_line(v, v->pixels + (size_t)y * v->surface.stride, counter, cols,
                                 (int)(line % (uint32_t)cell_h), rgb);
    }
}

/* Blank when the attribute controller has the palette address source
 * cleared (palette being loaded) or the sequencer turned the screen off. */
static bool vga_blanked(const struct vga *v)
{
    return !(v->atc_index & ATC_INDEX_PAS) || (v->seq[SEQ_CLOCKING] & 0x20);
}

const struct display_surface *vga_update(struct vga *v, sim_time_t now)
{
    if (v->palette_dirty) {
        vga_refresh_palette(v);
        v->dirty = true;
        v->lfb_full = true;
    }
    if (bochs_dispi_enabled(v)) {
        if (bochs_dispi_render(v)) {
            v->surface.frame++;
            v->stat_frames++;
        }
        v->dirty = false;
        return &v->surface;
    }
    v->lfb_full = true;
    bool text = vga_in_text_mode(v) && !vga_blanked(v);
    int phase = text ? vga_blink_phase(v, now) : 0;
    if (phase != v->last_blink_phase)
        v->dirty = true;
    if (!v->dirty)
        return &v->surface;
    v->dirty = false;
    v->last_blink_phase = phase;
    vga_surface_resize(v, 0, 0);
    if (text)
        vga_render_text(v, phase);
    else if (!vga_blanked(v))
        vga_render_graphics(v);
    v->surface.frame++;
    v->stat_frames++;
    return &v->surface;
}

size_t vga_text(struct vga *v, char *buf, size_t len)
{
    struct vga_text_geometry g;
    if (len)
        buf[0] = '\0';
    if (!vga_in_text_mode(v) || !vga_text_geometry(v, &g) || !len)
        return 0;
    int rows = g.lines / g.cell_h;
    size_t n = 0;
    for (int row = 0; row < rows; row++) {
        if (row > 0) {
            if (n + 1 >= len)
                break;
            buf[n++] = '\n';
        }
        uint32_t counter = g.start + (uint32_t)row * g.stride;
        for (int col = 0; col < g.cols; col++, counter++) {
            char utf8[4];
            uint8_t ch = v->planes[(size_t)vga_crtc_address(v, counter) * 4];
            size_t k = cp437_to_utf8(ch, utf8);
            if (n + k >= len) {
                buf[n] = '\0';
                return n;
            }
            memcpy(buf + n, utf8, k);
            n += k;
        }
    }
    buf[n] = '\0';
    return n;
}

int vga_font_glyphs(struct vga *v, uint8_t out[256 * 32])
{
    if (!vga_blanked(v))
        vga_capture_text_font(v);
    if (!v->font_snapshot_height)
        return 0;
    memcpy(out, v->font_snapshot, sizeof v->font_snapshot);
    return v->font_snapshot_height;
}
