/* clock.c: exact conversion between cycles of a clock domain and picoseconds.
 * Cycle n of a domain with frequency num/den Hz begins at
 * ceil(n * 10^12 * den / num) ps. With this choice, time_to_cycles is the
 * exact inverse: the largest n whose start is <= t. */
#include "clock.h"

#include <assert.h>

#define PS_PER_S 1000000000000ull

typedef unsigned __int128 u128;

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int clock_init(struct clock_domain *c, const char *name, uint64_t hz_num, uint64_t hz_den)
{
    if (hz_num == 0 || hz_den == 0)
        return -1;
    uint64_t g = gcd_u64(hz_num, hz_den);
    c->name = name;
    c->hz_num = hz_num / g;
    c->hz_den = hz_den / g;
    /* 10^12 * den must fit 64 bits for the split arithmetic below. */
    if (c->hz_den > UINT64_MAX / PS_PER_S)
        return -1;
    return 0;
}

/* ceil(n * D / num) with D = 10^12 * den, computed without overflow by
 * splitting n = q * num + r. */
sim_time_t clock_cycles_to_time(const struct clock_domain *c, uint64_t cycles)
{
    uint64_t d = PS_PER_S * c->hz_den;
    uint64_t q = cycles / c->hz_num;
    uint64_t r = cycles % c->hz_num;
    u128 whole = (u128)q * d;
    u128 part = ((u128)r * d + c->hz_num - 1) / c->hz_num;
    u128 t = whole + part;
    return t > UINT64_MAX ? SIM_TIME_MAX : (sim_time_t)t;
}

/* floor(t * num / D), the largest n with clock_cycles_to_time(n) <= t. */
uint64_t clock_time_to_cycles(const struct clock_domain *c, sim_time_t t)
{
    uint64_t d = PS_PER_S * c->hz_den;
    uint64_t q = t / d;
    uint64_t r = t % d;
    u128 n = (u128)q * c->hz_num + ((u128)r * c->hz_num) / d;
    return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

sim_time_t clock_next_edge(const struct clock_domain *c, sim_time_t t)
{
    uint64_t n = clock_time_to_cycles(c, t);
    sim_time_t e = clock_cycles_to_time(c, n);
    if (e >= t)
        return e;
    return clock_cycles_to_time(c, n + 1);
}

sim_time_t clock_period_ps(const struct clock_domain *c)
{
    u128 d = (u128)PS_PER_S * c->hz_den;
    return (sim_time_t)((d + c->hz_num / 2) / c->hz_num);
}
