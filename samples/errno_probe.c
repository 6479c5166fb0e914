/* errno_probe.c - what the program sees must not change under connleak.
 *
 * Calls the functions connleak hooks, on purpose both in ways that fail and
 * in ways that succeed, and prints each result as "ok" or the errno name
 * (never an fd number: connleak may hold an fd of its own). Success cases set
 * errno to a sentinel first and print whether it survived, since a hook that
 * calls fstat() or getsockname() behind the program's back must restore it.
 * The end-to-end tests run it with and without connleak and compare. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SENTINEL 4242

static void show(const char *what, long rc, int err)
{
    if (rc >= 0)
        printf("%-34s ok%s\n", what, err == SENTINEL ? "" : " (errno clobbered)");
    else
        printf("%-34s -1 %s\n", what, strerrorname_np(err) ? strerrorname_np(err) : "?");
}

#define PROBE(what, call)                                                                          \
    do {                                                                                           \
        errno = SENTINEL;                                                                          \
        long rc_ = (long)(call);                                                                   \
        show(what, rc_, errno);                                                                    \
    } while (0)

/* A loopback port that nothing listens on (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

int main(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    char c = 'x';
    int sv[2], fd, s;

    signal(SIGPIPE, SIG_IGN);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)closed_port());

    PROBE("socket(bad family)", socket(12345, SOCK_STREAM, 0));
    PROBE("socket(bad type)", socket(AF_INET, 12345, 0));
    PROBE("socket(inet stream)", fd = socket(AF_INET, SOCK_STREAM, 0));
    PROBE("connect(refused)", connect(fd, (struct sockaddr *)&a, sizeof(a)));
    PROBE("close(refused socket)", close(fd));
    PROBE("socket(inet stream)", fd = socket(AF_INET, SOCK_STREAM, 0));
    PROBE("accept(not listening)", accept(fd, NULL, NULL));
    PROBE("read(not connected)", read(fd, &c, 1));
    PROBE("send(not connected)", send(fd, &c, 1, MSG_NOSIGNAL));
    PROBE("shutdown(not connected)", shutdown(fd, SHUT_RDWR));
    PROBE("dup", s = dup(fd));
    PROBE("close(dup)", close(s));
    PROBE("fcntl(F_DUPFD_CLOEXEC)", s = fcntl(fd, F_DUPFD_CLOEXEC, 0));
    PROBE("close(F_DUPFD)", close(s));
    PROBE("fcntl(F_GETFL)", fcntl(fd, F_GETFL));
    PROBE("close", close(fd));
    PROBE("close(again)", close(fd));
    PROBE("close(-1)", close(-1));
    PROBE("close(never opened)", close(900));
    PROBE("dup(bad)", dup(900));
    PROBE("dup2(bad, 5)", dup2(900, 5));
    PROBE("fcntl(bad, F_DUPFD)", fcntl(900, F_DUPFD, 0));
    PROBE("close_range(10, 5)", close_range(10, 5, 0));
    PROBE("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    PROBE("write(pair)", write(sv[0], "hi", 2));
    PROBE("read(pair)", read(sv[1], &c, 1));
    PROBE("close(pair end)", close(sv[0]));
    PROBE("write(peer closed)", write(sv[1], "hi", 2));
    PROBE("fdopen+fclose", fclose(fdopen(sv[1], "r+")) == 0 ? 0 : -1);
    PROBE("close(after fclose)", close(sv[1]));
    return 0;
}
