/*
 * meta/meta.c - SQLite-backed broker metadata.
 */
#include "meta/meta.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rn_meta {
    sqlite3 *db;
    char path[1024];
};

static int db_fail(rn_meta *m, rn_err *err, const char *what)
{
    return rn_err_set(err, RN_EIO, "%s: %s: %s", m->path, what, sqlite3_errmsg(m->db));
}

static int exec(rn_meta *m, const char *sql, rn_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(m->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rn_err_set(err, RN_EIO, "%s: %s", m->path, msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return RN_EIO;
    }
    return RN_OK;
}

int rn_meta_open(const char *path, rn_meta **out, rn_err *err)
{
    rn_meta *m = calloc(1, sizeof *m);
    if (!m) return rn_err_set(err, RN_ENOMEM, "out of memory");
    snprintf(m->path, sizeof m->path, "%s", path);
    if (sqlite3_open(path, &m->db) != SQLITE_OK) {
        int rc = rn_err_set(err, RN_EIO, "%s: cannot open: %s", path,
                            m->db ? sqlite3_errmsg(m->db) : "out of memory");
        sqlite3_close(m->db);
        free(m);
        return rc;
    }
    sqlite3_busy_timeout(m->db, 5000);
    int rc = exec(m,
                  "PRAGMA journal_mode=WAL;"
                  "PRAGMA synchronous=FULL;"
                  "CREATE TABLE IF NOT EXISTS meta_kv(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                  "CREATE TABLE IF NOT EXISTS topics(name TEXT PRIMARY KEY,"
                  "  partitions INTEGER NOT NULL);"
                  "CREATE TABLE IF NOT EXISTS topic_configs(topic TEXT NOT NULL,"
                  "  key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(topic, key));",
                  err);
    if (rc) {
        rn_meta_close(m);
        return rc;
    }
    *out = m;
    return RN_OK;
}

void rn_meta_close(rn_meta *m)
{
    if (!m) return;
    sqlite3_close(m->db);
    free(m);
}

int rn_meta_get(rn_meta *m, const char *key, char *out, size_t outlen, rn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db, "SELECT value FROM meta_kv WHERE key=?", -1, &st, NULL))
        return db_fail(m, err, "get");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = RN_OK;
    } else if (rc == SQLITE_DONE) {
        rc = rn_err_set(err, RN_ENOTFOUND, "%s: no value", key);
    } else {
        rc = db_fail(m, err, "get");
    }
    sqlite3_finalize(st);
    return rc;
}

int rn_meta_set(rn_meta *m, const char *key, const char *value, rn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO meta_kv(key, value) VALUES(?, ?)", -1,
                           &st, NULL))
        return db_fail(m, err, "set");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? RN_OK : db_fail(m, err, "set");
    sqlite3_finalize(st);
    return rc;
}

static int insert_configs(rn_meta *m, const char *name, const rn_config_kv *kv, int n, rn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db, "INSERT INTO topic_configs(topic, key, value) VALUES(?,?,?)", -1,
                           &st, NULL))
        return db_fail(m, err, "insert config");
    int rc = RN_OK;
    for (int i = 0; i < n && rc == RN_OK; i++) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, kv[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, kv[i].value, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(m, err, "insert config");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Transactions: begin_txn, then finish_txn with the body's result (commit or roll back). */
static int begin_txn(rn_meta *m, rn_err *err)
{
    return exec(m, "BEGIN IMMEDIATE", err);
}

static int finish_txn(rn_meta *m, int rc, rn_err *err)
{
    if (rc == RN_OK) return exec(m, "COMMIT", err);
    exec(m, "ROLLBACK", NULL);
    return rc;
}

int rn_meta_topic_create(rn_meta *m, const char *name, int32_t partitions, const rn_config_kv *kv,
                         int n, rn_err *err)
{
    int rc = begin_txn(m, err);
    if (rc) return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db, "INSERT INTO topics(name, partitions) VALUES(?, ?)", -1, &st,
                           NULL))
        return finish_txn(m, db_fail(m, err, "create topic"), err);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, partitions);
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    if (s == SQLITE_CONSTRAINT)
        rc = rn_err_set(err, RN_ECONFLICT, "Topic '%s' already exists.", name);
    else if (s != SQLITE_DONE)
        rc = db_fail(m, err, "create topic");
    if (rc == RN_OK) rc = insert_configs(m, name, kv, n, err);
    return finish_txn(m, rc, err);
}

static int exec_named(rn_meta *m, const char *sql, const char *name, int64_t num, int use_num,
                      int *changes, rn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL)) return db_fail(m, err, "update");
    if (use_num) {
        sqlite3_bind_int64(st, 1, num);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(st) == SQLITE_DONE ? RN_OK : db_fail(m, err, "update");
    if (changes) *changes = sqlite3_changes(m->db);
    sqlite3_finalize(st);
    return rc;
}

int rn_meta_topic_delete(rn_meta *m, const char *name, rn_err *err)
{
    int rc = begin_txn(m, err), changes = 0;
    if (rc) return rc;
    rc = exec_named(m, "DELETE FROM topics WHERE name=?", name, 0, 0, &changes, err);
    if (rc == RN_OK && changes == 0)
        rc = rn_err_set(err, RN_ENOTFOUND, "Topic '%s' does not exist.", name);
    if (rc == RN_OK)
        rc = exec_named(m, "DELETE FROM topic_configs WHERE topic=?", name, 0, 0, NULL, err);
    return finish_txn(m, rc, err);
}

int rn_meta_topic_set_partitions(rn_meta *m, const char *name, int32_t partitions, rn_err *err)
{
    int changes = 0;
    int rc = exec_named(m, "UPDATE topics SET partitions=? WHERE name=?", name, partitions, 1,
                        &changes, err);
    if (rc == RN_OK && changes == 0)
        rc = rn_err_set(err, RN_ENOTFOUND, "Topic '%s' does not exist.", name);
    return rc;
}

int rn_meta_topic_set_configs(rn_meta *m, const char *name, const rn_config_kv *kv, int n,
                              rn_err *err)
{
    int rc = begin_txn(m, err);
    if (rc) return rc;
    rc = exec_named(m, "DELETE FROM topic_configs WHERE topic=?", name, 0, 0, NULL, err);
    if (rc == RN_OK) rc = insert_configs(m, name, kv, n, err);
    return finish_txn(m, rc, err);
}

int rn_meta_topics_load(rn_meta *m, rn_meta_topic_cb cb, void *arg, rn_err *err)
{
    sqlite3_stmt *st = NULL, *cs = NULL;
    int rc = RN_OK;
    if (sqlite3_prepare_v2(m->db, "SELECT name, partitions FROM topics ORDER BY name", -1, &st,
                           NULL) ||
        sqlite3_prepare_v2(m->db, "SELECT key, value FROM topic_configs WHERE topic=? ORDER BY key",
                           -1, &cs, NULL)) {
        rc = db_fail(m, err, "load topics");
        goto out;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int32_t parts = sqlite3_column_int(st, 1);
        rn_config_kv kv[64];
        int n = 0;
        sqlite3_bind_text(cs, 1, name, -1, SQLITE_STATIC);
        while (sqlite3_step(cs) == SQLITE_ROW && n < 64) {
            kv[n].key = strdup((const char *)sqlite3_column_text(cs, 0));
            kv[n].value = strdup((const char *)sqlite3_column_text(cs, 1));
            n++;
        }
        sqlite3_reset(cs);
        int r = cb(arg, name, parts, kv, n);
        for (int i = 0; i < n; i++) {
            free(kv[i].key);
            free(kv[i].value);
        }
        if (r) {
            rc = r;
            goto out;
        }
    }
    if (s != SQLITE_DONE) rc = db_fail(m, err, "load topics");
out:
    sqlite3_finalize(st);
    sqlite3_finalize(cs);
    return rc;
}
