/* test_machine.c: building machines from YAML (kernel/machine.c): a good
 * machine end to end, and for each kind of mistake the exact one-line
 * message with its file:line:col; includes, overrides and aliases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/machine.h"
#include "kernel/signal.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

/* Tests that need a model skip when the registry does not have it. */
static void need_type(const char *name)
{
    if (!component_type_find(name)) {
        print_message("model '%s' not in this build: skipped\n", name);
        skip();
    }
}

static struct ynode *load(const char *text)
{
    struct cw_error err = {{0}};
    struct ynode *n = ytree_load_string(text, strlen(text), "m.yaml", &err);
    if (!n)
        fail_msg("load: %s", err.msg);
    return n;
}

/* Builds text that must be refused; returns the message. */
static const char *build_error(const char *text)
{
    static struct cw_error err;
    memset(&err, 0, sizeof err);
    struct ynode *m = load(text);
    struct sim *sim = machine_build(m, &err);
    if (sim) {
        sim_destroy(sim);
        ytree_free(m);
        fail_msg("machine was accepted:\n%s", text);
    }
    ytree_free(m);
    assert_null(strchr(err.msg, '\n'));
    return err.msg;
}

#define PICS                                                        \
    "spaces:\n"                                                     \
    "  io: {kind: io}\n"                                            \
    "components:\n"                                                 \
    "  pic0: {type: i8259, base: 0x20, slave: pic1}\n"              \
    "  pic1: {type: i8259, base: 0xA0, cascade-irq: 2}\n"

static void test_good_machine(void **state)
{
    (void)state;
    need_type("i8259");
    struct ynode *m = load("machine: {name: pics, description: two 8259s}\n"
                           "clocks:\n"
                           "  cpu: 100MHz\n"
                           "  pit: 14.31818MHz/12\n"
                           "spaces:\n"
                           "  io: {kind: io}\n"
                           "  mem: {kind: memory, bits: 32}\n"
                           "components:\n"
                           "  pic0: {type: i8259, base: 0x20, slave: pic1}\n"
                           "  pic1: {type: i8259, base: 0xA0, cascade-irq: 2}\n"
                           "wires:\n"
                           "  - pic1.int -> pic0.ir2\n"
                           "aliases:\n"
                           "  master-base: components.pic0.base\n");
    struct cw_error err = {{0}};
    struct sim *sim = machine_build(m, &err);
    if (!sim)
        fail_msg("%s", err.msg);
    struct clock_domain *pit = sim_find_clock(sim, "pit");
    assert_non_null(pit);
    assert_int_equal(pit->hz_num, 3579545);
    assert_int_equal(pit->hz_den, 3);
    struct addr_space *io = sim_find_space(sim, "io");
    assert_non_null(io);
    assert_int_equal(as_kind(io), SPACE_IO);
    assert_int_equal(as_limit(io), 0xFFFF);
    assert_int_equal(as_limit(sim_find_space(sim, "mem")), 0xFFFFFFFFu);

    /* Created in file order, ids from 1. */
    struct component *c = sim_components(sim);
    assert_string_equal(c->name, "pic0");
    assert_int_equal(c->id, 1);
    assert_string_equal(c->next->name, "pic1");

    /* The wire exists: the slave's output feeds the master's IR2. */
    struct signal *s = signal_find(sim, "pic1.int");
    assert_non_null(s);
    assert_non_null(s->sinks);
    assert_string_equal(s->sinks->name, "pic0.ir2");

    /* The PIC answers at its ports after reset (IMR reads back). */
    as_write(io, 0x21, 1, 0x5A, BUS_IO_WRITE, 0, NULL);
    assert_int_equal(as_read(io, 0x21, 1, BUS_IO_READ, 0, NULL), 0x5A);

    assert_string_equal(machine_alias(m, "master-base"), "components.pic0.base");
    assert_null(machine_alias(m, "nothing"));
    sim_destroy(sim);
    ytree_free(m);
}

static void test_top_level_errors(void **state)
{
    (void)state;
    assert_string_equal(build_error("machine: {name: x}\n"
                                    "componets: {}\n"),
                        "m.yaml:2:1: unknown key 'componets' in the machine file; expected one "
                        "of: machine, include, clocks, spaces, components, wires, aliases");
    assert_string_equal(build_error("machine: {name: x, colour: red}\n"),
                        "m.yaml:1:20: unknown key 'colour' in machine; expected one of: name, "
                        "description");
    assert_string_equal(build_error("machine: [x]\n"),
                        "m.yaml:1:10: expected a map with name and description, got a list");
    assert_string_equal(build_error("- a\n- b\n"),
                        "m.yaml:1:1: a machine description is a map; expected keys machine, "
                        "clocks, spaces, components, wires, aliases");
    assert_string_equal(build_error("components: [a, b]\n"),
                        "m.yaml:1:13: expected a map of component instances (pit0: {type: "
                        "i8254, ...}), got a list");
}

static void test_clock_and_space_errors(void **state)
{
    (void)state;
    assert_string_equal(build_error("clocks:\n"
                                    "  cpu: 100MHz\n"
                                    "  pit: 1.193182MH\n"),
                        "m.yaml:3:8: bad frequency '1.193182MH': expected a number with a unit "
                        "Hz, kHz, MHz or GHz, optionally divided by a whole number "
                        "('14.31818MHz/12')");
    assert_string_equal(build_error("clocks: {cpu.x: 1MHz}\n"),
                        "m.yaml:1:10: bad clock name 'cpu.x'; expected letters, digits, '-' and "
                        "'_'");
    assert_string_equal(build_error("spaces:\n"
                                    "  io: {kind: ports}\n"),
                        "m.yaml:2:14: unknown space kind 'ports'; expected memory, io, "
                        "pci-config or other");
    assert_string_equal(build_error("spaces:\n"
                                    "  io: {bits: 16}\n"),
                        "m.yaml:2:3: space 'io' has no kind; expected kind: memory, io, "
                        "pci-config or other");
    assert_string_equal(build_error("spaces:\n"
                                    "  io: {kind: io, bits: 65}\n"),
                        "m.yaml:2:24: bad address width 65; expected 1 to 64 bits");
    assert_string_equal(build_error("spaces:\n"
                                    "  io: {kind: io, width: 16}\n"),
                        "m.yaml:2:18: unknown key 'width' in a space; expected one of: kind, "
                        "bits");
    assert_string_equal(build_error("spaces:\n"
                                    "  io: {kind: io, bits: '16'}\n"),
                        "m.yaml:2:24: expected an integer, got the quoted text '16' (remove "
                        "the quotes)");
}

static void test_component_errors(void **state)
{
    (void)state;
    need_type("i8259");
    assert_string_equal(build_error("spaces: {io: {kind: io}}\n"
                                    "components:\n"
                                    "  pic0: {base: 0x20}\n"),
                        "m.yaml:3:3: component 'pic0' has no type; expected type: NAME "
                        "(`clockwork models` lists the types)");
    assert_string_equal(build_error("components:\n"
                                    "  pic0: {type: i8295, base: 0x20}\n"),
                        "m.yaml:2:16: unknown component type 'i8295'; did you mean 'i8259'? "
                        "(`clockwork models` lists the types)");
    assert_string_equal(build_error("components:\n"
                                    "  fd0: {type: floppy-controller-9000}\n"),
                        "m.yaml:2:15: unknown component type 'floppy-controller-9000'; expected "
                        "a type from `clockwork models`");
    assert_string_equal(build_error("spaces: {io: {kind: io}}\n"
                                    "components:\n"
                                    "  pic0: {type: i8259, bse: 0x20}\n"),
                        "m.yaml:3:23: unknown parameter 'bse' for component 'pic0' (i8259); "
                        "expected one of: space, base, slave, cascade-irq, elcr, elcr-mask, "
                        "level-triggered");
    assert_string_equal(build_error("spaces: {io: {kind: io}}\n"
                                    "components:\n"
                                    "  pic0: {type: i8259, base: [0x20]}\n"),
                        "m.yaml:3:29: expected an integer, got a list");
    assert_string_equal(build_error("spaces: {io: {kind: io}}\n"
                                    "components:\n"
                                    "  pic0: {type: i8259, base: 0x2G}\n"),
                        "m.yaml:3:29: bad integer '0x2G': expected a whole number (decimal, 0x "
                        "hex or 0b binary)");
    assert_string_equal(build_error("spaces: {io: {kind: io}}\n"
                                    "components:\n"
                                    "  pic0: {type: i8259}\n"),
                        "m.yaml:3:3: component 'pic0' (i8259) is missing parameter 'base' "
                        "(first of the two ports (0x20 master, 0xA0 slave))");
    assert_string_equal(build_error("spaces: {io: {kind: io}}\n"
                                    "components:\n"
                                    "  pic0: {type: i8259, base: 0x20, space: iox}\n"),
                        "m.yaml:3:42: unknown space 'iox'; expected one of: io");
    assert_string_equal(build_error("components:\n"
                                    "  pic.0: {type: i8259}\n"),
                        "m.yaml:2:3: bad component name 'pic.0'; expected letters, digits, '-' "
                        "and '_'");
    assert_string_equal(build_error("components:\n"
                                    "  pic0: i8259\n"),
                        "m.yaml:2:9: expected a map with 'type' and the component's parameters, "
                        "got a plain value");
}

static void test_reference_errors(void **state)
{
    (void)state;
    need_type("piix3");
    assert_string_equal(build_error("components:\n"
                                    "  isa: {type: piix3, pci-bus: pci9}\n"),
                        "m.yaml:2:31: unknown component 'pci9'; expected one of: isa");
    need_type("traffic-gen");
    assert_string_equal(build_error("clocks: {cpu: 1MHz, bus: 33MHz}\n"
                                    "components:\n"
                                    "  tg: {type: traffic-gen, clock: pci, program: []}\n"),
                        "m.yaml:3:34: unknown clock 'pci'; expected one of: cpu, bus");
}

static void test_overlapping_regions(void **state)
{
    (void)state;
    need_type("i8259");
    /* The second chip's ports collide with the first chip's: the kernel's
     * message gets the second component's location. */
    const char *msg = build_error("spaces: {io: {kind: io}}\n"
                                  "components:\n"
                                  "  pic0: {type: i8259, base: 0x20}\n"
                                  "  pic1: {type: i8259, base: 0x21}\n");
    assert_true(strncmp(msg, "m.yaml:4:", 9) == 0);
    assert_non_null(strstr(msg, "pic1"));
}

static void test_wire_errors(void **state)
{
    (void)state;
    need_type("i8259");
    assert_string_equal(build_error(PICS "wires: [pic1.int pic0.ir2]\n"),
                        "m.yaml:6:9: bad wire 'pic1.int pic0.ir2'; expected 'component.pin -> "
                        "component.pin'");
    assert_string_equal(build_error(PICS "wires: [pic1.int -> pic0]\n"),
                        "m.yaml:6:9: bad wire end 'pic0'; expected 'component.pin'");
    assert_string_equal(build_error(PICS "wires: [pic1.int -> pic9.ir2]\n"),
                        "m.yaml:6:9: unknown component 'pic9' in wire; expected one of: pic0, "
                        "pic1");
    const char *msg = build_error(PICS "wires:\n  - pic1.out -> pic0.ir2\n");
    assert_true(strncmp(msg, "m.yaml:7:5: unknown signal 'pic1.out'", 37) == 0);
    msg = build_error(PICS "wires:\n  - pic1.int -> pic0.ir9\n");
    assert_true(strncmp(msg, "m.yaml:7:5: unknown input 'pic0.ir9'", 36) == 0);
    assert_string_equal(build_error(PICS "wires: [[pic1.int, pic0.ir2]]\n"),
                        "m.yaml:6:9: expected a wire 'component.pin -> component.pin', got a "
                        "list");
    assert_string_equal(build_error(PICS "wires: {a: b}\n"),
                        "m.yaml:6:8: expected a list of wires (- pit0.out -> pic0.ir0), got a "
                        "map");
}

static void test_alias_errors(void **state)
{
    (void)state;
    need_type("i8259");
    assert_string_equal(build_error(PICS "aliases: {irq: components.pic9.base}\n"),
                        "m.yaml:6:16: no 'pic9' in components (path 'components.pic9.base'); "
                        "expected one of: pic0, pic1");
    assert_string_equal(build_error(PICS "aliases: {irq: components.pic0.bsae}\n"),
                        "m.yaml:6:16: unknown parameter 'bsae' for component 'pic0' (i8259); "
                        "expected one of: space, base, slave, cascade-irq, elcr, elcr-mask, "
                        "level-triggered");
    assert_string_equal(build_error(PICS "aliases: {irq: components..base}\n"),
                        "m.yaml:6:16: bad parameter path 'components..base'; expected names "
                        "joined by dots (components.ram0.size)");
}

static void test_set_path(void **state)
{
    (void)state;
    need_type("i8259");
    struct ynode *m = load(PICS);
    struct cw_error err;
    assert_int_equal(machine_set_path(m, "components.pic1.base", "0x30", "--set", &err), 0);
    struct ynode *base = ymap_get(ymap_get(ymap_get(m, "components"), "pic1"), "base");
    assert_string_equal(base->scalar, "0x30");
    assert_string_equal(base->file, "--set");
    assert_int_equal(base->line, 0);

    /* An origin with a location puts it on the new node. */
    assert_int_equal(machine_set_path(m, "components.pic1.elcr", "0x4d1", "configs/a:b.yaml:4:7",
                                      &err), 0);
    struct ynode *elcr = ymap_get(ymap_get(ymap_get(m, "components"), "pic1"), "elcr");
    assert_string_equal(elcr->file, "configs/a:b.yaml");
    assert_int_equal(elcr->line, 4);
    assert_int_equal(elcr->col, 7);

    assert_int_equal(machine_set_path(m, "components.pic9.base", "1", "--set", &err), -1);
    assert_string_equal(err.msg, "--set: no 'pic9' in components (path 'components.pic9.base'); "
                                 "expected one of: pic0, pic1");
    assert_int_equal(machine_set_path(m, "componets.pic0.base", "1", "--set", &err), -1);
    assert_string_equal(err.msg, "--set: no 'componets' in the machine (path "
                                 "'componets.pic0.base'); expected one of: spaces, components");
    assert_int_equal(machine_set_path(m, "components.pic0.base.x", "1", "--set", &err), -1);
    assert_int_equal(machine_set_path(m, "", "1", "--set", &err), -1);
    assert_int_equal(machine_set_path(m, "a.", "1", "--set", &err), -1);

    /* A bad value set from the command line is reported at its origin. */
    assert_int_equal(machine_set_path(m, "components.pic0.base", "0x2G", "--set", &err), 0);
    struct sim *sim = machine_build(m, &err);
    assert_null(sim);
    assert_string_equal(err.msg, "--set: bad integer '0x2G': expected a whole number (decimal, "
                                 "0x hex or 0b binary)");
    /* An unknown parameter set on the command line too. */
    assert_int_equal(machine_set_path(m, "components.pic0.base", "0x20", "--set", &err), 0);
    assert_int_equal(machine_set_path(m, "components.pic0.colour", "red", "--set", &err), 0);
    assert_null(machine_build(m, &err));
    assert_true(strncmp(err.msg, "--set: unknown parameter 'colour'", 33) == 0);
    ytree_free(m);
}

/* --- includes ------------------------------------------------------------------- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_machine_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/parts", dir);
    return mkdir(sub, 0700);
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_includes(void **state)
{
    (void)state;
    write_file("parts/base.yaml", "machine: {name: base}\n"
                                  "include: [io.yaml]\n"
                                  "components:\n"
                                  "  pic0: {type: i8259, base: 0x20}\n");
    write_file("parts/io.yaml", "spaces: {io: {kind: io}, mem: {kind: memory}}\n");
    write_file("top.yaml", "include: parts/base.yaml\n"
                           "machine: {name: top}\n"
                           "components:\n"
                           "  pic0: {elcr: 0x4d0}\n"
                           "  pic1: {type: i8259, base: 0xA0}\n");
    char path[256];
    snprintf(path, sizeof path, "%s/top.yaml", dir);
    struct cw_error err;
    struct ynode *m = machine_load_file(path, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_null(ymap_get(m, "include"));
    assert_string_equal(ymap_get(ymap_get(m, "machine"), "name")->scalar, "top");
    assert_non_null(ymap_get(ymap_get(m, "spaces"), "mem"));
    struct ynode *comps = ymap_get(m, "components");
    assert_int_equal(comps->count, 2);
    assert_string_equal(comps->keys[0], "pic0");
    struct ynode *pic0 = ymap_get(comps, "pic0");
    assert_string_equal(ymap_get(pic0, "base")->scalar, "0x20");
    assert_string_equal(ymap_get(pic0, "elcr")->scalar, "0x4d0");
    /* Each value keeps the file it came from. */
    assert_non_null(strstr(ymap_get(pic0, "base")->file, "parts/base.yaml"));
    assert_non_null(strstr(ymap_get(pic0, "elcr")->file, "top.yaml"));
    if (component_type_find("i8259")) {
        struct sim *sim = machine_build(m, &err);
        if (!sim)
            fail_msg("%s", err.msg);
        sim_destroy(sim);
    }
    ytree_free(m);
}

static void test_include_errors(void **state)
{
    (void)state;
    char path[256];
    struct cw_error err;
    write_file("missing.yaml", "machine: {name: x}\n"
                               "include:\n"
                               "  - parts/nope.yaml\n");
    snprintf(path, sizeof path, "%s/missing.yaml", dir);
    assert_null(machine_load_file(path, &err));
    char want[512];
    snprintf(want, sizeof want, "%s:3:5: cannot include 'parts/nope.yaml': %s/parts/nope.yaml: "
             "cannot open: No such file or directory", path, dir);
    assert_string_equal(err.msg, want);

    write_file("a.yaml", "include: [b.yaml]\n");
    write_file("b.yaml", "include: [a.yaml]\n");
    snprintf(path, sizeof path, "%s/a.yaml", dir);
    assert_null(machine_load_file(path, &err));
    snprintf(want, sizeof want, "%s/b.yaml:1:11: include cycle: 'a.yaml' includes itself", dir);
    assert_string_equal(err.msg, want);

    /* A syntax error inside an included file points into that file. */
    write_file("parts/broken.yaml", "spaces:\n  io: {kind: io\n");
    write_file("c.yaml", "include: [parts/broken.yaml]\n");
    snprintf(path, sizeof path, "%s/c.yaml", dir);
    assert_null(machine_load_file(path, &err));
    snprintf(want, sizeof want, "%s/parts/broken.yaml:3:1: YAML syntax error:", dir);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);

    write_file("d.yaml", "include: {a: b}\n");
    snprintf(path, sizeof path, "%s/d.yaml", dir);
    assert_null(machine_load_file(path, &err));
    snprintf(want, sizeof want, "%s/d.yaml:1:10: expected a list of files to include, got a map",
             dir);
    assert_string_equal(err.msg, want);

    write_file("e.yaml", "[1, 2]\n");
    snprintf(path, sizeof path, "%s/e.yaml", dir);
    assert_null(machine_load_file(path, &err));
    assert_non_null(strstr(err.msg, "e.yaml:1:1: a machine file is a map"));
}

/* A component whose create() failed stays listed (sim_destroy frees it)
 * but a reset of the machine never reaches it: its state is partial. */
static int failing_resets;
static int failing_create(struct component *c, const struct params *p, struct cw_error *err)
{
    return cw_errorf(err, "refused on purpose");
}
static void failing_reset(struct component *c)
{
    failing_resets++;
}

static void test_failed_create_not_reset(void **state)
{
    static const struct component_type failing = {
        .name = "failing", .create = failing_create, .reset = failing_reset,
    };
    struct cw_error err = {{0}};
    struct sim *sim = sim_create();
    struct ynode *config = load("{}\n");
    failing_resets = 0;
    assert_null(component_create(sim, "f0", &failing, config, &err));
    assert_string_equal(err.msg, "refused on purpose");
    assert_non_null(sim_find_component(sim, "f0"));
    sim_reset_components(sim);
    assert_int_equal(failing_resets, 0);
    sim_destroy(sim);
    ytree_free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_machine),
        cmocka_unit_test(test_top_level_errors),
        cmocka_unit_test(test_clock_and_space_errors),
        cmocka_unit_test(test_component_errors),
        cmocka_unit_test(test_reference_errors),
        cmocka_unit_test(test_overlapping_regions),
        cmocka_unit_test(test_wire_errors),
        cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_set_path),
        cmocka_unit_test(test_includes),
        cmocka_unit_test(test_include_errors),
        cmocka_unit_test(test_failed_create_not_reset),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
