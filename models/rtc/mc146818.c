/* mc146818.c: the MC146818A real-time clock with its CMOS RAM, as in the PC
 * (ports 0x70/0x71, and the PIIX's upper 128-byte bank at 0x72/0x73).
 * Follows the Motorola MC146818A datasheet and the IBM PC/AT CMOS map, with
 * the bytes SeaBIOS reads (memory size, CPU count, boot order).
 *
 * Time is lazy: the clock registers are brought forward one update cycle
 * per elapsed second of guest time when something looks (a register access
 * or an interrupt event). The divider runs from a 32.768 kHz time base
 * (register A DV = 010); an update cycle begins every second, 0.5 s after
 * the divider leaves reset, UIP rises 244 us before it and the new time and
 * UF appear when its 1984 us end. Periodic ticks are counted from the
 * divider's phase. Other DV values (other crystals, test modes) stop the
 * clock. Events are scheduled only while an enabled interrupt could raise
 * the "irq" output and a wire listens to it; flags are otherwise computed
 * when register C is read. The square-wave pin is not modelled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/bus.h"
#include "kernel/clock.h"
#include "kernel/component.h"
#include "kernel/event.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

/* Clock registers */
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_REG_D 0x0D
/* IBM PC/AT CMOS bytes */
#define CMOS_FLOPPY_TYPES 0x10
#define CMOS_EQUIPMENT 0x14
#define CMOS_BASE_MEM_LO 0x15
#define CMOS_EXT_MEM_LO 0x17
#define CMOS_CHECKSUM_HI 0x2E
#define CMOS_EXT_MEM2_LO 0x30
#define CMOS_CENTURY 0x32
#define CMOS_MEM_ABOVE_16M_LO 0x34
#define CMOS_BOOTFLAG1 0x38
#define CMOS_BOOTFLAG2 0x3D
#define CMOS_MEM_ABOVE_4G 0x5B
#define CMOS_CPU_COUNT 0x5F

#define REG_A_UIP 0x80
#define REG_A_DV_SHIFT 4
#define REG_A_DV_NORMAL 2 /* 32.768 kHz time base, running */
#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_SQWE 0x08
#define REG_B_BINARY 0x04
#define REG_B_24H 0x02
#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10
#define REG_D_VRT 0x80

#define RTC_UIP_LEAD SIM_US(244)      /* UIP rises this long before an update */
#define RTC_UPDATE_CYCLE SIM_US(1984) /* update cycle time, 32.768 kHz base */
#define RTC_SECOND SIM_S(1)

struct mc146818 {
    struct component *comp;
    struct sim *sim;
    uint8_t ram[256];          /* 0x00-0x0D clock registers, then CMOS */
    uint8_t index;             /* port 0x70, bits 6-0 */
    uint8_t ext_index;         /* port 0x72, bits 6-0 (bytes 0x80-0xFF) */
    bool extended;
    struct clock_domain osc;   /* 32.768 kHz time base */
    sim_time_t divider_origin; /* time the divider chain last left reset */
    sim_time_t next_update;    /* start of the next update cycle */
    uint64_t periodic_seen;    /* periodic ticks already folded into PF */
    struct event irq_event;
    struct signal *irq;
    struct signal *nmi_mask;
    uint64_t stat_updates;
    uint64_t stat_periodic;
    uint64_t stat_irqs;
};

/* --- time registers ----------------------------------------------------------- */

static bool rtc_binary(const struct mc146818 *s)
{
    return s->ram[RTC_REG_B] & REG_B_BINARY;
}

static unsigned rtc_decode(const struct mc146818 *s, uint8_t v)
{
    return rtc_binary(s) ? v : (unsigned)(v >> 4) * 10 + (v & 15);
}

static uint8_t rtc_encode(const struct mc146818 *s, unsigned v)
{
    return rtc_binary(s) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned rtc_days_in_month(unsigned month, unsigned year)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 31;
    if (month == 2 && year % 4 == 0)
        return 29; /* the chip's leap rule: every fourth year */
    return days[month - 1];
}

/* Advances one register that wraps at `limit` back to `first`; returns true
 * on a carry. Out-of-range values carry too, so a guest's garbage settles. */
static bool rtc_step(struct mc146818 *s, int reg, unsigned first, unsigned limit)
{
    unsigned v = rtc_decode(s, s->ram[reg]);
    if (v + 1 >= limit) {
        s->ram[reg] = rtc_encode(s, first);
        return true;
    }
    s->ram[reg] = rtc_encode(s, v + 1);
    return false;
}

static void rtc_next_day(struct mc146818 *s)
{
    rtc_step(s, RTC_DAY_OF_WEEK, 1, 8);
    unsigned month = rtc_decode(s, s->ram[RTC_MONTH]);
    unsigned year = rtc_decode(s, s->ram[RTC_YEAR]);
    if (!rtc_step(s, RTC_DAY_OF_MONTH, 1, rtc_days_in_month(month, year) + 1))
        return;
    if (!rtc_step(s, RTC_MONTH, 1, 13))
        return;
    rtc_step(s, RTC_YEAR, 0, 100);
}

static bool rtc_next_hour(struct mc146818 *s)
{
    if (s->ram[RTC_REG_B] & REG_B_24H)
        return rtc_step(s, RTC_HOURS, 0, 24);
    /* 12-hour mode: 1..12 with bit 7 set for PM. 11 -> 12 flips AM/PM;
     * 12 -> 1 does not; 11 PM -> 12 AM is a new day. */
    uint8_t pm = s->ram[RTC_HOURS] & 0x80;
    unsigned h = rtc_decode(s, s->ram[RTC_HOURS] & 0x7F);
    if (h >= 12 || h == 0) {
        s->ram[RTC_HOURS] = (uint8_t)(pm | rtc_encode(s, 1));
        return false;
    }
    if (h == 11) {
        s->ram[RTC_HOURS] = (uint8_t)((pm ^ 0x80) | rtc_encode(s, 12));
        return pm != 0;
    }
    s->ram[RTC_HOURS] = (uint8_t)(pm | rtc_encode(s, h + 1));
    return false;
}

static bool rtc_alarm_field_matches(const struct mc146818 *s, int alarm, int reg)
{
    return (s->ram[alarm] & 0xC0) == 0xC0 || s->ram[alarm] == s->ram[reg];
}

/* One update cycle: the time advances a second and the alarm is compared. */
static void rtc_update_cycle(struct mc146818 *s)
{
    s->stat_updates++;
    if (rtc_step(s, RTC_SECONDS, 0, 60) && rtc_step(s, RTC_MINUTES, 0, 60) && rtc_next_hour(s))
        rtc_next_day(s);
    s->ram[RTC_REG_C] |= REG_C_UF;
    if (rtc_alarm_field_matches(s, RTC_SECONDS_ALARM, RTC_SECONDS) &&
        rtc_alarm_field_matches(s, RTC_MINUTES_ALARM, RTC_MINUTES) &&
        rtc_alarm_field_matches(s, RTC_HOURS_ALARM, RTC_HOURS))
        s->ram[RTC_REG_C] |= REG_C_AF;
}

/* --- divider chain, lazily ------------------------------------------------------ */

static bool rtc_running(const struct mc146818 *s)
{
    return (s->ram[RTC_REG_A] >> REG_A_DV_SHIFT & 7) == REG_A_DV_NORMAL;
}

/* Periodic interrupt period in 32.768 kHz cycles for register A RS3-0, or 0. */
static uint64_t rtc_periodic_cycles(const struct mc146818 *s)
{
    unsigned rs = s->ram[RTC_REG_A] & 15;
    if (rs == 0)
        return 0;
    if (rs <= 2)
        return 1u << (rs + 6); /* 1 and 2 repeat rates 8 and 9 */
    return 1u << (rs - 1);
}

static uint64_t rtc_periodic_index(const struct mc146818 *s, sim_time_t t)
{
    uint64_t period = rtc_periodic_cycles(s);
    if (!period || t < s->divider_origin)
        return 0;
    return clock_time_to_cycles(&s->osc, t - s->divider_origin) / period;
}

static uint8_t rtc_irqf(const struct mc146818 *s)
{
    uint8_t flags = s->ram[RTC_REG_C];
    uint8_t enables = s->ram[RTC_REG_B];
    bool any = ((flags & REG_C_PF) && (enables & REG_B_PIE)) ||
               ((flags & REG_C_AF) && (enables & REG_B_AIE)) ||
               ((flags & REG_C_UF) && (enables & REG_B_UIE));
    return any ? REG_C_IRQF : 0;
}

/* Brings the clock, the flags and IRQF up to the current time. */
static void rtc_catch_up(struct mc146818 *s)
{
    sim_time_t now = sim_now(s->sim);
    if (rtc_running(s)) {
        while (s->next_update + RTC_UPDATE_CYCLE <= now) {
            if (!(s->ram[RTC_REG_B] & REG_B_SET))
                rtc_update_cycle(s);
            s->next_update += RTC_SECOND;
        }
        uint64_t ticks = rtc_periodic_index(s, now);
        if (ticks > s->periodic_seen) {
            s->stat_periodic += ticks - s->periodic_seen;
            s->periodic_seen = ticks;
            s->ram[RTC_REG_C] |= REG_C_PF;
        }
    }
    s->ram[RTC_REG_C] = (uint8_t)((s->ram[RTC_REG_C] & 0x70) | rtc_irqf(s));
}

static bool rtc_uip(const struct mc146818 *s)
{
    if (!rtc_running(s) || (s->ram[RTC_REG_B] & REG_B_SET))
        return false;
    return sim_now(s->sim) + RTC_UIP_LEAD >= s->next_update;
}

/* When an enabled flag can next become set, or SIM_TIME_MAX. */
static sim_time_t rtc_next_interrupt(const struct mc146818 *s)
{
    if (!rtc_running(s))
        return SIM_TIME_MAX;
    sim_time_t when = SIM_TIME_MAX;
    uint8_t b = s->ram[RTC_REG_B];
    uint64_t period = rtc_periodic_cycles(s);
    if ((b & REG_B_PIE) && period)
        when = s->divider_origin + clock_cycles_to_time(&s->osc, (s->periodic_seen + 1) * period);
    if ((b & (REG_B_UIE | REG_B_AIE)) && !(b & REG_B_SET)) {
        sim_time_t end = s->next_update + RTC_UPDATE_CYCLE;
        if (end < when)
            when = end;
    }
    return when;
}

/* Drives "irq" from IRQF and schedules the next possible interrupt if
 * someone listens and the line is not already up. */
static void rtc_update_irq(struct mc146818 *s)
{
    int level = (s->ram[RTC_REG_C] & REG_C_IRQF) != 0;
    if (level && !signal_level(s->irq))
        s->stat_irqs++;
    signal_set(s->irq, level);
    sim_time_t when = level || !s->irq->sinks ? SIM_TIME_MAX : rtc_next_interrupt(s);
    if (when == SIM_TIME_MAX) {
        event_cancel(s->sim, &s->irq_event);
        return;
    }
    event_schedule(s->sim, &s->irq_event, when, EVENT_PRIO_DEFAULT);
}

static void rtc_irq_event(struct event *ev, void *opaque)
{
    struct mc146818 *s = opaque;
    rtc_catch_up(s);
    rtc_update_irq(s);
}

/* The divider leaves reset (or starts): the first update is 0.5 s later. */
static void rtc_divider_start(struct mc146818 *s)
{
    sim_time_t now = sim_now(s->sim);
    s->divider_origin = now;
    s->next_update = now + RTC_SECOND / 2;
    s->periodic_seen = 0;
}

/* --- register file ------------------------------------------------------------- */

static uint8_t rtc_read_reg(struct mc146818 *s, uint8_t reg)
{
    if (reg > RTC_REG_D)
        return s->ram[reg];
    rtc_catch_up(s);
    switch (reg) {
    case RTC_REG_A:
        return (uint8_t)((s->ram[RTC_REG_A] & 0x7F) | (rtc_uip(s) ? REG_A_UIP : 0));
    case RTC_REG_C: {
        /* Reading C returns the flags and clears them all, lowering IRQ. */
        uint8_t v = s->ram[RTC_REG_C];
        s->ram[RTC_REG_C] = 0;
        rtc_update_irq(s);
        return v;
    }
    case RTC_REG_D:
        return REG_D_VRT;
    default:
        return s->ram[reg];
    }
}

static void rtc_write_reg(struct mc146818 *s, uint8_t reg, uint8_t v)
{
    if (reg > RTC_REG_D) {
        s->ram[reg] = v;
        return;
    }
    rtc_catch_up(s);
    switch (reg) {
    case RTC_REG_A: {
        bool was_running = rtc_running(s);
        uint64_t old_period = rtc_periodic_cycles(s);
        s->ram[RTC_REG_A] = v & 0x7F;
        if (rtc_running(s) && !was_running)
            rtc_divider_start(s);
        else if (rtc_periodic_cycles(s) != old_period)
            s->periodic_seen = rtc_periodic_index(s, sim_now(s->sim));
        break;
    }
    case RTC_REG_B:
        /* Setting SET aborts any update in progress and clears UIE. */
        if (v & REG_B_SET)
            v &= (uint8_t)~REG_B_UIE;
        s->ram[RTC_REG_B] = v;
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        return; /* read-only */
    default:
        s->ram[reg] = v;
        break;
    }
    s->ram[RTC_REG_C] = (uint8_t)((s->ram[RTC_REG_C] & 0x70) | rtc_irqf(s));
    rtc_update_irq(s);
}

static uint64_t rtc_port_read(void *opaque, uint64_t offset, unsigned size)
{
    struct mc146818 *s = opaque;
    switch (offset) {
    case 1:
        return rtc_read_reg(s, s->index);
    case 3:
        return rtc_read_reg(s, (uint8_t)(0x80 | s->ext_index));
    default:
        return 0xFF; /* the index ports are write-only */
    }
}

static void rtc_port_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct mc146818 *s = opaque;
    uint8_t v = (uint8_t)value;
    switch (offset) {
    case 0:
        s->index = v & 0x7F;
        signal_set(s->nmi_mask, (v & 0x80) != 0);
        break;
    case 1:
        rtc_write_reg(s, s->index, v);
        break;
    case 2:
        s->ext_index = v & 0x7F;
        break;
    default:
        rtc_write_reg(s, (uint8_t)(0x80 | s->ext_index), v);
        break;
    }
}

static const struct mmio_ops rtc_ops = {
    .read = rtc_port_read,
    .write = rtc_port_write,
    .max_access = 1,
};

/* --- initial contents ------------------------------------------------------------ */

struct rtc_datetime {
    unsigned year, month, day, hour, minute, second;
};

static int rtc_parse_time(const char *text, struct rtc_datetime *t)
{
    char sep = 0, tail = 0;
    int n = sscanf(text, "%4u-%2u-%2u%c%2u:%2u:%2u%c", &t->year, &t->month, &t->day, &sep,
                   &t->hour, &t->minute, &t->second, &tail);
    if (n != 7 || (sep != 'T' && sep != ' '))
        return -1;
    bool leap = (t->year % 4 == 0 && t->year % 100 != 0) || t->year % 400 == 0;
    if (t->year < 1900 || t->year > 2999 || t->month < 1 || t->month > 12 || t->day < 1 ||
        t->day > rtc_days_in_month(t->month, leap ? 0 : 1) || t->hour > 23 || t->minute > 59 ||
        t->second > 59)
        return -1;
    return 0;
}

/* Day of the week, 1 = Sunday (Sakamoto's method). */
static unsigned rtc_day_of_week(const struct rtc_datetime *t)
{
    static const unsigned offsets[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    unsigned y = t->year - (t->month < 3);
    return (y + y / 4 - y / 100 + y / 400 + offsets[t->month - 1] + t->day) % 7 + 1;
}

/* Loads a time into the registers in the format register B selects. */
static void rtc_set_time(struct mc146818 *s, const struct rtc_datetime *t)
{
    s->ram[RTC_SECONDS] = rtc_encode(s, t->second);
    s->ram[RTC_MINUTES] = rtc_encode(s, t->minute);
    if (s->ram[RTC_REG_B] & REG_B_24H) {
        s->ram[RTC_HOURS] = rtc_encode(s, t->hour);
    } else {
        unsigned h12 = t->hour % 12 == 0 ? 12 : t->hour % 12;
        s->ram[RTC_HOURS] = (uint8_t)((t->hour >= 12 ? 0x80 : 0) | rtc_encode(s, h12));
    }
    s->ram[RTC_DAY_OF_WEEK] = rtc_encode(s, rtc_day_of_week(t));
    s->ram[RTC_DAY_OF_MONTH] = rtc_encode(s, t->day);
    s->ram[RTC_MONTH] = rtc_encode(s, t->month);
    s->ram[RTC_YEAR] = rtc_encode(s, t->year % 100);
    s->ram[CMOS_CENTURY] = rtc_encode(s, t->year / 100);
}

static int rtc_initial_time(const struct params *p, struct rtc_datetime *t, struct cw_error *err)
{
    const char *text = params_string(p, "time");
    if (strcmp(text, "host") != 0) {
        if (rtc_parse_time(text, t) != 0)
            return params_error(p, "time", err,
                                "'%s' is not a time: use \"YYYY-MM-DDTHH:MM:SS\" or \"host\"",
                                text);
        return 0;
    }
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm))
        return params_error(p, "time", err, "the host clock cannot be read");
    t->year = (unsigned)tm.tm_year + 1900;
    t->month = (unsigned)tm.tm_mon + 1;
    t->day = (unsigned)tm.tm_mday;
    t->hour = (unsigned)tm.tm_hour;
    t->minute = (unsigned)tm.tm_min;
    t->second = (unsigned)tm.tm_sec > 59 ? 59 : (unsigned)tm.tm_sec;
    return 0;
}

static void rtc_put16(struct mc146818 *s, int reg, uint64_t v)
{
    if (v > 0xFFFF)
        v = 0xFFFF;
    s->ram[reg] = (uint8_t)v;
    s->ram[reg + 1] = (uint8_t)(v >> 8);
}

/* Memory size bytes as the AT BIOS and SeaBIOS read them. */
static void rtc_set_memory(struct mc146818 *s, uint64_t memory, uint64_t low_limit)
{
    const uint64_t mib = 1024 * 1024;
    uint64_t below_4g = memory < low_limit ? memory : low_limit;
    uint64_t above_4g = memory - below_4g;
    rtc_put16(s, CMOS_BASE_MEM_LO, memory >= 640 * 1024 ? 640 : memory / 1024);
    uint64_t ext_kib = below_4g > mib ? (below_4g - mib) / 1024 : 0;
    rtc_put16(s, CMOS_EXT_MEM_LO, ext_kib);
    rtc_put16(s, CMOS_EXT_MEM2_LO, ext_kib);
    rtc_put16(s, CMOS_MEM_ABOVE_16M_LO, below_4g > 16 * mib ? (below_4g - 16 * mib) / 65536 : 0);
    uint64_t high = above_4g / 65536;
    if (high > 0xFFFFFF)
        high = 0xFFFFFF;
    s->ram[CMOS_MEM_ABOVE_4G] = (uint8_t)high;
    s->ram[CMOS_MEM_ABOVE_4G + 1] = (uint8_t)(high >> 8);
    s->ram[CMOS_MEM_ABOVE_4G + 2] = (uint8_t)(high >> 16);
}

/* "cdrom,hdd,floppy" -> the SeaBIOS nibbles: 0x3D low, 0x3D high, 0x38 high. */
static int rtc_set_boot_order(struct mc146818 *s, const struct params *p, struct cw_error *err)
{
    static const char *const names[] = {NULL, "floppy", "hdd", "cdrom", "network"};
    char buf[128];
    snprintf(buf, sizeof buf, "%s", params_string(p, "boot-order"));
    unsigned nibbles[3] = {0, 0, 0}, count = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        unsigned code = 0;
        for (unsigned i = 1; i < 5; i++)
            if (strcmp(tok, names[i]) == 0)
                code = i;
        if (!code || count == 3)
            return params_error(p, "boot-order", err,
                                "'%s': up to three of floppy, hdd, cdrom, network", tok);
        nibbles[count++] = code;
    }
    s->ram[CMOS_BOOTFLAG2] = (uint8_t)(nibbles[1] << 4 | nibbles[0]);
    s->ram[CMOS_BOOTFLAG1] = (uint8_t)((s->ram[CMOS_BOOTFLAG1] & 0x0F) | nibbles[2] << 4);
    return 0;
}

/* `cmos: {0x3d: 0x03, ...}`: raw byte overrides. */
static int rtc_apply_overrides(struct mc146818 *s, const struct ynode *map, struct cw_error *err)
{
    if (!map)
        return 0;
    if (map->kind != YNODE_MAP)
        return ynode_error(err, map, "expected a map of CMOS offset: byte value");
    for (size_t i = 0; i < map->count; i++) {
        uint64_t offset = 0, value = 0;
        if (parse_u64(map->keys[i], &offset, NULL) != 0 || offset > 0xFF || offset <= RTC_REG_D)
            return ynode_error(err, map->key_nodes[i],
                               "'%s' is not a CMOS RAM offset (0x0E..0xFF)", map->keys[i]);
        if (ynode_u64(map->items[i], &value, err) != 0)
            return -1;
        if (value > 0xFF)
            return ynode_error(err, map->items[i], "a byte value, 0..0xFF");
        s->ram[offset] = (uint8_t)value;
    }
    return 0;
}

static void rtc_set_checksum(struct mc146818 *s)
{
    unsigned sum = 0;
    for (int i = CMOS_FLOPPY_TYPES; i < CMOS_CHECKSUM_HI; i++)
        sum += s->ram[i];
    s->ram[CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
    s->ram[CMOS_CHECKSUM_HI + 1] = (uint8_t)sum;
}

static int rtc_fill_cmos(struct mc146818 *s, const struct params *p, struct cw_error *err)
{
    struct rtc_datetime t;
    if (rtc_initial_time(p, &t, err) != 0)
        return -1;
    s->ram[RTC_REG_A] = REG_A_DV_NORMAL << REG_A_DV_SHIFT | 0x06;
    s->ram[RTC_REG_B] = REG_B_24H;
    rtc_set_time(s, &t);

    uint64_t v = 0, limit = 0;
    if (params_size(p, "memory", &v)) {
        params_size(p, "low-memory-limit", &limit);
        rtc_set_memory(s, v, limit);
    }
    params_u64(p, "cpus", &v);
    if (v < 1 || v > 256)
        return params_error(p, "cpus", err, "a CPU count, 1..256");
    s->ram[CMOS_CPU_COUNT] = (uint8_t)(v - 1);

    params_u64(p, "floppy", &v);
    if (v > 0xFF)
        return params_error(p, "floppy", err, "a byte: drive A type << 4 | drive B type");
    s->ram[CMOS_FLOPPY_TYPES] = (uint8_t)v;
    unsigned drives = ((v >> 4) ? 1u : 0u) + ((v & 15) ? 1u : 0u);
    params_u64(p, "equipment", &v);
    if (v > 0xFF)
        return params_error(p, "equipment", err, "a byte");
    if (drives)
        v |= 0x01 | (drives - 1) << 6;
    s->ram[CMOS_EQUIPMENT] = (uint8_t)v;

    bool check = false;
    params_bool(p, "floppy-signature-check", &check);
    s->ram[CMOS_BOOTFLAG1] = check ? 0x00 : 0x01;
    if (rtc_set_boot_order(s, p, err) != 0)
        return -1;
    if (rtc_apply_overrides(s, params_node(p, "cmos"), err) != 0)
        return -1;
    rtc_set_checksum(s);
    return 0;
}

/* --- component -------------------------------------------------------------------- */

static const struct param_desc mc146818_params[] = {
    {"space", PARAM_SPACE, "io", "I/O space holding the ports"},
    {"base", PARAM_U64, "0x70", "index port; data at base+1"},
    {"extended", PARAM_BOOL, "true", "upper 128 bytes through base+2/base+3 (PIIX)"},
    {"time", PARAM_STRING, "2025-01-01T00:00:00",
     "initial date and time (UTC), \"YYYY-MM-DDTHH:MM:SS\" or \"host\"; then guest time"},
    {"memory", PARAM_SIZE, NULL, "RAM size written to the CMOS memory bytes", true},
    {"low-memory-limit", PARAM_SIZE, "3584MiB", "RAM mapped below 4 GiB at most"},
    {"cpus", PARAM_U64, "1", "CPU count (0x5F holds count - 1)"},
    {"floppy", PARAM_U64, "0", "byte 0x10: drive A type << 4 | drive B type"},
    {"equipment", PARAM_U64, "0x06", "byte 0x14 (FPU, PS/2 mouse); floppy bits are added"},
    {"boot-order", PARAM_STRING, "cdrom,hdd,floppy", "SeaBIOS boot order, up to three devices"},
    {"floppy-signature-check", PARAM_BOOL, "false", "clear 0x38 bit 0 (SeaBIOS checks 0xAA55)"},
    {"cmos", PARAM_NODE, NULL, "raw CMOS byte overrides {offset: value}", true},
    PARAM_END,
};

static int mc146818_create(struct component *c, const struct params *p, struct cw_error *err)
{
    struct mc146818 *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errorf(err, "%s: out of memory", c->name);
    c->state = s;
    s->comp = c;
    s->sim = c->sim;
    clock_init(&s->osc, "rtc-32768", 32768, 1);
    if (rtc_fill_cmos(s, p, err) != 0)
        return -1;
    rtc_divider_start(s);

    uint64_t base = 0;
    params_u64(p, "base", &base);
    params_bool(p, "extended", &s->extended);
    if (!as_add_mmio(params_space(p, "space"), c, c->name, base, s->extended ? 4 : 2, &rtc_ops,
                     s, err))
        return -1;

    s->irq = signal_create(c->sim, c, "irq");
    s->nmi_mask = signal_create(c->sim, c, "nmi-mask");
    event_init(c->sim, &s->irq_event, "mc146818-irq", rtc_irq_event, s);
    stat_register(c, "updates", "update cycles (seconds advanced)", &s->stat_updates);
    stat_register(c, "periodic", "periodic interrupt ticks", &s->stat_periodic);
    stat_register(c, "irqs", "rising edges of the IRQ output", &s->stat_irqs);
    return 0;
}

static void mc146818_reset(struct component *c)
{
    struct mc146818 *s = c->state;
    /* RESET pin: clears PIE, AIE, UIE, SQWE and the flags; time, divider
     * and CMOS RAM are battery-backed and unaffected. */
    rtc_catch_up(s);
    s->ram[RTC_REG_B] &= (uint8_t)~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    s->ram[RTC_REG_C] = 0;
    s->index = 0;
    s->ext_index = 0;
    rtc_update_irq(s);
}

static void mc146818_destroy(struct component *c)
{
    free(c->state);
    c->state = NULL;
}

const struct component_type mc146818_type = {
    .name = "mc146818",
    .description = "Motorola MC146818A real-time clock and CMOS RAM (PC map, PIIX upper bank)",
    .params = mc146818_params,
    .create = mc146818_create,
    .reset = mc146818_reset,
    .destroy = mc146818_destroy,
};
