/* component.h: component types, instances, parameters, interfaces, stats.
 *
 * A model is a `const struct component_type` defined at file scope in its
 * models/ file; the build collects every such definition into the registry
 * (scripts/gen-registry.sh), so adding a model never edits a shared list.
 *
 * Instances are created from the machine YAML:
 *
 *     components:
 *       pit0:
 *         type: i8254
 *         clock: pit            # parameters, validated against type->params
 *         io-base: 0x40
 *
 * The loader checks every key against the type's parameter table (unknown
 * keys, wrong types and bad units are errors with file:line:column) before
 * create() runs; create() reads values with the params_* accessors. */
#ifndef CW_COMPONENT_H
#define CW_COMPONENT_H

#include "bus.h"
#include "clock.h"
#include "types.h"

enum param_type {
    PARAM_U64,      /* integer, decimal or 0x hex */
    PARAM_I64,
    PARAM_BOOL,
    PARAM_STRING,
    PARAM_PATH,     /* file name; relative to the YAML file that set it */
    PARAM_SIZE,     /* "16MiB" */
    PARAM_FREQ,     /* "1.193182MHz" */
    PARAM_TIME,     /* "70ns" */
    PARAM_CLOCK,    /* name of a clock domain of the machine */
    PARAM_SPACE,    /* name of an address space of the machine */
    PARAM_COMPONENT,/* name of another component instance */
    PARAM_NODE,     /* any YAML subtree; the model validates it itself */
};

struct param_desc {
    const char *name;
    enum param_type type;
    const char *default_value; /* NULL: required (unless `optional`) */
    const char *help;
    bool optional;             /* may be absent without a default */
};
#define PARAM_END { NULL, 0, NULL, NULL, false }

struct params;

/* A growable byte buffer for checkpoints. */
struct cw_blob {
    uint8_t *data;
    size_t len, cap;
};
void cw_blob_put(struct cw_blob *b, const void *data, size_t len);

struct component_type {
    const char *name;          /* "i8254" */
    const char *description;   /* one line for `clockwork models` */
    const struct param_desc *params;
    /* Builds the instance: allocate state (c->state), map regions, create
     * signals and inputs, register stats. Return -1 with err filled (use
     * params_error for parameter problems) to refuse. */
    int (*create)(struct component *c, const struct params *p, struct cw_error *err);
    /* Called after every component exists (resolve interfaces of other
     * components). Optional. */
    int (*realize)(struct component *c, struct cw_error *err);
    /* Power-on and machine reset. Optional. */
    void (*reset)(struct component *c);
    /* Frees c->state and anything create made outside the kernel's
     * ownership. Regions, signals and stats are released by the kernel;
     * pending events are dropped before any destroy runs. Also called when
     * create() failed part-way, so it must cope with c->state == NULL or a
     * partly built state. Optional. */
    void (*destroy)(struct component *c);
    /* Checkpointing (designed in, used later): write/read the state as a
     * flat blob. Optional. */
    int (*save)(struct component *c, struct cw_blob *out);
    int (*load)(struct component *c, const void *data, size_t len, struct cw_error *err);
};

struct stat_entry;

struct component {
    const struct component_type *type;
    char *name;               /* instance name, "pit0" */
    uint16_t id;              /* 1.. in creation order; trace `component` id */
    struct sim *sim;
    void *state;              /* the model's own struct */
    const struct ynode *config; /* the component's YAML map (for errors) */
    struct stat_entry *stats;
    struct params *params;    /* kept for the component's lifetime */
    struct iface_entry *ifaces;
    bool broken;              /* create() failed: kept only to be destroyed */
    struct component *next;
};

struct iface_entry;

/* --- parameters --------------------------------------------------------- */

/* Accessors return the parsed value or the type's default. For a missing
 * optional parameter with no default they return false (has-value) and
 * leave *out untouched. Values were validated before create(), so these do
 * not fail for well-typed input. */
bool params_has(const struct params *p, const char *name);
bool params_u64(const struct params *p, const char *name, uint64_t *out);
bool params_i64(const struct params *p, const char *name, int64_t *out);
bool params_bool(const struct params *p, const char *name, bool *out);
/* Strings stay valid for the component's lifetime. */
const char *params_string(const struct params *p, const char *name);
/* PARAM_PATH resolved relative to the YAML file that set it. */
const char *params_path(const struct params *p, const char *name);
bool params_size(const struct params *p, const char *name, uint64_t *out);
bool params_time(const struct params *p, const char *name, sim_time_t *out);
bool params_freq(const struct params *p, const char *name, uint64_t *num, uint64_t *den);
struct clock_domain *params_clock(const struct params *p, const char *name);
struct addr_space *params_space(const struct params *p, const char *name);
struct component *params_component(const struct params *p, const char *name);
const struct ynode *params_node(const struct params *p, const char *name);
/* Location-bearing error about parameter `name` (or the component if the
 * parameter is absent). Returns -1. */
int params_error(const struct params *p, const char *name, struct cw_error *err,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* --- registry and instances ---------------------------------------------- */

const struct component_type *component_type_find(const char *name);
/* NULL-terminated, sorted by name. */
const struct component_type *const *component_types_all(void);

/* Creates an instance from a parameter map (the loader's path). `config` is
 * the component's YAML map (type key included). */
struct component *component_create(struct sim *sim, const char *instance,
                                    const struct component_type *type,
                                    const struct ynode *config, struct cw_error *err);
struct component *sim_find_component(struct sim *sim, const char *name);
struct component *sim_component_by_id(struct sim *sim, uint16_t id);
struct component *sim_components(struct sim *sim); /* creation order */

/* Checks that every PARAM_COMPONENT parameter of every component names an
 * existing instance (references may point forward, so this runs after all
 * components exist). Error with the parameter's location. */
int sim_check_component_refs(struct sim *sim, struct cw_error *err);

/* Realizes all components in creation order (type->realize). */
int sim_realize_components(struct sim *sim, struct cw_error *err);

/* Runs every component's reset now (power-on). */
void sim_reset_components(struct sim *sim);

/* --- interfaces ------------------------------------------------------------
 * A component exports typed C interfaces under a name so others can find
 * them by instance name from their parameters, e.g. the PIC exports
 * "intack" and the CPU's `interrupt-controller: pic0` looks it up in
 * realize(). The pointer must outlive the component. */
void component_export(struct component *c, const char *iface, void *ptr);
void *component_interface(struct component *c, const char *iface);

/* Interrupt acknowledge: the CPU's INTA cycle asks the controller for a
 * vector. Exported as "intack" by interrupt controllers. */
struct intack_iface {
    int (*acknowledge)(void *opaque); /* returns vector 0..255 */
    void *opaque;
};

/* --- address spaces and clocks of the machine ------------------------------ */

struct addr_space *sim_find_space(struct sim *sim, const char *name);
void sim_add_space(struct sim *sim, struct addr_space *as); /* sim owns it */
/* The i-th space in the order they were added, or NULL past the last. */
struct addr_space *sim_space_at(struct sim *sim, size_t i);
struct clock_domain *sim_find_clock(struct sim *sim, const char *name);
struct clock_domain *sim_add_clock(struct sim *sim, const char *name, uint64_t num,
                                   uint64_t den);

/* --- statistics --------------------------------------------------------------
 * Named counters: a model keeps uint64_t fields in its state and registers
 * pointers to them. Printed at the end of a run and stored in the trace. */
void stat_register(struct component *c, const char *name, const char *help, uint64_t *counter);

struct stat_entry {
    char *name;
    const char *help;
    uint64_t *counter;
    struct stat_entry *next;
};

/* --- trace naming -------------------------------------------------------------- */

/* A shared unit id for host-side initiators (the loader, the debugger). */
#define COMPONENT_ID_NONE 0

#endif
