/*
 * kafka/record/record.h - Kafka RecordBatch v2 (magic 2): parse and validate batches as
 * producers send them, iterate their records (decompressing if needed), build new
 * batches, (de)compress record sections, and patch the broker-owned header fields.
 *
 * Layer: called by kafka/api (produce, fetch), log/ and tools; calls common/ only, plus
 * zlib, snappy, lz4 and zstd inside compress.c (no library header leaks from here).
 * Format (spec/kafka-protocol.md section 5), all integers big-endian:
 *
 *   OFFSET SIZE FIELD                    OFFSET SIZE FIELD
 *        0    8 baseOffset                   35    8 maxTimestamp
 *        8    4 batchLength (size - 12)      43    8 producerId
 *       12    4 partitionLeaderEpoch         51    2 producerEpoch
 *       16    1 magic (2)                    53    4 baseSequence
 *       17    4 crc (CRC-32C of [21, end))   57    4 recordsCount
 *       21    2 attributes                   61    - records (one blob if compressed)
 *       23    4 lastOffsetDelta
 *       27    8 baseTimestamp
 *
 * Each record: varint length, int8 attributes, varlong timestampDelta, varint offsetDelta,
 * varint keyLength (-1 null) + key, varint valueLength (-1 null) + value, varint
 * headerCount, then per header varint keyLength (>= 0) + key, varint valueLength (-1 null)
 * + value. Record varints are zigzag (rn_rd_varint / rn_rd_varlong).
 *
 * Invariants: nothing here trusts the input. Every length is checked against the bytes
 *   actually present, offset and timestamp arithmetic is overflow-checked, and
 *   decompression is bounded by a caller-given maximum (decompression bombs fail with
 *   RN_EPROTO instead of allocating).
 * Threads: no global state; every function is safe to call from any thread on distinct
 *   objects.
 */
#ifndef RN_KAFKA_RECORD_RECORD_H
#define RN_KAFKA_RECORD_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define RN_BATCH_HEADER_SIZE  61 /* Kafka's RECORD_BATCH_OVERHEAD */
#define RN_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength: not counted in batchLength */
#define RN_BATCH_CRC_START    21 /* the CRC covers [21, end): attributes onwards */

enum {
    RN_CODEC_NONE = 0,
    RN_CODEC_GZIP = 1,
    RN_CODEC_SNAPPY = 2,
    RN_CODEC_LZ4 = 3,
    RN_CODEC_ZSTD = 4
};

#define RN_BATCH_ATTR_CODEC_MASK      0x07
#define RN_BATCH_ATTR_LOG_APPEND_TIME 0x08 /* timestampType: records use maxTimestamp */
#define RN_BATCH_ATTR_TRANSACTIONAL   0x10
#define RN_BATCH_ATTR_CONTROL         0x20 /* transaction marker; clients may not produce */

/* Default decompression limit of rn_batch_validate(deep=1): larger decompressed record
 * sections are rejected (RN_EPROTO). rn_batch_validate_ex takes an explicit limit. */
#define RN_BATCH_DEFAULT_MAX_DECOMPRESSED ((size_t)64 << 20)

/* The 61-byte batch header, decoded. */
typedef struct rn_batch_header {
    int64_t base_offset;
    int32_t batch_length; /* bytes after this field: whole batch size - 12 */
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes; /* codec = attributes & RN_BATCH_ATTR_CODEC_MASK */
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id; /* -1 if not idempotent */
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t records_count;
} rn_batch_header;

/* ------------------------------------------------------------------ header, sizes */

/* Decodes the 61-byte header at p into *h. Checks only what the header alone can show:
 * len >= 61, magic == 2 and batch_length >= 49 (the header fits in the batch). It does not
 * check the CRC, the codec, the counts, or that the whole batch is within len.
 * Returns RN_OK or RN_EPROTO (err says why). Borrows p; keeps no pointer. */
int rn_batch_parse_header(const uint8_t *p, size_t len, rn_batch_header *h, rn_err *err);

/* Total size of the batch starting at p (batch_length + 12), or 0 if len < 12 (not yet
 * determinable). A negative batch_length is reported as 12, so any result in 1..60 means
 * "not a valid batch". The result may exceed len (the batch is incomplete). */
size_t rn_batch_total_size(const uint8_t *p, size_t len);

/* Splits a buffer of consecutive batches (a Produce request's records field, a Fetch
 * result, a segment read). Returns the size of the batch at p if it is whole (size <= len)
 * and at least RN_BATCH_HEADER_SIZE; 0 otherwise: either incomplete (len < 12, or the
 * batch runs past len, as a Fetch response's last batch may) or invalid (batch_length
 * < 49). rn_batch_total_size tells the two apart (invalid iff 1..60).
 *   for (size_t n; (n = rn_batch_next_size(p, len)) != 0; p += n, len -= n) ...
 */
size_t rn_batch_next_size(const uint8_t *p, size_t len);

/* ------------------------------------------------------------------ validation */

/* Validates one batch occupying exactly [p, p+len) as a producer sends it:
 *   len >= 61; batch_length + 12 == len; magic == 2; CRC-32C over [21, len) matches;
 *   codec known (0-4); records_count > 0 and last_offset_delta == records_count - 1;
 *   not a control batch; if producer_id >= 0 then base_sequence >= 0; a transactional
 *   batch has producer_id >= 0.
 * If deep != 0 it also decompresses the records section (if compressed, at most
 * RN_BATCH_DEFAULT_MAX_DECOMPRESSED bytes) and walks every record: record lengths
 * consistent, exactly records_count records, offset deltas 0, 1, ..., count - 1, key,
 * value and header lengths within the record, timestamps without int64 overflow, no
 * trailing bytes.
 * Fills *h (if not NULL) when the header could be parsed, even if a later check fails.
 * Returns RN_OK, or a code with err's message saying what is wrong:
 *   RN_ECORRUPT  CRC mismatch (Kafka CORRUPT_MESSAGE);
 *   RN_EPROTO    any other structural problem (CORRUPT_MESSAGE / INVALID_RECORD);
 *   RN_EINVAL    a control batch or bad producer fields (INVALID_RECORD);
 *   RN_ENOMEM    deep only: the decompression buffer could not be allocated.
 * deep == 0 never allocates. Borrows p; keeps no pointer. */
int rn_batch_validate(const uint8_t *p, size_t len, int deep, rn_batch_header *h, rn_err *err);

/* rn_batch_validate with an explicit decompression limit and, optionally, a caller-owned
 * scratch buffer for the decompressed records: its len and oom are reset and its memory is
 * reused across calls (e.g. one per connection); NULL means a temporary freed before
 * returning. On return scratch holds the decompressed records section of a compressed
 * batch (unspecified content on failure). */
int rn_batch_validate_ex(const uint8_t *p, size_t len, int deep, size_t max_decompressed,
                         rn_buf *scratch, rn_batch_header *h, rn_err *err);

/* ------------------------------------------------------------------ compression */

/* Decompresses the records section `in` of a batch compressed with codec, appending the
 * result to out. RN_CODEC_NONE appends a copy. Snappy accepts both raw snappy (as
 * librdkafka writes) and the xerial snappy-java framing (82 'SNAPPY' 00, int32 version,
 * int32 compat, then int32-length-prefixed raw blocks). gzip accepts gzip (and zlib)
 * streams, several gzip members in a row too; lz4 one or more LZ4 frames; zstd one or
 * more zstd frames, with or without a content size.
 * Never appends more than max_out bytes: if the decompressed size would exceed max_out
 * it fails with RN_EPROTO after decoding at most max_out + 1 bytes, and out's capacity
 * stays within about twice that (decompression bombs). Sizes declared by the input only
 * size the buffer when plausible for the format; they are never trusted for bounds.
 * Returns RN_OK; RN_EPROTO for corrupt or truncated input, trailing garbage, an unknown
 * codec or too much output; RN_ENOMEM (out->oom is then set, as rn_buf does). On failure
 * out->len is restored (its capacity may have grown). Borrows in. */
int rn_batch_decompress(int codec, const uint8_t *in, size_t len, size_t max_out, rn_buf *out,
                        rn_err *err);

/* Compresses `in` with codec, appending to out: gzip (an RFC 1952 stream), snappy (raw
 * snappy, as librdkafka writes), lz4 (an LZ4 frame, independent blocks, as Kafka
 * requires), zstd (one zstd frame with its content size). RN_CODEC_NONE appends a copy.
 * Returns RN_OK, RN_EINVAL for an unknown codec, RN_ENOMEM; on failure out->len is
 * restored. Borrows in. */
int rn_batch_compress(int codec, const uint8_t *in, size_t len, rn_buf *out, rn_err *err);

/* ------------------------------------------------------------------ record iteration */

/* One record header; pointers point into the record (see rn_record). */
typedef struct rn_record_header {
    const uint8_t *key; /* never null; not NUL-terminated */
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len; /* -1 = null (value is NULL) */
} rn_record_header;

/* One decoded record. Pointers point into the batch (uncompressed) or into the iterator's
 * decompression buffer: valid until rn_record_iter_fini and while the batch bytes live. */
typedef struct rn_record {
    int64_t offset;    /* base_offset + offset_delta */
    int64_t timestamp; /* base_timestamp + delta, or max_timestamp for LogAppendTime */
    const uint8_t *key;
    int32_t key_len; /* -1 = null (key is NULL) */
    const uint8_t *value;
    int32_t value_len; /* -1 = null (value is NULL) */
    int32_t header_count;
    const uint8_t *headers; /* raw header section: parse with rn_record_next_header */
    size_t headers_len;
    const uint8_t *raw; /* the whole encoded record (length varint included), to copy it */
    size_t raw_len;     /* into a rewritten batch unchanged */
} rn_record;

/* Iterator state; fields are private. Caller-provided storage (init/fini). */
typedef struct rn_record_iter {
    rn_batch_header hdr; /* copy of the batch header */
    rn_reader rd;        /* over the records section: the batch itself or dbuf */
    rn_buf dbuf;         /* decompressed records section; from malloc, freed by fini */
    int32_t left;        /* records not yet returned */
    int64_t prev_delta;  /* offset delta of the previous record; -1 before the first */
    int failed;          /* sticky error code once next() failed */
} rn_record_iter;

/* Starts iterating the records of a whole batch [p, p+len) (as stored or fetched: control
 * and transactional batches, compacted batches with gaps in the offset deltas and empty
 * batches are all accepted). Checks the header (rn_batch_parse_header), that len is the
 * batch's exact size, a known codec and records_count >= 0; decompresses a compressed
 * records section into the iterator's own buffer, bounded by max_decompressed. Does NOT
 * check the CRC (use rn_batch_validate first for untrusted input).
 * Returns RN_OK, RN_EPROTO or RN_ENOMEM. The iterator borrows p, which must outlive it.
 * After a successful init call rn_record_iter_fini; a failed init holds no memory (fini
 * is then optional and harmless, and next() returns the init error). */
int rn_record_iter_init(rn_record_iter *it, const uint8_t *p, size_t len, size_t max_decompressed,
                        rn_err *err);

/* Decodes the next record into *rec. Returns 1 with *rec filled, 0 at the end (after
 * exactly records_count records and no trailing bytes), or RN_EPROTO on malformed data
 * (bad lengths, offset deltas not increasing or beyond last_offset_delta, offset or
 * timestamp overflow, bad headers, trailing bytes). Errors are sticky. */
int rn_record_iter_next(rn_record_iter *it, rn_record *rec, rn_err *err);

/* The batch header the iterator was initialised with. */
static inline const rn_batch_header *rn_record_iter_header(const rn_record_iter *it)
{
    return &it->hdr;
}

/* Releases the decompression buffer. Safe after a failed init and to call twice. */
void rn_record_iter_fini(rn_record_iter *it);

/* Reads the next header from r, a caller-owned reader initialised over
 * (rec->headers, rec->headers_len). Returns 1 with *h filled, 0 at the end, or RN_EPROTO
 * if malformed (cannot happen for a record returned by rn_record_iter_next). */
int rn_record_next_header(rn_reader *r, rn_record_header *h);

/* ------------------------------------------------------------------ building */

/* Builds a complete RecordBatch v2, CRC included: for tests, the benchmark and the
 * broker's own writes. Caller-provided storage; fields are private. */
typedef struct rn_batch_builder {
    rn_buf recs; /* uncompressed records section; from malloc, freed by fini */
    int codec;
    int16_t attr_flags; /* RN_BATCH_ATTR_* bits other than the codec */
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t count;
    int failed; /* first error of add(), reported again by finish() */
} rn_batch_builder;

/* Starts an empty batch: base offset 0, leader epoch -1, no producer (-1/-1/-1),
 * CreateTime. base_timestamp is the reference of every record's timestamp delta. */
void rn_batch_builder_init(rn_batch_builder *bb, int codec, int64_t base_timestamp);

/* Sets the idempotent-producer fields (default -1, -1, -1). */
void rn_batch_builder_set_producer(rn_batch_builder *bb, int64_t producer_id, int16_t epoch,
                                   int32_t base_sequence);

/* Sets attribute bits besides the codec: RN_BATCH_ATTR_LOG_APPEND_TIME,
 * RN_BATCH_ATTR_TRANSACTIONAL, RN_BATCH_ATTR_CONTROL (for tests and markers). */
void rn_batch_builder_set_flags(rn_batch_builder *bb, int16_t flags);

/* Appends one record with offset delta = number of records added before it. key_len and
 * value_len of -1 mean null (the pointer is then ignored); header values likewise; header
 * keys must not be null. Copies everything; borrows the arguments. Returns RN_OK, or
 * RN_EINVAL (bad length, timestamp delta overflows, too many records, record over 2 GiB)
 * or RN_ENOMEM; after a failure the builder refuses further records and finish fails. */
int rn_batch_builder_add(rn_batch_builder *bb, int64_t timestamp, const void *key, int32_t key_len,
                         const void *value, int32_t value_len, const rn_record_header *headers,
                         int32_t header_count);

/* Appends the whole batch to out (compressing the records if the codec says so). Returns
 * RN_OK; the code of an earlier failed add(); RN_EINVAL (no records, an unknown codec, or
 * the batch would exceed 2 GiB); or RN_ENOMEM. On failure out->len is restored. The
 * builder is left unchanged; call rn_batch_builder_fini afterwards. */
int rn_batch_builder_finish(rn_batch_builder *bb, rn_buf *out, rn_err *err);

/* Frees the builder's memory. */
void rn_batch_builder_fini(rn_batch_builder *bb);

/* ------------------------------------------------------------------ in-place patches */

/* Patch the broker-owned fields in place: base offset (bytes 0-7) and partition leader
 * epoch (bytes 12-15). The CRC stays valid because it covers bytes 21 onwards. p must
 * hold at least 16 bytes. */
void rn_batch_set_base_offset(uint8_t *p, int64_t base_offset);
void rn_batch_set_leader_epoch(uint8_t *p, int32_t epoch);

#endif
