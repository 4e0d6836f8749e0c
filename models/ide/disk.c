/* disk.c: an ATA hard disk on a raw image file (PIO commands, LBA28/LBA48/CHS).
 * Follows ATA/ATAPI-6 (T13 1410D): section 6 (commands), 8.15 (IDENTIFY DEVICE). */
#include <stdio.h>
#include <stdlib.h>

#include "host/media.h"
#include "models/ide/ide.h"

#define DISK_SECTOR 512u
#define DISK_MAX_MULTIPLE 16u  /* IDENTIFY word 47: sectors per READ/WRITE MULTIPLE block */

#define ATA_CMD_RECALIBRATE 0x10 /* 10h-1Fh */
#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_READ_SECTORS_NR 0x21
#define ATA_CMD_READ_SECTORS_EXT 0x24
#define ATA_CMD_READ_MULTIPLE_EXT 0x29
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_WRITE_SECTORS_NR 0x31
#define ATA_CMD_WRITE_SECTORS_EXT 0x34
#define ATA_CMD_WRITE_MULTIPLE_EXT 0x39
#define ATA_CMD_READ_VERIFY 0x40
#define ATA_CMD_READ_VERIFY_NR 0x41
#define ATA_CMD_READ_VERIFY_EXT 0x42
#define ATA_CMD_SEEK 0x70
#define ATA_CMD_EXECUTE_DIAGNOSTIC 0x90
#define ATA_CMD_INIT_DEVICE_PARAMS 0x91
#define ATA_CMD_READ_MULTIPLE 0xC4
#define ATA_CMD_WRITE_MULTIPLE 0xC5
#define ATA_CMD_SET_MULTIPLE 0xC6
#define ATA_CMD_STANDBY_IMMEDIATE 0xE0
#define ATA_CMD_IDLE_IMMEDIATE 0xE1
#define ATA_CMD_STANDBY 0xE2
#define ATA_CMD_IDLE 0xE3
#define ATA_CMD_CHECK_POWER_MODE 0xE5
#define ATA_CMD_FLUSH_CACHE 0xE7
#define ATA_CMD_FLUSH_CACHE_EXT 0xEA
#define ATA_CMD_IDENTIFY 0xEC
#define ATA_CMD_SET_FEATURES 0xEF

/* SET FEATURES subcommands (Features register). */
#define ATA_SF_WCACHE_ON 0x02
#define ATA_SF_XFER_MODE 0x03
#define ATA_SF_LOOKAHEAD_OFF 0x55
#define ATA_SF_REVERT_OFF 0x66
#define ATA_SF_WCACHE_OFF 0x82
#define ATA_SF_LOOKAHEAD_ON 0xAA
#define ATA_SF_REVERT_ON 0xCC

#define DISK_OK (ATA_SR_DRDY | ATA_SR_DSC)

struct ata_disk {
    struct media_file *media;
    uint64_t sectors;          /* capacity in 512-byte sectors */
    bool writable;
    uint16_t cyls, heads, spt; /* default geometry (IDENTIFY words 1, 3, 6) */
    uint16_t cur_cyls, cur_heads, cur_spt; /* INITIALIZE DEVICE PARAMETERS */
    unsigned multiple;         /* SET MULTIPLE count; 0 = multiple mode off */
    bool write_cache;
    bool look_ahead;
    char serial[48];
    /* The command in progress. */
    uint64_t lba;              /* next sector to move */
    uint32_t remaining;        /* sectors left */
    unsigned block;            /* sectors per DRQ block */
    unsigned in_block;         /* sectors in the current block */
};

/* --- geometry --------------------------------------------------------------------- */

static void ata_disk_default_geometry(struct ata_disk *k)
{
    uint64_t s = k->sectors;
    uint64_t heads = 16, spt = 63;
    uint64_t cyls = s / (heads * spt);
    if (cyls == 0) {
        heads = 1;
        cyls = s / spt;
        if (cyls == 0) {
            spt = s ? s : 1;
            cyls = 1;
        }
    }
    if (cyls > 16383)
        cyls = 16383;
    k->cyls = (uint16_t)cyls;
    k->heads = (uint16_t)heads;
    k->spt = (uint16_t)spt;
}

static void ata_disk_set_translation(struct ata_disk *k, unsigned heads, unsigned spt)
{
    k->cur_heads = (uint16_t)heads;
    k->cur_spt = (uint16_t)spt;
    uint64_t cyls = spt && heads ? k->sectors / ((uint64_t)heads * spt) : 0;
    k->cur_cyls = (uint16_t)(cyls > 65535 ? 65535 : cyls);
}

/* --- create / reset ------------------------------------------------------------------ */

int ata_disk_create(struct ata_drive *d, const char *path, bool writable, struct cw_error *err)
{
    struct ata_disk *k = calloc(1, sizeof *k);
    if (!k)
        return cw_errorf(err, "out of memory");
    d->disk = k;
    k->media = media_open(path, writable, err);
    if (!k->media)
        return -1;
    k->writable = writable;
    k->sectors = media_size(k->media) / DISK_SECTOR;
    ata_disk_default_geometry(k);
    ata_disk_set_translation(k, k->heads, k->spt);
    snprintf(k->serial, sizeof k->serial, "CW%02u%016llu", d->unit,
             (unsigned long long)k->sectors);
    return 0;
}

void ata_disk_destroy(struct ata_drive *d)
{
    if (!d->disk)
        return;
    media_close(d->disk->media);
    free(d->disk);
    d->disk = NULL;
}

void ata_disk_reset(struct ata_drive *d, bool power_on)
{
    struct ata_disk *k = d->disk;
    ata_set_signature(d, 0x00, 0x00);
    d->status = DISK_OK;
    /* Power-on defaults. A soft reset keeps the multiple count, cache
     * settings and translation (ATA-6 9.12: as after SET FEATURES 66h). */
    if (power_on) {
        k->multiple = 0;
        k->write_cache = true;
        k->look_ahead = true;
        ata_disk_set_translation(k, k->heads, k->spt);
    }
}

/* --- IDENTIFY DEVICE ------------------------------------------------------------------ */

/* After the single data-in block the device is ready, with no interrupt. */
static void ata_disk_identify_done(struct ata_drive *d)
{
    ata_finish(d, DISK_OK, false);
}

static void ata_disk_identify(struct ata_drive *d)
{
    struct ata_disk *k = d->disk;
    uint16_t w[256] = {0};
    uint64_t lba28 = k->sectors > 0x0FFFFFFF ? 0x0FFFFFFF : k->sectors;
    uint32_t chs_capacity = (uint32_t)k->cur_cyls * k->cur_heads * k->cur_spt;

    w[0] = 0x0040;                     /* fixed device, ATA */
    w[1] = k->cyls;
    w[3] = k->heads;
    w[6] = k->spt;
    ata_put_string(&w[10], 10, k->serial);
    ata_put_string(&w[23], 4, "1.0");
    ata_put_string(&w[27], 20, "CLOCKWORK HARDDISK");
    w[47] = 0x8000 | DISK_MAX_MULTIPLE;
    w[49] = 0x0A00;                    /* LBA, IORDY supported; no DMA */
    w[50] = 0x4000;
    w[51] = 0x0200;                    /* PIO mode 2 timing (obsolete word) */
    w[53] = 0x0003;                    /* words 54-58 and 64-70 valid */
    w[54] = k->cur_cyls;
    w[55] = k->cur_heads;
    w[56] = k->cur_spt;
    w[57] = (uint16_t)chs_capacity;
    w[58] = (uint16_t)(chs_capacity >> 16);
    w[59] = k->multiple ? (uint16_t)(0x0100 | k->multiple) : 0;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[64] = 0x0003;                    /* PIO modes 3 and 4 */
    w[65] = 120;
    w[66] = 120;
    w[67] = 120;
    w[68] = 120;
    w[80] = 0x007E;                    /* ATA-1 .. ATA/ATAPI-6 */
    w[82] = 0x4068;                    /* NOP, look-ahead, write cache, power management */
    w[83] = 0x7400;                    /* FLUSH CACHE (EXT), 48-bit addresses */
    w[84] = 0x4000;
    w[85] = (uint16_t)(0x4008 | (k->write_cache ? 0x20 : 0) | (k->look_ahead ? 0x40 : 0));
    w[86] = 0x3400;
    w[87] = 0x4000;
    w[93] = ata_reset_result(d);
    w[100] = (uint16_t)k->sectors;
    w[101] = (uint16_t)(k->sectors >> 16);
    w[102] = (uint16_t)(k->sectors >> 32);
    w[103] = (uint16_t)(k->sectors >> 48);
    ata_identify_to_buf(d, w);
    ata_pio_to_host(d, 512, true, ata_disk_identify_done);
}

/* --- addressing ------------------------------------------------------------------------ */

static bool ata_disk_is_ext(uint8_t cmd)
{
    switch (cmd) {
    case ATA_CMD_READ_SECTORS_EXT:
    case ATA_CMD_READ_MULTIPLE_EXT:
    case ATA_CMD_WRITE_SECTORS_EXT:
    case ATA_CMD_WRITE_MULTIPLE_EXT:
    case ATA_CMD_READ_VERIFY_EXT:
        return true;
    }
    return false;
}

/* Decodes the address and count of the command in the task file. Returns
 * false for a CHS address outside the current translation. */
static bool ata_disk_address(struct ata_drive *d, bool ext, uint64_t *lba, uint32_t *count)
{
    const struct ata_fifo_regs *r = &d->regs;
    struct ata_disk *k = d->disk;
    if (ext) {
        const struct ata_fifo_regs *h = &d->hob;
        *lba = (uint64_t)h->lba_high << 40 | (uint64_t)h->lba_mid << 32 |
               (uint64_t)h->lba_low << 24 | (uint64_t)r->lba_high << 16 |
               (uint64_t)r->lba_mid << 8 | r->lba_low;
        *count = (uint32_t)h->count << 8 | r->count;
        if (*count == 0)
            *count = 65536;
        return true;
    }
    *count = r->count ? r->count : 256;
    if (d->device & ATA_DEV_LBA) {
        *lba = (uint64_t)(d->device & 0x0F) << 24 | (uint64_t)r->lba_high << 16 |
               (uint64_t)r->lba_mid << 8 | r->lba_low;
        return true;
    }
    unsigned cyl = (unsigned)r->lba_high << 8 | r->lba_mid;
    unsigned head = d->device & 0x0F;
    unsigned sector = r->lba_low;
    if (sector == 0 || sector > k->cur_spt || head >= k->cur_heads)
        return false;
    *lba = ((uint64_t)cyl * k->cur_heads + head) * k->cur_spt + (sector - 1);
    return true;
}

/* Writes the address of the sector at `lba` back into the task file (the
 * failing sector after an error, as ATA-6 asks). */
static void ata_disk_report_lba(struct ata_drive *d, uint64_t lba, bool ext)
{
    d->regs.lba_low = (uint8_t)lba;
    d->regs.lba_mid = (uint8_t)(lba >> 8);
    d->regs.lba_high = (uint8_t)(lba >> 16);
    if (ext) {
        d->hob.lba_low = (uint8_t)(lba >> 24);
        d->hob.lba_mid = (uint8_t)(lba >> 32);
        d->hob.lba_high = (uint8_t)(lba >> 40);
    } else if (d->device & ATA_DEV_LBA) {
        d->device = (uint8_t)((d->device & 0xF0) | ((lba >> 24) & 0x0F));
    }
}

static void ata_disk_abort(struct ata_drive *d)
{
    ata_fail(d, ATA_SR_DRDY, ATA_ER_ABRT);
}

/* Sets up lba/remaining for a transfer; ends the command with IDNF if the
 * range is not on the disk. */
static bool ata_disk_setup_range(struct ata_drive *d, bool ext)
{
    struct ata_disk *k = d->disk;
    uint64_t lba;
    uint32_t count;
    if (!ata_disk_address(d, ext, &lba, &count)) {
        ata_fail(d, ATA_SR_DRDY, ATA_ER_IDNF);
        return false;
    }
    if (lba >= k->sectors || count > k->sectors - lba) {
        ata_disk_report_lba(d, lba < k->sectors ? k->sectors : lba, ext);
        ata_fail(d, ATA_SR_DRDY, ATA_ER_IDNF);
        return false;
    }
    k->lba = lba;
    k->remaining = count;
    return true;
}

/* --- reads ------------------------------------------------------------------------------- */

static void ata_disk_read_block(struct ata_drive *d);

static void ata_disk_read_drained(struct ata_drive *d)
{
    struct ata_disk *k = d->disk;
    if (k->remaining == 0) {
        ata_finish(d, DISK_OK, false);
        return;
    }
    ata_busy_then(d, d->channel->block_latency, ata_disk_read_block);
}

static void ata_disk_read_block(struct ata_drive *d)
{
    struct ata_disk *k = d->disk;
    unsigned n = k->remaining < k->block ? k->remaining : k->block;
    if (media_pread(k->media, d->buf, (size_t)n * DISK_SECTOR, k->lba * DISK_SECTOR) != 0) {
        ata_disk_report_lba(d, k->lba, ata_disk_is_ext(d->command));
        ata_fail(d, ATA_SR_DRDY, ATA_ER_UNC);
        return;
    }
    k->lba += n;
    k->remaining -= n;
    ata_pio_to_host(d, n * DISK_SECTOR, true, ata_disk_read_drained);
}

static void ata_disk_read(struct ata_drive *d, bool multiple)
{
    struct ata_disk *k = d->disk;
    if (multiple && k->multiple == 0) {
        ata_disk_abort(d);
        return;
    }
    if (!ata_disk_setup_range(d, ata_disk_is_ext(d->command)))
        return;
    k->block = multiple ? k->multiple : 1;
    ata_disk_read_block(d);
}

/* --- writes ---------------------------------------------------------------------------------- */

static void ata_disk_write_block(struct ata_drive *d);

static void ata_disk_write_drained(struct ata_drive *d)
{
    ata_busy_then(d, d->channel->block_latency, ata_disk_write_block);
}

static void ata_disk_want_block(struct ata_drive *d, bool irq)
{
    struct ata_disk *k = d->disk;
    k->in_block = k->remaining < k->block ? k->remaining : k->block;
    ata_pio_from_host(d, k->in_block * DISK_SECTOR, irq, ata_disk_write_drained);
}

static void ata_disk_write_block(struct ata_drive *d)
{
    struct ata_disk *k = d->disk;
    unsigned n = k->in_block;
    if (media_pwrite(k->media, d->buf, (size_t)n * DISK_SECTOR, k->lba * DISK_SECTOR) != 0) {
        ata_disk_report_lba(d, k->lba, ata_disk_is_ext(d->command));
        ata_fail(d, ATA_SR_DRDY | ATA_SR_DF, ATA_ER_ABRT);
        return;
    }
    k->lba += n;
    k->remaining -= n;
    if (k->remaining == 0) {
        ata_finish(d, DISK_OK, true);
        return;
    }
    ata_disk_want_block(d, true);
}

static void ata_disk_write(struct ata_drive *d, bool multiple)
{
    struct ata_disk *k = d->disk;
    /* A read-only image behaves like a device refusing the command. */
    if (!k->writable || (multiple && k->multiple == 0)) {
        ata_disk_abort(d);
        return;
    }
    if (!ata_disk_setup_range(d, ata_disk_is_ext(d->command)))
        return;
    k->block = multiple ? k->multiple : 1;
    /* The first block is requested without an interrupt (PIO data-out). */
    ata_disk_want_block(d, false);
}

/* --- other commands ------------------------------------------------------------------------- */

static void ata_disk_set_features(struct ata_drive *d)
{
    struct ata_disk *k = d->disk;
    switch (d->regs.feature) {
    case ATA_SF_WCACHE_ON: k->write_cache = true; break;
    case ATA_SF_WCACHE_OFF: k->write_cache = false; break;
    case ATA_SF_LOOKAHEAD_ON: k->look_ahead = true; break;
    case ATA_SF_LOOKAHEAD_OFF: k->look_ahead = false; break;
    case ATA_SF_REVERT_ON:
    case ATA_SF_REVERT_OFF:
        break;
    case ATA_SF_XFER_MODE: {
        /* PIO default/modes 0-4 are fine; DMA modes are not supported. */
        uint8_t mode = d->regs.count;
        if ((mode >> 3) > 1 || (mode >> 3 == 1 && (mode & 7) > 4)) {
            ata_disk_abort(d);
            return;
        }
        break;
    }
    default:
        ata_disk_abort(d);
        return;
    }
    ata_finish(d, DISK_OK, true);
}

static void ata_disk_set_multiple(struct ata_drive *d)
{
    struct ata_disk *k = d->disk;
    unsigned n = d->regs.count;
    /* Zero turns multiple mode off; otherwise a power of two up to word 47. */
    if (n > DISK_MAX_MULTIPLE || (n & (n - 1)) != 0) {
        ata_disk_abort(d);
        return;
    }
    k->multiple = n;
    ata_finish(d, DISK_OK, true);
}

static void ata_disk_init_params(struct ata_drive *d)
{
    unsigned spt = d->regs.count;
    unsigned heads = (d->device & 0x0F) + 1u;
    if (spt == 0) {
        ata_disk_abort(d);
        return;
    }
    ata_disk_set_translation(d->disk, heads, spt);
    ata_finish(d, DISK_OK, true);
}

static void ata_disk_verify(struct ata_drive *d)
{
    if (!ata_disk_setup_range(d, ata_disk_is_ext(d->command)))
        return;
    ata_finish(d, DISK_OK, true);
}

static void ata_disk_seek(struct ata_drive *d)
{
    struct ata_disk *k = d->disk;
    uint64_t lba;
    uint32_t count;
    if (!ata_disk_address(d, false, &lba, &count) || (lba >= k->sectors && k->sectors)) {
        ata_fail(d, ATA_SR_DRDY, ATA_ER_IDNF);
        return;
    }
    ata_finish(d, DISK_OK, true);
}

static void ata_disk_flush(struct ata_drive *d)
{
    if (media_flush(d->disk->media) != 0) {
        ata_fail(d, ATA_SR_DRDY | ATA_SR_DF, ATA_ER_ABRT);
        return;
    }
    ata_finish(d, DISK_OK, true);
}

void ata_disk_execute(struct ata_drive *d)
{
    uint8_t cmd = d->command;
    if ((cmd & 0xF0) == ATA_CMD_RECALIBRATE) {
        ata_finish(d, DISK_OK, true);
        return;
    }
    switch (cmd) {
    case ATA_CMD_READ_SECTORS:
    case ATA_CMD_READ_SECTORS_NR:
    case ATA_CMD_READ_SECTORS_EXT:
        ata_disk_read(d, false);
        return;
    case ATA_CMD_READ_MULTIPLE:
    case ATA_CMD_READ_MULTIPLE_EXT:
        ata_disk_read(d, true);
        return;
    case ATA_CMD_WRITE_SECTORS:
    case ATA_CMD_WRITE_SECTORS_NR:
    case ATA_CMD_WRITE_SECTORS_EXT:
        ata_disk_write(d, false);
        return;
    case ATA_CMD_WRITE_MULTIPLE:
    case ATA_CMD_WRITE_MULTIPLE_EXT:
        ata_disk_write(d, true);
        return;
    case ATA_CMD_READ_VERIFY:
    case ATA_CMD_READ_VERIFY_NR:
    case ATA_CMD_READ_VERIFY_EXT:
        ata_disk_verify(d);
        return;
    case ATA_CMD_SEEK:
        ata_disk_seek(d);
        return;
    case ATA_CMD_IDENTIFY:
        ata_disk_identify(d);
        return;
    case ATA_CMD_SET_FEATURES:
        ata_disk_set_features(d);
        return;
    case ATA_CMD_SET_MULTIPLE:
        ata_disk_set_multiple(d);
        return;
    case ATA_CMD_INIT_DEVICE_PARAMS:
        ata_disk_init_params(d);
        return;
    case ATA_CMD_FLUSH_CACHE:
    case ATA_CMD_FLUSH_CACHE_EXT:
        ata_disk_flush(d);
        return;
    case ATA_CMD_EXECUTE_DIAGNOSTIC:
        ata_set_signature(d, 0x00, 0x00);
        ata_finish(d, DISK_OK, true);
        return;
    case ATA_CMD_CHECK_POWER_MODE:
        d->regs.count = 0xFF; /* active or idle */
        ata_finish(d, DISK_OK, true);
        return;
    case ATA_CMD_STANDBY_IMMEDIATE:
    case ATA_CMD_IDLE_IMMEDIATE:
    case ATA_CMD_STANDBY:
    case ATA_CMD_IDLE:
        ata_finish(d, DISK_OK, true);
        return;
    default:
        /* Unknown commands, PACKET and IDENTIFY PACKET DEVICE included. */
        ata_disk_abort(d);
        return;
    }
}
