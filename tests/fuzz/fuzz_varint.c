/*
 * tests/fuzz/fuzz_varint.c - libFuzzer target for common/buf's varint readers:
 * rn_rd_uvarint (protocol lengths and tags), rn_rd_uvarint32, and the zigzag
 * rn_rd_varint / rn_rd_varlong used inside records.
 *
 * The first byte picks the reader; the rest is read as a sequence of varints until the
 * input ends or a read fails. Every value read must re-encode (rn_buf_put_*) to exactly
 * rn_*_size() bytes, no more than were consumed (a longer input can only be a redundant,
 * non-minimal encoding), and read back to the same value consuming all of it.
 * A violated check calls abort().
 */
#include "common/buf.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const rn_buf *b, size_t want_len, size_t consumed)
{
    if (!rn_buf_ok(b) || b->len != want_len || b->len > consumed) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned mode = data[0] % 4;
    rn_reader r;
    rn_reader_init(&r, data + 1, size - 1);

    while (rn_reader_left(&r) > 0) {
        const uint8_t *at = r.p;
        rn_buf b = {0};
        rn_reader back;
        if (mode == 0) {
            uint64_t v = rn_rd_uvarint(&r);
            if (r.err) break;
            rn_buf_put_uvarint(&b, v);
            check(&b, rn_uvarint_size(v), (size_t)(r.p - at));
            rn_reader_init(&back, b.p, b.len);
            if (rn_rd_uvarint(&back) != v || back.err || rn_reader_left(&back)) abort();
        } else if (mode == 1) {
            uint32_t v = rn_rd_uvarint32(&r);
            if (r.err) break;
            rn_buf_put_uvarint(&b, v);
            check(&b, rn_uvarint_size(v), (size_t)(r.p - at));
            rn_reader_init(&back, b.p, b.len);
            if (rn_rd_uvarint32(&back) != v || back.err || rn_reader_left(&back)) abort();
        } else if (mode == 2) {
            int32_t v = rn_rd_varint(&r);
            if (r.err) break;
            rn_buf_put_varint(&b, v);
            check(&b, rn_varint_size(v), (size_t)(r.p - at));
            rn_reader_init(&back, b.p, b.len);
            if (rn_rd_varint(&back) != v || back.err || rn_reader_left(&back)) abort();
        } else {
            int64_t v = rn_rd_varlong(&r);
            if (r.err) break;
            rn_buf_put_varlong(&b, v);
            check(&b, rn_varlong_size(v), (size_t)(r.p - at));
            rn_reader_init(&back, b.p, b.len);
            if (rn_rd_varlong(&back) != v || back.err || rn_reader_left(&back)) abort();
        }
        rn_buf_fini(&b);
    }
    /* A failed read must not have moved past the end. */
    if (r.p > r.end) abort();
    return 0;
}
