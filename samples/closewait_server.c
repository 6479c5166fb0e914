/* closewait_server.c - a server that never closes the connections it accepts:
 * when the clients hang up, its sockets pile up in CLOSE_WAIT.
 *
 *   closewait_server [--port N] [--clients N] [--interval-ms MS] [--seconds S]
 *                    [--no-read]
 *
 * Listens on 127.0.0.1:N (default 0: the kernel picks) and prints the port
 * and a newline on stdout. For S seconds (default 10) it accepts every
 * connection (at the line marked closewait-site) and reads it until EOF,
 * then forgets it: the peer's FIN has arrived, our fd stays open, the
 * kernel keeps the socket in CLOSE_WAIT. After S seconds it exits without
 * closing any of them. --no-read never reads: the client's line then stays
 * in the receive queue (sock_diag's idiag_rqueue), data the program never
 * read.
 *
 * --clients N (default 0, at most 1000) starts N clients in a child process
 * (this program again, not traced by connleak: it is started without
 * LD_PRELOAD): one every MS ms (default 0), each connects, sends one line
 * and closes. Any other client (nc, bash's /dev/tcp) works the same way.
 *
 * Expected, with --clients N and S long enough for all of them:
 * `ss -tan state close-wait` shows N sockets on the server's port, owned
 * by this process; connleak reports a CLOSE_WAIT pile of N at the marked line,
 * the first of them waiting almost S seconds; the client side is clean.
 * Exits 0, 1 when the listener cannot be set up, 2 on a bad flag. */
#define _GNU_SOURCE
#include "kernel_sample.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "closewait_server [--port N] [--clients N] [--interval-ms MS] [--seconds S] [--no-read]"
#define MAX_CLIENTS 1000
#define MAX_POLL    (MAX_CLIENTS + 1)

struct opts {
    int port, clients, interval_ms, seconds, client_of;
    bool no_read;
};

/* The server's state: the listener, and the accepted sockets still read. */
struct server {
    struct pollfd pfd[MAX_POLL]; /* [0] is the listener */
    int npfd;
    int accepted, eofs;
};

static void opts_parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.seconds = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--port") == 0)
            o->port = (int)ksample_flag_long(argc, argv, &i, 0, 65535, USAGE);
        else if (strcmp(a, "--clients") == 0)
            o->clients = (int)ksample_flag_long(argc, argv, &i, 0, MAX_CLIENTS, USAGE);
        else if (strcmp(a, "--interval-ms") == 0)
            o->interval_ms = (int)ksample_flag_long(argc, argv, &i, 0, 60000, USAGE);
        else if (strcmp(a, "--seconds") == 0)
            o->seconds = (int)ksample_flag_long(argc, argv, &i, 1, 3600, USAGE);
        else if (strcmp(a, "--no-read") == 0)
            o->no_read = true;
        else if (strcmp(a, "--client-of") == 0) /* internal: the clients' process */
            o->client_of = (int)ksample_flag_long(argc, argv, &i, 1, 65535, USAGE);
        else
            ksample_bad_arg(USAGE, a);
    }
}

/* The clients' process: each client connects, sends a line and hangs up. */
static int clients_run(const struct opts *o)
{
    int failures = 0;
    double next = ksample_now();
    for (int i = 0; i < o->clients; i++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "hello from client %d\n", i);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || ksample_connect(fd, o->client_of) < 0 ||
            !ksample_send_all(fd, line, (size_t)n))
            failures++;
        if (fd >= 0) close(fd);
        next += o->interval_ms / 1000.0;
        ksample_sleep_until(next);
    }
    return failures ? 1 : 0;
}

static pid_t clients_start(const struct opts *o, int port)
{
    char sport[16], sclients[16], sinterval[16];
    snprintf(sport, sizeof(sport), "%d", port);
    snprintf(sclients, sizeof(sclients), "%d", o->clients);
    snprintf(sinterval, sizeof(sinterval), "%d", o->interval_ms);
    char *argv[] = {"closewait_server", "--client-of",   sport,     "--clients",
                    sclients,           "--interval-ms", sinterval, NULL};
    return ksample_spawn_self(argv);
}

/* Accepts one connection and keeps it: it is never closed. */
static void server_accept(struct server *s, bool no_read)
{
    int fd = accept(s->pfd[0].fd, NULL, NULL); /* connleak-test: closewait-site */
    if (fd < 0) return;
    s->accepted++;
    if (no_read || s->npfd == MAX_POLL) return;
    s->pfd[s->npfd++] = (struct pollfd){.fd = fd, .events = POLLIN};
}

/* Reads what the client sent; at EOF (or an error) the socket is no longer
 * polled, and still not closed. Returns false when it left the poll set. */
static bool server_read(struct server *s, int k)
{
    char buf[512];
    ssize_t n = read(s->pfd[k].fd, buf, sizeof(buf));
    if (n > 0 || (n < 0 && errno == EINTR)) return true;
    if (n == 0) s->eofs++;
    s->pfd[k] = s->pfd[--s->npfd];
    return false;
}

static void server_run(struct server *s, const struct opts *o)
{
    double end = ksample_now() + o->seconds;
    for (double now = ksample_now(); now < end; now = ksample_now()) {
        int rc = poll(s->pfd, (nfds_t)s->npfd, (int)((end - now) * 1000) + 1);
        if (rc <= 0) continue;
        if (s->pfd[0].revents & POLLIN) server_accept(s, o->no_read);
        for (int k = s->npfd - 1; k >= 1; k--)
            if (s->pfd[k].revents) server_read(s, k);
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    static struct server s;
    ksample_prog = "closewait_server";
    signal(SIGPIPE, SIG_IGN);
    opts_parse(argc, argv, &o);
    if (o.client_of) return clients_run(&o);

    int port;
    int lfd = ksample_listen(o.port, &port);
    if (lfd < 0) {
        fprintf(stderr, "closewait_server: cannot listen on 127.0.0.1:%d: %s\n", o.port,
                strerror(errno));
        return 1;
    }
    printf("%d\n", port);
    fflush(stdout);
    pid_t child = o.clients ? clients_start(&o, port) : 0;
    s.pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
    s.npfd = 1;
    server_run(&s, &o);
    if (child > 0) {
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
    }
    fprintf(stderr, "closewait_server: accepted %d, EOF on %d, closed none\n", s.accepted, s.eofs);
    return 0;
}
