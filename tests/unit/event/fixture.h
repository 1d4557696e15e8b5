/*
 * tests/unit/event/fixture.h - shared helpers of the event module's tests: a valid
 * envelope (the guidelines' example with a real UUID), JSON loading, changing one member,
 * and checks that validation gives exactly the expected errors (path and message).
 *
 * Fixtures are built with jansson (easy to change one member) and validated as the
 * broker sees them: copied into an arena with rn_jdoc_from_jansson, and also printed and
 * parsed again with rn_event_parse; both paths must give the same errors.
 */
#ifndef RN_TESTS_UNIT_EVENT_FIXTURE_H
#define RN_TESTS_UNIT_EVENT_FIXTURE_H

#include "common/arena.h"
#include "common/jdoc.h"
#include "event/envelope.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not every test file uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

/* The guidelines' example envelope, with a v4 UUID in place of "uuid-v4". */
#define VALID_ENVELOPE                                                                             \
    "{\"eventId\": \"3f2b8c1e-5a7d-4e9f-8b6a-1c2d3e4f5a6b\","                                      \
    " \"eventType\": \"order.created.v1\","                                                        \
    " \"eventTime\": \"2025-10-20T10:00:00Z\","                                                    \
    " \"source\": \"order-service\","                                                              \
    " \"subject\": \"order-12345\","                                                               \
    " \"dataVersion\": \"1.0\","                                                                   \
    " \"data\": {\"orderId\": \"12345\", \"customerId\": \"customer-456\","                        \
    " \"totalAmount\": 99.99, \"currency\": \"SEK\"},"                                             \
    " \"metadata\": {\"correlationId\": \"correlation-789\", \"causationId\": \"command-abc\","    \
    " \"userId\": \"user-123\"}}"

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    cr_assert(j, "test JSON does not parse: %s: %s", jerr.text, text);
    return j;
}

/* j copied into arena a as an rn_jval document. */
static const rn_jval *jdoc(rn_arena *a, const json_t *j)
{
    const rn_jval *v = NULL;
    cr_assert_eq(rn_jdoc_from_jansson(a, j, &v), RN_OK);
    return v;
}

/* rn_event_validate on a jansson document: copied into a, then validated (ev views a). */
static int validate_json(rn_arena *a, const json_t *j, const rn_event_rules *rules, rn_event *ev,
                         rn_event_errors *errs)
{
    return rn_event_validate(jdoc(a, j), rules, ev, errs);
}

/* A valid envelope with member key (a JSON Pointer-free name, or "metadata.x" for a
 * metadata member) set to the JSON value text, or removed if text is NULL. */
static json_t *envelope_with(const char *key, const char *text)
{
    json_t *env = load(VALID_ENVELOPE);
    json_t *obj = env;
    if (!strncmp(key, "metadata.", 9)) {
        obj = json_object_get(env, "metadata");
        key += 9;
    }
    if (text)
        json_object_set_new(obj, key, load(text));
    else
        json_object_del(obj, key);
    return env;
}

/* Validates env under rules and checks the errors are exactly the n (path, message)
 * pairs in want (in order). Takes the reference to env. */
typedef struct want_err {
    const char *path;
    const char *msg;
} want_err;

static void check_errors(const rn_event_errors *errs, const want_err *want, size_t n)
{
    for (size_t i = 0; i < errs->n && i < n; i++) {
        cr_expect_str_eq(errs->e[i].path, want[i].path, "error %zu path", i);
        cr_expect_str_eq(errs->e[i].msg, want[i].msg, "error %zu message", i);
    }
    if (errs->n != n) {
        for (size_t i = 0; i < errs->n; i++)
            fprintf(stderr, "  got error %zu: %s: %s\n", i, errs->e[i].path, errs->e[i].msg);
    }
    cr_assert_eq(errs->n, n, "expected %zu errors, got %zu", n, errs->n);
    cr_assert_eq(errs->total, n);
}

/* env printed as JSON text (member order kept), for rn_event_parse. */
static char *text_of(const json_t *env, size_t *len)
{
    char *s = json_dumps(env, JSON_COMPACT | JSON_ENCODE_ANY);
    cr_assert_not_null(s);
    *len = strlen(s);
    return s;
}

static void expect_invalid_rules(json_t *env, const rn_event_rules *rules, const want_err *want,
                                 size_t n)
{
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_event ev;
    rn_arena a = {0};
    int rc = validate_json(&a, env, rules, &ev, &errs);
    cr_expect_eq(rc, RN_EINVAL);
    check_errors(&errs, want, n);
    /* The produce path: the same document from bytes. */
    size_t len;
    char *text = text_of(env, &len);
    rn_event_errors_init(&errs);
    rn_arena_reset(&a);
    const rn_jval *root = NULL;
    cr_expect_eq(rn_event_parse(&a, text, len, rules, &root, &ev, &errs), RN_EINVAL, "%s", text);
    cr_expect_not_null(root, "a JSON document is returned even when invalid");
    check_errors(&errs, want, n);
    free(text);
    rn_arena_fini(&a);
    json_decref(env);
}

#define EXPECT_INVALID(env, ...)                                                                   \
    do {                                                                                           \
        const want_err w_[] = {__VA_ARGS__};                                                       \
        expect_invalid_rules(env, NULL, w_, sizeof w_ / sizeof w_[0]);                             \
    } while (0)

/* Validates env (taking the reference) and expects it to pass. */
static void expect_valid_rules(json_t *env, const rn_event_rules *rules)
{
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_arena a = {0};
    size_t len;
    char *s = text_of(env, &len);
    int rc = validate_json(&a, env, rules, NULL, &errs);
    if (rc == RN_OK) {
        rn_arena_reset(&a);
        rc = rn_event_parse(&a, s, len, rules, NULL, NULL, &errs);
    }
    if (rc != RN_OK) {
        char text[4096];
        rn_event_errors_format(&errs, text, sizeof text);
        cr_expect_fail("expected valid: %s\n  errors: %s", s, text);
    }
    free(s);
    rn_arena_fini(&a);
    json_decref(env);
}
#define EXPECT_VALID(env) expect_valid_rules(env, NULL)

#endif
