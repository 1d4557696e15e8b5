/*
 * tests/unit/group/test_offsets.c - committed offsets (src/group/group_offsets.c and the
 * SQLite store src/group/offsets.c): OffsetCommit validation and per-partition errors,
 * acknowledgement only once stored (with an injected write failure), durability across
 * reopen, OffsetFetch of missing offsets, OffsetDelete with subscriptions, DeleteGroups,
 * retention of empty groups, the order of changes, and group commit in the store.
 */
#include "fixture.h"

TestSuite(offsets, .init = setup, .fini = teardown);

/* Moves the clock by ms while member keeps its session with a heartbeat every 3 s. */
static void advance_hb(int64_t ms, const char *grp, const char *member)
{
    while (ms > 0) {
        int64_t step = ms < 3000 ? ms : 3000;
        advance(step);
        ms -= step;
        cr_assert_eq(heartbeat(grp, 1, member, NULL), RN_GERR_NONE);
    }
}

/* ConsumerProtocolSubscription v0 for topics (as member metadata). */
static size_t subscription(uint8_t *out, size_t cap, const char *t1, const char *t2)
{
    rn_kmsg_consumer_protocol_subscription sub;
    rn_kmsg_consumer_protocol_subscription_init(&sub);
    rn_kstr topics[2] = {ks(t1), ks(t2 ? t2 : "")};
    sub.topics.items = topics;
    sub.topics.n = t2 ? 2 : 1;
    rn_buf b = {0};
    rn_buf_put_i16(&b, 0);
    cr_assert_eq(rn_kmsg_consumer_protocol_subscription_encode(&b, 0, &sub), RN_OK);
    cr_assert(b.len <= cap);
    memcpy(out, b.p, b.len);
    size_t n = b.len;
    rn_buf_fini(&b);
    return n;
}

Test(offsets, standalone_commit_creates_group_and_is_durable)
{
    cr_assert_eq(fetch1("simple", "t", 0), -1, "nothing committed");
    cr_assert_eq(commit1("simple", -1, "", "t", 0, 42, "meta"), RN_GERR_NONE);
    cr_assert_eq(rn_group_get_state(gc, "simple", NULL), RN_GROUP_EMPTY);
    int64_t off;
    int32_t epoch;
    const char *md;
    size_t mdlen;
    cr_assert_eq(rn_group_offset_get(gc, ks("simple"), ks("t"), 0, &off, &epoch, &md, &mdlen), 1);
    cr_assert_eq(off, 42);
    cr_assert_eq(epoch, 3);
    cr_assert_str_eq(md, "meta");
    close_coord(gc);
    gc = open_coord();
    cr_assert_eq(rn_group_offset_get(gc, ks("simple"), ks("t"), 0, &off, &epoch, &md, &mdlen), 1,
                 "reloaded from groups.db");
    cr_assert_eq(off, 42);
    cr_assert_eq(epoch, 3);
    cr_assert_str_eq(md, "meta");
    cr_assert_eq(mdlen, 4);
    cr_assert_eq(fetch1("simple", "t", 1), -1);
    cr_assert_eq(fetch1("simple", "u", 0), -1);
    cr_assert_eq(fetch1("other", "t", 0), -1);
}

Test(offsets, null_metadata_is_stored_empty)
{
    cr_assert_eq(commit1("g", -1, "", "t", 0, 1, NULL), RN_GERR_NONE);
    int64_t off;
    int32_t epoch;
    const char *md = NULL;
    size_t mdlen = 9;
    rn_group_offset_get(gc, ks("g"), ks("t"), 0, &off, &epoch, &md, &mdlen);
    cr_assert_str_eq(md, "");
    cr_assert_eq(mdlen, 0);
}

Test(offsets, metadata_size_limit)
{
    char big[4098];
    memset(big, 'm', sizeof big);
    big[4096] = '\0';
    cr_assert_eq(commit1("g", -1, "", "t", 0, 1, big), RN_GERR_NONE, "4096 bytes is the limit");
    big[4096] = 'm';
    big[4097] = '\0';
    cr_assert_eq(commit1("g", -1, "", "t", 1, 1, big), RN_GERR_OFFSET_METADATA_TOO_LARGE);
    cr_assert_eq(fetch1("g", "t", 1), -1);
}

Test(offsets, per_partition_verdicts_and_caller_errors)
{
    rn_group_commit_part p[3] = {
        {.topic = ks("t"), .partition = 0, .offset = 5, .leader_epoch = -1},
        {.topic = ks("gone"),
         .partition = 0,
         .offset = 6,
         .leader_epoch = -1,
         .error = RN_GERR_UNKNOWN_TOPIC_OR_PARTITION},
        {.topic = ks("t"), .partition = 1, .offset = 7, .leader_epoch = -1},
    };
    done_flag f = {0};
    cr_assert_eq(rn_group_commit(gc, ks("g"), -1, ks(""), RN_KSTR_NULL, p, 3, on_done, &f), 1);
    wait_done(&f);
    cr_assert_eq(p[0].error, 0);
    cr_assert_eq(p[1].error, RN_GERR_UNKNOWN_TOPIC_OR_PARTITION, "kept as given");
    cr_assert_eq(p[2].error, 0);
    cr_assert_eq(fetch1("g", "gone", 0), -1);
    cr_assert_eq(fetch1("g", "t", 1), 7);
}

Test(offsets, commit_validation_by_state)
{
    cr_assert_eq(commit1("nogroup", 1, "m", "t", 0, 1, NULL), RN_GERR_ILLEGAL_GENERATION,
                 "a generation of a group that does not exist");
    cr_assert_eq(rn_group_get_state(gc, "nogroup", NULL), RN_GROUP_DEAD);
    char a[256];
    stable_single("g", a, sizeof a);
    cr_assert_eq(commit1("g", -1, "", "t", 0, 1, NULL), RN_GERR_UNKNOWN_MEMBER_ID,
                 "only members commit to an active group");
    cr_assert_eq(commit1("g", 1, "client-x", "t", 0, 1, NULL), RN_GERR_UNKNOWN_MEMBER_ID);
    cr_assert_eq(commit1("g", 0, a, "t", 0, 1, NULL), RN_GERR_ILLEGAL_GENERATION);
    cr_assert_eq(commit1("g", 1, a, "t", 0, 10, NULL), RN_GERR_NONE, "Stable, right generation");
    jw b;
    join_new(&b, "g", (join_opts){0});
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
    cr_assert_eq(commit1("g", 1, a, "t", 0, 11, NULL), RN_GERR_NONE,
                 "PreparingRebalance: the previous generation may still commit");
    jw ja;
    join_start(&ja, "g", a, (join_opts){0});
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_COMPLETING_REBALANCE);
    cr_assert_eq(commit1("g", 2, a, "t", 0, 12, NULL), RN_GERR_REBALANCE_IN_PROGRESS);
    cr_assert_eq(fetch1("g", "t", 0), 11);
}

Test(offsets, empty_group_commits_need_no_generation)
{
    char a[256];
    stable_single("g", a, sizeof a);
    leave("g", a);
    cr_assert_eq(commit1("g", -1, "", "t", 0, 99, NULL), RN_GERR_NONE,
                 "admin commits (reset-offsets) to an empty group");
    cr_assert_eq(commit1("g", 2, a, "t", 0, 1, NULL), RN_GERR_UNKNOWN_MEMBER_ID);
    cr_assert_eq(fetch1("g", "t", 0), 99);
}

Test(offsets, acknowledged_only_once_stored)
{
    rn_group_commit_part p = {.topic = ks("t"), .partition = 0, .offset = 5, .leader_epoch = -1};
    done_flag f = {0};
    cr_assert_eq(rn_group_commit(gc, ks("g"), -1, ks(""), RN_KSTR_NULL, &p, 1, on_done, &f), 1);
    cr_assert_eq(f.done, 0, "the callback never runs from inside the call");
    cr_assert_eq(fetch1("g", "t", 0), -1, "not visible before it is on disk");
    wait_done(&f);
    cr_assert_eq(fetch1("g", "t", 0), 5);
}

Test(offsets, failed_write_is_reported_and_not_visible)
{
    cr_assert_eq(commit1("g", -1, "", "t", 0, 5, NULL), RN_GERR_NONE);
    rn_offsets_fault_fail_next(gc->store, 1);
    cr_assert_eq(commit1("g", -1, "", "t", 0, 6, NULL), RN_GERR_COORDINATOR_NOT_AVAILABLE);
    cr_assert_eq(fetch1("g", "t", 0), 5);
    cr_assert_eq(commit1("g", -1, "", "t", 0, 7, NULL), RN_GERR_NONE, "later writes work");
    close_coord(gc);
    gc = open_coord();
    cr_assert_eq(fetch1("g", "t", 0), 7);
    rn_offsets_stats st;
    rn_offsets_get_stats(gc->store, &st);
    cr_assert_eq(st.failed, 0);
}

typedef struct each_acc {
    int n;
    char topics[8][16];
    int32_t parts[8];
    int64_t offs[8];
} each_acc;

static void on_each(void *arg, const char *topic, int32_t partition, int64_t offset, int32_t epoch,
                    const char *md, size_t mdlen)
{
    (void)epoch;
    (void)md;
    (void)mdlen;
    each_acc *a = arg;
    if (a->n < 8) {
        snprintf(a->topics[a->n], 16, "%s", topic);
        a->parts[a->n] = partition;
        a->offs[a->n] = offset;
    }
    a->n++;
}

Test(offsets, offsets_each_in_topic_partition_order)
{
    commit1("g", -1, "", "b", 2, 1, NULL);
    commit1("g", -1, "", "a", 1, 2, NULL);
    commit1("g", -1, "", "b", 0, 3, NULL);
    commit1("g", -1, "", "a", 0, 4, NULL);
    commit1("g", -1, "", "a", 1, 5, NULL); /* overwrite */
    each_acc a = {0};
    rn_group_offsets_each(gc, ks("g"), on_each, &a);
    cr_assert_eq(a.n, 4);
    cr_assert_str_eq(a.topics[0], "a");
    cr_assert_eq(a.parts[0], 0);
    cr_assert_eq(a.offs[0], 4);
    cr_assert_eq(a.parts[1], 1);
    cr_assert_eq(a.offs[1], 5);
    cr_assert_str_eq(a.topics[2], "b");
    cr_assert_eq(a.parts[2], 0);
    cr_assert_eq(a.parts[3], 2);
    each_acc none = {0};
    rn_group_offsets_each(gc, ks("nope"), on_each, &none);
    cr_assert_eq(none.n, 0);
}

Test(offsets, changes_apply_in_submission_order)
{
    /* commit, delete, commit queued back to back: memory and disk end the same. */
    rn_group_commit_part p1 = {.topic = ks("t"), .partition = 0, .offset = 1, .leader_epoch = -1};
    rn_group_commit_part p2 = {.topic = ks("t"), .partition = 0, .offset = 2, .leader_epoch = -1};
    done_flag f1 = {0}, f2 = {0}, f3 = {0};
    cr_assert_eq(commit1("g", -1, "", "t", 0, 0, NULL), 0);
    cr_assert_eq(rn_group_commit(gc, ks("g"), -1, ks(""), RN_KSTR_NULL, &p1, 1, on_done, &f1), 1);
    rn_group_offset_del_part d = {.topic = ks("t"), .partition = 0};
    int16_t top;
    cr_assert_eq(rn_group_offset_delete(gc, ks("g"), &d, 1, &top, on_done, &f2), 1);
    cr_assert_eq(rn_group_commit(gc, ks("g"), -1, ks(""), RN_KSTR_NULL, &p2, 1, on_done, &f3), 1);
    wait_done(&f3);
    cr_assert(f1.done && f2.done, "completions in submission order");
    cr_assert_eq(fetch1("g", "t", 0), 2);
    close_coord(gc);
    gc = open_coord();
    cr_assert_eq(fetch1("g", "t", 0), 2);
}

Test(offsets, group_commit_batches_many_commits_per_transaction)
{
    enum { N = 200 };
    static rn_group_commit_part parts[N];
    static done_flag flags[N];
    for (int i = 0; i < N; i++) {
        parts[i] = (rn_group_commit_part){
            .topic = ks("t"), .partition = i % 6, .offset = i, .leader_epoch = -1};
        char gid[16];
        snprintf(gid, sizeof gid, "g%d", i % 10);
        cr_assert_eq(rn_group_commit(gc, ks(gid), -1, ks(""), RN_KSTR_NULL, &parts[i], 1, on_done,
                                     &flags[i]),
                     1);
    }
    wait_done(&flags[N - 1]);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(flags[i].done, 1);
        cr_assert_eq(parts[i].error, 0);
    }
    rn_offsets_stats st;
    rn_offsets_get_stats(gc->store, &st);
    cr_assert_eq(st.batches, N);
    cr_assert_lt(st.transactions, N / 4, "%llu transactions for %d commits",
                 (unsigned long long)st.transactions, N);
    cr_assert_eq(fetch1("g3", "t", 3), 183);
}

/* ------------------------------------------------------------------ OffsetDelete */

Test(offsets, offset_delete)
{
    rn_group_offset_del_part d = {.topic = ks("t"), .partition = 0};
    int16_t top;
    cr_assert_eq(rn_group_offset_delete(gc, ks("nope"), &d, 1, &top, on_done, NULL), 0);
    cr_assert_eq(top, RN_GERR_GROUP_ID_NOT_FOUND);
    commit1("g", -1, "", "t", 0, 5, NULL);
    commit1("g", -1, "", "t", 1, 6, NULL);
    done_flag f = {0};
    rn_group_offset_del_part parts[2] = {{.topic = ks("t"), .partition = 0},
                                         {.topic = ks("t"), .partition = 7}};
    cr_assert_eq(rn_group_offset_delete(gc, ks("g"), parts, 2, &top, on_done, &f), 1);
    cr_assert_eq(top, 0);
    wait_done(&f);
    cr_assert_eq(parts[0].error, 0);
    cr_assert_eq(parts[1].error, 0, "nothing committed there: nothing to do, no error");
    cr_assert_eq(fetch1("g", "t", 0), -1);
    cr_assert_eq(fetch1("g", "t", 1), 6);
    close_coord(gc);
    gc = open_coord();
    cr_assert_eq(fetch1("g", "t", 0), -1, "the deletion is durable");
    cr_assert_eq(fetch1("g", "t", 1), 6);
}

Test(offsets, offset_delete_refuses_subscribed_topics_of_active_group)
{
    uint8_t meta[128];
    size_t ml = subscription(meta, sizeof meta, "orders", "payments");
    jw j;
    join_new(&j, "g", (join_opts){.metadata = (const char *)meta, .metadata_len = ml});
    advance(3000);
    cr_assert_eq(j.error, 0);
    sw s;
    sync_start(&s, "g", 1, j.member_id, NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, 0);
    cr_assert_eq(commit1("g", 1, j.member_id, "orders", 0, 5, NULL), 0);
    cr_assert_eq(commit1("g", 1, j.member_id, "audit", 0, 5, NULL), 0);
    rn_group_offset_del_part parts[2] = {{.topic = ks("orders"), .partition = 0},
                                         {.topic = ks("audit"), .partition = 0}};
    int16_t top;
    done_flag f = {0};
    cr_assert_eq(rn_group_offset_delete(gc, ks("g"), parts, 2, &top, on_done, &f), 1);
    wait_done(&f);
    cr_assert_eq(top, 0);
    cr_assert_eq(parts[0].error, RN_GERR_GROUP_SUBSCRIBED_TO_TOPIC);
    cr_assert_eq(parts[1].error, 0);
    cr_assert_eq(fetch1("g", "orders", 0), 5);
    cr_assert_eq(fetch1("g", "audit", 0), -1);
}

Test(offsets, offset_delete_with_undecodable_subscription_refuses_all)
{
    jw j;
    join_new(&j, "g", (join_opts){.metadata = "\xff", .metadata_len = 1});
    advance(3000);
    sw s;
    sync_start(&s, "g", 1, j.member_id, NULL, 0, NULL, NULL);
    cr_assert_eq(commit1("g", 1, j.member_id, "audit", 0, 5, NULL), 0);
    rn_group_offset_del_part d = {.topic = ks("audit"), .partition = 0};
    int16_t top;
    cr_assert_eq(rn_group_offset_delete(gc, ks("g"), &d, 1, &top, on_done, NULL), 0);
    cr_assert_eq(d.error, RN_GERR_GROUP_SUBSCRIBED_TO_TOPIC,
                 "unknown subscriptions: every topic counts as subscribed (Kafka)");
}

/* ------------------------------------------------------------------ DeleteGroups */

Test(offsets, delete_groups)
{
    char a[256];
    stable_single("active", a, sizeof a);
    commit1("idle", -1, "", "t", 0, 5, NULL);
    rn_kstr ids[3] = {ks("active"), ks("idle"), ks("nope")};
    int16_t errors[3];
    done_flag f = {0};
    cr_assert_eq(rn_group_delete(gc, ids, errors, 3, on_done, &f), 1);
    cr_assert_eq(rn_group_get_state(gc, "idle", NULL), RN_GROUP_DEAD, "gone at once");
    wait_done(&f);
    cr_assert_eq(errors[0], RN_GERR_NON_EMPTY_GROUP);
    cr_assert_eq(errors[1], RN_GERR_NONE);
    cr_assert_eq(errors[2], RN_GERR_GROUP_ID_NOT_FOUND);
    cr_assert_eq(fetch1("idle", "t", 0), -1);
    close_coord(gc);
    gc = open_coord();
    cr_assert_eq(rn_group_get_state(gc, "idle", NULL), RN_GROUP_DEAD, "durably");
    cr_assert_eq(fetch1("idle", "t", 0), -1);
    cr_assert_eq(rn_group_count(gc), 1, "only 'active' (its record) remains");
}

Test(offsets, delete_while_commit_in_flight)
{
    rn_group_commit_part p = {.topic = ks("t"), .partition = 0, .offset = 9, .leader_epoch = -1};
    done_flag fc = {0}, fd = {0};
    cr_assert_eq(rn_group_commit(gc, ks("g"), -1, ks(""), RN_KSTR_NULL, &p, 1, on_done, &fc), 1);
    rn_kstr id = ks("g");
    int16_t e;
    cr_assert_eq(rn_group_delete(gc, &id, &e, 1, on_done, &fd), 1);
    cr_assert_eq(e, 0);
    wait_done(&fd);
    cr_assert_eq(fc.done, 1);
    cr_assert_eq(p.error, 0, "the commit was stored, then deleted with the group");
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_DEAD);
    close_coord(gc);
    gc = open_coord();
    cr_assert_eq(fetch1("g", "t", 0), -1);
}

/* ------------------------------------------------------------------ retention */

Test(offsets, empty_groups_expire_after_retention)
{
    close_coord(gc);
    rn_group_config cfg = test_config();
    cfg.offsets_retention_ms = 60 * 60 * 1000;
    cfg.offsets_retention_check_interval_ms = 60 * 1000;
    gc = open_coord_cfg(&cfg);
    commit1("idle", -1, "", "t", 0, 5, NULL);
    char a[256];
    stable_single("busy", a, sizeof a);
    cr_assert_eq(commit1("busy", 1, a, "t", 0, 5, NULL), 0);
    advance_hb(58 * 60 * 1000, "busy", a);    /* 58 minutes, the member heartbeating */
    commit1("idle", -1, "", "t", 1, 6, NULL); /* a commit restarts the clock */
    advance_hb(59 * 60 * 1000, "busy", a);
    cr_assert_eq(rn_group_get_state(gc, "idle", NULL), RN_GROUP_EMPTY);
    advance_hb(2 * 60 * 1000, "busy", a);
    cr_assert_eq(rn_group_get_state(gc, "idle", NULL), RN_GROUP_DEAD, "expired");
    cr_assert_eq(fetch1("idle", "t", 0), -1);
    cr_assert_neq(rn_group_get_state(gc, "busy", NULL), RN_GROUP_DEAD,
                  "a group with members never expires");
    close_coord(gc);
    gc = open_coord_cfg(&cfg);
    cr_assert_eq(rn_group_get_state(gc, "idle", NULL), RN_GROUP_DEAD, "deleted from disk");
    cr_assert_eq(fetch1("busy", "t", 0), 5);
}

Test(offsets, group_emptied_expires_from_when_it_became_empty)
{
    close_coord(gc);
    rn_group_config cfg = test_config();
    cfg.offsets_retention_ms = 10 * 60 * 1000;
    cfg.offsets_retention_check_interval_ms = 1000;
    gc = open_coord_cfg(&cfg);
    char a[256];
    stable_single("g", a, sizeof a);
    cr_assert_eq(commit1("g", 1, a, "t", 0, 5, NULL), 0);
    advance_hb(15 * 60 * 1000, "g", a); /* alive longer than the retention */
    cr_assert_eq(fetch1("g", "t", 0), 5);
    leave("g", a);
    advance(9 * 60 * 1000);
    cr_assert_eq(fetch1("g", "t", 0), 5, "9 minutes empty");
    advance(2 * 60 * 1000);
    cr_assert_eq(fetch1("g", "t", 0), -1, "11 minutes empty");
}

/* ------------------------------------------------------------------ the store itself */

static int count_rows_group(void *arg, const char *g, const char *pt, int32_t gen, int64_t ts)
{
    (void)g;
    (void)pt;
    (void)gen;
    (void)ts;
    ((int *)arg)[0]++;
    return 0;
}

static int count_rows_offset(void *arg, const char *g, const char *t, int32_t p, int64_t o,
                             int32_t e, const char *md, size_t mdlen, int64_t ts)
{
    (void)g;
    (void)t;
    (void)p;
    (void)o;
    (void)e;
    (void)ts;
    cr_assert_eq(strlen(md), mdlen);
    ((int *)arg)[1]++;
    return 0;
}

static void store_cb(void *arg, int status)
{
    int *x = arg;
    x[0]++;
    x[1] = status;
}

Test(offsets, store_batches_and_load)
{
    char path[600];
    snprintf(path, sizeof path, "%s/store.db", tmpdir);
    rn_offsets *s;
    rn_err err;
    cr_assert_eq(rn_offsets_open(path, &loop, &s, &err), RN_OK, "%s", err.msg);
    cr_assert_eq(rn_offsets_start(s, &err), RN_OK);
    rn_offsets_batch *b = rn_offsets_batch_new();
    cr_assert_eq(rn_offsets_batch_put_group(b, "g", "consumer", 4, 100), RN_OK);
    cr_assert_eq(rn_offsets_batch_put_offset(b, "g", "t", 0, 10, 1, "x", 1, 100), RN_OK);
    cr_assert_eq(rn_offsets_batch_put_offset(b, "g", "t", 1, 11, 1, NULL, 0, 100), RN_OK);
    cr_assert_eq(rn_offsets_batch_put_offset(b, "h", "t", 0, 12, 1, "", 0, 100), RN_OK);
    cr_assert_eq(rn_offsets_batch_del_offset(b, "g", "t", 1), RN_OK);
    cr_assert_eq(rn_offsets_batch_len(b), 5);
    int st[2] = {0, -99};
    cr_assert_eq(rn_offsets_submit(s, b, store_cb, st), RN_OK);
    while (!st[0])
        uv_run(&loop, UV_RUN_ONCE);
    cr_assert_eq(st[1], RN_OK);
    rn_offsets_batch *b2 = rn_offsets_batch_new();
    rn_offsets_batch_del_group(b2, "h");
    rn_offsets_fault_fail_next(s, 1);
    cr_assert_eq(rn_offsets_submit(s, b2, store_cb, st), RN_OK);
    while (st[0] < 2)
        uv_run(&loop, UV_RUN_ONCE);
    cr_assert_eq(st[1], RN_EIO, "injected failure");
    rn_offsets_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(rn_offsets_open(path, &loop, &s, &err), RN_OK);
    int rows[2] = {0, 0};
    rn_offsets_loader l = {count_rows_group, count_rows_offset, rows};
    cr_assert_eq(rn_offsets_load(s, &l, &err), RN_OK);
    cr_assert_eq(rows[0], 1);
    cr_assert_eq(rows[1], 2, "g/t/0 and h/t/0 (the failed delete changed nothing)");
    rn_offsets_batch *b3 = rn_offsets_batch_new();
    cr_assert_eq(rn_offsets_submit(s, b3, store_cb, st), RN_EINVAL, "not started");
    rn_offsets_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
}

Test(offsets, coordinator_open_fails_cleanly_on_bad_path)
{
    rn_group_config cfg = test_config();
    rn_group_coord *c = NULL;
    rn_err err;
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing-dir/x/groups.db", tmpdir);
    cr_assert_neq(rn_group_coord_new(&cfg, &loop, bad, &c, &err), RN_OK);
    cr_assert(strstr(err.msg, "groups.db") != NULL, "%s", err.msg);
    uv_run(&loop, UV_RUN_DEFAULT);
}
