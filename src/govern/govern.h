/*
 * govern/govern.h - the guidelines' event rules enforced at the produce boundary.
 *
 * For a topic with runnel.validation=envelope|schema every record value of a produced
 * batch is decompressed and checked: the envelope and naming rules (event/envelope.h),
 * and with `schema` its data against the registry schema whose subject is the eventType.
 * One bad record rejects the whole batch (nothing of it is stored); the verdict says
 * which records and why, in the words of the envelope and schema validators.
 * For a topic with runnel.dedup.window.ms > 0, records whose eventId was accepted within
 * the window are recognised: the caller stores only the new ones (rn_govern_rewrite) and
 * answers with the original offset. The window is rebuilt from the log at start.
 * Rejections are counted per topic and eventType.
 *
 * Layer: called by kafka/api (Produce) and broker/; calls event/, registry/, kafka/record.
 * Threads: loop thread only (the registry it reads is thread-safe on its own).
 */
#ifndef RN_GOVERN_GOVERN_H
#define RN_GOVERN_GOVERN_H

#include "broker/config.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "log/log.h"

#include <stdint.h>

typedef struct rn_govern rn_govern;
typedef struct rn_dedup rn_dedup;
struct rn_jsonschema;

/* Looks up the compiled schema of subject at version (-1: latest): RN_OK with *out (valid
 * as long as the provider lives) and its id, RN_ENOTFOUND, or another error. The broker
 * passes the schema registry's lookup. */
typedef int (*rn_govern_schema_fn)(void *arg, const char *subject, int version,
                                   const struct rn_jsonschema **out, int *id, rn_err *err);

#define RN_GOVERN_MAX_ERRORS 8 /* per-record errors reported per batch */

typedef struct rn_govern_record_error {
    int32_t index; /* record index in the batch */
    char *message; /* "/eventType: ...", arena memory */
} rn_govern_record_error;

typedef struct rn_govern_verdict {
    int32_t nrecords;
    int32_t nrejected;                                   /* > 0: refuse the batch */
    rn_govern_record_error errors[RN_GOVERN_MAX_ERRORS]; /* the first ones */
    int nerrors;
    char *message;                  /* one line for ProduceResponse.error_message (arena) */
    int32_t nduplicates;            /* records whose eventId is in the window */
    int64_t first_duplicate_offset; /* original offset of the first duplicate, or -1 */
    /* Per record (arena arrays, nrecords long). */
    uint8_t *duplicate; /* 1 if this record is a duplicate */
    uint8_t (*ids)[16]; /* eventId, if has_id */
    uint8_t *has_id;
    int32_t *deltas; /* offset delta inside the batch */
    char **types;    /* eventType (arena) or NULL, for rejection counters */
    char **reasons;  /* why the record was rejected (arena), NULL if it was not */
} rn_govern_verdict;

/* Creates the governor with the broker's naming rules (runnel.naming.* keys). schema_fn
 * may be NULL (schema validation then rejects with a clear message). */
int rn_govern_new(const rn_broker_config *cfg, rn_govern_schema_fn schema_fn, void *schema_arg,
                  rn_govern **out, rn_err *err);
void rn_govern_free(rn_govern *g);
/* Sets (or replaces) the schema lookup used by runnel.validation=schema. */
void rn_govern_set_schema_fn(rn_govern *g, rn_govern_schema_fn fn, void *arg);

/* Checks the records of one validated batch [p, p+len) produced to topic with the given
 * settings, filling v from arena a: with runnel.validation=none nothing is rejected and
 * only the eventIds of records that are envelopes are read (for dedup). Returns RN_OK
 * (see v) or RN_ENOMEM/RN_EPROTO. */
int rn_govern_check(rn_govern *g, const char *topic, const rn_topic_settings *s, rn_dedup *dedup,
                    const uint8_t *p, size_t len, rn_arena *a, rn_govern_verdict *v, rn_err *err);

/* Writes into out a copy of the batch without the duplicate records of v: same header
 * (offset range, timestamps, producer id and sequence, codec), fewer records, new CRC.
 * An idempotent producer's batch may end up with no records at all: it is still stored,
 * so that the producer's sequence numbers stay continuous in the log (as Kafka keeps
 * empty batches after compaction). */
int rn_govern_rewrite(const uint8_t *p, size_t len, const rn_govern_verdict *v, rn_buf *out,
                      rn_err *err);

/* Records the accepted eventIds of v, appended at base_offset, in the dedup window. */
void rn_govern_accepted(rn_dedup *dedup, const rn_govern_verdict *v, int32_t partition,
                        int64_t base_offset, int64_t now_ms);

/* Counts the rejected records of v per eventType for topic. */
void rn_govern_count_rejects(rn_govern *g, const char *topic, const rn_govern_verdict *v);

/* Rejections counted for topic: calls cb for the total (type NULL) and each eventType
 * ("(invalid)" when the record had no readable eventType). */
void rn_govern_rejects(const rn_govern *g, const char *topic,
                       void (*cb)(void *arg, const char *type, uint64_t n), void *arg);
void rn_govern_forget_topic(rn_govern *g, const char *topic);

/* ------------------------------------------------------------------ dedup window */

rn_dedup *rn_dedup_new(int64_t window_ms);
void rn_dedup_free(rn_dedup *d);
void rn_dedup_set_window(rn_dedup *d, int64_t window_ms);
/* Original (partition, offset) of eventId if it was accepted at or after now - window. */
int rn_dedup_find(rn_dedup *d, const uint8_t id[16], int64_t now_ms, int32_t *partition,
                  int64_t *offset);
void rn_dedup_add(rn_dedup *d, const uint8_t id[16], int32_t partition, int64_t offset,
                  int64_t time_ms);
/* Reloads the window from the records of part whose timestamps are within it. */
int rn_dedup_rebuild(rn_dedup *d, rn_partition *part, int32_t partition, int64_t now_ms,
                     rn_err *err);
size_t rn_dedup_count(const rn_dedup *d);

#endif
