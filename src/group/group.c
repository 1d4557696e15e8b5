/*
 * group/group.c - the classic group coordinator: groups, members, the join barrier, sync,
 * heartbeats and session expiry, leave, static membership, describe and list. Follows
 * Kafka's GroupCoordinator.scala / GroupMetadata.scala (3.x, before KIP-848) decision by
 * decision; the function names below say which Kafka method each one mirrors.
 *
 * Sections: clock and table | members | results | the rebalance | JoinGroup | SyncGroup |
 *   Heartbeat, LeaveGroup | tick | describe, list | life cycle.
 *
 * Re-entrancy: callbacks run while a call is in progress (a barrier completing answers
 *   every parked member). A callback may cancel other waiters (a failed write closes its
 *   connection, whose parked requests are cancelled), which only clears member->join_w or
 *   ->sync_w. So every loop that delivers re-reads those fields and never caches a waiter,
 *   and membership never changes during delivery.
 */
#include "group/group_int.h"

#include "common/diag.h"
#include "common/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ------------------------------------------------------------------ clock and table */

static int64_t sys_mono(void *arg)
{
    (void)arg;
    return rn_mono_ms();
}

static int64_t sys_wall(void *arg)
{
    (void)arg;
    return rn_now_ms();
}

int64_t rn_group__mono(rn_group_coord *c)
{
    return c->cfg.clock.mono_ms(c->cfg.clock.arg);
}

int64_t rn_group__wall(rn_group_coord *c)
{
    return c->cfg.clock.wall_ms(c->cfg.clock.arg);
}

const char *rn_group_state_name(rn_group_state s)
{
    switch (s) {
    case RN_GROUP_EMPTY:
        return "Empty";
    case RN_GROUP_PREPARING_REBALANCE:
        return "PreparingRebalance";
    case RN_GROUP_COMPLETING_REBALANCE:
        return "CompletingRebalance";
    case RN_GROUP_STABLE:
        return "Stable";
    case RN_GROUP_DEAD:
        return "Dead";
    }
    return "Dead";
}

void rn_group_config_defaults(rn_group_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->min_session_timeout_ms = 6000;
    cfg->max_session_timeout_ms = 1800000;
    cfg->initial_rebalance_delay_ms = 3000;
    cfg->new_member_join_timeout_ms = 300000;
    cfg->offsets_retention_ms = 10080LL * 60 * 1000;
    cfg->offsets_retention_check_interval_ms = 600000;
    cfg->max_metadata_bytes = 4096;
    cfg->clock.mono_ms = sys_mono;
    cfg->clock.wall_ms = sys_wall;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* A usable id: not null, no NUL byte inside (ids are kept as C strings). */
static int id_ok(rn_kstr id)
{
    return id.len >= 0 && (id.len == 0 || !memchr(id.p, '\0', (size_t)id.len));
}

/* Equality of a view and a C string. */
static int keq(rn_kstr k, const char *s)
{
    if (k.len < 0 || !s) return 0;
    size_t n = strlen(s);
    return (size_t)k.len == n && (n == 0 || memcmp(k.p, s, n) == 0);
}

static int knull(rn_kstr k)
{
    return k.len < 0;
}

static char *kdup(rn_kstr k)
{
    size_t n = k.len > 0 ? (size_t)k.len : 0;
    char *s = malloc(n + 1);
    if (!s) return NULL;
    if (n) memcpy(s, k.p, n);
    s[n] = '\0';
    return s;
}

group *rn_group__find(rn_group_coord *c, rn_kstr id)
{
    if (!id_ok(id) || c->nbuckets == 0) return NULL;
    size_t n = (size_t)id.len;
    group *g = c->buckets[hash_bytes(id.p, n) % c->nbuckets];
    for (; g; g = g->hnext)
        if (strlen(g->id) == n && (n == 0 || memcmp(g->id, id.p, n) == 0)) return g;
    return NULL;
}

group *rn_group__find_c(rn_group_coord *c, const char *id)
{
    return rn_group__find(c, (rn_kstr){id, (int32_t)strlen(id)});
}

static void table_grow(rn_group_coord *c)
{
    size_t nb = c->nbuckets ? c->nbuckets * 2 : 64;
    group **b = calloc(nb, sizeof *b);
    if (!b) return; /* keep the old table: only slower */
    for (size_t i = 0; i < c->nbuckets; i++) {
        group *g = c->buckets[i], *nx;
        for (; g; g = nx) {
            nx = g->hnext;
            size_t h = hash_bytes(g->id, strlen(g->id)) % nb;
            g->hnext = b[h];
            b[h] = g;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = nb;
}

group *rn_group__create(rn_group_coord *c, const char *id, size_t len, int32_t generation)
{
    if ((size_t)c->ngroups >= c->nbuckets) table_grow(c);
    if (c->nbuckets == 0) return NULL;
    group *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->id = malloc(len + 1);
    if (!g->id) {
        free(g);
        return NULL;
    }
    memcpy(g->id, id, len);
    g->id[len] = '\0';
    g->state = RN_GROUP_EMPTY;
    g->state_ts = rn_group__wall(c);
    g->generation = generation;
    size_t h = hash_bytes(g->id, len) % c->nbuckets;
    g->hnext = c->buckets[h];
    c->buckets[h] = g;
    c->ngroups++;
    return g;
}

static void free_subs(group *g)
{
    for (int i = 0; i < g->nsubs; i++)
        free(g->subs[i]);
    free(g->subs);
    g->subs = NULL;
    g->nsubs = 0;
    g->subs_known = 0;
}

static void member_free(gmember *m)
{
    if (!m) return;
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    for (int i = 0; i < m->nprotocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].meta);
    }
    free(m->protocols);
    free(m->assignment);
    free(m);
}

void rn_group__free(group *g)
{
    gmember *m = g->members, *nx;
    for (; m; m = nx) {
        nx = m->next;
        member_free(m);
    }
    for (int i = 0; i < g->npending; i++)
        free(g->pending[i].id);
    free(g->pending);
    free_subs(g);
    rn_group__offsets_free(g);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->id);
    free(g);
}

void rn_group__unlink(rn_group_coord *c, group *g)
{
    size_t h = hash_bytes(g->id, strlen(g->id)) % c->nbuckets;
    for (group **pp = &c->buckets[h]; *pp; pp = &(*pp)->hnext)
        if (*pp == g) {
            *pp = g->hnext;
            c->ngroups--;
            break;
        }
    g->hnext = NULL;
    g->dead = 1;
    g->state = RN_GROUP_DEAD;
    if (g->inflight == 0) rn_group__free(g);
}

void rn_group__unref(group *g)
{
    if (--g->inflight == 0 && g->dead) rn_group__free(g);
}

static void set_state(rn_group_coord *c, group *g, rn_group_state s)
{
    if (g->state != s) g->state_ts = rn_group__wall(c);
    g->state = s;
}

/* ------------------------------------------------------------------ members */

static gmember *member_find(group *g, rn_kstr id)
{
    for (gmember *m = g->members; m; m = m->next)
        if (keq(id, m->id)) return m;
    return NULL;
}

static gmember *static_member_find(group *g, rn_kstr instance_id)
{
    if (knull(instance_id)) return NULL;
    for (gmember *m = g->members; m; m = m->next)
        if (m->instance_id && keq(instance_id, m->instance_id)) return m;
    return NULL;
}

static int pending_find(group *g, rn_kstr id)
{
    for (int i = 0; i < g->npending; i++)
        if (keq(id, g->pending[i].id)) return i;
    return -1;
}

static void pending_remove_at(group *g, int i)
{
    free(g->pending[i].id);
    g->pending[i] = g->pending[--g->npending];
}

/* Kafka's validateCurrentMember: an instance id must map to this member id (else
 * FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID if it maps to nothing); the member id must be
 * known. */
int16_t rn_group__validate_member(group *g, rn_kstr member_id, rn_kstr instance_id, gmember **out)
{
    *out = NULL;
    if (!knull(instance_id)) {
        gmember *s = static_member_find(g, instance_id);
        if (!s) return RN_GERR_UNKNOWN_MEMBER_ID;
        if (!keq(member_id, s->id)) return RN_GERR_FENCED_INSTANCE_ID;
        *out = s;
        return RN_GERR_NONE;
    }
    gmember *m = member_find(g, member_id);
    if (!m) return RN_GERR_UNKNOWN_MEMBER_ID;
    *out = m;
    return RN_GERR_NONE;
}

void rn_group__touch(rn_group_coord *c, gmember *m)
{
    m->hb_deadline = rn_group__mono(c) + m->session_timeout_ms;
}

/* A fresh member id: prefix + "-" + a random UUID (Kafka's generateMemberId). */
static char *new_member_id(rn_kstr prefix)
{
    uint8_t r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n > 0) got += (size_t)n;
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    size_t pl = prefix.len > 0 ? (size_t)prefix.len : 0;
    if (pl > 200) pl = 200;
    char *s = malloc(pl + 1 + 36 + 1);
    if (!s) return NULL;
    if (pl) memcpy(s, prefix.p, pl);
    for (size_t i = 0; i < pl; i++)
        if (s[i] == '\0') s[i] = '_';
    char *p = s + pl;
    *p++ = '-';
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[r[i] >> 4];
        *p++ = hex[r[i] & 15];
    }
    *p = '\0';
    return s;
}

/* Replaces m's protocols with copies of the request's. Returns 0 or -1 (OOM: m unchanged). */
static int set_protocols(gmember *m, const rn_group_protocol *p, int n)
{
    gproto *np = calloc((size_t)(n > 0 ? n : 1), sizeof *np);
    if (!np) return -1;
    for (int i = 0; i < n; i++) {
        np[i].name = kdup(p[i].name);
        size_t ml = p[i].metadata.len > 0 ? (size_t)p[i].metadata.len : 0;
        np[i].meta_len = ml;
        np[i].meta = ml ? malloc(ml) : NULL;
        if (!np[i].name || (ml && !np[i].meta)) {
            for (int j = 0; j <= i; j++) {
                free(np[j].name);
                free(np[j].meta);
            }
            free(np);
            return -1;
        }
        if (ml) memcpy(np[i].meta, p[i].metadata.p, ml);
    }
    for (int i = 0; i < m->nprotocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].meta);
    }
    free(m->protocols);
    m->protocols = np;
    m->nprotocols = n;
    return 0;
}

static const gproto *member_protocol(const gmember *m, const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < m->nprotocols; i++)
        if (!strcmp(m->protocols[i].name, name)) return &m->protocols[i];
    return NULL;
}

/* Kafka's MemberMetadata.matches: the same protocols, in the same order, same bytes. */
static int member_matches(const gmember *m, const rn_group_protocol *p, int n)
{
    if (m->nprotocols != n) return 0;
    for (int i = 0; i < n; i++) {
        const gproto *q = &m->protocols[i];
        size_t ml = p[i].metadata.len > 0 ? (size_t)p[i].metadata.len : 0;
        if (!keq(p[i].name, q->name) || ml != q->meta_len ||
            (ml && memcmp(p[i].metadata.p, q->meta, ml)))
            return 0;
    }
    return 1;
}

/* How many members support protocol name. */
static int support_count(const group *g, rn_kstr name)
{
    int n = 0;
    for (const gmember *m = g->members; m; m = m->next)
        for (int i = 0; i < m->nprotocols; i++)
            if (keq(name, m->protocols[i].name)) {
                n++;
                break;
            }
    return n;
}

/* Kafka's GroupMetadata.supportsProtocols. */
static int supports_protocols(const group *g, rn_kstr type, const rn_group_protocol *p, int n)
{
    if (g->state == RN_GROUP_EMPTY || g->nmembers == 0) return type.len > 0 && n > 0;
    if (!g->protocol_type || !keq(type, g->protocol_type)) return 0;
    for (int i = 0; i < n; i++)
        if (support_count(g, p[i].name) == g->nmembers) return 1;
    return 0;
}

/* Appends m (the oldest member stays first); the first member of an empty group fixes
 * the protocol type and becomes leader (Kafka's GroupMetadata.add). */
static void member_add(group *g, gmember *m, rn_kstr protocol_type)
{
    if (g->nmembers == 0) {
        char *pt = kdup(protocol_type);
        if (pt) {
            free(g->protocol_type);
            g->protocol_type = pt;
        }
    }
    gmember **pp = &g->members;
    while (*pp)
        pp = &(*pp)->next;
    *pp = m;
    m->next = NULL;
    g->nmembers++;
    if (m->awaiting_join) g->nawaiting_join++;
    if (!g->leader) g->leader = m;
}

/* ------------------------------------------------------------------ results */

static void deliver_join(gmember *m, const rn_group_join_result *r)
{
    rn_group_waiter *w = m->join_w;
    m->join_w = NULL;
    if (w) {
        w->member_ = NULL;
        w->on_join(w, r);
    }
}

static void deliver_sync(gmember *m, const rn_group_sync_result *r)
{
    rn_group_waiter *w = m->sync_w;
    m->sync_w = NULL;
    if (w) {
        w->member_ = NULL;
        w->on_sync(w, r);
    }
}

static void join_error_now(rn_group_waiter *w, int16_t error, const char *member_id)
{
    rn_group_join_result r = {.error = error,
                              .generation_id = -1,
                              .leader_id = "",
                              .member_id = member_id ? member_id : ""};
    w->member_ = NULL;
    w->on_join(w, &r);
}

static void join_error_now_k(rn_group_waiter *w, int16_t error, rn_kstr member_id)
{
    char buf[256];
    size_t n = member_id.len > 0 ? (size_t)member_id.len : 0;
    if (n >= sizeof buf) n = sizeof buf - 1;
    if (n) memcpy(buf, member_id.p, n);
    buf[n] = '\0';
    join_error_now(w, error, buf);
}

static void sync_error_now(rn_group_waiter *w, int16_t error)
{
    rn_group_sync_result r = {.error = error};
    w->member_ = NULL;
    w->on_sync(w, &r);
}

/* Answers m's parked join (if any) with error; the member stops awaiting the join. */
static void member_join_error(group *g, gmember *m, int16_t error)
{
    if (m->awaiting_join) {
        m->awaiting_join = 0;
        g->nawaiting_join--;
    }
    rn_group_join_result r = {
        .error = error, .generation_id = -1, .leader_id = "", .member_id = m->id};
    deliver_join(m, &r);
}

static void member_sync_error(gmember *m, int16_t error)
{
    m->awaiting_sync = 0;
    rn_group_sync_result r = {.error = error};
    deliver_sync(m, &r);
}

/* The current generation's join result for m (Kafka's JoinGroupResult); the leader gets
 * the members (an array from malloc() in *to_free). */
static void join_result_for(group *g, gmember *m, rn_group_join_result *r, int with_members,
                            rn_group_member_meta **to_free)
{
    memset(r, 0, sizeof *r);
    r->error = RN_GERR_NONE;
    r->generation_id = g->generation;
    r->protocol_type = g->protocol_type;
    r->protocol_name = g->protocol_name;
    r->leader_id = g->leader ? g->leader->id : "";
    r->member_id = m->id;
    *to_free = NULL;
    if (!with_members) return;
    rn_group_member_meta *mm = calloc((size_t)(g->nmembers ? g->nmembers : 1), sizeof *mm);
    if (!mm) return; /* the leader then sees no members and assigns nothing: it will retry */
    int i = 0;
    for (gmember *x = g->members; x; x = x->next, i++) {
        const gproto *p = member_protocol(x, g->protocol_name);
        mm[i].member_id = x->id;
        mm[i].group_instance_id = x->instance_id;
        mm[i].metadata = p ? p->meta : NULL;
        mm[i].metadata_len = p ? p->meta_len : 0;
    }
    r->nmembers = g->nmembers;
    r->members = mm;
    *to_free = mm;
}

/* ------------------------------------------------------------------ the rebalance */

static void complete_join(rn_group_coord *c, group *g);

/* Removes m from g and frees it. Any parked request of m is answered first:
 * UNKNOWN_MEMBER_ID (Kafka answers the join so; a parked sync would otherwise hang). */
static void member_remove(group *g, gmember *m)
{
    member_join_error(g, m, RN_GERR_UNKNOWN_MEMBER_ID);
    member_sync_error(m, RN_GERR_UNKNOWN_MEMBER_ID);
    for (gmember **pp = &g->members; *pp; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    g->nmembers--;
    if (g->leader == m) g->leader = g->members; /* Kafka: members.keys.headOption */
    int pi = pending_find(g, (rn_kstr){m->id, (int32_t)strlen(m->id)});
    if (pi >= 0) pending_remove_at(g, pi);
    member_free(m);
}

/* Kafka's resetAndPropagateAssignmentError: every assignment is cleared and every parked
 * sync answered with error. */
static void reset_assignments(group *g, int16_t error)
{
    for (gmember *m = g->members; m; m = m->next) {
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
    }
    for (gmember *m = g->members; m; m = m->next)
        if (m->awaiting_sync) member_sync_error(m, error);
}

static int32_t group_rebalance_timeout(const group *g)
{
    int32_t t = 0;
    for (const gmember *m = g->members; m; m = m->next)
        if (m->rebalance_timeout_ms > t) t = m->rebalance_timeout_ms;
    return t;
}

static int all_joined(const group *g)
{
    return g->nawaiting_join == g->nmembers && g->npending == 0;
}

/* Kafka's tryCompleteJoin: the barrier ends early once everyone is in, except during the
 * initial delay, which always runs its course. */
static void try_complete_join(rn_group_coord *c, group *g)
{
    if (g->state == RN_GROUP_PREPARING_REBALANCE && !g->initial_delay && all_joined(g))
        complete_join(c, g);
}

/* Kafka's prepareRebalance. */
static void prepare_rebalance(rn_group_coord *c, group *g)
{
    if (g->state == RN_GROUP_COMPLETING_REBALANCE)
        reset_assignments(g, RN_GERR_REBALANCE_IN_PROGRESS);
    g->sync_deadline = 0;
    for (gmember *m = g->members; m; m = m->next)
        m->pending_sync = 0;
    int64_t now = rn_group__mono(c);
    g->rebalance_timeout_ms = group_rebalance_timeout(g);
    if (g->state == RN_GROUP_EMPTY) {
        /* InitialDelayedJoin(delay, remaining = rebalance timeout - delay) */
        int32_t delay = c->cfg.initial_rebalance_delay_ms;
        g->initial_delay = 1;
        g->new_member_added = 0;
        g->delay_current = delay;
        g->delay_remaining = g->rebalance_timeout_ms > delay ? g->rebalance_timeout_ms - delay : 0;
        g->join_deadline = now + delay;
    } else {
        g->initial_delay = 0;
        g->join_deadline = now + g->rebalance_timeout_ms;
    }
    RN_DEBUG("group %s: preparing rebalance (generation %d, %d member(s))", g->id,
             (int)g->generation, g->nmembers);
    set_state(c, g, RN_GROUP_PREPARING_REBALANCE);
    try_complete_join(c, g);
}

static void maybe_prepare_rebalance(rn_group_coord *c, group *g)
{
    if (g->state == RN_GROUP_STABLE || g->state == RN_GROUP_COMPLETING_REBALANCE ||
        g->state == RN_GROUP_EMPTY)
        prepare_rebalance(c, g);
}

/* Kafka's selectProtocol: among the protocols every member supports, each member votes
 * for the first one in its own list; most votes wins; ties go to the leader's preference. */
static const char *select_protocol(const group *g)
{
    const gmember *ref = g->leader ? g->leader : g->members;
    if (!ref) return NULL;
    const char *best = NULL;
    int best_votes = -1;
    for (int i = 0; i < ref->nprotocols; i++) {
        const char *cand = ref->protocols[i].name;
        rn_kstr k = {cand, (int32_t)strlen(cand)};
        if (support_count(g, k) != g->nmembers) continue;
        int votes = 0;
        for (const gmember *m = g->members; m; m = m->next) {
            /* m's vote: its first protocol that every member supports */
            for (int j = 0; j < m->nprotocols; j++) {
                rn_kstr mk = {m->protocols[j].name, (int32_t)strlen(m->protocols[j].name)};
                if (support_count(g, mk) == g->nmembers) {
                    if (!strcmp(m->protocols[j].name, cand)) votes++;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best_votes = votes;
            best = cand;
        }
    }
    return best;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The topics the members of a "consumer" group subscribe to (ConsumerProtocolSubscription
 * in the selected protocol's metadata). Unknown (assume every topic) if any member's
 * metadata does not decode, as Kafka's computeSubscribedTopics. */
static void compute_subscriptions(group *g)
{
    free_subs(g);
    if (!g->protocol_type || strcmp(g->protocol_type, "consumer") || !g->protocol_name) return;
    rn_arena a = {0};
    int ok = 1;
    for (gmember *m = g->members; m && ok; m = m->next) {
        const gproto *p = member_protocol(m, g->protocol_name);
        if (!p || p->meta_len < 2) {
            ok = 0;
            break;
        }
        rn_reader r;
        rn_reader_init(&r, p->meta, p->meta_len);
        int16_t v = rn_rd_i16(&r);
        if (v < 0) {
            ok = 0;
            break;
        }
        rn_kmsg_consumer_protocol_subscription sub;
        rn_err err;
        if (rn_kmsg_consumer_protocol_subscription_decode(&r, v > 3 ? 3 : v, &a, &sub, &err)) {
            ok = 0;
            break;
        }
        for (int i = 0; i < sub.topics.n && ok; i++) {
            rn_kstr t = sub.topics.items[i];
            if (t.len < 0 || !id_ok(t)) continue;
            char **ns = realloc(g->subs, (size_t)(g->nsubs + 1) * sizeof *ns);
            char *d = kdup(t);
            if (!ns || !d) {
                free(d);
                if (ns) g->subs = ns;
                ok = 0;
                break;
            }
            g->subs = ns;
            g->subs[g->nsubs++] = d;
        }
    }
    rn_arena_fini(&a);
    if (!ok) {
        free_subs(g);
        return;
    }
    if (g->nsubs > 1) {
        qsort(g->subs, (size_t)g->nsubs, sizeof *g->subs, str_cmp);
        int w = 1;
        for (int i = 1; i < g->nsubs; i++) {
            if (!strcmp(g->subs[i], g->subs[w - 1]))
                free(g->subs[i]);
            else
                g->subs[w++] = g->subs[i];
        }
        g->nsubs = w;
    }
    g->subs_known = 1;
}

/* Kafka's initNextGeneration. */
static void init_next_generation(rn_group_coord *c, group *g)
{
    g->generation++;
    free(g->protocol_name);
    g->protocol_name = NULL;
    if (g->nmembers > 0) {
        const char *p = select_protocol(g);
        g->protocol_name = p ? strdup(p) : NULL;
        compute_subscriptions(g);
        set_state(c, g, RN_GROUP_COMPLETING_REBALANCE);
    } else {
        free_subs(g);
        set_state(c, g, RN_GROUP_EMPTY);
    }
    for (gmember *m = g->members; m; m = m->next)
        m->pending_sync = 0;
    g->sync_deadline = 0;
}

/* Kafka's maybeElectNewJoinedLeader: keep a leader that rejoined, else any member that
 * did; 0 if nobody rejoined. */
static int elect_joined_leader(group *g)
{
    if (g->leader && g->leader->awaiting_join) return 1;
    for (gmember *m = g->members; m; m = m->next)
        if (m->awaiting_join) {
            g->leader = m;
            return 1;
        }
    return 0;
}

/* Kafka's onCompleteJoin: the barrier is over. */
static void complete_join(rn_group_coord *c, group *g)
{
    /* Dynamic members that did not rejoin are out; static ones are kept. */
    for (gmember *m = g->members, *nx; m; m = nx) {
        nx = m->next;
        if (!m->awaiting_join && !m->instance_id) {
            RN_INFO("group %s: member %s did not rejoin in time, removed", g->id, m->id);
            member_remove(g, m);
        }
    }
    if (g->nmembers > 0 && !elect_joined_leader(g)) {
        /* Only static members that have not rejoined: wait another rebalance timeout
         * (their sessions expire meanwhile if they are gone). */
        g->initial_delay = 0;
        g->join_deadline = rn_group__mono(c) + g->rebalance_timeout_ms;
        return;
    }
    g->initial_delay = 0;
    init_next_generation(c, g);
    rn_group__store_record(c, g);
    if (g->state == RN_GROUP_EMPTY) {
        RN_INFO("group %s: generation %d is empty", g->id, (int)g->generation);
        return;
    }
    RN_INFO("group %s: generation %d with %d member(s), protocol %s, leader %s", g->id,
            (int)g->generation, g->nmembers, g->protocol_name ? g->protocol_name : "-",
            g->leader ? g->leader->id : "-");
    int64_t now = rn_group__mono(c);
    for (gmember *m = g->members; m; m = m->next) {
        m->pending_sync = 1;
        m->is_new = 0;
        m->hb_deadline = now + m->session_timeout_ms;
    }
    g->sync_deadline = now + g->rebalance_timeout_ms;
    /* Answer every member that rejoined. Membership does not change while delivering. */
    for (gmember *m = g->members; m; m = m->next) {
        if (!m->awaiting_join) continue;
        m->awaiting_join = 0;
        g->nawaiting_join--;
        rn_group_join_result r;
        rn_group_member_meta *mm;
        join_result_for(g, m, &r, m == g->leader, &mm);
        deliver_join(m, &r);
        free(mm);
    }
}

/* ------------------------------------------------------------------ JoinGroup */

static gmember *member_new(rn_group_coord *c, const rn_group_join_req *rq, char *id)
{
    gmember *m = calloc(1, sizeof *m);
    if (!m) {
        free(id);
        return NULL;
    }
    m->id = id;
    m->instance_id = knull(rq->group_instance_id) ? NULL : kdup(rq->group_instance_id);
    m->client_id = kdup(rq->client_id);
    m->client_host = strdup(rq->client_host ? rq->client_host : "");
    m->session_timeout_ms = rq->session_timeout_ms;
    m->rebalance_timeout_ms =
        rq->rebalance_timeout_ms >= 0 ? rq->rebalance_timeout_ms : rq->session_timeout_ms;
    if ((!knull(rq->group_instance_id) && !m->instance_id) || !m->client_id || !m->client_host ||
        set_protocols(m, rq->protocols, rq->nprotocols)) {
        member_free(m);
        return NULL;
    }
    (void)c;
    return m;
}

static void attach_join(gmember *m, rn_group_waiter *w)
{
    m->join_w = w;
    w->member_ = m;
}

/* Kafka's addMemberAndRebalance. Takes ownership of id. */
static void add_member_and_rebalance(rn_group_coord *c, group *g, const rn_group_join_req *rq,
                                     char *id, rn_group_waiter *w)
{
    gmember *m = member_new(c, rq, id);
    if (!m) {
        join_error_now(w, RN_GERR_COORDINATOR_NOT_AVAILABLE, "");
        return;
    }
    m->is_new = 1;
    m->awaiting_join = 1;
    attach_join(m, w);
    if (g->state == RN_GROUP_PREPARING_REBALANCE && g->initial_delay) g->new_member_added = 1;
    member_add(g, m, rq->protocol_type);
    m->hb_deadline = rn_group__mono(c) + c->cfg.new_member_join_timeout_ms;
    RN_DEBUG("group %s: member %s joins (%d member(s))", g->id, m->id, g->nmembers);
    maybe_prepare_rebalance(c, g);
}

/* Kafka's updateMember + maybePrepareRebalance: m rejoins with (possibly) new protocols. */
static void update_member_and_rebalance(rn_group_coord *c, group *g, gmember *m,
                                        const rn_group_join_req *rq, rn_group_waiter *w)
{
    if (set_protocols(m, rq->protocols, rq->nprotocols)) {
        join_error_now(w, RN_GERR_COORDINATOR_NOT_AVAILABLE, m->id);
        return;
    }
    m->session_timeout_ms = rq->session_timeout_ms;
    m->rebalance_timeout_ms =
        rq->rebalance_timeout_ms >= 0 ? rq->rebalance_timeout_ms : rq->session_timeout_ms;
    if (m->join_w) {
        /* A second JoinGroup while one is parked (a client retry): the older request is
         * superseded. Kafka silently drops it; we answer it so its connection moves on. */
        rn_group_join_result r = {.error = RN_GERR_REBALANCE_IN_PROGRESS,
                                  .generation_id = -1,
                                  .leader_id = "",
                                  .member_id = m->id};
        deliver_join(m, &r);
    }
    if (!m->awaiting_join) {
        m->awaiting_join = 1;
        g->nawaiting_join++;
    }
    attach_join(m, w);
    maybe_prepare_rebalance(c, g);
}

/* Kafka's updateStaticMemberAndRebalance: a static member came back with an unknown
 * member id and takes over its instance's membership under new_id. */
static void update_static_member(rn_group_coord *c, group *g, gmember *m, char *new_id,
                                 const rn_group_join_req *rq, rn_group_waiter *w)
{
    const char *old_leader = g->leader ? g->leader->id : NULL;
    char *old_leader_copy = old_leader ? strdup(old_leader) : NULL;
    /* Fence the old incarnation's parked requests (Kafka's replaceStaticMember). */
    member_join_error(g, m, RN_GERR_FENCED_INSTANCE_ID);
    member_sync_error(m, RN_GERR_FENCED_INSTANCE_ID);
    RN_INFO("group %s: static member %s rejoins as %s (was %s)", g->id, m->instance_id, new_id,
            m->id);
    free(m->id);
    m->id = new_id;
    rn_group__touch(c, m);
    char *saved_name = g->protocol_name ? strdup(g->protocol_name) : NULL;
    if (set_protocols(m, rq->protocols, rq->nprotocols)) {
        free(old_leader_copy);
        free(saved_name);
        join_error_now(w, RN_GERR_COORDINATOR_NOT_AVAILABLE, m->id);
        return;
    }
    m->session_timeout_ms = rq->session_timeout_ms;
    m->rebalance_timeout_ms =
        rq->rebalance_timeout_ms >= 0 ? rq->rebalance_timeout_ms : rq->session_timeout_ms;
    m->awaiting_join = 1;
    g->nawaiting_join++;
    attach_join(m, w);
    switch (g->state) {
    case RN_GROUP_STABLE: {
        const char *next = select_protocol(g);
        if (next && saved_name && !strcmp(next, saved_name)) {
            /* No rebalance: the member gets the current generation, and the OLD leader id,
             * so that a returning leader does not assign (it would not be broadcast). */
            m->awaiting_join = 0;
            g->nawaiting_join--;
            rn_group_join_result r;
            rn_group_member_meta *mm;
            join_result_for(g, m, &r, 0, &mm);
            r.leader_id = old_leader_copy ? old_leader_copy : "";
            deliver_join(m, &r);
        } else {
            maybe_prepare_rebalance(c, g);
        }
        break;
    }
    case RN_GROUP_COMPLETING_REBALANCE:
        /* The leader may already assign for the old member id (KAFKA-9801). */
        prepare_rebalance(c, g);
        break;
    default: /* PreparingRebalance: it simply waits in the barrier */
        break;
    }
    free(old_leader_copy);
    free(saved_name);
}

static void join_new_member(rn_group_coord *c, group *g, const rn_group_join_req *rq,
                            rn_group_waiter *w)
{
    if (!supports_protocols(g, rq->protocol_type, rq->protocols, rq->nprotocols)) {
        join_error_now(w, RN_GERR_INCONSISTENT_GROUP_PROTOCOL, "");
        return;
    }
    int is_static = !knull(rq->group_instance_id);
    char *id = new_member_id(is_static ? rq->group_instance_id : rq->client_id);
    if (!id) {
        join_error_now(w, RN_GERR_COORDINATOR_NOT_AVAILABLE, "");
        return;
    }
    if (is_static) {
        gmember *old = static_member_find(g, rq->group_instance_id);
        if (old)
            update_static_member(c, g, old, id, rq, w);
        else
            add_member_and_rebalance(c, g, rq, id, w);
        return;
    }
    if (rq->require_known_member_id) {
        /* KIP-394: remember the id, ask the client to come back with it. */
        if (g->npending == g->pending_cap) {
            int cap = g->pending_cap ? g->pending_cap * 2 : 4;
            gpending *np = realloc(g->pending, (size_t)cap * sizeof *np);
            if (!np) {
                free(id);
                join_error_now(w, RN_GERR_COORDINATOR_NOT_AVAILABLE, "");
                return;
            }
            g->pending = np;
            g->pending_cap = cap;
        }
        g->pending[g->npending].id = id;
        g->pending[g->npending].deadline = rn_group__mono(c) + rq->session_timeout_ms;
        g->npending++;
        join_error_now(w, RN_GERR_MEMBER_ID_REQUIRED, id);
        return;
    }
    add_member_and_rebalance(c, g, rq, id, w);
}

static void join_current_member(rn_group_coord *c, group *g, const rn_group_join_req *rq,
                                rn_group_waiter *w)
{
    if (!supports_protocols(g, rq->protocol_type, rq->protocols, rq->nprotocols)) {
        join_error_now_k(w, RN_GERR_INCONSISTENT_GROUP_PROTOCOL, rq->member_id);
        return;
    }
    int pi = pending_find(g, rq->member_id);
    if (pi >= 0) {
        if (!knull(rq->group_instance_id)) {
            /* Pending ids are only ever given to dynamic members. */
            join_error_now_k(w, RN_GERR_UNKNOWN_MEMBER_ID, rq->member_id);
            return;
        }
        char *id = g->pending[pi].id;
        g->pending[pi].id = NULL;
        g->pending[pi] = g->pending[--g->npending];
        add_member_and_rebalance(c, g, rq, id, w);
        return;
    }
    gmember *m;
    int16_t e = rn_group__validate_member(g, rq->member_id, rq->group_instance_id, &m);
    if (e) {
        join_error_now_k(w, e, rq->member_id);
        return;
    }
    switch (g->state) {
    case RN_GROUP_PREPARING_REBALANCE:
        update_member_and_rebalance(c, g, m, rq, w);
        return;
    case RN_GROUP_COMPLETING_REBALANCE:
        if (member_matches(m, rq->protocols, rq->nprotocols)) {
            /* It missed the join response: send the current generation again. */
            rn_group_join_result r;
            rn_group_member_meta *mm;
            join_result_for(g, m, &r, m == g->leader, &mm);
            w->member_ = NULL;
            w->on_join(w, &r);
            free(mm);
        } else {
            update_member_and_rebalance(c, g, m, rq, w);
        }
        return;
    case RN_GROUP_STABLE:
        if (m == g->leader || !member_matches(m, rq->protocols, rq->nprotocols)) {
            /* The leader rejoining forces a rebalance (it saw a metadata change). */
            update_member_and_rebalance(c, g, m, rq, w);
        } else {
            rn_group_join_result r;
            rn_group_member_meta *mm;
            join_result_for(g, m, &r, 0, &mm);
            w->member_ = NULL;
            w->on_join(w, &r);
        }
        return;
    default:
        join_error_now_k(w, RN_GERR_UNKNOWN_MEMBER_ID, rq->member_id);
        return;
    }
}

void rn_group_join(rn_group_coord *c, const rn_group_join_req *rq, rn_group_waiter *w)
{
    w->member_ = NULL;
    if (c->shutting_down) {
        join_error_now_k(w, RN_GERR_NOT_COORDINATOR, rq->member_id);
        return;
    }
    if (!id_ok(rq->group_id) || rq->group_id.len == 0) {
        join_error_now_k(w, RN_GERR_INVALID_GROUP_ID, rq->member_id);
        return;
    }
    if (rq->session_timeout_ms < c->cfg.min_session_timeout_ms ||
        rq->session_timeout_ms > c->cfg.max_session_timeout_ms) {
        join_error_now_k(w, RN_GERR_INVALID_SESSION_TIMEOUT, rq->member_id);
        return;
    }
    int unknown = rq->member_id.len <= 0;
    group *g = rn_group__find(c, rq->group_id);
    if (!g) {
        if (!unknown) {
            join_error_now_k(w, RN_GERR_UNKNOWN_MEMBER_ID, rq->member_id);
            return;
        }
        g = rn_group__create(c, rq->group_id.p, (size_t)rq->group_id.len, 0);
        if (!g) {
            join_error_now(w, RN_GERR_COORDINATOR_NOT_AVAILABLE, "");
            return;
        }
    }
    if (unknown)
        join_new_member(c, g, rq, w);
    else
        join_current_member(c, g, rq, w);
    try_complete_join(c, g);
}

/* ------------------------------------------------------------------ SyncGroup */

/* Kafka's setAndPropagateAssignment: every member gets the leader's bytes for it (empty
 * when the leader left it out), parked syncs are answered, the group is Stable. */
static void set_and_propagate(rn_group_coord *c, group *g, const rn_group_sync_req *rq)
{
    for (gmember *m = g->members; m; m = m->next) {
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
        for (int i = 0; i < rq->nassignments; i++) {
            const rn_group_assignment *a = &rq->assignments[i];
            if (!keq(a->member_id, m->id)) continue;
            size_t n = a->assignment.len > 0 ? (size_t)a->assignment.len : 0;
            if (n) {
                m->assignment = malloc(n);
                if (m->assignment) {
                    memcpy(m->assignment, a->assignment.p, n);
                    m->assignment_len = n;
                }
            }
            break;
        }
    }
    set_state(c, g, RN_GROUP_STABLE);
    RN_INFO("group %s: generation %d is stable", g->id, (int)g->generation);
    for (gmember *m = g->members; m; m = m->next) {
        if (!m->awaiting_sync) continue;
        m->awaiting_sync = 0;
        rn_group__touch(c, m);
        rn_group_sync_result r = {.error = RN_GERR_NONE,
                                  .protocol_type = g->protocol_type,
                                  .protocol_name = g->protocol_name,
                                  .assignment = m->assignment,
                                  .assignment_len = m->assignment_len};
        deliver_sync(m, &r);
    }
}

void rn_group_sync(rn_group_coord *c, const rn_group_sync_req *rq, rn_group_waiter *w)
{
    w->member_ = NULL;
    if (c->shutting_down) {
        sync_error_now(w, RN_GERR_NOT_COORDINATOR);
        return;
    }
    if (!id_ok(rq->group_id) || rq->group_id.len == 0) {
        sync_error_now(w, RN_GERR_INVALID_GROUP_ID);
        return;
    }
    group *g = rn_group__find(c, rq->group_id);
    if (!g) {
        sync_error_now(w, RN_GERR_UNKNOWN_MEMBER_ID);
        return;
    }
    gmember *m;
    int16_t e = rn_group__validate_member(g, rq->member_id, rq->group_instance_id, &m);
    if (!e && rq->generation_id != g->generation) e = RN_GERR_ILLEGAL_GENERATION;
    if (!e && !knull(rq->protocol_type) &&
        (!g->protocol_type || !keq(rq->protocol_type, g->protocol_type)))
        e = RN_GERR_INCONSISTENT_GROUP_PROTOCOL;
    if (!e && !knull(rq->protocol_name) &&
        (!g->protocol_name || !keq(rq->protocol_name, g->protocol_name)))
        e = RN_GERR_INCONSISTENT_GROUP_PROTOCOL;
    if (e) {
        sync_error_now(w, e);
        return;
    }
    switch (g->state) {
    case RN_GROUP_PREPARING_REBALANCE:
        sync_error_now(w, RN_GERR_REBALANCE_IN_PROGRESS);
        return;
    case RN_GROUP_COMPLETING_REBALANCE:
        if (m->sync_w) {
            rn_group_sync_result r = {.error = RN_GERR_REBALANCE_IN_PROGRESS};
            deliver_sync(m, &r); /* superseded by this one (see update_member_...) */
        }
        m->sync_w = w;
        w->member_ = m;
        m->awaiting_sync = 1;
        m->pending_sync = 0;
        if (m == g->leader) set_and_propagate(c, g, rq);
        return;
    case RN_GROUP_STABLE: {
        m->pending_sync = 0;
        rn_group__touch(c, m);
        rn_group_sync_result r = {.error = RN_GERR_NONE,
                                  .protocol_type = g->protocol_type,
                                  .protocol_name = g->protocol_name,
                                  .assignment = m->assignment,
                                  .assignment_len = m->assignment_len};
        w->on_sync(w, &r);
        return;
    }
    default: /* Empty: no members, so validation failed already */
        sync_error_now(w, RN_GERR_UNKNOWN_MEMBER_ID);
        return;
    }
}

void rn_group_waiter_cancel(rn_group_waiter *w)
{
    gmember *m = w->member_;
    if (!m) return;
    if (m->join_w == w) m->join_w = NULL;
    if (m->sync_w == w) m->sync_w = NULL;
    w->member_ = NULL;
}

int rn_group_waiter_parked(const rn_group_waiter *w)
{
    return w->member_ != NULL;
}

/* ------------------------------------------------------------------ Heartbeat, LeaveGroup */

int16_t rn_group_heartbeat(rn_group_coord *c, rn_kstr group_id, int32_t generation_id,
                           rn_kstr member_id, rn_kstr group_instance_id)
{
    if (!id_ok(group_id) || group_id.len == 0) return RN_GERR_INVALID_GROUP_ID;
    group *g = rn_group__find(c, group_id);
    if (!g) return RN_GERR_UNKNOWN_MEMBER_ID;
    gmember *m;
    int16_t e = rn_group__validate_member(g, member_id, group_instance_id, &m);
    if (e) return e;
    if (generation_id != g->generation) return RN_GERR_ILLEGAL_GENERATION;
    switch (g->state) {
    case RN_GROUP_COMPLETING_REBALANCE:
    case RN_GROUP_STABLE:
        rn_group__touch(c, m);
        return RN_GERR_NONE;
    case RN_GROUP_PREPARING_REBALANCE:
        rn_group__touch(c, m);
        return RN_GERR_REBALANCE_IN_PROGRESS;
    default:
        return RN_GERR_UNKNOWN_MEMBER_ID;
    }
}

/* Kafka's removeMemberAndUpdateGroup. */
static void remove_member_and_update(rn_group_coord *c, group *g, gmember *m)
{
    member_remove(g, m);
    switch (g->state) {
    case RN_GROUP_STABLE:
    case RN_GROUP_COMPLETING_REBALANCE:
        maybe_prepare_rebalance(c, g);
        break;
    case RN_GROUP_PREPARING_REBALANCE:
        try_complete_join(c, g);
        break;
    default:
        break;
    }
}

int16_t rn_group_leave(rn_group_coord *c, rn_kstr group_id, rn_group_leave_member *members, int n)
{
    if (!id_ok(group_id) || group_id.len == 0) return RN_GERR_INVALID_GROUP_ID;
    group *g = rn_group__find(c, group_id);
    for (int i = 0; i < n; i++) {
        rn_group_leave_member *lm = &members[i];
        lm->error = RN_GERR_UNKNOWN_MEMBER_ID;
        if (!g) continue;
        if (lm->member_id.len <= 0) {
            /* Administrative removal of a static member by instance id. */
            gmember *m = static_member_find(g, lm->group_instance_id);
            if (m) {
                RN_INFO("group %s: static member %s removed by LeaveGroup", g->id, m->instance_id);
                remove_member_and_update(c, g, m);
                lm->error = RN_GERR_NONE;
            }
            continue;
        }
        int pi = pending_find(g, lm->member_id);
        if (pi >= 0) {
            pending_remove_at(g, pi);
            if (g->state == RN_GROUP_PREPARING_REBALANCE) try_complete_join(c, g);
            lm->error = RN_GERR_NONE;
            continue;
        }
        gmember *m;
        lm->error = rn_group__validate_member(g, lm->member_id, lm->group_instance_id, &m);
        if (lm->error) continue;
        RN_INFO("group %s: member %s leaves", g->id, m->id);
        remove_member_and_update(c, g, m);
    }
    return RN_GERR_NONE;
}

/* ------------------------------------------------------------------ tick */

/* Kafka's MemberMetadata.hasSatisfiedHeartbeat. */
static int heartbeat_ok(const gmember *m, int64_t now)
{
    if (m->is_new) return now < m->hb_deadline;
    if (m->awaiting_join || m->awaiting_sync) return 1;
    return now < m->hb_deadline;
}

static void tick_group(rn_group_coord *c, group *g, int64_t now)
{
    /* Pending member ids that never came back (redpanda PR #3761). */
    for (int i = 0; i < g->npending;) {
        if (g->pending[i].deadline <= now) {
            RN_DEBUG("group %s: pending member %s expired", g->id, g->pending[i].id);
            pending_remove_at(g, i);
            if (g->state == RN_GROUP_PREPARING_REBALANCE) try_complete_join(c, g);
        } else {
            i++;
        }
    }
    /* Sessions. Each removal may rebalance (and answer callbacks): restart the scan. */
    for (;;) {
        gmember *m = g->members;
        while (m && heartbeat_ok(m, now))
            m = m->next;
        if (!m) break;
        RN_INFO("group %s: member %s session expired, removing it", g->id, m->id);
        remove_member_and_update(c, g, m);
    }
    /* Join barrier. */
    if (g->state == RN_GROUP_PREPARING_REBALANCE && now >= g->join_deadline) {
        if (g->initial_delay && g->new_member_added && g->delay_remaining > 0) {
            /* InitialDelayedJoin: new members arrived, wait a bit more. */
            int32_t delay = c->cfg.initial_rebalance_delay_ms < g->delay_remaining
                                ? c->cfg.initial_rebalance_delay_ms
                                : g->delay_remaining;
            int32_t remaining = g->delay_remaining - g->delay_current;
            g->new_member_added = 0;
            g->delay_current = delay;
            g->delay_remaining = remaining > 0 ? remaining : 0;
            g->join_deadline = now + delay;
        } else {
            complete_join(c, g);
        }
    }
    /* Sync timeout: whoever has not sent SyncGroup for this generation is out. */
    if ((g->state == RN_GROUP_COMPLETING_REBALANCE || g->state == RN_GROUP_STABLE) &&
        g->sync_deadline && now >= g->sync_deadline) {
        g->sync_deadline = 0;
        int removed = 0;
        for (gmember *m = g->members, *nx; m; m = nx) {
            nx = m->next;
            if (m->pending_sync) {
                RN_INFO("group %s: member %s sent no SyncGroup in time, removing it", g->id, m->id);
                member_remove(g, m);
                removed = 1;
            }
        }
        if (removed) maybe_prepare_rebalance(c, g);
    }
}

void rn_group_tick(rn_group_coord *c)
{
    int64_t now = rn_group__mono(c);
    /* The table does not change during this walk: groups are only unlinked by retention,
     * deletion and load, never by membership changes. */
    for (size_t b = 0; b < c->nbuckets; b++)
        for (group *g = c->buckets[b]; g; g = g->hnext)
            tick_group(c, g, now);
    if (now >= c->next_retention_check) {
        c->next_retention_check = now + c->cfg.offsets_retention_check_interval_ms;
        rn_group__retention(c);
    }
}

/* ------------------------------------------------------------------ describe, list */

void rn_group_describe(rn_group_coord *c, rn_kstr group_id, rn_arena *a, rn_group_info *out)
{
    memset(out, 0, sizeof *out);
    out->state = RN_GROUP_DEAD;
    out->protocol_type = "";
    out->protocol_name = "";
    group *g = rn_group__find(c, group_id);
    if (!g) return;
    out->state = g->state;
    out->protocol_type = g->protocol_type ? g->protocol_type : "";
    int stable = g->state == RN_GROUP_STABLE;
    if (stable && g->protocol_name) out->protocol_name = g->protocol_name;
    out->members =
        rn_arena_alloc(a, (size_t)(g->nmembers ? g->nmembers : 1) * sizeof *out->members);
    if (!out->members) return;
    int i = 0;
    for (gmember *m = g->members; m; m = m->next, i++) {
        rn_group_member_info *mi = &out->members[i];
        mi->member_id = m->id;
        mi->group_instance_id = m->instance_id;
        mi->client_id = m->client_id;
        mi->client_host = m->client_host;
        if (stable) {
            const gproto *p = member_protocol(m, g->protocol_name);
            mi->metadata = p ? p->meta : NULL;
            mi->metadata_len = p ? p->meta_len : 0;
            mi->assignment = m->assignment;
            mi->assignment_len = m->assignment_len;
        }
    }
    out->nmembers = g->nmembers;
}

void rn_group_list(rn_group_coord *c, rn_group_list_cb cb, void *arg)
{
    for (size_t b = 0; b < c->nbuckets; b++)
        for (group *g = c->buckets[b]; g; g = g->hnext)
            cb(arg, g->id, g->protocol_type ? g->protocol_type : "", g->state);
}

rn_group_state rn_group_get_state(rn_group_coord *c, const char *group_id, int32_t *generation)
{
    group *g = rn_group__find_c(c, group_id);
    if (generation) *generation = g ? g->generation : -1;
    return g ? g->state : RN_GROUP_DEAD;
}

int rn_group_member_count(rn_group_coord *c, const char *group_id)
{
    group *g = rn_group__find_c(c, group_id);
    return g ? g->nmembers : -1;
}

int rn_group_pending_count(rn_group_coord *c, const char *group_id)
{
    group *g = rn_group__find_c(c, group_id);
    return g ? g->npending : -1;
}

const char *rn_group_leader(rn_group_coord *c, const char *group_id)
{
    group *g = rn_group__find_c(c, group_id);
    return g && g->leader ? g->leader->id : NULL;
}

int rn_group_count(rn_group_coord *c)
{
    return c->ngroups;
}

/* ------------------------------------------------------------------ life cycle */

int rn_group_coord_new(const rn_group_config *cfg, uv_loop_t *loop, const char *db_path,
                       rn_group_coord **out, rn_err *err)
{
    rn_group_coord *c = calloc(1, sizeof *c);
    if (!c) return rn_err_set(err, RN_ENOMEM, "out of memory");
    c->cfg = *cfg;
    if (!c->cfg.clock.mono_ms) c->cfg.clock.mono_ms = sys_mono;
    if (!c->cfg.clock.wall_ms) c->cfg.clock.wall_ms = sys_wall;
    table_grow(c);
    if (!c->buckets) {
        free(c);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    int rc = rn_offsets_open(db_path, loop, &c->store, err);
    if (rc == RN_OK) rc = rn_group__load(c, err);
    if (rc == RN_OK) rc = rn_offsets_start(c->store, err);
    if (rc) {
        rn_group_coord_free(c);
        return rc;
    }
    c->next_retention_check = rn_group__mono(c) + c->cfg.offsets_retention_check_interval_ms;
    RN_INFO("group: coordinator loaded %d group(s) from %s", c->ngroups, db_path);
    *out = c;
    return RN_OK;
}

void rn_group_coord_shutdown(rn_group_coord *c)
{
    if (!c || c->shutting_down) return;
    c->shutting_down = 1;
    for (size_t b = 0; b < c->nbuckets; b++)
        for (group *g = c->buckets[b]; g; g = g->hnext)
            for (gmember *m = g->members; m; m = m->next) {
                member_join_error(g, m, RN_GERR_NOT_COORDINATOR);
                member_sync_error(m, RN_GERR_NOT_COORDINATOR);
            }
}

void rn_group_coord_free(rn_group_coord *c)
{
    if (!c) return;
    rn_group_coord_shutdown(c);
    rn_offsets_close(c->store); /* completions still see their groups */
    c->store = NULL;
    for (size_t b = 0; b < c->nbuckets; b++) {
        group *g = c->buckets[b], *nx;
        for (; g; g = nx) {
            nx = g->hnext;
            rn_group__free(g);
        }
    }
    free(c->buckets);
    free(c);
}
