/* event.c: the event queue, a binary min-heap of pointers to events that
 * live inside their owners. Order: (time, priority, sequence). The heap's
 * capacity is reserved when an event is initialised, so event_schedule and
 * event_cancel never allocate. */
#include "event.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim_internal.h"

static bool event_before(const struct event *a, const struct event *b)
{
    if (a->when != b->when)
        return a->when < b->when;
    if (a->priority != b->priority)
        return a->priority < b->priority;
    return a->seq < b->seq;
}

static void heap_place(struct sim *sim, uint32_t i, struct event *ev)
{
    sim->heap[i] = ev;
    ev->heap_index = i;
}

static void heap_sift_up(struct sim *sim, uint32_t i)
{
    struct event *ev = sim->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!event_before(ev, sim->heap[parent]))
            break;
        heap_place(sim, i, sim->heap[parent]);
        i = parent;
    }
    heap_place(sim, i, ev);
}

static void heap_sift_down(struct sim *sim, uint32_t i)
{
    struct event *ev = sim->heap[i];
    uint32_t n = sim->heap_len;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && event_before(sim->heap[child + 1], sim->heap[child]))
            child++;
        if (!event_before(sim->heap[child], ev))
            break;
        heap_place(sim, i, sim->heap[child]);
        i = child;
    }
    heap_place(sim, i, ev);
}

void event_init(struct sim *sim, struct event *ev, const char *name, event_fn fn, void *opaque)
{
    ev->when = 0;
    ev->seq = 0;
    ev->priority = 0;
    ev->heap_index = EVENT_IDLE;
    ev->fn = fn;
    ev->opaque = opaque;
    ev->name = name;
    sim->events_registered++;
    if (sim->events_registered > sim->heap_cap) {
        uint32_t cap = sim->heap_cap ? sim->heap_cap * 2 : 64;
        struct event **h = realloc(sim->heap, cap * sizeof *h);
        if (!h) {
            fprintf(stderr, "clockwork: out of memory\n");
            abort();
        }
        sim->heap = h;
        sim->heap_cap = cap;
    }
}

void event_release(struct sim *sim, struct event *ev)
{
    event_cancel(sim, ev);
    if (sim->events_registered)
        sim->events_registered--;
}

void event_cancel(struct sim *sim, struct event *ev)
{
    uint32_t i = ev->heap_index;
    if (i == EVENT_IDLE)
        return;
    ev->heap_index = EVENT_IDLE;
    uint32_t last = --sim->heap_len;
    if (i == last)
        return;
    heap_place(sim, i, sim->heap[last]);
    if (i > 0 && event_before(sim->heap[i], sim->heap[(i - 1) / 2]))
        heap_sift_up(sim, i);
    else
        heap_sift_down(sim, i);
}

void event_schedule(struct sim *sim, struct event *ev, sim_time_t when, int32_t priority)
{
    if (when < sim->now)
        when = sim->now; /* the past is gone: fire as soon as possible */
    if (event_pending(ev))
        event_cancel(sim, ev);
    ev->when = when;
    ev->priority = priority;
    ev->seq = sim->next_seq++;
    uint32_t i = sim->heap_len++;
    heap_place(sim, i, ev);
    heap_sift_up(sim, i);
}

void event_schedule_in(struct sim *sim, struct event *ev, sim_time_t delay, int32_t priority)
{
    sim_time_t when = sim->now + delay;
    if (when < sim->now)
        when = SIM_TIME_MAX;
    event_schedule(sim, ev, when, priority);
}

sim_time_t sim_next_event_time(const struct sim *sim)
{
    return sim->heap_len ? sim->heap[0]->when : SIM_TIME_MAX;
}

bool sim_fire_next(struct sim *sim, sim_time_t limit)
{
    if (!sim->heap_len)
        return false;
    struct event *ev = sim->heap[0];
    if (ev->when > limit)
        return false;
    event_cancel(sim, ev);
    if (ev->when > sim->now)
        sim->now = ev->when;
    sim->events_fired++;
    ev->fn(ev, ev->opaque);
    return true;
}
