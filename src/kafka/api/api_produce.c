/*
 * kafka/api/api_produce.c - Produce (key 0), v3-8 (0-2 are advertised for librdkafka's
 * compression feature check but rejected, as Kafka 4 does).
 *
 * Per partition: exactly one RecordBatch v2, checked (lengths, magic, CRC32C, record
 * count, record framing after decompression) before it is appended; a bad batch is
 * answered with CORRUPT_MESSAGE / INVALID_RECORD and nothing of it is stored.
 * acks=0: no response (a failure closes the connection, as Kafka does); acks=1: answered
 * once the batch is written to the OS; acks=all: answered once the flusher has fsync'd it
 * (group commit across connections and partitions).
 */
#include "kafka/api/api.h"

#include "common/crc32c.h"
#include "common/diag.h"
#include "common/timeutil.h"
#include "kafka/record/record.h"

#include <string.h>

typedef struct produce_ctx produce_ctx;

typedef struct sync_wait {
    produce_ctx *ctx;
    rn_kmsg_produce_response_partition_produce_response *pr;
} sync_wait;

struct produce_ctx {
    rn_kreq *req;
    rn_kmsg_produce_response rs;
    int waiting; /* syncs outstanding */
};

static void finish(produce_ctx *ctx)
{
    rn_kreq *req = ctx->req;
    rn_kmsg_produce_response_encode(&req->resp, req->api_version, &ctx->rs);
    rn_kreq_respond(req);
}

static void sync_done(void *arg, int status)
{
    sync_wait *w = arg;
    if (status != RN_OK) {
        w->pr->error_code = RN_KERR_KAFKA_STORAGE_ERROR;
        w->pr->error_message = rn_kstr_c("fsync failed: the batch was not made durable");
        w->pr->base_offset = -1;
    }
    if (--w->ctx->waiting == 0) finish(w->ctx);
}

static void set_error(rn_kmsg_produce_response_partition_produce_response *pr, int16_t code,
                      const char *msg, rn_arena *a);

/* Writes the rejected records of a batch to "<topic>.rejected" (created on first use,
 * 1 partition, no validation) with headers saying why, so the producing team can see
 * them. Best effort: a failure is logged, the produce answer is INVALID_RECORD either way. */
static void quarantine(rn_kreq *req, rn_topic *t, int32_t partition, const uint8_t *batch,
                       size_t len, const rn_govern_verdict *gv)
{
    rn_broker *b = rn_kreq_broker(req);
    char name[RN_TOPIC_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.rejected", t->name);
    rn_err err;
    rn_topic *q = rn_broker_topic(b, name, strlen(name));
    if (!q && rn_broker_topic_create(b, name, 1, NULL, 0, 0, &q, &err)) {
        RN_WARN("kafka: cannot quarantine rejected records of %s: %s", t->name, err.msg);
        return;
    }
    rn_record_iter it;
    if (rn_record_iter_init(&it, batch, len, RN_BATCH_DEFAULT_MAX_DECOMPRESSED, &err)) return;
    rn_batch_builder bb;
    rn_batch_builder_init(&bb, RN_CODEC_NONE, rn_now_ms());
    char part_s[16];
    snprintf(part_s, sizeof part_s, "%d", (int)partition);
    rn_record r;
    int32_t i = 0;
    while (rn_record_iter_next(&it, &r, &err) == 1) {
        if (i < gv->nrecords && gv->reasons[i]) {
            /* every original header is kept, then the three of the quarantine */
            int32_t cap = (r.header_count > 0 ? r.header_count : 0) + 3;
            rn_record_header *hs = rn_arena_alloc(&req->arena, (size_t)cap * sizeof *hs);
            if (!hs) {
                RN_WARN("kafka: out of memory quarantining records of %s", t->name);
                break;
            }
            int32_t nh = 0;
            rn_reader hr;
            rn_reader_init(&hr, r.headers, r.headers_len);
            while (nh < cap - 3 && rn_record_next_header(&hr, &hs[nh]) == 1)
                nh++;
            const char *reason = gv->reasons[i];
            hs[nh++] = (rn_record_header){(const uint8_t *)"runnel.rejected.reason", 22,
                                          (const uint8_t *)reason, (int32_t)strlen(reason)};
            hs[nh++] = (rn_record_header){(const uint8_t *)"runnel.rejected.topic", 21,
                                          (const uint8_t *)t->name, (int32_t)strlen(t->name)};
            hs[nh++] = (rn_record_header){(const uint8_t *)"runnel.rejected.partition", 25,
                                          (const uint8_t *)part_s, (int32_t)strlen(part_s)};
            rn_batch_builder_add(&bb, r.timestamp, r.key, r.key_len, r.value, r.value_len, hs, nh);
        }
        i++;
    }
    rn_record_iter_fini(&it);
    rn_buf out = {0};
    int64_t base;
    if (rn_batch_builder_finish(&bb, &out, &err) == RN_OK) {
        rn_batch_header qh;
        rn_batch_parse_header(out.p, out.len, &qh, NULL);
        if (rn_partition_append(q->partitions[0], out.p, out.len, qh.max_timestamp, &base, &err))
            RN_WARN("kafka: quarantine append to %s failed: %s", name, err.msg);
        else if (b->on_append)
            b->on_append(b->on_append_arg, q, 0);
    }
    rn_buf_fini(&out);
    rn_batch_builder_fini(&bb);
}

static void set_error(rn_kmsg_produce_response_partition_produce_response *pr, int16_t code,
                      const char *msg, rn_arena *a)
{
    pr->error_code = code;
    pr->base_offset = -1;
    if (msg && *msg) pr->error_message = rn_kstr_c(rn_arena_strndup(a, msg, strlen(msg)));
}

/* Validates and appends one partition's records; fills pr. Returns the partition written
 * (for the sync), or NULL. */
static rn_partition *produce_one(rn_kreq *req, rn_topic *t, int32_t index, rn_kbytes records,
                                 rn_kmsg_produce_response_partition_produce_response *pr)
{
    rn_err err;
    rn_arena *a = &req->arena;
    if (!t || index < 0 || index >= t->npartitions) {
        set_error(pr, RN_KERR_UNKNOWN_TOPIC_OR_PARTITION, NULL, a);
        return NULL;
    }
    rn_partition *part = t->partitions[index];
    pr->log_start_offset = rn_partition_log_start(part);
    if (records.len <= 0) {
        set_error(pr, RN_KERR_CORRUPT_MESSAGE, "no records", a);
        return NULL;
    }
    size_t len = (size_t)records.len;
    size_t total = rn_batch_total_size(records.p, len);
    if (total == 0 || total > len || total < RN_BATCH_HEADER_SIZE) {
        set_error(pr, RN_KERR_CORRUPT_MESSAGE, "truncated record batch", a);
        return NULL;
    }
    if (total != len) {
        set_error(pr, RN_KERR_INVALID_RECORD,
                  "a produce request must contain exactly one record batch per partition", a);
        return NULL;
    }
    if (len > (size_t)t->settings.log.max_message_bytes) {
        char m[128];
        snprintf(m, sizeof m, "record batch of %zu bytes exceeds max.message.bytes (%d)", len,
                 (int)t->settings.log.max_message_bytes);
        set_error(pr, RN_KERR_MESSAGE_TOO_LARGE, m, a);
        return NULL;
    }
    /* Deep check: decompress and walk every record. The scratch buffer for decompressed
     * bytes is reused across requests (loop thread only); it is shrunk after an outsized
     * batch so one huge request does not pin memory. */
    static rn_buf scratch;
    rn_batch_header h;
    scratch.len = 0;
    int rc = rn_batch_validate_ex(records.p, len, 1, RN_BATCH_DEFAULT_MAX_DECOMPRESSED, &scratch,
                                  &h, &err);
    if (scratch.cap > (8u << 20)) rn_buf_fini(&scratch);
    if (rc) {
        set_error(pr, rc == RN_EINVAL ? RN_KERR_INVALID_RECORD : RN_KERR_CORRUPT_MESSAGE, err.msg,
                  a);
        RN_DEBUG("kafka: produce to %s-%d from %s rejected: %s", t->name, (int)index,
                 rn_kreq_peer(req), err.msg);
        return NULL;
    }
    if ((h.attributes & RN_BATCH_ATTR_CODEC_MASK) == RN_CODEC_ZSTD && req->api_version < 7) {
        set_error(pr, RN_KERR_UNSUPPORTED_COMPRESSION_TYPE, "zstd requires Produce v7 or later", a);
        return NULL;
    }
    if (h.attributes & RN_BATCH_ATTR_TRANSACTIONAL) {
        set_error(pr, RN_KERR_INVALID_RECORD, "transactional batches are not supported", a);
        return NULL;
    }
    rn_pidmap *pm = t->pidmaps[index];
    if (h.producer_id >= 0) {
        int64_t dup = -1;
        switch (rn_pidmap_check(pm, h.producer_id, h.producer_epoch, h.base_sequence,
                                h.last_offset_delta, &dup)) {
        case RN_PID_ACCEPT:
            break;
        case RN_PID_DUPLICATE:
            /* A retry of a batch we stored: its original offset, nothing stored. It still
             * takes part in the acks=all sync, in case the original is not yet durable. */
            pr->base_offset = dup;
            return part;
        case RN_PID_OUT_OF_ORDER:
            set_error(pr, RN_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                      "out of order sequence number for this producer", a);
            return NULL;
        case RN_PID_FENCED:
            set_error(pr, RN_KERR_INVALID_PRODUCER_EPOCH,
                      "producer epoch is older than the current one", a);
            return NULL;
        }
    }
    /* We own the frame: patch the batch in place (or a rewritten copy without duplicates). */
    uint8_t *batch = req->frame + (records.p - req->frame);
    rn_govern_verdict gv;
    int governed = t->settings.validation != RN_VALIDATION_NONE || t->dedup;
    rn_buf rewritten = {0};
    if (governed) {
        rn_broker *b = rn_kreq_broker(req);
        rc = rn_govern_check(b->govern, t->name, &t->settings, t->dedup, batch, len, a, &gv, &err);
        if (rc) {
            set_error(pr, RN_KERR_CORRUPT_MESSAGE, err.msg, a);
            return NULL;
        }
        if (gv.nrejected > 0) {
            rn_govern_count_rejects(b->govern, t->name, &gv);
            set_error(pr, RN_KERR_INVALID_RECORD, gv.message, a);
            pr->record_errors.n = gv.nerrors;
            pr->record_errors.items =
                rn_arena_alloc(a, (size_t)gv.nerrors * sizeof *pr->record_errors.items);
            for (int e = 0; e < gv.nerrors; e++) {
                pr->record_errors.items[e].batch_index = gv.errors[e].index;
                pr->record_errors.items[e].batch_index_error_message =
                    rn_kstr_c(gv.errors[e].message);
            }
            if (t->settings.quarantine) quarantine(req, t, index, batch, len, &gv);
            RN_DEBUG("kafka: produce to %s-%d from %s rejected: %s", t->name, (int)index,
                     rn_kreq_peer(req), gv.message);
            return NULL;
        }
        if (gv.nduplicates == gv.nrecords && h.producer_id < 0) {
            /* Every record was accepted before: the original offset, nothing stored. */
            pr->base_offset = gv.first_duplicate_offset;
            return part;
        }
        if (gv.nduplicates > 0) {
            rc = rn_govern_rewrite(batch, len, &gv, &rewritten, &err);
            if (rc) {
                set_error(pr, RN_KERR_CORRUPT_MESSAGE, err.msg, a);
                return NULL;
            }
            batch = rewritten.p;
            len = rewritten.len;
        }
    }
    int64_t max_ts = h.max_timestamp;
    pr->log_append_time_ms = -1;
    if (t->settings.log_append_time) {
        int64_t now = rn_now_ms();
        int16_t attrs = (int16_t)(h.attributes | RN_BATCH_ATTR_LOG_APPEND_TIME);
        rn_be16_store(batch + 21, (uint16_t)attrs);
        rn_be64_store(batch + 35, (uint64_t)now);
        rn_be32_store(batch + 17, rn_crc32c(0, batch + 21, len - 21));
        max_ts = now;
        pr->log_append_time_ms = now;
    }
    int64_t base;
    rc = rn_partition_append(part, batch, len, max_ts, &base, &err);
    rn_buf_fini(&rewritten);
    if (rc) {
        RN_ERROR("kafka: append to %s-%d failed: %s", t->name, (int)index, err.msg);
        set_error(pr, RN_KERR_KAFKA_STORAGE_ERROR, err.msg, a);
        return NULL;
    }
    if (governed) {
        rn_govern_accepted(t->dedup, &gv, index, base, rn_now_ms());
        /* Every record a duplicate of an earlier one (an idempotent producer's batch, kept
         * empty for its sequence numbers): answer with the original offset. */
        if (gv.nduplicates == gv.nrecords && gv.first_duplicate_offset >= 0)
            base = gv.first_duplicate_offset;
    }
    pr->base_offset = base;
    pr->log_start_offset = rn_partition_log_start(part);
    if (h.producer_id >= 0 && rn_pidmap_record(pm, h.producer_id, h.producer_epoch, h.base_sequence,
                                               h.last_offset_delta, base))
        RN_WARN("kafka: out of memory tracking producer %lld", (long long)h.producer_id);
    return part;
}

void rn_kafka_handle_produce(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_produce_request rq;
    rn_err err;
    if (rn_kmsg_produce_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    produce_ctx *ctx = rn_arena_alloc(&req->arena, sizeof *ctx);
    ctx->req = req;
    rn_kmsg_produce_response *rs = &ctx->rs;
    rn_kmsg_produce_response_init(rs);
    int acks_ok = rq.acks == 0 || rq.acks == 1 || rq.acks == -1;
    int failures = 0;
    int ntopics = rq.topic_data.n > 0 ? rq.topic_data.n : 0;
    rs->responses.n = ntopics;
    rs->responses.items =
        rn_arena_alloc(&req->arena, (size_t)(ntopics ? ntopics : 1) * sizeof *rs->responses.items);
    /* Partitions written, for acks=all syncs. */
    int nwritten = 0;
    sync_wait *waits = NULL;
    int nparts_total = 0;
    for (int i = 0; i < ntopics; i++)
        nparts_total += rq.topic_data.items[i].partition_data.n > 0
                            ? rq.topic_data.items[i].partition_data.n
                            : 0;
    waits = rn_arena_alloc(&req->arena, (size_t)(nparts_total ? nparts_total : 1) * sizeof *waits);
    rn_partition **written =
        rn_arena_alloc(&req->arena, (size_t)(nparts_total ? nparts_total : 1) * sizeof *written);

    for (int i = 0; i < ntopics; i++) {
        rn_kmsg_produce_request_topic_produce_data *td = &rq.topic_data.items[i];
        rn_kmsg_produce_response_topic_produce_response *tr = &rs->responses.items[i];
        rn_kmsg_produce_response_topic_produce_response_init(tr);
        tr->name = td->name;
        int np = td->partition_data.n > 0 ? td->partition_data.n : 0;
        tr->partition_responses.n = np;
        tr->partition_responses.items = rn_arena_alloc(
            &req->arena, (size_t)(np ? np : 1) * sizeof *tr->partition_responses.items);
        rn_topic *t =
            td->name.len > 0 ? rn_broker_topic(b, td->name.p, (size_t)td->name.len) : NULL;
        for (int j = 0; j < np; j++) {
            rn_kmsg_produce_request_partition_produce_data *pd = &td->partition_data.items[j];
            rn_kmsg_produce_response_partition_produce_response *pr =
                &tr->partition_responses.items[j];
            rn_kmsg_produce_response_partition_produce_response_init(pr);
            pr->index = pd->index;
            pr->log_append_time_ms = -1;
            rn_partition *part = NULL;
            if (!acks_ok)
                set_error(pr, RN_KERR_INVALID_REQUIRED_ACKS, "acks must be 0, 1 or -1",
                          &req->arena);
            else
                part = produce_one(req, t, pd->index, pd->records, pr);
            if (!part) {
                failures++;
                continue;
            }
            if (b->on_append) b->on_append(b->on_append_arg, t, pd->index);
            waits[nwritten].ctx = ctx;
            waits[nwritten].pr = pr;
            written[nwritten++] = part;
        }
    }
    if (rq.acks == 0) {
        if (failures > 0) {
            rn_kreq_fail(req, "acks=0 produce failed for %d partition(s)", failures);
            return;
        }
        rn_kreq_no_response(req);
        return;
    }
    if (rq.acks != -1 || nwritten == 0) {
        finish(ctx);
        return;
    }
    ctx->waiting = nwritten + 1; /* +1 held while issuing, so no early finish */
    for (int i = 0; i < nwritten; i++) {
        if (rn_log_sync(b->log, written[i], sync_done, &waits[i])) {
            waits[i].pr->error_code = RN_KERR_KAFKA_STORAGE_ERROR;
            waits[i].pr->base_offset = -1;
            ctx->waiting--;
        }
    }
    if (--ctx->waiting == 0) finish(ctx);
}
