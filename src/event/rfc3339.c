/*
 * event/rfc3339.c - RFC 3339 date-times for eventTime: a strict parser (the format the
 * guidelines use, "2025-10-20T10:00:00Z", with optional fraction and numeric offsets) and
 * a formatter for UTC with milliseconds.
 *
 * Hand-written rather than strptime/timegm: those depend on the locale and TZ, accept
 * more than RFC 3339 (no calendar check, optional fields), are not all thread-safe, and
 * cannot be pointed at a length-delimited string. The calendar arithmetic is Howard
 * Hinnant's days_from_civil / civil_from_days (public domain), exact for any year.
 * Layer: pure functions; no allocation, no state.
 */
#include "event/event_int.h"

#include <stdint.h>

#define MS_PER_DAY INT64_C(86400000)

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dim[m - 1];
}

/* Reads n decimal digits at s[*i]; -1 if one is not a digit. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9') return -1;
        v = v * 10 + (s[*i] - '0');
    }
    return v;
}

/* Two decimal digits at p, or -1. */
static inline int two_digits(const char *p)
{
    unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
    if (a > 9 || b > 9) return -1;
    return (int)(a * 10 + b);
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c) return 0;
    (*i)++;
    return 1;
}

static int fail(const char **why, const char *reason)
{
    if (why) *why = reason;
    return RN_EINVAL;
}

int rn_event_time_parse(const char *s, size_t len, int64_t *unix_ms, const char **why)
{
    static const char shape[] = "must look like 2025-10-20T10:00:00Z or "
                                "2025-10-20T12:00:00.123+02:00 (RFC 3339)";
    /* "YYYY-MM-DDTHH:MM:SS" is 19 bytes at fixed places; anything else there has the
     * wrong shape. */
    if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return fail(why, shape);
    int y1 = two_digits(s), y2 = two_digits(s + 2), mon = two_digits(s + 5),
        day = two_digits(s + 8), hour = two_digits(s + 11), min = two_digits(s + 14),
        sec = two_digits(s + 17);
    if ((y1 | y2 | mon | day | hour | min | sec) < 0) return fail(why, shape);
    int year = y1 * 100 + y2;
    size_t i = 19;

    int ms = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t nd = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (nd < 3) ms = ms * 10 + (s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0) return fail(why, "needs digits after the '.' of the fraction");
        for (; nd < 3; nd++)
            ms *= 10;
    }

    int off_min = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int oh = digits(s, len, &i, 2);
        if (oh < 0 || !expect(s, len, &i, ':')) return fail(why, shape);
        int om = digits(s, len, &i, 2);
        if (om < 0) return fail(why, shape);
        if (oh > 23) return fail(why, "offset hour must be 00-23");
        if (om > 59) return fail(why, "offset minute must be 00-59");
        off_min = sign * (oh * 60 + om);
    } else {
        return fail(why, "needs a time zone: Z or an offset such as +02:00");
    }
    if (i != len) return fail(why, shape);

    if (mon < 1 || mon > 12) return fail(why, "month must be 01-12");
    if (day < 1 || (unsigned)day > days_in_month((unsigned)year, (unsigned)mon))
        return fail(why, "day does not exist in that month");
    if (hour > 23) return fail(why, "hour must be 00-23");
    if (min > 59) return fail(why, "minute must be 00-59");
    if (sec > 60) return fail(why, "second must be 00-59 (60 only in a leap second)");
    if (sec == 60) {
        /* A leap second is inserted at 23:59:60 UTC only. */
        int utc_min = ((hour * 60 + min - off_min) % 1440 + 1440) % 1440;
        if (utc_min != 23 * 60 + 59)
            return fail(why, "second 60 (a leap second) is only valid at 23:59:60 UTC");
    }
    if (unix_ms) {
        int64_t days = days_from_civil(year, (unsigned)mon, (unsigned)day);
        *unix_ms = days * MS_PER_DAY +
                   ((int64_t)hour * 3600 + (int64_t)min * 60 + sec - (int64_t)off_min * 60) * 1000 +
                   ms;
    }
    return RN_OK;
}

int rn_event_time_format(int64_t unix_ms, char out[RN_EVENT_TIME_STRLEN + 1])
{
    static const int64_t lo = INT64_C(-62167219200000); /* 0000-01-01T00:00:00Z */
    static const int64_t hi = INT64_C(253402300800000); /* 10000-01-01T00:00:00Z */
    if (unix_ms < lo || unix_ms >= hi) {
        out[0] = '\0';
        return RN_ERANGE;
    }
    int64_t days = unix_ms >= 0 ? unix_ms / MS_PER_DAY : -((-unix_ms - 1) / MS_PER_DAY) - 1;
    int64_t rem = unix_ms - days * MS_PER_DAY; /* 0 .. MS_PER_DAY-1 */
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    unsigned v[7] = {(unsigned)y,
                     m,
                     d,
                     (unsigned)(rem / 3600000),
                     (unsigned)(rem / 60000 % 60),
                     (unsigned)(rem / 1000 % 60),
                     (unsigned)(rem % 1000)};
    /* "YYYY-MM-DDTHH:MM:SS.mmmZ", filled by hand: snprintf's %d cannot prove to the
     * compiler that the fields fit, and this is on the hot path of new events. */
    static const unsigned char width[7] = {4, 2, 2, 2, 2, 2, 3};
    static const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
    char *p = out;
    for (int f = 0; f < 7; f++) {
        for (int k = width[f] - 1; k >= 0; k--) {
            p[k] = (char)('0' + v[f] % 10);
            v[f] /= 10;
        }
        p += width[f];
        *p++ = sep[f];
    }
    *p = '\0';
    return RN_OK;
}
