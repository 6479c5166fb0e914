/* test_analyzer_files.c - the files a trace makes the analyzer touch: the
 * module paths it names (never a device or a FIFO: watched with inotify,
 * which sees every open) and the trace files it is given (one file under
 * two names is read once). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/emit.h"
#include "report/report.h"
#include "symbols/symbols.h"
#include "util/util.h"

/* The number of IN_OPEN events waiting on the inotify fd. */
static int opens_seen(int ifd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int n = 0;
    ssize_t len;
    while ((len = read(ifd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            n += (e->mask & IN_OPEN) != 0;
            p += sizeof(*e) + e->len;
        }
    }
    return n;
}

/* Opening a FIFO for reading wakes its writer; opening a device can rewind
 * a tape or hang up a modem. A module path must be stat'ed, not opened,
 * unless it is a regular file. */
static void module_paths_that_are_not_files_are_never_opened(void **state)
{
    (void)state;
    char dir[] = "/tmp/connleak-test-files.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *fifo = xasprintf("%s/libfifo.so", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    assert_true(ifd >= 0);
    assert_true(inotify_add_watch(ifd, fifo, IN_OPEN) >= 0);
    assert_true(inotify_add_watch(ifd, "/dev/null", IN_OPEN) >= 0);
    struct symbolizer *sym = symbolizer_new();
    assert_non_null(sym);
    assert_int_equal(symbolizer_add_module(sym, fifo, 0, 0x1000, 0x2000, ""), -1);
    assert_int_equal(symbolizer_add_module(sym, "/dev/null", 0, 0x3000, 0x4000, ""), -1);
    assert_int_equal(opens_seen(ifd), 0);
    assert_true(symbolizer_note_count(sym) >= 2);
    assert_non_null(strstr(symbolizer_note(sym, 0), "not a regular file"));
    symbolizer_free(sym);
    close(ifd);
    unlink(fifo);
    rmdir(dir);
    free(fifo);
}

/* `connleak report DIR DIR/connleak-100.jsonl`: the file is in both. */
static void the_same_trace_given_twice_is_read_once(void **state)
{
    (void)state;
    struct report r;
    report_init(&r);
    char *paths[] = {TEST_DATA "/fork", TEST_DATA "/fork/connleak-100.jsonl",
                     TEST_DATA "/fork/../fork/connleak-101.jsonl"};
    assert_int_equal(report_load_paths(&r, paths, 3), 0);
    assert_int_equal(r.nprocs, 2);
    assert_int_equal(r.skipped, 0);
    bool noted = false;
    for (size_t i = 0; i < r.notes.n; i++)
        noted |= strstr(r.notes.v[i], "connleak-100.jsonl: the same file as ") != NULL;
    assert_true(noted);
    struct rule_opts o = {0};
    report_analyze(&r, &o);
    assert_int_equal(findings_total(&r.findings, KIND_ORPHAN), 2); /* not 3 */
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(module_paths_that_are_not_files_are_never_opened),
        cmocka_unit_test(the_same_trace_given_twice_is_read_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
