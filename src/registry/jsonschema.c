/*
 * registry/jsonschema.c - compiles a JSON Schema (draft-07 or 2020-12) into the node graph
 * that jsonschema_eval.c walks; see jsonschema.h for the API and jsonschema_int.h for the
 * compiled form.
 *
 * Compilation has two passes over each document:
 *  1. index: walk the schema keywords (only those that hold subschemas, so "$id" inside
 *     "enum", "const" or an unknown keyword is not an identifier), note for every subschema
 *     its resource (the nearest "$id", or the document), each resource's draft ("$schema")
 *     and vocabularies, and the anchors ("$anchor", "$dynamicAnchor", draft-07 "$id": "#a").
 *  2. compile: from the root, turn each reachable schema into a node, memoised by its
 *     json_t so "$ref" cycles become pointer cycles. "$ref" is resolved here: against the
 *     resources already indexed, then the embedded metaschemas, then the caller's resolver
 *     (a new document is indexed as soon as it is loaded).
 * Unreachable subschemas ("$defs" nobody references) are indexed but never compiled, so
 * their errors, if any, do not fail compilation.
 *
 * Layer: registry/; calls common/ (arena, err), jansson, PCRE2 via jsonschema_regex.c.
 * Threads: compilation uses only its own state; see jsonschema.h.
 */
#include "registry/jsonschema_int.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE_URI "urn:runnel:schema"
#define MAX_NEST         500 /* nesting of the index walk and of compile recursion */
#define MAX_DOCS         256 /* documents one compilation may load */
#define MAX_META_CHAIN   8   /* "$schema" -> metaschema -> "$schema" ... */

/* ------------------------------------------------------------------ pointer map */

/* Open-addressing map from a json_t pointer to a compile-time object. */
typedef struct pmap {
    const void **keys; /* from malloc() */
    void **vals;       /* from malloc() */
    size_t cap, n;
} pmap;

static size_t phash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void *pmap_get(const pmap *m, const void *k)
{
    if (!m->cap) return NULL;
    for (size_t i = phash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == k) return m->vals[i];
        if (!m->keys[i]) return NULL;
    }
}

/* Inserts k -> v unless k is present. Returns 0, or -1 on OOM. */
static int pmap_put(pmap *m, const void *k, void *v)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        const void **keys = calloc(cap, sizeof *keys);
        void **vals = calloc(cap, sizeof *vals);
        if (!keys || !vals) {
            free(keys);
            free(vals);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            size_t j = phash(m->keys[i]) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t i = phash(k) & (m->cap - 1);
    while (m->keys[i]) {
        if (m->keys[i] == k) return 0;
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = k;
    m->vals[i] = v;
    m->n++;
    return 0;
}

static void pmap_fini(pmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ compiler state */

/* An absolute URI (no fragment) naming a resource; several may name the same one (the
 * retrieval URI of a document and its root "$id"). */
typedef struct uri_ent {
    const char *uri; /* in the arena */
    rn_js_resource *res;
    struct uri_ent *next; /* in the arena */
} uri_ent;

/* Where a schema being compiled is, for error messages: a chain of path segments whose
 * first element carries a label ("uri#fragment" of a referenced schema, "" for the root
 * document) that the segments extend as a JSON Pointer. */
typedef struct cpath {
    const struct cpath *up;
    const char *label; /* chain root only */
    const char *seg;   /* NULL: idx */
    size_t idx;
} cpath;

typedef struct cc {
    rn_jsonschema *s;
    const rn_jsonschema_options *opts;
    rn_err *err;
    int rc;     /* first error, RN_OK while none */
    pmap where; /* schema json_t -> rn_js_resource containing it */
    pmap memo;  /* schema json_t -> rn_js_node */
    uri_ent *uris;
    rn_js_resource *resources;
    bool has_dynref;
    int depth;
} cc;

static size_t render_cpath(const cpath *p, char *buf, size_t cap)
{
    if (!p) return 0;
    size_t n = 0;
    if (p->up) {
        n = render_cpath(p->up, buf, cap);
    } else if (p->label && p->label[0]) {
        n = (size_t)snprintf(buf, cap, "%s", p->label);
        if (n >= cap) n = cap - 1;
    }
    if (p->up || !p->label) {
        char seg[64];
        const char *s = p->seg;
        if (!s) {
            snprintf(seg, sizeof seg, "%zu", p->idx);
            s = seg;
        }
        if (n + 1 < cap) buf[n++] = '/';
        for (; *s && n + 2 < cap; s++) {
            if (*s == '~' || *s == '/') {
                buf[n++] = '~';
                buf[n++] = *s == '~' ? '0' : '1';
            } else {
                buf[n++] = *s;
            }
        }
        buf[n] = '\0';
    }
    return n;
}

/* Records the first compile error ("<location>/<kw>: message") and returns its code. */
__attribute__((format(printf, 5, 6))) static int fail(cc *c, const cpath *at, const char *kw,
                                                      int code, const char *fmt, ...)
{
    if (c->rc != RN_OK) return c->rc;
    char where[160] = "";
    cpath k = {at, NULL, kw, 0};
    render_cpath(kw ? &k : at, where, sizeof where);
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->rc = rn_err_set(c->err, code, "%s: %s", where[0] ? where : "/", what);
    return c->rc;
}

static int oom(cc *c)
{
    if (c->rc == RN_OK)
        c->rc = rn_err_set(c->err, RN_ENOMEM, "out of memory compiling a JSON schema");
    return c->rc;
}

static void *aalloc(cc *c, size_t n)
{
    void *p = rn_arena_alloc(&c->s->arena, n ? n : 1);
    if (!p) oom(c);
    return p;
}

static const char *astrdup(cc *c, const char *s)
{
    char *p = rn_arena_strndup(&c->s->arena, s, strlen(s));
    if (!p) oom(c);
    return p;
}

/* A schema value that evaluation compares with instances ("const", "enum"), converted
 * once into the arena as an rn_jval; NULL after failing. */
static const rn_jval *instance_value(cc *c, const json_t *v, const cpath *at, const char *kw)
{
    const rn_jval *out;
    int rc = rn_jdoc_from_jansson(&c->s->arena, v, &out);
    if (rc == RN_ENOMEM) {
        oom(c);
        return NULL;
    }
    if (rc != RN_OK) {
        fail(c, at, kw, RN_EINVAL, "nests deeper than %d levels", RN_JDOC_MAX_DEPTH);
        return NULL;
    }
    return out;
}

static int keep_doc(cc *c, json_t *doc)
{
    json_t **d = realloc(c->s->docs, (c->s->ndocs + 1) * sizeof *d);
    if (!d) {
        json_decref(doc);
        return oom(c);
    }
    c->s->docs = d;
    d[c->s->ndocs++] = doc;
    return RN_OK;
}

static int keep_code(cc *c, pcre2_code *re)
{
    pcre2_code **d = realloc(c->s->codes, (c->s->ncodes + 1) * sizeof *d);
    if (!d) {
        pcre2_code_free(re);
        return oom(c);
    }
    c->s->codes = d;
    d[c->s->ncodes++] = re;
    return RN_OK;
}

/* ------------------------------------------------------------------ resources and URIs */

static rn_js_resource *find_uri(const cc *c, const char *uri)
{
    for (const uri_ent *e = c->uris; e; e = e->next)
        if (strcmp(e->uri, uri) == 0) return e->res;
    return NULL;
}

/* Names r by uri (the first resource to claim a URI keeps it). */
static int add_uri(cc *c, const char *uri, rn_js_resource *r)
{
    if (find_uri(c, uri)) return RN_OK;
    uri_ent *e = aalloc(c, sizeof *e);
    if (!e) return c->rc;
    e->uri = astrdup(c, uri);
    if (!e->uri) return c->rc;
    e->res = r;
    e->next = c->uris;
    c->uris = e;
    return RN_OK;
}

static rn_js_resource *new_resource(cc *c, const char *uri, const json_t *root, int draft,
                                    unsigned vocab)
{
    rn_js_resource *r = aalloc(c, sizeof *r);
    if (!r) return NULL;
    r->uri = astrdup(c, uri);
    if (!r->uri) return NULL;
    r->root = root;
    r->draft = draft;
    r->vocab = vocab;
    r->next = c->resources;
    c->resources = r;
    if (add_uri(c, uri, r) != RN_OK) return NULL;
    return r;
}

static int add_anchor(cc *c, rn_js_resource *r, const char *name, const json_t *node, bool dynamic)
{
    for (rn_js_anchor *a = r->anchors; a; a = a->next) {
        if (strcmp(a->name, name) == 0) {
            if (dynamic) a->dynamic = true; /* $anchor and $dynamicAnchor of the same name */
            return RN_OK;
        }
    }
    rn_js_anchor *a = aalloc(c, sizeof *a);
    if (!a) return c->rc;
    a->name = astrdup(c, name);
    if (!a->name) return c->rc;
    a->node = node;
    a->dynamic = dynamic;
    a->next = r->anchors;
    r->anchors = a;
    return RN_OK;
}

/* Strips a trailing empty fragment ("...schema#") in place. */
static void strip_empty_fragment(char *uri)
{
    size_t n = strlen(uri);
    if (n && uri[n - 1] == '#') uri[n - 1] = '\0';
}

static unsigned default_vocab(const cc *c, int draft)
{
    unsigned v = draft == 7 ? (RN_JS_V_APPLICATOR | RN_JS_V_VALIDATION) : RN_JS_V_ALL;
    if (c->opts->format_assert) v |= RN_JS_V_FORMAT_ASSERT;
    return v;
}

static int load_document(cc *c, const char *uri, int draft, const cpath *at, rn_js_resource **out);

/* The draft and vocabularies a "$schema" URI selects. Known drafts directly; any other
 * URI is loaded as a metaschema and read for "$vocabulary" and its own "$schema". */
static int dialect(cc *c, const char *schema_uri, const cpath *at, int nest, int *draft,
                   unsigned *vocab)
{
    char *u = strdup(schema_uri);
    if (!u) return oom(c);
    strip_empty_fragment(u);
    const char *p = u;
    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    int rc = RN_OK;
    if (strcmp(p, "json-schema.org/draft-07/schema") == 0 ||
        strcmp(p, "json-schema.org/draft-06/schema") == 0) {
        *draft = 7;
        *vocab = default_vocab(c, 7);
    } else if (strcmp(p, "json-schema.org/draft/2020-12/schema") == 0) {
        *draft = 2020;
        *vocab = default_vocab(c, 2020);
    } else if (strncmp(p, "json-schema.org/", 16) == 0) {
        rc = fail(c, at, "$schema", RN_EINVAL,
                  "unsupported dialect %s (draft-07 and 2020-12 are supported)", schema_uri);
    } else if (nest >= MAX_META_CHAIN) {
        rc = fail(c, at, "$schema", RN_EINVAL, "metaschema chain too long at %s", schema_uri);
    } else {
        rn_js_resource *r = find_uri(c, u);
        if (!r) rc = load_document(c, u, *draft, at, &r);
        if (rc == RN_OK) {
            const json_t *meta = r->root;
            const json_t *ms = json_object_get(meta, "$schema");
            if (!json_is_string(ms)) {
                rc = fail(c, at, "$schema", RN_EINVAL, "metaschema %s has no \"$schema\"", u);
            } else if (strcmp(json_string_value(ms), schema_uri) == 0) {
                rc = fail(c, at, "$schema", RN_EINVAL, "metaschema %s describes itself", u);
            } else {
                rc = dialect(c, json_string_value(ms), at, nest + 1, draft, vocab);
            }
            const json_t *vocabs = json_object_get(meta, "$vocabulary");
            if (rc == RN_OK && json_is_object(vocabs) && *draft == 2020) {
                unsigned v = 0;
                const char *k;
                const json_t *val;
                json_object_foreach(rn_js_unconst(vocabs), k, val)
                {
                    const char *base = "https://json-schema.org/draft/2020-12/vocab/";
                    const char *name =
                        strncmp(k, base, strlen(base)) == 0 ? k + strlen(base) : NULL;
                    if (name && strcmp(name, "applicator") == 0)
                        v |= RN_JS_V_APPLICATOR;
                    else if (name && strcmp(name, "unevaluated") == 0)
                        v |= RN_JS_V_UNEVALUATED;
                    else if (name && strcmp(name, "validation") == 0)
                        v |= RN_JS_V_VALIDATION;
                    else if (name && strcmp(name, "format-assertion") == 0)
                        v |= RN_JS_V_FORMAT_ASSERT; /* supported, so it asserts either way */
                    else if (name && (strcmp(name, "core") == 0 || strcmp(name, "meta-data") == 0 ||
                                      strcmp(name, "format-annotation") == 0 ||
                                      strcmp(name, "content") == 0))
                        ;
                    else if (json_is_true(val)) {
                        rc = fail(c, at, "$schema", RN_EINVAL,
                                  "metaschema %s requires unsupported vocabulary %s", u, k);
                        break;
                    }
                }
                if (c->opts->format_assert) v |= RN_JS_V_FORMAT_ASSERT;
                *vocab = v;
            }
        }
    }
    free(u);
    return rc;
}

/* ------------------------------------------------------------------ index pass */

static int walk(cc *c, const json_t *j, rn_js_resource *cur, bool doc_root, const cpath *at,
                int nest);

static int walk_child(cc *c, const json_t *j, rn_js_resource *cur, const cpath *at, const char *seg,
                      size_t idx, int nest)
{
    cpath p = {at, NULL, seg, idx};
    return walk(c, j, cur, false, &p, nest + 1);
}

static bool anchor_name_ok(const char *s)
{
    /* 2020-12: ^[A-Za-z_][-A-Za-z0-9._]*$ */
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* Notes j (a schema) and its subschemas in c->where, creating resources and anchors. cur
 * is the enclosing resource (for a document root: the resource named by its retrieval
 * URI, which a root "$id" renames). */
static int walk(cc *c, const json_t *j, rn_js_resource *cur, bool doc_root, const cpath *at,
                int nest)
{
    if (c->rc) return c->rc;
    if (nest > MAX_NEST) return fail(c, at, NULL, RN_EINVAL, "schema nested too deeply");
    if (!json_is_object(j)) {
        if (json_is_boolean(j) && pmap_put(&c->where, j, cur)) return oom(c);
        return RN_OK;
    }
    if (pmap_get(&c->where, j))
        return RN_OK; /* the same json_t reached twice (shared by the caller) */

    const json_t *id = json_object_get(j, "$id");
    const json_t *sch = json_object_get(j, "$schema");
    int draft = cur->draft;
    unsigned vocab = cur->vocab;
    bool res_root = doc_root || json_is_string(id);
    if (res_root && json_is_string(sch) && !c->opts->force_draft) {
        if (dialect(c, json_string_value(sch), at, 0, &draft, &vocab) != RN_OK) return c->rc;
    }
    /* draft-07: "$ref" makes every sibling keyword, "$id" included, ignored */
    if (draft == 7 && json_object_get(j, "$ref")) {
        if (doc_root) {
            cur->draft = draft;
            cur->vocab = vocab;
        }
        if (pmap_put(&c->where, j, cur)) return oom(c);
        return RN_OK;
    }

    rn_js_resource *res = cur;
    if (json_is_string(id)) {
        char *abs = rn_jsonschema_uri_resolve(cur->uri, json_string_value(id));
        if (!abs) return oom(c);
        char *hash = strchr(abs, '#');
        char *frag = NULL;
        if (hash) {
            *hash = '\0';
            frag = hash + 1;
        }
        int rc = RN_OK;
        if (frag && *frag && draft == 2020) {
            rc = fail(c, at, "$id", RN_EINVAL,
                      "\"$id\" must not have a fragment in 2020-12 (use $anchor)");
        } else if (draft == 7 && json_string_value(id)[0] == '#') {
            /* draft-07 location-independent identifier: an anchor in the current resource */
            if (frag && *frag) rc = add_anchor(c, cur, frag, j, false);
        } else if (doc_root) {
            /* the document's own identifier: rename its resource, keep the retrieval URI */
            if (strcmp(abs, cur->uri) != 0) {
                cur->uri = astrdup(c, abs);
                rc = cur->uri ? add_uri(c, abs, cur) : c->rc;
            }
            if (rc == RN_OK && frag && *frag) rc = add_anchor(c, cur, frag, j, false);
        } else {
            res = new_resource(c, abs, j, draft, vocab);
            rc = res ? RN_OK : c->rc;
            if (rc == RN_OK && frag && *frag) rc = add_anchor(c, res, frag, j, false);
        }
        free(abs);
        if (rc != RN_OK) return rc;
    }
    if (res_root) {
        res->draft = draft;
        res->vocab = vocab;
    }
    if (draft == 2020) {
        const json_t *a = json_object_get(j, "$anchor");
        if (json_is_string(a)) {
            if (!anchor_name_ok(json_string_value(a)))
                return fail(c, at, "$anchor", RN_EINVAL, "invalid anchor name \"%s\"",
                            json_string_value(a));
            if (add_anchor(c, res, json_string_value(a), j, false)) return c->rc;
        }
        a = json_object_get(j, "$dynamicAnchor");
        if (json_is_string(a)) {
            if (!anchor_name_ok(json_string_value(a)))
                return fail(c, at, "$dynamicAnchor", RN_EINVAL, "invalid anchor name \"%s\"",
                            json_string_value(a));
            if (add_anchor(c, res, json_string_value(a), j, true)) return c->rc;
        }
    }
    if (pmap_put(&c->where, j, res)) return oom(c);

    /* subschemas: keywords with one schema, an array of schemas, a map of schemas */
    static const char *const single7[] = {"additionalItems",
                                          "items",
                                          "contains",
                                          "additionalProperties",
                                          "propertyNames",
                                          "not",
                                          "if",
                                          "then",
                                          "else",
                                          NULL};
    static const char *const single20[] = {
        "items", "contains", "additionalProperties", "propertyNames",         "not", "if",
        "then",  "else",     "unevaluatedItems",     "unevaluatedProperties", NULL};
    static const char *const array7[] = {"items", "allOf", "anyOf", "oneOf", NULL};
    static const char *const array20[] = {"prefixItems", "allOf", "anyOf", "oneOf", NULL};
    static const char *const map7[] = {"properties", "patternProperties", "definitions",
                                       "dependencies", NULL};
    static const char *const map20[] = {"properties",  "patternProperties", "$defs",
                                        "definitions", "dependentSchemas",  "dependencies",
                                        NULL};
    const char *const *single = draft == 7 ? single7 : single20;
    const char *const *arrays = draft == 7 ? array7 : array20;
    const char *const *maps = draft == 7 ? map7 : map20;
    for (int i = 0; single[i]; i++) {
        const json_t *v = json_object_get(j, single[i]);
        if (v && (json_is_object(v) || json_is_boolean(v)))
            if (walk_child(c, v, res, at, single[i], 0, nest)) return c->rc;
    }
    for (int i = 0; arrays[i]; i++) {
        const json_t *v = json_object_get(j, arrays[i]);
        if (!json_is_array(v)) continue;
        cpath p = {at, NULL, arrays[i], 0};
        for (size_t k = 0; k < json_array_size(v); k++)
            if (walk_child(c, json_array_get(v, k), res, &p, NULL, k, nest)) return c->rc;
    }
    for (int i = 0; maps[i]; i++) {
        const json_t *v = json_object_get(j, maps[i]);
        if (!json_is_object(v)) continue;
        cpath p = {at, NULL, maps[i], 0};
        const char *k;
        json_t *sub;
        json_object_foreach(rn_js_unconst(v), k, sub)
        {
            if (json_is_array(sub)) continue; /* dependencies: a list of names */
            if (walk_child(c, sub, res, &p, k, 0, nest)) return c->rc;
        }
    }
    return RN_OK;
}

/* Indexes doc under retrieval URI uri; *out gets its root resource. */
static int index_doc(cc *c, const json_t *doc, const char *uri, int draft, const cpath *at,
                     rn_js_resource **out)
{
    rn_js_resource *r = new_resource(c, uri, doc, draft, default_vocab(c, draft));
    if (!r) return c->rc;
    char label[300] = "";
    if (at) snprintf(label, sizeof label, "%s#", uri);
    cpath root = {NULL, label, NULL, 0};
    if (walk(c, doc, r, true, &root, 0) != RN_OK) return c->rc;
    *out = r;
    return RN_OK;
}

/* Loads the document named uri (absolute, no fragment): an embedded metaschema or the
 * caller's resolver. draft is the dialect it gets when it has no "$schema". */
static int load_document(cc *c, const char *uri, int draft, const cpath *at, rn_js_resource **out)
{
    if (c->s->ndocs >= MAX_DOCS)
        return fail(c, at, NULL, RN_EINVAL, "more than %d documents referenced", MAX_DOCS);
    json_t *doc = NULL;
    const char *text = rn_jsonschema_meta_find(uri);
    if (text) {
        doc = json_loads(text, 0, NULL);
        if (!doc) return oom(c);
    } else if (c->opts->resolver) {
        rn_err e;
        rn_err_clear(&e);
        int rc = c->opts->resolver(c->opts->resolver_arg, uri, &doc, &e);
        if (rc != RN_OK || !doc) {
            if (doc) json_decref(doc);
            if (rc == RN_OK) rc = RN_ENOTFOUND;
            return fail(c, at, NULL, rc, "cannot resolve %s%s%s", uri, e.msg[0] ? ": " : "", e.msg);
        }
    } else {
        return fail(c, at, NULL, RN_ENOTFOUND, "cannot resolve %s (no resolver)", uri);
    }
    if (keep_doc(c, doc) != RN_OK) return c->rc;
    if (!json_is_object(doc) && !json_is_boolean(doc))
        return fail(c, at, NULL, RN_EINVAL, "%s is not a schema (object or boolean)", uri);
    return index_doc(c, doc, uri, draft, at, out);
}

/* ------------------------------------------------------------------ references */

/* Walks JSON Pointer ptr[0..len) (already percent-decoded) from root. *ctx is updated to
 * the resource of the deepest indexed schema passed. Returns the target or NULL. */
static const json_t *walk_pointer(cc *c, const json_t *root, const char *ptr, size_t len,
                                  rn_js_resource **ctx)
{
    const json_t *cur = root;
    size_t i = 0;
    while (i < len) {
        if (ptr[i] != '/') return NULL;
        i++;
        size_t start = i;
        while (i < len && ptr[i] != '/')
            i++;
        /* unescape ~1 and ~0 */
        char tok[512];
        size_t tl = 0;
        for (size_t k = start; k < i; k++) {
            if (tl + 1 >= sizeof tok) return NULL;
            if (ptr[k] == '~' && k + 1 < i && (ptr[k + 1] == '0' || ptr[k + 1] == '1')) {
                tok[tl++] = ptr[k + 1] == '0' ? '~' : '/';
                k++;
            } else if (ptr[k] == '~') {
                return NULL;
            } else {
                tok[tl++] = ptr[k];
            }
        }
        tok[tl] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, tok, tl);
        } else if (json_is_array(cur)) {
            if (tl == 0 || (tl > 1 && tok[0] == '0')) return NULL;
            size_t idx = 0;
            for (size_t k = 0; k < tl; k++) {
                if (tok[k] < '0' || tok[k] > '9' || idx > SIZE_MAX / 10 - 10) return NULL;
                idx = idx * 10 + (size_t)(tok[k] - '0');
            }
            cur = json_array_get(cur, idx);
        } else {
            return NULL;
        }
        if (!cur) return NULL;
        rn_js_resource *r = pmap_get(&c->where, cur);
        if (r) *ctx = r;
    }
    return cur;
}

static rn_js_node *compile_node(cc *c, const json_t *j, rn_js_resource *ctx, const cpath *at);

/* Resolves reference ref (the value of kw, "$ref" or "$dynamicRef") from resource res and
 * compiles its target. *anchor_out, when not NULL, receives the fragment's name if the
 * target carries a "$dynamicAnchor" of that name (for $dynamicRef). */
static rn_js_node *resolve_ref(cc *c, rn_js_resource *res, const char *ref, const char *kw,
                               const cpath *at, const char **anchor_out)
{
    char *abs = rn_jsonschema_uri_resolve(res->uri, ref);
    if (!abs) {
        oom(c);
        return NULL;
    }
    char *hash = strchr(abs, '#');
    const char *frag = "";
    if (hash) {
        *hash = '\0';
        frag = hash + 1;
    }
    rn_js_node *node = NULL;
    const json_t *target = NULL;
    rn_js_resource *r = find_uri(c, abs);
    if (!r && load_document(c, abs, res->draft, at, &r) != RN_OK) goto out;
    rn_js_resource *ctx = r;
    size_t flen;
    char *fdec = rn_jsonschema_uri_unescape(frag, strlen(frag), &flen);
    if (!fdec) {
        fail(c, at, kw, RN_EINVAL, "malformed percent-escape in \"%s\"", ref);
        goto out;
    }
    if (flen == 0) {
        target = r->root;
    } else if (fdec[0] == '/') {
        target = walk_pointer(c, r->root, fdec, flen, &ctx);
    } else {
        for (const rn_js_anchor *a = r->anchors; a; a = a->next) {
            if (strcmp(a->name, fdec) == 0) {
                target = a->node;
                ctx = pmap_get(&c->where, target);
                if (!ctx) ctx = r;
                if (anchor_out && a->dynamic) {
                    const json_t *da = json_object_get(target, "$dynamicAnchor");
                    if (json_is_string(da) && strcmp(json_string_value(da), fdec) == 0)
                        *anchor_out = astrdup(c, fdec);
                }
                break;
            }
        }
    }
    free(fdec);
    if (!target) {
        fail(c, at, kw, RN_ENOTFOUND, "cannot resolve \"%s\" (%s#%s)", ref, abs, frag);
        goto out;
    }
    if (!json_is_object(target) && !json_is_boolean(target)) {
        fail(c, at, kw, RN_EINVAL, "\"%s\" does not point to a schema", ref);
        goto out;
    }
    {
        char label[300];
        snprintf(label, sizeof label, "%s#%s", abs, frag);
        cpath p = {NULL, label, NULL, 0};
        node = compile_node(c, target, ctx, &p);
    }
out:
    free(abs);
    return c->rc ? NULL : node;
}

/* ------------------------------------------------------------------ keyword values */

/* Reads a number keyword; integral reals within range become exact integers. */
static bool get_num(const json_t *v, rn_js_num *n)
{
    if (json_is_integer(v)) {
        n->is_int = true;
        n->i = json_integer_value(v);
        n->d = (double)n->i;
        return true;
    }
    if (json_is_real(v)) {
        n->d = json_real_value(v);
        n->is_int = n->d == floor(n->d) && fabs(n->d) < 9.2e18;
        n->i = n->is_int ? (long long)n->d : 0;
        return true;
    }
    return false;
}

/* Reads a non-negative integer keyword (1.0 allowed; huge values saturate). */
static int get_count(cc *c, const json_t *v, const cpath *at, const char *kw, size_t *out)
{
    rn_js_num n;
    if (!get_num(v, &n) || n.d < 0 || n.d != floor(n.d))
        return fail(c, at, kw, RN_EINVAL, "must be a non-negative integer");
    if (n.is_int)
        *out = (unsigned long long)n.i > SIZE_MAX ? SIZE_MAX : (size_t)n.i;
    else
        *out = SIZE_MAX;
    return RN_OK;
}

static int type_bit(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bits;
    } types[] = {{"null", RN_JS_T_NULL},  {"boolean", RN_JS_T_BOOL},  {"object", RN_JS_T_OBJ},
                 {"array", RN_JS_T_ARR},  {"number", RN_JS_T_NUMBER}, {"string", RN_JS_T_STR},
                 {"integer", RN_JS_T_INT}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(s, types[i].name) == 0) {
            *out = types[i].bits;
            return 0;
        }
    }
    return -1;
}

static rn_js_str *get_names(cc *c, const json_t *v, const cpath *at, const char *kw, size_t *n)
{
    if (!json_is_array(v)) {
        fail(c, at, kw, RN_EINVAL, "must be an array of strings");
        return NULL;
    }
    *n = json_array_size(v);
    rn_js_str *names = aalloc(c, *n * sizeof *names);
    if (!names) return NULL;
    for (size_t i = 0; i < *n; i++) {
        const json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) {
            fail(c, at, kw, RN_EINVAL, "must be an array of strings");
            return NULL;
        }
        names[i].s = json_string_value(s);
        names[i].len = json_string_length(s);
    }
    return names;
}

static rn_js_node *sub(cc *c, const json_t *v, rn_js_resource *res, const cpath *at, const char *kw,
                       const char *key, size_t idx)
{
    cpath k = {at, NULL, kw, 0};
    cpath p = {&k, NULL, key, idx};
    if (!json_is_object(v) && !json_is_boolean(v)) {
        fail(c, key || idx != (size_t)-1 ? &p : &k, NULL, RN_EINVAL,
             "must be a schema (object or boolean)");
        return NULL;
    }
    return compile_node(c, v, res, key || idx != (size_t)-1 ? &p : &k);
}

#define NO_IDX ((size_t)-1)

static rn_js_node **sub_list(cc *c, const json_t *v, rn_js_resource *res, const cpath *at,
                             const char *kw, size_t *n, bool nonempty)
{
    if (!json_is_array(v) || (nonempty && json_array_size(v) == 0)) {
        fail(c, at, kw, RN_EINVAL, "must be a %sarray of schemas", nonempty ? "non-empty " : "");
        return NULL;
    }
    *n = json_array_size(v);
    rn_js_node **list = aalloc(c, *n * sizeof *list);
    for (size_t i = 0; list && i < *n; i++)
        if (!(list[i] = sub(c, json_array_get(v, i), res, at, kw, NULL, i))) return NULL;
    return c->rc ? NULL : list;
}

/* ------------------------------------------------------------------ keywords */

#define MAX_KW 40

typedef struct kwset {
    rn_js_kw kw[MAX_KW];
    int n;
} kwset;

static rn_js_kw *add_kw(kwset *ks, int op, const char *name)
{
    rn_js_kw *k = &ks->kw[ks->n++];
    memset(k, 0, sizeof *k);
    k->op = (uint8_t)op;
    k->name = name;
    return k;
}

static int op_class(int op)
{
    if (op <= RN_JS_OP_IF) return RN_JS_C_ANY;
    if (op <= RN_JS_OP_MULTIPLE_OF) return RN_JS_C_NUM;
    if (op <= RN_JS_OP_FORMAT) return RN_JS_C_STR;
    if (op <= RN_JS_OP_UNEVAL_ITEMS) return RN_JS_C_ARR;
    return RN_JS_C_OBJ;
}

static int compile_props(cc *c, const json_t *j, rn_js_resource *res, const cpath *at, kwset *ks,
                         bool applicator)
{
    const json_t *props = json_object_get(j, "properties");
    const json_t *pats = json_object_get(j, "patternProperties");
    const json_t *addl = json_object_get(j, "additionalProperties");
    if (!applicator || (!props && !pats && !addl)) return RN_OK;
    rn_js_kw *k = add_kw(ks, RN_JS_OP_PROPS, "properties");
    if (props) {
        if (!json_is_object(props))
            return fail(c, at, "properties", RN_EINVAL, "must be an object");
        size_t n = json_object_size(props);
        k->u.props.props = aalloc(c, n * sizeof(rn_js_prop));
        uint32_t cap = 4;
        while (cap < 2 * n)
            cap *= 2;
        k->u.props.table = aalloc(c, cap * sizeof(uint32_t));
        k->u.props.mask = cap - 1;
        if (c->rc) return c->rc;
        const char *key;
        size_t klen;
        json_t *v;
        size_t i = 0;
        json_object_keylen_foreach(rn_js_unconst(props), key, klen, v)
        {
            rn_js_prop *p = &k->u.props.props[i];
            p->name = key;
            p->len = klen;
            p->hash = rn_js_hash(key, klen);
            if (!(p->node = sub(c, v, res, at, "properties", key, NO_IDX))) return c->rc;
            uint32_t h = p->hash & k->u.props.mask;
            while (k->u.props.table[h])
                h = (h + 1) & k->u.props.mask;
            k->u.props.table[h] = (uint32_t)i + 1;
            i++;
        }
        k->u.props.nprops = i;
    }
    if (pats) {
        if (!json_is_object(pats))
            return fail(c, at, "patternProperties", RN_EINVAL, "must be an object");
        size_t n = json_object_size(pats);
        k->u.props.pats = aalloc(c, n * sizeof(rn_js_pattern));
        if (c->rc) return c->rc;
        const char *key;
        size_t klen;
        json_t *v;
        size_t i = 0;
        json_object_keylen_foreach(rn_js_unconst(pats), key, klen, v)
        {
            rn_js_pattern *p = &k->u.props.pats[i];
            char msg[200];
            p->src = key;
            p->re = rn_jsonschema_regex_compile(key, klen, false, msg, sizeof msg);
            if (!p->re) {
                cpath kp = {at, NULL, "patternProperties", 0};
                return fail(c, &kp, key, RN_EINVAL, "invalid regular expression: %s", msg);
            }
            if (keep_code(c, p->re) != RN_OK) return c->rc;
            p->jit = rn_jsonschema_regex_is_jit(p->re);
            p->simple = rn_jsonschema_regex_simple(&c->s->arena, key, klen);
            if (!(p->node = sub(c, v, res, at, "patternProperties", key, NO_IDX))) return c->rc;
            i++;
        }
        k->u.props.npats = i;
    }
    if (addl &&
        !(k->u.props.additional = sub(c, addl, res, at, "additionalProperties", NULL, NO_IDX)))
        return c->rc;
    return RN_OK;
}

static int compile_items(cc *c, const json_t *j, rn_js_resource *res, const cpath *at, kwset *ks,
                         int draft)
{
    const json_t *items = json_object_get(j, "items");
    rn_js_kw *k;
    if (draft == 7) {
        if (!items) return RN_OK;
        k = add_kw(ks, RN_JS_OP_ITEMS, "items");
        if (json_is_array(items)) {
            k->u.items.prefix_kw = "items";
            k->u.items.prefix = sub_list(c, items, res, at, "items", &k->u.items.nprefix, false);
            if (c->rc) return c->rc;
            const json_t *ai = json_object_get(j, "additionalItems");
            if (ai) {
                k->u.items.rest_kw = "additionalItems";
                if (!(k->u.items.rest = sub(c, ai, res, at, "additionalItems", NULL, NO_IDX)))
                    return c->rc;
            }
        } else {
            k->u.items.rest_kw = "items";
            if (!(k->u.items.rest = sub(c, items, res, at, "items", NULL, NO_IDX))) return c->rc;
        }
        return RN_OK;
    }
    const json_t *prefix = json_object_get(j, "prefixItems");
    if (!items && !prefix) return RN_OK;
    k = add_kw(ks, RN_JS_OP_ITEMS, prefix ? "prefixItems" : "items");
    if (prefix) {
        k->u.items.prefix_kw = "prefixItems";
        k->u.items.prefix = sub_list(c, prefix, res, at, "prefixItems", &k->u.items.nprefix, true);
        if (c->rc) return c->rc;
    }
    if (items) {
        if (json_is_array(items))
            return fail(
                c, at, "items", RN_EINVAL,
                "must be a schema in draft 2020-12 (an array is draft-07: use "
                "prefixItems, or \"$schema\": \"http://json-schema.org/draft-07/schema#\")");
        k->u.items.rest_kw = "items";
        if (!(k->u.items.rest = sub(c, items, res, at, "items", NULL, NO_IDX))) return c->rc;
    }
    return RN_OK;
}

/* dependentRequired + dependentSchemas (2020-12) and dependencies (07; kept in 2020-12
 * for compatibility) as one keyword. */
static int compile_dependent(cc *c, const json_t *j, rn_js_resource *res, const cpath *at,
                             kwset *ks, int draft, unsigned vocab)
{
    const char *names[3] = {"dependencies", NULL, NULL};
    if (draft == 2020) {
        names[1] = "dependentRequired";
        names[2] = "dependentSchemas";
    }
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        const json_t *v = names[i] ? json_object_get(j, names[i]) : NULL;
        if (!v) continue;
        if (!json_is_object(v)) return fail(c, at, names[i], RN_EINVAL, "must be an object");
        total += json_object_size(v);
    }
    if (!total) return RN_OK;
    rn_js_kw *k = add_kw(ks, RN_JS_OP_DEPENDENT, "dependentRequired");
    k->u.dependent.deps = aalloc(c, total * sizeof(rn_js_dep));
    if (c->rc) return c->rc;
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        const json_t *v = names[i] ? json_object_get(j, names[i]) : NULL;
        if (!v) continue;
        const char *key;
        size_t klen;
        json_t *d;
        cpath kp = {at, NULL, names[i], 0};
        json_object_keylen_foreach(rn_js_unconst(v), key, klen, d)
        {
            rn_js_dep *dep = &k->u.dependent.deps[n];
            dep->name = key;
            dep->len = klen;
            dep->kw = names[i];
            bool list = json_is_array(d);
            if (i == 1 && !list) return fail(c, &kp, key, RN_EINVAL, "must be an array of strings");
            if (i == 2 && list) return fail(c, &kp, key, RN_EINVAL, "must be a schema");
            if (list) {
                if (!(vocab & RN_JS_V_VALIDATION)) continue;
                dep->names = get_names(c, d, &kp, key, &dep->nnames);
                if (c->rc) return c->rc;
            } else {
                if (!(vocab & RN_JS_V_APPLICATOR)) continue;
                if (!(dep->node = sub(c, d, res, at, names[i], key, NO_IDX))) return c->rc;
            }
            n++;
        }
    }
    k->u.dependent.n = n;
    if (!n) ks->n--;
    return RN_OK;
}

static int compile_keywords(cc *c, rn_js_node *node, const json_t *j, rn_js_resource *res,
                            const cpath *at)
{
    kwset *ks = malloc(sizeof *ks); /* ~3 KiB: keep it off the recursion's stack */
    if (!ks) return oom(c);
    ks->n = 0;
    int draft = res->draft;
    unsigned vocab = res->vocab;
    bool V = vocab & RN_JS_V_VALIDATION, A = vocab & RN_JS_V_APPLICATOR;
    const json_t *v;
    rn_js_kw *k;

    if ((v = json_object_get(j, "$ref"))) {
        if (!json_is_string(v)) {
            fail(c, at, "$ref", RN_EINVAL, "must be a string");
            goto out;
        }
        k = add_kw(ks, RN_JS_OP_REF, "$ref");
        if (!(k->u.ref.target = resolve_ref(c, res, json_string_value(v), "$ref", at, NULL)))
            goto out;
        if (draft == 7) goto done; /* draft-07: siblings of $ref are ignored */
    }
    if (draft == 2020 && (v = json_object_get(j, "$dynamicRef"))) {
        if (!json_is_string(v)) {
            fail(c, at, "$dynamicRef", RN_EINVAL, "must be a string");
            goto out;
        }
        k = add_kw(ks, RN_JS_OP_DYNREF, "$dynamicRef");
        const char *anchor = NULL;
        if (!(k->u.ref.target =
                  resolve_ref(c, res, json_string_value(v), "$dynamicRef", at, &anchor)))
            goto out;
        k->u.ref.anchor = anchor;
        if (anchor) c->has_dynref = true;
    }
    if (V && (v = json_object_get(j, "type"))) {
        k = add_kw(ks, RN_JS_OP_TYPE, "type");
        unsigned bits;
        if (json_is_string(v)) {
            if (type_bit(json_string_value(v), &bits)) {
                fail(c, at, "type", RN_EINVAL, "unknown type \"%s\"", json_string_value(v));
                goto out;
            }
            k->u.types = bits;
        } else if (json_is_array(v)) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                const json_t *t = json_array_get(v, i);
                if (!json_is_string(t) || type_bit(json_string_value(t), &bits)) {
                    fail(c, at, "type", RN_EINVAL, "must be a type name or an array of them");
                    goto out;
                }
                k->u.types |= bits;
            }
        } else {
            fail(c, at, "type", RN_EINVAL, "must be a type name or an array of them");
            goto out;
        }
    }
    if (V && (v = json_object_get(j, "const"))) {
        k = add_kw(ks, RN_JS_OP_CONST, "const");
        if (!(k->u.value = instance_value(c, v, at, "const"))) goto out;
    }
    if (V && (v = json_object_get(j, "enum"))) {
        if (!json_is_array(v)) {
            fail(c, at, "enum", RN_EINVAL, "must be an array");
            goto out;
        }
        k = add_kw(ks, RN_JS_OP_ENUM, "enum");
        if (!(k->u.value = instance_value(c, v, at, "enum"))) goto out;
    }
    if (A) {
        static const struct {
            const char *name;
            int op;
        } lists[] = {
            {"allOf", RN_JS_OP_ALLOF}, {"anyOf", RN_JS_OP_ANYOF}, {"oneOf", RN_JS_OP_ONEOF}};
        for (size_t i = 0; i < 3; i++) {
            if (!(v = json_object_get(j, lists[i].name))) continue;
            k = add_kw(ks, lists[i].op, lists[i].name);
            k->u.list.sub = sub_list(c, v, res, at, lists[i].name, &k->u.list.n, true);
            if (c->rc) goto out;
        }
        if ((v = json_object_get(j, "not"))) {
            k = add_kw(ks, RN_JS_OP_NOT, "not");
            if (!(k->u.sub = sub(c, v, res, at, "not", NULL, NO_IDX))) goto out;
        }
        if ((v = json_object_get(j, "if"))) {
            k = add_kw(ks, RN_JS_OP_IF, "if");
            if (!(k->u.ifte.cond = sub(c, v, res, at, "if", NULL, NO_IDX))) goto out;
            if ((v = json_object_get(j, "then")) &&
                !(k->u.ifte.then = sub(c, v, res, at, "then", NULL, NO_IDX)))
                goto out;
            if ((v = json_object_get(j, "else")) &&
                !(k->u.ifte.els = sub(c, v, res, at, "else", NULL, NO_IDX)))
                goto out;
        }
    }
    if (V) {
        static const struct {
            const char *name;
            int op;
        } nums[] = {{"minimum", RN_JS_OP_MINIMUM},
                    {"exclusiveMinimum", RN_JS_OP_EXCL_MINIMUM},
                    {"maximum", RN_JS_OP_MAXIMUM},
                    {"exclusiveMaximum", RN_JS_OP_EXCL_MAXIMUM},
                    {"multipleOf", RN_JS_OP_MULTIPLE_OF}};
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
            if (!(v = json_object_get(j, nums[i].name))) continue;
            k = add_kw(ks, nums[i].op, nums[i].name);
            if (!get_num(v, &k->u.num)) {
                fail(c, at, nums[i].name, RN_EINVAL, "must be a number");
                goto out;
            }
            if (nums[i].op == RN_JS_OP_MULTIPLE_OF && k->u.num.d <= 0) {
                fail(c, at, nums[i].name, RN_EINVAL, "must be greater than 0");
                goto out;
            }
        }
        static const struct {
            const char *name;
            int op;
        } counts[] = {{"minLength", RN_JS_OP_MIN_LENGTH},    {"maxLength", RN_JS_OP_MAX_LENGTH},
                      {"minItems", RN_JS_OP_MIN_ITEMS},      {"maxItems", RN_JS_OP_MAX_ITEMS},
                      {"minProperties", RN_JS_OP_MIN_PROPS}, {"maxProperties", RN_JS_OP_MAX_PROPS}};
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            if (!(v = json_object_get(j, counts[i].name))) continue;
            k = add_kw(ks, counts[i].op, counts[i].name);
            if (get_count(c, v, at, counts[i].name, &k->u.count)) goto out;
        }
        if ((v = json_object_get(j, "pattern"))) {
            if (!json_is_string(v)) {
                fail(c, at, "pattern", RN_EINVAL, "must be a string");
                goto out;
            }
            k = add_kw(ks, RN_JS_OP_PATTERN, "pattern");
            char msg[200];
            k->u.pattern.src = json_string_value(v);
            k->u.pattern.re = rn_jsonschema_regex_compile(
                json_string_value(v), json_string_length(v), false, msg, sizeof msg);
            if (!k->u.pattern.re) {
                fail(c, at, "pattern", RN_EINVAL, "invalid regular expression: %s", msg);
                goto out;
            }
            if (keep_code(c, k->u.pattern.re)) goto out;
            k->u.pattern.jit = rn_jsonschema_regex_is_jit(k->u.pattern.re);
            k->u.pattern.simple = rn_jsonschema_regex_simple(&c->s->arena, json_string_value(v),
                                                             json_string_length(v));
        }
        if ((v = json_object_get(j, "uniqueItems"))) {
            if (!json_is_boolean(v)) {
                fail(c, at, "uniqueItems", RN_EINVAL, "must be a boolean");
                goto out;
            }
            if (json_is_true(v)) add_kw(ks, RN_JS_OP_UNIQUE_ITEMS, "uniqueItems");
        }
        if ((v = json_object_get(j, "required"))) {
            k = add_kw(ks, RN_JS_OP_REQUIRED, "required");
            k->u.required.names = get_names(c, v, at, "required", &k->u.required.n);
            if (c->rc) goto out;
        }
    }
    if ((vocab & RN_JS_V_FORMAT_ASSERT) && (v = json_object_get(j, "format"))) {
        if (!json_is_string(v)) {
            fail(c, at, "format", RN_EINVAL, "must be a string");
            goto out;
        }
        int id = rn_jsonschema_format_id(json_string_value(v));
        if (id != RN_JS_FMT_UNKNOWN) {
            k = add_kw(ks, RN_JS_OP_FORMAT, "format");
            k->u.format.id = id;
            k->u.format.name = json_string_value(v);
        }
    }
    if (A) {
        if (compile_items(c, j, res, at, ks, draft)) goto out;
        if ((v = json_object_get(j, "contains"))) {
            k = add_kw(ks, RN_JS_OP_CONTAINS, "contains");
            if (!(k->u.contains.sub = sub(c, v, res, at, "contains", NULL, NO_IDX))) goto out;
            k->u.contains.min = 1;
            k->u.contains.max = SIZE_MAX;
            const json_t *m;
            if (draft == 2020 && V && (m = json_object_get(j, "minContains")) &&
                get_count(c, m, at, "minContains", &k->u.contains.min))
                goto out;
            if (draft == 2020 && V && (m = json_object_get(j, "maxContains")) &&
                get_count(c, m, at, "maxContains", &k->u.contains.max))
                goto out;
        }
        if ((v = json_object_get(j, "propertyNames"))) {
            k = add_kw(ks, RN_JS_OP_PROPNAMES, "propertyNames");
            if (!(k->u.sub = sub(c, v, res, at, "propertyNames", NULL, NO_IDX))) goto out;
        }
        if (compile_props(c, j, res, at, ks, A)) goto out;
    }
    if (compile_dependent(c, j, res, at, ks, draft, vocab)) goto out;
    if (draft == 2020 && (vocab & RN_JS_V_UNEVALUATED)) {
        if ((v = json_object_get(j, "unevaluatedItems"))) {
            k = add_kw(ks, RN_JS_OP_UNEVAL_ITEMS, "unevaluatedItems");
            if (!(k->u.sub = sub(c, v, res, at, "unevaluatedItems", NULL, NO_IDX))) goto out;
            node->uneval_items = true;
        }
        if ((v = json_object_get(j, "unevaluatedProperties"))) {
            k = add_kw(ks, RN_JS_OP_UNEVAL_PROPS, "unevaluatedProperties");
            if (!(k->u.sub = sub(c, v, res, at, "unevaluatedProperties", NULL, NO_IDX))) goto out;
            node->uneval_props = true;
        }
    }

done:
    /* sort by op (insertion sort: at most MAX_KW), then split into classes */
    for (int i = 1; i < ks->n; i++) {
        rn_js_kw t = ks->kw[i];
        int m = i - 1;
        while (m >= 0 && ks->kw[m].op > t.op) {
            ks->kw[m + 1] = ks->kw[m];
            m--;
        }
        ks->kw[m + 1] = t;
    }
    /* then one list per instance class: the keywords for any type, followed by that
     * class's (sorting put them in this order), so evaluation walks one array */
    int nany = 0;
    while (nany < ks->n && op_class(ks->kw[nany].op) == RN_JS_C_ANY)
        nany++;
    rn_js_kw *any = NULL;
    if (nany) {
        if (!(any = aalloc(c, (size_t)nany * sizeof *any))) goto out;
        memcpy(any, ks->kw, (size_t)nany * sizeof *any);
    }
    for (int cls = 0; cls < RN_JS_NCLASS; cls++) {
        node->kw[cls] = any;
        node->nkw[cls] = (uint16_t)nany;
    }
    for (int i = nany; i < ks->n;) {
        int cls = op_class(ks->kw[i].op);
        int m = i;
        while (m < ks->n && op_class(ks->kw[m].op) == cls)
            m++;
        size_t n = (size_t)(nany + m - i);
        rn_js_kw *arr = aalloc(c, n * sizeof *arr);
        if (!arr) goto out;
        if (nany) memcpy(arr, ks->kw, (size_t)nany * sizeof *arr);
        memcpy(arr + nany, &ks->kw[i], (size_t)(m - i) * sizeof *arr);
        node->kw[cls] = arr;
        node->nkw[cls] = (uint16_t)n;
        i = m;
    }
out:
    free(ks);
    return c->rc;
}

static rn_js_node *compile_node(cc *c, const json_t *j, rn_js_resource *ctx, const cpath *at)
{
    rn_js_node *node = pmap_get(&c->memo, j);
    if (node || c->rc) return node;
    if (c->depth >= MAX_NEST) {
        fail(c, at, NULL, RN_EINVAL, "schema nested too deeply");
        return NULL;
    }
    rn_js_resource *res = pmap_get(&c->where, j);
    if (!res) res = ctx;
    node = aalloc(c, sizeof *node);
    if (!node) return NULL;
    node->res = res;
    if (pmap_put(&c->memo, j, node)) {
        oom(c);
        return NULL;
    }
    if (json_is_true(j)) {
        node->kind = RN_JS_NODE_TRUE;
    } else if (json_is_false(j)) {
        node->kind = RN_JS_NODE_FALSE;
    } else if (!json_is_object(j)) {
        fail(c, at, NULL, RN_EINVAL, "a schema must be an object or a boolean");
        return NULL;
    } else {
        c->depth++;
        compile_keywords(c, node, j, res, at);
        c->depth--;
    }
    return c->rc ? NULL : node;
}

/* Compiles every $dynamicAnchor of every resource, so that $dynamicRef can jump to any of
 * them at run time. Compiling may load documents (new resources): repeat until stable. */
static int compile_dynamic_anchors(cc *c)
{
    bool again = true;
    while (again && !c->rc) {
        again = false;
        for (rn_js_resource *r = c->resources; r && !c->rc; r = r->next) {
            if (r->dyn) continue;
            size_t n = 0;
            for (rn_js_anchor *a = r->anchors; a; a = a->next)
                n += a->dynamic;
            r->dyn = aalloc(c, n * sizeof *r->dyn);
            if (!r->dyn) break;
            again = true;
            for (rn_js_anchor *a = r->anchors; a; a = a->next) {
                if (!a->dynamic) continue;
                char label[300];
                snprintf(label, sizeof label, "%s#%s", r->uri, a->name);
                cpath p = {NULL, label, NULL, 0};
                rn_js_resource *ctx = pmap_get(&c->where, a->node);
                rn_js_node *node = compile_node(c, a->node, ctx ? ctx : r, &p);
                if (!node) break;
                r->dyn[r->ndyn].name = a->name;
                r->dyn[r->ndyn].node = node;
                r->ndyn++;
            }
        }
    }
    return c->rc;
}

/* ------------------------------------------------------------------ metaschema check */

/* The draft-07 and 2020-12 metaschemas, compiled once per process for check_schema and
 * shared by all threads (compiled schemas are immutable); never freed. */
static rn_jsonschema *meta_schema[2];
static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

static void meta_init(void)
{
    static const char *const uris[2] = {"http://json-schema.org/draft-07/schema",
                                        "https://json-schema.org/draft/2020-12/schema"};
    for (int i = 0; i < 2; i++) {
        json_t *m = json_loads(rn_jsonschema_meta_find(uris[i]), 0, NULL);
        rn_err e;
        if (m && rn_jsonschema_compile(m, NULL, &meta_schema[i], &e) != RN_OK)
            meta_schema[i] = NULL;
        json_decref(m);
    }
}

/* Validates doc against the metaschema of draft; fills err on failure. */
static int check_against_metaschema(const json_t *doc, int draft, rn_err *err)
{
    pthread_once(&meta_once, meta_init);
    const rn_jsonschema *m = meta_schema[draft == 7 ? 0 : 1];
    if (!m)
        return rn_err_set(err, RN_ENOMEM, "cannot compile the draft %s metaschema",
                          draft == 7 ? "07" : "2020-12");
    rn_jsonschema_errors *errs = malloc(sizeof *errs);
    if (!errs) return rn_err_set(err, RN_ENOMEM, "out of memory compiling a JSON schema");
    int rc = rn_jsonschema_validate(m, doc, errs);
    if (rc != RN_OK) {
        const rn_jsonschema_error *e = &errs->e[0];
        rc = rn_err_set(err, RN_EINVAL, "%s: %s (draft %s metaschema: %s)",
                        e->instance_path[0] ? e->instance_path : "/", e->message,
                        draft == 7 ? "07" : "2020-12", e->keyword_location);
    }
    free(errs);
    return rc;
}

/* ------------------------------------------------------------------ API */

int rn_jsonschema_compile(const json_t *schema, const rn_jsonschema_options *opts,
                          rn_jsonschema **out, rn_err *err)
{
    *out = NULL;
    rn_jsonschema_options defaults = {0};
    if (!opts) opts = &defaults;
    if (!schema || (!json_is_object(schema) && !json_is_boolean(schema)))
        return rn_err_set(err, RN_EINVAL, "/: a schema must be an object or a boolean");
    rn_jsonschema *s = calloc(1, sizeof *s);
    if (!s) return rn_err_set(err, RN_ENOMEM, "out of memory compiling a JSON schema");
    cc c = {.s = s, .opts = opts, .err = err};
    int draft = opts->default_draft == RN_JSONSCHEMA_DRAFT7 ? 7 : 2020;
    json_t *doc = json_deep_copy(schema);
    rn_js_resource *root = NULL;
    if (!doc) {
        oom(&c);
    } else if (keep_doc(&c, doc) == RN_OK &&
               index_doc(&c, doc, opts->base_uri ? opts->base_uri : DEFAULT_BASE_URI, draft, NULL,
                         &root) == RN_OK) {
        s->draft = root->draft;
        cpath p = {NULL, "", NULL, 0};
        s->root = compile_node(&c, doc, root, &p);
        if (s->root && c.has_dynref) compile_dynamic_anchors(&c);
        s->dynamic = c.has_dynref;
    }
    pmap_fini(&c.where);
    pmap_fini(&c.memo);
    if (c.rc == RN_OK && opts->check_schema) c.rc = check_against_metaschema(doc, s->draft, err);
    if (c.rc != RN_OK) {
        rn_jsonschema_free(s);
        return c.rc;
    }
    *out = s;
    return RN_OK;
}

/* The jansson entry point: copies the instance into an rn_jval document (one arena,
 * freed on return) and evaluates that; rn_jsonschema_validate_doc is in jsonschema_eval.c. */
int rn_jsonschema_validate(const rn_jsonschema *s, const json_t *instance,
                           rn_jsonschema_errors *errs)
{
    if (errs) {
        errs->n = 0;
        errs->truncated = false;
    }
    if (!s || !instance) return RN_EINVAL;
    rn_arena a = {0};
    const rn_jval *doc;
    int rc = rn_jdoc_from_jansson(&a, instance, &doc);
    if (rc == RN_OK) {
        rc = rn_jsonschema_validate_doc(s, doc, errs);
    } else if (rc == RN_EINVAL) {
        /* deeper than a document may nest: report it as evaluation's nesting limit */
        rc = RN_ERANGE;
        if (errs) {
            errs->n = 1;
            memset(&errs->e[0], 0, sizeof errs->e[0]);
            snprintf(errs->e[0].keyword, sizeof errs->e[0].keyword, "$ref");
            snprintf(errs->e[0].message, sizeof errs->e[0].message,
                     "the instance nests deeper than %d levels", RN_JDOC_MAX_DEPTH);
        }
    }
    rn_arena_fini(&a);
    return rc;
}

rn_jsonschema_draft rn_jsonschema_draft_of(const rn_jsonschema *s)
{
    return s->draft == 7 ? RN_JSONSCHEMA_DRAFT7 : RN_JSONSCHEMA_DRAFT2020_12;
}

int rn_jsonschema_error_format(const rn_jsonschema_error *e, char *buf, size_t len)
{
    return snprintf(buf, len, "%s: %s (%s)", e->instance_path[0] ? e->instance_path : "/",
                    e->message, e->keyword_location[0] ? e->keyword_location : "/");
}

void rn_jsonschema_free(rn_jsonschema *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->ncodes; i++)
        pcre2_code_free(s->codes[i]);
    free(s->codes);
    for (size_t i = 0; i < s->ndocs; i++)
        json_decref(s->docs[i]);
    free(s->docs);
    rn_arena_fini(&s->arena);
    free(s);
}
