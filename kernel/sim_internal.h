/* sim_internal.h: the machine object's layout, shared by the kernel's own
 * files only. Models use the functions in sim.h and friends. */
#ifndef CW_SIM_INTERNAL_H
#define CW_SIM_INTERNAL_H

#include "bus.h"
#include "component.h"
#include "sim.h"
#include "signal.h"

struct signal_input {
    char *name;
    signal_input_fn fn;
    void *opaque;
    int line;
    int level;        /* what the input last saw: -1 before any wire */
    int high_sources; /* wires currently driving 1 (wired-OR) */
    struct signal_input *next;
};

/* One wire from an output to an input. */
struct signal_wire {
    struct signal_input *input;
    int level;
};

struct hook {
    void (*fn)(void);
    void *opaque;
    struct hook *next;
};

struct clock_entry {
    struct clock_domain clock;
    char *name;
    struct clock_entry *next;
};

struct space_entry {
    struct addr_space *as;
    struct space_entry *next;
};

struct sim {
    sim_time_t now;
    sim_time_t until;        /* the active run's time limit */
    sim_time_t quantum;

    /* event queue: binary min-heap of pointers, capacity reserved by
     * event_init so that scheduling never allocates */
    struct event **heap;
    uint32_t heap_len;
    uint32_t heap_cap;
    uint32_t events_registered;
    uint64_t next_seq;
    uint64_t events_fired;

    struct sim_initiator *initiators;
    uint64_t insns_removed;  /* instructions of initiators since removed */

    volatile enum sim_stop_reason stop;
    bool running;
    bool reset_pending;
    uint64_t resets;

    struct component *components, **components_tail;
    uint16_t next_component_id;
    struct space_entry *spaces;
    struct clock_entry *clocks;
    struct signal *signals;
    struct signal_input *inputs;

    struct sim_marker_info *markers;
    size_t nmarkers, markers_cap;
    struct hook *marker_hooks;
    struct hook *signal_hooks;

    sim_poll_fn poll_fn;
    void *poll_opaque;
    uint64_t poll_interval_ns;
    uint64_t next_poll_ns;
    uint64_t run_start_ns;

    bool log_quiet;
};

uint64_t sim_host_ns(void);
/* Pops and fires the earliest event if it is due at or before `limit`.
 * Returns false when nothing was due. */
bool sim_fire_next(struct sim *sim, sim_time_t limit);
void component_destroy_all(struct sim *sim);
void signal_destroy_all(struct sim *sim);

#endif
