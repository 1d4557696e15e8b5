/*
 * cli/cmd_groups.c - `runnel groups list|describe|reset-offsets|delete`: consumer group
 * administration through librdkafka's Admin API (ListConsumerGroups,
 * DescribeConsumerGroups, ListConsumerGroupOffsets, AlterConsumerGroupOffsets,
 * DeleteGroups) plus ListOffsets for log ends, so it works against Runnel or any Kafka
 * cluster.
 *
 * librdkafka 2.0.2 quirks handled here:
 * - ListConsumerGroupOffsets with a NULL partition list ("all committed partitions")
 *   sends an empty topic array rather than a null one, which a broker answers with
 *   nothing. So describe asks for every partition of every topic in the cluster (one
 *   Metadata and one OffsetFetch request) and keeps those with an offset.
 * - ListConsumerGroups reports state "Unknown" for brokers that only speak ListGroups
 *   v0-3 (no states); those groups' states come from DescribeConsumerGroups.
 *
 * Every subcommand waits at most --timeout-ms (default 10 s) per request, prints its
 * result on stdout and its errors on stderr, and exits 0 (ok), 1 (failed) or 2 (usage).
 * Layer: calls cli/client.h, librdkafka and jansson (for --json).
 */
#include "cli/cli.h"
#include "cli/client.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Long-only flags. */
enum {
    OPT_TIMEOUT = RN_CLI_OPT_TIMEOUT,
    OPT_JSON,
    OPT_IF_EXISTS,
    OPT_TOPIC,
    OPT_PARTITION,
    OPT_TO_EARLIEST,
    OPT_TO_LATEST,
    OPT_TO_OFFSET,
    OPT_TO_DATETIME,
    OPT_DRY_RUN,
};

/* One subcommand's state: the client flags plus its handle. */
typedef rn_cli_admin groups_ctx; /* cli.cmd is "runnel groups ..." */

static void groups_usage(FILE *f)
{
    fputs("usage: runnel groups SUBCOMMAND [ARGS]\n"
          "\n"
          "Inspects and manages consumer groups on Runnel or any Kafka cluster.\n"
          "\n"
          "subcommands:\n"
          "  list                  list consumer groups with their state\n"
          "  describe GROUP        show a group's members, assignments, committed offsets\n"
          "                        and lag\n"
          "  reset-offsets GROUP   move a stopped group's committed offsets on a topic\n"
          "  delete GROUP...       delete groups and their committed offsets\n"
          "\n"
          "Run 'runnel groups SUBCOMMAND --help' for its options.\n",
          f);
}

static const rn_cli_help list_help = {
    "usage: runnel groups list [OPTIONS]\n"
    "\n"
    "Prints the cluster's consumer groups, sorted, one per line: group id, state\n"
    "(Stable, PreparingRebalance, CompletingRebalance, Empty, Dead) and protocol type\n"
    "(consumer, or - for a group that only has committed offsets), under a header line.\n"
    "\n"
    "options:\n"
    "      --json                     print a JSON array of {\"group\", \"state\",\n"
    "                                 \"protocol_type\"}\n",
    NULL};

static const rn_cli_help describe_help = {
    "usage: runnel groups describe GROUP [OPTIONS]\n"
    "\n"
    "Shows GROUP's state, protocol, coordinator and members (member id, client id, host\n"
    "and assigned partitions), then, for every partition of each topic the group has\n"
    "committed offsets on or is assigned: the committed offset, the log end offset and\n"
    "the lag (log end - committed; where nothing is committed the committed offset shows\n"
    "as - and the lag counts every record stored, log end - log start), and the total\n"
    "lag.\n"
    "\n"
    "options:\n"
    "      --json                     print one JSON object\n",
    "Exit status 1 if the group does not exist (no members, no committed offsets).\n"};

static const rn_cli_help reset_help = {
    "usage: runnel groups reset-offsets GROUP --topic TOPIC [--partition N]\n"
    "           (--to-earliest | --to-latest | --to-offset N | --to-datetime TIME)\n"
    "           [--dry-run] [OPTIONS]\n"
    "\n"
    "Sets GROUP's committed offsets on TOPIC (every partition, or just --partition N),\n"
    "so that its next consumer starts there. Only while the group has no members (state\n"
    "Empty, or Dead for a group that does not exist yet): stop its consumers first.\n"
    "Prints each partition's current committed offset and the new one, then commits the\n"
    "new ones (Admin API AlterConsumerGroupOffsets).\n"
    "\n"
    "options:\n"
    "      --topic TOPIC              the topic whose offsets to reset (required)\n"
    "      --partition N              only partition N\n"
    "      --to-earliest              the oldest record still stored\n"
    "      --to-latest                the end: skip everything stored so far\n"
    "      --to-offset N              offset N (clamped to what each partition holds)\n"
    "      --to-datetime TIME         the first record at or after TIME: ISO 8601\n"
    "                                 (2026-11-27T10:00:00Z; .123 fractions and +02:00\n"
    "                                 offsets allowed, none means UTC) or epoch ms; the\n"
    "                                 end where no record is that recent\n"
    "      --dry-run                  only print the table, commit nothing\n",
    "Exit status 1 if the group has members, the topic or partition does not exist, or a\n"
    "commit failed.\n"
    "\n"
    "examples:\n"
    "  runnel groups reset-offsets billing --topic orders --to-earliest --dry-run\n"
    "  runnel groups reset-offsets billing --topic orders --to-datetime 2026-11-27T10:00Z\n"};

static const rn_cli_help delete_help = {
    "usage: runnel groups delete GROUP... [OPTIONS]\n"
    "\n"
    "Deletes the named consumer groups and their committed offsets (Admin API\n"
    "DeleteGroups). A group with members cannot be deleted: stop its consumers first.\n"
    "\n"
    "options:\n"
    "      --if-exists                succeed for groups that do not exist\n",
    NULL};

/* Fills err from a per-group error. A timeout or transport error (the group's
 * coordinator could not be reached) gets the connection error that explains it, as for
 * whole requests. Returns RN_EIO. */
static int item_error(groups_ctx *g, const rd_kafka_error_t *e, rn_err *err)
{
    rd_kafka_resp_err_t kerr = rd_kafka_error_code(e);
    const char *msg = rd_kafka_error_string(e);
    if (kerr == RD_KAFKA_RESP_ERR__TIMED_OUT || kerr == RD_KAFKA_RESP_ERR__TRANSPORT)
        return rn_cli_kafka_error(&g->cli, g->rk, err, NULL, kerr, msg);
    return rn_err_set(err, RN_EIO, "%s (%s)", msg && *msg ? msg : rd_kafka_err2str(kerr),
                      rd_kafka_err2name(kerr));
}

/* A JSON integer, or null for a negative ("unknown") value. */
static json_t *json_offset(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

/* Formats an offset for a table: the number, or "-" if negative (unknown / none). */
static const char *fmt_offset(char *buf, size_t len, int64_t v)
{
    if (v < 0) return "-";
    snprintf(buf, len, "%lld", (long long)v);
    return buf;
}

/* Checks that exactly one positional (the group id) was given. Returns -1 if so, else
 * prints a usage error and returns its exit code. */
static int check_one_group(groups_ctx *g, const rn_cli_strv *pos)
{
    if (pos->n == 0) return rn_cli_usage_error(g->cli.cmd, "missing GROUP");
    if (pos->n > 1)
        return rn_cli_usage_error(g->cli.cmd, "expected one GROUP, got '%s' too", pos->v[1]);
    if (!*pos->v[0]) return rn_cli_usage_error(g->cli.cmd, "empty GROUP");
    return -1;
}

typedef struct flag_args {
    int json;
    int if_exists;
} flag_args;

static int flag_opt(groups_ctx *g, void *state, int opt, const char *arg)
{
    flag_args *a = state;
    (void)g;
    (void)arg;
    switch (opt) {
    case OPT_JSON:
        a->json = 1;
        return 1;
    case OPT_IF_EXISTS:
        a->if_exists = 1;
        return 1;
    default:
        return 0;
    }
}

static const char *state_name(rd_kafka_consumer_group_state_t s)
{
    return rd_kafka_consumer_group_state_name(s);
}

/* ------------------------------------------------------------------ cluster lookups */

/* Runs DescribeConsumerGroups for n groups. Returns the result event (owned by the
 * caller) and sets *descs / *ndescs to the descriptions inside it; else NULL and err.
 * Per-group errors are left for the caller. */
static rd_kafka_event_t *describe_groups(groups_ctx *g, const char **groups, size_t n,
                                         const rd_kafka_ConsumerGroupDescription_t ***descs,
                                         size_t *ndescs, rn_err *err)
{
    rd_kafka_AdminOptions_t *o = rn_cli_admin_options(g, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(g->rk);
    rd_kafka_DescribeConsumerGroups(g->rk, groups, n, o, q);
    rd_kafka_event_t *ev = rn_cli_admin_wait(g, q, err);
    if (ev)
        *descs = rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), ndescs);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    return ev;
}

/* Describes one group. Returns the event (owned by the caller) with *descp set, or NULL
 * with err filled: RN_ENOTFOUND if the broker says the group does not exist. */
static rd_kafka_event_t *describe_group(groups_ctx *g, const char *group,
                                        const rd_kafka_ConsumerGroupDescription_t **descp,
                                        rn_err *err)
{
    const rd_kafka_ConsumerGroupDescription_t **descs;
    size_t n;
    rd_kafka_event_t *ev = describe_groups(g, &group, 1, &descs, &n, err);
    if (!ev) return NULL;
    if (n < 1) {
        rd_kafka_event_destroy(ev);
        rn_err_set(err, RN_EIO, "the cluster returned no description");
        return NULL;
    }
    const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(descs[0]);
    if (e) {
        rd_kafka_resp_err_t kerr = rd_kafka_error_code(e);
        if (kerr == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
            rn_err_set(err, RN_ENOTFOUND, "group '%s' does not exist", group);
        else
            item_error(g, e, err);
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    *descp = descs[0];
    return ev;
}

/* Fetches GROUP's committed offsets for parts. On success *out (owned by the caller) holds
 * the partitions the broker answered for, with offset < 0 where nothing is committed.
 * Returns 0, or -1 with err filled. */
static int list_committed(groups_ctx *g, const char *group,
                          const rd_kafka_topic_partition_list_t *parts,
                          rd_kafka_topic_partition_list_t **out, rn_err *err)
{
    if (parts->cnt == 0) {
        *out = rd_kafka_topic_partition_list_new(1);
        return 0;
    }
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, parts);
    rd_kafka_AdminOptions_t *o =
        rn_cli_admin_options(g, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(g->rk);
    int rc = 0;

    rd_kafka_ListConsumerGroupOffsets(g->rk, &req, 1, o, q);
    rd_kafka_event_t *ev = rn_cli_admin_wait(g, q, err);
    if (!ev) {
        rc = -1;
    } else {
        size_t n;
        const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
        const rd_kafka_error_t *e = n ? rd_kafka_group_result_error(gr[0]) : NULL;
        const rd_kafka_topic_partition_list_t *res =
            n ? rd_kafka_group_result_partitions(gr[0]) : NULL;
        if (e) {
            item_error(g, e, err);
            rc = -1;
        } else {
            *out = res ? rd_kafka_topic_partition_list_copy(res)
                       : rd_kafka_topic_partition_list_new(1);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    return rc;
}

/* The committed offset of topic/partition in list, or -1 if none. */
static int64_t committed_of(const rd_kafka_topic_partition_list_t *list, const char *topic,
                            int32_t partition)
{
    if (!list) return -1;
    const rd_kafka_topic_partition_t *tp =
        rd_kafka_topic_partition_list_find(list, topic, partition);
    return tp && !tp->err && tp->offset >= 0 ? tp->offset : -1;
}

/* ------------------------------------------------------------------ list */

typedef struct group_row {
    const char *id;
    rd_kafka_consumer_group_state_t state;
    int simple; /* no protocol type: offsets only, never had members */
} group_row;

static int cmp_group_row(const void *a, const void *b)
{
    return strcmp(((const group_row *)a)->id, ((const group_row *)b)->id);
}

/* Fills in the state of the rows whose state ListGroups did not report (brokers that
 * speak ListGroups v0-3 only). A failure leaves them "Unknown" and is a warning. */
static void fill_states(groups_ctx *g, group_row *rows, size_t n)
{
    rn_cli_strv ids = {0};
    for (size_t i = 0; i < n; i++)
        if (rows[i].state == RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN &&
            rn_cli_strv_push(&ids, rows[i].id) < 0) {
            rn_cli_strv_fini(&ids);
            return;
        }
    if (!ids.n) return;

    const rd_kafka_ConsumerGroupDescription_t **descs;
    size_t nd;
    rn_err err;
    rd_kafka_event_t *ev = describe_groups(g, ids.v, ids.n, &descs, &nd, &err);
    if (!ev) {
        rn_cli_warn(&g->cli, "cannot read the groups' states: %s", err.msg);
    } else {
        for (size_t i = 0; i < nd; i++) {
            if (rd_kafka_ConsumerGroupDescription_error(descs[i])) continue;
            const char *id = rd_kafka_ConsumerGroupDescription_group_id(descs[i]);
            for (size_t j = 0; j < n; j++)
                if (!strcmp(rows[j].id, id))
                    rows[j].state = rd_kafka_ConsumerGroupDescription_state(descs[i]);
        }
        rd_kafka_event_destroy(ev);
    }
    rn_cli_strv_fini(&ids);
}

static int groups_list(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON}};
    groups_ctx g;
    flag_args a = {0};
    rn_cli_strv pos = {0};
    rd_kafka_AdminOptions_t *o = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    group_row *rows = NULL;
    rn_err err;

    rn_cli_admin_init(&g, "runnel groups list");
    int rc = rn_cli_admin_parse_args(&g, argc, argv, opts, RN_CLI_N_ELEMS(opts), &list_help,
                                     flag_opt, &a, &pos);
    if (rc >= 0) goto out;
    if (pos.n) {
        rc = rn_cli_usage_error(g.cli.cmd, "unexpected argument '%s'", pos.v[0]);
        goto out;
    }
    if ((rc = rn_cli_admin_open(&g)) != RN_CLI_EXIT_OK) goto out;

    o = rn_cli_admin_options(&g, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    q = rd_kafka_queue_new(g.rk);
    rd_kafka_ListConsumerGroups(g.rk, o, q);
    ev = rn_cli_admin_wait(&g, q, &err);
    if (!ev) {
        rc = rn_cli_fail(&g.cli, "cannot list groups: %s", err.msg);
        goto out;
    }
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t n, nerr;
    const rd_kafka_ConsumerGroupListing_t **valid =
        rd_kafka_ListConsumerGroups_result_valid(res, &n);
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    /* One error per broker that could not be asked: the list may be incomplete. */
    for (size_t i = 0; i < nerr; i++) {
        item_error(&g, errs[i], &err);
        if (!n) {
            rc = rn_cli_fail(&g.cli, "cannot list groups: %s", err.msg);
            goto out;
        }
        rn_cli_warn(&g.cli, "the list may be incomplete: %s", err.msg);
    }

    rows = calloc(n + 1, sizeof *rows);
    if (!rows) {
        rc = rn_cli_fail(&g.cli, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].id = rd_kafka_ConsumerGroupListing_group_id(valid[i]);
        rows[i].state = rd_kafka_ConsumerGroupListing_state(valid[i]);
        rows[i].simple = rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]);
    }
    qsort(rows, n, sizeof *rows, cmp_group_row);
    fill_states(&g, rows, n);

    if (a.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "group", rows[i].id, "state",
                                                 state_name(rows[i].state), "protocol_type",
                                                 rows[i].simple ? "" : "consumer"));
        rc = rn_cli_admin_print_json(&g, arr);
        goto out;
    }
    int w = 5;
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(rows[i].id);
        w = len > w ? len : w;
    }
    if (n) printf("%-*s  %-19s  %s\n", w, "GROUP", "STATE", "PROTOCOL-TYPE");
    for (size_t i = 0; i < n; i++)
        printf("%-*s  %-19s  %s\n", w, rows[i].id, state_name(rows[i].state),
               rows[i].simple ? "-" : "consumer");
    rc = RN_CLI_EXIT_OK;
out:
    free(rows);
    if (ev) rd_kafka_event_destroy(ev);
    if (q) rd_kafka_queue_destroy(q);
    if (o) rd_kafka_AdminOptions_destroy(o);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&g);
    return rc;
}

/* ------------------------------------------------------------------ describe */

/* One partition row of describe: offsets are -1 where unknown or absent. */
typedef struct part_row {
    const char *topic; /* borrowed: metadata, description or offsets list */
    int32_t partition;
    int64_t committed;  /* -1: nothing committed */
    int64_t low, high;  /* -1: watermarks unknown */
    const char *member; /* member id it is assigned to, or NULL */
} part_row;

typedef struct rowv {
    part_row *v; /* from malloc */
    size_t n, cap;
} rowv;

static int rowv_has(const rowv *r, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].partition == partition && !strcmp(r->v[i].topic, topic)) return 1;
    return 0;
}

static int rowv_push(rowv *r, const char *topic, int32_t partition)
{
    if (rowv_has(r, topic, partition)) return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        part_row *v = realloc(r->v, cap * sizeof *v);
        if (!v) return -1;
        r->v = v;
        r->cap = cap;
    }
    part_row *p = &r->v[r->n++];
    memset(p, 0, sizeof *p);
    p->topic = topic;
    p->partition = partition;
    p->committed = p->low = p->high = -1;
    return 0;
}

static int cmp_part_row(const void *a, const void *b)
{
    const part_row *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

/* The lag of a row: log end - committed, or log end - log start if nothing is committed;
 * -1 if the watermarks are unknown. */
static int64_t row_lag(const part_row *r)
{
    if (r->high < 0) return -1;
    int64_t lag = r->committed >= 0 ? r->high - r->committed : r->high - r->low;
    return lag < 0 ? 0 : lag;
}

/* The assigned partitions of a member (never NULL: empty if none). */
static const rd_kafka_topic_partition_list_t *member_parts(const rd_kafka_MemberDescription_t *m)
{
    static rd_kafka_topic_partition_list_t empty;
    const rd_kafka_MemberAssignment_t *as = rd_kafka_MemberDescription_assignment(m);
    const rd_kafka_topic_partition_list_t *l = as ? rd_kafka_MemberAssignment_partitions(as) : NULL;
    return l ? l : &empty;
}

/* Formats a member's assignment as "topic:0,1,2 other:0" (partitions grouped by topic in
 * assignment order). */
static void format_assignment(char *out, size_t outlen, const rd_kafka_topic_partition_list_t *l)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < l->cnt && len < outlen; i++) {
        const rd_kafka_topic_partition_t *tp = &l->elems[i];
        int same = i > 0 && !strcmp(l->elems[i - 1].topic, tp->topic);
        int w = same ? snprintf(out + len, outlen - len, ",%d", (int)tp->partition)
                     : snprintf(out + len, outlen - len, "%s%s:%d", len ? " " : "", tp->topic,
                                (int)tp->partition);
        if (w < 0) break;
        len += (size_t)w;
    }
    if (!l->cnt) snprintf(out, outlen, "-");
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static int groups_describe(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON}};
    groups_ctx g;
    flag_args a = {0};
    rn_cli_strv pos = {0};
    rn_cli_strv topics = {0};
    rowv rows = {0};
    rd_kafka_event_t *dev = NULL;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_partition_list_t *all = NULL, *committed = NULL;
    rn_err err;

    rn_cli_admin_init(&g, "runnel groups describe");
    int rc = rn_cli_admin_parse_args(&g, argc, argv, opts, RN_CLI_N_ELEMS(opts), &describe_help,
                                     flag_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_one_group(&g, &pos)) >= 0) goto out;
    const char *group = pos.v[0];
    if ((rc = rn_cli_admin_open(&g)) != RN_CLI_EXIT_OK) goto out;

    const rd_kafka_ConsumerGroupDescription_t *desc;
    dev = describe_group(&g, group, &desc, &err);
    if (!dev) {
        rc = err.code == RN_ENOTFOUND
                 ? rn_cli_fail(&g.cli, "%s", err.msg)
                 : rn_cli_fail(&g.cli, "cannot describe group '%s': %s", group, err.msg);
        goto out;
    }
    rd_kafka_consumer_group_state_t state = rd_kafka_ConsumerGroupDescription_state(desc);
    size_t nmembers = rd_kafka_ConsumerGroupDescription_member_count(desc);

    /* Committed offsets: every partition of every topic (see the top of the file). */
    rd_kafka_resp_err_t kerr = rd_kafka_metadata(g.rk, 1, NULL, &md, g.timeout_ms);
    if (kerr) {
        md = NULL;
        rn_cli_kafka_error(&g.cli, g.rk, &err, "metadata", kerr, NULL);
        rc = rn_cli_fail(&g.cli, "cannot describe group '%s': %s", group, err.msg);
        goto out;
    }
    all = rd_kafka_topic_partition_list_new(64);
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        if (t->err) continue;
        for (int j = 0; j < t->partition_cnt; j++)
            rd_kafka_topic_partition_list_add(all, t->topic, t->partitions[j].id);
    }
    if (list_committed(&g, group, all, &committed, &err) < 0) {
        committed = NULL;
        rc = rn_cli_fail(&g.cli, "cannot read the committed offsets of group '%s': %s", group,
                         err.msg);
        goto out;
    }

    /* The topics shown: those with a committed offset or an assigned partition. */
    int oom = 0;
    for (int i = 0; i < committed->cnt; i++)
        if (committed_of(committed, committed->elems[i].topic, committed->elems[i].partition) >=
                0 &&
            !rn_cli_strv_has(&topics, committed->elems[i].topic))
            oom |= rn_cli_strv_push(&topics, committed->elems[i].topic);
    for (size_t m = 0; m < nmembers; m++) {
        const rd_kafka_topic_partition_list_t *l =
            member_parts(rd_kafka_ConsumerGroupDescription_member(desc, m));
        for (int i = 0; i < l->cnt; i++)
            if (!rn_cli_strv_has(&topics, l->elems[i].topic))
                oom |= rn_cli_strv_push(&topics, l->elems[i].topic);
    }
    /* Rows: every partition of each such topic; for a topic the metadata does not know
     * (deleted), just the partitions committed or assigned. */
    for (size_t k = 0; k < topics.n; k++) {
        const rd_kafka_metadata_topic_t *t = NULL;
        for (int i = 0; i < md->topic_cnt && !t; i++)
            if (!md->topics[i].err && !strcmp(md->topics[i].topic, topics.v[k])) t = &md->topics[i];
        if (t) {
            for (int j = 0; j < t->partition_cnt; j++)
                oom |= rowv_push(&rows, t->topic, t->partitions[j].id);
            continue;
        }
        for (int i = 0; i < committed->cnt; i++)
            if (!strcmp(committed->elems[i].topic, topics.v[k]) &&
                committed_of(committed, topics.v[k], committed->elems[i].partition) >= 0)
                oom |= rowv_push(&rows, committed->elems[i].topic, committed->elems[i].partition);
        for (size_t m = 0; m < nmembers; m++) {
            const rd_kafka_topic_partition_list_t *l =
                member_parts(rd_kafka_ConsumerGroupDescription_member(desc, m));
            for (int i = 0; i < l->cnt; i++)
                if (!strcmp(l->elems[i].topic, topics.v[k]))
                    oom |= rowv_push(&rows, l->elems[i].topic, l->elems[i].partition);
        }
    }
    if (oom) {
        rc = rn_cli_fail(&g.cli, "out of memory");
        goto out;
    }
    if (state == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD && !nmembers && !rows.n) {
        rc = rn_cli_fail(&g.cli, "group '%s' does not exist", group);
        goto out;
    }

    /* Committed offset, member and watermarks of each row. */
    int64_t total = 0;
    int lag_known = 1;
    for (size_t i = 0; i < rows.n; i++) {
        part_row *r = &rows.v[i];
        r->committed = committed_of(committed, r->topic, r->partition);
        for (size_t m = 0; m < nmembers && !r->member; m++) {
            const rd_kafka_MemberDescription_t *mem =
                rd_kafka_ConsumerGroupDescription_member(desc, m);
            if (rd_kafka_topic_partition_list_find(member_parts(mem), r->topic, r->partition))
                r->member = rd_kafka_MemberDescription_consumer_id(mem);
        }
        kerr = rd_kafka_query_watermark_offsets(g.rk, r->topic, r->partition, &r->low, &r->high,
                                                g.timeout_ms);
        if (kerr) {
            if (lag_known)
                rn_cli_warn(&g.cli,
                            "cannot read the offsets of %s partition %d: %s; its lag is "
                            "not counted",
                            r->topic, (int)r->partition, rd_kafka_err2str(kerr));
            lag_known = 0;
            r->low = r->high = -1;
        } else {
            total += row_lag(r);
        }
    }
    qsort(rows.v, rows.n, sizeof *rows.v, cmp_part_row);

    const char *assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(desc);
    int simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(desc);
    const rd_kafka_Node_t *coord = rd_kafka_ConsumerGroupDescription_coordinator(desc);

    if (a.json) {
        json_t *jm = json_array();
        for (size_t m = 0; m < nmembers; m++) {
            const rd_kafka_MemberDescription_t *mem =
                rd_kafka_ConsumerGroupDescription_member(desc, m);
            const rd_kafka_topic_partition_list_t *l = member_parts(mem);
            const char *inst = rd_kafka_MemberDescription_group_instance_id(mem);
            json_t *ja = json_array();
            for (int i = 0; i < l->cnt; i++)
                json_array_append_new(ja, json_pack("{s:s, s:i}", "topic", l->elems[i].topic,
                                                    "partition", (int)l->elems[i].partition));
            json_array_append_new(
                jm, json_pack("{s:s, s:o, s:s, s:s, s:o}", "member_id",
                              rd_kafka_MemberDescription_consumer_id(mem), "group_instance_id",
                              inst ? json_string(inst) : json_null(), "client_id",
                              rd_kafka_MemberDescription_client_id(mem), "host",
                              rd_kafka_MemberDescription_host(mem), "assignment", ja));
        }
        json_t *jp = json_array();
        for (size_t i = 0; i < rows.n; i++) {
            const part_row *r = &rows.v[i];
            json_array_append_new(
                jp, json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "topic", r->topic, "partition",
                              (int)r->partition, "committed", json_offset(r->committed),
                              "log_start", json_offset(r->low), "log_end", json_offset(r->high),
                              "lag", json_offset(row_lag(r)), "member_id",
                              r->member ? json_string(r->member) : json_null()));
        }
        json_t *jc =
            coord ? json_pack("{s:i, s:s, s:i}", "id", rd_kafka_Node_id(coord), "host",
                              rd_kafka_Node_host(coord), "port", (int)rd_kafka_Node_port(coord))
                  : json_null();
        json_t *root = json_pack(
            "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "group", group, "state", state_name(state),
            "protocol_type", simple ? "" : "consumer", "protocol", assignor ? assignor : "",
            "coordinator", jc, "members", jm, "partitions", jp, "total_lag", (json_int_t)total);
        rc = rn_cli_admin_print_json(&g, root);
        goto out;
    }

    printf("group          %s\n", group);
    printf("state          %s\n", state_name(state));
    printf("protocol type  %s\n", simple ? "-" : "consumer");
    printf("protocol       %s\n", assignor && *assignor ? assignor : "-");
    if (coord)
        printf("coordinator    %d (%s:%u)\n", rd_kafka_Node_id(coord), rd_kafka_Node_host(coord),
               (unsigned)rd_kafka_Node_port(coord));
    printf("members        %zu\n", nmembers);

    if (nmembers) {
        int wm = 9, wc = 9, wh = 4;
        for (size_t m = 0; m < nmembers; m++) {
            const rd_kafka_MemberDescription_t *mem =
                rd_kafka_ConsumerGroupDescription_member(desc, m);
            wm = max_int(wm, (int)strlen(rd_kafka_MemberDescription_consumer_id(mem)));
            wc = max_int(wc, (int)strlen(rd_kafka_MemberDescription_client_id(mem)));
            wh = max_int(wh, (int)strlen(rd_kafka_MemberDescription_host(mem)));
        }
        printf("\n%-*s  %-*s  %-*s  %s\n", wm, "MEMBER-ID", wc, "CLIENT-ID", wh, "HOST",
               "ASSIGNMENT");
        for (size_t m = 0; m < nmembers; m++) {
            const rd_kafka_MemberDescription_t *mem =
                rd_kafka_ConsumerGroupDescription_member(desc, m);
            char as[1024];
            format_assignment(as, sizeof as, member_parts(mem));
            printf("%-*s  %-*s  %-*s  %s\n", wm, rd_kafka_MemberDescription_consumer_id(mem), wc,
                   rd_kafka_MemberDescription_client_id(mem), wh,
                   rd_kafka_MemberDescription_host(mem), as);
        }
    }

    if (!rows.n) {
        printf("\nno committed offsets and no assigned partitions\n");
    } else {
        int wt = 5;
        for (size_t i = 0; i < rows.n; i++)
            wt = max_int(wt, (int)strlen(rows.v[i].topic));
        printf("\n%-*s  %9s  %14s  %14s  %14s  %s\n", wt, "TOPIC", "PARTITION", "COMMITTED",
               "LOG-END", "LAG", "MEMBER-ID");
        for (size_t i = 0; i < rows.n; i++) {
            const part_row *r = &rows.v[i];
            char c[32], e[32], l[32];
            printf("%-*s  %9d  %14s  %14s  %14s  %s\n", wt, r->topic, (int)r->partition,
                   fmt_offset(c, sizeof c, r->committed), fmt_offset(e, sizeof e, r->high),
                   fmt_offset(l, sizeof l, row_lag(r)), r->member ? r->member : "-");
        }
    }
    printf("\ntotal lag      %lld%s\n", (long long)total,
           lag_known ? "" : " (partitions with unknown offsets not counted)");
    rc = RN_CLI_EXIT_OK;
out:
    free(rows.v);
    rn_cli_strv_fini(&topics);
    if (committed) rd_kafka_topic_partition_list_destroy(committed);
    if (all) rd_kafka_topic_partition_list_destroy(all);
    if (md) rd_kafka_metadata_destroy(md);
    if (dev) rd_kafka_event_destroy(dev);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&g);
    return rc;
}

/* ------------------------------------------------------------------ reset-offsets */

typedef enum { TO_NONE, TO_EARLIEST, TO_LATEST, TO_OFFSET, TO_DATETIME } reset_to;

typedef struct reset_args {
    const char *topic;
    int partition; /* -1: all */
    reset_to to;
    const char *to_flag; /* the --to-* flag given, for conflict messages */
    int64_t to_value;    /* TO_OFFSET: offset; TO_DATETIME: epoch ms */
    int dry_run;
} reset_args;

/* Records one --to-* flag; a second, different one is a usage error. Returns 1 or -1. */
static int set_to(groups_ctx *g, reset_args *a, reset_to to, const char *flag)
{
    if (a->to_flag && strcmp(a->to_flag, flag)) {
        rn_cli_usage_error(g->cli.cmd, "%s and %s cannot be used together", a->to_flag, flag);
        return -1;
    }
    a->to = to;
    a->to_flag = flag;
    return 1;
}

static int reset_opt(groups_ctx *g, void *state, int opt, const char *arg)
{
    reset_args *a = state;
    const char *cmd = g->cli.cmd;
    switch (opt) {
    case OPT_TOPIC:
        if (!*arg) {
            rn_cli_usage_error(cmd, "--topic needs a topic name");
            return -1;
        }
        if (a->topic && strcmp(a->topic, arg)) {
            rn_cli_usage_error(cmd, "only one --topic at a time, got '%s' and '%s'", a->topic, arg);
            return -1;
        }
        a->topic = arg;
        return 1;
    case OPT_PARTITION:
        return rn_cli_handled(
            rn_cli_parse_int(cmd, "--partition", arg, 0, INT32_MAX, &a->partition));
    case OPT_TO_EARLIEST:
        return set_to(g, a, TO_EARLIEST, "--to-earliest");
    case OPT_TO_LATEST:
        return set_to(g, a, TO_LATEST, "--to-latest");
    case OPT_TO_OFFSET:
        if (rn_cli_parse_i64(cmd, "--to-offset", arg, 0, INT64_MAX, &a->to_value) < 0) return -1;
        return set_to(g, a, TO_OFFSET, "--to-offset");
    case OPT_TO_DATETIME:
        if (rn_cli_parse_time(arg, &a->to_value) < 0) {
            rn_cli_usage_error(cmd,
                               "--to-datetime needs ISO 8601 (2026-11-27T10:00:00Z) or epoch "
                               "milliseconds, got '%s'",
                               arg);
            return -1;
        }
        return set_to(g, a, TO_DATETIME, "--to-datetime");
    case OPT_DRY_RUN:
        a->dry_run = 1;
        return 1;
    default:
        return 0;
    }
}

/* Refuses unless the group has no members. Returns RN_CLI_EXIT_OK or an exit code. */
static int check_inactive(groups_ctx *g, const char *group)
{
    const rd_kafka_ConsumerGroupDescription_t *desc;
    rn_err err;
    rd_kafka_event_t *ev = describe_group(g, group, &desc, &err);
    if (!ev && err.code == RN_ENOTFOUND) return RN_CLI_EXIT_OK; /* a new group */
    if (!ev) return rn_cli_fail(&g->cli, "cannot describe group '%s': %s", group, err.msg);
    rd_kafka_consumer_group_state_t state = rd_kafka_ConsumerGroupDescription_state(desc);
    size_t nmembers = rd_kafka_ConsumerGroupDescription_member_count(desc);
    int rc = RN_CLI_EXIT_OK;
    if (nmembers || (state != RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY &&
                     state != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD))
        rc = rn_cli_fail(&g->cli,
                         "group '%s' is %s with %zu %s: offsets can only be reset while it has "
                         "no members (stop its consumers first)",
                         group, state_name(state), nmembers,
                         rn_cli_plural((long)nmembers, "member", "members"));
    rd_kafka_event_destroy(ev);
    return rc;
}

/* Sets the new offset of every partition in parts (whose low/high watermarks are in
 * lows/highs, same order). Returns 0, or -1 with err filled. */
static int reset_targets(groups_ctx *g, const reset_args *a, rd_kafka_topic_partition_list_t *parts,
                         const int64_t *lows, const int64_t *highs, rn_err *err)
{
    if (a->to == TO_DATETIME) {
        for (int i = 0; i < parts->cnt; i++)
            parts->elems[i].offset = a->to_value;
        rd_kafka_resp_err_t kerr = rd_kafka_offsets_for_times(g->rk, parts, g->timeout_ms);
        if (kerr) {
            rn_cli_kafka_error(&g->cli, g->rk, err, "cannot look up offsets by time", kerr, NULL);
            return -1;
        }
        for (int i = 0; i < parts->cnt; i++) {
            rd_kafka_topic_partition_t *tp = &parts->elems[i];
            if (tp->err) {
                rn_err_set(err, RN_EIO, "cannot look up offsets by time on partition %d: %s",
                           (int)tp->partition, rd_kafka_err2str(tp->err));
                return -1;
            }
            /* -1: no record that recent, so the end. */
            if (tp->offset < 0) tp->offset = highs[i];
        }
        return 0;
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        switch (a->to) {
        case TO_EARLIEST:
            tp->offset = lows[i];
            break;
        case TO_LATEST:
            tp->offset = highs[i];
            break;
        default: /* TO_OFFSET */
            tp->offset = a->to_value < lows[i]    ? lows[i]
                         : a->to_value > highs[i] ? highs[i]
                                                  : a->to_value;
            if (tp->offset != a->to_value)
                rn_cli_warn(&g->cli,
                            "partition %d holds offsets %lld to %lld: using %lld instead of %lld",
                            (int)tp->partition, (long long)lows[i], (long long)highs[i],
                            (long long)tp->offset, (long long)a->to_value);
            break;
        }
    }
    return 0;
}

/* Commits the new offsets (AlterConsumerGroupOffsets: an OffsetCommit without a member
 * or generation, which brokers accept for a group without members). Returns an exit
 * code. */
static int reset_commit(groups_ctx *g, const char *group, const char *topic,
                        const rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_AlterConsumerGroupOffsets_t *req =
        rd_kafka_AlterConsumerGroupOffsets_new(group, parts);
    rd_kafka_AdminOptions_t *o =
        rn_cli_admin_options(g, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(g->rk);
    rn_err err;
    int rc = RN_CLI_EXIT_OK;

    rd_kafka_AlterConsumerGroupOffsets(g->rk, &req, 1, o, q);
    rd_kafka_event_t *ev = rn_cli_admin_wait(g, q, &err);
    if (!ev) {
        rc = rn_cli_fail(&g->cli, "cannot commit the offsets of group '%s': %s", group, err.msg);
        goto out;
    }
    size_t n;
    const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    const rd_kafka_error_t *e = n ? rd_kafka_group_result_error(gr[0]) : NULL;
    if (!n || e) {
        if (e) item_error(g, e, &err);
        rc = rn_cli_fail(&g->cli, "cannot commit the offsets of group '%s': %s", group,
                         e ? err.msg : "the cluster returned no result");
        goto out;
    }
    const rd_kafka_topic_partition_list_t *res = rd_kafka_group_result_partitions(gr[0]);
    for (int i = 0; res && i < res->cnt; i++) {
        rd_kafka_resp_err_t kerr = res->elems[i].err;
        if (!kerr) continue;
        const char *why = kerr == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
                                  kerr == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
                                  kerr == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS
                              ? "; did a consumer join the group meanwhile?"
                              : "";
        rc = rn_cli_fail(&g->cli, "cannot commit the offset of %s partition %d: %s (%s)%s", topic,
                         (int)res->elems[i].partition, rd_kafka_err2str(kerr),
                         rd_kafka_err2name(kerr), why);
    }
out:
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    return rc;
}

static int groups_reset_offsets(int argc, char **argv)
{
    static const struct option opts[] = {
        {"topic", required_argument, NULL, OPT_TOPIC},
        {"partition", required_argument, NULL, OPT_PARTITION},
        {"to-earliest", no_argument, NULL, OPT_TO_EARLIEST},
        {"to-latest", no_argument, NULL, OPT_TO_LATEST},
        {"to-offset", required_argument, NULL, OPT_TO_OFFSET},
        {"to-datetime", required_argument, NULL, OPT_TO_DATETIME},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    };
    groups_ctx g;
    reset_args a = {.partition = -1};
    rn_cli_strv pos = {0};
    const struct rd_kafka_metadata *md = NULL;
    const rd_kafka_metadata_topic_t *tmd;
    rd_kafka_topic_partition_list_t *parts = NULL, *committed = NULL;
    int64_t *lows = NULL, *highs = NULL, *current = NULL;
    rn_err err;

    rn_cli_admin_init(&g, "runnel groups reset-offsets");
    int rc = rn_cli_admin_parse_args(&g, argc, argv, opts, RN_CLI_N_ELEMS(opts), &reset_help,
                                     reset_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_one_group(&g, &pos)) >= 0) goto out;
    if (!a.topic) {
        rc = rn_cli_usage_error(g.cli.cmd, "missing --topic TOPIC");
        goto out;
    }
    if (a.to == TO_NONE) {
        rc = rn_cli_usage_error(g.cli.cmd,
                                "missing --to-earliest, --to-latest, --to-offset or --to-datetime");
        goto out;
    }
    const char *group = pos.v[0];
    if ((rc = rn_cli_admin_open(&g)) != RN_CLI_EXIT_OK) goto out;
    if ((rc = check_inactive(&g, group)) != RN_CLI_EXIT_OK) goto out;

    if (rn_cli_topic_metadata(&g.cli, g.rk, a.topic, g.timeout_ms, &md, &tmd, &err) < 0) {
        md = NULL;
        rc = rn_cli_fail(&g.cli, "%s", err.msg);
        goto out;
    }
    if (a.partition >= tmd->partition_cnt) {
        rc = rn_cli_fail(&g.cli, "topic '%s' has no partition %d (it has %d)", a.topic, a.partition,
                         tmd->partition_cnt);
        goto out;
    }
    parts = rd_kafka_topic_partition_list_new(tmd->partition_cnt);
    for (int p = 0; p < tmd->partition_cnt; p++)
        if (a.partition < 0 || p == a.partition)
            rd_kafka_topic_partition_list_add(parts, a.topic, p);
    rd_kafka_topic_partition_list_sort(parts, NULL, NULL);

    if (list_committed(&g, group, parts, &committed, &err) < 0) {
        committed = NULL;
        rc = rn_cli_fail(&g.cli, "cannot read the committed offsets of group '%s': %s", group,
                         err.msg);
        goto out;
    }
    size_t np = (size_t)parts->cnt;
    lows = calloc(np + 1, sizeof *lows);
    highs = calloc(np + 1, sizeof *highs);
    current = calloc(np + 1, sizeof *current);
    if (!lows || !highs || !current) {
        rc = rn_cli_fail(&g.cli, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < np; i++) {
        int32_t p = parts->elems[i].partition;
        current[i] = committed_of(committed, a.topic, p);
        rd_kafka_resp_err_t kerr =
            rd_kafka_query_watermark_offsets(g.rk, a.topic, p, &lows[i], &highs[i], g.timeout_ms);
        if (kerr) {
            rn_cli_kafka_error(&g.cli, g.rk, &err, NULL, kerr, NULL);
            rc = rn_cli_fail(&g.cli, "cannot read the offsets of %s partition %d: %s", a.topic,
                             (int)p, err.msg);
            goto out;
        }
    }
    if (reset_targets(&g, &a, parts, lows, highs, &err) < 0) {
        rc = rn_cli_fail(&g.cli, "%s", err.msg);
        goto out;
    }

    int wt = max_int(5, (int)strlen(a.topic));
    printf("%-*s  %9s  %14s  %14s\n", wt, "TOPIC", "PARTITION", "CURRENT", "NEW");
    for (size_t i = 0; i < np; i++) {
        char c[32];
        printf("%-*s  %9d  %14s  %14lld\n", wt, a.topic, (int)parts->elems[i].partition,
               fmt_offset(c, sizeof c, current[i]), (long long)parts->elems[i].offset);
    }
    if (a.dry_run) {
        printf("dry run: nothing committed\n");
        rc = RN_CLI_EXIT_OK;
        goto out;
    }
    rc = reset_commit(&g, group, a.topic, parts);
    if (rc == RN_CLI_EXIT_OK)
        printf("group %s: committed new offsets for %zu %s of topic %s\n", group, np,
               rn_cli_plural((long)np, "partition", "partitions"), a.topic);
out:
    free(lows);
    free(highs);
    free(current);
    if (committed) rd_kafka_topic_partition_list_destroy(committed);
    if (parts) rd_kafka_topic_partition_list_destroy(parts);
    if (md) rd_kafka_metadata_destroy(md);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&g);
    return rc;
}

/* ------------------------------------------------------------------ delete */

static int groups_delete(int argc, char **argv)
{
    static const struct option opts[] = {{"if-exists", no_argument, NULL, OPT_IF_EXISTS}};
    groups_ctx g;
    flag_args a = {0};
    rn_cli_strv pos = {0};
    rd_kafka_DeleteGroup_t **dgs = NULL;
    rd_kafka_AdminOptions_t *o = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    rn_err err;

    rn_cli_admin_init(&g, "runnel groups delete");
    int rc = rn_cli_admin_parse_args(&g, argc, argv, opts, RN_CLI_N_ELEMS(opts), &delete_help,
                                     flag_opt, &a, &pos);
    if (rc >= 0) goto out;
    if (!pos.n) {
        rc = rn_cli_usage_error(g.cli.cmd, "missing GROUP");
        goto out;
    }
    for (size_t i = 0; i < pos.n; i++) {
        if (!*pos.v[i]) {
            rc = rn_cli_usage_error(g.cli.cmd, "empty GROUP");
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(pos.v[i], pos.v[j])) {
                rc = rn_cli_usage_error(g.cli.cmd, "group '%s' named twice", pos.v[i]);
                goto out;
            }
        }
    }
    if ((rc = rn_cli_admin_open(&g)) != RN_CLI_EXIT_OK) goto out;

    dgs = calloc(pos.n, sizeof *dgs);
    if (!dgs) {
        rc = rn_cli_fail(&g.cli, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < pos.n; i++)
        dgs[i] = rd_kafka_DeleteGroup_new(pos.v[i]);
    o = rn_cli_admin_options(&g, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    q = rd_kafka_queue_new(g.rk);
    rd_kafka_DeleteGroups(g.rk, dgs, pos.n, o, q);
    ev = rn_cli_admin_wait(&g, q, &err);
    if (!ev) {
        rc = rn_cli_fail(&g.cli, "cannot delete groups: %s", err.msg);
        goto out;
    }
    size_t n;
    const rd_kafka_group_result_t **res =
        rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
    rc = RN_CLI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        const char *name = rd_kafka_group_result_name(res[i]);
        const rd_kafka_error_t *e = rd_kafka_group_result_error(res[i]);
        rd_kafka_resp_err_t kerr = e ? rd_kafka_error_code(e) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!kerr) {
            printf("deleted group %s\n", name);
        } else if (kerr == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND && a.if_exists) {
            printf("group %s does not exist\n", name);
        } else {
            item_error(&g, e, &err);
            rc = rn_cli_fail(
                &g.cli, "cannot delete group '%s': %s%s", name, err.msg,
                kerr == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP ? "; stop its consumers first" : "");
        }
    }
out:
    if (ev) rd_kafka_event_destroy(ev);
    if (q) rd_kafka_queue_destroy(q);
    if (o) rd_kafka_AdminOptions_destroy(o);
    if (dgs) rd_kafka_DeleteGroup_destroy_array(dgs, pos.n);
    free(dgs);
    rn_cli_strv_fini(&pos);
    rn_cli_admin_fini(&g);
    return rc;
}

/* ------------------------------------------------------------------ dispatch */

int rn_cli_groups_main(int argc, char **argv)
{
    if (argc < 2) {
        groups_usage(stderr);
        return RN_CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        groups_usage(stdout);
        return RN_CLI_EXIT_OK;
    }
    /* Each subcommand sees argv[0] = its own name. */
    if (!strcmp(sub, "list")) return groups_list(argc - 1, argv + 1);
    if (!strcmp(sub, "describe")) return groups_describe(argc - 1, argv + 1);
    if (!strcmp(sub, "reset-offsets")) return groups_reset_offsets(argc - 1, argv + 1);
    if (!strcmp(sub, "delete")) return groups_delete(argc - 1, argv + 1);
    return rn_cli_usage_error("runnel groups", "unknown subcommand '%s'", sub);
}
