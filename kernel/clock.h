/* clock.h: clock domains with exact cycle <-> picosecond conversion.
 * A frequency is held as the rational num/den Hz, so a 1.193182 MHz PIT is
 * 1193182/1 Hz and 14.31818 MHz / 12 is exact too. Conversions use 128-bit
 * intermediates: cycle n starts at ceil(n * 10^12 * den / num) ps, so there
 * is no accumulated drift however many cycles pass. */
#ifndef CW_CLOCK_H
#define CW_CLOCK_H

#include "types.h"

struct clock_domain {
    const char *name;
    uint64_t hz_num; /* frequency = hz_num / hz_den Hz */
    uint64_t hz_den;
};

/* Sets a domain from num/den Hz (reduced). Returns -1 if num or den is 0. */
int clock_init(struct clock_domain *c, const char *name, uint64_t hz_num, uint64_t hz_den);

/* Time at which cycle `cycles` begins: ceil(cycles * 1e12 * den / num). */
sim_time_t clock_cycles_to_time(const struct clock_domain *c, uint64_t cycles);

/* The last cycle begun by time t: floor(t * num / (1e12 * den)), the largest
 * n with clock_cycles_to_time(n) <= t. */
uint64_t clock_time_to_cycles(const struct clock_domain *c, sim_time_t t);

/* Start time of the first cycle boundary at or after t. */
sim_time_t clock_next_edge(const struct clock_domain *c, sim_time_t t);

/* Period rounded to the nearest picosecond (for reporting only). */
sim_time_t clock_period_ps(const struct clock_domain *c);

#endif
