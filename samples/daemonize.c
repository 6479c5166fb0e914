/* daemonize.c - a program that daemonizes the classic way (fork, setsid,
 * fork again, the first two exit) and whose daemon does the real work after
 * its starter has exited.
 *
 *   daemonize [--clean] [N] [DELAY_MS]   (N = 3, DELAY_MS = 300)
 *
 * The starter prints "daemonize: started" and exits 0 at once. The daemon,
 * stdio on /dev/null, waits DELAY_MS, listens on 127.0.0.1, connects N
 * clients to itself (open_client, leak-site), accepts and closes the server
 * sides and exits: leaving the N clients open, or with --clean closing them.
 * Expected report (connleak waits for the daemon): one orphaned-socket
 * finding of count N at the marked line, in the daemon's pid; none with
 * --clean. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int open_client(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
    if (fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void daemon_work(int n, bool clean)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(l, 64) != 0 ||
        getsockname(l, (struct sockaddr *)&addr, &len) != 0)
        _exit(1);
    for (int i = 0; i < n; i++) {
        int c = open_client(&addr), s = accept(l, NULL, NULL);
        if (c < 0 || s < 0) _exit(1);
        close(s);
        if (clean) close(c);
    }
    close(l);
}

int main(int argc, char **argv)
{
    bool clean = argc > 1 && strcmp(argv[1], "--clean") == 0;
    int n = argc > 1 + clean ? atoi(argv[1 + clean]) : 3;
    int delay_ms = argc > 2 + clean ? atoi(argv[2 + clean]) : 300;
    printf("daemonize: started\n");
    fflush(stdout);
    if (fork() != 0) return 0; /* the starter */
    setsid();
    if (fork() != 0) _exit(0); /* the session leader: the daemon is an orphan */
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++) dup2(null, fd);
    if (null > 2) close(null);
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    daemon_work(n, clean);
    return 0;
}
