/*
 * log/log.c - rn_log: the root of the storage log. Owns the data directory, the set of
 * open partitions, the flusher thread (flush.c) and the loop-thread scratch buffer.
 *
 * Layer: the public rn_log_* API of log.h; calls partition.c, flush.c and common/.
 * Threads: loop thread, except what flush.c documents.
 */
#include "log/log_int.h"

#include "common/diag.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void rn_log_config_defaults(rn_log_config *cfg)
{
    cfg->segment_bytes = 1024 * 1024 * 1024;
    cfg->segment_ms = 7LL * 24 * 3600 * 1000;
    cfg->retention_ms = 7LL * 24 * 3600 * 1000;
    cfg->retention_bytes = -1;
    cfg->max_message_bytes = 1048588;
    cfg->index_interval_bytes = 4096;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int is_dir(const char *parent, const struct dirent *de)
{
    if (de->d_type == DT_DIR) return 1;
    if (de->d_type != DT_UNKNOWN) return 0;
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", parent, de->d_name);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Finishes removals interrupted by a crash (rn_partition_remove renames first). */
static void remove_leftovers(rn_log *log)
{
    DIR *d = opendir(log->topics_dir);
    if (!d) return;
    struct dirent *de;
    char path[PATH_MAX];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            !ends_with(de->d_name, RN_DELETED_SUFFIX) || !is_dir(log->topics_dir, de))
            continue;
        snprintf(path, sizeof path, "%s/%s", log->topics_dir, de->d_name);
        rn_err err;
        if (rn_log_remove_tree(log, path, &err)) RN_WARN("log: %s", err.msg);
    }
    closedir(d);
}

static int make_dir(const char *path, int *created, rn_err *err)
{
    *created = 0;
    if (mkdir(path, 0755) == 0) {
        *created = 1;
        return RN_OK;
    }
    if (errno == EEXIST) return RN_OK;
    return rn_err_set(err, errno == ENOSPC ? RN_ENOSPC : RN_EIO, "%s: mkdir: %s", path,
                      strerror(errno));
}

int rn_log_open(const char *data_dir, uv_loop_t *loop, const rn_fileops *ops, rn_log **out,
                rn_err *err)
{
    if (!data_dir || !*data_dir || !loop || !out)
        return rn_err_set(err, RN_EINVAL, "log: open: bad arguments");
    /* Room for "/topics/<249-char topic>-<partition>/<20 digits>.timeindex". */
    if (strlen(data_dir) > PATH_MAX - 320)
        return rn_err_set(err, RN_EINVAL, "log: data directory path too long");
    rn_log *log = calloc(1, sizeof *log);
    if (!log) return rn_err_set(err, RN_ENOMEM, "log: no memory");
    log->loop = loop;
    log->ops = ops ? ops : &rn_fileops_posix;
    uv_mutex_init(&log->mu);
    uv_cond_init(&log->work_cv);
    uv_cond_init(&log->idle_cv);
    int rc = RN_OK;
    log->data_dir = strdup(data_dir);
    log->topics_dir = malloc(strlen(data_dir) + sizeof "/topics");
    log->scan_buf = malloc(RN_SCAN_BUF_LEN);
    if (!log->data_dir || !log->topics_dir || !log->scan_buf) {
        rc = rn_err_set(err, RN_ENOMEM, "log: no memory");
        goto fail;
    }
    sprintf(log->topics_dir, "%s/topics", data_dir);

    int created;
    if ((rc = make_dir(log->data_dir, &created, err))) goto fail;
    if ((rc = make_dir(log->topics_dir, &created, err))) goto fail;
    if (created) {
        int fd = log->ops->open(log->data_dir, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0 || log->ops->fsync(fd) != 0) {
            rc = rn_err_set(err, RN_EIO, "%s: fsync: %s", log->data_dir, strerror(errno));
            if (fd >= 0) log->ops->close(fd);
            goto fail;
        }
        log->ops->close(fd);
    }
    remove_leftovers(log);
    if ((rc = rn_log_flush_start(log, err))) goto fail;
    *out = log;
    return RN_OK;

fail:
    rn_log_close(log);
    return rc;
}

static void on_async_closed(uv_handle_t *h)
{
    rn_log *log = h->data;
    log->async_closed = 1;
}

void rn_log_close(rn_log *log)
{
    if (!log) return;
    while (log->parts)
        rn_log_partition_free(log->parts, 1);
    rn_log_flush_stop(log);
    if (log->async_inited) {
        log->async_closing = 1;
        uv_close((uv_handle_t *)&log->async, on_async_closed);
        /* libuv frees nothing, but the handle must stay valid until its close callback,
         * which runs in the loop's next iteration. */
        while (!log->async_closed)
            uv_run(log->loop, UV_RUN_NOWAIT);
    }
    uv_cond_destroy(&log->idle_cv);
    uv_cond_destroy(&log->work_cv);
    uv_mutex_destroy(&log->mu);
    free(log->scan_buf);
    free(log->topics_dir);
    free(log->data_dir);
    free(log);
}

int rn_log_list_dirs(rn_log *log, int (*cb)(void *arg, const char *dirname), void *arg, rn_err *err)
{
    if (!log || !cb) return rn_err_set(err, RN_EINVAL, "log: list_dirs: bad arguments");
    DIR *d = opendir(log->topics_dir);
    if (!d) return rn_err_set(err, RN_EIO, "%s: opendir: %s", log->topics_dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            ends_with(de->d_name, RN_DELETED_SUFFIX) || !is_dir(log->topics_dir, de))
            continue;
        if (cb(arg, de->d_name)) break;
    }
    closedir(d);
    return RN_OK;
}

void rn_log_get_stats(const rn_log *log, rn_log_stats *out)
{
    out->syncs = atomic_load(&log->syncs);
    out->sync_waiters = atomic_load(&log->sync_waiters);
    out->appends = log->appends;
    out->recovered_truncations = log->recovered_truncations;
}
