/*
 * log/tail.c - where the recent tail of a partition begins, for scans that only need the
 * newest batches (producer-state rebuild).
 */
#include "log/log_int.h"

int64_t rn_partition_tail_offset(const rn_partition *p, int64_t max_bytes)
{
    int32_t i = p->nsegs - 1;
    int64_t bytes = p->segs[i]->size;
    while (i > 0 && bytes + p->segs[i - 1]->size <= max_bytes) {
        i--;
        bytes += p->segs[i]->size;
    }
    int64_t base = p->segs[i]->base;
    return base < p->log_start ? p->log_start : base;
}
