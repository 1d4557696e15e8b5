/*
 * common/json.h - a fast JSON reader that builds jansson documents.
 *
 * jansson's own parser reads byte by byte through a stream abstraction (measured: ~150
 * instructions per byte, 15 µs for a 1 KiB event), which made it 90% of the cost of
 * produce-time validation. This reader lexes with yajl (Debian's libyajl, a table-driven
 * SAX parser that validates UTF-8) and builds the same json_t tree jansson would, so the
 * envelope and JSON Schema validators keep working on jansson values.
 *
 * Semantics match json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES): any
 * JSON value at the top level, no trailing garbage, duplicate object keys and "\u0000"
 * rejected, integers that do not fit in json_int_t rejected, other numbers as reals,
 * nesting limited to 2048 levels.
 * Threads: reentrant; no global state.
 */
#ifndef RN_COMMON_JSON_H
#define RN_COMMON_JSON_H

#include "common/err.h"

#include <jansson.h>
#include <stddef.h>

/* Where and why parsing failed. */
typedef struct rn_json_error {
    char text[160]; /* "invalid char in json text", "duplicate object key", ... */
    size_t position; /* bytes read when the error was found */
    int line;        /* 1-based line of position */
    int column;      /* bytes from the line's start to position */
} rn_json_error;

/* Parses len bytes of UTF-8 JSON. Returns a new document (the caller's reference) or
 * NULL with e (may be NULL) filled. */
json_t *rn_json_parse(const void *buf, size_t len, rn_json_error *e);

#endif
