/* commands.h - the subcommands of connleak; each returns the exit code.
 * The interface of cli/: main.c dispatches through its table to these. */
#ifndef CONNLEAK_COMMANDS_H
#define CONNLEAK_COMMANDS_H

int cmd_run(int argc, char **argv);    /* connleak run [options] [--] PROG [ARGS...] */
int cmd_report(int argc, char **argv); /* connleak report [options] TRACE|DIR... */
int cmd_attach(int argc, char **argv); /* connleak attach [options] PID (attach_cmd.c) */
int cmd_watch(int argc, char **argv);
int cmd_trace_dump(int argc, char **argv); /* connleak trace-dump [-o FILE] TRACE... */  /* connleak watch [options] PID | -- PROG [ARGS...] (watch_cmd.c) */
void usage_print(void);                /* the --help text, on stdout (usage.c) */
void version_print(void);              /* the --version line, on stdout (version.c) */

#endif
