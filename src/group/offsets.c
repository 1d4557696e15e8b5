/*
 * group/offsets.c - SQLite store of committed offsets and group records, written by one
 * writer thread with group commit (see offsets.h for the contract).
 *
 * Tables (groups.db):
 *   groups(group_id TEXT PK, protocol_type TEXT NULL, generation INT, state_ts INT)
 *   offsets(group_id, topic, partition PK; committed_offset INT, leader_epoch INT,
 *           metadata TEXT NOT NULL, commit_ts INT)            WITHOUT ROWID
 *
 * How a batch flows (compare log/flush.c):
 *   1. rn_offsets_submit (loop thread) appends the batch to the pending list under the
 *      mutex and signals the writer.
 *   2. The writer takes ALL pending batches, runs BEGIN IMMEDIATE, every operation of every
 *      batch, COMMIT (SQLite fsyncs the WAL: synchronous=FULL), without holding the mutex.
 *   3. It stamps each batch's status, moves them to the done list and uv_async_send()s.
 *   4. The async callback (loop thread) runs the callbacks in submission order and frees
 *      the batches.
 * Threads: the SQLite connection belongs to the loop thread until rn_offsets_start and to
 *   the writer afterwards; rn_offsets_close joins the writer before closing it.
 */
#include "group/offsets.h"

#include "common/diag.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op_kind { OP_PUT_OFFSET, OP_DEL_OFFSET, OP_PUT_GROUP, OP_DEL_GROUP };

typedef struct op {
    enum op_kind kind;
    char *group_id; /* from malloc(), every op */
    char *topic;    /* from malloc(): offset ops */
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata; /* from malloc(): OP_PUT_OFFSET (never NULL) */
    size_t metadata_len;
    int64_t ts;          /* commit_ts or state_ts */
    char *protocol_type; /* from malloc() or NULL: OP_PUT_GROUP */
    int32_t generation;
} op;

struct rn_offsets_batch {
    op *ops; /* from malloc() */
    int n, cap;
    rn_offsets_cb cb;
    void *arg;
    int status;
    rn_offsets_batch *next;
};

enum { ST_PUT_OFFSET, ST_DEL_OFFSET, ST_PUT_GROUP, ST_DEL_GROUP_OFFSETS, ST_DEL_GROUP, ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
    "INSERT OR REPLACE INTO offsets(group_id, topic, partition, committed_offset, leader_epoch,"
    " metadata, commit_ts) VALUES(?,?,?,?,?,?,?)",
    "DELETE FROM offsets WHERE group_id=? AND topic=? AND partition=?",
    "INSERT OR REPLACE INTO groups(group_id, protocol_type, generation, state_ts)"
    " VALUES(?,?,?,?)",
    "DELETE FROM offsets WHERE group_id=?",
    "DELETE FROM groups WHERE group_id=?",
};

struct rn_offsets {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    char path[1024];
    uv_loop_t *loop;
    uv_async_t async; /* inside the store: freed by its close callback */
    int async_inited;
    uv_thread_t thread;
    int thread_started;
    uv_mutex_t mu; /* guards everything below */
    uv_cond_t work_cv, idle_cv;
    rn_offsets_batch *pend_head, *pend_tail;
    rn_offsets_batch *done_head, *done_tail;
    int in_txn;
    int stop;
    int fail_next; /* testing: transactions left to fail */
    rn_offsets_stats stats;
    /* loop thread only */
    int outstanding; /* submitted, callback not yet run */
    int closing;
};

/* ------------------------------------------------------------------ open, load */

static int exec_sql(rn_offsets *s, const char *sql, rn_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rn_err_set(err, RN_EIO, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return RN_EIO;
    }
    return RN_OK;
}

static void db_close(rn_offsets *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
    sqlite3_close(s->db);
    s->db = NULL;
}

int rn_offsets_open(const char *path, uv_loop_t *loop, rn_offsets **out, rn_err *err)
{
    rn_offsets *s = calloc(1, sizeof *s);
    if (!s) return rn_err_set(err, RN_ENOMEM, "out of memory");
    snprintf(s->path, sizeof s->path, "%s", path);
    s->loop = loop;
    uv_mutex_init(&s->mu);
    uv_cond_init(&s->work_cv);
    uv_cond_init(&s->idle_cv);
    int rc;
    if (sqlite3_open(path, &s->db) != SQLITE_OK) {
        rc = rn_err_set(err, RN_EIO, "%s: cannot open: %s", path,
                        s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    rc = exec_sql(s,
                  "PRAGMA journal_mode=WAL;"
                  "PRAGMA synchronous=FULL;"
                  "CREATE TABLE IF NOT EXISTS groups(group_id TEXT PRIMARY KEY,"
                  "  protocol_type TEXT, generation INTEGER NOT NULL,"
                  "  state_ts INTEGER NOT NULL);"
                  "CREATE TABLE IF NOT EXISTS offsets(group_id TEXT NOT NULL,"
                  "  topic TEXT NOT NULL, partition INTEGER NOT NULL,"
                  "  committed_offset INTEGER NOT NULL, leader_epoch INTEGER NOT NULL,"
                  "  metadata TEXT NOT NULL, commit_ts INTEGER NOT NULL,"
                  "  PRIMARY KEY(group_id, topic, partition)) WITHOUT ROWID;",
                  err);
    if (rc) goto fail;
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            rc = rn_err_set(err, RN_EIO, "%s: prepare: %s", path, sqlite3_errmsg(s->db));
            goto fail;
        }
    *out = s;
    return RN_OK;
fail:
    db_close(s);
    uv_cond_destroy(&s->work_cv);
    uv_cond_destroy(&s->idle_cv);
    uv_mutex_destroy(&s->mu);
    free(s);
    return rc;
}

int rn_offsets_load(rn_offsets *s, const rn_offsets_loader *l, rn_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = RN_OK;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT group_id, protocol_type, generation, state_ts FROM groups"
                           " ORDER BY group_id",
                           -1, &st, NULL) != SQLITE_OK)
        return rn_err_set(err, RN_EIO, "%s: load groups: %s", s->path, sqlite3_errmsg(s->db));
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *gid = (const char *)sqlite3_column_text(st, 0);
        const char *pt = (const char *)sqlite3_column_text(st, 1);
        if (!gid) continue;
        if (l->group && (rc = l->group(l->arg, gid, pt, sqlite3_column_int(st, 2),
                                       sqlite3_column_int64(st, 3)))) {
            rn_err_set(err, rc, "%s: loading group %s failed", s->path, gid);
            break;
        }
    }
    if (rc == RN_OK && step != SQLITE_DONE)
        rc = rn_err_set(err, RN_EIO, "%s: load groups: %s", s->path, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    if (rc) return rc;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT group_id, topic, partition, committed_offset, leader_epoch,"
                           " metadata, commit_ts FROM offsets ORDER BY group_id, topic, partition",
                           -1, &st, NULL) != SQLITE_OK)
        return rn_err_set(err, RN_EIO, "%s: load offsets: %s", s->path, sqlite3_errmsg(s->db));
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *gid = (const char *)sqlite3_column_text(st, 0);
        const char *topic = (const char *)sqlite3_column_text(st, 1);
        const char *md = (const char *)sqlite3_column_text(st, 5);
        size_t mdlen = md ? (size_t)sqlite3_column_bytes(st, 5) : 0;
        if (!gid || !topic) continue;
        if (l->offset && (rc = l->offset(l->arg, gid, topic, sqlite3_column_int(st, 2),
                                         sqlite3_column_int64(st, 3), sqlite3_column_int(st, 4),
                                         md ? md : "", mdlen, sqlite3_column_int64(st, 6)))) {
            rn_err_set(err, rc, "%s: loading offsets of group %s failed", s->path, gid);
            break;
        }
    }
    if (rc == RN_OK && step != SQLITE_DONE)
        rc = rn_err_set(err, RN_EIO, "%s: load offsets: %s", s->path, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

/* ------------------------------------------------------------------ batches */

rn_offsets_batch *rn_offsets_batch_new(void)
{
    return calloc(1, sizeof(rn_offsets_batch));
}

static void op_fini(op *o)
{
    free(o->group_id);
    free(o->topic);
    free(o->metadata);
    free(o->protocol_type);
}

void rn_offsets_batch_free(rn_offsets_batch *b)
{
    if (!b) return;
    for (int i = 0; i < b->n; i++)
        op_fini(&b->ops[i]);
    free(b->ops);
    free(b);
}

int rn_offsets_batch_len(const rn_offsets_batch *b)
{
    return b->n;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n) memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Appends o (whose strings the batch then owns); on failure frees them. */
static int push(rn_offsets_batch *b, op *o, int ok)
{
    if (ok && b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 4;
        op *nops = realloc(b->ops, (size_t)cap * sizeof *nops);
        if (!nops)
            ok = 0;
        else {
            b->ops = nops;
            b->cap = cap;
        }
    }
    if (!ok) {
        op_fini(o);
        return RN_ENOMEM;
    }
    b->ops[b->n++] = *o;
    return RN_OK;
}

int rn_offsets_batch_put_offset(rn_offsets_batch *b, const char *group_id, const char *topic,
                                int32_t partition, int64_t offset, int32_t leader_epoch,
                                const char *metadata, size_t metadata_len, int64_t commit_ts_ms)
{
    op o = {.kind = OP_PUT_OFFSET,
            .partition = partition,
            .offset = offset,
            .leader_epoch = leader_epoch,
            .ts = commit_ts_ms};
    o.group_id = strdup(group_id);
    o.topic = strdup(topic);
    o.metadata = metadata ? dup_n(metadata, metadata_len) : dup_n("", 0);
    o.metadata_len = metadata ? metadata_len : 0;
    return push(b, &o, o.group_id && o.topic && o.metadata);
}

int rn_offsets_batch_del_offset(rn_offsets_batch *b, const char *group_id, const char *topic,
                                int32_t partition)
{
    op o = {.kind = OP_DEL_OFFSET, .partition = partition};
    o.group_id = strdup(group_id);
    o.topic = strdup(topic);
    return push(b, &o, o.group_id && o.topic);
}

int rn_offsets_batch_put_group(rn_offsets_batch *b, const char *group_id, const char *protocol_type,
                               int32_t generation, int64_t state_ts_ms)
{
    op o = {.kind = OP_PUT_GROUP, .generation = generation, .ts = state_ts_ms};
    o.group_id = strdup(group_id);
    o.protocol_type = protocol_type ? strdup(protocol_type) : NULL;
    return push(b, &o, o.group_id && (!protocol_type || o.protocol_type));
}

int rn_offsets_batch_del_group(rn_offsets_batch *b, const char *group_id)
{
    op o = {.kind = OP_DEL_GROUP};
    o.group_id = strdup(group_id);
    return push(b, &o, o.group_id != NULL);
}

/* ------------------------------------------------------------------ the writer */

/* Runs one statement to completion; returns 0 or -1. */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int apply_op(rn_offsets *s, const op *o)
{
    sqlite3_stmt *st;
    switch (o->kind) {
    case OP_PUT_OFFSET:
        st = s->st[ST_PUT_OFFSET];
        sqlite3_bind_text(st, 1, o->group_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->topic, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, o->partition);
        sqlite3_bind_int64(st, 4, o->offset);
        sqlite3_bind_int(st, 5, o->leader_epoch);
        sqlite3_bind_text(st, 6, o->metadata, (int)o->metadata_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, o->ts);
        return step_done(st);
    case OP_DEL_OFFSET:
        st = s->st[ST_DEL_OFFSET];
        sqlite3_bind_text(st, 1, o->group_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->topic, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, o->partition);
        return step_done(st);
    case OP_PUT_GROUP:
        st = s->st[ST_PUT_GROUP];
        sqlite3_bind_text(st, 1, o->group_id, -1, SQLITE_STATIC);
        if (o->protocol_type)
            sqlite3_bind_text(st, 2, o->protocol_type, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_int(st, 3, o->generation);
        sqlite3_bind_int64(st, 4, o->ts);
        return step_done(st);
    case OP_DEL_GROUP:
        st = s->st[ST_DEL_GROUP_OFFSETS];
        sqlite3_bind_text(st, 1, o->group_id, -1, SQLITE_STATIC);
        if (step_done(st)) return -1;
        st = s->st[ST_DEL_GROUP];
        sqlite3_bind_text(st, 1, o->group_id, -1, SQLITE_STATIC);
        return step_done(st);
    }
    return -1;
}

/* One transaction over every batch of the list; returns RN_OK or RN_EIO. */
static int write_batches(rn_offsets *s, rn_offsets_batch *list, int fail)
{
    if (fail) {
        RN_ERROR("group: %s: injected write failure", s->path);
        return RN_EIO;
    }
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        RN_ERROR("group: %s: begin: %s", s->path, sqlite3_errmsg(s->db));
        return RN_EIO;
    }
    for (rn_offsets_batch *b = list; b; b = b->next)
        for (int i = 0; i < b->n; i++)
            if (apply_op(s, &b->ops[i])) {
                RN_ERROR("group: %s: write: %s", s->path, sqlite3_errmsg(s->db));
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return RN_EIO;
            }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        RN_ERROR("group: %s: commit: %s", s->path, sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return RN_EIO;
    }
    return RN_OK;
}

static void writer_main(void *arg)
{
    rn_offsets *s = arg;
    uv_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stop && !s->pend_head)
            uv_cond_wait(&s->work_cv, &s->mu);
        if (!s->pend_head) break; /* stop requested and nothing left */
        rn_offsets_batch *list = s->pend_head, *tail = s->pend_tail;
        s->pend_head = s->pend_tail = NULL;
        int fail = 0;
        if (s->fail_next > 0) {
            s->fail_next--;
            fail = 1;
        }
        s->in_txn = 1;
        uv_mutex_unlock(&s->mu);

        int status = write_batches(s, list, fail);
        uint64_t n = 0;
        for (rn_offsets_batch *b = list; b; b = b->next, n++)
            b->status = status;

        uv_mutex_lock(&s->mu);
        if (s->done_tail)
            s->done_tail->next = list;
        else
            s->done_head = list;
        s->done_tail = tail;
        s->stats.transactions++;
        s->stats.batches += n;
        if (status) s->stats.failed += n;
        s->in_txn = 0;
        uv_cond_broadcast(&s->idle_cv);
        uv_mutex_unlock(&s->mu);
        uv_async_send(&s->async);
        uv_mutex_lock(&s->mu);
    }
    uv_mutex_unlock(&s->mu);
}

/* Keeps the async handle referenced exactly while callbacks are owed. */
static void update_ref(rn_offsets *s)
{
    if (!s->async_inited || s->closing) return;
    if (s->outstanding)
        uv_ref((uv_handle_t *)&s->async);
    else
        uv_unref((uv_handle_t *)&s->async);
}

/* Runs completed callbacks in submission order. Re-entrant: the done list is detached
 * first, so a callback may submit more batches. */
static void run_completions(rn_offsets *s)
{
    uv_mutex_lock(&s->mu);
    rn_offsets_batch *list = s->done_head;
    s->done_head = s->done_tail = NULL;
    uv_mutex_unlock(&s->mu);
    while (list) {
        rn_offsets_batch *b = list;
        list = b->next;
        s->outstanding--;
        if (b->cb) b->cb(b->arg, b->status);
        rn_offsets_batch_free(b);
    }
    update_ref(s);
}

static void on_async(uv_async_t *h)
{
    run_completions(h->data);
}

int rn_offsets_start(rn_offsets *s, rn_err *err)
{
    int rc = uv_async_init(s->loop, &s->async, on_async);
    if (rc) return rn_err_set(err, RN_EIO, "group: uv_async_init: %s", uv_strerror(rc));
    s->async_inited = 1;
    s->async.data = s;
    uv_unref((uv_handle_t *)&s->async);
    rc = uv_thread_create(&s->thread, writer_main, s);
    if (rc)
        return rn_err_set(err, RN_EIO, "group: cannot start the offsets writer thread: %s",
                          uv_strerror(rc));
    s->thread_started = 1;
    return RN_OK;
}

int rn_offsets_submit(rn_offsets *s, rn_offsets_batch *b, rn_offsets_cb cb, void *arg)
{
    if (s->closing || !s->thread_started) {
        rn_offsets_batch_free(b);
        return RN_EINVAL;
    }
    b->cb = cb;
    b->arg = arg;
    b->next = NULL;
    b->status = RN_OK;
    uv_mutex_lock(&s->mu);
    if (s->pend_tail)
        s->pend_tail->next = b;
    else
        s->pend_head = b;
    s->pend_tail = b;
    uv_cond_signal(&s->work_cv);
    uv_mutex_unlock(&s->mu);
    s->outstanding++;
    update_ref(s);
    return RN_OK;
}

static void async_closed(uv_handle_t *h)
{
    free(h->data);
}

void rn_offsets_close(rn_offsets *s)
{
    if (!s) return;
    if (s->thread_started) {
        uv_mutex_lock(&s->mu);
        s->stop = 1;
        uv_cond_signal(&s->work_cv);
        uv_mutex_unlock(&s->mu);
        uv_thread_join(&s->thread);
        s->thread_started = 0;
    }
    run_completions(s); /* callbacks may not submit any more: closing is set below */
    s->closing = 1;
    db_close(s);
    uv_cond_destroy(&s->work_cv);
    uv_cond_destroy(&s->idle_cv);
    uv_mutex_destroy(&s->mu);
    if (s->async_inited) {
        uv_close((uv_handle_t *)&s->async, async_closed);
        return;
    }
    free(s);
}

void rn_offsets_get_stats(rn_offsets *s, rn_offsets_stats *out)
{
    uv_mutex_lock(&s->mu);
    *out = s->stats;
    uv_mutex_unlock(&s->mu);
}

void rn_offsets_fault_fail_next(rn_offsets *s, int n)
{
    uv_mutex_lock(&s->mu);
    s->fail_next = n;
    uv_mutex_unlock(&s->mu);
}
