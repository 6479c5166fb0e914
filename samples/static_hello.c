/* static_hello.c - a fully static program: LD_PRELOAD cannot see it.
 *
 * Built with -static, so the loader never maps libconnleak.so. It opens and
 * closes a socket pair to show it does use sockets. Expected report: status
 * "not-observable" (never a reassuring "clean"). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("static_hello: socketpair");
        return 1;
    }
    close(sv[0]);
    close(sv[1]);
    printf("static_hello: hello\n");
    return 0;
}
