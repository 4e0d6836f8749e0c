/* test_ata.c: the IDE channel's register protocol and the ATA disk
 * (models/ide/ata.c, disk.c) against ATA/ATAPI-6: status bits, device
 * selection, the 0x55/0xAA read-back SeaBIOS uses, SRST signatures,
 * IDENTIFY words, PIO reads and writes (LBA28, LBA48, CHS, MULTIPLE),
 * errors and the interrupt line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/iface.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

#define BASE 0x1F0
#define CTL 0x3F6

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DSC 0x10
#define ST_DRQ 0x08
#define ST_ERR 0x01

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct component *c;
    struct ynode *yaml;
    int irq;          /* current level of ide0.irq */
    int irq_rises;    /* rising edges seen */
    char image[64];   /* temp image file, removed at the end */
};

static void rig_irq(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    if (level && !r->irq)
        r->irq_rises++;
    r->irq = level;
}

/* Writes an image of `sectors` 512-byte sectors; byte j of sector s is
 * (s * 7 + j) & 0xFF, and the sector's number sits in its first 4 bytes. */
static void make_image(struct rig *r, uint64_t sectors, size_t extra)
{
    strcpy(r->image, "/tmp/cw-ata-XXXXXX");
    int fd = mkstemp(r->image);
    assert_true(fd >= 0);
    uint8_t sec[512];
    for (uint64_t s = 0; s < sectors; s++) {
        for (int j = 0; j < 512; j++)
            sec[j] = (uint8_t)(s * 7 + j);
        memcpy(sec, &s, 4);
        assert_int_equal(write(fd, sec, 512), 512);
    }
    if (extra)
        assert_int_equal(write(fd, sec, extra), (ssize_t)extra);
    close(fd);
}

static struct rig *rig_open(const char *yaml, struct cw_error *err_out)
{
    struct rig *r = calloc(1, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    struct cw_error err = {{0}};
    r->yaml = ytree_load_string(yaml, strlen(yaml), "test.yaml", &err);
    if (!r->yaml)
        fail_msg("yaml: %s", err.msg);
    const struct component_type *t = component_type_find("ide-channel");
    assert_non_null(t);
    r->c = component_create(r->sim, "ide0", t, r->yaml, &err);
    if (!r->c) {
        if (err_out) {
            *err_out = err;
            return r;
        }
        fail_msg("create: %s", err.msg);
    }
    signal_add_sink(signal_find(r->sim, "ide0.irq"), rig_irq, r, 0);
    r->c->type->reset(r->c);
    return r;
}

static struct rig *rig_disk(uint64_t sectors, const char *more)
{
    struct rig tmp;
    make_image(&tmp, sectors, 0);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "type: ide-channel\ndisk: %s\n%s", tmp.image, more ? more : "");
    struct rig *r = rig_open(yaml, NULL);
    strcpy(r->image, tmp.image);
    return r;
}

static void rig_close(struct rig *r)
{
    sim_destroy(r->sim);
    ytree_free(r->yaml);
    if (r->image[0])
        unlink(r->image);
    free(r);
}

static uint8_t inb(struct rig *r, uint16_t port)
{
    return (uint8_t)as_read(r->io, port, 1, BUS_IO_READ, 0, NULL);
}

static uint16_t inw(struct rig *r, uint16_t port)
{
    return (uint16_t)as_read(r->io, port, 2, BUS_IO_READ, 0, NULL);
}

static uint32_t inl(struct rig *r, uint16_t port)
{
    return (uint32_t)as_read(r->io, port, 4, BUS_IO_READ, 0, NULL);
}

static void outb(struct rig *r, uint16_t port, uint8_t v)
{
    as_write(r->io, port, 1, v, BUS_IO_WRITE, 0, NULL);
}

static void outw(struct rig *r, uint16_t port, uint16_t v)
{
    as_write(r->io, port, 2, v, BUS_IO_WRITE, 0, NULL);
}

/* Lets every pending device event fire. */
static void settle(struct rig *r)
{
    sim_run(r->sim, NULL);
}

/* Runs until dt from now; events due exactly then have not fired yet. */
static void run_for(struct rig *r, sim_time_t dt)
{
    struct sim_limits lim = {sim_now(r->sim) + dt, 0, 0};
    sim_run(r->sim, &lim);
}

/* Issues an LBA28 command to the selected device. */
static void lba28_cmd(struct rig *r, uint8_t cmd, uint32_t lba, uint8_t count)
{
    outb(r, BASE + 2, count);
    outb(r, BASE + 3, (uint8_t)lba);
    outb(r, BASE + 4, (uint8_t)(lba >> 8));
    outb(r, BASE + 5, (uint8_t)(lba >> 16));
    outb(r, BASE + 6, (uint8_t)(0xE0 | ((lba >> 24) & 0x0F)));
    outb(r, BASE + 7, cmd);
}

static void read_block(struct rig *r, uint8_t *buf, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i += 2) {
        uint16_t w = inw(r, BASE);
        buf[i] = (uint8_t)w;
        buf[i + 1] = (uint8_t)(w >> 8);
    }
}

static void check_sector(const uint8_t *buf, uint64_t s)
{
    uint32_t n;
    memcpy(&n, buf, 4);
    assert_int_equal(n, (uint32_t)s);
    for (int j = 4; j < 512; j++)
        if (buf[j] != (uint8_t)(s * 7 + j))
            fail_msg("sector %llu byte %d: %02x", (unsigned long long)s, j, buf[j]);
}

static void identify(struct rig *r, uint16_t *w)
{
    outb(r, BASE + 7, 0xEC);
    settle(r);
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC | ST_DRQ);
    for (int i = 0; i < 256; i++)
        w[i] = inw(r, BASE);
}

/* --- tests ------------------------------------------------------------------------ */

static void test_empty_channel_floats(void **state)
{
    (void)state;
    struct rig *r = rig_open("type: ide-channel\n", NULL);
    for (int reg = 1; reg <= 7; reg++)
        assert_int_equal(inb(r, BASE + reg), 0xFF);
    assert_int_equal(inb(r, CTL), 0xFF);
    assert_int_equal(inw(r, BASE), 0xFFFF);
    /* SeaBIOS's read-back check fails on a floating bus. */
    outb(r, BASE + 2, 0x55);
    outb(r, BASE + 3, 0xAA);
    assert_int_not_equal(inb(r, BASE + 2), 0x55);
    rig_close(r);
}

static void test_detection_readback(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    /* Power-on: ready, not busy, ATA signature. */
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    assert_int_equal(inb(r, BASE + 4), 0x00);
    assert_int_equal(inb(r, BASE + 5), 0x00);
    for (int dev = 0; dev < 2; dev++) {
        uint8_t dh = dev ? 0xB0 : 0xA0;
        outb(r, BASE + 6, dh);
        assert_int_equal(inb(r, BASE + 6), dh);
        outb(r, BASE + 2, 0x55);
        outb(r, BASE + 3, 0xAA);
        assert_int_equal(inb(r, BASE + 2), 0x55);
        assert_int_equal(inb(r, BASE + 3), 0xAA);
    }
    /* Device 1 is absent: device 0 answers its Status with 00h, and a
     * command to it is not executed. */
    assert_int_equal(inb(r, BASE + 7), 0x00);
    assert_int_equal(inb(r, CTL), 0x00);
    outb(r, BASE + 7, 0xEC);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), 0x00);
    assert_int_equal(r->irq_rises, 0);
    /* Selecting device 0 again shows its own status. */
    outb(r, BASE + 6, 0xA0);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    rig_close(r);
}

static void test_srst_signature_disk(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, "reset-latency: 10us\n");
    outb(r, BASE + 2, 0x12);
    outb(r, BASE + 4, 0x34);
    outb(r, BASE + 6, 0xA0);
    outb(r, CTL, 0x06); /* SRST | nIEN */
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    run_for(r, 100000000); /* SRST held: stays busy */
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    outb(r, CTL, 0x02);
    run_for(r, SIM_US(10) - 1);
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    run_for(r, 2);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    assert_int_equal(inb(r, BASE + 1), 0x01); /* diagnostic: passed */
    assert_int_equal(inb(r, BASE + 2), 0x01);
    assert_int_equal(inb(r, BASE + 3), 0x01);
    assert_int_equal(inb(r, BASE + 4), 0x00);
    assert_int_equal(inb(r, BASE + 5), 0x00);
    assert_int_equal(inb(r, BASE + 6), 0x00);
    /* A soft reset raises no interrupt. */
    assert_int_equal(r->irq_rises, 0);
    rig_close(r);
}

static void test_command_latency_shows_bsy(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, "command-latency: 5us\n");
    outb(r, BASE + 6, 0xA0);
    outb(r, BASE + 7, 0xE5); /* CHECK POWER MODE */
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    run_for(r, SIM_US(5) - 1);
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    assert_int_equal(r->irq, 0);
    run_for(r, 2);
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC);
    assert_int_equal(r->irq, 1);
    assert_int_equal(inb(r, BASE + 2), 0xFF); /* active/idle */
    rig_close(r);
}

static void test_identify_disk(void **state)
{
    (void)state;
    struct rig *r = rig_disk(20160 + 5, NULL);
    uint16_t w[256];
    outb(r, BASE + 6, 0xA0);
    identify(r, w);
    assert_int_equal(r->irq, 1);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    assert_int_equal(r->irq, 0); /* Status read acknowledges */

    assert_int_equal(w[0], 0x0040);
    assert_int_equal(w[1], 20); /* 20165 / (16 * 63) */
    assert_int_equal(w[3], 16);
    assert_int_equal(w[6], 63);
    assert_int_equal(w[47] & 0xFF, 16);
    assert_true(w[49] & (1 << 9)); /* LBA */
    assert_int_equal(w[60] | (uint32_t)w[61] << 16, 20165);
    assert_true(w[83] & (1 << 10)); /* 48-bit */
    assert_true(w[83] & (1 << 12)); /* FLUSH CACHE */
    assert_int_equal(w[83] >> 14, 1);
    assert_int_equal(w[100], 20165);
    assert_int_equal(w[101] | w[102] | w[103], 0);
    /* No device 1: the mask SeaBIOS uses says so. */
    assert_int_equal(w[93] & 0xDF61, 0x4041);
    /* Model string, first character in the high byte. */
    char model[41];
    for (int i = 0; i < 20; i++) {
        model[2 * i] = (char)(w[27 + i] >> 8);
        model[2 * i + 1] = (char)w[27 + i];
    }
    model[40] = 0;
    assert_memory_equal(model, "CLOCKWORK HARDDISK  ", 20);
    /* Integrity word: signature A5h, all bytes sum to zero. */
    assert_int_equal(w[255] & 0xFF, 0xA5);
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    assert_int_equal(sum, 0);
    rig_close(r);
}

static void test_identify_packet_aborts_on_disk(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    outb(r, BASE + 6, 0xA0);
    outb(r, BASE + 7, 0xA1);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x04);
    /* Signature registers unchanged: still an ATA device. */
    assert_int_equal(inb(r, BASE + 4), 0x00);
    assert_int_equal(inb(r, BASE + 5), 0x00);
    rig_close(r);
}

static void test_read_sectors_lba28(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    uint8_t buf[512];
    outb(r, CTL, 0x00);
    lba28_cmd(r, 0x20, 5, 3);
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    for (int s = 0; s < 3; s++) {
        settle(r);
        assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC | ST_DRQ);
        assert_int_equal(r->irq, 1);
        assert_int_equal(inb(r, BASE + 7) & ST_DRQ, ST_DRQ);
        assert_int_equal(r->irq, 0);
        read_block(r, buf, 512);
        check_sector(buf, 5 + s);
        if (s < 2)
            assert_int_equal(inb(r, CTL) & (ST_BSY | ST_DRQ), ST_BSY);
    }
    /* After the last block: ready, no interrupt for the end of a read. */
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC);
    settle(r);
    assert_int_equal(r->irq_rises, 3);
    rig_close(r);
}

/* REP INSW's block path (as_read_rep): every word of a block but the
 * last, then the last one read singly ends the block exactly as before. */
static void test_data_port_block_reads(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    uint8_t buf[512];
    uint16_t none;
    outb(r, CTL, 0x00);
    assert_int_equal(as_read_rep(r->io, BASE, 2, &none, 1), 0); /* no transfer */
    lba28_cmd(r, 0x20, 9, 2);
    for (int s = 0; s < 2; s++) {
        settle(r);
        assert_int_equal(inb(r, BASE + 7) & ST_DRQ, ST_DRQ);
        assert_int_equal(as_read_rep(r->io, BASE + 1, 2, buf, 4), 0); /* not the data port */
        assert_int_equal(as_read_rep(r->io, BASE, 2, buf, 10), 10);
        assert_int_equal(as_read_rep(r->io, BASE, 2, buf + 20, 1000), 245);
        assert_int_equal(as_read_rep(r->io, BASE, 2, &none, 1), 0); /* the draining word */
        assert_int_equal(inb(r, CTL) & ST_DRQ, ST_DRQ);
        uint16_t last = inw(r, BASE);
        buf[510] = (uint8_t)last;
        buf[511] = (uint8_t)(last >> 8);
        check_sector(buf, 9 + s);
        assert_int_equal(inb(r, CTL) & ST_DRQ, 0);
    }
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC);
    /* 32-bit cycles: 127 doublewords, then the last one */
    lba28_cmd(r, 0x20, 3, 1);
    settle(r);
    assert_int_equal(as_read_rep(r->io, BASE, 4, buf, 200), 127);
    uint32_t d = inl(r, BASE);
    memcpy(buf + 508, &d, 4);
    check_sector(buf, 3);
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC);
    rig_close(r);
}

static void test_read_sectors_count_zero_is_256(void **state)
{
    (void)state;
    struct rig *r = rig_disk(300, NULL);
    uint8_t buf[512];
    lba28_cmd(r, 0x20, 10, 0);
    for (int s = 0; s < 256; s++) {
        settle(r);
        assert_int_equal(inb(r, BASE + 7) & ST_DRQ, ST_DRQ);
        read_block(r, buf, 512);
        check_sector(buf, 10 + s);
    }
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    rig_close(r);
}

static void test_read_lba48_and_hob(void **state)
{
    (void)state;
    struct rig *r = rig_disk(70000, NULL);
    uint8_t buf[512];
    uint64_t lba = 0x10203; /* needs the high-order bytes written as zero */
    outb(r, BASE + 6, 0x40);
    /* High-order bytes first, then low-order (ATA-6 6.2 48-bit FIFO). */
    outb(r, BASE + 2, 0x00);
    outb(r, BASE + 3, (uint8_t)(lba >> 24));
    outb(r, BASE + 4, (uint8_t)(lba >> 32));
    outb(r, BASE + 5, (uint8_t)(lba >> 40));
    outb(r, BASE + 2, 2);
    outb(r, BASE + 3, (uint8_t)lba);
    outb(r, BASE + 4, (uint8_t)(lba >> 8));
    outb(r, BASE + 5, (uint8_t)(lba >> 16));
    /* HOB read-back shows the previous contents. */
    outb(r, CTL, 0x80);
    assert_int_equal(inb(r, BASE + 2), 0x00);
    assert_int_equal(inb(r, BASE + 3), 0x00);
    outb(r, CTL, 0x00);
    assert_int_equal(inb(r, BASE + 2), 2);
    assert_int_equal(inb(r, BASE + 3), 0x03);
    outb(r, BASE + 7, 0x24); /* READ SECTORS EXT */
    for (int s = 0; s < 2; s++) {
        settle(r);
        assert_int_equal(inb(r, BASE + 7) & ST_DRQ, ST_DRQ);
        read_block(r, buf, 512);
        check_sector(buf, lba + s);
    }
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    rig_close(r);
}

static void test_read_chs_after_init_params(void **state)
{
    (void)state;
    struct rig *r = rig_disk(2000, NULL);
    uint8_t buf[512];
    /* 4 heads, 17 sectors per track. */
    outb(r, BASE + 2, 17);
    outb(r, BASE + 6, 0xA0 | 3);
    outb(r, BASE + 7, 0x91);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    /* C=2 H=1 S=5 -> (2*4+1)*17 + 4 = 157 */
    outb(r, BASE + 2, 1);
    outb(r, BASE + 3, 5);
    outb(r, BASE + 4, 2);
    outb(r, BASE + 5, 0);
    outb(r, BASE + 6, 0xA0 | 1);
    outb(r, BASE + 7, 0x20);
    settle(r);
    read_block(r, buf, 512);
    check_sector(buf, 157);
    /* Sector 0 does not exist in CHS: IDNF. */
    outb(r, BASE + 3, 0);
    outb(r, BASE + 7, 0x20);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x10);
    rig_close(r);
}

static void test_read_multiple(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    uint8_t buf[4 * 512];
    /* Multiple mode off: READ MULTIPLE aborts. */
    lba28_cmd(r, 0xC4, 0, 4);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x04);
    /* Not a power of two: refused. */
    outb(r, BASE + 2, 3);
    outb(r, BASE + 7, 0xC6);
    settle(r);
    assert_int_equal(inb(r, BASE + 7) & ST_ERR, ST_ERR);
    outb(r, BASE + 2, 4);
    outb(r, BASE + 7, 0xC6);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    uint16_t w[256];
    identify(r, w);
    assert_int_equal(w[59], 0x0104);
    /* 10 sectors: blocks of 4, 4 and 2, each with an interrupt. */
    int rises = r->irq_rises;
    lba28_cmd(r, 0xC4, 20, 10);
    unsigned sizes[3] = {4, 4, 2};
    unsigned s = 20;
    for (int b = 0; b < 3; b++) {
        settle(r);
        assert_int_equal(inb(r, BASE + 7) & ST_DRQ, ST_DRQ);
        read_block(r, buf, sizes[b] * 512);
        for (unsigned i = 0; i < sizes[b]; i++)
            check_sector(buf + 512 * i, s++);
    }
    assert_int_equal(r->irq_rises - rises, 3);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    rig_close(r);
}

static void test_read_past_end_idnf(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    lba28_cmd(r, 0x20, 63, 2); /* sector 64 does not exist */
    settle(r);
    assert_int_equal(r->irq, 1);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x10);
    assert_int_equal(inb(r, BASE + 3), 64); /* first bad sector reported */
    lba28_cmd(r, 0x20, 1000, 1);
    settle(r);
    assert_int_equal(inb(r, BASE + 1), 0x10);
    /* The last sector itself reads fine. */
    lba28_cmd(r, 0x20, 63, 1);
    settle(r);
    assert_int_equal(inb(r, BASE + 7) & (ST_DRQ | ST_ERR), ST_DRQ);
    rig_close(r);
}

static void test_read_verify(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    lba28_cmd(r, 0x40, 10, 20);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    assert_int_equal(r->irq_rises, 1);
    lba28_cmd(r, 0x40, 60, 20);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x10);
    rig_close(r);
}

static void read_file_sector(const char *path, uint64_t s, uint8_t *buf)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)(s * 512), SEEK_SET), 0);
    assert_int_equal(fread(buf, 1, 512, f), 512);
    fclose(f);
}

static void write_block(struct rig *r, uint8_t fill, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i += 2)
        outw(r, BASE, (uint16_t)(fill << 8 | fill));
}

static void test_write_refused_when_read_only(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    uint8_t before[512], after[512];
    read_file_sector(r->image, 3, before);
    lba28_cmd(r, 0x30, 3, 1);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x04);
    write_block(r, 0xEE, 512);
    settle(r);
    read_file_sector(r->image, 3, after);
    assert_memory_equal(before, after, 512);
    rig_close(r);
}

static void test_write_sectors(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, "writable: true\n");
    uint8_t buf[512];
    lba28_cmd(r, 0x30, 7, 2);
    settle(r);
    /* First block: DRQ without an interrupt. */
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC | ST_DRQ);
    assert_int_equal(r->irq_rises, 0);
    write_block(r, 0xA1, 512);
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    settle(r);
    assert_int_equal(r->irq_rises, 1);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC | ST_DRQ);
    write_block(r, 0xB2, 512);
    settle(r);
    /* Completion interrupt after the last block is on the disk. */
    assert_int_equal(r->irq_rises, 2);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    read_file_sector(r->image, 7, buf);
    for (int i = 0; i < 512; i++)
        assert_int_equal(buf[i], 0xA1);
    read_file_sector(r->image, 8, buf);
    assert_int_equal(buf[0], 0xB2);
    read_file_sector(r->image, 9, buf);
    check_sector(buf, 9);
    /* Read back through the device. */
    lba28_cmd(r, 0x20, 8, 1);
    settle(r);
    read_block(r, buf, 512);
    assert_int_equal(buf[100], 0xB2);
    /* FLUSH CACHE. */
    outb(r, BASE + 7, 0xE7);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    rig_close(r);
}

static void test_write_multiple_ext(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, "writable: true\n");
    uint8_t buf[512];
    outb(r, BASE + 2, 2);
    outb(r, BASE + 7, 0xC6);
    settle(r);
    outb(r, BASE + 6, 0x40);
    outb(r, BASE + 2, 0);
    outb(r, BASE + 3, 0);
    outb(r, BASE + 4, 0);
    outb(r, BASE + 5, 0);
    outb(r, BASE + 2, 3);
    outb(r, BASE + 3, 40);
    outb(r, BASE + 4, 0);
    outb(r, BASE + 5, 0);
    outb(r, BASE + 7, 0x39); /* WRITE MULTIPLE EXT */
    settle(r);
    write_block(r, 0x11, 1024);
    settle(r);
    assert_int_equal(inb(r, BASE + 7) & ST_DRQ, ST_DRQ);
    write_block(r, 0x22, 512);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    read_file_sector(r->image, 41, buf);
    assert_int_equal(buf[0], 0x11);
    read_file_sector(r->image, 42, buf);
    assert_int_equal(buf[0], 0x22);
    rig_close(r);
}

static void test_data_port_32bit(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    uint8_t buf[512];
    lba28_cmd(r, 0x20, 12, 1);
    settle(r);
    for (int i = 0; i < 512; i += 4) {
        uint32_t v = inl(r, BASE);
        memcpy(buf + i, &v, 4);
    }
    check_sector(buf, 12);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    rig_close(r);
}

static void test_nien_and_alternate_status(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    outb(r, CTL, 0x02); /* nIEN */
    outb(r, BASE + 7, 0xE5);
    settle(r);
    assert_int_equal(r->irq, 0);
    /* Alternate Status does not acknowledge: enabling shows the pending one. */
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC);
    outb(r, CTL, 0x00);
    assert_int_equal(r->irq, 1);
    assert_int_equal(inb(r, CTL), ST_DRDY | ST_DSC);
    assert_int_equal(r->irq, 1);
    inb(r, BASE + 7);
    assert_int_equal(r->irq, 0);
    /* Writing a command also clears a pending interrupt. */
    outb(r, BASE + 7, 0xE5);
    settle(r);
    assert_int_equal(r->irq, 1);
    outb(r, BASE + 7, 0xE5);
    assert_int_equal(r->irq, 0);
    settle(r);
    assert_int_equal(r->irq, 1);
    rig_close(r);
}

static void test_misc_commands(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    /* Unknown command: ABRT. */
    outb(r, BASE + 7, 0xFD);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x04);
    /* SET FEATURES: PIO mode 4 fine, UDMA refused, write cache off. */
    outb(r, BASE + 1, 0x03);
    outb(r, BASE + 2, 0x0C);
    outb(r, BASE + 7, 0xEF);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    outb(r, BASE + 2, 0x45);
    outb(r, BASE + 7, 0xEF);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    outb(r, BASE + 1, 0x82);
    outb(r, BASE + 7, 0xEF);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    uint16_t w[256];
    identify(r, w);
    assert_int_equal(w[85] & 0x20, 0);
    /* FLUSH CACHE EXT, IDLE IMMEDIATE, RECALIBRATE. */
    static const uint8_t ok[] = {0xEA, 0xE1, 0x10, 0xE0};
    for (size_t i = 0; i < sizeof ok; i++) {
        outb(r, BASE + 7, ok[i]);
        settle(r);
        assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    }
    /* PACKET is not an ATA disk command. */
    outb(r, BASE + 7, 0xA0);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_ERR);
    rig_close(r);
}

static void test_command_while_busy_ignored(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, "command-latency: 10us\n");
    lba28_cmd(r, 0x20, 1, 1);
    outb(r, BASE + 7, 0xFD); /* would abort if accepted */
    settle(r);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC | ST_DRQ);
    uint8_t buf[512];
    read_block(r, buf, 512);
    check_sector(buf, 1);
    rig_close(r);
}

static void test_slave_disk_with_master_absent(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, "master: none\n");
    /* Device 0 is absent: it reads 00h for status. */
    outb(r, BASE + 6, 0xA0);
    assert_int_equal(inb(r, BASE + 7), 0x00);
    outb(r, BASE + 6, 0xB0);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    uint16_t w[256];
    identify(r, w);
    assert_int_equal(w[93] & 0x0100, 0x0100);
    assert_int_equal(w[93] & 0x00FF, 0);
    outb(r, BASE + 2, 1);
    outb(r, BASE + 3, 2);
    outb(r, BASE + 4, 0);
    outb(r, BASE + 5, 0);
    outb(r, BASE + 6, 0xF0); /* device 1, LBA */
    outb(r, BASE + 7, 0x20);
    settle(r);
    uint8_t buf[512];
    read_block(r, buf, 512);
    check_sector(buf, 2);
    rig_close(r);
}

static void test_missing_image_is_an_error(void **state)
{
    (void)state;
    struct cw_error err = {{0}};
    struct rig *r = rig_open("type: ide-channel\ndisk: /nonexistent/clockwork-disk.img\n", &err);
    assert_null(r->c);
    assert_non_null(strstr(err.msg, "/nonexistent/clockwork-disk.img"));
    assert_non_null(strstr(err.msg, "No such file"));
    rig_close(r);

    memset(&err, 0, sizeof err);
    r = rig_open("type: ide-channel\nmaster: floppy\n", &err);
    assert_null(r->c);
    assert_non_null(strstr(err.msg, "floppy"));
    rig_close(r);

    memset(&err, 0, sizeof err);
    r = rig_open("type: ide-channel\nmaster: disk\n", &err);
    assert_null(r->c);
    assert_non_null(strstr(err.msg, "disk"));
    rig_close(r);
}

static void test_no_cdrom_to_insert_into(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    struct media_iface *m = component_interface(r->c, "media");
    assert_non_null(m);
    struct cw_error err = {{0}};
    assert_int_equal(m->insert(m->opaque, "/tmp/x.iso", &err), -1);
    assert_non_null(strstr(err.msg, "no CD-ROM"));
    rig_close(r);
}

static void test_odd_sized_image(void **state)
{
    (void)state;
    /* 10 sectors and 100 bytes: the partial sector is not addressable. */
    struct rig tmp;
    make_image(&tmp, 10, 100);
    char yaml[256];
    snprintf(yaml, sizeof yaml, "type: ide-channel\ndisk: %s\n", tmp.image);
    struct rig *r = rig_open(yaml, NULL);
    strcpy(r->image, tmp.image);
    uint16_t w[256];
    identify(r, w);
    assert_int_equal(w[60], 10);
    lba28_cmd(r, 0x20, 10, 1);
    settle(r);
    assert_int_equal(inb(r, BASE + 1), 0x10);
    rig_close(r);
}

static void test_two_channels(void **state)
{
    (void)state;
    struct rig *r = rig_disk(64, NULL);
    struct cw_error err = {{0}};
    const char *y = "type: ide-channel\nbase: 0x170\nctl: 0x376\n";
    struct ynode *n = ytree_load_string(y, strlen(y), "second.yaml", &err);
    struct component *c2 = component_create(r->sim, "ide1", component_type_find("ide-channel"),
                                            n, &err);
    if (!c2)
        fail_msg("%s", err.msg);
    c2->type->reset(c2);
    assert_non_null(signal_find(r->sim, "ide1.irq"));
    assert_int_equal(inb(r, 0x177), 0xFF); /* empty second channel floats */
    assert_int_equal(inb(r, 0x376), 0xFF);
    assert_int_equal(inb(r, BASE + 7), ST_DRDY | ST_DSC);
    rig_close(r);
    ytree_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_channel_floats),
        cmocka_unit_test(test_detection_readback),
        cmocka_unit_test(test_srst_signature_disk),
        cmocka_unit_test(test_command_latency_shows_bsy),
        cmocka_unit_test(test_identify_disk),
        cmocka_unit_test(test_identify_packet_aborts_on_disk),
        cmocka_unit_test(test_read_sectors_lba28),
        cmocka_unit_test(test_data_port_block_reads),
        cmocka_unit_test(test_read_sectors_count_zero_is_256),
        cmocka_unit_test(test_read_lba48_and_hob),
        cmocka_unit_test(test_read_chs_after_init_params),
        cmocka_unit_test(test_read_multiple),
        cmocka_unit_test(test_read_past_end_idnf),
        cmocka_unit_test(test_read_verify),
        cmocka_unit_test(test_write_refused_when_read_only),
        cmocka_unit_test(test_write_sectors),
        cmocka_unit_test(test_write_multiple_ext),
        cmocka_unit_test(test_data_port_32bit),
        cmocka_unit_test(test_nien_and_alternate_status),
        cmocka_unit_test(test_misc_commands),
        cmocka_unit_test(test_command_while_busy_ignored),
        cmocka_unit_test(test_slave_disk_with_master_absent),
        cmocka_unit_test(test_missing_image_is_an_error),
        cmocka_unit_test(test_no_cdrom_to_insert_into),
        cmocka_unit_test(test_odd_sized_image),
        cmocka_unit_test(test_two_channels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
