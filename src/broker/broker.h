/*
 * broker/broker.h - the broker's state: configuration, the storage log, metadata, and the
 * topic registry (name -> partitions + config). Topic administration (create, delete,
 * add partitions, alter configs) lives here so that the Kafka API handlers and any other
 * front end (HTTP admin, tests) share one implementation with one set of rules.
 *
 * Layer: called by kafka/api and cli/cmd_serve; calls log/, meta/, group/, broker/config.
 * Threads: loop thread only.
 */
#ifndef RN_BROKER_BROKER_H
#define RN_BROKER_BROKER_H

#include "broker/config.h"
#include "common/err.h"
#include "govern/govern.h"
#include "group/group.h"
#include "log/log.h"
#include "meta/meta.h"
#include "producer/pidmap.h"

#include <stdint.h>
#include <uv.h>

#define RN_TOPIC_NAME_MAX 249

typedef struct rn_topic {
    char *name; /* from malloc() */
    int32_t npartitions;
    rn_partition **partitions; /* from malloc(); each owned by the log */
    rn_pidmap **pidmaps;       /* from malloc(); idempotent-producer state per partition */
    rn_dedup *dedup;           /* eventId window when runnel.dedup.window.ms > 0, else NULL */
    rn_config_kv *configs;     /* overrides, from malloc() (keys and values too) */
    int nconfigs;
    rn_topic_settings settings; /* effective settings (defaults + overrides) */
    uint8_t topic_id[16];       /* random, for Metadata v10+ (not persisted yet) */
} rn_topic;

typedef struct rn_broker {
    uv_loop_t *loop;
    rn_broker_config cfg;
    rn_log *log;
    rn_meta *meta;
    rn_topic **topics; /* sorted by name; from malloc() */
    int ntopics;
    char cluster_id[64];
    int32_t node_id;
    char advertised_host[256]; /* what Metadata/FindCoordinator return */
    int advertised_port;
    uv_timer_t retention_timer;
    rn_govern *govern;         /* produce-time event rules and rejection counters */
    int64_t next_producer_id;  /* next id InitProducerId hands out */
    int64_t producer_id_limit; /* ids below this are reserved in meta; reserve more past it */
    rn_group_coord *groups;    /* the consumer-group coordinator (group/), owned */
    uv_timer_t group_timer;    /* drives rn_group_tick every RN_BROKER_GROUP_TICK_MS */
    void (*on_append)(void *arg, rn_topic *t, int32_t partition); /* fetch wake-up hook */
    void *on_append_arg;
} rn_broker;

/* Opens data_dir (creating it), the metadata database and the log; loads and recovers
 * every topic; starts the retention timer. The broker is caller-provided storage. */
int rn_broker_init(rn_broker *b, uv_loop_t *loop, const rn_broker_config *cfg, rn_err *err);

/* How often the group coordinator's deadlines are checked (sessions, rebalances). */
#define RN_BROKER_GROUP_TICK_MS 100

/* Stops timers, stores outstanding offset commits and closes the group coordinator,
 * syncs and closes the log and metadata. */
void rn_broker_fini(rn_broker *b);

/* Sets the address returned to clients (after the listener is bound). */
void rn_broker_set_advertised(rn_broker *b, const char *host, int port);

rn_topic *rn_broker_topic(rn_broker *b, const char *name, size_t len);

/* Checks a topic name against Kafka's rules (1..249 chars of [a-zA-Z0-9._-], not "." or
 * ".."). Returns RN_OK or RN_EINVAL with a message. */
int rn_topic_name_validate(const char *name, size_t len, rn_err *err);

/* Creates a topic with npartitions (<= 0: num.partitions) and validated config overrides.
 * RN_ECONFLICT if it exists, RN_EINVAL for a bad name/config/count (message says which).
 * With validate_only nothing is changed. */
int rn_broker_topic_create(rn_broker *b, const char *name, int32_t npartitions,
                           const rn_config_kv *kv, int n, int validate_only, rn_topic **out,
                           rn_err *err);
int rn_broker_topic_delete(rn_broker *b, const char *name, rn_err *err);
/* Grows a topic to total partitions (must be larger). */
int rn_broker_topic_add_partitions(rn_broker *b, rn_topic *t, int32_t total, int validate_only,
                                   rn_err *err);
/* Replaces the topic's overrides with kv (validated; validate_only changes nothing). */
int rn_broker_topic_set_configs(rn_broker *b, rn_topic *t, const rn_config_kv *kv, int n,
                                int validate_only, rn_err *err);

/* Allocates a producer id for InitProducerId. Ids are reserved in blocks in the metadata
 * so they are never reused, even after kill -9. Returns RN_OK or an RN_EIO from meta. */
int rn_broker_next_producer_id(rn_broker *b, int64_t *out, rn_err *err);

/* Runs retention over every partition now (the timer calls this). */
void rn_broker_apply_retention(rn_broker *b);

#endif
