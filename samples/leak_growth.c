/* leak_growth.c - a "service" that leaks one connection a second while it
 * opens and closes others: its open fds grow steadily over time.
 *
 *   leak_growth [--seconds S] [--churn N] [--steady]
 *
 * Its peer is a small line server on 127.0.0.1 (port chosen by the kernel)
 * in a child process: this program again, which connleak does not trace
 * (it is started without LD_PRELOAD) and which dies with it
 * (PR_SET_PDEATHSIG). So the service's own fd count moves only with its own
 * connections. Every second for S seconds (default 20, at most 3600) the
 * service
 *   - opens one connection at the line marked leak-site, asks "KEEP", reads
 *     the answer and forgets the socket: it stays ESTABLISHED, never closed;
 *   - makes N more connections (default 10, at most 1000), spread over the
 *     second, at the line marked churn-site: each asks "CLOSE", reads the
 *     answer and EOF (the peer closes first, so no TIME_WAIT lands here) and
 *     is closed.
 * --steady is the twin: the same connections, but the one at leak-site asks
 * "CLOSE" too and is closed like the others. The process ends after S
 * seconds; in leak mode its leaked sockets are still open then.
 *
 * Expected: open fds (and live sockets at leak-site) rise by 1 a second,
 * about S sockets at the end: an fd-growth finding with a slope of ~60/min,
 * plus S orphaned sockets at exit. With --steady: a flat fd count, no
 * growth finding, nothing left open. Prints
 * "leak_growth: S s, L left open, C churned, F failures"; exits 0, 1 on a
 * failure, 2 on a bad flag. */
#define _GNU_SOURCE
#include "kernel_sample.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define USAGE      "leak_growth [--seconds S] [--churn N] [--steady]"
#define PEER_MAX   8192
#define PEER_SLACK 30 /* the peer outlives the service's S seconds by at most this */

struct opts {
    int seconds, churn, peer_fd;
    bool steady;
};

static void opts_parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.seconds = 20, .churn = 10, .peer_fd = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--seconds") == 0)
            o->seconds = (int)ksample_flag_long(argc, argv, &i, 1, 3600, USAGE);
        else if (strcmp(a, "--churn") == 0)
            o->churn = (int)ksample_flag_long(argc, argv, &i, 0, 1000, USAGE);
        else if (strcmp(a, "--steady") == 0)
            o->steady = true;
        else if (strcmp(a, "--peer-fd") == 0) /* internal: the peer's process */
            o->peer_fd = (int)ksample_flag_long(argc, argv, &i, 0, 1 << 20, USAGE);
        else
            ksample_bad_arg(USAGE, a);
    }
}

/* The peer answers each line "KEEP" or "CLOSE" with "ok"; after "CLOSE" it
 * closes the connection. Returns false when the connection is done. */
static bool peer_answer(int fd)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    buf[n] = '\0';
    return ksample_send_all(fd, "ok\n", 3) && !strstr(buf, "CLOSE");
}

static void peer_loop(struct pollfd *pfd, int seconds)
{
    int npfd = 1;
    double end = ksample_now() + seconds + PEER_SLACK;
    while (ksample_now() < end) {
        if (poll(pfd, (nfds_t)npfd, 1000) <= 0) continue;
        if ((pfd[0].revents & POLLIN) && npfd < PEER_MAX) {
            int fd = accept(pfd[0].fd, NULL, NULL);
            if (fd >= 0) pfd[npfd++] = (struct pollfd){.fd = fd, .events = POLLIN};
        }
        for (int k = npfd - 1; k >= 1; k--) {
            if (!pfd[k].revents || peer_answer(pfd[k].fd)) continue;
            close(pfd[k].fd);
            pfd[k] = pfd[--npfd];
        }
    }
}

/* The peer's process: listens, tells the service its port, serves. */
static int peer_run(const struct opts *o)
{
    static struct pollfd pfd[PEER_MAX];
    struct rlimit rl;
    int port;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max; /* it holds the other end of every leak */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int lfd = ksample_listen(0, &port);
    if (lfd < 0) return 1;
    dprintf(o->peer_fd, "%d\n", port);
    close(o->peer_fd);
    pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
    peer_loop(pfd, o->seconds);
    return 0;
}

/* Starts the peer; returns its port, or -1. */
static int peer_start(const struct opts *o)
{
    int p[2];
    char sfd[16], ssec[16], buf[16] = "";
    if (pipe(p) < 0) return -1;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    snprintf(sfd, sizeof(sfd), "%d", p[1]);
    snprintf(ssec, sizeof(ssec), "%d", o->seconds);
    char *argv[] = {"leak_growth", "--peer-fd", sfd, "--seconds", ssec, NULL};
    pid_t pid = ksample_spawn_self(argv);
    close(p[1]);
    ssize_t n = pid > 0 ? ksample_read_eof(p[0], buf, sizeof(buf)) : -1;
    close(p[0]);
    return n > 0 ? atoi(buf) : -1;
}

/* Sends one line and reads the "ok" answer. */
static bool ask(int fd, int port, const char *line)
{
    char buf[8];
    ssize_t n;
    if (ksample_connect(fd, port) < 0 || !ksample_send_all(fd, line, strlen(line))) return false;
    do n = read(fd, buf, 3);
    while (n < 0 && errno == EINTR);
    return n == 3 && memcmp(buf, "ok\n", 3) == 0;
}

/* A connection that is made, used and closed; the peer closes first. */
static bool churn_one(int port)
{
    char buf[8];
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: churn-site */
    if (fd < 0) return false;
    bool ok = ask(fd, port, "CLOSE\n") && ksample_read_eof(fd, buf, sizeof(buf)) == 0;
    close(fd);
    return ok;
}

/* The connection of the second: leaked, or with --steady closed like the rest. */
static bool leak_one(int port, bool steady)
{
    char buf[8];
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
    if (fd < 0) return false;
    if (!steady) return ask(fd, port, "KEEP\n"); /* and fd is forgotten */
    bool ok = ask(fd, port, "CLOSE\n") && ksample_read_eof(fd, buf, sizeof(buf)) == 0;
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    struct opts o;
    ksample_prog = "leak_growth";
    signal(SIGPIPE, SIG_IGN);
    opts_parse(argc, argv, &o);
    if (o.peer_fd >= 0) return peer_run(&o);

    int port = peer_start(&o);
    if (port <= 0) {
        fprintf(stderr, "leak_growth: the peer did not start\n");
        return 1;
    }
    long failures = 0, churned = 0;
    double start = ksample_now();
    for (int s = 0; s < o.seconds; s++) {
        ksample_sleep_until(start + s);
        failures += !leak_one(port, o.steady);
        for (int j = 0; j < o.churn; j++) {
            ksample_sleep_until(start + s + (j + 1.0) / (o.churn + 1.0));
            failures += !churn_one(port);
            churned++;
        }
    }
    ksample_sleep_until(start + o.seconds);
    printf("leak_growth: %d s, %d left open, %ld churned, %ld failures\n", o.seconds,
           o.steady ? 0 : o.seconds, churned, failures);
    return failures ? 1 : 0;
}
