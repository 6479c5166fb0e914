/* test_analyzer_http_render.c - the HTTP findings across processes and as
 * the user sees them: one finding for one site in two processes, the order
 * of kinds, the JSON fields and text blocks of every HTTP kind, and what
 * --fail-on leak covers. Traces as in test_analyzer_http.c (http_traces.h). */
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
#include "rules/rules.h"
#include "trace/trace_read.h"
#include "util/util.h"

#include "http_traces.h"

/* ---- across processes, order, renderers ------------------------------- */

static void same_site_in_two_processes_is_one_finding(void **state)
{
    (void)state;
    char *paths[2];
    for (int i = 0; i < 2; i++) {
        struct strbuf sb = {0};
        hdr(&sb, 60 + i);
        sock_open(&sb, 1, 1, "10.0.0.1:80", 1000);
        one_request_each(&sb, 10, 10, "10.0.0.2:80", 1000, 500, HTTP_ONE_KA, 2);
        sock_live(&sb, 1, 1, "10.0.0.1:80", 1000, 1000, 90000, HTTP_BODY_200);
        trace_end(&sb, 90000);
        paths[i] = trace_write(&sb);
    }
    struct report r;
    analyze_paths(&r, paths, 2, NULL);
    const struct finding *f = only(&r, KIND_UNCLOSED_BODY);
    assert_int_equal(f->count, 2);
    assert_int_equal(f->npids, 2);
    const struct finding *nr = only(&r, KIND_NO_REUSE);
    assert_int_equal(nr->count, 20);
    assert_int_equal(finding_saved(nr), 18);
    report_free(&r);
}

static void kinds_are_ordered_errors_before_warnings(void **state)
{
    (void)state;
    static const enum finding_kind order[] = {
        KIND_UNCLOSED_BODY, KIND_STUCK_REQUEST, KIND_CLOSE_WAIT,  KIND_ORPHAN,
        KIND_FD_GROWTH,     KIND_DOUBLE_CLOSE,  KIND_HANDLE_LEAK, KIND_DISCARDED_BODY,
        KIND_MISSING_CLOSE, KIND_NO_REUSE,      KIND_TIME_WAIT,   KIND_POOL,
        KIND_FOREIGN_CLOSE,
    };
    static const char *const names[] = {
        "unclosed-body",      "stuck-request",       "close-wait-pile",    "orphaned-socket",
        "fd-growth",          "double-close",        "client-handle-leak", "discarded-body",
        "missing-body-close", "no-connection-reuse", "time-wait-storm",    "unbounded-pool",
        "foreign-close",
    };
    assert_int_equal(sizeof(order) / sizeof(order[0]), KIND_COUNT);
    for (size_t i = 0; i < KIND_COUNT; i++) {
        assert_int_equal(order[i], i);
        assert_string_equal(kind_name(order[i]), names[i]);
        assert_int_equal(kind_parse(names[i]), order[i]);
        assert_string_equal(kind_severity(order[i]), i < 6 ? "error" : "warning");
    }
}

/* One trace with one finding of every HTTP kind. */
static void every_http_kind(struct report *r)
{
    struct strbuf sb = {0};
    hdr(&sb, 70);
    sock_open(&sb, 1, 1, "127.0.0.1:8080", 1000);
    sock_open(&sb, 2, 2, "127.0.0.1:8081", 2000);
    sock_open(&sb, 3, 3, "127.0.0.1:8082", 3000);
    sock_close(&sb, 3, 4000,
               "{\"reqs\":1,\"phase\":\"body\",\"status\":200,\"expect\":-1,\"read\":10,"
               "\"method\":\"GET\",\"target\":\"/stream\",\"host\":\"s.test\"}",
               false);
    one_request_each(&sb, 10, 10, "127.0.0.1:8083", 1000, 500, HTTP_ONE_KA, 4);
    strbuf_add(&sb,
               "{\"t\":\"hnew\",\"ts\":10,\"h\":1,\"kind\":\"curlm\",\"stk\":4}\n"
               "{\"t\":\"huse\",\"ts\":20,\"h\":1,\"sid\":1,\"url\":\"http://127.0.0.1/big\"}\n");
    sock_live(&sb, 1, 1, "127.0.0.1:8080", 1000, 1000, 30 * SEC, HTTP_BODY_200);
    sock_live(&sb, 2, 2, "127.0.0.1:8081", 2000, 2000, 30 * SEC, HTTP_AWAIT);
    trace_end(&sb, 30 * SEC);
    analyze(r, &sb, NULL);
}

static cJSON *json_of(const struct report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    render_json(f, r);
    fclose(f);
    cJSON *doc = cJSON_Parse(buf);
    assert_non_null(doc);
    free(buf);
    return doc;
}

static const cJSON *finding_named(const cJSON *doc, const char *kind)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "findings"))
    {
        if (strcmp(cJSON_GetObjectItem(f, "kind")->valuestring, kind) == 0) return f;
    }
    fail_msg("no %s finding", kind);
    return NULL;
}

static double num_at(const cJSON *o, const char *path)
{
    char *copy = xstrdup(path), *save = NULL;
    const cJSON *v = o;
    for (char *k = strtok_r(copy, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
        v = cJSON_GetObjectItemCaseSensitive(v, k);
        if (!v) fail_msg("missing field %s", path);
    }
    free(copy);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *str_at(const cJSON *o, const char *k1, const char *k2)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k1);
    if (v && k2) v = cJSON_GetObjectItemCaseSensitive(v, k2);
    if (!cJSON_IsString(v)) fail_msg("no string at %s.%s", k1, k2 ? k2 : "");
    return v->valuestring;
}

static void json_has_the_agreed_fields(void **state)
{
    (void)state;
    struct report r;
    every_http_kind(&r);
    cJSON *doc = json_of(&r);
    const cJSON *sum = cJSON_GetObjectItem(doc, "summary");
    assert_int_equal(num_at(sum, "findings"), 5);
    assert_int_equal(num_at(sum, "unclosed-body"), 1);
    assert_int_equal(num_at(sum, "stuck-request"), 1);
    assert_int_equal(num_at(sum, "discarded-body"), 1);
    assert_int_equal(num_at(sum, "no-connection-reuse"), 10);
    assert_int_equal(num_at(sum, "client-handle-leak"), 1);
    assert_int_equal(num_at(sum, "orphaned-socket"), 0);
    const cJSON *u = finding_named(doc, "unclosed-body");
    assert_string_equal(str_at(u, "severity", NULL), "error");
    assert_string_equal(str_at(u, "http", "host"), "api.test");
    assert_string_equal(str_at(u, "http", "request"), "GET /big");
    assert_int_equal(num_at(u, "http.status"), 200);
    assert_int_equal(num_at(u, "http.read"), 65536);
    assert_int_equal(num_at(u, "http.expect"), 1048576);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(u, "http"), "tls")));
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(u, "hosts"), 0), "host")
            ->valuestring,
        "api.test");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(u, "peers"), 0), "peer")
            ->valuestring,
        "127.0.0.1:8080");
    assert_int_equal(num_at(u, "idle_ms.max"), 29999);
    assert_int_equal(num_at(u, "bytes_read"), 65536);
    const cJSON *s = finding_named(doc, "stuck-request");
    assert_int_equal(num_at(s, "waited_ms.min"), 29999);
    assert_int_equal(num_at(s, "http.status"), 0);
    assert_int_equal(num_at(s, "http.expect"), -1);
    assert_null(cJSON_GetObjectItem(s, "bytes_read"));
    const cJSON *d = finding_named(doc, "discarded-body");
    assert_string_equal(str_at(d, "severity", NULL), "warning");
    assert_int_equal(num_at(d, "http.expect"), -1);
    assert_int_equal(num_at(d, "bytes_read"), 10);
    const cJSON *n = finding_named(doc, "no-connection-reuse");
    assert_string_equal(str_at(n, "peer", NULL), "127.0.0.1:8083");
    assert_string_equal(str_at(n, "host", NULL), "svc.test");
    assert_int_equal(num_at(n, "count"), 10);
    assert_int_equal(num_at(n, "connections"), 10);
    assert_int_equal(num_at(n, "requests"), 10);
    assert_int_equal(num_at(n, "saved"), 9);
    assert_int_equal(num_at(n, "max_concurrent"), 1);
    assert_int_equal(num_at(n, "sites"), 1);
    const cJSON *h = finding_named(doc, "client-handle-leak");
    assert_string_equal(str_at(h, "handle", NULL), "curlm");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(h, "urls"), 0)->valuestring,
                        "http://127.0.0.1/big");
    assert_int_equal(num_at(h, "open_sockets"), 1);
    cJSON_Delete(doc);
    report_free(&r);
}

static char *text_of(const struct report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    render_text(f, r, false);
    fclose(f);
    return buf;
}

static void text_has_a_block_with_advice_per_finding(void **state)
{
    (void)state;
    struct report r;
    every_http_kind(&r);
    char *text = text_of(&r);
    const char *expect[] = {
        "connleak: 1 unclosed body, 1 stuck request, 1 client handle leaked, 1 discarded body "
        "and 10 connections not reused by app (pid 70) from 5 call sites\n",
        "UNCLOSED BODIES  1 response never read to the end (api.test, GET /big, 200, read 64.0 "
        "KiB of 1.0 MiB) at 0x7f0000001000 (unknown module)\n"
        "  read the body to the end or close the response",
        "STUCK REQUESTS  1 request without a response after 30.0 s (127.0.0.1:8081, POST /slow)",
        "DISCARDED BODIES  1 response closed before the body was read to the end (s.test, GET "
        "/stream, 200, read 10 B of ?)",
        "NO CONNECTION REUSE  10 connections to 127.0.0.1:8083 (svc.test) carried one request "
        "each",
        "  keep-alive would have saved 9 (at most 1 open at once)",
        "LEAKED CLIENT HANDLES  1 curl multi handle never released",
        "  call curl_multi_cleanup() when done",
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        if (!strstr(text, expect[i])) fail_msg("missing \"%s\" in:\n%s", expect[i], text);
    /* errors first */
    assert_true(strstr(text, "UNCLOSED BODIES") < strstr(text, "STUCK REQUESTS"));
    assert_true(strstr(text, "LEAKED CLIENT HANDLES") < strstr(text, "DISCARDED BODIES"));
    assert_true(strstr(text, "DISCARDED BODIES") < strstr(text, "NO CONNECTION REUSE"));
    free(text);
    report_free(&r);
}

static void orphan_text_and_json_show_the_http_context(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    hdr(&sb, 71);
    sock_open(&sb, 1, 1, "10.0.0.1:80", 1000);
    sock_live(&sb, 1, 1, "10.0.0.1:80", 1000, 1000, 9000,
              "{\"reqs\":2,\"resps\":2,\"phase\":\"idle\",\"status\":200,\"method\":\"GET\","
              "\"target\":\"/v1\",\"host\":\"api.test\"}");
    trace_end(&sb, 9001);
    struct report r;
    analyze(&r, &sb, NULL);
    char *text = text_of(&r);
    if (!strstr(text, "\n  last HTTP: GET /v1 to api.test · 2 requests · idle · 200\n"))
        fail_msg("no HTTP line in:\n%s", text);
    free(text);
    cJSON *doc = json_of(&r);
    const cJSON *o = finding_named(doc, "orphaned-socket");
    assert_string_equal(str_at(o, "http", "request"), "GET /v1");
    assert_string_equal(str_at(o, "http", "host"), "api.test");
    assert_string_equal(str_at(o, "http", "phase"), "idle");
    assert_int_equal(num_at(o, "http.requests"), 2);
    assert_int_equal(num_at(o, "http.status"), 200);
    cJSON_Delete(doc);
    report_free(&r);
}

static void fail_on_leak_covers_the_sockets_http_rules_take(void **state)
{
    (void)state;
    struct report r;
    every_http_kind(&r);
    assert_true(report_has_kinds(&r, KINDS_LEAK));         /* unclosed, stuck */
    assert_false(report_has_kinds(&r, 1u << KIND_ORPHAN)); /* none left */
    assert_true(report_has_kinds(&r, 1u << KIND_NO_REUSE));
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_site_in_two_processes_is_one_finding),
        cmocka_unit_test(kinds_are_ordered_errors_before_warnings),
        cmocka_unit_test(json_has_the_agreed_fields),
        cmocka_unit_test(text_has_a_block_with_advice_per_finding),
        cmocka_unit_test(orphan_text_and_json_show_the_http_context),
        cmocka_unit_test(fail_on_leak_covers_the_sockets_http_rules_take),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
