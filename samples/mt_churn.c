/* mt_churn.c - many threads opening and closing sockets at once, one leak each.
 *
 *   mt_churn [M] [PORT]     (M cycles per thread, default 500; without PORT an
 *                            in-process sample_server is started)
 *
 * 8 threads each run M cycles of: socket/connect to the server, one request
 * with "Connection: close", read to EOF, close (every other cycle through a
 * dup() first, closing both fds), then a socketpair() whose two ends are
 * closed. At the end every thread leaks exactly one socket, opened at the
 * marked line. Per cycle 4 sockets exist (client, server side, pair of 2);
 * with the 8 leaked connections (16 sockets) and the listener the trace's
 * end record reads opened = 32*M + 17, live = 9 (8 leaks + the listener).
 * Expected report: one orphaned-socket finding, count 8, at the marked line:
 * a racy fd table would lose or invent sockets here. */
#define _GNU_SOURCE
#include "sample_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 8

static int port;
static int cycles = 500;
static atomic_int failures;

static int connect_fd(int fd)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(fd, (struct sockaddr *)&addr, sizeof(addr));
}

/* One request with "Connection: close", read to EOF. 0 on a 200 response. */
static int request(int fd)
{
    static const char req[] = "GET /churn HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char buf[1024];
    size_t len = 0;
    ssize_t n;

    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) return -1;
    while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        len += (size_t)n;
        if (len == sizeof(buf) - 1) len = 16; /* keep the status line's start */
    }
    buf[len] = '\0';
    return strncmp(buf, "HTTP/1.1 200 ", 13) == 0 ? 0 : -1;
}

static void churn_once(int i)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int pair[2];
    char c = 'x';

    if (fd < 0 || connect_fd(fd) < 0 || request(fd) < 0) atomic_fetch_add(&failures, 1);
    if (fd >= 0 && i % 2 == 0) {
        int d = dup(fd);
        if (d < 0 || close(d) < 0) atomic_fetch_add(&failures, 1);
    }
    if (fd >= 0 && close(fd) < 0) atomic_fetch_add(&failures, 1);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
        atomic_fetch_add(&failures, 1);
        return;
    }
    if (write(pair[0], &c, 1) != 1 || read(pair[1], &c, 1) != 1) atomic_fetch_add(&failures, 1);
    if (close(pair[0]) < 0 || close(pair[1]) < 0) atomic_fetch_add(&failures, 1);
}

/* Opens a connection, makes one request and forgets the fd. */
static void leak_one(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
    if (fd < 0 || connect_fd(fd) < 0 || request(fd) < 0) atomic_fetch_add(&failures, 1);
}

static void *churn_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < cycles; i++) churn_once(i);
    leak_one();
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[THREADS];

    if (argc > 1) cycles = atoi(argv[1]);
    port = argc > 2 ? atoi(argv[2]) : sample_server_start();
    if (port <= 0) {
        perror("mt_churn: sample_server_start");
        return 1;
    }
    for (int t = 0; t < THREADS; t++) {
        if (pthread_create(&threads[t], NULL, churn_thread, NULL) != 0) {
            fprintf(stderr, "mt_churn: cannot create thread\n");
            return 1;
        }
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    printf("mt_churn: %d threads x %d cycles, %d failures, %d sockets leaked\n", THREADS, cycles,
           atomic_load(&failures), THREADS);
    return atomic_load(&failures) == 0 ? 0 : 1;
}
