/*
 * tests/unit/producer/test_pidmap.c - idempotent-producer state rules (spec §6).
 */
#include "producer/pidmap.h"

#include <criterion/criterion.h>
#include <stdint.h>

Test(pidmap, unknown_producer_accepts_any_sequence)
{
    rn_pidmap *m = rn_pidmap_new();
    int64_t dup = -1;
    cr_assert_eq(rn_pidmap_check(m, 7, 0, 42, 9, &dup), RN_PID_ACCEPT);
    rn_pidmap_free(m);
}

Test(pidmap, in_sequence_then_gap)
{
    rn_pidmap *m = rn_pidmap_new();
    int64_t dup = -1;
    cr_assert_eq(rn_pidmap_record(m, 7, 0, 0, 9, 100), 0); /* seq 0..9 at offset 100 */
    cr_assert_eq(rn_pidmap_check(m, 7, 0, 10, 4, &dup), RN_PID_ACCEPT);
    cr_assert_eq(rn_pidmap_check(m, 7, 0, 11, 4, &dup), RN_PID_OUT_OF_ORDER);
    cr_assert_eq(rn_pidmap_check(m, 7, 0, 5, 4, &dup), RN_PID_OUT_OF_ORDER);
    rn_pidmap_free(m);
}

Test(pidmap, retry_of_last_five_batches_is_duplicate_with_original_offset)
{
    rn_pidmap *m = rn_pidmap_new();
    int64_t dup = -1;
    for (int i = 0; i < 8; i++) /* batches of 10 records: seq 10i..10i+9 at offset 1000+10i */
        cr_assert_eq(rn_pidmap_record(m, 3, 1, i * 10, 9, 1000 + i * 10), 0);
    for (int i = 3; i < 8; i++) {
        cr_assert_eq(rn_pidmap_check(m, 3, 1, i * 10, 9, &dup), RN_PID_DUPLICATE);
        cr_assert_eq(dup, 1000 + i * 10);
    }
    /* older than the cached five: a sequence error, not a silent duplicate */
    cr_assert_eq(rn_pidmap_check(m, 3, 1, 20, 9, &dup), RN_PID_OUT_OF_ORDER);
    cr_assert_eq(rn_pidmap_check(m, 3, 1, 80, 9, &dup), RN_PID_ACCEPT);
    rn_pidmap_free(m);
}

Test(pidmap, epochs)
{
    rn_pidmap *m = rn_pidmap_new();
    int64_t dup = -1;
    cr_assert_eq(rn_pidmap_record(m, 9, 2, 0, 0, 5), 0);
    cr_assert_eq(rn_pidmap_check(m, 9, 1, 1, 0, &dup), RN_PID_FENCED);
    cr_assert_eq(rn_pidmap_check(m, 9, 3, 0, 0, &dup), RN_PID_ACCEPT);
    cr_assert_eq(rn_pidmap_check(m, 9, 3, 1, 0, &dup), RN_PID_OUT_OF_ORDER);
    cr_assert_eq(rn_pidmap_record(m, 9, 3, 0, 0, 6), 0);
    cr_assert_eq(rn_pidmap_check(m, 9, 3, 1, 0, &dup), RN_PID_ACCEPT);
    /* the old epoch's batches are forgotten */
    cr_assert_eq(rn_pidmap_check(m, 9, 2, 0, 0, &dup), RN_PID_FENCED);
    rn_pidmap_free(m);
}

Test(pidmap, sequence_wraps_at_int32_max)
{
    rn_pidmap *m = rn_pidmap_new();
    int64_t dup = -1;
    cr_assert_eq(rn_pidmap_record(m, 1, 0, INT32_MAX - 4, 4, 50), 0); /* ends at INT32_MAX */
    cr_assert_eq(rn_pidmap_check(m, 1, 0, 0, 3, &dup), RN_PID_ACCEPT);
    cr_assert_eq(rn_pidmap_record(m, 1, 0, INT32_MAX - 1, 3, 60), 0); /* wraps: ..MAX,0,1 */
    cr_assert_eq(rn_pidmap_check(m, 1, 0, 2, 0, &dup), RN_PID_ACCEPT);
    rn_pidmap_free(m);
}

Test(pidmap, many_producers)
{
    rn_pidmap *m = rn_pidmap_new();
    int64_t dup = -1;
    for (int64_t p = 0; p < 5000; p++)
        cr_assert_eq(rn_pidmap_record(m, p, 0, 0, 0, p), 0);
    cr_assert_eq(rn_pidmap_count(m), 5000);
    for (int64_t p = 0; p < 5000; p++) {
        cr_assert_eq(rn_pidmap_check(m, p, 0, 0, 0, &dup), RN_PID_DUPLICATE);
        cr_assert_eq(dup, p);
    }
    rn_pidmap_free(m);
}
