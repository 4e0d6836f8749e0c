/* Address spaces: regions, priorities, aliases, unmapped reads, DMI and
 * its revocation by observers, run-time remapping, signals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"

struct dev {
    uint64_t last_offset;
    unsigned last_size;
    uint64_t last_value;
    int reads, writes;
    uint8_t regs[16];
};

static uint64_t dev_read(void *opaque, uint64_t offset, unsigned size)
{
    struct dev *d = opaque;
    d->reads++;
    d->last_offset = offset;
    d->last_size = size;
    uint64_t v = 0;
    memcpy(&v, d->regs + offset, size);
    return v;
}

static void dev_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct dev *d = opaque;
    d->writes++;
    d->last_offset = offset;
    d->last_size = size;
    d->last_value = value;
    memcpy(d->regs + offset, &value, size);
}

static const struct mmio_ops dev_ops = { .read = dev_read, .write = dev_write, .max_access = 4 };

static void test_regions_basic(void **state)
{
    struct sim *sim = sim_create();
    struct addr_space *as = as_create(sim, "mem", SPACE_MEMORY, 32);
    sim_add_space(sim, as);
    struct cw_error err;
    struct region *ram = as_add_ram(as, NULL, "ram", 0, 0x10000, &err);
    assert_non_null(ram);
    uint8_t image[4] = { 0xEA, 0x5B, 0xE0, 0x00 };
    struct region *rom = as_add_rom(as, NULL, "rom", 0xF0000, 0x10000, image, 4, &err);
    assert_non_null(rom);
    struct dev d = { 0 };
    assert_non_null(as_add_mmio(as, NULL, "dev", 0x20000, 16, &dev_ops, &d, &err));

    as_write(as, 0x1234, 4, 0xdeadbeef, BUS_WRITE, 0, NULL);
    assert_int_equal(as_read(as, 0x1234, 4, BUS_READ, 0, NULL), 0xdeadbeef);
    assert_int_equal(as_read(as, 0x1235, 2, BUS_READ, 0, NULL), 0xadbe);
    /* ROM: readable, writes dropped, padding reads 0xFF */
    assert_int_equal(as_read(as, 0xF0000, 4, BUS_READ, 0, NULL), 0x00E05BEA);
    as_write(as, 0xF0000, 1, 0x90, BUS_WRITE, 0, NULL);
    assert_int_equal(as_read(as, 0xF0000, 1, BUS_READ, 0, NULL), 0xEA);
    assert_int_equal(as_read(as, 0xF0010, 2, BUS_READ, 0, NULL), 0xFFFF);
    /* unmapped: all ones, writes vanish */
    assert_int_equal(as_read(as, 0x80000, 4, BUS_READ, 0, NULL), 0xFFFFFFFF);
    assert_int_equal(as_read(as, 0x80000, 8, BUS_READ, 0, NULL), UINT64_MAX);
    as_write(as, 0x80000, 4, 0, BUS_WRITE, 0, NULL);
    /* access straddling RAM end and a hole: bytewise */
    as_write(as, 0xFFFE, 2, 0x4241, BUS_WRITE, 0, NULL);
    assert_int_equal(as_read(as, 0xFFFE, 4, BUS_READ, 0, NULL), 0xFFFF4241);
    /* MMIO: offsets relative to the region, 8-byte access split by max_access */
    as_write(as, 0x20004, 8, 0x1122334455667788ull, BUS_WRITE, 0, NULL);
    assert_int_equal(d.writes, 2);
    assert_int_equal(d.last_offset, 8);
    assert_int_equal(d.last_value, 0x11223344);
    assert_int_equal(as_read(as, 0x20004, 8, BUS_READ, 0, NULL), 0x1122334455667788ull);
    /* overlap at equal priority is a configuration error naming both */
    assert_null(as_add_ram(as, NULL, "ram2", 0x8000, 0x10000, &err));
    assert_non_null(strstr(err.msg, "overlaps region 'ram'"));
    /* out of the space */
    assert_null(as_add_ram(as, NULL, "big", 0xFFFFF000, 0x2000, &err));
    assert_non_null(strstr(err.msg, "does not fit"));
    sim_destroy(sim);
}

static void test_priority_alias_remap(void **state)
{
    struct sim *sim = sim_create();
    struct addr_space *as = as_create(sim, "mem", SPACE_MEMORY, 32);
    sim_add_space(sim, as);
    struct cw_error err;
    struct region *ram = as_add_ram(as, NULL, "ram", 0, 0x100000, &err);
    uint8_t bios[0x20000];
    for (size_t i = 0; i < sizeof bios; i++)
        bios[i] = (uint8_t)(i * 7);
    struct region *rom = as_add_rom(as, NULL, "bios", 0xFFFE0000, 0x20000, bios, sizeof bios, &err);
    assert_non_null(rom);
    /* A PAM-like overlay: the top 64 KiB of the BIOS appears at 0xF0000
     * over RAM, read-only. */
    struct region *alias = as_add_alias(as, NULL, "pam-f", AS_UNMAPPED, 0x10000, rom, 0x10000, &err);
    assert_non_null(alias);
    region_move(alias, 0xF0000);
    region_set_priority(alias, 1);
    region_set_enabled(alias, true);
    region_set_alias_readonly(alias, true);
    assert_int_equal(as_read(as, 0xF0003, 1, BUS_READ, 0, NULL), (uint8_t)((0x10003) * 7));
    as_write(as, 0xF0003, 1, 0x55, BUS_WRITE, 0, NULL);
    assert_int_equal(as_read(as, 0xF0003, 1, BUS_READ, 0, NULL), (uint8_t)((0x10003) * 7));
    /* RAM under it still exists; disable the alias and it shows */
    region_set_enabled(alias, false);
    as_load(as, 0xF0003, "\x66", 1);
    region_set_enabled(alias, true);
    assert_int_equal(as_read(as, 0xF0003, 1, BUS_READ, 0, NULL), (uint8_t)((0x10003) * 7));
    region_set_enabled(alias, false);
    assert_int_equal(as_read(as, 0xF0003, 1, BUS_READ, 0, NULL), 0x66);
    /* move a region at run time */
    struct dev d = { 0 };
    struct region *bar = as_add_mmio(as, NULL, "bar", AS_UNMAPPED, 16, &dev_ops, &d, &err);
    assert_false(bar->enabled);
    assert_int_equal(as_read(as, 0xE0000000, 1, BUS_READ, 0, NULL), 0xFF);
    region_move(bar, 0xE0000000);
    region_set_enabled(bar, true);
    d.regs[3] = 0x42;
    assert_int_equal(as_read(as, 0xE0000003, 1, BUS_READ, 0, NULL), 0x42);
    region_move(bar, 0xE0001000);
    assert_int_equal(as_read(as, 0xE0000003, 1, BUS_READ, 0, NULL), 0xFF);
    assert_int_equal(as_read(as, 0xE0001003, 1, BUS_READ, 0, NULL), 0x42);
    (void)ram;
    sim_destroy(sim);
}

struct seen {
    int count;
    struct bus_tx last;
    int invalidations;
};

static void observe(void *opaque, struct addr_space *as, const struct bus_tx *tx)
{
    struct seen *s = opaque;
    s->count++;
    s->last = *tx;
}

static void invalidate(void *opaque, struct addr_space *as)
{
    ((struct seen *)opaque)->invalidations++;
}

static void test_dmi_and_observers(void **state)
{
    struct sim *sim = sim_create();
    struct addr_space *as = as_create(sim, "mem", SPACE_MEMORY, 32);
    sim_add_space(sim, as);
    struct cw_error err;
    struct region *ram = as_add_ram(as, NULL, "ram", 0, 0x100000, &err);
    region_set_latency(ram, SIM_NS(70));
    uint8_t rom_data[16] = { 1, 2, 3 };
    as_add_rom(as, NULL, "rom", 0x200000, 0x1000, rom_data, sizeof rom_data, &err);
    struct seen seen = { 0 };
    as_add_dmi_listener(as, invalidate, &seen);

    struct dmi dmi;
    assert_true(as_dmi(as, 0x5000, true, &dmi));
    assert_int_equal(dmi.lo, 0);
    assert_int_equal(dmi.hi, 0xFFFFF);
    assert_true(dmi.writable);
    dmi.host[0x5000] = 0x99;
    assert_int_equal(as_read(as, 0x5000, 1, BUS_READ, 0, NULL), 0x99);
    /* ROM: read DMI only */
    assert_false(as_dmi(as, 0x200000, true, &dmi));
    assert_true(as_dmi(as, 0x200001, false, &dmi));
    assert_int_equal(dmi.host[1], 2);
    /* unmapped */
    assert_false(as_dmi(as, 0x300000, false, &dmi));

    /* An observer on one page revokes DMI there (and only there). */
    uint64_t gen = as_generation(as);
    struct bus_observer *obs = as_add_observer(as, 0x5000, 0x5FFF, BUS_KIND_ALL, observe, &seen);
    assert_true(as_generation(as) > gen);
    assert_int_equal(seen.invalidations, 1);
    assert_false(as_dmi(as, 0x5004, false, &dmi));
    assert_true(as_dmi(as, 0x7000, true, &dmi));
    assert_int_equal(dmi.lo, 0x7000);
    assert_int_equal(dmi.hi, 0x7FFF);
    /* Transactions are reported with their details and latency. */
    sim_time_t lat = 0;
    as_write(as, 0x5008, 2, 0xBEEF, BUS_WRITE, 7, &lat);
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.last.addr, 0x5008);
    assert_int_equal(seen.last.size, 2);
    assert_int_equal(seen.last.data, 0xBEEF);
    assert_int_equal(seen.last.initiator, 7);
    assert_int_equal(seen.last.kind, BUS_WRITE);
    assert_int_equal(seen.last.latency, SIM_NS(70));
    assert_int_equal(lat, SIM_NS(70));
    as_read(as, 0x9000, 4, BUS_READ, 7, NULL); /* outside: not seen */
    assert_int_equal(seen.count, 1);
    as_remove_observer(as, obs);
    assert_true(as_dmi(as, 0x5004, false, &dmi));
    /* An observer of I/O kinds only does not cost the RAM its DMI. */
    struct bus_observer *io_obs = as_add_observer(as, 0, UINT64_MAX,
                                                  BUS_KIND_BIT(BUS_IO_READ) | BUS_KIND_BIT(BUS_IO_WRITE),
                                                  observe, &seen);
    assert_true(as_dmi(as, 0x5004, true, &dmi));
    assert_int_equal(dmi.lo, 0);
    as_remove_observer(as, io_obs);
    assert_int_equal(seen.invalidations, 4);
    sim_destroy(sim);
}

/* A FIFO whose block reads give the bytes 0, 1, 2, ... and stop after 10
 * elements (as a device stops before the read that ends a transfer). */
static size_t fifo_read_rep(void *opaque, uint64_t offset, unsigned size, void *buf, size_t count)
{
    struct dev *d = opaque;
    size_t n = count < 10 ? count : 10;
    for (size_t i = 0; i < n * size; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(d->reads++ + offset);
    return n;
}

static const struct mmio_ops fifo_ops = { .read = dev_read, .write = dev_write, .max_access = 2,
                                          .read_rep = fifo_read_rep };

static void test_read_rep(void **state)
{
    (void)state;
    struct sim *sim = sim_create();
    struct addr_space *io = as_create(sim, "io", SPACE_IO, 16);
    sim_add_space(sim, io);
    struct dev fifo = { 0 }, plain = { 0 };
    struct cw_error err;
    struct region *f = as_add_mmio(io, NULL, "fifo", 0x1f0, 8, &fifo_ops, &fifo, &err);
    assert_non_null(f);
    assert_non_null(as_add_mmio(io, NULL, "plain", 0x60, 8, &dev_ops, &plain, &err));
    assert_non_null(as_add_alias(io, NULL, "fifo-alias", 0x3f0, 8, f, 0, &err));
    uint8_t buf[64];
    assert_int_equal(as_read_rep(io, 0x1f0, 2, buf, 4), 4);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[7], 7);
    assert_int_equal(as_read_rep(io, 0x1f0, 2, buf, 30), 10); /* the device stops */
    assert_int_equal(as_read_rep(io, 0x3f2, 2, buf, 3), 3);   /* through the alias, offset 2 */
    assert_int_equal(buf[0], 2 + 14 * 2);
    assert_int_equal(as_read_rep(io, 0x1f0, 4, buf, 3), 0);   /* wider than the device's accesses */
    assert_int_equal(as_read_rep(io, 0x1f7, 2, buf, 3), 0);   /* crosses the region's end */
    assert_int_equal(as_read_rep(io, 0x60, 1, buf, 3), 0);    /* no block reads */
    assert_int_equal(as_read_rep(io, 0x100, 1, buf, 3), 0);   /* unmapped */
    assert_int_equal(plain.reads, 0);
    /* an observer (a trace) sees every transaction: no block reads at all */
    struct seen seen = { 0 };
    struct bus_observer *obs = as_add_observer(io, 0, 0xffff, BUS_KIND_ALL, observe, &seen);
    assert_int_equal(as_read_rep(io, 0x1f0, 2, buf, 4), 0);
    as_remove_observer(io, obs);
    assert_int_equal(as_read_rep(io, 0x1f0, 2, buf, 4), 4);
    sim_destroy(sim);
}

struct sink {
    int levels[16];
    int n;
};

static void sink_fn(void *opaque, int line, int level)
{
    struct sink *s = opaque;
    s->levels[s->n++] = line * 10 + level;
}

static void test_signals(void **state)
{
    struct sim *sim = sim_create();
    struct sink a = { 0 }, b = { 0 };
    struct signal *out = signal_create(sim, NULL, "irq");
    signal_input_register(sim, NULL, "ir3", sink_fn, &a, 3);
    signal_input_register(sim, NULL, "ir4", sink_fn, &b, 4);
    struct cw_error err;
    assert_int_equal(signal_connect(sim, "host.irq", "host.ir3", &err), 0);
    assert_int_equal(signal_connect(sim, "host.irq", "host.ir4", &err), 0); /* fan-out */
    assert_int_equal(signal_connect(sim, "host.nope", "host.ir3", &err), -1);
    assert_non_null(strstr(err.msg, "unknown signal 'host.nope'"));
    assert_non_null(strstr(err.msg, "host.irq"));
    assert_int_equal(signal_connect(sim, "host.irq", "host.ir9", &err), -1);
    assert_non_null(strstr(err.msg, "unknown input 'host.ir9'"));
    /* connecting told each input the current level (0) */
    assert_int_equal(a.n, 1);
    assert_int_equal(a.levels[0], 30);
    a.n = b.n = 0;
    signal_set(out, 1);
    signal_set(out, 1); /* level: no change, no call */
    signal_set(out, 0);
    signal_pulse(out);  /* edge: 1 then 0 */
    assert_int_equal(a.n, 4);
    assert_int_equal(a.levels[0], 31);
    assert_int_equal(a.levels[1], 30);
    assert_int_equal(a.levels[2], 31);
    assert_int_equal(a.levels[3], 30);
    assert_int_equal(b.n, 4);
    assert_int_equal(b.levels[0], 41);

    /* Two outputs on one input are OR-ed. */
    struct sink c = { 0 };
    struct signal *x = signal_create(sim, NULL, "x");
    struct signal *y = signal_create(sim, NULL, "y");
    signal_input_register(sim, NULL, "shared", sink_fn, &c, 1);
    assert_int_equal(signal_connect(sim, "host.x", "host.shared", &err), 0);
    signal_set(y, 1); /* y high before it is wired: the input sees it at once */
    assert_int_equal(signal_connect(sim, "host.y", "host.shared", &err), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.levels[0], 10);
    assert_int_equal(c.levels[1], 11);
    signal_set(x, 1); /* OR unchanged: no call */
    signal_set(y, 0);
    assert_int_equal(c.n, 2);
    signal_set(x, 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.levels[2], 10);
    signal_pulse(x);
    assert_int_equal(c.n, 5);
    sim_destroy(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regions_basic),
        cmocka_unit_test(test_priority_alias_remap),
        cmocka_unit_test(test_dmi_and_observers),
        cmocka_unit_test(test_read_rep),
        cmocka_unit_test(test_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
