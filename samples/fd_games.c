/* fd_games.c - every way a socket fd can go away without a plain close().
 *
 * Each step opens sockets and ends them by a path a naive interposer misses:
 *   1. fclose() of an fdopen()ed socket (libc closes it internally);
 *   2. dup2() over a tracked socket (the implicit close of the old one);
 *   3. close_range() over three sockets at fds 200..202;
 *   4. fcntl(F_DUPFD_CLOEXEC), then close of both fds;
 *   5. closefrom(300) over two sockets placed at 300 and 301 with dup3();
 *   6. one deliberate double close (double-close-site) of a socket opened at
 *      double-open-site.
 * After each step the sample checks that the fds are really gone.
 * Expected report: no orphaned socket, exactly one double-close finding whose
 * stack is the second close and whose open_stack is double-open-site. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int failures;

static int new_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("fd_games: socket");
        exit(1);
    }
    return fd;
}

/* Records a failure unless fd is closed. */
static void expect_closed(const char *step, int fd)
{
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
        fprintf(stderr, "fd_games: %s: fd %d is still open\n", step, fd);
        failures++;
    }
}

static void step_fclose(void)
{
    int fd = new_socket();
    FILE *f = fdopen(fd, "r+");
    if (!f || fclose(f) != 0) failures++;
    expect_closed("fclose", fd);
}

static void step_dup2(void)
{
    int a = new_socket();
    int b = new_socket();
    if (dup2(a, b) != b) failures++; /* b's own socket is closed here */
    if (close(a) != 0 || close(b) != 0) failures++;
    expect_closed("dup2", a);
    expect_closed("dup2", b);
}

static void step_close_range(void)
{
    for (int i = 0; i < 3; i++) {
        int fd = new_socket();
        if (dup2(fd, 200 + i) != 200 + i || close(fd) != 0) failures++;
    }
    if (close_range(200, 202, 0) != 0) failures++;
    for (int i = 0; i < 3; i++) expect_closed("close_range", 200 + i);
}

static void step_dupfd_cloexec(void)
{
    int fd = new_socket();
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0 || close(fd) != 0 || close(d) != 0) failures++;
    expect_closed("F_DUPFD_CLOEXEC", fd);
    expect_closed("F_DUPFD_CLOEXEC", d);
}

static void step_closefrom(void)
{
    for (int i = 0; i < 2; i++) {
        int fd = new_socket();
        if (dup3(fd, 300 + i, O_CLOEXEC) != 300 + i || close(fd) != 0) failures++;
    }
    closefrom(300);
    expect_closed("closefrom", 300);
    expect_closed("closefrom", 301);
}

static void step_double_close(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: double-open-site */
    if (fd < 0 || close(fd) != 0) failures++; /* connleak-test: first-close-site */
    int rc = close(fd);                       /* connleak-test: double-close-site */
    int err = errno;
    if (rc != -1 || err != EBADF) {
        fprintf(stderr, "fd_games: second close returned %d, errno %d\n", rc, err);
        failures++;
    }
}

int main(void)
{
    step_fclose();
    step_dup2();
    step_close_range();
    step_dupfd_cloexec();
    step_closefrom();
    step_double_close();
    printf("fd_games: 6 steps, %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
