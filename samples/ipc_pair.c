/* ipc_pair.c - a master and its workers talking over socketpairs, as
 * nginx's do: the master creates one channel (a socketpair) per worker,
 * forks the worker, and keeps both ends open until it exits. Through each
 * channel it then sends the worker one end of a fresh socketpair over
 * SCM_RIGHTS (keeping that end open too) and says hello through the other
 * end, which it closes; the worker receives the fd, reads the hello, answers
 * over its channel and exits without closing what it received.
 *
 *   ipc_pair           2 workers: every socket still open at the exits is
 *                      IPC (the channels, shared with a traced child; the
 *                      ends sent and received over SCM_RIGHTS).
 *   ipc_pair --leak    the same, and the master also makes a socketpair for
 *                      itself alone, which it never closes (leak-site).
 * Expected report: clean (N IPC sockets not counted as leaks);
 * --include-ipc: 8 orphaned sockets; --leak: one orphaned-socket group of
 * 2 at the marked line. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 2

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void send_fd(int ch, int fd)
{
    char byte = 'F', ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&byte, 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    memset(ctl, 0, sizeof(ctl));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(ch, &m, 0) != 1) die("ipc_pair: sendmsg");
}

static int recv_fd(int ch)
{
    char byte, ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {&byte, 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    int fd = -1;
    if (recvmsg(ch, &m, 0) != 1) die("ipc_pair: recvmsg");
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c && c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

static int worker(int ch[2])
{
    char buf[8] = {0};
    close(ch[0]); /* the master's end */
    int fd = recv_fd(ch[1]);
    if (fd < 0 || read(fd, buf, 5) != 5 || strcmp(buf, "hello") != 0) return 1;
    return write(ch[1], "ok", 2) == 2 ? 0 : 1; /* exits with fd and ch[1] open */
}

static void leak_pair(void)
{
    int lp[2];
    char b;
    int rc = socketpair(AF_UNIX, SOCK_STREAM, 0, lp); /* connleak-test: leak-site */
    if (rc != 0) die("socketpair");
    if (write(lp[0], "x", 1) != 1 || read(lp[1], &b, 1) != 1) die("ipc_pair: self pair");
}

int main(int argc, char **argv)
{
    int ch[WORKERS][2], fails = 0;
    pid_t pids[WORKERS];
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int w = 0; w < WORKERS; w++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, ch[w]) != 0) die("socketpair");
        if ((pids[w] = fork()) < 0) die("fork");
        if (pids[w] == 0) exit(worker(ch[w]));
    }
    for (int w = 0; w < WORKERS; w++) {
        int sp[2];
        char ok[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0) die("socketpair");
        send_fd(ch[w][0], sp[1]); /* sp[1] stays open here too */
        if (write(sp[0], "hello", 5) != 5) die("ipc_pair: write");
        if (read(ch[w][0], ok, 2) != 2 || memcmp(ok, "ok", 2) != 0) fails++;
        close(sp[0]);
    }
    for (int w = 0; w < WORKERS; w++) {
        int st;
        if (waitpid(pids[w], &st, 0) != pids[w] || !WIFEXITED(st) || WEXITSTATUS(st)) fails++;
    }
    if (argc > 1 && strcmp(argv[1], "--leak") == 0) leak_pair();
    printf("ipc_pair: %d workers answered, %d failures\n", WORKERS - fails, fails);
    return fails != 0; /* the channels are still open: the master exits */
}
