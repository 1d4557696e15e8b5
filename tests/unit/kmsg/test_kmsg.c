/*
 * tests/unit/kmsg/test_kmsg.c - unit tests of the Kafka wire codec (src/kafka/msg/):
 * generated kmsg_gen.c plus the hand-written primitives in kmsg.c.
 *
 * Owns: round trips of every message at every valid version (filled generically through
 * the reflection tables), byte vectors captured from / checked against real clients
 * (librdkafka's ApiVersions v3, Metadata v0, Produce v7, an ApiVersions v3 response),
 * hostile-input rejection (every truncation, huge counts, bad lengths, tag order), and the
 * API / header-version tables.
 */
#include "kafka/msg/kmsg.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

/* Every array member has this layout; accessed through memcpy, not by type punning. */
typedef struct any_array {
    void *items;
    int32_t n;
} any_array;

static any_array get_array(const void *p)
{
    any_array a;
    memcpy(&a.items, p, sizeof a.items);
    memcpy(&a.n, (const char *)p + offsetof(any_array, n), sizeof a.n);
    return a;
}

static void set_array(void *p, void *items, int32_t n)
{
    memcpy(p, &items, sizeof items);
    memcpy((char *)p + offsetof(any_array, n), &n, sizeof n);
}

static size_t type_size(const rn_kmsg_field *f)
{
    switch (f->type) {
    case RN_KMSG_T_BOOL:
        return sizeof(bool);
    case RN_KMSG_T_INT8:
        return 1;
    case RN_KMSG_T_INT16:
    case RN_KMSG_T_UINT16:
        return 2;
    case RN_KMSG_T_INT32:
    case RN_KMSG_T_UINT32:
        return 4;
    case RN_KMSG_T_INT64:
    case RN_KMSG_T_FLOAT64:
        return 8;
    case RN_KMSG_T_STRING:
        return sizeof(rn_kstr);
    case RN_KMSG_T_BYTES:
    case RN_KMSG_T_RECORDS:
        return sizeof(rn_kbytes);
    case RN_KMSG_T_UUID:
        return sizeof(rn_kuuid);
    default:
        return f->sub->size;
    }
}

static int in_range(int16_t v, int16_t lo, int16_t hi)
{
    return lo <= v && v <= hi;
}

/* Fills a message with pseudo-random values valid at version v: every field present at v
 * is set (arrays get 0-2 elements, nullable values are sometimes null); absent fields
 * keep their defaults. */
typedef struct filler {
    rn_arena *a;
    uint32_t x;
    int16_t v;
} filler;

static uint32_t rnd(filler *fl)
{
    fl->x ^= fl->x << 13;
    fl->x ^= fl->x >> 17;
    fl->x ^= fl->x << 5;
    return fl->x;
}

static void fill_struct(filler *fl, const rn_kmsg_struct *s, void *p);

static void fill_value(filler *fl, const rn_kmsg_field *f, void *p, int nullable)
{
    uint32_t x = rnd(fl);
    switch (f->type) {
    case RN_KMSG_T_BOOL:
        *(bool *)p = x & 1;
        break;
    case RN_KMSG_T_INT8:
        *(int8_t *)p = (int8_t)x;
        break;
    case RN_KMSG_T_INT16:
        *(int16_t *)p = (int16_t)x;
        break;
    case RN_KMSG_T_UINT16:
        *(uint16_t *)p = (uint16_t)x;
        break;
    case RN_KMSG_T_INT32:
        *(int32_t *)p = (int32_t)x;
        break;
    case RN_KMSG_T_UINT32:
        *(uint32_t *)p = x;
        break;
    case RN_KMSG_T_INT64:
        *(int64_t *)p = (int64_t)((uint64_t)x << 32 | rnd(fl));
        break;
    case RN_KMSG_T_FLOAT64:
        *(double *)p = (int32_t)x / 8.0;
        break;
    case RN_KMSG_T_STRING: {
        if (nullable && x % 4 == 0) {
            *(rn_kstr *)p = RN_KSTR_NULL;
            break;
        }
        int32_t len = (int32_t)(x >> 8) % 12;
        char *s = rn_arena_alloc(fl->a, (size_t)len + 1);
        for (int32_t i = 0; i < len; i++)
            s[i] = (char)('a' + rnd(fl) % 26);
        *(rn_kstr *)p = (rn_kstr){s, len};
        break;
    }
    case RN_KMSG_T_BYTES:
    case RN_KMSG_T_RECORDS: {
        if (nullable && x % 4 == 0) {
            *(rn_kbytes *)p = RN_KBYTES_NULL;
            break;
        }
        int32_t len = (int32_t)(x >> 8) % 40;
        uint8_t *b = rn_arena_alloc(fl->a, (size_t)len + 1);
        for (int32_t i = 0; i < len; i++)
            b[i] = (uint8_t)rnd(fl);
        *(rn_kbytes *)p = (rn_kbytes){b, len};
        break;
    }
    case RN_KMSG_T_UUID: {
        rn_kuuid *u = p;
        for (size_t i = 0; i < sizeof u->b; i++)
            u->b[i] = (uint8_t)rnd(fl);
        break;
    }
    case RN_KMSG_T_STRUCT:
        fill_struct(fl, f->sub, p);
        break;
    }
}

static void fill_struct(filler *fl, const rn_kmsg_struct *s, void *p)
{
    s->init(p);
    for (int32_t i = 0; i < s->nfields; i++) {
        const rn_kmsg_field *f = &s->fields[i];
        if (!in_range(fl->v, f->min_version, f->max_version)) continue;
        int nullable = in_range(fl->v, f->nullable_min, f->nullable_max);
        char *m = (char *)p + f->offset;
        if (!f->array) {
            fill_value(fl, f, m, nullable);
            continue;
        }
        uint32_t x = rnd(fl);
        if (nullable && x % 5 == 0) {
            set_array(m, NULL, -1);
            continue;
        }
        int32_t n = (int32_t)(x >> 8) % 3;
        size_t size = type_size(f);
        char *items = n ? rn_arena_alloc(fl->a, (size_t)n * size) : NULL;
        for (int32_t k = 0; k < n; k++)
            fill_value(fl, f, items + (size_t)k * size, 0);
        set_array(m, items, n);
    }
}

/* Deep comparison of two structs of layout s (every field, present or not); on a
 * difference writes the field's path to why and returns 0. */
static int eq_struct(const rn_kmsg_struct *s, const void *a, const void *b, char *why,
                     size_t whylen);

static int eq_value(const rn_kmsg_field *f, const void *a, const void *b, char *why, size_t whylen)
{
    switch (f->type) {
    case RN_KMSG_T_STRING: {
        const rn_kstr *x = a, *y = b;
        return x->len == y->len && (x->len <= 0 || memcmp(x->p, y->p, (size_t)x->len) == 0);
    }
    case RN_KMSG_T_BYTES:
    case RN_KMSG_T_RECORDS: {
        const rn_kbytes *x = a, *y = b;
        return x->len == y->len && (x->len <= 0 || memcmp(x->p, y->p, (size_t)x->len) == 0);
    }
    case RN_KMSG_T_BOOL:
        return *(const bool *)a == *(const bool *)b;
    case RN_KMSG_T_STRUCT:
        return eq_struct(f->sub, a, b, why, whylen);
    default:
        return memcmp(a, b, type_size(f)) == 0;
    }
}

static int eq_struct(const rn_kmsg_struct *s, const void *a, const void *b, char *why,
                     size_t whylen)
{
    for (int32_t i = 0; i < s->nfields; i++) {
        const rn_kmsg_field *f = &s->fields[i];
        const char *ma = (const char *)a + f->offset, *mb = (const char *)b + f->offset;
        int ok = 1;
        if (!f->array) {
            ok = eq_value(f, ma, mb, why, whylen);
        } else {
            any_array x = get_array(ma), y = get_array(mb);
            ok = x.n == y.n;
            size_t size = type_size(f);
            for (int32_t k = 0; ok && k < x.n; k++)
                ok = eq_value(f, (char *)x.items + (size_t)k * size,
                              (char *)y.items + (size_t)k * size, why, whylen);
        }
        if (!ok) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s", why);
            snprintf(why, whylen, "%s.%s%s", s->name, f->name, sub);
            return 0;
        }
    }
    return 1;
}

static const rn_kmsg_desc *desc_by_name(const char *name)
{
    const rn_kmsg_desc *d = rn_kmsg_desc_by_name(name);
    cr_assert_not_null(d, "no message %s", name);
    return d;
}

/* Fills a message of d at version v with seed and encodes it into b. */
static void *fill_encode(const rn_kmsg_desc *d, int16_t v, uint32_t seed, rn_arena *a, rn_buf *b)
{
    filler fl = {a, seed * 2654435761u + 1, v};
    void *msg = rn_arena_alloc(a, d->root->size);
    fill_struct(&fl, d->root, msg);
    int rc = d->encode(b, v, msg);
    cr_assert_eq(rc, RN_OK, "%s v%d seed %u: encode rc %d", d->name, v, seed, rc);
    return msg;
}

static void hex_expect(const rn_buf *b, const uint8_t *want, size_t n)
{
    cr_assert_eq(b->len, n, "encoded %zu bytes, want %zu", b->len, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(b->p[i], want[i], "byte %zu: %02x, want %02x", i, b->p[i], want[i]);
}

/* ------------------------------------------------------------------ round trips */

typedef struct rt_param {
    int16_t desc;
    int16_t version;
} rt_param;

ParameterizedTestParameters(kmsg, roundtrip)
{
    static rt_param params[4096];
    size_t n = 0;
    for (int i = 0; i < RN_KMSG_DESC_COUNT; i++)
        for (int v = rn_kmsg_descs[i].min_version; v <= rn_kmsg_descs[i].max_version; v++)
            if (n < sizeof params / sizeof params[0])
                params[n++] = (rt_param){(int16_t)i, (int16_t)v};
    return cr_make_param_array(rt_param, params, n);
}

/* Every message at every valid version: a default-initialised message and 24 randomly
 * filled ones encode, decode to an equal struct consuming exactly all bytes, and
 * re-encode to the same bytes. */
ParameterizedTest(rt_param *p, kmsg, roundtrip)
{
    const rn_kmsg_desc *d = &rn_kmsg_descs[p->desc];
    int16_t v = p->version;
    for (uint32_t seed = 0; seed < 25; seed++) {
        rn_arena a = {0};
        rn_buf b1 = {0}, b2 = {0};
        rn_err err = {0};
        void *msg;
        if (seed == 0) {
            msg = rn_arena_alloc(&a, d->root->size);
            d->root->init(msg);
            cr_assert_eq(d->encode(&b1, v, msg), RN_OK, "%s v%d: encode defaults", d->name, v);
        } else {
            msg = fill_encode(d, v, seed, &a, &b1);
        }
        void *out = rn_arena_alloc(&a, d->root->size);
        rn_reader r;
        /* An empty encoding (ApiVersions v0) leaves b1.p NULL; NULL + 0 is undefined. */
        rn_reader_init(&r, b1.p ? b1.p : (const uint8_t *)"", b1.len);
        int rc = d->decode(&r, v, &a, out, &err);
        cr_assert_eq(rc, RN_OK, "%s v%d seed %u: decode: %s", d->name, v, seed, err.msg);
        cr_assert_eq(rn_reader_left(&r), 0, "%s v%d seed %u: %zu bytes left", d->name, v, seed,
                     rn_reader_left(&r));
        char why[512] = "";
        cr_assert(eq_struct(d->root, msg, out, why, sizeof why), "%s v%d seed %u: %s differs",
                  d->name, v, seed, why);
        cr_assert_eq(d->encode(&b2, v, out), RN_OK);
        cr_assert_eq(b1.len, b2.len);
        cr_assert(b1.len == 0 || memcmp(b1.p, b2.p, b1.len) == 0, "%s v%d: re-encode differs",
                  d->name, v);
        rn_buf_fini(&b1);
        rn_buf_fini(&b2);
        rn_arena_fini(&a);
    }
}

/* The same message encoded at each version must decode at that version only as itself;
 * decoding with a version outside validVersions is refused up front. */
Test(kmsg, unsupported_versions)
{
    for (int i = 0; i < RN_KMSG_DESC_COUNT; i++) {
        const rn_kmsg_desc *d = &rn_kmsg_descs[i];
        rn_arena a = {0};
        rn_buf b = {0};
        rn_err err = {0};
        void *msg = rn_arena_alloc(&a, d->root->size);
        d->root->init(msg);
        int16_t bad[] = {(int16_t)(d->min_version - 1), (int16_t)(d->max_version + 1), -1};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            uint8_t zeros[64] = {0};
            rn_reader r;
            rn_reader_init(&r, zeros, sizeof zeros);
            cr_assert_eq(d->decode(&r, bad[k], &a, msg, &err), RN_EPROTO, "%s v%d", d->name,
                         bad[k]);
            cr_assert(strstr(err.msg, "unsupported version"), "%s", err.msg);
            cr_assert_eq(d->encode(&b, bad[k], msg), RN_EINVAL);
            cr_assert_eq(b.len, 0);
        }
        rn_buf_fini(&b);
        rn_arena_fini(&a);
    }
}

/* ------------------------------------------------------------------ byte vectors */

/* ApiVersions v3 request exactly as librdkafka 2.0.2 sends it: request header v2 (int16
 * client_id, then a tag byte) and a compact-string body. */
static const uint8_t rdkafka_apiversions_v3[] = {
    0x00, 0x12,                                                /* api_key 18 */
    0x00, 0x03,                                                /* api_version 3 */
    0x00, 0x00, 0x00, 0x01,                                    /* correlation_id 1 */
    0x00, 0x07, 'r',  'd',  'k', 'a', 'f', 'k', 'a',           /* client_id, int16 length */
    0x00,                                                      /* header tags */
    0x0b, 'l',  'i',  'b',  'r', 'd', 'k', 'a', 'f', 'k', 'a', /* compact "librdkafka" */
    0x06, '2',  '.',  '0',  '.', '2',                          /* compact "2.0.2" */
    0x00,                                                      /* body tags */
};

Test(kmsg, vector_apiversions_v3_request)
{
    rn_arena a = {0};
    rn_err err = {0};
    rn_reader r;
    rn_reader_init(&r, rdkafka_apiversions_v3, sizeof rdkafka_apiversions_v3);
    cr_assert_eq(rn_kmsg_request_header_version(18, 3), 2);

    rn_kmsg_request_header h;
    cr_assert_eq(rn_kmsg_request_header_decode(&r, 2, &a, &h, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(h.request_api_key, 18);
    cr_assert_eq(h.request_api_version, 3);
    cr_assert_eq(h.correlation_id, 1);
    cr_assert(rn_kstr_eq(h.client_id, "rdkafka"));

    rn_kmsg_api_versions_request req;
    cr_assert_eq(rn_kmsg_api_versions_request_decode(&r, 3, &a, &req, &err), RN_OK, "%s", err.msg);
    cr_assert(rn_kstr_eq(req.client_software_name, "librdkafka"));
    cr_assert(rn_kstr_eq(req.client_software_version, "2.0.2"));
    cr_assert_eq(rn_reader_left(&r), 0);

    rn_buf b = {0};
    cr_assert_eq(rn_kmsg_request_header_encode(&b, 2, &h), RN_OK);
    cr_assert_eq(rn_kmsg_api_versions_request_encode(&b, 3, &req), RN_OK);
    hex_expect(&b, rdkafka_apiversions_v3, sizeof rdkafka_apiversions_v3);
    rn_buf_fini(&b);
    rn_arena_fini(&a);
}

/* Metadata v0 request body (kafka-python's first request after ApiVersions v0). */
Test(kmsg, vector_metadata_v0_request)
{
    static const uint8_t body[] = {
        0x00, 0x00, 0x00, 0x02,                /* topics: 2 */
        0x00, 0x03, 'f',  'o',  'o',           /* name "foo" */
        0x00, 0x05, 'e',  'v',  'e', 'n', 't', /* name "event" */
    };
    rn_arena a = {0};
    rn_err err = {0};
    rn_reader r;
    rn_reader_init(&r, body, sizeof body);
    rn_kmsg_metadata_request m;
    cr_assert_eq(rn_kmsg_metadata_request_decode(&r, 0, &a, &m, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(m.topics.n, 2);
    cr_assert(rn_kstr_eq(m.topics.items[0].name, "foo"));
    cr_assert(rn_kstr_eq(m.topics.items[1].name, "event"));
    cr_assert_eq(m.allow_auto_topic_creation, true, "absent in v0: keeps default true");
    cr_assert_eq(rn_reader_left(&r), 0);

    rn_buf b = {0};
    cr_assert_eq(rn_kmsg_metadata_request_encode(&b, 0, &m), RN_OK);
    hex_expect(&b, body, sizeof body);
    rn_buf_fini(&b);

    /* A null topic array means "all topics" from v1 on, but is malformed in v0. */
    static const uint8_t null_topics[] = {0xff, 0xff, 0xff, 0xff};
    rn_reader_init(&r, null_topics, sizeof null_topics);
    cr_assert_eq(rn_kmsg_metadata_request_decode(&r, 0, &a, &m, &err), RN_EPROTO);
    cr_assert(strstr(err.msg, "MetadataRequest v0: truncated or malformed at byte 4"), "%s",
              err.msg);
    rn_reader_init(&r, null_topics, sizeof null_topics);
    cr_assert_eq(rn_kmsg_metadata_request_decode(&r, 1, &a, &m, &err), RN_OK);
    cr_assert_eq(m.topics.n, -1);
    rn_arena_fini(&a);
}

/* Produce v7 request: one topic, one partition, a 10-byte records blob (opaque here). */
static const uint8_t produce_v7[] = {
    0xff, 0xff,                        /* transactional_id: null */
    0xff, 0xff,                        /* acks -1 */
    0x00, 0x00, 0x75, 0x30,            /* timeout_ms 30000 */
    0x00, 0x00, 0x00, 0x01,            /* topic_data: 1 */
    0x00, 0x04, 't',  'e',  's',  't', /* name "test" */
    0x00, 0x00, 0x00, 0x01,            /* partition_data: 1 */
    0x00, 0x00, 0x00, 0x02,            /* index 2 */
    0x00, 0x00, 0x00, 0x0a,            /* records: 10 bytes */
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
};

Test(kmsg, vector_produce_v7_request)
{
    rn_arena a = {0};
    rn_err err = {0};
    rn_reader r;
    rn_reader_init(&r, produce_v7, sizeof produce_v7);
    rn_kmsg_produce_request m;
    cr_assert_eq(rn_kmsg_produce_request_decode(&r, 7, &a, &m, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(m.transactional_id.len, -1);
    cr_assert_eq(m.acks, -1);
    cr_assert_eq(m.timeout_ms, 30000);
    cr_assert_eq(m.topic_data.n, 1);
    rn_kmsg_produce_request_topic_produce_data *t = &m.topic_data.items[0];
    cr_assert(rn_kstr_eq(t->name, "test"));
    cr_assert_eq(t->partition_data.n, 1);
    cr_assert_eq(t->partition_data.items[0].index, 2);
    cr_assert_eq(t->partition_data.items[0].records.len, 10);
    cr_assert_eq(t->partition_data.items[0].records.p, produce_v7 + 30, "a view, not a copy");
    cr_assert_eq(rn_reader_left(&r), 0);

    rn_buf b = {0};
    cr_assert_eq(rn_kmsg_produce_request_encode(&b, 7, &m), RN_OK);
    hex_expect(&b, produce_v7, sizeof produce_v7);
    rn_buf_fini(&b);
    rn_arena_fini(&a);
}

/* The broker's first answer: ApiVersions v3 response body, built the way a handler
 * would (init + arena items), against bytes worked out from the spec. */
Test(kmsg, vector_apiversions_v3_response)
{
    rn_kmsg_api_versions_response resp;
    rn_kmsg_api_versions_response_api_version keys[2];
    rn_kmsg_api_versions_response_init(&resp);
    for (int i = 0; i < 2; i++)
        rn_kmsg_api_versions_response_api_version_init(&keys[i]);
    keys[0] = (rn_kmsg_api_versions_response_api_version){0, 3, 9};
    keys[1] = (rn_kmsg_api_versions_response_api_version){18, 0, 3};
    resp.api_keys.items = keys;
    resp.api_keys.n = 2;
    static const uint8_t want[] = {
        0x00, 0x00,                               /* error_code */
        0x03,                                     /* compact array: 2 */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x09, 0x00, /* Produce 3-9, tags */
        0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, /* ApiVersions 0-3, tags */
        0x00, 0x00, 0x00, 0x00,                   /* throttle_time_ms */
        0x00,                                     /* no tagged fields */
    };
    rn_buf b = {0};
    cr_assert_eq(rn_kmsg_api_versions_response_encode(&b, 3, &resp), RN_OK);
    hex_expect(&b, want, sizeof want);
    rn_buf_fini(&b);

    /* v0: int32 array count, no throttle, no tags. */
    static const uint8_t want0[] = {
        0x00, 0x00,                         /* error_code */
        0x00, 0x00, 0x00, 0x02,             /* api_keys: 2 */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x09, /* Produce 3-9 */
        0x00, 0x12, 0x00, 0x00, 0x00, 0x03, /* ApiVersions 0-3 */
    };
    cr_assert_eq(rn_kmsg_api_versions_response_encode(&b, 0, &resp), RN_OK);
    hex_expect(&b, want0, sizeof want0);
    rn_buf_fini(&b);

    /* A tagged field differing from its default is written: FinalizedFeaturesEpoch (tag
     * 1, int64) and ZkMigrationReady (tag 3, bool). */
    resp.api_keys.n = 0;
    resp.finalized_features_epoch = 5;
    resp.zk_migration_ready = true;
    static const uint8_t want_tags[] = {
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,                   /* no api_keys */
        0x02,                                                       /* two tagged fields */
        0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, /* tag 1, size 8 */
        0x03, 0x01, 0x01,                                           /* tag 3, size 1, true */
    };
    cr_assert_eq(rn_kmsg_api_versions_response_encode(&b, 3, &resp), RN_OK);
    hex_expect(&b, want_tags, sizeof want_tags);
    rn_arena a = {0};
    rn_err err = {0};
    rn_reader r;
    rn_kmsg_api_versions_response back;
    rn_reader_init(&r, b.p, b.len);
    cr_assert_eq(rn_kmsg_api_versions_response_decode(&r, 3, &a, &back, &err), RN_OK);
    cr_assert_eq(back.finalized_features_epoch, 5);
    cr_assert_eq(back.zk_migration_ready, true);
    rn_buf_fini(&b);
    rn_arena_fini(&a);
}

/* A tagged struct field (ProduceResponse v10 CurrentLeader): its payload is the struct
 * including its own (empty) tag section, so size 9. */
Test(kmsg, vector_tagged_struct)
{
    rn_kmsg_produce_response resp;
    rn_kmsg_produce_response_topic_produce_response topic;
    rn_kmsg_produce_response_partition_produce_response part;
    rn_kmsg_produce_response_init(&resp);
    rn_kmsg_produce_response_topic_produce_response_init(&topic);
    rn_kmsg_produce_response_partition_produce_response_init(&part);
    cr_assert_eq(part.current_leader.leader_id, -1);
    cr_assert_eq(part.log_append_time_ms, -1);
    part.current_leader.leader_id = 1;
    part.current_leader.leader_epoch = 7;
    topic.name = rn_kstr_c("t");
    topic.partition_responses.items = &part;
    topic.partition_responses.n = 1;
    resp.responses.items = &topic;
    resp.responses.n = 1;
    rn_buf b = {0};
    cr_assert_eq(rn_kmsg_produce_response_encode(&b, 10, &resp), RN_OK);
    static const uint8_t tail[] = {
        0x01,                   /* one tagged field */
        0x00, 0x09,             /* tag 0, size 9 */
        0x00, 0x00, 0x00, 0x01, /* leader_id */
        0x00, 0x00, 0x00, 0x07, /* leader_epoch */
        0x00,                   /* the struct's own tags */
        0x00,                   /* topic tags */
        0x00, 0x00, 0x00, 0x00, /* throttle_time_ms */
        0x00,                   /* top-level tags (NodeEndpoints empty) */
    };
    cr_assert_geq(b.len, sizeof tail);
    cr_assert_eq(memcmp(b.p + b.len - sizeof tail, tail, sizeof tail), 0);

    rn_arena a = {0};
    rn_err err = {0};
    rn_reader r;
    rn_kmsg_produce_response back;
    rn_reader_init(&r, b.p, b.len);
    cr_assert_eq(rn_kmsg_produce_response_decode(&r, 10, &a, &back, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(back.responses.items[0].partition_responses.items[0].current_leader.leader_epoch,
                 7);
    rn_buf_fini(&b);
    rn_arena_fini(&a);
}

/* ------------------------------------------------------------------ hostile input */

static void truncations(const char *name, int16_t v, uint32_t seed)
{
    const rn_kmsg_desc *d = desc_by_name(name);
    rn_arena a = {0};
    rn_buf b = {0};
    fill_encode(d, v, seed, &a, &b);
    for (size_t len = 0; len < b.len; len++) {
        /* An exactly-sized copy, so ASan sees any read past the end. */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, b.p, len);
        rn_arena da = {0};
        rn_err err = {0};
        rn_reader r;
        rn_reader_init(&r, copy, len);
        void *out = rn_arena_alloc(&da, d->root->size);
        int rc = d->decode(&r, v, &da, out, &err);
        cr_assert_eq(rc, RN_EPROTO, "%s v%d: %zu of %zu bytes gave %d", name, v, len, b.len, rc);
        cr_assert(strstr(err.msg, "truncated or malformed at byte"), "%s", err.msg);
        rn_arena_fini(&da);
        free(copy);
    }
    rn_buf_fini(&b);
    rn_arena_fini(&a);
}

Test(kmsg, truncated_at_every_length)
{
    /* Seeds picked so that the messages have nested arrays and tagged fields. */
    for (uint32_t seed = 1; seed <= 6; seed++) {
        truncations("ProduceRequest", 7, seed);
        truncations("ProduceRequest", 9, seed);
        truncations("FetchRequest", 11, seed);
        truncations("FetchRequest", 17, seed);
        truncations("FetchResponse", 16, seed);
        truncations("ApiVersionsRequest", 3, seed);
        truncations("ApiVersionsResponse", 3, seed);
        truncations("MetadataResponse", 12, seed);
        truncations("JoinGroupRequest", 5, seed);
        truncations("OffsetCommitRequest", 8, seed);
        truncations("RequestHeader", 2, seed);
    }
}

static int decode_bytes(const char *name, int16_t v, const uint8_t *p, size_t n, rn_arena *a,
                        rn_err *err)
{
    const rn_kmsg_desc *d = desc_by_name(name);
    rn_reader r;
    rn_reader_init(&r, p, n);
    void *out = rn_arena_alloc(a, d->root->size);
    return d->decode(&r, v, a, out, err);
}

Test(kmsg, huge_array_count_rejected_without_allocating)
{
    rn_err err = {0};
    /* Metadata v1: topic count 0x7fffffff, then two bytes. */
    static const uint8_t classic[] = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x01};
    /* Metadata v9: compact count 0xfffffffe (uvarint 0xffffffff), then tags. */
    static const uint8_t compact[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x00};
    /* Produce v7: one topic whose partition count is 1000 with 4 bytes left. */
    static const uint8_t nested[] = {0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'x',  0x00,
                                     0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00};
    struct {
        const char *name;
        int16_t v;
        const uint8_t *p;
        size_t n;
        size_t max_alloc; /* bytes the arena may hand out (the decoded structs) */
    } cases[] = {
        {"MetadataRequest", 1, classic, sizeof classic, sizeof(rn_kmsg_metadata_request)},
        {"MetadataRequest", 9, compact, sizeof compact, sizeof(rn_kmsg_metadata_request)},
        {"ProduceRequest", 7, nested, sizeof nested,
         sizeof(rn_kmsg_produce_request) + sizeof(rn_kmsg_produce_request_topic_produce_data)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rn_arena a = {0};
        cr_assert_eq(decode_bytes(cases[i].name, cases[i].v, cases[i].p, cases[i].n, &a, &err),
                     RN_EPROTO, "case %zu", i);
        cr_assert_leq(a.used_total, cases[i].max_alloc + 32, "case %zu: arena used %zu", i,
                      a.used_total);
        rn_arena_fini(&a);
    }
}

Test(kmsg, bad_lengths_rejected)
{
    rn_arena a = {0};
    rn_err err = {0};
    /* Metadata v0 topic name with length -1 (STRING is not nullable) and -2. */
    static const uint8_t null_name[] = {0x00, 0x00, 0x00, 0x01, 0xff, 0xff};
    static const uint8_t neg_name[] = {0x00, 0x00, 0x00, 0x01, 0xff, 0xfe};
    cr_assert_eq(decode_bytes("MetadataRequest", 0, null_name, sizeof null_name, &a, &err),
                 RN_EPROTO);
    cr_assert_eq(decode_bytes("MetadataRequest", 0, neg_name, sizeof neg_name, &a, &err),
                 RN_EPROTO);
    /* Metadata v10: Name is nullable, so -1 (compact 0) is fine... */
    static const uint8_t v10_null[] = {
        0x02,                                           /* topics: 1 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* topic_id */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* (16 bytes) */
        0x00,                                           /* name: null */
        0x00,                                           /* topic tags */
        0x01, 0x00, 0x00,                               /* three bools */
        0x00,                                           /* tags */
    };
    cr_assert_eq(decode_bytes("MetadataRequest", 10, v10_null, sizeof v10_null, &a, &err), RN_OK,
                 "%s", err.msg);
    /* ...but in v9 it is not: compact string 0 means null. */
    static const uint8_t v9_null[] = {0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
    cr_assert_eq(decode_bytes("MetadataRequest", 9, v9_null, sizeof v9_null, &a, &err), RN_EPROTO);
    /* Produce v7 records length -2. */
    uint8_t recs[sizeof produce_v7];
    memcpy(recs, produce_v7, sizeof recs);
    recs[26] = recs[27] = recs[28] = 0xff;
    recs[29] = 0xfe;
    cr_assert_eq(decode_bytes("ProduceRequest", 7, recs, sizeof recs, &a, &err), RN_EPROTO);
    /* ...and -1 (nullable records) is accepted, leaving the 10 bytes as trailing. */
    recs[29] = 0xff;
    cr_assert_eq(decode_bytes("ProduceRequest", 7, recs, sizeof recs, &a, &err), RN_OK);
    /* A string longer than 0x7fff in compact form. */
    static const uint8_t long_str[] = {0x81, 0x80, 0x02, 'x'};
    cr_assert_eq(decode_bytes("ApiVersionsRequest", 3, long_str, sizeof long_str, &a, &err),
                 RN_EPROTO);
    /* An over-long varint (six bytes) as a compact length. */
    static const uint8_t long_varint[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    cr_assert_eq(decode_bytes("ApiVersionsRequest", 3, long_varint, sizeof long_varint, &a, &err),
                 RN_EPROTO);
    rn_arena_fini(&a);
}

Test(kmsg, tagged_fields)
{
    rn_arena a = {0};
    rn_err err = {0};
    rn_reader r;
    /* ApiVersions v3 request body + tags: unknown tag 5 (skipped), then tag 9. */
    static const uint8_t unknown[] = {0x01, 0x01, 0x02, 0x05, 0x02, 0xaa, 0xbb, 0x09, 0x00};
    rn_kmsg_api_versions_request req;
    rn_reader_init(&r, unknown, sizeof unknown);
    cr_assert_eq(rn_kmsg_api_versions_request_decode(&r, 3, &a, &req, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(rn_reader_left(&r), 0);
    /* Out of order (9 then 5) and repeated (5, 5) tags are malformed. */
    static const uint8_t order[] = {0x01, 0x01, 0x02, 0x09, 0x00, 0x05, 0x00};
    static const uint8_t repeat[] = {0x01, 0x01, 0x02, 0x05, 0x00, 0x05, 0x00};
    rn_reader_init(&r, order, sizeof order);
    cr_assert_eq(rn_kmsg_api_versions_request_decode(&r, 3, &a, &req, &err), RN_EPROTO);
    rn_reader_init(&r, repeat, sizeof repeat);
    cr_assert_eq(rn_kmsg_api_versions_request_decode(&r, 3, &a, &req, &err), RN_EPROTO);
    /* A tagged field whose size runs past the end. */
    static const uint8_t oversize[] = {0x01, 0x01, 0x01, 0x05, 0x09, 0x00};
    rn_reader_init(&r, oversize, sizeof oversize);
    cr_assert_eq(rn_kmsg_api_versions_request_decode(&r, 3, &a, &req, &err), RN_EPROTO);

    /* Known tag (ApiVersionsResponse FinalizedFeaturesEpoch, int64) declared 10 bytes
     * long: the 2 extra bytes are skipped. Declared 4 long: the int64 cannot be read
     * from it, even though more bytes follow. */
    static const uint8_t big[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x0a,
                                  0,    0,    0,    0,    0,    0,    0,    0x2a, 0xee, 0xee};
    rn_kmsg_api_versions_response resp;
    rn_reader_init(&r, big, sizeof big);
    cr_assert_eq(rn_kmsg_api_versions_response_decode(&r, 3, &a, &resp, &err), RN_OK, "%s",
                 err.msg);
    cr_assert_eq(resp.finalized_features_epoch, 42);
    cr_assert_eq(rn_reader_left(&r), 0);
    static const uint8_t small[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04,
                                    0,    0,    0,    0,    0,    0,    0,    0x2a, 0x00};
    rn_reader_init(&r, small, sizeof small);
    cr_assert_eq(rn_kmsg_api_versions_response_decode(&r, 3, &a, &resp, &err), RN_EPROTO);
    cr_assert_eq(r.end, small + sizeof small, "reader end restored");
    rn_arena_fini(&a);
}

Test(kmsg, trailing_bytes_are_not_an_error)
{
    rn_arena a = {0};
    rn_err err = {0};
    uint8_t buf[sizeof produce_v7 + 3];
    memcpy(buf, produce_v7, sizeof produce_v7);
    memset(buf + sizeof produce_v7, 0x5a, 3);
    rn_reader r;
    rn_reader_init(&r, buf, sizeof buf);
    rn_kmsg_produce_request m;
    cr_assert_eq(rn_kmsg_produce_request_decode(&r, 7, &a, &m, &err), RN_OK);
    cr_assert_eq(rn_reader_left(&r), 3);
    rn_arena_fini(&a);
}

/* ------------------------------------------------------------------ encoder checks */

Test(kmsg, encode_rejects_unencodable_values)
{
    rn_buf b = {0};
    rn_buf_put_i32(&b, 0x11223344); /* earlier content must survive a failed encode */
    rn_kmsg_metadata_request m;
    rn_kmsg_metadata_request_metadata_request_topic t;
    rn_kmsg_metadata_request_init(&m);
    rn_kmsg_metadata_request_metadata_request_topic_init(&t);
    m.topics.items = &t;
    m.topics.n = 1;
    t.name = RN_KSTR_NULL; /* nullable only from v10 */
    cr_assert_eq(rn_kmsg_metadata_request_encode(&b, 9, &m), RN_EINVAL);
    cr_assert_eq(b.len, 4);
    cr_assert_eq(rn_kmsg_metadata_request_encode(&b, 10, &m), RN_OK);
    b.len = 4;
    m.topics.n = -1; /* null topics: only from v1 */
    cr_assert_eq(rn_kmsg_metadata_request_encode(&b, 0, &m), RN_EINVAL);
    cr_assert_eq(rn_kmsg_metadata_request_encode(&b, 1, &m), RN_OK);
    b.len = 4;
    m.topics.n = 3; /* n > 0 with NULL items */
    m.topics.items = NULL;
    cr_assert_eq(rn_kmsg_metadata_request_encode(&b, 1, &m), RN_EINVAL);
    m.topics.n = 0;
    static char big[0x8000];
    memset(big, 'x', sizeof big);
    rn_kmsg_api_versions_request req;
    rn_kmsg_api_versions_request_init(&req);
    req.client_software_name = (rn_kstr){big, (int32_t)sizeof big}; /* over 0x7fff */
    cr_assert_eq(rn_kmsg_api_versions_request_encode(&b, 3, &req), RN_EINVAL);
    cr_assert_eq(rn_kmsg_api_versions_request_encode(&b, 2, &req), RN_OK, "absent in v2");
    cr_assert_eq(b.len, 4);
    cr_assert_eq(rn_be32_load(b.p), 0x11223344u);
    rn_buf_fini(&b);
}

Test(kmsg, request_header_client_id_stays_int16)
{
    rn_kmsg_request_header h;
    rn_kmsg_request_header_init(&h);
    h.request_api_key = 3;
    h.request_api_version = 12;
    h.correlation_id = 9;
    h.client_id = RN_KSTR_NULL;
    rn_buf b = {0};
    cr_assert_eq(rn_kmsg_request_header_encode(&b, 2, &h), RN_OK);
    static const uint8_t want[] = {0x00, 0x03, 0x00, 0x0c, 0x00, 0x00,
                                   0x00, 0x09, 0xff, 0xff, 0x00};
    hex_expect(&b, want, sizeof want);
    rn_buf_fini(&b);
    rn_kmsg_response_header rh;
    rn_kmsg_response_header_init(&rh);
    rh.correlation_id = 9;
    cr_assert_eq(rn_kmsg_response_header_encode(&b, 1, &rh), RN_OK);
    cr_assert_eq(b.len, 5);
    rn_buf_fini(&b);
}

/* ------------------------------------------------------------------ tables */

Test(kmsg, api_table)
{
    cr_assert_eq(RN_KMSG_API_COUNT, 31);
    const rn_kmsg_api *p = rn_kmsg_api_lookup(0);
    cr_assert_not_null(p);
    cr_assert_str_eq(p->name, "Produce");
    cr_assert_eq(p->min_version, 3);
    cr_assert_eq(p->max_version, 13);
    cr_assert_eq(p->flexible_min, 9);
    p = rn_kmsg_api_lookup(17);
    cr_assert_str_eq(p->name, "SaslHandshake");
    cr_assert_eq(p->flexible_min, -1);
    cr_assert_null(rn_kmsg_api_lookup(4));
    cr_assert_null(rn_kmsg_api_lookup(-1));
    for (int i = 0; i < RN_KMSG_API_COUNT; i++) {
        cr_assert_eq(rn_kmsg_api_lookup(rn_kmsg_apis[i].key), &rn_kmsg_apis[i]);
        if (i) cr_assert_gt(rn_kmsg_apis[i].key, rn_kmsg_apis[i - 1].key);
        const rn_kmsg_desc *rq = rn_kmsg_request_desc(rn_kmsg_apis[i].key);
        const rn_kmsg_desc *rs = rn_kmsg_response_desc(rn_kmsg_apis[i].key);
        cr_assert_not_null(rq);
        cr_assert_not_null(rs);
        cr_assert_eq(rq->min_version, rn_kmsg_apis[i].min_version);
        cr_assert_eq(rs->max_version, rq->max_version, "%s", rs->name);
    }
    cr_assert_null(rn_kmsg_request_desc(4));
}

Test(kmsg, header_versions)
{
    cr_assert_eq(rn_kmsg_request_header_version(18, 2), 1);
    cr_assert_eq(rn_kmsg_request_header_version(18, 3), 2);
    cr_assert_eq(rn_kmsg_request_header_version(18, 7), 2, "newer than we know: still v2");
    cr_assert_eq(rn_kmsg_request_header_version(0, 8), 1);
    cr_assert_eq(rn_kmsg_request_header_version(0, 9), 2);
    cr_assert_eq(rn_kmsg_request_header_version(17, 1), 1, "SaslHandshake never flexible");
    cr_assert_eq(rn_kmsg_request_header_version(60, 0), 2, "DescribeCluster always flexible");
    cr_assert_eq(rn_kmsg_request_header_version(999, 0), 1);
    cr_assert_eq(rn_kmsg_response_header_version(18, 3), 0, "ApiVersions: always v0");
    cr_assert_eq(rn_kmsg_response_header_version(18, 0), 0);
    cr_assert_eq(rn_kmsg_response_header_version(0, 9), 1);
    cr_assert_eq(rn_kmsg_response_header_version(0, 8), 0);
    cr_assert_eq(rn_kmsg_response_header_version(3, 9), 1);
    cr_assert_eq(rn_kmsg_response_header_version(60, 0), 1);
}

Test(kmsg, decode_any)
{
    rn_arena a = {0};
    rn_err err = {0};
    rn_reader r;
    rn_reader_init(&r, produce_v7, sizeof produce_v7);
    cr_assert_eq(rn_kmsg_request_decode_any(&r, 0, 7, &a, &err), RN_OK, "%s", err.msg);
    rn_reader_init(&r, produce_v7, sizeof produce_v7);
    cr_assert_eq(rn_kmsg_request_decode_any(&r, 4, 0, &a, &err), RN_ENOTFOUND);
    rn_reader_init(&r, produce_v7, sizeof produce_v7);
    cr_assert_eq(rn_kmsg_request_decode_any(&r, 0, 2, &a, &err), RN_EPROTO);
    rn_arena_fini(&a);
}

Test(kmsg, kstr_helpers)
{
    cr_assert_eq(rn_kstr_c(NULL).len, -1);
    cr_assert_null(rn_kstr_c(NULL).p);
    cr_assert_eq(rn_kstr_c("").len, 0);
    cr_assert(rn_kstr_eq(rn_kstr_c("abc"), "abc"));
    cr_assert(!rn_kstr_eq(rn_kstr_c("abc"), "ab"));
    cr_assert(!rn_kstr_eq(rn_kstr_c("ab"), "abc"));
    cr_assert(rn_kstr_eq(RN_KSTR_NULL, NULL));
    cr_assert(!rn_kstr_eq(RN_KSTR_NULL, ""));
    cr_assert(!rn_kstr_eq(rn_kstr_c(""), NULL));
    cr_assert(rn_kstr_eq((rn_kstr){"abcdef", 3}, "abc"), "not NUL-terminated");
}
