/* ytree.c: YAML documents as a small tree of maps, sequences and scalars,
 * built from libyaml's event stream, every node carrying file:line:col. */
#include "ytree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Limits that keep hostile input (deep nesting, alias bombs, huge files)
 * from exhausting the host. Machine files are far below all of them. */
#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_NODES 200000
#define YTREE_MAX_FILE_BYTES (16u << 20)

/* --- allocation ----------------------------------------------------------- */

static void *ytree_alloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        fputs("clockwork: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *ytree_strdup(const char *s)
{
    size_t len = strlen(s);
    char *copy = ytree_alloc(len + 1);
    memcpy(copy, s, len);
    return copy;
}

static void ytree_grow(struct ynode *n)
{
    /* Arrays grow in powers of two; count is the only size we keep, so the
     * capacity is implied: grow when count is 0 or a power of two >= 4. */
    size_t count = n->count;
    bool need = count == 0 || (count >= 4 && (count & (count - 1)) == 0);
    if (!need)
        return;
    size_t cap = count == 0 ? 4 : count * 2;
    n->items = realloc(n->items, cap * sizeof *n->items);
    if (n->kind == YNODE_MAP) {
        n->keys = realloc(n->keys, cap * sizeof *n->keys);
        n->key_nodes = realloc(n->key_nodes, cap * sizeof *n->key_nodes);
    }
    if (!n->items || (n->kind == YNODE_MAP && (!n->keys || !n->key_nodes))) {
        fputs("clockwork: out of memory\n", stderr);
        abort();
    }
}

static struct ynode *ynode_new(enum ynode_kind kind, const char *file, int line, int col)
{
    struct ynode *n = ytree_alloc(sizeof *n);
    n->kind = kind;
    n->file = ytree_strdup(file ? file : "");
    n->line = line;
    n->col = col;
    return n;
}

struct ynode *ynode_new_scalar(const char *text, const char *file, int line, int col)
{
    struct ynode *n = ynode_new(YNODE_SCALAR, file, line, col);
    n->scalar = ytree_strdup(text ? text : "");
    return n;
}

struct ynode *ynode_new_map(const char *file, int line, int col)
{
    return ynode_new(YNODE_MAP, file, line, col);
}

void ytree_free(struct ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->count; i++) {
        ytree_free(n->items[i]);
        if (n->kind == YNODE_MAP) {
            free(n->keys[i]);
            ytree_free(n->key_nodes[i]);
        }
    }
    free(n->items);
    free(n->keys);
    free(n->key_nodes);
    free(n->scalar);
    free((char *)n->file);
    free(n);
}

/* Appends to a sequence, or a key/value pair to a map (no duplicate check). */
static void ynode_append(struct ynode *n, struct ynode *key_node, struct ynode *value)
{
    ytree_grow(n);
    n->items[n->count] = value;
    if (n->kind == YNODE_MAP) {
        n->keys[n->count] = ytree_strdup(key_node->scalar);
        n->key_nodes[n->count] = key_node;
    }
    n->count++;
}

struct ynode *ytree_clone(const struct ynode *n)
{
    if (!n)
        return NULL;
    struct ynode *c = ynode_new(n->kind, n->file, n->line, n->col);
    c->quoted = n->quoted;
    if (n->scalar)
        c->scalar = ytree_strdup(n->scalar);
    for (size_t i = 0; i < n->count; i++)
        ynode_append(c, n->kind == YNODE_MAP ? ytree_clone(n->key_nodes[i]) : NULL,
                     ytree_clone(n->items[i]));
    return c;
}

static size_t ytree_count_nodes(const struct ynode *n)
{
    size_t total = 1;
    for (size_t i = 0; i < n->count; i++)
        total += ytree_count_nodes(n->items[i]) + (n->kind == YNODE_MAP);
    return total;
}

/* --- lookup and editing ----------------------------------------------------- */

static long ymap_index(const struct ynode *map, const char *key)
{
    if (!map || map->kind != YNODE_MAP || !key)
        return -1;
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->keys[i], key) == 0)
            return (long)i;
    return -1;
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
    long i = ymap_index(map, key);
    return i < 0 ? NULL : map->items[i];
}

const struct ynode *ymap_key_node(const struct ynode *map, const char *key)
{
    long i = ymap_index(map, key);
    return i < 0 ? map : map->key_nodes[i];
}

void ymap_set(struct ynode *map, const char *key, struct ynode *value)
{
    if (!map || map->kind != YNODE_MAP) {
        ytree_free(value);
        return;
    }
    long i = ymap_index(map, key);
    if (i >= 0) {
        ytree_free(map->items[i]);
        map->items[i] = value;
        return;
    }
    struct ynode *key_node = ynode_new_scalar(key, value ? value->file : map->file,
                                              value ? value->line : map->line,
                                              value ? value->col : map->col);
    ynode_append(map, key_node, value);
}

/* Replaces the contents of `dst` with a deep copy of `src`, keeping dst's
 * address (it may be a root the caller holds). */
static void ynode_replace_contents(struct ynode *dst, const struct ynode *src)
{
    struct ynode *copy = ytree_clone(src);
    struct ynode old = *dst;
    *dst = *copy;
    free(copy);
    /* Free what dst held before, through a heap node so ytree_free works. */
    struct ynode *old_heap = ytree_alloc(sizeof *old_heap);
    *old_heap = old;
    ytree_free(old_heap);
}

void ytree_merge(struct ynode *base, const struct ynode *over)
{
    if (!base || !over || base == over)
        return;
    if (base->kind != YNODE_MAP || over->kind != YNODE_MAP) {
        ynode_replace_contents(base, over);
        return;
    }
    for (size_t i = 0; i < over->count; i++) {
        struct ynode *mine = ymap_get(base, over->keys[i]);
        if (mine && mine->kind == YNODE_MAP && over->items[i]->kind == YNODE_MAP)
            ytree_merge(mine, over->items[i]);
        else if (mine)
            ymap_set(base, over->keys[i], ytree_clone(over->items[i]));
        else
            ynode_append(base, ytree_clone(over->key_nodes[i]), ytree_clone(over->items[i]));
    }
}

/* --- errors ------------------------------------------------------------------ */

int ynode_error(struct cw_error *err, const struct ynode *at, const char *fmt, ...)
{
    if (!err)
        return -1;
    char text[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* Names quoted from the file may hold newlines or tabs; a message
     * stays on one line. */
    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (!at)
        return cw_errorf(err, "%s", text);
    if (at->line <= 0)
        return cw_errorf(err, "%s: %s", at->file, text);
    return cw_errorf(err, "%s:%d:%d: %s", at->file, at->line, at->col, text);
}

/* --- parsing ------------------------------------------------------------------- */

struct ytree_anchor {
    char *name;
    struct ynode *node; /* owned copy of the anchored node */
    size_t size;        /* nodes in it, for the alias-expansion budget */
};

/* One open collection. For maps, `key` holds the key read and waiting for
 * its value; `merges` collects the values of "<<" keys, applied at the end. */
struct ytree_frame {
    struct ynode *node;
    struct ynode *key;
    char *anchor;
    struct ynode **merges;
    size_t nmerges;
};

struct ytree_builder {
    const char *name;
    struct cw_error *err;
    struct ytree_frame stack[YTREE_MAX_DEPTH];
    int depth;
    struct ynode *root;
    struct ytree_anchor *anchors;
    size_t nanchors;
    size_t nodes;
    int documents;
};

static int ytree_mark_error(struct ytree_builder *b, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ytree_mark_error(struct ytree_builder *b, yaml_mark_t mark, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return cw_errorf(b->err, "%s:%zu:%zu: %s", b->name, mark.line + 1, mark.column + 1, text);
}

/* Copies at most 40 printable characters of user text for a message. */
static void ytree_excerpt(char *out, size_t outlen, const char *s)
{
    size_t n = 0;
    for (; *s && n + 4 < outlen && n < 40; s++)
        out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (*s && n + 4 < outlen) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = 0;
}

static int ytree_count(struct ytree_builder *b, size_t more, yaml_mark_t mark);

/* Keeps a copy of an anchored node; the copy counts against the budget. */
static int ytree_anchor_add(struct ytree_builder *b, const char *name, const struct ynode *node,
                            yaml_mark_t mark)
{
    size_t size = ytree_count_nodes(node);
    if (ytree_count(b, size, mark))
        return -1;
    struct ytree_anchor *grown = realloc(b->anchors, (b->nanchors + 1) * sizeof *grown);
    if (!grown) {
        fputs("clockwork: out of memory\n", stderr);
        abort();
    }
    b->anchors = grown;
    struct ytree_anchor *a = &b->anchors[b->nanchors++];
    a->name = ytree_strdup(name);
    a->node = ytree_clone(node);
    a->size = size;
    return 0;
}

static const struct ytree_anchor *ytree_anchor_find(const struct ytree_builder *b,
                                                    const char *name)
{
    /* A later anchor of the same name hides the earlier one. */
    for (size_t i = b->nanchors; i-- > 0;)
        if (strcmp(b->anchors[i].name, name) == 0)
            return &b->anchors[i];
    return NULL;
}

static bool ynode_is_merge_key(const struct ynode *key)
{
    return !key->quoted && strcmp(key->scalar, "<<") == 0;
}

/* Places a finished node into the open collection (or makes it the root). */
static int ytree_place(struct ytree_builder *b, struct ynode *n)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    struct ytree_frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == YNODE_SEQ) {
        ynode_append(f->node, NULL, n);
        return 0;
    }
    if (!f->key) {
        if (n->kind != YNODE_SCALAR) {
            ynode_error(b->err, n, "a map key must be plain text, not a %s",
                        n->kind == YNODE_MAP ? "map" : "list");
            ytree_free(n);
            return -1;
        }
        if (!ynode_is_merge_key(n)) {
            long dup = ymap_index(f->node, n->scalar);
            if (dup >= 0) {
                char key[64];
                ytree_excerpt(key, sizeof key, n->scalar);
                const struct ynode *first = f->node->key_nodes[dup];
                ynode_error(b->err, n, "duplicate key '%s' (first at line %d, column %d)", key,
                            first->line, first->col);
                ytree_free(n);
                return -1;
            }
        }
        f->key = n;
        return 0;
    }
    struct ynode *key = f->key;
    f->key = NULL;
    if (ynode_is_merge_key(key)) {
        ytree_free(key);
        struct ynode **grown = realloc(f->merges, (f->nmerges + 1) * sizeof *grown);
        if (!grown) {
            fputs("clockwork: out of memory\n", stderr);
            abort();
        }
        f->merges = grown;
        f->merges[f->nmerges++] = n;
        return 0;
    }
    ynode_append(f->node, key, n);
    return 0;
}

/* YAML merge keys: "<<: *base" or "<<: [*a, *b]" add the keys the map does
 * not set itself; among several sources the first one wins. */
static int ytree_apply_merges(struct ytree_builder *b, struct ytree_frame *f)
{
    int rc = 0;
    for (size_t m = 0; m < f->nmerges && rc == 0; m++) {
        struct ynode *src = f->merges[m];
        size_t nsrc = src->kind == YNODE_SEQ ? src->count : 1;
        for (size_t s = 0; s < nsrc && rc == 0; s++) {
            const struct ynode *one = src->kind == YNODE_SEQ ? src->items[s] : src;
            if (one->kind != YNODE_MAP) {
                rc = ynode_error(b->err, one, "'<<' merges maps; expected a map or a list of maps");
                break;
            }
            for (size_t i = 0; i < one->count; i++)
                if (ymap_index(f->node, one->keys[i]) < 0)
                    ynode_append(f->node, ytree_clone(one->key_nodes[i]),
                                 ytree_clone(one->items[i]));
        }
    }
    for (size_t m = 0; m < f->nmerges; m++)
        ytree_free(f->merges[m]);
    free(f->merges);
    f->merges = NULL;
    f->nmerges = 0;
    return rc;
}

static int ytree_count(struct ytree_builder *b, size_t more, yaml_mark_t mark)
{
    b->nodes += more;
    if (b->nodes > YTREE_MAX_NODES)
        return ytree_mark_error(b, mark, "document too large (more than %d nodes after "
                                "expanding aliases)", YTREE_MAX_NODES);
    return 0;
}

static int ytree_reject_tag(struct ytree_builder *b, const yaml_char_t *tag, yaml_mark_t mark)
{
    if (!tag)
        return 0;
    char text[64];
    ytree_excerpt(text, sizeof text, (const char *)tag);
    return ytree_mark_error(b, mark, "tags are not supported ('%s'); write plain values", text);
}

static int ytree_on_scalar(struct ytree_builder *b, const yaml_event_t *ev)
{
    yaml_mark_t mark = ev->start_mark;
    if (ytree_reject_tag(b, ev->data.scalar.tag, mark) || ytree_count(b, 1, mark))
        return -1;
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, 0, len))
        return ytree_mark_error(b, mark, "text contains a NUL character");
    struct ynode *n = ynode_new_scalar(value, b->name, (int)mark.line + 1, (int)mark.column + 1);
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (ev->data.scalar.anchor &&
        ytree_anchor_add(b, (const char *)ev->data.scalar.anchor, n, mark)) {
        ytree_free(n);
        return -1;
    }
    return ytree_place(b, n);
}

static int ytree_on_alias(struct ytree_builder *b, const yaml_event_t *ev)
{
    yaml_mark_t mark = ev->start_mark;
    const char *name = (const char *)ev->data.alias.anchor;
    const struct ytree_anchor *a = ytree_anchor_find(b, name);
    if (!a) {
        char text[64];
        ytree_excerpt(text, sizeof text, name);
        return ytree_mark_error(b, mark, "unknown anchor '*%s' (an alias must follow its "
                                "complete anchored value)", text);
    }
    if (ytree_count(b, a->size, mark))
        return -1;
    struct ynode *n = ytree_clone(a->node);
    /* The copy is reported at the alias, where the reader sees it used. */
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
    return ytree_place(b, n);
}

static int ytree_on_start(struct ytree_builder *b, const yaml_event_t *ev, enum ynode_kind kind)
{
    yaml_mark_t mark = ev->start_mark;
    const yaml_char_t *tag = kind == YNODE_MAP ? ev->data.mapping_start.tag
                                               : ev->data.sequence_start.tag;
    const yaml_char_t *anchor = kind == YNODE_MAP ? ev->data.mapping_start.anchor
                                                  : ev->data.sequence_start.anchor;
    if (ytree_reject_tag(b, tag, mark) || ytree_count(b, 1, mark))
        return -1;
    if (b->depth > 0) {
        const struct ytree_frame *top = &b->stack[b->depth - 1];
        if (top->node->kind == YNODE_MAP && !top->key)
            return ytree_mark_error(b, mark, "a map key must be plain text, not a %s",
                                    kind == YNODE_MAP ? "map" : "list");
    }
    if (b->depth == YTREE_MAX_DEPTH)
        return ytree_mark_error(b, mark, "nesting too deep (at most %d levels)",
                                YTREE_MAX_DEPTH);
    struct ytree_frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = ynode_new(kind, b->name, (int)mark.line + 1, (int)mark.column + 1);
    if (anchor)
        f->anchor = ytree_strdup((const char *)anchor);
    return 0;
}

static int ytree_on_end(struct ytree_builder *b, yaml_mark_t mark)
{
    struct ytree_frame *f = &b->stack[b->depth - 1];
    int rc = ytree_apply_merges(b, f);
    /* The parser guarantees a value follows every key before the end. */
    ytree_free(f->key);
    f->key = NULL;
    struct ynode *n = f->node;
    f->node = NULL;
    if (f->anchor && rc == 0)
        rc = ytree_anchor_add(b, f->anchor, n, mark);
    free(f->anchor);
    f->anchor = NULL;
    b->depth--;
    if (rc) {
        ytree_free(n);
        return rc;
    }
    return ytree_place(b, n);
}

static int ytree_on_event(struct ytree_builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return ytree_mark_error(b, ev->start_mark,
                                    "a second document ('---'); expected one document per file");
        return 0;
    case YAML_SCALAR_EVENT:
        return ytree_on_scalar(b, ev);
    case YAML_ALIAS_EVENT:
        return ytree_on_alias(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return ytree_on_start(b, ev, YNODE_SEQ);
    case YAML_MAPPING_START_EVENT:
        return ytree_on_start(b, ev, YNODE_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return ytree_on_end(b, ev->start_mark);
    default:
        return 0;
    }
}

/* Line and column of a byte offset, for reader errors (bad encoding). */
static void ytree_offset_position(const char *text, size_t len, size_t offset, size_t *line,
                                  size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static int ytree_parser_error(struct ytree_builder *b, const yaml_parser_t *p, const char *text,
                              size_t len)
{
    const char *problem = p->problem ? p->problem : "unreadable YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return cw_errorf(b->err, "%s: out of memory while parsing", b->name);
    if (p->error == YAML_READER_ERROR) {
        size_t line, col;
        ytree_offset_position(text, len, p->problem_offset, &line, &col);
        return cw_errorf(b->err, "%s:%zu:%zu: invalid text: %s", b->name, line, col, problem);
    }
    if (p->context)
        return ytree_mark_error(b, p->problem_mark, "YAML syntax error: %s %s", problem,
                                p->context);
    return ytree_mark_error(b, p->problem_mark, "YAML syntax error: %s", problem);
}

static void ytree_builder_release(struct ytree_builder *b)
{
    while (b->depth > 0) {
        struct ytree_frame *f = &b->stack[--b->depth];
        ytree_free(f->node);
        ytree_free(f->key);
        free(f->anchor);
        for (size_t m = 0; m < f->nmerges; m++)
            ytree_free(f->merges[m]);
        free(f->merges);
    }
    for (size_t i = 0; i < b->nanchors; i++) {
        free(b->anchors[i].name);
        ytree_free(b->anchors[i].node);
    }
    free(b->anchors);
}

struct ynode *ytree_load_string(const char *text, size_t len, const char *name,
                                struct cw_error *err)
{
    struct ytree_builder b = {.name = name ? name : "<string>", .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        cw_errorf(err, "%s: out of memory", b.name);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    bool done = false;
    int rc = 0;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = ytree_parser_error(&b, &parser, text, len);
            break;
        }
        rc = ytree_on_event(&b, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    ytree_builder_release(&b);
    if (rc) {
        ytree_free(b.root);
        return NULL;
    }
    /* An empty file is an empty map: "nothing set". */
    if (!b.root)
        b.root = ynode_new_map(b.name, 1, 1);
    return b.root;
}

struct ynode *ytree_load_file(const char *path, struct cw_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cw_errorf(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *text = ytree_alloc(cap);
    for (;;) {
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        if (cap >= YTREE_MAX_FILE_BYTES) {
            fclose(f);
            free(text);
            cw_errorf(err, "%s: file too large for a YAML description (over %u MiB)", path,
                      YTREE_MAX_FILE_BYTES >> 20);
            return NULL;
        }
        cap *= 2;
        text = realloc(text, cap);
        if (!text) {
            fputs("clockwork: out of memory\n", stderr);
            abort();
        }
    }
    bool failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        free(text);
        cw_errorf(err, "%s: cannot read: %s", path, strerror(saved));
        return NULL;
    }
    struct ynode *root = ytree_load_string(text, len, path, err);
    free(text);
    return root;
}

/* --- writing ------------------------------------------------------------------- */

struct ytree_text {
    char *data;
    size_t len, cap;
};

static int ytree_text_write(void *opaque, unsigned char *buffer, size_t size)
{
    struct ytree_text *t = opaque;
    if (t->len + size + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + size + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown)
            return 0;
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, buffer, size);
    t->len += size;
    t->data[t->len] = 0;
    return 1;
}

static int ytree_emit_scalar(yaml_emitter_t *e, const char *text, bool quoted)
{
    yaml_event_t ev;
    /* An empty value is written '' so that it reads back as a value (an
     * empty document would read back as an empty map). */
    yaml_scalar_style_t style = quoted || !text[0] ? YAML_SINGLE_QUOTED_SCALAR_STYLE
                                                   : YAML_ANY_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
                                      1, 1, style))
        return 0;
    return yaml_emitter_emit(e, &ev);
}

static int ytree_emit_node(yaml_emitter_t *e, const struct ynode *n)
{
    yaml_event_t ev;
    switch (n->kind) {
    case YNODE_SCALAR:
        return ytree_emit_scalar(e, n->scalar, n->quoted);
    case YNODE_SEQ:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_ANY_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return 0;
        for (size_t i = 0; i < n->count; i++)
            if (!ytree_emit_node(e, n->items[i]))
                return 0;
        return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
    case YNODE_MAP:
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_ANY_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return 0;
        for (size_t i = 0; i < n->count; i++)
            if (!ytree_emit_scalar(e, n->keys[i], n->key_nodes[i]->quoted) ||
                !ytree_emit_node(e, n->items[i]))
                return 0;
        return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
    }
    return 0;
}

char *ytree_to_text(const struct ynode *n)
{
    if (!n)
        return ytree_strdup("");
    struct ytree_text out = {0};
    yaml_emitter_t e;
    yaml_event_t ev;
    if (!yaml_emitter_initialize(&e))
        return NULL;
    yaml_emitter_set_output(&e, ytree_text_write, &out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    bool ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
              yaml_emitter_emit(&e, &ev) &&
              yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
              yaml_emitter_emit(&e, &ev) && ytree_emit_node(&e, n) &&
              yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
              yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev);
    yaml_emitter_delete(&e);
    if (!ok) {
        free(out.data);
        return NULL;
    }
    return out.data ? out.data : ytree_strdup("");
}

void cw_join_names(char *out, size_t len, const char *const *names, size_t count)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < count; i++) {
        int n = snprintf(out + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0 || (size_t)n >= len - used) {
            snprintf(out + (used < len - 4 ? used : len - 4), 4, "...");
            return;
        }
        used += (size_t)n;
    }
    if (count == 0)
        snprintf(out, len, "(none)");
}

size_t cw_count_names(const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    return n;
}

void ymap_keys_joined(char *out, size_t len, const struct ynode *map)
{
    if (!map || map->kind != YNODE_MAP) {
        snprintf(out, len, "(none)");
        return;
    }
    cw_join_names(out, len, (const char *const *)map->keys, map->count);
}
