/* daemon_closeall.c - a daemon-style close-all sweep at start-up.
 *
 * Opens two sockets, then closes every fd from 3 to 1023 the way old daemons
 * do. The sweep closes the two sockets, gets EBADF for the numbers that were
 * never open (not a foreign close to report: a close-all sweep), and for
 * connleak's own trace fd (never the program's). Afterwards it
 * opens one socket it leaks (leak-site) and one it closes.
 * Expected report: exactly one finding, orphaned-socket count 1 at the marked
 * line; no foreign-close finding; the trace is complete. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int leak_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
}

int main(void)
{
    int a = socket(AF_INET, SOCK_STREAM, 0);
    int b = socket(AF_INET, SOCK_DGRAM, 0);
    if (a < 0 || b < 0) {
        perror("daemon_closeall: socket");
        return 1;
    }
    fflush(stdout);
    for (int fd = 3; fd < 1024; fd++) close(fd);

    int leaked = leak_socket();
    int closed = socket(AF_INET, SOCK_STREAM, 0);
    if (leaked < 0 || closed < 0 || close(closed) != 0) {
        perror("daemon_closeall: socket after the sweep");
        return 1;
    }
    printf("daemon_closeall: swept fds 3..1023, 1 socket leaked\n");
    return 0;
}
