/* main.c: the `clockwork` command: run, check, models, trace.
 * Exit status: 0 success (condition met, guest powered off), 1 the run
 * ended without meeting its condition, 2 usage or configuration error,
 * 130 interrupted (Ctrl-C). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/check.h"
#include "host/config.h"
#include "host/png.h"
#include "host/run.h"
#include "host/study.h"
#include "host/trace_db.h"
#include "kernel/component.h"
#include "kernel/machine.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

#ifndef CLOCKWORK_VERSION
#define CLOCKWORK_VERSION "0.1"
#endif

static void usage_main(FILE *f)
{
    fputs("usage: clockwork COMMAND [ARGS]\n"
          "\n"
          "A cycle-level hardware simulator driven by YAML machine descriptions.\n"
          "\n"
          "commands:\n"
          "  run [CONFIG.yaml] [options]   build a machine and run it (clockwork run --help)\n"
          "  check FILE...                 validate machine and config files without running\n"
          "  models [TYPE]                 list component types and their parameters\n"
          "  trace summary DB              summarise a trace database\n"
          "  trace query DB SQL            run SQL on a trace database\n"
          "  study run|report|points|merge parameter sweeps compared phase by phase\n"
          "  version                       print the version\n",
          f);
}

static void usage_run(FILE *f)
{
    fputs("usage: clockwork run [CONFIG.yaml] [--machine FILE] [options]\n"
          "\n"
          "Runs the machine a config names (or the one given with --machine).\n"
          "Options override the config file.\n"
          "\n"
          "  --machine FILE         machine description (machines/*.yaml)\n"
          "  --set PATH=VALUE       override a machine parameter, e.g.\n"
          "                         --set components.ram0.size=256MiB (repeatable)\n"
          "  --cdrom ISO            CD-ROM image (the machine's 'cdrom' alias)\n"
          "  --memory SIZE          RAM size, e.g. 512MiB (the machine's 'memory' alias)\n"
          "  --headless             no window; screenshots on request and at the end\n"
          "  --window               open a window (an error if none can open); the\n"
          "                         default when DISPLAY or WAYLAND_DISPLAY is set\n"
          "  --do STEP              a script step (repeatable, in order; replaces the\n"
          "                         config's script:): \"wait [T] COND\" (COND as for\n"
          "                         --until, or screen-png:[X,Y,WxH=]FILE), \"keys Down\n"
          "                         Enter\", \"type TEXT\", \"screenshot FILE\", \"sleep T\",\n"
          "                         \"marker NAME\", \"print TEXT\", \"stop\" (docs/ui.md)\n"
          "  --script FILE          script steps from a YAML file (a list, or script:)\n"
          "  --screenshot-every T   headless screenshots every T of guest time when the\n"
          "                         screen changed (shot-GUESTTIME.png)\n"
          "  --until COND           stop when COND holds (repeatable; any one stops):\n"
          "                           serial:TEXT    TEXT appeared on the serial port\n"
          "                           debugcon:TEXT  TEXT appeared on the debug console\n"
          "                           screen:TEXT    TEXT is on the emulated screen\n"
          "                           screen-png:[X,Y,WxH=]FILE  the screen (or that\n"
          "                                          region) equals the PNG FILE\n"
          "                           marker:NAME    the marker NAME was recorded\n"
          "                           guest-time:T   guest time reached T (e.g. 30s)\n"
          "                           insns:N        N instructions retired\n"
          "                           poweroff       the guest powered off\n"
          "  --timeout T            give up at guest time T (e.g. 90s, 20m); prefix\n"
          "                         'wall:' for host time (wall:10m). Exit status 1.\n"
          "  --screenshot PNG       write the screen to PNG when the run ends\n"
          "  --serial FILE|-        write the first serial port's output to FILE or stdout\n"
          "  --debugcon FILE|-      write the firmware debug console (port 0x402) output\n"
          "  --trace DB             record bus transactions, interrupts and markers to\n"
          "                         the SQLite database DB (see docs/trace-schema.md)\n"
          "  --trace-components A,B only transactions whose initiator or target is listed\n"
          "  --trace-kinds K,K      only these kinds (read, write, fetch, io-read, io-write,\n"
          "                         walk-read, walk-write, dma-read, dma-write, inta, ...)\n"
          "  --trace-ranges R,R     only these addresses (0x3f8-0x3ff, 0xb8000+4000)\n"
          "  --trace-window T..T    only this guest-time window (2s..3s)\n"
          "  --trace-insns FILE|-   write every executed instruction (disassembly and\n"
          "                         registers) to FILE\n"
          "  --quantum T            how far a CPU may run ahead of other components\n"
          "                         (default 1us; 0 = lock-step)\n"
          "  --quiet                no progress line\n"
          "  --print-screen         print the text on the emulated screen when the run ends\n"
          "\n"
          "Exit status: 0 condition met or guest powered off, 1 ended without meeting\n"
          "a condition (timeout), 2 usage or configuration error, 130 interrupted.\n",
          f);
}

static int die_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "clockwork: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "Try 'clockwork run --help'.\n");
    return 2;
}

enum {
    OPT_MACHINE = 256, OPT_SET, OPT_CDROM, OPT_MEMORY, OPT_HEADLESS, OPT_UNTIL, OPT_TIMEOUT,
    OPT_SCREENSHOT, OPT_SERIAL, OPT_DEBUGCON, OPT_TRACE, OPT_TRACE_INSNS, OPT_QUANTUM, OPT_QUIET,
    OPT_WINDOW, OPT_PRINT_SCREEN, OPT_TRACE_COMPONENTS, OPT_TRACE_KINDS, OPT_TRACE_RANGES,
    OPT_TRACE_WINDOW, OPT_DO, OPT_SCRIPT, OPT_SCREENSHOT_EVERY,
};

struct kv {
    char *path, *value;
};

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fputs("clockwork: out of memory\n", stderr);
        exit(2);
    }
    return d;
}

static int apply_alias(struct run_config *rc, const char *option, const char *value,
                       struct cw_error *err)
{
    /* An alias may name several parameters that must agree (RAM size in
     * the RAM, the CMOS and fw_cfg). */
    const char *path = machine_alias(rc->machine, option);
    if (!path)
        return cw_errorf(err, "--%s: the machine '%s' has no '%s' alias (add `aliases: {%s: "
                              "components.NAME.PARAM}` to it, or use --set)",
                         option, rc->machine_path ? rc->machine_path : "?", option, option);
    for (size_t i = 0; (path = machine_alias_path(rc->machine, option, i)); i++)
        if (machine_set_path(rc->machine, path, value, option, err))
            return -1;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "machine", required_argument, NULL, OPT_MACHINE },
        { "set", required_argument, NULL, OPT_SET },
        { "cdrom", required_argument, NULL, OPT_CDROM },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "headless", no_argument, NULL, OPT_HEADLESS },
        { "window", no_argument, NULL, OPT_WINDOW },
        { "do", required_argument, NULL, OPT_DO },
        { "script", required_argument, NULL, OPT_SCRIPT },
        { "screenshot-every", required_argument, NULL, OPT_SCREENSHOT_EVERY },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "screenshot", required_argument, NULL, OPT_SCREENSHOT },
        { "serial", required_argument, NULL, OPT_SERIAL },
        { "debugcon", required_argument, NULL, OPT_DEBUGCON },
        { "trace", required_argument, NULL, OPT_TRACE },
        { "trace-insns", required_argument, NULL, OPT_TRACE_INSNS },
        { "quantum", required_argument, NULL, OPT_QUANTUM },
        { "quiet", no_argument, NULL, OPT_QUIET },
        { "print-screen", no_argument, NULL, OPT_PRINT_SCREEN },
        { "trace-components", required_argument, NULL, OPT_TRACE_COMPONENTS },
        { "trace-kinds", required_argument, NULL, OPT_TRACE_KINDS },
        { "trace-ranges", required_argument, NULL, OPT_TRACE_RANGES },
        { "trace-window", required_argument, NULL, OPT_TRACE_WINDOW },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *machine = NULL, *cdrom = NULL, *memory = NULL, *timeout = NULL;
    const char *screenshot = NULL, *serial = NULL, *debugcon = NULL, *trace = NULL;
    const char *trace_insns = NULL, *quantum = NULL;
    int headless = -1;
    bool quiet = false, print_screen = false;
    const char *script_file = NULL, *screenshot_every = NULL;
    const char **script_lines = calloc((size_t)argc + 1, sizeof *script_lines);
    size_t nscript_lines = 0;
    struct kv *sets = calloc((size_t)argc + 1, sizeof *sets);
    const char **untils = calloc((size_t)argc + 1, sizeof *untils);
    struct kv *tfilters = calloc((size_t)argc + 1, sizeof *tfilters);
    size_t ntfilters = 0;
    size_t nsets = 0, nuntils = 0;
    int rc_exit = 2;
    struct run_config rc;
    memset(&rc, 0, sizeof rc);
    struct cw_error err = { { 0 } };

    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_MACHINE: machine = optarg; break;
        case OPT_SET: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                rc_exit = die_usage("--set needs PATH=VALUE", optarg);
                goto out;
            }
            sets[nsets].path = xstrdup(optarg);
            sets[nsets].path[eq - optarg] = 0;
            sets[nsets].value = sets[nsets].path + (eq - optarg) + 1;
            nsets++;
            break;
        }
        case OPT_CDROM: cdrom = optarg; break;
        case OPT_MEMORY: memory = optarg; break;
        case OPT_HEADLESS: headless = 1; break;
        case OPT_WINDOW: headless = 0; break;
        case OPT_DO: script_lines[nscript_lines++] = optarg; break;
        case OPT_SCRIPT: script_file = optarg; break;
        case OPT_SCREENSHOT_EVERY: screenshot_every = optarg; break;
        case OPT_UNTIL: untils[nuntils++] = optarg; break;
        case OPT_TIMEOUT: timeout = optarg; break;
        case OPT_SCREENSHOT: screenshot = optarg; break;
        case OPT_SERIAL: serial = optarg; break;
        case OPT_DEBUGCON: debugcon = optarg; break;
        case OPT_TRACE: trace = optarg; break;
        case OPT_TRACE_INSNS: trace_insns = optarg; break;
        case OPT_QUANTUM: quantum = optarg; break;
        case OPT_QUIET: quiet = true; break;
        case OPT_PRINT_SCREEN: print_screen = true; break;
        case OPT_TRACE_COMPONENTS:
        case OPT_TRACE_KINDS:
        case OPT_TRACE_RANGES:
        case OPT_TRACE_WINDOW: {
            static const char *const keys[] = { "components", "kinds", "ranges", "window" };
            tfilters[ntfilters].path = (char *)keys[c - OPT_TRACE_COMPONENTS];
            tfilters[ntfilters].value = optarg;
            ntfilters++;
            break;
        }
        case 'h': usage_run(stdout); rc_exit = 0; goto out;
        default: rc_exit = die_usage("bad option", NULL); goto out;
        }
    }
    if (optind < argc - 1) {
        rc_exit = die_usage("more than one config file given", argv[optind + 1]);
        goto out;
    }
    const char *config = optind < argc ? argv[optind] : NULL;
    if (!config && !machine) {
        rc_exit = die_usage("give a config file or --machine FILE", NULL);
        goto out;
    }
    if (config) {
        if (run_config_load_machine(&rc, config, machine, &err))
            goto config_error;
    } else if (run_config_from_machine(&rc, machine, &err)) {
        goto config_error;
    }
    for (size_t i = 0; i < nsets; i++)
        if (machine_set_path(rc.machine, sets[i].path, sets[i].value, "--set", &err))
            goto config_error;
    if (cdrom) {
        if (access(cdrom, R_OK) != 0) {
            fprintf(stderr, "clockwork: --cdrom: cannot read '%s': %s\n", cdrom, strerror(errno));
            goto out;
        }
        if (apply_alias(&rc, "cdrom", cdrom, &err))
            goto config_error;
    }
    if (memory && apply_alias(&rc, "memory", memory, &err))
        goto config_error;
    if (nuntils) {
        /* --until replaces the config's conditions. */
        for (size_t i = 0; i < rc.nuntil; i++)
            free(rc.until[i].text);
        free(rc.until);
        rc.until = calloc(nuntils, sizeof *rc.until);
        rc.nuntil = 0;
        for (size_t i = 0; i < nuntils; i++) {
            if (until_parse(untils[i], "--until", &rc.until[i], &err))
                goto config_error;
            rc.nuntil++;
        }
    }
    if (timeout) {
        sim_time_t t;
        if (strncmp(timeout, "wall:", 5) == 0) {
            if (parse_time(timeout + 5, &t, &err))
                goto timeout_error;
            rc.timeout_wall_ms = t / SIM_MS(1);
            if (!rc.timeout_wall_ms)
                rc.timeout_wall_ms = 1;
        } else {
            if (strncmp(timeout, "guest:", 6) == 0)
                timeout += 6;
            if (parse_time(timeout, &t, &err))
                goto timeout_error;
            rc.timeout_guest = t;
        }
    }
    if (quantum && parse_time(quantum, &rc.quantum, &err)) {
        fprintf(stderr, "clockwork: --quantum: %s\n", err.msg);
        goto out;
    }
    if (screenshot) {
        free(rc.screenshot);
        rc.screenshot = xstrdup(screenshot);
    }
    if (serial) {
        free(rc.serial_out);
        rc.serial_out = xstrdup(serial);
    }
    if (debugcon) {
        free(rc.debugcon_out);
        rc.debugcon_out = xstrdup(debugcon);
    }
    if (trace) {
        free(rc.trace.file);
        rc.trace.file = xstrdup(trace);
    }
    for (size_t i = 0; i < ntfilters; i++)
        if (run_config_trace_option(&rc, tfilters[i].path, tfilters[i].value, &err))
            goto config_error;
    if (headless >= 0)
        rc.headless = headless == 1;
    if (nsets || cdrom || memory) {
        /* The run table records the machine as it ran. */
        char *text = ytree_to_text(rc.machine);
        if (text) {
            free(rc.machine_text);
            rc.machine_text = text;
        }
    }
    sim_time_t shot_period = 0;
    if (screenshot_every && (parse_time(screenshot_every, &shot_period, &err) || !shot_period)) {
        fprintf(stderr, "clockwork: --screenshot-every: %s\n",
                shot_period ? err.msg : "expected a guest time above 0, e.g. 1s");
        goto out;
    }

    struct run_options ro = {
        .trace_insns = trace_insns,
        .quiet = quiet,
        .print_screen = print_screen,
        .window = headless == 0,
        .script_file = script_file,
        .script_lines = script_lines,
        .nscript_lines = nscript_lines,
        .screenshot_every = shot_period,
        .argc = argc,
        .argv = argv,
        .version = CLOCKWORK_VERSION,
    };
    rc_exit = run_machine(&rc, &ro);
    goto out;

timeout_error:
    fprintf(stderr, "clockwork: --timeout: %s\n", err.msg);
    goto out;
config_error:
    fprintf(stderr, "clockwork: %s\n", err.msg);
    rc_exit = 2;
out:
    run_config_free(&rc);
    for (size_t i = 0; i < nsets; i++)
        free(sets[i].path);
    free(sets);
    free(untils);
    free(script_lines);
    free(tfilters);
    return rc_exit;
}

static const char *param_type_name(enum param_type t)
{
    static const char *const names[] = {
        [PARAM_U64] = "integer", [PARAM_I64] = "signed", [PARAM_BOOL] = "bool",
        [PARAM_STRING] = "string", [PARAM_PATH] = "path", [PARAM_SIZE] = "size",
        [PARAM_FREQ] = "frequency", [PARAM_TIME] = "time", [PARAM_CLOCK] = "clock",
        [PARAM_SPACE] = "space", [PARAM_COMPONENT] = "component", [PARAM_NODE] = "yaml",
    };
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

static void print_type(const struct component_type *t, bool verbose)
{
    printf("%-14s %s\n", t->name, t->description ? t->description : "");
    if (!verbose)
        return;
    for (const struct param_desc *d = t->params; d && d->name; d++) {
        char def[64];
        if (d->default_value)
            snprintf(def, sizeof def, "= %s", d->default_value);
        else
            snprintf(def, sizeof def, "%s", d->optional ? "(optional)" : "(required)");
        printf("    %-20s %-10s %-22s %s\n", d->name, param_type_name(d->type), def,
               d->help ? d->help : "");
    }
}

static int cmd_models(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: clockwork models [TYPE...]\n\n"
             "Lists the component types a machine file can use, with their parameters\n"
             "(name, type, default, meaning). With TYPE, shows only those.");
        return 0;
    }
    const struct component_type *const *all = component_types_all();
    if (argc > 1) {
        int status = 0;
        for (int i = 1; i < argc; i++) {
            const struct component_type *t = component_type_find(argv[i]);
            if (!t) {
                fprintf(stderr, "clockwork: unknown component type '%s'\n", argv[i]);
                status = 2;
                continue;
            }
            print_type(t, true);
        }
        return status;
    }
    for (size_t i = 0; all[i]; i++) {
        print_type(all[i], true);
        putchar('\n');
    }
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fputs("usage: clockwork check FILE...\n\n"
              "Validates machine and config files without running them: YAML syntax,\n"
              "keys, types, units, component types, parameters, regions and wires.\n"
              "Prints 'FILE: ok' or one error with file:line:column per file.\n"
              "Exit status 0 when all are valid, 2 otherwise.\n",
              f);
        return argc < 2 ? 2 : 0;
    }
    return check_files(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "models") == 0)
        return cmd_models(argc - 1, argv + 1);
    if (strcmp(cmd, "trace") == 0)
        return trace_cli_main(argc - 1, argv + 1);
    if (strcmp(cmd, "study") == 0)
        return study_main(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("clockwork %s\n", CLOCKWORK_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    fprintf(stderr, "clockwork: unknown command '%s'\n", cmd);
    usage_main(stderr);
    return 2;
}
