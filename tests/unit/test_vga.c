/* test_vga.c: the VGA core against the IBM VGA Technical Reference:
 * register read-back and masks, the attribute flip-flop, CRTC write
 * protection, port decode by the mono/colour bit, DAC cycles, write modes
 * 0-3 with latches, set/reset, rotate and logical functions, read modes 0
 * and 1, chain 4 and odd/even addressing, text and graphics rendering
 * checked pixel by pixel, the retrace bits against the CRTC timing, and the
 * Bochs DISPI registers and linear framebuffer modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/vga/cp437.h"
#include "models/vga/vga.h"

#define VRAM_SIZE (16u << 20)

/* Standard register sets of BIOS modes 03h, 12h and 13h (IBM VGA
 * Technical Reference, "Video Modes" register tables). */
static const uint8_t mode3_seq[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
static const uint8_t mode3_crtc[25] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00,
                                       0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                       0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
static const uint8_t mode3_gc[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
static const uint8_t mode3_atc[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                      0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

static const uint8_t mode12_seq[5] = {0x03, 0x01, 0x0F, 0x00, 0x06};
static const uint8_t mode12_crtc[25] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00,
                                        0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEA, 0x8C,
                                        0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF};
static const uint8_t mode12_gc[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF};
static const uint8_t mode12_atc[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                       0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00};

static const uint8_t mode13_seq[5] = {0x03, 0x01, 0x0F, 0x00, 0x0E};
static const uint8_t mode13_crtc[25] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00,
                                        0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                        0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF};
static const uint8_t mode13_gc[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF};
static const uint8_t mode13_atc[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                                       0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00};

struct rig {
    struct vga v;
    uint8_t *vram;
};

static int rig_setup(void **state)
{
    struct rig *r = calloc(1, sizeof *r);
    r->vram = calloc(1, VRAM_SIZE);
    assert_int_equal(vga_init(&r->v, r->vram, VRAM_SIZE), 0);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    vga_free(&r->v);
    free(r->vram);
    free(r);
    return 0;
}

static void out(struct vga *v, uint16_t port, uint8_t value)
{
    vga_port_write(v, port, value);
}

static uint8_t in(struct vga *v, uint16_t port)
{
    return vga_port_read(v, port, 0);
}

static void seq_w(struct vga *v, uint8_t i, uint8_t value)
{
    out(v, 0x3C4, i);
    out(v, 0x3C5, value);
}

static void gc_w(struct vga *v, uint8_t i, uint8_t value)
{
    out(v, 0x3CE, i);
    out(v, 0x3CF, value);
}

static void crtc_w(struct vga *v, uint8_t i, uint8_t value)
{
    out(v, 0x3D4, i);
    out(v, 0x3D5, value);
}

static void atc_w(struct vga *v, uint8_t i, uint8_t value)
{
    (void)in(v, 0x3DA);
    out(v, 0x3C0, i);
    out(v, 0x3C0, value);
}

static void dac_w(struct vga *v, uint8_t i, uint8_t r, uint8_t g, uint8_t b)
{
    out(v, 0x3C8, i);
    out(v, 0x3C9, r);
    out(v, 0x3C9, g);
    out(v, 0x3C9, b);
}

/* Programs a mode the way a BIOS does: misc, sequencer, CRTC (unprotected
 * first), graphics controller, attribute controller, then display on. */
static void set_mode(struct vga *v, uint8_t misc, const uint8_t *sq, const uint8_t *cr,
                     const uint8_t *g, const uint8_t *a)
{
    out(v, 0x3C2, misc);
    for (int i = 0; i < 5; i++)
        seq_w(v, (uint8_t)i, sq[i]);
    crtc_w(v, 0x11, 0x00);
    for (int i = 0; i < 25; i++)
        crtc_w(v, (uint8_t)i, cr[i]);
    for (int i = 0; i < 9; i++)
        gc_w(v, (uint8_t)i, g[i]);
    for (int i = 0; i < 21; i++)
        atc_w(v, (uint8_t)i, a[i]);
    (void)in(v, 0x3DA);
    out(v, 0x3C0, 0x20);
}

static void set_mode3(struct vga *v)
{
    set_mode(v, 0x67, mode3_seq, mode3_crtc, mode3_gc, mode3_atc);
}

static void set_mode12(struct vga *v)
{
    set_mode(v, 0xE3, mode12_seq, mode12_crtc, mode12_gc, mode12_atc);
}

static void set_mode13(struct vga *v)
{
    set_mode(v, 0x63, mode13_seq, mode13_crtc, mode13_gc, mode13_atc);
}

static uint8_t plane(struct vga *v, unsigned p, uint32_t offset)
{
    return v->planes[(size_t)offset * 4 + p];
}

/* --- registers ---------------------------------------------------------- */

static void test_register_readback(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    out(v, 0x3C2, 0x67);
    assert_int_equal(in(v, 0x3CC), 0x67);
    seq_w(v, 2, 0xFF);
    out(v, 0x3C4, 2);
    assert_int_equal(in(v, 0x3C5), 0x0F); /* map mask has four bits */
    seq_w(v, 4, 0xFF);
    assert_int_equal(in(v, 0x3C5), 0x0E);
    gc_w(v, 5, 0xFF);
    assert_int_equal(in(v, 0x3CF), 0x7B);
    gc_w(v, 8, 0xA5);
    assert_int_equal(in(v, 0x3CF), 0xA5);
    out(v, 0x3CE, 8);
    assert_int_equal(in(v, 0x3CE), 8);
    crtc_w(v, 0x0C, 0x12);
    assert_int_equal(in(v, 0x3D5), 0x12);
    assert_int_equal(in(v, 0x3D4), 0x0C);
}

static void test_crtc_write_protect(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    out(v, 0x3C2, 0x01);
    crtc_w(v, 0x11, 0x00);
    crtc_w(v, 0x01, 0x4F);
    crtc_w(v, 0x07, 0x00);
    crtc_w(v, 0x11, 0x80); /* protect CR00-CR07 */
    crtc_w(v, 0x01, 0x27);
    out(v, 0x3D4, 0x01);
    assert_int_equal(in(v, 0x3D5), 0x4F);
    crtc_w(v, 0x07, 0xFF); /* only bit 4 (line compare bit 8) still writes */
    assert_int_equal(in(v, 0x3D5), 0x10);
    crtc_w(v, 0x0C, 0x34); /* CR0C is not protected */
    assert_int_equal(in(v, 0x3D5), 0x34);
}

static void test_attribute_flip_flop(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    out(v, 0x3C2, 0x01);
    (void)in(v, 0x3DA);
    out(v, 0x3C0, 0x12);
    out(v, 0x3C0, 0xFF);
    assert_int_equal(in(v, 0x3C1), 0x3F); /* plane enable + video status mux bits */
    out(v, 0x3C0, 0x33);                    /* flip-flop back at index: PAS + index 0x13 */
    assert_int_equal(in(v, 0x3C0), 0x33);
    out(v, 0x3C0, 0x07);                    /* data for 0x13 */
    out(v, 0x3C0, 0x13);
    assert_int_equal(in(v, 0x3C1), 0x07);
    /* A read of input status 1 forces the next write to be an index. */
    (void)in(v, 0x3DA);
    out(v, 0x3C0, 0x10);
    out(v, 0x3C0, 0x01);
    out(v, 0x3C0, 0x10);
    assert_int_equal(in(v, 0x3C1), 0x01);
    /* In mono mapping 0x3BA resets it and 0x3DA is not decoded. */
    out(v, 0x3C2, 0x00);
    out(v, 0x3C0, 0x11);
    assert_int_equal(in(v, 0x3DA), 0xFF);
    (void)in(v, 0x3BA);
    out(v, 0x3C0, 0x11);
    out(v, 0x3C0, 0x2A);
    out(v, 0x3C0, 0x11);
    assert_int_equal(in(v, 0x3C1), 0x2A);
}

static void test_mono_colour_decode(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    out(v, 0x3C2, 0x00);
    out(v, 0x3B4, 0x0E);
    out(v, 0x3B5, 0x07);
    assert_int_equal(in(v, 0x3B5), 0x07);
    assert_int_equal(in(v, 0x3D5), 0xFF);
    out(v, 0x3D5, 0x55); /* dropped */
    out(v, 0x3C2, 0x01);
    assert_int_equal(in(v, 0x3D5), 0x07);
    assert_int_equal(in(v, 0x3B5), 0xFF);
}

static void test_dac_cycles(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    dac_w(v, 5, 0x3F, 0x20, 0x41); /* 0x41: only six bits exist */
    dac_w(v, 6, 1, 2, 3);
    assert_int_equal(in(v, 0x3C8), 7);
    assert_int_equal(in(v, 0x3C7), 0x00); /* write mode */
    out(v, 0x3C7, 5);
    assert_int_equal(in(v, 0x3C7), 0x03); /* read mode */
    assert_int_equal(in(v, 0x3C9), 0x3F);
    assert_int_equal(in(v, 0x3C9), 0x20);
    assert_int_equal(in(v, 0x3C9), 0x01);
    assert_int_equal(in(v, 0x3C9), 1); /* auto-increment to entry 6 */
    assert_int_equal(in(v, 0x3C9), 2);
    assert_int_equal(in(v, 0x3C9), 3);
    /* A partial write cycle does not change the entry. */
    out(v, 0x3C8, 9);
    out(v, 0x3C9, 0x11);
    out(v, 0x3C7, 9);
    assert_int_equal(in(v, 0x3C9), 0);
}

/* --- memory --------------------------------------------------------------- */

static void test_write_mode0_set_reset_bit_mask(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v);
    /* Plain write: all four planes get the byte. */
    vga_mem_write(v, 10, 0xA5);
    for (unsigned p = 0; p < 4; p++)
        assert_int_equal(plane(v, p, 10), 0xA5);
    /* Set/reset value 0101 enabled for planes 0 and 1. */
    gc_w(v, 0, 0x05);
    gc_w(v, 1, 0x03);
    vga_mem_write(v, 11, 0x3C);
    assert_int_equal(plane(v, 0, 11), 0xFF);
    assert_int_equal(plane(v, 1, 11), 0x00);
    assert_int_equal(plane(v, 2, 11), 0x3C);
    assert_int_equal(plane(v, 3, 11), 0x3C);
    gc_w(v, 1, 0x00);
    /* Bit mask keeps latched bits: latch 0xA5 from offset 10. */
    (void)vga_mem_read(v, 10);
    gc_w(v, 8, 0x0F);
    vga_mem_write(v, 12, 0x00);
    for (unsigned p = 0; p < 4; p++)
        assert_int_equal(plane(v, p, 12), 0xA0);
    gc_w(v, 8, 0xFF);
    /* Map mask limits the planes written. */
    seq_w(v, 2, 0x04);
    vga_mem_write(v, 13, 0x77);
    assert_int_equal(plane(v, 2, 13), 0x77);
    assert_int_equal(plane(v, 0, 13), 0x00);
}

static void test_write_mode0_rotate_and_functions(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v);
    vga_mem_write(v, 0, 0xF0);
    (void)vga_mem_read(v, 0); /* latches 0xF0 in every plane */
    gc_w(v, 3, 0x02);         /* rotate right by 2, replace */
    vga_mem_write(v, 1, 0x81);
    assert_int_equal(plane(v, 0, 1), 0x60);
    gc_w(v, 3, 0x08); /* AND */
    vga_mem_write(v, 2, 0x3C);
    assert_int_equal(plane(v, 1, 2), 0x30);
    gc_w(v, 3, 0x10); /* OR */
    vga_mem_write(v, 3, 0x0F);
    assert_int_equal(plane(v, 2, 3), 0xFF);
    gc_w(v, 3, 0x18); /* XOR */
    vga_mem_write(v, 4, 0xFF);
    assert_int_equal(plane(v, 3, 4), 0x0F);
}

static void test_write_mode1_copies_latches(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v);
    for (unsigned p = 0; p < 4; p++) {
        seq_w(v, 2, (uint8_t)(1u << p));
        vga_mem_write(v, 100, (uint8_t)(0x11 * (p + 1)));
    }
    seq_w(v, 2, 0x0F);
    gc_w(v, 5, 0x01);
    (void)vga_mem_read(v, 100);
    gc_w(v, 8, 0x00); /* the bit mask does not apply in write mode 1 */
    vga_mem_write(v, 200, 0x00);
    for (unsigned p = 0; p < 4; p++)
        assert_int_equal(plane(v, p, 200), 0x11 * (p + 1));
}

static void test_write_mode2_and_3(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v);
    gc_w(v, 5, 0x02);
    gc_w(v, 8, 0x81);
    vga_mem_write(v, 5, 0x09); /* colour 1001 into bits 7 and 0 */
    assert_int_equal(plane(v, 0, 5), 0x81);
    assert_int_equal(plane(v, 1, 5), 0x00);
    assert_int_equal(plane(v, 2, 5), 0x00);
    assert_int_equal(plane(v, 3, 5), 0x81);
    /* Write mode 3: rotated data AND bit mask selects bits, set/reset colours them. */
    gc_w(v, 5, 0x03);
    gc_w(v, 8, 0xF0);
    gc_w(v, 0, 0x06);
    (void)vga_mem_read(v, 6);
    vga_mem_write(v, 6, 0x3C);
    assert_int_equal(plane(v, 0, 6), 0x00);
    assert_int_equal(plane(v, 1, 6), 0x30);
    assert_int_equal(plane(v, 2, 6), 0x30);
    assert_int_equal(plane(v, 3, 6), 0x00);
}

static void test_read_modes(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v);
    const uint8_t bytes[4] = {0xF0, 0xCC, 0xAA, 0x0F};
    for (unsigned p = 0; p < 4; p++) {
        seq_w(v, 2, (uint8_t)(1u << p));
        vga_mem_write(v, 7, bytes[p]);
    }
    for (unsigned p = 0; p < 4; p++) {
        gc_w(v, 4, (uint8_t)p);
        assert_int_equal(vga_mem_read(v, 7), bytes[p]);
    }
    /* Read mode 1: bits whose colour equals the compare colour read 1. */
    gc_w(v, 5, 0x08);
    gc_w(v, 7, 0x0F);
    gc_w(v, 2, 0x0B); /* 1011: plane0=1 plane1=1 plane2=0 plane3=1 */
    /* bit 7: p0=1 p1=1 p2=1 p3=0 -> no; bit 3: 0,1,0,1 no; check by formula */
    uint8_t expect = (uint8_t)(bytes[0] & bytes[1] & ~bytes[2] & bytes[3]);
    assert_int_equal(vga_mem_read(v, 7), expect);
    gc_w(v, 7, 0x01); /* only plane 0 matters */
    assert_int_equal(vga_mem_read(v, 7), bytes[0]);
}

static void test_memory_map_select(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v); /* A0000-AFFFF */
    vga_mem_write(v, 0x18000, 0x12); /* B8000: outside, dropped */
    assert_int_equal(vga_mem_read(v, 0x18000), 0xFF);
    assert_int_equal(plane(v, 0, 0x8000), 0x00);
    out(v, 0x3C2, 0xE1); /* RAM enable off: nothing answers */
    assert_int_equal(vga_mem_read(v, 0), 0xFF);
}

static void test_chain4_mode13(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode13(v);
    for (uint32_t a = 0; a < 8; a++)
        vga_mem_write(v, a, (uint8_t)(0x10 + a));
    /* Byte a lands in plane a & 3 at plane offset a & ~3. */
    assert_int_equal(plane(v, 0, 0), 0x10);
    assert_int_equal(plane(v, 3, 0), 0x13);
    assert_int_equal(plane(v, 1, 4), 0x15);
    for (uint32_t a = 0; a < 8; a++)
        assert_int_equal(vga_mem_read(v, a), 0x10 + a);
    dac_w(v, 0x15, 0x3F, 0x00, 0x20);
    vga_mem_write(v, 320 * 2 + 7, 0x15);
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 320);
    assert_int_equal(s->height, 200);
    assert_int_equal(s->pixels[2 * s->stride + 7], 0xFF0082);
    assert_int_equal(s->pixels[0], 0x000000);
}

static void test_odd_even_text_memory(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode3(v);
    vga_mem_write(v, 0x18000, 'A');
    vga_mem_write(v, 0x18001, 0x1E);
    vga_mem_write(v, 0x18002, 'B');
    assert_int_equal(plane(v, 0, 0), 'A');
    assert_int_equal(plane(v, 1, 0), 0x1E);
    assert_int_equal(plane(v, 0, 2), 'B');
    assert_int_equal(plane(v, 2, 0), 0x00); /* map mask 0011: font plane untouched */
    assert_int_equal(vga_mem_read(v, 0x18001), 0x1E);
    assert_int_equal(vga_mem_read(v, 0x18002), 'B');
    assert_int_equal(vga_mem_read(v, 0x00000), 0xFF); /* A0000 not mapped in mode 3 */
}

/* --- text rendering --------------------------------------------------------- */

/* Loads glyphs into plane 2 as a VGA BIOS does: sequential addressing,
 * map mask 0100, memory at A0000; then restores text mode addressing. */
static void load_glyph(struct vga *v, uint8_t code, const uint8_t rows[16])
{
    seq_w(v, 2, 0x04);
    seq_w(v, 4, 0x06);
    gc_w(v, 4, 0x02);
    gc_w(v, 5, 0x00);
    gc_w(v, 6, 0x04);
    for (int i = 0; i < 16; i++)
        vga_mem_write(v, code * 32u + (uint32_t)i, rows[i]);
    seq_w(v, 2, 0x03);
    seq_w(v, 4, 0x02);
    gc_w(v, 4, 0x00);
    gc_w(v, 5, 0x10);
    gc_w(v, 6, 0x0E);
}

static const uint8_t glyph_A[16] = {0x00, 0x00, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE,
                                    0xC6, 0xC6, 0xC6, 0xC6, 0x00, 0x00, 0x00, 0x00};
static const uint8_t glyph_dash[16] = {0, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0};

static void setup_text_palette(struct vga *v)
{
    dac_w(v, 0x01, 0x00, 0x00, 0x2A); /* blue */
    dac_w(v, 0x3E, 0x3F, 0x3F, 0x15); /* yellow */
    dac_w(v, 0x07, 0x2A, 0x2A, 0x2A);
}

static void test_text_render_glyph(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode3(v);
    setup_text_palette(v);
    load_glyph(v, 'A', glyph_A);
    load_glyph(v, 0xC4, glyph_dash);
    crtc_w(v, 0x0A, 0x20); /* cursor off */
    vga_mem_write(v, 0x18000, 'A');
    vga_mem_write(v, 0x18001, 0x1E); /* yellow on blue */
    vga_mem_write(v, 0x18002, 0xC4);
    vga_mem_write(v, 0x18003, 0x1E);
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 720);
    assert_int_equal(s->height, 400);
    uint32_t yellow = 0xFFFF55, blue = 0x0000AA;
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 9; x++) {
            bool on = x < 8 && (glyph_A[y] >> (7 - x)) & 1;
            assert_int_equal(s->pixels[y * s->stride + x], on ? yellow : blue);
        }
    /* Line graphics (ATC10 bit 2): 0xC4 extends into the ninth dot. */
    assert_int_equal(s->pixels[7 * s->stride + 9 + 8], yellow);
    assert_int_equal(s->pixels[6 * s->stride + 9 + 8], blue);
    /* Unwritten cells show attribute 0 (black on black). */
    assert_int_equal(s->pixels[20 * s->stride + 100], 0x000000);
}

static void test_text_cursor_and_blink(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode3(v);
    setup_text_palette(v);
    vga_mem_write(v, 0x18000 + 2 * 81, ' ');
    vga_mem_write(v, 0x18000 + 2 * 81 + 1, 0x07);
    crtc_w(v, 0x0E, 0x00);
    crtc_w(v, 0x0F, 81); /* row 1, column 1 */
    struct vga_timing t;
    vga_get_timing(v, &t);
    sim_time_t frame_ps = (sim_time_t)((unsigned __int128)t.htotal_chars * t.dots_per_char *
                                       t.vtotal_lines * 1000000000000ull / t.dot_hz);
    const struct display_surface *s = vga_update(v, frame_ps / 2); /* frame 0: cursor on */
    uint32_t grey = 0xAAAAAA;
    int x = 9 + 3, y_on = 16 + 13, y_off = 16 + 12; /* cursor lines 13-14 (CR0A 0x0D, CR0B 0x0E) */
    assert_int_equal(s->pixels[y_on * s->stride + x], grey);
    assert_int_equal(s->pixels[(16 + 14) * s->stride + x], grey);
    assert_int_equal(s->pixels[y_off * s->stride + x], 0x000000);
    uint64_t frame = s->frame;
    s = vga_update(v, frame_ps * 8 + frame_ps / 2); /* frames 8-15: cursor off */
    assert_true(s->frame > frame);
    assert_int_equal(s->pixels[y_on * s->stride + x], 0x000000);
    /* Nothing changed since: the frame number stays. */
    frame = s->frame;
    s = vga_update(v, frame_ps * 9 + frame_ps / 2);
    assert_int_equal(s->frame, frame);

    /* Blink attribute: background loses bit 7, foreground vanishes in the off phase. */
    uint8_t block[16];
    memset(block, 0xFF, sizeof block);
    load_glyph(v, 0xDB, block);
    vga_mem_write(v, 0x18000, 0xDB);
    vga_mem_write(v, 0x18001, 0x97); /* blink, bg 1 (blue), fg 7 */
    s = vga_update(v, frame_ps / 2);
    assert_int_equal(s->pixels[0], grey);
    s = vga_update(v, frame_ps * 16 + frame_ps / 2);
    assert_int_equal(s->pixels[0], 0x0000AA);
}

static void test_text_readout(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode3(v);
    const char *hello = "Hello";
    for (int i = 0; hello[i]; i++)
        vga_mem_write(v, 0x18000 + 160 + 2 * (uint32_t)i, (uint8_t)hello[i]);
    vga_mem_write(v, 0x18000, 0xC9); /* CP437 double top-left corner */
    char buf[8192];
    size_t n = vga_text(v, buf, sizeof buf);
    assert_true(n > 0);
    assert_memory_equal(buf, "\xE2\x95\x94", 3); /* U+2554 */
    const char *row1 = strchr(buf, '\n') + 1;
    assert_memory_equal(row1, "Hello", 5);
    int lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, 25);
    /* Start address moves the screen by whole characters. */
    crtc_w(v, 0x0D, 80);
    vga_text(v, buf, sizeof buf);
    assert_memory_equal(buf, "Hello", 5);
    /* A small buffer truncates at a character boundary. */
    crtc_w(v, 0x0D, 0);
    n = vga_text(v, buf, 3);
    assert_int_equal(n, 0); /* a 3-byte character does not fit in 2 bytes + NUL */
    n = vga_text(v, buf, 4);
    assert_int_equal(n, 3);
    /* Graphics modes have no text. */
    set_mode12(v);
    assert_int_equal(vga_text(v, buf, sizeof buf), 0);
}

static void test_cp437(void **state)
{
    (void)state;
    char u[4];
    assert_int_equal(cp437_to_utf8('A', u), 1);
    assert_int_equal(u[0], 'A');
    assert_int_equal(cp437_to_unicode(0x00), 0x20);
    assert_int_equal(cp437_to_unicode(0x01), 0x263A);
    assert_int_equal(cp437_to_unicode(0x82), 0x00E9);
    assert_int_equal(cp437_to_unicode(0xB3), 0x2502);
    assert_int_equal(cp437_to_unicode(0xDB), 0x2588);
    assert_int_equal(cp437_to_unicode(0xE1), 0x00DF);
    assert_int_equal(cp437_to_utf8(0x82, u), 2);
    assert_memory_equal(u, "\xC3\xA9", 2);
}

/* --- graphics rendering --------------------------------------------------------------------- */

static void test_planar_mode12_render(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v);
    dac_w(v, 0x3C, 0x3F, 0x15, 0x15); /* ATC palette 12 -> DAC 0x3C */
    gc_w(v, 5, 0x02);
    gc_w(v, 8, 0x80);
    vga_mem_write(v, 479 * 80 + 79, 12); /* pixel (632, 479) colour 12 */
    gc_w(v, 8, 0xFF);
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 640);
    assert_int_equal(s->height, 480);
    assert_int_equal(s->pixels[479 * s->stride + 632], 0xFF5555);
    assert_int_equal(s->pixels[479 * s->stride + 633], 0x000000);
    /* Colour plane enable masks planes out before the palette. */
    atc_w(v, 0x12, 0x03);
    (void)in(v, 0x3DA);
    out(v, 0x3C0, 0x20);
    s = vga_update(v, 0);
    assert_int_equal(s->pixels[479 * s->stride + 632], 0x000000); /* 12 & 3 = 0 */
}

static void test_line_compare_split_screen(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode3(v);
    setup_text_palette(v);
    load_glyph(v, 'A', glyph_A);
    crtc_w(v, 0x0A, 0x20);
    vga_mem_write(v, 0x18000, 'A');
    vga_mem_write(v, 0x18001, 0x1E);
    crtc_w(v, 0x0D, 80); /* the top of the screen starts at row 1 */
    crtc_w(v, 0x18, 199); /* line compare 199: bits 8 (CR07.4) and 9 (CR09.6) clear */
    crtc_w(v, 0x07, 0x0F);
    crtc_w(v, 0x09, 0x0F);
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->height, 400);
    assert_int_equal(s->pixels[5 * s->stride + 0], 0x000000); /* address 80: empty */
    /* Line 200 onwards shows memory from address 0: 'A' row 5 is 0xC6. */
    assert_int_equal(s->pixels[205 * s->stride + 0], 0xFFFF55);
    assert_int_equal(s->pixels[205 * s->stride + 2], 0x0000AA);
}

static void test_cga_mode4_interleave(void **state)
{
    static const uint8_t seq4[5] = {0x03, 0x09, 0x03, 0x00, 0x02};
    static const uint8_t crtc4[25] = {0x2D, 0x27, 0x28, 0x90, 0x2B, 0x80, 0xBF, 0x1F, 0x00,
                                      0xC1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                      0x8F, 0x14, 0x00, 0x96, 0xB9, 0xA2, 0xFF};
    static const uint8_t gc4[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0F, 0x0F, 0xFF};
    static const uint8_t atc4[21] = {0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12,
                                     0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x03, 0x00, 0x00};
    struct vga *v = &((struct rig *)*state)->v;
    set_mode(v, 0x63, seq4, crtc4, gc4, atc4);
    dac_w(v, 0x13, 0x3F, 0x00, 0x00);
    dac_w(v, 0x15, 0x00, 0x3F, 0x00);
    dac_w(v, 0x17, 0x00, 0x00, 0x3F);
    vga_mem_write(v, 0x18000, 0xE4); /* pixels 3 2 1 0 */
    vga_mem_write(v, 0x18001, 0x1B); /* pixels 0 1 2 3 */
    vga_mem_write(v, 0x18000 + 0x2000, 0xC0); /* odd scan lines live 8 KiB up */
    vga_mem_write(v, 0x18000 + 80, 0x80);     /* line 2 starts at byte 80 */
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 320);
    assert_int_equal(s->height, 200);
    const uint32_t c[4] = {0x000000, 0xFF0000, 0x00FF00, 0x0000FF};
    const int row0[8] = {3, 2, 1, 0, 0, 1, 2, 3};
    for (int x = 0; x < 8; x++)
        assert_int_equal(s->pixels[x], c[row0[x]]);
    assert_int_equal(s->pixels[1 * s->stride], c[3]);
    assert_int_equal(s->pixels[2 * s->stride], c[2]);
    assert_int_equal(s->pixels[3 * s->stride], c[0]);
}

static void test_blank_when_palette_access(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode3(v);
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 720);
    (void)in(v, 0x3DA);
    out(v, 0x3C0, 0x00); /* PAS = 0: CPU owns the palette, screen blank */
    s = vga_update(v, 0);
    assert_int_equal(s->width, 0);
    assert_int_equal(s->height, 0);
    /* Power-on state is blank too. */
    vga_reset(v);
    s = vga_update(v, 0);
    assert_int_equal(s->width, 0);
}

/* --- timing ----------------------------------------------------------------------------------- */

static sim_time_t time_at_dot(uint64_t dot, uint64_t dot_hz)
{
    /* First picosecond at which `dot` dots have elapsed. */
    return (sim_time_t)(((unsigned __int128)dot * 1000000000000ull + dot_hz - 1) / dot_hz);
}

static void test_retrace_mode3(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode3(v);
    struct vga_timing t;
    vga_get_timing(v, &t);
    assert_int_equal(t.dot_hz, 28322000);
    assert_int_equal(t.dots_per_char, 9);
    assert_int_equal(t.htotal_chars, 100);
    assert_int_equal(t.vtotal_lines, 449);
    assert_int_equal(t.vdisplay_lines, 400);
    assert_int_equal(t.vretrace_start, 412);
    assert_int_equal(t.vretrace_lines, 2);
    /* 28.322 MHz / (900 * 449) = 70.087 Hz */
    assert_int_equal(vga_refresh_mhz(v), 70086);
    uint64_t line = 900;
    assert_int_equal(vga_input_status1(v, time_at_dot(10, t.dot_hz)), 0x00);
    assert_int_equal(vga_input_status1(v, time_at_dot(725, t.dot_hz)) & 0x09, 0x01);
    assert_int_equal(vga_input_status1(v, time_at_dot(400 * line + 5, t.dot_hz)) & 0x09, 0x01);
    assert_int_equal(vga_input_status1(v, time_at_dot(411 * line + 899, t.dot_hz)) & 0x08, 0);
    assert_int_equal(vga_input_status1(v, time_at_dot(412 * line, t.dot_hz)) & 0x09, 0x09);
    assert_int_equal(vga_input_status1(v, time_at_dot(413 * line + 899, t.dot_hz)) & 0x08, 0x08);
    assert_int_equal(vga_input_status1(v, time_at_dot(414 * line, t.dot_hz)) & 0x08, 0);
    /* Next frame: same positions one frame later. */
    uint64_t frame = 449 * line;
    assert_int_equal(vga_input_status1(v, time_at_dot(frame + 412 * line + 3, t.dot_hz)) & 0x08,
                     0x08);
    assert_int_equal(vga_input_status1(v, time_at_dot(frame + 3, t.dot_hz)), 0x00);
}

static void test_retrace_mode12(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    set_mode12(v);
    struct vga_timing t;
    vga_get_timing(v, &t);
    assert_int_equal(t.dot_hz, 25175000);
    assert_int_equal(t.dots_per_char, 8);
    assert_int_equal(t.vtotal_lines, 525);
    assert_int_equal(t.vdisplay_lines, 480);
    assert_int_equal(t.vretrace_start, 490);
    /* 25.175 MHz / (800 * 525) = 59.940 Hz */
    assert_int_equal(vga_refresh_mhz(v), 59940);
    assert_int_equal(vga_input_status1(v, time_at_dot(490 * 800 + 1, t.dot_hz)) & 0x08, 0x08);
    assert_int_equal(vga_input_status1(v, time_at_dot(489 * 800 + 1, t.dot_hz)) & 0x08, 0);
    assert_int_equal(vga_input_status1(v, time_at_dot(639, t.dot_hz)) & 0x01, 0);
    assert_int_equal(vga_input_status1(v, time_at_dot(640, t.dot_hz)) & 0x01, 1);
}

/* --- Bochs DISPI -------------------------------------------------------------------------------- */

static void test_dispi_id_and_caps(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_ID), DISPI_ID5);
    bochs_dispi_write(v, DISPI_INDEX_ID, DISPI_ID0);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_ID), DISPI_ID0);
    bochs_dispi_write(v, DISPI_INDEX_ID, 0x1234); /* not an ID: ignored */
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_ID), DISPI_ID0);
    bochs_dispi_write(v, DISPI_INDEX_ID, DISPI_ID5);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_VIDEO_MEMORY_64K), 256);
    bochs_dispi_write(v, DISPI_INDEX_XRES, 800);
    bochs_dispi_write(v, DISPI_INDEX_ENABLE, DISPI_GETCAPS);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_XRES), DISPI_MAX_XRES);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_YRES), DISPI_MAX_YRES);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_BPP), 32);
    bochs_dispi_write(v, DISPI_INDEX_ENABLE, 0);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_XRES), 800);
    bochs_dispi_write(v, DISPI_INDEX_BPP, 12); /* unsupported depth: ignored */
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_BPP), 8);
    bochs_dispi_write(v, DISPI_INDEX_BANK, 0x1FF); /* 256 banks of 64 KiB */
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_BANK), 0xFF);
}

static void dispi_mode(struct vga *v, uint16_t w, uint16_t h, uint16_t bpp, uint16_t flags)
{
    bochs_dispi_write(v, DISPI_INDEX_ENABLE, 0);
    bochs_dispi_write(v, DISPI_INDEX_BPP, bpp);
    bochs_dispi_write(v, DISPI_INDEX_XRES, w);
    bochs_dispi_write(v, DISPI_INDEX_YRES, h);
    bochs_dispi_write(v, DISPI_INDEX_BANK, 0);
    bochs_dispi_write(v, DISPI_INDEX_ENABLE, DISPI_ENABLED | flags);
}

static void test_dispi_lfb_32bpp(void **state)
{
    struct rig *r = *state;
    struct vga *v = &r->v;
    memset(r->vram, 0x5A, 4096);
    dispi_mode(v, 640, 480, 32, DISPI_LFB_ENABLED);
    assert_int_equal(r->vram[0], 0); /* enabling clears the visible memory */
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_VIRT_WIDTH), 640);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_VIRT_HEIGHT), VRAM_SIZE / (640 * 4));
    uint32_t off = (20 * 640 + 10) * 4;
    r->vram[off] = 0x33;
    r->vram[off + 1] = 0x22;
    r->vram[off + 2] = 0x11;
    r->vram[off + 3] = 0xEE; /* the X byte is not colour */
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 640);
    assert_int_equal(s->height, 480);
    assert_int_equal(s->pixels[20 * s->stride + 10], 0x112233);
    uint64_t frame = s->frame;
    s = vga_update(v, 0);
    assert_int_equal(s->frame, frame); /* unchanged memory: same frame */
    r->vram[(479 * 640 + 639) * 4] = 0xFF; /* a write the model never saw (DMI) */
    s = vga_update(v, 0);
    assert_true(s->frame > frame);
    assert_int_equal(s->pixels[479 * s->stride + 639], 0x0000FF);
    /* Panning: Y offset 1 shows line 21 at line 20. */
    bochs_dispi_write(v, DISPI_INDEX_Y_OFFSET, 1);
    s = vga_update(v, 0);
    assert_int_equal(s->pixels[19 * s->stride + 10], 0x112233);
    /* NOCLEARMEM keeps memory when a mode is set. */
    dispi_mode(v, 640, 480, 32, DISPI_LFB_ENABLED | DISPI_NOCLEARMEM);
    assert_int_equal(r->vram[off], 0x33);
}

static void test_dispi_16_15_24_bpp(void **state)
{
    struct rig *r = *state;
    struct vga *v = &r->v;
    dispi_mode(v, 800, 600, 16, DISPI_LFB_ENABLED);
    r->vram[0] = 0x00;
    r->vram[1] = 0xF8; /* 5:6:5 red */
    r->vram[2] = 0xE0;
    r->vram[3] = 0x07; /* green */
    r->vram[4] = 0x1F;
    r->vram[5] = 0x00; /* blue */
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 800);
    assert_int_equal(s->height, 600);
    assert_int_equal(s->pixels[0], 0xFF0000);
    assert_int_equal(s->pixels[1], 0x00FF00);
    assert_int_equal(s->pixels[2], 0x0000FF);
    dispi_mode(v, 640, 480, 15, DISPI_LFB_ENABLED);
    r->vram[0] = 0xE0;
    r->vram[1] = 0x03; /* 5:5:5 green */
    s = vga_update(v, 0);
    assert_int_equal(s->pixels[0], 0x00FF00);
    dispi_mode(v, 640, 480, 24, DISPI_LFB_ENABLED);
    r->vram[3] = 0x01;
    r->vram[4] = 0x02;
    r->vram[5] = 0x03;
    s = vga_update(v, 0);
    assert_int_equal(s->pixels[1], 0x030201);
}

static void test_dispi_8bpp_banked_and_dac(void **state)
{
    struct rig *r = *state;
    struct vga *v = &r->v;
    out(v, 0x3C2, 0x63);
    gc_w(v, 6, 0x05); /* A0000, 64 KiB */
    dispi_mode(v, 640, 480, 8, 0);
    dac_w(v, 7, 0x3F, 0x00, 0x00);
    bochs_dispi_write(v, DISPI_INDEX_BANK, 1);
    vga_mem_write(v, 5, 7);
    assert_int_equal(r->vram[0x10005], 7);
    assert_int_equal(vga_mem_read(v, 5), 7);
    const struct display_surface *s = vga_update(v, 0);
    /* vram 0x10005 = line 102 (65541 / 640), column 261 */
    assert_int_equal(s->pixels[102 * s->stride + 261], 0xFF0000);
    /* 8-bit DAC: components are stored and read with all eight bits. */
    bochs_dispi_write(v, DISPI_INDEX_ENABLE, DISPI_ENABLED | DISPI_8BIT_DAC | DISPI_NOCLEARMEM);
    dac_w(v, 7, 0x80, 0x40, 0xC0);
    out(v, 0x3C7, 7);
    assert_int_equal(in(v, 0x3C9), 0x80);
    s = vga_update(v, 0);
    assert_int_equal(s->pixels[102 * s->stride + 261], 0x8040C0);
    /* Disabling returns to VGA rendering and resets the bank. */
    bochs_dispi_write(v, DISPI_INDEX_ENABLE, 0);
    assert_int_equal(bochs_dispi_read(v, DISPI_INDEX_BANK), 0);
}

static void test_dispi_out_of_memory_mode_clipped(void **state)
{
    struct vga *v = &((struct rig *)*state)->v;
    dispi_mode(v, 2560, 1600, 32, DISPI_LFB_ENABLED); /* 16,384,000 bytes: fits */
    const struct display_surface *s = vga_update(v, 0);
    assert_int_equal(s->width, 2560);
    assert_int_equal(s->height, 1600);
    /* Panned down by 100 lines, only the lines inside 16 MiB are shown. */
    bochs_dispi_write(v, DISPI_INDEX_Y_OFFSET, 100);
    s = vga_update(v, 0);
    assert_int_equal(s->height, VRAM_SIZE / (2560 * 4) - 100);
    bochs_dispi_write(v, DISPI_INDEX_Y_OFFSET, 0xFFFF); /* start beyond memory */
    s = vga_update(v, 0);
    assert_int_equal(s->width, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_readback, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_crtc_write_protect, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_attribute_flip_flop, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mono_colour_decode, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dac_cycles, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_write_mode0_set_reset_bit_mask, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_write_mode0_rotate_and_functions, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_write_mode1_copies_latches, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_write_mode2_and_3, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_read_modes, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_memory_map_select, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_chain4_mode13, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_odd_even_text_memory, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_text_render_glyph, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_text_cursor_and_blink, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_text_readout, rig_setup, rig_teardown),
        cmocka_unit_test(test_cp437),
        cmocka_unit_test_setup_teardown(test_planar_mode12_render, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_line_compare_split_screen, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_cga_mode4_interleave, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_blank_when_palette_access, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_retrace_mode3, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_retrace_mode12, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dispi_id_and_caps, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dispi_lfb_32bpp, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dispi_16_15_24_bpp, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dispi_8bpp_banked_and_dac, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dispi_out_of_memory_mode_clipped, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
