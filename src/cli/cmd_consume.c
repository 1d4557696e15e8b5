/*
 * cli/cmd_consume.c - `runnel consume TOPIC`: prints a topic's records to stdout through
 * librdkafka, so it works against Runnel or any Kafka cluster.
 *
 * Two modes. Without --group every partition (or just --partition N) is read from the
 * chosen start position with librdkafka's per-partition consumer (rd_kafka_consume_
 * start_queue: the subscribe/assign API needs a group.id); nothing is committed. With
 * --group the high-level consumer subscribes, auto-commit is off, and the offsets of the
 * records printed are committed synchronously after each batch (the records one poll
 * returned without waiting), once they are written to stdout.
 *
 * Stops on SIGINT/SIGTERM, after --max records, after --timeout-ms without a record, or,
 * with --exit-at-end, when every partition is at its end. Prints "consumed N records" to
 * stderr on exit.
 * Layer: calls cli/client.h, librdkafka and jansson (--format json).
 */
#include "cli/cli.h"
#include "cli/client.h"

#include "common/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    OPT_FROM_BEGINNING = 1000,
    OPT_FROM_TIME,
    OPT_TIMEOUT,
};

/* How long one poll waits at most, so signals and deadlines are noticed promptly. */
#define POLL_MS 100
/* A batch (flushed to stdout, then committed) ends when no record is ready or at this. */
#define BATCH_MAX 1000

/* --help: the head, the common flags, then the tail. */
static const char help_head[] =
    "usage: runnel consume TOPIC [OPTIONS]\n"
    "\n"
    "Prints TOPIC's records to stdout, by default only those that arrive from now on,\n"
    "until Ctrl-C. Prints \"consumed N records\" to stderr on exit.\n"
    "\n"
    "where to start (default: the end of each partition, i.e. new records only):\n"
    "      --from-beginning           the oldest record still stored\n"
    "  -o, --offset N                 offset N of each partition (clamped to what the\n"
    "                                 partition holds); -N: the last N records of each\n"
    "      --from-time TIME           the first record at or after TIME: ISO 8601\n"
    "                                 (2026-11-27T10:00:00Z; .123 fractions and +02:00\n"
    "                                 offsets allowed, none means UTC) or epoch ms\n"
    "\n"
    "what to read and when to stop:\n"
    "  -p, --partition N              only partition N (not with --group)\n"
    "  -n, --max N                    stop after N records\n"
    "      --timeout-ms MS            stop after MS without a record\n"
    "  -e, --exit-at-end              stop when every partition is read to its end\n"
    "  -g, --group GROUP              consume as a member of consumer group GROUP: the\n"
    "                                 group's members share the partitions, and offsets\n"
    "                                 are committed after each printed batch; a committed\n"
    "                                 offset wins over --from-beginning (which applies\n"
    "                                 only where the group has none), while --offset and\n"
    "                                 --from-time reposition the group\n"
    "\n"
    "output:\n"
    "  -f, --format FORMAT            value  the value, then a newline (default)\n"
    "                                 kv     key TAB value newline\n"
    "                                 json   one JSON object per line: topic, partition,\n"
    "                                        offset, timestamp, key, value, headers; a key,\n"
    "                                        value or header that is not UTF-8 is base64\n"
    "                                        in a field named with a _b64 suffix instead\n"
    "                                        (\"value_b64\")\n"
    "                                 or a template (a newline is added unless it ends\n"
    "                                 with \\n): %t topic  %p partition  %o offset\n"
    "                                 %T timestamp (ms)  %k key  %K key length\n"
    "                                 %v value  %S value length  %h headers (n=v,n=v)\n"
    "                                 %% a percent sign; \\n \\t \\r \\\\ escapes\n"
    "\n"
    "connection:\n";

static const char help_tail[] =
    "\n"
    "Exit status: 0 when stopped as asked (Ctrl-C included), 1 if the cluster could not\n"
    "be reached, the topic does not exist or consuming failed, 2 on a usage error.\n"
    "\n"
    "examples:\n"
    "  runnel consume orders --from-beginning --exit-at-end\n"
    "  runnel consume orders --from-time 2026-11-27T10:00:00Z --format json --max 10\n"
    "  runnel consume orders -g billing --format '%p:%o %k=%v'\n";

typedef enum { START_END, START_BEGINNING, START_OFFSET, START_TIME } start_kind;
typedef enum { FMT_VALUE, FMT_KV, FMT_JSON, FMT_TEMPLATE } out_format;

/* The command's state; librdkafka callbacks reach it through cli.user. */
typedef struct consume_ctx {
    rn_cli_client cli;
    const char *topic;
    start_kind start;
    int64_t start_at; /* START_OFFSET: offset (negative: from the end); START_TIME: ms */
    int partition;    /* -1: all */
    int64_t max;      /* -1: no limit */
    int idle_ms;      /* -1: no idle timeout */
    int exit_at_end;
    const char *group;
    out_format format;
    char *template; /* FMT_TEMPLATE with escapes resolved; from malloc */
    size_t template_len;

    rd_kafka_t *rk;          /* owned */
    rd_kafka_queue_t *queue; /* no group: all partitions feed it; owned */
    rd_kafka_topic_t *rkt;   /* no group: owned */
    int32_t *started;        /* no group: partitions started; from malloc */
    int nstarted;

    /* Per partition id, grown on demand: assigned to us, read to its end, already
     * positioned by --offset/--from-time (group mode does it once per partition). */
    unsigned char *assigned, *at_end, *positioned;
    size_t nflags;

    rd_kafka_topic_partition_list_t *batch; /* group: offsets to commit; owned */
    uint64_t count;                         /* records printed */
    char last_warning[256];                 /* the latest consumer warning printed */
    int64_t last_warning_ms;                /* when it was printed (monotonic) */
} consume_ctx;

/* ------------------------------------------------------------------ parsing */

/* Resolves backslash escapes and checks the % directives of a --format template.
 * Returns 0 (c->template set) or a usage exit code. */
static int parse_template(consume_ctx *c, const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 2);
    size_t len = 0;
    if (!out) return rn_cli_fail(&c->cli, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char e = s[++i];
            switch (e) {
            case 'n':
                out[len++] = '\n';
                break;
            case 't':
                out[len++] = '\t';
                break;
            case 'r':
                out[len++] = '\r';
                break;
            case '\\':
                out[len++] = '\\';
                break;
            default:
                out[len++] = '\\';
                out[len++] = e;
                break;
            }
        } else if (s[i] == '%') {
            if (i + 1 == n || !strchr("tpoTkKvSh%", s[i + 1])) {
                free(out);
                return rn_cli_usage_error(c->cli.cmd,
                                          "--format: unknown directive '%%%.1s' (use %%t %%p %%o "
                                          "%%T %%k %%K %%v %%S %%h or %%%%)",
                                          s + i + 1);
            }
            out[len++] = s[i++];
            out[len++] = s[i];
        } else {
            out[len++] = s[i];
        }
    }
    if (!len || out[len - 1] != '\n') out[len++] = '\n';
    out[len] = '\0';
    c->template = out;
    c->template_len = len;
    return 0;
}

/* Parses argv into c. Returns -1 to go on, or an exit code. */
static int parse_args(consume_ctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        RN_CLI_COMMON_LONGOPTS,
        {"from-beginning", no_argument, NULL, OPT_FROM_BEGINNING},
        {"offset", required_argument, NULL, 'o'},
        {"from-time", required_argument, NULL, OPT_FROM_TIME},
        {"partition", required_argument, NULL, 'p'},
        {"max", required_argument, NULL, 'n'},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"exit-at-end", no_argument, NULL, 'e'},
        {"group", required_argument, NULL, 'g'},
        {"format", required_argument, NULL, 'f'},
        {0},
    };
    const char *cmd = c->cli.cmd;
    const char *start_flag = NULL;
    int opt;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":" RN_CLI_COMMON_SHORTOPTS "o:p:n:eg:f:", longopts,
                              NULL)) != -1) {
        int r = rn_cli_client_opt(&c->cli, opt, optarg);
        if (r < 0) return RN_CLI_EXIT_USAGE;
        if (r > 0) continue;
        const char *flag = NULL;
        switch (opt) {
        case 'h':
            fputs(help_head, stdout);
            rn_cli_common_help(stdout);
            fputs(help_tail, stdout);
            return RN_CLI_EXIT_OK;
        case OPT_FROM_BEGINNING:
            flag = "--from-beginning";
            c->start = START_BEGINNING;
            break;
        case 'o':
            flag = "--offset";
            c->start = START_OFFSET;
            if (rn_cli_parse_i64(cmd, "--offset", optarg, -1000000000LL, INT64_MAX, &c->start_at) <
                0)
                return RN_CLI_EXIT_USAGE;
            break;
        case OPT_FROM_TIME:
            flag = "--from-time";
            c->start = START_TIME;
            if (rn_cli_parse_time(optarg, &c->start_at) < 0)
                return rn_cli_usage_error(cmd,
                                          "--from-time needs ISO 8601 (2026-11-27T10:00:00Z) "
                                          "or epoch milliseconds, got '%s'",
                                          optarg);
            break;
        case 'p':
            if (rn_cli_parse_int(cmd, "--partition", optarg, 0, INT32_MAX, &c->partition) < 0)
                return RN_CLI_EXIT_USAGE;
            break;
        case 'n':
            if (rn_cli_parse_i64(cmd, "--max", optarg, 1, INT64_MAX, &c->max) < 0)
                return RN_CLI_EXIT_USAGE;
            break;
        case OPT_TIMEOUT:
            if (rn_cli_parse_int(cmd, "--timeout-ms", optarg, 1, INT32_MAX, &c->idle_ms) < 0)
                return RN_CLI_EXIT_USAGE;
            break;
        case 'e':
            c->exit_at_end = 1;
            break;
        case 'g':
            if (!*optarg) return rn_cli_usage_error(cmd, "--group needs a group name");
            c->group = optarg;
            break;
        case 'f':
            free(c->template);
            c->template = NULL;
            if (!strcmp(optarg, "value")) {
                c->format = FMT_VALUE;
            } else if (!strcmp(optarg, "kv")) {
                c->format = FMT_KV;
            } else if (!strcmp(optarg, "json")) {
                c->format = FMT_JSON;
            } else if (strchr(optarg, '%')) {
                c->format = FMT_TEMPLATE;
                int rc = parse_template(c, optarg);
                if (rc) return rc;
            } else {
                return rn_cli_usage_error(cmd,
                                          "--format must be value, kv, json or a template "
                                          "with %%v, %%k ..., got '%s'",
                                          optarg);
            }
            break;
        default: /* '?' or ':' */
            return rn_cli_getopt_error(cmd, argv, opt);
        }
        if (flag) {
            if (start_flag && strcmp(start_flag, flag))
                return rn_cli_usage_error(cmd, "%s and %s cannot be used together", start_flag,
                                          flag);
            start_flag = flag;
        }
    }
    if (optind >= argc) return rn_cli_usage_error(cmd, "missing TOPIC");
    if (optind + 1 < argc)
        return rn_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    c->topic = argv[optind];
    if (!*c->topic) return rn_cli_usage_error(cmd, "empty TOPIC");
    if (c->group && c->partition >= 0)
        return rn_cli_usage_error(cmd, "--partition cannot be used with --group (the group "
                                       "assigns partitions)");
    return -1;
}

/* ------------------------------------------------------------------ partition flags */

/* Makes the per-partition flag arrays cover partition p. Returns 0 or -1 (no memory). */
static int flags_cover(consume_ctx *c, int32_t p)
{
    if (p < 0) return -1;
    if ((size_t)p < c->nflags) return 0;
    size_t n = (size_t)p + 1 > c->nflags * 2 ? (size_t)p + 1 : c->nflags * 2;
    unsigned char **arrays[] = {&c->assigned, &c->at_end, &c->positioned};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        unsigned char *a = realloc(*arrays[i], n);
        if (!a) return -1;
        memset(a + c->nflags, 0, n - c->nflags);
        *arrays[i] = a;
    }
    c->nflags = n;
    return 0;
}

/* Are all assigned partitions at their end (and is anything assigned)? */
static int all_at_end(const consume_ctx *c)
{
    int any = 0;
    for (size_t p = 0; p < c->nflags; p++) {
        if (!c->assigned[p]) continue;
        if (!c->at_end[p]) return 0;
        any = 1;
    }
    return any;
}

/* ------------------------------------------------------------------ start positions */

/* Sets the start offset of every partition in parts (topic c->topic) from --offset or
 * --from-time. Returns 0, or -1 with err filled. */
static int resolve_start(consume_ctx *c, rd_kafka_topic_partition_list_t *parts, rn_err *err)
{
    if (c->start == START_TIME) {
        for (int i = 0; i < parts->cnt; i++)
            parts->elems[i].offset = c->start_at;
        rd_kafka_resp_err_t kerr =
            rd_kafka_offsets_for_times(c->rk, parts, RN_CLI_DEFAULT_TIMEOUT_MS);
        if (kerr)
            return rn_cli_kafka_error(&c->cli, c->group ? NULL : c->rk, err,
                                      "cannot look up offsets by time", kerr, NULL);
        for (int i = 0; i < parts->cnt; i++) {
            rd_kafka_topic_partition_t *tp = &parts->elems[i];
            if (tp->err)
                return rn_err_set(err, RN_EIO, "cannot look up offsets by time on partition %d: %s",
                                  (int)tp->partition, rd_kafka_err2str(tp->err));
            /* -1: no record that recent, so start at the end. */
            if (tp->offset < 0) tp->offset = RD_KAFKA_OFFSET_END;
        }
        return 0;
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (c->start_at < 0) {
            tp->offset = RD_KAFKA_OFFSET_TAIL(-c->start_at);
            continue;
        }
        int64_t lo, hi;
        rd_kafka_resp_err_t kerr = rd_kafka_query_watermark_offsets(
            c->rk, c->topic, tp->partition, &lo, &hi, RN_CLI_DEFAULT_TIMEOUT_MS);
        if (kerr)
            return rn_cli_kafka_error(&c->cli, c->group ? NULL : c->rk, err,
                                      "cannot read partition offsets", kerr, NULL);
        tp->offset = c->start_at < lo ? lo : c->start_at > hi ? hi : c->start_at;
    }
    return 0;
}

/* ------------------------------------------------------------------ group mode */

/* Rebalance callback, served inside rd_kafka_consumer_poll on the main thread. Offsets
 * are committed at the end of every batch, before the next poll, so nothing is pending
 * when partitions are revoked. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t kerr,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    rn_cli_client *cli = opaque;
    consume_ctx *c = cli->user;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (kerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* --offset / --from-time reposition each partition once per run; after that the
         * group's committed offsets (ours) apply. */
        if (c->start == START_OFFSET || c->start == START_TIME) {
            rd_kafka_topic_partition_list_t *todo = rd_kafka_topic_partition_list_new(parts->cnt);
            for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                if (flags_cover(c, p) == 0 && !c->positioned[p])
                    rd_kafka_topic_partition_list_add(todo, parts->elems[i].topic, p);
            }
            rn_err err;
            if (todo->cnt && resolve_start(c, todo, &err) < 0) {
                rn_cli_warn(cli, "%s; using the group's committed offsets", err.msg);
            } else {
                for (int i = 0; i < todo->cnt; i++) {
                    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(
                        parts, todo->elems[i].topic, todo->elems[i].partition);
                    tp->offset = todo->elems[i].offset;
                    c->positioned[tp->partition] = 1;
                }
            }
            rd_kafka_topic_partition_list_destroy(todo);
        }
        for (int i = 0; i < parts->cnt; i++) {
            int32_t p = parts->elems[i].partition;
            if (flags_cover(c, p) == 0) {
                c->assigned[p] = 1;
                c->at_end[p] = 0;
            }
        }
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            aerr = rd_kafka_assign(rk, parts);
    } else {
        if (kerr != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
            rn_cli_warn(cli, "rebalance failed: %s", rd_kafka_err2str(kerr));
        for (int i = 0; i < parts->cnt; i++) {
            int32_t p = parts->elems[i].partition;
            if (p >= 0 && (size_t)p < c->nflags) c->assigned[p] = 0;
        }
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            aerr = rd_kafka_assign(rk, NULL);
    }
    if (error) {
        rn_cli_warn(cli, "cannot change assignment: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (aerr) {
        rn_cli_warn(cli, "cannot change assignment: %s", rd_kafka_err2str(aerr));
    }
}

/* Remembers that rkm was printed: its offset + 1 is committed with the batch. */
static void batch_add(consume_ctx *c, const rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    rd_kafka_topic_partition_t *tp =
        rd_kafka_topic_partition_list_find(c->batch, topic, rkm->partition);
    if (!tp) tp = rd_kafka_topic_partition_list_add(c->batch, topic, rkm->partition);
    tp->offset = rkm->offset + 1;
}

/* Commits the batch synchronously. A failure is a warning: those records may be
 * delivered again to the group. */
static void batch_commit(consume_ctx *c)
{
    if (!c->batch->cnt) return;
    rd_kafka_resp_err_t kerr = rd_kafka_commit(c->rk, c->batch, 0);
    if (kerr) rn_cli_warn(&c->cli, "commit failed: %s", rd_kafka_err2str(kerr));
    rd_kafka_topic_partition_list_destroy(c->batch);
    c->batch = rd_kafka_topic_partition_list_new(8);
}

/* ------------------------------------------------------------------ output */

/* Hand-written base64 (RFC 4648, padded): jansson has none, and linking libcrypto into
 * the CLI for these lines would add a dependency for nothing. Returns a string from
 * malloc, or NULL. */
static char *base64(const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1);
    size_t o = 0;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* Sets obj[name] to the bytes as a JSON string, or, if they are not UTF-8, obj[name_b64]
 * to their base64; NULL bytes give null. A name already present (a repeated header)
 * becomes an array of its values. A name that is not UTF-8 itself is left out (jansson
 * refuses such keys). */
static void json_set_bytes(json_t *obj, const char *name, const void *p, size_t n)
{
    json_t *v;
    char key[512];

    if (!p) {
        v = json_null();
        snprintf(key, sizeof key, "%s", name);
    } else if ((v = json_stringn(p, n))) {
        snprintf(key, sizeof key, "%s", name);
    } else {
        char *b = base64(p, n);
        v = b ? json_string(b) : json_null();
        free(b);
        snprintf(key, sizeof key, "%s_b64", name);
    }
    json_t *old = json_object_get(obj, key);
    if (!old) {
        json_object_set_new(obj, key, v);
    } else if (json_is_array(old)) {
        json_array_append_new(old, v);
    } else {
        json_t *arr = json_array();
        json_array_append(arr, old);
        json_array_append_new(arr, v);
        json_object_set_new(obj, key, arr);
    }
}

static int print_json(FILE *f, const rd_kafka_message_t *rkm)
{
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    rd_kafka_headers_t *hdrs = NULL;
    json_t *jh = json_object();

    if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++)
            json_set_bytes(jh, name, val, size);
    }
    json_t *o =
        json_pack("{s:s, s:i, s:I, s:o}", "topic", rd_kafka_topic_name(rkm->rkt), "partition",
                  (int)rkm->partition, "offset", (json_int_t)rkm->offset, "timestamp",
                  tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? json_null() : json_integer(ts));
    json_set_bytes(o, "key", rkm->key, rkm->key_len);
    json_set_bytes(o, "value", rkm->payload, rkm->len);
    json_object_set_new(o, "headers", jh);
    int rc = json_dumpf(o, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF ? -1 : 0;
    json_decref(o);
    return rc;
}

static void print_headers(FILE *f, const rd_kafka_message_t *rkm)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(rkm, &hdrs)) return;
    const char *name;
    const void *val;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++) {
        fprintf(f, "%s%s=", i ? "," : "", name);
        if (val) fwrite(val, 1, size, f);
    }
}

static void print_template(const consume_ctx *c, FILE *f, const rd_kafka_message_t *rkm)
{
    const char *t = c->template;
    for (size_t i = 0; i < c->template_len; i++) {
        if (t[i] != '%') {
            fputc(t[i], f);
            continue;
        }
        switch (t[++i]) {
        case 't':
            fputs(rd_kafka_topic_name(rkm->rkt), f);
            break;
        case 'p':
            fprintf(f, "%d", (int)rkm->partition);
            break;
        case 'o':
            fprintf(f, "%lld", (long long)rkm->offset);
            break;
        case 'T':
            fprintf(f, "%lld", (long long)rd_kafka_message_timestamp(rkm, NULL));
            break;
        case 'k':
            if (rkm->key) fwrite(rkm->key, 1, rkm->key_len, f);
            break;
        case 'K':
            fprintf(f, "%lld", rkm->key ? (long long)rkm->key_len : -1LL);
            break;
        case 'v':
            if (rkm->payload) fwrite(rkm->payload, 1, rkm->len, f);
            break;
        case 'S':
            fprintf(f, "%lld", rkm->payload ? (long long)rkm->len : -1LL);
            break;
        case 'h':
            print_headers(f, rkm);
            break;
        default: /* '%', checked by parse_template */
            fputc('%', f);
            break;
        }
    }
}

/* Writes one record to stdout in the chosen format. Returns 0 or -1 (write error). */
static int print_record(consume_ctx *c, const rd_kafka_message_t *rkm)
{
    FILE *f = stdout;
    switch (c->format) {
    case FMT_JSON:
        return print_json(f, rkm);
    case FMT_TEMPLATE:
        print_template(c, f, rkm);
        break;
    case FMT_KV:
        if (rkm->key) fwrite(rkm->key, 1, rkm->key_len, f);
        fputc('\t', f);
        /* fall through */
    case FMT_VALUE:
        if (rkm->payload) fwrite(rkm->payload, 1, rkm->len, f);
        fputc('\n', f);
        break;
    }
    return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------ setup */

static rd_kafka_conf_t *make_conf(consume_ctx *c, rn_err *err)
{
    rd_kafka_conf_t *conf = rn_cli_conf_new(&c->cli, RN_CLI_DEFAULT_TIMEOUT_MS, err);
    if (!conf) return NULL;
    /* Out-of-range positions (records deleted by retention) go to the oldest record,
     * except when only new records were asked for. */
    const char *reset = c->start == START_END ? "latest" : "earliest";
    if (rn_cli_conf_set(conf, "auto.offset.reset", reset, err) < 0 ||
        rn_cli_conf_set(conf, "enable.auto.commit", "false", err) < 0 ||
        rn_cli_conf_set(conf, "enable.auto.offset.store", "false", err) < 0 ||
        rn_cli_conf_set(conf, "enable.partition.eof", c->exit_at_end ? "true" : "false", err) < 0 ||
        (c->group && rn_cli_conf_set(conf, "group.id", c->group, err) < 0)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (c->group) rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    return conf;
}

/* Opens the consumer, checks the topic, and starts reading (assigned partitions or a
 * group subscription). Returns an exit code; RN_CLI_EXIT_OK means the loop can run. */
static int start(consume_ctx *c)
{
    rn_err err;
    const struct rd_kafka_metadata *md;
    const rd_kafka_metadata_topic_t *tmd;

    rd_kafka_conf_t *conf = make_conf(c, &err);
    if (!conf) return rn_cli_fail(&c->cli, "%s", err.msg);
    c->rk = rn_cli_client_open(&c->cli, RD_KAFKA_CONSUMER, conf, &err);
    if (!c->rk) return rn_cli_fail(&c->cli, "%s", err.msg);

    int rc =
        rn_cli_topic_metadata(&c->cli, c->rk, c->topic, RN_CLI_DEFAULT_TIMEOUT_MS, &md, &tmd, &err);
    if (rc < 0) return rn_cli_fail(&c->cli, "%s", err.msg);
    int nparts = tmd->partition_cnt;
    rd_kafka_metadata_destroy(md);
    if (c->partition >= nparts)
        return rn_cli_fail(&c->cli, "topic '%s' has no partition %d (it has %d)", c->topic,
                           c->partition, nparts);
    if (nparts > 0 && flags_cover(c, nparts - 1) < 0) return rn_cli_fail(&c->cli, "out of memory");
    c->cli.warn_brokers_down = 1;

    if (c->group) {
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, c->topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_poll_set_consumer(c->rk);
        rd_kafka_resp_err_t kerr = rd_kafka_subscribe(c->rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (kerr)
            return rn_cli_fail(&c->cli, "cannot subscribe to '%s': %s", c->topic,
                               rd_kafka_err2str(kerr));
        c->batch = rd_kafka_topic_partition_list_new(8);
        return RN_CLI_EXIT_OK;
    }

    /* No group: start every partition (or the one asked for) on one queue. */
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; p++)
        if (c->partition < 0 || p == c->partition)
            rd_kafka_topic_partition_list_add(parts, c->topic, p)->offset =
                c->start == START_BEGINNING ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    if ((c->start == START_OFFSET || c->start == START_TIME) && resolve_start(c, parts, &err) < 0) {
        rd_kafka_topic_partition_list_destroy(parts);
        return rn_cli_fail(&c->cli, "%s", err.msg);
    }
    c->started = calloc((size_t)parts->cnt + 1, sizeof *c->started);
    c->queue = rd_kafka_queue_new(c->rk);
    c->rkt = rd_kafka_topic_new(c->rk, c->topic, NULL);
    rc = RN_CLI_EXIT_OK;
    if (!c->started || !c->rkt)
        rc = rn_cli_fail(&c->cli, "cannot start consuming '%s': %s", c->topic,
                         c->rkt ? "out of memory" : rd_kafka_err2str(rd_kafka_last_error()));
    for (int i = 0; i < parts->cnt && rc == RN_CLI_EXIT_OK; i++) {
        int32_t p = parts->elems[i].partition;
        if (rd_kafka_consume_start_queue(c->rkt, p, parts->elems[i].offset, c->queue) < 0) {
            rc = rn_cli_fail(&c->cli, "cannot start consuming partition %d: %s", (int)p,
                             rd_kafka_err2str(rd_kafka_last_error()));
            break;
        }
        c->started[c->nstarted++] = p;
        c->assigned[p] = 1;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return rc;
}

static void stop(consume_ctx *c)
{
    if (c->group && c->rk) {
        if (c->batch) batch_commit(c);
        rd_kafka_consumer_close(c->rk);
    }
    for (int i = 0; i < c->nstarted; i++)
        rd_kafka_consume_stop(c->rkt, c->started[i]);
    if (c->queue) rd_kafka_queue_destroy(c->queue);
    if (c->rkt) rd_kafka_topic_destroy(c->rkt);
    if (c->rk) rd_kafka_destroy(c->rk);
    if (c->batch) rd_kafka_topic_partition_list_destroy(c->batch);
    free(c->started);
    free(c->assigned);
    free(c->at_end);
    free(c->positioned);
}

/* ------------------------------------------------------------------ loop */

/* Handles an error event from the consumer. Returns 1 if consuming cannot go on.
 * Transient errors are warnings; librdkafka retries them, so a repeat of the previous
 * warning is shown at most every WARN_REPEAT_MS. */
#define WARN_REPEAT_MS 30000
static int consumer_error(consume_ctx *c, const rd_kafka_message_t *rkm)
{
    const char *msg = rd_kafka_message_errstr(rkm);

    switch (rkm->err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__FATAL:
        rn_cli_fail(&c->cli, "%s", msg);
        return 1;
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
        rn_cli_fail(&c->cli, "%s%s", msg,
                    c->group ? " (does this cluster support consumer groups?)" : "");
        return 1;
    default:
        if (strcmp(c->last_warning, msg) || rn_mono_ms() - c->last_warning_ms >= WARN_REPEAT_MS) {
            rn_cli_warn(&c->cli, "%s", msg);
            snprintf(c->last_warning, sizeof c->last_warning, "%s", msg);
            c->last_warning_ms = rn_mono_ms();
        }
        return 0;
    }
}

/* Waits up to timeout_ms for the next event (record, end of partition or error). */
static rd_kafka_message_t *next_event(consume_ctx *c, int timeout_ms)
{
    if (c->group) return rd_kafka_consumer_poll(c->rk, timeout_ms);
    rd_kafka_poll(c->rk, 0); /* error callbacks */
    return rd_kafka_consume_queue(c->queue, timeout_ms);
}

/* Runs until a stop condition. Returns an exit code. */
static int run(consume_ctx *c)
{
    int64_t last_record_ms = rn_mono_ms();
    int in_batch = 0; /* records printed since the last flush/commit */
    int rc = RN_CLI_EXIT_OK;

    for (;;) {
        if (rn_cli_signals || (c->max >= 0 && (int64_t)c->count >= c->max)) break;
        if (c->cli.fatal) {
            rc = RN_CLI_EXIT_FAIL;
            break;
        }
        if (c->exit_at_end && !in_batch && all_at_end(c)) break;
        int wait = POLL_MS;
        if (c->idle_ms >= 0) {
            int64_t left = last_record_ms + c->idle_ms - rn_mono_ms();
            if (left <= 0) break;
            wait = left < wait ? (int)left : wait;
        }
        /* Records already fetched come back at once; a batch ends at the first wait. */
        rd_kafka_message_t *rkm = in_batch < BATCH_MAX ? next_event(c, in_batch ? 0 : wait) : NULL;
        if (!rkm) {
            if (in_batch) {
                fflush(stdout);
                if (c->group) batch_commit(c);
                in_batch = 0;
            }
            continue;
        }
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (flags_cover(c, rkm->partition) == 0) c->at_end[rkm->partition] = 1;
        } else if (rkm->err) {
            if (consumer_error(c, rkm)) {
                rc = RN_CLI_EXIT_FAIL;
                rd_kafka_message_destroy(rkm);
                break;
            }
        } else {
            if (flags_cover(c, rkm->partition) == 0) c->at_end[rkm->partition] = 0;
            c->cli.last_error[0] = '\0';
            if (print_record(c, rkm) < 0) {
                rc = rn_cli_fail(&c->cli, "cannot write to stdout: %s", strerror(errno));
                rd_kafka_message_destroy(rkm);
                break;
            }
            c->count++;
            in_batch++;
            last_record_ms = rn_mono_ms();
            if (c->group) batch_add(c, rkm);
        }
        rd_kafka_message_destroy(rkm);
    }
    if (fflush(stdout) == EOF && rc == RN_CLI_EXIT_OK)
        rc = rn_cli_fail(&c->cli, "cannot write to stdout: %s", strerror(errno));
    return rc;
}

int rn_cli_consume_main(int argc, char **argv)
{
    consume_ctx c;
    memset(&c, 0, sizeof c);
    rn_cli_client_init(&c.cli, "runnel consume");
    c.cli.user = &c;
    c.partition = -1;
    c.max = -1;
    c.idle_ms = -1;

    int rc = parse_args(&c, argc, argv);
    if (rc < 0) {
        rn_cli_signals_install();
        rc = start(&c);
        if (rc == RN_CLI_EXIT_OK) {
            rc = run(&c);
            fprintf(stderr, "consumed %llu %s\n", (unsigned long long)c.count,
                    c.count == 1 ? "record" : "records");
        }
        stop(&c);
    }
    free(c.template);
    rn_cli_client_fini(&c.cli);
    return rc;
}
