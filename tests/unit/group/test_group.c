/*
 * tests/unit/group/test_group.c - the coordinator's join/sync/heartbeat state machine
 * (src/group/group.c), driven by a fake clock: every transition of Empty ->
 * PreparingRebalance -> CompletingRebalance -> Stable and back, the join barrier (early
 * completion, rebalance timeout, initial delay and its extension), session and sync
 * timeouts, pending member ids (KIP-394) and their expiry, static membership (KIP-345),
 * protocol selection, and every error of issue 3 item 1: ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, FENCED_INSTANCE_ID, MEMBER_ID_REQUIRED,
 * INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID.
 */
#include "fixture.h"

TestSuite(group, .init = setup, .fini = teardown);

/* Two dynamic members in CompletingRebalance at generation 1 (A leader, joined first). */
static void two_completing(jw *a, jw *b, join_opts oa, join_opts ob)
{
    join_new(a, "g", oa);
    join_new(b, "g", ob);
    advance(6000); /* the initial delay, extended once because b arrived during it */
    cr_assert_eq(a->done, 1);
    cr_assert_eq(b->done, 1);
    cr_assert_eq(a->generation, 1);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_COMPLETING_REBALANCE);
}

/* Two members in Stable at generation 1; ids into ida / idb. */
static void two_stable(char *ida, char *idb, join_opts oa, join_opts ob)
{
    jw a, b;
    two_completing(&a, &b, oa, ob);
    snprintf(ida, 256, "%s", a.member_id);
    snprintf(idb, 256, "%s", b.member_id);
    const char *m[] = {ida, idb};
    const char *bytes[] = {"for-a", "for-b"};
    sw sa, sb;
    sync_start(&sb, "g", 1, idb, ob.instance, 0, NULL, NULL);
    cr_assert_eq(sb.done, 0, "a follower waits for the leader's assignment");
    sync_start(&sa, "g", 1, ida, oa.instance, 2, m, bytes);
    cr_assert_eq(sa.done, 1);
    cr_assert_eq(sb.done, 1);
    cr_assert_str_eq(sa.assignment, "for-a");
    cr_assert_str_eq(sb.assignment, "for-b");
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_STABLE);
}

/* ------------------------------------------------------------------ JoinGroup basics */

Test(group, member_id_required_handshake)
{
    jw j;
    join_start(&j, "g", "", (join_opts){.v4 = 1});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, RN_GERR_MEMBER_ID_REQUIRED);
    cr_assert(strncmp(j.member_id, "client-", 7) == 0, "member id %s", j.member_id);
    cr_assert_eq(strlen(j.member_id), 7 + 36);
    cr_assert_eq(rn_group_pending_count(gc, "g"), 1);
    cr_assert_eq(rn_group_member_count(gc, "g"), 0);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_EMPTY);
    char id[256];
    snprintf(id, sizeof id, "%s", j.member_id);
    join_start(&j, "g", id, (join_opts){.v4 = 1});
    cr_assert_eq(j.done, 0, "parked in the barrier");
    cr_assert_eq(rn_group_pending_count(gc, "g"), 0);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
}

Test(group, old_versions_join_without_handshake)
{
    jw j;
    join_start(&j, "g", "", (join_opts){.v4 = 0});
    cr_assert_eq(j.done, 0);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1);
    advance(3000);
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, 0);
    cr_assert_eq(j.generation, 1);
    cr_assert_str_eq(j.leader, j.member_id);
}

Test(group, pending_member_id_expires)
{
    jw j;
    join_start(&j, "g", "", (join_opts){.v4 = 1, .session_ms = 10000});
    char id[256];
    snprintf(id, sizeof id, "%s", j.member_id);
    advance(9900);
    cr_assert_eq(rn_group_pending_count(gc, "g"), 1);
    advance(100);
    cr_assert_eq(rn_group_pending_count(gc, "g"), 0, "expired after session.timeout.ms");
    join_start(&j, "g", id, (join_opts){.v4 = 1});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, RN_GERR_UNKNOWN_MEMBER_ID);
}

Test(group, pending_member_blocks_barrier_until_it_rejoins)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    jw ja, jb, jc;
    join_start(&jc, "g", "", (join_opts){.v4 = 1}); /* pending, not yet a member */
    cr_assert_eq(jc.error, RN_GERR_MEMBER_ID_REQUIRED);
    join_start(&ja, "g", a, (join_opts){0}); /* the leader rejoins: rebalance */
    join_start(&jb, "g", b, (join_opts){0});
    cr_assert_eq(ja.done, 0, "the pending member must be waited for");
    char c[256];
    snprintf(c, sizeof c, "%s", jc.member_id);
    join_start(&jc, "g", c, (join_opts){.v4 = 1});
    cr_assert_eq(ja.done, 1);
    cr_assert_eq(jb.done, 1);
    cr_assert_eq(jc.done, 1);
    cr_assert_eq(ja.generation, 2);
    cr_assert_eq(ja.nmembers, 3);
}

Test(group, pending_member_leaves)
{
    jw j;
    join_start(&j, "g", "", (join_opts){.v4 = 1});
    cr_assert_eq(leave("g", j.member_id), RN_GERR_NONE);
    cr_assert_eq(rn_group_pending_count(gc, "g"), 0);
}

Test(group, invalid_session_timeout)
{
    jw j;
    join_start(&j, "g", "", (join_opts){.session_ms = 5999});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, RN_GERR_INVALID_SESSION_TIMEOUT);
    join_start(&j, "g", "", (join_opts){.session_ms = 1800001});
    cr_assert_eq(j.error, RN_GERR_INVALID_SESSION_TIMEOUT);
    join_start(&j, "g", "", (join_opts){.session_ms = 6000});
    cr_assert_eq(j.done, 0, "6000 is the minimum and is accepted");
}

Test(group, invalid_group_id)
{
    jw j;
    join_start(&j, "", "", (join_opts){0});
    cr_assert_eq(j.error, RN_GERR_INVALID_GROUP_ID);
    cr_assert_eq(heartbeat("", 1, "m", NULL), RN_GERR_INVALID_GROUP_ID);
    sw s;
    sync_start(&s, "", 1, "m", NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_INVALID_GROUP_ID);
    cr_assert_eq(leave("", "m"), RN_GERR_INVALID_GROUP_ID);
}

Test(group, known_member_id_for_missing_group)
{
    jw j;
    join_start(&j, "nope", "client-123", (join_opts){0});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, RN_GERR_UNKNOWN_MEMBER_ID);
    cr_assert_eq(rn_group_get_state(gc, "nope", NULL), RN_GROUP_DEAD, "not created");
}

Test(group, inconsistent_group_protocol)
{
    char id[256];
    stable_single("g", id, sizeof id);
    jw j;
    join_start(&j, "g", "", (join_opts){.type = "connect", .v4 = 1});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, RN_GERR_INCONSISTENT_GROUP_PROTOCOL, "other protocol type");
    join_start(&j, "g", "", (join_opts){.protocols = "roundrobin", .v4 = 1});
    cr_assert_eq(j.error, RN_GERR_INCONSISTENT_GROUP_PROTOCOL, "no common protocol");
    join_start(&j, "g", id, (join_opts){.protocols = "sticky"});
    cr_assert_eq(j.error, RN_GERR_INCONSISTENT_GROUP_PROTOCOL, "member drops the common one");
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_STABLE);
    join_start(&j, "g", "", (join_opts){.protocols = "", .v4 = 1});
    cr_assert_eq(j.error, RN_GERR_INCONSISTENT_GROUP_PROTOCOL, "no protocols at all");
}

Test(group, empty_group_requires_type_and_protocols)
{
    jw j;
    join_start(&j, "g", "", (join_opts){.type = "", .v4 = 0});
    cr_assert_eq(j.error, RN_GERR_INCONSISTENT_GROUP_PROTOCOL);
}

/* ------------------------------------------------------------------ the join barrier */

Test(group, initial_delay_then_completing)
{
    jw j;
    join_new(&j, "g", (join_opts){0});
    advance(2900);
    cr_assert_eq(j.done, 0, "the initial delay (3000 ms) runs its course");
    advance(100);
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, 0);
    cr_assert_eq(j.generation, 1);
    cr_assert_str_eq(j.leader, j.member_id);
    cr_assert_str_eq(j.protocol, "range");
    cr_assert_str_eq(j.protocol_type, "consumer");
    cr_assert_eq(j.nmembers, 1, "the leader gets the member list");
    cr_assert_str_eq(j.members[0], j.member_id);
    cr_assert_str_eq(j.member_meta[0], "meta-range");
    int32_t gen;
    cr_assert_eq(rn_group_get_state(gc, "g", &gen), RN_GROUP_COMPLETING_REBALANCE);
    cr_assert_eq(gen, 1);
}

Test(group, initial_delay_configurable)
{
    close_coord(gc);
    rn_group_config cfg = test_config();
    cfg.initial_rebalance_delay_ms = 0;
    gc = open_coord_cfg(&cfg);
    jw j;
    join_new(&j, "g", (join_opts){0});
    advance(100);
    cr_assert_eq(j.done, 1, "delay 0: completes at the next tick");
}

Test(group, initial_delay_extended_while_members_arrive)
{
    jw a, b;
    join_new(&a, "g", (join_opts){0});
    advance(2000);
    join_new(&b, "g", (join_opts){0});
    advance(1000); /* first delay over, but a member arrived: wait another 3000 */
    cr_assert_eq(a.done, 0);
    advance(2900);
    cr_assert_eq(a.done, 0);
    advance(100);
    cr_assert_eq(a.done, 1);
    cr_assert_eq(b.done, 1);
    cr_assert_eq(a.generation, 1);
    cr_assert_str_eq(a.leader, a.member_id, "the first member is the leader");
    cr_assert_str_eq(b.leader, a.member_id);
    cr_assert_eq(a.nmembers, 2);
    cr_assert_eq(b.nmembers, 0, "followers get no member list");
}

Test(group, initial_delay_bounded_by_rebalance_timeout)
{
    jw a, b;
    join_new(&a, "g", (join_opts){.rebalance_ms = 4000});
    advance(2000);
    join_new(&b, "g", (join_opts){.rebalance_ms = 4000});
    advance(1000);
    cr_assert_eq(a.done, 0);
    advance(900);
    cr_assert_eq(a.done, 0);
    advance(100); /* 4000: the remaining 1000 ms of the rebalance timeout */
    cr_assert_eq(a.done, 1);
    cr_assert_eq(b.done, 1);
}

Test(group, join_into_stable_group_rebalances_and_keeps_existing_member)
{
    char a[256];
    stable_single("g", a, sizeof a);
    jw jb, ja;
    join_new(&jb, "g", (join_opts){0});
    cr_assert_eq(jb.done, 0);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_REBALANCE_IN_PROGRESS);
    join_start(&ja, "g", a, (join_opts){0});
    /* Everyone is in: the barrier completes at once, no delay for a non-empty group. */
    cr_assert_eq(ja.done, 1);
    cr_assert_eq(jb.done, 1);
    cr_assert_eq(ja.generation, 2);
    cr_assert_eq(jb.generation, 2);
    cr_assert_str_eq(ja.leader, a, "the leader that rejoined stays leader");
    cr_assert_eq(ja.nmembers, 2);
    cr_assert_eq(rn_group_member_count(gc, "g"), 2);
}

Test(group, rebalance_timeout_removes_members_that_did_not_rejoin)
{
    char a[256];
    stable_single("g", a, sizeof a);
    jw jb;
    join_new(&jb, "g", (join_opts){.rebalance_ms = 20000});
    for (int i = 0; i < 7; i++) {
        advance(2800);
        cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_REBALANCE_IN_PROGRESS);
    }
    cr_assert_eq(jb.done, 0, "19600 ms: still waiting for the old member");
    advance(400);
    cr_assert_eq(jb.done, 1);
    cr_assert_eq(jb.error, 0);
    cr_assert_eq(jb.generation, 2);
    cr_assert_str_eq(jb.leader, jb.member_id, "a member that joined becomes leader");
    cr_assert_eq(rn_group_member_count(gc, "g"), 1);
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_UNKNOWN_MEMBER_ID);
}

Test(group, last_member_leaving_makes_group_empty)
{
    char a[256];
    stable_single("g", a, sizeof a);
    cr_assert_eq(leave("g", a), RN_GERR_NONE);
    int32_t gen;
    cr_assert_eq(rn_group_get_state(gc, "g", &gen), RN_GROUP_EMPTY);
    cr_assert_eq(gen, 2, "the empty generation counts");
    cr_assert_eq(heartbeat("g", 2, a, NULL), RN_GERR_UNKNOWN_MEMBER_ID);
    jw j;
    join_new(&j, "g", (join_opts){0});
    advance(3000); /* Empty again: the initial delay applies */
    cr_assert_eq(j.generation, 3);
}

Test(group, protocol_selection_by_votes)
{
    jw a, b, c;
    join_new(&a, "g", (join_opts){.protocols = "range,roundrobin"});
    join_new(&b, "g", (join_opts){.protocols = "roundrobin,range"});
    join_new(&c, "g", (join_opts){.protocols = "roundrobin,range,sticky"});
    advance(6000);
    cr_assert_str_eq(a.protocol, "roundrobin", "2 votes against 1");
    cr_assert_str_eq(a.member_meta[0], "meta-roundrobin", "metadata of the chosen protocol");
}

Test(group, protocol_selection_tie_goes_to_leader_preference)
{
    jw a, b;
    join_new(&a, "g", (join_opts){.protocols = "range,roundrobin"});
    join_new(&b, "g", (join_opts){.protocols = "roundrobin,range"});
    advance(6000);
    cr_assert_str_eq(a.protocol, "range");
    cr_assert_str_eq(b.protocol, "range");
}

Test(group, only_common_protocols_are_candidates)
{
    jw a, b;
    join_new(&a, "g", (join_opts){.protocols = "sticky,range"});
    join_new(&b, "g", (join_opts){.protocols = "cooperative-sticky,range"});
    advance(6000);
    cr_assert_str_eq(a.protocol, "range");
}

/* ------------------------------------------------------------------ SyncGroup */

Test(group, sync_follower_waits_for_leader)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0}); /* asserts the whole exchange */
    sw s;
    sync_start(&s, "g", 1, b, NULL, 0, NULL, NULL);
    cr_assert_eq(s.done, 1, "Stable: the stored assignment at once");
    cr_assert_str_eq(s.assignment, "for-b");
    cr_assert_str_eq(s.protocol, "range");
}

Test(group, leader_omitting_a_member_gives_it_empty_assignment)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){0}, (join_opts){0});
    sw sa, sb;
    sync_start(&sb, "g", 1, b.member_id, NULL, 0, NULL, NULL);
    const char *m[] = {a.member_id};
    const char *bytes[] = {"only-a"};
    sync_start(&sa, "g", 1, a.member_id, NULL, 1, m, bytes);
    cr_assert_eq(sb.done, 1);
    cr_assert_eq(sb.error, 0);
    cr_assert_eq(sb.assignment_len, 0, "zero-length, as Kafka fills it");
}

Test(group, sync_errors)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){0}, (join_opts){0});
    sw s;
    sync_start(&s, "other", 1, a.member_id, NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_UNKNOWN_MEMBER_ID, "unknown group");
    sync_start(&s, "g", 1, "client-nobody", NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_UNKNOWN_MEMBER_ID);
    sync_start(&s, "g", 0, a.member_id, NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_ILLEGAL_GENERATION);
    sync_start(&s, "g", 2, b.member_id, NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_ILLEGAL_GENERATION);
    /* SyncGroup v5 protocol fields must match. */
    sw s2;
    memset(&s2, 0, sizeof s2);
    s2.w.on_sync = on_sync;
    rn_group_sync_req rq = {.group_id = ks("g"),
                            .generation_id = 1,
                            .member_id = ks(b.member_id),
                            .group_instance_id = RN_KSTR_NULL,
                            .protocol_type = ks("consumer"),
                            .protocol_name = ks("roundrobin")};
    rn_group_sync(gc, &rq, &s2.w);
    cr_assert_eq(s2.error, RN_GERR_INCONSISTENT_GROUP_PROTOCOL);
    rq.protocol_type = ks("connect");
    rq.protocol_name = ks("range");
    memset(&s2, 0, sizeof s2);
    s2.w.on_sync = on_sync;
    rn_group_sync(gc, &rq, &s2.w);
    cr_assert_eq(s2.error, RN_GERR_INCONSISTENT_GROUP_PROTOCOL);
    rq.protocol_type = ks("consumer");
    memset(&s2, 0, sizeof s2);
    s2.w.on_sync = on_sync;
    rn_group_sync(gc, &rq, &s2.w);
    cr_assert_eq(s2.done, 0, "matching protocol fields: parked for the leader");
}

Test(group, sync_during_preparing_rebalance)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    jw j;
    join_start(&j, "g", a, (join_opts){0}); /* leader rejoins */
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
    sw s;
    sync_start(&s, "g", 1, b, NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_REBALANCE_IN_PROGRESS);
}

Test(group, sync_in_empty_group)
{
    char a[256];
    stable_single("g", a, sizeof a);
    leave("g", a);
    sw s;
    sync_start(&s, "g", 2, a, NULL, 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_UNKNOWN_MEMBER_ID);
}

Test(group, rebalance_cancels_parked_syncs)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){0}, (join_opts){0});
    sw sb;
    sync_start(&sb, "g", 1, b.member_id, NULL, 0, NULL, NULL);
    cr_assert_eq(sb.done, 0);
    jw c;
    join_new(&c, "g", (join_opts){0}); /* CompletingRebalance -> PreparingRebalance */
    cr_assert_eq(sb.done, 1);
    cr_assert_eq(sb.error, RN_GERR_REBALANCE_IN_PROGRESS);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
}

Test(group, sync_timeout_removes_members_that_never_synced)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){0}, (join_opts){.session_ms = 60000});
    const char *m[] = {a.member_id, b.member_id};
    const char *bytes[] = {"x", "y"};
    sw sa;
    sync_start(&sa, "g", 1, a.member_id, NULL, 2, m, bytes);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_STABLE);
    for (int i = 0; i < 6; i++) {
        advance(3000);
        cr_assert_eq(heartbeat("g", 1, a.member_id, NULL), RN_GERR_NONE);
    }
    advance(1900);
    cr_assert_eq(rn_group_member_count(gc, "g"), 2, "19900 ms: within the rebalance timeout");
    advance(100);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1, "no SyncGroup within 20000 ms");
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
}

Test(group, leader_that_never_syncs_is_removed_and_followers_told)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){.session_ms = 60000}, (join_opts){0});
    sw sb;
    sync_start(&sb, "g", 1, b.member_id, NULL, 0, NULL, NULL);
    advance(19900);
    cr_assert_eq(sb.done, 0);
    advance(100);
    cr_assert_eq(sb.done, 1);
    cr_assert_eq(sb.error, RN_GERR_REBALANCE_IN_PROGRESS);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1);
    cr_assert_str_eq(rn_group_leader(gc, "g"), b.member_id);
}

/* ------------------------------------------------------------------ rejoin rules */

Test(group, follower_rejoin_with_same_metadata_in_stable_keeps_generation)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    jw j;
    join_start(&j, "g", b, (join_opts){0});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.error, 0);
    cr_assert_eq(j.generation, 1);
    cr_assert_eq(j.nmembers, 0);
    cr_assert_str_eq(j.leader, a);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_STABLE);
}

Test(group, follower_rejoin_with_new_metadata_rebalances)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    jw j;
    join_start(&j, "g", b, (join_opts){.protocols = "range,roundrobin"});
    cr_assert_eq(j.done, 0);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
}

Test(group, leader_rejoin_in_stable_rebalances)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    jw ja, jb;
    join_start(&ja, "g", a, (join_opts){0});
    cr_assert_eq(ja.done, 0);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
    join_start(&jb, "g", b, (join_opts){0});
    cr_assert_eq(ja.done, 1);
    cr_assert_eq(ja.generation, 2);
}

Test(group, rejoin_in_completing_with_same_metadata_gets_current_generation)
{
    jw a, b, j;
    two_completing(&a, &b, (join_opts){0}, (join_opts){0});
    join_start(&j, "g", a.member_id, (join_opts){0});
    cr_assert_eq(j.done, 1, "a lost JoinGroup response is sent again");
    cr_assert_eq(j.generation, 1);
    cr_assert_eq(j.nmembers, 2, "to the leader with the members");
    join_start(&j, "g", b.member_id, (join_opts){.protocols = "range,roundrobin"});
    cr_assert_eq(j.done, 0, "changed metadata: a new rebalance");
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
}

Test(group, second_join_while_parked_supersedes_the_first)
{
    jw j1, j2;
    join_new(&j1, "g", (join_opts){0});
    char id[256];
    snprintf(id, sizeof id, "%s", rn_group_leader(gc, "g"));
    join_start(&j2, "g", id, (join_opts){0});
    cr_assert_eq(j1.done, 1, "the older request is answered, not left hanging");
    cr_assert_eq(j1.error, RN_GERR_REBALANCE_IN_PROGRESS);
    advance(3000);
    cr_assert_eq(j2.done, 1);
    cr_assert_eq(j2.error, 0);
}

/* ------------------------------------------------------------------ heartbeats, sessions */

Test(group, heartbeat_errors_and_states)
{
    char a[256];
    stable_single("g", a, sizeof a);
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_NONE);
    cr_assert_eq(heartbeat("g", 0, a, NULL), RN_GERR_ILLEGAL_GENERATION);
    cr_assert_eq(heartbeat("g", 2, a, NULL), RN_GERR_ILLEGAL_GENERATION);
    cr_assert_eq(heartbeat("g", 1, "client-x", NULL), RN_GERR_UNKNOWN_MEMBER_ID);
    cr_assert_eq(heartbeat("nope", 1, a, NULL), RN_GERR_UNKNOWN_MEMBER_ID);
    jw jb;
    join_new(&jb, "g", (join_opts){0});
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_REBALANCE_IN_PROGRESS);
    jw ja;
    join_start(&ja, "g", a, (join_opts){0});
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_COMPLETING_REBALANCE);
    cr_assert_eq(heartbeat("g", 2, a, NULL), RN_GERR_NONE, "CompletingRebalance: fine");
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_ILLEGAL_GENERATION);
}

Test(group, session_timeout_removes_silent_member)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    for (int i = 0; i < 3; i++) {
        advance(3000);
        cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_NONE);
    }
    advance(900);
    cr_assert_eq(rn_group_member_count(gc, "g"), 2, "9900 ms without heartbeat");
    advance(100);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1, "session.timeout.ms passed");
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_REBALANCE_IN_PROGRESS);
    cr_assert_eq(heartbeat("g", 1, b, NULL), RN_GERR_UNKNOWN_MEMBER_ID);
    jw j;
    join_start(&j, "g", a, (join_opts){0});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.generation, 2);
    cr_assert_eq(j.nmembers, 1);
}

Test(group, commit_counts_as_heartbeat)
{
    char a[256];
    stable_single("g", a, sizeof a);
    for (int i = 0; i < 5; i++) {
        advance(4000);
        cr_assert_eq(commit1("g", 1, a, "t", 0, i, NULL), RN_GERR_NONE);
    }
    cr_assert_eq(rn_group_member_count(gc, "g"), 1, "20 s of commits kept the session");
}

Test(group, member_in_barrier_is_not_expired_by_session)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){.rebalance_ms = 60000});
    jw ja, jb;
    join_start(&ja, "g", a, (join_opts){.rebalance_ms = 60000}); /* parked */
    for (int i = 0; i < 10; i++) {
        advance(3000);
        heartbeat("g", 1, b, NULL);
    }
    cr_assert_eq(rn_group_member_count(gc, "g"), 2, "a parked join keeps the member");
    join_start(&jb, "g", b, (join_opts){.rebalance_ms = 60000});
    cr_assert_eq(ja.done, 1);
    cr_assert_eq(ja.generation, 2);
}

/* ------------------------------------------------------------------ LeaveGroup */

Test(group, leave_rebalances_remaining_members)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    cr_assert_eq(leave("g", b), RN_GERR_NONE);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
    cr_assert_eq(leave("g", b), RN_GERR_UNKNOWN_MEMBER_ID, "already gone");
    cr_assert_eq(leave("nope", a), RN_GERR_UNKNOWN_MEMBER_ID);
    jw j;
    join_start(&j, "g", a, (join_opts){0});
    cr_assert_eq(j.generation, 2);
}

Test(group, leader_leaving_hands_leadership_over)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    cr_assert_eq(leave("g", a), RN_GERR_NONE);
    cr_assert_str_eq(rn_group_leader(gc, "g"), b);
    jw j;
    join_start(&j, "g", b, (join_opts){0});
    cr_assert_str_eq(j.leader, b);
    cr_assert_eq(j.nmembers, 1);
}

Test(group, leave_of_member_parked_in_join)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){0}, (join_opts){0});
    jw ja;
    join_start(&ja, "g", a, (join_opts){0});
    cr_assert_eq(leave("g", b), RN_GERR_NONE);
    cr_assert_eq(ja.done, 1, "the barrier completes without the leaver");
    cr_assert_eq(ja.nmembers, 1);
}

/* ------------------------------------------------------------------ static membership */

Test(group, static_member_rejoin_in_stable_without_rebalance)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){.instance = "i1"}, (join_opts){0});
    cr_assert(strncmp(a, "i1-", 3) == 0, "static member ids start with the instance id");
    jw j;
    join_start(&j, "g", "", (join_opts){.instance = "i1", .v4 = 1});
    cr_assert_eq(j.done, 1, "no MEMBER_ID_REQUIRED for static members, no barrier");
    cr_assert_eq(j.error, 0);
    cr_assert_eq(j.generation, 1);
    cr_assert_str_neq(j.member_id, a, "a new member id");
    cr_assert_str_eq(j.leader, a, "the old leader id, so nobody reassigns");
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_STABLE);
    cr_assert_eq(rn_group_member_count(gc, "g"), 2);
    cr_assert_eq(heartbeat("g", 1, a, "i1"), RN_GERR_FENCED_INSTANCE_ID);
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_UNKNOWN_MEMBER_ID);
    cr_assert_eq(heartbeat("g", 1, j.member_id, "i1"), RN_GERR_NONE);
    sw s;
    sync_start(&s, "g", 1, j.member_id, "i1", 0, NULL, NULL);
    cr_assert_eq(s.error, 0);
    cr_assert_str_eq(s.assignment, "for-a", "keeps the instance's assignment");
}

Test(group, static_member_rejoin_with_new_protocol_rebalances)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){.instance = "i1", .protocols = "range,roundrobin"},
               (join_opts){.protocols = "range,roundrobin"});
    jw j;
    join_start(&j, "g", "", (join_opts){.instance = "i1", .protocols = "roundrobin,range"});
    /* Votes: i1 roundrobin, b range -> tie broken by the leader (i1): roundrobin. */
    cr_assert_eq(j.done, 0);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
}

Test(group, static_member_rejoin_in_completing_forces_rebalance)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){.instance = "i1"}, (join_opts){0});
    sw sb;
    sync_start(&sb, "g", 1, b.member_id, NULL, 0, NULL, NULL);
    jw j;
    join_start(&j, "g", "", (join_opts){.instance = "i1"});
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_PREPARING_REBALANCE);
    cr_assert_eq(sb.done, 1);
    cr_assert_eq(sb.error, RN_GERR_REBALANCE_IN_PROGRESS);
    jw jb;
    join_start(&jb, "g", b.member_id, (join_opts){0});
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.generation, 2);
}

Test(group, static_member_replacement_fences_parked_old_incarnation)
{
    jw a;
    join_new(&a, "g", (join_opts){.instance = "i1"});
    cr_assert_eq(a.done, 0);
    jw a2;
    join_start(&a2, "g", "", (join_opts){.instance = "i1"});
    cr_assert_eq(a.done, 1);
    cr_assert_eq(a.error, RN_GERR_FENCED_INSTANCE_ID);
    advance(3000);
    cr_assert_eq(a2.done, 1);
    cr_assert_eq(a2.error, 0);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1);
}

Test(group, fenced_instance_id)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){.instance = "i1"}, (join_opts){0});
    jw j;
    join_start(&j, "g", "i1-bogus", (join_opts){.instance = "i1"});
    cr_assert_eq(j.error, RN_GERR_FENCED_INSTANCE_ID);
    sw s;
    sync_start(&s, "g", 1, b, "i1", 0, NULL, NULL);
    cr_assert_eq(s.error, RN_GERR_FENCED_INSTANCE_ID, "b's id with i1's instance");
    cr_assert_eq(heartbeat("g", 1, a, "i9"), RN_GERR_UNKNOWN_MEMBER_ID, "unknown instance");
    cr_assert_eq(commit1("g", 1, b, "t", 0, 1, NULL), RN_GERR_NONE);
    rn_group_commit_part p = {.topic = ks("t"),
                              .partition = 0,
                              .offset = 5,
                              .leader_epoch = -1,
                              .metadata = RN_KSTR_NULL};
    cr_assert_eq(rn_group_commit(gc, ks("g"), 1, ks(b), ks("i1"), &p, 1, on_done, NULL), 0);
    cr_assert_eq(p.error, RN_GERR_FENCED_INSTANCE_ID);
}

Test(group, static_member_kept_through_rebalance_it_missed)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){.instance = "i1", .session_ms = 60000},
               (join_opts){.session_ms = 60000});
    jw jc, jb;
    join_new(&jc, "g", (join_opts){.session_ms = 60000});
    join_start(&jb, "g", b, (join_opts){.session_ms = 60000});
    advance(20000); /* rebalance timeout: the static member did not rejoin */
    cr_assert_eq(jb.done, 1);
    cr_assert_eq(jb.generation, 2);
    cr_assert_eq(rn_group_member_count(gc, "g"), 3, "static members are not dropped");
    cr_assert_eq(jb.nmembers + jc.nmembers, 3, "the new leader sees all three");
}

Test(group, leave_group_removes_static_member_by_instance_id)
{
    char a[256], b[256];
    two_stable(a, b, (join_opts){.instance = "i1"}, (join_opts){0});
    rn_group_leave_member lm[2] = {
        {.member_id = ks(""), .group_instance_id = ks("i1")},
        {.member_id = ks(""), .group_instance_id = ks("i7")},
    };
    cr_assert_eq(rn_group_leave(gc, ks("g"), lm, 2), RN_GERR_NONE);
    cr_assert_eq(lm[0].error, RN_GERR_NONE);
    cr_assert_eq(lm[1].error, RN_GERR_UNKNOWN_MEMBER_ID);
    cr_assert_eq(rn_group_member_count(gc, "g"), 1);
}

/* ------------------------------------------------------------------ cancel, shutdown */

Test(group, cancelled_join_is_never_answered)
{
    jw j;
    join_new(&j, "g", (join_opts){0});
    cr_assert(rn_group_waiter_parked(&j.w));
    rn_group_waiter_cancel(&j.w);
    cr_assert(!rn_group_waiter_parked(&j.w));
    advance(3000);
    cr_assert_eq(j.done, 0);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_COMPLETING_REBALANCE,
                 "the member stays, as in Kafka");
    advance(20000);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_EMPTY,
                 "it never synced nor heartbeat: removed (session, then sync timeout)");
}

Test(group, cancelled_sync_is_never_answered)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){0}, (join_opts){0});
    sw sb, sa;
    sync_start(&sb, "g", 1, b.member_id, NULL, 0, NULL, NULL);
    rn_group_waiter_cancel(&sb.w);
    sync_start(&sa, "g", 1, a.member_id, NULL, 0, NULL, NULL);
    cr_assert_eq(sa.done, 1);
    cr_assert_eq(sb.done, 0);
    cr_assert_eq(rn_group_get_state(gc, "g", NULL), RN_GROUP_STABLE);
}

Test(group, shutdown_answers_parked_requests)
{
    jw a, b;
    two_completing(&a, &b, (join_opts){0}, (join_opts){0});
    sw sb;
    sync_start(&sb, "g", 1, b.member_id, NULL, 0, NULL, NULL);
    jw c;
    join_new(&c, "h", (join_opts){0});
    rn_group_coord_shutdown(gc);
    cr_assert_eq(sb.done, 1);
    cr_assert_eq(sb.error, RN_GERR_NOT_COORDINATOR);
    cr_assert_eq(c.done, 1);
    cr_assert_eq(c.error, RN_GERR_NOT_COORDINATOR);
    jw d;
    join_start(&d, "g", "", (join_opts){0});
    cr_assert_eq(d.error, RN_GERR_NOT_COORDINATOR);
    cr_assert_eq(heartbeat("g", 1, a.member_id, NULL), RN_GERR_NONE, "still served");
}

/* ------------------------------------------------------------------ describe, list */

typedef struct list_seen {
    int n;
    char ids[8][64];
    char types[8][64];
    rn_group_state states[8];
} list_seen;

static void on_list(void *arg, const char *id, const char *type, rn_group_state st)
{
    list_seen *l = arg;
    if (l->n < 8) {
        snprintf(l->ids[l->n], 64, "%s", id);
        snprintf(l->types[l->n], 64, "%s", type);
        l->states[l->n] = st;
    }
    l->n++;
}

Test(group, describe_returns_bytes_as_sent)
{
    /* Metadata with a NUL and high bytes: stored and returned byte for byte. */
    static const char meta[] = {0, 1, 0, 0, 0, 1, 0, 1, 't', (char)0xff, 0};
    jw a;
    join_new(&a, "g", (join_opts){.metadata = meta, .metadata_len = sizeof meta});
    advance(3000);
    rn_arena ar = {0};
    rn_group_info gi;
    rn_group_describe(gc, ks("g"), &ar, &gi);
    cr_assert_eq(gi.state, RN_GROUP_COMPLETING_REBALANCE);
    cr_assert_str_eq(gi.protocol_name, "", "only Stable groups show the protocol");
    cr_assert_eq(gi.nmembers, 1);
    cr_assert_eq(gi.members[0].metadata_len, 0, "and member metadata");
    sw s;
    static const char asg[] = {0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    const char *m[] = {a.member_id};
    rn_group_assignment as = {ks(a.member_id), {(const uint8_t *)asg, sizeof asg}};
    memset(&s, 0, sizeof s);
    s.w.on_sync = on_sync;
    rn_group_sync_req rq = {.group_id = ks("g"),
                            .generation_id = 1,
                            .member_id = ks(a.member_id),
                            .group_instance_id = RN_KSTR_NULL,
                            .protocol_type = RN_KSTR_NULL,
                            .protocol_name = RN_KSTR_NULL,
                            .assignments = &as,
                            .nassignments = 1};
    (void)m;
    rn_group_sync(gc, &rq, &s.w);
    cr_assert_eq(s.assignment_len, sizeof asg);
    rn_group_describe(gc, ks("g"), &ar, &gi);
    cr_assert_eq(gi.state, RN_GROUP_STABLE);
    cr_assert_str_eq(gi.protocol_type, "consumer");
    cr_assert_str_eq(gi.protocol_name, "range");
    cr_assert_str_eq(gi.members[0].member_id, a.member_id);
    cr_assert_str_eq(gi.members[0].client_id, "client");
    cr_assert_str_eq(gi.members[0].client_host, "/127.0.0.1");
    cr_assert_null(gi.members[0].group_instance_id);
    cr_assert_eq(gi.members[0].metadata_len, sizeof meta);
    cr_assert(!memcmp(gi.members[0].metadata, meta, sizeof meta));
    cr_assert_eq(gi.members[0].assignment_len, sizeof asg);
    cr_assert(!memcmp(gi.members[0].assignment, asg, sizeof asg));
    rn_group_describe(gc, ks("nope"), &ar, &gi);
    cr_assert_eq(gi.state, RN_GROUP_DEAD);
    cr_assert_eq(gi.nmembers, 0);
    cr_assert_str_eq(rn_group_state_name(gi.state), "Dead");
    rn_arena_fini(&ar);

    list_seen l = {0};
    commit1("standalone", -1, "", "t", 0, 1, NULL);
    rn_group_list(gc, on_list, &l);
    cr_assert_eq(l.n, 2);
    for (int i = 0; i < 2; i++) {
        if (!strcmp(l.ids[i], "g")) {
            cr_assert_str_eq(l.types[i], "consumer");
            cr_assert_eq(l.states[i], RN_GROUP_STABLE);
        } else {
            cr_assert_str_eq(l.ids[i], "standalone");
            cr_assert_str_eq(l.types[i], "", "no protocol type for simple commits");
            cr_assert_eq(l.states[i], RN_GROUP_EMPTY);
        }
    }
}

Test(group, state_names)
{
    cr_assert_str_eq(rn_group_state_name(RN_GROUP_EMPTY), "Empty");
    cr_assert_str_eq(rn_group_state_name(RN_GROUP_PREPARING_REBALANCE), "PreparingRebalance");
    cr_assert_str_eq(rn_group_state_name(RN_GROUP_COMPLETING_REBALANCE), "CompletingRebalance");
    cr_assert_str_eq(rn_group_state_name(RN_GROUP_STABLE), "Stable");
}

/* ------------------------------------------------------------------ restart */

Test(group, generation_and_protocol_type_survive_restart)
{
    char a[256];
    stable_single("g", a, sizeof a);
    leave("g", a);
    /* Let the fire-and-forget group record reach the disk before closing. */
    close_coord(gc);
    gc = open_coord();
    int32_t gen;
    cr_assert_eq(rn_group_get_state(gc, "g", &gen), RN_GROUP_EMPTY);
    cr_assert_eq(gen, 2);
    rn_arena ar = {0};
    rn_group_info gi;
    rn_group_describe(gc, ks("g"), &ar, &gi);
    cr_assert_str_eq(gi.protocol_type, "consumer");
    rn_arena_fini(&ar);
    cr_assert_eq(heartbeat("g", 1, a, NULL), RN_GERR_UNKNOWN_MEMBER_ID,
                 "members do not survive a restart: they rejoin");
    jw j;
    join_new(&j, "g", (join_opts){0});
    advance(3000);
    cr_assert_eq(j.generation, 3, "generations keep increasing across restarts");
}
