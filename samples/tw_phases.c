/* tw_phases.c - a client that closes connections first in two phases, to
 * two servers, with a pause between: the cases where the sampler's reads of
 * TIME_WAIT during the run did not see a storm that exit left behind.
 *
 *   tw_phases [--a N] [--b N] [--pause MS] [--then N] [--hog soft|hard] [--refused]
 *             [--exec] [--shut | --reconnect]
 *
 * Two listener threads on 127.0.0.1 (ports chosen by the kernel), A and B,
 * each read a connection until EOF and close it. Phase 1 makes N
 * connections to A (--a, default 60) and N to B (--b, default 60); phase 2,
 * after MS milliseconds (--pause, default 1200, at most 60000), makes N
 * more to A (--then, default 150). Every connection is opened at the line
 * marked connect-site, sends one byte and is closed by the client at once,
 * so each one lingers 60 s in TIME_WAIT once the server has closed its
 * side: the program waits for that (at most 5 s), then calls exit().
 *
 * A sample during the pause finds A's and B's phase-1 sockets (60 + 60 by
 * default: no storm at either site); the exit must read TIME_WAIT once
 * more to see A's storm (60 + 150). --hog lowers the soft RLIMIT_NOFILE
 * (with `hard`, the hard one too) to 256 and holds every free fd during the
 * pause, freeing them before phase 2: EMFILE for anyone who opens one
 * without raising the soft limit (as anyone may up to the hard one; past
 * it only with CAP_SYS_RESOURCE).
 * --refused sends phase 2 to a port bound by nobody's listener instead, as
 * non-blocking connects (the retry loop of a client whose backend is
 * down): each is refused, waited for and closed, and leaves no TIME_WAIT.
 * --exec ends the program with an exec of /bin/true instead of exit().
 * --shut ends each connection with shutdown(SHUT_WR) instead of a byte, and
 * closes it once the server has closed (seen by poll, nothing read): the
 * socket is then in CLOSE, its 4-tuple in TIME_WAIT. --reconnect calls
 * connect() once more on each connection after its byte (EISCONN).
 *
 * Prints "tw_phases: A=127.0.0.1:PORT B=127.0.0.1:PORT" first, and
 * "tw_phases: N connections, F failures" at the end; exits 0, 1 on any
 * failure, 2 on a bad flag. */
#define _GNU_SOURCE
#include "kernel_sample.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "tw_phases [--a N] [--b N] [--pause MS] [--then N] [--hog soft|hard] [--refused] [--exec] "    \
    "[--shut | --reconnect]"
#define HOG_NOFILE 256

static _Atomic long served; /* connections both servers have closed */

static void *server_thread(void *arg)
{
    int lfd = *(int *)arg;
    char buf[64];
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) { /* EMFILE while --hog holds every fd */
            usleep(1000);
            continue;
        }
        ksample_read_eof(fd, buf, sizeof(buf));
        close(fd);
        served++;
    }
    return NULL;
}

static int server_start(int *lfd)
{
    int port;
    pthread_t t;
    *lfd = ksample_listen(0, &port);
    if (*lfd < 0 || pthread_create(&t, NULL, server_thread, lfd) != 0) {
        fprintf(stderr, "tw_phases: cannot start a server: %s\n", strerror(errno));
        exit(1);
    }
    return port;
}

/* n connections to port, each closed by us first; the failures. */
/* The servers' closes move ours from FIN_WAIT2 to TIME_WAIT: waits (at
 * most 5 s) until they have closed `want` connections, so that a read of
 * TIME_WAIT finds every one of ours (under load the servers lag behind). */
static void served_wait(long want)
{
    for (double end = ksample_now() + 5; served < want && ksample_now() < end;) usleep(1000);
}

/* How a connection ends: one byte sent and closed (0); --shut: nothing
 * sent, shut down for writing, the server's close waited for (poll, no
 * read), then closed: the socket is in CLOSE, its 4-tuple in TIME_WAIT;
 * --reconnect: one byte sent, connect() called again (EISCONN), closed. */
static int end_how;
#define END_SHUT      1
#define END_RECONNECT 2

/* One connection to port, ended as end_how says. */
static bool conn_end(int fd, int port)
{
    if (ksample_connect(fd, port) != 0) return false;
    if (end_how == END_SHUT) {
        struct pollfd p = {fd, POLLRDHUP, 0};
        if (shutdown(fd, SHUT_WR) != 0) return false;
        while (poll(&p, 1, 2000) < 0 && errno == EINTR) {
        }
        return p.revents & POLLRDHUP;
    }
    if (!ksample_send_all(fd, "x", 1)) return false;
    return end_how != END_RECONNECT || (ksample_connect(fd, port) != 0 && errno == EISCONN);
}

static long churn(int port, long n)
{
    long failures = 0;
    for (long i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: connect-site */
        if (fd < 0) {
            failures++;
            continue;
        }
        if (!conn_end(fd, port)) failures++;
        close(fd);
    }
    return failures;
}

/* n non-blocking connects to port, where nothing listens: each refused,
 * then closed; the ones that were not refused. */
static long churn_refused(int port, long n)
{
    long failures = 0;
    for (long i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0); /* connleak-test: connect-site */
        if (fd < 0 || ksample_connect(fd, port) == 0 || errno != EINPROGRESS) {
            failures++;
        } else {
            struct pollfd p = {fd, POLLOUT, 0};
            int err = 0;
            socklen_t len = sizeof(err);
            while (poll(&p, 1, 1000) < 0 && errno == EINTR) {
            }
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            failures += err != ECONNREFUSED;
        }
        if (fd >= 0) close(fd);
    }
    return failures;
}

/* A port bound on 127.0.0.1 with no listener (its socket, *fd, stays open
 * while it is used, so no one else gets it): connects to it are refused. */
static int port_dead(int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (!port) {
        fprintf(stderr, "tw_phases: cannot bind a dead port: %s\n", strerror(errno));
        exit(1);
    }
    *fd_out = fd;
    return port;
}

/* Holds every fd it can get under a soft limit of HOG_NOFILE for ms. */
static void pause_hogging(long ms, bool hard)
{
    static int held[HOG_NOFILE];
    int n = 0, fd;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > HOG_NOFILE) {
        rl.rlim_cur = HOG_NOFILE;
        if (hard) rl.rlim_max = HOG_NOFILE; /* only CAP_SYS_RESOURCE raises it again */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    while (n < HOG_NOFILE && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) held[n++] = fd;
    ksample_sleep_until(ksample_now() + (double)ms / 1000.0);
    while (n > 0) close(held[--n]);
}

int main(int argc, char **argv)
{
    long a = 60, b = 60, pause_ms = 1200, then = 150;
    bool hog = false, hog_hard = false, refused = false, exec = false;
    ksample_prog = "tw_phases";
    signal(SIGPIPE, SIG_IGN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--a") == 0)
            a = ksample_flag_long(argc, argv, &i, 0, 20000, USAGE);
        else if (strcmp(argv[i], "--b") == 0)
            b = ksample_flag_long(argc, argv, &i, 0, 20000, USAGE);
        else if (strcmp(argv[i], "--pause") == 0)
            pause_ms = ksample_flag_long(argc, argv, &i, 0, 60000, USAGE);
        else if (strcmp(argv[i], "--then") == 0)
            then = ksample_flag_long(argc, argv, &i, 0, 20000, USAGE);
        else if (strcmp(argv[i], "--hog") == 0 && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "soft") || !strcmp(argv[i + 1], "hard")))
            hog = true, hog_hard = !strcmp(argv[++i], "hard");
        else if (strcmp(argv[i], "--refused") == 0)
            refused = true;
        else if (strcmp(argv[i], "--exec") == 0)
            exec = true;
        else if (strcmp(argv[i], "--shut") == 0)
            end_how = END_SHUT;
        else if (strcmp(argv[i], "--reconnect") == 0)
            end_how = END_RECONNECT;
        else
            ksample_bad_arg(USAGE, argv[i]);
    }
    static int lfd_a, lfd_b;
    int port_a = server_start(&lfd_a), port_b = server_start(&lfd_b);
    printf("tw_phases: A=127.0.0.1:%d B=127.0.0.1:%d\n", port_a, port_b);
    fflush(stdout);
    long failures = churn(port_a, a) + churn(port_b, b);
    served_wait(a + b); /* before the pause: its samples see every one */
    if (hog)
        pause_hogging(pause_ms, hog_hard);
    else
        ksample_sleep_until(ksample_now() + (double)pause_ms / 1000.0);
    if (refused) {
        int dead_fd, port_d = port_dead(&dead_fd);
        failures += churn_refused(port_d, then);
        close(dead_fd);
    } else {
        failures += churn(port_a, then);
    }
    served_wait(a + b + (refused ? 0 : then));
    printf("tw_phases: %ld connections, %ld failures\n", a + b + then, failures);
    fflush(stdout);
    if (exec && !failures) execl("/bin/true", "true", (char *)NULL);
    exit(failures ? 1 : 0);
}
