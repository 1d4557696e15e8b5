/*
 * registry/jsonschema_format.c - the "format" checks used when formats assert (option
 * format_assert, or a 2020-12 metaschema with the format-assertion vocabulary).
 *
 * Each check follows the RFC the JSON Schema specification names: date-time, date, time
 * and duration (RFC 3339, leap seconds only at 23:59:60 UTC), email and idn-email (RFC
 * 5321/6531 mailbox), hostname (RFC 1123, with A-labels decoded and checked as U-labels)
 * and idn-hostname (RFC 5890-5893, see below), ipv4 and ipv6 (RFC 2673/4291 text forms),
 * uri, uri-reference, iri, iri-reference (RFC 3986/3987), uri-template (RFC 6570),
 * uuid (RFC 4122 text form), regex (ECMA-262, via jsonschema_regex.c), json-pointer and
 * relative-json-pointer (RFC 6901, draft-handrews-relative-json-pointer).
 *
 * IDNA2008 is approximated without its derived-property tables: a U-label may hold
 * letters other than upper/title case, marks, decimal digits and '-', plus the RFC 5892
 * exceptions; the CONTEXTJ/CONTEXTO rules and the RFC 5893 Bidi rule are checked with
 * Unicode properties from PCRE2 (script and general category) and a short list of
 * viramas. Rare code points the tables would reject may be accepted.
 * All checks are ASCII-strict where the RFCs are (no Unicode digits in dates, ports ...).
 */
#include "common/utf8.h"
#include "registry/jsonschema_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Reads n ASCII digits at s as a number; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Decodes one UTF-8 code point at s (valid UTF-8 assumed); *n gets its length. */
static uint32_t utf8_cp(const unsigned char *s, size_t len, size_t *n)
{
    uint32_t c = s[0];
    if (c < 0x80 || len < 2) {
        *n = 1;
        return c;
    }
    if (c < 0xE0) {
        *n = 2;
        return ((c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (c < 0xF0 || len < 4) {
        *n = len < 3 ? len : 3;
        return ((c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (len > 2 ? (s[2] & 0x3F) : 0);
    }
    *n = 4;
    return ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
           (s[3] & 0x3F);
}

/* ------------------------------------------------------------------ dates and times */

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool check_date(const char *s, size_t len)
{
    if (len != 10 || s[4] != '-' || s[7] != '-') return false;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1) return false;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int max = mdays[m - 1] + (m == 2 && leap_year(y));
    return d <= max;
}

/* full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM); a leap second only at 23:59:60 UTC. */
static bool check_time(const char *s, size_t len)
{
    if (len < 9 || s[2] != ':' || s[5] != ':') return false;
    int h = digits(s, 2), m = digits(s + 3, 2), sec = digits(s + 6, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return false;
    size_t i = 8;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && is_digit((unsigned char)s[i]))
            i++;
        if (i == start) return false;
    }
    if (i >= len) return false;
    int oh = 0, om = 0, sign = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        if (i + 1 != len) return false;
    } else if (s[i] == '+' || s[i] == '-') {
        if (len - i != 6 || s[i + 3] != ':') return false;
        sign = s[i] == '+' ? 1 : -1;
        oh = digits(s + i + 1, 2);
        om = digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    } else {
        return false;
    }
    if (sec == 60) {
        int utc = ((h * 60 + m) - sign * (oh * 60 + om)) % (24 * 60);
        if (utc < 0) utc += 24 * 60;
        if (utc != 23 * 60 + 59) return false;
    }
    return true;
}

static bool check_date_time(const char *s, size_t len)
{
    if (len < 20 || (s[10] != 'T' && s[10] != 't')) return false;
    return check_date(s, 10) && check_time(s + 11, len - 11);
}

/* RFC 3339 appendix A: P(n Y[n M[n D]] | n M[n D] | n D)[T(n H[n M[n S]] | n M[n S] | n S)]
 * or PnW. */
static bool check_duration(const char *s, size_t len)
{
    if (len < 3 || s[0] != 'P') return false;
    size_t i = 1;
    static const char date_units[] = "YMD", time_units[] = "HMS";
    bool any = false;
    /* weeks stand alone */
    size_t j = i;
    while (j < len && is_digit((unsigned char)s[j]))
        j++;
    if (j > i && j + 1 == len && s[j] == 'W') return true;
    for (int phase = 0; phase < 2; phase++) {
        const char *units = phase ? time_units : date_units;
        if (phase) {
            if (i == len) break;
            if (s[i] != 'T') return false;
            i++;
            if (i == len) return false; /* "T" with nothing after it */
        }
        int last = -1; /* index in units of the last component */
        while (i < len && s[i] != 'T') {
            size_t start = i;
            while (i < len && is_digit((unsigned char)s[i]))
                i++;
            if (i == start || i == len) return false;
            const char *u = strchr(units, s[i]);
            if (!u || !*u) return false;
            int idx = (int)(u - units);
            /* components must be consecutive: Y M D, never Y D */
            if (last >= 0 && idx != last + 1) return false;
            last = idx;
            i++;
            any = true;
        }
        if (phase == 1 && last < 0) return false;
    }
    return any && i == len;
}

/* ------------------------------------------------------------------ IP addresses */

static bool check_ipv4(const char *s, size_t len)
{
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        size_t start = i;
        int v = 0;
        while (i < len && is_digit((unsigned char)s[i]) && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        size_t n = i - start;
        if (n == 0 || v > 255 || (n > 1 && s[start] == '0')) return false;
        parts++;
        if (parts < 4) {
            if (i >= len || s[i] != '.') return false;
            i++;
        }
    }
    return i == len;
}

static bool check_ipv6(const char *s, size_t len)
{
    int groups = 0;
    bool gap = false;
    size_t i = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = true;
        i = 2;
        if (i == len) return true;
    } else if (len && s[0] == ':') {
        return false;
    }
    while (i < len) {
        size_t start = i;
        while (i < len && is_hex((unsigned char)s[i]) && i - start < 5)
            i++;
        size_t n = i - start;
        if (i < len && s[i] == '.') {
            /* embedded IPv4 in the last 32 bits */
            if (!check_ipv4(s + start, len - start)) return false;
            groups += 2;
            i = len;
            break;
        }
        if (n == 0 || n > 4) return false;
        groups++;
        if (i == len) break;
        if (s[i] != ':') return false;
        i++;
        if (i < len && s[i] == ':') {
            if (gap) return false;
            gap = true;
            i++;
            if (i == len) break;
        } else if (i == len) {
            return false; /* trailing single ':' */
        }
    }
    return gap ? groups < 8 : groups == 8;
}

/* ------------------------------------------------------------------ Unicode helpers (PCRE2) */

/* Regexes for the IDNA and Bidi rules, compiled once. */
enum {
    RX_MARK,        /* a combining mark */
    RX_BAD,         /* a character no U-label may hold (approximation of DISALLOWED) */
    RX_GREEK,       /* Greek script */
    RX_HEBREW,      /* Hebrew script */
    RX_KANA_HAN,    /* Hiragana, Katakana or Han (but not U+30FB) */
    RX_RTL,         /* Bidi R or AL letters (Hebrew, Arabic, Syriac, Thaana, N'Ko ...) */
    RX_JOIN_L,      /* a character of joining type L or D (approximated: Arabic/Syriac letter) */
    RX_TRANSPARENT, /* joining type T: non-spacing marks */
    RX_N
};
static const char *const rx_src[RX_N] = {
    "^\\p{M}",
    "[^\\p{Ll}\\p{Lo}\\p{Lm}\\p{Mn}\\p{Mc}\\p{Nd}\\-a-zA-Z\\x{b7}\\x{375}\\x{5f3}\\x{5f4}\\x{30fb}"
    "\\x{200c}\\x{200d}\\x{df}\\x{3c2}\\x{6fd}\\x{6fe}\\x{f0b}\\x{3007}]|[\\x{640}\\x{7fa}"
    "\\x{302e}\\x{302f}\\x{3031}-\\x{3035}\\x{303b}]",
    "^\\p{Greek}",
    "\\p{Hebrew}$",
    "[\\p{Hiragana}\\p{Katakana}\\p{Han}](?<!\\x{30fb})",
    "[\\p{Hebrew}\\p{Arabic}\\p{Syriac}\\p{Thaana}\\p{Nko}\\x{600}-\\x{605}\\x{660}-\\x{669}"
    "\\x{66b}\\x{66c}\\x{6dd}]",
    "^[\\p{Arabic}\\p{Syriac}\\p{Nko}](?<!\\p{M})",
    "^\\p{Mn}",
};
static pcre2_code *rx[RX_N];
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static void rx_init(void)
{
    for (int i = 0; i < RX_N; i++) {
        int ec;
        PCRE2_SIZE off;
        rx[i] =
            pcre2_compile((PCRE2_SPTR)rx_src[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &off, NULL);
    }
}

/* Whether code point cp matches regex id (anchored patterns test the single character). */
static bool cp_is(int id, uint32_t cp)
{
    pthread_once(&rx_once, rx_init);
    if (!rx[id]) return false;
    char buf[4];
    size_t n = rn_utf8_put(cp, buf);
    return rn_jsonschema_regex_search(rx[id], false, buf, n) == 1;
}

/* ------------------------------------------------------------------ Punycode (RFC 3492) */

#define PUNY_BASE 36
#define PUNY_TMIN 1
#define PUNY_TMAX 26
#define PUNY_SKEW 38
#define PUNY_DAMP 700

static uint32_t puny_adapt(uint32_t delta, uint32_t numpoints, bool first)
{
    delta = first ? delta / PUNY_DAMP : delta / 2;
    delta += delta / numpoints;
    uint32_t k = 0;
    while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
        delta /= PUNY_BASE - PUNY_TMIN;
        k += PUNY_BASE;
    }
    return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

/* Decodes Punycode in[0..len) into out (up to cap code points). Returns the count or -1. */
static int puny_decode(const char *in, size_t len, uint32_t *out, size_t cap)
{
    size_t b = 0;
    for (size_t j = 0; j < len; j++)
        if (in[j] == '-') b = j;
    size_t n_out = 0;
    for (size_t j = 0; j < b; j++) {
        if ((unsigned char)in[j] >= 0x80 || n_out >= cap) return -1;
        out[n_out++] = (unsigned char)in[j];
    }
    uint32_t n = 128, bias = 72;
    uint64_t i = 0;
    for (size_t in_pos = b > 0 ? b + 1 : 0; in_pos < len;) {
        uint64_t oldi = i, w = 1;
        for (uint32_t k = PUNY_BASE;; k += PUNY_BASE) {
            if (in_pos >= len) return -1;
            int c = (unsigned char)in[in_pos++];
            uint32_t digit;
            if (c >= '0' && c <= '9')
                digit = (uint32_t)(c - 22);
            else if (c >= 'A' && c <= 'Z')
                digit = (uint32_t)(c - 'A');
            else if (c >= 'a' && c <= 'z')
                digit = (uint32_t)(c - 'a');
            else
                return -1;
            i += digit * w;
            if (i > 0x7FFFFFFF) return -1;
            uint32_t t = k <= bias ? PUNY_TMIN : k >= bias + PUNY_TMAX ? PUNY_TMAX : k - bias;
            if (digit < t) break;
            w *= PUNY_BASE - t;
            if (w > 0x7FFFFFFF) return -1;
        }
        bias = puny_adapt((uint32_t)(i - oldi), (uint32_t)n_out + 1, oldi == 0);
        n += (uint32_t)(i / (n_out + 1));
        i %= n_out + 1;
        if (n > 0x10FFFF || n_out >= cap) return -1;
        memmove(out + i + 1, out + i, (n_out - i) * sizeof *out);
        out[i++] = n;
        n_out++;
    }
    return (int)n_out;
}

/* Encodes code points in[0..n) as Punycode into out (cap bytes). Returns length or -1. */
static int puny_encode(const uint32_t *in, size_t n_in, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t j = 0; j < n_in; j++) {
        if (in[j] < 0x80) {
            if (o >= cap) return -1;
            out[o++] = (char)in[j];
        }
    }
    size_t h = o, b = o;
    if (b > 0) {
        if (o >= cap) return -1;
        out[o++] = '-';
    }
    uint32_t n = 128, bias = 72;
    uint64_t delta = 0;
    while (h < n_in) {
        uint32_t m = 0xFFFFFFFF;
        for (size_t j = 0; j < n_in; j++)
            if (in[j] >= n && in[j] < m) m = in[j];
        delta += (uint64_t)(m - n) * (h + 1);
        n = m;
        for (size_t j = 0; j < n_in; j++) {
            if (in[j] < n) delta++;
            if (in[j] == n) {
                uint64_t q = delta;
                for (uint32_t k = PUNY_BASE;; k += PUNY_BASE) {
                    uint32_t t = k <= bias               ? PUNY_TMIN
                                 : k >= bias + PUNY_TMAX ? PUNY_TMAX
                                                         : k - bias;
                    if (q < t) break;
                    uint32_t d = t + (uint32_t)((q - t) % (PUNY_BASE - t));
                    if (o >= cap) return -1;
                    out[o++] = (char)(d < 26 ? 'a' + d : '0' + d - 26);
                    q = (q - t) / (PUNY_BASE - t);
                }
                if (o >= cap) return -1;
                out[o++] = (char)(q < 26 ? 'a' + q : '0' + q - 26);
                bias = puny_adapt((uint32_t)delta, (uint32_t)h + 1, h == b);
                delta = 0;
                h++;
            }
        }
        delta++;
        n++;
    }
    return (int)o;
}

/* ------------------------------------------------------------------ host names */

static bool is_virama(uint32_t c)
{
    static const uint32_t v[] = {
        0x94D,   0x9CD,   0xA4D,   0xACD,   0xB4D,   0xBCD,   0xC4D,   0xCCD,   0xD3B,   0xD3C,
        0xD4D,   0xDCA,   0xE3A,   0xEBA,   0xF84,   0x1039,  0x103A,  0x1714,  0x1734,  0x17D2,
        0x1A60,  0x1B44,  0x1BAA,  0x1BAB,  0x1BF2,  0x1BF3,  0x2D7F,  0xA806,  0xA8C4,  0xA953,
        0xA9C0,  0xAAF6,  0xABED,  0x10A3F, 0x11046, 0x1107F, 0x110B9, 0x11133, 0x11134, 0x111C0,
        0x11235, 0x112EA, 0x1134D, 0x11442, 0x114C2, 0x115BF, 0x1163F, 0x116B6, 0x1172B};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i] == c) return true;
    return false;
}

/* Bidi classes that matter to RFC 5893, approximated. */
enum { BIDI_L, BIDI_R, BIDI_AN, BIDI_EN, BIDI_NSM, BIDI_OTHER };

static int bidi_class(uint32_t c)
{
    if (c >= '0' && c <= '9') return BIDI_EN;
    if (c >= 0x6F0 && c <= 0x6F9) return BIDI_EN;
    if ((c >= 0x660 && c <= 0x669) || (c >= 0x600 && c <= 0x605) || c == 0x66B || c == 0x66C ||
        c == 0x6DD)
        return BIDI_AN;
    if (c == '-' || c == 0x200C || c == 0x200D) return BIDI_OTHER; /* ES, BN */
    if (cp_is(RX_TRANSPARENT, c)) return BIDI_NSM;
    if (cp_is(RX_RTL, c)) return BIDI_R;
    return BIDI_L;
}

/* Checks one U-label given as code points (RFC 5891 5.4, RFC 5892 contextual rules).
 * *rtl is set if the label holds right-to-left characters. */
static bool check_ulabel(const uint32_t *cp, size_t n, bool *rtl)
{
    if (n == 0) return false;
    if (cp[0] == '-' || cp[n - 1] == '-') return false;
    if (n >= 4 && cp[2] == '-' && cp[3] == '-') return false;
    if (cp_is(RX_MARK, cp[0])) return false;
    bool arabic_digits = false, ext_digits = false, kana_dot = false, kana_han = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c < 0x80) {
            if (!(is_alpha((int)c) || is_digit((int)c) || c == '-')) return false;
        } else if (cp_is(RX_BAD, c)) {
            return false;
        }
        switch (c) {
        case 0xB7: /* MIDDLE DOT: between two 'l' */
            if (i == 0 || i + 1 >= n || cp[i - 1] != 'l' || cp[i + 1] != 'l') return false;
            break;
        case 0x375: /* GREEK KERAIA: followed by Greek */
            if (i + 1 >= n || !cp_is(RX_GREEK, cp[i + 1])) return false;
            break;
        case 0x5F3:
        case 0x5F4: /* HEBREW GERESH, GERSHAYIM: preceded by Hebrew */
            if (i == 0 || !cp_is(RX_HEBREW, cp[i - 1])) return false;
            break;
        case 0x30FB:
            kana_dot = true;
            break;
        case 0x200D: /* ZWJ: after a virama */
            if (i == 0 || !is_virama(cp[i - 1])) return false;
            break;
        case 0x200C: /* ZWNJ: after a virama, or between joining letters */
            if (i > 0 && is_virama(cp[i - 1])) break;
            {
                size_t a = i;
                while (a > 0 && cp_is(RX_TRANSPARENT, cp[a - 1]))
                    a--;
                size_t b = i + 1;
                while (b < n && cp_is(RX_TRANSPARENT, cp[b]))
                    b++;
                if (a == 0 || b >= n || !cp_is(RX_JOIN_L, cp[a - 1]) || !cp_is(RX_JOIN_L, cp[b]))
                    return false;
            }
            break;
        default:
            break;
        }
        if (c >= 0x660 && c <= 0x669) arabic_digits = true;
        if (c >= 0x6F0 && c <= 0x6F9) ext_digits = true;
        if (c >= 0x3000 && c != 0x30FB && cp_is(RX_KANA_HAN, c)) kana_han = true;
    }
    if (arabic_digits && ext_digits) return false;
    if (kana_dot && !kana_han) return false;
    for (size_t i = 0; i < n; i++) {
        int b = bidi_class(cp[i]);
        if (b == BIDI_R || b == BIDI_AN) *rtl = true;
    }
    return true;
}

/* RFC 5893 section 2: the Bidi rule for one label of a domain with RTL labels. */
static bool bidi_rule(const uint32_t *cp, size_t n)
{
    int first = bidi_class(cp[0]);
    if (first != BIDI_L && first != BIDI_R) return false;
    /* the last character that is not NSM */
    size_t last = n;
    while (last > 0 && bidi_class(cp[last - 1]) == BIDI_NSM)
        last--;
    if (last == 0) return false;
    int end = bidi_class(cp[last - 1]);
    if (first == BIDI_R) {
        bool en = false, an = false;
        for (size_t i = 0; i < n; i++) {
            int b = bidi_class(cp[i]);
            if (b == BIDI_L) return false;
            en |= b == BIDI_EN;
            an |= b == BIDI_AN;
        }
        if (en && an) return false;
        return end == BIDI_R || end == BIDI_EN || end == BIDI_AN;
    }
    for (size_t i = 0; i < n; i++) {
        int b = bidi_class(cp[i]);
        if (b == BIDI_R || b == BIDI_AN) return false;
    }
    return end == BIDI_L || end == BIDI_EN;
}

#define MAX_LABEL_CP 256

/* hostname (idn false) or idn-hostname (idn true). */
static bool check_hostname(const char *s, size_t len, bool idn)
{
    if (len == 0) return false;
    uint32_t cps[MAX_LABEL_CP];
    size_t total = 0; /* length in A-label form, with dots */
    bool any_rtl = false;
    /* two passes: check labels, then (if any label is RTL) the Bidi rule on each */
    for (int pass = 0; pass < 2; pass++) {
        size_t i = 0;
        total = 0;
        while (true) {
            /* collect one label as code points */
            size_t n = 0;
            bool ascii = true;
            size_t start = i;
            while (i < len) {
                size_t k;
                uint32_t c = utf8_cp((const unsigned char *)s + i, len - i, &k);
                if (c == '.' || (idn && (c == 0x3002 || c == 0xFF0E || c == 0xFF61))) break;
                if (c >= 0x80) {
                    if (!idn) return false;
                    ascii = false;
                }
                if (n >= MAX_LABEL_CP) return false;
                cps[n++] = c;
                i += k;
            }
            if (n == 0) return false; /* empty label: leading, trailing or double dot */
            size_t alen = n;
            bool label_rtl = false;
            if (ascii) {
                if (n > 63) return false;
                bool xn = n >= 4 && (s[start] == 'x' || s[start] == 'X') &&
                          (s[start + 1] == 'n' || s[start + 1] == 'N') && s[start + 2] == '-' &&
                          s[start + 3] == '-';
                if (xn) {
                    uint32_t u[MAX_LABEL_CP];
                    int un = puny_decode(s + start + 4, n - 4, u, MAX_LABEL_CP);
                    if (un <= 0) return false;
                    bool all_ascii = true;
                    for (int q = 0; q < un; q++)
                        all_ascii &= u[q] < 0x80;
                    if (all_ascii) return false;
                    char re[64];
                    int rl = puny_encode(u, (size_t)un, re, sizeof re);
                    if (rl < 0 || (size_t)rl != n - 4 || strncasecmp(re, s + start + 4, n - 4) != 0)
                        return false; /* not canonical */
                    if (!check_ulabel(u, (size_t)un, &label_rtl)) return false;
                    if (pass == 1 && any_rtl && !bidi_rule(u, (size_t)un)) return false;
                } else {
                    for (size_t q = 0; q < n; q++)
                        if (!(is_alpha((int)cps[q]) || is_digit((int)cps[q]) || cps[q] == '-'))
                            return false;
                    if (cps[0] == '-' || cps[n - 1] == '-') return false;
                    if (n >= 4 && cps[2] == '-' && cps[3] == '-') return false;
                    if (pass == 1 && any_rtl && !bidi_rule(cps, n)) return false;
                }
            } else {
                if (!check_ulabel(cps, n, &label_rtl)) return false;
                char a[80];
                int al = puny_encode(cps, n, a, sizeof a);
                if (al < 0 || al + 4 > 63) return false;
                alen = (size_t)al + 4;
                if (pass == 1 && any_rtl && !bidi_rule(cps, n)) return false;
            }
            any_rtl |= label_rtl;
            total += alen;
            if (i >= len) break;
            size_t k;
            utf8_cp((const unsigned char *)s + i, len - i, &k);
            i += k;
            total++;
            if (i >= len) return false; /* trailing dot */
        }
        if (total > 253) return false;
        if (!any_rtl) break;
    }
    return true;
}

/* ------------------------------------------------------------------ email */

static bool atext(unsigned char c, bool idn)
{
    return is_alpha(c) || is_digit(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL ||
           (idn && c >= 0x80);
}

static bool check_email(const char *s, size_t len, bool idn)
{
    if (memchr(s, '\0', len)) return false;
    const char *at = NULL;
    size_t i = 0;
    if (len && s[0] == '"') {
        /* quoted local part */
        for (i = 1; i < len && s[i] != '"'; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\') {
                if (++i >= len || (unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
                    return false;
            } else if (!(c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) ||
                         (idn && c >= 0x80))) {
                return false;
            }
        }
        if (i >= len || i + 1 >= len || s[i + 1] != '@') return false;
        at = s + i + 1;
    } else {
        /* dot-string: atoms separated by single dots */
        bool prev_dot = true;
        for (; i < len && s[i] != '@'; i++) {
            if (s[i] == '.') {
                if (prev_dot) return false;
                prev_dot = true;
            } else if (atext((unsigned char)s[i], idn)) {
                prev_dot = false;
            } else {
                return false;
            }
        }
        if (i == 0 || i >= len || prev_dot) return false;
        at = s + i;
    }
    if ((size_t)(at - s) > 64 && !idn) return false;
    const char *dom = at + 1;
    size_t dlen = len - (size_t)(dom - s);
    if (dlen == 0) return false;
    if (dom[0] == '[') {
        if (dom[dlen - 1] != ']') return false;
        if (dlen > 7 && strncmp(dom + 1, "IPv6:", 5) == 0) return check_ipv6(dom + 6, dlen - 7);
        return check_ipv4(dom + 1, dlen - 2);
    }
    return check_hostname(dom, dlen, idn);
}

/* ------------------------------------------------------------------ URIs (RFC 3986/3987) */

static bool unreserved(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool sub_delim(unsigned char c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Accepts s[i..] while chars are in the class (extra: more allowed ASCII); percent
 * escapes always; non-ASCII only for IRIs. Returns false on a bad escape or NUL. */
static bool span(const char *s, size_t len, size_t *i, const char *extra, bool iri, char stop1,
                 char stop2)
{
    while (*i < len) {
        unsigned char c = (unsigned char)s[*i];
        if (c == (unsigned char)stop1 || c == (unsigned char)stop2) return true;
        if (c == '%') {
            if (*i + 2 >= len || !is_hex((unsigned char)s[*i + 1]) ||
                !is_hex((unsigned char)s[*i + 2]))
                return false;
            *i += 3;
            continue;
        }
        if (unreserved(c) || sub_delim(c) || (c && strchr(extra, c)) || (iri && c >= 0x80)) {
            (*i)++;
            continue;
        }
        return false;
    }
    return true;
}

static bool check_authority(const char *a, size_t len, bool iri)
{
    const char *atsign = memchr(a, '@', len);
    size_t i = 0;
    if (atsign) {
        size_t ul = (size_t)(atsign - a);
        size_t k = 0;
        if (!span(a, ul, &k, ":", iri, 0, 0) || k != ul) return false;
        i = ul + 1;
    }
    /* host */
    if (i < len && a[i] == '[') {
        const char *close = memchr(a + i, ']', len - i);
        if (!close) return false;
        size_t hl = (size_t)(close - (a + i + 1));
        const char *h = a + i + 1;
        if (hl > 0 && (h[0] == 'v' || h[0] == 'V')) {
            /* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
            size_t k = 1;
            while (k < hl && is_hex((unsigned char)h[k]))
                k++;
            if (k == 1 || k >= hl || h[k] != '.' || k + 1 >= hl) return false;
            for (k++; k < hl; k++)
                if (!unreserved((unsigned char)h[k]) && !sub_delim((unsigned char)h[k]) &&
                    h[k] != ':')
                    return false;
        } else if (!check_ipv6(h, hl)) {
            return false;
        }
        i = (size_t)(close - a) + 1;
    } else {
        size_t k = i;
        if (!span(a, len, &k, "", iri, ':', 0)) return false;
        i = k;
    }
    if (i < len) {
        if (a[i] != ':') return false;
        for (i++; i < len; i++)
            if (!is_digit((unsigned char)a[i])) return false;
    }
    return true;
}

/* uri (reference false) / uri-reference (true); iri allows non-ASCII. */
static bool check_uri(const char *s, size_t len, bool iri, bool reference)
{
    if (memchr(s, '\0', len)) return false;
    size_t i = 0;
    /* scheme */
    bool scheme = false;
    if (len && is_alpha((unsigned char)s[0])) {
        size_t k = 1;
        while (k < len && (is_alpha((unsigned char)s[k]) || is_digit((unsigned char)s[k]) ||
                           s[k] == '+' || s[k] == '-' || s[k] == '.'))
            k++;
        if (k < len && s[k] == ':') {
            scheme = true;
            i = k + 1;
        }
    }
    if (!scheme && !reference) return false;
    /* hier-part / relative-part */
    if (i + 1 < len && s[i] == '/' && s[i + 1] == '/') {
        size_t a = i + 2, e = a;
        while (e < len && s[e] != '/' && s[e] != '?' && s[e] != '#')
            e++;
        if (!check_authority(s + a, e - a, iri)) return false;
        i = e;
    } else if (!scheme) {
        /* path-noscheme: no ':' in the first segment */
        size_t k = i;
        while (k < len && s[k] != '/' && s[k] != '?' && s[k] != '#') {
            if (s[k] == ':') return false;
            k++;
        }
    }
    if (!span(s, len, &i, ":@/", iri, '?', '#')) return false;
    if (i < len && s[i] == '?') {
        i++;
        if (!span(s, len, &i, ":@/?", iri, '#', 0)) return false;
    }
    if (i < len && s[i] == '#') {
        i++;
        if (!span(s, len, &i, ":@/?", iri, 0, 0)) return false;
    }
    return i == len;
}

/* RFC 6570: literals and {expressions} with an optional operator and varspecs. */
static bool check_uri_template(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '{') {
            i++;
            if (i < len && strchr("+#./;?&=,!@|", s[i]) && s[i]) i++;
            bool first = true;
            while (true) {
                if (!first) {
                    if (i < len && s[i] == ',')
                        i++;
                    else
                        break;
                }
                first = false;
                size_t start = i;
                while (i < len) {
                    unsigned char v = (unsigned char)s[i];
                    if (is_alpha(v) || is_digit(v) || v == '_') {
                        i++;
                    } else if (v == '%' && i + 2 < len && is_hex((unsigned char)s[i + 1]) &&
                               is_hex((unsigned char)s[i + 2])) {
                        i += 3;
                    } else if (v == '.' && i > start && i + 1 < len && s[i + 1] != '.') {
                        i++;
                    } else {
                        break;
                    }
                }
                if (i == start || s[i - 1] == '.') return false;
                if (i < len && s[i] == '*') {
                    i++;
                } else if (i < len && s[i] == ':') {
                    i++;
                    size_t d = i;
                    while (i < len && is_digit((unsigned char)s[i]) && i - d < 4)
                        i++;
                    if (i == d || s[d] == '0') return false;
                }
            }
            if (i >= len || s[i] != '}') return false;
            i++;
        } else if (c == '}' || c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' ||
                   c == '^' || c == '`' || c == '|' || c == 0x7F) {
            return false;
        } else if (c == '%') {
            if (i + 2 >= len || !is_hex((unsigned char)s[i + 1]) ||
                !is_hex((unsigned char)s[i + 2]))
                return false;
            i += 3;
        } else {
            i++;
        }
    }
    return true;
}

/* ------------------------------------------------------------------ the rest */

static bool check_uuid(const char *s, size_t len)
{
    if (len != 36) return false;
    for (size_t i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!is_hex((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static bool check_json_pointer(const char *s, size_t len)
{
    if (len == 0) return true;
    if (s[0] != '/') return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '~' && (i + 1 >= len || (s[i + 1] != '0' && s[i + 1] != '1'))) return false;
    return true;
}

static bool check_relative_json_pointer(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_digit((unsigned char)s[i]))
        i++;
    if (i == 0 || (i > 1 && s[0] == '0')) return false;
    if (i == len) return true;
    if (s[i] == '#') return i + 1 == len;
    return check_json_pointer(s + i, len - i);
}

static const struct {
    const char *name;
    int id;
} format_names[] = {
    {"date-time", RN_JS_FMT_DATE_TIME},
    {"date", RN_JS_FMT_DATE},
    {"time", RN_JS_FMT_TIME},
    {"duration", RN_JS_FMT_DURATION},
    {"email", RN_JS_FMT_EMAIL},
    {"idn-email", RN_JS_FMT_IDN_EMAIL},
    {"hostname", RN_JS_FMT_HOSTNAME},
    {"idn-hostname", RN_JS_FMT_IDN_HOSTNAME},
    {"ipv4", RN_JS_FMT_IPV4},
    {"ipv6", RN_JS_FMT_IPV6},
    {"uri", RN_JS_FMT_URI},
    {"uri-reference", RN_JS_FMT_URI_REFERENCE},
    {"iri", RN_JS_FMT_IRI},
    {"iri-reference", RN_JS_FMT_IRI_REFERENCE},
    {"uri-template", RN_JS_FMT_URI_TEMPLATE},
    {"uuid", RN_JS_FMT_UUID},
    {"regex", RN_JS_FMT_REGEX},
    {"json-pointer", RN_JS_FMT_JSON_POINTER},
    {"relative-json-pointer", RN_JS_FMT_RELATIVE_JSON_POINTER},
};

int rn_jsonschema_format_id(const char *name)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (strcmp(format_names[i].name, name) == 0) return format_names[i].id;
    return RN_JS_FMT_UNKNOWN;
}

bool rn_jsonschema_format_check(int id, const char *s, size_t len)
{
    switch (id) {
    case RN_JS_FMT_DATE_TIME:
        return check_date_time(s, len);
    case RN_JS_FMT_DATE:
        return check_date(s, len);
    case RN_JS_FMT_TIME:
        return check_time(s, len);
    case RN_JS_FMT_DURATION:
        return check_duration(s, len);
    case RN_JS_FMT_EMAIL:
        return check_email(s, len, false);
    case RN_JS_FMT_IDN_EMAIL:
        return check_email(s, len, true);
    case RN_JS_FMT_HOSTNAME:
        return check_hostname(s, len, false);
    case RN_JS_FMT_IDN_HOSTNAME:
        return check_hostname(s, len, true);
    case RN_JS_FMT_IPV4:
        return check_ipv4(s, len);
    case RN_JS_FMT_IPV6:
        return check_ipv6(s, len);
    case RN_JS_FMT_URI:
        return check_uri(s, len, false, false);
    case RN_JS_FMT_URI_REFERENCE:
        return check_uri(s, len, false, true);
    case RN_JS_FMT_IRI:
        return check_uri(s, len, true, false);
    case RN_JS_FMT_IRI_REFERENCE:
        return check_uri(s, len, true, true);
    case RN_JS_FMT_URI_TEMPLATE:
        return check_uri_template(s, len);
    case RN_JS_FMT_UUID:
        return check_uuid(s, len);
    case RN_JS_FMT_REGEX:
        return rn_jsonschema_regex_is_valid(s, len);
    case RN_JS_FMT_JSON_POINTER:
        return check_json_pointer(s, len);
    case RN_JS_FMT_RELATIVE_JSON_POINTER:
        return check_relative_json_pointer(s, len);
    default:
        return true;
    }
}
