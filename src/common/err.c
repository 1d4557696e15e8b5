/*
 * common/err.c - rn_err: the error code plus caller-owned message used everywhere.
 */
#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int rn_err_set(rn_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void rn_err_clear(rn_err *err)
{
    if (err) {
        err->code = RN_OK;
        err->msg[0] = '\0';
    }
}

int rn_err_from_errno(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return RN_ENOSPC;
    case ENOMEM:
        return RN_ENOMEM;
    case ENOENT:
        return RN_ENOTFOUND;
    case EEXIST:
        return RN_ECONFLICT;
    default:
        return RN_EIO;
    }
}

const char *rn_strerror(int code)
{
    switch (code) {
    case RN_OK:
        return "OK";
    case RN_EINVAL:
        return "EINVAL";
    case RN_EPROTO:
        return "EPROTO";
    case RN_EAGAIN:
        return "EAGAIN";
    case RN_EIO:
        return "EIO";
    case RN_ECORRUPT:
        return "ECORRUPT";
    case RN_ENOMEM:
        return "ENOMEM";
    case RN_ENOTFOUND:
        return "ENOTFOUND";
    case RN_ECONFLICT:
        return "ECONFLICT";
    case RN_ERANGE:
        return "ERANGE";
    case RN_ENOSPC:
        return "ENOSPC";
    default:
        return "EUNKNOWN";
    }
}
