/*
 * cli/cli.h - the runnel command-line commands. main.c dispatches argv[1] to one of
 * these; each parses its own flags, prints --help, and returns the process exit code
 * (0 ok, 1 failure, 2 usage error).
 *
 * The client commands (topics, produce, consume) use librdkafka only, so they work
 * against Runnel or any Kafka cluster (--brokers, default 127.0.0.1:9092 or
 * $RUNNEL_BROKERS).
 */
#ifndef RN_CLI_CLI_H
#define RN_CLI_CLI_H

int rn_cli_serve_main(int argc, char **argv);  /* runnel serve ... */
int rn_cli_topics_main(int argc, char **argv); /* runnel topics create|list|describe|delete|alter */
int rn_cli_produce_main(int argc, char **argv); /* runnel produce TOPIC ... */
int rn_cli_consume_main(int argc, char **argv); /* runnel consume TOPIC ... */
int rn_cli_groups_main(int argc, char **argv);  /* runnel groups list|describe|... */
int rn_cli_event_main(int argc, char **argv);   /* runnel event new|validate */
int rn_cli_schema_main(int argc,
                       char **argv); /* runnel schema register|get|list|check|delete|config */

#endif
