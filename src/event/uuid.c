/*
 * event/uuid.c - UUIDs for eventId (RFC 9562): parsing and checking the canonical text
 * form, and generating version 4 (random) and version 7 (Unix ms time-ordered) ids.
 *
 * Hand-written rather than libuuid: libuuid (util-linux 2.38 in bookworm) has no v7
 * generator, and parsing is 40 lines. Randomness comes from getrandom(2) (the kernel
 * CSPRNG; it blocks only before the pool is first seeded, at boot).
 * UUIDv7 layout (RFC 9562 5.7): unix_ts_ms (48 bits) | ver 0111 | rand_a (12 bits, used
 * as a sequence) | var 10 | rand_b (62 random bits). Monotonicity is RFC 9562 6.2
 * method 1: the 60-bit value (ms << 12 | sequence) of the latest id is kept in an atomic;
 * a new millisecond seeds the sequence randomly below 2048, a repeated (or earlier)
 * millisecond takes last + 1, and a sequence overflow carries into the timestamp.
 * Threads: lock-free (compare-and-swap); the default state is the module's only global.
 */
#include "event/event_int.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static rn_event_uuid_state default_state = RN_EVENT_UUID_STATE_INIT;

/* Hex digit values; 0x10 (a bit no digit has) for every other byte. */
#define X   0x10
#define X16 X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X
static const uint8_t hexv[256] = {
    X16, X16, X16,                                                    /* 0x00-0x2f */
    0,   1,   2,   3,   4,   5,   6,   7,   8,   9, X, X, X, X, X, X, /* 0x30: 0-9 */
    X,   10,  11,  12,  13,  14,  15,  X,   X,   X, X, X, X, X, X, X, /* 0x40: A-F */
    X16,                                                              /* 0x50 */
    X,   10,  11,  12,  13,  14,  15,  X,   X,   X, X, X, X, X, X, X, /* 0x60: a-f */
    X16, X16, X16, X16, X16, X16, X16, X16, X16,                      /* 0x70-0xff */
};
#undef X16
#undef X

/* Where the two hex digits of each byte are in the canonical form. */
static const uint8_t byte_pos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};

int rn_event_uuid_parse(const char *s, size_t len, uint8_t out[16], const char **why)
{
    static const char shape[] = "must be a UUID: 8-4-4-4-12 hex digits";
    uint8_t u[16];
    const char *reason = shape;
    if (len != RN_EVENT_UUID_STRLEN) goto fail;
    /* Straight-line: every digit pair decoded, validity collected, checked once. */
    unsigned dashes = (s[8] != '-') | (s[13] != '-') | (s[18] != '-') | (s[23] != '-');
    unsigned seen = 0; /* every digit's value ORed: bit 4 set if one was not hex */
#pragma GCC unroll 16
    for (int b = 0; b < 16; b++) {
        unsigned hi = hexv[(unsigned char)s[byte_pos[b]]];
        unsigned lo = hexv[(unsigned char)s[byte_pos[b] + 1]];
        seen |= hi | lo;
        u[b] = (uint8_t)(hi << 4 | lo);
    }
    if (dashes || (seen & 0x10)) goto fail;
    uint64_t w0, w1;
    memcpy(&w0, u, 8);
    memcpy(&w1, u + 8, 8);
    if ((w0 | w1) == 0) {
        reason = "is the nil UUID, which identifies nothing";
        goto fail;
    }
    if ((w0 & w1) == UINT64_MAX) {
        reason = "is the max UUID, which identifies nothing";
        goto fail;
    }
    if ((u[8] & 0xc0) != 0x80) {
        reason = "is not an RFC 9562 UUID: the variant bits (first hex digit of the 4th "
                 "group) must be 8, 9, a or b";
        goto fail;
    }
    int ver = u[6] >> 4;
    if (ver < 1 || ver > 8) {
        reason = "has an undefined UUID version: the first hex digit of the 3rd group must "
                 "be 1-8";
        goto fail;
    }
    if (out) memcpy(out, u, 16);
    return RN_OK;
fail:
    if (why) *why = reason;
    return RN_EINVAL;
}

void rn_event_uuid_format(const uint8_t u[16], char out[RN_EVENT_UUID_STRLEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[u[i] >> 4];
        *p++ = hex[u[i] & 15];
    }
    *p = '\0';
}

int rn_event_uuid_version(const uint8_t u[16])
{
    return u[6] >> 4;
}

int64_t rn_event_uuid_v7_time(const uint8_t u[16])
{
    int64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | u[i];
    return ms;
}

void rn_event_uuid_v7_make(rn_event_uuid_state *st, int64_t unix_ms, const uint8_t rnd[10],
                           uint8_t out[16])
{
    if (!st) st = &default_state;
    uint64_t ms = unix_ms < 0 ? 0 : (uint64_t)unix_ms & UINT64_C(0xffffffffffff);
    /* Seed below 2048 so a busy millisecond has at least 2048 ids before it carries. */
    uint64_t cand = ms << 12 | (((uint64_t)rnd[0] << 8 | rnd[1]) & 0x7ff);
    uint64_t last = atomic_load_explicit(&st->last, memory_order_relaxed);
    uint64_t next;
    do {
        next = (cand >> 12) > (last >> 12) ? cand : last + 1;
    } while (!atomic_compare_exchange_weak_explicit(&st->last, &last, next, memory_order_relaxed,
                                                    memory_order_relaxed));
    uint64_t ts = next >> 12;
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(ts >> (40 - 8 * i));
    out[6] = (uint8_t)(0x70 | ((next >> 8) & 0x0f));
    out[7] = (uint8_t)next;
    out[8] = (uint8_t)(0x80 | (rnd[2] & 0x3f));
    memcpy(out + 9, rnd + 3, 7);
}

/* Fills buf with n bytes from the kernel CSPRNG. */
static int random_bytes(uint8_t *buf, size_t n, rn_err *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return rn_err_set(err, RN_EIO, "getrandom: %s", strerror(errno));
        }
        got += (size_t)r;
    }
    return RN_OK;
}

int rn_event_uuid_generate(int version, rn_event_uuid_state *st, uint8_t out[16], rn_err *err)
{
    uint8_t rnd[16];
    int rc;
    if (version == 4) {
        if ((rc = random_bytes(rnd, 16, err)) != RN_OK) return rc;
        memcpy(out, rnd, 16);
        out[6] = (uint8_t)(0x40 | (out[6] & 0x0f));
        out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
        return RN_OK;
    }
    if (version == 7) {
        if ((rc = random_bytes(rnd, 10, err)) != RN_OK) return rc;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        rn_event_uuid_v7_make(st, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, rnd, out);
        return RN_OK;
    }
    return rn_err_set(err, RN_EINVAL, "UUID version %d: only 4 and 7 are generated", version);
}
