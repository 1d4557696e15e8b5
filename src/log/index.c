/*
 * log/index.c - a segment's sparse offset and time indexes: the in-memory arrays, their
 * lookups, and the .index/.timeindex files (formats: "OFFSET INDEX FILE FORMAT" and
 * "TIME INDEX FILE FORMAT" in log_int.h).
 *
 * Layer: used by segment.c and partition.c; calls common/ and the fileops table.
 * Invariants: entries ascend (rel and pos for offsets; ts strictly and rel for times);
 *   a file is either absent, exactly describing its segment, or detectably stale.
 * Threads: loop thread only.
 *
 * Files are written whole (header + entries, one pwrite) rather than appended as Kafka
 * does with its preallocated mmap'd files: for the active segment the arrays live in
 * memory, and writing once at roll/close keeps the stale-file rule simple.
 */
#include "log/log_int.h"

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ in memory */

static int grow(void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap) return 0;
    if (*cap > UINT32_MAX / 2) return -1;
    uint32_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p) return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

void rn_log_index_add_offset(rn_segment *s, uint32_t rel, uint32_t pos)
{
    if (grow((void **)&s->oidx, &s->cap_oidx, s->noidx, sizeof *s->oidx))
        return; /* sparse: a missing entry only makes lookups scan further */
    s->oidx[s->noidx].rel = rel;
    s->oidx[s->noidx].pos = pos;
    s->noidx++;
}

void rn_log_index_add_time(rn_segment *s, int64_t ts, uint32_t rel)
{
    if (grow((void **)&s->tidx, &s->cap_tidx, s->ntidx, sizeof *s->tidx)) return;
    s->tidx[s->ntidx].ts = ts;
    s->tidx[s->ntidx].rel = rel;
    s->ntidx++;
}

uint32_t rn_log_index_offset_floor(const rn_segment *s, uint32_t target_rel)
{
    /* Binary search for the last entry with rel <= target_rel. */
    uint32_t lo = 0, hi = s->noidx;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->oidx[mid].rel <= target_rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? s->oidx[lo - 1].pos : 0;
}

uint32_t rn_log_index_time_floor(const rn_segment *s, int64_t ts)
{
    uint32_t lo = 0, hi = s->ntidx;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->tidx[mid].ts < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? s->tidx[lo - 1].rel : 0;
}

void rn_log_index_reset(rn_segment *s)
{
    s->noidx = 0;
    s->ntidx = 0;
}

/* ------------------------------------------------------------------ files */

static int write_whole(const rn_fileops *ops, const char *path, const uint8_t *buf, size_t len,
                       rn_err *err)
{
    int fd = ops->open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return rn_err_set(err, rn_err_from_errno(errno) == RN_ENOSPC ? RN_ENOSPC : RN_EIO,
                          "%s: open: %s", path, strerror(errno));
    int rc = rn_log_pwrite_full(ops, fd, buf, len, 0, path, err);
    if (ops->close(fd) != 0 && rc == RN_OK)
        rc = rn_err_set(err, RN_EIO, "%s: close: %s", path, strerror(errno));
    return rc;
}

int rn_log_index_save(rn_partition *p, rn_segment *s, rn_err *err)
{
    const rn_fileops *ops = p->log->ops;
    char opath[PATH_MAX], tpath[PATH_MAX];
    rn_log_seg_path(opath, sizeof opath, p->dir, s->base, ".index");
    rn_log_seg_path(tpath, sizeof tpath, p->dir, s->base, ".timeindex");

    size_t olen = RN_OIDX_HDR_LEN + (size_t)s->noidx * RN_OIDX_ENTRY;
    size_t tlen = RN_TIDX_HDR_LEN + (size_t)s->ntidx * RN_TIDX_ENTRY;
    uint8_t *buf = malloc(olen > tlen ? olen : tlen);
    int rc;
    if (!buf) {
        rc = rn_err_set(err, RN_ENOMEM, "%s: no memory for the index", opath);
        goto out;
    }

    /* .index */
    memset(buf, 0, RN_OIDX_HDR_LEN);
    rn_be32_store(buf + 0, RN_OIDX_MAGIC);
    rn_be16_store(buf + 4, RN_OIDX_VERSION);
    rn_be16_store(buf + 6, RN_OIDX_HDR_LEN);
    rn_be64_store(buf + 8, (uint64_t)s->base);
    rn_be64_store(buf + 16, (uint64_t)s->next);
    rn_be32_store(buf + 24, s->size);
    rn_be32_store(buf + 28, s->last_pos);
    rn_be64_store(buf + 32, (uint64_t)s->max_ts);
    rn_be64_store(buf + 40, (uint64_t)s->max_ts_offset);
    rn_be64_store(buf + 48, (uint64_t)s->created_ms);
    rn_be32_store(buf + 56, s->noidx);
    for (uint32_t i = 0; i < s->noidx; i++) {
        uint8_t *e = buf + RN_OIDX_HDR_LEN + (size_t)i * RN_OIDX_ENTRY;
        rn_be32_store(e, s->oidx[i].rel);
        rn_be32_store(e + 4, s->oidx[i].pos);
    }
    uint32_t crc = rn_crc32c(0, buf, 60);
    crc = rn_crc32c(crc, buf + RN_OIDX_HDR_LEN, olen - RN_OIDX_HDR_LEN);
    rn_be32_store(buf + 60, crc);
    if ((rc = write_whole(ops, opath, buf, olen, err))) goto out;

    /* .timeindex */
    memset(buf, 0, RN_TIDX_HDR_LEN);
    rn_be32_store(buf + 0, RN_TIDX_MAGIC);
    rn_be16_store(buf + 4, RN_TIDX_VERSION);
    rn_be16_store(buf + 6, RN_TIDX_HDR_LEN);
    rn_be64_store(buf + 8, (uint64_t)s->base);
    rn_be32_store(buf + 16, s->size);
    rn_be32_store(buf + 20, s->ntidx);
    for (uint32_t i = 0; i < s->ntidx; i++) {
        uint8_t *e = buf + RN_TIDX_HDR_LEN + (size_t)i * RN_TIDX_ENTRY;
        rn_be64_store(e, (uint64_t)s->tidx[i].ts);
        rn_be32_store(e + 8, s->tidx[i].rel);
    }
    crc = rn_crc32c(0, buf, 24);
    crc = rn_crc32c(crc, buf + RN_TIDX_HDR_LEN, tlen - RN_TIDX_HDR_LEN);
    rn_be32_store(buf + 24, crc);
    rc = write_whole(ops, tpath, buf, tlen, err);

out:
    free(buf);
    if (rc) {
        /* A half-written or stale pair must not be trusted later: remove both. The CRC
         * would catch a torn file, but not an old intact one. */
        ops->unlink(opath);
        ops->unlink(tpath);
        s->index_saved = 0;
    } else {
        s->index_saved = 1;
    }
    return rc;
}

/* Reads a whole index file of at most max_len bytes into a new buffer (*out, from
 * malloc(), owned by the caller). RN_ENOTFOUND if it does not exist, RN_ECORRUPT if it
 * is too long. */
static int read_whole(const rn_fileops *ops, const char *path, size_t max_len, uint8_t **out,
                      size_t *len, rn_err *err)
{
    *out = NULL;
    *len = 0;
    int fd = ops->open(path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno == ENOENT) return RN_ENOTFOUND;
        return rn_err_set(err, RN_EIO, "%s: open: %s", path, strerror(errno));
    }
    int rc = RN_OK;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = rn_err_set(err, RN_EIO, "%s: fstat: %s", path, strerror(errno));
        goto out;
    }
    if ((uint64_t)st.st_size > max_len) {
        rc = RN_ECORRUPT;
        goto out;
    }
    *len = (size_t)st.st_size;
    *out = malloc(*len ? *len : 1);
    if (!*out) {
        rc = rn_err_set(err, RN_ENOMEM, "%s: no memory", path);
        goto out;
    }
    rc = rn_log_pread_full(ops, fd, *out, *len, 0, path, err);
out:
    ops->close(fd);
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int rn_log_index_load(rn_partition *p, rn_segment *s, uint64_t log_size, int *ok,
                      int64_t *created_ms, rn_err *err)
{
    const rn_fileops *ops = p->log->ops;
    char opath[PATH_MAX], tpath[PATH_MAX];
    rn_log_seg_path(opath, sizeof opath, p->dir, s->base, ".index");
    rn_log_seg_path(tpath, sizeof tpath, p->dir, s->base, ".timeindex");
    *ok = 0;
    *created_ms = -1;

    /* No batch is shorter than its header, so no honest index has more entries. */
    uint64_t max_entries = log_size / RN_BATCH_HDR_LEN + 1;
    uint8_t *ob = NULL, *tb = NULL;
    size_t olen, tlen;
    int rc = read_whole(ops, opath, RN_OIDX_HDR_LEN + max_entries * RN_OIDX_ENTRY, &ob, &olen, err);
    if (rc == RN_ENOTFOUND || rc == RN_ECORRUPT) {
        rc = RN_OK;
        goto out;
    }
    if (rc) goto out;

    /* .index header */
    if (olen < RN_OIDX_HDR_LEN || rn_be32_load(ob) != RN_OIDX_MAGIC ||
        rn_be16_load(ob + 4) != RN_OIDX_VERSION || rn_be16_load(ob + 6) != RN_OIDX_HDR_LEN ||
        (int64_t)rn_be64_load(ob + 8) != s->base)
        goto out;
    uint32_t n = rn_be32_load(ob + 56);
    if (olen != RN_OIDX_HDR_LEN + (size_t)n * RN_OIDX_ENTRY) goto out;
    uint32_t crc = rn_crc32c(0, ob, 60);
    crc = rn_crc32c(crc, ob + RN_OIDX_HDR_LEN, olen - RN_OIDX_HDR_LEN);
    if (crc != rn_be32_load(ob + 60)) goto out;
    *created_ms = (int64_t)rn_be64_load(ob + 48);

    int64_t next = (int64_t)rn_be64_load(ob + 16);
    uint32_t size = rn_be32_load(ob + 24);
    uint32_t last_pos = rn_be32_load(ob + 28);
    if (size != log_size || next < s->base || (uint64_t)(next - s->base) > (uint64_t)UINT32_MAX + 1)
        goto out;
    if (size == 0 ? (last_pos != RN_NO_LAST_BATCH || next != s->base)
                  : (last_pos >= size || next == s->base))
        goto out;

    /* .timeindex */
    rc = read_whole(ops, tpath, RN_TIDX_HDR_LEN + max_entries * RN_TIDX_ENTRY, &tb, &tlen, err);
    if (rc == RN_ENOTFOUND || rc == RN_ECORRUPT) {
        rc = RN_OK;
        goto out;
    }
    if (rc) goto out;
    if (tlen < RN_TIDX_HDR_LEN || rn_be32_load(tb) != RN_TIDX_MAGIC ||
        rn_be16_load(tb + 4) != RN_TIDX_VERSION || rn_be16_load(tb + 6) != RN_TIDX_HDR_LEN ||
        (int64_t)rn_be64_load(tb + 8) != s->base || rn_be32_load(tb + 16) != size)
        goto out;
    uint32_t tn = rn_be32_load(tb + 20);
    if (tlen != RN_TIDX_HDR_LEN + (size_t)tn * RN_TIDX_ENTRY) goto out;
    crc = rn_crc32c(0, tb, 24);
    crc = rn_crc32c(crc, tb + RN_TIDX_HDR_LEN, tlen - RN_TIDX_HDR_LEN);
    if (crc != rn_be32_load(tb + 24)) goto out;

    /* Both intact and current: take them, checking the entries' order so later binary
     * searches can rely on it. */
    rn_log_index_reset(s);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = ob + RN_OIDX_HDR_LEN + (size_t)i * RN_OIDX_ENTRY;
        uint32_t rel = rn_be32_load(e), pos = rn_be32_load(e + 4);
        if (pos >= size || (int64_t)rel >= next - s->base ||
            (i && (rel <= s->oidx[i - 1].rel || pos <= s->oidx[i - 1].pos)))
            goto bad_entries;
        rn_log_index_add_offset(s, rel, pos);
        if (s->noidx != i + 1) goto nomem;
    }
    for (uint32_t i = 0; i < tn; i++) {
        const uint8_t *e = tb + RN_TIDX_HDR_LEN + (size_t)i * RN_TIDX_ENTRY;
        int64_t ts = (int64_t)rn_be64_load(e);
        uint32_t rel = rn_be32_load(e + 8);
        if ((int64_t)rel >= next - s->base ||
            (i && (ts <= s->tidx[i - 1].ts || rel < s->tidx[i - 1].rel)))
            goto bad_entries;
        rn_log_index_add_time(s, ts, rel);
        if (s->ntidx != i + 1) goto nomem;
    }
    s->next = next;
    s->size = size;
    s->last_pos = last_pos;
    s->max_ts = (int64_t)rn_be64_load(ob + 32);
    s->max_ts_offset = (int64_t)rn_be64_load(ob + 40);
    s->created_ms = *created_ms;
    s->since_index = 0;
    s->index_saved = 1;
    *ok = 1;
    goto out;

nomem:
    rn_log_index_reset(s);
    rc = rn_err_set(err, RN_ENOMEM, "%s: no memory for the index", opath);
    goto out;
bad_entries:
    rn_log_index_reset(s);
out:
    free(ob);
    free(tb);
    return rc;
}
