/* vga.h: the VGA core (IBM VGA registers, planar memory, CRT timing,
 * rendering) and the Bochs DISPI extension, shared by the stdvga device.
 *
 * The core knows nothing of buses or the simulator: the device model
 * (stdvga.c) decodes ports and the 0xA0000 window and passes the current
 * time in, so tests can drive it directly.
 *
 * Memory layout. The four 64 KiB VGA planes live in `planes`, interleaved:
 * plane p of plane offset o is planes[o * 4 + p], so one offset's four
 * planes (what the latches hold) are adjacent. The Bochs linear framebuffer
 * (`vram`, 16 MiB by default) is separate; the 64 KiB window at 0xA0000
 * shows a bank of it while a DISPI mode of 8 bpp or more is enabled. */
#ifndef CW_VGA_H
#define CW_VGA_H

#include "kernel/iface.h"
#include "kernel/types.h"

/* Planes are 64 KiB each on the IBM VGA; 4-bpp DISPI modes address up to
 * 256 KiB per plane through the bank register, as Bochs and QEMU allow. */
#define VGA_PLANE_SIZE 0x40000u
#define VGA_LEGACY_PLANE_MASK 0xFFFFu

/* Bochs DISPI register indexes (port 0x1CE selects, 0x1CF reads/writes). */
enum {
    DISPI_INDEX_ID = 0,
    DISPI_INDEX_XRES = 1,
    DISPI_INDEX_YRES = 2,
    DISPI_INDEX_BPP = 3,
    DISPI_INDEX_ENABLE = 4,
    DISPI_INDEX_BANK = 5,
    DISPI_INDEX_VIRT_WIDTH = 6,
    DISPI_INDEX_VIRT_HEIGHT = 7,
    DISPI_INDEX_X_OFFSET = 8,
    DISPI_INDEX_Y_OFFSET = 9,
    DISPI_INDEX_VIDEO_MEMORY_64K = 10,
    DISPI_INDEX_COUNT = 11,
};

#define DISPI_ID0 0xB0C0
#define DISPI_ID5 0xB0C5
#define DISPI_ENABLED 0x01
#define DISPI_GETCAPS 0x02
#define DISPI_8BIT_DAC 0x20
#define DISPI_LFB_ENABLED 0x40
#define DISPI_NOCLEARMEM 0x80
#define DISPI_MAX_XRES 2560
#define DISPI_MAX_YRES 1600
#define DISPI_MAX_BPP 32

/* Limits of a legacy-mode surface; larger CRTC settings blank the screen. */
#define VGA_MAX_WIDTH 2048
#define VGA_MAX_HEIGHT 2048

struct vga {
    /* general registers */
    uint8_t misc_output;      /* 0x3C2 write, 0x3CC read */
    uint8_t feature_control;  /* 0x3BA/0x3DA write, 0x3CA read */
    uint8_t subsystem_enable; /* 0x3C3 */
    /* sequencer */
    uint8_t seq_index;        /* 0x3C4 */
    uint8_t seq[8];           /* 0x3C5 */
    /* graphics controller */
    uint8_t gc_index;         /* 0x3CE */
    uint8_t gc[16];           /* 0x3CF */
    /* CRT controller */
    uint8_t crtc_index;       /* 0x3B4/0x3D4 */
    uint8_t crtc[64];         /* 0x3B5/0x3D5 (0x00-0x18 implemented) */
    /* attribute controller */
    uint8_t atc_index;        /* 0x3C0 index, bit 5 = palette address source */
    bool atc_data_next;       /* flip-flop: next 0x3C0 write is data */
    uint8_t atc[32];          /* 0x3C1 read */
    /* DAC */
    uint8_t pel_mask;         /* 0x3C6 */
    uint8_t dac_read_index;   /* 0x3C7 write */
    uint8_t dac_write_index;  /* 0x3C8 */
    uint8_t dac_component;    /* 0..2 within the current entry */
    uint8_t dac_reading;      /* DAC state (0x3C7 read): 3 after a read index */
    uint8_t dac_pending[3];   /* colour being written */
    uint8_t dac[256][3];      /* 0x3C9 */
    /* memory */
    uint32_t latch;           /* plane p in bits 8p..8p+7 */
    uint8_t *planes;          /* VGA_PLANE_SIZE * 4, interleaved */
    uint8_t *vram;            /* linear framebuffer (borrowed) */
    uint32_t vram_size;
    /* Bochs DISPI */
    uint16_t dispi_index;
    uint16_t dispi[DISPI_INDEX_COUNT];

    /* rendering state */
    uint32_t *pixels;
    size_t pixels_cap;        /* in pixels */
    struct display_surface surface;
    bool dirty;               /* guest state changed since the last render */
    bool palette_dirty;       /* DAC or DAC width changed */
    uint32_t dac_rgb[256];    /* DAC entries as 0x00RRGGBB */
    int last_blink_phase;     /* cursor/character blink phase of the last render */
    uint8_t *lfb_shadow;      /* copy of the displayed LFB bytes */
    size_t lfb_shadow_cap;
    bool lfb_full;            /* next LFB render must convert every row */
    /* Font seen in the last text mode (plane 2, map A). */
    uint8_t font_snapshot[256 * 32];
    int font_snapshot_height; /* 0 until a text mode has been rendered */

    /* statistics */
    uint64_t stat_mem_reads, stat_mem_writes, stat_io, stat_frames;
};

/* Allocates the planes and puts every register in its power-on state.
 * `vram` (vram_size bytes, a multiple of 64 KiB) is the DISPI framebuffer,
 * owned by the caller. Returns -1 on allocation failure. */
int vga_init(struct vga *v, uint8_t *vram, uint32_t vram_size);
void vga_free(struct vga *v);
/* Power-on state: registers cleared, display blank, memory cleared. */
void vga_reset(struct vga *v);

/* Port accesses, one byte each, at ports 0x3B0-0x3DF; `now` is the guest
 * time used for the input status retrace bits. Ports not decoded in the
 * current mono/colour mapping read 0xFF. */
uint8_t vga_port_read(struct vga *v, uint16_t port, sim_time_t now);
void vga_port_write(struct vga *v, uint16_t port, uint8_t value);

/* CPU accesses to the legacy window; `offset` is relative to 0xA0000
 * (0..0x1FFFF). Reads outside the selected memory map return 0xFF. */
uint8_t vga_mem_read(struct vga *v, uint32_t offset);
void vga_mem_write(struct vga *v, uint32_t offset, uint8_t value);

/* Input status register 1 (0x3DA): bit 0 display disabled (blanking),
 * bit 3 vertical retrace, computed from `now` and the CRTC timing. */
uint8_t vga_input_status1(const struct vga *v, sim_time_t now);

/* CRT timing from the CRTC registers and the dot clock selected by the
 * miscellaneous output register. */
struct vga_timing {
    uint64_t dot_hz;          /* 25175000 or 28322000 */
    uint32_t dots_per_char;   /* 8 or 9, doubled when the sequencer halves the clock */
    uint32_t htotal_chars, hdisplay_chars;
    uint32_t vtotal_lines, vdisplay_lines;
    uint32_t vretrace_start, vretrace_lines;
};
void vga_get_timing(const struct vga *v, struct vga_timing *t);
/* Vertical refresh in millihertz, 0 if the timing is degenerate. */
uint32_t vga_refresh_mhz(const struct vga *v);

/* Brings the surface up to date (see display_iface.update). */
const struct display_surface *vga_update(struct vga *v, sim_time_t now);
/* Screen text in text modes (see display_iface.text); 0 in graphics. */
size_t vga_text(struct vga *v, char *buf, size_t len);
/* True when the attribute controller selects a text mode and DISPI is off. */
bool vga_in_text_mode(const struct vga *v);
/* Copies the 256 glyphs of font map A in plane 2 (32 bytes each, MSB is
 * the leftmost dot) of the current text mode, or of the last text mode
 * seen if the display is now in graphics. Returns the character height in
 * scan lines (1..32), or 0 if no text mode was ever displayed. */
int vga_font_glyphs(struct vga *v, uint8_t out[256 * 32]);

/* Snapshots the text font of plane 2 if the VGA is in a text mode (called
 * when the display leaves text mode; ignored if plane 2 is empty). */
void vga_capture_text_font(struct vga *v);

/* Bochs DISPI (bochs_dispi.c). */
void bochs_dispi_reset(struct vga *v);
uint16_t bochs_dispi_read(struct vga *v, uint16_t index);
void bochs_dispi_write(struct vga *v, uint16_t index, uint16_t value);
bool bochs_dispi_enabled(const struct vga *v);
/* True while the 0xA0000 window shows a bank of the linear framebuffer. */
bool bochs_dispi_banked(const struct vga *v);
/* Byte offset in vram of the first byte of window offset 0. */
uint32_t bochs_dispi_bank_offset(const struct vga *v);
/* Renders the enabled DISPI mode into v->surface; returns true if any
 * pixel may have changed. */
bool bochs_dispi_render(struct vga *v);

/* Shared helpers of the two renderers (vga.c). */
bool vga_surface_resize(struct vga *v, int width, int height);
void vga_refresh_palette(struct vga *v);
/* 0x00RRGGBB of attribute-controller colour index 0..15. */
uint32_t vga_attr_rgb(const struct vga *v, unsigned index);
void vga_render_planar_line(struct vga *v, uint32_t *dst, uint32_t plane_offset,
                            uint32_t plane_mask, int bytes);

#endif
