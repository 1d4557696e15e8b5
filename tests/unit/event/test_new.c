/*
 * tests/unit/event/test_new.c - building envelopes: the defaults (UUID v4, eventTime
 * now in UTC ms, dataVersion N.0, correlationId = the new eventId), explicit arguments,
 * correlation and causation carried over from a causing envelope or CloudEvent, v7 ids,
 * and the errors of missing arguments and of results that would be invalid.
 */
#include "fixture.h"

#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

Test(new, defaults)
{
    json_t *data = load("{\"orderId\": \"12345\"}");
    rn_event_new_args a = {.event_type = "order.created.v1",
                           .source = "order-service",
                           .subject = "order-12345",
                           .data = data};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    json_t *env = NULL;
    int64_t before = now_ms();
    cr_assert_eq(rn_event_new(&a, NULL, &env, &errs), RN_OK);
    int64_t after = now_ms();
    cr_expect_eq(errs.n, 0);

    /* Members in the guidelines' order. */
    const char *order[] = {"eventId", "eventType",   "eventTime", "source",
                           "subject", "dataVersion", "data",      "metadata"};
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(env, key, v)
    {
        cr_assert_lt(i, 8);
        cr_expect_str_eq(key, order[i++]);
    }
    cr_expect_eq(i, 8);

    rn_event ev;
    rn_arena arena = {0};
    cr_assert_eq(validate_json(&arena, env, NULL, &ev, NULL), RN_OK);
    cr_expect_eq(rn_event_uuid_version(ev.uuid), 4);
    cr_expect_str_eq(ev.event_type, "order.created.v1");
    cr_expect_eq(strlen(ev.event_time), RN_EVENT_TIME_STRLEN);
    cr_expect_eq(ev.event_time[23], 'Z');
    cr_expect_geq(ev.time_ms, before);
    cr_expect_leq(ev.time_ms, after);
    cr_expect_str_eq(ev.data_version, "1.0");
    cr_expect_eq(json_object_get(env, "data"), data); /* a new reference to the caller's object */
    cr_assert_eq(ev.data->len, 1);
    cr_expect_str_eq(ev.data->u.members[0].key, "orderId");
    cr_expect_str_eq(ev.correlation_id, ev.event_id);
    cr_expect_null(ev.causation_id);
    cr_expect_null(ev.user_id);
    cr_expect_eq(ev.metadata->len, 1);
    rn_arena_fini(&arena);
    json_decref(env);
    json_decref(data);
}

Test(new, explicit_arguments)
{
    json_t *data = load("{}");
    rn_event_new_args a = {.event_type = "payment.processed.v3",
                           .source = "payments",
                           .subject = "payment-9",
                           .data = data,
                           .data_version = "3.2",
                           .user_id = "user-123",
                           .uuid_version = 7,
                           .time_ms = 1760954400123LL};
    json_t *env = NULL;
    cr_assert_eq(rn_event_new(&a, NULL, &env, NULL), RN_OK);
    cr_expect_str_eq(str(env, "dataVersion"), "3.2");
    cr_expect_str_eq(str(env, "eventTime"), "2025-10-20T10:00:00.123Z");
    cr_expect_str_eq(str(json_object_get(env, "metadata"), "userId"), "user-123");
    rn_event ev;
    rn_arena arena = {0};
    cr_assert_eq(validate_json(&arena, env, NULL, &ev, NULL), RN_OK);
    cr_expect_eq(rn_event_uuid_version(ev.uuid), 7);
    cr_expect_eq(ev.time_ms, 1760954400123LL);
    cr_expect_str_eq(ev.user_id, "user-123");
    rn_arena_fini(&arena);
    json_decref(env);

    /* dataVersion's default follows the type's version. */
    a.data_version = NULL;
    cr_assert_eq(rn_event_new(&a, NULL, &env, NULL), RN_OK);
    cr_expect_str_eq(str(env, "dataVersion"), "3.0");
    json_decref(env);
    json_decref(data);
}

Test(new, v7_ids_from_one_state_increase)
{
    json_t *data = load("{}");
    rn_event_uuid_state st = RN_EVENT_UUID_STATE_INIT;
    rn_event_new_args a = {.event_type = "order.created.v1",
                           .source = "s",
                           .subject = "o",
                           .data = data,
                           .uuid_version = 7,
                           .uuid_state = &st};
    char prev[RN_EVENT_UUID_STRLEN + 1] = "";
    for (int i = 0; i < 200; i++) {
        json_t *env;
        cr_assert_eq(rn_event_new(&a, NULL, &env, NULL), RN_OK);
        const char *id = str(env, "eventId");
        /* Canonical lowercase hex compares like the bytes. */
        cr_expect_gt(strcmp(id, prev), 0);
        snprintf(prev, sizeof prev, "%s", id);
        json_decref(env);
    }
    json_decref(data);
}

Test(new, caused_by_an_envelope)
{
    json_t *cause_doc = load(VALID_ENVELOPE);
    rn_event_cause cause;
    cr_assert_eq(rn_event_cause_from_json(cause_doc, &cause, NULL), RN_OK);
    cr_expect_str_eq(cause.event_id, "3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b");
    cr_expect_str_eq(cause.correlation_id, "correlation-789");

    json_t *data = load("{}");
    rn_event_new_args a = {.event_type = "payment.requested.v1",
                           .source = "payments",
                           .subject = "order-12345",
                           .data = data,
                           .cause = &cause};
    json_t *env;
    cr_assert_eq(rn_event_new(&a, NULL, &env, NULL), RN_OK);
    json_t *md = json_object_get(env, "metadata");
    cr_expect_str_eq(str(md, "correlationId"), "correlation-789");
    cr_expect_str_eq(str(md, "causationId"), "3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b");
    cr_expect_null(json_object_get(md, "userId")); /* not carried over */

    /* A chain: the next event keeps the correlation and is caused by this one. */
    rn_event_cause next;
    cr_assert_eq(rn_event_cause_from_json(env, &next, NULL), RN_OK);
    a.cause = &next;
    json_t *env2;
    cr_assert_eq(rn_event_new(&a, NULL, &env2, NULL), RN_OK);
    json_t *md2 = json_object_get(env2, "metadata");
    cr_expect_str_eq(str(md2, "correlationId"), "correlation-789");
    cr_expect_str_eq(str(md2, "causationId"), str(env, "eventId"));
    json_decref(env2);
    json_decref(env);
    json_decref(data);
    json_decref(cause_doc);
}

Test(new, cause_without_correlation_starts_one)
{
    /* A command that is not an envelope: only its id is needed. */
    json_t *cmd = load("{\"eventId\": \"command-abc\"}");
    rn_event_cause cause;
    cr_assert_eq(rn_event_cause_from_json(cmd, &cause, NULL), RN_OK);
    cr_expect_null(cause.correlation_id);
    json_t *data = load("{}");
    rn_event_new_args a = {.event_type = "order.placed.v1",
                           .source = "s",
                           .subject = "o",
                           .data = data,
                           .cause = &cause};
    json_t *env;
    cr_assert_eq(rn_event_new(&a, NULL, &env, NULL), RN_OK);
    json_t *md = json_object_get(env, "metadata");
    cr_expect_str_eq(str(md, "correlationId"), "command-abc");
    cr_expect_str_eq(str(md, "causationId"), "command-abc");
    json_decref(env);
    json_decref(data);
    json_decref(cmd);
}

Test(new, cause_from_a_cloudevent)
{
    json_t *ce = load("{\"specversion\": \"1.0\", \"id\": \"ce-1\", \"source\": \"x\","
                      " \"type\": \"t\", \"correlationid\": \"corr-1\"}");
    rn_event_cause cause;
    cr_assert_eq(rn_event_cause_from_json(ce, &cause, NULL), RN_OK);
    cr_expect_str_eq(cause.event_id, "ce-1");
    cr_expect_str_eq(cause.correlation_id, "corr-1");
    json_decref(ce);
}

Test(new, cause_errors)
{
    rn_event_cause cause;
    const struct {
        const char *json;
        want_err want;
    } cases[] = {
        {"[]", {"", "the causing event must be a JSON object, got array"}},
        {"{}", {"/eventId", "is required"}},
        {"{\"eventId\": 5}", {"/eventId", "must be a string, got number"}},
        {"{\"eventId\": \"a\", \"metadata\": {\"correlationId\": \"\"}}",
         {"/metadata/correlationId", "must not be empty"}},
        {"{\"specversion\": \"1.0\"}", {"/id", "is required"}},
        {"{\"specversion\": \"1.0\", \"id\": \"a\", \"correlationid\": 1}",
         {"/correlationid", "must be a string, got number"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = load(cases[i].json);
        rn_event_errors errs;
        rn_event_errors_init(&errs);
        cr_expect_eq(rn_event_cause_from_json(j, &cause, &errs), RN_EINVAL, "%s", cases[i].json);
        check_errors(&errs, &cases[i].want, 1);
        cr_expect_null(cause.event_id);
        json_decref(j);
    }
}

static void expect_new_fails(rn_event_new_args *a, const rn_event_rules *rules,
                             const want_err *want, size_t n)
{
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    json_t *env = json_true();
    cr_expect_eq(rn_event_new(a, rules, &env, &errs), RN_EINVAL);
    cr_expect_null(env);
    check_errors(&errs, want, n);
}

Test(new, invalid_results)
{
    json_t *data = load("{}");
    rn_event_new_args a = {
        .event_type = "order.create.v1", .source = "s", .subject = "o", .data = data};
    want_err w1[] = {{"/eventType", "\"order.create.v1\": action \"create\" is not past tense"}};
    expect_new_fails(&a, NULL, w1, 1);

    a.event_type = "order.created.v1";
    a.data_version = "2.0";
    want_err w2[] = {
        {"/dataVersion", "\"2.0\": major version 2 does not match the eventType's version v1"}};
    expect_new_fails(&a, NULL, w2, 1);

    /* A malformed type gives only its own error, not a dataVersion one. */
    a.event_type = "OrderCreated";
    a.data_version = NULL;
    want_err w3[] = {{"/eventType", "\"OrderCreated\": must have the form "
                                    "{domain}.{action}.v{N}, e.g. \"order.created.v1\""}};
    expect_new_fails(&a, NULL, w3, 1);

    a.event_type = "order.created.v1";
    a.subject = "";
    a.user_id = "";
    want_err w4[] = {{"/subject", "must not be empty"}, {"/metadata/userId", "must not be empty"}};
    expect_new_fails(&a, NULL, w4, 2);

    a.subject = "o";
    a.user_id = NULL;
    json_t *arr = load("[]");
    a.data = arr;
    want_err w5[] = {{"/data", "must be an object, got array"}};
    expect_new_fails(&a, NULL, w5, 1);
    json_decref(arr);

    a.data = data;
    const char *domains[] = {"payment"};
    rn_event_rules rules = {domains, 1, NULL, 0};
    want_err w6[] = {{"/eventType", "\"order.created.v1\": domain \"order\" is not allowed"}};
    expect_new_fails(&a, &rules, w6, 1);

    a.source = "\xff\xfe";
    want_err w7[] = {{"/source", "must be valid UTF-8"}};
    expect_new_fails(&a, NULL, w7, 1);
    json_decref(data);

    /* Data nested deeper than a parsed document may be cannot be validated. */
    json_t *deep = json_object();
    for (int i = 0; i < RN_JDOC_MAX_DEPTH + 10; i++) {
        json_t *outer = json_object();
        json_object_set_new(outer, "a", deep);
        deep = outer;
    }
    a.source = "s";
    a.data = deep;
    want_err w8[] = {{"/data", "nests deeper than 2048 levels"}};
    expect_new_fails(&a, NULL, w8, 1);
    json_decref(deep);
}

Test(new, missing_arguments)
{
    rn_event_new_args a = {0};
    want_err w[] = {{"/eventType", "is required"},
                    {"/source", "is required"},
                    {"/subject", "is required"},
                    {"/data", "is required"}};
    expect_new_fails(&a, NULL, w, 4);

    json_t *data = load("{}");
    rn_event_cause cause = {0};
    a = (rn_event_new_args){.event_type = "order.created.v1",
                            .source = "s",
                            .subject = "o",
                            .data = data,
                            .uuid_version = 5,
                            .cause = &cause};
    want_err w2[] = {{"/metadata/causationId", "the cause has no eventId"},
                     {"/eventId", "UUID version 5: only 4 and 7 are generated"}};
    expect_new_fails(&a, NULL, w2, 2);
    json_decref(data);
}
