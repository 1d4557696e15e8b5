/*
 * kafka/api/dispatch.c - the per-connection request pipeline: decode the request header,
 * check the API key and version, route to the handler, and write responses back in
 * request order.
 *
 * Unsupported API key or version: ApiVersions gets UNSUPPORTED_VERSION in the v0 layout
 * (clients retry with v0); any other API closes the connection, as Kafka does.
 */
#include "kafka/api/api.h"

#include "common/diag.h"
#include "common/timeutil.h"
#include "group/group.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pause reading from a connection with this many unanswered requests. */
#define MAX_PENDING_PER_CONN 256

struct rn_kafka {
    rn_broker *b;
    rn_fetch_waiters *fetch; /* parked long-poll fetches (api_fetch.c) */
    int pending;             /* over all connections */
    rn_kconn *conns;
};

struct rn_kconn {
    rn_kafka *k;
    rn_conn *conn; /* NULL once the socket is gone */
    rn_kconn *prev, *next;
    rn_kreq *head, *tail;
    int npending;
    int paused;
    int flushing; /* flush_done is on the stack: nested calls return at once */
};

static const rn_kafka_api_entry api_table[] = {
    {0, 0, 8, 3, rn_kafka_handle_produce},
    {1, 4, 11, 4, rn_kafka_handle_fetch},
    {2, 1, 5, 1, rn_kafka_handle_list_offsets},
    {3, 0, 8, 0, rn_kafka_handle_metadata},
    {8, 2, 7, 2, rn_kafka_handle_offset_commit},
    {9, 1, 5, 1, rn_kafka_handle_offset_fetch},
    {10, 0, 2, 0, rn_kafka_handle_find_coordinator},
    {11, 0, 5, 0, rn_kafka_handle_join_group},
    {12, 0, 3, 0, rn_kafka_handle_heartbeat},
    {13, 0, 3, 0, rn_kafka_handle_leave_group},
    {14, 0, 3, 0, rn_kafka_handle_sync_group},
    {15, 0, 4, 0, rn_kafka_handle_describe_groups},
    {16, 0, 2, 0, rn_kafka_handle_list_groups},
    {18, 0, 4, 0, rn_kafka_handle_api_versions},
    {19, 2, 4, 2, rn_kafka_handle_create_topics},
    {20, 1, 3, 1, rn_kafka_handle_delete_topics},
    {21, 0, 1, 0, rn_kafka_handle_delete_records},
    {22, 0, 1, 0, rn_kafka_handle_init_producer_id},
    {23, 2, 3, 2, rn_kafka_handle_offset_for_leader_epoch},
    {32, 1, 3, 1, rn_kafka_handle_describe_configs},
    {33, 0, 1, 0, rn_kafka_handle_alter_configs},
    {37, 0, 1, 0, rn_kafka_handle_create_partitions},
    {42, 0, 1, 0, rn_kafka_handle_delete_groups},
    {44, 0, 1, 0, rn_kafka_handle_incremental_alter_configs},
    {47, 0, 0, 0, rn_kafka_handle_offset_delete},
};

const rn_kafka_api_entry *rn_kafka_api_table(int *n)
{
    *n = (int)(sizeof api_table / sizeof api_table[0]);
    return api_table;
}

static const rn_kafka_api_entry *api_lookup(int16_t key)
{
    for (size_t i = 0; i < sizeof api_table / sizeof api_table[0]; i++)
        if (api_table[i].key == key) return &api_table[i];
    return NULL;
}

const char *rn_kafka_err_name(int16_t code)
{
    switch (code) {
    case -1:
        return "UNKNOWN_SERVER_ERROR";
    case 0:
        return "NONE";
    case 1:
        return "OFFSET_OUT_OF_RANGE";
    case 2:
        return "CORRUPT_MESSAGE";
    case 3:
        return "UNKNOWN_TOPIC_OR_PARTITION";
    case 10:
        return "MESSAGE_TOO_LARGE";
    case 17:
        return "INVALID_TOPIC_EXCEPTION";
    case 35:
        return "UNSUPPORTED_VERSION";
    case 36:
        return "TOPIC_ALREADY_EXISTS";
    case 37:
        return "INVALID_PARTITIONS";
    case 40:
        return "INVALID_CONFIG";
    case 56:
        return "KAFKA_STORAGE_ERROR";
    case 45:
        return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case 47:
        return "INVALID_PRODUCER_EPOCH";
    case 87:
        return "INVALID_RECORD";
    default:
        return "ERROR";
    }
}

static void on_append(void *arg, rn_topic *t, int32_t partition)
{
    rn_kafka_notify_append(arg, t, partition);
}

int rn_kafka_new(rn_broker *b, rn_kafka **out, rn_err *err)
{
    rn_kafka *k = calloc(1, sizeof *k);
    if (!k) return rn_err_set(err, RN_ENOMEM, "out of memory");
    k->b = b;
    if (!(k->fetch = rn_kafka_fetch_new(b->loop))) {
        free(k);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    b->on_append = on_append;
    b->on_append_arg = k;
    *out = k;
    return RN_OK;
}

rn_fetch_waiters *rn_kafka_fetch_waiters(rn_kafka *k)
{
    return k->fetch;
}

void rn_kafka_shutdown(rn_kafka *k)
{
    rn_kafka_fetch_shutdown(k->fetch);
    /* Parked JoinGroup/SyncGroup are answered (NOT_COORDINATOR) so the drain can finish. */
    rn_group_coord_shutdown(k->b->groups);
}

void rn_kafka_free(rn_kafka *k)
{
    if (!k) return;
    k->b->on_append = NULL;
    rn_kafka_fetch_free(k->fetch);
    free(k);
}

int rn_kafka_pending(const rn_kafka *k)
{
    return k->pending;
}

rn_broker *rn_kreq_broker(rn_kreq *req)
{
    return req->k->b;
}

const char *rn_kreq_peer(const rn_kreq *req)
{
    return req->kc->conn ? rn_conn_peer(req->kc->conn) : "(closed)";
}

static void req_free(rn_kreq *req)
{
    free(req->frame);
    rn_arena_fini(&req->arena);
    rn_buf_fini(&req->resp);
    free(req);
}

static void kconn_maybe_free(rn_kconn *kc)
{
    if (!kc->conn && kc->npending == 0) free(kc);
}

/* Writes (or drops) finished responses at the head of the FIFO. */
static void flush_done(rn_kconn *kc)
{
    if (kc->flushing) return;
    kc->flushing = 1;
    while (kc->head && kc->head->done) {
        rn_kreq *req = kc->head;
        kc->head = req->next;
        if (!kc->head) kc->tail = NULL;
        kc->npending--;
        kc->k->pending--;
        if (kc->conn && !req->no_response) {
            rn_be32_store(req->resp.p, (uint32_t)(req->resp.len - 4));
            if (!rn_buf_ok(&req->resp))
                rn_conn_close(kc->conn, "out of memory encoding a response");
            else
                rn_conn_write(kc->conn, &req->resp);
        }
        req_free(req);
    }
    if (kc->conn && kc->paused && kc->npending < MAX_PENDING_PER_CONN / 2) {
        kc->paused = 0;
        rn_conn_resume(kc->conn);
    }
    kc->flushing = 0;
    kconn_maybe_free(kc);
}

void rn_kreq_respond(rn_kreq *req)
{
    req->done = 1;
    req->cancel = NULL;
    flush_done(req->kc);
}

void rn_kreq_no_response(rn_kreq *req)
{
    req->no_response = 1;
    rn_kreq_respond(req);
}

void rn_kreq_fail(rn_kreq *req, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rn_kconn *kc = req->kc;
    req->no_response = 1;
    req->done = 1;
    req->cancel = NULL;
    if (kc->conn) {
        char full[700];
        snprintf(full, sizeof full, "api %d v%d: %s", req->api_key, req->api_version, msg);
        rn_conn_close(kc->conn, full); /* on_close runs now: cancels parked, flushes */
        return;
    }
    flush_done(kc);
}

/* Writes the response header for req into req->resp: size placeholder, correlation id and,
 * for flexible versions, an empty tagged-field section. */
static size_t header_len(const rn_kreq *req)
{
    return 4 + 4 + (rn_kmsg_response_header_version(req->api_key, req->api_version) >= 1 ? 1 : 0);
}

static void write_header(rn_kreq *req)
{
    rn_buf_put_i32(&req->resp, 0);
    rn_buf_put_i32(&req->resp, req->correlation_id);
    if (rn_kmsg_response_header_version(req->api_key, req->api_version) >= 1)
        rn_buf_put_uvarint(&req->resp, 0);
}

void rn_kreq_reset_body(rn_kreq *req)
{
    req->resp.len = header_len(req);
}

/* ApiVersions with a version we do not speak: error 35 in the v0 layout, listing our
 * ApiVersions range so the client can retry (KIP-511). */
static void api_versions_unsupported(rn_kreq *req)
{
    rn_buf *b = &req->resp;
    rn_buf_put_i32(b, 0);
    rn_buf_put_i32(b, req->correlation_id);
    rn_buf_put_i16(b, RN_KERR_UNSUPPORTED_VERSION);
    rn_buf_put_i32(b, 1);
    const rn_kafka_api_entry *e = api_lookup(18);
    rn_buf_put_i16(b, 18);
    rn_buf_put_i16(b, e->min_version);
    rn_buf_put_i16(b, e->max_version);
    rn_kreq_respond(req);
}

static void *on_open(rn_conn *c, void *ud)
{
    rn_kafka *k = ud;
    rn_kconn *kc = calloc(1, sizeof *kc);
    if (!kc) return NULL;
    kc->k = k;
    kc->conn = c;
    kc->next = k->conns;
    if (k->conns) k->conns->prev = kc;
    k->conns = kc;
    return kc;
}

static void on_close(rn_conn *c, void *ud)
{
    (void)c;
    rn_kconn *kc = ud;
    rn_kafka *k = kc->k;
    if (kc->prev)
        kc->prev->next = kc->next;
    else
        k->conns = kc->next;
    if (kc->next) kc->next->prev = kc->prev;
    kc->conn = NULL;
    /* Parked requests are answered into the void; syncing ones finish when the flusher
     * calls back. While walking the FIFO, hold off flush_done (it frees finished
     * requests), then flush once; kc itself is freed when its last request is. */
    int outer = kc->flushing;
    kc->flushing = 1;
    for (rn_kreq *r = kc->head; r; r = r->next)
        if (!r->done && r->cancel) {
            void (*cancel)(rn_kreq *) = r->cancel;
            r->cancel = NULL;
            cancel(r);
        }
    kc->flushing = outer;
    if (!outer) flush_done(kc);
}

static void on_frame(rn_conn *c, void *ud, uint8_t *frame, size_t len)
{
    rn_kconn *kc = ud;
    rn_kafka *k = kc->k;
    rn_kreq *req = calloc(1, sizeof *req);
    if (!req) {
        free(frame);
        rn_conn_close(c, "out of memory");
        return;
    }
    req->k = k;
    req->kc = kc;
    req->frame = frame;
    req->len = len;
    req->received_us = rn_mono_us();
    rn_reader r;
    rn_reader_init(&r, frame, len);
    req->api_key = rn_rd_i16(&r);
    req->api_version = rn_rd_i16(&r);
    req->correlation_id = rn_rd_i32(&r);
    int16_t cid_len = rn_rd_i16(&r);
    req->client_id.len = cid_len;
    if (cid_len >= 0)
        req->client_id.p = (const char *)rn_rd_bytes(&r, (size_t)cid_len);
    else if (cid_len < -1)
        r.err = 1;
    /* Enqueue before any early exit so that ordering and accounting hold. */
    if (kc->tail)
        kc->tail->next = req;
    else
        kc->head = req;
    kc->tail = req;
    kc->npending++;
    k->pending++;
    if (r.err) {
        rn_kreq_fail(req, "malformed request header");
        return;
    }
    const rn_kafka_api_entry *e = api_lookup(req->api_key);
    if (!e || req->api_version < e->min_handled || req->api_version > e->max_version) {
        if (req->api_key == 18) {
            api_versions_unsupported(req);
            return;
        }
        rn_kreq_fail(req, "unsupported API key %d or version %d", req->api_key, req->api_version);
        return;
    }
    if (rn_kmsg_request_header_version(req->api_key, req->api_version) >= 2) {
        /* Flexible header: skip its tagged fields. */
        uint32_t ntags = rn_rd_uvarint32(&r);
        for (uint32_t i = 0; i < ntags && !r.err; i++) {
            (void)rn_rd_uvarint32(&r);
            rn_rd_skip(&r, rn_rd_uvarint32(&r));
        }
        if (r.err) {
            rn_kreq_fail(req, "malformed tagged fields in request header");
            return;
        }
    }
    req->body = r;
    write_header(req);
    if (kc->npending >= MAX_PENDING_PER_CONN && !kc->paused) {
        kc->paused = 1;
        rn_conn_pause(c);
    }
    e->handler(req);
}

static const rn_net_handlers handlers = {on_open, on_frame, on_close};

const rn_net_handlers *rn_kafka_net_handlers(void)
{
    return &handlers;
}
