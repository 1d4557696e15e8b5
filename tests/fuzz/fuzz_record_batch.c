/*
 * tests/fuzz/fuzz_record_batch.c - fuzz target for kafka/record: RecordBatch v2
 * validation, record iteration, the four decompressors and the builder.
 *
 * Each input is treated as a batch: validated deeply, then iterated whatever the result.
 * A copy with batch_length, magic and the CRC fixed up is validated and iterated too, so
 * mutations reach the decompressors and the record parser instead of dying at the CRC.
 * Oracles (abort on violation): a batch that validates must iterate to exactly
 * records_count records; rebuilding those records with the builder must give a batch that
 * validates and iterates to the same records; compress -> decompress is the identity.
 */
#include "kafka/record/record.h"

#include "common/crc32c.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEC ((size_t)1 << 20)

static volatile unsigned sink;

/* Iterates the whole batch, touching every byte handed out (so ASan sees bad pointers).
 * Returns the iterator's final status and the number of records in *n. */
static int iterate(const uint8_t *p, size_t len, int32_t *n, unsigned *sum)
{
    rn_record_iter it;
    rn_err err;
    int rc = rn_record_iter_init(&it, p, len, MAX_DEC, &err);
    *n = 0;
    if (rc == RN_OK) {
        rn_record rec;
        while ((rc = rn_record_iter_next(&it, &rec, &err)) == 1) {
            (*n)++;
            for (int32_t i = 0; i < rec.key_len; i++)
                *sum += rec.key[i];
            for (int32_t i = 0; i < rec.value_len; i++)
                *sum += rec.value[i];
            rn_reader hr;
            rn_reader_init(&hr, rec.headers, rec.headers_len);
            rn_record_header h;
            int32_t nh = 0;
            int hrc;
            while ((hrc = rn_record_next_header(&hr, &h)) == 1) {
                nh++;
                for (int32_t i = 0; i < h.key_len; i++)
                    *sum += h.key[i];
                for (int32_t i = 0; i < h.value_len; i++)
                    *sum += h.value[i];
            }
            if (hrc != 0 || nh != rec.header_count)
                abort(); /* next() accepted headers that next_header() rejects */
        }
    }
    rn_record_iter_fini(&it);
    return rc;
}

/* Rebuilds a validated batch's records with the builder and checks the copy decodes to
 * the same records. */
static void rebuild(const uint8_t *p, size_t len, const rn_batch_header *h)
{
    rn_batch_builder bb;
    /* LogAppendTime records all carry max_timestamp, which need not be near base. */
    int64_t base =
        h->attributes & RN_BATCH_ATTR_LOG_APPEND_TIME ? h->max_timestamp : h->base_timestamp;
    rn_batch_builder_init(&bb, h->attributes & RN_BATCH_ATTR_CODEC_MASK, base);
    rn_batch_builder_set_producer(&bb, h->producer_id, h->producer_epoch, h->base_sequence);
    rn_batch_builder_set_flags(&bb, (int16_t)(h->attributes & RN_BATCH_ATTR_TRANSACTIONAL));
    rn_record_iter it;
    rn_err err;
    if (rn_record_iter_init(&it, p, len, MAX_DEC, &err)) abort();
    rn_record rec;
    int rc;
    while ((rc = rn_record_iter_next(&it, &rec, &err)) == 1) {
        rn_record_header hdrs[64];
        int32_t nh = 0;
        rn_reader hr;
        rn_reader_init(&hr, rec.headers, rec.headers_len);
        while (nh < 64 && rn_record_next_header(&hr, &hdrs[nh]) == 1)
            nh++;
        if (nh < rec.header_count) goto skip; /* too many headers for this oracle */
        if (rn_batch_builder_add(&bb, rec.timestamp, rec.key, rec.key_len, rec.value, rec.value_len,
                                 hdrs, nh))
            abort();
    }
    if (rc != 0) abort();
    rn_buf out = {0};
    if (rn_batch_builder_finish(&bb, &out, &err)) abort();
    rn_batch_header h2;
    if (rn_batch_validate_ex(out.p, out.len, 1, (size_t)8 << 20, NULL, &h2, &err)) abort();
    if (h2.records_count != h->records_count) abort();
    /* Same records, in order. */
    rn_record_iter a, b;
    if (rn_record_iter_init(&a, p, len, MAX_DEC, &err) ||
        rn_record_iter_init(&b, out.p, out.len, (size_t)8 << 20, &err))
        abort();
    rn_record ra, rb;
    int x, y;
    while ((x = rn_record_iter_next(&a, &ra, &err)) == 1) {
        y = rn_record_iter_next(&b, &rb, &err);
        if (y != 1 || ra.offset - h->base_offset != rb.offset || ra.timestamp != rb.timestamp ||
            ra.key_len != rb.key_len || ra.value_len != rb.value_len ||
            ra.header_count != rb.header_count ||
            (ra.key_len > 0 && memcmp(ra.key, rb.key, (size_t)ra.key_len)) ||
            (ra.value_len > 0 && memcmp(ra.value, rb.value, (size_t)ra.value_len)))
            abort();
        /* Headers compared parsed: the original may use non-minimal varints. */
        rn_reader ha, hb;
        rn_reader_init(&ha, ra.headers, ra.headers_len);
        rn_reader_init(&hb, rb.headers, rb.headers_len);
        rn_record_header xa, xb;
        while ((x = rn_record_next_header(&ha, &xa)) == 1) {
            if (rn_record_next_header(&hb, &xb) != 1 || xa.key_len != xb.key_len ||
                xa.value_len != xb.value_len ||
                (xa.key_len > 0 && memcmp(xa.key, xb.key, (size_t)xa.key_len)) ||
                (xa.value_len > 0 && memcmp(xa.value, xb.value, (size_t)xa.value_len)))
                abort();
        }
        if (x != 0 || rn_record_next_header(&hb, &xb) != 0) abort();
    }
    if (x != 0 || rn_record_iter_next(&b, &rb, &err) != 0) abort();
    rn_record_iter_fini(&a);
    rn_record_iter_fini(&b);
    rn_buf_fini(&out);
skip:
    rn_record_iter_fini(&it);
    rn_batch_builder_fini(&bb);
}

static void check_batch(const uint8_t *p, size_t len, unsigned *sum)
{
    rn_batch_header h;
    rn_err err;
    int vrc = rn_batch_validate_ex(p, len, 1, MAX_DEC, NULL, &h, &err);
    if (vrc == RN_OK && rn_batch_validate(p, len, 0, NULL, &err) != RN_OK)
        abort(); /* deep passed, shallow failed */
    int32_t n;
    int irc = iterate(p, len, &n, sum);
    if (vrc == RN_OK) {
        if (irc != 0 || n != h.records_count) abort(); /* validated, yet does not iterate */
        rebuild(p, len, &h);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned sum = 0;
    check_batch(data, size, &sum);

    /* Splitting never reports sizes beyond the buffer. */
    for (size_t off = 0, n; (n = rn_batch_next_size(data + off, size - off)) != 0; off += n)
        if (n < RN_BATCH_HEADER_SIZE || n > size - off) abort();

    if (size >= RN_BATCH_HEADER_SIZE && size - RN_BATCH_LOG_OVERHEAD <= INT32_MAX) {
        uint8_t *copy = malloc(size);
        if (!copy) return 0;
        memcpy(copy, data, size);
        rn_be32_store(copy + 8, (uint32_t)(size - RN_BATCH_LOG_OVERHEAD));
        copy[16] = 2;
        rn_be32_store(copy + 17, rn_crc32c(0, copy + 21, size - 21));
        check_batch(copy, size, &sum);
        free(copy);
    }

    /* The decompressors on raw bytes (codec from the first byte), and compression round
     * trips on the rest. */
    if (size >= 1) {
        int codec = data[0] % 5;
        rn_buf out = {0};
        rn_err err;
        (void)rn_batch_decompress(codec, data + 1, size - 1, MAX_DEC, &out, &err);
        out.len = 0;
        rn_buf back = {0};
        if (rn_batch_compress(codec, data + 1, size - 1, &out, &err) ||
            rn_batch_decompress(codec, out.p, out.len, size - 1, &back, &err) ||
            back.len != size - 1 || (back.len && memcmp(back.p, data + 1, back.len)))
            abort();
        rn_buf_fini(&back);
        rn_buf_fini(&out);
    }
    sink = sum; /* keeps the byte reads from being optimised away */
    return 0;
}
