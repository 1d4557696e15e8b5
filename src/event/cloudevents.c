/*
 * event/cloudevents.c - the envelope <-> CloudEvents 1.0 mapping, in the JSON event
 * format (structured mode) and the Kafka protocol binding's binary mode (ce_ headers,
 * content-type header, data as the record value). docs/events.md has the table:
 *
 *   envelope               CloudEvents          Kafka binary header
 *   eventId                id                   ce_id
 *   eventType              type                 ce_type
 *   eventTime              time                 ce_time
 *   source                 source               ce_source
 *   subject                subject              ce_subject
 *   dataVersion            dataversion (ext)    ce_dataversion
 *   data                   data                 (record value)
 *   metadata.correlationId correlationid (ext)  ce_correlationid
 *   metadata.causationId   causationid (ext)    ce_causationid
 *   metadata.userId        userid (ext)         ce_userid
 *   metadata.dataSchema    dataschema           ce_dataschema
 *   metadata.OTHER         other (ext, name lowercased)  ce_other
 *   -                      specversion "1.0"    ce_specversion
 *   -                      datacontenttype      content-type  ("application/json")
 *
 * Decoding is structural: the result is an envelope document that the caller then
 * validates with rn_event_validate (a CloudEvent's id need not be a UUID). The binary
 * decoder builds a structured CloudEvent from the headers and reuses the structured
 * decoder, then rewrites error paths to name the headers.
 * Encoding reads the validated envelope (rn_jval) and builds jansson documents; decoding
 * works on jansson documents throughout.
 * Layer: calls envelope.c helpers (event_int.h), common/jdoc.h and jansson.
 */
#include "event/event_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Attribute and extension names the mapping uses itself; a metadata member may not turn
 * into one of them. */
static const char *const reserved[] = {
    "specversion",     "id",         "source", "type",        "subject",     "time",
    "datacontenttype", "dataschema", "data",   "data_base64", "dataversion", "correlationid",
    "causationid",     "userid"};

/* metadata members with a mapping of their own. */
static const char *const mapped_metadata[] = {"correlationId", "causationId", "userId",
                                              "dataSchema"};

int rn_event_ce_name_ok(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) return 0;
    return 1;
}

static int name_in(const char *s, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && !memcmp(list[i], s, len)) return 1;
    return 0;
}
#define IN(s, len, list) name_in(s, len, list, sizeof list / sizeof list[0])

/* ------------------------------------------------------------------ metadata extensions */

/* One metadata member that becomes an extension attribute. */
typedef struct ext {
    const char *key; /* the metadata member name; borrowed */
    size_t key_len;
    const rn_jval *value;
} ext;

/* Lowercases key into out (key_len + 1 bytes). Returns 1 if the result is a valid
 * CloudEvents name (ASCII letters and digits only). */
static int ext_name(const char *key, size_t key_len, char *out)
{
    for (size_t i = 0; i < key_len; i++) {
        char c = key[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        out[i] = c;
    }
    out[key_len] = '\0';
    return rn_event_ce_name_ok(out, key_len);
}

/* 1 if v may be an extension value: a string, a boolean or an integer in int32 range
 * (the CloudEvents type system has no other scalars). */
static int ext_value_ok(const rn_jval *v)
{
    if (v->type == RN_JSTRING || v->type == RN_JBOOL) return 1;
    if (v->type == RN_JINT) return v->u.i >= -2147483648LL && v->u.i <= 2147483647LL;
    return 0;
}

/* Checks ev's metadata members that become extensions. Fills exts (NULL: only count)
 * and returns their number, or -1 after adding errors. */
static long collect_extensions(const rn_event *ev, ext *exts, rn_event_errors *errs)
{
    const rn_jval *md = ev->metadata;
    long n = 0;
    int bad = 0;
    if (!md || md->type != RN_JOBJECT) return 0;
    const rn_jmember *m = md->u.members;
    for (uint32_t it = 0; it < md->len; it++) {
        const char *key = m[it].key;
        size_t klen = m[it].key_len;
        const rn_jval *v = &m[it].val;
        if (IN(key, klen, mapped_metadata) || v->type == RN_JNULL) continue;
        char path[RN_EVENT_PATH_MAX];
        char name[RN_EVENT_QUOTE_MAX + 1];
        rn_event_ptr_join(path, "/metadata", key, klen);
        if (klen > RN_EVENT_QUOTE_MAX || !ext_name(key, klen, name)) {
            bad = rn_event_errors_add(errs, path,
                                      "cannot be a CloudEvents extension: the name must be ASCII "
                                      "letters and digits (at most %d)",
                                      RN_EVENT_QUOTE_MAX);
            continue;
        }
        if (IN(name, klen, reserved)) {
            bad = rn_event_errors_add(errs, path,
                                      "cannot be a CloudEvents extension: \"%s\" is an attribute "
                                      "of the mapping",
                                      name);
            continue;
        }
        /* Two members that lowercase to the same name ("traceId", "traceid"). */
        int clash = 0;
        for (uint32_t jt = 0; jt < it && !clash; jt++)
            clash = m[jt].key_len == klen && !strncasecmp(m[jt].key, key, klen) &&
                    m[jt].val.type != RN_JNULL;
        if (clash) {
            bad = rn_event_errors_add(errs, path,
                                      "cannot be a CloudEvents extension: another metadata "
                                      "member also becomes \"%s\"",
                                      name);
            continue;
        }
        if (!ext_value_ok(v)) {
            bad = rn_event_errors_add(errs, path,
                                      "cannot be a CloudEvents extension: the value must be a "
                                      "string, a boolean or a 32-bit integer, got %s",
                                      v->type == RN_JINT ? "a larger integer"
                                                         : rn_event_jval_type_name(v));
            continue;
        }
        if (exts) exts[n] = (ext){key, klen, v};
        n++;
    }
    return bad ? -1 : n;
}

/* ------------------------------------------------------------------ structured mode */

static int set_str(json_t *o, const char *key, const char *val)
{
    return val ? json_object_set_new(o, key, json_string(val)) : 0;
}

int rn_event_ce_encode(const rn_event *ev, json_t **out, rn_event_errors *errs)
{
    *out = NULL;
    if (!ev->event_id || !ev->metadata || !ev->data)
        return rn_event_errors_add(errs, "", "the envelope has not been validated");
    long n = collect_extensions(ev, NULL, errs);
    if (n < 0) return RN_EINVAL;
    ext *exts = n ? malloc((size_t)n * sizeof *exts) : NULL;
    json_t *ce = json_object();
    if ((n && !exts) || !ce) goto oom;
    collect_extensions(ev, exts, NULL);

    int e = 0;
    e |= set_str(ce, "specversion", "1.0");
    e |= set_str(ce, "id", ev->event_id);
    e |= set_str(ce, "source", ev->source);
    e |= set_str(ce, "type", ev->event_type);
    e |= set_str(ce, "subject", ev->subject);
    e |= set_str(ce, "time", ev->event_time);
    e |= set_str(ce, "datacontenttype", "application/json");
    e |= set_str(ce, "dataschema", ev->data_schema);
    e |= set_str(ce, "dataversion", ev->data_version);
    e |= set_str(ce, "correlationid", ev->correlation_id);
    e |= set_str(ce, "causationid", ev->causation_id);
    e |= set_str(ce, "userid", ev->user_id);
    for (long i = 0; i < n && !e; i++) {
        char name[RN_EVENT_QUOTE_MAX + 1];
        ext_name(exts[i].key, exts[i].key_len, name);
        e |= json_object_set_new(ce, name, rn_jval_to_jansson(exts[i].value));
    }
    if (e || json_object_set_new(ce, "data", rn_jval_to_jansson(ev->data))) goto oom;
    free(exts);
    *out = ce;
    return RN_OK;
oom:
    free(exts);
    json_decref(ce);
    return RN_ENOMEM;
}

/* 1 if a media type is JSON: application/json, text/json or any type with a +json
 * suffix, with or without parameters (case-insensitive). */
static int media_type_is_json(const char *s, size_t len)
{
    const char *semi = memchr(s, ';', len);
    size_t l = semi ? (size_t)(semi - s) : len;
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
        l--;
    if ((l == 16 && !strncasecmp(s, "application/json", 16)) ||
        (l == 9 && !strncasecmp(s, "text/json", 9)))
        return 1;
    return l > 5 && memchr(s, '/', l) && !strncasecmp(s + l - 5, "+json", 5);
}

/* Copies the optional string attribute ce[attr] to obj[key]. */
static int copy_opt(const json_t *ce, const char *attr, json_t *obj, const char *key,
                    rn_event_errors *errs, int *bad)
{
    char path[RN_EVENT_PATH_MAX];
    const char *s;
    size_t len;
    const json_t *v = json_object_get(ce, attr);
    rn_event_ptr_join(path, "", attr, strlen(attr));
    if (rn_event_check_string(v, path, 0, errs, &s, &len))
        return json_object_set_new(obj, key, json_stringn(s, len));
    if (v && !json_is_null(v)) *bad = 1;
    return 0;
}

int rn_event_ce_decode(const json_t *ce, json_t **out, rn_event_errors *errs)
{
    *out = NULL;
    if (!json_is_object(ce))
        return rn_event_errors_add(errs, "", "a CloudEvent must be a JSON object, got %s",
                                   ce ? rn_event_json_type_name(ce) : "nothing");
    int bad = 0;
    const char *s;
    size_t len;
    char q[RN_EVENT_QUOTE_BUF];

    const json_t *sv = json_object_get(ce, "specversion");
    if (rn_event_check_string(sv, "/specversion", 1, errs, &s, &len)) {
        if (len != 3 || memcmp(s, "1.0", 3))
            bad = rn_event_errors_add(errs, "/specversion", "%s: must be \"1.0\"",
                                      rn_event_str_quote(q, sizeof q, s, len));
    } else {
        bad = 1;
    }
    const json_t *ct = json_object_get(ce, "datacontenttype");
    if (rn_event_check_string(ct, "/datacontenttype", 0, errs, &s, &len)) {
        if (!media_type_is_json(s, len))
            bad = rn_event_errors_add(errs, "/datacontenttype",
                                      "%s: the envelope's data must be JSON",
                                      rn_event_str_quote(q, sizeof q, s, len));
    } else if (ct && !json_is_null(ct)) {
        bad = 1;
    }
    if (json_object_get(ce, "data_base64"))
        bad = rn_event_errors_add(errs, "/data_base64",
                                  "binary data cannot be carried in an envelope (its data is a "
                                  "JSON object)");

    json_t *env = json_object(), *md = json_object();
    if (!env || !md) goto oom;
    /* Required CloudEvents attributes, in envelope order. */
    static const char *const req[][2] = {{"id", "eventId"}, {"type", "eventType"}};
    for (int i = 0; i < 2; i++) {
        char path[RN_EVENT_PATH_MAX];
        rn_event_ptr_join(path, "", req[i][0], strlen(req[i][0]));
        if (rn_event_check_string(json_object_get(ce, req[i][0]), path, 1, errs, &s, &len)) {
            if (json_object_set_new(env, req[i][1], json_stringn(s, len))) goto oom;
        } else {
            bad = 1;
        }
    }
    if (copy_opt(ce, "time", env, "eventTime", errs, &bad)) goto oom;
    if (rn_event_check_string(json_object_get(ce, "source"), "/source", 1, errs, &s, &len)) {
        if (json_object_set_new(env, "source", json_stringn(s, len))) goto oom;
    } else {
        bad = 1;
    }
    if (copy_opt(ce, "subject", env, "subject", errs, &bad) ||
        copy_opt(ce, "dataversion", env, "dataVersion", errs, &bad))
        goto oom;
    const json_t *data = json_object_get(ce, "data");
    if (data && !json_is_null(data) && json_object_set_new(env, "data", json_deep_copy(data)))
        goto oom;
    if (copy_opt(ce, "correlationid", md, "correlationId", errs, &bad) ||
        copy_opt(ce, "causationid", md, "causationId", errs, &bad) ||
        copy_opt(ce, "userid", md, "userId", errs, &bad) ||
        copy_opt(ce, "dataschema", md, "dataSchema", errs, &bad))
        goto oom;

    /* Every other attribute is an extension: metadata under its own name. */
    for (void *it = json_object_iter(rn_event_unconst(ce)); it;
         it = json_object_iter_next(rn_event_unconst(ce), it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        const json_t *v = json_object_iter_value(it);
        if (IN(key, klen, reserved) || json_is_null(v)) continue;
        char path[RN_EVENT_PATH_MAX];
        rn_event_ptr_join(path, "", key, klen);
        if (!rn_event_ce_name_ok(key, klen)) {
            bad = rn_event_errors_add(errs, path,
                                      "not a CloudEvents attribute name (lowercase letters and "
                                      "digits)");
            continue;
        }
        if (!json_is_string(v) && !json_is_boolean(v) && !json_is_number(v)) {
            bad = rn_event_errors_add(errs, path,
                                      "an extension attribute must be a string, number or "
                                      "boolean, got %s",
                                      rn_event_json_type_name(v));
            continue;
        }
        if (json_object_setn_new(md, key, klen, json_deep_copy(v))) goto oom;
    }
    if (bad) {
        json_decref(env);
        json_decref(md);
        return RN_EINVAL;
    }
    if (json_object_set_new(env, "metadata", md)) {
        md = NULL;
        goto oom;
    }
    *out = env;
    return RN_OK;
oom:
    json_decref(env);
    json_decref(md);
    return RN_ENOMEM;
}

/* ------------------------------------------------------------------ Kafka binary mode */

void rn_event_ce_binary_fini(rn_event_ce_binary *b)
{
    if (!b) return;
    free(b->headers);
    free(b->value);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

static void put_header_n(rn_event_ce_binary *b, const char *key, const char *value, size_t len)
{
    b->headers[b->n++] = (rn_event_header){key, strlen(key), value, len};
}

static void put_header(rn_event_ce_binary *b, const char *key, const char *value)
{
    if (value) put_header_n(b, key, value, strlen(value));
}

int rn_event_ce_encode_binary(const rn_event *ev, rn_event_ce_binary *out, rn_event_errors *errs)
{
    memset(out, 0, sizeof *out);
    if (!ev->event_id || !ev->metadata || !ev->data)
        return rn_event_errors_add(errs, "", "the envelope has not been validated");
    long n = collect_extensions(ev, NULL, errs);
    if (n < 0) return RN_EINVAL;
    ext *exts = n ? malloc((size_t)n * sizeof *exts) : NULL;
    if (n && !exts) return RN_ENOMEM;
    collect_extensions(ev, exts, NULL);

    /* scratch holds, per extension, "ce_" + name + NUL and room for a rendered number. */
    size_t scratch_len = 1;
    for (long i = 0; i < n; i++)
        scratch_len += 3 + exts[i].key_len + 1 + 24;
    out->scratch = malloc(scratch_len);
    out->headers = malloc((size_t)(13 + n) * sizeof *out->headers);
    /* The value is printed by jansson, as before documents were rn_jval: rn_jval_dump
     * writes exponents as "1e+20" and picks the digits of each real on its own, so its
     * bytes would differ from earlier releases' for some documents. */
    json_t *data = rn_jval_to_jansson(ev->data);
    size_t flags = data ? rn_event_json_dump_flags(data, JSON_COMPACT) : 0;
    size_t vlen = data ? json_dumpb(data, NULL, 0, flags) : 0;
    out->value = malloc(vlen ? vlen : 1);
    if (!data || !out->scratch || !out->headers || !out->value ||
        json_dumpb(data, out->value, vlen, flags) != vlen) {
        json_decref(data);
        free(exts);
        rn_event_ce_binary_fini(out);
        return RN_ENOMEM;
    }
    json_decref(data);
    out->value_len = vlen;

    put_header(out, "ce_specversion", "1.0");
    put_header(out, "ce_id", ev->event_id);
    put_header(out, "ce_source", ev->source);
    put_header(out, "ce_type", ev->event_type);
    put_header(out, "ce_subject", ev->subject);
    put_header(out, "ce_time", ev->event_time);
    put_header(out, "ce_dataschema", ev->data_schema);
    put_header(out, "ce_dataversion", ev->data_version);
    put_header(out, "ce_correlationid", ev->correlation_id);
    put_header(out, "ce_causationid", ev->causation_id);
    put_header(out, "ce_userid", ev->user_id);
    char *p = out->scratch;
    for (long i = 0; i < n; i++) {
        char *key = p;
        memcpy(p, "ce_", 3);
        ext_name(exts[i].key, exts[i].key_len, p + 3);
        p += 3 + exts[i].key_len + 1;
        const rn_jval *v = exts[i].value;
        if (v->type == RN_JSTRING) {
            /* By length: an extension string may hold U+0000. */
            put_header_n(out, key, v->u.s, v->len);
        } else if (v->type == RN_JBOOL) {
            put_header(out, key, v->u.b ? "true" : "false");
        } else {
            snprintf(p, 24, "%lld", (long long)v->u.i);
            put_header(out, key, p);
            p += strlen(p) + 1;
        }
    }
    put_header(out, "content-type", "application/json");
    free(exts);
    return RN_OK;
}

/* Where a structured-mode error path came from in binary mode: "/data" is the record
 * value, "/datacontenttype" the content-type header, "/NAME..." the ce_NAME header. */
static void binary_path(rn_event_error *e)
{
    char tmp[RN_EVENT_PATH_MAX];
    if (e->path[0] != '/') return;
    if (!strncmp(e->path, "/data", 5) && (e->path[5] == '\0' || e->path[5] == '/'))
        snprintf(tmp, sizeof tmp, "/value%s", e->path + 5);
    else if (!strcmp(e->path, "/datacontenttype"))
        snprintf(tmp, sizeof tmp, "/headers/content-type");
    else
        snprintf(tmp, sizeof tmp, "/headers/ce_%s", e->path + 1);
    memcpy(e->path, tmp, sizeof tmp);
}

int rn_event_ce_decode_binary(const rn_event_header *headers, size_t n, const void *value,
                              size_t value_len, json_t **out, rn_event_errors *errs)
{
    *out = NULL;
    int bad = 0;
    const char *ctype = NULL;
    size_t ctype_len = 0;
    json_t *ce = json_object();
    if (!ce) return RN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const rn_event_header *h = &headers[i];
        char path[RN_EVENT_PATH_MAX];
        if (!h->key) continue;
        rn_event_ptr_join(path, "/headers", h->key, h->key_len);
        if (h->key_len == 12 && !strncasecmp(h->key, "content-type", 12)) {
            if (h->value) {
                ctype = h->value;
                ctype_len = h->value_len;
            }
            continue;
        }
        if (h->key_len < 3 || memcmp(h->key, "ce_", 3)) continue;
        const char *name = h->key + 3;
        size_t nlen = h->key_len - 3;
        if (!rn_event_ce_name_ok(name, nlen)) {
            bad = rn_event_errors_add(errs, path,
                                      "not a CloudEvents attribute name after \"ce_\" (lowercase "
                                      "letters and digits)");
            continue;
        }
        if (!h->value) continue;
        if (json_object_getn(ce, name, nlen)) {
            bad = rn_event_errors_add(errs, path, "appears more than once");
            continue;
        }
        json_t *s = json_stringn(h->value, h->value_len);
        if (!s) {
            bad = rn_event_errors_add(errs, path, "must be UTF-8 text");
            continue;
        }
        if (json_object_setn_new(ce, name, nlen, s)) goto oom;
    }
    if (ctype) {
        json_t *s = json_stringn(ctype, ctype_len);
        if (!s)
            bad = rn_event_errors_add(errs, "/headers/content-type", "must be UTF-8 text");
        else if (json_object_set_new(ce, "datacontenttype", s))
            goto oom;
    }
    /* The value is the data; parsed as JSON unless content-type says otherwise (the
     * structured decoder then rejects the content type). "\u0000" is allowed in strings,
     * as rn_event_parse allows it in data. */
    if (value && (!ctype || media_type_is_json(ctype, ctype_len))) {
        json_error_t jerr;
        json_t *data = json_loadb(value, value_len,
                                  JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (!data) {
            char text[JSON_ERROR_TEXT_LENGTH];
            size_t o = 0;
            for (const char *c = jerr.text; *c && o + 1 < sizeof text; c++)
                text[o++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
            text[o] = '\0';
            bad = rn_event_errors_add(errs, "/value", "not valid JSON: %s (line %d, column %d)",
                                      text, jerr.line, jerr.column);
        } else if (json_object_set_new(ce, "data", data)) {
            goto oom;
        }
    }
    size_t first = errs ? errs->n : 0;
    int rc = rn_event_ce_decode(ce, out, errs);
    if (errs)
        for (size_t i = first; i < errs->n; i++)
            binary_path(&errs->e[i]);
    json_decref(ce);
    if (rc == RN_OK && bad) {
        json_decref(*out);
        *out = NULL;
        return RN_EINVAL;
    }
    return rc;
oom:
    json_decref(ce);
    return RN_ENOMEM;
}
