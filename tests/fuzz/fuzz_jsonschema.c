/*
 * tests/fuzz/fuzz_jsonschema.c - libFuzzer target for registry/jsonschema: compile a
 * schema and validate an instance against it.
 *
 * Input: SCHEMA NUL INSTANCE (both JSON text; no NUL means the schema is validated
 * against itself). The schema is parsed with jansson (as the registry does) and compiled
 * twice, with 2020-12 and with draft-07 as the default dialect, formats asserting; the
 * instance is parsed with common/jdoc (rn_jdoc_parse, as the produce path does) and each
 * compiled schema validates it with rn_jsonschema_validate_doc, with and without an error
 * list. When jansson also accepts the instance, the jansson entry point
 * (rn_jsonschema_validate) must give the same verdict. A resolver serves
 * "http://fuzz.invalid/<anything>" with a small fixed schema (which refers onward),
 * everything else is "not found".
 * Checks (abort on violation): the verdicts agree on valid vs invalid; an invalid
 * verdict has at least one error and a valid one none; error strings are NUL-terminated
 * within their buffers; a failed compilation leaves *out NULL and fills err; when the
 * schema's "pattern" is simple enough for the matcher that bypasses PCRE2
 * (rn_jsonschema_regex_simple), it and PCRE2 agree on a string instance. Leaks and memory
 * errors are left to ASan/LSan.
 */
#include "common/arena.h"
#include "common/jdoc.h"
#include "registry/jsonschema.h"
#include "registry/jsonschema_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int resolve(void *arg, const char *uri, json_t **out, rn_err *err)
{
    (void)arg;
    if (strncmp(uri, "http://fuzz.invalid/", 20) != 0)
        return rn_err_set(err, RN_ENOTFOUND, "not found");
    *out = json_loads("{\"$defs\": {\"n\": {\"type\": \"integer\", \"minimum\": 0}},"
                      " \"anyOf\": [{\"$ref\": \"#/$defs/n\"}, {\"$ref\": \"other.json\"},"
                      " {\"type\": \"string\", \"pattern\": \"^a+$\"}]}",
                      0, NULL);
    return *out ? RN_OK : RN_ENOMEM;
}

static void check_errors(const rn_jsonschema_errors *e, int rc)
{
    if (rc == RN_OK && e->n != 0) abort();
    if (rc == RN_EINVAL && e->n == 0) abort();
    if (e->n > RN_JSONSCHEMA_MAX_ERRORS) abort();
    for (size_t i = 0; i < e->n; i++) {
        const rn_jsonschema_error *x = &e->e[i];
        if (!memchr(x->instance_path, 0, sizeof x->instance_path) ||
            !memchr(x->keyword_location, 0, sizeof x->keyword_location) ||
            !memchr(x->keyword, 0, sizeof x->keyword) || !memchr(x->message, 0, sizeof x->message))
            abort();
    }
}

static void run(const json_t *schema, const rn_jval *instance, const json_t *jinstance,
                rn_jsonschema_draft draft)
{
    rn_jsonschema_options o = {
        .default_draft = draft,
        .format_assert = true,
        .resolver = resolve,
    };
    rn_jsonschema *s = NULL;
    rn_err err;
    int rc = rn_jsonschema_compile(schema, &o, &s, &err);
    if (rc != RN_OK) {
        if (s || err.code != rc || !memchr(err.msg, 0, sizeof err.msg)) abort();
        return;
    }
    rn_jsonschema_errors errs;
    int r1 = rn_jsonschema_validate_doc(s, instance, &errs);
    int r2 = rn_jsonschema_validate_doc(s, instance, NULL);
    /* Valid or not must agree. Invalid may come as RN_EINVAL in one and RN_ERANGE in the
     * other: without an error list, evaluation stops at the first failure and may not
     * reach a runaway $ref cycle that the full evaluation hits. */
    if ((r1 == RN_OK) != (r2 == RN_OK)) abort();
    check_errors(&errs, r1);
    if (jinstance) {
        int r3 = rn_jsonschema_validate(s, jinstance, &errs);
        if ((r3 == RN_OK) != (r1 == RN_OK)) abort();
        check_errors(&errs, r3);
    }
    rn_jsonschema_free(s);
}

/* The simple-pattern matcher against PCRE2, for a schema {"pattern": P, ...} and a
 * string instance. */
static void check_pattern(const json_t *schema, const rn_jval *instance)
{
    const json_t *p = json_is_object(schema) ? json_object_get(schema, "pattern") : NULL;
    if (!json_is_string(p) || instance->type != RN_JSTRING) return;
    char msg[200];
    pcre2_code *re = rn_jsonschema_regex_compile(json_string_value(p), json_string_length(p), false,
                                                 msg, sizeof msg);
    if (!re) return;
    rn_arena a = {0};
    const rn_js_simple_re *simple =
        rn_jsonschema_regex_simple(&a, json_string_value(p), json_string_length(p));
    if (simple) {
        int want = rn_jsonschema_regex_search(re, false, instance->u.s, instance->len);
        if (want >= 0 && want != (int)rn_js_simple_match(simple, instance->u.s, instance->len))
            abort();
    }
    rn_arena_fini(&a);
    pcre2_code_free(re);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t slen = nul ? (size_t)(nul - data) : size;
    json_t *schema = json_loadb((const char *)data, slen, JSON_DECODE_ANY, NULL);
    if (!schema) return 0;
    const uint8_t *itext = nul ? nul + 1 : data;
    size_t ilen = nul ? size - slen - 1 : slen;
    rn_arena a = {0};
    const rn_jval *instance;
    if (rn_jdoc_parse(&a, itext, ilen, &instance, NULL) == RN_OK) {
        json_t *jinstance =
            json_loadb((const char *)itext, ilen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        run(schema, instance, jinstance, RN_JSONSCHEMA_DRAFT2020_12);
        run(schema, instance, jinstance, RN_JSONSCHEMA_DRAFT7);
        check_pattern(schema, instance);
        json_decref(jinstance);
    }
    rn_arena_fini(&a);
    json_decref(schema);
    return 0;
}
