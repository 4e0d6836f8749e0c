/* screen_text.c: screen text from text modes, and from graphics modes by
 * matching character cells against the guest's own VGA font. */
#include "host/screen_text.h"

#include <string.h>

#include "models/vga/cp437.h"

#define SCREEN_TEXT_MAX_COLOURS 64
/* The origin search gives up on cells of more colours than this: text over
 * flat ground, with a shadow and a highlight bar's edge, has a few. */
#define SCREEN_TEXT_SEARCH_COLOURS 8
/* ... and on cells whose anchor row (below) has more colours than this. */
#define SCREEN_TEXT_ANCHOR_COLOURS 4
/* Dots a two-colour cell may differ from a glyph and still read as it: the
 * guest's console font may draw a few glyphs slightly differently from the
 * VGA BIOS font the table was taken from. */
#define SCREEN_TEXT_FUZZY_DOTS 3
/* How far (per channel, 0-255) the dots of one blended glyph may differ. */
#define SCREEN_TEXT_BLEND_SPREAD 16

void screen_text_init(struct screen_text *st)
{
    memset(st, 0, sizeof *st);
}

static uint32_t screen_text_hash(const uint8_t *rows, int height)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < height; i++)
        h = (h ^ rows[i]) * 16777619u;
    return h;
}

static bool screen_text_blank(const uint8_t *rows, int height)
{
    for (int i = 0; i < height; i++)
        if (rows[i])
            return false;
    return true;
}

/* Returns the code of the glyph with exactly these rows, or -1. */
static int screen_text_lookup(const struct screen_text *st, const uint8_t *rows)
{
    uint32_t slot = screen_text_hash(rows, st->font_height) % SCREEN_TEXT_TABLE;
    for (int probe = 0; probe < SCREEN_TEXT_TABLE; probe++) {
        int entry = st->table[(slot + (uint32_t)probe) % SCREEN_TEXT_TABLE];
        if (!entry)
            return -1;
        if (memcmp(st->glyphs[entry - 1], rows, (size_t)st->font_height) == 0)
            return entry - 1;
    }
    return -1;
}

static void screen_text_insert(struct screen_text *st, int code)
{
    const uint8_t *rows = st->glyphs[code];
    if (screen_text_blank(rows, st->font_height) || screen_text_lookup(st, rows) >= 0)
        return;
    uint32_t slot = screen_text_hash(rows, st->font_height) % SCREEN_TEXT_TABLE;
    while (st->table[slot])
        slot = (slot + 1) % SCREEN_TEXT_TABLE;
    st->table[slot] = (int16_t)(code + 1);
    st->order[st->nglyphs++] = (uint8_t)code;
}

/* The nearest glyph within SCREEN_TEXT_FUZZY_DOTS differing dots, if it is
 * strictly nearer than any other; -1 otherwise. */
static int screen_text_nearest(const struct screen_text *st, const uint8_t *rows, int *distance)
{
    int best = -1, best_d = SCREEN_TEXT_FUZZY_DOTS + 1, second_d = SCREEN_TEXT_FUZZY_DOTS + 1;
    for (int i = 0; i < st->nglyphs; i++) {
        const uint8_t *g = st->glyphs[st->order[i]];
        int d = 0;
        for (int r = 0; r < st->font_height && d <= SCREEN_TEXT_FUZZY_DOTS; r++)
            d += __builtin_popcount((unsigned)(g[r] ^ rows[r]));
        if (d < best_d) {
            second_d = best_d;
            best_d = d;
            best = st->order[i];
        } else if (d < second_d) {
            second_d = d;
        }
    }
    *distance = best_d;
    return best >= 0 && best_d < second_d ? best : -1;
}

static bool screen_text_printable(int code)
{
    return code > 0x20 && code < 0x7F;
}

static bool screen_text_letter(int code)
{
    return (code >= 'A' && code <= 'Z') || (code >= 'a' && code <= 'z') ||
           (code >= '0' && code <= '9');
}

/* What the origin search checks first: the bytes letters have per row. */
static void screen_text_index_letters(struct screen_text *st)
{
    memset(st->letter_rows, 0, sizeof st->letter_rows);
    st->letter_anchor_row = -1;
    for (int r = st->font_height - 1; r >= 0; r--) {
        bool every = true;
        for (int c = 0; c < 256; c++) {
            if (!screen_text_letter(c))
                continue;
            uint8_t b = st->glyphs[c][r];
            st->letter_rows[r][b / 64] |= 1ull << (b % 64);
            every &= b != 0;
        }
        if (every)
            st->letter_anchor_row = r;
    }
    /* Rows where every letter has a dot reject a wrong colour or position
     * soonest, then rows where none has one, then the rest. */
    int n = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int r = 0; r < st->font_height; r++) {
            bool zero_ok = st->letter_rows[r][0] & 1;
            bool only_zero = zero_ok && st->letter_rows[r][0] == 1 && !st->letter_rows[r][1] &&
                             !st->letter_rows[r][2] && !st->letter_rows[r][3];
            int kind = !zero_ok ? 0 : only_zero ? 1 : 2;
            if (kind == pass)
                st->letter_row_order[n++] = (uint8_t)r;
        }
}

int screen_text_set_font(struct screen_text *st, const uint8_t *glyphs, int height)
{
    if (height < 1 || height > 32)
        return -1;
    memcpy(st->glyphs, glyphs, sizeof st->glyphs);
    st->font_height = height;
    st->nglyphs = 0;
    memset(st->table, 0, sizeof st->table);
    /* Insertion order decides which code a shared bitmap reads as. */
    for (int c = 0x20; c < 0x7F; c++)
        screen_text_insert(st, c);
    for (int c = 0x80; c < 0xFF; c++)
        screen_text_insert(st, c);
    for (int c = 0x01; c < 0x20; c++)
        screen_text_insert(st, c);
    screen_text_insert(st, 0x7F);
    screen_text_insert(st, 0xFF);
    screen_text_index_letters(st);
    return 0;
}

int screen_text_font_from_vga(struct screen_text *st, const struct vga_font_iface *vf)
{
    uint8_t glyphs[256 * 32];
    int height = vf && vf->glyphs ? vf->glyphs(vf->opaque, glyphs) : 0;
    if (height <= 0)
        return -1;
    return screen_text_set_font(st, glyphs, height);
}

/* The colours of the cell at (x, y) and, for each, the bitmap of its dots
 * (one byte per row, bit 7 leftmost). Returns the number of colours, or -1
 * if there are more than max_colours (a picture, not text). */
static int screen_text_cell_colours(const struct screen_text *st, const struct display_surface *s,
                                    int x, int y, int max_colours, uint8_t masks[][32],
                                    int *count, uint32_t *colour)
{
    int h = st->font_height;
    int ncolours = 0, k = 0;
    for (int r = 0; r < h; r++) {
        const uint32_t *row = s->pixels + (size_t)(y + r) * (size_t)s->stride + x;
        for (int j = 0; j < ncolours; j++)
            masks[j][r] = 0;
        for (int i = 0; i < 8; i++) {
            /* Runs of one colour are the common case: try the last first. */
            if (ncolours == 0 || colour[k] != row[i]) {
                k = 0;
                while (k < ncolours && colour[k] != row[i])
                    k++;
                if (k == ncolours) {
                    if (ncolours == max_colours)
                        return -1;
                    colour[k] = row[i];
                    count[k] = 0;
                    memset(masks[k], 0, (size_t)h);
                    ncolours++;
                }
            }
            count[k]++;
            masks[k][r] |= (uint8_t)(0x80 >> i);
        }
    }
    return ncolours;
}

static bool screen_text_near(uint32_t a, uint32_t b)
{
    for (int shift = 0; shift < 24; shift += 8) {
        int d = (int)(a >> shift & 0xFF) - (int)(b >> shift & 0xFF);
        if (d > SCREEN_TEXT_BLEND_SPREAD || d < -SCREEN_TEXT_BLEND_SPREAD)
            return false;
    }
    return true;
}

/* Text drawn with an alpha below one (vesamenu's command line, and its
 * shadows) takes some of the colour of the picture under it, so one glyph
 * has several close colours. Each colour with those near it is tried as
 * the glyph; only printable ASCII is believed, the least common group
 * first (the ground has more dots). */
static int screen_text_match_blended(const struct screen_text *st, uint8_t masks[][32],
                                     const int *count, const uint32_t *colour, int ncolours)
{
    int best = -1, best_count = 0;
    bool seed_done[SCREEN_TEXT_MAX_COLOURS] = {false};
    for (int k = 0; k < ncolours; k++) {
        if (seed_done[k])
            continue;
        uint8_t group[32] = {0};
        int n = 0;
        for (int j = 0; j < ncolours; j++) {
            if (!screen_text_near(colour[k], colour[j]))
                continue;
            seed_done[j] = true;
            n += count[j];
            for (int r = 0; r < st->font_height; r++)
                group[r] |= masks[j][r];
        }
        int code = screen_text_lookup(st, group);
        if (screen_text_printable(code) && (best < 0 || n < best_count)) {
            best = code;
            best_count = n;
        }
    }
    return best;
}

static int screen_text_match_at(const struct screen_text *st, const struct display_surface *s,
                                int x, int y, bool fuzzy)
{
    int h = st->font_height;
    if (!h || x < 0 || y < 0 || x + 8 > s->width || y + h > s->height)
        return -1;
    /* The glyph is drawn in one colour, so one colour's dots are the glyph. */
    uint8_t masks[SCREEN_TEXT_MAX_COLOURS][32];
    int count[SCREEN_TEXT_MAX_COLOURS];
    uint32_t colour[SCREEN_TEXT_MAX_COLOURS];
    int ncolours =
        screen_text_cell_colours(st, s, x, y, SCREEN_TEXT_MAX_COLOURS, masks, count, colour);
    if (ncolours < 0)
        return -1;
    if (ncolours == 1)
        return 0x20;
    int best = -1, best_count = 0, matches = 0;
    bool ascii = false;
    for (int k = 0; k < ncolours; k++) {
        int code = screen_text_lookup(st, masks[k]);
        if (code < 0)
            continue;
        matches++;
        /* Printable ASCII first, then the least common colour: the glyph
         * is the foreground, the rest is ground. */
        bool a = screen_text_printable(code);
        if (best < 0 || (a && !ascii) || (a == ascii && count[k] < best_count)) {
            best = code;
            best_count = count[k];
            ascii = a;
        }
    }
    /* Two colours that both draw a block or line glyph are the edge
     * between two flat areas of a picture, not a character. */
    if (matches > 1 && !ascii)
        return -1;
    /* Block, line and symbol glyphs are believed on plain ground (with a
     * shadow at most): over a picture, flat shapes are everywhere. */
    if (best >= 0 && !ascii && ncolours > 3)
        return -1;
    if (best >= 0 || !fuzzy)
        return best;
    if (ncolours > 2)
        return screen_text_match_blended(st, masks, count, colour, ncolours);
    if (ncolours != 2)
        return best;
    int d0, d1;
    int c0 = screen_text_nearest(st, masks[0], &d0), c1 = screen_text_nearest(st, masks[1], &d1);
    if (!screen_text_printable(c0))
        c0 = -1;
    if (!screen_text_printable(c1))
        c1 = -1;
    if (c0 >= 0 && (c1 < 0 || d0 < d1))
        return c0;
    if (c1 >= 0 && (c0 < 0 || d1 < d0))
        return c1;
    return -1;
}

int screen_text_match_cell(const struct screen_text *st, const struct display_surface *s, int x,
                           int y)
{
    return screen_text_match_at(st, s, x, y, false);
}

/* Whether the dots of `colour` in the cell at (x, y) are a letter or digit.
 * Rows are checked against the bytes letters have there as they are
 * built, so most colours at most positions are rejected after a row or two
 * (letters leave the top rows blank). */
static bool screen_text_letter_in(const struct screen_text *st, const struct display_surface *s,
                                  int x, int y, uint32_t colour)
{
    uint8_t rows[32];
    for (int k = 0; k < st->font_height; k++) {
        int r = st->letter_row_order[k];
        const uint32_t *row = s->pixels + (size_t)(y + r) * (size_t)s->stride + x;
        uint8_t b = 0;
        for (int i = 0; i < 8; i++)
            b = (uint8_t)(b << 1 | (row[i] == colour));
        if (!(st->letter_rows[r][b / 64] >> (b % 64) & 1))
            return false;
        rows[r] = b;
    }
    return screen_text_letter(screen_text_lookup(st, rows));
}

/* Whether the cell at (x, y) reads exactly as an ASCII letter or digit:
 * the origin search's evidence. A letter has a dot on the anchor row, so
 * its colour is one of that row's. */
static bool screen_text_letter_at(const struct screen_text *st, const struct display_surface *s,
                                  int x, int y)
{
    if (st->letter_anchor_row < 0) {
        uint8_t masks[SCREEN_TEXT_SEARCH_COLOURS][32];
        int count[SCREEN_TEXT_SEARCH_COLOURS];
        uint32_t colour[SCREEN_TEXT_SEARCH_COLOURS];
        int n = screen_text_cell_colours(st, s, x, y, SCREEN_TEXT_SEARCH_COLOURS, masks, count,
                                         colour);
        for (int k = 0; k < n && n > 1; k++)
            if (screen_text_letter(screen_text_lookup(st, masks[k])))
                return true;
        return false;
    }
    const uint32_t *anchor =
        s->pixels + (size_t)(y + st->letter_anchor_row) * (size_t)s->stride + x;
    uint32_t colours[8];
    int ncolours = 0;
    for (int i = 0; i < 8; i++) {
        int k = 0;
        while (k < ncolours && colours[k] != anchor[i])
            k++;
        if (k < ncolours)
            continue;
        /* Text over flat ground has few colours on a row: a picture. */
        if (ncolours == SCREEN_TEXT_ANCHOR_COLOURS)
            return false;
        colours[ncolours++] = anchor[i];
    }
    for (int k = 0; k < ncolours && ncolours > 1; k++)
        if (screen_text_letter_in(st, s, x, y, colours[k]))
            return true;
    return false;
}

static bool screen_text_block_uniform(const struct display_surface *s, int x, int y, int h)
{
    uint32_t first = s->pixels[(size_t)y * (size_t)s->stride + (size_t)x];
    for (int r = 0; r < h; r++) {
        const uint32_t *row = s->pixels + (size_t)(y + r) * (size_t)s->stride + x;
        for (int i = 0; i < 8; i++)
            if (row[i] != first)
                return false;
    }
    return true;
}

/* Fills the uniformity map of the blocks of the grid at (0, 0); a block
 * past the surface's edge counts as uniform. Leaves blocks_x = 0 (no
 * map) when the surface has too many blocks. */
static void screen_text_map_blocks(struct screen_text *st, const struct display_surface *s)
{
    int h = st->font_height;
    int bx = (s->width + 7) / 8, by = (s->height + h - 1) / h;
    st->blocks_x = 0;
    if ((long)bx * by > SCREEN_TEXT_MAX_BLOCKS)
        return;
    memset(st->uniform, 0, sizeof st->uniform);
    for (int j = 0; j < by; j++)
        for (int i = 0; i < bx; i++) {
            bool inside = i * 8 + 8 <= s->width && j * h + h <= s->height;
            if (!inside || screen_text_block_uniform(s, i * 8, j * h, h)) {
                int b = j * bx + i;
                st->uniform[b / 8] |= (uint8_t)(1u << (b % 8));
            }
        }
    st->blocks_x = bx;
    st->blocks_y = by;
}

static bool screen_text_uniform_block(const struct screen_text *st, int i, int j)
{
    if (i >= st->blocks_x || j >= st->blocks_y)
        return true;
    int b = j * st->blocks_x + i;
    return st->uniform[b / 8] >> (b % 8) & 1;
}

/* Cells that read as letters or digits with the grid at (ox, oy). */
static int screen_text_score(const struct screen_text *st, const struct display_surface *s,
                             int ox, int oy)
{
    int score = 0;
    for (int y = oy; y + st->font_height <= s->height; y += st->font_height)
        for (int x = ox; x + 8 <= s->width; x += 8)
            score += screen_text_letter_at(st, s, x, y);
    return score;
}

/* Whether a cell whose top-left dot is in block (i, j) lies over uniform
 * blocks only, wherever in the block it starts: then it holds at most flat
 * rectangles, never a letter. */
static bool screen_text_blocks_flat(const struct screen_text *st, int i, int j)
{
    return st->blocks_x && screen_text_uniform_block(st, i, j) &&
           screen_text_uniform_block(st, i + 1, j) && screen_text_uniform_block(st, i, j + 1) &&
           screen_text_uniform_block(st, i + 1, j + 1);
}

/* Looks for letters at every dot position, top to bottom; the first
 * letter's grid is checked as a whole, and the first grid that reads
 * SCREEN_TEXT_KEEP_LETTERS letters wins (else the best one seen). Blocks
 * of one colour are skipped whole. */
static void screen_text_search_origin(struct screen_text *st, const struct display_surface *s)
{
    int h = st->font_height;
    screen_text_map_blocks(st, s);
    bool tried[32][8] = {{false}};
    int best = 0;
    for (int by = 0; by * h + h <= s->height; by++)
        for (int oy = 0; oy < h; oy++) {
            int y = by * h + oy;
            if (y + h > s->height)
                return;
            for (int bx = 0; bx * 8 + 8 <= s->width; bx++) {
                if (screen_text_blocks_flat(st, bx, by))
                    continue;
                for (int ox = 0; ox < 8; ox++) {
                    int x = bx * 8 + ox;
                    if (tried[oy][ox] || x + 8 > s->width || !screen_text_letter_at(st, s, x, y))
                        continue;
                    tried[oy][ox] = true;
                    int score = screen_text_score(st, s, ox, oy);
                    if (score > best) {
                        best = score;
                        st->origin_x = ox;
                        st->origin_y = oy;
                        st->origin_width = s->width;
                        st->origin_height = s->height;
                    }
                    if (score >= SCREEN_TEXT_KEEP_LETTERS)
                        return;
                }
            }
        }
}

static void screen_text_find_origin(struct screen_text *st, const struct display_surface *s)
{
    bool same_size = st->origin_width == s->width && st->origin_height == s->height;
    /* Screens rarely move their grid: keep it while it reads letters, and
     * search a given frame only once. */
    if (same_size &&
        screen_text_score(st, s, st->origin_x, st->origin_y) >= SCREEN_TEXT_KEEP_LETTERS)
        return;
    if (st->searched && st->searched_frame == s->frame && st->searched_pixels == s->pixels)
        return;
    st->searched = true;
    st->searched_frame = s->frame;
    st->searched_pixels = s->pixels;
    st->searches++;
    screen_text_search_origin(st, s);
}

size_t screen_text_match(struct screen_text *st, const struct display_surface *s, char *buf,
                         size_t len)
{
    if (len)
        buf[0] = '\0';
    if (!st->font_height || !s || !s->pixels || s->width < 8 || s->height < st->font_height ||
        !len)
        return 0;
    screen_text_find_origin(st, s);
    size_t n = 0;
    for (int y = st->origin_y; y + st->font_height <= s->height; y += st->font_height) {
        if (y != st->origin_y) {
            if (n + 1 >= len)
                break;
            buf[n++] = '\n';
        }
        for (int x = st->origin_x; x + 8 <= s->width; x += 8) {
            int code = screen_text_match_at(st, s, x, y, true);
            char utf8[4];
            size_t k = cp437_to_utf8(code < 0 ? 0x20 : (uint8_t)code, utf8);
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

size_t screen_text_read(struct screen_text *st, const struct display_iface *d, char *buf,
                        size_t len)
{
    if (len)
        buf[0] = '\0';
    if (!d)
        return 0;
    size_t n = d->text ? d->text(d->opaque, buf, len) : 0;
    if (n > 0)
        return n;
    const struct display_surface *s = d->update(d->opaque);
    return screen_text_match(st, s, buf, len);
}
