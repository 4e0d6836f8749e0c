/* sim.h: one simulated machine: its clock, event queue, initiators,
 * components, address spaces, signals, markers and the run loop.
 *
 * Temporal decoupling. An initiator (a CPU, a traffic generator) runs ahead
 * of global time inside a time slice the run loop grants: it may execute
 * until min(next pending event, now + quantum) and keeps its own local time.
 * Because no event is pending before the end of its slice, it can make
 * global time equal to its local time at any point (sim_sync) without
 * reordering anything; it must do so before every access a device could
 * observe (I/O, MMIO) and it must re-read its slice end afterwards, since a
 * device may have scheduled an earlier event (sim_slice_end). A quantum of
 * zero gives lock-step behaviour: one step per slice. */
#ifndef CW_SIM_H
#define CW_SIM_H

#include <signal.h>

#include "clock.h"
#include "event.h"
#include "types.h"

struct sim_initiator;

/* Runs the initiator until its local time reaches `slice_end`, it goes idle,
 * it yields, or ini->insns reaches ini->insn_stop. It executes at least one
 * step per call (so a quantum of zero is lock-step) and must advance
 * ini->local_time (or go idle) to progress. Every event due at or before
 * the slice start has fired before the call. */
typedef void (*initiator_run_fn)(struct sim_initiator *ini, sim_time_t slice_end);

struct sim_initiator {
    const char *name;
    initiator_run_fn run;
    void *opaque;
    sim_time_t local_time; /* its own clock; >= sim_now() */
    bool idle;             /* halted: the loop skips it until sim_initiator_wake */
    bool yield;            /* set by anyone to end the current slice early */
    uint64_t insns;        /* instructions retired, for progress and phases */
    uint64_t insn_stop;    /* end the slice when insns reaches this (set by
                              the run loop; UINT64_MAX when unlimited) */
    sim_time_t slice_start; /* set by the run loop */
    struct sim *sim;
    struct sim_initiator *next;
};

enum sim_stop_reason {
    SIM_STOP_NONE = 0,
    SIM_STOP_TIME,      /* guest-time limit reached */
    SIM_STOP_EVENTS,    /* event-count limit reached */
    SIM_STOP_INSNS,     /* instruction-count limit reached */
    SIM_STOP_REQUEST,   /* a component or the host asked (condition met) */
    SIM_STOP_POWEROFF,  /* the guest powered off */
    SIM_STOP_INTERRUPT, /* Ctrl-C or SIGTERM */
    SIM_STOP_WALLCLOCK, /* host-time limit */
    SIM_STOP_IDLE,      /* nothing left to do: no events, every initiator idle */
};

const char *sim_stop_reason_name(enum sim_stop_reason r);

/* Creates an empty machine. Never fails except on out-of-memory (aborts). */
struct sim *sim_create(void);
void sim_destroy(struct sim *sim);

/* Current global time. Inside an initiator's slice, devices see the time of
 * the initiator's last sim_sync. */
sim_time_t sim_now(const struct sim *sim);

/* Time of the earliest pending event, or SIM_TIME_MAX. */
sim_time_t sim_next_event_time(const struct sim *sim);

/* --- initiators (temporal decoupling) --------------------------------- */

/* Adds an initiator; it starts with local_time = sim_now(). */
void sim_add_initiator(struct sim *sim, struct sim_initiator *ini);
void sim_remove_initiator(struct sim *sim, struct sim_initiator *ini);

/* Quantum: how far past global time an initiator may run when no event is
 * pending sooner. 0 = lock-step. */
void sim_set_quantum(struct sim *sim, sim_time_t quantum);
sim_time_t sim_quantum(const struct sim *sim);

/* Makes global time equal to ini->local_time. Called by the initiator
 * before any access a device can observe. Never moves time backwards. */
void sim_sync(struct sim_initiator *ini);

/* The end of the current slice for ini: min(next event, slice start +
 * quantum), recomputed on every call (cheap). An initiator calls this after
 * any device access, since the access may have scheduled an earlier event. */
sim_time_t sim_slice_end(const struct sim_initiator *ini);

/* An idle initiator (HLT) consumes no host time; waking it (from a signal
 * callback, for example) lets it run again from the current global time. */
void sim_initiator_sleep(struct sim_initiator *ini);
void sim_initiator_wake(struct sim_initiator *ini);

/* Ends the current slice early (for example when an interrupt line changes). */
static inline void sim_initiator_yield(struct sim_initiator *ini)
{
    ini->yield = true;
}

/* Sum of instructions retired by all initiators. */
/* --- running ---------------------------------------------------------- */

struct sim_limits {
    sim_time_t until_time;   /* stop when global time reaches this; events at
                                exactly this time do not fire (0 or
                                SIM_TIME_MAX: none) */
    uint64_t max_events;     /* stop after this many events fired (0: none) */
    uint64_t max_insns;      /* stop after this many instructions in total (0: none) */
};

/* Runs until a limit or a stop request. Returns why it stopped. May be
 * called again to continue. */
enum sim_stop_reason sim_run(struct sim *sim, const struct sim_limits *lim);

/* Asks the run loop to stop at the next opportunity (end of the current
 * event or slice). Safe from components and from the host. */
void sim_request_stop(struct sim *sim, enum sim_stop_reason reason);

/* Installs SIGINT/SIGTERM handlers that request SIM_STOP_INTERRUPT on every
 * sim whose run loop is active (async-signal-safe flag). */
void sim_install_signal_handlers(void);
/* True after Ctrl-C/SIGTERM was seen by the handlers above. */
bool sim_interrupted(void);

uint64_t sim_events_fired(const struct sim *sim);
uint64_t sim_total_insns(const struct sim *sim);

/* A callback called from the run loop about every `interval` of host time
 * (checked between slices): progress output, stop-condition polling. */
typedef void (*sim_poll_fn)(struct sim *sim, void *opaque);
void sim_set_poll(struct sim *sim, sim_poll_fn fn, void *opaque, uint64_t interval_ms);

/* --- reset ------------------------------------------------------------ */

/* Resets every component in creation order (machine reset, triple fault).
 * Safe to call from inside a component; the reset happens before the next
 * event or slice. */
void sim_request_reset(struct sim *sim);
uint64_t sim_reset_count(const struct sim *sim);

/* --- markers and phases ------------------------------------------------ */

/* Records a named marker at the current time (and in the trace). Markers
 * delimit boot phases: a phase runs from one marker to the next. Names are
 * copied. The first occurrence of each name is kept for phase accounting;
 * all occurrences go to the trace. */
void sim_marker(struct sim *sim, const char *name);

struct sim_marker_info {
    const char *name;
    sim_time_t time;
    uint64_t insns; /* instructions retired before the marker */
    uint64_t host_ns; /* host monotonic time since the run started */
};
size_t sim_marker_count(const struct sim *sim);
const struct sim_marker_info *sim_marker_get(const struct sim *sim, size_t i);
/* Host callback on each marker (stop conditions "marker:NAME"). */
typedef void (*sim_marker_fn)(struct sim *sim, const char *name, void *opaque);
void sim_add_marker_hook(struct sim *sim, sim_marker_fn fn, void *opaque);
void sim_remove_marker_hook(struct sim *sim, sim_marker_fn fn, void *opaque);

/* --- logging ------------------------------------------------------------ */

/* Diagnostic messages from models (not guest output): prefixed with the
 * component name and guest time, written to stderr unless quiet. */
void sim_log(struct sim *sim, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sim_set_log_quiet(struct sim *sim, bool quiet);

#endif
