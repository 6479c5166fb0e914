/* test_preload_trace.c - the trace file is created safely (O_EXCL, no
 * symlink followed, mode 0600), survives the program closing its fd, and
 * never writes into a file that took its number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "preload_harness.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static int setup(void **state)
{
    (void)state;
    return harness_start();
}

static void trace_is_private_and_starts_with_a_header(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(stat(harness_trace_path(), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    cJSON **v = NULL;
    int n = harness_lines(&v);
    assert_true(n >= 2);
    assert_string_equal(cJSON_GetObjectItem(v[0], "t")->valuestring, "hdr");
    assert_string_equal(cJSON_GetObjectItem(v[0], "format")->valuestring, "connleak-trace");
    assert_int_equal(cJSON_GetObjectItem(v[0], "pid")->valueint, getpid());
    assert_string_equal(cJSON_GetObjectItem(v[1], "t")->valuestring, "mod");
    harness_lines_free(v, n);
}

static void trace_fd_lives_high_and_closes_on_exec(void **state)
{
    (void)state;
    assert_true(cl_trace_fd >= 64);
    assert_true(fcntl(cl_trace_fd, F_GETFD) & FD_CLOEXEC);
}

/* Where the soft RLIMIT_NOFILE can be raised, connleak's fds go above it:
 * numbers the program can never be given, so none of its budget. The
 * limit is left as it was. */
static void own_fd_goes_above_the_soft_limit(void **state)
{
    (void)state;
    struct rlimit was, low, after;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
    if (was.rlim_max != RLIM_INFINITY && was.rlim_max <= 256) skip();
    low = (struct rlimit){128, was.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fd = ownfd_place_high(open("/dev/null", O_RDONLY));
    assert_true(fd >= 128);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
    assert_int_equal(after.rlim_cur, 128);
    assert_int_equal(after.rlim_max, was.rlim_max);
    assert_int_equal(open("/dev/null", O_RDONLY) < 128, 1); /* the program's numbers: below */
    close(fd);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
}

static int notes_named(const char *what)
{
    cJSON **v = NULL;
    int n = harness_lines(&v), c = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *w = cJSON_GetObjectItem(v[i], "what");
        if (strcmp(cJSON_GetObjectItem(v[i], "t")->valuestring, "note") == 0 && w &&
            strcmp(w->valuestring, what) == 0)
            c++;
    }
    harness_lines_free(v, n);
    return c;
}

/* A daemon closes every fd, then a file of its own gets our number: the
 * trace must reopen its own file and leave the program's file alone. */
static void taken_fd_is_detected_and_trace_reopened(void **state)
{
    (void)state;
    char victim[600];
    snprintf(victim, sizeof(victim), "%s/program-file", harness_dir);
    int fd = cl_trace_fd;
    struct rlimit rl; /* the number within reach: the soft limit raised to the hard one */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = rl.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)fd >= rl.rlim_cur)
        skip(); /* above the hard limit: root */
    close(fd);  /* behind connleak's back */
    int other = open(victim, O_CREAT | O_WRONLY, 0644);
    assert_int_equal(dup2(other, fd), fd);
    close(other);
    ev_note("after-takeover", "written after the program took the fd");
    trace_flush();
    struct stat st;
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(notes_named("after-takeover"), 1);
    assert_int_equal(notes_named("trace-reopened"), 1);
    assert_int_not_equal(cl_trace_fd, fd);
    close(fd);
}

/* Runs last: it makes the writer move on to a new file. */
static void existing_file_or_symlink_is_never_reused(void **state)
{
    (void)state;
    char target[600], planted[600], second[600];
    snprintf(target, sizeof(target), "%s/victim", harness_dir);
    snprintf(planted, sizeof(planted), "%s/connleak-%d.1.jsonl", harness_dir, (int)getpid());
    snprintf(second, sizeof(second), "%s/connleak-%d.2.jsonl", harness_dir, (int)getpid());
    close(open(target, O_CREAT | O_WRONLY, 0644));
    assert_int_equal(symlink(target, planted), 0);
    assert_int_equal(trace_create(false), 0); /* .jsonl and .1.jsonl exist: .2 */
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 0); /* nothing written through the symlink */
    assert_int_equal(lstat(second, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trace_is_private_and_starts_with_a_header),
        cmocka_unit_test(trace_fd_lives_high_and_closes_on_exec),
        cmocka_unit_test(own_fd_goes_above_the_soft_limit),
        cmocka_unit_test(taken_fd_is_detected_and_trace_reopened),
        cmocka_unit_test(existing_file_or_symlink_is_never_reused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
