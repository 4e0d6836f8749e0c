/* test_atapi.c: the ATAPI CD-ROM (models/ide/atapi.c) on an IDE channel:
 * signatures, IDENTIFY PACKET DEVICE, the PACKET protocol with byte-count
 * chunking and interrupt reasons (ATA/ATAPI-6 9.10), every packet command
 * with its sense data (MMC-3, SPC-3), reads past the end, truncated images,
 * media changes, and the sequence SeaBIOS uses to boot from a tiny ISO
 * image written by the test. */
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

#define BASE 0x170
#define CTL 0x376
#define BLK 2048

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DRQ 0x08
#define ST_ERR 0x01

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct component *c;
    struct ynode *yaml;
    int irq;
    int irq_rises;
    char image[64];
};

/* Result of one packet command. */
struct pkt {
    uint8_t data[70000];
    uint32_t len;          /* bytes moved */
    unsigned chunks;
    uint32_t chunk[64];    /* byte count of each DRQ block */
    uint8_t status;        /* final status */
    uint8_t error;
    uint8_t ireason;       /* final interrupt reason */
    int irqs;              /* interrupts during the command */
};

static void rig_irq(void *opaque, int line, int level)
{
    struct rig *r = opaque;
    if (level && !r->irq)
        r->irq_rises++;
    r->irq = level;
}

/* An "ISO" of `blocks` 2048-byte blocks plus `extra` bytes: block b holds
 * (b * 13 + j) & 0xFF, with b in its first 4 bytes. Blocks 16..18 carry a
 * primary volume descriptor, an El Torito boot record and a terminator. */
static void make_iso(char *path, uint32_t blocks, size_t extra)
{
    strcpy(path, "/tmp/cw-iso-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static uint8_t b[BLK];
    for (uint32_t n = 0; n < blocks; n++) {
        for (int j = 0; j < BLK; j++)
            b[j] = (uint8_t)(n * 13 + j);
        memcpy(b, &n, 4);
        if (n == 16) {
            memset(b, 0, BLK);
            b[0] = 1;
            memcpy(b + 1, "CD001\001", 6);
            memcpy(b + 40, "CW_TEST", 7);
        } else if (n == 17) {
            memset(b, 0, BLK);
            b[0] = 0;
            memcpy(b + 1, "CD001\001EL TORITO SPECIFICATION", 30);
            uint32_t catalog = 19;
            memcpy(b + 0x47, &catalog, 4);
        } else if (n == 18) {
            memset(b, 0, BLK);
            b[0] = 0xFF;
            memcpy(b + 1, "CD001\001", 6);
        }
        assert_int_equal(write(fd, b, BLK), BLK);
    }
    if (extra) {
        memset(b, 0x5A, extra);
        assert_int_equal(write(fd, b, extra), (ssize_t)extra);
    }
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
    r->c = component_create(r->sim, "ide1", component_type_find("ide-channel"), r->yaml, &err);
    if (!r->c) {
        if (err_out) {
            *err_out = err;
            return r;
        }
        fail_msg("create: %s", err.msg);
    }
    signal_add_sink(signal_find(r->sim, "ide1.irq"), rig_irq, r, 0);
    r->c->type->reset(r->c);
    return r;
}

/* A CD-ROM as device 0 of the secondary channel, with an image of `blocks`. */
static struct rig *rig_cd(uint32_t blocks, size_t extra, const char *more)
{
    char path[64] = "";
    char yaml[512];
    if (blocks || extra) {
        make_iso(path, blocks, extra);
        snprintf(yaml, sizeof yaml, "type: ide-channel\nbase: 0x170\nctl: 0x376\ncdrom: %s\n%s",
                 path, more ? more : "");
    } else {
        snprintf(yaml, sizeof yaml, "type: ide-channel\nbase: 0x170\nctl: 0x376\n"
                 "master: cdrom\n%s", more ? more : "");
    }
    struct rig *r = rig_open(yaml, NULL);
    strcpy(r->image, path);
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

static void outb(struct rig *r, uint16_t port, uint8_t v)
{
    as_write(r->io, port, 1, v, BUS_IO_WRITE, 0, NULL);
}

static void outw(struct rig *r, uint16_t port, uint16_t v)
{
    as_write(r->io, port, 2, v, BUS_IO_WRITE, 0, NULL);
}

static void settle(struct rig *r)
{
    sim_run(r->sim, NULL);
}

/* Runs one packet command the way a PIO driver does: PACKET with the byte
 * count limit, wait for DRQ with CoD=1 IO=0, send 12 bytes, then move each
 * DRQ block of the size in LBA Mid/High, checking IO=1 CoD=0. */
static void packet(struct rig *r, const uint8_t *cdb12, uint16_t limit, struct pkt *p)
{
    memset(p, 0, sizeof *p);
    int rises = r->irq_rises;
    outb(r, BASE + 1, 0x00);
    outb(r, BASE + 4, (uint8_t)limit);
    outb(r, BASE + 5, (uint8_t)(limit >> 8));
    outb(r, BASE + 7, 0xA0);
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    settle(r);
    assert_int_equal(inb(r, CTL) & (ST_BSY | ST_DRQ), ST_DRQ);
    assert_int_equal(inb(r, BASE + 2) & 3, 1); /* CoD=1, IO=0 */
    assert_int_equal(r->irq_rises, rises);      /* no interrupt for the packet DRQ */
    for (int i = 0; i < 12; i += 2)
        outw(r, BASE, (uint16_t)(cdb12[i] | cdb12[i + 1] << 8));
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    for (;;) {
        settle(r);
        uint8_t st = inb(r, BASE + 7);
        if (!(st & ST_DRQ)) {
            p->status = st;
            break;
        }
        assert_int_equal(inb(r, BASE + 2) & 3, 2); /* IO=1, CoD=0 */
        uint32_t n = inb(r, BASE + 4) | (uint32_t)inb(r, BASE + 5) << 8;
        assert_true(n > 0);
        assert_true(p->chunks < 64);
        p->chunk[p->chunks++] = n;
        for (uint32_t i = 0; i < n; i += 2) {
            uint16_t w = inw(r, BASE);
            if (p->len + i < sizeof p->data)
                p->data[p->len + i] = (uint8_t)w;
            if (i + 1 < n && p->len + i + 1 < sizeof p->data)
                p->data[p->len + i + 1] = (uint8_t)(w >> 8);
        }
        p->len += n;
    }
    p->error = inb(r, BASE + 1);
    p->ireason = inb(r, BASE + 2) & 3;
    p->irqs = r->irq_rises - rises;
}

static void cdb(uint8_t *c, uint8_t op)
{
    memset(c, 0, 12);
    c[0] = op;
}

static void request_sense(struct rig *r, uint8_t *key, uint8_t *asc, uint8_t *ascq)
{
    uint8_t c[12];
    struct pkt p;
    cdb(c, 0x03);
    c[4] = 18;
    packet(r, c, 18, &p);
    assert_int_equal(p.status & ST_ERR, 0);
    assert_int_equal(p.len, 18);
    assert_int_equal(p.data[0] & 0x7F, 0x70);
    assert_int_equal(p.data[7], 10);
    *key = p.data[2] & 0x0F;
    *asc = p.data[12];
    *ascq = p.data[13];
}

static void expect_sense(struct rig *r, uint8_t key, uint8_t asc, uint8_t ascq)
{
    uint8_t k, a, q;
    request_sense(r, &k, &a, &q);
    if (k != key || a != asc || q != ascq)
        fail_msg("sense %X/%02X/%02X, expected %X/%02X/%02X", k, a, q, key, asc, ascq);
}

/* Clears the power-on unit attention. */
static void clear_unit_attention(struct rig *r)
{
    uint8_t c[12];
    struct pkt p;
    cdb(c, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    expect_sense(r, 0x6, 0x29, 0x00);
}

static void check_block(const uint8_t *b, uint32_t n)
{
    uint32_t v;
    memcpy(&v, b, 4);
    assert_int_equal(v, n);
    for (int j = 4; j < BLK; j++)
        if (b[j] != (uint8_t)(n * 13 + j))
            fail_msg("block %u byte %d: %02x", n, j, b[j]);
}

static void read10(struct rig *r, uint32_t lba, uint16_t count, uint16_t limit, struct pkt *p)
{
    uint8_t c[12];
    cdb(c, 0x28);
    c[2] = (uint8_t)(lba >> 24);
    c[3] = (uint8_t)(lba >> 16);
    c[4] = (uint8_t)(lba >> 8);
    c[5] = (uint8_t)lba;
    c[7] = (uint8_t)(count >> 8);
    c[8] = (uint8_t)count;
    packet(r, c, limit, p);
}

/* --- tests ------------------------------------------------------------------------ */

static void test_signature_power_on_and_srst(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    /* ATAPI: DRDY clear, signature 14h/EBh. */
    assert_int_equal(inb(r, BASE + 7), 0x00);
    assert_int_equal(inb(r, BASE + 2), 0x01);
    assert_int_equal(inb(r, BASE + 3), 0x01);
    assert_int_equal(inb(r, BASE + 4), 0x14);
    assert_int_equal(inb(r, BASE + 5), 0xEB);
    outb(r, BASE + 4, 0x00);
    outb(r, BASE + 5, 0x08);
    outb(r, CTL, 0x06);
    assert_int_equal(inb(r, CTL), ST_BSY);
    outb(r, CTL, 0x02);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), 0x00);
    assert_int_equal(inb(r, BASE + 1), 0x01);
    assert_int_equal(inb(r, BASE + 4), 0x14);
    assert_int_equal(inb(r, BASE + 5), 0xEB);
    rig_close(r);
}

static void test_identify_device_aborts_with_signature(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    outb(r, BASE + 4, 0x00);
    outb(r, BASE + 5, 0x00);
    outb(r, BASE + 7, 0xEC);
    settle(r);
    assert_int_equal(r->irq, 1);
    uint8_t st = inb(r, BASE + 7);
    assert_int_equal(st & (ST_ERR | ST_DRQ | ST_BSY), ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x04);
    assert_int_equal(inb(r, BASE + 4), 0x14);
    assert_int_equal(inb(r, BASE + 5), 0xEB);
    rig_close(r);
}

static void test_identify_packet_device(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    outb(r, BASE + 6, 0xA0);
    outb(r, BASE + 7, 0xA1);
    settle(r);
    assert_int_equal(r->irq, 1);
    assert_int_equal(inb(r, BASE + 7) & (ST_BSY | ST_DRQ | ST_ERR), ST_DRQ);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = inw(r, BASE);
    assert_int_equal(inb(r, BASE + 7) & (ST_BSY | ST_DRQ | ST_ERR), 0);
    assert_int_equal(w[0] >> 14, 2);           /* ATAPI */
    assert_int_equal((w[0] >> 8) & 0x1F, 5);   /* CD-ROM */
    assert_true(w[0] & 0x80);                  /* removable */
    assert_int_equal(w[0] & 3, 0);             /* 12-byte packets */
    assert_true(w[82] & (1 << 4));             /* PACKET feature set */
    assert_int_equal(w[93] & 0xDF61, 0x4041);  /* no device 1 */
    char model[17];
    for (int i = 0; i < 8; i++) {
        model[2 * i] = (char)(w[27 + i] >> 8);
        model[2 * i + 1] = (char)w[27 + i];
    }
    model[16] = 0;
    assert_string_equal(model, "CLOCKWORK CD-ROM");
    /* SeaBIOS prints ATAPI-<highest bit of word 80>. */
    assert_true(w[80] & (1 << 6));
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    assert_int_equal(sum, 0);
    rig_close(r);
}

static void test_unit_attention_then_ready(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    uint8_t c[12];
    struct pkt p;
    cdb(c, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.status & (ST_ERR | ST_BSY | ST_DRQ), ST_ERR);
    assert_int_equal(p.error >> 4, 0x6);
    assert_int_equal(p.ireason, 3);
    assert_int_equal(p.irqs, 1);
    expect_sense(r, 0x6, 0x29, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.ireason, 3);
    assert_int_equal(p.len, 0);
    assert_int_equal(p.irqs, 1);
    /* Sense is NO SENSE after a good command. */
    expect_sense(r, 0x0, 0x00, 0x00);
    rig_close(r);
}

static void test_no_medium(void **state)
{
    (void)state;
    struct rig *r = rig_cd(0, 0, NULL);
    clear_unit_attention(r);
    uint8_t c[12];
    struct pkt p;
    cdb(c, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    assert_int_equal(p.error, 0x20); /* NOT READY in the high nibble */
    expect_sense(r, 0x2, 0x3A, 0x01);
    read10(r, 16, 1, BLK, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    assert_int_equal(p.len, 0);
    expect_sense(r, 0x2, 0x3A, 0x01);
    cdb(c, 0x25);
    packet(r, c, 8, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    /* INQUIRY still works. */
    cdb(c, 0x12);
    c[4] = 36;
    packet(r, c, 36, &p);
    assert_int_equal(p.status & ST_ERR, 0);
    assert_int_equal(p.len, 36);
    rig_close(r);
}

static void test_inquiry(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    uint8_t c[12];
    struct pkt p;
    /* INQUIRY does not report the pending unit attention. */
    cdb(c, 0x12);
    c[4] = 96;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.len, 36);
    assert_int_equal(p.data[0], 0x05);
    assert_int_equal(p.data[1], 0x80);
    assert_int_equal(p.data[3] & 0x0F, 2);
    assert_int_equal(p.data[4], 31);
    assert_memory_equal(p.data + 8, "CLOCKWRK", 8);
    assert_memory_equal(p.data + 16, "CD-ROM          ", 16);
    /* Allocation length cuts the data. */
    c[4] = 5;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 5);
    /* VPD page 0x00, and an unsupported page. */
    c[1] = 1;
    c[4] = 64;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.data[1], 0x00);
    assert_int_equal(p.data[3], 2);
    c[2] = 0x83;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    assert_int_equal(p.error >> 4, 0x5);
    expect_sense(r, 0x5, 0x24, 0x00);
    /* The unit attention is still pending for TEST UNIT READY. */
    clear_unit_attention(r);
    rig_close(r);
}

static void test_read_capacity(void **state)
{
    (void)state;
    struct rig *r = rig_cd(40, 0, NULL);
    clear_unit_attention(r);
    uint8_t c[12];
    struct pkt p;
    cdb(c, 0x25);
    packet(r, c, 8, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.len, 8);
    assert_int_equal(p.data[3], 39);
    assert_int_equal(p.data[0] | p.data[1] | p.data[2], 0);
    assert_int_equal(p.data[6], 0x08);
    assert_int_equal(p.data[7], 0x00);
    rig_close(r);
}

static void test_read10_chunking(void **state)
{
    (void)state;
    struct rig *r = rig_cd(40, 0, NULL);
    clear_unit_attention(r);
    static struct pkt p;
    /* SeaBIOS: limit 2048, one block per DRQ, an interrupt per block and
     * one for the status phase. */
    read10(r, 20, 3, BLK, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.ireason, 3);
    assert_int_equal(p.chunks, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p.chunk[i], BLK);
        check_block(p.data + i * BLK, 20 + i);
    }
    assert_int_equal(p.irqs, 4);
    /* Large limit: one block of everything. */
    read10(r, 20, 3, 0xFFFE, &p);
    assert_int_equal(p.chunks, 1);
    assert_int_equal(p.chunk[0], 3 * BLK);
    check_block(p.data + 2 * BLK, 22);
    /* 5000 bytes per DRQ: 5000 and 1144. */
    read10(r, 20, 3, 5000, &p);
    assert_int_equal(p.chunks, 2);
    assert_int_equal(p.chunk[0], 5000);
    assert_int_equal(p.chunk[1], 1144);
    check_block(p.data, 20);
    check_block(p.data + BLK, 21);
    check_block(p.data + 2 * BLK, 22);
    /* An odd limit is used rounded down to even while more data follows. */
    read10(r, 20, 2, 4097, &p);
    assert_int_equal(p.chunks, 1);
    assert_int_equal(p.chunk[0], 4096);
    read10(r, 20, 3, 4097, &p);
    assert_int_equal(p.chunks, 2);
    assert_int_equal(p.chunk[0], 4096);
    assert_int_equal(p.chunk[1], 2048);
    /* 16 blocks (32 KiB) with the largest limit: one DRQ block. */
    read10(r, 0, 16, 0xFFFF, &p);
    assert_int_equal(p.chunks, 1);
    assert_int_equal(p.chunk[0], 16 * BLK);
    check_block(p.data + 15 * BLK, 15);
    /* Zero blocks: no data phase. */
    read10(r, 5, 0, BLK, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.len, 0);
    rig_close(r);
}

static void test_read12(void **state)
{
    (void)state;
    struct rig *r = rig_cd(40, 0, NULL);
    clear_unit_attention(r);
    static struct pkt p;
    uint8_t c[12];
    cdb(c, 0xA8);
    c[5] = 33;
    c[9] = 2;
    packet(r, c, BLK, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.chunks, 2);
    check_block(p.data, 33);
    check_block(p.data + BLK, 34);
    rig_close(r);
}

static void test_read_past_end(void **state)
{
    (void)state;
    struct rig *r = rig_cd(40, 0, NULL);
    clear_unit_attention(r);
    static struct pkt p;
    read10(r, 40, 1, BLK, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    assert_int_equal(p.error, 0x50);
    assert_int_equal(p.len, 0);
    assert_int_equal(p.ireason, 3);
    /* Sense: ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE, with the
     * address in the information field. */
    uint8_t c[12];
    cdb(c, 0x03);
    c[4] = 18;
    packet(r, c, 18, &p);
    assert_int_equal(p.data[0], 0xF0);
    assert_int_equal(p.data[2], 0x5);
    assert_int_equal(p.data[6], 40);
    assert_int_equal(p.data[12], 0x21);
    assert_int_equal(p.data[13], 0x00);
    /* A range that crosses the end fails as a whole. */
    read10(r, 38, 3, BLK, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    assert_int_equal(p.len, 0);
    expect_sense(r, 0x5, 0x21, 0x00);
    read10(r, 0xFFFFFFFF, 1, BLK, &p);
    expect_sense(r, 0x5, 0x21, 0x00);
    /* The last block reads. */
    read10(r, 39, 1, BLK, &p);
    assert_int_equal(p.status, ST_DRDY);
    check_block(p.data, 39);
    rig_close(r);
}

static void test_truncated_image(void **state)
{
    (void)state;
    /* 20 whole blocks and 1000 bytes of a 21st. */
    struct rig *r = rig_cd(20, 1000, NULL);
    clear_unit_attention(r);
    static struct pkt p;
    uint8_t c[12];
    cdb(c, 0x25);
    packet(r, c, 8, &p);
    assert_int_equal(p.data[3], 20); /* last block: the partial one */
    read10(r, 20, 1, BLK, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.data[0], 0x5A);
    assert_int_equal(p.data[999], 0x5A);
    assert_int_equal(p.data[1000], 0x00); /* beyond the file: zeros */
    read10(r, 21, 1, BLK, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    expect_sense(r, 0x5, 0x21, 0x00);
    rig_close(r);
}

static void test_not_an_iso(void **state)
{
    (void)state;
    /* A 3-byte file: one partial block, no volume descriptors. */
    char path[64] = "/tmp/cw-notiso-XXXXXX";
    int fd = mkstemp(path);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    char yaml[256];
    snprintf(yaml, sizeof yaml, "type: ide-channel\nbase: 0x170\nctl: 0x376\ncdrom: %s\n", path);
    struct rig *r = rig_open(yaml, NULL);
    strcpy(r->image, path);
    clear_unit_attention(r);
    static struct pkt p;
    read10(r, 0x11, 1, BLK, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    expect_sense(r, 0x5, 0x21, 0x00);
    read10(r, 0, 1, BLK, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_memory_equal(p.data, "abc", 3);
    rig_close(r);
}

static void test_invalid_opcode(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    clear_unit_attention(r);
    struct pkt p;
    uint8_t c[12];
    cdb(c, 0xEE);
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    assert_int_equal(p.error, 0x50);
    expect_sense(r, 0x5, 0x20, 0x00);
    /* The sense is reported once. */
    expect_sense(r, 0x0, 0x00, 0x00);
    rig_close(r);
}

static void test_mode_sense(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    clear_unit_attention(r);
    struct pkt p;
    uint8_t c[12];
    cdb(c, 0x5A);
    c[2] = 0x2A;
    c[8] = 0xFF;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.len, 28);
    assert_int_equal(p.data[0] << 8 | p.data[1], 26);
    assert_int_equal(p.data[6] << 8 | p.data[7], 0); /* no block descriptors */
    assert_int_equal(p.data[8], 0x2A);
    assert_int_equal(p.data[9], 0x12);
    assert_int_equal(p.data[8 + 6] & 0x08, 0x08);     /* eject supported */
    assert_int_equal(p.data[8 + 6] >> 5, 1);          /* tray */
    /* MODE SENSE(6) of the same page. */
    cdb(c, 0x1A);
    c[2] = 0x2A;
    c[4] = 0xFF;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 24);
    assert_int_equal(p.data[0], 23);
    assert_int_equal(p.data[4], 0x2A);
    /* All pages. */
    cdb(c, 0x5A);
    c[2] = 0x3F;
    c[8] = 0xFF;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 8 + 8 + 8 + 20);
    /* Unsupported page, saved values. */
    c[2] = 0x05;
    packet(r, c, 0xFFFE, &p);
    expect_sense(r, 0x5, 0x24, 0x00);
    c[2] = 0xC0 | 0x2A;
    packet(r, c, 0xFFFE, &p);
    expect_sense(r, 0x5, 0x39, 0x00);
    rig_close(r);
}

static void test_get_configuration(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    struct pkt p;
    uint8_t c[12];
    /* Works with the unit attention pending. */
    cdb(c, 0x46);
    c[8] = 0xFF;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status, ST_DRDY);
    uint32_t dlen = (uint32_t)p.data[0] << 24 | p.data[1] << 16 | p.data[2] << 8 | p.data[3];
    assert_int_equal(dlen, p.len - 4);
    assert_int_equal(p.data[6] << 8 | p.data[7], 0x0008); /* current profile CD-ROM */
    assert_int_equal(p.data[8] << 8 | p.data[9], 0x0000); /* profile list first */
    assert_int_equal(p.data[12] << 8 | p.data[13], 0x0008);
    assert_int_equal(p.data[14] & 1, 1);
    /* RT=2: exactly the core feature. */
    c[1] = 2;
    c[3] = 0x01;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 8 + 12);
    assert_int_equal(p.data[8] << 8 | p.data[9], 0x0001);
    assert_int_equal(p.data[15], 2); /* ATAPI interface */
    clear_unit_attention(r);
    rig_close(r);
}

static void test_read_toc(void **state)
{
    (void)state;
    struct rig *r = rig_cd(1000, 0, NULL);
    clear_unit_attention(r);
    struct pkt p;
    uint8_t c[12];
    /* Format 0, LBA. */
    cdb(c, 0x43);
    c[8] = 0xFF;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.len, 20);
    assert_int_equal(p.data[0] << 8 | p.data[1], 18);
    assert_int_equal(p.data[2], 1);
    assert_int_equal(p.data[3], 1);
    assert_int_equal(p.data[5], 0x14);
    assert_int_equal(p.data[6], 1);
    assert_int_equal(p.data[8] | p.data[9] | p.data[10] | p.data[11], 0);
    assert_int_equal(p.data[14], 0xAA);
    assert_int_equal(p.data[18] << 8 | p.data[19], 1000);
    /* MSF: track 1 at 00:02:00, lead-out at 1150 frames = 00:15:25. */
    c[1] = 0x02;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.data[9], 0);
    assert_int_equal(p.data[10], 2);
    assert_int_equal(p.data[11], 0);
    assert_int_equal(p.data[17], 0);
    assert_int_equal(p.data[18], 15);
    assert_int_equal(p.data[19], 25);
    /* Format 1 (session info), also as the old byte-9 format field. */
    cdb(c, 0x43);
    c[2] = 1;
    c[8] = 12;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 12);
    assert_int_equal(p.data[1], 0x0A);
    assert_int_equal(p.data[6], 1);
    cdb(c, 0x43);
    c[8] = 12;
    c[9] = 0x40;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 12);
    assert_int_equal(p.data[1], 0x0A);
    /* Starting at the lead-out, and a track that does not exist. */
    cdb(c, 0x43);
    c[6] = 0xAA;
    c[8] = 0xFF;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 12);
    assert_int_equal(p.data[6], 0xAA);
    c[6] = 2;
    packet(r, c, 0xFFFE, &p);
    expect_sense(r, 0x5, 0x24, 0x00);
    rig_close(r);
}

static void test_read_disc_information(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    clear_unit_attention(r);
    struct pkt p;
    uint8_t c[12];
    cdb(c, 0x51);
    c[8] = 0xFF;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status, ST_DRDY);
    assert_int_equal(p.len, 34);
    assert_int_equal(p.data[1], 32);
    assert_int_equal(p.data[2] & 0x03, 2); /* complete disc */
    rig_close(r);
}

static void test_eject_load_and_lock(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    clear_unit_attention(r);
    struct pkt p;
    uint8_t c[12];
    /* Locked: eject refused. */
    cdb(c, 0x1E);
    c[4] = 1;
    packet(r, c, 0, &p);
    assert_int_equal(p.status, ST_DRDY);
    cdb(c, 0x1B);
    c[4] = 0x02;
    packet(r, c, 0, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    expect_sense(r, 0x5, 0x53, 0x02);
    /* Unlock, eject: tray open, medium not present. */
    cdb(c, 0x1E);
    packet(r, c, 0, &p);
    cdb(c, 0x1B);
    c[4] = 0x02;
    packet(r, c, 0, &p);
    assert_int_equal(p.status, ST_DRDY);
    cdb(c, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.error, 0x20);
    expect_sense(r, 0x2, 0x3A, 0x02);
    /* GESN reports the removal once. */
    cdb(c, 0x4A);
    c[1] = 1;
    c[4] = 0x10;
    c[8] = 8;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 8);
    assert_int_equal(p.data[4], 3);
    assert_int_equal(p.data[5], 0x01); /* tray open, no medium */
    /* Load: the medium comes back with a unit attention. */
    cdb(c, 0x1B);
    c[4] = 0x03;
    packet(r, c, 0, &p);
    assert_int_equal(p.status, ST_DRDY);
    cdb(c, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.error, 0x60);
    expect_sense(r, 0x6, 0x28, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.status, ST_DRDY);
    rig_close(r);
}

static void test_event_status_and_insert(void **state)
{
    (void)state;
    struct rig *r = rig_cd(0, 0, NULL);
    struct pkt p;
    uint8_t c[12];
    /* Not polled: refused. */
    cdb(c, 0x4A);
    c[4] = 0x10;
    c[8] = 8;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.status & ST_ERR, ST_ERR);
    expect_sense(r, 0x5, 0x24, 0x00);
    /* No medium: no event, status "not present". */
    c[1] = 1;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.data[0] << 8 | p.data[1], 6);
    assert_int_equal(p.data[2], 0x04);
    assert_int_equal(p.data[3], 0x10);
    assert_int_equal(p.data[4], 0);
    assert_int_equal(p.data[5], 0);
    /* Host inserts a disc through the media interface. */
    struct media_iface *m = component_interface(r->c, "media");
    assert_non_null(m);
    struct cw_error err = {{0}};
    assert_int_equal(m->insert(m->opaque, "/nonexistent/debian.iso", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/debian.iso"));
    make_iso(r->image, 24, 0);
    assert_int_equal(m->insert(m->opaque, r->image, &err), 0);
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.data[4], 2);    /* new media */
    assert_int_equal(p.data[5], 0x02); /* present */
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.data[4], 0);
    /* Other classes only: "no event available". */
    c[4] = 0x02;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.len, 4);
    assert_int_equal(p.data[2], 0x80);
    /* The power-on attention was replaced by the medium change one. */
    cdb(c, 0x00);
    packet(r, c, 0, &p);
    assert_int_equal(p.error, 0x60);
    expect_sense(r, 0x6, 0x28, 0x00);
    static struct pkt q;
    read10(r, 23, 1, BLK, &q);
    assert_int_equal(q.status, ST_DRDY);
    check_block(q.data, 23);
    /* Eject through the interface. */
    assert_int_equal(m->insert(m->opaque, NULL, &err), 0);
    packet(r, c, 0, &p);
    assert_int_equal(p.error, 0x20);
    rig_close(r);
}

static void test_missing_iso_at_create(void **state)
{
    (void)state;
    struct cw_error err = {{0}};
    struct rig *r = rig_open("type: ide-channel\ncdrom: /nonexistent/netinst.iso\n", &err);
    assert_null(r->c);
    assert_non_null(strstr(err.msg, "/nonexistent/netinst.iso"));
    assert_non_null(strstr(err.msg, "test.yaml:2"));
    rig_close(r);
}

static void test_packet_dma_refused_and_device_reset(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, "command-latency: 50us\n");
    outb(r, BASE + 1, 0x01); /* DMA */
    outb(r, BASE + 7, 0xA0);
    settle(r);
    assert_int_equal(inb(r, BASE + 7) & ST_ERR, ST_ERR);
    assert_int_equal(inb(r, BASE + 1), 0x04);
    /* DEVICE RESET is accepted while busy. */
    outb(r, BASE + 1, 0x00);
    outb(r, BASE + 7, 0xA1);
    assert_int_equal(inb(r, CTL) & ST_BSY, ST_BSY);
    outb(r, BASE + 7, 0x08);
    settle(r);
    assert_int_equal(inb(r, BASE + 7), 0x00);
    assert_int_equal(inb(r, BASE + 4), 0x14);
    assert_int_equal(inb(r, BASE + 5), 0xEB);
    rig_close(r);
}

static void test_cdrom_as_slave_behind_disk(void **state)
{
    (void)state;
    char iso[64], disk[64] = "/tmp/cw-disk-XXXXXX";
    make_iso(iso, 20, 0);
    int fd = mkstemp(disk);
    static uint8_t zero[512 * 64];
    assert_int_equal(write(fd, zero, sizeof zero), (ssize_t)sizeof zero);
    close(fd);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "type: ide-channel\nbase: 0x170\nctl: 0x376\ndisk: %s\ncdrom: %s\n",
             disk, iso);
    struct rig *r = rig_open(yaml, NULL);
    strcpy(r->image, iso);
    assert_int_equal(inb(r, BASE + 4), 0x00); /* device 0: the disk */
    outb(r, BASE + 6, 0xB0);
    assert_int_equal(inb(r, BASE + 4), 0x14); /* device 1: ATAPI signature */
    assert_int_equal(inb(r, BASE + 5), 0xEB);
    outb(r, BASE + 7, 0xA1);
    settle(r);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = inw(r, BASE);
    assert_int_equal((w[0] >> 8) & 0x1F, 5);
    assert_int_equal(w[93] & 0x1F00, 0x0B00); /* device 1 result */
    /* The master's IDENTIFY says device 1 exists. */
    outb(r, BASE + 6, 0xA0);
    outb(r, BASE + 7, 0xEC);
    settle(r);
    for (int i = 0; i < 256; i++)
        w[i] = inw(r, BASE);
    assert_int_not_equal(w[93] & 0xDF61, 0x4041);
    assert_true(w[93] & 0x0020);
    inb(r, BASE + 7); /* acknowledge device 0 */
    /* The IRQ line follows the selected device. */
    outb(r, BASE + 6, 0xB0);
    outb(r, BASE + 7, 0xE5);
    settle(r);
    assert_int_equal(r->irq, 1);
    outb(r, BASE + 6, 0xA0);
    assert_int_equal(r->irq, 0);
    outb(r, BASE + 6, 0xB0);
    assert_int_equal(r->irq, 1);
    rig_close(r);
    unlink(disk);
}

/* The steps of SeaBIOS 1.16 ata_detect/ata_reset/scsi_is_ready/cdrom_boot,
 * with interrupts masked, against a tiny ISO written by the test. */
static void test_seabios_boot_sequence(void **state)
{
    (void)state;
    struct rig *r = rig_cd(64, 0, NULL);
    /* powerup_await_non_bsy, select device 0, read-back check. */
    assert_int_equal(inb(r, BASE + 7) & ST_BSY, 0);
    outb(r, BASE + 6, 0xA0);
    assert_int_equal(inb(r, BASE + 6), 0xA0);
    outb(r, BASE + 2, 0x55);
    outb(r, BASE + 3, 0xAA);
    assert_int_equal(inb(r, BASE + 2), 0x55);
    assert_int_equal(inb(r, BASE + 3), 0xAA);
    /* ata_reset: pulse SRST with nIEN, then poll until not busy. */
    outb(r, CTL, 0x08 | 0x02 | 0x04);
    outb(r, CTL, 0x08 | 0x02);
    settle(r);
    assert_int_equal(inb(r, BASE + 7) & ST_BSY, 0);
    outb(r, BASE + 6, 0xA0);
    outb(r, CTL, 0x08);
    /* IDENTIFY PACKET DEVICE with nIEN. */
    outb(r, CTL, 0x08 | 0x02);
    outb(r, BASE + 7, 0xA1);
    settle(r);
    uint8_t st = inb(r, BASE + 7);
    assert_int_equal(st & (ST_BSY | ST_ERR | ST_DRQ), ST_DRQ);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = inw(r, BASE);
    assert_int_equal(inb(r, CTL) & (ST_BSY | ST_DRQ | ST_ERR), 0);
    assert_int_equal((w[0] >> 8) & 0x1F, 5);
    assert_int_equal(w[93] & 0xDF61, 0x4041); /* skip probing device 1 */
    outb(r, CTL, 0x08);
    assert_int_equal(r->irq, 0);
    /* scsi_is_ready: TEST UNIT READY until it passes, REQUEST SENSE between. */
    outb(r, CTL, 0x08 | 0x02);
    int tries = 0;
    for (;;) {
        struct pkt p;
        uint8_t c[12];
        cdb(c, 0x00);
        packet(r, c, 0, &p);
        if (!(p.status & ST_ERR))
            break;
        uint8_t k, a, q;
        request_sense(r, &k, &a, &q);
        assert_int_not_equal(a, 0x3A);
        assert_true(++tries < 3);
    }
    /* Boot record volume descriptor at block 0x11, 2048 bytes per DRQ. */
    static struct pkt p;
    read10(r, 0x11, 1, BLK, &p);
    assert_int_equal(p.status & (ST_BSY | ST_DRQ | ST_ERR), 0);
    assert_int_equal(p.data[0], 0);
    assert_string_equal((char *)p.data + 1, "CD001\001EL TORITO SPECIFICATION");
    uint32_t catalog;
    memcpy(&catalog, p.data + 0x47, 4);
    assert_int_equal(catalog, 19);
    read10(r, catalog, 1, BLK, &p);
    check_block(p.data, 19);
    read10(r, 0x10, 1, BLK, &p);
    assert_memory_equal(p.data + 1, "CD001", 5);
    /* Masked all along: the line never rose. */
    assert_int_equal(r->irq_rises, 0);
    rig_close(r);
}

static void test_byte_count_zero_and_odd_lengths(void **state)
{
    (void)state;
    struct rig *r = rig_cd(32, 0, NULL);
    clear_unit_attention(r);
    struct pkt p;
    uint8_t c[12];
    /* Byte count limit 0 is taken as the largest even count. */
    cdb(c, 0x12);
    c[4] = 36;
    packet(r, c, 0, &p);
    assert_int_equal(p.len, 36);
    /* An odd total ends with an odd last block. */
    c[4] = 35;
    packet(r, c, 0xFFFE, &p);
    assert_int_equal(p.chunks, 1);
    assert_int_equal(p.chunk[0], 35);
    assert_int_equal(p.status, ST_DRDY);
    /* A tiny limit still makes progress: 2 bytes per DRQ. */
    c[4] = 8;
    packet(r, c, 1, &p);
    assert_int_equal(p.chunks, 4);
    assert_int_equal(p.len, 8);
    assert_int_equal(p.data[0], 0x05);
    rig_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_power_on_and_srst),
        cmocka_unit_test(test_identify_device_aborts_with_signature),
        cmocka_unit_test(test_identify_packet_device),
        cmocka_unit_test(test_unit_attention_then_ready),
        cmocka_unit_test(test_no_medium),
        cmocka_unit_test(test_inquiry),
        cmocka_unit_test(test_read_capacity),
        cmocka_unit_test(test_read10_chunking),
        cmocka_unit_test(test_read12),
        cmocka_unit_test(test_read_past_end),
        cmocka_unit_test(test_truncated_image),
        cmocka_unit_test(test_not_an_iso),
        cmocka_unit_test(test_invalid_opcode),
        cmocka_unit_test(test_mode_sense),
        cmocka_unit_test(test_get_configuration),
        cmocka_unit_test(test_read_toc),
        cmocka_unit_test(test_read_disc_information),
        cmocka_unit_test(test_eject_load_and_lock),
        cmocka_unit_test(test_event_status_and_insert),
        cmocka_unit_test(test_missing_iso_at_create),
        cmocka_unit_test(test_packet_dma_refused_and_device_reset),
        cmocka_unit_test(test_cdrom_as_slave_behind_disk),
        cmocka_unit_test(test_seabios_boot_sequence),
        cmocka_unit_test(test_byte_count_zero_and_odd_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
