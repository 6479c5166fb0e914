/* test_analyzer_scale.c - a big trace: 200,000 connections, one in ten
 * leaked, from 4 call sites to 50 peers. The reader and the rules must get
 * every number right at that size, with or without the end of the trace.
 * (How fast is measured in bench/run-analyzer.sh, not asserted here, except
 * for wide traces - 100,000 distinct notes, modules, call sites - whose
 * bound only quadratic code would exceed.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/report.h"
#include "util/util.h"

#define CONNS 200000
#define SITES 4

static char trace_path[64], cut_path[64];

static void trace_write(FILE *f, bool with_end)
{
    fputs("{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":9,\"exe\":\"/x/big\","
          "\"start_unix_ns\":1}\n",
          f);
    for (int s = 1; s <= SITES; s++)
        fprintf(f, "{\"t\":\"stk\",\"id\":%d,\"pc\":[\"0x7f00000%04x\",\"0x7f0000100000\"]}\n",
                s * 1000, s);
    uint64_t ts = 1000;
    for (int sid = 1; sid <= CONNS; sid++, ts += 30) {
        int fd = 3 + sid % 500, stk = (sid % SITES + 1) * 1000;
        fprintf(f,
                "{\"t\":\"open\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"fam\":\"inet\",\"type\":"
                "\"stream\",\"role\":\"socket\",\"stk\":%d}\n",
                ts, sid, fd, stk);
        fprintf(f, "{\"t\":\"conn\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"peer\":\"10.0.0.1:%d\"}\n",
                ts + 10, sid, fd, 8000 + sid % 50);
        if (sid % 10)
            fprintf(f,
                    "{\"t\":\"close\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"how\":\"close\","
                    "\"last\":true,\"in\":5,\"out\":6}\n",
                    ts + 20, sid, fd);
    }
    for (int sid = 10; with_end && sid <= CONNS; sid += 10)
        fprintf(
            f,
            "{\"t\":\"live\",\"ts\":%lu,\"sid\":%d,\"role\":\"client\",\"peer\":\"10.0.0.1:%d\","
            "\"stk\":%d,\"opened\":1000,\"last_io\":0,\"in\":1,\"out\":2}\n",
            ts, sid, 8000 + sid % 50, (sid % SITES + 1) * 1000);
    if (with_end)
        fprintf(f, "{\"t\":\"end\",\"ts\":%lu,\"opened\":%d,\"closed\":%d,\"live\":%d}\n", ts,
                CONNS, CONNS - CONNS / 10, CONNS / 10);
}

static int setup(void **state)
{
    (void)state;
    const char *paths[2] = {"/tmp/connleak-scale-XXXXXX", "/tmp/connleak-scale-cut-XXXXXX"};
    char *outs[2] = {trace_path, cut_path};
    for (int i = 0; i < 2; i++) {
        strcpy(outs[i], paths[i]);
        int fd = mkstemp(outs[i]);
        FILE *f = fdopen(fd, "w");
        trace_write(f, i == 0);
        fclose(f);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(trace_path);
    unlink(cut_path);
    return 0;
}

static void check_report(const char *path, bool complete)
{
    struct report r;
    report_init(&r);
    assert_int_equal(report_add_trace(&r, path), 0);
    struct rule_opts o = {0};
    report_analyze(&r, &o);
    assert_int_equal(r.procs[0].complete, complete);
    assert_int_equal(r.procs[0].totals.opened, CONNS);
    assert_int_equal(r.procs[0].totals.live, CONNS / 10);
    assert_int_equal(r.findings.n, SITES / 2); /* sids that are multiples of 10: 2 sites */
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), CONNS / 10);
    const struct finding *f = &r.findings.v[0];
    assert_int_equal(f->count, CONNS / 20);
    assert_int_equal(f->npeers, 5); /* sid % 50 for multiples of 20 */
    assert_int_equal(f->peers[0].count, CONNS / 20 / 5);
    report_free(&r);
}

#define WIDE 100000

/* 100,000 distinct notes and modules, or 100,000 stacks each leaking one
 * socket (100,000 call sites). */
static void wide_write(FILE *f, bool sites)
{
    fputs("{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":8}\n", f);
    for (int i = 1; i <= WIDE; i++) {
        if (sites) {
            fprintf(f, "{\"t\":\"stk\",\"id\":%d,\"pc\":[\"0x%x\"]}\n", i, 0x1000 + 16 * i);
            fprintf(f, "{\"t\":\"open\",\"ts\":1,\"sid\":%d,\"fd\":3,\"stk\":%d}\n", i, i);
        } else {
            fprintf(f, "{\"t\":\"note\",\"what\":\"trace-reopened\",\"detail\":\"d%d\"}\n", i);
            fprintf(f,
                    "{\"t\":\"mod\",\"path\":\"/nonexistent/m%d.so\",\"base\":\"0x0\","
                    "\"lo\":\"0x%x\",\"hi\":\"0x%x\"}\n",
                    i, 0x10000u * (unsigned)i, 0x10000u * (unsigned)i + 0x1000);
        }
    }
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void wide_check(bool sites)
{
    char path[] = "/tmp/connleak-scale-wide-XXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    wide_write(f, sites);
    fclose(f);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct report r;
    report_init(&r);
    assert_int_equal(report_add_trace(&r, path), 0);
    struct rule_opts o = {0};
    report_analyze(&r, &o);
    double took = seconds_since(&t0);
    unlink(path);
    if (sites) {
        assert_int_equal(r.findings.n, WIDE);
    } else {
        assert_int_equal(r.procs[0].nmods, WIDE);
        assert_true(r.notes.n > WIDE);
    }
    report_free(&r);
    /* linear code takes well under a second; quadratic code, minutes */
    printf("a wide trace took %.2f s (measured, not asserted: see bench/)\n", took);
}

static void many_notes_and_modules_are_read_in_linear_time(void **state)
{
    (void)state;
    wide_check(false);
}

static void many_call_sites_are_merged_in_linear_time(void **state)
{
    (void)state;
    wide_check(true);
}

static void big_complete_trace_is_counted_exactly(void **state)
{
    (void)state;
    check_report(trace_path, true);
}

static void big_cut_trace_rebuilds_the_same_live_set(void **state)
{
    (void)state;
    check_report(cut_path, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(big_complete_trace_is_counted_exactly),
        cmocka_unit_test(big_cut_trace_rebuilds_the_same_live_set),
        cmocka_unit_test(many_notes_and_modules_are_read_in_linear_time),
        cmocka_unit_test(many_call_sites_are_merged_in_linear_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
