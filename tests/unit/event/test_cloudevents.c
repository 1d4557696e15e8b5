/*
 * tests/unit/event/test_cloudevents.c - the CloudEvents 1.0 mapping: the structured JSON
 * form of the guidelines' example (every attribute), decoding CloudEvents (with and
 * without optional attributes, extensions, every error), envelope -> CE -> envelope round
 * trips, the Kafka binary binding (headers, value, decoding, error paths) and its round
 * trip.
 */
#include "fixture.h"

/* The rn_jval copies of the jansson envelopes that tests validate; each test runs in a
 * process of its own, and this is freed when its suite's test ends. */
static rn_arena arena;
static void arena_done(void)
{
    rn_arena_fini(&arena);
}
TestSuite(structured, .fini = arena_done);
TestSuite(binary, .fini = arena_done);

/* Validates text as an envelope; returns the document (caller decrefs) and fills ev. */
static json_t *valid_envelope(const char *text, rn_event *ev)
{
    json_t *env = load(text);
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    int rc = validate_json(&arena, env, NULL, ev, &errs);
    cr_assert_eq(rc, RN_OK, "fixture envelope invalid: %s", errs.n ? errs.e[0].msg : "");
    return env;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* 1 if two documents are equal; prints both otherwise. */
static int same(const json_t *a, const json_t *b)
{
    if (json_equal(a, b)) return 1;
    char *sa = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    char *sb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    fprintf(stderr, "differ:\n  %s\n  %s\n", sa, sb);
    free(sa);
    free(sb);
    return 0;
}

/* ------------------------------------------------------------------ structured: encode */

Test(structured, encode_the_guidelines_example)
{
    rn_event ev;
    json_t *env = valid_envelope(VALID_ENVELOPE, &ev);
    json_t *ce = NULL;
    cr_assert_eq(rn_event_ce_encode(&ev, &ce, NULL), RN_OK);
    json_t *want = load("{\"specversion\": \"1.0\","
                        " \"id\": \"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b\","
                        " \"source\": \"order-service\", \"type\": \"order.created.v1\","
                        " \"subject\": \"order-12345\", \"time\": \"2025-10-20T10:00:00Z\","
                        " \"datacontenttype\": \"application/json\", \"dataversion\": \"1.0\","
                        " \"correlationid\": \"correlation-789\","
                        " \"causationid\": \"command-abc\", \"userid\": \"user-123\","
                        " \"data\": {\"orderId\": \"12345\", \"customerId\": \"customer-456\","
                        " \"totalAmount\": 99.99, \"currency\": \"SEK\"}}");
    cr_expect(same(ce, want));
    /* data is a copy: changing it leaves the envelope alone. */
    json_object_set_new(json_object_get(ce, "data"), "x", json_true());
    cr_expect_null(json_object_get(json_object_get(env, "data"), "x"));
    json_decref(want);
    json_decref(ce);
    json_decref(env);
}

Test(structured, encode_data_schema_and_extensions)
{
    rn_event ev;
    json_t *env = load(VALID_ENVELOPE);
    json_t *md = json_object_get(env, "metadata");
    json_object_del(md, "causationId");
    json_object_del(md, "userId");
    json_object_set_new(md, "dataSchema", json_string("https://schemas.example/order.json"));
    json_object_set_new(md, "traceparent", json_string("00-abc-def-01"));
    json_object_set_new(md, "tenantId", json_string("t-1"));
    json_object_set_new(md, "priority", json_integer(3));
    json_object_set_new(md, "urgent", json_true());
    json_object_set_new(md, "dropped", json_null());
    cr_assert_eq(validate_json(&arena, env, NULL, &ev, NULL), RN_OK);
    json_t *ce;
    cr_assert_eq(rn_event_ce_encode(&ev, &ce, NULL), RN_OK);
    cr_expect_str_eq(str(ce, "dataschema"), "https://schemas.example/order.json");
    cr_expect_str_eq(str(ce, "traceparent"), "00-abc-def-01");
    cr_expect_str_eq(str(ce, "tenantid"), "t-1"); /* lowercased */
    cr_expect_eq(json_integer_value(json_object_get(ce, "priority")), 3);
    cr_expect(json_is_true(json_object_get(ce, "urgent")));
    cr_expect_null(json_object_get(ce, "dropped"));
    cr_expect_null(json_object_get(ce, "causationid"));
    cr_expect_null(json_object_get(ce, "userid"));
    json_decref(ce);
    json_decref(env);
}

Test(structured, encode_refuses_unmappable_metadata)
{
    rn_event ev;
    json_t *env = load(VALID_ENVELOPE);
    json_t *md = json_object_get(env, "metadata");
    json_object_set_new(md, "trace-id", json_string("x"));
    json_object_set_new(md, "dataversion", json_string("x"));
    json_object_set_new(md, "traceId", json_string("a"));
    json_object_set_new(md, "traceid", json_string("b"));
    json_object_set_new(md, "tags", load("[\"a\"]"));
    json_object_set_new(md, "ratio", json_real(0.5));
    json_object_set_new(md, "big", json_integer(1LL << 40));
    cr_assert_eq(validate_json(&arena, env, NULL, &ev, NULL), RN_OK);
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    json_t *ce = json_true();
    cr_expect_eq(rn_event_ce_encode(&ev, &ce, &errs), RN_EINVAL);
    cr_expect_null(ce);
    const want_err want[] = {
        {"/metadata/trace-id", "cannot be a CloudEvents extension: the name must be ASCII "
                               "letters and digits (at most 64)"},
        {"/metadata/dataversion", "cannot be a CloudEvents extension: \"dataversion\" is an "
                                  "attribute of the mapping"},
        {"/metadata/traceid", "cannot be a CloudEvents extension: another metadata member also "
                              "becomes \"traceid\""},
        {"/metadata/tags", "cannot be a CloudEvents extension: the value must be a string, a "
                           "boolean or a 32-bit integer, got array"},
        {"/metadata/ratio", "cannot be a CloudEvents extension: the value must be a string, a "
                            "boolean or a 32-bit integer, got number"},
        {"/metadata/big", "cannot be a CloudEvents extension: the value must be a string, a "
                          "boolean or a 32-bit integer, got a larger integer"},
    };
    check_errors(&errs, want, sizeof want / sizeof want[0]);
    /* The binary encoder applies the same rules. */
    rn_event_ce_binary bin;
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_ce_encode_binary(&ev, &bin, &errs), RN_EINVAL);
    cr_expect_eq(errs.n, 6);
    cr_expect_eq(bin.n, 0);
    json_decref(env);
}

Test(structured, encode_needs_a_validated_envelope)
{
    rn_event ev;
    memset(&ev, 0, sizeof ev);
    json_t *ce;
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_ce_encode(&ev, &ce, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].msg, "the envelope has not been validated");
}

/* ------------------------------------------------------------------ structured: decode */

Test(structured, decode_a_full_cloudevent)
{
    json_t *ce = load("{\"specversion\": \"1.0\", \"type\": \"order.created.v1\","
                      " \"source\": \"order-service\", \"subject\": \"order-1\","
                      " \"id\": \"919108f7-52d1-4320-9bac-f847db4148a8\","
                      " \"time\": \"2025-10-20T10:00:00Z\","
                      " \"datacontenttype\": \"application/cloudevents+json; charset=utf-8\","
                      " \"dataschema\": \"https://s/1\", \"dataversion\": \"1.2\","
                      " \"correlationid\": \"c-1\", \"causationid\": \"e-0\", \"userid\": \"u\","
                      " \"traceparent\": \"00-1\", \"priority\": 2, \"urgent\": false,"
                      " \"nothing\": null, \"data\": {\"a\": 1}}");
    json_t *env = NULL;
    cr_assert_eq(rn_event_ce_decode(ce, &env, NULL), RN_OK);
    json_t *want = load("{\"eventId\": \"919108f7-52d1-4320-9bac-f847db4148a8\","
                        " \"eventType\": \"order.created.v1\","
                        " \"eventTime\": \"2025-10-20T10:00:00Z\", \"source\": \"order-service\","
                        " \"subject\": \"order-1\", \"dataVersion\": \"1.2\", \"data\": {\"a\": 1},"
                        " \"metadata\": {\"correlationId\": \"c-1\", \"causationId\": \"e-0\","
                        " \"userId\": \"u\", \"dataSchema\": \"https://s/1\","
                        " \"traceparent\": \"00-1\", \"priority\": 2, \"urgent\": false}}");
    cr_expect(same(env, want));
    /* Envelope member order as in the guidelines. */
    const char *order[] = {"eventId", "eventType",   "eventTime", "source",
                           "subject", "dataVersion", "data",      "metadata"};
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(env, key, v) cr_expect_str_eq(key, order[i++]);
    cr_expect_eq(validate_json(&arena, env, NULL, NULL, NULL), RN_OK);
    json_decref(want);
    json_decref(env);
    json_decref(ce);
}

Test(structured, decode_minimal_cloudevent_then_validation_says_what_is_missing)
{
    json_t *ce = load("{\"specversion\": \"1.0\", \"id\": \"A234-1234-1234\","
                      " \"source\": \"/mycontext\", \"type\": \"com.example.someevent\"}");
    json_t *env;
    cr_assert_eq(rn_event_ce_decode(ce, &env, NULL), RN_OK);
    cr_expect_eq(json_object_size(json_object_get(env, "metadata")), 0);
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_expect_eq(validate_json(&arena, env, NULL, NULL, &errs), RN_EINVAL);
    const want_err want[] = {
        {"/eventId", "\"A234-1234-1234\": must be a UUID: 8-4-4-4-12 hex digits"},
        {"/eventType", "\"com.example.someevent\": version \"someevent\" must be \"v\" and a "
                       "number from 1 without leading zeros, e.g. \"v1\""},
        {"/eventTime", "is required"},
        {"/subject", "is required"},
        {"/dataVersion", "is required"},
        {"/data", "is required"},
        {"/metadata/correlationId", "is required"},
    };
    check_errors(&errs, want, sizeof want / sizeof want[0]);
    json_decref(env);
    json_decref(ce);
}

Test(structured, decode_errors)
{
    json_t *env = json_true();
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    json_t *ce = load("[]");
    cr_expect_eq(rn_event_ce_decode(ce, &env, &errs), RN_EINVAL);
    cr_expect_null(env);
    const want_err w0[] = {{"", "a CloudEvent must be a JSON object, got array"}};
    check_errors(&errs, w0, 1);
    json_decref(ce);

    rn_event_errors_init(&errs);
    ce = load("{\"specversion\": \"0.3\", \"id\": \"\", \"type\": 1,"
              " \"subject\": \"\", \"datacontenttype\": \"text/plain\","
              " \"data_base64\": \"AAAA\", \"Bad-Name\": \"x\", \"obj\": {}}");
    cr_expect_eq(rn_event_ce_decode(ce, &env, &errs), RN_EINVAL);
    cr_expect_null(env);
    const want_err want[] = {
        {"/specversion", "\"0.3\": must be \"1.0\""},
        {"/datacontenttype", "\"text/plain\": the envelope's data must be JSON"},
        {"/data_base64", "binary data cannot be carried in an envelope (its data is a JSON "
                         "object)"},
        {"/id", "must not be empty"},
        {"/type", "must be a string, got number"},
        {"/source", "is required"},
        {"/subject", "must not be empty"},
        {"/Bad-Name", "not a CloudEvents attribute name (lowercase letters and digits)"},
        {"/obj", "an extension attribute must be a string, number or boolean, got object"},
    };
    check_errors(&errs, want, sizeof want / sizeof want[0]);
    json_decref(ce);

    rn_event_errors_init(&errs);
    ce = load("{\"id\": \"a\", \"source\": \"b\", \"type\": \"c\"}");
    cr_expect_eq(rn_event_ce_decode(ce, &env, &errs), RN_EINVAL);
    const want_err w2[] = {{"/specversion", "is required"}};
    check_errors(&errs, w2, 1);
    json_decref(ce);
}

Test(structured, json_media_types)
{
    const char *ok[] = {
        "application/json", "APPLICATION/JSON",           "application/json; charset=utf-8",
        "text/json",        "application/vnd.order+json", "application/cloudevents+json"};
    const char *bad[] = {"text/plain", "application/xml", "application/jsonx", "+json", "json"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_t *ce = load("{\"specversion\": \"1.0\", \"id\": \"a\", \"source\": \"b\","
                          " \"type\": \"c\"}");
        json_object_set_new(ce, "datacontenttype", json_string(ok[i]));
        json_t *env;
        cr_expect_eq(rn_event_ce_decode(ce, &env, NULL), RN_OK, "%s", ok[i]);
        json_decref(env);
        json_decref(ce);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *ce = load("{\"specversion\": \"1.0\", \"id\": \"a\", \"source\": \"b\","
                          " \"type\": \"c\"}");
        json_object_set_new(ce, "datacontenttype", json_string(bad[i]));
        json_t *env;
        cr_expect_eq(rn_event_ce_decode(ce, &env, NULL), RN_EINVAL, "%s", bad[i]);
        json_decref(ce);
    }
}

/* ------------------------------------------------------------------ structured: round trips */

static void round_trip_structured(const char *text)
{
    rn_event ev;
    json_t *env = valid_envelope(text, &ev);
    json_t *ce, *back;
    cr_assert_eq(rn_event_ce_encode(&ev, &ce, NULL), RN_OK);
    cr_assert_eq(rn_event_ce_decode(ce, &back, NULL), RN_OK);
    cr_expect(same(env, back));
    rn_event ev2;
    cr_expect_eq(validate_json(&arena, back, NULL, &ev2, NULL), RN_OK);
    /* And CE -> envelope -> CE gives the same CloudEvent. */
    json_t *ce2;
    cr_assert_eq(rn_event_ce_encode(&ev2, &ce2, NULL), RN_OK);
    cr_expect(same(ce, ce2));
    json_decref(ce2);
    json_decref(back);
    json_decref(ce);
    json_decref(env);
}

Test(structured, round_trips)
{
    round_trip_structured(VALID_ENVELOPE);
    round_trip_structured(
        "{\"eventId\": \"017f22e2-79b0-7cc3-98c4-dc0c0c07398f\","
        " \"eventType\": \"payment.card.paid.v2\", \"eventTime\": \"2025-10-20T12:00:00.5+02:00\","
        " \"source\": \"payments\", \"subject\": \"p-1\", \"dataVersion\": \"2.3\","
        " \"data\": {\"nested\": {\"list\": [1, 2.5, null, true, \"s\"]}, \"u\": \"\\u00e5\"},"
        " \"metadata\": {\"correlationId\": \"c\", \"dataSchema\": \"https://s\","
        " \"traceparent\": \"00-1\", \"n\": -5, \"b\": true}}");
    round_trip_structured(
        "{\"eventId\": \"919108f7-52d1-4320-9bac-f847db4148a8\", \"eventType\": \"a.b.sent.v1\","
        " \"eventTime\": \"2025-10-20T10:00:00Z\", \"source\": \"s\", \"subject\": \"x\","
        " \"dataVersion\": \"1.0\", \"data\": {}, \"metadata\": {\"correlationId\": \"c\"}}");
}

/* ------------------------------------------------------------------ Kafka binary mode */

static const char *header(const rn_event_ce_binary *b, const char *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->headers[i].key_len == strlen(key) && !memcmp(b->headers[i].key, key, strlen(key)))
            return b->headers[i].value;
    return NULL;
}

Test(binary, encode_headers_and_value)
{
    rn_event ev;
    json_t *env = load(VALID_ENVELOPE);
    json_t *md = json_object_get(env, "metadata");
    json_object_set_new(md, "dataSchema", json_string("https://s/1"));
    json_object_set_new(md, "tenantId", json_string("t-1"));
    json_object_set_new(md, "priority", json_integer(-42));
    json_object_set_new(md, "urgent", json_false());
    cr_assert_eq(validate_json(&arena, env, NULL, &ev, NULL), RN_OK);
    rn_event_ce_binary b;
    cr_assert_eq(rn_event_ce_encode_binary(&ev, &b, NULL), RN_OK);
    const char *want[][2] = {
        {"ce_specversion", "1.0"},
        {"ce_id", "3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b"},
        {"ce_source", "order-service"},
        {"ce_type", "order.created.v1"},
        {"ce_subject", "order-12345"},
        {"ce_time", "2025-10-20T10:00:00Z"},
        {"ce_dataschema", "https://s/1"},
        {"ce_dataversion", "1.0"},
        {"ce_correlationid", "correlation-789"},
        {"ce_causationid", "command-abc"},
        {"ce_userid", "user-123"},
        {"ce_tenantid", "t-1"},
        {"ce_priority", "-42"},
        {"ce_urgent", "false"},
        {"content-type", "application/json"},
    };
    size_t n = sizeof want / sizeof want[0];
    cr_assert_eq(b.n, n);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(b.headers[i].key_len, strlen(want[i][0]));
        cr_expect_eq(strncmp(b.headers[i].key, want[i][0], b.headers[i].key_len), 0, "%zu", i);
        cr_expect_eq(b.headers[i].value_len, strlen(want[i][1]), "%s", want[i][0]);
        cr_expect_eq(strncmp(b.headers[i].value, want[i][1], b.headers[i].value_len), 0, "%s",
                     want[i][0]);
    }
    const char *data = "{\"orderId\":\"12345\",\"customerId\":\"customer-456\","
                       "\"totalAmount\":99.99,\"currency\":\"SEK\"}";
    cr_expect_eq(b.value_len, strlen(data));
    cr_expect_eq(memcmp(b.value, data, b.value_len), 0);
    rn_event_ce_binary_fini(&b);
    cr_expect_null(b.headers);
    rn_event_ce_binary_fini(&b); /* twice is fine */
    rn_event_ce_binary_fini(NULL);
    json_decref(env);
}

Test(binary, round_trip)
{
    rn_event ev;
    json_t *env = load(VALID_ENVELOPE);
    json_object_set_new(json_object_get(env, "metadata"), "traceparent", json_string("00-1"));
    cr_assert_eq(validate_json(&arena, env, NULL, &ev, NULL), RN_OK);
    rn_event_ce_binary b;
    cr_assert_eq(rn_event_ce_encode_binary(&ev, &b, NULL), RN_OK);
    /* Kafka adds its own headers; they are ignored. */
    rn_event_header hs[32];
    memcpy(hs, b.headers, b.n * sizeof hs[0]);
    hs[b.n] = (rn_event_header){"traceparent-other", 17, "x", 1};
    hs[b.n + 1] = (rn_event_header){"ce_nullvalue", 12, NULL, 0};
    json_t *back;
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_assert_eq(rn_event_ce_decode_binary(hs, b.n + 2, b.value, b.value_len, &back, &errs), RN_OK);
    cr_expect(same(env, back));
    cr_expect_eq(validate_json(&arena, back, NULL, NULL, NULL), RN_OK);
    json_decref(back);
    rn_event_ce_binary_fini(&b);
    json_decref(env);
}

Test(binary, non_string_extensions_come_back_as_strings)
{
    rn_event ev;
    json_t *env = load(VALID_ENVELOPE);
    json_object_set_new(json_object_get(env, "metadata"), "priority", json_integer(3));
    cr_assert_eq(validate_json(&arena, env, NULL, &ev, NULL), RN_OK);
    rn_event_ce_binary b;
    cr_assert_eq(rn_event_ce_encode_binary(&ev, &b, NULL), RN_OK);
    json_t *back;
    cr_assert_eq(rn_event_ce_decode_binary(b.headers, b.n, b.value, b.value_len, &back, NULL),
                 RN_OK);
    cr_expect_str_eq(str(json_object_get(back, "metadata"), "priority"), "3");
    json_decref(back);
    rn_event_ce_binary_fini(&b);
    json_decref(env);
}

#define H(k, v)                                                                                    \
    {                                                                                              \
        k, sizeof k - 1, v, sizeof v - 1                                                           \
    }

Test(binary, decode_errors_name_the_headers)
{
    rn_event_header hs[] = {
        H("ce_specversion", "0.3"), H("ce_id", "a"),        H("ce_id", "b"),
        H("ce_Type", "x"),          H("ce_source", "\xff"), H("content-type", "text/plain"),
    };
    json_t *env = json_true();
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_ce_decode_binary(hs, sizeof hs / sizeof hs[0], "hello", 5, &env, &errs),
                 RN_EINVAL);
    cr_expect_null(env);
    const want_err want[] = {
        {"/headers/ce_id", "appears more than once"},
        {"/headers/ce_Type", "not a CloudEvents attribute name after \"ce_\" (lowercase letters "
                             "and digits)"},
        {"/headers/ce_source", "must be UTF-8 text"},
        {"/headers/ce_specversion", "\"0.3\": must be \"1.0\""},
        {"/headers/content-type", "\"text/plain\": the envelope's data must be JSON"},
        {"/headers/ce_type", "is required"},
        {"/headers/ce_source", "is required"},
    };
    check_errors(&errs, want, sizeof want / sizeof want[0]);
}

Test(binary, decode_value_errors)
{
    rn_event_header hs[] = {H("ce_specversion", "1.0"), H("ce_id", "a"), H("ce_type", "t"),
                            H("ce_source", "s")};
    json_t *env;
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_ce_decode_binary(hs, 4, "{\"a\":", 5, &env, &errs), RN_EINVAL);
    cr_assert_eq(errs.n, 1);
    cr_expect_str_eq(errs.e[0].path, "/value");
    cr_expect(!strncmp(errs.e[0].msg, "not valid JSON: ", 16), "%s", errs.e[0].msg);

    /* No value: no data (validation then reports /data). No content-type: JSON. */
    cr_assert_eq(rn_event_ce_decode_binary(hs, 4, NULL, 0, &env, NULL), RN_OK);
    cr_expect_null(json_object_get(env, "data"));
    json_decref(env);
    cr_assert_eq(rn_event_ce_decode_binary(hs, 4, "[1]", 3, &env, NULL), RN_OK);
    cr_expect(json_is_array(json_object_get(env, "data")));
    json_decref(env);
}
