/* main.c - the connleak command: dispatches to `run`, `report` and `watch`.
 *
 * Everything else lives in the connleak_analyzer library so that unit tests
 * link the same code: this file only picks the subcommand and knows the
 * --help text. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util.h"
#include "watch.h"

static const char usage_text[] =
    "Usage: connleak run [OPTIONS] [--] PROG [ARGS...]\n"
    "       connleak report [OPTIONS] TRACE|DIR...\n"
    "       connleak watch [OPTIONS] PID | connleak watch [OPTIONS] -- PROG [ARGS...]\n"
    "       connleak --help | --version\n"
    "\n"
    "Finds the network connections a program forgot to close.\n"
    "\n"
    "  run     runs PROG with libconnleak.so preloaded (LD_PRELOAD), waits for it,\n"
    "          then reports the sockets it left open, HTTP bodies never read,\n"
    "          connections never reused, client handles never released, the\n"
    "          kernel's view over time (CLOSE_WAIT, TIME_WAIT, fd growth), its\n"
    "          double closes and its closes of never-opened fds. Every process\n"
    "          it forks is included.\n"
    "  report  the same report from traces written earlier (connleak-*.jsonl files,\n"
    "          or the directories holding them).\n"
    "  watch   samples a running process (or PROG, started without any preload)\n"
    "          from outside: /proc/PID/fd and the kernel's TCP states (sock_diag);\n"
    "          a live view, then the trend findings close-wait-pile, fd-growth,\n"
    "          unbounded-pool, time-wait-storm. Works for Go and static programs.\n"
    "\n"
    "Report options (run and report):\n"
    "  --format text|json     text for people (default), json for scripts\n"
    "                         (schema: docs/report-json.md)\n"
    "  -o, --output FILE      write the report to FILE ('-' = stdout); default:\n"
    "                         stderr for run, stdout for report\n"
    "  --color auto|always|never\n"
    "                         colour the text report; auto = only on a terminal\n"
    "                         and when NO_COLOR is not set\n"
    "  --include-listeners    also report listening sockets still open at exit\n"
    "  --include-inherited    also report sockets a forked child inherited\n"
    "  --fail-on KINDS        exit with --error-exitcode when findings of these\n"
    "                         kinds exist (or, for run, when PROG cannot be\n"
    "                         observed): a comma list of unclosed-body,\n"
    "                         stuck-request, orphaned-socket, double-close,\n"
    "                         client-handle-leak, discarded-body,\n"
    "                         no-connection-reuse, foreign-close,\n"
    "                         close-wait-pile, fd-growth, time-wait-storm,\n"
    "                         unbounded-pool, or 'leak' (= orphaned-socket,\n"
    "                         unclosed-body, stuck-request, close-wait-pile)\n"
    "                         or 'any'\n"
    "  --error-exitcode N     the exit code for --fail-on (1..255, default 99)\n"
    "  --idle-ms MS           unclosed-body in a trace cut short: idle at least MS\n"
    "                         (default 5000, env CONNLEAK_IDLE_MS)\n"
    "  --stuck-ms MS          stuck-request: no answer for MS (default 10000,\n"
    "                         env CONNLEAK_STUCK_MS)\n"
    "  --reuse-min N          no-connection-reuse: at least N one-request\n"
    "                         connections to a peer (default 10, env\n"
    "                         CONNLEAK_REUSE_MIN)\n"
    "  --tw-min N             time-wait-storm: a peak of at least N of the program's\n"
    "                         connections to one peer in TIME_WAIT (default 100,\n"
    "                         env CONNLEAK_TW_MIN)\n"
    "  --leak-after-ms MS     in the trace of a still-running service (no exit\n"
    "                         record): sockets idle less than MS may be in use and\n"
    "                         are not reported as orphaned (default 0 = off,\n"
    "                         env CONNLEAK_LEAK_AFTER_MS)\n"
    "\n"
    "Run options:\n"
    "  --trace-dir DIR        write the traces to DIR (created, mode 0700) and\n"
    "                         keep them; default: a temporary directory, removed\n"
    "                         after a good report\n"
    "  --keep-traces          keep the temporary trace directory\n"
    "  --depth N              frames per stack, 1..256\n"
    "  --flush-ms N           flush the trace every N ms (what survives SIGKILL)\n"
    "  --follow-exec          keep tracing across exec\n"
    "  --close-stacks         record the stack of every close (shows the first\n"
    "                         close of a double close)\n"
    "\n"
    "Watch options:\n"
    "  --interval MS          time between samples (default 1000)\n"
    "  --duration S           stop after S seconds (PROG gets SIGTERM); default:\n"
    "                         until the process exits or Ctrl-C\n"
    "  --once                 one sample, its report, and exit\n"
    "  --format text|json     the report (schema: docs/watch.md)\n"
    "  -o, --output FILE      write the report to FILE; default stdout\n"
    "  --fail-on KINDS        exit with --error-exitcode when findings of these\n"
    "                         kinds exist: close-wait-pile, fd-growth,\n"
    "                         unbounded-pool, time-wait-storm, or 'any'\n"
    "  --error-exitcode N     the exit code for --fail-on (1..255, default 99)\n"
    "\n"
    "  -h, --help             this text\n"
    "  --version              connleak's version\n"
    "\n"
    "PROG is looked up in PATH. Go and fully static programs cannot be observed\n"
    "with LD_PRELOAD: connleak run says so, still runs them, and points to\n"
    "connleak watch. libconnleak.so is taken from $CONNLEAK_LIB, else found next\n"
    "to connleak, in ../lib/connleak/, or at " CONNLEAK_INSTALL_LIB ".\n"
    "\n"
    "Exit status:\n"
    "  run     PROG's exit status, or 128+N when a signal N killed it; with\n"
    "          --fail-on, the --error-exitcode when PROG exited 0 and findings\n"
    "          of those kinds exist, or when PROG could not be observed at all\n"
    "          (a Go or static binary)\n"
    "  report  0, or the --error-exitcode with --fail-on and such findings\n"
    "  watch   0, or the --error-exitcode with --fail-on and such findings\n"
    "  125     connleak itself failed: bad usage, no usable trace, unwritable\n"
    "          trace directory or output, libconnleak.so not found, no such PID\n"
    "          or not permitted to inspect it\n"
    "  126     PROG could not be executed\n"
    "  127     PROG was not found\n";

void usage_print(void)
{
    fputs(usage_text, stdout);
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (!cmd) {
        fputs("connleak: missing command: run, report or watch (see connleak --help)\n", stderr);
        return EXIT_TOOL;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_print();
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("connleak " CONNLEAK_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0) return cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "watch") == 0) return cmd_watch(argc - 2, argv + 2);
    if (cmd[0] == '-')
        fprintf(stderr, "connleak: unknown option '%s' (see connleak --help)\n", cmd);
    else
        fprintf(stderr, "connleak: unknown command '%s' (see connleak --help)\n", cmd);
    return EXIT_TOOL;
}
