/*
 * kafka/api/api_configs.c - DescribeConfigs (32) v1-3, AlterConfigs (33) v0-1 and
 * IncrementalAlterConfigs (44) v0-1, for topic resources (type 2). Broker resources
 * (type 4) can be described (the broker-level values in effect) but not altered.
 */
#include "kafka/api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOURCE_TOPIC       2
#define RESOURCE_BROKER      4
#define SOURCE_DYNAMIC_TOPIC 1
#define SOURCE_STATIC_BROKER 4
#define SOURCE_DEFAULT       5
#define CONFIG_TYPE_STRING   2
#define CONFIG_TYPE_INT      3
#define CONFIG_TYPE_LONG     5

static rn_kstr kstr_dup(rn_kreq *req, const char *s)
{
    return rn_kstr_c(rn_arena_strndup(&req->arena, s, strlen(s)));
}

static int wanted(const rn_kmsg_describe_configs_request_describe_configs_resource *r,
                  const char *key)
{
    if (r->configuration_keys.n < 0) return 1;
    for (int i = 0; i < r->configuration_keys.n; i++)
        if (rn_kstr_eq(r->configuration_keys.items[i], key)) return 1;
    return 0;
}

typedef struct reject_ctx {
    rn_kreq *req;
    const rn_kmsg_describe_configs_request_describe_configs_resource *q;
    rn_kmsg_describe_configs_response_describe_configs_result *r;
    int cap;
} reject_ctx;

/* Rejection counters of produce-time validation, as read-only entries
 * runnel.validation.rejected (total) and runnel.validation.rejected.<eventType>, so any
 * Kafka admin tool (and `runnel topics describe`) shows them. */
static void add_reject_entry(void *arg, const char *type, uint64_t n)
{
    reject_ctx *c = arg;
    char name[300], val[32];
    snprintf(name, sizeof name, "runnel.validation.rejected%s%s", type ? "." : "",
             type ? type : "");
    if (!wanted(c->q, name)) return;
    if (c->r->configs.n == c->cap) {
        int cap = c->cap * 2 + 8;
        void *items = rn_arena_alloc(&c->req->arena, (size_t)cap * sizeof *c->r->configs.items);
        memcpy(items, c->r->configs.items, (size_t)c->r->configs.n * sizeof *c->r->configs.items);
        c->r->configs.items = items;
        c->cap = cap;
    }
    rn_kmsg_describe_configs_response_describe_configs_resource_result *e =
        &c->r->configs.items[c->r->configs.n++];
    rn_kmsg_describe_configs_response_describe_configs_resource_result_init(e);
    snprintf(val, sizeof val, "%llu", (unsigned long long)n);
    e->name = kstr_dup(c->req, name);
    e->value = kstr_dup(c->req, val);
    e->read_only = true;
    e->is_default = false;
    e->config_source = SOURCE_DYNAMIC_TOPIC;
    e->synonyms.n = 0;
    e->config_type = CONFIG_TYPE_LONG;
    e->documentation = rn_kstr_c("Records refused by runnel.validation (read-only counter).");
}

static void describe_topic(rn_kreq *req, rn_topic *t,
                           const rn_kmsg_describe_configs_request_describe_configs_resource *q,
                           rn_kmsg_describe_configs_response_describe_configs_result *r)
{
    rn_broker *b = rn_kreq_broker(req);
    int nk = rn_topic_config_key_count();
    r->configs.items = rn_arena_alloc(&req->arena, (size_t)nk * sizeof *r->configs.items);
    r->configs.n = 0;
    for (int i = 0; i < nk; i++) {
        const char *doc;
        const char *key = rn_topic_config_key_at(i, &doc);
        if (!wanted(q, key)) continue;
        rn_kmsg_describe_configs_response_describe_configs_resource_result *c =
            &r->configs.items[r->configs.n++];
        rn_kmsg_describe_configs_response_describe_configs_resource_result_init(c);
        char val[128];
        int overridden =
            rn_topic_config_value(&b->cfg, t->configs, t->nconfigs, key, val, sizeof val);
        c->name = rn_kstr_c(key);
        c->value = kstr_dup(req, val);
        c->read_only = false;
        c->is_default = !overridden;
        c->config_source = overridden ? SOURCE_DYNAMIC_TOPIC : SOURCE_DEFAULT;
        c->is_sensitive = false;
        c->synonyms.n = 0;
        c->config_type = CONFIG_TYPE_STRING;
        c->documentation = rn_kstr_c(doc);
    }
    reject_ctx rc = {req, q, r, nk};
    rn_govern_rejects(b->govern, t->name, add_reject_entry, &rc);
}

static void describe_broker(rn_kreq *req,
                            const rn_kmsg_describe_configs_request_describe_configs_resource *q,
                            rn_kmsg_describe_configs_response_describe_configs_result *r)
{
    rn_broker *b = rn_kreq_broker(req);
    char v[8][64];
    const char *keys[8] = {"auto.create.topics.enable", "num.partitions",    "log.retention.ms",
                           "log.retention.bytes",       "log.segment.bytes", "message.max.bytes",
                           "socket.request.max.bytes",  "log.roll.ms"};
    snprintf(v[0], 64, "%s", b->cfg.auto_create_topics ? "true" : "false");
    snprintf(v[1], 64, "%d", (int)b->cfg.num_partitions);
    snprintf(v[2], 64, "%lld", (long long)b->cfg.log_defaults.retention_ms);
    snprintf(v[3], 64, "%lld", (long long)b->cfg.log_defaults.retention_bytes);
    snprintf(v[4], 64, "%lld", (long long)b->cfg.log_defaults.segment_bytes);
    snprintf(v[5], 64, "%d", (int)b->cfg.log_defaults.max_message_bytes);
    snprintf(v[6], 64, "%lld", (long long)b->cfg.socket_request_max_bytes);
    snprintf(v[7], 64, "%lld", (long long)b->cfg.log_defaults.segment_ms);
    r->configs.items = rn_arena_alloc(&req->arena, 8 * sizeof *r->configs.items);
    r->configs.n = 0;
    for (int i = 0; i < 8; i++) {
        if (!wanted(q, keys[i])) continue;
        rn_kmsg_describe_configs_response_describe_configs_resource_result *c =
            &r->configs.items[r->configs.n++];
        rn_kmsg_describe_configs_response_describe_configs_resource_result_init(c);
        c->name = rn_kstr_c(keys[i]);
        c->value = kstr_dup(req, v[i]);
        c->read_only = true;
        c->config_source = SOURCE_STATIC_BROKER;
        c->synonyms.n = 0;
    }
}

void rn_kafka_handle_describe_configs(rn_kreq *req)
{
    rn_broker *b = rn_kreq_broker(req);
    rn_kmsg_describe_configs_request rq;
    rn_err err;
    if (rn_kmsg_describe_configs_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                                &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_describe_configs_response rs;
    rn_kmsg_describe_configs_response_init(&rs);
    int n = rq.resources.n > 0 ? rq.resources.n : 0;
    rs.results.n = n;
    rs.results.items = rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *rs.results.items);
    for (int i = 0; i < n; i++) {
        const rn_kmsg_describe_configs_request_describe_configs_resource *q =
            &rq.resources.items[i];
        rn_kmsg_describe_configs_response_describe_configs_result *r = &rs.results.items[i];
        rn_kmsg_describe_configs_response_describe_configs_result_init(r);
        r->resource_type = q->resource_type;
        r->resource_name = q->resource_name;
        if (q->resource_type == RESOURCE_TOPIC) {
            rn_topic *t = q->resource_name.len > 0
                              ? rn_broker_topic(b, q->resource_name.p, (size_t)q->resource_name.len)
                              : NULL;
            if (!t) {
                r->error_code = RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
                r->error_message = rn_kstr_c("The topic does not exist.");
                continue;
            }
            describe_topic(req, t, q, r);
        } else if (q->resource_type == RESOURCE_BROKER) {
            describe_broker(req, q, r);
        } else {
            r->error_code = RN_KERR_INVALID_REQUEST;
            r->error_message = rn_kstr_c("Only topic and broker resources are supported");
        }
    }
    rn_kmsg_describe_configs_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

/* Result of altering one resource. */
static void alter_result(rn_kreq *req, int16_t *code, rn_kstr *msg, int rc, const rn_err *err)
{
    if (rc == RN_OK) return;
    *code = rc == RN_EINVAL ? RN_KERR_INVALID_CONFIG : RN_KERR_KAFKA_STORAGE_ERROR;
    *msg = kstr_dup(req, err->msg);
}

static rn_topic *alter_target(rn_kreq *req, int8_t type, rn_kstr name, int16_t *code, rn_kstr *msg)
{
    if (type != RESOURCE_TOPIC) {
        *code = RN_KERR_INVALID_REQUEST;
        *msg = rn_kstr_c("Only topic configs can be altered");
        return NULL;
    }
    rn_topic *t =
        name.len > 0 ? rn_broker_topic(rn_kreq_broker(req), name.p, (size_t)name.len) : NULL;
    if (!t) {
        *code = RN_KERR_UNKNOWN_TOPIC_OR_PARTITION;
        *msg = rn_kstr_c("The topic does not exist.");
    }
    return t;
}

static char *cstr(rn_kreq *req, rn_kstr s)
{
    return s.len < 0 ? NULL : rn_arena_strndup(&req->arena, s.p, (size_t)s.len);
}

void rn_kafka_handle_alter_configs(rn_kreq *req)
{
    rn_kmsg_alter_configs_request rq;
    rn_err err;
    if (rn_kmsg_alter_configs_request_decode(&req->body, req->api_version, &req->arena, &rq,
                                             &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_alter_configs_response rs;
    rn_kmsg_alter_configs_response_init(&rs);
    int n = rq.resources.n > 0 ? rq.resources.n : 0;
    rs.responses.n = n;
    rs.responses.items =
        rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *rs.responses.items);
    for (int i = 0; i < n; i++) {
        rn_kmsg_alter_configs_request_alter_configs_resource *q = &rq.resources.items[i];
        rn_kmsg_alter_configs_response_alter_configs_resource_response *r = &rs.responses.items[i];
        rn_kmsg_alter_configs_response_alter_configs_resource_response_init(r);
        r->resource_type = q->resource_type;
        r->resource_name = q->resource_name;
        rn_topic *t = alter_target(req, q->resource_type, q->resource_name, &r->error_code,
                                   &r->error_message);
        if (!t) continue;
        /* AlterConfigs replaces the whole set of overrides. */
        int nc = q->configs.n > 0 ? q->configs.n : 0;
        rn_config_kv *kv = rn_arena_alloc(&req->arena, (size_t)(nc ? nc : 1) * sizeof *kv);
        int m = 0;
        for (int c = 0; c < nc; c++) {
            if (q->configs.items[c].value.len < 0) continue; /* null value: back to the default */
            kv[m].key = cstr(req, q->configs.items[c].name);
            kv[m].value = cstr(req, q->configs.items[c].value);
            m++;
        }
        int rc = rn_broker_topic_set_configs(rn_kreq_broker(req), t, kv, m, rq.validate_only, &err);
        alter_result(req, &r->error_code, &r->error_message, rc, &err);
    }
    rn_kmsg_alter_configs_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}

void rn_kafka_handle_incremental_alter_configs(rn_kreq *req)
{
    rn_kmsg_incremental_alter_configs_request rq;
    rn_err err;
    if (rn_kmsg_incremental_alter_configs_request_decode(&req->body, req->api_version, &req->arena,
                                                         &rq, &err)) {
        rn_kreq_fail(req, "%s", err.msg);
        return;
    }
    rn_kmsg_incremental_alter_configs_response rs;
    rn_kmsg_incremental_alter_configs_response_init(&rs);
    int n = rq.resources.n > 0 ? rq.resources.n : 0;
    rs.responses.n = n;
    rs.responses.items =
        rn_arena_alloc(&req->arena, (size_t)(n ? n : 1) * sizeof *rs.responses.items);
    for (int i = 0; i < n; i++) {
        rn_kmsg_incremental_alter_configs_request_alter_configs_resource *q =
            &rq.resources.items[i];
        rn_kmsg_incremental_alter_configs_response_alter_configs_resource_response *r =
            &rs.responses.items[i];
        rn_kmsg_incremental_alter_configs_response_alter_configs_resource_response_init(r);
        r->resource_type = q->resource_type;
        r->resource_name = q->resource_name;
        rn_topic *t = alter_target(req, q->resource_type, q->resource_name, &r->error_code,
                                   &r->error_message);
        if (!t) continue;
        /* Start from the current overrides and apply SET (0) / DELETE (1). */
        int nc = q->configs.n > 0 ? q->configs.n : 0;
        int cap = t->nconfigs + nc;
        rn_config_kv *kv = rn_arena_alloc(&req->arena, (size_t)(cap ? cap : 1) * sizeof *kv);
        int m = 0;
        for (int c = 0; c < t->nconfigs; c++)
            kv[m++] = t->configs[c];
        int rc = RN_OK;
        for (int c = 0; c < nc && rc == RN_OK; c++) {
            char *key = cstr(req, q->configs.items[c].name);
            int8_t op = q->configs.items[c].config_operation;
            int at = -1;
            for (int j = 0; j < m; j++)
                if (key && !strcmp(kv[j].key, key)) at = j;
            if (!key) {
                rc = rn_err_set(&err, RN_EINVAL, "null config name");
            } else if (op == 0) {
                char *val = cstr(req, q->configs.items[c].value);
                if (at < 0) at = m++;
                kv[at].key = key;
                kv[at].value = val;
            } else if (op == 1) {
                if (at >= 0) kv[at] = kv[--m];
            } else {
                rc = rn_err_set(&err, RN_EINVAL,
                                "APPEND and SUBTRACT apply to list configs; %s is not a list", key);
            }
        }
        if (rc == RN_OK)
            rc = rn_broker_topic_set_configs(rn_kreq_broker(req), t, kv, m, rq.validate_only, &err);
        alter_result(req, &r->error_code, &r->error_message, rc, &err);
    }
    rn_kmsg_incremental_alter_configs_response_encode(&req->resp, req->api_version, &rs);
    rn_kreq_respond(req);
}
