/* http1_cost.c - what the HTTP/1 tracker (common/http1*.c) itself costs per
 * keep-alive exchange, in ns: the request samples/http_server's clients
 * send and its 64-byte response, fed to http1_on_write / http1_on_read.
 *
 *   http1_cost [EXCHANGES]
 *
 * Loops of EXCHANGES (default 300,000), 5 rounds, medians printed:
 *   - warm:     the tracker alone, back to back (caches and TLB hot);
 *   - syscalls: two getppid() system calls per exchange, nothing else;
 *   - after:    each tracker call right after one of those system calls;
 *               "after - syscalls" is the tracker's cost after a kernel
 *               entry that leaves the caches alone;
 *   - evict / cold: the same with, instead of a system call, 1 MiB of
 *               other memory read first (as a loopback read or write's
 *               path through the kernel pushes the program's lines out of
 *               L1 and L2); "cold - evict" is the tracker's cost when its
 *               code and data must come back from L3 each time.
 * Compare with bench/run-selfloop.sh, connleak's whole cost per exchange.
 * Exits 0, 1 if the tracker lost an exchange, 2 on a bad argument. */
#define _GNU_SOURCE
#include "http1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS      5
#define EVICT_BYTES (1u << 20)

static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
static char response[256];
static size_t response_len;
static struct http1 h;
static volatile unsigned char evict_buf[EVICT_BYTES];

enum between { B_NONE, B_SYSCALL, B_EVICT };

/* What runs before each tracker call: nothing, a system call, or a read of
 * one byte per cache line of evict_buf. */
static void between_run(enum between b)
{
    unsigned int sum = 0;
    if (b == B_SYSCALL) syscall(SYS_getppid);
    if (b == B_EVICT)
        for (unsigned int i = 0; i < EVICT_BYTES; i += 64) sum += evict_buf[i];
    (void)sum;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One loop of n exchanges; b: what runs before each tracker call, feed:
 * the tracker calls. Returns ns per exchange. */
static double loop(long n, enum between b, bool feed)
{
    struct http1_events ev;
    size_t used = 0;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        between_run(b);
        if (feed) used += http1_on_write(&h, request, sizeof(request) - 1, &ev);
        between_run(b);
        if (feed) used += http1_on_read(&h, response, response_len, &ev);
    }
    double t = (now_ns() - t0) / (double)n;
    if (feed && used != (size_t)n * (sizeof(request) - 1 + response_len)) {
        fprintf(stderr, "http1_cost: the tracker lost the exchanges\n");
        exit(1);
    }
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof(double), cmp_double);
    return v[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 300000;
    double warm[ROUNDS], sys[ROUNDS], after[ROUNDS], evict[ROUNDS], cold[ROUNDS];
    response_len = (size_t)snprintf(response, sizeof(response),
                                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: 64\r\nConnection: keep-alive\r\n\r\n%064d",
                                    0);
    if (n < 10) {
        fprintf(stderr, "usage: http1_cost [EXCHANGES >= 10]\n");
        return 2;
    }
    for (int r = 0; r < ROUNDS; r++) {
        warm[r] = loop(n, B_NONE, true);
        sys[r] = loop(n, B_SYSCALL, false);
        after[r] = loop(n, B_SYSCALL, true);
        evict[r] = loop(n / 10, B_EVICT, false);
        cold[r] = loop(n / 10, B_EVICT, true);
    }
    printf("ns per exchange (medians of %d rounds):\n", ROUNDS);
    printf("  warm %.1f\n", median(warm));
    printf("  after a system call %.1f (%.1f - %.1f)\n", median(after) - median(sys), median(after),
           median(sys));
    printf("  cold, from L3 %.1f (%.1f - %.1f)\n", median(cold) - median(evict), median(cold),
           median(evict));
    return 0;
}
