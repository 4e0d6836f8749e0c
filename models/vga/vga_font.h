/* vga_font.h: the "vga-font" interface a VGA model exports so host tools
 * (host/screen_text.c) can read graphics screens with the font the guest
 * itself loaded into plane 2, instead of a font table copied from elsewhere. */
#ifndef CW_VGA_FONT_H
#define CW_VGA_FONT_H

#include <stdint.h>

#define VGA_FONT_IFACE "vga-font"

struct vga_font_iface {
    /* Copies 256 glyphs of 32 bytes (one byte per scan line, bit 7 the
     * leftmost dot) of the current text mode's font, or of the last text
     * mode displayed. Returns the character height (1..32), or 0 if the
     * guest never displayed a text mode. */
    int (*glyphs)(void *opaque, uint8_t out[256 * 32]);
    void *opaque;
};

#endif
