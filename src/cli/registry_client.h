/*
 * cli/registry_client.h - a small client for the schema registry's REST API (Runnel's, or
 * any Confluent-compatible one; docs/schema-registry.md) on libcurl: one request at a
 * time, JSON bodies in and out, and Confluent error bodies ({"error_code": 40401,
 * "message": "..."}) turned into a message that names the error code.
 *
 * Layer: called by cli/cmd_schema.c and cli/cmd_event.c (validate --schema-registry);
 * calls libcurl and jansson only.
 * Threads: an rn_cli_registry belongs to one thread. It keeps one libcurl handle, so
 * consecutive requests reuse the connection.
 */
#ifndef RN_CLI_REGISTRY_CLIENT_H
#define RN_CLI_REGISTRY_CLIENT_H

#include "common/err.h"

#include <jansson.h>
#include <stddef.h>

/* The registry the schema commands use unless --registry or $RUNNEL_SCHEMA_REGISTRY says
 * otherwise. */
#define RN_CLI_REGISTRY_DEFAULT_URL "http://127.0.0.1:8081"
#define RN_CLI_REGISTRY_ENV         "RUNNEL_SCHEMA_REGISTRY"

/* Confluent's error codes the commands react to (docs/schema-registry.md). */
enum {
    RN_CLI_REG_SUBJECT_NOT_FOUND = 40401,
    RN_CLI_REG_VERSION_NOT_FOUND = 40402,
    RN_CLI_REG_SCHEMA_NOT_FOUND = 40403,
    RN_CLI_REG_SUBJECT_SOFT_DELETED = 40404,
    RN_CLI_REG_SUBJECT_NOT_SOFT_DELETED = 40405,
    RN_CLI_REG_VERSION_SOFT_DELETED = 40406,
    RN_CLI_REG_VERSION_NOT_SOFT_DELETED = 40407,
    RN_CLI_REG_NO_SUBJECT_LEVEL = 40408,
};

/* Caller provides storage: rn_cli_registry_init / rn_cli_registry_fini. */
typedef struct rn_cli_registry {
    char *url;      /* base URL without a trailing '/', from malloc */
    char *shown;    /* url without user:password@, for messages; from malloc */
    int timeout_ms; /* per request, connection included */
    void *curl;     /* CURL *; owned */
} rn_cli_registry;

/* Why a request failed. error_code is the registry's (40401 ...), or the HTTP status for
 * an answer without a Confluent error body, or 0 if no answer came at all (the registry
 * could not be reached, or timed out). message is the registry's message, or says what
 * went wrong ("cannot reach the schema registry at URL: ..."). */
typedef struct rn_cli_reg_error {
    long status;       /* HTTP status, 0 if there was no answer */
    int error_code;    /* see above */
    int from_registry; /* 1 if error_code and message came from a registry error body */
    char message[1024];
} rn_cli_reg_error;

/* Checks url (http:// or https://; "HOST:PORT" alone means http://HOST:PORT; a trailing
 * '/' is dropped; user:password@ in it is sent as HTTP basic auth) and prepares the
 * client. Returns RN_OK, RN_EINVAL for a URL that cannot be used (err says why: a usage
 * error), or RN_ENOMEM / RN_EIO if libcurl cannot start. */
int rn_cli_registry_init(rn_cli_registry *r, const char *url, int timeout_ms, rn_err *err);
void rn_cli_registry_fini(rn_cli_registry *r);

/* Sends METHOD url+path (path starts with '/', query included, segments already escaped
 * with rn_cli_registry_escape) with body (may be NULL; sent compact as
 * application/vnd.schemaregistry.v1+json) and reads the answer.
 * 2xx: RN_OK and *out (may be NULL if the caller does not want it) is the parsed JSON
 * body (any JSON value; a new reference). Otherwise e says why and the return is
 * RN_ENOTFOUND (HTTP 404), RN_ECONFLICT (409), RN_EINVAL (other 4xx), RN_EIO (5xx, no
 * answer, or an answer that is not JSON), or RN_ENOMEM. */
int rn_cli_registry_call(rn_cli_registry *r, const char *method, const char *path,
                         const json_t *body, json_t **out, rn_cli_reg_error *e);

/* rn_cli_registry_call with the path built by printf. NULL path on OOM: RN_ENOMEM. */
int rn_cli_registry_callf(rn_cli_registry *r, const char *method, const json_t *body, json_t **out,
                          rn_cli_reg_error *e, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Percent-encodes one path segment (a subject name): everything but RFC 3986's
 * unreserved characters. Returns a new string (free) or NULL on OOM. */
char *rn_cli_registry_escape(const char *segment);

/* Formats e as one line: "<message> (error_code N)" for a registry error, the message
 * alone when there was no answer. Returns buf. */
const char *rn_cli_reg_error_text(const rn_cli_reg_error *e, char *buf, size_t len);

#endif
