/* syscall_cost.c - what the system calls connleak adds to a close cost on
 * this machine, in ns per call: getsockname on a connected loopback socket
 * (the local port CONNLEAK_TW_EXACT notes when the program closes a
 * connection first) and, for scale, getpid (the cheapest system call).
 *
 *   syscall_cost [CALLS]
 *
 * CALLS (default 200,000) calls of each, 5 rounds; prints the median round
 * of each in ns per call. Loopback only. Exits 0, 1 on a socket error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A connected loopback client socket, or -1. */
static int loopback_client(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) != 0 ||
        connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
        return -1;
    return c;
}

static double median_ns(int fd, long calls)
{
    double r[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = now_ns();
        for (long n = 0; n < calls; n++) {
            if (fd >= 0) {
                struct sockaddr_storage ss;
                socklen_t len = sizeof(ss);
                getsockname(fd, (struct sockaddr *)&ss, &len);
            } else {
                syscall(SYS_getpid);
            }
        }
        r[i] = (now_ns() - t0) / (double)calls;
    }
    qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
    return r[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    if (calls < 1) calls = 200000;
    int fd = loopback_client();
    if (fd < 0) {
        perror("syscall_cost: loopback socket");
        return 1;
    }
    printf("getsockname %8.0f ns per call\n", median_ns(fd, calls));
    printf("getpid      %8.0f ns per call\n", median_ns(-1, calls));
    return 0;
}
