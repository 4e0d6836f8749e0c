/* machine.c: builds a simulated machine from its YAML description. Every
 * key, parameter, unit and reference is checked before any model runs, and
 * each error is one line "file:line:col: what is wrong; expected ...". */
#include "machine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "component.h"
#include "signal.h"
#include "sim.h"
#include "ytree.h"

#define MACHINE_MAX_INCLUDE_DEPTH 16
#define MACHINE_LIST_MAX 600

static const char *const machine_top_keys[] = {
    "machine", "include", "clocks", "spaces", "components", "wires", "aliases", NULL,
};
static const char *const machine_info_keys[] = {"name", "description", NULL};
static const char *const machine_space_keys[] = {"kind", "bits", NULL};

/* --- small helpers ------------------------------------------------------------ */

static bool machine_in_list(const char *name, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static const char *machine_kind_name(const struct ynode *n)
{
    return n->kind == YNODE_MAP ? "map" : n->kind == YNODE_SEQ ? "list" : "plain value";
}

/* Every key of `map` must be in `allowed`. */
static int machine_check_keys(const struct ynode *map, const char *const *allowed,
                              const char *where, struct cw_error *err)
{
    for (size_t i = 0; i < map->count; i++) {
        if (machine_in_list(map->keys[i], allowed))
            continue;
        char list[MACHINE_LIST_MAX];
        cw_join_names(list, sizeof list, allowed, cw_count_names(allowed));
        return ynode_error(err, map->key_nodes[i], "unknown key '%s' in %s; expected one of: %s",
                           map->keys[i], where, list);
    }
    return 0;
}

static int machine_need_map(const struct ynode *n, const char *what, struct cw_error *err)
{
    if (n->kind == YNODE_MAP)
        return 0;
    return ynode_error(err, n, "expected %s, got a %s", what, machine_kind_name(n));
}

/* Names of clocks, spaces and components are used in dotted paths and
 * wires ("pit0.out"), so they hold no dots or spaces. */
static int machine_check_name(const struct ynode *key, const char *name, const char *what,
                              struct cw_error *err)
{
    bool ok = name[0] != 0;
    for (const char *p = name; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '_' || *p == '-';
    if (ok)
        return 0;
    return ynode_error(err, key, "bad %s name '%s'; expected letters, digits, '-' and '_'", what,
                       name);
}

/* True if msg already starts with "file:line:col: ". */
static bool machine_has_location(const char *msg)
{
    const char *colon = strchr(msg, ':');
    if (!colon || colon == msg)
        return false;
    const char *p = colon + 1;
    for (int field = 0; field < 2; field++) {
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p != ':')
            return false;
        p++;
    }
    return *p == ' ';
}

/* Puts the component's location in front of a model's error message. */
static int machine_component_error(struct cw_error *err, const struct ynode *key,
                                   const char *name, const char *type)
{
    if (!err->msg[0])
        return ynode_error(err, key, "component '%s' (%s) could not be built", name, type);
    if (machine_has_location(err->msg))
        return -1;
    char inner[sizeof err->msg];
    memcpy(inner, err->msg, sizeof inner);
    return ynode_error(err, key, "component '%s' (%s): %s", name, type, inner);
}

/* --- the top level and the machine block ------------------------------------ */

static int machine_check_top(const struct ynode *m, struct cw_error *err)
{
    if (machine_check_keys(m, machine_top_keys, "the machine file", err))
        return -1;
    const struct ynode *info = ymap_get(m, "machine");
    if (!info)
        return 0;
    if (machine_need_map(info, "a map with name and description", err) ||
        machine_check_keys(info, machine_info_keys, "machine", err))
        return -1;
    const char *text;
    for (size_t i = 0; i < info->count; i++)
        if (ynode_string(info->items[i], &text, err))
            return -1;
    return 0;
}

/* --- clocks and spaces --------------------------------------------------------- */

static int machine_add_clocks(struct sim *sim, const struct ynode *m, struct cw_error *err)
{
    const struct ynode *clocks = ymap_get(m, "clocks");
    if (!clocks)
        return 0;
    if (machine_need_map(clocks, "a map of clock names to frequencies (cpu: 100MHz)", err))
        return -1;
    for (size_t i = 0; i < clocks->count; i++) {
        uint64_t num, den;
        if (machine_check_name(clocks->key_nodes[i], clocks->keys[i], "clock", err) ||
            ynode_freq(clocks->items[i], &num, &den, err))
            return -1;
        sim_add_clock(sim, clocks->keys[i], num, den);
    }
    return 0;
}

static int machine_space_kind(const struct ynode *n, enum space_kind *kind, struct cw_error *err)
{
    static const char *const names[] = {"memory", "io", "pci-config", "other", NULL};
    static const enum space_kind kinds[] = {SPACE_MEMORY, SPACE_IO, SPACE_PCI_CONFIG,
                                            SPACE_OTHER};
    const char *text;
    if (ynode_string(n, &text, err))
        return -1;
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(text, names[i]) == 0) {
            *kind = kinds[i];
            return 0;
        }
    }
    return ynode_error(err, n, "unknown space kind '%s'; expected memory, io, pci-config or other",
                       text);
}

static int machine_add_space(struct sim *sim, const struct ynode *key, const char *name,
                             const struct ynode *spec, struct cw_error *err)
{
    if (machine_check_name(key, name, "space", err) ||
        machine_need_map(spec, "a map {kind: memory|io|pci-config|other, bits: N}", err) ||
        machine_check_keys(spec, machine_space_keys, "a space", err))
        return -1;
    const struct ynode *kind_node = ymap_get(spec, "kind");
    if (!kind_node)
        return ynode_error(err, key, "space '%s' has no kind; expected kind: memory, io, "
                           "pci-config or other", name);
    enum space_kind kind = SPACE_MEMORY;
    if (machine_space_kind(kind_node, &kind, err))
        return -1;
    uint64_t bits = kind == SPACE_IO ? 16 : 32;
    const struct ynode *bits_node = ymap_get(spec, "bits");
    if (bits_node) {
        if (ynode_u64(bits_node, &bits, err))
            return -1;
        if (bits < 1 || bits > 64)
            return ynode_error(err, bits_node, "bad address width %llu; expected 1 to 64 bits",
                               (unsigned long long)bits);
    }
    sim_add_space(sim, as_create(sim, name, kind, (unsigned)bits));
    return 0;
}

static int machine_add_spaces(struct sim *sim, const struct ynode *m, struct cw_error *err)
{
    const struct ynode *spaces = ymap_get(m, "spaces");
    if (!spaces)
        return 0;
    if (machine_need_map(spaces, "a map of space names ({mem: {kind: memory, bits: 32}})", err))
        return -1;
    for (size_t i = 0; i < spaces->count; i++)
        if (machine_add_space(sim, spaces->key_nodes[i], spaces->keys[i], spaces->items[i], err))
            return -1;
    return 0;
}

/* --- component validation ----------------------------------------------------- */

/* Edit distance counting a swap of neighbours as one edit (i8245 is one
 * step from i8254), for "did you mean" on type names. */
static size_t machine_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return SIZE_MAX;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

static int machine_unknown_type(const struct ynode *at, const char *type, struct cw_error *err)
{
    const struct component_type *const *all = component_types_all();
    const char *best = NULL;
    size_t best_distance = 3; /* only close names are worth suggesting */
    for (size_t i = 0; all && all[i]; i++) {
        size_t d = machine_distance(type, all[i]->name);
        if (d < best_distance) {
            best_distance = d;
            best = all[i]->name;
        }
    }
    if (best)
        return ynode_error(err, at, "unknown component type '%s'; did you mean '%s'? "
                           "(`clockwork models` lists the types)", type, best);
    return ynode_error(err, at, "unknown component type '%s'; expected a type from "
                       "`clockwork models`", type);
}

static const struct param_desc *machine_find_param(const struct component_type *type,
                                                   const char *name)
{
    for (const struct param_desc *d = type->params; d && d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

static int machine_unknown_param(const struct ynode *at, const char *param, const char *instance,
                                 const struct component_type *type, struct cw_error *err)
{
    const char *names[64] = {NULL};
    size_t n = 0;
    for (const struct param_desc *d = type->params; d && d->name && n < 64; d++)
        names[n++] = d->name;
    char list[MACHINE_LIST_MAX];
    cw_join_names(list, sizeof list, names, n);
    return ynode_error(err, at, "unknown parameter '%s' for component '%s' (%s); expected one "
                       "of: %s", param, instance, type->name, n ? list : "(no parameters)");
}

/* A name that must refer to something the machine defines. */
static int machine_check_ref(const struct ynode *n, const struct ynode *defined,
                             const char *what, struct cw_error *err)
{
    const char *name;
    if (ynode_string(n, &name, err))
        return -1;
    if (ymap_get(defined, name))
        return 0;
    char list[MACHINE_LIST_MAX];
    ymap_keys_joined(list, sizeof list, defined);
    return ynode_error(err, n, "unknown %s '%s'; expected one of: %s", what, name, list);
}

/* Checks one parameter value against its declared type with the same
 * converters the accessors use, so create() never sees a bad value. */
static int machine_check_value(const struct ynode *m, const struct param_desc *d,
                               const struct ynode *v, struct cw_error *err)
{
    uint64_t u, num, den;
    int64_t i;
    bool b;
    const char *s;
    sim_time_t t;
    switch (d->type) {
    case PARAM_U64:
        return ynode_u64(v, &u, err);
    case PARAM_I64:
        return ynode_i64(v, &i, err);
    case PARAM_BOOL:
        return ynode_bool(v, &b, err);
    case PARAM_STRING:
        return ynode_string(v, &s, err);
    case PARAM_PATH:
        if (ynode_string(v, &s, err))
            return -1;
        if (!s[0])
            return ynode_error(err, v, "empty file name for '%s'; expected a path", d->name);
        return 0;
    case PARAM_SIZE:
        return ynode_size(v, &u, err);
    case PARAM_FREQ:
        return ynode_freq(v, &num, &den, err);
    case PARAM_TIME:
        return ynode_time(v, &t, err);
    case PARAM_CLOCK:
        return machine_check_ref(v, ymap_get(m, "clocks"), "clock", err);
    case PARAM_SPACE:
        return machine_check_ref(v, ymap_get(m, "spaces"), "space", err);
    case PARAM_COMPONENT:
        return machine_check_ref(v, ymap_get(m, "components"), "component", err);
    case PARAM_NODE:
        return 0;
    }
    return ynode_error(err, v, "parameter '%s' has an unknown type in its model", d->name);
}

static int machine_check_component(const struct ynode *m, const struct ynode *key,
                                   const char *name, const struct ynode *spec,
                                   const struct component_type **type_out, struct cw_error *err)
{
    if (machine_check_name(key, name, "component", err) ||
        machine_need_map(spec, "a map with 'type' and the component's parameters", err))
        return -1;
    const struct ynode *type_node = ymap_get(spec, "type");
    if (!type_node)
        return ynode_error(err, key, "component '%s' has no type; expected type: NAME "
                           "(`clockwork models` lists the types)", name);
    const char *type_name;
    if (ynode_string(type_node, &type_name, err))
        return -1;
    const struct component_type *type = component_type_find(type_name);
    if (!type)
        return machine_unknown_type(type_node, type_name, err);
    for (size_t i = 0; i < spec->count; i++) {
        if (strcmp(spec->keys[i], "type") == 0)
            continue;
        const struct param_desc *d = machine_find_param(type, spec->keys[i]);
        if (!d)
            return machine_unknown_param(spec->key_nodes[i], spec->keys[i], name, type, err);
        if (machine_check_value(m, d, spec->items[i], err))
            return -1;
    }
    for (const struct param_desc *d = type->params; d && d->name; d++) {
        if (d->default_value || d->optional || ymap_get(spec, d->name))
            continue;
        return ynode_error(err, key, "component '%s' (%s) is missing parameter '%s'%s%s%s", name,
                           type->name, d->name, d->help ? " (" : "", d->help ? d->help : "",
                           d->help ? ")" : "");
    }
    *type_out = type;
    return 0;
}

/* --- components ------------------------------------------------------------- */

static int machine_add_components(struct sim *sim, const struct ynode *m, struct cw_error *err)
{
    const struct ynode *comps = ymap_get(m, "components");
    if (!comps)
        return 0;
    if (machine_need_map(comps, "a map of component instances (pit0: {type: i8254, ...})", err))
        return -1;
    if (comps->count > 60000)
        return ynode_error(err, comps, "too many components (at most 60000)");
    const struct component_type **types = calloc(comps->count + 1, sizeof *types);
    if (!types)
        return cw_errorf(err, "out of memory");
    int rc = 0;
    /* All of the YAML is checked before any model's create() runs. */
    for (size_t i = 0; i < comps->count && rc == 0; i++)
        rc = machine_check_component(m, comps->key_nodes[i], comps->keys[i], comps->items[i],
                                     &types[i], err);
    for (size_t i = 0; i < comps->count && rc == 0; i++) {
        err->msg[0] = 0;
        if (!component_create(sim, comps->keys[i], types[i], comps->items[i], err))
            rc = machine_component_error(err, comps->key_nodes[i], comps->keys[i],
                                         types[i]->name);
    }
    free(types);
    if (rc)
        return rc;
    /* Realize in creation order: every component exists now. */
    for (struct component *c = sim_components(sim); c; c = c->next) {
        err->msg[0] = 0;
        if (!c->type->realize || c->type->realize(c, err) == 0)
            continue;
        return machine_component_error(err, ymap_key_node(comps, c->name), c->name,
                                       c->type->name);
    }
    return 0;
}

/* --- wires ------------------------------------------------------------------ */

static void machine_trim(char *s)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = 0;
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, len - lead + 1);
}

/* "comp.pin": the component part must be an instance of the machine. */
static int machine_check_endpoint(const struct ynode *wire, const char *end,
                                  const struct ynode *comps, struct cw_error *err)
{
    const char *dot = strchr(end, '.');
    if (!dot || dot == end || !dot[1])
        return ynode_error(err, wire, "bad wire end '%s'; expected 'component.pin'", end);
    char comp[128];
    size_t len = (size_t)(dot - end);
    if (len >= sizeof comp)
        len = sizeof comp - 1;
    memcpy(comp, end, len);
    comp[len] = 0;
    if (ymap_get(comps, comp))
        return 0;
    char list[MACHINE_LIST_MAX];
    ymap_keys_joined(list, sizeof list, comps);
    return ynode_error(err, wire, "unknown component '%s' in wire; expected one of: %s", comp,
                       list);
}

static int machine_add_wire(struct sim *sim, const struct ynode *m, const struct ynode *wire,
                            struct cw_error *err)
{
    if (wire->kind != YNODE_SCALAR)
        return ynode_error(err, wire, "expected a wire 'component.pin -> component.pin', got a "
                           "%s", machine_kind_name(wire));
    const char *text = wire->scalar;
    const char *arrow = strstr(text, "->");
    if (!arrow || strstr(arrow + 2, "->"))
        return ynode_error(err, wire, "bad wire '%s'; expected 'component.pin -> "
                           "component.pin'", text);
    size_t len = strlen(text);
    char *from = malloc(len + 1);
    if (!from)
        return cw_errorf(err, "out of memory");
    memcpy(from, text, len + 1);
    char *to = from + (arrow - text) + 2;
    from[arrow - text] = 0;
    machine_trim(from);
    machine_trim(to);
    const struct ynode *comps = ymap_get(m, "components");
    int rc = machine_check_endpoint(wire, from, comps, err);
    if (rc == 0)
        rc = machine_check_endpoint(wire, to, comps, err);
    if (rc == 0) {
        struct cw_error inner;
        if (signal_connect(sim, from, to, &inner))
            rc = ynode_error(err, wire, "%s", inner.msg);
    }
    free(from);
    return rc;
}

static int machine_add_wires(struct sim *sim, const struct ynode *m, struct cw_error *err)
{
    const struct ynode *wires = ymap_get(m, "wires");
    if (!wires)
        return 0;
    if (wires->kind != YNODE_SEQ)
        return ynode_error(err, wires, "expected a list of wires (- pit0.out -> pic0.ir0), got "
                           "a %s", machine_kind_name(wires));
    for (size_t i = 0; i < wires->count; i++)
        if (machine_add_wire(sim, m, wires->items[i], err))
            return -1;
    return 0;
}

/* --- aliases and paths --------------------------------------------------------- */

/* Walks all but the last segment of a dotted path. Returns the parent map
 * and points *leaf at the last segment, or fills err (prefixed by `where`). */
static struct ynode *machine_walk(const struct ynode *tree, const char *path, const char **leaf,
                                  const struct ynode *at, const char *where, struct cw_error *err)
{
    const struct ynode *cur = tree;
    const char *seg = path;
    char prefix[256] = "";
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (len == 0 || len >= 128) {
            if (at)
                ynode_error(err, at, "bad parameter path '%s'; expected names joined by dots "
                            "(components.ram0.size)", path);
            else
                cw_errorf(err, "%s: bad parameter path '%s'; expected names joined by dots "
                          "(components.ram0.size)", where, path);
            return NULL;
        }
        if (!dot) {
            *leaf = seg;
            return (struct ynode *)cur;
        }
        char name[128];
        memcpy(name, seg, len);
        name[len] = 0;
        const struct ynode *next = ymap_get(cur, name);
        if (!next || next->kind != YNODE_MAP) {
            char list[MACHINE_LIST_MAX];
            ymap_keys_joined(list, sizeof list, cur);
            const char *in = prefix[0] ? prefix : "the machine";
            if (at)
                ynode_error(err, at, "no '%s' in %s (path '%s'); expected one of: %s", name, in,
                            path, list);
            else
                cw_errorf(err, "%s: no '%s' in %s (path '%s'); expected one of: %s", where, name,
                          in, path, list);
            return NULL;
        }
        size_t used = strlen(prefix);
        snprintf(prefix + used, sizeof prefix - used, "%s%s", used ? "." : "", name);
        cur = next;
        seg = dot + 1;
    }
}

static int machine_check_alias_path(const struct ynode *m, const struct ynode *v,
                                    struct cw_error *err)
{
    const char *path, *leaf;
    if (ynode_string(v, &path, err))
        return -1;
    const struct ynode *parent = machine_walk(m, path, &leaf, v, NULL, err);
    if (!parent)
        return -1;
    /* components.NAME.PARAM must name a parameter of that type. */
    const struct ynode *comps = ymap_get(m, "components");
    for (size_t c = 0; comps && comps->kind == YNODE_MAP && c < comps->count; c++) {
        if (comps->items[c] != parent)
            continue;
        const struct ynode *type_node = ymap_get(parent, "type");
        const struct component_type *type =
            type_node && type_node->kind == YNODE_SCALAR ? component_type_find(type_node->scalar)
                                                         : NULL;
        if (type && !machine_find_param(type, leaf))
            return machine_unknown_param(v, leaf, comps->keys[c], type, err);
    }
    return 0;
}

static int machine_check_aliases(const struct ynode *m, struct cw_error *err)
{
    const struct ynode *aliases = ymap_get(m, "aliases");
    if (!aliases)
        return 0;
    if (machine_need_map(aliases, "a map of options to parameter paths (cdrom: "
                         "components.ide0.cdrom)", err))
        return -1;
    for (size_t i = 0; i < aliases->count; i++) {
        const struct ynode *item = aliases->items[i];
        /* One path, or a list of paths that must get the same value. */
        size_t n = item->kind == YNODE_SEQ ? item->count : 1;
        for (size_t j = 0; j < n; j++) {
            const struct ynode *v = item->kind == YNODE_SEQ ? item->items[j] : item;
            if (machine_check_alias_path(m, v, err))
                return -1;
        }
    }
    return 0;
}

const char *machine_alias(const struct ynode *tree, const char *option)
{
    return machine_alias_path(tree, option, 0);
}

const char *machine_alias_path(const struct ynode *tree, const char *option, size_t i)
{
    const struct ynode *v = ymap_get(ymap_get(tree, "aliases"), option);
    if (v && v->kind == YNODE_SEQ)
        v = i < v->count ? v->items[i] : NULL;
    else if (i > 0)
        v = NULL;
    return v && v->kind == YNODE_SCALAR ? v->scalar : NULL;
}

/* "configs/x.yaml:4:3" -> file, line, column; anything else is a file-less
 * origin such as "--set" (line 0). */
static void machine_split_origin(const char *origin, char *file, size_t len, int *line,
                                 int *col)
{
    snprintf(file, len, "%s", origin ? origin : "--set");
    *line = 0;
    *col = 0;
    char *last = strrchr(file, ':');
    if (!last || last == file)
        return;
    *last = 0;
    char *mid = strrchr(file, ':');
    char *end1, *end2;
    long l = mid ? strtol(mid + 1, &end1, 10) : 0;
    long c = strtol(last + 1, &end2, 10);
    if (!mid || mid == file || *end1 || *end2 || l <= 0 || c <= 0 || l > INT_MAX ||
        c > INT_MAX || !mid[1] || !last[1]) {
        *last = ':';
        return;
    }
    *mid = 0;
    *line = (int)l;
    *col = (int)c;
}

int machine_set_path(struct ynode *tree, const char *path, const char *value,
                     const char *origin, struct cw_error *err)
{
    const char *where = origin ? origin : "--set";
    if (!tree || tree->kind != YNODE_MAP)
        return cw_errorf(err, "%s: no machine to set '%s' on", where, path);
    const char *leaf;
    struct ynode *parent = machine_walk(tree, path, &leaf, NULL, where, err);
    if (!parent)
        return -1;
    char file[512];
    int line, col;
    machine_split_origin(origin, file, sizeof file, &line, &col);
    ymap_set(parent, leaf, ynode_new_scalar(value, file, line, col));
    return 0;
}

/* --- includes ------------------------------------------------------------------ */

static char *machine_relative(const char *base, const char *name)
{
    const char *slash = strrchr(base, '/');
    size_t dir = (name[0] == '/' || !slash) ? 0 : (size_t)(slash - base) + 1;
    size_t len = strlen(name);
    char *out = malloc(dir + len + 1);
    if (!out)
        return NULL;
    memcpy(out, base, dir);
    memcpy(out + dir, name, len + 1);
    return out;
}

struct machine_chain {
    const char *real; /* canonical path of a file being loaded */
    const struct machine_chain *up;
};

static struct ynode *machine_load_at(const char *path, const struct machine_chain *up,
                                     int depth, struct cw_error *err);

/* Loads one included file into `merged`; errors inside the included file
 * keep their own location, errors opening it point at the include line. */
static int machine_include_one(struct ynode *merged, const char *path, const struct ynode *item,
                               const struct machine_chain *up, int depth, struct cw_error *err)
{
    const char *name;
    if (ynode_string(item, &name, err))
        return -1;
    char *full = machine_relative(path, name);
    if (!full)
        return cw_errorf(err, "out of memory");
    char *real = realpath(full, NULL);
    for (const struct machine_chain *c = up; real && c; c = c->up) {
        if (strcmp(c->real, real) == 0) {
            free(real);
            free(full);
            return ynode_error(err, item, "include cycle: '%s' includes itself", name);
        }
    }
    free(real);
    struct ynode *sub = machine_load_at(full, up, depth + 1, err);
    free(full);
    if (!sub) {
        if (machine_has_location(err->msg))
            return -1;
        char inner[sizeof err->msg];
        memcpy(inner, err->msg, sizeof inner);
        return ynode_error(err, item, "cannot include '%s': %s", name, inner);
    }
    ytree_merge(merged, sub);
    ytree_free(sub);
    return 0;
}

static struct ynode *machine_apply_includes(struct ynode *tree, const char *path,
                                            const struct machine_chain *chain, int depth,
                                            struct cw_error *err)
{
    const struct ynode *inc = ymap_get(tree, "include");
    if (!inc)
        return tree;
    if (inc->kind == YNODE_MAP) {
        ynode_error(err, inc, "expected a list of files to include, got a map");
        ytree_free(tree);
        return NULL;
    }
    struct ynode *merged = ynode_new_map(tree->file, tree->line, tree->col);
    size_t n = inc->kind == YNODE_SEQ ? inc->count : 1;
    for (size_t i = 0; i < n; i++) {
        const struct ynode *item = inc->kind == YNODE_SEQ ? inc->items[i] : inc;
        if (machine_include_one(merged, path, item, chain, depth, err)) {
            ytree_free(merged);
            ytree_free(tree);
            return NULL;
        }
    }
    /* This file wins: merge it over its includes, minus the include key. */
    struct ynode view = *tree;
    view.keys = calloc(tree->count + 1, sizeof *view.keys);
    view.key_nodes = calloc(tree->count + 1, sizeof *view.key_nodes);
    view.items = calloc(tree->count + 1, sizeof *view.items);
    if (!view.keys || !view.key_nodes || !view.items) {
        fputs("clockwork: out of memory\n", stderr);
        abort();
    }
    view.count = 0;
    for (size_t i = 0; i < tree->count; i++) {
        if (strcmp(tree->keys[i], "include") == 0)
            continue;
        view.keys[view.count] = tree->keys[i];
        view.key_nodes[view.count] = tree->key_nodes[i];
        view.items[view.count++] = tree->items[i];
    }
    ytree_merge(merged, &view);
    free(view.keys);
    free(view.key_nodes);
    free(view.items);
    ytree_free(tree);
    return merged;
}

static struct ynode *machine_load_at(const char *path, const struct machine_chain *up,
                                     int depth, struct cw_error *err)
{
    if (depth > MACHINE_MAX_INCLUDE_DEPTH) {
        cw_errorf(err, "%s: includes nested too deeply (at most %d levels)", path,
                  MACHINE_MAX_INCLUDE_DEPTH);
        return NULL;
    }
    struct ynode *tree = ytree_load_file(path, err);
    if (!tree)
        return NULL;
    if (tree->kind != YNODE_MAP) {
        ynode_error(err, tree, "a machine file is a map; expected keys machine, include, clocks, "
                    "spaces, components, wires, aliases");
        ytree_free(tree);
        return NULL;
    }
    char *real = realpath(path, NULL);
    struct machine_chain here = {real ? real : path, up};
    struct ynode *merged = machine_apply_includes(tree, path, &here, depth, err);
    free(real);
    return merged;
}

struct ynode *machine_load_file(const char *path, struct cw_error *err)
{
    return machine_load_at(path, NULL, 0, err);
}

/* --- building -------------------------------------------------------------------- */

struct sim *machine_build(const struct ynode *m, struct cw_error *err)
{
    struct cw_error scratch;
    if (!err)
        err = &scratch;
    if (!m || m->kind != YNODE_MAP) {
        if (m)
            ynode_error(err, m, "a machine description is a map; expected keys machine, "
                        "clocks, spaces, components, wires, aliases");
        else
            cw_errorf(err, "no machine description");
        return NULL;
    }
    if (machine_check_top(m, err))
        return NULL;
    struct sim *sim = sim_create();
    if (machine_add_clocks(sim, m, err) || machine_add_spaces(sim, m, err) ||
        machine_check_aliases(m, err) || machine_add_components(sim, m, err) ||
        machine_add_wires(sim, m, err)) {
        sim_destroy(sim);
        return NULL;
    }
    /* Power-on reset, in creation order. */
    sim_reset_components(sim);
    return sim;
}
