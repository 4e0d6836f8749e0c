/* signal.h: wires between components (interrupt lines, reset, A20, gates).
 *
 * A signal is an output owned by one component with a current level (0 or
 * 1). Inputs (sinks) are callbacks; one signal fans out to any number of
 * inputs. Level semantics: signal_set(s, level) notifies sinks only when the
 * level changes. Edge semantics: signal_pulse(s) drives 1 then 0 at the same
 * instant, so an edge-triggered receiver sees a rising edge. The receiver
 * decides how it interprets what it sees (the 8259's ELCR chooses per line).
 * Wiring is by name: "pit0.out" -> "pic0.ir0". Several outputs wired to one
 * input are OR-ed (a shared, active-high line): the input is called only
 * when the OR changes, and once at connection time with the current OR. */
#ifndef CW_SIGNAL_H
#define CW_SIGNAL_H

#include "types.h"

/* Input callback: `line` is the number given at registration. */
typedef void (*signal_input_fn)(void *opaque, int line, int level);

struct signal_sink {
    signal_input_fn fn;
    void *opaque;
    int line;
    char *name;                /* "pic0.ir0" */
    bool owns_opaque;          /* a wire record the kernel frees */
    struct signal_sink *next;
};

struct signal {
    char *name;                /* "pit0.out" */
    int level;
    uint16_t owner_id;
    bool traced;               /* edges go to the trace database */
    struct signal_sink *sinks;
    struct sim *sim;
    struct signal *next;       /* in the sim's list */
};

/* Creates an output signal named "<component>.<pin>". Owned by the sim. */
struct signal *signal_create(struct sim *sim, struct component *owner, const char *pin);

/* Registers an input "<component>.<pin>" that signals can be wired to. */
int signal_input_register(struct sim *sim, struct component *owner, const char *pin,
                          signal_input_fn fn, void *opaque, int line);

/* Connects output `from` ("pit0.out") to input `to` ("pic0.ir0"). The input
 * is told the (OR-ed) level at once, 0 or 1. Errors name what is missing. */
int signal_connect(struct sim *sim, const char *from, const char *to, struct cw_error *err);

/* Connects an output directly to a callback (tests, host code). */
void signal_add_sink(struct signal *s, signal_input_fn fn, void *opaque, int line);

void signal_set(struct signal *s, int level);
void signal_pulse(struct signal *s);
static inline int signal_level(const struct signal *s) { return s->level; }

struct signal *signal_find(struct sim *sim, const char *name);
bool signal_input_exists(struct sim *sim, const char *name);

/* Host-side hooks called on every level change of every signal. */
typedef void (*signal_trace_fn)(void *opaque, const struct signal *s, int level);
void signal_add_trace_hook(struct sim *sim, signal_trace_fn fn, void *opaque);
void signal_remove_trace_hook(struct sim *sim, signal_trace_fn fn, void *opaque);

#endif
