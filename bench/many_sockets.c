/* many_sockets.c - holds N loopback TCP connections open for S seconds, so
 * that bench/run-sample.sh can read what one sample of connleak's sampler
 * costs with that many sockets (the "us" field of the sample records).
 *
 *   many_sockets PAIRS SECONDS
 *
 * PAIRS connections to its own listener on 127.0.0.1: 2 x PAIRS sockets,
 * all tracked (client and accepted ends). Exits 0 after SECONDS. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: many_sockets PAIRS SECONDS\n");
        return 2;
    }
    int pairs = atoi(argv[1]), secs = atoi(argv[2]);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, len) || listen(l, 4096) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        die("many_sockets: listen");
    for (int i = 0; i < pairs; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a))) die("many_sockets: connect");
        if (accept(l, NULL, NULL) < 0) die("many_sockets: accept");
    }
    sleep((unsigned int)secs);
    return 0;
}
