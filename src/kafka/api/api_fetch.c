/*
 * kafka/api/api_fetch.c - Fetch (key 1), v4-11, with long polling.
 *
 * Whole stored batches are returned starting with the one that contains fetch_offset
 * (clients skip records below it), bounded by partition_max_bytes and max_bytes, except
 * that the first batch of the response is always whole (KIP-74). With fewer than
 * min_bytes available the request is parked until data arrives for one of its partitions
 * or max_wait_ms passes. Fetch sessions (KIP-227) are not kept: session_id is always 0,
 * so clients send full fetches.
 */
#include "kafka/api/api.h"

#include "common/diag.h"
#include "common/timeutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct fetch_park {
    rn_kreq *req;
    rn_kmsg_fetch_request rq;
    int64_t deadline_ms; /* monotonic */
    uint64_t visited;    /* pass number of the last wake-up pass that looked at it */
    struct fetch_park *prev, *next;
} fetch_park;

/* The parked fetches of one rn_kafka, with one timer for the earliest deadline. Owned by
 * the loop thread. */
struct rn_fetch_waiters {
    fetch_park *head;
    uv_timer_t timer; /* timer.data is this struct */
    int shutting_down;
    int closed;        /* the timer's close callback has run */
    int free_on_close; /* rn_kafka_fetch_free came first: the close callback frees */
    uint64_t pass;     /* wake-up pass counter */
};

static void park_unlink(rn_fetch_waiters *w, fetch_park *fp)
{
    if (fp->prev)
        fp->prev->next = fp->next;
    else
        w->head = fp->next;
    if (fp->next) fp->next->prev = fp->prev;
    fp->prev = fp->next = NULL;
}

/* Fetch responses are encoded here by hand, not with the generated encoder, so that
 * partition data is read from the segment files straight into the response buffer (one
 * copy, page cache to response) instead of into a scratch buffer first. Layout of
 * FetchResponse v4-11 (non-flexible), in order:
 *   throttle_time_ms i32, error_code i16 (v7+), session_id i32 (v7+),
 *   responses [topic string, partitions [partition_index i32, error_code i16,
 *     high_watermark i64, last_stable_offset i64, log_start_offset i64 (v5+),
 *     aborted_transactions nullable array (empty here), preferred_read_replica i32 (v11+),
 *     records nullable bytes]]
 * Handled versions are capped at 11 by the API table; flexible versions would need the
 * generated encoder again. */
static void put_kstr(rn_buf *b, rn_kstr s)
{
    rn_buf_put_i16(b, (int16_t)s.len);
    if (s.len > 0) rn_buf_append(b, s.p, (size_t)s.len);
}

static void put_partition_head(rn_buf *b, int16_t v, int32_t index, int16_t error, int64_t hw,
                               int64_t ls)
{
    rn_buf_put_i32(b, index);
    rn_buf_put_i16(b, error);
    rn_buf_put_i64(b, hw);
    rn_buf_put_i64(b, hw); /* last stable offset: no transactions */
    if (v >= 5) rn_buf_put_i64(b, ls);
    rn_buf_put_i32(b, 0);               /* aborted_transactions: empty */
    if (v >= 11) rn_buf_put_i32(b, -1); /* preferred_read_replica */
}

/* Builds the response into req->resp if there is enough data or final is set. Returns 1 if
 * the request was answered, 0 if it should wait. */
static int fetch_try(rn_kreq *req, const rn_kmsg_fetch_request *rq, int final)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_buf *out = &req->resp;
    int16_t v = req->api_version;
    rn_kreq_reset_body(req);
    rn_buf_put_i32(out, 0); /* throttle_time_ms */
    if (v >= 7) {
        rn_buf_put_i16(out, 0); /* error_code */
        rn_buf_put_i32(out, 0); /* session_id: no fetch sessions */
    }
    int nt = rq->topics.n > 0 ? rq->topics.n : 0;
    rn_buf_put_i32(out, nt);
    int64_t max_bytes = rq->max_bytes > 0 ? rq->max_bytes : INT32_MAX;
    size_t total = 0;
    for (int i = 0; i < nt; i++) {
        const rn_kmsg_fetch_request_fetch_topic *ft = &rq->topics.items[i];
        put_kstr(out, ft->topic);
        int np = ft->partitions.n > 0 ? ft->partitions.n : 0;
        rn_buf_put_i32(out, np);
        rn_topic *t =
            ft->topic.len > 0 ? rn_broker_topic(b, ft->topic.p, (size_t)ft->topic.len) : NULL;
        for (int j = 0; j < np; j++) {
            const rn_kmsg_fetch_request_fetch_partition *fp = &ft->partitions.items[j];
            if (!t || fp->partition < 0 || fp->partition >= t->npartitions) {
                put_partition_head(out, v, fp->partition, RN_KERR_UNKNOWN_TOPIC_OR_PARTITION, -1,
                                   -1);
                rn_buf_put_i32(out, 0); /* empty records, never null (franz-go#1187) */
                continue;
            }
            rn_partition *part = t->partitions[fp->partition];
            int64_t hw = rn_partition_log_end(part), ls = rn_partition_log_start(part);
            if (fp->fetch_offset < ls || fp->fetch_offset > hw) {
                put_partition_head(out, v, fp->partition, RN_KERR_OFFSET_OUT_OF_RANGE, hw, ls);
                rn_buf_put_i32(out, 0);
                continue;
            }
            size_t head_at = out->len;
            put_partition_head(out, v, fp->partition, 0, hw, ls);
            size_t len_at = out->len;
            rn_buf_put_i32(out, 0); /* records length, patched below */
            int64_t budget = fp->partition_max_bytes;
            if (budget > max_bytes - (int64_t)total) budget = max_bytes - (int64_t)total;
            if (fp->fetch_offset == hw || (total > 0 && budget <= 0)) continue;
            if (budget < 1) budget = 1;
            rn_err err;
            size_t before = out->len;
            int rc = rn_partition_read(part, fp->fetch_offset, (size_t)budget, out, &err);
            size_t got = out->len - before;
            if (rc == RN_OK && total > 0 && (int64_t)got > budget) {
                out->len = before; /* KIP-74 applies to the first batch of the response only */
                got = 0;
            }
            if (rc != RN_OK) {
                out->len = head_at;
                if (rc != RN_ERANGE)
                    RN_ERROR("kafka: fetch %s-%d at %lld: %s", t->name, (int)fp->partition,
                             (long long)fp->fetch_offset, err.msg);
                put_partition_head(out, v, fp->partition,
                                   rc == RN_ERANGE ? RN_KERR_OFFSET_OUT_OF_RANGE
                                                   : RN_KERR_KAFKA_STORAGE_ERROR,
                                   hw, ls);
                rn_buf_put_i32(out, 0);
                continue;
            }
            if (rn_buf_ok(out)) rn_be32_store(out->p + len_at, (uint32_t)got);
            total += got;
        }
    }
    if (!final && total < (size_t)(rq->min_bytes > 0 ? rq->min_bytes : 0) && rq->max_wait_ms > 0 &&
        rn_buf_ok(out)) {
        rn_kreq_reset_body(req);
        return 0;
    }
    rn_kreq_respond(req);
    return 1;
}

static void timer_cb(uv_timer_t *h);

static void rearm_timer(rn_fetch_waiters *w)
{
    if (w->shutting_down) return;
    int64_t min = INT64_MAX;
    for (fetch_park *fp = w->head; fp; fp = fp->next)
        if (fp->deadline_ms < min) min = fp->deadline_ms;
    if (min == INT64_MAX) {
        uv_timer_stop(&w->timer);
        return;
    }
    int64_t now = rn_mono_ms();
    uv_timer_start(&w->timer, timer_cb, (uint64_t)(min > now ? min - now : 0), 0);
}

/* Answering a request may close its connection, which cancels (and frees) other parked
 * requests: so after every answer the walk restarts from the head, skipping entries this
 * pass has already seen. */
static void timer_cb(uv_timer_t *h)
{
    rn_fetch_waiters *w = h->data;
    int64_t now = rn_mono_ms();
    uint64_t pass = ++w->pass;
    fetch_park *fp = w->head;
    while (fp) {
        if (fp->visited == pass || fp->deadline_ms > now) {
            fp->visited = pass;
            fp = fp->next;
            continue;
        }
        fp->visited = pass;
        park_unlink(w, fp);
        fp->req->cancel = NULL;
        fetch_try(fp->req, &fp->rq, 1);
        fp = w->head;
    }
    rearm_timer(w);
}

static void cancel_cb(rn_kreq *req)
{
    fetch_park *fp = req->park;
    rn_fetch_waiters *w = rn_kafka_fetch_waiters(req->k);
    park_unlink(w, fp);
    rn_kreq_respond(req); /* dropped: the connection is gone */
    rearm_timer(w);
}

rn_fetch_waiters *rn_kafka_fetch_new(uv_loop_t *loop)
{
    rn_fetch_waiters *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    uv_timer_init(loop, &w->timer);
    uv_unref((uv_handle_t *)&w->timer);
    w->timer.data = w;
    return w;
}

static void timer_closed(uv_handle_t *h)
{
    rn_fetch_waiters *w = h->data;
    w->closed = 1;
    if (w->free_on_close) free(w);
}

void rn_kafka_fetch_shutdown(rn_fetch_waiters *w)
{
    if (!w || w->shutting_down) return;
    w->shutting_down = 1;
    while (w->head) {
        fetch_park *fp = w->head;
        park_unlink(w, fp);
        fp->req->cancel = NULL;
        fetch_try(fp->req, &fp->rq, 1);
    }
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, timer_closed);
}

static int park_watches(const fetch_park *fp, const rn_topic *t, int32_t partition)
{
    for (int i = 0; i < fp->rq.topics.n; i++) {
        const rn_kmsg_fetch_request_fetch_topic *ft = &fp->rq.topics.items[i];
        if (!rn_kstr_eq(ft->topic, t->name)) continue;
        for (int j = 0; j < ft->partitions.n; j++)
            if (ft->partitions.items[j].partition == partition) return 1;
    }
    return 0;
}

void rn_kafka_notify_append(rn_kafka *k, rn_topic *t, int32_t partition)
{
    rn_fetch_waiters *w = rn_kafka_fetch_waiters(k);
    uint64_t pass = ++w->pass;
    int changed = 0;
    fetch_park *fp = w->head;
    while (fp) {
        if (fp->visited == pass || !park_watches(fp, t, partition)) {
            fp->visited = pass;
            fp = fp->next;
            continue;
        }
        fp->visited = pass;
        fp->req->cancel = NULL;
        park_unlink(w, fp);
        if (fetch_try(fp->req, &fp->rq, 0)) {
            changed = 1;
            fp = w->head; /* see timer_cb: restart */
            continue;
        }
        /* Still short of min_bytes: back at the head, already visited. */
        fp->next = w->head;
        if (w->head) w->head->prev = fp;
        w->head = fp;
        fp->req->cancel = cancel_cb;
        fp = fp->next;
    }
    if (changed) rearm_timer(w);
}

void rn_kafka_handle_fetch(rn_kreq *req)
{
    fetch_park *fp = rn_arena_alloc(&req->arena, sizeof *fp);
    rn_err err;
    if (rn_kmsg_fetch_request_decode(&req->body, req->api_version, &req->arena, &fp->rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_fetch_waiters *w = rn_kafka_fetch_waiters(req->k);
    if (fetch_try(req, &fp->rq, w->shutting_down)) return;
    fp->req = req;
    fp->deadline_ms = rn_mono_ms() + fp->rq.max_wait_ms;
    req->park = fp;
    req->cancel = cancel_cb;
    fp->next = w->head;
    if (w->head) w->head->prev = fp;
    w->head = fp;
    rearm_timer(w);
}

void rn_kafka_fetch_free(rn_fetch_waiters *w)
{
    if (!w) return;
    rn_kafka_fetch_shutdown(w);
    if (w->closed)
        free(w);
    else
        w->free_on_close = 1; /* the loop has not closed the timer yet */
}
