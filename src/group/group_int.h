/*
 * group/group_int.h - structures shared by the coordinator's files (group.c: membership
 * and the state machine; group_offsets.c: committed offsets, retention, deletion). Not for
 * other modules: they use group.h.
 *
 * Ownership: the coordinator owns every group (hash table by id); a group owns its members
 *   and committed offsets; every string and byte buffer below is from malloc() and owned by
 *   the struct holding it. Waiters are the caller's (see group.h).
 * Dead groups: a deleted or expired group leaves the table at once (dead = 1); while a
 *   store write still refers to it (inflight > 0) it is kept, ignored by everything, and
 *   freed by the last write's completion.
 */
#ifndef RN_GROUP_GROUP_INT_H
#define RN_GROUP_GROUP_INT_H

#include "group/group.h"
#include "group/offsets.h"

#include <stddef.h>
#include <stdint.h>

typedef struct gproto {
    char *name;
    uint8_t *meta; /* may be NULL when meta_len is 0 */
    size_t meta_len;
} gproto;

typedef struct gmember {
    char *id;
    char *instance_id; /* NULL for a dynamic member */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    gproto *protocols; /* in the member's preference order */
    int nprotocols;
    uint8_t *assignment; /* as the leader sent it; NULL when assignment_len is 0 */
    size_t assignment_len;
    int awaiting_join; /* in the join barrier (Kafka: awaitingJoinCallback set), even if its
                          waiter was cancelled */
    int awaiting_sync; /* sent SyncGroup in CompletingRebalance, not yet answered */
    int pending_sync;  /* must still send SyncGroup for this generation */
    int is_new;        /* joined, no generation yet: bounded by new_member_join_timeout */
    rn_group_waiter *join_w, *sync_w; /* parked requests, or NULL */
    int64_t hb_deadline;              /* mono ms: session expiry */
    struct gmember *next;             /* in join order: the head is the oldest member */
} gmember;

typedef struct gpending {
    char *id;
    int64_t deadline; /* mono ms */
} gpending;

typedef struct gpart {
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata; /* never NULL */
    size_t metadata_len;
    int64_t commit_ts; /* wall ms */
} gpart;

typedef struct gtopic {
    char *name;
    gpart *parts; /* sorted by partition */
    int n, cap;
} gtopic;

typedef struct group {
    char *id;
    rn_group_state state;
    int64_t state_ts;    /* wall ms: entered the current state (Empty: empty since) */
    char *protocol_type; /* NULL: none yet (standalone commits) */
    char *protocol_name; /* NULL unless CompletingRebalance or Stable */
    int32_t generation;
    gmember *members;
    int nmembers;
    int nawaiting_join;
    gmember *leader;
    gpending *pending; /* MEMBER_ID_REQUIRED ids not yet rejoined */
    int npending, pending_cap;
    /* join barrier (PreparingRebalance) */
    int64_t join_deadline; /* mono ms */
    int initial_delay;     /* the barrier is the initial delayed join of an Empty group */
    int new_member_added;  /* a member arrived during the current initial delay */
    int32_t delay_current, delay_remaining;
    int32_t rebalance_timeout_ms; /* of the current rebalance */
    /* sync (CompletingRebalance, Stable): members with pending_sync are removed then */
    int64_t sync_deadline; /* mono ms, 0 = none */
    /* subscriptions of the current generation (protocol type "consumer"), for
     * OffsetDelete: sorted, unique; subs_known = 0 means "unknown: assume all" */
    char **subs;
    int nsubs;
    int subs_known;
    /* committed offsets */
    gtopic *topics; /* sorted by name */
    int ntopics, topics_cap;
    int64_t last_commit_ts; /* wall ms, 0 = never */
    int inflight;           /* store writes referring to this group */
    int dead;
    struct group *hnext;
} group;

struct rn_group_coord {
    rn_group_config cfg;
    rn_offsets *store;
    group **buckets; /* chained hash table by id; from malloc() */
    size_t nbuckets;
    int ngroups;
    int shutting_down;
    int64_t next_retention_check; /* mono ms */
};

int64_t rn_group__mono(rn_group_coord *c);
int64_t rn_group__wall(rn_group_coord *c);

/* Group id rules shared by every API: ids containing NUL are refused (never found). */
group *rn_group__find(rn_group_coord *c, rn_kstr id);
group *rn_group__find_c(rn_group_coord *c, const char *id);
/* Creates an Empty group (generation given). NULL on OOM. */
group *rn_group__create(rn_group_coord *c, const char *id, size_t len, int32_t generation);
/* Takes g out of the table (Dead); frees it now unless store writes still refer to it. */
void rn_group__unlink(rn_group_coord *c, group *g);
/* Frees a group's memory (members must have no waiters). */
void rn_group__free(group *g);
/* Releases one store reference; frees a dead group on the last one. */
void rn_group__unref(group *g);

/* Offsets (group_offsets.c). */
void rn_group__offsets_free(group *g);
int rn_group__offset_put(group *g, const char *topic, size_t topic_len, int32_t partition,
                         int64_t offset, int32_t leader_epoch, const char *metadata,
                         size_t metadata_len, int64_t commit_ts);
void rn_group__retention(rn_group_coord *c);
int rn_group__load(rn_group_coord *c, rn_err *err);
/* Queues the group record (fire and forget). */
void rn_group__store_record(rn_group_coord *c, group *g);

/* Member validation shared with OffsetCommit: NONE, UNKNOWN_MEMBER_ID or
 * FENCED_INSTANCE_ID. */
int16_t rn_group__validate_member(group *g, rn_kstr member_id, rn_kstr instance_id, gmember **out);
/* The session timer of m restarts now. */
void rn_group__touch(rn_group_coord *c, gmember *m);

#endif
