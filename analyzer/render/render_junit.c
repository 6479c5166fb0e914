/* render_junit.c - the report as JUnit XML (docs/ci.md), the format CI
 * dashboards read: a testsuite named after the program, one testcase per
 * finding kind (a failure per finding of that kind, its text report as
 * the failure's text), and a testcase "observed" that errors when the
 * program could not be observed or left no trace: never silent. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"
#include "symbols/stackfmt.h"
#include "util/util.h"

/* s as XML character data or attribute value; characters XML 1.0 forbids
 * become '?'. */
static void xml_put(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*p < 0x20 && *p != '\n' && *p != '\t' ? '?' : *p, out);
        }
    }
}

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
    xml_put(out, kind_name(f->kind));
    fprintf(out, " (count %" PRIu64 ") at ", f->count);
    xml_put(out, where);
    fputs("\">", out);
    xml_put(out, text);
    fputs("</failure>\n", out);
    free(text);
    free(where);
}

static void junit_observed(FILE *out, const char *suite, const struct report *r)
{
    fputs("    <testcase classname=\"connleak.", out);
    xml_put(out, suite);
    fputs("\" name=\"observed\"", out);
    if (r->status != STATUS_NOT_OBSERVABLE && r->status != STATUS_NO_TRACE) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n      <error type=\"", out);
    xml_put(out, status_name(r->status));
    fputs("\" message=\"", out);
    xml_put(out, r->status == STATUS_NO_TRACE ? "the program left no trace"
                 : r->observe_line            ? r->observe_line
                                              : "not observable");
    fputs("\"/>\n    </testcase>\n", out);
}

void render_junit(FILE *out, const struct report *r, const struct render_opts *ro)
{
    const char *suite = suite_name(r, ro);
    size_t failures = 0;
    for (int k = 0; k < KIND_COUNT; k++)
        for (size_t i = 0; i < r->findings.n; i++)
            if (r->findings.v[i].kind == (enum finding_kind)k) {
                failures++;
                break;
            }
    int errors = r->status == STATUS_NOT_OBSERVABLE || r->status == STATUS_NO_TRACE;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"connleak\">\n", out);
    fputs("  <testsuite name=\"", out);
    xml_put(out, suite);
    fprintf(out, "\" tests=\"%d\" failures=\"%zu\" errors=\"%d\" skipped=\"0\">\n", KIND_COUNT + 1,
            failures, errors);
    junit_observed(out, suite, r);
    for (int k = 0; k < KIND_COUNT; k++) {
        fputs("    <testcase classname=\"connleak.", out);
        xml_put(out, suite);
        fprintf(out, "\" name=\"%s\"", kind_name((enum finding_kind)k));
        bool any = false;
        for (size_t i = 0; i < r->findings.n; i++) {
            const struct finding *f = &r->findings.v[i];
            if (f->kind != (enum finding_kind)k) continue;
            if (!any) fputs(">\n", out);
            any = true;
            junit_failure(out, f);
        }
        fputs(any ? "    </testcase>\n" : "/>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
}
