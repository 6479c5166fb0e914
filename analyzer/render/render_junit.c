/* render_junit.c - the report as JUnit XML (docs/ci.md), the format CI
 * dashboards read: a testsuite named after the program, one testcase per
 * finding kind (a failure per finding of that kind, its text report as
 * the failure's text) or, when the program marked its tests
 * (connleak_mark), one per test; and a testcase "observed" that errors
 * when the program could not be observed or left no trace: never silent. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render/markup.h"
#include "render/render.h"
#include "symbols/stackfmt.h"
#include "util/util.h"

static const char *suite_name(const struct report *r, const struct render_opts *ro)
{
    if (ro && ro->suite) return ro->suite;
    if (r->has_program && r->argv.n) return path_basename(r->argv.v[0]);
    if (r->nprocs) return process_name(&r->procs[0]);
    return "connleak";
}

static void junit_failure(FILE *out, const struct finding *f)
{
    char *text = NULL, *where = frames_where(&f->stack);
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        render_text_finding(mem, f, false);
        fclose(mem);
    }
    fprintf(out, "      <failure type=\"%s\" message=\"", kind_name(f->kind));
    markup_put(out, kind_name(f->kind));
    fprintf(out, " (count %" PRIu64 ") at ", f->count);
    markup_put(out, where);
    fputs("\">", out);
    markup_put(out, text);
    fputs("</failure>\n", out);
    free(text);
    free(where);
}

static void junit_observed(FILE *out, const char *suite, const struct report *r)
{
    fputs("    <testcase classname=\"connleak.", out);
    markup_put(out, suite);
    fputs("\" name=\"observed\"", out);
    if (r->status != STATUS_NOT_OBSERVABLE && r->status != STATUS_NO_TRACE) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n      <error type=\"", out);
    markup_put(out, status_name(r->status));
    fputs("\" message=\"", out);
    markup_put(out, r->status == STATUS_NO_TRACE ? "the program left no trace"
                    : r->observe_line            ? r->observe_line
                                                 : "not observable");
    fputs("\"/>\n    </testcase>\n", out);
}

static void junit_head(FILE *out, const char *suite, size_t tests, size_t failures, int errors)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"connleak\">\n", out);
    fputs("  <testsuite name=\"", out);
    markup_put(out, suite);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" skipped=\"0\">\n", tests,
            failures, errors);
}

/* A testcase named name with a failure per finding that in() takes. */
static void junit_case(FILE *out, const char *suite, const char *name, const struct report *r,
                       bool (*in)(const struct finding *, const void *), const void *arg)
{
    fputs("    <testcase classname=\"connleak.", out);
    markup_put(out, suite);
    fputs("\" name=\"", out);
    markup_put(out, name);
    fputs("\"", out);
    bool any = false;
    for (size_t i = 0; i < r->findings.n; i++) {
        const struct finding *f = &r->findings.v[i];
        if (!in(f, arg)) continue;
        if (!any) fputs(">\n", out);
        any = true;
        junit_failure(out, f);
    }
    fputs(any ? "    </testcase>\n" : "/>\n", out);
}

static bool of_kind(const struct finding *f, const void *kind)
{
    return f->kind == *(const enum finding_kind *)kind;
}

static bool of_test(const struct finding *f, const void *test)
{
    return finding_in_test(f, test);
}

static bool of_no_test(const struct finding *f, const void *unused)
{
    (void)unused;
    return f->ntests == 0;
}

static bool any_finding(const struct report *r, bool (*in)(const struct finding *, const void *),
                        const void *arg)
{
    for (size_t i = 0; i < r->findings.n; i++)
        if (in(&r->findings.v[i], arg)) return true;
    return false;
}

/* No test marked: a testcase per finding kind. */
static void junit_by_kind(FILE *out, const char *suite, const struct report *r, int errors)
{
    size_t failures = 0;
    for (enum finding_kind k = 0; k < KIND_COUNT; k++) failures += any_finding(r, of_kind, &k);
    junit_head(out, suite, KIND_COUNT + 1, failures, errors);
    junit_observed(out, suite, r);
    for (enum finding_kind k = 0; k < KIND_COUNT; k++)
        junit_case(out, suite, kind_name(k), r, of_kind, &k);
}

/* Tests marked (connleak_mark): a testcase per test, failing with the
 * findings whose sockets it opened, and "(outside tests)" for findings
 * no test is named on, when there are some. */
static void junit_by_test(FILE *out, const char *suite, const struct report *r, int errors,
                          const struct strlist *tests)
{
    size_t failures = 0;
    bool outside = any_finding(r, of_no_test, NULL);
    for (size_t i = 0; i < tests->n; i++) failures += any_finding(r, of_test, tests->v[i]);
    junit_head(out, suite, tests->n + 1 + outside, failures + outside, errors);
    junit_observed(out, suite, r);
    for (size_t i = 0; i < tests->n; i++)
        junit_case(out, suite, tests->v[i], r, of_test, tests->v[i]);
    if (outside) junit_case(out, suite, "(outside tests)", r, of_no_test, NULL);
}

void render_junit(FILE *out, const struct report *r, const struct render_opts *ro)
{
    const char *suite = suite_name(r, ro);
    int errors = r->status == STATUS_NOT_OBSERVABLE || r->status == STATUS_NO_TRACE;
    struct strlist tests = {0};
    report_tests(r, &tests);
    if (tests.n)
        junit_by_test(out, suite, r, errors, &tests);
    else
        junit_by_kind(out, suite, r, errors);
    strlist_free(&tests);
    fputs("  </testsuite>\n</testsuites>\n", out);
}
