/*
 * tests/fuzz/fuzz_group_requests.c - libFuzzer target for the decoders the group
 * coordinator's handlers use (src/kafka/msg/): JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups,
 * DeleteGroups request bodies, and the member payloads the coordinator parses itself:
 * ConsumerProtocolSubscription (JoinGroup metadata, for OffsetDelete's subscribed-topic
 * check) and ConsumerProtocolAssignment (SyncGroup assignments, as tools decode them).
 *
 * Input: byte 0 picks the message (modulo the table below), byte 1 the version (modulo
 * the codec's whole range, so flexible versions beyond what we advertise are fuzzed too);
 * the rest is the body. For the ConsumerProtocol payloads the body starts with the int16
 * version as members send it, and the decoder runs at that version clamped to 0..3, as
 * group.c does.
 *
 * Checks, besides "no crash, no leak, no UB": whatever decodes must re-encode, and that
 * encoding must decode again consuming every byte and re-encode to identical bytes (the
 * same fixed-point rule as fuzz_kafka_request). A violated check calls abort().
 *
 * Seeds (tests/fuzz/corpus/fuzz_group_requests/): request bodies captured from kcat,
 * confluent-kafka, kafka-python and kafkajs against the broker, named after the client,
 * API and version.
 */
#include "kafka/msg/kmsg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const messages[] = {
    "JoinGroupRequest",
    "SyncGroupRequest",
    "HeartbeatRequest",
    "LeaveGroupRequest",
    "OffsetCommitRequest",
    "OffsetFetchRequest",
    "OffsetDeleteRequest",
    "DescribeGroupsRequest",
    "ListGroupsRequest",
    "DeleteGroupsRequest",
    "ConsumerProtocolSubscription",
    "ConsumerProtocolAssignment",
};
#define NMESSAGES     ((int)(sizeof messages / sizeof messages[0]))
#define FIRST_PAYLOAD 10 /* messages[10..] carry their own int16 version */

static void check_fixed_point(const rn_kmsg_desc *d, int16_t v, const void *msg, rn_arena *a)
{
    rn_buf b1 = {0}, b2 = {0};
    rn_err err;
    rn_reader r;
    if (d->encode(&b1, v, msg) != RN_OK) abort();
    void *again = rn_arena_alloc(a, d->root->size);
    if (!again) abort();
    rn_reader_init(&r, b1.p, b1.len);
    if (d->decode(&r, v, a, again, &err) != RN_OK || rn_reader_left(&r) != 0) abort();
    if (d->encode(&b2, v, again) != RN_OK || b1.len != b2.len) abort();
    if (b1.len && memcmp(b1.p, b2.p, b1.len) != 0) abort();
    rn_buf_fini(&b1);
    rn_buf_fini(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int which = data[0] % NMESSAGES;
    const rn_kmsg_desc *d = rn_kmsg_desc_by_name(messages[which]);
    if (!d) abort(); /* the codec lost a message this target covers */
    rn_reader r;
    rn_reader_init(&r, data + 2, size - 2);
    int16_t v;
    if (which >= FIRST_PAYLOAD) {
        v = rn_rd_i16(&r);
        if (r.err || v < 0) return 0;
        if (v > d->max_version) v = d->max_version;
    } else {
        int span = d->max_version - d->min_version + 1;
        v = (int16_t)(d->min_version + data[1] % span);
    }
    rn_arena a = {0};
    rn_err err;
    void *msg = rn_arena_alloc(&a, d->root->size);
    if (!msg) abort();
    int rc = d->decode(&r, v, &a, msg, &err);
    if (rc != RN_OK && rc != RN_EPROTO && rc != RN_ENOMEM) abort();
    if (rc == RN_OK) check_fixed_point(d, v, msg, &a);
    rn_arena_fini(&a);
    return 0;
}
