/* pertest_runner.c - a ctest/pytest-style runner that runs each test in a
 * process of its own (fork, then exec of itself), all under one
 * `connleak run`; each child names its test with connleak_mark
 * (include/connleak.h). For per-test attribution (README, "Which test
 * leaked?").
 *
 *   pertest_runner [--clean]      runs pertest/closes, pertest/leaks_a,
 *                                 pertest/no_socket, pertest/leaks_b
 *   pertest_runner --child NAME [--clean]   (what each child runs)
 *
 * Each test with a socket makes its own loopback listener and connects to
 * it at one line of open_connection. leaks_a and leaks_b exit without
 * closing their connection (unless --clean): one orphaned-socket finding
 * at open_connection, count 2, in the two tests; closes and no_socket
 * pass. The runner prints one line per test and exits 0 when all passed. */
#define _GNU_SOURCE
#include <connleak.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const tests[] = {"closes", "leaks_a", "no_socket", "leaks_b"};

static int listen_loopback(uint16_t *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    *port = ntohs(addr.sin_port);
    return fd;
}

static int open_connection(uint16_t port)
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

/* One test, in its own process: 0 when it passed. */
static int run_child(const char *name, bool clean)
{
    char mark[64];
    snprintf(mark, sizeof(mark), "pertest/%s", name);
    connleak_mark(mark);
    if (strcmp(name, "no_socket") == 0) return strlen(name) == 9 ? 0 : 1;
    uint16_t port;
    int lfd = listen_loopback(&port);
    int fd = lfd < 0 ? -1 : open_connection(port);
    if (fd < 0) return 1;
    if (strncmp(name, "leaks", 5) != 0 || clean) close(fd);
    close(lfd);
    return 0;
}

static int run_test(const char *self, const char *name, bool clean)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl(self, self, "--child", name, clean ? "--clean" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
    bool clean = argc > 1 && strcmp(argv[argc - 1], "--clean") == 0;
    if (argc > 2 && strcmp(argv[1], "--child") == 0) return run_child(argv[2], clean);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) return 1;
    self[n] = 0;
    int failed = 0;
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        int rc = run_test(self, tests[i], clean);
        printf("test pertest/%s: %s\n", tests[i], rc ? "FAILED" : "ok");
        failed += rc != 0;
    }
    fflush(stdout);
    return failed ? 1 : 0;
}
