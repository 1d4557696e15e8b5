/*
 * tests/unit/registry/test_jsonschema.c - unit tests for registry/jsonschema: the API
 * contract (errors with instance path, keyword location and message; the error cap;
 * compile errors; drafts; options; the resolver and ownership), number and string
 * semantics, formats, annotations on large instances, limits, and concurrent use. The
 * official suite runs in test_jsonschema_suite.c.
 *
 * Every instance checked here is validated both ways: parsed by jansson and given to
 * rn_jsonschema_validate, and parsed by rn_jdoc_parse and given to
 * rn_jsonschema_validate_doc (the produce path); verdicts and errors must be the same.
 */
#include "common/arena.h"
#include "common/jdoc.h"
#include "registry/jsonschema.h"
#include "registry/jsonschema_int.h" /* the simple-pattern matcher, tested against PCRE2 */

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ helpers */

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    cr_assert(j, "bad test JSON (%s): %s", je.text, text);
    return j;
}

static rn_jsonschema *compile_opts(const char *schema, const rn_jsonschema_options *o)
{
    json_t *j = parse(schema);
    rn_jsonschema *s = NULL;
    rn_err err;
    rn_err_clear(&err);
    int rc = rn_jsonschema_compile(j, o, &s, &err);
    json_decref(j);
    cr_assert_eq(rc, RN_OK, "compile %s: %s", schema, err.msg);
    cr_assert(s);
    return s;
}

static rn_jsonschema *compile(const char *schema)
{
    return compile_opts(schema, NULL);
}

/* Compiles a schema that must fail; returns the code, message in err. */
static int compile_fail(const char *schema, const rn_jsonschema_options *o, rn_err *err)
{
    json_t *j = parse(schema);
    rn_jsonschema *s = (rn_jsonschema *)1;
    rn_err_clear(err);
    int rc = rn_jsonschema_compile(j, o, &s, err);
    json_decref(j);
    cr_assert_neq(rc, RN_OK, "compile of %s should fail", schema);
    cr_assert_null(s, "*out must be NULL on failure");
    cr_assert_eq(err->code, rc);
    return rc;
}

static void expect_same_errors(const rn_jsonschema_errors *a, const rn_jsonschema_errors *b,
                               const char *instance)
{
    cr_assert_eq(a->n, b->n, "error counts differ for %s", instance);
    cr_assert_eq(a->truncated, b->truncated, "truncation differs for %s", instance);
    for (size_t i = 0; i < a->n; i++) {
        cr_assert_str_eq(a->e[i].instance_path, b->e[i].instance_path, "%s", instance);
        cr_assert_str_eq(a->e[i].keyword_location, b->e[i].keyword_location, "%s", instance);
        cr_assert_str_eq(a->e[i].keyword, b->e[i].keyword, "%s", instance);
        cr_assert_str_eq(a->e[i].message, b->e[i].message, "%s", instance);
    }
}

/* Validates instance text; checks the verdict is the same without an error list, and the
 * same (with the same errors) for the text parsed by rn_jdoc_parse and validated with
 * rn_jsonschema_validate_doc. */
static int check(const rn_jsonschema *s, const char *instance, rn_jsonschema_errors *errs)
{
    json_t *j = parse(instance);
    int rc = rn_jsonschema_validate(s, j, errs);
    int rc2 = rn_jsonschema_validate(s, j, NULL);
    json_decref(j);
    cr_assert_eq(rc, rc2, "verdict differs with and without errors for %s", instance);

    rn_arena a = {0};
    const rn_jval *doc;
    rn_jdoc_error je;
    cr_assert_eq(rn_jdoc_parse(&a, instance, strlen(instance), &doc, &je), RN_OK,
                 "rn_jdoc_parse %s: %s", instance, je.text);
    rn_jsonschema_errors *derrs = malloc(sizeof *derrs);
    cr_assert(derrs);
    int rc3 = rn_jsonschema_validate_doc(s, doc, errs ? derrs : NULL);
    int rc4 = rn_jsonschema_validate_doc(s, doc, NULL);
    rn_arena_fini(&a);
    cr_assert_eq(rc3, rc, "validate_doc says %d, validate %d for %s", rc3, rc, instance);
    cr_assert_eq(rc4, rc2, "validate_doc says %d, validate %d for %s", rc4, rc2, instance);
    if (errs) expect_same_errors(errs, derrs, instance);
    free(derrs);
    return rc;
}

/* Validates instance text through rn_jdoc_parse and rn_jsonschema_validate_doc only (for
 * instances jansson cannot hold); checks the verdict without an error list and that an
 * invalid one has errors. */
static int check_doc(const rn_jsonschema *s, const char *instance)
{
    rn_arena a = {0};
    const rn_jval *doc;
    rn_jdoc_error je;
    cr_assert_eq(rn_jdoc_parse(&a, instance, strlen(instance), &doc, &je), RN_OK,
                 "rn_jdoc_parse %s: %s", instance, je.text);
    rn_jsonschema_errors errs;
    int rc = rn_jsonschema_validate_doc(s, doc, &errs);
    cr_assert_eq(rn_jsonschema_validate_doc(s, doc, NULL), rc, "%s", instance);
    cr_assert_eq(errs.n == 0, rc == RN_OK, "%s: %zu errors", instance, errs.n);
    rn_arena_fini(&a);
    return rc;
}

static bool valid(const rn_jsonschema *s, const char *instance)
{
    rn_jsonschema_errors errs;
    int rc = check(s, instance, &errs);
    if (rc == RN_OK)
        cr_assert_eq(errs.n, 0);
    else
        cr_assert_gt(errs.n, 0, "an invalid instance needs an error");
    return rc == RN_OK;
}

/* ------------------------------------------------------------------ errors */

Test(jsonschema, error_has_paths_keyword_and_message)
{
    rn_jsonschema *s =
        compile("{\"properties\": {\"data\": {\"properties\": {\"items\": {\"items\": "
                "{\"properties\": {\"price\": {\"minimum\": 0}}}}}}}}");
    rn_jsonschema_errors errs;
    int rc = check(s, "{\"data\": {\"items\": [{}, {}, {}, {\"price\": -1}]}}", &errs);
    cr_assert_eq(rc, RN_EINVAL);
    cr_assert_eq(errs.n, 1);
    cr_expect_str_eq(errs.e[0].instance_path, "/data/items/3/price");
    cr_expect_str_eq(errs.e[0].keyword_location,
                     "/properties/data/properties/items/items/properties/price/minimum");
    cr_expect_str_eq(errs.e[0].keyword, "minimum");
    cr_expect_str_eq(errs.e[0].message, "-1 is less than the minimum of 0");
    char line[600];
    rn_jsonschema_error_format(&errs.e[0], line, sizeof line);
    cr_expect_str_eq(line, "/data/items/3/price: -1 is less than the minimum of 0 "
                           "(/properties/data/properties/items/items/properties/price/minimum)");
    rn_jsonschema_free(s);
}

Test(jsonschema, keyword_location_goes_through_ref)
{
    rn_jsonschema *s =
        compile("{\"$defs\": {\"price\": {\"type\": \"number\", \"exclusiveMinimum\": 0}},"
                " \"properties\": {\"p\": {\"$ref\": \"#/$defs/price\"}}}");
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, "{\"p\": 0}", &errs), RN_EINVAL);
    cr_assert_eq(errs.n, 1);
    cr_expect_str_eq(errs.e[0].instance_path, "/p");
    cr_expect_str_eq(errs.e[0].keyword_location, "/properties/p/$ref/exclusiveMinimum");
    cr_expect_str_eq(errs.e[0].message, "0 is less than or equal to the exclusive minimum of 0");
    cr_assert_eq(check(s, "{\"p\": \"x\"}", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].keyword, "type");
    cr_expect_str_eq(errs.e[0].message, "\"x\" is not of type \"number\"");
    rn_jsonschema_free(s);
}

Test(jsonschema, every_error_is_collected_up_to_the_cap)
{
    rn_jsonschema *s =
        compile("{\"type\": \"object\", \"required\": [\"a\", \"b\", \"c\"],"
                " \"properties\": {\"x\": {\"type\": \"string\"}, \"y\": {\"maxLength\": 1}}}");
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, "{\"x\": 1, \"y\": \"long\"}", &errs), RN_EINVAL);
    cr_assert_eq(errs.n, 5);
    cr_expect_not(errs.truncated);
    cr_expect_str_eq(errs.e[0].message, "required property \"a\" is missing");
    cr_expect_str_eq(errs.e[0].instance_path, "");
    rn_jsonschema_free(s);

    /* 30 failing items: 10 reported, truncated set */
    s = compile("{\"items\": {\"type\": \"string\"}}");
    char inst[256] = "[";
    for (int i = 0; i < 30; i++)
        strcat(inst, i ? ",1" : "1");
    strcat(inst, "]");
    cr_assert_eq(check(s, inst, &errs), RN_EINVAL);
    cr_expect_eq(errs.n, RN_JSONSCHEMA_MAX_ERRORS);
    cr_expect(errs.truncated);
    cr_expect_str_eq(errs.e[9].instance_path, "/9");
    rn_jsonschema_free(s);
}

Test(jsonschema, branch_failures_are_one_error)
{
    rn_jsonschema *s = compile("{\"anyOf\": [{\"type\": \"string\"}, {\"minimum\": 10}], "
                               "\"not\": {\"const\": 3}}");
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, "5", &errs), RN_EINVAL);
    cr_assert_eq(errs.n, 1);
    cr_expect_str_eq(errs.e[0].keyword, "anyOf");
    cr_expect_str_eq(errs.e[0].message, "5 is not valid under any of the schemas in anyOf");
    cr_assert_eq(check(s, "3", &errs), RN_EINVAL);
    cr_assert_eq(errs.n, 2);
    cr_expect_str_eq(errs.e[1].keyword, "not");
    rn_jsonschema_free(s);

    s = compile("{\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 2}]}");
    cr_assert_eq(check(s, "3", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message,
                     "3 is valid under more than one of the schemas in oneOf (0 and 1)");
    cr_expect(valid(s, "1"));
    cr_expect(valid(s, "2.5"));
    rn_jsonschema_free(s);
}

Test(jsonschema, messages_for_disallowed_properties)
{
    rn_jsonschema *s =
        compile("{\"properties\": {\"a\": true, \"gone\": false}, "
                "\"patternProperties\": {\"^x-\": true}, \"additionalProperties\": false}");
    rn_jsonschema_errors errs;
    cr_expect(valid(s, "{\"a\": 1, \"x-trace\": 2}"));
    cr_assert_eq(check(s, "{\"a\": 1, \"extra\": 2, \"gone\": 3}", &errs), RN_EINVAL);
    cr_assert_eq(errs.n, 2);
    cr_expect_str_eq(errs.e[0].message, "additional property \"extra\" is not allowed");
    cr_expect_str_eq(errs.e[0].keyword_location, "/additionalProperties");
    cr_expect_str_eq(errs.e[1].message, "property \"gone\" is not allowed");
    cr_expect_str_eq(errs.e[1].keyword_location, "/properties/gone");
    rn_jsonschema_free(s);
}

Test(jsonschema, pointer_segments_are_escaped)
{
    rn_jsonschema *s = compile("{\"properties\": {\"a/b~c\": {\"type\": \"integer\"}}}");
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, "{\"a/b~c\": \"no\"}", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].instance_path, "/a~1b~0c");
    cr_expect_str_eq(errs.e[0].keyword_location, "/properties/a~1b~0c/type");
    rn_jsonschema_free(s);
}

Test(jsonschema, long_strings_are_shortened_in_messages)
{
    rn_jsonschema *s = compile("{\"maxLength\": 3}");
    rn_jsonschema_errors errs;
    char inst[400] = "\"";
    for (int i = 0; i < 300; i++)
        strcat(inst, "x");
    strcat(inst, "\"");
    cr_assert_eq(check(s, inst, &errs), RN_EINVAL);
    cr_expect(strstr(errs.e[0].message, "...\" is longer than 3 characters"), "%s",
              errs.e[0].message);
    cr_expect_lt(strlen(errs.e[0].message), 120);
    rn_jsonschema_free(s);
}

/* ------------------------------------------------------------------ compile errors */

Test(jsonschema, invalid_schemas_fail_to_compile_with_a_location)
{
    rn_err err;
    cr_expect_eq(compile_fail("{\"properties\": {\"a\": {\"minimum\": \"1\"}}}", NULL, &err),
                 RN_EINVAL);
    cr_expect_str_eq(err.msg, "/properties/a/minimum: must be a number");
    cr_expect_eq(compile_fail("{\"type\": \"float\"}", NULL, &err), RN_EINVAL);
    cr_expect_str_eq(err.msg, "/type: unknown type \"float\"");
    cr_expect_eq(compile_fail("{\"pattern\": \"(unclosed\"}", NULL, &err), RN_EINVAL);
    cr_expect(strncmp(err.msg, "/pattern: invalid regular expression", 36) == 0, "%s", err.msg);
    cr_expect_eq(compile_fail("{\"required\": [1]}", NULL, &err), RN_EINVAL);
    cr_expect_eq(compile_fail("{\"maxLength\": -1}", NULL, &err), RN_EINVAL);
    cr_expect_eq(compile_fail("{\"multipleOf\": 0}", NULL, &err), RN_EINVAL);
    cr_expect_eq(compile_fail("{\"allOf\": []}", NULL, &err), RN_EINVAL);
    cr_expect_eq(compile_fail("{\"items\": [true]}", NULL, &err), RN_EINVAL);
    cr_expect(strstr(err.msg, "prefixItems"), "%s", err.msg);
    cr_expect_eq(compile_fail("{\"not\": 3}", NULL, &err), RN_EINVAL);
    cr_expect_str_eq(err.msg, "/not: must be a schema (object or boolean)");
    cr_expect_eq(compile_fail("\"string\"", NULL, &err), RN_EINVAL);
    cr_expect_eq(
        compile_fail("{\"$schema\": \"http://json-schema.org/draft-04/schema#\"}", NULL, &err),
        RN_EINVAL);
    cr_expect(strstr(err.msg, "unsupported dialect"), "%s", err.msg);
    cr_expect_eq(compile_fail("{\"$ref\": \"#/$defs/missing\"}", NULL, &err), RN_ENOTFOUND);
    cr_expect(strstr(err.msg, "#/$defs/missing"), "%s", err.msg);
    cr_expect_eq(compile_fail("{\"$ref\": \"https://elsewhere.example/x.json\"}", NULL, &err),
                 RN_ENOTFOUND);
    cr_expect(strstr(err.msg, "no resolver"), "%s", err.msg);
}

Test(jsonschema, unreachable_definitions_are_not_compiled)
{
    /* $defs nobody references are indexed, not compiled: their errors do not matter */
    rn_jsonschema *s =
        compile("{\"$defs\": {\"bad\": {\"minimum\": \"x\"}}, \"type\": \"integer\"}");
    cr_expect(valid(s, "1"));
    rn_jsonschema_free(s);
}

Test(jsonschema, check_schema_validates_against_the_metaschema)
{
    rn_jsonschema_options o = {.check_schema = true};
    rn_err err;
    const char *sch = "{\"$defs\": {\"bad\": {\"minimum\": \"x\"}}, \"type\": \"integer\"}";
    cr_expect_eq(compile_fail(sch, &o, &err), RN_EINVAL);
    cr_expect(strncmp(err.msg, "/$defs/bad/minimum: \"x\" is not of type \"number\"", 47) == 0,
              "%s", err.msg);
    rn_jsonschema_options o7 = {.check_schema = true, .default_draft = RN_JSONSCHEMA_DRAFT7};
    cr_expect_eq(compile_fail("{\"definitions\": {\"a\": {\"required\": \"id\"}}}", &o7, &err),
                 RN_EINVAL);
    cr_expect(strstr(err.msg, "draft 07 metaschema"), "%s", err.msg);
    rn_jsonschema *s = compile_opts("{\"type\": \"object\", \"required\": [\"id\"]}", &o);
    rn_jsonschema_free(s);
}

/* ------------------------------------------------------------------ drafts */

Test(jsonschema, draft_is_chosen_by_schema_keyword_or_option)
{
    const char *d7 = "{\"$schema\": \"http://json-schema.org/draft-07/schema#\", "
                     "\"items\": [{\"type\": \"string\"}], \"additionalItems\": false}";
    rn_jsonschema *s = compile(d7);
    cr_expect_eq(rn_jsonschema_draft_of(s), RN_JSONSCHEMA_DRAFT7);
    cr_expect(valid(s, "[\"a\"]"));
    cr_expect_not(valid(s, "[\"a\", 2]"));
    cr_expect_not(valid(s, "[1]"));
    rn_jsonschema_free(s);

    /* no $schema: 2020-12 by default, draft-07 by option */
    s = compile("{\"prefixItems\": [{\"type\": \"string\"}], \"items\": false}");
    cr_expect_eq(rn_jsonschema_draft_of(s), RN_JSONSCHEMA_DRAFT2020_12);
    cr_expect_not(valid(s, "[\"a\", 2]"));
    rn_jsonschema_free(s);
    rn_jsonschema_options o = {.default_draft = RN_JSONSCHEMA_DRAFT7};
    s = compile_opts("{\"items\": [{\"type\": \"string\"}], \"dependencies\": {\"a\": [\"b\"]}}",
                     &o);
    cr_expect_eq(rn_jsonschema_draft_of(s), RN_JSONSCHEMA_DRAFT7);
    cr_expect_not(valid(s, "[1]"));
    cr_expect_not(valid(s, "{\"a\": 1}"));
    rn_jsonschema_free(s);

    /* draft-07: siblings of $ref are ignored; 2020-12: they apply */
    s = compile_opts(
        "{\"$defs\": {\"s\": {\"type\": \"string\"}}, \"$ref\": \"#/$defs/s\", \"maxLength\": 1}",
        &o);
    cr_expect(valid(s, "\"long\""));
    rn_jsonschema_free(s);
    s = compile(
        "{\"$defs\": {\"s\": {\"type\": \"string\"}}, \"$ref\": \"#/$defs/s\", \"maxLength\": 1}");
    cr_expect_not(valid(s, "\"long\""));
    rn_jsonschema_free(s);

    /* force_draft ignores $schema */
    rn_jsonschema_options f = {.default_draft = RN_JSONSCHEMA_DRAFT7, .force_draft = true};
    s = compile_opts("{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", "
                     "\"items\": [{\"type\": \"string\"}]}",
                     &f);
    cr_expect_eq(rn_jsonschema_draft_of(s), RN_JSONSCHEMA_DRAFT7);
    cr_expect_not(valid(s, "[1]"));
    rn_jsonschema_free(s);
}

Test(jsonschema, metaschemas_are_embedded)
{
    rn_jsonschema *s = compile("{\"$ref\": \"http://json-schema.org/draft-07/schema#\"}");
    cr_expect(valid(s, "{\"minLength\": 1}"));
    cr_expect_not(valid(s, "{\"minLength\": -1}"));
    cr_expect_not(valid(s, "{\"type\": \"float\"}"));
    rn_jsonschema_free(s);
    s = compile("{\"$ref\": \"https://json-schema.org/draft/2020-12/schema\"}");
    cr_expect(valid(s, "{\"properties\": {\"a\": {\"type\": \"string\"}}}"));
    cr_expect_not(valid(s, "{\"properties\": {\"a\": {\"minItems\": \"2\"}}}"));
    rn_jsonschema_free(s);
}

/* ------------------------------------------------------------------ resolver */

typedef struct fake_registry {
    int calls;
    bool fail;
} fake_registry;

static int resolve(void *arg, const char *uri, json_t **out, rn_err *err)
{
    fake_registry *r = arg;
    r->calls++;
    if (r->fail) return rn_err_set(err, RN_EIO, "registry unavailable");
    if (strcmp(uri, "https://registry.example/subjects/money/versions/1") == 0) {
        *out = json_loads("{\"type\": \"object\", \"required\": [\"amount\", \"currency\"],"
                          " \"properties\": {\"amount\": {\"type\": \"number\"},"
                          " \"currency\": {\"$ref\": \"currency.json\"}}}",
                          0, NULL);
        return RN_OK;
    }
    if (strcmp(uri, "https://registry.example/subjects/money/versions/currency.json") == 0) {
        *out = json_loads("{\"enum\": [\"EUR\", \"USD\"]}", 0, NULL);
        return RN_OK;
    }
    return rn_err_set(err, RN_ENOTFOUND, "no subject %s", uri);
}

Test(jsonschema, remote_references_go_through_the_resolver)
{
    fake_registry reg = {0};
    rn_jsonschema_options o = {.resolver = resolve, .resolver_arg = &reg};
    rn_jsonschema *s = compile_opts(
        "{\"properties\": {\"price\": {\"$ref\": "
        "\"https://registry.example/subjects/money/versions/1\"},"
        " \"fee\": {\"$ref\": \"https://registry.example/subjects/money/versions/1\"}}}",
        &o);
    cr_expect_eq(reg.calls, 2, "each document is fetched once (got %d calls)", reg.calls);
    cr_expect(valid(s, "{\"price\": {\"amount\": 1, \"currency\": \"EUR\"}}"));
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, "{\"fee\": {\"amount\": 1, \"currency\": \"JPY\"}}", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].instance_path, "/fee/currency");
    cr_expect_str_eq(errs.e[0].keyword_location,
                     "/properties/fee/$ref/properties/currency/$ref/enum");
    rn_jsonschema_free(s);

    reg.fail = true;
    rn_err err;
    cr_expect_eq(compile_fail("{\"$ref\": \"https://registry.example/subjects/money/versions/1\"}",
                              &o, &err),
                 RN_EIO);
    cr_expect(strstr(err.msg, "registry unavailable"), "%s", err.msg);
}

Test(jsonschema, compiled_schema_owns_its_documents)
{
    json_t *j = parse(
        "{\"properties\": {\"k\": {\"enum\": [\"a\", \"b\"]}, \"c\": {\"const\": {\"x\": [1]}}}}");
    rn_jsonschema *s = NULL;
    rn_err err;
    cr_assert_eq(rn_jsonschema_compile(j, NULL, &s, &err), RN_OK);
    json_object_clear(j);
    json_decref(j);
    cr_expect(valid(s, "{\"k\": \"a\", \"c\": {\"x\": [1.0]}}"));
    cr_expect_not(valid(s, "{\"k\": \"z\"}"));
    rn_jsonschema_free(s);
    rn_jsonschema_free(NULL);
}

/* ------------------------------------------------------------------ semantics */

Test(jsonschema, numbers_follow_json_schema)
{
    rn_jsonschema *s = compile("{\"type\": \"integer\"}");
    cr_expect(valid(s, "1.0"));
    cr_expect(valid(s, "-0.0"));
    cr_expect(valid(s, "1e300"));
    cr_expect_not(valid(s, "1.5"));
    rn_jsonschema_free(s);

    /* exact integer comparison beyond 2^53 */
    s = compile("{\"maximum\": 9007199254740992}");
    cr_expect(valid(s, "9007199254740992"));
    cr_expect_not(valid(s, "9007199254740993"));
    rn_jsonschema_free(s);
    s = compile("{\"multipleOf\": 3}");
    cr_expect(valid(s, "9223372036854775806"));
    cr_expect_not(valid(s, "9223372036854775807"));
    cr_expect(valid(s, "-9223372036854775808") == false);
    rn_jsonschema_free(s);
    s = compile("{\"multipleOf\": 0.01}");
    cr_expect(valid(s, "105.39"));
    cr_expect(valid(s, "0.07"));
    cr_expect_not(valid(s, "0.075"));
    rn_jsonschema_free(s);

    /* 1 and 1.0 are equal for enum, const and uniqueItems */
    s = compile("{\"enum\": [1, {\"a\": [2.0]}], \"uniqueItems\": true}");
    cr_expect(valid(s, "1.0"));
    cr_expect(valid(s, "{\"a\": [2]}"));
    cr_expect_not(valid(s, "2"));
    rn_jsonschema_free(s);
}

Test(jsonschema, string_lengths_count_code_points)
{
    rn_jsonschema *s = compile("{\"minLength\": 2, \"maxLength\": 2}");
    cr_expect(valid(s, "\"\\u00e9\\u00e9\""));
    cr_expect(valid(s, "\"\\ud83d\\ude00x\""));
    cr_expect_not(valid(s, "\"\\ud83d\\ude00\""));
    cr_expect_not(valid(s, "\"abc\""));
    cr_expect(valid(s, "7"));
    rn_jsonschema_free(s);
}

Test(jsonschema, patterns_use_ecma_semantics)
{
    rn_jsonschema *s = compile("{\"pattern\": \"^\\\\d+$\"}");
    cr_expect(valid(s, "\"123\""));
    cr_expect_not(valid(s, "\"123\\n\""));         /* $ is end-only */
    cr_expect_not(valid(s, "\"\\u0661\\u0662\"")); /* \d is ASCII-only */
    rn_jsonschema_free(s);
    s = compile("{\"pattern\": \"a.c\"}");
    cr_expect(valid(s, "\"xxabcxx\"")); /* not anchored */
    cr_expect_not(valid(s, "\"a\\nc\""));
    rn_jsonschema_free(s);
}

Test(jsonschema, format_is_an_annotation_unless_asked)
{
    const char *sch =
        "{\"properties\": {\"t\": {\"format\": \"date-time\"}, \"id\": {\"format\": \"uuid\"},"
        " \"e\": {\"format\": \"email\"}, \"u\": {\"format\": \"no-such-format\"}}}";
    const char *bad = "{\"t\": \"2024-02-30T10:00:00Z\"}";
    rn_jsonschema *s = compile(sch);
    cr_expect(valid(s, bad));
    rn_jsonschema_free(s);
    rn_jsonschema_options o = {.format_assert = true};
    s = compile_opts(sch, &o);
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, bad, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message, "\"2024-02-30T10:00:00Z\" is not a valid \"date-time\"");
    cr_expect_not(valid(s, "{\"t\": \"2024-02-29T22:59:60Z\"}")); /* leap second at 22:59 */
    cr_expect(valid(s, "{\"t\": \"2024-02-29T23:59:60.5-00:00\"}"));
    cr_expect(valid(s, "{\"t\": \"2016-12-31T23:59:60Z\"}"));
    cr_expect(valid(s,
                    "{\"id\": \"3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60\", \"e\": \"a.b@example.com\","
                    " \"u\": \"anything\"}"));
    cr_expect_not(valid(s, "{\"id\": \"3f1c2a9e8b7d4c6e9f0a1b2c3d4e5f60\"}"));
    cr_expect_not(valid(s, "{\"e\": \"a..b@example.com\"}"));
    rn_jsonschema_free(s);
}

Test(jsonschema, unevaluated_with_many_properties_and_items)
{
    /* more than 256 properties/items: the annotation sets leave the stack */
    rn_jsonschema *s = compile("{\"allOf\": [{\"patternProperties\": {\"^p\": true}}],"
                               " \"properties\": {\"x\": true}, \"unevaluatedProperties\": false}");
    char *inst = malloc(64 * 1024);
    strcpy(inst, "{");
    for (int i = 0; i < 600; i++)
        sprintf(inst + strlen(inst), "%s\"p%d\": %d", i ? "," : "", i, i);
    strcat(inst, "}");
    cr_expect(valid(s, inst));
    strcpy(inst + strlen(inst) - 1, ", \"q\": 1}");
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, inst, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message, "unevaluated property \"q\" is not allowed");
    rn_jsonschema_free(s);

    s = compile("{\"prefixItems\": [true], \"contains\": {\"type\": \"string\"}, "
                "\"unevaluatedItems\": {\"type\": \"integer\"}}");
    strcpy(inst, "[null");
    for (int i = 0; i < 600; i++)
        strcat(inst, i % 2 ? ",\"s\"" : ",7");
    strcat(inst, "]");
    cr_expect(valid(s, inst));
    strcpy(inst + strlen(inst) - 1, ", 1.5]");
    cr_assert_eq(check(s, inst, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].instance_path, "/601");
    rn_jsonschema_free(s);
    free(inst);
}

Test(jsonschema, unique_items_on_long_arrays)
{
    rn_jsonschema *s = compile("{\"uniqueItems\": true}");
    char inst[8192] = "[";
    for (int i = 0; i < 200; i++)
        sprintf(inst + strlen(inst), "%s{\"k\": %d, \"v\": [%d]}", i ? "," : "", i, i);
    strcat(inst, "]");
    cr_expect(valid(s, inst));
    /* a duplicate with another key order and 1.0 for 1 */
    strcpy(inst + strlen(inst) - 1, ", {\"v\": [17.0], \"k\": 17}]");
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, inst, &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message, "array items 17 and 200 are equal");
    rn_jsonschema_free(s);
}

/* Two big objects with their members in opposite orders (the sorted comparison), and with
 * a shared prefix in the same order before the orders differ. */
static char *big_object_pair(int n, int differ_at)
{
    size_t cap = (size_t)n * 64 + 64;
    char *t = malloc(cap);
    cr_assert(t);
    size_t o = (size_t)sprintf(t, "[{");
    for (int i = 0; i < n; i++)
        o += (size_t)sprintf(t + o, "%s\"k%d\": %d", i ? ", " : "", i, i);
    o += (size_t)sprintf(t + o, "}, {");
    for (int i = 0; i < 3; i++) /* the same first three members, in the same order */
        o += (size_t)sprintf(t + o, "\"k%d\": %d, ", i, i);
    for (int i = n - 1; i >= 3; i--)
        o += (size_t)sprintf(t + o, "\"k%d\": %d%s", i, i == differ_at ? -1 : i, i > 3 ? ", " : "");
    sprintf(t + o, "}]");
    return t;
}

Test(jsonschema, large_objects_in_another_member_order)
{
    rn_jsonschema *s = compile("{\"uniqueItems\": true}");
    for (int n = 10; n <= 5000; n *= 10) {
        char *same = big_object_pair(n, -1), *other = big_object_pair(n, n / 2);
        cr_expect_eq(check_doc(s, same), RN_EINVAL, "n=%d: equal objects are not unique", n);
        cr_expect_eq(check_doc(s, other), RN_OK, "n=%d: one member differs", n);
        free(same);
        free(other);
    }
    rn_jsonschema_free(s);
}

Test(jsonschema, large_property_tables)
{
    char *sch = malloc(128 * 1024);
    strcpy(sch, "{\"additionalProperties\": false, \"properties\": {");
    for (int i = 0; i < 2000; i++)
        sprintf(sch + strlen(sch), "%s\"f%d\": {\"const\": %d}", i ? "," : "", i, i);
    strcat(sch, "}}");
    rn_jsonschema *s = compile(sch);
    cr_expect(valid(s, "{\"f0\": 0, \"f1999\": 1999, \"f777\": 777}"));
    cr_expect_not(valid(s, "{\"f777\": 778}"));
    cr_expect_not(valid(s, "{\"f2000\": 1}"));
    rn_jsonschema_free(s);
    free(sch);
}

Test(jsonschema, property_names_and_dependencies)
{
    rn_jsonschema *s = compile("{\"propertyNames\": {\"pattern\": \"^[a-z]+$\"},"
                               " \"dependentRequired\": {\"card\": [\"cvv\"]},"
                               " \"dependentSchemas\": {\"vip\": {\"required\": [\"tier\"]}}}");
    rn_jsonschema_errors errs;
    cr_expect(valid(s, "{\"card\": 1, \"cvv\": 2}"));
    cr_assert_eq(check(s, "{\"Bad\": 1}", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].keyword_location, "/propertyNames/pattern");
    cr_expect_str_eq(errs.e[0].message, "\"Bad\" does not match the pattern \"^[a-z]+$\"");
    cr_assert_eq(check(s, "{\"card\": 1}", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message, "property \"card\" requires property \"cvv\"");
    cr_expect_str_eq(errs.e[0].keyword_location, "/dependentRequired/card");
    cr_assert_eq(check(s, "{\"vip\": true}", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].keyword_location, "/dependentSchemas/vip/required");
    rn_jsonschema_free(s);
}

Test(jsonschema, strings_and_names_may_hold_nul)
{
    /* "\u0000" inside strings and member names: lengths count, not C strings */
    rn_jsonschema *s = compile("{\"const\": \"a\\u0000b\"}");
    cr_expect(valid(s, "\"a\\u0000b\""));
    cr_expect_not(valid(s, "\"a\""));
    cr_expect_not(valid(s, "\"a\\u0000c\""));
    rn_jsonschema_free(s);
    s = compile("{\"enum\": [\"x\\u0000\", \"y\"]}");
    cr_expect(valid(s, "\"x\\u0000\""));
    cr_expect_not(valid(s, "\"x\""));
    rn_jsonschema_free(s);
    s = compile("{\"minLength\": 3, \"maxLength\": 3}");
    cr_expect(valid(s, "\"\\u0000\\u0000\\u0000\""));
    cr_expect(valid(s, "\"a\\u0000\\u00e9\""));
    cr_expect_not(valid(s, "\"a\\u0000bc\""));
    rn_jsonschema_free(s);
    s = compile("{\"pattern\": \"^a$\"}"); /* simple: no PCRE2 */
    cr_expect_not(valid(s, "\"a\\u0000\""));
    rn_jsonschema_free(s);
    s = compile("{\"pattern\": \"b$\"}"); /* PCRE2, given the length */
    cr_expect(valid(s, "\"a\\u0000b\""));
    cr_expect_not(valid(s, "\"b\\u0000\""));
    rn_jsonschema_free(s);
    /* names: jansson cannot hold NUL in object keys, rn_jdoc can (so only validate_doc) */
    s = compile("{\"propertyNames\": {\"maxLength\": 2}, \"required\": [\"k\"],"
                " \"properties\": {\"k\": {\"type\": \"integer\"}},"
                " \"patternProperties\": {\"^k$\": {\"minimum\": 1}},"
                " \"additionalProperties\": {\"type\": \"string\"}}");
    cr_expect_eq(check_doc(s, "{\"k\": 1, \"k\\u0000\": \"s\"}"), RN_OK);
    cr_expect_eq(check_doc(s, "{\"k\\u0000\": \"s\"}"), RN_EINVAL);       /* required */
    cr_expect_eq(check_doc(s, "{\"k\": 1, \"k\\u0000\": 1}"), RN_EINVAL); /* additional */
    cr_expect_eq(check_doc(s, "{\"k\": 1, \"\\u0000\\u0000\": \"\"}"), RN_OK);
    cr_expect_eq(check_doc(s, "{\"k\": 1, \"k\\u0000x\": \"s\"}"), RN_EINVAL); /* names */
    rn_jsonschema_free(s);
    rn_jsonschema_options o = {.format_assert = true};
    s = compile_opts("{\"format\": \"email\"}", &o);
    cr_expect(valid(s, "\"a@example.com\""));
    cr_expect_not(valid(s, "\"a\\u0000@example.com\""));
    rn_jsonschema_free(s);
}

Test(jsonschema, equality_is_by_value)
{
    rn_jsonschema *s = compile("{\"const\": {\"a\": 1, \"b\": [1, 2.5, {\"c\": null}]}}");
    cr_expect(valid(s, "{\"a\": 1, \"b\": [1, 2.5, {\"c\": null}]}"));
    cr_expect(valid(s, "{\"b\": [1.0, 2.5, {\"c\": null}], \"a\": 1.0}")); /* any order, 1.0 */
    cr_expect_not(valid(s, "{\"a\": 1, \"b\": [2.5, 1, {\"c\": null}]}")); /* arrays ordered */
    cr_expect_not(valid(s, "{\"a\": 1, \"b\": [1, 2.5, {\"c\": false}]}"));
    cr_expect_not(valid(s, "{\"a\": 1, \"b\": [1, 2.5, {\"c\": null}], \"d\": 0}"));
    cr_expect_not(valid(s, "{\"a\": true, \"b\": [1, 2.5, {\"c\": null}]}"));
    rn_jsonschema_free(s);
    /* integers and reals compare exactly, also beyond 2^53 */
    s = compile("{\"enum\": [9007199254740993, 0, false]}");
    cr_expect(valid(s, "9007199254740993"));
    cr_expect_not(valid(s, "9007199254740992.0"));
    cr_expect(valid(s, "-0.0"));
    cr_expect(valid(s, "false"));
    cr_expect_not(valid(s, "null"));
    rn_jsonschema_free(s);
    s = compile("{\"uniqueItems\": true}");
    cr_expect_not(valid(s, "[1, 1.0]"));
    cr_expect_not(valid(s, "[{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}]"));
    cr_expect(valid(s, "[[1, 2], [2, 1], \"1\", 1, true, {}, []]"));
    rn_jsonschema_free(s);
}

Test(jsonschema, messages_print_reals_in_the_fewest_digits)
{
    /* numbers print as rn_jval_dump does: the shortest text that reads back (jansson's
     * printing gave 17 digits), and a real stays a real (2.0) */
    rn_jsonschema *s = compile("{\"maximum\": 0.1}");
    rn_jsonschema_errors errs;
    cr_assert_eq(check(s, "0.30000000000000004", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message, "0.30000000000000004 is greater than the maximum of 0.1");
    cr_assert_eq(check(s, "0.2", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message, "0.2 is greater than the maximum of 0.1");
    cr_assert_eq(check(s, "2.0", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message, "2.0 is greater than the maximum of 0.1");
    rn_jsonschema_free(s);
    s = compile("{\"const\": [1]}");
    cr_assert_eq(check(s, "\"tab\\there \\\"q\\\"\"", &errs), RN_EINVAL);
    cr_expect_str_eq(errs.e[0].message,
                     "\"tab\\there \\\"q\\\"\" is not equal to the constant an array");
    rn_jsonschema_free(s);
}

/* The patterns the simple matcher takes (or leaves to PCRE2), and its verdicts against
 * PCRE2's on many subjects. */
Test(jsonschema, simple_patterns_match_as_pcre2_does)
{
    static const struct {
        const char *re;
        bool simple;
    } pats[] = {
        {"^[0-9a-f]{12}$", true},
        {"^customer-[0-9]+$", true},
        {"^\\d+$", true},
        {"^[A-Z_]\\w*$", true},
        {"^ab{2,}c?$", true},
        {"^x?y*z{1,3}", true},
        {"^[-a-c.]+@x$", true},
        {"^$", true},
        {"^", true},
        {"^a\\.b\\-c$", true},
        {"^[\\]a]+$", true},
        {"^v[0-9]{1,3}\\.", true},
        {"^a*a$", false},
        {"^a*b?a$", false},
        {"^[a-z]+[0-9a-f]$", false},
        {"^.+$", false},
        {"^[^x]$", false},
        {"x+", false},
        {"^(a|b)$", false},
        {"^a+?$", false},
        {"^\\s$", false},
        {"^a{,2}$", false},
        {"^[]$", false},
        {"^\\u0041$", false},
        {"^a$b", false},
        {"^\\bx$", false},
        {"^\u00e9$", false},
    };
    static const char *subjects[] = {
        "",
        "a",
        "aa",
        "aaa",
        "ab",
        "abb",
        "abbc",
        "abbbcc",
        "000000000000",
        "00000000000g",
        "0000000000000",
        "customer-",
        "customer-4711",
        "customer-47x",
        "Customer-1",
        "123",
        "12a",
        "A_b9",
        "_",
        "9a",
        "xyz",
        "yyyzzz",
        "zzzz",
        "x",
        "a-c.@x",
        "@x",
        "a.b-c",
        "a.bxc",
        "]a]",
        "v12.",
        "v1234.",
        "\xc3\xa9",
        "a\xc3\xa9",
        "0\n",
        "ba",
        "b",
    };
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        char msg[200];
        pcre2_code *re =
            rn_jsonschema_regex_compile(pats[i].re, strlen(pats[i].re), false, msg, sizeof msg);
        cr_assert(re, "%s: %s", pats[i].re, msg);
        rn_arena a = {0};
        const rn_js_simple_re *sr = rn_jsonschema_regex_simple(&a, pats[i].re, strlen(pats[i].re));
        cr_expect_eq(sr != NULL, pats[i].simple, "%s simple: %d", pats[i].re, sr != NULL);
        for (size_t j = 0; sr && j < sizeof subjects / sizeof subjects[0]; j++) {
            size_t n = strlen(subjects[j]);
            int want = rn_jsonschema_regex_search(re, false, subjects[j], n);
            cr_expect_eq(
                rn_jsonschema_regex_search(re, rn_jsonschema_regex_is_jit(re), subjects[j], n),
                want);
            cr_expect_eq((int)rn_js_simple_match(sr, subjects[j], n), want, "%s on \"%s\"",
                         pats[i].re, subjects[j]);
        }
        rn_arena_fini(&a);
        pcre2_code_free(re);
    }
}

/* ------------------------------------------------------------------ limits */

Test(jsonschema, runaway_recursion_is_an_error_not_a_crash)
{
    rn_jsonschema *s =
        compile("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"$ref\": \"#/$defs/a\"}},"
                " \"$ref\": \"#/$defs/a\"}");
    rn_jsonschema_errors errs;
    json_t *j = json_integer(1);
    cr_expect_eq(rn_jsonschema_validate(s, j, &errs), RN_ERANGE);
    cr_expect_eq(errs.n, 1);
    cr_expect(strstr(errs.e[0].message, "deeper than"), "%s", errs.e[0].message);
    cr_expect_eq(rn_jsonschema_validate(s, j, NULL), RN_ERANGE);
    json_decref(j);
    rn_jsonschema_free(s);

    /* inside a muted branch too */
    s = compile("{\"anyOf\": [{\"$ref\": \"#\"}]}");
    j = json_integer(1);
    cr_expect_eq(rn_jsonschema_validate(s, j, &errs), RN_ERANGE);
    cr_expect_eq(errs.n, 1);
    json_decref(j);
    rn_jsonschema_free(s);

    /* a deep instance against a recursive schema */
    s = compile("{\"items\": {\"$ref\": \"#\"}}");
    json_t *deep = json_array();
    for (int i = 0; i < 1500; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, deep);
        deep = outer;
    }
    cr_expect_eq(rn_jsonschema_validate(s, deep, NULL), RN_ERANGE);
    json_decref(deep);
    rn_jsonschema_free(s);

    /* deeper than a document may nest (RN_JDOC_MAX_DEPTH): the jansson entry point cannot
     * copy it and says RN_ERANGE, even against a schema that would not descend */
    s = compile("{}");
    deep = json_array();
    for (int i = 0; i < RN_JDOC_MAX_DEPTH + 10; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, deep);
        deep = outer;
    }
    cr_expect_eq(rn_jsonschema_validate(s, deep, &errs), RN_ERANGE);
    cr_expect_eq(errs.n, 1);
    cr_expect(strstr(errs.e[0].message, "nests deeper than"), "%s", errs.e[0].message);
    json_decref(deep);
    rn_jsonschema_free(s);
}

/* ------------------------------------------------------------------ threads */

typedef struct worker {
    const rn_jsonschema *s;
    json_t *good, *bad;
    const rn_jval *dgood, *dbad; /* the same as rn_jval documents */
    int wrong;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 2000; i++) {
        rn_jsonschema_errors errs;
        if (rn_jsonschema_validate(w->s, w->good, i % 2 ? &errs : NULL) != RN_OK) w->wrong++;
        if (rn_jsonschema_validate(w->s, w->bad, &errs) != RN_EINVAL || errs.n != 2) w->wrong++;
        if (rn_jsonschema_validate_doc(w->s, w->dgood, i % 2 ? &errs : NULL) != RN_OK) w->wrong++;
        if (rn_jsonschema_validate_doc(w->s, w->dbad, &errs) != RN_EINVAL || errs.n != 2)
            w->wrong++;
    }
    return NULL;
}

Test(jsonschema, one_schema_many_threads)
{
    rn_jsonschema *s = compile(
        "{\"type\": \"object\", \"patternProperties\": {\"^id\": {\"pattern\": \"^[0-9a-f]+$\"}},"
        " \"properties\": {\"tags\": {\"uniqueItems\": true, \"items\": {\"pattern\": "
        "\"^\\\\w+$\"}}},"
        " \"unevaluatedProperties\": false}");
    const char *good = "{\"id1\": \"beef\", \"tags\": [\"a\", \"b_2\"]}";
    const char *bad = "{\"id1\": \"BEEF\", \"tags\": [\"a\"], \"zzz\": 1}";
    rn_arena docs = {0}; /* one document of each, shared by all threads */
    const rn_jval *dgood, *dbad;
    cr_assert_eq(rn_jdoc_parse(&docs, good, strlen(good), &dgood, NULL), RN_OK);
    cr_assert_eq(rn_jdoc_parse(&docs, bad, strlen(bad), &dbad, NULL), RN_OK);
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){s, parse(good), parse(bad), dgood, dbad, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(w[i].wrong, 0, "thread %d: %d wrong verdicts", i, w[i].wrong);
        json_decref(w[i].good);
        json_decref(w[i].bad);
    }
    rn_arena_fini(&docs);
    rn_jsonschema_free(s);
}

/* ------------------------------------------------------------------ speed (printed) */

Test(jsonschema, speed_of_a_realistic_event)
{
    rn_jsonschema *s = compile(
        "{\"type\": \"object\", \"required\": [\"eventId\", \"eventType\", \"eventTime\", "
        "\"data\"],"
        " \"properties\": {\"eventId\": {\"type\": \"string\", \"format\": \"uuid\"},"
        " \"eventType\": {\"type\": \"string\", \"pattern\": \"^[a-z]+\\\\.[a-z]+\\\\.v[0-9]+$\"},"
        " \"eventTime\": {\"type\": \"string\", \"format\": \"date-time\"},"
        " \"data\": {\"type\": \"object\", \"required\": [\"orderId\", \"items\"], "
        "\"additionalProperties\": false,"
        "  \"properties\": {\"orderId\": {\"type\": \"string\"}, \"total\": {\"type\": \"number\", "
        "\"minimum\": 0},"
        "   \"items\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/item\"}}}}},"
        " \"$defs\": {\"item\": {\"type\": \"object\", \"required\": [\"sku\", \"qty\", \"price\"],"
        "  \"properties\": {\"sku\": {\"type\": \"string\", \"pattern\": \"^[A-Z0-9-]+$\"},"
        "   \"qty\": {\"type\": \"integer\", \"minimum\": 1}, \"price\": {\"type\": \"number\", "
        "\"exclusiveMinimum\": 0},"
        "   \"name\": {\"type\": \"string\", \"maxLength\": 100}}}}}");
    json_t *ev =
        parse("{\"eventId\": \"3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60\", \"eventType\": "
              "\"order.placed.v1\","
              " \"eventTime\": \"2024-05-17T10:42:31.123Z\", \"data\": {\"orderId\": \"ORD-1\", "
              "\"total\": 105.39,"
              " \"items\": [{\"sku\": \"SKU-1\", \"qty\": 2, \"price\": 18.5, \"name\": \"Espresso "
              "beans 1kg\"},"
              " {\"sku\": \"SKU-2\", \"qty\": 1, \"price\": 39.99, \"name\": \"Milk frother\"},"
              " {\"sku\": \"SKU-3\", \"qty\": 4, \"price\": 7.25, \"name\": \"Ceramic cup\"},"
              " {\"sku\": \"SKU-4\", \"qty\": 1, \"price\": 9.9, \"name\": \"Descaler\"}]}}");
    /* the produce path: the event as an rn_jval document */
    rn_arena arena = {0};
    const rn_jval *doc;
    cr_assert_eq(rn_jdoc_from_jansson(&arena, ev, &doc), RN_OK);
    struct timespec a, b;
    int n = 20000;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        cr_assert_eq(rn_jsonschema_validate_doc(s, doc, NULL), RN_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / n;
    printf("jsonschema: %.2f us per validation of a ~600-byte event (this build)\n", us);
    rn_arena_fini(&arena);
    json_decref(ev);
    rn_jsonschema_free(s);
}
