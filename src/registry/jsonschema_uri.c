/*
 * registry/jsonschema_uri.c - the URI handling "$id" and "$ref" need: RFC 3986 reference
 * resolution (section 5.2) and percent-decoding of fragments. Hand-written because no
 * Debian C library offers just this (liburiparser would, for one function), and the
 * schemas' URIs are opaque names here: nothing is ever fetched.
 */
#include "registry/jsonschema_int.h"

#include <stdlib.h>
#include <string.h>

/* The five components of a URI reference; each points into the parsed string. A missing
 * component has has_* false (an empty one is present with length 0). */
typedef struct uri_parts {
    const char *scheme, *auth, *path, *query, *frag;
    size_t scheme_len, auth_len, path_len, query_len, frag_len;
    bool has_scheme, has_auth, has_query, has_frag;
} uri_parts;

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void parse(const char *s, uri_parts *u)
{
    memset(u, 0, sizeof *u);
    const char *p = s;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (is_alpha(*p)) {
        const char *q = p + 1;
        while (is_alpha(*q) || (*q >= '0' && *q <= '9') || *q == '+' || *q == '-' || *q == '.')
            q++;
        if (*q == ':') {
            u->has_scheme = true;
            u->scheme = p;
            u->scheme_len = (size_t)(q - p);
            p = q + 1;
        }
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        u->has_auth = true;
        u->auth = p;
        while (*p && *p != '/' && *p != '?' && *p != '#')
            p++;
        u->auth_len = (size_t)(p - u->auth);
    }
    u->path = p;
    while (*p && *p != '?' && *p != '#')
        p++;
    u->path_len = (size_t)(p - u->path);
    if (*p == '?') {
        u->has_query = true;
        u->query = ++p;
        while (*p && *p != '#')
            p++;
        u->query_len = (size_t)(p - u->query);
    }
    if (*p == '#') {
        u->has_frag = true;
        u->frag = p + 1;
        u->frag_len = strlen(u->frag);
    }
}

/* remove_dot_segments (RFC 3986 5.2.4) of in[0..len) into out (at least len + 1 bytes);
 * returns the output length. */
static size_t remove_dots(const char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    while (i < len) {
        const char *p = in + i;
        size_t left = len - i;
        if (left >= 3 && memcmp(p, "../", 3) == 0) {
            i += 3;
        } else if (left >= 2 && memcmp(p, "./", 2) == 0) {
            i += 2;
        } else if (left >= 3 && memcmp(p, "/./", 3) == 0) {
            i += 2;
        } else if (left == 2 && memcmp(p, "/.", 2) == 0) {
            i += 1;
            out[o++] = '/';
            i += 1;
        } else if ((left >= 4 && memcmp(p, "/../", 4) == 0) ||
                   (left == 3 && memcmp(p, "/..", 3) == 0)) {
            /* pop the last output segment */
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0) o--;
            if (left == 3) {
                out[o++] = '/';
                i += 3;
            } else {
                i += 3;
            }
        } else if ((left == 1 && p[0] == '.') || (left == 2 && memcmp(p, "..", 2) == 0)) {
            i = len;
        } else {
            /* move the first segment (with its leading '/', if any) to the output */
            size_t j = (p[0] == '/') ? 1 : 0;
            while (j < left && p[j] != '/')
                j++;
            memcpy(out + o, p, j);
            o += j;
            i += j;
        }
    }
    out[o] = '\0';
    return o;
}

char *rn_jsonschema_uri_resolve(const char *base, const char *ref)
{
    uri_parts b, r;
    parse(base, &b);
    parse(ref, &r);
    size_t cap = strlen(base) + strlen(ref) + 8;
    char *out = malloc(cap);
    char *tmp = malloc(cap);
    if (!out || !tmp) {
        free(out);
        free(tmp);
        return NULL;
    }
    const uri_parts *sch = r.has_scheme ? &r : &b;
    const uri_parts *auth; /* where the authority comes from */
    const uri_parts *qry;  /* where the query comes from */
    size_t plen = 0;       /* path built in tmp, before dot removal */
    if (r.has_scheme || r.has_auth) {
        auth = &r;
        qry = &r;
        memcpy(tmp, r.path, r.path_len);
        plen = r.path_len;
    } else {
        auth = &b;
        if (r.path_len == 0) {
            memcpy(tmp, b.path, b.path_len);
            plen = b.path_len;
            qry = r.has_query ? &r : &b;
        } else {
            qry = &r;
            if (r.path[0] == '/') {
                memcpy(tmp, r.path, r.path_len);
                plen = r.path_len;
            } else if (b.has_auth && b.path_len == 0) {
                tmp[0] = '/';
                memcpy(tmp + 1, r.path, r.path_len);
                plen = r.path_len + 1;
            } else {
                size_t keep = b.path_len;
                while (keep > 0 && b.path[keep - 1] != '/')
                    keep--;
                memcpy(tmp, b.path, keep);
                memcpy(tmp + keep, r.path, r.path_len);
                plen = keep + r.path_len;
            }
        }
    }
    size_t o = 0;
    if (sch->has_scheme) {
        memcpy(out, sch->scheme, sch->scheme_len);
        o = sch->scheme_len;
        out[o++] = ':';
    }
    if (auth->has_auth) {
        out[o++] = '/';
        out[o++] = '/';
        memcpy(out + o, auth->auth, auth->auth_len);
        o += auth->auth_len;
    }
    /* Dot segments matter only in hierarchical paths; "urn:a:b" has none anyway. */
    o += remove_dots(tmp, plen, out + o);
    if (qry->has_query) {
        out[o++] = '?';
        memcpy(out + o, qry->query, qry->query_len);
        o += qry->query_len;
    }
    if (r.has_frag) {
        out[o++] = '#';
        memcpy(out + o, r.frag, r.frag_len);
        o += r.frag_len;
    }
    out[o] = '\0';
    free(tmp);
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *rn_jsonschema_uri_unescape(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (i + 2 >= len) {
                free(out);
                return NULL;
            }
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (out_len) *out_len = o;
    return out;
}
