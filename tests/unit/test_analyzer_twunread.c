/* test_analyzer_twunread.c - the tw-unread note (report/twunread.c): a
 * program's connections closed first, enough for a time-wait-storm, that no
 * sample's read of the kernel's TIME_WAIT sockets came after, are said
 * unseen; closes a read came after, found or not, are not. */
#include "analyzer_traces.h"

#include <string.h>

#define SEC  ((uint64_t)1000000000)
#define PEER "127.0.0.1:7000"

/* The trace: 11 client connections to PEER from stack 3, closed first
 * every 0.5 s from 1 s to 6 s; a sample at read_at s (0: none) that read
 * TIME_WAIT and found `found` of them there. */
static void churn_trace(struct strbuf *sb, int read_at, int found)
{
    trace_hdr(sb, 40, "/x/churn");
    for (int i = 1; i <= 11; i++) {
        uint64_t ts = SEC + (uint64_t)(i - 1) * SEC / 2;
        strbuf_addf(sb,
                    "{\"t\":\"open\",\"ts\":%lu,\"sid\":%d,\"fd\":5,\"role\":\"socket\",\"stk\":3,"
                    "\"peer\":\"" PEER "\"}\n{\"t\":\"conn\",\"ts\":%lu,\"sid\":%d,\"fd\":5,"
                    "\"peer\":\"" PEER "\"}\n",
                    ts - 2000, i, ts - 1000, i);
        strbuf_addf(sb,
                    "{\"t\":\"close\",\"ts\":%lu,\"sid\":%d,\"fd\":5,\"how\":\"close\","
                    "\"last\":true,\"in\":1,\"out\":1,\"last_io\":%lu}\n",
                    ts, i, ts - 1);
        if (read_at && ts <= (uint64_t)read_at * SEC && ts + SEC / 2 > (uint64_t)read_at * SEC)
            strbuf_addf(sb,
                        "{\"t\":\"sample\",\"ts\":%lu,\"fds\":4,\"nofile\":1024,\"socks\":0,"
                        "\"sites\":[],\"peers\":[],\"tcp\":{},\"tw\":[%s%d%s]}\n",
                        (uint64_t)read_at * SEC,
                        found ? "{\"peer\":\"" PEER "\",\"stk\":3,\"n\":" : "", found,
                        found ? "}" : "");
    }
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":%lu}\n", 7 * SEC);
}

/* The report of churn_trace(read_at, found) at --tw-min 5: its notes saying
 * part (0 or 1), and its time-wait-storm findings. */
static size_t report_of(int read_at, int found, const char *part, size_t *storms)
{
    struct strbuf sb = {0};
    struct report r;
    struct http_opts h = HTTP_OPTS_DEFAULT;
    h.tw_min = 5;
    churn_trace(&sb, read_at, found);
    analyze(&r, &sb, &h);
    size_t n = 0;
    for (size_t i = 0; i < r.notes.n; i++) n += strstr(r.notes.v[i], part) != NULL;
    *storms = kind_count(&r, KIND_TIME_WAIT);
    assert_int_equal(r.notes.n, n); /* no other note */
    report_free(&r);
    return n;
}

static void closes_no_read_came_after_are_said_unseen(void **state)
{
    (void)state;
    size_t storms;
    assert_int_equal(report_of(0, 0,
                               "churn (pid 40): 11 connections to " PEER " were closed first and "
                               "no sample read the kernel's TIME_WAIT sockets: whether they piled "
                               "up in TIME_WAIT was not seen (tw-unread)",
                               &storms),
                     1);
    assert_int_equal(storms, 0);
}

static void closes_a_read_came_after_are_not_noted_found_or_not(void **state)
{
    (void)state;
    size_t storms;
    /* read at the end, none there: the server closed first */
    assert_int_equal(report_of(6, 0, "tw-unread", &storms), 0);
    assert_int_equal(storms, 0);
    /* read at the end, found: the storm */
    assert_int_equal(report_of(6, 11, "tw-unread", &storms), 0);
    assert_int_equal(storms, 1);
}

/* The note is not a finding: the report's findings stay what they were. */
static void the_note_leaves_the_findings_alone(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    struct http_opts h = HTTP_OPTS_DEFAULT;
    h.tw_min = 5;
    churn_trace(&sb, 3, 0);
    analyze(&r, &sb, &h);
    assert_int_equal(r.findings.n, 0);
    assert_int_equal(r.notes.n, 1);
    report_free(&r);
    sb = (struct strbuf){0};
    churn_trace(&sb, 3, 5);
    analyze(&r, &sb, &h);
    assert_int_equal(only(&r, KIND_TIME_WAIT)->count, 5);
    report_free(&r);
}

static void closes_after_the_last_read_count_from_it(void **state)
{
    (void)state;
    size_t storms;
    /* read at 3 s, none found: the 6 closes after it (3.5 s to 6 s) */
    assert_int_equal(report_of(3, 0,
                               "6 connections to " PEER " were closed first after the last "
                               "sample that read the kernel's TIME_WAIT sockets",
                               &storms),
                     1);
    /* read at 4 s: the 4 after it are fewer than --tw-min */
    assert_int_equal(report_of(4, 0, "tw-unread", &storms), 0);
    /* read at 3 s found a storm already: the rest only raise its peak */
    assert_int_equal(report_of(3, 5, "tw-unread", &storms), 0);
    assert_int_equal(storms, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closes_no_read_came_after_are_said_unseen),
        cmocka_unit_test(closes_a_read_came_after_are_not_noted_found_or_not),
        cmocka_unit_test(closes_after_the_last_read_count_from_it),
        cmocka_unit_test(the_note_leaves_the_findings_alone),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
