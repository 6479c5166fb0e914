/* exit_threads: main returns (exit() runs connleak's end of trace) while 8
 * threads go on opening and closing socketpairs as fast as they can. The
 * trace must end with its end record: no record of those threads after it.
 * Usage: exit_threads [MS] (how long the threads run first, default 300). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void *churn(void *arg)
{
    (void)arg;
    for (;;) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
            close(sv[0]);
            close(sv[1]);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int ms = argc > 1 ? atoi(argv[1]) : 300;
    pthread_t t;
    for (int i = 0; i < 8; i++)
        if (pthread_create(&t, NULL, churn, NULL) != 0) return 2;
    usleep((useconds_t)ms * 1000);
    printf("exit_threads: exiting with 8 threads running\n");
    return 0;
}
