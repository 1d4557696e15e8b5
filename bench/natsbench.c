/*
 * natsbench - NATS JetStream peer for `make bench-compare`, a minimal client written
 * directly on the NATS text protocol (https://docs.nats.io/reference/reference-protocols/
 * nats-protocol) so the comparison needs no Go toolchain or NATS client library: Debian
 * ships no C client (libnats) and building the Go one offline pulls in the Go compiler.
 * Only what the benchmark needs is implemented: CONNECT/PING/PONG, SUB, PUB, MSG/HMSG, and
 * JetStream's JSON API subjects for streams and consumers.
 *
 *   natsbench pub --url H:P --count N [--window 256] [--size 1024] [--create]
 *       (re)creates stream BENCH (subject bench.events, file storage, R1, limits) when
 *       --create is given, then publishes N events, each with a reply inbox, keeping at
 *       most W publishes un-acked (JetStream's async publish). Latency per message: from
 *       queueing the PUB to parsing its PubAck.
 *   natsbench sub --url H:P --count N
 *       push consumer like nats.go's OrderedConsumer(): ephemeral, deliver all, ack none,
 *       flow control + idle heartbeat, in memory; reads until N messages.
 * Common: [--timeout S] (default 120) [--label nats].
 *
 * Prints one line: RESULT nats publish|consume key=value ... (MB = 10^6 payload bytes).
 * Exit 0 on success, 1 on setup/protocol failure, 3 on errors or timeout.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#define STREAM  "BENCH"
#define SUBJECT "bench.events"

static int g_fd = -1;
static char g_inbox[64]; /* _INBOX.<random> */

/* read buffer: [g_rpos, g_rlen) holds unparsed bytes */
static char *g_rbuf;
static size_t g_rcap = 8u << 20, g_rpos, g_rlen;

/* write buffer, flushed by wflush() */
static char *g_wbuf;
static size_t g_wcap = 8u << 20, g_wlen;

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("natsbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void wappend(const void *p, size_t n)
{
    if (g_wlen + n > g_wcap)
        fail("write buffer overflow");
    memcpy(g_wbuf + g_wlen, p, n);
    g_wlen += n;
}

static void wprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(g_wbuf + g_wlen, g_wcap - g_wlen, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= g_wcap - g_wlen)
        fail("write buffer overflow");
    g_wlen += (size_t)n;
}

static void wflush(void)
{
    size_t off = 0;
    while (off < g_wlen) {
        ssize_t w = write(g_fd, g_wbuf + off, g_wlen - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            fail("write: %s", strerror(errno));
        off += (size_t)w;
    }
    g_wlen = 0;
}

/* Read what is available (waiting up to timeout_ms for the first byte). Returns bytes read,
 * 0 on timeout. */
static size_t rfill(int timeout_ms)
{
    if (g_rpos > 0 && g_rpos == g_rlen)
        g_rpos = g_rlen = 0;
    if (g_rcap - g_rlen < 65536) { /* compact */
        memmove(g_rbuf, g_rbuf + g_rpos, g_rlen - g_rpos);
        g_rlen -= g_rpos;
        g_rpos = 0;
        if (g_rcap - g_rlen < 65536)
            fail("read buffer full");
    }
    struct pollfd pfd = {.fd = g_fd, .events = POLLIN};
    int pr = poll(&pfd, 1, timeout_ms);
    if (pr < 0 && errno != EINTR)
        fail("poll: %s", strerror(errno));
    if (pr <= 0)
        return 0;
    ssize_t r = read(g_fd, g_rbuf + g_rlen, g_rcap - g_rlen);
    if (r == 0)
        fail("server closed the connection");
    if (r < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : (fail("read: %s", strerror(errno)), 0);
    g_rlen += (size_t)r;
    return (size_t)r;
}

/* One message as delivered by MSG/HMSG; pointers into the read buffer. */
struct nmsg {
    const char *subject, *reply, *hdr, *data;
    size_t subject_len, reply_len, hdr_len, data_len;
    long sid;
};

typedef void (*msg_fn)(const struct nmsg *m);

/* Split the control line [p, end) into at most 6 space-separated tokens. */
static int tokens(const char *p, const char *end, const char **tok, size_t *len, int max)
{
    int n = 0;
    while (p < end && n < max) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        tok[n] = p;
        while (p < end && *p != ' ')
            p++;
        len[n] = (size_t)(p - tok[n]);
        n++;
    }
    return n;
}

/* Parse every complete protocol line/message in the buffer, calling fn for messages and
 * answering PINGs. Returns the number of messages delivered. */
static long parse(msg_fn fn)
{
    long count = 0;
    for (;;) {
        char *start = g_rbuf + g_rpos, *lim = g_rbuf + g_rlen;
        char *eol = memmem(start, (size_t)(lim - start), "\r\n", 2);
        if (!eol)
            break;
        size_t ll = (size_t)(eol - start);
        if (ll >= 3 && (!strncmp(start, "MSG", 3) || !strncmp(start, "HMSG", 4))) {
            int hmsg = start[0] == 'H';
            const char *tok[6];
            size_t len[6];
            int nt = tokens(start + (hmsg ? 5 : 4), eol, tok, len, 6);
            int need = hmsg ? 4 : 3; /* subject sid [reply] [hdrlen] total */
            if (nt < need || nt > need + 1)
                fail("bad message line: %.*s", (int)ll, start);
            size_t total = strtoul(tok[nt - 1], NULL, 10);
            size_t hlen = hmsg ? strtoul(tok[nt - 2], NULL, 10) : 0;
            char *body = eol + 2;
            if ((size_t)(lim - body) < total + 2)
                break; /* incomplete */
            struct nmsg m = {.subject = tok[0],
                             .subject_len = len[0],
                             .sid = strtol(tok[1], NULL, 10),
                             .reply = nt == need + 1 ? tok[2] : NULL,
                             .reply_len = nt == need + 1 ? len[2] : 0,
                             .hdr = body,
                             .hdr_len = hlen,
                             .data = body + hlen,
                             .data_len = total - hlen};
            g_rpos = (size_t)(body + total + 2 - g_rbuf);
            fn(&m);
            count++;
            continue;
        }
        if (ll >= 4 && !strncmp(start, "PING", 4)) {
            wappend("PONG\r\n", 6);
            wflush();
        } else if (ll >= 4 && !strncmp(start, "-ERR", 4)) {
            fail("server error: %.*s", (int)ll, start);
        }
        /* PONG, +OK, INFO: nothing to do */
        g_rpos = (size_t)(eol + 2 - g_rbuf);
    }
    return count;
}

static void nats_connect(const char *url)
{
    char host[256];
    const char *hp = strstr(url, "://") ? strstr(url, "://") + 3 : url;
    const char *colon = strrchr(hp, ':');
    if (!colon || (size_t)(colon - hp) >= sizeof(host))
        fail("--url wants HOST:PORT");
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai))
        fail("cannot resolve %s", url);
    g_fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (g_fd < 0 || connect(g_fd, ai->ai_addr, ai->ai_addrlen))
        fail("connect %s: %s", url, strerror(errno));
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(g_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    g_rbuf = malloc(g_rcap);
    g_wbuf = malloc(g_wcap);
    if (!g_rbuf || !g_wbuf)
        fail("out of memory");
    snprintf(g_inbox, sizeof(g_inbox), "_INBOX.%08lx%04x", (unsigned long)time(NULL),
             (unsigned)getpid() & 0xffff);
    wprintf("CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,"
            "\"name\":\"natsbench\",\"lang\":\"c\",\"version\":\"0.1\",\"protocol\":1,"
            "\"headers\":true,\"no_responders\":true}\r\nPING\r\n");
    wflush();
    double deadline = bench_now() + 10;
    for (;;) { /* wait for the PONG that answers our PING */
        char *pong = memmem(g_rbuf + g_rpos, g_rlen - g_rpos, "PONG\r\n", 6);
        if (pong) {
            char *err = memmem(g_rbuf + g_rpos, g_rlen - g_rpos, "-ERR", 4);
            if (err)
                fail("server rejected CONNECT: %.60s", err);
            g_rpos = (size_t)(pong + 6 - g_rbuf);
            return;
        }
        if (bench_now() > deadline)
            fail("no PONG from %s", url);
        rfill(100);
    }
}

/* ---- JetStream API requests (synchronous) ---------------------------------------------- */

enum { SID_API = 1, SID_ACK = 2, SID_PUSH = 3 };

static char g_api_reply[4096];
static int g_api_done;

static void on_api(const struct nmsg *m)
{
    if (m->sid != SID_API)
        return;
    size_t n = m->hdr_len + m->data_len < sizeof(g_api_reply) - 1 ? m->hdr_len + m->data_len
                                                                    : sizeof(g_api_reply) - 1;
    memcpy(g_api_reply, m->hdr, n);
    g_api_reply[n] = 0;
    g_api_done = 1;
}

/* Send body to subject and return the reply text (headers + payload). */
static const char *js_request(const char *subject, const char *body)
{
    g_api_done = 0;
    wprintf("PUB %s %s.api %zu\r\n%s\r\n", subject, g_inbox, strlen(body), body);
    wflush();
    double deadline = bench_now() + 15;
    while (!g_api_done) {
        if (bench_now() > deadline)
            fail("no reply to %s", subject);
        rfill(100);
        parse(on_api);
    }
    return g_api_reply;
}

/* ---- pub ------------------------------------------------------------------------------- */

static double *g_start, *g_lat;
static long g_acked, g_ack_errors, g_count;

static void on_ack(const struct nmsg *m)
{
    if (m->sid != SID_ACK)
        return;
    const char *dot = memrchr(m->subject, '.', m->subject_len);
    long i = dot ? strtol(dot + 1, NULL, 10) : -1;
    if (i < 0 || i >= g_count)
        return;
    g_lat[g_acked++] = (bench_now() - g_start[i]) * 1e6;
    /* a PubAck is {"stream":"BENCH","seq":N}; failures carry "error" or a status header */
    if (m->hdr_len || memmem(m->data, m->data_len, "\"error\"", 7))
        g_ack_errors++;
}

static int cmd_pub(long n, long window, int size, int create, double timeout, const char *label)
{
    char *payload = malloc((size_t)size);
    bench_payload(payload, (size_t)size);
    wprintf("SUB %s.api %d\r\n", g_inbox, SID_API);
    if (create) {
        js_request("$JS.API.STREAM.DELETE." STREAM, "");
        const char *r = js_request("$JS.API.STREAM.CREATE." STREAM,
                                   "{\"name\":\"" STREAM "\",\"subjects\":[\"" SUBJECT "\"],"
                                   "\"retention\":\"limits\",\"storage\":\"file\","
                                   "\"num_replicas\":1,\"discard\":\"old\"}");
        if (strstr(r, "\"error\""))
            fail("stream create: %s", r);
    }
    g_count = n;
    g_start = calloc((size_t)n, sizeof(double));
    g_lat = calloc((size_t)n, sizeof(double));
    wprintf("SUB %s.ack.* %d\r\n", g_inbox, SID_ACK);
    wprintf("PING\r\n");
    wflush();
    long sent = 0;
    double t0 = bench_now(), deadline = t0 + timeout, t_last = t0;
    while (g_acked < n && bench_now() < deadline) {
        while (sent < n && sent - g_acked < window) {
            wprintf("PUB " SUBJECT " %s.ack.%ld %d\r\n", g_inbox, sent, size);
            wappend(payload, (size_t)size);
            wappend("\r\n", 2);
            g_start[sent++] = bench_now();
            if (g_wlen > (1u << 20))
                wflush();
        }
        if (g_wlen)
            wflush();
        if (rfill(100) && parse(on_ack))
            t_last = bench_now();
    }
    double el = t_last - t0;
    bench_sort(g_lat, (size_t)g_acked);
    size_t k = (size_t)g_acked;
    printf("RESULT %s publish window=%ld msgs=%ld secs=%.3f msgs_per_s=%.0f MB_per_s=%.1f "
           "p50_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f errors=%ld\n",
           label, window, g_acked, el, el > 0 ? (double)g_acked / el : 0,
           el > 0 ? (double)g_acked * size / el / 1e6 : 0, bench_pct(g_lat, k, 0.5),
           bench_pct(g_lat, k, 0.99), bench_pct(g_lat, k, 0.999), bench_pct(g_lat, k, 1.0),
           g_ack_errors);
    fflush(stdout);
    if (g_acked < n)
        fprintf(stderr, "natsbench: timeout: %ld of %ld acked\n", g_acked, n);
    return g_ack_errors || g_acked < n ? 3 : 0;
}

/* ---- sub (push consumer) ----------------------------------------------------------------- */

static long g_got, g_out_of_order, g_fc_replies;
static double g_bytes;
static unsigned long long g_last_seq;

/* stream sequence from a JetStream ack subject:
 * $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending> */
static unsigned long long stream_seq(const char *r, size_t n)
{
    int dots = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i] == '.' && ++dots == 5)
            return strtoull(r + i + 1, NULL, 10);
    return 0;
}

static void on_push(const struct nmsg *m)
{
    if (m->sid != SID_PUSH)
        return;
    if (m->hdr_len >= 12 && !strncmp(m->hdr, "NATS/1.0 100", 12)) {
        /* flow control request (reply to it) or idle heartbeat (maybe with a stall
         * subject to reply to) */
        const char *reply = m->reply;
        size_t rlen = m->reply_len;
        const char *st = memmem(m->hdr, m->hdr_len, "Nats-Consumer-Stalled:", 22);
        if (!reply && st) {
            reply = st + 22;
            while (*reply == ' ')
                reply++;
            const char *e = memmem(reply, m->hdr_len - (size_t)(reply - m->hdr), "\r\n", 2);
            rlen = e ? (size_t)(e - reply) : 0;
        }
        if (reply && rlen) {
            wprintf("PUB %.*s 0\r\n\r\n", (int)rlen, reply);
            g_fc_replies++;
        }
        return;
    }
    unsigned long long seq = m->reply ? stream_seq(m->reply, m->reply_len) : 0;
    if (seq != g_last_seq + 1)
        g_out_of_order++;
    g_last_seq = seq;
    g_got++;
    g_bytes += (double)m->data_len;
}

static void on_sub_any(const struct nmsg *m)
{
    if (m->sid == SID_API)
        on_api(m);
    else
        on_push(m);
}

static int cmd_sub(long n, double timeout, const char *label)
{
    char body[1024];
    wprintf("SUB %s.api %d\r\n", g_inbox, SID_API);
    wprintf("SUB %s.push %d\r\n", g_inbox, SID_PUSH);
    double t0 = bench_now(), deadline = t0 + timeout, t_last = t0;
    snprintf(body, sizeof(body),
             "{\"stream_name\":\"" STREAM "\",\"config\":{\"deliver_subject\":\"%s.push\","
             "\"deliver_policy\":\"all\",\"ack_policy\":\"none\",\"max_deliver\":1,"
             "\"replay_policy\":\"instant\",\"flow_control\":true,"
             "\"idle_heartbeat\":5000000000,\"mem_storage\":true,\"num_replicas\":1}}",
             g_inbox);
    g_api_done = 0;
    wprintf("PUB $JS.API.CONSUMER.CREATE." STREAM " %s.api %zu\r\n%s\r\n", g_inbox, strlen(body),
            body);
    wflush();
    while (g_got < n && bench_now() < deadline) {
        if (!rfill(100))
            continue;
        long before = g_got;
        parse(on_sub_any); /* the API reply and pushed messages may share one read */
        if (g_wlen)
            wflush(); /* flow-control replies */
        if (g_got > before)
            t_last = bench_now();
        if (g_api_done && strstr(g_api_reply, "\"error\""))
            fail("consumer create: %s", g_api_reply);
    }
    double el = t_last - t0;
    printf("RESULT %s consume push msgs=%ld secs=%.3f msgs_per_s=%.0f MB_per_s=%.1f "
           "out_of_order=%ld fc_replies=%ld\n",
           label, g_got, el, el > 0 ? (double)g_got / el : 0, el > 0 ? g_bytes / el / 1e6 : 0,
           g_out_of_order, g_fc_replies);
    fflush(stdout);
    if (g_got < n)
        fprintf(stderr, "natsbench: timeout: consumed %ld of %ld\n", g_got, n);
    return g_got < n || g_out_of_order ? 3 : 0;
}

/* ---- main ------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: natsbench pub|sub --url H:P --count N [--window 256] [--size 1024]\n"
                    "         [--create] [--timeout S] [--label NAME]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *cmd = argv[1], *url = "127.0.0.1:4222", *label = "nats";
    long n = 100000, window = 256;
    int size = 1024, create = 0;
    double timeout = 120;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--create")) {
            create = 1;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (!strcmp(a, "--url"))
            url = v;
        else if (!strcmp(a, "--count"))
            n = atol(v);
        else if (!strcmp(a, "--window"))
            window = atol(v);
        else if (!strcmp(a, "--size"))
            size = atoi(v);
        else if (!strcmp(a, "--timeout"))
            timeout = atof(v);
        else if (!strcmp(a, "--label"))
            label = v;
        else
            usage();
    }
    if (n <= 0 || window <= 0 || size <= 0 || timeout <= 0)
        usage();
    nats_connect(url);
    if (!strcmp(cmd, "pub"))
        return cmd_pub(n, window, size, create, timeout, label);
    if (!strcmp(cmd, "sub"))
        return cmd_sub(n, timeout, label);
    usage();
    return 2;
}
