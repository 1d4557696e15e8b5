/*
 * kafka/api/api_metadata.c - Metadata (key 3), v0-8: brokers (just us, at the advertised
 * address), topics and partitions. Auto-creates requested topics when
 * auto.create.topics.enable is on and the request allows it (v4+ flag).
 *
 * Topics list semantics: v0 empty = all topics; v1+ null = all, empty = none.
 */
#include "kafka/api/api.h"

#include "common/diag.h"

#include <string.h>

static void fill_topic(rn_kreq *req, rn_kmsg_metadata_response_metadata_response_topic *out,
                       rn_topic *t, rn_kstr name, int16_t error)
{
    rn_kmsg_metadata_response_metadata_response_topic_init(out);
    out->name = name;
    out->error_code = error;
    if (!t) return;
    memcpy(out->topic_id.b, t->topic_id, 16);
    out->partitions.n = t->npartitions;
    out->partitions.items =
        rn_arena_alloc(&req->arena, (size_t)t->npartitions * sizeof *out->partitions.items);
    int32_t *node = rn_arena_alloc(&req->arena, sizeof *node);
    *node = rn_kreq_broker(req)->node_id;
    for (int32_t i = 0; i < t->npartitions; i++) {
        rn_kmsg_metadata_response_metadata_response_partition *p = &out->partitions.items[i];
        rn_kmsg_metadata_response_metadata_response_partition_init(p);
        p->partition_index = i;
        p->leader_id = *node;
        p->leader_epoch = 0;
        p->replica_nodes.items = node;
        p->replica_nodes.n = 1;
        p->isr_nodes.items = node;
        p->isr_nodes.n = 1;
        p->offline_replicas.n = 0;
    }
}

void rn_kafka_handle_metadata(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_metadata_request rq;
    rn_err err;
    if (rn_kmsg_metadata_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_metadata_response rs;
    rn_kmsg_metadata_response_init(&rs);
    rn_kmsg_metadata_response_metadata_response_broker *br =
        rn_arena_alloc(&req->arena, sizeof *br);
    rn_kmsg_metadata_response_metadata_response_broker_init(br);
    br->node_id = b->node_id;
    br->host = rn_kstr_c(b->advertised_host);
    br->port = b->advertised_port;
    rs.brokers.items = br;
    rs.brokers.n = 1;
    rs.cluster_id = rn_kstr_c(b->cluster_id);
    rs.controller_id = b->node_id;
    rs.cluster_authorized_operations = INT32_MIN;

    int all = rq.topics.n < 0 || (req->api_version == 0 && rq.topics.n == 0);
    if (all) {
        rs.topics.n = b->ntopics;
        rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(b->ntopics ? b->ntopics : 1) *
                                                          sizeof *rs.topics.items);
        for (int i = 0; i < b->ntopics; i++)
            fill_topic(req, &rs.topics.items[i], b->topics[i], rn_kstr_c(b->topics[i]->name), 0);
    } else {
        int allow_create =
            b->cfg.auto_create_topics && (req->api_version < 4 || rq.allow_auto_topic_creation);
        rs.topics.n = rq.topics.n;
        rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(rq.topics.n ? rq.topics.n : 1) *
                                                          sizeof *rs.topics.items);
        for (int i = 0; i < rq.topics.n; i++) {
            rn_kstr name = rq.topics.items[i].name;
            rn_topic *t = name.len > 0 ? rn_broker_topic(b, name.p, (size_t)name.len) : NULL;
            int16_t code = 0;
            if (!t) {
                if (name.len <= 0 || rn_topic_name_validate(name.p, (size_t)name.len, &err)) {
                    code = RN_KERR_INVALID_TOPIC_EXCEPTION;
                } else if (allow_create) {
                    char nm[RN_TOPIC_NAME_MAX + 1];
                    memcpy(nm, name.p, (size_t)name.len);
                    nm[name.len] = '\0';
                    if (rn_broker_topic_create(b, nm, -1, NULL, 0, 0, &t, &err)) {
                        RN_WARN("kafka: auto-creating topic %s: %s", nm, err.msg);
                        code = RN_KERR_LEADER_NOT_AVAILABLE;
                        t = NULL;
                    }
                } else {
                    code = RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
                }
            }
            fill_topic(req, &rs.topics.items[i], t, name, code);
        }
    }
    rn_kmsg_metadata_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}
