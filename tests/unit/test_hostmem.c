/* test_hostmem.c: large host allocations (kernel/hostmem.c): zero-filled,
 * 2 MiB aligned, writable to the last byte, and released again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/hostmem.h"

static void test_hostmem_zeroed_aligned(void **state)
{
    (void)state;
    const size_t sizes[] = { 1, 4096, (2u << 20) - 1, 2u << 20, (5u << 20) + 123 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint8_t *p = hostmem_alloc(sizes[k]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p & ((2u << 20) - 1), 0);
        assert_int_equal(p[0], 0);
        assert_int_equal(p[sizes[k] / 2], 0);
        assert_int_equal(p[sizes[k] - 1], 0);
        memset(p, 0xa5, sizes[k]);
        assert_int_equal(p[sizes[k] - 1], 0xa5);
        hostmem_free(p, sizes[k]);
    }
}

static void test_hostmem_empty_and_null(void **state)
{
    (void)state;
    void *a = hostmem_alloc(0), *b = hostmem_alloc(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    hostmem_free(a, 0);
    hostmem_free(b, 0);
    hostmem_free(NULL, 123);
    assert_null(hostmem_alloc(SIZE_MAX));
}

/* Memory that is handed back and asked for again is zero again. */
static void test_hostmem_reuse_is_zero(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        uint8_t *p = hostmem_alloc(3u << 20);
        assert_non_null(p);
        for (size_t i = 0; i < (3u << 20); i += 4096)
            assert_int_equal(p[i], 0);
        memset(p, 0xff, 3u << 20);
        hostmem_free(p, 3u << 20);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostmem_zeroed_aligned),
        cmocka_unit_test(test_hostmem_empty_and_null),
        cmocka_unit_test(test_hostmem_reuse_is_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
