/*
 * common/arena.c - chunked bump allocator.
 */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rn_arena_chunk {
    rn_arena_chunk *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK 16384

void *rn_arena_alloc_uninit(rn_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    rn_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used_total += n;
    return p;
}

void *rn_arena_alloc(rn_arena *a, size_t n)
{
    void *p = rn_arena_alloc_uninit(a, n);
    if (p) memset(p, 0, n ? (n + 15) & ~(size_t)15 : 16);
    return p;
}

char *rn_arena_strndup(rn_arena *a, const char *s, size_t n)
{
    char *p = rn_arena_alloc_uninit(a, n + 1);
    if (p) {
        if (n) memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void rn_arena_reset(rn_arena *a)
{
    rn_arena_chunk *c = a->head;
    if (!c) return;
    /* keep the oldest (last) chunk if it is the standard size */
    rn_arena_chunk *keep = NULL;
    while (c) {
        rn_arena_chunk *next = c->next;
        if (!next && c->cap == ARENA_CHUNK)
            keep = c;
        else
            free(c);
        c = next;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used_total = 0;
}

void rn_arena_fini(rn_arena *a)
{
    rn_arena_chunk *c = a->head;
    while (c) {
        rn_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_total = 0;
}
