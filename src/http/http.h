/*
 * http/http.h - the HTTP listener (libmicrohttpd, its own thread): health and, as later
 * issues add them, the schema registry, admin and metrics endpoints.
 *
 * Endpoints now: GET /health -> {"status":"ok"}.
 * Threads: requests are served on libmicrohttpd's internal thread; handlers must not
 * touch loop-thread state without synchronisation.
 */
#ifndef RN_HTTP_HTTP_H
#define RN_HTTP_HTTP_H

#include "common/err.h"

#include <stddef.h>

typedef struct rn_http rn_http;

/* Starts serving on hostport ("127.0.0.1:8081", port 0 = any free port); bound receives
 * the actual "host:port". */
int rn_http_start(const char *hostport, rn_http **out, char *bound, size_t boundlen, rn_err *err);
/* Stops and frees (NULL is a no-op). */
void rn_http_stop(rn_http *h);

#endif
