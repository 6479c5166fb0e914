/* killed.c - a program killed with SIGKILL: no destructor, no final flush.
 *
 * Leaks three sockets (leak-site), sleeps 600 ms (longer than connleak's
 * periodic flush, 200 ms by default) and kills itself with SIGKILL.
 * Expected: connleak run exits 137 (128 + 9); the report still shows 3
 * orphaned sockets at the marked line, from a trace without an end record
 * (process "complete": false). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int leak_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
}

int main(void)
{
    struct timespec nap = {.tv_sec = 0, .tv_nsec = 600 * 1000 * 1000};

    for (int i = 0; i < 3; i++) {
        if (leak_socket() < 0) {
            perror("killed: socket");
            return 1;
        }
    }
    while (nanosleep(&nap, &nap) != 0) continue;
    kill(getpid(), SIGKILL);
    return 1; /* not reached */
}
