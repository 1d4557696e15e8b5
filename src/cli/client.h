/*
 * cli/client.h - what the librdkafka-based client commands (topics, produce, consume)
 * share: the common flags (--brokers, -X key=value, --verbose), building an
 * rd_kafka_conf_t and a client handle from them, topic metadata lookups, flag-value
 * parsing, the "runnel CMD: ..." error and usage-error lines, and a SIGINT/SIGTERM flag.
 *
 * Layer: called by cli/cmd_{topics,produce,consume}.c; calls common/ and librdkafka only,
 * so these commands work against Runnel or any Kafka cluster.
 * Threads: everything here runs on the command's main thread, except the librdkafka log
 * callback, which only writes to stderr.
 */
#ifndef RN_CLI_CLIENT_H
#define RN_CLI_CLIENT_H

#include "common/err.h"

#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* How long commands wait for the cluster (metadata, admin requests, delivery) unless
 * told otherwise. */
#define RN_CLI_DEFAULT_TIMEOUT_MS 10000

/* Exit codes of every command (see cli.h). */
enum { RN_CLI_EXIT_OK = 0, RN_CLI_EXIT_FAIL = 1, RN_CLI_EXIT_USAGE = 2 };

/* The common client flags and the state librdkafka's callbacks report into. Caller
 * provides storage: rn_cli_client_init / rn_cli_client_fini. */
typedef struct rn_cli_client {
    const char *cmd;     /* "runnel produce": prefix of every message; static string */
    const char *brokers; /* --brokers, else $RUNNEL_BROKERS, else 127.0.0.1:9092; borrowed */
    const char **props;  /* -X key=value arguments, borrowed from argv; array from malloc */
    size_t nprops;
    size_t capprops;
    int verbose;            /* --verbose: show librdkafka's log lines */
    int warn_brokers_down;  /* print a warning when all brokers go down (long-running cmds) */
    int fatal;              /* librdkafka reported a fatal error */
    char last_error[512];   /* the latest error librdkafka reported, "" if none */
    void *user;             /* the command's own state, for its callbacks */
    rd_kafka_conf_t *probe; /* scratch conf that validates -X as it is parsed; owned */
} rn_cli_client;

void rn_cli_client_init(rn_cli_client *c, const char *cmd);
void rn_cli_client_fini(rn_cli_client *c);

/* Records one -X argument ("key=value"), checking it against librdkafka now so a bad
 * property is a usage error. Returns 0, or prints a usage line and returns -1. */
int rn_cli_client_add_prop(rn_cli_client *c, const char *kv);

/* The common flags in getopt_long form: "-b/--brokers", "-X", "-v/--verbose", "-h/--help".
 * Commands put RN_CLI_COMMON_SHORTOPTS in their optstring (after the leading ':') and
 * RN_CLI_COMMON_LONGOPTS in their option table. */
#define RN_CLI_COMMON_SHORTOPTS "b:X:vh"
/* clang-format off */
#define RN_CLI_COMMON_LONGOPTS                                                                     \
    {"brokers", required_argument, NULL, 'b'},                                                     \
    {"verbose", no_argument, NULL, 'v'},                                                           \
    {"help", no_argument, NULL, 'h'}
/* clang-format on */

/* Prints the help lines of the common flags, for each command's --help. */
void rn_cli_common_help(FILE *f);

/* Handles one of the common flags -b, -X, -v. Returns 1 if opt was one of them, 0 if not,
 * -1 on a usage error (already printed). */
int rn_cli_client_opt(rn_cli_client *c, int opt, const char *arg);

/* Returns a new conf owned by the caller (give it to rn_cli_client_open, or free it with
 * rd_kafka_conf_destroy): bootstrap.servers, client.id, connection timeouts from
 * timeout_ms, and Runnel's log and error callbacks (opaque = c). NULL on failure. */
rd_kafka_conf_t *rn_cli_conf_new(rn_cli_client *c, int timeout_ms, rn_err *err);

/* rd_kafka_conf_set that reports through err; returns 0 or RN_EINVAL. */
int rn_cli_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, rn_err *err);

/* Applies the -X properties (last, so they override everything) and creates the handle.
 * Takes ownership of conf, also on failure. Returns the handle or NULL (err filled). */
rd_kafka_t *rn_cli_client_open(rn_cli_client *c, rd_kafka_type_t type, rd_kafka_conf_t *conf,
                               rn_err *err);

/* Serves pending librdkafka callbacks (rd_kafka_poll on rk; pass NULL once the handle's
 * queue is redirected with rd_kafka_poll_set_consumer), then returns c->last_error, ""
 * if none. For explaining a timeout ("Connect to ipv4#127.0.0.1:9092 failed: ..."). */
const char *rn_cli_client_last_error(rn_cli_client *c, rd_kafka_t *rk);

/* Fills err with "what: detail" (what NULL: just detail; detail NULL: librdkafka's text
 * for kerr). A timeout or
 * transport error becomes "cannot reach the cluster at BROKERS: <the last connection
 * error librdkafka saw>", which says why. Returns RN_EIO. */
int rn_cli_kafka_error(rn_cli_client *c, rd_kafka_t *rk, rn_err *err, const char *what,
                       rd_kafka_resp_err_t kerr, const char *detail);

/* Fetches the metadata of one topic, waiting up to timeout_ms; retries while the topic's
 * leaders are still being elected. On success *mdp is owned by the caller (free with
 * rd_kafka_metadata_destroy) and *tmdp points into it. Returns RN_ENOTFOUND if the topic
 * does not exist, RN_EIO if the cluster could not be reached (err says why). */
int rn_cli_topic_metadata(rn_cli_client *c, rd_kafka_t *rk, const char *topic, int timeout_ms,
                          const struct rd_kafka_metadata **mdp,
                          const rd_kafka_metadata_topic_t **tmdp, rn_err *err);

/* ------------------------------------------------------------------ messages */

/* Prints "runnel CMD: <msg>" to stderr and returns RN_CLI_EXIT_FAIL. */
int rn_cli_fail(const rn_cli_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "runnel CMD: warning: <msg>" to stderr. */
void rn_cli_warn(const rn_cli_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the one-line "runnel CMD: <msg> (see 'runnel CMD --help')" to stderr and returns
 * RN_CLI_EXIT_USAGE. cmd is the command's name, e.g. "runnel topics create". */
int rn_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Turns a getopt_long '?' or ':' result into a usage error naming the flag.
 * argv/optind/optopt are getopt's. Returns RN_CLI_EXIT_USAGE. */
int rn_cli_getopt_error(const char *cmd, char **argv, int ret);

/* ------------------------------------------------------------------ flag values */

/* Parses a decimal integer flag value in [min, max]. Returns 0, or prints a usage line
 * naming flag and returns -1. */
int rn_cli_parse_i64(const char *cmd, const char *flag, const char *s, int64_t min, int64_t max,
                     int64_t *out);
int rn_cli_parse_int(const char *cmd, const char *flag, const char *s, int min, int max, int *out);

/* Splits "key=value" at the first '='. The key must be non-empty. Returns 0 with *key
 * (from malloc, caller frees) and *value (points into s), or -1 (nothing allocated). */
/* ------------------------------------------------------------------ admin commands */

/* getopt value of --timeout-ms in the admin commands (topics, groups). */
enum { RN_CLI_OPT_TIMEOUT = 1000 };

/* State of an admin command (runnel topics / groups): the client settings, the command's
 * timeout and the admin handle. Caller-provided storage. */
typedef struct rn_cli_admin {
    rn_cli_client cli; /* cli.cmd is "runnel topics create" etc. */
    int timeout_ms;
    rd_kafka_t *rk; /* admin handle; owned */
} rn_cli_admin;

void rn_cli_admin_init(rn_cli_admin *a, const char *cmd);
void rn_cli_admin_fini(rn_cli_admin *a);
/* Handles --timeout-ms and the common client flags. Returns 1 if handled, 0 if not ours,
 * -1 after printing a usage error. */
int rn_cli_admin_opt(rn_cli_admin *a, int opt, const char *arg);
/* Creates the admin handle (a producer that never asks the broker to auto-create a topic
 * it looks up). Returns RN_CLI_EXIT_OK or the exit code after printing the error. */
int rn_cli_admin_open(rn_cli_admin *a);
/* New AdminOptions for op (owned by the caller): the request timeout bounds the whole
 * call, a little after timeout_ms; topic changes also get timeout_ms as the operation
 * timeout, how long the broker waits for the change to settle. */
rd_kafka_AdminOptions_t *rn_cli_admin_options(rn_cli_admin *a, rd_kafka_admin_op_t op);

#define RN_CLI_N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A subcommand's --help: head, the --timeout-ms and common flag lines, then tail. */
typedef struct rn_cli_help {
    const char *head;
    const char *tail; /* may be NULL */
} rn_cli_help;

void rn_cli_admin_help(const rn_cli_help *h);

/* Maps a flag-value parser's 0 / -1 to an option handler's 1 (handled) / -1 (usage). */
static inline int rn_cli_handled(int parse_rc)
{
    return parse_rc < 0 ? -1 : 1;
}

static inline const char *rn_cli_plural(long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

typedef struct rn_cli_strv rn_cli_strv;

/* A subcommand's own option: returns 1 if handled, 0 if not its, -1 after a usage error. */
typedef int (*rn_cli_admin_opt_fn)(rn_cli_admin *a, void *state, int opt, const char *arg);

/* Parses argv: the common flags and --timeout-ms here, the nextra options in extra through
 * on_opt (may be NULL). Collects positionals into pos. Returns -1 to go on, or an exit
 * code (help printed, or a usage error). */
int rn_cli_admin_parse_args(rn_cli_admin *a, int argc, char **argv, const struct option *extra,
                            size_t nextra, const rn_cli_help *help, rn_cli_admin_opt_fn on_opt,
                            void *state, rn_cli_strv *pos);

/* Waits for the result of an admin request on q. Returns the event (owned by the caller:
 * rd_kafka_event_destroy) if the request as a whole succeeded, else NULL with err filled;
 * per-item errors (topics, groups, partitions) are left for the caller to read. */
rd_kafka_event_t *rn_cli_admin_wait(rn_cli_admin *a, rd_kafka_queue_t *q, rn_err *err);

/* Prints a JSON value to stdout, indented, with a newline; takes the reference. Returns
 * RN_CLI_EXIT_OK or the exit code after printing the error. */
int rn_cli_admin_print_json(rn_cli_admin *a, json_t *v);

/* A growable vector of borrowed strings (e.g. repeated flags); zero-initialise. */
struct rn_cli_strv {
    const char **v; /* from malloc */
    size_t n, cap;
};
int rn_cli_strv_push(rn_cli_strv *s, const char *str); /* 0, or -1 on OOM */
int rn_cli_strv_has(const rn_cli_strv *s, const char *str);
void rn_cli_strv_fini(rn_cli_strv *s);

/* Parses a point in time: epoch milliseconds, or ISO 8601 "YYYY-MM-DD[THH:MM[:SS[.fff]]]"
 * followed by Z, +HH:MM, -HH:MM, +HHMM or nothing (UTC), into ms since the epoch.
 * Returns 0 or -1. Used by consume --from-time and groups reset-offsets --to-datetime. */
int rn_cli_parse_time(const char *s, int64_t *ms);

int rn_cli_split_kv(const char *s, char **key, const char **value);

/* ------------------------------------------------------------------ signals */

/* The number of SIGINT/SIGTERM received since rn_cli_signals_install. */
extern volatile sig_atomic_t rn_cli_signals;

/* Installs SIGINT/SIGTERM handlers that count into rn_cli_signals. Installed without
 * SA_RESTART, so a blocking read returns EINTR. */
void rn_cli_signals_install(void);

#endif
