/*
 * registry/jsonschema_eval.c - validates an instance against a compiled schema (the node
 * graph of jsonschema_int.h).
 *
 * Evaluation is a recursive walk of (node, instance location). It allocates nothing in
 * the common case: instance and keyword paths are chains of stack frames, rendered into
 * text only when an error is reported; the dynamic scope ($dynamicRef) is an array in the
 * evaluation context.
 * Exceptions: annotation sets for objects with more than 256 properties or arrays with
 * more than 256 items (only under unevaluated*), uniqueItems on more than 16 items (a
 * hash table), and propertyNames (each name becomes a temporary JSON string).
 *
 * Errors: while the caller collects errors, evaluation goes on after a failure to find
 * more (up to RN_JSONSCHEMA_MAX_ERRORS); when it does not, or inside a subschema whose
 * failure is not itself an error (anyOf/oneOf branches, not, if, contains), errors are
 * muted and the first failure ends the evaluation of that subschema.
 *
 * Annotations (2020-12 unevaluatedProperties/unevaluatedItems): a node with one of them
 * collects, for the instance at hand, which properties (by iteration position) or items
 * were evaluated by its keywords and in-place subschemas ($ref, allOf, the passing anyOf
 * and oneOf branches, if/then/else, dependentSchemas). Nodes without them pass their
 * caller's set down (or none), so schemas that never use unevaluated* pay nothing.
 *
 * Threads: reads only the compiled schema and the instance; see jsonschema.h.
 */
#include "registry/jsonschema_int.h"

#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of node evaluations before giving up (RN_ERANGE): a "$ref" loop that does not
 * descend into the instance, or an absurdly deep instance. */
#define MAX_DEPTH 1000

#define SEG_CSTR ((size_t)-1) /* path segment length: NUL-terminated */

/* A path segment: a name (property, keyword) or an array index; chains point upwards. */
typedef struct path {
    const struct path *up;
    const char *seg; /* NULL: idx */
    size_t len;      /* of seg, or SEG_CSTR */
    size_t idx;
} path;

/* Evaluated children of one instance location: bit i = property i in iteration order, or
 * item i. */
typedef struct annot {
    uint64_t *bits; /* inl, or from calloc() */
    size_t n;
    uint64_t inl[4];
} annot;

typedef struct ectx {
    rn_jsonschema_errors *errs; /* where errors go now: NULL while muted or full */
    rn_jsonschema_errors *out;  /* the caller's list (may be NULL) */
    int depth;
    int fatal; /* RN_ERANGE or RN_ENOMEM: stop everything */
    /* The dynamic scope: resources entered, outermost first (a resource is pushed when
     * evaluation enters a node of another resource than the innermost one). */
    const rn_js_resource *scope[MAX_DEPTH];
    int nscope;
} ectx;

static bool eval(ectx *c, const rn_js_node *n, const json_t *inst, const path *ip, const path *sp,
                 annot *an);

/* ------------------------------------------------------------------ annotations */

static bool annot_init(ectx *c, annot *a, size_t n)
{
    a->n = n;
    if (n <= 64 * sizeof a->inl / sizeof a->inl[0]) {
        memset(a->inl, 0, sizeof a->inl);
        a->bits = a->inl;
        return true;
    }
    a->bits = calloc((n + 63) / 64, sizeof(uint64_t));
    if (!a->bits) {
        c->fatal = RN_ENOMEM;
        return false;
    }
    return true;
}

static void annot_fini(annot *a)
{
    if (a->bits != a->inl) free(a->bits);
}

static inline void mark(annot *a, size_t i)
{
    if (a && i < a->n) a->bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline bool marked(const annot *a, size_t i)
{
    return a && i < a->n && (a->bits[i >> 6] >> (i & 63)) & 1;
}

static void merge(annot *dst, const annot *src)
{
    if (!dst) return;
    for (size_t w = 0; w < (dst->n + 63) / 64; w++)
        dst->bits[w] |= src->bits[w];
}

/* ------------------------------------------------------------------ error reports */

typedef struct sbuf {
    char *p;
    size_t cap, n;
    bool trunc;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (b->n + 1 >= b->cap) {
            b->trunc = true;
            return;
        }
        b->p[b->n++] = s[i];
    }
}

static void sb_seg(sbuf *b, const path *p)
{
    sb_put(b, "/", 1);
    if (!p->seg) {
        char num[24];
        int k = snprintf(num, sizeof num, "%zu", p->idx);
        sb_put(b, num, (size_t)k);
        return;
    }
    size_t len = p->len == SEG_CSTR ? strlen(p->seg) : p->len;
    for (size_t i = 0; i < len && !b->trunc; i++) {
        char ch = p->seg[i];
        if (ch == '~')
            sb_put(b, "~0", 2);
        else if (ch == '/')
            sb_put(b, "~1", 2);
        else
            sb_put(b, &ch, 1);
    }
}

static void sb_path(sbuf *b, const path *p)
{
    if (!p || b->trunc) return;
    sb_path(b, p->up);
    sb_seg(b, p);
}

static void sb_finish(sbuf *b)
{
    if (b->trunc) {
        size_t keep = b->cap - 4;
        if (b->n > keep) b->n = keep;
        memcpy(b->p + b->n, "...", 3);
        b->n += 3;
    }
    b->p[b->n] = '\0';
}

static void copy_trunc(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n < cap) {
        memcpy(dst, src, n + 1);
        return;
    }
    memcpy(dst, src, cap - 4);
    memcpy(dst + cap - 4, "...", 4);
}

/* Appends an error to list (if it has room; else marks it truncated). */
__attribute__((format(printf, 6, 0))) static void add_error(rn_jsonschema_errors *list,
                                                            const path *ip, const path *sp,
                                                            const char *kw, const path *kwseg,
                                                            const char *fmt, va_list ap)
{
    rn_jsonschema_error *e = &list->e[list->n++];
    sbuf b = {e->instance_path, sizeof e->instance_path, 0, false};
    sb_path(&b, ip);
    sb_finish(&b);
    sbuf k = {e->keyword_location, sizeof e->keyword_location, 0, false};
    sb_path(&k, sp);
    if (kwseg && !k.trunc) sb_seg(&k, kwseg);
    sb_finish(&k);
    copy_trunc(e->keyword, sizeof e->keyword, kw);
    char msg[sizeof e->message + 8];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0) msg[0] = '\0';
    copy_trunc(e->message, sizeof e->message, msg);
}

/* Reports a failure of keyword kw at instance location ip; the keyword's location is sp
 * plus kw (or plus the segments in kwpath when not NULL, which already end in kw). */
__attribute__((format(printf, 6, 7))) static void report(ectx *c, const path *ip, const path *sp,
                                                         const char *kw, const path *kwpath,
                                                         const char *fmt, ...)
{
    rn_jsonschema_errors *list = c->errs;
    if (!list || c->fatal) return; /* after a fatal condition, its error is the one that matters */
    if (list->n >= RN_JSONSCHEMA_MAX_ERRORS) {
        list->truncated = true;
        c->errs = NULL; /* full: from now on, stop at the first failure */
        return;
    }
    path seg = {NULL, kw, SEG_CSTR, 0};
    va_list ap;
    va_start(ap, fmt);
    add_error(list, ip, kwpath ? kwpath : sp, kw, kwpath ? NULL : &seg, fmt, ap);
    va_end(ap);
}

/* Reports a fatal condition even while muted (the caller must learn why it failed). */
__attribute__((format(printf, 5, 6))) static void
report_fatal(ectx *c, const path *ip, const path *sp, const char *kw, const char *fmt, ...)
{
    rn_jsonschema_errors *list = c->out;
    if (!list) return;
    if (list->n >= RN_JSONSCHEMA_MAX_ERRORS) {
        list->truncated = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    add_error(list, ip, sp, kw, NULL, fmt, ap);
    va_end(ap);
}

/* A short rendering of a value for messages: 42, 1.5, "text", true, an object ... */
static const char *show(const json_t *v, char *buf, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        snprintf(buf, cap, "%.15g", d);
        if (strtod(buf, NULL) != d) snprintf(buf, cap, "%.17g", d);
        break;
    }
    case JSON_STRING: {
        /* "text" or "text..." with quotes, backslashes and controls escaped; at most 48
         * bytes of the string, never cutting a UTF-8 sequence */
        const char *s = json_string_value(v);
        size_t len = json_string_length(v), o = 0, i = 0;
        buf[o++] = '"';
        for (; i < len && i < 48; i++) {
            unsigned char ch = (unsigned char)s[i];
            char esc[8];
            size_t k;
            if (ch == '"' || ch == '\\') {
                esc[0] = '\\';
                esc[1] = (char)ch;
                k = 2;
            } else if (ch < 0x20) {
                k = (size_t)snprintf(esc, sizeof esc, "\\u%04x", ch);
            } else {
                esc[0] = (char)ch;
                k = 1;
            }
            if (o + k + 5 > cap) /* room for '..."' and NUL */
                break;
            memcpy(buf + o, esc, k);
            o += k;
        }
        if (i < len) {
            /* drop a partial UTF-8 sequence at the cut */
            size_t lead = o;
            while (lead > 1 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
                lead--;
            if (lead > 1 && (unsigned char)buf[lead - 1] >= 0xC0) {
                unsigned char b = (unsigned char)buf[lead - 1];
                size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                if (o - (lead - 1) < need) o = lead - 1;
            }
            memcpy(buf + o, "...", 3);
            o += 3;
        }
        buf[o++] = '"';
        buf[o] = '\0';
        break;
    }
    case JSON_TRUE:
        snprintf(buf, cap, "true");
        break;
    case JSON_FALSE:
        snprintf(buf, cap, "false");
        break;
    case JSON_NULL:
        snprintf(buf, cap, "null");
        break;
    case JSON_ARRAY:
        snprintf(buf, cap, "an array");
        break;
    default:
        snprintf(buf, cap, "an object");
        break;
    }
    return buf;
}

static const char *show_num(const rn_js_num *n, char *buf, size_t cap)
{
    if (n->is_int) {
        snprintf(buf, cap, "%lld", n->i);
    } else {
        snprintf(buf, cap, "%.15g", n->d);
        if (strtod(buf, NULL) != n->d) snprintf(buf, cap, "%.17g", n->d);
    }
    return buf;
}

static void types_text(unsigned types, char *buf, size_t cap)
{
    static const struct {
        unsigned bits;
        const char *name;
    } names[] = {{RN_JS_T_NULL, "null"},  {RN_JS_T_BOOL, "boolean"},  {RN_JS_T_OBJ, "object"},
                 {RN_JS_T_ARR, "array"},  {RN_JS_T_NUMBER, "number"}, {RN_JS_T_STR, "string"},
                 {RN_JS_T_INT, "integer"}};
    size_t o = 0;
    buf[0] = '\0';
    unsigned left = types;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((left & names[i].bits) != names[i].bits) continue;
        left &= ~names[i].bits;
        int k = snprintf(buf + o, cap - o, "%s\"%s\"", o ? " or " : "", names[i].name);
        if (k < 0 || (size_t)k >= cap - o) break;
        o += (size_t)k;
    }
}

/* ------------------------------------------------------------------ JSON helpers */

static long double num_ld(const json_t *v)
{
    return json_is_integer(v) ? (long double)json_integer_value(v)
                              : (long double)json_real_value(v);
}

/* Compares a number instance with a keyword's number: -1, 0, 1. Exact for integers. */
static int cmp_num(const json_t *x, const rn_js_num *lim)
{
    if (json_is_integer(x) && lim->is_int) {
        long long a = json_integer_value(x);
        return (a > lim->i) - (a < lim->i);
    }
    long double a = num_ld(x);
    long double b = lim->is_int ? (long double)lim->i : (long double)lim->d;
    return (a > b) - (a < b);
}

static bool multiple_of(const json_t *x, const rn_js_num *m)
{
    if (json_is_integer(x) && m->is_int)
        return json_integer_value(x) % m->i == 0; /* m->i > 0: no INT_MIN % -1 */
    double a = json_is_integer(x) ? (double)json_integer_value(x) : json_real_value(x);
    double q = a / m->d;
    if (!isfinite(q)) return fmod(a, m->d) == 0;
    /* tolerate the rounding of the division (0.0075 / 0.0001 = 74.99999999999999) */
    return fabs(q - nearbyint(q)) <= 8 * DBL_EPSILON * fabs(q);
}

static size_t utf8_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* JSON Schema equality: numbers by value (1 == 1.0), objects regardless of key order. */
static bool jeq(const json_t *a, const json_t *b)
{
    if (a == b) return true;
    json_type ta = json_typeof(a), tb = json_typeof(b);
    bool na = ta == JSON_INTEGER || ta == JSON_REAL, nb = tb == JSON_INTEGER || tb == JSON_REAL;
    if (na && nb) {
        if (ta == JSON_INTEGER && tb == JSON_INTEGER)
            return json_integer_value(a) == json_integer_value(b);
        return num_ld(a) == num_ld(b);
    }
    if (ta != tb) return false;
    switch (ta) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b)) return false;
        for (size_t i = 0; i < n; i++)
            if (!jeq(json_array_get(a, i), json_array_get(b, i))) return false;
        return true;
    }
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b)) return false;
        const char *k;
        size_t klen;
        json_t *v;
        json_object_keylen_foreach(rn_js_unconst(a), k, klen, v)
        {
            const json_t *w = json_object_getn(b, k, klen);
            if (!w || !jeq(v, w)) return false;
        }
        return true;
    }
    default:
        return true; /* true, false, null */
    }
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* A hash consistent with jeq (equal values hash equally). */
static uint64_t jhash(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
    case JSON_REAL: {
        double d = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
        if (d == 0) d = 0; /* -0.0 */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix64(bits ^ 0x1234);
    }
    case JSON_STRING:
        return hash_bytes(json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        uint64_t h = 0xa5a5;
        for (size_t i = 0; i < json_array_size(v); i++)
            h = mix64(h ^ jhash(json_array_get(v, i)));
        return h;
    }
    case JSON_OBJECT: {
        uint64_t h = 0x5a5a;
        const char *k;
        size_t klen;
        json_t *x;
        json_object_keylen_foreach(rn_js_unconst(v), k, klen, x) h +=
            mix64(hash_bytes(k, klen) ^ jhash(x)); /* order-independent */
        return h;
    }
    case JSON_TRUE:
        return 1;
    case JSON_FALSE:
        return 2;
    default:
        return 3;
    }
}

typedef struct hidx {
    uint64_t h;
    size_t i;
} hidx;

static int cmp_hidx(const void *a, const void *b)
{
    const hidx *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Finds two equal items: returns true and their indices (*i < *j), false if all unique.
 * Sets c->fatal on OOM. */
static bool find_duplicate(ectx *c, const json_t *arr, size_t *i, size_t *j)
{
    size_t n = json_array_size(arr);
    if (n <= 16) {
        for (size_t a = 0; a < n; a++)
            for (size_t b = a + 1; b < n; b++)
                if (jeq(json_array_get(arr, a), json_array_get(arr, b))) {
                    *i = a;
                    *j = b;
                    return true;
                }
        return false;
    }
    hidx *h = malloc(n * sizeof *h);
    if (!h) {
        c->fatal = RN_ENOMEM;
        return false;
    }
    for (size_t a = 0; a < n; a++) {
        h[a].h = jhash(json_array_get(arr, a));
        h[a].i = a;
    }
    qsort(h, n, sizeof *h, cmp_hidx);
    bool dup = false;
    for (size_t a = 0; a < n && !dup; a++)
        for (size_t b = a + 1; b < n && h[b].h == h[a].h && !dup; b++)
            if (jeq(json_array_get(arr, h[a].i), json_array_get(arr, h[b].i))) {
                *i = h[a].i < h[b].i ? h[a].i : h[b].i;
                *j = h[a].i < h[b].i ? h[b].i : h[a].i;
                dup = true;
            }
    free(h);
    return dup;
}

static const rn_js_prop *find_prop(const rn_js_kw *k, const char *key, size_t len)
{
    if (!k->u.props.nprops) return NULL;
    uint32_t h = rn_js_hash(key, len);
    for (uint32_t i = h & k->u.props.mask;; i = (i + 1) & k->u.props.mask) {
        uint32_t e = k->u.props.table[i];
        if (!e) return NULL;
        const rn_js_prop *p = &k->u.props.props[e - 1];
        if (p->hash == h && p->len == len && memcmp(p->name, key, len) == 0) return p;
    }
}

/* ------------------------------------------------------------------ keywords */

#define MUTE(c)                                                                                    \
    rn_jsonschema_errors *muted_ = (c)->errs;                                                      \
    (c)->errs = NULL
#define UNMUTE(c) (c)->errs = muted_

/* Evaluates n in a branch whose failure is not final: annotations (if collected) are kept
 * only if n passes. */
static bool eval_branch(ectx *c, const rn_js_node *n, const json_t *inst, const path *ip,
                        const path *sp, annot *an)
{
    if (!an || n->kind != RN_JS_NODE_SCHEMA) return eval(c, n, inst, ip, sp, NULL);
    annot tmp;
    if (!annot_init(c, &tmp, an->n)) return false;
    bool ok = eval(c, n, inst, ip, sp, &tmp);
    if (ok) merge(an, &tmp);
    annot_fini(&tmp);
    return ok;
}

static bool kw_any(ectx *c, const rn_js_kw *k, const json_t *inst, unsigned t, const path *ip,
                   const path *sp, annot *an)
{
    char b1[96], b2[96];
    path ks = {sp, k->name, SEG_CSTR, 0};
    switch (k->op) {
    case RN_JS_OP_TYPE:
        if (k->u.types & t) return true;
        types_text(k->u.types, b2, sizeof b2);
        report(c, ip, sp, "type", NULL, "%s is not of type %s", show(inst, b1, sizeof b1), b2);
        return false;
    case RN_JS_OP_CONST:
        if (jeq(inst, k->u.value)) return true;
        report(c, ip, sp, "const", NULL, "%s is not equal to the constant %s",
               show(inst, b1, sizeof b1), show(k->u.value, b2, sizeof b2));
        return false;
    case RN_JS_OP_ENUM:
        for (size_t i = 0; i < json_array_size(k->u.value); i++)
            if (jeq(inst, json_array_get(k->u.value, i))) return true;
        report(c, ip, sp, "enum", NULL, "%s is not one of the allowed values",
               show(inst, b1, sizeof b1));
        return false;
    case RN_JS_OP_REF:
        return eval(c, k->u.ref.target, inst, ip, &ks, an);
    case RN_JS_OP_DYNREF: {
        const rn_js_node *target = k->u.ref.target;
        if (k->u.ref.anchor) {
            /* the outermost resource in the dynamic scope with this dynamic anchor */
            bool found = false;
            for (int d = 0; d < c->nscope && !found; d++) {
                const rn_js_resource *r = c->scope[d];
                for (size_t i = 0; i < r->ndyn; i++) {
                    if (strcmp(r->dyn[i].name, k->u.ref.anchor) == 0) {
                        target = r->dyn[i].node;
                        found = true;
                        break;
                    }
                }
            }
        }
        return eval(c, target, inst, ip, &ks, an);
    }
    case RN_JS_OP_ALLOF: {
        bool ok = true;
        for (size_t i = 0; i < k->u.list.n; i++) {
            path is = {&ks, NULL, 0, i};
            if (!eval(c, k->u.list.sub[i], inst, ip, &is, an)) {
                ok = false;
                if (!c->errs || c->fatal) break;
            }
        }
        return ok;
    }
    case RN_JS_OP_ANYOF: {
        bool any = false;
        MUTE(c);
        for (size_t i = 0; i < k->u.list.n && !c->fatal; i++) {
            path is = {&ks, NULL, 0, i};
            if (eval_branch(c, k->u.list.sub[i], inst, ip, &is, an)) {
                any = true;
                if (!an) break; /* more passing branches only add annotations */
            }
        }
        UNMUTE(c);
        if (!any)
            report(c, ip, sp, "anyOf", NULL, "%s is not valid under any of the schemas in anyOf",
                   show(inst, b1, sizeof b1));
        return any;
    }
    case RN_JS_OP_ONEOF: {
        size_t nvalid = 0, first = 0, second = 0;
        annot keep, tmp;
        if (an && !annot_init(c, &keep, an->n)) return false;
        MUTE(c);
        for (size_t i = 0; i < k->u.list.n && !c->fatal; i++) {
            path is = {&ks, NULL, 0, i};
            bool ok;
            if (an) {
                if (!annot_init(c, &tmp, an->n)) break;
                ok = eval(c, k->u.list.sub[i], inst, ip, &is, &tmp);
                if (ok && nvalid == 0) merge(&keep, &tmp);
                annot_fini(&tmp);
            } else {
                ok = eval(c, k->u.list.sub[i], inst, ip, &is, NULL);
            }
            if (ok) {
                if (nvalid++ == 0) {
                    first = i;
                } else {
                    second = i;
                    break;
                }
            }
        }
        UNMUTE(c);
        if (an) {
            if (nvalid == 1) merge(an, &keep);
            annot_fini(&keep);
        }
        if (nvalid == 0)
            report(c, ip, sp, "oneOf", NULL, "%s is not valid under any of the schemas in oneOf",
                   show(inst, b1, sizeof b1));
        else if (nvalid > 1)
            report(c, ip, sp, "oneOf", NULL,
                   "%s is valid under more than one of the schemas in oneOf (%zu and %zu)",
                   show(inst, b1, sizeof b1), first, second);
        return nvalid == 1;
    }
    case RN_JS_OP_NOT: {
        MUTE(c);
        bool ok = eval(c, k->u.sub, inst, ip, &ks, NULL);
        UNMUTE(c);
        if (c->fatal) return false;
        if (ok)
            report(c, ip, sp, "not", NULL, "%s must not be valid under the schema in not",
                   show(inst, b1, sizeof b1));
        return !ok;
    }
    case RN_JS_OP_IF: {
        if (!k->u.ifte.then && !k->u.ifte.els && !an) return true;
        MUTE(c);
        bool cond = eval_branch(c, k->u.ifte.cond, inst, ip, &ks, an);
        UNMUTE(c);
        if (c->fatal) return false;
        const rn_js_node *next = cond ? k->u.ifte.then : k->u.ifte.els;
        if (!next) return true;
        path ts = {sp, cond ? "then" : "else", SEG_CSTR, 0};
        return eval(c, next, inst, ip, &ts, an);
    }
    default:
        return true;
    }
}

static bool kw_num(ectx *c, const rn_js_kw *k, const json_t *inst, const path *ip, const path *sp)
{
    char b1[64], b2[64];
    int r = cmp_num(inst, &k->u.num);
    switch (k->op) {
    case RN_JS_OP_MINIMUM:
        if (r >= 0) return true;
        report(c, ip, sp, k->name, NULL, "%s is less than the minimum of %s",
               show(inst, b1, sizeof b1), show_num(&k->u.num, b2, sizeof b2));
        return false;
    case RN_JS_OP_EXCL_MINIMUM:
        if (r > 0) return true;
        report(c, ip, sp, k->name, NULL, "%s is less than or equal to the exclusive minimum of %s",
               show(inst, b1, sizeof b1), show_num(&k->u.num, b2, sizeof b2));
        return false;
    case RN_JS_OP_MAXIMUM:
        if (r <= 0) return true;
        report(c, ip, sp, k->name, NULL, "%s is greater than the maximum of %s",
               show(inst, b1, sizeof b1), show_num(&k->u.num, b2, sizeof b2));
        return false;
    case RN_JS_OP_EXCL_MAXIMUM:
        if (r < 0) return true;
        report(c, ip, sp, k->name, NULL,
               "%s is greater than or equal to the exclusive maximum of %s",
               show(inst, b1, sizeof b1), show_num(&k->u.num, b2, sizeof b2));
        return false;
    case RN_JS_OP_MULTIPLE_OF:
        if (multiple_of(inst, &k->u.num)) return true;
        report(c, ip, sp, k->name, NULL, "%s is not a multiple of %s", show(inst, b1, sizeof b1),
               show_num(&k->u.num, b2, sizeof b2));
        return false;
    default:
        return true;
    }
}

static bool kw_str(ectx *c, const rn_js_kw *k, const json_t *inst, const path *ip, const path *sp)
{
    char b1[96];
    const char *s = json_string_value(inst);
    size_t len = json_string_length(inst);
    switch (k->op) {
    case RN_JS_OP_MIN_LENGTH: {
        if (len >= k->u.count * 4) return true; /* a code point takes at most 4 bytes */
        size_t n = utf8_len(s, len);
        if (n >= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "%s is shorter than %zu character%s",
               show(inst, b1, sizeof b1), k->u.count, k->u.count == 1 ? "" : "s");
        return false;
    }
    case RN_JS_OP_MAX_LENGTH: {
        if (len <= k->u.count) return true; /* at most one code point per byte */
        size_t n = utf8_len(s, len);
        if (n <= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "%s is longer than %zu character%s",
               show(inst, b1, sizeof b1), k->u.count, k->u.count == 1 ? "" : "s");
        return false;
    }
    case RN_JS_OP_PATTERN: {
        int r = rn_jsonschema_regex_search(k->u.pattern.re, s, len);
        if (r == 1) return true;
        if (r < 0)
            report(c, ip, sp, k->name, NULL,
                   "%s could not be matched against the pattern \"%s\" (PCRE2 error %d)",
                   show(inst, b1, sizeof b1), k->u.pattern.src, r);
        else
            report(c, ip, sp, k->name, NULL, "%s does not match the pattern \"%s\"",
                   show(inst, b1, sizeof b1), k->u.pattern.src);
        return false;
    }
    case RN_JS_OP_FORMAT:
        if (rn_jsonschema_format_check(k->u.format.id, s, len)) return true;
        report(c, ip, sp, k->name, NULL, "%s is not a valid \"%s\"", show(inst, b1, sizeof b1),
               k->u.format.name);
        return false;
    default:
        return true;
    }
}

static bool kw_arr(ectx *c, const rn_js_kw *k, const json_t *inst, const path *ip, const path *sp,
                   annot *an)
{
    size_t n = json_array_size(inst);
    path ks = {sp, k->name, SEG_CSTR, 0};
    switch (k->op) {
    case RN_JS_OP_MIN_ITEMS:
        if (n >= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "array has %zu item%s, fewer than the minimum of %zu", n,
               n == 1 ? "" : "s", k->u.count);
        return false;
    case RN_JS_OP_MAX_ITEMS:
        if (n <= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "array has %zu items, more than the maximum of %zu", n,
               k->u.count);
        return false;
    case RN_JS_OP_UNIQUE_ITEMS: {
        size_t i, j;
        if (!find_duplicate(c, inst, &i, &j)) return !c->fatal;
        report(c, ip, sp, k->name, NULL, "array items %zu and %zu are equal", i, j);
        return false;
    }
    case RN_JS_OP_ITEMS: {
        bool ok = true;
        size_t np = k->u.items.nprefix;
        const rn_js_node *rest = k->u.items.rest;
        path pk = {sp, k->u.items.prefix_kw, SEG_CSTR, 0};
        path rk = {sp, k->u.items.rest_kw, SEG_CSTR, 0};
        for (size_t i = 0; i < n; i++) {
            const rn_js_node *s;
            path is = {&pk, NULL, 0, i};
            const path *at;
            if (i < np) {
                s = k->u.items.prefix[i];
                at = &is;
            } else if (rest) {
                s = rest;
                at = &rk;
                if (s->kind == RN_JS_NODE_FALSE) {
                    report(c, ip, sp, k->u.items.rest_kw, NULL,
                           "array has %zu items, more than the %zu allowed", n, np);
                    return false;
                }
            } else {
                break;
            }
            path ci = {ip, NULL, 0, i};
            if (!eval(c, s, json_array_get(inst, i), &ci, at, NULL)) {
                ok = false;
                if (!c->errs || c->fatal) return false;
            }
        }
        if (an) {
            size_t upto = rest ? n : (np < n ? np : n);
            for (size_t i = 0; i < upto; i++)
                mark(an, i);
        }
        return ok;
    }
    case RN_JS_OP_CONTAINS: {
        size_t cnt = 0, min = k->u.contains.min, max = k->u.contains.max;
        MUTE(c);
        for (size_t i = 0; i < n && !c->fatal; i++) {
            path ci = {ip, NULL, 0, i};
            if (eval(c, k->u.contains.sub, json_array_get(inst, i), &ci, &ks, NULL)) {
                cnt++;
                mark(an, i);
                if (!an && cnt >= min && (max == SIZE_MAX || cnt > max))
                    break; /* the verdict cannot change */
            }
        }
        UNMUTE(c);
        if (c->fatal) return false;
        if (cnt < min) {
            if (min == 1)
                report(c, ip, sp, "contains", NULL, "array has no item valid under contains");
            else
                report(c, ip, sp, "minContains", NULL,
                       "array has %zu item%s valid under contains, fewer than minContains %zu", cnt,
                       cnt == 1 ? "" : "s", min);
            return false;
        }
        if (cnt > max) {
            report(c, ip, sp, "maxContains", NULL,
                   "array has %zu items valid under contains, more than maxContains %zu", cnt, max);
            return false;
        }
        return true;
    }
    case RN_JS_OP_UNEVAL_ITEMS: {
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            if (marked(an, i)) continue;
            if (k->u.sub->kind == RN_JS_NODE_FALSE) {
                report(c, ip, sp, k->name, NULL, "unevaluated item %zu is not allowed", i);
                return false;
            }
            path ci = {ip, NULL, 0, i};
            if (eval(c, k->u.sub, json_array_get(inst, i), &ci, &ks, NULL)) {
                mark(an, i);
            } else {
                ok = false;
                if (!c->errs || c->fatal) return false;
            }
        }
        return ok;
    }
    default:
        return true;
    }
}

static bool kw_obj(ectx *c, const rn_js_kw *k, const json_t *inst, const path *ip, const path *sp,
                   annot *an)
{
    char b1[96];
    path ks = {sp, k->name, SEG_CSTR, 0};
    const char *key;
    size_t klen;
    json_t *val;
    switch (k->op) {
    case RN_JS_OP_MIN_PROPS: {
        size_t n = json_object_size(inst);
        if (n >= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "object has %zu propert%s, fewer than the minimum of %zu",
               n, n == 1 ? "y" : "ies", k->u.count);
        return false;
    }
    case RN_JS_OP_MAX_PROPS: {
        size_t n = json_object_size(inst);
        if (n <= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "object has %zu properties, more than the maximum of %zu",
               n, k->u.count);
        return false;
    }
    case RN_JS_OP_REQUIRED: {
        bool ok = true;
        for (size_t i = 0; i < k->u.required.n; i++) {
            const rn_js_str *r = &k->u.required.names[i];
            if (json_object_getn(inst, r->s, r->len)) continue;
            report(c, ip, sp, k->name, NULL, "required property \"%.*s\" is missing", (int)r->len,
                   r->s);
            ok = false;
            if (!c->errs) return false;
        }
        return ok;
    }
    case RN_JS_OP_DEPENDENT: {
        bool ok = true;
        for (size_t i = 0; i < k->u.dependent.n; i++) {
            const rn_js_dep *d = &k->u.dependent.deps[i];
            if (!json_object_getn(inst, d->name, d->len)) continue;
            if (d->node) {
                path dk = {sp, d->kw, SEG_CSTR, 0};
                path dn = {&dk, d->name, d->len, 0};
                if (!eval(c, d->node, inst, ip, &dn, an)) {
                    ok = false;
                    if (!c->errs || c->fatal) return false;
                }
                continue;
            }
            for (size_t j = 0; j < d->nnames; j++) {
                if (json_object_getn(inst, d->names[j].s, d->names[j].len)) continue;
                path dk = {sp, d->kw, SEG_CSTR, 0};
                path dn = {&dk, d->name, d->len, 0};
                report(c, ip, sp, d->kw, &dn, "property \"%.*s\" requires property \"%.*s\"",
                       (int)d->len, d->name, (int)d->names[j].len, d->names[j].s);
                ok = false;
                if (!c->errs) return false;
            }
        }
        return ok;
    }
    case RN_JS_OP_PROPNAMES: {
        const rn_js_node *s = k->u.sub;
        if (s->kind == RN_JS_NODE_TRUE) return true;
        bool ok = true;
        json_object_keylen_foreach(rn_js_unconst(inst), key, klen, val)
        {
            if (s->kind == RN_JS_NODE_FALSE) {
                report(c, ip, sp, k->name, NULL, "property name \"%.*s\" is not allowed",
                       (int)(klen > 64 ? 64 : klen), key);
                return false;
            }
            json_t *name = json_stringn_nocheck(key, klen);
            if (!name) {
                c->fatal = RN_ENOMEM;
                return false;
            }
            bool r = eval(c, s, name, ip, &ks, NULL);
            json_decref(name);
            if (!r) {
                ok = false;
                if (!c->errs || c->fatal) return false;
            }
        }
        return ok;
    }
    case RN_JS_OP_PROPS: {
        bool ok = true;
        size_t i = 0;
        const rn_js_node *addl = k->u.props.additional;
        json_object_keylen_foreach(rn_js_unconst(inst), key, klen, val)
        {
            bool matched = false;
            path ci = {ip, key, klen, 0};
            const rn_js_prop *p = find_prop(k, key, klen);
            if (p) {
                matched = true;
                path pk = {sp, "properties", SEG_CSTR, 0};
                path pn = {&pk, p->name, p->len, 0};
                if (p->node->kind == RN_JS_NODE_FALSE) {
                    report(c, ip, sp, "properties", &pn, "property \"%.*s\" is not allowed",
                           (int)(klen > 64 ? 64 : klen), key);
                    ok = false;
                } else if (!eval(c, p->node, val, &ci, &pn, NULL)) {
                    ok = false;
                }
                if (!ok && (!c->errs || c->fatal)) return false;
            }
            for (size_t j = 0; j < k->u.props.npats; j++) {
                const rn_js_pattern *pt = &k->u.props.pats[j];
                int r = rn_jsonschema_regex_search(pt->re, key, klen);
                if (r <= 0) continue;
                matched = true;
                path pk = {sp, "patternProperties", SEG_CSTR, 0};
                path pn = {&pk, pt->src, SEG_CSTR, 0};
                if (pt->node->kind == RN_JS_NODE_FALSE) {
                    report(c, ip, sp, "patternProperties", &pn,
                           "property \"%.*s\" is not allowed (it matches \"%s\")",
                           (int)(klen > 64 ? 64 : klen), key, pt->src);
                    ok = false;
                } else if (!eval(c, pt->node, val, &ci, &pn, NULL)) {
                    ok = false;
                }
                if (!ok && (!c->errs || c->fatal)) return false;
            }
            if (!matched && addl) {
                matched = true;
                path ak = {sp, "additionalProperties", SEG_CSTR, 0};
                if (addl->kind == RN_JS_NODE_FALSE) {
                    report(c, ip, sp, "additionalProperties", NULL,
                           "additional property \"%.*s\" is not allowed",
                           (int)(klen > 64 ? 64 : klen), key);
                    ok = false;
                } else if (!eval(c, addl, val, &ci, &ak, NULL)) {
                    ok = false;
                }
                if (!ok && (!c->errs || c->fatal)) return false;
            }
            if (matched) mark(an, i);
            i++;
        }
        (void)b1;
        return ok;
    }
    case RN_JS_OP_UNEVAL_PROPS: {
        bool ok = true;
        size_t i = 0;
        json_object_keylen_foreach(rn_js_unconst(inst), key, klen, val)
        {
            if (!marked(an, i)) {
                if (k->u.sub->kind == RN_JS_NODE_FALSE) {
                    report(c, ip, sp, k->name, NULL, "unevaluated property \"%.*s\" is not allowed",
                           (int)(klen > 64 ? 64 : klen), key);
                    ok = false;
                    if (!c->errs) return false;
                } else {
                    path ci = {ip, key, klen, 0};
                    if (eval(c, k->u.sub, val, &ci, &ks, NULL)) {
                        mark(an, i);
                    } else {
                        ok = false;
                        if (!c->errs || c->fatal) return false;
                    }
                }
            }
            i++;
        }
        return ok;
    }
    default:
        return true;
    }
}

/* ------------------------------------------------------------------ nodes */

static bool eval(ectx *c, const rn_js_node *n, const json_t *inst, const path *ip, const path *sp,
                 annot *an)
{
    if (n->kind == RN_JS_NODE_TRUE) return true;
    if (n->kind == RN_JS_NODE_FALSE) {
        report(c, ip, sp, "false", sp, "no value is allowed here (the schema is false)");
        return false;
    }
    if (c->fatal) return false;
    if (c->depth >= MAX_DEPTH) {
        c->fatal = RN_ERANGE;
        report_fatal(
            c, ip, sp, "$ref",
            "evaluation nested deeper than %d levels (a $ref cycle or a too deep instance)",
            MAX_DEPTH);
        return false;
    }
    c->depth++;
    int saved_nscope = c->nscope;
    if (c->nscope == 0 || c->scope[c->nscope - 1] != n->res)
        c->scope[c->nscope++] = n->res; /* nscope <= depth < MAX_DEPTH */
    unsigned t = rn_js_type_of(inst);
    annot local;
    annot *a = an;
    bool ok = true;
    if ((t == RN_JS_T_OBJ && n->uneval_props) || (t == RN_JS_T_ARR && n->uneval_items)) {
        if (!annot_init(c, &local,
                        t == RN_JS_T_OBJ ? json_object_size(inst) : json_array_size(inst))) {
            ok = false;
            goto out;
        }
        a = &local;
    }
    for (uint16_t i = 0; i < n->nkw[RN_JS_C_ANY]; i++) {
        if (!kw_any(c, &n->kw[RN_JS_C_ANY][i], inst, t, ip, sp, a)) {
            ok = false;
            if (!c->errs || c->fatal) goto done;
        }
    }
    switch (t) {
    case RN_JS_T_INT:
    case RN_JS_T_FRAC:
        for (uint16_t i = 0; i < n->nkw[RN_JS_C_NUM]; i++) {
            if (!kw_num(c, &n->kw[RN_JS_C_NUM][i], inst, ip, sp)) {
                ok = false;
                if (!c->errs) goto done;
            }
        }
        break;
    case RN_JS_T_STR:
        for (uint16_t i = 0; i < n->nkw[RN_JS_C_STR]; i++) {
            if (!kw_str(c, &n->kw[RN_JS_C_STR][i], inst, ip, sp)) {
                ok = false;
                if (!c->errs) goto done;
            }
        }
        break;
    case RN_JS_T_ARR:
        for (uint16_t i = 0; i < n->nkw[RN_JS_C_ARR]; i++) {
            if (!kw_arr(c, &n->kw[RN_JS_C_ARR][i], inst, ip, sp, a)) {
                ok = false;
                if (!c->errs || c->fatal) goto done;
            }
        }
        break;
    case RN_JS_T_OBJ:
        for (uint16_t i = 0; i < n->nkw[RN_JS_C_OBJ]; i++) {
            if (!kw_obj(c, &n->kw[RN_JS_C_OBJ][i], inst, ip, sp, a)) {
                ok = false;
                if (!c->errs || c->fatal) goto done;
            }
        }
        break;
    default:
        break;
    }
done:
    if (a == &local) {
        if (ok && an) merge(an, &local);
        annot_fini(&local);
    }
out:
    c->nscope = saved_nscope;
    c->depth--;
    return ok && !c->fatal;
}

int rn_jsonschema_eval_root(const rn_jsonschema *s, const json_t *instance,
                            rn_jsonschema_errors *errs)
{
    if (errs) {
        errs->n = 0;
        errs->truncated = false;
    }
    if (!s || !instance) return RN_EINVAL;
    ectx c; /* not zeroed as a whole: the scope array is written before it is read */
    c.errs = errs;
    c.out = errs;
    c.depth = 0;
    c.fatal = 0;
    c.nscope = 0;
    bool ok = eval(&c, s->root, instance, NULL, NULL, NULL);
    if (c.fatal) return c.fatal;
    if (ok) return RN_OK;
    if (errs && errs->n == 0) {
        /* every failure reports; this is a safety net */
        errs->n = 1;
        memset(&errs->e[0], 0, sizeof errs->e[0]);
        snprintf(errs->e[0].message, sizeof errs->e[0].message, "instance is not valid");
    }
    return RN_EINVAL;
}
