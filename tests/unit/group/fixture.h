/*
 * tests/unit/group/fixture.h - shared fixture of the group coordinator tests: a fake clock
 * (mono and wall ms, moved only by the tests), a libuv loop for the store's completions, a
 * temporary groups.db, and helpers that join, sync, commit and fetch while recording what
 * the coordinator answered. Criterion runs every test in its own process, so the static
 * state below is per test.
 */
#ifndef RN_TESTS_UNIT_GROUP_FIXTURE_H
#define RN_TESTS_UNIT_GROUP_FIXTURE_H

#include "group/group.h"
#include "group/group_int.h"
#include "group/offsets.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* Not every test file uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

static int64_t fake_mono = 1000000;
static int64_t fake_wall = 1700000000000LL;
static uv_loop_t loop;
static char tmpdir[256];
static char db_path[512];
static rn_group_coord *gc;

static int64_t clock_mono(void *arg)
{
    (void)arg;
    return fake_mono;
}

static int64_t clock_wall(void *arg)
{
    (void)arg;
    return fake_wall;
}

static rn_group_config test_config(void)
{
    rn_group_config cfg;
    rn_group_config_defaults(&cfg);
    cfg.clock.mono_ms = clock_mono;
    cfg.clock.wall_ms = clock_wall;
    return cfg;
}

static rn_group_coord *open_coord_cfg(const rn_group_config *cfg)
{
    rn_group_coord *c = NULL;
    rn_err err;
    int rc = rn_group_coord_new(cfg, &loop, db_path, &c, &err);
    cr_assert_eq(rc, RN_OK, "rn_group_coord_new: %s", err.msg);
    return c;
}

static rn_group_coord *open_coord(void)
{
    rn_group_config cfg = test_config();
    return open_coord_cfg(&cfg);
}

/* Frees the coordinator and lets the loop release the store's handle. */
static void close_coord(rn_group_coord *c)
{
    rn_group_coord_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static void setup(void)
{
    cr_assert_eq(uv_loop_init(&loop), 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/runnel-group-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(db_path, sizeof db_path, "%s/groups.db", tmpdir);
    gc = open_coord();
}

/* Waiters live in the test function's frame, which is gone by teardown: forget them
 * (reaching into the coordinator) so that freeing it answers nobody. */
static void detach_all_waiters(rn_group_coord *c)
{
    for (size_t b = 0; b < c->nbuckets; b++)
        for (group *g = c->buckets[b]; g; g = g->hnext)
            for (gmember *m = g->members; m; m = m->next)
                m->join_w = m->sync_w = NULL;
}

static void teardown(void)
{
    if (gc) {
        detach_all_waiters(gc);
        close_coord(gc);
    }
    gc = NULL;
    cr_assert_eq(uv_loop_close(&loop), 0, "handles left open on the loop");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

/* Moves the clock by ms in 100 ms steps, ticking like the broker's timer does. */
static void advance(int64_t ms)
{
    while (ms > 0) {
        int64_t step = ms < 100 ? ms : 100;
        fake_mono += step;
        fake_wall += step;
        ms -= step;
        rn_group_tick(gc);
    }
}

static rn_kstr ks(const char *s)
{
    return rn_kstr_c(s);
}

/* ------------------------------------------------------------------ JoinGroup */

typedef struct jw {
    rn_group_waiter w;
    int done; /* times the callback ran */
    int16_t error;
    int32_t generation;
    char member_id[256];
    char leader[256];
    char protocol[64];
    char protocol_type[64];
    int nmembers;
    char members[8][256];
    char member_meta[8][64];
} jw;

static void on_join(rn_group_waiter *w, const rn_group_join_result *r)
{
    jw *j = (jw *)w;
    j->done++;
    j->error = r->error;
    j->generation = r->generation_id;
    snprintf(j->member_id, sizeof j->member_id, "%s", r->member_id ? r->member_id : "");
    snprintf(j->leader, sizeof j->leader, "%s", r->leader_id ? r->leader_id : "");
    snprintf(j->protocol, sizeof j->protocol, "%s", r->protocol_name ? r->protocol_name : "");
    snprintf(j->protocol_type, sizeof j->protocol_type, "%s",
             r->protocol_type ? r->protocol_type : "");
    j->nmembers = r->nmembers;
    for (int i = 0; i < r->nmembers && i < 8; i++) {
        snprintf(j->members[i], sizeof j->members[i], "%s", r->members[i].member_id);
        size_t n = r->members[i].metadata_len < 63 ? r->members[i].metadata_len : 63;
        memcpy(j->member_meta[i], r->members[i].metadata, n);
        j->member_meta[i][n] = '\0';
    }
}

typedef struct join_opts {
    const char *instance;  /* static membership */
    const char *protocols; /* "range,roundrobin" (metadata = "meta-<name>") */
    const char *type;      /* default "consumer" */
    int32_t session_ms;    /* default 10000 */
    int32_t rebalance_ms;  /* default 20000 */
    int v4;                /* MEMBER_ID_REQUIRED applies */
    const char *metadata;  /* same metadata for every protocol instead */
    size_t metadata_len;
} join_opts;

/* Starts a JoinGroup for member_id ("" = new) into *j. */
static void join_start(jw *j, const char *grp, const char *member_id, join_opts o)
{
    memset(j, 0, sizeof *j);
    j->w.on_join = on_join;
    rn_group_protocol ps[8];
    char names[8][32], metas[8][48];
    int n = 0;
    const char *p = o.protocols ? o.protocols : "range";
    while (*p && n < 8) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        memcpy(names[n], p, l);
        names[n][l] = '\0';
        snprintf(metas[n], sizeof metas[n], "meta-%s", names[n]);
        ps[n].name = ks(names[n]);
        if (o.metadata)
            ps[n].metadata = (rn_kbytes){(const uint8_t *)o.metadata, (int32_t)o.metadata_len};
        else
            ps[n].metadata = (rn_kbytes){(const uint8_t *)metas[n], (int32_t)strlen(metas[n])};
        n++;
        p = e ? e + 1 : p + l;
    }
    rn_group_join_req rq = {
        .group_id = ks(grp),
        .member_id = ks(member_id),
        .group_instance_id = o.instance ? ks(o.instance) : RN_KSTR_NULL,
        .protocol_type = ks(o.type ? o.type : "consumer"),
        .client_id = ks("client"),
        .client_host = "/127.0.0.1",
        .session_timeout_ms = o.session_ms ? o.session_ms : 10000,
        .rebalance_timeout_ms = o.rebalance_ms ? o.rebalance_ms : 20000,
        .require_known_member_id = o.v4,
        .protocols = ps,
        .nprotocols = n,
    };
    rn_group_join(gc, &rq, &j->w);
}

/* A dynamic member joining from scratch: the KIP-394 handshake when v4, then the parked
 * join. Returns with the join parked (or answered if the barrier completed). */
static void join_new(jw *j, const char *grp, join_opts o)
{
    o.v4 = 1;
    if (!o.instance) {
        join_start(j, grp, "", o);
        cr_assert_eq(j->done, 1);
        cr_assert_eq(j->error, RN_GERR_MEMBER_ID_REQUIRED);
        char id[256];
        snprintf(id, sizeof id, "%s", j->member_id);
        join_start(j, grp, id, o);
        return;
    }
    join_start(j, grp, "", o);
}

/* ------------------------------------------------------------------ SyncGroup */

typedef struct sw {
    rn_group_waiter w;
    int done;
    int16_t error;
    char assignment[128];
    size_t assignment_len;
    int assignment_null;
    char protocol[64];
} sw;

static void on_sync(rn_group_waiter *w, const rn_group_sync_result *r)
{
    sw *s = (sw *)w;
    s->done++;
    s->error = r->error;
    s->assignment_len = r->assignment_len;
    s->assignment_null = r->assignment == NULL;
    size_t n = r->assignment_len < 127 ? r->assignment_len : 127;
    if (n) memcpy(s->assignment, r->assignment, n);
    s->assignment[n] = '\0';
    snprintf(s->protocol, sizeof s->protocol, "%s", r->protocol_name ? r->protocol_name : "");
}

/* SyncGroup; assignments as "member=bytes" pairs (member ids from the caller). */
static void sync_start(sw *s, const char *grp, int32_t gen, const char *member,
                       const char *instance, int n, const char **members, const char **bytes)
{
    memset(s, 0, sizeof *s);
    s->w.on_sync = on_sync;
    rn_group_assignment as[8];
    for (int i = 0; i < n; i++) {
        as[i].member_id = ks(members[i]);
        as[i].assignment = (rn_kbytes){(const uint8_t *)bytes[i], (int32_t)strlen(bytes[i])};
    }
    rn_group_sync_req rq = {
        .group_id = ks(grp),
        .generation_id = gen,
        .member_id = ks(member),
        .group_instance_id = instance ? ks(instance) : RN_KSTR_NULL,
        .protocol_type = RN_KSTR_NULL,
        .protocol_name = RN_KSTR_NULL,
        .assignments = as,
        .nassignments = n,
    };
    rn_group_sync(gc, &rq, &s->w);
}

static int16_t heartbeat(const char *grp, int32_t gen, const char *member, const char *instance)
{
    return rn_group_heartbeat(gc, ks(grp), gen, ks(member), instance ? ks(instance) : RN_KSTR_NULL);
}

static int16_t leave(const char *grp, const char *member)
{
    rn_group_leave_member lm = {.member_id = ks(member), .group_instance_id = RN_KSTR_NULL};
    int16_t top = rn_group_leave(gc, ks(grp), &lm, 1);
    return top ? top : lm.error;
}

/* A one-member group "g" in Stable at generation 1; returns the member id in id. */
static void stable_single(const char *grp, char *id, size_t idlen)
{
    jw j;
    join_new(&j, grp, (join_opts){0});
    cr_assert_eq(j.done, 0, "parked during the initial delay");
    advance(3000);
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, 0);
    snprintf(id, idlen, "%s", j.member_id);
    sw s;
    const char *m[] = {id};
    const char *b[] = {"A1"};
    sync_start(&s, grp, j.generation, id, NULL, 1, m, b);
    cr_assert_eq(s.done, 1);
    cr_assert_eq(s.error, 0);
}

/* ------------------------------------------------------------------ offsets */

typedef struct done_flag {
    int done;
} done_flag;

static void on_done(void *arg)
{
    ((done_flag *)arg)->done++;
}

/* Runs the loop until *flag is set (the store's completion). */
static void wait_done(done_flag *f)
{
    for (int i = 0; i < 100000 && !f->done; i++)
        uv_run(&loop, UV_RUN_ONCE);
    cr_assert(f->done, "store completion never came");
}

/* Commits one offset; returns the partition's error after completion. */
static int16_t commit1(const char *grp, int32_t gen, const char *member, const char *topic,
                       int32_t partition, int64_t offset, const char *metadata)
{
    rn_group_commit_part p = {.topic = ks(topic),
                              .partition = partition,
                              .offset = offset,
                              .leader_epoch = 3,
                              .metadata = metadata ? ks(metadata) : RN_KSTR_NULL};
    done_flag f = {0};
    if (rn_group_commit(gc, ks(grp), gen, ks(member), RN_KSTR_NULL, &p, 1, on_done, &f))
        wait_done(&f);
    return p.error;
}

static int64_t fetch1(const char *grp, const char *topic, int32_t partition)
{
    int64_t off;
    int32_t epoch;
    const char *md;
    size_t mdlen;
    rn_group_offset_get(gc, ks(grp), ks(topic), partition, &off, &epoch, &md, &mdlen);
    return off;
}

#endif
