/* own_fds.c - a program that sweeps every fd number, dup2()s over a whole
 * range, and fills its RLIMIT_NOFILE to the last fd: what it prints must be
 * the same with and without connleak, whose own fds (its trace, libunwind's
 * pipe) are numbers this program never opened.
 *
 *   own_fds sweep        close(3..65535), syscall(SYS_close, 3..65535),
 *                        close_range(3, ~0), closefrom(3)
 *                        and fcntl(F_GETFD) over every number: how many
 *                        succeeded; then leaks one socket (leak-site).
 *   own_fds dup2         raises its soft RLIMIT_NOFILE to the hard limit,
 *                        then dup2()s a socket onto every number from 3 to
 *                        299 (connleak's fds among them when they sat just
 *                        above the old limit), and closes them all.
 *   own_fds emfile [N]   (soft limit set to N first, if given) opens sockets
 *                        until EMFILE: how many it got.
 *   own_fds budget       its soft limit L, the numbers under L it already
 *                        uses (U: fcntl F_GETFD succeeds), and the sockets
 *                        it then gets until EMFILE (S): a program that sizes
 *                        itself by its limit expects S + U == L.
 *   own_fds rawclose     raises its soft limit to the hard one, closes every
 *                        fd it did not open (in /proc/self/fd) and can reach
 *                        (under that limit) with a raw close system call,
 *                        takes each number back (F_DUPFD) and closes it:
 *                        every close must succeed, the numbers being its
 *                        own by then.
 * Expected report (sweep): one orphaned-socket at the marked line, the trace
 * complete and never reopened. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SWEEP_TOP 65536

static int leak_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
}

static void open_some(int n)
{
    for (int i = 0; i < n; i++)
        if (socket(AF_UNIX, SOCK_STREAM, 0) < 0) perror("own_fds: socket");
}

/* A close system call that no interposer can see (as Go makes them). */
static long close_unseen(int fd)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_close), "D"((long)fd)
                     : "rcx", "r11", "memory");
    return ret;
#else
    return syscall(SYS_close, fd);
#endif
}

/* How many numbers in [3, SWEEP_TOP) close() (or syscall(SYS_close), as
 * libuv closes) closed; the rest must be EBADF. */
static int close_sweep(int *other_errors, bool raw)
{
    int closed = 0;
    for (int fd = 3; fd < SWEEP_TOP; fd++) {
        if ((raw ? (int)syscall(SYS_close, fd) : close(fd)) == 0)
            closed++;
        else if (errno != EBADF)
            ++*other_errors;
    }
    return closed;
}

static int count_open(void)
{
    int n = 0;
    for (int fd = 3; fd < SWEEP_TOP; fd++) n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

static int run_sweep(void)
{
    int other = 0;
    open_some(3);
    int closed = close_sweep(&other, false);
    printf("own_fds: close sweep closed %d, %d errors other than EBADF\n", closed, other);
    open_some(2);
    closed = close_sweep(&other, true);
    printf("own_fds: syscall(SYS_close) sweep closed %d, %d errors\n", closed, other);
    open_some(2);
    printf("own_fds: close_range(3, ~0) returned %d\n", close_range(3, ~0u, 0));
    printf("own_fds: %d open after close_range\n", count_open());
    open_some(2);
    closefrom(3);
    printf("own_fds: %d open after closefrom\n", count_open());
    int dups = 0;
    for (int fd = 3; fd < 1024; fd++) dups += dup(fd) >= 0 || fcntl(fd, F_DUPFD, 0) >= 0;
    printf("own_fds: %d numbers could be dup'ed\n", dups);
    if (leak_socket() < 0) perror("own_fds: socket");
    return 0;
}

static int run_dup2(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max > 4096 ? 4096 : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) perror("own_fds: setrlimit");
    int s = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
    for (int fd = 3; fd < 300; fd++) ok += dup2(s, fd) == fd;
    printf("own_fds: dup2 onto 3..299: %d succeeded\n", ok);
    int closed = 0;
    for (int fd = 3; fd < 300; fd++) closed += close(fd) == 0;
    printf("own_fds: closed %d\n", closed);
    return 0;
}

static int run_emfile(const char *limit)
{
    if (limit) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = strtoul(limit, NULL, 10);
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) perror("own_fds: setrlimit");
    }
    int n = 0;
    while (socket(AF_INET, SOCK_STREAM, 0) >= 0) n++;
    printf("own_fds: %d sockets, then %s\n", n, strerror(errno));
    return 0;
}

static int run_budget(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int used = 0, n = 0;
    for (rlim_t fd = 0; fd < rl.rlim_cur && fd < 65536; fd++) used += fcntl((int)fd, F_GETFD) >= 0;
    while (socket(AF_INET, SOCK_STREAM, 0) >= 0) n++;
    printf("own_fds: limit %lu, %d in use, %d sockets: %s\n", (unsigned long)rl.rlim_cur, used, n,
           (rlim_t)(used + n) == rl.rlim_cur ? "all of it" : "NOT all of it");
    return 0;
}

/* The fds above 2 this program did not open (none without connleak). */
static int foreign_fds(int *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d)) out[n++] = fd;
    }
    if (d) closedir(d);
    return n;
}

static int run_rawclose(void)
{
    int fds[16], failures = 0, null = open("/dev/null", O_RDONLY);
    int n = foreign_fds(fds, 16);
    struct rlimit rl; /* numbers at or above the soft limit cannot be taken back: raise it */
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    for (int i = 0; i < n; i++) {
        if (fds[i] == null || (rlim_t)fds[i] >= rl.rlim_cur) fds[i] = null; /* out of reach */
        if (fds[i] == null) continue;
        close_unseen(fds[i]);                                   /* behind any interposer's back */
        if (fcntl(null, F_DUPFD, fds[i]) != fds[i]) failures++; /* the lowest free from there */
    }
    for (int i = 0; i < n; i++)
        if (fds[i] != null && close(fds[i]) != 0) failures++;
    printf("own_fds: numbers taken back and closed, %d failures\n", failures);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "sweep";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (strcmp(mode, "sweep") == 0) return run_sweep();
    if (strcmp(mode, "dup2") == 0) return run_dup2();
    if (strcmp(mode, "emfile") == 0) return run_emfile(argc > 2 ? argv[2] : NULL);
    if (strcmp(mode, "budget") == 0) return run_budget();
    if (strcmp(mode, "rawclose") == 0) return run_rawclose();
    fprintf(stderr, "usage: own_fds sweep|dup2|emfile [LIMIT]|budget|rawclose\n");
    return 2;
}
