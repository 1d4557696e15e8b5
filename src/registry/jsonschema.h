/*
 * registry/jsonschema.h - a JSON Schema validator for draft-07 and draft 2020-12: compile a
 * schema once into an immutable rn_jsonschema, then validate many instances against it.
 *
 * Layer: used by the schema registry and by validation at the produce boundary; calls
 *   common/ only (arena, jdoc), plus jansson (schemas, and instances given as json_t) and
 *   PCRE2 (pattern, patternProperties, format "regex"; simple anchored patterns such as
 *   "^[0-9a-f]{12}$" are matched without it).
 * Instances: the evaluator reads rn_jval documents (common/jdoc.h); the produce path
 *   parses records with rn_jdoc_parse and calls rn_jsonschema_validate_doc.
 *   rn_jsonschema_validate takes a json_t and copies it into a document first.
 * Drafts: the schema's "$schema" picks the draft (draft-07, draft-06 treated as draft-07,
 *   or 2020-12; a custom metaschema is read for its "$vocabulary"); without "$schema" the
 *   options' default applies (2020-12 unless set). See docs/json-schema.md for keywords,
 *   formats, error format and limits.
 * References: "$ref" and "$dynamicRef" are resolved when compiling. Documents that are
 *   neither the schema itself nor one of the embedded metaschemas (draft-07 and 2020-12)
 *   are asked from the caller's resolver; nothing is ever fetched over the network.
 * Threads: rn_jsonschema_compile may run on any thread. A compiled rn_jsonschema is
 *   immutable: any number of threads may validate against it at once. Each thread that
 *   matches patterns keeps one small PCRE2 match block, freed when the thread exits.
 */
#ifndef RN_REGISTRY_JSONSCHEMA_H
#define RN_REGISTRY_JSONSCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/jdoc.h"

typedef struct rn_jsonschema rn_jsonschema;

/* Dialects. RN_JSONSCHEMA_DRAFT_DEFAULT (0) in options means 2020-12. */
typedef enum rn_jsonschema_draft {
    RN_JSONSCHEMA_DRAFT_DEFAULT = 0,
    RN_JSONSCHEMA_DRAFT7 = 7,
    RN_JSONSCHEMA_DRAFT2020_12 = 2020,
} rn_jsonschema_draft;

/* Supplies a schema document by absolute URI (without fragment), e.g. another subject of
 * the registry or, in tests, a file under the suite's remotes/ directory.
 * Returns RN_OK and a new reference in *out (the compiler takes it over), RN_ENOTFOUND if
 * the URI is unknown, or another negative code on failure (message in err). Called only
 * from rn_jsonschema_compile, on its thread. */
typedef int (*rn_jsonschema_resolver)(void *arg, const char *uri, json_t **out, rn_err *err);

typedef struct rn_jsonschema_options {
    rn_jsonschema_draft default_draft; /* when the root has no "$schema"; 0 = 2020-12 */
    bool force_draft;     /* ignore "$schema" draft URIs and use default_draft throughout */
    bool format_assert;   /* "format" asserts (draft-07 optional behaviour, 2020-12
                             format-assertion); otherwise it is an annotation only */
    const char *base_uri; /* base URI of the root when it has no "$id"; default
                             "urn:runnel:schema"; borrowed for the call */
    bool check_schema;    /* also validate the schema against its dialect's metaschema
                             (catches errors in parts nothing references, e.g. $defs) */
    rn_jsonschema_resolver resolver; /* may be NULL: unknown documents fail compilation */
    void *resolver_arg;
} rn_jsonschema_options;

/* One validation error. Strings are NUL-terminated and truncated (ending in "...") when
 * longer than their buffer. */
typedef struct rn_jsonschema_error {
    char instance_path[256];    /* JSON Pointer into the instance: "/data/items/3/price" */
    char keyword_location[256]; /* JSON Pointer of the keyword along the evaluation path,
                                   through "$ref": "/properties/data/$ref/minimum" */
    char keyword[32];           /* "minimum" */
    char message[256];          /* "-1 is less than the minimum of 0" */
} rn_jsonschema_error;

#define RN_JSONSCHEMA_MAX_ERRORS 10

/* Caller-owned error list (about 8 KiB); validation resets it. */
typedef struct rn_jsonschema_errors {
    size_t n;       /* entries filled in e[] */
    bool truncated; /* more errors existed than fit (validation stopped at the cap) */
    rn_jsonschema_error e[RN_JSONSCHEMA_MAX_ERRORS];
} rn_jsonschema_errors;

/* Compiles schema (a JSON object or boolean) into *out.
 * Borrows schema and opts (may be NULL for defaults); the result keeps its own copy of the
 * schema and of any resolved documents, so the caller may free or change them afterwards.
 * Returns RN_OK and a new rn_jsonschema owned by the caller (free with rn_jsonschema_free);
 * RN_EINVAL for an invalid schema (err says where: "/properties/a/minimum: must be a
 * number"), RN_ENOTFOUND for an unresolvable "$ref" or "$schema", RN_ENOMEM, or the
 * resolver's code. *out is NULL on failure. */
int rn_jsonschema_compile(const json_t *schema, const rn_jsonschema_options *opts,
                          rn_jsonschema **out, rn_err *err);

/* Validates instance (an rn_jval document, e.g. from rn_jdoc_parse) against s. errs may
 * be NULL when only the verdict matters (fastest: evaluation stops at the first failure);
 * otherwise it receives up to RN_JSONSCHEMA_MAX_ERRORS errors in evaluation order.
 * Returns RN_OK if the instance is valid, RN_EINVAL if it is not, RN_ERANGE if evaluation
 * went deeper than the nesting limit (a runaway "$ref" cycle or an extremely deep
 * instance; also reported as an error), RN_ENOMEM on allocation failure. (Without errs,
 * evaluation may stop at an earlier failure: RN_EINVAL where a full evaluation would
 * have reached the limit.) Strings and member names are taken by their length (they may
 * hold U+0000) and must be valid UTF-8, as rn_jdoc_parse guarantees. Borrows both; never
 * modifies the instance; safe to call from several threads at once, also on one shared
 * document. Allocates nothing in the common case (see docs/json-schema.md for the
 * exceptions); without errs it formats no text either. This is the entry point of the
 * produce path. */
int rn_jsonschema_validate_doc(const rn_jsonschema *s, const rn_jval *instance,
                               rn_jsonschema_errors *errs);

/* rn_jsonschema_validate_doc for a jansson instance: copies it into a temporary rn_jval
 * document (one arena, freed before returning; so this allocates), then validates that:
 * the same verdict and errors. An instance nested deeper than RN_JDOC_MAX_DEPTH cannot be
 * copied and gives RN_ERANGE (with one error). For the registry and tools that hold
 * jansson values; the produce path uses rn_jsonschema_validate_doc. */
int rn_jsonschema_validate(const rn_jsonschema *s, const json_t *instance,
                           rn_jsonschema_errors *errs);

/* Formats one error as a single line, "/data/price: -1 is less than the minimum of 0
 * (/properties/data/properties/price/minimum)", into buf (always NUL-terminated).
 * Returns the length snprintf would have written. */
int rn_jsonschema_error_format(const rn_jsonschema_error *e, char *buf, size_t len);

/* The draft the root schema was compiled as. */
rn_jsonschema_draft rn_jsonschema_draft_of(const rn_jsonschema *s);

/* Frees s; NULL does nothing. */
void rn_jsonschema_free(rn_jsonschema *s);

#endif
