/* script.c: scripted input for a run: steps parsed from YAML or the command
 * line, run in guest time through kernel events (waits, key presses,
 * screenshots), and periodic headless screenshots. The form is described
 * in script.h and docs/ui.md. */
#include "host/script.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/config.h"
#include "host/keymap.h"
#include "host/png.h"
#include "host/screen_text.h"
#include "kernel/event.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

#define SCRIPT_STREAM_TAIL 8192
#define SCRIPT_SCREEN_TEXT (256 * 1024)
#define SCRIPT_MAX_MODS 4
#define SCRIPT_MAX_REPEAT 1000

enum step_kind {
    STEP_WAIT, STEP_KEYS, STEP_TYPE, STEP_MOUSE, STEP_SCREENSHOT, STEP_SLEEP, STEP_MARKER,
    STEP_PRINT, STEP_STOP,
};

static const char *const script_verbs[] = {
    [STEP_WAIT] = "wait", [STEP_KEYS] = "keys", [STEP_TYPE] = "type", [STEP_MOUSE] = "mouse",
    [STEP_SCREENSHOT] = "screenshot", [STEP_SLEEP] = "sleep", [STEP_MARKER] = "marker",
    [STEP_PRINT] = "print", [STEP_STOP] = "stop",
};
#define SCRIPT_NVERBS (sizeof script_verbs / sizeof script_verbs[0])

enum cond_kind {
    COND_SERIAL, COND_DEBUGCON, COND_SCREEN, COND_SCREEN_PNG, COND_MARKER, COND_GUEST_TIME,
    COND_INSNS,
};

/* One key with the modifiers held around it. */
struct chord {
    uint16_t mods[SCRIPT_MAX_MODS];
    int nmods;
    uint16_t key;
};

enum mouse_op { MOUSE_MOVE, MOUSE_CLICK, MOUSE_PRESS, MOUSE_RELEASE, MOUSE_WHEEL };

/* A reference image for screen-png: conditions. */
struct png_ref {
    uint32_t *pixels;
    int width, height;
    bool region;     /* compare only x, y, w, h */
    int x, y, w, h;
};

struct step {
    enum step_kind kind;
    char *origin;          /* "file:line:col" or "--do" */
    char *text;            /* the step as written, for messages */
    char *arg;             /* wait text, file, marker name, print text */
    enum cond_kind cond;
    uint64_t value;        /* guest-time (ps) or instruction count */
    sim_time_t timeout;    /* 0: none */
    sim_time_t duration;   /* sleep */
    struct png_ref png;
    struct chord *chords;  /* keys, type */
    size_t nchords;
    enum mouse_op mouse;
    int mouse_a, mouse_b;  /* move dx dy; wheel steps; button mask */
};

/* One input event in guest time, `delay` after the previous one. */
struct input_action {
    sim_time_t delay;
    bool is_mouse;
    uint16_t code;
    bool down;
    int dx, dy, dz;
    unsigned buttons;
};

struct script;

struct script_stream {
    struct script *s;
    enum cond_kind kind;
};

struct script {
    struct step *steps;
    size_t nsteps, cap;
    struct script_timing timing;

    struct sim *sim;
    struct script_io io;
    enum script_status status;
    size_t pc;               /* current step */
    bool started;            /* the current step has begun */
    bool waiting;            /* the current step is a wait not yet met */
    sim_time_t step_start;
    bool events_ready;
    struct event step_event, check_event, timeout_event, input_event, shot_event;

    struct input_action *actions;
    size_t nactions, next_action;
    unsigned mouse_buttons;

    struct script_stream streams[2];
    char stream_tail[SCRIPT_STREAM_TAIL + 1];
    size_t stream_len;

    struct screen_text screen;
    char *screen_buf;
    uint64_t checked_frame;
    bool frame_checked;

    sim_time_t shot_period;
    char *shot_prefix;
    uint64_t shot_frame, shot_hash;
    bool shot_taken;

    char message[1024];
};

/* --- building ------------------------------------------------------------------- */

struct script *script_new(void)
{
    struct script *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->timing = (struct script_timing){
        .hold = SIM_MS(50), .gap = SIM_MS(50), .modifier_gap = SIM_MS(10),
        .check_period = SIM_MS(50),
    };
    s->status = SCRIPT_IDLE;
    screen_text_init(&s->screen);
    return s;
}

static void script_step_free(struct step *st)
{
    free(st->origin);
    free(st->text);
    free(st->arg);
    free(st->png.pixels);
    free(st->chords);
}

void script_free(struct script *s)
{
    if (!s)
        return;
    if (s->events_ready) {
        event_release(s->sim, &s->step_event);
        event_release(s->sim, &s->check_event);
        event_release(s->sim, &s->timeout_event);
        event_release(s->sim, &s->input_event);
        event_release(s->sim, &s->shot_event);
    }
    for (size_t i = 0; i < s->nsteps; i++)
        script_step_free(&s->steps[i]);
    free(s->steps);
    free(s->actions);
    free(s->screen_buf);
    free(s->shot_prefix);
    free(s);
}

size_t script_step_count(const struct script *s)
{
    return s->nsteps;
}

void script_set_timing(struct script *s, const struct script_timing *t)
{
    s->timing = *t;
}

void script_screenshot_every(struct script *s, sim_time_t period, const char *prefix)
{
    s->shot_period = period;
    free(s->shot_prefix);
    s->shot_prefix = strdup(prefix ? prefix : "shot-");
}

static char *script_strdup(const char *text)
{
    return strdup(text ? text : "");
}

static int step_error(struct cw_error *err, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int step_error(struct cw_error *err, const char *origin, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cw_errorf(err, "%s: %s", origin, msg);
}

/* --- keys ------------------------------------------------------------------------- */

/* Adds the key of one character, with Shift if the character needs it. */
static int chord_from_char(struct chord *c, int ch)
{
    bool shift;
    uint16_t code = keymap_from_char(ch, &shift);
    if (!code)
        return -1;
    c->key = code;
    if (shift && c->nmods < SCRIPT_MAX_MODS)
        c->mods[c->nmods++] = KEYMAP_LSHIFT;
    return 0;
}

/* "Ctrl+Alt+Delete", "Down", "a", "KP+", "!" (Shift+1). */
static int chord_parse(const char *token, struct chord *c, const char *origin,
                       struct cw_error *err)
{
    memset(c, 0, sizeof *c);
    const char *rest = token;
    for (;;) {
        const char *plus = strchr(rest + 1, '+');
        if (!rest[0] || !plus || !plus[1])
            break;
        char mod[32];
        size_t n = (size_t)(plus - rest);
        if (n >= sizeof mod)
            break;
        memcpy(mod, rest, n);
        mod[n] = 0;
        uint16_t code = keymap_from_name(mod);
        if (!keymap_is_modifier(code))
            break;
        if (c->nmods == SCRIPT_MAX_MODS)
            return step_error(err, origin, "'%s': more than %d modifiers", token,
                              SCRIPT_MAX_MODS);
        c->mods[c->nmods++] = code;
        rest = plus + 1;
    }
    c->key = keymap_from_name(rest);
    if (c->key)
        return 0;
    if (rest[0] && !rest[1] && chord_from_char(c, (unsigned char)rest[0]) == 0)
        return 0;
    return step_error(err, origin,
                      "unknown key '%s' in '%s'; keys are named like Enter, Esc, Tab, Space, "
                      "Backspace, Up, Down, Left, Right, Home, End, PgUp, PgDn, Insert, Delete, "
                      "F1-F12, a-z, 0-9, KP0-KP9, with modifiers as Ctrl+Alt+Delete and a "
                      "repeat as Down*3 (docs/ui.md)",
                      rest, token);
}

static int step_add_chord(struct step *st, const struct chord *c)
{
    struct chord *grown = realloc(st->chords, (st->nchords + 1) * sizeof *grown);
    if (!grown)
        return -1;
    st->chords = grown;
    st->chords[st->nchords++] = *c;
    return 0;
}

static int keys_parse(struct step *st, const char *text, struct cw_error *err)
{
    char *copy = script_strdup(text);
    if (!copy)
        return cw_errorf(err, "out of memory");
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t\r\n,", &save); tok && !rc;
         tok = strtok_r(NULL, " \t\r\n,", &save)) {
        /* A trailing *N repeats the key ("Down*3"); "KP*" and "*" are keys. */
        unsigned long repeat = 1;
        char *star = strrchr(tok, '*');
        if (star && star != tok && star[1]) {
            char *end;
            errno = 0;
            repeat = strtoul(star + 1, &end, 10);
            if (*end || errno || repeat < 1 || repeat > SCRIPT_MAX_REPEAT) {
                rc = step_error(err, st->origin, "'%s': a repeat is *N with N from 1 to %d",
                                tok, SCRIPT_MAX_REPEAT);
                break;
            }
            *star = 0;
        }
        struct chord c;
        if (chord_parse(tok, &c, st->origin, err)) {
            rc = -1;
            break;
        }
        for (unsigned long i = 0; i < repeat && !rc; i++)
            if (step_add_chord(st, &c))
                rc = cw_errorf(err, "out of memory");
    }
    free(copy);
    if (!rc && !st->nchords)
        rc = step_error(err, st->origin, "keys: expected key names, e.g. keys: \"Down Enter\"");
    return rc;
}

/* Decodes one UTF-8 sequence for messages about untypable characters. */
static unsigned utf8_codepoint(const unsigned char *p)
{
    if (p[0] < 0x80)
        return p[0];
    if ((p[0] & 0xE0) == 0xC0 && p[1])
        return (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    if ((p[0] & 0xF0) == 0xE0 && p[1] && p[2])
        return (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    return p[0];
}

static int type_parse(struct step *st, const char *text, struct cw_error *err)
{
    if (!text[0])
        return step_error(err, st->origin, "type: expected a text, e.g. type: \"root\\n\"");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        struct chord c;
        memset(&c, 0, sizeof c);
        if (chord_from_char(&c, *p))
            return step_error(err, st->origin,
                              "type: cannot type U+%04X on a US keyboard (ASCII text, \\n, \\t)",
                              utf8_codepoint(p));
        if (step_add_chord(st, &c))
            return cw_errorf(err, "out of memory");
    }
    return 0;
}

/* --- mouse ------------------------------------------------------------------------ */

static int mouse_button(const char *name, int *mask)
{
    if (!name || !*name || strcasecmp(name, "left") == 0)
        *mask = 1;
    else if (strcasecmp(name, "right") == 0)
        *mask = 2;
    else if (strcasecmp(name, "middle") == 0)
        *mask = 4;
    else
        return -1;
    return 0;
}

/* "move DX DY", "click [left|right|middle]", "press B", "release B",
 * "wheel N" (positive: towards the user). */
static int mouse_parse(struct step *st, const char *text, struct cw_error *err)
{
    char op[16] = "", a[32] = "", b[32] = "", extra[2] = "";
    int n = sscanf(text, "%15s %31s %31s %1s", op, a, b, extra);
    char *end;
    if (n >= 1 && strcasecmp(op, "move") == 0 && n == 3) {
        st->mouse = MOUSE_MOVE;
        st->mouse_a = (int)strtol(a, &end, 10);
        if (*end)
            goto bad;
        st->mouse_b = (int)strtol(b, &end, 10);
        if (*end)
            goto bad;
        return 0;
    }
    if (n >= 1 && strcasecmp(op, "wheel") == 0 && n == 2) {
        st->mouse = MOUSE_WHEEL;
        st->mouse_a = (int)strtol(a, &end, 10);
        if (*end)
            goto bad;
        return 0;
    }
    if (n >= 1 && n <= 2) {
        if (strcasecmp(op, "click") == 0)
            st->mouse = MOUSE_CLICK;
        else if (strcasecmp(op, "press") == 0)
            st->mouse = MOUSE_PRESS;
        else if (strcasecmp(op, "release") == 0)
            st->mouse = MOUSE_RELEASE;
        else
            goto bad;
        if (mouse_button(n == 2 ? a : NULL, &st->mouse_a))
            goto bad;
        return 0;
    }
bad:
    return step_error(err, st->origin,
                      "mouse: '%s'; expected move DX DY, click [left|right|middle], press B, "
                      "release B or wheel N",
                      text);
}

/* --- wait conditions ---------------------------------------------------------------- */

static char *script_path_beside(const char *base_file, const char *path)
{
    if (path[0] == '/' || !base_file)
        return strdup(path);
    const char *slash = strrchr(base_file, '/');
    if (!slash)
        return strdup(path);
    size_t dir = (size_t)(slash - base_file) + 1;
    char *out = malloc(dir + strlen(path) + 1);
    if (!out)
        return NULL;
    memcpy(out, base_file, dir);
    strcpy(out + dir, path);
    return out;
}

/* screen-png:FILE or screen-png:X,Y,WxH=FILE */
static int png_cond_parse(struct step *st, const char *arg, const char *base_file,
                          struct cw_error *err)
{
    const char *file = arg;
    struct png_ref *ref = &st->png;
    const char *eq = strchr(arg, '=');
    if (eq) {
        char tail;
        if (sscanf(arg, "%d,%d,%dx%d%c", &ref->x, &ref->y, &ref->w, &ref->h, &tail) != 5 ||
            tail != '=' || ref->x < 0 || ref->y < 0 || ref->w <= 0 || ref->h <= 0)
            return step_error(err, st->origin,
                              "screen-png:%s: expected screen-png:FILE or "
                              "screen-png:X,Y,WxH=FILE (e.g. 0,0,640x16=top.png)",
                              arg);
        ref->region = true;
        file = eq + 1;
    }
    if (!*file)
        return step_error(err, st->origin, "screen-png: expected a PNG file name");
    char *path = script_path_beside(base_file, file);
    if (!path)
        return cw_errorf(err, "out of memory");
    struct cw_error inner;
    int rc = png_read_rgb(path, &ref->pixels, &ref->width, &ref->height, &inner);
    free(path);
    if (rc)
        return step_error(err, st->origin, "screen-png: %s", inner.msg);
    if (ref->region && (ref->w > ref->width || ref->h > ref->height))
        return step_error(err, st->origin,
                          "screen-png: %s is %dx%d, smaller than the region %dx%d", file,
                          ref->width, ref->height, ref->w, ref->h);
    return 0;
}

static int cond_parse(struct step *st, const char *text, const char *base_file,
                      struct cw_error *err)
{
    if (strncmp(text, "screen-png:", 11) == 0) {
        st->cond = COND_SCREEN_PNG;
        st->arg = script_strdup(text + 11);
        return st->arg ? png_cond_parse(st, text + 11, base_file, err) : -1;
    }
    struct until_cond u;
    if (until_parse(text, st->origin, &u, err))
        return -1;
    switch (u.kind) {
    case UNTIL_SERIAL: st->cond = COND_SERIAL; break;
    case UNTIL_DEBUGCON: st->cond = COND_DEBUGCON; break;
    case UNTIL_SCREEN: st->cond = COND_SCREEN; break;
    case UNTIL_MARKER: st->cond = COND_MARKER; break;
    case UNTIL_GUEST_TIME: st->cond = COND_GUEST_TIME; break;
    case UNTIL_INSNS: st->cond = COND_INSNS; break;
    case UNTIL_POWEROFF:
        free(u.text);
        return step_error(err, st->origin,
                          "wait: a power-off ends the run; use run.until: [poweroff] instead");
    }
    st->value = u.value;
    st->arg = script_strdup(u.text);
    free(u.text);
    return st->arg ? 0 : cw_errorf(err, "out of memory");
}

/* "[TIMEOUT] CONDITION": a first word without a colon that reads as a
 * time is the timeout (conditions always contain a colon). */
static int wait_parse(struct step *st, const char *text, const char *base_file,
                      struct cw_error *err)
{
    while (isspace((unsigned char)*text))
        text++;
    const char *space = strchr(text, ' ');
    if (space) {
        char word[64];
        size_t n = (size_t)(space - text);
        if (n < sizeof word) {
            memcpy(word, text, n);
            word[n] = 0;
            sim_time_t t;
            struct cw_error ignored;
            if (!strchr(word, ':') && parse_time(word, &t, &ignored) == 0) {
                st->timeout = t;
                text = space + 1;
                while (isspace((unsigned char)*text))
                    text++;
            }
        }
    }
    if (!*text)
        return step_error(err, st->origin,
                          "wait: expected a condition (serial:TEXT, debugcon:TEXT, screen:TEXT, "
                          "screen-png:[X,Y,WxH=]FILE, marker:NAME, guest-time:T, insns:N)");
    return cond_parse(st, text, base_file, err);
}

/* --- steps ------------------------------------------------------------------------ */

static struct step *script_push(struct script *s, enum step_kind kind, const char *origin,
                                const char *text)
{
    if (s->nsteps == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct step *grown = realloc(s->steps, cap * sizeof *grown);
        if (!grown)
            return NULL;
        s->steps = grown;
        s->cap = cap;
    }
    struct step *st = &s->steps[s->nsteps];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->origin = script_strdup(origin);
    st->text = script_strdup(text);
    if (!st->origin || !st->text) {
        script_step_free(st);
        return NULL;
    }
    s->nsteps++;
    return st;
}

static int script_verb(const char *word)
{
    for (size_t i = 0; i < SCRIPT_NVERBS; i++)
        if (strcmp(script_verbs[i], word) == 0)
            return (int)i;
    return -1;
}

/* Parses the argument of one step; on error the step is dropped again. */
static int script_add_step(struct script *s, enum step_kind kind, const char *arg,
                           sim_time_t timeout, const char *origin, const char *base_file,
                           struct cw_error *err)
{
    char text[512];
    snprintf(text, sizeof text, "%s%s%s", script_verbs[kind], arg && *arg ? " " : "",
             arg ? arg : "");
    struct step *st = script_push(s, kind, origin, text);
    if (!st)
        return cw_errorf(err, "out of memory");
    int rc = 0;
    bool needs_arg = kind != STEP_STOP;
    if (needs_arg && (!arg || !*arg)) {
        rc = step_error(err, origin, "%s: expected an argument (docs/ui.md)",
                        script_verbs[kind]);
    } else if (!needs_arg && arg && *arg) {
        rc = step_error(err, origin, "stop takes no argument");
    } else {
        switch (kind) {
        case STEP_WAIT:
            rc = wait_parse(st, arg, base_file, err);
            if (!rc && timeout)
                st->timeout = timeout;
            break;
        case STEP_KEYS: rc = keys_parse(st, arg, err); break;
        case STEP_TYPE: rc = type_parse(st, arg, err); break;
        case STEP_MOUSE: rc = mouse_parse(st, arg, err); break;
        case STEP_SLEEP: {
            struct cw_error inner;
            if (parse_time(arg, &st->duration, &inner))
                rc = step_error(err, origin, "sleep: %s", inner.msg);
            break;
        }
        case STEP_SCREENSHOT:
        case STEP_MARKER:
        case STEP_PRINT:
            st->arg = script_strdup(arg);
            if (!st->arg)
                rc = cw_errorf(err, "out of memory");
            break;
        case STEP_STOP: break;
        }
    }
    if (timeout && kind != STEP_WAIT && !rc)
        rc = step_error(err, origin, "timeout: only a wait step takes a timeout");
    if (rc) {
        s->nsteps--;
        script_step_free(st);
    }
    return rc;
}

static const char script_verb_list[] =
    "wait, keys, type, mouse, screenshot, sleep, marker, print, stop";

/* Backslash escapes of the command-line form: \n \t \\ */
static void unescape(char *p)
{
    char *out = p;
    for (; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            *out++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            *out++ = *p;
        }
    }
    *out = 0;
}

static int script_add_line_at(struct script *s, const char *line, const char *origin,
                              const char *base_file, struct cw_error *err)
{
    while (isspace((unsigned char)*line))
        line++;
    char verb[16];
    size_t n = strcspn(line, " \t");
    if (n == 0 || n >= sizeof verb)
        return step_error(err, origin, "'%s': expected a step (%s)", line, script_verb_list);
    memcpy(verb, line, n);
    verb[n] = 0;
    int kind = script_verb(verb);
    if (kind < 0)
        return step_error(err, origin, "unknown step '%s'; expected one of %s", verb,
                          script_verb_list);
    const char *arg = line + n;
    while (*arg == ' ' || *arg == '\t')
        arg++;
    char *copy = script_strdup(arg);
    if (!copy)
        return cw_errorf(err, "out of memory");
    /* Only typed text takes escapes; Windows-style paths keep backslashes. */
    if (kind == STEP_TYPE || kind == STEP_PRINT)
        unescape(copy);
    int rc = script_add_step(s, (enum step_kind)kind, copy, 0, origin, base_file, err);
    free(copy);
    return rc;
}

int script_add_line(struct script *s, const char *line, const char *origin,
                    struct cw_error *err)
{
    return script_add_line_at(s, line, origin ? origin : "--do", NULL, err);
}

static void node_origin(const struct ynode *n, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%d:%d", n->file ? n->file : "?", n->line, n->col);
}

static int script_add_map(struct script *s, const struct ynode *m, struct cw_error *err);

int script_add_yaml(struct script *s, const struct ynode *steps, struct cw_error *err)
{
    if (!steps)
        return 0;
    if (steps->kind != YNODE_SEQ)
        return ynode_error(err, steps, "expected a list of script steps, e.g. "
                                       "- wait: \"screen:Install\"");
    for (size_t i = 0; i < steps->count; i++) {
        const struct ynode *n = steps->items[i];
        char origin[600];
        node_origin(n, origin, sizeof origin);
        if (n->kind == YNODE_SCALAR) {
            /* "- stop" or "- keys Down Enter" */
            if (script_add_line_at(s, n->scalar, origin, n->file, err))
                return -1;
        } else if (n->kind == YNODE_MAP) {
            if (script_add_map(s, n, err))
                return -1;
        } else {
            return ynode_error(err, n, "expected a step ({%s: ...}), got a list",
                               "wait|keys|type|...");
        }
    }
    return 0;
}

/* {wait: COND, timeout: T, then: [STEPS]} or {VERB: ARG} */
static int script_add_map(struct script *s, const struct ynode *m, struct cw_error *err)
{
    int kind = -1;
    const struct ynode *arg = NULL, *then = NULL, *timeout_node = NULL;
    for (size_t k = 0; k < m->count; k++) {
        const char *key = m->keys[k];
        const struct ynode *kn = m->key_nodes ? m->key_nodes[k] : m;
        if (strcmp(key, "timeout") == 0) {
            timeout_node = m->items[k];
        } else if (strcmp(key, "then") == 0) {
            then = m->items[k];
        } else {
            int v = script_verb(key);
            if (v < 0)
                return ynode_error(err, kn, "unknown step '%s'; expected one of %s, with "
                                            "timeout: and then: beside a wait",
                                   key, script_verb_list);
            if (kind >= 0)
                return ynode_error(err, kn, "one step per list item: '%s' and '%s' are both "
                                            "here; start a new item with '-'",
                                   script_verbs[kind], key);
            kind = v;
            arg = m->items[k];
        }
    }
    if (kind < 0)
        return ynode_error(err, m, "expected a step (%s)", script_verb_list);
    char origin[600];
    node_origin(arg, origin, sizeof origin);
    const char *text = NULL;
    if (kind == STEP_STOP && arg->kind == YNODE_SCALAR && (!arg->scalar[0] ||
                                                           strcmp(arg->scalar, "~") == 0 ||
                                                           strcmp(arg->scalar, "null") == 0)) {
        text = NULL;
    } else if (ynode_string(arg, &text, err)) {
        return -1;
    }
    sim_time_t timeout = 0;
    if (timeout_node) {
        if (kind != STEP_WAIT)
            return ynode_error(err, timeout_node, "timeout: only a wait step takes a timeout");
        if (ynode_time(timeout_node, &timeout, err))
            return -1;
    }
    if (then && kind != STEP_WAIT)
        return ynode_error(err, then, "then: only follows a wait step");
    if (script_add_step(s, (enum step_kind)kind, text, timeout, origin, arg->file, err))
        return -1;
    return then ? script_add_yaml(s, then, err) : 0;
}

int script_add_file(struct script *s, const char *path, struct cw_error *err)
{
    struct ynode *root = ytree_load_file(path, err);
    if (!root)
        return -1;
    const struct ynode *steps = root;
    if (root->kind == YNODE_MAP) {
        steps = ymap_get(root, "script");
        if (!steps) {
            ytree_free(root);
            return cw_errorf(err, "%s: expected a list of script steps or a map with script:",
                             path);
        }
    }
    int rc = script_add_yaml(s, steps, err);
    ytree_free(root);
    return rc;
}

/* --- running ---------------------------------------------------------------------- */

static FILE *script_log(const struct script *s)
{
    return s->io.log ? s->io.log : stderr;
}

static void fmt_guest_time(char *buf, size_t len, sim_time_t t)
{
    snprintf(buf, len, "%llu.%03llus", (unsigned long long)(t / SIM_S(1)),
             (unsigned long long)(t % SIM_S(1) / SIM_MS(1)));
}

static void script_cancel_events(struct script *s)
{
    event_cancel(s->sim, &s->step_event);
    event_cancel(s->sim, &s->check_event);
    event_cancel(s->sim, &s->timeout_event);
    event_cancel(s->sim, &s->input_event);
}

static void script_end(struct script *s, enum script_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void script_end(struct script *s, enum script_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->message, sizeof s->message, fmt, ap);
    va_end(ap);
    s->status = status;
    s->waiting = false;
    script_cancel_events(s);
    if (status == SCRIPT_STOPPED || status == SCRIPT_FAILED)
        sim_request_stop(s->sim, SIM_STOP_REQUEST);
}

/* The current step is complete: the next one starts `delay` later, from
 * an event (never inside a device's callback). */
static void script_step_done(struct script *s, sim_time_t delay)
{
    s->waiting = false;
    s->started = false;
    s->pc++;
    event_cancel(s->sim, &s->check_event);
    event_cancel(s->sim, &s->timeout_event);
    event_schedule_in(s->sim, &s->step_event, delay, EVENT_PRIO_LOW);
}

static const struct display_surface *script_surface(struct script *s)
{
    return s->io.display->update(s->io.display->opaque);
}

static bool png_matches(const struct png_ref *ref, const struct display_surface *surf)
{
    if (!surf->pixels || surf->width <= 0)
        return false;
    int x = 0, y = 0, w = ref->width, h = ref->height, px = 0, py = 0;
    if (ref->region) {
        x = ref->x;
        y = ref->y;
        w = ref->w;
        h = ref->h;
        /* A full-screen reference is compared at the same place; a crop
         * of the region's size from its corner. */
        if (ref->width == surf->width && ref->height == surf->height) {
            px = x;
            py = y;
        }
        if (px + w > ref->width || py + h > ref->height)
            return false;
    } else if (ref->width != surf->width || ref->height != surf->height) {
        return false;
    }
    if (x + w > surf->width || y + h > surf->height)
        return false;
    for (int r = 0; r < h; r++) {
        const uint32_t *a = surf->pixels + (size_t)(y + r) * (size_t)surf->stride + x;
        const uint32_t *b = ref->pixels + (size_t)(py + r) * (size_t)ref->width + px;
        for (int i = 0; i < w; i++)
            if ((a[i] & 0xFFFFFF) != (b[i] & 0xFFFFFF))
                return false;
    }
    return true;
}

/* Checks a polled condition (screen, screen-png, instructions, time). */
static bool script_cond_holds(struct script *s, const struct step *st)
{
    switch (st->cond) {
    case COND_GUEST_TIME:
        return sim_now(s->sim) >= st->value;
    case COND_INSNS:
        return sim_total_insns(s->sim) >= st->value;
    case COND_SCREEN:
    case COND_SCREEN_PNG: {
        const struct display_surface *surf = script_surface(s);
        /* Reading a graphics screen costs; a frame is read once. */
        if (s->frame_checked && surf->frame == s->checked_frame)
            return false;
        s->frame_checked = true;
        s->checked_frame = surf->frame;
        if (st->cond == COND_SCREEN_PNG)
            return png_matches(&st->png, surf);
        if (!s->screen.font_height && s->io.font)
            screen_text_font_from_vga(&s->screen, s->io.font);
        screen_text_read(&s->screen, s->io.display, s->screen_buf, SCRIPT_SCREEN_TEXT);
        return strstr(s->screen_buf, st->arg) != NULL;
    }
    case COND_MARKER:
    case COND_SERIAL:
    case COND_DEBUGCON:
        return false; /* pushed by hooks and listeners */
    }
    return false;
}

static bool cond_polled(enum cond_kind k)
{
    return k == COND_SCREEN || k == COND_SCREEN_PNG || k == COND_INSNS;
}

static void script_begin_wait(struct script *s, const struct step *st)
{
    s->waiting = true;
    s->stream_len = 0;
    s->frame_checked = false;
    if (st->timeout)
        event_schedule_in(s->sim, &s->timeout_event, st->timeout, EVENT_PRIO_LOW);
    switch (st->cond) {
    case COND_MARKER:
        for (size_t i = 0; i < sim_marker_count(s->sim); i++)
            if (strcmp(sim_marker_get(s->sim, i)->name, st->arg) == 0) {
                script_step_done(s, 0);
                return;
            }
        break;
    case COND_GUEST_TIME:
        if (sim_now(s->sim) >= st->value)
            script_step_done(s, 0);
        else
            event_schedule(s->sim, &s->step_event, st->value, EVENT_PRIO_LOW);
        break;
    default:
        if (cond_polled(st->cond))
            event_schedule_in(s->sim, &s->check_event, 0, EVENT_PRIO_LOW);
        break;
    }
}

static void script_take_screenshot(struct script *s, const char *path)
{
    const struct display_surface *surf = script_surface(s);
    struct cw_error err;
    if (png_write_surface(path, surf, &err)) {
        script_end(s, SCRIPT_FAILED, "step %zu (%s): screenshot: %s", s->pc + 1,
                   s->steps[s->pc].origin, err.msg);
        return;
    }
    fprintf(script_log(s), "screenshot:    %s (%dx%d)\n", path, surf->width, surf->height);
}

static int script_push_action(struct script *s, const struct input_action *a)
{
    struct input_action *grown = realloc(s->actions, (s->nactions + 1) * sizeof *grown);
    if (!grown)
        return -1;
    s->actions = grown;
    s->actions[s->nactions++] = *a;
    return 0;
}

static int key_action(struct script *s, sim_time_t delay, uint16_t code, bool down)
{
    struct input_action a = {.delay = delay, .code = code, .down = down};
    return script_push_action(s, &a);
}

/* Modifiers down, key down, hold, key up, modifiers up (reverse order);
 * each chord after the first starts one gap after the previous one. */
static int script_build_keys(struct script *s, const struct step *st)
{
    const struct script_timing *t = &s->timing;
    int rc = 0;
    for (size_t i = 0; i < st->nchords && !rc; i++) {
        const struct chord *c = &st->chords[i];
        sim_time_t lead = i ? t->gap : 0;
        for (int m = 0; m < c->nmods; m++) {
            rc |= key_action(s, lead, c->mods[m], true);
            lead = t->modifier_gap;
        }
        rc |= key_action(s, lead, c->key, true);
        rc |= key_action(s, t->hold, c->key, false);
        for (int m = c->nmods - 1; m >= 0; m--)
            rc |= key_action(s, t->modifier_gap, c->mods[m], false);
    }
    return rc;
}

static int script_build_mouse(struct script *s, const struct step *st)
{
    struct input_action a = {.is_mouse = true};
    unsigned b = s->mouse_buttons;
    switch (st->mouse) {
    case MOUSE_MOVE:
        a.dx = st->mouse_a;
        a.dy = st->mouse_b;
        a.buttons = b;
        return script_push_action(s, &a);
    case MOUSE_WHEEL:
        a.dz = st->mouse_a;
        a.buttons = b;
        return script_push_action(s, &a);
    case MOUSE_PRESS:
        a.buttons = b | (unsigned)st->mouse_a;
        return script_push_action(s, &a);
    case MOUSE_RELEASE:
        a.buttons = b & ~(unsigned)st->mouse_a;
        return script_push_action(s, &a);
    case MOUSE_CLICK:
        a.buttons = b | (unsigned)st->mouse_a;
        if (script_push_action(s, &a))
            return -1;
        a.delay = s->timing.hold;
        a.buttons = b;
        return script_push_action(s, &a);
    }
    return -1;
}

static void script_begin_input(struct script *s, const struct step *st)
{
    s->nactions = 0;
    s->next_action = 0;
    int rc = st->kind == STEP_MOUSE ? script_build_mouse(s, st) : script_build_keys(s, st);
    if (rc || !s->nactions) {
        script_end(s, SCRIPT_FAILED, "step %zu (%s): out of memory", s->pc + 1, st->origin);
        return;
    }
    event_schedule_in(s->sim, &s->input_event, s->actions[0].delay, EVENT_PRIO_DEFAULT);
}

/* Runs steps from the current one until one has to wait for guest time. */
static void script_run(struct script *s)
{
    while (s->status == SCRIPT_RUNNING) {
        if (s->pc >= s->nsteps) {
            script_end(s, SCRIPT_DONE, "script finished (%zu step%s)", s->nsteps,
                       s->nsteps == 1 ? "" : "s");
            return;
        }
        const struct step *st = &s->steps[s->pc];
        if (s->started) {
            /* Woken by the step event: a sleep ended or a time came. */
            if (st->kind == STEP_SLEEP || (st->kind == STEP_WAIT && script_cond_holds(s, st)))
                script_step_done(s, 0);
            return;
        }
        s->started = true;
        s->step_start = sim_now(s->sim);
        switch (st->kind) {
        case STEP_WAIT:
            script_begin_wait(s, st);
            return;
        case STEP_KEYS:
        case STEP_TYPE:
        case STEP_MOUSE:
            script_begin_input(s, st);
            return;
        case STEP_SLEEP:
            event_schedule_in(s->sim, &s->step_event, st->duration, EVENT_PRIO_LOW);
            return;
        case STEP_SCREENSHOT:
            script_take_screenshot(s, st->arg);
            break;
        case STEP_MARKER:
            sim_marker(s->sim, st->arg);
            break;
        case STEP_PRINT: {
            char t[32];
            fmt_guest_time(t, sizeof t, sim_now(s->sim));
            fprintf(script_log(s), "script [%s]: %s\n", t, st->arg);
            fflush(script_log(s));
            break;
        }
        case STEP_STOP:
            script_end(s, SCRIPT_STOPPED, "script stop (step %zu, %s)", s->pc + 1, st->origin);
            return;
        }
        if (s->status != SCRIPT_RUNNING)
            return;
        s->started = false;
        s->pc++;
    }
}

static void script_on_step(struct event *ev, void *opaque)
{
    script_run(opaque);
}

static void script_on_check(struct event *ev, void *opaque)
{
    struct script *s = opaque;
    if (!s->waiting || s->status != SCRIPT_RUNNING)
        return;
    const struct step *st = &s->steps[s->pc];
    if (script_cond_holds(s, st)) {
        script_step_done(s, 0);
        return;
    }
    event_schedule_in(s->sim, &s->check_event, s->timing.check_period, EVENT_PRIO_LOW);
}

static void script_on_timeout(struct event *ev, void *opaque)
{
    struct script *s = opaque;
    if (!s->waiting || s->status != SCRIPT_RUNNING)
        return;
    const struct step *st = &s->steps[s->pc];
    char t[32];
    fmt_guest_time(t, sizeof t, st->timeout);
    script_end(s, SCRIPT_FAILED, "step %zu (%s) timed out after %s: %s", s->pc + 1, st->origin,
               t, st->text);
}

static void script_on_input(struct event *ev, void *opaque)
{
    struct script *s = opaque;
    if (s->status != SCRIPT_RUNNING || s->next_action >= s->nactions)
        return;
    const struct input_action *a = &s->actions[s->next_action++];
    if (a->is_mouse) {
        s->mouse_buttons = a->buttons;
        s->io.mouse->motion(s->io.mouse->opaque, a->dx, a->dy, a->dz, a->buttons);
    } else {
        s->io.keyboard->key(s->io.keyboard->opaque, a->code, a->down);
    }
    if (s->next_action < s->nactions) {
        event_schedule_in(s->sim, &s->input_event, s->actions[s->next_action].delay,
                          EVENT_PRIO_DEFAULT);
        return;
    }
    script_step_done(s, s->steps[s->pc].kind == STEP_MOUSE ? 0 : s->timing.gap);
}

/* Output of the serial port or debug console: text after the wait began. */
static void script_on_stream(void *ctx, const uint8_t *buf, size_t len)
{
    struct script_stream *stream = ctx;
    struct script *s = stream->s;
    if (!s->waiting || s->status != SCRIPT_RUNNING)
        return;
    const struct step *st = &s->steps[s->pc];
    if (st->cond != stream->kind)
        return;
    size_t need = strlen(st->arg);
    while (len) {
        size_t room = SCRIPT_STREAM_TAIL - s->stream_len;
        if (!room) {
            /* Keep the last need-1 bytes: a match may straddle the cut. */
            size_t keep = need > 1 ? need - 1 : 0;
            if (keep > s->stream_len)
                keep = s->stream_len;
            memmove(s->stream_tail, s->stream_tail + s->stream_len - keep, keep);
            s->stream_len = keep;
            room = SCRIPT_STREAM_TAIL - keep;
        }
        size_t n = len < room ? len : room;
        memcpy(s->stream_tail + s->stream_len, buf, n);
        s->stream_len += n;
        buf += n;
        len -= n;
        if (memmem(s->stream_tail, s->stream_len, st->arg, need)) {
            script_step_done(s, 0);
            return;
        }
    }
}

void script_marker(struct script *s, const char *name)
{
    if (!s || !s->waiting || s->status != SCRIPT_RUNNING)
        return;
    const struct step *st = &s->steps[s->pc];
    if (st->cond == COND_MARKER && strcmp(st->arg, name) == 0)
        script_step_done(s, 0);
}

/* FNV-1a over the visible pixels: a frame number that moved without a
 * visible change (a redrawn menu) makes no new file. */
static uint64_t surface_hash(const struct display_surface *surf)
{
    uint64_t h = 14695981039346656037ull ^ (uint64_t)surf->width << 32 ^ (uint64_t)surf->height;
    for (int y = 0; y < surf->height; y++) {
        const uint32_t *row = surf->pixels + (size_t)y * (size_t)surf->stride;
        for (int x = 0; x < surf->width; x++)
            h = (h ^ (row[x] & 0xFFFFFF)) * 1099511628211ull;
    }
    return h;
}

static void script_on_shot(struct event *ev, void *opaque)
{
    struct script *s = opaque;
    const struct display_surface *surf = script_surface(s);
    uint64_t hash = 0;
    if (surf->width > 0 && surf->pixels && (!s->shot_taken || surf->frame != s->shot_frame))
        hash = surface_hash(surf);
    if (hash && (!s->shot_taken || hash != s->shot_hash)) {
        char t[32], path[1024];
        fmt_guest_time(t, sizeof t, sim_now(s->sim));
        snprintf(path, sizeof path, "%s%s.png", s->shot_prefix, t);
        struct cw_error err;
        if (png_write_surface(path, surf, &err))
            fprintf(script_log(s), "clockwork: screenshot: %s\n", err.msg);
        else
            fprintf(script_log(s), "screenshot:    %s (%dx%d)\n", path, surf->width,
                    surf->height);
        s->shot_taken = true;
        s->shot_hash = hash;
    }
    s->shot_frame = surf->frame;
    event_schedule_in(s->sim, &s->shot_event, s->shot_period, EVENT_PRIO_LOW);
}

/* What a step needs from the machine, or NULL. */
static const char *step_missing(const struct step *st, const struct script_io *io)
{
    switch (st->kind) {
    case STEP_KEYS:
    case STEP_TYPE:
        return io->keyboard ? NULL : "a keyboard";
    case STEP_MOUSE:
        return io->mouse ? NULL : "a mouse";
    case STEP_SCREENSHOT:
        return io->display ? NULL : "a display";
    case STEP_WAIT:
        if ((st->cond == COND_SCREEN || st->cond == COND_SCREEN_PNG) && !io->display)
            return "a display";
        if (st->cond == COND_SERIAL && !io->serial)
            return "a serial port";
        if (st->cond == COND_DEBUGCON && !io->debugcon)
            return "a debug console";
        return NULL;
    default:
        return NULL;
    }
}

int script_start(struct script *s, struct sim *sim, const struct script_io *io,
                 struct cw_error *err)
{
    if (!s->nsteps && !s->shot_period)
        return 0;
    s->io = *io;
    bool serial = false, debugcon = false;
    for (size_t i = 0; i < s->nsteps; i++) {
        const struct step *st = &s->steps[i];
        const char *missing = step_missing(st, io);
        if (missing)
            return cw_errorf(err, "%s: %s: the machine has no %s", st->origin, st->text,
                             missing + 2);
        serial |= st->kind == STEP_WAIT && st->cond == COND_SERIAL;
        debugcon |= st->kind == STEP_WAIT && st->cond == COND_DEBUGCON;
    }
    if (s->shot_period && !io->display)
        return cw_errorf(err, "--screenshot-every: the machine has no display");
    s->screen_buf = malloc(SCRIPT_SCREEN_TEXT);
    if (!s->screen_buf)
        return cw_errorf(err, "out of memory");
    s->sim = sim;
    event_init(sim, &s->step_event, "script-step", script_on_step, s);
    event_init(sim, &s->check_event, "script-check", script_on_check, s);
    event_init(sim, &s->timeout_event, "script-timeout", script_on_timeout, s);
    event_init(sim, &s->input_event, "script-input", script_on_input, s);
    event_init(sim, &s->shot_event, "script-screenshot", script_on_shot, s);
    s->events_ready = true;
    s->streams[0] = (struct script_stream){s, COND_SERIAL};
    s->streams[1] = (struct script_stream){s, COND_DEBUGCON};
    if (serial)
        io->serial->add_listener(io->serial->opaque, script_on_stream, &s->streams[0]);
    if (debugcon)
        io->debugcon->add_listener(io->debugcon->opaque, script_on_stream, &s->streams[1]);
    if (s->shot_period)
        event_schedule_in(sim, &s->shot_event, 0, EVENT_PRIO_LOW);
    if (!s->nsteps)
        return 0;
    s->status = SCRIPT_RUNNING;
    s->pc = 0;
    s->started = false;
    event_schedule_in(sim, &s->step_event, 0, EVENT_PRIO_LOW);
    return 0;
}

enum script_status script_status(const struct script *s)
{
    return s ? s->status : SCRIPT_IDLE;
}

const char *script_describe(const struct script *s)
{
    static const char *const doing[] = {
        [STEP_WAIT] = "waiting for", [STEP_KEYS] = "pressing", [STEP_TYPE] = "typing",
        [STEP_MOUSE] = "moving the mouse:", [STEP_SCREENSHOT] = "screenshot",
        [STEP_SLEEP] = "sleeping", [STEP_MARKER] = "marker", [STEP_PRINT] = "print",
        [STEP_STOP] = "stop",
    };
    struct script *m = (struct script *)s;
    if (s->status == SCRIPT_RUNNING && s->pc < s->nsteps) {
        const struct step *st = &s->steps[s->pc];
        const char *what = st->text + strlen(script_verbs[st->kind]);
        snprintf(m->message, sizeof m->message, "at step %zu of %zu (%s): %s%s", s->pc + 1,
                 s->nsteps, st->origin, doing[st->kind], what);
    } else if (s->status == SCRIPT_IDLE) {
        snprintf(m->message, sizeof m->message, "not started");
    }
    return s->message;
}
