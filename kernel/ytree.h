/* ytree.h: YAML documents as a small tree with source locations.
 * Every node remembers file, line and column so any later error (a bad unit
 * in a parameter, an unknown signal in a wire) can point at the text. */
#ifndef CW_YTREE_H
#define CW_YTREE_H

#include "types.h"

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
    enum ynode_kind kind;
    const char *file;     /* shared, owned by the document */
    int line, col;        /* 1-based */
    char *scalar;         /* YNODE_SCALAR: text */
    bool quoted;          /* scalar was quoted (never a number/bool) */
    /* YNODE_MAP: keys[i] -> items[i]; YNODE_SEQ: items[i] */
    size_t count;
    char **keys;
    struct ynode **key_nodes; /* location of each key */
    struct ynode **items;
};

/* Parses a file / a buffer. Returns NULL and fills err ("file:line:col:
 * message") on I/O or syntax errors. Anchors and aliases are supported;
 * tags are rejected. */
struct ynode *ytree_load_file(const char *path, struct cw_error *err);
struct ynode *ytree_load_string(const char *text, size_t len, const char *name,
                                struct cw_error *err);
void ytree_free(struct ynode *n);
struct ynode *ytree_clone(const struct ynode *n);

/* Map lookup; NULL if absent or n is not a map. */
struct ynode *ymap_get(const struct ynode *map, const char *key);
/* Location of key `key` in a map (falls back to the map itself). */
const struct ynode *ymap_key_node(const struct ynode *map, const char *key);

/* Sets or replaces map[key] (takes ownership of value). Creates nothing
 * above: the map must exist. */
void ymap_set(struct ynode *map, const char *key, struct ynode *value);

/* Deep merge: `over` onto `base` (maps merge by key recursively; scalars and
 * sequences replace). Used for includes and config overrides. */
void ytree_merge(struct ynode *base, const struct ynode *over);

/* Creates a scalar node (for --set PATH=VALUE); location names the origin. */
struct ynode *ynode_new_scalar(const char *text, const char *file, int line, int col);
struct ynode *ynode_new_map(const char *file, int line, int col);

/* Formats "file:line:col: " + message into err and returns -1. */
int ynode_error(struct cw_error *err, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Typed scalar conversion, with errors naming the node and the form wanted. */
int ynode_u64(const struct ynode *n, uint64_t *out, struct cw_error *err);
int ynode_i64(const struct ynode *n, int64_t *out, struct cw_error *err);
int ynode_bool(const struct ynode *n, bool *out, struct cw_error *err);
int ynode_string(const struct ynode *n, const char **out, struct cw_error *err);
/* "2GiB", "640KiB", "4096" -> bytes. */
int ynode_size(const struct ynode *n, uint64_t *out, struct cw_error *err);
/* "1.193182MHz", "33MHz", "32768Hz" -> exact rational Hz. */
int ynode_freq(const struct ynode *n, uint64_t *num, uint64_t *den, struct cw_error *err);
/* "70ns", "2.5s", "1ms", "100ps" -> ps. */
int ynode_time(const struct ynode *n, sim_time_t *out, struct cw_error *err);

/* Same conversions from plain strings (command-line values). Return -1 and a
 * message without location on error. */
int parse_u64(const char *s, uint64_t *out, struct cw_error *err);
int parse_size(const char *s, uint64_t *out, struct cw_error *err);
int parse_freq(const char *s, uint64_t *num, uint64_t *den, struct cw_error *err);
int parse_time(const char *s, sim_time_t *out, struct cw_error *err);

/* Joins names into "a, b, c" for "expected one of" messages: bounded,
 * ends with "..." when cut, "(none)" when empty. */
void cw_join_names(char *out, size_t len, const char *const *names, size_t count);
/* The number of names before the terminating NULL. */
size_t cw_count_names(const char *const *names);
/* The keys of a map joined as above ("(none)" if not a map). */
void ymap_keys_joined(char *out, size_t len, const struct ynode *map);

/* Writes a tree back out as YAML text (for the run table). Caller frees. */
char *ytree_to_text(const struct ynode *n);

#endif
