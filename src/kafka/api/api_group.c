/*
 * kafka/api/api_group.c - the classic group protocol: JoinGroup (11) v0-5, Heartbeat (12)
 * v0-3, LeaveGroup (13) v0-3, SyncGroup (14) v0-3, DescribeGroups (15) v0-4, ListGroups
 * (16) v0-2, DeleteGroups (42) v0-1. The rules live in group/ (the coordinator); these
 * handlers translate requests and results.
 *
 * Parking: JoinGroup and SyncGroup may wait for other members. The handler puts a
 * rn_group_waiter in the request's arena and sets req->cancel BEFORE calling the
 * coordinator, because the coordinator may answer from inside the call (the answer frees
 * the request, so nothing may touch req afterwards). If the connection goes away while
 * parked, the cancel hook detaches the waiter from the coordinator. DeleteGroups waits for
 * its store write without a cancel hook (the write finishes regardless; dispatch keeps the
 * connection state until then), as acks=all Produce waits for fsync.
 */
#include "kafka/api/api.h"

#include "group/group.h"

#include <stdio.h>
#include <string.h>

/* Kafka's client_host: "/" + the peer's address without the port. */
static const char *client_host(rn_kreq *req)
{
    const char *peer = rn_kreq_peer(req);
    size_t n = strlen(peer);
    const char *colon = strrchr(peer, ':');
    if (colon && peer[0] != '(') n = (size_t)(colon - peer);
    if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
        peer++;
        n -= 2;
    }
    char *s = rn_arena_alloc(&req->arena, n + 2);
    if (!s) return "";
    s[0] = '/';
    memcpy(s + 1, peer, n);
    s[n + 1] = '\0';
    return s;
}

static rn_kstr kc(const char *s)
{
    return rn_kstr_c(s);
}

/* ------------------------------------------------------------------ JoinGroup */

static void join_done(rn_group_waiter *w, const rn_group_join_result *r)
{
    rn_kreq *req = w->arg;
    rn_kmsg_join_group_response rs;
    rn_kmsg_join_group_response_init(&rs);
    rs.error_code = r->error;
    rs.generation_id = r->generation_id;
    rs.protocol_type = r->protocol_type ? kc(r->protocol_type) : RN_KSTR_NULL;
    /* Before v7 the name is not nullable: Kafka sends "" (GroupCoordinator.NoProtocol). */
    rs.protocol_name =
        r->protocol_name ? kc(r->protocol_name) : (req->api_version >= 7 ? RN_KSTR_NULL : kc(""));
    rs.leader = kc(r->leader_id ? r->leader_id : "");
    rs.member_id = kc(r->member_id ? r->member_id : "");
    rs.members.n = 0;
    if (r->nmembers > 0) {
        rs.members.items =
            rn_arena_alloc(&req->arena, (size_t)r->nmembers * sizeof *rs.members.items);
        if (rs.members.items) {
            rs.members.n = r->nmembers;
            for (int i = 0; i < r->nmembers; i++) {
                rn_kmsg_join_group_response_join_group_response_member *m = &rs.members.items[i];
                rn_kmsg_join_group_response_join_group_response_member_init(m);
                m->member_id = kc(r->members[i].member_id);
                m->group_instance_id = r->members[i].group_instance_id
                                           ? kc(r->members[i].group_instance_id)
                                           : RN_KSTR_NULL;
                m->metadata =
                    (rn_kbytes){r->members[i].metadata, (int32_t)r->members[i].metadata_len};
            }
        }
    }
    rn_kmsg_join_group_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

static void group_cancel(rn_kreq *req)
{
    rn_group_waiter_cancel(req->park);
    rn_kreq_respond(req); /* dropped: the connection is gone */
}

void rn_kafka_handle_join_group(rn_kreq *req)
{
    rn_kmsg_join_group_request rq;
    rn_err err;
    if (rn_kmsg_join_group_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    int np = rq.protocols.n > 0 ? rq.protocols.n : 0;
    rn_group_protocol *protos = rn_arena_alloc(&req->arena, (size_t)(np ? np : 1) * sizeof *protos);
    rn_group_waiter *w = rn_arena_alloc(&req->arena, sizeof *w);
    if (!protos || !w) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    for (int i = 0; i < np; i++) {
        protos[i].name = rq.protocols.items[i].name;
        protos[i].metadata = rq.protocols.items[i].metadata;
    }
    rn_group_join_req jr = {
        .group_id = rq.group_id,
        .member_id = rq.member_id,
        .group_instance_id = rq.group_instance_id,
        .protocol_type = rq.protocol_type,
        .client_id = req->client_id.len >= 0 ? req->client_id : kc(""),
        .client_host = client_host(req),
        .session_timeout_ms = rq.session_timeout_ms,
        .rebalance_timeout_ms = req->api_version >= 1 ? rq.rebalance_timeout_ms : -1,
        .require_known_member_id = req->api_version >= 4,
        .protocols = protos,
        .nprotocols = np,
    };
    w->on_join = join_done;
    w->arg = req;
    req->park = w;
    req->cancel = group_cancel;
    rn_group_join(rn_kreq_broker(req)->groups, &jr, w); /* may answer (and free req) now */
}

/* ------------------------------------------------------------------ SyncGroup */

static void sync_done(rn_group_waiter *w, const rn_group_sync_result *r)
{
    rn_kreq *req = w->arg;
    rn_kmsg_sync_group_response rs;
    rn_kmsg_sync_group_response_init(&rs);
    rs.error_code = r->error;
    rs.protocol_type = r->protocol_type ? kc(r->protocol_type) : RN_KSTR_NULL;
    rs.protocol_name = r->protocol_name ? kc(r->protocol_name) : RN_KSTR_NULL;
    /* Exactly the leader's bytes; zero-length (never null) when there are none. */
    rs.assignment = (rn_kbytes){r->assignment ? r->assignment : (const uint8_t *)"",
                                (int32_t)r->assignment_len};
    rn_kmsg_sync_group_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_sync_group(rn_kreq *req)
{
    rn_kmsg_sync_group_request rq;
    rn_err err;
    if (rn_kmsg_sync_group_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    int na = rq.assignments.n > 0 ? rq.assignments.n : 0;
    rn_group_assignment *as = rn_arena_alloc(&req->arena, (size_t)(na ? na : 1) * sizeof *as);
    rn_group_waiter *w = rn_arena_alloc(&req->arena, sizeof *w);
    if (!as || !w) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    for (int i = 0; i < na; i++) {
        as[i].member_id = rq.assignments.items[i].member_id;
        as[i].assignment = rq.assignments.items[i].assignment;
    }
    rn_group_sync_req sr = {
        .group_id = rq.group_id,
        .generation_id = rq.generation_id,
        .member_id = rq.member_id,
        .group_instance_id = rq.group_instance_id,
        .protocol_type = rq.protocol_type,
        .protocol_name = rq.protocol_name,
        .assignments = as,
        .nassignments = na,
    };
    w->on_sync = sync_done;
    w->arg = req;
    req->park = w;
    req->cancel = group_cancel;
    rn_group_sync(rn_kreq_broker(req)->groups, &sr, w); /* may answer (and free req) now */
}

/* ------------------------------------------------------------------ Heartbeat */

void rn_kafka_handle_heartbeat(rn_kreq *req)
{
    rn_kmsg_heartbeat_request rq;
    rn_err err;
    if (rn_kmsg_heartbeat_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_heartbeat_response rs;
    rn_kmsg_heartbeat_response_init(&rs);
    rs.error_code = rn_group_heartbeat(rn_kreq_broker(req)->groups, rq.group_id, rq.generation_id,
                                       rq.member_id, rq.group_instance_id);
    rn_kmsg_heartbeat_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

/* ------------------------------------------------------------------ LeaveGroup */

void rn_kafka_handle_leave_group(rn_kreq *req)
{
    rn_kmsg_leave_group_request rq;
    rn_err err;
    if (rn_kmsg_leave_group_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    /* v0-2 name one member; v3+ a batch (KIP-345). */
    int n = req->api_version >= 3 ? (rq.members.n > 0 ? rq.members.n : 0) : 1;
    rn_group_leave_member *lm = rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *lm);
    if (!lm) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    if (req->api_version >= 3) {
        for (int i = 0; i < n; i++) {
            lm[i].member_id = rq.members.items[i].member_id;
            lm[i].group_instance_id = rq.members.items[i].group_instance_id;
        }
    } else {
        lm[0].member_id = rq.member_id;
        lm[0].group_instance_id = RN_KSTR_NULL;
    }
    int16_t top = rn_group_leave(rn_kreq_broker(req)->groups, rq.group_id, lm, n);
    rn_kmsg_leave_group_response rs;
    rn_kmsg_leave_group_response_init(&rs);
    rs.error_code = top;
    if (req->api_version >= 3) {
        rs.members.n = top ? 0 : n;
        rs.members.items =
            rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *rs.members.items);
        if (!rs.members.items) {
            rn_kreq_fail(req, "out of memory");
            return;
        }
        for (int i = 0; i < rs.members.n; i++) {
            rs.members.items[i].member_id = lm[i].member_id;
            rs.members.items[i].group_instance_id = lm[i].group_instance_id;
            rs.members.items[i].error_code = lm[i].error;
        }
    } else if (!top) {
        rs.error_code = lm[0].error; /* v0-2: the member's error is the top-level error */
    }
    rn_kmsg_leave_group_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

/* ------------------------------------------------------------------ DescribeGroups */

/* The operations a group allows with no authorizer: READ, DELETE, DESCRIBE (AclOperation
 * codes 3, 6, 8), as Kafka reports them. */
#define GROUP_AUTHORIZED_OPERATIONS ((1 << 3) | (1 << 6) | (1 << 8))

void rn_kafka_handle_describe_groups(rn_kreq *req)
{
    rn_kmsg_describe_groups_request rq;
    rn_err err;
    if (rn_kmsg_describe_groups_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                               &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_group_coord *gc = rn_kreq_broker(req)->groups;
    int n = rq.groups.n > 0 ? rq.groups.n : 0;
    rn_kmsg_describe_groups_response rs;
    rn_kmsg_describe_groups_response_init(&rs);
    rs.groups.n = n;
    rs.groups.items = rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *rs.groups.items);
    if (!rs.groups.items) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        rn_kmsg_describe_groups_response_described_group *dg = &rs.groups.items[i];
        rn_kmsg_describe_groups_response_described_group_init(dg);
        rn_group_info gi;
        rn_group_describe(gc, rq.groups.items[i], &req->arena, &gi);
        dg->error_code = RN_KERR_NONE;
        dg->group_id = rq.groups.items[i];
        dg->group_state = kc(rn_group_state_name(gi.state));
        dg->protocol_type = kc(gi.protocol_type);
        dg->protocol_data = kc(gi.protocol_name);
        dg->authorized_operations =
            rq.include_authorized_operations ? GROUP_AUTHORIZED_OPERATIONS : INT32_MIN;
        dg->members.n = gi.nmembers;
        dg->members.items = rn_arena_alloc(&req->arena, (size_t)(gi.nmembers ? gi.nmembers : 1) *
                                                            sizeof *dg->members.items);
        if (!dg->members.items) {
            rn_kreq_fail(req, "out of memory");
            return;
        }
        for (int j = 0; j < gi.nmembers; j++) {
            const rn_group_member_info *mi = &gi.members[j];
            rn_kmsg_describe_groups_response_described_group_member *dm = &dg->members.items[j];
            rn_kmsg_describe_groups_response_described_group_member_init(dm);
            dm->member_id = kc(mi->member_id);
            dm->group_instance_id =
                mi->group_instance_id ? kc(mi->group_instance_id) : RN_KSTR_NULL;
            dm->client_id = kc(mi->client_id);
            dm->client_host = kc(mi->client_host);
            dm->member_metadata = (rn_kbytes){mi->metadata ? mi->metadata : (const uint8_t *)"",
                                              (int32_t)mi->metadata_len};
            dm->member_assignment = (rn_kbytes){
                mi->assignment ? mi->assignment : (const uint8_t *)"", (int32_t)mi->assignment_len};
        }
    }
    rn_kmsg_describe_groups_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

/* ------------------------------------------------------------------ ListGroups */

typedef struct list_acc {
    rn_kreq *req;
    rn_kmsg_list_groups_response_listed_group *items;
    int n, cap;
    int oom;
} list_acc;

static void list_one(void *arg, const char *group_id, const char *protocol_type,
                     rn_group_state state)
{
    list_acc *a = arg;
    if (a->oom) return;
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        rn_kmsg_list_groups_response_listed_group *ni =
            rn_arena_alloc(&a->req->arena, (size_t)cap * sizeof *ni);
        if (!ni) {
            a->oom = 1;
            return;
        }
        if (a->n) memcpy(ni, a->items, (size_t)a->n * sizeof *ni);
        a->items = ni;
        a->cap = cap;
    }
    rn_kmsg_list_groups_response_listed_group *lg = &a->items[a->n++];
    rn_kmsg_list_groups_response_listed_group_init(lg);
    lg->group_id = kc(group_id); /* coordinator memory: stable until we return */
    lg->protocol_type = kc(protocol_type);
    lg->group_state = kc(rn_group_state_name(state));
}

void rn_kafka_handle_list_groups(rn_kreq *req)
{
    rn_kmsg_list_groups_request rq;
    rn_err err;
    if (rn_kmsg_list_groups_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    list_acc a = {.req = req};
    rn_group_list(rn_kreq_broker(req)->groups, list_one, &a);
    if (a.oom) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    rn_kmsg_list_groups_response rs;
    rn_kmsg_list_groups_response_init(&rs);
    rs.error_code = RN_KERR_NONE;
    rs.groups.items = a.items;
    rs.groups.n = a.n;
    rn_kmsg_list_groups_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

/* ------------------------------------------------------------------ DeleteGroups */

typedef struct delete_ctx {
    rn_kreq *req;
    rn_kmsg_delete_groups_request rq;
    int16_t *errors;
} delete_ctx;

static void delete_respond(void *arg)
{
    delete_ctx *x = arg;
    rn_kreq *req = x->req;
    int n = x->rq.groups_names.n > 0 ? x->rq.groups_names.n : 0;
    rn_kmsg_delete_groups_response rs;
    rn_kmsg_delete_groups_response_init(&rs);
    rs.results.n = n;
    rs.results.items = rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *rs.results.items);
    if (!rs.results.items) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        rs.results.items[i].group_id = x->rq.groups_names.items[i];
        rs.results.items[i].error_code = x->errors[i];
    }
    rn_kmsg_delete_groups_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_delete_groups(rn_kreq *req)
{
    delete_ctx *x = rn_arena_alloc(&req->arena, sizeof *x);
    rn_err err;
    if (!x) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    if (rn_kmsg_delete_groups_request_decode(&req->body, req->api_version, &req->arena, &x->rq,
                                             &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    int n = x->rq.groups_names.n > 0 ? x->rq.groups_names.n : 0;
    x->req = req;
    x->errors = rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *x->errors);
    if (!x->errors) {
        rn_kreq_fail(req, "out of memory");
        return;
    }
    if (!rn_group_delete(rn_kreq_broker(req)->groups, x->rq.groups_names.items, x->errors, n,
                         delete_respond, x))
        delete_respond(x);
}
