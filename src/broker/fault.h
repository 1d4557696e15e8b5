/*
 * broker/fault.h - fault injection for tests of the real binary: RUNNEL_FAULT_FSYNC in
 * the environment makes the storage log's fdatasync fail.
 *
 *   RUNNEL_FAULT_FSYNC=eio-after:N   the first N fdatasync calls succeed, every later
 *                                    one fails with EIO (as a dying disk would)
 *   RUNNEL_FAULT_FSYNC=enospc-after:N  the same with ENOSPC
 *
 * Without the variable the real calls are used unchanged.
 */
#ifndef RN_BROKER_FAULT_H
#define RN_BROKER_FAULT_H

#include "log/fileops.h"

/* Returns the file operations to use: rn_fileops_posix, or a fault-injecting table when
 * RUNNEL_FAULT_FSYNC is set (a WARN line says so). */
const rn_fileops *rn_fault_fileops(void);

#endif
