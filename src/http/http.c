/*
 * http/http.c - the libmicrohttpd listener: request bodies, the raw request target, and
 * dispatch to /health or the schema registry API (http_registry.c).
 *
 * Layer: called by cli/cmd_serve; calls http_registry.c, net/ (address parsing).
 * Request state: libmicrohttpd calls uri_log() with the raw, still percent-encoded
 *   request target before anything else; its return value becomes the per-request state
 *   (req_state), which accumulates the body and is freed in completed(). The raw target
 *   is kept because libmicrohttpd decodes "%2F" in the path before we could split it.
 * Threads: a pool of RN_HTTP_THREADS libmicrohttpd threads; the registry is thread-safe.
 */
#include "http/http.h"

#include "common/diag.h"
#include "http/http_registry.h"
#include "net/net.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RN_HTTP_THREADS  4
#define RN_HTTP_MAX_BODY (16u << 20) /* request bodies beyond this get 413 */

struct rn_http {
    struct MHD_Daemon *d;
    rn_registry *registry; /* borrowed */
};

typedef struct req_state {
    char *target; /* raw request target, from malloc() */
    char *body;   /* from malloc() */
    size_t len, cap;
    bool too_big;
    bool started; /* the header-only first call happened */
} req_state;

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    req_state *st = calloc(1, sizeof *st);
    if (st && !(st->target = strdup(uri ? uri : "/"))) {
        free(st);
        st = NULL;
    }
    return st;
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_state *st = *state;
    if (st) {
        free(st->target);
        free(st->body);
        free(st);
    }
    *state = NULL;
}

/* Queues body (taken over: freed by libmicrohttpd) with status and content type. */
static enum MHD_Result send_owned(struct MHD_Connection *c, unsigned status, const char *ctype,
                                  char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *json)
{
    char *copy = strdup(json);
    if (!copy) return MHD_NO;
    return send_owned(c, status, "application/json", copy, strlen(copy));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    rn_http *h = cls;
    (void)version;
    req_state *st = *state;
    if (!st) /* uri_log ran out of memory */
        return reply(c, 500, "{\"error_code\":500,\"message\":\"Out of memory\"}");
    if (!st->started) { /* first call: headers only */
        st->started = true;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (st->too_big || st->len + n > RN_HTTP_MAX_BODY) {
            st->too_big = true;
            return MHD_YES;
        }
        if (st->len + n + 1 > st->cap) {
            size_t cap = st->cap ? st->cap : 4096;
            while (cap < st->len + n + 1)
                cap *= 2;
            char *b = realloc(st->body, cap);
            if (!b) {
                st->too_big = true;
                return MHD_YES;
            }
            st->body = b;
            st->cap = cap;
        }
        memcpy(st->body + st->len, upload, n);
        st->len += n;
        st->body[st->len] = '\0';
        return MHD_YES;
    }
    if (st->too_big)
        return reply(c, 413, "{\"error_code\":413,\"message\":\"Request body too large\"}");
    if (!strcmp(url, "/health"))
        return !strcmp(method, "GET")
                   ? reply(c, 200, "{\"status\":\"ok\"}")
                   : reply(c, 405,
                           "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}");
    rn_http_request req = {
        .method = method,
        .target = st->target,
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        .accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept"),
        .body = st->body,
        .body_len = st->len,
    };
    rn_http_response resp;
    if (!rn_http_registry_handle(h->registry, &req, &resp))
        return reply(c, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    RN_DEBUG("http: %s %s -> %d", method, st->target, resp.status);
    return send_owned(c, (unsigned)resp.status, resp.content_type, resp.body, resp.body_len);
}

int rn_http_start(const char *hostport, rn_registry *registry, rn_http **out, char *bound,
                  size_t boundlen, rn_err *err)
{
    char host[256];
    int port;
    int rc = rn_net_split_hostport(hostport, host, sizeof host, &port, err);
    if (rc) return rc;
    struct sockaddr_in sa4;
    struct sockaddr_in6 sa6;
    const struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    memset(&sa4, 0, sizeof sa4);
    memset(&sa6, 0, sizeof sa6);
    if (inet_pton(AF_INET, host, &sa4.sin_addr) == 1) {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&sa4;
    } else if (inet_pton(AF_INET6, host, &sa6.sin6_addr) == 1) {
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&sa6;
        flags |= MHD_USE_IPv6;
    } else {
        return rn_err_set(err, RN_EINVAL, "bad address '%s': host must be an IP address", hostport);
    }
    rn_http *h = calloc(1, sizeof *h);
    if (!h) return rn_err_set(err, RN_ENOMEM, "out of memory");
    h->registry = registry;
    h->d =
        MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, sa,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_THREAD_POOL_SIZE,
                         (unsigned)RN_HTTP_THREADS, MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return rn_err_set(err, RN_EIO, "cannot listen on %s (HTTP)", hostport);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    int actual = info ? info->port : port;
    if (bound) {
        if (sa == (const struct sockaddr *)&sa6)
            snprintf(bound, boundlen, "[%s]:%d", host, actual);
        else
            snprintf(bound, boundlen, "%s:%d", host, actual);
    }
    *out = h;
    return RN_OK;
}

void rn_http_stop(rn_http *h)
{
    if (!h) return;
    MHD_stop_daemon(h->d);
    free(h);
}
