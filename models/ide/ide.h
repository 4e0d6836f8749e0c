/* ide.h: what the IDE channel (ata.c), the ATA disk (disk.c) and the ATAPI
 * CD-ROM (atapi.c) share: the per-device task file, the PIO data buffer,
 * and the status protocol helpers every command uses. Register and bit
 * names follow ATA/ATAPI-6 (T13 1410D) section 7. Internal to models/ide. */
#ifndef CW_IDE_H
#define CW_IDE_H

#include "kernel/event.h"
#include "kernel/iface.h"
#include "kernel/types.h"

/* Command block register offsets from the channel's base (0x1F0). */
#define ATA_REG_DATA 0
#define ATA_REG_ERROR 1      /* read; Features on write */
#define ATA_REG_COUNT 2      /* sector count; ATAPI interrupt reason */
#define ATA_REG_LBA_LOW 3    /* sector number */
#define ATA_REG_LBA_MID 4    /* cylinder low; ATAPI byte count low */
#define ATA_REG_LBA_HIGH 5   /* cylinder high; ATAPI byte count high */
#define ATA_REG_DEVICE 6     /* device/head */
#define ATA_REG_STATUS 7     /* read; Command on write */

/* Status register. */
#define ATA_SR_BSY 0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF 0x20
#define ATA_SR_DSC 0x10      /* seek complete; SERV for PACKET devices */
#define ATA_SR_DRQ 0x08
#define ATA_SR_ERR 0x01

/* Error register. */
#define ATA_ER_UNC 0x40
#define ATA_ER_IDNF 0x10
#define ATA_ER_ABRT 0x04

/* Device register. */
#define ATA_DEV_LBA 0x40
#define ATA_DEV_DEV 0x10     /* 1 selects device 1 (slave) */

/* Device control register (write at the control block, 0x3F6). */
#define ATA_DC_HOB 0x80
#define ATA_DC_SRST 0x04
#define ATA_DC_NIEN 0x02

/* ATAPI interrupt reason (sector count register). */
#define ATAPI_IR_COD 0x01
#define ATAPI_IR_IO 0x02

enum ata_drive_kind {
    ATA_KIND_NONE,   /* slot empty */
    ATA_KIND_DISK,
    ATA_KIND_CDROM,
};

struct ata_channel;
struct ata_drive;
struct ata_disk;
struct atapi_cdrom;

typedef void (*ata_step_fn)(struct ata_drive *d);

/* Registers with a 48-bit FIFO: each write pushes the previous value into
 * the "high order byte" copy read back with HOB set. */
struct ata_fifo_regs {
    uint8_t feature;
    uint8_t count;
    uint8_t lba_low;
    uint8_t lba_mid;
    uint8_t lba_high;
};

/* Largest PIO block: an ATAPI byte count limit of 0xFFFE, or 128 sectors
 * of a READ MULTIPLE. */
#define ATA_BUF_SIZE 65536

struct ata_drive {
    struct ata_channel *channel;
    unsigned unit;             /* 0 = device 0 (master), 1 = device 1 (slave) */
    enum ata_drive_kind kind;

    /* Task file. Both devices latch every write of the host; each keeps its
     * own copy so a command's outputs (signature, byte count) stay with
     * the device that produced them. */
    struct ata_fifo_regs regs;  /* current values (Features..LBA High) */
    struct ata_fifo_regs hob;   /* previous values (48-bit high order) */
    uint8_t device;             /* Device register as written */
    uint8_t status;             /* Status register */
    uint8_t error;              /* Error register */
    uint8_t command;            /* last command accepted */
    bool intrq;                 /* interrupt pending (cleared by reading Status) */

    /* PIO data: buf[pos..len) is what the host still has to move while DRQ. */
    uint8_t *buf;
    uint32_t pos, len;
    bool to_host;               /* data-in (read) or data-out (write) */
    ata_step_fn on_drained;     /* the host moved the last byte */

    /* One timer per device: command latency, next block, reset. */
    struct event timer;
    ata_step_fn on_timer;

    struct ata_disk *disk;      /* ATA_KIND_DISK */
    struct atapi_cdrom *cdrom;  /* ATA_KIND_CDROM */
};

struct ata_channel {
    struct component *c;
    struct sim *sim;
    struct ata_drive drive[2];
    unsigned selected;          /* DEV bit of the last Device register write */
    uint8_t devctl;             /* Device Control as written */
    struct signal *irq;
    sim_time_t command_latency; /* command written -> first DRQ or completion */
    sim_time_t block_latency;   /* between PIO blocks of one command */
    sim_time_t reset_latency;   /* SRST released -> BSY clear */
    struct media_iface media;
    /* Statistics. */
    uint64_t stat_commands;
    uint64_t stat_packets;
    uint64_t stat_bytes_in;     /* PIO bytes read by the host */
    uint64_t stat_bytes_out;    /* PIO bytes written by the host */
    uint64_t stat_errors;       /* commands ended with ERR */
};

/* --- ata.c: protocol helpers used by disk.c and atapi.c ------------------ */

/* Shows BSY and runs `next` after `delay`. */
void ata_busy_then(struct ata_drive *d, sim_time_t delay, ata_step_fn next);

/* Starts a PIO block of `len` bytes in d->buf towards the host (DRQ). With
 * `irq` the device asserts INTRQ for it (every data-in block does). */
void ata_pio_to_host(struct ata_drive *d, uint32_t len, bool irq, ata_step_fn drained);

/* Starts a PIO block of `len` bytes from the host into d->buf (DRQ). */
void ata_pio_from_host(struct ata_drive *d, uint32_t len, bool irq, ata_step_fn drained);

/* Ends the command successfully: BSY and DRQ clear, status `status`. */
void ata_finish(struct ata_drive *d, uint8_t status, bool irq);

/* Ends the command with ERR set and the Error register `error`. */
void ata_fail(struct ata_drive *d, uint8_t status, uint8_t error);

/* Asserts INTRQ for this device (the channel line follows the selected
 * device and nIEN). */
void ata_raise_irq(struct ata_drive *d);

/* Writes the reset signature (ATA/ATAPI-6 9.12) into the task file. */
void ata_set_signature(struct ata_drive *d, uint8_t lba_mid, uint8_t lba_high);

/* Copies `text` into IDENTIFY words as ATA strings: space padded, two
 * characters per word with the first in the high byte. */
void ata_put_string(uint16_t *words, unsigned nwords, const char *text);

/* IDENTIFY word 93: hardware reset result, which also tells the BIOS
 * whether device 1 exists. */
uint16_t ata_reset_result(const struct ata_drive *d);

/* Stores 256 IDENTIFY words little-endian into d->buf, with the integrity
 * word 255 (signature A5h and checksum). */
void ata_identify_to_buf(struct ata_drive *d, uint16_t *words);

/* --- disk.c ----------------------------------------------------------------- */

int ata_disk_create(struct ata_drive *d, const char *path, bool writable,
                    struct cw_error *err);
void ata_disk_destroy(struct ata_drive *d);
/* Power-on and SRST: signature and DRDY. */
void ata_disk_reset(struct ata_drive *d, bool power_on);
/* Executes the command in d->command (after the command latency). */
void ata_disk_execute(struct ata_drive *d);

/* --- atapi.c ---------------------------------------------------------------- */

/* path may be NULL: a drive with no disc. */
int atapi_create(struct ata_drive *d, const char *path, struct cw_error *err);
void atapi_destroy(struct ata_drive *d);
void atapi_reset(struct ata_drive *d, bool power_on);
void atapi_execute(struct ata_drive *d);
/* Inserts a disc (path) or ejects it (NULL). */
int atapi_insert(struct ata_drive *d, const char *path, struct cw_error *err);

#endif
