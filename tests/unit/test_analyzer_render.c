/* test_analyzer_render.c - the printers: the JSON report follows
 * docs/report-json.md (valid JSON, every required field, nulls where the
 * schema says), and the text report reads as specified (one line when clean,
 * one block per call site, notes last, colour only when asked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "render/render.h"
#include "report/report.h"
#include "util/util.h"

static void analyze(struct report *r, const char *name, bool listeners)
{
    report_init(r);
    char *path = xasprintf("%s/%s", TEST_DATA, name);
    assert_int_equal(report_add_trace(r, path), 0);
    free(path);
    struct rule_opts o = {.include_listeners = listeners};
    report_analyze(r, &o);
}

/* The JSON text of the report, parsed back. */
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

static char *text_of(const struct report *r, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    render_text(f, r, color);
    fclose(f);
    return buf;
}

static const cJSON *get(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) fail_msg("missing field \"%s\"", key);
    return v;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static void json_report_has_the_top_level_fields(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "complete.jsonl", false);
    cJSON *doc = json_of(&r);
    assert_string_equal(str(doc, "tool"), "connleak " CONNLEAK_VERSION);
    assert_int_equal(num(doc, "report_version"), 1);
    assert_string_equal(str(doc, "status"), "leaks");
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "program")); /* run only */
    const cJSON *procs = get(doc, "processes");
    assert_int_equal(cJSON_GetArraySize(procs), 1);
    const cJSON *p = cJSON_GetArrayItem(procs, 0);
    assert_int_equal(num(p, "pid"), 4242);
    assert_int_equal(num(p, "ppid"), 4241);
    assert_string_equal(str(p, "exe"), "/src/build/leaky");
    assert_non_null(strstr(str(p, "trace"), "complete.jsonl"));
    assert_true(cJSON_IsFalse(get(p, "forked")));
    assert_true(cJSON_IsTrue(get(p, "complete")));
    assert_int_equal(num(p, "opened"), 6);
    assert_int_equal(num(p, "closed"), 1);
    assert_int_equal(num(p, "live"), 5);
    const cJSON *sum = get(doc, "summary");
    assert_int_equal(num(sum, "findings"), 2);
    assert_int_equal(num(sum, "orphaned-socket"), 4);
    assert_int_equal(num(sum, "double-close"), 0);
    assert_int_equal(num(sum, "foreign-close"), 0);
    assert_true(cJSON_IsArray(get(doc, "notes")));
    cJSON_Delete(doc);
    report_free(&r);
}

static void json_orphan_finding_has_its_fields(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "complete.jsonl", false);
    cJSON *doc = json_of(&r);
    const cJSON *f = cJSON_GetArrayItem(get(doc, "findings"), 0);
    assert_string_equal(str(f, "kind"), "orphaned-socket");
    assert_string_equal(str(f, "severity"), "error");
    assert_int_equal(num(f, "count"), 3);
    assert_int_equal(cJSON_GetArrayItem(get(f, "pids"), 0)->valuedouble, 4242);
    assert_string_equal(str(f, "role"), "client");
    const cJSON *peers = get(f, "peers");
    assert_int_equal(cJSON_GetArraySize(peers), 2);
    assert_string_equal(str(cJSON_GetArrayItem(peers, 0), "peer"), "10.0.0.1:80");
    assert_int_equal(num(cJSON_GetArrayItem(peers, 0), "count"), 2);
    assert_int_equal(num(get(f, "age_ms"), "min"), 46);
    assert_int_equal(num(get(f, "age_ms"), "max"), 48);
    assert_int_equal(num(get(f, "idle_ms"), "min"), 5);
    assert_int_equal(num(get(f, "idle_ms"), "max"), 46);
    assert_int_equal(num(f, "bytes_in"), 1500);
    assert_int_equal(num(f, "bytes_out"), 150);
    assert_true(cJSON_IsNull(get(f, "top_frame"))); /* no frame of the program */
    const char *fp = str(f, "fingerprint");
    assert_int_equal(strlen(fp), 16);
    assert_int_equal(strspn(fp, "0123456789abcdef"), 16);
    const cJSON *stack = get(f, "stack");
    assert_int_equal(cJSON_GetArraySize(stack), 2);
    const cJSON *fr = cJSON_GetArrayItem(stack, 0);
    assert_string_equal(str(fr, "pc"), "0x7f0000001111");
    assert_true(cJSON_IsNull(get(fr, "module")));
    assert_true(cJSON_IsNull(get(fr, "function")));
    assert_true(cJSON_IsNull(get(fr, "file")));
    assert_true(cJSON_IsNull(get(fr, "line")));
    assert_int_equal(num(fr, "offset"), 0);
    assert_true(cJSON_IsFalse(get(fr, "inlined")));
    assert_true(cJSON_IsFalse(get(fr, "user")));
    cJSON_Delete(doc);
    report_free(&r);
}

static void json_close_findings_have_fds_and_open_stack(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "badclose.jsonl", false);
    cJSON *doc = json_of(&r);
    const cJSON *findings = get(doc, "findings");
    assert_int_equal(cJSON_GetArraySize(findings), 3);
    const cJSON *dbl = cJSON_GetArrayItem(findings, 1), *foreign = cJSON_GetArrayItem(findings, 2);
    assert_string_equal(str(dbl, "kind"), "double-close");
    assert_string_equal(str(dbl, "severity"), "error");
    assert_int_equal(cJSON_GetArraySize(get(dbl, "fds")), 2);
    assert_int_equal(cJSON_GetArraySize(get(dbl, "open_stack")), 2);
    assert_string_equal(str(foreign, "kind"), "foreign-close");
    assert_string_equal(str(foreign, "severity"), "warning");
    assert_int_equal(cJSON_GetArrayItem(get(foreign, "fds"), 1)->valuedouble, 101);
    assert_null(cJSON_GetObjectItemCaseSensitive(foreign, "open_stack"));
    assert_int_equal(num(get(doc, "summary"), "foreign-close"), 2);
    cJSON_Delete(doc);
    report_free(&r);
}

static void json_program_says_exit_code_or_signal(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "clean.jsonl", false);
    r.has_program = true;
    strlist_push(&r.argv, xstrdup("./clean_client"));
    r.exit_code = 3;
    cJSON *doc = json_of(&r);
    const cJSON *prog = get(doc, "program");
    assert_string_equal(cJSON_GetArrayItem(get(prog, "argv"), 0)->valuestring, "./clean_client");
    assert_int_equal(num(prog, "exit_code"), 3);
    assert_true(cJSON_IsNull(get(prog, "signal")));
    assert_string_equal(str(doc, "status"), "clean");
    cJSON_Delete(doc);
    r.exit_code = -1;
    r.signal = 9;
    doc = json_of(&r);
    prog = get(doc, "program");
    assert_true(cJSON_IsNull(get(prog, "exit_code")));
    assert_int_equal(num(prog, "signal"), 9);
    cJSON_Delete(doc);
    report_free(&r);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void clean_text_report_is_one_line(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "clean.jsonl", false);
    char *text = text_of(&r, false);
    assert_int_equal(count_lines(text), 1);
    assert_string_equal(text, "connleak: no leaks: clean_client (pid 31) opened 3 sockets and "
                              "closed all but 1 listener (not counted as leaks).\n");
    free(text);
    report_free(&r);
}

static void text_report_has_one_block_per_call_site(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "complete.jsonl", false);
    char *text = text_of(&r, false);
    assert_true(str_has_prefix(text, "connleak: 4 sockets leaked by leaky (pid 4242) from 2 call "
                                     "sites\n"));
    const char *a = strstr(text, "ORPHANED SOCKETS  3 still open at exit");
    const char *b = strstr(text, "ORPHANED SOCKETS  1 still open at exit");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b); /* the bigger one first */
    assert_non_null(strstr(text, "  client to 10.0.0.1:80 (2), [::1]:443 (1) · age 46–48 ms · "
                                 "idle 5–46 ms · 1.5 KiB in, 150 B out\n"));
    assert_non_null(strstr(text, "    #0 0x7f0000001111  ??\n"));
    assert_null(strchr(text, '\033')); /* no colour unless asked */
    free(text);
    text = text_of(&r, true);
    assert_non_null(strstr(text, "\033[1;31mORPHANED SOCKETS\033[0m"));
    assert_non_null(strstr(text, "\033[2m#0 0x7f0000001111  ??\033[0m")); /* not the program's */
    free(text);
    report_free(&r);
}

static void text_notes_come_last_one_per_line(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "no_end.jsonl", false);
    char *text = text_of(&r, false);
    assert_non_null(strstr(text, "2 still open at the last flush"));
    const char *note = strstr(text, "\nnote: trace of pid 77 ends without an exit record");
    assert_non_null(note);
    assert_null(strstr(note, "ORPHANED")); /* nothing after the notes */
    free(text);
    report_free(&r);
}

static void not_observable_report_never_says_no_leaks(void **state)
{
    (void)state;
    struct report r;
    report_init(&r);
    r.has_program = true;
    r.observe_line = xstrdup("connleak: ./hello is a Go binary: ...");
    struct rule_opts o = {0};
    report_analyze(&r, &o);
    assert_int_equal(r.status, STATUS_NOT_OBSERVABLE);
    char *text = text_of(&r, false);
    assert_string_equal(text, "connleak: ./hello is a Go binary: ...\n");
    free(text);
    cJSON *doc = json_of(&r);
    assert_string_equal(str(doc, "status"), "not-observable");
    cJSON_Delete(doc);
    report_free(&r);
}

static void double_close_text_shows_where_the_socket_was_opened(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "badclose.jsonl", false);
    char *text = text_of(&r, false);
    assert_non_null(strstr(text, "DOUBLE CLOSE  3 closes of already-closed fds (fds 5, 7) in "));
    assert_non_null(strstr(text, "  the socket on that fd was opened at:\n    #0 0x7f0000000d00"));
    assert_non_null(strstr(text, "FOREIGN CLOSE  2 closes of never-opened fds (fds 100, 101)"));
    assert_non_null(strstr(text, "note: ignored 5 closes of never-opened fds from a close-all"));
    free(text);
    report_free(&r);
}

/* True when s has a byte that drives a terminal: C0 (but \n), DEL, or a C1
 * control in its UTF-8 form. */
static bool has_controls(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f ||
            (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
            return true;
    return false;
}

static void text_escapes_control_characters_from_the_trace(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "escape.jsonl", false);
    char *text = text_of(&r, false);
    assert_false(has_controls(text));
    /* exe, peer and note keep their text, controls as \xNN */
    assert_non_null(strstr(text, "leaked by \\x1b[2J\\x1b]0;owned\\x07x (pid 42)"));
    assert_non_null(strstr(text, "1.2.3.4:5\\x1b[31mRED\\x0anote: fake line (1)"));
    assert_null(strstr(text, "\nnote: fake line")); /* no forged line */
    assert_non_null(strstr(text, "note: pid 42: \\x1b]52;c;cm0gLXJmIH4K\\x07clipboard "
                                 "\\xc2\\x9b31m café\\x7f (x)\n"));
    free(text);
    text = text_of(&r, true); /* colour adds our escapes, never the trace's */
    assert_null(strstr(text, "\033[2J"));
    assert_null(strstr(text, "\033]"));
    free(text);
    report_free(&r);
}

static void escaping_keeps_utf8_and_escapes_invalid_bytes(void **state)
{
    (void)state;
    char *e = str_escape_controls("a\tb é € 😀 \xff\xc3 \xe2\x82 \xc2\x85 \x7f");
    assert_string_equal(e, "a\\x09b é € 😀 \\xff\\xc3 \\xe2\\x82 \\xc2\\x85 \\x7f");
    free(e);
    assert_null(str_escape_controls(NULL));
}

/* A trace cut short says nothing about what happened after its last flush. */
static void partial_clean_report_is_not_a_confident_no_leaks(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "partial_clean.jsonl", false);
    assert_int_equal(r.status, STATUS_CLEAN);
    char *text = text_of(&r, false);
    assert_true(str_has_prefix(text, "connleak: no leaks seen up to the last flush: worker "
                                     "(pid 90) opened 1 socket and closed it.\n"));
    assert_null(strstr(text, "no leaks:"));
    free(text);
    report_free(&r);
}

static void one_socket_closed_reads_well(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "one_socket.jsonl", false);
    char *text = text_of(&r, false);
    assert_string_equal(text, "connleak: no leaks: once (pid 91) opened 1 socket and closed it.\n");
    free(text);
    report_free(&r);
}

static void killed_program_is_said_in_one_line(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "partial_clean.jsonl", false);
    r.has_program = true;
    strlist_push(&r.argv, xstrdup("./worker"));
    r.pid = 90;
    r.exit_code = -1;
    r.signal = 9;
    char *text = text_of(&r, false);
    /* the flush interval is the one in the trace's header */
    assert_true(str_has_prefix(text, "connleak: worker (pid 90) was killed by signal 9 (SIGKILL): "
                                     "the report is as of its last flush (500 ms)\n"
                                     "connleak: no leaks seen up to the last flush: "));
    free(text);
    report_free(&r);
}

static void no_trace_after_a_signal_blames_the_signal(void **state)
{
    (void)state;
    struct report r;
    report_init(&r);
    r.has_program = true;
    strlist_push(&r.argv, xstrdup("sh"));
    r.exit_code = -1;
    r.signal = 15;
    struct rule_opts o = {0};
    report_analyze(&r, &o);
    assert_int_equal(r.status, STATUS_NO_TRACE);
    char *text = text_of(&r, false);
    assert_string_equal(text, "connleak: no trace: sh was killed by signal 15 (SIGTERM) before "
                              "connleak's first flush, so there is nothing to report\n");
    free(text);
    r.signal = 0;
    r.exit_code = 0;
    text = text_of(&r, false);
    assert_non_null(strstr(text, "setuid")); /* exited normally without a trace */
    free(text);
    report_free(&r);
}

static void observe_line_already_shown_is_not_repeated(void **state)
{
    (void)state;
    struct report r;
    report_init(&r);
    r.has_program = true;
    r.observe_line = xstrdup("connleak: ./hello is a Go binary: ...");
    r.observe_shown = true;
    struct rule_opts o = {0};
    report_analyze(&r, &o);
    char *text = text_of(&r, false);
    assert_string_equal(text, "");
    free(text);
    report_free(&r);
}

static void json_finding_has_a_fingerprint_and_a_site(void **state)
{
    (void)state;
    struct report r;
    analyze(&r, "complete.jsonl", false);
    cJSON *doc = json_of(&r);
    const cJSON *f = cJSON_GetArrayItem(get(doc, "findings"), 0);
    assert_int_equal(strlen(str(f, "fingerprint")), 16);
    assert_int_equal(strlen(str(f, "site")), 16);
    cJSON_Delete(doc);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_report_has_the_top_level_fields),
        cmocka_unit_test(json_orphan_finding_has_its_fields),
        cmocka_unit_test(json_close_findings_have_fds_and_open_stack),
        cmocka_unit_test(json_program_says_exit_code_or_signal),
        cmocka_unit_test(clean_text_report_is_one_line),
        cmocka_unit_test(text_report_has_one_block_per_call_site),
        cmocka_unit_test(text_notes_come_last_one_per_line),
        cmocka_unit_test(not_observable_report_never_says_no_leaks),
        cmocka_unit_test(double_close_text_shows_where_the_socket_was_opened),
        cmocka_unit_test(text_escapes_control_characters_from_the_trace),
        cmocka_unit_test(escaping_keeps_utf8_and_escapes_invalid_bytes),
        cmocka_unit_test(partial_clean_report_is_not_a_confident_no_leaks),
        cmocka_unit_test(one_socket_closed_reads_well),
        cmocka_unit_test(killed_program_is_said_in_one_line),
        cmocka_unit_test(no_trace_after_a_signal_blames_the_signal),
        cmocka_unit_test(observe_line_already_shown_is_not_repeated),
        cmocka_unit_test(json_finding_has_a_fingerprint_and_a_site),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
