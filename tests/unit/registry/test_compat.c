/*
 * tests/unit/registry/test_compat.c - the JSON Schema compatibility rules of
 * docs/schema-registry.md, one test (or a few) per rule.
 *
 * Convention: ok(reader, writer) asserts rn_compat_check accepts; bad(reader, writer, RULE)
 * asserts it refuses with a message naming RULE (and, where given, the JSON pointer).
 * For BACKWARD the reader is the new schema and the writer the old one.
 */
#include "registry/registry.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

static json_t *parse(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &je);
    cr_assert(j, "bad test JSON: %s: %s", s, je.text);
    return j;
}

static char *joined(const json_t *msgs)
{
    char *s = json_dumps(msgs, JSON_INDENT(1));
    return s;
}

static void ok(const char *reader, const char *writer)
{
    json_t *r = parse(reader), *w = parse(writer), *m = json_array();
    int res = rn_compat_check(r, w, m);
    char *s = joined(m);
    cr_expect(res == 1, "expected compatible:\n reader %s\n writer %s\n messages %s", reader,
              writer, s);
    cr_expect(json_array_size(m) == 0, "compatible but messages %s", s);
    free(s);
    json_decref(r);
    json_decref(w);
    json_decref(m);
}

/* rule: substring every refusal must show; path: substring of the same message (or NULL). */
static void bad(const char *reader, const char *writer, const char *rule, const char *path)
{
    json_t *r = parse(reader), *w = parse(writer), *m = json_array();
    int res = rn_compat_check(r, w, m);
    char *s = joined(m);
    cr_expect(res == 0, "expected incompatible (%s):\n reader %s\n writer %s", rule, reader,
              writer);
    bool found = false;
    size_t i;
    json_t *x;
    json_array_foreach(m, i, x)
    {
        const char *t = json_string_value(x);
        if (strstr(t, rule) && (!path || !strncmp(t, path, strlen(path)))) found = true;
    }
    cr_expect(found, "no message with rule %s at %s in %s", rule, path ? path : "(any)", s);
    free(s);
    json_decref(r);
    json_decref(w);
    json_decref(m);
}

#define OBJ_A "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}"

/* ------------------------------------------------------------------ basics */

Test(compat, identical_schemas)
{
    const char *s =
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":5},"
        "\"b\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}},"
        "\"required\":[\"a\"],\"additionalProperties\":false}";
    ok(s, s);
}

Test(compat, annotations_ignored)
{
    ok("{\"type\":\"string\",\"title\":\"new\",\"description\":\"d\",\"examples\":[\"x\"]}",
       "{\"type\":\"string\",\"title\":\"old\",\"default\":\"y\"}");
}

Test(compat, boolean_schemas)
{
    ok("true", "{\"type\":\"string\"}");
    ok("{\"type\":\"string\"}", "false");
    ok("{}", "true");
    bad("false", "{\"type\":\"string\"}", "FALSE_SCHEMA", "#");
    bad("{\"type\":\"string\"}", "true", "TYPE_NARROWED", "#/type");
}

/* ------------------------------------------------------------------ properties */

Test(compat, optional_property_added_to_open_model)
{
    ok("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"
       "\"integer\"}}}",
       OBJ_A "}");
}

Test(compat, optional_property_added_to_closed_model)
{
    ok("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"
       "\"integer\"}},"
       "\"additionalProperties\":false}",
       OBJ_A ",\"additionalProperties\":false}");
}

Test(compat, property_added_against_partially_open_model)
{
    /* the old schema allowed extra string properties: a new integer "b" conflicts */
    bad("{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"integer\"}}}",
        "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}",
        "PROPERTY_ADDED_NOT_COVERED", "#/properties/b");
    ok("{\"type\":\"object\",\"properties\":{\"b\":{\"type\":[\"string\",\"null\"]}}}",
       "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}");
    bad("{\"type\":\"object\",\"properties\":{\"x_b\":{\"type\":\"integer\"}}}",
        "{\"type\":\"object\",\"patternProperties\":{\"^x_\":{\"type\":\"string\"}}}",
        "PROPERTY_ADDED_NOT_COVERED", "#/properties/x_b");
}

Test(compat, required_property_added)
{
    bad("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"
        "\"integer\"}},"
        "\"required\":[\"b\"]}",
        OBJ_A "}", "REQUIRED_PROPERTY_ADDED", "#/required");
}

Test(compat, optional_property_made_required)
{
    bad(OBJ_A ",\"required\":[\"a\"]}", OBJ_A "}", "REQUIRED_PROPERTY_ADDED", "#/required");
}

Test(compat, required_removed)
{
    ok(OBJ_A "}", OBJ_A ",\"required\":[\"a\"]}");
}

Test(compat, property_removed_open_model)
{
    ok("{\"type\":\"object\"}", OBJ_A "}");
    ok("{\"type\":\"object\",\"additionalProperties\":true}", OBJ_A "}");
}

Test(compat, property_removed_closed_model)
{
    bad("{\"type\":\"object\",\"additionalProperties\":false}",
        OBJ_A ",\"additionalProperties\":false}", "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "#/properties/a");
}

Test(compat, property_removed_partially_open_model)
{
    bad("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}",
        OBJ_A ",\"additionalProperties\":{\"type\":\"integer\"}}", "PROPERTY_REMOVED_NOT_COVERED",
        "#/properties/a");
    ok("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}",
       OBJ_A ",\"additionalProperties\":{\"type\":\"string\"}}");
    /* a pattern of the reader takes the removed property over */
    ok("{\"type\":\"object\",\"patternProperties\":{\"^a$\":{\"type\":\"string\"}},"
       "\"additionalProperties\":false}",
       OBJ_A ",\"additionalProperties\":false}");
}

Test(compat, additional_properties_closed)
{
    bad(OBJ_A ",\"additionalProperties\":false}", OBJ_A "}", "ADDITIONAL_PROPERTIES_REMOVED",
        "#/additionalProperties");
}

Test(compat, additional_properties_opened)
{
    ok(OBJ_A "}", OBJ_A ",\"additionalProperties\":false}");
    ok(OBJ_A ",\"additionalProperties\":{\"type\":\"string\"}}",
       OBJ_A ",\"additionalProperties\":false}");
}

Test(compat, additional_properties_narrowed)
{
    bad(OBJ_A ",\"additionalProperties\":{\"type\":\"string\"}}", OBJ_A "}",
        "ADDITIONAL_PROPERTIES_NARROWED", "#/additionalProperties");
    bad(OBJ_A ",\"additionalProperties\":{\"type\":\"integer\"}}",
        OBJ_A ",\"additionalProperties\":{\"type\":\"number\"}}", "TYPE_NARROWED",
        "#/additionalProperties/type");
    ok(OBJ_A ",\"additionalProperties\":{\"type\":\"number\"}}",
       OBJ_A ",\"additionalProperties\":{\"type\":\"integer\"}}");
}

Test(compat, pattern_properties)
{
    bad(OBJ_A ",\"patternProperties\":{\"^x_\":{\"type\":\"string\"}}}", OBJ_A "}",
        "PATTERN_PROPERTY_ADDED", "#/patternProperties/^x_");
    ok(OBJ_A ",\"patternProperties\":{\"^x_\":{\"type\":[\"string\",\"number\"]}}}",
       OBJ_A ",\"patternProperties\":{\"^x_\":{\"type\":\"string\"}}}");
    bad(OBJ_A ",\"patternProperties\":{\"^x_\":{\"type\":\"string\"}}}",
        OBJ_A ",\"patternProperties\":{\"^x_\":{\"type\":[\"string\",\"number\"]}}}",
        "TYPE_NARROWED", "#/patternProperties/^x_/type");
    bad(OBJ_A ",\"additionalProperties\":false}",
        OBJ_A ",\"patternProperties\":{\"^x_\":{}},\"additionalProperties\":false}",
        "PATTERN_PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/patternProperties/^x_");
}

Test(compat, nested_objects)
{
    const char *old = "{\"type\":\"object\",\"properties\":{\"address\":{\"type\":\"object\","
                      "\"properties\":{\"zip\":{\"type\":\"string\"}}}}}";
    const char *added_required =
        "{\"type\":\"object\",\"properties\":{\"address\":{\"type\":\"object\","
        "\"properties\":{\"zip\":{\"type\":\"string\"},\"city\":{\"type\":"
        "\"string\"}},\"required\":[\"city\"]}}}";
    const char *added_optional =
        "{\"type\":\"object\",\"properties\":{\"address\":{\"type\":\"object\","
        "\"properties\":{\"zip\":{\"type\":\"string\"},\"city\":{\"type\":"
        "\"string\"}}}}}";
    bad(added_required, old, "REQUIRED_PROPERTY_ADDED", "#/properties/address/required");
    ok(added_optional, old);
    bad("{\"type\":\"object\",\"properties\":{\"address\":{\"type\":\"object\",\"properties\":{"
        "\"zip\":"
        "{\"type\":\"integer\"}}}}}",
        old, "TYPE_NARROWED", "#/properties/address/properties/zip/type");
}

Test(compat, property_names)
{
    bad(OBJ_A ",\"propertyNames\":{\"maxLength\":3}}", OBJ_A "}", "PROPERTY_NAMES_NARROWED",
        "#/propertyNames");
    ok(OBJ_A ",\"propertyNames\":{\"maxLength\":10}}",
       OBJ_A ",\"propertyNames\":{\"maxLength\":3}}");
}

Test(compat, min_max_properties)
{
    bad(OBJ_A ",\"minProperties\":2}", OBJ_A ",\"minProperties\":1}", "MIN_PROPERTIES_INCREASED",
        "#/minProperties");
    bad(OBJ_A ",\"maxProperties\":2}", OBJ_A "}", "MAX_PROPERTIES_DECREASED", "#/maxProperties");
    ok(OBJ_A ",\"maxProperties\":5}", OBJ_A ",\"maxProperties\":2}");
}

Test(compat, dependent_required)
{
    bad(OBJ_A ",\"dependentRequired\":{\"a\":[\"b\"]}}", OBJ_A "}", "DEPENDENCY_ADDED",
        "#/dependentRequired/a");
    bad(OBJ_A ",\"dependencies\":{\"a\":[\"b\"]}}", OBJ_A "}", "DEPENDENCY_ADDED",
        "#/dependencies/a");
    ok(OBJ_A "}", OBJ_A ",\"dependentRequired\":{\"a\":[\"b\"]}}");
    ok(OBJ_A ",\"dependentRequired\":{\"a\":[\"b\"]}}", OBJ_A ",\"required\":[\"b\"]}");
}

/* ------------------------------------------------------------------ types */

Test(compat, type_changed)
{
    bad("{\"type\":\"integer\"}", "{\"type\":\"string\"}", "TYPE_NARROWED", "#/type");
    bad("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"}}}", OBJ_A "}",
        "TYPE_NARROWED", "#/properties/a/type");
}

Test(compat, integer_widened_to_number)
{
    ok("{\"type\":\"number\"}", "{\"type\":\"integer\"}");
    bad("{\"type\":\"integer\"}", "{\"type\":\"number\"}", "TYPE_NARROWED", "#/type");
}

Test(compat, type_union)
{
    ok("{\"type\":[\"string\",\"null\"]}", "{\"type\":\"string\"}");
    bad("{\"type\":\"string\"}", "{\"type\":[\"string\",\"null\"]}", "TYPE_NARROWED", "#/type");
    bad("{\"type\":\"string\"}", "{}", "TYPE_NARROWED", "#/type");
    ok("{}", "{\"type\":\"string\"}");
}

/* ------------------------------------------------------------------ enum, const */

Test(compat, enum_widened)
{
    ok("{\"enum\":[\"a\",\"b\",\"c\"]}", "{\"enum\":[\"a\",\"b\"]}");
}

Test(compat, enum_narrowed)
{
    bad("{\"enum\":[\"a\"]}", "{\"enum\":[\"a\",\"b\"]}", "ENUM_", "#");
    bad("{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"enum\":[\"a\"]}},"
        "\"required\":[\"s\"]}",
        "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]}},"
        "\"required\":[\"s\"]}",
        "ENUM_", "#/properties/s");
}

Test(compat, enum_added)
{
    bad("{\"type\":\"string\",\"enum\":[\"a\",\"b\"]}", "{\"type\":\"string\"}", "ENUM_ADDED",
        "#/enum");
    ok("{\"type\":\"string\"}", "{\"type\":\"string\",\"enum\":[\"a\",\"b\"]}");
}

Test(compat, const_changed)
{
    bad("{\"const\":\"v2\"}", "{\"const\":\"v1\"}", "ENUM_VALUE_REJECTED", "#");
    ok("{\"enum\":[\"v1\",\"v2\"]}", "{\"const\":\"v1\"}");
    ok("{\"const\":1}", "{\"const\":1.0}");
}

Test(compat, enum_values_checked_by_validator)
{
    /* a writer's enum is a finite set: each value is validated against the reader */
    ok("{\"type\":\"integer\",\"minimum\":0,\"maximum\":9}", "{\"enum\":[1,2,3]}");
    bad("{\"type\":\"integer\",\"minimum\":2}", "{\"enum\":[1,2,3]}", "ENUM_VALUE_REJECTED", "#");
    ok("{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"}", "{\"enum\":[\"ab\",\"cd\"]}");
}

/* ------------------------------------------------------------------ numbers */

Test(compat, minimum)
{
    bad("{\"type\":\"number\",\"minimum\":5}", "{\"type\":\"number\",\"minimum\":0}",
        "MINIMUM_INCREASED", "#/minimum");
    bad("{\"type\":\"number\",\"minimum\":5}", "{\"type\":\"number\"}", "MINIMUM_INCREASED",
        "#/minimum");
    ok("{\"type\":\"number\",\"minimum\":0}", "{\"type\":\"number\",\"minimum\":5}");
    ok("{\"type\":\"number\"}", "{\"type\":\"number\",\"minimum\":5}");
}

Test(compat, exclusive_minimum)
{
    bad("{\"type\":\"number\",\"exclusiveMinimum\":0}", "{\"type\":\"number\",\"minimum\":0}",
        "MINIMUM_INCREASED", "#/exclusiveMinimum");
    ok("{\"type\":\"number\",\"minimum\":0}", "{\"type\":\"number\",\"exclusiveMinimum\":0}");
    /* integers only: > 0 is the same as >= 1 */
    ok("{\"type\":\"integer\",\"exclusiveMinimum\":0}", "{\"type\":\"integer\",\"minimum\":1}");
}

Test(compat, maximum)
{
    bad("{\"type\":\"integer\",\"maximum\":10}", "{\"type\":\"integer\",\"maximum\":100}",
        "MAXIMUM_DECREASED", "#/maximum");
    ok("{\"type\":\"integer\",\"maximum\":100}", "{\"type\":\"integer\",\"maximum\":10}");
    bad("{\"type\":\"number\",\"exclusiveMaximum\":10}", "{\"type\":\"number\",\"maximum\":10}",
        "MAXIMUM_DECREASED", "#/exclusiveMaximum");
}

Test(compat, multiple_of)
{
    bad("{\"type\":\"integer\",\"multipleOf\":4}", "{\"type\":\"integer\",\"multipleOf\":2}",
        "MULTIPLE_OF_CHANGED", "#/multipleOf");
    ok("{\"type\":\"integer\",\"multipleOf\":2}", "{\"type\":\"integer\",\"multipleOf\":4}");
    bad("{\"type\":\"number\",\"multipleOf\":0.5}", "{\"type\":\"number\"}", "MULTIPLE_OF_CHANGED",
        "#/multipleOf");
    ok("{\"type\":\"number\",\"multipleOf\":0.5}", "{\"type\":\"integer\"}");
}

Test(compat, numeric_keywords_ignored_for_other_types)
{
    /* "minimum" constrains numbers only: a string schema is unaffected */
    ok("{\"type\":\"string\",\"minimum\":5}", "{\"type\":\"string\"}");
}

/* ------------------------------------------------------------------ strings */

Test(compat, string_lengths)
{
    bad("{\"type\":\"string\",\"maxLength\":10}", "{\"type\":\"string\",\"maxLength\":20}",
        "MAX_LENGTH_DECREASED", "#/maxLength");
    bad("{\"type\":\"string\",\"maxLength\":10}", "{\"type\":\"string\"}", "MAX_LENGTH_DECREASED",
        "#/maxLength");
    bad("{\"type\":\"string\",\"minLength\":3}", "{\"type\":\"string\",\"minLength\":1}",
        "MIN_LENGTH_INCREASED", "#/minLength");
    ok("{\"type\":\"string\",\"maxLength\":20,\"minLength\":1}",
       "{\"type\":\"string\",\"maxLength\":10,\"minLength\":3}");
}

Test(compat, pattern)
{
    bad("{\"type\":\"string\",\"pattern\":\"^a\"}", "{\"type\":\"string\"}", "PATTERN_ADDED",
        "#/pattern");
    bad("{\"type\":\"string\",\"pattern\":\"^a\"}", "{\"type\":\"string\",\"pattern\":\"^b\"}",
        "PATTERN_CHANGED", "#/pattern");
    ok("{\"type\":\"string\"}", "{\"type\":\"string\",\"pattern\":\"^a\"}");
    ok("{\"type\":\"string\",\"pattern\":\"^a\"}", "{\"type\":\"string\",\"pattern\":\"^a\"}");
}

Test(compat, format)
{
    bad("{\"type\":\"string\",\"format\":\"email\"}", "{\"type\":\"string\"}", "FORMAT_ADDED",
        "#/format");
    bad("{\"type\":\"string\",\"format\":\"email\"}", "{\"type\":\"string\",\"format\":\"uri\"}",
        "FORMAT_CHANGED", "#/format");
    ok("{\"type\":\"string\"}", "{\"type\":\"string\",\"format\":\"email\"}");
}

/* ------------------------------------------------------------------ arrays */

Test(compat, items_type_changed)
{
    bad("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}",
        "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}", "TYPE_NARROWED", "#/items/type");
    ok("{\"type\":\"array\",\"items\":{\"type\":\"number\"}}",
       "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}");
    bad("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", "{\"type\":\"array\"}",
        "ITEMS_NARROWED", "#/items");
    ok("{\"type\":\"array\"}", "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}");
}

Test(compat, array_limits)
{
    bad("{\"type\":\"array\",\"maxItems\":3}", "{\"type\":\"array\",\"maxItems\":5}",
        "MAX_ITEMS_DECREASED", "#/maxItems");
    bad("{\"type\":\"array\",\"minItems\":2}", "{\"type\":\"array\"}", "MIN_ITEMS_INCREASED",
        "#/minItems");
    bad("{\"type\":\"array\",\"uniqueItems\":true}", "{\"type\":\"array\"}", "UNIQUE_ITEMS_ADDED",
        "#/uniqueItems");
    ok("{\"type\":\"array\",\"maxItems\":5,\"minItems\":0}",
       "{\"type\":\"array\",\"maxItems\":3,\"minItems\":1,\"uniqueItems\":true}");
}

Test(compat, tuples_draft7)
{
    const char *old =
        "{\"type\":\"array\",\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}],"
        "\"additionalItems\":false}";
    ok("{\"type\":\"array\",\"items\":[{\"type\":\"string\"},{\"type\":\"number\"},{\"type\":"
       "\"boolean\"}]}",
       old);
    bad("{\"type\":\"array\",\"items\":[{\"type\":\"string\"},{\"type\":\"string\"}]}", old,
        "TYPE_NARROWED", "#/items/1/type");
    bad("{\"type\":\"array\",\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}",
        "{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]}", "FALSE_SCHEMA",
        "#/additionalItems");
}

Test(compat, prefix_items_2020)
{
    const char *d = "\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",";
    char r[512], w[512];
    snprintf(w, sizeof w,
             "{%s\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"}],\"items\":false}", d);
    snprintf(
        r, sizeof r,
        "{%s\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", d);
    ok(r, w);
    snprintf(r, sizeof r, "{%s\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"}]}", d);
    bad(r, w, "TYPE_NARROWED", "#/prefixItems/0/type");
}

Test(compat, contains)
{
    bad("{\"type\":\"array\",\"contains\":{\"type\":\"string\"}}", "{\"type\":\"array\"}",
        "CONTAINS_ADDED", "#/contains");
    ok("{\"type\":\"array\",\"contains\":{\"type\":[\"string\",\"number\"]}}",
       "{\"type\":\"array\",\"contains\":{\"type\":\"string\"}}");
}

/* ------------------------------------------------------------------ references */

Test(compat, local_refs_resolved)
{
    const char *old =
        "{\"$defs\":{\"addr\":{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":"
        "\"string\"}}}},\"type\":\"object\",\"properties\":{\"home\":{\"$ref\":\"#/$defs/"
        "addr\"}}}";
    const char *inlined = "{\"type\":\"object\",\"properties\":{\"home\":{\"type\":\"object\","
                          "\"properties\":{\"zip\":{\"type\":\"string\"}}}}}";
    const char *changed =
        "{\"$defs\":{\"addr\":{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":"
        "\"integer\"}}}},\"type\":\"object\",\"properties\":{\"home\":{\"$ref\":\"#/"
        "$defs/addr\"}}}";
    ok(old, old);
    ok(inlined, old);
    ok(old, inlined);
    bad(changed, old, "TYPE_NARROWED", "#/properties/home/properties/zip/type");
}

Test(compat, draft7_definitions)
{
    const char *old =
        "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"definitions\":{"
        "\"n\":{\"type\":\"integer\"}},\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":"
        "\"#/definitions/n\"}}}";
    const char *wider = "{\"definitions\":{\"n\":{\"type\":\"number\"}},\"type\":\"object\","
                        "\"properties\":{\"a\":{\"$ref\":\"#/definitions/n\"}}}";
    ok(wider, old);
    bad(old, wider, "TYPE_NARROWED", "#/properties/a/type");
}

Test(compat, recursive_refs)
{
    const char *tree =
        "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":"
        "\"integer\"},\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}}}},"
        "\"$ref\":\"#/$defs/node\"}";
    const char *tree_num =
        "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":"
        "\"number\"},\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}}}},"
        "\"$ref\":\"#/$defs/node\"}";
    ok(tree, tree);
    ok(tree_num, tree);
    bad(tree, tree_num, "TYPE_NARROWED", "#/properties/v/type");
}

Test(compat, unresolvable_ref_is_conservative)
{
    bad("{\"$ref\":\"https://example.com/other.json\"}", "{\"type\":\"string\"}",
        "REF_NOT_UNDERSTOOD", "#");
}

/* ------------------------------------------------------------------ composition */

Test(compat, any_of)
{
    ok("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"},{\"type\":\"null\"}]}",
       "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}");
    ok("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "{\"type\":\"integer\"}");
    ok("{\"type\":[\"string\",\"integer\"]}",
       "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}");
    bad("{\"anyOf\":[{\"type\":\"string\"}]}",
        "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "ANY_OF_NARROWED", "#/anyOf");
}

Test(compat, one_of)
{
    /* distinct types: exactly-one equals at-least-one, so extending is fine */
    ok("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"},{\"type\":\"null\"}]}",
       "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}");
    /* overlapping branches: an old instance could match two new branches */
    bad("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"string\",\"maxLength\":3}]}",
        "{\"type\":\"string\"}", "ONE_OF_NOT_UNDERSTOOD", "#/oneOf");
    /* a required discriminator with distinct constants keeps branches apart */
    const char *two =
        "{\"oneOf\":["
        "{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"a\"}},\"required\":[\"kind\"]},"
        "{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"b\"}},\"required\":[\"kind\"]}]"
        "}";
    const char *three =
        "{\"oneOf\":["
        "{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"a\"}},\"required\":[\"kind\"]},"
        "{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"b\"}},\"required\":[\"kind\"]},"
        "{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"c\"}},\"required\":[\"kind\"]}]"
        "}";
    ok(three, two);
    bad(two, three, "ANY_OF_NARROWED", "#/oneOf");
}

Test(compat, all_of)
{
    const char *old =
        "{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}},"
        "{\"required\":[\"a\"]}]}";
    ok(old, old);
    ok("{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}]}", old);
    bad("{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}},"
        "{\"required\":[\"a\",\"b\"]}]}",
        old, "REQUIRED_PROPERTY_ADDED", "#/allOf/1/required");
}

Test(compat, not_keyword)
{
    bad("{\"type\":\"string\",\"not\":{\"const\":\"x\"}}", "{\"type\":\"string\"}", "NOT_CHANGED",
        "#/not");
    ok("{\"type\":\"string\",\"not\":{\"const\":\"x\"}}",
       "{\"type\":\"string\",\"not\":{\"enum\":[\"x\",\"y\"]}}");
    ok("{\"type\":\"string\",\"not\":{\"type\":\"integer\"}}", "{\"type\":\"string\"}");
}

Test(compat, conditionals)
{
    const char *c1 = "{\"type\":\"object\",\"if\":{\"properties\":{\"k\":{\"const\":\"a\"}}},"
                     "\"then\":{\"required\":[\"x\"]}}";
    const char *c2 = "{\"type\":\"object\",\"if\":{\"properties\":{\"k\":{\"const\":\"a\"}}},"
                     "\"then\":{\"required\":[\"x\",\"y\"]}}";
    ok(c1, c1);
    ok(c1, c2);
    bad(c2, c1, "CONDITIONAL_CHANGED", "#/if");
    bad(c1, "{\"type\":\"object\"}", "CONDITIONAL_CHANGED", "#/if");
}

Test(compat, dependent_schemas)
{
    bad(OBJ_A ",\"dependentSchemas\":{\"a\":{\"required\":[\"b\"]}}}", OBJ_A "}",
        "DEPENDENT_SCHEMA_ADDED", "#/dependentSchemas/a");
    ok(OBJ_A "}", OBJ_A ",\"dependentSchemas\":{\"a\":{\"required\":[\"b\"]}}}");
}

/* ------------------------------------------------------------------ conservative */

Test(compat, unknown_keyword_changed)
{
    bad("{\"type\":\"string\",\"x-custom\":2}", "{\"type\":\"string\",\"x-custom\":1}",
        "NOT_UNDERSTOOD", "#/x-custom");
    ok("{\"type\":\"string\",\"x-custom\":1}", "{\"type\":\"string\",\"x-custom\":1}");
    ok("{\"type\":\"string\"}", "{\"type\":\"string\",\"x-custom\":1}");
}

Test(compat, unevaluated_properties)
{
    /* without applicators it means additionalProperties */
    bad(OBJ_A ",\"unevaluatedProperties\":false}", OBJ_A "}", "ADDITIONAL_PROPERTIES_REMOVED",
        "#/unevaluatedProperties");
    /* with applicators only an unchanged schema is accepted */
    const char *s = "{\"allOf\":[{\"properties\":{\"a\":{}}}],\"unevaluatedProperties\":false}";
    ok(s, s);
    bad("{\"allOf\":[{\"properties\":{\"b\":{}}}],\"unevaluatedProperties\":false}", s,
        "NOT_UNDERSTOOD", "#/unevaluatedProperties");
}

Test(compat, message_format)
{
    json_t *r = parse("{\"type\":\"object\",\"properties\":{\"a/b\":{\"type\":\"integer\"}}}");
    json_t *w = parse("{\"type\":\"object\",\"properties\":{\"a/b\":{\"type\":\"string\"}}}");
    json_t *m = json_array();
    cr_assert_eq(rn_compat_check(r, w, m), 0);
    cr_assert_eq(json_array_size(m), 1);
    cr_expect_str_eq(json_string_value(json_array_get(m, 0)),
                     "#/properties/a~1b/type: TYPE_NARROWED: reader allows integer; writer allows "
                     "string");
    json_decref(r);
    json_decref(w);
    json_decref(m);
}

/* ------------------------------------------------------------------ levels */

static int level(rn_compat_level lv, const char *new_schema, const char *const *olds, size_t n,
                 json_t *msgs)
{
    json_t *ns = parse(new_schema);
    const json_t *o[8];
    int vers[8];
    for (size_t i = 0; i < n; i++) {
        o[i] = parse(olds[i]);
        vers[i] = (int)i + 1;
    }
    int res = rn_compat_check_level(lv, ns, o, vers, n, msgs);
    json_decref(ns);
    for (size_t i = 0; i < n; i++)
        json_decref((json_t *)(uintptr_t)o[i]);
    return res;
}

#define V_A OBJ_A "}"
#define V_AB_R                                                                                     \
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"            \
    "\"integer\"}},\"required\":[\"b\"]}"

Test(compat_level, backward_forward_full)
{
    const char *olds[] = {V_A};
    /* adding a required field: not BACKWARD (old data lacks it) but FORWARD (old readers
     * ignore it) */
    cr_expect_eq(level(RN_COMPAT_BACKWARD, V_AB_R, olds, 1, NULL), 0);
    cr_expect_eq(level(RN_COMPAT_FORWARD, V_AB_R, olds, 1, NULL), 1);
    cr_expect_eq(level(RN_COMPAT_FULL, V_AB_R, olds, 1, NULL), 0);
    cr_expect_eq(level(RN_COMPAT_NONE, V_AB_R, olds, 1, NULL), 1);
    /* removing a field of a closed model: BACKWARD only if the new one is open */
    const char *closed_old[] = {OBJ_A ",\"additionalProperties\":false}"};
    cr_expect_eq(level(RN_COMPAT_FORWARD, "{\"type\":\"object\",\"additionalProperties\":false}",
                       closed_old, 1, NULL),
                 1);
    cr_expect_eq(level(RN_COMPAT_BACKWARD, "{\"type\":\"object\",\"additionalProperties\":false}",
                       closed_old, 1, NULL),
                 0);
}

Test(compat_level, message_names_level_and_version)
{
    const char *olds[] = {V_A};
    json_t *m = json_array();
    cr_assert_eq(level(RN_COMPAT_BACKWARD, V_AB_R, olds, 1, m), 0);
    const char *s = json_string_value(json_array_get(m, 0));
    cr_expect(strstr(s, "#/required: REQUIRED_PROPERTY_ADDED") == s, "%s", s);
    cr_expect(strstr(s, "(BACKWARD: the new schema reading data written with version 1)"), "%s", s);
    json_decref(m);
}

Test(compat_level, transitive)
{
    /* v1 max 100, v2 max 50 (registered under NONE), new max 70: compatible with v2 for
     * BACKWARD (70 >= 50), not with v1 (70 < 100) */
    const char *olds[] = {"{\"type\":\"integer\",\"maximum\":100}",
                          "{\"type\":\"integer\",\"maximum\":50}"};
    const char *ns = "{\"type\":\"integer\",\"maximum\":70}";
    cr_expect_eq(level(RN_COMPAT_BACKWARD, ns, olds, 2, NULL), 1);
    cr_expect_eq(level(RN_COMPAT_BACKWARD_TRANSITIVE, ns, olds, 2, NULL), 0);
    cr_expect_eq(level(RN_COMPAT_FORWARD, ns, olds, 2, NULL), 0);
    cr_expect_eq(level(RN_COMPAT_FULL_TRANSITIVE, ns, olds, 2, NULL), 0);
    cr_expect_eq(
        level(RN_COMPAT_FORWARD_TRANSITIVE, "{\"type\":\"integer\",\"maximum\":40}", olds, 2, NULL),
        1);
}

Test(compat_level, no_previous_versions)
{
    cr_expect_eq(level(RN_COMPAT_FULL_TRANSITIVE, V_A, NULL, 0, NULL), 1);
}
