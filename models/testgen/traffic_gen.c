/* traffic_gen.c: a programmable bus master that replays a scripted sequence
 * of transactions, the way gem5's traffic generators exercise memory systems.
 * It is a temporally decoupled initiator (kernel/sim.h): it runs ahead of
 * global time within its slice and synchronises before every access. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

enum tg_op_kind { TG_READ, TG_WRITE, TG_COPY, TG_WAIT_IRQ, TG_DELAY, TG_MARKER, TG_POWEROFF, TG_STREAM };

struct tg_op {
    enum tg_op_kind kind;
    struct addr_space *space, *to_space, *wait_space;
    uint64_t addr, to_addr, value, count;
    uint64_t wait_addr, wait_mask, wait_value; /* copy: poll before each byte */
    bool wait;
    uint64_t stride;                           /* stream: address step */
    bool write;                                /* stream: writes instead of reads */
    unsigned size;
    sim_time_t delay;
    char *name;
};

struct traffic_gen {
    struct component *c;
    struct sim_initiator ini;
    struct clock_domain *clock;
    sim_time_t period;
    struct tg_op *ops;
    size_t nops;
    size_t pc;          /* current op */
    uint64_t step;      /* progress inside a copy */
    uint64_t irqs_seen; /* rising edges since the current wait began */
    uint64_t repeat, round;
    bool done;
    /* stats */
    uint64_t stat_reads, stat_writes, stat_irqs, stat_ops;
};

static const char *const tg_op_names[] = { "read", "write", "copy", "wait-irq", "delay", "marker", "poweroff", "stream" };

static const struct param_desc tg_params[] = {
    { "clock", PARAM_CLOCK, NULL, "clock domain: one operation per cycle plus bus latency" },
    { "program", PARAM_NODE, NULL, "list of operations: read, write, copy, stream, wait-irq, delay, marker, poweroff" },
    { "repeat", PARAM_U64, "1", "times to run the program (0 = forever)" },
    PARAM_END,
};

static int tg_field_u64(const struct ynode *op, const char *key, uint64_t *out, bool required,
                        struct cw_error *err)
{
    const struct ynode *n = ymap_get(op, key);
    if (!n) {
        if (required)
            return ynode_error(err, op, "operation needs '%s'", key);
        return 0;
    }
    return ynode_u64(n, out, err);
}

static int tg_field_space(struct sim *sim, const struct ynode *op, const char *key,
                          struct addr_space **out, struct cw_error *err)
{
    const struct ynode *n = ymap_get(op, key);
    const char *name;
    if (!n)
        return ynode_error(err, op, "operation needs '%s' (an address space name)", key);
    if (ynode_string(n, &name, err))
        return -1;
    *out = sim_find_space(sim, name);
    if (!*out)
        return ynode_error(err, n, "unknown address space '%s'", name);
    return 0;
}

static int tg_parse_op(struct traffic_gen *tg, const struct ynode *n, struct tg_op *op,
                       struct cw_error *err)
{
    struct sim *sim = tg->c->sim;
    if (n->kind == YNODE_SCALAR && strcmp(n->scalar, "poweroff") == 0) {
        op->kind = TG_POWEROFF;
        op->size = 1;
        return 0;
    }
    if (n->kind != YNODE_MAP || n->count != 1)
        return ynode_error(err, n, "an operation is a map with one key: one of read, write, copy, "
                                   "stream, wait-irq, delay, marker, poweroff");
    const char *kind = n->keys[0];
    const struct ynode *arg = n->items[0];
    size_t k;
    for (k = 0; k < sizeof tg_op_names / sizeof *tg_op_names; k++)
        if (strcmp(kind, tg_op_names[k]) == 0)
            break;
    if (k == sizeof tg_op_names / sizeof *tg_op_names)
        return ynode_error(err, n->key_nodes[0], "unknown operation '%s'; expected one of read, "
                                                 "write, copy, stream, wait-irq, delay, marker, "
                                                 "poweroff", kind);
    op->kind = (enum tg_op_kind)k;
    uint64_t size = 1;
    switch (op->kind) {
    case TG_READ:
    case TG_WRITE:
        if (arg->kind != YNODE_MAP)
            return ynode_error(err, arg, "%s takes {space, addr, size%s}", kind,
                               op->kind == TG_WRITE ? ", value" : "");
        if (tg_field_space(sim, arg, "space", &op->space, err) ||
            tg_field_u64(arg, "addr", &op->addr, true, err) ||
            tg_field_u64(arg, "size", &size, false, err) ||
            tg_field_u64(arg, "value", &op->value, op->kind == TG_WRITE, err))
            return -1;
        break;
    case TG_COPY:
        if (arg->kind != YNODE_MAP)
            return ynode_error(err, arg, "copy takes {from-space, from, to-space, to, count}");
        if (tg_field_space(sim, arg, "from-space", &op->space, err) ||
            tg_field_u64(arg, "from", &op->addr, true, err) ||
            tg_field_space(sim, arg, "to-space", &op->to_space, err) ||
            tg_field_u64(arg, "to", &op->to_addr, true, err) ||
            tg_field_u64(arg, "count", &op->count, true, err))
            return -1;
        const struct ynode *w = ymap_get(arg, "wait-for");
        if (w) {
            /* Polled output: before each byte, read wait-for.addr until
             * (value & mask) == equals, like a driver polling a status bit. */
            if (w->kind != YNODE_MAP)
                return ynode_error(err, w, "wait-for takes {space, addr, mask, equals}");
            if (tg_field_space(sim, w, "space", &op->wait_space, err) ||
                tg_field_u64(w, "addr", &op->wait_addr, true, err) ||
                tg_field_u64(w, "mask", &op->wait_mask, true, err) ||
                tg_field_u64(w, "equals", &op->wait_value, true, err))
                return -1;
            op->wait = true;
        }
        break;
    case TG_WAIT_IRQ:
        if (ynode_u64(arg, &op->count, err))
            return -1;
        break;
    case TG_DELAY:
        if (ynode_time(arg, &op->delay, err))
            return -1;
        break;
    case TG_MARKER: {
        const char *s;
        if (ynode_string(arg, &s, err))
            return -1;
        op->name = strdup(s);
        break;
    }
    case TG_POWEROFF:
        break;
    case TG_STREAM: {
        /* count accesses of `size` bytes from `from`, `stride` apart:
         * memory-system studies (sequential, strided, row thrashing). */
        if (arg->kind != YNODE_MAP)
            return ynode_error(err, arg, "stream takes {space, from, count, stride, size, write}");
        op->stride = 0;
        const struct ynode *wr = ymap_get(arg, "write");
        if (tg_field_space(sim, arg, "space", &op->space, err) ||
            tg_field_u64(arg, "from", &op->addr, true, err) ||
            tg_field_u64(arg, "count", &op->count, true, err) ||
            tg_field_u64(arg, "size", &size, false, err) ||
            tg_field_u64(arg, "stride", &op->stride, false, err) ||
            (wr && ynode_bool(wr, &op->write, err)))
            return -1;
        if (!ymap_get(arg, "stride"))
            op->stride = size;
        break;
    }
    }
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return ynode_error(err, ymap_get(arg, "size"), "size must be 1, 2, 4 or 8");
    op->size = (unsigned)size;
    return 0;
}

/* Performs one bus access at the initiator's local time. */
static uint64_t tg_access(struct traffic_gen *tg, struct addr_space *as, uint64_t addr,
                          unsigned size, bool write, uint64_t value)
{
    sim_sync(&tg->ini);
    bool io = as_kind(as) == SPACE_IO;
    enum bus_kind kind = write ? (io ? BUS_IO_WRITE : BUS_WRITE) : (io ? BUS_IO_READ : BUS_READ);
    struct bus_tx tx = { .addr = addr, .data = value, .size = (uint8_t)size, .kind = (uint8_t)kind,
                         .initiator = tg->c->id, .time = tg->ini.local_time };
    as_access(as, &tx);
    tg->ini.local_time += tg->period + tx.latency;
    if (write)
        tg->stat_writes++;
    else
        tg->stat_reads++;
    return tx.data;
}

/* Executes one step of the current operation. Returns false when the
 * initiator must stop for this slice (waiting or finished). */
static bool tg_step(struct traffic_gen *tg)
{
    if (tg->pc == tg->nops) {
        tg->round++;
        if (tg->repeat && tg->round >= tg->repeat) {
            tg->done = true;
            sim_initiator_sleep(&tg->ini);
            return false;
        }
        tg->pc = 0;
    }
    struct tg_op *op = &tg->ops[tg->pc];
    switch (op->kind) {
    case TG_READ:
        tg_access(tg, op->space, op->addr, op->size, false, 0);
        break;
    case TG_WRITE:
        tg_access(tg, op->space, op->addr, op->size, true, op->value);
        break;
    case TG_COPY: {
        if (op->wait) {
            uint64_t st = tg_access(tg, op->wait_space, op->wait_addr, 1, false, 0);
            if ((st & op->wait_mask) != op->wait_value)
                return true; /* poll again */
        }
        uint64_t v = tg_access(tg, op->space, op->addr + tg->step, 1, false, 0);
        tg_access(tg, op->to_space, op->to_addr, 1, true, v);
        if (++tg->step < op->count)
            return true;
        tg->step = 0;
        break;
    }
    case TG_STREAM:
        if (op->count == 0)
            break;
        tg_access(tg, op->space, op->addr + tg->step * op->stride, op->size, op->write,
                  tg->step);
        if (++tg->step < op->count)
            return true;
        tg->step = 0;
        break;
    case TG_WAIT_IRQ:
        if (tg->irqs_seen < op->count) {
            sim_initiator_sleep(&tg->ini); /* woken by the irq input */
            return false;
        }
        tg->irqs_seen = 0;
        break;
    case TG_DELAY:
        tg->ini.local_time += op->delay;
        break;
    case TG_MARKER:
        sim_sync(&tg->ini);
        sim_marker(tg->c->sim, op->name);
        break;
    case TG_POWEROFF:
        sim_sync(&tg->ini);
        tg->done = true;
        sim_initiator_sleep(&tg->ini);
        sim_request_stop(tg->c->sim, SIM_STOP_POWEROFF);
        return false;
    }
    tg->stat_ops++;
    tg->ini.insns++;
    tg->pc++;
    return true;
}

static void tg_run(struct sim_initiator *ini, sim_time_t slice_end)
{
    struct traffic_gen *tg = ini->opaque;
    do {
        if (!tg_step(tg))
            return;
        slice_end = sim_slice_end(ini); /* an access may have scheduled an event */
    } while (ini->local_time < slice_end && !ini->yield && ini->insns < ini->insn_stop);
}

static void tg_irq(void *opaque, int line, int level)
{
    struct traffic_gen *tg = opaque;
    if (!level)
        return;
    tg->irqs_seen++;
    tg->stat_irqs++;
    if (!tg->done)
        sim_initiator_wake(&tg->ini);
}

static void tg_reset(struct component *c)
{
    struct traffic_gen *tg = c->state;
    tg->pc = 0;
    tg->step = 0;
    tg->round = 0;
    tg->irqs_seen = 0;
    tg->done = false;
    tg->ini.idle = false;
    tg->ini.local_time = sim_now(c->sim);
}

static void tg_destroy(struct component *c)
{
    struct traffic_gen *tg = c->state;
    if (!tg)
        return;
    sim_remove_initiator(c->sim, &tg->ini);
    for (size_t i = 0; i < tg->nops; i++)
        free(tg->ops[i].name);
    free(tg->ops);
    free(tg);
}

static int tg_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct traffic_gen *tg = calloc(1, sizeof *tg);
    if (!tg)
        return cw_errorf(err, "out of memory");
    c->state = tg;
    tg->c = c;
    tg->clock = params_clock(p, "clock");
    tg->period = clock_cycles_to_time(tg->clock, 1);
    params_u64(p, "repeat", &tg->repeat);
    const struct ynode *prog = params_node(p, "program");
    if (prog->kind != YNODE_SEQ)
        return ynode_error(err, prog, "program must be a list of operations");
    tg->ops = calloc(prog->count + 1, sizeof *tg->ops);
    for (size_t i = 0; i < prog->count; i++) {
        if (tg_parse_op(tg, prog->items[i], &tg->ops[i], err)) {
            tg->nops = i + 1;
            return -1;
        }
    }
    tg->nops = prog->count;
    tg->ini.name = c->name;
    tg->ini.run = tg_run;
    tg->ini.opaque = tg;
    sim_add_initiator(c->sim, &tg->ini);
    signal_input_register(c->sim, c, "irq", tg_irq, tg, 0);
    stat_register(c, "reads", "bus reads issued", &tg->stat_reads);
    stat_register(c, "writes", "bus writes issued", &tg->stat_writes);
    stat_register(c, "irqs", "rising edges seen on the irq input", &tg->stat_irqs);
    stat_register(c, "ops", "operations completed", &tg->stat_ops);
    return 0;
}

const struct component_type traffic_gen_type = {
    .name = "traffic-gen",
    .description = "scripted bus master (synthetic initiator for tests and studies)",
    .params = tg_params,
    .create = tg_create,
    .reset = tg_reset,
    .destroy = tg_destroy,
};
