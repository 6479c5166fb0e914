/* ci.h - the flags connleak is adopted in CI with: --suppressions,
 * --gen-suppressions, --baseline, --source-root, --format sarif|junit|html and
 * the extra outputs --json/--sarif/--junit/--html FILE (README, "connleak in CI").
 * options.c hands their values here; run, attach and report filter the
 * report (ci_filter) before emit.c prints it. */
#ifndef CONNLEAK_CI_H
#define CONNLEAK_CI_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/options.h"
#include "report/report.h"

/* The CI flags with a value, in the order of options.c's OPT_SUPPRESSIONS... */
enum ci_opt {
    CI_OPT_SUPPRESSIONS,
    CI_OPT_GEN,
    CI_OPT_BASELINE,
    CI_OPT_DIFF,
    CI_OPT_SOURCE_ROOT,
    CI_OPT_JSON,
    CI_OPT_SARIF,
    CI_OPT_JUNIT,
    CI_OPT_HTML,
};

/* "text", "json", "sarif", "junit", "html"; -1 when unknown. */
int format_parse(const char *s, enum out_format *out);
/* Takes the value of a CI flag; -1 after one line on stderr. */
int ci_opt_value(struct options *o, const char *name, int which, const char *value);
/* Reads CONNLEAK_SUPPRESSIONS, every --suppressions file and the
 * --baseline into o->filter; -1 after one line on stderr ("FILE:LINE:
 * why" for a bad suppression file). */
int ci_load(struct options *o);
void ci_free(struct options *o);

/* Takes suppressed and baseline findings out of r (after report_analyze). */
void ci_filter(const struct options *o, struct report *r);
/* Prints r in format fmt (colour: text only). */
void ci_render(FILE *f, enum out_format fmt, const struct options *o, const struct report *r,
               bool color);
/* Writes the --json/--sarif/--junit/--html files and --gen-suppressions=FILE; -1
 * after one line on stderr. */
int ci_write_files(const struct options *o, const struct report *r);

/* connleak report --diff OLD.json NEW.json (report_diff.c). */
int ci_diff(const struct options *o);

#endif
