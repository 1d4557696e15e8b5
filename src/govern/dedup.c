/*
 * govern/dedup.c - the eventId dedup window of one topic: a hash table of 16-byte event
 * ids (linear probing, backward-shift deletion) plus a FIFO in acceptance order, from
 * whose head entries older than the window are expired.
 */
#include "govern/govern.h"

#include "event/envelope.h"
#include "kafka/record/record.h"

#include <stdlib.h>
#include <string.h>

typedef struct dd_entry {
    uint8_t id[16];
    int32_t partition;
    int used;
    int64_t offset;
    int64_t time_ms;
} dd_entry;

typedef struct dd_fifo {
    uint8_t id[16];
    int64_t time_ms;
} dd_fifo;

struct rn_dedup {
    int64_t window_ms;
    dd_entry *tab; /* from malloc(); cap is a power of two */
    size_t cap, n;
    dd_fifo *fifo; /* ring, from malloc() */
    size_t fcap, fhead, fn;
};

rn_dedup *rn_dedup_new(int64_t window_ms)
{
    rn_dedup *d = calloc(1, sizeof *d);
    if (d) d->window_ms = window_ms;
    return d;
}

void rn_dedup_free(rn_dedup *d)
{
    if (!d) return;
    free(d->tab);
    free(d->fifo);
    free(d);
}

void rn_dedup_set_window(rn_dedup *d, int64_t window_ms)
{
    d->window_ms = window_ms;
}

size_t rn_dedup_count(const rn_dedup *d)
{
    return d->n;
}

static size_t hash_id(const uint8_t id[16])
{
    uint64_t a, b;
    memcpy(&a, id, 8);
    memcpy(&b, id + 8, 8);
    uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return (size_t)x;
}

static dd_entry *lookup(const rn_dedup *d, const uint8_t id[16])
{
    if (!d->cap) return NULL;
    for (size_t i = hash_id(id) & (d->cap - 1);; i = (i + 1) & (d->cap - 1)) {
        dd_entry *e = &d->tab[i];
        if (!e->used) return NULL;
        if (!memcmp(e->id, id, 16)) return e;
    }
}

static void remove_at(rn_dedup *d, size_t i)
{
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    size_t mask = d->cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!d->tab[j].used) break;
        size_t home = hash_id(d->tab[j].id) & mask;
        /* Move j into the hole at i if its home is not in (i, j]. */
        if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
            d->tab[i] = d->tab[j];
            i = j;
        }
    }
    d->tab[i].used = 0;
    d->n--;
}

static int grow(rn_dedup *d)
{
    size_t cap = d->cap ? d->cap * 2 : 1024;
    dd_entry *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < d->cap; i++) {
        if (!d->tab[i].used) continue;
        size_t j = hash_id(d->tab[i].id) & (cap - 1);
        while (t[j].used)
            j = (j + 1) & (cap - 1);
        t[j] = d->tab[i];
    }
    free(d->tab);
    d->tab = t;
    d->cap = cap;
    return 0;
}

static void expire(rn_dedup *d, int64_t now_ms)
{
    while (d->fn > 0) {
        dd_fifo *f = &d->fifo[d->fhead];
        if (f->time_ms >= now_ms - d->window_ms) break;
        dd_entry *e = lookup(d, f->id);
        if (e && e->time_ms == f->time_ms) remove_at(d, (size_t)(e - d->tab));
        d->fhead = (d->fhead + 1) % d->fcap;
        d->fn--;
    }
}

int rn_dedup_find(rn_dedup *d, const uint8_t id[16], int64_t now_ms, int32_t *partition,
                  int64_t *offset)
{
    expire(d, now_ms);
    dd_entry *e = lookup(d, id);
    if (!e || e->time_ms < now_ms - d->window_ms) return 0;
    *partition = e->partition;
    *offset = e->offset;
    return 1;
}

void rn_dedup_add(rn_dedup *d, const uint8_t id[16], int32_t partition, int64_t offset,
                  int64_t time_ms)
{
    if ((d->n + 1) * 4 > d->cap * 3 && grow(d))
        return; /* out of memory: this id is not remembered */
    if (d->fn == d->fcap) {
        size_t fcap = d->fcap ? d->fcap * 2 : 1024;
        dd_fifo *f = malloc(fcap * sizeof *f);
        if (!f) return;
        for (size_t i = 0; i < d->fn; i++)
            f[i] = d->fifo[(d->fhead + i) % d->fcap];
        free(d->fifo);
        d->fifo = f;
        d->fcap = fcap;
        d->fhead = 0;
    }
    dd_entry *e = lookup(d, id);
    if (!e) {
        size_t j = hash_id(id) & (d->cap - 1);
        while (d->tab[j].used)
            j = (j + 1) & (d->cap - 1);
        e = &d->tab[j];
        memcpy(e->id, id, 16);
        e->used = 1;
        d->n++;
    }
    e->partition = partition;
    e->offset = offset;
    e->time_ms = time_ms;
    dd_fifo *f = &d->fifo[(d->fhead + d->fn) % d->fcap];
    memcpy(f->id, id, 16);
    f->time_ms = time_ms;
    d->fn++;
}

/* Reads the eventId of a record value without validating the rest of the envelope; a
 * is reset first (it holds only this value's document). */
static int event_id_of(rn_arena *a, const uint8_t *value, int32_t len, uint8_t out[16])
{
    if (!value || len <= 0) return 0;
    rn_arena_reset(a);
    const rn_jval *root;
    if (rn_jdoc_parse(a, value, (size_t)len, &root, NULL) != RN_OK) return 0;
    const rn_jval *id = rn_jval_get(root, "eventId", 7);
    /* a zero byte in the string fails the UUID syntax */
    return id && id->type == RN_JSTRING &&
           rn_event_uuid_parse(id->u.s, id->len, out, NULL) == RN_OK;
}

int rn_dedup_rebuild(rn_dedup *d, rn_partition *part, int32_t partition, int64_t now_ms,
                     rn_err *err)
{
    int64_t from, found_ts;
    int rc = rn_partition_offset_for_time(part, now_ms - d->window_ms, &from, &found_ts, err);
    if (rc || from < 0) return rc;
    int64_t end = rn_partition_log_end(part);
    rn_buf buf = {0};
    rn_arena doc = {0};
    while (from < end && rc == RN_OK) {
        buf.len = 0;
        rc = rn_partition_read(part, from, 1 << 20, &buf, err);
        if (rc || buf.len == 0) break;
        size_t pos = 0;
        while (pos < buf.len) {
            size_t blen = rn_batch_next_size(buf.p + pos, buf.len - pos);
            if (!blen) break;
            rn_record_iter it;
            if (rn_record_iter_init(&it, buf.p + pos, blen, RN_BATCH_DEFAULT_MAX_DECOMPRESSED,
                                    NULL) == RN_OK) {
                rn_record r;
                uint8_t id[16];
                while (rn_record_iter_next(&it, &r, NULL) == 1)
                    if (r.timestamp >= now_ms - d->window_ms &&
                        event_id_of(&doc, r.value, r.value_len, id))
                        rn_dedup_add(d, id, partition, r.offset, r.timestamp);
                const rn_batch_header *h = rn_record_iter_header(&it);
                from = h->base_offset + h->last_offset_delta + 1;
                rn_record_iter_fini(&it);
            } else {
                break;
            }
            pos += blen;
        }
        if (pos == 0) break;
    }
    rn_buf_fini(&buf);
    rn_arena_fini(&doc);
    return rc;
}
