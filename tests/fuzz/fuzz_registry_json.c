/*
 * tests/fuzz/fuzz_registry_json.c - libFuzzer target for the schema registry's inputs: the
 * REST dispatcher (request target splitting and percent-decoding, JSON bodies, every
 * handler) and the JSON Schema compatibility checker.
 *
 * Input: the first byte picks the mode.
 *   even: HTTP. The rest is "METHOD\nTARGET\nBODY" and is served by rn_http_registry_handle
 *         on one in-memory registry that lives for the whole run (so registrations pile up
 *         and later inputs meet earlier subjects). Checks: the request is handled, the
 *         status is a valid HTTP status, the body is non-empty JSON (or the raw schema).
 *   odd:  compatibility. The rest is "READER\0WRITER" (JSON texts); when both parse, they
 *         are compared both ways. Checks: a verdict of 0 always comes with at least one
 *         message, and every message is a string.
 * Leaks and memory errors are left to ASan/LSan.
 */
#include "http/http_registry.h"
#include "registry/registry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rn_registry *reg;

static void fuzz_http(const char *p, size_t n)
{
    if (!reg) {
        rn_err err;
        setenv("RUNNEL_LOG_LEVEL", "error", 0);
        if (rn_registry_open(NULL, &reg, &err) != RN_OK) abort();
    }
    char *buf = malloc(n + 1);
    if (!buf) return;
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *method = buf, *target = strchr(buf, '\n'), *body = NULL;
    if (target) {
        *target++ = '\0';
        body = strchr(target, '\n');
        if (body) *body++ = '\0';
    } else {
        target = "/subjects";
    }
    rn_http_request req = {.method = method,
                           .target = target,
                           .content_type = "application/json",
                           .accept = NULL,
                           .body = body,
                           .body_len = body ? n - (size_t)(body - buf) : 0};
    rn_http_response resp;
    if (rn_http_registry_handle(reg, &req, &resp)) {
        if (resp.status < 200 || resp.status > 599 || !resp.body || !resp.content_type) abort();
        free(resp.body);
    }
    free(buf);
}

static void check_messages(int ok, const json_t *m)
{
    if (!ok && json_array_size(m) == 0) abort();
    size_t i;
    const json_t *x;
    json_array_foreach(m, i, x) if (!json_is_string(x)) abort();
}

static void fuzz_compat(const char *p, size_t n)
{
    const char *nul = memchr(p, '\0', n);
    if (!nul) return;
    json_t *r = json_loadb(p, (size_t)(nul - p), JSON_DECODE_ANY, NULL);
    json_t *w = json_loadb(nul + 1, n - (size_t)(nul - p) - 1, JSON_DECODE_ANY, NULL);
    if (r && w) {
        json_t *m = json_array();
        check_messages(rn_compat_check(r, w, m), m);
        json_array_clear(m);
        check_messages(rn_compat_check(w, r, m), m);
        json_decref(m);
        const json_t *olds[] = {w, r};
        int vers[] = {1, 2};
        rn_compat_check_level(RN_COMPAT_FULL_TRANSITIVE, r, olds, vers, 2, NULL);
    }
    json_decref(r);
    json_decref(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    if (data[0] % 2 == 0)
        fuzz_http((const char *)data + 1, size - 1);
    else
        fuzz_compat((const char *)data + 1, size - 1);
    return 0;
}
