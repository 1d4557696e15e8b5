/*
 * tests/unit/record/test_record.c - unit tests for kafka/record: builder -> validate ->
 * iterate round trips for every codec, corruption and truncation detection, producer
 * field checks, decompression limits (bombs), xerial snappy framing, in-place patches
 * and hand-crafted malformed records.
 */
#include "kafka/record/record.h"

#include "common/crc32c.h"

#include <criterion/criterion.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static const int all_codecs[] = {RN_CODEC_NONE, RN_CODEC_GZIP, RN_CODEC_SNAPPY, RN_CODEC_LZ4,
                                 RN_CODEC_ZSTD};
#define NCODECS 5
#define MAX_DEC ((size_t)64 << 20)

/* ------------------------------------------------------------------ helpers */

/* Deterministic record i of a generated batch: what the builder is given and what the
 * iterator must give back. Exercises null/empty keys and values and up to 3 headers
 * (the third with a null value). */
typedef struct gen_rec {
    int64_t ts;
    char key[32];
    int32_t key_len;
    uint8_t *value; /* malloc'd */
    int32_t value_len;
    rn_record_header hdrs[3];
    char hkeys[3][16];
    char hvals[3][16];
    int32_t nhdrs;
} gen_rec;

static void gen(gen_rec *g, int i, size_t big)
{
    memset(g, 0, sizeof *g);
    g->ts = 1700000000000LL + (i % 11) * 7 - 20; /* some deltas negative */
    if (i % 3 == 0) {
        g->key_len = -1;
    } else if (i % 13 == 1) {
        g->key_len = 0;
    } else {
        g->key_len = snprintf(g->key, sizeof g->key, "key-%d", i);
    }
    if (i % 5 == 0) {
        g->value_len = -1;
    } else if (i % 7 == 0) {
        g->value_len = 0;
        g->value = malloc(1);
    } else {
        size_t n = big ? big : (size_t)(10 + i % 50);
        g->value = malloc(n);
        uint32_t x = (uint32_t)i * 2654435761u;
        for (size_t j = 0; j < n; j++) {
            /* half compressible text, half pseudo-random */
            x = x * 1103515245u + 12345u;
            g->value[j] = (j / 64) % 2 ? (uint8_t)(x >> 24) : (uint8_t)('a' + j % 26);
        }
        g->value_len = (int32_t)n;
    }
    g->nhdrs = i % 4;
    for (int h = 0; h < g->nhdrs; h++) {
        int kl = snprintf(g->hkeys[h], sizeof g->hkeys[h], "h%d", h);
        g->hdrs[h].key = (const uint8_t *)g->hkeys[h];
        g->hdrs[h].key_len = kl;
        if (h == 2) {
            g->hdrs[h].value = NULL;
            g->hdrs[h].value_len = -1;
        } else {
            int vl = snprintf(g->hvals[h], sizeof g->hvals[h], "v%d-%d", h, i);
            g->hdrs[h].value = (const uint8_t *)g->hvals[h];
            g->hdrs[h].value_len = h == 1 && i % 2 ? 0 : vl;
        }
    }
}

static void gen_free(gen_rec *g)
{
    free(g->value);
}

/* Builds a batch of n generated records into out. */
static void build(rn_buf *out, int codec, int n, size_t big)
{
    rn_batch_builder bb;
    rn_batch_builder_init(&bb, codec, 1700000000000LL);
    for (int i = 0; i < n; i++) {
        gen_rec g;
        gen(&g, i, big);
        cr_assert_eq(rn_batch_builder_add(&bb, g.ts, g.key, g.key_len, g.value, g.value_len, g.hdrs,
                                          g.nhdrs),
                     RN_OK);
        gen_free(&g);
    }
    rn_err err;
    cr_assert_eq(rn_batch_builder_finish(&bb, out, &err), RN_OK, "%s", err.msg);
    rn_batch_builder_fini(&bb);
}

static void check_bytes(const uint8_t *got, int32_t got_len, const void *want, int32_t want_len)
{
    cr_assert_eq(got_len, want_len);
    if (want_len < 0)
        cr_assert_null(got);
    else
        cr_assert(want_len == 0 || memcmp(got, want, (size_t)want_len) == 0);
}

/* Iterates [p, p+len) and checks every record against gen(); returns the count. */
static int check_iter(const uint8_t *p, size_t len, int n, size_t big, int64_t base_offset)
{
    rn_record_iter it;
    rn_err err;
    cr_assert_eq(rn_record_iter_init(&it, p, len, MAX_DEC, &err), RN_OK, "%s", err.msg);
    rn_record rec;
    int i = 0, rc;
    while ((rc = rn_record_iter_next(&it, &rec, &err)) == 1) {
        gen_rec g;
        gen(&g, i, big);
        cr_assert_eq(rec.offset, base_offset + i);
        cr_assert_eq(rec.timestamp, g.ts);
        check_bytes(rec.key, rec.key_len, g.key, g.key_len);
        check_bytes(rec.value, rec.value_len, g.value, g.value_len);
        cr_assert_eq(rec.header_count, g.nhdrs);
        rn_reader hr;
        rn_reader_init(&hr, rec.headers, rec.headers_len);
        rn_record_header h;
        int nh = 0, hrc;
        while ((hrc = rn_record_next_header(&hr, &h)) == 1) {
            cr_assert_lt(nh, g.nhdrs);
            check_bytes(h.key, h.key_len, g.hdrs[nh].key, g.hdrs[nh].key_len);
            check_bytes(h.value, h.value_len, g.hdrs[nh].value, g.hdrs[nh].value_len);
            nh++;
        }
        cr_assert_eq(hrc, 0);
        cr_assert_eq(nh, g.nhdrs);
        gen_free(&g);
        i++;
    }
    cr_assert_eq(rc, 0, "iteration failed at %d: %s", i, err.msg);
    cr_assert_eq(rn_record_iter_next(&it, &rec, &err), 0); /* stays at the end */
    rn_record_iter_fini(&it);
    cr_assert_eq(i, n);
    return i;
}

static void roundtrip(int codec, int n, size_t big)
{
    rn_buf b = {0};
    build(&b, codec, n, big);
    rn_batch_header h;
    rn_err err;
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, &h, &err), RN_OK, "codec %d n %d: %s", codec, n,
                 err.msg);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_OK);
    cr_assert_eq(h.magic, 2);
    cr_assert_eq(h.attributes & RN_BATCH_ATTR_CODEC_MASK, codec);
    cr_assert_eq(h.records_count, n);
    cr_assert_eq(h.last_offset_delta, n - 1);
    cr_assert_eq(h.base_offset, 0);
    cr_assert_eq(h.leader_epoch, -1);
    cr_assert_eq(h.producer_id, -1);
    cr_assert_eq(h.producer_epoch, -1);
    cr_assert_eq(h.base_sequence, -1);
    cr_assert_eq(h.base_timestamp, 1700000000000LL);
    int64_t maxts = INT64_MIN;
    for (int i = 0; i < n; i++) {
        gen_rec g;
        gen(&g, i, 0);
        if (g.ts > maxts) maxts = g.ts;
        gen_free(&g);
    }
    cr_assert_eq(h.max_timestamp, maxts);
    cr_assert_eq((size_t)h.batch_length + 12, b.len);
    cr_assert_eq(rn_batch_total_size(b.p, b.len), b.len);
    check_iter(b.p, b.len, n, big, 0);
    rn_buf_fini(&b);
}

/* Rewrites the CRC of a batch after a test modified it. */
static void fix_crc(uint8_t *p, size_t len)
{
    rn_be32_store(p + 17, rn_crc32c(0, p + 21, len - 21));
}

/* Assembles a batch around a hand-made records section (codec none unless attrs says). */
static void make_batch(rn_buf *out, const uint8_t *recs, size_t recs_len, int32_t count,
                       int32_t last_delta, int16_t attrs)
{
    out->len = 0;
    uint8_t *p = rn_buf_extend(out, RN_BATCH_HEADER_SIZE);
    cr_assert_not_null(p);
    memset(p, 0, RN_BATCH_HEADER_SIZE);
    rn_buf_append(out, recs, recs_len);
    p = out->p;
    rn_be32_store(p + 8, (uint32_t)(out->len - 12));
    rn_be32_store(p + 12, UINT32_MAX);
    p[16] = 2;
    rn_be16_store(p + 21, (uint16_t)attrs);
    rn_be32_store(p + 23, (uint32_t)last_delta);
    rn_be64_store(p + 27, 1000);
    rn_be64_store(p + 35, 2000);
    rn_be64_store(p + 43, UINT64_MAX);
    rn_be16_store(p + 51, UINT16_MAX);
    rn_be32_store(p + 53, UINT32_MAX);
    rn_be32_store(p + 57, (uint32_t)count);
    fix_crc(out->p, out->len);
}

/* Appends one record to a hand-made records section. */
static void put_record(rn_buf *b, int64_t ts_delta, int32_t off_delta, int32_t key_len,
                       int32_t value_len)
{
    rn_buf body = {0};
    rn_buf_put_i8(&body, 0);
    rn_buf_put_varlong(&body, ts_delta);
    rn_buf_put_varint(&body, off_delta);
    rn_buf_put_varint(&body, key_len);
    for (int32_t i = 0; i < key_len; i++)
        rn_buf_put_i8(&body, 'k');
    rn_buf_put_varint(&body, value_len);
    for (int32_t i = 0; i < value_len; i++)
        rn_buf_put_i8(&body, 'v');
    rn_buf_put_varint(&body, 0);
    rn_buf_put_varint(b, (int32_t)body.len);
    rn_buf_append(b, body.p, body.len);
    rn_buf_fini(&body);
}

static int iterate_all(const uint8_t *p, size_t len, int *count)
{
    rn_record_iter it;
    rn_err err;
    int rc = rn_record_iter_init(&it, p, len, MAX_DEC, &err);
    *count = 0;
    if (rc == RN_OK) {
        rn_record rec;
        while ((rc = rn_record_iter_next(&it, &rec, &err)) == 1)
            (*count)++;
    }
    rn_record_iter_fini(&it);
    return rc;
}

/* ------------------------------------------------------------------ round trips */

Test(record, roundtrip_one_record_every_codec)
{
    for (int c = 0; c < NCODECS; c++)
        roundtrip(all_codecs[c], 1, 0);
}

Test(record, roundtrip_1000_records_every_codec)
{
    for (int c = 0; c < NCODECS; c++)
        roundtrip(all_codecs[c], 1000, 0);
}

Test(record, roundtrip_100k_values_every_codec, .timeout = 60)
{
    for (int c = 0; c < NCODECS; c++)
        roundtrip(all_codecs[c], 12, 100 * 1024);
}

Test(record, single_record_all_nulls)
{
    for (int c = 0; c < NCODECS; c++) {
        rn_batch_builder bb;
        rn_batch_builder_init(&bb, all_codecs[c], 5);
        rn_record_header hdr = {(const uint8_t *)"", 0, NULL, -1};
        cr_assert_eq(rn_batch_builder_add(&bb, 5, NULL, -1, NULL, -1, &hdr, 1), RN_OK);
        rn_buf b = {0};
        rn_err err;
        cr_assert_eq(rn_batch_builder_finish(&bb, &b, &err), RN_OK);
        rn_batch_builder_fini(&bb);
        cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_OK, "%s", err.msg);
        rn_record_iter it;
        cr_assert_eq(rn_record_iter_init(&it, b.p, b.len, MAX_DEC, &err), RN_OK);
        rn_record rec;
        cr_assert_eq(rn_record_iter_next(&it, &rec, &err), 1);
        cr_assert_null(rec.key);
        cr_assert_eq(rec.key_len, -1);
        cr_assert_null(rec.value);
        cr_assert_eq(rec.value_len, -1);
        cr_assert_eq(rec.timestamp, 5);
        rn_reader hr;
        rn_reader_init(&hr, rec.headers, rec.headers_len);
        rn_record_header h;
        cr_assert_eq(rn_record_next_header(&hr, &h), 1);
        cr_assert_eq(h.key_len, 0);
        cr_assert_eq(h.value_len, -1);
        cr_assert_null(h.value);
        cr_assert_eq(rn_record_next_header(&hr, &h), 0);
        cr_assert_eq(rn_record_iter_next(&it, &rec, &err), 0);
        rn_record_iter_fini(&it);
        rn_buf_fini(&b);
    }
}

Test(record, producer_fields_and_log_append_time)
{
    rn_batch_builder bb;
    rn_batch_builder_init(&bb, RN_CODEC_LZ4, 100);
    rn_batch_builder_set_producer(&bb, 42, 3, 7);
    rn_batch_builder_set_flags(&bb, RN_BATCH_ATTR_LOG_APPEND_TIME);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(rn_batch_builder_add(&bb, 100 + i * 10, "k", 1, "v", 1, NULL, 0), RN_OK);
    rn_buf b = {0};
    rn_err err;
    cr_assert_eq(rn_batch_builder_finish(&bb, &b, &err), RN_OK);
    rn_batch_builder_fini(&bb);
    rn_batch_header h;
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, &h, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(h.producer_id, 42);
    cr_assert_eq(h.producer_epoch, 3);
    cr_assert_eq(h.base_sequence, 7);
    cr_assert_eq(h.max_timestamp, 120);
    cr_assert_eq(h.attributes, RN_CODEC_LZ4 | RN_BATCH_ATTR_LOG_APPEND_TIME);
    rn_record_iter it;
    cr_assert_eq(rn_record_iter_init(&it, b.p, b.len, MAX_DEC, &err), RN_OK);
    rn_record rec;
    int n = 0;
    while (rn_record_iter_next(&it, &rec, &err) == 1) {
        cr_assert_eq(rec.timestamp, 120); /* LogAppendTime: max_timestamp for all */
        n++;
    }
    cr_assert_eq(n, 3);
    cr_assert_eq(rn_record_iter_header(&it)->producer_id, 42);
    rn_record_iter_fini(&it);
    rn_buf_fini(&b);
}

Test(record, patch_base_offset_and_epoch_keeps_crc)
{
    rn_buf b = {0};
    build(&b, RN_CODEC_ZSTD, 10, 0);
    rn_batch_set_base_offset(b.p, 1234567890123LL);
    rn_batch_set_leader_epoch(b.p, 17);
    rn_batch_header h;
    rn_err err;
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, &h, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(h.base_offset, 1234567890123LL);
    cr_assert_eq(h.leader_epoch, 17);
    check_iter(b.p, b.len, 10, 0, 1234567890123LL);
    rn_buf_fini(&b);
}

/* ------------------------------------------------------------------ corruption */

Test(record, crc_corruption_detected)
{
    for (int c = 0; c < NCODECS; c++) {
        rn_buf b = {0};
        build(&b, all_codecs[c], 20, 0);
        size_t pos[] = {21, 22, 23, 30, 40, 50, 57, 60, 61, 62, b.len / 2, b.len - 2, b.len - 1};
        for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++) {
            for (int bit = 0; bit < 8; bit += 3) {
                b.p[pos[k]] ^= (uint8_t)(1u << bit);
                rn_err err;
                cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_ECORRUPT,
                             "codec %d byte %zu", all_codecs[c], pos[k]);
                cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_ECORRUPT);
                cr_assert(strstr(err.msg, "crc") != NULL);
                b.p[pos[k]] ^= (uint8_t)(1u << bit);
            }
        }
        /* The stored CRC itself. */
        for (size_t i = 17; i < 21; i++) {
            b.p[i] ^= 0x40;
            cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, NULL), RN_ECORRUPT);
            b.p[i] ^= 0x40;
        }
        /* Base offset and leader epoch are outside the CRC. */
        for (size_t i = 0; i < 8; i++) {
            b.p[i] ^= 0xff;
            b.p[12 + i % 4] ^= 0x5a;
            cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, NULL), RN_OK);
            b.p[i] ^= 0xff;
            b.p[12 + i % 4] ^= 0x5a;
        }
        /* batch_length and magic are structural. */
        b.p[11] ^= 1;
        cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, NULL), RN_EPROTO);
        b.p[11] ^= 1;
        b.p[16] = 1;
        rn_err err;
        cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_EPROTO);
        cr_assert(strstr(err.msg, "magic") != NULL);
        b.p[16] = 2;
        cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, NULL), RN_OK);
        rn_buf_fini(&b);
    }
}

Test(record, truncation_at_every_length_detected, .timeout = 60)
{
    for (int c = 0; c < NCODECS; c++) {
        rn_buf b = {0};
        build(&b, all_codecs[c], 8, 0);
        rn_buf t = {0};
        for (size_t len = 0; len < b.len; len++) {
            /* As received: batch_length no longer matches. */
            rn_err err;
            cr_assert_neq(rn_batch_validate(b.p, len, 1, NULL, &err), RN_OK);
            int n;
            cr_assert_lt(iterate_all(b.p, len, &n), 0);
            cr_assert_eq(rn_batch_next_size(b.p, len), 0);
            if (len < RN_BATCH_HEADER_SIZE) continue;
            /* Header fixed up to the shorter length: the records must give it away. */
            t.len = 0;
            rn_buf_append(&t, b.p, len);
            rn_be32_store(t.p + 8, (uint32_t)(len - 12));
            fix_crc(t.p, len);
            int rc = rn_batch_validate(t.p, len, 1, NULL, &err);
            cr_assert_eq(rc, RN_EPROTO, "codec %d len %zu/%zu: %d", all_codecs[c], len, b.len, rc);
            cr_assert_eq(rn_batch_validate(t.p, len, 0, NULL, &err), RN_OK);
            cr_assert_lt(iterate_all(t.p, len, &n), 0);
        }
        cr_assert_eq(rn_batch_next_size(b.p, b.len), b.len);
        rn_buf_fini(&t);
        rn_buf_fini(&b);
    }
}

Test(record, records_count_mismatch_detected)
{
    for (int c = 0; c < NCODECS; c++) {
        rn_buf b = {0};
        build(&b, all_codecs[c], 5, 0);
        rn_err err;
        /* Count and last delta both changed consistently: only the deep walk sees it. */
        int32_t counts[] = {4, 6, 1, 1000};
        for (size_t k = 0; k < 4; k++) {
            rn_be32_store(b.p + 57, (uint32_t)counts[k]);
            rn_be32_store(b.p + 23, (uint32_t)(counts[k] - 1));
            fix_crc(b.p, b.len);
            cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_OK);
            cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO, "count %d",
                         counts[k]);
            int n;
            cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);
        }
        /* Count disagreeing with last_offset_delta: the shallow check sees it. */
        rn_be32_store(b.p + 57, 5);
        rn_be32_store(b.p + 23, 5);
        fix_crc(b.p, b.len);
        cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_EPROTO);
        cr_assert(strstr(err.msg, "offset range") != NULL);
        rn_be32_store(b.p + 57, 0);
        rn_be32_store(b.p + 23, UINT32_MAX);
        fix_crc(b.p, b.len);
        cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_EPROTO);
        rn_be32_store(b.p + 57, 5);
        rn_be32_store(b.p + 23, 4);
        fix_crc(b.p, b.len);
        cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_OK);
        rn_buf_fini(&b);
    }
}

Test(record, control_batch_and_producer_fields_rejected)
{
    rn_err err;
    rn_buf b = {0};
    rn_batch_builder bb;

    rn_batch_builder_init(&bb, RN_CODEC_NONE, 0);
    rn_batch_builder_set_producer(&bb, 9, 0, 0);
    rn_batch_builder_set_flags(&bb, RN_BATCH_ATTR_CONTROL | RN_BATCH_ATTR_TRANSACTIONAL);
    uint8_t key[4] = {0, 0, 0, 1}, value[6] = {0, 0, 0, 0, 0, 5}; /* COMMIT marker */
    cr_assert_eq(rn_batch_builder_add(&bb, 0, key, 4, value, 6, NULL, 0), RN_OK);
    cr_assert_eq(rn_batch_builder_finish(&bb, &b, &err), RN_OK);
    rn_batch_builder_fini(&bb);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_EINVAL);
    cr_assert(strstr(err.msg, "control") != NULL);
    int n;
    cr_assert_eq(iterate_all(b.p, b.len, &n), 0); /* stored control batches iterate fine */
    cr_assert_eq(n, 1);

    /* Idempotent producer without a sequence. */
    b.len = 0;
    rn_batch_builder_init(&bb, RN_CODEC_NONE, 0);
    rn_batch_builder_set_producer(&bb, 9, 0, -1);
    cr_assert_eq(rn_batch_builder_add(&bb, 0, "k", 1, "v", 1, NULL, 0), RN_OK);
    cr_assert_eq(rn_batch_builder_finish(&bb, &b, &err), RN_OK);
    rn_batch_builder_fini(&bb);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EINVAL);

    /* Transactional without a producer id. */
    b.len = 0;
    rn_batch_builder_init(&bb, RN_CODEC_NONE, 0);
    rn_batch_builder_set_flags(&bb, RN_BATCH_ATTR_TRANSACTIONAL);
    cr_assert_eq(rn_batch_builder_add(&bb, 0, "k", 1, "v", 1, NULL, 0), RN_OK);
    cr_assert_eq(rn_batch_builder_finish(&bb, &b, &err), RN_OK);
    rn_batch_builder_fini(&bb);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EINVAL);

    /* Unknown codec 5. */
    rn_be16_store(b.p + 21, 5);
    fix_crc(b.p, b.len);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_EPROTO);
    cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);
    rn_buf_fini(&b);
}

/* ------------------------------------------------------------------ hand-made records */

Test(record, malformed_records)
{
    rn_buf r = {0}, b = {0};
    rn_err err;
    int n;

    /* Baseline: two good records. */
    put_record(&r, 0, 0, 1, 1);
    put_record(&r, 5, 1, -1, 3);
    make_batch(&b, r.p, r.len, 2, 1, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_OK, "%s", err.msg);

    /* Gap in offset deltas (0, 2): invalid from a producer, fine when stored (compacted). */
    r.len = 0;
    put_record(&r, 0, 0, 1, 1);
    put_record(&r, 0, 2, 1, 1);
    make_batch(&b, r.p, r.len, 2, 2, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_EPROTO);
    make_batch(&b, r.p, r.len, 2, 1, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    cr_assert(strstr(err.msg, "offset delta") != NULL, "%s", err.msg);
    make_batch(&b, r.p, r.len, 2, 2, 0);
    cr_assert_eq(iterate_all(b.p, b.len, &n), 0);
    cr_assert_eq(n, 2);
    make_batch(&b, r.p, r.len, 2, 1, 0); /* delta beyond last_offset_delta */
    cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);

    /* Decreasing deltas. */
    r.len = 0;
    put_record(&r, 0, 1, 1, 1);
    put_record(&r, 0, 0, 1, 1);
    make_batch(&b, r.p, r.len, 2, 1, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);

    /* Key length below -1. */
    r.len = 0;
    put_record(&r, 0, 0, -2, 1);
    make_batch(&b, r.p, r.len, 1, 0, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);

    /* Record length beyond the section; record length with unused bytes. */
    r.len = 0;
    put_record(&r, 0, 0, 1, 1);
    r.p[0] += 2; /* zigzag: +1 */
    make_batch(&b, r.p, r.len, 1, 0, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    rn_buf_put_i8(&r, 0);
    make_batch(&b, r.p, r.len, 1, 0, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    cr_assert(strstr(err.msg, "unused") != NULL, "%s", err.msg);

    /* Trailing bytes after the last record. */
    r.len = 0;
    put_record(&r, 0, 0, 1, 1);
    rn_buf_put_i8(&r, 0);
    make_batch(&b, r.p, r.len, 1, 0, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);

    /* Header with a negative key length, and a header count larger than the bytes. */
    r.len = 0;
    {
        uint8_t rec[] = {
            0, 0, 0, 2 /*key 1*/, 'k', 2 /*value 1*/, 'v', 2 /*1 header*/, 1 /*key -1*/, 2, 'x'};
        rn_buf_put_varint(&r, (int32_t)sizeof rec);
        rn_buf_append(&r, rec, sizeof rec);
    }
    make_batch(&b, r.p, r.len, 1, 0, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    r.len = 0;
    {
        uint8_t rec[] = {0, 0, 0, 1, 1, 100 /*50 headers*/, 0, 1};
        rn_buf_put_varint(&r, (int32_t)sizeof rec);
        rn_buf_append(&r, rec, sizeof rec);
    }
    make_batch(&b, r.p, r.len, 1, 0, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    cr_assert(strstr(err.msg, "header count") != NULL, "%s", err.msg);

    /* Overlong varint (6 bytes) for the record length. */
    r.len = 0;
    uint8_t overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0, 0, 0, 1, 1, 0};
    rn_buf_append(&r, overlong, sizeof overlong);
    make_batch(&b, r.p, r.len, 1, 0, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);

    /* Empty batch: not valid from a producer, iterates to nothing. */
    make_batch(&b, NULL, 0, 0, -1, 0);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_EPROTO);
    cr_assert_eq(iterate_all(b.p, b.len, &n), 0);
    cr_assert_eq(n, 0);
    make_batch(&b, NULL, 0, -1, -2, 0);
    cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);

    rn_buf_fini(&r);
    rn_buf_fini(&b);
}

Test(record, offset_and_timestamp_overflow_are_errors)
{
    rn_buf b = {0};
    build(&b, RN_CODEC_NONE, 5, 0);
    rn_err err;
    int n;
    /* Base offset near INT64_MAX: iteration fails at the record that would overflow;
     * validation ignores the base offset (the broker assigns it). */
    rn_batch_set_base_offset(b.p, INT64_MAX - 2);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);
    cr_assert_eq(n, 3);
    rn_batch_set_base_offset(b.p, 0);

    /* Base timestamp near INT64_MAX with positive deltas. */
    rn_be64_store(b.p + 27, (uint64_t)(INT64_MAX - 3));
    fix_crc(b.p, b.len);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    cr_assert(strstr(err.msg, "timestamp") != NULL, "%s", err.msg);
    cr_assert_eq(iterate_all(b.p, b.len, &n), RN_EPROTO);
    rn_be64_store(b.p + 27, (uint64_t)INT64_MIN);
    fix_crc(b.p, b.len);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    rn_buf_fini(&b);

    /* Builder refuses a timestamp whose delta overflows. */
    rn_batch_builder bb;
    rn_batch_builder_init(&bb, RN_CODEC_NONE, INT64_MIN);
    cr_assert_eq(rn_batch_builder_add(&bb, INT64_MAX, NULL, -1, NULL, -1, NULL, 0), RN_EINVAL);
    rn_buf out = {0};
    cr_assert_eq(rn_batch_builder_finish(&bb, &out, &err), RN_EINVAL);
    cr_assert_eq(out.len, 0);
    rn_batch_builder_fini(&bb);
}

Test(record, builder_errors)
{
    rn_batch_builder bb;
    rn_buf out = {0};
    rn_err err;
    rn_batch_builder_init(&bb, RN_CODEC_GZIP, 0);
    cr_assert_eq(rn_batch_builder_finish(&bb, &out, &err), RN_EINVAL); /* empty */
    cr_assert_eq(rn_batch_builder_add(&bb, 0, "k", -2, NULL, -1, NULL, 0), RN_EINVAL);
    cr_assert_eq(rn_batch_builder_add(&bb, 0, "k", 1, NULL, -1, NULL, 0), RN_EINVAL); /* sticky */
    rn_batch_builder_fini(&bb);

    rn_batch_builder_init(&bb, RN_CODEC_NONE, 0);
    rn_record_header h = {NULL, -1, NULL, -1};
    cr_assert_eq(rn_batch_builder_add(&bb, 0, NULL, -1, NULL, -1, &h, 1), RN_EINVAL);
    rn_batch_builder_fini(&bb);

    rn_batch_builder_init(&bb, 7, 0);
    cr_assert_eq(rn_batch_builder_add(&bb, 0, NULL, -1, NULL, -1, NULL, 0), RN_OK);
    rn_buf_append(&out, "xyz", 3);
    cr_assert_eq(rn_batch_builder_finish(&bb, &out, &err), RN_EINVAL);
    cr_assert_eq(out.len, 3);
    rn_batch_builder_fini(&bb);
    rn_buf_fini(&out);
}

Test(record, parse_header_and_sizes)
{
    rn_buf b = {0};
    build(&b, RN_CODEC_NONE, 3, 0);
    size_t one = b.len;
    build(&b, RN_CODEC_GZIP, 4, 0);
    size_t two = b.len - one;
    build(&b, RN_CODEC_ZSTD, 5, 0);
    size_t whole = b.len;
    rn_buf_append(&b, b.p, 40); /* a partial fourth batch */

    const uint8_t *p = b.p;
    size_t left = b.len, n, k = 0;
    size_t want[] = {one, two, whole - one - two};
    while ((n = rn_batch_next_size(p, left)) != 0) {
        cr_assert_lt(k, 3);
        cr_assert_eq(n, want[k]);
        rn_err err;
        cr_assert_eq(rn_batch_validate(p, n, 1, NULL, &err), RN_OK, "%s", err.msg);
        p += n;
        left -= n;
        k++;
    }
    cr_assert_eq(k, 3);
    cr_assert_eq(left, 40);
    cr_assert_gt(rn_batch_total_size(p, left), left); /* incomplete, not invalid */
    cr_assert_eq(rn_batch_total_size(p, 11), 0);

    rn_batch_header h;
    rn_err err;
    cr_assert_eq(rn_batch_parse_header(b.p, 60, &h, &err), RN_EPROTO);
    cr_assert_eq(rn_batch_parse_header(b.p, 61, &h, &err), RN_OK);
    cr_assert_eq(h.records_count, 3);
    rn_be32_store(b.p + 8, 48);
    cr_assert_eq(rn_batch_parse_header(b.p, 61, &h, &err), RN_EPROTO);
    cr_assert_eq(rn_batch_total_size(b.p, 61), 60); /* invalid: below 61 */
    cr_assert_eq(rn_batch_next_size(b.p, b.len), 0);
    rn_be32_store(b.p + 8, UINT32_MAX);
    cr_assert_eq(rn_batch_total_size(b.p, 61), 12);
    cr_assert_eq(rn_batch_validate(b.p, one, 0, NULL, &err), RN_EPROTO);
    rn_buf_fini(&b);
}

Test(record, shallow_validation_does_not_decompress)
{
    rn_buf b = {0};
    build(&b, RN_CODEC_ZSTD, 5, 0);
    memset(b.p + RN_BATCH_HEADER_SIZE, 0xee, b.len - RN_BATCH_HEADER_SIZE);
    fix_crc(b.p, b.len);
    rn_err err;
    cr_assert_eq(rn_batch_validate(b.p, b.len, 0, NULL, &err), RN_OK);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_EPROTO);
    cr_assert(strstr(err.msg, "zstd") != NULL, "%s", err.msg);
    rn_buf_fini(&b);
}

Test(record, validate_ex_reuses_scratch)
{
    rn_buf scratch = {0};
    for (int c = 1; c < NCODECS; c++) {
        rn_buf b = {0};
        build(&b, all_codecs[c], 50, 0);
        rn_err err;
        cr_assert_eq(rn_batch_validate_ex(b.p, b.len, 1, MAX_DEC, &scratch, NULL, &err), RN_OK);
        cr_assert_gt(scratch.len, 50 * 7);
        /* Too small a limit for this batch. */
        cr_assert_eq(rn_batch_validate_ex(b.p, b.len, 1, 100, &scratch, NULL, &err), RN_EPROTO);
        cr_assert(strstr(err.msg, "exceeds") != NULL, "%s", err.msg);
        rn_buf_fini(&b);
    }
    rn_buf_fini(&scratch);
}

/* ------------------------------------------------------------------ codecs */

static uint8_t *zeros(size_t n)
{
    uint8_t *z = calloc(1, n);
    cr_assert_not_null(z);
    return z;
}

Test(codec, exact_limits_every_codec)
{
    size_t n = 300000;
    uint8_t *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = (uint8_t)(i % 251 ^ i / 1000);
    for (int c = 0; c < NCODECS; c++) {
        rn_buf z = {0}, out = {0};
        rn_err err;
        cr_assert_eq(rn_batch_compress(all_codecs[c], in, n, &z, &err), RN_OK, "%s", err.msg);
        rn_buf_append(&out, "prefix", 6);
        cr_assert_eq(rn_batch_decompress(all_codecs[c], z.p, z.len, n, &out, &err), RN_OK, "%s",
                     err.msg);
        cr_assert_eq(out.len, n + 6);
        cr_assert(memcmp(out.p, "prefix", 6) == 0 && memcmp(out.p + 6, in, n) == 0);
        out.len = 6;
        cr_assert_eq(rn_batch_decompress(all_codecs[c], z.p, z.len, n - 1, &out, &err), RN_EPROTO,
                     "codec %d", all_codecs[c]);
        cr_assert_eq(out.len, 6);
        /* Truncated and corrupted inputs fail without touching out. */
        if (all_codecs[c] != RN_CODEC_NONE) {
            cr_assert_eq(rn_batch_decompress(all_codecs[c], z.p, z.len - 1, n, &out, &err),
                         RN_EPROTO);
            cr_assert_eq(rn_batch_decompress(all_codecs[c], z.p, 0, n, &out, &err), RN_EPROTO);
            z.p[z.len / 2] ^= 0x55;
            z.p[z.len / 3] ^= 0x55;
            int rc = rn_batch_decompress(all_codecs[c], z.p, z.len, n, &out, &err);
            /* (snappy and lz4 without checksums may decode flipped literals "fine") */
            if (rc == RN_OK)
                cr_assert_eq(out.len, 6 + n);
            else
                cr_assert_eq(out.len, 6);
        }
        /* Garbage after a complete stream. */
        out.len = 6;
        z.len = 0;
        rn_batch_compress(all_codecs[c], in, 1000, &z, &err);
        rn_buf_append(&z, "\x01\x02\x03", 3);
        if (all_codecs[c] != RN_CODEC_NONE)
            cr_assert_eq(rn_batch_decompress(all_codecs[c], z.p, z.len, n, &out, &err), RN_EPROTO,
                         "codec %d", all_codecs[c]);
        cr_assert_eq(rn_batch_decompress(9, z.p, z.len, n, &out, &err), RN_EPROTO);
        cr_assert_eq(rn_batch_compress(9, z.p, z.len, &out, &err), RN_EINVAL);
        rn_buf_fini(&z);
        rn_buf_fini(&out);
    }
    free(in);
}

Test(codec, zstd_bomb_bounded, .timeout = 60)
{
    size_t n = (size_t)100 << 20;
    uint8_t *z0 = zeros(n);
    rn_buf z = {0}, out = {0};
    rn_err err;
    cr_assert_eq(rn_batch_compress(RN_CODEC_ZSTD, z0, n, &z, &err), RN_OK);
    cr_assert_lt(z.len, 64 * 1024);
    cr_assert_eq(rn_batch_decompress(RN_CODEC_ZSTD, z.p, z.len, (size_t)1 << 20, &out, &err),
                 RN_EPROTO);
    cr_assert(strstr(err.msg, "exceeds") != NULL, "%s", err.msg);
    cr_assert_eq(out.len, 0);
    cr_assert_leq(out.cap, (size_t)4 << 20);

    /* The same without a content size in the frame (as a streaming Java producer writes):
     * the streaming decoder must stop after max_out + 1 bytes. */
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
    z.len = 0;
    rn_buf_reserve(&z, ZSTD_compressBound(n));
    ZSTD_inBuffer ib = {z0, n, 0};
    ZSTD_outBuffer ob = {z.p, z.cap, 0};
    size_t r;
    /* ZSTD_e_continue first so the frame cannot take the one-shot path (which knows the size). */
    cr_assert(!ZSTD_isError(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_continue)));
    do {
        r = ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end);
        cr_assert(!ZSTD_isError(r));
    } while (r != 0);
    z.len = ob.pos;
    ZSTD_freeCCtx(cctx);
    cr_assert_eq(ZSTD_getFrameContentSize(z.p, z.len), ZSTD_CONTENTSIZE_UNKNOWN);
    cr_assert_eq(rn_batch_decompress(RN_CODEC_ZSTD, z.p, z.len, (size_t)1 << 20, &out, &err),
                 RN_EPROTO);
    cr_assert_eq(out.len, 0);
    cr_assert_leq(out.cap, (size_t)4 << 20);
    /* ... and with enough room it decodes. */
    cr_assert_eq(rn_batch_decompress(RN_CODEC_ZSTD, z.p, z.len, n, &out, &err), RN_OK, "%s",
                 err.msg);
    cr_assert_eq(out.len, n);
    cr_assert(memcmp(out.p, z0, n) == 0);
    rn_buf_fini(&out);
    rn_buf_fini(&z);
    free(z0);
}

Test(codec, other_bombs_bounded, .timeout = 60)
{
    size_t n = (size_t)20 << 20;
    uint8_t *z0 = zeros(n);
    for (int c = 1; c < NCODECS; c++) {
        rn_buf z = {0}, out = {0};
        rn_err err;
        cr_assert_eq(rn_batch_compress(all_codecs[c], z0, n, &z, &err), RN_OK);
        cr_assert_eq(rn_batch_decompress(all_codecs[c], z.p, z.len, (size_t)1 << 20, &out, &err),
                     RN_EPROTO, "codec %d", all_codecs[c]);
        cr_assert_eq(out.len, 0);
        cr_assert_leq(out.cap, (size_t)4 << 20, "codec %d cap %zu", all_codecs[c], out.cap);
        rn_buf_fini(&z);
        rn_buf_fini(&out);
    }
    free(z0);
}

/* xerial snappy-java framing of in, in blocks of `block` bytes. */
static void xerial(rn_buf *out, const uint8_t *in, size_t len, size_t block)
{
    static const uint8_t hdr[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    rn_buf_append(out, hdr, sizeof hdr);
    for (size_t off = 0; off < len; off += block) {
        size_t n = len - off < block ? len - off : block;
        size_t clen = snappy_max_compressed_length(n);
        size_t at = out->len;
        rn_buf_extend(out, 4 + clen);
        cr_assert_eq(snappy_compress((const char *)in + off, n, (char *)out->p + at + 4, &clen),
                     SNAPPY_OK);
        rn_be32_store(out->p + at, (uint32_t)clen);
        out->len = at + 4 + clen;
    }
}

Test(codec, xerial_snappy_framing)
{
    rn_buf recs = {0};
    rn_batch_builder bb;
    rn_batch_builder_init(&bb, RN_CODEC_NONE, 1700000000000LL);
    for (int i = 0; i < 300; i++) {
        gen_rec g;
        gen(&g, i, 0);
        rn_batch_builder_add(&bb, g.ts, g.key, g.key_len, g.value, g.value_len, g.hdrs, g.nhdrs);
        gen_free(&g);
    }
    rn_buf plain = {0};
    rn_err err;
    cr_assert_eq(rn_batch_builder_finish(&bb, &plain, &err), RN_OK);
    rn_batch_builder_fini(&bb);

    /* Re-frame the records section as snappy-java would, in 4 KiB blocks. */
    const uint8_t *sec = plain.p + RN_BATCH_HEADER_SIZE;
    size_t sec_len = plain.len - RN_BATCH_HEADER_SIZE;
    xerial(&recs, sec, sec_len, 4096);
    rn_buf out = {0};
    cr_assert_eq(rn_batch_decompress(RN_CODEC_SNAPPY, recs.p, recs.len, MAX_DEC, &out, &err), RN_OK,
                 "%s", err.msg);
    cr_assert_eq(out.len, sec_len);
    cr_assert(memcmp(out.p, sec, sec_len) == 0);

    rn_buf b = {0};
    rn_buf_append(&b, plain.p, RN_BATCH_HEADER_SIZE);
    rn_buf_append(&b, recs.p, recs.len);
    rn_be32_store(b.p + 8, (uint32_t)(b.len - 12));
    rn_be16_store(b.p + 21, RN_CODEC_SNAPPY);
    fix_crc(b.p, b.len);
    cr_assert_eq(rn_batch_validate(b.p, b.len, 1, NULL, &err), RN_OK, "%s", err.msg);
    check_iter(b.p, b.len, 300, 0, 0);

    /* Malformed framings. */
    out.len = 0;
    cr_assert_eq(rn_batch_decompress(RN_CODEC_SNAPPY, recs.p, 16, MAX_DEC, &out, &err), RN_OK);
    cr_assert_eq(out.len, 0); /* header only: no blocks */
    cr_assert_eq(rn_batch_decompress(RN_CODEC_SNAPPY, recs.p, 18, MAX_DEC, &out, &err), RN_EPROTO);
    cr_assert_eq(rn_batch_decompress(RN_CODEC_SNAPPY, recs.p, recs.len - 1, MAX_DEC, &out, &err),
                 RN_EPROTO);
    rn_be32_store(recs.p + 16, 0x7fffffff);
    cr_assert_eq(rn_batch_decompress(RN_CODEC_SNAPPY, recs.p, recs.len, MAX_DEC, &out, &err),
                 RN_EPROTO);
    cr_assert_eq(out.len, 0);
    /* Limit spans blocks. */
    recs.len = 0;
    xerial(&recs, sec, sec_len, 4096);
    cr_assert_eq(rn_batch_decompress(RN_CODEC_SNAPPY, recs.p, recs.len, sec_len - 1, &out, &err),
                 RN_EPROTO);
    rn_buf_fini(&out);
    rn_buf_fini(&b);
    rn_buf_fini(&plain);
    rn_buf_fini(&recs);
}

Test(codec, gzip_variants)
{
    const char *text = "hello hello hello kafka records";
    size_t n = strlen(text);
    rn_buf z = {0}, out = {0};
    rn_err err;
    /* Two gzip members back to back decode as their concatenation. */
    rn_batch_compress(RN_CODEC_GZIP, (const uint8_t *)text, n, &z, &err);
    rn_batch_compress(RN_CODEC_GZIP, (const uint8_t *)text, n, &z, &err);
    cr_assert_eq(rn_batch_decompress(RN_CODEC_GZIP, z.p, z.len, 1000, &out, &err), RN_OK, "%s",
                 err.msg);
    cr_assert_eq(out.len, 2 * n);
    /* A zlib stream (some clients) also decodes. */
    uLongf zl = compressBound((uLong)n);
    uint8_t zbuf[256];
    cr_assert_eq(compress(zbuf, &zl, (const Bytef *)text, (uLong)n), Z_OK);
    out.len = 0;
    cr_assert_eq(rn_batch_decompress(RN_CODEC_GZIP, zbuf, zl, 1000, &out, &err), RN_OK);
    cr_assert_eq(out.len, n);
    cr_assert(memcmp(out.p, text, n) == 0);
    rn_buf_fini(&z);
    rn_buf_fini(&out);
}

Test(codec, lz4_frame_variants)
{
    /* Frames with content size, linked blocks and checksums (other writers) decode too. */
    size_t n = 200000;
    uint8_t *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = (uint8_t)("abcdefgh"[i % 8] + (i % 977 == 0));
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentSize = n;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    uint8_t *z = malloc(bound);
    size_t zlen = LZ4F_compressFrame(z, bound, in, n, &prefs);
    cr_assert(!LZ4F_isError(zlen));
    rn_buf out = {0};
    rn_err err;
    cr_assert_eq(rn_batch_decompress(RN_CODEC_LZ4, z, zlen, n, &out, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(out.len, n);
    cr_assert(memcmp(out.p, in, n) == 0);
    out.len = 0;
    /* Declared content size above the limit: rejected before decoding. */
    cr_assert_eq(rn_batch_decompress(RN_CODEC_LZ4, z, zlen, n - 1, &out, &err), RN_EPROTO);
    /* Checksums catch a flipped byte. */
    z[zlen / 2] ^= 1;
    cr_assert_eq(rn_batch_decompress(RN_CODEC_LZ4, z, zlen, n, &out, &err), RN_EPROTO);
    cr_assert_eq(out.len, 0);
    free(z);
    free(in);
    rn_buf_fini(&out);
}

/* ------------------------------------------------------------------ real client batches */

/* Batches captured from librdkafka 2.0.2 (python3-confluent-kafka 1.7.0, Debian bookworm)
 * producing to a throwaway fake broker (Produce v7). Record i of the run had key "key-<i>"
 * (null if i % 4 == 0), value ("value-<i> " x (i + 1)) (null if i % 5 == 0) and, if
 * i % 3 == 0, headers trace="id-<i>" and nullh=null. The lz4 batch holds i = 16..29, the
 * snappy (raw) batch i = 0..29. */
static const uint8_t rdk_lz4_batch[399] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x83, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x3e, 0xcf, 0x6e, 0x3b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x01, 0xa2, 0x1f,
    0x12, 0x35, 0xaf, 0x00, 0x00, 0x01, 0xa2, 0x1f, 0x12, 0x35, 0xaf, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x0e, 0x04, 0x22, 0x4d,
    0x18, 0x60, 0x40, 0x82, 0x43, 0x01, 0x00, 0x00, 0xff, 0x02, 0xc0, 0x02, 0x00, 0x00, 0x00, 0x01,
    0xb2, 0x02, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x2d, 0x31, 0x36, 0x20, 0x09, 0x00, 0x7d, 0xe4, 0x00,
    0xde, 0x02, 0x00, 0x00, 0x02, 0x0c, 0x6b, 0x65, 0x79, 0x2d, 0x31, 0x37, 0xc4, 0xa8, 0x00, 0x14,
    0x37, 0xa8, 0x00, 0x0f, 0x09, 0x00, 0x7f, 0x62, 0x00, 0x96, 0x03, 0x00, 0x00, 0x04, 0xb1, 0x00,
    0x24, 0x38, 0xd6, 0xb1, 0x00, 0x14, 0x38, 0xb1, 0x00, 0x0f, 0x09, 0x00, 0x88, 0xf2, 0x0a, 0x04,
    0x0a, 0x74, 0x72, 0x61, 0x63, 0x65, 0x0a, 0x69, 0x64, 0x2d, 0x31, 0x38, 0x0a, 0x6e, 0x75, 0x6c,
    0x6c, 0x68, 0x01, 0x82, 0x03, 0x00, 0x00, 0x06, 0xcd, 0x00, 0x24, 0x39, 0xe8, 0xcd, 0x00, 0x14,
    0x39, 0xcd, 0x00, 0x0f, 0x09, 0x00, 0x91, 0xd1, 0x00, 0x0c, 0x00, 0x00, 0x08, 0x01, 0x01, 0x00,
    0xcc, 0x03, 0x00, 0x00, 0x0a, 0xca, 0x00, 0x42, 0x32, 0x31, 0x8c, 0x03, 0xe7, 0x02, 0x23, 0x32,
    0x31, 0xca, 0x00, 0x0f, 0x09, 0x00, 0xa4, 0x07, 0xb2, 0x01, 0x23, 0x32, 0x31, 0xb2, 0x01, 0x52,
    0xb8, 0x03, 0x00, 0x00, 0x0c, 0xe8, 0x00, 0x24, 0x32, 0x9e, 0xe8, 0x00, 0x14, 0x32, 0xe8, 0x00,
    0x0f, 0x09, 0x00, 0xac, 0x62, 0x00, 0xca, 0x03, 0x00, 0x00, 0x0e, 0xde, 0x00, 0x24, 0x33, 0xb0,
    0xde, 0x00, 0x14, 0x33, 0xde, 0x00, 0x0f, 0x09, 0x00, 0xb5, 0x84, 0x00, 0xf6, 0x03, 0x00, 0x00,
    0x10, 0x01, 0xc2, 0xe1, 0x00, 0x14, 0x34, 0xe1, 0x00, 0x0f, 0x09, 0x00, 0xbe, 0x08, 0xc2, 0x02,
    0x13, 0x34, 0xc2, 0x02, 0x42, 0x18, 0x00, 0x00, 0x12, 0xe3, 0x01, 0x82, 0x35, 0x01, 0x00, 0x80,
    0x04, 0x00, 0x00, 0x14, 0x0e, 0x00, 0x24, 0x36, 0xe6, 0x10, 0x01, 0x04, 0xa7, 0x06, 0x0f, 0x09,
    0x00, 0xd1, 0x62, 0x00, 0xb8, 0x04, 0x00, 0x00, 0x16, 0x02, 0x01, 0x24, 0x37, 0xf8, 0x02, 0x01,
    0x04, 0xf8, 0x06, 0x0f, 0x09, 0x00, 0xda, 0x08, 0x2d, 0x02, 0x13, 0x37, 0x2d, 0x02, 0x83, 0x98,
    0x04, 0x00, 0x00, 0x18, 0x01, 0x8a, 0x04, 0xd1, 0x05, 0x04, 0x5f, 0x07, 0x0f, 0x09, 0x00, 0xe3,
    0x62, 0x00, 0xb6, 0x04, 0x00, 0x00, 0x1a, 0x2c, 0x02, 0x24, 0x39, 0x9c, 0x14, 0x01, 0x04, 0xa6,
    0x07, 0x0f, 0x09, 0x00, 0xe8, 0x50, 0x2d, 0x32, 0x39, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t rdk_snappy_batch[758] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xea, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x1b, 0x29, 0x0e, 0xca, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x01, 0xa2, 0x1f,
    0x12, 0x35, 0xa4, 0x00, 0x00, 0x01, 0xa2, 0x1f, 0x12, 0x35, 0xa4, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x1e, 0x80, 0x1f, 0xa0,
    0x30, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04, 0x0a, 0x74, 0x72, 0x61, 0x63, 0x65, 0x08, 0x69, 0x64,
    0x2d, 0x30, 0x0a, 0x6e, 0x75, 0x6c, 0x6c, 0x68, 0x01, 0x36, 0x00, 0x00, 0x02, 0x0a, 0x6b, 0x65,
    0x79, 0x2d, 0x31, 0x20, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x1d, 0x08, 0x10, 0x00, 0x46, 0x00, 0x00,
    0x04, 0x05, 0x1c, 0x08, 0x32, 0x30, 0x76, 0x05, 0x1c, 0x00, 0x32, 0x0d, 0x24, 0x19, 0x08, 0x10,
    0x00, 0x7a, 0x00, 0x00, 0x06, 0x05, 0x24, 0x04, 0x33, 0x40, 0x09, 0x24, 0x00, 0x33, 0x0d, 0x24,
    0x46, 0x08, 0x00, 0x1d, 0x7e, 0x00, 0x33, 0x0d, 0x7e, 0x14, 0x5c, 0x00, 0x00, 0x08, 0x01, 0x50,
    0x09, 0x39, 0x00, 0x34, 0x0d, 0x39, 0x66, 0x08, 0x00, 0x10, 0x00, 0x16, 0x00, 0x00, 0x0a, 0x05,
    0x6d, 0x1c, 0x35, 0x01, 0x00, 0xaa, 0x01, 0x00, 0x00, 0x0c, 0x05, 0x0d, 0x04, 0x36, 0x70, 0x09,
    0x41, 0x00, 0x36, 0x0d, 0x41, 0xa6, 0x08, 0x00, 0x1d, 0x92, 0x00, 0x36, 0x0d, 0x92, 0x10, 0x98,
    0x01, 0x00, 0x00, 0x0e, 0x05, 0x57, 0x08, 0x37, 0x80, 0x01, 0x09, 0x58, 0x00, 0x37, 0x0d, 0x58,
    0xc6, 0x08, 0x00, 0x1c, 0x00, 0x9e, 0x01, 0x00, 0x00, 0x10, 0x01, 0x90, 0x0d, 0x49, 0x00, 0x38,
    0x0d, 0x49, 0xe6, 0x08, 0x00, 0x14, 0x00, 0xdc, 0x01, 0x00, 0x00, 0x12, 0x05, 0x9f, 0x04, 0x39,
    0xa0, 0x0d, 0x56, 0x00, 0x39, 0x0d, 0x56, 0xee, 0x08, 0x00, 0x09, 0x08, 0x3d, 0x0f, 0x04, 0x39,
    0x0a, 0x49, 0x1f, 0x10, 0x18, 0x00, 0x00, 0x14, 0x0c, 0x45, 0x1f, 0x1c, 0x30, 0x01, 0x00, 0xf2,
    0x01, 0x00, 0x00, 0x16, 0x09, 0x0e, 0x04, 0x31, 0xd8, 0x0d, 0x7e, 0x04, 0x31, 0x31, 0x0d, 0x7f,
    0xfe, 0x09, 0x00, 0x72, 0x09, 0x00, 0x1c, 0x00, 0x9e, 0x02, 0x00, 0x00, 0x18, 0x01, 0xea, 0x11,
    0x75, 0x51, 0x81, 0xfe, 0x09, 0x00, 0x96, 0x09, 0x00, 0x2d, 0x18, 0x14, 0x0a, 0x69, 0x64, 0x2d,
    0x31, 0x32, 0x2d, 0x19, 0x10, 0x96, 0x02, 0x00, 0x00, 0x1a, 0x29, 0x0c, 0x04, 0x33, 0xfc, 0x11,
    0x97, 0x51, 0xf4, 0xfe, 0x09, 0x00, 0xba, 0x09, 0x00, 0x14, 0x00, 0xa8, 0x02, 0x00, 0x00, 0x1c,
    0x09, 0x8d, 0x08, 0x34, 0x8e, 0x02, 0x49, 0xb6, 0x00, 0x31, 0x71, 0x48, 0xfe, 0x09, 0x00, 0xde,
    0x09, 0x00, 0x10, 0x00, 0x3e, 0x00, 0x00, 0x1e, 0x09, 0x95, 0x00, 0x35, 0x91, 0x7a, 0x25, 0x43,
    0x00, 0x35, 0x2d, 0x43, 0x18, 0xc0, 0x02, 0x00, 0x00, 0x20, 0x01, 0xb2, 0x11, 0xb0, 0x71, 0xb7,
    0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0x19, 0x09, 0x14, 0x00, 0xde, 0x02, 0x00, 0x00, 0x22, 0x09,
    0xc3, 0x04, 0x37, 0xc4, 0x11, 0xa8, 0x91, 0x07, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0x4a, 0x09,
    0x00, 0x14, 0x00, 0x96, 0x03, 0x00, 0x00, 0x24, 0x09, 0xb1, 0x04, 0x38, 0xd6, 0x11, 0xb1, 0x91,
    0x6f, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0x6e, 0x09, 0x00, 0x2e, 0x63, 0x03, 0x00, 0x38, 0x4d,
    0x20, 0x10, 0x82, 0x03, 0x00, 0x00, 0x26, 0x09, 0xcd, 0x04, 0x39, 0xe8, 0x11, 0xcd, 0x91, 0xe6,
    0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0x92, 0x09, 0x00, 0x30, 0x00, 0x0c, 0x00, 0x00, 0x28, 0x01,
    0x01, 0x00, 0xcc, 0x03, 0x00, 0x00, 0x2a, 0x05, 0xca, 0x0c, 0x32, 0x31, 0x8c, 0x03, 0x69, 0xa0,
    0x00, 0x32, 0xb1, 0x39, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0xda, 0x09, 0x00, 0x3d, 0xb2, 0x04,
    0x32, 0x31, 0x2d, 0xb2, 0x10, 0xb8, 0x03, 0x00, 0x00, 0x2c, 0x09, 0xe8, 0x04, 0x32, 0x9e, 0x11,
    0xe8, 0xb1, 0xac, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0x14, 0x00, 0xca, 0x03,
    0x00, 0x00, 0x2e, 0x09, 0xde, 0x04, 0x33, 0xb0, 0x11, 0xde, 0xb1, 0xf3, 0xfe, 0x09, 0x00, 0xfe,
    0x09, 0x00, 0xfe, 0x09, 0x00, 0x15, 0x09, 0x1c, 0x00, 0xf6, 0x03, 0x00, 0x00, 0x30, 0x01, 0xc2,
    0x11, 0xe1, 0xd1, 0x47, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0x46, 0x09, 0x00,
    0x2e, 0xc2, 0x02, 0x00, 0x34, 0x4d, 0xc2, 0x0c, 0x18, 0x00, 0x00, 0x32, 0x29, 0xe3, 0x1c, 0x35,
    0x01, 0x00, 0x80, 0x04, 0x00, 0x00, 0x34, 0x09, 0x0e, 0x04, 0x36, 0xe6, 0x31, 0x10, 0xd1, 0xa7,
    0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0x8e, 0x09, 0x00, 0x14, 0x00, 0xb8, 0x04,
    0x00, 0x00, 0x36, 0x29, 0x02, 0x04, 0x37, 0xf8, 0x31, 0x02, 0xf1, 0x01, 0xfe, 0x09, 0x00, 0xfe,
    0x09, 0x00, 0xfe, 0x09, 0x00, 0xb2, 0x09, 0x00, 0x2e, 0x2d, 0x02, 0x00, 0x37, 0x4d, 0x2d, 0x1c,
    0x98, 0x04, 0x00, 0x00, 0x38, 0x01, 0x8a, 0x04, 0xad, 0xd1, 0xf1, 0x68, 0xfe, 0x09, 0x00, 0xfe,
    0x09, 0x00, 0xfe, 0x09, 0x00, 0xd6, 0x09, 0x00, 0x14, 0x00, 0xb6, 0x04, 0x00, 0x00, 0x3a, 0x49,
    0x2c, 0x04, 0x39, 0x9c, 0x31, 0x14, 0xf1, 0xaf, 0xfe, 0x09, 0x00, 0xfe, 0x09, 0x00, 0xfe, 0x09,
    0x00, 0xfa, 0x09, 0x00, 0x00, 0x00,
};

static void check_rdk_batch(const uint8_t *p, size_t len, int codec, int first, int n)
{
    rn_batch_header h;
    rn_err err;
    cr_assert_eq(rn_batch_validate(p, len, 1, &h, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(h.attributes, codec);
    cr_assert_eq(h.records_count, n);
    cr_assert_eq(h.producer_id, -1);
    rn_record_iter it;
    cr_assert_eq(rn_record_iter_init(&it, p, len, MAX_DEC, &err), RN_OK, "%s", err.msg);
    rn_record rec;
    int k = 0;
    while (rn_record_iter_next(&it, &rec, &err) == 1) {
        int i = first + k;
        char key[16], value[4096], hv[16];
        int kl = snprintf(key, sizeof key, "key-%d", i), vl = 0, hl;
        for (int r = 0; r <= i; r++)
            vl += snprintf(value + vl, sizeof value - (size_t)vl, "value-%d ", i);
        check_bytes(rec.key, rec.key_len, key, i % 4 == 0 ? -1 : kl);
        check_bytes(rec.value, rec.value_len, value, i % 5 == 0 ? -1 : vl);
        cr_assert_eq(rec.offset, k);
        cr_assert_eq(rec.timestamp, h.base_timestamp);
        cr_assert_eq(rec.header_count, i % 3 == 0 ? 2 : 0);
        if (i % 3 == 0) {
            rn_reader hr;
            rn_reader_init(&hr, rec.headers, rec.headers_len);
            rn_record_header x;
            hl = snprintf(hv, sizeof hv, "id-%d", i);
            cr_assert_eq(rn_record_next_header(&hr, &x), 1);
            check_bytes(x.key, x.key_len, "trace", 5);
            check_bytes(x.value, x.value_len, hv, hl);
            cr_assert_eq(rn_record_next_header(&hr, &x), 1);
            check_bytes(x.key, x.key_len, "nullh", 5);
            check_bytes(x.value, x.value_len, NULL, -1);
            cr_assert_eq(rn_record_next_header(&hr, &x), 0);
        }
        k++;
    }
    cr_assert_eq(k, n, "%s", err.msg);
    rn_record_iter_fini(&it);
}

Test(record, librdkafka_lz4_batch)
{
    check_rdk_batch(rdk_lz4_batch, sizeof rdk_lz4_batch, RN_CODEC_LZ4, 16, 14);
}

Test(record, librdkafka_snappy_batch)
{
    check_rdk_batch(rdk_snappy_batch, sizeof rdk_snappy_batch, RN_CODEC_SNAPPY, 0, 30);
}

Test(codec, zstd_frame_sequences)
{
    const char *text = "zstd frames, zstd frames, zstd frames";
    size_t n = strlen(text);
    rn_buf z = {0}, out = {0};
    rn_err err;
    /* frame, skippable frame (magic 0x184D2A53, 3 bytes of payload), frame */
    rn_batch_compress(RN_CODEC_ZSTD, (const uint8_t *)text, n, &z, &err);
    static const uint8_t skip[] = {0x53, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'};
    rn_buf_append(&z, skip, sizeof skip);
    rn_batch_compress(RN_CODEC_ZSTD, (const uint8_t *)text, n, &z, &err);
    cr_assert_eq(rn_batch_decompress(RN_CODEC_ZSTD, z.p, z.len, 1000, &out, &err), RN_OK, "%s",
                 err.msg);
    cr_assert_eq(out.len, 2 * n);
    cr_assert(memcmp(out.p, text, n) == 0 && memcmp(out.p + n, text, n) == 0);
    /* Limit across frames. */
    out.len = 0;
    cr_assert_eq(rn_batch_decompress(RN_CODEC_ZSTD, z.p, z.len, 2 * n - 1, &out, &err), RN_EPROTO);
    cr_assert_eq(out.len, 0);
    /* A legacy (v0.7) magic is refused before any decoder sees it. */
    z.p[0] = 0x27;
    cr_assert_eq(rn_batch_decompress(RN_CODEC_ZSTD, z.p, z.len, 1000, &out, &err), RN_EPROTO);
    cr_assert(strstr(err.msg, "whole frames") != NULL, "%s", err.msg);
    rn_buf_fini(&z);
    rn_buf_fini(&out);
}
