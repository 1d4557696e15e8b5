/*
 * event/envelope.h - Runnel's event envelope, the event structure of the guidelines:
 *
 *   {"eventId": "<UUID>", "eventType": "order.created.v1", "eventTime": "<RFC 3339>",
 *    "source": "order-service", "subject": "order-12345", "dataVersion": "1.0",
 *    "data": {...}, "metadata": {"correlationId": "...", "causationId": "...",
 *    "userId": "..."}}
 *
 * This module parses and validates envelopes (every error with a JSON Pointer path),
 * checks the eventType naming rules ({domain}.{action}.v{N}, past-tense action,
 * configurable domains and verbs), builds new envelopes (UUID v4/v7 ids, RFC 3339 UTC
 * times with milliseconds, correlation and causation carried over from a causing event),
 * and maps envelopes to and from CloudEvents 1.0 (structured JSON, and the Kafka binary
 * binding's ce_ headers). docs/events.md lists every rule and the field mapping.
 *
 * Two document models: envelopes are parsed and validated as common/jdoc.h documents
 * (rn_jval in a caller's arena; the produce path builds no jansson tree), while the
 * building side (rn_event_new, CloudEvents decoding, rn_event_cause_from_json) works on
 * jansson documents and converts what it validates with rn_jdoc_from_jansson.
 *
 * Layer: shared by the broker (validation at the produce boundary), the SDK and the CLI;
 *   calls common/err.h, common/arena.h, common/jdoc.h and jansson only. No I/O, except
 *   getrandom(2) and the clock when a new id or time is generated.
 * Threads: every function is thread-safe. The one piece of process-wide mutable state is
 *   the default UUIDv7 sequence (a lock-free atomic) used when no rn_event_uuid_state is
 *   passed; naming rules are configuration objects the caller passes in.
 * Memory: validation allocates nothing (errors go to a caller-provided fixed-size list);
 *   an rn_event is a view that borrows from the rn_jval document it was validated from
 *   (valid until that document's arena is reset or finalised). rn_event_parse puts the
 *   document into an arena the caller passes in and resets or frees. Functions that
 *   return json_t give the caller a new reference (json_decref it); those that validate a
 *   json_t they built copy it into a private arena first and free it before returning.
 * Errors: functions return RN_OK or a negative RN_E* code (common/err.h). RN_EINVAL means
 *   "the input breaks a rule"; the rn_event_errors list then says which and where.
 */
#ifndef RN_EVENT_ENVELOPE_H
#define RN_EVENT_ENVELOPE_H

#include "common/arena.h"
#include "common/err.h"
#include "common/jdoc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ error list */

#define RN_EVENT_MAX_ERRORS 16 /* errors kept per document; more are only counted */
#define RN_EVENT_PATH_MAX   96 /* longer paths are cut (and end in "...") */
#define RN_EVENT_MSG_MAX    224

/* One rule violation: where (a JSON Pointer into the checked document, RFC 6901; "" is
 * the whole document) and what, e.g. path "/eventType", msg
 * "\"order.create.v1\": action \"create\" is not past tense". */
typedef struct rn_event_error {
    char path[RN_EVENT_PATH_MAX];
    char msg[RN_EVENT_MSG_MAX];
} rn_event_error;

/* Every error found in one document, in the order the rules are listed in
 * docs/events.md. Caller provides storage (about 5 KiB; fine on the stack). */
typedef struct rn_event_errors {
    size_t n;     /* entries used in e[] (<= RN_EVENT_MAX_ERRORS) */
    size_t total; /* errors found; more than n if the list overflowed */
    rn_event_error e[RN_EVENT_MAX_ERRORS];
} rn_event_errors;

/* Empties the list. Every function taking rn_event_errors appends to it, so a caller can
 * collect the errors of several steps; call this between documents. */
void rn_event_errors_init(rn_event_errors *errs);

/* Appends one error (errs may be NULL: nothing is recorded). path is a JSON Pointer.
 * Returns RN_EINVAL, so a check can `return rn_event_errors_add(...)`. */
int rn_event_errors_add(rn_event_errors *errs, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "PATH: MSG; PATH: MSG" (an error with an empty path is just "MSG"), plus
 * "; ... and N more" if the list overflowed, NUL-terminated and cut to fit cap.
 * Returns the length the whole text has (as snprintf does). */
size_t rn_event_errors_format(const rn_event_errors *errs, char *buf, size_t cap);

/* ------------------------------------------------------------------ naming rules */

/* Configuration of the eventType naming rules. A zeroed struct (or a NULL pointer
 * wherever one is taken) means the defaults: any domain, the built-in past-tense verbs.
 * The caller owns the arrays and strings; they are only read, so one rn_event_rules can
 * be shared by any number of threads. */
typedef struct rn_event_rules {
    const char *const *domains; /* allowed domains; ndomains == 0: any domain. "order"
                                 * admits the domain "order" and its sub-domains
                                 * ("order.item"), not "orders". */
    size_t ndomains;
    const char *const *past_tense; /* extra past-tense verbs (e.g. "onboarded" is
                                    * built in, "kickoff" is not); matched against the
                                    * whole action and its last hyphen-separated word */
    size_t npast_tense;
} rn_event_rules;

/* Checks a rules object: each domain must be dot-separated segments and each verb one
 * segment of the eventType grammar (lowercase letters, digits, single hyphens, starting
 * with a letter). Returns RN_OK or RN_EINVAL with err naming the bad entry. */
int rn_event_rules_check(const rn_event_rules *rules, rn_err *err);

/* The parts of an eventType; pointers borrow from the string that was parsed. */
typedef struct rn_event_type {
    const char *domain; /* "order.item" in "order.item.added.v2" */
    size_t domain_len;
    const char *action; /* "added" */
    size_t action_len;
    uint32_t version; /* 2 */
} rn_event_type;

/* Parses and checks an eventType `{domain}.{action}.v{N}` against rules (NULL: the
 * defaults). Appends errors at path "/eventType" to errs. Returns RN_OK or RN_EINVAL.
 * *out (may be NULL) is filled whenever the type is well-formed, even if it then breaks
 * a rule. A malformed type gives one error; a well-formed one can give two (domain not
 * allowed, action not past tense). */
int rn_event_type_parse(const char *s, size_t len, const rn_event_rules *rules, rn_event_type *out,
                        rn_event_errors *errs);

/* 1 if action (one eventType segment, e.g. "created", "line-item-added") is past tense
 * under rules (NULL: the defaults), else 0. See docs/events.md for how this is decided. */
int rn_event_action_is_past_tense(const char *action, size_t len, const rn_event_rules *rules);

/* The built-in irregular past-tense verbs, sorted; *n receives their number. */
const char *const *rn_event_past_tense_builtin(size_t *n);

/* ------------------------------------------------------------------ UUIDs */

#define RN_EVENT_UUID_STRLEN 36 /* "01890a5d-ac96-774b-bcce-b302099a8057" */

/* The state that makes UUIDv7s from one generator strictly increasing. Zero-initialise
 * it (static storage, calloc, or `= RN_EVENT_UUID_STATE_INIT`). Thread-safe: any number of
 * threads may generate from one state. */
typedef struct rn_event_uuid_state {
    _Atomic uint64_t last; /* (unix_ms << 12) | 12-bit sequence of the latest v7 */
} rn_event_uuid_state;
/* clang-format off */
#define RN_EVENT_UUID_STATE_INIT {0}
/* clang-format on */

/* Parses the canonical form 8-4-4-4-12 (hex, either case) of a UUID with the RFC 9562
 * variant and version 1-8; the nil and max UUIDs are rejected. Returns RN_OK with out
 * filled (out may be NULL), or RN_EINVAL with *why (may be NULL) a static reason. */
int rn_event_uuid_parse(const char *s, size_t len, uint8_t out[16], const char **why);

/* Writes the canonical lowercase form and a NUL (37 bytes). */
void rn_event_uuid_format(const uint8_t u[16], char out[RN_EVENT_UUID_STRLEN + 1]);

/* The version field (bits 48-51) of a UUID. */
int rn_event_uuid_version(const uint8_t u[16]);

/* Unix milliseconds stored in a UUIDv7 (its first 48 bits). */
int64_t rn_event_uuid_v7_time(const uint8_t u[16]);

/* Generates a random UUIDv4 (version 4) or a time-ordered UUIDv7 (version 7: Unix ms
 * timestamp, then a 12-bit sequence and 62 random bits). UUIDv7s from one state (NULL:
 * the process-wide default) strictly increase, even when the clock stands still or goes
 * back (RFC 9562 6.2 method 1: the sequence is seeded randomly each millisecond, and
 * when it overflows the timestamp moves ahead by one). Returns RN_OK, RN_EINVAL for
 * another version, or RN_EIO if getrandom(2) fails. */
int rn_event_uuid_generate(int version, rn_event_uuid_state *st, uint8_t out[16], rn_err *err);

/* The deterministic core of rn_event_uuid_generate for version 7 (tests use it): unix_ms
 * is the clock, rnd 10 random bytes (rnd[0..1] seed the sequence, rnd[2..9] fill the
 * random bits). st may be NULL (the process-wide default). */
void rn_event_uuid_v7_make(rn_event_uuid_state *st, int64_t unix_ms, const uint8_t rnd[10],
                           uint8_t out[16]);

/* ------------------------------------------------------------------ times */

#define RN_EVENT_TIME_STRLEN 24 /* "2025-10-20T10:00:00.000Z" */

/* Parses an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, optional fraction (.digits, any
 * number), then Z or +HH:MM/-HH:MM ('T' and 'Z' in either case). Dates are checked
 * against the calendar (leap years); second 60 only at 23:59:60 UTC (a leap second).
 * Returns RN_OK with *unix_ms (may be NULL; the instant in UTC, fraction truncated to
 * ms), or RN_EINVAL with *why (may be NULL) a static reason. */
int rn_event_time_parse(const char *s, size_t len, int64_t *unix_ms, const char **why);

/* Formats Unix milliseconds as RFC 3339 UTC with milliseconds and a NUL (25 bytes).
 * Returns RN_OK, or RN_ERANGE outside years 0000-9999. */
int rn_event_time_format(int64_t unix_ms, char out[RN_EVENT_TIME_STRLEN + 1]);

/* ------------------------------------------------------------------ validation */

/* A validated envelope: a view whose pointers borrow from the rn_jval document it came
 * from (valid while that document's arena is neither reset nor finalised). The string
 * fields are NUL-terminated and hold no U+0000 (validation rejects it), so they can be
 * used as C strings. After RN_EINVAL, fields that passed their own checks are set and the
 * others are NULL/0. */
typedef struct rn_event {
    const rn_jval *root; /* the envelope object */
    const char *event_id;
    const char *event_type;
    const char *event_time;
    const char *source;
    const char *subject;
    const char *data_version;
    const rn_jval *data;     /* a JSON object */
    const rn_jval *metadata; /* a JSON object, possibly with members of its own */
    const char *correlation_id;
    const char *causation_id; /* NULL if absent */
    const char *user_id;      /* NULL if absent */
    const char *data_schema;  /* metadata.dataSchema; NULL if absent */
    rn_event_type type;       /* parts of event_type */
    uint32_t data_major, data_minor;
    uint8_t uuid[16]; /* event_id, binary */
    int64_t time_ms;  /* event_time as Unix ms (UTC) */
} rn_event;

/* Validates the envelope root against every rule of docs/events.md under rules (NULL:
 * the defaults). Collects all errors (up to RN_EVENT_MAX_ERRORS) into errs (may be NULL),
 * and fills ev (may be NULL) as far as the envelope is valid. Reads root's members in one
 * pass (object member names are unique in an rn_jval document, as the parser and
 * rn_jdoc_from_jansson guarantee). Allocates nothing; formats messages only for errors.
 * Returns RN_OK or RN_EINVAL. */
int rn_event_validate(const rn_jval *root, const rn_event_rules *rules, rn_event *ev,
                      rn_event_errors *errs);

/* Parses buf (len bytes of UTF-8 JSON; a record value) into arena a with rn_jdoc_parse
 * and validates it. Duplicate member names are a parse error; U+0000 is allowed by the
 * parser, and then rejected by validation in the envelope's string fields. The caller
 * resets or finalises a when it is done with the document (and with ev, which views it).
 * root (may be NULL) receives the document whenever the bytes are JSON, also when the
 * envelope is invalid; NULL when they are not JSON. ev (may be NULL) is filled as by
 * rn_event_validate (all zero when the bytes are not JSON). A parse error is one error
 * at path "": "not valid JSON: TEXT (line L, column C)", non-printable bytes of TEXT
 * replaced by '?'. Returns RN_OK, RN_EINVAL, or RN_ENOMEM (the arena could not grow; one
 * error at path "" says so). */
int rn_event_parse(rn_arena *a, const void *buf, size_t len, const rn_event_rules *rules,
                   const rn_jval **root, rn_event *ev, rn_event_errors *errs);

/* jansson prints every real with 17 significant digits (99.99 as 99.989999999999995).
 * Returns flags plus JSON_REAL_PRECISION(p) for the smallest p from 15 to 17 that prints
 * every real in doc so that it reads back exactly: 99.99 stays 99.99, and a value that
 * needs 17 digits keeps them. For json_dumps and friends. */
size_t rn_event_json_dump_flags(const json_t *doc, size_t flags);

/* ------------------------------------------------------------------ building */

/* The event that caused a new one. */
typedef struct rn_event_cause {
    const char *event_id;       /* required: becomes the new event's causationId */
    const char *correlation_id; /* NULL: event_id starts the correlation */
} rn_event_cause;

/* Reads a cause from an envelope (eventId, metadata.correlationId) or a CloudEvent (id,
 * correlationid; recognised by "specversion"). The cause need not be a valid envelope,
 * since commands cause events too; only its id must be a non-empty string. Pointers
 * borrow from j. Returns RN_OK or RN_EINVAL (errors at paths into j). */
int rn_event_cause_from_json(const json_t *j, rn_event_cause *out, rn_event_errors *errs);

/* What rn_event_new needs; zero-initialise and set the fields. Strings are copied. */
typedef struct rn_event_new_args {
    const char *event_type;          /* required, e.g. "order.created.v1" */
    const char *source;              /* required */
    const char *subject;             /* required */
    json_t *data;                    /* required object; the result takes a new reference */
    const char *data_version;        /* NULL: "<N>.0" from the type's version */
    const char *user_id;             /* NULL: no metadata.userId */
    const rn_event_cause *cause;     /* NULL: correlationId = the new eventId, no causationId */
    int uuid_version;                /* 4 or 7; 0 means 4 */
    int64_t time_ms;                 /* eventTime as Unix ms; 0 means now */
    rn_event_uuid_state *uuid_state; /* v7 sequence; NULL: the process-wide default */
} rn_event_new_args;

/* Builds a new envelope (members in the guidelines' order) and validates it under rules.
 * The result is validated as a jdoc copy in a private arena, freed before returning.
 * Returns RN_OK with *out a new document owned by the caller; RN_EINVAL if an argument is
 * missing or the result would be invalid (errs says why, with envelope paths; data nested
 * deeper than RN_JDOC_MAX_DEPTH is an error at /data); RN_EIO if getrandom(2) failed;
 * RN_ENOMEM. *out is NULL on failure. */
int rn_event_new(const rn_event_new_args *a, const rn_event_rules *rules, json_t **out,
                 rn_event_errors *errs);

/* ------------------------------------------------------------------ CloudEvents 1.0 */

/* Envelope -> CloudEvents structured JSON (the mapping table is in docs/events.md):
 * specversion "1.0", id, source, type, subject, time, datacontenttype
 * "application/json", dataschema (metadata.dataSchema), data, and the extensions
 * dataversion, correlationid, causationid, userid. Other metadata members become
 * extensions named by their lowercased name, which must then be ASCII letters/digits and
 * clash with no attribute and no other member; their values must be strings, booleans or
 * 32-bit integers (null members are dropped); else RN_EINVAL with errors at
 * /metadata/NAME. data is copied (into jansson values). ev must come from a successful
 * rn_event_validate. Returns RN_OK with *out a new document, RN_EINVAL, or RN_ENOMEM. */
int rn_event_ce_encode(const rn_event *ev, json_t **out, rn_event_errors *errs);

/* CloudEvents structured JSON -> envelope: the inverse mapping. Checks the CloudEvent
 * (specversion "1.0"; id, source, type non-empty strings; optional attributes strings;
 * datacontenttype, if present, JSON; no data_base64; extension names lowercase
 * letters/digits, values strings/numbers/booleans), with errors at paths into ce. The
 * result is not validated as an envelope: run rn_event_validate on it (after
 * rn_jdoc_from_jansson; a CloudEvent's id need not be a UUID, nor its type past tense).
 * Unknown extensions go into metadata under their own name. Returns RN_OK with *out a new
 * document, RN_EINVAL, RN_ENOMEM. */
int rn_event_ce_decode(const json_t *ce, json_t **out, rn_event_errors *errs);

/* A Kafka record header: key and value bytes (value NULL: a null header). */
typedef struct rn_event_header {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} rn_event_header;

/* A record in the CloudEvents Kafka binary binding: ce_* headers plus content-type, and
 * the data as the value. Header keys and values point into the envelope the record was
 * encoded from, into static strings or into scratch; rn_event_ce_binary_fini frees. */
typedef struct rn_event_ce_binary {
    rn_event_header *headers; /* from malloc */
    size_t n;
    char *value; /* data as compact JSON, from malloc */
    size_t value_len;
    char *scratch; /* from malloc: "ce_NAME" keys and rendered numbers of extensions */
} rn_event_ce_binary;

/* Envelope -> Kafka binary binding: headers ce_specversion, ce_id, ce_source, ce_type,
 * ce_subject, ce_time, ce_dataschema, ce_dataversion, ce_correlationid, ce_causationid,
 * ce_userid, ce_NAME for other metadata members (integers and booleans as their
 * JSON text), and content-type "application/json"; value = data as compact JSON, printed
 * by jansson with rn_event_json_dump_flags (byte for byte as before the jdoc port). Same
 * rules and errors as rn_event_ce_encode. ev (and its document) must outlive out. On
 * success free out with rn_event_ce_binary_fini; on failure out is empty. */
int rn_event_ce_encode_binary(const rn_event *ev, rn_event_ce_binary *out, rn_event_errors *errs);

/* Frees what rn_event_ce_encode_binary allocated and zeroes b; b may be NULL. */
void rn_event_ce_binary_fini(rn_event_ce_binary *b);

/* Kafka binary binding -> envelope. headers: the record's headers (ce_* and
 * content-type are read, others ignored; keys are case-sensitive except content-type);
 * value: the record value (NULL: no data). Header values must be UTF-8. Errors have paths
 * "/headers/KEY" and "/value". Extension values become metadata strings. As with
 * rn_event_ce_decode the result still needs rn_event_validate. Returns RN_OK with *out a
 * new document, RN_EINVAL or RN_ENOMEM. */
int rn_event_ce_decode_binary(const rn_event_header *headers, size_t n, const void *value,
                              size_t value_len, json_t **out, rn_event_errors *errs);

#endif
