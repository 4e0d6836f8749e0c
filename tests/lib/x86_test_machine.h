/* x86_test_machine.h: a minimal machine around one "x86-cpu" for tests:
 * a memory space with RAM from 0, an I/O space and a 100 MHz clock. */
#ifndef CW_X86_TEST_MACHINE_H
#define CW_X86_TEST_MACHINE_H

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"
#include "models/cpu/x86/x86.h"

struct x86_rig {
    struct sim *sim;
    struct addr_space *mem, *io;
    struct region *ram;
    uint8_t *ram_host;
    uint64_t ram_size;
    struct ynode *yaml;
    struct component *comp;
    struct x86_cpu *cpu;
};

/* Builds the rig. `extra_yaml` adds "key: value" lines to the CPU's map
 * (may be NULL). Returns 0, or -1 with err filled. */
int x86_rig_create(struct x86_rig *r, uint64_t ram_size, const char *extra_yaml,
                   struct cw_error *err);
void x86_rig_destroy(struct x86_rig *r);

#endif
