/* check.c: `clockwork check`: loads and builds each machine or config file
 * and reports the first error of each, without running anything. */
#include "check.h"

#include <stdio.h>

#include "../kernel/machine.h"
#include "../kernel/sim.h"
#include "../kernel/ytree.h"
#include "config.h"

/* A config names its machine with a plain `machine: PATH`; a machine file's
 * `machine:` is a map (name, description) or absent. */
static bool check_is_config(const char *path)
{
    struct cw_error err;
    struct ynode *tree = ytree_load_file(path, &err);
    const struct ynode *m = ymap_get(tree, "machine");
    bool config = m && m->kind == YNODE_SCALAR;
    ytree_free(tree);
    return config;
}

static int check_one(const char *path, struct cw_error *err)
{
    struct sim *sim = NULL;
    if (check_is_config(path)) {
        struct run_config rc;
        if (run_config_load(&rc, path, err))
            return -1;
        sim = machine_build(rc.machine, err);
        sim_destroy(sim);
        run_config_free(&rc);
    } else {
        struct ynode *machine = machine_load_file(path, err);
        if (!machine)
            return -1;
        sim = machine_build(machine, err);
        sim_destroy(sim);
        ytree_free(machine);
    }
    return sim ? 0 : -1;
}

int check_files(int argc, char **argv)
{
    int status = 0;
    for (int i = 0; i < argc; i++) {
        struct cw_error err = {{0}};
        if (check_one(argv[i], &err) == 0) {
            printf("%s: ok\n", argv[i]);
            continue;
        }
        fprintf(stderr, "%s\n", err.msg[0] ? err.msg : "unknown error");
        status = 2;
    }
    fflush(stdout);
    return status;
}
