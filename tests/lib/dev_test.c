/* dev_test.c: see dev_test.h. */
#include "tests/lib/dev_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/signal.h"

struct component *dev_test_component(struct sim *sim, const char *name, const char *type,
                                     const char *yaml, struct ynode **keep)
{
    struct cw_error err = {{0}};
    *keep = ytree_load_string(yaml, strlen(yaml), name, &err);
    if (!*keep)
        fail_msg("yaml: %s", err.msg);
    const struct component_type *t = component_type_find(type);
    if (!t)
        fail_msg("component type '%s' is not in this build", type);
    struct component *c = component_create(sim, name, t, *keep, &err);
    if (!c)
        fail_msg("create %s: %s", name, err.msg);
    return c;
}

void dev_test_wire(struct sim *sim, const char *from, const char *to)
{
    struct cw_error err = {{0}};
    if (signal_connect(sim, from, to, &err) != 0)
        fail_msg("wire %s -> %s: %s", from, to, err.msg);
}

uint64_t dev_test_stat(struct component *c, const char *name)
{
    for (struct stat_entry *e = c->stats; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return *e->counter;
    fail_msg("%s has no statistic '%s'", c->name, name);
    return 0;
}
