/*
 * cli/cmd_produce.c - `runnel produce TOPIC`: one record per stdin line, through a
 * librdkafka producer, so it works against Runnel or any Kafka cluster.
 *
 * Lines may be any length (getline); the trailing newline is stripped. Every record is
 * waited for (flush), failures are counted, and a summary goes to stderr:
 * "produced 10000 records to orders (0 failed) in 0.42 s". Exit 1 if any failed.
 * Records are never left undelivered silently: a record that cannot be delivered within
 * --timeout-ms (librdkafka's message.timeout.ms) fails and is counted.
 * Layer: calls cli/client.h and librdkafka.
 */
#include "cli/cli.h"
#include "cli/client.h"

#include "common/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_ACKS = 1000,
    OPT_IDEMPOTENT,
    OPT_TIMEOUT,
};

/* Delivery errors printed one by one before only counting them. */
#define MAX_ERROR_LINES 5

/* --help: the head, the common flags, then the tail. */
static const char help_head[] =
    "usage: runnel produce TOPIC [OPTIONS] < records.txt\n"
    "\n"
    "Writes one record per line of stdin to TOPIC (the trailing newline is stripped;\n"
    "lines may be any length; an empty line is a record with an empty value). Waits\n"
    "until every record is acknowledged, then prints a summary to stderr:\n"
    "  produced 10000 records to TOPIC (0 failed) in 0.42 s\n"
    "\n"
    "options:\n"
    "  -k, --key KEY                  give every record this key\n"
    "  -K, --key-sep SEP              split each line at the first SEP into key and value\n"
    "                                 (a line without SEP: null key, whole line as value)\n"
    "  -H, --header NAME=VALUE        add this header to every record (repeatable)\n"
    "  -p, --partition N              write to partition N (default: by key hash, or\n"
    "                                 spread when there is no key)\n"
    "      --acks all|1|0             acknowledgement level (default all)\n"
    "  -z, --compression CODEC        none, gzip, snappy, lz4 or zstd (default none)\n"
    "      --idempotent               enable the idempotent producer (needs --acks all)\n"
    "      --timeout-ms MS            give up on a record not acknowledged after MS\n"
    "                                 (default 10000); also the connect timeout\n";

static const char help_tail[] =
    "\n"
    "Exit status: 0 if every record was delivered, 1 if any failed or the cluster could\n"
    "not be reached, 2 on a usage error. Ctrl-C stops reading stdin and still waits for\n"
    "what was read; a second Ctrl-C abandons it (counted as failed).\n"
    "\n"
    "examples:\n"
    "  seq 1 100 | runnel produce numbers\n"
    "  printf 'user-1:{\"n\":1}\\n' | runnel produce events --key-sep : -H source=cli\n";

/* The command's state; the delivery callback reaches it through cli.user. */
typedef struct produce_ctx {
    rn_cli_client cli;
    const char *topic;
    const char *key;     /* --key, borrowed */
    const char *key_sep; /* --key-sep, borrowed */
    size_t key_sep_len;
    int partition; /* RD_KAFKA_PARTITION_UA unless --partition */
    const char *acks;
    const char *compression;
    int idempotent;
    int timeout_ms;
    rd_kafka_headers_t *headers; /* --header values, copied into each record; owned */

    uint64_t sent;      /* records handed to librdkafka */
    uint64_t delivered; /* acknowledged */
    uint64_t failed;    /* not delivered (rejected locally or by the cluster) */
    int error_lines;    /* delivery errors printed so far */
} produce_ctx;

/* Counts a failed record and prints the first few reasons. */
static void record_failed(produce_ctx *p, rd_kafka_resp_err_t kerr, const char *why)
{
    p->failed++;
    if (p->error_lines < MAX_ERROR_LINES) {
        fprintf(stderr, "%s: record not delivered: %s (%s)\n", p->cli.cmd, why,
                rd_kafka_err2name(kerr));
        if (++p->error_lines == MAX_ERROR_LINES)
            fprintf(stderr, "%s: further delivery errors are only counted\n", p->cli.cmd);
    }
}

/* Delivery report: served on the main thread by rd_kafka_poll / rd_kafka_flush. */
static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    rn_cli_client *c = opaque;
    produce_ctx *p = c->user;
    (void)rk;
    if (m->err)
        record_failed(p, m->err, rd_kafka_err2str(m->err));
    else
        p->delivered++;
}

static int parse_acks(const char *s, const char **out)
{
    if (!strcmp(s, "all") || !strcmp(s, "-1"))
        *out = "all";
    else if (!strcmp(s, "1") || !strcmp(s, "0"))
        *out = s;
    else
        return -1;
    return 0;
}

static int parse_compression(const char *s)
{
    static const char *const codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
        if (!strcmp(s, codecs[i])) return 0;
    return -1;
}

/* Parses argv into p. Returns -1 to go on, or an exit code. */
static int parse_args(produce_ctx *p, int argc, char **argv)
{
    static const struct option longopts[] = {
        RN_CLI_COMMON_LONGOPTS,
        {"key", required_argument, NULL, 'k'},
        {"key-sep", required_argument, NULL, 'K'},
        {"header", required_argument, NULL, 'H'},
        {"partition", required_argument, NULL, 'p'},
        {"acks", required_argument, NULL, OPT_ACKS},
        {"compression", required_argument, NULL, 'z'},
        {"idempotent", no_argument, NULL, OPT_IDEMPOTENT},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {0},
    };
    const char *cmd = p->cli.cmd;
    int opt;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":" RN_CLI_COMMON_SHORTOPTS "k:K:H:p:z:", longopts,
                              NULL)) != -1) {
        int r = rn_cli_client_opt(&p->cli, opt, optarg);
        if (r < 0) return RN_CLI_EXIT_USAGE;
        if (r > 0) continue;
        switch (opt) {
        case 'h':
            fputs(help_head, stdout);
            rn_cli_common_help(stdout);
            fputs(help_tail, stdout);
            return RN_CLI_EXIT_OK;
        case 'k':
            p->key = optarg;
            break;
        case 'K':
            if (!*optarg) return rn_cli_usage_error(cmd, "--key-sep needs a non-empty separator");
            p->key_sep = optarg;
            p->key_sep_len = strlen(optarg);
            break;
        case 'H': {
            char *name;
            const char *value;
            if (rn_cli_split_kv(optarg, &name, &value) < 0)
                return rn_cli_usage_error(cmd, "--header needs NAME=VALUE, got '%s'", optarg);
            if (!p->headers) p->headers = rd_kafka_headers_new(4);
            rd_kafka_header_add(p->headers, name, -1, value, -1);
            free(name);
            break;
        }
        case 'p':
            if (rn_cli_parse_int(cmd, "--partition", optarg, 0, INT32_MAX, &p->partition) < 0)
                return RN_CLI_EXIT_USAGE;
            break;
        case OPT_ACKS:
            if (parse_acks(optarg, &p->acks) < 0)
                return rn_cli_usage_error(cmd, "--acks must be all, 1 or 0, got '%s'", optarg);
            break;
        case 'z':
            if (parse_compression(optarg) < 0)
                return rn_cli_usage_error(
                    cmd, "--compression must be none, gzip, snappy, lz4 or zstd, got '%s'", optarg);
            p->compression = optarg;
            break;
        case OPT_IDEMPOTENT:
            p->idempotent = 1;
            break;
        case OPT_TIMEOUT:
            if (rn_cli_parse_int(cmd, "--timeout-ms", optarg, 1, 3600 * 1000, &p->timeout_ms) < 0)
                return RN_CLI_EXIT_USAGE;
            break;
        default: /* '?' or ':' */
            return rn_cli_getopt_error(cmd, argv, opt);
        }
    }
    if (optind >= argc) return rn_cli_usage_error(cmd, "missing TOPIC");
    if (optind + 1 < argc)
        return rn_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    p->topic = argv[optind];
    if (!*p->topic) return rn_cli_usage_error(cmd, "empty TOPIC");
    if (p->key && p->key_sep)
        return rn_cli_usage_error(cmd, "--key and --key-sep cannot be used together");
    if (p->idempotent && strcmp(p->acks, "all"))
        return rn_cli_usage_error(cmd, "--idempotent needs --acks all, got --acks %s", p->acks);
    return -1;
}

/* Builds the producer and checks that the topic (and partition) exist. Returns the
 * handle or NULL after printing why. */
static rd_kafka_t *open_producer(produce_ctx *p)
{
    rn_err err;
    char tmo[32];
    snprintf(tmo, sizeof tmo, "%d", p->timeout_ms);

    rd_kafka_conf_t *conf = rn_cli_conf_new(&p->cli, p->timeout_ms, &err);
    if (!conf) return rn_cli_fail(&p->cli, "%s", err.msg), NULL;
    if (rn_cli_conf_set(conf, "acks", p->acks, &err) < 0 ||
        rn_cli_conf_set(conf, "compression.codec", p->compression, &err) < 0 ||
        rn_cli_conf_set(conf, "message.timeout.ms", tmo, &err) < 0 ||
        (p->idempotent && rn_cli_conf_set(conf, "enable.idempotence", "true", &err) < 0)) {
        rd_kafka_conf_destroy(conf);
        return rn_cli_fail(&p->cli, "%s", err.msg), NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_t *rk = rn_cli_client_open(&p->cli, RD_KAFKA_PRODUCER, conf, &err);
    if (!rk) return rn_cli_fail(&p->cli, "%s", err.msg), NULL;

    /* Fail fast, with a reason, instead of timing out every record one by one. */
    const struct rd_kafka_metadata *md;
    const rd_kafka_metadata_topic_t *tmd;
    int rc = rn_cli_topic_metadata(&p->cli, rk, p->topic, p->timeout_ms, &md, &tmd, &err);
    if (rc == RN_ENOTFOUND) {
        rn_cli_fail(&p->cli, "topic '%s' does not exist (create it with 'runnel topics create %s')",
                    p->topic, p->topic);
    } else if (rc < 0) {
        rn_cli_fail(&p->cli, "%s", err.msg);
    } else {
        int n = tmd->partition_cnt;
        rd_kafka_metadata_destroy(md);
        if (p->partition == RD_KAFKA_PARTITION_UA || p->partition < n) return rk;
        rn_cli_fail(&p->cli, "topic '%s' has no partition %d (it has %d)", p->topic, p->partition,
                    n);
    }
    rd_kafka_destroy(rk);
    return NULL;
}

/* Hands one record to librdkafka, waiting while its queue is full. Returns 0, or -1 if
 * the producer hit a fatal error. */
static int send_record(produce_ctx *p, rd_kafka_t *rk, rd_kafka_topic_t *rkt, char *line,
                       size_t len)
{
    const char *key = p->key;
    size_t keylen = key ? strlen(key) : 0;
    char *value = line;
    size_t valuelen = len;

    if (p->key_sep) {
        char *sep = memmem(line, len, p->key_sep, p->key_sep_len);
        if (sep) {
            key = line;
            keylen = (size_t)(sep - line);
            value = sep + p->key_sep_len;
            valuelen = len - keylen - p->key_sep_len;
        }
    }
    for (;;) {
        rd_kafka_headers_t *h = p->headers ? rd_kafka_headers_copy(p->headers) : NULL;
        rd_kafka_resp_err_t kerr = rd_kafka_producev(
            rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(p->partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, keylen),
            RD_KAFKA_V_VALUE(value, valuelen), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
        if (!kerr) {
            p->sent++;
            return 0;
        }
        /* On failure the headers are still ours. */
        if (h) rd_kafka_headers_destroy(h);
        if (kerr == RD_KAFKA_RESP_ERR__QUEUE_FULL && rn_cli_signals < 2) {
            rd_kafka_poll(rk, 100);
            continue;
        }
        if (kerr == RD_KAFKA_RESP_ERR__FATAL) return -1;
        p->sent++;
        record_failed(p, kerr, rd_kafka_err2str(kerr));
        return 0;
    }
}

/* Waits until every record handed to librdkafka is delivered or failed. Each record is
 * bounded by message.timeout.ms; a second signal purges the rest (counted as failed). */
static void wait_deliveries(produce_ctx *p, rd_kafka_t *rk)
{
    int purged = 0;
    while (rd_kafka_outq_len(rk) > 0) {
        if (rn_cli_signals >= 2 && !purged) {
            rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            purged = 1;
        }
        rd_kafka_flush(rk, 100);
        /* Deliveries done and only internal requests left (idempotence state). */
        if (p->delivered + p->failed >= p->sent) break;
    }
}

int rn_cli_produce_main(int argc, char **argv)
{
    produce_ctx p;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    char *line = NULL;
    size_t cap = 0;
    int read_error = 0;

    memset(&p, 0, sizeof p);
    rn_cli_client_init(&p.cli, "runnel produce");
    p.cli.user = &p;
    p.partition = RD_KAFKA_PARTITION_UA;
    p.acks = "all";
    p.compression = "none";
    p.timeout_ms = RN_CLI_DEFAULT_TIMEOUT_MS;

    int rc = parse_args(&p, argc, argv);
    if (rc >= 0) goto out;
    rk = open_producer(&p);
    if (!rk) {
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }
    rkt = rd_kafka_topic_new(rk, p.topic, NULL);
    if (!rkt) {
        rc =
            rn_cli_fail(&p.cli, "topic '%s': %s", p.topic, rd_kafka_err2str(rd_kafka_last_error()));
        goto out;
    }
    rn_cli_signals_install();

    int64_t start_us = rn_mono_us();
    while (!rn_cli_signals && !p.cli.fatal) {
        errno = 0;
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) {
            if (ferror(stdin) && errno != EINTR) {
                rn_cli_fail(&p.cli, "cannot read stdin: %s", strerror(errno));
                read_error = 1;
            }
            break;
        }
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') len--;
        if (send_record(&p, rk, rkt, line, len) < 0) break;
        rd_kafka_poll(rk, 0); /* serve delivery reports as we go */
    }
    wait_deliveries(&p, rk);
    rd_kafka_poll(rk, 0); /* serve a last fatal error, if any */
    double secs = (double)(rn_mono_us() - start_us) / 1e6;

    /* Anything librdkafka still holds was never reported: count it as failed. */
    if (p.delivered + p.failed < p.sent) p.failed = p.sent - p.delivered;
    fprintf(stderr, "produced %llu %s to %s (%llu failed) in %.2f s\n",
            (unsigned long long)p.delivered, p.delivered == 1 ? "record" : "records", p.topic,
            (unsigned long long)p.failed, secs);
    rc = p.failed || p.cli.fatal || read_error ? RN_CLI_EXIT_FAIL : RN_CLI_EXIT_OK;
out:
    free(line);
    if (rkt) rd_kafka_topic_destroy(rkt);
    if (rk) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy(rk);
    }
    if (p.headers) rd_kafka_headers_destroy(p.headers);
    rn_cli_client_fini(&p.cli);
    return rc;
}
