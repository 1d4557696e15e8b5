/*
 * tests/fuzz/fuzz_jdoc.c - differential fuzzing of rn_jdoc_parse (common/jdoc.h) against
 * jansson's json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL): both
 * must give the same verdict and, when both accept, the same document (types, values to
 * the bit, member order, string bytes; also through rn_jval_to_jansson and json_equal).
 *
 * Where the contract of jdoc.h knowingly differs from jansson 2.14, the reference is
 * adjusted, each case on its own:
 *  1. Integers beyond int64_t: jansson refuses them (json_error_numeric_overflow), jdoc
 *     gives the nearest double. The input is parsed again with JSON_DECODE_INT_AS_REAL;
 *     then a jdoc RN_JINT must equal jansson's real, an RN_JREAL be that real to the bit.
 *     (jansson's real overflow, 1e309, is the same error code: that second parse fails
 *     again, and jdoc must refuse too.)
 *  2. "\u0000" in a member name: jansson refuses it (json_error_null_byte_in_key), jdoc
 *     accepts. The input is parsed again with every \u0000 escape inside a string turned
 *     into \u0001; a U+0000 of jdoc then matches a U+0001 of jansson. If that rewrite made
 *     two names equal (json_error_duplicate_key), the verdict is unknown.
 *  3. Depth: jansson counts every value towards its limit of 2048 (a scalar inside 2048
 *     arrays is too deep for it), jdoc counts arrays and objects only. On
 *     json_error_stack_overflow the verdict is unknown, unless the nesting counted here
 *     exceeds RN_JDOC_MAX_DEPTH: then jdoc must refuse.
 *  4. jansson ignores a raw NUL byte right after a number or literal ("1\0" and "[1\0]"
 *     parse). A raw byte below 0x20 other than tab, LF and CR is not JSON anywhere, so
 *     jdoc must refuse every such input whatever jansson says.
 * Independently of jansson, every document jdoc accepts must meet the invariants of
 * jdoc.h (scalar len and flags 0; strings and names NUL-terminated at len, strict UTF-8,
 * RN_JSTR_ASCII exactly when all bytes are ASCII; names unique; depth), be found again
 * through rn_jval_get, survive rn_jval_to_jansson + rn_jdoc_from_jansson unchanged, and
 * print (rn_jval_dump) to a text that parses to the same document and prints the same.
 * Every refusal must leave *out NULL and report a text, a position within the input, and
 * the line and column of that position.
 */
#include "../common/jdoc_oracle.h"
#include "common/jdoc.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JFLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* comparison modes, from the adjustments above */
#define M_INT_AS_REAL 1 /* (1) */
#define M_NUL_MAPPED  2 /* (2) */

static const uint8_t *cur_data;
static size_t cur_size;

__attribute__((noreturn)) static void die(const char *what, int line)
{
    fprintf(stderr, "fuzz_jdoc.c:%d: %s; input (%zu bytes): ", line, what, cur_size);
    for (size_t i = 0; i < cur_size && i < 400; i++) {
        uint8_t c = cur_data[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputs(cur_size > 400 ? "...\n" : "\n", stderr);
    abort();
}

#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (!(cond)) die(what, __LINE__);                                                          \
    } while (0)

/* jansson's iteration macros take non-const values; nothing is modified */
static json_t *unconst(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u = {j};
    return u.m;
}

/* ------------------------------------------------------------------ invariants */

static int member_cmp(const void *x, const void *y)
{
    const rn_jmember *a = *(const rn_jmember *const *)x, *b = *(const rn_jmember *const *)y;
    if (a->key_len != b->key_len) return a->key_len < b->key_len ? -1 : 1;
    return memcmp(a->key, b->key, a->key_len);
}

static void check_names_unique(const rn_jval *v)
{
    uint32_t n = v->len;
    if (n < 2) return;
    const rn_jmember **s = malloc(n * sizeof *s);
    CHECK(s, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        s[i] = &v->u.members[i];
    qsort(s, n, sizeof *s, member_cmp);
    for (uint32_t i = 1; i < n; i++)
        CHECK(member_cmp(&s[i - 1], &s[i]) != 0, "duplicate member names accepted");
    free(s);
}

static void check_tree(const rn_jval *v, int depth)
{
    CHECK(v->type <= RN_JOBJECT, "bad type");
    switch (v->type) {
    case RN_JNULL:
    case RN_JBOOL:
    case RN_JINT:
    case RN_JREAL:
        CHECK(v->len == 0 && v->flags == 0, "a scalar with len or flags");
        CHECK(v->type != RN_JBOOL || v->u.b == 0 || v->u.b == 1, "a boolean not 0 or 1");
        CHECK(v->type != RN_JREAL || isfinite(v->u.d), "a real not finite");
        return;
    case RN_JSTRING:
        CHECK(v->u.s && v->u.s[v->len] == '\0', "a string not NUL-terminated at len");
        CHECK(v->flags == (all_ascii(v->u.s, v->len) ? RN_JSTR_ASCII : 0), "RN_JSTR_ASCII wrong");
        CHECK(utf8_ok(v->u.s, v->len), "a string is not UTF-8");
        return;
    case RN_JARRAY:
        CHECK(v->flags == 0, "an array with flags");
        CHECK(depth < RN_JDOC_MAX_DEPTH, "nesting deeper than RN_JDOC_MAX_DEPTH accepted");
        CHECK(v->len == 0 || v->u.items, "array items NULL");
        for (uint32_t i = 0; i < v->len; i++)
            check_tree(&v->u.items[i], depth + 1);
        return;
    default:
        CHECK(v->flags == 0, "an object with flags");
        CHECK(depth < RN_JDOC_MAX_DEPTH, "nesting deeper than RN_JDOC_MAX_DEPTH accepted");
        CHECK(v->len == 0 || v->u.members, "object members NULL");
        for (uint32_t i = 0; i < v->len; i++) {
            const rn_jmember *m = &v->u.members[i];
            CHECK(m->key && m->key[m->key_len] == '\0', "a name not NUL-terminated at key_len");
            CHECK(m->key_flags == (all_ascii(m->key, m->key_len) ? RN_JSTR_ASCII : 0u),
                  "RN_JSTR_ASCII of a name wrong");
            CHECK(utf8_ok(m->key, m->key_len), "a name is not UTF-8");
            if (i < 32 || i == v->len - 1)
                CHECK(rn_jval_get(v, m->key, m->key_len) == &m->val,
                      "rn_jval_get does not find a member");
            check_tree(&m->val, depth + 1);
        }
        check_names_unique(v);
        return;
    }
}

/* Two jdoc documents equal: types, values to the bit, bytes, order. */
static bool jv_same(const rn_jval *a, const rn_jval *b)
{
    if (a->type != b->type || a->len != b->len) return false;
    switch (a->type) {
    case RN_JNULL:
        return true;
    case RN_JBOOL:
        return a->u.b == b->u.b;
    case RN_JINT:
        return a->u.i == b->u.i;
    case RN_JREAL:
        return !memcmp(&a->u.d, &b->u.d, sizeof a->u.d);
    case RN_JSTRING:
        return a->flags == b->flags && !memcmp(a->u.s, b->u.s, a->len);
    case RN_JARRAY:
        for (uint32_t i = 0; i < a->len; i++)
            if (!jv_same(&a->u.items[i], &b->u.items[i])) return false;
        return true;
    default:
        for (uint32_t i = 0; i < a->len; i++) {
            const rn_jmember *x = &a->u.members[i], *y = &b->u.members[i];
            if (x->key_len != y->key_len || x->key_flags != y->key_flags ||
                memcmp(x->key, y->key, x->key_len) || !jv_same(&x->val, &y->val))
                return false;
        }
        return true;
    }
}

/* ------------------------------------------------------------------ the reference */

static bool bytes_same(const char *a, size_t an, const char *b, size_t bn, int mode)
{
    if (an != bn) return false;
    if (!(mode & M_NUL_MAPPED)) return !memcmp(a, b, an);
    for (size_t i = 0; i < an; i++)
        if (a[i] != b[i] && !(a[i] == 0 && b[i] == 1)) return false;
    return true;
}

/* A jdoc value equals a jansson value (in document order: jansson keeps insertion
 * order). */
static bool same(const rn_jval *v, const json_t *j, int mode)
{
    switch (v->type) {
    case RN_JNULL:
        return json_is_null(j);
    case RN_JBOOL:
        return v->u.b ? json_is_true(j) : json_is_false(j);
    case RN_JINT:
        if (json_is_integer(j)) return json_integer_value(j) == v->u.i;
        return (mode & M_INT_AS_REAL) && json_is_real(j) && (double)v->u.i == json_real_value(j);
    case RN_JREAL: {
        if (!json_is_real(j)) return false;
        double d = json_real_value(j);
        return !memcmp(&d, &v->u.d, sizeof d);
    }
    case RN_JSTRING:
        return json_is_string(j) &&
               bytes_same(v->u.s, v->len, json_string_value(j), json_string_length(j), mode);
    case RN_JARRAY:
        if (!json_is_array(j) || json_array_size(j) != v->len) return false;
        for (uint32_t i = 0; i < v->len; i++)
            if (!same(&v->u.items[i], json_array_get(j, i), mode)) return false;
        return true;
    default: {
        if (!json_is_object(j) || json_object_size(j) != v->len) return false;
        uint32_t i = 0;
        const char *key;
        size_t klen;
        json_t *val;
        json_object_keylen_foreach(unconst(j), key, klen, val)
        {
            if (i >= v->len) return false;
            const rn_jmember *m = &v->u.members[i++];
            if (!bytes_same(m->key, m->key_len, key, klen, mode) || !same(&m->val, val, mode))
                return false;
        }
        return i == v->len;
    }
    }
}

/* (4): a raw byte that JSON allows nowhere */
static bool has_raw_control(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r') return true;
    return false;
}

/* (3): the deepest nesting of brackets outside strings. Exact for JSON texts; for other
 * inputs any number, but those must be refused anyway. */
static int container_depth(const uint8_t *d, size_t n)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max) max = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return max;
}

/* (2): a copy with every \u0000 escape inside a string made \u0001. It turns JSON into
 * JSON (and non-JSON into non-JSON), except that two names may become equal. */
static char *map_nul_escapes(const uint8_t *d, size_t n)
{
    char *o = malloc(n ? n : 1);
    CHECK(o, "out of memory");
    memcpy(o, d, n);
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        if (!in_str) {
            in_str = o[i] == '"';
        } else if (o[i] == '"') {
            in_str = false;
        } else if (o[i] == '\\') {
            if (i + 5 < n && !memcmp(o + i + 1, "u0000", 5)) o[i + 5] = '1';
            i++;
        }
    }
    return o;
}

enum { REF_UNKNOWN, REF_ACCEPT, REF_REJECT };

typedef struct ref {
    int verdict;
    int mode;    /* M_* */
    json_t *doc; /* REF_ACCEPT: jansson's document */
} ref;

static ref reference(const uint8_t *data, size_t size)
{
    ref r = {REF_UNKNOWN, 0, NULL};
    if (has_raw_control(data, size) || container_depth(data, size) > RN_JDOC_MAX_DEPTH) {
        r.verdict = REF_REJECT; /* (4), (3) */
        return r;
    }
    char *mapped = NULL;
    const char *text = (const char *)data;
    size_t flags = JFLAGS;
    for (;;) {
        json_error_t je;
        json_t *j = json_loadb(text, size, flags, &je);
        if (j) {
            r.verdict = REF_ACCEPT;
            r.doc = j;
            break;
        }
        enum json_error_code code = json_error_code(&je);
        if (code == json_error_numeric_overflow && !(flags & JSON_DECODE_INT_AS_REAL)) {
            flags |= JSON_DECODE_INT_AS_REAL; /* (1) */
            r.mode |= M_INT_AS_REAL;
            continue;
        }
        if (code == json_error_null_byte_in_key && !mapped) {
            text = mapped = map_nul_escapes(data, size); /* (2) */
            r.mode |= M_NUL_MAPPED;
            continue;
        }
        if ((code == json_error_duplicate_key && mapped) || code == json_error_stack_overflow ||
            code == json_error_out_of_memory)
            break; /* (2), (3): unknown */
        r.verdict = REF_REJECT;
        break;
    }
    free(mapped);
    return r;
}

/* ------------------------------------------------------------------ the target */

static void check_error(const rn_jdoc_error *e, const uint8_t *data, size_t size)
{
    CHECK(memchr(e->text, '\0', sizeof e->text), "error text not NUL-terminated");
    CHECK(e->text[0] != '\0', "empty error text");
    CHECK(e->position <= size, "error position beyond the input");
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < e->position; i++)
        if (data[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    CHECK(e->line == line, "error line is not the line of the position");
    CHECK(e->column == (int)(e->position - line_start) + 1,
          "error column is not the column of the position");
}

/* Printing, reparsing, printing again; jansson and back. */
static void round_trips(rn_arena *a, const rn_jval *mine)
{
    size_t n = rn_jval_dump(mine, NULL, 0);
    char *t1 = malloc(n + 1), *t2 = malloc(n + 1);
    CHECK(t1 && t2, "out of memory");
    CHECK(rn_jval_dump(mine, t1, n + 1) == n, "rn_jval_dump length differs with a buffer");
    CHECK(t1[n] == '\0' && strlen(t1) == n, "printed text not NUL-terminated or holds a NUL");
    size_t cut = n / 2 + 1;
    memset(t2, 'Z', n + 1);
    CHECK(rn_jval_dump(mine, t2, cut) == n, "cut rn_jval_dump does not return the full length");
    CHECK(t2[cut - 1] == '\0' && !memcmp(t1, t2, cut - 1), "cut text not a NUL-ended prefix");
    CHECK(cut > n || t2[cut] == 'Z', "rn_jval_dump wrote past cap");

    const rn_jval *again = NULL;
    rn_jdoc_error e;
    CHECK(rn_jdoc_parse(a, t1, n, &again, &e) == RN_OK, "printed text does not parse");
    CHECK(jv_same(mine, again), "printed text parses to another document");
    CHECK(rn_jval_dump(again, t2, n + 1) == n && !memcmp(t1, t2, n + 1),
          "printed twice, texts differ");
    free(t1);
    free(t2);

    json_t *j = rn_jval_to_jansson(mine);
    CHECK(j, "rn_jval_to_jansson failed");
    const rn_jval *back = NULL;
    CHECK(rn_jdoc_from_jansson(a, j, &back) == RN_OK, "rn_jdoc_from_jansson failed");
    CHECK(jv_same(mine, back), "to jansson and back: another document");
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cur_data = data;
    cur_size = size;
    rn_arena arena = {0};
    static const rn_jval sentinel;
    const rn_jval *mine = &sentinel;
    rn_jdoc_error e;
    memset(&e, 0x5A, sizeof e);
    int rc = rn_jdoc_parse(&arena, data, size, &mine, &e);
    if (rc == RN_ENOMEM) {
        rn_arena_fini(&arena);
        return 0;
    }
    CHECK(rc == RN_OK || rc == RN_EINVAL, "rn_jdoc_parse returned neither RN_OK nor RN_EINVAL");
    if (rc == RN_OK) {
        CHECK(mine && mine != &sentinel, "accepted without a document");
        check_tree(mine, 0);
    } else {
        CHECK(mine == NULL, "refused but *out is not NULL");
        check_error(&e, data, size);
        const rn_jval *m2 = &sentinel;
        CHECK(rn_jdoc_parse(&arena, data, size, &m2, NULL) == RN_EINVAL && !m2,
              "another verdict with e NULL");
    }

    ref r = reference(data, size);
    if (r.verdict == REF_ACCEPT) {
        CHECK(rc == RN_OK, "jansson accepts, jdoc refuses");
        CHECK(same(mine, r.doc, r.mode), "jdoc's document differs from jansson's");
        if (r.mode == 0) {
            json_t *mj = rn_jval_to_jansson(mine);
            CHECK(mj && json_equal(mj, r.doc), "rn_jval_to_jansson not json_equal to jansson's");
            json_decref(mj);
        }
        json_decref(r.doc);
    } else if (r.verdict == REF_REJECT) {
        CHECK(rc != RN_OK, "jdoc accepts what jansson (or the contract) refuses");
    }

    if (rc == RN_OK) round_trips(&arena, mine);
    rn_arena_fini(&arena);
    return 0;
}
