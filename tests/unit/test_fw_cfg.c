/* test_fw_cfg.c: the fw_cfg I/O interface against QEMU docs/specs/fw_cfg.rst
 * and SeaBIOS's use of it (src/fw/paravirt.c): signature probe, ID without
 * DMA, legacy keys, reads past the end and of unknown keys, the big-endian
 * file directory sorted by name, etc/e820 below and above 4 GiB, bootorder,
 * etc/boot-menu-wait, host files, and parameter errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/bus.h"
#include "kernel/component.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

struct rig {
    struct sim *sim;
    struct addr_space *io;
    struct ynode *yaml;
};

static struct component *rig_build(struct rig *r, const char *yaml, const char *file,
                                   struct cw_error *err)
{
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    sim_set_log_quiet(r->sim, true);
    r->io = as_create(r->sim, "io", SPACE_IO, 16);
    sim_add_space(r->sim, r->io);
    r->yaml = ytree_load_string(yaml, strlen(yaml), file, err);
    if (!r->yaml)
        fail_msg("yaml: %s", err->msg);
    struct component *c =
        component_create(r->sim, "fwcfg", component_type_find("fw-cfg"), r->yaml, err);
    if (c)
        sim_reset_components(r->sim);
    return c;
}

static void rig_free(struct rig *r)
{
    sim_destroy(r->sim);
    ytree_free(r->yaml);
}

static void sel(struct rig *r, uint16_t key)
{
    as_write(r->io, 0x510, 2, key, BUS_IO_WRITE, 0, NULL);
}

static void rd(struct rig *r, void *buf, size_t n)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)as_read(r->io, 0x511, 1, BUS_IO_READ, 0, NULL);
}

static uint64_t rd_le(struct rig *r, unsigned n)
{
    uint8_t b[8] = {0};
    rd(r, b, n);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Looks a file up in the directory as SeaBIOS does; returns its size and
 * sets *key, or -1. Also checks the directory is sorted. */
static long find_file(struct rig *r, const char *name, uint16_t *key)
{
    uint8_t cnt[4];
    sel(r, 0x19);
    rd(r, cnt, 4);
    uint32_t n = be32(cnt);
    long found = -1;
    char prev[57] = "";
    for (uint32_t i = 0; i < n; i++) {
        uint8_t e[64];
        rd(r, e, 64);
        char fname[57] = {0};
        memcpy(fname, e + 8, 56);
        assert_true(strcmp(prev, fname) < 0);
        snprintf(prev, sizeof prev, "%s", fname);
        assert_int_equal(e[6] | e[7], 0); /* reserved */
        if (strcmp(fname, name) == 0) {
            found = be32(e);
            *key = (uint16_t)(e[4] << 8 | e[5]);
        }
    }
    return found;
}

static void test_probe_and_legacy_keys(void **state)
{
    struct rig r;
    struct cw_error err = {{0}};
    assert_non_null(rig_build(&r, "type: fw-cfg\nram-size: 512MiB\ncpus: 2\n", "t.yaml", &err));
    /* SeaBIOS: select 0, four data bytes. */
    sel(&r, 0x0000);
    char sig[5] = {0};
    rd(&r, sig, 4);
    assert_string_equal(sig, "QEMU");
    assert_int_equal(rd_le(&r, 4), 0); /* past the end: zeros */
    sel(&r, 0x0001);
    assert_int_equal(rd_le(&r, 4), 1); /* traditional interface, DMA bit clear */
    sel(&r, 0x0003);
    assert_int_equal(rd_le(&r, 8), 512ull << 20);
    sel(&r, 0x0005);
    assert_int_equal(rd_le(&r, 2), 2);
    sel(&r, 0x000f);
    assert_int_equal(rd_le(&r, 2), 2);
    sel(&r, 0x000e);
    assert_int_equal(rd_le(&r, 2), 0); /* no boot menu */
    sel(&r, 0x000d);
    assert_int_equal(rd_le(&r, 8), 0); /* no NUMA nodes */
    sel(&r, 0x8000);
    assert_int_equal(rd_le(&r, 2), 0); /* no ACPI tables */
    sel(&r, 0x8003);
    assert_int_equal(rd_le(&r, 4), 0); /* no legacy e820 reservations */
    /* Unknown key: zeros. */
    sel(&r, 0x1234);
    assert_int_equal(rd_le(&r, 4), 0);
    /* Re-selecting rewinds. */
    sel(&r, 0x0000);
    rd(&r, sig, 2);
    sel(&r, 0x0000);
    rd(&r, sig, 4);
    assert_string_equal(sig, "QEMU");
    /* A byte write to the selector port selects nothing. */
    as_write(r.io, 0x510, 1, 0x01, BUS_IO_WRITE, 0, NULL);
    rd(&r, sig, 1);
    assert_int_equal(sig[0], 0); /* still past the end of the signature */
    /* Data port writes are ignored. */
    sel(&r, 0x0000);
    as_write(r.io, 0x511, 1, 'X', BUS_IO_WRITE, 0, NULL);
    sel(&r, 0x0000);
    rd(&r, sig, 1);
    assert_int_equal(sig[0], 'Q');
    rig_free(&r);
}

static void test_e820_and_files(void **state)
{
    struct rig r;
    struct cw_error err = {{0}};
    assert_non_null(rig_build(&r, "type: fw-cfg\nram-size: 256MiB\n", "t.yaml", &err));
    uint16_t key = 0;
    assert_int_equal(find_file(&r, "etc/e820", &key), 20);
    assert_true(key >= 0x20);
    sel(&r, key);
    assert_int_equal(rd_le(&r, 8), 0);
    assert_int_equal(rd_le(&r, 8), 256ull << 20);
    assert_int_equal(rd_le(&r, 4), 1);
    assert_int_equal(find_file(&r, "etc/boot-cpus", &key), 2);
    sel(&r, key);
    assert_int_equal(rd_le(&r, 2), 1);
    assert_int_equal(find_file(&r, "bootorder", &key), -1);
    assert_int_equal(find_file(&r, "etc/boot-menu-wait", &key), -1);
    rig_free(&r);
}

static void test_e820_above_4g(void **state)
{
    struct rig r;
    struct cw_error err = {{0}};
    assert_non_null(rig_build(&r, "type: fw-cfg\nram-size: 4GiB\n", "t.yaml", &err));
    uint16_t key = 0;
    assert_int_equal(find_file(&r, "etc/e820", &key), 40);
    sel(&r, key);
    assert_int_equal(rd_le(&r, 8), 0);
    assert_int_equal(rd_le(&r, 8), 0xE0000000ull);
    assert_int_equal(rd_le(&r, 4), 1);
    assert_int_equal(rd_le(&r, 8), 0x100000000ull);
    assert_int_equal(rd_le(&r, 8), 0x20000000ull);
    assert_int_equal(rd_le(&r, 4), 1);
    rig_free(&r);
}

static void test_boot_files(void **state)
{
    struct rig r;
    struct cw_error err = {{0}};
    assert_non_null(rig_build(&r,
                              "type: fw-cfg\nram-size: 128MiB\nboot-menu: true\n"
                              "boot-menu-wait: 2500ms\n"
                              "bootorder: /pci@i0cf8/ide@1,1/drive@1/disk@0;HALT\n",
                              "t.yaml", &err));
    sel(&r, 0x000e);
    assert_int_equal(rd_le(&r, 2), 1);
    uint16_t key = 0;
    assert_int_equal(find_file(&r, "etc/boot-menu-wait", &key), 2);
    sel(&r, key);
    assert_int_equal(rd_le(&r, 2), 2500);
    long len = find_file(&r, "bootorder", &key);
    const char *want = "/pci@i0cf8/ide@1,1/drive@1/disk@0\nHALT";
    assert_int_equal(len, (long)strlen(want) + 1);
    char text[64] = {0};
    sel(&r, key);
    rd(&r, text, (size_t)len);
    assert_string_equal(text, want);
    rig_free(&r);
}

static void test_host_files(void **state)
{
    char dir[] = "/tmp/fwcfgtestXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], yaml_path[128];
    snprintf(path, sizeof path, "%s/blob.bin", dir);
    snprintf(yaml_path, sizeof yaml_path, "%s/machine.yaml", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("hello fw_cfg", f);
    fclose(f);
    struct rig r;
    struct cw_error err = {{0}};
    struct component *c = rig_build(
        &r, "type: fw-cfg\nram-size: 64MiB\nfiles:\n  opt/test/blob: blob.bin\n", yaml_path, &err);
    if (!c)
        fail_msg("create: %s", err.msg);
    uint16_t key = 0;
    assert_int_equal(find_file(&r, "opt/test/blob", &key), 12);
    char text[16] = {0};
    sel(&r, key);
    rd(&r, text, 12);
    assert_string_equal(text, "hello fw_cfg");
    rig_free(&r);
    /* A missing file is an error that names the YAML location. */
    assert_null(rig_build(&r, "type: fw-cfg\nram-size: 64MiB\nfiles:\n  opt/x: nothere.bin\n",
                          yaml_path, &err));
    assert_non_null(strstr(err.msg, "machine.yaml:4"));
    assert_non_null(strstr(err.msg, "nothere.bin"));
    rig_free(&r);
    unlink(path);
    rmdir(dir);
}

static void test_bad_params(void **state)
{
    struct rig r;
    struct cw_error err = {{0}};
    assert_null(rig_build(&r, "type: fw-cfg\nram-size: 64MiB\ncpus: 0\n", "t.yaml", &err));
    assert_non_null(strstr(err.msg, "cpus"));
    rig_free(&r);
    assert_null(rig_build(&r,
                          "type: fw-cfg\nram-size: 64MiB\nfiles:\n"
                          "  a-very-long-name-that-does-not-fit-in-the-fw-cfg-directory-entry: x\n",
                          "t.yaml", &err));
    assert_non_null(strstr(err.msg, "55"));
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_and_legacy_keys),
        cmocka_unit_test(test_e820_and_files),
        cmocka_unit_test(test_e820_above_4g),
        cmocka_unit_test(test_boot_files),
        cmocka_unit_test(test_host_files),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
