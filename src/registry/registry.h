/*
 * registry/registry.h - the schema registry: subjects, versions and globally numbered JSON
 * schemas with Confluent Schema Registry semantics, a compatibility checker for JSON Schema,
 * and compiled schemas for validation at the produce boundary.
 *
 * Layer: called by http/ (the Confluent REST API) and, for produce-time validation, by the
 *   broker; calls registry/jsonschema.h, common/, jansson and SQLite.
 * Model: a subject (usually "<topic>-value" or an eventType) has versions 1, 2, ...; each
 *   version names a schema id. Ids are global: the same schema (compared as canonical JSON:
 *   keys sorted, no whitespace) registered under two subjects has one id. Versions can be
 *   soft-deleted (hidden, still readable with deleted=true, their ids still resolve) and
 *   then hard-deleted (gone). Compatibility levels and modes exist globally and per subject.
 * Storage: <data_dir>/registry.db (SQLite, WAL, synchronous=FULL). Every change is one
 *   transaction committed before the call returns; memory is updated only after the commit,
 *   so a failed write leaves both unchanged. The whole registry is also held in memory.
 * Threads: every function may be called from any thread. Readers share a rwlock; writers
 *   are serialised by a mutex and hold the rwlock exclusively only to publish a change
 *   (never across an fsync), so produce-time lookups are not stalled by registrations.
 * Errors: the Confluent-facing calls fill an rn_reg_err with Confluent's error_code and
 *   message (the HTTP status is error_code / 100 for five-digit codes, 409 for 409) and
 *   return the matching RN_E* code (RN_ENOTFOUND, RN_EINVAL, RN_ECONFLICT, RN_EIO).
 *   See docs/schema-registry.md.
 */
#ifndef RN_REGISTRY_REGISTRY_H
#define RN_REGISTRY_REGISTRY_H

#include "common/err.h"
#include "registry/jsonschema.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct rn_registry rn_registry;

/* Confluent Schema Registry error codes (response data, carried in rn_reg_err). */
enum {
    RN_REG_SUBJECT_NOT_FOUND = 40401,
    RN_REG_VERSION_NOT_FOUND = 40402,
    RN_REG_SCHEMA_NOT_FOUND = 40403,
    RN_REG_SUBJECT_SOFT_DELETED = 40404,
    RN_REG_SUBJECT_NOT_SOFT_DELETED = 40405,
    RN_REG_VERSION_SOFT_DELETED = 40406,
    RN_REG_VERSION_NOT_SOFT_DELETED = 40407,
    RN_REG_SUBJECT_COMPAT_NOT_CONFIGURED = 40408,
    RN_REG_SUBJECT_MODE_NOT_CONFIGURED = 40409,
    RN_REG_INCOMPATIBLE = 409, /* Confluent 5.x-7.x; 8.x says 40901 */
    RN_REG_INVALID_SCHEMA = 42201,
    RN_REG_INVALID_VERSION = 42202,
    RN_REG_INVALID_COMPAT = 42203,
    RN_REG_INVALID_MODE = 42204,
    RN_REG_NOT_PERMITTED = 42205,
    RN_REG_ID_MISMATCH = 42207,
    RN_REG_INVALID_SUBJECT = 42208,
    RN_REG_STORE_ERROR = 50001,
};

typedef struct rn_reg_err {
    int error_code;     /* one of RN_REG_*; 0 after success */
    char message[1024]; /* Confluent's wording where it has one: "Subject 'x' not found." */
} rn_reg_err;

/* The HTTP status for an error_code (40401 -> 404, 409 -> 409, 50001 -> 500). */
int rn_reg_http_status(int error_code);

typedef enum rn_compat_level {
    RN_COMPAT_NONE,
    RN_COMPAT_BACKWARD,
    RN_COMPAT_BACKWARD_TRANSITIVE,
    RN_COMPAT_FORWARD,
    RN_COMPAT_FORWARD_TRANSITIVE,
    RN_COMPAT_FULL,
    RN_COMPAT_FULL_TRANSITIVE,
} rn_compat_level;

typedef enum rn_reg_mode {
    RN_MODE_READWRITE,
    RN_MODE_READONLY,
    RN_MODE_IMPORT,
} rn_reg_mode;

/* Names ("BACKWARD", "READONLY") and parsing (case-insensitive; -1 if unknown). */
const char *rn_compat_level_name(rn_compat_level level);
int rn_compat_level_parse(const char *s);
const char *rn_reg_mode_name(rn_reg_mode mode);
int rn_reg_mode_parse(const char *s);

/* ------------------------------------------------------------------ lifecycle */

/* Opens (creating) <data_dir>/registry.db and loads it; data_dir NULL keeps everything in
 * memory only (tests, fuzzing). Every stored schema is compiled at load; one that no
 * longer compiles is logged and stays readable, but rn_registry_get_* refuse it.
 * Returns RN_OK and a new registry owned by the caller (close with rn_registry_close),
 * RN_EIO/RN_ECORRUPT with the file named in err. */
int rn_registry_open(const char *data_dir, rn_registry **out, rn_err *err);

/* Closes the database and frees everything, including every compiled schema handed out.
 * NULL does nothing. No other call may be running or follow. */
void rn_registry_close(rn_registry *r);

/* ------------------------------------------------------------------ for the broker */

/* The compiled schema of subject's version (-1: the latest version that is not deleted),
 * and its global id. Soft-deleted versions are not served.
 * *out_compiled stays valid until rn_registry_close (compiled schemas are immutable and
 * never freed while the registry is open, even if the version is deleted), and may be
 * used from any thread. Returns RN_OK, RN_ENOTFOUND (no such subject or version; err says
 * which), or RN_EINVAL if the stored schema does not compile. Takes a read lock only. */
int rn_registry_get_schema(rn_registry *r, const char *subject, int version,
                           const rn_jsonschema **out_compiled, int *out_id, rn_err *err);

/* The compiled schema with global id (as in the Confluent wire format's 4-byte id). Same
 * lifetime and errors as rn_registry_get_schema; ids whose every version was hard-deleted
 * are RN_ENOTFOUND, soft-deleted ones still resolve (old data must stay decodable). */
int rn_registry_get_by_id(rn_registry *r, int id, const rn_jsonschema **out_compiled, rn_err *err);

/* rn_registry_get_schema with the registry as a void *: matches govern's
 * rn_govern_schema_fn, so rn_govern_new(cfg, rn_registry_schema_fn, registry, ...) works. */
int rn_registry_schema_fn(void *registry, const char *subject, int version,
                          const rn_jsonschema **out_compiled, int *out_id, rn_err *err);

/* ------------------------------------------------------------------ the Confluent API
 *
 * Results are new jansson values owned by the caller (json_decref), shaped as Confluent's
 * response bodies. Subjects are borrowed NUL-terminated strings; versions are >= 1 or -1
 * for "latest". `deleted` includes soft-deleted versions (Confluent's ?deleted=true).
 */

/* A schema as sent in a request body ({"schema": ..., "schemaType": ..., ...}). */
typedef struct rn_reg_schema_in {
    const char *schema;      /* JSON text of the schema (required) */
    const char *schema_type; /* NULL (JSON, our default) or "JSON"; others are refused */
    bool has_references;     /* a non-empty "references": refused (not supported) */
    int id;                  /* explicit id (IMPORT mode), -1 for none */
    int version;             /* explicit version (IMPORT mode), -1 for none */
} rn_reg_schema_in;

/* ["subject", ...], sorted; subjects with at least one (deleted: any) version. */
int rn_registry_list_subjects(rn_registry *r, bool deleted, json_t **out, rn_reg_err *e);

/* [1, 2, ...] for subject; 40401 if it has none. */
int rn_registry_list_versions(rn_registry *r, const char *subject, bool deleted, json_t **out,
                              rn_reg_err *e);

/* {"subject", "version", "id", "schemaType", "schema"}; 40401 / 40402. */
int rn_registry_get_version(rn_registry *r, const char *subject, int version, bool deleted,
                            json_t **out, rn_reg_err *e);

/* Registers in->schema under subject: the existing id if an identical schema is a live
 * version of the subject, else (after the compatibility check of the subject's level) a
 * new version with the schema's global id (reused if known under any subject, else new).
 * Errors: 42201 invalid schema or type, 409 incompatible (message lists why), 42205
 * READONLY mode or misuse of id/version, 42207 id conflict, 50001 store failure. */
int rn_registry_register(rn_registry *r, const char *subject, const rn_reg_schema_in *in,
                         int *out_id, rn_reg_err *e);

/* The version of subject holding this schema: {"subject", "id", "version", "schemaType",
 * "schema"}; 40401 no subject, 40403 not registered there, 42201 invalid schema. */
int rn_registry_lookup(rn_registry *r, const char *subject, const rn_reg_schema_in *in,
                       bool deleted, json_t **out, rn_reg_err *e);

/* {"schema", "schemaType"}; 40403. */
int rn_registry_schema_by_id(rn_registry *r, int id, json_t **out, rn_reg_err *e);

/* [{"subject", "version"}, ...] using id; 40403. */
int rn_registry_schema_versions(rn_registry *r, int id, bool deleted, json_t **out, rn_reg_err *e);

/* ["subject", ...] using id; 40403. */
int rn_registry_schema_subjects(rn_registry *r, int id, bool deleted, json_t **out, rn_reg_err *e);

/* Tests in->schema against subject's version (-1 latest; 0: every version the subject's
 * level checks on registration) under the subject's level. *out is {"is_compatible": b}
 * plus "messages": [...] when verbose (an invalid schema is then a message, not 42201).
 * "latest" of a subject without versions is compatible; a missing version is 40402. */
int rn_registry_check(rn_registry *r, const char *subject, int version, const rn_reg_schema_in *in,
                      bool verbose, json_t **out, rn_reg_err *e);

/* Compatibility level of subject (NULL: global). Without default_to_global an unset
 * subject level is 40408. */
int rn_registry_get_config(rn_registry *r, const char *subject, bool default_to_global,
                           rn_compat_level *out, rn_reg_err *e);
int rn_registry_set_config(rn_registry *r, const char *subject, rn_compat_level level,
                           rn_reg_err *e);
/* Removes subject's level (NULL: resets the global level to BACKWARD); *old receives the
 * level that was set. 40401 if the subject had none. */
int rn_registry_delete_config(rn_registry *r, const char *subject, rn_compat_level *old,
                              rn_reg_err *e);

/* Mode of subject (NULL: global). Without default_to_global an unset subject mode is
 * 40409. Setting IMPORT where versions exist needs force (else 42205). */
int rn_registry_get_mode(rn_registry *r, const char *subject, bool default_to_global,
                         rn_reg_mode *out, rn_reg_err *e);
int rn_registry_set_mode(rn_registry *r, const char *subject, rn_reg_mode mode, bool force,
                         rn_reg_err *e);
int rn_registry_delete_mode(rn_registry *r, const char *subject, rn_reg_mode *old, rn_reg_err *e);

/* Deletes every version of subject: soft (40404 if already), or permanent (only after a
 * soft delete, else 40405). A soft delete also drops the subject's level and mode.
 * *out receives the deleted versions [1, 2, ...]. 42205 in READONLY mode. */
int rn_registry_delete_subject(rn_registry *r, const char *subject, bool permanent, json_t **out,
                               rn_reg_err *e);

/* Deletes one version (-1: latest): soft (40406 if already), or permanent (only after a
 * soft delete, else 40407). *out_version receives the version deleted. */
int rn_registry_delete_version(rn_registry *r, const char *subject, int version, bool permanent,
                               int *out_version, rn_reg_err *e);

/* ------------------------------------------------------------------ compatibility
 *
 * Pure functions over parsed JSON schemas (compat.c); the rules are in
 * docs/schema-registry.md. Messages are appended to `messages` (a JSON array, may be NULL)
 * as strings "<JSON pointer into the schema>: <RULE>: <explanation>".
 */

/* 1 if every instance that `writer` accepts is accepted by `reader` as far as the checker
 * can tell (a consumer using reader can read data written with writer), 0 if not or if
 * the checker cannot prove it (conservative). Both are JSON schemas (object or boolean)
 * whose local "$ref"s ("#/...") resolve inside themselves. */
int rn_compat_check(const json_t *reader, const json_t *writer, json_t *messages);

/* Checks new_schema against the previous schemas of a subject (old[0] the oldest,
 * old_versions[i] their version numbers) for level: BACKWARD reads old data with the new
 * schema, FORWARD reads new data with the old schema, FULL both; non-transitive levels
 * use only the last of old. Each message ends with the level and the version it came
 * from. Returns 1 if compatible. */
int rn_compat_check_level(rn_compat_level level, const json_t *new_schema, const json_t *const *old,
                          const int *old_versions, size_t nold, json_t *messages);

#endif
