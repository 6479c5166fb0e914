/* http_selfloop.c - keep-alive HTTP exchanges with itself, to measure what
 * connleak adds per request in nanoseconds, without a server process.
 *
 *   http_selfloop [REQUESTS]
 *
 * One thread, one loopback TCP connection: it writes a GET on the connected
 * end (a client socket, followed by the HTTP tracker), reads it on the
 * accepted end, writes a 64-byte response there (the headers of
 * samples/http_server's) and reads it on the connected end. REQUESTS
 * (default 200,000) exchanges; prints the process's CPU time per exchange
 * in ns (CLOCK_PROCESS_CPUTIME_ID, all threads, so connleak's flusher
 * counts), set-up and exit excluded. There is no second process, so where
 * the scheduler puts a server cannot move the figure (bench/run-selfloop.sh
 * runs it). Loopback only. Exits 0, 1 on a socket error, 2 on a bad
 * argument. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/* The connected end in *c, the accepted end in *s. */
static int pair_open(int *c, int *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        return -1;
    *c = socket(AF_INET, SOCK_STREAM, 0);
    if (*c < 0 || connect(*c, (struct sockaddr *)&a, sizeof(a))) return -1;
    *s = accept(l, NULL, NULL);
    close(l);
    return *s < 0 ? -1 : 0;
}

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One exchange; false on a short or failed call (loopback: never). */
static bool exchange(int c, int s, const char *resp, size_t rlen)
{
    char buf[4096];
    return write(c, request, sizeof(request) - 1) == (ssize_t)(sizeof(request) - 1) &&
           read(s, buf, sizeof(buf)) == (ssize_t)(sizeof(request) - 1) &&
           write(s, resp, rlen) == (ssize_t)rlen && read(c, buf, sizeof(buf)) == (ssize_t)rlen;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    char resp[256];
    int c, s;
    int rlen = snprintf(resp, sizeof(resp),
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 64\r\n"
                        "Connection: keep-alive\r\n\r\n%064d",
                        0);
    if (n < 1) {
        fprintf(stderr, "usage: http_selfloop [REQUESTS >= 1]\n");
        return 2;
    }
    if (pair_open(&c, &s) < 0) {
        perror("http_selfloop: loopback connection");
        return 1;
    }
    double t0 = cpu_ns();
    for (long i = 0; i < n; i++) {
        if (!exchange(c, s, resp, (size_t)rlen)) {
            perror("http_selfloop: exchange");
            return 1;
        }
    }
    printf("%.1f\n", (cpu_ns() - t0) / (double)n);
    close(c);
    close(s);
    return 0;
}
