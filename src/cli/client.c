/*
 * cli/client.c - the plumbing shared by the librdkafka-based client commands: common
 * flags, client configuration and handles, topic metadata, error and usage lines, and
 * the SIGINT/SIGTERM counter. See client.h for the contracts.
 */
#include "cli/client.h"

#include "common/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_BROKERS "127.0.0.1:9092"

volatile sig_atomic_t rn_cli_signals;

/* ------------------------------------------------------------------ client */

void rn_cli_client_init(rn_cli_client *c, const char *cmd)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    const char *env = getenv("RUNNEL_BROKERS");
    c->brokers = env && *env ? env : DEFAULT_BROKERS;
}

void rn_cli_client_fini(rn_cli_client *c)
{
    free(c->props);
    if (c->probe) rd_kafka_conf_destroy(c->probe);
    c->props = NULL;
    c->probe = NULL;
    c->nprops = c->capprops = 0;
}

int rn_cli_split_kv(const char *s, char **key, const char **value)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) return -1;
    *key = strndup(s, (size_t)(eq - s));
    if (!*key) return -1;
    *value = eq + 1;
    return 0;
}

int rn_cli_client_add_prop(rn_cli_client *c, const char *kv)
{
    char *key;
    const char *value;
    char errstr[512];

    if (rn_cli_split_kv(kv, &key, &value) < 0) {
        rn_cli_usage_error(c->cmd, "-X needs key=value, got '%s'", kv);
        return -1;
    }
    if (!c->probe) c->probe = rd_kafka_conf_new();
    rd_kafka_conf_res_t res = rd_kafka_conf_set(c->probe, key, value, errstr, sizeof errstr);
    if (res != RD_KAFKA_CONF_OK) {
        rn_cli_usage_error(c->cmd, "-X %s: %s", kv, errstr);
        free(key);
        return -1;
    }
    /* librdkafka's debug contexts are only useful if its log lines are shown. */
    if (!strcmp(key, "debug")) c->verbose = 1;
    free(key);

    if (c->nprops == c->capprops) {
        size_t cap = c->capprops ? c->capprops * 2 : 8;
        const char **p = realloc(c->props, cap * sizeof *p);
        if (!p) {
            rn_cli_fail(c, "out of memory");
            return -1;
        }
        c->props = p;
        c->capprops = cap;
    }
    c->props[c->nprops++] = kv;
    return 0;
}

int rn_cli_client_opt(rn_cli_client *c, int opt, const char *arg)
{
    switch (opt) {
    case 'b':
        if (!*arg) {
            rn_cli_usage_error(c->cmd, "--brokers needs HOST:PORT[,...]");
            return -1;
        }
        c->brokers = arg;
        return 1;
    case 'X':
        return rn_cli_client_add_prop(c, arg) < 0 ? -1 : 1;
    case 'v':
        c->verbose = 1;
        return 1;
    default:
        return 0;
    }
}

void rn_cli_common_help(FILE *f)
{
    fputs("  -b, --brokers HOST:PORT[,...]  bootstrap brokers (default: $RUNNEL_BROKERS, else\n"
          "                                 127.0.0.1:9092)\n"
          "  -X KEY=VALUE                   set a librdkafka property (repeatable; applied last,\n"
          "                                 so it overrides the flags above)\n"
          "  -v, --verbose                  show librdkafka's log lines on stderr\n"
          "  -h, --help                     show this help\n",
          f);
}

/* librdkafka log lines. Its connection failures are repeated here at every retry and are
 * also reported through error_cb, so only configuration warnings are shown by default. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const rn_cli_client *c = rd_kafka_opaque(rk);
    (void)level;
    if (c && (c->verbose || !strcmp(fac, "CONFWARN")))
        fprintf(stderr, "%s: librdkafka: %s: %s\n", c->cmd, fac, buf);
}

/* Served on the main thread by rd_kafka_poll or the consumer poll. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    rn_cli_client *c = opaque;

    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[256];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof why);
        snprintf(c->last_error, sizeof c->last_error, "%s (%s)", why, rd_kafka_err2name(orig));
        fprintf(stderr, "%s: fatal error: %s\n", c->cmd, c->last_error);
        c->fatal = 1;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        /* "1/1 brokers are down" says less than the connection error before it. */
        if (c->warn_brokers_down && c->last_error[0])
            fprintf(stderr, "%s: warning: all brokers are down (%s); retrying\n", c->cmd,
                    c->last_error);
        else if (c->warn_brokers_down)
            fprintf(stderr, "%s: warning: all brokers are down; retrying\n", c->cmd);
        if (c->last_error[0]) return;
    }
    snprintf(c->last_error, sizeof c->last_error, "%s", reason);
    if (c->verbose)
        fprintf(stderr, "%s: librdkafka error: %s: %s\n", c->cmd,
                rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

int rn_cli_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, rn_err *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return rn_err_set(err, RN_EINVAL, "%s=%s: %s", key, value, errstr);
    return 0;
}

rd_kafka_conf_t *rn_cli_conf_new(rn_cli_client *c, int timeout_ms, rn_err *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char tmo[32];

    /* A broker that accepts TCP but never answers should fail within the command's
     * timeout, not librdkafka's 30 s default (1000 is librdkafka's minimum). */
    snprintf(tmo, sizeof tmo, "%d", timeout_ms < 1000 ? 1000 : timeout_ms);
    if (rn_cli_conf_set(conf, "bootstrap.servers", c->brokers, err) < 0 ||
        rn_cli_conf_set(conf, "client.id", "runnel-cli", err) < 0 ||
        rn_cli_conf_set(conf, "socket.connection.setup.timeout.ms", tmo, err) < 0 ||
        rn_cli_conf_set(conf, "log.connection.close", "false", err) < 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_opaque(conf, c);
    return conf;
}

rd_kafka_t *rn_cli_client_open(rn_cli_client *c, rd_kafka_type_t type, rd_kafka_conf_t *conf,
                               rn_err *err)
{
    char errstr[512];

    for (size_t i = 0; i < c->nprops; i++) {
        char *key;
        const char *value;
        if (rn_cli_split_kv(c->props[i], &key, &value) < 0) {
            rd_kafka_conf_destroy(conf);
            return rn_err_set(err, RN_EINVAL, "-X %s: expected key=value", c->props[i]), NULL;
        }
        int rc = rn_cli_conf_set(conf, key, value, err);
        free(key);
        if (rc < 0) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        /* rd_kafka_new takes the conf only when it succeeds. */
        rd_kafka_conf_destroy(conf);
        rn_err_set(err, RN_EINVAL, "cannot create client: %s", errstr);
    }
    return rk;
}

const char *rn_cli_client_last_error(rn_cli_client *c, rd_kafka_t *rk)
{
    if (rk) rd_kafka_poll(rk, 0);
    return c->last_error;
}

int rn_cli_kafka_error(rn_cli_client *c, rd_kafka_t *rk, rn_err *err, const char *what,
                       rd_kafka_resp_err_t kerr, const char *detail)
{
    const char *sep = what ? ": " : "";
    if (!what) what = "";
    if (!detail || !*detail) detail = rd_kafka_err2str(kerr);
    if (kerr != RD_KAFKA_RESP_ERR__TIMED_OUT && kerr != RD_KAFKA_RESP_ERR__TRANSPORT)
        return rn_err_set(err, RN_EIO, "%s%s%s", what, sep, detail);

    /* The connection error says more than "timed out"; drop librdkafka's
     * " (after 0ms in state CONNECT, ...)" tail from it. Without one, the cluster was
     * reachable and just did not answer in time. */
    const char *last = rn_cli_client_last_error(c, rk);
    if (!last[0] && kerr == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return rn_err_set(err, RN_EIO, "%s%sno answer from the cluster at %s in time (%s)", what,
                          sep, c->brokers, detail);
    if (!last[0])
        return rn_err_set(err, RN_EIO, "cannot reach the cluster at %s: %s", c->brokers, detail);
    const char *tail = strstr(last, " (after ");
    int len = tail ? (int)(tail - last) : (int)strlen(last);
    return rn_err_set(err, RN_EIO, "cannot reach the cluster at %s: %.*s", c->brokers, len, last);
}

int rn_cli_topic_metadata(rn_cli_client *c, rd_kafka_t *rk, const char *topic, int timeout_ms,
                          const struct rd_kafka_metadata **mdp,
                          const rd_kafka_metadata_topic_t **tmdp, rn_err *err)
{
    int64_t deadline = rn_mono_ms() + timeout_ms;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int rc;

    if (!rkt)
        return rn_err_set(err, RN_EINVAL, "topic '%s': %s", topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        int64_t left = deadline - rn_mono_ms();
        rd_kafka_resp_err_t kerr = rd_kafka_metadata(rk, 0, rkt, &md, left > 0 ? (int)left : 1);
        if (kerr) {
            rc = rn_cli_kafka_error(c, rk, err, "metadata", kerr, NULL);
            break;
        }
        const rd_kafka_metadata_topic_t *tmd = NULL;
        for (int i = 0; i < md->topic_cnt; i++)
            if (!strcmp(md->topics[i].topic, topic)) tmd = &md->topics[i];
        kerr = tmd ? tmd->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
            *mdp = md;
            *tmdp = tmd;
            rc = 0;
            break;
        }
        rd_kafka_metadata_destroy(md);
        if (kerr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            rc = rn_err_set(err, RN_ENOTFOUND, "topic '%s' does not exist", topic);
            break;
        }
        /* LEADER_NOT_AVAILABLE and friends: a new topic is still settling. */
        if (kerr != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || rn_mono_ms() + 200 >= deadline ||
            rn_cli_signals) {
            rc = rn_err_set(err, RN_EIO, "topic '%s': %s", topic, rd_kafka_err2str(kerr));
            break;
        }
        usleep(200 * 1000);
    }
    rd_kafka_topic_destroy(rkt);
    return rc;
}

/* ------------------------------------------------------------------ messages */

int rn_cli_fail(const rn_cli_client *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", c->cmd, msg);
    return RN_CLI_EXIT_FAIL;
}

void rn_cli_warn(const rn_cli_client *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: warning: %s\n", c->cmd, msg);
}

int rn_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s (see '%s --help')\n", cmd, msg, cmd);
    return RN_CLI_EXIT_USAGE;
}

int rn_cli_getopt_error(const char *cmd, char **argv, int ret)
{
    /* With a leading ':' in optstring, getopt_long returns ':' for a missing value and
     * '?' for an unknown flag; argv[optind - 1] is the flag it was looking at. */
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (ret == ':') {
        if (optopt && arg[0] == '-' && arg[1] != '-')
            return rn_cli_usage_error(cmd, "flag '-%c' needs a value", optopt);
        return rn_cli_usage_error(cmd, "flag '%s' needs a value", arg);
    }
    if (optopt) return rn_cli_usage_error(cmd, "unknown flag '-%c'", optopt);
    return rn_cli_usage_error(cmd, "unknown flag '%s'", arg);
}

/* ------------------------------------------------------------------ flag values */

int rn_cli_parse_i64(const char *cmd, const char *flag, const char *s, int64_t min, int64_t max,
                     int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno == ERANGE) {
        rn_cli_usage_error(cmd, "%s needs an integer, got '%s'", flag, s);
        return -1;
    }
    if (v < min || v > max) {
        rn_cli_usage_error(cmd, "%s must be between %lld and %lld, got '%s'", flag, (long long)min,
                           (long long)max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int rn_cli_parse_int(const char *cmd, const char *flag, const char *s, int min, int max, int *out)
{
    int64_t v;
    if (rn_cli_parse_i64(cmd, flag, s, min, max, &v) < 0) return -1;
    *out = (int)v;
    return 0;
}

/* ------------------------------------------------------------------ signals */

static void on_signal(int sig)
{
    (void)sig;
    rn_cli_signals++;
}

void rn_cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked getline() returns with EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ------------------------------------------------------------------ string vectors */

int rn_cli_strv_push(rn_cli_strv *s, const char *str)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = str;
    return 0;
}

int rn_cli_strv_has(const rn_cli_strv *s, const char *str)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], str)) return 1;
    return 0;
}

void rn_cli_strv_fini(rn_cli_strv *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ time */

int rn_cli_parse_time(const char *s, int64_t *ms)
{
    if (*s >= '0' && *s <= '9' && !s[strspn(s, "0123456789")]) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno) return -1;
        *ms = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%d", &tm);
    if (!p) return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        const char *q = strptime(p + 1, "%H:%M:%S", &tm);
        if (!q) q = strptime(p + 1, "%H:%M", &tm);
        if (!q) return -1;
        p = q;
    }
    int64_t frac_ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3) frac_ms = frac_ms * 10 + (*p - '0');
        if (!digits) return -1;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, hh, mm, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 &&
            sscanf(p + 1, "%2d%2d%n", &hh, &mm, &n) != 2)
            return -1;
        if (hh > 23 || mm > 59) return -1;
        offset_s = sign * (hh * 3600 + mm * 60);
        p += 1 + n;
    }
    if (*p) return -1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1) return -1;
    *ms = ((int64_t)t - offset_s) * 1000 + frac_ms;
    return 0;
}

/* ------------------------------------------------------------------ admin commands */

void rn_cli_admin_init(rn_cli_admin *a, const char *cmd)
{
    memset(a, 0, sizeof *a);
    rn_cli_client_init(&a->cli, cmd);
    a->timeout_ms = RN_CLI_DEFAULT_TIMEOUT_MS;
}

void rn_cli_admin_fini(rn_cli_admin *a)
{
    if (a->rk) rd_kafka_destroy(a->rk);
    rn_cli_client_fini(&a->cli);
}

int rn_cli_admin_opt(rn_cli_admin *a, int opt, const char *arg)
{
    if (opt == RN_CLI_OPT_TIMEOUT)
        return rn_cli_parse_int(a->cli.cmd, "--timeout-ms", arg, 1, 3600 * 1000, &a->timeout_ms) < 0
                   ? -1
                   : 1;
    return rn_cli_client_opt(&a->cli, opt, arg);
}

int rn_cli_admin_open(rn_cli_admin *a)
{
    rn_err err;
    rd_kafka_conf_t *conf = rn_cli_conf_new(&a->cli, a->timeout_ms, &err);
    if (!conf || rn_cli_conf_set(conf, "allow.auto.create.topics", "false", &err) < 0) {
        if (conf) rd_kafka_conf_destroy(conf);
        return rn_cli_fail(&a->cli, "%s", err.msg);
    }
    a->rk = rn_cli_client_open(&a->cli, RD_KAFKA_PRODUCER, conf, &err);
    if (!a->rk) return rn_cli_fail(&a->cli, "%s", err.msg);
    return RN_CLI_EXIT_OK;
}

rd_kafka_AdminOptions_t *rn_cli_admin_options(rn_cli_admin *a, rd_kafka_admin_op_t op)
{
    char errstr[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(a->rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, a->timeout_ms + 1000, errstr, sizeof errstr);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
        op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS)
        rd_kafka_AdminOptions_set_operation_timeout(o, a->timeout_ms, errstr, sizeof errstr);
    return o;
}

void rn_cli_admin_help(const rn_cli_help *h)
{
    fputs(h->head, stdout);
    fputs("      --timeout-ms MS            how long to wait for the cluster (default 10000)\n",
          stdout);
    rn_cli_common_help(stdout);
    if (h->tail) {
        fputc('\n', stdout);
        fputs(h->tail, stdout);
    }
}

int rn_cli_admin_parse_args(rn_cli_admin *a, int argc, char **argv, const struct option *extra,
                            size_t nextra, const rn_cli_help *help, rn_cli_admin_opt_fn on_opt,
                            void *state, rn_cli_strv *pos)
{
    struct option longopts[24] = {RN_CLI_COMMON_LONGOPTS,
                                  {"timeout-ms", required_argument, NULL, RN_CLI_OPT_TIMEOUT}};
    size_t n = 4;
    for (size_t i = 0; i < nextra && n + 1 < sizeof longopts / sizeof longopts[0]; i++)
        longopts[n++] = extra[i];
    memset(&longopts[n], 0, sizeof longopts[n]);

    optind = 0; /* glibc: full reset, as each subcommand parses its own argv */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":" RN_CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        if (opt == 'h') {
            rn_cli_admin_help(help);
            return RN_CLI_EXIT_OK;
        }
        if (opt == '?' || opt == ':') return rn_cli_getopt_error(a->cli.cmd, argv, opt);
        int r = rn_cli_admin_opt(a, opt, optarg);
        if (r == 0) r = on_opt ? on_opt(a, state, opt, optarg) : 0;
        if (r < 0) return RN_CLI_EXIT_USAGE;
        if (r == 0) return rn_cli_usage_error(a->cli.cmd, "unexpected flag '%s'", argv[optind - 1]);
    }
    for (int i = optind; i < argc; i++)
        if (rn_cli_strv_push(pos, argv[i]) < 0) return rn_cli_fail(&a->cli, "out of memory");
    return -1;
}

rd_kafka_event_t *rn_cli_admin_wait(rn_cli_admin *a, rd_kafka_queue_t *q, rn_err *err)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, a->timeout_ms + 5000);
    if (!ev) {
        rn_cli_kafka_error(&a->cli, a->rk, err, NULL, RD_KAFKA_RESP_ERR__TIMED_OUT, NULL);
        return NULL;
    }
    rd_kafka_resp_err_t kerr = rd_kafka_event_error(ev);
    if (kerr) {
        rn_cli_kafka_error(&a->cli, a->rk, err, NULL, kerr, rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

int rn_cli_admin_print_json(rn_cli_admin *a, json_t *v)
{
    int rc = RN_CLI_EXIT_OK;
    if (!v || json_dumpf(v, stdout, JSON_INDENT(2)) < 0 || fputc('\n', stdout) == EOF)
        rc = rn_cli_fail(&a->cli, "cannot write JSON output");
    json_decref(v);
    return rc;
}
