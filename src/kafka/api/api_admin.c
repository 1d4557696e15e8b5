/*
 * kafka/api/api_admin.c - topic administration: CreateTopics (19) v2-4, DeleteTopics (20)
 * v1-3, CreatePartitions (37) v0-1, DeleteRecords (21) v0-1, OffsetForLeaderEpoch (23)
 * v2-3. The rules live in broker/; these handlers translate requests and map errors to
 * Kafka codes.
 */
#include "kafka/api/api.h"

#include <stdio.h>
#include <string.h>

static char *cstr(rn_kreq *req, rn_kstr s)
{
    if (s.len < 0) return NULL;
    return rn_arena_strndup(&req->arena, s.p, (size_t)s.len);
}

static rn_kstr kstr_dup(rn_kreq *req, const char *s)
{
    return rn_kstr_c(rn_arena_strndup(&req->arena, s, strlen(s)));
}

/* Kafka code for a broker topic-admin failure. */
static int16_t topic_err_code(int rc)
{
    switch (rc) {
    case RN_ECONFLICT:
        return RN_KERR_TOPIC_ALREADY_EXISTS;
    case RN_ENOTFOUND:
        return RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
    case RN_EINVAL:
        return RN_KERR_INVALID_REQUEST;
    default:
        return RN_KERR_KAFKA_STORAGE_ERROR;
    }
}

void rn_kafka_handle_create_topics(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_create_topics_request rq;
    rn_err err;
    if (rn_kmsg_create_topics_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                             &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_create_topics_response rs;
    rn_kmsg_create_topics_response_init(&rs);
    int nt = rq.topics.n > 0 ? rq.topics.n : 0;
    rs.topics.n = nt;
    rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.topics.items);
    for (int i = 0; i < nt; i++) {
        rn_kmsg_create_topics_request_creatable_topic *ct = &rq.topics.items[i];
        rn_kmsg_create_topics_response_creatable_topic_result *tr = &rs.topics.items[i];
        rn_kmsg_create_topics_response_creatable_topic_result_init(tr);
        tr->name = ct->name;
        tr->num_partitions = -1;
        tr->replication_factor = -1;
        tr->configs.n = -1;
        char *name = cstr(req, ct->name);
        if (!name || rn_topic_name_validate(name, strlen(name), &err)) {
            tr->error_code = RN_KERR_INVALID_TOPIC_EXCEPTION;
            tr->error_message = kstr_dup(req, name ? err.msg : "Topic name is null");
            continue;
        }
        if (ct->replication_factor > 1) {
            tr->error_code = RN_KERR_INVALID_REPLICATION_FACTOR;
            char m[160];
            snprintf(m, sizeof m, "Replication factor %d is larger than the number of brokers (1)",
                     (int)ct->replication_factor);
            tr->error_message = kstr_dup(req, m);
            continue;
        }
        if (ct->num_partitions == 0 || ct->num_partitions < -1 || ct->assignments.n > 0) {
            tr->error_code = RN_KERR_INVALID_PARTITIONS;
            tr->error_message =
                kstr_dup(req, ct->assignments.n > 0 ? "Manual replica assignment is not supported"
                                                    : "Number of partitions must be larger than 0");
            continue;
        }
        int nc = ct->configs.n > 0 ? ct->configs.n : 0;
        rn_config_kv *kv = rn_arena_alloc(&req->arena, (size_t)(nc ? nc : 1) * sizeof *kv);
        for (int c = 0; c < nc; c++) {
            kv[c].key = cstr(req, ct->configs.items[c].name);
            kv[c].value = cstr(req, ct->configs.items[c].value);
            if (!kv[c].key) kv[c].key = "";
        }
        int bad_config = 0;
        for (int c = 0; c < nc && !bad_config; c++)
            if (rn_topic_config_validate(kv[c].key, kv[c].value, &err)) bad_config = 1;
        if (bad_config) {
            tr->error_code = RN_KERR_INVALID_CONFIG;
            tr->error_message = kstr_dup(req, err.msg);
            continue;
        }
        rn_topic *t = NULL;
        int rc =
            rn_broker_topic_create(b, name, ct->num_partitions, kv, nc, rq.validate_only, &t, &err);
        if (rc) {
            tr->error_code = rc == RN_EINVAL ? RN_KERR_INVALID_REQUEST : topic_err_code(rc);
            tr->error_message = kstr_dup(req, err.msg);
            continue;
        }
        tr->num_partitions =
            t ? t->npartitions
              : (ct->num_partitions > 0 ? ct->num_partitions : b->cfg.num_partitions);
        tr->replication_factor = 1;
        if (t) memcpy(tr->topic_id.b, t->topic_id, 16);
    }
    rn_kmsg_create_topics_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_delete_topics(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_delete_topics_request rq;
    rn_err err;
    if (rn_kmsg_delete_topics_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                             &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_delete_topics_response rs;
    rn_kmsg_delete_topics_response_init(&rs);
    int nt = rq.topic_names.n > 0 ? rq.topic_names.n : 0;
    rs.responses.n = nt;
    rs.responses.items =
        rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.responses.items);
    for (int i = 0; i < nt; i++) {
        rn_kmsg_delete_topics_response_deletable_topic_result *r = &rs.responses.items[i];
        rn_kmsg_delete_topics_response_deletable_topic_result_init(r);
        r->name = rq.topic_names.items[i];
        char *name = cstr(req, rq.topic_names.items[i]);
        int rc = name ? rn_broker_topic_delete(b, name, &err) : RN_ENOTFOUND;
        if (rc) {
            r->error_code = topic_err_code(rc);
            r->error_message = kstr_dup(req, name ? err.msg : "null topic name");
        }
    }
    rn_kmsg_delete_topics_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_create_partitions(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_create_partitions_request rq;
    rn_err err;
    if (rn_kmsg_create_partitions_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                                 &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_create_partitions_response rs;
    rn_kmsg_create_partitions_response_init(&rs);
    int nt = rq.topics.n > 0 ? rq.topics.n : 0;
    rs.results.n = nt;
    rs.results.items =
        rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.results.items);
    for (int i = 0; i < nt; i++) {
        rn_kmsg_create_partitions_request_create_partitions_topic *ct = &rq.topics.items[i];
        rn_kmsg_create_partitions_response_create_partitions_topic_result *r = &rs.results.items[i];
        rn_kmsg_create_partitions_response_create_partitions_topic_result_init(r);
        r->name = ct->name;
        rn_topic *t =
            ct->name.len > 0 ? rn_broker_topic(b, ct->name.p, (size_t)ct->name.len) : NULL;
        if (!t) {
            r->error_code = RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
            r->error_message = kstr_dup(req, "The topic does not exist.");
            continue;
        }
        if (ct->assignments.n > 0) {
            r->error_code = RN_KERR_INVALID_REQUEST;
            r->error_message = kstr_dup(req, "Manual replica assignment is not supported");
            continue;
        }
        int rc = rn_broker_topic_add_partitions(b, t, ct->count, rq.validate_only, &err);
        if (rc) {
            r->error_code =
                rc == RN_EINVAL ? RN_KERR_INVALID_PARTITIONS : RN_KERR_KAFKA_STORAGE_ERROR;
            r->error_message = kstr_dup(req, err.msg);
        }
    }
    rn_kmsg_create_partitions_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_delete_records(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_delete_records_request rq;
    rn_err err;
    if (rn_kmsg_delete_records_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                              &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_delete_records_response rs;
    rn_kmsg_delete_records_response_init(&rs);
    int nt = rq.topics.n > 0 ? rq.topics.n : 0;
    rs.topics.n = nt;
    rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.topics.items);
    for (int i = 0; i < nt; i++) {
        rn_kmsg_delete_records_request_delete_records_topic *dt = &rq.topics.items[i];
        rn_kmsg_delete_records_response_delete_records_topic_result *tr = &rs.topics.items[i];
        rn_kmsg_delete_records_response_delete_records_topic_result_init(tr);
        tr->name = dt->name;
        int np = dt->partitions.n > 0 ? dt->partitions.n : 0;
        tr->partitions.n = np;
        tr->partitions.items =
            rn_arena_alloc(&req->arena, (size_t)(np ? np : 1) * sizeof *tr->partitions.items);
        rn_topic *t =
            dt->name.len > 0 ? rn_broker_topic(b, dt->name.p, (size_t)dt->name.len) : NULL;
        for (int j = 0; j < np; j++) {
            rn_kmsg_delete_records_request_delete_records_partition *dp = &dt->partitions.items[j];
            rn_kmsg_delete_records_response_delete_records_partition_result *pr =
                &tr->partitions.items[j];
            rn_kmsg_delete_records_response_delete_records_partition_result_init(pr);
            pr->partition_index = dp->partition_index;
            pr->low_watermark = -1;
            if (!t || dp->partition_index < 0 || dp->partition_index >= t->npartitions) {
                pr->error_code = RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            rn_partition *part = t->partitions[dp->partition_index];
            int64_t off = dp->offset == -1 ? rn_partition_log_end(part) : dp->offset;
            if (off < 0 || off > rn_partition_log_end(part)) {
                pr->error_code = RN_KERR_OFFSET_OUT_OF_RANGE;
                continue;
            }
            if (off > rn_partition_log_start(part) && rn_partition_delete_before(part, off, &err)) {
                pr->error_code = RN_KERR_KAFKA_STORAGE_ERROR;
                continue;
            }
            pr->low_watermark = rn_partition_log_start(part);
        }
    }
    rn_kmsg_delete_records_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_offset_for_leader_epoch(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_offset_for_leader_epoch_request rq;
    rn_err err;
    if (rn_kmsg_offset_for_leader_epoch_request_decode(&req->body, req->api_version, &req->arena,
                                                       &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_offset_for_leader_epoch_response rs;
    rn_kmsg_offset_for_leader_epoch_response_init(&rs);
    int nt = rq.topics.n > 0 ? rq.topics.n : 0;
    rs.topics.n = nt;
    rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.topics.items);
    for (int i = 0; i < nt; i++) {
        rn_kmsg_offset_for_leader_epoch_request_offset_for_leader_topic *qt = &rq.topics.items[i];
        rn_kmsg_offset_for_leader_epoch_response_offset_for_leader_topic_result *tr =
            &rs.topics.items[i];
        rn_kmsg_offset_for_leader_epoch_response_offset_for_leader_topic_result_init(tr);
        tr->topic = qt->topic;
        int np = qt->partitions.n > 0 ? qt->partitions.n : 0;
        tr->partitions.n = np;
        tr->partitions.items =
            rn_arena_alloc(&req->arena, (size_t)(np ? np : 1) * sizeof *tr->partitions.items);
        rn_topic *t =
            qt->topic.len > 0 ? rn_broker_topic(b, qt->topic.p, (size_t)qt->topic.len) : NULL;
        for (int j = 0; j < np; j++) {
            rn_kmsg_offset_for_leader_epoch_response_epoch_end_offset *pr =
                &tr->partitions.items[j];
            rn_kmsg_offset_for_leader_epoch_response_epoch_end_offset_init(pr);
            int32_t p = qt->partitions.items[j].partition;
            pr->partition = p;
            if (!t || p < 0 || p >= t->npartitions) {
                pr->error_code = RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
                pr->leader_epoch = -1;
                pr->end_offset = -1;
                continue;
            }
            /* Single node, one constant leader epoch 0. */
            pr->leader_epoch = 0;
            pr->end_offset = rn_partition_log_end(t->partitions[p]);
        }
    }
    rn_kmsg_offset_for_leader_epoch_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}
