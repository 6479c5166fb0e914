/* test_preload_dump.c - the dump signal stays the program's: an action the
 * program sets through connleak is the one it reads back, its handler runs
 * on delivery after connleak has asked for a dump, SIG_IGN ignores the
 * signal but still dumps, and the kernel keeps connleak's handler all
 * along. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "preload_harness.h"

#include <signal.h>

static volatile sig_atomic_t hits;

static void on_usr2(int sig)
{
    (void)sig;
    hits++;
}

static int setup(void **state)
{
    (void)state;
    if (harness_start() != 0) return -1;
    cl_cfg.dump_signal = SIGUSR2;
    dump_install();
    return 0;
}

static int dumps_in_trace(void)
{
    cJSON **v = NULL;
    int n = harness_lines(&v), c = 0;
    for (int i = 0; i < n; i++)
        c += strcmp(cJSON_GetObjectItem(v[i], "t")->valuestring, "dump") == 0;
    harness_lines_free(v, n);
    return c;
}

static void program_handler_is_chained_and_read_back(void **state)
{
    (void)state;
    struct sigaction act, old, kernel;
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_usr2;
    sigemptyset(&act.sa_mask);
    sigaddset(&act.sa_mask, SIGUSR1);
    assert_true(dump_signal_is(SIGUSR2));
    assert_int_equal(dump_sigaction(SIGUSR2, &act, &old), 0);
    assert_ptr_equal(old.sa_handler, SIG_DFL);
    assert_int_equal(dump_sigaction(SIGUSR2, NULL, &old), 0);
    assert_ptr_equal(old.sa_handler, on_usr2);
    assert_true(sigismember(&old.sa_mask, SIGUSR1));
    int before = dumps_in_trace();
    raise(SIGUSR2);
    assert_int_equal(hits, 1);
    dump_if_wanted(); /* connleak's thread, which the handler woke */
    assert_int_equal(dumps_in_trace(), before + 1);
    /* the kernel runs connleak's handler, with the program's mask */
    assert_int_equal(sigaction(SIGUSR2, NULL, &kernel), 0); /* libc: no hooks in unit tests */
    assert_ptr_not_equal(kernel.sa_handler, on_usr2);
    assert_true(kernel.sa_flags & SA_SIGINFO);
    assert_true(sigismember(&kernel.sa_mask, SIGUSR1));
}

static void ignored_signal_still_dumps(void **state)
{
    (void)state;
    struct sigaction act, old;
    memset(&act, 0, sizeof(act));
    act.sa_handler = SIG_IGN;
    assert_int_equal(dump_sigaction(SIGUSR2, &act, &old), 0);
    assert_ptr_equal(old.sa_handler, on_usr2);
    int before = dumps_in_trace(), hits_before = hits;
    raise(SIGUSR2); /* the process lives on */
    dump_if_wanted();
    assert_int_equal(hits, hits_before);
    assert_int_equal(dumps_in_trace(), before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(program_handler_is_chained_and_read_back),
        cmocka_unit_test(ignored_signal_still_dumps),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
