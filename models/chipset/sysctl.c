/* sysctl.c: the PC's system control ports: port B (0x61: timer 2 gate,
 * speaker, refresh toggle, OUT2) and port A (0x92: fast A20, fast reset).
 * Follows the IBM PC/AT Technical Reference (port 0x61) and the Intel 82371SB
 * PIIX3 datasheet (Port 92h) as the PIIX3 implements both.
 *
 * Port 0x61 write: bit 0 drives the 8254's GATE2 (output "pit-gate2"), bit 1
 * the speaker data enable (output "speaker"), bits 2-3 the parity/IOCHK
 * check enables (stored only). Read: those bits, bit 4 the refresh request
 * toggle (flips every `refresh-period` of guest time, computed from the
 * clock: BIOS delay loops count its flips), bit 5 OUT2 read from the 8254
 * named by `pit` through its "i8254" interface, bits 6-7 (IOCHK, SERR) 0.
 * Port 0x92: bit 1 drives the output "a20"; a 0-to-1 write of bit 0 resets
 * the machine (sim_request_reset). */
#include <stdlib.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/pit/i8254.h"

#define SYSCTL_B_GATE2 0x01
#define SYSCTL_B_SPEAKER 0x02
#define SYSCTL_B_WRITABLE 0x0F
#define SYSCTL_B_REFRESH 0x10
#define SYSCTL_B_OUT2 0x20
#define SYSCTL_A_RESET 0x01
#define SYSCTL_A_A20 0x02

struct sysctl {
    struct component *comp;
    struct sim *sim;
    uint8_t port_b;             /* 0x61 bits 3-0 as written */
    uint8_t port_a;             /* 0x92 as written */
    sim_time_t refresh_period;  /* time between refresh toggle flips */
    struct i8254_iface *pit;    /* NULL: OUT2 reads 0 */
    struct signal *gate2;
    struct signal *speaker;
    struct signal *a20;
    uint64_t stat_fast_resets;
    uint64_t stat_a20_changes;
};

static uint64_t sysctl_port_b_read(void *opaque, uint64_t offset, unsigned size)
{
    struct sysctl *s = opaque;
    uint8_t v = s->port_b;
    if ((sim_now(s->sim) / s->refresh_period) & 1)
        v |= SYSCTL_B_REFRESH;
    if (s->pit && s->pit->out_level(s->pit->opaque, 2))
        v |= SYSCTL_B_OUT2;
    return v;
}

static void sysctl_port_b_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct sysctl *s = opaque;
    s->port_b = (uint8_t)(value & SYSCTL_B_WRITABLE);
    signal_set(s->gate2, s->port_b & SYSCTL_B_GATE2);
    signal_set(s->speaker, (s->port_b & SYSCTL_B_SPEAKER) != 0);
}

static const struct mmio_ops sysctl_port_b_ops = {
    .read = sysctl_port_b_read,
    .write = sysctl_port_b_write,
    .max_access = 1,
};

static uint64_t sysctl_port_a_read(void *opaque, uint64_t offset, unsigned size)
{
    struct sysctl *s = opaque;
    return s->port_a;
}

static void sysctl_port_a_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct sysctl *s = opaque;
    uint8_t old = s->port_a;
    s->port_a = (uint8_t)value;
    if ((old ^ s->port_a) & SYSCTL_A_A20)
        s->stat_a20_changes++;
    signal_set(s->a20, (s->port_a & SYSCTL_A_A20) != 0);
    if (!(old & SYSCTL_A_RESET) && (s->port_a & SYSCTL_A_RESET)) {
        s->stat_fast_resets++;
        sim_request_reset(s->sim);
    }
}

static const struct mmio_ops sysctl_port_a_ops = {
    .read = sysctl_port_a_read,
    .write = sysctl_port_a_write,
    .max_access = 1,
};

static const struct param_desc sysctl_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space holding the two ports"},
    {"port-b", PARAM_U64, "0x61", "system control port B"},
    {"port-a", PARAM_U64, "0x92", "system control port A"},
    {"pit", PARAM_COMPONENT, NULL, "8254 whose OUT2 bit 5 of port B shows", true},
    {"refresh-period", PARAM_TIME, "15.085us", "time between flips of port B bit 4"},
    PARAM_END,
};

static int sysctl_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct sysctl *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    params_time(p, "refresh-period", &s->refresh_period);
    if (s->refresh_period == 0)
        return params_error(p, "refresh-period", err, "a time above zero");

    struct addr_space *io = params_space(p, "space");
    uint64_t port = 0;
    params_u64(p, "port-b", &port);
    if (!as_add_mmio(io, c, "sysctl.port-b", port, 1, &sysctl_port_b_ops, s, err))
        return -1;
    params_u64(p, "port-a", &port);
    if (!as_add_mmio(io, c, "sysctl.port-a", port, 1, &sysctl_port_a_ops, s, err))
        return -1;

    s->gate2 = signal_create(c->sim, c, "pit-gate2");
    s->speaker = signal_create(c->sim, c, "speaker");
    s->a20 = signal_create(c->sim, c, "a20");
    stat_register(c, "fast-resets", "resets requested through port 0x92 bit 0",
                  &s->stat_fast_resets);
    stat_register(c, "a20-changes", "changes of the fast A20 bit", &s->stat_a20_changes);
    return 0;
}

static int sysctl_realize(struct component *c, struct cw_error *err)
{
    struct sysctl *s = c->state;
    struct component *pit = params_component(c->params, "pit");
    if (!pit)
        return 0;
    s->pit = component_interface(pit, "i8254");
    if (!s->pit)
        return params_error(c->params, "pit", err, "'%s' does not export the i8254 interface",
                            pit->name);
    return 0;
}

static void sysctl_reset(struct component *c)
{
    struct sysctl *s = c->state;
    s->port_b = 0;
    s->port_a = 0;
    /* A wire announces only a level of 1 when it is connected, so an input
     * (the 8254's GATE2, pulled high while unwired) never learnt that this
     * output is 0. Drive it through 1 to 0 once; the 8254 ignores the edge
     * while its counter 2 is unprogrammed, as it is after reset. */
    signal_set(s->gate2, 1);
    signal_set(s->gate2, 0);
    signal_set(s->speaker, 0);
    signal_set(s->a20, 0);
}

static void sysctl_destroy(struct component *c)
{
    free(c->state);
    c->state = NULL;
}

const struct component_type sysctl_type = {
    .name = "sysctl",
    .description = "PC system control ports B (0x61) and A (0x92)",
    .params = sysctl_params,
    .create = sysctl_create,
    .realize = sysctl_realize,
    .reset = sysctl_reset,
    .destroy = sysctl_destroy,
};
