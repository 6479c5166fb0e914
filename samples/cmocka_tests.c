/* cmocka_tests.c - a cmocka runner with several tests in one process, each
 * naming itself with connleak_mark (include/connleak.h), for per-test
 * attribution (README, "Which test leaked?").
 *
 *   cmocka_tests          test_forgets_close leaks its connection
 *   cmocka_tests_clean    the clean twin (built with CLEAN_TWIN): it closes it
 *
 * A loopback listener, made in the group setup (before any test: no test),
 * takes the connections into its backlog; nobody accepts them. Two tests
 * open a connection at the same line of open_connection; only
 * test_forgets_close leaves it open. Expected report: one orphaned-socket
 * at open_connection, count 1, "in test cmocka_tests/test_forgets_close";
 * none for the twin. Without the preload the program runs the same. */
#define _GNU_SOURCE
#include <connleak.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static int listener = -1;
static uint16_t port;

static void mark(const char *test)
{
    char name[128];
    snprintf(name, sizeof(name), "cmocka_tests/%s", test);
    connleak_mark(name);
}

static int open_connection(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void test_connect_and_close(void **state)
{
    (void)state;
    mark(__func__);
    int fd = open_connection();
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);
}

static void test_parse_port(void **state)
{
    (void)state;
    mark(__func__);
    assert_int_equal(atoi("8080"), 8080);
}

static void test_forgets_close(void **state)
{
    (void)state;
    mark(__func__);
    int fd = open_connection();
    assert_true(fd >= 0);
#ifdef CLEAN_TWIN
    assert_int_equal(close(fd), 0);
#endif
}

static int unmark(void **state)
{
    (void)state;
    connleak_unmark();
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(listener, 16) < 0 || getsockname(listener, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    port = ntohs(addr.sin_port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return close(listener);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_connect_and_close, unmark),
        cmocka_unit_test_teardown(test_parse_port, unmark),
        cmocka_unit_test_teardown(test_forgets_close, unmark),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
