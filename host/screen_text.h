/* screen_text.h: reading the text on the emulated screen, for stop
 * conditions ("screen:Install"), scripted input and test checks.
 *
 * Text modes are read through the display's text(). Graphics modes (VESA
 * consoles, fbcon, vesamenu, the Debian installer's bterm) are read by
 * matching 8-dot-wide character cells against bitmap fonts: the font the
 * guest loaded into VGA plane 2 (the VGA BIOS font, taken from the VGA's
 * "vga-font" interface, so no font table is copied into this program), and
 * 8x16 fonts installed on the host, read at run time when present:
 *   - a console font whose Latin half is Linux's built-in VGA 8x16 font
 *     (fbcon draws with it; it differs from the VGA BIOS font in f, m, v,
 *     w, x, M, W, 0 and more): console-setup-linux's Ethiopian-Goha16;
 *   - GNU Unifont's 8x16 glyphs (the installer's text front end draws with
 *     Unifont through bterm): the unifont package's unifont.hex.
 * The list can be replaced with the environment variable
 * CLOCKWORK_SCREEN_FONTS (file names separated by ':', empty for none). */
#ifndef CW_SCREEN_TEXT_H
#define CW_SCREEN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/iface.h"
#include "kernel/types.h"
#include "models/vga/vga_font.h"

/* Host fonts read by default, in this order; the environment variable
 * replaces the list. */
#define SCREEN_TEXT_FONTS_ENV "CLOCKWORK_SCREEN_FONTS"
#define SCREEN_TEXT_DEFAULT_FONTS                                                                  \
    "/usr/share/consolefonts/Ethiopian-Goha16.psf.gz:/usr/share/unifont/unifont.hex"

/* Host glyphs are 8x16 (the cell of fbcon's VGA font and of Unifont's
 * narrow glyphs); Unifont has about 7200 of them. */
#define SCREEN_TEXT_HOST_HEIGHT 16
#define SCREEN_TEXT_HOST_GLYPHS 9216
/* Bitmap hash table over the guest's and the host's glyphs (a power of
 * two, about twice the glyphs). */
#define SCREEN_TEXT_TABLE 16384
#define SCREEN_TEXT_MAX_ASCII 1024
/* Blocks (8 dots by the cell height) the uniformity map covers: 1920x1200
 * with an 8x8 font. Larger screens are searched without the map. */
#define SCREEN_TEXT_MAX_BLOCKS (240 * 150)

enum screen_text_host_state {
    SCREEN_TEXT_HOST_PENDING, /* read the default list on the first graphics read */
    SCREEN_TEXT_HOST_LOADED,
};

struct screen_text {
    int font_height;                  /* guest font; 0: none yet */
    uint8_t glyphs[256][32];          /* guest font, CP437 order, bit 7 = leftmost dot */
    /* Host fonts: one entry per Unicode code point a glyph shows. */
    enum screen_text_host_state host_state;
    int host_glyphs;
    uint8_t host_rows[SCREEN_TEXT_HOST_GLYPHS][SCREEN_TEXT_HOST_HEIGHT];
    uint32_t host_code[SCREEN_TEXT_HOST_GLYPHS];
    /* The glyphs cells are matched against: the guest font's, and the host
     * fonts' if they are as tall. Entry ids: 0-255 guest, 256+ host. */
    int cell_height;                  /* 0: nothing to match against */
    uint16_t table[SCREEN_TEXT_TABLE]; /* bitmap hash -> entry id + 1 */
    uint16_t ascii[SCREEN_TEXT_MAX_ASCII]; /* entries that are printable ASCII */
    int nascii;
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

/* Starts with no guest font; the host fonts are read on the first read of
 * a graphics screen (a missing file is reported once, on stderr, and the
 * screen is read without it). */
void screen_text_init(struct screen_text *st);

/* Sets the guest font: 256 glyphs of 32 bytes each, `height` rows used
 * (1..32), CP437 order. Blank glyphs never match. Returns -1 if the height
 * is out of range. */
int screen_text_set_font(struct screen_text *st, const uint8_t *glyphs, int height);

/* Takes the font from a VGA's "vga-font" interface. Returns -1 if the
 * guest has not displayed a text mode yet (no font known). */
int screen_text_font_from_vga(struct screen_text *st, const struct vga_font_iface *vf);

/* Replaces the host fonts with the files in `paths` (separated by ':',
 * "" for none) now, instead of the default list on the first read. Files
 * are PSF 1 or 2 console fonts (gzipped or not; with a Unicode table, else
 * taken as CP437) or Unifont .hex files; only 8x16 glyphs are kept. Every
 * file that can be read is used; returns 0, or -1 with err naming the
 * first file that could not be. */
int screen_text_load_fonts(struct screen_text *st, const char *paths, struct cw_error *err);

/* Text of the display: text()'s result in text modes, else the matched
 * graphics screen (0 bytes without a font). Rows are joined by '\n',
 * characters are UTF-8; buf is NUL-terminated if len > 0. Returns the
 * number of bytes. */
size_t screen_text_read(struct screen_text *st, const struct display_iface *d, char *buf,
                        size_t len);

/* Matches a graphics surface against the fonts. A cell reads as a glyph
 * when the dots of one of its colours are exactly that glyph (text drawn
 * over a picture and with a shadow, as vesamenu draws it, has more than
 * two colours). When several glyphs have the same bitmap, printable ASCII
 * wins, then Latin letters, then Greek and Cyrillic, then box drawing and
 * blocks, then the rest (lowest code point first). The character grid's
 * origin need not be a multiple of the cell size: it is the one where the
 * most cells read as ASCII letters and digits. The previous origin is kept
 * while the surface keeps its size and at least SCREEN_TEXT_KEEP_LETTERS
 * cells read as letters there; otherwise the origins are searched, at
 * most once per frame, skipping cells that lie over one-coloured blocks
 * only. When no colour is exactly a glyph: in a cell of more colours,
 * each colour with the colours close to it (text drawn with an alpha
 * below one over a picture) may read as a printable ASCII glyph; a
 * two-colour cell reads as the single nearest printable ASCII character
 * within 3 dots (a guest font may draw a few glyphs slightly differently
 * from every font known here). Block, line and symbol glyphs are read
 * only in cells of at most three colours. Cells that are one colour,
 * match nothing, or where two colours both match a symbol (the edge
 * between two flat areas of a picture, such as upper and lower half
 * blocks) read as spaces. Glyphs two cells wide (CJK) read as spaces. */
#define SCREEN_TEXT_KEEP_LETTERS 3
size_t screen_text_match(struct screen_text *st, const struct display_surface *s, char *buf,
                         size_t len);

/* Matches one cell at (x, y) exactly against the fonts loaded so far:
 * returns the Unicode code point, 0x20 for a uniform cell, or -1 if no
 * glyph matches. */
int screen_text_match_cell(const struct screen_text *st, const struct display_surface *s, int x,
                           int y);

#endif
