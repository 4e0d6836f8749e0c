/* test_8086_moo.c: the 8086 timing profile clock by clock against the
 * hardware captures of SingleStepTests 8086 (Intel P80C86A-2, maximum mode;
 * /work/shared/data/singlestep/README.md): each test starts from the
 * captured queue contents, runs one instruction through the functional core
 * with the 8086 bus model (biu_8086.c) recording the pins, and compares
 * every clock up to the next opcode fetch from the queue: T-state, bus
 * status S2-S0 (valid in T1/T2), ALE, the address latched in T1, the data
 * on the active byte lanes in T3, and QS0/QS1 with the byte taken.
 *
 * Opcode files with metadata status "fpu" (ESC without a coprocessor) are
 * skipped and counted. The remainder are listed per opcode with the first
 * differing clock. The test fails when the number of exact tests drops
 * below B86_BASELINE_PASS (a regression); raise it as the model improves.
 * B86_VERBOSE=1 prints both clock listings of each opcode's first failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpu/x86/biu_8086.h"
#include "models/cpu/x86/timing.h"
#include "models/cpu/x86/x86.h"
#include "tests/lib/moo.h"
#include "tests/lib/x86_test_machine.h"

#ifndef B86_DIR
#define B86_DIR "/work/shared/data/singlestep/8086"
#endif
#define B86_TESTS_PER_FILE 300
/* Exact tests (of those run) the model must keep. */
#define B86_BASELINE_PASS 93318

static const enum x86_reg_id moo_regs[MOO_NREGS] = {
    X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_CS, X86_SS, X86_DS, X86_ES,
    X86_RSP, X86_RBP, X86_RSI, X86_RDI, X86_RIP, X86_RFLAGS,
};

static const char *const ts_name[] = { "Ti", "T1", "T2", "T3", "T4", "Tw" };
static const char *const bs_name[] = { "INTA", "IOR", "IOW", "MEMR", "MEMW", "HALT", "CODE", "PASV" };
static const char qs_name[] = "-FES";

struct b86_ctx {
    struct x86_rig rig;
    struct biu8086 *biu;
    struct biu8086_cycle rec[4096];
    size_t nrec;
    size_t matched; /* clocks equal before the first difference */
    unsigned pass, fail, skip;
    bool verbose;
    unsigned print_all; /* B86_ALL=N: listings of the first N failures per file */
    int reason;         /* of the last failure (enum above) */
    char summary[256][160]; /* per opcode file with failures: counts by reason */
    unsigned nsummary;
};

/* Compares one clock; returns a description of the first mismatch or NULL. */
static const char *b86_diff(const struct moo_cycle *h, const struct biu8086_cycle *m)
{
    if (h->t_state != m->tstate)
        return "T-state";
    uint8_t hs = h->bus_status & 7;
    bool status_valid = h->t_state == B86_T1 || h->t_state == B86_T2;
    if (status_valid && hs != m->status)
        return "bus status";
    if ((h->pins0 & 1) != m->ale)
        return "ALE";
    if ((h->pins0 & 1) && (h->addr & 0xfffff) != (m->addr & 0xfffff))
        return "address";
    if (h->t_state == B86_T3 && m->status != B86_PASV) {
        /* the byte lanes the transfer uses */
        uint16_t lanes = 0;
        bool word = !(m->addr & 1) && m->bhe;
        if (word)
            lanes = 0xffff;
        else
            lanes = (m->addr & 1) ? 0xff00 : 0x00ff;
        if ((h->data & lanes) != (m->data & lanes))
            return "data";
    }
    if (h->queue_op != m->qs)
        return "queue status";
    if ((h->queue_op == 1 || h->queue_op == 3) && h->queue_byte != m->qbyte)
        return "queue byte";
    return NULL;
}

static void b86_print(const struct moo_test *t, const struct biu8086_cycle *rec, size_t nrec)
{
    size_t n = t->ncycles > nrec ? t->ncycles : nrec;
    print_message("    %s: bytes", t->name);
    for (uint32_t i = 0; i < t->nbytes; i++)
        print_message(" %02x", t->bytes[i]);
    print_message(", queue");
    for (uint32_t i = 0; i < t->init.nqueue; i++)
        print_message(" %02x", t->init.queue[i]);
    print_message(", cs:ip %04x:%04x\n", t->init.regs[MOO_CS], t->init.regs[MOO_IP]);
    print_message("    clk  hardware                          model\n");
    for (size_t i = 0; i < n; i++) {
        char hw[64] = "", md[64] = "";
        if (i < t->ncycles) {
            struct moo_cycle h;
            moo_cycle_get(t, (uint32_t)i, &h);
            snprintf(hw, sizeof hw, "%s %05x %-4s %s %04x %c%02x", (h.pins0 & 1) ? "A" : " ",
                     h.addr & 0xfffff, bs_name[h.bus_status & 7],
                     h.t_state < 6 ? ts_name[h.t_state] : "??", h.data, qs_name[h.queue_op & 3],
                     h.queue_byte);
        }
        if (i < nrec) {
            const struct biu8086_cycle *m = &rec[i];
            snprintf(md, sizeof md, "%s %05x %-4s %s %04x %c%02x", m->ale ? "A" : " ", m->addr,
                     bs_name[m->status & 7], ts_name[m->tstate], m->data, qs_name[m->qs & 3],
                     m->qbyte);
        }
        print_message("    %3zu  %-32s  %s\n", i, hw, md);
    }
}

/* Why a test fails, from its first differing clock: which side starts a
 * bus cycle (a prefetch or an EU transfer) the other does not, a queue
 * read at another clock, or the instruction's end. */
enum { B86_R_HW_FETCH, B86_R_MODEL_FETCH, B86_R_HW_EU, B86_R_MODEL_EU, B86_R_QUEUE,
       B86_R_ENDS_EARLY, B86_R_ENDS_LATE, B86_R_OTHER, B86_NREASONS };
static const char *const b86_reason_name[B86_NREASONS] = {
    "prefetch starts earlier on hardware", "prefetch starts earlier in the model",
    "EU bus cycle starts earlier on hardware", "EU bus cycle starts earlier in the model",
    "queue read at another clock", "instruction ends earlier in the model",
    "instruction ends later in the model", "other pin difference",
};

static int b86_reason(const struct moo_cycle *h, const struct biu8086_cycle *m)
{
    bool h_t1 = h->t_state == B86_T1, m_t1 = m->tstate == B86_T1;
    if (h_t1 && !m_t1)
        return (h->bus_status & 7) == B86_CODE ? B86_R_HW_FETCH : B86_R_HW_EU;
    if (m_t1 && !h_t1)
        return m->status == B86_CODE ? B86_R_MODEL_FETCH : B86_R_MODEL_EU;
    if (h->queue_op != m->qs)
        return B86_R_QUEUE;
    return B86_R_OTHER;
}

/* Runs one test; returns NULL if every clock matches, else why not. */
static const char *b86_run_one(struct b86_ctx *c, const struct moo_test *t, char *why, size_t len)
{
    struct x86_rig *r = &c->rig;
    r->comp->type->reset(r->comp);
    for (uint32_t i = 0; i < t->init.nram; i++) {
        const uint8_t *e = t->init.ram + 5 * i;
        uint32_t a = (uint32_t)(e[0] | (e[1] << 8) | (e[2] << 16) | ((uint32_t)e[3] << 24));
        as_load(r->mem, a & 0xfffff, &e[4], 1);
    }
    for (int i = 0; i < MOO_NREGS; i++)
        x86_cpu_set_reg(r->cpu, moo_regs[i], t->init.regs[i]);
    uint32_t lin = ((uint32_t)t->init.regs[MOO_CS] * 16 + t->init.regs[MOO_IP]) & 0xfffff;
    /* the capture rig answers reads of memory the test does not list with
     * NOPs (the RAM between tests holds 90h, b86_fill_nops) */
    biu8086_reset(c->biu, 0);
    biu8086_set_queue(c->biu, lin, t->init.queue, t->init.nqueue);
    biu8086_record(c->biu, c->rec, sizeof c->rec / sizeof c->rec[0]);
    x86_cpu_step(r->cpu);
    biu8086_until_next(c->biu);
    size_t nrec = biu8086_recorded(c->biu);
    c->nrec = nrec;
    biu8086_record(c->biu, NULL, 0);
    /* back to NOPs for the next test */
    static const uint8_t zero = 0x90;
    for (uint32_t i = 0; i < t->init.nram; i++) {
        const uint8_t *e = t->init.ram + 5 * i;
        uint32_t a = (uint32_t)(e[0] | (e[1] << 8) | (e[2] << 16) | ((uint32_t)e[3] << 24));
        as_load(r->mem, a & 0xfffff, &zero, 1);
    }
    for (uint32_t i = 0; i < t->fina.nram; i++) {
        const uint8_t *e = t->fina.ram + 5 * i;
        uint32_t a = (uint32_t)(e[0] | (e[1] << 8) | (e[2] << 16) | ((uint32_t)e[3] << 24));
        as_load(r->mem, a & 0xfffff, &zero, 1);
    }
    size_t n = t->ncycles < nrec ? t->ncycles : nrec;
    for (size_t i = 0; i < n; i++) {
        struct moo_cycle h;
        moo_cycle_get(t, (uint32_t)i, &h);
        const char *d = b86_diff(&h, &c->rec[i]);
        c->matched = i;
        if (d) {
            c->reason = b86_reason(&h, &c->rec[i]);
            snprintf(why, len, "clock %zu: %s", i, d);
            return why;
        }
    }
    if (nrec != t->ncycles) {
        c->reason = nrec < t->ncycles ? B86_R_ENDS_EARLY : B86_R_ENDS_LATE;
        snprintf(why, len, "%zu clocks, hardware %u", nrec, t->ncycles);
        return why;
    }
    return NULL;
}

/* --- calibration (B86_CALIBRATE=1): fits the EU program positions of
 * biu8086_params per opcode and form to the captures by coordinate
 * descent and prints the table for biu_8086_params.h --------------------- */

static bool b86_has_modrm(unsigned op)
{
    if (op < 0x40)
        return (op & 7) < 4;
    return (op >= 0x80 && op <= 0x8f) || op == 0xc4 || op == 0xc5 || op == 0xc6 || op == 0xc7 ||
           (op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) || op == 0xf6 ||
           op == 0xf7 || op == 0xfe || op == 0xff || op == 0x62 || op == 0x63 ||
           op == 0x69 || op == 0x6b || op == 0xc0 || op == 0xc1;
}

static int b86_test_key(const struct moo_test *t)
{
    unsigned i = 0;
    while (i + 1 < t->nbytes && (t->bytes[i] == 0x26 || t->bytes[i] == 0x2e || t->bytes[i] == 0x36 ||
                                 t->bytes[i] == 0x3e || t->bytes[i] == 0xf0 || t->bytes[i] == 0xf2 ||
                                 t->bytes[i] == 0xf3))
        i++;
    unsigned op = t->bytes[i];
    bool mem = false;
    unsigned reg = 0;
    if (b86_has_modrm(op) && i + 1 < t->nbytes) {
        mem = (t->bytes[i + 1] >> 6) != 3;
        reg = (t->bytes[i + 1] >> 3) & 7;
    }
    return biu8086_param_key(op, reg, mem);
}

static unsigned b86_score(struct b86_ctx *c, struct moo_test *tests, unsigned n, int key)
{
    /* exact tests count most; matching leading clocks break ties so the
     * search can climb towards them */
    unsigned score = 0;
    char why[128];
    for (unsigned i = 0; i < n; i++) {
        if (b86_test_key(&tests[i]) != key)
            continue;
        c->matched = 0;
        if (!b86_run_one(c, &tests[i], why, sizeof why))
            score += 1000;
        else
            score += (unsigned)c->matched;
    }
    return score;
}

static void b86_calibrate(struct b86_ctx *c, struct moo_test *tests, unsigned n, const char *file)
{
    int keys[8];
    unsigned nkeys = 0;
    for (unsigned i = 0; i < n; i++) {
        int k = b86_test_key(&tests[i]);
        bool seen = false;
        for (unsigned j = 0; j < nkeys; j++)
            seen |= keys[j] == k;
        if (!seen && nkeys < 8)
            keys[nkeys++] = k;
    }
    for (unsigned j = 0; j < nkeys; j++) {
        struct biu8086_params p;
        biu8086_get_params(c->biu, keys[j], &p);
        unsigned best = b86_score(c, tests, n, keys[j]), before = best;
        for (int round = 0; round < 3; round++) {
            int8_t *f[6] = { &p.imm_wait, &p.pre, &p.between, &p.post, &p.jump, &p.jpost };
            for (int k = 0; k < 6; k++) {
                int8_t keep = *f[k];
                for (int v = 0; v <= 14; v++) {
                    *f[k] = (int8_t)v;
                    biu8086_set_params(c->biu, keys[j], &p);
                    unsigned sc = b86_score(c, tests, n, keys[j]);
                    if (sc > best) {
                        best = sc;
                        keep = (int8_t)v;
                    }
                }
                *f[k] = keep;
                biu8086_set_params(c->biu, keys[j], &p);
            }
        }
        if (best > before)
            printf("    { %d, { %d, %d, %d, %d, %d, %d } }, /* %s: %u -> %u exact */\n", keys[j],
                   p.imm_wait, p.pre, p.between, p.post, p.jump, p.jpost, file, before / 1000,
                   best / 1000);
    }
}

static void b86_run_file(struct b86_ctx *c, struct moo_meta *meta, const char *fname)
{
    char key[16];
    snprintf(key, sizeof key, "%s", fname);
    char *dot = strstr(key, ".MOO");
    if (dot)
        *dot = 0;
    const char *status = moo_meta_status(meta, key);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", B86_DIR, fname);
    struct moo_file f;
    if (moo_open(&f, path) != 0)
        fail_msg("cannot read %s", path);
    unsigned pass = 0, fail = 0, skip = 0, n = 0;
    unsigned reasons[B86_NREASONS] = { 0 };
    char first[256] = "";
    struct moo_test t, first_t;
    bool have_first = false;
    bool skip_file = !strcmp(status, "fpu");
    if (getenv("B86_CALIBRATE") && !skip_file) {
        static struct moo_test tests[B86_TESTS_PER_FILE];
        unsigned nt = 0;
        while (nt < B86_TESTS_PER_FILE && moo_next(&f, &tests[nt]))
            nt++;
        b86_calibrate(c, tests, nt, key);
        moo_close(&f);
        return;
    }
    while (n < B86_TESTS_PER_FILE && moo_next(&f, &t)) {
        n++;
        if (skip_file) {
            skip++;
            continue;
        }
        char why[128];
        const char *d = b86_run_one(c, &t, why, sizeof why);
        if (!d) {
            pass++;
            continue;
        }
        fail++;
        reasons[c->reason]++;
        if (c->print_all && fail <= c->print_all) {
            printf("       %s (%s)\n", t.name, d);
            b86_print(&t, c->rec, c->nrec < 4096 ? c->nrec : 4096);
        }
        if (!have_first) {
            have_first = true;
            first_t = t;
            snprintf(first, sizeof first, "%s (%s)", t.name, d);
        }
    }
    c->pass += pass;
    c->fail += fail;
    c->skip += skip;
    printf("%-6s pass %3u fail %3u skip %3u%s%s%s\n", key, pass, fail, skip,
           skip_file ? " (" : "", skip_file ? status : "", skip_file ? ")" : "");
    if (fail)
        printf("       first failure: %s\n", first);
    if (fail && c->nsummary < 256) {
        char *line = c->summary[c->nsummary++];
        int k = snprintf(line, 160, "%-6s %3u:", key, fail);
        for (int r = 0; r < B86_NREASONS && k < 150; r++)
            if (reasons[r])
                k += snprintf(line + k, (size_t)(160 - k), " %u %s;", reasons[r], b86_reason_name[r]);
    }
    if (fail && c->verbose) {
        char why[128];
        b86_run_one(c, &first_t, why, sizeof why);
        b86_print(&first_t, c->rec, c->nrec < 4096 ? c->nrec : 4096);
    }
    moo_close(&f);
}

static void test_8086_cycles(void **state)
{
    static struct b86_ctx ctx;
    struct b86_ctx *c = &ctx;
    memset(c, 0, sizeof *c);
    c->verbose = getenv("B86_VERBOSE") != NULL;
    c->print_all = getenv("B86_ALL") ? (unsigned)atoi(getenv("B86_ALL")) : 0;
    struct moo_meta *meta = moo_meta_load(B86_DIR "/metadata.json");
    if (!meta) {
        print_message("SingleStepTests 8086 data not found at %s: skipped\n", B86_DIR);
        skip();
    }
    struct cw_error err = {{0}};
    if (x86_rig_create(&c->rig, 16 << 20,
                       "profile: \"8086\"\ntiming: pipeline\npipeline:\n  table: \"8086\"\n", &err) != 0)
        fail_msg("rig: %s", err.msg);
    c->biu = x86_timing_biu8086(x86_timing_of(c->rig.cpu));
    memset(c->rig.ram_host, 0x90, 1u << 20);
    assert_non_null(c->biu);
    char **names;
    size_t n = moo_list(B86_DIR, &names);
    const char *only = getenv("B86_ONLY");
    for (size_t i = 0; i < n; i++)
        if (!only || !strncmp(names[i], only, strlen(only)))
            b86_run_file(c, meta, names[i]);
    moo_names_free(names, n);
    moo_meta_free(meta);
    x86_rig_destroy(&c->rig);
    unsigned run = c->pass + c->fail;
    printf("\nTests not clock-exact, by opcode file and first differing clock:\n");
    for (unsigned i = 0; i < c->nsummary; i++)
        printf("  %s\n", c->summary[i]);
    printf("8086 clock-exact: %u of %u tests (%.2f%%), %u skipped\n", c->pass, run,
           run ? 100.0 * c->pass / run : 0.0, c->skip);
    assert_true(run > 0);
    unsigned baseline = B86_BASELINE_PASS;
    if (c->pass < baseline)
        fail_msg("%u exact tests, below the baseline %u", c->pass, B86_BASELINE_PASS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_8086_cycles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
