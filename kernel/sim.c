/* sim.c: the machine object and its run loop.
 *
 * The loop alternates two things: it grants each running initiator a time
 * slice that ends no later than the next pending event (so the initiator
 * can make global time equal to its local time at any point without
 * reordering anything), and it fires the events that became due. When every
 * initiator is idle, global time jumps straight to the next event. */
#include "sim.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_internal.h"

static volatile sig_atomic_t g_interrupted;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    return p;
}

uint64_t sim_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *sim_stop_reason_name(enum sim_stop_reason r)
{
    switch (r) {
    case SIM_STOP_NONE: return "none";
    case SIM_STOP_TIME: return "guest-time limit";
    case SIM_STOP_EVENTS: return "event limit";
    case SIM_STOP_INSNS: return "instruction limit";
    case SIM_STOP_REQUEST: return "condition met";
    case SIM_STOP_POWEROFF: return "guest powered off";
    case SIM_STOP_INTERRUPT: return "interrupted";
    case SIM_STOP_WALLCLOCK: return "wall-clock limit";
    case SIM_STOP_IDLE: return "idle (nothing left to do)";
    }
    return "unknown";
}

struct sim *sim_create(void)
{
    struct sim *sim = xcalloc(1, sizeof *sim);
    sim->until = SIM_TIME_MAX;
    sim->quantum = SIM_US(1);
    sim->components_tail = &sim->components;
    sim->next_component_id = 1;
    return sim;
}

static void hooks_free(struct hook *h)
{
    while (h) {
        struct hook *n = h->next;
        free(h);
        h = n;
    }
}

void sim_destroy(struct sim *sim)
{
    if (!sim)
        return;
    component_destroy_all(sim);
    for (struct space_entry *e = sim->spaces; e;) {
        struct space_entry *n = e->next;
        as_destroy(e->as);
        free(e);
        e = n;
    }
    signal_destroy_all(sim);
    for (struct clock_entry *c = sim->clocks; c;) {
        struct clock_entry *n = c->next;
        free(c->name);
        free(c);
        c = n;
    }
    for (size_t i = 0; i < sim->nmarkers; i++)
        free((char *)sim->markers[i].name);
    free(sim->markers);
    hooks_free(sim->marker_hooks);
    hooks_free(sim->signal_hooks);
    free(sim->heap);
    free(sim);
}

sim_time_t sim_now(const struct sim *sim)
{
    return sim->now;
}

uint64_t sim_events_fired(const struct sim *sim)
{
    return sim->events_fired;
}

uint64_t sim_total_insns(const struct sim *sim)
{
    uint64_t n = sim->insns_removed;
    for (struct sim_initiator *i = sim->initiators; i; i = i->next)
        n += i->insns;
    return n;
}

/* --- initiators --------------------------------------------------------- */

void sim_add_initiator(struct sim *sim, struct sim_initiator *ini)
{
    ini->sim = sim;
    ini->local_time = sim->now;
    ini->yield = false;
    ini->insn_stop = UINT64_MAX;
    struct sim_initiator **p = &sim->initiators;
    while (*p)
        p = &(*p)->next;
    ini->next = NULL;
    *p = ini;
}

void sim_remove_initiator(struct sim *sim, struct sim_initiator *ini)
{
    for (struct sim_initiator **p = &sim->initiators; *p; p = &(*p)->next) {
        if (*p == ini) {
            *p = ini->next;
            sim->insns_removed += ini->insns;
            return;
        }
    }
}

void sim_set_quantum(struct sim *sim, sim_time_t quantum)
{
    sim->quantum = quantum;
}

sim_time_t sim_quantum(const struct sim *sim)
{
    return sim->quantum;
}

void sim_sync(struct sim_initiator *ini)
{
    struct sim *sim = ini->sim;
    if (ini->local_time > sim->now)
        sim->now = ini->local_time;
}

sim_time_t sim_slice_end(const struct sim_initiator *ini)
{
    const struct sim *sim = ini->sim;
    sim_time_t end = sim_next_event_time(sim);
    sim_time_t q = ini->slice_start + sim->quantum;
    if (q < ini->slice_start)
        q = SIM_TIME_MAX;
    if (q < end)
        end = q;
    if (sim->until < end)
        end = sim->until;
    return end;
}

void sim_initiator_sleep(struct sim_initiator *ini)
{
    ini->idle = true;
    ini->yield = true;
}

void sim_initiator_wake(struct sim_initiator *ini)
{
    if (!ini->idle)
        return;
    ini->idle = false;
    if (ini->sim && ini->local_time < ini->sim->now)
        ini->local_time = ini->sim->now;
}

/* --- stop, reset, signals ------------------------------------------------- */

void sim_request_stop(struct sim *sim, enum sim_stop_reason reason)
{
    if (sim->stop == SIM_STOP_NONE)
        sim->stop = reason;
    for (struct sim_initiator *i = sim->initiators; i; i = i->next)
        i->yield = true;
}

static void on_terminate_signal(int signo)
{
    g_interrupted = 1;
    /* A second Ctrl-C kills the process the usual way. */
    signal(signo, SIG_DFL);
}

void sim_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_terminate_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool sim_interrupted(void)
{
    return g_interrupted != 0;
}

void sim_request_reset(struct sim *sim)
{
    sim->reset_pending = true;
    for (struct sim_initiator *i = sim->initiators; i; i = i->next)
        i->yield = true;
}

uint64_t sim_reset_count(const struct sim *sim)
{
    return sim->resets;
}

static void sim_do_reset(struct sim *sim)
{
    sim->reset_pending = false;
    sim->resets++;
    sim_reset_components(sim);
    for (struct sim_initiator *i = sim->initiators; i; i = i->next)
        if (i->local_time < sim->now)
            i->local_time = sim->now;
}

void sim_set_poll(struct sim *sim, sim_poll_fn fn, void *opaque, uint64_t interval_ms)
{
    sim->poll_fn = fn;
    sim->poll_opaque = opaque;
    sim->poll_interval_ns = interval_ms * 1000000ull;
}

/* --- run loop -------------------------------------------------------------- */

static bool sim_check_stop(struct sim *sim, const struct sim_limits *lim)
{
    if (g_interrupted && sim->stop == SIM_STOP_NONE)
        sim->stop = SIM_STOP_INTERRUPT;
    if (sim->stop != SIM_STOP_NONE)
        return true;
    if (lim->max_events && sim->events_fired >= lim->max_events) {
        sim->stop = SIM_STOP_EVENTS;
        return true;
    }
    if (lim->max_insns && sim_total_insns(sim) >= lim->max_insns) {
        sim->stop = SIM_STOP_INSNS;
        return true;
    }
    if (sim->now >= sim->until) {
        sim->stop = SIM_STOP_TIME;
        return true;
    }
    return false;
}

static void sim_poll(struct sim *sim)
{
    if (!sim->poll_fn)
        return;
    uint64_t t = sim_host_ns();
    if (t < sim->next_poll_ns)
        return;
    sim->next_poll_ns = t + sim->poll_interval_ns;
    sim->poll_fn(sim, sim->poll_opaque);
}

/* Grants every running initiator one slice. Returns true if any ran. */
static bool sim_run_initiators(struct sim *sim, const struct sim_limits *lim)
{
    bool any = false;
    sim_time_t start = sim->now;
    for (struct sim_initiator *ini = sim->initiators; ini; ini = ini->next) {
        if (ini->idle)
            continue;
        any = true;
        if (ini->local_time < start)
            ini->local_time = start;
        ini->slice_start = start;
        ini->yield = false;
        ini->insn_stop = UINT64_MAX;
        if (lim->max_insns) {
            uint64_t total = sim_total_insns(sim);
            uint64_t left = lim->max_insns > total ? lim->max_insns - total : 0;
            ini->insn_stop = ini->insns + left;
        }
        ini->run(ini, sim_slice_end(ini));
        if (sim->stop != SIM_STOP_NONE || sim->reset_pending)
            break;
    }
    if (!any)
        return false;
    /* Global time follows the slowest running initiator. */
    sim_time_t t = SIM_TIME_MAX;
    for (struct sim_initiator *ini = sim->initiators; ini; ini = ini->next)
        if (!ini->idle && ini->local_time < t)
            t = ini->local_time;
    if (t != SIM_TIME_MAX && t > sim->now)
        sim->now = t;
    return true;
}

enum sim_stop_reason sim_run(struct sim *sim, const struct sim_limits *lim)
{
    static const struct sim_limits none = { SIM_TIME_MAX, 0, 0 };
    if (!lim)
        lim = &none;
    sim->stop = SIM_STOP_NONE;
    sim->until = lim->until_time ? lim->until_time : SIM_TIME_MAX;
    sim->running = true;
    if (!sim->run_start_ns)
        sim->run_start_ns = sim_host_ns();
    sim->next_poll_ns = 0;
    uint32_t iteration = 0;

    for (;;) {
        if (sim->reset_pending)
            sim_do_reset(sim);
        if ((++iteration & 63) == 0 || sim->poll_interval_ns == 0)
            sim_poll(sim);
        if (sim_check_stop(sim, lim))
            break;

        /* Fire everything due by now first, so a slice never starts with
         * an event already due. An event may wake an initiator or schedule
         * more events at the same time; fire those too. */
        while (sim_fire_next(sim, sim->now)) {
            if (sim->stop != SIM_STOP_NONE || sim->reset_pending)
                break;
            if (lim->max_events && sim->events_fired >= lim->max_events)
                break;
        }
        if (sim->stop != SIM_STOP_NONE || sim->reset_pending)
            continue;
        if (lim->max_events && sim->events_fired >= lim->max_events)
            continue;

        if (sim_run_initiators(sim, lim))
            continue;

        /* Everyone sleeps: jump to the next event. */
        sim_time_t next = sim_next_event_time(sim);
        if (next == SIM_TIME_MAX && sim->until == SIM_TIME_MAX) {
            sim->stop = SIM_STOP_IDLE;
            break;
        }
        sim->now = next < sim->until ? next : sim->until;
    }
    sim->running = false;
    sim->until = SIM_TIME_MAX;
    return sim->stop;
}

/* --- markers --------------------------------------------------------------- */

void sim_marker(struct sim *sim, const char *name)
{
    if (sim->nmarkers == sim->markers_cap) {
        size_t cap = sim->markers_cap ? sim->markers_cap * 2 : 16;
        struct sim_marker_info *m = realloc(sim->markers, cap * sizeof *m);
        if (!m) {
            fprintf(stderr, "clockwork: out of memory\n");
            abort();
        }
        sim->markers = m;
        sim->markers_cap = cap;
    }
    struct sim_marker_info *m = &sim->markers[sim->nmarkers++];
    m->name = strdup(name);
    m->time = sim->now;
    /* An initiator that is ahead of global time marks at its own time. */
    for (struct sim_initiator *i = sim->initiators; i; i = i->next)
        if (!i->idle && i->local_time > m->time)
            m->time = i->local_time;
    m->insns = sim_total_insns(sim);
    m->host_ns = sim->run_start_ns ? sim_host_ns() - sim->run_start_ns : 0;
    for (struct hook *h = sim->marker_hooks; h; h = h->next)
        ((sim_marker_fn)h->fn)(sim, name, h->opaque);
}

size_t sim_marker_count(const struct sim *sim)
{
    return sim->nmarkers;
}

const struct sim_marker_info *sim_marker_get(const struct sim *sim, size_t i)
{
    return i < sim->nmarkers ? &sim->markers[i] : NULL;
}

static void hook_add(struct hook **list, void (*fn)(void), void *opaque)
{
    struct hook *h = xcalloc(1, sizeof *h);
    h->fn = fn;
    h->opaque = opaque;
    while (*list)
        list = &(*list)->next;
    *list = h;
}

static void hook_remove(struct hook **list, void (*fn)(void), void *opaque)
{
    for (; *list; list = &(*list)->next) {
        if ((*list)->fn == fn && (*list)->opaque == opaque) {
            struct hook *h = *list;
            *list = h->next;
            free(h);
            return;
        }
    }
}

void sim_remove_marker_hook(struct sim *sim, sim_marker_fn fn, void *opaque)
{
    hook_remove(&sim->marker_hooks, (void (*)(void))fn, opaque);
}

void signal_remove_trace_hook(struct sim *sim, signal_trace_fn fn, void *opaque)
{
    hook_remove(&sim->signal_hooks, (void (*)(void))fn, opaque);
}

void sim_add_marker_hook(struct sim *sim, sim_marker_fn fn, void *opaque)
{
    hook_add(&sim->marker_hooks, (void (*)(void))fn, opaque);
}

void signal_add_trace_hook(struct sim *sim, signal_trace_fn fn, void *opaque)
{
    hook_add(&sim->signal_hooks, (void (*)(void))fn, opaque);
}

/* --- logging ---------------------------------------------------------------- */

void sim_set_log_quiet(struct sim *sim, bool quiet)
{
    sim->log_quiet = quiet;
}

void sim_log(struct sim *sim, const char *who, const char *fmt, ...)
{
    if (sim && sim->log_quiet)
        return;
    sim_time_t t = sim ? sim->now : 0;
    fprintf(stderr, "[%4llu.%06llus] %s: ", (unsigned long long)(t / SIM_S(1)),
            (unsigned long long)(t % SIM_S(1) / SIM_US(1)), who ? who : "sim");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
