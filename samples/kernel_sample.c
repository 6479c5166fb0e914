/* kernel_sample.c - helpers shared by the kernel-view samples: flags,
 * loopback sockets that are not the point of the sample, pacing, peers. */
#define _GNU_SOURCE
#include "kernel_sample.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *ksample_prog = "sample";

_Noreturn void ksample_usage(const char *usage, const char *msg)
{
    fprintf(stderr, "%s: %s\nusage: %s\n", ksample_prog, msg, usage);
    exit(2);
}

_Noreturn void ksample_bad_arg(const char *usage, const char *arg)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "unknown argument '%.60s'", arg);
    ksample_usage(usage, msg);
}

long ksample_flag_long(int argc, char **argv, int *i, long min, long max, const char *usage)
{
    char msg[256];
    const char *flag = argv[*i];
    if (*i + 1 >= argc) {
        snprintf(msg, sizeof(msg), "%s wants a value", flag);
        ksample_usage(usage, msg);
    }
    const char *val = argv[++*i];
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < min || v > max) {
        snprintf(msg, sizeof(msg), "%s wants an integer from %ld to %ld, not '%.40s'", flag, min,
                 max, val);
        ksample_usage(usage, msg);
    }
    return v;
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int ksample_listen(int port, int *bound)
{
    struct sockaddr_in a = loopback(port);
    socklen_t len = sizeof(a);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

int ksample_connect(int fd, int port)
{
    struct sockaddr_in a = loopback(port);
    int rc;
    do rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    while (rc < 0 && errno == EINTR);
    return rc;
}

bool ksample_send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

ssize_t ksample_read_eof(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

double ksample_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ksample_sleep_until(double t)
{
    struct timespec ts = {.tv_sec = (time_t)t};
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) continue;
}

pid_t ksample_spawn_self(char *const argv[])
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* the parent may already be gone: then there is nobody to serve */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) _exit(1);
    unsetenv("LD_PRELOAD"); /* the peer is another program: connleak follows exec */
    execv("/proc/self/exe", argv);
    fprintf(stderr, "%s: cannot run /proc/self/exe: %s\n", ksample_prog, strerror(errno));
    _exit(127);
}
