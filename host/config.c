/* config.c: run configurations: which machine, parameter overrides, media
 * through the machine's aliases, run limits and stop conditions, trace
 * settings and scripted input, all checked with file:line:col errors. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/bus.h"
#include "../kernel/machine.h"
#include "../kernel/ytree.h"

#define CONFIG_LIST_MAX 600

static const char *const config_top_keys[] = {
    "machine", "description", "set", "media", "run", "trace", "script", NULL,
};
static const char *const config_run_keys[] = {
    "quantum", "timeout", "until", "screenshot", "headless", "serial", "debugcon", NULL,
};
static const char *const config_trace_keys[] = {
    "file", "components", "kinds", "ranges", "window", "signals", NULL,
};
static const char *const config_window_keys[] = {"from", "to", NULL};

static const char config_until_form[] =
    "expected serial:TEXT, debugcon:TEXT, screen:TEXT, screen-png:[X,Y,WxH=]FILE, marker:NAME, "
    "guest-time:TIME, insns:N or poweroff";

/* --- helpers ----------------------------------------------------------------- */

static char *config_strdup(const char *s)
{
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    if (!copy) {
        fputs("clockwork: out of memory\n", stderr);
        abort();
    }
    memcpy(copy, s, len + 1);
    return copy;
}

static const char *config_kind_name(const struct ynode *n)
{
    return n->kind == YNODE_MAP ? "map" : n->kind == YNODE_SEQ ? "list" : "plain value";
}

static int config_need_map(const struct ynode *n, const char *what, struct cw_error *err)
{
    if (n->kind == YNODE_MAP)
        return 0;
    return ynode_error(err, n, "expected %s, got a %s", what, config_kind_name(n));
}

static int config_check_keys(const struct ynode *map, const char *const *allowed,
                             const char *where, struct cw_error *err)
{
    for (size_t i = 0; i < map->count; i++) {
        bool known = false;
        for (size_t k = 0; allowed[k] && !known; k++)
            known = strcmp(allowed[k], map->keys[i]) == 0;
        if (known)
            continue;
        char list[CONFIG_LIST_MAX];
        cw_join_names(list, sizeof list, allowed, cw_count_names(allowed));
        return ynode_error(err, map->key_nodes[i], "unknown key '%s' in %s; expected one of: %s",
                           map->keys[i], where, list);
    }
    return 0;
}

/* A list, or a single value standing for a list of one. */
static size_t config_list_len(const struct ynode *n)
{
    return n->kind == YNODE_SEQ ? n->count : 1;
}

static const struct ynode *config_list_item(const struct ynode *n, size_t i)
{
    return n->kind == YNODE_SEQ ? n->items[i] : n;
}

/* A string option: copied into *out (replacing an earlier value). */
static int config_string(const struct ynode *n, char **out, struct cw_error *err)
{
    const char *s;
    if (ynode_string(n, &s, err))
        return -1;
    free(*out);
    *out = config_strdup(s);
    return 0;
}

static char *config_relative(const char *base, const char *name)
{
    const char *slash = strrchr(base, '/');
    size_t dir = (name[0] == '/' || !slash) ? 0 : (size_t)(slash - base) + 1;
    size_t len = strlen(name);
    char *out = malloc(dir + len + 1);
    if (!out) {
        fputs("clockwork: out of memory\n", stderr);
        abort();
    }
    memcpy(out, base, dir);
    memcpy(out + dir, name, len + 1);
    return out;
}

/* True if msg already starts with "file:line:col: ". */
static bool config_has_location(const char *msg)
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

/* Reads a whole text file (for the run table). */
static char *config_read_text(const char *path, size_t *len_out, struct cw_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cw_errorf(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    while (text) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (len < cap - 1 || cap >= (16u << 20))
            break;
        cap *= 2;
        char *grown = realloc(text, cap);
        if (!grown)
            free(text);
        text = grown;
    }
    bool failed = !text || ferror(f) || len == cap - 1;
    int saved = errno;
    fclose(f);
    if (failed) {
        free(text);
        cw_errorf(err, "%s: cannot read: %s", path,
                  text ? (len == cap - 1 ? "file too large" : strerror(saved)) : "out of memory");
        return NULL;
    }
    text[len] = 0;
    *len_out = len;
    return text;
}

/* --- stop conditions ----------------------------------------------------------- */

struct config_until_kind {
    const char *prefix;
    enum until_kind kind;
    enum { UNTIL_ARG_TEXT, UNTIL_ARG_TIME, UNTIL_ARG_COUNT, UNTIL_ARG_NONE, UNTIL_ARG_PNG } arg;
};

/* screen-png: before screen:, which is not its prefix but reads alike. */
static const struct config_until_kind config_until_kinds[] = {
    {"serial:", UNTIL_SERIAL, UNTIL_ARG_TEXT},
    {"debugcon:", UNTIL_DEBUGCON, UNTIL_ARG_TEXT},
    {"screen-png:", UNTIL_SCREEN, UNTIL_ARG_PNG},
    {"screen:", UNTIL_SCREEN, UNTIL_ARG_TEXT},
    {"marker:", UNTIL_MARKER, UNTIL_ARG_TEXT},
    {"guest-time:", UNTIL_GUEST_TIME, UNTIL_ARG_TIME},
    {"insns:", UNTIL_INSNS, UNTIL_ARG_COUNT},
    {"poweroff", UNTIL_POWEROFF, UNTIL_ARG_NONE},
};

static int config_until_error(const char *origin, struct cw_error *err, const char *shown,
                              const char *sep, const char *detail)
{
    return cw_errorf(err, "%s%sbad stop condition '%s'%s%s", origin ? origin : "",
                     origin ? ": " : "", shown, sep, detail);
}

/* The argument of screen-png: is "FILE" or "X,Y,WxH=FILE"; cond->png is
 * set and *file points at the file name. The PNG is read when the run
 * starts (host/run.c). */
static int config_until_png(const char *arg, struct until_cond *cond, const char **file,
                            struct cw_error *err)
{
    cond->png = true;
    *file = arg;
    const char *eq = strchr(arg, '=');
    if (eq) {
        char tail;
        if (sscanf(arg, "%d,%d,%dx%d%c", &cond->x, &cond->y, &cond->w, &cond->h, &tail) != 5 ||
            tail != '=' || cond->x < 0 || cond->y < 0 || cond->w <= 0 || cond->h <= 0)
            return cw_errorf(err, "expected screen-png:FILE or screen-png:X,Y,WxH=FILE "
                             "(e.g. 400,15,210x18=title.png)");
        cond->region = true;
        *file = eq + 1;
    }
    if (!**file)
        return cw_errorf(err, "expected a PNG file name");
    return 0;
}

/* out->text owns one allocation holding the argument and a copy of the
 * origin (out->origin points into it): free(out->text) releases both. */
int until_parse(const char *s, const char *origin, struct until_cond *out, struct cw_error *err)
{
    char shown[64];
    snprintf(shown, sizeof shown, "%s", s ? s : "");
    for (char *p = shown; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    for (size_t i = 0; s && i < sizeof config_until_kinds / sizeof config_until_kinds[0]; i++) {
        const struct config_until_kind *k = &config_until_kinds[i];
        size_t plen = strlen(k->prefix);
        if (strncmp(s, k->prefix, plen) != 0)
            continue;
        const char *arg = s + plen;
        struct until_cond cond = {.kind = k->kind};
        struct cw_error inner;
        if (k->arg == UNTIL_ARG_NONE && *arg)
            break;
        if (k->arg == UNTIL_ARG_TEXT && !*arg)
            return config_until_error(origin, err, shown, ": ", "expected a text after the "
                                      "colon");
        if (k->arg == UNTIL_ARG_TIME && parse_time(arg, &cond.value, &inner))
            return config_until_error(origin, err, shown, ": ", inner.msg);
        if (k->arg == UNTIL_ARG_COUNT && parse_u64(arg, &cond.value, &inner))
            return config_until_error(origin, err, shown, ": ", inner.msg);
        if (k->arg == UNTIL_ARG_PNG && config_until_png(arg, &cond, &arg, &inner))
            return config_until_error(origin, err, shown, ": ", inner.msg);
        size_t alen = strlen(arg), olen = origin ? strlen(origin) : 0;
        char *store = malloc(alen + olen + 2);
        if (!store)
            return cw_errorf(err, "out of memory");
        memcpy(store, arg, alen + 1);
        if (origin)
            memcpy(store + alen + 1, origin, olen + 1);
        cond.text = store;
        cond.origin = origin ? store + alen + 1 : NULL;
        *out = cond;
        return 0;
    }
    return config_until_error(origin, err, shown, "; ", config_until_form);
}

/* A screen-png: file named in a config file is found beside that file,
 * as the script's screen-png: waits are. */
static int config_until_png_beside(struct until_cond *cond, const char *config_file,
                                   struct cw_error *err)
{
    const char *slash = config_file ? strrchr(config_file, '/') : NULL;
    if (cond->text[0] == '/' || !slash)
        return 0;
    size_t dir = (size_t)(slash - config_file) + 1, flen = strlen(cond->text);
    size_t olen = cond->origin ? strlen(cond->origin) : 0;
    char *store = malloc(dir + flen + olen + 2);
    if (!store) {
        free(cond->text);
        return cw_errorf(err, "out of memory");
    }
    memcpy(store, config_file, dir);
    memcpy(store + dir, cond->text, flen + 1);
    if (cond->origin)
        memcpy(store + dir + flen + 1, cond->origin, olen + 1);
    free(cond->text);
    cond->text = store;
    cond->origin = cond->origin ? store + dir + flen + 1 : NULL;
    return 0;
}

static int config_add_until(struct run_config *rc, const struct ynode *n, struct cw_error *err)
{
    const char *s;
    if (ynode_string(n, &s, err))
        return -1;
    char origin[600];
    snprintf(origin, sizeof origin, "%s:%d:%d", n->file, n->line, n->col);
    struct until_cond cond;
    if (until_parse(s, origin, &cond, err))
        return -1;
    if (cond.png && config_until_png_beside(&cond, n->file, err))
        return -1;
    struct until_cond *grown = realloc(rc->until, (rc->nuntil + 1) * sizeof *grown);
    if (!grown) {
        free(cond.text);
        return cw_errorf(err, "out of memory");
    }
    rc->until = grown;
    rc->until[rc->nuntil++] = cond;
    return 0;
}

/* --- the run section -------------------------------------------------------------- */

static int config_timeout(struct run_config *rc, const struct ynode *n, struct cw_error *err)
{
    const char *s;
    if (ynode_string(n, &s, err))
        return -1;
    if (strncmp(s, "wall:", 5) != 0)
        return ynode_time(n, &rc->timeout_guest, err);
    sim_time_t ps;
    struct cw_error inner;
    if (parse_time(s + 5, &ps, &inner))
        return ynode_error(err, n, "%s (timeout is a guest time such as 120s, or wall:TIME for "
                           "host time)", inner.msg);
    /* Host time in whole milliseconds, rounded up so a limit is never 0. */
    rc->timeout_wall_ms = ps / 1000000000ull + (ps % 1000000000ull != 0);
    if (rc->timeout_wall_ms == 0)
        return ynode_error(err, n, "a wall-clock timeout of zero; expected a time above 0");
    return 0;
}

static int config_run(struct run_config *rc, const struct ynode *run, struct cw_error *err)
{
    if (config_need_map(run, "a map of run settings", err) ||
        config_check_keys(run, config_run_keys, "run", err))
        return -1;
    for (size_t i = 0; i < run->count; i++) {
        const char *key = run->keys[i];
        const struct ynode *v = run->items[i];
        int rcode = 0;
        if (strcmp(key, "quantum") == 0) {
            rcode = ynode_time(v, &rc->quantum, err);
        } else if (strcmp(key, "timeout") == 0) {
            rcode = config_timeout(rc, v, err);
        } else if (strcmp(key, "until") == 0) {
            if (v->kind == YNODE_MAP)
                return ynode_error(err, v, "expected a stop condition or a list of them, got a "
                                   "map");
            for (size_t k = 0; k < config_list_len(v) && rcode == 0; k++)
                rcode = config_add_until(rc, config_list_item(v, k), err);
        } else if (strcmp(key, "screenshot") == 0) {
            rcode = config_string(v, &rc->screenshot, err);
        } else if (strcmp(key, "headless") == 0) {
            rcode = ynode_bool(v, &rc->headless, err);
        } else if (strcmp(key, "serial") == 0) {
            rcode = config_string(v, &rc->serial_out, err);
        } else if (strcmp(key, "debugcon") == 0) {
            rcode = config_string(v, &rc->debugcon_out, err);
        }
        if (rcode)
            return -1;
    }
    return 0;
}

/* --- the trace section ------------------------------------------------------------ */

/* "0x3f8-0x3ff" (inclusive), "0x3f8+8" (length) or one address. */
static int config_range(const struct ynode *n, struct trace_range *out, struct cw_error *err)
{
    const char *s;
    if (ynode_string(n, &s, err))
        return -1;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *sep = strpbrk(buf, "-+");
    char op = sep ? *sep : 0;
    if (sep)
        *sep = 0;
    uint64_t lo, second = 0;
    struct cw_error inner;
    bool ok = strlen(s) < sizeof buf && parse_u64(buf, &lo, &inner) == 0 &&
              (!sep || parse_u64(sep + 1, &second, &inner) == 0);
    if (ok && op == '+')
        ok = second > 0 && lo + (second - 1) >= lo;
    if (ok && op == '-')
        ok = second >= lo;
    if (!ok)
        return ynode_error(err, n, "bad address range '%s'; expected LOW-HIGH or LOW+LENGTH "
                           "(0x3f8-0x3ff, 0x3f8+8)", s);
    out->lo = lo;
    out->hi = op == '+' ? lo + second - 1 : op == '-' ? second : lo;
    return 0;
}

static int config_trace_components(struct run_config *rc, const struct ynode *v,
                                   struct cw_error *err)
{
    const struct ynode *comps = ymap_get(rc->machine, "components");
    size_t n = config_list_len(v);
    char **names = calloc(n + 1, sizeof *names);
    if (!names)
        return cw_errorf(err, "out of memory");
    for (size_t i = 0; rc->trace.components; i++) {
        if (!rc->trace.components[i])
            break;
        free(rc->trace.components[i]);
    }
    free(rc->trace.components);
    rc->trace.components = names;
    for (size_t i = 0; i < n; i++) {
        const struct ynode *item = config_list_item(v, i);
        const char *s;
        if (ynode_string(item, &s, err))
            return -1;
        if (!ymap_get(comps, s)) {
            char list[CONFIG_LIST_MAX];
            ymap_keys_joined(list, sizeof list, comps);
            return ynode_error(err, item, "unknown component '%s' to trace; expected one of: %s",
                               s, list);
        }
        names[i] = config_strdup(s);
    }
    return 0;
}

static int config_trace_kinds(struct run_config *rc, const struct ynode *v, struct cw_error *err)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < config_list_len(v); i++) {
        const struct ynode *item = config_list_item(v, i);
        const char *s;
        if (ynode_string(item, &s, err))
            return -1;
        int k = bus_kind_parse(s);
        if (k < 0) {
            const char *names[BUS_KIND_COUNT];
            for (int j = 0; j < BUS_KIND_COUNT; j++)
                names[j] = bus_kind_name((enum bus_kind)j);
            char list[CONFIG_LIST_MAX];
            cw_join_names(list, sizeof list, names, BUS_KIND_COUNT);
            return ynode_error(err, item, "unknown transaction kind '%s'; expected one of: %s", s,
                               list);
        }
        mask |= BUS_KIND_BIT(k);
    }
    rc->trace.kind_mask = mask;
    return 0;
}

static int config_trace_ranges(struct run_config *rc, const struct ynode *v, struct cw_error *err)
{
    size_t n = config_list_len(v);
    struct trace_range *ranges = calloc(n ? n : 1, sizeof *ranges);
    if (!ranges)
        return cw_errorf(err, "out of memory");
    free(rc->trace.ranges);
    rc->trace.ranges = ranges;
    rc->trace.nranges = 0;
    for (size_t i = 0; i < n; i++) {
        if (config_range(config_list_item(v, i), &ranges[i], err))
            return -1;
        rc->trace.nranges = i + 1;
    }
    return 0;
}

static int config_trace_window(struct run_config *rc, const struct ynode *v, struct cw_error *err)
{
    if (config_need_map(v, "a map {from: TIME, to: TIME}", err) ||
        config_check_keys(v, config_window_keys, "the trace window", err))
        return -1;
    const struct ynode *from = ymap_get(v, "from"), *to = ymap_get(v, "to");
    if ((from && ynode_time(from, &rc->trace.from, err)) ||
        (to && ynode_time(to, &rc->trace.to, err)))
        return -1;
    if (rc->trace.from > rc->trace.to)
        return ynode_error(err, to ? to : v, "the trace window ends before it starts");
    return 0;
}

static int config_trace(struct run_config *rc, const struct ynode *trace, struct cw_error *err)
{
    if (config_need_map(trace, "a map of trace settings", err) ||
        config_check_keys(trace, config_trace_keys, "trace", err))
        return -1;
    for (size_t i = 0; i < trace->count; i++) {
        const char *key = trace->keys[i];
        const struct ynode *v = trace->items[i];
        if (v->kind == YNODE_MAP && strcmp(key, "window") != 0)
            return ynode_error(err, v, "expected a %s for trace %s, got a map",
                               strcmp(key, "file") == 0 || strcmp(key, "signals") == 0
                                   ? "value" : "list", key);
        int rcode = 0;
        if (strcmp(key, "file") == 0)
            rcode = config_string(v, &rc->trace.file, err);
        else if (strcmp(key, "components") == 0)
            rcode = config_trace_components(rc, v, err);
        else if (strcmp(key, "kinds") == 0)
            rcode = config_trace_kinds(rc, v, err);
        else if (strcmp(key, "ranges") == 0)
            rcode = config_trace_ranges(rc, v, err);
        else if (strcmp(key, "window") == 0)
            rcode = config_trace_window(rc, v, err);
        else if (strcmp(key, "signals") == 0)
            rcode = ynode_bool(v, &rc->trace.signals, err);
        if (rcode)
            return -1;
    }
    return 0;
}

/* Command-line trace filters: "--trace-kinds io-read,io-write" becomes the
 * YAML `kinds: [io-read, io-write]` and goes through the same checks as a
 * config file's trace section. */
int run_config_trace_option(struct run_config *rc, const char *key, const char *value,
                            struct cw_error *err)
{
    size_t n = strlen(value) * 2 + 64;
    char *text = malloc(n), *origin = malloc(strlen(key) + 16);
    if (!text || !origin) {
        free(text);
        free(origin);
        return cw_errorf(err, "out of memory");
    }
    snprintf(origin, strlen(key) + 16, "--trace-%s", key);
    if (strcmp(key, "window") == 0) {
        const char *dash = strstr(value, "..");
        if (!dash) {
            cw_errorf(err, "%s: expected FROM..TO guest times (0s..2s)", origin);
            free(text);
            free(origin);
            return -1;
        }
        snprintf(text, n, "window: {from: \"%.*s\", to: \"%s\"}\n", (int)(dash - value),
                 value, dash + 2);
    } else {
        size_t used = (size_t)snprintf(text, n, "%s: [", key);
        for (const char *p = value; *p; p++) {
            if (*p == '"' || *p == '\\' || *p == '\n')
                continue;
            if (used + 4 >= n)
                break;
            if (p == value || p[-1] == ',')
                text[used++] = '"';
            if (*p == ',') {
                text[used++] = '"';
                text[used++] = ',';
                continue;
            }
            text[used++] = *p;
        }
        snprintf(text + used, n - used, "%s]\n", *value ? "\"" : "");
    }
    struct ynode *tree = ytree_load_string(text, strlen(text), origin, err);
    int rcode = tree ? config_trace(rc, tree, err) : -1;
    ytree_free(tree);
    free(text);
    free(origin);
    return rcode;
}

/* --- overrides and media ------------------------------------------------------------ */

/* Sets the value at a dotted path of the machine tree: the parents must
 * exist; a map merges into a map, anything else replaces. */
static int config_set_path(struct ynode *machine, const char *path, const struct ynode *value,
                           const struct ynode *at, struct cw_error *err)
{
    struct ynode *cur = machine;
    const char *seg = path;
    char done[256] = "";
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (len == 0 || len >= 128)
            return ynode_error(err, at, "bad parameter path '%s'; expected names joined by dots "
                               "(components.ram0.size)", path);
        char name[128];
        memcpy(name, seg, len);
        name[len] = 0;
        struct ynode *next = ymap_get(cur, name);
        if (!dot) {
            if (next && next->kind == YNODE_MAP && value->kind == YNODE_MAP)
                ytree_merge(next, value);
            else
                ymap_set(cur, name, ytree_clone(value));
            return 0;
        }
        if (!next || next->kind != YNODE_MAP) {
            char list[CONFIG_LIST_MAX];
            ymap_keys_joined(list, sizeof list, cur);
            return ynode_error(err, at, "no '%s' in %s (path '%s'); expected one of: %s", name,
                               done[0] ? done : "the machine", path, list);
        }
        size_t used = strlen(done);
        snprintf(done + used, sizeof done - used, "%s%s", used ? "." : "", name);
        cur = next;
        seg = dot + 1;
    }
}

static int config_set(struct run_config *rc, const struct ynode *set, struct cw_error *err)
{
    if (config_need_map(set, "a map of parameter paths to values (components.ram0.size: "
                        "256MiB)", err))
        return -1;
    for (size_t i = 0; i < set->count; i++)
        if (config_set_path(rc->machine, set->keys[i], set->items[i], set->key_nodes[i], err))
            return -1;
    return 0;
}

static int config_media(struct run_config *rc, const struct ynode *media, struct cw_error *err)
{
    if (config_need_map(media, "a map of media to files (cdrom: debian.iso)", err))
        return -1;
    for (size_t i = 0; i < media->count; i++) {
        const char *path = machine_alias(rc->machine, media->keys[i]);
        if (!path) {
            char list[CONFIG_LIST_MAX];
            ymap_keys_joined(list, sizeof list, ymap_get(rc->machine, "aliases"));
            return ynode_error(err, media->key_nodes[i], "unknown medium '%s'; the machine's "
                               "aliases are: %s", media->keys[i], list);
        }
        const char *file;
        if (ynode_string(media->items[i], &file, err))
            return -1;
        /* The value keeps the config's location, so the path is resolved
         * relative to the config file. */
        for (size_t k = 0; (path = machine_alias_path(rc->machine, media->keys[i], k)); k++) {
            char *alias_path = config_strdup(path);
            int rcode = config_set_path(rc->machine, alias_path, media->items[i],
                                        media->key_nodes[i], err);
            free(alias_path);
            if (rcode)
                return -1;
        }
    }
    return 0;
}

/* --- loading -------------------------------------------------------------------------- */

static void config_defaults(struct run_config *rc)
{
    memset(rc, 0, sizeof *rc);
    rc->quantum = SIM_US(1);
    rc->timeout_guest = SIM_TIME_MAX;
    rc->trace.to = SIM_TIME_MAX;
    rc->trace.signals = true;
}

static int config_load_machine(struct run_config *rc, const struct ynode *at,
                               struct cw_error *err)
{
    rc->machine = machine_load_file(rc->machine_path, err);
    if (!rc->machine) {
        /* Errors inside the machine file carry their own location. */
        if (config_has_location(err->msg) || !at)
            return -1;
        char inner[sizeof err->msg];
        memcpy(inner, err->msg, sizeof inner);
        return ynode_error(err, at, "cannot load the machine: %s", inner);
    }
    return 0;
}

static int config_apply(struct run_config *rc, const struct ynode *root, const char *machine_override,
                        struct cw_error *err)
{
    if (config_need_map(root, "a map with machine, set, media, run, trace, script", err) ||
        config_check_keys(root, config_top_keys, "the config file", err))
        return -1;
    const struct ynode *m = ymap_get(root, "machine");
    if (!m)
        return ynode_error(err, root, "no machine; expected machine: PATH (a machine file, "
                           "relative to this config)");
    const char *name;
    if (ynode_string(m, &name, err))
        return -1;
    if (!name[0])
        return ynode_error(err, m, "empty machine path; expected machine: PATH");
    /* A machine given on the command line replaces the config's; the
     * config's overrides and media then apply to it. */
    rc->machine_path = machine_override ? config_strdup(machine_override)
                                        : config_relative(rc->config_path, name);
    if (config_load_machine(rc, machine_override ? NULL : m, err))
        return -1;
    const struct ynode *desc = ymap_get(root, "description");
    const char *text;
    if (desc && ynode_string(desc, &text, err))
        return -1;
    const struct ynode *set = ymap_get(root, "set");
    const struct ynode *media = ymap_get(root, "media");
    const struct ynode *run = ymap_get(root, "run");
    const struct ynode *trace = ymap_get(root, "trace");
    const struct ynode *script = ymap_get(root, "script");
    if ((set && config_set(rc, set, err)) || (media && config_media(rc, media, err)) ||
        (run && config_run(rc, run, err)) || (trace && config_trace(rc, trace, err)))
        return -1;
    if (script) {
        if (script->kind != YNODE_SEQ)
            return ynode_error(err, script, "expected a list of script steps ({wait: ..., then: "
                               "[...]}), got a %s", config_kind_name(script));
        rc->script = ytree_clone(script);
    }
    rc->machine_text = ytree_to_text(rc->machine);
    return 0;
}

int run_config_load(struct run_config *rc, const char *config_path, struct cw_error *err)
{
    return run_config_load_machine(rc, config_path, NULL, err);
}

int run_config_load_machine(struct run_config *rc, const char *config_path,
                            const char *machine_path, struct cw_error *err)
{
    struct cw_error scratch;
    if (!err)
        err = &scratch;
    config_defaults(rc);
    rc->config_path = config_strdup(config_path);
    size_t len;
    rc->config_text = config_read_text(config_path, &len, err);
    if (!rc->config_text) {
        run_config_free(rc);
        return -1;
    }
    struct ynode *root = ytree_load_string(rc->config_text, len, config_path, err);
    int result = root ? config_apply(rc, root, machine_path, err) : -1;
    ytree_free(root);
    if (result)
        run_config_free(rc);
    return result;
}

int run_config_from_machine(struct run_config *rc, const char *machine_path,
                            struct cw_error *err)
{
    struct cw_error scratch;
    if (!err)
        err = &scratch;
    config_defaults(rc);
    rc->machine_path = config_strdup(machine_path);
    if (config_load_machine(rc, NULL, err)) {
        run_config_free(rc);
        return -1;
    }
    rc->machine_text = ytree_to_text(rc->machine);
    return 0;
}

void run_config_free(struct run_config *rc)
{
    if (!rc)
        return;
    free(rc->config_path);
    free(rc->machine_path);
    ytree_free(rc->machine);
    free(rc->config_text);
    free(rc->machine_text);
    for (size_t i = 0; i < rc->nuntil; i++)
        free(rc->until[i].text);
    free(rc->until);
    free(rc->screenshot);
    free(rc->serial_out);
    free(rc->debugcon_out);
    free(rc->trace.file);
    for (size_t i = 0; rc->trace.components && rc->trace.components[i]; i++)
        free(rc->trace.components[i]);
    free(rc->trace.components);
    free(rc->trace.ranges);
    ytree_free((struct ynode *)rc->script);
    memset(rc, 0, sizeof *rc);
}
