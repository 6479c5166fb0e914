/* watch_cmd.h - `connleak watch`: its flags (watch_opts.c) and the command
 * (watch_cmd.c), which drives the producer in watch/ and a renderer. */
#ifndef CONNLEAK_WATCH_CMD_H
#define CONNLEAK_WATCH_CMD_H

#include "cli/options.h" /* enum out_format, DEFAULT_ERROR_EXITCODE */
#include "render/watch_render.h"
#include "watch/watch.h"

struct watch_opts {
    int interval_ms;   /* default 1000 */
    double duration_s; /* 0: until the process exits (or Ctrl-C) */
    bool once, help;
    enum out_format format;
    const char *output; /* NULL or "-": stdout */
    unsigned fail_on;   /* bitmask of 1u << enum finding_kind, within WATCH_KINDS */
    int error_exitcode;
    int pid;     /* watch PID, or 0 with args */
    char **args; /* watch -- PROG ARGS...: points into argv */
    int nargs;
};

/* Parses the arguments after "watch". Returns 0, or -1 after one line on
 * stderr. */
int watch_opts_parse(struct watch_opts *o, int argc, char **argv);

/* connleak watch [OPTIONS] PID | connleak watch [OPTIONS] -- PROG [ARGS...];
 * returns the exit code. */
int cmd_watch(int argc, char **argv);

#endif
