/*
 * main.c - argv -> cli/ dispatch, nothing else.
 */
#include "cli/cli.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: runnel COMMAND [ARGS]\n"
          "\n"
          "Runnel is an event backbone that speaks the Kafka protocol.\n"
          "\n"
          "commands:\n"
          "  serve      run the broker (Kafka protocol + HTTP)\n"
          "  topics     create, list, describe, alter and delete topics\n"
          "  produce    write records from stdin to a topic\n"
          "  consume    read records from a topic to stdout\n"
          "  groups     list, describe, reset the offsets of and delete consumer groups\n"
          "  event      build a new event envelope, validate envelopes (JSON Lines)\n"
          "  schema     register, get, list, check and delete schemas in the schema registry\n"
          "  version    print the version\n"
          "\n"
          "Run 'runnel COMMAND --help' for a command's options.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("runnel %s\n", RUNNEL_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "serve")) return rn_cli_serve_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "topics")) return rn_cli_topics_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "produce")) return rn_cli_produce_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "consume")) return rn_cli_consume_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "groups")) return rn_cli_groups_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "event")) return rn_cli_event_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "schema")) return rn_cli_schema_main(argc - 1, argv + 1);
    fprintf(stderr, "runnel: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
