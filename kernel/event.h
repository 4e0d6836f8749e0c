/* event.h: the discrete-event queue.
 * Events are embedded in the component that owns them; scheduling never
 * allocates. The queue is ordered by (time, priority, sequence number): the
 * sequence number is taken when an event is scheduled, so two runs of the
 * same configuration fire events in exactly the same order. */
#ifndef CW_EVENT_H
#define CW_EVENT_H

#include "types.h"

typedef void (*event_fn)(struct event *ev, void *opaque);

struct event {
    sim_time_t when;     /* firing time (valid while pending) */
    uint64_t seq;        /* tie-breaker, assigned by event_schedule */
    int32_t priority;    /* lower fires first at equal time */
    uint32_t heap_index; /* position in the queue; EVENT_IDLE when not pending */
    event_fn fn;
    void *opaque;
    const char *name;    /* for traces and debugging */
};

#define EVENT_IDLE UINT32_MAX

/* Priorities for common cases; any int32 works. */
enum {
    EVENT_PRIO_HIGH = -100,
    EVENT_PRIO_DEFAULT = 0,
    EVENT_PRIO_LOW = 100,
};

/* Prepares an event. Must be called once before any schedule. Registering
 * it with a sim reserves its queue slot so scheduling never allocates. */
void event_init(struct sim *sim, struct event *ev, const char *name, event_fn fn, void *opaque);

/* Schedules (or moves) ev to fire at absolute time `when` (>= sim_now). */
void event_schedule(struct sim *sim, struct event *ev, sim_time_t when, int32_t priority);

/* Schedules ev `delay` picoseconds from now. */
void event_schedule_in(struct sim *sim, struct event *ev, sim_time_t delay, int32_t priority);

/* Removes ev from the queue if pending; harmless otherwise. */
void event_cancel(struct sim *sim, struct event *ev);

static inline bool event_pending(const struct event *ev)
{
    return ev->heap_index != EVENT_IDLE;
}

/* Releases the queue slot reserved by event_init (component teardown). */
void event_release(struct sim *sim, struct event *ev);

#endif
