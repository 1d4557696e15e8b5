/*
 * broker/config.c - broker configuration file and flags; topic config keys, validation
 * and effective values.
 */
#include "broker/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rn_broker_config_defaults(rn_broker_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "./data");
    snprintf(c->kafka_listen, sizeof c->kafka_listen, "127.0.0.1:9092");
    snprintf(c->http_listen, sizeof c->http_listen, "127.0.0.1:8081");
    c->auto_create_topics = 1;
    c->num_partitions = 1;
    c->socket_request_max_bytes = 100 * 1024 * 1024;
    c->retention_check_interval_ms = 300000;
    rn_log_config_defaults(&c->log_defaults);
    snprintf(c->message_timestamp_type, sizeof c->message_timestamp_type, "CreateTime");
    c->group_initial_rebalance_delay_ms = 3000;
    c->group_min_session_timeout_ms = 6000;
    c->group_max_session_timeout_ms = 1800000;
    c->offsets_retention_minutes = 10080;
    c->offsets_retention_check_interval_ms = 600000;
}

static int parse_i64(const char *s, int64_t *out)
{
    if (!*s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "on"))
        *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "off"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int copy_str(char *dst, size_t dstlen, const char *v)
{
    size_t n = strlen(v);
    if (n >= dstlen) return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

int rn_broker_config_set(rn_broker_config *c, const char *key, const char *value, const char *where,
                         rn_err *err)
{
    int64_t n = 0;
    int b = 0;
#define BAD(why)          rn_err_set(err, RN_EINVAL, "%s: %s: %s (got '%s')", where, key, why, value)
#define I64_RANGE(lo, hi) (parse_i64(value, &n) == 0 && n >= (lo) && n <= (hi))
    if (!strcmp(key, "data.dir")) {
        if (!*value || copy_str(c->data_dir, sizeof c->data_dir, value))
            return BAD("expected a directory path");
    } else if (!strcmp(key, "kafka.listen")) {
        if (copy_str(c->kafka_listen, sizeof c->kafka_listen, value)) return BAD("too long");
    } else if (!strcmp(key, "http.listen")) {
        if (copy_str(c->http_listen, sizeof c->http_listen, value)) return BAD("too long");
    } else if (!strcmp(key, "kafka.advertise")) {
        if (copy_str(c->kafka_advertise, sizeof c->kafka_advertise, value)) return BAD("too long");
    } else if (!strcmp(key, "auto.create.topics.enable")) {
        if (parse_bool(value, &b)) return BAD("expected true or false");
        c->auto_create_topics = b;
    } else if (!strcmp(key, "num.partitions")) {
        if (!I64_RANGE(1, 100000)) return BAD("expected an integer in 1..100000");
        c->num_partitions = (int32_t)n;
    } else if (!strcmp(key, "socket.request.max.bytes")) {
        if (!I64_RANGE(1024, INT32_MAX)) return BAD("expected an integer in 1024..2147483647");
        c->socket_request_max_bytes = n;
    } else if (!strcmp(key, "log.retention.check.interval.ms")) {
        if (!I64_RANGE(10, INT64_MAX / 2)) return BAD("expected an integer >= 10");
        c->retention_check_interval_ms = n;
    } else if (!strcmp(key, "log.retention.ms")) {
        if (!I64_RANGE(-1, INT64_MAX / 2)) return BAD("expected an integer >= -1");
        c->log_defaults.retention_ms = n;
    } else if (!strcmp(key, "log.retention.bytes")) {
        if (!I64_RANGE(-1, INT64_MAX / 2)) return BAD("expected an integer >= -1");
        c->log_defaults.retention_bytes = n;
    } else if (!strcmp(key, "log.segment.bytes")) {
        if (!I64_RANGE(14, INT32_MAX)) return BAD("expected an integer in 14..2147483647");
        c->log_defaults.segment_bytes = n;
    } else if (!strcmp(key, "log.roll.ms")) {
        if (!I64_RANGE(1, INT64_MAX / 2)) return BAD("expected an integer >= 1");
        c->log_defaults.segment_ms = n;
    } else if (!strcmp(key, "message.max.bytes")) {
        if (!I64_RANGE(0, INT32_MAX)) return BAD("expected an integer >= 0");
        c->log_defaults.max_message_bytes = (int32_t)n;
    } else if (!strcmp(key, "runnel.naming.domains")) {
        if (copy_str(c->naming_domains, sizeof c->naming_domains, value)) return BAD("too long");
    } else if (!strcmp(key, "runnel.naming.past.tense")) {
        if (copy_str(c->naming_past_tense, sizeof c->naming_past_tense, value))
            return BAD("too long");
    } else if (!strcmp(key, "log.message.timestamp.type")) {
        if (strcmp(value, "CreateTime") && strcmp(value, "LogAppendTime"))
            return BAD("expected CreateTime or LogAppendTime");
        copy_str(c->message_timestamp_type, sizeof c->message_timestamp_type, value);
    } else if (!strcmp(key, "group.initial.rebalance.delay.ms")) {
        if (!I64_RANGE(0, INT32_MAX)) return BAD("expected an integer >= 0");
        c->group_initial_rebalance_delay_ms = (int32_t)n;
    } else if (!strcmp(key, "group.min.session.timeout.ms")) {
        if (!I64_RANGE(1, INT32_MAX)) return BAD("expected an integer >= 1");
        c->group_min_session_timeout_ms = (int32_t)n;
    } else if (!strcmp(key, "group.max.session.timeout.ms")) {
        if (!I64_RANGE(1, INT32_MAX)) return BAD("expected an integer >= 1");
        c->group_max_session_timeout_ms = (int32_t)n;
    } else if (!strcmp(key, "offsets.retention.minutes")) {
        if (!I64_RANGE(1, INT64_MAX / 60000)) return BAD("expected an integer >= 1");
        c->offsets_retention_minutes = n;
    } else if (!strcmp(key, "offsets.retention.check.interval.ms")) {
        if (!I64_RANGE(1, INT64_MAX / 2)) return BAD("expected an integer >= 1");
        c->offsets_retention_check_interval_ms = n;
    } else {
        return rn_err_set(err, RN_EINVAL, "%s: %s: unknown configuration key", where, key);
    }
    return RN_OK;
#undef BAD
#undef I64_RANGE
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int rn_broker_config_load(rn_broker_config *c, const char *path, rn_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return rn_err_set(err, RN_EINVAL, "%s: cannot open: %s", path, strerror(errno));
    char line[4096];
    int lineno = 0, rc = RN_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        char where[1100];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (!eq) {
            rc = rn_err_set(err, RN_EINVAL, "%s: expected key=value, got '%s'", where, s);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        rc = rn_broker_config_set(c, key, val, where, err);
        if (rc) break;
    }
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------ topic configs */

enum kind { K_LONG, K_INT, K_ENUM };

typedef struct key_def {
    const char *name;
    enum kind kind;
    int64_t min, max;
    const char *choices; /* K_ENUM: '|'-separated */
    const char *doc;
} key_def;

static const key_def topic_keys[] = {
    {"cleanup.policy", K_ENUM, 0, 0, "delete", "Retention policy; only delete is supported."},
    {"compression.type", K_ENUM, 0, 0, "producer",
     "Batches are stored as the producer compressed them."},
    {"index.interval.bytes", K_INT, 0, INT32_MAX, NULL,
     "Bytes of log between two offset index entries."},
    {"max.message.bytes", K_INT, 0, INT32_MAX, NULL, "Largest record batch accepted."},
    {"message.timestamp.type", K_ENUM, 0, 0, "CreateTime|LogAppendTime",
     "Whether record timestamps come from the producer or the broker."},
    {"min.insync.replicas", K_INT, 1, 1, NULL, "Single node: always 1."},
    {"retention.bytes", K_LONG, -1, INT64_MAX / 2, NULL,
     "Per-partition size above which old segments are deleted (-1: unlimited)."},
    {"retention.ms", K_LONG, -1, INT64_MAX / 2, NULL,
     "Age after which old segments are deleted (-1: forever)."},
    {"segment.bytes", K_INT, 14, INT32_MAX, NULL, "Segment file size before rolling."},
    {"segment.ms", K_LONG, 1, INT64_MAX / 2, NULL, "Segment age before rolling."},
    {"runnel.validation", K_ENUM, 0, 0, "none|envelope|schema",
     "Checks on every produced record: none, the event envelope, or envelope and schema."},
    {"runnel.validation.quarantine", K_ENUM, 0, 0, "false|true",
     "Write rejected records to <topic>.rejected with the reason in headers."},
    {"runnel.dedup.window.ms", K_LONG, 0, INT64_MAX / 2, NULL,
     "Acknowledge a record whose eventId was accepted this recently without storing it "
     "again (0: off)."},
};
#define NKEYS ((int)(sizeof topic_keys / sizeof topic_keys[0]))

int rn_topic_config_key_count(void)
{
    return NKEYS;
}

const char *rn_topic_config_key_at(int i, const char **doc)
{
    if (i < 0 || i >= NKEYS) return NULL;
    if (doc) *doc = topic_keys[i].doc;
    return topic_keys[i].name;
}

static const key_def *find_key(const char *name)
{
    for (int i = 0; i < NKEYS; i++)
        if (!strcmp(topic_keys[i].name, name)) return &topic_keys[i];
    return NULL;
}

static int enum_has(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    const char *p = choices;
    while (*p) {
        const char *e = strchr(p, '|');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == vl && !strncmp(p, v, l)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

int rn_topic_config_validate(const char *key, const char *value, rn_err *err)
{
    const key_def *k = find_key(key);
    if (!k) return rn_err_set(err, RN_EINVAL, "Unknown topic config name: %s", key);
    if (!value)
        return rn_err_set(err, RN_EINVAL, "Null value not supported for topic config: %s", key);
    if (k->kind == K_ENUM) {
        if (!enum_has(k->choices, value))
            return rn_err_set(err, RN_EINVAL,
                              "Invalid value %s for configuration %s: must be one of %s", value,
                              key, k->choices);
        return RN_OK;
    }
    int64_t n;
    if (parse_i64(value, &n))
        return rn_err_set(err, RN_EINVAL, "Invalid value %s for configuration %s: Not a number",
                          value, key);
    if (n < k->min || n > k->max)
        return rn_err_set(err, RN_EINVAL,
                          "Invalid value %s for configuration %s: Value must be in %lld..%lld",
                          value, key, (long long)k->min, (long long)k->max);
    return RN_OK;
}

static const char *override_of(const rn_config_kv *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key)) return kv[i].value;
    return NULL;
}

void rn_topic_settings_compute(const rn_broker_config *bc, const rn_config_kv *kv, int n,
                               rn_topic_settings *out)
{
    memset(out, 0, sizeof *out);
    out->log = bc->log_defaults;
    out->log_append_time = !strcmp(bc->message_timestamp_type, "LogAppendTime");
    out->min_insync_replicas = 1;
    const char *v;
    int64_t x;
    if ((v = override_of(kv, n, "retention.ms")) && !parse_i64(v, &x)) out->log.retention_ms = x;
    if ((v = override_of(kv, n, "retention.bytes")) && !parse_i64(v, &x))
        out->log.retention_bytes = x;
    if ((v = override_of(kv, n, "segment.bytes")) && !parse_i64(v, &x)) out->log.segment_bytes = x;
    if ((v = override_of(kv, n, "segment.ms")) && !parse_i64(v, &x)) out->log.segment_ms = x;
    if ((v = override_of(kv, n, "max.message.bytes")) && !parse_i64(v, &x))
        out->log.max_message_bytes = (int32_t)x;
    if ((v = override_of(kv, n, "index.interval.bytes")) && !parse_i64(v, &x))
        out->log.index_interval_bytes = (int32_t)x;
    if ((v = override_of(kv, n, "message.timestamp.type")))
        out->log_append_time = !strcmp(v, "LogAppendTime");
    if ((v = override_of(kv, n, "runnel.validation")))
        out->validation = !strcmp(v, "schema")     ? RN_VALIDATION_SCHEMA
                          : !strcmp(v, "envelope") ? RN_VALIDATION_ENVELOPE
                                                   : RN_VALIDATION_NONE;
    if ((v = override_of(kv, n, "runnel.validation.quarantine")))
        out->quarantine = !strcmp(v, "true");
    if ((v = override_of(kv, n, "runnel.dedup.window.ms")) && !parse_i64(v, &x))
        out->dedup_window_ms = x;
}

int rn_topic_config_value(const rn_broker_config *bc, const rn_config_kv *kv, int n,
                          const char *key, char *out, size_t outlen)
{
    const char *v = override_of(kv, n, key);
    if (v) {
        snprintf(out, outlen, "%s", v);
        return 1;
    }
    const rn_log_config *d = &bc->log_defaults;
    if (!strcmp(key, "cleanup.policy"))
        snprintf(out, outlen, "delete");
    else if (!strcmp(key, "compression.type"))
        snprintf(out, outlen, "producer");
    else if (!strcmp(key, "index.interval.bytes"))
        snprintf(out, outlen, "%d", (int)d->index_interval_bytes);
    else if (!strcmp(key, "max.message.bytes"))
        snprintf(out, outlen, "%d", (int)d->max_message_bytes);
    else if (!strcmp(key, "message.timestamp.type"))
        snprintf(out, outlen, "%s", bc->message_timestamp_type);
    else if (!strcmp(key, "min.insync.replicas"))
        snprintf(out, outlen, "1");
    else if (!strcmp(key, "retention.bytes"))
        snprintf(out, outlen, "%lld", (long long)d->retention_bytes);
    else if (!strcmp(key, "retention.ms"))
        snprintf(out, outlen, "%lld", (long long)d->retention_ms);
    else if (!strcmp(key, "segment.bytes"))
        snprintf(out, outlen, "%lld", (long long)d->segment_bytes);
    else if (!strcmp(key, "segment.ms"))
        snprintf(out, outlen, "%lld", (long long)d->segment_ms);
    else if (!strcmp(key, "runnel.validation"))
        snprintf(out, outlen, "none");
    else if (!strcmp(key, "runnel.validation.quarantine"))
        snprintf(out, outlen, "false");
    else if (!strcmp(key, "runnel.dedup.window.ms"))
        snprintf(out, outlen, "0");
    else
        out[0] = '\0';
    return 0;
}
