/* churn_client.c - the connection-churn benchmark client.
 *
 *   churn_client PORT N [REQS [THREADS]]
 *
 * Runs N cycles of socket / connect to 127.0.0.1:PORT / REQS requests
 * "GET / HTTP/1.1" (default 1, on the same keep-alive connection) / read each
 * response by its Content-Length / close, one after another, then prints the
 * elapsed wall time and the CPU time it used (user + system, including
 * what a kernel-side probe adds to its system calls), in milliseconds, on
 * one line of stdout: "WALL CPU". With REQS = 1 every request
 * pays for a connection: that is where a socket interposer costs most. With
 * a large REQS the cost is in read/write. With THREADS > 1 the N cycles are
 * shared out among that many threads, which then record at the same time.
 * Exits 1 on any failure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* Reads one response (headers, then Content-Length bytes of body). Bytes of a
 * next response are never expected: requests are not pipelined. */
static void read_response(int fd)
{
    char buf[65536];
    size_t len = 0, need = 0;
    char *end = NULL;

    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("churn_client: read");
        len += (size_t)n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0 || !cl || cl > end) {
                fprintf(stderr, "churn_client: unexpected response\n");
                exit(1);
            }
            need = (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10);
        }
        if (end && len >= need) return;
        if (len == sizeof(buf) - 1) { /* a large body: keep only the count */
            if (!end) die("churn_client: header too large");
            need -= len;
            len = 0;
            end = buf; /* headers done */
            if (need == 0) return;
        }
    }
}

struct job {
    struct sockaddr_in addr;
    long n, reqs;
};

/* n cycles of socket / connect / reqs requests / close. */
static void *churn(void *arg)
{
    const struct job *j = arg;
    for (long i = 0; i < j->n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("churn_client: socket");
        if (connect(fd, (const struct sockaddr *)&j->addr, sizeof(j->addr)) < 0)
            die("churn_client: connect");
        for (long r = 0; r < j->reqs; r++) {
            if (write(fd, request, sizeof(request) - 1) != (ssize_t)(sizeof(request) - 1))
                die("churn_client: write");
            read_response(fd);
        }
        if (close(fd) < 0) die("churn_client: close");
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct job job = {.addr = {.sin_family = AF_INET}, .reqs = 1};
    struct timespec t0, t1;
    long threads = 1;

    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: churn_client PORT N [REQS [THREADS]]\n");
        return 2;
    }
    job.addr.sin_port = htons((uint16_t)atoi(argv[1]));
    job.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    job.n = atol(argv[2]);
    if (argc >= 4) job.reqs = atol(argv[3]);
    if (argc == 5) threads = atol(argv[4]);
    if (job.n < 0 || job.reqs < 1 || threads < 1 || threads > 64) {
        fprintf(stderr, "churn_client: N must be >= 0, REQS >= 1, THREADS 1..64\n");
        return 2;
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (threads == 1) {
        churn(&job);
    } else { /* the N cycles shared out: the threads record at the same time */
        pthread_t t[64];
        struct job each[64];
        for (long i = 0; i < threads; i++) {
            each[i] = job;
            each[i].n = job.n / threads + (i < job.n % threads);
            if (pthread_create(&t[i], NULL, churn, &each[i]) != 0) die("churn_client: thread");
        }
        for (long i = 0; i < threads; i++) pthread_join(t[i], NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    printf("%.3f %.3f\n",
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, cpu);
    return 0;
}
