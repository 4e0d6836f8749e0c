/* signal.c: named outputs, named inputs, and the wires between them. */
#include "signal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"
#include "sim_internal.h"

static char *pin_name(const struct component *owner, const char *pin)
{
    const char *prefix = owner ? owner->name : "host";
    size_t n = strlen(prefix) + strlen(pin) + 2;
    char *s = malloc(n);
    if (!s) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    snprintf(s, n, "%s.%s", prefix, pin);
    return s;
}

struct signal *signal_create(struct sim *sim, struct component *owner, const char *pin)
{
    struct signal *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    s->name = pin_name(owner, pin);
    s->owner_id = owner ? owner->id : 0;
    s->sim = sim;
    s->traced = true;
    struct signal **p = &sim->signals;
    while (*p)
        p = &(*p)->next;
    *p = s;
    return s;
}

int signal_input_register(struct sim *sim, struct component *owner, const char *pin,
                          signal_input_fn fn, void *opaque, int line)
{
    struct signal_input *in = calloc(1, sizeof *in);
    if (!in) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    in->name = pin_name(owner, pin);
    in->fn = fn;
    in->opaque = opaque;
    in->line = line;
    in->level = -1;
    struct signal_input **p = &sim->inputs;
    while (*p)
        p = &(*p)->next;
    *p = in;
    return 0;
}

struct signal *signal_find(struct sim *sim, const char *name)
{
    for (struct signal *s = sim->signals; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static struct signal_input *input_find(struct sim *sim, const char *name)
{
    for (struct signal_input *in = sim->inputs; in; in = in->next)
        if (strcmp(in->name, name) == 0)
            return in;
    return NULL;
}

bool signal_input_exists(struct sim *sim, const char *name)
{
    return input_find(sim, name) != NULL;
}

/* Delivers one wire's level to its input: the input sees the OR of all
 * the wires that drive it, and is called only when that changes. */
static void wire_deliver(void *opaque, int line, int level)
{
    struct signal_wire *w = opaque;
    struct signal_input *in = w->input;
    if (w->level == level)
        return;
    w->level = level;
    in->high_sources += level ? 1 : -1;
    int seen = in->high_sources > 0;
    if (seen == in->level)
        return;
    in->level = seen;
    in->fn(in->opaque, in->line, seen);
}

static struct signal_sink *sink_add(struct signal *s, signal_input_fn fn, void *opaque,
                                    int line, const char *name)
{
    struct signal_sink *k = calloc(1, sizeof *k);
    if (!k) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    k->fn = fn;
    k->opaque = opaque;
    k->line = line;
    k->name = name ? strdup(name) : NULL;
    struct signal_sink **p = &s->sinks;
    while (*p)
        p = &(*p)->next;
    *p = k;
    return k;
}

/* Lists the names of one kind (outputs or inputs) for error messages. */
static void list_names(struct sim *sim, bool outputs, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    int count = 0;
    if (outputs) {
        for (struct signal *s = sim->signals; s && used + 1 < len; s = s->next, count++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", count ? ", " : "", s->name);
    } else {
        for (struct signal_input *in = sim->inputs; in && used + 1 < len; in = in->next, count++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", count ? ", " : "", in->name);
    }
    if (!count)
        snprintf(buf, len, "none");
}

int signal_connect(struct sim *sim, const char *from, const char *to, struct cw_error *err)
{
    char names[600];
    struct signal *s = signal_find(sim, from);
    if (!s) {
        list_names(sim, true, names, sizeof names);
        return cw_errorf(err, "unknown signal '%s'; outputs of this machine: %s", from, names);
    }
    struct signal_input *in = input_find(sim, to);
    if (!in) {
        list_names(sim, false, names, sizeof names);
        return cw_errorf(err, "unknown input '%s'; inputs of this machine: %s", to, names);
    }
    for (struct signal_sink *k = s->sinks; k; k = k->next)
        if (k->name && strcmp(k->name, to) == 0)
            return cw_errorf(err, "'%s' is already wired to '%s'", from, to);
    struct signal_wire *w = calloc(1, sizeof *w);
    if (!w) {
        fprintf(stderr, "clockwork: out of memory\n");
        abort();
    }
    w->input = in;
    struct signal_sink *k = sink_add(s, wire_deliver, w, in->line, in->name);
    k->owns_opaque = true;
    /* The input learns the wire's current level now, 0 or 1, so a model
     * whose input defaults to high sees a low output at once. */
    w->level = s->level;
    in->high_sources += s->level;
    int seen = in->high_sources > 0;
    if (seen != in->level) {
        in->level = seen;
        in->fn(in->opaque, in->line, seen);
    }
    return 0;
}

void signal_add_sink(struct signal *s, signal_input_fn fn, void *opaque, int line)
{
    sink_add(s, fn, opaque, line, NULL);
    if (s->level)
        fn(opaque, line, 1);
}

static void signal_deliver(struct signal *s, int level)
{
    s->level = level;
    if (s->traced)
        for (struct hook *h = s->sim->signal_hooks; h; h = h->next)
            ((signal_trace_fn)h->fn)(h->opaque, s, level);
    for (struct signal_sink *k = s->sinks; k; k = k->next)
        k->fn(k->opaque, k->line, level);
}

void signal_set(struct signal *s, int level)
{
    level = level != 0;
    if (s->level == level)
        return;
    signal_deliver(s, level);
}

void signal_pulse(struct signal *s)
{
    if (s->level)
        signal_deliver(s, 0);
    signal_deliver(s, 1);
    signal_deliver(s, 0);
}

void signal_destroy_all(struct sim *sim)
{
    for (struct signal *s = sim->signals; s;) {
        struct signal *next = s->next;
        for (struct signal_sink *k = s->sinks; k;) {
            struct signal_sink *kn = k->next;
            if (k->owns_opaque)
                free(k->opaque);
            free(k->name);
            free(k);
            k = kn;
        }
        free(s->name);
        free(s);
        s = next;
    }
    sim->signals = NULL;
    for (struct signal_input *in = sim->inputs; in;) {
        struct signal_input *next = in->next;
        free(in->name);
        free(in);
        in = next;
    }
    sim->inputs = NULL;
}
