/*
 * registry/jsonschema_int.h - structures shared by the JSON Schema compiler
 * (jsonschema.c), evaluator (jsonschema_eval.c), formats (jsonschema_format.c), regexes
 * (jsonschema_regex.c), URIs (jsonschema_uri.c) and the embedded metaschemas
 * (jsonschema_meta.c). Not for other modules: they use jsonschema.h.
 *
 * A compiled schema is a graph of rn_js_node, one per schema object or boolean reached
 * from the root (through keywords and "$ref"), each holding its keywords as rn_js_kw
 * in one list per instance class (numbers, strings, arrays, objects, others), so
 * evaluation walks exactly the keywords that can matter for the instance at hand.
 * "$ref" is a pointer to the target node (cycles included); "$dynamicRef" keeps its
 * static target plus the anchor name to look up in the dynamic scope at run time.
 *
 * Instances are rn_jval (common/jdoc.h); schemas are jansson documents while compiling.
 * Schema values that evaluation compares with instances ("const", "enum") are converted
 * to rn_jval once, at compile time, into the arena.
 *
 * Ownership: every node, keyword, string and converted value lives in the
 * rn_jsonschema's arena; PCRE2 codes are listed in it for freeing; the documents (copies
 * of the caller's schema and the resolved ones) are held as jansson references, and
 * keywords point into them (property names, pattern sources).
 */
#ifndef RN_REGISTRY_JSONSCHEMA_INT_H
#define RN_REGISTRY_JSONSCHEMA_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <math.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "registry/jsonschema.h"

/* ------------------------------------------------------------------ instance types */

enum {
    RN_JS_T_NULL = 1 << 0,
    RN_JS_T_BOOL = 1 << 1,
    RN_JS_T_INT = 1 << 2,  /* integer: a JSON integer, or a real with no fraction (1.0) */
    RN_JS_T_FRAC = 1 << 3, /* a number that is not an integer */
    RN_JS_T_STR = 1 << 4,
    RN_JS_T_ARR = 1 << 5,
    RN_JS_T_OBJ = 1 << 6,
};
#define RN_JS_T_NUMBER (RN_JS_T_INT | RN_JS_T_FRAC)

/* The RN_JS_T_* type of an instance value. */
static inline unsigned rn_js_type_of(const rn_jval *v)
{
    static const uint8_t bits[] = {
        [RN_JNULL] = RN_JS_T_NULL,  [RN_JBOOL] = RN_JS_T_BOOL,
        [RN_JINT] = RN_JS_T_INT,    [RN_JREAL] = 0,
        [RN_JSTRING] = RN_JS_T_STR, [RN_JARRAY] = RN_JS_T_ARR,
        [RN_JOBJECT] = RN_JS_T_OBJ,
    };
    if (v->type != RN_JREAL) return bits[v->type];
    double d = v->u.d;
    return (isfinite(d) && d == floor(d)) ? RN_JS_T_INT : RN_JS_T_FRAC;
}

/* jansson's iteration macros take json_t *: iterating does not modify, so the documents
 * stay logically const (they are never written after compilation). */
static inline json_t *rn_js_unconst(const json_t *j)
{
    return (json_t *)(uintptr_t)j;
}

/* A number from a schema keyword (minimum, multipleOf ...), kept exact for integers. */
typedef struct rn_js_num {
    bool is_int;
    long long i; /* when is_int */
    double d;    /* always set */
} rn_js_num;

/* ------------------------------------------------------------------ vocabularies */

enum {
    RN_JS_V_APPLICATOR = 1 << 0,
    RN_JS_V_UNEVALUATED = 1 << 1,
    RN_JS_V_VALIDATION = 1 << 2,
    RN_JS_V_FORMAT_ASSERT = 1 << 3, /* format asserts (option or format-assertion vocab) */
};
#define RN_JS_V_ALL (RN_JS_V_APPLICATOR | RN_JS_V_UNEVALUATED | RN_JS_V_VALIDATION)

/* ------------------------------------------------------------------ compiled form */

typedef struct rn_js_node rn_js_node;

/* Keyword operations. The order is the evaluation order inside each class. */
enum {
    /* any instance type */
    RN_JS_OP_TYPE,
    RN_JS_OP_CONST,
    RN_JS_OP_ENUM,
    RN_JS_OP_REF,
    RN_JS_OP_DYNREF,
    RN_JS_OP_ALLOF,
    RN_JS_OP_ANYOF,
    RN_JS_OP_ONEOF,
    RN_JS_OP_NOT,
    RN_JS_OP_IF,
    /* numbers */
    RN_JS_OP_MINIMUM,
    RN_JS_OP_EXCL_MINIMUM,
    RN_JS_OP_MAXIMUM,
    RN_JS_OP_EXCL_MAXIMUM,
    RN_JS_OP_MULTIPLE_OF,
    /* strings */
    RN_JS_OP_MIN_LENGTH,
    RN_JS_OP_MAX_LENGTH,
    RN_JS_OP_PATTERN,
    RN_JS_OP_FORMAT,
    /* arrays */
    RN_JS_OP_MIN_ITEMS,
    RN_JS_OP_MAX_ITEMS,
    RN_JS_OP_UNIQUE_ITEMS,
    RN_JS_OP_ITEMS,    /* prefixItems/items (2020-12) or items/additionalItems (07) */
    RN_JS_OP_CONTAINS, /* with minContains/maxContains */
    RN_JS_OP_UNEVAL_ITEMS,
    /* objects */
    RN_JS_OP_MIN_PROPS,
    RN_JS_OP_MAX_PROPS,
    RN_JS_OP_REQUIRED,
    RN_JS_OP_DEPENDENT, /* dependentRequired, dependentSchemas, dependencies */
    RN_JS_OP_PROPNAMES,
    RN_JS_OP_PROPS, /* properties, patternProperties, additionalProperties together */
    RN_JS_OP_UNEVAL_PROPS,
};

/* Keyword classes: which instances a keyword applies to. */
enum { RN_JS_C_ANY, RN_JS_C_NUM, RN_JS_C_STR, RN_JS_C_ARR, RN_JS_C_OBJ, RN_JS_NCLASS };

typedef struct rn_js_str {
    const char *s; /* points into a document */
    size_t len;
} rn_js_str;

typedef struct rn_js_prop {
    const char *name; /* points into a document */
    size_t len;
    uint32_t hash;
    rn_js_node *node;
} rn_js_prop;

typedef struct rn_js_simple_re rn_js_simple_re;

typedef struct rn_js_pattern {
    pcre2_code *re;
    bool jit;                      /* re was JIT-compiled */
    const rn_js_simple_re *simple; /* matched without PCRE2 when not NULL */
    const char *src;               /* the pattern as written, for messages and locations */
    rn_js_node *node;
} rn_js_pattern;

/* One entry of dependentRequired / dependentSchemas / dependencies. */
typedef struct rn_js_dep {
    const char *name;
    size_t len;
    const char *kw;   /* "dependentRequired", "dependentSchemas" or "dependencies" */
    rn_js_str *names; /* required names when node is NULL */
    size_t nnames;
    rn_js_node *node;
} rn_js_dep;

typedef struct rn_js_kw {
    uint8_t op;       /* RN_JS_OP_* */
    const char *name; /* keyword as written: the keyword location's last segment */
    union {
        unsigned types;       /* TYPE: RN_JS_T_* mask */
        const rn_jval *value; /* CONST value, ENUM array (RN_JARRAY): converted from the
                                 schema at compile time, in the arena */
        rn_js_num num;        /* MINIMUM ... MULTIPLE_OF */
        size_t count;         /* MIN_LENGTH ... MAX_PROPS */
        struct {
            pcre2_code *re;
            const char *src;
            bool jit;                      /* re was JIT-compiled: match through pcre2_jit_match */
            const rn_js_simple_re *simple; /* matched without PCRE2 when not NULL */
        } pattern;
        struct {
            int id;
            const char *name;
        } format;
        struct {
            rn_js_node **sub;
            size_t n;
        } list;          /* ALLOF ANYOF ONEOF */
        rn_js_node *sub; /* NOT PROPNAMES UNEVAL_ITEMS UNEVAL_PROPS */
        struct {
            rn_js_node *cond, *then, *els; /* then/els may be NULL */
        } ifte;
        struct {
            rn_js_node **prefix; /* prefixItems (2020-12) or items array (07) */
            size_t nprefix;
            rn_js_node *rest;      /* items (2020-12), items or additionalItems (07) */
            const char *prefix_kw; /* "prefixItems" or "items" */
            const char *rest_kw;   /* "items" or "additionalItems" */
        } items;
        struct {
            rn_js_node *sub;
            size_t min, max; /* minContains (default 1), maxContains (SIZE_MAX) */
        } contains;
        struct {
            rn_js_prop *props; /* properties, in schema order */
            size_t nprops;
            uint32_t *table; /* open addressing over props: index + 1, 0 = empty */
            uint32_t mask;   /* table size - 1 */
            rn_js_pattern *pats;
            size_t npats;
            rn_js_node *additional; /* additionalProperties, or NULL */
        } props;
        struct {
            rn_js_str *names;
            size_t n;
        } required;
        struct {
            rn_js_dep *deps;
            size_t n;
        } dependent;
        struct {
            rn_js_node *target; /* static target */
            const char *anchor; /* DYNREF only: dynamic anchor name, NULL when the static
                                   target has no matching $dynamicAnchor (acts as $ref) */
        } ref;
    } u;
} rn_js_kw;

/* A dynamic anchor of a resource ($dynamicAnchor), compiled. */
typedef struct rn_js_dynanchor {
    const char *name;
    rn_js_node *node;
} rn_js_dynanchor;

/* A schema resource: a document root or a subschema with "$id". Compile-time fields
 * (anchors, json) are unused once compiled; the dynamic anchors serve $dynamicRef. */
typedef struct rn_js_anchor {
    const char *name;
    const json_t *node;
    bool dynamic;
    struct rn_js_anchor *next;
} rn_js_anchor;

typedef struct rn_js_resource {
    const char *uri; /* absolute, no fragment */
    const json_t *root;
    int draft;      /* 7 or 2020 */
    unsigned vocab; /* RN_JS_V_* */
    rn_js_anchor *anchors;
    rn_js_dynanchor *dyn; /* compiled dynamic anchors (when any $dynamicRef exists) */
    size_t ndyn;
    struct rn_js_resource *next;
} rn_js_resource;

enum { RN_JS_NODE_SCHEMA = 0, RN_JS_NODE_TRUE = 1, RN_JS_NODE_FALSE = 2 };

struct rn_js_node {
    uint8_t kind;              /* RN_JS_NODE_* */
    bool uneval_props;         /* has unevaluatedProperties: collect property annotations */
    bool uneval_items;         /* has unevaluatedItems: collect item annotations */
    const rn_js_resource *res; /* for the dynamic scope */
    /* The keywords to evaluate for an instance of each class, in evaluation order: the
     * RN_JS_C_ANY ones (all there is for null and boolean instances), then, for the other
     * classes, the class's own. Lists without keywords of their class share the ANY one. */
    const rn_js_kw *kw[RN_JS_NCLASS];
    uint16_t nkw[RN_JS_NCLASS];
};

struct rn_jsonschema {
    rn_js_node *root;
    int draft;
    bool dynamic;   /* a "$dynamicRef" reads the dynamic scope: evaluation tracks it */
    rn_arena arena; /* nodes, keywords, strings, resources */
    json_t **docs;  /* owned references; from malloc() */
    size_t ndocs;
    pcre2_code **codes; /* owned; from malloc() */
    size_t ncodes;
};

/* FNV-1a of a property name, as used by the properties table. */
static inline uint32_t rn_js_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* memcmp(a, b, n) == 0 without a call for the short names and values schemas compare;
 * reads only a[0..n) and b[0..n). */
static inline bool rn_js_bytes_eq(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        if (n > 16) return memcmp(a, b, n) == 0;
        uint64_t x0, y0, x1, y1; /* two overlapping words cover 8..16 bytes */
        memcpy(&x0, a, 8);
        memcpy(&y0, b, 8);
        memcpy(&x1, a + n - 8, 8);
        memcpy(&y1, b + n - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* ------------------------------------------------------------------ URIs (jsonschema_uri.c) */

/* Resolves reference ref against the absolute base (RFC 3986 section 5.2, including dot
 * segment removal). Returns a new malloc'd string (fragment as in ref), NULL on OOM. */
char *rn_jsonschema_uri_resolve(const char *base, const char *ref);

/* Percent-decodes s[0..len) into a new malloc'd string; *out_len gets its length.
 * Returns NULL on OOM or a malformed escape. */
char *rn_jsonschema_uri_unescape(const char *s, size_t len, size_t *out_len);

/* ------------------------------------------------------------------ regexes (jsonschema_regex.c)
 */

/* Compiles an ECMA-262 regular expression (as JSON Schema specifies) with PCRE2 (UTF,
 * JIT when available), translating what differs (see jsonschema_regex.c). strict also
 * rejects syntax ECMA-262 does not have. Returns a new code (pcre2_code_free) or NULL with a
 * message in msg. */
pcre2_code *rn_jsonschema_regex_compile(const char *src, size_t len, bool strict, char *msg,
                                        size_t msglen);

/* Whether src[0..len) is a valid ECMA-262 regular expression (format "regex"). */
bool rn_jsonschema_regex_is_valid(const char *src, size_t len);

/* Whether re was JIT-compiled (then rn_jsonschema_regex_search may take the JIT path). */
bool rn_jsonschema_regex_is_jit(const pcre2_code *re);

/* Searches s[0..len) (valid UTF-8; may hold NUL) for re; jit as rn_jsonschema_regex_is_jit
 * said (false is always safe). Returns 1 on a match, 0 on none, a negative PCRE2 code when
 * matching failed (e.g. the backtracking limit). Thread-safe: uses one match block per
 * thread. */
int rn_jsonschema_regex_search(const pcre2_code *re, bool jit, const char *s, size_t len);

/* A "simple" pattern, matched without PCRE2: anchored with ^, then a sequence of ASCII
 * literals and ASCII sets (a character, [a-z0-9_.-], \d, \w) each optionally repeated
 * ({n}, {n,m}, {n,}, +, *, ?), then optionally $ (end of subject only). Only patterns
 * where greedy matching cannot be wrong are simple: every repeat that may take a varying
 * count is followed by atoms (up to the next required one) sharing no character with it,
 * so no backtracking is ever needed ("^[0-9a-f]{12}$", "^customer-[0-9]+$" are simple;
 * "^a*a$", "^.+$", "^[^x]" and "x+" are not). Subjects are UTF-8: bytes of non-ASCII
 * characters are never in a set, so bytes stand for characters. */
typedef struct rn_js_simple_atom {
    const uint8_t *in; /* 256 entries: byte b is in the set if in[b]; NULL for a literal */
    const char *lit;   /* literal text when in is NULL (min = max = 1) */
    uint32_t min, max; /* repeat counts; max UINT32_MAX = unbounded; lit: its length */
} rn_js_simple_atom;

typedef struct rn_js_simple_re {
    uint32_t n;
    bool dollar; /* ends with $: the subject must end where the atoms do */
    const rn_js_simple_atom *atoms;
} rn_js_simple_re;

/* The simple form of pattern src[0..len) (which PCRE2 has already compiled) in arena a,
 * or NULL when it is not simple (or on OOM): then PCRE2 matches it. */
const rn_js_simple_re *rn_jsonschema_regex_simple(rn_arena *a, const char *src, size_t len);

/* Whether s[0..len) (valid UTF-8) matches re: what PCRE2 would say for its pattern. */
static inline bool rn_js_simple_match(const rn_js_simple_re *re, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    for (uint32_t i = 0; i < re->n; i++) {
        const rn_js_simple_atom *a = &re->atoms[i];
        if (!a->in) {
            if ((size_t)(end - p) < a->min || !rn_js_bytes_eq((const char *)p, a->lit, a->min))
                return false;
            p += a->min;
            continue;
        }
        const unsigned char *start = p;
        const unsigned char *lim = (size_t)(end - p) > a->max ? p + a->max : end;
        while (p < lim && a->in[*p])
            p++;
        if ((size_t)(p - start) < a->min) return false;
    }
    return !re->dollar || p == end;
}

/* ------------------------------------------------------------------ formats (jsonschema_format.c)
 */

enum {
    RN_JS_FMT_UNKNOWN = 0,
    RN_JS_FMT_DATE_TIME,
    RN_JS_FMT_DATE,
    RN_JS_FMT_TIME,
    RN_JS_FMT_DURATION,
    RN_JS_FMT_EMAIL,
    RN_JS_FMT_IDN_EMAIL,
    RN_JS_FMT_HOSTNAME,
    RN_JS_FMT_IDN_HOSTNAME,
    RN_JS_FMT_IPV4,
    RN_JS_FMT_IPV6,
    RN_JS_FMT_URI,
    RN_JS_FMT_URI_REFERENCE,
    RN_JS_FMT_IRI,
    RN_JS_FMT_IRI_REFERENCE,
    RN_JS_FMT_URI_TEMPLATE,
    RN_JS_FMT_UUID,
    RN_JS_FMT_REGEX,
    RN_JS_FMT_JSON_POINTER,
    RN_JS_FMT_RELATIVE_JSON_POINTER,
};

/* The RN_JS_FMT_* id of a format name; RN_JS_FMT_UNKNOWN for formats we do not check. */
int rn_jsonschema_format_id(const char *name);

/* Whether s[0..len) (valid UTF-8, may hold NUL bytes: they are just bytes) is a valid
 * instance of format id. */
bool rn_jsonschema_format_check(int id, const char *s, size_t len);

/* ------------------------------------------------------------------ metaschemas
 * (jsonschema_meta.c) */

/* The JSON text of an embedded metaschema by absolute URI without fragment
 * ("http://json-schema.org/draft-07/schema", "https://json-schema.org/draft/2020-12/schema"
 * and its meta/ vocabularies), or NULL. */
const char *rn_jsonschema_meta_find(const char *uri);

#endif
