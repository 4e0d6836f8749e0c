/* test_png.c: PNG screenshots: a surface written and read back is the same
 * pixel for pixel (stride honoured), the file appears only when complete,
 * and bad input gives errors that name the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/png.h"

static char tmpdir[64];

static int dir_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cw-test-png-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int dir_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd);
}

static void test_round_trip(void **state)
{
    (void)state;
    enum { W = 37, H = 23, STRIDE = 40 };
    static uint32_t px[STRIDE * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < STRIDE; x++)
            px[y * STRIDE + x] = x < W ? (uint32_t)((x * 7) << 16 | (y * 11) << 8 | (x ^ y) * 5)
                                       : 0xDEADBEEF; /* padding must not leak in */
    struct display_surface s = {px, W, H, STRIDE, 1};
    char path[128];
    snprintf(path, sizeof path, "%s/shot.png", tmpdir);
    struct cw_error err = {{0}};
    assert_int_equal(png_write_surface(path, &s, &err), 0);
    uint32_t *back = NULL;
    int w = 0, h = 0;
    assert_int_equal(png_read_rgb(path, &back, &w, &h, &err), 0);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(back[y * W + x], px[y * STRIDE + x] & 0xFFFFFF);
    free(back);
    /* No temporary file is left beside it. */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void test_blank_surface_is_an_error(void **state)
{
    (void)state;
    struct display_surface s = {NULL, 0, 0, 0, 3};
    char path[128];
    snprintf(path, sizeof path, "%s/blank.png", tmpdir);
    struct cw_error err = {{0}};
    assert_int_equal(png_write_surface(path, &s, &err), -1);
    assert_non_null(strstr(err.msg, "blank.png"));
    assert_int_equal(access(path, F_OK), -1);
}

static void test_errors_name_the_file(void **state)
{
    (void)state;
    uint32_t px[4] = {0};
    struct display_surface s = {px, 2, 2, 2, 1};
    struct cw_error err = {{0}};
    assert_int_equal(png_write_surface("/nonexistent-dir/x.png", &s, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.png"));
    uint32_t *back = NULL;
    int w, h;
    assert_int_equal(png_read_rgb("/nonexistent-dir/y.png", &back, &w, &h, &err), -1);
    assert_non_null(strstr(err.msg, "y.png"));
    /* Not a PNG. */
    char path[128];
    snprintf(path, sizeof path, "%s/not.png", tmpdir);
    FILE *f = fopen(path, "wb");
    fputs("hello", f);
    fclose(f);
    assert_int_equal(png_read_rgb(path, &back, &w, &h, &err), -1);
    assert_non_null(strstr(err.msg, "not.png"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_blank_surface_is_an_error),
        cmocka_unit_test(test_errors_name_the_file),
    };
    return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
