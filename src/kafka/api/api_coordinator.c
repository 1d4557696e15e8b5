/*
 * kafka/api/api_coordinator.c - FindCoordinator (key 10), v0-2: a single node is the
 * coordinator of every group. Advertised also because librdkafka enables LZ4 only when a
 * broker lists FindCoordinator (spec §2 feature map).
 */
#include "kafka/api/api.h"

void rn_kafka_handle_find_coordinator(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_find_coordinator_request rq;
    rn_err err;
    if (rn_kmsg_find_coordinator_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                                &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_find_coordinator_response rs;
    rn_kmsg_find_coordinator_response_init(&rs);
    rs.node_id = b->node_id;
    rs.host = rn_kstr_c(b->advertised_host);
    rs.port = b->advertised_port;
    rn_kmsg_find_coordinator_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}
