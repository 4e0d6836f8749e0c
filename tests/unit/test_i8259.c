/* test_i8259.c: the 8259A pair against the Intel 8259A datasheet: the
 * initialisation sequence, fully nested priority, masking, OCW3 register
 * reads, rotation, special mask mode, poll, AEOI, level/edge triggering with
 * the ELCR, cascade acknowledge, special fully nested mode and spurious
 * IRQ 7/15. */
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
#include "tests/lib/dev_test.h"

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct ynode *yaml[2];
    struct intack_iface *intack;
    struct signal *line[16]; /* host-driven IRQ lines 0..15 */
    int cpu_int;             /* level of the master's int output */
    int cpu_int_rises;
};

static void rig_cpu_int(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    if (level && !r->cpu_int)
        r->cpu_int_rises++;
    r->cpu_int = level;
}

static struct component *rig_component(struct rig *r, int slot, const char *name,
                                       const char *yaml)
{
    return dev_test_component(r->sim, name, "i8259", yaml, &r->yaml[slot]);
}

static void rig_wire(struct rig *r, const char *from, const char *to)
{
    dev_test_wire(r->sim, from, to);
}

/* A PC pair: master at 0x20 (ELCR 0x4D0), slave at 0xA0 (ELCR 0x4D1) on
 * the master's IR2, PIIX3 ELCR masks. */
static int rig_setup(void **state)
{
    static struct rig rig;
    struct rig *r = &rig;
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    struct component *pic0 = rig_component(
        r, 0, "pic0",
        "type: i8259\nspace: io\nbase: 0x20\nslave: pic1\nelcr: 0x4D0\nelcr-mask: 0xF8\n");
    rig_component(r, 1, "pic1",
                  "type: i8259\nspace: io\nbase: 0xA0\ncascade-irq: 2\nelcr: 0x4D1\n"
                  "elcr-mask: 0xDE\n");
    struct cw_error err = {{0}};
    if (sim_realize_components(r->sim, &err) != 0)
        fail_msg("realize: %s", err.msg);
    rig_wire(r, "pic1.int", "pic0.ir2");
    for (int i = 0; i < 16; i++) {
        char pin[16], from[32], to[32];
        if (i == 2)
            continue;
        snprintf(pin, sizeof pin, "irq%d", i);
        r->line[i] = signal_create(r->sim, NULL, pin);
        snprintf(from, sizeof from, "host.irq%d", i);
        snprintf(to, sizeof to, "%s.ir%d", i < 8 ? "pic0" : "pic1", i & 7);
        rig_wire(r, from, to);
    }
    signal_add_sink(signal_find(r->sim, "pic0.int"), rig_cpu_int, r, 0);
    sim_reset_components(r->sim);
    r->intack = component_interface(pic0, "intack");
    assert_non_null(r->intack);
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

static int ack(struct rig *r)
{
    return r->intack->acknowledge(r->intack->opaque);
}

/* SeaBIOS's sequence: ICW1 0x11, ICW2 0x08/0x70, ICW3 0x04/0x02, ICW4 0x01. */
static void pc_init(struct rig *r)
{
    out8(r, 0x20, 0x11);
    out8(r, 0x21, 0x08);
    out8(r, 0x21, 0x04);
    out8(r, 0x21, 0x01);
    out8(r, 0xA0, 0x11);
    out8(r, 0xA1, 0x70);
    out8(r, 0xA1, 0x02);
    out8(r, 0xA1, 0x01);
}

static void raise_line(struct rig *r, int irq) { signal_set(r->line[irq], 1); }
static void lower_line(struct rig *r, int irq) { signal_set(r->line[irq], 0); }
static void pulse_line(struct rig *r, int irq) { signal_pulse(r->line[irq]); }

static uint8_t read_isr(struct rig *r, uint16_t base)
{
    out8(r, base, 0x0B); /* OCW3: read ISR */
    return in8(r, base);
}

static uint8_t read_irr(struct rig *r, uint16_t base)
{
    out8(r, base, 0x0A); /* OCW3: read IRR */
    return in8(r, base);
}

static void eoi(struct rig *r, uint16_t base) { out8(r, base, 0x20); }

static void test_init_and_basic_ack(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    assert_int_equal(in8(r, 0x21), 0x00); /* ICW1 cleared IMR */
    assert_int_equal(r->cpu_int, 0);
    pulse_line(r, 0);
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(read_irr(r, 0x20), 0x01);
    assert_int_equal(ack(r), 0x08);
    assert_int_equal(r->cpu_int, 0);
    assert_int_equal(read_isr(r, 0x20), 0x01);
    assert_int_equal(read_irr(r, 0x20), 0x00);
    eoi(r, 0x20);
    assert_int_equal(read_isr(r, 0x20), 0x00);
    /* OCW1 masks and reads back. */
    out8(r, 0x21, 0xB8);
    assert_int_equal(in8(r, 0x21), 0xB8);
    out8(r, 0xA1, 0x5A);
    assert_int_equal(in8(r, 0xA1), 0x5A);
}

static void test_fully_nested_priority(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    pulse_line(r, 5);
    pulse_line(r, 3);
    pulse_line(r, 6);
    assert_int_equal(ack(r), 0x0B); /* IR3 first: lower number wins */
    /* 5 and 6 are of lower priority than 3 in service: no INT. */
    assert_int_equal(r->cpu_int, 0);
    pulse_line(r, 1); /* higher priority nests */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x09);
    assert_int_equal(read_isr(r, 0x20), 0x0A);
    eoi(r, 0x20); /* non-specific EOI clears the highest: IR1 */
    assert_int_equal(read_isr(r, 0x20), 0x08);
    assert_int_equal(r->cpu_int, 0);
    eoi(r, 0x20);
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x0D);
    eoi(r, 0x20);
    assert_int_equal(ack(r), 0x0E);
    eoi(r, 0x20);
    assert_int_equal(r->cpu_int, 0);
}

static void test_mask_holds_request(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    out8(r, 0x21, 0x10);
    pulse_line(r, 4);
    assert_int_equal(r->cpu_int, 0);
    assert_int_equal(read_irr(r, 0x20), 0x10); /* IRR still latches */
    out8(r, 0x21, 0x00);
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x0C);
}

static void test_specific_eoi(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    pulse_line(r, 6);
    assert_int_equal(ack(r), 0x0E);
    pulse_line(r, 4);
    assert_int_equal(ack(r), 0x0C);
    assert_int_equal(read_isr(r, 0x20), 0x50);
    out8(r, 0x20, 0x66); /* specific EOI for IR6 (not the highest) */
    assert_int_equal(read_isr(r, 0x20), 0x10);
}

static void test_set_priority_rotation(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    out8(r, 0x20, 0xC4); /* set priority: IR4 lowest, so IR5 highest */
    pulse_line(r, 3);
    pulse_line(r, 6);
    pulse_line(r, 5);
    assert_int_equal(ack(r), 0x0D);
    eoi(r, 0x20);
    assert_int_equal(ack(r), 0x0E);
    eoi(r, 0x20);
    assert_int_equal(ack(r), 0x0B);
    eoi(r, 0x20);
    /* IR3 in service blocks IR4? No: priority 5,6,7,0,1,2,3,4; 4 is below 3. */
    pulse_line(r, 3);
    assert_int_equal(ack(r), 0x0B);
    pulse_line(r, 4);
    assert_int_equal(r->cpu_int, 0);
    pulse_line(r, 7);
    assert_int_equal(r->cpu_int, 1);
}

static void test_rotate_on_nonspecific_eoi(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    /* Equal-priority devices: each served request becomes the lowest. */
    pulse_line(r, 3);
    pulse_line(r, 5);
    assert_int_equal(ack(r), 0x0B);
    out8(r, 0x20, 0xA0); /* rotate on non-specific EOI: IR3 becomes lowest */
    pulse_line(r, 3);
    pulse_line(r, 1);
    /* Order now 4,5,6,7,0,1,2,3. */
    assert_int_equal(ack(r), 0x0D);
    out8(r, 0x20, 0xA0); /* IR5 lowest: 6,7,0,1,2,3,4,5 */
    assert_int_equal(ack(r), 0x09);
    out8(r, 0x20, 0xE1); /* rotate on specific EOI for IR1: IR1 lowest */
    assert_int_equal(read_isr(r, 0x20), 0x00);
    assert_int_equal(ack(r), 0x0B);
}

static void test_auto_eoi_and_rotation(void **state)
{
    struct rig *r = *state;
    out8(r, 0x20, 0x11);
    out8(r, 0x21, 0x20);
    out8(r, 0x21, 0x04);
    out8(r, 0x21, 0x03); /* 8086 mode, AEOI */
    pulse_line(r, 4);
    assert_int_equal(ack(r), 0x24);
    assert_int_equal(read_isr(r, 0x20), 0x00); /* no ISR bit in AEOI */
    pulse_line(r, 6);
    assert_int_equal(r->cpu_int, 1); /* nothing in service to block it */
    assert_int_equal(ack(r), 0x26);
    out8(r, 0x20, 0x80); /* rotate in AEOI mode: set */
    pulse_line(r, 1);
    assert_int_equal(ack(r), 0x21); /* IR1 becomes lowest */
    pulse_line(r, 1);
    pulse_line(r, 3);
    assert_int_equal(ack(r), 0x23);
    assert_int_equal(ack(r), 0x21);
    out8(r, 0x20, 0x00); /* rotate in AEOI mode: clear */
    pulse_line(r, 5);
    assert_int_equal(ack(r), 0x25);
    pulse_line(r, 0);
    pulse_line(r, 4);
    assert_int_equal(ack(r), 0x24); /* IR1 stays lowest: order 2,3,4,...,0,1 */
}

static void test_special_mask_mode(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    pulse_line(r, 3);
    assert_int_equal(ack(r), 0x0B);
    pulse_line(r, 5);
    assert_int_equal(r->cpu_int, 0); /* fully nested: 5 is below 3 */
    out8(r, 0x21, 0x08);             /* mask IR3 */
    assert_int_equal(r->cpu_int, 0); /* masking alone is not enough */
    out8(r, 0x20, 0x68);             /* OCW3: set special mask mode */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x0D);
    assert_int_equal(read_isr(r, 0x20), 0x28);
    out8(r, 0x20, 0x48); /* reset special mask mode */
    out8(r, 0x20, 0x65); /* specific EOI IR5 */
    out8(r, 0x20, 0x63); /* specific EOI IR3 */
    assert_int_equal(read_isr(r, 0x20), 0x00);
}

static void test_poll_command(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    out8(r, 0x21, 0xFF); /* polling works with INT masked off */
    out8(r, 0x20, 0x0C);
    assert_int_equal(in8(r, 0x20), 0x00); /* nothing requesting */
    out8(r, 0x21, 0x00);
    pulse_line(r, 6);
    pulse_line(r, 4);
    out8(r, 0x20, 0x0C);
    assert_int_equal(in8(r, 0x20), 0x84);
    assert_int_equal(read_isr(r, 0x20), 0x10); /* the poll read acknowledged IR4 */
    /* Without a new poll command the port reads IRR/ISR again. */
    assert_int_equal(in8(r, 0x20), 0x10);
    eoi(r, 0x20);
    out8(r, 0x20, 0x0C);
    assert_int_equal(in8(r, 0x20), 0x86);
}

static void test_spurious_irq7(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    out8(r, 0x4D0, 0x20); /* IR5 level-triggered */
    raise_line(r, 5);
    assert_int_equal(r->cpu_int, 1);
    lower_line(r, 5); /* request gone before INTA */
    assert_int_equal(r->cpu_int, 0);
    assert_int_equal(ack(r), 0x0F);
    assert_int_equal(read_isr(r, 0x20), 0x00); /* no ISR bit for IR7 */
    /* Edge request masked between INT and INTA. */
    pulse_line(r, 4);
    out8(r, 0x21, 0x10);
    assert_int_equal(ack(r), 0x0F);
    assert_int_equal(read_isr(r, 0x20), 0x00);
}

static void test_cascade(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    pulse_line(r, 8 + 6); /* IRQ14 */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x76);
    assert_int_equal(read_isr(r, 0x20), 0x04);
    assert_int_equal(read_isr(r, 0xA0), 0x40);
    /* IRQ3 is below IRQ2 (and so below all of the slave). */
    pulse_line(r, 3);
    assert_int_equal(r->cpu_int, 0);
    pulse_line(r, 0);
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x08);
    eoi(r, 0x20);
    eoi(r, 0xA0);
    eoi(r, 0x20);
    assert_int_equal(read_isr(r, 0xA0), 0x00);
    assert_int_equal(read_isr(r, 0x20), 0x00);
    assert_int_equal(ack(r), 0x0B);
}

static void test_spurious_irq15(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    out8(r, 0x4D1, 0x08); /* IRQ11 level */
    raise_line(r, 11);
    assert_int_equal(r->cpu_int, 1);
    lower_line(r, 11);
    /* The master latched the slave's INT edge on IR2; the slave has nothing. */
    assert_int_equal(ack(r), 0x77);
    assert_int_equal(read_isr(r, 0xA0), 0x00);
    assert_int_equal(read_isr(r, 0x20), 0x04); /* the master still needs an EOI */
}

static void test_cascade_id_mismatch(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    out8(r, 0xA0, 0x11);
    out8(r, 0xA1, 0x70);
    out8(r, 0xA1, 0x03); /* wrong slave ID */
    out8(r, 0xA1, 0x01);
    pulse_line(r, 9);
    assert_int_equal(ack(r), 0xFF); /* nobody drives the data bus */
}

static void test_level_trigger_elcr(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    out8(r, 0x4D0, 0xFF);
    assert_int_equal(in8(r, 0x4D0), 0xF8); /* IRQ0-2 are always edge */
    out8(r, 0x4D1, 0xFF);
    assert_int_equal(in8(r, 0x4D1), 0xDE); /* IRQ8 and IRQ13 too */
    out8(r, 0x4D0, 0x00);
    out8(r, 0x4D1, 0x0C); /* SeaBIOS: IRQ10/11 level */
    raise_line(r, 10);
    assert_int_equal(ack(r), 0x72);
    eoi(r, 0xA0);
    eoi(r, 0x20);
    /* Still high after EOI: interrupts again. */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(read_irr(r, 0xA0), 0x04);
    assert_int_equal(ack(r), 0x72);
    lower_line(r, 10);
    assert_int_equal(read_irr(r, 0xA0), 0x00);
    eoi(r, 0xA0);
    eoi(r, 0x20);
    assert_int_equal(r->cpu_int, 0);
}

static void test_edge_needs_new_edge(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    raise_line(r, 3);
    assert_int_equal(ack(r), 0x0B);
    eoi(r, 0x20);
    assert_int_equal(r->cpu_int, 0); /* held high: no second request */
    lower_line(r, 3);
    raise_line(r, 3);
    assert_int_equal(r->cpu_int, 1);
    /* ICW1 resets the edge sense: a line held high must go low first. */
    out8(r, 0x20, 0x11);
    out8(r, 0x21, 0x08);
    out8(r, 0x21, 0x04);
    out8(r, 0x21, 0x01);
    assert_int_equal(r->cpu_int, 0);
    assert_int_equal(read_irr(r, 0x20), 0x00);
}

static void test_ltim_level_mode(void **state)
{
    struct rig *r = *state;
    out8(r, 0x20, 0x19); /* ICW1 with LTIM */
    out8(r, 0x21, 0x08);
    out8(r, 0x21, 0x04);
    out8(r, 0x21, 0x01);
    raise_line(r, 1);
    assert_int_equal(ack(r), 0x09);
    eoi(r, 0x20);
    assert_int_equal(r->cpu_int, 1);
    lower_line(r, 1);
    assert_int_equal(r->cpu_int, 0);
}

static void test_special_fully_nested(void **state)
{
    struct rig *r = *state;
    pc_init(r);
    pulse_line(r, 9);
    assert_int_equal(ack(r), 0x71);
    /* Normal nesting: IRQ8 on the slave cannot interrupt while IR2 is in
     * service on the master. */
    pulse_line(r, 8);
    assert_int_equal(r->cpu_int, 0);
    eoi(r, 0xA0);
    eoi(r, 0x20);
    assert_int_equal(ack(r), 0x70); /* now it is served */
    eoi(r, 0xA0);
    eoi(r, 0x20);

    out8(r, 0x20, 0x11);
    out8(r, 0x21, 0x08);
    out8(r, 0x21, 0x04);
    out8(r, 0x21, 0x11); /* ICW4: 8086, SFNM */
    pulse_line(r, 9);
    assert_int_equal(ack(r), 0x71);
    pulse_line(r, 8);
    assert_int_equal(r->cpu_int, 1); /* higher slave request gets through */
    assert_int_equal(ack(r), 0x70);
    assert_int_equal(read_isr(r, 0xA0), 0x03);
    pulse_line(r, 3); /* lower-priority master lines stay blocked */
    assert_int_equal(r->cpu_int, 0);
}

static void test_single_mode_no_icw3(void **state)
{
    struct rig *r = *state;
    out8(r, 0x20, 0x13); /* single, IC4 */
    out8(r, 0x21, 0x40);
    out8(r, 0x21, 0x01); /* ICW4 directly */
    assert_int_equal(in8(r, 0x21), 0x00);
    out8(r, 0x21, 0x08); /* OCW1 now: mask IR3 */
    assert_int_equal(in8(r, 0x21), 0x08);
    pulse_line(r, 3);
    assert_int_equal(r->cpu_int, 0);
    out8(r, 0x21, 0x00);
    assert_int_equal(ack(r), 0x43);
}

/* The PC's timer interrupt: 8254 counter 0 in mode 2 drives IR0; each
 * rising OUT0 edge (the reload) latches a request. */
static void test_pit_drives_irq0(void **state)
{
    struct rig *r = *state;
    struct cw_error err = {{0}};
    const char *yaml = "type: i8254\nspace: io\nbase: 0x40\n";
    struct ynode *y = ytree_load_string(yaml, strlen(yaml), "pit0", &err);
    assert_non_null(y);
    assert_non_null(component_create(r->sim, "pit0", component_type_find("i8254"), y, &err));
    rig_wire(r, "pit0.out0", "pic0.ir0");
    pc_init(r);
    struct clock_domain clk;
    clock_init(&clk, "pit", 1193182, 1);
    out8(r, 0x43, 0x34);
    out8(r, 0x40, 0xA9); /* 1193 pulses, about 1 ms */
    out8(r, 0x40, 0x04);
    /* OUT0 leaves its power-on low level when the mode is programmed: that
     * first rising edge is a request too. */
    assert_int_equal(r->cpu_int, 1);
    assert_int_equal(ack(r), 0x08);
    eoi(r, 0x20);
    for (uint64_t k = 1; k <= 20; k++) {
        sim_time_t edge = clock_cycles_to_time(&clk, 1 + 1193 * k);
        struct sim_limits lim = {edge, 0, 0};
        sim_run(r->sim, &lim);
        assert_int_equal(r->cpu_int, 0);
        lim.until_time = edge + 1;
        sim_run(r->sim, &lim);
        assert_int_equal(r->cpu_int, 1);
        assert_int_equal(ack(r), 0x08);
        eoi(r, 0x20);
    }
    assert_int_equal(r->cpu_int_rises, 21);
    ytree_free(y);
}

/* The lost PIT ticks of a Linux boot with a serial console: the kernel
 * writes each console record with interrupts disabled, polling the UART's
 * THRE at 115200 baud (87 us a character), so a 100-character line keeps
 * IRQ 0 unacknowledged for about 9 ms, more than two 4 ms ticks. IRR holds
 * one edge per line (datasheet: the edge sets the IRR latch, INTA clears
 * it), so the ticks of that time merge into one request: the chips lose
 * them only while the CPU does not acknowledge, never while it does. */
static void test_pit_ticks_merge_while_unacknowledged(void **state)
{
    struct rig *r = *state;
    struct cw_error err = {{0}};
    const char *yaml = "type: i8254\nspace: io\nbase: 0x40\n";
    struct ynode *y = ytree_load_string(yaml, strlen(yaml), "pit0", &err);
    assert_non_null(y);
    assert_non_null(component_create(r->sim, "pit0", component_type_find("i8254"), y, &err));
    rig_wire(r, "pit0.out0", "pic0.ir0");
    pc_init(r);
    struct clock_domain clk;
    clock_init(&clk, "pit", 1193182, 1);
    out8(r, 0x43, 0x34);
    out8(r, 0x40, 0xA5); /* 4773 pulses: Linux's HZ=250 LATCH */
    out8(r, 0x40, 0x12);
    assert_int_equal(ack(r), 0x08);
    eoi(r, 0x20);
    int acks = 0;
    /* 100 periods; the "CPU" acknowledges at the end of each period except
     * during periods 40..44, where interrupts stay disabled for 5 periods. */
    for (uint64_t k = 1; k <= 100; k++) {
        struct sim_limits lim = {clock_cycles_to_time(&clk, 1 + 4773 * k + 4000), 0, 0};
        sim_run(r->sim, &lim);
        assert_int_equal(r->cpu_int, 1);
        if (k >= 40 && k <= 44)
            continue;
        assert_int_equal(ack(r), 0x08);
        eoi(r, 0x20);
        acks++;
        assert_int_equal(read_irr(r, 0x20) & 1, 0);
    }
    /* 100 rising edges, 95 acknowledges: the edges of periods 41..45 found
     * IRR 0 still set and merged with the one of period 40; INT stayed high
     * from period 40 to the acknowledge in period 45. */
    assert_int_equal(acks, 95);
    assert_int_equal(r->cpu_int_rises, 1 + 40 + 55);
    ytree_free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_and_basic_ack, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_fully_nested_priority, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_mask_holds_request, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_specific_eoi, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_set_priority_rotation, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_rotate_on_nonspecific_eoi, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_auto_eoi_and_rotation, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_special_mask_mode, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_poll_command, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_spurious_irq7, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_cascade, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_spurious_irq15, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_cascade_id_mismatch, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_level_trigger_elcr, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_edge_needs_new_edge, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_ltim_level_mode, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_special_fully_nested, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_single_mode_no_icw3, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pit_drives_irq0, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_pit_ticks_merge_while_unacknowledged, rig_setup,
                                        rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
