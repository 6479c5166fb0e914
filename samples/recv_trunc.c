/* recv_trunc.c - drains an HTTP response with recv(fd, NULL, n, MSG_TRUNC),
 * which discards the bytes without copying them (Linux, TCP): the buffer is
 * NULL. connleak must count them and never read the buffer.
 *
 *   recv_trunc PORT      (an http_server on 127.0.0.1:PORT)
 *
 * Prints "recv_trunc: discarded N bytes" and exits 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: recv_trunc PORT\n");
        return 2;
    }
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)atoi(argv[1])),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("recv_trunc: connect");
        return 1;
    }
    const char *rq = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (write(c, rq, strlen(rq)) != (ssize_t)strlen(rq)) return 1;
    long total = 0;
    for (;;) {
        ssize_t n = recv(c, NULL, 1 << 20, MSG_TRUNC);
        if (n <= 0) break;
        total += n;
    }
    close(c);
    printf("recv_trunc: discarded %ld bytes\n", total);
    return total > 0 ? 0 : 1;
}
