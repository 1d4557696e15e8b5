/*
 * cli/cmd_event.c - `runnel event new|validate`: build a new envelope (the event
 * structure of the guidelines) and check envelopes, with the same rules the broker
 * enforces at the produce boundary (event/envelope.h, docs/events.md). No broker needed.
 *
 * `validate --schema-registry URL` also checks each envelope's data against the schema
 * registered under its eventType, picked as the broker picks it (govern/govern.c).
 *
 * Exit codes as every command: 0 ok, 1 failed (an invalid envelope, or one that would
 * be), 2 usage error. Results go to stdout, errors to stderr.
 * Layer: calls event/envelope.h, common/arena.h (validate parses each line into an arena
 * reset per line), cli/client.h (usage-error helpers only), cli/registry_client.h and
 * registry/jsonschema.h (validate --schema-registry), jansson (new, registry answers).
 */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/registry_client.h"
#include "event/envelope.h"
#include "registry/jsonschema.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD_NEW      "runnel event new"
#define CMD_VALIDATE "runnel event validate"

/* Long-only flags. */
enum {
    OPT_SUBJECT = 1000,
    OPT_DATA,
    OPT_SOURCE,
    OPT_DATA_VERSION,
    OPT_CAUSED_BY,
    OPT_USER_ID,
    OPT_UUID,
    OPT_TIME,
    OPT_PRETTY,
    OPT_ALLOW_DOMAIN,
    OPT_PAST_TENSE,
    OPT_SCHEMA_REGISTRY,
};

#define DEFAULT_SOURCE "runnel-cli"

static void event_usage(FILE *f)
{
    fputs("usage: runnel event SUBCOMMAND [ARGS]\n"
          "\n"
          "Builds and checks events in Runnel's envelope (eventId, eventType, eventTime,\n"
          "source, subject, dataVersion, data, metadata), with the naming rules the\n"
          "broker enforces (docs/events.md). No broker is needed.\n"
          "\n"
          "subcommands:\n"
          "  new TYPE       print a new, valid envelope of type TYPE\n"
          "  validate       check envelopes on stdin (JSON Lines), one verdict per line\n"
          "\n"
          "Run 'runnel event SUBCOMMAND --help' for its options.\n",
          f);
}

static const char rules_help[] =
    "      --allow-domain D           allow only these eventType domains (repeatable; D\n"
    "                                 also admits its sub-domains D.x); default: any\n"
    "      --past-tense VERB          accept VERB as a past-tense action (repeatable),\n"
    "                                 beside the built-in -ed rule and irregular verbs\n"
    "  -h, --help                     show this help\n";

static void new_help(void)
{
    fputs("usage: runnel event new TYPE --subject S --data JSON [OPTIONS]\n"
          "\n"
          "Prints a new envelope of event type TYPE ({domain}.{action}.v{N}, e.g.\n"
          "order.created.v1) on one line: a fresh eventId, eventTime now (UTC, ms),\n"
          "dataVersion N.0, and metadata.correlationId / causationId carried over from\n"
          "--caused-by (else correlationId = the new eventId).\n"
          "\n"
          "options:\n"
          "      --subject S                the entity the event is about (required)\n"
          "      --data JSON                the payload, a JSON object (required); @FILE\n"
          "                                 reads it from FILE, - from stdin\n"
          "      --source SRC               the producing service (default " DEFAULT_SOURCE ")\n"
          "      --data-version V           MAJOR.MINOR of the data schema (default N.0;\n"
          "                                 MAJOR must equal the type's vN)\n"
          "      --caused-by EVENT_JSON     the causing event (an envelope, or a CloudEvent);\n"
          "                                 @FILE and - as for --data\n"
          "      --user-id U                metadata.userId\n"
          "      --uuid v4|v7               eventId version (default v4; v7 is time-ordered)\n"
          "      --time RFC3339             eventTime instead of now (stored as UTC)\n"
          "      --pretty                   indent the JSON\n",
          stdout);
    fputs(rules_help, stdout);
    fputs("\n"
          "Exit 1 (with the errors) if the envelope would be invalid, e.g. a TYPE whose\n"
          "action is not past tense: /eventType: \"order.create.v1\": action \"create\" is\n"
          "not past tense.\n",
          stdout);
}

static void validate_help(void)
{
    fputs("usage: runnel event validate [OPTIONS] < events.jsonl\n"
          "\n"
          "Reads envelopes from stdin, one JSON document per line (JSON Lines; blank\n"
          "lines are skipped), and prints one verdict per line:\n"
          "  ok EVENT_ID\n"
          "  invalid line N: /path: message; /path: message\n"
          "\n"
          "options:\n"
          "      --schema-registry URL      also validate each envelope's data against the\n"
          "                                 schema registered under its eventType: version\n"
          "                                 MINOR+1 of dataVersion MAJOR.MINOR if it exists,\n"
          "                                 else the latest (as the broker does); errors read\n"
          "                                 /data/PATH: message (keyword)\n",
          stdout);
    fputs(rules_help, stdout);
    fputs("\n"
          "Exit 0 if every envelope is valid, 1 if any is invalid (or stdin cannot be\n"
          "read, or the schema registry cannot be reached: then it stops there), 2 on a\n"
          "usage error. A count goes to stderr.\n",
          stdout);
}

/* ------------------------------------------------------------------ shared helpers */

/* Repeatable flag values, borrowed from argv. */
typedef struct strv {
    const char **v; /* from malloc */
    size_t n, cap;
} strv;

static int strv_push(strv *s, const char *str)
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

/* Checks the naming-rule flags and points rules at them. Returns 0, or prints a usage
 * error and returns -1. */
static int make_rules(const char *cmd, const strv *domains, const strv *verbs,
                      rn_event_rules *rules)
{
    rules->domains = domains->v;
    rules->ndomains = domains->n;
    rules->past_tense = verbs->v;
    rules->npast_tense = verbs->n;
    rn_err err;
    if (rn_event_rules_check(rules, &err) != RN_OK) {
        rn_cli_usage_error(cmd, "%s", err.msg);
        return -1;
    }
    return 0;
}

/* Prints each error as "CMD: path: message" on stderr. */
static void print_errors(const char *cmd, const rn_event_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++)
        fprintf(stderr, "%s: %s%s%s\n", cmd, errs->e[i].path, errs->e[i].path[0] ? ": " : "",
                errs->e[i].msg);
    if (errs->total > errs->n)
        fprintf(stderr, "%s: ... and %zu more errors\n", cmd, errs->total - errs->n);
}

/* Reads all of f into a new buffer (from malloc, NUL-terminated). NULL on failure. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f)) break;
        if (feof(f)) {
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    free(buf);
    return NULL;
}

/* Parses a JSON flag value: literal JSON, @FILE, or - (stdin). Returns a new document,
 * or NULL after printing a usage error. */
static json_t *json_flag(const char *cmd, const char *flag, const char *arg)
{
    char *owned = NULL;
    const char *text = arg;
    size_t len = strlen(arg);
    if (arg[0] == '@' || !strcmp(arg, "-")) {
        FILE *f = !strcmp(arg, "-") ? stdin : fopen(arg + 1, "rb");
        if (!f) {
            rn_cli_usage_error(cmd, "%s %s: %s", flag, arg, strerror(errno));
            return NULL;
        }
        owned = read_all(f, &len);
        if (f != stdin) fclose(f);
        if (!owned) {
            rn_cli_usage_error(cmd, "%s %s: cannot read it", flag, arg);
            return NULL;
        }
        text = owned;
    }
    json_error_t jerr;
    json_t *j =
        json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    free(owned);
    if (!j)
        rn_cli_usage_error(cmd, "%s is not valid JSON: %s (column %d)", flag, jerr.text,
                           jerr.column);
    return j;
}

/* ------------------------------------------------------------------ new */

static int event_new(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"subject", required_argument, NULL, OPT_SUBJECT},
        {"data", required_argument, NULL, OPT_DATA},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"data-version", required_argument, NULL, OPT_DATA_VERSION},
        {"caused-by", required_argument, NULL, OPT_CAUSED_BY},
        {"user-id", required_argument, NULL, OPT_USER_ID},
        {"uuid", required_argument, NULL, OPT_UUID},
        {"time", required_argument, NULL, OPT_TIME},
        {"pretty", no_argument, NULL, OPT_PRETTY},
        {"allow-domain", required_argument, NULL, OPT_ALLOW_DOMAIN},
        {"past-tense", required_argument, NULL, OPT_PAST_TENSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *subject = NULL, *data_arg = NULL, *source = DEFAULT_SOURCE;
    const char *data_version = NULL, *caused_by = NULL, *user_id = NULL, *time_arg = NULL;
    int uuid_version = 4, pretty = 0, rc = RN_CLI_EXIT_USAGE;
    strv domains = {0}, verbs = {0};
    json_t *data = NULL, *cause_doc = NULL, *env = NULL;

    optind = 0; /* glibc: full reset, as each subcommand parses its own argv */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            new_help();
            rc = RN_CLI_EXIT_OK;
            goto out;
        case OPT_SUBJECT:
            subject = optarg;
            break;
        case OPT_DATA:
            data_arg = optarg;
            break;
        case OPT_SOURCE:
            source = optarg;
            break;
        case OPT_DATA_VERSION:
            data_version = optarg;
            break;
        case OPT_CAUSED_BY:
            caused_by = optarg;
            break;
        case OPT_USER_ID:
            user_id = optarg;
            break;
        case OPT_UUID:
            if (!strcmp(optarg, "v4") || !strcmp(optarg, "4")) {
                uuid_version = 4;
            } else if (!strcmp(optarg, "v7") || !strcmp(optarg, "7")) {
                uuid_version = 7;
            } else {
                rn_cli_usage_error(CMD_NEW, "--uuid must be v4 or v7, got '%s'", optarg);
                goto out;
            }
            break;
        case OPT_TIME:
            time_arg = optarg;
            break;
        case OPT_PRETTY:
            pretty = 1;
            break;
        case OPT_ALLOW_DOMAIN:
            if (strv_push(&domains, optarg)) goto oom;
            break;
        case OPT_PAST_TENSE:
            if (strv_push(&verbs, optarg)) goto oom;
            break;
        default:
            rc = rn_cli_getopt_error(CMD_NEW, argv, opt);
            goto out;
        }
    }
    if (optind >= argc) {
        rn_cli_usage_error(CMD_NEW, "missing the event TYPE, e.g. order.created.v1");
        goto out;
    }
    if (optind + 1 < argc) {
        rn_cli_usage_error(CMD_NEW, "expected one TYPE, got '%s' too", argv[optind + 1]);
        goto out;
    }
    const char *type = argv[optind];
    if (!subject) {
        rn_cli_usage_error(CMD_NEW, "--subject is required");
        goto out;
    }
    if (!data_arg) {
        rn_cli_usage_error(CMD_NEW, "--data is required (a JSON object, e.g. '{}')");
        goto out;
    }
    if (caused_by && !strcmp(caused_by, "-") && !strcmp(data_arg, "-")) {
        rn_cli_usage_error(CMD_NEW, "--data and --caused-by cannot both read stdin");
        goto out;
    }
    rn_event_rules rules;
    if (make_rules(CMD_NEW, &domains, &verbs, &rules)) goto out;

    int64_t time_ms = 0;
    if (time_arg) {
        const char *why;
        if (rn_event_time_parse(time_arg, strlen(time_arg), &time_ms, &why) != RN_OK) {
            rn_cli_usage_error(CMD_NEW, "--time '%s' %s", time_arg, why);
            goto out;
        }
        if (time_ms == 0) time_ms = 1; /* 0 means "now" to rn_event_new; 1 ms off */
    }
    if (!(data = json_flag(CMD_NEW, "--data", data_arg))) goto out;

    rn_event_errors errs;
    rn_event_errors_init(&errs);
    rn_event_cause cause;
    if (caused_by) {
        if (!(cause_doc = json_flag(CMD_NEW, "--caused-by", caused_by))) goto out;
        if (rn_event_cause_from_json(cause_doc, &cause, &errs) != RN_OK) {
            char text[1024];
            rn_event_errors_format(&errs, text, sizeof text);
            rn_cli_usage_error(CMD_NEW, "--caused-by: %s", text);
            goto out;
        }
    }

    rn_event_new_args a = {
        .event_type = type,
        .source = source,
        .subject = subject,
        .data = data,
        .data_version = data_version,
        .user_id = user_id,
        .cause = caused_by ? &cause : NULL,
        .uuid_version = uuid_version,
        .time_ms = time_ms,
    };
    int r = rn_event_new(&a, &rules, &env, &errs);
    if (r == RN_ENOMEM) goto oom;
    if (r != RN_OK) {
        print_errors(CMD_NEW, &errs);
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }
    size_t flags = rn_event_json_dump_flags(env, pretty ? JSON_INDENT(2) : JSON_COMPACT);
    if (json_dumpf(env, stdout, flags) || fputc('\n', stdout) == EOF || fflush(stdout)) {
        fprintf(stderr, "%s: cannot write stdout: %s\n", CMD_NEW, strerror(errno));
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }
    rc = RN_CLI_EXIT_OK;
    goto out;
oom:
    fprintf(stderr, "%s: out of memory\n", CMD_NEW);
    rc = RN_CLI_EXIT_FAIL;
out:
    json_decref(env);
    json_decref(cause_doc);
    json_decref(data);
    free(domains.v);
    free(verbs.v);
    return rc;
}

/* ------------------------------------------------------------------ registry schemas */

/* What the registry answered for one (subject, version) asked, fetched once per run. */
typedef enum { SC_FOUND, SC_NO_VERSION, SC_NO_SUBJECT, SC_ERROR } schema_state;

typedef struct schema_entry {
    struct schema_entry *next; /* hash chain */
    char *subject;             /* from malloc */
    int version;               /* asked: a number, or -1 for the latest */
    schema_state state;
    rn_jsonschema *compiled; /* SC_FOUND; owned */
    int id, found_version;   /* SC_FOUND */
    char *error;             /* SC_ERROR: why, for the verdict (from malloc) */
} schema_entry;

#define SCHEMA_BUCKETS 256

/* The compiled schemas of one validate run, per (subject, version asked). */
typedef struct schema_cache {
    rn_cli_registry reg;
    int open;
    schema_entry *buckets[SCHEMA_BUCKETS];
} schema_cache;

static void schema_cache_fini(schema_cache *c)
{
    for (size_t i = 0; i < SCHEMA_BUCKETS; i++) {
        schema_entry *e = c->buckets[i];
        while (e) {
            schema_entry *next = e->next;
            rn_jsonschema_free(e->compiled);
            free(e->subject);
            free(e->error);
            free(e);
            e = next;
        }
        c->buckets[i] = NULL;
    }
    if (c->open) rn_cli_registry_fini(&c->reg);
    c->open = 0;
}

static size_t schema_hash(const char *subject, int version)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h = (h ^ (uint32_t)version) * 1099511628211ull;
    return (size_t)(h % SCHEMA_BUCKETS);
}

/* Fills e (state SC_FOUND or SC_ERROR) from a version record
 * {"subject", "version", "id", "schemaType", "schema"}: compiles the schema as the
 * registry does (draft-07 unless "$schema" says otherwise). Returns RN_OK or RN_ENOMEM. */
static int schema_entry_compile(schema_entry *e, const json_t *rec)
{
    const char *type = json_string_value(json_object_get(rec, "schemaType"));
    const char *text = json_string_value(json_object_get(rec, "schema"));
    e->id = (int)json_integer_value(json_object_get(rec, "id"));
    e->found_version = (int)json_integer_value(json_object_get(rec, "version"));
    int n = 0;
    if (type && strcmp(type, "JSON")) {
        n = asprintf(&e->error, "schema id %d of subject \"%s\" is %s, not JSON Schema", e->id,
                     e->subject, type);
    } else if (!text) {
        n = asprintf(&e->error, "the registry's answer for subject \"%s\" has no schema",
                     e->subject);
    } else {
        json_error_t je;
        json_t *doc = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        rn_err err;
        if (!doc) {
            n = asprintf(&e->error, "schema id %d is not valid JSON: %s", e->id, je.text);
        } else {
            rn_jsonschema_options opts = {.default_draft = RN_JSONSCHEMA_DRAFT7};
            int rc = rn_jsonschema_compile(doc, &opts, &e->compiled, &err);
            json_decref(doc);
            if (rc == RN_ENOMEM) return RN_ENOMEM;
            if (rc == RN_OK) {
                e->state = SC_FOUND;
                return RN_OK;
            }
            n = asprintf(&e->error, "schema id %d does not compile: %s", e->id, err.msg);
        }
    }
    if (n < 0) {
        e->error = NULL;
        return RN_ENOMEM;
    }
    e->state = SC_ERROR;
    return RN_OK;
}

/* Asks the registry for version (-1: latest) of subject. Returns RN_OK with *out (owned
 * by the cache) in any state, or a code with err filled when the run cannot go on: the
 * registry cannot be reached, what answers is not a schema registry, or out of memory. */
static int schema_fetch(schema_cache *c, const char *subject, int version, schema_entry **out,
                        rn_err *err)
{
    size_t b = schema_hash(subject, version);
    for (schema_entry *e = c->buckets[b]; e; e = e->next)
        if (e->version == version && !strcmp(e->subject, subject)) {
            *out = e;
            return RN_OK;
        }
    schema_entry *e = calloc(1, sizeof *e);
    char *esc = rn_cli_registry_escape(subject);
    if (!e || !esc || !(e->subject = strdup(subject))) {
        free(e);
        free(esc);
        return rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    e->version = version;
    json_t *rec = NULL;
    rn_cli_reg_error re;
    char vbuf[16];
    snprintf(vbuf, sizeof vbuf, "%d", version);
    int rc = rn_cli_registry_callf(&c->reg, "GET", NULL, &rec, &re, "/subjects/%s/versions/%s", esc,
                                   version < 0 ? "latest" : vbuf);
    free(esc);
    char text[1200];
    if (rc == RN_OK) {
        rc = schema_entry_compile(e, rec);
    } else if (rc == RN_ENOTFOUND && re.from_registry &&
               re.error_code == RN_CLI_REG_VERSION_NOT_FOUND) {
        e->state = version < 0 ? SC_NO_SUBJECT : SC_NO_VERSION;
        rc = RN_OK;
    } else if (rc == RN_ENOTFOUND && re.from_registry &&
               re.error_code == RN_CLI_REG_SUBJECT_NOT_FOUND) {
        e->state = SC_NO_SUBJECT;
        rc = RN_OK;
    } else if (rc == RN_ENOMEM) {
        rn_err_set(err, RN_ENOMEM, "out of memory");
    } else if (!re.status || !re.from_registry || re.error_code == 404) {
        /* No answer, or not a registry's (a wrong URL): every lookup would fail alike. */
        rn_cli_reg_error_text(&re, text, sizeof text);
        if (re.status)
            rn_err_set(err, RN_EIO, "unexpected answer from the schema registry at %s: %s",
                       c->reg.shown, text);
        else
            rn_err_set(err, RN_EIO, "%s", text);
        rc = RN_EIO;
    } else {
        e->state = SC_ERROR;
        e->error = strdup(rn_cli_reg_error_text(&re, text, sizeof text));
        rc = e->error ? RN_OK : rn_err_set(err, RN_ENOMEM, "out of memory");
    }
    json_decref(rec);
    if (rc != RN_OK) {
        rn_jsonschema_free(e->compiled);
        free(e->error);
        free(e->subject);
        free(e);
        if (rc == RN_ENOMEM) rn_err_set(err, RN_ENOMEM, "out of memory");
        return rc;
    }
    e->next = c->buckets[b];
    c->buckets[b] = e;
    *out = e;
    return RN_OK;
}

/* Checks ev's data against the registry schema of its eventType, as the broker does
 * (govern.c check_schema): version MINOR+1 of subject eventType when it exists (versions
 * count from 1, minor 0 is the first), else the latest. Appends the reasons to errs and
 * sets *schema_note to "(schema id N, SUBJECT version V)" when the data breaks the
 * schema. Returns RN_OK (valid), RN_EINVAL (see errs), or a code with err filled when
 * the run must stop. */
static int check_data(schema_cache *c, const rn_event *ev, rn_event_errors *errs, char *note,
                      size_t notelen, rn_err *err)
{
    schema_entry *e;
    note[0] = '\0';
    int rc = schema_fetch(c, ev->event_type, (int)ev->data_minor + 1, &e, err);
    if (rc == RN_OK && e->state == SC_NO_VERSION) rc = schema_fetch(c, ev->event_type, -1, &e, err);
    if (rc != RN_OK) return rc;
    switch (e->state) {
    case SC_FOUND:
        break;
    case SC_ERROR:
        rn_event_errors_add(errs, "/data", "schema registry: %s", e->error);
        return RN_EINVAL;
    default:
        rn_event_errors_add(errs, "/eventType", "no schema registered under subject \"%s\"",
                            ev->event_type);
        return RN_EINVAL;
    }
    rn_jsonschema_errors jerrs;
    rc = rn_jsonschema_validate_doc(e->compiled, ev->data, &jerrs);
    if (rc == RN_OK) return RN_OK;
    if (rc == RN_ENOMEM) return rn_err_set(err, RN_ENOMEM, "out of memory");
    /* "/data/price: -1 is less than the minimum of 0 (minimum)" */
    for (size_t i = 0; i < jerrs.n; i++) {
        char path[sizeof jerrs.e[i].instance_path + 8];
        snprintf(path, sizeof path, "/data%s", jerrs.e[i].instance_path);
        rn_event_errors_add(errs, path, "%s (%s)", jerrs.e[i].message, jerrs.e[i].keyword);
    }
    if (jerrs.truncated) rn_event_errors_add(errs, "/data", "more errors not listed");
    if (jerrs.n == 0) rn_event_errors_add(errs, "/data", "does not match the schema");
    snprintf(note, notelen, " (schema id %d, %s version %d)", e->id, ev->event_type,
             e->found_version);
    return RN_EINVAL;
}

/* ------------------------------------------------------------------ validate */

/* 1 if the line holds only blanks. */
static int blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

static int event_validate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"allow-domain", required_argument, NULL, OPT_ALLOW_DOMAIN},
        {"past-tense", required_argument, NULL, OPT_PAST_TENSE},
        {"schema-registry", required_argument, NULL, OPT_SCHEMA_REGISTRY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    strv domains = {0}, verbs = {0};
    const char *registry = NULL;
    int rc = RN_CLI_EXIT_USAGE;
    char *line = NULL;
    size_t cap = 0;
    schema_cache schemas = {0};
    rn_arena arena = {0}; /* each line's document; reset per line */

    optind = 0;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            validate_help();
            rc = RN_CLI_EXIT_OK;
            goto out;
        case OPT_ALLOW_DOMAIN:
            if (strv_push(&domains, optarg)) goto oom;
            break;
        case OPT_PAST_TENSE:
            if (strv_push(&verbs, optarg)) goto oom;
            break;
        case OPT_SCHEMA_REGISTRY:
            registry = optarg;
            break;
        default:
            rc = rn_cli_getopt_error(CMD_VALIDATE, argv, opt);
            goto out;
        }
    }
    if (optind < argc) {
        rn_cli_usage_error(CMD_VALIDATE, "unexpected argument '%s' (envelopes are read from stdin)",
                           argv[optind]);
        goto out;
    }
    rn_event_rules rules;
    if (make_rules(CMD_VALIDATE, &domains, &verbs, &rules)) goto out;
    if (registry) {
        rn_err err;
        int r = rn_cli_registry_init(&schemas.reg, registry, RN_CLI_DEFAULT_TIMEOUT_MS, &err);
        if (r == RN_EINVAL) {
            rn_cli_usage_error(CMD_VALIDATE, "--schema-registry: %s", err.msg);
            goto out;
        }
        if (r) {
            fprintf(stderr, "%s: %s\n", CMD_VALIDATE, err.msg);
            rc = RN_CLI_EXIT_FAIL;
            goto out;
        }
        schemas.open = 1;
    }

    size_t lineno = 0, nvalid = 0, ninvalid = 0;
    char text[RN_EVENT_MAX_ERRORS * (RN_EVENT_PATH_MAX + RN_EVENT_MSG_MAX + 4) + 64];
    char note[RN_EVENT_MSG_MAX + 64];
    for (;;) {
        errno = 0;
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) {
            if (ferror(stdin)) {
                fprintf(stderr, "%s: cannot read stdin: %s\n", CMD_VALIDATE, strerror(errno));
                rc = RN_CLI_EXIT_FAIL;
                goto out;
            }
            break;
        }
        lineno++;
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') len--;
        if (len && line[len - 1] == '\r') len--;
        if (blank(line, len)) continue;

        rn_event_errors errs;
        rn_event_errors_init(&errs);
        rn_event ev;
        rn_arena_reset(&arena);
        int r = rn_event_parse(&arena, line, len, &rules, NULL, &ev, &errs);
        if (r == RN_ENOMEM) goto oom;
        note[0] = '\0';
        if (r == RN_OK && schemas.open) {
            rn_err err;
            r = check_data(&schemas, &ev, &errs, note, sizeof note, &err);
            if (r != RN_OK && r != RN_EINVAL) {
                /* Not a verdict on this envelope: nothing further can be checked. */
                fflush(stdout);
                fprintf(stderr, "%s: %s (stopped at line %zu: %zu valid, %zu invalid so far)\n",
                        CMD_VALIDATE, err.msg, lineno, nvalid, ninvalid);
                rc = RN_CLI_EXIT_FAIL;
                goto out;
            }
        }
        if (r == RN_OK) {
            nvalid++;
            printf("ok %s\n", ev.event_id);
        } else {
            ninvalid++;
            if (errs.n == 0) rn_event_errors_add(&errs, "", "invalid (%s)", rn_strerror(r));
            rn_event_errors_format(&errs, text, sizeof text);
            printf("invalid line %zu: %s%s\n", lineno, text, note);
        }
    }
    if (fflush(stdout)) {
        fprintf(stderr, "%s: cannot write stdout: %s\n", CMD_VALIDATE, strerror(errno));
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }
    fprintf(stderr, "%s: %zu valid, %zu invalid\n", CMD_VALIDATE, nvalid, ninvalid);
    rc = ninvalid ? RN_CLI_EXIT_FAIL : RN_CLI_EXIT_OK;
    goto out;
oom:
    fprintf(stderr, "%s: out of memory\n", CMD_VALIDATE);
    rc = RN_CLI_EXIT_FAIL;
out:
    schema_cache_fini(&schemas);
    rn_arena_fini(&arena);
    free(line);
    free(domains.v);
    free(verbs.v);
    return rc;
}

/* ------------------------------------------------------------------ dispatch */

int rn_cli_event_main(int argc, char **argv)
{
    if (argc < 2) {
        event_usage(stderr);
        return RN_CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        event_usage(stdout);
        return RN_CLI_EXIT_OK;
    }
    /* Each subcommand sees argv[0] = its own name. */
    if (!strcmp(sub, "new")) return event_new(argc - 1, argv + 1);
    if (!strcmp(sub, "validate")) return event_validate(argc - 1, argv + 1);
    return rn_cli_usage_error("runnel event", "unknown subcommand '%s'", sub);
}
