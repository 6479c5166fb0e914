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

int main(void)
{
    (void)trace_hdr; /* analyzer_traces.h's; these traces need modules of their own */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_patterns_skip_runtime_and_client_libraries),
        cmocka_unit_test(extra_patterns_match_module_names_and_functions),
        cmocka_unit_test(headline_frame_skips_libcurl_wherever_installed),
        cmocka_unit_test(skip_frames_moves_the_headline_out_of_a_wrapper),
        cmocka_unit_test(no_user_frame_leaves_no_headline_frame),
    };
    return cmocka_run_group_tests(tests, traces_setup, traces_teardown);
}
