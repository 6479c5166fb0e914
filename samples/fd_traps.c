/* fd_traps.c - the paths design.md section 4 warns about, one step each:
 *   1. a socket received over SCM_RIGHTS is a socket of its own, and this
 *      one is never closed (received-site: the recvmsg call);
 *   2. a socket closed by a system call instruction of the program's own
 *      (as Go makes them), which connleak cannot see, whose number then
 *      goes to a file: not an orphan at exit;
 *   3. a vfork()ed child that closes a socket and _exits: the child has its
 *      own fd table but shares connleak's memory, which it must not touch
 *      (its _exit would otherwise end the parent's trace); the parent then
 *      closes the socket normally and goes on (steps 1 and 2 run after it);
 *   4. connleak's helper threads block every signal (read back from
 *      /proc/self/task/N/status and printed).
 * Expected report: exactly one orphaned socket, at received-site; no double
 * or foreign close. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int send_fd(int via, int fd)
{
    char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(via, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int via)
{
    char byte, cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    if (recvmsg(via, &msg, 0) != 1) return -1; /* connleak-test: received-site */
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    int fd = -1;
    if (c && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

static int step_scm_rights(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return -1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || send_fd(sv[0], s) != 0) return -1;
    close(s);
    int r = recv_fd(sv[1]); /* kept open on purpose */
    close(sv[0]);
    close(sv[1]);
    return r >= 0 ? 0 : -1;
}

/* close(fd) that no interposer sees: the syscall instruction itself. */
static void close_unseen(int fd)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_close), "D"((long)fd)
                     : "rcx", "r11", "memory");
    (void)ret;
#else
    syscall(SYS_close, fd);
#endif
}

static int step_unseen_close(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return -1;
    close_unseen(s);
    int f = open("/dev/null", O_RDONLY); /* takes the number: a file, not a socket */
    return f == s ? 0 : -1;              /* f stays open until exit */
}

static int step_vfork(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return -1;
    pid_t pid = vfork();
    if (pid == 0) { /* runs on the parent's memory until _exit */
        close(s);
        _exit(0);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
    return close(s) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Threads other than this one (connleak's) must block SIGINT, SIGTERM,
 * SIGALRM, SIGUSR1 and SIGCHLD, so that no signal meant for the program is
 * ever delivered to them. Prints how many there are. */
static void report_helper_threads(void)
{
    const unsigned long long want = 1ull << (SIGINT - 1) | 1ull << (SIGTERM - 1) |
                                    1ull << (SIGALRM - 1) | 1ull << (SIGUSR1 - 1) |
                                    1ull << (SIGCHLD - 1);
    int helpers = 0, blocking = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == getpid()) continue;
        char path[300], line[256];
        snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        unsigned long long blk = 0;
        while (f && fgets(line, sizeof(line), f))
            if (sscanf(line, "SigBlk: %llx", &blk) == 1) break;
        if (f) fclose(f);
        helpers++;
        blocking += (blk & want) == want;
    }
    if (d) closedir(d);
    printf("fd_traps: %d helper thread(s), %d blocking all signals\n", helpers, blocking);
}

int main(void)
{
    int fail = 0;
    if (step_vfork() != 0) fail |= 4;
    if (step_scm_rights() != 0) fail |= 1;
    if (step_unseen_close() != 0) fail |= 2;
    report_helper_threads();
    printf("fd_traps: %s\n", fail ? "a step failed" : "all steps done");
    return fail;
}
