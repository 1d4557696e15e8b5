/*
 * log/fileops.c - rn_fileops_posix: the real system calls behind the storage log's
 * fault-injection table (log/fileops.h).
 *
 * The table covers every call that writes, reads, syncs, truncates, renames or removes
 * data: the calls whose failures matter for durability. Metadata look-ups (fstat,
 * opendir/readdir, mkdir, rmdir) are made directly by the log; tests do not need to fail
 * them.
 */
#include "log/fileops.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* open(2) is variadic, so it needs a wrapper to fit the table's fixed signature. */
static int posix_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags | O_CLOEXEC, mode);
}

const rn_fileops rn_fileops_posix = {
    .open = posix_open,
    .close = close,
    .pwrite = pwrite,
    .pread = pread,
    .fdatasync = fdatasync,
    .fsync = fsync,
    .ftruncate = ftruncate,
    .rename = rename,
    .unlink = unlink,
};
