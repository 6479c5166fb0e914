/* counter.c - the project's own code. Built with -DNEW_LEAK it gains the
 * leak a later change brings in: what --baseline must still catch. */
#include <sys/socket.h>
#include <unistd.h>

#include "counter.h"

int counter_fetch(int n)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return -1;
#ifndef NEW_LEAK
    close(fd);
#endif
    return n + 1;
}
