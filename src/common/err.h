/*
 * common/err.h - Runnel's error convention: functions return int (RN_OK or a negative
 * RN_E* code) and fill a caller-owned rn_err with a human-readable message.
 *
 * Codes are named by what the caller does next (see STYLE.md 2.4). Kafka error codes are
 * response data, not C errors: they never travel through rn_err.
 */
#ifndef RN_COMMON_ERR_H
#define RN_COMMON_ERR_H

enum {
    RN_OK = 0,
    RN_EINVAL = -1,    /* caller passed something invalid */
    RN_EPROTO = -2,    /* peer sent bad bytes: close the connection */
    RN_EAGAIN = -3,    /* need more bytes */
    RN_EIO = -4,       /* disk or OS failure; errno text in the message */
    RN_ECORRUPT = -5,  /* stored data is bad: truncate and recover */
    RN_ENOMEM = -6,    /* allocation failed */
    RN_ENOTFOUND = -7, /* no such topic, partition, file ... */
    RN_ECONFLICT = -8, /* already exists, or state forbids it */
    RN_ERANGE = -9,    /* offset or value outside the valid range */
    RN_ENOSPC = -10,   /* disk full */
};

typedef struct rn_err {
    int code;      /* RN_OK or a negative RN_E* code */
    char msg[256]; /* e.g. "data/t1-0/00000042.log: crc mismatch at byte 1783" */
} rn_err;

/* Fills err (which may be NULL) with code and a printf-style message; returns code.
 * The single place every error passes through: a good breakpoint. */
int rn_err_set(rn_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Resets err to RN_OK with an empty message. */
void rn_err_clear(rn_err *err);

/* Maps errno to a code (ENOSPC -> RN_ENOSPC, ENOMEM -> RN_ENOMEM, else RN_EIO). */
int rn_err_from_errno(int e);

/* A static name for a code ("EIO"); never NULL. */
const char *rn_strerror(int code);

#endif
