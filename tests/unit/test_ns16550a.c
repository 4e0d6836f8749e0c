/* test_ns16550a.c: the 16550A UART against the PC16550D datasheet: reset
 * values, DLAB, transmit timing from the divisor and word format (THRE and
 * TEMT), FIFO depth, THRE interrupt rules, IIR priorities, receive FIFO
 * trigger levels and the character timeout, overrun, modem loopback with
 * MSR deltas, the OUT2 interrupt gate and host input pacing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct ynode *yaml;
    struct chardev_iface *chr;
    char out[256];
    size_t nout;
    int irq;
};

/* 115200 baud 8N1 with the 1.8432 MHz clock: 10 bits x 16 / 1.8432 MHz. */
#define CHAR_8N1_115200 SIM_PS(86805556)

static void rig_out(void *ctx, const uint8_t *buf, size_t len)
{
    struct rig *r = ctx;
    for (size_t i = 0; i < len && r->nout < sizeof r->out - 1; i++)
        r->out[r->nout++] = (char)buf[i];
}

static void rig_irq(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    r->irq = level;
}

static void rig_build(struct rig *r, const char *yaml)
{
    struct cw_error err = {{0}};
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    r->yaml = ytree_load_string(yaml, strlen(yaml), "test", &err);
    if (!r->yaml)
        fail_msg("yaml: %s", err.msg);
    struct component *c =
        component_create(r->sim, "com1", component_type_find("ns16550a"), r->yaml, &err);
    if (!c)
        fail_msg("create: %s", err.msg);
    assert_int_equal(sim_realize_components(r->sim, &err), 0);
    sim_reset_components(r->sim);
    r->chr = component_interface(c, "chardev");
    assert_non_null(r->chr);
    r->chr->add_listener(r->chr->opaque, rig_out, r);
    signal_add_sink(signal_find(r->sim, "com1.irq"), rig_irq, r, 0);
}

static int rig_setup(void **state)
{
    static struct rig rig;
    rig_build(&rig, "type: ns16550a\n");
    *state = &rig;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    return 0;
}

static uint8_t rd(struct rig *r, unsigned reg)
{
    return (uint8_t)as_read(r->io, 0x3F8 + reg, 1, BUS_IO_READ, 0, NULL);
}

static void wr(struct rig *r, unsigned reg, uint8_t v)
{
    as_write(r->io, 0x3F8 + reg, 1, v, BUS_IO_WRITE, 0, NULL);
}

static void advance(struct rig *r, sim_time_t dt)
{
    struct sim_limits lim = {.until_time = sim_now(r->sim) + dt};
    sim_run(r->sim, &lim);
}

/* 115200 baud, 8N1. */
static void set_115200_8n1(struct rig *r)
{
    wr(r, 3, 0x80);
    wr(r, 0, 0x01);
    wr(r, 1, 0x00);
    wr(r, 3, 0x03);
}

static void test_reset_values(void **state)
{
    struct rig *r = *state;
    assert_int_equal(rd(r, 1), 0x00); /* IER */
    assert_int_equal(rd(r, 2), 0x01); /* IIR: nothing pending, FIFOs off */
    assert_int_equal(rd(r, 3), 0x00); /* LCR */
    assert_int_equal(rd(r, 4), 0x00); /* MCR */
    assert_int_equal(rd(r, 5), 0x60); /* LSR: THRE | TEMT */
    assert_int_equal(rd(r, 6) & 0xF0, 0xB0); /* DCD, DSR, CTS from the terminal */
    wr(r, 7, 0x5A);
    assert_int_equal(rd(r, 7), 0x5A); /* scratch */
    assert_int_equal(r->irq, 0);
}

static void test_dlab(void **state)
{
    struct rig *r = *state;
    wr(r, 3, 0x83);
    wr(r, 0, 0x34);
    wr(r, 1, 0x12);
    assert_int_equal(rd(r, 0), 0x34);
    assert_int_equal(rd(r, 1), 0x12);
    wr(r, 3, 0x03);
    /* Offsets 0/1 are RBR/IER again; the divisor writes did not touch IER. */
    assert_int_equal(rd(r, 1), 0x00);
    wr(r, 1, 0x0F);
    assert_int_equal(rd(r, 1), 0x0F);
    wr(r, 1, 0xFF);
    assert_int_equal(rd(r, 1), 0x0F); /* bits 7:4 are 0 */
    wr(r, 3, 0x83);
    assert_int_equal(rd(r, 0), 0x34);
}

static void test_transmit_timing_16450(void **state)
{
    struct rig *r = *state;
    set_115200_8n1(r);
    wr(r, 0, 'A');
    assert_int_equal(r->nout, 1);
    assert_int_equal(r->out[0], 'A');
    /* 'A' went straight to the shift register: THR empty, TSR busy. */
    assert_int_equal(rd(r, 5) & 0x60, 0x20);
    wr(r, 0, 'B');
    assert_int_equal(rd(r, 5) & 0x60, 0x00);
    /* A third byte while THR is full is lost. */
    wr(r, 0, 'C');
    assert_int_equal(r->nout, 2);
    advance(r, CHAR_8N1_115200 - SIM_NS(100));
    assert_int_equal(rd(r, 5) & 0x60, 0x00);
    advance(r, SIM_NS(200));
    assert_int_equal(rd(r, 5) & 0x60, 0x20); /* 'B' in the TSR now */
    advance(r, CHAR_8N1_115200);
    assert_int_equal(rd(r, 5) & 0x60, 0x60);
    assert_memory_equal(r->out, "AB", 2);
}

static void test_char_time_formats(void **state)
{
    struct rig *r = *state;
    /* 9600 baud (divisor 12), 8 data bits, 2 stop bits: 11 bits. */
    wr(r, 3, 0x80);
    wr(r, 0, 12);
    wr(r, 1, 0);
    wr(r, 3, 0x07);
    wr(r, 0, 'x');
    sim_time_t t = SIM_PS(1145833333); /* 11 * 16 * 12 / 1.8432 MHz */
    advance(r, t - SIM_NS(10));
    assert_int_equal(rd(r, 5) & 0x40, 0);
    advance(r, SIM_NS(20));
    assert_int_equal(rd(r, 5) & 0x40, 0x40);
    /* 5 data bits, 1.5 stop bits, no parity: 7.5 bits. */
    wr(r, 3, 0x04);
    wr(r, 0, 'y');
    t = SIM_PS(781250000); /* 7.5 * 16 * 12 / 1.8432 MHz */
    advance(r, t - SIM_NS(10));
    assert_int_equal(rd(r, 5) & 0x40, 0);
    advance(r, SIM_NS(20));
    assert_int_equal(rd(r, 5) & 0x40, 0x40);
    /* 7 data bits, even parity, 1 stop: 10 bits. */
    wr(r, 3, 0x1A);
    wr(r, 0, 'z');
    t = SIM_PS(1041666667);
    advance(r, t - SIM_NS(10));
    assert_int_equal(rd(r, 5) & 0x40, 0);
    advance(r, SIM_NS(20));
    assert_int_equal(rd(r, 5) & 0x40, 0x40);
}

static void test_tx_fifo(void **state)
{
    struct rig *r = *state;
    set_115200_8n1(r);
    wr(r, 2, 0x07); /* enable and clear FIFOs */
    assert_int_equal(rd(r, 2) & 0xC0, 0xC0);
    /* 1 in the shift register + 16 in the FIFO; the 18th is lost. */
    for (int i = 0; i < 18; i++)
        wr(r, 0, (uint8_t)('a' + i));
    assert_int_equal(r->nout, 17);
    assert_int_equal(rd(r, 5) & 0x60, 0x00);
    /* The FIFO empties when the 17th character enters the TSR, 16 chars on. */
    advance(r, 16 * CHAR_8N1_115200 - SIM_NS(100));
    assert_int_equal(rd(r, 5) & 0x60, 0x00);
    advance(r, SIM_NS(200));
    assert_int_equal(rd(r, 5) & 0x60, 0x20);
    advance(r, CHAR_8N1_115200);
    assert_int_equal(rd(r, 5) & 0x60, 0x60);
    /* Clearing the TX FIFO drops queued characters but not the TSR. */
    for (int i = 0; i < 5; i++)
        wr(r, 0, '.');
    wr(r, 2, 0x05);
    assert_int_equal(rd(r, 5) & 0x60, 0x20);
    advance(r, CHAR_8N1_115200 + SIM_NS(10));
    assert_int_equal(rd(r, 5) & 0x60, 0x60);
}

static void test_thre_interrupt(void **state)
{
    struct rig *r = *state;
    set_115200_8n1(r);
    wr(r, 2, 0x01);
    wr(r, 4, 0x08); /* OUT2: interrupt driver on */
    assert_int_equal(r->irq, 0);
    /* Enabling ETBEI with THR empty interrupts at once. */
    wr(r, 1, 0x02);
    assert_int_equal(r->irq, 1);
    assert_int_equal(rd(r, 2), 0xC2);
    /* Reading IIR (which reported THRE) clears it. */
    assert_int_equal(r->irq, 0);
    assert_int_equal(rd(r, 2), 0xC1);
    /* Three bytes: the FIFO empties two character times later. */
    wr(r, 0, '1');
    wr(r, 0, '2');
    wr(r, 0, '3');
    assert_int_equal(r->irq, 0);
    advance(r, 2 * CHAR_8N1_115200 - SIM_NS(100));
    assert_int_equal(r->irq, 0);
    advance(r, SIM_NS(200));
    assert_int_equal(r->irq, 1);
    /* Writing THR clears it too. */
    wr(r, 0, '4');
    assert_int_equal(r->irq, 0);
    /* Without OUT2 the line stays low though IIR shows the source. */
    advance(r, 2 * CHAR_8N1_115200);
    assert_int_equal(r->irq, 1);
    wr(r, 4, 0x00);
    assert_int_equal(r->irq, 0);
    assert_int_equal(rd(r, 2), 0xC2);
}

static void test_iir_priorities(void **state)
{
    struct rig *r = *state;
    set_115200_8n1(r);
    wr(r, 2, 0x07); /* FIFOs on, trigger level 1 */
    wr(r, 1, 0x0F); /* every source */
    /* THRE (latched when ETBEI was set) outranks modem status. */
    wr(r, 4, 0x12); /* loopback, RTS -> CTS: DCTS and DCD/DSR deltas */
    assert_int_equal(rd(r, 2), 0xC2);
    assert_int_equal(rd(r, 2), 0xC0); /* then modem status */
    /* Loopback data: received data outranks modem status. */
    wr(r, 0, 0x41);
    assert_int_equal(r->nout, 0); /* looped back, not sent to the host */
    assert_int_equal(rd(r, 2), 0xC4);
    /* 16 more bytes fill the FIFO: the 17th overruns -> line status first. */
    for (int i = 0; i < 16; i++)
        wr(r, 0, (uint8_t)(0x42 + i));
    assert_int_equal(rd(r, 2), 0xC6);
    assert_int_equal(rd(r, 5) & 0x03, 0x03); /* OE | DR; reading clears OE */
    assert_int_equal(rd(r, 5) & 0x02, 0x00);
    assert_int_equal(rd(r, 2), 0xC4);
    for (int i = 0; i < 16; i++)
        assert_int_equal(rd(r, 0), 0x41 + i); /* FIFO order; overrun byte lost */
    assert_int_equal(rd(r, 5) & 0x01, 0);
    assert_int_equal(rd(r, 2), 0xC0);
    uint8_t msr = rd(r, 6);
    assert_int_equal(msr & 0xF0, 0x10); /* CTS only */
    assert_int_equal(msr & 0x0F, 0x0A); /* DDSR, DDCD: DSR and DCD fell */
    assert_int_equal(rd(r, 6) & 0x0F, 0);   /* reading clears the deltas */
    /* Transmitter still busy: no THRE yet. */
    assert_int_equal(rd(r, 2), 0xC1);
}

static void test_modem_loopback(void **state)
{
    struct rig *r = *state;
    wr(r, 4, 0x10);
    (void)rd(r, 6);
    wr(r, 4, 0x1F); /* DTR RTS OUT1 OUT2 -> DSR CTS RI DCD */
    assert_int_equal(rd(r, 6), 0xF0 | 0x0B); /* DCTS DDSR DDCD; TERI not on rise */
    wr(r, 4, 0x1B); /* OUT1 off: RI falls -> TERI */
    assert_int_equal(rd(r, 6), 0xB4);
    /* Loopback forces the interrupt line off even with OUT2. */
    wr(r, 1, 0x08);
    wr(r, 4, 0x13); /* DCD falls */
    assert_int_equal(rd(r, 2) & 0x0F, 0x00);
    assert_int_equal(r->irq, 0);
    /* Leaving loopback shows the attached terminal's lines again. */
    wr(r, 4, 0x08);
    assert_int_equal(rd(r, 6) & 0xF0, 0xB0);
    assert_int_equal(r->irq, 0);
}

static void test_trigger_levels_and_timeout(void **state)
{
    struct rig *r = *state;
    static const struct {
        uint8_t fcr;
        unsigned level;
    } cases[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xC1, 14}};
    set_115200_8n1(r);
    wr(r, 1, 0x01);
    for (size_t c = 0; c < 4; c++) {
        wr(r, 2, (uint8_t)(cases[c].fcr | 0x06));
        wr(r, 4, 0x10);
        for (unsigned i = 0; i + 1 < cases[c].level; i++)
            wr(r, 0, (uint8_t)i);
        if (cases[c].level > 1)
            assert_int_equal(rd(r, 2), 0xC1); /* below the trigger level */
        wr(r, 0, 0xEE);
        assert_int_equal(rd(r, 2), 0xC4);
        /* Reading one byte drops below the level again. */
        (void)rd(r, 0);
        if (cases[c].level > 1) {
            assert_int_equal(rd(r, 2), 0xC1);
            /* Four character times without activity: timeout. */
            advance(r, 4 * CHAR_8N1_115200 - SIM_NS(100));
            assert_int_equal(rd(r, 2), 0xC1);
            advance(r, SIM_NS(200));
            assert_int_equal(rd(r, 2), 0xCC);
            /* A read restarts the timer. */
            (void)rd(r, 0);
            if (cases[c].level > 2)
                assert_int_equal(rd(r, 2), 0xC1);
        }
        advance(r, 20 * CHAR_8N1_115200); /* let the transmitter drain */
    }
}

static void test_host_input(void **state)
{
    struct rig *r = *state;
    set_115200_8n1(r);
    wr(r, 2, 0x41); /* FIFO, trigger 4 */
    wr(r, 1, 0x01);
    wr(r, 4, 0x08);
    r->chr->input(r->chr->opaque, (const uint8_t *)"ab", 2);
    /* One character per character time. */
    advance(r, CHAR_8N1_115200 + SIM_NS(10));
    assert_int_equal(rd(r, 5) & 1, 1);
    assert_int_equal(r->irq, 0);
    advance(r, CHAR_8N1_115200);
    /* Two bytes, below the trigger: timeout 4 char times after the last. */
    advance(r, 4 * CHAR_8N1_115200 - SIM_NS(200));
    assert_int_equal(r->irq, 0);
    advance(r, SIM_NS(400));
    assert_int_equal(r->irq, 1);
    assert_int_equal(rd(r, 2), 0xCC);
    assert_int_equal(rd(r, 0), 'a');
    assert_int_equal(rd(r, 0), 'b');
    assert_int_equal(r->irq, 0);
    assert_int_equal(rd(r, 2), 0xC1);
    /* Flow control: 20 bytes into a 16-byte FIFO without reading: no overrun. */
    r->chr->input(r->chr->opaque, (const uint8_t *)"0123456789ABCDEFGHIJ", 20);
    advance(r, 30 * CHAR_8N1_115200);
    assert_int_equal(rd(r, 5) & 0x03, 0x01);
    assert_int_equal(r->irq, 1);
    char got[21] = {0};
    for (int i = 0; i < 20; i++) {
        if (!(rd(r, 5) & 1))
            advance(r, 2 * CHAR_8N1_115200);
        got[i] = (char)rd(r, 0);
    }
    assert_string_equal(got, "0123456789ABCDEFGHIJ");
}

static void test_overrun_16450(void **state)
{
    struct rig r;
    rig_build(&r, "type: ns16550a\nhost-flow-control: false\n");
    set_115200_8n1(&r);
    wr(&r, 1, 0x05);
    wr(&r, 4, 0x08);
    r.chr->input(r.chr->opaque, (const uint8_t *)"xy", 2);
    advance(&r, 3 * CHAR_8N1_115200);
    /* 16450 mode holds one byte: 'y' overran it. */
    assert_int_equal(r.irq, 1);
    assert_int_equal(rd(&r, 2), 0x06);
    assert_int_equal(rd(&r, 5) & 0x03, 0x03);
    assert_int_equal(rd(&r, 2), 0x04);
    assert_int_equal(rd(&r, 0), 'x');
    assert_int_equal(rd(&r, 2), 0x01);
    assert_int_equal(r.irq, 0);
    /* An empty RBR reads the last byte again. */
    assert_int_equal(rd(&r, 0), 'x');
    sim_destroy(r.sim);
    ytree_free(r.yaml);
}

static void test_bad_params(void **state)
{
    struct cw_error err = {{0}};
    struct sim *sim = sim_create();
    sim_set_log_quiet(sim, true);
    sim_add_space(sim, as_create(sim, "io", SPACE_IO, 16));
    const char *y = "type: ns16550a\nmodem-inputs: 0x1\n";
    struct ynode *n = ytree_load_string(y, strlen(y), "t.yaml", &err);
    assert_null(component_create(sim, "com1", component_type_find("ns16550a"), n, &err));
    assert_non_null(strstr(err.msg, "modem-inputs"));
    sim_destroy(sim);
    ytree_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_values, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_dlab, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_transmit_timing_16450, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_char_time_formats, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_tx_fifo, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_thre_interrupt, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_iir_priorities, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_modem_loopback, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_trigger_levels_and_timeout, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_host_input, rig_setup, rig_teardown),
        cmocka_unit_test(test_overrun_16450),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
