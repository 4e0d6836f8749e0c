/* moo.c: MOO test-file reader (moo.h), after the public MOO format v1
 * specification (dbalsom/moo). */
#include "tests/lib/moo.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static uint32_t moo_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int moo_open(struct moo_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    gzFile g = gzopen(path, "rb");
    if (!g)
        return -1;
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        int r = gzread(g, buf + n, (unsigned)(cap - n));
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    gzclose(g);
    f->buf = buf;
    f->len = n;
    if (n >= 20 && !memcmp(buf, "MOO ", 4)) {
        memcpy(f->cpu, buf + 16, 4);
        f->pos = 8 + moo_rd32(buf + 4);
    }
    return 0;
}

void moo_close(struct moo_file *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

static void moo_state_parse(const uint8_t *p, const uint8_t *end, struct moo_state *s)
{
    memset(s, 0, sizeof *s);
    while (p + 8 <= end) {
        uint32_t len = moo_rd32(p + 4);
        const uint8_t *d = p + 8;
        if (d + len > end)
            return;
        if (!memcmp(p, "REGS", 4)) {
            s->mask = (uint16_t)(d[0] | (d[1] << 8));
            const uint8_t *v = d + 2;
            for (int i = 0; i < MOO_NREGS; i++)
                if (s->mask & (1u << i)) {
                    s->regs[i] = (uint16_t)(v[0] | (v[1] << 8));
                    v += 2;
                }
        } else if (!memcmp(p, "RAM ", 4)) {
            s->nram = moo_rd32(d);
            s->ram = d + 4;
        } else if (!memcmp(p, "QUEU", 4)) {
            s->nqueue = moo_rd32(d);
            s->queue = d + 4;
        }
        p = d + len;
    }
}

bool moo_next(struct moo_file *f, struct moo_test *t)
{
    while (f->pos + 8 <= f->len) {
        const uint8_t *p = f->buf + f->pos;
        uint32_t clen = moo_rd32(p + 4);
        f->pos += 8 + clen;
        if (memcmp(p, "TEST", 4) != 0 || f->pos > f->len)
            continue;
        memset(t, 0, sizeof *t);
        const uint8_t *q = p + 12, *end = p + 8 + clen;
        while (q + 8 <= end) {
            uint32_t len = moo_rd32(q + 4);
            const uint8_t *d = q + 8;
            if (d + len > end)
                break;
            if (!memcmp(q, "NAME", 4)) {
                uint32_t n = moo_rd32(d);
                if (n >= sizeof t->name)
                    n = sizeof t->name - 1;
                memcpy(t->name, d + 4, n);
            } else if (!memcmp(q, "BYTS", 4)) {
                t->nbytes = moo_rd32(d);
                t->bytes = d + 4;
            } else if (!memcmp(q, "INIT", 4)) {
                moo_state_parse(d, d + len, &t->init);
            } else if (!memcmp(q, "FINA", 4)) {
                moo_state_parse(d, d + len, &t->fina);
            } else if (!memcmp(q, "CYCL", 4)) {
                t->ncycles = moo_rd32(d);
                t->cycles = d + 4;
            } else if (!memcmp(q, "EXCP", 4)) {
                t->has_excp = true;
                t->excp_vec = d[0];
            } else if (!memcmp(q, "HASH", 4)) {
                for (int i = 0; i < 20; i++)
                    snprintf(t->hash + 2 * i, 3, "%02x", d[i]);
            }
            q = d + len;
        }
        return true;
    }
    return false;
}

void moo_cycle_get(const struct moo_test *t, uint32_t i, struct moo_cycle *c)
{
    const uint8_t *p = t->cycles + 15 * (size_t)i;
    c->pins0 = p[0];
    c->addr = moo_rd32(p + 1);
    c->seg = p[5];
    c->mem_status = p[6];
    c->io_status = p[7];
    c->pins1 = p[8];
    c->data = (uint16_t)(p[9] | (p[10] << 8));
    c->bus_status = p[11];
    c->t_state = p[12];
    c->queue_op = p[13];
    c->queue_byte = p[14];
}

/* --- metadata.json: a scan for "KEY": {"status": ..., "flags-mask": N} ------ */

struct moo_meta_entry {
    char key[16];
    char status[64];
    long flags_mask;
};

struct moo_meta {
    struct moo_meta_entry *e;
    size_t n, cap;
};

static struct moo_meta_entry *moo_meta_add(struct moo_meta *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].key, key))
            return &m->e[i];
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 256;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
    }
    struct moo_meta_entry *e = &m->e[m->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->flags_mask = -1;
    return e;
}

/* Walks the JSON keeping a stack of object keys; records "status" and
 * "flags-mask" under opcodes/OP or opcodes/OP/reg/R. */
struct moo_meta *moo_meta_load(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, fp) != (size_t)n)
        n = 0;
    s[n] = 0;
    fclose(fp);
    struct moo_meta *m = calloc(1, sizeof *m);
    char stack[8][64];
    int depth = 0;
    char last_key[64] = "";
    for (char *p = s; *p; p++) {
        if (*p == '"') {
            char *q = strchr(p + 1, '"');
            if (!q)
                break;
            char str[64];
            size_t len = (size_t)(q - p - 1) < sizeof str - 1 ? (size_t)(q - p - 1) : sizeof str - 1;
            memcpy(str, p + 1, len);
            str[len] = 0;
            p = q;
            char *r = p + 1;
            while (*r == ' ' || *r == '\n' || *r == '\r' || *r == '\t')
                r++;
            if (*r == ':') {
                snprintf(last_key, sizeof last_key, "%s", str);
            } else if (!strcmp(last_key, "status") && depth >= 3 && !strcmp(stack[1], "opcodes")) {
                char key[160];
                if (depth >= 5 && !strcmp(stack[3], "reg"))
                    snprintf(key, sizeof key, "%s.%s", stack[2], stack[4]);
                else
                    snprintf(key, sizeof key, "%s", stack[2]);
                snprintf(moo_meta_add(m, key)->status, sizeof m->e[0].status, "%s", str);
            }
        } else if (*p == '{') {
            if (depth < 8)
                snprintf(stack[depth], sizeof stack[0], "%s", last_key);
            depth++;
        } else if (*p == '}') {
            depth--;
        } else if ((*p >= '0' && *p <= '9') && !strcmp(last_key, "flags-mask") && depth >= 3) {
            char key[160];
            if (depth >= 5 && !strcmp(stack[3], "reg"))
                snprintf(key, sizeof key, "%s.%s", stack[2], stack[4]);
            else
                snprintf(key, sizeof key, "%s", stack[2]);
            moo_meta_add(m, key)->flags_mask = strtol(p, &p, 10);
            p--;
            last_key[0] = 0;
        }
    }
    free(s);
    return m;
}

void moo_meta_free(struct moo_meta *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}

static struct moo_meta_entry *moo_meta_find(struct moo_meta *m, const char *key)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (!strcmp(m->e[i].key, key))
            return &m->e[i];
    return NULL;
}

const char *moo_meta_status(struct moo_meta *m, const char *key)
{
    struct moo_meta_entry *e = moo_meta_find(m, key);
    if (e && e->status[0])
        return e->status;
    char op[8];
    snprintf(op, sizeof op, "%.2s", key);
    e = moo_meta_find(m, op);
    return e && e->status[0] ? e->status : "normal";
}

long moo_meta_flags_mask(struct moo_meta *m, const char *key)
{
    struct moo_meta_entry *e = moo_meta_find(m, key);
    if (e && e->flags_mask >= 0)
        return e->flags_mask;
    char op[8];
    snprintf(op, sizeof op, "%.2s", key);
    e = moo_meta_find(m, op);
    return e ? e->flags_mask : -1;
}

static int moo_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t moo_list(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    size_t n = 0, cap = 0;
    *names = NULL;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strstr(de->d_name, ".MOO"))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 512;
            *names = realloc(*names, cap * sizeof **names);
        }
        (*names)[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(*names, n, sizeof **names, moo_name_cmp);
    return n;
}

void moo_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
