/* exec_tail.c - opens sockets and, at once, replaces itself with exec (or
 * calls abort()): what it did in its last milliseconds must be in the
 * trace, which connleak flushes before the image goes away.
 *
 *   exec_tail leak|clean|abort|quick [STEPS]
 *
 * leak: two sockets left open, then exec; clean: the same two closed first;
 * abort: two left open, then abort(); quick: two left open, then
 * quick_exit(4), which skips destructors. With STEPS > 1 it execs itself with
 * STEPS - 1 (an exec chain; each image does the same), the last one execs
 * /bin/true. Expected report (leak): 2 orphaned sockets per image at
 * leak-site; clean: none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int leak(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "leak";
    int steps = argc > 2 ? atoi(argv[2]) : 1;
    int a = leak(), b = leak();
    printf("exec_tail: %s, step %d, fds %d and %d\n", mode, steps, a, b);
    fflush(stdout);
    if (strcmp(mode, "clean") == 0) {
        close(a);
        close(b);
    } else if (strcmp(mode, "abort") == 0) {
        abort();
    } else if (strcmp(mode, "quick") == 0) {
        quick_exit(4);
    }
    if (steps > 1) {
        char next[16];
        snprintf(next, sizeof(next), "%d", steps - 1);
        execl("/proc/self/exe", argv[0], mode, next, (char *)NULL);
    } else {
        execl("/bin/true", "true", (char *)NULL);
    }
    perror("exec_tail: exec");
    return 1;
}
