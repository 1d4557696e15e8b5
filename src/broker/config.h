/*
 * broker/config.h - the broker's configuration: defaults, the `--config FILE` parser
 * (key=value lines, # comments), and the per-topic configs (Kafka's names) with their
 * validation.
 *
 * Broker keys (file or flags): data.dir, kafka.listen, http.listen, kafka.advertise,
 * auto.create.topics.enable, num.partitions, socket.request.max.bytes,
 * log.retention.check.interval.ms, and topic defaults log.retention.ms,
 * log.retention.bytes, log.segment.bytes, log.roll.ms, message.max.bytes; consumer groups:
 * group.initial.rebalance.delay.ms, group.min.session.timeout.ms,
 * group.max.session.timeout.ms, offsets.retention.minutes,
 * offsets.retention.check.interval.ms.
 */
#ifndef RN_BROKER_CONFIG_H
#define RN_BROKER_CONFIG_H

#include "common/err.h"
#include "log/log.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rn_broker_config {
    char data_dir[1024];
    char kafka_listen[256];
    char http_listen[256];
    char kafka_advertise[256];           /* "" = the bound kafka address */
    int auto_create_topics;              /* auto.create.topics.enable, default 1 */
    int32_t num_partitions;              /* num.partitions, default 1: for auto-created topics */
    int64_t socket_request_max_bytes;    /* default 100 MiB */
    int64_t retention_check_interval_ms; /* default 300000 */
    rn_log_config log_defaults;          /* topic defaults (log.* keys) */
    char message_timestamp_type[16];     /* log.message.timestamp.type */
    char naming_domains[1024];           /* runnel.naming.domains: comma-separated, "" = any */
    char naming_past_tense[1024];        /* runnel.naming.past.tense: extra past-tense verbs */
    /* consumer groups (group/) */
    int32_t group_initial_rebalance_delay_ms;    /* default 3000 */
    int32_t group_min_session_timeout_ms;        /* default 6000 */
    int32_t group_max_session_timeout_ms;        /* default 1800000 */
    int64_t offsets_retention_minutes;           /* default 10080 (7 days) */
    int64_t offsets_retention_check_interval_ms; /* default 600000 */
} rn_broker_config;

void rn_broker_config_defaults(rn_broker_config *c);

/* Sets one broker key from text. where names the origin for messages ("runnel.conf:12"
 * or "--flag"). RN_EINVAL with "where: key: reason" for unknown keys or bad values. */
int rn_broker_config_set(rn_broker_config *c, const char *key, const char *value, const char *where,
                         rn_err *err);

/* Reads a key=value file into c. Errors name the file, line and key. */
int rn_broker_config_load(rn_broker_config *c, const char *path, rn_err *err);

/* ------------------------------------------------------------------ topic configs */

enum { RN_VALIDATION_NONE = 0, RN_VALIDATION_ENVELOPE = 1, RN_VALIDATION_SCHEMA = 2 };

typedef struct rn_topic_settings {
    rn_log_config log;
    int log_append_time; /* message.timestamp.type=LogAppendTime */
    int32_t min_insync_replicas;
    int validation;          /* runnel.validation: RN_VALIDATION_* */
    int quarantine;          /* runnel.validation.quarantine */
    int64_t dedup_window_ms; /* runnel.dedup.window.ms, 0 = off */
} rn_topic_settings;

/* One topic config key=value (strings from malloc() when owned by a topic). */
typedef struct rn_config_kv {
    char *key;
    char *value;
} rn_config_kv;

/* The known topic config keys, for DescribeConfigs: index 0..count-1; *doc (if not NULL)
 * receives a one-line description. */
int rn_topic_config_key_count(void);
const char *rn_topic_config_key_at(int i, const char **doc);

/* Validates a topic config value: RN_EINVAL with a message ("Unknown topic config name:
 * foo", "Invalid value abc for configuration retention.ms: Not a number") otherwise. */
int rn_topic_config_validate(const char *key, const char *value, rn_err *err);

/* Computes effective settings: broker defaults overlaid with the topic's overrides
 * (assumed valid). */
void rn_topic_settings_compute(const rn_broker_config *bc, const rn_config_kv *kv, int n,
                               rn_topic_settings *out);

/* The effective value of key as text (for DescribeConfigs) into out; returns 1 if the
 * topic overrides it, 0 if it is the default. */
int rn_topic_config_value(const rn_broker_config *bc, const rn_config_kv *kv, int n,
                          const char *key, char *out, size_t outlen);

#endif
