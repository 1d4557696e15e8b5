/*
 * cli/cmd_topics.c - `runnel topics create|list|describe|alter|delete`: topic
 * administration through librdkafka's Admin API and Metadata, so it works against Runnel
 * or any Kafka cluster.
 *
 * Every subcommand waits at most --timeout-ms (default 10 s) per request, prints its
 * result on stdout and its errors on stderr, and exits 0 (ok), 1 (failed) or 2 (usage).
 * Layer: calls cli/client.h, librdkafka and jansson (for --json).
 */
#include "cli/cli.h"
#include "cli/client.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long-only flags. */
enum {
    OPT_TIMEOUT = RN_CLI_OPT_TIMEOUT,
    OPT_PARTITIONS,
    OPT_REPLICATION,
    OPT_CONFIG,
    OPT_DELETE_CONFIG,
    OPT_IF_NOT_EXISTS,
    OPT_IF_EXISTS,
    OPT_JSON,
    OPT_ALL,
};

/* One subcommand's state: the client flags plus its handle. */
typedef rn_cli_admin topics_ctx; /* cli.cmd is "runnel topics ..." */

static void topics_usage(FILE *f)
{
    fputs("usage: runnel topics SUBCOMMAND [ARGS]\n"
          "\n"
          "Manages topics on Runnel or any Kafka cluster.\n"
          "\n"
          "subcommands:\n"
          "  create NAME      create a topic\n"
          "  list             list topics\n"
          "  describe NAME    show a topic's partitions, offsets and configs\n"
          "  alter NAME       change a topic's configs or partition count\n"
          "  delete NAME...   delete topics\n"
          "\n"
          "Run 'runnel topics SUBCOMMAND --help' for its options.\n",
          f);
}

static const rn_cli_help create_help = {
    "usage: runnel topics create NAME [OPTIONS]\n"
    "\n"
    "Creates topic NAME (Admin API CreateTopics) and prints\n"
    "\"created topic NAME (N partitions)\".\n"
    "\n"
    "options:\n"
    "      --partitions N             number of partitions (default: the broker's\n"
    "                                 num.partitions)\n"
    "      --replication-factor N     replicas of each partition (default: the broker's\n"
    "                                 default.replication.factor)\n"
    "      --config KEY=VALUE         a topic config, e.g. retention.ms=86400000\n"
    "                                 (repeatable)\n"
    "      --if-not-exists            succeed if the topic already exists\n",
    "Brokers older than Kafka 2.4 cannot pick the defaults: pass --partitions and\n"
    "--replication-factor to them.\n"};

static const rn_cli_help list_help = {
    "usage: runnel topics list [OPTIONS]\n"
    "\n"
    "Prints the cluster's topic names, sorted, one per line.\n"
    "\n"
    "options:\n"
    "      --json                     print a JSON array of {\"name\", \"partitions\"}\n",
    NULL};

static const rn_cli_help describe_help = {
    "usage: runnel topics describe NAME [OPTIONS]\n"
    "\n"
    "Shows each partition's leader, replicas, in-sync replicas, low and high watermark\n"
    "and message count (high - low), and the topic's configs that differ from the\n"
    "defaults (Admin API DescribeConfigs).\n"
    "\n"
    "options:\n"
    "      --all                      show every config, defaults included\n"
    "      --json                     print one JSON object\n",
    "If the cluster cannot describe configs, the partitions are still shown and a\n"
    "warning explains why the configs are missing.\n"};

static const rn_cli_help alter_help = {
    "usage: runnel topics alter NAME [--config KEY=VALUE ...] [--delete-config KEY ...]\n"
    "                              [--partitions N] [OPTIONS]\n"
    "\n"
    "Changes topic NAME's configs (Admin API AlterConfigs) and/or raises its partition\n"
    "count (CreatePartitions). Configs not named are kept: the topic's current\n"
    "overrides are read first (DescribeConfigs) and sent back with the changes, because\n"
    "AlterConfigs replaces the whole set. Do not alter the same topic's configs from two\n"
    "places at once: the later write wins.\n"
    "\n"
    "options:\n"
    "      --config KEY=VALUE         set a config (repeatable)\n"
    "      --delete-config KEY        remove an override, back to the default (repeatable)\n"
    "      --partitions N             new total partition count (can only grow)\n",
    NULL};

static const rn_cli_help delete_help = {
    "usage: runnel topics delete NAME... [OPTIONS]\n"
    "\n"
    "Deletes the named topics and all their records (Admin API DeleteTopics).\n"
    "\n"
    "options:\n"
    "      --if-exists                succeed for topics that do not exist\n",
    NULL};

/* Checks that exactly one positional (the topic name) was given. Returns -1 if so, else
 * prints a usage error and returns its exit code. */
static int check_one_name(topics_ctx *t, const rn_cli_strv *pos)
{
    if (pos->n == 0) return rn_cli_usage_error(t->cli.cmd, "missing topic NAME");
    if (pos->n > 1)
        return rn_cli_usage_error(t->cli.cmd, "expected one topic NAME, got '%s' too", pos->v[1]);
    if (!*pos->v[0]) return rn_cli_usage_error(t->cli.cmd, "empty topic NAME");
    return -1;
}

/* Checks that a KEY=VALUE flag value has a key. Returns 1, or -1 after a usage error. */
static int check_kv(topics_ctx *t, const char *flag, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        rn_cli_usage_error(t->cli.cmd, "%s needs KEY=VALUE, got '%s'", flag, arg);
        return -1;
    }
    return 1;
}

/* ------------------------------------------------------------------ create */

typedef struct create_args {
    int partitions;  /* -1: broker default */
    int replication; /* -1: broker default */
    int if_not_exists;
    rn_cli_strv configs; /* "k=v" */
} create_args;

static int create_opt(topics_ctx *t, void *state, int opt, const char *arg)
{
    create_args *a = state;
    switch (opt) {
    case OPT_PARTITIONS:
        return rn_cli_handled(
            rn_cli_parse_int(t->cli.cmd, "--partitions", arg, 1, 1000000, &a->partitions));
    case OPT_REPLICATION:
        return rn_cli_handled(
            rn_cli_parse_int(t->cli.cmd, "--replication-factor", arg, 1, 32767, &a->replication));
    case OPT_CONFIG:
        if (check_kv(t, "--config", arg) < 0) return -1;
        return rn_cli_strv_push(&a->configs, arg) < 0 ? -1 : 1;
    case OPT_IF_NOT_EXISTS:
        a->if_not_exists = 1;
        return 1;
    default:
        return 0;
    }
}

/* The partition count of a topic that was just created, or -1 if the metadata does not
 * show it yet. */
static int created_partitions(topics_ctx *t, const char *name)
{
    const struct rd_kafka_metadata *md;
    const rd_kafka_metadata_topic_t *tmd;
    rn_err err;
    if (rn_cli_topic_metadata(&t->cli, t->rk, name, t->timeout_ms, &md, &tmd, &err) < 0) return -1;
    int n = tmd->partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

static int topics_create(int argc, char **argv)
{
    static const struct option opts[] = {
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"replication-factor", required_argument, NULL, OPT_REPLICATION},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS},
    };
    topics_ctx t;
    create_args a = {.partitions = -1, .replication = -1};
    rn_cli_strv pos = {0};
    rd_kafka_NewTopic_t *nt = NULL;
    rd_kafka_AdminOptions_t *o = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    char errstr[512];
    rn_err err;

    rn_cli_admin_init(&t, "runnel topics create");
    int rc = rn_cli_admin_parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &create_help,
                                     create_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_one_name(&t, &pos)) >= 0) goto out;
    const char *name = pos.v[0];

    nt = rd_kafka_NewTopic_new(name, a.partitions, a.replication, errstr, sizeof errstr);
    if (!nt) {
        rc = rn_cli_usage_error(t.cli.cmd, "%s", errstr);
        goto out;
    }
    for (size_t i = 0; i < a.configs.n; i++) {
        char *key;
        const char *value;
        if (rn_cli_split_kv(a.configs.v[i], &key, &value) < 0) {
            rc = rn_cli_fail(&t.cli, "out of memory");
            goto out;
        }
        rd_kafka_resp_err_t kerr = rd_kafka_NewTopic_set_config(nt, key, value);
        free(key);
        if (kerr) {
            rc = rn_cli_usage_error(t.cli.cmd, "--config %s: %s", a.configs.v[i],
                                    rd_kafka_err2str(kerr));
            goto out;
        }
    }
    if ((rc = rn_cli_admin_open(&t)) != RN_CLI_EXIT_OK) goto out;

    o = rn_cli_admin_options(&t, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    q = rd_kafka_queue_new(t.rk);
    rd_kafka_CreateTopics(t.rk, &nt, 1, o, q);
    ev = rn_cli_admin_wait(&t, q, &err);
    if (!ev) {
        rc = rn_cli_fail(&t.cli, "cannot create topic '%s': %s", name, err.msg);
        if (a.partitions < 0 && strstr(err.msg, "KIP-464"))
            fprintf(stderr, "%s: this broker needs --partitions and --replication-factor\n",
                    t.cli.cmd);
        goto out;
    }
    size_t n;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    rd_kafka_resp_err_t kerr = n ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
    if (kerr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && a.if_not_exists) {
        printf("topic %s already exists\n", name);
        rc = RN_CLI_EXIT_OK;
        goto out;
    }
    if (kerr) {
        const char *msg = n ? rd_kafka_topic_result_error_string(res[0]) : NULL;
        rc = rn_cli_fail(&t.cli, "cannot create topic '%s': %s (%s)", name,
                         msg && *msg ? msg : rd_kafka_err2str(kerr), rd_kafka_err2name(kerr));
        goto out;
    }
    int parts = a.partitions > 0 ? a.partitions : created_partitions(&t, name);
    if (parts > 0)
        printf("created topic %s (%d %s)\n", name, parts,
               rn_cli_plural(parts, "partition", "partitions"));
    else
        printf("created topic %s (the broker's default partition count)\n", name);
    rc = RN_CLI_EXIT_OK;
out:
    if (ev) rd_kafka_event_destroy(ev);
    if (q) rd_kafka_queue_destroy(q);
    if (o) rd_kafka_AdminOptions_destroy(o);
    if (nt) rd_kafka_NewTopic_destroy(nt);
    rn_cli_strv_fini(&a.configs);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ list */

typedef struct flag_args {
    int json;
    int all;
    int if_exists;
} flag_args;

static int flag_opt(topics_ctx *t, void *state, int opt, const char *arg)
{
    flag_args *a = state;
    (void)t;
    (void)arg;
    switch (opt) {
    case OPT_JSON:
        a->json = 1;
        return 1;
    case OPT_ALL:
        a->all = 1;
        return 1;
    case OPT_IF_EXISTS:
        a->if_exists = 1;
        return 1;
    default:
        return 0;
    }
}

static int cmp_topic(const void *a, const void *b)
{
    const rd_kafka_metadata_topic_t *x = *(const rd_kafka_metadata_topic_t *const *)a;
    const rd_kafka_metadata_topic_t *y = *(const rd_kafka_metadata_topic_t *const *)b;
    return strcmp(x->topic, y->topic);
}

static int topics_list(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON}};
    topics_ctx t;
    flag_args a = {0};
    rn_cli_strv pos = {0};
    const struct rd_kafka_metadata *md = NULL;
    const rd_kafka_metadata_topic_t **sorted = NULL;
    rn_err err;

    rn_cli_admin_init(&t, "runnel topics list");
    int rc = rn_cli_admin_parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &list_help,
                                     flag_opt, &a, &pos);
    if (rc >= 0) goto out;
    if (pos.n) {
        rc = rn_cli_usage_error(t.cli.cmd, "unexpected argument '%s'", pos.v[0]);
        goto out;
    }
    if ((rc = rn_cli_admin_open(&t)) != RN_CLI_EXIT_OK) goto out;

    rd_kafka_resp_err_t kerr = rd_kafka_metadata(t.rk, 1, NULL, &md, t.timeout_ms);
    if (kerr) {
        rn_cli_kafka_error(&t.cli, t.rk, &err, "metadata", kerr, NULL);
        md = NULL;
        rc = rn_cli_fail(&t.cli, "%s", err.msg);
        goto out;
    }
    sorted = calloc((size_t)md->topic_cnt + 1, sizeof *sorted);
    if (!sorted) {
        rc = rn_cli_fail(&t.cli, "out of memory");
        goto out;
    }
    int n = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!md->topics[i].err) sorted[n++] = &md->topics[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_topic);

    if (a.json) {
        json_t *arr = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:i}", "name", sorted[i]->topic,
                                                 "partitions", sorted[i]->partition_cnt));
        rc = rn_cli_admin_print_json(&t, arr);
    } else {
        for (int i = 0; i < n; i++)
            puts(sorted[i]->topic);
        rc = RN_CLI_EXIT_OK;
    }
out:
    free(sorted);
    if (md) rd_kafka_metadata_destroy(md);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ configs */

/* Runs DescribeConfigs for one topic. On success returns the result event (owned by the
 * caller) and sets *resp to the topic's resource inside it; else NULL and err. */
static rd_kafka_event_t *describe_configs(topics_ctx *t, const char *topic,
                                          const rd_kafka_ConfigResource_t **resp, rn_err *err)
{
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_AdminOptions_t *o = rn_cli_admin_options(t, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(t->rk);

    rd_kafka_DescribeConfigs(t->rk, &res, 1, o, q);
    rd_kafka_event_t *ev = rn_cli_admin_wait(t, q, err);
    if (ev) {
        size_t n;
        const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &n);
        rd_kafka_resp_err_t kerr =
            n ? rd_kafka_ConfigResource_error(rs[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (kerr) {
            const char *msg = n ? rd_kafka_ConfigResource_error_string(rs[0]) : NULL;
            rn_err_set(err, RN_EIO, "%s", msg && *msg ? msg : rd_kafka_err2str(kerr));
            rd_kafka_event_destroy(ev);
            ev = NULL;
        } else {
            *resp = rs[0];
        }
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    return ev;
}

static const char *source_name(rd_kafka_ConfigSource_t s)
{
    switch (s) {
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG:
        return "topic";
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG:
        return "broker";
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG:
        return "cluster-default";
    case RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG:
        return "broker-static";
    case RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG:
        return "default";
    default:
        return "unknown";
    }
}

/* Is entry a topic-level override (what AlterConfigs replaces)? DescribeConfigs v0 has no
 * source, only is_default. */
static int is_topic_override(const rd_kafka_ConfigEntry_t *e)
{
    rd_kafka_ConfigSource_t s = rd_kafka_ConfigEntry_source(e);
    if (s == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) return 1;
    return s == RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG && rd_kafka_ConfigEntry_is_default(e) == 0;
}

static int cmp_config(const void *a, const void *b)
{
    const rd_kafka_ConfigEntry_t *x = *(const rd_kafka_ConfigEntry_t *const *)a;
    const rd_kafka_ConfigEntry_t *y = *(const rd_kafka_ConfigEntry_t *const *)b;
    return strcmp(rd_kafka_ConfigEntry_name(x), rd_kafka_ConfigEntry_name(y));
}

/* ------------------------------------------------------------------ describe */

typedef struct part_info {
    const rd_kafka_metadata_partition_t *p;
    int64_t low, high; /* -1 if the watermarks could not be read */
} part_info;

static int cmp_part(const void *a, const void *b)
{
    const part_info *x = a, *y = b;
    return (x->p->id > y->p->id) - (x->p->id < y->p->id);
}

static void format_ids(char *out, size_t outlen, const int32_t *ids, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < outlen; i++) {
        int w = snprintf(out + len, outlen - len, "%s%d", i ? "," : "", (int)ids[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
}

static json_t *json_ids(const int32_t *ids, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_integer(ids[i]));
    return arr;
}

static int topics_describe(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
                                         {"all", no_argument, NULL, OPT_ALL}};
    topics_ctx t;
    flag_args a = {0};
    rn_cli_strv pos = {0};
    const struct rd_kafka_metadata *md = NULL;
    const rd_kafka_metadata_topic_t *tmd;
    part_info *parts = NULL;
    const rd_kafka_ConfigEntry_t **shown = NULL;
    rd_kafka_event_t *cev = NULL;
    rn_err err;

    rn_cli_admin_init(&t, "runnel topics describe");
    int rc = rn_cli_admin_parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &describe_help,
                                     flag_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_one_name(&t, &pos)) >= 0) goto out;
    const char *name = pos.v[0];
    if ((rc = rn_cli_admin_open(&t)) != RN_CLI_EXIT_OK) goto out;
    if (rn_cli_topic_metadata(&t.cli, t.rk, name, t.timeout_ms, &md, &tmd, &err) < 0) {
        md = NULL;
        rc = rn_cli_fail(&t.cli, "cannot describe topic '%s': %s", name, err.msg);
        goto out;
    }

    /* Partitions and watermarks. */
    int np = tmd->partition_cnt;
    parts = calloc((size_t)np + 1, sizeof *parts);
    if (!parts) {
        rc = rn_cli_fail(&t.cli, "out of memory");
        goto out;
    }
    int64_t total = 0;
    int watermarks_ok = 1;
    for (int i = 0; i < np; i++) {
        parts[i].p = &tmd->partitions[i];
        rd_kafka_resp_err_t kerr = rd_kafka_query_watermark_offsets(
            t.rk, name, parts[i].p->id, &parts[i].low, &parts[i].high, t.timeout_ms);
        if (kerr) {
            if (watermarks_ok)
                rn_cli_warn(&t.cli, "cannot read offsets of partition %d: %s", (int)parts[i].p->id,
                            rd_kafka_err2str(kerr));
            watermarks_ok = 0;
            parts[i].low = parts[i].high = -1;
        } else {
            total += parts[i].high - parts[i].low;
        }
    }
    qsort(parts, (size_t)np, sizeof *parts, cmp_part);

    /* Configs: non-default ones unless --all, sorted by name. */
    const rd_kafka_ConfigResource_t *res = NULL;
    size_t nconf = 0, nshown = 0;
    cev = describe_configs(&t, name, &res, &err);
    if (!cev) {
        rn_cli_warn(&t.cli, "configs of topic '%s' not shown: %s", name, err.msg);
    } else {
        const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(res, &nconf);
        shown = calloc(nconf + 1, sizeof *shown);
        if (!shown) {
            rc = rn_cli_fail(&t.cli, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < nconf; i++)
            if (a.all || rd_kafka_ConfigEntry_is_default(entries[i]) != 1)
                shown[nshown++] = entries[i];
        qsort(shown, nshown, sizeof *shown, cmp_config);
    }

    if (a.json) {
        json_t *jparts = json_array();
        for (int i = 0; i < np; i++) {
            const rd_kafka_metadata_partition_t *p = parts[i].p;
            json_t *jp =
                json_pack("{s:i, s:i, s:o, s:o}", "partition", (int)p->id, "leader", (int)p->leader,
                          "replicas", json_ids(p->replicas, p->replica_cnt), "isr",
                          json_ids(p->isrs, p->isr_cnt));
            if (parts[i].low >= 0) {
                json_object_set_new(jp, "low", json_integer(parts[i].low));
                json_object_set_new(jp, "high", json_integer(parts[i].high));
                json_object_set_new(jp, "messages", json_integer(parts[i].high - parts[i].low));
            } else {
                json_object_set_new(jp, "low", json_null());
                json_object_set_new(jp, "high", json_null());
                json_object_set_new(jp, "messages", json_null());
            }
            json_array_append_new(jparts, jp);
        }
        json_t *jconf = json_null();
        if (cev) {
            jconf = json_array();
            for (size_t i = 0; i < nshown; i++) {
                const rd_kafka_ConfigEntry_t *e = shown[i];
                const char *v = rd_kafka_ConfigEntry_value(e);
                json_array_append_new(
                    jconf, json_pack("{s:s, s:o, s:s, s:b, s:b, s:b}", "name",
                                     rd_kafka_ConfigEntry_name(e), "value",
                                     v ? json_string(v) : json_null(), "source",
                                     source_name(rd_kafka_ConfigEntry_source(e)), "default",
                                     rd_kafka_ConfigEntry_is_default(e) == 1, "read_only",
                                     rd_kafka_ConfigEntry_is_read_only(e) == 1, "sensitive",
                                     rd_kafka_ConfigEntry_is_sensitive(e) == 1));
            }
        }
        json_t *root = json_pack("{s:s, s:i, s:o, s:o, s:o}", "name", name, "partition_count", np,
                                 "messages", watermarks_ok ? json_integer(total) : json_null(),
                                 "partitions", jparts, "configs", jconf);
        rc = rn_cli_admin_print_json(&t, root);
        goto out;
    }

    printf("topic       %s\n", name);
    printf("partitions  %d\n", np);
    if (watermarks_ok)
        printf("messages    %lld\n", (long long)total);
    else
        printf("messages    unknown\n");
    printf("\n%-10s %-7s %-12s %-12s %14s %14s %14s\n", "PARTITION", "LEADER", "REPLICAS", "ISR",
           "LOW", "HIGH", "MESSAGES");
    for (int i = 0; i < np; i++) {
        const rd_kafka_metadata_partition_t *p = parts[i].p;
        char reps[128], isr[128];
        format_ids(reps, sizeof reps, p->replicas, p->replica_cnt);
        format_ids(isr, sizeof isr, p->isrs, p->isr_cnt);
        if (parts[i].low >= 0)
            printf("%-10d %-7d %-12s %-12s %14lld %14lld %14lld\n", (int)p->id, (int)p->leader,
                   reps, isr, (long long)parts[i].low, (long long)parts[i].high,
                   (long long)(parts[i].high - parts[i].low));
        else
            printf("%-10d %-7d %-12s %-12s %14s %14s %14s\n", (int)p->id, (int)p->leader, reps, isr,
                   "-", "-", "-");
    }
    if (cev) {
        if (!nshown) {
            printf("\nno configs differ from the defaults (--all shows them all)\n");
        } else {
            int w = 6;
            for (size_t i = 0; i < nshown; i++) {
                int len = (int)strlen(rd_kafka_ConfigEntry_name(shown[i]));
                w = len > w ? len : w;
            }
            printf("\n%-*s  %-16s %s\n", w, "CONFIG", "SOURCE", "VALUE");
            for (size_t i = 0; i < nshown; i++) {
                const rd_kafka_ConfigEntry_t *e = shown[i];
                const char *v = rd_kafka_ConfigEntry_value(e);
                if (rd_kafka_ConfigEntry_is_sensitive(e) == 1) v = "(sensitive)";
                printf("%-*s  %-16s %s\n", w, rd_kafka_ConfigEntry_name(e),
                       source_name(rd_kafka_ConfigEntry_source(e)), v ? v : "-");
            }
        }
    }
    rc = RN_CLI_EXIT_OK;
out:
    free(shown);
    if (cev) rd_kafka_event_destroy(cev);
    free(parts);
    if (md) rd_kafka_metadata_destroy(md);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ delete */

static int topics_delete(int argc, char **argv)
{
    static const struct option opts[] = {{"if-exists", no_argument, NULL, OPT_IF_EXISTS}};
    topics_ctx t;
    flag_args a = {0};
    rn_cli_strv pos = {0};
    rd_kafka_DeleteTopic_t **dts = NULL;
    rd_kafka_AdminOptions_t *o = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    rn_err err;

    rn_cli_admin_init(&t, "runnel topics delete");
    int rc = rn_cli_admin_parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &delete_help,
                                     flag_opt, &a, &pos);
    if (rc >= 0) goto out;
    if (!pos.n) {
        rc = rn_cli_usage_error(t.cli.cmd, "missing topic NAME");
        goto out;
    }
    for (size_t i = 0; i < pos.n; i++) {
        if (!*pos.v[i]) {
            rc = rn_cli_usage_error(t.cli.cmd, "empty topic name");
            goto out;
        }
    }
    if ((rc = rn_cli_admin_open(&t)) != RN_CLI_EXIT_OK) goto out;

    dts = calloc(pos.n, sizeof *dts);
    if (!dts) {
        rc = rn_cli_fail(&t.cli, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < pos.n; i++)
        dts[i] = rd_kafka_DeleteTopic_new(pos.v[i]);
    o = rn_cli_admin_options(&t, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    q = rd_kafka_queue_new(t.rk);
    rd_kafka_DeleteTopics(t.rk, dts, pos.n, o, q);
    ev = rn_cli_admin_wait(&t, q, &err);
    if (!ev) {
        rc = rn_cli_fail(&t.cli, "cannot delete topics: %s", err.msg);
        goto out;
    }
    size_t n;
    const rd_kafka_topic_result_t **res =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    rc = RN_CLI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        const char *name = rd_kafka_topic_result_name(res[i]);
        rd_kafka_resp_err_t kerr = rd_kafka_topic_result_error(res[i]);
        if (!kerr) {
            printf("deleted topic %s\n", name);
        } else if (kerr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && a.if_exists) {
            printf("topic %s does not exist\n", name);
        } else {
            const char *msg = rd_kafka_topic_result_error_string(res[i]);
            rc = rn_cli_fail(&t.cli, "cannot delete topic '%s': %s (%s)", name,
                             msg && *msg ? msg : rd_kafka_err2str(kerr), rd_kafka_err2name(kerr));
        }
    }
out:
    if (ev) rd_kafka_event_destroy(ev);
    if (q) rd_kafka_queue_destroy(q);
    if (o) rd_kafka_AdminOptions_destroy(o);
    if (dts) rd_kafka_DeleteTopic_destroy_array(dts, pos.n);
    free(dts);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ alter */

typedef struct alter_args {
    rn_cli_strv set; /* "k=v" */
    rn_cli_strv del; /* "k" */
    int partitions;
} alter_args;

static int alter_opt(topics_ctx *t, void *state, int opt, const char *arg)
{
    alter_args *a = state;
    switch (opt) {
    case OPT_CONFIG:
        if (check_kv(t, "--config", arg) < 0) return -1;
        return rn_cli_strv_push(&a->set, arg) < 0 ? -1 : 1;
    case OPT_DELETE_CONFIG:
        if (!*arg || strchr(arg, '=')) {
            rn_cli_usage_error(t->cli.cmd, "--delete-config needs a config name, got '%s'", arg);
            return -1;
        }
        return rn_cli_strv_push(&a->del, arg) < 0 ? -1 : 1;
    case OPT_PARTITIONS:
        return rn_cli_handled(
            rn_cli_parse_int(t->cli.cmd, "--partitions", arg, 1, 1000000, &a->partitions));
    default:
        return 0;
    }
}

/* Does "k=v" (or "k") name key? */
static int names_key(const char *arg, const char *key)
{
    size_t n = strcspn(arg, "=");
    return strlen(key) == n && !strncmp(arg, key, n);
}

/* Read-modify-write of the topic's config overrides. Returns an exit code. */
static int alter_configs(topics_ctx *t, const char *name, const alter_args *a)
{
    rd_kafka_ConfigResource_t *res = NULL;
    rd_kafka_AdminOptions_t *o = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    const rd_kafka_ConfigResource_t *cur;
    rn_err err;
    int rc;

    rd_kafka_event_t *dev = describe_configs(t, name, &cur, &err);
    if (!dev) return rn_cli_fail(&t->cli, "cannot alter topic '%s': %s", name, err.msg);

    /* Start from the current overrides, minus what is set or deleted now. */
    res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
    size_t n;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(cur, &n);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_ConfigEntry_t *e = entries[i];
        const char *key = rd_kafka_ConfigEntry_name(e);
        if (!is_topic_override(e) || rd_kafka_ConfigEntry_is_read_only(e) == 1) continue;
        int replaced = 0;
        for (size_t j = 0; j < a->set.n && !replaced; j++)
            replaced = names_key(a->set.v[j], key);
        for (size_t j = 0; j < a->del.n && !replaced; j++)
            replaced = names_key(a->del.v[j], key);
        if (replaced) continue;
        const char *v = rd_kafka_ConfigEntry_value(e);
        if (!v) {
            /* A sensitive value is never returned, so it could not be written back. */
            rc = rn_cli_fail(&t->cli,
                             "cannot alter topic '%s': its config %s is hidden (sensitive) "
                             "and would be lost",
                             name, key);
            goto out;
        }
        rd_kafka_ConfigResource_set_config(res, key, v);
    }
    for (size_t j = 0; j < a->set.n; j++) {
        char *key;
        const char *v;
        if (rn_cli_split_kv(a->set.v[j], &key, &v) < 0) {
            rc = rn_cli_fail(&t->cli, "out of memory");
            goto out;
        }
        rd_kafka_ConfigResource_set_config(res, key, v);
        free(key);
    }

    o = rn_cli_admin_options(t, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    q = rd_kafka_queue_new(t->rk);
    rd_kafka_AlterConfigs(t->rk, &res, 1, o, q);
    ev = rn_cli_admin_wait(t, q, &err);
    if (!ev) {
        rc = rn_cli_fail(&t->cli, "cannot alter topic '%s': %s", name, err.msg);
        goto out;
    }
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
    rd_kafka_resp_err_t kerr = n ? rd_kafka_ConfigResource_error(rs[0]) : RD_KAFKA_RESP_ERR__FAIL;
    if (kerr) {
        const char *msg = n ? rd_kafka_ConfigResource_error_string(rs[0]) : NULL;
        rc = rn_cli_fail(&t->cli, "cannot alter configs of topic '%s': %s (%s)", name,
                         msg && *msg ? msg : rd_kafka_err2str(kerr), rd_kafka_err2name(kerr));
        goto out;
    }
    for (size_t j = 0; j < a->set.n; j++)
        printf("topic %s: set %s\n", name, a->set.v[j]);
    for (size_t j = 0; j < a->del.n; j++)
        printf("topic %s: deleted %s\n", name, a->del.v[j]);
    rc = RN_CLI_EXIT_OK;
out:
    if (ev) rd_kafka_event_destroy(ev);
    if (q) rd_kafka_queue_destroy(q);
    if (o) rd_kafka_AdminOptions_destroy(o);
    if (res) rd_kafka_ConfigResource_destroy(res);
    rd_kafka_event_destroy(dev);
    return rc;
}

static int alter_partitions(topics_ctx *t, const char *name, int count)
{
    char errstr[512];
    rn_err err;
    int rc;

    rd_kafka_NewPartitions_t *np =
        rd_kafka_NewPartitions_new(name, (size_t)count, errstr, sizeof errstr);
    if (!np) return rn_cli_fail(&t->cli, "cannot add partitions to topic '%s': %s", name, errstr);
    rd_kafka_AdminOptions_t *o = rn_cli_admin_options(t, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(t->rk);
    rd_kafka_CreatePartitions(t->rk, &np, 1, o, q);
    rd_kafka_event_t *ev = rn_cli_admin_wait(t, q, &err);
    if (!ev) {
        rc = rn_cli_fail(&t->cli, "cannot add partitions to topic '%s': %s", name, err.msg);
    } else {
        size_t n;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
        rd_kafka_resp_err_t kerr =
            n ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (kerr) {
            const char *msg = n ? rd_kafka_topic_result_error_string(res[0]) : NULL;
            rc = rn_cli_fail(&t->cli, "cannot add partitions to topic '%s': %s (%s)", name,
                             msg && *msg ? msg : rd_kafka_err2str(kerr), rd_kafka_err2name(kerr));
        } else {
            printf("topic %s: now has %d %s\n", name, count,
                   rn_cli_plural(count, "partition", "partitions"));
            rc = RN_CLI_EXIT_OK;
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewPartitions_destroy(np);
    return rc;
}

static int topics_alter(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"delete-config", required_argument, NULL, OPT_DELETE_CONFIG},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
    };
    topics_ctx t;
    alter_args a = {.partitions = -1};
    rn_cli_strv pos = {0};

    rn_cli_admin_init(&t, "runnel topics alter");
    int rc = rn_cli_admin_parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &alter_help,
                                     alter_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_one_name(&t, &pos)) >= 0) goto out;
    if (!a.set.n && !a.del.n && a.partitions < 0) {
        rc = rn_cli_usage_error(t.cli.cmd, "nothing to change: give --config, --delete-config or "
                                           "--partitions");
        goto out;
    }
    for (size_t i = 0; i < a.del.n; i++) {
        for (size_t j = 0; j < a.set.n; j++) {
            if (names_key(a.set.v[j], a.del.v[i])) {
                rc = rn_cli_usage_error(t.cli.cmd, "--delete-config %s conflicts with --config %s",
                                        a.del.v[i], a.set.v[j]);
                goto out;
            }
        }
    }
    const char *name = pos.v[0];
    if ((rc = rn_cli_admin_open(&t)) != RN_CLI_EXIT_OK) goto out;
    if (a.set.n || a.del.n) {
        rc = alter_configs(&t, name, &a);
        if (rc != RN_CLI_EXIT_OK) goto out;
    }
    if (a.partitions > 0) rc = alter_partitions(&t, name, a.partitions);
out:
    rn_cli_strv_fini(&a.set);
    rn_cli_strv_fini(&a.del);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ dispatch */

int rn_cli_topics_main(int argc, char **argv)
{
    if (argc < 2) {
        topics_usage(stderr);
        return RN_CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        topics_usage(stdout);
        return RN_CLI_EXIT_OK;
    }
    /* Each subcommand sees argv[0] = its own name. */
    if (!strcmp(sub, "create")) return topics_create(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return topics_list(argc - 1, argv + 1);
    if (!strcmp(sub, "describe")) return topics_describe(argc - 1, argv + 1);
    if (!strcmp(sub, "delete")) return topics_delete(argc - 1, argv + 1);
    if (!strcmp(sub, "alter")) return topics_alter(argc - 1, argv + 1);
    return rn_cli_usage_error("runnel topics", "unknown subcommand '%s'", sub);
}
