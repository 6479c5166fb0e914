/* analyzer_traces.h - what the analyzer's rule tests share: hand-written
 * traces go into a temporary directory (one file per trace), are read and
 * analysed like `connleak report` does, and the findings are looked up by
 * kind. Included by one test program each (static functions); the
 * program's setup / teardown are traces_setup / traces_teardown. */
#ifndef CONNLEAK_ANALYZER_TRACES_H
#define CONNLEAK_ANALYZER_TRACES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/report.h"
#include "rules/rules.h"
#include "util/util.h"

static char dir[64];
static int ntraces;
static const struct rule_opts defaults = {0};

/* Writes the trace in sb (and frees it); the path is the caller's. */
static char *trace_write(struct strbuf *sb)
{
    char *path = xasprintf("%s/connleak-%d.jsonl", dir, ++ntraces);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(sb->s ? sb->s : "", f);
    fclose(f);
    strbuf_free(sb);
    return path;
}

/* A trace's header (process pid running exe) and stacks 1..4, one frame
 * each at 0x7f000000<id>000. */
static void trace_hdr(struct strbuf *sb, int pid, const char *exe)
{
    strbuf_addf(sb,
                "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":%d,"
                "\"exe\":\"%s\",\"start_unix_ns\":%d}\n",
                pid, exe, pid);
    for (int id = 1; id <= 4; id++)
        strbuf_addf(sb, "{\"t\":\"stk\",\"id\":%d,\"pc\":[\"0x7f000000%d000\"]}\n", id, id);
}

/* Reads the traces at paths (frees them) and applies the rules, with the
 * HTTP thresholds h (NULL: the defaults). */
static void analyze_paths(struct report *r, char **paths, size_t n, const struct http_opts *h)
{
    report_init(r);
    if (h) r->http = *h;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(report_add_trace(r, paths[i]), 0);
        free(paths[i]);
    }
    report_analyze(r, &defaults);
}

/* The one trace in sb, analysed (thresholds h, NULL: the defaults). */
static void analyze(struct report *r, struct strbuf *sb, const struct http_opts *h)
{
    char *path = trace_write(sb);
    analyze_paths(r, &path, 1, h);
}

static size_t kind_count(const struct report *r, enum finding_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->findings.n; i++) n += r->findings.v[i].kind == k;
    return n;
}

/* The one finding of kind k (fails the test if there is not exactly one). */
static const struct finding *only(const struct report *r, enum finding_kind k)
{
    assert_int_equal(kind_count(r, k), 1);
    for (size_t i = 0; i < r->findings.n; i++)
        if (r->findings.v[i].kind == k) return &r->findings.v[i];
    return NULL;
}

static int traces_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/connleak-rules-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int traces_teardown(void **state)
{
    (void)state;
    if (getenv("KEEP")) return 0; /* KEEP=1: leave the traces to look at */
    for (int i = 1; i <= ntraces; i++) {
        char *p = xasprintf("%s/connleak-%d.jsonl", dir, i);
        unlink(p);
        free(p);
    }
    return rmdir(dir);
}

#endif
