/* test_i8254.c: the 8254 timer against the Intel 82C54 datasheet: each
 * mode's OUT waveform and count sequence, pulse-exact (pulse p happens at
 * clock_cycles_to_time(p) of 1.193182 MHz), gates and triggers, BCD, the
 * access modes, counter latch, read-back status with null count, and no
 * drift over an hour of guest time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/clock.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/pit/i8254.h"

#define MAX_EDGES 64

struct edge_log {
    int level;
    unsigned count;
    sim_time_t time[MAX_EDGES];
    int value[MAX_EDGES];
    struct sim *sim;
};

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct ynode *yaml;
    struct clock_domain clk;
    struct component *pit;
    struct i8254_iface *iface;
    struct signal *gate[3];
    struct edge_log out[3];
};

static void log_edge(void *opaque, int line, int level)
{
    struct edge_log *l = opaque;
    l->level = level;
    if (l->count < MAX_EDGES) {
        l->time[l->count] = sim_now(l->sim);
        l->value[l->count] = level;
    }
    l->count++;
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
    clock_init(&r->clk, "pit", 1193182, 1);
    const char *yaml = "type: i8254\nspace: io\nbase: 0x40\nfrequency: 1.193182MHz\n";
    r->yaml = ytree_load_string(yaml, strlen(yaml), "pit0", &err);
    assert_non_null(r->yaml);
    r->pit = component_create(r->sim, "pit0", component_type_find("i8254"), r->yaml, &err);
    if (!r->pit)
        fail_msg("create: %s", err.msg);
    for (int i = 0; i < 3; i++) {
        char name[32], to[32], pin[32];
        snprintf(pin, sizeof pin, "gate%d", i);
        r->gate[i] = signal_create(r->sim, NULL, pin);
        snprintf(name, sizeof name, "host.gate%d", i);
        snprintf(to, sizeof to, "pit0.gate%d", i);
        if (signal_connect(r->sim, name, to, &err) != 0)
            fail_msg("%s", err.msg);
        signal_set(r->gate[i], 1);
        r->out[i].sim = r->sim;
        snprintf(name, sizeof name, "pit0.out%d", i);
        signal_add_sink(signal_find(r->sim, name), log_edge, &r->out[i], 0);
    }
    sim_reset_components(r->sim);
    r->iface = component_interface(r->pit, "i8254");
    assert_non_null(r->iface);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    return 0;
}

static sim_time_t pulse_time(struct rig *r, uint64_t p)
{
    return clock_cycles_to_time(&r->clk, p);
}

/* Runs the machine until just after CLK pulse p: 1 ps past it, so events
 * due at the pulse itself have fired (the run stops when time reaches the
 * limit, before that instant's events). */
static void at_pulse(struct rig *r, uint64_t p)
{
    struct sim_limits lim = {pulse_time(r, p) + 1, 0, 0};
    assert_true(pulse_time(r, p) + 1 >= sim_now(r->sim));
    sim_run(r->sim, &lim);
    assert_int_equal(sim_now(r->sim), pulse_time(r, p) + 1);
}

static void out8(struct rig *r, uint16_t port, uint8_t v)
{
    as_write(r->io, port, 1, v, BUS_IO_WRITE, 0, NULL);
}

static uint8_t in8(struct rig *r, uint16_t port)
{
    return (uint8_t)as_read(r->io, port, 1, BUS_IO_READ, 0, NULL);
}

static void write_count(struct rig *r, int ctr, uint16_t count)
{
    out8(r, (uint16_t)(0x40 + ctr), (uint8_t)count);
    out8(r, (uint16_t)(0x40 + ctr), (uint8_t)(count >> 8));
}

/* Counter latch command, then a word read. */
static uint16_t latched_count(struct rig *r, int ctr)
{
    out8(r, 0x43, (uint8_t)(ctr << 6));
    uint8_t lo = in8(r, (uint16_t)(0x40 + ctr));
    uint8_t hi = in8(r, (uint16_t)(0x40 + ctr));
    return (uint16_t)(lo | hi << 8);
}

static uint8_t status(struct rig *r, int ctr)
{
    out8(r, 0x43, (uint8_t)(0xE0 | 2 << ctr)); /* read-back, status only */
    return in8(r, (uint16_t)(0x40 + ctr));
}

/* Drops the edges logged so far (the control word's own OUT change). */
static void forget_edges(struct rig *r, int ctr)
{
    r->out[ctr].count = 0;
}

static int out_level(struct rig *r, int ctr)
{
    return r->iface->out_level(r->iface->opaque, (unsigned)ctr);
}

static void test_mode0_interrupt_on_terminal_count(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 100);
    out8(r, 0x43, 0x30); /* counter 0, LSB then MSB, mode 0, binary */
    assert_int_equal(r->out[0].level, 0);
    write_count(r, 0, 10);
    assert_int_equal(status(r, 0) & 0x40, 0x40); /* null count until loaded */
    at_pulse(r, 101);
    assert_int_equal(latched_count(r, 0), 10); /* loaded, not decremented */
    assert_int_equal(status(r, 0), 0x30);        /* OUT low, count valid */
    at_pulse(r, 105);
    assert_int_equal(latched_count(r, 0), 6);
    at_pulse(r, 110);
    assert_int_equal(latched_count(r, 0), 1);
    assert_int_equal(r->out[0].level, 0);
    at_pulse(r, 111); /* N+1 pulses after the write */
    assert_int_equal(r->out[0].level, 1);
    assert_int_equal(r->out[0].count, 1);
    assert_int_equal(r->out[0].time[0], pulse_time(r, 111));
    assert_int_equal(latched_count(r, 0), 0);
    assert_int_equal(status(r, 0), 0xB0);
    at_pulse(r, 112); /* keeps counting down through 0xFFFF, OUT stays high */
    assert_int_equal(latched_count(r, 0), 0xFFFF);
    at_pulse(r, 112 + 70000);
    assert_int_equal(r->out[0].count, 1);
}

static void test_mode0_gate_and_rewrite(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 10);
    out8(r, 0x43, 0xB0); /* counter 2, word, mode 0 */
    write_count(r, 2, 100);
    at_pulse(r, 21); /* loaded at 11, 10 decrements */
    assert_int_equal(latched_count(r, 2), 90);
    signal_set(r->gate[2], 0);
    at_pulse(r, 500);
    assert_int_equal(latched_count(r, 2), 90); /* GATE low disables counting */
    assert_int_equal(out_level(r, 2), 0);
    signal_set(r->gate[2], 1);
    at_pulse(r, 590);
    assert_int_equal(latched_count(r, 2), 0);
    assert_int_equal(out_level(r, 2), 1);
    /* First byte of a new count: OUT low at once, counting stops. */
    out8(r, 0x42, 0x05);
    assert_int_equal(out_level(r, 2), 0);
    assert_int_equal(r->out[2].level, 0);
    at_pulse(r, 600);
    out8(r, 0x42, 0x00);
    at_pulse(r, 601);
    assert_int_equal(latched_count(r, 2), 5);
    at_pulse(r, 606);
    assert_int_equal(out_level(r, 2), 1);
}

static void test_mode2_rate_generator(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 1000);
    out8(r, 0x43, 0x34); /* counter 0, word, mode 2 */
    assert_int_equal(r->out[0].level, 1);
    forget_edges(r, 0);
    write_count(r, 0, 4);
    at_pulse(r, 1001);
    assert_int_equal(latched_count(r, 0), 4);
    at_pulse(r, 1003);
    assert_int_equal(latched_count(r, 0), 2);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 1004); /* CE = 1: OUT low for one pulse */
    assert_int_equal(latched_count(r, 0), 1);
    assert_int_equal(r->out[0].level, 0);
    at_pulse(r, 1005); /* reload */
    assert_int_equal(latched_count(r, 0), 4);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 1013);
    /* Edges: low at 1004, 1008, 1012; high at 1005, 1009, 1013. */
    assert_int_equal(r->out[0].count, 6);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(r->out[0].time[2 * k], pulse_time(r, 1004 + 4 * k));
        assert_int_equal(r->out[0].value[2 * k], 0);
        assert_int_equal(r->out[0].time[2 * k + 1], pulse_time(r, 1005 + 4 * k));
        assert_int_equal(r->out[0].value[2 * k + 1], 1);
    }
}

static void test_mode2_new_count_waits_for_cycle_end(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x34);
    write_count(r, 0, 10);
    at_pulse(r, 4); /* loaded at 1: CE = 7 */
    write_count(r, 0, 3);
    assert_int_equal(status(r, 0) & 0x40, 0x40);
    at_pulse(r, 10);
    assert_int_equal(latched_count(r, 0), 1); /* old cycle continues */
    at_pulse(r, 11);
    assert_int_equal(latched_count(r, 0), 3); /* new count at the reload */
    assert_int_equal(status(r, 0) & 0x40, 0);
    at_pulse(r, 13);
    assert_int_equal(r->out[0].level, 0);
    at_pulse(r, 14);
    assert_int_equal(r->out[0].level, 1);
}

static void test_mode2_gate_synchronises(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x74); /* counter 1, word, mode 2 */
    write_count(r, 1, 5);
    at_pulse(r, 4); /* CE 2 */
    signal_set(r->gate[1], 0);
    at_pulse(r, 5);
    assert_int_equal(latched_count(r, 1), 2); /* stopped */
    assert_int_equal(out_level(r, 1), 1);
    at_pulse(r, 50);
    signal_set(r->gate[1], 1); /* rising edge: reload on the next pulse */
    at_pulse(r, 51);
    assert_int_equal(latched_count(r, 1), 5);
    at_pulse(r, 55);
    assert_int_equal(out_level(r, 1), 0);
}

static void test_mode3_square_wave_even(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 200);
    out8(r, 0x43, 0x36); /* counter 0, word, mode 3 */
    forget_edges(r, 0);
    write_count(r, 0, 6);
    at_pulse(r, 201);
    assert_int_equal(latched_count(r, 0), 6);
    at_pulse(r, 202);
    assert_int_equal(latched_count(r, 0), 4); /* decrements by two */
    at_pulse(r, 203);
    assert_int_equal(latched_count(r, 0), 2);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 204); /* expires: OUT toggles, reload */
    assert_int_equal(r->out[0].level, 0);
    assert_int_equal(latched_count(r, 0), 6);
    at_pulse(r, 207);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 219);
    /* N/2 high, N/2 low. */
    assert_int_equal(r->out[0].count, 6);
    for (unsigned k = 0; k < 6; k++) {
        assert_int_equal(r->out[0].time[k], pulse_time(r, 204 + 3 * k));
        assert_int_equal(r->out[0].value[k], (int)(k & 1));
    }
}

static void test_mode3_square_wave_odd(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x36);
    forget_edges(r, 0);
    write_count(r, 0, 5);
    at_pulse(r, 1);
    assert_int_equal(latched_count(r, 0), 4); /* odd: N-1 loaded */
    at_pulse(r, 2);
    assert_int_equal(latched_count(r, 0), 2);
    at_pulse(r, 3);
    assert_int_equal(latched_count(r, 0), 0);
    assert_int_equal(r->out[0].level, 1); /* one pulse after expiry */
    at_pulse(r, 4);
    assert_int_equal(r->out[0].level, 0);
    assert_int_equal(latched_count(r, 0), 4);
    at_pulse(r, 5);
    assert_int_equal(latched_count(r, 0), 2);
    at_pulse(r, 6);
    assert_int_equal(r->out[0].level, 1); /* (N+1)/2 high, (N-1)/2 low */
    at_pulse(r, 16);
    assert_int_equal(r->out[0].count, 6);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(r->out[0].time[2 * k], pulse_time(r, 4 + 5 * k));
        assert_int_equal(r->out[0].time[2 * k + 1], pulse_time(r, 6 + 5 * k));
    }
}

static void test_mode3_gate_and_half_cycle_reload(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x36);
    write_count(r, 0, 100);
    at_pulse(r, 60); /* in the low half (51..100) */
    assert_int_equal(r->out[0].level, 0);
    signal_set(r->gate[0], 0);
    assert_int_equal(r->out[0].level, 1); /* GATE low forces OUT high */
    signal_set(r->gate[0], 1);
    at_pulse(r, 61); /* restarted with a full period */
    assert_int_equal(latched_count(r, 0), 100);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 70);
    write_count(r, 0, 20); /* waits for the end of this half cycle */
    at_pulse(r, 110);
    assert_int_equal(r->out[0].level, 1); /* 50 high pulses from 61 */
    at_pulse(r, 111);
    assert_int_equal(r->out[0].level, 0);
    assert_int_equal(latched_count(r, 0), 20); /* low half of the new count */
    at_pulse(r, 120);
    assert_int_equal(r->out[0].level, 0);
    at_pulse(r, 121);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 131);
    assert_int_equal(r->out[0].level, 0);
}

static void test_mode4_software_strobe(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x38); /* counter 0, word, mode 4 */
    assert_int_equal(r->out[0].level, 1);
    forget_edges(r, 0);
    write_count(r, 0, 3);
    at_pulse(r, 3);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 4); /* N+1 pulses after the write */
    assert_int_equal(r->out[0].level, 0);
    assert_int_equal(latched_count(r, 0), 0);
    at_pulse(r, 5);
    assert_int_equal(r->out[0].level, 1);
    at_pulse(r, 100000);
    assert_int_equal(r->out[0].count, 2); /* one strobe only */
}

static void test_mode1_retriggerable_one_shot(void **state)
{
    struct rig *r = *state;
    signal_set(r->gate[1], 0);
    at_pulse(r, 0);
    out8(r, 0x43, 0x72); /* counter 1, word, mode 1 */
    forget_edges(r, 1);
    write_count(r, 1, 5);
    at_pulse(r, 20);
    assert_int_equal(r->out[1].level, 1); /* waits for a trigger */
    assert_int_equal(status(r, 1) & 0x40, 0x40);
    signal_set(r->gate[1], 1);
    at_pulse(r, 21); /* OUT low on the pulse after the trigger */
    assert_int_equal(r->out[1].level, 0);
    assert_int_equal(latched_count(r, 1), 5);
    at_pulse(r, 23);
    signal_set(r->gate[1], 0); /* the gate level does not stop mode 1 */
    signal_set(r->gate[1], 1); /* retrigger: reload on the next pulse */
    at_pulse(r, 24);
    assert_int_equal(latched_count(r, 1), 5);
    at_pulse(r, 28);
    assert_int_equal(r->out[1].level, 0);
    at_pulse(r, 29);
    assert_int_equal(r->out[1].level, 1);
    assert_int_equal(r->out[1].time[1], pulse_time(r, 29));
}

static void test_mode5_hardware_strobe(void **state)
{
    struct rig *r = *state;
    signal_set(r->gate[2], 0);
    at_pulse(r, 0);
    out8(r, 0x43, 0xBA); /* counter 2, word, mode 5 */
    write_count(r, 2, 4);
    at_pulse(r, 10);
    signal_set(r->gate[2], 1);
    at_pulse(r, 11);
    assert_int_equal(latched_count(r, 2), 4);
    at_pulse(r, 14);
    assert_int_equal(r->out[2].level, 1);
    at_pulse(r, 15);
    assert_int_equal(r->out[2].level, 0);
    at_pulse(r, 16);
    assert_int_equal(r->out[2].level, 1);
}

static void test_bcd_counting(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x31); /* counter 0, word, mode 0, BCD */
    write_count(r, 0, 0x0100);
    at_pulse(r, 2);
    assert_int_equal(latched_count(r, 0), 0x0099);
    at_pulse(r, 101);
    assert_int_equal(r->out[0].level, 1);
    assert_int_equal(latched_count(r, 0), 0x0000);
    at_pulse(r, 102);
    assert_int_equal(latched_count(r, 0), 0x9999); /* wraps in decimal */
    out8(r, 0x43, 0x31);
    write_count(r, 0, 0x0000); /* 0 is 10000 in BCD */
    at_pulse(r, 103);
    assert_int_equal(latched_count(r, 0), 0x0000);
    at_pulse(r, 104);
    assert_int_equal(latched_count(r, 0), 0x9999);
    at_pulse(r, 103 + 10000);
    assert_int_equal(r->out[0].level, 1);
}

static void test_access_modes_and_latch(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x14); /* counter 0, LSB only, mode 2 */
    out8(r, 0x40, 0x80);
    at_pulse(r, 2);
    assert_int_equal(in8(r, 0x40), 0x7F);
    out8(r, 0x43, 0x24); /* MSB only */
    out8(r, 0x40, 0x02); /* count 0x0200 */
    at_pulse(r, 4);
    assert_int_equal(in8(r, 0x40), 0x01); /* 0x01FF: MSB */
    out8(r, 0x43, 0x34);
    write_count(r, 0, 0x1234);
    at_pulse(r, 10);
    out8(r, 0x43, 0x00); /* latch: 0x1234 - 5 */
    at_pulse(r, 20);
    out8(r, 0x43, 0x00); /* ignored while a latch is unread */
    assert_int_equal(in8(r, 0x40), 0x2F);
    at_pulse(r, 30);
    assert_int_equal(in8(r, 0x40), 0x12);
    /* Unlatched word reads alternate LSB, MSB of the live count. */
    at_pulse(r, 40);
    assert_int_equal(in8(r, 0x40), (0x1234 - 35) & 0xFF);
    assert_int_equal(in8(r, 0x40), 0x12);
    /* Reads and writes have separate flip-flops. */
    at_pulse(r, 41);
    assert_int_equal(in8(r, 0x40), (0x1234 - 36) & 0xFF);
    out8(r, 0x40, 0x10);
    out8(r, 0x40, 0x00);
    assert_int_equal(in8(r, 0x40), 0x12);
    assert_int_equal(in8(r, 0x43), 0xFF); /* control register is write-only */
}

static void test_read_back(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 0);
    out8(r, 0x43, 0x34);
    out8(r, 0x43, 0xB6); /* counter 2 mode 3 */
    write_count(r, 0, 1000);
    write_count(r, 2, 2000);
    assert_int_equal(status(r, 0), 0x40 | 0x80 | 0x34); /* null count, OUT high */
    at_pulse(r, 5);
    /* Count and status of counters 0 and 2 at once: status comes first. */
    out8(r, 0x43, 0xC0 | 0x08 | 0x02);
    at_pulse(r, 50);
    assert_int_equal(in8(r, 0x40), 0xB4);
    assert_int_equal(in8(r, 0x40), (1000 - 4) & 0xFF);
    assert_int_equal(in8(r, 0x40), (1000 - 4) >> 8);
    assert_int_equal(in8(r, 0x42), 0xB6);
    uint16_t c2 = in8(r, 0x42);
    c2 |= (uint16_t)(in8(r, 0x42) << 8);
    assert_int_equal(c2, 2000 - 8);
    /* Reprogramming drops a latched status. */
    out8(r, 0x43, 0xE2);
    out8(r, 0x43, 0x30); /* counter 0: mode 0, OUT low */
    out8(r, 0x43, 0xE2);
    assert_int_equal(in8(r, 0x40), 0x70); /* the new mode's status */
    /* A second status latch before the read is ignored. */
    at_pulse(r, 60);
    out8(r, 0x43, 0xE2);
    write_count(r, 0, 5);
    at_pulse(r, 70); /* loaded at 61, OUT high at 66 */
    out8(r, 0x43, 0xE2);
    assert_int_equal(in8(r, 0x40), 0x70);
    out8(r, 0x43, 0xE2);
    assert_int_equal(in8(r, 0x40), 0xB0);
}

static void test_mode2_no_drift_over_an_hour(void **state)
{
    struct rig *r = *state;
    at_pulse(r, 7);
    out8(r, 0x43, 0x34);
    forget_edges(r, 0);
    write_count(r, 0, 0); /* 65536: 18.2 Hz, as the BIOS programs it */
    uint64_t load = 8;
    uint64_t periods = 65536; /* 3600 s of guest time */
    at_pulse(r, load + periods * 65536);
    /* Every period gives a falling and a rising edge. */
    assert_int_equal(r->out[0].count, 2 * periods);
    assert_int_equal(r->out[0].level, 1);
    assert_int_equal(latched_count(r, 0), 0);
    at_pulse(r, load + periods * 65536 + 65535);
    assert_int_equal(r->out[0].level, 0);
    assert_int_equal(latched_count(r, 0), 1);
    assert_true(sim_now(r->sim) > SIM_S(3599));
}

static void test_unwatched_output_needs_no_events(void **state)
{
    struct rig *r = *state;
    /* OUT2 read on demand through the "i8254" interface, in SeaBIOS's TSC
     * calibration pattern: mode 0, count 0x800, poll OUT2. */
    at_pulse(r, 0);
    out8(r, 0x43, 0xB0);
    write_count(r, 2, 0x800);
    at_pulse(r, 0x800);
    assert_int_equal(out_level(r, 2), 0);
    at_pulse(r, 0x801);
    assert_int_equal(out_level(r, 2), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mode0_interrupt_on_terminal_count, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode0_gate_and_rewrite, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode2_rate_generator, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode2_new_count_waits_for_cycle_end, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode2_gate_synchronises, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode3_square_wave_even, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode3_square_wave_odd, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode3_gate_and_half_cycle_reload, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode4_software_strobe, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode1_retriggerable_one_shot, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode5_hardware_strobe, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_bcd_counting, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_access_modes_and_latch, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_read_back, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mode2_no_drift_over_an_hour, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_unwatched_output_needs_no_events, rig_setup,
                                        rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
