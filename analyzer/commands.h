/* commands.h - the subcommands of connleak; each returns the exit code. */
#ifndef CONNLEAK_COMMANDS_H
#define CONNLEAK_COMMANDS_H

int cmd_run(int argc, char **argv);    /* connleak run [options] [--] PROG [ARGS...] */
int cmd_report(int argc, char **argv); /* connleak report [options] TRACE|DIR... */
void usage_print(void);                /* the --help text, on stdout */

#endif
