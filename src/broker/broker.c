/*
 * broker/broker.c - broker state, topic registry and topic administration.
 *
 * Crash safety of topic changes: metadata (SQLite) is written first, then directories.
 * At start-up, partitions in the metadata whose directories are missing are created
 * empty, and directories that no topic claims (a delete interrupted by a crash) are
 * removed.
 */
#include "broker/broker.h"

#include "broker/fault.h"
#include "common/diag.h"
#include "common/timeutil.h"
#include "kafka/record/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

static void random_bytes(void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = getrandom(b, n, 0);
        if (r <= 0) continue;
        b += r;
        n -= (size_t)r;
    }
}

int rn_topic_name_validate(const char *name, size_t len, rn_err *err)
{
    if (len == 0) return rn_err_set(err, RN_EINVAL, "Topic name is illegal, it can't be empty");
    if (len > RN_TOPIC_NAME_MAX)
        return rn_err_set(err, RN_EINVAL,
                          "Topic name is illegal, it can't be longer than %d characters",
                          RN_TOPIC_NAME_MAX);
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return rn_err_set(err, RN_EINVAL, "Topic name cannot be \".\" or \"..\"");
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return rn_err_set(err, RN_EINVAL,
                              "Topic name \"%.*s\" is illegal, it contains a character other "
                              "than ASCII alphanumerics, '.', '_' and '-'",
                              (int)(len > 64 ? 64 : len), name);
    }
    return RN_OK;
}

static int topic_cmp(const char *name, size_t len, const rn_topic *t)
{
    size_t tl = strlen(t->name);
    int c = memcmp(name, t->name, len < tl ? len : tl);
    if (c) return c;
    return len < tl ? -1 : len > tl ? 1 : 0;
}

/* Index of the topic, or -(insertion point)-1. */
static int topic_find(rn_broker *b, const char *name, size_t len)
{
    int lo = 0, hi = b->ntopics - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = topic_cmp(name, len, b->topics[mid]);
        if (c == 0) return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -lo - 1;
}

rn_topic *rn_broker_topic(rn_broker *b, const char *name, size_t len)
{
    int i = topic_find(b, name, len);
    return i >= 0 ? b->topics[i] : NULL;
}

static void free_kv(rn_config_kv *kv, int n)
{
    for (int i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static rn_config_kv *dup_kv(const rn_config_kv *kv, int n)
{
    rn_config_kv *out = calloc((size_t)(n > 0 ? n : 1), sizeof *out);
    if (!out) return NULL;
    for (int i = 0; i < n; i++) {
        out[i].key = strdup(kv[i].key);
        out[i].value = strdup(kv[i].value);
        if (!out[i].key || !out[i].value) {
            free_kv(out, n);
            return NULL;
        }
    }
    return out;
}

static void topic_free(rn_topic *t)
{
    if (!t) return;
    free(t->name);
    free(t->partitions);
    if (t->pidmaps)
        for (int32_t i = 0; i < t->npartitions; i++)
            rn_pidmap_free(t->pidmaps[i]);
    free(t->pidmaps);
    rn_dedup_free(t->dedup);
    free_kv(t->configs, t->nconfigs);
    free(t);
}

/* Rebuilds the idempotent-producer state of a partition from the batch headers at the
 * tail of its log (producer state is not snapshotted: the log is the truth). */
static int rebuild_pidmap(rn_partition *part, rn_pidmap *m, rn_err *err)
{
    rn_buf buf = {0};
    int64_t off = rn_partition_tail_offset(part, 256ll << 20);
    int64_t end = rn_partition_log_end(part);
    int rc = RN_OK;
    while (off < end) {
        buf.len = 0;
        rc = rn_partition_read(part, off, 1 << 20, &buf, err);
        if (rc || buf.len == 0) break;
        size_t pos = 0;
        while (pos + RN_BATCH_HEADER_SIZE <= buf.len) {
            rn_batch_header h;
            size_t blen = rn_batch_total_size(buf.p + pos, buf.len - pos);
            if (!blen || pos + blen > buf.len || rn_batch_parse_header(buf.p + pos, blen, &h, NULL))
                break;
            if (h.producer_id >= 0 && !(h.attributes & RN_BATCH_ATTR_CONTROL))
                rn_pidmap_record(m, h.producer_id, h.producer_epoch, h.base_sequence,
                                 h.last_offset_delta, h.base_offset);
            off = h.base_offset + h.last_offset_delta + 1;
            pos += blen;
        }
        if (pos == 0) break;
    }
    rn_buf_fini(&buf);
    return rc;
}

/* Creates, resizes or drops the topic's eventId window to match its settings; a new
 * window is filled from the log. */
static int topic_sync_dedup(rn_topic *t, rn_err *err)
{
    int64_t w = t->settings.dedup_window_ms;
    if (w <= 0) {
        rn_dedup_free(t->dedup);
        t->dedup = NULL;
        return RN_OK;
    }
    if (t->dedup) {
        rn_dedup_set_window(t->dedup, w);
        return RN_OK;
    }
    if (!(t->dedup = rn_dedup_new(w))) return rn_err_set(err, RN_ENOMEM, "out of memory");
    int64_t now = rn_now_ms();
    for (int32_t i = 0; i < t->npartitions; i++) {
        if (!t->partitions[i]) continue;
        int rc = rn_dedup_rebuild(t->dedup, t->partitions[i], i, now, err);
        if (rc) return rc;
    }
    if (rn_dedup_count(t->dedup))
        RN_INFO("broker: topic %s: %zu eventId(s) in the dedup window", t->name,
                rn_dedup_count(t->dedup));
    return RN_OK;
}

/* Opens partitions [from, t->npartitions) of t. */
static int topic_open_partitions(rn_broker *b, rn_topic *t, int32_t from, rn_err *err)
{
    for (int32_t i = from; i < t->npartitions; i++) {
        int rc = rn_partition_open(b->log, t->name, i, &t->settings.log, &t->partitions[i], err);
        if (rc) return rc;
        if (!(t->pidmaps[i] = rn_pidmap_new())) return rn_err_set(err, RN_ENOMEM, "out of memory");
        rc = rebuild_pidmap(t->partitions[i], t->pidmaps[i], err);
        if (rc) return rc;
    }
    /* A window covers every partition: rebuild it whole when partitions are added. */
    rn_dedup_free(t->dedup);
    t->dedup = NULL;
    return topic_sync_dedup(t, err);
}

static int topic_insert(rn_broker *b, rn_topic *t)
{
    int i = topic_find(b, t->name, strlen(t->name));
    if (i >= 0) return RN_ECONFLICT;
    i = -i - 1;
    rn_topic **nt = realloc(b->topics, (size_t)(b->ntopics + 1) * sizeof *nt);
    if (!nt) return RN_ENOMEM;
    b->topics = nt;
    memmove(&nt[i + 1], &nt[i], (size_t)(b->ntopics - i) * sizeof *nt);
    nt[i] = t;
    b->ntopics++;
    return RN_OK;
}

static rn_topic *topic_new(rn_broker *b, const char *name, int32_t nparts, const rn_config_kv *kv,
                           int n)
{
    rn_topic *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->name = strdup(name);
    t->npartitions = nparts;
    t->partitions = calloc((size_t)nparts, sizeof *t->partitions);
    t->pidmaps = calloc((size_t)nparts, sizeof *t->pidmaps);
    t->configs = dup_kv(kv, n);
    t->nconfigs = n;
    if (!t->name || !t->partitions || !t->pidmaps || !t->configs) {
        topic_free(t);
        return NULL;
    }
    rn_topic_settings_compute(&b->cfg, kv, n, &t->settings);
    random_bytes(t->topic_id, sizeof t->topic_id);
    return t;
}

static int load_topic_cb(void *arg, const char *name, int32_t partitions, const rn_config_kv *kv,
                         int n)
{
    rn_broker *b = arg;
    rn_topic *t = topic_new(b, name, partitions, kv, n);
    if (!t) return RN_ENOMEM;
    rn_err err;
    int rc = topic_open_partitions(b, t, 0, &err);
    if (rc) {
        RN_ERROR("broker: topic %s: %s", name, err.msg);
        for (int32_t i = 0; i < t->npartitions; i++)
            if (t->partitions[i]) rn_partition_close(t->partitions[i]);
        topic_free(t);
        return rc;
    }
    return topic_insert(b, t);
}

/* Removes "<topic>-<n>" directories that no topic claims. */
static int orphan_cb(void *arg, const char *dirname)
{
    rn_broker *b = arg;
    const char *dash = strrchr(dirname, '-');
    if (!dash || !dash[1]) return 0;
    char *end;
    long idx = strtol(dash + 1, &end, 10);
    if (*end || idx < 0) return 0;
    size_t tl = (size_t)(dash - dirname);
    rn_topic *t = rn_broker_topic(b, dirname, tl);
    if (t && idx < t->npartitions) return 0;
    char topic[RN_TOPIC_NAME_MAX + 1];
    if (tl > RN_TOPIC_NAME_MAX) return 0;
    memcpy(topic, dirname, tl);
    topic[tl] = '\0';
    rn_err err;
    RN_WARN("broker: removing %s: no topic claims it (interrupted delete?)", dirname);
    if (rn_partition_remove(b->log, topic, (int32_t)idx, &err)) RN_WARN("broker: %s", err.msg);
    return 0;
}

static void retention_timer_cb(uv_timer_t *h)
{
    rn_broker_apply_retention(h->data);
}

static void group_timer_cb(uv_timer_t *h)
{
    rn_broker *b = h->data;
    rn_group_tick(b->groups);
}

/* Opens <data_dir>/groups.db (committed offsets, group records) and starts the tick. */
static int groups_open(rn_broker *b, rn_err *err)
{
    rn_group_config gc;
    rn_group_config_defaults(&gc);
    gc.min_session_timeout_ms = b->cfg.group_min_session_timeout_ms;
    gc.max_session_timeout_ms = b->cfg.group_max_session_timeout_ms;
    gc.initial_rebalance_delay_ms = b->cfg.group_initial_rebalance_delay_ms;
    gc.offsets_retention_ms = b->cfg.offsets_retention_minutes * 60 * 1000;
    gc.offsets_retention_check_interval_ms = b->cfg.offsets_retention_check_interval_ms;
    char path[1100];
    snprintf(path, sizeof path, "%s/groups.db", b->cfg.data_dir);
    int rc = rn_group_coord_new(&gc, b->loop, path, &b->groups, err);
    if (rc) return rc;
    uv_timer_init(b->loop, &b->group_timer);
    b->group_timer.data = b;
    uv_timer_start(&b->group_timer, group_timer_cb, RN_BROKER_GROUP_TICK_MS,
                   RN_BROKER_GROUP_TICK_MS);
    uv_unref((uv_handle_t *)&b->group_timer);
    return RN_OK;
}

int rn_broker_init(rn_broker *b, uv_loop_t *loop, const rn_broker_config *cfg, rn_err *err)
{
    memset(b, 0, sizeof *b);
    b->loop = loop;
    b->cfg = *cfg;
    b->node_id = 0;
    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST)
        return rn_err_set(err, RN_EIO, "%s: cannot create data directory: %s", cfg->data_dir,
                          strerror(errno));
    char path[1100];
    snprintf(path, sizeof path, "%s/meta.db", cfg->data_dir);
    int rc = rn_meta_open(path, &b->meta, err);
    if (rc) return rc;
    if (rn_meta_get(b->meta, "cluster.id", b->cluster_id, sizeof b->cluster_id, NULL)) {
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        uint8_t r[22];
        random_bytes(r, sizeof r);
        for (size_t i = 0; i < sizeof r; i++)
            b->cluster_id[i] = alphabet[r[i] & 63];
        b->cluster_id[sizeof r] = '\0';
        rc = rn_meta_set(b->meta, "cluster.id", b->cluster_id, err);
        if (rc) goto fail;
    }
    rc = rn_govern_new(cfg, NULL, NULL, &b->govern, err);
    if (rc) goto fail;
    rc = rn_log_open(cfg->data_dir, loop, rn_fault_fileops(), &b->log, err);
    if (rc) goto fail;
    rc = rn_meta_topics_load(b->meta, load_topic_cb, b, err);
    if (rc) {
        if (!err || !err->msg[0]) rn_err_set(err, rc, "loading topics failed");
        goto fail;
    }
    rc = rn_log_list_dirs(b->log, orphan_cb, b, err);
    if (rc) goto fail;
    rc = groups_open(b, err);
    if (rc) goto fail;
    uv_timer_init(loop, &b->retention_timer);
    b->retention_timer.data = b;
    uv_timer_start(&b->retention_timer, retention_timer_cb,
                   (uint64_t)cfg->retention_check_interval_ms,
                   (uint64_t)cfg->retention_check_interval_ms);
    uv_unref((uv_handle_t *)&b->retention_timer);
    RN_INFO("broker: data dir %s, %d topic(s), cluster id %s", cfg->data_dir, b->ntopics,
            b->cluster_id);
    return RN_OK;
fail:
    rn_broker_fini(b);
    return rc;
}

void rn_broker_fini(rn_broker *b)
{
    if (b->group_timer.data) {
        uv_timer_stop(&b->group_timer);
        uv_close((uv_handle_t *)&b->group_timer, NULL);
        b->group_timer.data = NULL;
    }
    rn_group_coord_free(b->groups); /* answers commits still being stored */
    b->groups = NULL;
    if (b->retention_timer.data) {
        uv_timer_stop(&b->retention_timer);
        uv_close((uv_handle_t *)&b->retention_timer, NULL);
    }
    for (int i = 0; i < b->ntopics; i++)
        topic_free(b->topics[i]); /* partitions are closed by rn_log_close */
    free(b->topics);
    b->topics = NULL;
    b->ntopics = 0;
    rn_log_close(b->log);
    b->log = NULL;
    rn_meta_close(b->meta);
    b->meta = NULL;
    rn_govern_free(b->govern);
    b->govern = NULL;
}

void rn_broker_set_advertised(rn_broker *b, const char *host, int port)
{
    snprintf(b->advertised_host, sizeof b->advertised_host, "%s", host);
    b->advertised_port = port;
}

static int validate_configs(const rn_config_kv *kv, int n, rn_err *err)
{
    for (int i = 0; i < n; i++) {
        int rc = rn_topic_config_validate(kv[i].key, kv[i].value, err);
        if (rc) return rc;
        for (int j = 0; j < i; j++)
            if (!strcmp(kv[i].key, kv[j].key))
                return rn_err_set(err, RN_EINVAL, "Duplicate config key: %s", kv[i].key);
    }
    return RN_OK;
}

int rn_broker_topic_create(rn_broker *b, const char *name, int32_t npartitions,
                           const rn_config_kv *kv, int n, int validate_only, rn_topic **out,
                           rn_err *err)
{
    size_t len = strlen(name);
    int rc = rn_topic_name_validate(name, len, err);
    if (rc) return rc;
    if (npartitions <= 0) npartitions = b->cfg.num_partitions;
    if (npartitions > 100000)
        return rn_err_set(err, RN_EINVAL, "Number of partitions %d is above the limit of 100000",
                          (int)npartitions);
    if ((rc = validate_configs(kv, n, err))) return rc;
    if (rn_broker_topic(b, name, len))
        return rn_err_set(err, RN_ECONFLICT, "Topic '%s' already exists.", name);
    if (validate_only) return RN_OK;
    rn_topic *t = topic_new(b, name, npartitions, kv, n);
    if (!t) return rn_err_set(err, RN_ENOMEM, "out of memory");
    rc = rn_meta_topic_create(b->meta, name, npartitions, kv, n, err);
    if (rc) {
        topic_free(t);
        return rc;
    }
    rc = topic_open_partitions(b, t, 0, err);
    if (rc) {
        /* Roll back: metadata first, then whatever directories were made. */
        rn_meta_topic_delete(b->meta, name, NULL);
        for (int32_t i = 0; i < t->npartitions; i++)
            rn_partition_remove(b->log, name, i, NULL);
        topic_free(t);
        return rc;
    }
    topic_insert(b, t);
    RN_INFO("broker: created topic %s with %d partition(s)", name, (int)npartitions);
    if (out) *out = t;
    return RN_OK;
}

int rn_broker_topic_delete(rn_broker *b, const char *name, rn_err *err)
{
    int i = topic_find(b, name, strlen(name));
    if (i < 0) return rn_err_set(err, RN_ENOTFOUND, "Topic '%s' does not exist.", name);
    int rc = rn_meta_topic_delete(b->meta, name, err);
    if (rc) return rc;
    rn_topic *t = b->topics[i];
    memmove(&b->topics[i], &b->topics[i + 1], (size_t)(b->ntopics - i - 1) * sizeof *b->topics);
    b->ntopics--;
    for (int32_t p = 0; p < t->npartitions; p++) {
        rn_err e2;
        if (rn_partition_remove(b->log, t->name, p, &e2))
            RN_WARN("broker: deleting %s-%d: %s", t->name, (int)p, e2.msg);
    }
    RN_INFO("broker: deleted topic %s", name);
    rn_govern_forget_topic(b->govern, name);
    topic_free(t);
    return RN_OK;
}

int rn_broker_topic_add_partitions(rn_broker *b, rn_topic *t, int32_t total, int validate_only,
                                   rn_err *err)
{
    if (total <= t->npartitions)
        return rn_err_set(err, RN_EINVAL,
                          "Topic currently has %d partitions, which is higher than the requested "
                          "%d.",
                          (int)t->npartitions, (int)total);
    if (total > 100000)
        return rn_err_set(err, RN_EINVAL, "Number of partitions %d is above the limit of 100000",
                          (int)total);
    if (validate_only) return RN_OK;
    rn_partition **np = realloc(t->partitions, (size_t)total * sizeof *np);
    if (!np) return rn_err_set(err, RN_ENOMEM, "out of memory");
    t->partitions = np;
    rn_pidmap **pm = realloc(t->pidmaps, (size_t)total * sizeof *pm);
    if (!pm) return rn_err_set(err, RN_ENOMEM, "out of memory");
    t->pidmaps = pm;
    for (int32_t i = t->npartitions; i < total; i++) {
        np[i] = NULL;
        pm[i] = NULL;
    }
    int rc = rn_meta_topic_set_partitions(b->meta, t->name, total, err);
    if (rc) return rc;
    int32_t old = t->npartitions;
    t->npartitions = total;
    rc = topic_open_partitions(b, t, old, err);
    if (rc) {
        RN_ERROR("broker: growing %s: %s", t->name, err ? err->msg : "");
        /* Metadata says `total`; the missing directories are created at next start. */
        for (int32_t i = old; i < total; i++)
            if (!t->partitions[i]) {
                t->npartitions = i;
                break;
            }
        return rc;
    }
    RN_INFO("broker: topic %s now has %d partitions", t->name, (int)total);
    return RN_OK;
}

int rn_broker_topic_set_configs(rn_broker *b, rn_topic *t, const rn_config_kv *kv, int n,
                                int validate_only, rn_err *err)
{
    int rc = validate_configs(kv, n, err);
    if (rc || validate_only) return rc;
    rn_config_kv *copy = dup_kv(kv, n);
    if (!copy) return rn_err_set(err, RN_ENOMEM, "out of memory");
    rc = rn_meta_topic_set_configs(b->meta, t->name, kv, n, err);
    if (rc) {
        free_kv(copy, n);
        return rc;
    }
    /* kv may point into t->configs (incremental alter): use the copy from here on. */
    free_kv(t->configs, t->nconfigs);
    t->configs = copy;
    t->nconfigs = n;
    rn_topic_settings_compute(&b->cfg, copy, n, &t->settings);
    for (int32_t i = 0; i < t->npartitions; i++)
        rn_partition_set_config(t->partitions[i], &t->settings.log);
    return topic_sync_dedup(t, err);
}

#define PRODUCER_ID_BLOCK 1000

int rn_broker_next_producer_id(rn_broker *b, int64_t *out, rn_err *err)
{
    if (b->next_producer_id >= b->producer_id_limit) {
        char v[32];
        int64_t start = 1000; /* as Kafka's first block */
        if (rn_meta_get(b->meta, "producer.id.next", v, sizeof v, NULL) == RN_OK)
            start = strtoll(v, NULL, 10);
        if (start < b->next_producer_id) start = b->next_producer_id;
        snprintf(v, sizeof v, "%lld", (long long)(start + PRODUCER_ID_BLOCK));
        int rc = rn_meta_set(b->meta, "producer.id.next", v, err);
        if (rc) return rc;
        b->next_producer_id = start;
        b->producer_id_limit = start + PRODUCER_ID_BLOCK;
    }
    *out = b->next_producer_id++;
    return RN_OK;
}

void rn_broker_apply_retention(rn_broker *b)
{
    int64_t now = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (int i = 0; i < b->ntopics; i++) {
        rn_topic *t = b->topics[i];
        for (int32_t p = 0; p < t->npartitions; p++) {
            rn_err err;
            int n = rn_partition_apply_retention(t->partitions[p], now, &err);
            if (n < 0)
                RN_WARN("broker: retention of %s-%d: %s", t->name, (int)p, err.msg);
            else if (n > 0)
                RN_INFO("broker: retention deleted %d segment(s) of %s-%d, log start now %lld", n,
                        t->name, (int)p, (long long)rn_partition_log_start(t->partitions[p]));
        }
    }
}
