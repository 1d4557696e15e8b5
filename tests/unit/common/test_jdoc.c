/*
 * tests/unit/common/test_jdoc.c - unit tests for common/jdoc, written against the contract
 * in jdoc.h rather than against one implementation: every value type and its fields;
 * integers and reals at their edges (int64 limits, big integers as reals, correctly
 * rounded doubles, overflow and underflow); the number grammar; strings (escapes,
 * surrogate pairs, U+0000, strict UTF-8, control characters, lengths and offsets around
 * 8-byte words); member names (escapes, duplicates, many members); structural errors and
 * where they are reported; the depth limit; the accessors; the jansson conversions; the
 * printer; and parsing many documents into one arena.
 *
 * Every input is parsed from an exactly sized heap copy that is overwritten and freed
 * right after rn_jdoc_parse returns: ASan catches a read past the end of the input, and a
 * document that points into the input instead of into its arena reads garbage.
 *
 * Oracles: strtod (glibc's is correctly rounded) gives the nearest double of a number
 * text; strtoll its int64 value.
 */
#include "../../common/jdoc_oracle.h"
#include "common/jdoc.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ helpers */

static rn_arena arena;

static void setup(void)
{
    memset(&arena, 0, sizeof arena);
}

static void teardown(void)
{
    rn_arena_fini(&arena);
}

TestSuite(jdoc_values, .init = setup, .fini = teardown);
TestSuite(jdoc_numbers, .init = setup, .fini = teardown);
TestSuite(jdoc_strings, .init = setup, .fini = teardown);
TestSuite(jdoc_keys, .init = setup, .fini = teardown);
TestSuite(jdoc_errors, .init = setup, .fini = teardown);
TestSuite(jdoc_api, .init = setup, .fini = teardown);
TestSuite(jdoc_dump, .init = setup, .fini = teardown);
TestSuite(jdoc_memory, .init = setup, .fini = teardown);

/* A printable rendering of an input for assertion messages (four rotating buffers). */
static const char *show(const void *buf, size_t len)
{
    static char out[4][320];
    static int k;
    char *o = out[k++ & 3];
    const unsigned char *p = buf;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (n > sizeof out[0] - 16) {
            n += (size_t)sprintf(o + n, "...(%zu bytes)", len);
            break;
        }
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            o[n++] = (char)p[i];
        else
            n += (size_t)sprintf(o + n, "\\x%02x", p[i]);
    }
    o[n] = '\0';
    return o;
}

/* rn_jdoc_parse on an exactly sized heap copy of buf, wiped and freed afterwards. *out is
 * preset to a sentinel so that a parser which forgets to set it is caught. */
static int parse_raw(const void *buf, size_t len, const rn_jval **out, rn_jdoc_error *e)
{
    static const rn_jval sentinel = {.type = RN_JNULL};
    static char empty_input;
    char *copy = malloc(len);
    if (!copy) {
        cr_assert_eq(len, 0);
        copy = &empty_input;
    } else if (len) {
        memcpy(copy, buf, len);
    }
    *out = &sentinel;
    int rc = rn_jdoc_parse(&arena, copy, len, out, e);
    if (copy != &empty_input) {
        memset(copy, 0xA5, len);
        free(copy);
    }
    return rc;
}

/* The invariants of every parsed node (jdoc.h): scalars have len 0 and flags 0; strings
 * and names are valid UTF-8, NUL-terminated at len, flagged RN_JSTR_ASCII exactly when
 * every byte is < 0x80; names are unique; no more than RN_JDOC_MAX_DEPTH containers. */
static void check_tree(const rn_jval *v, int depth)
{
    cr_assert_leq(v->type, RN_JOBJECT, "bad type %d", v->type);
    switch (v->type) {
    case RN_JNULL:
    case RN_JBOOL:
    case RN_JINT:
    case RN_JREAL:
        cr_assert_eq(v->len, 0, "a scalar has len 0");
        cr_assert_eq(v->flags, 0, "a scalar has flags 0");
        if (v->type == RN_JBOOL) cr_assert(v->u.b == 0 || v->u.b == 1);
        if (v->type == RN_JREAL) cr_assert(isfinite(v->u.d));
        return;
    case RN_JSTRING:
        cr_assert_not_null(v->u.s);
        cr_assert_eq(v->u.s[v->len], '\0', "a string is NUL-terminated at len");
        cr_assert_eq(v->flags, all_ascii(v->u.s, v->len) ? RN_JSTR_ASCII : 0,
                     "RN_JSTR_ASCII wrong for \"%s\"", show(v->u.s, v->len));
        cr_assert(utf8_ok(v->u.s, v->len), "string is not UTF-8: %s", show(v->u.s, v->len));
        return;
    case RN_JARRAY:
        cr_assert_eq(v->flags, 0);
        cr_assert_lt(depth, RN_JDOC_MAX_DEPTH, "too deep");
        cr_assert(v->len == 0 || v->u.items);
        for (uint32_t i = 0; i < v->len; i++)
            check_tree(&v->u.items[i], depth + 1);
        return;
    default:
        cr_assert_eq(v->flags, 0);
        cr_assert_lt(depth, RN_JDOC_MAX_DEPTH, "too deep");
        cr_assert(v->len == 0 || v->u.members);
        for (uint32_t i = 0; i < v->len; i++) {
            const rn_jmember *m = &v->u.members[i];
            cr_assert_not_null(m->key);
            cr_assert_eq(m->key[m->key_len], '\0', "a name is NUL-terminated at key_len");
            cr_assert_eq(m->key_flags, all_ascii(m->key, m->key_len) ? RN_JSTR_ASCII : 0u);
            cr_assert(utf8_ok(m->key, m->key_len));
            if (v->len <= 64)
                for (uint32_t j = 0; j < i; j++)
                    cr_assert(m->key_len != v->u.members[j].key_len ||
                                  memcmp(m->key, v->u.members[j].key, m->key_len),
                              "duplicate name \"%s\"", show(m->key, m->key_len));
            check_tree(&m->val, depth + 1);
        }
        return;
    }
}

static const char *dumped(const rn_jval *v)
{
    static char buf[2][400];
    static int k;
    char *b = buf[k++ & 1];
    rn_jval_dump(v, b, sizeof buf[0]);
    return b;
}

/* Parses buf, which must be accepted; checks the tree's invariants. */
static const rn_jval *okn(const void *buf, size_t len)
{
    const rn_jval *v;
    rn_jdoc_error e;
    memset(&e, 0, sizeof e);
    int rc = parse_raw(buf, len, &v, &e);
    cr_assert_eq(rc, RN_OK, "%s: rejected (%s at %zu)", show(buf, len), e.text, e.position);
    cr_assert_not_null(v);
    check_tree(v, 0);
    return v;
}

static const rn_jval *ok(const char *text)
{
    return okn(text, strlen(text));
}

/* Parses buf, which must be refused with RN_EINVAL, *out NULL and a sensible error;
 * also with e NULL. Returns the error. */
static rn_jdoc_error badn(const void *buf, size_t len)
{
    const rn_jval *v;
    rn_jdoc_error e;
    memset(&e, 0x5A, sizeof e);
    int rc = parse_raw(buf, len, &v, &e);
    cr_assert_eq(rc, RN_EINVAL, "%s: rc %d, expected RN_EINVAL; parsed as %s", show(buf, len), rc,
                 rc == RN_OK && v ? dumped(v) : "-");
    cr_assert_null(v, "%s: *out must be NULL on failure", show(buf, len));
    cr_assert_not_null(memchr(e.text, '\0', sizeof e.text), "error text not NUL-terminated");
    cr_assert_neq(e.text[0], '\0', "%s: empty error text", show(buf, len));
    cr_assert_leq(e.position, len, "%s: position %zu beyond the input", show(buf, len), e.position);
    cr_assert_geq(e.line, 1, "%s: line %d", show(buf, len), e.line);
    rc = parse_raw(buf, len, &v, NULL);
    cr_assert_eq(rc, RN_EINVAL, "%s: with e NULL", show(buf, len));
    cr_assert_null(v);
    return e;
}

static rn_jdoc_error bad(const char *text)
{
    return badn(text, strlen(text));
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void expect_int(const char *text, int64_t want)
{
    const rn_jval *v = ok(text);
    cr_assert_eq(v->type, RN_JINT, "%s: type %d, expected RN_JINT", text, v->type);
    cr_assert_eq(v->u.i, want, "%s: %" PRId64 ", expected %" PRId64, text, v->u.i, want);
}

static void expect_real(const char *text, double want)
{
    const rn_jval *v = ok(text);
    cr_assert_eq(v->type, RN_JREAL, "%s: type %d, expected RN_JREAL", text, v->type);
    cr_assert_eq(bits(v->u.d), bits(want), "%s: %.17g, expected %.17g", text, v->u.d, want);
}

/* RN_JREAL with exactly the double strtod gives (which must be finite). */
static void expect_real_strtod(const char *text)
{
    errno = 0;
    double want = strtod(text, NULL);
    cr_assert(isfinite(want), "test bug: %s overflows", text);
    expect_real(text, want);
}

static const rn_jval *item(const rn_jval *a, uint32_t i)
{
    cr_assert_eq(a->type, RN_JARRAY);
    cr_assert_lt(i, a->len);
    return &a->u.items[i];
}

static void expect_str(const rn_jval *v, const char *want, size_t wlen)
{
    cr_assert_eq(v->type, RN_JSTRING, "type %d, expected RN_JSTRING", v->type);
    cr_assert_eq(v->len, wlen, "len %u, expected %zu (\"%s\" vs \"%s\")", v->len, wlen,
                 show(v->u.s, v->len), show(want, wlen));
    cr_assert(!memcmp(v->u.s, want, wlen), "\"%s\", expected \"%s\"", show(v->u.s, v->len),
              show(want, wlen));
    cr_assert_eq(v->u.s[wlen], '\0');
    cr_assert_eq(v->flags, all_ascii(want, wlen) ? RN_JSTR_ASCII : 0);
}

/* The string value of JSON text `json` (a string literal) must be want (wlen bytes). */
static void expect_string(const char *json, const char *want, size_t wlen)
{
    expect_str(ok(json), want, wlen);
}

/* A heap buffer holding n copies of s. */
static char *repeat(const char *s, size_t n, size_t *outlen)
{
    size_t l = strlen(s);
    char *b = malloc(l * n + 1);
    cr_assert_not_null(b);
    for (size_t i = 0; i < n; i++)
        memcpy(b + i * l, s, l);
    b[l * n] = '\0';
    if (outlen) *outlen = l * n;
    return b;
}

/* prefix x n_open, middle, suffix x n_close; freed by the caller. */
static char *nest(const char *open, size_t n_open, const char *middle, const char *close,
                  size_t n_close, size_t *outlen)
{
    size_t lo = strlen(open), lm = strlen(middle), lc = strlen(close);
    size_t n = lo * n_open + lm + lc * n_close;
    char *b = malloc(n + 1), *p = b;
    cr_assert_not_null(b);
    for (size_t i = 0; i < n_open; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, middle, lm);
    p += lm;
    for (size_t i = 0; i < n_close; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    *outlen = n;
    return b;
}

/* ------------------------------------------------------------------ values */

Test(jdoc_values, literals)
{
    const rn_jval *v = ok("null");
    cr_assert_eq(v->type, RN_JNULL);
    cr_assert_eq(v->len, 0);
    cr_assert_eq(v->flags, 0);
    v = ok("true");
    cr_assert_eq(v->type, RN_JBOOL);
    cr_assert_eq(v->u.b, 1);
    v = ok("false");
    cr_assert_eq(v->type, RN_JBOOL);
    cr_assert_eq(v->u.b, 0);
}

Test(jdoc_values, scalars_at_the_top_level)
{
    expect_int("42", 42);
    expect_int("-7", -7);
    expect_real("2.5", 2.5);
    expect_string("\"hi\"", "hi", 2);
}

Test(jdoc_values, ascii_string)
{
    const rn_jval *v = ok("\"hello, world\"");
    cr_assert_eq(v->type, RN_JSTRING);
    cr_assert_eq(v->len, 12);
    cr_assert_str_eq(v->u.s, "hello, world");
    cr_assert_eq(v->flags, RN_JSTR_ASCII);
}

Test(jdoc_values, empty_string)
{
    const rn_jval *v = ok("\"\"");
    cr_assert_eq(v->type, RN_JSTRING);
    cr_assert_eq(v->len, 0);
    cr_assert_not_null(v->u.s, "an empty string is still a NUL-terminated text");
    cr_assert_eq(v->u.s[0], '\0');
    cr_assert_eq(v->flags, RN_JSTR_ASCII, "no byte >= 0x80: ASCII");
}

Test(jdoc_values, array_of_every_type)
{
    const rn_jval *a = ok("[null,true,false,-12,2.5,\"x\",[],{}]");
    cr_assert_eq(a->type, RN_JARRAY);
    cr_assert_eq(a->len, 8);
    cr_assert_eq(a->flags, 0);
    cr_assert_eq(item(a, 0)->type, RN_JNULL);
    cr_assert_eq(item(a, 1)->type, RN_JBOOL);
    cr_assert_eq(item(a, 1)->u.b, 1);
    cr_assert_eq(item(a, 2)->type, RN_JBOOL);
    cr_assert_eq(item(a, 2)->u.b, 0);
    cr_assert_eq(item(a, 3)->type, RN_JINT);
    cr_assert_eq(item(a, 3)->u.i, -12);
    cr_assert_eq(item(a, 4)->type, RN_JREAL);
    cr_assert_eq(item(a, 4)->u.d, 2.5);
    expect_str(item(a, 5), "x", 1);
    cr_assert_eq(item(a, 6)->type, RN_JARRAY);
    cr_assert_eq(item(a, 6)->len, 0);
    cr_assert_eq(item(a, 7)->type, RN_JOBJECT);
    cr_assert_eq(item(a, 7)->len, 0);
}

Test(jdoc_values, object_members_in_document_order)
{
    const rn_jval *o = ok("{\"z\":1,\"a\":\"two\",\"m\":[3],\"b\":null,\"y\":{\"k\":false}}");
    cr_assert_eq(o->type, RN_JOBJECT);
    cr_assert_eq(o->len, 5);
    const char *names[] = {"z", "a", "m", "b", "y"};
    for (int i = 0; i < 5; i++) {
        cr_assert_str_eq(o->u.members[i].key, names[i]);
        cr_assert_eq(o->u.members[i].key_len, 1);
        cr_assert_eq(o->u.members[i].key_flags, RN_JSTR_ASCII);
    }
    cr_assert_eq(o->u.members[0].val.type, RN_JINT);
    cr_assert_eq(o->u.members[0].val.u.i, 1);
    expect_str(&o->u.members[1].val, "two", 3);
    cr_assert_eq(o->u.members[2].val.type, RN_JARRAY);
    cr_assert_eq(o->u.members[2].val.len, 1);
    cr_assert_eq(o->u.members[2].val.u.items[0].u.i, 3);
    cr_assert_eq(o->u.members[3].val.type, RN_JNULL);
    const rn_jval *y = &o->u.members[4].val;
    cr_assert_eq(y->type, RN_JOBJECT);
    cr_assert_eq(y->len, 1);
    cr_assert_str_eq(y->u.members[0].key, "k");
    cr_assert_eq(y->u.members[0].val.type, RN_JBOOL);
    cr_assert_eq(y->u.members[0].val.u.b, 0);
}

Test(jdoc_values, nested)
{
    const rn_jval *r =
        ok("{\"a\":[1,{\"b\":[true,{\"c\":null}]},[[[]]]],\"d\":{\"e\":{\"f\":\"g\"}}}");
    const rn_jval *a = rn_jval_getz(r, "a");
    cr_assert_not_null(a);
    cr_assert_eq(a->len, 3);
    cr_assert_eq(item(a, 0)->u.i, 1);
    const rn_jval *b = rn_jval_getz(item(a, 1), "b");
    cr_assert_not_null(b);
    cr_assert_eq(b->len, 2);
    cr_assert_eq(item(b, 0)->type, RN_JBOOL);
    const rn_jval *c = rn_jval_getz(item(b, 1), "c");
    cr_assert_not_null(c);
    cr_assert_eq(c->type, RN_JNULL);
    const rn_jval *x = item(a, 2);
    cr_assert_eq(x->len, 1);
    cr_assert_eq(item(x, 0)->len, 1);
    cr_assert_eq(item(item(x, 0), 0)->type, RN_JARRAY);
    cr_assert_eq(item(item(x, 0), 0)->len, 0);
    const rn_jval *f = rn_jval_getz(rn_jval_getz(rn_jval_getz(r, "d"), "e"), "f");
    cr_assert_not_null(f);
    expect_str(f, "g", 1);
}

Test(jdoc_values, empty_containers)
{
    const char *arrays[] = {"[]", "[ ]", "[\n\t\r ]"};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) {
        const rn_jval *v = ok(arrays[i]);
        cr_assert_eq(v->type, RN_JARRAY, "%s", arrays[i]);
        cr_assert_eq(v->len, 0);
    }
    const char *objects[] = {"{}", "{ }", "{\n\t\r }"};
    for (size_t i = 0; i < sizeof objects / sizeof *objects; i++) {
        const rn_jval *v = ok(objects[i]);
        cr_assert_eq(v->type, RN_JOBJECT, "%s", objects[i]);
        cr_assert_eq(v->len, 0);
    }
    const rn_jval *v = ok("[[],{},[{}],{\"a\":[]}]");
    cr_assert_eq(v->len, 4);
    cr_assert_eq(item(v, 2)->len, 1);
    cr_assert_eq(item(item(v, 2), 0)->type, RN_JOBJECT);
    cr_assert_eq(item(item(v, 2), 0)->len, 0);
}

Test(jdoc_values, whitespace_around_and_inside)
{
    expect_int(" \t\r\n 1 \t\r\n", 1);
    expect_string("\n\"s\"\n", "s", 1);
    const rn_jval *v = ok(" \r\n[ 1 ,\t2\n,\r3 ] \n");
    cr_assert_eq(v->len, 3);
    cr_assert_eq(item(v, 2)->u.i, 3);
    v = ok("\t{ \"a\" : 1 ,\n\"b\"\r:\t[ ] }\r\n");
    cr_assert_eq(v->len, 2);
    cr_assert_str_eq(v->u.members[1].key, "b");
    cr_assert_eq(v->u.members[1].val.type, RN_JARRAY);
}

Test(jdoc_values, other_whitespace_refused)
{
    bad("\f1");
    bad("1\v");
    bad("[1,\f2]");
    bad("\xC2\xA0"
        "1");                     /* U+00A0 no-break space */
    bad("1\xE2\x80\xA8");         /* U+2028 line separator */
    bad("{\"a\":1}\xE3\x80\x80"); /* U+3000 ideographic space */
}

Test(jdoc_values, input_length_is_respected)
{
    /* the text continues after len: only len bytes count */
    const char *text = "[1,2]garbage";
    const rn_jval *v = okn(text, 5);
    cr_assert_eq(v->len, 2);
    expect_int("123", 123);
    v = okn("12345", 3);
    cr_assert_eq(v->type, RN_JINT);
    cr_assert_eq(v->u.i, 123);
    v = okn("truex", 4);
    cr_assert_eq(v->type, RN_JBOOL);
    /* a closing quote just past len does not terminate the string */
    badn("\"abcdefghijklmnop\"", 17);
    badn("\"abcdefg\"", 8);
    badn("[1,2]", 4);
    badn("{\"a\":1}", 6);
    badn("1.5e3", 4);
}

/* ------------------------------------------------------------------ numbers */

Test(jdoc_numbers, zero_and_minus_zero_are_integers)
{
    expect_int("0", 0);
    /* "-0" has no fraction or exponent and fits int64_t: RN_JINT 0 */
    expect_int("-0", 0);
    const rn_jval *v = ok("[-0,0,-0]");
    cr_assert_eq(item(v, 0)->type, RN_JINT);
    cr_assert_eq(item(v, 0)->u.i, 0);
    cr_assert_eq(item(v, 2)->type, RN_JINT);
}

Test(jdoc_numbers, int64_limits)
{
    expect_int("9223372036854775807", INT64_MAX);
    expect_int("-9223372036854775808", INT64_MIN);
    expect_int("9223372036854775806", INT64_MAX - 1);
    expect_int("-9223372036854775807", INT64_MIN + 1);
    const rn_jval *v = ok("[9223372036854775807,-9223372036854775808,1]");
    cr_assert_eq(item(v, 0)->u.i, INT64_MAX);
    cr_assert_eq(item(v, 1)->u.i, INT64_MIN);
    cr_assert_eq(item(v, 2)->u.i, 1);
}

Test(jdoc_numbers, beyond_int64_is_the_nearest_real)
{
    expect_real("9223372036854775808", 9223372036854775808.0);
    expect_real("-9223372036854775809", -9223372036854775808.0);
    expect_real("9223372036854775809", 9223372036854775808.0);
    expect_real("18446744073709551615", 18446744073709551616.0);
    expect_real("18446744073709551616", 18446744073709551616.0);
    expect_real("-18446744073709551616", -18446744073709551616.0);
    expect_real("10000000000000000000", 1e19);
    expect_real("99999999999999999999", 1e20);
    expect_real_strtod("12345678901234567890");
    expect_real_strtod("9999999999999999999");
    expect_real_strtod("-9999999999999999999");
    expect_real_strtod("123456789012345678901234567890");
    /* 2^64 + 2^11 + 1: just above a tie, rounds up */
    expect_real_strtod("18446744073709553665");
    /* 2^64 + 2^11: a tie, rounds to even (down) */
    expect_real_strtod("18446744073709553664");
    expect_real_strtod("1"
                       "00000000000000000000000000000000000000000000000000000000000000000000000"
                       "00000000000000000000000000000000000000000000000000000000000000000000000"
                       "00000000000000000000000000000000000000000000000000000000000000000000000");
    char *max = malloc(400);
    cr_assert_not_null(max);
    strcpy(max, "17976931348623157");
    memset(max + 17, '0', 292); /* 309 digits: DBL_MAX */
    max[309] = '\0';
    expect_real(max, 1.7976931348623157e308);
    free(max);
    const rn_jval *v = ok("[1,9223372036854775808,2]");
    cr_assert_eq(item(v, 0)->type, RN_JINT);
    cr_assert_eq(item(v, 1)->type, RN_JREAL);
    cr_assert_eq(item(v, 1)->u.d, 9223372036854775808.0);
    cr_assert_eq(item(v, 2)->type, RN_JINT);
}

Test(jdoc_numbers, integer_overflowing_a_double_is_an_error)
{
    size_t n;
    char *big = repeat("9", 400, &n);
    badn(big, n);
    big[0] = '-';
    badn(big, n);
    /* 309 digits just above DBL_MAX's rounding boundary */
    memcpy(big, "17976931348623159", 17);
    memset(big + 17, '0', 292);
    badn(big, 309);
    free(big);
}

Test(jdoc_numbers, integers_around_powers)
{
    char text[64];
    for (int k = 0; k < 63; k++) {
        int64_t p = (int64_t)1 << k;
        int64_t vals[] = {p - 1, p, p + 1, -p + 1, -p, -p - 1};
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
            snprintf(text, sizeof text, "%" PRId64, vals[i]);
            expect_int(text, vals[i]);
        }
    }
    int64_t ten = 1;
    for (int k = 0; k <= 18; k++) {
        if (k) ten *= 10;
        int64_t vals[] = {ten - 1, ten, ten + 1, -ten, -(ten - 1)};
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
            snprintf(text, sizeof text, "%" PRId64, vals[i]);
            expect_int(text, vals[i]);
        }
    }
    for (int64_t d = 0; d <= 20; d++) {
        snprintf(text, sizeof text, "%" PRId64, INT64_MAX - d);
        expect_int(text, INT64_MAX - d);
        snprintf(text, sizeof text, "%" PRId64, INT64_MIN + d);
        expect_int(text, INT64_MIN + d);
        /* INT64_MAX + 1 + d and INT64_MIN - 1 - d as text: reals */
        snprintf(text, sizeof text, "%" PRIu64, (uint64_t)INT64_MAX + 1 + (uint64_t)d);
        expect_real_strtod(text);
        snprintf(text, sizeof text, "-%" PRIu64, (uint64_t)INT64_MAX + 2 + (uint64_t)d);
        expect_real_strtod(text);
    }
    for (int i = -1000; i <= 1000; i++) {
        snprintf(text, sizeof text, "%d", i);
        expect_int(text, i);
    }
}

Test(jdoc_numbers, fraction_or_exponent_makes_a_real)
{
    expect_real("1.5", 1.5);
    expect_real("-2.25", -2.25);
    expect_real("1e3", 1000.0);
    expect_real("1E3", 1000.0);
    expect_real("1e+3", 1000.0);
    expect_real("10e-1", 1.0);
    expect_real("0e0", 0.0);
    expect_real("0.0", 0.0);
    expect_real("5.0", 5.0);
    expect_real("9223372036854775807.0", 9223372036854775808.0);
    expect_real("1E-2", strtod("1E-2", NULL));
    expect_real("0.1", 0.1);
    cr_assert_eq(bits(0.1), bits(strtod("0.1", NULL)));
    expect_real_strtod("0.5");
    expect_real_strtod("-0.75e-3");
    expect_real_strtod("1.0e+2");
}

Test(jdoc_numbers, minus_zero_real_keeps_its_sign)
{
    const rn_jval *v = ok("-0.0");
    cr_assert_eq(v->type, RN_JREAL);
    cr_assert_eq(v->u.d, 0.0);
    cr_assert(signbit(v->u.d), "-0.0 is negative zero");
    v = ok("-0e5");
    cr_assert_eq(v->type, RN_JREAL);
    cr_assert(signbit(v->u.d));
    v = ok("0.0");
    cr_assert(!signbit(v->u.d));
}

Test(jdoc_numbers, correctly_rounded_reals)
{
    static const char *const cases[] = {
        "12345678901234567890.123",
        "1e308",
        "1.7976931348623157e308",
        "4.9e-324",
        "5e-324",
        "2.4703282292062328e-324", /* just above half the smallest denormal: rounds up */
        "2.2250738585072014e-308", /* smallest normal */
        "2.2250738585072011e-308", /* largest denormal region */
        "2.2250738585072012e-308", /* the input that hung PHP and Java */
        "0.30000000000000004",
        "1e23", /* not exactly representable: a naive 1 * 10^23 is one ulp off */
        "8.41e21",
        "7e22",
        "7e23",
        "9007199254740993.0", /* 2^53 + 1: a tie, to even */
        "9007199254740993e0",
        "9007199254740995.0",
        "1.00000000000000011102230246251565404236316680908203125", /* 1 + 2^-53: tie */
        "1.00000000000000011102230246251565404236316680908203126", /* just above: up */
        "1.00000000000000011102230246251565404236316680908203124", /* just below: down */
        "3.14159265358979323846264338327950288419716939937510582097494459230781640628",
        "123456789012345678901234567890e-10",
        "0.000000000000000000000000000000000000000000000000000000000000000000001234",
        "89255.0e-22",
        "4.35e-1",
        "1.5e300",
        "-1.5e-300",
        "0.1e1",
        "100e-2",
        "1e-7",
        "6.02214076e23",
        "1.7976931348623158e308", /* rounds down to DBL_MAX */
        "4.9406564584124654e-324",
        "2.225073858507201136057409796709131975934819546351645648e-308",
        "5708990770823839524233143877797980545530986496",
        "1448997445238699.5",
        "0.9999999999999999444888487687421729788184165954589843750", /* tie below 1 */
        "-123.456e-7",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_real_strtod(cases[i]);
}

Test(jdoc_numbers, long_mantissas)
{
    /* 0.(800 digits), and 1(801 zeros)e-801: the digits past the 19th still count */
    char *s = malloc(1000);
    cr_assert_not_null(s);
    strcpy(s, "0.");
    for (int i = 0; i < 800; i++)
        s[2 + i] = (char)('0' + (i * 7 + 3) % 10);
    s[802] = '\0';
    expect_real_strtod(s);
    s[0] = '1';
    s[1] = '0';
    for (int i = 0; i < 800; i++)
        s[2 + i] = '0';
    strcpy(s + 802, "e-801");
    expect_real(s, 1.0);
    free(s);
}

Test(jdoc_numbers, underflow_is_zero_not_an_error)
{
    /* only overflow is an error; the nearest double of a tiny number is 0 */
    expect_real("1e-400", 0.0);
    const rn_jval *v = ok("-1e-400");
    cr_assert_eq(v->type, RN_JREAL);
    cr_assert_eq(v->u.d, 0.0);
    cr_assert(signbit(v->u.d));
    expect_real("2.4703282292062327e-324", 0.0); /* just below half the smallest denormal */
    expect_real("1e-99999999999999999999", 0.0);
    expect_real("0e99999999999999999999", 0.0);
    expect_real("0.000e999999", 0.0);
}

Test(jdoc_numbers, overflow_is_an_error)
{
    bad("1e309");
    bad("-1e309");
    bad("1.8e308");
    bad("1.7976931348623159e308"); /* rounds past DBL_MAX */
    bad("1e99999999999999999999");
    bad("[1,1e400]");
    bad("{\"a\":-1e1000}");
    bad("0.1e310");
    cr_assert(isinf(strtod("1.7976931348623159e308", NULL)));
}

Test(jdoc_numbers, grammar_errors)
{
    /* "\xD9\xA1" is U+0661, ARABIC-INDIC DIGIT ONE */
    static const char *const cases[] = {
        "01",    "-01",      "00",         "00.1",  "1.",   "-0.",  ".1",       "-.5",   "+1",
        "+0",    "-",        "1e",         "1e+",   "1E-",  "--1",  "0x10",     "0X1",   "NaN",
        "nan",   "Infinity", "-Infinity",  "inf",   "1.e5", "1.5e", "1e5.5",    "1ee5",  "1e--5",
        "1.0.0", "- 1",      "1_000",      "1,000", "2.e3", "0.e1", "\xD9\xA1", "1e+-1", "[01]",
        "[1.]",  "[.5]",     "{\"a\":+1}", "[-]",   "[1e]", "1 2",  "0 1",      "-0-",   "1-1",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_numbers, numbers_end_where_the_input_ends)
{
    /* parse_raw copies into exact-size buffers: an over-read here is an ASan error */
    expect_int("7", 7);
    expect_int("-7", -7);
    expect_real("7.5", 7.5);
    expect_real("7e1", 70.0);
    expect_real("7E+1", 70.0);
    const rn_jval *v = ok("[7,-8,9.5,1e1,0]");
    cr_assert_eq(v->len, 5);
    cr_assert_eq(item(v, 1)->u.i, -8);
    cr_assert_eq(item(v, 4)->type, RN_JINT);
    cr_assert_eq(item(v, 4)->u.i, 0);
    v = ok("{\"a\":0,\"b\":-0.5,\"c\":10}");
    cr_assert_eq(rn_jval_getz(v, "c")->u.i, 10);
}

/* ------------------------------------------------------------------ strings */

Test(jdoc_strings, every_escape)
{
    expect_string("\"\\\"\"", "\"", 1);
    expect_string("\"\\\\\"", "\\", 1);
    expect_string("\"\\/\"", "/", 1);
    expect_string("\"\\b\"", "\b", 1);
    expect_string("\"\\f\"", "\f", 1);
    expect_string("\"\\n\"", "\n", 1);
    expect_string("\"\\r\"", "\r", 1);
    expect_string("\"\\t\"", "\t", 1);
    expect_string("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", "a\"b\\c/d\be\ff\ng\rh\ti", 17);
    expect_string("\"\\\\\\\\\\\"\"", "\\\\\"", 3);
}

Test(jdoc_strings, unicode_escapes)
{
    expect_string("\"\\u0041\"", "A", 1);
    expect_string("\"\\u007f\"", "\x7f", 1);
    expect_string("\"\\u001F\"", "\x1f", 1);
    expect_string("\"\\u0080\"", "\xC2\x80", 2);
    expect_string("\"\\u00e9\"", "\xC3\xA9", 2);
    expect_string("\"\\u00E9\"", "\xC3\xA9", 2);
    expect_string("\"\\u07FF\"", "\xDF\xBF", 2);
    expect_string("\"\\u0800\"", "\xE0\xA0\x80", 3);
    expect_string("\"\\u20ac\"", "\xE2\x82\xAC", 3);
    expect_string("\"\\uD7FF\"", "\xED\x9F\xBF", 3);
    expect_string("\"\\uE000\"", "\xEE\x80\x80", 3);
    expect_string("\"\\uFFFF\"", "\xEF\xBF\xBF", 3);
    expect_string("\"\\uFEFF\"", "\xEF\xBB\xBF", 3);
    expect_string("\"x\\u0041\\u0042y\"", "xABy", 4);
}

Test(jdoc_strings, surrogate_pairs)
{
    expect_string("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80", 4);
    expect_string("\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80", 4);
    expect_string("\"\\uD800\\uDC00\"", "\xF0\x90\x80\x80", 4);
    expect_string("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4);
    expect_string("\"a\\ud83d\\ude00b\\ud834\\udd1e\"",
                  "a\xF0\x9F\x98\x80"
                  "b\xF0\x9D\x84\x9E",
                  10);
}

Test(jdoc_strings, lone_surrogate_escapes_refused)
{
    static const char *const cases[] = {
        "\"\\ud800\"",        "\"\\udbff\"",        "\"\\udc00\"",        "\"\\udfff\"",
        "\"\\ud800x\"",       "\"\\ud800\\u0041\"", "\"\\ud800\\ud800\"", "\"\\udc00\\ud800\"",
        "\"\\ude00\\ud83d\"", "\"\\ud83d\\n\"",     "\"\\ud83d\\\\\"",    "\"a\\ud83d\"",
        "\"\\ud83d\\ue000\"", "\"\\ud83d\\u00\"",   "\"\\ud83d\\",        "\"\\ud83d\\u",
        "[\"\\udc00\",1]",    "{\"\\ud800\":1}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_strings, invalid_escapes_refused)
{
    static const char *const cases[] = {
        "\"\\x41\"",   "\"\\a\"",      "\"\\v\"",     "\"\\'\"",     "\"\\0\"",        "\"\\u12\"",
        "\"\\u12G4\"", "\"\\U0041\"",  "\"\\u-123\"", "\"\\u 123\"", "\"\\\"",         "\"\\",
        "\"\\u004\"",  "\"\\u00 41\"", "\"\\e\"",     "\"\\%\"",     "\"\\\xC3\xA9\"",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_strings, escaped_nul_is_accepted)
{
    const rn_jval *v = ok("\"\\u0000\"");
    cr_assert_eq(v->type, RN_JSTRING);
    cr_assert_eq(v->len, 1, "len counts the U+0000");
    cr_assert_eq(v->u.s[0], '\0');
    cr_assert_eq(v->u.s[1], '\0', "still NUL-terminated at len");
    cr_assert_eq(v->flags, RN_JSTR_ASCII);
    expect_string("\"a\\u0000b\"", "a\0b", 3);
    expect_string("\"\\u0000\\u0000\\u0000\"", "\0\0\0", 3);
    expect_string("\"\\u0000\\u00e9\"", "\0\xC3\xA9", 3);
    v = ok("[\"x\\u0000\",\"y\"]");
    expect_str(item(v, 0), "x\0", 2);
    expect_str(item(v, 1), "y", 1);
}

Test(jdoc_strings, raw_control_characters_refused)
{
    for (int c = 0; c < 0x20; c++) {
        char s[8] = {'"', 'a', (char)c, 'b', '"'};
        badn(s, 5);
        char t[8] = {'"', (char)c, '"'};
        badn(t, 3);
        char k[16] = {'{', '"', (char)c, '"', ':', '1', '}'};
        badn(k, 7);
    }
}

Test(jdoc_strings, raw_nul_anywhere_refused)
{
    badn("\"a\0b\"", 5);
    badn("1\0", 2); /* jansson takes this as 1 */
    badn("true\0", 5);
    badn("[1\0]", 4);
    badn("[1]\0", 4);
    badn("\0"
         "1",
         2);
    badn("{\"a\":1\0}", 8);
}

Test(jdoc_strings, raw_del_accepted)
{
    expect_string("\"\x7f\"", "\x7f", 1);
    expect_string("\"a\x7f"
                  "b\"",
                  "a\x7f"
                  "b",
                  3);
}

Test(jdoc_strings, multibyte_utf8_accepted)
{
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        {"\xC2\x80", 2},         {"\xC3\xA9", 2},         {"\xDF\xBF", 2},
        {"\xE0\xA0\x80", 3},     {"\xE2\x82\xAC", 3},     {"\xED\x9F\xBF", 3},
        {"\xEE\x80\x80", 3},     {"\xEF\xBF\xBF", 3},     {"\xEF\xBB\xBF", 3},
        {"\xF0\x90\x80\x80", 4}, {"\xF0\x9F\x98\x80", 4}, {"\xF3\xBF\xBF\xBF", 4},
        {"\xF4\x8F\xBF\xBF", 4},
    };
    char json[32], want[32];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = cases[i].n;
        json[0] = '"';
        memcpy(json + 1, cases[i].s, n);
        json[n + 1] = '"';
        const rn_jval *v = okn(json, n + 2);
        expect_str(v, cases[i].s, n);
        cr_assert_eq(v->flags, 0, "non-ASCII clears RN_JSTR_ASCII");
        /* between ASCII */
        int m = snprintf(json, sizeof json, "\"ab%scd\"", cases[i].s);
        snprintf(want, sizeof want, "ab%scd", cases[i].s);
        expect_str(okn(json, (size_t)m), want, n + 4);
    }
    expect_string("\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"",
                  "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14);
}

Test(jdoc_strings, invalid_utf8_refused)
{
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        {"\xC0\x80", 2},                 /* overlong NUL */
        {"\xC1\xBF", 2},                 /* overlong */
        {"\xE0\x80\x80", 3},             /* overlong */
        {"\xE0\x9F\xBF", 3},             /* overlong */
        {"\xF0\x80\x80\x80", 4},         /* overlong */
        {"\xF0\x8F\xBF\xBF", 4},         /* overlong */
        {"\xED\xA0\x80", 3},             /* U+D800 */
        {"\xED\xBF\xBF", 3},             /* U+DFFF */
        {"\xED\xA0\xBD\xED\xB8\x80", 6}, /* CESU-8 pair */
        {"\xF4\x90\x80\x80", 4},         /* U+110000 */
        {"\xF5\x80\x80\x80", 4},
        {"\xF7\xBF\xBF\xBF", 4},
        {"\xF8\x88\x80\x80\x80", 5},
        {"\xFC\x84\x80\x80\x80\x80", 6},
        {"\xFE", 1},
        {"\xFF", 1},
        {"\xC3", 1},             /* truncated before the quote */
        {"\xE2\x82", 2},         /* truncated */
        {"\xF0\x9F\x98", 3},     /* truncated */
        {"\xC3\x41", 2},         /* lead then ASCII */
        {"\xE2\x28\xA1", 3},     /* bad second byte */
        {"\xE2\x82\x28", 3},     /* bad third byte */
        {"\xF0\x9F\x28\x80", 4}, /* bad third byte */
        {"\xF0\x9F\x98\x28", 4}, /* bad fourth byte */
        {"\x80", 1},             /* stray continuation */
        {"\xBF", 1},             /* stray continuation */
        {"\xC3\xA9\xA9", 3},     /* one continuation too many */
        {"\xF0\x9F\x98\x80\x80", 5},
    };
    char json[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = cases[i].n;
        /* at the start, after 1, 6, 7 and 8 ASCII bytes, and inside a long string */
        static const size_t offsets[] = {0, 1, 6, 7, 8, 15, 16, 30};
        for (size_t k = 0; k < sizeof offsets / sizeof *offsets; k++) {
            size_t off = offsets[k];
            json[0] = '"';
            memset(json + 1, 'a', off);
            memcpy(json + 1 + off, cases[i].s, n);
            memcpy(json + 1 + off + n, "zzzzzzzzzz\"", 11);
            badn(json, 1 + off + n + 11);
        }
        /* in a member name; outside any string */
        json[0] = '{';
        json[1] = '"';
        memcpy(json + 2, cases[i].s, n);
        memcpy(json + 2 + n, "\":1}", 4);
        badn(json, n + 6);
        memcpy(json, cases[i].s, n);
        badn(json, n);
    }
}

Test(jdoc_strings, long_string_with_escapes_near_word_boundaries)
{
    enum { N = 10000 };
    static const size_t esc_at[] = {0,   1,   6,    7,    8,    9,    15,   16,   17,   23,
                                    24,  31,  32,   63,   64,   65,   127,  128,  255,  256,
                                    511, 512, 4095, 4096, 4097, 8191, 8192, 9991, 9998, 9999};
    static const char *const escs[] = {"\\n", "\\\"",    "\\\\", "\\u00e9", "\\ud83d\\ude00",
                                       "\\/", "\\u0000", "\\t"};
    static const char *const outs[] = {"\n", "\"", "\\", "\xC3\xA9", "\xF0\x9F\x98\x80",
                                       "/",  "",   "\t"};
    static const size_t outlens[] = {1, 1, 1, 2, 4, 1, 1, 1};
    char *json = malloc(N * 14 + 8), *want = malloc(N * 5 + 8);
    cr_assert(json && want);
    size_t jn = 0, wn = 0, e = 0;
    json[jn++] = '"';
    for (size_t i = 0; i < N; i++) {
        if (e < sizeof esc_at / sizeof *esc_at && esc_at[e] == i) {
            size_t which = e % (sizeof escs / sizeof *escs);
            size_t l = strlen(escs[which]);
            memcpy(json + jn, escs[which], l);
            jn += l;
            memcpy(want + wn, outs[which], outlens[which]);
            wn += outlens[which];
            e++;
        } else {
            char c = (char)('a' + i % 26);
            json[jn++] = c;
            want[wn++] = c;
        }
    }
    json[jn++] = '"';
    expect_str(okn(json, jn), want, wn);

    /* the same text without escapes, pure ASCII, then with one non-ASCII byte at the end */
    memset(json + 1, 'q', N);
    json[N + 1] = '"';
    memset(want, 'q', N);
    expect_str(okn(json, N + 2), want, N);
    json[N - 1] = '\xC3';
    json[N] = '\xA9';
    want[N - 2] = '\xC3';
    want[N - 1] = '\xA9';
    const rn_jval *v = okn(json, N + 2);
    expect_str(v, want, N);
    cr_assert_eq(v->flags, 0, "one non-ASCII character at the end clears the flag");
    /* a control character or a stray continuation byte late in the long string */
    memset(json + 1, 'q', N);
    json[9998] = '\x1f';
    badn(json, N + 2);
    json[9998] = 'q';
    json[N] = '\x80';
    badn(json, N + 2);
    json[N] = 'q';
    /* unterminated long string */
    badn(json, N + 1);
    free(json);
    free(want);
}

Test(jdoc_strings, lengths_0_to_40_with_a_special_at_every_offset)
{
    char json[128], want[64];
    for (size_t pad = 0; pad < 8; pad++) {
        for (size_t n = 0; n <= 40; n++) {
            /* plain: the closing quote at every offset from the start of the body */
            size_t j = 0;
            memset(json, ' ', pad);
            j = pad;
            json[j++] = '[';
            json[j++] = '"';
            for (size_t i = 0; i < n; i++)
                json[j++] = want[i] = (char)('a' + i % 26);
            memcpy(json + j, "\",\"z\"]", 6);
            j += 6;
            const rn_jval *v = okn(json, j);
            cr_assert_eq(v->len, 2);
            expect_str(item(v, 0), want, n);
            expect_str(item(v, 1), "z", 1);

            /* the string alone, ending exactly at the end of the input */
            j = pad;
            json[j++] = '"';
            for (size_t i = 0; i < n; i++)
                json[j++] = (char)('a' + i % 26);
            json[j++] = '"';
            expect_str(okn(json, j), want, n);

            /* a trailing backslash escaped: "abc\\" */
            j = pad;
            json[j++] = '"';
            for (size_t i = 0; i < n; i++)
                json[j++] = (char)('a' + i % 26);
            json[j++] = '\\';
            json[j++] = '\\';
            json[j++] = '"';
            want[n] = '\\';
            expect_str(okn(json, j), want, n + 1);

            for (size_t k = 0; k < n; k++) {
                static const struct {
                    const char *in;
                    const char *out;
                    size_t outlen;
                } specials[] = {
                    {"\\\"", "\"", 1},
                    {"\\\\", "\\", 1},
                    {"\\n", "\n", 1},
                    {"\\u0022", "\"", 1},
                    {"\xC3\xA9", "\xC3\xA9", 2},
                    {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", 4},
                    {"\\u0000", "\0", 1},
                    {"\\\\\\\"", "\\\"", 2},
                };
                for (size_t s = 0; s < sizeof specials / sizeof *specials; s++) {
                    size_t wn = 0, l = strlen(specials[s].in);
                    j = pad;
                    json[j++] = '"';
                    for (size_t i = 0; i < n; i++) {
                        if (i == k) {
                            memcpy(json + j, specials[s].in, l);
                            j += l;
                            memcpy(want + wn, specials[s].out, specials[s].outlen);
                            wn += specials[s].outlen;
                        } else {
                            json[j++] = want[wn++] = (char)('a' + i % 26);
                        }
                    }
                    memcpy(json + j, "\"", 1);
                    j += 1;
                    expect_str(okn(json, j), want, wn);
                }

                /* refused at every offset: a control character, a stray continuation,
                 * a lead byte without its continuation, an invalid escape */
                static const char *const errs[] = {"\x01", "\n", "\x80", "\xC3", "\\x", "\\u1x"};
                for (size_t s = 0; s < sizeof errs / sizeof *errs; s++) {
                    size_t l = strlen(errs[s]);
                    j = pad;
                    json[j++] = '"';
                    for (size_t i = 0; i < n; i++) {
                        if (i == k) {
                            memcpy(json + j, errs[s], l);
                            j += l;
                        } else {
                            json[j++] = (char)('a' + i % 26);
                        }
                    }
                    json[j++] = '"';
                    badn(json, j);
                }
            }
            if (n % 8 == 0) rn_arena_reset(&arena);
        }
    }
}

Test(jdoc_strings, ascii_flag)
{
    cr_assert_eq(ok("\"abc\"")->flags, RN_JSTR_ASCII);
    cr_assert_eq(ok("\"\\u007f\\n\\u0000\"")->flags, RN_JSTR_ASCII);
    cr_assert_eq(ok("\"abc\xC3\xA9\"")->flags, 0);
    cr_assert_eq(ok("\"\\u00e9\"")->flags, 0, "an escape that decodes to non-ASCII");
    cr_assert_eq(ok("\"\\ud83d\\ude00\"")->flags, 0);
    const rn_jval *v = ok("[\"a\",\"\xC3\xA9\",\"b\"]");
    cr_assert_eq(item(v, 0)->flags, RN_JSTR_ASCII);
    cr_assert_eq(item(v, 1)->flags, 0);
    cr_assert_eq(item(v, 2)->flags, RN_JSTR_ASCII, "the flag does not leak to the next string");
}

/* ------------------------------------------------------------------ member names */

Test(jdoc_keys, escapes_in_names_and_key_flags)
{
    const rn_jval *o = ok("{\"a\\nb\":1,\"\\u00e9\":2,\"\\ud83d\\ude00\":3,\"\\\"\":4,\"\":5,"
                          "\"\xC3\xA9t\xC3\xA9\":6}");
    cr_assert_eq(o->len, 6);
    const rn_jmember *m = o->u.members;
    cr_assert_eq(m[0].key_len, 3);
    cr_assert(!memcmp(m[0].key, "a\nb", 4));
    cr_assert_eq(m[0].key_flags, RN_JSTR_ASCII);
    cr_assert_eq(m[1].key_len, 2);
    cr_assert_str_eq(m[1].key, "\xC3\xA9");
    cr_assert_eq(m[1].key_flags, 0);
    cr_assert_eq(m[2].key_len, 4);
    cr_assert_str_eq(m[2].key, "\xF0\x9F\x98\x80");
    cr_assert_eq(m[2].key_flags, 0);
    cr_assert_eq(m[3].key_len, 1);
    cr_assert_str_eq(m[3].key, "\"");
    cr_assert_eq(m[3].key_flags, RN_JSTR_ASCII);
    cr_assert_eq(m[4].key_len, 0);
    cr_assert_str_eq(m[4].key, "");
    cr_assert_eq(m[4].key_flags, RN_JSTR_ASCII);
    cr_assert_eq(m[5].key_len, 5);
    cr_assert_eq(m[5].key_flags, 0);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(m[i].val.u.i, i + 1);
    cr_assert_eq(rn_jval_getz(o, "\xC3\xA9")->u.i, 2);
    cr_assert_eq(rn_jval_get(o, "a\nb", 3)->u.i, 1);
}

Test(jdoc_keys, name_with_escaped_nul)
{
    const rn_jval *o = ok("{\"a\\u0000b\":1,\"a\":2,\"\\u0000\":3}");
    cr_assert_eq(o->len, 3);
    cr_assert_eq(o->u.members[0].key_len, 3);
    cr_assert(!memcmp(o->u.members[0].key, "a\0b", 4));
    cr_assert_eq(o->u.members[2].key_len, 1);
    cr_assert_eq(o->u.members[2].key[0], '\0');
    cr_assert_eq(o->u.members[2].key[1], '\0');
    const rn_jval *v = rn_jval_get(o, "a\0b", 3);
    cr_assert_not_null(v);
    cr_assert_eq(v->u.i, 1);
    cr_assert_eq(rn_jval_getz(o, "a")->u.i, 2);
    cr_assert_eq(rn_jval_get(o, "\0", 1)->u.i, 3);
    cr_assert_null(rn_jval_get(o, "a\0c", 3));
    cr_assert_null(rn_jval_getz(o, ""));
}

Test(jdoc_keys, duplicates_refused)
{
    static const char *const cases[] = {
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"a\":1}",
        "{\"a\":1,\"\\u0061\":2}",
        "{\"\\u0061\":1,\"a\":2}",
        "{\"\xC3\xA9\":1,\"\\u00e9\":2}",
        "{\"\\u00E9\":1,\"\\u00e9\":2}",
        "{\"\\ud83d\\ude00\":1,\"\xF0\x9F\x98\x80\":2}",
        "{\"/\":1,\"\\/\":2}",
        "{\"\\n\":1,\"\\u000a\":2}",
        "{\"a\\u0000\":1,\"a\\u0000\":2}",
        "{\"\":1,\"\":2}",
        "{\"a\":1,\"b\":2,\"a\":3}",
        "{\"x\":{\"a\":1,\"a\":2}}",
        "[{\"a\":1},{\"b\":1,\"b\":2}]",
        "{\"abcdefghijklmnopqrstuvwxyz\":1,\"abcdefghijklmnopqrstuvwxyz\":2}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rn_jdoc_error e = bad(cases[i]);
        cr_assert(strstr(e.text, "duplicate") || strstr(e.text, "Duplicate"),
                  "%s: error text \"%s\" does not say duplicate", cases[i], e.text);
    }
}

Test(jdoc_keys, near_duplicates_accepted)
{
    static const char *const cases[] = {
        "{\"a\":1,\"A\":2}",
        "{\"a\":1,\"a \":2}",
        "{\"ab\":1,\"a\":2}",
        "{\"a\":1,\"ab\":2}",
        "{\"a\":1,\"a\\u0000\":2}", /* differs only after a NUL: not a strcmp match */
        "{\"a\\u0000b\":1,\"a\\u0000c\":2}",
        "{\"\":1,\"\\u0000\":2}",
        "{\"a\":{\"a\":{\"a\":1}}}",
        "[{\"a\":1},{\"a\":2}]",
        "{\"abcdefgh\":1,\"abcdefgi\":2,\"bbcdefgh\":3}",
        "{\"\xC3\xA9\":1,\"\xC3\x89\":2}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ok(cases[i]);
}

static char *many_members(int n, const char *extra, size_t *len)
{
    char *b = malloc((size_t)n * 40 + 256), *p = b;
    cr_assert_not_null(b);
    *p++ = '{';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s\"key%04d\":%d", i ? "," : "", i, i);
    if (extra) p += sprintf(p, ",%s", extra);
    *p++ = '}';
    *p = '\0';
    *len = (size_t)(p - b);
    return b;
}

Test(jdoc_keys, many_members)
{
    static const int counts[] = {100, 1000, 5000};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        int n = counts[c];
        size_t len;
        char *text = many_members(n, NULL, &len);
        const rn_jval *o = okn(text, len);
        cr_assert_eq(o->type, RN_JOBJECT);
        cr_assert_eq(o->len, (uint32_t)n);
        char key[16];
        for (int i = 0; i < n; i++) {
            snprintf(key, sizeof key, "key%04d", i);
            cr_assert_str_eq(o->u.members[i].key, key, "member order");
            cr_assert_eq(o->u.members[i].val.u.i, i);
            if (i % 7 == 0 || i == n - 1) {
                const rn_jval *v = rn_jval_getz(o, key);
                cr_assert_not_null(v, "%s", key);
                cr_assert_eq(v->u.i, i);
            }
        }
        cr_assert_null(rn_jval_getz(o, "key"));
        free(text);
    }
}

Test(jdoc_keys, duplicate_among_many_refused)
{
    static const char *const extras[] = {
        "\"key0500\":1",       "\"key0000\":1",       "\"key0999\":1",
        "\"key\\u0030500\":1", "\"k\\u0065y0001\":1",
    };
    for (size_t i = 0; i < sizeof extras / sizeof *extras; i++) {
        size_t len;
        char *text = many_members(1000, extras[i], &len);
        bad(text);
        free(text);
        rn_arena_reset(&arena);
    }
    /* and in the middle: the first member repeated as member 500 */
    size_t len;
    char *text = many_members(1000, NULL, &len);
    char *p = strstr(text, "\"key0500\"");
    cr_assert_not_null(p);
    memcpy(p, "\"key0000\"", 9);
    badn(text, len);
    free(text);
}

/* ------------------------------------------------------------------ structure errors */

Test(jdoc_errors, trailing_garbage)
{
    static const char *const cases[] = {
        "1 x", "[] ]", "{}}",   "nullx",  "true false", "1 2", "[1] [2]",     "\"a\" \"b\"",
        "1,",  "[1],", "{} {}", "\"a\"x", "[1]\n\n#",   "0 0", "{\"a\":1}\"",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_errors, trailing_and_missing_commas)
{
    static const char *const cases[] = {
        "[1,]",
        "[,]",
        "[,1]",
        "[1,,2]",
        "{\"a\":1,}",
        "{,}",
        "{,\"a\":1}",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "[\"a\" \"b\"]",
        "[[] []]",
        "[{}{}]",
        "{\"a\":1,,\"b\":2}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_errors, bad_members)
{
    static const char *const cases[] = {
        "{\"a\" 1}", "{\"a\"}",   "{\"a\":}", "{\"a\"::1}", "{\"a\",1}", "{1:1}", "{a:1}",
        "{null:1}",  "{\"a\"=1}", "{[]:1}",   "{{}:1}",     "{\"a\";1}", "{:1}",  "{\"a\":1:2}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_errors, unterminated)
{
    static const char *const cases[] = {
        "\"abc",
        "[1,2",
        "{\"a\":1",
        "[",
        "{",
        "{\"a\"",
        "{\"a\":",
        "\"abc\\",
        "[\"a\",",
        "\"\\u00",
        "tr",
        "[[[[]]]",
        "{\"a\":{\"b\":[1,2]}",
        "\"",
        "[\"]",
        "{\"a\":\"b}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_errors, empty_and_whitespace_only)
{
    rn_jdoc_error e = badn("", 0);
    cr_assert_eq(e.position, 0);
    cr_assert_eq(e.line, 1);
    e = bad(" ");
    cr_assert_eq(e.position, 1);
    e = bad(" \t\r\n");
    cr_assert_eq(e.position, 4);
    e = bad("\n\n");
    cr_assert_eq(e.position, 2);
    cr_assert_eq(e.line, 3);
}

Test(jdoc_errors, byte_order_mark_refused)
{
    rn_jdoc_error e = bad("\xEF\xBB\xBF{}");
    cr_assert_eq(e.position, 0);
    bad("\xEF\xBB\xBF"
        "1");
    bad("\xEF\xBB\xBF");
    bad("\xEF\xBB\xBF\"a\"");
    bad("{}\xEF\xBB\xBF");
}

Test(jdoc_errors, single_quotes_and_comments)
{
    static const char *const cases[] = {
        "'a'",    "{'a':1}",     "[\"a']", "['a\"]", "// c\n1",   "/* c */ 1",
        "1 // c", "[1 /* x */]", "# c\n1", "1 # c",  "[1,/**/2]", "{\"a\":1 /**/}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_errors, literal_typos)
{
    static const char *const cases[] = {
        "tru",          "nul",  "fals",      "falsey", "True",      "NULL",    "nulll",
        "truex",        "t",    "n",         "f",      "[tru]",     "[true1]", "[nul]",
        "{\"a\":fals}", "tRue", "undefined", "none",   "truefalse",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad(cases[i]);
}

Test(jdoc_errors, depth_limit_arrays)
{
    size_t n;
    char *t = nest("[", RN_JDOC_MAX_DEPTH, "", "]", RN_JDOC_MAX_DEPTH, &n);
    const rn_jval *v = okn(t, n);
    for (int i = 0; i < RN_JDOC_MAX_DEPTH; i++) {
        cr_assert_eq(v->type, RN_JARRAY, "level %d", i);
        if (i < RN_JDOC_MAX_DEPTH - 1) {
            cr_assert_eq(v->len, 1, "level %d", i);
            v = &v->u.items[0];
        } else {
            cr_assert_eq(v->len, 0);
        }
    }
    free(t);
    t = nest("[", RN_JDOC_MAX_DEPTH + 1, "", "]", RN_JDOC_MAX_DEPTH + 1, &n);
    badn(t, n);
    free(t);
}

Test(jdoc_errors, depth_limit_objects_and_mixed)
{
    size_t n;
    char *t = nest("{\"a\":", RN_JDOC_MAX_DEPTH - 1, "{}", "}", RN_JDOC_MAX_DEPTH - 1, &n);
    const rn_jval *v = okn(t, n);
    for (int i = 0; i < RN_JDOC_MAX_DEPTH - 1; i++)
        v = rn_jval_getz(v, "a");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, RN_JOBJECT);
    cr_assert_eq(v->len, 0);
    free(t);
    t = nest("{\"a\":", RN_JDOC_MAX_DEPTH, "{}", "}", RN_JDOC_MAX_DEPTH, &n);
    badn(t, n);
    free(t);
    t = nest("[{\"a\":", RN_JDOC_MAX_DEPTH / 2 - 1, "[{}]", "}]", RN_JDOC_MAX_DEPTH / 2 - 1, &n);
    okn(t, n);
    free(t);
    t = nest("[{\"a\":", RN_JDOC_MAX_DEPTH / 2, "[]", "}]", RN_JDOC_MAX_DEPTH / 2, &n);
    badn(t, n);
    free(t);
}

Test(jdoc_errors, scalar_at_the_maximum_depth)
{
    /* only arrays and objects count towards the limit: a scalar inside the innermost of
     * RN_JDOC_MAX_DEPTH containers is fine */
    size_t n;
    char *t = nest("[", RN_JDOC_MAX_DEPTH, "1", "]", RN_JDOC_MAX_DEPTH, &n);
    const rn_jval *v = okn(t, n);
    for (int i = 0; i < RN_JDOC_MAX_DEPTH; i++)
        v = item(v, 0);
    cr_assert_eq(v->type, RN_JINT);
    cr_assert_eq(v->u.i, 1);
    free(t);
    t = nest("{\"a\":", RN_JDOC_MAX_DEPTH - 1, "{\"b\":\"deep\"}", "}", RN_JDOC_MAX_DEPTH - 1, &n);
    okn(t, n);
    free(t);
}

Test(jdoc_errors, very_deep_input_refused_without_crashing)
{
    size_t n;
    char *t = nest("[", 200000, "", "]", 200000, &n);
    badn(t, n);
    badn(t, 200000); /* unclosed */
    free(t);
    t = nest("{\"a\":", 100000, "1", "}", 100000, &n);
    badn(t, n);
    free(t);
}

Test(jdoc_errors, width_is_not_depth)
{
    size_t n;
    char *inner = repeat("[],", 5000, &n);
    inner[n - 1] = '\0';
    char *t = malloc(n + 3);
    cr_assert_not_null(t);
    snprintf(t, n + 3, "[%s]", inner);
    const rn_jval *v = ok(t);
    cr_assert_eq(v->len, 5000);
    free(inner);
    free(t);
    /* depth goes back down after each sibling */
    char *deep = nest("[", RN_JDOC_MAX_DEPTH - 1, "", "]", RN_JDOC_MAX_DEPTH - 1, &n);
    t = malloc(3 * n + 8);
    cr_assert_not_null(t);
    int m = sprintf(t, "[%s,%s,%s]", deep, deep, deep);
    v = okn(t, (size_t)m);
    cr_assert_eq(v->len, 3);
    free(deep);
    free(t);
}

/* ------------------------------------------------------------------ error reports */

Test(jdoc_errors, error_text_always_set)
{
    static const char *const cases[] = {
        "", "x", "[1,", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "1e999", "01", "\"\x01\"", "\xC0\x80"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rn_jdoc_error e = bad(cases[i]);
        size_t l = strlen(e.text);
        cr_assert_gt(l, 0);
        cr_assert_lt(l, sizeof e.text);
    }
}

Test(jdoc_errors, error_on_line_3_reports_line_3)
{
    rn_jdoc_error e = bad("[1,\n2,\n  x]");
    cr_assert_eq(e.line, 3, "line %d", e.line);
    e = bad("{\n  \"a\": 1,\n  \"b\" 2\n}");
    cr_assert_eq(e.line, 3, "line %d", e.line);
    e = bad("[\n\n\"abc\x01\"]");
    cr_assert_eq(e.line, 3, "line %d", e.line);
}

/* line and column of a byte offset as jdoc.h defines them: lines split at '\n', both
 * 1-based, the column in bytes */
static void line_col(const char *s, size_t pos, int *line, int *col)
{
    *line = 1;
    size_t start = 0;
    for (size_t i = 0; i < pos; i++)
        if (s[i] == '\n') {
            (*line)++;
            start = i + 1;
        }
    *col = (int)(pos - start) + 1;
}

Test(jdoc_errors, error_positions_are_the_offending_byte)
{
    static const struct {
        const char *text;
        size_t pos;
    } cases[] = {
        {"[1,2,x]", 5},
        {"[1,]", 3},
        {"{\"a\" 1}", 5},
        {"1 x", 2},
        {"[1,2", 4}, /* unexpected end: len */
        {"", 0},
        {"   ", 3},
        {"\"abc", 4},
        {"x", 0},
        {"[1,\n2,\n  x]", 9},
        {"[1,\r\n2,\r\n x]", 10},
        {"\xEF\xBB\xBF{}", 0},
        {"[\"a\x01\"]", 3},
        {"\"\x80\"", 1},
        {"\"ab\xF5\x80\x80\x80\"", 3},
        {"1.", 2},
        {"1.x", 2},
        {"-", 1},
        {"[1 2]", 3},
        {"{\"a\":1 \"b\":2}", 7},
        {"[1]]", 3},
        {"\t\n  }", 4},
        {"{1:2}", 1},
        {"{\"a\":1,}", 7},
        {"[\n\n  \"abc\n\"]", 9},
        {"\n\n\n   \xC3\xA9 x", 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rn_jdoc_error e = bad(cases[i].text);
        int line, col;
        line_col(cases[i].text, cases[i].pos, &line, &col);
        cr_expect_eq(e.position, cases[i].pos, "%s: position %zu, expected %zu",
                     show(cases[i].text, strlen(cases[i].text)), e.position, cases[i].pos);
        cr_expect_eq(e.line, line, "%s: line %d, expected %d",
                     show(cases[i].text, strlen(cases[i].text)), e.line, line);
        cr_expect_eq(e.column, col, "%s: column %d, expected %d",
                     show(cases[i].text, strlen(cases[i].text)), e.column, col);
    }
}

Test(jdoc_errors, error_position_of_a_control_character_at_every_offset)
{
    char json[64];
    for (size_t n = 1; n <= 40; n++)
        for (size_t k = 0; k < n; k++) {
            json[0] = '"';
            memset(json + 1, 'a', n);
            json[1 + k] = '\x02';
            json[1 + n] = '"';
            rn_jdoc_error e = badn(json, n + 2);
            cr_assert_eq(e.position, 1 + k, "n %zu k %zu: position %zu", n, k, e.position);
            cr_assert_eq(e.column, (int)(2 + k));
        }
}

Test(jdoc_errors, duplicate_reported_at_the_second_name)
{
    const char *text = "{\"a\":1,\n \"\\u0061\":2}";
    rn_jdoc_error e = bad(text);
    /* the second name spans bytes 9..16 (quotes included) */
    cr_assert_geq(e.position, 9, "position %zu", e.position);
    cr_assert_leq(e.position, 17, "position %zu", e.position);
    cr_assert_eq(e.line, 2);
}

/* ------------------------------------------------------------------ accessors */

Test(jdoc_api, get_found_and_missing)
{
    const rn_jval *o = ok("{\"a\":1,\"bb\":2,\"\":3,\"ccc\":{\"a\":4}}");
    cr_assert_eq(rn_jval_get(o, "a", 1)->u.i, 1);
    cr_assert_eq(rn_jval_getz(o, "bb")->u.i, 2);
    cr_assert_eq(rn_jval_getz(o, "")->u.i, 3);
    cr_assert_eq(rn_jval_get(o, "bbx", 2)->u.i, 2, "klen bytes of key");
    cr_assert_eq(rn_jval_getz(rn_jval_getz(o, "ccc"), "a")->u.i, 4);
    cr_assert_null(rn_jval_getz(o, "b"), "a prefix is not a match");
    cr_assert_null(rn_jval_getz(o, "bbb"));
    cr_assert_null(rn_jval_getz(o, "A"));
    cr_assert_null(rn_jval_getz(o, "x"));
    cr_assert_eq(rn_jval_getz(o, "bb"), &o->u.members[1].val, "points at the member's value");
}

Test(jdoc_api, get_on_non_objects)
{
    const rn_jval *v = ok("[{\"a\":1},\"a\",null,1,1.5,true,[\"a\"]]");
    for (uint32_t i = 1; i < v->len; i++)
        cr_assert_null(rn_jval_getz(item(v, i), "a"), "item %u", i);
    cr_assert_null(rn_jval_getz(v, "a"));
    cr_assert_not_null(rn_jval_getz(item(v, 0), "a"));
    cr_assert_null(rn_jval_getz(ok("{}"), "a"));
    cr_assert_null(rn_jval_getz(ok("{}"), ""));
}

Test(jdoc_api, get_name_with_embedded_nul_from_jansson)
{
    json_t *j = json_object();
    json_object_setn_new_nocheck(j, "a\0b", 3, json_integer(1));
    json_object_setn_new_nocheck(j, "a", 1, json_integer(2));
    const rn_jval *o;
    cr_assert_eq(rn_jdoc_from_jansson(&arena, j, &o), RN_OK);
    cr_assert_eq(o->len, 2);
    cr_assert_eq(rn_jval_get(o, "a\0b", 3)->u.i, 1);
    cr_assert_eq(rn_jval_getz(o, "a")->u.i, 2);
    cr_assert_null(rn_jval_get(o, "a\0", 2));
    json_decref(j);
}

Test(jdoc_api, type_names)
{
    const rn_jval *v = ok("[null,true,1,1.5,\"s\",[],{},1e2]");
    static const char *const names[] = {"null",   "boolean", "integer", "number",
                                        "string", "array",   "object",  "number"};
    for (uint32_t i = 0; i < v->len; i++)
        cr_assert_str_eq(rn_jval_type_name(item(v, i)), names[i], "item %u", i);
    cr_assert_str_eq(rn_jval_type_name(ok("false")), "boolean");
}

Test(jdoc_api, from_jansson_and_back)
{
    static const char *const docs[] = {
        "{\"id\":\"e-1\",\"n\":42,\"x\":-0.5,\"ok\":true,\"no\":false,\"z\":null,"
        "\"arr\":[1,[2,[3,{}]],\"\\u00e9\\ud83d\\ude00\"],\"big\":-9223372036854775808,"
        "\"max\":9223372036854775807,\"r\":1e300,\"nul\":\"a\\u0000b\"}",
        "[]",
        "{}",
        "\"\"",
        "0",
        "-0.0",
        "[[[[[[[[[[\"deep\"]]]]]]]]]]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_error_t je;
        json_t *j = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        cr_assert_not_null(j, "test bug: %s", je.text);
        const rn_jval *v;
        cr_assert_eq(rn_jdoc_from_jansson(&arena, j, &v), RN_OK);
        check_tree(v, 0);
        json_t *back = rn_jval_to_jansson(v);
        cr_assert_not_null(back);
        cr_assert(json_equal(j, back), "round trip of %s", docs[i]);
        /* the parser builds the same document */
        const rn_jval *p = ok(docs[i]);
        json_t *pj = rn_jval_to_jansson(p);
        cr_assert(json_equal(j, pj), "parse of %s", docs[i]);
        json_decref(pj);
        json_decref(back);
        json_decref(j);
    }
}

Test(jdoc_api, from_jansson_types_and_copies)
{
    json_t *j = json_pack("{s:i, s:f, s:s, s:[b,n], s:s%}", "i", 7, "r", 2.0, "s", "caf\xC3\xA9",
                          "a", 1, "n", "a\0b", (size_t)3);
    cr_assert_not_null(j);
    const rn_jval *o;
    cr_assert_eq(rn_jdoc_from_jansson(&arena, j, &o), RN_OK);
    cr_assert_eq(o->type, RN_JOBJECT);
    cr_assert_eq(o->len, 5);
    const char *order[] = {"i", "r", "s", "a", "n"};
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(o->u.members[i].key, order[i], "jansson's order is kept");
    cr_assert_eq(rn_jval_getz(o, "i")->type, RN_JINT);
    cr_assert_eq(rn_jval_getz(o, "i")->u.i, 7);
    cr_assert_eq(rn_jval_getz(o, "r")->type, RN_JREAL, "a jansson real stays a real");
    cr_assert_eq(rn_jval_getz(o, "r")->u.d, 2.0);
    const rn_jval *s = rn_jval_getz(o, "s");
    expect_str(s, "caf\xC3\xA9", 5);
    cr_assert_eq(s->flags, 0);
    expect_str(rn_jval_getz(o, "n"), "a\0b", 3);
    /* strings are copied: changing jansson's afterwards changes nothing */
    json_string_set(json_object_get(j, "s"), "XXXXX");
    expect_str(s, "caf\xC3\xA9", 5);
    json_decref(j);
    expect_str(s, "caf\xC3\xA9", 5);
}

Test(jdoc_api, to_jansson_types)
{
    const rn_jval *v = ok("[null,true,false,3,3.0,\"\\u0000x\",[1],{\"k\":[]}]");
    json_t *j = rn_jval_to_jansson(v);
    cr_assert(json_is_array(j));
    cr_assert(json_is_null(json_array_get(j, 0)));
    cr_assert(json_is_true(json_array_get(j, 1)));
    cr_assert(json_is_false(json_array_get(j, 2)));
    cr_assert(json_is_integer(json_array_get(j, 3)));
    cr_assert_eq(json_integer_value(json_array_get(j, 3)), 3);
    cr_assert(json_is_real(json_array_get(j, 4)));
    cr_assert_eq(json_real_value(json_array_get(j, 4)), 3.0);
    cr_assert_eq(json_string_length(json_array_get(j, 5)), 2);
    cr_assert(!memcmp(json_string_value(json_array_get(j, 5)), "\0x", 2));
    cr_assert(json_is_array(json_object_get(json_array_get(j, 7), "k")));
    json_decref(j);
}

Test(jdoc_api, from_jansson_depth_limit)
{
    json_t *cur = json_array();
    for (int i = 1; i < RN_JDOC_MAX_DEPTH; i++) {
        json_t *w = json_array();
        json_array_append_new(w, cur);
        cur = w;
    }
    const rn_jval *v;
    cr_assert_eq(rn_jdoc_from_jansson(&arena, cur, &v), RN_OK, "RN_JDOC_MAX_DEPTH levels");
    cr_assert_not_null(v);
    json_t *w = json_object();
    json_object_set_new(w, "a", cur);
    static const rn_jval sentinel;
    v = &sentinel;
    cr_assert_eq(rn_jdoc_from_jansson(&arena, w, &v), RN_EINVAL, "one level more");
    cr_assert_null(v);
    json_decref(w);
}

/* ------------------------------------------------------------------ printing */

static const char *dump_all(const rn_jval *v)
{
    static char buf[4096];
    size_t n = rn_jval_dump(v, buf, sizeof buf);
    cr_assert_lt(n, sizeof buf);
    cr_assert_eq(strlen(buf), n);
    return buf;
}

Test(jdoc_dump, compact)
{
    cr_assert_str_eq(
        dump_all(ok(" { \"a\" : [ 1 , 2.5 , \"x\" , true , false , null ] ,\n \"b\" : { } , "
                    "\"c\" : [ ] , \"d\" : { \"e\" : -3 } } ")),
        "{\"a\":[1,2.5,\"x\",true,false,null],\"b\":{},\"c\":[],\"d\":{\"e\":-3}}");
    cr_assert_str_eq(dump_all(ok("null")), "null");
    cr_assert_str_eq(dump_all(ok("[ ]")), "[]");
    cr_assert_str_eq(dump_all(ok("-9223372036854775808")), "-9223372036854775808");
    cr_assert_str_eq(dump_all(ok("9223372036854775807")), "9223372036854775807");
    cr_assert_str_eq(dump_all(ok("-0")), "0");
}

Test(jdoc_dump, string_escapes)
{
    /* the control characters without a short escape print as \u00XX */
    rn_jval s = {.type = RN_JSTRING,
                 .len = 5,
                 .u.s = "a\x01"
                        "b\x10"
                        "c"};
    cr_assert_str_eq(dump_all(&s), "\"a\\u0001b\\u0010c\"");
    rn_jval z = {.type = RN_JSTRING, .len = 3, .u.s = "a\0b"};
    cr_assert_str_eq(dump_all(&z), "\"a\\u0000b\"");
    rn_jval q = {.type = RN_JSTRING, .len = 4, .u.s = "\"\\/\x7f"};
    cr_assert_str_eq(dump_all(&q), "\"\\\"\\\\/\x7f\"",
                     "quote and backslash escaped, / and "
                     "DEL kept");
    rn_jval u = {.type = RN_JSTRING, .len = 10, .u.s = "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80!"};
    cr_assert_str_eq(dump_all(&u), "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80!\"",
                     "non-ASCII kept as UTF-8");
    /* every control character: escaped (short form or \u00XX, either case), never raw */
    for (int c = 0; c < 0x20; c++) {
        char in[1] = {(char)c};
        rn_jval one = {.type = RN_JSTRING, .len = 1, .u.s = in};
        const char *d = dump_all(&one);
        char want[16];
        snprintf(want, sizeof want, "\"\\u%04x\"", c);
        const char *shorts = "\b\f\n\r\t";
        const char *sh = c ? strchr(shorts, c) : NULL;
        bool is_short = false;
        if (sh) {
            char w2[8] = {'"', '\\', "bfnrt"[sh - shorts], '"', 0};
            is_short = !strcmp(d, w2);
        }
        cr_assert(is_short || !strcasecmp(d, want), "0x%02x printed as %s", c, show(d, strlen(d)));
        /* and it reads back */
        const rn_jval *back = ok(d);
        expect_str(back, in, 1);
    }
}

Test(jdoc_dump, names_escaped)
{
    const rn_jval *o = ok("{\"a\\\"b\":\"\\u00e9\",\"\\u0001\":1,\"\\\\\":2}");
    cr_assert_str_eq(dump_all(o), "{\"a\\\"b\":\"\xC3\xA9\",\"\\u0001\":1,\"\\\\\":2}");
}

static void expect_real_dump(double d, const char *want, const char *alt)
{
    rn_jval v = {.type = RN_JREAL, .u.d = d};
    const char *got = dump_all(&v);
    cr_assert(!strcmp(got, want) || (alt && !strcmp(got, alt)), "%.17g printed as %s, expected %s",
              d, got, want);
}

Test(jdoc_dump, reals_shortest_round_trip)
{
    expect_real_dump(0.1, "0.1", NULL);
    expect_real_dump(99.99, "99.99", NULL);
    expect_real_dump(1.0, "1.0", NULL);
    expect_real_dump(1.5, "1.5", NULL);
    expect_real_dump(-2.25, "-2.25", NULL);
    expect_real_dump(100.0, "100.0", NULL);
    expect_real_dump(-0.0, "-0.0", NULL);
    expect_real_dump(0.0, "0.0", NULL);
    expect_real_dump(123456.789, "123456.789", NULL);
    expect_real_dump(0.30000000000000004, "0.30000000000000004", NULL);
    expect_real_dump(1.0 / 3, "0.3333333333333333", NULL);
    expect_real_dump(2.0 / 3, "0.6666666666666666", NULL);
    expect_real_dump(1e300, "1e+300", "1e300");
    expect_real_dump(1e21, "1e+21", "1e21");
    expect_real_dump(-1.5e-300, "-1.5e-300", NULL);
    expect_real_dump(9223372036854775808.0, "9.223372036854776e+18", "9.223372036854776e18");
}

Test(jdoc_dump, reals_read_back_as_the_same_real)
{
    const double ds[] = {0.1,
                         1e23,
                         5e-324,
                         2.2250738585072014e-308,
                         1.7976931348623157e308,
                         -1e-7,
                         1e15,
                         1e16,
                         123456789012345678.0,
                         4.35e-1,
                         0.1 + 0.2,
                         1e100,
                         3.0,
                         -0.0,
                         9007199254740993.0};
    for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
        rn_jval v = {.type = RN_JREAL, .u.d = ds[i]};
        char buf[64];
        size_t n = rn_jval_dump(&v, buf, sizeof buf);
        cr_assert_lt(n, sizeof buf);
        int digits = 0;
        for (const char *p = buf; *p && *p != 'e' && *p != 'E'; p++)
            digits += *p >= '0' && *p <= '9';
        cr_assert_leq(digits, 18, "%s: too many digits", buf); /* 17 + a ".0" */
        const rn_jval *back = okn(buf, n);
        cr_assert_eq(back->type, RN_JREAL, "%s reads back as a real", buf);
        cr_assert_eq(bits(back->u.d), bits(ds[i]), "%s reads back as %.17g", buf, back->u.d);
    }
}

Test(jdoc_dump, truncation)
{
    const rn_jval *v = ok("{\"abc\":[1,2,3]}");
    const char *full = "{\"abc\":[1,2,3]}";
    size_t flen = strlen(full);
    char buf[32];
    memset(buf, 'Z', sizeof buf);
    cr_assert_eq(rn_jval_dump(v, buf, 5), flen);
    cr_assert_eq(buf[4], '\0', "cut and NUL-terminated");
    cr_assert(!memcmp(buf, full, 4));
    for (size_t i = 5; i < sizeof buf; i++)
        cr_assert_eq(buf[i], 'Z', "nothing written past cap (byte %zu)", i);
    memset(buf, 'Z', sizeof buf);
    cr_assert_eq(rn_jval_dump(v, buf, 1), flen);
    cr_assert_eq(buf[0], '\0');
    cr_assert_eq(buf[1], 'Z');
    memset(buf, 'Z', sizeof buf);
    cr_assert_eq(rn_jval_dump(v, buf, 0), flen);
    cr_assert_eq(buf[0], 'Z', "cap 0 writes nothing");
    cr_assert_eq(rn_jval_dump(v, NULL, 0), flen, "as snprintf(NULL, 0)");
    memset(buf, 'Z', sizeof buf);
    cr_assert_eq(rn_jval_dump(v, buf, flen), flen);
    cr_assert_eq(buf[flen - 1], '\0', "one byte short");
    cr_assert(!memcmp(buf, full, flen - 1));
    memset(buf, 'Z', sizeof buf);
    cr_assert_eq(rn_jval_dump(v, buf, flen + 1), flen);
    cr_assert_str_eq(buf, full);
    cr_assert_eq(buf[flen + 1], 'Z');
    /* cut inside an escape */
    rn_jval s = {.type = RN_JSTRING, .len = 2, .u.s = "\x01\x02"};
    memset(buf, 'Z', sizeof buf);
    cr_assert_eq(rn_jval_dump(&s, buf, 4), 14);
    cr_assert_str_eq(buf, "\"\\u");
}

Test(jdoc_dump, parse_dump_parse_is_stable)
{
    static const char *const docs[] = {
        "{\"a\":[1,2.5,-0.0,1e300,\"\\u0000\\n\\u001f\xC3\xA9\"],\"b\":{\"c\":null}}",
        "[0.1,0.2,0.30000000000000004,99.99,1e23,5e-324,1234567890123456789.0]",
        "\"\\ud83d\\ude00\\\"\\\\\"",
        "[true,false,null,-9223372036854775808,{}]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        char a[1024], b[1024];
        size_t na = rn_jval_dump(ok(docs[i]), a, sizeof a);
        size_t nb = rn_jval_dump(okn(a, na), b, sizeof b);
        cr_assert_eq(na, nb);
        cr_assert(!memcmp(a, b, na), "%s\n vs %s", a, b);
    }
}

/* ------------------------------------------------------------------ memory */

Test(jdoc_memory, many_documents_with_reset)
{
    char text[256];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(text, sizeof text,
                         "{\"id\":%d,\"name\":\"event-%d\",\"tags\":[\"a\",\"b\",%d.5],"
                         "\"nested\":{\"k\":\"\\u00e9%d\"}}",
                         i, i, i, i);
        const rn_jval *v = okn(text, (size_t)n);
        cr_assert_eq(rn_jval_getz(v, "id")->u.i, i);
        char want[32];
        int wn = snprintf(want, sizeof want, "event-%d", i);
        expect_str(rn_jval_getz(v, "name"), want, (size_t)wn);
        cr_assert_eq(item(rn_jval_getz(v, "tags"), 2)->u.d, i + 0.5);
        cr_assert_gt(arena.used_total, 0);
        rn_arena_reset(&arena);
        cr_assert_eq(arena.used_total, 0);
    }
    /* the same document takes the same room each time: nothing accumulates */
    const char *doc = "{\"a\":[1,2,\"three\"],\"b\":{\"c\":null}}";
    ok(doc);
    size_t first = arena.used_total;
    for (int i = 0; i < 100; i++) {
        rn_arena_reset(&arena);
        ok(doc);
        cr_assert_eq(arena.used_total, first);
    }
}

Test(jdoc_memory, documents_accumulate_without_reset)
{
    enum { N = 300 };
    const rn_jval *docs[N];
    char text[128];
    for (int i = 0; i < N; i++) {
        int n = snprintf(text, sizeof text, "[%d,\"s%d\",{\"k%d\":%d}]", i, i, i, -i);
        docs[i] = okn(text, (size_t)n);
    }
    for (int i = 0; i < N; i++) {
        cr_assert_eq(item(docs[i], 0)->u.i, i, "doc %d still intact", i);
        char s[16], k[16];
        int sn = snprintf(s, sizeof s, "s%d", i);
        snprintf(k, sizeof k, "k%d", i);
        expect_str(item(docs[i], 1), s, (size_t)sn);
        cr_assert_eq(rn_jval_getz(item(docs[i], 2), k)->u.i, -i);
    }
}

Test(jdoc_memory, failures_leave_the_arena_usable)
{
    for (int i = 0; i < 100; i++) {
        bad("{\"a\":[1,2,{\"b\":\"xyz\",\"b\":1}]}");
        bad("[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"\\ud800\"]");
        const rn_jval *v = ok("{\"ok\":[1,2,3]}");
        cr_assert_eq(rn_jval_getz(v, "ok")->len, 3);
        if (i % 10 == 9) rn_arena_reset(&arena);
    }
}

Test(jdoc_memory, large_document)
{
    enum { N = 100000 };
    char *t = malloc((size_t)N * 24 + 16), *p = t;
    cr_assert_not_null(t);
    *p++ = '[';
    for (int i = 0; i < N; i++)
        p += sprintf(p, "%s%d,\"v%d\"", i ? "," : "", i * 3, i);
    *p++ = ']';
    const rn_jval *v = okn(t, (size_t)(p - t));
    cr_assert_eq(v->len, 2 * N);
    for (int i = 0; i < N; i += 997) {
        cr_assert_eq(item(v, 2 * (uint32_t)i)->u.i, i * 3);
        char s[16];
        int sn = snprintf(s, sizeof s, "v%d", i);
        expect_str(item(v, 2 * (uint32_t)i + 1), s, (size_t)sn);
    }
    free(t);
    /* one string of a megabyte */
    size_t n = 1 << 20;
    t = malloc(n + 2);
    cr_assert_not_null(t);
    t[0] = '"';
    for (size_t i = 0; i < n; i++)
        t[1 + i] = (char)('a' + i % 23);
    t[n + 1] = '"';
    v = okn(t, n + 2);
    cr_assert_eq(v->len, n);
    cr_assert(!memcmp(v->u.s, t + 1, n));
    free(t);
}
