/*
 * tests/fuzz/fuzz_jsonschema.c - libFuzzer target for registry/jsonschema: compile a
 * schema and validate an instance against it.
 *
 * Input: SCHEMA NUL INSTANCE (both JSON text; no NUL means the schema is validated
 * against itself). The schema is compiled twice, with 2020-12 and with draft-07 as the
 * default dialect, formats asserting; each compiled schema validates the instance with
 * and without an error list. A resolver serves "http://fuzz.invalid/<anything>" with a
 * small fixed schema (which refers onward), everything else is "not found".
 * Checks (abort on violation): the two verdicts agree on valid vs invalid; an invalid
 * verdict has at least one error and a valid one none; error strings are NUL-terminated
 * within their buffers; a failed compilation leaves *out NULL and fills err. Leaks and
 * memory errors are left to ASan/LSan.
 */
#include "registry/jsonschema.h"

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

static void run(const json_t *schema, const json_t *instance, rn_jsonschema_draft draft)
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
    int r1 = rn_jsonschema_validate(s, instance, &errs);
    int r2 = rn_jsonschema_validate(s, instance, NULL);
    /* Valid or not must agree. Invalid may come as RN_EINVAL in one and RN_ERANGE in the
     * other: without an error list, evaluation stops at the first failure and may not
     * reach a runaway $ref cycle that the full evaluation hits. */
    if ((r1 == RN_OK) != (r2 == RN_OK)) abort();
    check_errors(&errs, r1);
    rn_jsonschema_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t slen = nul ? (size_t)(nul - data) : size;
    json_t *schema = json_loadb((const char *)data, slen, JSON_DECODE_ANY, NULL);
    if (!schema) return 0;
    json_t *instance = nul ? json_loadb((const char *)nul + 1, size - slen - 1,
                                        JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)
                           : json_incref(schema);
    if (instance) {
        run(schema, instance, RN_JSONSCHEMA_DRAFT2020_12);
        run(schema, instance, RN_JSONSCHEMA_DRAFT7);
    }
    json_decref(instance);
    json_decref(schema);
    return 0;
}
