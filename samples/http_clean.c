/* http_clean.c - the clean twin of http_leaky: an HTTP/1.1 client on raw
 * sockets that does everything right.
 *
 *   http_clean PORT [N]
 *
 * One keep-alive connection to 127.0.0.1:PORT (samples/http_server) carries
 * N requests (default 12): /, /big (1 MiB, Content-Length) and /chunked
 * (1 MiB, chunked) in turn, every body read to its end; the last request
 * says "Connection: close"; then the program closes the socket. Expected
 * report: clean. Exits 0, 1 when the server misbehaved, 2 on bad usage. */
#define _GNU_SOURCE
#include "http_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const paths[] = {"/", "/big", "/chunked"};

/* One request on fd, its body read to the end. Returns the body bytes. */
static long fetch(int fd, const char *path, bool keep_alive)
{
    struct wire_resp r;
    if (wire_send_get(fd, path, keep_alive) < 0 || wire_read_head(fd, &r) < 0) return -1;
    if (r.status != 200 || r.keep_alive != keep_alive) return -1;
    return wire_read_body(fd, &r);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? wire_parse_port(argv[1]) : -1;
    int n = argc > 2 ? atoi(argv[2]) : 12;
    long bytes = 0;

    if (port < 0 || argc > 3 || n < 1 || n > 1000) {
        fprintf(stderr, "usage: http_clean PORT [N] (N in 1..1000)\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: clean-site */
    if (fd < 0 || wire_connect(fd, port) < 0) {
        perror("http_clean: connect");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        long body = fetch(fd, paths[i % 3], i + 1 < n);
        if (body < 0) {
            fprintf(stderr, "http_clean: request %d (%s) failed\n", i + 1, paths[i % 3]);
            return 1;
        }
        bytes += body;
    }
    close(fd);
    printf("http_clean: %d requests on 1 connection, %ld body bytes read, closed\n", n, bytes);
    return 0;
}
