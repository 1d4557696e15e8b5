/*
 * registry/jsonschema_eval.c - validates an instance (an rn_jval document, common/jdoc.h)
 * against a compiled schema (the node graph of jsonschema_int.h).
 *
 * Evaluation is a recursive walk of (node, instance location). It allocates nothing in
 * the common case: instance and keyword paths are chains of stack frames, rendered into
 * text only when an error is reported; the dynamic scope ($dynamicRef) is an array in the
 * evaluation context; values are compared with the "const" and "enum" values the compiler
 * converted to rn_jval.
 * Exceptions: annotation sets for objects with more than 256 properties or arrays with
 * more than 256 items (only under unevaluated*), and uniqueItems on more than 16 items (a
 * hash sort).
 *
 * Errors: while the caller collects errors, evaluation goes on after a failure to find
 * more (up to RN_JSONSCHEMA_MAX_ERRORS); when it does not, or inside a subschema whose
 * failure is not itself an error (anyOf/oneOf branches, not, if, contains), errors are
 * muted and the first failure ends the evaluation of that subschema.
 *
 * Annotations (2020-12 unevaluatedProperties/unevaluatedItems): a node with one of them
 * collects, for the instance at hand, which properties (by member position) or items
 * were evaluated by its keywords and in-place subschemas ($ref, allOf, the passing anyOf
 * and oneOf branches, if/then/else, dependentSchemas). Nodes without them pass their
 * caller's set down (or none), so schemas that never use unevaluated* pay nothing.
 *
 * Strings and member names are len bytes (they may hold U+0000): nothing here uses
 * strlen on them.
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
#define SEG_CSTR  ((size_t)-1) /* path segment length: NUL-terminated */

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
    int fatal;   /* RN_ERANGE or RN_ENOMEM: stop everything */
    bool scoped; /* keep the dynamic scope (the schema has a $dynamicRef that reads it) */
    /* The dynamic scope: resources entered, outermost first (a resource is pushed when
     * evaluation enters a node of another resource than the innermost one). */
    const rn_js_resource *scope[MAX_DEPTH];
    int nscope;
} ectx;

static bool eval(ectx *c, const rn_js_node *n, const rn_jval *inst, const path *ip, const path *sp,
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
static const char *show(const rn_jval *v, char *buf, size_t cap)
{
    switch (v->type) {
    case RN_JARRAY:
        snprintf(buf, cap, "an array");
        return buf;
    case RN_JOBJECT:
        snprintf(buf, cap, "an object");
        return buf;
    case RN_JSTRING:
        break;
    default:
        rn_jval_dump(v, buf, cap);
        return buf;
    }
    /* "text" or "text...": at most 48 bytes of the string, printed as JSON, never cutting
     * a UTF-8 sequence; fewer if the escaped text would not fit buf */
    size_t n = v->len < 48 ? v->len : 48;
    for (;;) {
        while (n > 0 && n < v->len && ((unsigned char)v->u.s[n] & 0xC0) == 0x80)
            n--;
        rn_jval part = *v;
        part.len = (uint32_t)n;
        bool cut = n < v->len;
        size_t len = rn_jval_dump(&part, buf, cap); /* ends in the closing quote */
        if (len + (cut ? 3 : 0) < cap) {
            if (cut) memcpy(buf + len - 1, "...\"", 5);
            return buf;
        }
        n = n > 8 ? n - 8 : 0;
    }
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

static inline long double num_ld(const rn_jval *v)
{
    return v->type == RN_JINT ? (long double)v->u.i : (long double)v->u.d;
}

/* Compares a number instance with a keyword's number: -1, 0, 1. Exact. */
static int cmp_num(const rn_jval *x, const rn_js_num *lim)
{
    if (x->type == RN_JINT) {
        if (lim->is_int) return (x->u.i > lim->i) - (x->u.i < lim->i);
    } else if (!lim->is_int || (lim->i >= -(1LL << 53) && lim->i <= (1LL << 53))) {
        /* a double and a double (or an integer a double holds exactly) */
        double a = x->u.d, b = lim->is_int ? (double)lim->i : lim->d;
        return (a > b) - (a < b);
    }
    long double a = num_ld(x);
    long double b = lim->is_int ? (long double)lim->i : (long double)lim->d;
    return (a > b) - (a < b);
}

static bool multiple_of(const rn_jval *x, const rn_js_num *m)
{
    if (x->type == RN_JINT && m->is_int) return x->u.i % m->i == 0; /* m->i > 0: no INT_MIN % -1 */
    double a = x->type == RN_JINT ? (double)x->u.i : x->u.d;
    double q = a / m->d;
    if (!isfinite(q)) return fmod(a, m->d) == 0;
    /* tolerate the rounding of the division (0.0075 / 0.0001 = 74.99999999999999) */
    return fabs(q - nearbyint(q)) <= 8 * DBL_EPSILON * fabs(q);
}

/* Code points in a string value: its length when it is ASCII. */
static size_t str_chars(const rn_jval *v)
{
    if (v->flags & RN_JSTR_ASCII) return v->len;
    size_t n = 0;
    for (size_t i = 0; i < v->len; i++)
        n += ((unsigned char)v->u.s[i] & 0xC0) != 0x80;
    return n;
}

/* The member of object o named key (klen bytes), or NULL. Members often come in the order
 * they are asked for (required names, another object's members): position *hint is tried
 * first, and *hint is left just after the member found. A linear scan otherwise. */
static inline const rn_jval *find_member(const rn_jval *o, const char *key, size_t klen,
                                         uint32_t *hint)
{
    const rn_jmember *m = o->u.members;
    uint32_t n = o->len, h = *hint;
    if (h < n && m[h].key_len == klen && rn_js_bytes_eq(m[h].key, key, klen)) {
        *hint = h + 1;
        return &m[h].val;
    }
    for (uint32_t i = 0; i < n; i++)
        if (m[i].key_len == klen && rn_js_bytes_eq(m[i].key, key, klen)) {
            *hint = i + 1;
            return &m[i].val;
        }
    return NULL;
}

/* JSON Schema equality: numbers by value (1 == 1.0), objects regardless of member order,
 * arrays in order, strings byte for byte. */
static bool jeq_objects(const rn_jval *a, const rn_jval *b);

static bool jeq(const rn_jval *a, const rn_jval *b)
{
    if (a == b) return true;
    if (a->type != b->type) {
        bool na = a->type == RN_JINT || a->type == RN_JREAL;
        bool nb = b->type == RN_JINT || b->type == RN_JREAL;
        return na && nb && num_ld(a) == num_ld(b); /* an integer and a real */
    }
    switch (a->type) {
    case RN_JNULL:
        return true;
    case RN_JBOOL:
        return !a->u.b == !b->u.b;
    case RN_JINT:
        return a->u.i == b->u.i;
    case RN_JREAL:
        return a->u.d == b->u.d;
    case RN_JSTRING:
        return a->len == b->len && rn_js_bytes_eq(a->u.s, b->u.s, a->len);
    case RN_JARRAY:
        if (a->len != b->len) return false;
        for (uint32_t i = 0; i < a->len; i++)
            if (!jeq(&a->u.items[i], &b->u.items[i])) return false;
        return true;
    default:
        return jeq_objects(a, b);
    }
}

static int member_name_cmp(const void *x, const void *y)
{
    const rn_jmember *a = *(const rn_jmember *const *)x, *b = *(const rn_jmember *const *)y;
    if (a->key_len != b->key_len) return a->key_len < b->key_len ? -1 : 1;
    return memcmp(a->key, b->key, a->key_len);
}

/* jeq for two objects. Members in the same order (the usual case) are compared in one
 * pass. Otherwise a few remaining members are looked up one by one; many are sorted by
 * name on both sides and merged, so that two large objects with their members in another
 * order cost O(n log n), not O(n^2) (a producer could otherwise stall the broker with
 * uniqueItems over big objects). The sort's scratch comes from malloc; if that fails, the
 * one-by-one lookup still gives the right answer, only slower. */
static bool jeq_objects(const rn_jval *a, const rn_jval *b)
{
    if (a->len != b->len) return false;
    const rn_jmember *ma = a->u.members, *mb = b->u.members;
    uint32_t n = a->len, i = 0;
    for (; i < n; i++) {
        if (ma[i].key_len != mb[i].key_len || !rn_js_bytes_eq(ma[i].key, mb[i].key, ma[i].key_len))
            break;
        if (!jeq(&ma[i].val, &mb[i].val)) return false;
    }
    if (i == n) return true;
    uint32_t rest = n - i;
    const rn_jmember **pa = rest > 16 ? malloc(2 * (size_t)rest * sizeof *pa) : NULL;
    if (!pa) {
        /* names are unique, so a name of a[i..] cannot be one of b[0..i) */
        uint32_t hint = i;
        for (; i < n; i++) {
            const rn_jval *w = find_member(b, ma[i].key, ma[i].key_len, &hint);
            if (!w || !jeq(&ma[i].val, w)) return false;
        }
        return true;
    }
    const rn_jmember **pb = pa + rest;
    for (uint32_t k = 0; k < rest; k++) {
        pa[k] = &ma[i + k];
        pb[k] = &mb[i + k];
    }
    qsort(pa, rest, sizeof *pa, member_name_cmp);
    qsort(pb, rest, sizeof *pb, member_name_cmp);
    bool eq = true;
    for (uint32_t k = 0; k < rest && eq; k++)
        eq = !member_name_cmp(&pa[k], &pb[k]) && jeq(&pa[k]->val, &pb[k]->val);
    free(pa);
    return eq;
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
static uint64_t jhash(const rn_jval *v)
{
    switch (v->type) {
    case RN_JINT:
    case RN_JREAL: {
        double d = v->type == RN_JINT ? (double)v->u.i : v->u.d;
        if (d == 0) d = 0; /* -0.0 */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix64(bits ^ 0x1234);
    }
    case RN_JSTRING:
        return hash_bytes(v->u.s, v->len);
    case RN_JARRAY: {
        uint64_t h = 0xa5a5;
        for (uint32_t i = 0; i < v->len; i++)
            h = mix64(h ^ jhash(&v->u.items[i]));
        return h;
    }
    case RN_JOBJECT: {
        uint64_t h = 0x5a5a;
        for (uint32_t i = 0; i < v->len; i++) {
            const rn_jmember *m = &v->u.members[i];
            h += mix64(hash_bytes(m->key, m->key_len) ^ jhash(&m->val)); /* order-independent */
        }
        return h;
    }
    case RN_JBOOL:
        return v->u.b ? 1 : 2;
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
static bool find_duplicate(ectx *c, const rn_jval *arr, size_t *i, size_t *j)
{
    size_t n = arr->len;
    const rn_jval *it = arr->u.items;
    if (n <= 16) {
        for (size_t a = 0; a < n; a++)
            for (size_t b = a + 1; b < n; b++)
                if (jeq(&it[a], &it[b])) {
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
        h[a].h = jhash(&it[a]);
        h[a].i = a;
    }
    qsort(h, n, sizeof *h, cmp_hidx);
    bool dup = false;
    for (size_t a = 0; a < n && !dup; a++)
        for (size_t b = a + 1; b < n && h[b].h == h[a].h && !dup; b++)
            if (jeq(&it[h[a].i], &it[h[b].i])) {
                *i = h[a].i < h[b].i ? h[a].i : h[b].i;
                *j = h[a].i < h[b].i ? h[b].i : h[a].i;
                dup = true;
            }
    free(h);
    return dup;
}

/* The property of a properties keyword named key, or NULL. hint: the index in props
 * expected (instance members tend to follow the schema's order), tried before hashing. */
static inline const rn_js_prop *find_prop(const rn_js_kw *k, const char *key, size_t len,
                                          size_t hint)
{
    size_t np = k->u.props.nprops;
    if (!np) return NULL;
    const rn_js_prop *props = k->u.props.props;
    if (hint < np && props[hint].len == len && rn_js_bytes_eq(props[hint].name, key, len))
        return &props[hint];
    uint32_t h = rn_js_hash(key, len);
    for (uint32_t i = h & k->u.props.mask;; i = (i + 1) & k->u.props.mask) {
        uint32_t e = k->u.props.table[i];
        if (!e) return NULL;
        const rn_js_prop *p = &props[e - 1];
        if (p->hash == h && p->len == len && rn_js_bytes_eq(p->name, key, len)) return p;
    }
}

/* ------------------------------------------------------------------ keywords */

#define MUTE(c)                                                                                    \
    rn_jsonschema_errors *muted_ = (c)->errs;                                                      \
    (c)->errs = NULL
#define UNMUTE(c) (c)->errs = muted_

/* Whether errors are being collected: messages are formatted only then. */
#define COLLECTING(c) ((c)->errs && !(c)->fatal)

/* Evaluates n in a branch whose failure is not final: annotations (if collected) are kept
 * only if n passes. */
static bool eval_branch(ectx *c, const rn_js_node *n, const rn_jval *inst, const path *ip,
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

/* Reports the failure of one of the keywords eval() checks itself (type, const, enum,
 * numbers, strings, format); r is the PCRE2 code of a pattern that could not be matched.
 * Out of line and cold: valid instances never get here, and while errors are not
 * collected it formats nothing. Returns false. */
__attribute__((noinline, cold)) static bool
fail_simple(ectx *c, const rn_js_kw *k, const rn_jval *inst, const path *ip, const path *sp, int r)
{
    if (!COLLECTING(c)) return false;
    char b1[96], b2[96];
    show(inst, b1, sizeof b1);
    switch (k->op) {
    case RN_JS_OP_TYPE:
        types_text(k->u.types, b2, sizeof b2);
        report(c, ip, sp, "type", NULL, "%s is not of type %s", b1, b2);
        break;
    case RN_JS_OP_CONST:
        report(c, ip, sp, "const", NULL, "%s is not equal to the constant %s", b1,
               show(k->u.value, b2, sizeof b2));
        break;
    case RN_JS_OP_ENUM:
        report(c, ip, sp, "enum", NULL, "%s is not one of the allowed values", b1);
        break;
    case RN_JS_OP_MINIMUM:
        report(c, ip, sp, k->name, NULL, "%s is less than the minimum of %s", b1,
               show_num(&k->u.num, b2, sizeof b2));
        break;
    case RN_JS_OP_EXCL_MINIMUM:
        report(c, ip, sp, k->name, NULL, "%s is less than or equal to the exclusive minimum of %s",
               b1, show_num(&k->u.num, b2, sizeof b2));
        break;
    case RN_JS_OP_MAXIMUM:
        report(c, ip, sp, k->name, NULL, "%s is greater than the maximum of %s", b1,
               show_num(&k->u.num, b2, sizeof b2));
        break;
    case RN_JS_OP_EXCL_MAXIMUM:
        report(c, ip, sp, k->name, NULL,
               "%s is greater than or equal to the exclusive maximum of %s", b1,
               show_num(&k->u.num, b2, sizeof b2));
        break;
    case RN_JS_OP_MULTIPLE_OF:
        report(c, ip, sp, k->name, NULL, "%s is not a multiple of %s", b1,
               show_num(&k->u.num, b2, sizeof b2));
        break;
    case RN_JS_OP_MIN_LENGTH:
        report(c, ip, sp, k->name, NULL, "%s is shorter than %zu character%s", b1, k->u.count,
               k->u.count == 1 ? "" : "s");
        break;
    case RN_JS_OP_MAX_LENGTH:
        report(c, ip, sp, k->name, NULL, "%s is longer than %zu character%s", b1, k->u.count,
               k->u.count == 1 ? "" : "s");
        break;
    case RN_JS_OP_PATTERN:
        if (r < 0)
            report(c, ip, sp, k->name, NULL,
                   "%s could not be matched against the pattern \"%s\" (PCRE2 error %d)", b1,
                   k->u.pattern.src, r);
        else
            report(c, ip, sp, k->name, NULL, "%s does not match the pattern \"%s\"", b1,
                   k->u.pattern.src);
        break;
    case RN_JS_OP_FORMAT:
        report(c, ip, sp, k->name, NULL, "%s is not a valid \"%s\"", b1, k->u.format.name);
        break;
    default:
        break;
    }
    return false;
}

/* Whether inst equals one of the values of an enum (an array value). */
static inline bool in_enum(const rn_jval *inst, const rn_jval *values)
{
    const rn_jval *v = values->u.items;
    if (inst->type == RN_JSTRING) { /* the common enum: strings, compared right here */
        for (uint32_t i = 0; i < values->len; i++)
            if (v[i].type == RN_JSTRING && v[i].len == inst->len &&
                rn_js_bytes_eq(v[i].u.s, inst->u.s, inst->len))
                return true;
        return false;
    }
    for (uint32_t i = 0; i < values->len; i++)
        if (jeq(inst, &v[i])) return true;
    return false;
}

/* The in-place applicators other than "$ref": "$dynamicRef", allOf, anyOf, oneOf, not, if. */
__attribute__((noinline)) static bool kw_apply(ectx *c, const rn_js_kw *k, const rn_jval *inst,
                                               const path *ip, const path *sp, annot *an)
{
    char b1[96];
    path ks = {sp, k->name, SEG_CSTR, 0};
    switch (k->op) {
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
        if (!any && COLLECTING(c))
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
        if (COLLECTING(c) && nvalid == 0)
            report(c, ip, sp, "oneOf", NULL, "%s is not valid under any of the schemas in oneOf",
                   show(inst, b1, sizeof b1));
        else if (COLLECTING(c) && nvalid > 1)
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
        if (ok && COLLECTING(c))
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

__attribute__((noinline)) static bool kw_arr(ectx *c, const rn_js_kw *k, const rn_jval *inst,
                                             const path *ip, const path *sp, annot *an)
{
    size_t n = inst->len;
    const rn_jval *items = inst->u.items;
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
            if (!eval(c, s, &items[i], &ci, at, NULL)) {
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
            if (eval(c, k->u.contains.sub, &items[i], &ci, &ks, NULL)) {
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
            if (eval(c, k->u.sub, &items[i], &ci, &ks, NULL)) {
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

/* The key of member m for messages: at most 64 bytes. */
#define KEY_ARGS(m) (int)((m)->key_len > 64 ? 64 : (m)->key_len), (m)->key

__attribute__((noinline)) static bool kw_obj(ectx *c, const rn_js_kw *k, const rn_jval *inst,
                                             const path *ip, const path *sp, annot *an)
{
    path ks = {sp, k->name, SEG_CSTR, 0};
    const rn_jmember *members = inst->u.members;
    uint32_t nm = inst->len;
    switch (k->op) {
    case RN_JS_OP_MIN_PROPS: {
        size_t n = nm;
        if (n >= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "object has %zu propert%s, fewer than the minimum of %zu",
               n, n == 1 ? "y" : "ies", k->u.count);
        return false;
    }
    case RN_JS_OP_MAX_PROPS: {
        size_t n = nm;
        if (n <= k->u.count) return true;
        report(c, ip, sp, k->name, NULL, "object has %zu properties, more than the maximum of %zu",
               n, k->u.count);
        return false;
    }
    case RN_JS_OP_REQUIRED: {
        bool ok = true;
        uint32_t hint = 0;
        for (size_t i = 0; i < k->u.required.n; i++) {
            const rn_js_str *r = &k->u.required.names[i];
            if (find_member(inst, r->s, r->len, &hint)) continue;
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
            if (!rn_jval_get(inst, d->name, d->len)) continue;
            if (d->node) {
                path dk = {sp, d->kw, SEG_CSTR, 0};
                path dn = {&dk, d->name, d->len, 0};
                if (!eval(c, d->node, inst, ip, &dn, an)) {
                    ok = false;
                    if (!c->errs || c->fatal) return false;
                }
                continue;
            }
            uint32_t hint = 0;
            for (size_t j = 0; j < d->nnames; j++) {
                if (find_member(inst, d->names[j].s, d->names[j].len, &hint)) continue;
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
        for (uint32_t i = 0; i < nm; i++) {
            const rn_jmember *m = &members[i];
            if (s->kind == RN_JS_NODE_FALSE) {
                report(c, ip, sp, k->name, NULL, "property name \"%.*s\" is not allowed",
                       KEY_ARGS(m));
                return false;
            }
            /* the name as a string value, on the stack */
            rn_jval name = {.type = RN_JSTRING,
                            .flags = (uint8_t)(m->key_flags & RN_JSTR_ASCII),
                            .len = m->key_len,
                            .u.s = m->key};
            if (!eval(c, s, &name, ip, &ks, NULL)) {
                ok = false;
                if (!c->errs || c->fatal) return false;
            }
        }
        return ok;
    }
    case RN_JS_OP_PROPS: {
        bool ok = true;
        const rn_js_node *addl = k->u.props.additional;
        size_t hint = 0; /* the schema property expected next */
        path pk = {sp, "properties", SEG_CSTR, 0};
        for (uint32_t i = 0; i < nm; i++) {
            const rn_jmember *m = &members[i];
            const char *key = m->key;
            size_t klen = m->key_len;
            bool matched = false;
            path ci = {ip, key, klen, 0};
            const rn_js_prop *p = find_prop(k, key, klen, hint);
            if (p) {
                matched = true;
                hint = (size_t)(p - k->u.props.props) + 1;
                if (p->node->kind == RN_JS_NODE_FALSE) {
                    path pn = {&pk, p->name, p->len, 0};
                    report(c, ip, sp, "properties", &pn, "property \"%.*s\" is not allowed",
                           KEY_ARGS(m));
                    ok = false;
                } else if (p->node->kind == RN_JS_NODE_SCHEMA) {
                    path pn = {&pk, p->name, p->len, 0};
                    if (!eval(c, p->node, &m->val, &ci, &pn, NULL)) ok = false;
                }
                if (!ok && (!c->errs || c->fatal)) return false;
            }
            for (size_t j = 0; j < k->u.props.npats; j++) {
                const rn_js_pattern *pt = &k->u.props.pats[j];
                int r = pt->simple ? rn_js_simple_match(pt->simple, key, klen)
                                   : rn_jsonschema_regex_search(pt->re, pt->jit, key, klen);
                if (r <= 0) continue;
                matched = true;
                path tk = {sp, "patternProperties", SEG_CSTR, 0};
                path pn = {&tk, pt->src, SEG_CSTR, 0};
                if (pt->node->kind == RN_JS_NODE_FALSE) {
                    report(c, ip, sp, "patternProperties", &pn,
                           "property \"%.*s\" is not allowed (it matches \"%s\")", KEY_ARGS(m),
                           pt->src);
                    ok = false;
                } else if (!eval(c, pt->node, &m->val, &ci, &pn, NULL)) {
                    ok = false;
                }
                if (!ok && (!c->errs || c->fatal)) return false;
            }
            if (!matched && addl) {
                matched = true;
                path ak = {sp, "additionalProperties", SEG_CSTR, 0};
                if (addl->kind == RN_JS_NODE_FALSE) {
                    report(c, ip, sp, "additionalProperties", NULL,
                           "additional property \"%.*s\" is not allowed", KEY_ARGS(m));
                    ok = false;
                } else if (!eval(c, addl, &m->val, &ci, &ak, NULL)) {
                    ok = false;
                }
                if (!ok && (!c->errs || c->fatal)) return false;
            }
            if (matched) mark(an, i);
        }
        return ok;
    }
    case RN_JS_OP_UNEVAL_PROPS: {
        bool ok = true;
        for (uint32_t i = 0; i < nm; i++) {
            const rn_jmember *m = &members[i];
            if (marked(an, i)) continue;
            if (k->u.sub->kind == RN_JS_NODE_FALSE) {
                report(c, ip, sp, k->name, NULL, "unevaluated property \"%.*s\" is not allowed",
                       KEY_ARGS(m));
                ok = false;
                if (!c->errs) return false;
            } else {
                path ci = {ip, m->key, m->key_len, 0};
                if (eval(c, k->u.sub, &m->val, &ci, &ks, NULL)) {
                    mark(an, i);
                } else {
                    ok = false;
                    if (!c->errs || c->fatal) return false;
                }
            }
        }
        return ok;
    }
    default:
        return true;
    }
}

/* ------------------------------------------------------------------ nodes */

/* The keyword class of each rn_jtype (null and booleans have only RN_JS_C_ANY keywords). */
static const uint8_t jtype_class[] = {
    [RN_JNULL] = RN_JS_C_ANY,   [RN_JBOOL] = RN_JS_C_ANY,   [RN_JINT] = RN_JS_C_NUM,
    [RN_JREAL] = RN_JS_C_NUM,   [RN_JSTRING] = RN_JS_C_STR, [RN_JARRAY] = RN_JS_C_ARR,
    [RN_JOBJECT] = RN_JS_C_OBJ,
};

/* The RN_JS_T_* bits each rn_jtype may have (a real may be an integer: 1.0). */
static const uint8_t jtype_bits[] = {
    [RN_JNULL] = RN_JS_T_NULL,   [RN_JBOOL] = RN_JS_T_BOOL,  [RN_JINT] = RN_JS_T_INT,
    [RN_JREAL] = RN_JS_T_NUMBER, [RN_JSTRING] = RN_JS_T_STR, [RN_JARRAY] = RN_JS_T_ARR,
    [RN_JOBJECT] = RN_JS_T_OBJ,
};

__attribute__((noinline, cold)) static bool fail_false(ectx *c, const path *ip, const path *sp)
{
    report(c, ip, sp, "false", sp, "no value is allowed here (the schema is false)");
    return false;
}

__attribute__((noinline, cold)) static bool fail_depth(ectx *c, const path *ip, const path *sp)
{
    c->fatal = RN_ERANGE;
    report_fatal(c, ip, sp, "$ref",
                 "evaluation nested deeper than %d levels (a $ref cycle or a too deep instance)",
                 MAX_DEPTH);
    return false;
}

static bool eval(ectx *c, const rn_js_node *n, const rn_jval *inst, const path *ip, const path *sp,
                 annot *an)
{
    if (n->kind != RN_JS_NODE_SCHEMA) return n->kind == RN_JS_NODE_TRUE || fail_false(c, ip, sp);
    if (c->fatal) return false;
    if (c->depth >= MAX_DEPTH) return fail_depth(c, ip, sp);
    c->depth++;
    int saved_nscope = c->nscope;
    if (c->scoped && (c->nscope == 0 || c->scope[c->nscope - 1] != n->res))
        c->scope[c->nscope++] = n->res; /* nscope <= depth < MAX_DEPTH */
    unsigned cls = jtype_class[inst->type];
    annot local;
    annot *a = an;
    bool ok = true;
    if (__builtin_expect((cls == RN_JS_C_OBJ && n->uneval_props) ||
                             (cls == RN_JS_C_ARR && n->uneval_items),
                         0)) {
        if (!annot_init(c, &local, inst->len)) {
            ok = false;
            goto out;
        }
        a = &local;
    }
    const rn_js_kw *kws = n->kw[cls]; /* NULL when there are none */
    for (uint16_t i = 0, nk = n->nkw[cls]; i < nk; i++) {
        const rn_js_kw *k = &kws[i];
        /* the common keywords are checked right here; failures are reported out of line */
        switch (k->op) {
        case RN_JS_OP_TYPE: {
            /* a real is an "integer" only without a fraction: look only when it matters */
            unsigned m = k->u.types & jtype_bits[inst->type];
            if (m && (inst->type != RN_JREAL || m == RN_JS_T_NUMBER ||
                      (k->u.types & rn_js_type_of(inst))))
                continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        }
        case RN_JS_OP_CONST:
            if (jeq(inst, k->u.value)) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_ENUM:
            if (in_enum(inst, k->u.value)) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_REF: {
            path ks = {sp, k->name, SEG_CSTR, 0};
            if (eval(c, k->u.ref.target, inst, ip, &ks, a)) continue;
            break;
        }
        case RN_JS_OP_MINIMUM:
            if (cmp_num(inst, &k->u.num) >= 0) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_EXCL_MINIMUM:
            if (cmp_num(inst, &k->u.num) > 0) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_MAXIMUM:
            if (cmp_num(inst, &k->u.num) <= 0) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_EXCL_MAXIMUM:
            if (cmp_num(inst, &k->u.num) < 0) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_MULTIPLE_OF:
            if (multiple_of(inst, &k->u.num)) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_MIN_LENGTH:
            /* a code point takes at most 4 bytes */
            if (inst->len / 4 >= k->u.count || str_chars(inst) >= k->u.count) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_MAX_LENGTH:
            /* at most one code point per byte */
            if (inst->len <= k->u.count || str_chars(inst) <= k->u.count) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_PATTERN: {
            int r = k->u.pattern.simple
                        ? rn_js_simple_match(k->u.pattern.simple, inst->u.s, inst->len)
                        : rn_jsonschema_regex_search(k->u.pattern.re, k->u.pattern.jit, inst->u.s,
                                                     inst->len);
            if (r == 1) continue;
            fail_simple(c, k, inst, ip, sp, r);
            break;
        }
        case RN_JS_OP_FORMAT:
            if (rn_jsonschema_format_check(k->u.format.id, inst->u.s, inst->len)) continue;
            fail_simple(c, k, inst, ip, sp, 0);
            break;
        case RN_JS_OP_DYNREF:
        case RN_JS_OP_ALLOF:
        case RN_JS_OP_ANYOF:
        case RN_JS_OP_ONEOF:
        case RN_JS_OP_NOT:
        case RN_JS_OP_IF:
            if (kw_apply(c, k, inst, ip, sp, a)) continue;
            break;
        case RN_JS_OP_MIN_ITEMS:
        case RN_JS_OP_MAX_ITEMS:
        case RN_JS_OP_UNIQUE_ITEMS:
        case RN_JS_OP_ITEMS:
        case RN_JS_OP_CONTAINS:
        case RN_JS_OP_UNEVAL_ITEMS:
            if (kw_arr(c, k, inst, ip, sp, a)) continue;
            break;
        default:
            if (kw_obj(c, k, inst, ip, sp, a)) continue;
            break;
        }
        ok = false;
        if (!c->errs || c->fatal) break;
    }
    if (a == &local) {
        if (ok && an) merge(an, &local);
        annot_fini(&local);
    }
out:
    c->nscope = saved_nscope;
    c->depth--;
    return ok && !c->fatal;
}

int rn_jsonschema_validate_doc(const rn_jsonschema *s, const rn_jval *instance,
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
    c.scoped = s->dynamic;
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
