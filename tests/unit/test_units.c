/* test_units.c: exact parsing of integers, sizes, frequencies and times, and
 * the error messages for malformed values (kernel/units.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/ytree.h"

static uint64_t size_of(const char *s)
{
    struct cw_error err = {{0}};
    uint64_t v = 0;
    if (parse_size(s, &v, &err) != 0)
        fail_msg("parse_size(%s): %s", s, err.msg);
    return v;
}

static sim_time_t time_of(const char *s)
{
    struct cw_error err = {{0}};
    sim_time_t v = 0;
    if (parse_time(s, &v, &err) != 0)
        fail_msg("parse_time(%s): %s", s, err.msg);
    return v;
}

static void freq_of(const char *s, uint64_t num, uint64_t den)
{
    struct cw_error err = {{0}};
    uint64_t n = 0, d = 0;
    if (parse_freq(s, &n, &d, &err) != 0)
        fail_msg("parse_freq(%s): %s", s, err.msg);
    assert_int_equal(n, num);
    assert_int_equal(d, den);
}

/* Returns the error message for a value that must be refused. */
static const char *refused(int (*parse)(const char *, uint64_t *, struct cw_error *),
                           const char *s)
{
    static struct cw_error err;
    uint64_t v = 0;
    memset(&err, 0, sizeof err);
    if (parse(s, &v, &err) == 0)
        fail_msg("'%s' was accepted as %llu", s, (unsigned long long)v);
    assert_true(err.msg[0] != 0);
    assert_null(strchr(err.msg, '\n'));
    return err.msg;
}

static void test_integers(void **state)
{
    (void)state;
    struct cw_error err;
    uint64_t v;
    assert_int_equal(parse_u64("0", &v, &err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(parse_u64("4096", &v, &err), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(parse_u64("0x3f8", &v, &err), 0);
    assert_int_equal(v, 0x3f8);
    assert_int_equal(parse_u64("0XFFFF", &v, &err), 0);
    assert_int_equal(v, 0xffff);
    assert_int_equal(parse_u64("0b1011", &v, &err), 0);
    assert_int_equal(v, 11);
    assert_int_equal(parse_u64("0o17", &v, &err), 0);
    assert_int_equal(v, 15);
    assert_int_equal(parse_u64("1_000_000", &v, &err), 0);
    assert_int_equal(v, 1000000);
    assert_int_equal(parse_u64("0xffff_ffff", &v, &err), 0);
    assert_int_equal(v, 0xffffffffu);
    assert_int_equal(parse_u64("18446744073709551615", &v, &err), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(parse_u64("0xffffffffffffffff", &v, &err), 0);
    assert_true(v == UINT64_MAX);

    assert_string_equal(refused(parse_u64, "18446744073709551616"),
                        "bad integer '18446744073709551616': too large (at most "
                        "18446744073709551615)");
    assert_string_equal(refused(parse_u64, "12x"),
                        "bad integer '12x': expected a whole number (decimal, 0x hex or 0b "
                        "binary)");
    assert_string_equal(refused(parse_u64, "-1"), "bad integer '-1': must not be negative");
    refused(parse_u64, "");
    refused(parse_u64, "0x");
    refused(parse_u64, "0b102");
    refused(parse_u64, "_1");
    refused(parse_u64, "1_");
    refused(parse_u64, "1__0");
    refused(parse_u64, " 1");
    refused(parse_u64, "1.0");
}

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(size_of("4096"), 4096);
    assert_int_equal(size_of("0"), 0);
    assert_int_equal(size_of("0B"), 0);
    assert_int_equal(size_of("512B"), 512);
    assert_int_equal(size_of("640KiB"), 640 * 1024);
    assert_int_equal(size_of("2GiB"), 2ull << 30);
    assert_int_equal(size_of("1TiB"), 1ull << 40);
    assert_int_equal(size_of("1.5MiB"), 1572864);
    assert_int_equal(size_of("0.5KiB"), 512);
    assert_int_equal(size_of("1KB"), 1000);
    assert_int_equal(size_of("1kB"), 1000);
    assert_int_equal(size_of("16MB"), 16000000);
    assert_int_equal(size_of("2GB"), 2000000000);
    assert_int_equal(size_of("1.44MB"), 1440000);
    assert_int_equal(size_of("16 MiB"), 16u << 20);
    assert_int_equal(size_of("0x100000"), 0x100000);
    /* A hex count never takes a unit: 0x1B is 27 bytes, not 1 byte. */
    assert_int_equal(size_of("0x1B"), 27);
    assert_true(size_of("16777215TiB") == 16777215ull << 40);

    assert_string_equal(refused(parse_size, "2GB!"),
                        "bad size '2GB!': expected a number with an optional unit B, KiB, MiB, "
                        "GiB, TiB, KB, MB, GB, TB");
    assert_string_equal(refused(parse_size, "1.3B"),
                        "bad size '1.3B': not a whole number of bytes");
    assert_string_equal(refused(parse_size, "0.1KiB"),
                        "bad size '0.1KiB': not a whole number of bytes");
    assert_string_equal(refused(parse_size, "16777216.1TiB"),
                        "bad size '16777216.1TiB': not a whole number of bytes");
    assert_string_equal(refused(parse_size, "16777216TiB1"),
                        "bad size '16777216TiB1': expected a number with an optional unit B, "
                        "KiB, MiB, GiB, TiB, KB, MB, GB, TB");
    assert_string_equal(refused(parse_size, "16777216TiB"),
                        "bad size '16777216TiB': too large for 64 bits");
    refused(parse_size, "");
    refused(parse_size, "MiB");
    refused(parse_size, "1 M");
    refused(parse_size, "1mib");
    refused(parse_size, "-1KiB");
    refused(parse_size, ".5KiB");
    refused(parse_size, "1.KiB");
    refused(parse_size, "1..5KiB");
    refused(parse_size, "123456789012345678901B");
}

static const char *refused_freq(const char *s)
{
    static struct cw_error err;
    uint64_t n, d;
    memset(&err, 0, sizeof err);
    if (parse_freq(s, &n, &d, &err) == 0)
        fail_msg("'%s' was accepted", s);
    return err.msg;
}

static void test_frequencies(void **state)
{
    (void)state;
    freq_of("1.193182MHz", 1193182, 1);
    freq_of("14.31818MHz", 14318180, 1);
    freq_of("32768Hz", 32768, 1);
    freq_of("1GHz", 1000000000, 1);
    freq_of("33MHz", 33000000, 1);
    freq_of("33.333MHz", 33333000, 1);
    freq_of("100kHz", 100000, 1);
    freq_of("0.5Hz", 1, 2);
    freq_of("1.5Hz", 3, 2);
    /* The PIT clock derived from the 14.31818 MHz crystal: exact rational. */
    freq_of("14.31818MHz/12", 3579545, 3);
    freq_of("14.31818MHz / 12", 3579545, 3);
    freq_of("1Hz/3", 1, 3);

    assert_string_equal(refused_freq("0Hz"), "bad frequency '0Hz': must be greater than zero");
    assert_string_equal(refused_freq("33"),
                        "bad frequency '33': expected a number with a unit Hz, kHz, MHz or GHz, "
                        "optionally divided by a whole number ('14.31818MHz/12')");
    refused_freq("33mhz");
    refused_freq("MHz");
    refused_freq("1MHz/0");
    refused_freq("1MHz/");
    refused_freq("1MHz/2.5");
    refused_freq("1MHz extra");
}

/* A million million cycles of the PIT clock, converted with the parsed
 * rational, land on the exact picosecond a long division gives. */
static void test_frequency_exactness(void **state)
{
    (void)state;
    uint64_t num, den;
    struct cw_error err;
    assert_int_equal(parse_freq("1.193182MHz", &num, &den, &err), 0);
    unsigned __int128 cycles = 1000000000000ull;
    unsigned __int128 ps = cycles * 1000000000000ull * den / num;
    /* 10^24 / 1193182 = 838095110385506988.875...: floor. */
    assert_true(ps == (unsigned __int128)838095110385506988ull);
    assert_true(cycles * 1000000000000ull * den % num != 0);

    /* 3.579545 MHz written as a decimal and as 14.31818MHz/4 agree. */
    uint64_t n1, d1, n2, d2;
    assert_int_equal(parse_freq("3.579545MHz", &n1, &d1, &err), 0);
    assert_int_equal(parse_freq("14.31818MHz/4", &n2, &d2, &err), 0);
    assert_int_equal(n1, n2);
    assert_int_equal(d1, d2);
}

static const char *refused_time(const char *s)
{
    static struct cw_error err;
    sim_time_t t;
    memset(&err, 0, sizeof err);
    if (parse_time(s, &t, &err) == 0)
        fail_msg("'%s' was accepted as %llu", s, (unsigned long long)t);
    return err.msg;
}

static void test_times(void **state)
{
    (void)state;
    assert_int_equal(time_of("0"), 0);
    assert_int_equal(time_of("0s"), 0);
    assert_int_equal(time_of("100ps"), 100);
    assert_int_equal(time_of("70ns"), 70000);
    assert_int_equal(time_of("1us"), 1000000);
    assert_int_equal(time_of("1\xc2\xb5s"), 1000000);
    assert_int_equal(time_of("1ms"), 1000000000ull);
    assert_int_equal(time_of("2.5s"), 2500000000000ull);
    assert_int_equal(time_of("90s"), 90000000000000ull);
    assert_int_equal(time_of("20m"), 20ull * 60 * 1000000000000ull);
    assert_int_equal(time_of("20min"), 20ull * 60 * 1000000000000ull);
    assert_int_equal(time_of("2h"), 7200ull * 1000000000000ull);
    assert_int_equal(time_of("0.001ns"), 1);
    assert_int_equal(time_of("1.000000000001s"), 1000000000001ull);
    assert_int_equal(time_of("838.095345us"), 838095345ull);
    assert_string_equal(refused_time("838.0953458us"),
                        "bad time '838.0953458us': finer than one picosecond");

    assert_string_equal(refused_time("0.0001ns"),
                        "bad time '0.0001ns': finer than one picosecond");
    assert_string_equal(refused_time("6000h"),
                        "bad time '6000h': too long (at most about 213 days)");
    assert_string_equal(refused_time("70"),
                        "bad time '70': expected a number with a unit ps, ns, us, ms, s, m "
                        "(minutes) or h");
    refused_time("");
    refused_time("s");
    refused_time("1 sec");
    refused_time("1S");
    refused_time("-1s");
    refused_time("1e3s");
}

static struct ynode *scalar(const char *text, bool quoted)
{
    struct ynode *n = ynode_new_scalar(text, "m.yaml", 12, 11);
    n->quoted = quoted;
    return n;
}

static void test_nodes(void **state)
{
    (void)state;
    struct cw_error err;
    uint64_t v, num, den;
    int64_t i;
    bool b;
    sim_time_t t;
    struct ynode *n = scalar("2GB!", false);
    assert_int_equal(ynode_size(n, &v, &err), -1);
    assert_string_equal(err.msg, "m.yaml:12:11: bad size '2GB!': expected a number with an "
                                 "optional unit B, KiB, MiB, GiB, TiB, KB, MB, GB, TB");
    ytree_free(n);

    n = scalar("4096", true);
    assert_int_equal(ynode_u64(n, &v, &err), -1);
    assert_string_equal(err.msg, "m.yaml:12:11: expected an integer, got the quoted text "
                                 "'4096' (remove the quotes)");
    /* A quoted size is still a size: units are text anyway. */
    assert_int_equal(ynode_size(n, &v, &err), 0);
    assert_int_equal(v, 4096);
    ytree_free(n);

    n = scalar("-0x10", false);
    assert_int_equal(ynode_i64(n, &i, &err), 0);
    assert_int_equal(i, -16);
    assert_int_equal(ynode_u64(n, &v, &err), -1);
    ytree_free(n);
    n = scalar("-9223372036854775808", false);
    assert_int_equal(ynode_i64(n, &i, &err), 0);
    assert_true(i == INT64_MIN);
    ytree_free(n);
    n = scalar("9223372036854775808", false);
    assert_int_equal(ynode_i64(n, &i, &err), -1);
    assert_string_equal(err.msg, "m.yaml:12:11: bad integer '9223372036854775808': out of "
                                 "range for a signed 64-bit number");
    ytree_free(n);

    const char *yes[] = {"true", "yes", "on", "True", "YES"};
    const char *no[] = {"false", "no", "off", "Off"};
    for (size_t k = 0; k < 5; k++) {
        n = scalar(yes[k], false);
        assert_int_equal(ynode_bool(n, &b, &err), 0);
        assert_true(b);
        ytree_free(n);
    }
    for (size_t k = 0; k < 4; k++) {
        n = scalar(no[k], false);
        assert_int_equal(ynode_bool(n, &b, &err), 0);
        assert_false(b);
        ytree_free(n);
    }
    n = scalar("maybe", false);
    assert_int_equal(ynode_bool(n, &b, &err), -1);
    assert_string_equal(err.msg, "m.yaml:12:11: bad boolean 'maybe': expected true/false, "
                                 "yes/no or on/off");
    ytree_free(n);

    n = ynode_new_map("m.yaml", 3, 5);
    assert_int_equal(ynode_time(n, &t, &err), -1);
    assert_string_equal(err.msg, "m.yaml:3:5: expected a time such as 70ns, got a map");
    assert_int_equal(ynode_freq(n, &num, &den, &err), -1);
    assert_string_equal(err.msg, "m.yaml:3:5: expected a frequency such as 33MHz, got a map");
    const char *s;
    assert_int_equal(ynode_string(n, &s, &err), -1);
    assert_string_equal(err.msg, "m.yaml:3:5: expected text, got a map");
    ytree_free(n);

    n = scalar("1.193182MHz", false);
    assert_int_equal(ynode_freq(n, &num, &den, &err), 0);
    assert_int_equal(num, 1193182);
    assert_int_equal(den, 1);
    ytree_free(n);

    /* Control characters never reach a one-line message. */
    n = scalar("1\nx\tKiB", false);
    assert_int_equal(ynode_size(n, &v, &err), -1);
    assert_null(strchr(err.msg, '\n'));
    assert_null(strchr(err.msg, '\t'));
    ytree_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_frequencies),
        cmocka_unit_test(test_frequency_exactness),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
