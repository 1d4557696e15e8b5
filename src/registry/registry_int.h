/*
 * registry/registry_int.h - structures shared by the schema registry (registry.c) and its
 * SQLite persistence (store.c). Not for other modules: they use registry.h.
 *
 * Memory model: the whole registry lives in memory, loaded from registry.db at open.
 *   Schemas (reg_schema) are never freed before rn_registry_close, so compiled schemas
 *   handed to the broker stay valid; versions and subjects come and go.
 * Locking: `lock` (rwlock) guards every field below it; readers take it shared. Writers
 *   first take `wmu`, which serialises all changes and every SQLite statement; holding
 *   wmu they may read the in-memory state without `lock` (nobody else changes it), write
 *   and commit to SQLite, and then take `lock` exclusively just to publish the change.
 *
 * ON-DISK FORMAT (registry.db, PRAGMA user_version = 1):
 *   schemas(id INTEGER PRIMARY KEY, schema_type TEXT, schema TEXT)
 *       every schema ever registered, with the text as first registered; rows are never
 *       deleted, so an id is never reused for a different schema
 *   versions(subject TEXT, version INTEGER, schema_id INTEGER, deleted INTEGER,
 *            PRIMARY KEY(subject, version))
 *       deleted = 1 after a soft delete; a hard delete removes the row
 *   config(subject TEXT PRIMARY KEY, compatibility TEXT)   subject '' = global
 *   mode(subject TEXT PRIMARY KEY, mode TEXT)              subject '' = global
 */
#ifndef RN_REGISTRY_REGISTRY_INT_H
#define RN_REGISTRY_REGISTRY_INT_H

#include "registry/registry.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

typedef struct reg_schema {
    int id;
    char *text;              /* as first registered; from malloc() */
    char *canonical;         /* sorted keys, compact; from json_dumps() */
    uint64_t hash;           /* FNV-1a of canonical */
    json_t *json;            /* parsed text; immutable, owned */
    rn_jsonschema *compiled; /* NULL if it does not compile (compile_err says why) */
    char compile_err[256];
    int nrefs; /* version rows (soft-deleted included) naming this id */
} reg_schema;

typedef struct reg_version {
    int version;
    int id;
    bool deleted; /* soft-deleted */
} reg_version;

typedef struct reg_subject {
    char *name;     /* from malloc() */
    reg_version *v; /* ascending by version; from malloc() */
    size_t n, cap;
    int compat; /* rn_compat_level, or -1 when the subject has none */
    int mode;   /* rn_reg_mode, or -1 */
} reg_subject;

struct rn_registry {
    pthread_mutex_t wmu;   /* serialises writers and SQLite */
    pthread_rwlock_t lock; /* guards everything below */
    reg_schema **schemas;  /* ascending by id; from malloc() */
    size_t nschemas, capschemas;
    reg_subject **subjects; /* ascending by name (strcmp); from malloc() */
    size_t nsubjects, capsubjects;
    rn_compat_level compat; /* global level */
    rn_reg_mode mode;       /* global mode */
    /* store.c, used under wmu only */
    sqlite3 *db;
    char path[1100]; /* "<data_dir>/registry.db" or ":memory:" */
    int fail_writes; /* tests: > 0 makes the next writes fail (counts down) */
};

/* ------------------------------------------------------------------ store.c */

/* Opens (creating) r->path, sets WAL and synchronous=FULL, creates the tables and loads
 * every row through rn_reg_load_*. RN_EIO / RN_ECORRUPT with the path in err. */
int rn_reg_store_open(rn_registry *r, rn_err *err);
void rn_reg_store_close(rn_registry *r);

/* One transaction each; RN_OK or RN_EIO (message from SQLite). Called under wmu. */
int rn_reg_store_add_version(rn_registry *r, const reg_schema *s, bool new_schema,
                             const char *subject, int version, rn_err *err);
/* Marks one version (or all with version 0) deleted; drop_settings also removes the
 * subject's config and mode rows in the same transaction. */
int rn_reg_store_soft_delete(rn_registry *r, const char *subject, int version, bool drop_settings,
                             rn_err *err);
/* Removes one version row (or all of the subject's with version 0). */
int rn_reg_store_hard_delete(rn_registry *r, const char *subject, int version, rn_err *err);
/* table "config" or "mode"; subject "" = global; value NULL deletes the row. */
int rn_reg_store_put_setting(rn_registry *r, const char *table, const char *subject,
                             const char *value, rn_err *err);

/* Test hook: the next n store writes fail with RN_EIO (as a full or broken disk would). */
void rn_reg_store_fail_writes(rn_registry *r, int n);

/* ------------------------------------------------------------------ registry.c, for load */

int rn_reg_load_schema(rn_registry *r, int id, const char *schema_type, const char *text,
                       rn_err *err);
int rn_reg_load_version(rn_registry *r, const char *subject, int version, int id, bool deleted,
                        rn_err *err);
int rn_reg_load_setting(rn_registry *r, const char *table, const char *subject, const char *value,
                        rn_err *err);

#endif
