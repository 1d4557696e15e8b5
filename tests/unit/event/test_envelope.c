/*
 * tests/unit/event/test_envelope.c - envelope validation: the guidelines' example and
 * other valid envelopes, every rule's failure with its exact JSON Pointer path and
 * message, U+0000 in string fields, the one-pass member lookup (any order, unknown and
 * look-alike names), error collection and the cap, parsing from raw bytes into an arena,
 * and error formatting.
 */
#include "fixture.h"

/* ------------------------------------------------------------------ valid envelopes */

Test(valid, guidelines_example)
{
    json_t *env = load(VALID_ENVELOPE);
    rn_arena a = {0};
    const rn_jval *root = jdoc(&a, env);
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_event ev;
    cr_assert_eq(rn_event_validate(root, NULL, &ev, &errs), RN_OK);
    cr_expect_eq(errs.n, 0);
    cr_expect_str_eq(ev.event_id, "3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b");
    cr_expect_str_eq(ev.event_type, "order.created.v1");
    cr_expect_str_eq(ev.event_time, "2025-10-20T10:00:00Z");
    cr_expect_str_eq(ev.source, "order-service");
    cr_expect_str_eq(ev.subject, "order-12345");
    cr_expect_str_eq(ev.data_version, "1.0");
    cr_expect_eq(ev.data_major, 1);
    cr_expect_eq(ev.data_minor, 0);
    cr_expect_eq(ev.root, root);
    cr_expect_eq(ev.data, rn_jval_getz(root, "data"));
    cr_expect_eq(ev.data->type, RN_JOBJECT);
    cr_expect_eq(ev.data->len, 4);
    cr_expect_eq(ev.metadata, rn_jval_getz(root, "metadata"));
    cr_expect_str_eq(ev.correlation_id, "correlation-789");
    cr_expect_str_eq(ev.causation_id, "command-abc");
    cr_expect_str_eq(ev.user_id, "user-123");
    cr_expect_null(ev.data_schema);
    cr_expect_eq(ev.type.version, 1);
    cr_expect_eq(ev.type.domain_len, 5);
    cr_expect_eq(strncmp(ev.type.domain, "order", 5), 0);
    cr_expect_eq(ev.type.action_len, 7);
    cr_expect_eq(strncmp(ev.type.action, "created", 7), 0);
    cr_expect_eq(ev.uuid[0], 0x3f);
    cr_expect_eq(ev.uuid[15], 0x6b);
    cr_expect_eq(ev.time_ms, 1760954400000LL);
    rn_arena_fini(&a);
    json_decref(env);
}

Test(valid, optional_metadata_absent_or_null)
{
    json_t *env = envelope_with("metadata.causationId", NULL);
    json_object_del(json_object_get(env, "metadata"), "userId");
    EXPECT_VALID(env);
    env = envelope_with("metadata.causationId", "null");
    json_object_set_new(json_object_get(env, "metadata"), "userId", json_null());
    EXPECT_VALID(env);
}

Test(valid, metadata_may_carry_more)
{
    json_t *env = envelope_with("metadata.traceparent",
                                "\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"");
    json_object_set_new(json_object_get(env, "metadata"), "tenant", load("{\"id\": 7}"));
    EXPECT_VALID(env);
    rn_event ev;
    rn_arena a = {0};
    env = envelope_with("metadata.dataSchema", "\"https://schemas.example/order/1.json\"");
    cr_assert_eq(validate_json(&a, env, NULL, &ev, NULL), RN_OK);
    cr_expect_str_eq(ev.data_schema, "https://schemas.example/order/1.json");
    rn_arena_fini(&a);
    json_decref(env);
}

Test(valid, other_ids_times_and_types)
{
    EXPECT_VALID(envelope_with("eventId", "\"01890A5D-AC96-774B-BCCE-B302099A8057\""));
    EXPECT_VALID(envelope_with("eventId", "\"c232ab00-9414-11ec-b3c8-9f6bdeced846\"")); /* v1 */
    EXPECT_VALID(envelope_with("eventTime", "\"2025-10-20T12:00:00.123456+02:00\""));
    EXPECT_VALID(envelope_with("eventTime", "\"2024-02-29t23:59:59z\""));
    EXPECT_VALID(envelope_with("eventType", "\"order.item.added.v1\""));
    EXPECT_VALID(envelope_with("eventType", "\"payment.processed.v1\""));
    EXPECT_VALID(envelope_with("eventType", "\"payment.paid.v1\""));
    EXPECT_VALID(envelope_with("eventType", "\"order-line.status-changed.v1\""));
    json_t *env = envelope_with("eventType", "\"order.created.v12\"");
    json_object_set_new(env, "dataVersion", json_string("12.7"));
    EXPECT_VALID(env);
    EXPECT_VALID(envelope_with("data", "{}"));
}

/* ------------------------------------------------------------------ the document */

Test(invalid, not_an_object)
{
    EXPECT_INVALID(load("[1, 2]"), {"", "an envelope must be a JSON object, got array"});
    EXPECT_INVALID(load("\"x\""), {"", "an envelope must be a JSON object, got string"});
    EXPECT_INVALID(load("null"), {"", "an envelope must be a JSON object, got null"});
}

Test(invalid, empty_object_lists_every_required_field)
{
    EXPECT_INVALID(load("{}"), {"/eventId", "is required"}, {"/eventType", "is required"},
                   {"/eventTime", "is required"}, {"/source", "is required"},
                   {"/subject", "is required"}, {"/dataVersion", "is required"},
                   {"/data", "is required"}, {"/metadata", "is required"});
}

Test(invalid, unknown_fields_with_escaped_pointer)
{
    const char *msg = "unknown envelope field (the fields are eventId, eventType, eventTime, "
                      "source, subject, dataVersion, data, metadata; put other context in "
                      "metadata)";
    json_t *env = envelope_with("eventID", "\"x\"");
    json_object_set_new(env, "a/b~c", json_true());
    EXPECT_INVALID(env, {"/eventID", msg}, {"/a~1b~0c", msg});
}

/* ------------------------------------------------------------------ eventId */

Test(invalid, event_id)
{
    EXPECT_INVALID(envelope_with("eventId", NULL), {"/eventId", "is required"});
    EXPECT_INVALID(envelope_with("eventId", "42"), {"/eventId", "must be a string, got number"});
    EXPECT_INVALID(envelope_with("eventId", "\"\""), {"/eventId", "must not be empty"});
    EXPECT_INVALID(envelope_with("eventId", "\"uuid-v4\""),
                   {"/eventId", "\"uuid-v4\": must be a UUID: 8-4-4-4-12 hex digits"});
    EXPECT_INVALID(envelope_with("eventId", "\"00000000-0000-0000-0000-000000000000\""),
                   {"/eventId", "\"00000000-0000-0000-0000-000000000000\": is the nil UUID, "
                                "which identifies nothing"});
    EXPECT_INVALID(envelope_with("eventId", "\"3f2b8c1e-5a7d-4e9f-cb6a-1c2d3e4f5a6b\""),
                   {"/eventId", "\"3f2b8c1e-5a7d-4e9f-cb6a-1c2d3e4f5a6b\": is not an RFC 9562 "
                                "UUID: the variant bits (first hex digit of the 4th group) "
                                "must be 8, 9, a or b"});
    EXPECT_INVALID(envelope_with("eventId", "\"3f2b8c1e-5a7d-0e9f-8b6a-1c2d3e4f5a6b\""),
                   {"/eventId", "\"3f2b8c1e-5a7d-0e9f-8b6a-1c2d3e4f5a6b\": has an undefined "
                                "UUID version: the first hex digit of the 3rd group must be "
                                "1-8"});
}

/* ------------------------------------------------------------------ eventType */

Test(invalid, event_type_not_past_tense_issue_example)
{
    /* The exact message of issue 4. */
    json_t *env = envelope_with("eventType", "\"order.create.v1\"");
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_arena a = {0};
    cr_assert_eq(validate_json(&a, env, NULL, NULL, &errs), RN_EINVAL);
    rn_arena_fini(&a);
    char text[512];
    rn_event_errors_format(&errs, text, sizeof text);
    cr_expect_str_eq(text, "/eventType: \"order.create.v1\": action \"create\" is not past tense");
    json_decref(env);
    EXPECT_INVALID(envelope_with("eventType", "\"payment.process.v1\""),
                   {"/eventType", "\"payment.process.v1\": action \"process\" is not past tense"});
    EXPECT_INVALID(envelope_with("eventType", "\"order.update.v1\""),
                   {"/eventType", "\"order.update.v1\": action \"update\" is not past tense"});
}

Test(invalid, event_type_grammar)
{
    EXPECT_INVALID(envelope_with("eventType", "true"),
                   {"/eventType", "must be a string, got boolean"});
    EXPECT_INVALID(envelope_with("eventType", "\"\""), {"/eventType", "must not be empty"});
    EXPECT_INVALID(envelope_with("eventType", "\"order.created\""),
                   {"/eventType", "\"order.created\": must have the form "
                                  "{domain}.{action}.v{N}, e.g. \"order.created.v1\""});
    EXPECT_INVALID(envelope_with("eventType", "\"Order.created.v1\""),
                   {"/eventType", "\"Order.created.v1\": segment \"Order\" must be lowercase "
                                  "letters, digits and single hyphens, starting with a letter"});
    EXPECT_INVALID(envelope_with("eventType", "\"order.created.V1\""),
                   {"/eventType", "\"order.created.V1\": version \"V1\" must be \"v\" and a "
                                  "number from 1 without leading zeros, e.g. \"v1\""});
    EXPECT_INVALID(envelope_with("eventType", "\"order..created.v1\""),
                   {"/eventType", "\"order..created.v1\": has an empty segment"});
}

Test(invalid, event_type_version_mismatch)
{
    json_t *env = envelope_with("eventType", "\"order.created.v2\"");
    EXPECT_INVALID(env, {"/dataVersion", "\"1.0\": major version 1 does not match the "
                                         "eventType's version v2"});
    /* Still compared when the action breaks a rule. */
    env = envelope_with("eventType", "\"order.create.v2\"");
    EXPECT_INVALID(env, {"/eventType", "\"order.create.v2\": action \"create\" is not past tense"},
                   {"/dataVersion", "\"1.0\": major version 1 does not match the eventType's "
                                    "version v2"});
    /* Not compared when the type is malformed: one error is enough. */
    env = envelope_with("eventType", "\"order\"");
    EXPECT_INVALID(env, {"/eventType", "\"order\": must have the form {domain}.{action}.v{N}, "
                                       "e.g. \"order.created.v1\""});
}

Test(invalid, event_type_with_rules)
{
    const char *domains[] = {"payment", "order"};
    const char *verbs[] = {"kicked-off"};
    rn_event_rules rules = {domains, 2, verbs, 1};
    expect_valid_rules(envelope_with("eventType", "\"order.item.added.v1\""), &rules);
    expect_valid_rules(envelope_with("eventType", "\"payment.kicked-off.v1\""), &rules);
    const want_err w1[] = {{"/eventType", "\"orders.created.v1\": domain \"orders\" is not "
                                          "allowed"}};
    expect_invalid_rules(envelope_with("eventType", "\"orders.created.v1\""), &rules, w1, 1);
    const want_err w2[] = {
        {"/eventType", "\"shipping.ship.v1\": domain \"shipping\" is not allowed"},
        {"/eventType", "\"shipping.ship.v1\": action \"ship\" is not past tense"}};
    expect_invalid_rules(envelope_with("eventType", "\"shipping.ship.v1\""), &rules, w2, 2);
}

/* ------------------------------------------------------------------ eventTime */

Test(invalid, event_time)
{
    EXPECT_INVALID(envelope_with("eventTime", "1760954400000"),
                   {"/eventTime", "must be a string, got number"});
    EXPECT_INVALID(envelope_with("eventTime", "\"2025-10-20 10:00:00Z\""),
                   {"/eventTime", "\"2025-10-20 10:00:00Z\": must look like 2025-10-20T10:00:00Z "
                                  "or 2025-10-20T12:00:00.123+02:00 (RFC 3339)"});
    EXPECT_INVALID(envelope_with("eventTime", "\"2025-10-20T10:00:00\""),
                   {"/eventTime", "\"2025-10-20T10:00:00\": needs a time zone: Z or an offset "
                                  "such as +02:00"});
    EXPECT_INVALID(envelope_with("eventTime", "\"2025-02-29T10:00:00Z\""),
                   {"/eventTime", "\"2025-02-29T10:00:00Z\": day does not exist in that month"});
}

/* ------------------------------------------------------------------ source, subject */

Test(invalid, source_and_subject)
{
    EXPECT_INVALID(envelope_with("source", NULL), {"/source", "is required"});
    EXPECT_INVALID(envelope_with("source", "\"\""), {"/source", "must not be empty"});
    EXPECT_INVALID(envelope_with("source", "null"), {"/source", "must be a string, got null"});
    EXPECT_INVALID(envelope_with("subject", NULL), {"/subject", "is required"});
    EXPECT_INVALID(envelope_with("subject", "12345"), {"/subject", "must be a string, got number"});
    EXPECT_INVALID(envelope_with("subject", "\"\""), {"/subject", "must not be empty"});
}

/* ------------------------------------------------------------------ dataVersion */

Test(invalid, data_version)
{
    EXPECT_INVALID(envelope_with("dataVersion", NULL), {"/dataVersion", "is required"});
    EXPECT_INVALID(envelope_with("dataVersion", "1.0"),
                   {"/dataVersion", "must be a string, got number"});
    const char *bad[] = {"\"1\"",  "\"1.0.0\"", "\"v1.0\"", "\"01.0\"",        "\"1.00\"",
                         "\"1.\"", "\".1\"",    "\"1.0 \"", "\"1234567890.0\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s: must be \"MAJOR.MINOR\", e.g. \"1.0\"", bad[i]);
        EXPECT_INVALID(envelope_with("dataVersion", bad[i]), {"/dataVersion", msg});
    }
    EXPECT_INVALID(envelope_with("dataVersion", "\"2.0\""),
                   {"/dataVersion", "\"2.0\": major version 2 does not match the eventType's "
                                    "version v1"});
    EXPECT_VALID(envelope_with("dataVersion", "\"1.17\""));
}

/* ------------------------------------------------------------------ data, metadata */

Test(invalid, data)
{
    EXPECT_INVALID(envelope_with("data", NULL), {"/data", "is required"});
    EXPECT_INVALID(envelope_with("data", "[1]"), {"/data", "must be an object, got array"});
    EXPECT_INVALID(envelope_with("data", "null"), {"/data", "must be an object, got null"});
    EXPECT_INVALID(envelope_with("data", "\"{}\""), {"/data", "must be an object, got string"});
}

Test(invalid, metadata)
{
    EXPECT_INVALID(envelope_with("metadata", NULL), {"/metadata", "is required"});
    EXPECT_INVALID(envelope_with("metadata", "[]"), {"/metadata", "must be an object, got array"});
    EXPECT_INVALID(envelope_with("metadata", "{}"), {"/metadata/correlationId", "is required"});
    EXPECT_INVALID(envelope_with("metadata.correlationId", "\"\""),
                   {"/metadata/correlationId", "must not be empty"});
    EXPECT_INVALID(envelope_with("metadata.correlationId", "null"),
                   {"/metadata/correlationId", "must be a string, got null"});
    EXPECT_INVALID(envelope_with("metadata.causationId", "7"),
                   {"/metadata/causationId", "must be a string, got number"});
    EXPECT_INVALID(envelope_with("metadata.userId", "\"\""),
                   {"/metadata/userId", "must not be empty"});
    EXPECT_INVALID(envelope_with("metadata.dataSchema", "{}"),
                   {"/metadata/dataSchema", "must be a string, got object"});
}

/* ------------------------------------------------------------------ U+0000 */

/* The envelope's string fields are used as C strings: "\u0000" in one is an error
 * of its own (the field's other rules are not checked), wherever it is. */
Test(invalid, u0000_in_each_string_field)
{
    const char *fields[] = {"eventId",
                            "eventType",
                            "eventTime",
                            "source",
                            "subject",
                            "dataVersion",
                            "metadata.correlationId",
                            "metadata.causationId",
                            "metadata.userId",
                            "metadata.dataSchema"};
    const char *paths[] = {"/eventId",
                           "/eventType",
                           "/eventTime",
                           "/source",
                           "/subject",
                           "/dataVersion",
                           "/metadata/correlationId",
                           "/metadata/causationId",
                           "/metadata/userId",
                           "/metadata/dataSchema"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        /* At the start, in the middle (past the first eight bytes) and at the end. */
        static const char *const values[] = {"\"\\u0000abc\"", "\"3f2b8c1e-5a7d\\u00004e9f\"",
                                             "\"abcdefghijklmnop\\u0000\"", "\"\\u0000\""};
        for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
            EXPECT_INVALID(envelope_with(fields[i], values[k]),
                           {paths[i], "must not contain U+0000"});
    }
    /* Instead of the value's own rule: a UUID, a time or a version with a zero byte is
     * not quoted as malformed. */
    EXPECT_INVALID(envelope_with("eventId", "\"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6\\u0000\""),
                   {"/eventId", "must not contain U+0000"});
    EXPECT_INVALID(envelope_with("eventTime", "\"2025-10-20T10:00:00Z\\u0000\""),
                   {"/eventTime", "must not contain U+0000"});
    EXPECT_INVALID(envelope_with("dataVersion", "\"1.\\u0000\""),
                   {"/dataVersion", "must not contain U+0000"});
    /* Other rules still apply first: empty, wrong type. */
    EXPECT_INVALID(envelope_with("subject", "\"\""), {"/subject", "must not be empty"});
}

Test(valid, u0000_in_data_and_other_metadata)
{
    /* Only the envelope's own strings are C strings; data and other metadata members
     * are JSON, where U+0000 is a character like any other. */
    json_t *env = envelope_with("data", "{\"note\": \"a\\u0000b\"}");
    json_object_set_new(json_object_get(env, "metadata"), "trace", json_stringn("x\0y", 3));
    EXPECT_VALID(env);

    /* And the views keep their lengths (jansson cannot hold U+0000 in a member name,
     * the parser can). */
    const char *text = "{\"eventId\": \"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b\","
                       " \"eventType\": \"order.created.v1\","
                       " \"eventTime\": \"2025-10-20T10:00:00Z\", \"source\": \"s\","
                       " \"subject\": \"o\", \"dataVersion\": \"1.0\","
                       " \"data\": {\"note\": \"a\\u0000b\", \"k\\u0000\": 1},"
                       " \"metadata\": {\"correlationId\": \"c\", \"x\\u0000\": \"\\u0000\"}}";
    rn_arena a = {0};
    rn_event ev;
    cr_assert_eq(rn_event_parse(&a, text, strlen(text), NULL, NULL, &ev, NULL), RN_OK);
    const rn_jval *note = rn_jval_getz(ev.data, "note");
    cr_assert_not_null(note);
    cr_expect_eq(note->len, 3);
    cr_expect_eq(memcmp(note->u.s, "a\0b", 3), 0);
    rn_arena_fini(&a);
}

/* A member name holding U+0000 is not the envelope member it starts like. */
Test(invalid, u0000_in_a_member_name)
{
    const char *msg = "unknown envelope field (the fields are eventId, eventType, eventTime, "
                      "source, subject, dataVersion, data, metadata; put other context in "
                      "metadata)";
    const char *text = "{\"eventId\\u0000\": \"x\", \"eventId\": "
                       "\"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b\","
                       " \"eventType\": \"order.created.v1\","
                       " \"eventTime\": \"2025-10-20T10:00:00Z\", \"source\": \"s\","
                       " \"subject\": \"o\", \"dataVersion\": \"1.0\", \"data\": {},"
                       " \"metadata\": {\"correlationId\\u0000\": \"c\"}}";
    rn_arena a = {0};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_assert_eq(rn_event_parse(&a, text, strlen(text), NULL, NULL, NULL, &errs), RN_EINVAL);
    const want_err want[] = {{"/metadata/correlationId", "is required"}, {"/eventId?", msg}};
    check_errors(&errs, want, 2);
    rn_arena_fini(&a);
}

/* ------------------------------------------------------------------ finding the members */

static const char *const unknown_msg =
    "unknown envelope field (the fields are eventId, eventType, eventTime, source, subject, "
    "dataVersion, data, metadata; put other context in metadata)";

Test(members, any_order)
{
    /* The members reversed, and the metadata members too: the view is the same. */
    const char *text = "{\"metadata\": {\"dataSchema\": \"https://s\", \"userId\": \"u\","
                       " \"causationId\": \"c-0\", \"correlationId\": \"c-1\"},"
                       " \"data\": {\"a\": 1}, \"dataVersion\": \"1.2\","
                       " \"subject\": \"o-1\", \"source\": \"svc\","
                       " \"eventTime\": \"2025-10-20T10:00:00Z\","
                       " \"eventType\": \"order.created.v1\","
                       " \"eventId\": \"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b\"}";
    rn_arena a = {0};
    rn_event ev;
    const rn_jval *root;
    cr_assert_eq(rn_event_parse(&a, text, strlen(text), NULL, &root, &ev, NULL), RN_OK);
    cr_expect_eq(ev.root, root);
    cr_expect_str_eq(ev.event_id, "3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b");
    cr_expect_str_eq(ev.event_type, "order.created.v1");
    cr_expect_str_eq(ev.event_time, "2025-10-20T10:00:00Z");
    cr_expect_str_eq(ev.source, "svc");
    cr_expect_str_eq(ev.subject, "o-1");
    cr_expect_str_eq(ev.data_version, "1.2");
    cr_expect_eq(ev.data_minor, 2);
    cr_expect_eq(ev.data, &root->u.members[1].val);
    cr_expect_eq(ev.metadata, &root->u.members[0].val);
    cr_expect_str_eq(ev.correlation_id, "c-1");
    cr_expect_str_eq(ev.causation_id, "c-0");
    cr_expect_str_eq(ev.user_id, "u");
    cr_expect_str_eq(ev.data_schema, "https://s");
    rn_arena_fini(&a);

    /* Every rotation of the guidelines' example validates. */
    json_t *base = load(VALID_ENVELOPE);
    const char *keys[8];
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(base, key, v) keys[n++] = key;
    cr_assert_eq(n, 8);
    for (size_t r = 1; r < 8; r++) {
        json_t *env = json_object();
        for (size_t i = 0; i < 8; i++)
            json_object_set(env, keys[(i + r) % 8], json_object_get(base, keys[(i + r) % 8]));
        EXPECT_VALID(env);
    }
    json_decref(base);
}

Test(members, errors_in_rule_order_whatever_the_member_order)
{
    /* Members in reverse order, all broken: errors still follow the rules' order. */
    json_t *env = load("{\"metadata\": {}, \"data\": 1, \"dataVersion\": \"x\","
                       " \"subject\": \"\", \"source\": 1, \"eventTime\": \"t\","
                       " \"eventType\": \"T\", \"eventId\": \"i\"}");
    EXPECT_INVALID(env, {"/eventId", "\"i\": must be a UUID: 8-4-4-4-12 hex digits"},
                   {"/eventType", "\"T\": must have the form {domain}.{action}.v{N}, e.g. "
                                  "\"order.created.v1\""},
                   {"/eventTime", "\"t\": must look like 2025-10-20T10:00:00Z or "
                                  "2025-10-20T12:00:00.123+02:00 (RFC 3339)"},
                   {"/source", "must be a string, got number"}, {"/subject", "must not be empty"},
                   {"/dataVersion", "\"x\": must be \"MAJOR.MINOR\", e.g. \"1.0\""},
                   {"/data", "must be an object, got number"},
                   {"/metadata/correlationId", "is required"});
}

Test(members, unknown_ones_anywhere_are_reported_last_in_document_order)
{
    /* Unknown members before, between and after the envelope's: every one is reported,
     * after the rules' errors, in the order of the document. */
    json_t *base = load(VALID_ENVELOPE);
    json_t *env = json_object();
    json_object_set_new(env, "first", json_true());
    const char *key;
    json_t *v;
    int i = 0;
    json_object_foreach(base, key, v)
    {
        if (i == 4) json_object_set_new(env, "middle", json_null());
        if (i != 2) json_object_set(env, key, v); /* drops eventTime */
        i++;
    }
    json_object_set_new(env, "last", json_integer(1));
    json_decref(base);
    EXPECT_INVALID(env, {"/eventTime", "is required"}, {"/first", unknown_msg},
                   {"/middle", unknown_msg}, {"/last", unknown_msg});
}

Test(members, look_alike_names_are_unknown)
{
    /* Same length as a member, differing in one byte or in case: not that member. */
    const char *const names[] = {"eventTyp", "eventTypo", "eventTimE", "EventId", "eventid",
                                 "subjecT",  "sourcE",    "Data",      "dat",     "dataversion",
                                 "metaData", "metadatA",  "eventXype", "e"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/%s", names[i]);
        json_t *env = load(VALID_ENVELOPE);
        json_object_set_new(env, names[i], json_string("x"));
        EXPECT_INVALID(env, {path, unknown_msg});
    }
    /* ... also inside metadata, where they are ordinary members: correlationId is still
     * required. */
    json_t *env = envelope_with("metadata.correlationId", NULL);
    json_object_set_new(json_object_get(env, "metadata"), "correlationID", json_string("c"));
    EXPECT_INVALID(env, {"/metadata/correlationId", "is required"});
}

Test(members, duplicates_are_a_parse_error)
{
    /* Member names are unique in a parsed document, so the one-pass lookup never sees
     * two of one name: the second eventId (valid or not) is refused by the parser. */
    const char *dups[] = {
        "{\"eventId\": \"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b\","
        " \"eventId\": \"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b\"}",
        "{\"metadata\": {\"correlationId\": \"a\", \"correlationId\": \"b\"}}",
        "{\"data\": {\"x\": 1, \"x\": 1}}",
    };
    for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
        rn_arena a = {0};
        rn_event_errors errs;
        rn_event_errors_init(&errs);
        const rn_jval *root = (const rn_jval *)&errs; /* must be overwritten with NULL */
        cr_expect_eq(rn_event_parse(&a, dups[i], strlen(dups[i]), NULL, &root, NULL, &errs),
                     RN_EINVAL);
        cr_expect_null(root);
        cr_assert_eq(errs.n, 1);
        cr_expect_str_eq(errs.e[0].path, "");
        cr_expect(!strncmp(errs.e[0].msg, "not valid JSON: ", 16), "%s", errs.e[0].msg);
        cr_expect(strstr(errs.e[0].msg, "duplicate") != NULL, "%s", errs.e[0].msg);
        rn_arena_fini(&a);
    }
}

Test(members, validate_reads_a_document_without_parsing)
{
    /* A hand-built rn_jval (no parser involved): the members are found by name. */
    static const char id[] = "3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b";
    rn_jmember md[1] = {
        {"correlationId", 13, RN_JSTR_ASCII, {RN_JSTRING, RN_JSTR_ASCII, 0, 1, {.s = "c"}}}};
    rn_jmember m[8] = {
        {"subject", 7, RN_JSTR_ASCII, {RN_JSTRING, RN_JSTR_ASCII, 0, 1, {.s = "o"}}},
        {"data", 4, RN_JSTR_ASCII, {RN_JOBJECT, 0, 0, 0, {.members = md}}},
        {"eventId", 7, RN_JSTR_ASCII, {RN_JSTRING, RN_JSTR_ASCII, 0, 36, {.s = id}}},
        {"metadata", 8, RN_JSTR_ASCII, {RN_JOBJECT, 0, 0, 1, {.members = md}}},
        {"eventType",
         9,
         RN_JSTR_ASCII,
         {RN_JSTRING, RN_JSTR_ASCII, 0, 16, {.s = "order.created.v1"}}},
        {"source", 6, RN_JSTR_ASCII, {RN_JSTRING, RN_JSTR_ASCII, 0, 1, {.s = "s"}}},
        {"dataVersion", 11, RN_JSTR_ASCII, {RN_JSTRING, RN_JSTR_ASCII, 0, 3, {.s = "1.0"}}},
        {"eventTime",
         9,
         RN_JSTR_ASCII,
         {RN_JSTRING, RN_JSTR_ASCII, 0, 20, {.s = "2025-10-20T10:00:00Z"}}},
    };
    rn_jval root = {RN_JOBJECT, 0, 0, 8, {.members = m}};
    rn_event ev;
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_assert_eq(rn_event_validate(&root, NULL, &ev, &errs), RN_OK);
    cr_expect_eq(ev.event_id, id);
    cr_expect_eq(ev.data, &m[1].val);
    cr_expect_eq(ev.metadata, &m[3].val);
    cr_expect_str_eq(ev.correlation_id, "c");
    /* The length is what counts, not the NUL: a source of length 0 is empty. */
    m[5].val.len = 0;
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_validate(&root, NULL, NULL, &errs), RN_EINVAL);
    const want_err want[] = {{"/source", "must not be empty"}};
    check_errors(&errs, want, 1);
}

/* ------------------------------------------------------------------ collecting errors */

Test(errors, all_collected_in_rule_order)
{
    json_t *env = load("{\"eventId\": \"x\", \"eventType\": \"order.create.v1\","
                       " \"eventTime\": \"yesterday\", \"source\": \"s\", \"subject\": \"\","
                       " \"dataVersion\": \"2.0\", \"data\": 1, \"metadata\": {},"
                       " \"extra\": 1}");
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_event ev;
    rn_arena a = {0};
    const rn_jval *root = jdoc(&a, env);
    cr_assert_eq(rn_event_validate(root, NULL, &ev, &errs), RN_EINVAL);
    cr_assert_eq(errs.n, 8);
    const char *paths[] = {"/eventId",
                           "/eventType",
                           "/eventTime",
                           "/subject",
                           "/dataVersion",
                           "/data",
                           "/metadata/correlationId",
                           "/extra"};
    for (size_t i = 0; i < 8; i++)
        cr_expect_str_eq(errs.e[i].path, paths[i]);
    /* Fields that passed are still in the view. */
    cr_expect_str_eq(ev.source, "s");
    cr_expect_null(ev.event_id);
    cr_expect_null(ev.event_type);
    cr_expect_eq(ev.metadata, rn_jval_getz(root, "metadata"));
    cr_expect_eq(ev.root, root);
    rn_arena_fini(&a);
    json_decref(env);
}

Test(errors, capped_but_counted)
{
    json_t *env = load(VALID_ENVELOPE);
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "x%d", i);
        json_object_set_new(env, key, json_true());
    }
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_arena a = {0};
    cr_assert_eq(validate_json(&a, env, NULL, NULL, &errs), RN_EINVAL);
    rn_arena_fini(&a);
    cr_expect_eq(errs.n, RN_EVENT_MAX_ERRORS);
    cr_expect_eq(errs.total, 40);
    char text[8192];
    size_t len = rn_event_errors_format(&errs, text, sizeof text);
    cr_expect_eq(len, strlen(text));
    cr_expect(strstr(text, "; ... and 24 more") != NULL, "%s", text);
    json_decref(env);
}

Test(errors, format_truncates_like_snprintf)
{
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_event_errors_add(&errs, "/a", "first");
    rn_event_errors_add(&errs, "", "whole document");
    char big[128], small[8];
    size_t len = rn_event_errors_format(&errs, big, sizeof big);
    cr_expect_str_eq(big, "/a: first; whole document");
    cr_expect_eq(len, strlen(big));
    cr_expect_eq(rn_event_errors_format(&errs, small, sizeof small), len);
    cr_expect_str_eq(small, "/a: fir");
    cr_expect_eq(rn_event_errors_format(&errs, NULL, 0), len);
}

Test(errors, long_values_are_cut_and_escaped)
{
    char type[200];
    memset(type, 'a', sizeof type);
    memcpy(type + 180, ".create.v1", 11);
    json_t *env = envelope_with("eventType", "\"x\"");
    json_object_set_new(env, "eventType", json_string(type));
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_arena a = {0};
    cr_assert_eq(validate_json(&a, env, NULL, NULL, &errs), RN_EINVAL);
    rn_arena_fini(&a);
    cr_assert_eq(errs.n, 1);
    /* 64 bytes of the value, then "..." */
    cr_expect(strncmp(errs.e[0].msg, "\"aaaa", 5) == 0, "%s", errs.e[0].msg);
    cr_expect(strstr(errs.e[0].msg, "aaa\"...: action \"create\" is not past tense") != NULL, "%s",
              errs.e[0].msg);
    json_decref(env);

    env = envelope_with("eventId", "\"a\\\"b\\n\"");
    EXPECT_INVALID(env, {"/eventId", "\"a\\\"b\\u000a\": must be a UUID: 8-4-4-4-12 hex digits"});
}

Test(errors, null_list_is_allowed)
{
    json_t *env = load("{}");
    rn_arena a = {0};
    cr_expect_eq(validate_json(&a, env, NULL, NULL, NULL), RN_EINVAL);
    rn_arena_fini(&a);
    json_decref(env);
    cr_expect_eq(rn_event_validate(NULL, NULL, NULL, NULL), RN_EINVAL);
    cr_expect_eq(rn_event_errors_add(NULL, "/x", "y"), RN_EINVAL);
}

/* ------------------------------------------------------------------ from raw bytes */

Test(parse, valid_bytes_into_the_arena)
{
    const char *s = VALID_ENVELOPE;
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_arena a = {0};
    const rn_jval *root = NULL;
    rn_event ev;
    cr_assert_eq(rn_event_parse(&a, s, strlen(s), NULL, &root, &ev, &errs), RN_OK);
    cr_assert_not_null(root);
    cr_expect_eq(ev.root, root);
    cr_expect_eq(root->type, RN_JOBJECT);
    cr_expect_eq(root->len, 8);
    cr_expect_str_eq(ev.subject, "order-12345");
    /* The view points into the arena's document, not into the input. */
    cr_expect(ev.subject < s || ev.subject >= s + strlen(s));
    cr_expect_eq(errs.n, 0);
    /* root and ev are optional; the arena is reused after a reset (no leak under LSan:
     * the caller frees it once). */
    for (int i = 0; i < 100; i++) {
        rn_arena_reset(&a);
        cr_expect_eq(rn_event_parse(&a, s, strlen(s), NULL, NULL, NULL, &errs), RN_OK);
        cr_expect_eq(rn_event_parse(&a, s, strlen(s), NULL, NULL, &ev, &errs), RN_OK);
        cr_expect_str_eq(ev.event_type, "order.created.v1");
    }
    cr_expect_eq(errs.n, 0);
    rn_arena_fini(&a);
}

Test(parse, invalid_envelope_keeps_the_document)
{
    /* Valid JSON, invalid envelope: root is the document and ev has what passed (a
     * caller can read eventType for its counters without parsing again). */
    const char *s = "{\"eventType\": \"order.create.v1\", \"source\": \"svc\"}";
    rn_arena a = {0};
    const rn_jval *root = NULL;
    rn_event ev;
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_assert_eq(rn_event_parse(&a, s, strlen(s), NULL, &root, &ev, &errs), RN_EINVAL);
    cr_assert_not_null(root);
    const rn_jval *t = rn_jval_getz(root, "eventType");
    cr_assert_not_null(t);
    cr_expect_str_eq(t->u.s, "order.create.v1");
    cr_expect_null(ev.event_type);
    cr_expect_str_eq(ev.source, "svc");
    cr_expect_eq(ev.root, root);
    cr_expect_eq(errs.n, 7);
    rn_arena_fini(&a);
}

Test(parse, length_delimited)
{
    /* A record value is not NUL-terminated: only len bytes count. */
    char buf[2048];
    size_t n = strlen(VALID_ENVELOPE);
    memcpy(buf, VALID_ENVELOPE, n);
    memcpy(buf + n, "garbage", 8);
    rn_arena a = {0};
    cr_expect_eq(rn_event_parse(&a, buf, n, NULL, NULL, NULL, NULL), RN_OK);
    cr_expect_eq(rn_event_parse(&a, buf, n + 7, NULL, NULL, NULL, NULL), RN_EINVAL);
    rn_arena_fini(&a);
}

Test(parse, bad_json)
{
    rn_arena a = {0};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    const rn_jval *root = (const rn_jval *)&errs; /* must be overwritten with NULL */
    rn_event ev;
    memset(&ev, 0xab, sizeof ev);
    cr_expect_eq(rn_event_parse(&a, "{\"a\": ", 6, NULL, &root, &ev, &errs), RN_EINVAL);
    cr_expect_null(root);
    cr_expect_null(ev.root); /* zeroed */
    cr_expect_null(ev.event_id);
    cr_assert_eq(errs.n, 1);
    cr_expect_str_eq(errs.e[0].path, "");
    cr_expect(!strncmp(errs.e[0].msg, "not valid JSON: ", 16), "%s", errs.e[0].msg);
    /* The parser's line and column (the end of the 6 bytes). */
    rn_jdoc_error je;
    const rn_jval *v;
    cr_assert_eq(rn_jdoc_parse(&a, "{\"a\": ", 6, &v, &je), RN_EINVAL);
    char want[64];
    snprintf(want, sizeof want, "(line %d, column %d)", je.line, je.column);
    cr_expect(je.line == 1 && je.column >= 6, "%d %d", je.line, je.column);
    size_t ml = strlen(errs.e[0].msg), wl = strlen(want);
    cr_expect(ml > wl && !strcmp(errs.e[0].msg + ml - wl, want), "%s", errs.e[0].msg);

    /* Line numbers count newlines. */
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_parse(&a, "{\n\"a\": x}", 9, NULL, NULL, NULL, &errs), RN_EINVAL);
    cr_expect(strstr(errs.e[0].msg, "(line 2, column ") != NULL, "%s", errs.e[0].msg);

    /* Bytes that are not UTF-8 or not printable never reach the message raw. */
    rn_event_errors_init(&errs);
    const char bin[] = "\x01\xff\xfe";
    cr_expect_eq(rn_event_parse(&a, bin, 3, NULL, NULL, NULL, &errs), RN_EINVAL);
    for (const char *p = errs.e[0].msg; *p; p++)
        cr_expect(*p >= 0x20 && *p < 0x7f, "unprintable byte in: %s", errs.e[0].msg);
    rn_event_errors_init(&errs);
    const char bad_utf8[] = "{\"eventId\": \"\xc3\x28\"}";
    cr_expect_eq(rn_event_parse(&a, bad_utf8, strlen(bad_utf8), NULL, NULL, NULL, &errs),
                 RN_EINVAL);
    cr_expect(!strncmp(errs.e[0].msg, "not valid JSON: ", 16), "%s", errs.e[0].msg);
    for (const char *p = errs.e[0].msg; *p; p++)
        cr_expect(*p >= 0x20 && *p < 0x7f, "unprintable byte in: %s", errs.e[0].msg);

    /* Empty input. */
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_parse(&a, "", 0, NULL, NULL, NULL, &errs), RN_EINVAL);
    cr_expect(!strncmp(errs.e[0].msg, "not valid JSON: ", 16), "%s", errs.e[0].msg);
    rn_arena_fini(&a);
}

Test(parse, scalars_are_not_envelopes)
{
    rn_arena a = {0};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_parse(&a, "42", 2, NULL, NULL, NULL, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].msg, "an envelope must be a JSON object, got number");
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_parse(&a, "1.5", 3, NULL, NULL, NULL, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].msg, "an envelope must be a JSON object, got number");
    rn_event_errors_init(&errs);
    cr_expect_eq(rn_event_parse(&a, "true", 4, NULL, NULL, NULL, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].msg, "an envelope must be a JSON object, got boolean");
    rn_arena_fini(&a);
}

/* ------------------------------------------------------------------ printing */

Test(print, reals_keep_their_short_form)
{
    json_t *j = load("{\"a\": 99.99, \"b\": [0.1, {\"c\": 1e300}], \"d\": 5, \"e\": 5.0}");
    char *s = json_dumps(j, rn_event_json_dump_flags(j, JSON_COMPACT));
    cr_expect_str_eq(s, "{\"a\":99.99,\"b\":[0.1,{\"c\":1e300}],\"d\":5,\"e\":5.0}");
    free(s);
    json_decref(j);
    /* A real that needs 17 digits keeps them (and so does every other real). */
    j = load("{\"a\": 99.99, \"e\": 0.30000000000000004}");
    s = json_dumps(j, rn_event_json_dump_flags(j, JSON_COMPACT));
    json_t *back = load(s);
    cr_expect(json_equal(j, back), "%s", s);
    cr_expect(strstr(s, "0.30000000000000004") != NULL, "%s", s);
    free(s);
    json_decref(back);
    json_decref(j);
}
