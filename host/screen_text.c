/* screen_text.c: screen text from text modes, and from graphics modes by
 * matching character cells against the guest's own VGA font. */
#include "host/screen_text.h"

#include <string.h>

#include "models/vga/cp437.h"

#define SCREEN_TEXT_MAX_COLOURS 32
/* Dots a two-colour cell may differ from a glyph and still read as it: the
 * guest's console font may draw a few glyphs slightly differently from the
 * VGA BIOS font the table was taken from. */
#define SCREEN_TEXT_FUZZY_DOTS 3

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

static int screen_text_match_at(const struct screen_text *st, const struct display_surface *s,
                                int x, int y, bool fuzzy)
{
    int h = st->font_height;
    if (!h || x < 0 || y < 0 || x + 8 > s->width || y + h > s->height)
        return -1;
    /* One pass: number the colours of the cell and build, for each, the
     * bitmap of its pixels. The glyph is drawn in one colour, so one of
     * these bitmaps is the glyph (text over pictures and shadows has more
     * than two colours). */
    uint32_t colour[SCREEN_TEXT_MAX_COLOURS];
    int count[SCREEN_TEXT_MAX_COLOURS], ncolours = 0;
    uint8_t masks[SCREEN_TEXT_MAX_COLOURS][32];
    for (int r = 0; r < h; r++) {
        const uint32_t *row = s->pixels + (size_t)(y + r) * (size_t)s->stride + x;
        for (int k = 0; k < ncolours; k++)
            masks[k][r] = 0;
        for (int i = 0; i < 8; i++) {
            int k = 0;
            while (k < ncolours && colour[k] != row[i])
                k++;
            if (k == ncolours) {
                if (ncolours == SCREEN_TEXT_MAX_COLOURS)
                    return -1; /* a picture, not text */
                colour[k] = row[i];
                count[k] = 0;
                memset(masks[k], 0, (size_t)h);
                ncolours++;
            }
            count[k]++;
            masks[k][r] |= (uint8_t)(0x80 >> i);
        }
    }
    if (ncolours == 1)
        return 0x20;
    int best = -1, best_count = 0;
    for (int k = 0; k < ncolours; k++) {
        int code = screen_text_lookup(st, masks[k]);
        /* The least common matching colour is the glyph, the rest is ground. */
        if (code >= 0 && (best < 0 || count[k] < best_count)) {
            best = code;
            best_count = count[k];
        }
    }
    if (best >= 0 || !fuzzy || ncolours != 2)
        return best;
    int d0, d1;
    int c0 = screen_text_nearest(st, masks[0], &d0), c1 = screen_text_nearest(st, masks[1], &d1);
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

/* Counts the cells at this origin that read as a character, and the cells
 * that are not one colour (*busy). */
static int screen_text_score(const struct screen_text *st, const struct display_surface *s,
                             int ox, int oy, int *busy)
{
    int score = 0;
    *busy = 0;
    for (int y = oy; y + st->font_height <= s->height; y += st->font_height)
        for (int x = ox; x + 8 <= s->width; x += 8) {
            int code = screen_text_match_cell(st, s, x, y);
            if (code != 0x20)
                (*busy)++;
            if (code >= 0 && code != 0x20)
                score++;
        }
    return score;
}

static void screen_text_find_origin(struct screen_text *st, const struct display_surface *s)
{
    int busy;
    int best = screen_text_score(st, s, st->origin_x, st->origin_y, &busy);
    /* Screens rarely move their grid: keep it while most busy cells read,
     * and search a given frame only once. */
    if ((best > 0 && best * 2 >= busy) ||
        (st->searched && st->searched_frame == s->frame && st->searched_pixels == s->pixels))
        return;
    st->searched = true;
    st->searched_frame = s->frame;
    st->searched_pixels = s->pixels;
    for (int oy = 0; oy < st->font_height; oy++)
        for (int ox = 0; ox < 8; ox++) {
            int score = screen_text_score(st, s, ox, oy, &busy);
            if (score > best) {
                best = score;
                st->origin_x = ox;
                st->origin_y = oy;
                if (score * 2 >= busy)
                    return;
            }
        }
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
