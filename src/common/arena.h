/*
 * common/arena.h - a bump allocator for request-scoped memory (decoded requests, response
 * scratch), freed in one call, as nginx pools are. Not thread-safe.
 */
#ifndef RN_COMMON_ARENA_H
#define RN_COMMON_ARENA_H

#include <stddef.h>

typedef struct rn_arena_chunk rn_arena_chunk;

/* A zeroed rn_arena is valid and empty. */
typedef struct rn_arena {
    rn_arena_chunk *head; /* newest chunk first; from malloc() */
    size_t used_total;    /* bytes handed out since the last reset */
} rn_arena;

/* Returns n bytes aligned to 16, zero-filled; NULL on OOM. Valid until reset/fini. */
void *rn_arena_alloc(rn_arena *a, size_t n);
/* rn_arena_alloc without the zero fill, for memory the caller writes whole at once. */
void *rn_arena_alloc_uninit(rn_arena *a, size_t n);
/* Duplicates n bytes (plus a NUL) into the arena. */
char *rn_arena_strndup(rn_arena *a, const char *s, size_t n);
/* Frees all but the first chunk, which is kept for reuse. */
void rn_arena_reset(rn_arena *a);
/* Frees everything. */
void rn_arena_fini(rn_arena *a);

#endif
