/* test_screen_text.c: reading screen text. Text modes go through the
 * display's text(); graphics screens are read by matching cells against
 * the font the guest loaded into VGA plane 2: fbcon-like two-colour text
 * at the origin, vesamenu-like text at an offset grid with a shadow over a
 * many-coloured background, duplicate glyphs, and the whole path from a
 * font written through the VGA window to a 32-bpp VBE screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
