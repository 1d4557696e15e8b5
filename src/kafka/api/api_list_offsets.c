/*
 * kafka/api/api_list_offsets.c - ListOffsets (key 2), v1-5: earliest (-2), latest (-1),
 * or the first offset whose record timestamp is >= T (found through the time index, then
 * refined record by record inside that batch).
 */
#include "kafka/api/api.h"

#include "kafka/record/record.h"

/* Offset of the first record with timestamp >= ts (and its timestamp), or -1. */
static int16_t offset_for_time(rn_partition *part, int64_t ts, int64_t *offset, int64_t *found_ts)
{
    rn_err err;
    int64_t off, bts;
    *offset = -1;
    *found_ts = -1;
    if (rn_partition_offset_for_time(part, ts, &off, &bts, &err))
        return RN_KERR_KAFKA_STORAGE_ERROR;
    if (off < 0) return 0;
    /* Refine within the batch: records are not necessarily in timestamp order. */
    rn_buf data = {0};
    int16_t code = 0;
    if (rn_partition_read(part, off, 1, &data, &err) == RN_OK && data.len > 0) {
        size_t blen = rn_batch_total_size(data.p, data.len);
        rn_record_iter it;
        if (blen && blen <= data.len &&
            rn_record_iter_init(&it, data.p, blen, 64u << 20, &err) == RN_OK) {
            rn_record rec;
            while (rn_record_iter_next(&it, &rec, &err) == 1) {
                if (rec.offset >= off && rec.timestamp >= ts) {
                    *offset = rec.offset;
                    *found_ts = rec.timestamp;
                    break;
                }
            }
            rn_record_iter_fini(&it);
        }
    }
    if (*offset < 0) { /* fall back to batch granularity */
        *offset = off;
        *found_ts = bts;
    }
    rn_buf_fini(&data);
    return code;
}

void rn_kafka_handle_list_offsets(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_list_offsets_request rq;
    rn_err err;
    if (rn_kmsg_list_offsets_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_list_offsets_response rs;
    rn_kmsg_list_offsets_response_init(&rs);
    int nt = rq.topics.n > 0 ? rq.topics.n : 0;
    rs.topics.n = nt;
    rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.topics.items);
    for (int i = 0; i < nt; i++) {
        rn_kmsg_list_offsets_request_list_offsets_topic *qt = &rq.topics.items[i];
        rn_kmsg_list_offsets_response_list_offsets_topic_response *tr = &rs.topics.items[i];
        rn_kmsg_list_offsets_response_list_offsets_topic_response_init(tr);
        tr->name = qt->name;
        int np = qt->partitions.n > 0 ? qt->partitions.n : 0;
        tr->partitions.n = np;
        tr->partitions.items =
            rn_arena_alloc(&req->arena, (size_t)(np ? np : 1) * sizeof *tr->partitions.items);
        rn_topic *t =
            qt->name.len > 0 ? rn_broker_topic(b, qt->name.p, (size_t)qt->name.len) : NULL;
        for (int j = 0; j < np; j++) {
            rn_kmsg_list_offsets_request_list_offsets_partition *qp = &qt->partitions.items[j];
            rn_kmsg_list_offsets_response_list_offsets_partition_response *pr =
                &tr->partitions.items[j];
            rn_kmsg_list_offsets_response_list_offsets_partition_response_init(pr);
            pr->partition_index = qp->partition_index;
            pr->timestamp = -1;
            pr->offset = -1;
            pr->leader_epoch = 0;
            if (!t || qp->partition_index < 0 || qp->partition_index >= t->npartitions) {
                pr->error_code = RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            rn_partition *part = t->partitions[qp->partition_index];
            if (qp->timestamp == -1)
                pr->offset = rn_partition_log_end(part);
            else if (qp->timestamp == -2)
                pr->offset = rn_partition_log_start(part);
            else if (qp->timestamp < 0)
                pr->error_code = RN_KERR_UNSUPPORTED_VERSION;
            else
                pr->error_code = offset_for_time(part, qp->timestamp, &pr->offset, &pr->timestamp);
        }
    }
    rn_kmsg_list_offsets_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}
