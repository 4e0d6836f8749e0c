/* atapi.c: an ATAPI CD-ROM drive reading an ISO image (2048-byte blocks).
 * Follows ATA/ATAPI-6 (PACKET protocol), SFF-8020i / MMC-3 (packet commands)
 * and SPC-3 (fixed-format sense data). */
#include <stdlib.h>
#include <string.h>

#include "host/media.h"
#include "models/ide/ide.h"

#define CD_BLOCK 2048u

/* ATA commands a PACKET device accepts. */
#define ATA_CMD_NOP 0x00
#define ATA_CMD_DEVICE_RESET 0x08
#define ATA_CMD_EXECUTE_DIAGNOSTIC 0x90
#define ATA_CMD_PACKET 0xA0
#define ATA_CMD_IDENTIFY_PACKET 0xA1
#define ATA_CMD_STANDBY_IMMEDIATE 0xE0
#define ATA_CMD_IDLE_IMMEDIATE 0xE1
#define ATA_CMD_STANDBY 0xE2
#define ATA_CMD_IDLE 0xE3
#define ATA_CMD_CHECK_POWER_MODE 0xE5
#define ATA_CMD_IDENTIFY 0xEC
#define ATA_CMD_SET_FEATURES 0xEF

/* Packet commands (operation codes). */
#define SCSI_TEST_UNIT_READY 0x00
#define SCSI_REQUEST_SENSE 0x03
#define SCSI_INQUIRY 0x12
#define SCSI_MODE_SENSE_6 0x1A
#define SCSI_START_STOP_UNIT 0x1B
#define SCSI_PREVENT_ALLOW 0x1E
#define SCSI_READ_CAPACITY 0x25
#define SCSI_READ_10 0x28
#define SCSI_SEEK_10 0x2B
#define SCSI_READ_TOC 0x43
#define SCSI_GET_CONFIGURATION 0x46
#define SCSI_GET_EVENT_STATUS 0x4A
#define SCSI_READ_DISC_INFO 0x51
#define SCSI_MODE_SENSE_10 0x5A
#define SCSI_READ_12 0xA8
#define SCSI_SET_CD_SPEED 0xBB
#define SCSI_MECHANISM_STATUS 0xBD

/* Sense keys and additional sense codes (SPC-3 4.5.6, annex D). */
#define SENSE_NONE 0x0
#define SENSE_NOT_READY 0x2
#define SENSE_MEDIUM_ERROR 0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION 0x6
#define ASC_UNRECOVERED_READ 0x11
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_CHANGED 0x28  /* NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED */
#define ASC_POWER_ON_RESET 0x29
#define ASC_SAVING_NOT_SUPPORTED 0x39
#define ASC_MEDIUM_NOT_PRESENT 0x3A
#define ASC_REMOVAL_PREVENTED 0x53

/* GET EVENT STATUS NOTIFICATION media event codes (MMC-3 5.6). */
#define MEDIA_EVENT_NONE 0
#define MEDIA_EVENT_NEW 2
#define MEDIA_EVENT_REMOVAL 3

#define ATAPI_OK ATA_SR_DRDY
#define ATAPI_REPLY_SIZE 512

struct atapi_cdrom {
    struct media_file *media;  /* NULL: no disc in the drive */
    uint64_t blocks;           /* 2048-byte blocks on the disc */
    bool tray_open;
    bool prevent_removal;      /* PREVENT ALLOW MEDIUM REMOVAL */
    /* Sense data of the last command, for REQUEST SENSE. */
    uint8_t sense_key, asc, ascq;
    bool info_valid;
    uint32_t info;
    /* A unit attention waiting to be reported. */
    bool ua_pending;
    uint8_t ua_asc;
    uint8_t media_event;       /* GESN media event not yet reported */
    /* The packet in progress. */
    uint8_t cdb[12];
    uint32_t byte_limit;       /* LBA Mid/High when PACKET was written */
    uint64_t total, done;      /* data-in bytes of the command, moved so far */
    bool from_disc;            /* data comes from the image, else reply[] */
    uint64_t lba;              /* first block of a disc read */
    uint8_t reply[ATAPI_REPLY_SIZE];
    char serial[24];
};

/* --- small helpers ------------------------------------------------------------------- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_padded(uint8_t *p, size_t n, const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < n; i++)
        p[i] = i < len ? (uint8_t)s[i] : ' ';
}

/* Address field of READ TOC: an LBA, or minutes/seconds/frames with the
 * 2-second (150-frame) lead-in offset. */
static void atapi_put_address(uint8_t *p, uint64_t lba, bool msf)
{
    if (!msf) {
        put_be32(p, (uint32_t)lba);
        return;
    }
    uint64_t f = lba + 150;
    p[0] = 0;
    p[1] = (uint8_t)(f / (75 * 60) > 255 ? 255 : f / (75 * 60));
    p[2] = (uint8_t)((f / 75) % 60);
    p[3] = (uint8_t)(f % 75);
}

/* An empty image is no disc: a disc has at least one block, and READ
 * CAPACITY could not describe one without (it returns the last LBA). */
static bool atapi_disc_ready(const struct atapi_cdrom *k)
{
    return k->media && k->blocks && !k->tray_open;
}

/* --- create / media --------------------------------------------------------------------- */

static void atapi_load(struct atapi_cdrom *k, struct media_file *m)
{
    media_close(k->media);
    k->media = m;
    k->blocks = m ? (media_size(m) + CD_BLOCK - 1) / CD_BLOCK : 0;
}

int atapi_create(struct ata_drive *d, const char *path, struct cw_error *err)
{
    struct atapi_cdrom *k = calloc(1, sizeof *k);
    if (!k)
        return cw_errorf(err, "out of memory");
    d->cdrom = k;
    memcpy(k->serial, d->unit ? "CW-CD-0001" : "CW-CD-0000", 11);
    if (!path)
        return 0;
    struct media_file *m = media_open(path, false, err);
    if (!m)
        return -1;
    atapi_load(k, m);
    return 0;
}

void atapi_destroy(struct ata_drive *d)
{
    if (!d->cdrom)
        return;
    media_close(d->cdrom->media);
    free(d->cdrom);
    d->cdrom = NULL;
}

int atapi_insert(struct ata_drive *d, const char *path, struct cw_error *err)
{
    struct atapi_cdrom *k = d->cdrom;
    if (!path) {
        if (k->media)
            k->media_event = MEDIA_EVENT_REMOVAL;
        atapi_load(k, NULL);
        return 0;
    }
    struct media_file *m = media_open(path, false, err);
    if (!m)
        return -1;
    atapi_load(k, m);
    k->tray_open = false;
    k->ua_pending = true;
    k->ua_asc = ASC_MEDIUM_CHANGED;
    k->media_event = MEDIA_EVENT_NEW;
    return 0;
}

void atapi_reset(struct ata_drive *d, bool power_on)
{
    struct atapi_cdrom *k = d->cdrom;
    ata_set_signature(d, 0x14, 0xEB);
    /* DRDY stays clear after reset until the host issues a command. */
    d->status = 0;
    k->total = k->done = 0;
    if (power_on) {
        k->sense_key = SENSE_NONE;
        k->asc = k->ascq = 0;
        k->info_valid = false;
        k->prevent_removal = false;
        k->ua_pending = true;
        k->ua_asc = ASC_POWER_ON_RESET;
    }
}

/* --- command endings ------------------------------------------------------------------ */

static void atapi_set_sense(struct atapi_cdrom *k, uint8_t key, uint8_t asc, uint8_t ascq)
{
    k->sense_key = key;
    k->asc = asc;
    k->ascq = ascq;
    k->info_valid = false;
}

/* CHECK CONDITION: ERR with the sense key in the Error register's high nibble. */
static void atapi_check_condition(struct ata_drive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    atapi_set_sense(d->cdrom, key, asc, ascq);
    d->regs.count = ATAPI_IR_COD | ATAPI_IR_IO;
    ata_fail(d, ATAPI_OK, (uint8_t)(key << 4));
}

static void atapi_good(struct ata_drive *d)
{
    d->regs.count = ATAPI_IR_COD | ATAPI_IR_IO;
    ata_finish(d, ATAPI_OK, true);
}

static void atapi_not_ready(struct ata_drive *d)
{
    const struct atapi_cdrom *k = d->cdrom;
    atapi_check_condition(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, k->tray_open ? 0x02 : 0x01);
}

static void atapi_invalid_field(struct ata_drive *d)
{
    atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
}

static void atapi_out_of_range(struct ata_drive *d, uint64_t lba)
{
    struct atapi_cdrom *k = d->cdrom;
    atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
    k->info_valid = true;
    k->info = (uint32_t)lba;
}

/* --- data-in phase ---------------------------------------------------------------------- */

static void atapi_next_chunk(struct ata_drive *d);

static void atapi_chunk_drained(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    ata_step_fn next = k->done < k->total ? atapi_next_chunk : atapi_good;
    ata_busy_then(d, d->channel->block_latency, next);
}

/* The size of the next DRQ block: at most the byte count limit the host
 * gave, even unless it is the last block (ATA/ATAPI-6 9.10). */
static uint32_t atapi_chunk_size(const struct atapi_cdrom *k)
{
    uint64_t left = k->total - k->done;
    uint32_t limit = k->byte_limit;
    if (limit == 0 || limit > 0xFFFE)
        limit = 0xFFFE;
    if (left <= limit)
        return (uint32_t)left;
    limit &= ~1u;
    return limit ? limit : 2;
}

static void atapi_next_chunk(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    uint32_t n = atapi_chunk_size(k);
    if (k->from_disc) {
        if (!atapi_disc_ready(k)) {
            atapi_not_ready(d);
            return;
        }
        uint64_t off = k->lba * CD_BLOCK + k->done;
        if (media_pread(k->media, d->buf, n, off) != 0) {
            atapi_check_condition(d, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ, 0);
            k->info_valid = true;
            k->info = (uint32_t)(off / CD_BLOCK);
            return;
        }
    } else {
        memcpy(d->buf, k->reply + k->done, n);
    }
    k->done += n;
    d->regs.lba_mid = (uint8_t)n;
    d->regs.lba_high = (uint8_t)(n >> 8);
    d->regs.count = ATAPI_IR_IO;
    ata_pio_to_host(d, n, true, atapi_chunk_drained);
}

/* Sends `len` bytes of reply[] (cut to the allocation length). */
static void atapi_reply(struct ata_drive *d, uint32_t len, uint32_t alloc)
{
    struct atapi_cdrom *k = d->cdrom;
    k->total = len < alloc ? len : alloc;
    k->done = 0;
    k->from_disc = false;
    if (k->total == 0) {
        atapi_good(d);
        return;
    }
    atapi_next_chunk(d);
}

/* --- packet commands ----------------------------------------------------------------------- */

static void atapi_request_sense(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    uint8_t *r = k->reply;
    /* Reports the last command's sense, else a pending unit attention. */
    if (k->sense_key == SENSE_NONE && k->ua_pending) {
        atapi_set_sense(k, SENSE_UNIT_ATTENTION, k->ua_asc, 0);
        k->ua_pending = false;
    }
    memset(r, 0, 18);
    r[0] = 0x70 | (k->info_valid ? 0x80 : 0);
    r[2] = k->sense_key;
    put_be32(&r[3], k->info);
    r[7] = 10;
    r[12] = k->asc;
    r[13] = k->ascq;
    atapi_set_sense(k, SENSE_NONE, 0, 0);
    atapi_reply(d, 18, k->cdb[4]);
}

static void atapi_inquiry(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    const uint8_t *c = k->cdb;
    uint8_t *r = k->reply;
    uint32_t alloc = be16(&c[3]);
    memset(r, 0, 96);
    if (c[1] & 0x01) {
        /* Vital product data: the list of pages, and the serial number. */
        r[0] = 0x05;
        r[1] = c[2];
        if (c[2] == 0x00) {
            r[3] = 2;
            r[4] = 0x00;
            r[5] = 0x80;
            atapi_reply(d, 6, alloc);
        } else if (c[2] == 0x80) {
            size_t n = strlen(k->serial);
            r[3] = (uint8_t)n;
            memcpy(&r[4], k->serial, n);
            atapi_reply(d, (uint32_t)(4 + n), alloc);
        } else {
            atapi_invalid_field(d);
        }
        return;
    }
    if (c[2] != 0) {
        atapi_invalid_field(d);
        return;
    }
    r[0] = 0x05;        /* CD/DVD device */
    r[1] = 0x80;        /* removable medium */
    r[2] = 0x00;
    r[3] = 0x32;        /* ATAPI version 3, response data format 2 */
    r[4] = 36 - 5;      /* additional length */
    put_padded(&r[8], 8, "CLOCKWRK");
    put_padded(&r[16], 16, "CD-ROM");
    put_padded(&r[32], 4, "1.0");
    atapi_reply(d, 36, alloc);
}

static void atapi_read_capacity(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    if (!atapi_disc_ready(k)) {
        atapi_not_ready(d);
        return;
    }
    uint64_t last = k->blocks ? k->blocks - 1 : 0;
    put_be32(&k->reply[0], last > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)last);
    put_be32(&k->reply[4], CD_BLOCK);
    atapi_reply(d, 8, 8);
}

static void atapi_read(struct ata_drive *d, uint64_t lba, uint64_t count)
{
    struct atapi_cdrom *k = d->cdrom;
    if (!atapi_disc_ready(k)) {
        atapi_not_ready(d);
        return;
    }
    if (lba >= k->blocks || count > k->blocks - lba) {
        atapi_out_of_range(d, lba >= k->blocks ? lba : k->blocks);
        return;
    }
    if (count == 0) {
        atapi_good(d);
        return;
    }
    k->lba = lba;
    k->total = count * CD_BLOCK;
    k->done = 0;
    k->from_disc = true;
    atapi_next_chunk(d);
}

static void atapi_seek(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    uint32_t lba = be32(&k->cdb[2]);
    if (!atapi_disc_ready(k)) {
        atapi_not_ready(d);
        return;
    }
    if (lba >= k->blocks) {
        atapi_out_of_range(d, lba);
        return;
    }
    atapi_good(d);
}

static void atapi_test_unit_ready(struct ata_drive *d)
{
    if (!atapi_disc_ready(d->cdrom)) {
        atapi_not_ready(d);
        return;
    }
    atapi_good(d);
}

/* --- MODE SENSE ---------------------------------------------------------------------------- */

/* Writes one mode page at p; returns its length, or 0 if the page is not
 * supported. With `changeable` the parameter bytes are all zero (nothing
 * can be changed). */
static unsigned atapi_mode_page(const struct atapi_cdrom *k, uint8_t page, bool changeable,
                                uint8_t *p)
{
    unsigned len;
    switch (page) {
    case 0x01: /* read error recovery */
        len = 8;
        memset(p, 0, len);
        if (!changeable)
            p[3] = 5; /* read retry count */
        break;
    case 0x0D: /* CD-ROM device parameters */
        len = 8;
        memset(p, 0, len);
        if (!changeable) {
            put_be16(&p[4], 60); /* S units per M */
            put_be16(&p[6], 75); /* F units per S */
        }
        break;
    case 0x2A: /* CD/DVD capabilities and mechanical status */
        len = 20;
        memset(p, 0, len);
        if (changeable)
            break;
        p[4] = 0x70;  /* mode 2 form 1 and 2, multi-session */
        /* Lock, lock state, eject, tray loading mechanism. */
        p[6] = (uint8_t)(0x29 | (k->prevent_removal ? 0x02 : 0));
        put_be16(&p[8], 5632);   /* maximum read speed, KB/s (32x) */
        put_be16(&p[12], 512);   /* buffer size, KiB */
        put_be16(&p[14], 5632);  /* current read speed */
        break;
    default:
        return 0;
    }
    p[0] = page;
    p[1] = (uint8_t)(len - 2);
    return len;
}

static void atapi_mode_sense(struct ata_drive *d, bool ten)
{
    struct atapi_cdrom *k = d->cdrom;
    const uint8_t *c = k->cdb;
    uint8_t page = c[2] & 0x3F;
    uint8_t control = c[2] >> 6;
    uint32_t alloc = ten ? be16(&c[7]) : c[4];
    if (control == 3) {
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
        return;
    }
    unsigned hdr = ten ? 8 : 4;
    uint8_t *r = k->reply;
    memset(r, 0, hdr);
    unsigned len = hdr;
    bool changeable = control == 1;
    if (page == 0x3F) {
        static const uint8_t all[] = {0x01, 0x0D, 0x2A};
        for (size_t i = 0; i < sizeof all; i++)
            len += atapi_mode_page(k, all[i], changeable, r + len);
    } else {
        unsigned n = atapi_mode_page(k, page, changeable, r + len);
        if (n == 0) {
            atapi_invalid_field(d);
            return;
        }
        len += n;
    }
    /* Medium type (SFF-8020i): 120 mm data disc, or door closed/open with none. */
    uint8_t medium = atapi_disc_ready(k) ? 0x01 : (k->tray_open ? 0x71 : 0x70);
    if (ten) {
        put_be16(&r[0], len - 2);
        r[2] = medium;
    } else {
        r[0] = (uint8_t)(len - 1);
        r[1] = medium;
    }
    atapi_reply(d, len, alloc);
}

/* --- GET CONFIGURATION ----------------------------------------------------------------------- */

/* Appends one feature descriptor when the request type selects it. */
static unsigned atapi_feature(uint8_t *p, uint16_t code, uint8_t version, bool persistent,
                              bool current, const uint8_t *data, uint8_t dlen,
                              const uint8_t *cdb)
{
    uint8_t rt = cdb[1] & 0x03;
    uint16_t start = be16(&cdb[2]);
    if (rt == 2 && code != start)
        return 0;
    if (rt != 2 && code < start)
        return 0;
    if (rt == 1 && !current)
        return 0;
    put_be16(p, code);
    p[2] = (uint8_t)(version << 2 | (persistent ? 2 : 0) | (current ? 1 : 0));
    p[3] = dlen;
    memcpy(p + 4, data, dlen);
    return 4u + dlen;
}

static void atapi_get_configuration(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    const uint8_t *c = k->cdb;
    uint8_t *r = k->reply;
    bool disc = atapi_disc_ready(k);
    if ((c[1] & 0x03) == 3) {
        atapi_invalid_field(d);
        return;
    }
    memset(r, 0, 8);
    unsigned len = 8;
    /* Profile list: CD-ROM (0008h). */
    uint8_t profiles[4] = {0x00, 0x08, disc ? 0x01 : 0x00, 0x00};
    len += atapi_feature(r + len, 0x0000, 0, true, true, profiles, 4, c);
    /* Core: ATAPI physical interface, device busy events. */
    uint8_t core[8] = {0, 0, 0, 2, 0x01, 0, 0, 0};
    len += atapi_feature(r + len, 0x0001, 1, true, true, core, 8, c);
    /* Morphing: GET EVENT STATUS NOTIFICATION polling only. */
    uint8_t morphing[4] = {0, 0, 0, 0};
    len += atapi_feature(r + len, 0x0002, 1, true, true, morphing, 4, c);
    /* Removable medium: tray, eject, lock. */
    uint8_t removable[4] = {0x29, 0, 0, 0};
    len += atapi_feature(r + len, 0x0003, 0, true, true, removable, 4, c);
    /* Random readable: 2048-byte blocks, blocking 1. */
    uint8_t random[8] = {0, 0, 0x08, 0x00, 0, 1, 0, 0};
    len += atapi_feature(r + len, 0x0010, 0, false, disc, random, 8, c);
    /* CD read. */
    uint8_t cdread[4] = {0, 0, 0, 0};
    len += atapi_feature(r + len, 0x001E, 0, false, disc, cdread, 4, c);
    put_be32(&r[0], len - 4);
    put_be16(&r[6], disc ? 0x0008 : 0x0000);
    atapi_reply(d, len, be16(&c[7]));
}

/* --- READ TOC / READ DISC INFORMATION ---------------------------------------------------------- */

static unsigned atapi_toc_entry(uint8_t *p, uint8_t track, uint64_t lba, bool msf)
{
    p[0] = 0;
    p[1] = 0x14; /* ADR 1 (Q mode 1), control 4: data track */
    p[2] = track;
    p[3] = 0;
    atapi_put_address(&p[4], lba, msf);
    return 8;
}

static void atapi_read_toc(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    const uint8_t *c = k->cdb;
    uint8_t *r = k->reply;
    if (!atapi_disc_ready(k)) {
        atapi_not_ready(d);
        return;
    }
    bool msf = c[1] & 0x02;
    uint8_t format = c[2] & 0x0F;
    /* SFF-8020i put the format in the top bits of byte 9. */
    if (format == 0)
        format = c[9] >> 6;
    uint8_t track = c[6];
    uint32_t alloc = be16(&c[7]);
    unsigned len = 4;
    switch (format) {
    case 0: /* TOC: track 1 and the lead-out */
        if (track > 1 && track != 0xAA) {
            atapi_invalid_field(d);
            return;
        }
        if (track <= 1)
            len += atapi_toc_entry(r + len, 1, 0, msf);
        len += atapi_toc_entry(r + len, 0xAA, k->blocks, msf);
        break;
    case 1: /* session information: one session starting at track 1 */
        len += atapi_toc_entry(r + len, 1, 0, msf);
        break;
    default:
        atapi_invalid_field(d);
        return;
    }
    put_be16(&r[0], len - 2);
    r[2] = 1; /* first track or session */
    r[3] = 1; /* last */
    atapi_reply(d, len, alloc);
}

static void atapi_read_disc_info(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    uint8_t *r = k->reply;
    if (!atapi_disc_ready(k)) {
        atapi_not_ready(d);
        return;
    }
    if (k->cdb[1] & 0x07) {
        atapi_invalid_field(d);
        return;
    }
    memset(r, 0, 34);
    put_be16(&r[0], 32);
    r[2] = 0x0E;  /* last session complete, disc complete */
    r[3] = 1;     /* first track on disc */
    r[4] = 1;     /* sessions */
    r[5] = 1;     /* first track in last session */
    r[6] = 1;     /* last track in last session */
    r[7] = 0x20;  /* URU: unrestricted use */
    r[8] = 0x00;  /* disc type: CD-DA or CD-ROM */
    put_be32(&r[16], 0xFFFFFFFF); /* no lead-in of a last session */
    put_be32(&r[20], 0xFFFFFFFF); /* no last possible lead-out */
    atapi_reply(d, 34, be16(&k->cdb[7]));
}

/* --- tray, events -------------------------------------------------------------------------- */

static void atapi_start_stop(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    uint8_t c4 = k->cdb[4];
    bool load_eject = c4 & 0x02;
    bool start = c4 & 0x01;
    if (!load_eject) {
        atapi_good(d);
        return;
    }
    if (!start) {
        if (k->prevent_removal) {
            atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
            return;
        }
        if (!k->tray_open && k->media)
            k->media_event = MEDIA_EVENT_REMOVAL;
        k->tray_open = true;
    } else if (k->tray_open) {
        k->tray_open = false;
        if (k->media) {
            k->ua_pending = true;
            k->ua_asc = ASC_MEDIUM_CHANGED;
            k->media_event = MEDIA_EVENT_NEW;
        }
    }
    atapi_good(d);
}

static void atapi_prevent_allow(struct ata_drive *d)
{
    d->cdrom->prevent_removal = d->cdrom->cdb[4] & 0x01;
    atapi_good(d);
}

static void atapi_event_status(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    const uint8_t *c = k->cdb;
    uint8_t *r = k->reply;
    /* Only polled operation is supported. */
    if (!(c[1] & 0x01)) {
        atapi_invalid_field(d);
        return;
    }
    memset(r, 0, 8);
    r[3] = 0x10; /* supported classes: media */
    if (!(c[4] & 0x10)) {
        put_be16(&r[0], 2);
        r[2] = 0x80; /* no event available */
        atapi_reply(d, 4, be16(&c[7]));
        return;
    }
    put_be16(&r[0], 6);
    r[2] = 0x04; /* media class */
    r[4] = k->media_event;
    r[5] = (uint8_t)((atapi_disc_ready(k) ? 0x02 : 0) | (k->tray_open ? 0x01 : 0));
    k->media_event = MEDIA_EVENT_NONE;
    atapi_reply(d, 8, be16(&c[7]));
}

static void atapi_mechanism_status(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    uint8_t *r = k->reply;
    memset(r, 0, 8);
    r[1] = k->tray_open ? 0x10 : 0x00; /* door open; mechanism idle */
    atapi_reply(d, 8, be16(&k->cdb[8]));
}

/* --- packet dispatch ----------------------------------------------------------------------- */

/* Commands that report instead of failing on a pending unit attention
 * (MMC-3 4.1.6.1). */
static bool atapi_ignores_unit_attention(uint8_t op)
{
    return op == SCSI_INQUIRY || op == SCSI_REQUEST_SENSE || op == SCSI_GET_CONFIGURATION ||
           op == SCSI_GET_EVENT_STATUS;
}

static void atapi_run_packet(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    const uint8_t *c = k->cdb;
    uint8_t op = c[0];
    d->channel->stat_packets++;
    if (op != SCSI_REQUEST_SENSE)
        atapi_set_sense(k, SENSE_NONE, 0, 0);
    if (k->ua_pending && !atapi_ignores_unit_attention(op)) {
        k->ua_pending = false;
        atapi_check_condition(d, SENSE_UNIT_ATTENTION, k->ua_asc, 0);
        return;
    }
    switch (op) {
    case SCSI_TEST_UNIT_READY: atapi_test_unit_ready(d); return;
    case SCSI_REQUEST_SENSE: atapi_request_sense(d); return;
    case SCSI_INQUIRY: atapi_inquiry(d); return;
    case SCSI_MODE_SENSE_6: atapi_mode_sense(d, false); return;
    case SCSI_MODE_SENSE_10: atapi_mode_sense(d, true); return;
    case SCSI_START_STOP_UNIT: atapi_start_stop(d); return;
    case SCSI_PREVENT_ALLOW: atapi_prevent_allow(d); return;
    case SCSI_READ_CAPACITY: atapi_read_capacity(d); return;
    case SCSI_READ_10: atapi_read(d, be32(&c[2]), be16(&c[7])); return;
    case SCSI_READ_12: atapi_read(d, be32(&c[2]), be32(&c[6])); return;
    case SCSI_SEEK_10: atapi_seek(d); return;
    case SCSI_READ_TOC: atapi_read_toc(d); return;
    case SCSI_GET_CONFIGURATION: atapi_get_configuration(d); return;
    case SCSI_GET_EVENT_STATUS: atapi_event_status(d); return;
    case SCSI_READ_DISC_INFO: atapi_read_disc_info(d); return;
    case SCSI_SET_CD_SPEED: atapi_good(d); return;
    case SCSI_MECHANISM_STATUS: atapi_mechanism_status(d); return;
    default:
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
        return;
    }
}

static void atapi_packet_received(struct ata_drive *d)
{
    memcpy(d->cdrom->cdb, d->buf, sizeof d->cdrom->cdb);
    ata_busy_then(d, d->channel->command_latency, atapi_run_packet);
}

static void atapi_packet(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    /* DMA and overlapped packets are not supported. */
    if (d->regs.feature & 0x03) {
        ata_fail(d, ATAPI_OK, ATA_ER_ABRT);
        return;
    }
    k->byte_limit = (uint32_t)d->regs.lba_high << 8 | d->regs.lba_mid;
    d->regs.count = ATAPI_IR_COD;
    /* DRQ for the packet comes without an interrupt (IDENTIFY word 0
     * bits 6:5 = 10b: DRQ within 50 us). */
    ata_pio_from_host(d, sizeof k->cdb, false, atapi_packet_received);
}

/* --- IDENTIFY PACKET DEVICE, other ATA commands ------------------------------------------------ */

static void atapi_identify_done(struct ata_drive *d)
{
    ata_finish(d, ATAPI_OK, false);
}

static void atapi_identify(struct ata_drive *d)
{
    struct atapi_cdrom *k = d->cdrom;
    uint16_t w[256] = {0};
    /* ATAPI, CD-ROM (5), removable, DRQ within 50 us, 12-byte packets. */
    w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
    ata_put_string(&w[10], 10, k->serial);
    ata_put_string(&w[23], 4, "1.0");
    ata_put_string(&w[27], 20, "CLOCKWORK CD-ROM");
    w[49] = 0x0A00;     /* LBA, IORDY; no DMA */
    w[53] = 0x0002;     /* words 64-70 valid */
    w[64] = 0x0003;     /* PIO modes 3 and 4 */
    w[65] = 120;
    w[66] = 120;
    w[67] = 120;
    w[68] = 120;
    w[80] = 0x0070;     /* ATA/ATAPI-4 .. 6 */
    w[82] = 0x4210;     /* NOP, DEVICE RESET, PACKET */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = 0x4210;
    w[87] = 0x4000;
    w[93] = ata_reset_result(d);
    ata_identify_to_buf(d, w);
    ata_pio_to_host(d, 512, true, atapi_identify_done);
}

static void atapi_set_features(struct ata_drive *d)
{
    uint8_t mode = d->regs.count;
    switch (d->regs.feature) {
    case 0x03: /* transfer mode: PIO only */
        if ((mode >> 3) > 1 || (mode >> 3 == 1 && (mode & 7) > 4)) {
            ata_fail(d, ATAPI_OK, ATA_ER_ABRT);
            return;
        }
        break;
    case 0x02: case 0x82: case 0x55: case 0xAA: case 0x66: case 0xCC:
        break;
    default:
        ata_fail(d, ATAPI_OK, ATA_ER_ABRT);
        return;
    }
    ata_finish(d, ATAPI_OK, true);
}

void atapi_execute(struct ata_drive *d)
{
    switch (d->command) {
    case ATA_CMD_PACKET:
        atapi_packet(d);
        return;
    case ATA_CMD_IDENTIFY_PACKET:
        atapi_identify(d);
        return;
    case ATA_CMD_IDENTIFY:
        /* ATA-6 8.15: a PACKET device aborts and shows its signature. */
        ata_set_signature(d, 0x14, 0xEB);
        ata_fail(d, ATAPI_OK, ATA_ER_ABRT);
        return;
    case ATA_CMD_DEVICE_RESET:
        atapi_reset(d, false);
        return;
    case ATA_CMD_EXECUTE_DIAGNOSTIC:
        ata_set_signature(d, 0x14, 0xEB);
        ata_finish(d, 0, true);
        return;
    case ATA_CMD_SET_FEATURES:
        atapi_set_features(d);
        return;
    case ATA_CMD_CHECK_POWER_MODE:
        d->regs.count = 0xFF;
        ata_finish(d, ATAPI_OK, true);
        return;
    case ATA_CMD_STANDBY_IMMEDIATE:
    case ATA_CMD_IDLE_IMMEDIATE:
    case ATA_CMD_STANDBY:
    case ATA_CMD_IDLE:
        ata_finish(d, ATAPI_OK, true);
        return;
    default:
        ata_fail(d, ATAPI_OK, ATA_ER_ABRT);
        return;
    }
}
