/*
 * registry/jsonschema_regex.c - ECMA-262 regular expressions (the dialect JSON Schema
 * names for "pattern", "patternProperties" and format "regex") on top of PCRE2.
 *
 * PCRE2 in UTF mode without UCP already matches ECMA-262 with the "u" flag for most
 * syntax: \d, \w and \b are ASCII-only, \p{..} is Unicode, named groups and \k<name>
 * agree. The pattern is rewritten where the two differ:
 *   \s, \S      ECMA white space is Unicode (Zs, NBSP, BOM, line terminators)
 *   .           does not match \r, U+2028 or U+2029 either
 *   \uXXXX      (surrogate pairs combined) and \u{X...}  ->  \x{...}
 *   \v, \0      vertical tab, NUL (PCRE2: a class, an octal escape)
 *   \p{Letter}  long General_Category names and aliases  ->  \p{L}
 *   [] and [^]  match nothing / any character
 *   [ in class  a literal in ECMA-262, a POSIX class opener in PCRE2
 * and compiled with PCRE2_DOLLAR_ENDONLY ($ does not match before a final newline).
 * Strict mode (format "regex") also rejects what ECMA-262 lacks: escapes such as \a or
 * \Z, and (?...) groups other than (?:, (?=, (?!, (?<=, (?<! and (?<name>.
 * Not translated: variable-width lookbehind (PCRE2 10.42 rejects it: a "pattern" using it
 * fails to compile; format "regex" accepts it).
 *
 * Threads: codes are immutable; matching uses one match block per thread (allocated on
 * first use, freed by a thread-exit destructor) so validation allocates nothing.
 */
#include "registry/jsonschema_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Backtracking bounds per match: a pathological pattern fails the match (reported as a
 * validation error) instead of running for seconds. */
#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 10000u

typedef struct obuf {
    char *p;
    size_t len, cap;
    bool oom;
} obuf;

static void put(obuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(obuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads exactly 4 hex digits at s (within end); returns the value or -1. */
static long hex4(const char *s, const char *end)
{
    if (end - s < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* ECMA white space and line terminators, as the body of a character class. */
#define ECMA_SPACE "\\p{Xsp}\\x{feff}"

/* Long General_Category names (and Unicode's aliases) that PCRE2 10.42 lacks. */
static const char *const gc_names[][2] = {
    {"Letter", "L"},
    {"Cased_Letter", "LC"},
    {"Uppercase_Letter", "Lu"},
    {"Lowercase_Letter", "Ll"},
    {"Titlecase_Letter", "Lt"},
    {"Modifier_Letter", "Lm"},
    {"Other_Letter", "Lo"},
    {"Mark", "M"},
    {"Combining_Mark", "M"},
    {"Nonspacing_Mark", "Mn"},
    {"Spacing_Mark", "Mc"},
    {"Enclosing_Mark", "Me"},
    {"Number", "N"},
    {"Decimal_Number", "Nd"},
    {"digit", "Nd"},
    {"Letter_Number", "Nl"},
    {"Other_Number", "No"},
    {"Punctuation", "P"},
    {"punct", "P"},
    {"Connector_Punctuation", "Pc"},
    {"Dash_Punctuation", "Pd"},
    {"Open_Punctuation", "Ps"},
    {"Close_Punctuation", "Pe"},
    {"Initial_Punctuation", "Pi"},
    {"Final_Punctuation", "Pf"},
    {"Other_Punctuation", "Po"},
    {"Symbol", "S"},
    {"Math_Symbol", "Sm"},
    {"Currency_Symbol", "Sc"},
    {"Modifier_Symbol", "Sk"},
    {"Other_Symbol", "So"},
    {"Separator", "Z"},
    {"Space_Separator", "Zs"},
    {"Line_Separator", "Zl"},
    {"Paragraph_Separator", "Zp"},
    {"Other", "C"},
    {"Control", "Cc"},
    {"cntrl", "Cc"},
    {"Format", "Cf"},
    {"Surrogate", "Cs"},
    {"Private_Use", "Co"},
    {"Unassigned", "Cn"},
};

/* Writes \p{name} / \P{name} for the property text s[0..n), mapping long names. */
static void put_property(obuf *b, char pc, const char *s, size_t n)
{
    /* "General_Category=X" and "gc=X" name a category directly */
    if (n > 17 && memcmp(s, "General_Category=", 17) == 0) {
        s += 17;
        n -= 17;
    } else if (n > 3 && memcmp(s, "gc=", 3) == 0) {
        s += 3;
        n -= 3;
    } else if (n > 7 && memcmp(s, "Script=", 7) == 0) {
        s += 7;
        n -= 7;
    } else if (n > 3 && memcmp(s, "sc=", 3) == 0) {
        s += 3;
        n -= 3;
    }
    for (size_t i = 0; i < sizeof gc_names / sizeof gc_names[0]; i++) {
        if (strlen(gc_names[i][0]) == n && memcmp(gc_names[i][0], s, n) == 0) {
            s = gc_names[i][1];
            n = strlen(s);
            break;
        }
    }
    char head[4] = {'\\', pc, '{', '\0'};
    puts_(b, head);
    put(b, s, n);
    put(b, "}", 1);
}

/* Translates ECMA-262 src[0..len) into a PCRE2 pattern in out. Returns 0, or -1 with a
 * message in msg for syntax that is invalid (always) or not ECMA-262 (strict). */
static int translate(const char *src, size_t len, bool strict, obuf *out, char *msg, size_t msglen)
{
    const char *p = src, *end = src + len;
    bool in_class = false;
    while (p < end) {
        char c = *p;
        if (c == '\\') {
            if (p + 1 >= end) {
                snprintf(msg, msglen, "pattern ends with a backslash");
                return -1;
            }
            char e = p[1];
            switch (e) {
            case 's':
                puts_(out, in_class ? ECMA_SPACE : "[" ECMA_SPACE "]");
                p += 2;
                continue;
            case 'S':
                /* inside a class only \P{Xsp} fits: U+FEFF counts as non-space there */
                puts_(out, in_class ? "\\P{Xsp}" : "[^" ECMA_SPACE "]");
                p += 2;
                continue;
            case 'v':
                puts_(out, "\\x{0b}");
                p += 2;
                continue;
            case '0':
                if (p + 2 < end && p[2] >= '0' && p[2] <= '9') {
                    snprintf(msg, msglen, "octal escapes are not allowed");
                    return -1;
                }
                puts_(out, "\\x{0}");
                p += 2;
                continue;
            case 'u': {
                char tmp[32];
                if (p + 2 < end && p[2] == '{') {
                    const char *q = p + 3;
                    unsigned long v = 0;
                    int nd = 0;
                    while (q < end && hexval(*q) >= 0 && nd < 8) {
                        v = v * 16 + (unsigned long)hexval(*q++);
                        nd++;
                    }
                    if (q >= end || *q != '}' || nd == 0 || v > 0x10FFFF) {
                        snprintf(msg, msglen, "invalid \\u{...} escape");
                        return -1;
                    }
                    snprintf(tmp, sizeof tmp, "\\x{%lx}", v);
                    puts_(out, tmp);
                    p = q + 1;
                    continue;
                }
                long v = hex4(p + 2, end);
                if (v < 0) {
                    snprintf(msg, msglen, "invalid \\u escape");
                    return -1;
                }
                p += 6;
                if (v >= 0xD800 && v <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    long lo = hex4(p + 2, end);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    }
                }
                if (v >= 0xD800 && v <= 0xDFFF) {
                    /* a lone surrogate can never match valid UTF-8 */
                    puts_(out, "(?!)");
                    continue;
                }
                snprintf(tmp, sizeof tmp, "\\x{%lx}", (unsigned long)v);
                puts_(out, tmp);
                continue;
            }
            case 'x':
                if (end - p < 4 || hexval(p[2]) < 0 || hexval(p[3]) < 0) {
                    snprintf(msg, msglen, "invalid \\x escape");
                    return -1;
                }
                put(out, p, 4);
                p += 4;
                continue;
            case 'c':
                if (p + 2 < end && ((p[2] >= 'a' && p[2] <= 'z') || (p[2] >= 'A' && p[2] <= 'Z'))) {
                    put(out, p, 3);
                    p += 3;
                    continue;
                }
                snprintf(msg, msglen, "invalid \\c escape");
                return -1;
            case 'p':
            case 'P': {
                if (p + 2 >= end || p[2] != '{') {
                    snprintf(msg, msglen, "invalid \\%c escape", e);
                    return -1;
                }
                const char *q = memchr(p + 3, '}', (size_t)(end - (p + 3)));
                if (!q) {
                    snprintf(msg, msglen, "unterminated \\%c{", e);
                    return -1;
                }
                put_property(out, e, p + 3, (size_t)(q - (p + 3)));
                p = q + 1;
                continue;
            }
            case 'k':
                if (p + 2 >= end || p[2] != '<') {
                    snprintf(msg, msglen, "invalid \\k escape");
                    return -1;
                }
                put(out, p, 2);
                p += 2;
                continue;
            case 'd':
            case 'D':
            case 'w':
            case 'W':
            case 't':
            case 'n':
            case 'r':
            case 'f':
                put(out, p, 2);
                p += 2;
                continue;
            case 'b':
            case 'B':
                /* \b inside a class is a backspace in both dialects */
                put(out, p, 2);
                p += 2;
                continue;
            default:
                if (e >= '1' && e <= '9') {
                    put(out, p, 2);
                    p += 2;
                    continue;
                }
                if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || e == '_') {
                    if (strict) {
                        snprintf(msg, msglen, "\\%c is not an ECMA-262 escape", e);
                        return -1;
                    }
                    /* ECMA-262 without the u flag: an identity escape of the letter */
                    put(out, p + 1, 1);
                    p += 2;
                    continue;
                }
                /* identity escape of punctuation (or a UTF-8 byte): same in PCRE2 */
                put(out, p, 2);
                p += 2;
                continue;
            }
        }
        if (in_class) {
            if (c == ']') {
                in_class = false;
            } else if (c == '[') {
                puts_(out, "\\[");
                p++;
                continue;
            }
            put(out, p, 1);
            p++;
            continue;
        }
        switch (c) {
        case '[':
            if (p + 1 < end && p[1] == ']') {
                puts_(out, "(?!)");
                p += 2;
                continue;
            }
            if (p + 2 < end && p[1] == '^' && p[2] == ']') {
                puts_(out, "[\\s\\S]");
                p += 3;
                continue;
            }
            in_class = true;
            put(out, p, 1);
            p++;
            if (p < end && *p == '^') {
                put(out, p, 1);
                p++;
            }
            /* a leading ']' closes the class in ECMA-262 (an empty class), but is a
             * literal in PCRE2; the cases above took the empty ones */
            continue;
        case '.':
            puts_(out, "[^\\n\\r\\x{2028}\\x{2029}]");
            p++;
            continue;
        case '(':
            if (p + 1 < end && p[1] == '?') {
                const char *q = p + 2;
                bool ok = q < end && (*q == ':' || *q == '=' || *q == '!');
                if (!ok && q < end && *q == '<') ok = true; /* (?<= (?<! (?<name> */
                if (!ok && strict) {
                    snprintf(msg, msglen, "(?%c is not ECMA-262 group syntax", q < end ? *q : ' ');
                    return -1;
                }
            }
            put(out, p, 1);
            p++;
            continue;
        default:
            put(out, p, 1);
            p++;
            continue;
        }
    }
    if (in_class) {
        snprintf(msg, msglen, "missing terminating ] for a character class");
        return -1;
    }
    return 0;
}

pcre2_code *rn_jsonschema_regex_compile(const char *src, size_t len, bool strict, char *msg,
                                        size_t msglen)
{
    obuf out = {0};
    if (msglen) msg[0] = '\0';
    if (translate(src, len, strict, &out, msg, msglen) != 0) {
        free(out.p);
        return NULL;
    }
    if (!out.p && !out.oom) put(&out, "", 0);
    if (out.oom || !out.p) {
        free(out.p);
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)out.p, out.len, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
                                   &ec, &off, NULL);
    free(out.p);
    if (!re) {
        char buf[160];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)buf, sizeof buf);
        snprintf(msg, msglen, "%s at offset %zu", buf, (size_t)off);
        return NULL;
    }
    /* JIT is an optimisation: without it (unsupported CPU, no executable memory)
     * matching still works through the interpreter */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

bool rn_jsonschema_regex_is_valid(const char *src, size_t len)
{
    obuf out = {0};
    char msg[64];
    if (translate(src, len, true, &out, msg, sizeof msg) != 0 || out.oom) {
        free(out.p);
        return false;
    }
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(out.p ? out.p : ""), out.len,
                                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &off, NULL);
    free(out.p);
    pcre2_code_free(re);
    /* ECMA-262 allows variable-width lookbehind; PCRE2 10.42 does not */
    return re != NULL || ec == PCRE2_ERROR_LOOKBEHIND_NOT_FIXED_LENGTH;
}

/* ------------------------------------------------------------------ simple patterns */

#define SIMPLE_MAX_ATOMS 64
#define SIMPLE_MAX_COUNT 65535u

typedef struct satom {
    bool lit;         /* one literal character (before merging): set holds just it */
    uint8_t set[128]; /* ASCII only */
    uint32_t min, max;
} satom;

/* A character that stands for itself outside a class. */
static bool plain_char(unsigned char ch)
{
    return ch >= 0x20 && ch < 0x7f && !strchr("\\^$.|?*+()[]{}", ch);
}

/* Reads an escape at src[*i] == '\\' into set; false if the escape is not one we take:
 * \d, \w and escaped punctuation. *single receives the character of a literal escape
 * (for ranges in classes), or -1. */
static bool simple_escape(const char *src, size_t len, size_t *i, uint8_t *set, int *single)
{
    *single = -1;
    if (*i + 1 >= len) return false;
    unsigned char e = (unsigned char)src[*i + 1];
    *i += 2;
    if (e == 'd') {
        memset(&set['0'], 1, 10);
        return true;
    }
    if (e == 'w') {
        memset(&set['0'], 1, 10);
        memset(&set['A'], 1, 26);
        memset(&set['a'], 1, 26);
        set['_'] = 1;
        return true;
    }
    if (e < 0x7f && strchr("^$\\.*+?()[]{}|/-", e)) {
        set[e] = 1;
        *single = e;
        return true;
    }
    return false;
}

/* A class "[...]" at src[*i] == '[': literals, escapes as above and ranges; no
 * negation, no nested '[', not empty. */
static bool simple_class(const char *src, size_t len, size_t *i, uint8_t *set)
{
    size_t j = *i + 1;
    if (j >= len || src[j] == '^' || src[j] == ']') return false;
    bool any = false;
    while (j < len && src[j] != ']') {
        unsigned char ch = (unsigned char)src[j];
        int lo;
        if (ch == '\\') {
            if (!simple_escape(src, len, &j, set, &lo)) return false;
        } else if (ch >= 0x20 && ch < 0x7f && ch != '[') {
            lo = ch;
            set[ch] = 1;
            j++;
        } else {
            return false;
        }
        any = true;
        /* a range lo-hi (a '-' before ']' is a literal) */
        if (j + 1 < len && src[j] == '-' && src[j + 1] != ']') {
            if (lo < 0) return false; /* \d-x */
            j++;
            int hi;
            unsigned char h = (unsigned char)src[j];
            if (h == '\\') {
                uint8_t tmp[128] = {0};
                if (!simple_escape(src, len, &j, tmp, &hi) || hi < 0) return false;
            } else if (h >= 0x20 && h < 0x7f && h != '[') {
                hi = h;
                j++;
            } else {
                return false;
            }
            if (hi < lo) return false;
            memset(set + lo, 1, (size_t)(hi - lo + 1));
        }
    }
    if (j >= len || !any) return false;
    *i = j + 1;
    return true;
}

/* Reads a count at src[*i]: digits, at most SIMPLE_MAX_COUNT. */
static bool simple_count(const char *src, size_t len, size_t *i, uint32_t *out)
{
    size_t j = *i;
    uint32_t v = 0;
    while (j < len && src[j] >= '0' && src[j] <= '9') {
        v = v * 10 + (uint32_t)(src[j] - '0');
        if (v > SIMPLE_MAX_COUNT) return false;
        j++;
    }
    if (j == *i) return false;
    *i = j;
    *out = v;
    return true;
}

const rn_js_simple_re *rn_jsonschema_regex_simple(rn_arena *a, const char *src, size_t len)
{
    if (len == 0 || src[0] != '^') return NULL;
    satom *at = calloc(SIMPLE_MAX_ATOMS, sizeof *at);
    if (!at) return NULL;
    const rn_js_simple_re *out = NULL;
    size_t n = 0, i = 1;
    bool dollar = false;
    while (i < len) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '$') {
            if (i + 1 != len) goto done;
            dollar = true;
            break;
        }
        if (n == SIMPLE_MAX_ATOMS) goto done;
        satom *t = &at[n];
        int single;
        if (ch == '[') {
            if (!simple_class(src, len, &i, t->set)) goto done;
        } else if (ch == '\\') {
            if (!simple_escape(src, len, &i, t->set, &single)) goto done;
            t->lit = single >= 0;
        } else if (plain_char(ch)) {
            t->set[ch] = 1;
            t->lit = true;
            i++;
        } else {
            goto done;
        }
        t->min = t->max = 1;
        if (i < len && (src[i] == '+' || src[i] == '*' || src[i] == '?' || src[i] == '{')) {
            t->lit = false;
            if (src[i] == '+') {
                t->max = UINT32_MAX;
                i++;
            } else if (src[i] == '*') {
                t->min = 0;
                t->max = UINT32_MAX;
                i++;
            } else if (src[i] == '?') {
                t->min = 0;
                i++;
            } else {
                i++;
                if (!simple_count(src, len, &i, &t->min)) goto done;
                t->max = t->min;
                if (i < len && src[i] == ',') {
                    i++;
                    if (i < len && src[i] == '}')
                        t->max = UINT32_MAX;
                    else if (!simple_count(src, len, &i, &t->max) || t->max < t->min)
                        goto done;
                }
                if (i >= len || src[i] != '}') goto done;
                i++;
            }
            /* lazy and possessive forms, and a repeated repeat, are left to PCRE2 */
            if (i < len && (src[i] == '?' || src[i] == '+' || src[i] == '*' || src[i] == '{'))
                goto done;
        }
        n++;
    }
    /* greedy must be the only way: a repeat of varying count shares no character with
     * what may follow it (the atoms up to and including the next required one) */
    for (size_t k = 0; k < n; k++) {
        if (at[k].min == at[k].max) continue;
        for (size_t m = k + 1; m < n; m++) {
            for (int c = 0; c < 128; c++)
                if (at[k].set[c] && at[m].set[c]) goto done;
            if (at[m].min > 0) break;
        }
    }
    /* compile: runs of single literals become one literal atom */
    rn_js_simple_atom *atoms = rn_arena_alloc(a, (n ? n : 1) * sizeof *atoms);
    rn_js_simple_re *re = rn_arena_alloc(a, sizeof *re);
    if (!atoms || !re) goto done;
    size_t na = 0;
    for (size_t k = 0; k < n;) {
        if (at[k].lit) {
            size_t m = k;
            while (m < n && at[m].lit)
                m++;
            char *lit = rn_arena_alloc(a, m - k + 1);
            if (!lit) goto done;
            for (size_t q = k; q < m; q++)
                for (int c = 0; c < 128; c++)
                    if (at[q].set[c]) lit[q - k] = (char)c;
            atoms[na].lit = lit;
            atoms[na].min = atoms[na].max = (uint32_t)(m - k);
            na++;
            k = m;
            continue;
        }
        uint8_t *in = rn_arena_alloc(a, 256); /* zeroed: bytes >= 0x80 are never in */
        if (!in) goto done;
        memcpy(in, at[k].set, 128);
        atoms[na].in = in;
        atoms[na].min = at[k].min;
        atoms[na].max = at[k].max;
        na++;
        k++;
    }
    re->n = (uint32_t)na;
    re->dollar = dollar;
    re->atoms = atoms;
    out = re;
done:
    free(at);
    return out;
}

/* ------------------------------------------------------------------ per-thread match block */

typedef struct tls_match {
    pcre2_match_data *md;
    pcre2_match_context *mc;
} tls_match;

static _Thread_local tls_match tls;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_destroy(void *arg)
{
    tls_match *t = arg;
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mc);
    t->md = NULL;
    t->mc = NULL;
}

static void tls_init_key(void)
{
    (void)pthread_key_create(&tls_key, tls_destroy);
}

bool rn_jsonschema_regex_is_jit(const pcre2_code *re)
{
    size_t size = 0;
    return pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &size) == 0 && size > 0;
}

static int tls_setup(void)
{
    pthread_once(&tls_once, tls_init_key);
    /* one ovector pair is enough: only "is there a match" matters */
    tls.md = pcre2_match_data_create(1, NULL);
    tls.mc = pcre2_match_context_create(NULL);
    if (!tls.md || !tls.mc) {
        tls_destroy(&tls);
        return PCRE2_ERROR_NOMEMORY;
    }
    pcre2_set_match_limit(tls.mc, MATCH_LIMIT);
    pcre2_set_depth_limit(tls.mc, DEPTH_LIMIT);
    (void)pthread_setspecific(tls_key, &tls);
    return 0;
}

int rn_jsonschema_regex_search(const pcre2_code *re, bool jit, const char *s, size_t len)
{
    if (__builtin_expect(!tls.md, 0)) {
        int rc = tls_setup();
        if (rc) return rc;
    }
    /* Subjects are valid UTF-8 (both JSON parsers check): no UTF check. A JIT-compiled
     * code goes straight to the JIT (pcre2_match would only get there after its checks;
     * the match limit applies either way, the depth limit is the JIT stack's). */
    int rc = jit ? pcre2_jit_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, tls.md, tls.mc)
                 : pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, tls.md, tls.mc);
    if (rc >= 0) return 1; /* 0 means "matched, ovector too small": still a match */
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    return rc;
}
