/*
 * kafka/api/api_offsets.c - committed offsets: OffsetCommit (8) v2-7, OffsetFetch (9)
 * v1-5, OffsetDelete (47) v0. Validation and storage live in group/; these handlers check
 * what only the broker knows (does the topic and partition exist) and map results.
 *
 * OffsetCommit and OffsetDelete answer once the coordinator's store has the change on
 * disk. They park without a cancel hook: the write completes whether or not the client is
 * still there, and dispatch keeps the connection's state until every request is done (as
 * for acks=all Produce). OffsetFetch answers from memory, which holds only stored offsets.
 */
#include "kafka/api/api.h"

#include "group/group.h"

#include <string.h>

/* 1 if topic/partition exists on this broker. */
static int partition_exists(rn_broker *b, rn_kstr topic, int32_t partition)
{
    if (topic.len <= 0) return 0;
    rn_topic *t = rn_broker_topic(b, topic.p, (size_t)topic.len);
    return t && partition >= 0 && partition < t->npartitions;
}

/* ------------------------------------------------------------------ OffsetCommit */

typedef struct commit_ctx {
    rn_kreq *req;
    rn_kmsg_offset_commit_request rq;
    rn_group_commit_part *parts; /* flattened topics x partitions, in request order */
    int n;
} commit_ctx;

static void commit_respond(void *arg)
{
    commit_ctx *x = arg;
    rn_kreq *req = x->req;
    rn_kmsg_offset_commit_response rs;
    rn_kmsg_offset_commit_response_init(&rs);
    int nt = x->rq.topics.n > 0 ? x->rq.topics.n : 0;
    rs.topics.n = nt;
    rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.topics.items);
    if (!rs.topics.items) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    int k = 0;
    for (int i = 0; i < nt; i++) {
        const rn_kmsg_offset_commit_request_offset_commit_request_topic *t = &x->rq.topics.items[i];
        rn_kmsg_offset_commit_response_offset_commit_response_topic *rt = &rs.topics.items[i];
        rn_kmsg_offset_commit_response_offset_commit_response_topic_init(rt);
        rt->name = t->name;
        int np = t->partitions.n > 0 ? t->partitions.n : 0;
        rt->partitions.n = np;
        rt->partitions.items =
            rn_arena_alloc(&req->arena, (size_t)(np ? np : 1) * sizeof *rt->partitions.items);
        if (!rt->partitions.items) {
            rn_kreq_fail(req, "out of memory");
            return;
        }
        for (int j = 0; j < np; j++, k++) {
            rt->partitions.items[j].partition_index = x->parts[k].partition;
            rt->partitions.items[j].error_code = x->parts[k].error;
        }
    }
    rn_kmsg_offset_commit_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_offset_commit(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    commit_ctx *x = rn_arena_alloc(&req->arena, sizeof *x);
    rn_err err;
    if (!x) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    if (rn_kmsg_offset_commit_request_decode(&req->body, req->api_version, &req->arena, &x->rq,
                                             &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    x->req = req;
    int nt = x->rq.topics.n > 0 ? x->rq.topics.n : 0;
    for (int i = 0; i < nt; i++)
        x->n += x->rq.topics.items[i].partitions.n > 0 ? x->rq.topics.items[i].partitions.n : 0;
    x->parts = rn_arena_alloc(&req->arena, (size_t)(x->n ? x->n : 1) * sizeof *x->parts);
    if (!x->parts) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    int k = 0;
    for (int i = 0; i < nt; i++) {
        const rn_kmsg_offset_commit_request_offset_commit_request_topic *t = &x->rq.topics.items[i];
        for (int j = 0; j < t->partitions.n; j++, k++) {
            const rn_kmsg_offset_commit_request_offset_commit_request_partition *p =
                &t->partitions.items[j];
            rn_group_commit_part *cp = &x->parts[k];
            cp->topic = t->name;
            cp->partition = p->partition_index;
            cp->offset = p->committed_offset;
            cp->leader_epoch = req->api_version >= 6 ? p->committed_leader_epoch : -1;
            cp->metadata = p->committed_metadata;
            /* Kafka: KafkaApis checks the metadata cache before the coordinator. */
            cp->error = partition_exists(b, t->name, p->partition_index)
                            ? RN_KERR_NONE
                            : RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
    }
    if (!rn_group_commit(b->groups, x->rq.group_id, x->rq.generation_id_or_member_epoch,
                         x->rq.member_id,
                         req->api_version >= 7 ? x->rq.group_instance_id : RN_KSTR_NULL, x->parts,
                         x->n, commit_respond, x))
        commit_respond(x);
}

/* ------------------------------------------------------------------ OffsetFetch */

typedef struct fetch_acc {
    rn_kreq *req;
    rn_kmsg_offset_fetch_response_offset_fetch_response_topic *topics;
    int nt, cap;
    int oom;
} fetch_acc;

/* rn_group_offsets_each visits by topic then partition: append to the last topic or open
 * a new one. */
static void fetch_all_one(void *arg, const char *topic, int32_t partition, int64_t offset,
                          int32_t leader_epoch, const char *metadata, size_t metadata_len)
{
    fetch_acc *a = arg;
    rn_arena *ar = &a->req->arena;
    if (a->oom) return;
    rn_kmsg_offset_fetch_response_offset_fetch_response_topic *t =
        a->nt ? &a->topics[a->nt - 1] : NULL;
    if (!t || !rn_kstr_eq(t->name, topic)) {
        if (a->nt == a->cap) {
            int cap = a->cap ? a->cap * 2 : 8;
            void *ni = rn_arena_alloc(ar, (size_t)cap * sizeof *a->topics);
            if (!ni) {
                a->oom = 1;
                return;
            }
            if (a->nt) memcpy(ni, a->topics, (size_t)a->nt * sizeof *a->topics);
            a->topics = ni;
            a->cap = cap;
        }
        t = &a->topics[a->nt++];
        rn_kmsg_offset_fetch_response_offset_fetch_response_topic_init(t);
        /* Copies: coordinator memory is only borrowed while we build the response, but
         * the arena copy costs little and keeps the rule simple. */
        t->name = rn_kstr_c(rn_arena_strndup(ar, topic, strlen(topic)));
        t->partitions.items = NULL;
        t->partitions.n = 0;
    }
    /* Grow the partition array by doubling, in the arena (sizes are powers of two). */
    int n = t->partitions.n;
    if ((n & (n - 1)) == 0) {
        int cap = n ? n * 2 : 1;
        void *np = rn_arena_alloc(ar, (size_t)cap * sizeof *t->partitions.items);
        if (!np) {
            a->oom = 1;
            return;
        }
        if (n) memcpy(np, t->partitions.items, (size_t)n * sizeof *t->partitions.items);
        t->partitions.items = np;
    }
    rn_kmsg_offset_fetch_response_offset_fetch_response_partition *p = &t->partitions.items[n];
    rn_kmsg_offset_fetch_response_offset_fetch_response_partition_init(p);
    p->partition_index = partition;
    p->committed_offset = offset;
    p->committed_leader_epoch = leader_epoch;
    p->metadata = (rn_kstr){rn_arena_strndup(ar, metadata, metadata_len), (int32_t)metadata_len};
    p->error_code = RN_KERR_NONE;
    t->partitions.n = n + 1;
}

void rn_kafka_handle_offset_fetch(rn_kreq *req)
{
    rn_kmsg_offset_fetch_request rq;
    rn_err err;
    if (rn_kmsg_offset_fetch_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_group_coord *gc = rn_kreq_broker(req)->groups;
    rn_kmsg_offset_fetch_response rs;
    rn_kmsg_offset_fetch_response_init(&rs);
    rs.error_code = RN_KERR_NONE;
    if (rq.topics.n < 0) {
        /* v2+: null topics = every committed partition of the group. */
        fetch_acc a = {.req = req};
        rn_group_offsets_each(gc, rq.group_id, fetch_all_one, &a);
        if (a.oom) {
            rn_kreq_fail(req, "out of memory");
            return;
        }
        rs.topics.items = a.topics;
        rs.topics.n = a.nt;
    } else {
        int nt = rq.topics.n;
        rs.topics.n = nt;
        rs.topics.items =
            rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.topics.items);
        if (!rs.topics.items) {
            rn_kreq_fail(req, "out of memory");
            return;
        }
        for (int i = 0; i < nt; i++) {
            const rn_kmsg_offset_fetch_request_offset_fetch_request_topic *t = &rq.topics.items[i];
            rn_kmsg_offset_fetch_response_offset_fetch_response_topic *rt = &rs.topics.items[i];
            rn_kmsg_offset_fetch_response_offset_fetch_response_topic_init(rt);
            rt->name = t->name;
            int np = t->partition_indexes.n > 0 ? t->partition_indexes.n : 0;
            rt->partitions.n = np;
            rt->partitions.items =
                rn_arena_alloc(&req->arena, (size_t)(np ? np : 1) * sizeof *rt->partitions.items);
            if (!rt->partitions.items) {
                rn_kreq_fail(req, "out of memory");
                return;
            }
            for (int j = 0; j < np; j++) {
                rn_kmsg_offset_fetch_response_offset_fetch_response_partition *p =
                    &rt->partitions.items[j];
                rn_kmsg_offset_fetch_response_offset_fetch_response_partition_init(p);
                p->partition_index = t->partition_indexes.items[j];
                const char *md;
                size_t mdlen;
                /* Nothing committed: offset -1, metadata "", error NONE (Kafka). */
                rn_group_offset_get(gc, rq.group_id, t->name, p->partition_index,
                                    &p->committed_offset, &p->committed_leader_epoch, &md, &mdlen);
                p->metadata = (rn_kstr){md, (int32_t)mdlen};
                p->error_code = RN_KERR_NONE;
            }
        }
    }
    rn_kmsg_offset_fetch_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

/* ------------------------------------------------------------------ OffsetDelete */

typedef struct odel_ctx {
    rn_kreq *req;
    rn_kmsg_offset_delete_request rq;
    rn_group_offset_del_part *parts;
    int n;
    int16_t top;
} odel_ctx;

static void odel_respond(void *arg)
{
    odel_ctx *x = arg;
    rn_kreq *req = x->req;
    rn_kmsg_offset_delete_response rs;
    rn_kmsg_offset_delete_response_init(&rs);
    rs.error_code = x->top;
    int nt = x->top ? 0 : (x->rq.topics.n > 0 ? x->rq.topics.n : 0);
    rs.topics.n = nt;
    rs.topics.items = rn_arena_alloc(&req->arena, (size_t)(nt ? nt : 1) * sizeof *rs.topics.items);
    if (!rs.topics.items) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    int k = 0;
    for (int i = 0; i < nt; i++) {
        const rn_kmsg_offset_delete_request_offset_delete_request_topic *t = &x->rq.topics.items[i];
        rn_kmsg_offset_delete_response_offset_delete_response_topic *rt = &rs.topics.items[i];
        rn_kmsg_offset_delete_response_offset_delete_response_topic_init(rt);
        rt->name = t->name;
        int np = t->partitions.n > 0 ? t->partitions.n : 0;
        rt->partitions.n = np;
        rt->partitions.items =
            rn_arena_alloc(&req->arena, (size_t)(np ? np : 1) * sizeof *rt->partitions.items);
        if (!rt->partitions.items) {
            rn_kreq_fail(req, "out of memory");
            return;
        }
        for (int j = 0; j < np; j++, k++) {
            rt->partitions.items[j].partition_index = x->parts[k].partition;
            rt->partitions.items[j].error_code = x->parts[k].error;
        }
    }
    rn_kmsg_offset_delete_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_offset_delete(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    odel_ctx *x = rn_arena_alloc(&req->arena, sizeof *x);
    rn_err err;
    if (!x) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    if (rn_kmsg_offset_delete_request_decode(&req->body, req->api_version, &req->arena, &x->rq,
                                             &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    x->req = req;
    int nt = x->rq.topics.n > 0 ? x->rq.topics.n : 0;
    for (int i = 0; i < nt; i++)
        x->n += x->rq.topics.items[i].partitions.n > 0 ? x->rq.topics.items[i].partitions.n : 0;
    x->parts = rn_arena_alloc(&req->arena, (size_t)(x->n ? x->n : 1) * sizeof *x->parts);
    if (!x->parts) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    int k = 0;
    for (int i = 0; i < nt; i++) {
        const rn_kmsg_offset_delete_request_offset_delete_request_topic *t = &x->rq.topics.items[i];
        for (int j = 0; j < t->partitions.n; j++, k++) {
            rn_group_offset_del_part *dp = &x->parts[k];
            dp->topic = t->name;
            dp->partition = t->partitions.items[j].partition_index;
            dp->error = partition_exists(b, t->name, dp->partition)
                            ? RN_KERR_NONE
                            : RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
    }
    if (!rn_group_offset_delete(b->groups, x->rq.group_id, x->parts, x->n, &x->top, odel_respond,
                                x))
        odel_respond(x);
}
