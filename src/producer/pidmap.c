/*
 * producer/pidmap.c - per-partition producer-id state: an open-addressing hash table of
 * producer ids, each with a ring of its last RN_PID_BATCHES batches.
 */
#include "producer/pidmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct pid_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t base_offset;
} pid_batch;

typedef struct pid_entry {
    int64_t pid; /* -1 = empty slot */
    int16_t epoch;
    int nbatches;
    int next; /* ring position for the next batch */
    pid_batch batches[RN_PID_BATCHES];
} pid_entry;

struct rn_pidmap {
    pid_entry *slots; /* from malloc() */
    size_t cap;       /* power of two */
    size_t n;
};

rn_pidmap *rn_pidmap_new(void)
{
    rn_pidmap *m = calloc(1, sizeof *m);
    return m;
}

void rn_pidmap_free(rn_pidmap *m)
{
    if (!m) return;
    free(m->slots);
    free(m);
}

int rn_pidmap_count(const rn_pidmap *m)
{
    return (int)m->n;
}

static size_t hash_pid(int64_t pid)
{
    uint64_t x = (uint64_t)pid;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static pid_entry *lookup(const rn_pidmap *m, int64_t pid)
{
    if (!m->cap) return NULL;
    for (size_t i = hash_pid(pid) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        pid_entry *e = &m->slots[i];
        if (e->pid == pid) return e;
        if (e->pid == -1) return NULL;
    }
}

static int grow(rn_pidmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    pid_entry *slots = malloc(cap * sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < cap; i++)
        slots[i].pid = -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].pid == -1) continue;
        size_t j = hash_pid(m->slots[i].pid) & (cap - 1);
        while (slots[j].pid != -1)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

static pid_entry *insert(rn_pidmap *m, int64_t pid)
{
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m)) return NULL;
    size_t i = hash_pid(pid) & (m->cap - 1);
    while (m->slots[i].pid != -1)
        i = (i + 1) & (m->cap - 1);
    pid_entry *e = &m->slots[i];
    memset(e, 0, sizeof *e);
    e->pid = pid;
    m->n++;
    return e;
}

/* Sequences wrap from INT32_MAX to 0. */
static int32_t seq_add(int32_t seq, int32_t delta)
{
    int64_t s = (int64_t)seq + delta;
    return (int32_t)(s > INT32_MAX ? s - INT32_MAX - 1 : s);
}

enum rn_pid_verdict rn_pidmap_check(const rn_pidmap *m, int64_t pid, int16_t epoch,
                                    int32_t base_seq, int32_t last_offset_delta,
                                    int64_t *dup_offset)
{
    const pid_entry *e = lookup(m, pid);
    if (!e) return RN_PID_ACCEPT; /* unknown producer: any sequence (Kafka does the same) */
    int32_t last_seq = seq_add(base_seq, last_offset_delta);
    if (epoch == e->epoch) {
        for (int i = 0; i < e->nbatches; i++) {
            const pid_batch *b = &e->batches[i];
            if (b->first_seq == base_seq && b->last_seq == last_seq) {
                *dup_offset = b->base_offset;
                return RN_PID_DUPLICATE;
            }
        }
    }
    if (epoch < e->epoch) return RN_PID_FENCED;
    if (epoch > e->epoch) return base_seq == 0 ? RN_PID_ACCEPT : RN_PID_OUT_OF_ORDER;
    if (e->nbatches == 0) return RN_PID_ACCEPT;
    const pid_batch *lastb = &e->batches[(e->next + RN_PID_BATCHES - 1) % RN_PID_BATCHES];
    return base_seq == seq_add(lastb->last_seq, 1) ? RN_PID_ACCEPT : RN_PID_OUT_OF_ORDER;
}

int rn_pidmap_record(rn_pidmap *m, int64_t pid, int16_t epoch, int32_t base_seq,
                     int32_t last_offset_delta, int64_t base_offset)
{
    pid_entry *e = lookup(m, pid);
    if (!e && !(e = insert(m, pid))) return -1;
    if (epoch != e->epoch) {
        e->epoch = epoch;
        e->nbatches = 0;
        e->next = 0;
    }
    pid_batch *b = &e->batches[e->next];
    b->first_seq = base_seq;
    b->last_seq = seq_add(base_seq, last_offset_delta);
    b->base_offset = base_offset;
    e->next = (e->next + 1) % RN_PID_BATCHES;
    if (e->nbatches < RN_PID_BATCHES) e->nbatches++;
    return 0;
}
