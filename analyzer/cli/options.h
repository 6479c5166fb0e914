/* options.h - the command-line flags of `connleak run`, `report` and `attach`.
 *
 * One parser for both commands, so a flag means the same everywhere. Any
 * bad flag or value is one line on stderr and exit 125. The thresholds of
 * the rules also come from the environment (CONNLEAK_IDLE_MS,
 * CONNLEAK_STUCK_MS, CONNLEAK_REUSE_MIN, CONNLEAK_TW_MIN,
 * CONNLEAK_LEAK_AFTER_MS); a flag wins over its variable. */
#ifndef CONNLEAK_OPTIONS_H
#define CONNLEAK_OPTIONS_H

#include <stdbool.h>

enum cmd { CMD_RUN, CMD_REPORT, CMD_ATTACH };
/* Which recorder watches the program: auto picks the preload for programs
 * that call libc, the probe (eBPF) for Go and static ones. */
enum backend_choice { BACKEND_AUTO, BACKEND_PRELOAD, BACKEND_PROBE };
enum out_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF, FORMAT_JUNIT, FORMAT_HTML, FORMAT_COUNT };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

#define DEFAULT_ERROR_EXITCODE 99

struct options {
    enum cmd cmd;
    enum out_format format;
    const char *output; /* NULL: the command's default; "-": stdout */
    enum color_mode color;
    bool include_listeners, include_inherited, include_ipc;
    unsigned fail_on; /* bitmask of 1u << enum finding_kind */
    int error_exitcode;
    int idle_ms, stuck_ms, reuse_min; /* resolved: flag, else environment, else default */
    int tw_min, leak_after_ms;        /* the same */
    bool help, version;
    /* CI (cli/ci.c): suppressions, baseline, more outputs */
    const char **suppressions; /* --suppressions FILE..., in order */
    int nsuppressions;
    bool gen_suppressions;             /* --gen-suppressions: after each finding (text) */
    const char *gen_suppressions_file; /* --gen-suppressions=FILE */
    const char *baseline;              /* --baseline OLD.json */
    bool diff;                         /* report --diff OLD.json NEW.json */
    const char *source_root;           /* --source-root DIR (SARIF) */
    const char *also[FORMAT_COUNT];    /* --json/--sarif/--junit/--html FILE */
    struct filter *filter;             /* loaded by options_parse (ci_load) */
    /* run and attach */
    const char *trace_dir;
    enum backend_choice backend; /* run: --backend */
    int duration_s;              /* attach: --duration, 0 = until the process ends */
    bool keep_traces;
    int depth;                         /* 0: the preload's default */
    int flush_ms;                      /* 0: the preload's default */
    bool no_follow_exec, close_stacks; /* run: exec'd programs are traced unless --no-follow-exec */
    bool no_wait_children;    /* run: report when PROG exits, not when all it started have */
    const char **skip_frames; /* --skip-frames PATTERN, repeatable (argv's strings) */
    int nskip_frames;
    /* run: PROG ARGS...; report: TRACE|DIR...; attach: PID */
    char **args;
    int nargs;
};

/* Parses the arguments after the command name. Returns 0, or -1 after
 * printing one line to stderr. */
int options_parse(struct options *o, enum cmd cmd, int argc, char **argv);
void options_free(struct options *o);
/* --help or --version asked for: prints the usage or the version, true. */
bool options_answer_help(const struct options *o);

struct rule_opts;
/* The rules' options (and the --skip-frames patterns) the flags ask for. */
void options_rule_opts(const struct options *o, struct rule_opts *r);

struct http_opts;
/* The thresholds of the HTTP rules the flags (or the environment) ask for. */
void options_http_opts(const struct options *o, struct http_opts *h);

/* Parses a --fail-on list ("leak", "any", or kinds) into a bitmask; -1 when
 * a name is unknown. */
int fail_on_parse(const char *list, unsigned *mask);
/* The same, for a command that finds only `kinds` (a bitmask; `connleak
 * watch`: WATCH_KINDS): a kind outside them, or "leak" unless all of its
 * kinds are in them, is refused (-1), as it could never be found; "any" is
 * all of `kinds`. */
int fail_on_parse_kinds(const char *list, unsigned kinds, unsigned *mask);
/* Shared with `connleak watch` (watch_opts.c): a decimal in [min, max],
 * and the one-line error for a bad flag value (returns -1). */
bool options_long_parse(const char *s, long min, long max, long *out);
int options_bad_value(const char *name, const char *value, const char *expected);

#endif
