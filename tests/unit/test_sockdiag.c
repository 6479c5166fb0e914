/* test_sockdiag.c - common/sockdiag.c and common/procfd.c against real
 * loopback sockets of this very process: the kernel's state of each socket
 * (CLOSE_WAIT after the peer closed, TIME_WAIT after our active close,
 * LISTEN), the join by inode with fstat and with /proc/PID/fd, the state
 * filter applied by the kernel, tcp_info, IPv6, and the error paths. Only
 * 127.0.0.1 and ::1 are used. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "procfd.h"
#include "sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers: a loopback connection, the dump of one socket ---------- */

struct conn {
    int family;
    int lfd, cfd, sfd; /* listener, client, accepted */
    uint16_t lport, cport;
};

static uint16_t port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static socklen_t loopback(int family, struct sockaddr_storage *ss, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(port);
        return sizeof(*a);
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    return sizeof(*a);
}

static void conn_open(struct conn *c, int family)
{
    struct sockaddr_storage ss;
    c->family = family;
    c->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->lfd >= 0);
    socklen_t len = loopback(family, &ss, 0);
    assert_int_equal(bind(c->lfd, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(listen(c->lfd, 8), 0);
    c->lport = port_of(c->lfd);
    c->cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->cfd >= 0);
    len = loopback(family, &ss, c->lport);
    assert_int_equal(connect(c->cfd, (struct sockaddr *)&ss, len), 0);
    c->cport = port_of(c->cfd);
    c->sfd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(c->sfd >= 0);
}

static void fd_close(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void conn_close(struct conn *c)
{
    fd_close(&c->cfd);
    fd_close(&c->sfd);
    fd_close(&c->lfd);
}

static uint64_t inode_of(int fd)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    return st.st_ino;
}

/* What a dump found for one local port (and remote port, unless 0). */
struct want {
    int family;
    uint16_t sport, dport;
    int found;
    struct sockdiag_sock s;
    int total;
};

static int want_cb(const struct sockdiag_sock *s, void *arg)
{
    struct want *w = arg;
    w->total++;
    if (s->family != w->family || s->sport != w->sport) return 0;
    if (w->dport && s->dport != w->dport) return 0;
    w->found++;
    w->s = *s;
    return 0;
}

static struct want dump_for(int family, uint16_t sport, uint16_t dport, uint32_t states,
                            unsigned flags)
{
    static char buf[SOCKDIAG_BUF_SIZE];
    struct want w = {.family = family, .sport = sport, .dport = dport};
    int n = sockdiag_dump(family, states, flags, buf, sizeof(buf), want_cb, &w);
    assert_true(n >= 0);
    assert_int_equal(n, w.total);
    return w;
}

/* Waits until the socket at sport reaches state (the peer's FIN is on its
 * way through loopback: normally already there). */
static struct want state_wait(int family, uint16_t sport, uint16_t dport, int state)
{
    for (int i = 0; i < 200; i++) {
        struct want w = dump_for(family, sport, dport, SOCKDIAG_STATE(state), 0);
        if (w.found) return w;
        poll(NULL, 0, 10);
    }
    fail_msg("port %u never reached %s", sport, sockdiag_state_name(state));
    return (struct want){0};
}

static void addr_is_loopback(int family, const uint8_t *a)
{
    if (family == AF_INET6) {
        assert_memory_equal(a, &in6addr_loopback, 16);
    } else {
        uint32_t lo = htonl(INADDR_LOOPBACK);
        assert_memory_equal(a, &lo, 4);
    }
}

/* ---- sock_diag ------------------------------------------------------- */

/* The server hangs up: our client socket is in CLOSE_WAIT, its inode is
 * the client fd's, and the 5 bytes it never read are in its receive queue,
 * with the FIN; once read to the EOF, nothing is left unread. */
static void close_wait_joined_by_inode(int family)
{
    struct conn c;
    conn_open(&c, family);
    assert_int_equal(write(c.sfd, "hello", 5), 5);
    fd_close(&c.sfd);
    struct want w = state_wait(family, c.cport, c.lport, TCP_CLOSE_WAIT);
    assert_int_equal(w.found, 1);
    assert_int_equal(w.s.state, TCP_CLOSE_WAIT);
    assert_string_equal(sockdiag_state_name(w.s.state), "CLOSE_WAIT");
    assert_int_equal(w.s.inode, inode_of(c.cfd));
    assert_int_equal(w.s.rqueue, 6);
    assert_int_equal(w.s.unread, 5);
    assert_true(w.s.fin_unread);
    assert_int_equal(w.s.uid, getuid());
    addr_is_loopback(family, w.s.src);
    addr_is_loopback(family, w.s.dst);
    char b[8];
    assert_int_equal(read(c.cfd, b, sizeof(b)), 5);
    assert_int_equal(read(c.cfd, b, sizeof(b)), 0);
    w = state_wait(family, c.cport, c.lport, TCP_CLOSE_WAIT);
    assert_int_equal(w.s.unread, 0);
    assert_false(w.s.fin_unread);
    conn_close(&c);
}

static void test_close_wait_ipv4(void **state)
{
    (void)state;
    close_wait_joined_by_inode(AF_INET);
}

static void test_close_wait_ipv6(void **state)
{
    (void)state;
    close_wait_joined_by_inode(AF_INET6);
}

/* Both families by default; SOCKDIAG_INET_ONLY leaves out AF_INET6 (the
 * sampler skips that walk while the program has no IPv6 socket). */
static int any_cb(const struct sockdiag_sock *s, void *arg)
{
    struct want *w = arg;
    if (s->family == w->family && s->sport == w->sport) w->found++;
    return 0;
}

static void test_inet_only(void **state)
{
    (void)state;
    static char buf[SOCKDIAG_BUF_SIZE];
    struct conn c;
    conn_open(&c, AF_INET6);
    fd_close(&c.sfd);
    state_wait(AF_INET6, c.cport, c.lport, TCP_CLOSE_WAIT);
    struct want all = {.family = AF_INET6, .sport = c.cport};
    struct want v4 = {.family = AF_INET6, .sport = c.cport};
    uint32_t cw = SOCKDIAG_STATE(TCP_CLOSE_WAIT);
    assert_true(sockdiag_dump_all(cw, 0, buf, sizeof(buf), any_cb, &all) >= 1);
    assert_true(sockdiag_dump_all(cw, SOCKDIAG_INET_ONLY, buf, sizeof(buf), any_cb, &v4) >= 0);
    assert_int_equal(all.found, 1);
    assert_int_equal(v4.found, 0);
    conn_close(&c);
}

/* The state mask is applied by the kernel: asking for CLOSE_WAIT only
 * never returns the listener or the established pair. */
static void test_state_filter(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c, AF_INET);
    struct want w = dump_for(AF_INET, c.lport, 0, SOCKDIAG_STATE(TCP_LISTEN), 0);
    assert_int_equal(w.found, 1);
    assert_int_equal(w.s.state, TCP_LISTEN);
    assert_int_equal(w.s.inode, inode_of(c.lfd));
    w = dump_for(AF_INET, c.cport, c.lport, SOCKDIAG_STATE(TCP_ESTABLISHED), 0);
    assert_int_equal(w.found, 1);
    assert_int_equal(w.s.inode, inode_of(c.cfd));
    w = dump_for(AF_INET, c.lport, 0, SOCKDIAG_STATE(TCP_CLOSE_WAIT), 0);
    assert_int_equal(w.found, 0);
    w = dump_for(AF_INET, c.cport, 0, SOCKDIAG_STATE(TCP_CLOSE_WAIT) | SOCKDIAG_STATE(TCP_LISTEN),
                 0);
    assert_int_equal(w.found, 0);
    conn_close(&c);
}

/* We close first, then the peer: our side ends in TIME_WAIT, which has no
 * inode; its 4-tuple is the connection's. */
static void test_time_wait_has_no_inode(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c, AF_INET);
    uint16_t cport = c.cport;
    fd_close(&c.cfd);
    char b;
    assert_int_equal(read(c.sfd, &b, 1), 0); /* our FIN arrived */
    fd_close(&c.sfd);
    struct want w = state_wait(AF_INET, cport, c.lport, TCP_TIME_WAIT);
    assert_int_equal(w.s.state, TCP_TIME_WAIT);
    assert_int_equal(w.s.inode, 0);
    assert_int_equal(w.s.dport, c.lport);
    assert_true(w.s.expires_ms > 0 && w.s.expires_ms <= 60000);
    assert_false(w.s.has_info);
    conn_close(&c);
}

static void test_tcp_info(void **state)
{
    (void)state;
    struct conn c;
    conn_open(&c, AF_INET);
    struct want w =
        dump_for(AF_INET, c.cport, c.lport, SOCKDIAG_STATE(TCP_ESTABLISHED), SOCKDIAG_WANT_INFO);
    assert_int_equal(w.found, 1);
    assert_true(w.s.has_info);
    assert_int_equal(w.s.info.tcpi_state, TCP_ESTABLISHED);
    assert_true(w.s.info.tcpi_snd_mss > 0);
    w = dump_for(AF_INET, c.cport, c.lport, SOCKDIAG_STATE(TCP_ESTABLISHED), 0);
    assert_false(w.s.has_info);
    conn_close(&c);
}

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++) n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

static int stop_cb(const struct sockdiag_sock *s, void *arg)
{
    (void)s;
    ++*(int *)arg;
    return 1;
}

/* The callback stops the dump of both families; the netlink socket is
 * closed on every path; bad arguments are -EINVAL, an odd buffer works. */
static void test_stop_errors_and_no_fd_left(void **state)
{
    (void)state;
    static char buf[SOCKDIAG_BUF_SIZE + 8];
    struct conn c;
    conn_open(&c, AF_INET);
    int before = count_fds(), calls = 0;
    assert_int_equal(
        sockdiag_dump_all(SOCKDIAG_STATES_ALL, 0, buf + 1, sizeof(buf) - 1, stop_cb, &calls), 1);
    assert_int_equal(calls, 1);
    assert_int_equal(
        sockdiag_dump(AF_UNIX, SOCKDIAG_STATES_ALL, 0, buf, sizeof(buf), stop_cb, &calls), -EINVAL);
    assert_int_equal(
        sockdiag_dump(AF_INET, SOCKDIAG_STATES_ALL, 0, buf, SOCKDIAG_BUF_MIN - 1, stop_cb, &calls),
        -EINVAL);
    assert_int_equal(sockdiag_dump(AF_INET, SOCKDIAG_STATES_ALL, 0, buf, sizeof(buf), NULL, &calls),
                     -EINVAL);
    assert_int_equal(count_fds(), before);
    conn_close(&c);
}

/* Many sockets: the dump spans several netlink datagrams, even with the
 * smallest buffer, and every one of ours is there exactly once. */
static void test_many_sockets_small_buffer(void **state)
{
    (void)state;
    enum { N = 200 };
    static struct conn c[N];
    static char buf[SOCKDIAG_BUF_MIN];
    for (int i = 0; i < N; i++) conn_open(&c[i], AF_INET);
    struct want w = {.family = AF_INET};
    int n = sockdiag_dump(AF_INET, SOCKDIAG_STATES_ALL, SOCKDIAG_WANT_INFO, buf, sizeof(buf),
                          want_cb, &w);
    assert_true(n >= 3 * N);
    for (int i = 0; i < N; i += 37) {
        w = dump_for(AF_INET, c[i].cport, c[i].lport, SOCKDIAG_STATE(TCP_ESTABLISHED), 0);
        assert_int_equal(w.found, 1);
        assert_int_equal(w.s.inode, inode_of(c[i].cfd));
    }
    for (int i = 0; i < N; i++) conn_close(&c[i]);
}

/* ---- /proc/PID/fd ------------------------------------------------------ */

static bool has_inode(const uint64_t *v, size_t n, uint64_t ino)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == ino) return true;
    return false;
}

static void test_procfd_self(void **state)
{
    (void)state;
    char buf[PROCFD_BUF_MIN + 16];
    uint64_t inodes[64];
    size_t nsock = 0;
    struct conn c;
    conn_open(&c, AF_INET);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    int n = procfd_scan(0, inodes, 64, &nsock, buf + 3, sizeof(buf) - 3);
    assert_int_equal(n, count_fds());
    assert_int_equal(nsock, 3);
    assert_true(has_inode(inodes, nsock, inode_of(c.lfd)));
    assert_true(has_inode(inodes, nsock, inode_of(c.cfd)));
    assert_true(has_inode(inodes, nsock, inode_of(c.sfd)));
    assert_false(has_inode(inodes, nsock, inode_of(pipefd[0])));
    /* room for one: the count is still all of them */
    assert_int_equal(procfd_scan(0, inodes, 1, &nsock, buf, sizeof(buf)), n);
    assert_int_equal(nsock, 3);
    close(pipefd[0]);
    close(pipefd[1]);
    conn_close(&c);
    assert_int_equal(procfd_scan(0, NULL, 0, &nsock, buf, sizeof(buf)), count_fds());
    assert_int_equal(nsock, 0);
}

/* Another process: its links are read; a dead pid is -ENOENT. */
static void test_procfd_other_process(void **state)
{
    (void)state;
    int sv[2], ready[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int fd = 3; fd < 1024; fd++)
            if (fd != sv[1] && fd != ready[1]) close(fd);
        close(ready[1]); /* the parent may look now */
        pause();
        _exit(0);
    }
    close(ready[1]);
    char b;
    assert_int_equal(read(ready[0], &b, 1), 0);
    char buf[4096];
    uint64_t inodes[8];
    size_t nsock = 0;
    int n = procfd_scan(pid, inodes, 8, &nsock, buf, sizeof(buf));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_int_equal(n, 4); /* 0, 1, 2 and its end of the socketpair */
    assert_int_equal(nsock, 1);
    assert_int_equal(inodes[0], inode_of(sv[1]));
    assert_int_equal(procfd_scan(0x3ffffff0, NULL, 0, &nsock, buf, sizeof(buf)), -ENOENT);
    assert_int_equal(procfd_scan(-1, NULL, 0, &nsock, buf, sizeof(buf)), -EINVAL);
    assert_int_equal(procfd_scan(0, NULL, 0, &nsock, buf, PROCFD_BUF_MIN - 1), -EINVAL);
    close(sv[0]);
    close(sv[1]);
    close(ready[0]);
}

static void test_procfd_link_parse(void **state)
{
    (void)state;
    static const struct {
        const char *link;
        uint64_t inode;
    } cases[] = {
        {"socket:[12345]", 12345},
        {"socket:[0]", 0},
        {"socket:[]", 0},
        {"socket:[12a]", 0},
        {"socket:[123", 0},
        {"pipe:[12345]", 0},
        {"/tmp/socket:[1]", 0},
        {"socket:[4294967296]", 4294967296ULL},
        {"socket:[99999999999999999999]", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(procfd_socket_inode(cases[i].link, strlen(cases[i].link)), cases[i].inode);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_wait_ipv4),
        cmocka_unit_test(test_close_wait_ipv6),
        cmocka_unit_test(test_state_filter),
        cmocka_unit_test(test_inet_only),
        cmocka_unit_test(test_time_wait_has_no_inode),
        cmocka_unit_test(test_tcp_info),
        cmocka_unit_test(test_stop_errors_and_no_fd_left),
        cmocka_unit_test(test_many_sockets_small_buffer),
        cmocka_unit_test(test_procfd_self),
        cmocka_unit_test(test_procfd_other_process),
        cmocka_unit_test(test_procfd_link_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
