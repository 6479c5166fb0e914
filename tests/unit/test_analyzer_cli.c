/* test_analyzer_cli.c - the connleak command as a user meets it: exit codes
 * (125 for connleak's own failures, the program's code, --fail-on), where
 * the report goes, and one-line errors. Runs the built binaries. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "util/util.h"

struct result {
    int code;
    char *out, *err;
};

static char *slurp(int fd)
{
    struct strbuf sb = {0};
    char buf[4096];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
        buf[n] = '\0';
        strbuf_add(&sb, buf);
    }
    close(fd);
    return strbuf_steal(&sb);
}

/* Runs connleak with the arguments (NULL-terminated). */
static struct result connleak(const char *arg, ...)
{
    char *argv[32] = {CONNLEAK_BIN};
    int argc = 1;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    FILE *out = tmpfile(), *err = tmpfile();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        setenv("CONNLEAK_LIB", CONNLEAK_PRELOAD, 1);
        unsetenv("NO_COLOR");
        execv(CONNLEAK_BIN, argv);
        _exit(126);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    struct result r = {.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)};
    r.out = slurp(dup(fileno(out)));
    r.err = slurp(dup(fileno(err)));
    fclose(out);
    fclose(err);
    return r;
}

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

#define DATA(name) TEST_DATA "/" name

static void report_prints_json_on_stdout_and_exits_0(void **state)
{
    (void)state;
    struct result r = connleak("report", "--format", "json", DATA("complete.jsonl"), NULL);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.err, "");
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "status")->valuestring, "leaks");
    cJSON_Delete(doc);
    result_free(&r);
}

static void fail_on_turns_findings_into_an_exit_code(void **state)
{
    (void)state;
    struct result r = connleak("report", "--fail-on=leak", DATA("complete.jsonl"), NULL);
    assert_int_equal(r.code, 99);
    result_free(&r);
    r = connleak("report", "--fail-on", "leak", "--error-exitcode", "7", DATA("complete.jsonl"),
                 NULL);
    assert_int_equal(r.code, 7);
    result_free(&r);
    r = connleak("report", "--fail-on=double-close", DATA("complete.jsonl"), NULL);
    assert_int_equal(r.code, 0);
    result_free(&r);
    r = connleak("report", "--fail-on=any", DATA("clean.jsonl"), NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(lines(r.out), 1);
    result_free(&r);
}

static void unusable_input_is_a_one_line_error_125(void **state)
{
    (void)state;
    const char *bad[] = {DATA("no_header.jsonl"), DATA("newer_version.jsonl"),
                         DATA("no-such-file.jsonl"), DATA("empty.jsonl")};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct result r = connleak("report", bad[i], NULL);
        assert_int_equal(r.code, 125);
        assert_int_equal(lines(r.err), 1);
        assert_true(str_has_prefix(r.err, "connleak: "));
        assert_string_equal(r.out, "");
        result_free(&r);
    }
    struct result r = connleak("report", NULL);
    assert_int_equal(r.code, 125);
    result_free(&r);
}

static void a_bad_file_among_good_ones_is_a_note(void **state)
{
    (void)state;
    struct result r = connleak("report", DATA("no_header.jsonl"), DATA("clean.jsonl"), NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "connleak: no leaks: clean_client (pid 31)"));
    assert_non_null(strstr(r.out, "note: " DATA("no_header.jsonl") ": not a connleak trace"));
    result_free(&r);
}

/* A trace whose header line is damaged is reported from its records, with
 * one note, and the process it cannot name is said to be unknown. */
static void a_damaged_header_is_a_note_not_an_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/connleak-cli-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/trace.jsonl", dir);
    char *cmd =
        xasprintf("(printf 'garbage\\377\\n'; tail -n +2 %s) > %s", DATA("complete.jsonl"), path);
    assert_int_equal(system(cmd), 0);
    struct result r = connleak("report", path, NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(
        strstr(r.out, "connleak: 4 sockets leaked by ? (pid unknown) from 2 call sites"));
    assert_non_null(strstr(r.out, "note: "));
    assert_non_null(strstr(r.out, ": damaged header line (not JSON): its records are read as "
                                  "format version 3; pid unknown; program unknown\n"));
    assert_null(strstr(strstr(r.out, "damaged header") + 1, "damaged header"));
    assert_string_equal(r.err, "");
    result_free(&r);
    unlink(path);
    rmdir(dir);
    free(cmd);
    free(path);
}

static void usage_errors_exit_125_with_one_line(void **state)
{
    (void)state;
    struct result r = connleak("--frob", NULL);
    assert_int_equal(r.code, 125);
    assert_string_equal(r.err, "connleak: unknown option '--frob' (see connleak --help)\n");
    result_free(&r);
    r = connleak("frobnicate", NULL);
    assert_int_equal(r.code, 125);
    assert_int_equal(lines(r.err), 1);
    result_free(&r);
    r = connleak("run", "--depth", "0", "--", "/bin/true", NULL);
    assert_int_equal(r.code, 125);
    assert_int_equal(lines(r.err), 1);
    result_free(&r);
    r = connleak("run", NULL);
    assert_int_equal(r.code, 125);
    assert_int_equal(lines(r.err), 1);
    result_free(&r);
}

static void help_and_version(void **state)
{
    (void)state;
    struct result r = connleak("--version", NULL);
    assert_int_equal(r.code, 0);
    /* "connleak 0.1.0 (abc1234def56)": the release, then the git revision */
    const char *head = "connleak " CONNLEAK_VERSION " (";
    assert_memory_equal(r.out, head, strlen(head));
    assert_true(strlen(r.out) > strlen(head) + 3 && strcmp(r.out + strlen(r.out) - 2, ")\n") == 0);
    assert_string_not_equal(r.out + strlen(head), "unknown)\n"); /* built from a git checkout */
    result_free(&r);
    r = connleak("report", "--help", NULL);
    assert_int_equal(r.code, 0);
    const char *documented[] = {"--format",
                                "--output",
                                "--color",
                                "--include-listeners",
                                "--include-inherited",
                                "--include-ipc",
                                "--fail-on",
                                "--error-exitcode",
                                "--trace-dir",
                                "--keep-traces",
                                "--depth",
                                "--flush-ms",
                                "--no-follow-exec",
                                "--close-stacks",
                                "125",
                                "126",
                                "127"};
    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
        if (!strstr(r.out, documented[i])) fail_msg("--help does not mention %s", documented[i]);
    result_free(&r);
}

static void run_passes_the_exit_code_through(void **state)
{
    (void)state;
    /* the preload: one line (a shell would run under the probe where it can:
     * its report starts with a line naming the backend) */
    struct result r =
        connleak("run", "--backend", "preload", "--", "/bin/sh", "-c", "exit 3", NULL);
    assert_int_equal(r.code, 3);
    assert_true(str_has_prefix(r.err, "connleak: no leaks: ")); /* sh is dash or bash */
    assert_non_null(strstr(r.err, " opened no sockets.\n"));
    assert_int_equal(lines(r.err), 1);
    result_free(&r);
    r = connleak("run", "/bin/sh", "-c", "kill -TERM $$", NULL);
    assert_int_equal(r.code, 128 + 15);
    result_free(&r);
    r = connleak("run", "--format=json", "-o", "-", "/bin/sh", "-c", "exit 0", NULL);
    assert_int_equal(r.code, 0);
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "program"), "exit_code")->valuedouble, 0);
    cJSON_Delete(doc);
    result_free(&r);
}

static void run_reports_programs_it_cannot_start(void **state)
{
    (void)state;
    struct result r = connleak("run", "/nonexistent/prog", NULL);
    assert_int_equal(r.code, 127);
    assert_string_equal(r.err,
                        "connleak: cannot run '/nonexistent/prog': No such file or directory\n");
    result_free(&r);
    r = connleak("run", "no-such-program-in-path-xyz", NULL);
    assert_int_equal(r.code, 127);
    result_free(&r);
    r = connleak("run", TEST_DATA "/complete.jsonl", NULL); /* not executable */
    assert_int_equal(r.code, 126);
    assert_int_equal(lines(r.err), 1);
    result_free(&r);
}

static void run_trace_dir_is_made_and_kept(void **state)
{
    (void)state;
    char base[] = "/tmp/connleak-cli-XXXXXX";
    assert_non_null(mkdtemp(base));
    char *dir = xasprintf("%s/traces", base), *file = xasprintf("%s/file", base);
    struct result r = connleak("run", "--trace-dir", dir, "/bin/true", NULL);
    assert_int_equal(r.code, 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    result_free(&r);
    close(open(file, O_CREAT | O_WRONLY, 0600));
    r = connleak("run", "--trace-dir", file, "/bin/true", NULL);
    assert_int_equal(r.code, 125);
    assert_int_equal(lines(r.err), 1);
    result_free(&r);
    char *cmd = xasprintf("rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_prints_json_on_stdout_and_exits_0),
        cmocka_unit_test(fail_on_turns_findings_into_an_exit_code),
        cmocka_unit_test(unusable_input_is_a_one_line_error_125),
        cmocka_unit_test(a_bad_file_among_good_ones_is_a_note),
        cmocka_unit_test(a_damaged_header_is_a_note_not_an_error),
        cmocka_unit_test(usage_errors_exit_125_with_one_line),
        cmocka_unit_test(help_and_version),
        cmocka_unit_test(run_passes_the_exit_code_through),
        cmocka_unit_test(run_reports_programs_it_cannot_start),
        cmocka_unit_test(run_trace_dir_is_made_and_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
