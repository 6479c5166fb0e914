/* watch_opts.c - the flags of `connleak watch`. --fail-on takes the kind
 * names of run and report (fail_on_parse_kinds), those watch can find.
 *
 * Same conventions as options.c (run, report): `--opt VALUE` or
 * `--opt=VALUE`, `-oFILE`, one line on stderr for anything wrong. The
 * target is a PID, or a program after `--`: a bare word that is not a
 * number is refused with the hint to put it after `--`. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "cli/watch_cmd.h"

static int value_set(struct watch_opts *o, const char *name, const char *v)
{
    long n;
    if (strcmp(name, "interval") == 0) {
        if (!options_long_parse(v, 10, 3600000, &n))
            return options_bad_value(name, v, "10..3600000 (ms)");
        o->interval_ms = (int)n;
    } else if (strcmp(name, "duration") == 0) {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (errno || end == v || *end || !(d > 0 && d <= 1e7))
            return options_bad_value(name, v, "seconds, more than 0");
        o->duration_s = d;
    } else if (strcmp(name, "format") == 0) {
        if (strcmp(v, "text") && strcmp(v, "json"))
            return options_bad_value(name, v, "text or json");
        o->format = strcmp(v, "json") == 0 ? FORMAT_JSON : FORMAT_TEXT;
    } else if (strcmp(name, "output") == 0) {
        if (!*v) return options_bad_value(name, v, "a file name or -");
        o->output = v;
    } else if (strcmp(name, "fail-on") == 0) {
        if (fail_on_parse_kinds(v, WATCH_KINDS, &o->fail_on) < 0)
            return options_bad_value(
                name, v,
                "any, or kinds among close-wait-pile, fd-growth, unbounded-pool, "
                "time-wait-storm");
    } else if (strcmp(name, "error-exitcode") == 0) {
        if (!options_long_parse(v, 1, 255, &n)) return options_bad_value(name, v, "1..255");
        o->error_exitcode = (int)n;
    }
    return 0;
}

static const char *const valued[] = {"interval", "duration", "format",
                                     "output",   "fail-on",  "error-exitcode"};

static bool has_value(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
        if (strlen(valued[i]) == len && strncmp(valued[i], name, len) == 0) return true;
    return false;
}

static int flag_set(struct watch_opts *o, const char *arg, size_t len)
{
    if (len == 4 && strncmp(arg, "once", 4) == 0)
        o->once = true;
    else if (len == 4 && strncmp(arg, "help", 4) == 0)
        o->help = true;
    else {
        fprintf(stderr, "connleak: unknown option '--%.*s' (see connleak --help)\n", (int)len, arg);
        return -1;
    }
    return 0;
}

/* The option at argv[*i] (and its value, advancing *i). */
static int opt_parse_one(struct watch_opts *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *name, *value = NULL;
    char namebuf[32];
    if (strcmp(arg, "-h") == 0) return flag_set(o, "help", 4);
    if (strncmp(arg, "-o", 2) == 0) {
        name = "output";
        value = arg[2] ? arg + 2 : NULL;
    } else if (arg[1] == '-') {
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (!has_value(arg + 2, len) || len >= sizeof(namebuf))
            return flag_set(o, arg + 2, strlen(arg + 2));
        memcpy(namebuf, arg + 2, len);
        namebuf[len] = '\0';
        name = namebuf;
        value = eq ? eq + 1 : NULL;
    } else {
        fprintf(stderr, "connleak: unknown option '%s' (see connleak --help)\n", arg);
        return -1;
    }
    if (!value && *i + 1 >= argc) {
        fprintf(stderr, "connleak: option '--%s' needs a value (see connleak --help)\n", name);
        return -1;
    }
    return value_set(o, name, value ? value : argv[++*i]);
}

/* The positional part: PID, or -- PROG ARGS. */
static int target_parse(struct watch_opts *o, int argc, char **argv, int i)
{
    if (i >= argc) {
        fputs("connleak: watch needs a PID, or a program after -- (see connleak --help)\n", stderr);
        return -1;
    }
    if (strcmp(argv[i], "--") == 0) {
        o->args = argv + i + 1;
        o->nargs = argc - i - 1;
        if (o->nargs > 0) return 0;
        fputs("connleak: watch needs a program after -- (see connleak --help)\n", stderr);
        return -1;
    }
    long pid;
    if (!options_long_parse(argv[i], 1, INT_MAX, &pid)) {
        fprintf(stderr,
                "connleak: '%s' is not a PID; to start a program, put it after --: "
                "connleak watch -- %s\n",
                argv[i], argv[i]);
        return -1;
    }
    if (i + 1 < argc) {
        fprintf(stderr, "connleak: unexpected argument '%s' after the PID (see connleak --help)\n",
                argv[i + 1]);
        return -1;
    }
    o->pid = (int)pid;
    return 0;
}

int watch_opts_parse(struct watch_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->interval_ms = 1000;
    o->error_exitcode = DEFAULT_ERROR_EXITCODE;
    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0 || a[0] != '-' || !a[1]) break;
        if (opt_parse_one(o, argc, argv, &i) < 0) return -1;
    }
    if (o->help) return 0;
    if (o->once && o->duration_s > 0) {
        fputs("connleak: --once and --duration exclude each other (see connleak --help)\n", stderr);
        return -1;
    }
    return target_parse(o, argc, argv, i);
}
