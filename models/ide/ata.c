/* ata.c: one IDE (ATA) channel with two device slots: the task file at
 * base..base+7, Device Control / Alternate Status at ctl, and INTRQ.
 * Follows ATA/ATAPI-6 (T13 1410D): sections 5 (registers), 9 (protocols). */
#include <stdlib.h>
#include <string.h>

#include "host/media.h"
#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/ide/ide.h"

#define ATA_CMD_DEVICE_RESET 0x08

/* --- interrupt line ---------------------------------------------------------- */

/* INTRQ is driven by the selected device only, and released while nIEN is set. */
static void ata_update_irq(struct ata_channel *ch)
{
    const struct ata_drive *d = &ch->drive[ch->selected];
    int level = d->kind != ATA_KIND_NONE && d->intrq && !(ch->devctl & ATA_DC_NIEN);
    signal_set(ch->irq, level);
}

void ata_raise_irq(struct ata_drive *d)
{
    d->intrq = true;
    ata_update_irq(d->channel);
}

/* --- protocol helpers shared with disk.c and atapi.c --------------------------- */

static void ata_stop_transfer(struct ata_drive *d)
{
    d->pos = d->len = 0;
    d->on_drained = NULL;
}

void ata_busy_then(struct ata_drive *d, sim_time_t delay, ata_step_fn next)
{
    ata_stop_transfer(d);
    d->status = ATA_SR_BSY | (d->status & ATA_SR_DRDY);
    d->on_timer = next;
    event_schedule_in(d->channel->sim, &d->timer, delay, EVENT_PRIO_DEFAULT);
}

static void ata_start_pio(struct ata_drive *d, uint32_t len, bool to_host, bool irq,
                          ata_step_fn drained)
{
    if (len > ATA_BUF_SIZE)
        len = ATA_BUF_SIZE;
    d->pos = 0;
    d->len = len;
    d->to_host = to_host;
    d->on_drained = drained;
    /* Bit 4 is DSC for disks; PACKET devices without overlap keep SERV clear. */
    d->status = ATA_SR_DRDY | ATA_SR_DRQ | (d->kind == ATA_KIND_DISK ? ATA_SR_DSC : 0);
    if (len == 0) {
        /* Nothing to move: the block is over before it starts. */
        d->status &= (uint8_t)~ATA_SR_DRQ;
        d->on_drained = NULL;
        if (drained)
            drained(d);
        return;
    }
    if (irq)
        ata_raise_irq(d);
}

void ata_pio_to_host(struct ata_drive *d, uint32_t len, bool irq, ata_step_fn drained)
{
    ata_start_pio(d, len, true, irq, drained);
}

void ata_pio_from_host(struct ata_drive *d, uint32_t len, bool irq, ata_step_fn drained)
{
    ata_start_pio(d, len, false, irq, drained);
}

void ata_finish(struct ata_drive *d, uint8_t status, bool irq)
{
    ata_stop_transfer(d);
    d->status = status;
    if (irq)
        ata_raise_irq(d);
}

void ata_fail(struct ata_drive *d, uint8_t status, uint8_t error)
{
    ata_stop_transfer(d);
    d->error = error;
    d->status = status | ATA_SR_ERR;
    d->channel->stat_errors++;
    ata_raise_irq(d);
}

void ata_set_signature(struct ata_drive *d, uint8_t lba_mid, uint8_t lba_high)
{
    d->regs.count = 1;
    d->regs.lba_low = 1;
    d->regs.lba_mid = lba_mid;
    d->regs.lba_high = lba_high;
    d->hob = d->regs;
    /* Diagnostic code 01h: device 0 passed, device 1 passed or absent. */
    d->error = 0x01;
}

void ata_put_string(uint16_t *words, unsigned nwords, const char *text)
{
    size_t n = strlen(text);
    for (unsigned i = 0; i < nwords; i++) {
        uint8_t hi = 2 * i < n ? (uint8_t)text[2 * i] : ' ';
        uint8_t lo = 2 * i + 1 < n ? (uint8_t)text[2 * i + 1] : ' ';
        words[i] = (uint16_t)(hi << 8 | lo);
    }
}

uint16_t ata_reset_result(const struct ata_drive *d)
{
    const struct ata_channel *ch = d->channel;
    bool other_present = ch->drive[1 - d->unit].kind != ATA_KIND_NONE;
    /* Bit 14 set, bit 13: 80-conductor cable detected. */
    uint16_t w = 0x4000 | 0x2000;
    if (d->unit == 0) {
        /* Bit 0 set; bits 2:1 = 01 jumper; bit 3 diagnostics passed. */
        w |= 0x0001 | 0x0002 | 0x0008;
        if (other_present)
            w |= 0x0010 | 0x0020; /* saw PDIAG- and DASP- from device 1 */
        else
            w |= 0x0040;          /* device 0 responds for device 1 */
    } else {
        /* Bit 8 set; bits 10:9 = 01 jumper; bit 11 asserted PDIAG-. */
        w |= 0x0100 | 0x0200 | 0x0800;
    }
    return w;
}

void ata_identify_to_buf(struct ata_drive *d, uint16_t *words)
{
    /* Word 255: signature A5h, then a checksum making all 512 bytes sum to 0. */
    words[255] = 0x00A5;
    uint8_t sum = 0;
    for (int i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (words[i] & 0xFF) + (words[i] >> 8));
    sum = (uint8_t)(sum + 0xA5);
    words[255] |= (uint16_t)((uint8_t)-sum << 8);
    for (int i = 0; i < 256; i++) {
        d->buf[2 * i] = (uint8_t)words[i];
        d->buf[2 * i + 1] = (uint8_t)(words[i] >> 8);
    }
}

/* --- reset --------------------------------------------------------------------- */

/* A slot with no device keeps registers that read like an absent device's
 * after reset: the host's writes, and FFh in the signature registers. */
static void ata_empty_reset(struct ata_drive *d)
{
    ata_set_signature(d, 0xFF, 0xFF);
    d->error = 0;
    d->status = 0;
}

static void ata_drive_reset(struct ata_drive *d, bool power_on)
{
    event_cancel(d->channel->sim, &d->timer);
    d->on_timer = NULL;
    ata_stop_transfer(d);
    d->intrq = false;
    d->device = 0;
    switch (d->kind) {
    case ATA_KIND_DISK: ata_disk_reset(d, power_on); break;
    case ATA_KIND_CDROM: atapi_reset(d, power_on); break;
    case ATA_KIND_NONE: ata_empty_reset(d); break;
    }
}

static void ata_srst_done(struct ata_drive *d)
{
    uint8_t device = d->device;
    ata_drive_reset(d, false);
    /* The Device register was set when SRST was released; the host may have
     * selected a device since. */
    d->device = device;
}

static void ata_srst_assert(struct ata_channel *ch)
{
    for (int i = 0; i < 2; i++) {
        struct ata_drive *d = &ch->drive[i];
        event_cancel(ch->sim, &d->timer);
        d->on_timer = NULL;
        ata_stop_transfer(d);
        d->intrq = false;
        d->status = d->kind == ATA_KIND_NONE ? 0 : ATA_SR_BSY;
    }
}

static void ata_srst_release(struct ata_channel *ch)
{
    ch->selected = 0;
    for (int i = 0; i < 2; i++) {
        struct ata_drive *d = &ch->drive[i];
        d->device = 0;
        if (d->kind == ATA_KIND_NONE) {
            ata_srst_done(d);
            continue;
        }
        d->on_timer = ata_srst_done;
        event_schedule_in(ch->sim, &d->timer, ch->reset_latency, EVENT_PRIO_DEFAULT);
    }
}

static void ata_timer_fired(struct event *ev, void *opaque)
{
    struct ata_drive *d = opaque;
    ata_step_fn fn = d->on_timer;
    d->on_timer = NULL;
    if (fn)
        fn(d);
}

/* --- data port ------------------------------------------------------------------- */

/* Moves up to `n` bytes of the current block to the host. Bytes beyond the
 * block (or with no DRQ) read as ones: nothing drives the bus. */
static uint64_t ata_data_in(struct ata_drive *d, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b = 0xFF;
        if ((d->status & ATA_SR_DRQ) && d->to_host && d->pos < d->len)
            b = d->buf[d->pos++];
        v |= (uint64_t)b << (8 * i);
    }
    if ((d->status & ATA_SR_DRQ) && d->to_host && d->pos >= d->len) {
        d->channel->stat_bytes_in += d->len;
        ata_step_fn fn = d->on_drained;
        d->status &= (uint8_t)~ATA_SR_DRQ;
        ata_stop_transfer(d);
        if (fn)
            fn(d);
    }
    return v;
}

static void ata_data_out(struct ata_drive *d, unsigned n, uint64_t v)
{
    if (!(d->status & ATA_SR_DRQ) || d->to_host)
        return;
    for (unsigned i = 0; i < n && d->pos < d->len; i++)
        d->buf[d->pos++] = (uint8_t)(v >> (8 * i));
    if (d->pos >= d->len) {
        d->channel->stat_bytes_out += d->len;
        ata_step_fn fn = d->on_drained;
        d->status &= (uint8_t)~ATA_SR_DRQ;
        ata_stop_transfer(d);
        if (fn)
            fn(d);
    }
}

/* The data port is 16 bits wide (32 with PIO32 host cycles). An 8-bit cycle
 * still moves a whole word on the device side; the host sees the low byte. */
static unsigned ata_data_width(unsigned size)
{
    return size < 2 ? 2 : size;
}

/* --- task file -------------------------------------------------------------------- */

static bool ata_channel_empty(const struct ata_channel *ch)
{
    return ch->drive[0].kind == ATA_KIND_NONE && ch->drive[1].kind == ATA_KIND_NONE;
}

static uint8_t ata_read_reg(struct ata_channel *ch, unsigned reg)
{
    struct ata_drive *d = &ch->drive[ch->selected];
    /* No device on the cable: the bus floats high. */
    if (ata_channel_empty(ch))
        return 0xFF;
    bool hob = ch->devctl & ATA_DC_HOB;
    const struct ata_fifo_regs *r = hob ? &d->hob : &d->regs;
    bool absent = d->kind == ATA_KIND_NONE;
    switch (reg) {
    case ATA_REG_ERROR: return absent ? 0 : d->error;
    case ATA_REG_COUNT: return r->count;
    case ATA_REG_LBA_LOW: return r->lba_low;
    case ATA_REG_LBA_MID: return r->lba_mid;
    case ATA_REG_LBA_HIGH: return r->lba_high;
    case ATA_REG_DEVICE: return d->device;
    case ATA_REG_STATUS:
        /* Device 0 answers 00h for an absent device 1. */
        if (absent)
            return 0;
        /* Reading Status acknowledges the interrupt. */
        if (d->intrq) {
            d->intrq = false;
            ata_update_irq(ch);
        }
        return d->status;
    }
    return 0xFF;
}

static void ata_latch(uint8_t *cur, uint8_t *prev, uint8_t v)
{
    *prev = *cur;
    *cur = v;
}

static void ata_command(struct ata_channel *ch, uint8_t cmd)
{
    struct ata_drive *d = &ch->drive[ch->selected];
    if (d->kind == ATA_KIND_NONE)
        return;
    /* A busy device ignores commands; DEVICE RESET is the way out for a
     * PACKET device that hangs. */
    bool reset = cmd == ATA_CMD_DEVICE_RESET && d->kind == ATA_KIND_CDROM;
    if ((d->status & ATA_SR_BSY) && !reset)
        return;
    ch->stat_commands++;
    d->command = cmd;
    d->intrq = false;
    ata_update_irq(ch);
    event_cancel(ch->sim, &d->timer);
    ata_busy_then(d, ch->command_latency,
                  d->kind == ATA_KIND_DISK ? ata_disk_execute : atapi_execute);
}

static void ata_write_reg(struct ata_channel *ch, unsigned reg, uint8_t v)
{
    if (reg == ATA_REG_STATUS) {
        ata_command(ch, v);
        return;
    }
    /* Both devices latch every write; any write clears HOB. */
    ch->devctl &= (uint8_t)~ATA_DC_HOB;
    for (int i = 0; i < 2; i++) {
        struct ata_drive *d = &ch->drive[i];
        switch (reg) {
        case ATA_REG_ERROR: ata_latch(&d->regs.feature, &d->hob.feature, v); break;
        case ATA_REG_COUNT: ata_latch(&d->regs.count, &d->hob.count, v); break;
        case ATA_REG_LBA_LOW: ata_latch(&d->regs.lba_low, &d->hob.lba_low, v); break;
        case ATA_REG_LBA_MID: ata_latch(&d->regs.lba_mid, &d->hob.lba_mid, v); break;
        case ATA_REG_LBA_HIGH: ata_latch(&d->regs.lba_high, &d->hob.lba_high, v); break;
        case ATA_REG_DEVICE: d->device = v; break;
        }
    }
    if (reg == ATA_REG_DEVICE) {
        ch->selected = (v & ATA_DEV_DEV) ? 1 : 0;
        ata_update_irq(ch);
    }
}

static uint64_t ata_cmd_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ata_channel *ch = opaque;
    if (offset == ATA_REG_DATA) {
        struct ata_drive *d = &ch->drive[ch->selected];
        if (d->kind == ATA_KIND_NONE)
            return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
        uint64_t v = ata_data_in(d, ata_data_width(size));
        return size == 1 ? (v & 0xFF) : v;
    }
    /* Wider cycles on 8-bit registers read consecutive registers. */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t reg = offset + i;
        uint8_t b = reg <= ATA_REG_STATUS ? ata_read_reg(ch, (unsigned)reg) : 0xFF;
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void ata_cmd_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct ata_channel *ch = opaque;
    if (offset == ATA_REG_DATA) {
        struct ata_drive *d = &ch->drive[ch->selected];
        if (d->kind != ATA_KIND_NONE)
            ata_data_out(d, ata_data_width(size), size == 1 ? (value & 0xFF) : value);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t reg = offset + i;
        if (reg <= ATA_REG_STATUS)
            ata_write_reg(ch, (unsigned)reg, (uint8_t)(value >> (8 * i)));
    }
}

/* REP INSW/INSD from the data port: the words of the current block up to,
 * not including, the one that drains it (that read ends the transfer and
 * starts the next step, so it goes through ata_cmd_read at its own time). */
static size_t ata_cmd_read_rep(void *opaque, uint64_t offset, unsigned size, void *buf, size_t count)
{
    struct ata_channel *ch = opaque;
    struct ata_drive *d = &ch->drive[ch->selected];
    if (offset != ATA_REG_DATA || (size != 2 && size != 4) || d->kind == ATA_KIND_NONE ||
        !(d->status & ATA_SR_DRQ) || !d->to_host || d->pos >= d->len)
        return 0;
    size_t left = (d->len - d->pos) / size;
    if (left * size == d->len - d->pos)
        left--; /* the draining read */
    size_t n = count < left ? count : left;
    memcpy(buf, d->buf + d->pos, n * size);
    d->pos += (unsigned)(n * size);
    return n;
}

static const struct mmio_ops ata_cmd_ops = {
    .read = ata_cmd_read,
    .write = ata_cmd_write,
    .max_access = 4,
    .read_rep = ata_cmd_read_rep,
};

/* --- control block ------------------------------------------------------------------ */

static uint64_t ata_ctl_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ata_channel *ch = opaque;
    if (ata_channel_empty(ch))
        return 0xFF;
    /* Alternate Status: the same bits, without acknowledging the interrupt. */
    const struct ata_drive *d = &ch->drive[ch->selected];
    return d->kind == ATA_KIND_NONE ? 0 : d->status;
}

static void ata_ctl_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct ata_channel *ch = opaque;
    uint8_t old = ch->devctl;
    uint8_t v = (uint8_t)value;
    ch->devctl = v;
    if (!(old & ATA_DC_SRST) && (v & ATA_DC_SRST))
        ata_srst_assert(ch);
    else if ((old & ATA_DC_SRST) && !(v & ATA_DC_SRST))
        ata_srst_release(ch);
    ata_update_irq(ch);
}

static const struct mmio_ops ata_ctl_ops = {
    .read = ata_ctl_read,
    .write = ata_ctl_write,
    .max_access = 1,
};

/* --- media interface ------------------------------------------------------------------ */

static int ata_media_insert(void *opaque, const char *path, struct cw_error *err)
{
    struct ata_channel *ch = opaque;
    for (int i = 0; i < 2; i++)
        if (ch->drive[i].kind == ATA_KIND_CDROM)
            return atapi_insert(&ch->drive[i], path, err);
    return cw_errorf(err, "%s: this IDE channel has no CD-ROM drive to put '%s' in",
                     ch->c->name, path ? path : "(eject)");
}

/* --- component ---------------------------------------------------------------------- */

static int ata_parse_kind(const struct params *p, const char *name, int *out,
                          struct cw_error *err)
{
    const char *s = params_string(p, name);
    if (!s || strcmp(s, "auto") == 0)
        *out = -1;
    else if (strcmp(s, "none") == 0)
        *out = ATA_KIND_NONE;
    else if (strcmp(s, "disk") == 0)
        *out = ATA_KIND_DISK;
    else if (strcmp(s, "cdrom") == 0)
        *out = ATA_KIND_CDROM;
    else
        return params_error(p, name, err, "'%s' is not a device kind; expected auto, none, "
                            "disk or cdrom", s);
    return 0;
}

/* Places the devices: explicit `master`/`slave` kinds win; with "auto" a
 * `disk` image goes to the first free slot, then a `cdrom` image. */
static int ata_place_drives(const struct params *p, int kind[2], struct cw_error *err)
{
    if (ata_parse_kind(p, "master", &kind[0], err) || ata_parse_kind(p, "slave", &kind[1], err))
        return -1;
    bool want_disk = params_has(p, "disk");
    bool want_cd = params_has(p, "cdrom");
    for (int i = 0; i < 2; i++) {
        if (kind[i] == ATA_KIND_DISK)
            want_disk = false;
        if (kind[i] == ATA_KIND_CDROM)
            want_cd = false;
    }
    for (int i = 0; i < 2; i++) {
        if (kind[i] != -1)
            continue;
        if (want_disk) {
            kind[i] = ATA_KIND_DISK;
            want_disk = false;
        } else if (want_cd) {
            kind[i] = ATA_KIND_CDROM;
            want_cd = false;
        } else {
            kind[i] = ATA_KIND_NONE;
        }
    }
    if (want_disk)
        return params_error(p, "disk", err, "no free device slot for the disk "
                            "(master and slave are both set)");
    if (want_cd)
        return params_error(p, "cdrom", err, "no free device slot for the CD-ROM "
                            "(master and slave are both set)");
    if (kind[0] == ATA_KIND_DISK && kind[1] == ATA_KIND_DISK)
        return params_error(p, "slave", err, "only one disk image per channel ('disk')");
    if (kind[0] == ATA_KIND_DISK || kind[1] == ATA_KIND_DISK) {
        if (!params_has(p, "disk"))
            return params_error(p, "disk", err, "a disk device needs an image: set 'disk'");
    }
    return 0;
}

static int ata_create_drive(struct ata_channel *ch, unsigned unit, int kind,
                            const struct params *p, struct cw_error *err)
{
    struct ata_drive *d = &ch->drive[unit];
    d->channel = ch;
    d->unit = unit;
    d->kind = (enum ata_drive_kind)kind;
    event_init(ch->sim, &d->timer, unit ? "ide-dev1" : "ide-dev0", ata_timer_fired, d);
    if (kind == ATA_KIND_NONE)
        return 0;
    d->buf = calloc(1, ATA_BUF_SIZE);
    if (!d->buf)
        return cw_errorf(err, "%s: out of memory", ch->c->name);
    struct cw_error e = {{0}};
    int rc;
    if (kind == ATA_KIND_DISK) {
        bool writable = false;
        params_bool(p, "writable", &writable);
        rc = ata_disk_create(d, params_path(p, "disk"), writable, &e);
        if (rc)
            return params_error(p, "disk", err, "%s", e.msg);
    } else {
        rc = atapi_create(d, params_has(p, "cdrom") ? params_path(p, "cdrom") : NULL, &e);
        if (rc)
            return params_error(p, "cdrom", err, "%s", e.msg);
    }
    return 0;
}

static int ata_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct ata_channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = ch;
    ch->c = c;
    ch->sim = c->sim;
    params_time(p, "command-latency", &ch->command_latency);
    params_time(p, "block-latency", &ch->block_latency);
    params_time(p, "reset-latency", &ch->reset_latency);

    int kind[2];
    if (ata_place_drives(p, kind, err))
        return -1;
    for (unsigned i = 0; i < 2; i++)
        if (ata_create_drive(ch, i, kind[i], p, err))
            return -1;

    struct addr_space *io = params_space(p, "io-space");
    uint64_t base = 0x1F0, ctl = 0x3F6;
    params_u64(p, "base", &base);
    params_u64(p, "ctl", &ctl);
    if (!as_add_mmio(io, c, "ide-cmd", base, 8, &ata_cmd_ops, ch, err))
        return -1;
    if (!as_add_mmio(io, c, "ide-ctl", ctl, 1, &ata_ctl_ops, ch, err))
        return -1;

    ch->irq = signal_create(c->sim, c, "irq");
    ch->media.insert = ata_media_insert;
    ch->media.opaque = ch;
    component_export(c, "media", &ch->media);

    stat_register(c, "commands", "ATA commands accepted", &ch->stat_commands);
    stat_register(c, "packets", "ATAPI packet commands executed", &ch->stat_packets);
    stat_register(c, "pio-bytes-in", "PIO data bytes read by the host", &ch->stat_bytes_in);
    stat_register(c, "pio-bytes-out", "PIO data bytes written by the host",
                  &ch->stat_bytes_out);
    stat_register(c, "errors", "commands that ended with ERR", &ch->stat_errors);
    return 0;
}

static void ata_reset(struct component *c)
{
    struct ata_channel *ch = c->state;
    ch->devctl = 0;
    ch->selected = 0;
    for (int i = 0; i < 2; i++)
        ata_drive_reset(&ch->drive[i], true);
    ata_update_irq(ch);
}

static void ata_destroy(struct component *c)
{
    struct ata_channel *ch = c->state;
    if (!ch)
        return;
    for (int i = 0; i < 2; i++) {
        struct ata_drive *d = &ch->drive[i];
        if (d->kind == ATA_KIND_DISK)
            ata_disk_destroy(d);
        else if (d->kind == ATA_KIND_CDROM)
            atapi_destroy(d);
        free(d->buf);
    }
    free(ch);
    c->state = NULL;
}

static const struct param_desc ata_params[] = {
    {"io-space", PARAM_SPACE, "io", "I/O port space of the task file"},
    {"base", PARAM_U64, "0x1f0", "command block base port (0x170 for the second channel)"},
    {"ctl", PARAM_U64, "0x3f6", "device control / alternate status port (0x376)"},
    {"master", PARAM_STRING, "auto", "device 0: auto, none, disk or cdrom"},
    {"slave", PARAM_STRING, "auto", "device 1: auto, none, disk or cdrom"},
    {"disk", PARAM_PATH, NULL, "raw hard disk image", true},
    {"cdrom", PARAM_PATH, NULL, "ISO image in the CD-ROM drive", true},
    {"writable", PARAM_BOOL, "false", "let the guest write the disk image"},
    {"command-latency", PARAM_TIME, "2us", "BSY time from a command to its data or completion"},
    {"block-latency", PARAM_TIME, "1us", "BSY time between PIO blocks of a command"},
    {"reset-latency", PARAM_TIME, "20us", "BSY time after a soft reset (SRST)"},
    PARAM_END,
};

const struct component_type ide_channel_type = {
    .name = "ide-channel",
    .description = "IDE/ATA channel with two devices: ATA disk images, ATAPI CD-ROM (ISO)",
    .params = ata_params,
    .create = ata_create,
    .reset = ata_reset,
    .destroy = ata_destroy,
};
