/* test_ytree.c: the YAML tree: locations, quoting, anchors and merge keys,
 * syntax errors with positions, limits, merging and writing back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/ytree.h"

static struct ynode *load(const char *text)
{
    struct cw_error err = {{0}};
    struct ynode *n = ytree_load_string(text, strlen(text), "t.yaml", &err);
    if (!n)
        fail_msg("load failed: %s", err.msg);
    return n;
}

/* Returns the error for text that must not load. */
static const char *load_error(const char *text)
{
    static struct cw_error err;
    memset(&err, 0, sizeof err);
    struct ynode *n = ytree_load_string(text, strlen(text), "t.yaml", &err);
    if (n) {
        ytree_free(n);
        fail_msg("accepted: %s", text);
    }
    assert_null(strchr(err.msg, '\n'));
    return err.msg;
}

static void test_structure_and_locations(void **state)
{
    (void)state;
    struct ynode *root = load("machine:\n"
                              "  name: pc\n"
                              "clocks:\n"
                              "  cpu: 100MHz\n"
                              "  pit: \"1.193182MHz\"\n"
                              "wires: [a.out -> b.in, 'c.x -> d.y']\n"
                              "text: |\n"
                              "  two\n"
                              "  lines\n");
    assert_int_equal(root->kind, YNODE_MAP);
    assert_int_equal(root->count, 4);
    assert_string_equal(root->keys[0], "machine");
    assert_string_equal(root->keys[3], "text");

    struct ynode *name = ymap_get(ymap_get(root, "machine"), "name");
    assert_non_null(name);
    assert_string_equal(name->scalar, "pc");
    assert_string_equal(name->file, "t.yaml");
    assert_int_equal(name->line, 2);
    assert_int_equal(name->col, 9);
    assert_false(name->quoted);

    const struct ynode *key = ymap_key_node(ymap_get(root, "clocks"), "pit");
    assert_int_equal(key->line, 5);
    assert_int_equal(key->col, 3);
    struct ynode *pit = ymap_get(ymap_get(root, "clocks"), "pit");
    assert_true(pit->quoted);
    assert_int_equal(pit->col, 8);

    struct ynode *wires = ymap_get(root, "wires");
    assert_int_equal(wires->kind, YNODE_SEQ);
    assert_int_equal(wires->count, 2);
    assert_string_equal(wires->items[0]->scalar, "a.out -> b.in");
    assert_int_equal(wires->items[1]->line, 6);
    assert_int_equal(wires->items[1]->col, 24);
    assert_true(wires->items[1]->quoted);

    struct ynode *text = ymap_get(root, "text");
    assert_string_equal(text->scalar, "two\nlines\n");
    assert_true(text->quoted);

    assert_null(ymap_get(root, "nothing"));
    assert_null(ymap_get(wires, "x"));
    /* An absent key's location falls back to the map. */
    assert_ptr_equal(ymap_key_node(root, "nothing"), root);
    ytree_free(root);
}

static void test_empty_documents(void **state)
{
    (void)state;
    struct ynode *n = load("");
    assert_int_equal(n->kind, YNODE_MAP);
    assert_int_equal(n->count, 0);
    ytree_free(n);
    n = load("# only a comment\n");
    assert_int_equal(n->kind, YNODE_MAP);
    ytree_free(n);
    n = load("key:\n");
    assert_string_equal(ymap_get(n, "key")->scalar, "");
    ytree_free(n);
}

static void test_anchors_and_merge_keys(void **state)
{
    (void)state;
    struct ynode *root = load("base: &b {type: ram, size: 1MiB, space: mem}\n"
                              "copy: *b\n"
                              "over:\n"
                              "  <<: *b\n"
                              "  size: 2MiB\n"
                              "two:\n"
                              "  <<: [{a: 1, b: 1}, {b: 2, c: 2}]\n"
                              "scalar: &s hello\n"
                              "again: *s\n");
    struct ynode *copy = ymap_get(root, "copy");
    assert_int_equal(copy->kind, YNODE_MAP);
    assert_string_equal(ymap_get(copy, "type")->scalar, "ram");
    /* The copy is reported where the alias was written. */
    assert_int_equal(copy->line, 2);
    assert_int_equal(copy->col, 7);

    struct ynode *over = ymap_get(root, "over");
    assert_int_equal(over->count, 3);
    assert_string_equal(ymap_get(over, "size")->scalar, "2MiB");
    assert_string_equal(ymap_get(over, "space")->scalar, "mem");
    assert_null(ymap_get(over, "<<"));

    struct ynode *two = ymap_get(root, "two");
    assert_string_equal(ymap_get(two, "b")->scalar, "1"); /* first source wins */
    assert_string_equal(ymap_get(two, "c")->scalar, "2");
    assert_string_equal(ymap_get(root, "again")->scalar, "hello");
    ytree_free(root);

    assert_string_equal(load_error("a: *nope\n"),
                        "t.yaml:1:4: unknown anchor '*nope' (an alias must follow its "
                        "complete anchored value)");
    /* A collection cannot contain itself. */
    load_error("a: &x [1, *x]\n");
    assert_string_equal(load_error("a:\n  <<: 5\n"),
                        "t.yaml:2:7: '<<' merges maps; expected a map or a list of maps");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    assert_string_equal(load_error("a: 1\nb: 2\na: 3\n"),
                        "t.yaml:3:1: duplicate key 'a' (first at line 1, column 1)");
    assert_string_equal(load_error("a: b: c\n"),
                        "t.yaml:1:5: YAML syntax error: mapping values are not allowed in this "
                        "context");
    assert_string_equal(load_error("a: !!int 5\n"),
                        "t.yaml:1:4: tags are not supported ('tag:yaml.org,2002:int'); write "
                        "plain values");
    assert_string_equal(load_error("? [1, 2]\n: x\n"),
                        "t.yaml:1:3: a map key must be plain text, not a list");
    assert_string_equal(load_error("a: 1\n---\nb: 2\n"),
                        "t.yaml:2:1: a second document ('---'); expected one document per file");
    assert_string_equal(load_error("a: \"x\\0y\"\n"), "t.yaml:1:4: text contains a NUL character");
    const char *msg = load_error("a: [1, 2\n");
    assert_true(strncmp(msg, "t.yaml:2:1: YAML syntax error: ", 31) == 0);
    msg = load_error("a: \"unterminated\n");
    assert_true(strncmp(msg, "t.yaml:", 7) == 0);
    /* Invalid UTF-8 is a reader error with a position. */
    msg = load_error("a: 1\nb: \xff\xfe\n");
    assert_string_equal(msg, "t.yaml:2:4: invalid text: invalid leading UTF-8 octet");
    assert_non_null(load_error("\t- x\n"));
}

static void test_limits(void **state)
{
    (void)state;
    /* Nesting beyond the limit. */
    char deep[400];
    memset(deep, '[', 100);
    deep[100] = 0;
    assert_string_equal(load_error(deep), "t.yaml:1:65: nesting too deep (at most 64 levels)");

    /* A "billion laughs" alias bomb stops at the node budget. */
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    const char *msg = load_error(bomb);
    assert_non_null(strstr(msg, "document too large"));
}

static void test_merge(void **state)
{
    (void)state;
    struct ynode *base = load("components:\n"
                              "  ram0: {type: ram, size: 1MiB}\n"
                              "  pit0: {type: i8254}\n"
                              "wires: [a.x -> b.y]\n"
                              "name: base\n");
    struct ynode *over = load("components:\n"
                              "  ram0: {size: 2MiB}\n"
                              "  uart0: {type: ns16550}\n"
                              "wires: [c.x -> d.y, e.x -> f.y]\n"
                              "name: {nested: map}\n");
    ytree_merge(base, over);
    ytree_free(over);
    struct ynode *comps = ymap_get(base, "components");
    assert_int_equal(comps->count, 3);
    assert_string_equal(comps->keys[0], "ram0"); /* base order kept, new keys after */
    assert_string_equal(comps->keys[2], "uart0");
    struct ynode *ram = ymap_get(comps, "ram0");
    assert_string_equal(ymap_get(ram, "type")->scalar, "ram");
    assert_string_equal(ymap_get(ram, "size")->scalar, "2MiB");
    assert_int_equal(ymap_get(ram, "size")->line, 2); /* location of the override */
    assert_int_equal(ymap_get(base, "wires")->count, 2); /* sequences replace */
    assert_int_equal(ymap_get(base, "name")->kind, YNODE_MAP);

    /* A scalar root replaced by a map keeps its address. */
    struct ynode *s = ynode_new_scalar("x", "a", 1, 1);
    struct ynode *m = load("k: v\n");
    ytree_merge(s, m);
    assert_int_equal(s->kind, YNODE_MAP);
    assert_string_equal(ymap_get(s, "k")->scalar, "v");
    ytree_free(m);
    ytree_free(s);
    ytree_free(base);
}

static void test_set_clone_and_new(void **state)
{
    (void)state;
    struct ynode *map = ynode_new_map("--set", 0, 0);
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        ymap_set(map, key, ynode_new_scalar(key, "--set", 0, 0));
    }
    assert_int_equal(map->count, 40);
    ymap_set(map, "k7", ynode_new_scalar("seven", "x.yaml", 4, 3));
    assert_int_equal(map->count, 40);
    assert_string_equal(ymap_get(map, "k7")->scalar, "seven");
    assert_string_equal(ymap_get(map, "k39")->scalar, "k39");

    struct ynode *copy = ytree_clone(map);
    ytree_free(map);
    assert_int_equal(copy->count, 40);
    assert_string_equal(ymap_get(copy, "k7")->file, "x.yaml");

    struct cw_error err;
    assert_int_equal(ynode_error(&err, ymap_get(copy, "k7"), "bad %s", "thing"), -1);
    assert_string_equal(err.msg, "x.yaml:4:3: bad thing");
    /* Nodes from the command line have no line: just the origin. */
    assert_int_equal(ynode_error(&err, ymap_get(copy, "k1"), "bad"), -1);
    assert_string_equal(err.msg, "--set: bad");
    ytree_free(copy);
    ytree_free(NULL);
    assert_null(ytree_clone(NULL));
}

static void test_to_text_round_trip(void **state)
{
    (void)state;
    const char *src = "machine: {name: pc}\n"
                      "n: 0x10\n"
                      "q: '0x10'\n"
                      "list: [a, 'b: c', \"multi\\nline\"]\n"
                      "empty: {}\n";
    struct ynode *a = load(src);
    char *text = ytree_to_text(a);
    assert_non_null(text);
    struct ynode *b = load(text);
    char *again = ytree_to_text(b);
    assert_string_equal(text, again);
    assert_false(ymap_get(b, "n")->quoted);
    assert_true(ymap_get(b, "q")->quoted);
    assert_string_equal(ymap_get(b, "list")->items[1]->scalar, "b: c");
    assert_string_equal(ymap_get(b, "list")->items[2]->scalar, "multi\nline");
    free(text);
    free(again);
    ytree_free(a);
    ytree_free(b);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_ytree_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    /* Bigger than one read chunk. */
    for (int i = 0; i < 500; i++)
        fprintf(f, "key%d: value%d\n", i, i);
    fclose(f);
    struct cw_error err;
    struct ynode *n = ytree_load_file(path, &err);
    assert_non_null(n);
    assert_int_equal(n->count, 500);
    assert_string_equal(ymap_get(n, "key499")->scalar, "value499");
    assert_string_equal(n->file, path);
    assert_int_equal(ymap_get(n, "key499")->line, 500);
    ytree_free(n);
    unlink(path);
    assert_null(ytree_load_file("/nonexistent/x.yaml", &err));
    assert_string_equal(err.msg, "/nonexistent/x.yaml: cannot open: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_and_locations),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_anchors_and_merge_keys),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_set_clone_and_new),
        cmocka_unit_test(test_to_text_round_trip),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
