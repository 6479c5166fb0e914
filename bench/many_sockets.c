/* many_sockets.c - holds N loopback TCP connections open for S seconds, so
 * that bench/run-sample.sh can read what one sample of connleak's sampler
 * costs with that many sockets (the "us" field of the sample records).
 *
 *   many_sockets PAIRS SECONDS [http]
 *
 * PAIRS connections to its own listener on 127.0.0.1: 2 x PAIRS sockets,
 * all tracked (client and accepted ends). With "http", each client sends
 * one HTTP/1.1 request and its accepted end reads it, so that both carry
 * HTTP state (bench/run-scale.sh --http). Exits 0 after SECONDS. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "http") == 0)) {
        fprintf(stderr, "usage: many_sockets PAIRS SECONDS [http]\n");
        return 2;
    }
    int pairs = atoi(argv[1]), secs = atoi(argv[2]);
    static const char req[] = "GET /items?page=1 HTTP/1.1\r\nHost: api.internal\r\n\r\n";
    char buf[sizeof(req)];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, len) || listen(l, 4096) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        die("many_sockets: listen");
    for (int i = 0; i < pairs; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a))) die("many_sockets: connect");
        int s = accept(l, NULL, NULL);
        if (s < 0) die("many_sockets: accept");
        if (argc == 4 && (write(c, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1 ||
                          read(s, buf, sizeof(buf)) <= 0))
            die("many_sockets: request");
    }
    sleep((unsigned int)secs);
    return 0;
}
