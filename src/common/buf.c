/*
 * common/buf.c - growable buffer, big-endian reader, varints.
 *
 * Hand-written: these are a few dozen lines each and sit on the hottest path (every
 * request and record); no Debian library offers Kafka's mix of encodings.
 */
#include "common/buf.h"

#include "common/err.h"

#include <stdlib.h>

void rn_buf_fini(rn_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

int rn_buf_reserve(rn_buf *b, size_t n)
{
    if (b->oom) return RN_ENOMEM;
    if (b->cap - b->len >= n) return RN_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return RN_ENOMEM;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return RN_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return RN_OK;
}

uint8_t *rn_buf_extend(rn_buf *b, size_t n)
{
    if (n == 0) return b->oom ? NULL : b->p;
    if (rn_buf_reserve(b, n)) return NULL;
    uint8_t *at = b->p + b->len;
    b->len += n;
    return at;
}

uint8_t *rn_buf_append(rn_buf *b, const void *data, size_t n)
{
    uint8_t *at = rn_buf_extend(b, n);
    if (at && n) memcpy(at, data, n);
    return at;
}

void rn_buf_put_i8(rn_buf *b, int8_t v)
{
    uint8_t *p = rn_buf_extend(b, 1);
    if (p) p[0] = (uint8_t)v;
}

void rn_buf_put_i16(rn_buf *b, int16_t v)
{
    uint8_t *p = rn_buf_extend(b, 2);
    if (p) rn_be16_store(p, (uint16_t)v);
}

void rn_buf_put_i32(rn_buf *b, int32_t v)
{
    uint8_t *p = rn_buf_extend(b, 4);
    if (p) rn_be32_store(p, (uint32_t)v);
}

void rn_buf_put_u32(rn_buf *b, uint32_t v)
{
    uint8_t *p = rn_buf_extend(b, 4);
    if (p) rn_be32_store(p, v);
}

void rn_buf_put_i64(rn_buf *b, int64_t v)
{
    uint8_t *p = rn_buf_extend(b, 8);
    if (p) rn_be64_store(p, (uint64_t)v);
}

void rn_buf_put_f64(rn_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    rn_buf_put_i64(b, (int64_t)u);
}

void rn_buf_put_uvarint(rn_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    rn_buf_append(b, tmp, n);
}

void rn_buf_put_varint(rn_buf *b, int32_t v)
{
    rn_buf_put_uvarint(b, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

void rn_buf_put_varlong(rn_buf *b, int64_t v)
{
    rn_buf_put_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

size_t rn_uvarint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t rn_varint_size(int32_t v)
{
    return rn_uvarint_size((uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

size_t rn_varlong_size(int64_t v)
{
    return rn_uvarint_size(((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* ------------------------------------------------------------------ reader */

const uint8_t *rn_rd_bytes(rn_reader *r, size_t n)
{
    if (r->err || (size_t)(r->end - r->p) < n) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

void rn_rd_skip(rn_reader *r, size_t n)
{
    (void)rn_rd_bytes(r, n);
}

int8_t rn_rd_i8(rn_reader *r)
{
    const uint8_t *p = rn_rd_bytes(r, 1);
    return p ? (int8_t)p[0] : 0;
}

int16_t rn_rd_i16(rn_reader *r)
{
    const uint8_t *p = rn_rd_bytes(r, 2);
    return p ? (int16_t)rn_be16_load(p) : 0;
}

uint16_t rn_rd_u16(rn_reader *r)
{
    const uint8_t *p = rn_rd_bytes(r, 2);
    return p ? rn_be16_load(p) : 0;
}

int32_t rn_rd_i32(rn_reader *r)
{
    const uint8_t *p = rn_rd_bytes(r, 4);
    return p ? (int32_t)rn_be32_load(p) : 0;
}

uint32_t rn_rd_u32(rn_reader *r)
{
    const uint8_t *p = rn_rd_bytes(r, 4);
    return p ? rn_be32_load(p) : 0;
}

int64_t rn_rd_i64(rn_reader *r)
{
    const uint8_t *p = rn_rd_bytes(r, 8);
    return p ? (int64_t)rn_be64_load(p) : 0;
}

double rn_rd_f64(rn_reader *r)
{
    uint64_t u = (uint64_t)rn_rd_i64(r);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static uint64_t rd_uvarint_max(rn_reader *r, int maxbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < maxbytes; i++) {
        if (r->err || r->p >= r->end) {
            r->err = 1;
            return 0;
        }
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) return v;
    }
    r->err = 1; /* too long */
    return 0;
}

uint64_t rn_rd_uvarint(rn_reader *r)
{
    return rd_uvarint_max(r, 10);
}

uint32_t rn_rd_uvarint32(rn_reader *r)
{
    uint64_t v = rd_uvarint_max(r, 5);
    if (v > UINT32_MAX) {
        r->err = 1;
        return 0;
    }
    return (uint32_t)v;
}

int32_t rn_rd_varint(rn_reader *r)
{
    uint64_t v = rd_uvarint_max(r, 5);
    if (v > UINT32_MAX) {
        r->err = 1;
        return 0;
    }
    uint32_t u = (uint32_t)v;
    return (int32_t)((u >> 1) ^ (0u - (u & 1)));
}

int64_t rn_rd_varlong(rn_reader *r)
{
    uint64_t u = rd_uvarint_max(r, 10);
    return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}
