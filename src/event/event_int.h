/*
 * event/event_int.h - helpers shared by the event module's files (envelope.c,
 * naming.c, cloudevents.c, uuid.c, rfc3339.c); not for other modules.
 */
#ifndef RN_EVENT_EVENT_INT_H
#define RN_EVENT_EVENT_INT_H

#include "event/envelope.h"

#include <stddef.h>

/* Longest piece of an input value quoted in an error message; longer ones end in "...". */
#define RN_EVENT_QUOTE_MAX 64

/* Writes s (len bytes) into buf as a double-quoted string for an error message: '"',
 * '\\' and control characters escaped as in JSON, cut at RN_EVENT_QUOTE_MAX bytes (on a
 * UTF-8 character boundary) with "..." appended. buf needs RN_EVENT_QUOTE_MAX * 6 + 8
 * bytes at most; cap limits it. Returns buf. */
#define RN_EVENT_QUOTE_BUF (RN_EVENT_QUOTE_MAX * 6 + 8)
const char *rn_event_str_quote(char *buf, size_t cap, const char *s, size_t len);

/* Writes base + "/" + key (escaped as RFC 6901: "~" -> "~0", "/" -> "~1") into out,
 * cut with "..." if it does not fit RN_EVENT_PATH_MAX. */
void rn_event_ptr_join(char out[RN_EVENT_PATH_MAX], const char *base, const char *key,
                       size_t key_len);

/* The JSON type name used in messages: "object", "array", "string", "number",
 * "boolean" or "null" (integers and reals are both "number"). */
const char *rn_event_json_type_name(const json_t *v);
const char *rn_event_jval_type_name(const rn_jval *v);

/* 1 if s[0..len) is one eventType segment: [a-z][a-z0-9]*(-[a-z0-9]+)*. */
int rn_event_segment_ok(const char *s, size_t len);

/* 1 if s[0..len) is a CloudEvents attribute name: [a-z0-9]+. */
int rn_event_ce_name_ok(const char *s, size_t len);

/* Checks that v (the member at path; NULL if absent) is a non-empty string without
 * U+0000 (jansson documents of the building side; envelope.c has the rn_jval version).
 * required: absence is an error; otherwise absent or null is fine and *s stays NULL.
 * Returns 1 with *s and *len set if v is such a string, else 0 (an error was added unless v
 * was an allowed absence). */
int rn_event_check_string(const json_t *v, const char *path, int required, rn_event_errors *errs,
                          const char **s, size_t *len);

/* jansson's iterators take json_t * even to read; this drops const without a cast that
 * -Wcast-qual flags. The callers only read. */
static inline json_t *rn_event_unconst(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u = {j};
    return u.m;
}

#endif
