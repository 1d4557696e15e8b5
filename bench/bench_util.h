/*
 * bench_util.h - helpers shared by the benchmark clients in bench/: the monotonic clock,
 * the 1 KiB JSON event every system is sent, and percentiles over latency samples.
 * Header-only so each client stays one `gcc -O2 file.c` away.
 */
#ifndef RN_BENCH_UTIL_H
#define RN_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Fill buf with one single-line JSON event of exactly `size` bytes (no NUL counted, no
 * newline): a fixed header, then the "data" string padded with 'x' to the size. Sizes
 * below the fixed part get plain 'x' padding. The same bytes go to Runnel, NATS and Redis.
 */
static inline void bench_payload(char *buf, size_t size)
{
    static const char head[] = "{\"event_id\":\"0b7e4d52-8a1f-4c3b-9d2e-5f6a7b8c9d01\","
                               "\"type\":\"order.created\",\"ts\":\"2026-11-27T21:00:00.000Z\","
                               "\"source\":\"runnel-bench\",\"data\":\"";
    static const char tail[] = "\"}";
    size_t h = sizeof(head) - 1, t = sizeof(tail) - 1;
    if (size < h + t) {
        memset(buf, 'x', size);
        return;
    }
    memcpy(buf, head, h);
    memset(buf + h, 'x', size - h - t);
    memcpy(buf + size - t, tail, t);
}

static int bench_cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sort v[0..n) in place; bench_pct() then reads percentile p (0..1) of it, 0 when empty. */
static inline void bench_sort(double *v, size_t n)
{
    qsort(v, n, sizeof(double), bench_cmpd);
}

static inline double bench_pct(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    return sorted[(size_t)(p * (double)(n - 1))];
}

#endif
