/*
 * log/partition.c - one partition: a directory of segments (log_int.h has the formats),
 * opened with recovery, appended to, read, searched by time, trimmed by retention and
 * DeleteRecords, closed and removed.
 *
 * Layer: the public rn_partition_* API of log.h; calls segment.c, index.c, flush.c,
 *   common/ and the fileops table.
 * Invariants:
 *   - segs[] ascend by base and are contiguous: segs[i+1]->base == segs[i]->next (a gap
 *     left by hand-edited files is tolerated by reads); the last segment is active.
 *   - log start <= log end; segs[0]->base <= log start; a segment is deleted only when
 *     the next one's base <= log start, so the active segment is never deleted.
 *   - Only the active segment is appended to, at its size, which counts whole batches.
 *     A failed append truncates the file back to that size.
 *   - At most the active segment is "dirty" (written since handed to the flusher): a
 *     roll hands the old one to the flusher at once.
 * Threads: loop thread only.
 */
#include "log/log_int.h"

#include "common/buf.h"
#include "common/diag.h"
#include "common/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ helpers */

static rn_segment *active_seg(const rn_partition *p)
{
    return p->segs[p->nsegs - 1];
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Kafka's legal topic names: [a-zA-Z0-9._-]{1,249}, not "." or "..". Anything else
 * could escape the data directory. */
static int topic_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > 249 || !strcmp(t, ".") || !strcmp(t, "..")) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int cfg_ok(const rn_log_config *cfg)
{
    return cfg->segment_bytes > 0 && cfg->index_interval_bytes >= 0;
}

static int io_code(int e)
{
    return (e == ENOSPC || e == EDQUOT) ? RN_ENOSPC : RN_EIO;
}

static int64_t mtime_ms(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

/* The last segment whose base <= offset (or the first). */
static int32_t find_seg(const rn_partition *p, int64_t offset)
{
    int32_t lo = 0, hi = p->nsegs;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (p->segs[mid]->base <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

static int segs_reserve(rn_partition *p, int32_t n, rn_err *err)
{
    if (p->nsegs + n <= p->cap_segs) return RN_OK;
    int32_t cap = p->cap_segs ? p->cap_segs * 2 : 8;
    while (cap < p->nsegs + n)
        cap *= 2;
    rn_segment **segs = realloc(p->segs, (size_t)cap * sizeof *segs);
    if (!segs) return rn_err_set(err, RN_ENOMEM, "%s: no memory for the segment list", p->dir);
    p->segs = segs;
    p->cap_segs = cap;
    return RN_OK;
}

/* Creates an empty segment file at base and appends it to segs (the new active one). */
static int create_segment(rn_partition *p, int64_t base, rn_err *err)
{
    int rc = segs_reserve(p, 1, err);
    if (rc) return rc;
    char path[PATH_MAX];
    rn_log_seg_path(path, sizeof path, p->dir, base, ".log");
    int fd = p->log->ops->open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return rn_err_set(err, io_code(errno), "%s: create: %s", path, strerror(errno));
    rn_segment *s;
    if ((rc = rn_log_seg_new(p, base, fd, path, &s, err))) {
        p->log->ops->unlink(path);
        return rc;
    }
    p->segs[p->nsegs++] = s;
    p->dir_dirty = 1; /* the new name is durable only after the directory's fsync */
    return RN_OK;
}

/* Deletes segment i (never the active one) and its files. */
static void drop_segment(rn_partition *p, int32_t i)
{
    rn_segment *s = p->segs[i];
    p->size_bytes -= s->size;
    rn_log_seg_unlink_files(p, s->base);
    rn_log_seg_free(p->log, s); /* the fd stays open while a flusher pass holds it */
    memmove(p->segs + i, p->segs + i + 1, (size_t)(p->nsegs - i - 1) * sizeof *p->segs);
    p->nsegs--;
}

/* Deletes leading segments that lie wholly below the log start. */
static int drop_below_start(rn_partition *p)
{
    int n = 0;
    while (p->nsegs > 1 && p->segs[1]->base <= p->log_start) {
        drop_segment(p, 0);
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ log start file */

static int read_lso(rn_partition *p, int64_t *out, rn_err *err)
{
    const rn_fileops *ops = p->log->ops;
    char path[PATH_MAX], buf[32];
    snprintf(path, sizeof path, "%s/%s", p->dir, RN_LSO_FILE);
    *out = -1;
    int fd = ops->open(path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno == ENOENT) return RN_OK;
        return rn_err_set(err, RN_EIO, "%s: open: %s", path, strerror(errno));
    }
    ssize_t n;
    do
        n = ops->pread(fd, buf, sizeof buf - 1, 0);
    while (n < 0 && errno == EINTR);
    int e = errno;
    ops->close(fd);
    if (n < 0) return rn_err_set(err, RN_EIO, "%s: read: %s", path, strerror(e));
    buf[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || end == buf || *end != '\n' || v < 0) {
        RN_WARN("log: %s: not a log start offset, ignored", path);
        return RN_OK;
    }
    *out = v;
    return RN_OK;
}

/* Writes the log start offset durably and atomically (see "LOG START OFFSET FILE"). This
 * fsyncs on the loop thread: DeleteRecords is an admin operation, and its response
 * promises the new start offset. */
static int write_lso(rn_partition *p, int64_t v, rn_err *err)
{
    const rn_fileops *ops = p->log->ops;
    char tmp[PATH_MAX], path[PATH_MAX], buf[32];
    snprintf(tmp, sizeof tmp, "%s/%s", p->dir, RN_LSO_TMP_FILE);
    snprintf(path, sizeof path, "%s/%s", p->dir, RN_LSO_FILE);
    int len = snprintf(buf, sizeof buf, "%" PRId64 "\n", v);
    int fd = ops->open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return rn_err_set(err, io_code(errno), "%s: create: %s", tmp, strerror(errno));
    int rc = rn_log_pwrite_full(ops, fd, buf, (size_t)len, 0, tmp, err);
    if (rc == RN_OK && ops->fdatasync(fd) != 0)
        rc = rn_err_set(err, RN_EIO, "%s: fdatasync: %s", tmp, strerror(errno));
    if (ops->close(fd) != 0 && rc == RN_OK)
        rc = rn_err_set(err, RN_EIO, "%s: close: %s", tmp, strerror(errno));
    if (rc == RN_OK && ops->rename(tmp, path) != 0)
        rc = rn_err_set(err, RN_EIO, "%s: rename to %s: %s", tmp, RN_LSO_FILE, strerror(errno));
    if (rc) {
        ops->unlink(tmp);
        return rc;
    }
    if (ops->fsync(p->dirf->fd) != 0)
        return rn_err_set(err, RN_EIO, "%s: fsync: %s", p->dir, strerror(errno));
    return RN_OK;
}

/* ------------------------------------------------------------------ recovery */

typedef struct name_list {
    int64_t *logs; /* bases of .log files */
    size_t nlogs, cap_logs;
    int64_t *idx; /* bases of .index/.timeindex files */
    size_t nidx, cap_idx;
} name_list;

static int push_base(int64_t **arr, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        int64_t *a = realloc(*arr, c * sizeof *a);
        if (!a) return -1;
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Parses "<20 digits><ext>"; returns the base or -1. */
static int64_t parse_seg_name(const char *name, const char *ext)
{
    size_t n = strlen(name), el = strlen(ext);
    if (n != 20 + el || strcmp(name + 20, ext) != 0) return -1;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        if (v > (INT64_MAX - (name[i] - '0')) / 10) return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

/* Lists the directory's segment and index files; removes a leftover log start temp. */
static int list_segments(rn_partition *p, name_list *nl, rn_err *err)
{
    DIR *d = opendir(p->dir);
    if (!d) return rn_err_set(err, RN_EIO, "%s: opendir: %s", p->dir, strerror(errno));
    int rc = RN_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        int64_t b;
        if ((b = parse_seg_name(nm, ".log")) >= 0) {
            if (push_base(&nl->logs, &nl->nlogs, &nl->cap_logs, b)) goto nomem;
        } else if ((b = parse_seg_name(nm, ".index")) >= 0 ||
                   (b = parse_seg_name(nm, ".timeindex")) >= 0) {
            if (push_base(&nl->idx, &nl->nidx, &nl->cap_idx, b)) goto nomem;
        } else if (!strcmp(nm, RN_LSO_TMP_FILE)) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", p->dir, nm);
            p->log->ops->unlink(path); /* an interrupted delete_before: the old file holds */
        }
    }
    goto out;
nomem:
    rc = rn_err_set(err, RN_ENOMEM, "%s: no memory for the file list", p->dir);
out:
    closedir(d);
    if (rc == RN_OK && nl->nlogs) qsort(nl->logs, nl->nlogs, sizeof *nl->logs, cmp_i64);
    return rc;
}

/* Opens segment file base (existing) and brings it to a trusted state: for a closed
 * segment, from its index files if they are current, else by a full scan; for the last
 * one, always by a full scan. A torn or corrupt tail is truncated; *truncated says so. */
static int open_segment(rn_partition *p, int64_t base, int is_last, int *truncated, rn_err *err)
{
    const rn_fileops *ops = p->log->ops;
    char path[PATH_MAX];
    rn_log_seg_path(path, sizeof path, p->dir, base, ".log");
    *truncated = 0;
    int rc = segs_reserve(p, 1, err);
    if (rc) return rc;
    int fd = ops->open(path, O_RDWR, 0);
    if (fd < 0) return rn_err_set(err, RN_EIO, "%s: open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = rn_err_set(err, RN_EIO, "%s: fstat: %s", path, strerror(errno));
        ops->close(fd);
        return rc;
    }
    rn_segment *s;
    if ((rc = rn_log_seg_new(p, base, fd, path, &s, err))) return rc;
    p->segs[p->nsegs++] = s; /* owned by p from here on, also on failure */
    uint64_t fsize = (uint64_t)st.st_size;

    int ok = 0;
    int64_t created = -1;
    if ((rc = rn_log_index_load(p, s, fsize, &ok, &created, err))) return rc;
    if (ok && !is_last && (rc = rn_log_seg_verify_tail(p, s, &ok, err))) return rc;
    if (ok && !is_last) return RN_OK;

    /* Scan: the active segment always (it may hold a torn tail after a crash), a
     * closed one whose index is stale (its shutdown was not clean either, so it gets
     * the same CRC check rather than a header-only rebuild). */
    uint64_t bad;
    const char *why;
    if ((rc = rn_log_seg_recover_scan(p, s, fsize, &bad, &why, err))) return rc;
    if (why) {
        RN_WARN("log: %s: truncating at byte %" PRIu64 " of %" PRIu64 ": %s", path, bad, fsize,
                why);
        if (ops->ftruncate(fd, (off_t)bad) != 0)
            return rn_err_set(err, RN_EIO, "%s: truncate to %" PRIu64 ": %s", path, bad,
                              strerror(errno));
        p->log->recovered_truncations++;
        s->dirty = 1; /* the truncation becomes durable with the next fdatasync */
        *truncated = 1;
    }
    s->created_ms = created >= 0 ? created : (s->size ? mtime_ms(fd) : -1);
    if (!is_last && !*truncated) {
        rn_err ierr;
        if (rn_log_index_save(p, s, &ierr)) RN_WARN("log: %s", ierr.msg);
    } else if (ok && !*truncated) {
        s->index_saved = 1; /* a clean close's files: they match what the scan found */
    } else {
        /* Stale files of what is now the active segment: remove them, so appends can
         * never bring the .log back to the size they claim to describe. */
        char ipath[PATH_MAX];
        rn_log_seg_path(ipath, sizeof ipath, p->dir, base, ".index");
        ops->unlink(ipath);
        rn_log_seg_path(ipath, sizeof ipath, p->dir, base, ".timeindex");
        ops->unlink(ipath);
    }
    return RN_OK;
}

static int recover(rn_partition *p, rn_err *err)
{
    name_list nl = {0};
    int64_t lso;
    int rc = list_segments(p, &nl, err);
    if (rc) goto out;
    if ((rc = read_lso(p, &lso, err))) goto out;

    /* Index files without a .log are leftovers of a deletion. */
    for (size_t i = 0; i < nl.nidx; i++) {
        if (!nl.nlogs || !bsearch(&nl.idx[i], nl.logs, nl.nlogs, sizeof *nl.logs, cmp_i64)) {
            char path[PATH_MAX];
            rn_log_seg_path(path, sizeof path, p->dir, nl.idx[i], ".index");
            p->log->ops->unlink(path);
            rn_log_seg_path(path, sizeof path, p->dir, nl.idx[i], ".timeindex");
            p->log->ops->unlink(path);
        }
    }

    for (size_t i = 0; i < nl.nlogs; i++) {
        int64_t base = nl.logs[i];
        if (p->nsegs > 0 && base != active_seg(p)->next) {
            rn_segment *prev = active_seg(p);
            if (base > prev->next) {
                RN_WARN("log: %s: offsets %" PRId64 "..%" PRId64 " are missing between segments",
                        p->dir, prev->next, base - 1);
            } else {
                /* Overlap: this and every later segment conflict with what precedes. */
                for (size_t j = i; j < nl.nlogs; j++) {
                    RN_WARN("log: %s: removing segment %020" PRId64
                            " (overlaps offsets up to %" PRId64 ")",
                            p->dir, nl.logs[j], prev->next - 1);
                    rn_log_seg_unlink_files(p, nl.logs[j]);
                }
                break;
            }
        }
        int truncated;
        if ((rc = open_segment(p, base, i + 1 == nl.nlogs, &truncated, err))) goto out;
        p->size_bytes += active_seg(p)->size;
        if (truncated && i + 1 < nl.nlogs) {
            /* Later segments continue a log that no longer reaches them. */
            for (size_t j = i + 1; j < nl.nlogs; j++) {
                RN_WARN("log: %s: removing segment %020" PRId64 " beyond the truncation point",
                        p->dir, nl.logs[j]);
                rn_log_seg_unlink_files(p, nl.logs[j]);
            }
            break;
        }
    }

    if (p->nsegs == 0 && (rc = create_segment(p, lso > 0 ? lso : 0, err))) goto out;
    p->log_start = lso > p->segs[0]->base ? lso : p->segs[0]->base;
    if (p->log_start > active_seg(p)->next) {
        /* The start offset was made durable but data below it was not (a crash after
         * DeleteRecords): offsets already handed out must not be reused, so start an
         * empty log at the start offset. */
        RN_WARN("log: %s: log start offset %" PRId64 " is past the recovered end %" PRId64
                "; starting an empty log there",
                p->dir, p->log_start, active_seg(p)->next);
        while (p->nsegs > 0) {
            rn_segment *s = p->segs[--p->nsegs];
            rn_log_seg_unlink_files(p, s->base);
            rn_log_seg_free(p->log, s);
        }
        p->size_bytes = 0;
        if ((rc = create_segment(p, p->log_start, err))) goto out;
    }
    drop_below_start(p);
out:
    free(nl.logs);
    free(nl.idx);
    return rc;
}

/* ------------------------------------------------------------------ open / close */

/* Frees p's memory and fds without syncing (for failed opens and after close). */
static void destroy(rn_partition *p)
{
    for (int32_t i = 0; i < p->nsegs; i++)
        rn_log_seg_free(p->log, p->segs[i]);
    free(p->segs);
    rn_log_fdref_release(p->log, p->dirf);
    free(p->name);
    free(p->dir);
    free(p);
}

static rn_partition *find_open(rn_log *log, const char *name)
{
    for (rn_partition *q = log->parts; q; q = q->next_open)
        if (!strcmp(q->name, name)) return q;
    return NULL;
}

rn_partition *rn_log_find(rn_log *log, const char *topic, int32_t index)
{
    char name[300];
    if (!log || !topic_ok(topic) || index < 0) return NULL;
    snprintf(name, sizeof name, "%s-%" PRId32, topic, index);
    return find_open(log, name);
}

static int fsync_path(const rn_fileops *ops, const char *path, rn_err *err)
{
    int fd = ops->open(path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return rn_err_set(err, RN_EIO, "%s: open: %s", path, strerror(errno));
    int rc = RN_OK;
    if (ops->fsync(fd) != 0) rc = rn_err_set(err, RN_EIO, "%s: fsync: %s", path, strerror(errno));
    ops->close(fd);
    return rc;
}

int rn_partition_open(rn_log *log, const char *topic, int32_t index, const rn_log_config *cfg,
                      rn_partition **out, rn_err *err)
{
    if (!log || !out || index < 0 || !topic_ok(topic))
        return rn_err_set(err, RN_EINVAL, "log: bad partition %s-%" PRId32,
                          topic ? topic : "(null)", index);
    rn_log_config defaults;
    if (!cfg) {
        rn_log_config_defaults(&defaults);
        cfg = &defaults;
    }
    if (!cfg_ok(cfg))
        return rn_err_set(err, RN_EINVAL, "log: %s-%" PRId32 ": bad config", topic, index);

    rn_partition *p = calloc(1, sizeof *p);
    if (!p) return rn_err_set(err, RN_ENOMEM, "log: no memory for a partition");
    p->log = log;
    p->index = index;
    p->cfg = *cfg;
    atomic_init(&p->poisoned, 0);
    p->name = dup_printf("%s-%" PRId32, topic, index);
    p->dir = p->name ? dup_printf("%s/%s", log->topics_dir, p->name) : NULL;
    int rc = RN_OK;
    if (!p->dir) {
        rc = rn_err_set(err, RN_ENOMEM, "log: no memory for a partition");
        goto fail;
    }
    if (find_open(log, p->name)) {
        rc = rn_err_set(err, RN_ECONFLICT, "%s: partition already open", p->dir);
        goto fail;
    }

    int created = 0;
    if (mkdir(p->dir, 0755) == 0)
        created = 1;
    else if (errno != EEXIST) {
        rc = rn_err_set(err, io_code(errno), "%s: mkdir: %s", p->dir, strerror(errno));
        goto fail;
    }
    int dfd = log->ops->open(p->dir, O_RDONLY | O_DIRECTORY, 0);
    if (dfd < 0) {
        rc = rn_err_set(err, RN_EIO, "%s: open: %s", p->dir, strerror(errno));
        goto fail;
    }
    char *dpath = strdup(p->dir);
    p->dirf = dpath ? rn_log_fdref_new(dfd, 1, p, dpath) : NULL;
    if (!p->dirf) {
        free(dpath);
        log->ops->close(dfd);
        rc = rn_err_set(err, RN_ENOMEM, "log: no memory for a partition");
        goto fail;
    }

    if ((rc = recover(p, err))) goto fail;

    if (created) {
        /* Creating a partition is rare (CreateTopics, start-up), so its directory entries
         * are made durable here, synchronously, rather than by the flusher. */
        if (log->ops->fsync(p->dirf->fd) != 0) {
            rc = rn_err_set(err, RN_EIO, "%s: fsync: %s", p->dir, strerror(errno));
            goto fail;
        }
        if ((rc = fsync_path(log->ops, log->topics_dir, err))) goto fail;
        p->dir_dirty = 0;
    }

    p->next_open = log->parts;
    log->parts = p;
    /* Truncations and removals of recovery become durable without waiting for a sync. */
    rn_log_flush_background(p, NULL);
    *out = p;
    return RN_OK;

fail:
    destroy(p);
    return rc;
}

void rn_log_partition_free(rn_partition *p, int save_indexes)
{
    rn_log *log = p->log;
    p->closing = 1;
    for (rn_partition **pp = &log->parts; *pp; pp = &(*pp)->next_open) {
        if (*pp == p) {
            *pp = p->next_open;
            break;
        }
    }
    /* Final sync of what was written, through the flusher so a failure poisons the
     * partition like any other; then wait for every pass (callbacks run here). */
    if (!atomic_load(&p->poisoned)) rn_log_flush_background(p, NULL);
    rn_log_flush_drain(log);
    if (!save_indexes) {
        /* about to be deleted */
    } else if (!atomic_load(&p->poisoned)) {
        for (int32_t i = 0; i < p->nsegs; i++) {
            rn_err ierr;
            if (!p->segs[i]->index_saved && rn_log_index_save(p, p->segs[i], &ierr))
                RN_WARN("log: %s (rebuilt at the next open)", ierr.msg);
        }
    } else {
        RN_WARN("log: %s: closed after a failed sync; recovery re-checks it at the next open",
                p->dir);
    }
    destroy(p);
}

void rn_partition_close(rn_partition *p)
{
    if (!p || p->closing) return;
    rn_log_partition_free(p, 1);
}

/* Removes a directory of plain files. */
static int remove_tree(const rn_fileops *ops, const char *dir, rn_err *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return RN_OK;
        return rn_err_set(err, RN_EIO, "%s: opendir: %s", dir, strerror(errno));
    }
    int rc = RN_OK;
    struct dirent *de;
    char path[PATH_MAX];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (ops->unlink(path) != 0 && errno != ENOENT && rc == RN_OK)
            rc = rn_err_set(err, RN_EIO, "%s: unlink: %s", path, strerror(errno));
    }
    closedir(d);
    if (rc == RN_OK && rmdir(dir) != 0 && errno != ENOENT)
        rc = rn_err_set(err, RN_EIO, "%s: rmdir: %s", dir, strerror(errno));
    return rc;
}

int rn_log_remove_tree(rn_log *log, const char *dir, rn_err *err)
{
    return remove_tree(log->ops, dir, err);
}

int rn_partition_remove(rn_log *log, const char *topic, int32_t index, rn_err *err)
{
    if (!log || index < 0 || !topic_ok(topic))
        return rn_err_set(err, RN_EINVAL, "log: bad partition %s-%" PRId32,
                          topic ? topic : "(null)", index);
    rn_partition *p = rn_log_find(log, topic, index);
    if (p) rn_log_partition_free(p, 0);
    char dir[PATH_MAX - 16], gone[PATH_MAX]; /* rn_log_open bounds the data dir's length */
    snprintf(dir, sizeof dir, "%s/%s-%" PRId32, log->topics_dir, topic, index);
    snprintf(gone, sizeof gone, "%s%s", dir, RN_DELETED_SUFFIX);
    /* Rename first, so a crash part-way leaves a name rn_log_list_dirs skips and
     * rn_log_open finishes removing, never a half-empty partition. */
    if (log->ops->rename(dir, gone) != 0) {
        if (errno == ENOENT) return RN_OK;
        return rn_err_set(err, RN_EIO, "%s: rename: %s", dir, strerror(errno));
    }
    rn_err ferr;
    if (fsync_path(log->ops, log->topics_dir, &ferr)) RN_WARN("log: %s", ferr.msg);
    return remove_tree(log->ops, gone, err);
}

void rn_partition_set_config(rn_partition *p, const rn_log_config *cfg)
{
    if (p && cfg && cfg_ok(cfg)) p->cfg = *cfg;
}

/* ------------------------------------------------------------------ accessors */

int64_t rn_partition_log_start(const rn_partition *p)
{
    return p->log_start;
}

int64_t rn_partition_log_end(const rn_partition *p)
{
    return active_seg(p)->next;
}

int64_t rn_partition_size_bytes(const rn_partition *p)
{
    return p->size_bytes;
}

int32_t rn_partition_segment_count(const rn_partition *p)
{
    return p->nsegs;
}

int rn_partition_failed(const rn_partition *p)
{
    return atomic_load(&p->poisoned);
}

/* ------------------------------------------------------------------ append */

/* Starts a new active segment at the log end. The old one's indexes are written out
 * (best effort: a missing index is rebuilt at open) and its dirty data and the
 * directory go to the flusher now, so a later sync only waits for that pass rather than
 * fsyncing on the loop thread. */
static int roll(rn_partition *p, rn_err *err)
{
    rn_segment *old = active_seg(p);
    rn_err ierr;
    if (rn_log_index_save(p, old, &ierr)) RN_WARN("log: %s (rebuilt at the next open)", ierr.msg);
    int rc = create_segment(p, old->next, err);
    if (rc) return rc;
    rn_log_flush_background(p, old);
    return RN_OK;
}

static int roll_due(const rn_partition *p, const rn_segment *s, size_t len, int32_t lod,
                    int64_t now)
{
    if (s->size == 0)
        return 0; /* a batch larger than segment.bytes still gets a segment of its own */
    uint64_t limit = (uint64_t)p->cfg.segment_bytes;
    if (limit > UINT32_MAX) limit = UINT32_MAX; /* positions are 32-bit */
    if ((uint64_t)s->size + len > limit) return 1;
    if (p->cfg.segment_ms > 0 && s->created_ms >= 0 && now - s->created_ms > p->cfg.segment_ms)
        return 1;
    return (uint64_t)(s->next - s->base) + (uint64_t)lod > UINT32_MAX;
}

int rn_partition_append(rn_partition *p, uint8_t *batch, size_t len, int64_t max_timestamp,
                        int64_t *base_offset, rn_err *err)
{
    if (!p || !batch || p->closing)
        return rn_err_set(err, RN_EINVAL, "log: append to a closed partition");
    if (atomic_load(&p->poisoned))
        return rn_err_set(err, RN_EIO,
                          "%s: an earlier sync or write failed; no writes "
                          "until the partition is reopened",
                          p->dir);
    if (len < RN_BATCH_HDR_LEN || len > INT32_MAX ||
        rn_be32_load(batch + RN_BATCH_OFF_LENGTH) + (uint64_t)RN_BATCH_LOG_OVERHEAD != len ||
        batch[RN_BATCH_OFF_MAGIC] != 2 || (int32_t)rn_be32_load(batch + RN_BATCH_OFF_LOD) < 0)
        return rn_err_set(err, RN_EINVAL, "%s: append: not a RecordBatch v2 of %zu bytes", p->dir,
                          len);
    int32_t lod = (int32_t)rn_be32_load(batch + RN_BATCH_OFF_LOD);

    rn_segment *s = active_seg(p);
    int64_t now = rn_now_ms();
    if (roll_due(p, s, len, lod, now)) {
        int rc = roll(p, err);
        if (rc) return rc;
        s = active_seg(p);
    }

    rn_batch_info bi = {.base = s->next, .len = (uint32_t)len, .lod = lod, .max_ts = max_timestamp};
    rn_be64_store(batch, (uint64_t)bi.base);
    rn_be32_store(batch + RN_BATCH_OFF_EPOCH, 0);
    uint32_t pos = s->size;
    int rc = rn_log_pwrite_full(p->log->ops, s->f->fd, batch, len, pos, s->f->path, err);
    if (rc) {
        /* Take back whatever part of the batch reached the file, so the segment ends with
         * whole batches. If even that fails the file's state is unknown: poison. */
        if (p->log->ops->ftruncate(s->f->fd, (off_t)pos) != 0) {
            atomic_store(&p->poisoned, 1);
            RN_ERROR("log: %s: truncate back to %" PRIu32 " after a failed write: %s; "
                     "partition %s refuses writes until reopened",
                     s->f->path, pos, strerror(errno), p->name);
        }
        return rc;
    }
    if (s->size == 0) s->created_ms = now;
    rn_log_seg_note_batch(s, pos, &bi, p->cfg.index_interval_bytes);
    s->dirty = 1;
    p->size_bytes += (int64_t)len;
    p->log->appends++;
    if (base_offset) *base_offset = bi.base;
    return RN_OK;
}

/* ------------------------------------------------------------------ read */

/* Reads whole batches of s from pos into out, at most *budget bytes unless *first (then
 * the first batch, of first_len bytes, whole whatever its size). Sets *at_end when the
 * read reached the end of the segment. */
static int read_from(rn_partition *p, rn_segment *s, uint32_t pos, uint32_t first_len,
                     size_t *budget, int *first, rn_buf *out, int *at_end, rn_err *err)
{
    *at_end = 0;
    size_t want = *budget;
    if (*first && want < first_len)
        want = first_len; /* KIP-74: the first batch always, so consumers progress */
    if (want > s->size - pos) want = s->size - pos;
    if (want < RN_BATCH_HDR_LEN) return RN_OK;
    size_t start = out->len;
    uint8_t *dst = rn_buf_extend(out, want);
    if (!dst)
        return rn_err_set(err, RN_ENOMEM, "%s: no memory for a %zu-byte read", s->f->path, want);
    int rc = rn_log_pread_full(p->log->ops, s->f->fd, dst, want, pos, s->f->path, err);
    if (rc) {
        out->len = start;
        return rc;
    }
    /* Keep whole batches only. */
    size_t q = 0;
    while (want - q >= RN_BATCH_LOG_OVERHEAD) {
        uint32_t blen = rn_be32_load(dst + q + RN_BATCH_OFF_LENGTH);
        if (blen < RN_BATCH_HDR_LEN - RN_BATCH_LOG_OVERHEAD || blen > INT32_MAX) {
            out->len = start;
            return rn_err_set(err, RN_ECORRUPT, "%s: bad batch length at byte %zu", s->f->path,
                              pos + q);
        }
        if ((size_t)blen + RN_BATCH_LOG_OVERHEAD > want - q) break;
        q += (size_t)blen + RN_BATCH_LOG_OVERHEAD;
    }
    out->len = start + q;
    if (q) {
        *first = 0;
        *budget = *budget > q ? *budget - q : 0;
    }
    *at_end = pos + q == s->size;
    return RN_OK;
}

int rn_partition_read(rn_partition *p, int64_t offset, size_t max_bytes, rn_buf *out, rn_err *err)
{
    if (!p || !out || p->closing)
        return rn_err_set(err, RN_EINVAL, "log: read from a closed partition");
    int64_t end = rn_partition_log_end(p);
    if (offset < p->log_start || offset > end)
        return rn_err_set(err, RN_ERANGE,
                          "%s: offset %" PRId64 " is outside [%" PRId64 ", %" PRId64 "]", p->dir,
                          offset, p->log_start, end);
    size_t budget = max_bytes;
    int first = 1;
    for (int32_t i = find_seg(p, offset); i < p->nsegs; i++) {
        rn_segment *s = p->segs[i];
        uint32_t pos = 0, first_len = 0;
        int rc, at_end;
        if (first && (rc = rn_log_seg_locate(p, s, offset, &pos, &first_len, err))) return rc;
        if (pos >= s->size) continue; /* offset lies past this segment's batches (or in a gap) */
        if ((rc = read_from(p, s, pos, first_len, &budget, &first, out, &at_end, err))) return rc;
        if (!at_end || budget < RN_BATCH_HDR_LEN) break;
    }
    return RN_OK;
}

/* ------------------------------------------------------------------ offset for time */

int rn_partition_offset_for_time(rn_partition *p, int64_t ts, int64_t *offset, int64_t *found_ts,
                                 rn_err *err)
{
    if (!p || !offset || !found_ts)
        return rn_err_set(err, RN_EINVAL, "log: offset_for_time: bad arguments");
    *offset = -1;
    *found_ts = -1;
    for (int32_t i = find_seg(p, p->log_start); i < p->nsegs; i++) {
        rn_segment *s = p->segs[i];
        if (s->size == 0 || s->max_ts < ts) continue;
        int64_t from = s->base + rn_log_index_time_floor(s, ts);
        if (from < p->log_start) from = p->log_start;
        uint32_t pos;
        int rc = rn_log_seg_locate(p, s, from, &pos, NULL, err);
        if (rc) return rc;
        rn_win w;
        rn_log_win_init(&w, p, s, 16 * 1024);
        while (pos < s->size) {
            rn_batch_info bi;
            if ((rc = rn_log_seg_batch_at(&w, s, pos, &bi, err))) return rc;
            if (bi.max_ts >= ts) {
                *offset = bi.base > p->log_start ? bi.base : p->log_start;
                *found_ts = bi.max_ts;
                return RN_OK;
            }
            pos += bi.len;
        }
    }
    return RN_OK;
}

/* ------------------------------------------------------------------ trimming */

int rn_partition_delete_before(rn_partition *p, int64_t offset, rn_err *err)
{
    if (!p || p->closing)
        return rn_err_set(err, RN_EINVAL, "log: delete_before on a closed partition");
    int64_t end = rn_partition_log_end(p);
    if (offset < 0 || offset > end)
        return rn_err_set(err, RN_ERANGE, "%s: delete_before %" PRId64 " is past the end %" PRId64,
                          p->dir, offset, end);
    if (offset <= p->log_start) return RN_OK;
    int rc = write_lso(p, offset, err);
    if (rc) return rc;
    p->log_start = offset;
    drop_below_start(p);
    return RN_OK;
}

/* The time retention.ms measures a segment by: its largest timestamp, or when it has
 * none (clients sending -1), its creation time; -1 if neither is known (never expires
 * by time). */
static int64_t seg_time(const rn_segment *s)
{
    return s->max_ts >= 0 ? s->max_ts : s->created_ms;
}

int rn_partition_apply_retention(rn_partition *p, int64_t now_ms, rn_err *err)
{
    if (!p || p->closing) return rn_err_set(err, RN_EINVAL, "log: retention on a closed partition");
    rn_segment *s = active_seg(p);
    if (s->size > 0 && p->cfg.segment_ms > 0 && s->created_ms >= 0 &&
        now_ms - s->created_ms > p->cfg.segment_ms) {
        int rc = roll(p, err);
        if (rc) return rc;
    }
    int deleted = 0;
    /* Oldest first, stopping at the first segment to keep (Kafka deletes a prefix). */
    if (p->cfg.retention_ms >= 0) {
        while (p->nsegs > 1 && seg_time(p->segs[0]) >= 0 &&
               seg_time(p->segs[0]) < now_ms - p->cfg.retention_ms) {
            drop_segment(p, 0);
            deleted++;
        }
    }
    /* retention.bytes bounds the partition: delete while it is over budget. (Kafka
     * deletes a segment only if the rest still reaches retention.bytes, so it may stay
     * up to a segment over; here the bound holds, except for the active segment.) */
    if (p->cfg.retention_bytes >= 0) {
        while (p->nsegs > 1 && p->size_bytes > p->cfg.retention_bytes) {
            drop_segment(p, 0);
            deleted++;
        }
    }
    if (p->log_start < p->segs[0]->base) p->log_start = p->segs[0]->base;
    return deleted;
}
