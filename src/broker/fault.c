/*
 * broker/fault.c - RUNNEL_FAULT_FSYNC: fdatasync failure injection for end-to-end tests.
 */
#include "broker/fault.h"

#include "common/diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static long fault_after = -1;
static int fault_errno = EIO;
static long fsync_calls;
static rn_fileops fault_ops;

static int faulty_fdatasync(int fd)
{
    long n = __atomic_add_fetch(&fsync_calls, 1, __ATOMIC_SEQ_CST);
    if (n > fault_after) {
        errno = fault_errno;
        return -1;
    }
    return rn_fileops_posix.fdatasync(fd);
}

const rn_fileops *rn_fault_fileops(void)
{
    const char *spec = getenv("RUNNEL_FAULT_FSYNC");
    if (!spec || !*spec) return &rn_fileops_posix;
    const char *colon = strchr(spec, ':');
    if (!colon) {
        RN_WARN("fault: ignoring RUNNEL_FAULT_FSYNC=%s (expected eio-after:N)", spec);
        return &rn_fileops_posix;
    }
    if (!strncmp(spec, "eio-after", (size_t)(colon - spec)))
        fault_errno = EIO;
    else if (!strncmp(spec, "enospc-after", (size_t)(colon - spec)))
        fault_errno = ENOSPC;
    else {
        RN_WARN("fault: ignoring RUNNEL_FAULT_FSYNC=%s (unknown fault)", spec);
        return &rn_fileops_posix;
    }
    fault_after = strtol(colon + 1, NULL, 10);
    fault_ops = rn_fileops_posix;
    fault_ops.fdatasync = faulty_fdatasync;
    RN_WARN("fault: injecting %s into fdatasync after %ld successful calls",
            fault_errno == EIO ? "EIO" : "ENOSPC", fault_after);
    return &fault_ops;
}
