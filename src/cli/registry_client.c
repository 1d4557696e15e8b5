/*
 * cli/registry_client.c - the schema registry REST client of the CLI on libcurl. See
 * registry_client.h for the contracts.
 */
#include "cli/registry_client.h"

#include "version.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT_V1    "application/vnd.schemaregistry.v1+json"
#define MAX_BODY (64u << 20) /* larger answers are refused, not buffered */

/* ------------------------------------------------------------------ setup */

/* Copies url without its "user:password@", into a new string. */
static char *strip_userinfo(const char *url)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t auth = strcspn(host, "/?#");
    const char *at = memchr(host, '@', auth);
    if (!at) return strdup(url);
    size_t head = (size_t)(host - url);
    char *s = malloc(strlen(url) + 1);
    if (!s) return NULL;
    memcpy(s, url, head);
    strcpy(s + head, at + 1);
    return s;
}

int rn_cli_registry_init(rn_cli_registry *r, const char *url, int timeout_ms, rn_err *err)
{
    memset(r, 0, sizeof *r);
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    if (!url || !*url) return rn_err_set(err, RN_EINVAL, "the schema registry URL is empty");
    const char *sep = strstr(url, "://");
    if (sep && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return rn_err_set(err, RN_EINVAL,
                          "schema registry URL '%s': only http:// and https:// are supported", url);
    size_t len = strlen(url);
    while (len && url[len - 1] == '/')
        len--;
    const char *host = sep ? sep + 3 : url;
    if (host >= url + len || strchr("/?#", *host))
        return rn_err_set(err, RN_EINVAL, "schema registry URL '%s' has no host", url);
    if (memchr(url, '?', len) || memchr(url, '#', len))
        return rn_err_set(err, RN_EINVAL,
                          "schema registry URL '%s' must not have a query or fragment", url);
    size_t n = len + (sep ? 0 : 7) + 1;
    r->url = malloc(n);
    if (!r->url) return rn_err_set(err, RN_ENOMEM, "out of memory");
    snprintf(r->url, n, "%s%.*s", sep ? "" : "http://", (int)len, url);
    r->shown = strip_userinfo(r->url);
    if (!r->shown) {
        rn_cli_registry_fini(r);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rn_cli_registry_fini(r);
        return rn_err_set(err, RN_EIO, "cannot initialise libcurl");
    }
    r->curl = curl_easy_init();
    if (!r->curl) {
        curl_global_cleanup();
        rn_cli_registry_fini(r);
        return rn_err_set(err, RN_EIO, "cannot initialise libcurl");
    }
    return RN_OK;
}

void rn_cli_registry_fini(rn_cli_registry *r)
{
    if (r->curl) {
        curl_easy_cleanup(r->curl);
        curl_global_cleanup();
    }
    free(r->url);
    free(r->shown);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ requests */

typedef struct body_buf {
    char *p;
    size_t len, cap;
    int too_big;
} body_buf;

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    body_buf *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > MAX_BODY) {
        b->too_big = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static int fail(rn_cli_reg_error *e, long status, int code, int rc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(rn_cli_reg_error *e, long status, int code, int rc, const char *fmt, ...)
{
    e->status = status;
    e->error_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return rc;
}

/* The return code for an HTTP error status. */
static int status_rc(long status)
{
    if (status == 404) return RN_ENOTFOUND;
    if (status == 409) return RN_ECONFLICT;
    if (status >= 400 && status < 500) return RN_EINVAL;
    return RN_EIO;
}

/* Fills e from an error answer: the Confluent body if there is one, else the status and
 * the start of the body. */
static int error_answer(rn_cli_registry *r, long status, const body_buf *b, rn_cli_reg_error *e)
{
    json_t *j = b->p ? json_loadb(b->p, b->len, 0, NULL) : NULL;
    const json_t *code = json_object_get(j, "error_code");
    const json_t *msg = json_object_get(j, "message");
    int rc;
    if (json_is_integer(code) && json_is_string(msg)) {
        rc = fail(e, status, (int)json_integer_value(code), status_rc(status), "%s",
                  json_string_value(msg));
        e->from_registry = 1;
    } else {
        /* Not a registry's answer (a proxy, a web server, the Kafka port ...). */
        char snippet[160] = "";
        if (b->p) {
            size_t n = 0;
            for (size_t i = 0; i < b->len && n + 1 < sizeof snippet; i++)
                snippet[n++] =
                    (b->p[i] == '\n' || b->p[i] == '\r' || b->p[i] == '\t') ? ' ' : b->p[i];
            snippet[n] = '\0';
        }
        rc = fail(e, status, (int)status, status_rc(status),
                  "HTTP %ld from %s, not a schema registry error%s%s", status, r->shown,
                  snippet[0] ? ": " : "", snippet);
    }
    json_decref(j);
    return rc;
}

int rn_cli_registry_call(rn_cli_registry *r, const char *method, const char *path,
                         const json_t *body, json_t **out, rn_cli_reg_error *e)
{
    CURL *h = r->curl;
    char errbuf[CURL_ERROR_SIZE] = "";
    char *url = NULL, *text = NULL;
    struct curl_slist *hdrs = NULL;
    body_buf b = {0};
    int rc;

    memset(e, 0, sizeof *e);
    if (out) *out = NULL;
    size_t ulen = strlen(r->url) + strlen(path) + 1;
    url = malloc(ulen);
    if (body) text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!url || (body && !text)) {
        rc = fail(e, 0, 0, RN_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(url, ulen, "%s%s", r->url, path);

    /* A reset keeps the connection cache: the next request reuses the connection. */
    curl_easy_reset(h);
    struct curl_slist *t;
    if (!(t = curl_slist_append(hdrs, "Accept: " CT_V1 ", application/json"))) goto oom;
    hdrs = t;
    if (body) {
        if (!(t = curl_slist_append(hdrs, "Content-Type: " CT_V1))) goto oom;
        hdrs = t;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "runnel-cli/" RUNNEL_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
    }
    if (strcmp(method, "GET") && strcmp(method, "POST"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    else if (!strcmp(method, "POST") && !body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");

    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        if (b.too_big)
            rc = fail(e, 0, 0, RN_EIO, "the answer from %s is larger than %u MiB", r->shown,
                      MAX_BODY >> 20);
        else if (cc == CURLE_OPERATION_TIMEDOUT)
            rc = fail(e, 0, 0, RN_EIO, "no answer from the schema registry at %s within %d ms",
                      r->shown, r->timeout_ms);
        else
            rc = fail(e, 0, 0, RN_EIO, "cannot reach the schema registry at %s: %s", r->shown,
                      errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        rc = error_answer(r, status, &b, e);
        goto out;
    }
    json_error_t je;
    json_t *j = json_loadb(b.p ? b.p : "", b.len, JSON_DECODE_ANY, &je);
    if (!j) {
        rc = fail(e, status, 0, RN_EIO, "the answer from %s is not JSON: %s", r->shown, je.text);
        goto out;
    }
    if (out)
        *out = j;
    else
        json_decref(j);
    rc = RN_OK;
    goto out;
oom:
    rc = fail(e, 0, 0, RN_ENOMEM, "out of memory");
out:
    curl_slist_free_all(hdrs);
    free(b.p);
    free(text);
    free(url);
    return rc;
}

int rn_cli_registry_callf(rn_cli_registry *r, const char *method, const json_t *body, json_t **out,
                          rn_cli_reg_error *e, const char *fmt, ...)
{
    va_list ap;
    char *path = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&path, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (out) *out = NULL;
        return fail(e, 0, 0, RN_ENOMEM, "out of memory");
    }
    int rc = rn_cli_registry_call(r, method, path, body, out, e);
    free(path);
    return rc;
}

char *rn_cli_registry_escape(const char *segment)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(segment);
    char *s = malloc(n * 3 + 1), *o = s;
    if (!s) return NULL;
    for (const unsigned char *p = (const unsigned char *)segment; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return s;
}

const char *rn_cli_reg_error_text(const rn_cli_reg_error *e, char *buf, size_t len)
{
    if (e->from_registry)
        snprintf(buf, len, "%s (error_code %d)", e->message, e->error_code);
    else
        snprintf(buf, len, "%s", e->message);
    return buf;
}
