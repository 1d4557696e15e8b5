/*
 * tests/fuzz/fuzz_kafka_request.c - libFuzzer target for the Kafka wire codec
 * (src/kafka/msg/): the input is a request frame body (request header + API body), as
 * net/ hands it to the Kafka layer after the int32 size prefix.
 *
 * Owns these checks, besides "no crash, no leak, no UB":
 *   - the header version is picked from api_key/api_version as the broker does, then the
 *     body goes through rn_kmsg_request_decode_any;
 *   - whatever decodes must re-encode (RN_OK), and that encoding must decode again,
 *     consuming every byte, and re-encode to identical bytes: the codec is a fixed point
 *     after one pass (unknown tags and default-valued tags drop out in the first pass);
 *   - the body is also fed to the response decoder of the same key, so response decoders
 *     (used by tests and tools) get fuzzed too.
 * A violated check calls abort(), which libFuzzer and the replay runner report.
 */
#include "kafka/msg/kmsg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fixed_point(const rn_kmsg_desc *d, int16_t v, const void *msg, rn_arena *a)
{
    rn_buf b1 = {0}, b2 = {0};
    rn_err err;
    rn_reader r;

    if (d->encode(&b1, v, msg) != RN_OK) abort();
    void *again = rn_arena_alloc(a, d->root->size);
    if (!again) abort();
    /* An empty encoding leaves b1.p NULL, and NULL + 0 is undefined. */
    rn_reader_init(&r, b1.p ? b1.p : (const uint8_t *)"", b1.len);
    if (d->decode(&r, v, a, again, &err) != RN_OK || rn_reader_left(&r) != 0) abort();
    if (d->encode(&b2, v, again) != RN_OK || b1.len != b2.len) abort();
    if (b1.len && memcmp(b1.p, b2.p, b1.len) != 0) abort();
    rn_buf_fini(&b1);
    rn_buf_fini(&b2);
}

/* Decodes the body with d (if known) and checks the round trip of what decodes. */
static void body(const rn_kmsg_desc *d, int16_t v, rn_reader r, rn_arena *a)
{
    rn_err err;
    if (!d) return;
    void *msg = rn_arena_alloc(a, d->root->size);
    if (msg && d->decode(&r, v, a, msg, &err) == RN_OK) check_fixed_point(d, v, msg, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rn_arena a = {0};
    rn_err err;
    rn_reader r;
    rn_kmsg_request_header h;

    if (size < 4) return 0;
    /* The header version depends on the API and version it announces (librdkafka and
     * Kafka read these two int16s first, too). */
    int16_t key = (int16_t)rn_be16_load(data);
    int16_t ver = (int16_t)rn_be16_load(data + 2);
    int16_t hv = (int16_t)rn_kmsg_request_header_version(key, ver);

    rn_reader_init(&r, data, size);
    if (rn_kmsg_request_header_decode(&r, hv, &a, &h, &err) == RN_OK) {
        if (h.request_api_key != key || h.request_api_version != ver) abort();
        check_fixed_point(rn_kmsg_desc_by_name("RequestHeader"), hv, &h, &a);
        rn_reader at_body = r;
        int rc = rn_kmsg_request_decode_any(&r, key, ver, &a, &err);
        if (rc != RN_OK && rc != RN_EPROTO && rc != RN_ENOTFOUND) abort();
        if ((rc == RN_ENOTFOUND) != (rn_kmsg_request_desc(key) == NULL)) abort();
        body(rn_kmsg_request_desc(key), ver, at_body, &a);
        body(rn_kmsg_response_desc(key), ver, at_body, &a);
    }
    rn_arena_fini(&a);
    return 0;
}
