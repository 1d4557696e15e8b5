/*
 * common/jdoc.h - JSON documents for the produce path: a strict single-pass parser that
 * builds an immutable tree inside a caller's arena, and the accessors the envelope and
 * JSON Schema validators read it with.
 *
 * Why not jansson: a jansson tree costs one malloc per value, a hash table per object
 * and a copy per key; building and freeing it was 80% of the broker's CPU per validated
 * 1 KiB event (~36,000 of ~47,000 instructions under callgrind, with yajl lexing it).
 * No C library in Debian bookworm parses into an arena (yyjson is not packaged; simdjson
 * is C++), so this one is written here. One parse is one pass over the bytes with
 * 8-byte-at-a-time scanning of string bodies, and values land in arena memory that the
 * caller frees (or reuses with rn_arena_reset) in one step.
 *
 * Accepted language: RFC 8259 JSON text, UTF-8 (checked strictly: no overlongs, no
 * surrogates, nothing above U+10FFFF), any value at the top level, surrounding whitespace
 * allowed, nothing else after the value. Rejected on purpose: duplicate object member
 * names, escapes of lone surrogates (they are not UTF-8), nesting deeper than
 * RN_JDOC_MAX_DEPTH. Strings and names may contain "\u0000": their length is what
 * counts; they are also NUL-terminated for convenience, so code that treats one as a C
 * string must check that strlen equals len. Integers that fit int64_t are RN_JINT; every other
 * number is RN_JREAL (the nearest double; a number that overflows a double is an error).
 *
 * Layer: common/; calls libc and jansson (conversions) only.
 * Threads: reentrant; documents are immutable after parsing, so any number of threads may
 *   read one at once.
 * Memory: every node, member array and string lives in the arena passed to the parser;
 *   nothing is malloc'd per document except that arena's chunks. Pointers stay valid
 *   until that arena is reset or finalised.
 */
#ifndef RN_COMMON_JDOC_H
#define RN_COMMON_JDOC_H

#include "common/arena.h"
#include "common/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define RN_JDOC_MAX_DEPTH 2048 /* arrays and objects nested deeper are refused */

typedef enum rn_jtype {
    RN_JNULL = 0,
    RN_JBOOL,   /* u.b is 0 or 1 */
    RN_JINT,    /* u.i */
    RN_JREAL,   /* u.d: had a fraction or exponent, or did not fit int64_t */
    RN_JSTRING, /* u.s: len bytes of UTF-8, then a NUL */
    RN_JARRAY,  /* u.items: len values */
    RN_JOBJECT, /* u.members: len members, in document order, names unique */
} rn_jtype;

/* flags of a string value (and of a member's key in key_flags) */
#define RN_JSTR_ASCII 0x01 /* every byte < 0x80: the length in code points is len */

typedef struct rn_jmember rn_jmember;

/* One JSON value: 16 bytes. */
typedef struct rn_jval {
    uint8_t type;  /* rn_jtype */
    uint8_t flags; /* RN_JSTR_* for strings; 0 otherwise */
    uint16_t reserved;
    uint32_t len; /* string bytes, array items or object members; 0 for scalars */
    union {
        int b;
        int64_t i;
        double d;
        const char *s;
        const struct rn_jval *items;
        const rn_jmember *members;
    } u;
} rn_jval;

/* One object member: its name (unescaped UTF-8, NUL-terminated) and value. */
struct rn_jmember {
    const char *key;
    uint32_t key_len;
    uint32_t key_flags; /* RN_JSTR_* */
    rn_jval val;
};

/* Where and why parsing failed. */
typedef struct rn_jdoc_error {
    char text[120];  /* "invalid escape in string", "duplicate object member \"id\"", ... */
    size_t position; /* byte offset of the offending byte (len at unexpected end) */
    int line;        /* 1-based line of position */
    int column;      /* 1-based byte column of position within its line */
} rn_jdoc_error;

/* Parses len bytes of JSON text into arena a. Returns RN_OK with *out the root (valid
 * until a is reset or finalised); RN_EINVAL with e (may be NULL) filled when the text is
 * not JSON as described above; RN_ENOMEM. On failure the arena may hold partial nodes
 * (they are freed with it) and *out is NULL. */
int rn_jdoc_parse(rn_arena *a, const void *buf, size_t len, const rn_jval **out, rn_jdoc_error *e);

/* The member named key (klen bytes) of object o, or NULL (also if o is not an object).
 * A linear scan: objects of events are small. */
const rn_jval *rn_jval_get(const rn_jval *o, const char *key, size_t klen);

/* rn_jval_get with a NUL-terminated key. */
static inline const rn_jval *rn_jval_getz(const rn_jval *o, const char *key)
{
    size_t n = 0;
    while (key[n])
        n++;
    return rn_jval_get(o, key, n);
}

/* Copies a jansson value (all of it) into arena a. Integers stay RN_JINT, reals RN_JREAL;
 * strings are copied. Returns RN_OK with *out, RN_EINVAL if j nests deeper than
 * RN_JDOC_MAX_DEPTH, RN_ENOMEM. */
int rn_jdoc_from_jansson(rn_arena *a, const json_t *j, const rn_jval **out);

/* A new jansson value (the caller's reference) equal to v, or NULL on OOM. */
json_t *rn_jval_to_jansson(const rn_jval *v);

/* Writes v as compact JSON (reals in the fewest digits, 15 to 17, that read back to the
 * same double; strings escaped as JSON requires, non-ASCII kept as UTF-8) into buf,
 * always NUL-terminated when cap > 0; a text longer than cap - 1 is cut. Returns the length
 * the whole text has, as snprintf does. */
size_t rn_jval_dump(const rn_jval *v, char *buf, size_t cap);

/* The JSON type name of v: "null", "boolean", "integer", "number", "string", "array",
 * "object" (RN_JREAL is "number"). */
const char *rn_jval_type_name(const rn_jval *v);

#endif
