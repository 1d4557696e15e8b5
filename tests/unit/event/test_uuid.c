/*
 * tests/unit/event/test_uuid.c - UUIDs: parsing the canonical form (case, versions,
 * variant, nil/max, shape), formatting, v4 and v7 layout, v7's timestamp, and v7
 * monotonicity: within a millisecond, with the clock standing still or going back, on
 * sequence overflow, and across threads sharing one state.
 */
#include "fixture.h"

#include <pthread.h>

static int parse(const char *s, uint8_t u[16], const char **why)
{
    return rn_event_uuid_parse(s, strlen(s), u, why);
}

/* 1 if s matches the canonical lowercase 8-4-4-4-12 shape. */
static int canonical(const char *s)
{
    if (strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

Test(parse, valid_versions_and_cases)
{
    uint8_t u[16];
    const char *ok[] = {
        "c232ab00-9414-11ec-b3c8-9f6bdeced846", /* v1, RFC 9562 appendix A.1 */
        "000003e8-cbb9-21ea-b201-00045a86c8a1", /* v2 */
        "5df41881-3aed-3515-88a7-2f4a814cf09e", /* v3 */
        "919108f7-52d1-4320-9bac-f847db4148a8", /* v4 */
        "2ed6657d-e927-568b-95e1-2665a8aea6a2", /* v5 */
        "1ec9414c-232a-6b00-b3c8-9f6bdeced846", /* v6 */
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398f", /* v7 */
        "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0", /* v8 */
        "017F22E2-79B0-7CC3-98C4-DC0C0C07398F", /* upper case */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_expect_eq(parse(ok[i], u, NULL), RN_OK, "%s", ok[i]);
    cr_assert_eq(parse("017F22E2-79B0-7CC3-98C4-DC0C0C07398F", u, NULL), RN_OK);
    cr_expect_eq(u[0], 0x01);
    cr_expect_eq(u[15], 0x8f);
    cr_expect_eq(rn_event_uuid_version(u), 7);
    cr_expect_eq(rn_event_uuid_v7_time(u), 0x017f22e279b0LL);
    cr_expect_eq(parse("919108f7-52d1-4320-9bac-f847db4148a8", NULL, NULL), RN_OK);
}

Test(parse, invalid)
{
    const char *shape = "must be a UUID: 8-4-4-4-12 hex digits";
    struct {
        const char *s, *why;
    } bad[] = {
        {"", shape},
        {"919108f752d143209bacf847db4148a8", shape},       /* no hyphens */
        {"{919108f7-52d1-4320-9bac-f847db4148a8}", shape}, /* braces */
        {"919108f7-52d1-4320-9bac-f847db4148a", shape},    /* short */
        {"919108f7-52d1-4320-9bac-f847db4148a80", shape},  /* long */
        {"919108f7-52d14-320-9bac-f847db4148a8", shape},   /* hyphen moved */
        {"919108g7-52d1-4320-9bac-f847db4148a8", shape},   /* not hex */
        {"919108f7 52d1-4320-9bac-f847db4148a8", shape},
        {"00000000-0000-0000-0000-000000000000", "is the nil UUID, which identifies nothing"},
        {"ffffffff-ffff-ffff-ffff-ffffffffffff", "is the max UUID, which identifies nothing"},
        {"919108f7-52d1-4320-7bac-f847db4148a8",
         "is not an RFC 9562 UUID: the variant bits (first hex digit of the 4th group) must be "
         "8, 9, a or b"}, /* NCS variant */
        {"919108f7-52d1-4320-cbac-f847db4148a8",
         "is not an RFC 9562 UUID: the variant bits (first hex digit of the 4th group) must be "
         "8, 9, a or b"}, /* Microsoft variant */
        {"919108f7-52d1-0320-9bac-f847db4148a8",
         "has an undefined UUID version: the first hex digit of the 3rd group must be 1-8"},
        {"919108f7-52d1-9320-9bac-f847db4148a8",
         "has an undefined UUID version: the first hex digit of the 3rd group must be 1-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        cr_expect_eq(parse(bad[i].s, NULL, &why), RN_EINVAL, "%s", bad[i].s);
        cr_expect_str_eq(why ? why : "(null)", bad[i].why, "%s", bad[i].s);
    }
    /* Only len bytes are read. */
    cr_expect_eq(rn_event_uuid_parse("919108f7-52d1-4320-9bac-f847db4148a8xyz", 36, NULL, NULL),
                 RN_OK);
}

Test(format, round_trip)
{
    const char *s = "017f22e2-79b0-7cc3-98c4-dc0c0c07398f";
    uint8_t u[16];
    char out[RN_EVENT_UUID_STRLEN + 1];
    cr_assert_eq(parse("017F22E2-79B0-7CC3-98C4-DC0C0C07398F", u, NULL), RN_OK);
    rn_event_uuid_format(u, out);
    cr_expect_str_eq(out, s);
}

Test(v4, layout_and_uniqueness)
{
    uint8_t a[16], b[16];
    char s[RN_EVENT_UUID_STRLEN + 1];
    rn_err err;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(rn_event_uuid_generate(4, NULL, a, &err), RN_OK);
        cr_expect_eq(rn_event_uuid_version(a), 4);
        cr_expect_eq(a[8] & 0xc0, 0x80);
        rn_event_uuid_format(a, s);
        cr_expect(canonical(s), "%s", s);
        cr_expect_eq(s[14], '4');
        cr_expect(strchr("89ab", s[19]) != NULL, "%s", s);
        cr_expect_eq(parse(s, NULL, NULL), RN_OK);
        if (i) cr_expect_neq(memcmp(a, b, 16), 0);
        memcpy(b, a, 16);
    }
}

Test(v4, other_versions_refused)
{
    uint8_t u[16];
    rn_err err;
    cr_expect_eq(rn_event_uuid_generate(1, NULL, u, &err), RN_EINVAL);
    cr_expect_str_eq(err.msg, "UUID version 1: only 4 and 7 are generated");
    cr_expect_eq(rn_event_uuid_generate(8, NULL, u, &err), RN_EINVAL);
}

Test(v7, layout_and_time)
{
    rn_event_uuid_state st = RN_EVENT_UUID_STATE_INIT;
    uint8_t u[16];
    char s[RN_EVENT_UUID_STRLEN + 1];
    rn_err err;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    cr_assert_eq(rn_event_uuid_generate(7, &st, u, &err), RN_OK);
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t after = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    cr_expect_eq(rn_event_uuid_version(u), 7);
    cr_expect_eq(u[8] & 0xc0, 0x80);
    cr_expect_geq(rn_event_uuid_v7_time(u), before);
    cr_expect_leq(rn_event_uuid_v7_time(u), after + 1);
    rn_event_uuid_format(u, s);
    cr_expect(canonical(s), "%s", s);
    cr_expect_eq(s[14], '7');
    cr_expect_eq(parse(s, NULL, NULL), RN_OK);
}

Test(v7, deterministic_core)
{
    /* RFC 9562 appendix A.6's timestamp 0x017F22E279B0 (Tuesday, 2022-02-22 19:22:22 UTC). */
    rn_event_uuid_state st = RN_EVENT_UUID_STATE_INIT;
    const uint8_t rnd[10] = {0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f};
    uint8_t u[16];
    char s[RN_EVENT_UUID_STRLEN + 1];
    rn_event_uuid_v7_make(&st, 0x017f22e279b0LL, rnd, u);
    rn_event_uuid_format(u, s);
    /* Sequence seed 0x0cc3 & 0x7ff = 0x4c3; rand_b from rnd[2..9] with the variant. */
    cr_expect_str_eq(s, "017f22e2-79b0-74c3-98c4-dc0c0c07398f");
    /* Same millisecond: sequence + 1, whatever the new random seed. */
    const uint8_t rnd2[10] = {0, 0, 0x3f, 1, 2, 3, 4, 5, 6, 7};
    rn_event_uuid_v7_make(&st, 0x017f22e279b0LL, rnd2, u);
    rn_event_uuid_format(u, s);
    cr_expect_str_eq(s, "017f22e2-79b0-74c4-bf01-020304050607");
}

/* Compares UUIDs as unsigned 128-bit big-endian numbers (their sort order). */
static int cmp(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 16);
}

Test(v7, monotonic_within_a_millisecond_and_when_the_clock_goes_back)
{
    rn_event_uuid_state st = RN_EVENT_UUID_STATE_INIT;
    uint8_t prev[16], u[16], rnd[10];
    int64_t clock[] = {1000, 1000, 1000, 999, 500, 1001, 1001, 2000, 1999};
    memset(prev, 0, 16);
    for (size_t i = 0; i < sizeof clock / sizeof clock[0]; i++) {
        for (int k = 0; k < 10; k++)
            rnd[k] = (uint8_t)(0xff - i * 7 - k); /* high seeds: worst case */
        rn_event_uuid_v7_make(&st, clock[i], rnd, u);
        cr_expect_gt(cmp(u, prev), 0, "id %zu not above the previous", i);
        cr_expect_geq(rn_event_uuid_v7_time(u), clock[i] > 1000 ? clock[i] : 1000);
        memcpy(prev, u, 16);
    }
}

Test(v7, sequence_overflow_carries_into_the_timestamp)
{
    rn_event_uuid_state st = RN_EVENT_UUID_STATE_INIT;
    uint8_t prev[16], u[16];
    const uint8_t rnd[10] = {0x07, 0xff}; /* seed 2047, the highest */
    rn_event_uuid_v7_make(&st, 5000, rnd, prev);
    /* 4095 - 2047 = 2048 more fit in the millisecond; the next one moves to 5001. */
    for (int i = 0; i < 2048; i++) {
        rn_event_uuid_v7_make(&st, 5000, rnd, u);
        cr_assert_gt(cmp(u, prev), 0);
        cr_assert_eq(rn_event_uuid_v7_time(u), 5000);
        memcpy(prev, u, 16);
    }
    rn_event_uuid_v7_make(&st, 5000, rnd, u);
    cr_expect_gt(cmp(u, prev), 0);
    cr_expect_eq(rn_event_uuid_v7_time(u), 5001);
    cr_expect_eq(rn_event_uuid_version(u), 7);
    cr_expect_eq(u[8] & 0xc0, 0x80);
}

Test(v7, monotonic_with_the_real_clock)
{
    rn_event_uuid_state st = RN_EVENT_UUID_STATE_INIT;
    uint8_t prev[16], u[16];
    rn_err err;
    cr_assert_eq(rn_event_uuid_generate(7, &st, prev, &err), RN_OK);
    for (int i = 0; i < 100000; i++) {
        cr_assert_eq(rn_event_uuid_generate(7, &st, u, &err), RN_OK);
        cr_assert_gt(cmp(u, prev), 0, "id %d not above the previous", i);
        memcpy(prev, u, 16);
    }
    /* The process-wide default state is monotonic too. */
    cr_assert_eq(rn_event_uuid_generate(7, NULL, prev, &err), RN_OK);
    for (int i = 0; i < 10000; i++) {
        cr_assert_eq(rn_event_uuid_generate(7, NULL, u, &err), RN_OK);
        cr_assert_gt(cmp(u, prev), 0);
        memcpy(prev, u, 16);
    }
}

#define NTHREADS   4
#define PER_THREAD 20000

typedef struct worker {
    rn_event_uuid_state *st;
    uint8_t (*ids)[16];
} worker;

static void *generate_many(void *arg)
{
    worker *w = arg;
    rn_err err;
    for (int i = 0; i < PER_THREAD; i++)
        if (rn_event_uuid_generate(7, w->st, w->ids[i], &err) != RN_OK) return NULL;
    return w;
}

static int cmp_qsort(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

Test(v7, threads_sharing_a_state_get_distinct_increasing_ids)
{
    rn_event_uuid_state st = RN_EVENT_UUID_STATE_INIT;
    uint8_t(*ids)[16] = calloc(NTHREADS * PER_THREAD, 16);
    cr_assert_not_null(ids);
    pthread_t t[NTHREADS];
    worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){&st, ids + i * PER_THREAD};
        cr_assert_eq(pthread_create(&t[i], NULL, generate_many, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_assert_not_null(r);
        /* Each thread sees its own ids increase. */
        for (int k = 1; k < PER_THREAD; k++)
            cr_assert_gt(cmp(ids[i * PER_THREAD + k], ids[i * PER_THREAD + k - 1]), 0);
    }
    /* And no id is handed out twice. */
    qsort(ids, NTHREADS * PER_THREAD, 16, cmp_qsort);
    for (int k = 1; k < NTHREADS * PER_THREAD; k++)
        cr_assert_neq(cmp(ids[k], ids[k - 1]), 0);
    free(ids);
}
