/*
 * govern/govern.c - produce-time checks of event records: envelope and naming rules,
 * schema of the data (registry), eventId dedup verdicts, batch rewrite without
 * duplicates, and rejection counters.
 */
#include "govern/govern.h"

#include "common/crc32c.h"
#include "common/diag.h"
#include "common/timeutil.h"
#include "event/envelope.h"
#include "kafka/record/record.h"
#include "registry/jsonschema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reject_count {
    char *topic; /* from malloc() */
    char *type;  /* from malloc(); NULL = the topic's total */
    uint64_t n;
} reject_count;

struct rn_govern {
    rn_event_rules rules;
    char *domains_buf; /* from malloc(): the comma lists, split in place */
    char *verbs_buf;
    const char **domains;
    const char **verbs;
    rn_govern_schema_fn schema_fn; /* looks up compiled schemas (the registry) */
    void *schema_arg;
    reject_count *counts; /* from malloc() */
    int ncounts, capcounts;
};

/* Splits a comma-separated list in place into out[]; returns the count. */
static size_t split_list(char *s, const char **out, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(s, ", "); tok && n < max; tok = strtok(NULL, ", "))
        out[n++] = tok;
    return n;
}

int rn_govern_new(const rn_broker_config *cfg, rn_govern_schema_fn schema_fn, void *schema_arg,
                  rn_govern **out, rn_err *err)
{
    rn_govern *g = calloc(1, sizeof *g);
    if (!g) return rn_err_set(err, RN_ENOMEM, "out of memory");
    g->schema_fn = schema_fn;
    g->schema_arg = schema_arg;
    g->domains_buf = strdup(cfg->naming_domains);
    g->verbs_buf = strdup(cfg->naming_past_tense);
    g->domains = calloc(256, sizeof *g->domains);
    g->verbs = calloc(256, sizeof *g->verbs);
    if (!g->domains_buf || !g->verbs_buf || !g->domains || !g->verbs) {
        rn_govern_free(g);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    g->rules.domains = g->domains;
    g->rules.ndomains = split_list(g->domains_buf, g->domains, 256);
    g->rules.past_tense = g->verbs;
    g->rules.npast_tense = split_list(g->verbs_buf, g->verbs, 256);
    int rc = rn_event_rules_check(&g->rules, err);
    if (rc) {
        rn_govern_free(g);
        return rc;
    }
    *out = g;
    return RN_OK;
}

void rn_govern_set_schema_fn(rn_govern *g, rn_govern_schema_fn fn, void *arg)
{
    g->schema_fn = fn;
    g->schema_arg = arg;
}

void rn_govern_free(rn_govern *g)
{
    if (!g) return;
    for (int i = 0; i < g->ncounts; i++) {
        free(g->counts[i].topic);
        free(g->counts[i].type);
    }
    free(g->counts);
    free(g->domains_buf);
    free(g->verbs_buf);
    free(g->domains);
    free(g->verbs);
    free(g);
}

static char *arena_printf(rn_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *arena_printf(rn_arena *a, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return rn_arena_strndup(a, tmp, strlen(tmp));
}

static void reject(rn_govern_verdict *v, rn_arena *a, int32_t index, const char *msg)
{
    v->nrejected++;
    v->reasons[index] = rn_arena_strndup(a, msg, strlen(msg));
    if (v->nerrors < RN_GOVERN_MAX_ERRORS) {
        v->errors[v->nerrors].index = index;
        v->errors[v->nerrors].message = rn_arena_strndup(a, msg, strlen(msg));
        v->nerrors++;
    }
}

/* Validates ev.data against the registry schema of its eventType. Returns RN_OK, or
 * RN_EINVAL with msg filled. */
/* The schema found for the previous record of the batch: records of one batch usually
 * share their eventType and dataVersion, and a lookup costs more than validating. */
typedef struct schema_cache {
    char type[256];
    uint32_t minor;
    const rn_jsonschema *schema;
    int id;
    int valid;
} schema_cache;

static int check_schema(rn_govern *g, const rn_event *ev, schema_cache *cache, char *msg,
                        size_t msglen)
{
    if (!g->schema_fn) {
        snprintf(msg, msglen, "/data: schema validation needs the schema registry");
        return RN_EINVAL;
    }
    const rn_jsonschema *schema = NULL;
    int id = 0;
    rn_err err;
    int rc = RN_OK;
    if (cache->valid && cache->minor == ev->data_minor && !strcmp(cache->type, ev->event_type)) {
        schema = cache->schema;
        id = cache->id;
    } else {
        /* dataVersion "MAJOR.MINOR": the subject's version MINOR + 1 when it exists (the
         * registry numbers versions from 1; minor 0 is the first), else the latest. */
        int version = (int)ev->data_minor + 1;
        rc = g->schema_fn(g->schema_arg, ev->event_type, version, &schema, &id, &err);
        if (rc == RN_ENOTFOUND)
            rc = g->schema_fn(g->schema_arg, ev->event_type, -1, &schema, &id, &err);
        cache->valid = 0;
        if (rc == RN_OK && strlen(ev->event_type) < sizeof cache->type) {
            strcpy(cache->type, ev->event_type);
            cache->minor = ev->data_minor;
            cache->schema = schema;
            cache->id = id;
            cache->valid = 1;
        }
    }
    if (rc == RN_ENOTFOUND) {
        snprintf(msg, msglen, "/eventType: no schema registered under subject \"%s\"",
                 ev->event_type);
        return RN_EINVAL;
    }
    if (rc) {
        snprintf(msg, msglen, "/data: schema registry: %s", err.msg);
        return RN_EINVAL;
    }
    /* The verdict alone first (stops at the first failure, fills no 8 KiB error list);
     * only a failing record is validated again to say why. */
    if (rn_jsonschema_validate_doc(schema, ev->data, NULL) == RN_OK) return RN_OK;
    rn_jsonschema_errors errs;
    rn_jsonschema_validate_doc(schema, ev->data, &errs);
    /* "/data/price: -1 is less than the minimum of 0 (minimum); ... (schema id 3)" */
    size_t o = 0;
    for (size_t k = 0; k < errs.n && k < 3 && o < msglen; k++)
        o += (size_t)snprintf(msg + o, msglen - o, "%s/data%s: %s (%s)", k ? "; " : "",
                              errs.e[k].instance_path, errs.e[k].message, errs.e[k].keyword);
    if (o < msglen)
        snprintf(msg + o, msglen - o, "%s (schema id %d)", errs.n > 3 ? "; ..." : "", id);
    return RN_EINVAL;
}

/* The eventIds accepted so far in one batch: open addressing over record indices + 1
 * (0 = empty), so a batch of n records costs O(n) lookups, not O(n^2) comparisons. */
typedef struct id_set {
    int32_t *slots;
    size_t mask;
} id_set;

static size_t id_set_size(int32_t n)
{
    size_t size = 16;
    while (size < 2 * (size_t)(n > 0 ? n : 1))
        size *= 2;
    return size;
}

/* 1 if record i's id is already in the set (a duplicate); else adds it and returns 0. */
static int batch_seen(id_set *set, const rn_govern_verdict *v, int32_t i)
{
    uint64_t h1, h2; /* v4 and v7 ids end in random bits; mix both halves anyway */
    memcpy(&h1, v->ids[i], 8);
    memcpy(&h2, v->ids[i] + 8, 8);
    size_t k = (size_t)((h1 ^ h2) * 0x9e3779b97f4a7c15ull >> 32) & set->mask;
    for (;; k = (k + 1) & set->mask) {
        int32_t j = set->slots[k] - 1;
        if (j < 0) {
            set->slots[k] = i + 1;
            return 0;
        }
        if (!memcmp(v->ids[j], v->ids[i], 16)) return 1;
    }
}

int rn_govern_check(rn_govern *g, const char *topic, const rn_topic_settings *s, rn_dedup *dedup,
                    const uint8_t *p, size_t len, rn_arena *a, rn_govern_verdict *v, rn_err *err)
{
    (void)topic;
    memset(v, 0, sizeof *v);
    v->first_duplicate_offset = -1;
    rn_record_iter it;
    int rc = rn_record_iter_init(&it, p, len, RN_BATCH_DEFAULT_MAX_DECOMPRESSED, err);
    if (rc) return rc;
    int32_t n = rn_record_iter_header(&it)->records_count;
    int64_t base = rn_record_iter_header(&it)->base_offset;
    v->nrecords = n;
    size_t cnt = (size_t)(n > 0 ? n : 1);
    v->duplicate = rn_arena_alloc(a, cnt);
    v->has_id = rn_arena_alloc(a, cnt);
    v->ids = rn_arena_alloc(a, cnt * 16);
    v->deltas = rn_arena_alloc(a, cnt * sizeof *v->deltas);
    v->types = rn_arena_alloc(a, cnt * sizeof *v->types);
    v->reasons = rn_arena_alloc(a, cnt * sizeof *v->reasons);
    if (!v->duplicate || !v->has_id || !v->ids || !v->deltas || !v->types || !v->reasons) {
        rn_record_iter_fini(&it);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    int64_t now = rn_now_ms();
    schema_cache cache;
    cache.valid = 0;
    rn_arena doc_arena = {0}; /* the record's parsed envelope; reset per record */
    id_set seen = {0};
    if (dedup && !(seen.slots = rn_arena_alloc(a, id_set_size(n) * sizeof *seen.slots))) {
        rn_record_iter_fini(&it);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    seen.mask = id_set_size(n) - 1;
    rn_record r;
    int32_t i = 0;
    while ((rc = rn_record_iter_next(&it, &r, err)) == 1 && i < n) {
        v->deltas[i] = (int32_t)(r.offset - base);
        rn_arena_reset(&doc_arena);
        const rn_jval *root = NULL;
        rn_event ev;
        rn_event_errors errs;
        rn_event_errors_init(&errs);
        int enforce = s->validation != RN_VALIDATION_NONE;
        int bad;
        if (r.value_len < 0) {
            bad = 1;
            if (enforce) reject(v, a, i, "record value is null: an event envelope is required");
        } else {
            bad = rn_event_parse(&doc_arena, r.value, (size_t)r.value_len, &g->rules, &root, &ev,
                                 &errs) != RN_OK;
            if (bad && enforce) {
                char msg[900];
                rn_event_errors_format(&errs, msg, sizeof msg);
                reject(v, a, i, msg);
            }
        }
        if (!bad) {
            /* records of a batch mostly share their type: share the copy too */
            if (i > 0 && v->types[i - 1] && !strcmp(v->types[i - 1], ev.event_type))
                v->types[i] = v->types[i - 1];
            else
                v->types[i] = rn_arena_strndup(a, ev.event_type, strlen(ev.event_type));
            memcpy(v->ids[i], ev.uuid, 16);
            v->has_id[i] = 1;
            char msg[900];
            if (enforce && s->validation == RN_VALIDATION_SCHEMA &&
                check_schema(g, &ev, &cache, msg, sizeof msg) != RN_OK) {
                reject(v, a, i, msg);
                bad = 1;
            }
        } else if (enforce && r.value_len > 0) {
            /* keep the type for the counters if the JSON has one (root is the document
             * whenever the value parsed) */
            const rn_jval *t = rn_jval_getz(root, "eventType");
            if (t && t->type == RN_JSTRING) {
                size_t tl = strnlen(t->u.s, t->len);
                v->types[i] = rn_arena_strndup(a, t->u.s, tl > 128 ? 128 : tl);
            }
        }
        if (!bad && dedup && v->has_id[i]) {
            int32_t dp;
            int64_t doff;
            int dup = rn_dedup_find(dedup, v->ids[i], now, &dp, &doff);
            /* the same id twice inside this batch: the second one is a duplicate too */
            if (!dup && batch_seen(&seen, v, i)) {
                dup = 1;
                doff = -1;
            }
            if (dup) {
                v->duplicate[i] = 1;
                v->nduplicates++;
                if (v->first_duplicate_offset < 0) v->first_duplicate_offset = doff;
            }
        }
        i++;
    }
    rn_arena_fini(&doc_arena);
    rn_record_iter_fini(&it);
    if (rc < 0) return rc;
    if (v->nrejected > 0) {
        v->message = arena_printf(a, "%d of %d records rejected: record %d: %s", v->nrejected, n,
                                  v->errors[0].index, v->errors[0].message);
    }
    return RN_OK;
}

int rn_govern_rewrite(const uint8_t *p, size_t len, const rn_govern_verdict *v, rn_buf *out,
                      rn_err *err)
{
    rn_record_iter it;
    int rc = rn_record_iter_init(&it, p, len, RN_BATCH_DEFAULT_MAX_DECOMPRESSED, err);
    if (rc) return rc;
    int codec = rn_record_iter_header(&it)->attributes & RN_BATCH_ATTR_CODEC_MASK;
    rn_buf recs = {0};
    rn_record r;
    int32_t i = 0, kept = 0;
    while ((rc = rn_record_iter_next(&it, &r, err)) == 1) {
        if (i < v->nrecords && !v->duplicate[i]) {
            rn_buf_append(&recs, r.raw, r.raw_len);
            kept++;
        }
        i++;
    }
    rn_record_iter_fini(&it);
    if (rc < 0 || !rn_buf_ok(&recs)) {
        rn_buf_fini(&recs);
        return rc < 0 ? rc : rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    size_t start = out->len;
    rn_buf_append(out, p, RN_BATCH_HEADER_SIZE);
    if (codec == RN_CODEC_NONE || kept == 0)
        rn_buf_append(out, recs.p, recs.len);
    else if ((rc = rn_batch_compress(codec, recs.p, recs.len, out, err))) {
        rn_buf_fini(&recs);
        out->len = start;
        return rc;
    }
    rn_buf_fini(&recs);
    if (!rn_buf_ok(out)) return rn_err_set(err, RN_ENOMEM, "out of memory");
    uint8_t *b = out->p + start;
    size_t blen = out->len - start;
    if (kept == 0 && codec != RN_CODEC_NONE) /* an empty batch carries no compressed blob */
        rn_be16_store(b + 21, (uint16_t)(rn_be16_load(b + 21) & ~RN_BATCH_ATTR_CODEC_MASK));
    rn_be32_store(b + 8, (uint32_t)(blen - 12));
    rn_be32_store(b + 57, (uint32_t)kept);
    rn_be32_store(b + 17, rn_crc32c(0, b + 21, blen - 21));
    return RN_OK;
}

void rn_govern_accepted(rn_dedup *dedup, const rn_govern_verdict *v, int32_t partition,
                        int64_t base_offset, int64_t now_ms)
{
    if (!dedup) return;
    for (int32_t i = 0; i < v->nrecords; i++)
        if (v->has_id[i] && !v->duplicate[i])
            rn_dedup_add(dedup, v->ids[i], partition, base_offset + v->deltas[i], now_ms);
}

static reject_count *count_slot(rn_govern *g, const char *topic, const char *type)
{
    for (int i = 0; i < g->ncounts; i++) {
        reject_count *c = &g->counts[i];
        if (!strcmp(c->topic, topic) &&
            ((!type && !c->type) || (type && c->type && !strcmp(c->type, type))))
            return c;
    }
    if (g->ncounts == g->capcounts) {
        int cap = g->capcounts ? g->capcounts * 2 : 16;
        reject_count *nc = realloc(g->counts, (size_t)cap * sizeof *nc);
        if (!nc) return NULL;
        g->counts = nc;
        g->capcounts = cap;
    }
    reject_count *c = &g->counts[g->ncounts];
    c->topic = strdup(topic);
    c->type = type ? strdup(type) : NULL;
    c->n = 0;
    if (!c->topic || (type && !c->type)) {
        free(c->topic);
        free(c->type);
        return NULL;
    }
    g->ncounts++;
    return c;
}

void rn_govern_count_rejects(rn_govern *g, const char *topic, const rn_govern_verdict *v)
{
    reject_count *total = count_slot(g, topic, NULL);
    if (total) total->n += (uint64_t)v->nrejected;
    /* Every record of a rejected batch that broke a rule is counted under its type. */
    for (int e = 0; e < v->nerrors; e++) {
        int32_t i = v->errors[e].index;
        reject_count *c = count_slot(g, topic, v->types[i] ? v->types[i] : "(invalid)");
        if (c) c->n++;
    }
}

void rn_govern_rejects(const rn_govern *g, const char *topic,
                       void (*cb)(void *arg, const char *type, uint64_t n), void *arg)
{
    for (int i = 0; i < g->ncounts; i++)
        if (!strcmp(g->counts[i].topic, topic)) cb(arg, g->counts[i].type, g->counts[i].n);
}

void rn_govern_forget_topic(rn_govern *g, const char *topic)
{
    for (int i = 0; i < g->ncounts;) {
        if (!strcmp(g->counts[i].topic, topic)) {
            free(g->counts[i].topic);
            free(g->counts[i].type);
            g->counts[i] = g->counts[--g->ncounts];
        } else {
            i++;
        }
    }
}
