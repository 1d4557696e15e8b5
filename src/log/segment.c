/*
 * log/segment.c - one partition segment: an append-only file of Kafka RecordBatch v2
 * batches (see "SEGMENT FILE FORMAT" in log_int.h), and the ways of walking it: a read
 * window, header parsing, the recovery scan, locating the batch that holds an offset.
 *
 * Layer: used by partition.c; calls common/, index.c and the fileops table.
 * Invariants: s->size counts whole batches only and s->next follows the last of them;
 *   every change of a segment's contents goes through rn_log_seg_note_batch, for appends
 *   and recovery alike, so both build the same indexes.
 * Threads: loop thread only; the window borrows rn_log.scan_buf, so at most one window
 *   is in use at a time.
 *
 * Batches are parsed here from the few header fields the log needs (rn_be*_load)
 * rather than with kafka/record: the log must not depend on the layer above it, and
 * recovery needs different answers (where and why a tail is torn) than validation of a
 * client's batch.
 */
#include "log/log_int.h"

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/diag.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rn_log_seg_path(char *buf, size_t len, const char *dir, int64_t base, const char *ext)
{
    snprintf(buf, len, "%s/%020" PRId64 "%s", dir, base, ext);
}

/* ------------------------------------------------------------------ whole transfers */

int rn_log_pread_full(const rn_fileops *ops, int fd, void *buf, size_t len, uint64_t off,
                      const char *path, rn_err *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = ops->pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return rn_err_set(err, RN_EIO, "%s: read at byte %" PRIu64 ": %s", path, off + done,
                              strerror(errno));
        }
        if (n == 0)
            return rn_err_set(err, RN_ECORRUPT, "%s: unexpected end of file at byte %" PRIu64, path,
                              off + done);
        done += (size_t)n;
    }
    return RN_OK;
}

int rn_log_pwrite_full(const rn_fileops *ops, int fd, const void *buf, size_t len, uint64_t off,
                       const char *path, rn_err *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = ops->pwrite(fd, (const uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            int e = errno;
            if (e == EINTR) continue;
            int code = (e == ENOSPC || e == EDQUOT) ? RN_ENOSPC : RN_EIO;
            return rn_err_set(err, code, "%s: write at byte %" PRIu64 ": %s", path, off + done,
                              strerror(e));
        }
        if (n == 0)
            return rn_err_set(err, RN_EIO, "%s: write at byte %" PRIu64 " wrote nothing", path,
                              off + done);
        done += (size_t)n;
    }
    return RN_OK;
}

/* ------------------------------------------------------------------ read window */

void rn_log_win_init(rn_win *w, rn_partition *p, rn_segment *s, size_t chunk)
{
    w->ops = p->log->ops;
    w->fd = s->f->fd;
    w->dir = p->dir;
    w->base = s->base;
    w->buf = p->log->scan_buf;
    w->cap = RN_SCAN_BUF_LEN;
    w->chunk = chunk < w->cap ? chunk : w->cap;
    w->off = 0;
    w->len = 0;
    w->limit = s->size;
}

int rn_log_win_get(rn_win *w, uint64_t pos, size_t n, const uint8_t **out, rn_err *err)
{
    assert(n <= w->cap);
    char path[PATH_MAX];
    if (pos > w->limit || n > w->limit - pos) {
        rn_log_seg_path(path, sizeof path, w->dir, w->base, ".log");
        return rn_err_set(err, RN_ECORRUPT,
                          "%s: %zu bytes at byte %" PRIu64 " run past the end (%" PRIu64 ")", path,
                          n, pos, w->limit);
    }
    if (pos >= w->off && pos + n <= w->off + w->len) {
        *out = w->buf + (pos - w->off);
        return RN_OK;
    }
    size_t want = n > w->chunk ? n : w->chunk;
    if (want > w->limit - pos) want = (size_t)(w->limit - pos);
    w->len = 0;
    rn_log_seg_path(path, sizeof path, w->dir, w->base, ".log");
    int rc = rn_log_pread_full(w->ops, w->fd, w->buf, want, pos, path, err);
    if (rc) return rc;
    w->off = pos;
    w->len = want;
    *out = w->buf;
    return RN_OK;
}

/* CRC-32C of the file's bytes [from, to), streamed through the window so batches larger
 * than the window need no extra memory. */
static int win_crc(rn_win *w, uint64_t from, uint64_t to, uint32_t *crc, rn_err *err)
{
    uint32_t c = 0;
    while (from < to) {
        size_t n = to - from > w->cap ? w->cap : (size_t)(to - from);
        const uint8_t *p = NULL;
        int rc = rn_log_win_get(w, from, n, &p, err);
        if (rc) return rc;
        c = rn_crc32c(c, p, n);
        from += n;
    }
    *crc = c;
    return RN_OK;
}

/* ------------------------------------------------------------------ batch headers */

/* Parses a batch header (RN_BATCH_HDR_LEN bytes at h) whose batch may hold at most
 * room bytes. Returns NULL, or the reason it is not a sane batch. */
static const char *parse_hdr(const uint8_t *h, uint64_t room, rn_batch_info *bi)
{
    int32_t blen = (int32_t)rn_be32_load(h + RN_BATCH_OFF_LENGTH);
    if (blen < RN_BATCH_HDR_LEN - RN_BATCH_LOG_OVERHEAD) return "batchLength too small";
    uint64_t total = (uint64_t)blen + RN_BATCH_LOG_OVERHEAD;
    if (total > room) return "batch runs past the end of the file";
    if (h[RN_BATCH_OFF_MAGIC] != 2) return "magic is not 2";
    int32_t lod = (int32_t)rn_be32_load(h + RN_BATCH_OFF_LOD);
    if (lod < 0) return "negative lastOffsetDelta";
    bi->base = (int64_t)rn_be64_load(h);
    bi->len = (uint32_t)total;
    bi->lod = lod;
    bi->max_ts = (int64_t)rn_be64_load(h + RN_BATCH_OFF_MAXTS);
    return NULL;
}

int rn_log_seg_batch_at(rn_win *w, rn_segment *s, uint32_t pos, rn_batch_info *bi, rn_err *err)
{
    const uint8_t *h = NULL;
    int rc = rn_log_win_get(w, pos, RN_BATCH_HDR_LEN, &h, err);
    if (rc) return rc;
    const char *why = parse_hdr(h, s->size - pos, bi);
    if (why) {
        char path[PATH_MAX];
        rn_log_seg_path(path, sizeof path, w->dir, w->base, ".log");
        return rn_err_set(err, RN_ECORRUPT, "%s: bad batch at byte %" PRIu32 ": %s", path, pos,
                          why);
    }
    return RN_OK;
}

/* ------------------------------------------------------------------ segment state */

int rn_log_seg_new(rn_partition *p, int64_t base, int fd, const char *path, rn_segment **out,
                   rn_err *err)
{
    rn_segment *s = calloc(1, sizeof *s);
    char *pcopy = strdup(path);
    rn_fdref *f = pcopy ? rn_log_fdref_new(fd, 0, p, pcopy) : NULL;
    if (!s || !f) {
        free(s);
        if (f)
            rn_log_fdref_release(p->log, f); /* closes fd, frees pcopy */
        else {
            free(pcopy);
            p->log->ops->close(fd);
        }
        return rn_err_set(err, RN_ENOMEM, "%s: no memory for the segment", path);
    }
    s->base = base;
    s->next = base;
    s->last_pos = RN_NO_LAST_BATCH;
    s->max_ts = -1;
    s->max_ts_offset = -1;
    s->created_ms = -1;
    s->f = f;
    *out = s;
    return RN_OK;
}

void rn_log_seg_free(rn_log *log, rn_segment *s)
{
    if (!s) return;
    rn_log_fdref_release(log, s->f);
    free(s->oidx);
    free(s->tidx);
    free(s);
}

void rn_log_seg_unlink_files(rn_partition *p, int64_t base)
{
    static const char *const exts[] = {".log", ".index", ".timeindex"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        rn_log_seg_path(path, sizeof path, p->dir, base, exts[i]);
        if (p->log->ops->unlink(path) != 0 && errno != ENOENT)
            RN_WARN("log: %s: unlink: %s", path, strerror(errno));
    }
    p->dir_dirty = 1;
}

void rn_log_seg_note_batch(rn_segment *s, uint32_t pos, const rn_batch_info *bi,
                           int32_t index_interval)
{
    assert(pos == s->size);
    uint32_t rel = (uint32_t)(bi->base - s->base);
    int indexed = 0;
    if (s->size > 0 && s->since_index >= (uint32_t)index_interval) {
        rn_log_index_add_offset(s, rel, pos);
        s->since_index = 0;
        indexed = 1;
    }
    if (bi->max_ts > s->max_ts) {
        s->max_ts = bi->max_ts;
        s->max_ts_offset = bi->base;
    }
    if (indexed && s->max_ts_offset >= 0 && (s->ntidx == 0 || s->max_ts > s->tidx[s->ntidx - 1].ts))
        rn_log_index_add_time(s, s->max_ts, (uint32_t)(s->max_ts_offset - s->base));
    s->since_index += bi->len;
    s->last_pos = pos;
    s->size = pos + bi->len;
    s->next = bi->base + bi->lod + 1;
    s->index_saved = 0;
}

/* ------------------------------------------------------------------ recovery */

int rn_log_seg_recover_scan(rn_partition *p, rn_segment *s, uint64_t file_size, uint64_t *bad_pos,
                            const char **reason, rn_err *err)
{
    s->next = s->base;
    s->size = 0;
    s->last_pos = RN_NO_LAST_BATCH;
    s->max_ts = -1;
    s->max_ts_offset = -1;
    s->since_index = 0;
    s->index_saved = 0;
    rn_log_index_reset(s);

    rn_win w;
    rn_log_win_init(&w, p, s, RN_SCAN_BUF_LEN);
    w.limit = file_size;
    uint64_t pos = 0;
    const char *why = NULL;
    int rc = RN_OK;
    while (pos < file_size) {
        if (file_size - pos < RN_BATCH_HDR_LEN) {
            why = "torn batch header";
            break;
        }
        const uint8_t *h = NULL;
        if ((rc = rn_log_win_get(&w, pos, RN_BATCH_HDR_LEN, &h, err))) return rc;
        rn_batch_info bi;
        if ((why = parse_hdr(h, file_size - pos, &bi))) break;
        uint32_t stored_crc = rn_be32_load(h + RN_BATCH_OFF_CRC);
        if (pos + bi.len > UINT32_MAX) {
            why = "segment would exceed 4 GiB";
            break;
        }
        if (bi.base != s->next) {
            why = s->size == 0 ? "first batch's base offset is not the segment's"
                               : "base offset does not follow the previous batch";
            break;
        }
        if ((uint64_t)(bi.base + bi.lod - s->base) > UINT32_MAX) {
            why = "offsets exceed the segment's 32-bit range";
            break;
        }
        uint32_t crc;
        if ((rc = win_crc(&w, pos + RN_BATCH_OFF_ATTR, pos + bi.len, &crc, err))) return rc;
        if (crc != stored_crc) {
            why = "crc mismatch";
            break;
        }
        rn_log_seg_note_batch(s, (uint32_t)pos, &bi, p->cfg.index_interval_bytes);
        pos += bi.len;
    }
    *bad_pos = pos;
    *reason = why;
    return RN_OK;
}

int rn_log_seg_verify_tail(rn_partition *p, rn_segment *s, int *ok, rn_err *err)
{
    *ok = 0;
    if (s->size == 0) {
        *ok = 1;
        return RN_OK;
    }
    rn_win w;
    rn_log_win_init(&w, p, s, RN_SCAN_BUF_LEN);
    const uint8_t *h = NULL;
    int rc = rn_log_win_get(&w, s->last_pos, RN_BATCH_HDR_LEN, &h, err);
    if (rc == RN_ECORRUPT) return RN_OK;
    if (rc) return rc;
    rn_batch_info bi;
    if (parse_hdr(h, s->size - s->last_pos, &bi)) return RN_OK;
    uint32_t stored_crc = rn_be32_load(h + RN_BATCH_OFF_CRC), crc;
    if (s->last_pos + bi.len != s->size || bi.base + bi.lod + 1 != s->next) return RN_OK;
    if ((rc = win_crc(&w, s->last_pos + RN_BATCH_OFF_ATTR, s->size, &crc, err))) return rc;
    *ok = crc == stored_crc;
    return RN_OK;
}

/* ------------------------------------------------------------------ lookups */

int rn_log_seg_locate(rn_partition *p, rn_segment *s, int64_t offset, uint32_t *pos_out,
                      uint32_t *len_out, rn_err *err)
{
    uint32_t pos = 0, len = 0;
    if (offset > s->base) {
        uint64_t rel = (uint64_t)(offset - s->base);
        pos = rn_log_index_offset_floor(s, rel > UINT32_MAX ? UINT32_MAX : (uint32_t)rel);
    }
    /* Between two index entries lie about index.interval.bytes of batches: a small
     * chunk covers them in one read. */
    rn_win w;
    rn_log_win_init(&w, p, s, 16 * 1024);
    while (pos < s->size) {
        rn_batch_info bi;
        int rc = rn_log_seg_batch_at(&w, s, pos, &bi, err);
        if (rc) return rc;
        if (bi.base + bi.lod >= offset) {
            len = bi.len;
            break;
        }
        pos += bi.len;
    }
    *pos_out = pos;
    if (len_out) *len_out = len;
    return RN_OK;
}
