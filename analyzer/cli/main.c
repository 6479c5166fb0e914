/* main.c - the connleak command: dispatches to the subcommands.
 *
 * Everything else lives in the connleak_analyzer library so that unit tests
 * link the same code: this file only picks the subcommand from the table
 * below. To add a command: write `int cmd_NAME(int argc, char **argv)` in a
 * file of its own under cli/, declare it in cli/commands.h, add a row here
 * and a paragraph to the --help text in cli/usage.c. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/util.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", cmd_run},     {"report", cmd_report},         {"attach", cmd_attach},
    {"watch", cmd_watch}, {"trace-dump", cmd_trace_dump},
};

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (!cmd) {
        fputs("connleak: missing command: run, report, attach, watch or trace-dump (see connleak "
              "--help)\n",
              stderr);
        return EXIT_TOOL;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_print();
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        version_print();
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(cmd, commands[i].name) == 0) return commands[i].fn(argc - 2, argv + 2);
    if (cmd[0] == '-')
        fprintf(stderr, "connleak: unknown option '%s' (see connleak --help)\n", cmd);
    else
        fprintf(stderr, "connleak: unknown command '%s' (see connleak --help)\n", cmd);
    return EXIT_TOOL;
}
