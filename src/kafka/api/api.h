/*
 * kafka/api/api.h - the Kafka protocol front end: per-connection request pipeline
 * (header decoding, version checks, in-order responses) and one handler per API key.
 *
 * Layer: called by cli/cmd_serve (through rn_kafka_*); calls net/, kafka/msg, kafka/record,
 *   broker/ and log/.
 * Ordering: Kafka answers the requests of one connection in the order they were sent.
 *   Every request gets a slot in its connection's FIFO when it arrives; handlers may finish
 *   later (acks=all waits for fsync, Fetch long-polls), and responses leave in FIFO order.
 * Ownership: a request owns its frame (from net/) and its arena until it is finished, so
 *   decoded views stay valid while a request is parked.
 * Threads: loop thread only.
 */
#ifndef RN_KAFKA_API_API_H
#define RN_KAFKA_API_API_H

#include "broker/broker.h"
#include "common/arena.h"
#include "common/buf.h"
#include "kafka/msg/kmsg.h"
#include "net/net.h"

#include <stdint.h>
#include <uv.h>

typedef struct rn_kafka rn_kafka;
typedef struct rn_kconn rn_kconn;
typedef struct rn_kreq rn_kreq;

struct rn_kreq {
    rn_kafka *k;
    rn_kconn *kc;   /* the connection's state (outlives the socket while we pend) */
    uint8_t *frame; /* from malloc() (net/), owned */
    size_t len;
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    rn_kstr client_id;   /* view into frame */
    rn_reader body;      /* positioned at the request body */
    rn_arena arena;      /* request-scoped allocations */
    rn_buf resp;         /* 4-byte size, response header, then the body */
    int64_t received_us; /* monotonic, for latency metrics */
    int done;            /* the response is complete (or none is due) */
    int no_response;     /* acks=0 Produce: nothing is written back */
    rn_kreq *next;       /* FIFO of the connection */
    /* Parking (long-poll): cancel is called if the connection goes away while parked. */
    void (*cancel)(rn_kreq *req);
    void *park; /* handler-private parked state (arena memory) */
};

/* Creates the Kafka front end for broker b. Returns handlers for rn_listener_open via
 * rn_kafka_net_handlers(). */
int rn_kafka_new(rn_broker *b, rn_kafka **out, rn_err *err);
/* Cancels parked requests (answering them), then frees. Call after the listener closed. */
void rn_kafka_free(rn_kafka *k);
const rn_net_handlers *rn_kafka_net_handlers(void);
/* Requests received but not yet answered, over all connections. */
int rn_kafka_pending(const rn_kafka *k);

/* ---------------------------------------------------------------- for handlers */

rn_broker *rn_kreq_broker(rn_kreq *req);

/* Finishes a request whose body has been encoded into req->resp (after the header that
 * dispatch wrote). Queues it; writes every finished response at the head of the FIFO. */
void rn_kreq_respond(rn_kreq *req);
/* Finishes a request that gets no response (acks=0). */
void rn_kreq_no_response(rn_kreq *req);
/* The request was bad: logs reason with the peer and closes the connection. */
void rn_kreq_fail(rn_kreq *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Truncates req->resp back to just after the response header (to re-encode a body). */
void rn_kreq_reset_body(rn_kreq *req);
/* The peer, for log lines. */
const char *rn_kreq_peer(const rn_kreq *req);

/* Fetch long-poll machinery (api_fetch.c): the parked fetches of one rn_kafka and their
 * timer. new returns NULL on OOM. shutdown answers every parked fetch now, makes later
 * fetches answer at once, and closes the timer; a second call does nothing. free shuts
 * down if that was not done, and frees now if the loop has already closed the timer, else
 * when it does. */
typedef struct rn_fetch_waiters rn_fetch_waiters;
rn_fetch_waiters *rn_kafka_fetch_new(uv_loop_t *loop);
void rn_kafka_fetch_shutdown(rn_fetch_waiters *w);
void rn_kafka_fetch_free(rn_fetch_waiters *w);
/* The rn_kafka's parked fetches (dispatch.c). */
rn_fetch_waiters *rn_kafka_fetch_waiters(rn_kafka *k);
/* Answers parked requests at once (graceful shutdown); new fetches no longer wait. */
void rn_kafka_shutdown(rn_kafka *k);

/* Fetch long-poll integration: wake parked fetches interested in (topic, partition). */
void rn_kafka_notify_append(rn_kafka *k, rn_topic *t, int32_t partition);

/* Handlers, one per API key (kafka/api/api_*.c). Each decodes req->body at
 * req->api_version, does the work, encodes the response and calls rn_kreq_respond (now or
 * later), or rn_kreq_fail. */
typedef void (*rn_kafka_handler)(rn_kreq *req);
void rn_kafka_handle_api_versions(rn_kreq *req);
void rn_kafka_handle_metadata(rn_kreq *req);
void rn_kafka_handle_produce(rn_kreq *req);
void rn_kafka_handle_fetch(rn_kreq *req);
void rn_kafka_handle_list_offsets(rn_kreq *req);
void rn_kafka_handle_create_topics(rn_kreq *req);
void rn_kafka_handle_delete_topics(rn_kreq *req);
void rn_kafka_handle_create_partitions(rn_kreq *req);
void rn_kafka_handle_delete_records(rn_kreq *req);
void rn_kafka_handle_describe_configs(rn_kreq *req);
void rn_kafka_handle_alter_configs(rn_kreq *req);
void rn_kafka_handle_incremental_alter_configs(rn_kreq *req);
void rn_kafka_handle_find_coordinator(rn_kreq *req);
void rn_kafka_handle_offset_for_leader_epoch(rn_kreq *req);
void rn_kafka_handle_init_producer_id(rn_kreq *req);
/* Consumer groups (api_group.c) and committed offsets (api_offsets.c). */
void rn_kafka_handle_join_group(rn_kreq *req);
void rn_kafka_handle_sync_group(rn_kreq *req);
void rn_kafka_handle_heartbeat(rn_kreq *req);
void rn_kafka_handle_leave_group(rn_kreq *req);
void rn_kafka_handle_describe_groups(rn_kreq *req);
void rn_kafka_handle_list_groups(rn_kreq *req);
void rn_kafka_handle_delete_groups(rn_kreq *req);
void rn_kafka_handle_offset_commit(rn_kreq *req);
void rn_kafka_handle_offset_fetch(rn_kreq *req);
void rn_kafka_handle_offset_delete(rn_kreq *req);

/* The advertised version range of every implemented API (ApiVersions lists this). */
typedef struct rn_kafka_api_entry {
    int16_t key;
    int16_t min_version; /* advertised */
    int16_t max_version;
    int16_t min_handled; /* lowest version actually served (Produce: 3) */
    rn_kafka_handler handler;
} rn_kafka_api_entry;
const rn_kafka_api_entry *rn_kafka_api_table(int *n);

/* Kafka error codes used by handlers. */
enum {
    RN_KERR_UNKNOWN_SERVER_ERROR = -1,
    RN_KERR_NONE = 0,
    RN_KERR_OFFSET_OUT_OF_RANGE = 1,
    RN_KERR_CORRUPT_MESSAGE = 2,
    RN_KERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    RN_KERR_INVALID_FETCH_SIZE = 4,
    RN_KERR_LEADER_NOT_AVAILABLE = 5,
    RN_KERR_REQUEST_TIMED_OUT = 7,
    RN_KERR_MESSAGE_TOO_LARGE = 10,
    RN_KERR_INVALID_TOPIC_EXCEPTION = 17,
    RN_KERR_RECORD_LIST_TOO_LARGE = 18,
    RN_KERR_INVALID_REQUIRED_ACKS = 21,
    RN_KERR_INVALID_TIMESTAMP = 32,
    RN_KERR_UNSUPPORTED_VERSION = 35,
    RN_KERR_TOPIC_ALREADY_EXISTS = 36,
    RN_KERR_INVALID_PARTITIONS = 37,
    RN_KERR_INVALID_REPLICATION_FACTOR = 38,
    RN_KERR_INVALID_REQUEST = 42,
    RN_KERR_POLICY_VIOLATION = 44,
    RN_KERR_INVALID_CONFIG = 40,
    RN_KERR_KAFKA_STORAGE_ERROR = 56,
    RN_KERR_UNSUPPORTED_COMPRESSION_TYPE = 76,
    RN_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
    RN_KERR_INVALID_PRODUCER_EPOCH = 47,
    RN_KERR_INVALID_RECORD = 87,
};

/* Maps a Kafka error code to its name ("CORRUPT_MESSAGE"). */
const char *rn_kafka_err_name(int16_t code);

#endif
