/* two_sites.c - two socket() calls on different lines of one function.
 *
 * open_socket() leaks a stream socket on odd calls (stream-site) and a
 * datagram socket on even calls (dgram-site); main calls it 5 times.
 * Expected: two orphaned-socket findings, 3 at stream-site and 2 at
 * dgram-site, both with top frame open_socket: same functions (the same
 * fingerprint), different lines (different call sites). */
#include <stdio.h>
#include <sys/socket.h>

static int open_socket(int i)
{
    int fd;
    if (i % 2 == 0)
        fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: stream-site */
    else
        fd = socket(AF_INET, SOCK_DGRAM, 0); /* connleak-test: dgram-site */
    return fd;
}

int main(void)
{
    for (int i = 0; i < 5; i++) {
        if (open_socket(i) < 0) {
            perror("two_sites: socket");
            return 1;
        }
    }
    return 0;
}
