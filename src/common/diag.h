/*
 * common/diag.h - diagnostics on stderr: one event per line, with a UTC timestamp and a
 * level ("2026-11-27T21:51:36.123Z WARN net: ..."). "log" in Runnel always means the
 * storage log, so these are rn_diag_* / RN_INFO() and friends.
 *
 * Thread-safe: each line is formatted into a local buffer and written with one write().
 */
#ifndef RN_COMMON_DIAG_H
#define RN_COMMON_DIAG_H

enum rn_diag_level { RN_DIAG_DEBUG, RN_DIAG_INFO, RN_DIAG_WARN, RN_DIAG_ERROR };

/* Lines below this level are dropped. Default RN_DIAG_INFO; RUNNEL_LOG_LEVEL=debug|info|
 * warn|error in the environment overrides it at the first call. */
void rn_diag_set_level(enum rn_diag_level level);
int rn_diag_enabled(enum rn_diag_level level);

void rn_diag(enum rn_diag_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define RN_DEBUG(...)                                                                              \
    do {                                                                                           \
        if (rn_diag_enabled(RN_DIAG_DEBUG)) rn_diag(RN_DIAG_DEBUG, __VA_ARGS__);                   \
    } while (0)
#define RN_INFO(...)  rn_diag(RN_DIAG_INFO, __VA_ARGS__)
#define RN_WARN(...)  rn_diag(RN_DIAG_WARN, __VA_ARGS__)
#define RN_ERROR(...) rn_diag(RN_DIAG_ERROR, __VA_ARGS__)

/* Writes a printable sample of bytes (non-printables as \xNN) into out, at most outlen-1
 * chars plus NUL. For logging what a misbehaving peer sent. Returns out. */
char *rn_diag_sample(const void *p, unsigned long len, char *out, unsigned long outlen);

#endif
