/*
 * group/group_offsets.c - committed offsets in the coordinator: OffsetCommit validation
 * (Kafka's validateOffsetCommit), the in-memory table served to OffsetFetch, OffsetDelete,
 * DeleteGroups, offset retention, and loading the store at start.
 *
 * Order: every change to offsets is a store batch, and is applied to memory by the batch's
 *   completion, never before: completions run in submission order, so memory follows the
 *   same order as the disk, and what OffsetFetch shows is always durable. A group removed
 *   (DeleteGroups, retention) leaves the table at once; completions of writes queued
 *   before that find it dead and change nothing, and the delete that follows them on disk
 *   removes what they wrote.
 */
#include "group/group_int.h"

#include "common/diag.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the table */

static int kcmp(const char *s, const char *p, size_t n)
{
    size_t sl = strlen(s);
    int c = memcmp(s, p, sl < n ? sl : n);
    if (c) return c;
    return sl < n ? -1 : sl > n ? 1 : 0;
}

/* Index of topic (name p[0..n)) in g->topics, or -(insertion point)-1. */
static int topic_find(const group *g, const char *p, size_t n)
{
    int lo = 0, hi = g->ntopics - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = kcmp(g->topics[mid].name, p, n);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static int part_find(const gtopic *t, int32_t partition)
{
    int lo = 0, hi = t->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (t->parts[mid].partition == partition) return mid;
        if (t->parts[mid].partition < partition)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static void topic_fini(gtopic *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->parts[i].metadata);
    free(t->parts);
    free(t->name);
}

void rn_group__offsets_free(group *g)
{
    for (int i = 0; i < g->ntopics; i++)
        topic_fini(&g->topics[i]);
    free(g->topics);
    g->topics = NULL;
    g->ntopics = g->topics_cap = 0;
}

int rn_group__offset_put(group *g, const char *topic, size_t topic_len, int32_t partition,
                         int64_t offset, int32_t leader_epoch, const char *metadata,
                         size_t metadata_len, int64_t commit_ts)
{
    char *md = malloc(metadata_len + 1);
    if (!md) return RN_ENOMEM;
    if (metadata_len) memcpy(md, metadata, metadata_len);
    md[metadata_len] = '\0';
    int ti = topic_find(g, topic, topic_len);
    if (ti < 0) {
        ti = -ti - 1;
        if (g->ntopics == g->topics_cap) {
            int cap = g->topics_cap ? g->topics_cap * 2 : 4;
            gtopic *nt = realloc(g->topics, (size_t)cap * sizeof *nt);
            if (!nt) {
                free(md);
                return RN_ENOMEM;
            }
            g->topics = nt;
            g->topics_cap = cap;
        }
        char *name = malloc(topic_len + 1);
        if (!name) {
            free(md);
            return RN_ENOMEM;
        }
        memcpy(name, topic, topic_len);
        name[topic_len] = '\0';
        memmove(&g->topics[ti + 1], &g->topics[ti], (size_t)(g->ntopics - ti) * sizeof(gtopic));
        g->topics[ti] = (gtopic){.name = name};
        g->ntopics++;
    }
    gtopic *t = &g->topics[ti];
    int pi = part_find(t, partition);
    if (pi < 0) {
        pi = -pi - 1;
        if (t->n == t->cap) {
            int cap = t->cap ? t->cap * 2 : 8;
            gpart *np = realloc(t->parts, (size_t)cap * sizeof *np);
            if (!np) {
                free(md);
                return RN_ENOMEM;
            }
            t->parts = np;
            t->cap = cap;
        }
        memmove(&t->parts[pi + 1], &t->parts[pi], (size_t)(t->n - pi) * sizeof(gpart));
        t->parts[pi] = (gpart){.partition = partition, .metadata = NULL};
        t->n++;
    }
    gpart *p = &t->parts[pi];
    free(p->metadata);
    p->offset = offset;
    p->leader_epoch = leader_epoch;
    p->metadata = md;
    p->metadata_len = metadata_len;
    p->commit_ts = commit_ts;
    if (commit_ts > g->last_commit_ts) g->last_commit_ts = commit_ts;
    return RN_OK;
}

static void offset_del(group *g, const char *topic, size_t topic_len, int32_t partition)
{
    int ti = topic_find(g, topic, topic_len);
    if (ti < 0) return;
    gtopic *t = &g->topics[ti];
    int pi = part_find(t, partition);
    if (pi < 0) return;
    free(t->parts[pi].metadata);
    memmove(&t->parts[pi], &t->parts[pi + 1], (size_t)(t->n - pi - 1) * sizeof(gpart));
    t->n--;
    if (t->n == 0) {
        topic_fini(t);
        memmove(&g->topics[ti], &g->topics[ti + 1], (size_t)(g->ntopics - ti - 1) * sizeof(gtopic));
        g->ntopics--;
    }
}

static const gpart *offset_lookup(const group *g, rn_kstr topic, int32_t partition)
{
    if (topic.len < 0) return NULL;
    int ti = topic_find(g, topic.p, (size_t)topic.len);
    if (ti < 0) return NULL;
    int pi = part_find(&g->topics[ti], partition);
    return pi < 0 ? NULL : &g->topics[ti].parts[pi];
}

/* A topic name usable as a key: not null, no NUL byte. */
static int topic_ok(rn_kstr t)
{
    return t.len >= 0 && (t.len == 0 || !memchr(t.p, '\0', (size_t)t.len));
}

/* A NUL-terminated copy on the stack-or-heap: callers free if != buf. */
static char *ctopic(rn_kstr t, char *buf, size_t buflen)
{
    size_t n = (size_t)t.len;
    char *s = n < buflen ? buf : malloc(n + 1);
    if (!s) return NULL;
    if (n) memcpy(s, t.p, n);
    s[n] = '\0';
    return s;
}

/* ------------------------------------------------------------------ group records */

void rn_group__store_record(rn_group_coord *c, group *g)
{
    rn_offsets_batch *b = rn_offsets_batch_new();
    if (!b || rn_offsets_batch_put_group(b, g->id, g->protocol_type, g->generation, g->state_ts)) {
        rn_offsets_batch_free(b);
        return; /* only the generation's monotonicity across restarts suffers */
    }
    rn_offsets_submit(c->store, b, NULL, NULL);
}

/* ------------------------------------------------------------------ OffsetCommit */

typedef struct commit_ctx {
    rn_group_coord *c;
    group *g; /* holds a reference (inflight) */
    rn_group_commit_part *parts;
    uint8_t *queued; /* parts[i] is in the batch */
    int n;
    int64_t ts;
    rn_group_done_cb cb;
    void *arg;
} commit_ctx;

static void commit_done(void *arg, int status)
{
    commit_ctx *x = arg;
    group *g = x->g;
    for (int i = 0; i < x->n; i++) {
        if (!x->queued[i]) continue;
        rn_group_commit_part *p = &x->parts[i];
        if (status) {
            p->error = RN_GERR_COORDINATOR_NOT_AVAILABLE;
            continue;
        }
        if (!g->dead) {
            size_t ml = p->metadata.len > 0 ? (size_t)p->metadata.len : 0;
            if (rn_group__offset_put(g, p->topic.p, (size_t)p->topic.len, p->partition, p->offset,
                                     p->leader_epoch, p->metadata.p, ml, x->ts))
                RN_ERROR("group %s: out of memory caching a committed offset", g->id);
        }
    }
    rn_group__unref(g);
    rn_group_done_cb cb = x->cb;
    void *cbarg = x->arg;
    free(x->queued);
    free(x);
    cb(cbarg);
}

static void fill_errors(rn_group_commit_part *parts, int n, int16_t e)
{
    for (int i = 0; i < n; i++)
        if (parts[i].error == RN_GERR_NONE) parts[i].error = e;
}

int rn_group_commit(rn_group_coord *c, rn_kstr group_id, int32_t generation_id, rn_kstr member_id,
                    rn_kstr group_instance_id, rn_group_commit_part *parts, int n,
                    rn_group_done_cb cb, void *arg)
{
    if (group_id.len < 0 || (group_id.len > 0 && memchr(group_id.p, '\0', (size_t)group_id.len))) {
        fill_errors(parts, n, RN_GERR_INVALID_GROUP_ID);
        return 0;
    }
    group *g = rn_group__find(c, group_id);
    if (!g) {
        if (generation_id >= 0) {
            /* An old generation of a group that no longer exists. */
            fill_errors(parts, n, RN_GERR_ILLEGAL_GENERATION);
            return 0;
        }
        g = rn_group__create(c, group_id.p, (size_t)group_id.len, 0);
        if (!g) {
            fill_errors(parts, n, RN_GERR_COORDINATOR_NOT_AVAILABLE);
            return 0;
        }
    }
    /* Kafka's validateOffsetCommit. */
    gmember *m = NULL;
    int16_t e = RN_GERR_NONE;
    if (generation_id >= 0 || member_id.len > 0 || group_instance_id.len >= 0) {
        e = rn_group__validate_member(g, member_id, group_instance_id, &m);
        if (!e && generation_id != g->generation) e = RN_GERR_ILLEGAL_GENERATION;
    } else if (g->state != RN_GROUP_EMPTY) {
        e = RN_GERR_UNKNOWN_MEMBER_ID; /* only members commit to an active group */
    }
    if (!e && g->state == RN_GROUP_COMPLETING_REBALANCE) e = RN_GERR_REBALANCE_IN_PROGRESS;
    if (e) {
        fill_errors(parts, n, e);
        return 0;
    }
    if (m) rn_group__touch(c, m); /* Stable or PreparingRebalance: a commit is a heartbeat */

    commit_ctx *x = calloc(1, sizeof *x);
    uint8_t *queued = calloc((size_t)(n > 0 ? n : 1), 1);
    rn_offsets_batch *b = rn_offsets_batch_new();
    if (!x || !queued || !b) {
        free(x);
        free(queued);
        rn_offsets_batch_free(b);
        fill_errors(parts, n, RN_GERR_COORDINATOR_NOT_AVAILABLE);
        return 0;
    }
    int64_t ts = rn_group__wall(c);
    int nq = 0;
    for (int i = 0; i < n; i++) {
        rn_group_commit_part *p = &parts[i];
        if (p->error) continue;
        if (!topic_ok(p->topic)) {
            p->error = RN_GERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        if (p->metadata.len > c->cfg.max_metadata_bytes) {
            p->error = RN_GERR_OFFSET_METADATA_TOO_LARGE;
            continue;
        }
        char tb[256];
        char *topic = ctopic(p->topic, tb, sizeof tb);
        int rc = topic ? rn_offsets_batch_put_offset(
                             b, g->id, topic, p->partition, p->offset, p->leader_epoch,
                             p->metadata.len >= 0 ? p->metadata.p : NULL,
                             p->metadata.len > 0 ? (size_t)p->metadata.len : 0, ts)
                       : RN_ENOMEM;
        if (topic != tb) free(topic);
        if (rc) {
            p->error = RN_GERR_COORDINATOR_NOT_AVAILABLE;
            continue;
        }
        queued[i] = 1;
        nq++;
    }
    if (nq == 0) {
        free(x);
        free(queued);
        rn_offsets_batch_free(b);
        return 0;
    }
    *x = (commit_ctx){
        .c = c, .g = g, .parts = parts, .queued = queued, .n = n, .ts = ts, .cb = cb, .arg = arg};
    g->inflight++;
    if (rn_offsets_submit(c->store, b, commit_done, x)) {
        g->inflight--;
        for (int i = 0; i < n; i++)
            if (queued[i]) parts[i].error = RN_GERR_COORDINATOR_NOT_AVAILABLE;
        free(x);
        free(queued);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ OffsetFetch */

int rn_group_offset_get(rn_group_coord *c, rn_kstr group_id, rn_kstr topic, int32_t partition,
                        int64_t *offset, int32_t *leader_epoch, const char **metadata,
                        size_t *metadata_len)
{
    *offset = -1;
    *leader_epoch = -1;
    *metadata = "";
    *metadata_len = 0;
    group *g = rn_group__find(c, group_id);
    const gpart *p = g ? offset_lookup(g, topic, partition) : NULL;
    if (!p) return 0;
    *offset = p->offset;
    *leader_epoch = p->leader_epoch;
    *metadata = p->metadata;
    *metadata_len = p->metadata_len;
    return 1;
}

void rn_group_offsets_each(rn_group_coord *c, rn_kstr group_id, rn_group_offset_cb cb, void *arg)
{
    group *g = rn_group__find(c, group_id);
    if (!g) return;
    for (int i = 0; i < g->ntopics; i++) {
        const gtopic *t = &g->topics[i];
        for (int j = 0; j < t->n; j++) {
            const gpart *p = &t->parts[j];
            cb(arg, t->name, p->partition, p->offset, p->leader_epoch, p->metadata,
               p->metadata_len);
        }
    }
}

/* ------------------------------------------------------------------ OffsetDelete */

typedef struct del_ctx {
    group *g; /* reference held */
    rn_group_offset_del_part *parts;
    uint8_t *queued;
    int n;
    int16_t *errors; /* DeleteGroups: per group */
    rn_group_done_cb cb;
    void *arg;
} del_ctx;

static void offset_delete_done(void *arg, int status)
{
    del_ctx *x = arg;
    group *g = x->g;
    for (int i = 0; i < x->n; i++) {
        if (!x->queued[i]) continue;
        rn_group_offset_del_part *p = &x->parts[i];
        if (status)
            p->error = RN_GERR_COORDINATOR_NOT_AVAILABLE;
        else if (!g->dead)
            offset_del(g, p->topic.p, (size_t)p->topic.len, p->partition);
    }
    rn_group__unref(g);
    rn_group_done_cb cb = x->cb;
    void *cbarg = x->arg;
    free(x->queued);
    free(x);
    cb(cbarg);
}

static int subscribed(const group *g, rn_kstr topic)
{
    if (!g->subs_known) return 1;
    for (int i = 0; i < g->nsubs; i++)
        if (!kcmp(g->subs[i], topic.p, (size_t)topic.len)) return 1;
    return 0;
}

int rn_group_offset_delete(rn_group_coord *c, rn_kstr group_id, rn_group_offset_del_part *parts,
                           int n, int16_t *top_error, rn_group_done_cb cb, void *arg)
{
    *top_error = RN_GERR_NONE;
    group *g = rn_group__find(c, group_id);
    if (!g) {
        *top_error = RN_GERR_GROUP_ID_NOT_FOUND;
        return 0;
    }
    /* Kafka's handleDeleteOffsets: a group with members keeps the offsets of the topics it
     * consumes; an Empty (or non-consumer) group may delete anything. */
    int active =
        g->state != RN_GROUP_EMPTY && g->protocol_type && !strcmp(g->protocol_type, "consumer");
    del_ctx *x = calloc(1, sizeof *x);
    uint8_t *queued = calloc((size_t)(n > 0 ? n : 1), 1);
    rn_offsets_batch *b = rn_offsets_batch_new();
    if (!x || !queued || !b) {
        free(x);
        free(queued);
        rn_offsets_batch_free(b);
        *top_error = RN_GERR_COORDINATOR_NOT_AVAILABLE;
        return 0;
    }
    int nq = 0;
    for (int i = 0; i < n; i++) {
        rn_group_offset_del_part *p = &parts[i];
        if (p->error) continue;
        if (!topic_ok(p->topic)) continue; /* nothing committed under such a name */
        if (active && subscribed(g, p->topic)) {
            p->error = RN_GERR_GROUP_SUBSCRIBED_TO_TOPIC;
            continue;
        }
        if (!offset_lookup(g, p->topic, p->partition)) continue;
        char tb[256];
        char *topic = ctopic(p->topic, tb, sizeof tb);
        int rc = topic ? rn_offsets_batch_del_offset(b, g->id, topic, p->partition) : RN_ENOMEM;
        if (topic != tb) free(topic);
        if (rc) {
            p->error = RN_GERR_COORDINATOR_NOT_AVAILABLE;
            continue;
        }
        queued[i] = 1;
        nq++;
    }
    if (nq == 0) {
        free(x);
        free(queued);
        rn_offsets_batch_free(b);
        return 0;
    }
    *x = (del_ctx){.g = g, .parts = parts, .queued = queued, .n = n, .cb = cb, .arg = arg};
    g->inflight++;
    if (rn_offsets_submit(c->store, b, offset_delete_done, x)) {
        g->inflight--;
        for (int i = 0; i < n; i++)
            if (queued[i]) parts[i].error = RN_GERR_COORDINATOR_NOT_AVAILABLE;
        free(x);
        free(queued);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ DeleteGroups */

typedef struct delg_ctx {
    int16_t *errors;
    uint8_t *queued;
    int n;
    rn_group_done_cb cb;
    void *arg;
} delg_ctx;

static void delete_groups_done(void *arg, int status)
{
    delg_ctx *x = arg;
    if (status)
        for (int i = 0; i < x->n; i++)
            if (x->queued[i]) x->errors[i] = RN_GERR_COORDINATOR_NOT_AVAILABLE;
    rn_group_done_cb cb = x->cb;
    void *cbarg = x->arg;
    free(x->queued);
    free(x);
    cb(cbarg);
}

int rn_group_delete(rn_group_coord *c, const rn_kstr *ids, int16_t *errors, int n,
                    rn_group_done_cb cb, void *arg)
{
    delg_ctx *x = calloc(1, sizeof *x);
    uint8_t *queued = calloc((size_t)(n > 0 ? n : 1), 1);
    rn_offsets_batch *b = rn_offsets_batch_new();
    if (!x || !queued || !b) {
        free(x);
        free(queued);
        rn_offsets_batch_free(b);
        for (int i = 0; i < n; i++)
            errors[i] = RN_GERR_COORDINATOR_NOT_AVAILABLE;
        return 0;
    }
    int nq = 0;
    for (int i = 0; i < n; i++) {
        group *g = rn_group__find(c, ids[i]);
        if (!g) {
            errors[i] = RN_GERR_GROUP_ID_NOT_FOUND;
            continue;
        }
        if (g->state != RN_GROUP_EMPTY) {
            errors[i] = RN_GERR_NON_EMPTY_GROUP;
            continue;
        }
        if (rn_offsets_batch_del_group(b, g->id)) {
            errors[i] = RN_GERR_COORDINATOR_NOT_AVAILABLE;
            continue;
        }
        RN_INFO("group %s: deleted", g->id);
        errors[i] = RN_GERR_NONE;
        rn_group__unlink(c, g);
        queued[i] = 1;
        nq++;
    }
    if (nq == 0) {
        free(x);
        free(queued);
        rn_offsets_batch_free(b);
        return 0;
    }
    *x = (delg_ctx){.errors = errors, .queued = queued, .n = n, .cb = cb, .arg = arg};
    if (rn_offsets_submit(c->store, b, delete_groups_done, x)) {
        for (int i = 0; i < n; i++)
            if (queued[i]) errors[i] = RN_GERR_COORDINATOR_NOT_AVAILABLE;
        free(x);
        free(queued);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ retention */

void rn_group__retention(rn_group_coord *c)
{
    int64_t now = rn_group__wall(c);
    int64_t keep = c->cfg.offsets_retention_ms;
    group **expired = NULL;
    int nexp = 0, cap = 0;
    for (size_t b = 0; b < c->nbuckets; b++)
        for (group *g = c->buckets[b]; g; g = g->hnext) {
            if (g->state != RN_GROUP_EMPTY || g->inflight > 0) continue;
            int64_t last = g->state_ts > g->last_commit_ts ? g->state_ts : g->last_commit_ts;
            if (now - last < keep) continue;
            if (nexp == cap) {
                int ncap = cap ? cap * 2 : 16;
                group **ne = realloc(expired, (size_t)ncap * sizeof *ne);
                if (!ne) break;
                expired = ne;
                cap = ncap;
            }
            expired[nexp++] = g;
        }
    if (nexp == 0) {
        free(expired);
        return;
    }
    rn_offsets_batch *batch = rn_offsets_batch_new();
    for (int i = 0; batch && i < nexp; i++) {
        group *g = expired[i];
        if (rn_offsets_batch_del_group(batch, g->id))
            break; /* the rest expires at the next check */
        RN_INFO("group %s: expired after %lld min without members or commits (%d topic(s) of "
                "offsets removed)",
                g->id, (long long)(keep / 60000), g->ntopics);
        rn_group__unlink(c, g);
    }
    if (batch && rn_offsets_batch_len(batch) > 0)
        rn_offsets_submit(c->store, batch, NULL, NULL);
    else
        rn_offsets_batch_free(batch);
    free(expired);
}

/* ------------------------------------------------------------------ load */

static int load_group(void *arg, const char *group_id, const char *protocol_type,
                      int32_t generation, int64_t state_ts_ms)
{
    rn_group_coord *c = arg;
    group *g = rn_group__find_c(c, group_id);
    if (!g) g = rn_group__create(c, group_id, strlen(group_id), generation);
    if (!g) return RN_ENOMEM;
    g->generation = generation;
    g->state_ts = state_ts_ms;
    if (protocol_type) {
        free(g->protocol_type);
        g->protocol_type = strdup(protocol_type);
        if (!g->protocol_type) return RN_ENOMEM;
    }
    return RN_OK;
}

static int load_offset(void *arg, const char *group_id, const char *topic, int32_t partition,
                       int64_t offset, int32_t leader_epoch, const char *metadata,
                       size_t metadata_len, int64_t commit_ts_ms)
{
    rn_group_coord *c = arg;
    group *g = rn_group__find_c(c, group_id);
    if (!g) {
        /* Offsets of a group without a record (standalone commits): Empty since its last
         * commit. */
        g = rn_group__create(c, group_id, strlen(group_id), 0);
        if (!g) return RN_ENOMEM;
        g->state_ts = commit_ts_ms;
    }
    return rn_group__offset_put(g, topic, strlen(topic), partition, offset, leader_epoch, metadata,
                                metadata_len, commit_ts_ms);
}

int rn_group__load(rn_group_coord *c, rn_err *err)
{
    rn_offsets_loader l = {load_group, load_offset, c};
    return rn_offsets_load(c->store, &l, err);
}
