/* fuzz_yaml.c: libFuzzer target for the YAML loader and the machine builder.
 * Any input must either load or be refused with a one-line message; a tree
 * that loads must survive writing back and reloading unchanged, and
 * machine_build on it must build or refuse, never crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/config.h"
#include "kernel/machine.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_message(const struct cw_error *err)
{
    if (!err->msg[0] || strchr(err->msg, '\n')) {
        fprintf(stderr, "bad error message: '%s'\n", err->msg);
        abort();
    }
}

/* Short inputs also go through the plain-string parsers. */
static void fuzz_scalars(const uint8_t *data, size_t size)
{
    if (size > 200)
        return;
    char s[201];
    memcpy(s, data, size);
    s[size] = 0;
    struct cw_error err;
    uint64_t u, num, den;
    sim_time_t t;
    if (parse_u64(s, &u, &err))
        fuzz_check_message(&err);
    if (parse_size(s, &u, &err))
        fuzz_check_message(&err);
    if (parse_freq(s, &num, &den, &err))
        fuzz_check_message(&err);
    else if (num == 0 || den == 0)
        abort();
    if (parse_time(s, &t, &err))
        fuzz_check_message(&err);
    struct until_cond cond;
    if (until_parse(s, "--until", &cond, &err) == 0)
        free(cond.text);
    else
        fuzz_check_message(&err);
}

/* Writing a tree out and reading it back gives the same text again. */
static void fuzz_round_trip(const struct ynode *tree)
{
    char *text = ytree_to_text(tree);
    if (!text)
        return;
    struct cw_error err;
    struct ynode *again = ytree_load_string(text, strlen(text), "round-trip", &err);
    if (!again) {
        fprintf(stderr, "written tree does not reload: %s\n---\n%s\n", err.msg, text);
        abort();
    }
    char *text2 = ytree_to_text(again);
    if (!text2 || strcmp(text, text2) != 0) {
        fprintf(stderr, "round trip changed the text:\n---\n%s\n---\n%s\n", text,
                text2 ? text2 : "(null)");
        abort();
    }
    free(text2);
    ytree_free(again);
    free(text);
}

/* Models open files named in parameters; device nodes could block. */
static bool fuzz_names_devices(const uint8_t *data, size_t size)
{
    return memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
           memmem(data, size, "/sys", 4) || memmem(data, size, "\\x2", 3) ||
           memmem(data, size, "\\u", 2) || memmem(data, size, "\\U", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scalars(data, size);
    struct cw_error err = {{0}};
    struct ynode *tree = ytree_load_string((const char *)data, size, "fuzz.yaml", &err);
    if (!tree) {
        fuzz_check_message(&err);
        return 0;
    }
    fuzz_round_trip(tree);
    struct ynode *copy = ytree_clone(tree);
    ytree_merge(copy, tree);
    ytree_free(copy);
    if (!fuzz_names_devices(data, size)) {
        struct sim *sim = machine_build(tree, &err);
        if (!sim)
            fuzz_check_message(&err);
        sim_destroy(sim);
    }
    ytree_free(tree);
    return 0;
}
