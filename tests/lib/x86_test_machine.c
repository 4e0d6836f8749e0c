/* x86_test_machine.c: builds the small test machine of x86_test_machine.h
 * by hand (sim, spaces, RAM, clock, component) as unit tests do. */
#include "tests/lib/x86_test_machine.h"

#include <stdio.h>
#include <string.h>

int x86_rig_create(struct x86_rig *r, uint64_t ram_size, const char *extra_yaml,
                   struct cw_error *err)
{
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->mem = as_create(r->sim, "memory", SPACE_MEMORY, 32);
    sim_add_space(r->sim, r->mem);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    sim_add_clock(r->sim, "cpu", 100000000, 1);
    r->ram = as_add_ram(r->mem, NULL, "ram", 0, ram_size, err);
    if (!r->ram)
        return -1;
    r->ram_host = r->ram->host;
    r->ram_size = ram_size;
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "type: x86-cpu\nclock: cpu\nmemory: memory\nio: io\n%s",
             extra_yaml ? extra_yaml : "");
    r->yaml = ytree_load_string(yaml, strlen(yaml), "cpu0", err);
    if (!r->yaml)
        return -1;
    const struct component_type *t = component_type_find("x86-cpu");
    if (!t)
        return cw_errorf(err, "x86-cpu is not registered");
    r->comp = component_create(r->sim, "cpu0", t, r->yaml, err);
    if (!r->comp)
        return -1;
    if (t->realize && t->realize(r->comp, err) != 0)
        return -1;
    r->cpu = x86_cpu_of(r->comp);
    return 0;
}

void x86_rig_destroy(struct x86_rig *r)
{
    if (r->sim)
        sim_destroy(r->sim);
    if (r->yaml)
        ytree_free(r->yaml);
    memset(r, 0, sizeof *r);
}
