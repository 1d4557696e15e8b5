/*
 * meta/meta.h - durable broker metadata in SQLite (WAL, synchronous=FULL): topics, their
 * partition counts and config overrides, and small broker-wide values (cluster id).
 *
 * Layer: called by broker/; calls SQLite only. Every write is one transaction that is on
 * stable storage when the call returns. Loop thread only.
 */
#ifndef RN_META_META_H
#define RN_META_META_H

#include "broker/config.h"
#include "common/err.h"

#include <stdint.h>

typedef struct rn_meta rn_meta;

/* Opens (creating) the database at path. Returns a handle owned by the caller. */
int rn_meta_open(const char *path, rn_meta **out, rn_err *err);
void rn_meta_close(rn_meta *m);

/* Gets a broker-wide value into out (RN_ENOTFOUND if absent) / sets it. */
int rn_meta_get(rn_meta *m, const char *key, char *out, size_t outlen, rn_err *err);
int rn_meta_set(rn_meta *m, const char *key, const char *value, rn_err *err);

/* Creates a topic row with its config overrides, atomically. RN_ECONFLICT if it exists. */
int rn_meta_topic_create(rn_meta *m, const char *name, int32_t partitions, const rn_config_kv *kv,
                         int n, rn_err *err);
/* Deletes a topic and its configs. RN_ENOTFOUND if absent. */
int rn_meta_topic_delete(rn_meta *m, const char *name, rn_err *err);
int rn_meta_topic_set_partitions(rn_meta *m, const char *name, int32_t partitions, rn_err *err);
/* Replaces all config overrides of a topic with kv[0..n). */
int rn_meta_topic_set_configs(rn_meta *m, const char *name, const rn_config_kv *kv, int n,
                              rn_err *err);

/* Calls cb for every topic (name, partitions, overrides) in name order. The strings are
 * valid only during the callback. Stops and returns cb's value if non-zero. */
typedef int (*rn_meta_topic_cb)(void *arg, const char *name, int32_t partitions,
                                const rn_config_kv *kv, int n);
int rn_meta_topics_load(rn_meta *m, rn_meta_topic_cb cb, void *arg, rn_err *err);

#endif
