/*
 * kafka/api/api_init_producer_id.c - InitProducerId (key 22), v0-1: hands an idempotent
 * producer a fresh producer id (epoch 0). Transactions are not supported, so a non-null
 * transactional id is refused.
 */
#include "kafka/api/api.h"

#include "common/diag.h"

void rn_kafka_handle_init_producer_id(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_init_producer_id_request rq;
    rn_err err;
    if (rn_kmsg_init_producer_id_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                                &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_init_producer_id_response rs;
    rn_kmsg_init_producer_id_response_init(&rs);
    rs.producer_id = -1;
    rs.producer_epoch = -1;
    if (rq.transactional_id.len >= 0) {
        rs.error_code = RN_KERR_INVALID_REQUEST; /* transactions are not supported */
    } else if (rn_broker_next_producer_id(b, &rs.producer_id, &err)) {
        RN_ERROR("kafka: InitProducerId: %s", err.msg);
        rs.error_code = RN_KERR_KAFKA_STORAGE_ERROR;
        rs.producer_id = -1;
    } else {
        rs.producer_epoch = 0;
    }
    rn_kmsg_init_producer_id_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}
