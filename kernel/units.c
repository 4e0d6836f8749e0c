/* units.c: exact parsing of integers, booleans, sizes, frequencies and times
 * written in YAML or on the command line. Decimal fractions are read as
 * integers scaled by a power of ten, never through floating point, so
 * "1.193182MHz" is exactly 1193182 Hz and "2.5s" exactly 2500000000000 ps. */
#include <string.h>
#include <strings.h>

#include "ytree.h"

typedef unsigned __int128 units_u128;

#define UNITS_MAX_DIGITS 20

static const char units_int_form[] = "expected a whole number (decimal, 0x hex or 0b binary)";
static const char units_size_form[] =
    "expected a number with an optional unit B, KiB, MiB, GiB, TiB, KB, MB, GB, TB";
static const char units_freq_form[] =
    "expected a number with a unit Hz, kHz, MHz or GHz, optionally divided by a whole "
    "number ('14.31818MHz/12')";
static const char units_time_form[] =
    "expected a number with a unit ps, ns, us, ms, s, m (minutes) or h";

/* A copy of user text fit for a one-line message: printable, bounded. */
static const char *units_quote(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (; *s && n + 4 < len && n < 48; s++)
        buf[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (*s && n + 4 < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = 0;
    return buf;
}

static int units_error(struct cw_error *err, const char *what, const char *text,
                       const char *problem)
{
    char quoted[64];
    return cw_errorf(err, "bad %s '%s': %s", what, units_quote(text, quoted, sizeof quoted),
                     problem);
}

static int units_digit(char c, unsigned base)
{
    int d = -1;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    return d >= 0 && (unsigned)d < base ? d : -1;
}

/* Reads an unsigned integer: decimal, 0x hex, 0o octal or 0b binary, with
 * optional '_' between digits. 0: ok, -1: malformed, -2: overflow. */
static int units_integer(const char *s, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16;
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2;
    else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        base = 8;
    if (base != 10)
        s += 2;
    uint64_t value = 0;
    bool digit_before = false;
    bool overflow = false;
    for (; *s; s++) {
        if (*s == '_' && digit_before && units_digit(s[1], base) >= 0)
            continue;
        int d = units_digit(*s, base);
        if (d < 0)
            return -1;
        if (value > (UINT64_MAX - (uint64_t)d) / base)
            overflow = true;
        value = value * base + (uint64_t)d;
        digit_before = true;
    }
    if (!digit_before)
        return -1;
    if (overflow)
        return -2;
    *out = value;
    return 0;
}

int parse_u64(const char *s, uint64_t *out, struct cw_error *err)
{
    if (!s)
        return cw_errorf(err, "bad integer: %s", units_int_form);
    int rc = units_integer(s, out);
    if (rc == -2)
        return units_error(err, "integer", s, "too large (at most 18446744073709551615)");
    if (rc < 0)
        return units_error(err, "integer", s,
                           s[0] == '-' ? "must not be negative" : units_int_form);
    return 0;
}

static int parse_i64(const char *s, int64_t *out, struct cw_error *err)
{
    if (!s)
        return cw_errorf(err, "bad integer: %s", units_int_form);
    bool negative = s[0] == '-';
    uint64_t magnitude;
    int rc = units_integer(s + (s[0] == '-' || s[0] == '+'), &magnitude);
    if (rc == -1)
        return units_error(err, "integer", s,
                           "expected a whole number (decimal, 0x hex or 0b binary, "
                           "optionally signed)");
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (rc == -2 || magnitude > limit)
        return units_error(err, "integer", s, "out of range for a signed 64-bit number");
    *out = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return 0;
}

/* --- decimal numbers with units -------------------------------------------- */

/* value = mantissa / 10^frac_digits */
struct units_decimal {
    units_u128 mantissa;
    unsigned frac_digits;
};

/* Reads "123", "1.5", "0.000001"; returns the rest of the string or NULL. */
static const char *units_read_decimal(const char *s, struct units_decimal *out)
{
    units_u128 mantissa = 0;
    unsigned significant = 0, frac = 0;
    bool any = false, in_fraction = false;
    for (;; s++) {
        if (*s == '.' && !in_fraction && any && s[1] >= '0' && s[1] <= '9') {
            in_fraction = true;
            continue;
        }
        if (*s < '0' || *s > '9')
            break;
        any = true;
        if (mantissa || *s != '0')
            significant++;
        if (significant > UNITS_MAX_DIGITS)
            return NULL;
        mantissa = mantissa * 10 + (unsigned)(*s - '0');
        if (in_fraction && ++frac > UNITS_MAX_DIGITS)
            return NULL;
    }
    if (!any)
        return NULL;
    out->mantissa = mantissa;
    out->frac_digits = frac;
    return s;
}

static units_u128 units_pow10(unsigned n)
{
    units_u128 p = 1;
    while (n--)
        p *= 10;
    return p;
}

struct units_unit {
    const char *name;
    uint64_t scale;
};

/* Splits "2.5 GiB" into its number and the unit that follows (spaces
 * allowed between them and after). Returns the unit or NULL. */
static const struct units_unit *units_read(const char *s, const struct units_unit *table,
                                           struct units_decimal *num, const char **rest)
{
    const char *p = units_read_decimal(s, num);
    if (!p)
        return NULL;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strlen(p);
    const char *stop = p;
    /* The unit ends at a space or a '/' (frequency divisors). */
    while (*stop && *stop != ' ' && *stop != '\t' && *stop != '/')
        stop++;
    len = (size_t)(stop - p);
    for (const struct units_unit *u = table; u->name; u++) {
        if (strlen(u->name) == len && strncmp(u->name, p, len) == 0) {
            while (*stop == ' ' || *stop == '\t')
                stop++;
            *rest = stop;
            return u;
        }
    }
    return NULL;
}

/* num * scale / divisor, exactly. -1: not whole, -2: too large. */
static int units_exact(const struct units_decimal *num, uint64_t scale, uint64_t *out)
{
    units_u128 value = num->mantissa * scale; /* < 10^20 * 4e15: fits */
    units_u128 divisor = units_pow10(num->frac_digits);
    if (value % divisor)
        return -1;
    value /= divisor;
    if (value > UINT64_MAX)
        return -2;
    *out = (uint64_t)value;
    return 0;
}

static const struct units_unit units_sizes[] = {
    {"", 1},
    {"B", 1},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"TiB", 1ull << 40},
    {"KB", 1000ull},
    {"kB", 1000ull},
    {"MB", 1000000ull},
    {"GB", 1000000000ull},
    {"TB", 1000000000000ull},
    {NULL, 0},
};

int parse_size(const char *s, uint64_t *out, struct cw_error *err)
{
    if (!s)
        return cw_errorf(err, "bad size: %s", units_size_form);
    /* Hex and binary are plain byte counts: "0x1B" must not read as 1 byte. */
    if (s[0] == '0' && s[1] && strchr("xXbo", s[1])) {
        int rc = units_integer(s, out);
        if (rc == -2)
            return units_error(err, "size", s, "too large for 64 bits");
        return rc ? units_error(err, "size", s, units_size_form) : 0;
    }
    struct units_decimal num;
    const char *rest = NULL;
    const struct units_unit *unit = units_read(s, units_sizes, &num, &rest);
    if (!unit || *rest)
        return units_error(err, "size", s, units_size_form);
    int rc = units_exact(&num, unit->scale, out);
    if (rc == -1)
        return units_error(err, "size", s, "not a whole number of bytes");
    if (rc == -2)
        return units_error(err, "size", s, "too large for 64 bits");
    return 0;
}

static const struct units_unit units_freqs[] = {
    {"Hz", 1},
    {"kHz", 1000ull},
    {"KHz", 1000ull},
    {"MHz", 1000000ull},
    {"GHz", 1000000000ull},
    {NULL, 0},
};

static units_u128 units_gcd(units_u128 a, units_u128 b)
{
    while (b) {
        units_u128 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int parse_freq(const char *s, uint64_t *num_out, uint64_t *den_out, struct cw_error *err)
{
    if (!s)
        return cw_errorf(err, "bad frequency: %s", units_freq_form);
    struct units_decimal num;
    const char *rest = NULL;
    const struct units_unit *unit = units_read(s, units_freqs, &num, &rest);
    if (!unit)
        return units_error(err, "frequency", s, units_freq_form);
    uint64_t divisor = 1;
    if (*rest == '/') {
        rest++;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        if (units_integer(rest, &divisor) || divisor == 0)
            return units_error(err, "frequency", s, units_freq_form);
        rest += strlen(rest);
    }
    if (*rest)
        return units_error(err, "frequency", s, units_freq_form);
    units_u128 hz_num = num.mantissa * unit->scale;
    units_u128 hz_den = units_pow10(num.frac_digits) * divisor; /* < 10^20 * 2^64 */
    if (hz_num == 0)
        return units_error(err, "frequency", s, "must be greater than zero");
    units_u128 g = units_gcd(hz_num, hz_den);
    hz_num /= g;
    hz_den /= g;
    if (hz_num > UINT64_MAX || hz_den > UINT64_MAX)
        return units_error(err, "frequency", s, "too precise to hold exactly in 64 bits");
    *num_out = (uint64_t)hz_num;
    *den_out = (uint64_t)hz_den;
    return 0;
}

static const struct units_unit units_times[] = {
    {"ps", 1},
    {"ns", 1000ull},
    {"us", 1000000ull},
    {"\xc2\xb5s", 1000000ull}, /* U+00B5 MICRO SIGN */
    {"\xce\xbcs", 1000000ull}, /* U+03BC GREEK SMALL LETTER MU */
    {"ms", 1000000000ull},
    {"s", 1000000000000ull},
    {"m", 60ull * 1000000000000ull},
    {"min", 60ull * 1000000000000ull},
    {"h", 3600ull * 1000000000000ull},
    {NULL, 0},
};

int parse_time(const char *s, sim_time_t *out, struct cw_error *err)
{
    if (!s)
        return cw_errorf(err, "bad time: %s", units_time_form);
    /* A bare zero needs no unit. */
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    struct units_decimal num;
    const char *rest = NULL;
    const struct units_unit *unit = units_read(s, units_times, &num, &rest);
    if (!unit || *rest)
        return units_error(err, "time", s, units_time_form);
    uint64_t ps;
    int rc = units_exact(&num, unit->scale, &ps);
    if (rc == -1)
        return units_error(err, "time", s, "finer than one picosecond");
    if (rc == -2)
        return units_error(err, "time", s, "too long (at most about 213 days)");
    *out = ps;
    return 0;
}

/* --- the same conversions on YAML nodes -------------------------------------- */

static const char *ynode_kind_name(const struct ynode *n)
{
    return n->kind == YNODE_MAP ? "map" : n->kind == YNODE_SEQ ? "list" : "text";
}

/* A scalar, or an error naming what was wanted instead. */
static int ynode_need_scalar(const struct ynode *n, const char *wanted, struct cw_error *err)
{
    if (!n)
        return cw_errorf(err, "missing value; expected %s", wanted);
    if (n->kind != YNODE_SCALAR)
        return ynode_error(err, n, "expected %s, got a %s", wanted, ynode_kind_name(n));
    return 0;
}

/* Numbers and booleans are plain YAML: quoting makes text of them. */
static int ynode_need_plain(const struct ynode *n, const char *wanted, struct cw_error *err)
{
    if (ynode_need_scalar(n, wanted, err))
        return -1;
    if (n->quoted) {
        char quoted[64];
        return ynode_error(err, n, "expected %s, got the quoted text '%s' (remove the quotes)",
                           wanted, units_quote(n->scalar, quoted, sizeof quoted));
    }
    return 0;
}

/* Runs a plain-string parser and puts the node's location on its message. */
static int ynode_located(const struct ynode *n, int rc, const struct cw_error *inner,
                         struct cw_error *err)
{
    if (rc == 0)
        return 0;
    return ynode_error(err, n, "%s", inner->msg);
}

int ynode_u64(const struct ynode *n, uint64_t *out, struct cw_error *err)
{
    struct cw_error inner;
    if (ynode_need_plain(n, "an integer", err))
        return -1;
    return ynode_located(n, parse_u64(n->scalar, out, &inner), &inner, err);
}

int ynode_i64(const struct ynode *n, int64_t *out, struct cw_error *err)
{
    struct cw_error inner;
    if (ynode_need_plain(n, "an integer", err))
        return -1;
    return ynode_located(n, parse_i64(n->scalar, out, &inner), &inner, err);
}

int ynode_bool(const struct ynode *n, bool *out, struct cw_error *err)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    if (ynode_need_plain(n, "true or false", err))
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(n->scalar, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(n->scalar, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    char quoted[64];
    return ynode_error(err, n, "bad boolean '%s': expected true/false, yes/no or on/off",
                       units_quote(n->scalar, quoted, sizeof quoted));
}

int ynode_string(const struct ynode *n, const char **out, struct cw_error *err)
{
    if (ynode_need_scalar(n, "text", err))
        return -1;
    *out = n->scalar;
    return 0;
}

int ynode_size(const struct ynode *n, uint64_t *out, struct cw_error *err)
{
    struct cw_error inner;
    if (ynode_need_scalar(n, "a size such as 640KiB", err))
        return -1;
    return ynode_located(n, parse_size(n->scalar, out, &inner), &inner, err);
}

int ynode_freq(const struct ynode *n, uint64_t *num, uint64_t *den, struct cw_error *err)
{
    struct cw_error inner;
    if (ynode_need_scalar(n, "a frequency such as 33MHz", err))
        return -1;
    return ynode_located(n, parse_freq(n->scalar, num, den, &inner), &inner, err);
}

int ynode_time(const struct ynode *n, sim_time_t *out, struct cw_error *err)
{
    struct cw_error inner;
    if (ynode_need_scalar(n, "a time such as 70ns", err))
        return -1;
    return ynode_located(n, parse_time(n->scalar, out, &inner), &inner, err);
}
