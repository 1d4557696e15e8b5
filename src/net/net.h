/*
 * net/net.h - TCP listeners and connections on libuv that cut the byte stream into
 * Kafka frames (int32 size + size bytes) and write responses back. Frames, not Kafka:
 * this layer never parses a frame's contents.
 *
 * Layer: used by kafka/api (dispatch) and cli/cmd_serve; calls libuv and common/.
 * Ownership: each complete frame is handed to on_frame in a buffer from malloc() that the
 *   handler then owns (free() it when done). Buffers given to rn_conn_write are owned by
 *   the connection from the call on, also on failure.
 * Threads: loop thread only.
 */
#ifndef RN_NET_NET_H
#define RN_NET_NET_H

#include "common/buf.h"
#include "common/err.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct rn_listener rn_listener;
typedef struct rn_conn rn_conn;

typedef struct rn_net_handlers {
    /* A connection was accepted; return the per-connection user data (NULL to refuse). */
    void *(*on_open)(rn_conn *c, void *listener_ud);
    /* One whole frame (without the 4-byte size). The handler owns frame (malloc'd). */
    void (*on_frame)(rn_conn *c, void *conn_ud, uint8_t *frame, size_t len);
    /* The connection is gone (peer closed, error, or rn_conn_close). No more calls for it;
     * the rn_conn pointer is invalid after this returns. */
    void (*on_close)(rn_conn *c, void *conn_ud);
} rn_net_handlers;

/* Binds and listens on hostport ("127.0.0.1:9092", "[::1]:0", "0.0.0.0:9092"; port 0
 * picks a free port). Frames larger than max_frame close the connection with a log line
 * naming the peer. On success *out is the listener and bound (if not NULL) receives the
 * actual "host:port". */
int rn_listener_open(uv_loop_t *loop, const char *hostport, size_t max_frame,
                     const rn_net_handlers *h, void *ud, rn_listener **out, char *bound,
                     size_t boundlen, rn_err *err);

/* Stops accepting, and closes every connection (on_close runs for each). Frees the
 * listener once libuv has closed the handles (the loop must keep running). */
void rn_listener_close(rn_listener *l);

/* Number of open connections. */
int rn_listener_conn_count(const rn_listener *l);

/* Queues data->p[0..len) for writing; takes ownership of data's memory (data is reset to
 * empty). Writes complete in call order. */
void rn_conn_write(rn_conn *c, rn_buf *data);

/* Closes the connection after logging reason (if not NULL) at WARN with the peer. Pending
 * writes are dropped. on_close follows from the loop. Safe to call twice. */
void rn_conn_close(rn_conn *c, const char *reason);

/* Stops / restarts reading from the peer (backpressure while requests are pending). */
void rn_conn_pause(rn_conn *c);
void rn_conn_resume(rn_conn *c);

/* "127.0.0.1:53412" */
const char *rn_conn_peer(const rn_conn *c);

/* Bytes queued to the socket but not yet written. */
size_t rn_conn_write_queue_size(const rn_conn *c);

/* Splits "host:port" / "[v6]:port" into host and port; RN_EINVAL if malformed. */
int rn_net_split_hostport(const char *hostport, char *host, size_t hostlen, int *port, rn_err *err);

#endif
