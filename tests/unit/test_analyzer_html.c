/* test_analyzer_html.c - the HTML report (render/render_html.c): markup
 * and control characters from a trace come out as text, the charts follow
 * the samples' fds and `tcp` counts and the ktcp changes, a clean report
 * has no finding element. The e2e test html_report opens real reports in
 * Chromium; this one checks the page's text itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "render/render.h"
#include "report/report.h"
#include "util/util.h"

static const char hostile_trace[] =
    "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":7,"
    "\"exe\":\"/x/<svg onload=alert(1)>\"}\n"
    "{\"t\":\"open\",\"sid\":1,\"fd\":3}\n"
    "{\"t\":\"live\",\"sid\":1,\"role\":\"client\",\"peer\":\"1.2.3.4:5<img src=x onerror=y>\"}\n"
    "{\"t\":\"note\",\"what\":\"x\",\"detail\":\"<b>bold</b> \\u001b[31m & 'q' \\\"dq\\\"\"}\n"
    "{\"t\":\"end\",\"live\":1}\n";

static const char sampled_trace[] =
    "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":9,\"exe\":\"/bin/srv\"}\n"
    "{\"t\":\"open\",\"sid\":1,\"fd\":3}\n"
    "{\"t\":\"sample\",\"ts\":1000000000,\"fds\":4,\"nofile\":1024,\"socks\":1}\n"
    "{\"t\":\"ktcp\",\"ts\":1500000000,\"sid\":1,\"state\":\"CLOSE_WAIT\",\"rq\":0}\n"
    "{\"t\":\"sample\",\"ts\":2000000000,\"fds\":6,\"nofile\":1024,\"socks\":3,"
    "\"tcp\":{\"CLOSE_WAIT\":2,\"TIME_WAIT\":1}}\n"
    "{\"t\":\"sample\",\"ts\":3000000000,\"fds\":9,\"nofile\":1024,\"socks\":5}\n"
    "{\"t\":\"end\",\"live\":0}\n";

/* The report of a trace written from text. */
static void analyze_text(struct report *r, const char *trace)
{
    char path[] = "/tmp/connleak-test-html-XXXXXX.jsonl";
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, trace, strlen(trace)), (ssize_t)strlen(trace));
    close(fd);
    report_init(r);
    assert_int_equal(report_add_trace(r, path), 0);
    unlink(path);
    struct rule_opts o = {0};
    report_analyze(r, &o);
}

static char *html_of(const struct report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    render_html(f, r, NULL);
    fclose(f);
    return buf;
}

static void html_escapes_markup_from_the_trace(void **state)
{
    (void)state;
    struct report r;
    analyze_text(&r, hostile_trace);
    assert_true(r.findings.n >= 1);
    char *html = html_of(&r);
    assert_null(strstr(html, "<svg onload"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<b>"));
    assert_null(strchr(html, '\033'));
    assert_non_null(strstr(html, "&lt;svg onload=alert(1)&gt;"));
    assert_non_null(strstr(html, "1.2.3.4:5&lt;img src=x onerror=y&gt;"));
    assert_non_null(strstr(html, "&lt;b&gt;bold&lt;/b&gt; ?[31m &amp; &#39;q&#39; &quot;dq&quot;"));
    free(html);
    report_free(&r);
}

static void html_charts_follow_samples_and_ktcp(void **state)
{
    (void)state;
    struct report r;
    analyze_text(&r, sampled_trace);
    assert_int_equal(r.nprocs, 1);
    const struct process *p = &r.procs[0];
    assert_int_equal(p->nsamples, 3);
    assert_true(p->samples[1].tcp);
    assert_false(p->samples[0].tcp);
    assert_int_equal(p->ntcp_pts, 2);
    assert_int_equal(p->nktcps, 1);
    assert_int_equal(p->ktcps[0].state, TCPS_CLOSE_WAIT);
    char *html = html_of(&r);
    assert_non_null(strstr(html, "data-name=\"open fds\""));
    assert_non_null(strstr(html, "open fds (last 9)"));
    assert_non_null(strstr(html, "tracked sockets (last 5)"));
    /* the read at 2 s holds to the last sample */
    assert_non_null(strstr(html, "CLOSE_WAIT (last 2)"));
    assert_non_null(strstr(html, "TIME_WAIT (last 1)"));
    assert_null(strstr(html, "ESTABLISHED (last"));
    assert_non_null(strstr(html, "class=\"ktcp\""));
    assert_non_null(strstr(html, "went CLOSE_WAIT at 0.500s"));
    free(html);
    report_free(&r);
}

static void html_clean_report_has_no_finding(void **state)
{
    (void)state;
    struct report r;
    report_init(&r);
    char *path = xasprintf("%s/%s", TEST_DATA, "clean.jsonl");
    assert_int_equal(report_add_trace(&r, path), 0);
    free(path);
    struct rule_opts o = {0};
    report_analyze(&r, &o);
    assert_int_equal(r.status, STATUS_CLEAN);
    char *html = html_of(&r);
    assert_non_null(strstr(html, "data-status=\"clean\""));
    assert_null(strstr(html, "class=\"finding"));
    assert_non_null(strstr(html, "No finding."));
    assert_non_null(strstr(html, "</html>"));
    free(html);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_escapes_markup_from_the_trace),
        cmocka_unit_test(html_charts_follow_samples_and_ktcp),
        cmocka_unit_test(html_clean_report_has_no_finding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
