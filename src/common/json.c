/*
 * common/json.c - yajl callbacks that build a jansson tree (see json.h for why).
 */
#include "common/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define MAX_DEPTH 2048

typedef struct builder {
    json_t *root;
    json_t *stack[MAX_DEPTH]; /* open containers */
    int depth;
    char key_small[128];      /* pending object key; key is it or from malloc() */
    char *key;
    int have_key;
    const char *why; /* our reason when a callback stops the parse */
} builder;

static void key_release(builder *b)
{
    if (b->key && b->key != b->key_small)
        free(b->key);
    b->key = NULL;
    b->have_key = 0;
}

/* Adds v to the current container (or makes it the root). Steals v. 0 stops the parse. */
static int add(builder *b, json_t *v)
{
    if (!v) {
        b->why = "out of memory";
        return 0;
    }
    if (b->depth == 0) {
        b->root = v;
        return 1;
    }
    json_t *top = b->stack[b->depth - 1];
    if (json_is_array(top))
        return json_array_append_new(top, v) == 0 ? 1 : (b->why = "out of memory", 0);
    if (!b->have_key) {
        json_decref(v);
        b->why = "value without a key";
        return 0;
    }
    if (json_object_get(top, b->key)) {
        json_decref(v);
        b->why = "duplicate object key";
        return 0;
    }
    int rc = json_object_set_new_nocheck(top, b->key, v); /* key checked in on_map_key */
    key_release(b);
    if (rc) {
        b->why = "out of memory";
        return 0;
    }
    return 1;
}

/* Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), with
 * an 8-bytes-at-a-time ASCII fast path. yajl's own check lets code points above U+10FFFF
 * through, which jansson (and so everything downstream) refuses. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += len;
    }
    return 1;
}

static int on_null(void *ctx)
{
    return add(ctx, json_null());
}

static int on_boolean(void *ctx, int v)
{
    return add(ctx, json_boolean(v));
}

static int on_number(void *ctx, const char *s, size_t len)
{
    builder *b = ctx;
    char tmp[64];
    char *num = len < sizeof tmp ? tmp : malloc(len + 1);
    if (!num) {
        b->why = "out of memory";
        return 0;
    }
    memcpy(num, s, len);
    num[len] = '\0';
    json_t *v;
    errno = 0;
    if (strpbrk(num, ".eE")) {
        double d = strtod(num, NULL);
        v = errno == ERANGE && (d > 1 || d < -1) ? NULL : json_real(d);
        if (!v)
            b->why = "real number overflow";
    } else {
        long long i = strtoll(num, NULL, 10);
        v = errno == ERANGE ? NULL : json_integer((json_int_t)i);
        if (!v)
            b->why = "too big integer";
    }
    if (num != tmp)
        free(num);
    return v ? add(b, v) : 0;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    builder *b = ctx;
    if (memchr(s, '\0', len)) {
        b->why = "\\u0000 is not allowed";
        return 0;
    }
    if (!utf8_valid(s, len)) {
        b->why = "invalid UTF-8 in a string";
        return 0;
    }
    return add(b, json_stringn_nocheck((const char *)s, len));
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    builder *b = ctx;
    if (memchr(s, '\0', len)) {
        b->why = "\\u0000 is not allowed";
        return 0;
    }
    if (!utf8_valid(s, len)) {
        b->why = "invalid UTF-8 in an object key";
        return 0;
    }
    key_release(b);
    b->key = len < sizeof b->key_small ? b->key_small : malloc(len + 1);
    if (!b->key) {
        b->why = "out of memory";
        return 0;
    }
    memcpy(b->key, s, len);
    b->key[len] = '\0';
    b->have_key = 1;
    return 1;
}

static int open_container(builder *b, json_t *c)
{
    if (b->depth >= MAX_DEPTH) {
        json_decref(c);
        b->why = "maximum parsing depth reached";
        return 0;
    }
    json_incref(c); /* one reference for the stack, one for the parent */
    if (!add(b, c)) {
        json_decref(c);
        return 0;
    }
    b->stack[b->depth++] = c;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, json_object());
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, json_array());
}

static int on_end(void *ctx)
{
    builder *b = ctx;
    json_decref(b->stack[--b->depth]);
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string, on_start_map, on_map_key, on_end,
    on_start_array, on_end,
};

static void set_error(rn_json_error *e, const char *text, const void *buf, size_t len,
                      size_t at)
{
    if (!e)
        return;
    /* yajl says "lexical error: invalid char in json text." : keep the reason. */
    const char *colon = strstr(text, "error: ");
    if (colon)
        text = colon + 7;
    snprintf(e->text, sizeof e->text, "%s", text);
    size_t n = strlen(e->text);
    while (n > 0 && (e->text[n - 1] == '.' || e->text[n - 1] == '\n' || e->text[n - 1] == ' '))
        e->text[--n] = '\0';
    if (at > len)
        at = len;
    e->position = at;
    e->line = 1;
    size_t line_start = 0;
    const char *p = buf;
    for (size_t i = 0; i < at; i++)
        if (p[i] == '\n') {
            e->line++;
            line_start = i + 1;
        }
    e->column = (int)(at - line_start);
}

json_t *rn_json_parse(const void *buf, size_t len, rn_json_error *e)
{
    /* On the stack, and only the header zeroed: the container stack is written before
     * it is read, and clearing 16 KiB per call would cost more than small documents. */
    builder bs, *b = &bs;
    b->root = NULL;
    b->depth = 0;
    b->key = NULL;
    b->have_key = 0;
    b->why = NULL;
    yajl_handle h = yajl_alloc(&callbacks, NULL, b);
    if (!h) {
        set_error(e, "out of memory", buf, len, 0);
        return NULL;
    }
    yajl_status st = yajl_parse(h, buf, len);
    int at_end = 0; /* the error came from yajl_complete_parse: at the end of the input */
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
        at_end = 1;
    }
    json_t *root = b->root;
    if (st != yajl_status_ok) {
        size_t at = at_end ? len : yajl_get_bytes_consumed(h);
        if (b->why) {
            set_error(e, b->why, buf, len, at);
        } else {
            unsigned char *msg = yajl_get_error(h, 0, buf, len);
            char *nl = msg ? strchr((char *)msg, '\n') : NULL;
            if (nl)
                *nl = '\0';
            set_error(e, msg ? (char *)msg : "parse error", buf, len, at);
            yajl_free_error(h, msg);
        }
        while (b->depth > 0)
            json_decref(b->stack[--b->depth]);
        json_decref(root);
        root = NULL;
    } else if (!root) {
        set_error(e, "a value expected", buf, len, len);
    }
    key_release(b);
    yajl_free(h);
    return root;
}
