/*
 * http/http.c - libmicrohttpd listener with a small route table.
 */
#include "http/http.h"

#include "net/net.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct rn_http {
    struct MHD_Daemon *d;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *json)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(json), (void *)(uintptr_t)json, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)cls;
    (void)version;
    (void)upload;
    if (!*state) { /* first call: headers only */
        static int marker;
        *state = &marker;
        return MHD_YES;
    }
    if (*upload_size) { /* bodies are not used yet: discard */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(url, "/health") && !strcmp(method, "GET"))
        return reply(c, 200, "{\"status\":\"ok\"}");
    return reply(c, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
}

int rn_http_start(const char *hostport, rn_http **out, char *bound, size_t boundlen, rn_err *err)
{
    char host[256];
    int port;
    int rc = rn_net_split_hostport(hostport, host, sizeof host, &port, err);
    if (rc)
        return rc;
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
        return rn_err_set(err, RN_EINVAL, "bad address '%s': host must be an IP address",
                          hostport);
    }
    rn_http *h = calloc(1, sizeof *h);
    if (!h)
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
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
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
