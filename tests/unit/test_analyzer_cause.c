/* test_analyzer_cause.c - a finding points at its root cause: the headline
 * frame is the first frame of the user's code (symbols/skipframes.c, the
 * default skips and --skip-frames globs), and the sockets a leaked client
 * handle holds fold under the handle's finding (model/owners.c, the
 * handle-owned row of rules/verdict.c). Traces are written by hand
 * (docs/trace-format.md) with module paths that do not exist: frames stay
 * unsymbolised, so what chooses the headline is the module alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/report.h"
#include "rules/rules.h"
#include "symbols/skipframes.h"
#include "symbols/stackfmt.h"
#include "util/util.h"

#include "analyzer_traces.h"

/* ---- the skip-frames matcher ---------------------------------------- */

static void default_patterns_skip_runtime_and_client_libraries(void **state)
{
    (void)state;
    static const char *const skipped[] = {
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/ld-linux-x86-64.so.2",
        "/opt/curl/lib/libcurl.so.4",
        "/usr/local/lib/libcurl-gnutls.so.4",
        "/opt/ssl/lib/libssl.so.3",
        "/opt/ssl/lib/libcrypto.so.3",
        "/srv/lib/libgnutls.so.30",
        "/srv/lib/libstdc++.so.6",
        "/opt/py/lib/libpython3.12.so.1.0",
        "/usr/bin/python3.11",
        "/build/libconnleak.so",
    };
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        assert_true(skip_frames_match(NULL, skipped[i], NULL));
    assert_false(skip_frames_match(NULL, "/home/u/build/client", "fetch_items"));
    assert_false(skip_frames_match(NULL, "/opt/app/lib/libclient.so", NULL));
    assert_false(skip_frames_match(NULL, "/home/u/libcurly_app", NULL)); /* no .so */
    assert_false(skip_frames_match(NULL, NULL, NULL));
}

static void extra_patterns_match_module_names_and_functions(void **state)
{
    (void)state;
    static const char *const globs[] = {"libmyhttp.so*", "http_*"};
    struct skip_frames s = {globs, 2};
    assert_true(skip_frames_match(&s, "/opt/app/lib/libmyhttp.so.1", "anything"));
    assert_true(skip_frames_match(&s, "/home/u/app", "http_get"));
    assert_true(skip_frames_match(&s, NULL, "http_get"));
    assert_false(skip_frames_match(&s, "/home/u/app", "fetch_http")); /* a glob, not a substring */
    assert_false(skip_frames_match(&s, "/home/u/app", NULL));
}

/* ---- the headline frame of a finding --------------------------------- */

/* A process whose one socket was opened at 3 frames: libcurl (under /opt,
 * so not a system library), the program's helper library, the program. */
static void curl_stack_trace(struct strbuf *sb)
{
    strbuf_addf(sb, "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":5,"
                    "\"exe\":\"/home/u/client\",\"start_unix_ns\":5}\n");
    static const char *const mods[] = {"/opt/curl/lib/libcurl.so.4", "/home/u/libwrap.so",
                                       "/home/u/client"};
    for (int i = 0; i < 3; i++)
        strbuf_addf(sb,
                    "{\"t\":\"mod\",\"path\":\"%s\",\"base\":\"0x%d0000\",\"lo\":\"0x%d0000\","
                    "\"hi\":\"0x%d8000\",\"bid\":\"\"}\n",
                    mods[i], i + 1, i + 1, i + 1);
    strbuf_addf(sb, "{\"t\":\"stk\",\"id\":1,\"pc\":[\"0x10100\",\"0x20200\",\"0x30300\"]}\n");
    strbuf_addf(sb,
                "{\"t\":\"open\",\"ts\":10,\"sid\":1,\"fd\":3,\"role\":\"socket\",\"stk\":1}\n");
    strbuf_addf(sb, "{\"t\":\"live\",\"ts\":90,\"sid\":1,\"fds\":[3],\"role\":\"client\","
                    "\"peer\":\"127.0.0.1:80\",\"stk\":1,\"opened\":10,\"last_io\":20}\n");
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":91}\n");
}

static void analyze_skipping(struct report *r, struct strbuf *sb, const char *const *globs,
                             size_t n)
{
    char *path = trace_write(sb);
    report_init(r);
    assert_int_equal(report_add_trace(r, path), 0);
    free(path);
    struct rule_opts o = {.skip_frames = globs, .nskip_frames = n};
    report_analyze(r, &o);
}

static void headline_frame_skips_libcurl_wherever_installed(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    curl_stack_trace(&sb);
    analyze(&r, &sb, NULL);
    const struct finding *f = only(&r, KIND_ORPHAN);
    assert_int_equal(f->stack.n, 3); /* printed whole */
    assert_false(f->stack.v[0].user);
    assert_true(f->stack.v[1].user);
    assert_int_equal(f->stack.top, 1); /* libwrap.so, not libcurl */
    char *where = frames_where(&f->stack);
    assert_string_equal(where, "0x20200 (libwrap.so)");
    free(where);
    report_free(&r);
}

static void skip_frames_moves_the_headline_out_of_a_wrapper(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    static const char *const globs[] = {"libwrap.so"};
    curl_stack_trace(&sb);
    analyze_skipping(&r, &sb, globs, 1);
    const struct finding *f = only(&r, KIND_ORPHAN);
    assert_false(f->stack.v[1].user);
    assert_true(f->stack.v[2].user);
    assert_int_equal(f->stack.top, 2);
    uint64_t fingerprint = f->fingerprint; /* the stack's ids do not depend on the headline */
    report_free(&r);
    curl_stack_trace(&sb);
    analyze_skipping(&r, &sb, NULL, 0);
    assert_int_equal(only(&r, KIND_ORPHAN)->fingerprint, fingerprint);
    report_free(&r);
}

static void no_user_frame_leaves_no_headline_frame(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    static const char *const globs[] = {"libwrap.so", "client"};
    curl_stack_trace(&sb);
    analyze_skipping(&r, &sb, globs, 2);
    assert_int_equal(only(&r, KIND_ORPHAN)->stack.top, -1);
    report_free(&r);
}

/* ---- sockets folded under the handle that holds them ----------------- */

/* libcurl at 0x10000 (under /opt: found by name), the program at 0x30000.
 * Stacks: 1 curl_easy_init's call site; 2 a socketpair libcurl opened in
 * curl_easy_perform (call site 0x30200); 3 a connection it opened there;
 * 4 a socket the program opened itself; 5 curl_multi_init's call site; 6 a
 * pair opened inside curl_multi_init; 7 a pair opened inside libcurl from
 * a call the trace cannot tie to a handle. */
static void fold_hdr(struct strbuf *sb)
{
    strbuf_addf(sb, "{\"t\":\"hdr\",\"format\":\"connleak-trace\",\"version\":1,\"pid\":6,"
                    "\"exe\":\"/home/u/client\",\"start_unix_ns\":6}\n");
    strbuf_addf(sb, "{\"t\":\"mod\",\"path\":\"/opt/curl/lib/libcurl.so.4\",\"base\":\"0x10000\","
                    "\"lo\":\"0x10000\",\"hi\":\"0x18000\",\"bid\":\"\"}\n");
    strbuf_addf(sb, "{\"t\":\"mod\",\"path\":\"/home/u/client\",\"base\":\"0x30000\","
                    "\"lo\":\"0x30000\",\"hi\":\"0x38000\",\"bid\":\"\"}\n");
    static const char *const stks[] = {
        "\"0x30100\",\"0x30900\"",
        "\"0x10100\",\"0x30200\",\"0x30900\"",
        "\"0x10300\",\"0x10400\",\"0x30200\",\"0x30900\"",
        "\"0x30500\",\"0x30900\"",
        "\"0x30600\",\"0x30900\"",
        "\"0x10500\",\"0x30600\",\"0x30900\"",
        "\"0x10700\",\"0x30700\",\"0x30900\"",
    };
    for (int i = 0; i < 7; i++)
        strbuf_addf(sb, "{\"t\":\"stk\",\"id\":%d,\"pc\":[%s]}\n", i + 1, stks[i]);
}

static void fold_handle(struct strbuf *sb, int h, const char *kind, int stk)
{
    strbuf_addf(sb, "{\"t\":\"hnew\",\"ts\":%d,\"h\":%d,\"kind\":\"%s\",\"stk\":%d}\n", h, h, kind,
                stk);
}

static void fold_use(struct strbuf *sb, int h, int sid)
{
    strbuf_addf(sb, "{\"t\":\"huse\",\"ts\":50,\"h\":%d,\"sid\":%d,\"url\":\"http://svc/x\"}\n", h,
                sid);
}

/* A live socket: role "pair" or "client" (to 127.0.0.1:80). */
static void fold_live(struct strbuf *sb, int sid, const char *role, int stk)
{
    strbuf_addf(sb,
                "{\"t\":\"live\",\"ts\":90,\"sid\":%d,\"fds\":[%d],\"role\":\"%s\"%s,\"stk\":%d,"
                "\"opened\":%d,\"last_io\":0}\n",
                sid, sid + 2, role, strcmp(role, "client") ? "" : ",\"peer\":\"127.0.0.1:80\"", stk,
                10 + sid);
}

/* Two easy handles created at stack 1, each with a pair of stack 2 and a
 * connection of stack 3 it used; the program's own socket (stack 4). */
static void fold_two_easy(struct strbuf *sb)
{
    fold_hdr(sb);
    fold_handle(sb, 1, "curl", 1);
    fold_handle(sb, 2, "curl", 1);
    fold_use(sb, 1, 3);
    fold_use(sb, 2, 6);
    for (int h = 0; h < 2; h++) {
        fold_live(sb, 3 * h + 1, "pair", 2);
        fold_live(sb, 3 * h + 2, "pair", 2);
        fold_live(sb, 3 * h + 3, "client", 3);
    }
    fold_live(sb, 7, "client", 4);
}

static void end_trace(struct strbuf *sb)
{
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":91}\n");
}

static void leaked_easy_handles_hold_their_pairs_and_connections(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    fold_two_easy(&sb);
    end_trace(&sb);
    analyze(&r, &sb, NULL);
    const struct finding *h = only(&r, KIND_HANDLE_LEAK);
    assert_int_equal(h->count, 2);
    assert_int_equal(h->held, 6);
    assert_int_equal(h->held_conns, 2);
    assert_string_equal(finding_severity(h), "error");
    assert_int_equal(only(&r, KIND_ORPHAN)->count, 1);    /* the program's own socket */
    assert_true(report_has_kinds(&r, 1u << KIND_ORPHAN)); /* --fail-on leak */
    report_free(&r);
}

static void a_group_whose_calls_cannot_be_placed_stops_the_pairs(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    fold_two_easy(&sb);
    fold_handle(&sb, 3, "curl", 4); /* another leaked group, nothing live used by it */
    end_trace(&sb);
    analyze(&r, &sb, NULL);
    const struct finding *h = NULL;
    for (size_t i = 0; i < r.findings.n; i++)
        if (r.findings.v[i].kind == KIND_HANDLE_LEAK && r.findings.v[i].count == 2)
            h = &r.findings.v[i];
    assert_non_null(h);
    assert_int_equal(h->held, 2); /* the connections it used, not the pairs */
    assert_int_equal(h->held_conns, 2);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 5);
    report_free(&r);
}

static void an_unreleased_multi_handle_keeps_easy_connections_unfolded(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    fold_two_easy(&sb);
    fold_handle(&sb, 3, "curlm", 5);
    fold_live(&sb, 8, "pair", 6); /* opened inside curl_multi_init */
    fold_live(&sb, 9, "pair", 6);
    end_trace(&sb);
    analyze(&r, &sb, NULL);
    for (size_t i = 0; i < r.findings.n; i++) {
        const struct finding *f = &r.findings.v[i];
        if (f->kind == KIND_HANDLE_LEAK && f->handle == HANDLE_CURLM) assert_int_equal(f->held, 2);
        if (f->kind == KIND_HANDLE_LEAK && f->handle == HANDLE_CURL) assert_int_equal(f->held, 0);
    }
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 7); /* 4 pairs, 3 clients */
    report_free(&r);
}

static void released_handles_and_unknown_calls_fold_nothing(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    struct report r;
    fold_two_easy(&sb);
    strbuf_addf(&sb, "{\"t\":\"hfree\",\"ts\":60,\"h\":1}\n{\"t\":\"hfree\",\"ts\":61,\"h\":2}\n");
    fold_live(&sb, 8, "pair", 7);
    end_trace(&sb);
    analyze(&r, &sb, NULL);
    assert_int_equal(kind_count(&r, KIND_HANDLE_LEAK), 0);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 8);
    report_free(&r);
}

int main(void)
{
    (void)trace_hdr; /* analyzer_traces.h's; these traces need modules of their own */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_patterns_skip_runtime_and_client_libraries),
        cmocka_unit_test(extra_patterns_match_module_names_and_functions),
        cmocka_unit_test(headline_frame_skips_libcurl_wherever_installed),
        cmocka_unit_test(skip_frames_moves_the_headline_out_of_a_wrapper),
        cmocka_unit_test(no_user_frame_leaves_no_headline_frame),
        cmocka_unit_test(leaked_easy_handles_hold_their_pairs_and_connections),
        cmocka_unit_test(a_group_whose_calls_cannot_be_placed_stops_the_pairs),
        cmocka_unit_test(an_unreleased_multi_handle_keeps_easy_connections_unfolded),
        cmocka_unit_test(released_handles_and_unknown_calls_fold_nothing),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
