/*
 * registry/compat.c - compatibility of JSON schemas: does every instance one schema (the
 * writer's) accepts also pass another (the reader's)?
 *
 * Layer: pure functions over jansson values; uses registry/jsonschema.h to validate enum
 *   values exactly and PCRE2 to match property names against patternProperties.
 * Approach: a structural, conservative inclusion check, as Confluent's JSON Schema
 *   checker does it in spirit: check(R, W) walks both schemas side by side and proves
 *   W ⊆ R keyword by keyword (types, enum/const, numeric bounds, string and array limits,
 *   properties/required/additionalProperties/patternProperties, items and tuples,
 *   composition). Whatever it cannot prove is reported as incompatible with a message
 *   naming the JSON pointer and the rule, so it errs on the side of refusing a schema.
 *   One deliberate exception, stated in docs/schema-registry.md: a property the reader
 *   adds to an object whose writer schema leaves additional properties open is accepted
 *   (writers are assumed not to emit undeclared properties with conflicting values);
 *   otherwise no schema could ever gain an optional field.
 *   No library does this: JSON Schema inclusion is undecidable in general, and the rules
 *   here are the ones our users rely on, each documented and unit-tested.
 * Recursion: local "$ref"s ("#/..." JSON pointers, "$defs" and "definitions") are
 *   followed; a pair (reader node, writer node) already on the stack is assumed
 *   compatible (recursive schemas compare coinductively); depth and total work are
 *   bounded, and exceeding either is an (explained) incompatibility.
 * Threads: no shared state; safe from any thread.
 */
#include "registry/registry.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH    64     /* nested (reader, writer) pairs */
#define MAX_MESSAGES 50     /* per rn_compat_check call */
#define WORK_BUDGET  200000 /* check() calls per rn_compat_check */
#define PATH_MAX_LEN 512

/* Instance types as bits; "number" is INT|FRAC. */
enum {
    T_NULL = 1 << 0,
    T_BOOL = 1 << 1,
    T_INT = 1 << 2,
    T_FRAC = 1 << 3,
    T_STR = 1 << 4,
    T_ARR = 1 << 5,
    T_OBJ = 1 << 6,
    T_ALL = (1 << 7) - 1,
};
#define T_NUM (T_INT | T_FRAC)

typedef struct cctx {
    const json_t *root[2]; /* the two documents, for "$ref" */
    bool d2020[2];         /* document uses 2019-09/2020-12 array keywords */
    json_t *msgs;          /* where messages go (may be NULL) */
    int silent;            /* > 0 while trying alternatives: no messages */
    long budget;           /* remaining check() calls */
    int depth;
    const json_t *stk[MAX_DEPTH][2]; /* (reader, writer) pairs being compared */
    json_t *string_schema;           /* {"type": "string"}: property names of an open writer */
    json_t *empty;                   /* {}: a `true` writer */
    rn_jsonschema_errors verrs;      /* scratch for the enum shortcut */
} cctx;

static int check(cctx *c, int rs, const json_t *r, const json_t *w, const char *path);

/* ------------------------------------------------------------------ messages, paths */

/* Cuts a trailing incomplete UTF-8 sequence left by truncation. */
static void utf8_trim(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && (((unsigned char)s[i - 1]) & 0xC0) == 0x80)
        i--;
    if (i == 0) return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < need) s[i - 1] = '\0';
}

__attribute__((format(printf, 4, 5))) static int fail(cctx *c, const char *path, const char *rule,
                                                      const char *fmt, ...)
{
    if (c->silent || !c->msgs || json_array_size(c->msgs) >= MAX_MESSAGES) return 0;
    char detail[600], line[PATH_MAX_LEN + 700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s: %s: %s", path, rule, detail);
    utf8_trim(line);
    json_array_append_new(c->msgs, json_string(line));
    return 0;
}

/* path + "/" + seg (JSON pointer escaping of seg), truncated to PATH_MAX_LEN. */
static void subpath(char *out, const char *path, const char *seg)
{
    size_t n = (size_t)snprintf(out, PATH_MAX_LEN, "%s/", path);
    for (const char *p = seg; *p && n + 3 < PATH_MAX_LEN; p++) {
        if (*p == '~' || *p == '/') {
            out[n++] = '~';
            out[n++] = *p == '~' ? '0' : '1';
        } else {
            out[n++] = *p;
        }
    }
    if (n >= PATH_MAX_LEN) n = PATH_MAX_LEN - 1;
    out[n] = '\0';
    utf8_trim(out);
}

static void subpath2(char *out, const char *path, const char *kw, const char *seg)
{
    char tmp[PATH_MAX_LEN];
    subpath(tmp, path, kw);
    subpath(out, tmp, seg);
}

static void subpathi(char *out, const char *path, const char *kw, size_t i)
{
    char idx[24];
    snprintf(idx, sizeof idx, "%zu", i);
    subpath2(out, path, kw, idx);
}

/* A short printable rendering of a JSON value for messages. */
static void show(const json_t *v, char *buf, size_t len)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    snprintf(buf, len, "%s", s ? s : "?");
    if (s && strlen(s) >= len && len > 4) memcpy(buf + len - 4, "...", 4);
    free(s);
}

static void type_names(unsigned m, char *buf, size_t len)
{
    static const struct {
        unsigned bits;
        const char *name;
    } names[] = {{T_NULL, "null"},
                 {T_BOOL, "boolean"},
                 {T_NUM, "number"},
                 {T_INT, "integer"},
                 {T_FRAC, "non-integer number"},
                 {T_STR, "string"},
                 {T_ARR, "array"},
                 {T_OBJ, "object"}};
    size_t n = 0;
    buf[0] = '\0';
    if (m == T_ALL) {
        snprintf(buf, len, "any type");
        return;
    }
    if (!m) {
        snprintf(buf, len, "nothing");
        return;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((m & names[i].bits) != names[i].bits) continue;
        m &= ~names[i].bits;
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "", names[i].name);
        if (n >= len) return;
    }
}

/* ------------------------------------------------------------------ JSON helpers */

static const char *const ANNOTATIONS[] = {"$schema",
                                          "$id",
                                          "$anchor",
                                          "$dynamicAnchor",
                                          "$recursiveAnchor",
                                          "$comment",
                                          "$defs",
                                          "definitions",
                                          "$vocabulary",
                                          "title",
                                          "description",
                                          "default",
                                          "examples",
                                          "deprecated",
                                          "readOnly",
                                          "writeOnly",
                                          "contentEncoding",
                                          "contentMediaType",
                                          "contentSchema",
                                          NULL};

static const char *const HANDLED[] = {"type",
                                      "enum",
                                      "const",
                                      "minimum",
                                      "maximum",
                                      "exclusiveMinimum",
                                      "exclusiveMaximum",
                                      "multipleOf",
                                      "minLength",
                                      "maxLength",
                                      "pattern",
                                      "format",
                                      "items",
                                      "prefixItems",
                                      "additionalItems",
                                      "minItems",
                                      "maxItems",
                                      "uniqueItems",
                                      "contains",
                                      "minContains",
                                      "maxContains",
                                      "properties",
                                      "patternProperties",
                                      "additionalProperties",
                                      "required",
                                      "minProperties",
                                      "maxProperties",
                                      "propertyNames",
                                      "dependencies",
                                      "dependentRequired",
                                      "dependentSchemas",
                                      "allOf",
                                      "anyOf",
                                      "oneOf",
                                      "not",
                                      "if",
                                      "then",
                                      "else",
                                      "$ref",
                                      "unevaluatedProperties",
                                      "unevaluatedItems",
                                      NULL};

static bool in_list(const char *const *list, const char *k)
{
    for (; *list; list++)
        if (!strcmp(*list, k)) return true;
    return false;
}

/* true for `true` and for objects of annotations only: they accept everything. */
static bool is_trivial(const json_t *s)
{
    if (json_is_true(s)) return true;
    if (!json_is_object(s)) return false;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)s, k, v)
    {
        (void)v;
        if (!in_list(ANNOTATIONS, k)) return false;
    }
    return true;
}

/* An object schema with "$ref" and assertions beside it (2020-12 applies both). */
static bool ref_has_siblings(const json_t *s)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)s, k, v)
    {
        (void)v;
        if (strcmp(k, "$ref") && !in_list(ANNOTATIONS, k)) return true;
    }
    return false;
}

static bool contains_ref(const json_t *v, int depth)
{
    if (depth > 64) return true;
    if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)(uintptr_t)v, k, x)
        {
            if (!strcmp(k, "$ref") || !strcmp(k, "$dynamicRef") || !strcmp(k, "$recursiveRef"))
                return true;
            if (contains_ref(x, depth + 1)) return true;
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) if (contains_ref(x, depth + 1)) return true;
    }
    return false;
}

static unsigned value_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return T_NULL;
    case JSON_TRUE:
    case JSON_FALSE:
        return T_BOOL;
    case JSON_INTEGER:
        return T_INT;
    case JSON_REAL: {
        double d = json_real_value(v);
        return (isfinite(d) && d == floor(d)) ? T_INT : T_FRAC;
    }
    case JSON_STRING:
        return T_STR;
    case JSON_ARRAY:
        return T_ARR;
    case JSON_OBJECT:
        return T_OBJ;
    }
    return T_ALL;
}

/* JSON Schema equality: 1 and 1.0 are equal; arrays and objects compare deeply. */
static bool value_eq(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b)) return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!value_eq(json_array_get(a, i), json_array_get(b, i))) return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b)) return false;
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)(uintptr_t)a, k, x)
        {
            const json_t *y = json_object_get(b, k);
            if (!y || !value_eq(x, y)) return false;
        }
        return true;
    }
    return json_equal(a, b);
}

static unsigned type_name_mask(const char *s)
{
    if (!strcmp(s, "null")) return T_NULL;
    if (!strcmp(s, "boolean")) return T_BOOL;
    if (!strcmp(s, "integer")) return T_INT;
    if (!strcmp(s, "number")) return T_NUM;
    if (!strcmp(s, "string")) return T_STR;
    if (!strcmp(s, "array")) return T_ARR;
    if (!strcmp(s, "object")) return T_OBJ;
    return T_ALL; /* unknown names do not compile; be permissive about the mask */
}

/* The types a schema's own "type" keyword allows (T_ALL without one). */
static unsigned self_type_mask(const json_t *s)
{
    const json_t *t = json_object_get(s, "type");
    if (json_is_string(t)) return type_name_mask(json_string_value(t));
    if (json_is_array(t)) {
        unsigned m = 0;
        size_t i;
        const json_t *x;
        json_array_foreach(t, i, x) if (json_is_string(x)) m |=
            type_name_mask(json_string_value(x));
        return m;
    }
    return T_ALL;
}

/* The values an "enum"/"const" allows, or NULL if unconstrained. The result is a new
 * malloc'd array of borrowed pointers (free() it), possibly with *n == 0. */
static const json_t **values_of(const json_t *s, size_t *n)
{
    *n = 0;
    if (!json_is_object(s)) return NULL;
    const json_t *e = json_object_get(s, "enum");
    const json_t *k = json_object_get(s, "const");
    if (!json_is_array(e) && !k) return NULL;
    size_t cap = json_is_array(e) ? json_array_size(e) : 1;
    const json_t **out = malloc((cap ? cap : 1) * sizeof *out);
    if (!out) return NULL; /* treated as unconstrained: conservative for both sides' callers */
    if (json_is_array(e)) {
        size_t i;
        const json_t *x;
        json_array_foreach(e, i, x) if (!k || value_eq(x, k)) out[(*n)++] = x;
    } else {
        out[(*n)++] = k;
    }
    return out;
}

static bool values_contain(const json_t *const *vals, size_t n, const json_t *v)
{
    for (size_t i = 0; i < n; i++)
        if (value_eq(vals[i], v)) return true;
    return false;
}

static bool get_num(const json_t *s, const char *k, double *out)
{
    const json_t *v = json_object_get(s, k);
    if (!json_is_number(v)) return false;
    *out = json_number_value(v);
    return true;
}

static bool str_in_array(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i,
                       x) if (json_is_string(x) && !strcmp(json_string_value(x), s)) return true;
    return false;
}

/* Does the ECMA-262-ish regex `pattern` match `name` anywhere? Unparseable patterns are
 * taken to match (the conservative answer for the callers). */
static bool pattern_matches(const char *pattern, const char *name)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
    if (!re) return true;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = md ? pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL) : 0;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc >= 0 || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT;
}

/* ------------------------------------------------------------------ "$ref" */

/* Follows a JSON pointer (RFC 6901, with %XX as in URI fragments) from root. */
static const json_t *json_pointer(const json_t *root, const char *frag)
{
    if (!*frag) return root;
    if (*frag != '/') return NULL; /* "#anchor": not followed */
    const json_t *cur = root;
    const char *p = frag + 1;
    for (;;) {
        char tok[512];
        size_t n = 0;
        while (*p && *p != '/') {
            char ch = *p;
            if (ch == '~') {
                if (p[1] != '0' && p[1] != '1') return NULL;
                ch = p[1] == '0' ? '~' : '/';
                p += 2;
            } else if (ch == '%' && p[1] && p[2]) {
                char hex[3] = {p[1], p[2], 0};
                char *end;
                long v = strtol(hex, &end, 16);
                if (*end || v <= 0) return NULL;
                ch = (char)v;
                p += 3;
            } else {
                p++;
            }
            if (n + 1 >= sizeof tok) return NULL;
            tok[n++] = ch;
        }
        tok[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, tok, n);
        } else if (json_is_array(cur)) {
            char *end;
            if (!n || (n > 1 && tok[0] == '0')) return NULL;
            unsigned long idx = strtoul(tok, &end, 10);
            if (*end) return NULL;
            cur = json_array_get(cur, idx);
        } else {
            return NULL;
        }
        if (!cur) return NULL;
        if (!*p) return cur;
        p++;
    }
}

/* The target of a "$ref" in document `side`: "#..." or "<root $id>#...". */
static const json_t *resolve_ref(const cctx *c, int side, const char *ref)
{
    const char *hash = strchr(ref, '#');
    if (hash != ref) {
        const char *id = json_string_value(json_object_get(c->root[side], "$id"));
        size_t base = hash ? (size_t)(hash - ref) : strlen(ref);
        if (!id) return NULL;
        size_t il = strlen(id);
        if (il && id[il - 1] == '#') il--;
        if (il != base || strncmp(id, ref, il)) return NULL;
        if (!hash) return c->root[side];
    }
    return json_pointer(c->root[side], hash + 1);
}

/* Replaces a schema that is only a "$ref" (or any "$ref" in draft-07, where siblings are
 * ignored) by its target, repeatedly. NULL (reported unless quiet) if it cannot. */
static const json_t *deref(cctx *c, int side, const json_t *s, const char *path, bool quiet)
{
    for (int i = 0; i < 32; i++) {
        if (!json_is_object(s)) return s;
        const json_t *ref = json_object_get(s, "$ref");
        if (!ref) return s;
        if (c->d2020[side] && ref_has_siblings(s))
            return s; /* the target is one more conjunct: see conjuncts() */
        const json_t *t = json_is_string(ref) ? resolve_ref(c, side, json_string_value(ref)) : NULL;
        if (!t) {
            if (!quiet)
                fail(c, path, "REF_NOT_UNDERSTOOD",
                     "cannot follow \"$ref\": %s (only local JSON pointers such as "
                     "\"#/$defs/x\" are followed)",
                     json_is_string(ref) ? json_string_value(ref) : "(not a string)");
            return NULL;
        }
        s = t;
    }
    if (!quiet) fail(c, path, "REF_NOT_UNDERSTOOD", "\"$ref\" chain too long or cyclic");
    return NULL;
}

/* ------------------------------------------------------------------ type analysis */

/* An over-approximation of the instance types schema s (in document side) accepts,
 * looking through "$ref", "allOf", "anyOf", "oneOf", "enum" and "const". */
static unsigned types_of(cctx *c, int side, const json_t *s, int depth)
{
    if (depth > 8) return T_ALL;
    s = deref(c, side, s, "", true);
    if (!s) return T_ALL;
    if (json_is_false(s)) return 0;
    if (!json_is_object(s)) return T_ALL;
    unsigned m = self_type_mask(s);
    size_t nv;
    const json_t **vals = values_of(s, &nv);
    if (vals) {
        unsigned vm = 0;
        for (size_t i = 0; i < nv; i++)
            vm |= value_type(vals[i]);
        m &= vm;
        free(vals);
    }
    const json_t *all = json_object_get(s, "allOf");
    size_t i;
    const json_t *x;
    if (json_is_array(all)) json_array_foreach(all, i, x) m &= types_of(c, side, x, depth + 1);
    const json_t *ref = json_object_get(s, "$ref");
    if (json_is_string(ref)) {
        const json_t *t = resolve_ref(c, side, json_string_value(ref));
        if (t) m &= types_of(c, side, t, depth + 1);
    }
    static const char *const disj[] = {"anyOf", "oneOf"};
    for (int d = 0; d < 2; d++) {
        const json_t *arr = json_object_get(s, disj[d]);
        if (!json_is_array(arr)) continue;
        unsigned u = 0;
        json_array_foreach(arr, i, x) u |= types_of(c, side, x, depth + 1);
        m &= u;
    }
    return m;
}

/* Can no instance pass both a and b (same document)? Decided by types, enum/const, or a
 * required discriminator property whose allowed values do not overlap. */
static bool disjoint(cctx *c, int side, const json_t *a, const json_t *b, int depth)
{
    if (depth > 4) return false;
    a = deref(c, side, a, "", true);
    b = deref(c, side, b, "", true);
    if (!a || !b) return false;
    if (!(types_of(c, side, a, 0) & types_of(c, side, b, 0))) return true;
    if (!json_is_object(a) || !json_is_object(b)) return false;
    size_t na, nb;
    const json_t **va = values_of(a, &na), **vb = values_of(b, &nb);
    bool dis = false;
    if (va && vb) {
        dis = true;
        for (size_t i = 0; i < na; i++)
            if (values_contain(vb, nb, va[i])) dis = false;
    }
    free(va);
    free(vb);
    if (dis) return true;
    const json_t *pa = json_object_get(a, "properties"), *pb = json_object_get(b, "properties");
    const json_t *ra = json_object_get(a, "required"), *rb = json_object_get(b, "required");
    if (!json_is_object(pa) || !json_is_object(pb)) return false;
    const char *k;
    const json_t *sa;
    json_object_foreach((json_t *)(uintptr_t)pa, k, sa)
    {
        const json_t *sb = json_object_get(pb, k);
        if (!sb) continue;
        bool req = (json_is_array(ra) && str_in_array(ra, k)) ||
                   (json_is_array(rb) && str_in_array(rb, k));
        if (req && disjoint(c, side, sa, sb, depth + 1)) return true;
    }
    return false;
}

/* ------------------------------------------------------------------ helpers of check */

static int try_check(cctx *c, int rs, const json_t *r, const json_t *w)
{
    c->silent++;
    int ok = check(c, rs, r, w, "#");
    c->silent--;
    return ok;
}

/* Same instances both ways (as far as provable). */
static int equivalent(cctx *c, int rs, const json_t *r, const json_t *w)
{
    return try_check(c, rs, r, w) && try_check(c, !rs, w, r);
}

/* The conjuncts of s: "allOf" members, plus the "$ref" target of a 2020-12 "$ref" with
 * siblings. Fills out (up to max), returns the count; *bad if a "$ref" does not resolve. */
static size_t conjuncts(cctx *c, int side, const json_t *s, const json_t **out, size_t max,
                        bool *bad)
{
    size_t n = 0;
    const json_t *all = json_object_get(s, "allOf");
    size_t i;
    const json_t *x;
    if (json_is_array(all)) json_array_foreach(all, i, x) if (n < max) out[n++] = x;
    const json_t *ref = json_object_get(s, "$ref");
    if (ref) {
        const json_t *t = json_is_string(ref) ? resolve_ref(c, side, json_string_value(ref)) : NULL;
        if (!t)
            *bad = true;
        else if (n < max)
            out[n++] = t;
    }
    if (json_is_array(all) && json_array_size(all) > max) *bad = true;
    return n;
}

static const json_t *disjunction(const json_t *s, const char **kw)
{
    const json_t *a = json_object_get(s, "anyOf");
    if (json_is_array(a)) {
        *kw = "anyOf";
        return a;
    }
    a = json_object_get(s, "oneOf");
    if (json_is_array(a)) {
        *kw = "oneOf";
        return a;
    }
    return NULL;
}

/* ------------------------------------------------------------------ numbers */

typedef struct bound {
    bool set;
    double v;
    bool excl;
} bound;

static bound bound_of(const json_t *s, bool lower)
{
    bound b = {false, 0, false};
    double v;
    const json_t *ex = json_object_get(s, lower ? "exclusiveMinimum" : "exclusiveMaximum");
    if (get_num(s, lower ? "minimum" : "maximum", &v)) {
        b.set = true;
        b.v = v;
        if (json_is_true(ex)) /* draft-04 boolean form */
            b.excl = true;
    }
    if (json_is_number(ex)) {
        v = json_number_value(ex);
        if (!b.set || (lower ? v >= b.v : v <= b.v)) {
            b.set = true;
            b.v = v;
            b.excl = true;
        }
    }
    return b;
}

/* Is the writer's bound at least as tight as the reader's? int_only: the writer admits
 * integers only, so its bound can be rounded inwards. */
static bool bound_ok(bound r, bound w, bool lower, bool int_only)
{
    if (!r.set) return true;
    if (!w.set) return false;
    double wv = w.v;
    bool wex = w.excl;
    if (int_only) { /* the smallest (largest) integer the writer allows, inclusive */
        if (lower)
            wv = wex ? floor(wv) + 1 : ceil(wv);
        else
            wv = wex ? ceil(wv) - 1 : floor(wv);
        wex = false;
    }
    if (lower ? wv > r.v : wv < r.v) return true;
    if (wv != r.v) return false;
    return !r.excl || wex;
}

static void bound_text(bound b, bool lower, char *buf, size_t len)
{
    if (!b.set)
        snprintf(buf, len, "none");
    else
        snprintf(buf, len, "%s %.17g", lower ? (b.excl ? ">" : ">=") : (b.excl ? "<" : "<="), b.v);
}

static int check_numbers(cctx *c, const json_t *r, const json_t *w, unsigned wmask,
                         const char *path)
{
    int ok = 1;
    bool int_only = (wmask & T_NUM) == T_INT;
    for (int lower = 1; lower >= 0; lower--) {
        bound rb = bound_of(r, lower), wb = bound_of(w, lower);
        if (!bound_ok(rb, wb, lower, int_only)) {
            char rt[64], wt[64], p[PATH_MAX_LEN];
            bound_text(rb, lower, rt, sizeof rt);
            bound_text(wb, lower, wt, sizeof wt);
            subpath(p, path,
                    lower ? (json_object_get(r, "minimum") ? "minimum" : "exclusiveMinimum")
                          : (json_object_get(r, "maximum") ? "maximum" : "exclusiveMaximum"));
            ok = fail(c, p, lower ? "MINIMUM_INCREASED" : "MAXIMUM_DECREASED",
                      "reader requires numbers %s, writer allows %s%s", rt,
                      wb.set ? "numbers " : "", wb.set ? wt : "any number");
        }
    }
    double rm, wm;
    if (get_num(r, "multipleOf", &rm) && rm > 0) {
        bool good = false;
        if (get_num(w, "multipleOf", &wm) && wm > 0) {
            double q = wm / rm;
            good = q >= 1 - 1e-9 && fabs(q - round(q)) <= 1e-9 * fmax(1.0, fabs(q));
        } else if (int_only) {
            double q = 1 / rm;
            good = fabs(q - round(q)) <= 1e-9 * fmax(1.0, fabs(q));
        }
        if (!good) {
            char p[PATH_MAX_LEN];
            subpath(p, path, "multipleOf");
            ok = fail(
                c, p, "MULTIPLE_OF_CHANGED",
                "reader requires multiples of %.17g; the writer's numbers (%s) are not "
                "all multiples of it",
                rm, get_num(w, "multipleOf", &wm) ? "multipleOf set differently" : "no multipleOf");
        }
    }
    return ok;
}

/* ------------------------------------------------------------------ strings */

static int check_strings(cctx *c, const json_t *r, const json_t *w, const char *path)
{
    int ok = 1;
    char p[PATH_MAX_LEN];
    double rv, wv;
    if (get_num(r, "minLength", &rv) && rv > 0) {
        if (!get_num(w, "minLength", &wv)) wv = 0;
        if (rv > wv) {
            subpath(p, path, "minLength");
            ok = fail(c, p, "MIN_LENGTH_INCREASED",
                      "reader requires at least %.17g characters, writer allows %.17g", rv, wv);
        }
    }
    if (get_num(r, "maxLength", &rv)) {
        bool wset = get_num(w, "maxLength", &wv);
        if (!wset || wv > rv) {
            subpath(p, path, "maxLength");
            if (wset)
                ok = fail(c, p, "MAX_LENGTH_DECREASED",
                          "reader allows at most %.17g characters, writer up to %.17g", rv, wv);
            else
                ok = fail(c, p, "MAX_LENGTH_DECREASED",
                          "reader allows at most %.17g characters, writer has no maxLength", rv);
        }
    }
    const json_t *rp = json_object_get(r, "pattern"), *wp = json_object_get(w, "pattern");
    if (json_is_string(rp) && !(json_is_string(wp) && json_equal(rp, wp))) {
        subpath(p, path, "pattern");
        if (json_is_string(wp))
            ok = fail(c, p, "PATTERN_CHANGED", "reader requires pattern %s, writer had %s",
                      json_string_value(rp), json_string_value(wp));
        else
            ok = fail(c, p, "PATTERN_ADDED", "reader requires pattern %s, writer had no pattern",
                      json_string_value(rp));
    }
    const json_t *rf = json_object_get(r, "format"), *wf = json_object_get(w, "format");
    if (json_is_string(rf) && !(json_is_string(wf) && json_equal(rf, wf))) {
        subpath(p, path, "format");
        if (json_is_string(wf))
            ok = fail(c, p, "FORMAT_CHANGED", "reader requires format \"%s\", writer had \"%s\"",
                      json_string_value(rf), json_string_value(wf));
        else
            ok = fail(c, p, "FORMAT_ADDED", "reader requires format \"%s\", writer had none",
                      json_string_value(rf));
    }
    return ok;
}

/* ------------------------------------------------------------------ arrays */

typedef struct arr_shape {
    const json_t *prefix; /* tuple schemas (array), or NULL */
    const json_t *rest;   /* schema for the other items, NULL = anything */
    const char *prefix_kw, *rest_kw;
} arr_shape;

static void array_shape(const cctx *c, int side, const json_t *s, arr_shape *a)
{
    const json_t *items = json_object_get(s, "items");
    memset(a, 0, sizeof *a);
    if (json_is_array(items)) { /* draft-07 tuple */
        a->prefix = items;
        a->prefix_kw = "items";
        a->rest = json_object_get(s, "additionalItems");
        a->rest_kw = "additionalItems";
    } else if (c->d2020[side] && json_is_array(json_object_get(s, "prefixItems"))) {
        a->prefix = json_object_get(s, "prefixItems");
        a->prefix_kw = "prefixItems";
        a->rest = items;
        a->rest_kw = "items";
    } else {
        a->rest = items;
        a->rest_kw = "items";
    }
    if (!a->rest) {
        /* "unevaluatedItems" acts as the rest when nothing else can evaluate items */
        const json_t *u = json_object_get(s, "unevaluatedItems");
        if (u && !json_object_get(s, "contains") && !json_object_get(s, "allOf") &&
            !json_object_get(s, "anyOf") && !json_object_get(s, "oneOf") &&
            !json_object_get(s, "if") && !json_object_get(s, "$ref")) {
            a->rest = u;
            a->rest_kw = "unevaluatedItems";
        }
    }
}

static const json_t *array_pos(const arr_shape *a, size_t i)
{
    if (a->prefix && i < json_array_size(a->prefix)) return json_array_get(a->prefix, i);
    return a->rest ? a->rest : json_true();
}

static int check_arrays(cctx *c, int rs, const json_t *r, const json_t *w, const char *path)
{
    int ok = 1;
    char p[PATH_MAX_LEN];
    arr_shape ra, wa;
    array_shape(c, rs, r, &ra);
    array_shape(c, !rs, w, &wa);
    size_t rn = ra.prefix ? json_array_size(ra.prefix) : 0;
    size_t wn = wa.prefix ? json_array_size(wa.prefix) : 0;
    size_t n = rn > wn ? rn : wn;
    for (size_t i = 0; i < n && i < 1000; i++) {
        const json_t *rp = array_pos(&ra, i), *wp = array_pos(&wa, i);
        if (i < rn)
            subpathi(p, path, ra.prefix_kw, i);
        else
            subpath(p, path, ra.rest_kw);
        ok &= check(c, rs, rp, wp, p);
    }
    if (ra.rest && !is_trivial(ra.rest)) {
        subpath(p, path, ra.rest_kw);
        if (!check(c, rs, ra.rest, wa.rest ? wa.rest : json_true(), p)) {
            ok = 0;
            if (!wa.rest || is_trivial(wa.rest))
                fail(c, p, "ITEMS_NARROWED",
                     "reader constrains array items the writer left unconstrained");
        }
    }
    double rv, wv;
    if (get_num(r, "minItems", &rv) && rv > 0) {
        if (!get_num(w, "minItems", &wv)) wv = 0;
        if (rv > wv) {
            subpath(p, path, "minItems");
            ok = fail(c, p, "MIN_ITEMS_INCREASED",
                      "reader requires at least %.17g items, writer allows %.17g", rv, wv);
        }
    }
    if (get_num(r, "maxItems", &rv)) {
        bool wset = get_num(w, "maxItems", &wv);
        if (!wset || wv > rv) {
            subpath(p, path, "maxItems");
            ok = fail(c, p, "MAX_ITEMS_DECREASED", "reader allows at most %.17g items, writer %s",
                      rv, wset ? "allows more" : "has no maxItems");
        }
    }
    if (json_is_true(json_object_get(r, "uniqueItems")) &&
        !json_is_true(json_object_get(w, "uniqueItems"))) {
        subpath(p, path, "uniqueItems");
        ok = fail(c, p, "UNIQUE_ITEMS_ADDED",
                  "reader requires unique items, writer allows duplicates");
    }
    const json_t *rc = json_object_get(r, "contains"), *wc = json_object_get(w, "contains");
    if (rc) {
        double rmin = 1, wmin = 1, rmax = 0, wmax = 0;
        get_num(r, "minContains", &rmin);
        get_num(w, "minContains", &wmin);
        bool rmaxs = get_num(r, "maxContains", &rmax), wmaxs = get_num(w, "maxContains", &wmax);
        bool good = wc && (rmin <= 0 || (rmin <= wmin && try_check(c, rs, rc, wc)));
        if (good && rmaxs) good = wmaxs && wmax <= rmax && equivalent(c, rs, rc, wc);
        if (!good && rmin <= 0 && !rmaxs)
            good = true; /* minContains 0 and no maximum: "contains" asserts nothing */
        if (!good) {
            subpath(p, path, "contains");
            ok = fail(c, p, wc ? "CONTAINS_CHANGED" : "CONTAINS_ADDED",
                      "reader's \"contains\" (with minContains/maxContains) is not implied by "
                      "the writer's");
        }
    }
    return ok;
}

/* ------------------------------------------------------------------ objects */

static const json_t *obj_or_null(const json_t *s, const char *k)
{
    const json_t *v = json_object_get(s, k);
    return json_is_object(v) ? v : NULL;
}

/* additionalProperties, or "unevaluatedProperties" when no applicator could evaluate
 * more properties (then the two mean the same). NULL when absent. */
static const json_t *addl_props(const json_t *s)
{
    const json_t *ap = json_object_get(s, "additionalProperties");
    if (ap) return ap;
    const json_t *u = json_object_get(s, "unevaluatedProperties");
    if (u && !json_object_get(s, "allOf") && !json_object_get(s, "anyOf") &&
        !json_object_get(s, "oneOf") && !json_object_get(s, "if") && !json_object_get(s, "$ref") &&
        !json_object_get(s, "dependentSchemas") && !json_object_get(s, "dependencies"))
        return u;
    return NULL;
}

static bool is_open(const json_t *ap)
{
    return !ap || is_trivial(ap);
}

/* The reader declares property `name` (schema rsch) that the writer does not declare. */
static int added_property(cctx *c, int rs, const char *name, const json_t *rsch, const json_t *w,
                          const char *path)
{
    const json_t *wpp = obj_or_null(w, "patternProperties");
    const json_t *first = NULL;
    if (wpp) {
        const char *pat;
        const json_t *ps;
        json_object_foreach((json_t *)(uintptr_t)wpp, pat, ps)
        {
            if (!pattern_matches(pat, name)) continue;
            if (try_check(c, rs, rsch, ps)) return 1;
            if (!first) first = ps;
        }
    }
    if (first) {
        check(c, rs, rsch, first, path);
        return fail(c, path, "PROPERTY_ADDED_NOT_COVERED",
                    "property '%s' is new in the reader, and the writer's patternProperties "
                    "allowed other values for it",
                    name);
    }
    const json_t *wap = addl_props(w);
    if (is_open(wap) || json_is_false(wap))
        return 1; /* closed: never written; open: assumed not written (documented) */
    if (check(c, rs, rsch, wap, path)) return 1;
    return fail(c, path, "PROPERTY_ADDED_NOT_COVERED",
                "property '%s' is new in the reader, and the writer's additionalProperties "
                "allowed other values for it",
                name);
}

/* The writer declares property `name` (schema wsch) that the reader does not, and no
 * reader pattern matches it: it falls to the reader's additionalProperties. */
static int removed_property(cctx *c, int rs, const char *name, const json_t *wsch, const json_t *r,
                            const char *path)
{
    const json_t *rap = addl_props(r);
    if (is_open(rap)) return 1;
    if (json_is_false(rap))
        return fail(c, path, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    "the writer's property '%s' is not declared by the reader, whose "
                    "additionalProperties is false",
                    name);
    char p[PATH_MAX_LEN];
    subpath(p, path, "additionalProperties");
    if (check(c, rs, rap, wsch, p)) return 1;
    return fail(c, path, "PROPERTY_REMOVED_NOT_COVERED",
                "the writer's property '%s' is not declared by the reader, whose "
                "additionalProperties does not accept its values",
                name);
}

static int check_objects(cctx *c, int rs, const json_t *r, const json_t *w, const char *path)
{
    int ok = 1;
    char p[PATH_MAX_LEN];
    const json_t *rp = obj_or_null(r, "properties"), *wp = obj_or_null(w, "properties");
    const json_t *rpp = obj_or_null(r, "patternProperties");
    const json_t *wpp = obj_or_null(w, "patternProperties");
    const json_t *rap = addl_props(r), *wap = addl_props(w);
    const json_t *rreq = json_object_get(r, "required"), *wreq = json_object_get(w, "required");
    const char *name, *pat;
    const json_t *rs_, *ws_, *ps;

    /* required: the reader may not require what the writer did not */
    if (json_is_array(rreq)) {
        size_t i;
        const json_t *x;
        json_array_foreach(rreq, i, x)
        {
            if (!json_is_string(x)) continue;
            if (json_is_array(wreq) && str_in_array(wreq, json_string_value(x))) continue;
            subpath(p, path, "required");
            ok = fail(c, p, "REQUIRED_PROPERTY_ADDED",
                      "reader requires property '%s', which the writer does not require",
                      json_string_value(x));
        }
    }

    /* properties the reader declares */
    if (rp) {
        json_object_foreach((json_t *)(uintptr_t)rp, name, rs_)
        {
            subpath2(p, path, "properties", name);
            ws_ = wp ? json_object_get(wp, name) : NULL;
            if (ws_)
                ok &= check(c, rs, rs_, ws_, p);
            else
                ok &= added_property(c, rs, name, rs_, w, p);
            /* the reader's patterns apply to this name too */
            if (rpp) {
                json_object_foreach((json_t *)(uintptr_t)rpp, pat, ps)
                {
                    if (!pattern_matches(pat, name)) continue;
                    char pp[PATH_MAX_LEN];
                    subpath2(pp, path, "patternProperties", pat);
                    ok &= ws_ ? check(c, rs, ps, ws_, pp) : added_property(c, rs, name, ps, w, pp);
                }
            }
        }
    }

    /* properties only the writer declares */
    if (wp) {
        json_object_foreach((json_t *)(uintptr_t)wp, name, ws_)
        {
            if (rp && json_object_get(rp, name)) continue;
            bool matched = false;
            if (rpp) {
                json_object_foreach((json_t *)(uintptr_t)rpp, pat, ps)
                {
                    if (!pattern_matches(pat, name)) continue;
                    matched = true;
                    subpath2(p, path, "patternProperties", pat);
                    ok &= check(c, rs, ps, ws_, p);
                }
            }
            if (!matched) {
                subpath2(p, path, "properties", name);
                ok &= removed_property(c, rs, name, ws_, r, p);
            }
        }
    }

    /* the reader's patterns, for properties the writer did not declare */
    if (rpp) {
        json_object_foreach((json_t *)(uintptr_t)rpp, pat, ps)
        {
            subpath2(p, path, "patternProperties", pat);
            const json_t *same = wpp ? json_object_get(wpp, pat) : NULL;
            if (same) {
                ok &= check(c, rs, ps, same, p);
                continue;
            }
            if (wpp) { /* other writer patterns may overlap: conservatively compare */
                const char *wpat;
                const json_t *wps;
                json_object_foreach((json_t *)(uintptr_t)wpp, wpat, wps) ok &=
                    check(c, rs, ps, wps, p);
            }
            if (wap && json_is_false(wap)) continue;
            if (!is_open(wap)) {
                ok &= check(c, rs, ps, wap, p);
                continue;
            }
            ok = fail(c, p, "PATTERN_PROPERTY_ADDED",
                      "reader constrains properties matching %s, which the writer left open", pat);
        }
    }

    /* the writer's patterns the reader dropped fall to the reader's additionalProperties */
    if (wpp) {
        json_object_foreach((json_t *)(uintptr_t)wpp, pat, ps)
        {
            if (rpp && json_object_get(rpp, pat)) continue;
            if (is_open(rap)) continue;
            subpath2(p, path, "patternProperties", pat);
            if (json_is_false(rap))
                ok = fail(c, p, "PATTERN_PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                          "writer allowed properties matching %s; the reader has no such "
                          "pattern and additionalProperties false",
                          pat);
            else
                ok &= check(c, rs, rap, ps, p);
        }
    }

    /* additionalProperties itself */
    if (!is_open(rap)) {
        subpath(p, path,
                json_object_get(r, "additionalProperties") ? "additionalProperties"
                                                           : "unevaluatedProperties");
        if (wap && json_is_false(wap)) {
            /* the writer wrote no undeclared properties */
        } else if (!is_open(wap)) {
            ok &= check(c, rs, rap, wap, p);
        } else if (json_is_false(rap)) {
            ok = fail(c, p, "ADDITIONAL_PROPERTIES_REMOVED",
                      "reader's content model is closed (additionalProperties false), the "
                      "writer's was open");
        } else {
            ok = fail(c, p, "ADDITIONAL_PROPERTIES_NARROWED",
                      "reader constrains additional properties, which the writer left open");
        }
    }

    double rv, wv;
    if (get_num(r, "minProperties", &rv) && rv > 0) {
        if (!get_num(w, "minProperties", &wv)) wv = 0;
        if (rv > wv) {
            subpath(p, path, "minProperties");
            ok = fail(c, p, "MIN_PROPERTIES_INCREASED",
                      "reader requires at least %.17g properties, writer allows %.17g", rv, wv);
        }
    }
    if (get_num(r, "maxProperties", &rv)) {
        bool wset = get_num(w, "maxProperties", &wv);
        if (!wset || wv > rv) {
            subpath(p, path, "maxProperties");
            ok = fail(c, p, "MAX_PROPERTIES_DECREASED",
                      "reader allows at most %.17g properties, writer %s", rv,
                      wset ? "allows more" : "has no maxProperties");
        }
    }

    const json_t *rpn = json_object_get(r, "propertyNames");
    if (rpn && !is_trivial(rpn)) {
        const json_t *wpn = json_object_get(w, "propertyNames");
        subpath(p, path, "propertyNames");
        if (!check(c, rs, rpn, wpn ? wpn : c->string_schema, p))
            ok = fail(c, p, "PROPERTY_NAMES_NARROWED",
                      "reader restricts property names more than the writer");
    }

    /* dependencies: array form / dependentRequired */
    static const char *const dep_kws[] = {"dependentRequired", "dependencies"};
    for (int d = 0; d < 2; d++) {
        const json_t *deps = obj_or_null(r, dep_kws[d]);
        if (!deps) continue;
        json_object_foreach((json_t *)(uintptr_t)deps, name, rs_)
        {
            subpath2(p, path, dep_kws[d], name);
            if (json_is_array(rs_)) {
                const json_t *w1 = json_object_get(obj_or_null(w, "dependentRequired"), name);
                const json_t *w2 = json_object_get(obj_or_null(w, "dependencies"), name);
                size_t i;
                const json_t *x;
                json_array_foreach(rs_, i, x)
                {
                    const char *dn = json_string_value(x);
                    if (!dn || (json_is_array(wreq) && str_in_array(wreq, dn)) ||
                        (json_is_array(w1) && str_in_array(w1, dn)) ||
                        (json_is_array(w2) && str_in_array(w2, dn)))
                        continue;
                    ok = fail(c, p, "DEPENDENCY_ADDED",
                              "reader requires '%s' whenever '%s' is present; the writer did not",
                              dn, name);
                }
            }
        }
    }
    return ok;
}

/* ------------------------------------------------------------------ composition */

/* R's anyOf/oneOf `rd` must accept every W instance. */
static int covers(cctx *c, int rs, const json_t *rd, const char *kw, const json_t *w,
                  const char *path)
{
    char p[PATH_MAX_LEN];
    size_t i, j;
    const json_t *x;
    subpath(p, path, kw);
    json_array_foreach(rd, i, x) if (try_check(c, rs, x, w)) return 1;
    const char *wkw;
    const json_t *wd = disjunction(w, &wkw);
    if (wd) {
        const json_t *y;
        json_array_foreach(wd, j, y)
        {
            bool found = false;
            json_array_foreach(rd, i, x) if (try_check(c, rs, x, y))
            {
                found = true;
                break;
            }
            if (!found) {
                if (json_array_size(rd) == json_array_size(wd)) {
                    char pi[PATH_MAX_LEN];
                    subpathi(pi, path, kw, j);
                    check(c, rs, json_array_get(rd, j), y, pi); /* explain the likely pair */
                }
                return fail(c, p, "ANY_OF_NARROWED",
                            "the writer's %s branch %zu is accepted by no reader branch", wkw, j);
            }
        }
        return 1;
    }
    return fail(c, p, "ANY_OF_NARROWED",
                "no reader %s branch accepts everything the writer accepts", kw);
}

/* Can R's oneOf be treated as anyOf for W's instances? Yes when its branches cannot
 * overlap (then "exactly one" equals "at least one"), or when W has the same branches. */
static int oneof_usable(cctx *c, int rs, const json_t *rd, const json_t *w)
{
    size_t n = json_array_size(rd);
    bool pairwise = true;
    for (size_t i = 0; i < n && pairwise && i < 32; i++)
        for (size_t j = i + 1; j < n && j < 32; j++)
            if (!disjoint(c, rs, json_array_get(rd, i), json_array_get(rd, j), 0)) {
                pairwise = false;
                break;
            }
    if (pairwise && n <= 32) return 1;
    const json_t *wd = json_object_get(w, "oneOf");
    if (json_is_array(wd) && json_array_size(wd) == n) {
        for (size_t i = 0; i < n; i++)
            if (!equivalent(c, rs, json_array_get(rd, i), json_array_get(wd, i))) return 0;
        return 2; /* identical branches: W ⊆ R for this keyword */
    }
    return 0;
}

static int check_composition(cctx *c, int rs, const json_t *r, const json_t *w, const char *path)
{
    int ok = 1;
    char p[PATH_MAX_LEN];
    const json_t *rc[64], *wc[64];
    bool rbad = false, wbad = false;
    size_t nr = conjuncts(c, rs, r, rc, 64, &rbad);
    size_t nw = conjuncts(c, !rs, w, wc, 64, &wbad);
    if (rbad) {
        subpath(p, path, json_object_get(r, "$ref") ? "$ref" : "allOf");
        ok = fail(c, p, "REF_NOT_UNDERSTOOD",
                  "a \"$ref\" that cannot be followed, or too many allOf members");
    }
    if (nr) {
        bool paired = false;
        if (nr == nw && !wbad) {
            paired = true;
            for (size_t i = 0; i < nr && paired; i++)
                paired = try_check(c, rs, rc[i], wc[i]);
        }
        if (!paired) {
            bool has_all = json_is_array(json_object_get(r, "allOf"));
            for (size_t i = 0; i < nr; i++) {
                if (has_all && i < json_array_size(json_object_get(r, "allOf")))
                    subpathi(p, path, "allOf", i);
                else
                    subpath(p, path, "$ref");
                ok &= check(c, rs, rc[i], w, p);
            }
        }
    }

    static const char *const disj[] = {"anyOf", "oneOf"};
    for (int d = 0; d < 2; d++) {
        const json_t *rd = json_object_get(r, disj[d]);
        if (!json_is_array(rd)) continue;
        if (d == 1) {
            int u = oneof_usable(c, rs, rd, w);
            if (u == 2) continue;
            if (!u) {
                subpath(p, path, "oneOf");
                ok = fail(c, p, "ONE_OF_NOT_UNDERSTOOD",
                          "reader's oneOf branches may overlap (no distinct types, const or "
                          "required discriminator), so a writer instance might match two; "
                          "cannot prove compatibility");
                continue;
            }
        }
        ok &= covers(c, rs, rd, disj[d], w, path);
    }

    const json_t *rn = json_object_get(r, "not");
    if (rn) {
        const json_t *wn = json_object_get(w, "not");
        bool good =
            (wn && try_check(c, !rs, wn, rn)) || !(types_of(c, rs, rn, 0) & types_of(c, !rs, w, 0));
        if (!good) {
            subpath(p, path, "not");
            ok = fail(c, p, "NOT_CHANGED",
                      "reader's \"not\" excludes instances the writer may produce (the writer "
                      "would need a \"not\" at least as wide)");
        }
    }

    const json_t *rif = json_object_get(r, "if");
    if (rif) {
        const json_t *rthen = json_object_get(r, "then"), *relse = json_object_get(r, "else");
        const json_t *wif = json_object_get(w, "if");
        bool good;
        if (wif && equivalent(c, rs, rif, wif)) {
            const json_t *wthen = json_object_get(w, "then"), *welse = json_object_get(w, "else");
            good =
                (!rthen || (wthen && try_check(c, rs, rthen, wthen)) ||
                 try_check(c, rs, rthen, w)) &&
                (!relse || (welse && try_check(c, rs, relse, welse)) || try_check(c, rs, relse, w));
        } else {
            good = (!rthen || try_check(c, rs, rthen, w)) && (!relse || try_check(c, rs, relse, w));
        }
        if (!good) {
            subpath(p, path, "if");
            ok = fail(c, p, "CONDITIONAL_CHANGED",
                      "reader's if/then/else may reject writer instances (the condition or a "
                      "branch differs from the writer's)");
        }
    }

    static const char *const dep_kws[] = {"dependentSchemas", "dependencies"};
    for (int d = 0; d < 2; d++) {
        const json_t *deps = obj_or_null(r, dep_kws[d]);
        if (!deps) continue;
        const char *k;
        const json_t *rs_;
        json_object_foreach((json_t *)(uintptr_t)deps, k, rs_)
        {
            if (json_is_array(rs_)) continue; /* dependentRequired form: check_objects */
            const json_t *ws_ = json_object_get(obj_or_null(w, "dependentSchemas"), k);
            if (!ws_) ws_ = json_object_get(obj_or_null(w, "dependencies"), k);
            if ((ws_ && !json_is_array(ws_) && try_check(c, rs, rs_, ws_)) ||
                try_check(c, rs, rs_, w))
                continue;
            subpath2(p, path, dep_kws[d], k);
            ok = fail(c, p, "DEPENDENT_SCHEMA_ADDED",
                      "reader applies a schema when '%s' is present that the writer's "
                      "instances may not satisfy",
                      k);
        }
    }
    return ok;
}

/* ------------------------------------------------------------------ check */

/* Exact answer when the writer allows a finite set of values (enum/const) and the reader
 * is self-contained: validate each value with the real validator. Returns 1/0, or -1 when
 * not applicable. */
static int enum_shortcut(cctx *c, int rs, const json_t *r, const json_t *w, const char *path)
{
    size_t nv;
    const json_t **vals = values_of(w, &nv);
    if (!vals) return -1;
    if (contains_ref(r, 0) || nv > 1000) {
        free(vals);
        return -1;
    }
    rn_jsonschema_options opts = {0};
    opts.default_draft = c->d2020[rs] ? RN_JSONSCHEMA_DRAFT2020_12 : RN_JSONSCHEMA_DRAFT7;
    opts.force_draft = true;
    rn_jsonschema *js = NULL;
    rn_err err;
    if (rn_jsonschema_compile(r, &opts, &js, &err) != RN_OK) {
        free(vals);
        return -1;
    }
    int res = 1;
    unsigned wmask = types_of(c, !rs, w, 0);
    for (size_t i = 0; i < nv; i++) {
        const json_t *v = vals[i];
        if (!(value_type(v) & wmask)) continue; /* not a writer instance after all */
        int rc = rn_jsonschema_validate(js, v, &c->verrs);
        if (rc == RN_OK) continue;
        if (rc != RN_EINVAL) {
            res = -1;
            break;
        }
        char shown[128], why[400] = "";
        show(v, shown, sizeof shown);
        if (c->verrs.n) rn_jsonschema_error_format(&c->verrs.e[0], why, sizeof why);
        res = fail(c, path, "ENUM_VALUE_REJECTED",
                   "the writer allows %s, which the reader rejects (%s)", shown, why);
        if (c->silent) break;
    }
    rn_jsonschema_free(js);
    free(vals);
    return res;
}

static int check_keywords(cctx *c, int rs, const json_t *r, const json_t *w, const char *path)
{
    int ok = 1;
    char p[PATH_MAX_LEN], a[128], b[128];
    unsigned rmask = self_type_mask(r);
    unsigned wmask = types_of(c, !rs, w, 0);
    if (wmask & ~rmask) {
        type_names(rmask, a, sizeof a);
        type_names(wmask, b, sizeof b);
        subpath(p, path, "type");
        ok = fail(c, p, "TYPE_NARROWED", "reader allows %s; writer allows %s", a, b);
    }
    unsigned k = wmask & rmask;

    size_t nrv, nwv;
    const json_t **rv = values_of(r, &nrv);
    if (rv) {
        const json_t **wv = values_of(w, &nwv);
        const json_t *kw = json_object_get(r, "enum");
        subpath(p, path, kw ? "enum" : "const");
        if (!wv) {
            show(kw ? kw : json_object_get(r, "const"), a, sizeof a);
            ok = fail(c, p, kw ? "ENUM_ADDED" : "CONST_ADDED",
                      "reader restricts values to %s; the writer had no such restriction", a);
        } else {
            for (size_t i = 0; i < nwv; i++) {
                if (!(value_type(wv[i]) & wmask) || values_contain(rv, nrv, wv[i])) continue;
                show(wv[i], a, sizeof a);
                ok = fail(c, p, "ENUM_NARROWED", "the writer allows %s, the reader does not", a);
            }
        }
        free(wv);
        free(rv);
    }
    if (k & T_NUM) ok &= check_numbers(c, r, w, wmask, path);
    if (k & T_STR) ok &= check_strings(c, r, w, path);
    if (k & T_ARR) ok &= check_arrays(c, rs, r, w, path);
    if (k & T_OBJ) ok &= check_objects(c, rs, r, w, path);

    /* keywords we do not interpret must be unchanged */
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)r, key, v)
    {
        if (in_list(ANNOTATIONS, key) || in_list(HANDLED, key)) continue;
        const json_t *wv = json_object_get(w, key);
        if (wv && value_eq(v, wv)) continue;
        subpath(p, path, key);
        ok = fail(c, p, "NOT_UNDERSTOOD",
                  "keyword \"%s\" is not interpreted by the compatibility checker and differs "
                  "from the writer's",
                  key);
    }
    /* "unevaluatedProperties"/"unevaluatedItems" next to applicators: only if unchanged */
    static const char *const unev[] = {"unevaluatedProperties", "unevaluatedItems"};
    for (int i = 0; i < 2; i++) {
        const json_t *u = json_object_get(r, unev[i]);
        if (!u || is_trivial(u)) continue;
        bool plain = i == 0 ? addl_props(r) == u : false;
        if (i == 1) {
            arr_shape sh;
            array_shape(c, rs, r, &sh);
            plain = sh.rest == u;
        }
        if (plain) continue;
        /* identical, and any "$ref" inside leads to identical documents */
        if (json_equal(r, w) && (!contains_ref(r, 0) || json_equal(c->root[rs], c->root[!rs])))
            continue;
        subpath(p, path, unev[i]);
        ok = fail(c, p, "NOT_UNDERSTOOD",
                  "\"%s\" combined with applicators (allOf/anyOf/oneOf/$ref/if) is only "
                  "accepted when the schema is unchanged",
                  unev[i]);
    }
    return ok;
}

static int check_obj(cctx *c, int rs, const json_t *r, const json_t *w, const char *path)
{
    int sc = enum_shortcut(c, rs, r, w, path);
    if (sc >= 0) return sc;

    /* Cheap proofs through the writer's own composition. */
    const char *wkw;
    const json_t *wd = disjunction(w, &wkw);
    if (wd && json_array_size(wd) > 0) { /* W ⊆ ∪ Wj: enough that every Wj ⊆ R */
        bool all = true;
        size_t j;
        const json_t *y;
        json_array_foreach(wd, j, y) if (!try_check(c, rs, r, y))
        {
            all = false;
            break;
        }
        if (all) return 1;
    }
    const json_t *wc[64];
    bool wbad = false;
    size_t nw = conjuncts(c, !rs, w, wc, 64, &wbad);
    for (size_t j = 0; j < nw; j++) /* W ⊆ Wj: enough that one Wj ⊆ R */
        if (wc[j] != w && try_check(c, rs, r, wc[j])) return 1;

    int ok = check_composition(c, rs, r, w, path);
    ok &= check_keywords(c, rs, r, w, path);
    return ok;
}

static int check(cctx *c, int rs, const json_t *r, const json_t *w, const char *path)
{
    if (--c->budget < 0)
        return fail(c, path, "TOO_COMPLEX",
                    "the schemas are too large or too nested to compare; treated as "
                    "incompatible");
    r = deref(c, rs, r, path, false);
    if (!r) return 0;
    w = deref(c, !rs, w, path, false);
    if (!w) return 0;
    if (json_is_false(w) || is_trivial(r)) return 1;
    if (json_is_false(r))
        return fail(c, path, "FALSE_SCHEMA",
                    "reader accepts nothing here (false), the writer accepts values");
    if (!json_is_object(r))
        return fail(c, path, "NOT_UNDERSTOOD", "reader schema is neither an object nor a boolean");
    if (json_is_true(w)) w = c->empty; /* `true` as a writer: compare against {} */
    if (!json_is_object(w))
        return fail(c, path, "NOT_UNDERSTOOD", "writer schema is neither an object nor a boolean");
    for (int i = 0; i < c->depth; i++)
        if (c->stk[i][0] == r && c->stk[i][1] == w)
            return 1; /* recursion: assume what we are proving */
    if (c->depth >= MAX_DEPTH)
        return fail(c, path, "TOO_COMPLEX", "schemas nested deeper than %d levels", MAX_DEPTH);
    c->stk[c->depth][0] = r;
    c->stk[c->depth][1] = w;
    c->depth++;
    int ok = check_obj(c, rs, r, w, path);
    c->depth--;
    return ok;
}

/* ------------------------------------------------------------------ entry points */

static bool doc_is_2020(const json_t *root)
{
    const char *s = json_string_value(json_object_get(root, "$schema"));
    return s && (strstr(s, "2020-12") || strstr(s, "2019-09"));
}

int rn_compat_check(const json_t *reader, const json_t *writer, json_t *messages)
{
    cctx *c = calloc(1, sizeof *c);
    if (!c) {
        if (messages)
            json_array_append_new(messages, json_string("#: OUT_OF_MEMORY: cannot compare"));
        return 0;
    }
    c->root[0] = reader;
    c->root[1] = writer;
    /* our registry compiles schemas without "$schema" as draft-07 (as Confluent does) */
    c->d2020[0] = doc_is_2020(reader);
    c->d2020[1] = doc_is_2020(writer);
    c->msgs = messages;
    c->budget = WORK_BUDGET;
    c->string_schema = json_pack("{s:s}", "type", "string");
    c->empty = json_object();
    int ok = c->string_schema && c->empty ? check(c, 0, reader, writer, "#") : 0;
    if (!ok && messages && json_array_size(messages) == 0)
        json_array_append_new(messages,
                              json_string("#: INCOMPATIBLE: the reader rejects instances the "
                                          "writer accepts"));
    json_decref(c->string_schema);
    json_decref(c->empty);
    free(c);
    return ok;
}

static int check_one(const char *level_name, bool backward, const json_t *new_schema,
                     const json_t *old, int old_version, json_t *messages)
{
    json_t *tmp = json_array();
    int ok =
        backward ? rn_compat_check(new_schema, old, tmp) : rn_compat_check(old, new_schema, tmp);
    size_t i;
    json_t *m;
    char vs[32];
    if (old_version > 0)
        snprintf(vs, sizeof vs, "version %d", old_version);
    else
        snprintf(vs, sizeof vs, "the old schema");
    json_array_foreach(tmp, i, m)
    {
        if (!messages) break;
        char line[2048];
        if (backward)
            snprintf(line, sizeof line, "%s (%s: the new schema reading data written with %s)",
                     json_string_value(m), level_name, vs);
        else
            snprintf(line, sizeof line, "%s (%s: %s reading data written with the new schema)",
                     json_string_value(m), level_name, vs);
        utf8_trim(line);
        json_array_append_new(messages, json_string(line));
    }
    json_decref(tmp);
    return ok;
}

int rn_compat_check_level(rn_compat_level level, const json_t *new_schema, const json_t *const *old,
                          const int *old_versions, size_t nold, json_t *messages)
{
    bool back = false, fwd = false, trans = false;
    switch (level) {
    case RN_COMPAT_NONE:
        return 1;
    case RN_COMPAT_BACKWARD_TRANSITIVE:
        trans = true;
        /* fall through */
    case RN_COMPAT_BACKWARD:
        back = true;
        break;
    case RN_COMPAT_FORWARD_TRANSITIVE:
        trans = true;
        /* fall through */
    case RN_COMPAT_FORWARD:
        fwd = true;
        break;
    case RN_COMPAT_FULL_TRANSITIVE:
        trans = true;
        /* fall through */
    case RN_COMPAT_FULL:
        back = fwd = true;
        break;
    }
    if (!nold) return 1;
    int ok = 1;
    size_t first = trans ? 0 : nold - 1;
    const char *name = rn_compat_level_name(level);
    for (size_t i = nold; i-- > first;) { /* newest first: the likeliest culprit */
        int v = old_versions ? old_versions[i] : -1;
        if (back) ok &= check_one(name, true, new_schema, old[i], v, messages);
        if (fwd) ok &= check_one(name, false, new_schema, old[i], v, messages);
    }
    return ok;
}
