/* test_i8042.c: the 8042 controller with a PS/2 keyboard and mouse, against
 * the IBM PS/2 technical reference: status bits, command byte, controller
 * commands (20/60, A7-AB, AD/AE, C0, D0-D4, DD/DF, F0-FF), output port A20
 * and reset, IRQ1/IRQ12, set 2 -> set 1 translation, the keyboard command
 * set (FF with delayed AA, F5, F4, F3, F2, F0, EE, ED), make/break codes in
 * sets 1 and 2, typematic repeat, the SeaBIOS probe sequence, and the mouse
 * (reset, ID, IntelliMouse sequence, packets, settings, wrap mode). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/machine.h"
#include "kernel/iface.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "tests/lib/dev_test.h"

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct ynode *yaml[3];
    struct keyboard_iface *kbd;
    struct mouse_iface *mouse;
    int irq1, irq12, a20;
    int irq1_rises;
};

static void rig_sink(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    switch (line) {
    case 1:
        if (level && !r->irq1)
            r->irq1_rises++;
        r->irq1 = level;
        break;
    case 12: r->irq12 = level; break;
    case 20: r->a20 = level; break;
    }
}

static struct component *rig_component(struct rig *r, int slot, const char *name,
                                       const char *type, const char *yaml)
{
    return dev_test_component(r->sim, name, type, yaml, &r->yaml[slot]);
}

static void rig_build(struct rig *r, bool with_mouse)
{
    struct cw_error err = {{0}};
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    struct component *k = rig_component(r, 0, "kbd", "ps2kbd", "type: ps2kbd\n");
    struct component *m = NULL;
    if (with_mouse) {
        m = rig_component(r, 1, "mouse", "ps2mouse", "type: ps2mouse\n");
        rig_component(r, 2, "kbc", "i8042", "type: i8042\nkeyboard: kbd\nmouse: mouse\n");
    } else {
        rig_component(r, 2, "kbc", "i8042", "type: i8042\nkeyboard: kbd\n");
    }
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    signal_add_sink(signal_find(r->sim, "kbc.irq1"), rig_sink, r, 1);
    signal_add_sink(signal_find(r->sim, "kbc.irq12"), rig_sink, r, 12);
    signal_add_sink(signal_find(r->sim, "kbc.a20"), rig_sink, r, 20);
    sim_reset_components(r->sim);
    r->kbd = component_interface(k, "keyboard");
    assert_non_null(r->kbd);
    if (m) {
        r->mouse = component_interface(m, "mouse");
        assert_non_null(r->mouse);
    }
}

static int rig_setup(void **state)
{
    static struct rig rig;
    rig_build(&rig, true);
    *state = &rig;
    return 0;
}

static int rig_setup_no_mouse(void **state)
{
    static struct rig rig;
    rig_build(&rig, false);
    *state = &rig;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    for (int i = 0; i < 3; i++)
        ytree_free(r->yaml[i]);
    return 0;
}

static uint8_t status(struct rig *r)
{
    return (uint8_t)as_read(r->io, 0x64, 1, BUS_IO_READ, 0, NULL);
}

static void command(struct rig *r, uint8_t c)
{
    as_write(r->io, 0x64, 1, c, BUS_IO_WRITE, 0, NULL);
}

static void data_w(struct rig *r, uint8_t v)
{
    as_write(r->io, 0x60, 1, v, BUS_IO_WRITE, 0, NULL);
}

static void advance(struct rig *r, sim_time_t dt)
{
    struct sim_limits lim = {.until_time = sim_now(r->sim) + dt};
    sim_run(r->sim, &lim);
}

/* Waits up to `limit` of guest time for the output buffer; -1 if empty. */
static int recv(struct rig *r, sim_time_t limit)
{
    for (sim_time_t waited = 0; waited <= limit; waited += SIM_US(50)) {
        if (status(r) & 0x01)
            return (int)as_read(r->io, 0x60, 1, BUS_IO_READ, 0, NULL);
        advance(r, SIM_US(50));
    }
    return -1;
}

#define WAIT SIM_MS(20)

static void expect_bytes(struct rig *r, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int b = recv(r, WAIT);
        if (b != want[i])
            fail_msg("byte %zu: got 0x%02x, want 0x%02x", i, b, want[i]);
    }
    assert_int_equal(recv(r, SIM_MS(5)), -1);
}

#define EXPECT(r, ...)                                                   \
    do {                                                                 \
        static const uint8_t want_[] = {__VA_ARGS__};                   \
        expect_bytes((r), want_, sizeof want_);                          \
    } while (0)

/* --- controller -------------------------------------------------------------------- */

static void test_reset_state_and_self_test(void **state)
{
    struct rig *r = *state;
    assert_int_equal(status(r), 0x10); /* unlocked, nothing else */
    assert_int_equal(r->a20, 1);
    command(r, 0x20);
    assert_int_equal(status(r), 0x19); /* OBF, last write a command */
    assert_int_equal(recv(r, 0), 0x41); /* KBD_INT | XLATE */
    command(r, 0xAA);
    assert_int_equal(recv(r, 0), 0x55);
    assert_int_equal(status(r) & 0x04, 0x04); /* system flag after self test */
    command(r, 0xAB);
    assert_int_equal(recv(r, 0), 0x00);
    command(r, 0xA9);
    assert_int_equal(recv(r, 0), 0x00);
    command(r, 0xE0);
    assert_int_equal(recv(r, 0), 0x00);
    command(r, 0xC0);
    assert_int_equal(recv(r, 0) & 0x80, 0x80);
}

static void test_command_byte(void **state)
{
    struct rig *r = *state;
    command(r, 0x60);
    data_w(r, 0x30);
    assert_int_equal(status(r) & 0x0C, 0x00); /* SYS follows bit 2; last write data */
    command(r, 0x20);
    assert_int_equal(recv(r, 0), 0x30);
    command(r, 0x60);
    data_w(r, 0x04);
    assert_int_equal(status(r) & 0x04, 0x04);
    /* AD/AE and A7/A8 toggle the disable bits. */
    command(r, 0xAD);
    command(r, 0xA7);
    command(r, 0x20);
    assert_int_equal(recv(r, 0), 0x34);
    command(r, 0xAE);
    command(r, 0xA8);
    command(r, 0x20);
    assert_int_equal(recv(r, 0), 0x04);
    /* Controller RAM bytes 1-31 through 61-7F / 21-3F. */
    command(r, 0x65);
    data_w(r, 0x99);
    command(r, 0x25);
    assert_int_equal(recv(r, 0), 0x99);
}

static void test_output_port(void **state)
{
    struct rig *r = *state;
    command(r, 0xD0);
    assert_int_equal(recv(r, 0), 0xCF);
    command(r, 0xD1);
    data_w(r, 0xCD); /* A20 off */
    assert_int_equal(r->a20, 0);
    command(r, 0xDF);
    assert_int_equal(r->a20, 1);
    command(r, 0xDD);
    assert_int_equal(r->a20, 0);
    /* Port 0x92's A20 (input a20-in) is ORed in. */
    struct cw_error err = {{0}};
    struct signal *fast = signal_create(r->sim, sim_find_component(r->sim, "kbd"), "fast-a20");
    assert_int_equal(signal_connect(r->sim, "kbd.fast-a20", "kbc.a20-in", &err), 0);
    signal_set(fast, 1);
    assert_int_equal(r->a20, 1);
    command(r, 0xDF);
    signal_set(fast, 0);
    assert_int_equal(r->a20, 1);
    command(r, 0xDD);
    assert_int_equal(r->a20, 0);
    /* D2: a byte as if from the keyboard, with IRQ1 (command byte bit 0). */
    command(r, 0xD2);
    data_w(r, 0x5A);
    assert_int_equal(status(r) & 0x21, 0x01);
    assert_int_equal(r->irq1, 1);
    command(r, 0xD0);
    /* Read while the keyboard byte sat in the buffer: bit 4 (IRQ1 line). */
    assert_int_equal(recv(r, 0) & 0x30, 0x10);
    /* D3: as if from the mouse: status bit 5, IRQ12 only if enabled. */
    command(r, 0xD3);
    data_w(r, 0x08);
    assert_int_equal(status(r) & 0x21, 0x21);
    assert_int_equal(r->irq12, 0);
    assert_int_equal(r->irq1, 0);
    command(r, 0x60);
    data_w(r, 0x43);
    assert_int_equal(r->irq12, 1);
    assert_int_equal(recv(r, 0), 0x08);
    assert_int_equal(r->irq12, 0);
    assert_int_equal(status(r) & 0x21, 0x00);
}

static void test_reset_line(void **state)
{
    struct rig *r = *state;
    uint64_t before = sim_reset_count(r->sim);
    command(r, 0xFF); /* pulses nothing */
    command(r, 0xFD); /* pulses bit 1 only */
    advance(r, SIM_US(10));
    assert_int_equal(sim_reset_count(r->sim), before);
    command(r, 0xFE);
    advance(r, SIM_US(10));
    assert_int_equal(sim_reset_count(r->sim), before + 1);
    command(r, 0xD1);
    data_w(r, 0xCE); /* bit 0 low */
    advance(r, SIM_US(10));
    assert_int_equal(sim_reset_count(r->sim), before + 2);
    assert_int_equal(r->a20, 1); /* reset restored the output port */
}

/* --- keyboard ------------------------------------------------------------------------- */

/* SeaBIOS hw/ps2port.c: disable both ports, flush, self test, interface
 * test, then keyboard reset, disable, set 2, enable. */
static void test_seabios_sequence(void **state)
{
    struct rig *r = *state;
    command(r, 0xAD);
    command(r, 0xA7);
    assert_int_equal(recv(r, SIM_MS(2)), -1);
    command(r, 0xAA);
    assert_int_equal(recv(r, 0), 0x55);
    command(r, 0xAB);
    assert_int_equal(recv(r, 0), 0x00);
    command(r, 0x60);
    data_w(r, 0x30); /* both disabled, no interrupts, no translation */
    data_w(r, 0xFF); /* keyboard reset: enables the keyboard clock again */
    sim_time_t t0 = sim_now(r->sim);
    assert_int_equal(recv(r, WAIT), 0xFA);
    assert_true(sim_now(r->sim) - t0 >= SIM_MS(1)); /* a byte on the wire */
    assert_int_equal(recv(r, WAIT), 0xAA);
    data_w(r, 0xF5);
    EXPECT(r, 0xFA);
    data_w(r, 0xF0);
    EXPECT(r, 0xFA);
    data_w(r, 0x02);
    EXPECT(r, 0xFA);
    data_w(r, 0xF4);
    EXPECT(r, 0xFA);
    command(r, 0x60);
    data_w(r, 0x61); /* XLATE | SYS | KBD_INT */
    r->kbd->key(r->kbd->opaque, 0x1C, true); /* A */
    EXPECT(r, 0x1E);
    r->kbd->key(r->kbd->opaque, 0x1C, false);
    EXPECT(r, 0x9E);
}

static void test_bat_delay(void **state)
{
    struct rig *r = *state;
    data_w(r, 0xFF);
    assert_int_equal(recv(r, WAIT), 0xFA);
    sim_time_t t0 = sim_now(r->sim);
    /* Keys during the self test are lost. */
    r->kbd->key(r->kbd->opaque, 0x1C, true);
    assert_int_equal(recv(r, WAIT), 0xAA);
    assert_true(sim_now(r->sim) - t0 >= SIM_MS(1));
    assert_int_equal(recv(r, SIM_MS(5)), -1);
}

static void test_make_break_set2(void **state)
{
    struct rig *r = *state;
    command(r, 0x60);
    data_w(r, 0x01); /* translation off */
    r->kbd->key(r->kbd->opaque, 0x1C, true);
    r->kbd->key(r->kbd->opaque, 0x1C, false);
    EXPECT(r, 0x1C, 0xF0, 0x1C);
    r->kbd->key(r->kbd->opaque, KEY_EXT | 0x75, true); /* cursor up */
    r->kbd->key(r->kbd->opaque, KEY_EXT | 0x75, false);
    EXPECT(r, 0xE0, 0x75, 0xE0, 0xF0, 0x75);
    r->kbd->key(r->kbd->opaque, KEY_PAUSE, true);
    r->kbd->key(r->kbd->opaque, KEY_PAUSE, false);
    EXPECT(r, 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
    r->kbd->key(r->kbd->opaque, KEY_EXT | 0x7C, true); /* print screen */
    EXPECT(r, 0xE0, 0x12, 0xE0, 0x7C);
}

static void test_translation(void **state)
{
    struct rig *r = *state;
    /* Default command byte translates. */
    static const struct {
        uint16_t key;
        uint8_t set1;
    } keys[] = {{0x76, 0x01}, {0x16, 0x02}, {0x5A, 0x1C}, {0x29, 0x39}, {0x05, 0x3B},
                {0x83, 0x41}, {0x07, 0x58}, {0x12, 0x2A}, {0x77, 0x45}, {0x7C, 0x37}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        r->kbd->key(r->kbd->opaque, keys[i].key, true);
        r->kbd->key(r->kbd->opaque, keys[i].key, false);
        uint8_t want[2] = {keys[i].set1, (uint8_t)(keys[i].set1 | 0x80)};
        expect_bytes(r, want, 2);
    }
    r->kbd->key(r->kbd->opaque, KEY_EXT | 0x75, true);
    r->kbd->key(r->kbd->opaque, KEY_EXT | 0x75, false);
    EXPECT(r, 0xE0, 0x48, 0xE0, 0xC8);
    /* Replies go through the table too: the ID reads AB 41. */
    data_w(r, 0xF2);
    EXPECT(r, 0xFA, 0xAB, 0x41);
}

static void test_keyboard_commands(void **state)
{
    struct rig *r = *state;
    command(r, 0x60);
    data_w(r, 0x01);
    data_w(r, 0xF2);
    EXPECT(r, 0xFA, 0xAB, 0x83);
    data_w(r, 0xEE);
    EXPECT(r, 0xEE);
    data_w(r, 0xED);
    EXPECT(r, 0xFA);
    data_w(r, 0x07);
    EXPECT(r, 0xFA);
    data_w(r, 0xF0);
    EXPECT(r, 0xFA);
    data_w(r, 0x00);
    EXPECT(r, 0xFA, 0x02);
    data_w(r, 0x01); /* not a command */
    EXPECT(r, 0xFE);
    data_w(r, 0xFE); /* resend: the last byte again */
    EXPECT(r, 0xFE);
    /* Set 1: the keyboard itself sends set-1 codes. */
    data_w(r, 0xF0);
    data_w(r, 0x01);
    EXPECT(r, 0xFA, 0xFA);
    r->kbd->key(r->kbd->opaque, 0x1C, true);
    r->kbd->key(r->kbd->opaque, 0x1C, false);
    r->kbd->key(r->kbd->opaque, KEY_EXT | 0x75, true);
    r->kbd->key(r->kbd->opaque, KEY_EXT | 0x75, false);
    EXPECT(r, 0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8);
    data_w(r, 0xF0);
    data_w(r, 0x00);
    EXPECT(r, 0xFA, 0xFA, 0x01);
    /* F5: no scanning; F4 again. */
    data_w(r, 0xF5);
    EXPECT(r, 0xFA);
    r->kbd->key(r->kbd->opaque, 0x1C, true);
    assert_int_equal(recv(r, SIM_MS(5)), -1);
    data_w(r, 0xF4);
    EXPECT(r, 0xFA);
    r->kbd->key(r->kbd->opaque, 0x1C, true);
    EXPECT(r, 0x1C); /* F5 restored set 2 */
}

static void test_typematic(void **state)
{
    struct rig *r = *state;
    command(r, 0x60);
    data_w(r, 0x01);
    data_w(r, 0xF3);
    data_w(r, 0x00); /* 250 ms delay, 30 characters/s */
    EXPECT(r, 0xFA, 0xFA);
    r->kbd->key(r->kbd->opaque, 0x1C, true);
    assert_int_equal(recv(r, WAIT), 0x1C);
    advance(r, SIM_MS(240));
    assert_int_equal(recv(r, 0), -1);
    assert_int_equal(recv(r, SIM_MS(20)), 0x1C); /* first repeat at 250 ms */
    /* 33.3 ms period: two more in the next 70 ms. */
    advance(r, SIM_MS(30));
    assert_int_equal(recv(r, SIM_MS(10)), 0x1C);
    assert_int_equal(recv(r, SIM_MS(40)), 0x1C);
    r->kbd->key(r->kbd->opaque, 0x1C, false);
    EXPECT(r, 0xF0, 0x1C);
    advance(r, SIM_MS(500));
    assert_int_equal(recv(r, 0), -1);
}

static void test_irq1_and_disable(void **state)
{
    struct rig *r = *state;
    command(r, 0xAD); /* keyboard clock inhibited: bytes wait in the keyboard */
    r->kbd->key(r->kbd->opaque, 0x1C, true);
    assert_int_equal(recv(r, SIM_MS(5)), -1);
    assert_int_equal(r->irq1, 0);
    command(r, 0xAE);
    advance(r, SIM_MS(2));
    assert_int_equal(r->irq1, 1);
    assert_int_equal(r->irq1_rises, 1);
    assert_int_equal(recv(r, 0), 0x1E);
    assert_int_equal(r->irq1, 0);
    /* Interrupt disabled in the command byte: OBF without IRQ1. */
    command(r, 0x60);
    data_w(r, 0x40);
    r->kbd->key(r->kbd->opaque, 0x1C, false);
    advance(r, SIM_MS(3));
    assert_int_equal(status(r) & 1, 1);
    assert_int_equal(r->irq1, 0);
    assert_int_equal(recv(r, 0), 0x9E);
}

static void test_no_mouse(void **state)
{
    struct rig *r = *state;
    command(r, 0xD4);
    data_w(r, 0xFF);
    assert_int_equal(status(r) & 0x61, 0x61); /* OBF, aux, timeout */
    assert_int_equal(recv(r, 0), 0xFE);
}

/* --- mouse ---------------------------------------------------------------------------- */

static void aux(struct rig *r, uint8_t b)
{
    command(r, 0xD4);
    data_w(r, b);
}

static void test_mouse_reset_and_id(void **state)
{
    struct rig *r = *state;
    aux(r, 0xFF);
    assert_int_equal(recv(r, WAIT), 0xFA);
    assert_int_equal(status(r) & 0x20, 0x00); /* read already */
    EXPECT(r, 0xAA, 0x00);
    aux(r, 0xF2);
    EXPECT(r, 0xFA, 0x00);
    /* IntelliMouse: sample rates 200, 100, 80 then the ID is 3. */
    static const uint8_t rates[] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        aux(r, 0xF3);
        aux(r, rates[i]);
        EXPECT(r, 0xFA, 0xFA);
    }
    aux(r, 0xF2);
    EXPECT(r, 0xFA, 0x03);
    /* Status request: stream mode, disabled, scaling 1:1, resolution, rate 80. */
    aux(r, 0xE9);
    EXPECT(r, 0xFA, 0x00, 0x02, 80);
    aux(r, 0xE8);
    aux(r, 0x03);
    aux(r, 0xE7);
    aux(r, 0xF4);
    EXPECT(r, 0xFA, 0xFA, 0xFA, 0xFA);
    aux(r, 0xE9);
    EXPECT(r, 0xFA, 0x30, 0x03, 80);
    aux(r, 0xE6);
    EXPECT(r, 0xFA);
    /* Reset returns to a plain mouse. */
    aux(r, 0xFF);
    EXPECT(r, 0xFA, 0xAA, 0x00);
    aux(r, 0xF2);
    EXPECT(r, 0xFA, 0x00);
}

static void test_mouse_packets(void **state)
{
    struct rig *r = *state;
    command(r, 0x60);
    data_w(r, 0x47); /* both interrupts, translation */
    aux(r, 0xF4);
    assert_int_equal(recv(r, WAIT), 0xFA);
    r->mouse->motion(r->mouse->opaque, 5, -3, 0, 1); /* right 5, up 3, left button */
    advance(r, SIM_MS(2));
    assert_int_equal(r->irq12, 1);
    assert_int_equal(r->irq1, 0);
    assert_int_equal(status(r) & 0x21, 0x21);
    EXPECT(r, 0x09, 0x05, 0x03); /* Y is positive up in PS/2 packets */
    r->mouse->motion(r->mouse->opaque, -2, 4, 0, 2); /* left 2, down 4, right button */
    EXPECT(r, 0x3A, 0xFE, 0xFC);
    /* Large motion is split into packets of at most 255 counts. */
    r->mouse->motion(r->mouse->opaque, 300, 0, 0, 0);
    EXPECT(r, 0x08, 0xFF, 0x00, 0x08, 0x2D, 0x00);
    /* IntelliMouse adds the wheel byte. */
    static const uint8_t rates[] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        aux(r, 0xF3);
        aux(r, rates[i]);
    }
    EXPECT(r, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
    r->mouse->motion(r->mouse->opaque, 0, 0, -1, 4);
    EXPECT(r, 0x0C, 0x00, 0x00, 0xFF);
    /* Disabled reporting: no packets. */
    aux(r, 0xF5);
    EXPECT(r, 0xFA);
    r->mouse->motion(r->mouse->opaque, 1, 1, 0, 0);
    assert_int_equal(recv(r, SIM_MS(5)), -1);
    /* Remote mode: EB reads the accumulated motion. */
    aux(r, 0xF0);
    EXPECT(r, 0xFA);
    r->mouse->motion(r->mouse->opaque, 7, 0, 0, 0);
    aux(r, 0xEB);
    EXPECT(r, 0xFA, 0x08, 0x07, 0x00, 0x00);
}

static void test_mouse_wrap_mode(void **state)
{
    struct rig *r = *state;
    aux(r, 0xEE);
    EXPECT(r, 0xFA);
    aux(r, 0x12);
    aux(r, 0xF4);
    EXPECT(r, 0x12, 0xF4); /* echoed, not executed */
    aux(r, 0xEC);
    EXPECT(r, 0xFA);
    aux(r, 0xF2);
    EXPECT(r, 0xFA, 0x00);
}

/* Through the machine loader, the controller declared before its devices. */
static void test_machine_forward_refs(void **state)
{
    static const char yaml[] = "spaces:\n"
                               "  io: {kind: io, bits: 16}\n"
                               "components:\n"
                               "  kbc: {type: i8042, keyboard: kbd, mouse: mouse}\n"
                               "  kbd: {type: ps2kbd}\n"
                               "  mouse: {type: ps2mouse}\n";
    struct cw_error err = {{0}};
    struct ynode *m = ytree_load_string(yaml, strlen(yaml), "m.yaml", &err);
    struct sim *sim = machine_build(m, &err);
    if (!sim)
        fail_msg("build: %s", err.msg);
    struct addr_space *io = sim_find_space(sim, "io");
    as_write(io, 0x64, 1, 0xD4, BUS_IO_WRITE, 0, NULL);
    as_write(io, 0x60, 1, 0xF2, BUS_IO_WRITE, 0, NULL);
    struct sim_limits lim = {.until_time = SIM_MS(5)};
    sim_run(sim, &lim);
    assert_int_equal(as_read(io, 0x64, 1, BUS_IO_READ, 0, NULL) & 0x21, 0x21);
    assert_int_equal(as_read(io, 0x60, 1, BUS_IO_READ, 0, NULL), 0xFA);
    sim_destroy(sim);
    ytree_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_state_and_self_test, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_command_byte, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_output_port, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_reset_line, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_seabios_sequence, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_bat_delay, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_make_break_set2, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_translation, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_keyboard_commands, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_typematic, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_irq1_and_disable, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_no_mouse, rig_setup_no_mouse, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mouse_reset_and_id, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mouse_packets, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mouse_wrap_mode, rig_setup, rig_teardown),
        cmocka_unit_test(test_machine_forward_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
