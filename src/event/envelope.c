/*
 * event/envelope.c - validation of the event envelope (every rule of docs/events.md,
 * all errors collected with JSON Pointer paths), parsing from raw bytes, the error list,
 * and building new envelopes with ids, times and correlation/causation.
 *
 * Validation is written for the broker's produce path: one rn_jdoc_parse per record into
 * the caller's arena, then one pass over the root's members that puts the eight envelope
 * members into slots (and counts the unknown ones), and checks in place that format
 * messages only when something is wrong. Nothing is allocated after the parse. Building
 * (rn_event_new) makes a jansson document and validates a private jdoc copy of it.
 * Layer: calls naming.c, uuid.c, rfc3339.c (event_int.h), common/err.h, common/arena.h,
 * common/jdoc.h, jansson.
 */
#include "event/event_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ error list */

void rn_event_errors_init(rn_event_errors *errs)
{
    errs->n = 0;
    errs->total = 0;
}

int rn_event_errors_add(rn_event_errors *errs, const char *path, const char *fmt, ...)
{
    if (!errs) return RN_EINVAL;
    errs->total++;
    if (errs->n >= RN_EVENT_MAX_ERRORS) return RN_EINVAL;
    rn_event_error *e = &errs->e[errs->n++];
    size_t pl = strlen(path);
    if (pl < sizeof e->path) {
        memcpy(e->path, path, pl + 1);
    } else {
        memcpy(e->path, path, sizeof e->path - 4);
        memcpy(e->path + sizeof e->path - 4, "...", 4);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return RN_EINVAL;
}

size_t rn_event_errors_format(const rn_event_errors *errs, char *buf, size_t cap)
{
    size_t len = 0;
    char dummy[1];
    if (!buf || cap == 0) {
        buf = dummy;
        cap = 1;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < errs->n; i++) {
        const rn_event_error *e = &errs->e[i];
        int w = snprintf(buf + (len < cap ? len : cap - 1), len < cap ? cap - len : 1, "%s%s%s%s",
                         i ? "; " : "", e->path, e->path[0] ? ": " : "", e->msg);
        if (w > 0) len += (size_t)w;
    }
    if (errs->total > errs->n) {
        int w = snprintf(buf + (len < cap ? len : cap - 1), len < cap ? cap - len : 1,
                         "; ... and %zu more", errs->total - errs->n);
        if (w > 0) len += (size_t)w;
    }
    return len;
}

/* ------------------------------------------------------------------ shared helpers */

const char *rn_event_str_quote(char *buf, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    int cut = 0;
    if (cap < 8) {
        if (cap) buf[0] = '\0';
        return buf;
    }
    if (len > RN_EVENT_QUOTE_MAX) {
        len = RN_EVENT_QUOTE_MAX;
        /* Back up to the start of a UTF-8 character (not a continuation byte). */
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
        cut = 1;
    }
    buf[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Room for the longest escape plus the closing '"', "..." and NUL. */
        if (o + 6 + 5 > cap) {
            cut = 1;
            break;
        }
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            buf[o++] = '\\';
            buf[o++] = 'u';
            buf[o++] = '0';
            buf[o++] = '0';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    if (cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

void rn_event_ptr_join(char out[RN_EVENT_PATH_MAX], const char *base, const char *key,
                       size_t key_len)
{
    size_t o = strlen(base);
    if (o > RN_EVENT_PATH_MAX - 5) o = RN_EVENT_PATH_MAX - 5;
    memmove(out, base, o);
    out[o++] = '/';
    for (size_t i = 0; i < key_len; i++) {
        if (o + 2 > RN_EVENT_PATH_MAX - 4) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)key[i];
        if (c == '~' || c == '/') {
            out[o++] = '~';
            out[o++] = c == '~' ? '0' : '1';
        } else if (c < 0x20 || c == 0x7f) {
            out[o++] = '?'; /* keep control characters out of messages */
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

const char *rn_event_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
    default:
        return "null";
    }
}

/* ------------------------------------------------------------------ validation */

#define MSG_NUL "must not contain U+0000"

int rn_event_check_string(const json_t *v, const char *path, int required, rn_event_errors *errs,
                          const char **s, size_t *len)
{
    *s = NULL;
    *len = 0;
    if (!v || (!required && json_is_null(v))) {
        if (required) rn_event_errors_add(errs, path, "is required");
        return 0;
    }
    if (!json_is_string(v)) {
        rn_event_errors_add(errs, path, "must be a string, got %s", rn_event_json_type_name(v));
        return 0;
    }
    const char *str = json_string_value(v);
    size_t l = json_string_length(v);
    if (l == 0) {
        rn_event_errors_add(errs, path, "must not be empty");
        return 0;
    }
    if (strlen(str) != l) {
        rn_event_errors_add(errs, path, MSG_NUL);
        return 0;
    }
    *s = str;
    *len = l;
    return 1;
}

const char *rn_event_jval_type_name(const rn_jval *v)
{
    /* envelope messages say "number" for every JSON number */
    return v->type == RN_JINT ? "number" : rn_jval_type_name(v);
}

/* 1 if s[0..len) holds a zero byte. Eight bytes at a time: the envelope's strings are
 * short, and this costs less than a call to memchr or strlen. */
static inline int word_has_zero(uint64_t w)
{
    return ((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080)) != 0;
}

static inline int has_nul(const char *s, size_t len)
{
    uint64_t w;
    if (len < 8) {
        for (size_t i = 0; i < len; i++)
            if (!s[i]) return 1;
        return 0;
    }
    size_t i = 0;
    for (; i + 8 < len; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_has_zero(w)) return 1;
    }
    memcpy(&w, s + len - 8, 8); /* the last eight bytes, overlapping what was read */
    return word_has_zero(w);
}

/* rn_event_check_string for a jdoc value: v (the member at path; NULL if absent) must be
 * a non-empty string, without U+0000 if nul_check (a caller whose own parser rejects a
 * zero byte anyway checks for it only when that parser fails, to name it). required:
 * absence is an error; otherwise absent or null is fine. Returns 1 with *s and *len set
 * if v is such a string, else 0 (an error was added unless v was an allowed absence). */
static inline int check_jstring(const rn_jval *v, const char *path, int required, int nul_check,
                                rn_event_errors *errs, const char **s, size_t *len)
{
    if (!v || (!required && v->type == RN_JNULL)) {
        if (required) rn_event_errors_add(errs, path, "is required");
        return 0;
    }
    if (v->type != RN_JSTRING) {
        rn_event_errors_add(errs, path, "must be a string, got %s", rn_event_jval_type_name(v));
        return 0;
    }
    if (v->len == 0) {
        rn_event_errors_add(errs, path, "must not be empty");
        return 0;
    }
    if (nul_check && has_nul(v->u.s, v->len)) {
        rn_event_errors_add(errs, path, MSG_NUL);
        return 0;
    }
    *s = v->u.s;
    *len = v->len;
    return 1;
}

/* Parses a decimal number without leading zeros (0-999999999) at s[*i]. */
static int parse_uint(const char *s, size_t len, size_t *i, uint32_t *out)
{
    size_t start = *i;
    uint32_t v = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 9) {
        v = v * 10 + (uint32_t)(s[*i] - '0');
        (*i)++;
    }
    size_t nd = *i - start;
    if (nd == 0 || (nd > 1 && s[start] == '0')) return 0;
    if (*i < len && s[*i] >= '0' && s[*i] <= '9') return 0; /* more than 9 digits */
    *out = v;
    return 1;
}

static int parse_data_version(const char *s, size_t len, uint32_t *major, uint32_t *minor)
{
    /* "D.D", the usual case */
    if (len == 3 && s[1] == '.' && (unsigned)(s[0] - '0') < 10 && (unsigned)(s[2] - '0') < 10) {
        *major = (uint32_t)(s[0] - '0');
        *minor = (uint32_t)(s[2] - '0');
        return 1;
    }
    size_t i = 0;
    if (!parse_uint(s, len, &i, major) || i >= len || s[i] != '.') return 0;
    i++;
    return parse_uint(s, len, &i, minor) && i == len;
}

/* The envelope's members, in the order their errors are reported. */
enum { F_ID, F_TYPE, F_TIME, F_SOURCE, F_SUBJECT, F_VERSION, F_DATA, F_METADATA, NFIELDS };

/* Which envelope member the name k (n bytes) is, or -1. By length first: one or two
 * fixed-size compares, which the compiler inlines. */
static inline __attribute__((always_inline)) int field_index(const char *k, uint32_t n)
{
    switch (n) {
    case 4:
        return memcmp(k, "data", 4) ? -1 : F_DATA;
    case 6:
        return memcmp(k, "source", 6) ? -1 : F_SOURCE;
    case 7:
        if (!memcmp(k, "eventId", 7)) return F_ID;
        return memcmp(k, "subject", 7) ? -1 : F_SUBJECT;
    case 8:
        return memcmp(k, "metadata", 8) ? -1 : F_METADATA;
    case 9:
        if (memcmp(k, "event", 5)) return -1;
        if (!memcmp(k + 5, "Type", 4)) return F_TYPE;
        return memcmp(k + 5, "Time", 4) ? -1 : F_TIME;
    case 11:
        return memcmp(k, "dataVersion", 11) ? -1 : F_VERSION;
    default:
        return -1;
    }
}

/* The metadata members with rules, in the order their errors are reported. */
enum { M_CORRELATION, M_CAUSATION, M_USER, M_SCHEMA, NMETA };

static inline int meta_index(const char *k, uint32_t n)
{
    switch (n) {
    case 6:
        return memcmp(k, "userId", 6) ? -1 : M_USER;
    case 10:
        return memcmp(k, "dataSchema", 10) ? -1 : M_SCHEMA;
    case 11:
        return memcmp(k, "causationId", 11) ? -1 : M_CAUSATION;
    case 13:
        return memcmp(k, "correlationId", 13) ? -1 : M_CORRELATION;
    default:
        return -1;
    }
}

/* An optional metadata string: sets *out, or clears *ok if it is present, not null and
 * not a usable string. */
static inline void optional_string(const rn_jval *v, const char *path, rn_event_errors *errs,
                                   const char **out, int *ok)
{
    const char *s;
    size_t len;
    if (check_jstring(v, path, 0, 1, errs, &s, &len))
        *out = s;
    else if (v && v->type != RN_JNULL)
        *ok = 0;
}

static void check_metadata(const rn_jval *md, rn_event *ev, rn_event_errors *errs, int *ok)
{
    const char *s;
    size_t len;
    if (!md) {
        *ok = 0;
        rn_event_errors_add(errs, "/metadata", "is required");
        return;
    }
    if (md->type != RN_JOBJECT) {
        *ok = 0;
        rn_event_errors_add(errs, "/metadata", "must be an object, got %s",
                            rn_event_jval_type_name(md));
        return;
    }
    ev->metadata = md;
    const rn_jval *v[NMETA] = {NULL};
    const rn_jmember *m = md->u.members;
    for (uint32_t i = 0; i < md->len; i++) {
        int f = meta_index(m[i].key, m[i].key_len);
        if (f >= 0) v[f] = &m[i].val;
    }
    if (check_jstring(v[M_CORRELATION], "/metadata/correlationId", 1, 1, errs, &s, &len))
        ev->correlation_id = s;
    else
        *ok = 0;
    optional_string(v[M_CAUSATION], "/metadata/causationId", errs, &ev->causation_id, ok);
    optional_string(v[M_USER], "/metadata/userId", errs, &ev->user_id, ok);
    optional_string(v[M_SCHEMA], "/metadata/dataSchema", errs, &ev->data_schema, ok);
}

/* Adds "QUOTED-VALUE: why" at path, or "must not contain U+0000" if the value holds a zero
 * byte (which is why the field's own parser failed). */
static void add_value_error(rn_event_errors *errs, const char *path, const char *s, size_t len,
                            const char *why)
{
    char q[RN_EVENT_QUOTE_BUF];
    if (has_nul(s, len))
        rn_event_errors_add(errs, path, MSG_NUL);
    else
        rn_event_errors_add(errs, path, "%s: %s", rn_event_str_quote(q, sizeof q, s, len), why);
}

int rn_event_validate(const rn_jval *root, const rn_event_rules *rules, rn_event *ev,
                      rn_event_errors *errs)
{
    rn_event scratch;
    if (!ev) ev = &scratch;
    memset(ev, 0, sizeof *ev);
    if (!root || root->type != RN_JOBJECT)
        return rn_event_errors_add(errs, "", "an envelope must be a JSON object, got %s",
                                   root ? rn_event_jval_type_name(root) : "nothing");
    ev->root = root;

    /* One pass over the members: each lands in its slot, and members outside the
     * envelope are counted (reported last, below). */
    const rn_jval *v[NFIELDS] = {NULL};
    const rn_jmember *m = root->u.members;
    uint32_t nunknown = 0, first_unknown = 0;
    for (uint32_t i = 0; i < root->len; i++) {
        int f = field_index(m[i].key, m[i].key_len);
        if (f >= 0) {
            v[f] = &m[i].val;
        } else if (nunknown++ == 0) {
            first_unknown = i;
        }
    }

    const char *s, *why = NULL;
    size_t len;
    int ok = 1;

    /* eventId. A zero byte fails the UUID syntax, so it is looked for only then. */
    if (check_jstring(v[F_ID], "/eventId", 1, 0, errs, &s, &len)) {
        if (rn_event_uuid_parse(s, len, ev->uuid, &why) == RN_OK) {
            ev->event_id = s;
        } else {
            ok = 0;
            add_value_error(errs, "/eventId", s, len, why);
        }
    } else {
        ok = 0;
    }

    /* eventType. Its version is kept for the dataVersion check even if a naming rule
     * fails (rn_event_type_parse fills the parts of any well-formed type). */
    uint32_t type_version = 0;
    if (check_jstring(v[F_TYPE], "/eventType", 1, 1, errs, &s, &len)) {
        rn_event_type t = {0};
        if (rn_event_type_parse(s, len, rules, &t, errs) == RN_OK) {
            ev->event_type = s;
            ev->type = t;
        } else {
            ok = 0;
        }
        type_version = t.version;
    } else {
        ok = 0;
    }

    /* eventTime */
    if (check_jstring(v[F_TIME], "/eventTime", 1, 0, errs, &s, &len)) {
        if (rn_event_time_parse(s, len, &ev->time_ms, &why) == RN_OK) {
            ev->event_time = s;
        } else {
            ok = 0;
            add_value_error(errs, "/eventTime", s, len, why);
        }
    } else {
        ok = 0;
    }

    /* source, subject */
    if (check_jstring(v[F_SOURCE], "/source", 1, 1, errs, &s, &len))
        ev->source = s;
    else
        ok = 0;
    if (check_jstring(v[F_SUBJECT], "/subject", 1, 1, errs, &s, &len))
        ev->subject = s;
    else
        ok = 0;

    /* dataVersion: MAJOR.MINOR, MAJOR = the eventType's version */
    if (check_jstring(v[F_VERSION], "/dataVersion", 1, 0, errs, &s, &len)) {
        uint32_t major, minor;
        if (!parse_data_version(s, len, &major, &minor)) {
            ok = 0;
            add_value_error(errs, "/dataVersion", s, len, "must be \"MAJOR.MINOR\", e.g. \"1.0\"");
        } else if (type_version && major != type_version) {
            char q[RN_EVENT_QUOTE_BUF];
            ok = 0;
            rn_event_errors_add(errs, "/dataVersion",
                                "%s: major version %u does not match the eventType's version "
                                "v%u",
                                rn_event_str_quote(q, sizeof q, s, len), major, type_version);
        } else {
            ev->data_version = s;
            ev->data_major = major;
            ev->data_minor = minor;
        }
    } else {
        ok = 0;
    }

    /* data */
    if (!v[F_DATA]) {
        ok = 0;
        rn_event_errors_add(errs, "/data", "is required");
    } else if (v[F_DATA]->type != RN_JOBJECT) {
        ok = 0;
        rn_event_errors_add(errs, "/data", "must be an object, got %s",
                            rn_event_jval_type_name(v[F_DATA]));
    } else {
        ev->data = v[F_DATA];
    }

    /* metadata */
    check_metadata(v[F_METADATA], ev, errs, &ok);

    /* Members outside the envelope, found in the pass above: typos ("eventID") or
     * context that belongs in metadata. */
    if (nunknown) {
        ok = 0;
        for (uint32_t i = first_unknown; i < root->len; i++) {
            if (field_index(m[i].key, m[i].key_len) >= 0) continue;
            char path[RN_EVENT_PATH_MAX];
            rn_event_ptr_join(path, "", m[i].key, m[i].key_len);
            rn_event_errors_add(errs, path,
                                "unknown envelope field (the fields are eventId, eventType, "
                                "eventTime, source, subject, dataVersion, data, metadata; "
                                "put other context in metadata)");
        }
    }
    return ok ? RN_OK : RN_EINVAL;
}

/* Copies the parser's error text, replacing bytes that are not printable ASCII (it may
 * quote the input near the error, which may be anything). */
static void sanitize(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (; *src && o + 1 < cap; src++)
        dst[o++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
    dst[o] = '\0';
}

int rn_event_parse(rn_arena *a, const void *buf, size_t len, const rn_event_rules *rules,
                   const rn_jval **root, rn_event *ev, rn_event_errors *errs)
{
    if (root) *root = NULL;
    const rn_jval *doc;
    rn_jdoc_error jerr;
    int rc = rn_jdoc_parse(a, buf, len, &doc, &jerr);
    if (rc != RN_OK) {
        if (ev) memset(ev, 0, sizeof *ev);
        if (rc == RN_ENOMEM) {
            rn_event_errors_add(errs, "", "out of memory parsing the envelope");
            return RN_ENOMEM;
        }
        char text[sizeof jerr.text];
        sanitize(text, sizeof text, jerr.text);
        return rn_event_errors_add(errs, "", "not valid JSON: %s (line %d, column %d)", text,
                                   jerr.line, jerr.column);
    }
    if (root) *root = doc;
    return rn_event_validate(doc, rules, ev, errs);
}

/* ------------------------------------------------------------------ printing */

/* The precision (15-17) doc's reals need, at least p; depth bounds the recursion. */
static int real_precision(const json_t *j, int p, int depth)
{
    if (p >= 17 || depth > 4096) return 17;
    if (json_is_real(j)) {
        double v = json_real_value(j);
        for (; p < 17; p++) {
            char buf[40];
            snprintf(buf, sizeof buf, "%.*g", p, v);
            if (strtod(buf, NULL) == v) break;
        }
        return p;
    }
    if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach(rn_event_unconst(j), key, v) p = real_precision(v, p, depth + 1);
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            p = real_precision(json_array_get(j, i), p, depth + 1);
    }
    return p;
}

size_t rn_event_json_dump_flags(const json_t *doc, size_t flags)
{
    return flags | JSON_REAL_PRECISION(real_precision(doc, 15, 0));
}

/* ------------------------------------------------------------------ building */

int rn_event_cause_from_json(const json_t *j, rn_event_cause *out, rn_event_errors *errs)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return rn_event_errors_add(errs, "", "the causing event must be a JSON object, got %s",
                                   j ? rn_event_json_type_name(j) : "nothing");
    const char *s;
    size_t len;
    int ok = 1;
    if (json_object_get(j, "specversion")) {
        /* A CloudEvent. */
        if (rn_event_check_string(json_object_get(j, "id"), "/id", 1, errs, &s, &len))
            out->event_id = s;
        else
            ok = 0;
        const json_t *c = json_object_get(j, "correlationid");
        if (rn_event_check_string(c, "/correlationid", 0, errs, &s, &len))
            out->correlation_id = s;
        else if (c && !json_is_null(c))
            ok = 0;
    } else {
        if (rn_event_check_string(json_object_get(j, "eventId"), "/eventId", 1, errs, &s, &len))
            out->event_id = s;
        else
            ok = 0;
        const json_t *md = json_object_get(j, "metadata");
        const json_t *c = json_is_object(md) ? json_object_get(md, "correlationId") : NULL;
        if (rn_event_check_string(c, "/metadata/correlationId", 0, errs, &s, &len))
            out->correlation_id = s;
        else if (c && !json_is_null(c))
            ok = 0;
    }
    if (!ok) memset(out, 0, sizeof *out);
    return ok ? RN_OK : RN_EINVAL;
}

/* Sets obj[key] to the string val. Returns 0, RN_EINVAL (val is not UTF-8; error added at
 * path) or RN_ENOMEM. */
static int set_string(json_t *obj, const char *key, const char *val, const char *path,
                      rn_event_errors *errs)
{
    json_t *s = json_string(val);
    if (!s) {
        /* json_string fails on invalid UTF-8 (or OOM, which we cannot tell apart). */
        return rn_event_errors_add(errs, path, "must be valid UTF-8");
    }
    return json_object_set_new(obj, key, s) ? RN_ENOMEM : RN_OK;
}

int rn_event_new(const rn_event_new_args *a, const rn_event_rules *rules, json_t **out,
                 rn_event_errors *errs)
{
    *out = NULL;
    int rc = RN_OK;
    if (!a->event_type) rc = rn_event_errors_add(errs, "/eventType", "is required");
    if (!a->source) rc = rn_event_errors_add(errs, "/source", "is required");
    if (!a->subject) rc = rn_event_errors_add(errs, "/subject", "is required");
    if (!a->data) rc = rn_event_errors_add(errs, "/data", "is required");
    if (a->cause && !a->cause->event_id)
        rc = rn_event_errors_add(errs, "/metadata/causationId", "the cause has no eventId");
    int uv = a->uuid_version ? a->uuid_version : 4;
    if (uv != 4 && uv != 7)
        rc = rn_event_errors_add(errs, "/eventId", "UUID version %d: only 4 and 7 are generated",
                                 a->uuid_version);
    if (rc != RN_OK) return rc;

    /* The type's version gives dataVersion's default. If the type is malformed, its
     * error comes from validating the result below, and "1.0" keeps a second, misleading
     * dataVersion error away (the major is only compared with a well-formed type). */
    rn_event_type type = {0};
    char dv[16];
    rn_event_type_parse(a->event_type, strlen(a->event_type), rules, &type, NULL);
    snprintf(dv, sizeof dv, "%u.0", type.version ? type.version : 1);

    uint8_t uuid[16];
    char id[RN_EVENT_UUID_STRLEN + 1], when[RN_EVENT_TIME_STRLEN + 1];
    rn_err err;
    if ((rc = rn_event_uuid_generate(uv, a->uuid_state, uuid, &err)) != RN_OK)
        return rn_event_errors_add(errs, "/eventId", "%s", err.msg), rc;
    rn_event_uuid_format(uuid, id);
    int64_t ms = a->time_ms;
    if (ms == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    if (rn_event_time_format(ms, when) != RN_OK)
        return rn_event_errors_add(errs, "/eventTime", "time %lld ms is outside years 0000-9999",
                                   (long long)ms);

    json_t *env = json_object(), *md = json_object();
    if (!env || !md) {
        json_decref(env);
        json_decref(md);
        return RN_ENOMEM;
    }
    int bad = 0; /* RN_EINVAL seen (keep going to collect them all) */
    int r;
#define SET(obj, key, val, path)                                                                   \
    do {                                                                                           \
        r = set_string(obj, key, val, path, errs);                                                 \
        if (r == RN_ENOMEM) goto oom;                                                              \
        if (r) bad = 1;                                                                            \
    } while (0)
    SET(env, "eventId", id, "/eventId");
    SET(env, "eventType", a->event_type, "/eventType");
    SET(env, "eventTime", when, "/eventTime");
    SET(env, "source", a->source, "/source");
    SET(env, "subject", a->subject, "/subject");
    SET(env, "dataVersion", a->data_version ? a->data_version : dv, "/dataVersion");
    if (json_object_set(env, "data", a->data)) goto oom;
    if (a->cause) {
        SET(md, "correlationId",
            a->cause->correlation_id ? a->cause->correlation_id : a->cause->event_id,
            "/metadata/correlationId");
        SET(md, "causationId", a->cause->event_id, "/metadata/causationId");
    } else {
        SET(md, "correlationId", id, "/metadata/correlationId");
    }
    if (a->user_id) SET(md, "userId", a->user_id, "/metadata/userId");
#undef SET
    if (json_object_set_new(env, "metadata", md)) {
        md = NULL;
        goto oom;
    }
    md = NULL;
    if (!bad) {
        /* Validated as the broker would see it: a jdoc copy in a private arena. */
        rn_arena arena = {0};
        const rn_jval *doc;
        r = rn_jdoc_from_jansson(&arena, env, &doc);
        if (r == RN_OK)
            r = rn_event_validate(doc, rules, NULL, errs);
        else if (r == RN_EINVAL)
            rn_event_errors_add(errs, "/data", "nests deeper than %d levels", RN_JDOC_MAX_DEPTH);
        rn_arena_fini(&arena);
        if (r == RN_ENOMEM) goto oom;
        bad = r != RN_OK;
    }
    if (bad) {
        json_decref(env);
        return RN_EINVAL;
    }
    *out = env;
    return RN_OK;
oom:
    json_decref(md);
    json_decref(env);
    return RN_ENOMEM;
}
