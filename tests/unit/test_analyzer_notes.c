/* test_analyzer_notes.c - notes are grouped by kind in the text report
 * (issue 11, item 12): a trace naming 500 unreadable modules gives one
 * "cannot read 500 modules" line with three examples, not 500 lines; the
 * JSON report keeps all 500; three notes of a kind print as they are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "render/render.h"
#include "report/report.h"
#include "util/util.h"

/* A trace of one leaked socket whose opening stack has a frame in each of
 * nmods modules that do not exist. */
static char *trace_with_modules(unsigned nmods)
{
    char *path = xstrdup("/tmp/connleak-notes-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":4242,"
          "\"exe\":\"/nonexistent/leaky\"}\n",
          f);
    for (unsigned i = 0; i < nmods; i++)
        fprintf(f,
                "{\"t\":\"mod\",\"path\":\"/nonexistent/m%03u.so\",\"base\":\"0x%x\","
                "\"lo\":\"0x%x\",\"hi\":\"0x%x\",\"bid\":\"\"}\n",
                i, 0x10000000 + i * 0x10000, 0x10000000 + i * 0x10000,
                0x10000000 + i * 0x10000 + 0x1000);
    fputs("{\"t\":\"stk\",\"id\":1,\"pc\":[", f);
    for (unsigned i = 0; i < nmods; i++)
        fprintf(f, "%s\"0x%x\"", i ? "," : "", 0x10000000 + i * 0x10000 + 0x10);
    fputs(
        "]}\n{\"t\":\"open\",\"ts\":10,\"sid\":1,\"fd\":3,\"fam\":\"inet\",\"type\":\"stream\","
        "\"role\":\"socket\",\"stk\":1}\n"
        "{\"t\":\"conn\",\"ts\":20,\"sid\":1,\"fd\":3,\"peer\":\"10.0.0.1:80\"}\n"
        "{\"t\":\"live\",\"ts\":30,\"sid\":1,\"fd\":3,\"role\":\"client\",\"peer\":\"10.0.0.1:80\","
        "\"stk\":1}\n"
        "{\"t\":\"end\",\"ts\":40,\"why\":\"exit\",\"opened\":1,\"closed\":0,\"live\":1}\n",
        f);
    fclose(f);
    return path;
}

static char *render_to_string(const struct report *r, bool json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (json)
        render_json(f, r);
    else
        render_text(f, r, false);
    fclose(f);
    return buf;
}

static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void analyze_modules(struct report *r, unsigned nmods)
{
    char *path = trace_with_modules(nmods);
    report_init(r);
    assert_int_equal(report_add_trace(r, path), 0);
    struct rule_opts o = {0};
    report_analyze(r, &o);
    unlink(path);
    free(path);
}

static void five_hundred_unreadable_modules_are_one_line(void **state)
{
    (void)state;
    struct report r;
    analyze_modules(&r, 500);
    assert_int_equal(r.findings.n, 1);
    char *text = render_to_string(&r, false);
    assert_int_equal(count_of(text, "cannot read"), 1);
    assert_non_null(strstr(text, "note: cannot read 500 modules: No such file or directory: their "
                                 "frames show the module only (/nonexistent/m000.so, "
                                 "/nonexistent/m001.so, /nonexistent/m002.so, ...)\n"));
    free(text);
    /* the JSON report keeps every note */
    char *json = render_to_string(&r, true);
    cJSON *doc = cJSON_Parse(json);
    const cJSON *n, *notes = cJSON_GetObjectItemCaseSensitive(doc, "notes");
    size_t unreadable = 0;
    cJSON_ArrayForEach(n, notes) unreadable += strstr(n->valuestring, "cannot read ") != NULL;
    assert_int_equal(unreadable, 500);
    cJSON_Delete(doc);
    free(json);
    report_free(&r);
}

static void three_notes_of_a_kind_print_as_they_are(void **state)
{
    (void)state;
    struct report r;
    analyze_modules(&r, 3);
    char *text = render_to_string(&r, false);
    assert_int_equal(count_of(text, "note: cannot read /nonexistent/m"), 3);
    assert_non_null(strstr(text, "note: cannot read /nonexistent/m002.so: No such file or "
                                 "directory: its frames show the module only\n"));
    free(text);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(five_hundred_unreadable_modules_are_one_line),
        cmocka_unit_test(three_notes_of_a_kind_print_as_they_are),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
