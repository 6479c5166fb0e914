/* quick_exit.c - leaks two sockets, then leaves with _exit(3), which skips
 * atexit handlers and destructors. connleak's exit record must be written
 * all the same: expected report: 2 orphaned sockets at leak-site, a complete
 * trace, exit code 3. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int leak(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
}

int main(void)
{
    int a = leak(), b = leak();
    printf("quick_exit: leaked fds %d and %d\n", a, b);
    fflush(stdout);
    _exit(3);
}
