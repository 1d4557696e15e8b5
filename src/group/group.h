/*
 * group/group.h - the classic consumer-group coordinator (Kafka's GroupCoordinator for
 * protocol types such as "consumer") and the committed offsets it guards.
 *
 * Layer: called by kafka/api (the group and offset handlers) and broker/ (life cycle and
 *   the tick); calls common/, kafka/msg (only the ConsumerProtocolSubscription decoder, to
 *   know which topics a group subscribes to) and group/offsets (the SQLite store). It knows
 *   nothing of sockets, requests or topics: callers check topic existence and map results
 *   to wire messages.
 *
 * State machine (per group; Kafka's GroupMetadata states):
 *
 *     Empty --join--> PreparingRebalance --barrier--> CompletingRebalance --leader sync-->
 *     Stable; any membership or protocol change in CompletingRebalance or Stable goes back
 *     to PreparingRebalance; a barrier that ends with no members goes to Empty (generation
 *     + 1). Dead is a group that no longer exists (deleted, expired, never created).
 *
 *   The join barrier completes when every known member has rejoined and no member id is
 *   pending, or at the rebalance timeout (the largest rebalance_timeout_ms of the members;
 *   the dynamic members that did not rejoin are then removed). When the group was Empty
 *   the barrier instead waits initial_rebalance_delay_ms, extended by the same amount
 *   while new members keep arriving, up to the rebalance timeout.
 *
 * Deferred completion: JoinGroup and SyncGroup may have to wait for other members. The
 *   caller passes a rn_group_waiter (caller-owned storage, e.g. in its request arena); the
 *   coordinator calls w->on_join / w->on_sync exactly once, either from inside
 *   rn_group_join / rn_group_sync or later (from another member's call, or from
 *   rn_group_tick), unless the caller first calls rn_group_waiter_cancel. After the
 *   callback returns, or after cancel, the coordinator never touches w again. So a
 *   callback may free w (and the request around it). Callbacks must not call back into
 *   the coordinator, except rn_group_waiter_cancel.
 *
 * Offsets: committed offsets live in memory (served by rn_group_offset_get/_each) and in
 *   the store. A commit is acknowledged (its callback runs) only once the store has it on
 *   disk, and only then is it visible to OffsetFetch. All changes to offsets (commits,
 *   OffsetDelete, DeleteGroups, expiry) go through the store in one order and are applied
 *   to memory in that order, so memory and disk agree.
 *
 * Time: the coordinator reads the injected clock (rn_group_config.clock): mono_ms for its
 *   timers (session, rebalance, sync, pending-member and initial-delay deadlines) and
 *   wall_ms for commit timestamps and offset retention. Nothing runs by itself: the owner
 *   calls rn_group_tick every ~100 ms (the broker from a uv_timer), tests call it after
 *   moving a fake clock, so every transition is deterministic.
 *
 * Strings: request strings are rn_kstr views (not NUL-terminated, borrowed for the call).
 *   Strings in results point into coordinator memory and are valid until the next call
 *   into the coordinator (callbacks: during the callback only).
 *
 * Threads: loop thread only (the store's writer thread is internal).
 */
#ifndef RN_GROUP_GROUP_H
#define RN_GROUP_GROUP_H

#include "common/arena.h"
#include "common/err.h"
#include "kafka/msg/kmsg.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct rn_group_coord rn_group_coord;

/* Kafka error codes the coordinator answers with (response data, not C errors). */
enum {
    RN_GERR_NONE = 0,
    RN_GERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    RN_GERR_OFFSET_METADATA_TOO_LARGE = 12,
    RN_GERR_COORDINATOR_NOT_AVAILABLE = 15,
    RN_GERR_NOT_COORDINATOR = 16,
    RN_GERR_ILLEGAL_GENERATION = 22,
    RN_GERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    RN_GERR_INVALID_GROUP_ID = 24,
    RN_GERR_UNKNOWN_MEMBER_ID = 25,
    RN_GERR_INVALID_SESSION_TIMEOUT = 26,
    RN_GERR_REBALANCE_IN_PROGRESS = 27,
    RN_GERR_NON_EMPTY_GROUP = 68,
    RN_GERR_GROUP_ID_NOT_FOUND = 69,
    RN_GERR_MEMBER_ID_REQUIRED = 79,
    RN_GERR_FENCED_INSTANCE_ID = 82,
    RN_GERR_GROUP_SUBSCRIBED_TO_TOPIC = 86,
};

/* Group states, in Kafka's names (rn_group_state_name). */
typedef enum rn_group_state {
    RN_GROUP_EMPTY,
    RN_GROUP_PREPARING_REBALANCE,
    RN_GROUP_COMPLETING_REBALANCE,
    RN_GROUP_STABLE,
    RN_GROUP_DEAD,
} rn_group_state;

/* "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead". */
const char *rn_group_state_name(rn_group_state s);

/* ------------------------------------------------------------------ life cycle */

typedef struct rn_group_clock {
    int64_t (*mono_ms)(void *arg); /* monotonic: timers */
    int64_t (*wall_ms)(void *arg); /* wall clock: commit timestamps, retention */
    void *arg;
} rn_group_clock;

typedef struct rn_group_config {
    int32_t min_session_timeout_ms;              /* group.min.session.timeout.ms, 6000 */
    int32_t max_session_timeout_ms;              /* group.max.session.timeout.ms, 1800000 */
    int32_t initial_rebalance_delay_ms;          /* group.initial.rebalance.delay.ms, 3000 */
    int32_t new_member_join_timeout_ms;          /* Kafka's NewMemberJoinTimeoutMs, 300000 */
    int64_t offsets_retention_ms;                /* offsets.retention.minutes (10080) in ms */
    int64_t offsets_retention_check_interval_ms; /* 600000 */
    int32_t max_metadata_bytes;                  /* offset.metadata.max.bytes, 4096 */
    rn_group_clock clock;                        /* NULL functions: the system clocks */
} rn_group_config;

/* Fills cfg with Kafka's defaults and the system clocks. */
void rn_group_config_defaults(rn_group_config *cfg);

/* Creates a coordinator whose store is the SQLite database at db_path (created if
 * missing); loads every stored group (as Empty, with its generation and protocol type)
 * and its committed offsets, and starts the store's writer thread; store completions are
 * delivered on loop. cfg is copied. Returns a new coordinator owned by the caller: stop
 * it with rn_group_coord_shutdown (optional) and free it with rn_group_coord_free. */
int rn_group_coord_new(const rn_group_config *cfg, uv_loop_t *loop, const char *db_path,
                       rn_group_coord **out, rn_err *err);

/* Graceful shutdown: answers every parked JoinGroup/SyncGroup now with NOT_COORDINATOR (so
 * clients look for the coordinator again) and answers later joins and syncs the same way
 * at once. Heartbeats, commits and fetches are still served (a closing consumer's last
 * commit is stored). Idempotent. */
void rn_group_coord_shutdown(rn_group_coord *c);

/* Shuts down if not done, waits for the store's outstanding writes (their callbacks run
 * from inside this call), closes the store and frees everything. The store's uv handle is
 * released by its close callback: the loop must run once more afterwards. NULL is a
 * no-op. */
void rn_group_coord_free(rn_group_coord *c);

/* Runs every expired deadline at the clock's current time: pending member ids, member
 * sessions, join barriers (rebalance timeout, initial delay), sync timeouts, and (every
 * offsets_retention_check_interval_ms) offset retention. */
void rn_group_tick(rn_group_coord *c);

/* ------------------------------------------------------------------ join and sync */

/* A parked JoinGroup or SyncGroup. The caller sets on_join or on_sync and arg; the
 * fields after them belong to the coordinator. */
typedef struct rn_group_waiter rn_group_waiter;

typedef struct rn_group_member_meta {
    const char *member_id;
    const char *group_instance_id; /* NULL for dynamic members */
    const uint8_t *metadata;       /* the member's metadata for the selected protocol */
    size_t metadata_len;
} rn_group_member_meta;

typedef struct rn_group_join_result {
    int16_t error;
    int32_t generation_id;     /* -1 with an error */
    const char *protocol_type; /* NULL if none */
    const char *protocol_name; /* NULL if none (errors) */
    const char *leader_id;     /* "" if none */
    const char *member_id;     /* the member's id (also with MEMBER_ID_REQUIRED) or "" */
    int nmembers;              /* the leader only: every member with its metadata */
    const rn_group_member_meta *members;
} rn_group_join_result;

typedef struct rn_group_sync_result {
    int16_t error;
    const char *protocol_type; /* NULL with an error */
    const char *protocol_name;
    const uint8_t *assignment; /* exactly the bytes the leader sent; empty if none */
    size_t assignment_len;
} rn_group_sync_result;

struct rn_group_waiter {
    void (*on_join)(rn_group_waiter *w, const rn_group_join_result *r);
    void (*on_sync)(rn_group_waiter *w, const rn_group_sync_result *r);
    void *arg;
    /* private */
    void *member_;
};

typedef struct rn_group_protocol {
    rn_kstr name;
    rn_kbytes metadata;
} rn_group_protocol;

typedef struct rn_group_join_req {
    rn_kstr group_id;
    rn_kstr member_id;         /* "" for a new member */
    rn_kstr group_instance_id; /* null (len -1) for dynamic members */
    rn_kstr protocol_type;
    rn_kstr client_id;
    const char *client_host; /* "/127.0.0.1" */
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* < 0: use session_timeout_ms (JoinGroup v0) */
    int require_known_member_id;  /* JoinGroup v4+: KIP-394 MEMBER_ID_REQUIRED handshake */
    const rn_group_protocol *protocols;
    int nprotocols;
} rn_group_join_req;

/* JoinGroup. w->on_join must be set. Completes now (errors, MEMBER_ID_REQUIRED, a
 * follower's rejoin in Stable, a barrier this join completes) or parks w until the
 * barrier. The request's strings and bytes are copied. */
void rn_group_join(rn_group_coord *c, const rn_group_join_req *rq, rn_group_waiter *w);

typedef struct rn_group_assignment {
    rn_kstr member_id;
    rn_kbytes assignment;
} rn_group_assignment;

typedef struct rn_group_sync_req {
    rn_kstr group_id;
    int32_t generation_id;
    rn_kstr member_id;
    rn_kstr group_instance_id;              /* null if absent */
    rn_kstr protocol_type;                  /* SyncGroup v5+, null if absent */
    rn_kstr protocol_name;                  /* idem */
    const rn_group_assignment *assignments; /* the leader's */
    int nassignments;
} rn_group_sync_req;

/* SyncGroup. w->on_sync must be set. A follower in CompletingRebalance is parked until
 * the leader's assignment arrives; everything else completes now. */
void rn_group_sync(rn_group_coord *c, const rn_group_sync_req *rq, rn_group_waiter *w);

/* Detaches a parked waiter: its callback will not run. Does nothing if w is not parked
 * (already completed, or never parked). The member stays in the group (its session or the
 * rebalance timeout removes it, as in Kafka). */
void rn_group_waiter_cancel(rn_group_waiter *w);

/* 1 while w is parked. */
int rn_group_waiter_parked(const rn_group_waiter *w);

/* ------------------------------------------------------------------ heartbeat, leave */

/* Heartbeat: returns NONE (session timer reset), REBALANCE_IN_PROGRESS (timer reset: the
 * member must rejoin), or UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID,
 * INVALID_GROUP_ID. */
int16_t rn_group_heartbeat(rn_group_coord *c, rn_kstr group_id, int32_t generation_id,
                           rn_kstr member_id, rn_kstr group_instance_id);

typedef struct rn_group_leave_member {
    rn_kstr member_id;         /* "" with group_instance_id: remove that static member */
    rn_kstr group_instance_id; /* null if absent */
    int16_t error;             /* out */
} rn_group_leave_member;

/* LeaveGroup for members[0..n): each gets its own error. Returns the top-level error
 * (INVALID_GROUP_ID, or NONE). */
int16_t rn_group_leave(rn_group_coord *c, rn_kstr group_id, rn_group_leave_member *members, int n);

/* ------------------------------------------------------------------ describe, list, delete */

typedef struct rn_group_member_info {
    const char *member_id;
    const char *group_instance_id; /* NULL for dynamic members */
    const char *client_id;
    const char *client_host;
    const uint8_t *metadata; /* selected protocol's metadata, as the member sent it */
    size_t metadata_len;
    const uint8_t *assignment; /* as the leader sent it */
    size_t assignment_len;
} rn_group_member_info;

typedef struct rn_group_info {
    rn_group_state state;
    const char *protocol_type; /* "" if none */
    const char *protocol_name; /* "" unless Stable (Kafka's summary) */
    int nmembers;
    rn_group_member_info *members; /* from the arena; metadata/assignment empty unless Stable */
} rn_group_info;

/* DescribeGroups for one group. An unknown group is reported Dead with no members. */
void rn_group_describe(rn_group_coord *c, rn_kstr group_id, rn_arena *a, rn_group_info *out);

/* ListGroups: calls cb for every group (Dead ones are not kept), in no particular order. */
typedef void (*rn_group_list_cb)(void *arg, const char *group_id, const char *protocol_type,
                                 rn_group_state state);
void rn_group_list(rn_group_coord *c, rn_group_list_cb cb, void *arg);

/* Called on the loop thread once an asynchronous operation (commit, delete) is stored. */
typedef void (*rn_group_done_cb)(void *arg);

/* DeleteGroups: for each ids[i], errors[i] = NONE (deleted: the group and its offsets),
 * GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP. A deleted group is gone at once (later requests
 * see a new group); the response should wait for the store: returns 1 if so (cb(arg) runs
 * later; errors[i] may then turn into COORDINATOR_NOT_AVAILABLE if the write failed, so
 * errors must stay valid until then), 0 if nothing was queued (cb never called). */
int rn_group_delete(rn_group_coord *c, const rn_kstr *ids, int16_t *errors, int n,
                    rn_group_done_cb cb, void *arg);

/* ------------------------------------------------------------------ offsets */

typedef struct rn_group_commit_part {
    rn_kstr topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch; /* -1 if unknown */
    rn_kstr metadata;     /* null is stored as "" */
    int16_t error;        /* in: non-zero skips the part (caller's verdict, e.g. unknown
                             topic); out: the result */
} rn_group_commit_part;

/* OffsetCommit (validation as Kafka's validateOffsetCommit: generation -1 commits are for
 * empty groups, creating the group if needed; members must match generation and id).
 * Returns 0 if finished now (parts[].error filled, cb never called) or 1 if the valid
 * parts are being stored: cb(arg) then runs later on the loop thread, once stored (or
 * failed: those parts then get COORDINATOR_NOT_AVAILABLE). parts must stay valid until
 * then. */
int rn_group_commit(rn_group_coord *c, rn_kstr group_id, int32_t generation_id, rn_kstr member_id,
                    rn_kstr group_instance_id, rn_group_commit_part *parts, int n,
                    rn_group_done_cb cb, void *arg);

/* The committed offset of (group, topic, partition): returns 1 and fills the outputs, or
 * returns 0 (offset -1, leader_epoch -1, metadata "") when nothing is committed. */
int rn_group_offset_get(rn_group_coord *c, rn_kstr group_id, rn_kstr topic, int32_t partition,
                        int64_t *offset, int32_t *leader_epoch, const char **metadata,
                        size_t *metadata_len);

/* Calls cb for every committed offset of the group, by topic then partition. */
typedef void (*rn_group_offset_cb)(void *arg, const char *topic, int32_t partition, int64_t offset,
                                   int32_t leader_epoch, const char *metadata, size_t metadata_len);
void rn_group_offsets_each(rn_group_coord *c, rn_kstr group_id, rn_group_offset_cb cb, void *arg);

typedef struct rn_group_offset_del_part {
    rn_kstr topic;
    int32_t partition;
    int16_t error; /* in: non-zero skips; out: NONE or GROUP_SUBSCRIBED_TO_TOPIC */
} rn_group_offset_del_part;

/* OffsetDelete: *top_error = GROUP_ID_NOT_FOUND for an unknown group, else NONE with a
 * verdict per part: a group with members refuses topics it subscribes to
 * (GROUP_SUBSCRIBED_TO_TOPIC). Returns 1 if deletions were queued (cb(arg) runs once
 * stored, parts valid until then), 0 if finished now. */
int rn_group_offset_delete(rn_group_coord *c, rn_kstr group_id, rn_group_offset_del_part *parts,
                           int n, int16_t *top_error, rn_group_done_cb cb, void *arg);

/* ------------------------------------------------------------------ inspection (tests) */

/* State and generation of a group; RN_GROUP_DEAD and -1 if unknown. */
rn_group_state rn_group_get_state(rn_group_coord *c, const char *group_id, int32_t *generation);
/* Number of members (not counting pending member ids), or -1 if the group is unknown. */
int rn_group_member_count(rn_group_coord *c, const char *group_id);
/* Number of pending (MEMBER_ID_REQUIRED, not yet rejoined) member ids. */
int rn_group_pending_count(rn_group_coord *c, const char *group_id);
/* The current leader's member id, or NULL. */
const char *rn_group_leader(rn_group_coord *c, const char *group_id);
/* Number of groups. */
int rn_group_count(rn_group_coord *c);

#endif
