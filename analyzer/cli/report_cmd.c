/* report_cmd.c - `connleak report TRACE|DIR...`: the report of traces that
 * already exist (a run elsewhere, a service that was killed, CI artefacts). */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/ci.h"
#include "cli/emit.h"
#include "cli/options.h"
#include "report/report.h"
#include "util/util.h"

int cmd_report(int argc, char **argv)
{
    struct options o;
    if (options_parse(&o, CMD_REPORT, argc, argv) < 0) {
        options_free(&o);
        return EXIT_TOOL;
    }
    if (options_answer_help(&o)) {
        options_free(&o);
        return 0;
    }
    if (o.diff) {
        int drc = ci_diff(&o);
        options_free(&o);
        return drc;
    }
    struct report r;
    struct output out;
    report_init(&r);
    int rc = EXIT_TOOL;
    if (report_load_paths(&r, o.args, o.nargs) == 0 && output_open(&out, &o) == 0) {
        struct rule_opts ro;
        options_rule_opts(&o, &ro);
        options_http_opts(&o, &r.http);
        report_analyze(&r, &ro);
        ci_filter(&o, &r); /* suppressions, --baseline */
        int written = output_report(&out, &o, &r);
        int closed = output_close(&out);
        rc = 0;
        if (written < 0 || closed != 0) {
            fputs("connleak: could not write the report\n", stderr);
            rc = EXIT_TOOL;
        } else if (o.fail_on && r.status == STATUS_INCOMPLETE) { /* disk full */
            rc = EXIT_INCOMPLETE;
        } else if (o.fail_on &&
                   (report_has_kinds(&r, o.fail_on) || r.status == STATUS_NOT_OBSERVABLE)) {
            rc = o.error_exitcode;
        }
    }
    report_free(&r);
    options_free(&o);
    return rc;
}
