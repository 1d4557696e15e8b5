/*
 * tests/unit/registry/test_registry.c - the schema registry's C API (registry.h) with
 * Confluent's semantics and error codes, its durability in registry.db (reopen, injected
 * write failures), thread safety of the broker-facing lookups, and the HTTP dispatcher
 * (http/http_registry.h) without sockets.
 */
#include "http/http_registry.h"
#include "registry/registry.h"
#include "registry/registry_int.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_A "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}"
#define S_AB                                                                                       \
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"            \
    "\"integer\"}}}"
#define S_AB_REQ                                                                                   \
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"            \
    "\"integer\"}},"                                                                               \
    "\"required\":[\"b\"]}"

static rn_registry *mem(void)
{
    rn_registry *r = NULL;
    rn_err err;
    cr_assert_eq(rn_registry_open(NULL, &r, &err), RN_OK, "%s", err.msg);
    return r;
}

static char tmpdir_buf[256];

static const char *tmpdir(void)
{
    snprintf(tmpdir_buf, sizeof tmpdir_buf, "/tmp/rn-registry-XXXXXX");
    cr_assert(mkdtemp(tmpdir_buf));
    return tmpdir_buf;
}

static void rmdir_all(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static rn_reg_schema_in in_of(const char *schema)
{
    rn_reg_schema_in in = {.schema = schema, .schema_type = NULL, .id = -1, .version = -1};
    return in;
}

static int reg(rn_registry *r, const char *subject, const char *schema, rn_reg_err *e)
{
    rn_reg_schema_in in = in_of(schema);
    int id = -1;
    int rc = rn_registry_register(r, subject, &in, &id, e);
    return rc ? -e->error_code : id;
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void expect_json(json_t *j, const char *want)
{
    char *s = dump(j);
    cr_expect_str_eq(s, want);
    free(s);
    json_decref(j);
}

/* ------------------------------------------------------------------ register, ids, versions */

Test(registry, register_and_read)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out;
    cr_assert_eq(reg(r, "orders-value", S_A, &e), 1);
    cr_assert_eq(rn_registry_list_subjects(r, false, &out, &e), RN_OK);
    expect_json(out, "[\"orders-value\"]");
    cr_assert_eq(rn_registry_list_versions(r, "orders-value", false, &out, &e), RN_OK);
    expect_json(out, "[1]");
    cr_assert_eq(rn_registry_get_version(r, "orders-value", -1, false, &out, &e), RN_OK);
    cr_expect_eq(json_integer_value(json_object_get(out, "id")), 1);
    cr_expect_eq(json_integer_value(json_object_get(out, "version")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(out, "schemaType")), "JSON");
    cr_expect_str_eq(json_string_value(json_object_get(out, "schema")), S_A);
    cr_expect_str_eq(json_string_value(json_object_get(out, "subject")), "orders-value");
    json_decref(out);
    cr_assert_eq(rn_registry_schema_by_id(r, 1, &out, &e), RN_OK);
    expect_json(out, "{\"schema\":\""
                     "{\\\"type\\\":\\\"object\\\",\\\"properties\\\":{\\\"a\\\":"
                     "{\\\"type\\\":\\\"string\\\"}}}"
                     "\",\"schemaType\":\"JSON\"}");
    rn_registry_close(r);
}

Test(registry, idempotent_and_canonical)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out;
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    /* same schema with other whitespace and key order: same id, no new version */
    cr_assert_eq(
        reg(r, "s",
            "{ \"properties\" : { \"a\" : { \"type\" : \"string\" } },\n \"type\":\"object\" }",
            &e),
        1);
    cr_assert_eq(rn_registry_list_versions(r, "s", false, &out, &e), RN_OK);
    expect_json(out, "[1]");
    rn_registry_close(r);
}

Test(registry, ids_are_global)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out;
    cr_assert_eq(reg(r, "one", S_A, &e), 1);
    cr_assert_eq(reg(r, "one", S_AB, &e), 2);
    cr_assert_eq(reg(r, "two", S_AB, &e), 2); /* same schema, other subject: same id */
    cr_assert_eq(rn_registry_get_version(r, "two", 1, false, &out, &e), RN_OK);
    cr_expect_eq(json_integer_value(json_object_get(out, "id")), 2);
    json_decref(out);
    cr_assert_eq(rn_registry_schema_versions(r, 2, false, &out, &e), RN_OK);
    expect_json(out, "[{\"subject\":\"one\",\"version\":2},{\"subject\":\"two\",\"version\":1}]");
    cr_assert_eq(rn_registry_schema_subjects(r, 2, false, &out, &e), RN_OK);
    expect_json(out, "[\"one\",\"two\"]");
    rn_registry_close(r);
}

Test(registry, not_found_codes)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out = NULL;
    cr_expect_eq(rn_registry_list_versions(r, "x", false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40401);
    cr_expect_str_eq(e.message, "Subject 'x' not found.");
    cr_assert_eq(reg(r, "x", S_A, &e), 1);
    cr_expect_eq(rn_registry_get_version(r, "x", 7, false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40402);
    cr_expect_str_eq(e.message, "Version 7 not found.");
    cr_expect_eq(rn_registry_schema_by_id(r, 99, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40403);
    cr_expect_eq(rn_reg_http_status(40403), 404);
    cr_expect_eq(rn_reg_http_status(409), 409);
    cr_expect_eq(rn_reg_http_status(42201), 422);
    cr_expect_eq(rn_reg_http_status(50001), 500);
    rn_registry_close(r);
}

Test(registry, invalid_schemas)
{
    rn_registry *r = mem();
    rn_reg_err e;
    cr_expect_eq(reg(r, "s", "{not json", &e), -42201);
    cr_expect(strstr(e.message, "Invalid schema: not valid JSON"), "%s", e.message);
    cr_expect_eq(reg(r, "s", "[1,2]", &e), -42201);
    cr_expect_eq(reg(r, "s", "{\"type\":5}", &e), -42201); /* does not compile */
    cr_expect_eq(reg(r, "s", "{\"type\":\"string\",\"minimum\":\"x\"}", &e), -42201);
    cr_expect_eq(reg(r, "s", "", &e), -42201);
    cr_expect_eq(reg(r, "s", "{\"a\":1,\"a\":2}", &e), -42201); /* duplicate keys */
    rn_reg_schema_in in = in_of(S_A);
    int id;
    in.schema_type = "AVRO";
    cr_expect_eq(rn_registry_register(r, "s", &in, &id, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42201);
    cr_expect(strstr(e.message, "AVRO") && strstr(e.message, "JSON"), "%s", e.message);
    in.schema_type = "PROTOBUF";
    cr_expect_eq(rn_registry_register(r, "s", &in, &id, &e), RN_EINVAL);
    in.schema_type = "JSON";
    in.has_references = true;
    cr_expect_eq(rn_registry_register(r, "s", &in, &id, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42201);
    cr_expect_eq(reg(r, "", S_A, &e), -42208);
    cr_expect_eq(reg(r, "bad\nname", S_A, &e), -42208);
    json_t *out;
    rn_registry_list_subjects(r, true, &out, &e);
    expect_json(out, "[]");
    rn_registry_close(r);
}

Test(registry, boolean_schema)
{
    rn_registry *r = mem();
    rn_reg_err e;
    cr_expect_eq(reg(r, "anything", "true", &e), 1);
    rn_registry_close(r);
}

/* ------------------------------------------------------------------ compatibility */

Test(registry, incompatible_is_409)
{
    rn_registry *r = mem();
    rn_reg_err e;
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_expect_eq(reg(r, "s", S_AB_REQ, &e), -409);
    cr_expect(strstr(e.message, "Schema being registered is incompatible with an earlier schema "
                                "for subject \"s\""),
              "%s", e.message);
    cr_expect(strstr(e.message, "#/required: REQUIRED_PROPERTY_ADDED"), "%s", e.message);
    cr_expect_eq(rn_reg_http_status(e.error_code), 409);
    /* an additive optional field is accepted */
    cr_expect_eq(reg(r, "s", S_AB, &e), 2);
    rn_registry_close(r);
}

Test(registry, check_endpoint)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out;
    rn_reg_schema_in in = in_of(S_AB_REQ);
    /* latest of an unknown subject: compatible; a named missing version: 40402 */
    cr_assert_eq(rn_registry_check(r, "s", -1, &in, false, &out, &e), RN_OK);
    expect_json(out, "{\"is_compatible\":true}");
    cr_expect_eq(rn_registry_check(r, "s", 3, &in, false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40402);
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_assert_eq(rn_registry_check(r, "s", -1, &in, false, &out, &e), RN_OK);
    expect_json(out, "{\"is_compatible\":false}");
    cr_assert_eq(rn_registry_check(r, "s", 1, &in, true, &out, &e), RN_OK);
    cr_expect(json_is_false(json_object_get(out, "is_compatible")));
    cr_expect_eq(json_array_size(json_object_get(out, "messages")), 1);
    cr_expect(strstr(json_string_value(json_array_get(json_object_get(out, "messages"), 0)),
                     "REQUIRED_PROPERTY_ADDED"));
    json_decref(out);
    in = in_of(S_AB);
    cr_assert_eq(rn_registry_check(r, "s", 0, &in, true, &out, &e), RN_OK);
    expect_json(out, "{\"is_compatible\":true,\"messages\":[]}");
    /* invalid schema: 42201, or a message when verbose */
    in = in_of("{oops");
    cr_expect_eq(rn_registry_check(r, "s", -1, &in, false, &out, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42201);
    cr_assert_eq(rn_registry_check(r, "s", -1, &in, true, &out, &e), RN_OK);
    cr_expect(json_is_false(json_object_get(out, "is_compatible")));
    json_decref(out);
    rn_registry_close(r);
}

Test(registry, levels_apply_on_register)
{
    rn_registry *r = mem();
    rn_reg_err e;
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_assert_eq(rn_registry_set_config(r, "s", RN_COMPAT_FORWARD, &e), RN_OK);
    cr_expect_eq(reg(r, "s", S_AB_REQ, &e), 2); /* forward: fine */
    cr_assert_eq(rn_registry_set_config(r, "s", RN_COMPAT_NONE, &e), RN_OK);
    cr_expect_eq(reg(r, "s", "{\"type\":\"string\"}", &e), 3);
    cr_assert_eq(rn_registry_set_config(r, NULL, RN_COMPAT_FULL, &e), RN_OK);
    rn_compat_level lv;
    cr_assert_eq(rn_registry_get_config(r, "s", false, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_NONE); /* subject level wins over global */
    rn_registry_close(r);
}

Test(registry, transitive_level)
{
    rn_registry *r = mem();
    rn_reg_err e;
    cr_assert_eq(rn_registry_set_config(r, "s", RN_COMPAT_NONE, &e), RN_OK);
    cr_assert_eq(reg(r, "s", "{\"type\":\"integer\",\"maximum\":100}", &e), 1);
    cr_assert_eq(reg(r, "s", "{\"type\":\"integer\",\"maximum\":50}", &e), 2);
    cr_assert_eq(rn_registry_set_config(r, "s", RN_COMPAT_BACKWARD_TRANSITIVE, &e), RN_OK);
    cr_expect_eq(reg(r, "s", "{\"type\":\"integer\",\"maximum\":70}", &e), -409);
    cr_assert_eq(rn_registry_set_config(r, "s", RN_COMPAT_BACKWARD, &e), RN_OK);
    cr_expect_eq(reg(r, "s", "{\"type\":\"integer\",\"maximum\":70}", &e), 3);
    rn_registry_close(r);
}

/* ------------------------------------------------------------------ config, mode */

Test(registry, config)
{
    rn_registry *r = mem();
    rn_reg_err e;
    rn_compat_level lv;
    cr_assert_eq(rn_registry_get_config(r, NULL, false, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_BACKWARD);
    cr_expect_eq(rn_registry_get_config(r, "s", false, &lv, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40408);
    cr_assert_eq(rn_registry_get_config(r, "s", true, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_BACKWARD);
    cr_assert_eq(rn_registry_set_config(r, "s", RN_COMPAT_FULL_TRANSITIVE, &e), RN_OK);
    cr_assert_eq(rn_registry_get_config(r, "s", false, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_FULL_TRANSITIVE);
    cr_assert_eq(rn_registry_delete_config(r, "s", &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_FULL_TRANSITIVE);
    cr_expect_eq(rn_registry_delete_config(r, "s", &lv, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40401);
    cr_assert_eq(rn_registry_set_config(r, NULL, RN_COMPAT_NONE, &e), RN_OK);
    cr_assert_eq(rn_registry_delete_config(r, NULL, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_NONE);
    cr_assert_eq(rn_registry_get_config(r, NULL, false, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_BACKWARD);
    /* a config alone does not make a subject appear in /subjects */
    json_t *out;
    rn_registry_set_config(r, "lonely", RN_COMPAT_FULL, &e);
    rn_registry_list_subjects(r, true, &out, &e);
    expect_json(out, "[]");
    cr_expect_eq(rn_compat_level_parse("full_transitive"), RN_COMPAT_FULL_TRANSITIVE);
    cr_expect_eq(rn_compat_level_parse("SIDEWAYS"), -1);
    rn_registry_close(r);
}

Test(registry, readonly_mode)
{
    rn_registry *r = mem();
    rn_reg_err e;
    rn_reg_mode m;
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_assert_eq(rn_registry_get_mode(r, NULL, false, &m, &e), RN_OK);
    cr_expect_eq(m, RN_MODE_READWRITE);
    cr_expect_eq(rn_registry_get_mode(r, "s", false, &m, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40409);
    cr_assert_eq(rn_registry_set_mode(r, "s", RN_MODE_READONLY, false, &e), RN_OK);
    cr_expect_eq(reg(r, "s", S_AB, &e), -42205);
    cr_expect_str_eq(e.message, "Subject s is in read-only mode");
    json_t *out;
    cr_expect_eq(rn_registry_delete_subject(r, "s", false, &out, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42205);
    cr_expect_eq(reg(r, "other", S_AB, &e), 2); /* other subjects are unaffected */
    cr_assert_eq(rn_registry_delete_mode(r, "s", &m, &e), RN_OK);
    cr_expect_eq(m, RN_MODE_READONLY);
    cr_expect_eq(reg(r, "s", S_AB, &e), 2);
    cr_assert_eq(rn_registry_set_mode(r, NULL, RN_MODE_READONLY, false, &e), RN_OK);
    cr_expect_eq(reg(r, "third", S_A, &e), -42205);
    rn_registry_close(r);
}

Test(registry, import_mode)
{
    rn_registry *r = mem();
    rn_reg_err e;
    int id;
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_expect_eq(rn_registry_set_mode(r, NULL, RN_MODE_IMPORT, false, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42205);
    rn_reg_schema_in in = in_of(S_AB_REQ);
    in.id = 42;
    in.version = 7;
    cr_expect_eq(rn_registry_register(r, "imp", &in, &id, &e), RN_EINVAL); /* not in IMPORT */
    cr_expect_eq(e.error_code, 42205);
    cr_assert_eq(rn_registry_set_mode(r, "imp", RN_MODE_IMPORT, false, &e), RN_OK);
    cr_assert_eq(rn_registry_register(r, "imp", &in, &id, &e), RN_OK, "%s", e.message);
    cr_expect_eq(id, 42);
    json_t *out;
    cr_assert_eq(rn_registry_get_version(r, "imp", 7, false, &out, &e), RN_OK);
    cr_expect_eq(json_integer_value(json_object_get(out, "id")), 42);
    json_decref(out);
    /* a different schema may not take id 42; the same schema may not take another id */
    rn_reg_schema_in in2 = in_of("{\"type\":\"string\"}");
    in2.id = 42;
    cr_expect_eq(rn_registry_register(r, "imp", &in2, &id, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42205);
    in.id = 43;
    in.version = 8;
    cr_assert_eq(rn_registry_set_mode(r, "imp2", RN_MODE_IMPORT, false, &e), RN_OK);
    cr_expect_eq(rn_registry_register(r, "imp2", &in, &id, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42207);
    /* IMPORT skips compatibility checks; new ids continue after the largest */
    cr_expect_eq(reg(r, "imp", "{\"type\":\"string\"}", &e), 43);
    rn_registry_close(r);
}

/* ------------------------------------------------------------------ deletes */

Test(registry, soft_and_hard_delete_subject)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out;
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_assert_eq(reg(r, "s", S_AB, &e), 2);
    cr_assert_eq(rn_registry_set_config(r, "s", RN_COMPAT_FULL, &e), RN_OK);
    cr_expect_eq(rn_registry_delete_subject(r, "s", true, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40405);
    cr_assert_eq(rn_registry_delete_subject(r, "s", false, &out, &e), RN_OK);
    expect_json(out, "[1,2]");
    rn_registry_list_subjects(r, false, &out, &e);
    expect_json(out, "[]");
    rn_registry_list_subjects(r, true, &out, &e);
    expect_json(out, "[\"s\"]");
    cr_expect_eq(rn_registry_list_versions(r, "s", false, &out, &e), RN_ENOTFOUND);
    cr_assert_eq(rn_registry_list_versions(r, "s", true, &out, &e), RN_OK);
    expect_json(out, "[1,2]");
    cr_assert_eq(rn_registry_get_version(r, "s", 2, true, &out, &e), RN_OK);
    json_decref(out);
    rn_compat_level lv;
    cr_expect_eq(rn_registry_get_config(r, "s", false, &lv, &e), RN_ENOTFOUND); /* dropped */
    /* ids still resolve after a soft delete (old data stays decodable) */
    cr_assert_eq(rn_registry_schema_by_id(r, 1, &out, &e), RN_OK);
    json_decref(out);
    cr_expect_eq(rn_registry_delete_subject(r, "s", false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40404);
    cr_assert_eq(rn_registry_delete_subject(r, "s", true, &out, &e), RN_OK);
    expect_json(out, "[1,2]");
    cr_expect_eq(rn_registry_schema_by_id(r, 1, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40403);
    cr_expect_eq(rn_registry_delete_subject(r, "s", false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40401);
    /* registering again starts at version 1 and reuses the id of the same schema */
    cr_expect_eq(reg(r, "s", S_AB, &e), 2);
    cr_assert_eq(rn_registry_list_versions(r, "s", false, &out, &e), RN_OK);
    expect_json(out, "[1]");
    rn_registry_close(r);
}

Test(registry, soft_and_hard_delete_version)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out;
    int v;
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_assert_eq(reg(r, "s", S_AB, &e), 2);
    cr_expect_eq(rn_registry_delete_version(r, "s", 1, true, &v, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40407);
    cr_assert_eq(rn_registry_delete_version(r, "s", -1, false, &v, &e), RN_OK);
    cr_expect_eq(v, 2);
    cr_expect_eq(rn_registry_delete_version(r, "s", 2, false, &v, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40406);
    cr_expect_eq(rn_registry_get_version(r, "s", 2, false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40402);
    cr_assert_eq(rn_registry_get_version(r, "s", -1, false, &out, &e), RN_OK);
    cr_expect_eq(json_integer_value(json_object_get(out, "version")), 1);
    json_decref(out);
    /* registering the soft-deleted schema again makes a new version */
    cr_expect_eq(reg(r, "s", S_AB, &e), 2);
    cr_assert_eq(rn_registry_list_versions(r, "s", true, &out, &e), RN_OK);
    expect_json(out, "[1,2,3]");
    cr_assert_eq(rn_registry_delete_version(r, "s", 2, true, &v, &e), RN_OK);
    cr_assert_eq(rn_registry_list_versions(r, "s", true, &out, &e), RN_OK);
    expect_json(out, "[1,3]");
    cr_expect_eq(rn_registry_delete_version(r, "s", 9, false, &v, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40402);
    cr_expect_eq(rn_registry_delete_version(r, "nope", 1, false, &v, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40401);
    rn_registry_close(r);
}

Test(registry, lookup)
{
    rn_registry *r = mem();
    rn_reg_err e;
    json_t *out;
    rn_reg_schema_in in = in_of(S_AB);
    cr_expect_eq(rn_registry_lookup(r, "s", &in, false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40401);
    cr_assert_eq(reg(r, "s", S_A, &e), 1);
    cr_expect_eq(rn_registry_lookup(r, "s", &in, false, &out, &e), RN_ENOTFOUND);
    cr_expect_eq(e.error_code, 40403);
    cr_assert_eq(reg(r, "s", S_AB, &e), 2);
    in = in_of("{\"properties\":{\"b\":{\"type\":\"integer\"},\"a\":{\"type\":\"string\"}},"
               "\"type\":\"object\"}");
    cr_assert_eq(rn_registry_lookup(r, "s", &in, false, &out, &e), RN_OK);
    cr_expect_eq(json_integer_value(json_object_get(out, "version")), 2);
    cr_expect_eq(json_integer_value(json_object_get(out, "id")), 2);
    json_decref(out);
    in = in_of("nope");
    cr_expect_eq(rn_registry_lookup(r, "s", &in, false, &out, &e), RN_EINVAL);
    cr_expect_eq(e.error_code, 42201);
    rn_registry_close(r);
}

/* ------------------------------------------------------------------ for the broker */

Test(registry, compiled_schemas_for_the_broker)
{
    rn_registry *r = mem();
    rn_reg_err e;
    rn_err err;
    const rn_jsonschema *js = NULL;
    int id = 0;
    cr_expect_eq(rn_registry_get_schema(r, "order.created.v1", -1, &js, &id, &err), RN_ENOTFOUND);
    cr_assert_eq(reg(r, "order.created.v1", "{\"type\":\"object\",\"required\":[\"n\"]}", &e), 1);
    cr_assert_eq(
        reg(r, "order.created.v1",
            "{\"type\":\"object\",\"required\":[\"n\"],\"properties\":{\"n\":{\"minimum\":0}}}",
            &e),
        2);
    cr_assert_eq(rn_registry_get_schema(r, "order.created.v1", -1, &js, &id, &err), RN_OK);
    cr_expect_eq(id, 2);
    const rn_jsonschema *via_fn = NULL;
    cr_assert_eq(rn_registry_schema_fn(r, "order.created.v1", -1, &via_fn, &id, &err), RN_OK);
    cr_expect_eq(via_fn, js);
    json_t *good = json_loads("{\"n\":1}", 0, NULL), *neg = json_loads("{\"n\":-1}", 0, NULL);
    cr_expect_eq(rn_jsonschema_validate(js, good, NULL), RN_OK);
    cr_expect_eq(rn_jsonschema_validate(js, neg, NULL), RN_EINVAL);
    cr_assert_eq(rn_registry_get_schema(r, "order.created.v1", 1, &js, &id, &err), RN_OK);
    cr_expect_eq(id, 1);
    cr_expect_eq(rn_jsonschema_validate(js, neg, NULL), RN_OK);
    const rn_jsonschema *by_id = NULL;
    cr_assert_eq(rn_registry_get_by_id(r, 1, &by_id, &err), RN_OK);
    cr_expect_eq(by_id, js);
    cr_expect_eq(rn_registry_get_schema(r, "order.created.v1", 3, &js, &id, &err), RN_ENOTFOUND);
    int v;
    cr_assert_eq(rn_registry_delete_version(r, "order.created.v1", 1, false, &v, &e), RN_OK);
    cr_expect_eq(rn_registry_get_schema(r, "order.created.v1", 1, &js, &id, &err), RN_ENOTFOUND);
    cr_expect(strstr(err.msg, "deleted"), "%s", err.msg);
    cr_expect_eq(rn_registry_get_by_id(r, 1, &by_id, &err), RN_OK); /* soft: still resolves */
    /* a compiled schema survives a hard delete until close */
    cr_assert_eq(rn_registry_delete_version(r, "order.created.v1", 1, true, &v, &e), RN_OK);
    cr_expect_eq(rn_registry_get_by_id(r, 1, &js, &err), RN_ENOTFOUND);
    cr_expect_eq(rn_jsonschema_validate(by_id, good, NULL), RN_OK);
    json_decref(good);
    json_decref(neg);
    rn_registry_close(r);
}

Test(registry, draft7_by_default)
{
    rn_registry *r = mem();
    rn_reg_err e;
    rn_err err;
    const rn_jsonschema *js;
    int id;
    cr_assert_eq(reg(r, "d7", "{\"type\":\"string\"}", &e), 1);
    cr_assert_eq(rn_registry_get_schema(r, "d7", -1, &js, &id, &err), RN_OK);
    cr_expect_eq(rn_jsonschema_draft_of(js), RN_JSONSCHEMA_DRAFT7);
    cr_assert_eq(
        reg(r, "d2020", "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}", &e), 2);
    cr_assert_eq(rn_registry_get_schema(r, "d2020", -1, &js, &id, &err), RN_OK);
    cr_expect_eq(rn_jsonschema_draft_of(js), RN_JSONSCHEMA_DRAFT2020_12);
    rn_registry_close(r);
}

typedef struct reader_arg {
    rn_registry *r;
    int failures;
} reader_arg;

static void *reader_thread(void *p)
{
    reader_arg *a = p;
    json_t *inst = json_loads("{\"a\":\"x\"}", 0, NULL);
    for (int i = 0; i < 2000; i++) {
        const rn_jsonschema *js;
        int id;
        rn_err err;
        if (rn_registry_get_schema(a->r, "hot", -1, &js, &id, &err) != RN_OK ||
            rn_jsonschema_validate(js, inst, NULL) != RN_OK)
            a->failures++;
    }
    json_decref(inst);
    return NULL;
}

Test(registry, concurrent_readers_and_writer)
{
    rn_registry *r = mem();
    rn_reg_err e;
    cr_assert_eq(reg(r, "hot", S_A, &e), 1);
    pthread_t th[4];
    reader_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (reader_arg){r, 0};
        pthread_create(&th[i], NULL, reader_thread, &args[i]);
    }
    char schema[256];
    for (int i = 0; i < 50; i++) { /* new optional properties: each compatible */
        snprintf(schema, sizeof schema,
                 "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"p%d\":{}}}",
                 i);
        cr_expect_gt(reg(r, "hot", schema, &e), 1, "%s", e.message);
        reg(r, "cold", schema, &e);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(args[i].failures, 0);
    }
    rn_registry_close(r);
}

/* ------------------------------------------------------------------ durability */

Test(registry, survives_reopen)
{
    const char *dir = tmpdir();
    rn_registry *r = NULL;
    rn_err err;
    rn_reg_err e;
    cr_assert_eq(rn_registry_open(dir, &r, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(reg(r, "a", S_A, &e), 1);
    cr_assert_eq(reg(r, "a", S_AB, &e), 2);
    cr_assert_eq(reg(r, "b", S_AB, &e), 2);
    cr_assert_eq(reg(r, "c", "{\"type\":\"string\"}", &e), 3);
    int v;
    cr_assert_eq(rn_registry_delete_version(r, "a", 1, false, &v, &e), RN_OK);
    json_t *out;
    cr_assert_eq(rn_registry_delete_subject(r, "c", false, &out, &e), RN_OK);
    json_decref(out);
    cr_assert_eq(rn_registry_delete_subject(r, "c", true, &out, &e), RN_OK);
    json_decref(out);
    cr_assert_eq(rn_registry_set_config(r, "b", RN_COMPAT_FULL, &e), RN_OK);
    cr_assert_eq(rn_registry_set_config(r, NULL, RN_COMPAT_NONE, &e), RN_OK);
    cr_assert_eq(rn_registry_set_mode(r, "b", RN_MODE_READONLY, false, &e), RN_OK);
    rn_registry_close(r);

    cr_assert_eq(rn_registry_open(dir, &r, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(rn_registry_list_subjects(r, true, &out, &e), RN_OK);
    expect_json(out, "[\"a\",\"b\"]");
    cr_assert_eq(rn_registry_list_versions(r, "a", true, &out, &e), RN_OK);
    expect_json(out, "[1,2]");
    cr_assert_eq(rn_registry_list_versions(r, "a", false, &out, &e), RN_OK);
    expect_json(out, "[2]");
    cr_assert_eq(rn_registry_get_version(r, "b", 1, false, &out, &e), RN_OK);
    cr_expect_eq(json_integer_value(json_object_get(out, "id")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(out, "schema")), S_AB);
    json_decref(out);
    cr_expect_eq(rn_registry_schema_by_id(r, 3, &out, &e), RN_ENOTFOUND);
    rn_compat_level lv;
    rn_reg_mode m;
    cr_assert_eq(rn_registry_get_config(r, "b", false, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_FULL);
    cr_assert_eq(rn_registry_get_config(r, NULL, false, &lv, &e), RN_OK);
    cr_expect_eq(lv, RN_COMPAT_NONE);
    cr_assert_eq(rn_registry_get_mode(r, "b", false, &m, &e), RN_OK);
    cr_expect_eq(m, RN_MODE_READONLY);
    /* ids continue, and are never reused for another schema */
    cr_expect_eq(reg(r, "d", "{\"type\":\"boolean\"}", &e), 4);
    cr_expect_eq(reg(r, "c", "{\"type\":\"string\"}", &e), 3);
    const rn_jsonschema *js;
    int id;
    cr_expect_eq(rn_registry_get_schema(r, "a", -1, &js, &id, &err), RN_OK);
    cr_expect_eq(id, 2);
    rn_registry_close(r);
    rmdir_all(dir);
}

Test(registry, write_failure_is_50001_and_changes_nothing)
{
    const char *dir = tmpdir();
    rn_registry *r = NULL;
    rn_err err;
    rn_reg_err e;
    json_t *out;
    cr_assert_eq(rn_registry_open(dir, &r, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(reg(r, "a", S_A, &e), 1);
    rn_reg_store_fail_writes(r, 1);
    cr_expect_eq(reg(r, "a", S_AB, &e), -50001);
    cr_expect(strstr(e.message, "injected"), "%s", e.message);
    rn_reg_store_fail_writes(r, 1);
    cr_expect_eq(reg(r, "new-subject", S_AB, &e), -50001);
    rn_reg_store_fail_writes(r, 1);
    cr_expect_eq(rn_registry_set_config(r, "a", RN_COMPAT_NONE, &e), RN_EIO);
    cr_expect_eq(e.error_code, 50001);
    rn_reg_store_fail_writes(r, 1);
    cr_expect_eq(rn_registry_delete_subject(r, "a", false, &out, &e), RN_EIO);
    cr_assert_eq(rn_registry_list_subjects(r, true, &out, &e), RN_OK);
    expect_json(out, "[\"a\"]");
    cr_assert_eq(rn_registry_list_versions(r, "a", false, &out, &e), RN_OK);
    expect_json(out, "[1]");
    cr_expect_eq(rn_registry_schema_by_id(r, 2, &out, &e), RN_ENOTFOUND);
    rn_compat_level lv;
    cr_expect_eq(rn_registry_get_config(r, "a", false, &lv, &e), RN_ENOTFOUND);
    /* and the next write works, with the id the failed one would have had */
    cr_expect_eq(reg(r, "a", S_AB, &e), 2);
    rn_registry_close(r);
    cr_assert_eq(rn_registry_open(dir, &r, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(rn_registry_list_versions(r, "a", false, &out, &e), RN_OK);
    expect_json(out, "[1,2]");
    rn_registry_close(r);
    rmdir_all(dir);
}

Test(registry, corrupt_database_is_reported)
{
    const char *dir = tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/registry.db", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("this is not an SQLite database, not even close, and long enough to be read", f);
    fclose(f);
    rn_registry *r = NULL;
    rn_err err;
    cr_expect_neq(rn_registry_open(dir, &r, &err), RN_OK);
    cr_expect(strstr(err.msg, "registry.db"), "%s", err.msg);
    cr_expect_null(r);
    rmdir_all(dir);
}

/* ------------------------------------------------------------------ HTTP dispatcher */

typedef struct resp_t {
    int status;
    char body[4096];
    const char *ctype;
} resp_t;

static resp_t call(rn_registry *r, const char *method, const char *target, const char *body,
                   const char *ctype)
{
    rn_http_request req = {.method = method,
                           .target = target,
                           .content_type = ctype,
                           .accept = NULL,
                           .body = body,
                           .body_len = body ? strlen(body) : 0};
    rn_http_response resp;
    resp_t out = {0};
    cr_assert_eq(rn_http_registry_handle(r, &req, &resp), 1, "%s not handled", target);
    out.status = resp.status;
    out.ctype = resp.content_type;
    snprintf(out.body, sizeof out.body, "%.*s", (int)resp.body_len, resp.body);
    free(resp.body);
    return out;
}

#define CT "application/vnd.schemaregistry.v1+json"

Test(http, routes_and_errors)
{
    rn_registry *r = mem();
    resp_t x = call(r, "POST", "/subjects/a%2Fb/versions",
                    "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\",\"schemaType\":\"JSON\"}", CT);
    cr_expect_eq(x.status, 200, "%s", x.body);
    cr_expect_str_eq(x.body, "{\"id\":1}");
    cr_expect_str_eq(x.ctype, CT);
    x = call(r, "GET", "/subjects", NULL, NULL);
    cr_expect_str_eq(x.body, "[\"a/b\"]");
    x = call(r, "GET", "/subjects/a%2Fb/versions/latest/schema", NULL, NULL);
    cr_expect_str_eq(x.body, "{\"type\":\"string\"}");
    x = call(r, "GET", "/subjects/a%2Fb/versions/0", NULL, NULL);
    cr_expect_eq(x.status, 422);
    cr_expect_str_eq(x.body,
                     "{\"error_code\":42202,\"message\":\"The specified version '0' is not a "
                     "valid version id. Allowed values are between [1, 2^31-1] and the "
                     "string \\\"latest\\\"\"}");
    x = call(r, "GET", "/subjects/a%2Fb/versions/2147483648", NULL, NULL);
    cr_expect_eq(x.status, 422);
    x = call(r, "GET", "/subjects/nope/versions", NULL, NULL);
    cr_expect_eq(x.status, 404);
    cr_expect_str_eq(x.body, "{\"error_code\":40401,\"message\":\"Subject 'nope' not found.\"}");
    x = call(r, "PATCH", "/subjects", NULL, NULL);
    cr_expect_eq(x.status, 405);
    x = call(r, "GET", "/subjects/a/b/c/d/e", NULL, NULL);
    cr_expect_eq(x.status, 404);
    x = call(r, "GET", "/subjects/%zz", NULL, NULL);
    cr_expect_eq(x.status, 400);
    x = call(r, "POST", "/subjects/s/versions", "{\"schema\":\"{}\"}", "text/plain");
    cr_expect_eq(x.status, 415);
    x = call(r, "POST", "/subjects/s/versions", "{\"schema\":", CT);
    cr_expect_eq(x.status, 400);
    x = call(r, "POST", "/subjects/s/versions", "[]", CT);
    cr_expect_eq(x.status, 422);
    x = call(r, "POST", "/subjects/s/versions", "{\"schema\":{}}", "application/json");
    cr_expect_eq(x.status, 422);
    cr_expect(strstr(x.body, "42201"), "%s", x.body);
    x = call(r, "POST", "/subjects/s/versions", "{\"schema\":\"{}\",\"schemaType\":\"AVRO\"}",
             NULL);
    cr_expect_eq(x.status, 422);
    cr_expect(strstr(x.body, "42201"), "%s", x.body);
    x = call(r, "GET", "/schemas/ids/1", NULL, NULL);
    cr_expect_str_eq(x.body,
                     "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\",\"schemaType\":\"JSON\"}");
    x = call(r, "GET", "/schemas/ids/x", NULL, NULL);
    cr_expect_eq(x.status, 404);
    cr_expect(strstr(x.body, "40403"), "%s", x.body);
    x = call(r, "GET", "/schemas/ids/1/versions", NULL, NULL);
    cr_expect_str_eq(x.body, "[{\"subject\":\"a/b\",\"version\":1}]");
    x = call(r, "GET", "/schemas/types", NULL, NULL);
    cr_expect_str_eq(x.body, "[\"JSON\"]");
    x = call(r, "GET", "/", NULL, NULL);
    cr_expect_str_eq(x.body, "{}");
    rn_registry_close(r);
}

Test(http, config_mode_compatibility)
{
    rn_registry *r = mem();
    resp_t x = call(r, "PUT", "/config/s", "{\"compatibility\":\"full\"}", CT);
    cr_expect_eq(x.status, 200);
    cr_expect_str_eq(x.body, "{\"compatibility\":\"FULL\"}");
    x = call(r, "GET", "/config/s", NULL, NULL);
    cr_expect_str_eq(x.body, "{\"compatibilityLevel\":\"FULL\"}");
    x = call(r, "GET", "/config/t", NULL, NULL);
    cr_expect_eq(x.status, 404);
    cr_expect(strstr(x.body, "40408"), "%s", x.body);
    x = call(r, "GET", "/config/t?defaultToGlobal=true", NULL, NULL);
    cr_expect_str_eq(x.body, "{\"compatibilityLevel\":\"BACKWARD\"}");
    x = call(r, "PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}", CT);
    cr_expect_eq(x.status, 422);
    cr_expect(strstr(x.body, "42203"), "%s", x.body);
    x = call(r, "DELETE", "/config/s", NULL, NULL);
    cr_expect_str_eq(x.body, "{\"compatibilityLevel\":\"FULL\"}");
    x = call(r, "PUT", "/mode", "{\"mode\":\"READONLY\"}", CT);
    cr_expect_str_eq(x.body, "{\"mode\":\"READONLY\"}");
    x = call(r, "POST", "/subjects/s/versions", "{\"schema\":\"{}\"}", CT);
    cr_expect_eq(x.status, 422);
    cr_expect(strstr(x.body, "42205"), "%s", x.body);
    x = call(r, "PUT", "/mode", "{\"mode\":\"WRITEONLY\"}", CT);
    cr_expect_eq(x.status, 422);
    cr_expect(strstr(x.body, "42204"), "%s", x.body);
    x = call(r, "PUT", "/mode", "{\"mode\":\"READWRITE\"}", CT);
    x = call(r, "POST", "/subjects/s/versions", "{\"schema\":\"{\\\"type\\\":\\\"object\\\"}\"}",
             CT);
    cr_expect_eq(x.status, 200);
    x = call(r, "POST", "/compatibility/subjects/s/versions/latest?verbose=true",
             "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\"}", CT);
    cr_expect_eq(x.status, 200);
    cr_expect(strstr(x.body, "\"is_compatible\":false"), "%s", x.body);
    cr_expect(strstr(x.body, "TYPE_NARROWED"), "%s", x.body);
    x = call(r, "POST", "/compatibility/subjects/s/versions/9",
             "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\"}", CT);
    cr_expect_eq(x.status, 404);
    cr_expect(strstr(x.body, "40402"), "%s", x.body);
    x = call(r, "POST", "/subjects/s/versions", "{\"schema\":\"{\\\"type\\\":\\\"string\\\"}\"}",
             CT);
    cr_expect_eq(x.status, 409);
    cr_expect(strstr(x.body, "\"error_code\":409"), "%s", x.body);
    x = call(r, "DELETE", "/subjects/s/versions/1", NULL, NULL);
    cr_expect_str_eq(x.body, "1");
    x = call(r, "DELETE", "/subjects/s?permanent=true", NULL, NULL);
    cr_expect_str_eq(x.body, "[1]");
    rn_registry_close(r);
}

Test(http, not_registry_paths)
{
    rn_http_request req = {.method = "GET", .target = "/health"};
    rn_http_response resp;
    cr_expect_eq(rn_http_registry_handle(NULL, &req, &resp), 0);
    req.target = "/subjectsX";
    cr_expect_eq(rn_http_registry_handle(NULL, &req, &resp), 0);
    req.target = "/subjects";
    cr_expect_eq(rn_http_registry_handle(NULL, &req, &resp), 1);
    cr_expect_eq(resp.status, 503);
    free(resp.body);
}

Test(http, accept_negotiation)
{
    rn_registry *r = mem();
    rn_http_request req = {.method = "GET", .target = "/subjects", .accept = "application/json"};
    rn_http_response resp;
    cr_assert_eq(rn_http_registry_handle(r, &req, &resp), 1);
    cr_expect_str_eq(resp.content_type, "application/json");
    free(resp.body);
    req.accept = "application/vnd.schemaregistry.v1+json, application/json;q=0.5";
    cr_assert_eq(rn_http_registry_handle(r, &req, &resp), 1);
    cr_expect_str_eq(resp.content_type, CT);
    free(resp.body);
    rn_registry_close(r);
}

Test(http, percent_decode)
{
    char out[64];
    cr_expect_eq(rn_http_percent_decode("a%2Fb+c", 7, out, 0), 5);
    cr_expect_str_eq(out, "a/b+c");
    cr_expect_eq(rn_http_percent_decode("a%2fb+c", 7, out, 1), 5);
    cr_expect_str_eq(out, "a/b c");
    cr_expect_eq(rn_http_percent_decode("%", 1, out, 0), -1);
    cr_expect_eq(rn_http_percent_decode("%4", 2, out, 0), -1);
    cr_expect_eq(rn_http_percent_decode("%00", 3, out, 0), -1);
    cr_expect_eq(rn_http_percent_decode("%e2%82%ac", 9, out, 0), 3);
}
