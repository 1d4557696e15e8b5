/*
 * cli/cmd_serve.c - `runnel serve`: parse flags and the config file, open the broker,
 * bind the Kafka and HTTP listeners, print the single ready line, run the loop, and shut
 * down cleanly on SIGTERM/SIGINT (in-flight requests answered, files synced, exit 0).
 */
#include "broker/broker.h"
#include "cli/cli.h"
#include "common/diag.h"
#include "common/timeutil.h"
#include "http/http.h"
#include "kafka/api/api.h"
#include "net/net.h"
#include "registry/registry.h"
#include "version.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: runnel serve [--config FILE] [--data-dir DIR] [--kafka-listen HOST:PORT]\n"
          "                    [--http-listen HOST:PORT] [--kafka-advertise HOST:PORT]\n"
          "                    [--set KEY=VALUE ...]\n"
          "\n"
          "Runs the broker. Kafka clients connect to --kafka-listen; the HTTP API is on\n"
          "--http-listen. Port 0 picks a free port. When every listener is bound, one line\n"
          "is printed to stdout:\n"
          "  runnel ready kafka=HOST:PORT http=HOST:PORT\n"
          "Logs go to stderr. SIGTERM or SIGINT shut down cleanly (exit 0).\n"
          "\n"
          "options:\n"
          "  --config FILE            key=value configuration file (see docs/configuration.md)\n"
          "  --data-dir DIR           where topics and metadata live (default ./data)\n"
          "  --kafka-listen HOST:PORT Kafka protocol listener (default 127.0.0.1:9092)\n"
          "  --http-listen HOST:PORT  HTTP listener (default 127.0.0.1:8081)\n"
          "  --kafka-advertise H:P    address returned to clients in Metadata (default: the\n"
          "                           bound Kafka address)\n"
          "  --set KEY=VALUE          any configuration key, overriding the file\n"
          "  -h, --help               this help\n",
          f);
}

typedef struct serve_state {
    uv_loop_t loop;
    rn_broker broker;
    rn_kafka *kafka;
    rn_listener *listener;
    rn_http *http;
    rn_registry *registry; /* schema registry (<data_dir>/registry.db), used by http */
    uv_signal_t sigterm, sigint;
    uv_timer_t drain_timer;
    int64_t drain_deadline_ms;
    int stopping;
} serve_state;

static void drain_cb(uv_timer_t *t)
{
    serve_state *s = t->data;
    int pending = rn_kafka_pending(s->kafka);
    if (pending > 0 && rn_mono_ms() < s->drain_deadline_ms) return;
    if (pending > 0) RN_WARN("serve: %d request(s) still pending at shutdown", pending);
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
    rn_listener_close(s->listener);
    s->listener = NULL;
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    serve_state *s = h->data;
    if (s->stopping) return;
    s->stopping = 1;
    RN_INFO("serve: %s received, shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    rn_kafka_shutdown(s->kafka); /* parked fetches answered now */
    s->drain_deadline_ms = rn_mono_ms() + 5000;
    uv_timer_init(&s->loop, &s->drain_timer);
    s->drain_timer.data = s;
    uv_timer_start(&s->drain_timer, drain_cb, 0, 10);
}

int rn_cli_serve_main(int argc, char **argv)
{
    rn_broker_config cfg;
    rn_broker_config_defaults(&cfg);
    rn_err err;
    const char *config_file = NULL;
    /* First pass: --config, so flags override the file. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "runnel serve: --config needs a file\n");
                return 2;
            }
            config_file = argv[++i];
        }
    }
    if (config_file && rn_broker_config_load(&cfg, config_file, &err)) {
        fprintf(stderr, "runnel serve: %s\n", err.msg);
        return 2;
    }
    static const struct {
        const char *flag, *key;
    } flags[] = {{"--data-dir", "data.dir"},
                 {"--kafka-listen", "kafka.listen"},
                 {"--http-listen", "http.listen"},
                 {"--kafka-advertise", "kafka.advertise"}};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) {
            i++;
            continue;
        }
        int matched = 0;
        for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
            if (strcmp(argv[i], flags[f].flag)) continue;
            matched = 1;
            if (i + 1 >= argc) {
                fprintf(stderr, "runnel serve: %s needs a value\n", argv[i]);
                return 2;
            }
            if (rn_broker_config_set(&cfg, flags[f].key, argv[++i], flags[f].flag, &err)) {
                fprintf(stderr, "runnel serve: %s\n", err.msg);
                return 2;
            }
        }
        if (matched) continue;
        if (!strcmp(argv[i], "--set") && i + 1 < argc) {
            char kv[1024];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (!eq) {
                fprintf(stderr, "runnel serve: --set expects KEY=VALUE, got '%s'\n", kv);
                return 2;
            }
            *eq = '\0';
            if (rn_broker_config_set(&cfg, kv, eq + 1, "--set", &err)) {
                fprintf(stderr, "runnel serve: %s\n", err.msg);
                return 2;
            }
            continue;
        }
        fprintf(stderr, "runnel serve: unknown option '%s' (see --help)\n", argv[i]);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    static serve_state s;
    memset(&s, 0, sizeof s);
    uv_loop_init(&s.loop);
    RN_INFO("serve: runnel %s starting", RUNNEL_VERSION);
    if (rn_registry_open(cfg.data_dir, &s.registry, &err)) {
        RN_ERROR("serve: %s", err.msg);
        uv_loop_close(&s.loop);
        return 1;
    }
    if (rn_broker_init(&s.broker, &s.loop, &cfg, &err)) {
        RN_ERROR("serve: %s", err.msg);
        uv_run(&s.loop, UV_RUN_DEFAULT);
        uv_loop_close(&s.loop);
        rn_registry_close(s.registry);
        return 1;
    }
    /* produce-time validation (runnel.validation=schema) looks schemas up here */
    rn_govern_set_schema_fn(s.broker.govern, rn_registry_schema_fn, s.registry);
    int rc = 1;
    char kafka_bound[300] = "", http_bound[300] = "";
    if (rn_kafka_new(&s.broker, &s.kafka, &err) ||
        rn_listener_open(&s.loop, cfg.kafka_listen, (size_t)cfg.socket_request_max_bytes,
                         rn_kafka_net_handlers(), s.kafka, &s.listener, kafka_bound,
                         sizeof kafka_bound, &err) ||
        rn_http_start(cfg.http_listen, s.registry, &s.http, http_bound, sizeof http_bound, &err)) {
        RN_ERROR("serve: %s", err.msg);
        goto out;
    }
    /* Advertise the configured address, or the bound one. */
    {
        char host[256];
        int port;
        const char *adv = cfg.kafka_advertise[0] ? cfg.kafka_advertise : kafka_bound;
        if (rn_net_split_hostport(adv, host, sizeof host, &port, &err)) {
            RN_ERROR("serve: kafka.advertise: %s", err.msg);
            goto out;
        }
        rn_broker_set_advertised(&s.broker, host, port);
    }
    uv_signal_init(&s.loop, &s.sigterm);
    uv_signal_init(&s.loop, &s.sigint);
    s.sigterm.data = s.sigint.data = &s;
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    uv_signal_start(&s.sigint, on_signal, SIGINT);
    printf("runnel ready kafka=%s http=%s\n", kafka_bound, http_bound);
    fflush(stdout);
    RN_INFO("serve: ready, kafka=%s http=%s", kafka_bound, http_bound);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    rc = 0;
out:
    rn_http_stop(s.http);
    if (s.listener) rn_listener_close(s.listener);
    if (s.kafka) rn_kafka_shutdown(s.kafka);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    rn_broker_fini(&s.broker);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    rn_kafka_free(s.kafka);
    rn_registry_close(s.registry); /* after http and the broker: nothing uses it any more */
    if (uv_loop_close(&s.loop) != 0) RN_WARN("serve: event loop closed with handles still open");
    RN_INFO("serve: stopped");
    return rc;
}
