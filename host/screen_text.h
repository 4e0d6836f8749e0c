/* screen_text.h: reading the text on the emulated screen, for stop
 * conditions ("screen:Install"), scripted input and test checks.
 *
 * Text modes are read through the display's text(). Graphics modes (VESA
 * consoles, fbcon, vesamenu) are read by matching 8-dot-wide character
 * cells against a bitmap font: by default the font the guest loaded into
 * VGA plane 2 (the VGA BIOS 8x16 font, which is also the shape of Linux's
 * default VGA 8x16 console font), taken from the VGA's "vga-font"
 * interface, so no font table is copied into this program. */
#ifndef CW_SCREEN_TEXT_H
#define CW_SCREEN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/iface.h"
#include "models/vga/vga_font.h"

#define SCREEN_TEXT_TABLE 512
/* Blocks (8 dots by the font height) the uniformity map covers: 1920x1200
 * with an 8x8 font. Larger screens are searched without the map. */
#define SCREEN_TEXT_MAX_BLOCKS (240 * 150)

struct screen_text {
    int font_height;                  /* 0: no font yet */
    uint8_t glyphs[256][32];          /* CP437 order, bit 7 = leftmost dot */
    int16_t table[SCREEN_TEXT_TABLE]; /* glyph bitmap hash -> code + 1 */
    uint8_t order[256];               /* distinct non-blank glyphs, preferred first */
    int nglyphs;
    /* For the origin search: the row bytes that letters and digits have
     * at each scan line, and a line where every one of them has a dot
     * (-1 if there is none). */
    uint64_t letter_rows[32][4];
    int letter_anchor_row;
    uint8_t letter_row_order[32];     /* most telling rows first */
    int origin_x, origin_y;           /* grid origin found last time */
    int origin_width, origin_height;  /* the surface size it was found on */
    bool searched;                    /* a full origin search ran for: */
    uint64_t searched_frame;
    const uint32_t *searched_pixels;
    int searches;                     /* full origin searches so far (tests) */
    /* Which blocks of the grid at (0, 0) are one colour, for the frame the
     * search runs on: a cell over uniform blocks only cannot hold a letter. */
    int blocks_x, blocks_y;
    uint8_t uniform[SCREEN_TEXT_MAX_BLOCKS / 8];
};

/* Starts with no font (graphics screens then read as nothing). */
void screen_text_init(struct screen_text *st);

/* Sets the font: 256 glyphs of 32 bytes each, `height` rows used (1..32).
 * Blank glyphs never match; when several codes share a bitmap, printable
 * ASCII wins, then 0x80-0xFE, then the control-code symbols. Returns -1 if
 * the height is out of range. */
int screen_text_set_font(struct screen_text *st, const uint8_t *glyphs, int height);

/* Takes the font from a VGA's "vga-font" interface. Returns -1 if the
 * guest has not displayed a text mode yet (no font known). */
int screen_text_font_from_vga(struct screen_text *st, const struct vga_font_iface *vf);

/* Text of the display: text()'s result in text modes, else the matched
 * graphics screen (0 bytes without a font). Rows are joined by '\n',
 * characters are UTF-8 (code page 437); buf is NUL-terminated if len > 0.
 * Returns the number of bytes. */
size_t screen_text_read(struct screen_text *st, const struct display_iface *d, char *buf,
                        size_t len);

/* Matches a graphics surface against the font. A cell reads as a glyph
 * when the dots of one of its colours are exactly that glyph (text drawn
 * over a picture and with a shadow, as vesamenu draws it, has more than
 * two colours). The character grid's origin need not be a multiple of the
 * cell size: it is the one where the most cells read as ASCII letters and
 * digits. The previous origin is kept while the surface keeps its size and
 * at least SCREEN_TEXT_KEEP_LETTERS cells read as letters there; otherwise
 * the origins are searched, at most once per frame, skipping cells that
 * lie over one-coloured blocks only. When no colour is exactly a glyph:
 * in a cell of more colours, each colour with the colours close to it
 * (text drawn with an alpha below one over a picture) may read as a
 * printable ASCII glyph; a two-colour cell reads as the single nearest
 * printable ASCII glyph within 3 dots (console fonts differ from the BIOS
 * font in a few dots). Block, line and symbol glyphs are read only in
 * cells of at most three colours. Cells that are one colour, match
 * nothing, or where two colours both match a non-ASCII glyph (the edge
 * between two flat areas of a picture, such as upper and lower half
 * blocks) read as spaces. */
#define SCREEN_TEXT_KEEP_LETTERS 3
size_t screen_text_match(struct screen_text *st, const struct display_surface *s, char *buf,
                         size_t len);

/* Matches one cell at (x, y) exactly: returns the CP437 code, 0x20 for a
 * uniform cell, or -1 if no glyph matches. */
int screen_text_match_cell(const struct screen_text *st, const struct display_surface *s, int x,
                           int y);

#endif
