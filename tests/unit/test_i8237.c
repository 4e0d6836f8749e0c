/* test_i8237.c: the 8237A pair and the AT page registers against the Intel
 * 8237A datasheet: the byte-pointer flip-flop, base/current registers,
 * masks, master clear, status with TC and requests, the temporary
 * register, the 16-bit chip's word stride (SeaBIOS's init sequence), the
 * POST port, and transfers with cascade, autoinitialise and decrement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/dma/i8237.h"
#include "tests/lib/dev_test.h"

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct addr_space *mem;
    struct ynode *yaml[2];
    struct component *dma[2];
    struct i8237_iface *xfer[2];
};

static struct component *make(struct rig *r, int slot, const char *name, const char *yaml)
{
    struct cw_error err = {{0}};
    r->yaml[slot] = ytree_load_string(yaml, strlen(yaml), name, &err);
    assert_non_null(r->yaml[slot]);
    struct component *c =
        component_create(r->sim, name, component_type_find("i8237"), r->yaml[slot], &err);
    if (!c)
        fail_msg("create %s: %s", name, err.msg);
    return c;
}

static int rig_setup(void **state)
{
    static struct rig rig;
    struct rig *r = &rig;
    memset(r, 0, sizeof *r);
    struct cw_error err = {{0}};
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    r->mem = as_create(r->sim, "mem", SPACE_MEMORY, 32);
    sim_add_space(r->sim, r->mem);
    if (!as_add_ram(r->mem, NULL, "ram", 0, 16 << 20, &err))
        fail_msg("%s", err.msg);
    r->dma[0] = make(r, 0, "dma0",
                     "type: i8237\nspace: io\nbase: 0x00\npage-registers: 0x80\n"
                     "cascade: dma1\nmemory: mem\n");
    r->dma[1] = make(r, 1, "dma1",
                     "type: i8237\nspace: io\nbase: 0xC0\nstride: 2\nword: true\n"
                     "first-channel: 4\npages: dma0\nmemory: mem\n");
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    sim_reset_components(r->sim);
    r->xfer[0] = component_interface(r->dma[0], "dma");
    r->xfer[1] = component_interface(r->dma[1], "dma");
    assert_non_null(r->xfer[0]);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml[0]);
    ytree_free(r->yaml[1]);
    return 0;
}

static void out8(struct rig *r, uint16_t port, uint8_t v)
{
    as_write(r->io, port, 1, v, BUS_IO_WRITE, 0, NULL);
}

static uint8_t in8(struct rig *r, uint16_t port)
{
    return (uint8_t)as_read(r->io, port, 1, BUS_IO_READ, 0, NULL);
}

/* SeaBIOS init_dma(): master clear both, channel 4 cascade, unmask it. */
static void seabios_init(struct rig *r)
{
    out8(r, 0x0D, 0);
    out8(r, 0xDA, 0);
    out8(r, 0xD6, 0xC0);
    out8(r, 0xD4, 0);
}

static void program(struct rig *r, uint16_t addr_port, uint16_t address, uint16_t count)
{
    out8(r, addr_port, (uint8_t)address);
    out8(r, addr_port, (uint8_t)(address >> 8));
    out8(r, (uint16_t)(addr_port + (addr_port >= 0xC0 ? 2 : 1)), (uint8_t)count);
    out8(r, (uint16_t)(addr_port + (addr_port >= 0xC0 ? 2 : 1)), (uint8_t)(count >> 8));
}

static void test_flip_flop_and_registers(void **state)
{
    struct rig *r = *state;
    out8(r, 0x0C, 0); /* clear the byte pointer */
    out8(r, 0x04, 0x34);
    out8(r, 0x04, 0x12);
    out8(r, 0x05, 0xFF);
    out8(r, 0x05, 0x01);
    assert_int_equal(in8(r, 0x04), 0x34);
    assert_int_equal(in8(r, 0x04), 0x12);
    assert_int_equal(in8(r, 0x05), 0xFF);
    assert_int_equal(in8(r, 0x05), 0x01);
    /* One flip-flop for all registers: a lone read leaves it at "high". */
    assert_int_equal(in8(r, 0x04), 0x34);
    assert_int_equal(in8(r, 0x05), 0x01);
    out8(r, 0x0C, 0);
    assert_int_equal(in8(r, 0x05), 0xFF);
    out8(r, 0x0C, 0);
    /* Reading the temporary register: nothing transferred yet. */
    assert_int_equal(in8(r, 0x0D), 0x00);
}

static void test_masks_and_master_clear(void **state)
{
    struct rig *r = *state;
    assert_int_equal(in8(r, 0x0F) & 0x0F, 0x0F); /* all masked after reset */
    out8(r, 0x0E, 0);                              /* clear mask register */
    assert_int_equal(in8(r, 0x0F) & 0x0F, 0x00);
    out8(r, 0x0A, 0x06); /* set mask channel 2 */
    assert_int_equal(in8(r, 0x0F) & 0x0F, 0x04);
    out8(r, 0x0A, 0x02); /* clear it */
    out8(r, 0x0A, 0x05); /* set channel 1 */
    assert_int_equal(in8(r, 0x0F) & 0x0F, 0x02);
    out8(r, 0x0F, 0x09); /* write all mask bits */
    assert_int_equal(in8(r, 0x0F) & 0x0F, 0x09);
    out8(r, 0x08, 0x04); /* command: controller disable */
    out8(r, 0x09, 0x05); /* software request channel 1 */
    out8(r, 0x00, 0xAA); /* flip-flop now at high byte */
    out8(r, 0x0D, 0);    /* master clear */
    assert_int_equal(in8(r, 0x0F) & 0x0F, 0x0F);
    assert_int_equal(in8(r, 0x08), 0x00); /* status and requests cleared */
    out8(r, 0x00, 0x11); /* flip-flop cleared: this is the low byte */
    out8(r, 0x00, 0x22);
    assert_int_equal(in8(r, 0x00), 0x11);
    assert_int_equal(in8(r, 0x00), 0x22);
}

static void test_word_controller_stride(void **state)
{
    struct rig *r = *state;
    seabios_init(r);
    assert_int_equal(in8(r, 0xDE) & 0x0F, 0x0E); /* channel 4 unmasked */
    program(r, 0xC4, 0xBEEF, 0x0123);            /* channel 5 */
    assert_int_equal(in8(r, 0xC4), 0xEF);
    assert_int_equal(in8(r, 0xC4), 0xBE);
    assert_int_equal(in8(r, 0xC6), 0x23);
    assert_int_equal(in8(r, 0xC6), 0x01);
    /* The 8-bit chip is a different register file. */
    assert_int_equal(in8(r, 0x02), 0x00);
}

static void test_status_requests_and_tc(void **state)
{
    struct rig *r = *state;
    seabios_init(r);
    out8(r, 0x09, 0x06); /* request channel 2 */
    out8(r, 0x09, 0x04); /* request channel 0 */
    assert_int_equal(in8(r, 0x08), 0x50);
    out8(r, 0x09, 0x00); /* clear request 0 */
    assert_int_equal(in8(r, 0x08), 0x40);

    out8(r, 0x0B, 0x46); /* channel 2: single, increment, write, no autoinit */
    out8(r, 0x81, 0x01); /* page */
    program(r, 0x04, 0x1000, 3);
    out8(r, 0x0A, 0x02); /* unmask */
    uint8_t data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_int_equal(r->xfer[0]->transfer(r->xfer[0]->opaque, 2, data, sizeof data), 4);
    uint8_t got[5];
    as_peek(r->mem, 0x11000, got, 5);
    assert_memory_equal(got, data, 4);
    assert_int_equal(got[4], 0);
    assert_int_equal(in8(r, 0x08), 0x04); /* TC 2; request 2 cleared by TC */
    assert_int_equal(in8(r, 0x08), 0x00); /* reading cleared TC */
    assert_int_equal(in8(r, 0x0F) & 0x04, 0x04); /* masked at TC */
    assert_int_equal(in8(r, 0x04), 0x04);         /* address advanced */
    assert_int_equal(in8(r, 0x04), 0x10);
    assert_int_equal(in8(r, 0x05), 0xFF); /* count wrapped to 0xFFFF */
    assert_int_equal(in8(r, 0x05), 0xFF);
    assert_int_equal(in8(r, 0x0D), 4); /* temporary: last byte moved */
    assert_int_equal(r->xfer[0]->transfer(r->xfer[0]->opaque, 2, data, sizeof data), 0);
}

static void test_cascade_gates_the_8bit_chip(void **state)
{
    struct rig *r = *state;
    out8(r, 0x0B, 0x46);
    program(r, 0x04, 0x0000, 0);
    out8(r, 0x0A, 0x02);
    uint8_t b = 0x5A;
    /* Channel 4 not yet in cascade mode and masked: no transfer. */
    assert_int_equal(r->xfer[0]->transfer(r->xfer[0]->opaque, 2, &b, 1), 0);
    seabios_init(r); /* master clear masks dma0 again */
    out8(r, 0x0A, 0x02);
    assert_int_equal(r->xfer[0]->transfer(r->xfer[0]->opaque, 2, &b, 1), 1);
}

static void test_autoinit_decrement_and_read(void **state)
{
    struct rig *r = *state;
    seabios_init(r);
    static const uint8_t pattern[4] = {0xA1, 0xB2, 0xC3, 0xD4};
    as_load(r->mem, 0x2000, pattern, 4);
    out8(r, 0x0B, 0x79); /* channel 1: single, decrement, autoinit, read */
    program(r, 0x02, 0x2003, 3);
    out8(r, 0x0A, 0x01);
    uint8_t buf[8] = {0};
    assert_int_equal(r->xfer[0]->transfer(r->xfer[0]->opaque, 1, buf, 8), 4);
    assert_int_equal(buf[0], 0xD4);
    assert_int_equal(buf[3], 0xA1);
    assert_int_equal(in8(r, 0x0F) & 0x02, 0x00); /* autoinit: stays unmasked */
    assert_int_equal(in8(r, 0x02), 0x03);         /* reloaded from base */
    assert_int_equal(in8(r, 0x02), 0x20);
    assert_int_equal(r->xfer[0]->transfer(r->xfer[0]->opaque, 1, buf, 2), 2);
    assert_int_equal(buf[1], 0xC3);
}

static void test_word_transfer_addressing(void **state)
{
    struct rig *r = *state;
    seabios_init(r);
    out8(r, 0xD6, 0x45); /* channel 5: single, increment, write */
    out8(r, 0x8B, 0x03); /* page for channel 5: bit 0 ignored in word mode */
    program(r, 0xC4, 0x0800, 1);
    out8(r, 0xD4, 0x01);
    uint8_t data[6] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(r->xfer[1]->transfer(r->xfer[1]->opaque, 1, data, 6), 4);
    uint8_t got[4];
    as_peek(r->mem, 0x21000, got, 4);
    assert_memory_equal(got, data, 4);
}

static void test_page_registers_and_post_port(void **state)
{
    struct rig *r = *state;
    out8(r, 0x80, 0x12);
    out8(r, 0x80, 0x34);
    assert_int_equal(in8(r, 0x80), 0x34);
    out8(r, 0x8F, 0x77);
    assert_int_equal(in8(r, 0x8F), 0x77);
    assert_int_equal(dev_test_stat(r->dma[0], "post-code-writes"), 2);
    assert_int_equal(dev_test_stat(r->dma[0], "post-code"), 0x34);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flip_flop_and_registers, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_masks_and_master_clear, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_word_controller_stride, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_status_requests_and_tc, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_cascade_gates_the_8bit_chip, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_autoinit_decrement_and_read, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_word_transfer_addressing, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_page_registers_and_post_port, rig_setup,
                                        rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
