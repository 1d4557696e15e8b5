/*
 * tests/unit/govern/test_govern.c - produce-time governance: envelope verdicts per
 * record (U+0000 in an envelope string, types kept for the rejection counters), schema
 * validation of the parsed data, the eventId dedup window (expiry, deletion), and
 * rewriting a batch without its duplicates (offset range, producer fields and CRC kept
 * valid).
 */
#include "common/crc32c.h"
#include "common/timeutil.h"
#include "event/envelope.h"
#include "govern/govern.h"
#include "kafka/record/record.h"
#include "registry/jsonschema.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define ENVELOPE_FMT                                                                               \
    "{\"eventId\":\"%s\",\"eventType\":\"%s\",\"eventTime\":\"2026-11-27T10:00:00.000Z\","         \
    "\"source\":\"svc\",\"subject\":\"s-1\",\"dataVersion\":\"1.0\",\"data\":{\"n\":1},"           \
    "\"metadata\":{\"correlationId\":\"c-1\"}}"

static void build(rn_buf *out, const char *const *values, int n, int codec, int64_t pid)
{
    rn_batch_builder bb;
    rn_batch_builder_init(&bb, codec, 1000);
    if (pid >= 0) rn_batch_builder_set_producer(&bb, pid, 0, 0);
    for (int i = 0; i < n; i++)
        cr_assert_eq(rn_batch_builder_add(&bb, 1000 + i, "k", 1, values[i],
                                          (int32_t)strlen(values[i]), NULL, 0),
                     RN_OK);
    rn_err err;
    cr_assert_eq(rn_batch_builder_finish(&bb, out, &err), RN_OK, "%s", err.msg);
    rn_batch_builder_fini(&bb);
}

static rn_govern *new_govern(void)
{
    rn_broker_config cfg;
    rn_broker_config_defaults(&cfg);
    rn_govern *g = NULL;
    rn_err err;
    cr_assert_eq(rn_govern_new(&cfg, NULL, NULL, &g, &err), RN_OK, "%s", err.msg);
    return g;
}

Test(govern, envelope_verdicts_per_record)
{
    char good[512], bad[512];
    snprintf(good, sizeof good, ENVELOPE_FMT, "5b7d6f0e-9c1a-4e2b-8f3d-1a2b3c4d5e6f",
             "order.created.v1");
    snprintf(bad, sizeof bad, ENVELOPE_FMT, "5b7d6f0e-9c1a-4e2b-8f3d-1a2b3c4d5e70",
             "order.create.v1");
    const char *vals[] = {good, bad, "not json"};
    rn_buf b = {0};
    build(&b, vals, 3, RN_CODEC_GZIP, -1);
    rn_govern *g = new_govern();
    rn_topic_settings s = {0};
    s.validation = RN_VALIDATION_ENVELOPE;
    rn_arena a = {0};
    rn_govern_verdict v;
    rn_err err;
    cr_assert_eq(rn_govern_check(g, "t", &s, NULL, b.p, b.len, &a, &v, &err), RN_OK);
    cr_assert_eq(v.nrecords, 3);
    cr_assert_eq(v.nrejected, 2);
    cr_assert_eq(v.errors[0].index, 1);
    cr_assert(strstr(v.errors[0].message, "action \"create\" is not past tense"), "%s",
              v.errors[0].message);
    cr_assert_eq(v.errors[1].index, 2);
    cr_assert_null(v.reasons[0]);
    cr_assert(strstr(v.message, "2 of 3 records rejected"), "%s", v.message);
    rn_govern_count_rejects(g, "t", &v);
    /* validation none: nothing is rejected */
    s.validation = RN_VALIDATION_NONE;
    cr_assert_eq(rn_govern_check(g, "t", &s, NULL, b.p, b.len, &a, &v, &err), RN_OK);
    cr_assert_eq(v.nrejected, 0);
    rn_arena_fini(&a);
    rn_buf_fini(&b);
    rn_govern_free(g);
}

Test(govern, dedup_window_expires_and_deletes)
{
    rn_dedup *d = rn_dedup_new(1000);
    uint8_t id[16];
    for (int i = 0; i < 5000; i++) {
        memset(id, 0, 16);
        memcpy(id, &i, sizeof i);
        rn_dedup_add(d, id, 0, i, 10000 + i / 10);
    }
    cr_assert_eq(rn_dedup_count(d), 5000);
    int32_t p;
    int64_t off;
    int i = 4321;
    memset(id, 0, 16);
    memcpy(id, &i, sizeof i);
    cr_assert(rn_dedup_find(d, id, 10500, &p, &off));
    cr_assert_eq(off, 4321);
    /* at now = 12000 (window 1000 ms) the ids accepted before t = 11000 are gone */
    i = 10;
    memcpy(id, &i, sizeof i);
    cr_assert_not(rn_dedup_find(d, id, 12000, &p, &off)); /* t = 10001: expired */
    cr_assert_lt(rn_dedup_count(d), 5000);
    /* every id still inside the window is still found after the deletions */
    for (int k = 0; k < 5000; k++) {
        memset(id, 0, 16);
        memcpy(id, &k, sizeof k);
        int found = rn_dedup_find(d, id, 12000, &p, &off);
        cr_assert_eq(found, 10000 + k / 10 >= 11000, "id %d", k);
    }
    rn_dedup_free(d);
}

Test(govern, rewrite_drops_duplicates_and_keeps_header)
{
    char e[3][512];
    const char *ids[3] = {"5b7d6f0e-9c1a-4e2b-8f3d-000000000001",
                          "5b7d6f0e-9c1a-4e2b-8f3d-000000000002",
                          "5b7d6f0e-9c1a-4e2b-8f3d-000000000003"};
    const char *vals[3];
    for (int i = 0; i < 3; i++) {
        snprintf(e[i], sizeof e[i], ENVELOPE_FMT, ids[i], "order.created.v1");
        vals[i] = e[i];
    }
    for (int codec = RN_CODEC_NONE; codec <= RN_CODEC_ZSTD; codec++) {
        rn_buf b = {0};
        build(&b, vals, 3, codec, 42);
        rn_govern *g = new_govern();
        rn_dedup *d = rn_dedup_new(60000);
        uint8_t id[16];
        /* the second record was accepted before */
        cr_assert_eq(rn_event_uuid_parse(ids[1], strlen(ids[1]), id, NULL), RN_OK);
        rn_dedup_add(d, id, 0, 77, rn_now_ms());
        rn_topic_settings s = {0};
        s.validation = RN_VALIDATION_ENVELOPE;
        rn_arena a = {0};
        rn_govern_verdict v;
        rn_err err;
        cr_assert_eq(rn_govern_check(g, "t", &s, d, b.p, b.len, &a, &v, &err), RN_OK);
        cr_assert_eq(v.nduplicates, 1);
        cr_assert_eq(v.first_duplicate_offset, 77);
        rn_buf out = {0};
        cr_assert_eq(rn_govern_rewrite(b.p, b.len, &v, &out, &err), RN_OK, "%s", err.msg);
        rn_batch_header h;
        cr_assert_eq(rn_batch_parse_header(out.p, out.len, &h, &err), RN_OK);
        cr_assert_eq(h.records_count, 2);
        cr_assert_eq(h.last_offset_delta, 2); /* offset range kept */
        cr_assert_eq(h.producer_id, 42);
        cr_assert_eq(h.base_sequence, 0);
        cr_assert_eq(h.crc, rn_crc32c(0, out.p + 21, out.len - 21));
        rn_record_iter it;
        cr_assert_eq(rn_record_iter_init(&it, out.p, out.len, 1 << 20, &err), RN_OK);
        rn_record r;
        int64_t offs[2];
        int n = 0;
        while (rn_record_iter_next(&it, &r, &err) == 1)
            offs[n++] = r.offset;
        rn_record_iter_fini(&it);
        cr_assert_eq(n, 2);
        cr_assert_eq(offs[0], 0);
        cr_assert_eq(offs[1], 2);
        rn_buf_fini(&out);
        rn_arena_fini(&a);
        rn_dedup_free(d);
        rn_govern_free(g);
        rn_buf_fini(&b);
    }
}

/* An envelope with data DATA (JSON text) and subject SUBJECT (JSON string body). */
#define ENVELOPE_DATA_FMT                                                                          \
    "{\"eventId\":\"%s\",\"eventType\":\"order.created.v1\",\"eventTime\":"                        \
    "\"2026-11-27T10:00:00.000Z\",\"source\":\"svc\",\"subject\":\"%s\",\"dataVersion\":\"1.0\","  \
    "\"data\":%s,\"metadata\":{\"correlationId\":\"c-1\"}}"

typedef struct count_seen {
    char types[8][64];
    uint64_t n[8];
    int k;
} count_seen;

static void count_cb(void *arg, const char *type, uint64_t n)
{
    count_seen *c = arg;
    snprintf(c->types[c->k], sizeof c->types[c->k], "%s", type ? type : "(total)");
    c->n[c->k++] = n;
}

static uint64_t count_of(const count_seen *c, const char *type)
{
    for (int i = 0; i < c->k; i++)
        if (!strcmp(c->types[i], type)) return c->n[i];
    return 0;
}

Test(govern, u0000_and_the_types_of_rejected_records)
{
    char nul_subject[512], nul_data[512], ok[512];
    snprintf(nul_subject, sizeof nul_subject, ENVELOPE_DATA_FMT,
             "5b7d6f0e-9c1a-4e2b-8f3d-000000000001", "s\\u0000", "{}");
    /* U+0000 is fine inside data */
    snprintf(nul_data, sizeof nul_data, ENVELOPE_DATA_FMT, "5b7d6f0e-9c1a-4e2b-8f3d-000000000002",
             "s-1", "{\"note\":\"a\\u0000b\"}");
    snprintf(ok, sizeof ok, ENVELOPE_DATA_FMT, "5b7d6f0e-9c1a-4e2b-8f3d-000000000003", "s-1", "{}");
    const char *vals[] = {
        nul_subject,
        nul_data,
        "{\"eventType\":\"payment.create.v1\",\"extra\":1}", /* JSON, not an envelope */
        "{\"eventType\": \"x\"",                             /* not JSON */
        ok,
    };
    rn_buf b = {0};
    build(&b, vals, 5, RN_CODEC_NONE, -1);
    rn_govern *g = new_govern();
    rn_topic_settings s = {0};
    s.validation = RN_VALIDATION_ENVELOPE;
    rn_arena a = {0};
    rn_govern_verdict v;
    rn_err err;
    cr_assert_eq(rn_govern_check(g, "t", &s, NULL, b.p, b.len, &a, &v, &err), RN_OK);
    cr_assert_eq(v.nrejected, 3);
    cr_assert_eq(v.errors[0].index, 0);
    cr_expect_str_eq(v.errors[0].message, "/subject: must not contain U+0000");
    cr_assert_eq(v.errors[1].index, 2);
    cr_expect(strstr(v.errors[1].message, "/eventId: is required") != NULL, "%s",
              v.errors[1].message);
    cr_assert_eq(v.errors[2].index, 3);
    cr_expect(!strncmp(v.errors[2].message, "not valid JSON: ", 16), "%s", v.errors[2].message);
    cr_expect_null(v.reasons[1]);
    cr_expect_null(v.reasons[4]);
    /* The types of the rejected records, for the counters: read from the document when
     * it is JSON. */
    cr_expect_str_eq(v.types[0], "order.created.v1");
    cr_expect_str_eq(v.types[1], "order.created.v1");
    cr_expect_str_eq(v.types[2], "payment.create.v1");
    cr_expect_null(v.types[3]);
    cr_expect_eq(v.has_id[1], 1);
    cr_expect_eq(v.ids[1][15], 0x02);
    cr_expect_eq(v.has_id[2], 0);
    rn_govern_count_rejects(g, "t", &v);
    count_seen c = {0};
    rn_govern_rejects(g, "t", count_cb, &c);
    cr_expect_eq(count_of(&c, "(total)"), 3);
    cr_expect_eq(count_of(&c, "order.created.v1"), 1);
    cr_expect_eq(count_of(&c, "payment.create.v1"), 1);
    cr_expect_eq(count_of(&c, "(invalid)"), 1);
    rn_arena_fini(&a);
    rn_buf_fini(&b);
    rn_govern_free(g);
}

/* The schema registry of the test: one schema for every subject. */
typedef struct one_schema {
    rn_jsonschema *schema;
    int lookups;
} one_schema;

static int lookup_schema(void *arg, const char *subject, int version,
                         const struct rn_jsonschema **out, int *id, rn_err *err)
{
    (void)err;
    one_schema *o = arg;
    o->lookups++;
    cr_expect_str_eq(subject, "order.created.v1");
    cr_expect(version == 1 || version == -1);
    *out = o->schema;
    *id = 7;
    return RN_OK;
}

Test(govern, schema_validation_of_the_parsed_data)
{
    json_t *doc = json_loads("{\"type\": \"object\", \"required\": [\"n\"],"
                             " \"properties\": {\"n\": {\"type\": \"integer\", \"minimum\": 1}}}",
                             0, NULL);
    cr_assert_not_null(doc);
    one_schema o = {0};
    rn_err err;
    cr_assert_eq(rn_jsonschema_compile(doc, NULL, &o.schema, &err), RN_OK, "%s", err.msg);
    json_decref(doc);

    char good[512], low[512], missing[512];
    snprintf(good, sizeof good, ENVELOPE_DATA_FMT, "5b7d6f0e-9c1a-4e2b-8f3d-000000000001", "s",
             "{\"n\":3}");
    snprintf(low, sizeof low, ENVELOPE_DATA_FMT, "5b7d6f0e-9c1a-4e2b-8f3d-000000000002", "s",
             "{\"n\":0}");
    snprintf(missing, sizeof missing, ENVELOPE_DATA_FMT, "5b7d6f0e-9c1a-4e2b-8f3d-000000000003",
             "s", "{}");
    const char *vals[] = {good, low, missing, good};
    rn_buf b = {0};
    build(&b, vals, 4, RN_CODEC_LZ4, -1);
    rn_broker_config cfg;
    rn_broker_config_defaults(&cfg);
    rn_govern *g = NULL;
    cr_assert_eq(rn_govern_new(&cfg, lookup_schema, &o, &g, &err), RN_OK, "%s", err.msg);
    rn_topic_settings s = {0};
    s.validation = RN_VALIDATION_SCHEMA;
    rn_arena a = {0};
    rn_govern_verdict v;
    cr_assert_eq(rn_govern_check(g, "t", &s, NULL, b.p, b.len, &a, &v, &err), RN_OK);
    cr_assert_eq(v.nrejected, 2);
    cr_assert_eq(v.errors[0].index, 1);
    cr_expect(strstr(v.errors[0].message, "/data/n: ") != NULL, "%s", v.errors[0].message);
    cr_expect(strstr(v.errors[0].message, "(minimum)") != NULL, "%s", v.errors[0].message);
    cr_expect(strstr(v.errors[0].message, "(schema id 7)") != NULL, "%s", v.errors[0].message);
    cr_assert_eq(v.errors[1].index, 2);
    cr_expect(strstr(v.errors[1].message, "(required)") != NULL, "%s", v.errors[1].message);
    cr_expect_eq(o.lookups, 1, "the schema of the batch's first record is reused");
    rn_arena_fini(&a);
    rn_buf_fini(&b);
    rn_govern_free(g);
    rn_jsonschema_free(o.schema);
}

/* 3,000 records where every third repeats an eventId seen earlier in the same batch (at
 * distances from 1 to ~1,500 records): exactly those are duplicates, none of the firsts. */
Test(govern, duplicates_within_a_large_batch)
{
    enum { N = 3000 };
    static char bodies[N][512];
    const char *vals[N];
    int want_dup[N];
    int ndup = 0;
    for (int i = 0; i < N; i++) {
        int id = i, dup = i % 3 == 2;
        if (dup) id = (i * 7919) % (i - 1); /* an earlier record, never itself a repeat */
        while (dup && id % 3 == 2)
            id--;
        char uuid[40];
        snprintf(uuid, sizeof uuid, "5b7d6f0e-9c1a-4e2b-8f3d-%012d", id);
        snprintf(bodies[i], sizeof bodies[i], ENVELOPE_FMT, uuid, "order.created.v1");
        vals[i] = bodies[i];
        want_dup[i] = dup;
        ndup += dup;
    }
    rn_buf b = {0};
    build(&b, vals, N, RN_CODEC_LZ4, -1);
    rn_govern *g = new_govern();
    rn_dedup *d = rn_dedup_new(60000);
    rn_topic_settings s = {0};
    s.validation = RN_VALIDATION_ENVELOPE;
    rn_arena a = {0};
    rn_govern_verdict v;
    rn_err err;
    cr_assert_eq(rn_govern_check(g, "t", &s, d, b.p, b.len, &a, &v, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(v.nrecords, N);
    cr_assert_eq(v.nrejected, 0);
    cr_assert_eq(v.nduplicates, ndup);
    for (int i = 0; i < N; i++)
        cr_assert_eq(v.duplicate[i], want_dup[i], "record %d", i);
    cr_assert_eq(v.first_duplicate_offset, -1); /* duplicates of this batch have no offset */
    /* records of one type share one copy of it */
    cr_assert_eq(v.types[0], v.types[N - 1]);
    rn_arena_fini(&a);
    rn_dedup_free(d);
    rn_govern_free(g);
    rn_buf_fini(&b);
}
