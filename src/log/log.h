/*
 * log/log.h - the storage log: partitions of Kafka RecordBatch v2 batches in segment
 * files, with sparse offset and time indexes, recovery, retention and group-commit fsync.
 *
 * Layer: called by kafka/api and broker/; calls common/ and log/fileops.h only. Knows
 * nothing about topics' metadata (meta/ keeps that) beyond the directory name.
 *
 * On disk, under <data_dir>/topics/<topic>-<partition>/:
 *   <base offset, 20 digits>.log        batches, byte for byte as received except
 *                                       baseOffset (bytes 0-7) and partitionLeaderEpoch
 *                                       (bytes 12-15), which append() patches; the CRC32C
 *                                       covers bytes 21.., so it stays valid.
 *   <base offset>.index                 sparse offset index (see log_int.h)
 *   <base offset>.timeindex             sparse time index
 *   log-start-offset                    the log start offset, when above the first
 *                                       segment's base (DeleteRecords, retention)
 *
 * Threads: every function runs on the loop thread, except that fsync work runs on the
 * log's flusher thread and its completions come back to the loop via uv_async.
 */
#ifndef RN_LOG_LOG_H
#define RN_LOG_LOG_H

#include "common/buf.h"
#include "common/err.h"
#include "log/fileops.h"

#include <stdint.h>
#include <uv.h>

typedef struct rn_log rn_log;
typedef struct rn_partition rn_partition;

/* Per-topic settings, named after Kafka's topic configs. */
typedef struct rn_log_config {
    int64_t segment_bytes;        /* segment.bytes, default 1 GiB; roll when exceeded */
    int64_t segment_ms;           /* segment.ms, default 7 days; roll an older segment */
    int64_t retention_ms;         /* retention.ms, default 7 days; -1 = keep forever */
    int64_t retention_bytes;      /* retention.bytes, default -1 = unlimited */
    int32_t max_message_bytes;    /* max.message.bytes, default 1048588 */
    int32_t index_interval_bytes; /* index.interval.bytes, default 4096 */
} rn_log_config;

/* Fills cfg with Kafka's defaults. */
void rn_log_config_defaults(rn_log_config *cfg);

/* Opens the log rooted at data_dir (creates data_dir/topics if missing) and starts its
 * flusher thread. ops may be NULL for rn_fileops_posix. Sync completions are delivered on
 * loop. Returns a new log owned by the caller; free with rn_log_close. */
int rn_log_open(const char *data_dir, uv_loop_t *loop, const rn_fileops *ops, rn_log **out,
                rn_err *err);

/* Waits for outstanding syncs (their callbacks run, with their status), stops the flusher,
 * syncs and closes every open partition, frees the log. NULL is a no-op.
 * The log's uv_async handle lives inside the log, so rn_log_close closes it and then runs
 * uv_run(loop, UV_RUN_NOWAIT) itself until its close callback has fired (one iteration);
 * that iteration may run other ready callbacks of the loop. So: call it outside uv_run
 * (typically after the main uv_run returned, or before it started), never from a
 * callback on the same loop (uv_run is not re-entrant), and stop whatever else could
 * touch the log first. Afterwards the loop holds nothing of the log: uv_loop_close can
 * follow directly. While no sync is pending the handle is unreferenced, so the log
 * never keeps uv_run(UV_RUN_DEFAULT) from returning. */
void rn_log_close(rn_log *log);

/* Lists the "<topic>-<partition>" directory names present under data_dir/topics (for
 * start-up reconciliation). Calls cb for each; stops early if cb returns non-zero. */
int rn_log_list_dirs(rn_log *log, int (*cb)(void *arg, const char *dirname), void *arg,
                     rn_err *err);

/* Opens (creating if missing) partition `index` of `topic`, recovering it: the tail of the
 * active segment is checked batch by batch (length, magic, CRC32C) and truncated to the
 * last whole batch; indexes missing or stale are rebuilt. The partition is owned by the
 * log and stays valid until rn_partition_close, rn_partition_remove or rn_log_close.
 * cfg may be NULL for the defaults. topic must be a legal Kafka topic name
 * ([a-zA-Z0-9._-]{1,249}, not "." or "..") else RN_EINVAL; RN_ECONFLICT if it is
 * already open in this log. A new partition's directory is fsync'd before returning. */
int rn_partition_open(rn_log *log, const char *topic, int32_t index, const rn_log_config *cfg,
                      rn_partition **out, rn_err *err);

/* Syncs and closes a partition; waiting sync callbacks are still called (from inside
 * this call, with their status). Blocks the loop thread until the flusher has finished
 * its queued work (one or two fsync passes): meant for shutdown and topic deletion, not
 * the request path. NULL is a no-op. */
void rn_partition_close(rn_partition *p);

/* Looks up an open partition; NULL if it is not open. */
rn_partition *rn_log_find(rn_log *log, const char *topic, int32_t index);

/* Closes the partition if open and deletes its directory and files (renamed to
 * "<dir>.deleted" first, so a crash part-way is finished by the next rn_log_open).
 * RN_OK also when the directory did not exist. */
int rn_partition_remove(rn_log *log, const char *topic, int32_t index, rn_err *err);

/* Replaces the partition's config (alter configs); takes effect on the next append or
 * retention pass. An invalid config (segment_bytes <= 0, index_interval_bytes < 0) is
 * ignored. segment_ms <= 0 disables time-based rolls; retention_ms/retention_bytes < 0
 * mean unlimited. */
void rn_partition_set_config(rn_partition *p, const rn_log_config *cfg);

/* Appends one RecordBatch v2 (already validated by the caller: magic 2, CRC, lengths).
 * Patches baseOffset to the log end offset and partitionLeaderEpoch to 0 in place (batch
 * is modified), writes it to the active segment (rolling first if the segment would
 * exceed segment.bytes or is older than segment.ms), updates the indexes and advances the
 * log end offset by lastOffsetDelta + 1. max_timestamp is the batch's max timestamp (for
 * the time index). On success *base_offset is the assigned offset. The write reaches the
 * OS page cache, not stable storage: call rn_log_sync for that.
 * Fails with RN_EIO/RN_ENOSPC (nothing is appended: a partial write is truncated away) or
 * RN_EIO if the partition has failed before (a failed fsync poisons it until restart). */
/* max_timestamp must equal the batch's maxTimestamp field (bytes 35-42, after any
 * LogAppendTime rewrite): recovery rebuilds the time index from that field. Only cheap
 * sanity checks are made here (length field, magic, lastOffsetDelta >= 0: RN_EINVAL);
 * max.message.bytes is the caller's to enforce. */
int rn_partition_append(rn_partition *p, uint8_t *batch, size_t len, int64_t max_timestamp,
                        int64_t *base_offset, rn_err *err);

int64_t rn_partition_log_start(const rn_partition *p);  /* first readable offset */
int64_t rn_partition_log_end(const rn_partition *p);    /* next offset to assign */
int64_t rn_partition_size_bytes(const rn_partition *p); /* sum of segment sizes */
int32_t rn_partition_segment_count(const rn_partition *p);
/* Non-zero once a sync or a write clean-up failed: appends and syncs then fail with
 * RN_EIO until the partition is closed and reopened (recovery re-checks the tail). */
int rn_partition_failed(const rn_partition *p);

/* Reads whole batches starting with the one containing `offset`, appending their bytes to
 * out, until adding the next batch would exceed max_bytes (the first batch is always
 * returned whole, even if larger: KIP-74). Continues into the next segments while the
 * budget lasts. Reads nothing (RN_OK) when offset equals the log end. Returns RN_ERANGE
 * when offset < log start or > log end; RN_ENOMEM if out cannot grow (out->oom is set).
 * The first batch may begin below `offset` (and below the log start after DeleteRecords
 * into the middle of a batch): consumers skip those records, as with Kafka. */
int rn_partition_read(rn_partition *p, int64_t offset, size_t max_bytes, rn_buf *out, rn_err *err);

/* Finds the first offset whose batch max timestamp >= ts (Kafka ListOffsets semantics at
 * batch granularity, then refined per record by the caller if needed). Sets *offset to the
 * base offset of that batch (or the log start, if the batch begins below it) and
 * *found_ts to its max timestamp, or *offset = -1 and *found_ts = -1 if none. */
int rn_partition_offset_for_time(rn_partition *p, int64_t ts, int64_t *offset, int64_t *found_ts,
                                 rn_err *err);

/* Advances the log start offset to `offset` (DeleteRecords): must be <= log end, else
 * RN_ERANGE; an offset <= the current start is a no-op. Persists the new start offset
 * durably (write, fdatasync, rename, directory fsync: on the loop thread, as this is an
 * admin operation), then deletes segments wholly below it. */
int rn_partition_delete_before(rn_partition *p, int64_t offset, rn_err *err);

/* Applies retention.ms and retention.bytes: deletes whole non-active segments that are
 * too old (by their max timestamp) or exceed the byte budget, oldest first, and advances
 * the log start offset. Also rolls an active segment older than segment.ms when it is
 * non-empty. Returns the number of segments deleted (>= 0) or an error. */
int rn_partition_apply_retention(rn_partition *p, int64_t now_ms, rn_err *err);

/* Group commit. Asks the flusher to make everything appended to p so far durable
 * (fdatasync of the segments written since the last sync, and of directories after a
 * roll). cb(arg, status) runs on the loop thread once that is done: status RN_OK, or
 * RN_EIO if a sync failed (then nothing since the last good sync may be reported durable,
 * and the partition is poisoned: later appends fail). Requests from many partitions and
 * connections arriving while a sync runs are served by the next single pass. */
/* Returns RN_OK if the request was queued: cb then runs exactly once, later, never from
 * inside rn_log_sync. Returns an error and never calls cb (the libuv rule) when the
 * partition is already poisoned (RN_EIO), closing (RN_EINVAL) or on RN_ENOMEM.
 * While requests are pending the log keeps the loop alive (its async handle is
 * referenced), so uv_run(loop, UV_RUN_DEFAULT) returns only after every callback ran. */
typedef void (*rn_sync_cb)(void *arg, int status);
int rn_log_sync(rn_log *log, rn_partition *p, rn_sync_cb cb, void *arg);

/* The base offset of the oldest segment among the newest ones whose sizes add up to at
 * most max_bytes (always at least the active segment), but not below the log start: where
 * a scan of "the recent tail" should begin (e.g. rebuilding producer state). */
int64_t rn_partition_tail_offset(const rn_partition *p, int64_t max_bytes);

/* Counters for observability and tests. */
typedef struct rn_log_stats {
    uint64_t syncs;                 /* fdatasync passes completed */
    uint64_t sync_waiters;          /* callbacks served by those passes */
    uint64_t appends;               /* batches appended */
    uint64_t recovered_truncations; /* torn tails truncated at open */
} rn_log_stats;
void rn_log_get_stats(const rn_log *log, rn_log_stats *out);

#endif
