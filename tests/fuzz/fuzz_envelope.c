/*
 * tests/fuzz/fuzz_envelope.c - libFuzzer target for event/envelope.h: arbitrary bytes as
 * an envelope (parse + validate, under default rules and under a restrictive rules
 * object), as a CloudEvent in structured mode, and as a Kafka binary-mode record.
 *
 * Input: the whole input is parsed as an envelope (rn_event_parse into an arena) and as a
 * structured CloudEvent. It is also read as a binary-mode record: lines "key:value" up to
 * the first empty line are the headers, the rest is the record value.
 * Oracles (abort on violation):
 *   - a result and its error list agree (RN_OK with no errors, RN_EINVAL with some);
 *   - a parsed envelope's string fields are C strings (no U+0000) equal to their members;
 *   - validating the parsed document again, or a copy of it made through jansson
 *     (rn_jval_to_jansson, rn_jdoc_from_jansson), gives the same errors;
 *   - a valid envelope encodes to a CloudEvent that decodes back to the same envelope
 *     (after the documented normalisation: metadata nulls dropped, extension names
 *     lowercased), which validates;
 *   - a valid envelope encodes to a binary-mode record that decodes to a valid envelope;
 *   - a decoded CloudEvent that validates as an envelope encodes again.
 * Leaks are found by LeakSanitizer (the replay build runs with detect_leaks=1).
 */
#include "common/arena.h"
#include "common/jdoc.h"
#include "event/envelope.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(int rc, const rn_event_errors *errs)
{
    if (rc == RN_OK && errs->total != 0) abort();
    if (rc == RN_EINVAL && errs->total == 0) abort();
    if (rc != RN_OK && rc != RN_EINVAL) abort();
    if (errs->n > RN_EVENT_MAX_ERRORS || errs->n > errs->total) abort();
    char text[8192];
    size_t len = rn_event_errors_format(errs, text, sizeof text);
    if (len < sizeof text && strlen(text) != len) abort();
}

/* 1 if two error lists are the same. */
static int same_errors(const rn_event_errors *a, const rn_event_errors *b)
{
    if (a->n != b->n || a->total != b->total) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->e[i].path, b->e[i].path) || strcmp(a->e[i].msg, b->e[i].msg)) return 0;
    return 1;
}

/* rn_event_validate of a jansson document, through a jdoc copy in arena a. */
static int validate_json(rn_arena *a, const json_t *j, rn_event *ev, rn_event_errors *errs)
{
    const rn_jval *doc;
    if (rn_jdoc_from_jansson(a, j, &doc) != RN_OK) abort();
    return rn_event_validate(doc, NULL, ev, errs);
}

/* s is a C string of exactly the member's length. */
static void check_cstring(const char *s, const rn_jval *member)
{
    if (!s || !member || member->type != RN_JSTRING || s != member->u.s) abort();
    if (strlen(s) != member->len) abort();
}

/* The envelope as a CloudEvent round trip gives it back: metadata without null members,
 * and extension names lowercased. Returns a new document. */
static json_t *normalise(const json_t *env)
{
    json_t *copy = json_deep_copy(env);
    json_t *md = json_object_get(copy, "metadata");
    json_t *norm = json_object();
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(md, key, klen, v)
    {
        if (json_is_null(v)) continue;
        char name[512];
        if (klen >= sizeof name) abort();
        int mapped = !strcmp(key, "correlationId") || !strcmp(key, "causationId") ||
                     !strcmp(key, "userId") || !strcmp(key, "dataSchema");
        for (size_t i = 0; i < klen; i++)
            name[i] = (char)(mapped                             ? key[i]
                             : (key[i] >= 'A' && key[i] <= 'Z') ? key[i] - 'A' + 'a'
                                                                : key[i]);
        json_object_setn(norm, name, klen, v);
    }
    json_object_set_new(copy, "metadata", norm);
    return copy;
}

/* root: the envelope ev was validated from, as a jansson document. */
static void round_trips(const json_t *root, const rn_event *ev)
{
    rn_arena a = {0};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    json_t *ce = NULL;
    int rc = rn_event_ce_encode(ev, &ce, &errs);
    check_result(rc, &errs);
    if (rc == RN_OK) {
        json_t *back = NULL;
        rn_event_errors_init(&errs);
        if (rn_event_ce_decode(ce, &back, &errs) != RN_OK) abort();
        rn_event_errors_init(&errs);
        if (validate_json(&a, back, NULL, &errs) != RN_OK) abort();
        json_t *want = normalise(root);
        if (!json_equal(want, back)) abort();
        json_decref(want);
        json_decref(back);
        json_decref(ce);
    } else if (ce) {
        abort();
    }

    rn_event_ce_binary bin;
    rn_event_errors_init(&errs);
    rc = rn_event_ce_encode_binary(ev, &bin, &errs);
    check_result(rc, &errs);
    if (rc == RN_OK) {
        json_t *back = NULL;
        rn_event_errors_init(&errs);
        if (rn_event_ce_decode_binary(bin.headers, bin.n, bin.value, bin.value_len, &back, &errs) !=
            RN_OK)
            abort();
        rn_event_errors_init(&errs);
        if (validate_json(&a, back, NULL, &errs) != RN_OK) abort();
        json_decref(back);
    }
    rn_event_ce_binary_fini(&bin);
    rn_arena_fini(&a);
}

/* Treats the input as a structured CloudEvent. */
static void as_cloudevent(const uint8_t *data, size_t size)
{
    json_t *ce = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!ce) return;
    rn_arena a = {0};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    json_t *env = NULL;
    int rc = rn_event_ce_decode(ce, &env, &errs);
    check_result(rc, &errs);
    if (rc == RN_OK) {
        rn_event ev;
        rn_event_errors_init(&errs);
        rc = validate_json(&a, env, &ev, &errs);
        check_result(rc, &errs);
        if (rc == RN_OK) round_trips(env, &ev);
    }
    rn_arena_fini(&a);
    json_decref(env);
    json_decref(ce);
}

/* Treats the input as "key:value" header lines, an empty line, then the value. */
static void as_binary(const uint8_t *data, size_t size)
{
    rn_event_header hs[32];
    size_t n = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end && n < 32) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (eol == p) {
            p++;
            break;
        }
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon)
            hs[n++] =
                (rn_event_header){p, (size_t)(colon - p), colon + 1, (size_t)(eol - colon - 1)};
        else
            hs[n++] = (rn_event_header){p, (size_t)(eol - p), NULL, 0}; /* a null value */
        p = nl ? nl + 1 : end;
    }
    if (n == 0) return;
    rn_arena a = {0};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    json_t *env = NULL;
    int rc = rn_event_ce_decode_binary(hs, n, p < end ? p : NULL, (size_t)(end - p), &env, &errs);
    check_result(rc, &errs);
    if (rc == RN_OK) {
        rn_event ev;
        rn_event_errors_init(&errs);
        rc = validate_json(&a, env, &ev, &errs);
        check_result(rc, &errs);
        if (rc == RN_OK) round_trips(env, &ev);
    }
    rn_arena_fini(&a);
    json_decref(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rn_arena a = {0};
    rn_event_errors errs;
    rn_event_errors_init(&errs);
    const rn_jval *root = NULL;
    rn_event ev;
    int rc = rn_event_parse(&a, data, size, NULL, &root, &ev, &errs);
    check_result(rc, &errs);
    if (root) {
        /* Valid or not, the document validates the same way again, and so does a copy
         * made through jansson. */
        rn_event_errors again;
        rn_event_errors_init(&again);
        if (rn_event_validate(root, NULL, NULL, &again) != rc || !same_errors(&errs, &again))
            abort();
        json_t *rootj = rn_jval_to_jansson(root);
        if (!rootj) abort();
        rn_arena copy = {0};
        rn_event_errors_init(&again);
        if (validate_json(&copy, rootj, NULL, &again) != rc || !same_errors(&errs, &again)) abort();
        rn_arena_fini(&copy);
        if (rc == RN_OK) {
            if (ev.root != root || !ev.event_id || !ev.metadata || !ev.data) abort();
            check_cstring(ev.event_id, rn_jval_getz(root, "eventId"));
            check_cstring(ev.event_type, rn_jval_getz(root, "eventType"));
            check_cstring(ev.event_time, rn_jval_getz(root, "eventTime"));
            check_cstring(ev.source, rn_jval_getz(root, "source"));
            check_cstring(ev.subject, rn_jval_getz(root, "subject"));
            check_cstring(ev.data_version, rn_jval_getz(root, "dataVersion"));
            check_cstring(ev.correlation_id, rn_jval_getz(ev.metadata, "correlationId"));
            if (ev.causation_id)
                check_cstring(ev.causation_id, rn_jval_getz(ev.metadata, "causationId"));
            round_trips(rootj, &ev);
            /* The same envelope under restrictive rules: may fail, must not crash. */
            static const char *const domains[] = {"order", "payment.card"};
            static const char *const verbs[] = {"kickoff"};
            rn_event_rules rules = {domains, 2, verbs, 1};
            rn_event_errors_init(&errs);
            check_result(rn_event_validate(root, &rules, NULL, &errs), &errs);
        }
        json_decref(rootj);
    } else if (rc == RN_OK || errs.n != 1 || errs.e[0].path[0] != '\0') {
        abort(); /* not JSON: exactly one error, for the whole document */
    }
    rn_arena_fini(&a);

    /* The raw bytes through the string checkers. */
    rn_event_errors_init(&errs);
    rn_event_type t;
    check_result(rn_event_type_parse((const char *)data, size, NULL, &t, &errs), &errs);
    int64_t ms;
    rn_event_time_parse((const char *)data, size, &ms, NULL);
    uint8_t u[16];
    rn_event_uuid_parse((const char *)data, size, u, NULL);

    as_cloudevent(data, size);
    as_binary(data, size);
    return 0;
}
