/* bench_kernel.c: speed of the simulation kernel without a CPU: events per
 * second through the event queue, and transactions per second through the
 * bus (RAM, MMIO and I/O port regions, with and without an observer, and a
 * DMI pointer for comparison). Prints "name<TAB>value<TAB>unit" lines.
 *
 * The event load imitates the devices of a PC: each bench device owns one
 * event that re-arms itself from its own clock domain (exact cycle-to-time
 * conversion, as real models do), updates a little state and, like a timer
 * output, drives a signal wired to an interrupt-controller-like input. The
 * bus load walks a PC-like memory map (low RAM, VGA window, option ROM,
 * BIOS, high RAM, an MMIO device) and an I/O space with a dozen port
 * ranges, so region lookup is neither trivial nor artificial.
 *
 * Rates are per second of CPU time of this (single-threaded) process, the
 * best of three rounds, so that other load on a shared host distorts them
 * as little as possible.
 *
 * Usage: bench_kernel [SECONDS]   (CPU time per round, default 0.3) */
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

static double bench_seconds = 0.3;

/* Each rate is measured BENCH_ROUNDS times and the best is kept: on a
 * shared host, interference only ever makes a round slower. */
#define BENCH_ROUNDS 3

static double bench_best(double best, double rate)
{
    return rate > best ? rate : best;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Keeps results alive so the compiler cannot drop the measured work. */
static volatile uint64_t bench_sink;

/* --- event queue ------------------------------------------------------------ */

/* One self-rescheduling device: fires every `period_cycles` of its clock
 * (with a jitter pattern for devices whose delays vary, like a disk),
 * counts, and toggles an output signal every `toggle_every` firings. */
struct bench_device {
    struct sim *sim;
    struct event tick;
    struct clock_domain clock;
    uint64_t cycle;          /* cycle number of the next firing */
    uint64_t period_cycles;
    uint64_t jitter_cycles;  /* added in a fixed pattern; 0 for steady timers */
    uint32_t fired;
    uint32_t toggle_every;
    struct signal *out;
    uint64_t state;          /* stands in for a model's registers */
};

/* The receiving side of every output: counts edges like an 8259's IRR. */
struct bench_irq_sink {
    uint64_t edges;
    uint32_t irr;
};

static void bench_irq_input(void *opaque, int line, int level)
{
    struct bench_irq_sink *pic = opaque;
    if (level) {
        pic->edges++;
        pic->irr |= 1u << (line & 31);
    } else {
        pic->irr &= ~(1u << (line & 31));
    }
}

static void bench_device_arm(struct bench_device *d)
{
    uint64_t step = d->period_cycles;
    if (d->jitter_cycles)
        step += (d->state >> 7) % d->jitter_cycles;
    d->cycle += step;
    event_schedule(d->sim, &d->tick, clock_cycles_to_time(&d->clock, d->cycle),
                   EVENT_PRIO_DEFAULT);
}

static void bench_device_fire(struct event *ev, void *opaque)
{
    struct bench_device *d = opaque;
    d->fired++;
    d->state = d->state * 6364136223846793005ull + 1442695040888963407ull;
    if (d->out && d->toggle_every && d->fired % d->toggle_every == 0)
        signal_set(d->out, !signal_level(d->out));
    bench_device_arm(d);
}

struct bench_device_spec {
    const char *name;
    uint64_t hz_num, hz_den;
    uint64_t period_cycles, jitter_cycles;
    uint32_t toggle_every;
};

/* Devices of a PC with their natural clocks; the periods are shortened
 * where the real device is idle most of the time, so that every device
 * contributes events (what matters is the mix of clocks and periods). */
static const struct bench_device_spec pc_devices[] = {
    { "pit0.counter0", 1193182, 1, 1193, 0, 1 },          /* 1 kHz tick, mode 3 */
    { "rtc0.periodic", 32768, 1, 32, 0, 1 },              /* 1024 Hz PIE */
    { "uart0.tx", 1843200, 1, 160, 0, 16 },               /* 115200 baud char time */
    { "vga0.scanline", 25175000, 1, 800, 0, 525 },        /* one line, vsync per frame */
    { "dram0.refresh", 100000000, 1, 780, 0, 0 },         /* tREFI 7.8 us */
    { "ide0.completion", 33333333, 1, 3000, 20000, 1 },   /* 90-700 us seek/read */
    { "kbd0.scan", 10000, 1, 10, 7, 2 },                  /* typing */
    { "hpet0.comparator", 14318180, 1, 14318, 0, 1 },     /* 1 kHz */
};

struct bench_event_rig {
    struct sim *sim;
    struct bench_device *devices;
    size_t ndevices;
    struct bench_irq_sink pic;
};

/* Builds `copies` copies of the PC device set (copies > 1 models a machine
 * with many timers, or a deep queue). */
static void bench_event_rig_create(struct bench_event_rig *rig, size_t copies)
{
    size_t per = sizeof pc_devices / sizeof pc_devices[0];
    memset(rig, 0, sizeof *rig);
    rig->sim = sim_create();
    sim_set_log_quiet(rig->sim, true);
    rig->ndevices = per * copies;
    rig->devices = calloc(rig->ndevices, sizeof *rig->devices);
    if (!rig->devices) {
        fprintf(stderr, "bench_kernel: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < rig->ndevices; i++) {
        const struct bench_device_spec *spec = &pc_devices[i % per];
        struct bench_device *d = &rig->devices[i];
        char pin[64];
        d->sim = rig->sim;
        clock_init(&d->clock, spec->name, spec->hz_num, spec->hz_den);
        d->period_cycles = spec->period_cycles;
        d->jitter_cycles = spec->jitter_cycles;
        d->toggle_every = spec->toggle_every;
        d->state = i + 1;
        d->cycle = i / per; /* copies start staggered */
        event_init(rig->sim, &d->tick, spec->name, bench_device_fire, d);
        snprintf(pin, sizeof pin, "bench%zu.out", i);
        d->out = signal_create(rig->sim, NULL, pin);
        d->out->traced = false;
        signal_add_sink(d->out, bench_irq_input, &rig->pic, (int)(i % 16));
        bench_device_arm(d);
    }
}

static void bench_event_rig_destroy(struct bench_event_rig *rig)
{
    sim_destroy(rig->sim);
    free(rig->devices);
}

/* Fires events for about bench_seconds; returns events per second. */
static double bench_events(size_t copies)
{
    struct bench_event_rig rig;
    bench_event_rig_create(&rig, copies);
    uint64_t batch = 1 << 18;
    double best = 0;
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        uint64_t fired0 = sim_events_fired(rig.sim);
        double t0 = now_s(), t = t0;
        while (t - t0 < bench_seconds) {
            struct sim_limits lim = { SIM_TIME_MAX, sim_events_fired(rig.sim) + batch, 0 };
            sim_run(rig.sim, &lim);
            t = now_s();
        }
        best = bench_best(best, (double)(sim_events_fired(rig.sim) - fired0) / (t - t0));
    }
    bench_sink += rig.pic.edges;
    bench_event_rig_destroy(&rig);
    return best;
}

/* --- bus ------------------------------------------------------------------------ */

/* A small register file behind MMIO or I/O callbacks (a UART, a PIT). */
struct bench_regs {
    uint8_t regs[64];
    uint64_t accesses;
};

static uint64_t bench_regs_read(void *opaque, uint64_t offset, unsigned size)
{
    struct bench_regs *d = opaque;
    uint64_t v = 0;
    d->accesses++;
    if (offset + size <= sizeof d->regs)
        memcpy(&v, d->regs + offset, size);
    return v;
}

static void bench_regs_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct bench_regs *d = opaque;
    d->accesses++;
    if (offset + size <= sizeof d->regs)
        memcpy(d->regs + offset, &value, size);
}

static const struct mmio_ops bench_regs_ops = {
    .read = bench_regs_read, .write = bench_regs_write, .max_access = 4,
};

/* The I/O ranges of a PC's legacy devices. */
static const struct { uint16_t base, size; } pc_ports[] = {
    { 0x00, 16 },  { 0x20, 2 },  { 0x40, 4 },  { 0x60, 1 },  { 0x64, 1 },
    { 0x70, 2 },   { 0x80, 16 }, { 0xA0, 2 },  { 0xC0, 32 }, { 0x1F0, 8 },
    { 0x3C0, 32 }, { 0x3F8, 8 }, { 0x402, 1 }, { 0x510, 2 }, { 0xCF8, 8 },
};
#define BENCH_NPORTS (sizeof pc_ports / sizeof pc_ports[0])

struct bench_bus_rig {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct bench_regs mmio_dev;
    struct bench_regs port_dev[BENCH_NPORTS];
    uint64_t observed;
};

static void bench_add_or_die(void *region, const struct cw_error *err)
{
    if (region)
        return;
    fprintf(stderr, "bench_kernel: %s\n", err->msg);
    exit(1);
}

static void bench_bus_rig_create(struct bench_bus_rig *rig)
{
    static uint8_t bios[128 * 1024], vgabios[32 * 1024];
    struct cw_error err = { { 0 } };
    memset(rig, 0, sizeof *rig);
    rig->sim = sim_create();
    rig->mem = as_create(rig->sim, "memory", SPACE_MEMORY, 32);
    rig->io = as_create(rig->sim, "io", SPACE_IO, 16);
    sim_add_space(rig->sim, rig->mem);
    sim_add_space(rig->sim, rig->io);
    bench_add_or_die(as_add_ram(rig->mem, NULL, "low-ram", 0, 0xA0000, &err), &err);
    bench_add_or_die(as_add_ram(rig->mem, NULL, "vga-window", 0xA0000, 0x20000, &err), &err);
    bench_add_or_die(as_add_rom(rig->mem, NULL, "vgabios", 0xC0000, sizeof vgabios, vgabios,
                                sizeof vgabios, &err), &err);
    bench_add_or_die(as_add_rom(rig->mem, NULL, "bios-low", 0xE0000, sizeof bios, bios,
                                sizeof bios, &err), &err);
    bench_add_or_die(as_add_ram(rig->mem, NULL, "high-ram", 0x100000, 63u << 20, &err), &err);
    bench_add_or_die(as_add_mmio(rig->mem, NULL, "ioapic", 0xFEC00000, 0x1000,
                                 &bench_regs_ops, &rig->mmio_dev, &err), &err);
    bench_add_or_die(as_add_rom(rig->mem, NULL, "bios", 0xFFFE0000, sizeof bios, bios,
                                sizeof bios, &err), &err);
    for (size_t i = 0; i < BENCH_NPORTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "port%zx", (size_t)pc_ports[i].base);
        bench_add_or_die(as_add_mmio(rig->io, NULL, name, pc_ports[i].base, pc_ports[i].size,
                                     &bench_regs_ops, &rig->port_dev[i], &err), &err);
    }
}

static void bench_count_tx(void *opaque, struct addr_space *as, const struct bus_tx *tx)
{
    struct bench_bus_rig *rig = opaque;
    rig->observed += tx->size;
}

/* A RAM access pattern: mostly sequential words in a 64 KiB working set
 * (code and stack), every 16th access somewhere else in low or high RAM
 * (data). Precomputed, so that the bus and DMI loops pay the same small
 * cost for their addresses. */
#define BENCH_NADDR (1u << 16)

static void bench_ram_pattern(uint64_t *addr)
{
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (uint64_t i = 0; i < BENCH_NADDR; i++) {
        if ((i & 15) != 15) {
            addr[i] = 0x7000 + ((i * 4) & 0xFFFF);
            continue;
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        uint64_t a = rng % (64u << 20);
        if (a >= 0xA0000 && a < 0x100000)
            a -= 0xA0000;
        addr[i] = a & ~3ull;
    }
}

enum bench_bus_kind { BENCH_RAM, BENCH_MMIO, BENCH_IO };

/* Runs `n` transactions of one kind; reads and writes alternate. */
static void bench_bus_batch(struct bench_bus_rig *rig, enum bench_bus_kind kind, uint64_t n,
                            const uint64_t *ram_addr)
{
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        struct bus_tx tx = { .size = 4, .initiator = 1, .time = 1 };
        bool write = i & 1;
        struct addr_space *as = rig->mem;
        switch (kind) {
        case BENCH_RAM:
            tx.addr = ram_addr[(i >> 1) & (BENCH_NADDR - 1)];
            tx.kind = write ? BUS_WRITE : BUS_READ;
            break;
        case BENCH_MMIO:
            tx.addr = 0xFEC00000 + ((i * 4) & 0x3C);
            tx.kind = write ? BUS_WRITE : BUS_READ;
            break;
        case BENCH_IO:
            as = rig->io;
            tx.addr = pc_ports[(i >> 1) % BENCH_NPORTS].base;
            tx.size = 1;
            tx.kind = write ? BUS_IO_WRITE : BUS_IO_READ;
            break;
        }
        tx.data = i;
        as_access(as, &tx);
        acc += tx.data + tx.latency;
    }
    bench_sink += acc;
}

static double bench_bus(enum bench_bus_kind kind, bool observed)
{
    struct bench_bus_rig rig;
    bench_bus_rig_create(&rig);
    struct bus_observer *obs = NULL;
    if (observed)
        obs = as_add_observer(kind == BENCH_IO ? rig.io : rig.mem, 0, UINT64_MAX, BUS_KIND_ALL,
                              bench_count_tx, &rig);
    static uint64_t ram_addr[BENCH_NADDR];
    bench_ram_pattern(ram_addr);
    uint64_t batch = 1 << 18;
    double best = 0;
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        uint64_t done = 0;
        double t0 = now_s(), t = t0;
        while (t - t0 < bench_seconds) {
            bench_bus_batch(&rig, kind, batch, ram_addr);
            done += batch;
            t = now_s();
        }
        best = bench_best(best, (double)done / (t - t0));
    }
    if (obs)
        as_remove_observer(kind == BENCH_IO ? rig.io : rig.mem, obs);
    bench_sink += rig.observed;
    sim_destroy(rig.sim);
    return best;
}

/* `n` accesses of the RAM pattern through two DMI pointers (low and high
 * RAM), reads and writes alternating, as the CPU's fast path does them. */
static uint64_t bench_dmi_batch(const struct dmi *low, const struct dmi *high,
                                const uint64_t *ram_addr, uint64_t n)
{
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t addr = ram_addr[(i >> 1) & (BENCH_NADDR - 1)];
        const struct dmi *d = addr <= low->hi ? low : high;
        uint8_t *p = d->host + (addr - d->lo);
        uint32_t v;
        if (i & 1) {
            v = (uint32_t)i;
            memcpy(p, &v, 4);
        } else {
            memcpy(&v, p, 4);
            acc += v;
        }
    }
    return acc;
}

/* The same RAM pattern through DMI: one as_dmi per region, then plain
 * loads and stores. */
static double bench_dmi(void)
{
    struct bench_bus_rig rig;
    bench_bus_rig_create(&rig);
    struct dmi low, high;
    if (!as_dmi(rig.mem, 0, true, &low) || !as_dmi(rig.mem, 0x100000, true, &high)) {
        fprintf(stderr, "bench_kernel: no DMI for RAM\n");
        sim_destroy(rig.sim);
        return 0;
    }
    static uint64_t ram_addr[BENCH_NADDR];
    bench_ram_pattern(ram_addr);
    uint64_t batch = 1 << 20;
    double best = 0;
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        uint64_t done = 0;
        double t0 = now_s(), t = t0;
        while (t - t0 < bench_seconds) {
            bench_sink += bench_dmi_batch(&low, &high, ram_addr, batch);
            done += batch;
            t = now_s();
        }
        best = bench_best(best, (double)done / (t - t0));
    }
    sim_destroy(rig.sim);
    return best;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        bench_seconds = atof(argv[1]);
        if (bench_seconds <= 0) {
            fprintf(stderr, "usage: bench_kernel [SECONDS]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("kernel events/s (8 PC devices)\t%.0f\tevents/s\n", bench_events(1));
    printf("kernel events/s (256 timers, deep queue)\t%.0f\tevents/s\n", bench_events(32));
    double ram = bench_bus(BENCH_RAM, false);
    printf("bus RAM tx/s (as_access)\t%.0f\ttx/s\n", ram);
    printf("bus RAM tx/s (observed)\t%.0f\ttx/s\n", bench_bus(BENCH_RAM, true));
    printf("bus MMIO tx/s\t%.0f\ttx/s\n", bench_bus(BENCH_MMIO, false));
    printf("bus MMIO tx/s (observed)\t%.0f\ttx/s\n", bench_bus(BENCH_MMIO, true));
    printf("bus I/O tx/s\t%.0f\ttx/s\n", bench_bus(BENCH_IO, false));
    printf("bus I/O tx/s (observed)\t%.0f\ttx/s\n", bench_bus(BENCH_IO, true));
    double dmi = bench_dmi();
    printf("RAM via DMI accesses/s\t%.0f\taccesses/s\n", dmi);
    printf("DMI speed-up over as_access\t%.1f\tx\n", ram > 0 ? dmi / ram : 0.0);
    return 0;
}
