/*
 * kafka/api/api_versions.c - ApiVersions (key 18), v0-4: the table of what we speak.
 * The response header is always v0 (KIP-511), which dispatch handles.
 */
#include "kafka/api/api.h"

void rn_kafka_handle_api_versions(rn_kreq *req)
{
    rn_kmsg_api_versions_request rq;
    rn_err err;
    if (rn_kmsg_api_versions_request_decode(&req->body, req->api_version, &req->arena, &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    int n;
    const rn_kafka_api_entry *tab = rn_kafka_api_table(&n);
    rn_kmsg_api_versions_response rs;
    rn_kmsg_api_versions_response_init(&rs);
    rs.api_keys.items = rn_arena_alloc(&req->arena, (size_t)n * sizeof *rs.api_keys.items);
    rs.api_keys.n = n;
    for (int i = 0; i < n; i++) {
        rs.api_keys.items[i].api_key = tab[i].key;
        rs.api_keys.items[i].min_version = tab[i].min_version;
        rs.api_keys.items[i].max_version = tab[i].max_version;
    }
    rn_kmsg_api_versions_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}
