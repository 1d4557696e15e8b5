/*
 * registry/store.c - the schema registry's SQLite persistence: <data_dir>/registry.db.
 *
 * Layer: called by registry.c only (under its writer mutex); calls SQLite.
 * Durability: WAL with synchronous=FULL; each change is one BEGIN IMMEDIATE ... COMMIT, so
 *   when a function returns RN_OK the change is on stable storage, and on failure it is
 *   rolled back entirely. The on-disk format is described in registry_int.h.
 */
#include "registry/registry_int.h"

#include <stdio.h>
#include <string.h>

static int db_fail(rn_registry *r, rn_err *err, const char *what)
{
    return rn_err_set(err, RN_EIO, "%s: %s: %s", r->path, what, sqlite3_errmsg(r->db));
}

static int exec(rn_registry *r, const char *sql, rn_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rn_err_set(err, RN_EIO, "%s: %s", r->path, msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return RN_EIO;
    }
    return RN_OK;
}

/* Prepares sql, binds text/int arguments described by fmt ('s' text, 'i' int), steps to
 * completion. */
static int run(rn_registry *r, const char *sql, const char *fmt, const void *const *args,
               rn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "prepare");
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 's')
            sqlite3_bind_text(st, i + 1, (const char *)args[i], -1, SQLITE_STATIC);
        else
            sqlite3_bind_int(st, i + 1, *(const int *)args[i]);
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db_fail(r, err, "write");
    return RN_OK;
}

static int begin(rn_registry *r, rn_err *err)
{
    if (r->fail_writes > 0) {
        r->fail_writes--;
        return rn_err_set(err, RN_EIO, "%s: injected write failure", r->path);
    }
    return exec(r, "BEGIN IMMEDIATE", err);
}

static int commit(rn_registry *r, int rc, rn_err *err)
{
    if (rc == RN_OK) return exec(r, "COMMIT", err) ? (exec(r, "ROLLBACK", NULL), RN_EIO) : RN_OK;
    exec(r, "ROLLBACK", NULL);
    return rc;
}

void rn_reg_store_fail_writes(rn_registry *r, int n)
{
    pthread_mutex_lock(&r->wmu);
    r->fail_writes = n;
    pthread_mutex_unlock(&r->wmu);
}

/* ------------------------------------------------------------------ open and load */

static int load(rn_registry *r, rn_err *err)
{
    sqlite3_stmt *st;
    int rc = RN_OK;
    /* schemas first: versions count references to them */
    if (sqlite3_prepare_v2(r->db, "SELECT id, schema_type, schema FROM schemas ORDER BY id", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "load schemas");
    while (rc == RN_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 1);
        const char *text = (const char *)sqlite3_column_text(st, 2);
        rc = rn_reg_load_schema(r, sqlite3_column_int(st, 0), type ? type : "JSON",
                                text ? text : "", err);
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT subject, version, schema_id, deleted FROM versions "
                           "ORDER BY subject, version",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "load versions");
    while (rc == RN_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *subject = (const char *)sqlite3_column_text(st, 0);
        rc = rn_reg_load_version(r, subject ? subject : "", sqlite3_column_int(st, 1),
                                 sqlite3_column_int(st, 2), sqlite3_column_int(st, 3) != 0, err);
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    static const char *const tables[][2] = {{"config", "SELECT subject, compatibility FROM config"},
                                            {"mode", "SELECT subject, mode FROM mode"}};
    for (int t = 0; t < 2 && rc == RN_OK; t++) {
        if (sqlite3_prepare_v2(r->db, tables[t][1], -1, &st, NULL) != SQLITE_OK)
            return db_fail(r, err, "load settings");
        while (rc == RN_OK && sqlite3_step(st) == SQLITE_ROW) {
            const char *subject = (const char *)sqlite3_column_text(st, 0);
            const char *value = (const char *)sqlite3_column_text(st, 1);
            rc = rn_reg_load_setting(r, tables[t][0], subject ? subject : "", value ? value : "",
                                     err);
        }
        sqlite3_finalize(st);
    }
    return rc;
}

int rn_reg_store_open(rn_registry *r, rn_err *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(r->path, &r->db, flags, NULL) != SQLITE_OK) {
        int rc = rn_err_set(err, RN_EIO, "%s: cannot open: %s", r->path,
                            r->db ? sqlite3_errmsg(r->db) : "out of memory");
        sqlite3_close(r->db);
        r->db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(r->db, 5000);
    int rc = exec(r,
                  "PRAGMA journal_mode=WAL;"
                  "PRAGMA synchronous=FULL;"
                  "CREATE TABLE IF NOT EXISTS schemas(id INTEGER PRIMARY KEY,"
                  "  schema_type TEXT NOT NULL, schema TEXT NOT NULL);"
                  "CREATE TABLE IF NOT EXISTS versions(subject TEXT NOT NULL,"
                  "  version INTEGER NOT NULL, schema_id INTEGER NOT NULL,"
                  "  deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(subject, version));"
                  "CREATE TABLE IF NOT EXISTS config(subject TEXT PRIMARY KEY,"
                  "  compatibility TEXT NOT NULL);"
                  "CREATE TABLE IF NOT EXISTS mode(subject TEXT PRIMARY KEY, mode TEXT NOT NULL);"
                  "PRAGMA user_version=1;",
                  err);
    if (rc == RN_OK) rc = load(r, err);
    return rc;
}

void rn_reg_store_close(rn_registry *r)
{
    if (r->db) sqlite3_close(r->db);
    r->db = NULL;
}

/* ------------------------------------------------------------------ writes */

int rn_reg_store_add_version(rn_registry *r, const reg_schema *s, bool new_schema,
                             const char *subject, int version, rn_err *err)
{
    int rc = begin(r, err);
    if (rc) return rc;
    if (new_schema) {
        const void *a[] = {&s->id, "JSON", s->text};
        rc = run(r, "INSERT INTO schemas(id, schema_type, schema) VALUES(?, ?, ?)", "iss", a, err);
    }
    if (rc == RN_OK) {
        const void *a[] = {subject, &version, &s->id};
        rc = run(r, "INSERT INTO versions(subject, version, schema_id, deleted) VALUES(?, ?, ?, 0)",
                 "sii", a, err);
    }
    return commit(r, rc, err);
}

int rn_reg_store_soft_delete(rn_registry *r, const char *subject, int version, bool drop_settings,
                             rn_err *err)
{
    int rc = begin(r, err);
    if (rc) return rc;
    if (version > 0) {
        const void *a[] = {subject, &version};
        rc = run(r, "UPDATE versions SET deleted=1 WHERE subject=? AND version=?", "si", a, err);
    } else {
        const void *a[] = {subject};
        rc = run(r, "UPDATE versions SET deleted=1 WHERE subject=?", "s", a, err);
    }
    if (rc == RN_OK && drop_settings) {
        const void *a[] = {subject};
        rc = run(r, "DELETE FROM config WHERE subject=?", "s", a, err);
        if (rc == RN_OK) rc = run(r, "DELETE FROM mode WHERE subject=?", "s", a, err);
    }
    return commit(r, rc, err);
}

int rn_reg_store_hard_delete(rn_registry *r, const char *subject, int version, rn_err *err)
{
    int rc = begin(r, err);
    if (rc) return rc;
    if (version > 0) {
        const void *a[] = {subject, &version};
        rc = run(r, "DELETE FROM versions WHERE subject=? AND version=?", "si", a, err);
    } else {
        const void *a[] = {subject};
        rc = run(r, "DELETE FROM versions WHERE subject=?", "s", a, err);
    }
    return commit(r, rc, err);
}

int rn_reg_store_put_setting(rn_registry *r, const char *table, const char *subject,
                             const char *value, rn_err *err)
{
    bool config = !strcmp(table, "config");
    int rc = begin(r, err);
    if (rc) return rc;
    if (value) {
        const void *a[] = {subject, value};
        rc = run(r,
                 config ? "INSERT OR REPLACE INTO config(subject, compatibility) VALUES(?, ?)"
                        : "INSERT OR REPLACE INTO mode(subject, mode) VALUES(?, ?)",
                 "ss", a, err);
    } else {
        const void *a[] = {subject};
        rc = run(r,
                 config ? "DELETE FROM config WHERE subject=?" : "DELETE FROM mode WHERE subject=?",
                 "s", a, err);
    }
    return commit(r, rc, err);
}
