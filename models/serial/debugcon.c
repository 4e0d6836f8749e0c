/* debugcon.c: the Bochs/QEMU firmware debug console, one I/O port (0x402 for
 * SeaBIOS, 0xE9 for Bochs BIOS) that prints every byte written to it.
 * No datasheet: behaviour of QEMU's isa-debugcon (hw/char/debugcon.c).
 *
 * Reads return a fixed value (0xE9 by default) so software can detect the
 * port; SeaBIOS only writes. Output goes to "chardev" listeners. */
#include <stdlib.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/sim.h"

#define DEBUGCON_MAX_LISTENERS 8

struct debugcon {
    struct component *comp;
    uint8_t readback;
    struct {
        chardev_out_fn fn;
        void *ctx;
    } listeners[DEBUGCON_MAX_LISTENERS];
    unsigned nlisteners;
    struct chardev_iface chardev;
    uint64_t stat_bytes;
};

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
    struct debugcon *s = opaque;
    return s->readback;
}

static void debugcon_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct debugcon *s = opaque;
    uint8_t b = (uint8_t)value;
    s->stat_bytes++;
    for (unsigned i = 0; i < s->nlisteners; i++)
        s->listeners[i].fn(s->listeners[i].ctx, &b, 1);
}

static const struct mmio_ops debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .max_access = 1,
};

static void debugcon_add_listener(void *opaque, chardev_out_fn fn, void *ctx)
{
    struct debugcon *s = opaque;
    if (s->nlisteners == DEBUGCON_MAX_LISTENERS) {
        sim_log(s->comp->sim, s->comp->name, "too many output listeners; ignoring one");
        return;
    }
    s->listeners[s->nlisteners].fn = fn;
    s->listeners[s->nlisteners].ctx = ctx;
    s->nlisteners++;
}

static const struct param_desc debugcon_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space"},
    {"port", PARAM_U64, "0x402", "the port (SeaBIOS: 0x402, Bochs: 0xe9)"},
    {"readback", PARAM_U64, "0xe9", "value a read returns"},
    PARAM_END,
};

static int debugcon_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct debugcon *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    uint64_t port = 0x402, readback = 0xE9;
    params_u64(p, "port", &port);
    params_u64(p, "readback", &readback);
    if (readback > 0xFF)
        return params_error(p, "readback", err, "readback: a byte value (0-0xff) is expected");
    s->readback = (uint8_t)readback;
    if (!as_add_mmio(params_space(p, "space"), c, c->name, port, 1, &debugcon_ops, s, err))
        return -1;
    s->chardev = (struct chardev_iface){
        .add_listener = debugcon_add_listener,
        .input = NULL,
        .opaque = s,
    };
    component_export(c, "chardev", &s->chardev);
    stat_register(c, "bytes", "bytes written by the guest", &s->stat_bytes);
    return 0;
}

static void debugcon_destroy(struct component *c)
{
    free(c->state);
}

const struct component_type debugcon_type = {
    .name = "debugcon",
    .description = "firmware debug console port (QEMU isa-debugcon; SeaBIOS log on 0x402)",
    .params = debugcon_params,
    .create = debugcon_create,
    .destroy = debugcon_destroy,
};
