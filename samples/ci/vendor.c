/* vendor.c - stands for third-party code the project cannot fix today: its
 * health check opens a socket and never closes it. */
#include <sys/socket.h>

#include "counter.h"

int vendor_healthcheck(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* the vendor's leak: suppressed */
    return fd >= 0 ? 0 : -1;
}
