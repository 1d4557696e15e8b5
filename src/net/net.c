/*
 * net/net.c - libuv listeners and connections; cuts the stream into Kafka frames.
 *
 * Reads: while no frame is in progress, bytes land in a per-connection 64 KiB scratch
 * buffer and are parsed into (size, frame). Once a frame's size is known its buffer is
 * allocated, and libuv reads the rest of a large frame straight into it (no copy for
 * the bulk of a big Produce request).
 */
#include "net/net.h"

#include "common/diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_SIZE 65536

struct rn_listener {
    uv_tcp_t tcp;
    uv_loop_t *loop;
    size_t max_frame;
    rn_net_handlers h;
    void *ud;
    rn_conn *conns; /* doubly linked list of open connections */
    int nconns;
    int closing;
};

struct rn_conn {
    uv_tcp_t tcp;
    rn_listener *l;
    rn_conn *prev, *next;
    void *ud;
    char peer[64];
    uint8_t size_bytes[4];
    size_t size_got;
    uint8_t *frame; /* from malloc(); the frame in progress, or NULL */
    size_t frame_len;
    size_t frame_got;
    uint8_t *scratch; /* from malloc(), SCRATCH_SIZE bytes */
    size_t write_queued;
    int closing;
    int reading;
    int paused;
};

typedef struct write_req {
    uv_write_t req;
    rn_conn *c;
    uint8_t *p; /* from malloc(), owned */
    size_t len;
} write_req;

int rn_net_split_hostport(const char *hostport, char *host, size_t hostlen, int *port, rn_err *err)
{
    const char *colon;
    const char *hs = hostport;
    size_t hl;
    if (hostport[0] == '[') {
        const char *close = strchr(hostport, ']');
        if (!close || close[1] != ':')
            return rn_err_set(err, RN_EINVAL, "bad address '%s': expected [v6]:port", hostport);
        hs = hostport + 1;
        hl = (size_t)(close - hs);
        colon = close + 1;
    } else {
        colon = strrchr(hostport, ':');
        if (!colon)
            return rn_err_set(err, RN_EINVAL, "bad address '%s': expected host:port", hostport);
        hl = (size_t)(colon - hostport);
    }
    if (hl == 0 || hl >= hostlen)
        return rn_err_set(err, RN_EINVAL, "bad address '%s': bad host", hostport);
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return rn_err_set(err, RN_EINVAL, "bad address '%s': bad port", hostport);
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (int)p;
    return RN_OK;
}

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
    char ip[64] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        uv_ip4_name(a, ip, sizeof ip);
        port = ntohs(a->sin_port);
        snprintf(out, outlen, "%s:%d", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(a, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        snprintf(out, outlen, "[%s]:%d", ip, port);
    } else {
        snprintf(out, outlen, "?");
    }
}

/* ------------------------------------------------------------------ connections */

static void conn_closed_cb(uv_handle_t *h)
{
    rn_conn *c = h->data;
    free(c->frame);
    free(c->scratch);
    free(c);
}

void rn_conn_close(rn_conn *c, const char *reason)
{
    if (c->closing) return;
    c->closing = 1;
    if (reason) RN_WARN("net: closing connection from %s: %s", c->peer, reason);
    rn_listener *l = c->l;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    l->nconns--;
    if (l->h.on_close) l->h.on_close(c, c->ud);
    uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    rn_conn *c = h->data;
    if (c->frame && c->frame_got < c->frame_len && c->frame_len - c->frame_got >= SCRATCH_SIZE) {
        /* Large remainder of a known frame: read straight into it. */
        buf->base = (char *)c->frame + c->frame_got;
        buf->len = c->frame_len - c->frame_got;
    } else {
        buf->base = (char *)c->scratch;
        buf->len = SCRATCH_SIZE;
    }
}

/* Completes the current frame if whole: hands it up. Returns 0, or -1 if c closed. */
static int deliver_if_complete(rn_conn *c)
{
    if (!c->frame || c->frame_got < c->frame_len) return 0;
    uint8_t *f = c->frame;
    size_t len = c->frame_len;
    c->frame = NULL;
    c->frame_len = c->frame_got = 0;
    c->size_got = 0;
    c->l->h.on_frame(c, c->ud, f, len);
    return c->closing ? -1 : 0;
}

/* Feeds bytes from the scratch buffer into the framing state machine. */
static void consume_bytes(rn_conn *c, const uint8_t *p, size_t n)
{
    while (n > 0 && !c->closing) {
        if (!c->frame) {
            size_t take = 4 - c->size_got;
            if (take > n) take = n;
            memcpy(c->size_bytes + c->size_got, p, take);
            c->size_got += take;
            p += take;
            n -= take;
            if (c->size_got < 4) return;
            int32_t size = (int32_t)rn_be32_load(c->size_bytes);
            if (size < 8) {
                char msg[96];
                snprintf(msg, sizeof msg, "malformed frame: size %d is too small", (int)size);
                rn_conn_close(c, msg);
                return;
            }
            if ((size_t)size > c->l->max_frame) {
                char msg[128];
                snprintf(msg, sizeof msg,
                         "frame of %d bytes exceeds socket.request.max.bytes (%zu)", (int)size,
                         c->l->max_frame);
                rn_conn_close(c, msg);
                return;
            }
            c->frame = malloc((size_t)size);
            if (!c->frame) {
                rn_conn_close(c, "out of memory for frame");
                return;
            }
            c->frame_len = (size_t)size;
            c->frame_got = 0;
        }
        size_t take = c->frame_len - c->frame_got;
        if (take > n) take = n;
        memcpy(c->frame + c->frame_got, p, take);
        c->frame_got += take;
        p += take;
        n -= take;
        if (deliver_if_complete(c)) return;
    }
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    rn_conn *c = s->data;
    if (nread < 0) {
        if (nread != UV_EOF && nread != UV_ECONNRESET)
            RN_INFO("net: read error from %s: %s", c->peer, uv_strerror((int)nread));
        rn_conn_close(c, NULL);
        return;
    }
    if (nread == 0) return;
    if ((uint8_t *)buf->base != c->scratch) {
        c->frame_got += (size_t)nread;
        deliver_if_complete(c);
        return;
    }
    consume_bytes(c, (const uint8_t *)buf->base, (size_t)nread);
}

static void on_connection(uv_stream_t *server, int status)
{
    rn_listener *l = server->data;
    if (status < 0) {
        RN_WARN("net: accept failed: %s", uv_strerror(status));
        return;
    }
    rn_conn *c = calloc(1, sizeof *c);
    if (!c) return;
    c->scratch = malloc(SCRATCH_SIZE);
    uv_tcp_init(l->loop, &c->tcp);
    c->tcp.data = c;
    c->l = l;
    if (!c->scratch || uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        free(c->scratch);
        c->scratch = NULL;
        uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0)
        format_addr(&ss, c->peer, sizeof c->peer);
    else
        snprintf(c->peer, sizeof c->peer, "?");
    c->next = l->conns;
    if (l->conns) l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    c->ud = l->h.on_open ? l->h.on_open(c, l->ud) : NULL;
    if (l->h.on_open && !c->ud) {
        rn_conn_close(c, "refused");
        return;
    }
    c->reading = 1;
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

/* ------------------------------------------------------------------ writes */

static void write_done(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    rn_conn *c = w->c;
    c->write_queued -= w->len;
    free(w->p);
    free(w);
    if (status < 0 && status != UV_ECANCELED && !c->closing) rn_conn_close(c, NULL);
}

void rn_conn_write(rn_conn *c, rn_buf *data)
{
    uint8_t *p = data->p;
    size_t len = data->len;
    data->p = NULL;
    data->len = data->cap = 0;
    if (c->closing || len == 0) {
        free(p);
        return;
    }
    /* Fast path: nothing queued, try to write it all now. */
    if (c->write_queued == 0) {
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (n == (int)len) {
            free(p);
            return;
        }
        if (n > 0) {
            memmove(p, p + n, len - (size_t)n);
            len -= (size_t)n;
        } else if (n != UV_EAGAIN && n != UV_ENOSYS) {
            free(p);
            rn_conn_close(c, NULL);
            return;
        }
    }
    write_req *w = malloc(sizeof *w);
    if (!w) {
        free(p);
        rn_conn_close(c, "out of memory for write");
        return;
    }
    w->c = c;
    w->p = p;
    w->len = len;
    c->write_queued += len;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done);
    if (rc < 0) {
        c->write_queued -= len;
        free(p);
        free(w);
        rn_conn_close(c, NULL);
    }
}

size_t rn_conn_write_queue_size(const rn_conn *c)
{
    return c->write_queued;
}

void rn_conn_pause(rn_conn *c)
{
    if (c->closing || c->paused) return;
    c->paused = 1;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

void rn_conn_resume(rn_conn *c)
{
    if (c->closing || !c->paused) return;
    c->paused = 0;
    c->reading = 1;
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

const char *rn_conn_peer(const rn_conn *c)
{
    return c->peer;
}

/* ------------------------------------------------------------------ listeners */

int rn_listener_open(uv_loop_t *loop, const char *hostport, size_t max_frame,
                     const rn_net_handlers *h, void *ud, rn_listener **out, char *bound,
                     size_t boundlen, rn_err *err)
{
    char host[256];
    int port;
    int rc = rn_net_split_hostport(hostport, host, sizeof host, &port, err);
    if (rc) return rc;
    struct sockaddr_storage ss;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return rn_err_set(err, RN_EINVAL, "bad address '%s': host must be an IP address", hostport);
    rn_listener *l = calloc(1, sizeof *l);
    if (!l) return rn_err_set(err, RN_ENOMEM, "out of memory");
    l->loop = loop;
    l->max_frame = max_frame;
    l->h = *h;
    l->ud = ud;
    uv_tcp_init(loop, &l->tcp);
    l->tcp.data = l;
    int r = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, 0);
    if (r == 0) r = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection);
    if (r != 0) {
        uv_close((uv_handle_t *)&l->tcp, (uv_close_cb)free);
        return rn_err_set(err, RN_EIO, "cannot listen on %s: %s", hostport, uv_strerror(r));
    }
    if (bound) {
        struct sockaddr_storage name;
        int nl = sizeof name;
        uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&name, &nl);
        format_addr(&name, bound, boundlen);
    }
    *out = l;
    return RN_OK;
}

static void listener_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

void rn_listener_close(rn_listener *l)
{
    if (!l || l->closing) return;
    l->closing = 1;
    while (l->conns)
        rn_conn_close(l->conns, NULL);
    uv_close((uv_handle_t *)&l->tcp, listener_closed_cb);
}

int rn_listener_conn_count(const rn_listener *l)
{
    return l->nconns;
}
