/*
 * producer/pidmap.h - idempotent-producer state of one partition: for every producer id
 * its epoch and its last 5 batches (first/last sequence, base offset), so that a retried
 * batch is answered with its original offset instead of being stored twice, and gaps or
 * stale epochs are refused (Kafka's ProducerStateManager rules, spec §6).
 *
 * Layer: used by kafka/api (Produce) and broker/ (rebuild from the log at open).
 * No I/O; loop thread only.
 */
#ifndef RN_PRODUCER_PIDMAP_H
#define RN_PRODUCER_PIDMAP_H

#include <stdint.h>

#define RN_PID_BATCHES 5

typedef struct rn_pidmap rn_pidmap;

enum rn_pid_verdict {
    RN_PID_ACCEPT = 0,       /* new batch in sequence: append it, then rn_pidmap_record */
    RN_PID_DUPLICATE = 1,    /* a retry of a cached batch: answer *dup_offset, store nothing */
    RN_PID_OUT_OF_ORDER = 2, /* OUT_OF_ORDER_SEQUENCE_NUMBER (45) */
    RN_PID_FENCED = 3,       /* INVALID_PRODUCER_EPOCH (47): an older epoch */
};

rn_pidmap *rn_pidmap_new(void);
void rn_pidmap_free(rn_pidmap *m);

/* Judges a batch (pid >= 0) with sequences [base_seq, base_seq + last_offset_delta]. */
enum rn_pid_verdict rn_pidmap_check(const rn_pidmap *m, int64_t pid, int16_t epoch,
                                    int32_t base_seq, int32_t last_offset_delta,
                                    int64_t *dup_offset);

/* Records an appended batch. Returns 0, or -1 on allocation failure (the state then
 * forgets the producer, which makes its next batch accepted with any sequence). */
int rn_pidmap_record(rn_pidmap *m, int64_t pid, int16_t epoch, int32_t base_seq,
                     int32_t last_offset_delta, int64_t base_offset);

/* Number of producers tracked. */
int rn_pidmap_count(const rn_pidmap *m);

#endif
