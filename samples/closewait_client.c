/* closewait_client.c - a client that never closes the connections a server
 * hung up: its sockets pile up in CLOSE_WAIT towards one peer. The fixture
 * of tests/e2e/watch_same.sh, which looks at it with `connleak run` (from
 * inside) and `connleak watch` (from outside) and compares the findings.
 *
 *   closewait_client --port N [--conns N] [--seconds S] [--close]
 *
 * Opens --conns connections (default 5, at most 1000) to 127.0.0.1:PORT at
 * the line marked closewait-client-site, never reads nor closes them, and
 * exits after S seconds (default 3). A server that closes each connection
 * at once leaves them all in CLOSE_WAIT. --close is the clean twin: it
 * waits for each peer's hang-up (EOF) and closes the socket then.
 *
 * Expected with such a server: one close-wait-pile of N towards
 * 127.0.0.1:PORT (none with --close). Exits 0; 1 when a connection fails,
 * 2 on a bad flag. */
#define _GNU_SOURCE
#include "kernel_sample.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define USAGE     "closewait_client --port N [--conns N] [--seconds S] [--close]"
#define MAX_CONNS 1000

struct opts {
    int port, conns, seconds;
    bool close;
};

static void opts_parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.conns = 5, .seconds = 3};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--port") == 0)
            o->port = (int)ksample_flag_long(argc, argv, &i, 1, 65535, USAGE);
        else if (strcmp(a, "--conns") == 0)
            o->conns = (int)ksample_flag_long(argc, argv, &i, 1, MAX_CONNS, USAGE);
        else if (strcmp(a, "--seconds") == 0)
            o->seconds = (int)ksample_flag_long(argc, argv, &i, 1, 3600, USAGE);
        else if (strcmp(a, "--close") == 0)
            o->close = true;
        else
            ksample_bad_arg(USAGE, a);
    }
    if (!o->port) ksample_usage(USAGE, "--port is required");
}

/* One connection to the server; -1 when it fails. */
static int client_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: closewait-client-site */
    if (fd < 0) return -1;
    if (ksample_connect(fd, port) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The clean twin: once the server has hung up (EOF), close. */
static void client_close_at_eof(int fd)
{
    char buf[256];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 2000) > 0) ksample_read_eof(fd, buf, sizeof(buf));
    close(fd);
}

int main(int argc, char **argv)
{
    struct opts o;
    static int fds[MAX_CONNS];
    ksample_prog = "closewait_client";
    signal(SIGPIPE, SIG_IGN);
    opts_parse(argc, argv, &o);
    int failed = 0;
    for (int i = 0; i < o.conns; i++)
        if ((fds[i] = client_connect(o.port)) < 0) failed++;
    for (int i = 0; o.close && i < o.conns; i++)
        if (fds[i] >= 0) client_close_at_eof(fds[i]);
    ksample_sleep_until(ksample_now() + o.seconds);
    fprintf(stderr, "closewait_client: %d connections, %d failed, %s\n", o.conns, failed,
            o.close ? "closed at EOF" : "closed none");
    return failed ? 1 : 0;
}
