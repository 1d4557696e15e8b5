/*
 * log/fileops.h - the file system calls the storage log makes, behind a table of function
 * pointers so tests can inject failures (fsync EIO, short writes, ENOSPC), as sqlite's
 * aSyscall[] does. Production uses rn_fileops_posix.
 *
 * Every function returns what the POSIX call returns (-1 with errno set on failure).
 */
#ifndef RN_LOG_FILEOPS_H
#define RN_LOG_FILEOPS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct rn_fileops {
    int (*open)(const char *path, int flags, mode_t mode);
    int (*close)(int fd);
    ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
    ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
    int (*fdatasync)(int fd);
    int (*fsync)(int fd); /* used for directories */
    int (*ftruncate)(int fd, off_t len);
    int (*rename)(const char *from, const char *to);
    int (*unlink)(const char *path);
} rn_fileops;

/* The real calls. */
extern const rn_fileops rn_fileops_posix;

#endif
