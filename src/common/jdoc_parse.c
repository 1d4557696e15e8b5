/*
 * common/jdoc_parse.c - the JSON parser of common/jdoc.h: recursive descent over the
 * bytes, one pass, values built into the caller's arena.
 *
 * How it stays fast (measured against the yajl -> jansson reader it replaces, see
 * BENCHMARKS.md): string bodies are scanned sixteen bytes at a time with SSE2 (eight with
 * 64-bit words elsewhere) for the four things that need attention (quote, backslash,
 * control byte, non-ASCII byte), then copied with one memcpy unless they hold escapes;
 * all strings of a document share one arena block sized by the input; the members of an
 * open object or array wait on growable stacks and are copied into the arena in one piece
 * when it closes (so a container is one contiguous array, found with no pointer chasing);
 * integers are accumulated while scanned, and reals with at most 19 significant digits
 * and a small exponent are computed exactly (Clinger's fast path) instead of calling
 * strtod.
 */
#include "common/jdoc.h"
#include "common/utf8.h"

#include <errno.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A member of an open object and, for error texts, where its name starts in the input. */
typedef struct pending {
    rn_jmember m;
    size_t key_pos;
} pending;

typedef struct parser {
    const unsigned char *start, *p, *end;
    rn_arena *a;
    rn_jdoc_error *e;
    int rc; /* first error; RN_OK while parsing goes well */
    int depth;
    char *strings; /* one arena block for every string of the document: each takes at
                    * most its quoted length (span + NUL <= span + 2 quotes), so the
                    * input's length is enough; NULL until the first string */
    size_t strings_used;
    /* members of open objects and items of open arrays, on two stacks (an item needs 16
     * bytes, a member 40); each starts in the inline array and moves to malloc to grow */
    struct pending *stack;
    size_t sp, cap;
    rn_jval *istack;
    size_t isp, icap;
    struct pending small[16];
    rn_jval ismall[32];
} parser;

/* ------------------------------------------------------------------ errors */

static int fail(parser *ps, const unsigned char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(parser *ps, const unsigned char *at, const char *fmt, ...)
{
    if (ps->rc != RN_OK) return ps->rc;
    ps->rc = RN_EINVAL;
    if (ps->e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->e->text, sizeof ps->e->text, fmt, ap);
        va_end(ap);
        size_t pos = (size_t)(at - ps->start);
        int line = 1;
        size_t line_start = 0;
        for (size_t i = 0; i < pos; i++)
            if (ps->start[i] == '\n') {
                line++;
                line_start = i + 1;
            }
        ps->e->position = pos;
        ps->e->line = line;
        ps->e->column = (int)(pos - line_start) + 1;
    }
    return RN_EINVAL;
}

static int oom(parser *ps)
{
    if (ps->rc == RN_OK) {
        ps->rc = RN_ENOMEM;
        if (ps->e) {
            snprintf(ps->e->text, sizeof ps->e->text, "out of memory");
            ps->e->position = (size_t)(ps->p - ps->start);
            ps->e->line = ps->e->column = 0;
        }
    }
    return RN_ENOMEM;
}

/* What is at p, for error texts: "'x'", "byte 0xff" or "end of input". */
static const char *describe(const parser *ps, const unsigned char *p, char buf[16])
{
    if (p >= ps->end) return "end of input";
    if (*p >= 0x21 && *p < 0x7f)
        snprintf(buf, 16, "'%c'", *p);
    else
        snprintf(buf, 16, "byte 0x%02x", *p);
    return buf;
}

/* ------------------------------------------------------------------ strings */

#define ONES           0x0101010101010101ull
#define HIGHS          0x8080808080808080ull
#define HAS_ZERO(x)    (((x)-ONES) & ~(x)&HIGHS)
#define HAS_LESS(x, n) (((x)-ONES * (n)) & ~(x)&HIGHS)

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0 (RFC 3629 table). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);
#define CONT(i) (avail > (i) && (p[i] & 0xc0) == 0x80)
    if (c >= 0xc2 && c <= 0xdf) return CONT(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (avail < 3 || !CONT(2)) return 0;
        unsigned c1 = p[1];
        if (c == 0xe0) return c1 >= 0xa0 && c1 <= 0xbf ? 3 : 0;
        if (c == 0xed) /* UTF-16 surrogates are not characters */
            return c1 >= 0x80 && c1 <= 0x9f ? 3 : 0;
        return CONT(1) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (avail < 4 || !CONT(2) || !CONT(3)) return 0;
        unsigned c1 = p[1];
        if (c == 0xf0) return c1 >= 0x90 && c1 <= 0xbf ? 4 : 0;
        if (c == 0xf4) /* nothing above U+10FFFF */
            return c1 >= 0x80 && c1 <= 0x8f ? 4 : 0;
        return CONT(1) ? 4 : 0;
    }
#undef CONT
    return 0;
}

static int hexval(unsigned c)
{
    if (c >= '0' && c <= '9') return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    return -1;
}

/* The four hex digits at p (p + 4 <= end checked by the caller), or -1. */
static long hex4(const unsigned char *p)
{
    int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);
    if ((a | b | c | d) < 0) return -1;
    return (long)a << 12 | (long)b << 8 | (long)c << 4 | (long)d;
}

/* Checks the escape at p (p[0] == '\\'); returns its length in the input, or 0 after
 * failing. *cp receives the code point of a \u escape (a pair gives one), else -1. */
static size_t check_escape(parser *ps, const unsigned char *p, long *cp)
{
    *cp = -1;
    if (p + 1 >= ps->end) {
        fail(ps, ps->end, "unterminated string");
        return 0;
    }
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return 2;
    case 'u':
        break;
    default:
        fail(ps, p, "invalid escape '\\%c' in string", p[1] >= 0x21 && p[1] < 0x7f ? p[1] : '?');
        return 0;
    }
    long u = ps->end - p >= 6 ? hex4(p + 2) : -1;
    if (u < 0) {
        fail(ps, p, "invalid \\u escape in string (four hex digits needed)");
        return 0;
    }
    if (u >= 0xdc00 && u <= 0xdfff) {
        fail(ps, p, "lone low surrogate \\u%04lx in string", u);
        return 0;
    }
    if (u >= 0xd800 && u <= 0xdbff) {
        long lo = ps->end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
        if (lo < 0xdc00 || lo > 0xdfff) {
            fail(ps, p, "high surrogate \\u%04lx in string is not followed by a low one", u);
            return 0;
        }
        *cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        return 12;
    }
    *cp = u;
    return 6;
}

/* Parses the string whose opening quote is at ps->p into the arena. Returns RN_OK with
 * *s, *len and *flags, leaving ps->p after the closing quote. */
static int parse_string(parser *ps, const char **s, uint32_t *len, uint8_t *flags)
{
    const unsigned char *body = ps->p + 1, *q = body, *end = ps->end;
    int escapes = 0, ascii = 1;
    /* pass 1: find the closing quote, checking escapes and UTF-8 on the way */
    for (;;) {
#if defined(__SSE2__)
        /* 16 bytes at a time: a signed compare below 0x20 flags control bytes and every
         * byte >= 0x80 at once */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                      space = _mm_set1_epi8(0x20);
        while (end - q >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
            __m128i hit =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                             _mm_cmplt_epi8(x, space));
            unsigned m = (unsigned)_mm_movemask_epi8(hit);
            if (m) {
                q += __builtin_ctz(m);
                goto flagged;
            }
            q += 16;
        }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - q >= 8) {
            uint64_t x;
            memcpy(&x, q, 8);
            uint64_t m = HAS_LESS(x, 0x20) | HAS_ZERO(x ^ (ONES * '"')) |
                         HAS_ZERO(x ^ (ONES * '\\')) | (x & HIGHS);
            if (m) {
                q += (unsigned)__builtin_ctzll(m) >> 3; /* the first flagged byte is exact */
                break;
            }
            q += 8;
        }
#endif
#if defined(__SSE2__)
    flagged:
#endif
        if (q >= end)
            return fail(ps, end, "unterminated string (opened at byte %zu)",
                        (size_t)(ps->p - ps->start));
        unsigned c = *q;
        if (c == '"') break;
        if (c == '\\') {
            long cp;
            size_t n = check_escape(ps, q, &cp);
            if (!n) return ps->rc;
            if (cp >= 0x80) ascii = 0;
            escapes = 1;
            q += n;
        } else if (c < 0x20) {
            return fail(ps, q, "control character 0x%02x in string (escape it)", c);
        } else if (c >= 0x80) {
            size_t n = utf8_seq(q, end);
            if (!n) return fail(ps, q, "invalid UTF-8 in string");
            ascii = 0;
            q += n;
        } else {
            q++;
        }
    }
    size_t span = (size_t)(q - body);
    if (span > UINT32_MAX) return fail(ps, ps->p, "string longer than 4 GiB");
    if (!ps->strings && !(ps->strings = rn_arena_alloc_uninit(ps->a, (size_t)(end - ps->start))))
        return oom(ps);
    char *o = ps->strings + ps->strings_used;
    ps->strings_used += span + 1;
    size_t n = 0;
    if (!escapes) {
        memcpy(o, body, span);
        n = span;
    } else { /* pass 2: decode; every escape was checked in pass 1 */
        for (const unsigned char *r = body; r < q;) {
            const unsigned char *bs = memchr(r, '\\', (size_t)(q - r));
            size_t run = (size_t)((bs ? bs : q) - r);
            memcpy(o + n, r, run);
            n += run;
            if (!bs) break;
            r = bs;
            switch (r[1]) {
            case 'b':
                o[n++] = '\b';
                r += 2;
                break;
            case 'f':
                o[n++] = '\f';
                r += 2;
                break;
            case 'n':
                o[n++] = '\n';
                r += 2;
                break;
            case 'r':
                o[n++] = '\r';
                r += 2;
                break;
            case 't':
                o[n++] = '\t';
                r += 2;
                break;
            case 'u': {
                long cp = hex4(r + 2);
                r += 6;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4(r + 2) - 0xdc00);
                    r += 6;
                }
                n += rn_utf8_put((uint32_t)cp, o + n);
                break;
            }
            default:
                o[n++] = (char)r[1];
                r += 2;
                break; /* " \ / */
            }
        }
    }
    o[n] = '\0';
    *s = o;
    *len = (uint32_t)n;
    *flags = ascii ? RN_JSTR_ASCII : 0;
    ps->p = q + 1;
    return RN_OK;
}

/* ------------------------------------------------------------------ numbers */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod in the C locale (the process's locale may use a decimal comma), on a NUL-
 * terminated copy of n bytes. Returns RN_OK, RN_ERANGE on overflow, RN_ENOMEM. */
static int slow_strtod(const unsigned char *s, size_t n, double *out)
{
    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) return RN_ENOMEM;
    memcpy(buf, s, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, c_locale_init);
    errno = 0;
    double d = c_locale ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
    int overflow = errno == ERANGE && (d > 1.0 || d < -1.0);
    if (buf != small) free(buf);
    if (overflow) return RN_ERANGE;
    *out = d;
    return RN_OK;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int parse_number(parser *ps, rn_jval *v)
{
    const unsigned char *s = ps->p, *p = s, *end = ps->end;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    char what[16];
    if (p >= end || *p < '0' || *p > '9')
        return fail(ps, p, "expected a digit after '-', found %s", describe(ps, p, what));
    uint64_t w = 0; /* significant digits, while there are at most 19 */
    int ndigits = 0, exp10 = 0, is_int = 1;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return fail(ps, p, "numbers must not have leading zeros");
    } else {
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (ndigits < 19)
                w = w * 10 + (uint64_t)(*p - '0');
            else
                exp10++; /* digits beyond 19 only matter to the slow path */
            ndigits++;
        }
    }
    if (p < end && *p == '.') {
        is_int = 0;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail(ps, p, "expected a digit after '.', found %s", describe(ps, p, what));
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (ndigits == 0 && *p == '0') { /* leading zeros of 0.000123 are not significant */
                exp10--;
                continue;
            }
            if (ndigits < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                exp10--;
            }
            ndigits++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = 0;
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p >= end || *p < '0' || *p > '9')
            return fail(ps, p, "expected a digit in the exponent, found %s", describe(ps, p, what));
        int e = 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (e < 100000) e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    ps->p = p;
    if (is_int && ndigits <= 19 && exp10 == 0) {
        if (!neg && w <= (uint64_t)INT64_MAX) {
            v->type = RN_JINT;
            v->u.i = (int64_t)w;
            return RN_OK;
        }
        if (neg && w <= (uint64_t)INT64_MAX + 1) {
            v->type = RN_JINT;
            v->u.i = w == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)w;
            return RN_OK;
        }
    }
    v->type = RN_JREAL;
    if (ndigits <= 19 && w < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        /* both operands exact, so the one rounding gives the correctly rounded result */
        double d = (double)w;
        d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
        v->u.d = neg ? -d : d;
        return RN_OK;
    }
    if (ndigits == 0) { /* 0.000, 0e5: zero whatever the exponent */
        v->u.d = neg ? -0.0 : 0.0;
        return RN_OK;
    }
    int rc = slow_strtod(s, (size_t)(p - s), &v->u.d);
    if (rc == RN_ERANGE) return fail(ps, s, "number out of the range of a double");
    if (rc) return oom(ps);
    return RN_OK;
}

/* ------------------------------------------------------------------ structure */

static inline void skip_ws(parser *ps)
{
    const unsigned char *p = ps->p, *end = ps->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

/* Doubles a stack of *cap elements of elem bytes that is either `inline_buf` or from
 * malloc. Returns the new stack, or NULL after failing. */
static void *grow(parser *ps, void *stack, const void *inline_buf, size_t *cap, size_t elem)
{
    size_t ncap = *cap * 2;
    void *n = stack == inline_buf ? malloc(ncap * elem) : realloc(stack, ncap * elem);
    if (!n) {
        oom(ps);
        return NULL;
    }
    if (stack == inline_buf) memcpy(n, inline_buf, *cap * elem);
    *cap = ncap;
    return n;
}

/* A slot on the member stack, or NULL (after failing) when it cannot grow. */
static pending *push(parser *ps)
{
    if (ps->sp == ps->cap) {
        pending *n = grow(ps, ps->stack, ps->small, &ps->cap, sizeof *n);
        if (!n) return NULL;
        ps->stack = n;
    }
    return &ps->stack[ps->sp++];
}

/* A slot on the item stack, or NULL (after failing) when it cannot grow. */
static rn_jval *push_item(parser *ps)
{
    if (ps->isp == ps->icap) {
        rn_jval *n = grow(ps, ps->istack, ps->ismall, &ps->icap, sizeof *n);
        if (!n) return NULL;
        ps->istack = n;
    }
    return &ps->istack[ps->isp++];
}

static int key_cmp(const void *x, const void *y)
{
    const rn_jmember *a = &(*(const pending *const *)x)->m, *b = &(*(const pending *const *)y)->m;
    if (a->key_len != b->key_len) return a->key_len < b->key_len ? -1 : 1;
    return memcmp(a->key, b->key, a->key_len);
}

/* The first member whose name an earlier one has too, or NULL. */
static const pending *find_duplicate(parser *ps, const pending *m, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (m[i].m.key_len == m[j].m.key_len &&
                    !memcmp(m[i].m.key, m[j].m.key, m[i].m.key_len))
                    return &m[i];
        return NULL;
    }
    const pending **sorted = rn_arena_alloc_uninit(ps->a, n * sizeof *sorted);
    if (!sorted) {
        oom(ps);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = &m[i];
    qsort(sorted, n, sizeof *sorted, key_cmp);
    for (size_t i = 1; i < n; i++)
        if (!key_cmp(&sorted[i - 1], &sorted[i]))
            return sorted[i] > sorted[i - 1] ? sorted[i] : sorted[i - 1];
    return NULL;
}

/* Writes a member name for an error text: printable ASCII as is, other bytes as '?'. */
static void printable(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++)
        dst[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n > 0 && o + 4 >= cap && o < n) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

static int parse_value(parser *ps, rn_jval *v);

static int parse_array(parser *ps, rn_jval *v)
{
    const unsigned char *open = ps->p++;
    size_t base = ps->isp;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
    } else {
        for (;;) {
            rn_jval item;
            if (parse_value(ps, &item)) return ps->rc;
            rn_jval *slot = push_item(ps);
            if (!slot) return ps->rc;
            *slot = item;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == ']') {
                ps->p++;
                break;
            }
            char what[16];
            return fail(ps, ps->p, "expected ',' or ']' in the array opened at byte %zu, found %s",
                        (size_t)(open - ps->start), describe(ps, ps->p, what));
        }
    }
    size_t n = ps->isp - base;
    rn_jval *items = NULL;
    if (n) {
        if (!(items = rn_arena_alloc_uninit(ps->a, n * sizeof *items))) return oom(ps);
        memcpy(items, ps->istack + base, n * sizeof *items);
    }
    ps->isp = base;
    v->type = RN_JARRAY;
    v->len = (uint32_t)n;
    v->u.items = items;
    return RN_OK;
}

static int parse_object(parser *ps, rn_jval *v)
{
    const unsigned char *open = ps->p++;
    size_t base = ps->sp;
    char what[16];
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
    } else {
        for (;;) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, ps->p, "expected a member name in quotes, found %s",
                            describe(ps, ps->p, what));
            size_t key_pos = (size_t)(ps->p - ps->start);
            const char *key;
            uint32_t klen;
            uint8_t kflags;
            if (parse_string(ps, &key, &klen, &kflags)) return ps->rc;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, ps->p, "expected ':' after a member name, found %s",
                            describe(ps, ps->p, what));
            ps->p++;
            rn_jval val;
            if (parse_value(ps, &val)) return ps->rc;
            pending *slot = push(ps);
            if (!slot) return ps->rc;
            slot->m.key = key;
            slot->m.key_len = klen;
            slot->m.key_flags = kflags;
            slot->m.val = val;
            slot->key_pos = key_pos;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                skip_ws(ps);
                continue;
            }
            if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                break;
            }
            return fail(ps, ps->p, "expected ',' or '}' in the object opened at byte %zu, found %s",
                        (size_t)(open - ps->start), describe(ps, ps->p, what));
        }
    }
    size_t n = ps->sp - base;
    rn_jmember *members = NULL;
    if (n) {
        const pending *dup = find_duplicate(ps, ps->stack + base, n);
        if (ps->rc) return ps->rc;
        if (dup) {
            char name[48];
            printable(name, sizeof name, dup->m.key, dup->m.key_len);
            return fail(ps, ps->start + dup->key_pos, "duplicate member name \"%s\" in object",
                        name);
        }
        if (!(members = rn_arena_alloc_uninit(ps->a, n * sizeof *members))) return oom(ps);
        for (size_t i = 0; i < n; i++)
            members[i] = ps->stack[base + i].m;
    }
    ps->sp = base;
    v->type = RN_JOBJECT;
    v->len = (uint32_t)n;
    v->u.members = members;
    return RN_OK;
}

static int parse_literal(parser *ps, const char *word, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return fail(ps, ps->p, "invalid literal (expected %s)", word);
    ps->p += n;
    return RN_OK;
}

static int parse_value(parser *ps, rn_jval *v)
{
    skip_ws(ps);
    v->flags = 0;
    v->reserved = 0;
    v->len = 0;
    v->u.i = 0;
    if (ps->p >= ps->end) return fail(ps, ps->p, "unexpected end of input (a value was expected)");
    switch (*ps->p) {
    case '"': {
        v->type = RN_JSTRING;
        return parse_string(ps, &v->u.s, &v->len, &v->flags);
    }
    case '{':
    case '[': {
        if (++ps->depth > RN_JDOC_MAX_DEPTH)
            return fail(ps, ps->p, "nested deeper than %d levels", RN_JDOC_MAX_DEPTH);
        int rc = *ps->p == '{' ? parse_object(ps, v) : parse_array(ps, v);
        ps->depth--;
        return rc;
    }
    case 't':
        v->type = RN_JBOOL;
        v->u.b = 1;
        return parse_literal(ps, "true", 4);
    case 'f':
        v->type = RN_JBOOL;
        return parse_literal(ps, "false", 5);
    case 'n':
        v->type = RN_JNULL;
        return parse_literal(ps, "null", 4);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return parse_number(ps, v);
        char what[16];
        return fail(ps, ps->p, "expected a value, found %s", describe(ps, ps->p, what));
    }
}

int rn_jdoc_parse(rn_arena *a, const void *buf, size_t len, const rn_jval **out, rn_jdoc_error *e)
{
    *out = NULL;
    parser ps;
    ps.start = ps.p = buf;
    ps.end = ps.start + len;
    ps.a = a;
    ps.e = e;
    ps.rc = RN_OK;
    ps.depth = 0;
    ps.strings = NULL;
    ps.strings_used = 0;
    ps.stack = ps.small;
    ps.sp = 0;
    ps.cap = sizeof ps.small / sizeof ps.small[0];
    ps.istack = ps.ismall;
    ps.isp = 0;
    ps.icap = sizeof ps.ismall / sizeof ps.ismall[0];
    rn_jval *root = rn_arena_alloc_uninit(a, sizeof *root);
    if (!root) return oom(&ps);
    if (parse_value(&ps, root) == RN_OK) {
        skip_ws(&ps);
        if (ps.p < ps.end) {
            char what[16];
            fail(&ps, ps.p, "unexpected %s after the JSON value", describe(&ps, ps.p, what));
        }
    }
    if (ps.stack != ps.small) free(ps.stack);
    if (ps.istack != ps.ismall) free(ps.istack);
    if (ps.rc == RN_OK) *out = root;
    return ps.rc;
}
