/* http_reqsite.c - a keep-alive HTTP/1.1 client whose abandoned responses
 * were requested in other functions than the one that opened the socket,
 * against samples/http_server on 127.0.0.1:PORT (request-site attribution,
 * issue 15).
 *
 *   http_reqsite MODE PORT
 *
 *   leaky  two connections, both opened by dial(); on each, fetch_ok() sends
 *          a request and reads its response whole, then on the same
 *          connection fetch_items() (first) or fetch_more() (second) sends a
 *          request for /big, reads its headers and closes with the body
 *          unread -> two discarded-body findings, one at each request line
 *          ("connleak-test: items-request", "more-request"), each showing
 *          dial()'s socket() line ("connleak-test: dial-site") second
 *   clean  the same exchanges, every body read to its end -> no finding
 *
 * Requests are written here with send(), not by a helper, so that the
 * request's first user frame is the fetch function. Prints one line saying
 * what it did; exits 0, 1 when the server misbehaved, 2 on bad usage. */
#define _GNU_SOURCE
#include "http_wire.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GET_SMALL "GET /small HTTP/1.1\r\nHost: reqsite.test\r\n\r\n"
#define GET_ITEMS "GET /big HTTP/1.1\r\nHost: reqsite.test\r\n\r\n"
#define GET_MORE  "GET /chunked HTTP/1.1\r\nHost: reqsite.test\r\n\r\n"

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: dial-site */
    if (fd >= 0 && wire_connect(fd, port) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads a response's head (status 200, keep-alive) and, if whole, its body. */
static int take_response(int fd, bool whole)
{
    struct wire_resp r;
    if (wire_read_head(fd, &r) < 0 || r.status != 200 || !r.keep_alive) return -1;
    return whole && wire_read_body(fd, &r) < 0 ? -1 : 0;
}

static int fetch_ok(int fd)
{
    if (send(fd, GET_SMALL, strlen(GET_SMALL), 0) != (ssize_t)strlen(GET_SMALL)) return -1;
    return take_response(fd, true);
}

static int fetch_items(int fd, bool whole)
{
    if (send(fd, GET_ITEMS, strlen(GET_ITEMS), 0) != /* connleak-test: items-request */
        (ssize_t)strlen(GET_ITEMS))
        return -1;
    return take_response(fd, whole);
}

static int fetch_more(int fd, bool whole)
{
    if (send(fd, GET_MORE, strlen(GET_MORE), 0) != /* connleak-test: more-request */
        (ssize_t)strlen(GET_MORE))
        return -1;
    return take_response(fd, whole);
}

/* One connection: a complete exchange, then the one under test. */
static int one_connection(int port, bool more, bool whole)
{
    int fd = dial(port);
    if (fd < 0) return -1;
    int rc = fetch_ok(fd);
    if (rc == 0) rc = more ? fetch_more(fd, whole) : fetch_items(fd, whole);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    int port = argc == 3 ? wire_parse_port(argv[2]) : -1;
    bool leaky = argc == 3 && strcmp(argv[1], "leaky") == 0;
    if (port < 0 || (!leaky && strcmp(argv[1], "clean") != 0)) {
        fprintf(stderr, "usage: http_reqsite leaky|clean PORT\n");
        return 2;
    }
    if (one_connection(port, false, !leaky) < 0 || one_connection(port, true, !leaky) < 0) {
        fprintf(stderr, "http_reqsite: the server misbehaved\n");
        return 1;
    }
    printf("http_reqsite %s: 2 connections, 4 requests, %s\n", argv[1],
           leaky ? "2 bodies left unread" : "every body read");
    return 0;
}
