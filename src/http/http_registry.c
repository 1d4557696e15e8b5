/*
 * http/http_registry.c - routes and handlers of the Confluent Schema Registry REST API
 * (see docs/schema-registry.md for every endpoint, status and error code).
 *
 * Layer: called by http.c (and tests, the fuzz target); calls registry/registry.h.
 * Parsing: bodies are JSON, parsed by jansson. The only hand-written parsing is splitting
 *   the request target on '/', '?', '&' and '=' and percent-decoding the pieces, which no
 *   library here does for us without also decoding "%2F" before the split (libmicrohttpd
 *   does); it is covered by the registry fuzz target.
 * Responses: compact JSON; content type application/vnd.schemaregistry.v1+json, or
 *   application/json when that is what the client's Accept header prefers.
 */
#include "http/http_registry.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SEGS   8
#define MAX_QUERY  16
#define CT_V1      "application/vnd.schemaregistry.v1+json"
#define CT_DEFAULT "application/vnd.schemaregistry+json"
#define CT_JSON    "application/json"

typedef struct ctx {
    rn_registry *reg;
    const rn_http_request *req;
    rn_http_response *resp;
    char *buf; /* decoded segments and query pieces, NUL-separated; from malloc() */
    const char *seg[MAX_SEGS];
    int nseg;
    const char *qk[MAX_QUERY], *qv[MAX_QUERY];
    int nq;
    const char *ctype; /* response content type */
} ctx;

/* ------------------------------------------------------------------ parsing the target */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long rn_http_percent_decode(const char *src, size_t len, char *dst, int plus_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = src[i];
        if (ch == '%') {
            if (i + 2 >= len) /* needs two more characters */
                return -1;
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            ch = (char)(hi * 16 + lo);
            if (!ch) return -1;
            i += 2;
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        } else if (!ch) {
            return -1;
        }
        dst[o++] = ch;
    }
    dst[o] = '\0';
    return (long)o;
}

/* Splits and decodes the target into c->seg and c->qk/qv. Returns 0, or -1 if malformed
 * (bad escape, too many segments or parameters, empty inner segment). */
static int parse_target(ctx *c)
{
    const char *t = c->req->target ? c->req->target : "";
    size_t len = strlen(t);
    c->buf = malloc(len + MAX_SEGS + 2 * MAX_QUERY + 2);
    if (!c->buf) return -2;
    const char *q = strchr(t, '?');
    size_t plen = q ? (size_t)(q - t) : len;
    char *o = c->buf;
    if (plen == 0 || t[0] != '/') return -1;
    size_t i = 1;
    while (i < plen) {
        size_t j = i;
        while (j < plen && t[j] != '/')
            j++;
        if (j == i) return -1; /* "//" */
        if (c->nseg == MAX_SEGS) return -1;
        long n = rn_http_percent_decode(t + i, j - i, o, 0);
        if (n < 0) return -1;
        c->seg[c->nseg++] = o;
        o += n + 1;
        i = j + 1; /* a trailing '/' ends the loop: "/subjects/" is "/subjects" */
    }
    if (q) {
        const char *p = q + 1, *end = t + len;
        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *stop = amp ? amp : end;
            if (stop > p) {
                if (c->nq == MAX_QUERY) return -1;
                const char *eq = memchr(p, '=', (size_t)(stop - p));
                const char *kend = eq ? eq : stop;
                long n = rn_http_percent_decode(p, (size_t)(kend - p), o, 1);
                if (n < 0) return -1;
                c->qk[c->nq] = o;
                o += n + 1;
                if (eq) {
                    n = rn_http_percent_decode(eq + 1, (size_t)(stop - eq - 1), o, 1);
                    if (n < 0) return -1;
                } else {
                    *o = '\0';
                    n = 0;
                }
                c->qv[c->nq++] = o;
                o += n + 1;
            }
            p = stop + 1;
        }
    }
    return 0;
}

static const char *query(const ctx *c, const char *key)
{
    for (int i = c->nq - 1; i >= 0; i--) /* the last occurrence wins */
        if (!strcmp(c->qk[i], key)) return c->qv[i];
    return NULL;
}

static bool query_bool(const ctx *c, const char *key)
{
    const char *v = query(c, key);
    return v && !strcasecmp(v, "true");
}

/* ------------------------------------------------------------------ responses */

static void set_body(ctx *c, int status, char *body)
{
    static const char oom[] = "{\"error_code\":50001,\"message\":\"Out of memory\"}";
    if (!body) {
        status = 500;
        body = strdup(oom);
    }
    c->resp->status = status;
    c->resp->content_type = c->ctype;
    c->resp->body = body;
    c->resp->body_len = body ? strlen(body) : 0;
}

/* Replies with j (stolen). */
static int reply_json(ctx *c, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    set_body(c, status, s);
    return 1;
}

static int reply_error(ctx *c, int status, int error_code, const char *message)
{
    return reply_json(c, status,
                      json_pack("{s:i, s:s}", "error_code", error_code, "message", message));
}

static int reply_reg(ctx *c, const rn_reg_err *e)
{
    return reply_error(c, rn_reg_http_status(e->error_code), e->error_code, e->message);
}

static int not_found(ctx *c)
{
    return reply_error(c, 404, 404, "HTTP 404 Not Found");
}

static int not_allowed(ctx *c)
{
    return reply_error(c, 405, 405, "HTTP 405 Method Not Allowed");
}

/* ------------------------------------------------------------------ request helpers */

static bool is_method(const ctx *c, const char *m)
{
    return c->req->method && !strcmp(c->req->method, m);
}

static bool media_is(const char *header, const char *type)
{
    size_t n = strlen(type);
    return header && !strncasecmp(header, type, n) &&
           (header[n] == '\0' || header[n] == ';' || header[n] == ' ' || header[n] == ',');
}

/* Content-Type of a request body: Confluent's, JSON, octet-stream, or none. */
static bool content_type_ok(const ctx *c)
{
    const char *t = c->req->content_type;
    if (!t || !*t) return true;
    while (*t == ' ')
        t++;
    return media_is(t, CT_V1) || media_is(t, CT_DEFAULT) || media_is(t, CT_JSON) ||
           media_is(t, "application/octet-stream");
}

/* The response type the Accept header prefers; Confluent's v1 type by default. */
static const char *negotiate(const char *accept)
{
    if (!accept || !*accept || strstr(accept, CT_V1) || strstr(accept, "*/*")) return CT_V1;
    if (strstr(accept, CT_DEFAULT)) return CT_DEFAULT;
    if (strstr(accept, CT_JSON)) return CT_JSON;
    return CT_V1;
}

/* Parses the body as a JSON object into *out. On failure replies and returns 0. */
static int body_object(ctx *c, json_t **out)
{
    if (!content_type_ok(c)) return reply_error(c, 415, 415, "HTTP 415 Unsupported Media Type"), 0;
    json_error_t je;
    json_t *j = json_loadb(c->req->body ? c->req->body : "", c->req->body_len, 0, &je);
    if (!j) {
        char msg[300];
        snprintf(msg, sizeof msg, "Invalid JSON in the request body: %s (line %d, column %d)",
                 je.text, je.line, je.column);
        return reply_error(c, 400, 400, msg), 0;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return reply_error(c, 422, 422, "The request body must be a JSON object"), 0;
    }
    *out = j;
    return 1;
}

/* {"schema": "...", "schemaType": ..., "references": [...], "id": n, "version": n} into
 * in (strings point into *holder). On failure replies and returns 0. */
static int schema_body(ctx *c, rn_reg_schema_in *in, json_t **holder)
{
    memset(in, 0, sizeof *in);
    in->id = in->version = -1;
    if (!body_object(c, holder)) return 0;
    const json_t *s = json_object_get(*holder, "schema");
    const json_t *t = json_object_get(*holder, "schemaType");
    const json_t *refs = json_object_get(*holder, "references");
    const json_t *id = json_object_get(*holder, "id"), *ver = json_object_get(*holder, "version");
    const char *bad = NULL;
    if (s && !json_is_string(s) && !json_is_null(s))
        bad = "\"schema\" must be a string holding the schema's JSON text";
    else if (t && !json_is_string(t) && !json_is_null(t))
        bad = "\"schemaType\" must be a string";
    else if (refs && !json_is_array(refs) && !json_is_null(refs))
        bad = "\"references\" must be an array";
    else if ((id && !json_is_integer(id) && !json_is_null(id)) ||
             (ver && !json_is_integer(ver) && !json_is_null(ver)))
        bad = "\"id\" and \"version\" must be integers";
    if (bad) {
        json_decref(*holder);
        *holder = NULL;
        return reply_error(c, 422, RN_REG_INVALID_SCHEMA, bad), 0;
    }
    in->schema = json_string_value(s);
    in->schema_type = json_string_value(t);
    in->has_references = json_array_size(refs) > 0;
    if (json_is_integer(id) && json_integer_value(id) > 0 && json_integer_value(id) <= INT32_MAX)
        in->id = (int)json_integer_value(id);
    if (json_is_integer(ver) && json_integer_value(ver) > 0 && json_integer_value(ver) <= INT32_MAX)
        in->version = (int)json_integer_value(ver);
    return 1;
}

/* "latest", "-1" or 1..2^31-1; else replies 42202 and returns 0. */
static int parse_version(ctx *c, const char *s, int *out)
{
    if (!strcasecmp(s, "latest") || !strcmp(s, "-1")) {
        *out = -1;
        return 1;
    }
    long long v = 0;
    bool good = *s != '\0' && strlen(s) <= 10;
    for (const char *p = s; good && *p; p++) {
        if (*p < '0' || *p > '9')
            good = false;
        else
            v = v * 10 + (*p - '0');
    }
    if (good && v >= 1 && v <= INT32_MAX) {
        *out = (int)v;
        return 1;
    }
    char msg[256];
    snprintf(msg, sizeof msg,
             "The specified version '%.64s' is not a valid version id. Allowed values are "
             "between [1, 2^31-1] and the string \"latest\"",
             s);
    return reply_error(c, 422, RN_REG_INVALID_VERSION, msg), 0;
}

/* A schema id in 1..2^31-1; else replies 40403 and returns 0. */
static int parse_id(ctx *c, const char *s, int *out)
{
    long long v = 0;
    bool good = *s != '\0' && strlen(s) <= 10;
    for (const char *p = s; good && *p; p++) {
        if (*p < '0' || *p > '9')
            good = false;
        else
            v = v * 10 + (*p - '0');
    }
    if (good && v >= 1 && v <= INT32_MAX) {
        *out = (int)v;
        return 1;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "Schema %.64s not found", s);
    return reply_error(c, 404, RN_REG_SCHEMA_NOT_FOUND, msg), 0;
}

/* ------------------------------------------------------------------ handlers */

/* Replies with the result of a registry call that returns JSON. */
static int reply_result(ctx *c, int rc, json_t *out, const rn_reg_err *e)
{
    if (rc) return reply_reg(c, e);
    return reply_json(c, 200, out);
}

static int raw_schema(ctx *c, int rc, json_t *out, const rn_reg_err *e)
{
    if (rc) return reply_reg(c, e);
    const char *s = json_string_value(json_object_get(out, "schema"));
    set_body(c, 200, strdup(s ? s : ""));
    json_decref(out);
    return 1;
}

static int h_subject_versions(ctx *c, const char *subject)
{
    rn_reg_err e;
    json_t *out = NULL;
    if (is_method(c, "GET")) {
        int rc = rn_registry_list_versions(c->reg, subject, query_bool(c, "deleted"), &out, &e);
        return reply_result(c, rc, out, &e);
    }
    if (is_method(c, "POST")) {
        rn_reg_schema_in in;
        json_t *holder = NULL;
        if (!schema_body(c, &in, &holder)) return 1;
        int id = 0;
        int rc = rn_registry_register(c->reg, subject, &in, &id, &e);
        json_decref(holder);
        if (rc) return reply_reg(c, &e);
        return reply_json(c, 200, json_pack("{s:i}", "id", id));
    }
    return not_allowed(c);
}

static int h_subject_version(ctx *c, const char *subject, const char *vs, const char *tail)
{
    rn_reg_err e;
    json_t *out = NULL;
    int version;
    if (!tail && !is_method(c, "GET") && !is_method(c, "DELETE")) return not_allowed(c);
    if (tail && !is_method(c, "GET")) return not_allowed(c);
    if (!parse_version(c, vs, &version)) return 1;
    if (!tail && is_method(c, "DELETE")) {
        int deleted = 0;
        int rc = rn_registry_delete_version(c->reg, subject, version, query_bool(c, "permanent"),
                                            &deleted, &e);
        if (rc) return reply_reg(c, &e);
        return reply_json(c, 200, json_integer(deleted));
    }
    bool deleted = query_bool(c, "deleted");
    if (tail && !strcmp(tail, "referencedby")) deleted = true;
    int rc = rn_registry_get_version(c->reg, subject, version, deleted, &out, &e);
    if (!tail) return reply_result(c, rc, out, &e);
    if (!strcmp(tail, "schema")) return raw_schema(c, rc, out, &e);
    /* referencedby: references are not supported, so nothing refers to anything */
    if (rc) return reply_reg(c, &e);
    json_decref(out);
    return reply_json(c, 200, json_array());
}

static int h_subjects(ctx *c)
{
    rn_reg_err e;
    json_t *out = NULL;
    if (c->nseg == 1) {
        if (!is_method(c, "GET")) return not_allowed(c);
        int rc = rn_registry_list_subjects(c->reg, query_bool(c, "deleted"), &out, &e);
        return reply_result(c, rc, out, &e);
    }
    const char *subject = c->seg[1];
    if (c->nseg == 2) {
        if (is_method(c, "POST")) {
            rn_reg_schema_in in;
            json_t *holder = NULL;
            if (!schema_body(c, &in, &holder)) return 1;
            int rc = rn_registry_lookup(c->reg, subject, &in, query_bool(c, "deleted"), &out, &e);
            json_decref(holder);
            return reply_result(c, rc, out, &e);
        }
        if (is_method(c, "DELETE")) {
            int rc =
                rn_registry_delete_subject(c->reg, subject, query_bool(c, "permanent"), &out, &e);
            return reply_result(c, rc, out, &e);
        }
        return not_allowed(c);
    }
    if (strcmp(c->seg[2], "versions")) return not_found(c);
    if (c->nseg == 3) return h_subject_versions(c, subject);
    if (c->nseg == 4) return h_subject_version(c, subject, c->seg[3], NULL);
    if (c->nseg == 5 && (!strcmp(c->seg[4], "schema") || !strcmp(c->seg[4], "referencedby")))
        return h_subject_version(c, subject, c->seg[3], c->seg[4]);
    return not_found(c);
}

static int h_schemas(ctx *c)
{
    rn_reg_err e;
    json_t *out = NULL;
    if (c->nseg == 2 && !strcmp(c->seg[1], "types")) {
        if (!is_method(c, "GET")) return not_allowed(c);
        return reply_json(c, 200, json_pack("[s]", "JSON"));
    }
    if (c->nseg < 3 || c->nseg > 4 || strcmp(c->seg[1], "ids")) return not_found(c);
    if (c->nseg == 4 && strcmp(c->seg[3], "schema") && strcmp(c->seg[3], "versions") &&
        strcmp(c->seg[3], "subjects"))
        return not_found(c);
    if (!is_method(c, "GET")) return not_allowed(c);
    int id;
    if (!parse_id(c, c->seg[2], &id)) return 1;
    bool deleted = query_bool(c, "deleted");
    int rc;
    if (c->nseg == 3 || !strcmp(c->seg[3], "schema")) {
        rc = rn_registry_schema_by_id(c->reg, id, &out, &e);
        return c->nseg == 3 ? reply_result(c, rc, out, &e) : raw_schema(c, rc, out, &e);
    }
    if (!strcmp(c->seg[3], "versions"))
        rc = rn_registry_schema_versions(c->reg, id, deleted, &out, &e);
    else
        rc = rn_registry_schema_subjects(c->reg, id, deleted, &out, &e);
    return reply_result(c, rc, out, &e);
}

static int h_compatibility(ctx *c)
{
    if (c->nseg < 4 || c->nseg > 5 || strcmp(c->seg[1], "subjects") ||
        strcmp(c->seg[3], "versions"))
        return not_found(c);
    if (!is_method(c, "POST")) return not_allowed(c);
    int version = 0; /* every version the subject's level checks */
    if (c->nseg == 5 && !parse_version(c, c->seg[4], &version)) return 1;
    rn_reg_schema_in in;
    json_t *holder = NULL, *out = NULL;
    if (!schema_body(c, &in, &holder)) return 1;
    rn_reg_err e;
    int rc = rn_registry_check(c->reg, c->seg[2], version, &in, query_bool(c, "verbose"), &out, &e);
    json_decref(holder);
    return reply_result(c, rc, out, &e);
}

static const char INVALID_LEVEL[] =
    "Invalid compatibility level. Valid values are none, backward, forward, full, "
    "backward_transitive, forward_transitive, and full_transitive";
static const char INVALID_MODE[] = "Invalid mode. Valid values are READWRITE, READONLY and IMPORT";

static int h_config(ctx *c)
{
    if (c->nseg > 2) return not_found(c);
    const char *subject = c->nseg == 2 ? c->seg[1] : NULL;
    rn_reg_err e;
    rn_compat_level level;
    int rc;
    if (is_method(c, "GET")) {
        rc = rn_registry_get_config(c->reg, subject, query_bool(c, "defaultToGlobal"), &level, &e);
        if (rc) return reply_reg(c, &e);
        return reply_json(c, 200,
                          json_pack("{s:s}", "compatibilityLevel", rn_compat_level_name(level)));
    }
    if (is_method(c, "PUT")) {
        json_t *body = NULL;
        if (!body_object(c, &body)) return 1;
        const json_t *v = json_object_get(body, "compatibility");
        if (!v) v = json_object_get(body, "compatibilityLevel");
        int l = rn_compat_level_parse(json_string_value(v));
        json_decref(body);
        if (l < 0) return reply_error(c, 422, RN_REG_INVALID_COMPAT, INVALID_LEVEL);
        rc = rn_registry_set_config(c->reg, subject, (rn_compat_level)l, &e);
        if (rc) return reply_reg(c, &e);
        return reply_json(
            c, 200, json_pack("{s:s}", "compatibility", rn_compat_level_name((rn_compat_level)l)));
    }
    if (is_method(c, "DELETE")) {
        rc = rn_registry_delete_config(c->reg, subject, &level, &e);
        if (rc) return reply_reg(c, &e);
        return reply_json(c, 200,
                          json_pack("{s:s}", "compatibilityLevel", rn_compat_level_name(level)));
    }
    return not_allowed(c);
}

static int h_mode(ctx *c)
{
    if (c->nseg > 2) return not_found(c);
    const char *subject = c->nseg == 2 ? c->seg[1] : NULL;
    rn_reg_err e;
    rn_reg_mode mode;
    int rc;
    if (is_method(c, "GET")) {
        rc = rn_registry_get_mode(c->reg, subject, query_bool(c, "defaultToGlobal"), &mode, &e);
        if (rc) return reply_reg(c, &e);
        return reply_json(c, 200, json_pack("{s:s}", "mode", rn_reg_mode_name(mode)));
    }
    if (is_method(c, "PUT")) {
        json_t *body = NULL;
        if (!body_object(c, &body)) return 1;
        int m = rn_reg_mode_parse(json_string_value(json_object_get(body, "mode")));
        json_decref(body);
        if (m < 0) return reply_error(c, 422, RN_REG_INVALID_MODE, INVALID_MODE);
        rc = rn_registry_set_mode(c->reg, subject, (rn_reg_mode)m, query_bool(c, "force"), &e);
        if (rc) return reply_reg(c, &e);
        return reply_json(c, 200, json_pack("{s:s}", "mode", rn_reg_mode_name((rn_reg_mode)m)));
    }
    if (is_method(c, "DELETE") && subject) {
        rc = rn_registry_delete_mode(c->reg, subject, &mode, &e);
        if (rc) return reply_reg(c, &e);
        return reply_json(c, 200, json_pack("{s:s}", "mode", rn_reg_mode_name(mode)));
    }
    return not_allowed(c);
}

/* ------------------------------------------------------------------ entry point */

static bool registry_path(const char *target)
{
    static const char *const roots[] = {"subjects", "schemas", "compatibility", "config", "mode"};
    if (!target || target[0] != '/') return false;
    const char *p = target + 1;
    if (*p == '\0' || *p == '?') return true; /* "/" */
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        size_t n = strlen(roots[i]);
        if (!strncmp(p, roots[i], n) && (p[n] == '\0' || p[n] == '/' || p[n] == '?')) return true;
    }
    return false;
}

int rn_http_registry_handle(rn_registry *reg, const rn_http_request *req, rn_http_response *resp)
{
    if (!registry_path(req->target)) return 0;
    ctx c;
    memset(&c, 0, sizeof c);
    c.reg = reg;
    c.req = req;
    c.resp = resp;
    c.ctype = negotiate(req->accept);
    int prc = parse_target(&c);
    if (prc == -2)
        set_body(&c, 500, NULL);
    else if (prc)
        reply_error(&c, 400, 400, "Malformed request URL");
    else if (!reg)
        reply_error(&c, 503, 50001, "The schema registry is not enabled");
    else if (c.nseg == 0)
        is_method(&c, "GET") ? reply_json(&c, 200, json_object()) : not_allowed(&c);
    else if (!strcmp(c.seg[0], "subjects"))
        h_subjects(&c);
    else if (!strcmp(c.seg[0], "schemas"))
        h_schemas(&c);
    else if (!strcmp(c.seg[0], "compatibility"))
        h_compatibility(&c);
    else if (!strcmp(c.seg[0], "config"))
        h_config(&c);
    else if (!strcmp(c.seg[0], "mode"))
        h_mode(&c);
    else
        not_found(&c);
    free(c.buf);
    return 1;
}
