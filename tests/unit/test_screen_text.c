/* test_screen_text.c: reading screen text. Text modes go through the
 * display's text(); graphics screens are read by matching cells against
 * the font the guest loaded into VGA plane 2: fbcon-like two-colour text
 * at the origin, vesamenu-like text at an offset grid with a shadow over a
 * many-coloured background, duplicate glyphs, and the whole path from a
 * font written through the VGA window to a 32-bpp VBE screen. Then the
 * host's fonts: PSF 1 and 2 and Unifont .hex files made here, and real
 * frames of Linux's framebuffer console and of the Debian installer's
 * "Select a language" screen read with the fonts Debian installs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "host/png.h"
#include "host/screen_text.h"
#include "models/vga/vga.h"

/* A synthetic 8x16 font: every code gets rows 2-13 from a hash, so glyphs
 * are distinct; 0x00, 0x20 and 0xFF are blank and 0x80 copies 'A'. */
static uint8_t font[256 * 32];

static void make_font(void)
{
    memset(font, 0, sizeof font);
    for (unsigned c = 1; c < 255; c++) {
        if (c == 0x20)
            continue;
        uint32_t h = c * 2654435761u;
        for (unsigned r = 2; r < 14; r++) {
            h ^= h >> 13;
            h *= 0x5BD1E995u;
            h ^= h >> 15;
            font[c * 32 + r] = (uint8_t)(h >> 8);
        }
    }
    memcpy(font + 0x80 * 32, font + 'A' * 32, 32);
}

struct canvas {
    uint32_t *px;
    int w, h;
};

static void canvas_init(struct canvas *cv, int w, int h, uint32_t bg, bool gradient)
{
    cv->w = w;
    cv->h = h;
    cv->px = malloc(sizeof *cv->px * (size_t)w * (size_t)h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            cv->px[y * w + x] = gradient ? (uint32_t)((x / 3) << 16 | (y / 5) << 8 | 0x40) : bg;
}

/* Draws text at (x0, y0): optional shadow at +1,+1 first, then the glyphs. */
static void canvas_text(struct canvas *cv, int x0, int y0, const char *s, uint32_t fg,
                        uint32_t shadow, bool with_shadow)
{
    for (int pass = with_shadow ? 0 : 1; pass < 2; pass++)
        for (int i = 0; s[i]; i++)
            for (int r = 0; r < 16; r++)
                for (int b = 0; b < 8; b++) {
                    if (!((font[(uint8_t)s[i] * 32 + r] >> (7 - b)) & 1))
                        continue;
                    int x = x0 + i * 8 + b + (pass == 0), y = y0 + r + (pass == 0);
                    if (x < cv->w && y < cv->h)
                        cv->px[y * cv->w + x] = pass == 0 ? shadow : fg;
                }
}

static struct display_surface canvas_surface(const struct canvas *cv)
{
    return (struct display_surface){cv->px, cv->w, cv->h, cv->w, 1};
}

static int setup(void **state)
{
    (void)state;
    make_font();
    return 0;
}

static const char *row_of(const char *text, int row)
{
    while (row-- > 0) {
        text = strchr(text, '\n');
        if (!text)
            return "";
        text++;
    }
    return text;
}

static void test_font_table(void **state)
{
    (void)state;
    struct screen_text st;
    screen_text_init(&st);
    screen_text_load_fonts(&st, "", NULL); /* the guest font alone */
    assert_int_equal(screen_text_set_font(&st, font, 0), -1);
    assert_int_equal(screen_text_set_font(&st, font, 33), -1);
    assert_int_equal(screen_text_set_font(&st, font, 16), 0);
    struct canvas cv;
    canvas_init(&cv, 32, 16, 0x000000, false);
    canvas_text(&cv, 0, 0, "A\x80 ", 0xFFFFFF, 0, false);
    struct display_surface s = canvas_surface(&cv);
    assert_int_equal(screen_text_match_cell(&st, &s, 0, 0), 'A');
    /* 0x80 has the same bitmap: printable ASCII wins. */
    assert_int_equal(screen_text_match_cell(&st, &s, 8, 0), 'A');
    assert_int_equal(screen_text_match_cell(&st, &s, 16, 0), 0x20); /* uniform */
    /* An unknown shape reads as no match. */
    cv.px[24 + 3] = 0xFFFFFF;
    assert_int_equal(screen_text_match_cell(&st, &s, 24, 0), -1);
    free(cv.px);
}

static void test_fbcon_like_screen(void **state)
{
    (void)state;
    struct screen_text st;
    screen_text_init(&st);
    screen_text_load_fonts(&st, "", NULL); /* the guest font alone */
    screen_text_set_font(&st, font, 16);
    struct canvas cv;
    canvas_init(&cv, 800, 600, 0x0000AA, false);
    canvas_text(&cv, 0, 0, "Select a language", 0xFFFFFF, 0, false);
    canvas_text(&cv, 8 * 10, 16 * 20, "English", 0xFFFF55, 0, false);
    struct display_surface s = canvas_surface(&cv);
    char buf[16384];
    size_t n = screen_text_match(&st, &s, buf, sizeof buf);
    assert_true(n > 0);
    assert_memory_equal(buf, "Select a language ", 18);
    assert_memory_equal(row_of(buf, 20) + 10, "English", 7);
    /* 100 columns, 37 rows (the last partial row is not read). */
    assert_int_equal(strchr(buf, '\n') - buf, 100);
    int rows = 1;
    for (size_t i = 0; i < n; i++)
        rows += buf[i] == '\n';
    assert_int_equal(rows, 37);
    free(cv.px);
}

static void test_near_glyph_reads_in_two_colour_cells(void **state)
{
    (void)state;
    struct screen_text st;
    screen_text_init(&st);
    screen_text_load_fonts(&st, "", NULL); /* the guest font alone */
    screen_text_set_font(&st, font, 16);
    struct canvas cv;
    canvas_init(&cv, 800, 600, 0x000000, false);
    canvas_text(&cv, 0, 0, "Language", 0xAAAAAA, 0, false);
    /* The console font draws 'g' two dots differently from the BIOS font. */
    cv.px[15 * 800 + 5 * 8 + 0] ^= 0xAAAAAA;
    cv.px[14 * 800 + 5 * 8 + 7] ^= 0xAAAAAA;
    struct display_surface s = canvas_surface(&cv);
    assert_int_equal(screen_text_match_cell(&st, &s, 5 * 8, 0), -1);
    char buf[16384];
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_memory_equal(buf, "Language ", 9);
    free(cv.px);
}

static void test_offset_grid_with_shadow_over_picture(void **state)
{
    (void)state;
    struct screen_text st;
    screen_text_init(&st);
    screen_text_load_fonts(&st, "", NULL); /* the guest font alone */
    screen_text_set_font(&st, font, 16);
    struct canvas cv;
    canvas_init(&cv, 640, 480, 0, true);
    canvas_text(&cv, 4 + 8 * 5, 7 + 16 * 3, "Install", 0xFFFFFF, 0x202020, true);
    canvas_text(&cv, 4 + 8 * 5, 7 + 16 * 4, "Graphical install", 0x76A1D0, 0x000000, true);
    struct display_surface s = canvas_surface(&cv);
    char buf[16384];
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.origin_x, 4);
    assert_int_equal(st.origin_y, 7);
    assert_memory_equal(row_of(buf, 3) + 5, "Install", 7);
    assert_memory_equal(row_of(buf, 4) + 5, "Graphical install", 17);
    assert_non_null(strstr(buf, "Graphical install"));
    free(cv.px);
}

/* --- through the display interface --------------------------------------- */

static size_t fake_text(void *opaque, char *buf, size_t len)
{
    const char *t = opaque;
    size_t n = strlen(t) < len ? strlen(t) : len - 1;
    memcpy(buf, t, n);
    buf[n] = '\0';
    return n;
}

static const struct display_surface *fake_update(void *opaque)
{
    (void)opaque;
    return NULL;
}

static void test_text_mode_uses_display_text(void **state)
{
    (void)state;
    struct screen_text st;
    screen_text_init(&st);
    screen_text_load_fonts(&st, "", NULL); /* the guest font alone */
    struct display_iface d = {fake_update, fake_text, NULL, (void *)"SeaBIOS (version 1.16.2)"};
    char buf[64];
    assert_int_equal(screen_text_read(&st, &d, buf, sizeof buf), 24);
    assert_string_equal(buf, "SeaBIOS (version 1.16.2)");
}

struct vga_rig {
    struct vga v;
    uint8_t *vram;
};

static int vga_glyphs(void *opaque, uint8_t out[256 * 32])
{
    return vga_font_glyphs(opaque, out);
}

static const struct display_surface *vga_display_update(void *opaque)
{
    return vga_update(opaque, 0);
}

static size_t vga_display_text(void *opaque, char *buf, size_t len)
{
    return vga_text(opaque, buf, len);
}

static void vga_out(struct vga *v, uint16_t port, uint8_t value)
{
    vga_port_write(v, port, value);
}

static void vga_idx(struct vga *v, uint16_t port, uint8_t i, uint8_t value)
{
    vga_out(v, port, i);
    vga_out(v, (uint16_t)(port + 1), value);
}

static void test_font_from_guest_plane2_on_vbe_screen(void **state)
{
    (void)state;
    struct vga_rig r;
    r.vram = calloc(1, 16u << 20);
    assert_int_equal(vga_init(&r.v, r.vram, 16u << 20), 0);
    struct vga *v = &r.v;
    struct screen_text st;
    screen_text_init(&st);
    screen_text_load_fonts(&st, "", NULL); /* the guest font alone */
    struct vga_font_iface vf = {vga_glyphs, v};
    /* No text mode displayed yet: no font. */
    assert_int_equal(screen_text_font_from_vga(&st, &vf), -1);

    /* A text mode (80x25, 16-line cells) with the font loaded into plane 2
     * through the window, as the VGA BIOS does. */
    vga_out(v, 0x3C2, 0x67);
    vga_idx(v, 0x3C4, 1, 0x00);
    vga_idx(v, 0x3D4, 0x01, 0x4F);
    vga_idx(v, 0x3D4, 0x09, 0x4F);
    vga_idx(v, 0x3D4, 0x12, 0x8F);
    vga_idx(v, 0x3D4, 0x07, 0x1F);
    vga_idx(v, 0x3D4, 0x13, 0x28);
    vga_idx(v, 0x3D4, 0x17, 0xA3);
    vga_idx(v, 0x3C4, 2, 0x04);
    vga_idx(v, 0x3C4, 4, 0x06);
    vga_idx(v, 0x3CE, 5, 0x00);
    vga_idx(v, 0x3CE, 6, 0x04);
    vga_idx(v, 0x3CE, 8, 0xFF);
    for (uint32_t i = 0; i < sizeof font; i++)
        vga_mem_write(v, i, font[i]);
    vga_idx(v, 0x3C4, 2, 0x03);
    vga_idx(v, 0x3C4, 4, 0x02);
    vga_idx(v, 0x3CE, 5, 0x10);
    vga_idx(v, 0x3CE, 6, 0x0E);
    (void)vga_port_read(v, 0x3DA, 0);
    vga_out(v, 0x3C0, 0x20);
    const char *msg = "Booting";
    for (uint32_t i = 0; msg[i]; i++)
        vga_mem_write(v, 0x18000 + 2 * i, (uint8_t)msg[i]);
    struct display_iface d = {vga_display_update, vga_display_text, NULL, v};
    char buf[16384];
    assert_true(screen_text_read(&st, &d, buf, sizeof buf) > 0);
    assert_memory_equal(buf, "Booting", 7);
    (void)vga_update(v, 0);

    /* Linux switches to an 800x600x32 VBE mode; the font stays known. */
    bochs_dispi_write(v, DISPI_INDEX_BPP, 32);
    bochs_dispi_write(v, DISPI_INDEX_XRES, 800);
    bochs_dispi_write(v, DISPI_INDEX_YRES, 600);
    bochs_dispi_write(v, DISPI_INDEX_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
    assert_int_equal(screen_text_font_from_vga(&st, &vf), 0);
    assert_int_equal(st.font_height, 16);
    const char *title = "Select a language";
    for (int i = 0; title[i]; i++)
        for (int row = 0; row < 16; row++)
            for (int b = 0; b < 8; b++) {
                bool on = (font[(uint8_t)title[i] * 32 + row] >> (7 - b)) & 1;
                uint32_t off = ((uint32_t)(32 + row) * 800 + (uint32_t)(16 + i * 8 + b)) * 4;
                r.vram[off] = on ? 0xFF : 0xAA; /* white on blue, BGRX */
                r.vram[off + 1] = on ? 0xFF : 0x00;
                r.vram[off + 2] = on ? 0xFF : 0x00;
            }
    assert_true(screen_text_read(&st, &d, buf, sizeof buf) > 0);
    assert_memory_equal(row_of(buf, 2) + 2, "Select a language", 17);
    vga_free(v);
    free(r.vram);
}


/* --- real vesamenu frames ------------------------------------------------ */

#define VGABIOS "/usr/share/seabios/vgabios-stdvga.bin"

/* The 8x16 font of the VGA BIOS, the one vesamenu asks for with INT 10h
 * AX=1130h. It is found by the shape every CP437 8x16 font has (blank
 * glyphs 0x00, 0x20 and 0xFF, and a full block at 0xDB), so no glyph is
 * copied into this test. Returns false if the ROM is absent. */
static bool load_rom_font(uint8_t out[256 * 32])
{
    FILE *f = fopen(VGABIOS, "rb");
    if (!f)
        return false;
    static uint8_t rom[128 * 1024];
    size_t n = fread(rom, 1, sizeof rom, f);
    fclose(f);
    static const uint8_t blank[16], full[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    long found = -1;
    int candidates = 0;
    for (size_t at = 0; at + 4096 <= n; at++) {
        const uint8_t *g = rom + at;
        if (memcmp(g, blank, 16) == 0 && memcmp(g + 0x20 * 16, blank, 16) == 0 &&
            memcmp(g + 0xFF * 16, blank, 16) == 0 && memcmp(g + 0xDB * 16, full, 16) == 0) {
            found = (long)at;
            candidates++;
        }
    }
    /* Exactly one table has that shape (the 8x8 and 8x14 fonts are
     * smaller); anything else means this is not the ROM we know. */
    assert_int_equal(candidates, 1);
    memset(out, 0, 256 * 32);
    for (int c = 0; c < 256; c++)
        memcpy(out + c * 32, rom + found + c * 16, 16);
    return true;
}

static struct display_surface load_frame(const char *path, uint64_t frame)
{
    uint32_t *pixels;
    int w, h;
    struct cw_error err;
    if (png_read_rgb(path, &pixels, &w, &h, &err) != 0)
        fail_msg("%s", err.msg);
    return (struct display_surface){pixels, w, h, w, frame};
}

static void test_vesamenu_menu_frame(void **state)
{
    (void)state;
    static uint8_t rom_font[256 * 32];
    if (!load_rom_font(rom_font))
        skip();
    struct screen_text st;
    screen_text_init(&st);
    assert_int_equal(screen_text_set_font(&st, rom_font, 16), 0);
    /* 408x88 from (117, 141) of the 640x480 menu: vesamenu's grid starts
     * at (0, 8) of the screen, so at (3, 11) of the crop. White glyphs
     * with a black shadow one dot right and down, over the splash's dark
     * blue and over the highlight bar of the selected entry. */
    struct display_surface s = load_frame("tests/unit/data/vesamenu-menu.png", 1);
    char buf[16384];
    assert_true(screen_text_match(&st, &s, buf, sizeof buf) > 0);
    assert_int_equal(st.origin_x, 3);
    assert_int_equal(st.origin_y, 11);
    assert_memory_equal(row_of(buf, 0), "   Debian GNU/Linux installer menu (BIOS mode)    \n", 51);
    assert_memory_equal(row_of(buf, 1), "                                                  \n", 51);
    assert_memory_equal(row_of(buf, 2), "  Graphical install                               \n", 51);
    assert_memory_equal(row_of(buf, 3), "  Install                                         ", 50);
    assert_int_equal(strlen(row_of(buf, 3)), 50);
    /* The cell reader agrees: 'D' at column 3. */
    assert_int_equal(screen_text_match_cell(&st, &s, 3 + 3 * 8, 11), 'D');
    assert_int_equal(st.searches, 1);

    /* The same frame again, and a new frame with the grid in place: no
     * new search. */
    screen_text_match(&st, &s, buf, sizeof buf);
    s.frame = 2;
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.searches, 1);
    assert_non_null(strstr(buf, "Graphical install"));
    free((void *)s.pixels);
}

static void test_vesamenu_picture_reads_blank(void **state)
{
    (void)state;
    static uint8_t rom_font[256 * 32];
    if (!load_rom_font(rom_font))
        skip();
    struct screen_text st;
    screen_text_init(&st);
    screen_text_set_font(&st, rom_font, 16);
    /* 200x144 of the splash's lower right corner: the swirl and the
     * anti-aliased "debian 13" logo, no text in the VGA font. */
    struct display_surface s = load_frame("tests/unit/data/vesamenu-splash.png", 1);
    char buf[16384];
    screen_text_match(&st, &s, buf, sizeof buf);
    for (const char *p = buf; *p; p++)
        if (*p != ' ' && *p != '\n')
            fail_msg("picture read as text: '%s'", buf);
    /* A frame without text is searched once, not on every read. */
    assert_int_equal(st.searches, 1);
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.searches, 1);
    free((void *)s.pixels);
}

static void test_vesamenu_command_line_blended_over_picture(void **state)
{
    (void)state;
    static uint8_t rom_font[256 * 32];
    if (!load_rom_font(rom_font))
        skip();
    struct screen_text st;
    screen_text_init(&st);
    screen_text_set_font(&st, rom_font, 16);
    /* 600x24 from (5, 370) of the menu after Tab: the command line editor
     * on row 23, drawn with an alpha below one over the splash's curves
     * and the swirl, so each glyph has several close colours (and its
     * shadow too). The grid is at (3, 6) of the crop. */
    struct display_surface s = load_frame("tests/unit/data/vesamenu-cmdline.png", 1);
    char buf[4096];
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.origin_x, 3);
    assert_int_equal(st.origin_y, 6);
    assert_string_equal(buf,
                        "> /install.amd/vmlinuz vga=788 initrd=/install.amd/initrd.gz --- quiet    ");
    /* Exact matching alone reads the cells over the gradient as nothing:
     * the '=' of "vga=788" (column 26) has glyph dots of two colours. */
    assert_int_equal(screen_text_match_cell(&st, &s, 3 + 26 * 8, 6), -1);
    free((void *)s.pixels);
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The run driver reads the screen while the guest runs: a whole 640x480
 * menu (the crop pasted where vesamenu draws it, over the splash crop
 * tiled as ground) must read, grid search included, in a few ms. */
static void test_vesamenu_full_screen_is_cheap(void **state)
{
    (void)state;
    static uint8_t rom_font[256 * 32];
    if (!load_rom_font(rom_font))
        skip();
    struct screen_text st;
    screen_text_init(&st);
    screen_text_set_font(&st, rom_font, 16);
    struct display_surface menu = load_frame("tests/unit/data/vesamenu-menu.png", 1);
    struct display_surface pic = load_frame("tests/unit/data/vesamenu-splash.png", 1);
    uint32_t *px = malloc(sizeof *px * 640 * 480);
    for (int y = 0; y < 480; y++)
        for (int x = 0; x < 640; x++)
            px[y * 640 + x] = pic.pixels[(y % pic.height) * pic.stride + x % pic.width];
    for (int y = 0; y < menu.height; y++)
        memcpy(px + (141 + y) * 640 + 117, menu.pixels + y * menu.stride,
               sizeof *px * (size_t)menu.width);
    struct display_surface s = {px, 640, 480, 640, 1};
    static char buf[65536];
    double t0 = cpu_ms();
    int reads = 20;
    for (int i = 0; i < reads; i++) {
        st.origin_width = 0; /* forget the grid: search every time */
        s.frame = (uint64_t)i + 1;
        screen_text_match(&st, &s, buf, sizeof buf);
    }
    double per_read = (cpu_ms() - t0) / reads;
    assert_int_equal(st.searches, reads);
    assert_int_equal(st.origin_x, 0);
    assert_int_equal(st.origin_y, 8);
    /* Rows 9 and 11 (the tiles' seams may read as line glyphs). */
    assert_ptr_equal(strstr(buf, "Debian GNU/Linux installer menu (BIOS mode)"),
                     row_of(buf, 9) + 18);
    const char *entry = strstr(buf, "Graphical install");
    assert_true(entry > row_of(buf, 11) && entry < row_of(buf, 12));
    /* About 1 ms on a 2020s laptop core. Reported, never asserted: a test
     * must not depend on the host's speed (make bench measures speed). */
    print_message("a search and read took %.1f ms\n", per_read);
    free(px);
    free((void *)menu.pixels);
    free((void *)pic.pixels);
}

/* --- host fonts: files made here ------------------------------------------ */

/* A scratch file name under /tmp, removed by the caller. */
static void temp_name(char *out, size_t len, const char *suffix)
{
    snprintf(out, len, "/tmp/cw-test-screen-text-%ld%s", (long)getpid(), suffix);
}

/* Writes the synthetic font's glyph for `from` as code point `cp`. */
static void hex_line(FILE *f, uint32_t cp, int from)
{
    fprintf(f, "%04X:", cp);
    for (int r = 0; r < 16; r++)
        fprintf(f, "%02X", font[from * 32 + r]);
    fputc('\n', f);
}

/* A Unifont-style .hex file: ASCII letters from the synthetic font, a
 * Cyrillic A with the bitmap of 'A', a wide glyph, a Private Use glyph
 * and a line that is not a glyph. */
static void write_hex_font(const char *path, int *glyphs)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    *glyphs = 0;
    for (int c = 0x21; c < 0x7F; c++, (*glyphs)++)
        hex_line(f, (uint32_t)c, c);
    hex_line(f, 0x0410, 'A'); /* Cyrillic A, drawn like A */
    (*glyphs)++;
    fprintf(f, "4E2D:01000100010001003FF8210821082108210821083FF821080100010001000100\n");
    hex_line(f, 0xE000, 0x01); /* Private Use: not kept */
    fprintf(f, "# not a glyph\n");
    fclose(f);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A PSF 2 font, gzipped, with a Unicode table: glyph i shows code point
 * 0x100 + i (Latin Extended), glyph 1 also U+0391 (Greek Alpha), glyph 2
 * only a sequence (a letter with a combining mark). */
static void write_psf2_font(const char *path, int height)
{
    uint8_t header[32];
    put_le32(header, 0x864AB572);
    put_le32(header + 4, 0);
    put_le32(header + 8, 32);
    put_le32(header + 12, 1);
    put_le32(header + 16, 4);
    put_le32(header + 20, (uint32_t)height);
    put_le32(header + 24, (uint32_t)height);
    put_le32(header + 28, 8);
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    gzwrite(f, header, sizeof header);
    for (int g = 0; g < 4; g++)
        gzwrite(f, font + (0x60 + g) * 32, (unsigned)height);
    static const uint8_t table[] = {0xC4, 0x80, 0xFF,                         /* U+0100 */
                                    0xC4, 0x81, 0xCE, 0x91, 0xFF,             /* U+0101, U+0391 */
                                    0xFE, 0x41, 0xCC, 0x81, 0xFF,             /* A + U+0301 */
                                    0xC4, 0x83, 0xFF};                        /* U+0103 */
    gzwrite(f, table, sizeof table);
    gzclose(f);
}

/* A PSF 1 font without a Unicode table: CP437 order. */
static void write_psf1_font(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint8_t header[4] = {0x36, 0x04, 0x00, 16};
    fwrite(header, 1, 4, f);
    for (int g = 0; g < 256; g++)
        fwrite(font + ((g + 7) & 0xFF) * 32, 1, 16, f); /* shapes differ from the guest's */
    fclose(f);
}

static void draw_glyph(struct canvas *cv, int x0, int y0, const uint8_t *rows, uint32_t fg)
{
    for (int r = 0; r < 16; r++)
        for (int b = 0; b < 8; b++)
            if (rows[r] >> (7 - b) & 1)
                cv->px[(y0 + r) * cv->w + x0 + b] = fg;
}

static void test_host_font_files(void **state)
{
    (void)state;
    char hex[128], psf2[128], psf1[128], small[128], list[1024];
    temp_name(hex, sizeof hex, ".hex");
    temp_name(psf2, sizeof psf2, ".psfu.gz");
    temp_name(psf1, sizeof psf1, ".psf");
    temp_name(small, sizeof small, "-8x8.psfu.gz");
    int hex_glyphs;
    write_hex_font(hex, &hex_glyphs);
    write_psf2_font(psf2, 16);
    write_psf1_font(psf1);
    write_psf2_font(small, 8);

    struct screen_text st;
    screen_text_init(&st);
    struct cw_error err = {{0}};
    snprintf(list, sizeof list, "%s:/nonexistent/font.hex:%s:%s:%s", hex, small, psf2, psf1);
    /* Every readable file is used; the first that is not is named. */
    assert_int_equal(screen_text_load_fonts(&st, list, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/font.hex"));
    /* .hex: 94 ASCII + Cyrillic A; PSF 2: 4 code points (the sequence is
     * not one); PSF 1: 254 in CP437 order (0x00 and 0x20 are spaces). The
     * 8x8 font is refused. */
    assert_int_equal(st.host_glyphs, hex_glyphs + 4 + 254);
    assert_int_equal(st.cell_height, 16);

    struct canvas cv;
    canvas_init(&cv, 64, 16, 0x000000, false);
    draw_glyph(&cv, 0, 0, font + 'A' * 32, 0xFFFFFF);  /* 'A' and U+0410 */
    draw_glyph(&cv, 8, 0, font + 0x61 * 32, 0xFFFFFF); /* PSF 2 glyph 1 */
    draw_glyph(&cv, 16, 0, font + 0x62 * 32, 0xFFFFFF); /* PSF 2 glyph 2: 'b' of the .hex */
    draw_glyph(&cv, 24, 0, font + 0x63 * 32, 0xFFFFFF); /* U+0103 and 'c' of the .hex */
    draw_glyph(&cv, 32, 0, font + 0x3A * 32, 0xFFFFFF); /* ':' (.hex) and PSF 1's 0x33 */
    draw_glyph(&cv, 40, 0, font + 0x07 * 32, 0xFFFFFF); /* PSF 1's 0x00: blank in CP437 */
    draw_glyph(&cv, 48, 0, font + 0x01 * 32, 0xFFFFFF); /* only the Private Use glyph */
    struct display_surface s = canvas_surface(&cv);
    /* Printable ASCII wins over Cyrillic, Latin over Greek. */
    assert_int_equal(screen_text_match_cell(&st, &s, 0, 0), 'A');
    assert_int_equal(screen_text_match_cell(&st, &s, 8, 0), 'a');
    assert_int_equal(screen_text_match_cell(&st, &s, 16, 0), 'b');
    assert_int_equal(screen_text_match_cell(&st, &s, 24, 0), 'c');
    assert_int_equal(screen_text_match_cell(&st, &s, 32, 0), ':');
    assert_int_equal(screen_text_match_cell(&st, &s, 40, 0), -1);
    assert_int_equal(screen_text_match_cell(&st, &s, 48, 0), 0xB7); /* PSF 1's 0xFA: CP437 middle dot */
    free(cv.px);

    /* The PSF 2 font alone: its own code points. */
    assert_int_equal(screen_text_load_fonts(&st, psf2, &err), 0);
    assert_int_equal(st.host_glyphs, 4);
    canvas_init(&cv, 24, 16, 0x102030, false);
    draw_glyph(&cv, 0, 0, font + 0x60 * 32, 0xFFFF55);
    draw_glyph(&cv, 8, 0, font + 0x61 * 32, 0xFFFF55);
    draw_glyph(&cv, 16, 0, font + 0x63 * 32, 0xFFFF55);
    s = canvas_surface(&cv);
    assert_int_equal(screen_text_match_cell(&st, &s, 0, 0), 0x100);
    assert_int_equal(screen_text_match_cell(&st, &s, 8, 0), 0x101);
    assert_int_equal(screen_text_match_cell(&st, &s, 16, 0), 0x103);
    char buf[64];
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_string_equal(buf, "\xC4\x80\xC4\x81\xC4\x83"); /* UTF-8 */
    free(cv.px);

    /* A refused file on its own. */
    assert_int_equal(screen_text_load_fonts(&st, small, &err), -1);
    assert_non_null(strstr(err.msg, "only 8x16"));
    assert_int_equal(st.host_glyphs, 0);
    assert_int_equal(st.cell_height, 0);
    remove(hex);
    remove(psf2);
    remove(psf1);
    remove(small);
}

/* bterm-like: no guest font, text in a host font on an offset grid, two
 * colours per cell, and a highlighted row. */
static void test_host_font_grid_search(void **state)
{
    (void)state;
    char hex[128];
    temp_name(hex, sizeof hex, "-grid.hex");
    int glyphs;
    write_hex_font(hex, &glyphs);
    struct screen_text st;
    screen_text_init(&st);
    assert_int_equal(screen_text_load_fonts(&st, hex, NULL), 0);
    assert_int_equal(st.font_height, 0);
    struct canvas cv;
    canvas_init(&cv, 1024, 768, 0x0000AA, false);
    for (int y = 0; y < 768; y++) /* a grey dialog from (21, 41) */
        for (int x = 21; x < 1000 && y >= 41; x++)
            cv.px[y * 1024 + x] = 0xAAAAAA;
    for (int x = 21 + 8 * 4; x < 21 + 8 * 40; x++) /* a red highlight bar, row 6 */
        for (int y = 9 + 16 * 6; y < 9 + 16 * 7; y++)
            cv.px[y * 1024 + x] = 0xAA0000;
    const char *title = "Select a language", *entry = "English";
    for (int i = 0; title[i]; i++)
        if (title[i] != ' ')
            draw_glyph(&cv, 21 + 8 * (10 + i), 9 + 16 * 3, font + title[i] * 32, 0xAA0000);
    for (int i = 0; entry[i]; i++)
        draw_glyph(&cv, 21 + 8 * (5 + i), 9 + 16 * 6, font + entry[i] * 32, 0xFFFFFF);
    struct display_surface s = canvas_surface(&cv);
    static char buf[65536];
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.origin_x, 5); /* 21 mod 8 */
    assert_int_equal(st.origin_y, 9);
    assert_memory_equal(row_of(buf, 3) + 2 + 10, "Select a language ", 18);
    assert_memory_equal(row_of(buf, 6) + 2 + 5, "English ", 8);
    /* The grid is kept while the text stays. */
    s.frame = 2;
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.searches, 1);
    free(cv.px);
    remove(hex);
}

/* Unifont has a block or scan line for every edge of a flat area: one that
 * fills a side of the cell is not read, box drawing in the middle is. */
static void test_host_flat_edges_are_not_characters(void **state)
{
    (void)state;
    char hex[128];
    temp_name(hex, sizeof hex, "-edges.hex");
    FILE *f = fopen(hex, "w");
    assert_non_null(f);
    fprintf(f, "23BA:FF000000000000000000000000000000\n"); /* scan line 1 */
    fprintf(f, "2590:0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F\n"); /* right half block */
    fprintf(f, "2500:00000000000000FF0000000000000000\n"); /* box drawing light horizontal */
    fprintf(f, "2502:10101010101010101010101010101010\n"); /* box drawing light vertical */
    fclose(f);
    struct screen_text st;
    screen_text_init(&st);
    assert_int_equal(screen_text_load_fonts(&st, hex, NULL), 0);
    struct canvas cv;
    canvas_init(&cv, 32, 16, 0x0000AA, false);
    for (int x = 0; x < 8; x++)
        cv.px[x] = 0xAAAAAA; /* the top edge of a grey area */
    for (int y = 0; y < 16; y++)
        for (int x = 12; x < 16; x++)
            cv.px[y * 32 + x] = 0xAAAAAA; /* the left edge of one */
    for (int x = 16; x < 24; x++)
        cv.px[7 * 32 + x] = 0xFFFFFF;
    for (int y = 0; y < 16; y++)
        cv.px[y * 32 + 24 + 3] = 0xFFFFFF;
    struct display_surface s = canvas_surface(&cv);
    assert_int_equal(screen_text_match_cell(&st, &s, 0, 0), -1);
    assert_int_equal(screen_text_match_cell(&st, &s, 8, 0), -1);
    assert_int_equal(screen_text_match_cell(&st, &s, 16, 0), 0x2500);
    assert_int_equal(screen_text_match_cell(&st, &s, 24, 0), 0x2502);
    free(cv.px);
    remove(hex);
}

static void test_missing_default_font_is_reported_once(void **state)
{
    (void)state;
    setenv(SCREEN_TEXT_FONTS_ENV, "/nonexistent/unifont.hex", 1);
    struct screen_text st;
    screen_text_init(&st);
    screen_text_set_font(&st, font, 16);
    struct canvas cv;
    canvas_init(&cv, 80, 16, 0x000000, false);
    canvas_text(&cv, 0, 0, "Install", 0xFFFFFF, 0, false);
    struct display_surface s = canvas_surface(&cv);
    char buf[64];
    /* The first graphics read tries the list; the guest font still reads. */
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.host_state, SCREEN_TEXT_HOST_LOADED);
    assert_int_equal(st.host_glyphs, 0);
    assert_string_equal(buf, "Install   ");
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.host_state, SCREEN_TEXT_HOST_LOADED);
    unsetenv(SCREEN_TEXT_FONTS_ENV);
    free(cv.px);
}

/* --- host fonts: real frames ----------------------------------------------- */

#define CONSOLE_FONT "/usr/share/consolefonts/Ethiopian-Goha16.psf.gz"
#define UNIFONT "/usr/share/unifont/unifont.hex"

static bool have_font(const char *path, const char *package)
{
    if (access(path, R_OK) == 0)
        return true;
    print_message("skipped: %s is missing (Debian package %s)\n", path, package);
    return false;
}

/* 640x128 from (0, 0) of Linux's framebuffer console (1024x768, fbcon's
 * built-in VGA 8x16 font, grey on black): kernel messages with the letters
 * where that font differs from the VGA BIOS font (f, m, v, w, x, M, T, 0). */
static void test_linux_fbcon_frame(void **state)
{
    (void)state;
    if (!have_font(CONSOLE_FONT, "console-setup-linux"))
        skip();
    static const char *const expected[] = {
        "[    0.000000] ACPI BIOS Error (bug): A valid RSDP was not found (20240827/tbxfr",
        "oot-222)",
        "[    0.000000] MPTABLE: no processors registered!",
        "[    0.000000] BIOS bug, MP table errors detected!...",
        "[    0.000069] [Firmware Bug]: CPU   0: APIC ID mismatch. Firmware: 0x00ff APIC:",
        " 0x0000",
        "[    4.185457] mce: Unable to init MCE device (rc: -5)",
        "Starting system log daemon: syslogd, klogd.",
    };
    struct display_surface s = load_frame("tests/unit/data/linux-fbcon-console.png", 1);
    static uint8_t rom_font[256 * 32];
    bool rom = load_rom_font(rom_font);
    struct screen_text st;
    char buf[16384];
    /* With the VGA BIOS font alone, those letters do not read. */
    if (rom) {
        screen_text_init(&st);
        screen_text_load_fonts(&st, "", NULL);
        screen_text_set_font(&st, rom_font, 16);
        screen_text_match(&st, &s, buf, sizeof buf);
        assert_null(strstr(buf, "valid"));
        assert_null(strstr(buf, "mismatch"));
    }
    /* With the console font, with and without the guest's font. */
    for (int with_rom = 0; with_rom <= (int)rom; with_rom++) {
        screen_text_init(&st);
        assert_int_equal(screen_text_load_fonts(&st, CONSOLE_FONT, NULL), 0);
        if (with_rom)
            screen_text_set_font(&st, rom_font, 16);
        screen_text_match(&st, &s, buf, sizeof buf);
        assert_int_equal(st.origin_x, 0);
        assert_int_equal(st.origin_y, 0);
        for (int row = 0; row < 8; row++) {
            const char *line = row_of(buf, row);
            size_t n = strlen(expected[row]);
            if (memcmp(line, expected[row], n) != 0)
                fail_msg("row %d reads '%.80s'", row, line);
            for (size_t i = n; i < 80; i++)
                assert_int_equal(line[i], ' ');
        }
    }
    free((void *)s.pixels);
}

/* Row `row` of the text, without the trailing spaces and the newline. */
static void trimmed_row(const char *text, int row, char *out, size_t len)
{
    const char *line = row_of(text, row);
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        n--;
    n = n < len - 1 ? n : len - 1;
    memcpy(out, line, n);
    out[n] = '\0';
}

/* 1000x380 from (4, 10) of the installer's first question (1024x768,
 * bochs-drm, drawn by bterm with Unifont): the grid starts at (0, 0) of
 * the screen, so at (4, 6) of the crop. Box drawing around the dialog, the
 * title red on grey, the list with "English" white on a red bar, Cyrillic
 * names, wide CJK glyphs (which read as spaces). */
static void test_installer_select_language_frame(void **state)
{
    (void)state;
    if (!have_font(UNIFONT, "unifont"))
        skip();
    struct display_surface s = load_frame("tests/unit/data/installer-select-language.png", 1);
    struct screen_text st;
    screen_text_init(&st);
    assert_int_equal(screen_text_load_fonts(&st, UNIFONT, NULL), 0);
    static char buf[65536];
    screen_text_match(&st, &s, buf, sizeof buf);
    assert_int_equal(st.origin_x, 4);
    assert_int_equal(st.origin_y, 6);
    char line[1024];
    trimmed_row(buf, 0, line, sizeof line);
    const char *title = strstr(line, "\xE2\x94\xA4 [!!] Select a language \xE2\x94\x9C"); /* ┤ ├ */
    assert_non_null(title);
    assert_int_equal(title - line, 3 * 48 + 1); /* 1 space, then 48 box characters of 3 bytes */
    trimmed_row(buf, 2, line, sizeof line);
    assert_string_equal(line, " \xE2\x94\x82 Choose the language to be used for the installation "
                              "process. The selected language will also be the default language"
                              "    \xE2\x94\x82");
    trimmed_row(buf, 5, line, sizeof line);
    assert_string_equal(line, " \xE2\x94\x82 Language:                                             "
                              "                                                                  "
                              "\xE2\x94\x82");
    trimmed_row(buf, 22, line, sizeof line);
    assert_non_null(strstr(line, "   English                -  English   "));
    trimmed_row(buf, 12, line, sizeof line);
    assert_non_null(strstr(line, "Belarusian             -  \xD0\x91")); /* Б */
    trimmed_row(buf, 16, line, sizeof line);
    assert_non_null(strstr(line, "Chinese (Simplified)   -      (    )   "));
    free((void *)s.pixels);
}

/* The whole 1024x768 screen as the run reads it: the guest's VGA BIOS
 * font and the default host fonts. */
static void test_installer_full_screen(void **state)
{
    (void)state;
    if (!have_font(UNIFONT, "unifont") || !have_font(CONSOLE_FONT, "console-setup-linux"))
        skip();
    struct display_surface crop = load_frame("tests/unit/data/installer-select-language.png", 1);
    uint32_t *px = malloc(sizeof *px * 1024 * 768);
    for (int i = 0; i < 1024 * 768; i++)
        px[i] = crop.pixels[0]; /* the blue around the dialog */
    for (int y = 0; y < crop.height; y++)
        memcpy(px + (10 + y) * 1024 + 4, crop.pixels + y * crop.stride,
               sizeof *px * (size_t)crop.width);
    struct display_surface s = {px, 1024, 768, 1024, 1};
    static uint8_t rom_font[256 * 32];
    struct screen_text st;
    screen_text_init(&st);
    unsetenv(SCREEN_TEXT_FONTS_ENV);
    if (load_rom_font(rom_font))
        screen_text_set_font(&st, rom_font, 16);
    static char buf[256 * 1024];
    double t0 = cpu_ms();
    screen_text_match(&st, &s, buf, sizeof buf); /* reads the default fonts */
    double t1 = cpu_ms();
    assert_true(st.host_glyphs > 7000);
    assert_int_equal(st.origin_x, 0);
    assert_int_equal(st.origin_y, 0);
    assert_non_null(strstr(buf, "[!!] Select a language"));
    assert_non_null(strstr(buf, "Choose the language to be used for the installation process"));
    int reads = 20;
    for (int i = 0; i < reads; i++) {
        st.origin_width = 0; /* forget the grid: search every time */
        s.frame = (uint64_t)i + 2;
        screen_text_match(&st, &s, buf, sizeof buf);
    }
    double t2 = cpu_ms();
    for (int i = 0; i < reads; i++) {
        s.frame = (uint64_t)i + 100;
        screen_text_match(&st, &s, buf, sizeof buf);
    }
    double t3 = cpu_ms();
    assert_non_null(strstr(buf, "[!!] Select a language"));
    /* Reported, never asserted (a test must not depend on the host's
     * speed). */
    print_message("fonts read in %.1f ms; a 1024x768 read took %.2f ms with the grid search, "
                  "%.2f ms without\n",
                  t1 - t0, (t2 - t1) / reads, (t3 - t2) / reads);
    free(px);
    free((void *)crop.pixels);
}

/* Frames without the text do not match it: the console frame, an empty
 * screen, and the installer's screen read with the VGA BIOS font alone
 * (the reason the host fonts exist). */
static void test_frames_without_the_text(void **state)
{
    (void)state;
    static char buf[256 * 1024];
    struct screen_text st;
    screen_text_init(&st);
    unsetenv(SCREEN_TEXT_FONTS_ENV);
    struct display_surface console = load_frame("tests/unit/data/linux-fbcon-console.png", 1);
    screen_text_match(&st, &console, buf, sizeof buf);
    assert_null(strstr(buf, "Select a language"));
    free((void *)console.pixels);

    uint32_t *px = calloc(1024 * 768, sizeof *px);
    for (int y = 752; y < 768; y++) /* a grey bar, as bterm starts */
        for (int x = 8; x < 1024; x++)
            px[y * 1024 + x] = 0xAAAAAA;
    struct display_surface empty = {px, 1024, 768, 1024, 1};
    screen_text_match(&st, &empty, buf, sizeof buf);
    for (const char *p = buf; *p; p++)
        if (*p != ' ' && *p != '\n')
            fail_msg("an empty screen read as '%c'", *p);
    free(px);

    static uint8_t rom_font[256 * 32];
    if (!load_rom_font(rom_font))
        return;
    struct display_surface installer =
        load_frame("tests/unit/data/installer-select-language.png", 1);
    screen_text_init(&st);
    screen_text_load_fonts(&st, "", NULL);
    screen_text_set_font(&st, rom_font, 16);
    screen_text_match(&st, &installer, buf, sizeof buf);
    assert_null(strstr(buf, "Select a language"));
    free((void *)installer.pixels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_font_table),
        cmocka_unit_test(test_fbcon_like_screen),
        cmocka_unit_test(test_near_glyph_reads_in_two_colour_cells),
        cmocka_unit_test(test_offset_grid_with_shadow_over_picture),
        cmocka_unit_test(test_text_mode_uses_display_text),
        cmocka_unit_test(test_font_from_guest_plane2_on_vbe_screen),
        cmocka_unit_test(test_vesamenu_menu_frame),
        cmocka_unit_test(test_vesamenu_picture_reads_blank),
        cmocka_unit_test(test_vesamenu_command_line_blended_over_picture),
        cmocka_unit_test(test_vesamenu_full_screen_is_cheap),
        cmocka_unit_test(test_host_font_files),
        cmocka_unit_test(test_host_font_grid_search),
        cmocka_unit_test(test_host_flat_edges_are_not_characters),
        cmocka_unit_test(test_missing_default_font_is_reported_once),
        cmocka_unit_test(test_linux_fbcon_frame),
        cmocka_unit_test(test_installer_select_language_frame),
        cmocka_unit_test(test_installer_full_screen),
        cmocka_unit_test(test_frames_without_the_text),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
