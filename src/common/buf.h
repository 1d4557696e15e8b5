/*
 * common/buf.h - byte slices, a growable output buffer and a bounds-checked big-endian
 * reader: the primitives every codec in Runnel (Kafka wire, RecordBatch, on-disk
 * formats) is built from.
 *
 * rn_reader has a sticky error flag: after the first short read every later read
 * returns zero and the flag stays set, so a decoder reads a whole structure and checks
 * once at the end (as librdkafka's rd_kafka_buf_read_* macros jump to err_parse).
 * Varints: "uvarint" is unsigned LEB128 (Kafka protocol lengths, tags); "varint" and
 * "varlong" are zigzag-encoded (inside records). Do not confuse them.
 */
#ifndef RN_COMMON_BUF_H
#define RN_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A borrowed view of bytes; never owns p. */
typedef struct rn_slice {
    const uint8_t *p;
    size_t len;
} rn_slice;

/* ------------------------------------------------------------------ output buffer */

/* A growable byte buffer. p is from malloc(); free with rn_buf_fini. A zeroed rn_buf is
 * a valid empty buffer. On allocation failure the buffer sets oom and ignores further
 * writes (callers check rn_buf_ok once). */
typedef struct rn_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
    int oom;
} rn_buf;

void rn_buf_fini(rn_buf *b);
/* Ensures room for n more bytes; returns 0 or RN_ENOMEM. */
int rn_buf_reserve(rn_buf *b, size_t n);
/* Appends n bytes; returns a pointer to where they were placed (NULL on OOM). */
uint8_t *rn_buf_append(rn_buf *b, const void *data, size_t n);
/* Appends n uninitialised bytes and returns a pointer to them (NULL on OOM). */
uint8_t *rn_buf_extend(rn_buf *b, size_t n);
static inline int rn_buf_ok(const rn_buf *b)
{
    return !b->oom;
}

void rn_buf_put_i8(rn_buf *b, int8_t v);
void rn_buf_put_i16(rn_buf *b, int16_t v);
void rn_buf_put_i32(rn_buf *b, int32_t v);
void rn_buf_put_i64(rn_buf *b, int64_t v);
void rn_buf_put_u32(rn_buf *b, uint32_t v);
void rn_buf_put_f64(rn_buf *b, double v);
void rn_buf_put_uvarint(rn_buf *b, uint64_t v);
void rn_buf_put_varint(rn_buf *b, int32_t v);  /* zigzag */
void rn_buf_put_varlong(rn_buf *b, int64_t v); /* zigzag */

/* Big-endian stores into an existing position (for back-patching lengths). */
static inline void rn_be16_store(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void rn_be32_store(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void rn_be64_store(uint8_t *p, uint64_t v)
{
    rn_be32_store(p, (uint32_t)(v >> 32));
    rn_be32_store(p + 4, (uint32_t)v);
}
static inline uint16_t rn_be16_load(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t rn_be32_load(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t rn_be64_load(const uint8_t *p)
{
    return (uint64_t)rn_be32_load(p) << 32 | rn_be32_load(p + 4);
}

/* ------------------------------------------------------------------ reader */

typedef struct rn_reader {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* one past the last byte */
    int err;            /* sticky: set by the first short or malformed read */
} rn_reader;

static inline void rn_reader_init(rn_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->end = p ? r->p + len : r->p; /* NULL + 0 is undefined */
    r->err = 0;
}
static inline size_t rn_reader_left(const rn_reader *r)
{
    return (size_t)(r->end - r->p);
}

int8_t rn_rd_i8(rn_reader *r);
int16_t rn_rd_i16(rn_reader *r);
int32_t rn_rd_i32(rn_reader *r);
int64_t rn_rd_i64(rn_reader *r);
uint16_t rn_rd_u16(rn_reader *r);
uint32_t rn_rd_u32(rn_reader *r);
double rn_rd_f64(rn_reader *r);
uint64_t rn_rd_uvarint(rn_reader *r);   /* at most 10 bytes */
uint32_t rn_rd_uvarint32(rn_reader *r); /* fails if the value exceeds UINT32_MAX */
int32_t rn_rd_varint(rn_reader *r);     /* zigzag, at most 5 bytes */
int64_t rn_rd_varlong(rn_reader *r);    /* zigzag, at most 10 bytes */
/* Returns a pointer to the next n bytes and advances; NULL (and err set) if short. */
const uint8_t *rn_rd_bytes(rn_reader *r, size_t n);
/* Skips n bytes. */
void rn_rd_skip(rn_reader *r, size_t n);

/* Encoded size of an unsigned varint. */
size_t rn_uvarint_size(uint64_t v);
size_t rn_varint_size(int32_t v);
size_t rn_varlong_size(int64_t v);

#endif
