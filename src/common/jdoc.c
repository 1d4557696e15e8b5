/*
 * common/jdoc.c - the accessors, conversions and printer of JSON documents; the parser
 * is in jdoc_parse.c.
 */
#include "common/jdoc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const rn_jval *rn_jval_get(const rn_jval *o, const char *key, size_t klen)
{
    if (!o || o->type != RN_JOBJECT) return NULL;
    const rn_jmember *m = o->u.members;
    for (uint32_t i = 0; i < o->len; i++)
        if (m[i].key_len == klen && !memcmp(m[i].key, key, klen)) return &m[i].val;
    return NULL;
}

const char *rn_jval_type_name(const rn_jval *v)
{
    switch (v->type) {
    case RN_JNULL:
        return "null";
    case RN_JBOOL:
        return "boolean";
    case RN_JINT:
        return "integer";
    case RN_JREAL:
        return "number";
    case RN_JSTRING:
        return "string";
    case RN_JARRAY:
        return "array";
    default:
        return "object";
    }
}

/* ------------------------------------------------------------------ jansson */

/* jansson's iteration macros take non-const objects; nothing is modified. */
static json_t *unconst(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u = {j};
    return u.m;
}

static uint8_t ascii_flag(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return RN_JSTR_ASCII;
}

static int copy_string(rn_arena *a, const char *s, size_t n, const char **out, uint8_t *flags)
{
    char *p = rn_arena_strndup(a, s, n);
    if (!p) return RN_ENOMEM;
    *out = p;
    *flags = ascii_flag(s, n);
    return RN_OK;
}

static int from_jansson(rn_arena *a, const json_t *j, rn_jval *v, int depth)
{
    memset(v, 0, sizeof *v);
    switch (json_typeof(j)) {
    case JSON_NULL:
        v->type = RN_JNULL;
        return RN_OK;
    case JSON_TRUE:
        v->type = RN_JBOOL;
        v->u.b = 1;
        return RN_OK;
    case JSON_FALSE:
        v->type = RN_JBOOL;
        return RN_OK;
    case JSON_INTEGER:
        v->type = RN_JINT;
        v->u.i = json_integer_value(j);
        return RN_OK;
    case JSON_REAL:
        v->type = RN_JREAL;
        v->u.d = json_real_value(j);
        return RN_OK;
    case JSON_STRING: {
        v->type = RN_JSTRING;
        v->len = (uint32_t)json_string_length(j);
        return copy_string(a, json_string_value(j), json_string_length(j), &v->u.s, &v->flags);
    }
    case JSON_ARRAY: {
        if (depth >= RN_JDOC_MAX_DEPTH) return RN_EINVAL;
        size_t n = json_array_size(j);
        rn_jval *items = rn_arena_alloc(a, (n ? n : 1) * sizeof *items);
        if (!items) return RN_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            int rc = from_jansson(a, json_array_get(j, i), &items[i], depth + 1);
            if (rc) return rc;
        }
        v->type = RN_JARRAY;
        v->len = (uint32_t)n;
        v->u.items = items;
        return RN_OK;
    }
    default: {
        if (depth >= RN_JDOC_MAX_DEPTH) return RN_EINVAL;
        size_t n = json_object_size(j);
        rn_jmember *m = rn_arena_alloc(a, (n ? n : 1) * sizeof *m);
        if (!m) return RN_ENOMEM;
        size_t i = 0;
        const char *key;
        size_t klen;
        json_t *val;
        json_object_keylen_foreach(unconst(j), key, klen, val)
        {
            uint8_t kf;
            int rc = copy_string(a, key, klen, &m[i].key, &kf);
            if (rc) return rc;
            m[i].key_len = (uint32_t)klen;
            m[i].key_flags = kf;
            if ((rc = from_jansson(a, val, &m[i].val, depth + 1))) return rc;
            i++;
        }
        v->type = RN_JOBJECT;
        v->len = (uint32_t)i;
        v->u.members = m;
        return RN_OK;
    }
    }
}

int rn_jdoc_from_jansson(rn_arena *a, const json_t *j, const rn_jval **out)
{
    *out = NULL;
    rn_jval *root = rn_arena_alloc(a, sizeof *root);
    if (!root) return RN_ENOMEM;
    int rc = from_jansson(a, j, root, 0);
    if (rc == RN_OK) *out = root;
    return rc;
}

json_t *rn_jval_to_jansson(const rn_jval *v)
{
    switch (v->type) {
    case RN_JNULL:
        return json_null();
    case RN_JBOOL:
        return json_boolean(v->u.b);
    case RN_JINT:
        return json_integer(v->u.i);
    case RN_JREAL:
        return json_real(v->u.d);
    case RN_JSTRING:
        return json_stringn_nocheck(v->u.s, v->len);
    case RN_JARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < v->len; i++) {
            json_t *x = rn_jval_to_jansson(&v->u.items[i]);
            if (!x || json_array_append_new(a, x)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint32_t i = 0; o && i < v->len; i++) {
            const rn_jmember *m = &v->u.members[i];
            json_t *x = rn_jval_to_jansson(&m->val);
            if (!x || json_object_setn_new_nocheck(o, m->key, m->key_len, x)) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    }
}

/* ------------------------------------------------------------------ printing */

typedef struct out {
    char *buf;
    size_t cap, len; /* len counts everything, also what did not fit */
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void put_string(out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(o, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        size_t elen = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        put(o, esc, elen);
    }
    put(o, s + run, n - run);
    put(o, "\"", 1);
}

static void put_real(out *o, double d)
{
    char tmp[40];
    int p = 15;
    for (; p < 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*g", p, d);
        if (strtod(tmp, NULL) == d) break;
    }
    int n = snprintf(tmp, sizeof tmp, "%.*g", p, d);
    /* a real prints as a real: 1e+20 stays, 3 becomes 3.0 */
    if (!strpbrk(tmp, ".eEni") && n + 2 < (int)sizeof tmp) {
        memcpy(tmp + n, ".0", 3);
        n += 2;
    }
    put(o, tmp, (size_t)n);
}

static void dump(out *o, const rn_jval *v, int depth)
{
    char tmp[32];
    switch (v->type) {
    case RN_JNULL:
        put(o, "null", 4);
        return;
    case RN_JBOOL:
        v->u.b ? put(o, "true", 4) : put(o, "false", 5);
        return;
    case RN_JINT:
        put(o, tmp, (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i));
        return;
    case RN_JREAL:
        put_real(o, v->u.d);
        return;
    case RN_JSTRING:
        put_string(o, v->u.s, v->len);
        return;
    case RN_JARRAY:
        put(o, "[", 1);
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) put(o, ",", 1);
            if (depth < RN_JDOC_MAX_DEPTH) dump(o, &v->u.items[i], depth + 1);
        }
        put(o, "]", 1);
        return;
    default:
        put(o, "{", 1);
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) put(o, ",", 1);
            put_string(o, v->u.members[i].key, v->u.members[i].key_len);
            put(o, ":", 1);
            if (depth < RN_JDOC_MAX_DEPTH) dump(o, &v->u.members[i].val, depth + 1);
        }
        put(o, "}", 1);
        return;
    }
}

size_t rn_jval_dump(const rn_jval *v, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    dump(&o, v, 0);
    if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len;
}
