/* raw_close.c - a program that closes its sockets without libc's close(),
 * as libuv (node) does: syscall(SYS_close), syscall(SYS_close_range) and
 * syscall(SYS_dup2) onto a socket's number.
 *
 *   raw_close [N]          connects N (default 5) clients to its own
 *                          loopback listener, closes the clients with
 *                          syscall(SYS_close), the accepted ends with one
 *                          syscall(SYS_close_range), a dup'ed copy with
 *                          syscall(SYS_dup2) onto it, the listener with
 *                          close(). Nothing is left open.
 *   raw_close --leak [N]   the same, but one client is never closed
 *                          (leak-site).
 * Expected report: clean; --leak: one orphaned-socket at the marked line.
 * Every close is in the trace at the time it happened (how "syscall",
 * "close_range", "dup2"), none is found missing at exit. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_N 64

static int listener(struct sockaddr_in *sa)
{
    socklen_t len = sizeof(*sa);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr *)sa, sizeof(*sa)) != 0 || listen(l, MAX_N) != 0 ||
        getsockname(l, (struct sockaddr *)sa, &len) != 0) {
        perror("raw_close: listener");
        exit(1);
    }
    return l;
}

static int connected(int s, const struct sockaddr_in *sa)
{
    if (s < 0 || connect(s, (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
        perror("raw_close: connect");
        exit(1);
    }
    return s;
}

static int client(const struct sockaddr_in *sa)
{
    return connected(socket(AF_INET, SOCK_STREAM, 0), sa);
}

static int leak_client(const struct sockaddr_in *sa)
{
    return connected(socket(AF_INET, SOCK_STREAM, 0), sa); /* connleak-test: leak-site */
}

/* A copy of s at a number of its own, then syscall(SYS_dup2) of another
 * socket onto that number: the copy goes with the dup2. */
static int dup2_away(int s, int other)
{
    int copy = dup(s);
    int ret = (int)syscall(SYS_dup2, other, copy);
    return ret == copy ? (int)syscall(SYS_close, copy) : -1;
}

int main(int argc, char **argv)
{
    int leak = argc > 1 && strcmp(argv[1], "--leak") == 0;
    int n = argc > 1 + leak ? atoi(argv[1 + leak]) : 5, c[MAX_N], a[MAX_N], fails = 0;
    if (n < 2 || n > MAX_N) n = 5;
    struct sockaddr_in sa;
    int l = listener(&sa);
    for (int i = 0; i < n; i++) c[i] = leak && i == 0 ? leak_client(&sa) : client(&sa);
    for (int i = 0; i < n; i++) a[i] = accept(l, NULL, NULL);
    for (int i = 1; i < n; i++) fails += a[i] != a[i - 1] + 1; /* one range */
    fails += dup2_away(c[1], l) != 0;
    for (int i = leak; i < n; i++) fails += syscall(SYS_close, c[i]) != 0;
    fails += syscall(SYS_close_range, a[0], a[n - 1], 0) != 0;
    fails += close(l) != 0;
    printf("raw_close: %d connections closed through syscall(), %d failures\n", n - leak, fails);
    return fails != 0;
}
