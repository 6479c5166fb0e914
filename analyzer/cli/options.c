/* options.c - parses the flags of run and report.
 *
 * Long options take their value as `--opt VALUE` or `--opt=VALUE`; `-o`
 * also as `-oFILE`. `run` stops at `--` or at the program's name, so the
 * program's own flags are never ours; `report` takes flags anywhere. */
#define _GNU_SOURCE
#include "cli/options.h"

#include "cli/ci.h"
#include "cli/commands.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/findings.h"
#include "rules/rules.h"
#include "util/util.h"

enum opt_id {
    OPT_FORMAT,
    OPT_OUTPUT,
    OPT_COLOR,
    OPT_LISTENERS,
    OPT_INHERITED,
    OPT_IPC,
    OPT_FAIL_ON,
    OPT_EXITCODE,
    OPT_HELP,
    OPT_VERSION,
    OPT_TRACE_DIR,
    OPT_KEEP,
    OPT_DEPTH,
    OPT_FLUSH,
    OPT_FOLLOW_EXEC,
    OPT_NO_FOLLOW_EXEC,
    OPT_NO_WAIT,
    OPT_CLOSE_STACKS,
    OPT_IDLE_MS,
    OPT_STUCK_MS,
    OPT_REUSE_MIN,
    OPT_TW_MIN,
    OPT_LEAK_AFTER_MS,
    OPT_BACKEND,
    OPT_DURATION,
    OPT_SUPPRESSIONS,
    OPT_GEN_SUPPRESSIONS,
    OPT_BASELINE,
    OPT_DIFF,
    OPT_SOURCE_ROOT,
    OPT_ALSO_JSON,
    OPT_ALSO_SARIF,
    OPT_ALSO_JUNIT,
    OPT_ALSO_HTML,
    OPT_SKIP_FRAMES,
};

/* The commands a flag belongs to. */
#define FOR_ALL    (1u << CMD_RUN | 1u << CMD_REPORT | 1u << CMD_ATTACH)
#define FOR_RUN    (1u << CMD_RUN)
#define FOR_TRACE  (1u << CMD_RUN | 1u << CMD_ATTACH)
#define FOR_ATTACH (1u << CMD_ATTACH)
#define FOR_REPORT (1u << CMD_REPORT)

struct opt_def {
    const char *name;
    char short_name;
    bool has_arg;  /* true: a value; false: a flag, or "--opt=VALUE" when optional */
    unsigned cmds; /* FOR_* */
    enum opt_id id;
};

static const struct opt_def opt_defs[] = {
    {"format", 0, true, FOR_ALL, OPT_FORMAT},
    {"output", 'o', true, FOR_ALL, OPT_OUTPUT},
    {"color", 0, true, FOR_ALL, OPT_COLOR},
    {"include-listeners", 0, false, FOR_ALL, OPT_LISTENERS},
    {"include-inherited", 0, false, FOR_ALL, OPT_INHERITED},
    {"include-ipc", 0, false, FOR_ALL, OPT_IPC},
    {"fail-on", 0, true, FOR_ALL, OPT_FAIL_ON},
    {"error-exitcode", 0, true, FOR_ALL, OPT_EXITCODE},
    {"help", 'h', false, FOR_ALL, OPT_HELP},
    {"version", 0, false, FOR_ALL, OPT_VERSION},
    {"trace-dir", 0, true, FOR_TRACE, OPT_TRACE_DIR},
    {"keep-traces", 0, false, FOR_TRACE, OPT_KEEP},
    {"depth", 0, true, FOR_RUN, OPT_DEPTH},
    {"flush-ms", 0, true, FOR_RUN, OPT_FLUSH},
    {"follow-exec", 0, false, FOR_RUN, OPT_FOLLOW_EXEC}, /* the default: kept for old scripts */
    {"no-follow-exec", 0, false, FOR_RUN, OPT_NO_FOLLOW_EXEC},
    {"no-wait-children", 0, false, FOR_RUN, OPT_NO_WAIT},
    {"close-stacks", 0, false, FOR_RUN, OPT_CLOSE_STACKS},
    {"backend", 0, true, FOR_RUN, OPT_BACKEND},
    {"duration", 0, true, FOR_ATTACH, OPT_DURATION},
    {"idle-ms", 0, true, FOR_ALL, OPT_IDLE_MS},
    {"stuck-ms", 0, true, FOR_ALL, OPT_STUCK_MS},
    {"reuse-min", 0, true, FOR_ALL, OPT_REUSE_MIN},
    {"tw-min", 0, true, FOR_ALL, OPT_TW_MIN},
    {"leak-after-ms", 0, true, FOR_ALL, OPT_LEAK_AFTER_MS},
    {"suppressions", 0, true, FOR_ALL, OPT_SUPPRESSIONS},
    {"gen-suppressions", 0, false, FOR_ALL, OPT_GEN_SUPPRESSIONS},
    {"baseline", 0, true, FOR_ALL, OPT_BASELINE},
    {"diff", 0, false, FOR_REPORT, OPT_DIFF},
    {"source-root", 0, true, FOR_ALL, OPT_SOURCE_ROOT},
    {"json", 0, true, FOR_ALL, OPT_ALSO_JSON},
    {"sarif", 0, true, FOR_ALL, OPT_ALSO_SARIF},
    {"junit", 0, true, FOR_ALL, OPT_ALSO_JUNIT},
    {"html", 0, true, FOR_ALL, OPT_ALSO_HTML},
    {"skip-frames", 0, true, FOR_ALL, OPT_SKIP_FRAMES},
};

/* The HTTP thresholds: flag, environment variable, bounds, default. */
struct threshold_def {
    enum opt_id id;
    const char *env, *range;
    long min, max;
    int dflt;
};

static const struct threshold_def thresholds[] = {
    {OPT_IDLE_MS, "CONNLEAK_IDLE_MS", "0..86400000", 0, 86400000, DEFAULT_IDLE_MS},
    {OPT_STUCK_MS, "CONNLEAK_STUCK_MS", "0..86400000", 0, 86400000, DEFAULT_STUCK_MS},
    {OPT_REUSE_MIN, "CONNLEAK_REUSE_MIN", "2..1000000", 2, 1000000, DEFAULT_REUSE_MIN},
    {OPT_TW_MIN, "CONNLEAK_TW_MIN", "1..1000000", 1, 1000000, DEFAULT_TW_MIN},
    {OPT_LEAK_AFTER_MS, "CONNLEAK_LEAK_AFTER_MS", "0..86400000", 0, 86400000,
     DEFAULT_LEAK_AFTER_MS},
};

static int unknown(const char *arg)
{
    fprintf(stderr, "connleak: unknown option '%s' (see connleak --help)\n", arg);
    return -1;
}

int options_bad_value(const char *name, const char *value, const char *expected)
{
    fprintf(stderr, "connleak: bad value '%s' for --%s: expected %s (see connleak --help)\n", value,
            name, expected);
    return -1;
}

bool options_long_parse(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

static bool int_parse(const char *s, long min, long max, int *out)
{
    long v;
    if (!options_long_parse(s, min, max, &v)) return false;
    *out = (int)v;
    return true;
}

int fail_on_parse_kinds(const char *list, unsigned kinds, unsigned *mask)
{
    char *copy = xstrdup(list), *save = NULL;
    int rc = 0;
    *mask = 0;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        int kind = kind_parse(k);
        if (strcmp(k, "leak") == 0 && (kinds & KINDS_LEAK) == KINDS_LEAK)
            *mask |= KINDS_LEAK;
        else if (strcmp(k, "any") == 0)
            *mask |= kinds;
        else if (kind >= 0 && (kinds & (1u << kind)))
            *mask |= 1u << kind;
        else
            rc = -1;
    }
    free(copy);
    return rc == 0 && *mask ? 0 : -1;
}

int fail_on_parse(const char *list, unsigned *mask)
{
    return fail_on_parse_kinds(list, (1u << KIND_COUNT) - 1, mask);
}

static int *threshold_field(struct options *o, enum opt_id id)
{
    switch (id) {
    case OPT_IDLE_MS:
        return &o->idle_ms;
    case OPT_STUCK_MS:
        return &o->stuck_ms;
    case OPT_TW_MIN:
        return &o->tw_min;
    case OPT_LEAK_AFTER_MS:
        return &o->leak_after_ms;
    default:
        return &o->reuse_min;
    }
}

static const struct threshold_def *threshold_find(enum opt_id id)
{
    for (size_t i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++)
        if (thresholds[i].id == id) return &thresholds[i];
    return NULL;
}

static int threshold_value(struct options *o, const struct opt_def *d, const char *v)
{
    const struct threshold_def *t = threshold_find(d->id);
    return int_parse(v, t->min, t->max, threshold_field(o, d->id))
               ? 0
               : options_bad_value(d->name, v, t->range);
}

/* The thresholds no flag gave: from the environment, else the defaults. */
static int thresholds_resolve(struct options *o)
{
    for (size_t i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++) {
        const struct threshold_def *t = &thresholds[i];
        int *field = threshold_field(o, t->id);
        const char *env = getenv(t->env);
        if (*field >= 0) continue;
        *field = t->dflt;
        if (env && *env && !int_parse(env, t->min, t->max, field)) {
            fprintf(stderr, "connleak: bad value '%s' for %s: expected %s\n", env, t->env,
                    t->range);
            return -1;
        }
    }
    return 0;
}

void options_rule_opts(const struct options *o, struct rule_opts *r)
{
    *r = (struct rule_opts){.include_listeners = o->include_listeners,
                            .include_inherited = o->include_inherited,
                            .include_ipc = o->include_ipc,
                            .skip_frames = o->skip_frames,
                            .nskip_frames = (size_t)o->nskip_frames};
}

void options_http_opts(const struct options *o, struct http_opts *h)
{
    h->idle_ms = (uint64_t)o->idle_ms;
    h->stuck_ms = (uint64_t)o->stuck_ms;
    h->reuse_min = (uint64_t)o->reuse_min;
    h->tw_min = (uint64_t)o->tw_min;
    h->leak_after_ms = (uint64_t)o->leak_after_ms;
}

static int opt_value(struct options *o, const struct opt_def *d, const char *v)
{
    switch (d->id) {
    case OPT_FORMAT:
        return format_parse(v, &o->format) == 0
                   ? 0
                   : options_bad_value(d->name, v, "text, json, sarif, junit or html");
    case OPT_OUTPUT:
        o->output = v;
        return *v ? 0 : options_bad_value(d->name, v, "a file name or -");
    case OPT_COLOR:
        if (strcmp(v, "auto") == 0)
            o->color = COLOR_AUTO;
        else if (strcmp(v, "always") == 0)
            o->color = COLOR_ALWAYS;
        else if (strcmp(v, "never") == 0)
            o->color = COLOR_NEVER;
        else
            return options_bad_value(d->name, v, "auto, always or never");
        return 0;
    case OPT_FAIL_ON:
        return fail_on_parse(v, &o->fail_on) == 0
                   ? 0
                   : options_bad_value(d->name, v,
                                       "leak, any, or kinds such as orphaned-socket,unclosed-body");
    case OPT_EXITCODE:
        return int_parse(v, 1, 255, &o->error_exitcode) ? 0
                                                        : options_bad_value(d->name, v, "1..255");
    case OPT_TRACE_DIR:
        o->trace_dir = v;
        return *v ? 0 : options_bad_value(d->name, v, "a directory");
    case OPT_DEPTH:
        return int_parse(v, 1, 256, &o->depth) ? 0 : options_bad_value(d->name, v, "1..256");
    case OPT_FLUSH:
        return int_parse(v, 1, 3600000, &o->flush_ms) ? 0
                                                      : options_bad_value(d->name, v, "1..3600000");
    case OPT_BACKEND:
        if (strcmp(v, "auto") == 0)
            o->backend = BACKEND_AUTO;
        else if (strcmp(v, "preload") == 0)
            o->backend = BACKEND_PRELOAD;
        else if (strcmp(v, "probe") == 0)
            o->backend = BACKEND_PROBE;
        else
            return options_bad_value(d->name, v, "auto, preload or probe");
        return 0;
    case OPT_DURATION:
        return int_parse(v, 1, 31 * 86400, &o->duration_s)
                   ? 0
                   : options_bad_value(d->name, v, "seconds, 1..2678400");
    case OPT_SKIP_FRAMES: /* repeatable; its slots were sized by options_parse */
        if (!*v) return options_bad_value(d->name, v, "a glob of module or function names");
        o->skip_frames[o->nskip_frames++] = v;
        return 0;
    case OPT_IDLE_MS:
    case OPT_STUCK_MS:
    case OPT_REUSE_MIN:
    case OPT_TW_MIN:
    case OPT_LEAK_AFTER_MS:
        return threshold_value(o, d, v);
    default:
        return ci_opt_value(o, d->name, d->id - OPT_SUPPRESSIONS, v);
    }
}

static void opt_flag(struct options *o, enum opt_id id)
{
    switch (id) {
    case OPT_LISTENERS:
        o->include_listeners = true;
        break;
    case OPT_INHERITED:
        o->include_inherited = true;
        break;
    case OPT_IPC:
        o->include_ipc = true;
        break;
    case OPT_HELP:
        o->help = true;
        break;
    case OPT_VERSION:
        o->version = true;
        break;
    case OPT_KEEP:
        o->keep_traces = true;
        break;
    case OPT_FOLLOW_EXEC:
        o->no_follow_exec = false;
        break;
    case OPT_NO_FOLLOW_EXEC:
        o->no_follow_exec = true;
        break;
    case OPT_NO_WAIT:
        o->no_wait_children = true;
        break;
    case OPT_CLOSE_STACKS:
        o->close_stacks = true;
        break;
    case OPT_GEN_SUPPRESSIONS:
        o->gen_suppressions = true;
        break;
    case OPT_DIFF:
        o->diff = true;
        break;
    default:
        break;
    }
}

static const struct opt_def *opt_find(const char *name, size_t len, char short_name)
{
    for (size_t i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++) {
        const struct opt_def *d = &opt_defs[i];
        if (short_name ? d->short_name == short_name
                       : strlen(d->name) == len && strncmp(d->name, name, len) == 0)
            return d;
    }
    return NULL;
}

/* Parses the option at argv[*i] (and its value, advancing *i). */
static int opt_parse_one(struct options *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *value = NULL;
    const struct opt_def *d;
    if (arg[1] == '-') {
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        d = opt_find(name, len, 0);
        bool optional = d && d->id == OPT_GEN_SUPPRESSIONS; /* --gen-suppressions[=FILE] */
        if (!d || !(d->cmds & (1u << o->cmd)) || (eq && !d->has_arg && !optional)) {
            fprintf(stderr, "connleak: unknown option '%.*s' (see connleak --help)\n",
                    (int)(len + 2), arg);
            return -1;
        }
        value = eq ? eq + 1 : NULL;
        if (optional && value) return ci_opt_value(o, d->name, CI_OPT_GEN, value);
    } else {
        d = opt_find(NULL, 0, arg[1]);
        if (!d || !(d->cmds & (1u << o->cmd)) || (!d->has_arg && arg[2])) return unknown(arg);
        value = d->has_arg && arg[2] ? arg + 2 : NULL;
    }
    if (!d->has_arg) {
        opt_flag(o, d->id);
        return 0;
    }
    if (!value && *i + 1 >= argc) {
        fprintf(stderr, "connleak: option '--%s' needs a value (see connleak --help)\n", d->name);
        return -1;
    }
    return opt_value(o, d, value ? value : argv[++*i]);
}

int options_parse(struct options *o, enum cmd cmd, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    o->error_exitcode = DEFAULT_ERROR_EXITCODE;
    o->idle_ms = o->stuck_ms = o->reuse_min = o->tw_min = o->leak_after_ms = -1;
    o->args = xcalloc((size_t)argc + 1, sizeof(*o->args));
    o->suppressions = xcalloc((size_t)argc + 1, sizeof(*o->suppressions));
    o->skip_frames = xcalloc((size_t)argc + 1, sizeof(*o->skip_frames));
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool rest = strcmp(a, "--") == 0;
        if (!rest && a[0] == '-' && a[1]) {
            if (opt_parse_one(o, argc, argv, &i) < 0) return -1;
            continue;
        }
        if (rest || cmd == CMD_RUN) {
            for (int j = i + rest; j < argc; j++) o->args[o->nargs++] = argv[j];
            break;
        }
        o->args[o->nargs++] = argv[i];
    }
    if (thresholds_resolve(o) < 0) return -1;
    return o->help || o->version ? 0 : ci_load(o);
}

bool options_answer_help(const struct options *o)
{
    if (o->help)
        usage_print();
    else if (o->version)
        version_print();
    return o->help || o->version;
}

void options_free(struct options *o)
{
    free(o->args);
    o->args = NULL;
    free(o->suppressions);
    o->suppressions = NULL;
    ci_free(o);
    free(o->skip_frames);
    o->skip_frames = NULL;
}
