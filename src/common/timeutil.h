/*
 * common/timeutil.h - clocks: wall time in ms (Kafka timestamps) and monotonic ms/us.
 */
#ifndef RN_COMMON_TIMEUTIL_H
#define RN_COMMON_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

static inline int64_t rn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t rn_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t rn_mono_ms(void)
{
    return rn_mono_us() / 1000;
}

#endif
