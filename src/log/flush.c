/*
 * log/flush.c - group-commit fsync: the flusher thread, the fd references it syncs, and
 * the hand-back of completions to the loop thread.
 *
 * Layer: used by partition.c and log.c; calls libuv (thread, mutex, async) and the
 *   fileops table.
 * How a sync flows:
 *   1. rn_log_sync (loop thread) takes a request node, moves the partition's dirty fds
 *      (the active segment after appends, the directory after a roll) onto the pending
 *      fd list, each fd once, with a reference each, and signals the flusher.
 *   2. The flusher takes ALL pending requests and fds at once (one "pass"), and without
 *      the mutex fdatasyncs every file and fsyncs every directory among them.
 *   3. It computes each request's status (RN_EIO if its partition is poisoned), moves
 *      the requests to the done list, drops its fd references and uv_async_send()s.
 *   4. The async callback (loop thread) runs the callbacks.
 *   Requests arriving during a pass wait for the next one: that is the group commit.
 *   Passes are serial, so a request completes only after every earlier pass, which
 *   covers data whose fd an earlier request already took.
 * Failure: a failed fsync poisons the fd's partition for good (atomic flag). Linux
 *   reports a write-back error once and may then mark the pages clean, so a later
 *   fsync "succeeding" proves nothing (PostgreSQL's fsyncgate); the partition refuses
 *   appends and syncs until it is reopened, and recovery re-checks the tail.
 * Rolls, deletions and closes while a sync is in flight: fds are reference-counted
 *   (rn_fdref in log_int.h). A queued or running pass holds a reference, so a segment
 *   deleted by retention keeps its fd open until the pass ends, and the flusher never
 *   fsyncs a closed (possibly reused) fd number. A roll hands the old segment and the
 *   directory to the flusher at once (a pass with no waiter), so the loop thread never
 *   fsyncs at a roll, and a later sync completes only after that pass. Partition close
 *   and remove drain (wait for the flusher to go idle, run the callbacks) before
 *   freeing, so no pass outlives the partition its fds point to. Simpler alternatives
 *   were rejected: a synchronous fsync at roll stalls the loop; dup()ing fds per
 *   request costs a syscall and an fd per request.
 * Threads: as above; the loop thread never waits for the flusher except in drain
 *   (partition close/remove, log close).
 */
#include "log/log_int.h"

#include "common/diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ fd references */

rn_fdref *rn_log_fdref_new(int fd, int is_dir, rn_partition *owner, char *path)
{
    rn_fdref *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->fd = fd;
    f->is_dir = is_dir;
    f->owner = owner;
    f->path = path;
    f->refs = 1;
    return f;
}

/* Drops a reference with log->mu held; returns f if it was the last (the caller closes
 * the fd and frees f outside the lock). */
static rn_fdref *unref_locked(rn_fdref *f)
{
    return --f->refs == 0 ? f : NULL;
}

static void fdref_destroy(rn_log *log, rn_fdref *f)
{
    if (log->ops->close(f->fd) != 0) RN_WARN("log: %s: close: %s", f->path, strerror(errno));
    free(f->path);
    free(f);
}

void rn_log_fdref_release(rn_log *log, rn_fdref *f)
{
    if (!f) return;
    uv_mutex_lock(&log->mu);
    rn_fdref *last = unref_locked(f);
    uv_mutex_unlock(&log->mu);
    if (last) fdref_destroy(log, last);
}

/* Puts f on the pending list for the next pass unless it is already there. */
static void queue_fd_locked(rn_log *log, rn_fdref *f)
{
    if (f->queued) return;
    f->queued = 1;
    f->refs++;
    f->next_pend = log->pend_fds;
    log->pend_fds = f;
}

/* Moves p's dirty state onto the pending list: segment s (if dirty) and the directory
 * (if dirty). Never fails: the lists are intrusive. */
static void capture_locked(rn_partition *p, rn_segment *s)
{
    if (s && s->dirty) {
        queue_fd_locked(p->log, s->f);
        s->dirty = 0;
    }
    if (p->dir_dirty) {
        queue_fd_locked(p->log, p->dirf);
        p->dir_dirty = 0;
    }
}

void rn_log_flush_background(rn_partition *p, rn_segment *seg)
{
    rn_log *log = p->log;
    if (!seg) seg = p->segs[p->nsegs - 1];
    uv_mutex_lock(&log->mu);
    capture_locked(p, seg);
    if (log->pend_fds) uv_cond_signal(&log->work_cv);
    uv_mutex_unlock(&log->mu);
}

/* ------------------------------------------------------------------ requests */

/* Keeps the async handle referenced exactly while callbacks are owed, so the caller's
 * uv_run returns once the log has nothing left to deliver. */
static void update_ref(rn_log *log)
{
    if (!log->async_inited || log->async_closing) return;
    if (log->outstanding)
        uv_ref((uv_handle_t *)&log->async);
    else
        uv_unref((uv_handle_t *)&log->async);
}

int rn_log_sync(rn_log *log, rn_partition *p, rn_sync_cb cb, void *arg)
{
    if (!log || !p || !cb || p->log != log || p->closing) return RN_EINVAL;
    if (atomic_load(&p->poisoned)) return RN_EIO;
    uv_mutex_lock(&log->mu);
    rn_sync_req *r = log->free_reqs;
    if (r) {
        log->free_reqs = r->next;
    } else {
        r = malloc(sizeof *r);
        if (!r) {
            uv_mutex_unlock(&log->mu);
            return RN_ENOMEM;
        }
    }
    r->next = NULL;
    r->p = p;
    r->cb = cb;
    r->arg = arg;
    r->status = RN_OK;
    capture_locked(p, p->segs[p->nsegs - 1]);
    if (log->pend_tail)
        log->pend_tail->next = r;
    else
        log->pend_head = r;
    log->pend_tail = r;
    uv_cond_signal(&log->work_cv);
    uv_mutex_unlock(&log->mu);
    log->outstanding++;
    update_ref(log);
    return RN_OK;
}

/* Runs every completed callback, in request order. Re-entrant: the done list is
 * detached first, so a callback may sync, append or close another partition. */
static void run_completions(rn_log *log)
{
    uv_mutex_lock(&log->mu);
    rn_sync_req *list = log->done_head;
    log->done_head = log->done_tail = NULL;
    uv_mutex_unlock(&log->mu);
    if (!list) return;
    rn_sync_req *last = NULL;
    for (rn_sync_req *r = list; r; r = r->next) {
        log->outstanding--;
        r->cb(r->arg, r->status);
        last = r;
    }
    update_ref(log);
    uv_mutex_lock(&log->mu);
    if (last) {
        last->next = log->free_reqs;
        log->free_reqs = list;
    }
    uv_mutex_unlock(&log->mu);
}

static void on_async(uv_async_t *h)
{
    run_completions(h->data);
}

void rn_log_flush_drain(rn_log *log)
{
    uv_mutex_lock(&log->mu);
    while (log->pend_head || log->pend_fds || log->in_pass)
        uv_cond_wait(&log->idle_cv, &log->mu);
    uv_mutex_unlock(&log->mu);
    run_completions(log);
}

/* ------------------------------------------------------------------ the flusher */

static int sync_fd(const rn_fileops *ops, rn_fdref *f)
{
    int rc;
    do
        rc = f->is_dir ? ops->fsync(f->fd) : ops->fdatasync(f->fd);
    while (rc != 0 && errno == EINTR);
    return rc;
}

static void flusher_main(void *arg)
{
    rn_log *log = arg;
    uv_mutex_lock(&log->mu);
    for (;;) {
        while (!log->stop && !log->pend_head && !log->pend_fds)
            uv_cond_wait(&log->work_cv, &log->mu);
        if (!log->pend_head && !log->pend_fds) break; /* stop requested and nothing left */

        /* Take everything queued so far: this pass. */
        rn_sync_req *reqs = log->pend_head, *reqs_tail = log->pend_tail;
        log->pend_head = log->pend_tail = NULL;
        rn_fdref *fds = NULL;
        for (rn_fdref *f = log->pend_fds; f; f = f->next_pend) {
            f->queued = 0;
            f->next_pass = fds;
            fds = f;
        }
        log->pend_fds = NULL;
        log->in_pass = 1;
        uv_mutex_unlock(&log->mu);

        /* The fds cannot be closed meanwhile: this pass holds a reference to each. */
        for (rn_fdref *f = fds; f; f = f->next_pass) {
            if (sync_fd(log->ops, f) != 0) {
                int e = errno;
                atomic_store(&f->owner->poisoned, 1);
                RN_ERROR("log: %s: %s failed: %s; partition %s refuses writes until reopened",
                         f->path, f->is_dir ? "fsync" : "fdatasync", strerror(e), f->owner->name);
            }
        }
        uint64_t n = 0;
        for (rn_sync_req *r = reqs; r; r = r->next, n++)
            r->status = atomic_load(&r->p->poisoned) ? RN_EIO : RN_OK;

        uv_mutex_lock(&log->mu);
        rn_fdref *dead = NULL;
        for (rn_fdref *f = fds, *nx; f; f = nx) {
            nx = f->next_pass;
            if (unref_locked(f)) {
                f->next_pass = dead;
                dead = f;
            }
        }
        if (reqs) {
            if (log->done_tail)
                log->done_tail->next = reqs;
            else
                log->done_head = reqs;
            log->done_tail = reqs_tail;
        }
        atomic_fetch_add(&log->syncs, 1);
        atomic_fetch_add(&log->sync_waiters, n);
        log->in_pass = 0;
        uv_cond_broadcast(&log->idle_cv);
        uv_mutex_unlock(&log->mu);

        for (rn_fdref *f = dead, *nx; f; f = nx) {
            nx = f->next_pass;
            fdref_destroy(log, f);
        }
        if (reqs) uv_async_send(&log->async);
        uv_mutex_lock(&log->mu);
    }
    uv_mutex_unlock(&log->mu);
}

int rn_log_flush_start(rn_log *log, rn_err *err)
{
    int rc = uv_async_init(log->loop, &log->async, on_async);
    if (rc) return rn_err_set(err, RN_EIO, "log: uv_async_init: %s", uv_strerror(rc));
    log->async_inited = 1; /* rn_log_close closes it, also if the thread fails */
    log->async.data = log;
    uv_unref((uv_handle_t *)&log->async);
    rc = uv_thread_create(&log->thread, flusher_main, log);
    if (rc) {
        return rn_err_set(err, RN_EIO, "log: cannot start the flusher thread: %s", uv_strerror(rc));
    }
    log->thread_started = 1;
    return RN_OK;
}

void rn_log_flush_stop(rn_log *log)
{
    if (log->thread_started) {
        uv_mutex_lock(&log->mu);
        log->stop = 1;
        uv_cond_signal(&log->work_cv);
        uv_mutex_unlock(&log->mu);
        uv_thread_join(&log->thread);
        log->thread_started = 0;
    }
    run_completions(log);
    rn_sync_req *r = log->free_reqs;
    while (r) {
        rn_sync_req *nx = r->next;
        free(r);
        r = nx;
    }
    log->free_reqs = NULL;
}
