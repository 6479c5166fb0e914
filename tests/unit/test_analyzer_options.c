/* test_analyzer_options.c - the flags of `connleak run` and `connleak
 * report`: both value syntaxes, where the program's own arguments start,
 * and that every bad flag or value is refused with one line. The HTTP
 * thresholds come from a flag, else the environment, else the default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/findings.h"
#include "cli/options.h"
#include "rules/rules.h"
#include "util/util.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Parses argv with stderr captured into *err (caller frees). */
static int parse(struct options *o, enum cmd cmd, int argc, char **argv, char **err)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 2);
    int rc = options_parse(o, cmd, argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t len = lseek(fileno(tmp), 0, SEEK_END);
    *err = calloc(1, (size_t)len + 1);
    lseek(fileno(tmp), 0, SEEK_SET);
    if (len > 0 && read(fileno(tmp), *err, (size_t)len) != len)
        fail_msg("cannot read captured stderr");
    fclose(tmp);
    return rc;
}

static void run_options_stop_at_the_program(void **state)
{
    (void)state;
    char *argv[] = {"--format", "json",          "-o",     "r.json",   "--depth=8", "--flush-ms",
                    "50",       "--follow-exec", "./prog", "--format", "yaml",      "-o"};
    struct options o;
    char *err;
    assert_int_equal(parse(&o, CMD_RUN, ARGC(argv), argv, &err), 0);
    assert_string_equal(err, "");
    assert_int_equal(o.format, FORMAT_JSON);
    assert_string_equal(o.output, "r.json");
    assert_int_equal(o.depth, 8);
    assert_int_equal(o.flush_ms, 50);
    assert_false(o.no_follow_exec); /* --follow-exec: the default, still accepted */
    assert_false(o.close_stacks);
    assert_int_equal(o.nargs, 4); /* the program's flags are its own */
    assert_string_equal(o.args[0], "./prog");
    assert_string_equal(o.args[1], "--format");
    free(err);
    options_free(&o);
}

static void double_dash_ends_the_options(void **state)
{
    (void)state;
    char *argv[] = {"--keep-traces", "--", "-weird-name", "--x"};
    struct options o;
    char *err;
    assert_int_equal(parse(&o, CMD_RUN, ARGC(argv), argv, &err), 0);
    assert_true(o.keep_traces);
    assert_int_equal(o.nargs, 2);
    assert_string_equal(o.args[0], "-weird-name");
    free(err);
    options_free(&o);
}

static void report_takes_flags_between_paths(void **state)
{
    (void)state;
    char *argv[] = {"a.jsonl", "--include-listeners", "-ob.txt", "dir", "--color=never"};
    struct options o;
    char *err;
    assert_int_equal(parse(&o, CMD_REPORT, ARGC(argv), argv, &err), 0);
    assert_int_equal(o.nargs, 2);
    assert_string_equal(o.args[0], "a.jsonl");
    assert_string_equal(o.args[1], "dir");
    assert_string_equal(o.output, "b.txt");
    assert_true(o.include_listeners);
    assert_false(o.include_inherited);
    assert_int_equal(o.color, COLOR_NEVER);
    assert_int_equal(o.error_exitcode, DEFAULT_ERROR_EXITCODE);
    free(err);
    options_free(&o);
}

static void expect_refused(enum cmd cmd, char **argv, int argc, const char *message)
{
    struct options o;
    char *err;
    assert_int_equal(parse(&o, cmd, argc, argv, &err), -1);
    size_t lines = 0;
    for (const char *c = err; *c; c++) lines += *c == '\n';
    if (lines != 1 || !strstr(err, message))
        fail_msg("for %s: expected one line with \"%s\", got \"%s\"", argv[0], message, err);
    assert_true(str_has_prefix(err, "connleak: "));
    free(err);
    options_free(&o);
}

static void bad_flags_and_values_are_one_line_errors(void **state)
{
    (void)state;
    char *frob[] = {"--frob"}, *frob_eq[] = {"--frob=1"}, *fmt[] = {"--format", "yaml"};
    char *depth0[] = {"--depth", "0"}, *depth257[] = {"--depth=257"}, *deptha[] = {"--depth=8x"};
    char *kind[] = {"--fail-on=leak,nope"}, *code[] = {"--error-exitcode", "0"};
    char *novalue[] = {"--depth"}, *flagvalue[] = {"--keep-traces=yes"}, *color[] = {"--color=red"};
    char *shortbad[] = {"-x"};
    expect_refused(CMD_RUN, frob, 1, "unknown option '--frob' (see connleak --help)");
    expect_refused(CMD_RUN, frob_eq, 1, "unknown option '--frob'");
    expect_refused(CMD_RUN, fmt, 2, "bad value 'yaml' for --format");
    expect_refused(CMD_RUN, depth0, 2, "for --depth");
    expect_refused(CMD_RUN, depth257, 1, "for --depth");
    expect_refused(CMD_RUN, deptha, 1, "for --depth");
    expect_refused(CMD_RUN, kind, 1, "for --fail-on");
    expect_refused(CMD_RUN, code, 2, "for --error-exitcode");
    expect_refused(CMD_RUN, novalue, 1, "'--depth' needs a value");
    expect_refused(CMD_RUN, flagvalue, 1, "unknown option '--keep-traces'");
    expect_refused(CMD_REPORT, color, 1, "bad value 'red' for --color");
    expect_refused(CMD_REPORT, shortbad, 1, "unknown option '-x'");
}

static void run_only_flags_are_unknown_to_report(void **state)
{
    (void)state;
    char *depth[] = {"--depth", "8", "t.jsonl"}, *dir[] = {"--trace-dir=x"};
    expect_refused(CMD_REPORT, depth, 3, "unknown option '--depth'");
    expect_refused(CMD_REPORT, dir, 1, "unknown option '--trace-dir'");
}

/* The CI flags: --gen-suppressions with and without =FILE (never taking
 * the next argument), repeatable --suppressions, the formats, --diff only
 * for report, and a bad suppression file refused at parse time. */
static void ci_flags_parse(void **state)
{
    (void)state;
    struct options o;
    char *err;
    char *report[] = {"--gen-suppressions",
                      "t.jsonl",
                      "--format",
                      "sarif",
                      "--sarif=o.sarif",
                      "--junit",
                      "o.xml",
                      "--html",
                      "o.html",
                      "--json",
                      "o.json",
                      "--source-root",
                      "/src"};
    assert_int_equal(parse(&o, CMD_REPORT, 13, report, &err), 0);
    assert_true(o.gen_suppressions);
    assert_null(o.gen_suppressions_file);
    assert_int_equal(o.nargs, 1);
    assert_string_equal(o.args[0], "t.jsonl");
    assert_int_equal(o.format, FORMAT_SARIF);
    assert_string_equal(o.also[FORMAT_SARIF], "o.sarif");
    assert_string_equal(o.also[FORMAT_JUNIT], "o.xml");
    assert_string_equal(o.also[FORMAT_HTML], "o.html");
    assert_string_equal(o.also[FORMAT_JSON], "o.json");
    assert_string_equal(o.source_root, "/src");
    free(err);
    options_free(&o);
    char *gen[] = {"--gen-suppressions=out.supp", "--format=junit", "--diff", "a.json", "b.json"};
    assert_int_equal(parse(&o, CMD_REPORT, 5, gen, &err), 0);
    assert_false(o.gen_suppressions);
    assert_string_equal(o.gen_suppressions_file, "out.supp");
    assert_int_equal(o.format, FORMAT_JUNIT);
    assert_true(o.diff);
    free(err);
    options_free(&o);
    char *diff_run[] = {"--diff", "prog"}, *fmt[] = {"--format", "xml", "t.jsonl"};
    expect_refused(CMD_RUN, diff_run, 2, "unknown option '--diff'");
    expect_refused(CMD_REPORT, fmt, 3, "expected text, json, sarif, junit or html");
    char *empty[] = {"--gen-suppressions=", "t.jsonl"}, *sarif[] = {"--sarif"};
    expect_refused(CMD_REPORT, empty, 2, "bad value '' for --gen-suppressions");
    expect_refused(CMD_REPORT, sarif, 1, "option '--sarif' needs a value");
    char path[] = "/tmp/connleak-test-supp-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char bad[] = "rule a\nkind any\nrule b\nkind nothing\n";
    assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
    close(fd);
    char *supp[] = {"--suppressions", path, "t.jsonl"};
    char want[128];
    snprintf(want, sizeof(want), "%s:4: bad kind 'nothing'", path);
    expect_refused(CMD_REPORT, supp, 3, want);
    unlink(path);
}

static void fail_on_names_kinds_leak_or_any(void **state)
{
    (void)state;
    unsigned mask;
    unsigned leak = (1u << KIND_ORPHAN) | (1u << KIND_UNCLOSED_BODY) | (1u << KIND_STUCK_REQUEST) |
                    (1u << KIND_CLOSE_WAIT);
    assert_int_equal(fail_on_parse("leak", &mask), 0);
    assert_int_equal(mask, leak); /* every socket left open, whichever rule answers for it */
    assert_int_equal(fail_on_parse("any", &mask), 0);
    assert_int_equal(mask, (1u << KIND_COUNT) - 1);
    for (int k = 0; k < KIND_COUNT; k++) assert_true(mask & (1u << k));
    assert_int_equal(fail_on_parse("double-close,foreign-close", &mask), 0);
    assert_int_equal(mask, (1u << KIND_DOUBLE_CLOSE) | (1u << KIND_FOREIGN_CLOSE));
    assert_int_equal(fail_on_parse("orphaned-socket", &mask), 0);
    assert_int_equal(mask, 1u << KIND_ORPHAN);
    assert_int_equal(fail_on_parse("unclosed-body,no-connection-reuse,client-handle-leak,"
                                   "discarded-body,stuck-request",
                                   &mask),
                     0);
    assert_int_equal(mask, (1u << KIND_UNCLOSED_BODY) | (1u << KIND_NO_REUSE) |
                               (1u << KIND_HANDLE_LEAK) | (1u << KIND_DISCARDED_BODY) |
                               (1u << KIND_STUCK_REQUEST));
    assert_int_equal(
        fail_on_parse("close-wait-pile,fd-growth,time-wait-storm,unbounded-pool", &mask), 0);
    assert_int_equal(mask, (1u << KIND_CLOSE_WAIT) | (1u << KIND_FD_GROWTH) |
                               (1u << KIND_TIME_WAIT) | (1u << KIND_POOL));
    assert_int_equal(fail_on_parse("", &mask), -1);
    assert_int_equal(fail_on_parse("leaks", &mask), -1);
    assert_int_equal(fail_on_parse("unclosed-bodies", &mask), -1);
}

static void http_thresholds_come_from_flag_env_or_default(void **state)
{
    (void)state;
    struct options o;
    struct http_opts h;
    char *err, *none[] = {"t.jsonl"};
    char *flags[] = {"--idle-ms", "250", "--stuck-ms=0", "--reuse-min", "3", "t.jsonl"};
    unsetenv("CONNLEAK_IDLE_MS");
    unsetenv("CONNLEAK_STUCK_MS");
    unsetenv("CONNLEAK_REUSE_MIN");
    assert_int_equal(parse(&o, CMD_REPORT, ARGC(none), none, &err), 0);
    options_http_opts(&o, &h);
    assert_int_equal(h.idle_ms, DEFAULT_IDLE_MS);
    assert_int_equal(h.stuck_ms, DEFAULT_STUCK_MS);
    assert_int_equal(h.reuse_min, DEFAULT_REUSE_MIN);
    free(err);
    options_free(&o);
    setenv("CONNLEAK_IDLE_MS", "1200", 1);
    setenv("CONNLEAK_REUSE_MIN", "4", 1);
    assert_int_equal(parse(&o, CMD_REPORT, ARGC(none), none, &err), 0);
    options_http_opts(&o, &h);
    assert_int_equal(h.idle_ms, 1200);
    assert_int_equal(h.stuck_ms, DEFAULT_STUCK_MS);
    assert_int_equal(h.reuse_min, 4);
    free(err);
    options_free(&o);
    assert_int_equal(parse(&o, CMD_RUN, ARGC(flags), flags, &err), 0); /* a flag wins */
    options_http_opts(&o, &h);
    assert_int_equal(h.idle_ms, 250);
    assert_int_equal(h.stuck_ms, 0);
    assert_int_equal(h.reuse_min, 3);
    assert_string_equal(o.args[0], "t.jsonl");
    free(err);
    options_free(&o);
    setenv("CONNLEAK_IDLE_MS", "5s", 1);
    expect_refused(CMD_REPORT, none, 1, "bad value '5s' for CONNLEAK_IDLE_MS: expected 0..");
    unsetenv("CONNLEAK_IDLE_MS");
    unsetenv("CONNLEAK_REUSE_MIN");
    char *reuse1[] = {"--reuse-min=1"}, *idle_neg[] = {"--idle-ms", "-1"};
    expect_refused(CMD_REPORT, reuse1, 1, "bad value '1' for --reuse-min: expected 2..");
    expect_refused(CMD_RUN, idle_neg, 2, "bad value '-1' for --idle-ms");
}

static void kernel_thresholds_come_from_flag_env_or_default(void **state)
{
    (void)state;
    struct options o;
    struct http_opts h;
    char *err, *none[] = {"t.jsonl"};
    char *flags[] = {"--tw-min", "7", "--leak-after-ms=900", "t.jsonl"};
    unsetenv("CONNLEAK_TW_MIN");
    unsetenv("CONNLEAK_LEAK_AFTER_MS");
    assert_int_equal(parse(&o, CMD_REPORT, ARGC(none), none, &err), 0);
    options_http_opts(&o, &h);
    assert_int_equal(h.tw_min, DEFAULT_TW_MIN);
    assert_int_equal(h.leak_after_ms, 0);
    free(err);
    options_free(&o);
    setenv("CONNLEAK_TW_MIN", "40", 1);
    setenv("CONNLEAK_LEAK_AFTER_MS", "3000", 1);
    assert_int_equal(parse(&o, CMD_REPORT, ARGC(none), none, &err), 0);
    options_http_opts(&o, &h);
    assert_int_equal(h.tw_min, 40);
    assert_int_equal(h.leak_after_ms, 3000);
    free(err);
    options_free(&o);
    assert_int_equal(parse(&o, CMD_RUN, ARGC(flags), flags, &err), 0); /* a flag wins */
    options_http_opts(&o, &h);
    assert_int_equal(h.tw_min, 7);
    assert_int_equal(h.leak_after_ms, 900);
    free(err);
    options_free(&o);
    setenv("CONNLEAK_TW_MIN", "0", 1);
    expect_refused(CMD_REPORT, none, 1, "bad value '0' for CONNLEAK_TW_MIN: expected 1..");
    unsetenv("CONNLEAK_TW_MIN");
    unsetenv("CONNLEAK_LEAK_AFTER_MS");
    char *neg[] = {"--leak-after-ms", "-5"};
    expect_refused(CMD_REPORT, neg, 2, "bad value '-5' for --leak-after-ms: expected 0..");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_options_stop_at_the_program),
        cmocka_unit_test(double_dash_ends_the_options),
        cmocka_unit_test(report_takes_flags_between_paths),
        cmocka_unit_test(bad_flags_and_values_are_one_line_errors),
        cmocka_unit_test(run_only_flags_are_unknown_to_report),
        cmocka_unit_test(ci_flags_parse),
        cmocka_unit_test(fail_on_names_kinds_leak_or_any),
        cmocka_unit_test(http_thresholds_come_from_flag_env_or_default),
        cmocka_unit_test(kernel_thresholds_come_from_flag_env_or_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
