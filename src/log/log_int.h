/*
 * log/log_int.h - private structures and on-disk formats of the storage log, shared by
 * the files of src/log/ only (the sqlite btree.h/btreeInt.h split). Other modules use
 * log/log.h.
 *
 * Files of the module:
 *   log.c        rn_log: open/close, partition registry, directory listing, stats
 *   partition.c  a partition: open + recovery, append, read, offset_for_time,
 *                retention, delete_before, close/remove
 *   segment.c    one segment file: path names, full pread/pwrite, the batch scanner,
 *                recovery scan, locating and reading batches
 *   index.c      the in-memory offset/time indexes and their files
 *   flush.c      group-commit fsync: fd references, the flusher thread, completions
 *   tail.c       rn_partition_tail_offset
 *   fileops.c    rn_fileops_posix
 *
 * Threads: everything runs on the loop thread except flusher_main() (flush.c), which
 * touches only the rn_fdref fields marked "mu" below, the request queues and stats in
 * rn_log marked "mu", and rn_partition.poisoned (an atomic).
 */
#ifndef RN_LOG_LOG_INT_H
#define RN_LOG_LOG_INT_H

#include "common/err.h"
#include "log/log.h"

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

/* ==================================================================================
 * SEGMENT FILE FORMAT  (<base offset, 20 digits>.log)
 *
 * A sequence of Kafka RecordBatch v2 batches, stored as received except bytes 0-7
 * (baseOffset, set to the log end offset at append) and 12-15 (partitionLeaderEpoch,
 * set to 0). All integers big-endian. The fields the log reads:
 *
 *   OFFSET  SIZE  FIELD
 *        0     8  baseOffset           first offset of the batch
 *        8     4  batchLength          bytes after this field (total size - 12)
 *       12     4  partitionLeaderEpoch 0
 *       16     1  magic                2
 *       17     4  crc                  CRC-32C of bytes [21, total size)
 *       23     4  lastOffsetDelta      last offset = baseOffset + lastOffsetDelta
 *       35     8  maxTimestamp         largest record timestamp of the batch
 *       61     .  records              (never parsed here)
 *
 * Invariants: batch i+1 starts where batch i ends; its baseOffset is batch i's
 * baseOffset + lastOffsetDelta + 1; the first batch's baseOffset is the file's base
 * offset (>= it after recovery of foreign files). A segment is < 4 GiB so positions fit
 * in uint32, and relative offsets (offset - base) fit in uint32.
 * ================================================================================== */
#define RN_BATCH_HDR_LEN      61 /* RECORD_BATCH_OVERHEAD */
#define RN_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define RN_BATCH_OFF_LENGTH   8
#define RN_BATCH_OFF_EPOCH    12
#define RN_BATCH_OFF_MAGIC    16
#define RN_BATCH_OFF_CRC      17
#define RN_BATCH_OFF_ATTR     21 /* the CRC covers [21, end) */
#define RN_BATCH_OFF_LOD      23
#define RN_BATCH_OFF_MAXTS    35

/* ==================================================================================
 * OFFSET INDEX FILE FORMAT  (<base>.index)
 *
 * Written whole when a segment stops being active (roll), at partition close, and
 * after recovery rebuilt it; never appended to. It doubles as the segment's summary, so
 * closed segments open without reading their .log. A file is trusted only if the magic,
 * version and CRC match, its base offset equals the file name's, "log size" equals the
 * .log file's size, and the batch at "last batch position" ends exactly at that size,
 * passes its CRC and ends at "next offset". Anything else is stale: the segment is
 * scanned again and the file rewritten.
 *
 *   OFFSET  SIZE  FIELD
 *        0     4  magic "RNOX"
 *        4     2  version (1)
 *        6     2  header size (64)
 *        8     8  base offset (= the file name)
 *       16     8  next offset (last offset of the segment + 1)
 *       24     4  log size covered: bytes of the .log described
 *       28     4  last batch position (0xffffffff when the segment is empty)
 *       32     8  max timestamp of the segment (-1 if none)
 *       40     8  offset of the first batch that reached the max timestamp
 *       48     8  created time, ms since the epoch (-1 if unknown); drives segment.ms
 *       56     4  entry count n
 *       60     4  CRC-32C of bytes [0, 60) followed by the n entries
 *       64   8*n  entries, ascending:
 *                   +0  4  relative offset (batch baseOffset - base offset)
 *                   +4  4  file position of that batch
 *
 * Cadence: an entry is added for a batch when at least index.interval.bytes of batches
 * were written since the previous entry (or since the start of the segment), so the
 * first batch (position 0) never needs one.
 * ================================================================================== */
#define RN_OIDX_MAGIC    0x524e4f58u /* "RNOX" */
#define RN_OIDX_VERSION  1
#define RN_OIDX_HDR_LEN  64
#define RN_OIDX_ENTRY    8
#define RN_NO_LAST_BATCH 0xffffffffu

/* ==================================================================================
 * TIME INDEX FILE FORMAT  (<base>.timeindex)
 *
 * Written together with the .index and trusted under the same rules.
 *
 *   OFFSET  SIZE  FIELD
 *        0     4  magic "RNTX"
 *        4     2  version (1)
 *        6     2  header size (32)
 *        8     8  base offset (= the file name)
 *       16     4  log size covered (must equal the .index's)
 *       20     4  entry count n
 *       24     4  CRC-32C of bytes [0, 24) followed by the n entries
 *       28     4  reserved, 0
 *       32  12*n  entries, timestamps strictly ascending:
 *                   +0  8  T: the segment's max timestamp so far
 *                   +8  4  relative offset of the first batch whose max timestamp is T
 *
 * Cadence: when an offset index entry is added and the max timestamp grew since the
 * last time entry. Invariant used by lookups: every batch before entry (T, O) has max
 * timestamp < T. So the first batch with max timestamp >= ts is at or after the O of
 * the last entry with T < ts.
 * ================================================================================== */
#define RN_TIDX_MAGIC   0x524e5458u /* "RNTX" */
#define RN_TIDX_VERSION 1
#define RN_TIDX_HDR_LEN 32
#define RN_TIDX_ENTRY   12

/* ==================================================================================
 * LOG START OFFSET FILE  (log-start-offset)
 *
 * The decimal log start offset and a newline, e.g. "1042\n". Written by
 * rn_partition_delete_before as log-start-offset.tmp, fdatasync'd, renamed over the
 * old file, then the directory is fsync'd, so it is either the old or the new value.
 * At open the log start is max(this value, the first segment's base offset).
 * ================================================================================== */
#define RN_LSO_FILE     "log-start-offset"
#define RN_LSO_TMP_FILE "log-start-offset.tmp"

/* A partition directory removed by rn_partition_remove is first renamed to
 * "<name>" RN_DELETED_SUFFIX, then emptied; leftovers are removed at rn_log_open. */
#define RN_DELETED_SUFFIX ".deleted"

/* ------------------------------------------------------------------ fd references */

/* An open file descriptor shared between its segment (or partition directory) on the
 * loop thread and the flusher thread. The fd is closed when the last reference goes:
 * the owner holds one, and each flusher pass that will fsync it holds one. So a segment
 * deleted by retention while its fd is queued or being fsync'd keeps the fd open until
 * the pass ends, and a closed fd number (possibly reused by another open()) is never
 * fsync'd. */
typedef struct rn_fdref {
    int fd;                     /* immutable */
    int is_dir;                 /* immutable: fsync (directory), not fdatasync */
    rn_partition *owner;        /* immutable: poisoned if a sync of fd fails; outlives
                                   every pass holding this ref (partitions drain first) */
    char *path;                 /* immutable, from malloc(): for messages */
    int refs;                   /* mu */
    int queued;                 /* mu: on rn_log.pend_fds */
    struct rn_fdref *next_pend; /* mu: rn_log.pend_fds list */
    struct rn_fdref *next_pass; /* flusher thread only: the running pass's list */
} rn_fdref;

/* A waiting rn_log_sync caller. Nodes are recycled through rn_log.free_reqs, so a
 * steady state allocates nothing. */
typedef struct rn_sync_req {
    struct rn_sync_req *next;
    rn_partition *p;
    rn_sync_cb cb;
    void *arg;
    int status;
} rn_sync_req;

/* ------------------------------------------------------------------ segments */

typedef struct rn_oidx_entry {
    uint32_t rel; /* batch baseOffset - segment base */
    uint32_t pos; /* file position of the batch */
} rn_oidx_entry;

typedef struct rn_tidx_entry {
    int64_t ts;   /* max timestamp so far */
    uint32_t rel; /* first batch with that max timestamp */
} rn_tidx_entry;

/* One segment. Loop thread only (the flusher sees only f). */
typedef struct rn_segment {
    int64_t base;          /* base offset = file name */
    int64_t next;          /* next offset after the segment's last batch (= base if empty) */
    uint32_t size;         /* bytes of whole batches in the .log */
    uint32_t last_pos;     /* position of the last batch, RN_NO_LAST_BATCH if empty */
    int64_t max_ts;        /* largest batch max timestamp, -1 if none */
    int64_t max_ts_offset; /* base offset of the first batch that reached max_ts */
    int64_t created_ms;    /* first append (wall clock), or mtime at recovery; -1 if
                              empty: drives segment.ms */
    uint32_t since_index;  /* bytes appended since the last offset index entry */
    int dirty;             /* written since last handed to the flusher */
    int index_saved;       /* the .index/.timeindex files describe exactly this state */
    rn_fdref *f;           /* the .log, O_RDWR; one reference owned here */
    rn_oidx_entry *oidx;   /* from malloc(), ascending rel */
    uint32_t noidx, cap_oidx;
    rn_tidx_entry *tidx; /* from malloc(), ascending ts and rel */
    uint32_t ntidx, cap_tidx;
} rn_segment;

/* ------------------------------------------------------------------ partition, log */

struct rn_partition {
    rn_log *log;
    rn_partition *next_open; /* rn_log.parts list */
    char *name;              /* "<topic>-<index>", from malloc() */
    char *dir;               /* data_dir/topics/<name>, from malloc() */
    int32_t index;
    rn_log_config cfg;
    rn_segment **segs; /* from malloc(); ascending base; the last is active; n >= 1 */
    int32_t nsegs, cap_segs;
    int64_t log_start;   /* first readable offset, >= segs[0]->base */
    int64_t size_bytes;  /* sum of segment sizes */
    rn_fdref *dirf;      /* the directory, for fsync after creating/removing files */
    int dir_dirty;       /* directory entries changed since last handed to the flusher */
    int closing;         /* rn_partition_close has begun: no more appends or syncs */
    atomic_int poisoned; /* a write-back or fsync failed: nothing more is durable */
};

/* A reusable read window over one file (see segment.c). */
typedef struct rn_win {
    const rn_fileops *ops;
    int fd;
    const char *dir; /* for messages: dir/<base>.log */
    int64_t base;
    uint8_t *buf; /* borrowed from rn_log.scan_buf */
    size_t cap;
    size_t chunk; /* bytes to read on a refill (<= cap) */
    uint64_t off; /* buf holds the file's bytes [off, off + len) */
    size_t len;
    uint64_t limit; /* never read at or past this file position */
} rn_win;

#define RN_SCAN_BUF_LEN (256 * 1024)

struct rn_log {
    char *data_dir;   /* from malloc() */
    char *topics_dir; /* from malloc() */
    uv_loop_t *loop;
    const rn_fileops *ops;
    rn_partition *parts; /* open partitions */
    uint8_t *scan_buf;   /* RN_SCAN_BUF_LEN bytes from malloc(): loop-thread scratch */

    /* loop thread */
    uv_async_t async;     /* flusher -> loop: completions are ready */
    int async_inited;     /* uv_async_init succeeded */
    int async_closing;    /* uv_close called */
    int async_closed;     /* the async handle's close callback ran */
    uint64_t outstanding; /* sync requests queued and not yet called back */
    uint64_t appends;
    uint64_t recovered_truncations;

    /* the flusher thread and what it shares with the loop thread */
    uv_thread_t thread;
    int thread_started;
    uv_mutex_t mu;
    uv_cond_t work_cv;             /* flusher waits: work queued or stop */
    uv_cond_t idle_cv;             /* loop waits in drain: a pass ended */
    rn_sync_req *pend_head;        /* mu: requests for the next pass, FIFO */
    rn_sync_req *pend_tail;        /* mu */
    rn_fdref *pend_fds;            /* mu: fds for the next pass (each once) */
    rn_sync_req *done_head;        /* mu: completed, waiting for the loop, FIFO */
    rn_sync_req *done_tail;        /* mu */
    rn_sync_req *free_reqs;        /* mu: recycled request nodes */
    int in_pass;                   /* mu */
    int stop;                      /* mu */
    _Atomic uint64_t syncs;        /* flusher writes, anyone reads */
    _Atomic uint64_t sync_waiters; /* flusher writes, anyone reads */
};

/* ------------------------------------------------------------------ segment.c */

/* Writes "dir/<base as 20 digits><ext>" into buf (PATH_MAX). */
void rn_log_seg_path(char *buf, size_t len, const char *dir, int64_t base, const char *ext);

/* pread/pwrite exactly len bytes, retrying short transfers and EINTR. pread returns
 * RN_ECORRUPT at end of file, RN_EIO on errors; pwrite returns RN_EIO/RN_ENOSPC. The
 * message names path and position. */
int rn_log_pread_full(const rn_fileops *ops, int fd, void *buf, size_t len, uint64_t off,
                      const char *path, rn_err *err);
int rn_log_pwrite_full(const rn_fileops *ops, int fd, const void *buf, size_t len, uint64_t off,
                       const char *path, rn_err *err);

/* A window over segment s of partition p, bounded by s->size. */
void rn_log_win_init(rn_win *w, rn_partition *p, rn_segment *s, size_t chunk);
/* Points *out at the file's bytes [pos, pos + n) (n <= cap), reading if needed. Fails
 * with RN_ECORRUPT if they lie past the limit, RN_EIO on read errors. */
int rn_log_win_get(rn_win *w, uint64_t pos, size_t n, const uint8_t **out, rn_err *err);

/* What the log needs from a batch header. */
typedef struct rn_batch_info {
    int64_t base;
    uint32_t len; /* total bytes */
    int32_t lod;  /* lastOffsetDelta */
    int64_t max_ts;
} rn_batch_info;

/* Reads the header of the batch at pos of s (within s->size) through w and checks its
 * length and magic; RN_ECORRUPT if they are wrong. */
int rn_log_seg_batch_at(rn_win *w, rn_segment *s, uint32_t pos, rn_batch_info *bi, rn_err *err);

/* Allocates an empty segment struct for base with a new fdref owning fd. On failure
 * closes fd. */
int rn_log_seg_new(rn_partition *p, int64_t base, int fd, const char *path, rn_segment **out,
                   rn_err *err);
/* Drops the segment's fd reference and frees it; files are not touched. */
void rn_log_seg_free(rn_log *log, rn_segment *s);
/* Unlinks the segment's three files (missing ones are fine). */
void rn_log_seg_unlink_files(rn_partition *p, int64_t base);

/* Records a batch appended or found at pos: offsets, size, timestamps, index entries.
 * The single place that advances a segment, so recovery rebuilds the same indexes that
 * appends built. */
void rn_log_seg_note_batch(rn_segment *s, uint32_t pos, const rn_batch_info *bi,
                           int32_t index_interval);

/* Scans s's file from position 0, checking every batch (length, magic, CRC-32C,
 * contiguous offsets), and rebuilds s's state and indexes. Sets *bad_pos to the first
 * bad byte position and *reason to why, or *bad_pos = file_size if all is well. Fails
 * only on I/O errors. */
int rn_log_seg_recover_scan(rn_partition *p, rn_segment *s, uint64_t file_size, uint64_t *bad_pos,
                            const char **reason, rn_err *err);

/* Checks that the segment summary loaded from its index matches the .log: the last
 * batch sits at last_pos, ends at size, has a good CRC and ends at next. */
int rn_log_seg_verify_tail(rn_partition *p, rn_segment *s, int *ok, rn_err *err);

/* Finds the first batch of s whose last offset >= offset, starting from the offset
 * index. *pos = its position and *len (if not NULL) its length, or s->size and 0 if
 * there is none. */
int rn_log_seg_locate(rn_partition *p, rn_segment *s, int64_t offset, uint32_t *pos, uint32_t *len,
                      rn_err *err);

/* ------------------------------------------------------------------ index.c */

/* Append entries, growing the arrays; an allocation failure only skips the entry
 * (sparse indexes stay correct, lookups scan further). */
void rn_log_index_add_offset(rn_segment *s, uint32_t rel, uint32_t pos);
void rn_log_index_add_time(rn_segment *s, int64_t ts, uint32_t rel);
/* The position of the last offset entry with rel <= target_rel, or 0. */
uint32_t rn_log_index_offset_floor(const rn_segment *s, uint32_t target_rel);
/* The rel of the last time entry with T < ts, or 0. */
uint32_t rn_log_index_time_floor(const rn_segment *s, int64_t ts);
/* Drops all entries (keeps the arrays). */
void rn_log_index_reset(rn_segment *s);

/* Writes s's .index and .timeindex; on failure unlinks them (a stale index must not
 * survive) and returns the error. Sets s->index_saved on success. */
int rn_log_index_save(rn_partition *p, rn_segment *s, rn_err *err);

/* Loads s's index files into s (summary fields and entries) if they are well formed and
 * describe exactly log_size bytes; *ok says whether they did. *created_ms receives the
 * .index header's created time if the header alone is intact and its base matches (-1
 * otherwise), even when the files are stale. Fails only on I/O errors. */
int rn_log_index_load(rn_partition *p, rn_segment *s, uint64_t log_size, int *ok,
                      int64_t *created_ms, rn_err *err);

/* ------------------------------------------------------------------ flush.c */

/* Creates an fdref holding one (owner) reference. Takes ownership of path. NULL on
 * ENOMEM (fd is not closed then). */
rn_fdref *rn_log_fdref_new(int fd, int is_dir, rn_partition *owner, char *path);
/* Drops one reference; the last one closes the fd and frees f. NULL is a no-op. */
void rn_log_fdref_release(rn_log *log, rn_fdref *f);

/* Hands p's dirty segment (seg, may be NULL for "the active one") and, if dirty, its
 * directory to the next flusher pass without a waiter, and wakes the flusher. Used at
 * roll and after recovery so closed segments become durable without anyone asking. */
void rn_log_flush_background(rn_partition *p, rn_segment *seg);

/* Waits until the flusher has nothing queued or running, then runs every completed
 * callback. Loop thread. */
void rn_log_flush_drain(rn_log *log);

/* Starts/stops the flusher thread and the async handle. stop joins the thread after the
 * queue is empty and runs the remaining callbacks; the async handle is closed by
 * rn_log_close. */
int rn_log_flush_start(rn_log *log, rn_err *err);
void rn_log_flush_stop(rn_log *log);

/* ------------------------------------------------------------------ partition.c */

/* Closes p: unlinks it from the log's list, hands its dirty files to the flusher, drains
 * (callbacks run), saves index files unless save_indexes is 0 (removal), frees it. */
void rn_log_partition_free(rn_partition *p, int save_indexes);

/* Unlinks every file in dir, then removes dir. A missing dir is fine. */
int rn_log_remove_tree(rn_log *log, const char *dir, rn_err *err);

#endif
