/* test_config.c: run configurations (host/config.c): every section parsed
 * into struct run_config, overrides and media applied to the machine tree,
 * stop conditions, and the exact message for each kind of mistake. */
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

#include "host/check.h"
#include "host/config.h"
#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/machine.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

static char dir[64];

static const char *path_of(const char *name)
{
    static char path[4][256];
    static int next;
    next = (next + 1) % 4;
    snprintf(path[next], sizeof path[next], "%s/%s", dir, name);
    return path[next];
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char machine_text[] = "machine: {name: pics}\n"
                                   "spaces:\n"
                                   "  io: {kind: io}\n"
                                   "components:\n"
                                   "  pic0: {type: i8259, base: 0x20, slave: pic1}\n"
                                   "  pic1: {type: i8259, base: 0xA0, cascade-irq: 2}\n"
                                   "wires: [pic1.int -> pic0.ir2]\n"
                                   "aliases:\n"
                                   "  slave-base: components.pic1.base\n"
                                   "  elcr: components.pic0.elcr\n";

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_config_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/machines", dir);
    if (mkdir(sub, 0700))
        return -1;
    snprintf(sub, sizeof sub, "%s/configs", dir);
    if (mkdir(sub, 0700))
        return -1;
    FILE *f = fopen(path_of("machines/pics.yaml"), "w");
    if (!f)
        return -1;
    fputs(machine_text, f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Loads configs/NAME with `text`; the config must be refused. */
static const char *config_error(const char *text)
{
    static struct cw_error err;
    memset(&err, 0, sizeof err);
    write_file("configs/bad.yaml", text);
    struct run_config rc;
    if (run_config_load(&rc, path_of("configs/bad.yaml"), &err) == 0) {
        run_config_free(&rc);
        fail_msg("config accepted:\n%s", text);
    }
    assert_null(strchr(err.msg, '\n'));
    /* Strip the directory so expectations read "configs/bad.yaml:...". */
    size_t dlen = strlen(dir);
    if (strncmp(err.msg, dir, dlen) == 0 && err.msg[dlen] == '/')
        memmove(err.msg, err.msg + dlen + 1, strlen(err.msg + dlen + 1) + 1);
    return err.msg;
}

static void test_full_config(void **state)
{
    (void)state;
    const char *text = "machine: ../machines/pics.yaml\n"
                       "description: everything\n"
                       "set:\n"
                       "  components.pic0.level-triggered: 0x0C\n"
                       "  components.pic1: {elcr: 0x4d1}\n"
                       "media:\n"
                       "  slave-base: 0xB0\n"
                       "run:\n"
                       "  quantum: 500ns\n"
                       "  timeout: 120s\n"
                       "  until: [\"serial:login:\", \"marker:kernel-entry\", poweroff]\n"
                       "  screenshot: out.png\n"
                       "  headless: yes\n"
                       "  serial: '-'\n"
                       "  debugcon: debug.log\n"
                       "trace:\n"
                       "  file: run.db\n"
                       "  components: [pic0, pic1]\n"
                       "  kinds: [io-read, io-write]\n"
                       "  ranges: [\"0x3f8-0x3ff\", \"0x20+2\", 0x70]\n"
                       "  window: {from: 0s, to: 2s}\n"
                       "  signals: false\n"
                       "script:\n"
                       "  - {wait: \"screen:Install\", then: [{keys: \"Down Enter\"}]}\n";
    write_file("configs/full.yaml", text);
    struct run_config rc;
    struct cw_error err;
    const char *cfg = path_of("configs/full.yaml");
    if (run_config_load(&rc, cfg, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(rc.config_path, cfg);
    char want[256];
    snprintf(want, sizeof want, "%s/configs/../machines/pics.yaml", dir);
    assert_string_equal(rc.machine_path, want);
    assert_string_equal(rc.config_text, text);
    assert_non_null(strstr(rc.machine_text, "pic0"));

    struct ynode *comps = ymap_get(rc.machine, "components");
    struct ynode *pic0 = ymap_get(comps, "pic0"), *pic1 = ymap_get(comps, "pic1");
    assert_string_equal(ymap_get(pic0, "level-triggered")->scalar, "0x0C");
    assert_string_equal(ymap_get(pic1, "elcr")->scalar, "0x4d1");
    assert_string_equal(ymap_get(pic1, "cascade-irq")->scalar, "2"); /* merged, not replaced */
    struct ynode *media = ymap_get(pic1, "base");
    assert_string_equal(media->scalar, "0xB0");
    /* The medium keeps the config's location (paths resolve from there). */
    assert_string_equal(media->file, cfg);
    assert_int_equal(media->line, 7);

    assert_int_equal(rc.quantum, 500000);
    assert_true(rc.timeout_guest == SIM_S(120));
    assert_int_equal(rc.timeout_wall_ms, 0);
    assert_int_equal(rc.nuntil, 3);
    assert_int_equal(rc.until[0].kind, UNTIL_SERIAL);
    assert_string_equal(rc.until[0].text, "login:");
    snprintf(want, sizeof want, "%s:11:11", cfg);
    assert_string_equal(rc.until[0].origin, want);
    assert_int_equal(rc.until[1].kind, UNTIL_MARKER);
    assert_string_equal(rc.until[1].text, "kernel-entry");
    assert_int_equal(rc.until[2].kind, UNTIL_POWEROFF);
    assert_string_equal(rc.screenshot, "out.png");
    assert_true(rc.headless);
    assert_string_equal(rc.serial_out, "-");
    assert_string_equal(rc.debugcon_out, "debug.log");

    assert_string_equal(rc.trace.file, "run.db");
    assert_string_equal(rc.trace.components[0], "pic0");
    assert_string_equal(rc.trace.components[1], "pic1");
    assert_null(rc.trace.components[2]);
    assert_int_equal(rc.trace.kind_mask, BUS_KIND_BIT(BUS_IO_READ) | BUS_KIND_BIT(BUS_IO_WRITE));
    assert_int_equal(rc.trace.nranges, 3);
    assert_int_equal(rc.trace.ranges[0].lo, 0x3f8);
    assert_int_equal(rc.trace.ranges[0].hi, 0x3ff);
    assert_int_equal(rc.trace.ranges[1].lo, 0x20);
    assert_int_equal(rc.trace.ranges[1].hi, 0x21);
    assert_int_equal(rc.trace.ranges[2].lo, 0x70);
    assert_int_equal(rc.trace.ranges[2].hi, 0x70);
    assert_int_equal(rc.trace.from, 0);
    assert_true(rc.trace.to == SIM_S(2));
    assert_false(rc.trace.signals);

    assert_non_null(rc.script);
    assert_int_equal(rc.script->kind, YNODE_SEQ);
    assert_string_equal(ymap_get(rc.script->items[0], "wait")->scalar, "screen:Install");

    if (component_type_find("i8259")) {
        struct sim *sim = machine_build(rc.machine, &err);
        if (!sim)
            fail_msg("%s", err.msg);
        /* The slave moved to 0xB0 through the medium alias. */
        struct addr_space *io = sim_find_space(sim, "io");
        as_write(io, 0xB1, 1, 0x33, BUS_IO_WRITE, 0, NULL);
        assert_int_equal(as_read(io, 0xB1, 1, BUS_IO_READ, 0, NULL), 0x33);
        sim_destroy(sim);
    }
    run_config_free(&rc);
}

static void test_defaults_and_wall_timeout(void **state)
{
    (void)state;
    write_file("configs/min.yaml", "machine: ../machines/pics.yaml\n"
                                   "run: {timeout: \"wall:90.0001s\", until: insns:1000000}\n");
    struct run_config rc;
    struct cw_error err;
    if (run_config_load(&rc, path_of("configs/min.yaml"), &err))
        fail_msg("%s", err.msg);
    assert_true(rc.timeout_guest == SIM_TIME_MAX);
    assert_int_equal(rc.timeout_wall_ms, 90001); /* rounded up to whole ms */
    assert_int_equal(rc.quantum, SIM_US(1));
    assert_int_equal(rc.nuntil, 1);
    assert_int_equal(rc.until[0].kind, UNTIL_INSNS);
    assert_int_equal(rc.until[0].value, 1000000);
    assert_null(rc.trace.file);
    assert_null(rc.trace.components);
    assert_int_equal(rc.trace.kind_mask, 0);
    assert_int_equal(rc.trace.nranges, 0);
    assert_true(rc.trace.to == SIM_TIME_MAX);
    assert_true(rc.trace.signals);
    assert_null(rc.script);
    assert_false(rc.headless);
    run_config_free(&rc);

    if (run_config_from_machine(&rc, path_of("machines/pics.yaml"), &err))
        fail_msg("%s", err.msg);
    assert_null(rc.config_path);
    assert_non_null(rc.machine);
    assert_non_null(rc.machine_text);
    assert_true(rc.timeout_guest == SIM_TIME_MAX);
    run_config_free(&rc);

    assert_int_equal(run_config_from_machine(&rc, "/nonexistent/m.yaml", &err), -1);
    assert_string_equal(err.msg, "/nonexistent/m.yaml: cannot open: No such file or directory");
}

static void test_until_parse(void **state)
{
    (void)state;
    struct until_cond c;
    struct cw_error err;
    assert_int_equal(until_parse("serial:login: ", "--until", &c, &err), 0);
    assert_int_equal(c.kind, UNTIL_SERIAL);
    assert_string_equal(c.text, "login: ");
    assert_string_equal(c.origin, "--until");
    free(c.text);
    assert_int_equal(until_parse("debugcon:Booting", "--until", &c, &err), 0);
    assert_int_equal(c.kind, UNTIL_DEBUGCON);
    free(c.text);
    assert_int_equal(until_parse("screen:Install", NULL, &c, &err), 0);
    assert_int_equal(c.kind, UNTIL_SCREEN);
    assert_null(c.origin);
    free(c.text);
    assert_int_equal(until_parse("guest-time:2.5s", "--until", &c, &err), 0);
    assert_int_equal(c.kind, UNTIL_GUEST_TIME);
    assert_true(c.value == 2500000000000ull);
    free(c.text);
    assert_int_equal(until_parse("insns:0x100", "--until", &c, &err), 0);
    assert_int_equal(c.kind, UNTIL_INSNS);
    assert_int_equal(c.value, 256);
    free(c.text);
    assert_int_equal(until_parse("poweroff", "--until", &c, &err), 0);
    assert_int_equal(c.kind, UNTIL_POWEROFF);
    free(c.text);

    assert_int_equal(until_parse("serial", "--until", &c, &err), -1);
    assert_string_equal(err.msg, "--until: bad stop condition 'serial'; expected serial:TEXT, "
                                 "debugcon:TEXT, screen:TEXT, screen-png:[X,Y,WxH=]FILE, "
                                 "marker:NAME, guest-time:TIME, insns:N or poweroff");
    assert_int_equal(until_parse("marker:", "--until", &c, &err), -1);
    assert_string_equal(err.msg, "--until: bad stop condition 'marker:': expected a text after "
                                 "the colon");
    assert_int_equal(until_parse("guest-time:2", "--until", &c, &err), -1);
    assert_string_equal(err.msg, "--until: bad stop condition 'guest-time:2': bad time '2': "
                                 "expected a number with a unit ps, ns, us, ms, s, m (minutes) "
                                 "or h");
    assert_int_equal(until_parse("insns:many", "--until", &c, &err), -1);
    assert_int_equal(until_parse("poweroff:now", "--until", &c, &err), -1);
    assert_int_equal(until_parse("", NULL, &c, &err), -1);
    assert_string_equal(err.msg, "bad stop condition ''; expected serial:TEXT, debugcon:TEXT, "
                                 "screen:TEXT, screen-png:[X,Y,WxH=]FILE, marker:NAME, "
                                 "guest-time:TIME, insns:N or poweroff");
}

/* screen-png: as a stop condition, as the script's waits write it: the
 * whole screen or a region; the PNG itself is read when the run starts. */
static void test_until_screen_png(void **state)
{
    (void)state;
    struct until_cond c;
    struct cw_error err;
    assert_int_equal(until_parse("screen-png:shot.png", "--until", &c, &err), 0);
    assert_int_equal(c.kind, UNTIL_SCREEN);
    assert_true(c.png);
    assert_false(c.region);
    assert_string_equal(c.text, "shot.png");
    free(c.text);
    assert_int_equal(until_parse("screen-png:400,15,210x18=title.png", "--until", &c, &err), 0);
    assert_true(c.png);
    assert_true(c.region);
    assert_int_equal(c.x, 400);
    assert_int_equal(c.y, 15);
    assert_int_equal(c.w, 210);
    assert_int_equal(c.h, 18);
    assert_string_equal(c.text, "title.png");
    free(c.text);
    /* screen: keeps reading text. */
    assert_int_equal(until_parse("screen:png", "--until", &c, &err), 0);
    assert_false(c.png);
    assert_string_equal(c.text, "png");
    free(c.text);

    assert_int_equal(until_parse("screen-png:", "--until", &c, &err), -1);
    assert_string_equal(err.msg, "--until: bad stop condition 'screen-png:': expected a PNG file "
                                 "name");
    assert_int_equal(until_parse("screen-png:1,2,3=a.png", "--until", &c, &err), -1);
    assert_string_equal(err.msg, "--until: bad stop condition 'screen-png:1,2,3=a.png': expected "
                                 "screen-png:FILE or screen-png:X,Y,WxH=FILE (e.g. "
                                 "400,15,210x18=title.png)");
    assert_int_equal(until_parse("screen-png:1,2,0x4=a.png", "--until", &c, &err), -1);
    assert_int_equal(until_parse("screen-png:1,2,3x4=", "--until", &c, &err), -1);

    /* In a config file the PNG is found beside the config, like the
     * script's; an absolute path stays. */
    write_file("configs/png.yaml", "machine: ../machines/pics.yaml\n"
                                   "run:\n"
                                   "  until: [\"screen-png:0,0,8x8=ref/a.png\", "
                                   "\"screen-png:/abs/b.png\", \"screen:Install\"]\n");
    struct run_config rc;
    const char *cfg = path_of("configs/png.yaml");
    if (run_config_load(&rc, cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(rc.nuntil, 3);
    char want[256];
    snprintf(want, sizeof want, "%s/configs/ref/a.png", dir);
    assert_string_equal(rc.until[0].text, want);
    assert_true(rc.until[0].png && rc.until[0].region);
    assert_int_equal(rc.until[0].w, 8);
    snprintf(want, sizeof want, "%s:3:11", cfg);
    assert_string_equal(rc.until[0].origin, want);
    assert_string_equal(rc.until[1].text, "/abs/b.png");
    assert_true(rc.until[1].png && !rc.until[1].region);
    assert_false(rc.until[2].png);
    assert_string_equal(rc.until[2].text, "Install");
    run_config_free(&rc);
}

static void test_config_errors(void **state)
{
    (void)state;
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "trace-file: x.db\n"),
                        "configs/bad.yaml:2:1: unknown key 'trace-file' in the config file; "
                        "expected one of: machine, description, set, media, run, trace, script");
    assert_string_equal(config_error("run: {quantum: 1us}\n"),
                        "configs/bad.yaml:1:1: no machine; expected machine: PATH (a machine "
                        "file, relative to this config)");
    char want[512];
    snprintf(want, sizeof want, "configs/bad.yaml:1:10: cannot load the machine: "
             "%s/configs/nope.yaml: cannot open: No such file or directory", dir);
    assert_string_equal(config_error("machine: nope.yaml\n"), want);
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "set:\n"
                                     "  components.pic7.base: 0x20\n"),
                        "configs/bad.yaml:3:3: no 'pic7' in components (path "
                        "'components.pic7.base'); expected one of: pic0, pic1");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "media: {cdrom: debian.iso}\n"),
                        "configs/bad.yaml:2:9: unknown medium 'cdrom'; the machine's aliases "
                        "are: slave-base, elcr");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "run:\n"
                                     "  until: [\"serial:ok\", \"serail:login\"]\n"),
                        "configs/bad.yaml:3:24: bad stop condition 'serail:login'; expected "
                        "serial:TEXT, debugcon:TEXT, screen:TEXT, screen-png:[X,Y,WxH=]FILE, "
                        "marker:NAME, guest-time:TIME, insns:N or poweroff");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "run: {quantum: 1 us s}\n"),
                        "configs/bad.yaml:2:16: bad time '1 us s': expected a number with a unit "
                        "ps, ns, us, ms, s, m (minutes) or h");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "run: {timeout: wall:90}\n"),
                        "configs/bad.yaml:2:16: bad time '90': expected a number with a unit "
                        "ps, ns, us, ms, s, m (minutes) or h (timeout is a guest time such as "
                        "120s, or wall:TIME for host time)");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "run: {headless: maybe}\n"),
                        "configs/bad.yaml:2:17: bad boolean 'maybe': expected true/false, "
                        "yes/no or on/off");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "run: {speed: fast}\n"),
                        "configs/bad.yaml:2:7: unknown key 'speed' in run; expected one of: "
                        "quantum, timeout, until, screenshot, headless, serial, debugcon");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "trace: {ranges: [\"0x3ff-0x3f8\"]}\n"),
                        "configs/bad.yaml:2:18: bad address range '0x3ff-0x3f8'; expected "
                        "LOW-HIGH or LOW+LENGTH (0x3f8-0x3ff, 0x3f8+8)");
    assert_non_null(strstr(config_error("machine: ../machines/pics.yaml\n"
                                        "trace: {ranges: [\"0x10+0\"]}\n"),
                           "bad address range '0x10+0'"));
    assert_non_null(strstr(config_error("machine: ../machines/pics.yaml\n"
                                        "trace: {ranges: [\"0xffffffffffffffff+2\"]}\n"),
                           "bad address range"));
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "trace: {kinds: [io-read, io-wrte]}\n"),
                        "configs/bad.yaml:2:26: unknown transaction kind 'io-wrte'; expected "
                        "one of: fetch, read, write, io-read, io-write, walk-read, walk-write, "
                        "dma-read, dma-write, inta, cfg-read, cfg-write");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "trace: {components: [pic0, pit0]}\n"),
                        "configs/bad.yaml:2:28: unknown component 'pit0' to trace; expected one "
                        "of: pic0, pic1");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "trace: {window: {from: 2s, to: 1s}}\n"),
                        "configs/bad.yaml:2:32: the trace window ends before it starts");
    assert_string_equal(config_error("machine: ../machines/pics.yaml\n"
                                     "script: {wait: x}\n"),
                        "configs/bad.yaml:2:9: expected a list of script steps ({wait: ..., "
                        "then: [...]}), got a map");
    /* An error inside the machine file keeps the machine's own location. */
    write_file("machines/broken.yaml", "components: {a: {type: }\n");
    const char *msg = config_error("machine: ../machines/broken.yaml\n");
    assert_true(strncmp(msg, "configs/../machines/broken.yaml:2:1: YAML syntax error", 54) == 0);
}

static void test_check_files(void **state)
{
    (void)state;
    if (!component_type_find("i8259"))
        skip();
    write_file("configs/ok.yaml", "machine: ../machines/pics.yaml\n");
    write_file("configs/bad-set.yaml", "machine: ../machines/pics.yaml\n"
                                       "set: {components.pic0.base: 0x2G}\n");
    char *good[] = {(char *)path_of("machines/pics.yaml"), (char *)path_of("configs/ok.yaml")};
    assert_int_equal(check_files(2, good), 0);
    char *bad[] = {(char *)path_of("configs/bad-set.yaml")};
    assert_int_equal(check_files(1, bad), 2);
    char *missing[] = {(char *)"/nonexistent.yaml"};
    assert_int_equal(check_files(1, missing), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_defaults_and_wall_timeout),
        cmocka_unit_test(test_until_parse),
        cmocka_unit_test(test_until_screen_png),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_check_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
