/* timewait_churn.c - a client that makes a new connection for every request
 * and closes it first: its closed connections pile up in TIME_WAIT.
 *
 *   timewait_churn [--count N] [--rate R] [--hold S] [--peer PORT] [--server-closes]
 *   timewait_churn --serve S
 *
 * A listener thread on 127.0.0.1 (port chosen by the kernel) answers one
 * HTTP/1.1 request per connection ("200", body "ok\n", Content-Length, no
 * "Connection: close") and then waits for the client to hang up before it
 * closes its side. The client makes N connections (default 1000, at most
 * 20000), R a second (default 200; 0 = as fast as it can): each is opened at
 * the line marked connect-site, connected, carries one request, reads the
 * whole response and is closed right away, by the client. No connection is
 * reused: that is the bug. The side that closes first keeps the 4-tuple in
 * TIME_WAIT for 60 s, so after the run `ss -tan state time-wait` shows up to
 * N sockets from 127.0.0.1:<ephemeral> to the server's port (loopback may
 * recycle a few: net.ipv4.tcp_tw_reuse). --hold S (default 0, at most 600)
 * keeps the process alive S more seconds, for a sampler to see the peak.
 *
 * Every socket is closed: the only finding connleak should make is a
 * TIME_WAIT storm towards 127.0.0.1:<port>, at the marked line (with
 * CONNLEAK_HTTP=1 also: one request per connection, no reuse).
 *
 * --peer PORT talks to the server of another timewait_churn on
 * 127.0.0.1:PORT instead of its own; --serve S is that server alone: it
 * prints "timewait_churn: serving on 127.0.0.1:PORT" and serves S seconds
 * (at most 600). --server-closes asks the server to close first ("GET
 * /close": it answers "Connection: close" and closes); the client reads the
 * response, waits for the server's FIN without reading it, and then closes:
 * its connections end without TIME_WAIT on its side, although it closes a
 * socket whose EOF it never read (what tells connleak which side closed
 * first is the kernel's 4-tuple, not the program's reads).
 *
 * Prints "timewait_churn: N connections to 127.0.0.1:PORT, F failures";
 * exits 0, 1 on any failure, 2 on a bad flag. */
#define _GNU_SOURCE
#include "kernel_sample.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "timewait_churn [--count N] [--rate R] [--hold S] [--peer PORT] [--server-closes] | --serve S"

static const char request_text[] = "GET /tw HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
static const char close_request_text[] = "GET /close HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
static const char response_text[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
static const char close_response_text[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

/* Serves one connection: reads the request head, answers, and waits for
 * the client's EOF (GET /close: closes at once instead). */
static void serve_one(int fd)
{
    char buf[1024];
    size_t len = 0;
    while (len + 1 < sizeof(buf)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n")) break;
    }
    if (strncmp(buf, "GET /close ", 11) == 0) {
        ksample_send_all(fd, close_response_text, sizeof(close_response_text) - 1);
        return; /* the server closes first */
    }
    if (!ksample_send_all(fd, response_text, sizeof(response_text) - 1)) return;
    ksample_read_eof(fd, buf, sizeof(buf)); /* the client closes first */
}

static void *server_thread(void *arg)
{
    int lfd = *(int *)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        serve_one(fd);
        close(fd);
    }
    return NULL;
}

/* Reads one response: the head, then Content-Length bytes of body. */
static bool response_read(int fd)
{
    char buf[1024] = "";
    size_t len = 0;
    for (;;) {
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length: ");
        if (end && cl && len >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10))
            return strncmp(buf, "HTTP/1.1 200 ", 13) == 0;
        if (len + 1 >= sizeof(buf)) return false;
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        len += (size_t)n;
        buf[len] = '\0';
    }
}

/* Waits (up to 1 s) for the peer's FIN, without reading it. */
static bool fin_wait(int fd)
{
    struct pollfd p = {fd, POLLRDHUP, 0};
    int n;
    while ((n = poll(&p, 1, 1000)) < 0 && errno == EINTR) {
    }
    return n == 1 && (p.revents & POLLRDHUP);
}

/* One request on a connection of its own, closed by us (server_closes: after
 * the server closed its side). True on success. */
static bool churn_one(int port, bool server_closes)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: connect-site */
    if (fd < 0) return false;
    const char *req = server_closes ? close_request_text : request_text;
    bool ok = ksample_connect(fd, port) == 0 && ksample_send_all(fd, req, strlen(req)) &&
              response_read(fd) && (!server_closes || fin_wait(fd));
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    long count = 1000, rate = 200, hold = 0, peer = 0, serve = -1;
    bool server_closes = false;
    ksample_prog = "timewait_churn";
    signal(SIGPIPE, SIG_IGN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0)
            count = ksample_flag_long(argc, argv, &i, 1, 20000, USAGE);
        else if (strcmp(argv[i], "--rate") == 0)
            rate = ksample_flag_long(argc, argv, &i, 0, 100000, USAGE);
        else if (strcmp(argv[i], "--hold") == 0)
            hold = ksample_flag_long(argc, argv, &i, 0, 600, USAGE);
        else if (strcmp(argv[i], "--peer") == 0)
            peer = ksample_flag_long(argc, argv, &i, 1, 65535, USAGE);
        else if (strcmp(argv[i], "--serve") == 0)
            serve = ksample_flag_long(argc, argv, &i, 0, 600, USAGE);
        else if (strcmp(argv[i], "--server-closes") == 0)
            server_closes = true;
        else
            ksample_bad_arg(USAGE, argv[i]);
    }
    static int lfd;
    int port = (int)peer;
    pthread_t server;
    if (!peer) {
        lfd = ksample_listen(0, &port);
        if (lfd < 0 || pthread_create(&server, NULL, server_thread, &lfd) != 0) {
            fprintf(stderr, "timewait_churn: cannot start the server: %s\n", strerror(errno));
            return 1;
        }
    }
    if (serve >= 0) {
        printf("timewait_churn: serving on 127.0.0.1:%d\n", port);
        fflush(stdout);
        ksample_sleep_until(ksample_now() + (double)serve);
        return 0;
    }
    long failures = 0;
    double start = ksample_now();
    for (long i = 0; i < count; i++) {
        if (rate > 0) ksample_sleep_until(start + (double)i / (double)rate);
        if (!churn_one(port, server_closes)) failures++;
    }
    ksample_sleep_until(ksample_now() + (double)hold);
    printf("timewait_churn: %ld connections to 127.0.0.1:%d, %ld failures\n", count, port,
           failures);
    return failures ? 1 : 0;
}
