/*
 * group/offsets.h - the durable store of consumer groups: committed offsets and the small
 * group records (protocol type, generation, when the group became empty) in SQLite at
 * <data_dir>/groups.db (WAL, synchronous=FULL).
 *
 * Layer: used by group/ only; calls SQLite and libuv (thread, mutex, async).
 * Writes are batches (rn_offsets_batch): a batch is a list of row operations that the
 *   caller builds on the loop thread and submits; its callback runs on the loop thread once
 *   the batch is on stable storage (or failed). A commit is acknowledged only then.
 * Group commit: one writer thread takes EVERY batch queued so far, applies them all in one
 *   transaction (one WAL fsync), then hands all their completions back to the loop thread
 *   through one uv_async, in submission order. Batches arriving meanwhile wait for the next
 *   transaction. This is the pattern of log/flush.c, with SQLite doing the fsync.
 * Failure: if the transaction fails, it is rolled back and every batch in it completes with
 *   RN_EIO: nothing of it was stored. Later transactions are attempted normally.
 * Threads: rn_offsets_open/load/close and batch building on the loop thread; the SQLite
 *   connection is used by the writer thread only once rn_offsets_start has run.
 */
#ifndef RN_GROUP_OFFSETS_H
#define RN_GROUP_OFFSETS_H

#include "common/err.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct rn_offsets rn_offsets;
typedef struct rn_offsets_batch rn_offsets_batch;

/* Opens (creating) the database at path and its tables. Returns a new store owned by the
 * caller; close with rn_offsets_close. The writer thread is not running yet: call
 * rn_offsets_load (optional), then rn_offsets_start. */
int rn_offsets_open(const char *path, uv_loop_t *loop, rn_offsets **out, rn_err *err);

/* Reads every stored row, groups first (in group id order), then offsets (in group, topic,
 * partition order). The strings passed to the callbacks are valid only during the call; a
 * callback returning non-zero stops the load with that value. metadata is never NULL (a
 * null commit metadata is stored as ""); protocol_type may be NULL. Loop thread, before
 * rn_offsets_start. */
typedef struct rn_offsets_loader {
    int (*group)(void *arg, const char *group_id, const char *protocol_type, int32_t generation,
                 int64_t state_ts_ms);
    int (*offset)(void *arg, const char *group_id, const char *topic, int32_t partition,
                  int64_t offset, int32_t leader_epoch, const char *metadata, size_t metadata_len,
                  int64_t commit_ts_ms);
    void *arg;
} rn_offsets_loader;
int rn_offsets_load(rn_offsets *s, const rn_offsets_loader *l, rn_err *err);

/* Starts the writer thread. */
int rn_offsets_start(rn_offsets *s, rn_err *err);

/* Waits for every submitted batch (their callbacks run, from inside this call), stops the
 * writer thread, closes the database and closes the uv_async handle; the store's memory is
 * freed by the handle's close callback, so the loop must run once more afterwards (as with
 * any libuv handle). Do not call from inside a batch callback. NULL is a no-op. */
void rn_offsets_close(rn_offsets *s);

/* ------------------------------------------------------------------ batches */

/* Returns a new empty batch, owned by the caller until submitted; NULL on OOM. */
rn_offsets_batch *rn_offsets_batch_new(void);
/* Frees a batch that was not submitted. NULL is a no-op. */
void rn_offsets_batch_free(rn_offsets_batch *b);
/* Number of operations in the batch. */
int rn_offsets_batch_len(const rn_offsets_batch *b);

/* Adds "store this committed offset" (insert or replace). Strings are copied; metadata may
 * be NULL (stored as ""). Returns RN_OK or RN_ENOMEM (the batch is unchanged). */
int rn_offsets_batch_put_offset(rn_offsets_batch *b, const char *group_id, const char *topic,
                                int32_t partition, int64_t offset, int32_t leader_epoch,
                                const char *metadata, size_t metadata_len, int64_t commit_ts_ms);
/* Adds "forget the committed offset of (group, topic, partition)". */
int rn_offsets_batch_del_offset(rn_offsets_batch *b, const char *group_id, const char *topic,
                                int32_t partition);
/* Adds "store the group record" (insert or replace). protocol_type may be NULL. */
int rn_offsets_batch_put_group(rn_offsets_batch *b, const char *group_id, const char *protocol_type,
                               int32_t generation, int64_t state_ts_ms);
/* Adds "delete the group record and every committed offset of the group". */
int rn_offsets_batch_del_group(rn_offsets_batch *b, const char *group_id);

/* Called on the loop thread once the batch is stored (status RN_OK) or failed (RN_EIO). */
typedef void (*rn_offsets_cb)(void *arg, int status);

/* Submits b; takes ownership of b, also on failure. Returns RN_OK if queued: cb (which may
 * be NULL) then runs exactly once, later, on the loop thread, never from inside this call.
 * Returns RN_EINVAL (cb never called) if the store is closing. While batches are
 * outstanding the store's async handle keeps the loop alive. */
int rn_offsets_submit(rn_offsets *s, rn_offsets_batch *b, rn_offsets_cb cb, void *arg);

/* Counters for tests and observability. */
typedef struct rn_offsets_stats {
    uint64_t transactions; /* transactions committed (or attempted and failed) */
    uint64_t batches;      /* batches they carried */
    uint64_t failed;       /* batches completed with an error */
} rn_offsets_stats;
void rn_offsets_get_stats(rn_offsets *s, rn_offsets_stats *out);

/* Testing only: the next n transactions fail (rolled back, every batch RN_EIO), as a full
 * or failing disk would make them. */
void rn_offsets_fault_fail_next(rn_offsets *s, int n);

#endif
