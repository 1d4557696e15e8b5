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

/* A word with its length, so that lists are compared without strlen. */
typedef struct wordlen {
    const char *s;
    size_t len;
} wordlen;
/* clang-format off */
#define W(x) {x, sizeof x - 1}
/* clang-format on */

/* Prefixes that keep an irregular form past tense: "repaid", "unbound", "prepaid",
 * "overpaid", "underpaid", "misled", "withheld", "upheld", "forecast". */
static const wordlen prefixes[] = {W("re"),  W("un"),   W("pre"), W("over"), W("under"),
                                   W("mis"), W("with"), W("up"),  W("fore")};

/* Words ending in "-eed" are present tense ("need", "proceed", "succeed", "exceed",
 * "feed", "speed") unless they are one of these, whose base form ends in "-ee". */
static const wordlen eed_past[] = {W("agreed"),   W("decreed"),    W("disagreed"), W("emceed"),
                                   W("freed"),    W("guaranteed"), W("kneed"),     W("peed"),
                                   W("refereed"), W("teed"),       W("treed")};

/* Present-tense verbs that end in "-ed" without "-eed". */
static const wordlen ed_present[] = {W("embed"), W("imbed"), W("shred"), W("sled")};
#undef W

const char *const *rn_event_past_tense_builtin(size_t *n)
{
    if (n) *n = NIRREGULAR;
    return irregular;
}

/* Character classes of the eventType grammar. */
#define C_LOWER 1 /* a-z */
#define C_DIGIT 2 /* 0-9 */
static const unsigned char cls[256] = {
    ['0'] = C_DIGIT, ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT, ['4'] = C_DIGIT,
    ['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT, ['8'] = C_DIGIT, ['9'] = C_DIGIT,
    ['a'] = C_LOWER, ['b'] = C_LOWER, ['c'] = C_LOWER, ['d'] = C_LOWER, ['e'] = C_LOWER,
    ['f'] = C_LOWER, ['g'] = C_LOWER, ['h'] = C_LOWER, ['i'] = C_LOWER, ['j'] = C_LOWER,
    ['k'] = C_LOWER, ['l'] = C_LOWER, ['m'] = C_LOWER, ['n'] = C_LOWER, ['o'] = C_LOWER,
    ['p'] = C_LOWER, ['q'] = C_LOWER, ['r'] = C_LOWER, ['s'] = C_LOWER, ['t'] = C_LOWER,
    ['u'] = C_LOWER, ['v'] = C_LOWER, ['w'] = C_LOWER, ['x'] = C_LOWER, ['y'] = C_LOWER,
    ['z'] = C_LOWER,
};
#define CLS(c) cls[(unsigned char)(c)]

int rn_event_segment_ok(const char *s, size_t len)
{
    if (len == 0 || CLS(s[0]) != C_LOWER) return 0;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (CLS(c)) continue;
        if (c != '-' || i + 1 == len || s[i + 1] == '-') return 0;
    }
    return 1;
}

/* 1 if s[0..len) equals the NUL-terminated w (without strlen: stops at the first
 * difference). */
static int eq(const char *s, size_t len, const char *w)
{
    for (size_t i = 0; i < len; i++)
        if (!w[i] || w[i] != s[i]) return 0;
    return w[len] == '\0';
}

static int in_list(const char *s, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && eq(s, len, list[i])) return 1;
    return 0;
}

static int in_words(const char *s, size_t len, const wordlen *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].len == len && !memcmp(s, list[i].s, len)) return 1;
    return 0;
}

/* strcmp order of s[0..len) against the NUL-terminated w. */
static int cmp_word(const char *s, size_t len, const char *w)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)w[i];
        if (!b) return 1; /* w is a prefix of s */
        if (a != b) return a < b ? -1 : 1;
    }
    return w[len] ? -1 : 0;
}

static int is_irregular(const char *s, size_t len)
{
    size_t lo = 0, hi = NIRREGULAR;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_word(s, len, irregular[mid]);
        if (c == 0) return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* Past tense of one word (no hyphens) by the built-in rules alone. */
static int word_is_past(const char *w, size_t len)
{
    if (len >= 4 && w[len - 2] == 'e' && w[len - 1] == 'd') {
        if (w[len - 3] == 'e')
            return in_words(w, len, eed_past, sizeof eed_past / sizeof eed_past[0]);
        return !in_words(w, len, ed_present, sizeof ed_present / sizeof ed_present[0]);
    }
    if (is_irregular(w, len)) return 1;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t pl = prefixes[i].len;
        if (len > pl + 2 && memcmp(w, prefixes[i].s, pl) == 0 && is_irregular(w + pl, len - pl))
            return 1;
    }
    return 0;
}

/* rn_event_action_is_past_tense with the start of the action's last word known (0: no
 * hyphen). */
static int action_is_past(const char *action, size_t len, size_t word_off,
                          const rn_event_rules *rules)
{
    const char *word = action + word_off;
    size_t wlen = len - word_off;
    int dash = word_off > 0;
    if (rules && rules->npast_tense) {
        if (in_list(action, len, rules->past_tense, rules->npast_tense)) return 1;
        if (dash && in_list(word, wlen, rules->past_tense, rules->npast_tense)) return 1;
    }
    return word_is_past(word, wlen);
}

int rn_event_action_is_past_tense(const char *action, size_t len, const rn_event_rules *rules)
{
    size_t d = len;
    while (d > 0 && action[d - 1] != '-')
        d--;
    return action_is_past(action, len, d, rules);
}

/* 1 if domain d is allowed: equal to an entry, or a sub-domain of it ("order.item"
 * under "order"). */
static int domain_allowed(const char *d, size_t len, const rn_event_rules *rules)
{
    for (size_t i = 0; i < rules->ndomains; i++) {
        const char *a = rules->domains[i];
        if (!a) continue;
        size_t k = 0;
        while (k < len && a[k] && a[k] == d[k])
            k++;
        if (!a[k] && (k == len || d[k] == '.')) return 1;
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

/* The well-formed case in one pass: every segment (the version too) fits the segment
 * grammar, there are at least three, and the last is a version. Fills out and returns 1;
 * returns 0 for anything else, and the caller then finds the error to report. Accepts
 * exactly the types that split_type below accepts. */
static int split_fast(const char *s, size_t len, rn_event_type *out, size_t *word_off)
{
    if (len == 0 || len > TYPE_MAX_LEN) return 0;
    const char *p = s, *end = s + len;
    const char *vdot = NULL, *adot = NULL;            /* the last dot and the one before it */
    const char *seg_dash = NULL, *action_dash = NULL; /* last hyphens: segment, action */
    for (;;) {
        if (CLS(*p) != C_LOWER) return 0; /* a segment starts with a letter */
        p++;
        for (;;) {
            while (p < end && CLS(*p))
                p++;
            if (p == end || *p != '-') break;
            seg_dash = p++; /* one hyphen, then a letter or digit */
            if (p == end || !CLS(*p)) return 0;
        }
        if (p == end) break;
        if (*p != '.') return 0;
        adot = vdot;
        vdot = p++;
        action_dash = seg_dash; /* the segment before the last dot is the action */
        seg_dash = NULL;
        if (p == end) return 0;
    }
    if (!adot || !version_ok(vdot + 1, (size_t)(end - vdot - 1), &out->version)) return 0;
    out->domain = s;
    out->domain_len = (size_t)(adot - s);
    out->action = adot + 1;
    out->action_len = (size_t)(vdot - adot - 1);
    *word_off = action_dash ? (size_t)(action_dash + 1 - out->action) : 0;
    return 1;
}

/* The grammar checks in the order errors are reported: the first failure is named. */
static int split_type(const char *s, size_t len, rn_event_type *out, rn_event_errors *errs)
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
    if (!version_ok(ver, ver_len, &out->version))
        return rn_event_errors_add(errs, path,
                                   "%s: version %s must be \"v\" and a number from 1 without "
                                   "leading zeros, e.g. \"v1\"",
                                   q, rn_event_str_quote(q2, sizeof q2, ver, ver_len));
    out->domain = s;
    out->domain_len = (size_t)(adot - s);
    out->action = adot + 1;
    out->action_len = (size_t)(vdot - adot - 1);
    return RN_OK;
}

int rn_event_type_parse(const char *s, size_t len, const rn_event_rules *rules, rn_event_type *out,
                        rn_event_errors *errs)
{
    rn_event_type t = {0};
    size_t word_off;
    /* Well-formed types take the one-pass check; the rest are split again to name what
     * is wrong (an error path, so it may take longer). */
    if (!split_fast(s, len, &t, &word_off)) {
        int rc = split_type(s, len, &t, errs);
        if (rc != RN_OK) return rc;
        word_off = t.action_len;
        while (word_off > 0 && t.action[word_off - 1] != '-')
            word_off--;
    }
    if (out) *out = t;
    int domain_ok = !rules || !rules->ndomains || domain_allowed(s, t.domain_len, rules);
    int past = action_is_past(t.action, t.action_len, word_off, rules);
    if (domain_ok && past) return RN_OK;

    char q[RN_EVENT_QUOTE_BUF], q2[RN_EVENT_QUOTE_BUF];
    const char *path = "/eventType";
    rn_event_str_quote(q, sizeof q, s, len);
    int rc = RN_OK;
    if (!domain_ok)
        rc = rn_event_errors_add(errs, path, "%s: domain %s is not allowed", q,
                                 rn_event_str_quote(q2, sizeof q2, s, t.domain_len));
    if (!past)
        rc = rn_event_errors_add(errs, path, "%s: action %s is not past tense", q,
                                 rn_event_str_quote(q2, sizeof q2, t.action, t.action_len));
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
