/*
 * tests/unit/event/test_time.c - RFC 3339 eventTime: parsing (fractions, offsets, case,
 * the calendar with leap years, leap seconds, every malformed shape) and formatting
 * (UTC with milliseconds, before 1970, the year range), and their round trip.
 */
#include "fixture.h"

static int64_t ms_of(const char *s)
{
    int64_t ms = -1;
    const char *why = NULL;
    int rc = rn_event_time_parse(s, strlen(s), &ms, &why);
    cr_assert_eq(rc, RN_OK, "%s: %s", s, why ? why : "?");
    return ms;
}

static const char *why_of(const char *s)
{
    const char *why = NULL;
    cr_expect_eq(rn_event_time_parse(s, strlen(s), NULL, &why), RN_EINVAL, "%s parsed", s);
    return why ? why : "(none)";
}

Test(parse, instants)
{
    cr_expect_eq(ms_of("1970-01-01T00:00:00Z"), 0);
    cr_expect_eq(ms_of("2025-10-20T10:00:00Z"), 1760954400000LL);
    cr_expect_eq(ms_of("2025-10-20T12:00:00+02:00"), 1760954400000LL);
    cr_expect_eq(ms_of("2025-10-20T05:30:00-04:30"), 1760954400000LL);
    cr_expect_eq(ms_of("2025-10-20T10:00:00-00:00"), 1760954400000LL);
    cr_expect_eq(ms_of("2025-10-20t10:00:00z"), 1760954400000LL);
    cr_expect_eq(ms_of("2025-10-20T10:00:00.5Z"), 1760954400500LL);
    cr_expect_eq(ms_of("2025-10-20T10:00:00.12Z"), 1760954400120LL);
    cr_expect_eq(ms_of("2025-10-20T10:00:00.123Z"), 1760954400123LL);
    cr_expect_eq(ms_of("2025-10-20T10:00:00.123999999999Z"), 1760954400123LL); /* truncated */
    cr_expect_eq(ms_of("1969-12-31T23:59:59.999Z"), -1);
    cr_expect_eq(ms_of("0000-01-01T00:00:00Z"), -62167219200000LL);
    cr_expect_eq(ms_of("9999-12-31T23:59:59.999Z"), 253402300799999LL);
    /* Offsets can cross the date line. */
    cr_expect_eq(ms_of("2025-01-01T00:30:00+01:00"), ms_of("2024-12-31T23:30:00Z"));
}

Test(parse, calendar)
{
    ms_of("2024-02-29T00:00:00Z"); /* leap year */
    ms_of("2000-02-29T00:00:00Z"); /* divisible by 400 */
    cr_expect_str_eq(why_of("1900-02-29T00:00:00Z"), "day does not exist in that month");
    cr_expect_str_eq(why_of("2025-02-29T00:00:00Z"), "day does not exist in that month");
    cr_expect_str_eq(why_of("2025-04-31T00:00:00Z"), "day does not exist in that month");
    cr_expect_str_eq(why_of("2025-01-00T00:00:00Z"), "day does not exist in that month");
    ms_of("2025-01-31T00:00:00Z");
    ms_of("2025-12-31T23:59:59Z");
    cr_expect_str_eq(why_of("2025-00-10T00:00:00Z"), "month must be 01-12");
    cr_expect_str_eq(why_of("2025-13-10T00:00:00Z"), "month must be 01-12");
    cr_expect_str_eq(why_of("2025-01-10T24:00:00Z"), "hour must be 00-23");
    cr_expect_str_eq(why_of("2025-01-10T23:60:00Z"), "minute must be 00-59");
    cr_expect_str_eq(why_of("2025-01-10T23:59:61Z"),
                     "second must be 00-59 (60 only in a leap second)");
}

Test(parse, leap_seconds)
{
    cr_expect_eq(ms_of("2016-12-31T23:59:60Z"), ms_of("2017-01-01T00:00:00Z"));
    ms_of("2016-12-31T23:59:60.5Z");
    ms_of("2017-01-01T00:59:60+01:00"); /* 23:59:60 UTC */
    ms_of("2016-12-31T15:59:60-08:00");
    const char *only = "second 60 (a leap second) is only valid at 23:59:60 UTC";
    cr_expect_str_eq(why_of("2016-12-31T22:59:60Z"), only);
    cr_expect_str_eq(why_of("2016-12-31T23:59:60+01:00"), only);
}

Test(parse, malformed)
{
    const char *shape = "must look like 2025-10-20T10:00:00Z or 2025-10-20T12:00:00.123+02:00 "
                        "(RFC 3339)";
    const char *bad[] = {"",
                         "2025",
                         "2025-10-20",
                         "2025-10-20 10:00:00Z",
                         "2025-10-20_10:00:00Z",
                         "25-10-20T10:00:00Z",
                         "2025-1-20T10:00:00Z",
                         "2025-10-20T10:00Z",
                         "2025-10-20T10:00:00ZZ",
                         "2025-10-20T10:00:00+0200",
                         "2025-10-20T10:00:00+02",
                         " 2025-10-20T10:00:00Z",
                         "2025-10-20T10:00:00Z ",
                         "+2025-10-20T10:00:00Z",
                         "2025-10-20T1a:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_str_eq(why_of(bad[i]), shape, "[%s]", bad[i]);
    cr_expect_str_eq(why_of("2025-10-20T10:00:00"),
                     "needs a time zone: Z or an offset such as +02:00");
    cr_expect_str_eq(why_of("2025-10-20T10:00:00 Z"),
                     "needs a time zone: Z or an offset such as +02:00");
    cr_expect_str_eq(why_of("2025-10-20T10:00:00.123"),
                     "needs a time zone: Z or an offset such as +02:00");
    cr_expect_str_eq(why_of("2025-10-20T10:00:00.Z"), "needs digits after the '.' of the fraction");
    cr_expect_str_eq(why_of("2025-10-20T10:00:00+24:00"), "offset hour must be 00-23");
    cr_expect_str_eq(why_of("2025-10-20T10:00:00+02:60"), "offset minute must be 00-59");
    /* Only len bytes are read. */
    cr_expect_eq(rn_event_time_parse("2025-10-20T10:00:00Zjunk", 20, NULL, NULL), RN_OK);
    cr_expect_eq(rn_event_time_parse("2025-10-20T10:00:00Z", 19, NULL, NULL), RN_EINVAL);
}

Test(format, utc_with_milliseconds)
{
    char s[RN_EVENT_TIME_STRLEN + 1];
    cr_assert_eq(rn_event_time_format(0, s), RN_OK);
    cr_expect_str_eq(s, "1970-01-01T00:00:00.000Z");
    cr_assert_eq(rn_event_time_format(1760954400123LL, s), RN_OK);
    cr_expect_str_eq(s, "2025-10-20T10:00:00.123Z");
    cr_assert_eq(rn_event_time_format(-1, s), RN_OK);
    cr_expect_str_eq(s, "1969-12-31T23:59:59.999Z");
    cr_assert_eq(rn_event_time_format(951782400000LL, s), RN_OK);
    cr_expect_str_eq(s, "2000-02-29T00:00:00.000Z");
    cr_assert_eq(rn_event_time_format(-62167219200000LL, s), RN_OK);
    cr_expect_str_eq(s, "0000-01-01T00:00:00.000Z");
    cr_assert_eq(rn_event_time_format(253402300799999LL, s), RN_OK);
    cr_expect_str_eq(s, "9999-12-31T23:59:59.999Z");
    cr_expect_eq(rn_event_time_format(253402300800000LL, s), RN_ERANGE);
    cr_expect_eq(rn_event_time_format(-62167219200001LL, s), RN_ERANGE);
    cr_expect_eq(rn_event_time_format(INT64_MIN, s), RN_ERANGE);
    cr_expect_eq(rn_event_time_format(INT64_MAX, s), RN_ERANGE);
}

Test(format, round_trip_over_many_instants)
{
    char s[RN_EVENT_TIME_STRLEN + 1];
    /* Odd steps of ~114 days (and odd ms) from 1600 to 2400, across every leap rule. */
    for (int64_t ms = -11676096000000LL; ms < 13569465600000LL; ms += 9876543211LL) {
        cr_assert_eq(rn_event_time_format(ms, s), RN_OK);
        cr_assert_eq(strlen(s), RN_EVENT_TIME_STRLEN);
        int64_t back;
        cr_assert_eq(rn_event_time_parse(s, strlen(s), &back, NULL), RN_OK, "%s", s);
        cr_assert_eq(back, ms, "%s", s);
    }
    /* The last ms of every day of 2023 (common year) and 2024 (leap year). */
    for (int64_t day = 19358; day < 19358 + 731; day++) {
        int64_t ms = day * 86400000LL - 1;
        cr_assert_eq(rn_event_time_format(ms, s), RN_OK);
        int64_t back;
        cr_assert_eq(rn_event_time_parse(s, strlen(s), &back, NULL), RN_OK, "%s", s);
        cr_assert_eq(back, ms);
    }
}
