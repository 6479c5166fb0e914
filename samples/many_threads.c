/* many_threads: more threads alive at once than connleak has record rings
 * (preload/tring.c RING_MAX, 1024): the ones past it share the spare ring.
 * Each of T threads waits until all T are alive, then makes C socketpairs
 * and closes both ends, passing every other pair to the next thread to close
 * (opened on one thread, closed on another); it leaks nothing. Prints
 * "many_threads: T threads x C cycles, F failures". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int nthreads, cycles;
static pthread_barrier_t start;
static _Atomic int failures;
static _Atomic int handoff = -1; /* a pair end one thread left for another to close */

static void close_handed(void)
{
    int fd = atomic_exchange(&handoff, -1);
    if (fd >= 0 && close(fd) != 0) atomic_fetch_add(&failures, 1);
}

static void *churn(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < cycles; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
            atomic_fetch_add(&failures, 1);
            continue;
        }
        close(sv[0]);
        if (i & 1) {
            int old = atomic_exchange(&handoff, sv[1]); /* another thread closes it */
            if (old >= 0) close(old);
        } else {
            close(sv[1]);
        }
    }
    pthread_barrier_wait(&start);
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atoi(argv[1]) : 1100;
    cycles = argc > 2 ? atoi(argv[2]) : 200;
    pthread_t *t = calloc((size_t)nthreads, sizeof(*t));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_barrier_init(&start, NULL, (unsigned)nthreads);
    int made = 0;
    for (; made < nthreads; made++)
        if (pthread_create(&t[made], &attr, churn, NULL) != 0) break;
    if (made < nthreads) {
        fprintf(stderr, "many_threads: only %d threads\n", made);
        return 2;
    }
    for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
    close_handed();
    printf("many_threads: %d threads x %d cycles, %d failures\n", nthreads, cycles,
           atomic_load(&failures));
    free(t);
    return 0;
}
