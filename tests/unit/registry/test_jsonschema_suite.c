/*
 * tests/unit/registry/test_jsonschema_suite.c - runs the official JSON-Schema-Test-Suite
 * against registry/jsonschema and prints one count line per suite:
 *
 *   json-schema draft7: 423 passed, 0 failed, 0 skipped
 *
 * Suites (each a Criterion test, so tests/run.sh counts them):
 *   draft7               /usr/share/json-schema-test-suite/tests/draft7 (Debian package
 *                        json-schema-test-suite; always; its remotes/ beside it)
 *   draft7_format        the Debian copy's optional/format, with formats asserting
 *   draft7_latest        ../shared/spec/json-schema-test-suite/tests/draft7 (newer copy)
 *   draft7_optional      its optional/ (format-assertion mode for optional/format)
 *   draft2020_12         ../shared/spec/json-schema-test-suite/tests/draft2020-12
 *   draft2020_12_optional  its optional/
 * The shared copy is looked up relative to the working directory (make test runs from
 * the repository root) or at $RN_JSONSCHEMA_SUITE; when absent those suites are skipped
 * with the reason.
 *
 * "http://localhost:1234/..." is mapped to the suite's remotes/ directory by the
 * resolver callback; nothing goes over the network. Tests listed in
 * tests/jsonschema/skip.txt are skipped (and counted as such). Every instance is
 * converted to an rn_jval document (rn_jdoc_from_jansson) and validated with
 * rn_jsonschema_validate_doc twice, with and without an error list; the same verdict is
 * required for the instance's text parsed by rn_jdoc_parse and through the jansson entry
 * point rn_jsonschema_validate. An invalid verdict must come with at least one error, a
 * valid one with none.
 * Set RN_JSONSCHEMA_SUITE_VERBOSE=1 to print every failing test's first error.
 */
#include "common/arena.h"
#include "common/jdoc.h"
#include "registry/jsonschema.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEBIAN_SUITE "/usr/share/json-schema-test-suite"
#define SHARED_SUITE "../shared/spec/json-schema-test-suite"
#define SKIP_FILE    "tests/jsonschema/skip.txt"

/* ------------------------------------------------------------------ skip list */

typedef struct skip_ent {
    char *file;  /* "draft7/optional/format/idn-hostname.json" */
    char *group; /* group description, or "*" */
    char *test;  /* test description, or "*" */
    int used;
} skip_ent;

static skip_ent *skips;
static size_t nskips;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Lines: FILE | GROUP | TEST | REASON ("*" matches any group or test; # comments). */
static void load_skips(void)
{
    FILE *f = fopen(SKIP_FILE, "r");
    if (!f) return;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *parts[4] = {0};
        int np = 0;
        char *p = s;
        while (np < 4) {
            char *bar = np < 3 ? strstr(p, " | ") : NULL;
            if (bar) *bar = '\0';
            parts[np++] = trim(p);
            if (!bar) break;
            p = bar + 3;
        }
        if (np < 4) continue;
        skips = realloc(skips, (nskips + 1) * sizeof *skips);
        skips[nskips].file = strdup(parts[0]);
        skips[nskips].group = strdup(parts[1]);
        skips[nskips].test = strdup(parts[2]);
        skips[nskips].used = 0;
        nskips++;
    }
    fclose(f);
}

static bool skipped(const char *file, const char *group, const char *test)
{
    for (size_t i = 0; i < nskips; i++) {
        skip_ent *e = &skips[i];
        if (strcmp(e->file, file) != 0) continue;
        if (strcmp(e->group, "*") != 0 && strcmp(e->group, group) != 0) continue;
        if (strcmp(e->test, "*") != 0 && strcmp(e->test, test) != 0) continue;
        e->used++;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------ remotes */

typedef struct suite_ctx {
    const char *remotes; /* directory */
} suite_ctx;

static int resolve_remote(void *arg, const char *uri, json_t **out, rn_err *err)
{
    const suite_ctx *sc = arg;
    const char *prefix = "http://localhost:1234/";
    if (strncmp(uri, prefix, strlen(prefix)) != 0)
        return rn_err_set(err, RN_ENOTFOUND, "not a suite remote");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", sc->remotes, uri + strlen(prefix));
    json_error_t je;
    *out = json_load_file(path, 0, &je);
    if (!*out) return rn_err_set(err, RN_ENOTFOUND, "%s: %s", path, je.text);
    return RN_OK;
}

/* ------------------------------------------------------------------ running */

typedef struct counts {
    int passed, failed, skipped;
} counts;

static bool verbose(void)
{
    const char *v = getenv("RN_JSONSCHEMA_SUITE_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

static void run_file(const char *path, const char *key, const char *remotes, int draft,
                     bool format_assert, counts *cnt)
{
    json_error_t je;
    json_t *groups = json_load_file(path, JSON_ALLOW_NUL, &je);
    if (!groups) /* bignum.json: integers beyond 64 bits */
        groups = json_load_file(path, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &je);
    if (!json_is_array(groups)) {
        printf("  FAIL %s: cannot load: %s\n", key, je.text);
        cnt->failed++;
        json_decref(groups);
        return;
    }
    suite_ctx sc = {remotes};
    rn_jsonschema_options opts = {
        .default_draft = draft == 7 ? RN_JSONSCHEMA_DRAFT7 : RN_JSONSCHEMA_DRAFT2020_12,
        .format_assert = format_assert,
        .resolver = resolve_remote,
        .resolver_arg = &sc,
    };
    rn_arena arena = {0}; /* instances as rn_jval documents, reset per test */
    size_t gi;
    json_t *g;
    json_array_foreach(groups, gi, g)
    {
        const char *gdesc = json_string_value(json_object_get(g, "description"));
        json_t *tests = json_object_get(g, "tests");
        rn_jsonschema *s = NULL;
        rn_err err;
        rn_err_clear(&err);
        int crc = -1;
        bool compiled = false;
        size_t ti;
        json_t *t;
        json_array_foreach(tests, ti, t)
        {
            const char *tdesc = json_string_value(json_object_get(t, "description"));
            bool want = json_is_true(json_object_get(t, "valid"));
            if (skipped(key, gdesc, tdesc)) {
                cnt->skipped++;
                continue;
            }
            if (!compiled) {
                crc = rn_jsonschema_compile(json_object_get(g, "schema"), &opts, &s, &err);
                compiled = true;
            }
            if (crc != RN_OK) {
                cnt->failed++;
                printf("  FAIL %s | %s | %s: compile: %s\n", key, gdesc, tdesc, err.msg);
                continue;
            }
            rn_jsonschema_errors errs;
            json_t *data = json_object_get(t, "data");
            /* the produce path: an rn_jval document, straight to the evaluator */
            rn_arena_reset(&arena);
            const rn_jval *doc = NULL;
            int cr = rn_jdoc_from_jansson(&arena, data, &doc);
            int r1 = cr == RN_OK ? rn_jsonschema_validate_doc(s, doc, &errs) : cr;
            int r2 = cr == RN_OK ? rn_jsonschema_validate_doc(s, doc, NULL) : cr;
            /* the same instance from its text through rn_jdoc_parse, and the jansson entry
             * point: the same verdict */
            char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
            const rn_jval *parsed = NULL;
            int pr = text ? rn_jdoc_parse(&arena, text, strlen(text), &parsed, NULL) : RN_ENOMEM;
            free(text);
            int r3 = pr == RN_OK ? rn_jsonschema_validate_doc(s, parsed, NULL) : pr;
            int r4 = rn_jsonschema_validate(s, data, NULL);
            bool got = r1 == RN_OK;
            const char *why = NULL;
            if (cr != RN_OK)
                why = "rn_jdoc_from_jansson failed";
            else if (pr != RN_OK)
                why = "rn_jdoc_parse rejected the instance's text";
            else if (r1 != r2)
                why = "verdict differs with and without an error list";
            else if (r3 != r2)
                why = "verdict differs for the instance parsed from text";
            else if (r4 != r2)
                why = "verdict differs through rn_jsonschema_validate (jansson)";
            else if (got != want)
                why = want ? "expected valid" : "expected invalid";
            else if (!got && errs.n == 0)
                why = "invalid without an error";
            else if (got && errs.n != 0)
                why = "valid with errors";
            if (!why) {
                cnt->passed++;
                continue;
            }
            cnt->failed++;
            char line[800] = "";
            if (errs.n) rn_jsonschema_error_format(&errs.e[0], line, sizeof line);
            printf("  FAIL %s | %s | %s: %s (rc %d/%d/%d/%d)%s%s\n", key, gdesc, tdesc, why, r1, r2,
                   r3, r4, errs.n ? ": " : "", line);
            if (verbose()) {
                char *sj = json_dumps(json_object_get(g, "schema"), JSON_COMPACT | JSON_ENCODE_ANY);
                char *dj = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
                printf("       schema %s\n       data   %s\n", sj, dj);
                free(sj);
                free(dj);
            }
        }
        rn_jsonschema_free(s);
    }
    rn_arena_fini(&arena);
    json_decref(groups);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.json under dir (recursing when recurse), key prefix kp ("draft7"). Files
 * under a "format" directory run with formats asserting (or all, when format_all). */
static void run_dir(const char *dir, const char *kp, const char *remotes, int draft, bool recurse,
                    bool format_all, counts *cnt)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096], key[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(key, sizeof key, "%s/%s", kp, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (recurse)
                run_dir(path, key, remotes, draft, true,
                        format_all || strcmp(names[i], "format") == 0, cnt);
        } else if (strlen(names[i]) > 5 && strcmp(names[i] + strlen(names[i]) - 5, ".json") == 0) {
            run_file(path, key, remotes, draft, format_all, cnt);
        }
        free(names[i]);
    }
    free(names);
}

static const char *shared_root(void)
{
    const char *env = getenv("RN_JSONSCHEMA_SUITE");
    return env && *env ? env : SHARED_SUITE;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Runs one suite and asserts it has no failures. sub: "tests/draft7" or with
 * "/optional"; name: the label of the count line. */
static void suite(const char *root, const char *draft_dir, const char *sub, const char *name,
                  int draft, bool recurse, bool format_all)
{
    char dir[4096], remotes[4096], kp[256];
    snprintf(dir, sizeof dir, "%s/tests/%s%s", root, draft_dir, sub);
    snprintf(remotes, sizeof remotes, "%s/remotes", root);
    snprintf(kp, sizeof kp, "%s%s", draft_dir, sub);
    if (!is_dir(dir)) {
        printf("json-schema %s: skipped: %s not found\n", name, dir);
        cr_skip_test("%s not found (suite %s skipped)", dir, name);
    }
    load_skips();
    counts cnt = {0};
    run_dir(dir, kp, remotes, draft, recurse, format_all, &cnt);
    for (size_t i = 0; i < nskips; i++)
        if (!skips[i].used && strncmp(skips[i].file, kp, strlen(kp)) == 0 &&
            (recurse || !strchr(skips[i].file + strlen(kp) + 1, '/')))
            printf("  note: skip entry not used: %s | %s | %s\n", skips[i].file, skips[i].group,
                   skips[i].test);
    printf("json-schema %s: %d passed, %d failed, %d skipped\n", name, cnt.passed, cnt.failed,
           cnt.skipped);
    fflush(stdout);
    cr_assert(cnt.passed > 0, "suite %s ran no test", name);
    cr_expect_eq(cnt.failed, 0, "json-schema %s: %d passed, %d failed, %d skipped", name,
                 cnt.passed, cnt.failed, cnt.skipped);
}

Test(jsonschema_suite, draft7, .timeout = 120)
{
    suite(DEBIAN_SUITE, "draft7", "", "draft7", 7, false, false);
}

Test(jsonschema_suite, draft7_format, .timeout = 120)
{
    suite(DEBIAN_SUITE, "draft7", "/optional/format", "draft7 optional/format", 7, false, true);
}

Test(jsonschema_suite, draft7_latest, .timeout = 120)
{
    suite(shared_root(), "draft7", "", "draft7 (latest)", 7, false, false);
}

Test(jsonschema_suite, draft7_optional, .timeout = 120)
{
    suite(shared_root(), "draft7", "/optional", "draft7 optional (latest)", 7, true, false);
}

Test(jsonschema_suite, draft2020_12, .timeout = 120)
{
    suite(shared_root(), "draft2020-12", "", "draft2020-12", 2020, false, false);
}

Test(jsonschema_suite, draft2020_12_optional, .timeout = 120)
{
    suite(shared_root(), "draft2020-12", "/optional", "draft2020-12 optional", 2020, true, false);
}
