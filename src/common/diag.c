/*
 * common/diag.c - stderr diagnostics, one line per event.
 */
#include "common/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static int diag_level = -1;

static int level_from_env(void)
{
    const char *s = getenv("RUNNEL_LOG_LEVEL");
    if (!s) return RN_DIAG_INFO;
    if (!strcasecmp(s, "debug")) return RN_DIAG_DEBUG;
    if (!strcasecmp(s, "warn")) return RN_DIAG_WARN;
    if (!strcasecmp(s, "error")) return RN_DIAG_ERROR;
    return RN_DIAG_INFO;
}

void rn_diag_set_level(enum rn_diag_level level)
{
    diag_level = (int)level;
}

int rn_diag_enabled(enum rn_diag_level level)
{
    if (diag_level < 0) diag_level = level_from_env();
    return (int)level >= diag_level;
}

void rn_diag(enum rn_diag_level level, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (!rn_diag_enabled(level)) return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

char *rn_diag_sample(const void *p, unsigned long len, char *out, unsigned long outlen)
{
    const unsigned char *b = p;
    unsigned long o = 0;
    for (unsigned long i = 0; i < len && o + 5 < outlen; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\')
            out[o++] = (char)b[i];
        else
            o += (unsigned long)snprintf(out + o, outlen - o, "\\x%02x", b[i]);
    }
    if (outlen) out[o < outlen ? o : outlen - 1] = '\0';
    return out;
}
