/* component.c: the registry of component types, instances created from
 * YAML with validated parameters, interfaces exported by name, statistics,
 * and the machine's clock domains and address spaces. */
#include "component.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "sim_internal.h"
#include "ytree.h"

extern const struct component_type *const cw_component_registry[];

struct param_value {
    const struct param_desc *desc;
    const struct ynode *node;  /* from the YAML, or default_node */
    struct ynode *default_node;
    char *resolved_path;
};

struct params {
    struct component *c;
    const struct ynode *map;
    size_t n;
    struct param_value *v;
};

struct iface_entry {
    char *name;
    void *ptr;
    struct iface_entry *next;
};

static void *comp_alloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    return p;
}

/* --- registry ------------------------------------------------------------------ */

static const struct component_type **sorted_types;

static int cmp_type(const void *a, const void *b)
{
    const struct component_type *x = *(const struct component_type *const *)a;
    const struct component_type *y = *(const struct component_type *const *)b;
    return strcmp(x->name, y->name);
}

const struct component_type *const *component_types_all(void)
{
    if (sorted_types)
        return sorted_types;
    size_t n = 0;
    while (cw_component_registry[n])
        n++;
    const struct component_type **v = comp_alloc((n + 1) * sizeof *v);
    memcpy(v, cw_component_registry, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_type);
    sorted_types = v;
    return sorted_types;
}

const struct component_type *component_type_find(const char *name)
{
    for (size_t i = 0; cw_component_registry[i]; i++)
        if (strcmp(cw_component_registry[i]->name, name) == 0)
            return cw_component_registry[i];
    return NULL;
}

/* --- parameters ------------------------------------------------------------------- */

static const char *param_type_form(enum param_type t)
{
    switch (t) {
    case PARAM_U64: return "an unsigned integer (decimal or 0x hex)";
    case PARAM_I64: return "an integer";
    case PARAM_BOOL: return "true or false";
    case PARAM_STRING: return "a string";
    case PARAM_PATH: return "a file path";
    case PARAM_SIZE: return "a size such as 64KiB or 2GiB";
    case PARAM_FREQ: return "a frequency such as 33MHz";
    case PARAM_TIME: return "a time such as 70ns or 2s";
    case PARAM_CLOCK: return "the name of a clock";
    case PARAM_SPACE: return "the name of an address space";
    case PARAM_COMPONENT: return "the name of a component";
    case PARAM_NODE: return "a YAML value";
    }
    return "a value";
}

static void clock_names(struct sim *sim, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (struct clock_entry *c = sim->clocks; c && used + 1 < len; c = c->next)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", c->name);
    if (!used)
        snprintf(buf, len, "none defined");
}

static void space_names(struct sim *sim, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (struct space_entry *e = sim->spaces; e && used + 1 < len; e = e->next)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", as_name(e->as));
    if (!used)
        snprintf(buf, len, "none defined");
}

/* Type-checks one value (already located). */
static int param_check(struct sim *sim, const struct param_desc *d, const struct ynode *n,
                       struct cw_error *err)
{
    uint64_t u, num, den;
    int64_t i;
    bool b;
    const char *s;
    sim_time_t t;
    char names[400];
    switch (d->type) {
    case PARAM_U64: return ynode_u64(n, &u, err);
    case PARAM_I64: return ynode_i64(n, &i, err);
    case PARAM_BOOL: return ynode_bool(n, &b, err);
    case PARAM_STRING:
    case PARAM_PATH:
    case PARAM_COMPONENT: return ynode_string(n, &s, err);
    case PARAM_SIZE: return ynode_size(n, &u, err);
    case PARAM_FREQ: return ynode_freq(n, &num, &den, err);
    case PARAM_TIME: return ynode_time(n, &t, err);
    case PARAM_CLOCK:
        if (ynode_string(n, &s, err))
            return -1;
        if (!sim_find_clock(sim, s)) {
            clock_names(sim, names, sizeof names);
            return ynode_error(err, n, "unknown clock '%s' for parameter '%s'; clocks: %s", s,
                               d->name, names);
        }
        return 0;
    case PARAM_SPACE:
        if (ynode_string(n, &s, err))
            return -1;
        if (!sim_find_space(sim, s)) {
            space_names(sim, names, sizeof names);
            return ynode_error(err, n, "unknown address space '%s' for parameter '%s'; spaces: %s",
                               s, d->name, names);
        }
        return 0;
    case PARAM_NODE: return 0;
    }
    return 0;
}

static void params_free(struct params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        ytree_free(p->v[i].default_node);
        free(p->v[i].resolved_path);
    }
    free(p->v);
    free(p);
}

static char *resolve_path(const char *file, const char *path)
{
    /* "~/x" is in the user's home (media caches such as ~/.cache/clockwork). */
    const char *home = getenv("HOME");
    if (path[0] == '~' && path[1] == '/' && home) {
        size_t n = strlen(home) + strlen(path);
        char *out = comp_alloc(n);
        snprintf(out, n, "%s%s", home, path + 1);
        return out;
    }
    if (path[0] == '/' || !file)
        return strdup(path);
    const char *slash = strrchr(file, '/');
    if (!slash)
        return strdup(path);
    size_t dirlen = (size_t)(slash - file);
    size_t n = dirlen + 1 + strlen(path) + 1;
    char *out = comp_alloc(n);
    snprintf(out, n, "%.*s/%s", (int)dirlen, file, path);
    return out;
}

static struct params *params_build(struct sim *sim, struct component *c,
                                   const struct component_type *type, const struct ynode *map,
                                   struct cw_error *err)
{
    if (!map || map->kind != YNODE_MAP) {
        if (map)
            ynode_error(err, map, "component '%s' must be a map of parameters", c->name);
        else
            cw_errorf(err, "component '%s' has no parameters map", c->name);
        return NULL;
    }
    struct params *p = comp_alloc(sizeof *p);
    p->c = c;
    p->map = map;
    const struct param_desc *descs = type->params;
    size_t n = 0;
    while (descs && descs[n].name)
        n++;
    p->n = n;
    p->v = comp_alloc((n + 1) * sizeof *p->v);

    /* Unknown keys first: the most common typo. */
    for (size_t k = 0; k < map->count; k++) {
        const char *key = map->keys[k];
        if (strcmp(key, "type") == 0)
            continue;
        bool known = false;
        for (size_t j = 0; j < n && !known; j++)
            known = strcmp(descs[j].name, key) == 0;
        if (known)
            continue;
        char list[600];
        size_t used = 0;
        list[0] = 0;
        for (size_t j = 0; j < n && used + 1 < sizeof list; j++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "",
                                     descs[j].name);
        ynode_error(err, map->key_nodes[k],
                    "unknown parameter '%s' for component '%s' of type '%s'; expected one of: %s",
                    key, c->name, type->name, n ? list : "(no parameters)");
        params_free(p);
        return NULL;
    }
    for (size_t j = 0; j < n; j++) {
        const struct param_desc *d = &descs[j];
        struct param_value *v = &p->v[j];
        v->desc = d;
        v->node = ymap_get(map, d->name);
        if (!v->node && d->default_value) {
            v->default_node = ynode_new_scalar(d->default_value, map->file, map->line, map->col);
            v->node = v->default_node;
        }
        if (!v->node) {
            if (d->optional)
                continue;
            ynode_error(err, map, "component '%s' (type '%s') needs parameter '%s': %s (%s)",
                        c->name, type->name, d->name, d->help ? d->help : "",
                        param_type_form(d->type));
            params_free(p);
            return NULL;
        }
        if (param_check(sim, d, v->node, err)) {
            params_free(p);
            return NULL;
        }
        if (d->type == PARAM_PATH) {
            const char *s = NULL;
            ynode_string(v->node, &s, NULL);
            v->resolved_path = resolve_path(v->default_node ? NULL : v->node->file, s ? s : "");
        }
    }
    return p;
}

static const struct param_value *param_find(const struct params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].desc->name, name) == 0)
            return p->v[i].node ? &p->v[i] : NULL;
    return NULL;
}

bool params_has(const struct params *p, const char *name)
{
    const struct param_value *v = param_find(p, name);
    return v && !v->default_node;
}

bool params_u64(const struct params *p, const char *name, uint64_t *out)
{
    const struct param_value *v = param_find(p, name);
    return v && ynode_u64(v->node, out, NULL) == 0;
}

bool params_i64(const struct params *p, const char *name, int64_t *out)
{
    const struct param_value *v = param_find(p, name);
    return v && ynode_i64(v->node, out, NULL) == 0;
}

bool params_bool(const struct params *p, const char *name, bool *out)
{
    const struct param_value *v = param_find(p, name);
    return v && ynode_bool(v->node, out, NULL) == 0;
}

const char *params_string(const struct params *p, const char *name)
{
    const struct param_value *v = param_find(p, name);
    const char *s = NULL;
    if (v && ynode_string(v->node, &s, NULL) == 0)
        return s;
    return NULL;
}

const char *params_path(const struct params *p, const char *name)
{
    const struct param_value *v = param_find(p, name);
    return v ? v->resolved_path : NULL;
}

bool params_size(const struct params *p, const char *name, uint64_t *out)
{
    const struct param_value *v = param_find(p, name);
    return v && ynode_size(v->node, out, NULL) == 0;
}

bool params_time(const struct params *p, const char *name, sim_time_t *out)
{
    const struct param_value *v = param_find(p, name);
    return v && ynode_time(v->node, out, NULL) == 0;
}

bool params_freq(const struct params *p, const char *name, uint64_t *num, uint64_t *den)
{
    const struct param_value *v = param_find(p, name);
    return v && ynode_freq(v->node, num, den, NULL) == 0;
}

struct clock_domain *params_clock(const struct params *p, const char *name)
{
    const char *s = params_string(p, name);
    return s ? sim_find_clock(p->c->sim, s) : NULL;
}

struct addr_space *params_space(const struct params *p, const char *name)
{
    const char *s = params_string(p, name);
    return s ? sim_find_space(p->c->sim, s) : NULL;
}

struct component *params_component(const struct params *p, const char *name)
{
    const char *s = params_string(p, name);
    return s ? sim_find_component(p->c->sim, s) : NULL;
}

const struct ynode *params_node(const struct params *p, const char *name)
{
    const struct param_value *v = param_find(p, name);
    return v ? v->node : NULL;
}

int params_error(const struct params *p, const char *name, struct cw_error *err,
                 const char *fmt, ...)
{
    char msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const struct param_value *v = name ? param_find(p, name) : NULL;
    const struct ynode *at = v && !v->default_node ? v->node : p->map;
    if (!at)
        return cw_errorf(err, "%s: %s", p->c->name, msg);
    return ynode_error(err, at, "%s: %s", p->c->name, msg);
}

/* --- instances ------------------------------------------------------------------------ */

struct component *component_create(struct sim *sim, const char *instance,
                                    const struct component_type *type,
                                    const struct ynode *config, struct cw_error *err)
{
    if (sim_find_component(sim, instance)) {
        if (config)
            ynode_error(err, config, "a component named '%s' already exists", instance);
        else
            cw_errorf(err, "a component named '%s' already exists", instance);
        return NULL;
    }
    if (sim->next_component_id == 0) {
        cw_errorf(err, "too many components (limit 65535)");
        return NULL;
    }
    struct component *c = comp_alloc(sizeof *c);
    c->type = type;
    c->name = strdup(instance);
    c->sim = sim;
    c->config = config;
    c->id = sim->next_component_id;
    c->params = params_build(sim, c, type, config, err);
    if (!c->params) {
        free(c->name);
        free(c);
        return NULL;
    }
    /* Linked before create() so the model can find itself and wire. */
    *sim->components_tail = c;
    sim->components_tail = &c->next;
    sim->next_component_id++;
    if (type->create && type->create(c, c->params, err) != 0) {
        if (err && !err->msg[0])
            ynode_error(err, config, "component '%s' could not be created", instance);
        c->broken = true; /* stays linked so sim_destroy frees it; never reset */
        return NULL;
    }
    return c;
}

struct component *sim_find_component(struct sim *sim, const char *name)
{
    for (struct component *c = sim->components; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

struct component *sim_component_by_id(struct sim *sim, uint16_t id)
{
    for (struct component *c = sim->components; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

struct component *sim_components(struct sim *sim)
{
    return sim->components;
}

int sim_check_component_refs(struct sim *sim, struct cw_error *err)
{
    for (struct component *c = sim->components; c; c = c->next) {
        const struct params *p = c->params;
        for (size_t i = 0; p && i < p->n; i++) {
            const struct param_value *v = &p->v[i];
            if (v->desc->type != PARAM_COMPONENT || !v->node)
                continue;
            const char *s = NULL;
            ynode_string(v->node, &s, NULL);
            if (s && !sim_find_component(sim, s))
                return ynode_error(err, v->node,
                                   "unknown component '%s' for parameter '%s' of '%s'", s,
                                   v->desc->name, c->name);
        }
    }
    return 0;
}

int sim_realize_components(struct sim *sim, struct cw_error *err)
{
    for (struct component *c = sim->components; c; c = c->next) {
        if (!c->type->realize)
            continue;
        if (c->type->realize(c, err) != 0) {
            if (err && !err->msg[0])
                cw_errorf(err, "component '%s' could not be connected", c->name);
            return -1;
        }
    }
    return 0;
}

void sim_reset_components(struct sim *sim)
{
    for (struct component *c = sim->components; c; c = c->next)
        if (c->type->reset && !c->broken)
            c->type->reset(c);
}

void component_destroy_all(struct sim *sim)
{
    /* Nothing may fire while owners go away. */
    sim->heap_len = 0;
    size_t n = 0;
    for (struct component *c = sim->components; c; c = c->next)
        n++;
    struct component **v = comp_alloc((n + 1) * sizeof *v);
    n = 0;
    for (struct component *c = sim->components; c; c = c->next)
        v[n++] = c;
    while (n--) {
        struct component *c = v[n];
        if (c->type->destroy)
            c->type->destroy(c);
        for (struct stat_entry *s = c->stats; s;) {
            struct stat_entry *next = s->next;
            free(s->name);
            free(s);
            s = next;
        }
        for (struct iface_entry *e = c->ifaces; e;) {
            struct iface_entry *next = e->next;
            free(e->name);
            free(e);
            e = next;
        }
        params_free(c->params);
        free(c->name);
        free(c);
    }
    free(v);
    sim->components = NULL;
    sim->components_tail = &sim->components;
}

/* --- interfaces ----------------------------------------------------------------------- */

void component_export(struct component *c, const char *iface, void *ptr)
{
    struct iface_entry *e = comp_alloc(sizeof *e);
    e->name = strdup(iface);
    e->ptr = ptr;
    e->next = c->ifaces;
    c->ifaces = e;
}

void *component_interface(struct component *c, const char *iface)
{
    if (!c)
        return NULL;
    for (struct iface_entry *e = c->ifaces; e; e = e->next)
        if (strcmp(e->name, iface) == 0)
            return e->ptr;
    return NULL;
}

/* --- spaces and clocks --------------------------------------------------------------------- */

struct addr_space *sim_find_space(struct sim *sim, const char *name)
{
    for (struct space_entry *e = sim->spaces; e; e = e->next)
        if (strcmp(as_name(e->as), name) == 0)
            return e->as;
    return NULL;
}

struct addr_space *sim_space_at(struct sim *sim, size_t i)
{
    for (struct space_entry *e = sim->spaces; e; e = e->next, i--)
        if (i == 0)
            return e->as;
    return NULL;
}

void sim_add_space(struct sim *sim, struct addr_space *as)
{
    struct space_entry *e = comp_alloc(sizeof *e);
    e->as = as;
    struct space_entry **p = &sim->spaces;
    while (*p)
        p = &(*p)->next;
    *p = e;
}

struct clock_domain *sim_find_clock(struct sim *sim, const char *name)
{
    for (struct clock_entry *c = sim->clocks; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return &c->clock;
    return NULL;
}

struct clock_domain *sim_add_clock(struct sim *sim, const char *name, uint64_t num, uint64_t den)
{
    struct clock_entry *c = comp_alloc(sizeof *c);
    c->name = strdup(name);
    if (clock_init(&c->clock, c->name, num, den) != 0) {
        free(c->name);
        free(c);
        return NULL;
    }
    struct clock_entry **p = &sim->clocks;
    while (*p)
        p = &(*p)->next;
    *p = c;
    return &c->clock;
}

/* --- statistics and checkpoints --------------------------------------------------------------- */

void stat_register(struct component *c, const char *name, const char *help, uint64_t *counter)
{
    struct stat_entry *s = comp_alloc(sizeof *s);
    s->name = strdup(name);
    s->help = help;
    s->counter = counter;
    struct stat_entry **p = &c->stats;
    while (*p)
        p = &(*p)->next;
    *p = s;
}

void cw_blob_put(struct cw_blob *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            fprintf(stderr, "clockwork: out of memory\n");
            abort();
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}
