/* http_leaky.c - HTTP/1.1 clients on raw sockets that leak, one pattern per
 * mode, against a server on 127.0.0.1:PORT (samples/http_server).
 *
 *   http_leaky MODE PORT [N]
 *
 *   unclosed   N GETs of /big (1 MiB, with a query string): reads only the
 *              response headers, keeps every socket open until exit
 *              -> unclosed-body, count N
 *   discarded  N GETs of /big: reads the headers, closes with the body unread
 *              -> discarded-body, count N
 *   noreuse    N (default 12) connections one after the other, one keep-alive
 *              request each, body read to the end, closed by the program
 *              -> no-connection-reuse, N connections, N-1 saved
 *   stuck      N requests to /hang (never answered), waits 1.5 s, exits with
 *              the sockets open -> stuck-request, count N (with
 *              CONNLEAK_STUCK_MS below 1500)
 *   orphan     N full exchanges (GET /orphan, body read), sockets never
 *              closed -> orphaned-socket with the HTTP context
 *
 * Each mode opens its sockets on the line marked "connleak-test: MODE-site":
 * the line connleak must name. Prints one line saying what it did; exits 0,
 * 1 when the server misbehaved, 2 on bad usage. */
#define _GNU_SOURCE
#include "http_wire.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_N   1000
#define WAIT_MS 1500

static int fail(const char *mode, const char *what)
{
    fprintf(stderr, "http_leaky %s: %s failed\n", mode, what);
    return 1;
}

/* Sends GET path on fd and reads the response head; the status must be 200. */
static int get_head(int fd, const char *path, bool keep_alive, struct wire_resp *r)
{
    if (wire_send_get(fd, path, keep_alive) < 0 || wire_read_head(fd, r) < 0) return -1;
    return r->status == 200 ? 0 : -1;
}

static int leak_unclosed(int port, int n)
{
    struct wire_resp r;
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: unclosed-site */
        if (fd < 0 || wire_connect(fd, port) < 0) return fail("unclosed", "connect");
        if (get_head(fd, "/big?user=alice&token=s3cret", true, &r) < 0)
            return fail("unclosed", "GET /big");
    }
    printf("http_leaky unclosed: %d responses of %ld bytes, headers read, bodies not, "
           "%d sockets open\n",
           n, r.length, n);
    return 0;
}

static int leak_discarded(int port, int n)
{
    struct wire_resp r;
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: discarded-site */
        if (fd < 0 || wire_connect(fd, port) < 0) return fail("discarded", "connect");
        if (get_head(fd, "/big", true, &r) < 0) return fail("discarded", "GET /big");
        close(fd); /* the body is still on its way */
    }
    printf("http_leaky discarded: %d responses of %ld bytes, headers read, %d sockets closed\n", n,
           r.length, n);
    return 0;
}

static int leak_noreuse(int port, int n)
{
    struct wire_resp r;
    long bytes = 0;
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: noreuse-site */
        if (fd < 0 || wire_connect(fd, port) < 0) return fail("noreuse", "connect");
        if (get_head(fd, "/items", true, &r) < 0 || !r.keep_alive)
            return fail("noreuse", "keep-alive GET /items");
        long body = wire_read_body(fd, &r);
        if (body < 0) return fail("noreuse", "reading the body");
        bytes += body;
        close(fd);
    }
    printf("http_leaky noreuse: %d keep-alive connections, 1 request each, %ld body bytes read, "
           "%d closed\n",
           n, bytes, n);
    return 0;
}

static int leak_stuck(int port, int n)
{
    struct pollfd pfds[MAX_N];
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: stuck-site */
        if (fd < 0 || wire_connect(fd, port) < 0) return fail("stuck", "connect");
        if (wire_send_get(fd, "/hang", true) < 0) return fail("stuck", "GET /hang");
        pfds[i] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    /* A client without a response-header timeout would wait forever. */
    int ready = poll(pfds, (nfds_t)n, WAIT_MS);
    if (ready != 0) return fail("stuck", "waiting for no answer");
    printf("http_leaky stuck: %d request(s) without an answer after %d ms, %d socket(s) open\n", n,
           WAIT_MS, n);
    return 0;
}

static int leak_orphan(int port, int n)
{
    struct wire_resp r;
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: orphan-site */
        if (fd < 0 || wire_connect(fd, port) < 0) return fail("orphan", "connect");
        if (get_head(fd, "/orphan", true, &r) < 0 || wire_read_body(fd, &r) != r.length)
            return fail("orphan", "GET /orphan");
    }
    printf("http_leaky orphan: %d exchanges complete, %d sockets open\n", n, n);
    return 0;
}

static const struct mode {
    const char *name;
    int (*run)(int port, int n);
    int default_n;
} modes[] = {
    {"unclosed", leak_unclosed, 3}, {"discarded", leak_discarded, 3}, {"noreuse", leak_noreuse, 12},
    {"stuck", leak_stuck, 1},       {"orphan", leak_orphan, 1},
};

int main(int argc, char **argv)
{
    const struct mode *m = NULL;
    for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(argv[1], modes[i].name) == 0) m = &modes[i];
    int port = argc > 2 ? wire_parse_port(argv[2]) : -1;
    int n = m ? m->default_n : 0;
    if (argc > 3) n = atoi(argv[3]);
    if (!m || port < 0 || argc > 4 || n < 1 || n > MAX_N) {
        fprintf(stderr,
                "usage: http_leaky unclosed|discarded|noreuse|stuck|orphan PORT [N]"
                " (N in 1..%d)\n",
                MAX_N);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return m->run(port, n);
}
