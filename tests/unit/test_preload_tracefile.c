/* test_preload_tracefile.c - the trace writer both recorders use
 * (common/tracefile.c): it keeps room past the end of the file while it
 * writes and gives it back at the end, and a write that fails for want of
 * space (here: a file size limit, EFBIG) stops the trace for good and
 * leaves the TRACE.disk-full marker, without a signal or a changed errno.
 * (A real full tmpfs is tests/e2e/disk_full.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracefile.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/connleak-tracefile-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

/* n lines of about 100 bytes each. */
static void write_lines(struct tracefile_out *o, int fd, const char *path, int n, int *failed)
{
    char line[128];
    for (int i = 0; i < n; i++) {
        int len = snprintf(line, sizeof(line),
                           "{\"t\":\"note\",\"what\":\"x\",\"detail\":\"%080d\"}\n", i);
        if (tracefile_write(o, fd, path, line, (size_t)len) < 0) (*failed)++;
    }
}

static void reserve_is_kept_while_writing_and_given_back(void **state)
{
    (void)state;
    char path[4096];
    int fd = tracefile_create(dir, 1001, path, sizeof(path));
    assert_true(fd >= 0);
    struct tracefile_out o = {0};
    int failed = 0;
    errno = 1234;
    write_lines(&o, fd, path, 50, &failed);
    assert_int_equal(errno, 1234);
    assert_int_equal(failed, 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    if (o.no_reserve) { /* no fallocate on this filesystem: plain writes */
        close(fd);
        skip();
    }
    assert_true((uint64_t)st.st_blocks * 512 >= (uint64_t)st.st_size + TRACEFILE_RESERVE);
    tracefile_end(&o, fd);
    assert_int_equal(fstat(fd, &st), 0);
    assert_true((uint64_t)st.st_blocks * 512 <= ((uint64_t)st.st_size + 4095) / 4096 * 4096);
    assert_int_equal(o.err, 0);
    close(fd);
}

/* In a child: a file size limit of 8 KiB, SIGXFSZ ignored as the preload
 * holds it back. Exits 0 when the writer saw EFBIG and dropped the rest. */
static void child_write_over_limit(const char *path, int fd)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {8192, 8192};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(2);
    struct tracefile_out o = {0};
    int failed = 0;
    write_lines(&o, fd, path, 200, &failed);
    _exit(o.err == EFBIG && failed > 0 && o.dropped > 0 ? 0 : 1);
}

static void a_failed_write_stops_the_trace_and_leaves_the_marker(void **state)
{
    (void)state;
    char path[4096], marker[4200];
    int fd = tracefile_create(dir, 1002, path, sizeof(path));
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) child_write_over_limit(path, fd);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_true(st.st_size <= 8192);
    assert_true(st.st_size > 4096); /* what fitted was written */
    snprintf(marker, sizeof(marker), "%s%s", path, TRACEFILE_FULL_SUFFIX);
    assert_int_equal(stat(marker, &st), 0);
    assert_int_equal(st.st_size, 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reserve_is_kept_while_writing_and_given_back),
        cmocka_unit_test(a_failed_write_stops_the_trace_and_leaves_the_marker),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
