/* clean_client.c - the clean twin of leaky_client: every socket is closed.
 *
 *   clean_client [N] [PORT]     (N defaults to 10; without PORT an in-process
 *                                sample_server is started)
 *
 * Same requests as leaky_client, but each connection is closed once its
 * response has been read to EOF. Expected report: status "clean", no finding.
 * Its output is deterministic (no port, no time), so the end-to-end tests also
 * compare it with and without connleak. */
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
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* Sends one GET with "Connection: close", reads the response to EOF, stores
 * the number of bytes after the header block in *body and returns the status
 * code, or -1. */
static int fetch_status(int fd, size_t *body)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char buf[8192];
    size_t len = 0;
    ssize_t n;
    int status = -1;
    char *end;

    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) return -1;
    while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        len += (size_t)n;
        if (len == sizeof(buf) - 1) return -1; /* larger than any sample response */
    }
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
    *body = len - (size_t)(end + 4 - buf);
    return status;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int port = argc > 2 ? atoi(argv[2]) : sample_server_start();
    int ok = 0;

    if (port <= 0) {
        perror("clean_client: sample_server_start");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        size_t body = 0;
        int fd = open_connection(port);
        if (fd < 0) {
            perror("clean_client: connect");
            return 1;
        }
        int status = fetch_status(fd, &body);
        if (close(fd) != 0) perror("clean_client: close");
        printf("clean_client: request %d: status %d, %zu body bytes\n", i + 1, status, body);
        if (status == 200) ok++;
    }
    printf("clean_client: %d requests, %d with status 200, %d sockets closed\n", n, ok, n);
    return ok == n ? 0 : 1;
}
