/*
 * kafka/msg/kmsg.c - the hand-written part of the Kafka wire codec: rn_kstr helpers, the
 * wire primitives kmsg_gen.c is built from (strings, bytes, arrays, tagged-field
 * sections, in classic and compact form), and the header-version / dispatch helpers.
 *
 * Everything per-message lives in the generated kmsg_gen.c (tools/gen_kmsg.py). These
 * primitives are hand-written because they are short, decode untrusted bytes, and are
 * easier to review here once than in every generated function.
 *
 * Input is hostile: every length is checked against what is left in the reader before
 * use, arrays cannot claim more elements than there are bytes left, and strings longer
 * than Kafka's 0x7fff limit are rejected, as Kafka's generated Java code does.
 */
#include "kafka/msg/kmsg.h"

#include <stdint.h>
#include <string.h>

#define STR_MAX 0x7fff

/* ------------------------------------------------------------------ rn_kstr */

rn_kstr rn_kstr_c(const char *s)
{
    if (!s) return RN_KSTR_NULL;
    size_t n = strlen(s);
    return (rn_kstr){s, n > INT32_MAX ? INT32_MAX : (int32_t)n};
}

int rn_kstr_eq(rn_kstr a, const char *s)
{
    if (!s || a.len < 0) return !s && a.len < 0;
    size_t n = strlen(s);
    return (size_t)a.len == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

int rn_kmsg_uuid_is_zero(const rn_kuuid *u)
{
    for (size_t i = 0; i < sizeof u->b; i++)
        if (u->b[i]) return 0;
    return 1;
}

/* ------------------------------------------------------------------ readers */

/* Reads a classic (int16/int32) or compact (uvarint N+1) length; -1 means null. Values
 * below -1 are returned as such for the caller to reject. */
static int64_t rd_len(rn_reader *r, int flex, int wide)
{
    if (flex) return (int64_t)rn_rd_uvarint32(r) - 1;
    return wide ? rn_rd_i32(r) : rn_rd_i16(r);
}

rn_kstr rn_kmsg_rd_str(rn_reader *r, int flex, int nullable)
{
    rn_kstr s = {NULL, 0};
    int64_t len = rd_len(r, flex, 0);
    if (r->err) return s;
    if (len == -1 && nullable) return RN_KSTR_NULL;
    if (len < 0 || len > STR_MAX) {
        r->err = 1;
        return s;
    }
    const uint8_t *p = rn_rd_bytes(r, (size_t)len);
    if (p) {
        s.p = (const char *)p;
        s.len = (int32_t)len;
    }
    return s;
}

rn_kbytes rn_kmsg_rd_bytes(rn_reader *r, int flex, int nullable)
{
    rn_kbytes s = {NULL, 0};
    int64_t len = rd_len(r, flex, 1);
    if (r->err) return s;
    if (len == -1 && nullable) return RN_KBYTES_NULL;
    if (len < 0 || len > INT32_MAX) {
        r->err = 1;
        return s;
    }
    const uint8_t *p = rn_rd_bytes(r, (size_t)len);
    if (p) {
        s.p = p;
        s.len = (int32_t)len;
    }
    return s;
}

rn_kuuid rn_kmsg_rd_uuid(rn_reader *r)
{
    rn_kuuid u;
    const uint8_t *p = rn_rd_bytes(r, sizeof u.b);
    if (p)
        memcpy(u.b, p, sizeof u.b);
    else
        memset(u.b, 0, sizeof u.b);
    return u;
}

int32_t rn_kmsg_rd_arrlen(rn_reader *r, int flex, int nullable)
{
    int64_t n = rd_len(r, flex, 1);
    if (r->err) return 0;
    if (n == -1 && nullable) return -1;
    /* Kafka's own check ("Tried to allocate a collection of size N, but there are only
     * M bytes remaining"): no element is smaller than one byte. */
    if (n < 0 || (uint64_t)n > rn_reader_left(r)) {
        r->err = 1;
        return 0;
    }
    return (int32_t)n;
}

void *rn_kmsg_alloc_array(rn_arena *a, int32_t n, size_t size)
{
    if (n <= 0 || size == 0 || (size_t)n > SIZE_MAX / size) return NULL;
    return rn_arena_alloc(a, (size_t)n * size);
}

void rn_kmsg_rd_tags_begin(rn_reader *r, rn_kmsg_tags *t)
{
    t->left = rn_rd_uvarint32(r);
    t->last = -1;
    t->field_end = NULL;
    t->outer_end = r->end;
}

int rn_kmsg_rd_tag(rn_reader *r, rn_kmsg_tags *t, uint32_t *tag)
{
    if (r->err || t->left == 0) return 0;
    t->left--;
    uint32_t tg = rn_rd_uvarint32(r);
    uint32_t size = rn_rd_uvarint32(r);
    if (r->err) return 0;
    /* Kafka: "Invalid or out-of-order tag"; a repeated tag is out of order too. */
    if ((int64_t)tg <= t->last || size > rn_reader_left(r)) {
        r->err = 1;
        return 0;
    }
    t->last = tg;
    t->field_end = r->p + size;
    r->end = t->field_end;
    *tag = tg;
    return 1;
}

void rn_kmsg_rd_tag_end(rn_reader *r, rn_kmsg_tags *t)
{
    r->end = t->outer_end;
    /* A known field may be shorter than its declared size (a newer peer appended
     * something); the rest is skipped, as for unknown fields. */
    if (!r->err) r->p = t->field_end;
}

void rn_kmsg_rd_tags_skip(rn_reader *r)
{
    rn_kmsg_tags t;
    uint32_t tag;
    rn_kmsg_rd_tags_begin(r, &t);
    while (rn_kmsg_rd_tag(r, &t, &tag))
        rn_kmsg_rd_tag_end(r, &t);
}

int rn_kmsg_dec_finish(rn_reader *r, const uint8_t *start, const uint8_t *end, int rc,
                       const char *name, int16_t version, rn_err *err)
{
    /* An early return from inside a tagged field leaves r->end narrowed. */
    r->end = end;
    if (rc == RN_OK && !r->err) return RN_OK;
    r->err = 1;
    if (rc == RN_ENOMEM) return rn_err_set(err, RN_ENOMEM, "%s v%d: out of memory", name, version);
    return rn_err_set(err, RN_EPROTO, "%s v%d: truncated or malformed at byte %zu", name, version,
                      (size_t)(r->p - start));
}

/* ------------------------------------------------------------------ writers */

static void wr_len(rn_kmsg_wr *w, int32_t len, int flex, int wide)
{
    if (flex)
        rn_buf_put_uvarint(w->b, (uint64_t)((int64_t)len + 1));
    else if (wide)
        rn_buf_put_i32(w->b, len);
    else
        rn_buf_put_i16(w->b, (int16_t)len);
}

void rn_kmsg_wr_str(rn_kmsg_wr *w, rn_kstr s, int flex, int nullable)
{
    if (s.len < -1 || (s.len == -1 && !nullable) || s.len > STR_MAX || (s.len > 0 && !s.p)) {
        w->bad = 1;
        return;
    }
    wr_len(w, s.len, flex, 0);
    if (s.len > 0) rn_buf_append(w->b, s.p, (size_t)s.len);
}

void rn_kmsg_wr_bytes(rn_kmsg_wr *w, rn_kbytes s, int flex, int nullable)
{
    if (s.len < -1 || (s.len == -1 && !nullable) || (s.len > 0 && !s.p)) {
        w->bad = 1;
        return;
    }
    wr_len(w, s.len, flex, 1);
    if (s.len > 0) rn_buf_append(w->b, s.p, (size_t)s.len);
}

void rn_kmsg_wr_uuid(rn_kmsg_wr *w, const rn_kuuid *u)
{
    rn_buf_append(w->b, u->b, sizeof u->b);
}

int32_t rn_kmsg_wr_arrlen(rn_kmsg_wr *w, int32_t n, const void *items, int flex, int nullable)
{
    if (n < -1 || (n == -1 && !nullable) || (n > 0 && !items)) {
        w->bad = 1;
        return 0;
    }
    wr_len(w, n, flex, 1);
    return n < 0 ? 0 : n;
}

size_t rn_kmsg_wr_tag_begin(rn_kmsg_wr *w, uint32_t tag)
{
    rn_buf_put_uvarint(w->b, tag);
    return w->b->len;
}

void rn_kmsg_wr_tag_end(rn_kmsg_wr *w, size_t at)
{
    rn_buf *b = w->b;
    if (!rn_buf_ok(b)) return;
    size_t size = b->len - at;
    if (size > UINT32_MAX) {
        w->bad = 1;
        return;
    }
    /* The size precedes the field: grow by its varint length, shift the field up and
     * write the varint into the gap. Tagged fields are rare and small. */
    size_t k = rn_uvarint_size(size);
    if (!rn_buf_extend(b, k)) return;
    memmove(b->p + at + k, b->p + at, size);
    uint8_t *p = b->p + at;
    while (size >= 0x80) {
        *p++ = (uint8_t)(size | 0x80);
        size >>= 7;
    }
    *p = (uint8_t)size;
}

int rn_kmsg_wr_finish(rn_kmsg_wr *w, size_t mark)
{
    if (rn_buf_ok(w->b) && !w->bad) return RN_OK;
    if (w->b->len > mark) w->b->len = mark;
    return rn_buf_ok(w->b) ? RN_EINVAL : RN_ENOMEM;
}

/* ------------------------------------------------------------------ dispatch */

int rn_kmsg_request_header_version(int16_t api_key, int16_t api_version)
{
    const rn_kmsg_api *api = rn_kmsg_api_lookup(api_key);
    return api && api->flexible_min >= 0 && api_version >= api->flexible_min ? 2 : 1;
}

int rn_kmsg_response_header_version(int16_t api_key, int16_t api_version)
{
    if (api_key == 18) /* ApiVersions: always v0 (KIP-511) */
        return 0;
    const rn_kmsg_api *api = rn_kmsg_api_lookup(api_key);
    return api && api->flexible_min >= 0 && api_version >= api->flexible_min ? 1 : 0;
}

const rn_kmsg_desc *rn_kmsg_desc_by_name(const char *name)
{
    for (size_t i = 0; i < RN_KMSG_DESC_COUNT; i++)
        if (strcmp(rn_kmsg_descs[i].name, name) == 0) return &rn_kmsg_descs[i];
    return NULL;
}

int rn_kmsg_request_decode_any(rn_reader *r, int16_t api_key, int16_t version, rn_arena *a,
                               rn_err *err)
{
    const rn_kmsg_desc *d = rn_kmsg_request_desc(api_key);
    if (!d) return rn_err_set(err, RN_ENOTFOUND, "unknown api key %d", api_key);
    void *msg = rn_arena_alloc(a, d->root->size);
    if (!msg) return rn_err_set(err, RN_ENOMEM, "%s v%d: out of memory", d->name, version);
    return d->decode(r, version, a, msg, err);
}
