/* test_analyzer_marks.c - per-test attribution (connleak_mark, `mark`
 * records): a socket belongs to the test whose mark came last at or before
 * its opening, none before the first mark or after an unmark; a finding
 * names only the tests of the sockets it counts; one call site leaking in
 * two processes is one finding naming both tests, in run order; bad
 * closes are attributed by their time; and no mark, no tests. */
#include "report/report.h"
#include "rules/rules.h"
#include "util/util.h"

#include "analyzer_traces.h"

#include <string.h>

static void mark(struct strbuf *sb, int ts, const char *test)
{
    if (test)
        strbuf_addf(sb, "{\"t\":\"mark\",\"ts\":%d,\"test\":\"%s\"}\n", ts, test);
    else
        strbuf_addf(sb, "{\"t\":\"mark\",\"ts\":%d}\n", ts);
}

/* The live records of the end, gathered while the opens are written: a
 * socket event after them would make them a dump. */
static struct strbuf lives;

/* A socket opened at ts at stack stk, still live at the end. */
static void live_at(struct strbuf *sb, int sid, int ts, int stk, const char *role)
{
    strbuf_addf(sb, "{\"t\":\"open\",\"ts\":%d,\"sid\":%d,\"fd\":%d,\"role\":\"%s\",\"stk\":%d}\n",
                ts, sid, 10 + sid, role, stk);
    strbuf_addf(&lives,
                "{\"t\":\"live\",\"ts\":9000,\"sid\":%d,\"fds\":[%d],\"role\":\"%s\","
                "\"peer\":\"127.0.0.1:80\",\"stk\":%d,\"opened\":%d,\"in\":0,\"out\":0}\n",
                sid, 10 + sid, role, stk, ts);
}

static void end(struct strbuf *sb, int nlive)
{
    if (lives.s) strbuf_addf(sb, "%s", lives.s);
    strbuf_free(&lives);
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":9999,\"why\":\"exit\",\"live\":%d}\n", nlive);
}

static void expect_tests(const struct finding *f, const char *const *want, size_t n)
{
    assert_int_equal(f->ntests, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(f->tests[i], want[i]);
}

static void socket_belongs_to_the_mark_at_or_before_its_opening(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    trace_hdr(&sb, 10, "/bin/t");
    live_at(&sb, 1, 50, 1, "client"); /* before any mark: no test */
    mark(&sb, 200, "s/b");            /* written before an earlier mark: ts decides */
    mark(&sb, 100, "s/a");
    live_at(&sb, 2, 100, 2, "client"); /* at the mark's very ts: s/a */
    live_at(&sb, 3, 250, 2, "client"); /* s/b */
    mark(&sb, 300, NULL);
    live_at(&sb, 4, 350, 3, "client"); /* after the unmark: no test */
    end(&sb, 4);
    analyze(&r, &sb, NULL);
    assert_int_equal(kind_count(&r, KIND_ORPHAN), 3);
    for (size_t i = 0; i < r.findings.n; i++) {
        const struct finding *f = &r.findings.v[i];
        if (f->count == 2)
            expect_tests(f, (const char *const[]){"s/a", "s/b"}, 2);
        else
            assert_int_equal(f->ntests, 0);
    }
    struct strlist all = {0};
    report_tests(&r, &all);
    assert_int_equal(all.n, 2);
    assert_string_equal(all.v[0], "s/a");
    assert_string_equal(all.v[1], "s/b");
    strlist_free(&all);
    report_free(&r);
}

static void only_the_sockets_a_finding_counts_name_tests(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    trace_hdr(&sb, 11, "/bin/t");
    mark(&sb, 100, "s/serves");
    live_at(&sb, 1, 110, 1, "listener"); /* a listener at exit: no finding */
    mark(&sb, 200, "s/leaks");
    live_at(&sb, 2, 210, 1, "client");
    end(&sb, 2);
    analyze(&r, &sb, NULL);
    expect_tests(only(&r, KIND_ORPHAN), (const char *const[]){"s/leaks"}, 1);
    report_free(&r);
}

static void one_site_in_two_processes_names_both_tests(void **state)
{
    (void)state;
    struct report r;
    char *paths[2];
    for (int i = 0; i < 2; i++) {
        struct strbuf sb = {0};
        trace_hdr(&sb, 20 + i, "/bin/runner");
        mark(&sb, 0, i ? "p/second" : "p/first");
        live_at(&sb, 1, 10, 1, "client");
        end(&sb, 1);
        paths[i] = trace_write(&sb);
    }
    analyze_paths(&r, paths, 2, NULL);
    const struct finding *f = only(&r, KIND_ORPHAN);
    assert_int_equal(f->count, 2);
    assert_int_equal(f->npids, 2);
    expect_tests(f, (const char *const[]){"p/first", "p/second"}, 2);
    report_free(&r);
}

static void bad_closes_are_attributed_by_their_time(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    trace_hdr(&sb, 12, "/bin/t");
    mark(&sb, 100, "c/double");
    strbuf_addf(&sb, "{\"t\":\"badclose\",\"ts\":150,\"fd\":7,\"kind\":\"double\",\"stk\":2}\n");
    end(&sb, 0);
    analyze(&r, &sb, NULL);
    expect_tests(only(&r, KIND_DOUBLE_CLOSE), (const char *const[]){"c/double"}, 1);
    report_free(&r);
}

static void no_mark_no_tests(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    trace_hdr(&sb, 13, "/bin/t");
    live_at(&sb, 1, 10, 1, "client");
    end(&sb, 1);
    analyze(&r, &sb, NULL);
    assert_int_equal(only(&r, KIND_ORPHAN)->ntests, 0);
    struct strlist all = {0};
    report_tests(&r, &all);
    assert_int_equal(all.n, 0);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(socket_belongs_to_the_mark_at_or_before_its_opening),
        cmocka_unit_test(only_the_sockets_a_finding_counts_name_tests),
        cmocka_unit_test(one_site_in_two_processes_names_both_tests),
        cmocka_unit_test(bad_closes_are_attributed_by_their_time),
        cmocka_unit_test(no_mark_no_tests),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
