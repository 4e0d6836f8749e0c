/* test_debugcon.c: the firmware debug console: bytes written to the port
 * reach every listener in order, reads return the readback value, other
 * ports are untouched, and bad parameters are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

struct sink {
    char buf[64];
    size_t n;
};

static void sink_out(void *ctx, const uint8_t *buf, size_t len)
{
    struct sink *k = ctx;
    for (size_t i = 0; i < len && k->n < sizeof k->buf - 1; i++)
        k->buf[k->n++] = (char)buf[i];
}

static struct component *make(struct sim *sim, struct ynode **n, const char *yaml,
                              struct cw_error *err)
{
    *n = ytree_load_string(yaml, strlen(yaml), "t.yaml", err);
    assert_non_null(*n);
    return component_create(sim, "dbg", component_type_find("debugcon"), *n, err);
}

static void test_output_and_readback(void **state)
{
    struct cw_error err = {{0}};
    struct sim *sim = sim_create();
    struct addr_space *io = as_create(sim, "io", SPACE_IO, 16);
    sim_add_space(sim, io);
    struct ynode *n;
    struct component *c = make(sim, &n, "type: debugcon\n", &err);
    assert_non_null(c);
    struct chardev_iface *chr = component_interface(c, "chardev");
    assert_non_null(chr);
    assert_null(chr->input);
    struct sink a = {0}, b = {0};
    chr->add_listener(chr->opaque, sink_out, &a);
    chr->add_listener(chr->opaque, sink_out, &b);
    const char *msg = "SeaBIOS (version 1.16.2)\n";
    for (const char *p = msg; *p; p++)
        as_write(io, 0x402, 1, (uint8_t)*p, BUS_IO_WRITE, 0, NULL);
    assert_string_equal(a.buf, msg);
    assert_string_equal(b.buf, msg);
    assert_int_equal(as_read(io, 0x402, 1, BUS_IO_READ, 0, NULL), 0xE9);
    /* Neighbouring ports are not the console. */
    as_write(io, 0x403, 1, 'X', BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(io, 0x401, 1, BUS_IO_READ, 0, NULL), 0xFF);
    assert_int_equal(a.n, strlen(msg));
    sim_destroy(sim);
    ytree_free(n);
}

static void test_bochs_port(void **state)
{
    struct cw_error err = {{0}};
    struct sim *sim = sim_create();
    struct addr_space *io = as_create(sim, "io", SPACE_IO, 16);
    sim_add_space(sim, io);
    struct ynode *n;
    struct component *c = make(sim, &n, "type: debugcon\nport: 0xe9\nreadback: 0\n", &err);
    assert_non_null(c);
    struct chardev_iface *chr = component_interface(c, "chardev");
    struct sink a = {0};
    chr->add_listener(chr->opaque, sink_out, &a);
    as_write(io, 0xE9, 1, 'k', BUS_IO_WRITE, 0, NULL);
    assert_string_equal(a.buf, "k");
    assert_int_equal(as_read(io, 0xE9, 1, BUS_IO_READ, 0, NULL), 0);
    sim_destroy(sim);
    ytree_free(n);
}

static void test_bad_readback(void **state)
{
    struct cw_error err = {{0}};
    struct sim *sim = sim_create();
    sim_add_space(sim, as_create(sim, "io", SPACE_IO, 16));
    struct ynode *n;
    assert_null(make(sim, &n, "type: debugcon\nreadback: 0x100\n", &err));
    assert_non_null(strstr(err.msg, "t.yaml:2"));
    assert_non_null(strstr(err.msg, "readback"));
    sim_destroy(sim);
    ytree_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_and_readback),
        cmocka_unit_test(test_bochs_port),
        cmocka_unit_test(test_bad_readback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
