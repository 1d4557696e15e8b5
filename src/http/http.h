/*
 * http/http.h - the HTTP listener (libmicrohttpd, its own threads): health and the
 * Confluent-compatible schema registry API; later issues add admin and metrics endpoints.
 *
 * Endpoints: GET /health -> {"status":"ok"}; the schema registry under /subjects,
 *   /schemas, /compatibility, /config, /mode (http_registry.c, docs/schema-registry.md).
 * Threads: requests are served on a small pool of libmicrohttpd threads; handlers touch
 *   only thread-safe state (the registry), never the broker's loop-thread state.
 */
#ifndef RN_HTTP_HTTP_H
#define RN_HTTP_HTTP_H

#include "common/err.h"
#include "registry/registry.h"

#include <stddef.h>

typedef struct rn_http rn_http;

/* Starts serving on hostport ("127.0.0.1:8081", port 0 = any free port); bound receives
 * the actual "host:port". registry is borrowed (may be NULL: registry paths answer 503)
 * and must outlive rn_http_stop. */
int rn_http_start(const char *hostport, rn_registry *registry, rn_http **out, char *bound,
                  size_t boundlen, rn_err *err);
/* Stops (waiting for requests being served) and frees (NULL is a no-op). */
void rn_http_stop(rn_http *h);

#endif
