/*
 * http/http_registry.h - the Confluent Schema Registry REST API as a pure function from a
 * request (method, raw path, raw query, headers, body) to a response (status, content
 * type, body), with no sockets: http.c feeds it from libmicrohttpd, and unit tests and the
 * fuzz target call it directly.
 *
 * Layer: called by http.c; calls registry/registry.h and jansson.
 * Paths: segments are percent-decoded here, after splitting on '/', so a subject may
 *   contain "%2F". Queries: "a=b&c" pairs, percent- and '+'-decoded.
 * Threads: any; the registry is thread-safe.
 */
#ifndef RN_HTTP_HTTP_REGISTRY_H
#define RN_HTTP_HTTP_REGISTRY_H

#include "registry/registry.h"

#include <stddef.h>

typedef struct rn_http_request {
    const char *method;       /* "GET", "POST", "PUT", "DELETE", ... */
    const char *target;       /* raw request target: "/subjects/a%2Fb/versions?deleted=true" */
    const char *content_type; /* Content-Type header or NULL */
    const char *accept;       /* Accept header or NULL */
    const char *body;         /* request body (not NUL-terminated) or NULL */
    size_t body_len;
} rn_http_request;

typedef struct rn_http_response {
    int status;               /* HTTP status */
    const char *content_type; /* static string */
    char *body;               /* from malloc(); the caller frees it */
    size_t body_len;
} rn_http_response;

/* Serves req if its path belongs to the schema registry API (/subjects, /schemas,
 * /compatibility, /config, /mode, and "/"). Returns 1 with *resp filled (the caller frees
 * resp->body), or 0 when the path is not the registry's (resp untouched). reg may be NULL:
 * registry paths then answer 503. Never fails otherwise: out of memory is a 500 with a
 * static body copy. */
int rn_http_registry_handle(rn_registry *reg, const rn_http_request *req, rn_http_response *resp);

/* Percent-decodes src[0..len) into dst (room for len + 1 bytes); plus_space turns '+' into
 * ' ' (query strings). Returns the decoded length, or -1 for a malformed escape or an
 * encoded NUL. */
long rn_http_percent_decode(const char *src, size_t len, char *dst, int plus_space);

#endif
