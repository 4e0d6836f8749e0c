/* types.h: the small vocabulary shared by every kernel interface.
 * Simulated time, errors with source locations, and forward declarations. */
#ifndef CW_TYPES_H
#define CW_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Simulated time: picoseconds since power-on. 2^64 ps is about 213 days. */
typedef uint64_t sim_time_t;
#define SIM_TIME_MAX UINT64_MAX
#define SIM_PS(x) ((sim_time_t)(x))
#define SIM_NS(x) ((sim_time_t)(x) * 1000ull)
#define SIM_US(x) ((sim_time_t)(x) * 1000000ull)
#define SIM_MS(x) ((sim_time_t)(x) * 1000000000ull)
#define SIM_S(x) ((sim_time_t)(x) * 1000000000000ull)

struct sim;
struct component;
struct event;
struct addr_space;
struct signal;
struct ynode;

/* A user-facing error: one line, already formatted with its location
 * ("machines/pc.yaml:12:5: unknown key 'sise'; expected one of ..."). */
struct cw_error {
    char msg[1024];
};

/* Formats into err (if non-NULL) and returns -1, so callers can write
 * `return cw_errorf(err, "...")`. */
int cw_errorf(struct cw_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
