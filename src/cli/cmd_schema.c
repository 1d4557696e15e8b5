/*
 * cli/cmd_schema.c - `runnel schema register|get|list|check|delete|config`: the schema
 * registry's REST API (docs/schema-registry.md) from the command line, through
 * cli/registry_client.h, so it works against Runnel's registry or any Confluent-compatible
 * one (--registry URL, default $RUNNEL_SCHEMA_REGISTRY, else http://127.0.0.1:8081).
 *
 * Every subcommand waits at most --timeout-ms (default 10 s) per request, prints its
 * result on stdout and its errors on stderr (a registry error with its error_code), and
 * exits 0 (ok), 1 (failed: refused, not found, unreachable; `check`: incompatible) or
 * 2 (usage).
 * Layer: calls cli/registry_client.h, cli/client.h (messages and flag values only),
 * event/envelope.h (the JSON number format) and jansson.
 */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/registry_client.h"
#include "event/envelope.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Long-only flags. */
enum {
    OPT_TIMEOUT = 1000,
    OPT_FILE,
    OPT_SCHEMA,
    OPT_TYPE,
    OPT_VERSION,
    OPT_ID,
    OPT_JSON,
    OPT_DELETED,
    OPT_VERBOSE,
    OPT_PERMANENT,
    OPT_SET,
    OPT_DELETE,
};

/* Versions: a number in [1, 2^31-1], or LATEST. */
#define LATEST (-1)

/* A subcommand's --help: head, the common flag lines, then tail. */
typedef struct help_text {
    const char *head;
    const char *tail; /* may be NULL */
} help_text;

/* One subcommand's state: the common flags and the registry client. */
typedef struct schema_ctx {
    rn_cli_client cli; /* for rn_cli_fail: cli.cmd is "runnel schema get" etc. */
    const char *url;   /* --registry, else $RUNNEL_SCHEMA_REGISTRY, else the default */
    int timeout_ms;
    rn_cli_registry reg; /* open once the flags are parsed */
    int reg_open;
} schema_ctx;

/* Where a schema's text comes from: --file PATH, --schema JSON or - (stdin). */
typedef struct schema_src {
    const char *file;
    const char *literal;
    int from_stdin;
    const char *type; /* --type, default JSON */
} schema_src;

static void schema_usage(FILE *f)
{
    fputs("usage: runnel schema SUBCOMMAND [ARGS]\n"
          "\n"
          "Manages JSON schemas in the schema registry (Runnel's, or any registry that\n"
          "speaks the Confluent Schema Registry REST API). For Runnel events the subject is\n"
          "the eventType, e.g. order.created.v1.\n"
          "\n"
          "subcommands:\n"
          "  register SUBJECT     register a schema as a new version of SUBJECT\n"
          "  get SUBJECT          print a version's schema (or --id ID: a schema by id)\n"
          "  list [SUBJECT]       list subjects, or the versions of SUBJECT\n"
          "  check SUBJECT        test whether a schema is compatible with SUBJECT\n"
          "  delete SUBJECT       delete a subject or one version (soft, or --permanent)\n"
          "  config [SUBJECT]     show or set the compatibility level\n"
          "\n"
          "Run 'runnel schema SUBCOMMAND --help' for its options.\n",
          f);
}

#define SOURCE_HELP                                                                                \
    "      --file PATH                read the schema from PATH (- for stdin)\n"                   \
    "      --schema JSON              the schema itself, e.g. '{\"type\":\"object\"}'\n"           \
    "      -                          read the schema from stdin\n"                                \
    "      --type TYPE                schemaType sent with it (default JSON; Runnel's\n"           \
    "                                 registry stores JSON Schema only)\n"

static const help_text register_help = {
    "usage: runnel schema register SUBJECT (--file PATH | --schema JSON | -) [OPTIONS]\n"
    "\n"
    "Registers the schema under SUBJECT (POST /subjects/SUBJECT/versions) and prints\n"
    "\"registered SUBJECT version V id ID\". A schema that is already a live version of\n"
    "SUBJECT creates nothing: \"already registered SUBJECT version V id ID\" (exit 0).\n"
    "The registry checks it against the subject's compatibility level first.\n"
    "\n"
    "options:\n" SOURCE_HELP,
    "Exit 1 with the registry's message if it refuses the schema: incompatible with an\n"
    "earlier version (error_code 409; 'runnel schema check' lists the reasons), not a\n"
    "valid schema (42201), or the subject is read-only (42205).\n"};

static const help_text get_help = {
    "usage: runnel schema get SUBJECT [--version V|latest] [--deleted] [--json] [OPTIONS]\n"
    "       runnel schema get --id ID [--json] [OPTIONS]\n"
    "\n"
    "Prints a schema, indented: version V of SUBJECT (default the latest), or the schema\n"
    "with the global id ID.\n"
    "\n"
    "options:\n"
    "      --version V                a version number, or latest (the default)\n"
    "      --id ID                    the schema with this id, whatever its subject\n"
    "      --deleted                  also find a soft-deleted version\n"
    "      --json                     print the registry's whole record (subject, version,\n"
    "                                 id, schemaType, and the schema as a string)\n",
    "Exit 1 if the subject (40401), version (40402) or id (40403) does not exist.\n"};

static const help_text list_help = {
    "usage: runnel schema list [SUBJECT] [--deleted] [--json] [OPTIONS]\n"
    "\n"
    "Prints the registry's subjects, sorted, one per line; with SUBJECT, its version\n"
    "numbers instead.\n"
    "\n"
    "options:\n"
    "      --deleted                  include soft-deleted subjects / versions, marked\n"
    "                                 \"(deleted)\"\n"
    "      --json                     print the registry's JSON array\n",
    "Exit 1 if SUBJECT does not exist (40401).\n"};

static const help_text check_help = {
    "usage: runnel schema check SUBJECT (--file PATH | --schema JSON | -) [--version V|latest]\n"
    "                           [--verbose] [OPTIONS]\n"
    "\n"
    "Asks the registry whether the schema is compatible with SUBJECT under the subject's\n"
    "compatibility level, without registering it, and prints \"compatible\" (exit 0) or\n"
    "\"incompatible\" followed by the registry's reasons, one per line (exit 1).\n"
    "Without --version it is checked against every version a registration would be\n"
    "checked against (the latest, or all of them for a _TRANSITIVE level); a subject\n"
    "without versions accepts anything.\n"
    "\n"
    "options:\n" SOURCE_HELP
    "      --version V                check against version V only (a number, or latest)\n"
    "      --verbose                  also say on stderr which versions were checked at\n"
    "                                 which level\n",
    NULL};

static const help_text delete_help = {
    "usage: runnel schema delete SUBJECT [--version V|latest] [--permanent] [OPTIONS]\n"
    "\n"
    "Deletes every version of SUBJECT, or just version V. A soft delete (the default)\n"
    "hides the versions: they are no longer used for new data, but stay readable with\n"
    "'get --deleted' and their ids keep resolving, so old data stays decodable.\n"
    "--permanent removes soft-deleted versions for good (a version must be soft-deleted\n"
    "first). Prints \"soft-deleted SUBJECT versions 1, 2\" or \"permanently deleted ...\".\n"
    "\n"
    "options:\n"
    "      --version V                only this version (a number, or latest)\n"
    "      --permanent                delete for good (after a soft delete)\n",
    NULL};

static const help_text config_help = {
    "usage: runnel schema config [SUBJECT] [--set LEVEL | --delete] [OPTIONS]\n"
    "\n"
    "Shows the compatibility level of SUBJECT (or the global one, without SUBJECT); a\n"
    "subject without a level of its own uses the global level. LEVEL is one of NONE,\n"
    "BACKWARD (the default), BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,\n"
    "FULL_TRANSITIVE (any case).\n"
    "\n"
    "options:\n"
    "      --set LEVEL                set the level (of a subject: it need not exist yet)\n"
    "      --delete                   remove the subject's level (back to the global one),\n"
    "                                 or reset the global level to the registry's default\n",
    NULL};

static void print_help(const help_text *h)
{
    fputs(h->head, stdout);
    fputs("  -r, --registry URL             the schema registry (default\n"
          "                                 $" RN_CLI_REGISTRY_ENV
          ", else " RN_CLI_REGISTRY_DEFAULT_URL ");\n"
          "                                 user:password@ in it is sent as basic auth\n"
          "      --timeout-ms MS            how long to wait for each answer (default 10000)\n"
          "  -h, --help                     show this help\n",
          stdout);
    if (h->tail) {
        fputc('\n', stdout);
        fputs(h->tail, stdout);
    }
}

/* ------------------------------------------------------------------ shared helpers */

static void ctx_init(schema_ctx *t, const char *cmd)
{
    memset(t, 0, sizeof *t);
    rn_cli_client_init(&t->cli, cmd);
    const char *env = getenv(RN_CLI_REGISTRY_ENV);
    t->url = env && *env ? env : RN_CLI_REGISTRY_DEFAULT_URL;
    t->timeout_ms = RN_CLI_DEFAULT_TIMEOUT_MS;
}

static void ctx_fini(schema_ctx *t)
{
    if (t->reg_open) rn_cli_registry_fini(&t->reg);
    rn_cli_client_fini(&t->cli);
}

/* Parses a --version value: a number in [1, 2^31-1], latest or -1. */
static int parse_version(schema_ctx *t, const char *arg, int *out)
{
    if (!strcasecmp(arg, "latest") || !strcmp(arg, "-1")) {
        *out = LATEST;
        return 1;
    }
    int64_t v;
    if (rn_cli_parse_i64(t->cli.cmd, "--version", arg, 1, 2147483647, &v) < 0) return -1;
    *out = (int)v;
    return 1;
}

/* Handles the schema source flags. Returns 1 if handled, 0 if not ours. */
static int source_opt(schema_src *s, int opt, const char *arg)
{
    switch (opt) {
    case OPT_FILE:
        if (!strcmp(arg, "-"))
            s->from_stdin++;
        else
            s->file = arg;
        return 1;
    case OPT_SCHEMA:
        s->literal = arg;
        return 1;
    case OPT_TYPE:
        s->type = arg;
        return 1;
    default:
        return 0;
    }
}

typedef int (*opt_fn)(schema_ctx *t, void *state, int opt, const char *arg);

/* Parses argv: the common flags here, the nextra options in extra through on_opt (which
 * returns 1 if handled, -1 after a usage error). Collects positionals into pos. Returns
 * -1 to go on, or an exit code (help printed, or a usage error). */
static int parse_args(schema_ctx *t, int argc, char **argv, const struct option *extra,
                      size_t nextra, const help_text *help, opt_fn on_opt, void *state,
                      rn_cli_strv *pos)
{
    struct option longopts[24] = {
        {"registry", required_argument, NULL, 'r'},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
    };
    size_t n = 3;
    for (size_t i = 0; i < nextra && n + 1 < RN_CLI_N_ELEMS(longopts); i++)
        longopts[n++] = extra[i];
    memset(&longopts[n], 0, sizeof longopts[n]);

    optind = 0; /* glibc: full reset, as each subcommand parses its own argv */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":r:h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            print_help(help);
            return RN_CLI_EXIT_OK;
        }
        if (opt == '?' || opt == ':') return rn_cli_getopt_error(t->cli.cmd, argv, opt);
        int r = 0;
        if (opt == 'r') {
            if (!*optarg) return rn_cli_usage_error(t->cli.cmd, "--registry needs a URL");
            t->url = optarg;
            r = 1;
        } else if (opt == OPT_TIMEOUT) {
            r = rn_cli_handled(rn_cli_parse_int(t->cli.cmd, "--timeout-ms", optarg, 1, 3600 * 1000,
                                                &t->timeout_ms));
        } else if (on_opt) {
            r = on_opt(t, state, opt, optarg);
        }
        if (r < 0) return RN_CLI_EXIT_USAGE;
        if (r == 0) return rn_cli_usage_error(t->cli.cmd, "unexpected flag '%s'", argv[optind - 1]);
    }
    for (int i = optind; i < argc; i++)
        if (rn_cli_strv_push(pos, argv[i]) < 0) return rn_cli_fail(&t->cli, "out of memory");
    return -1;
}

/* Checks the positionals: exactly one SUBJECT (want_subject 1), at most one (0: optional),
 * plus an optional "-" when dash is given (set to 1 if present). Returns -1 if fine, else
 * prints a usage error and returns its exit code. */
static int check_positionals(schema_ctx *t, const rn_cli_strv *pos, int required, int *dash,
                             const char **subject)
{
    *subject = NULL;
    for (size_t i = 0; i < pos->n; i++) {
        const char *a = pos->v[i];
        if (dash && !strcmp(a, "-")) {
            (*dash)++;
        } else if (!*subject) {
            if (!*a) return rn_cli_usage_error(t->cli.cmd, "empty SUBJECT");
            *subject = a;
        } else {
            return rn_cli_usage_error(t->cli.cmd, "expected one SUBJECT, got '%s' too", a);
        }
    }
    if (required && !*subject) return rn_cli_usage_error(t->cli.cmd, "missing SUBJECT");
    return -1;
}

/* Opens the registry client. Returns -1 if open, else an exit code (message printed). */
static int open_registry(schema_ctx *t)
{
    rn_err err;
    int rc = rn_cli_registry_init(&t->reg, t->url, t->timeout_ms, &err);
    if (rc == RN_EINVAL) return rn_cli_usage_error(t->cli.cmd, "%s", err.msg);
    if (rc) return rn_cli_fail(&t->cli, "%s", err.msg);
    t->reg_open = 1;
    return -1;
}

/* Prints "CMD: [what: ]<registry message> (error_code N)" and returns RN_CLI_EXIT_FAIL. */
static int reg_fail(schema_ctx *t, const char *what, const rn_cli_reg_error *e)
{
    char text[1200];
    rn_cli_reg_error_text(e, text, sizeof text);
    return rn_cli_fail(&t->cli, "%s%s%s", what ? what : "", what ? ": " : "", text);
}

/* Reads all of f into a new NUL-terminated buffer. NULL on failure. */
static char *read_all(FILE *f)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f)) break;
        if (feof(f)) {
            buf[n] = '\0';
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

/* Checks that exactly one schema source was given. Returns -1 if so, else a usage
 * error's exit code. */
static int check_source(schema_ctx *t, const schema_src *s)
{
    int n = (s->file != NULL) + (s->literal != NULL) + (s->from_stdin > 0);
    if (n == 0)
        return rn_cli_usage_error(t->cli.cmd,
                                  "missing the schema: give --file PATH, --schema JSON or -");
    if (n > 1 || s->from_stdin > 1)
        return rn_cli_usage_error(t->cli.cmd,
                                  "give the schema once: --file PATH, --schema JSON or -");
    if (s->type && !*s->type) return rn_cli_usage_error(t->cli.cmd, "--type needs a TYPE");
    return -1;
}

/* The request body {"schema": TEXT, "schemaType": TYPE} from the source, into *out. The
 * text is sent as it is (the registry keeps it as first registered), without trailing
 * whitespace. Returns -1, or an exit code after a message. */
static int source_body(schema_ctx *t, const schema_src *s, json_t **out)
{
    char *owned = NULL;
    const char *text = s->literal;
    if (!text) {
        FILE *f = s->file ? fopen(s->file, "rb") : stdin;
        if (!f) return rn_cli_usage_error(t->cli.cmd, "--file %s: %s", s->file, strerror(errno));
        owned = read_all(f);
        if (f != stdin) fclose(f);
        if (!owned)
            return rn_cli_usage_error(t->cli.cmd, "cannot read the schema from %s",
                                      s->file ? s->file : "stdin");
        text = owned;
    }
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len == 0) {
        free(owned);
        return rn_cli_usage_error(t->cli.cmd, "the schema is empty");
    }
    json_t *str = json_stringn(text, len);
    free(owned);
    if (!str) /* not UTF-8 */
        return rn_cli_fail(&t->cli, "the schema is not valid UTF-8 text");
    *out = json_pack("{s:o, s:s}", "schema", str, "schemaType", s->type ? s->type : "JSON");
    if (!*out) return rn_cli_fail(&t->cli, "out of memory");
    return -1;
}

/* Writes v to stdout, indented, with a newline. Returns an exit code. */
static int print_json(schema_ctx *t, const json_t *v)
{
    size_t flags = rn_event_json_dump_flags(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (json_dumpf(v, stdout, flags) < 0 || fputc('\n', stdout) == EOF || fflush(stdout))
        return rn_cli_fail(&t->cli, "cannot write stdout: %s", strerror(errno));
    return RN_CLI_EXIT_OK;
}

/* Flushes stdout. Returns an exit code. */
static int flush_out(schema_ctx *t)
{
    if (fflush(stdout)) return rn_cli_fail(&t->cli, "cannot write stdout: %s", strerror(errno));
    return RN_CLI_EXIT_OK;
}

/* "latest" or the number, for paths and messages. */
static const char *version_str(int v, char buf[16])
{
    if (v == LATEST) return "latest";
    snprintf(buf, 16, "%d", v);
    return buf;
}

/* "1, 2, 3" of an array of integers into buf. */
static const char *int_list(const json_t *arr, char *buf, size_t len)
{
    size_t i, o = 0;
    const json_t *v;
    buf[0] = '\0';
    json_array_foreach(arr, i, v)
    {
        int w =
            snprintf(buf + o, len - o, "%s%lld", i ? ", " : "", (long long)json_integer_value(v));
        if (w < 0 || (o += (size_t)w) >= len) break;
    }
    return buf;
}

/* The escaped subject for a path, or NULL after an OOM message. */
static char *escape(schema_ctx *t, const char *subject)
{
    char *s = rn_cli_registry_escape(subject);
    if (!s) rn_cli_fail(&t->cli, "out of memory");
    return s;
}

/* ------------------------------------------------------------------ register */

typedef struct register_args {
    schema_src src;
} register_args;

static int register_opt(schema_ctx *t, void *state, int opt, const char *arg)
{
    (void)t;
    register_args *a = state;
    return source_opt(&a->src, opt, arg);
}

/* POST /subjects/SUBJECT (lookup): RN_OK with the version record, RN_ENOTFOUND if the
 * schema is not a live version of the subject, or another error (e filled). */
static int lookup(schema_ctx *t, const char *esc, const json_t *body, json_t **rec,
                  rn_cli_reg_error *e)
{
    int rc = rn_cli_registry_callf(&t->reg, "POST", body, rec, e, "/subjects/%s", esc);
    if (rc == RN_ENOTFOUND && (e->error_code == RN_CLI_REG_SUBJECT_NOT_FOUND ||
                               e->error_code == RN_CLI_REG_SCHEMA_NOT_FOUND))
        return RN_ENOTFOUND;
    if (rc == RN_ENOTFOUND) return RN_EIO; /* some other 404: not a registry at that path */
    return rc;
}

static int schema_register(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"schema", required_argument, NULL, OPT_SCHEMA},
        {"type", required_argument, NULL, OPT_TYPE},
    };
    schema_ctx t;
    register_args a = {0};
    rn_cli_strv pos = {0};
    json_t *body = NULL, *rec = NULL, *res = NULL;
    char *esc = NULL;
    rn_cli_reg_error e;
    const char *subject;

    ctx_init(&t, "runnel schema register");
    int rc = parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &register_help, register_opt,
                        &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_positionals(&t, &pos, 1, &a.src.from_stdin, &subject)) >= 0) goto out;
    if ((rc = check_source(&t, &a.src)) >= 0) goto out;
    if ((rc = source_body(&t, &a.src, &body)) >= 0) goto out;
    if ((rc = open_registry(&t)) >= 0) goto out;
    if (!(esc = escape(&t, subject))) {
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }

    /* Already a live version? Then registering would create nothing: say so. */
    int r = lookup(&t, esc, body, &rec, &e);
    if (r == RN_OK) {
        printf("already registered %s version %lld id %lld\n", subject,
               (long long)json_integer_value(json_object_get(rec, "version")),
               (long long)json_integer_value(json_object_get(rec, "id")));
        rc = flush_out(&t);
        goto out;
    }
    if (r != RN_ENOTFOUND) {
        rc = reg_fail(&t, "cannot register the schema", &e);
        goto out;
    }
    if (rn_cli_registry_callf(&t.reg, "POST", body, &res, &e, "/subjects/%s/versions", esc)) {
        rc = reg_fail(&t, "cannot register the schema", &e);
        goto out;
    }
    long long id = json_integer_value(json_object_get(res, "id"));
    /* The answer has only the id; the lookup says which version it became. */
    json_decref(rec);
    rec = NULL;
    if (lookup(&t, esc, body, &rec, &e) == RN_OK)
        printf("registered %s version %lld id %lld\n", subject,
               (long long)json_integer_value(json_object_get(rec, "version")), id);
    else
        printf("registered %s id %lld\n", subject, id);
    rc = flush_out(&t);
out:
    free(esc);
    json_decref(body);
    json_decref(rec);
    json_decref(res);
    rn_cli_strv_fini(&pos);
    ctx_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ get */

typedef struct get_args {
    int version; /* 0: not given */
    int id;      /* 0: not given */
    int json, deleted;
} get_args;

static int get_opt(schema_ctx *t, void *state, int opt, const char *arg)
{
    get_args *a = state;
    switch (opt) {
    case OPT_VERSION:
        return parse_version(t, arg, &a->version);
    case OPT_ID:
        return rn_cli_handled(rn_cli_parse_int(t->cli.cmd, "--id", arg, 1, 2147483647, &a->id));
    case OPT_JSON:
        a->json = 1;
        return 1;
    case OPT_DELETED:
        a->deleted = 1;
        return 1;
    default:
        return 0;
    }
}

static int schema_get(int argc, char **argv)
{
    static const struct option opts[] = {
        {"version", required_argument, NULL, OPT_VERSION},
        {"id", required_argument, NULL, OPT_ID},
        {"json", no_argument, NULL, OPT_JSON},
        {"deleted", no_argument, NULL, OPT_DELETED},
    };
    schema_ctx t;
    get_args a = {0};
    rn_cli_strv pos = {0};
    json_t *rec = NULL, *doc = NULL;
    char *esc = NULL, vbuf[16];
    rn_cli_reg_error e;
    const char *subject;

    ctx_init(&t, "runnel schema get");
    int rc = parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &get_help, get_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_positionals(&t, &pos, !a.id, NULL, &subject)) >= 0) goto out;
    if (a.id && (subject || a.version || a.deleted)) {
        rc = rn_cli_usage_error(t.cli.cmd, "--id names a schema by itself: give SUBJECT "
                                           "[--version V] [--deleted] or --id ID, not both");
        goto out;
    }
    if ((rc = open_registry(&t)) >= 0) goto out;

    if (a.id) {
        if (rn_cli_registry_callf(&t.reg, "GET", NULL, &rec, &e, "/schemas/ids/%d", a.id)) {
            rc = reg_fail(&t, NULL, &e);
            goto out;
        }
        if (json_is_object(rec)) json_object_set_new(rec, "id", json_integer(a.id));
    } else {
        if (!(esc = escape(&t, subject))) {
            rc = RN_CLI_EXIT_FAIL;
            goto out;
        }
        if (rn_cli_registry_callf(&t.reg, "GET", NULL, &rec, &e, "/subjects/%s/versions/%s%s", esc,
                                  version_str(a.version ? a.version : LATEST, vbuf),
                                  a.deleted ? "?deleted=true" : "")) {
            rc = reg_fail(&t, NULL, &e);
            goto out;
        }
    }
    if (a.json) {
        rc = print_json(&t, rec);
        goto out;
    }
    const char *text = json_string_value(json_object_get(rec, "schema"));
    if (!text) {
        rc = rn_cli_fail(&t.cli, "the registry's answer has no schema");
        goto out;
    }
    doc = json_loads(text, JSON_DECODE_ANY, NULL);
    if (doc) {
        rc = print_json(&t, doc);
    } else { /* not JSON (another registry's Avro, say): as it is */
        printf("%s\n", text);
        rc = flush_out(&t);
    }
out:
    free(esc);
    json_decref(rec);
    json_decref(doc);
    rn_cli_strv_fini(&pos);
    ctx_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ list */

typedef struct list_args {
    int json, deleted;
} list_args;

static int list_opt(schema_ctx *t, void *state, int opt, const char *arg)
{
    (void)t;
    (void)arg;
    list_args *a = state;
    switch (opt) {
    case OPT_JSON:
        a->json = 1;
        return 1;
    case OPT_DELETED:
        a->deleted = 1;
        return 1;
    default:
        return 0;
    }
}

static int in_array(const json_t *arr, const json_t *v)
{
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i, x) if (json_equal(x, v)) return 1;
    return 0;
}

static int schema_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"deleted", no_argument, NULL, OPT_DELETED},
    };
    schema_ctx t;
    list_args a = {0};
    rn_cli_strv pos = {0};
    json_t *all = NULL, *live = NULL;
    char *esc = NULL;
    rn_cli_reg_error e;
    const char *subject;

    ctx_init(&t, "runnel schema list");
    int rc = parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &list_help, list_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_positionals(&t, &pos, 0, NULL, &subject)) >= 0) goto out;
    if ((rc = open_registry(&t)) >= 0) goto out;
    char path[64];
    if (subject) {
        if (!(esc = escape(&t, subject))) {
            rc = RN_CLI_EXIT_FAIL;
            goto out;
        }
        rc = rn_cli_registry_callf(&t.reg, "GET", NULL, &all, &e, "/subjects/%s/versions%s", esc,
                                   a.deleted ? "?deleted=true" : "");
    } else {
        snprintf(path, sizeof path, "/subjects%s", a.deleted ? "?deleted=true" : "");
        rc = rn_cli_registry_call(&t.reg, "GET", path, NULL, &all, &e);
    }
    if (rc) {
        rc = reg_fail(&t, NULL, &e);
        goto out;
    }
    if (!json_is_array(all)) {
        rc = rn_cli_fail(&t.cli, "the registry's answer is not a JSON array");
        goto out;
    }
    if (a.json) {
        rc = print_json(&t, all);
        goto out;
    }
    if (a.deleted) {
        /* Which of them are soft-deleted: those missing from the live list. A subject
         * whose versions are all deleted has no live list (40401): all of them are. */
        int r = subject ? rn_cli_registry_callf(&t.reg, "GET", NULL, &live, &e,
                                                "/subjects/%s/versions", esc)
                        : rn_cli_registry_call(&t.reg, "GET", "/subjects", NULL, &live, &e);
        if (r == RN_ENOTFOUND && e.error_code == RN_CLI_REG_SUBJECT_NOT_FOUND) {
            live = json_array();
        } else if (r) {
            rc = reg_fail(&t, NULL, &e);
            goto out;
        }
    }
    size_t i;
    const json_t *v;
    json_array_foreach(all, i, v)
    {
        const char *mark = live && !in_array(live, v) ? " (deleted)" : "";
        if (json_is_string(v))
            printf("%s%s\n", json_string_value(v), mark);
        else
            printf("%lld%s\n", (long long)json_integer_value(v), mark);
    }
    rc = flush_out(&t);
out:
    free(esc);
    json_decref(all);
    json_decref(live);
    rn_cli_strv_fini(&pos);
    ctx_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ check */

typedef struct check_args {
    schema_src src;
    int version; /* 0: what registration checks */
    int verbose;
} check_args;

static int check_opt(schema_ctx *t, void *state, int opt, const char *arg)
{
    check_args *a = state;
    switch (opt) {
    case OPT_VERSION:
        return parse_version(t, arg, &a->version);
    case OPT_VERBOSE:
        a->verbose = 1;
        return 1;
    default:
        return source_opt(&a->src, opt, arg);
    }
}

/* --verbose: says on stderr what the registry checks against (best effort: a failed
 * request only leaves the line out). */
static void explain_check(schema_ctx *t, const char *subject, const char *esc, int version)
{
    json_t *cfg = NULL, *vers = NULL;
    rn_cli_reg_error e;
    if (rn_cli_registry_callf(&t->reg, "GET", NULL, &cfg, &e, "/config/%s?defaultToGlobal=true",
                              esc))
        goto out;
    const char *level = json_string_value(json_object_get(cfg, "compatibilityLevel"));
    if (!level) goto out;
    if (version > 0) {
        fprintf(stderr, "%s: checking against %s version %d at level %s\n", t->cli.cmd, subject,
                version, level);
        goto out;
    }
    int r = rn_cli_registry_callf(&t->reg, "GET", NULL, &vers, &e, "/subjects/%s/versions", esc);
    if (r == RN_ENOTFOUND && e.error_code == RN_CLI_REG_SUBJECT_NOT_FOUND) {
        fprintf(stderr, "%s: %s has no versions: any schema is compatible (level %s)\n", t->cli.cmd,
                subject, level);
        goto out;
    }
    if (r || !json_array_size(vers)) goto out;
    char list[512];
    if (!strcasecmp(level, "NONE")) {
        fprintf(stderr, "%s: level NONE: %s accepts any schema\n", t->cli.cmd, subject);
    } else if (version == LATEST || !strstr(level, "_TRANSITIVE")) {
        json_t *last = json_array_get(vers, json_array_size(vers) - 1);
        fprintf(stderr, "%s: checking against %s version %lld (the latest) at level %s\n",
                t->cli.cmd, subject, (long long)json_integer_value(last), level);
    } else {
        fprintf(stderr, "%s: checking against %s versions %s at level %s\n", t->cli.cmd, subject,
                int_list(vers, list, sizeof list), level);
    }
out:
    json_decref(cfg);
    json_decref(vers);
}

static int schema_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"schema", required_argument, NULL, OPT_SCHEMA},
        {"type", required_argument, NULL, OPT_TYPE},
        {"version", required_argument, NULL, OPT_VERSION},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
    };
    schema_ctx t;
    check_args a = {0};
    rn_cli_strv pos = {0};
    json_t *body = NULL, *res = NULL;
    char *esc = NULL, vbuf[16];
    rn_cli_reg_error e;
    const char *subject;

    ctx_init(&t, "runnel schema check");
    int rc =
        parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &check_help, check_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_positionals(&t, &pos, 1, &a.src.from_stdin, &subject)) >= 0) goto out;
    if ((rc = check_source(&t, &a.src)) >= 0) goto out;
    if ((rc = source_body(&t, &a.src, &body)) >= 0) goto out;
    if ((rc = open_registry(&t)) >= 0) goto out;
    if (!(esc = escape(&t, subject))) {
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }
    if (a.verbose) explain_check(&t, subject, esc, a.version);
    /* verbose=true: the answer says why, which is what someone checking wants to know. */
    char vpath[24] = "";
    if (a.version) snprintf(vpath, sizeof vpath, "/%s", version_str(a.version, vbuf));
    if (rn_cli_registry_callf(&t.reg, "POST", body, &res, &e,
                              "/compatibility/subjects/%s/versions%s?verbose=true", esc, vpath)) {
        rc = reg_fail(&t, "cannot check the schema", &e);
        goto out;
    }
    const json_t *ok = json_object_get(res, "is_compatible");
    if (!json_is_boolean(ok)) {
        rc = rn_cli_fail(&t.cli, "the registry's answer has no is_compatible");
        goto out;
    }
    if (json_is_true(ok)) {
        printf("compatible\n");
        rc = flush_out(&t);
        goto out;
    }
    printf("incompatible\n");
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(res, "messages"), i, m)
    {
        if (json_is_string(m)) {
            printf("  %s\n", json_string_value(m));
        } else {
            char *s = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
            if (s) printf("  %s\n", s);
            free(s);
        }
    }
    rc = flush_out(&t);
    if (rc == RN_CLI_EXIT_OK) rc = RN_CLI_EXIT_FAIL;
out:
    free(esc);
    json_decref(body);
    json_decref(res);
    rn_cli_strv_fini(&pos);
    ctx_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ delete */

typedef struct delete_args {
    int version; /* 0: the whole subject */
    int permanent;
} delete_args;

static int delete_opt(schema_ctx *t, void *state, int opt, const char *arg)
{
    delete_args *a = state;
    switch (opt) {
    case OPT_VERSION:
        return parse_version(t, arg, &a->version);
    case OPT_PERMANENT:
        a->permanent = 1;
        return 1;
    default:
        return 0;
    }
}

static int schema_delete(int argc, char **argv)
{
    static const struct option opts[] = {
        {"version", required_argument, NULL, OPT_VERSION},
        {"permanent", no_argument, NULL, OPT_PERMANENT},
    };
    schema_ctx t;
    delete_args a = {0};
    rn_cli_strv pos = {0};
    json_t *res = NULL;
    char *esc = NULL, vbuf[16];
    rn_cli_reg_error e;
    const char *subject;

    ctx_init(&t, "runnel schema delete");
    int rc =
        parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &delete_help, delete_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_positionals(&t, &pos, 1, NULL, &subject)) >= 0) goto out;
    if ((rc = open_registry(&t)) >= 0) goto out;
    if (!(esc = escape(&t, subject))) {
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }
    const char *q = a.permanent ? "?permanent=true" : "";
    int r =
        a.version
            ? rn_cli_registry_callf(&t.reg, "DELETE", NULL, &res, &e, "/subjects/%s/versions/%s%s",
                                    esc, version_str(a.version, vbuf), q)
            : rn_cli_registry_callf(&t.reg, "DELETE", NULL, &res, &e, "/subjects/%s%s", esc, q);
    if (r) {
        rc = reg_fail(&t, NULL, &e);
        switch (e.error_code) {
        case RN_CLI_REG_SUBJECT_NOT_SOFT_DELETED:
        case RN_CLI_REG_VERSION_NOT_SOFT_DELETED:
            fprintf(stderr, "%s: soft-delete it first: the same command without --permanent\n",
                    t.cli.cmd);
            break;
        case RN_CLI_REG_SUBJECT_SOFT_DELETED:
        case RN_CLI_REG_VERSION_SOFT_DELETED:
            fprintf(stderr, "%s: it is already soft-deleted; --permanent deletes it for good\n",
                    t.cli.cmd);
            break;
        default:
            break;
        }
        goto out;
    }
    const char *how = a.permanent ? "permanently deleted" : "soft-deleted";
    if (json_is_integer(res)) {
        printf("%s %s version %lld\n", how, subject, (long long)json_integer_value(res));
    } else if (json_is_array(res)) {
        char list[4096];
        printf("%s %s %s %s\n", how, subject, json_array_size(res) == 1 ? "version" : "versions",
               int_list(res, list, sizeof list));
    } else {
        printf("%s %s\n", how, subject);
    }
    rc = flush_out(&t);
out:
    free(esc);
    json_decref(res);
    rn_cli_strv_fini(&pos);
    ctx_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ config */

static const char *const LEVELS[] = {"NONE",           "BACKWARD",           "BACKWARD_TRANSITIVE",
                                     "FORWARD",        "FORWARD_TRANSITIVE", "FULL",
                                     "FULL_TRANSITIVE"};

typedef struct config_args {
    const char *set; /* one of LEVELS */
    int del;
} config_args;

static int config_opt(schema_ctx *t, void *state, int opt, const char *arg)
{
    config_args *a = state;
    switch (opt) {
    case OPT_SET:
        for (size_t i = 0; i < RN_CLI_N_ELEMS(LEVELS); i++)
            if (!strcasecmp(arg, LEVELS[i])) {
                a->set = LEVELS[i];
                return 1;
            }
        rn_cli_usage_error(t->cli.cmd,
                           "--set: unknown level '%s' (NONE, BACKWARD, BACKWARD_TRANSITIVE, "
                           "FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE)",
                           arg);
        return -1;
    case OPT_DELETE:
        a->del = 1;
        return 1;
    default:
        return 0;
    }
}

/* The level in a config answer: {"compatibilityLevel": L} or {"compatibility": L}. */
static const char *level_of(const json_t *j)
{
    const char *l = json_string_value(json_object_get(j, "compatibilityLevel"));
    return l ? l : json_string_value(json_object_get(j, "compatibility"));
}

static int schema_config(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, OPT_SET},
        {"delete", no_argument, NULL, OPT_DELETE},
    };
    schema_ctx t;
    config_args a = {0};
    rn_cli_strv pos = {0};
    json_t *res = NULL, *global = NULL, *body = NULL;
    char *esc = NULL, *path = NULL;
    rn_cli_reg_error e;
    const char *subject;

    ctx_init(&t, "runnel schema config");
    int rc =
        parse_args(&t, argc, argv, opts, RN_CLI_N_ELEMS(opts), &config_help, config_opt, &a, &pos);
    if (rc >= 0) goto out;
    if ((rc = check_positionals(&t, &pos, 0, NULL, &subject)) >= 0) goto out;
    if (a.set && a.del) {
        rc = rn_cli_usage_error(t.cli.cmd, "--set and --delete cannot be combined");
        goto out;
    }
    if ((rc = open_registry(&t)) >= 0) goto out;
    if (subject && !(esc = escape(&t, subject))) {
        rc = RN_CLI_EXIT_FAIL;
        goto out;
    }
    if (asprintf(&path, "/config%s%s", esc ? "/" : "", esc ? esc : "") < 0) {
        path = NULL;
        rc = rn_cli_fail(&t.cli, "out of memory");
        goto out;
    }
    const char *who = subject ? subject : "global";

    if (a.set) {
        if (!(body = json_pack("{s:s}", "compatibility", a.set))) {
            rc = rn_cli_fail(&t.cli, "out of memory");
            goto out;
        }
        if (rn_cli_registry_call(&t.reg, "PUT", path, body, &res, &e)) {
            rc = reg_fail(&t, "cannot set the compatibility level", &e);
            goto out;
        }
        printf("%s: compatibility set to %s\n", who, level_of(res) ? level_of(res) : a.set);
        rc = flush_out(&t);
        goto out;
    }
    if (a.del) {
        if (rn_cli_registry_call(&t.reg, "DELETE", path, NULL, &res, &e)) {
            rc = reg_fail(&t, "cannot delete the compatibility level", &e);
            if (subject && e.error_code == RN_CLI_REG_SUBJECT_NOT_FOUND)
                fprintf(stderr, "%s: %s has no compatibility level of its own to delete\n",
                        t.cli.cmd, subject);
            goto out;
        }
        const char *old = level_of(res);
        /* What applies now: the global level, whatever the registry's default is. */
        const char *now = NULL;
        if (!rn_cli_registry_call(&t.reg, "GET", "/config", NULL, &global, &e))
            now = level_of(global);
        if (subject)
            printf("%s: compatibility level %s removed; the global level %s applies\n", who,
                   old ? old : "?", now ? now : "?");
        else
            printf("global: compatibility reset to %s (was %s)\n", now ? now : "the default",
                   old ? old : "?");
        rc = flush_out(&t);
        goto out;
    }
    int r = rn_cli_registry_call(&t.reg, "GET", path, NULL, &res, &e);
    if (subject && r == RN_ENOTFOUND && e.error_code == RN_CLI_REG_NO_SUBJECT_LEVEL) {
        if (rn_cli_registry_call(&t.reg, "GET", "/config", NULL, &global, &e)) {
            rc = reg_fail(&t, NULL, &e);
            goto out;
        }
        printf("%s: %s (the global level; %s has none of its own)\n", who,
               level_of(global) ? level_of(global) : "?", subject);
        rc = flush_out(&t);
        goto out;
    }
    if (r) {
        rc = reg_fail(&t, NULL, &e);
        goto out;
    }
    printf("%s: %s\n", who, level_of(res) ? level_of(res) : "?");
    rc = flush_out(&t);
out:
    free(path);
    free(esc);
    json_decref(res);
    json_decref(global);
    json_decref(body);
    rn_cli_strv_fini(&pos);
    ctx_fini(&t);
    return rc;
}

/* ------------------------------------------------------------------ dispatch */

int rn_cli_schema_main(int argc, char **argv)
{
    if (argc < 2) {
        schema_usage(stderr);
        return RN_CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        schema_usage(stdout);
        return RN_CLI_EXIT_OK;
    }
    /* Each subcommand sees argv[0] = its own name. */
    if (!strcmp(sub, "register")) return schema_register(argc - 1, argv + 1);
    if (!strcmp(sub, "get")) return schema_get(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return schema_list(argc - 1, argv + 1);
    if (!strcmp(sub, "check")) return schema_check(argc - 1, argv + 1);
    if (!strcmp(sub, "delete")) return schema_delete(argc - 1, argv + 1);
    if (!strcmp(sub, "config")) return schema_config(argc - 1, argv + 1);
    return rn_cli_usage_error("runnel schema", "unknown subcommand '%s'", sub);
}
