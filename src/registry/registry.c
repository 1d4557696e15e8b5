/*
 * registry/registry.c - the schema registry: subjects, versions, global schema ids,
 * compatibility levels and modes, with Confluent Schema Registry semantics.
 *
 * Layer: called by http/ and the broker; calls compat.c (compatibility), store.c
 *   (SQLite), registry/jsonschema.h (compiling schemas), jansson.
 * Invariants: see registry_int.h (memory model, locking, on-disk format). A change is
 *   validated, then written and committed to SQLite, and only then published in memory;
 *   a failed write (50001) leaves the registry exactly as it was.
 * Schemas: JSON Schema only. Text is parsed with jansson (duplicate keys refused), its
 *   canonical form (keys sorted, compact) decides identity, and it must compile with the
 *   validator, draft-07 unless "$schema" says otherwise (Confluent's default too).
 */
#include "registry/registry_int.h"

#include "common/diag.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ names, errors */

static const char *const LEVELS[] = {"NONE",           "BACKWARD",           "BACKWARD_TRANSITIVE",
                                     "FORWARD",        "FORWARD_TRANSITIVE", "FULL",
                                     "FULL_TRANSITIVE"};
static const char *const MODES[] = {"READWRITE", "READONLY", "IMPORT"};

const char *rn_compat_level_name(rn_compat_level level)
{
    return (unsigned)level < 7 ? LEVELS[level] : "?";
}

const char *rn_reg_mode_name(rn_reg_mode mode)
{
    return (unsigned)mode < 3 ? MODES[mode] : "?";
}

static int parse_name(const char *s, const char *const *names, int n)
{
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (!strcasecmp(s, names[i])) return i;
    return -1;
}

int rn_compat_level_parse(const char *s)
{
    return parse_name(s, LEVELS, 7);
}

int rn_reg_mode_parse(const char *s)
{
    return parse_name(s, MODES, 3);
}

int rn_reg_http_status(int error_code)
{
    return error_code >= 10000 ? error_code / 100 : error_code;
}

/* Fills e and returns the RN_E* code matching its HTTP class. */
__attribute__((format(printf, 3, 4))) static int reg_fail(rn_reg_err *e, int error_code,
                                                          const char *fmt, ...)
{
    if (e) {
        va_list ap;
        e->error_code = error_code;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
    }
    switch (rn_reg_http_status(error_code)) {
    case 404:
        return RN_ENOTFOUND;
    case 409:
        return RN_ECONFLICT;
    case 500:
        return RN_EIO;
    default:
        return RN_EINVAL;
    }
}

static void reg_ok(rn_reg_err *e)
{
    if (e) {
        e->error_code = 0;
        e->message[0] = '\0';
    }
}

static int store_fail(rn_reg_err *e, const char *op, const rn_err *err)
{
    RN_ERROR("registry: %s: %s", op, err->msg);
    return reg_fail(e, RN_REG_STORE_ERROR, "Error in the backend data store: %s failed: %s", op,
                    err->msg);
}

static int no_memory(rn_reg_err *e)
{
    return reg_fail(e, RN_REG_STORE_ERROR, "Out of memory");
}

/* ------------------------------------------------------------------ lookups (need lock or wmu) */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static reg_schema *schema_by_id(const rn_registry *r, int id)
{
    size_t lo = 0, hi = r->nschemas;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->schemas[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nschemas && r->schemas[lo]->id == id ? r->schemas[lo] : NULL;
}

static reg_schema *schema_by_canonical(const rn_registry *r, const char *canonical, uint64_t h)
{
    for (size_t i = 0; i < r->nschemas; i++)
        if (r->schemas[i]->hash == h && !strcmp(r->schemas[i]->canonical, canonical))
            return r->schemas[i];
    return NULL;
}

/* Index where subject is or would be inserted. */
static size_t subject_pos(const rn_registry *r, const char *name)
{
    size_t lo = 0, hi = r->nsubjects;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(r->subjects[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static reg_subject *subject_find(const rn_registry *r, const char *name)
{
    size_t i = subject_pos(r, name);
    return i < r->nsubjects && !strcmp(r->subjects[i]->name, name) ? r->subjects[i] : NULL;
}

static size_t live_count(const reg_subject *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n; i++)
        n += !s->v[i].deleted;
    return n;
}

/* Has the subject any version (any at all with deleted)? Confluent's hasSubjects. */
static bool has_versions(const reg_subject *s, bool deleted)
{
    return s && (deleted ? s->n > 0 : live_count(s) > 0);
}

static reg_version *version_find(const reg_subject *s, int version)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->v[i].version == version) return &s->v[i];
    return NULL;
}

static reg_version *version_latest(const reg_subject *s, bool deleted)
{
    for (size_t i = s ? s->n : 0; i-- > 0;)
        if (deleted || !s->v[i].deleted) return &s->v[i];
    return NULL;
}

static rn_compat_level level_of(const rn_registry *r, const reg_subject *s)
{
    return s && s->compat >= 0 ? (rn_compat_level)s->compat : r->compat;
}

static rn_reg_mode mode_of(const rn_registry *r, const reg_subject *s)
{
    return s && s->mode >= 0 ? (rn_reg_mode)s->mode : r->mode;
}

/* ------------------------------------------------------------------ in-memory changes (need wrlock
 * or load) */

static void subject_free(reg_subject *s)
{
    if (!s) return;
    free(s->name);
    free(s->v);
    free(s);
}

static void schema_free(reg_schema *s)
{
    if (!s) return;
    free(s->text);
    free(s->canonical);
    json_decref(s->json);
    rn_jsonschema_free(s->compiled);
    free(s);
}

static reg_subject *subject_get_or_add(rn_registry *r, const char *name)
{
    size_t i = subject_pos(r, name);
    if (i < r->nsubjects && !strcmp(r->subjects[i]->name, name)) return r->subjects[i];
    if (r->nsubjects == r->capsubjects) {
        size_t cap = r->capsubjects ? r->capsubjects * 2 : 16;
        reg_subject **n = realloc(r->subjects, cap * sizeof *n);
        if (!n) return NULL;
        r->subjects = n;
        r->capsubjects = cap;
    }
    reg_subject *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    s->compat = -1;
    s->mode = -1;
    memmove(&r->subjects[i + 1], &r->subjects[i], (r->nsubjects - i) * sizeof *r->subjects);
    r->subjects[i] = s;
    r->nsubjects++;
    return s;
}

/* Drops a subject that has neither versions nor settings. */
static void subject_gc(rn_registry *r, reg_subject *s)
{
    if (s->n || s->compat >= 0 || s->mode >= 0) return;
    size_t i = subject_pos(r, s->name);
    if (i >= r->nsubjects || r->subjects[i] != s) return;
    memmove(&r->subjects[i], &r->subjects[i + 1], (r->nsubjects - i - 1) * sizeof *r->subjects);
    r->nsubjects--;
    subject_free(s);
}

static int schema_insert(rn_registry *r, reg_schema *s)
{
    if (r->nschemas == r->capschemas) {
        size_t cap = r->capschemas ? r->capschemas * 2 : 16;
        reg_schema **n = realloc(r->schemas, cap * sizeof *n);
        if (!n) return RN_ENOMEM;
        r->schemas = n;
        r->capschemas = cap;
    }
    size_t i = r->nschemas;
    while (i > 0 && r->schemas[i - 1]->id > s->id) /* ids usually arrive in order */
        i--;
    memmove(&r->schemas[i + 1], &r->schemas[i], (r->nschemas - i) * sizeof *r->schemas);
    r->schemas[i] = s;
    r->nschemas++;
    return RN_OK;
}

/* Reserves room for one more version (so publishing cannot fail after the commit). */
static int version_reserve(reg_subject *s)
{
    if (s->n < s->cap) return RN_OK;
    size_t cap = s->cap ? s->cap * 2 : 4;
    reg_version *n = realloc(s->v, cap * sizeof *n);
    if (!n) return RN_ENOMEM;
    s->v = n;
    s->cap = cap;
    return RN_OK;
}

static void version_insert(reg_subject *s, int version, int id, bool deleted)
{
    size_t i = s->n;
    while (i > 0 && s->v[i - 1].version > version)
        i--;
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof *s->v);
    s->v[i] = (reg_version){version, id, deleted};
    s->n++;
}

static void version_remove(rn_registry *r, reg_subject *s, size_t i)
{
    reg_schema *sc = schema_by_id(r, s->v[i].id);
    if (sc) sc->nrefs--;
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
    s->n--;
}

/* ------------------------------------------------------------------ preparing a schema */

typedef struct prepared {
    json_t *json;
    char *canonical;
    uint64_t hash;
    rn_jsonschema *compiled;
} prepared;

static void prepared_free(prepared *p)
{
    json_decref(p->json);
    free(p->canonical);
    rn_jsonschema_free(p->compiled);
    memset(p, 0, sizeof *p);
}

static const rn_jsonschema_options *compile_opts(void)
{
    static const rn_jsonschema_options o = {.default_draft = RN_JSONSCHEMA_DRAFT7};
    return &o;
}

/* Parses, canonicalises and (with compile) compiles a schema text. On failure fills
 * detail with the reason. */
static int prepare_text(const char *text, bool compile, prepared *p, char *detail, size_t len)
{
    memset(p, 0, sizeof *p);
    json_error_t je;
    p->json = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!p->json) {
        snprintf(detail, len, "not valid JSON: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return RN_EINVAL;
    }
    if (!json_is_object(p->json) && !json_is_boolean(p->json)) {
        snprintf(detail, len, "a JSON Schema must be an object or a boolean");
        prepared_free(p);
        return RN_EINVAL;
    }
    p->canonical = json_dumps(p->json, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!p->canonical) {
        snprintf(detail, len, "out of memory");
        prepared_free(p);
        return RN_ENOMEM;
    }
    p->hash = fnv1a(p->canonical);
    if (compile) {
        rn_err err;
        if (rn_jsonschema_compile(p->json, compile_opts(), &p->compiled, &err) != RN_OK) {
            snprintf(detail, len, "%s", err.msg);
            prepared_free(p);
            return RN_EINVAL;
        }
    }
    return RN_OK;
}

static int prepare(const rn_reg_schema_in *in, prepared *p, rn_reg_err *e)
{
    memset(p, 0, sizeof *p);
    if (in->schema_type && strcmp(in->schema_type, "JSON")) {
        if (!strcmp(in->schema_type, "AVRO") || !strcmp(in->schema_type, "PROTOBUF"))
            return reg_fail(e, RN_REG_INVALID_SCHEMA,
                            "Invalid schema type %s: this registry stores JSON Schema only "
                            "(schemaType \"JSON\", also the default when schemaType is absent)",
                            in->schema_type);
        return reg_fail(e, RN_REG_INVALID_SCHEMA,
                        "Invalid schema type %s: the only supported schemaType is JSON",
                        in->schema_type);
    }
    if (in->has_references)
        return reg_fail(e, RN_REG_INVALID_SCHEMA,
                        "Schema references are not supported: put shared definitions under "
                        "\"$defs\" in the schema itself");
    if (!in->schema || !*in->schema) return reg_fail(e, RN_REG_INVALID_SCHEMA, "Empty schema");
    char detail[512];
    int rc = prepare_text(in->schema, true, p, detail, sizeof detail);
    if (rc == RN_ENOMEM) return no_memory(e);
    if (rc) return reg_fail(e, RN_REG_INVALID_SCHEMA, "Invalid schema: %s", detail);
    return RN_OK;
}

static bool same_schema(const reg_schema *s, const prepared *p)
{
    return s && s->hash == p->hash && !strcmp(s->canonical, p->canonical);
}

/* Confluent refuses subjects with control characters (42208); empty ones cannot be
 * addressed in a URL and would collide with the global settings row. */
static int check_subject(const char *subject, rn_reg_err *e)
{
    if (!subject || !*subject) return reg_fail(e, RN_REG_INVALID_SUBJECT, "Invalid subject: empty");
    for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return reg_fail(e, RN_REG_INVALID_SUBJECT,
                            "Invalid subject: control characters are not allowed");
    return RN_OK;
}

/* ------------------------------------------------------------------ load (store.c) */

int rn_reg_load_schema(rn_registry *r, int id, const char *schema_type, const char *text,
                       rn_err *err)
{
    (void)schema_type; /* only JSON is ever stored */
    prepared p;
    char detail[512];
    int rc = prepare_text(text, false, &p, detail, sizeof detail);
    if (rc)
        return rn_err_set(err, rc == RN_ENOMEM ? RN_ENOMEM : RN_ECORRUPT, "%s: schema id %d: %s",
                          r->path, id, detail);
    reg_schema *s = calloc(1, sizeof *s);
    if (!s || !(s->text = strdup(text))) {
        free(s);
        prepared_free(&p);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    s->id = id;
    s->json = p.json;
    s->canonical = p.canonical;
    s->hash = p.hash;
    rn_err cerr;
    if (rn_jsonschema_compile(s->json, compile_opts(), &s->compiled, &cerr) != RN_OK) {
        snprintf(s->compile_err, sizeof s->compile_err, "%s", cerr.msg);
        RN_WARN("registry: schema id %d no longer compiles (%s); it stays readable but is "
                "not used for validation",
                id, cerr.msg);
    }
    if (schema_insert(r, s)) {
        schema_free(s);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    return RN_OK;
}

int rn_reg_load_version(rn_registry *r, const char *subject, int version, int id, bool deleted,
                        rn_err *err)
{
    reg_schema *sc = schema_by_id(r, id);
    if (!sc)
        return rn_err_set(err, RN_ECORRUPT,
                          "%s: subject '%s' version %d names unknown schema id %d", r->path,
                          subject, version, id);
    reg_subject *s = subject_get_or_add(r, subject);
    if (!s || version_reserve(s)) return rn_err_set(err, RN_ENOMEM, "out of memory");
    version_insert(s, version, id, deleted);
    sc->nrefs++;
    return RN_OK;
}

int rn_reg_load_setting(rn_registry *r, const char *table, const char *subject, const char *value,
                        rn_err *err)
{
    bool config = !strcmp(table, "config");
    int v = config ? rn_compat_level_parse(value) : rn_reg_mode_parse(value);
    if (v < 0)
        return rn_err_set(err, RN_ECORRUPT, "%s: %s of '%s': unknown value '%s'", r->path, table,
                          subject, value);
    if (!*subject) {
        if (config)
            r->compat = (rn_compat_level)v;
        else
            r->mode = (rn_reg_mode)v;
        return RN_OK;
    }
    reg_subject *s = subject_get_or_add(r, subject);
    if (!s) return rn_err_set(err, RN_ENOMEM, "out of memory");
    if (config)
        s->compat = v;
    else
        s->mode = v;
    return RN_OK;
}

/* ------------------------------------------------------------------ lifecycle */

int rn_registry_open(const char *data_dir, rn_registry **out, rn_err *err)
{
    *out = NULL;
    rn_registry *r = calloc(1, sizeof *r);
    if (!r) return rn_err_set(err, RN_ENOMEM, "out of memory");
    pthread_mutex_init(&r->wmu, NULL);
    pthread_rwlock_init(&r->lock, NULL);
    r->compat = RN_COMPAT_BACKWARD;
    r->mode = RN_MODE_READWRITE;
    if (data_dir) {
        if (mkdir(data_dir, 0755) != 0 && errno != EEXIST) {
            int rc = rn_err_set(err, rn_err_from_errno(errno), "%s: mkdir: %s", data_dir,
                                strerror(errno));
            rn_registry_close(r);
            return rc;
        }
        snprintf(r->path, sizeof r->path, "%s/registry.db", data_dir);
    } else {
        snprintf(r->path, sizeof r->path, ":memory:");
    }
    int rc = rn_reg_store_open(r, err);
    if (rc) {
        rn_registry_close(r);
        return rc;
    }
    RN_INFO("registry: %s: %zu schema(s), %zu subject(s), compatibility %s, mode %s", r->path,
            r->nschemas, r->nsubjects, rn_compat_level_name(r->compat), rn_reg_mode_name(r->mode));
    *out = r;
    return RN_OK;
}

void rn_registry_close(rn_registry *r)
{
    if (!r) return;
    rn_reg_store_close(r);
    for (size_t i = 0; i < r->nsubjects; i++)
        subject_free(r->subjects[i]);
    for (size_t i = 0; i < r->nschemas; i++)
        schema_free(r->schemas[i]);
    free(r->subjects);
    free(r->schemas);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->wmu);
    free(r);
}

/* ------------------------------------------------------------------ for the broker */

int rn_registry_get_schema(rn_registry *r, const char *subject, int version,
                           const rn_jsonschema **out_compiled, int *out_id, rn_err *err)
{
    int rc = RN_OK;
    pthread_rwlock_rdlock(&r->lock);
    const reg_subject *s = subject_find(r, subject);
    const reg_version *v = NULL;
    if (!has_versions(s, false)) {
        rc = rn_err_set(err, RN_ENOTFOUND, "schema registry: subject '%s' not found", subject);
        goto out;
    }
    v = version < 0 ? version_latest(s, false) : version_find(s, version);
    if (!v || v->deleted) {
        rc = rn_err_set(err, RN_ENOTFOUND, "schema registry: subject '%s' has no version %d%s",
                        subject, version, v ? " (it was deleted)" : "");
        goto out;
    }
    const reg_schema *sc = schema_by_id(r, v->id);
    if (!sc || !sc->compiled) {
        rc = rn_err_set(err, RN_EINVAL, "schema registry: schema id %d does not compile: %s", v->id,
                        sc ? sc->compile_err : "missing");
        goto out;
    }
    *out_compiled = sc->compiled;
    if (out_id) *out_id = sc->id;
out:
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int rn_registry_schema_fn(void *registry, const char *subject, int version,
                          const rn_jsonschema **out_compiled, int *out_id, rn_err *err)
{
    return rn_registry_get_schema(registry, subject, version, out_compiled, out_id, err);
}

int rn_registry_get_by_id(rn_registry *r, int id, const rn_jsonschema **out_compiled, rn_err *err)
{
    int rc = RN_OK;
    pthread_rwlock_rdlock(&r->lock);
    const reg_schema *sc = schema_by_id(r, id);
    if (!sc || sc->nrefs == 0)
        rc = rn_err_set(err, RN_ENOTFOUND, "schema registry: schema id %d not found", id);
    else if (!sc->compiled)
        rc = rn_err_set(err, RN_EINVAL, "schema registry: schema id %d does not compile: %s", id,
                        sc->compile_err);
    else
        *out_compiled = sc->compiled;
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

/* ------------------------------------------------------------------ reads */

static json_t *version_json(const char *subject, const reg_version *v, const reg_schema *sc)
{
    return json_pack("{s:s, s:i, s:i, s:s, s:s}", "subject", subject, "version", v->version, "id",
                     v->id, "schemaType", "JSON", "schema", sc->text);
}

/* Builds the result or reports out of memory. */
static int result(json_t *j, json_t **out, rn_reg_err *e)
{
    if (!j) return no_memory(e);
    *out = j;
    reg_ok(e);
    return RN_OK;
}

int rn_registry_list_subjects(rn_registry *r, bool deleted, json_t **out, rn_reg_err *e)
{
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&r->lock);
    for (size_t i = 0; arr && i < r->nsubjects; i++)
        if (has_versions(r->subjects[i], deleted))
            json_array_append_new(arr, json_string(r->subjects[i]->name));
    pthread_rwlock_unlock(&r->lock);
    return result(arr, out, e);
}

int rn_registry_list_versions(rn_registry *r, const char *subject, bool deleted, json_t **out,
                              rn_reg_err *e)
{
    int rc;
    pthread_rwlock_rdlock(&r->lock);
    const reg_subject *s = subject_find(r, subject);
    if (!has_versions(s, deleted)) {
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < s->n; i++)
            if (deleted || !s->v[i].deleted)
                json_array_append_new(arr, json_integer(s->v[i].version));
        rc = result(arr, out, e);
    }
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int rn_registry_get_version(rn_registry *r, const char *subject, int version, bool deleted,
                            json_t **out, rn_reg_err *e)
{
    int rc;
    pthread_rwlock_rdlock(&r->lock);
    const reg_subject *s = subject_find(r, subject);
    const reg_version *v = version < 0 ? version_latest(s, deleted) : version_find(s, version);
    if (v && v->deleted && !deleted) v = NULL;
    if (!has_versions(s, deleted))
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    else if (!v)
        rc = reg_fail(e, RN_REG_VERSION_NOT_FOUND, "Version %d not found.", version);
    else
        rc = result(version_json(subject, v, schema_by_id(r, v->id)), out, e);
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int rn_registry_lookup(rn_registry *r, const char *subject, const rn_reg_schema_in *in,
                       bool deleted, json_t **out, rn_reg_err *e)
{
    prepared p;
    int rc = prepare(in, &p, e);
    if (rc) return rc;
    pthread_rwlock_rdlock(&r->lock);
    const reg_subject *s = subject_find(r, subject);
    const reg_version *found = NULL;
    for (size_t i = s ? s->n : 0; i-- > 0;) { /* the newest match */
        if (s->v[i].deleted && !deleted) continue;
        if (same_schema(schema_by_id(r, s->v[i].id), &p)) {
            found = &s->v[i];
            break;
        }
    }
    if (!has_versions(s, deleted))
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    else if (!found)
        rc = reg_fail(e, RN_REG_SCHEMA_NOT_FOUND, "Schema not found");
    else
        rc = result(version_json(subject, found, schema_by_id(r, found->id)), out, e);
    pthread_rwlock_unlock(&r->lock);
    prepared_free(&p);
    return rc;
}

int rn_registry_schema_by_id(rn_registry *r, int id, json_t **out, rn_reg_err *e)
{
    int rc;
    pthread_rwlock_rdlock(&r->lock);
    const reg_schema *sc = schema_by_id(r, id);
    if (!sc || !sc->nrefs)
        rc = reg_fail(e, RN_REG_SCHEMA_NOT_FOUND, "Schema %d not found", id);
    else
        rc = result(json_pack("{s:s, s:s}", "schema", sc->text, "schemaType", "JSON"), out, e);
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

static int schema_refs(rn_registry *r, int id, bool deleted, bool versions, json_t **out,
                       rn_reg_err *e)
{
    int rc;
    pthread_rwlock_rdlock(&r->lock);
    const reg_schema *sc = schema_by_id(r, id);
    if (!sc || !sc->nrefs) {
        rc = reg_fail(e, RN_REG_SCHEMA_NOT_FOUND, "Schema %d not found", id);
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < r->nsubjects; i++) {
            const reg_subject *s = r->subjects[i];
            bool listed = false;
            for (size_t j = 0; j < s->n; j++) {
                if (s->v[j].id != id || (s->v[j].deleted && !deleted)) continue;
                if (versions)
                    json_array_append_new(arr, json_pack("{s:s, s:i}", "subject", s->name,
                                                         "version", s->v[j].version));
                else if (!listed)
                    json_array_append_new(arr, json_string(s->name));
                listed = true;
            }
        }
        rc = result(arr, out, e);
    }
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int rn_registry_schema_versions(rn_registry *r, int id, bool deleted, json_t **out, rn_reg_err *e)
{
    return schema_refs(r, id, deleted, true, out, e);
}

int rn_registry_schema_subjects(rn_registry *r, int id, bool deleted, json_t **out, rn_reg_err *e)
{
    return schema_refs(r, id, deleted, false, out, e);
}

/* ------------------------------------------------------------------ compatibility */

/* Checks p against the live versions of s (or only `only`) for level; messages may be
 * NULL. Caller holds the lock or wmu. */
static int compat_against(const rn_registry *r, const reg_subject *s, const reg_version *only,
                          rn_compat_level level, const prepared *p, json_t *messages)
{
    size_t n = 0, cap = s ? s->n : 0;
    if (only) cap = 1;
    if (!cap) return 1;
    const json_t **old = malloc(cap * sizeof *old);
    int *vers = malloc(cap * sizeof *vers);
    int ok = 0;
    if (!old || !vers) {
        if (messages) json_array_append_new(messages, json_string("out of memory"));
        goto out;
    }
    if (only) {
        old[n] = schema_by_id(r, only->id)->json;
        vers[n++] = only->version;
    } else {
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i].deleted) continue;
            old[n] = schema_by_id(r, s->v[i].id)->json;
            vers[n++] = s->v[i].version;
        }
    }
    ok = rn_compat_check_level(level, p->json, old, vers, n, messages);
out:
    free(old);
    free(vers);
    return ok;
}

/* "a; b; c" of a message array, into buf. */
static void join_messages(const json_t *msgs, char *buf, size_t len)
{
    size_t n = 0, i;
    const json_t *m;
    buf[0] = '\0';
    json_array_foreach(msgs, i, m)
    {
        int w =
            snprintf(buf + n, n < len ? len - n : 0, "%s%s", i ? "; " : "", json_string_value(m));
        if (w < 0 || (n += (size_t)w) >= len) break;
    }
}

int rn_registry_check(rn_registry *r, const char *subject, int version, const rn_reg_schema_in *in,
                      bool verbose, json_t **out, rn_reg_err *e)
{
    prepared p;
    int rc = prepare(in, &p, e);
    if (rc) {
        if (!verbose || !e || e->error_code != RN_REG_INVALID_SCHEMA) return rc;
        return result(json_pack("{s:b, s:[s]}", "is_compatible", 0, "messages", e->message), out,
                      e);
    }
    json_t *msgs = json_array();
    pthread_rwlock_rdlock(&r->lock);
    const reg_subject *s = subject_find(r, subject);
    rn_compat_level level = level_of(r, s);
    int ok = 1;
    rc = RN_OK;
    if (version == 0) {
        ok = compat_against(r, s, NULL, level, &p, msgs);
    } else {
        const reg_version *v = version < 0 ? version_latest(s, false) : version_find(s, version);
        if (v && v->deleted) v = NULL;
        if (v)
            ok = compat_against(r, s, v, level, &p, msgs);
        else if (version > 0)
            rc = reg_fail(e, RN_REG_VERSION_NOT_FOUND, "Version %d not found.", version);
    }
    pthread_rwlock_unlock(&r->lock);
    prepared_free(&p);
    if (rc) {
        json_decref(msgs);
        return rc;
    }
    json_t *res = json_pack("{s:b}", "is_compatible", ok);
    if (res && verbose) json_object_set(res, "messages", msgs);
    json_decref(msgs);
    return result(res, out, e);
}

/* ------------------------------------------------------------------ register */

int rn_registry_register(rn_registry *r, const char *subject, const rn_reg_schema_in *in,
                         int *out_id, rn_reg_err *e)
{
    int rc = check_subject(subject, e);
    if (rc) return rc;
    prepared p;
    if ((rc = prepare(in, &p, e))) return rc;
    reg_schema *fresh = NULL;
    pthread_mutex_lock(&r->wmu);
    reg_subject *s = subject_find(r, subject);
    rn_reg_mode mode = mode_of(r, s);
    if (mode == RN_MODE_READONLY) {
        rc = reg_fail(e, RN_REG_NOT_PERMITTED, "Subject %s is in read-only mode", subject);
        goto out;
    }
    if ((in->id >= 0 || in->version >= 0) && mode != RN_MODE_IMPORT) {
        rc = reg_fail(e, RN_REG_NOT_PERMITTED,
                      "Subject %s is not in import mode: an id or version may only be given "
                      "in IMPORT mode",
                      subject);
        goto out;
    }
    /* idempotent: an identical live version answers with its id */
    for (size_t i = s ? s->n : 0; i-- > 0;) {
        if (s->v[i].deleted || !same_schema(schema_by_id(r, s->v[i].id), &p)) continue;
        if (in->id >= 0 && in->id != s->v[i].id) {
            rc = reg_fail(e, RN_REG_ID_MISMATCH,
                          "Schema already registered with id %d instead of input id %d", s->v[i].id,
                          in->id);
            goto out;
        }
        *out_id = s->v[i].id;
        reg_ok(e);
        goto out;
    }
    if (mode != RN_MODE_IMPORT) {
        json_t *msgs = json_array();
        if (!compat_against(r, s, NULL, level_of(r, s), &p, msgs)) {
            char details[900];
            join_messages(msgs, details, sizeof details);
            rc = reg_fail(e, RN_REG_INCOMPATIBLE,
                          "Schema being registered is incompatible with an earlier schema for "
                          "subject \"%s\", details: [%s]",
                          subject, details);
            json_decref(msgs);
            goto out;
        }
        json_decref(msgs);
    }
    /* the global id: explicit (IMPORT), known, or the next one */
    reg_schema *known = schema_by_canonical(r, p.canonical, p.hash);
    int id;
    if (in->id >= 0) {
        reg_schema *taken = schema_by_id(r, in->id);
        if (taken && !same_schema(taken, &p)) {
            rc = reg_fail(e, RN_REG_NOT_PERMITTED,
                          "Overwrite new schema with id %d is not permitted.", in->id);
            goto out;
        }
        if (known && known->id != in->id) {
            rc = reg_fail(e, RN_REG_ID_MISMATCH,
                          "Schema already registered with id %d instead of input id %d", known->id,
                          in->id);
            goto out;
        }
        id = in->id;
    } else if (known) {
        id = known->id;
    } else {
        id = r->nschemas ? r->schemas[r->nschemas - 1]->id + 1 : 1;
    }
    int maxv = s && s->n ? s->v[s->n - 1].version : 0;
    int version = maxv + 1;
    if (in->version >= 0) {
        if (in->version < 1 || version_find(s, in->version)) {
            rc = reg_fail(e, RN_REG_NOT_PERMITTED, "Version %d already exists or is invalid",
                          in->version);
            goto out;
        }
        version = in->version;
    }
    /* everything that can fail in memory happens before the commit */
    reg_schema *target = schema_by_id(r, id);
    if (!target) {
        fresh = calloc(1, sizeof *fresh);
        if (!fresh || !(fresh->text = strdup(in->schema))) {
            rc = no_memory(e);
            goto out;
        }
        fresh->id = id;
        target = fresh;
    }
    pthread_rwlock_wrlock(&r->lock);
    reg_subject *ns = subject_get_or_add(r, subject);
    rc = ns ? version_reserve(ns) : RN_ENOMEM;
    if (rc == RN_OK && fresh && r->nschemas == r->capschemas) {
        size_t cap = r->capschemas ? r->capschemas * 2 : 16;
        reg_schema **n = realloc(r->schemas, cap * sizeof *n);
        if (n) {
            r->schemas = n;
            r->capschemas = cap;
        } else {
            rc = RN_ENOMEM;
        }
    }
    pthread_rwlock_unlock(&r->lock);
    if (rc) {
        rc = no_memory(e);
        goto out;
    }
    s = ns;
    rn_err err;
    if (rn_reg_store_add_version(r, target, fresh != NULL, subject, version, &err)) {
        rc = store_fail(e, "register", &err);
        goto out;
    }
    pthread_rwlock_wrlock(&r->lock);
    if (fresh) {
        fresh->json = p.json;
        fresh->canonical = p.canonical;
        fresh->hash = p.hash;
        fresh->compiled = p.compiled;
        memset(&p, 0, sizeof p);
        schema_insert(r, fresh); /* room reserved above */
        target = fresh;
        fresh = NULL;
    }
    version_insert(s, version, id, false);
    target->nrefs++;
    pthread_rwlock_unlock(&r->lock);
    RN_INFO("registry: subject '%s' version %d registered (schema id %d)", subject, version, id);
    *out_id = id;
    reg_ok(e);
    rc = RN_OK;
out:
    if (s && rc) { /* an empty subject struct created for nothing */
        pthread_rwlock_wrlock(&r->lock);
        subject_gc(r, s);
        pthread_rwlock_unlock(&r->lock);
    }
    pthread_mutex_unlock(&r->wmu);
    if (fresh) {
        free(fresh->text);
        free(fresh);
    }
    prepared_free(&p);
    return rc;
}

/* ------------------------------------------------------------------ config and mode */

int rn_registry_get_config(rn_registry *r, const char *subject, bool default_to_global,
                           rn_compat_level *out, rn_reg_err *e)
{
    int rc = RN_OK;
    pthread_rwlock_rdlock(&r->lock);
    const reg_subject *s = subject ? subject_find(r, subject) : NULL;
    if (subject && (!s || s->compat < 0) && !default_to_global)
        rc = reg_fail(e, RN_REG_SUBJECT_COMPAT_NOT_CONFIGURED,
                      "Subject '%s' does not have subject-level compatibility configured", subject);
    else
        *out = level_of(r, s);
    pthread_rwlock_unlock(&r->lock);
    if (!rc) reg_ok(e);
    return rc;
}

int rn_registry_get_mode(rn_registry *r, const char *subject, bool default_to_global,
                         rn_reg_mode *out, rn_reg_err *e)
{
    int rc = RN_OK;
    pthread_rwlock_rdlock(&r->lock);
    const reg_subject *s = subject ? subject_find(r, subject) : NULL;
    if (subject && (!s || s->mode < 0) && !default_to_global)
        rc = reg_fail(e, RN_REG_SUBJECT_MODE_NOT_CONFIGURED,
                      "Subject '%s' does not have subject-level mode configured", subject);
    else
        *out = mode_of(r, s);
    pthread_rwlock_unlock(&r->lock);
    if (!rc) reg_ok(e);
    return rc;
}

/* Sets (value >= 0) or clears (-1) a subject's or the global setting; config or mode. */
static int put_setting(rn_registry *r, bool config, const char *subject, int value, rn_reg_err *e)
{
    rn_err err;
    const char *name = value < 0 ? NULL
                       : config  ? rn_compat_level_name((rn_compat_level)value)
                                 : rn_reg_mode_name((rn_reg_mode)value);
    reg_subject *s = NULL;
    if (subject && value >= 0) { /* make room first: publishing must not fail */
        pthread_rwlock_wrlock(&r->lock);
        s = subject_get_or_add(r, subject);
        pthread_rwlock_unlock(&r->lock);
        if (!s) return no_memory(e);
    } else if (subject) {
        s = subject_find(r, subject);
    }
    if (rn_reg_store_put_setting(r, config ? "config" : "mode", subject ? subject : "", name,
                                 &err)) {
        if (s) {
            pthread_rwlock_wrlock(&r->lock);
            subject_gc(r, s);
            pthread_rwlock_unlock(&r->lock);
        }
        return store_fail(e, config ? "config" : "mode", &err);
    }
    pthread_rwlock_wrlock(&r->lock);
    if (!subject) {
        if (config)
            r->compat = value < 0 ? RN_COMPAT_BACKWARD : (rn_compat_level)value;
        else
            r->mode = value < 0 ? RN_MODE_READWRITE : (rn_reg_mode)value;
    } else if (s) {
        if (config)
            s->compat = value;
        else
            s->mode = value;
        subject_gc(r, s);
    }
    pthread_rwlock_unlock(&r->lock);
    reg_ok(e);
    return RN_OK;
}

int rn_registry_set_config(rn_registry *r, const char *subject, rn_compat_level level,
                           rn_reg_err *e)
{
    if ((unsigned)level > RN_COMPAT_FULL_TRANSITIVE)
        return reg_fail(e, RN_REG_INVALID_COMPAT, "Invalid compatibility level");
    if (subject && check_subject(subject, e)) return RN_EINVAL;
    pthread_mutex_lock(&r->wmu);
    int rc = put_setting(r, true, subject, (int)level, e);
    pthread_mutex_unlock(&r->wmu);
    if (!rc)
        RN_INFO("registry: compatibility of %s%s%s set to %s", subject ? "subject '" : "global",
                subject ? subject : "", subject ? "'" : "", rn_compat_level_name(level));
    return rc;
}

int rn_registry_delete_config(rn_registry *r, const char *subject, rn_compat_level *old,
                              rn_reg_err *e)
{
    pthread_mutex_lock(&r->wmu);
    int rc;
    const reg_subject *s = subject ? subject_find(r, subject) : NULL;
    if (subject && (!s || s->compat < 0)) {
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    } else {
        *old = subject ? (rn_compat_level)s->compat : r->compat;
        rc = put_setting(r, true, subject, -1, e);
    }
    pthread_mutex_unlock(&r->wmu);
    return rc;
}

int rn_registry_set_mode(rn_registry *r, const char *subject, rn_reg_mode mode, bool force,
                         rn_reg_err *e)
{
    if ((unsigned)mode > RN_MODE_IMPORT) return reg_fail(e, RN_REG_INVALID_MODE, "Invalid mode");
    if (subject && check_subject(subject, e)) return RN_EINVAL;
    pthread_mutex_lock(&r->wmu);
    int rc = RN_OK;
    if (mode == RN_MODE_IMPORT && !force) {
        bool any = false;
        if (subject) any = has_versions(subject_find(r, subject), true);
        for (size_t i = 0; !subject && i < r->nsubjects && !any; i++)
            any = has_versions(r->subjects[i], true);
        if (any)
            rc = reg_fail(e, RN_REG_NOT_PERMITTED,
                          "Cannot import since found existing subjects (use force=true)");
    }
    if (!rc) rc = put_setting(r, false, subject, (int)mode, e);
    pthread_mutex_unlock(&r->wmu);
    if (!rc)
        RN_INFO("registry: mode of %s%s%s set to %s", subject ? "subject '" : "global",
                subject ? subject : "", subject ? "'" : "", rn_reg_mode_name(mode));
    return rc;
}

int rn_registry_delete_mode(rn_registry *r, const char *subject, rn_reg_mode *old, rn_reg_err *e)
{
    pthread_mutex_lock(&r->wmu);
    int rc;
    const reg_subject *s = subject ? subject_find(r, subject) : NULL;
    if (subject && (!s || s->mode < 0)) {
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    } else {
        *old = subject ? (rn_reg_mode)s->mode : r->mode;
        rc = put_setting(r, false, subject, -1, e);
    }
    pthread_mutex_unlock(&r->wmu);
    return rc;
}

/* ------------------------------------------------------------------ deletes */

int rn_registry_delete_subject(rn_registry *r, const char *subject, bool permanent, json_t **out,
                               rn_reg_err *e)
{
    int rc;
    rn_err err;
    json_t *arr = json_array();
    if (!arr) return no_memory(e);
    pthread_mutex_lock(&r->wmu);
    reg_subject *s = subject_find(r, subject);
    if (!has_versions(s, true)) {
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
        goto out;
    }
    if (mode_of(r, s) == RN_MODE_READONLY) {
        rc = reg_fail(e, RN_REG_NOT_PERMITTED, "Subject %s is in read-only mode", subject);
        goto out;
    }
    size_t live = live_count(s);
    if (!permanent && !live) {
        rc = reg_fail(e, RN_REG_SUBJECT_SOFT_DELETED,
                      "Subject '%s' was soft deleted. Set permanent=true to delete permanently",
                      subject);
        goto out;
    }
    if (permanent && live) {
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_SOFT_DELETED,
                      "Subject '%s' was not deleted first before being permanently deleted",
                      subject);
        goto out;
    }
    for (size_t i = 0; i < s->n; i++)
        if (permanent || !s->v[i].deleted)
            json_array_append_new(arr, json_integer(s->v[i].version));
    if (permanent ? rn_reg_store_hard_delete(r, subject, 0, &err)
                  : rn_reg_store_soft_delete(r, subject, 0, true, &err)) {
        rc = store_fail(e, "delete subject", &err);
        goto out;
    }
    pthread_rwlock_wrlock(&r->lock);
    if (permanent) {
        while (s->n)
            version_remove(r, s, s->n - 1);
    } else {
        for (size_t i = 0; i < s->n; i++)
            s->v[i].deleted = true;
        s->compat = s->mode = -1;
    }
    subject_gc(r, s);
    pthread_rwlock_unlock(&r->lock);
    RN_INFO("registry: subject '%s' %s deleted", subject, permanent ? "permanently" : "soft");
    *out = arr;
    arr = NULL;
    reg_ok(e);
    rc = RN_OK;
out:
    pthread_mutex_unlock(&r->wmu);
    json_decref(arr);
    return rc;
}

int rn_registry_delete_version(rn_registry *r, const char *subject, int version, bool permanent,
                               int *out_version, rn_reg_err *e)
{
    int rc;
    rn_err err;
    pthread_mutex_lock(&r->wmu);
    reg_subject *s = subject_find(r, subject);
    reg_version *v = version < 0 ? version_latest(s, permanent) : version_find(s, version);
    if (!has_versions(s, true)) {
        rc = reg_fail(e, RN_REG_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
        goto out;
    }
    if (!v) {
        rc = reg_fail(e, RN_REG_VERSION_NOT_FOUND, "Version %d not found.", version);
        goto out;
    }
    if (mode_of(r, s) == RN_MODE_READONLY) {
        rc = reg_fail(e, RN_REG_NOT_PERMITTED, "Subject %s is in read-only mode", subject);
        goto out;
    }
    int vn = v->version;
    if (!permanent && v->deleted) {
        rc = reg_fail(e, RN_REG_VERSION_SOFT_DELETED,
                      "Subject '%s' Version %d was soft deleted. Set permanent=true to delete "
                      "permanently",
                      subject, vn);
        goto out;
    }
    if (permanent && !v->deleted) {
        rc = reg_fail(e, RN_REG_VERSION_NOT_SOFT_DELETED,
                      "Subject '%s' Version %d was not deleted first before being permanently "
                      "deleted",
                      subject, vn);
        goto out;
    }
    if (permanent ? rn_reg_store_hard_delete(r, subject, vn, &err)
                  : rn_reg_store_soft_delete(r, subject, vn, false, &err)) {
        rc = store_fail(e, "delete version", &err);
        goto out;
    }
    pthread_rwlock_wrlock(&r->lock);
    if (permanent) {
        version_remove(r, s, (size_t)(v - s->v));
        subject_gc(r, s);
    } else {
        v->deleted = true;
    }
    pthread_rwlock_unlock(&r->lock);
    RN_INFO("registry: subject '%s' version %d %s deleted", subject, vn,
            permanent ? "permanently" : "soft");
    *out_version = vn;
    reg_ok(e);
    rc = RN_OK;
out:
    pthread_mutex_unlock(&r->wmu);
    return rc;
}
