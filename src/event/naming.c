/*
 * event/naming.c - the eventType naming rules of the guidelines: `{domain}.{action}.v{N}`
 * with lowercase segments, a past-tense action, an optionally restricted set of domains,
 * and a version number (which envelope.c compares with dataVersion's major).
 *
 * Grammar (docs/events.md, "eventType"):
 *   eventType = domain "." action ".v" N
 *   domain    = segment *("." segment)          one or more segments
 *   action    = segment
 *   segment   = [a-z] *[a-z0-9] *("-" 1*[a-z0-9])
 *   N         = [1-9] *[0-9]                    at most 9 digits
 * The whole type is at most 255 bytes.
 *
 * Past tense is decided without a dictionary, so that the broker can check every produced
 * record cheaply and predictably: the action's last hyphen-separated word must end in
 * "-ed" (with a small list of present-tense exceptions such as "need" and "embed"), or be
 * a built-in irregular past form ("paid", "sent", "held" ...), optionally after a prefix
 * such as "re" or "un" ("repaid", "unbound"), or be one of the configured extra verbs.
 * Layer: pure functions over borrowed strings; no allocation, no state.
 */
#include "event/event_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_MAX_LEN 255

/* Irregular past tenses and past participles, sorted (bsearch). Some are also present
 * forms ("set", "put", "read"); an action can't tell them apart, so they are accepted.
 * Keep sorted: a unit test checks the order. */
static const char *const irregular[] = {
    "arisen",    "arose",         "ate",      "awoke",     "awoken",     "been",       "began",
    "begun",     "bent",          "bet",      "bid",       "bitten",     "bled",       "blew",
    "blown",     "bore",          "born",     "borne",     "bought",     "bound",      "bred",
    "broadcast", "broke",         "broken",   "brought",   "built",      "burnt",      "burst",
    "came",      "cast",          "caught",   "chose",     "chosen",     "clung",      "cost",
    "crept",     "cut",           "dealt",    "did",       "done",       "drank",      "drawn",
    "dreamt",    "drew",          "driven",   "drove",     "drunk",      "dug",        "dwelt",
    "eaten",     "fallen",        "fed",      "fell",      "felt",       "fled",       "flew",
    "flown",     "flung",         "forbade",  "forbidden", "forecast",   "foresaw",    "foreseen",
    "forgave",   "forgiven",      "forgot",   "forgotten", "fought",     "found",      "froze",
    "frozen",    "gave",          "given",    "gone",      "got",        "gotten",     "grew",
    "ground",    "grown",         "had",      "heard",     "held",       "hid",        "hidden",
    "hit",       "hung",          "hurt",     "kept",      "knelt",      "knew",       "known",
    "laid",      "lain",          "leapt",    "learnt",    "led",        "left",       "lent",
    "let",       "lit",           "lost",     "made",      "meant",      "met",        "mistaken",
    "mistook",   "misunderstood", "mown",     "overcame",  "overdrawn",  "overheard",  "overridden",
    "overrode",  "oversaw",       "overseen", "overtaken", "overthrown", "overtook",   "paid",
    "proven",    "put",           "quit",     "ran",       "rang",       "read",       "rid",
    "ridden",    "risen",         "rode",     "rose",      "rung",       "said",       "sang",
    "sank",      "sat",           "saw",      "seen",      "sent",       "set",        "sewn",
    "shaken",    "shone",         "shook",    "shot",      "shown",      "shrank",     "shrunk",
    "shut",      "slept",         "slid",     "slung",     "sold",       "sought",     "sown",
    "spat",      "sped",          "spelt",    "spent",     "spilt",      "split",      "spoke",
    "spoken",    "sprang",        "spread",   "sprung",    "spun",       "stank",      "stole",
    "stolen",    "stood",         "striven",  "strove",    "struck",     "stuck",      "stung",
    "sung",      "sunk",          "swam",     "swept",     "swore",      "sworn",      "swum",
    "swung",     "taken",         "taught",   "thought",   "threw",      "thrown",     "told",
    "took",      "tore",          "torn",     "undergone", "understood", "undertaken", "undertook",
    "underwent", "undid",         "undone",   "upheld",    "upset",      "withdrawn",  "withdrew",
    "withheld",  "woke",          "woken",    "won",       "wore",       "worn",       "wound",
    "wove",      "woven",         "written",  "wrote",     "wrung",
};
#define NIRREGULAR (sizeof irregular / sizeof irregular[0])

/* Prefixes that keep an irregular form past tense: "repaid", "unbound", "prepaid",
 * "overpaid", "underpaid", "misled", "withheld", "upheld", "forecast". */
static const char *const prefixes[] = {"re",  "un",   "pre", "over", "under",
                                       "mis", "with", "up",  "fore"};

/* Words ending in "-eed" are present tense ("need", "proceed", "succeed", "exceed",
 * "feed", "speed") unless they are one of these, whose base form ends in "-ee". */
static const char *const eed_past[] = {"agreed",   "decreed",    "disagreed", "emceed",
                                       "freed",    "guaranteed", "kneed",     "peed",
                                       "refereed", "teed",       "treed"};

/* Present-tense verbs that end in "-ed" without "-eed". */
static const char *const ed_present[] = {"embed", "imbed", "shred", "sled"};

const char *const *rn_event_past_tense_builtin(size_t *n)
{
    if (n) *n = NIRREGULAR;
    return irregular;
}

int rn_event_segment_ok(const char *s, size_t len)
{
    if (len == 0 || s[0] < 'a' || s[0] > 'z') return 0;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) continue;
        if (c != '-' || i + 1 == len || s[i + 1] == '-') return 0;
    }
    return 1;
}

/* 1 if s[0..len) equals the NUL-terminated w. */
static int eq(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(s, w, len) == 0;
}

static int in_list(const char *s, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && eq(s, len, list[i])) return 1;
    return 0;
}

typedef struct slice {
    const char *p;
    size_t len;
} slice;

static int cmp_irregular(const void *key, const void *elem)
{
    const slice *k = key;
    const char *w = *(const char *const *)elem;
    size_t wl = strlen(w);
    int c = memcmp(k->p, w, k->len < wl ? k->len : wl);
    if (c) return c;
    return k->len < wl ? -1 : k->len > wl;
}

static int is_irregular(const char *s, size_t len)
{
    slice k = {s, len};
    return bsearch(&k, irregular, NIRREGULAR, sizeof irregular[0], cmp_irregular) != NULL;
}

/* Past tense of one word (no hyphens) by the built-in rules alone. */
static int word_is_past(const char *w, size_t len)
{
    if (len >= 4 && w[len - 2] == 'e' && w[len - 1] == 'd') {
        if (w[len - 3] == 'e')
            return in_list(w, len, eed_past, sizeof eed_past / sizeof eed_past[0]);
        return !in_list(w, len, ed_present, sizeof ed_present / sizeof ed_present[0]);
    }
    if (is_irregular(w, len)) return 1;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t pl = strlen(prefixes[i]);
        if (len > pl + 2 && memcmp(w, prefixes[i], pl) == 0 && is_irregular(w + pl, len - pl))
            return 1;
    }
    return 0;
}

int rn_event_action_is_past_tense(const char *action, size_t len, const rn_event_rules *rules)
{
    const char *word = action;
    size_t wlen = len;
    const char *dash = memrchr(action, '-', len);
    if (dash) {
        word = dash + 1;
        wlen = len - (size_t)(word - action);
    }
    if (rules && rules->npast_tense) {
        if (in_list(action, len, rules->past_tense, rules->npast_tense)) return 1;
        if (dash && in_list(word, wlen, rules->past_tense, rules->npast_tense)) return 1;
    }
    return word_is_past(word, wlen);
}

/* 1 if domain d is allowed: equal to an entry, or a sub-domain of it ("order.item"
 * under "order"). */
static int domain_allowed(const char *d, size_t len, const rn_event_rules *rules)
{
    for (size_t i = 0; i < rules->ndomains; i++) {
        const char *a = rules->domains[i];
        if (!a) continue;
        size_t al = strlen(a);
        if (al == len && memcmp(d, a, len) == 0) return 1;
        if (al < len && memcmp(d, a, al) == 0 && d[al] == '.') return 1;
    }
    return 0;
}

/* 1 if v[0..len) is "v" followed by 1-9 digits without a leading zero; *n gets N. */
static int version_ok(const char *v, size_t len, uint32_t *n)
{
    if (len < 2 || len > 10 || v[0] != 'v' || v[1] < '1' || v[1] > '9') return 0;
    uint32_t x = 0;
    for (size_t i = 1; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') return 0;
        x = x * 10 + (uint32_t)(v[i] - '0');
    }
    *n = x;
    return 1;
}

int rn_event_type_parse(const char *s, size_t len, const rn_event_rules *rules, rn_event_type *out,
                        rn_event_errors *errs)
{
    char q[RN_EVENT_QUOTE_BUF], q2[RN_EVENT_QUOTE_BUF];
    const char *path = "/eventType";
    if (len == 0) return rn_event_errors_add(errs, path, "must not be empty");
    rn_event_str_quote(q, sizeof q, s, len);
    if (len > TYPE_MAX_LEN)
        return rn_event_errors_add(errs, path, "%s: longer than %d bytes", q, TYPE_MAX_LEN);

    /* Split at the dots: the last segment is the version, the one before it the
     * action, and everything before that the domain. */
    const char *vdot = memrchr(s, '.', len);
    const char *adot = vdot ? memrchr(s, '.', (size_t)(vdot - s)) : NULL;
    if (!adot)
        return rn_event_errors_add(errs, path,
                                   "%s: must have the form {domain}.{action}.v{N}, e.g. "
                                   "\"order.created.v1\"",
                                   q);
    const char *ver = vdot + 1;
    size_t ver_len = len - (size_t)(ver - s);
    uint32_t version = 0;

    /* Check the segments left to right, so the first bad one is named. */
    const char *seg = s;
    for (;;) {
        const char *dot = memchr(seg, '.', (size_t)(s + len - seg));
        size_t seg_len = dot ? (size_t)(dot - seg) : (size_t)(s + len - seg);
        if (seg == ver) break;
        if (seg_len == 0) return rn_event_errors_add(errs, path, "%s: has an empty segment", q);
        if (!rn_event_segment_ok(seg, seg_len))
            return rn_event_errors_add(errs, path,
                                       "%s: segment %s must be lowercase letters, digits and "
                                       "single hyphens, starting with a letter",
                                       q, rn_event_str_quote(q2, sizeof q2, seg, seg_len));
        seg = dot + 1;
    }
    if (!version_ok(ver, ver_len, &version))
        return rn_event_errors_add(errs, path,
                                   "%s: version %s must be \"v\" and a number from 1 without "
                                   "leading zeros, e.g. \"v1\"",
                                   q, rn_event_str_quote(q2, sizeof q2, ver, ver_len));

    const char *action = adot + 1;
    size_t action_len = (size_t)(vdot - action);
    size_t domain_len = (size_t)(adot - s);
    if (out) {
        out->domain = s;
        out->domain_len = domain_len;
        out->action = action;
        out->action_len = action_len;
        out->version = version;
    }
    int rc = RN_OK;
    if (rules && rules->ndomains && !domain_allowed(s, domain_len, rules))
        rc = rn_event_errors_add(errs, path, "%s: domain %s is not allowed", q,
                                 rn_event_str_quote(q2, sizeof q2, s, domain_len));
    if (!rn_event_action_is_past_tense(action, action_len, rules))
        rc = rn_event_errors_add(errs, path, "%s: action %s is not past tense", q,
                                 rn_event_str_quote(q2, sizeof q2, action, action_len));
    return rc;
}

int rn_event_rules_check(const rn_event_rules *rules, rn_err *err)
{
    if (!rules) return RN_OK;
    if (rules->ndomains && !rules->domains)
        return rn_err_set(err, RN_EINVAL, "naming rules: %zu domains but no array",
                          rules->ndomains);
    if (rules->npast_tense && !rules->past_tense)
        return rn_err_set(err, RN_EINVAL, "naming rules: %zu verbs but no array",
                          rules->npast_tense);
    for (size_t i = 0; i < rules->ndomains; i++) {
        const char *d = rules->domains[i];
        if (!d) return rn_err_set(err, RN_EINVAL, "allowed domain %zu is NULL", i);
        size_t len = strlen(d);
        const char *seg = d;
        int ok = len > 0 && len <= TYPE_MAX_LEN;
        while (ok) {
            const char *dot = strchr(seg, '.');
            size_t sl = dot ? (size_t)(dot - seg) : strlen(seg);
            ok = rn_event_segment_ok(seg, sl);
            if (!dot) break;
            seg = dot + 1;
        }
        if (!ok)
            return rn_err_set(err, RN_EINVAL,
                              "allowed domain '%.64s' must be dot-separated segments of "
                              "lowercase letters, digits and single hyphens, each starting "
                              "with a letter",
                              d);
    }
    for (size_t i = 0; i < rules->npast_tense; i++) {
        const char *v = rules->past_tense[i];
        if (!v) return rn_err_set(err, RN_EINVAL, "past-tense verb %zu is NULL", i);
        if (!rn_event_segment_ok(v, strlen(v)))
            return rn_err_set(err, RN_EINVAL,
                              "past-tense verb '%.64s' must be lowercase letters, digits "
                              "and single hyphens, starting with a letter",
                              v);
    }
    return RN_OK;
}
