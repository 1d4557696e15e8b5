/*
 * tests/unit/log/test_log.c - the storage log without faults: append/read round trips
 * across segment rolls, KIP-74 read limits, reopen, recovery of torn tails and stale
 * indexes, retention, DeleteRecords, offset_for_time, list/remove.
 *
 * Each test gets its own temporary data directory; batches are built here (valid
 * CRC-32C over [21, end)) so the log module is tested alone.
 */
#include "common/buf.h"
#include "common/crc32c.h"
#include "common/timeutil.h"
#include "log/log.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ helpers */

static char data_dir[64];
static char part_dir[128];
static uv_loop_t loop;

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    strcpy(data_dir, "/tmp/rn-log-test-XXXXXX");
    cr_assert_not_null(mkdtemp(data_dir));
    snprintf(part_dir, sizeof part_dir, "%s/topics/t-0", data_dir);
    cr_assert_eq(uv_loop_init(&loop), 0);
}

static void teardown(void)
{
    nftw(data_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    cr_assert_eq(uv_loop_close(&loop), 0, "the log left a handle on the loop");
}

/* Builds a RecordBatch v2 with nrec records of vlen-byte values (byte `fill`), all with
 * timestamp ts, into b (cleared first). baseOffset 0, CRC-32C valid. */
static void make_batch(rn_buf *b, int nrec, size_t vlen, int64_t ts, uint8_t fill)
{
    b->len = 0;
    uint8_t *h = rn_buf_extend(b, 61);
    memset(h, 0, 61);
    for (int i = 0; i < nrec; i++) {
        size_t body = 1 + rn_varlong_size(0) + rn_varint_size(i) + rn_varint_size(-1) +
                      rn_varint_size((int32_t)vlen) + vlen + rn_varint_size(0);
        rn_buf_put_varint(b, (int32_t)body);
        rn_buf_put_i8(b, 0);
        rn_buf_put_varlong(b, 0);
        rn_buf_put_varint(b, i);
        rn_buf_put_varint(b, -1);
        rn_buf_put_varint(b, (int32_t)vlen);
        uint8_t *v = rn_buf_extend(b, vlen);
        memset(v, fill, vlen);
        rn_buf_put_varint(b, 0);
    }
    cr_assert(rn_buf_ok(b));
    h = b->p;
    rn_be32_store(h + 8, (uint32_t)(b->len - 12));
    rn_be32_store(h + 12, 77); /* the log must reset the leader epoch */
    h[16] = 2;
    rn_be16_store(h + 21, 0);
    rn_be32_store(h + 23, (uint32_t)(nrec - 1));
    rn_be64_store(h + 27, (uint64_t)ts);
    rn_be64_store(h + 35, (uint64_t)ts);
    rn_be64_store(h + 43, (uint64_t)-1);
    rn_be16_store(h + 51, 0xffff);
    rn_be32_store(h + 53, (uint32_t)-1);
    rn_be32_store(h + 57, (uint32_t)nrec);
    rn_be32_store(h + 17, rn_crc32c(0, h + 21, b->len - 21));
}

static rn_log_config small_cfg(int64_t segment_bytes, int32_t interval)
{
    rn_log_config c;
    rn_log_config_defaults(&c);
    c.segment_bytes = segment_bytes;
    c.index_interval_bytes = interval;
    c.retention_ms = -1;
    return c;
}

static rn_log *open_log(void)
{
    rn_log *log;
    rn_err err;
    int rc = rn_log_open(data_dir, &loop, NULL, &log, &err);
    cr_assert_eq(rc, RN_OK, "%s", err.msg);
    return log;
}

static rn_partition *open_part(rn_log *log, const rn_log_config *cfg)
{
    rn_partition *p;
    rn_err err;
    int rc = rn_partition_open(log, "t", 0, cfg, &p, &err);
    cr_assert_eq(rc, RN_OK, "%s", err.msg);
    return p;
}

/* Appends a batch; returns its base offset. */
static int64_t append(rn_partition *p, int nrec, size_t vlen, int64_t ts, uint8_t fill)
{
    rn_buf b = {0};
    make_batch(&b, nrec, vlen, ts, fill);
    int64_t base = -1;
    rn_err err;
    int rc = rn_partition_append(p, b.p, b.len, ts, &base, &err);
    cr_assert_eq(rc, RN_OK, "%s", err.msg);
    rn_buf_fini(&b);
    return base;
}

/* Walks the batches in buf: checks framing and CRC; returns their count and fills the
 * base offsets and lengths (arrays may be NULL). */
static int walk(const uint8_t *p, size_t len, int64_t *bases, int32_t *lods)
{
    size_t q = 0;
    int n = 0;
    while (q < len) {
        cr_assert(len - q >= 61, "partial batch header at %zu", q);
        uint32_t total = rn_be32_load(p + q + 8) + 12;
        cr_assert(total <= len - q, "partial batch at %zu", q);
        cr_assert_eq(p[q + 16], 2);
        cr_assert_eq(rn_be32_load(p + q + 12), 0, "leader epoch not reset");
        cr_assert_eq(rn_be32_load(p + q + 17), rn_crc32c(0, p + q + 21, total - 21),
                     "crc broken at %zu", q);
        if (bases) bases[n] = (int64_t)rn_be64_load(p + q);
        if (lods) lods[n] = (int32_t)rn_be32_load(p + q + 23);
        n++;
        q += total;
    }
    return n;
}

static int64_t first_base(const rn_buf *b)
{
    cr_assert(b->len >= 61);
    return (int64_t)rn_be64_load(b->p);
}

static void read_ok(rn_partition *p, int64_t off, size_t max, rn_buf *out)
{
    rn_err err;
    out->len = 0;
    int rc = rn_partition_read(p, off, max, out, &err);
    cr_assert_eq(rc, RN_OK, "read %" PRId64 ": %s", off, err.msg);
}

/* Path of the segment file with the largest base (the active one). */
static void last_segment(char *out, size_t len, const char *ext)
{
    DIR *d = opendir(part_dir);
    cr_assert_not_null(d);
    char best[64] = "";
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n == 24 && !strcmp(de->d_name + 20, ".log") && strcmp(de->d_name, best) > 0)
            strcpy(best, de->d_name);
    }
    closedir(d);
    cr_assert(best[0]);
    best[20] = '\0';
    snprintf(out, len, "%s/%s%s", part_dir, best, ext);
}

static int count_files(const char *ext)
{
    DIR *d = opendir(part_dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name), e = strlen(ext);
        if (l > e && !strcmp(de->d_name + l - e, ext)) n++;
    }
    closedir(d);
    return n;
}

static off_t file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    return st.st_size;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A snapshot of everything readable, for comparing across reopen. */
static void read_all(rn_partition *p, rn_buf *out)
{
    read_ok(p, rn_partition_log_start(p), SIZE_MAX / 2, out);
}

TestSuite(log, .init = setup, .fini = teardown, .timeout = 20);

/* ------------------------------------------------------------------ append and read */

Test(log, roundtrip_single_segment)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    cr_assert_eq(rn_partition_log_end(p), 0);
    int64_t expect = 0;
    for (int i = 0; i < 500; i++) {
        int nrec = 1 + i % 7;
        cr_assert_eq(append(p, nrec, 10 + (size_t)i % 300, 1000 + i, (uint8_t)i), expect);
        expect += nrec;
    }
    cr_assert_eq(rn_partition_log_end(p), expect);
    cr_assert_eq(rn_partition_segment_count(p), 1);

    rn_buf out = {0};
    /* Every offset returns the batch containing it, first. */
    for (int64_t off = 0; off < expect; off++) {
        read_ok(p, off, 1, &out);
        int64_t base[1];
        int32_t lod[1];
        cr_assert_eq(walk(out.p, out.len, base, lod), 1);
        cr_assert(base[0] <= off && off <= base[0] + lod[0], "offset %" PRId64, off);
    }
    read_all(p, &out);
    cr_assert_eq(walk(out.p, out.len, NULL, NULL), 500);
    cr_assert_eq((int64_t)out.len, rn_partition_size_bytes(p));
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, roundtrip_across_rolls)
{
    rn_log *log = open_log();
    rn_log_config cfg = small_cfg(2000, 300);
    rn_partition *p = open_part(log, &cfg);
    int64_t bases[400], end = 0;
    int32_t lods[400];
    for (int i = 0; i < 400; i++) {
        int nrec = 1 + i % 4;
        bases[i] = append(p, nrec, (size_t)(i * 37 % 200), 5000 + i, (uint8_t)i);
        lods[i] = nrec - 1;
        cr_assert_eq(bases[i], end);
        end += nrec;
    }
    cr_assert_gt(rn_partition_segment_count(p), 10);
    cr_assert_eq(count_files(".log"), rn_partition_segment_count(p));

    rn_buf out = {0};
    int64_t got[400];
    int32_t glod[400];
    read_all(p, &out);
    cr_assert_eq(walk(out.p, out.len, got, glod), 400);
    for (int i = 0; i < 400; i++) {
        cr_assert_eq(got[i], bases[i]);
        cr_assert_eq(glod[i], lods[i]);
    }
    /* Each offset from each position, with a budget crossing segment ends. */
    for (int i = 0; i < 400; i++) {
        for (int32_t d = 0; d <= lods[i]; d++) {
            read_ok(p, bases[i] + d, 700, &out);
            int n = walk(out.p, out.len, got, NULL);
            cr_assert_geq(n, 1);
            cr_assert_eq(got[0], bases[i]);
            for (int k = 1; k < n; k++)
                cr_assert_eq(got[k], bases[i + k], "batch %d after %d", k, i);
            cr_assert(out.len <= 700 || n == 1);
        }
    }
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, read_middle_of_batch)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    append(p, 10, 5, 1, 1);
    cr_assert_eq(append(p, 5, 5, 1, 2), 10);
    append(p, 3, 5, 1, 3);
    rn_buf out = {0};
    read_ok(p, 12, 1, &out);
    cr_assert_eq(first_base(&out), 10);
    cr_assert_eq(walk(out.p, out.len, NULL, NULL), 1);
    read_ok(p, 14, 1, &out);
    cr_assert_eq(first_base(&out), 10);
    read_ok(p, 15, 1, &out);
    cr_assert_eq(first_base(&out), 15);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, max_bytes_and_kip74)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    rn_buf b = {0};
    make_batch(&b, 1, 100, 1, 0);
    size_t blen = b.len;
    rn_buf_fini(&b);
    for (int i = 0; i < 10; i++)
        append(p, 1, 100, 1, (uint8_t)i);
    rn_buf out = {0};
    read_ok(p, 0, 2 * blen + blen / 2, &out);
    cr_assert_eq(out.len, 2 * blen);
    read_ok(p, 0, 2 * blen, &out);
    cr_assert_eq(out.len, 2 * blen);
    read_ok(p, 3, 10, &out); /* smaller than one batch: still one (KIP-74) */
    cr_assert_eq(out.len, blen);
    cr_assert_eq(first_base(&out), 3);
    read_ok(p, 9, 0, &out);
    cr_assert_eq(out.len, blen);
    read_ok(p, 10, 1000, &out); /* at the end: nothing */
    cr_assert_eq(out.len, 0);
    /* A large batch after small ones: the budget stops before it. */
    append(p, 1, 5000, 1, 9);
    read_ok(p, 8, 3 * blen, &out);
    cr_assert_eq(out.len, 2 * blen);
    read_ok(p, 10, 3 * blen, &out);
    cr_assert_gt(out.len, 5000);
    cr_assert_eq(walk(out.p, out.len, NULL, NULL), 1);
    /* Appends to a caller's buffer that already holds bytes. */
    out.len = 0;
    rn_buf_append(&out, "xyz", 3);
    rn_err err;
    cr_assert_eq(rn_partition_read(p, 0, blen, &out, &err), RN_OK);
    cr_assert_eq(out.len, 3 + blen);
    cr_assert_eq(memcmp(out.p, "xyz", 3), 0);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, read_range_errors)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    rn_buf out = {0};
    rn_err err;
    read_ok(p, 0, 100, &out);
    cr_assert_eq(out.len, 0);
    append(p, 2, 10, 1, 0);
    cr_assert_eq(rn_partition_read(p, 3, 100, &out, &err), RN_ERANGE);
    cr_assert_eq(rn_partition_read(p, -1, 100, &out, &err), RN_ERANGE);
    cr_assert_eq(out.len, 0);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, append_rejects_non_batches)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    rn_buf b = {0};
    make_batch(&b, 1, 10, 1, 0);
    rn_err err;
    int64_t base;
    cr_assert_eq(rn_partition_append(p, b.p, b.len - 1, 1, &base, &err), RN_EINVAL);
    b.p[16] = 1;
    cr_assert_eq(rn_partition_append(p, b.p, b.len, 1, &base, &err), RN_EINVAL);
    cr_assert_eq(rn_partition_append(p, b.p, 20, 1, &base, &err), RN_EINVAL);
    cr_assert_eq(rn_partition_log_end(p), 0);
    rn_buf_fini(&b);
    rn_log_close(log);
}

Test(log, bad_names_and_double_open)
{
    rn_log *log = open_log();
    rn_partition *p;
    rn_err err;
    cr_assert_eq(rn_partition_open(log, "../x", 0, NULL, &p, &err), RN_EINVAL);
    cr_assert_eq(rn_partition_open(log, "..", 0, NULL, &p, &err), RN_EINVAL);
    cr_assert_eq(rn_partition_open(log, "", 0, NULL, &p, &err), RN_EINVAL);
    cr_assert_eq(rn_partition_open(log, "a/b", 0, NULL, &p, &err), RN_EINVAL);
    cr_assert_eq(rn_partition_open(log, "t", -1, NULL, &p, &err), RN_EINVAL);
    rn_partition *q = open_part(log, NULL);
    cr_assert_eq(rn_partition_open(log, "t", 0, NULL, &p, &err), RN_ECONFLICT);
    cr_assert_eq(rn_log_find(log, "t", 0), q);
    cr_assert_null(rn_log_find(log, "t", 1));
    rn_log_close(log);
}

Test(log, segment_ms_rolls)
{
    rn_log *log = open_log();
    rn_log_config cfg = small_cfg(1 << 20, 4096);
    cfg.segment_ms = 30;
    rn_partition *p = open_part(log, &cfg);
    append(p, 1, 10, 1, 0);
    append(p, 1, 10, 1, 0);
    cr_assert_eq(rn_partition_segment_count(p), 1);
    usleep(60 * 1000);
    cr_assert_eq(append(p, 1, 10, 1, 0), 2);
    cr_assert_eq(rn_partition_segment_count(p), 2);
    rn_buf out = {0};
    read_all(p, &out);
    cr_assert_eq(walk(out.p, out.len, NULL, NULL), 3);
    rn_buf_fini(&out);
    rn_log_close(log);
}

/* ------------------------------------------------------------------ reopen, recovery */

Test(log, reopen_identical)
{
    rn_log_config cfg = small_cfg(3000, 500);
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    for (int i = 0; i < 200; i++)
        append(p, 1 + i % 3, (size_t)(i * 13 % 150), 100 + i, (uint8_t)i);
    int64_t end = rn_partition_log_end(p), size = rn_partition_size_bytes(p);
    int32_t nseg = rn_partition_segment_count(p);
    rn_buf before = {0}, after = {0};
    read_all(p, &before);
    rn_log_close(log);
    cr_assert_eq(count_files(".index"), nseg);

    log = open_log();
    p = open_part(log, &cfg);
    cr_assert_eq(rn_partition_log_end(p), end);
    cr_assert_eq(rn_partition_size_bytes(p), size);
    cr_assert_eq(rn_partition_segment_count(p), nseg);
    cr_assert_eq(rn_partition_log_start(p), 0);
    read_all(p, &after);
    cr_assert_eq(before.len, after.len);
    cr_assert_eq(memcmp(before.p, after.p, before.len), 0);
    for (int64_t off = 0; off < end; off += 7) {
        read_ok(p, off, 1, &after);
        int64_t b[1];
        int32_t l[1];
        walk(after.p, after.len, b, l);
        cr_assert(b[0] <= off && off <= b[0] + l[0]);
    }
    cr_assert_eq(append(p, 1, 10, 1, 0), end);
    rn_log_stats st;
    rn_log_get_stats(log, &st);
    cr_assert_eq(st.recovered_truncations, 0);
    rn_buf_fini(&before);
    rn_buf_fini(&after);
    rn_log_close(log);
}

/* Appends n batches, closes, damages the last segment with damage(path, last batch
 * position), reopens; expects exactly the first n-1 batches back and one truncation. */
static void torn_case(void (*damage)(const char *path, off_t last_pos, off_t size), int drop)
{
    rn_log_config cfg = small_cfg(4000, 256);
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    int64_t bases[60];
    for (int i = 0; i < 60; i++)
        bases[i] = append(p, 2, 100, 10 + i, (uint8_t)i);
    rn_buf before = {0};
    read_all(p, &before);
    rn_log_close(log);

    char path[256];
    last_segment(path, sizeof path, ".log");
    off_t size = file_size(path);
    /* Position of the last batch: walk the file. */
    int fd = open(path, O_RDONLY);
    off_t pos = 0, last = 0;
    uint8_t h[12];
    while (pos < size) {
        cr_assert_eq(pread(fd, h, 12, pos), 12);
        last = pos;
        pos += rn_be32_load(h + 8) + 12;
    }
    close(fd);
    damage(path, last, size);

    log = open_log();
    p = open_part(log, &cfg);
    int keep = drop ? 59 : 60;
    int64_t end = drop ? bases[59] : bases[59] + 2;
    cr_assert_eq(rn_partition_log_end(p), end);
    rn_buf after = {0};
    read_all(p, &after);
    cr_assert_eq(walk(after.p, after.len, NULL, NULL), keep);
    cr_assert_eq(memcmp(before.p, after.p, after.len), 0);
    cr_assert_eq(file_size(path), drop ? last : size);
    rn_log_stats st;
    rn_log_get_stats(log, &st);
    cr_assert_eq(st.recovered_truncations, 1);
    /* The log continues right after the good batches. */
    cr_assert_eq(append(p, 1, 10, 1, 0), end);
    read_ok(p, end, 1, &after);
    cr_assert_eq(first_base(&after), end);
    rn_buf_fini(&before);
    rn_buf_fini(&after);
    rn_log_close(log);
}

static void cut_mid_batch(const char *path, off_t last, off_t size)
{
    cr_assert_eq(truncate(path, last + (size - last) / 2), 0);
}

static void cut_mid_header(const char *path, off_t last, off_t size)
{
    (void)size;
    cr_assert_eq(truncate(path, last + 30), 0);
}

static void flip_crc_byte(const char *path, off_t last, off_t size)
{
    int fd = open(path, O_RDWR);
    uint8_t c;
    off_t at = last + (size - last) - 3; /* inside the records */
    cr_assert_eq(pread(fd, &c, 1, at), 1);
    c ^= 0x40;
    cr_assert_eq(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

static void add_zeros(const char *path, off_t last, off_t size)
{
    (void)last;
    cr_assert_eq(truncate(path, size + 4096), 0);
}

Test(log, torn_tail_mid_batch)
{
    torn_case(cut_mid_batch, 1);
}

Test(log, torn_tail_mid_header)
{
    torn_case(cut_mid_header, 1);
}

Test(log, torn_tail_bad_crc)
{
    torn_case(flip_crc_byte, 1);
}

Test(log, torn_tail_trailing_zeros)
{
    torn_case(add_zeros, 0);
}

Test(log, torn_tail_offset_gap)
{
    /* A batch whose base does not follow its predecessor (CRC still valid: the base is
     * not covered) is as bad as a torn one. */
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    for (int i = 0; i < 5; i++)
        append(p, 2, 20, 1, 0);
    rn_log_close(log);
    char path[256];
    last_segment(path, sizeof path, ".log");
    off_t size = file_size(path);
    off_t each = size / 5;
    int fd = open(path, O_RDWR);
    uint8_t b[8];
    rn_be64_store(b, 99);
    cr_assert_eq(pwrite(fd, b, 8, 3 * each), 8);
    close(fd);
    log = open_log();
    p = open_part(log, NULL);
    cr_assert_eq(rn_partition_log_end(p), 6);
    cr_assert_eq(file_size(path), 3 * each);
    rn_log_close(log);
}

Test(log, missing_and_stale_indexes_rebuilt)
{
    rn_log_config cfg = small_cfg(3000, 200);
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    for (int i = 0; i < 150; i++)
        append(p, 3, 60, 1000 + i * 10, (uint8_t)i);
    rn_buf before = {0}, after = {0};
    read_all(p, &before);
    int64_t end = rn_partition_log_end(p);
    rn_log_close(log);

    char first[256], second[256], third[256];
    snprintf(first, sizeof first, "%s/%020d.index", part_dir, 0);
    cr_assert_eq(unlink(first), 0); /* missing */
    DIR *d = opendir(part_dir);
    struct dirent *de;
    char names[64][32];
    int n = 0;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".index") && n < 64) strcpy(names[n++], de->d_name);
    closedir(d);
    cr_assert_geq(n, 3);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    snprintf(second, sizeof second, "%s/%s", part_dir, names[0]);
    cr_assert_eq(truncate(second, file_size(second) - 5), 0); /* torn */
    snprintf(third, sizeof third, "%s/%s", part_dir, names[1]);
    int fd = open(third, O_RDWR); /* an entry changed: CRC mismatch */
    uint8_t c = 0x5a;
    cr_assert_eq(pwrite(fd, &c, 1, 66), 1);
    close(fd);
    /* and a time index removed */
    snprintf(first + strlen(first) - 6, 16, ".timeindex");
    char ti[256];
    snprintf(ti, sizeof ti, "%s", second);
    snprintf(ti + strlen(ti) - 6, 16, ".timeindex");
    cr_assert_eq(unlink(ti), 0);

    log = open_log();
    p = open_part(log, &cfg);
    cr_assert_eq(rn_partition_log_end(p), end);
    read_all(p, &after);
    cr_assert_eq(before.len, after.len);
    cr_assert_eq(memcmp(before.p, after.p, before.len), 0);
    for (int64_t off = 0; off < end; off += 5) {
        read_ok(p, off, 1, &after);
        int64_t b[1];
        int32_t l[1];
        walk(after.p, after.len, b, l);
        cr_assert(b[0] <= off && off <= b[0] + l[0]);
    }
    int64_t o, ts;
    rn_err err;
    cr_assert_eq(rn_partition_offset_for_time(p, 1000 + 75 * 10, &o, &ts, &err), RN_OK);
    cr_assert_eq(o, 75 * 3);
    rn_log_stats st;
    rn_log_get_stats(log, &st);
    cr_assert_eq(st.recovered_truncations, 0);
    rn_log_close(log);
    /* Rewritten at open, so all are back and valid. */
    cr_assert_eq(count_files(".index"), count_files(".log"));
    cr_assert_eq(count_files(".timeindex"), count_files(".log"));
    rn_buf_fini(&before);
    rn_buf_fini(&after);
}

Test(log, torn_closed_segment_drops_later_segments)
{
    /* A closed segment with a stale index and a torn tail (a crash right after a roll
     * before its data reached the disk): truncated, and every later segment removed. */
    rn_log_config cfg = small_cfg(2000, 200);
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    for (int i = 0; i < 100; i++)
        append(p, 1, 100, 1, (uint8_t)i);
    int32_t nseg = rn_partition_segment_count(p);
    cr_assert_geq(nseg, 4);
    rn_log_close(log);

    char names[64][32];
    int n = 0;
    DIR *d = opendir(part_dir);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".log") && n < 64) strcpy(names[n++], de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", part_dir, names[1]);
    off_t size = file_size(path);
    cr_assert_eq(truncate(path, size - 10), 0);
    int64_t second_base = strtoll(names[1], NULL, 10);
    int64_t third_base = strtoll(names[2], NULL, 10);

    log = open_log();
    p = open_part(log, &cfg);
    cr_assert_eq(rn_partition_segment_count(p), 2);
    cr_assert_eq(rn_partition_log_end(p), third_base - 1);
    cr_assert_gt(third_base - 1, second_base);
    cr_assert_eq(count_files(".log"), 2);
    cr_assert_eq(count_files(".index"), 1); /* only the closed first segment's */
    rn_buf out = {0};
    read_all(p, &out);
    cr_assert_eq(walk(out.p, out.len, NULL, NULL), (int)(third_base - 1));
    cr_assert_eq(append(p, 1, 10, 1, 0), third_base - 1);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, stray_files_removed)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    append(p, 1, 10, 1, 0);
    rn_log_close(log);
    char path[256];
    snprintf(path, sizeof path, "%s/%020d.index", part_dir, 500);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    close(fd);
    snprintf(path, sizeof path, "%s/log-start-offset.tmp", part_dir);
    fd = open(path, O_CREAT | O_WRONLY, 0644);
    close(fd);
    log = open_log();
    p = open_part(log, NULL);
    cr_assert_eq(rn_partition_log_end(p), 1);
    cr_assert_eq(count_files(".tmp"), 0);
    snprintf(path, sizeof path, "%s/%020d.index", part_dir, 500);
    cr_assert_neq(access(path, F_OK), 0);
    rn_log_close(log);
}

/* ------------------------------------------------------------------ trimming */

/* Bases of the segment files on disk, ascending. */
static int segment_bases(int64_t *out, int max)
{
    DIR *d = opendir(part_dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strlen(de->d_name) == 24 && strstr(de->d_name, ".log") && n < max)
            out[n++] = strtoll(de->d_name, NULL, 10);
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            int64_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

Test(log, retention_by_bytes)
{
    rn_log_config cfg = small_cfg(1000, 4096);
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    int64_t now = rn_now_ms();
    for (int i = 0; i < 100; i++)
        append(p, 1, 100, now, (uint8_t)i);
    int32_t nseg = rn_partition_segment_count(p);
    cr_assert_gt(nseg, 10);
    rn_err err;
    cr_assert_eq(rn_partition_apply_retention(p, now, &err), 0);

    cfg.retention_bytes = 3000;
    rn_partition_set_config(p, &cfg);
    int deleted = rn_partition_apply_retention(p, now, &err);
    cr_assert_gt(deleted, 0, "%s", err.msg);
    cr_assert_eq(rn_partition_segment_count(p), nseg - deleted);
    cr_assert_leq(rn_partition_size_bytes(p), 3000);
    cr_assert_eq(count_files(".log"), nseg - deleted);
    /* One more segment would have fit? No: the oldest kept one is needed to stay >=. */
    int64_t bases[64];
    int n = segment_bases(bases, 64);
    cr_assert_eq(n, nseg - deleted);
    cr_assert_eq(rn_partition_log_start(p), bases[0]);
    rn_buf out = {0};
    cr_assert_eq(rn_partition_read(p, bases[0] - 1, 100, &out, &err), RN_ERANGE);
    read_ok(p, bases[0], 1, &out);
    cr_assert_eq(first_base(&out), bases[0]);
    read_all(p, &out);
    cr_assert_eq((int64_t)out.len, rn_partition_size_bytes(p));

    /* retention.bytes 0: everything but the active segment goes. */
    cfg.retention_bytes = 0;
    rn_partition_set_config(p, &cfg);
    cr_assert_eq(rn_partition_apply_retention(p, now, &err), n - 1);
    cr_assert_eq(rn_partition_segment_count(p), 1);
    cr_assert_eq(rn_partition_log_end(p), 100);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, retention_by_time)
{
    rn_log_config cfg = small_cfg(1000, 4096);
    cfg.retention_ms = 3600 * 1000;
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    int64_t now = rn_now_ms();
    for (int i = 0; i < 100; i++)
        append(p, 1, 100, i < 50 ? 1000 + i : now - 1000 + i, (uint8_t)i);
    int64_t bases[64];
    int n = segment_bases(bases, 64);
    int keep_from = 0; /* the segment holding offset 50, the first recent batch */
    while (keep_from + 1 < n && bases[keep_from + 1] <= 50)
        keep_from++;
    rn_err err;
    cr_assert_eq(rn_partition_apply_retention(p, now, &err), keep_from, "%s", err.msg);
    cr_assert_eq(rn_partition_log_start(p), bases[keep_from]);
    cr_assert_eq(rn_partition_segment_count(p), n - keep_from);
    cr_assert_eq(rn_partition_apply_retention(p, now, &err), 0);
    /* Much later, everything has expired, but the active segment is never deleted... */
    int64_t later = now + 2 * 3600 * 1000;
    int32_t before = rn_partition_segment_count(p);
    cr_assert_eq(rn_partition_apply_retention(p, later, &err), before - 1);
    cr_assert_eq(rn_partition_segment_count(p), 1);
    cr_assert_eq(rn_partition_log_end(p), 100);
    /* ...unless it is older than segment.ms: then it is rolled and can expire. */
    cfg.segment_ms = 1000;
    rn_partition_set_config(p, &cfg);
    cr_assert_eq(rn_partition_apply_retention(p, later, &err), 1);
    cr_assert_eq(rn_partition_segment_count(p), 1);
    cr_assert_eq(rn_partition_log_start(p), 100);
    cr_assert_eq(rn_partition_log_end(p), 100);
    rn_buf out = {0};
    read_ok(p, 100, 1000, &out);
    cr_assert_eq(out.len, 0);
    cr_assert_eq(append(p, 1, 1, now, 0), 100);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, delete_before_persists)
{
    rn_log_config cfg = small_cfg(1000, 4096);
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    for (int i = 0; i < 100; i++)
        append(p, 1, 100, 1, (uint8_t)i);
    int32_t nseg = rn_partition_segment_count(p);
    rn_err err;
    cr_assert_eq(rn_partition_delete_before(p, 37, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(rn_partition_log_start(p), 37);
    cr_assert_lt(rn_partition_segment_count(p), nseg);
    int64_t bases[64];
    segment_bases(bases, 64);
    cr_assert_leq(bases[0], 37);
    rn_buf out = {0};
    cr_assert_eq(rn_partition_read(p, 36, 100, &out, &err), RN_ERANGE);
    read_ok(p, 37, 1, &out);
    cr_assert_eq(first_base(&out), 37);
    cr_assert_eq(rn_partition_delete_before(p, 20, &err), RN_OK); /* no-op */
    cr_assert_eq(rn_partition_log_start(p), 37);
    cr_assert_eq(rn_partition_delete_before(p, 101, &err), RN_ERANGE);
    int64_t o, ts;
    cr_assert_eq(rn_partition_offset_for_time(p, 0, &o, &ts, &err), RN_OK);
    cr_assert_eq(o, 37);
    rn_log_close(log);

    log = open_log();
    p = open_part(log, &cfg);
    cr_assert_eq(rn_partition_log_start(p), 37);
    cr_assert_eq(rn_partition_log_end(p), 100);
    cr_assert_eq(rn_partition_read(p, 36, 100, &out, &err), RN_ERANGE);
    cr_assert_eq(rn_partition_delete_before(p, 100, &err), RN_OK);
    cr_assert_eq(rn_partition_segment_count(p), 1);
    cr_assert_eq(append(p, 1, 1, 1, 0), 100);
    rn_log_close(log);

    log = open_log();
    p = open_part(log, &cfg);
    cr_assert_eq(rn_partition_log_start(p), 100);
    cr_assert_eq(rn_partition_log_end(p), 101);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, log_start_past_recovered_end)
{
    /* DeleteRecords made durable, the data below it not (crash): the log restarts empty
     * at the start offset instead of reusing offsets. */
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    for (int i = 0; i < 10; i++)
        append(p, 1, 10, 1, 0);
    rn_err err;
    cr_assert_eq(rn_partition_delete_before(p, 10, &err), RN_OK);
    rn_log_close(log);
    char path[256];
    snprintf(path, sizeof path, "%s/%020d.log", part_dir, 0);
    cr_assert_eq(truncate(path, 0), 0);
    log = open_log();
    p = open_part(log, NULL);
    cr_assert_eq(rn_partition_log_start(p), 10);
    cr_assert_eq(rn_partition_log_end(p), 10);
    cr_assert_eq(append(p, 1, 10, 1, 0), 10);
    cr_assert_neq(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/%020d.log", part_dir, 10);
    cr_assert_eq(access(path, F_OK), 0);
    rn_log_close(log);
}

Test(log, offset_for_time)
{
    rn_log_config cfg = small_cfg(2000, 150);
    rn_log *log = open_log();
    rn_partition *p = open_part(log, &cfg);
    int64_t ts[300], base[300];
    for (int i = 0; i < 300; i++) {
        ts[i] = i % 7 == 3 ? 500 : 1000 + 10 * i; /* some late, out-of-order batches */
        base[i] = append(p, 2, 40, ts[i], (uint8_t)i);
    }
    cr_assert_gt(rn_partition_segment_count(p), 5);
    rn_err err;
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t t = 0; t < 4200; t += 3) {
            int want = -1;
            for (int i = 0; i < 300 && want < 0; i++)
                if (ts[i] >= t) want = i;
            int64_t o, f;
            cr_assert_eq(rn_partition_offset_for_time(p, t, &o, &f, &err), RN_OK);
            if (want < 0) {
                cr_assert_eq(o, -1, "t=%" PRId64, t);
                cr_assert_eq(f, -1);
            } else {
                cr_assert_eq(o, base[want], "t=%" PRId64 ": got %" PRId64 " want %" PRId64, t, o,
                             base[want]);
                cr_assert_eq(f, ts[want]);
            }
        }
        /* Same answers from rebuilt-at-open state. */
        rn_log_close(log);
        log = open_log();
        p = open_part(log, &cfg);
    }
    rn_log_close(log);
}

struct lister {
    int n;
    char names[8][64];
};

static int list_cb(void *arg, const char *name)
{
    struct lister *x = arg;
    if (x->n < 8) snprintf(x->names[x->n], 64, "%s", name);
    x->n++;
    return 0;
}

static int has_name(const struct lister *l, const char *name)
{
    for (int i = 0; i < l->n && i < 8; i++)
        if (!strcmp(l->names[i], name)) return 1;
    return 0;
}

Test(log, list_and_remove)
{
    rn_log *log = open_log();
    rn_partition *a, *b, *c;
    rn_err err;
    cr_assert_eq(rn_partition_open(log, "t", 0, NULL, &a, &err), RN_OK);
    cr_assert_eq(rn_partition_open(log, "t", 1, NULL, &b, &err), RN_OK);
    cr_assert_eq(rn_partition_open(log, "u.v_w", 3, NULL, &c, &err), RN_OK);
    append(b, 1, 10, 1, 0);
    struct lister l = {0};
    cr_assert_eq(rn_log_list_dirs(log, list_cb, &l, &err), RN_OK);
    cr_assert_eq(l.n, 3);
    cr_assert(has_name(&l, "t-0") && has_name(&l, "t-1") && has_name(&l, "u.v_w-3"));

    cr_assert_eq(rn_partition_remove(log, "t", 1, &err), RN_OK, "%s", err.msg);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/topics/t-1", data_dir);
    cr_assert_neq(access(dir, F_OK), 0);
    snprintf(dir, sizeof dir, "%s/topics/t-1.deleted", data_dir);
    cr_assert_neq(access(dir, F_OK), 0);
    cr_assert_null(rn_log_find(log, "t", 1));
    l.n = 0;
    cr_assert_eq(rn_log_list_dirs(log, list_cb, &l, &err), RN_OK);
    cr_assert_eq(l.n, 2);
    cr_assert(!has_name(&l, "t-1"));
    cr_assert_eq(rn_partition_remove(log, "t", 7, &err), RN_OK); /* never existed */
    /* A removal interrupted by a crash is finished at the next open. */
    snprintf(dir, sizeof dir, "%s/topics/x-0.deleted", data_dir);
    cr_assert_eq(mkdir(dir, 0755), 0);
    char f[300];
    snprintf(f, sizeof f, "%s/00000000000000000000.log", dir);
    close(open(f, O_CREAT | O_WRONLY, 0644));
    rn_log_close(log);
    log = open_log();
    cr_assert_neq(access(dir, F_OK), 0);
    rn_log_close(log);
}

Test(log, no_fd_leaks)
{
    int before = count_fds();
    rn_log_config cfg = small_cfg(800, 100);
    cfg.retention_bytes = 2000;
    for (int round = 0; round < 2; round++) {
        rn_log *log = open_log();
        rn_partition *p = open_part(log, &cfg);
        for (int i = 0; i < 60; i++)
            append(p, 1, 100, 1, 0);
        rn_err err;
        cr_assert_geq(rn_partition_apply_retention(p, rn_now_ms(), &err), 0);
        rn_partition_close(p);
        rn_log_close(log);
    }
    cr_assert_eq(count_fds(), before);
}

/* ------------------------------------------------------------------ sync and faults */

/* A fileops table that fails or slows chosen calls. The flusher thread calls fdatasync,
 * hence the atomics. */
static atomic_int fdatasync_calls;
static atomic_int fdatasync_delay_ms;
static char fail_sync_match[64]; /* fail fdatasync on files whose path contains this */
static atomic_int fail_dir_fsync;
static int pwrite_mode; /* see f_pwrite */
static int pwrite_calls;

static int f_open(const char *path, int flags, mode_t mode)
{
    return rn_fileops_posix.open(path, flags, mode);
}

static int f_fdatasync(int fd)
{
    atomic_fetch_add(&fdatasync_calls, 1);
    int ms = atomic_load(&fdatasync_delay_ms);
    if (ms) usleep((useconds_t)ms * 1000);
    if (fail_sync_match[0]) {
        char link[64], target[512];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        if (strstr(target, fail_sync_match)) {
            errno = EIO;
            return -1;
        }
    }
    return fdatasync(fd);
}

/* pwrite_mode: 0 pass through; 1 write half once, then pass through; 2 write half once,
 * then fail with ENOSPC; 3 fail with ENOSPC. */
static ssize_t f_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    pwrite_calls++;
    switch (pwrite_mode) {
    case 1:
        pwrite_mode = 0;
        return pwrite(fd, buf, len / 2, off);
    case 2:
        pwrite_mode = 3;
        return pwrite(fd, buf, len / 2, off);
    case 3:
        errno = ENOSPC;
        return -1;
    default:
        return pwrite(fd, buf, len, off);
    }
}

static int f_fsync(int fd)
{
    if (atomic_load(&fail_dir_fsync)) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

static const rn_fileops fault_ops = {
    .open = f_open,
    .close = close,
    .pwrite = f_pwrite,
    .pread = pread,
    .fdatasync = f_fdatasync,
    .fsync = f_fsync,
    .ftruncate = ftruncate,
    .rename = rename,
    .unlink = unlink,
};

static rn_log *open_fault_log(void)
{
    rn_log *log;
    rn_err err;
    int rc = rn_log_open(data_dir, &loop, &fault_ops, &log, &err);
    cr_assert_eq(rc, RN_OK, "%s", err.msg);
    return log;
}

typedef struct sync_rec {
    int calls;
    int status;
} sync_rec;

static void on_sync(void *arg, int status)
{
    sync_rec *r = arg;
    r->calls++;
    r->status = status;
}

Test(log, sync_completes_ok)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    append(p, 3, 100, 1, 0);
    sync_rec r = {0, 99};
    cr_assert_eq(rn_log_sync(log, p, on_sync, &r), RN_OK);
    cr_assert_eq(r.calls, 0, "the callback must not run inside rn_log_sync");
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once nothing is owed */
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.status, RN_OK);
    /* With nothing new written, a sync still completes (after any pass in flight). */
    cr_assert_eq(rn_log_sync(log, p, on_sync, &r), RN_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(r.calls, 2);
    rn_log_stats st;
    rn_log_get_stats(log, &st);
    cr_assert_geq(st.syncs, 2);
    cr_assert_eq(st.sync_waiters, 2);
    cr_assert_eq(st.appends, 1);
    rn_log_close(log);
}

Test(log, group_commit)
{
    atomic_store(&fdatasync_delay_ms, 30); /* a slow disk: requests pile up */
    rn_log *log = open_fault_log();
    rn_partition *p[4];
    for (int i = 0; i < 4; i++) {
        rn_err err;
        cr_assert_eq(rn_partition_open(log, "g", i, NULL, &p[i], &err), RN_OK);
        append(p[i], 2, 50, 1, 0);
    }
    rn_log_stats st0, st;
    rn_log_get_stats(log, &st0);
    int calls0 = atomic_load(&fdatasync_calls);
    sync_rec r[100];
    for (int i = 0; i < 100; i++) {
        r[i] = (sync_rec){0, 99};
        if (i % 10 == 0) append(p[i % 4], 1, 10, 1, 0);
        cr_assert_eq(rn_log_sync(log, p[i % 4], on_sync, &r[i]), RN_OK);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(r[i].calls, 1);
        cr_assert_eq(r[i].status, RN_OK);
    }
    rn_log_get_stats(log, &st);
    cr_assert_eq(st.sync_waiters - st0.sync_waiters, 100);
    cr_assert_leq(st.syncs - st0.syncs, 3, "%" PRIu64 " passes for 100 requests",
                  st.syncs - st0.syncs);
    /* Each file at most once per pass. */
    cr_assert_leq(atomic_load(&fdatasync_calls) - calls0, 4 * (int)(st.syncs - st0.syncs));
    rn_log_close(log);
}

Test(log, fsync_eio_poisons_partition)
{
    rn_log *log = open_fault_log();
    rn_partition *bad, *good;
    rn_err err;
    cr_assert_eq(rn_partition_open(log, "bad", 0, NULL, &bad, &err), RN_OK);
    cr_assert_eq(rn_partition_open(log, "good", 0, NULL, &good, &err), RN_OK);
    append(bad, 1, 10, 1, 0);
    append(good, 1, 10, 1, 0);
    snprintf(fail_sync_match, sizeof fail_sync_match, "/bad-0/");
    sync_rec rb = {0, 99}, rg = {0, 99};
    cr_assert_eq(rn_log_sync(log, bad, on_sync, &rb), RN_OK);
    cr_assert_eq(rn_log_sync(log, good, on_sync, &rg), RN_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(rb.calls, 1);
    cr_assert_eq(rb.status, RN_EIO);
    cr_assert_eq(rg.calls, 1);
    cr_assert_eq(rg.status, RN_OK);
    cr_assert(rn_partition_failed(bad));
    cr_assert(!rn_partition_failed(good));

    /* Even if the disk recovers, nothing more is accepted or reported durable. */
    fail_sync_match[0] = '\0';
    rn_buf b = {0};
    make_batch(&b, 1, 10, 1, 0);
    int64_t base;
    cr_assert_eq(rn_partition_append(bad, b.p, b.len, 1, &base, &err), RN_EIO);
    cr_assert_eq(rn_log_sync(log, bad, on_sync, &rb), RN_EIO);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(rb.calls, 1, "a refused sync must not call back");
    cr_assert_eq(rn_partition_log_end(bad), 1);
    append(good, 1, 10, 1, 0);

    /* Reopening recovers it. */
    rn_partition_close(bad);
    cr_assert_eq(rn_partition_open(log, "bad", 0, NULL, &bad, &err), RN_OK);
    cr_assert(!rn_partition_failed(bad));
    cr_assert_eq(rn_partition_append(bad, b.p, b.len, 1, &base, &err), RN_OK);
    cr_assert_eq(base, 1);
    rn_buf_fini(&b);
    rn_log_close(log);
}

/* Appends 3 batches, then one under pwrite_mode `mode`; expects failure with `code`
 * and the log exactly as before, on disk and in memory. */
static void failed_write_case(int mode, int code)
{
    rn_log *log = open_fault_log();
    rn_partition *p = open_part(log, NULL);
    for (int i = 0; i < 3; i++)
        append(p, 2, 100, 1, (uint8_t)i);
    rn_buf before = {0}, after = {0};
    read_all(p, &before);
    char path[256];
    last_segment(path, sizeof path, ".log");
    off_t fsize = file_size(path);
    int64_t size = rn_partition_size_bytes(p);

    rn_buf b = {0};
    make_batch(&b, 4, 300, 1, 9);
    rn_err err;
    int64_t base = -1;
    pwrite_mode = mode;
    cr_assert_eq(rn_partition_append(p, b.p, b.len, 1, &base, &err), code);
    pwrite_mode = 0;
    cr_assert(strstr(err.msg, ".log"), "message should name the file: %s", err.msg);
    cr_assert_eq(base, -1);
    cr_assert_eq(rn_partition_log_end(p), 6);
    cr_assert_eq(rn_partition_size_bytes(p), size);
    cr_assert_eq(file_size(path), fsize);
    read_all(p, &after);
    cr_assert_eq(after.len, before.len);
    cr_assert_eq(memcmp(after.p, before.p, before.len), 0);
    cr_assert(!rn_partition_failed(p));

    /* The space comes back: the next append takes the same offset. */
    make_batch(&b, 4, 300, 1, 9);
    cr_assert_eq(rn_partition_append(p, b.p, b.len, 1, &base, &err), RN_OK);
    cr_assert_eq(base, 6);
    rn_log_close(log);
    log = open_log();
    p = open_part(log, NULL);
    cr_assert_eq(rn_partition_log_end(p), 10);
    rn_log_stats st;
    rn_log_get_stats(log, &st);
    cr_assert_eq(st.recovered_truncations, 0);
    rn_buf_fini(&b);
    rn_buf_fini(&before);
    rn_buf_fini(&after);
    rn_log_close(log);
}

Test(log, short_write_then_enospc_leaves_log_unchanged)
{
    failed_write_case(2, RN_ENOSPC);
}

Test(log, enospc_leaves_log_unchanged)
{
    failed_write_case(3, RN_ENOSPC);
}

Test(log, short_write_is_retried)
{
    rn_log *log = open_fault_log();
    rn_partition *p = open_part(log, NULL);
    append(p, 1, 10, 1, 0);
    rn_buf b = {0}, out = {0};
    make_batch(&b, 3, 500, 1, 7);
    rn_err err;
    int64_t base;
    pwrite_mode = 1;
    pwrite_calls = 0;
    cr_assert_eq(rn_partition_append(p, b.p, b.len, 1, &base, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(pwrite_calls, 2, "one short write, one for the rest");
    cr_assert_eq(base, 1);
    read_ok(p, 1, 1, &out);
    cr_assert_eq(out.len, b.len);
    cr_assert_eq(memcmp(out.p, b.p, b.len), 0); /* b was patched in place */
    rn_buf_fini(&b);
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, close_runs_pending_callbacks)
{
    atomic_store(&fdatasync_delay_ms, 20);
    rn_log *log = open_fault_log();
    rn_partition *p = open_part(log, NULL);
    rn_partition *q;
    rn_err err;
    cr_assert_eq(rn_partition_open(log, "q", 0, NULL, &q, &err), RN_OK);
    sync_rec r[3] = {{0, 99}, {0, 99}, {0, 99}}, rq = {0, 99};
    for (int i = 0; i < 3; i++) {
        append(p, 1, 10, 1, 0);
        cr_assert_eq(rn_log_sync(log, p, on_sync, &r[i]), RN_OK);
    }
    append(q, 1, 10, 1, 0);
    cr_assert_eq(rn_log_sync(log, q, on_sync, &rq), RN_OK);
    rn_partition_close(p);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(r[i].calls, 1);
        cr_assert_eq(r[i].status, RN_OK);
    }
    /* The log's close also finishes what is pending. */
    append(q, 1, 10, 1, 0);
    sync_rec rq2 = {0, 99};
    cr_assert_eq(rn_log_sync(log, q, on_sync, &rq2), RN_OK);
    rn_log_close(log);
    cr_assert_eq(rq.calls, 1);
    cr_assert_eq(rq2.calls, 1);
    cr_assert_eq(rq2.status, RN_OK);
}

/* A callback that appends and syncs again, until it has run `left` times. */
typedef struct chain {
    rn_log *log;
    rn_partition *p;
    int left, calls;
} chain;

static void on_chain(void *arg, int status)
{
    chain *c = arg;
    cr_assert_eq(status, RN_OK);
    c->calls++;
    if (--c->left > 0) {
        append(c->p, 1, 10, 1, 0);
        cr_assert_eq(rn_log_sync(c->log, c->p, on_chain, c), RN_OK);
    }
}

Test(log, callbacks_may_sync_again)
{
    rn_log *log = open_log();
    rn_partition *p = open_part(log, NULL);
    chain c = {log, p, 5, 0};
    append(p, 1, 10, 1, 0);
    cr_assert_eq(rn_log_sync(log, p, on_chain, &c), RN_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(c.calls, 5);
    cr_assert_eq(rn_partition_log_end(p), 5);
    rn_log_close(log);
}

Test(log, rolls_and_retention_while_syncing)
{
    /* Segments rolled and deleted while the flusher holds their fds: the fds stay open
     * until the pass ends, then are closed; nothing leaks, nothing fails. */
    int fds0 = count_fds();
    atomic_store(&fdatasync_delay_ms, 40);
    rn_log *log = open_fault_log();
    rn_log_config cfg = small_cfg(600, 100);
    rn_partition *p = open_part(log, &cfg);
    sync_rec r[20];
    for (int i = 0; i < 20; i++) {
        r[i] = (sync_rec){0, 99};
        for (int k = 0; k < 5; k++)
            append(p, 1, 100, 1, 0); /* ~one roll per round */
        cr_assert_eq(rn_log_sync(log, p, on_sync, &r[i]), RN_OK);
        cfg.retention_bytes = 0;
        rn_partition_set_config(p, &cfg);
        rn_err err;
        cr_assert_geq(rn_partition_apply_retention(p, rn_now_ms(), &err), 0, "%s", err.msg);
    }
    cr_assert_eq(rn_partition_segment_count(p), 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int i = 0; i < 20; i++)
        cr_assert_eq(r[i].status, RN_OK);
    rn_log_close(log);
    cr_assert_eq(count_fds(), fds0);
}

Test(log, remove_open_partition_with_pending_sync)
{
    atomic_store(&fdatasync_delay_ms, 20);
    rn_log *log = open_fault_log();
    rn_partition *p = open_part(log, NULL);
    append(p, 1, 10, 1, 0);
    sync_rec r = {0, 99};
    cr_assert_eq(rn_log_sync(log, p, on_sync, &r), RN_OK);
    rn_err err;
    cr_assert_eq(rn_partition_remove(log, "t", 0, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(r.calls, 1);
    cr_assert_neq(access(part_dir, F_OK), 0);
    rn_log_close(log);
}

Test(log, dir_fsync_failure_after_roll_fails_sync)
{
    rn_log *log = open_fault_log();
    rn_log_config cfg = small_cfg(500, 4096);
    rn_partition *p = open_part(log, &cfg);
    append(p, 1, 300, 1, 0);
    atomic_store(&fail_dir_fsync, 1);
    append(p, 1, 300, 1, 0); /* rolls: the new file's name needs the directory's fsync */
    cr_assert_eq(rn_partition_segment_count(p), 2);
    sync_rec r = {0, 99};
    int rc = rn_log_sync(log, p, on_sync, &r);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* The roll's background pass may have failed before the request was made. */
    if (rc == RN_OK) {
        cr_assert_eq(r.calls, 1);
        cr_assert_eq(r.status, RN_EIO);
    } else {
        cr_assert_eq(rc, RN_EIO);
        cr_assert_eq(r.calls, 0);
    }
    cr_assert(rn_partition_failed(p));
    atomic_store(&fail_dir_fsync, 0);
    rn_log_close(log);
}

Test(log, reads_interleaved_with_appends)
{
    rn_log *log = open_log();
    rn_log_config cfg = small_cfg(1500, 128);
    rn_partition *p = open_part(log, &cfg);
    rn_buf out = {0};
    for (int i = 0; i < 300; i++) {
        int64_t base = append(p, 1 + i % 3, (size_t)(i % 90), i, (uint8_t)i);
        read_ok(p, base, 1, &out);
        cr_assert_eq(first_base(&out), base);
        cr_assert_eq(walk(out.p, out.len, NULL, NULL), 1);
        int64_t mid = base / 2;
        read_ok(p, mid, 300, &out);
        int64_t b[64];
        int32_t l[64];
        int n = walk(out.p, out.len, b, l);
        cr_assert(b[0] <= mid && mid <= b[0] + l[0]);
        for (int k = 1; k < n; k++)
            cr_assert_eq(b[k], b[k - 1] + l[k - 1] + 1);
    }
    rn_buf_fini(&out);
    rn_log_close(log);
}

Test(log, index_files_written_at_roll)
{
    rn_log *log = open_log();
    rn_log_config cfg = small_cfg(3000, 200);
    rn_partition *p = open_part(log, &cfg);
    for (int i = 0; i < 40; i++)
        append(p, 1, 100, 1000 + i, (uint8_t)i);
    cr_assert_gt(rn_partition_segment_count(p), 1);
    char path[256];
    snprintf(path, sizeof path, "%s/%020d.index", part_dir, 0);
    /* Closed at the roll: present before close, with entries (every ~200 bytes). */
    cr_assert_gt(file_size(path), 64 + 8 * 5);
    snprintf(path, sizeof path, "%s/%020d.timeindex", part_dir, 0);
    cr_assert_gt(file_size(path), 32 + 12 * 5);
    rn_log_close(log);
}

Test(log, tail_offset)
{
    rn_log *log = open_log();
    rn_log_config cfg = small_cfg(1000, 4096);
    rn_partition *p = open_part(log, &cfg);
    cr_assert_eq(rn_partition_tail_offset(p, 1 << 20), 0);
    for (int i = 0; i < 50; i++)
        append(p, 1, 100, 1, 0);
    int64_t bases[64];
    int n = segment_bases(bases, 64);
    cr_assert_eq(rn_partition_tail_offset(p, 0), bases[n - 1]);
    cr_assert_eq(rn_partition_tail_offset(p, INT64_MAX), 0);
    rn_err err;
    cr_assert_eq(rn_partition_delete_before(p, bases[1] + 1, &err), RN_OK);
    cr_assert_eq(rn_partition_tail_offset(p, INT64_MAX), bases[1] + 1);
    rn_log_close(log);
}
