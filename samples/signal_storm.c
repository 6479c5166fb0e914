/* signal_storm.c - connleak's hooks re-entered from signal handlers.
 *
 * Two threads open, dup and close sockets in a tight loop while a 50 us
 * interval timer fires SIGALRM; the handler itself creates and closes a
 * socket and closes an fd that is not open (close is async-signal-safe, so
 * real programs do this). connleak must neither deadlock nor lose a record
 * nor change errno: every socket is closed, so the report must be clean.
 *   signal_storm [MILLISECONDS]   (default 1000) */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static volatile sig_atomic_t handled;
static volatile sig_atomic_t errno_changed;

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s >= 0) close(s);
    close(-1); /* EBADF, inside the handler */
    errno = saved;
    handled++;
}

static void churn_once(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return;
    int d = dup(s);
    errno = 0;
    close(s);
    if (errno != 0) errno_changed = 1; /* a successful close leaves errno alone */
    if (d >= 0) close(d);
}

static void *worker(void *arg)
{
    (void)arg;
    while (!stop) churn_once();
    return NULL;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 1000;
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 50}, {0, 50}};
    setitimer(ITIMER_REAL, &it, NULL);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        churn_once();
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
    stop = 1;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    pthread_join(t, NULL);
    printf("signal_storm: %s, %s\n", handled > 0 ? "signals handled" : "no signal handled",
           errno_changed ? "errno changed" : "errno preserved");
    return handled > 0 && !errno_changed ? 0 : 1;
}
