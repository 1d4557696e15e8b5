/*
 * kafka/record/record.c - RecordBatch v2: header parsing, validation of producer batches,
 * record iteration, the batch builder and the in-place base offset / leader epoch patches.
 * The codecs are in compress.c; the format is documented in record.h.
 *
 * Hand-written rather than generated: the batch is not a Kafka JSON-spec message, and this
 * decoder sits on the produce path, so it reads the bytes in place (no copies, and no
 * allocation unless a compressed batch is walked record by record).
 * Nothing here trusts the input: every length is checked against the bytes present, and
 * offset/timestamp sums use overflow-checked builtins (a hostile delta must not be UB).
 */
#include "kafka/record/record.h"

#include "common/crc32c.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

/* The smallest possible record: length, attributes, timestampDelta, offsetDelta,
 * keyLength, valueLength and headerCount, one byte each. Bounds records_count cheaply. */
#define MIN_RECORD_SIZE 7

/* Reader target for an empty records section (an rn_reader must not start from NULL:
 * NULL + 0 is undefined behaviour). */
static const uint8_t empty_section[1];

/* ------------------------------------------------------------------ header, sizes */

static void decode_header(const uint8_t *p, rn_batch_header *h)
{
    h->base_offset = (int64_t)rn_be64_load(p);
    h->batch_length = (int32_t)rn_be32_load(p + 8);
    h->leader_epoch = (int32_t)rn_be32_load(p + 12);
    h->magic = (int8_t)p[16];
    h->crc = rn_be32_load(p + 17);
    h->attributes = (int16_t)rn_be16_load(p + 21);
    h->last_offset_delta = (int32_t)rn_be32_load(p + 23);
    h->base_timestamp = (int64_t)rn_be64_load(p + 27);
    h->max_timestamp = (int64_t)rn_be64_load(p + 35);
    h->producer_id = (int64_t)rn_be64_load(p + 43);
    h->producer_epoch = (int16_t)rn_be16_load(p + 51);
    h->base_sequence = (int32_t)rn_be32_load(p + 53);
    h->records_count = (int32_t)rn_be32_load(p + 57);
}

int rn_batch_parse_header(const uint8_t *p, size_t len, rn_batch_header *h, rn_err *err)
{
    if (len < RN_BATCH_HEADER_SIZE)
        return rn_err_set(err, RN_EPROTO,
                          "record batch: %zu bytes, shorter than the %d-byte header", len,
                          RN_BATCH_HEADER_SIZE);
    decode_header(p, h);
    if (h->magic != 2)
        return rn_err_set(err, RN_EPROTO, "record batch: magic %d, only 2 is supported", h->magic);
    if (h->batch_length < RN_BATCH_HEADER_SIZE - RN_BATCH_LOG_OVERHEAD)
        return rn_err_set(err, RN_EPROTO, "record batch: batch_length %" PRId32 " is below %d",
                          h->batch_length, RN_BATCH_HEADER_SIZE - RN_BATCH_LOG_OVERHEAD);
    return RN_OK;
}

size_t rn_batch_total_size(const uint8_t *p, size_t len)
{
    if (len < RN_BATCH_LOG_OVERHEAD) return 0;
    int32_t batch_length = (int32_t)rn_be32_load(p + 8);
    return (size_t)(batch_length < 0 ? 0 : batch_length) + RN_BATCH_LOG_OVERHEAD;
}

size_t rn_batch_next_size(const uint8_t *p, size_t len)
{
    size_t n = rn_batch_total_size(p, len);
    return n >= RN_BATCH_HEADER_SIZE && n <= len ? n : 0;
}

/* Checks shared by validation and iteration: the header parses and len is exactly the
 * batch's size. */
static int check_frame(const uint8_t *p, size_t len, rn_batch_header *h, rn_err *err)
{
    int rc = rn_batch_parse_header(p, len, h, err);
    if (rc) return rc;
    if ((size_t)h->batch_length + RN_BATCH_LOG_OVERHEAD != len)
        return rn_err_set(err, RN_EPROTO,
                          "record batch: batch_length %" PRId32
                          " + 12 does not match the %zu bytes given",
                          h->batch_length, len);
    return RN_OK;
}

static int check_codec(const rn_batch_header *h, rn_err *err)
{
    int codec = h->attributes & RN_BATCH_ATTR_CODEC_MASK;
    if (codec > RN_CODEC_ZSTD)
        return rn_err_set(err, RN_EPROTO, "record batch: unknown compression codec %d", codec);
    return RN_OK;
}

/* ------------------------------------------------------------------ record parsing */

/* One-byte fast paths for the zigzag varints that dominate records (small lengths and
 * deltas); anything longer, and every error case, goes through common/buf.c. */
static inline int32_t rd_varint(rn_reader *r)
{
    if (!r->err && r->p < r->end && !(*r->p & 0x80)) {
        uint32_t u = *r->p++;
        return (int32_t)((u >> 1) ^ (0u - (u & 1)));
    }
    return rn_rd_varint(r);
}

static inline int64_t rd_varlong(rn_reader *r)
{
    if (!r->err && r->p < r->end && !(*r->p & 0x80)) {
        uint64_t u = *r->p++;
        return (int64_t)((u >> 1) ^ (0u - (u & 1)));
    }
    return rn_rd_varlong(r);
}

/* Reads a nullable byte string (varint length, -1 = null) from r. Returns 0, or -1 if the
 * length is below -1 or runs past the reader (r->err is then set). */
static int read_nullable(rn_reader *r, const uint8_t **data, int32_t *len)
{
    int32_t n = rd_varint(r);
    if (r->err || n < -1) {
        r->err = 1;
        return -1;
    }
    *len = n;
    *data = n < 0 ? NULL : rn_rd_bytes(r, (size_t)n);
    return r->err ? -1 : 0;
}

/* Parses the record at r (index `index` in its batch) into *rec and advances r past it.
 * Checks that every field lies within the record's length and that the record's length is
 * used exactly; computes offset and timestamp from the header without overflow. Offset
 * delta ordering is the caller's business (*delta gets it, always >= 0). */
static int parse_record(rn_reader *r, const rn_batch_header *h, int32_t index, rn_record *rec,
                        int32_t *delta, rn_err *err)
{
    int32_t rlen = rd_varint(r);
    if (r->err) return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": truncated length", index);
    if (rlen < 0 || (size_t)rlen > rn_reader_left(r))
        return rn_err_set(err, RN_EPROTO,
                          "record %" PRId32 ": length %" PRId32 " but %zu bytes are left", index,
                          rlen, rn_reader_left(r));
    rn_reader rr;
    rn_reader_init(&rr, r->p, (size_t)rlen);
    r->p += rlen;

    (void)rn_rd_i8(&rr); /* record attributes: unused */
    int64_t ts_delta = rd_varlong(&rr);
    int32_t off_delta = rd_varint(&rr);
    if (rr.err) return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": truncated fields", index);
    if (off_delta < 0)
        return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": negative offset delta %" PRId32,
                          index, off_delta);
    if (read_nullable(&rr, &rec->key, &rec->key_len))
        return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": bad key length", index);
    if (read_nullable(&rr, &rec->value, &rec->value_len))
        return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": bad value length", index);
    int32_t hcount = rd_varint(&rr);
    /* Each header takes at least two bytes (two one-byte lengths). */
    if (rr.err || hcount < 0 || (size_t)hcount > rn_reader_left(&rr) / 2)
        return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": bad header count %" PRId32, index,
                          hcount);
    const uint8_t *hstart = rr.p;
    for (int32_t i = 0; i < hcount; i++) {
        int32_t klen = rd_varint(&rr);
        if (rr.err || klen < 0)
            return rn_err_set(err, RN_EPROTO,
                              "record %" PRId32 ": header %" PRId32 ": bad key length", index, i);
        rn_rd_skip(&rr, (size_t)klen);
        int32_t vlen = rd_varint(&rr);
        if (rr.err || vlen < -1)
            return rn_err_set(err, RN_EPROTO,
                              "record %" PRId32 ": header %" PRId32 ": bad value length", index, i);
        if (vlen > 0) rn_rd_skip(&rr, (size_t)vlen);
        if (rr.err)
            return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": header %" PRId32 ": truncated",
                              index, i);
    }
    if (rn_reader_left(&rr) != 0)
        return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": %zu unused bytes at its end", index,
                          rn_reader_left(&rr));
    rec->header_count = hcount;
    rec->headers = hstart;
    rec->headers_len = (size_t)(rr.p - hstart);

    if (h->attributes & RN_BATCH_ATTR_LOG_APPEND_TIME)
        rec->timestamp = h->max_timestamp;
    else if (__builtin_add_overflow(h->base_timestamp, ts_delta, &rec->timestamp))
        return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": timestamp overflows", index);
    if (__builtin_add_overflow(h->base_offset, (int64_t)off_delta, &rec->offset))
        return rn_err_set(err, RN_EPROTO, "record %" PRId32 ": offset overflows", index);
    *delta = off_delta;
    return RN_OK;
}

int rn_record_next_header(rn_reader *r, rn_record_header *h)
{
    if (r->err) return RN_EPROTO;
    if (rn_reader_left(r) == 0) return 0;
    int32_t klen = rd_varint(r);
    if (r->err || klen < 0) {
        r->err = 1;
        return RN_EPROTO;
    }
    h->key = rn_rd_bytes(r, (size_t)klen);
    h->key_len = klen;
    if (read_nullable(r, &h->value, &h->value_len) || !h->key) return RN_EPROTO;
    return 1;
}

/* Walks exactly h->records_count records over [p, p+len), requiring offset deltas
 * 0, 1, ..., count - 1 and no trailing bytes (a producer batch). The base offset is the
 * broker's to assign, so it takes no part (it cannot make a producer batch overflow). */
static int walk_records(const uint8_t *p, size_t len, const rn_batch_header *batch, rn_err *err)
{
    rn_batch_header hdr = *batch;
    const rn_batch_header *h = &hdr;
    hdr.base_offset = 0;
    if ((size_t)h->records_count > len / MIN_RECORD_SIZE)
        return rn_err_set(err, RN_EPROTO,
                          "record batch: %" PRId32 " records cannot fit in %zu bytes",
                          h->records_count, len);
    rn_reader r;
    rn_reader_init(&r, p, len);
    for (int32_t i = 0; i < h->records_count; i++) {
        rn_record rec;
        int32_t delta;
        int rc = parse_record(&r, h, i, &rec, &delta, err);
        if (rc) return rc;
        if (delta != i)
            return rn_err_set(err, RN_EPROTO,
                              "record %" PRId32 ": offset delta %" PRId32 ", expected %" PRId32, i,
                              delta, i);
    }
    if (rn_reader_left(&r) != 0)
        return rn_err_set(err, RN_EPROTO,
                          "record batch: %zu bytes after the last of %" PRId32 " records",
                          rn_reader_left(&r), h->records_count);
    return RN_OK;
}

/* ------------------------------------------------------------------ validation */

int rn_batch_validate(const uint8_t *p, size_t len, int deep, rn_batch_header *h, rn_err *err)
{
    return rn_batch_validate_ex(p, len, deep, RN_BATCH_DEFAULT_MAX_DECOMPRESSED, NULL, h, err);
}

int rn_batch_validate_ex(const uint8_t *p, size_t len, int deep, size_t max_decompressed,
                         rn_buf *scratch, rn_batch_header *h, rn_err *err)
{
    rn_batch_header local;
    if (!h) h = &local;
    int rc = check_frame(p, len, h, err);
    if (rc) return rc;
    uint32_t crc = rn_crc32c(0, p + RN_BATCH_CRC_START, len - RN_BATCH_CRC_START);
    if (crc != h->crc)
        return rn_err_set(err, RN_ECORRUPT,
                          "record batch: crc mismatch: header has %08" PRIx32
                          ", data has %08" PRIx32,
                          h->crc, crc);
    rc = check_codec(h, err);
    if (rc) return rc;
    if (h->records_count <= 0)
        return rn_err_set(err, RN_EPROTO, "record batch: records_count %" PRId32 " is not positive",
                          h->records_count);
    if (h->last_offset_delta != h->records_count - 1)
        return rn_err_set(err, RN_EPROTO,
                          "record batch: inconsistent offset range: last_offset_delta %" PRId32
                          " with %" PRId32 " records",
                          h->last_offset_delta, h->records_count);
    if (h->attributes & RN_BATCH_ATTR_CONTROL)
        return rn_err_set(err, RN_EINVAL, "record batch: clients may not write control batches");
    if (h->producer_id >= 0 && h->base_sequence < 0)
        return rn_err_set(err, RN_EINVAL,
                          "record batch: producer id %" PRId64
                          " with negative base sequence %" PRId32,
                          h->producer_id, h->base_sequence);
    if ((h->attributes & RN_BATCH_ATTR_TRANSACTIONAL) && h->producer_id < 0)
        return rn_err_set(err, RN_EINVAL,
                          "record batch: transactional batch without a producer id");
    if (!deep) return RN_OK;

    const uint8_t *recs = p + RN_BATCH_HEADER_SIZE;
    size_t recs_len = len - RN_BATCH_HEADER_SIZE;
    int codec = h->attributes & RN_BATCH_ATTR_CODEC_MASK;
    if (codec == RN_CODEC_NONE) return walk_records(recs, recs_len, h, err);

    rn_buf tmp = {0};
    rn_buf *dbuf = scratch ? scratch : &tmp;
    dbuf->len = 0;
    dbuf->oom = 0; /* a scratch buffer must not stay poisoned by one failed allocation */
    rc = rn_batch_decompress(codec, recs, recs_len, max_decompressed, dbuf, err);
    if (rc == RN_OK) rc = walk_records(dbuf->p ? dbuf->p : empty_section, dbuf->len, h, err);
    rn_buf_fini(&tmp);
    return rc;
}

/* ------------------------------------------------------------------ record iteration */

int rn_record_iter_init(rn_record_iter *it, const uint8_t *p, size_t len, size_t max_decompressed,
                        rn_err *err)
{
    memset(it, 0, sizeof *it);
    int rc = check_frame(p, len, &it->hdr, err);
    if (rc == RN_OK) rc = check_codec(&it->hdr, err);
    if (rc) goto fail;
    if (it->hdr.records_count < 0) {
        rc = rn_err_set(err, RN_EPROTO, "record batch: negative records_count %" PRId32,
                        it->hdr.records_count);
        goto fail;
    }
    const uint8_t *recs = p + RN_BATCH_HEADER_SIZE;
    size_t recs_len = len - RN_BATCH_HEADER_SIZE;
    int codec = it->hdr.attributes & RN_BATCH_ATTR_CODEC_MASK;
    if (codec != RN_CODEC_NONE) {
        rc = rn_batch_decompress(codec, recs, recs_len, max_decompressed, &it->dbuf, err);
        if (rc) goto fail;
        recs = it->dbuf.p ? it->dbuf.p : empty_section;
        recs_len = it->dbuf.len;
    }
    if ((size_t)it->hdr.records_count > recs_len / MIN_RECORD_SIZE) {
        rc = rn_err_set(err, RN_EPROTO, "record batch: %" PRId32 " records cannot fit in %zu bytes",
                        it->hdr.records_count, recs_len);
        goto fail;
    }
    rn_reader_init(&it->rd, recs, recs_len);
    it->left = it->hdr.records_count;
    it->prev_delta = -1;
    return RN_OK;
fail:
    /* Nothing stays allocated: callers need not fini after a failed init. */
    rn_buf_fini(&it->dbuf);
    it->failed = rc;
    return rc;
}

int rn_record_iter_next(rn_record_iter *it, rn_record *rec, rn_err *err)
{
    if (it->failed) return rn_err_set(err, it->failed, "record iterator: already failed");
    int32_t index = it->hdr.records_count - it->left;
    if (it->left == 0) {
        if (rn_reader_left(&it->rd) != 0)
            return it->failed =
                       rn_err_set(err, RN_EPROTO,
                                  "record batch: %zu bytes after the last of %" PRId32 " records",
                                  rn_reader_left(&it->rd), it->hdr.records_count);
        return 0;
    }
    int32_t delta;
    const uint8_t *start = it->rd.p;
    int rc = parse_record(&it->rd, &it->hdr, index, rec, &delta, err);
    if (rc) return it->failed = rc;
    rec->raw = start;
    rec->raw_len = (size_t)(it->rd.p - start);
    /* Compacted batches may skip deltas, but they always increase and stay within the
     * batch's offset range (consumers advance by last_offset_delta + 1). */
    if (delta <= it->prev_delta || delta > it->hdr.last_offset_delta)
        return it->failed = rn_err_set(err, RN_EPROTO,
                                       "record %" PRId32 ": offset delta %" PRId32 " after %" PRId64
                                       " (last_offset_delta %" PRId32 ")",
                                       index, delta, it->prev_delta, it->hdr.last_offset_delta);
    it->prev_delta = delta;
    it->left--;
    return 1;
}

void rn_record_iter_fini(rn_record_iter *it)
{
    rn_buf_fini(&it->dbuf);
    it->left = 0;
    it->failed = RN_EPROTO;
}

/* ------------------------------------------------------------------ building */

void rn_batch_builder_init(rn_batch_builder *bb, int codec, int64_t base_timestamp)
{
    memset(bb, 0, sizeof *bb);
    bb->codec = codec;
    bb->base_timestamp = base_timestamp;
    bb->max_timestamp = base_timestamp;
    bb->producer_id = -1;
    bb->producer_epoch = -1;
    bb->base_sequence = -1;
}

void rn_batch_builder_set_producer(rn_batch_builder *bb, int64_t producer_id, int16_t epoch,
                                   int32_t base_sequence)
{
    bb->producer_id = producer_id;
    bb->producer_epoch = epoch;
    bb->base_sequence = base_sequence;
}

void rn_batch_builder_set_flags(rn_batch_builder *bb, int16_t flags)
{
    bb->attr_flags = (int16_t)(flags & (RN_BATCH_ATTR_LOG_APPEND_TIME |
                                        RN_BATCH_ATTR_TRANSACTIONAL | RN_BATCH_ATTR_CONTROL));
}

/* Encoded size of a nullable byte string of length n (-1 = null). */
static uint64_t nullable_size(int32_t n)
{
    return rn_varint_size(n) + (n > 0 ? (uint64_t)n : 0);
}

static void put_nullable(rn_buf *b, const void *data, int32_t n)
{
    rn_buf_put_varint(b, n);
    if (n > 0) rn_buf_append(b, data, (size_t)n);
}

int rn_batch_builder_add(rn_batch_builder *bb, int64_t timestamp, const void *key, int32_t key_len,
                         const void *value, int32_t value_len, const rn_record_header *headers,
                         int32_t header_count)
{
    if (bb->failed) return bb->failed;
    int64_t ts_delta;
    if (key_len < -1 || value_len < -1 || header_count < 0 || (key_len > 0 && !key) ||
        (value_len > 0 && !value) || (header_count > 0 && !headers) || bb->count == INT32_MAX ||
        __builtin_sub_overflow(timestamp, bb->base_timestamp, &ts_delta))
        return bb->failed = RN_EINVAL;

    uint64_t body = 1 + rn_varlong_size(ts_delta) + rn_varint_size(bb->count) +
                    nullable_size(key_len) + nullable_size(value_len) +
                    rn_varint_size(header_count);
    for (int32_t i = 0; i < header_count; i++) {
        const rn_record_header *h = &headers[i];
        if (h->key_len < 0 || (h->key_len > 0 && !h->key) || h->value_len < -1 ||
            (h->value_len > 0 && !h->value))
            return bb->failed = RN_EINVAL;
        body += nullable_size(h->key_len) + nullable_size(h->value_len);
        if (body > INT32_MAX) return bb->failed = RN_EINVAL;
    }
    if (body > INT32_MAX) return bb->failed = RN_EINVAL;
    /* Reserve first, so that the writes below cannot fail half-way through a record. */
    if (rn_buf_reserve(&bb->recs, rn_varint_size((int32_t)body) + (size_t)body))
        return bb->failed = RN_ENOMEM;

    rn_buf *b = &bb->recs;
    rn_buf_put_varint(b, (int32_t)body);
    rn_buf_put_i8(b, 0);
    rn_buf_put_varlong(b, ts_delta);
    rn_buf_put_varint(b, bb->count);
    put_nullable(b, key, key_len);
    put_nullable(b, value, value_len);
    rn_buf_put_varint(b, header_count);
    for (int32_t i = 0; i < header_count; i++) {
        put_nullable(b, headers[i].key, headers[i].key_len);
        put_nullable(b, headers[i].value, headers[i].value_len);
    }
    if (bb->count == 0 || timestamp > bb->max_timestamp) bb->max_timestamp = timestamp;
    bb->count++;
    return RN_OK;
}

int rn_batch_builder_finish(rn_batch_builder *bb, rn_buf *out, rn_err *err)
{
    if (bb->failed)
        return rn_err_set(err, bb->failed, "batch builder: an earlier add failed (%s)",
                          rn_strerror(bb->failed));
    if (bb->count == 0) return rn_err_set(err, RN_EINVAL, "batch builder: no records");
    size_t start = out->len;
    if (!rn_buf_extend(out, RN_BATCH_HEADER_SIZE))
        return rn_err_set(err, RN_ENOMEM, "batch builder: out of memory");
    int rc = rn_batch_compress(bb->codec, bb->recs.p, bb->recs.len, out, err);
    if (rc) {
        out->len = start;
        return rc;
    }
    size_t total = out->len - start;
    if (total - RN_BATCH_LOG_OVERHEAD > INT32_MAX) {
        out->len = start;
        return rn_err_set(err, RN_EINVAL, "batch builder: batch of %zu bytes is too large", total);
    }
    uint8_t *p = out->p + start;
    rn_be64_store(p, 0);
    rn_be32_store(p + 8, (uint32_t)(total - RN_BATCH_LOG_OVERHEAD));
    rn_be32_store(p + 12, UINT32_MAX); /* partition leader epoch -1: the broker sets it */
    p[16] = 2;
    rn_be16_store(p + 21, (uint16_t)(bb->codec | bb->attr_flags));
    rn_be32_store(p + 23, (uint32_t)(bb->count - 1));
    rn_be64_store(p + 27, (uint64_t)bb->base_timestamp);
    rn_be64_store(p + 35, (uint64_t)bb->max_timestamp);
    rn_be64_store(p + 43, (uint64_t)bb->producer_id);
    rn_be16_store(p + 51, (uint16_t)bb->producer_epoch);
    rn_be32_store(p + 53, (uint32_t)bb->base_sequence);
    rn_be32_store(p + 57, (uint32_t)bb->count);
    rn_be32_store(p + 17, rn_crc32c(0, p + RN_BATCH_CRC_START, total - RN_BATCH_CRC_START));
    return RN_OK;
}

void rn_batch_builder_fini(rn_batch_builder *bb)
{
    rn_buf_fini(&bb->recs);
}

/* ------------------------------------------------------------------ in-place patches */

void rn_batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
    rn_be64_store(p, (uint64_t)base_offset);
}

void rn_batch_set_leader_epoch(uint8_t *p, int32_t epoch)
{
    rn_be32_store(p + 12, (uint32_t)epoch);
}
