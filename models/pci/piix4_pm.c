/* piix4_pm.c: Intel 82371AB PIIX4 power-management function (function 3,
 * 8086:7113): ACPI PM registers, PM timer, SCI, SMBus host; APM port 0xB2.
 * Intel 82371AB PCI-to-ISA/IDE Xcelerator (PIIX4) datasheet, sections 3.5
 * (function 3 configuration), 7.2 (PM I/O), 7.3 (SMBus I/O); ACPI 1.0b ch. 4.
 *
 * The firmware finds this function and builds ACPI tables for it (SeaBIOS
 * fw/acpi.c without fw_cfg's table loader: FADT pointing at PMBA, the PM
 * timer at PMBA+8, SCI on IRQ 9, GPE0 at 0xAFE0). Configuration:
 *   0x40 PMBA (bits 15:6, bit 0 reads 1), enabled by PMREGMISC 0x80 bit 0;
 *   0x90 SMBBA (bits 15:4, bit 0 reads 1), enabled by SMBHSTCFG 0xD2 bit 0
 *        together with the command register's I/O bit.
 * PM I/O (64 bytes at PMBA): 00 PMSTS (write 1 to clear), 02 PMEN,
 * 04 PMCNTRL (SCI_EN, SUS_TYP, SUS_EN), 08 PMTMR (24 bits at 3.579545 MHz,
 * read only), 0C GPSTS/0E GPEN, the rest plain registers.
 * SCI (output signal "sci", level high) = SCI_EN and an enabled status bit
 * (PMSTS/PMEN, or GPE0 status/enable). The machine wires it to IRQ 9.
 * The PM timer is computed from guest time; an event is scheduled only
 * while the overflow interrupt is enabled and its status is clear.
 * As on QEMU's PC (which has no SMM here), writing 0xF1/0xF0 to the APM
 * control port sets/clears SCI_EN, standing in for the SMI handler that
 * switches a real board into ACPI mode; the FADT names those values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "models/pci/pci.h"

#define PIIX4_PM_PMBA 0x40          /* PM base address, 64-byte I/O */
#define PIIX4_PM_PMREGMISC 0x80     /* bit 0: PM I/O space enable */
#define PIIX4_PM_SMBBA 0x90         /* SMBus base address, 16-byte I/O */
#define PIIX4_PM_SMBHSTCFG 0xD2     /* bit 0: SMBus host enable */
#define PIIX4_PM_IO_SIZE 64
#define PIIX4_SMB_IO_SIZE 16

/* PM I/O register offsets. */
#define PM_STS 0x00
#define PM_EN 0x02
#define PM_CNT 0x04
#define PM_TMR 0x08
#define PM_GPSTS 0x0C

/* PMSTS / PMEN bits. */
#define PM_TMROF 0x0001
#define PM_BM 0x0010
#define PM_GBL 0x0020
#define PM_PWRBTN 0x0100
#define PM_RTC 0x0400
#define PM_WAK 0x8000
#define PM_STS_W1C (PM_TMROF | PM_BM | PM_GBL | PM_PWRBTN | PM_RTC | 0x0800 | PM_WAK)
#define PM_EN_MASK (PM_TMROF | PM_GBL | PM_PWRBTN | PM_RTC)

/* PMCNTRL bits. */
#define PM_CNT_SCI_EN 0x0001
#define PM_CNT_STORED 0x1C03        /* SCI_EN, BRLD_EN_BM, SUS_TYP */
#define PM_CNT_GBL_RLS 0x0004
#define PM_CNT_SUS_EN 0x2000
#define PM_CNT_SUS_TYP_SHIFT 10
#define PM_SUS_TYP_SOFT_OFF 0       /* datasheet: 000 soft off / suspend to disk */

#define PM_TIMER_HZ 3579545ull
#define PM_TIMER_BITS 24

/* SMBus host registers. */
#define SMB_HST_STS 0x00
#define SMB_HST_CNT 0x02
#define SMB_STS_BUSY 0x01
#define SMB_STS_W1C 0x1E            /* INTR, DEV_ERR, BUS_ERR, FAILED */
#define SMB_STS_DEV_ERR 0x04
#define SMB_CNT_START 0x40

#define APM_ACPI_ENABLE 0xF1
#define APM_ACPI_DISABLE 0xF0

struct piix4_pm {
    struct component *comp;
    uint8_t devfn;
    struct pci_device dev;
    struct region *pm_region, *smb_region, *gpe_region, *apm_region;
    struct signal *sci;
    struct event overflow_event;

    uint16_t pm_sts, pm_en, pm_cnt;
    uint8_t pm_regs[PIIX4_PM_IO_SIZE];  /* registers without behaviour */
    uint16_t gpe_sts, gpe_en;            /* GPE0 block (firmware's 0xAFE0) */
    uint8_t smb[PIIX4_SMB_IO_SIZE];
    uint8_t apmc, apms;

    sim_time_t timer_epoch;             /* guest time at which PMTMR was 0 */
    uint64_t timer_seen;                /* ticks when TMROF was last folded */
    bool com1, com2, lpt;

    uint64_t stat_timer_reads, stat_sci_changes;
};

/* --- PM timer ---------------------------------------------------------------- */

/* Ticks of the 3.579545 MHz clock in `t` picoseconds, without overflowing
 * 64 bits for long runs: whole seconds and the remainder separately. */
static uint64_t piix4_pm_ticks_in(sim_time_t t)
{
    const uint64_t ps_per_s = 1000000000000ull;
    return (t / ps_per_s) * PM_TIMER_HZ + (t % ps_per_s) * PM_TIMER_HZ / ps_per_s;
}

/* Guest time offset at which the tick count first reaches `ticks`. */
static sim_time_t piix4_pm_time_of(uint64_t ticks)
{
    const uint64_t ps_per_s = 1000000000000ull;
    uint64_t whole = ticks / PM_TIMER_HZ, rest = ticks % PM_TIMER_HZ;
    return whole * ps_per_s + (rest * ps_per_s + PM_TIMER_HZ - 1) / PM_TIMER_HZ;
}

static uint64_t piix4_pm_ticks(const struct piix4_pm *s)
{
    sim_time_t now = sim_now(s->comp->sim);
    return piix4_pm_ticks_in(now >= s->timer_epoch ? now - s->timer_epoch : 0);
}

/* TMROF_STS is set whenever bit 23 of the counter toggles. */
static void piix4_pm_fold_timer(struct piix4_pm *s)
{
    uint64_t ticks = piix4_pm_ticks(s);
    if ((ticks >> (PM_TIMER_BITS - 1)) != (s->timer_seen >> (PM_TIMER_BITS - 1)))
        s->pm_sts |= PM_TMROF;
    s->timer_seen = ticks;
}

/* --- SCI ---------------------------------------------------------------------- */

static bool piix4_pm_sci_level(const struct piix4_pm *s)
{
    if (!(s->pm_cnt & PM_CNT_SCI_EN))
        return false;
    return (s->pm_sts & s->pm_en & PM_EN_MASK) || (s->gpe_sts & s->gpe_en);
}

/* Recomputes the timer status, the SCI line and the overflow event. */
static void piix4_pm_update(struct piix4_pm *s)
{
    piix4_pm_fold_timer(s);
    int level = piix4_pm_sci_level(s) ? 1 : 0;
    if (signal_level(s->sci) != level) {
        s->stat_sci_changes++;
        signal_set(s->sci, level);
    }
    struct sim *sim = s->comp->sim;
    event_cancel(sim, &s->overflow_event);
    if (!(s->pm_en & PM_TMROF) || (s->pm_sts & PM_TMROF))
        return;
    uint64_t half = 1ull << (PM_TIMER_BITS - 1);
    uint64_t next = (s->timer_seen / half + 1) * half;
    event_schedule(sim, &s->overflow_event, s->timer_epoch + piix4_pm_time_of(next), 0);
}

static void piix4_pm_overflow(struct event *ev, void *opaque)
{
    (void)ev;
    piix4_pm_update(opaque);
}

/* --- PM I/O space --------------------------------------------------------------- */

static uint8_t piix4_pm_read_byte(struct piix4_pm *s, unsigned off)
{
    unsigned shift = 8 * (off & 1);
    switch (off & ~1u) {
    case PM_STS:
        return (uint8_t)(s->pm_sts >> shift);
    case PM_EN:
        return (uint8_t)(s->pm_en >> shift);
    case PM_CNT:
        return (uint8_t)((s->pm_cnt & PM_CNT_STORED) >> shift);
    case PM_TMR:
    case PM_TMR + 2: {
        uint32_t v = (uint32_t)(piix4_pm_ticks(s) & ((1u << PM_TIMER_BITS) - 1));
        return (uint8_t)(v >> (8 * (off - PM_TMR)));
    }
    default:
        return s->pm_regs[off];
    }
}

static void piix4_pm_sleep(struct piix4_pm *s, unsigned sus_typ)
{
    if (sus_typ == PM_SUS_TYP_SOFT_OFF) {
        sim_log(s->comp->sim, s->comp->name, "ACPI soft off (SUS_TYP 0): powering off");
        sim_request_stop(s->comp->sim, SIM_STOP_POWEROFF);
        return;
    }
    /* Suspend states need a wake path this machine lacks: stay running. */
    sim_log(s->comp->sim, s->comp->name, "sleep type %u not supported; ignored", sus_typ);
}

static void piix4_pm_write_cnt(struct piix4_pm *s, uint16_t v)
{
    s->pm_cnt = (uint16_t)(v & PM_CNT_STORED);
    if (v & PM_CNT_GBL_RLS)
        s->pm_regs[0x18] |= 0x01; /* GLBSTS.BIOS_STS: the (absent) SMI handler's */
    if (v & PM_CNT_SUS_EN)
        piix4_pm_sleep(s, (v >> PM_CNT_SUS_TYP_SHIFT) & 7);
}

static void piix4_pm_write_byte(struct piix4_pm *s, unsigned off, uint8_t b)
{
    unsigned shift = 8 * (off & 1);
    uint16_t lane = (uint16_t)(b << shift);
    switch (off & ~1u) {
    case PM_STS:
        s->pm_sts &= (uint16_t)~(lane & PM_STS_W1C);
        break;
    case PM_EN:
        s->pm_en = (uint16_t)((s->pm_en & ~(0xFF << shift)) | (lane & PM_EN_MASK));
        break;
    case PM_CNT:
        piix4_pm_write_cnt(s, (uint16_t)((s->pm_cnt & ~(0xFF << shift)) | lane));
        break;
    case PM_TMR:
    case PM_TMR + 2:
        break; /* read only */
    case PM_GPSTS:
    case 0x18: /* GLBSTS */
        s->pm_regs[off] &= (uint8_t)~b;
        break;
    default:
        s->pm_regs[off] = b;
        break;
    }
}

static uint64_t piix4_pm_io_read(void *opaque, uint64_t offset, unsigned size)
{
    struct piix4_pm *s = opaque;
    if (offset == PM_TMR)
        s->stat_timer_reads++;
    piix4_pm_update(s); /* fold a pending overflow into PMSTS first */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)piix4_pm_read_byte(s, ((unsigned)offset + i) % PIIX4_PM_IO_SIZE) << (8 * i);
    return v;
}

static void piix4_pm_io_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct piix4_pm *s = opaque;
    piix4_pm_fold_timer(s);
    for (unsigned i = 0; i < size; i++)
        piix4_pm_write_byte(s, ((unsigned)offset + i) % PIIX4_PM_IO_SIZE,
                            (uint8_t)(value >> (8 * i)));
    piix4_pm_update(s);
}

static const struct mmio_ops piix4_pm_io_ops = {
    .read = piix4_pm_io_read,
    .write = piix4_pm_io_write,
    .max_access = 4,
};

/* --- GPE0 block: status (write 1 to clear) then enable, 16 bits each ---------- */

static uint64_t piix4_pm_gpe_read(void *opaque, uint64_t offset, unsigned size)
{
    struct piix4_pm *s = opaque;
    uint32_t both = (uint32_t)s->gpe_sts | (uint32_t)s->gpe_en << 16;
    uint64_t v = both >> (8 * offset);
    return size >= 4 ? v : v & ((1ull << (8 * size)) - 1);
}

static void piix4_pm_gpe_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct piix4_pm *s = opaque;
    for (unsigned i = 0; i < size; i++) {
        unsigned off = (unsigned)offset + i;
        uint16_t lane = (uint16_t)(((value >> (8 * i)) & 0xFF) << (8 * (off & 1)));
        if (off < 2)
            s->gpe_sts &= (uint16_t)~lane;
        else if (off < 4)
            s->gpe_en = (uint16_t)((s->gpe_en & ~(0xFF << (8 * (off & 1)))) | lane);
    }
    piix4_pm_update(s);
}

static const struct mmio_ops piix4_pm_gpe_ops = {
    .read = piix4_pm_gpe_read,
    .write = piix4_pm_gpe_write,
    .max_access = 4,
};

/* --- SMBus host: no devices on the bus, so every transaction fails ------------ */

static uint64_t piix4_pm_smb_read(void *opaque, uint64_t offset, unsigned size)
{
    struct piix4_pm *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)s->smb[((unsigned)offset + i) % PIIX4_SMB_IO_SIZE] << (8 * i);
    return v;
}

static void piix4_pm_smb_write_byte(struct piix4_pm *s, unsigned off, uint8_t b)
{
    switch (off) {
    case SMB_HST_STS:
        s->smb[off] &= (uint8_t)~(b & SMB_STS_W1C);
        break;
    case SMB_HST_CNT:
        s->smb[off] = b & (uint8_t)~SMB_CNT_START;
        /* Nobody answers the address: the transfer ends at once with a
         * device error, never busy, so polling drivers finish. */
        if (b & SMB_CNT_START)
            s->smb[SMB_HST_STS] |= SMB_STS_DEV_ERR;
        break;
    default:
        s->smb[off] = b;
        break;
    }
}

static void piix4_pm_smb_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct piix4_pm *s = opaque;
    for (unsigned i = 0; i < size; i++)
        piix4_pm_smb_write_byte(s, ((unsigned)offset + i) % PIIX4_SMB_IO_SIZE,
                                (uint8_t)(value >> (8 * i)));
}

static const struct mmio_ops piix4_pm_smb_ops = {
    .read = piix4_pm_smb_read,
    .write = piix4_pm_smb_write,
    .max_access = 4,
};

/* --- APM control/status ports (0xB2/0xB3) --------------------------------------- */

static uint64_t piix4_pm_apm_read(void *opaque, uint64_t offset, unsigned size)
{
    struct piix4_pm *s = opaque;
    uint64_t v = offset == 0 ? s->apmc : s->apms;
    if (offset == 0 && size >= 2)
        v |= (uint64_t)s->apms << 8;
    return v;
}

static void piix4_pm_apm_write_control(struct piix4_pm *s, uint8_t b)
{
    s->apmc = b;
    if (b == APM_ACPI_ENABLE)
        s->pm_cnt |= PM_CNT_SCI_EN;
    else if (b == APM_ACPI_DISABLE)
        s->pm_cnt &= (uint16_t)~PM_CNT_SCI_EN;
    piix4_pm_update(s);
}

static void piix4_pm_apm_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct piix4_pm *s = opaque;
    if (offset == 0) {
        piix4_pm_apm_write_control(s, (uint8_t)value);
        if (size >= 2)
            s->apms = (uint8_t)(value >> 8);
        return;
    }
    s->apms = (uint8_t)value;
}

static const struct mmio_ops piix4_pm_apm_ops = {
    .read = piix4_pm_apm_read,
    .write = piix4_pm_apm_write,
    .max_access = 2,
};

/* --- configuration space ---------------------------------------------------------- */

static uint16_t piix4_pm_config16(const struct piix4_pm *s, unsigned reg)
{
    return (uint16_t)(s->dev.config[reg] | s->dev.config[reg + 1] << 8);
}

/* Places the PM and SMBus register blocks where PMBA/SMBBA say. */
static void piix4_pm_map(struct piix4_pm *s)
{
    const uint8_t *cfg = s->dev.config;
    region_move(s->pm_region, piix4_pm_config16(s, PIIX4_PM_PMBA) & 0xFFC0u);
    region_set_enabled(s->pm_region, (cfg[PIIX4_PM_PMREGMISC] & 1) != 0);
    region_move(s->smb_region, piix4_pm_config16(s, PIIX4_PM_SMBBA) & 0xFFF0u);
    region_set_enabled(s->smb_region,
                       (cfg[PIIX4_PM_SMBHSTCFG] & 1) && (cfg[PCI_COMMAND] & PCI_COMMAND_IO));
}

static void piix4_pm_config_write(struct pci_device *d, unsigned reg, unsigned size,
                                  uint32_t value)
{
    (void)value;
    struct piix4_pm *s = d->opaque;
    unsigned end = reg + size;
    bool touches = (reg < PCI_COMMAND + 1 && end > PCI_COMMAND) ||
                   (reg < PIIX4_PM_PMBA + 2 && end > PIIX4_PM_PMBA) ||
                   (reg <= PIIX4_PM_PMREGMISC && end > PIIX4_PM_PMREGMISC) ||
                   (reg < PIIX4_PM_SMBBA + 2 && end > PIIX4_PM_SMBBA) ||
                   (reg <= PIIX4_PM_SMBHSTCFG && end > PIIX4_PM_SMBHSTCFG);
    if (touches)
        piix4_pm_map(s);
}

static const struct pci_device_ops piix4_pm_pci_ops = {
    .config_write = piix4_pm_config_write,
};

static void piix4_pm_init_config(struct piix4_pm *s)
{
    struct pci_device *d = &s->dev;
    /* Class 0x068000 (other bridge), revision 3 as on QEMU's PC. */
    pci_device_init(d, s->comp->name, 0x8086, 0x7113, 0x06, 0x80, 0x00, 0x03);
    d->ops = &piix4_pm_pci_ops;
    d->opaque = s;
    d->wmask[PCI_COMMAND] &= (uint8_t)~PCI_COMMAND_MEMORY;
    for (unsigned r = 0x44; r < 0x80; r++)
        d->wmask[r] = 0xFF;                 /* CNTA/B, GENCFG, DEVACT, DEVRES */
    d->wmask[PIIX4_PM_PMBA] = 0xC0;         /* bits 15:6; bit 0 is the I/O flag */
    d->wmask[PIIX4_PM_PMBA + 1] = 0xFF;
    d->wmask[PIIX4_PM_PMREGMISC] = 0x01;
    d->wmask[PIIX4_PM_SMBBA] = 0xF0;
    d->wmask[PIIX4_PM_SMBBA + 1] = 0xFF;
    d->wmask[PIIX4_PM_SMBHSTCFG] = 0x0F;
    d->wmask[0xD3] = 0xFF;                  /* SMBSLVC */
}

static void piix4_pm_reset_config(struct piix4_pm *s)
{
    struct pci_device *d = &s->dev;
    pci_device_reset(d);
    memset(&d->config[0x40], 0, 0xC0);
    d->config[PCI_INTERRUPT_PIN] = 1;
    d->config[PIIX4_PM_PMBA] = 0x01;
    d->config[PIIX4_PM_SMBBA] = 0x01;
    /* DEVRESx decode enables of the legacy ports present on the board; the
     * firmware's DSDT returns them from the COM/LPT devices' _STA. */
    d->config[0x5F] = (uint8_t)(0x10 | (s->lpt ? 0x80 : 0));
    d->config[0x63] = 0x60;
    d->config[0x67] = (uint8_t)((s->com1 ? 0x08 : 0) | (s->com2 ? 0x90 : 0));
}

static void piix4_pm_reset_state(struct piix4_pm *s)
{
    s->pm_sts = 0;
    s->pm_en = 0;
    s->pm_cnt = 0;
    memset(s->pm_regs, 0, sizeof s->pm_regs);
    s->gpe_sts = s->gpe_en = 0;
    memset(s->smb, 0, sizeof s->smb);
    s->apmc = s->apms = 0;
    s->timer_epoch = sim_now(s->comp->sim);
    s->timer_seen = 0;
    piix4_pm_reset_config(s);
    piix4_pm_map(s);
    piix4_pm_update(s);
}

/* --- component ---------------------------------------------------------------- */

static const struct param_desc piix4_pm_params[] = {
    {"pci-bus", PARAM_COMPONENT, NULL, "host bridge that exports the PCI bus"},
    {"devfn", PARAM_STRING, "1.3", "PCI device.function"},
    {"io", PARAM_SPACE, "io", "I/O space of the PM, SMBus, GPE0 and APM registers"},
    {"gpe0-base", PARAM_U64, "0xAFE0", "I/O port of the GPE0 block the firmware's FADT names (0: none)"},
    {"apm-port", PARAM_U64, "0xB2", "APM control port (status at +1; 0: none)"},
    {"com1", PARAM_BOOL, "true", "DEVRES: serial port A decode enabled"},
    {"com2", PARAM_BOOL, "false", "DEVRES: serial port B decode enabled"},
    {"lpt", PARAM_BOOL, "false", "DEVRES: parallel port decode enabled"},
    PARAM_END,
};

static int piix4_pm_add_fixed(struct piix4_pm *s, struct addr_space *io, const struct params *p,
                              struct cw_error *err)
{
    uint64_t gpe = 0, apm = 0;
    params_u64(p, "gpe0-base", &gpe);
    params_u64(p, "apm-port", &apm);
    if (gpe > 0xFFFC)
        return params_error(p, "gpe0-base", err, "must be an I/O port below 0xFFFD");
    if (apm > 0xFFFE)
        return params_error(p, "apm-port", err, "must be an I/O port below 0xFFFF");
    struct component *c = s->comp;
    if (gpe) {
        s->gpe_region = as_add_mmio(io, c, "gpe0", gpe, 4, &piix4_pm_gpe_ops, s, err);
        if (!s->gpe_region)
            return -1;
    }
    if (apm) {
        s->apm_region = as_add_mmio(io, c, "apm", apm, 2, &piix4_pm_apm_ops, s, err);
        if (!s->apm_region)
            return -1;
    }
    return 0;
}

static int piix4_pm_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct piix4_pm *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    if (pci_parse_devfn(params_string(p, "devfn"), &s->devfn) < 0)
        return params_error(p, "devfn", err, "expected device.function such as 1.3");
    struct addr_space *io = params_space(p, "io");
    if (!io)
        return params_error(p, "io", err, "no such address space");
    s->com1 = true;
    params_bool(p, "com1", &s->com1);
    params_bool(p, "com2", &s->com2);
    params_bool(p, "lpt", &s->lpt);
    /* Unmapped until the firmware programs PMBA/SMBBA and their enables. */
    s->pm_region = as_add_mmio(io, c, "pm", AS_UNMAPPED, PIIX4_PM_IO_SIZE, &piix4_pm_io_ops, s, err);
    if (!s->pm_region)
        return -1;
    s->smb_region = as_add_mmio(io, c, "smbus", AS_UNMAPPED, PIIX4_SMB_IO_SIZE, &piix4_pm_smb_ops,
                                s, err);
    if (!s->smb_region)
        return -1;
    if (piix4_pm_add_fixed(s, io, p, err) < 0)
        return -1;
    s->sci = signal_create(c->sim, c, "sci");
    event_init(c->sim, &s->overflow_event, "pm-timer-overflow", piix4_pm_overflow, s);
    piix4_pm_init_config(s);
    stat_register(c, "timer-reads", "PM timer (PMTMR) reads", &s->stat_timer_reads);
    stat_register(c, "sci-changes", "SCI level changes", &s->stat_sci_changes);
    return 0;
}

static int piix4_pm_realize(struct component *c, struct cw_error *err)
{
    struct piix4_pm *s = c->state;
    struct pci_bus *bus = pci_bus_from_param(c, "pci-bus", err);
    if (!bus || pci_device_register(bus, &s->dev, s->devfn, err) < 0)
        return -1;
    piix4_pm_reset_state(s);
    return 0;
}

static void piix4_pm_reset(struct component *c)
{
    piix4_pm_reset_state(c->state);
}

static void piix4_pm_destroy(struct component *c)
{
    free(c->state);
    c->state = NULL;
}

const struct component_type piix4_pm_type = {
    .name = "piix4-pm",
    .description = "Intel PIIX4 power management: ACPI PM registers and timer, SCI, SMBus, APM",
    .params = piix4_pm_params,
    .create = piix4_pm_create,
    .realize = piix4_pm_realize,
    .reset = piix4_pm_reset,
    .destroy = piix4_pm_destroy,
};
