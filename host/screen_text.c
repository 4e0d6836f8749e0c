/* screen_text.c: screen text from text modes, and from graphics modes by
 * matching character cells against bitmap fonts: the guest's VGA font and
 * 8x16 console and Unifont fonts installed on the host. */
#include "host/screen_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "models/vga/cp437.h"

#define SCREEN_TEXT_MAX_COLOURS 64
/* The origin search gives up on cells of more colours than this: text over
 * flat ground, with a shadow and a highlight bar's edge, has a few. */
#define SCREEN_TEXT_SEARCH_COLOURS 8
/* ... and on cells whose anchor row (below) has more colours than this. */
#define SCREEN_TEXT_ANCHOR_COLOURS 4
/* Dots a two-colour cell may differ from a glyph and still read as it: the
 * guest's console font may draw a few glyphs slightly differently from
 * every font known here. */
#define SCREEN_TEXT_FUZZY_DOTS 3
/* How far (per channel, 0-255) the dots of one blended glyph may differ. */
#define SCREEN_TEXT_BLEND_SPREAD 16
/* Largest font file read (Unifont's .hex is about 4 MB). */
#define SCREEN_TEXT_MAX_FILE (64u << 20)

/* How much a code point is preferred when glyphs share a bitmap, and how
 * far it is believed (see screen_text_match_at). */
enum screen_text_rank {
    SCREEN_TEXT_RANK_ASCII,    /* printable ASCII */
    SCREEN_TEXT_RANK_LATIN,    /* Latin-1 and Latin Extended letters */
    SCREEN_TEXT_RANK_ALPHABET, /* Greek and Cyrillic */
    SCREEN_TEXT_RANK_BOX,      /* box drawing and blocks */
    SCREEN_TEXT_RANK_SYMBOL,   /* everything else */
};

static enum screen_text_rank screen_text_rank(uint32_t cp)
{
    if (cp > 0x20 && cp < 0x7F)
        return SCREEN_TEXT_RANK_ASCII;
    if (cp >= 0xA1 && cp <= 0x24F)
        return SCREEN_TEXT_RANK_LATIN;
    if (cp >= 0x370 && cp <= 0x52F)
        return SCREEN_TEXT_RANK_ALPHABET;
    if (cp >= 0x2500 && cp <= 0x259F)
        return SCREEN_TEXT_RANK_BOX;
    return SCREEN_TEXT_RANK_SYMBOL;
}

/* Letters of some alphabet: believed where a symbol would not be. */
static bool screen_text_is_text(int cp)
{
    return cp >= 0 && screen_text_rank((uint32_t)cp) <= SCREEN_TEXT_RANK_ALPHABET;
}

static bool screen_text_printable(int cp)
{
    return cp > 0x20 && cp < 0x7F;
}

static bool screen_text_letter(int cp)
{
    return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9');
}

void screen_text_init(struct screen_text *st)
{
    memset(st, 0, sizeof *st);
    st->host_state = SCREEN_TEXT_HOST_PENDING;
    st->letter_anchor_row = -1;
}

static const uint8_t *screen_text_entry_rows(const struct screen_text *st, int id)
{
    return id < 256 ? st->glyphs[id] : st->host_rows[id - 256];
}

static uint32_t screen_text_entry_code(const struct screen_text *st, int id)
{
    return id < 256 ? cp437_to_unicode((uint8_t)id) : st->host_code[id - 256];
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

/* Returns the entry with exactly these rows, or -1. */
static int screen_text_lookup_entry(const struct screen_text *st, const uint8_t *rows)
{
    int h = st->cell_height;
    if (!h)
        return -1;
    uint32_t slot = screen_text_hash(rows, h) & (SCREEN_TEXT_TABLE - 1);
    for (int probe = 0; probe < SCREEN_TEXT_TABLE; probe++) {
        int entry = st->table[slot];
        if (!entry)
            return -1;
        if (memcmp(screen_text_entry_rows(st, entry - 1), rows, (size_t)h) == 0)
            return entry - 1;
        slot = (slot + 1) & (SCREEN_TEXT_TABLE - 1);
    }
    return -1;
}

/* Returns the code point of the glyph with exactly these rows, or -1. */
static int screen_text_lookup(const struct screen_text *st, const uint8_t *rows)
{
    int id = screen_text_lookup_entry(st, rows);
    return id < 0 ? -1 : (int)screen_text_entry_code(st, id);
}

/* Adds an entry; of entries with the same bitmap the best-ranked code
 * point stays (the first one added among equals). */
static void screen_text_insert(struct screen_text *st, int id)
{
    int h = st->cell_height;
    const uint8_t *rows = screen_text_entry_rows(st, id);
    if (screen_text_blank(rows, h))
        return;
    enum screen_text_rank rank = screen_text_rank(screen_text_entry_code(st, id));
    uint32_t slot = screen_text_hash(rows, h) & (SCREEN_TEXT_TABLE - 1);
    while (st->table[slot]) {
        int other = st->table[slot] - 1;
        if (memcmp(screen_text_entry_rows(st, other), rows, (size_t)h) == 0) {
            if (rank < screen_text_rank(screen_text_entry_code(st, other)))
                st->table[slot] = (uint16_t)(id + 1);
            return;
        }
        slot = (slot + 1) & (SCREEN_TEXT_TABLE - 1);
    }
    st->table[slot] = (uint16_t)(id + 1);
}

/* The entries the table keeps, in id order (deterministic). */
static bool screen_text_kept(const struct screen_text *st, int id)
{
    return screen_text_lookup_entry(st, screen_text_entry_rows(st, id)) == id;
}

/* What the origin search checks first: the bytes letters have per row. */
static void screen_text_index_letters(struct screen_text *st, const int *ids, int nids)
{
    memset(st->letter_rows, 0, sizeof st->letter_rows);
    st->letter_anchor_row = -1;
    for (int r = st->cell_height - 1; r >= 0; r--) {
        bool every = nids > 0;
        for (int i = 0; i < nids; i++) {
            uint8_t b = screen_text_entry_rows(st, ids[i])[r];
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
        for (int r = 0; r < st->cell_height; r++) {
            bool zero_ok = st->letter_rows[r][0] & 1;
            bool only_zero = zero_ok && st->letter_rows[r][0] == 1 && !st->letter_rows[r][1] &&
                             !st->letter_rows[r][2] && !st->letter_rows[r][3];
            int kind = !zero_ok ? 0 : only_zero ? 1 : 2;
            if (kind == pass)
                st->letter_row_order[n++] = (uint8_t)r;
        }
}

/* Rebuilds the matching table from the guest font and the host fonts.
 * The cell height is the guest font's (the host fonts join when they are
 * as tall), or the host fonts' when the guest has none. */
static void screen_text_build(struct screen_text *st)
{
    memset(st->table, 0, sizeof st->table);
    st->nascii = 0;
    st->origin_width = st->origin_height = 0;
    st->searched = false;
    st->cell_height = st->font_height ? st->font_height
                      : st->host_glyphs ? SCREEN_TEXT_HOST_HEIGHT
                                        : 0;
    if (!st->cell_height)
        return;
    if (st->font_height)
        for (int c = 0; c < 256; c++)
            screen_text_insert(st, c);
    bool host = st->cell_height == SCREEN_TEXT_HOST_HEIGHT;
    if (host)
        for (int i = 0; i < st->host_glyphs; i++)
            screen_text_insert(st, 256 + i);
    int nentries = host ? 256 + st->host_glyphs : 256;
    int *letters = malloc(sizeof *letters * (size_t)nentries);
    int nletters = 0;
    for (int id = st->font_height ? 0 : 256; id < nentries; id++) {
        if (!screen_text_kept(st, id))
            continue;
        int cp = (int)screen_text_entry_code(st, id);
        if (screen_text_printable(cp) && st->nascii < SCREEN_TEXT_MAX_ASCII)
            st->ascii[st->nascii++] = (uint16_t)id;
        if (screen_text_letter(cp) && letters)
            letters[nletters++] = id;
    }
    screen_text_index_letters(st, letters, nletters);
    free(letters);
}

int screen_text_set_font(struct screen_text *st, const uint8_t *glyphs, int height)
{
    if (height < 1 || height > 32)
        return -1;
    memcpy(st->glyphs, glyphs, sizeof st->glyphs);
    st->font_height = height;
    screen_text_build(st);
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

/* --- host font files ----------------------------------------------------- */

/* Reads a whole file, gzipped or not (zlib reads plain files as they are).
 * Returns a malloc'ed buffer, or NULL with err set. */
static uint8_t *screen_text_slurp(const char *path, size_t *size, struct cw_error *err)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        cw_errorf(err, "%s: %s", path, errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    size_t cap = 1u << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= SCREEN_TEXT_MAX_FILE) {
                cw_errorf(err, "%s: larger than %u bytes", path, SCREEN_TEXT_MAX_FILE);
                free(buf);
                buf = NULL;
                break;
            }
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        int got = gzread(f, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            cw_errorf(err, "%s: read error", path);
            free(buf);
            buf = NULL;
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    gzclose(f);
    if (!buf && !err->msg[0])
        cw_errorf(err, "%s: out of memory", path);
    *size = n;
    return buf;
}

static int screen_text_add_host_glyph(struct screen_text *st, const uint8_t *rows, uint32_t cp)
{
    if (st->host_glyphs == SCREEN_TEXT_HOST_GLYPHS)
        return -1;
    memcpy(st->host_rows[st->host_glyphs], rows, SCREEN_TEXT_HOST_HEIGHT);
    st->host_code[st->host_glyphs++] = cp;
    return 0;
}

/* One UTF-8 character of a PSF 2 Unicode table; returns its length. */
static size_t screen_text_utf8_decode(const uint8_t *p, size_t left, uint32_t *cp)
{
    int len = p[0] < 0x80 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
    if ((size_t)len > left) {
        *cp = 0;
        return left;
    }
    static const uint8_t lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t u = p[0] & lead_mask[len];
    for (int i = 1; i < len; i++)
        u = u << 6 | (p[i] & 0x3F);
    *cp = u;
    return (size_t)len;
}

/* PSF 1 (magic 36 04) and PSF 2 (magic 72 B5 4A 86) console fonts, as
 * described in the kbd package's psf documentation: a header, the glyph
 * bitmaps (one byte per row for 8-dot-wide glyphs), then, if flagged, per
 * glyph the code points it shows (PSF 1: 16-bit little-endian, 0xFFFE
 * starts a sequence, 0xFFFF ends the glyph; PSF 2: UTF-8, 0xFE and 0xFF).
 * Without the table the glyphs are in CP437 order. */
static int screen_text_load_psf(struct screen_text *st, const char *path, const uint8_t *b,
                                size_t n, struct cw_error *err)
{
    uint32_t count, height, width, bytes, header;
    bool unicode, psf2 = n >= 32 && b[0] == 0x72 && b[1] == 0xB5 && b[2] == 0x4A && b[3] == 0x86;
    if (psf2) {
        uint32_t f[8];
        for (int i = 0; i < 8; i++)
            f[i] = (uint32_t)b[i * 4] | (uint32_t)b[i * 4 + 1] << 8 |
                   (uint32_t)b[i * 4 + 2] << 16 | (uint32_t)b[i * 4 + 3] << 24;
        header = f[2];
        unicode = f[3] & 1;
        count = f[4];
        bytes = f[5];
        height = f[6];
        width = f[7];
    } else {
        header = 4;
        unicode = b[2] & 0x06;
        count = b[2] & 1 ? 512 : 256;
        bytes = height = b[3];
        width = 8;
    }
    if (width != 8 || height != SCREEN_TEXT_HOST_HEIGHT || bytes != height)
        return cw_errorf(err, "%s: a %ux%u font; only 8x16 fonts are read", path, width, height);
    if (count > 65536 || header > n || (size_t)count * bytes > n - header)
        return cw_errorf(err, "%s: truncated PSF font", path);
    const uint8_t *glyph = b + header;
    size_t at = header + (size_t)count * bytes;
    for (uint32_t g = 0; g < count; g++) {
        const uint8_t *rows = glyph + (size_t)g * bytes;
        if (!unicode) {
            uint32_t cp = cp437_to_unicode((uint8_t)g);
            if (g < 256 && cp > 0x20 && screen_text_add_host_glyph(st, rows, cp))
                return cw_errorf(err, "%s: more than %d glyphs in all", path,
                                 SCREEN_TEXT_HOST_GLYPHS);
            continue;
        }
        bool in_sequence = false;
        while (at < n) {
            uint32_t cp;
            if (psf2) {
                if (b[at] == 0xFF) {
                    at++;
                    break;
                }
                if (b[at] == 0xFE) {
                    in_sequence = true;
                    at++;
                    continue;
                }
                at += screen_text_utf8_decode(b + at, n - at, &cp);
            } else {
                if (at + 2 > n) {
                    at = n;
                    break;
                }
                cp = (uint32_t)b[at] | (uint32_t)b[at + 1] << 8;
                at += 2;
                if (cp == 0xFFFF)
                    break;
                if (cp == 0xFFFE) {
                    in_sequence = true;
                    continue;
                }
            }
            /* A sequence (a letter with combining marks) is not one
             * character of text. */
            if (in_sequence || cp <= 0x20)
                continue;
            if (screen_text_add_host_glyph(st, rows, cp))
                return cw_errorf(err, "%s: more than %d glyphs in all", path,
                                 SCREEN_TEXT_HOST_GLYPHS);
        }
    }
    return 0;
}

static int screen_text_hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* GNU Unifont .hex: lines "CODE:BITMAP", the code point in hex, the bitmap
 * 32 hex digits for an 8x16 glyph (one byte per row) or 64 for a 16x16
 * one. The 8x16 glyphs are kept, except the Private Use Area's. */
static int screen_text_load_hex(struct screen_text *st, const char *path, const uint8_t *b,
                                size_t n, struct cw_error *err)
{
    size_t at = 0;
    int lines = 0;
    while (at < n) {
        size_t end = at;
        while (end < n && b[end] != '\n')
            end++;
        uint32_t cp = 0;
        size_t i = at;
        int digits = 0;
        for (; i < end && screen_text_hex_digit(b[i]) >= 0 && digits < 8; i++, digits++)
            cp = cp << 4 | (uint32_t)screen_text_hex_digit(b[i]);
        size_t len = end - i;
        if (end > at && b[end - 1] == '\r')
            len--;
        if (digits && i < end && b[i] == ':') {
            lines++;
            uint8_t rows[SCREEN_TEXT_HOST_HEIGHT];
            bool ok = len == 1 + 2 * SCREEN_TEXT_HOST_HEIGHT;
            for (int r = 0; ok && r < SCREEN_TEXT_HOST_HEIGHT; r++) {
                int hi = screen_text_hex_digit(b[i + 1 + 2 * r]);
                int lo = screen_text_hex_digit(b[i + 2 + 2 * r]);
                ok = hi >= 0 && lo >= 0;
                rows[r] = (uint8_t)(hi << 4 | lo);
            }
            bool private_use = cp >= 0xE000 && cp <= 0xF8FF;
            if (ok && !private_use && cp > 0x20 && screen_text_add_host_glyph(st, rows, cp))
                return cw_errorf(err, "%s: more than %d glyphs in all", path,
                                 SCREEN_TEXT_HOST_GLYPHS);
        }
        at = end + 1;
    }
    if (!lines)
        return cw_errorf(err, "%s: neither a PSF font nor a .hex font", path);
    return 0;
}

static int screen_text_load_file(struct screen_text *st, const char *path, struct cw_error *err)
{
    size_t n;
    errno = 0;
    uint8_t *b = screen_text_slurp(path, &n, err);
    if (!b)
        return -1;
    bool psf1 = n >= 4 && b[0] == 0x36 && b[1] == 0x04;
    bool psf2 = n >= 32 && b[0] == 0x72 && b[1] == 0xB5 && b[2] == 0x4A && b[3] == 0x86;
    int before = st->host_glyphs;
    int rc = psf1 || psf2 ? screen_text_load_psf(st, path, b, n, err)
                          : screen_text_load_hex(st, path, b, n, err);
    free(b);
    /* A file is used whole or not at all. */
    if (rc)
        st->host_glyphs = before;
    return rc;
}

/* Loads the fonts of a ':'-separated list of files. A file that cannot be
 * read is skipped: with `report` said once on stderr, and the first such
 * error goes to err. Returns 0 when every file loaded, else -1. */
static int screen_text_load_list(struct screen_text *st, const char *paths, bool report,
                                 struct cw_error *err)
{
    int rc = 0;
    st->host_glyphs = 0;
    for (const char *p = paths; *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        char path[4096];
        if (len > 0 && len < sizeof path) {
            memcpy(path, p, len);
            path[len] = '\0';
            struct cw_error file_err = {{0}};
            if (screen_text_load_file(st, path, &file_err)) {
                if (report)
                    fprintf(stderr,
                            "screen text: %s; graphics screens are read without it (fonts: "
                            "packages console-setup-linux and unifont, or %s)\n",
                            file_err.msg, SCREEN_TEXT_FONTS_ENV);
                if (rc == 0 && err)
                    *err = file_err;
                rc = -1;
            }
        }
        p += len + (colon ? 1 : 0);
    }
    st->host_state = SCREEN_TEXT_HOST_LOADED;
    screen_text_build(st);
    return rc;
}

int screen_text_load_fonts(struct screen_text *st, const char *paths, struct cw_error *err)
{
    return screen_text_load_list(st, paths ? paths : "", false, err);
}

/* The default host fonts (or the environment's list), read on the first
 * graphics read. A file that cannot be read is reported once. */
static void screen_text_load_host_fonts(struct screen_text *st)
{
    const char *env = getenv(SCREEN_TEXT_FONTS_ENV);
    screen_text_load_list(st, env ? env : SCREEN_TEXT_DEFAULT_FONTS, true, NULL);
}

/* --- matching ------------------------------------------------------------ */

/* The nearest printable ASCII character within SCREEN_TEXT_FUZZY_DOTS
 * differing dots, if it is strictly nearer than any other character; -1
 * otherwise. */
static int screen_text_nearest(const struct screen_text *st, const uint8_t *rows, int *distance)
{
    int best = -1, best_d = SCREEN_TEXT_FUZZY_DOTS + 1, second_d = SCREEN_TEXT_FUZZY_DOTS + 1;
    for (int i = 0; i < st->nascii; i++) {
        const uint8_t *g = screen_text_entry_rows(st, st->ascii[i]);
        int d = 0;
        for (int r = 0; r < st->cell_height && d <= SCREEN_TEXT_FUZZY_DOTS; r++)
            d += __builtin_popcount((unsigned)(g[r] ^ rows[r]));
        int cp = (int)screen_text_entry_code(st, st->ascii[i]);
        /* Two bitmaps of one character (the guest's and a host font's)
         * do not compete. */
        if (d < best_d) {
            if (cp != best)
                second_d = best_d;
            best_d = d;
            best = cp;
        } else if (d < second_d && cp != best) {
            second_d = d;
        }
    }
    *distance = best_d;
    return best >= 0 && best_d < second_d ? best : -1;
}

/* The colours of the cell at (x, y) and, for each, the bitmap of its dots
 * (one byte per row, bit 7 leftmost). Returns the number of colours, or -1
 * if there are more than max_colours (a picture, not text). */
static int screen_text_cell_colours(const struct screen_text *st, const struct display_surface *s,
                                    int x, int y, int max_colours, uint8_t masks[][32],
                                    int *count, uint32_t *colour)
{
    int h = st->cell_height;
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
            for (int r = 0; r < st->cell_height; r++)
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

/* Whether the dots are one rectangle flush with three or four sides of
 * the cell (a half block, a scan line at the top, a bar at the side). */
static bool screen_text_flat_edge(const uint8_t *rows, int h)
{
    int top = -1, bottom = -1;
    uint8_t span = 0;
    for (int r = 0; r < h; r++) {
        if (!rows[r])
            continue;
        if (top >= 0 && (rows[r] != span || bottom != r - 1))
            return false;
        if (top < 0)
            top = r;
        span = rows[r];
        bottom = r;
    }
    if (top < 0)
        return false;
    /* One run of dots per row. */
    uint8_t low = (uint8_t)(span & -span);
    if (((span + low) & span) & 0xFF)
        return false;
    int sides = (top == 0) + (bottom == h - 1) + ((span & 0x80) != 0) + ((span & 0x01) != 0);
    return sides >= 3;
}

static int screen_text_match_at(const struct screen_text *st, const struct display_surface *s,
                                int x, int y, bool fuzzy)
{
    int h = st->cell_height;
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
    bool text = false;
    for (int k = 0; k < ncolours; k++) {
        int id = screen_text_lookup_entry(st, masks[k]);
        if (id < 0)
            continue;
        int code = (int)screen_text_entry_code(st, id);
        bool a = screen_text_is_text(code);
        /* Block, line and symbol glyphs are believed on plain ground (with
         * a shadow at most): over a picture, flat shapes are everywhere.
         * Unifont's many partial blocks and scan lines are what the edge
         * of a flat area looks like anywhere. */
        if (!a && (ncolours > 3 || (id >= 256 && screen_text_flat_edge(masks[k], h))))
            continue;
        matches++;
        /* Letters first, then the least common colour: the glyph is the
         * foreground, the rest is ground. */
        if (best < 0 || (a && !text) || (a == text && count[k] < best_count)) {
            best = code;
            best_count = count[k];
            text = a;
        }
    }
    /* Two colours that both draw a block or line glyph are the edge
     * between two flat areas of a picture, not a character. */
    if (matches > 1 && !text)
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
    for (int k = 0; k < st->cell_height; k++) {
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
    int h = st->cell_height;
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
    for (int y = oy; y + st->cell_height <= s->height; y += st->cell_height)
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
    int h = st->cell_height;
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

/* UTF-8 of a code point below 0x110000; returns the number of bytes. */
static size_t screen_text_utf8(uint32_t u, char out[4])
{
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xC0 | u >> 6);
        out[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (char)(0xE0 | u >> 12);
        out[1] = (char)(0x80 | (u >> 6 & 0x3F));
        out[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | u >> 18);
    out[1] = (char)(0x80 | (u >> 12 & 0x3F));
    out[2] = (char)(0x80 | (u >> 6 & 0x3F));
    out[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

size_t screen_text_match(struct screen_text *st, const struct display_surface *s, char *buf,
                         size_t len)
{
    if (len)
        buf[0] = '\0';
    if (st->host_state == SCREEN_TEXT_HOST_PENDING && s && s->pixels)
        screen_text_load_host_fonts(st);
    if (!st->cell_height || !s || !s->pixels || s->width < 8 || s->height < st->cell_height ||
        !len)
        return 0;
    screen_text_find_origin(st, s);
    size_t n = 0;
    for (int y = st->origin_y; y + st->cell_height <= s->height; y += st->cell_height) {
        if (y != st->origin_y) {
            if (n + 1 >= len)
                break;
            buf[n++] = '\n';
        }
        for (int x = st->origin_x; x + 8 <= s->width; x += 8) {
            int code = screen_text_match_at(st, s, x, y, true);
            char utf8[4];
            size_t k = screen_text_utf8(code < 0 ? 0x20 : (uint32_t)code, utf8);
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
