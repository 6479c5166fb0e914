/* leaky_client.c - the textbook orphaned socket: a client that never closes.
 *
 *   leaky_client [N] [PORT]     (N defaults to 10; without PORT an in-process
 *                                sample_server is started)
 *
 * open_connection() creates and connects a socket; fetch_status() sends one
 * "GET / HTTP/1.1" with "Connection: close", reads to EOF (so the server has
 * closed its side before the program exits) and returns the status. Nobody
 * closes the fd. Expected report: one orphaned-socket finding, count N, top
 * frame open_connection at the line marked below. */
#define _GNU_SOURCE
#include "sample_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_connection(int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) return -1; /* leaks fd too */
    return fd;
}

/* Sends one GET with "Connection: close", reads the response to EOF and
 * returns its status code, or -1. Leaves fd open. */
static int fetch_status(int fd)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char buf[4096];
    size_t len = 0;
    ssize_t n;
    int status = -1;

    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) return -1;
    while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        len += (size_t)n;
        if (len == sizeof(buf) - 1) len = 0; /* keep reading; status is parsed early */
        buf[len] = '\0';
        if (status < 0 && strstr(buf, "\r\n")) {
            if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
        }
    }
    return status;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int port = argc > 2 ? atoi(argv[2]) : sample_server_start();
    int ok = 0;

    if (port <= 0) {
        perror("leaky_client: sample_server_start");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        int fd = open_connection(port);
        if (fd < 0) {
            perror("leaky_client: connect");
            return 1;
        }
        if (fetch_status(fd) == 200) ok++;
    }
    printf("leaky_client: %d requests, %d with status 200, 0 sockets closed\n", n, ok);
    return ok == n ? 0 : 1;
}
