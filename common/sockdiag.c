/* sockdiag.c - TCP sockets from netlink sock_diag (see sockdiag.h).
 *
 * Request: one nlmsghdr (SOCK_DIAG_BY_FAMILY, NLM_F_DUMP) + inet_diag_req_v2
 * per family. Reply: batches of inet_diag_msg, each followed by rtattr
 * attributes (INET_DIAG_INFO when asked), until NLMSG_DONE. Everything is
 * parsed in the caller's buffer; nothing here allocates or touches stdio. */
#define _GNU_SOURCE
#include "sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct dump_ctx {
    int fd;
    uint32_t seq;
    uint32_t portid; /* our netlink address, from getsockname */
    unsigned flags;
    sockdiag_cb cb;
    void *arg;
    int count;
    bool stopped; /* the callback asked to stop */
};

int (*sockdiag_socket_fn)(int domain, int type, int protocol);

static int sock_open(struct dump_ctx *c)
{
    int (*make)(int, int, int) = sockdiag_socket_fn ? sockdiag_socket_fn : socket;
    c->fd = make(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (c->fd < 0) return -errno;
    struct sockaddr_nl me;
    socklen_t len = sizeof(me);
    memset(&me, 0, sizeof(me));
    me.nl_family = AF_NETLINK;
    if (bind(c->fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
        getsockname(c->fd, (struct sockaddr *)&me, &len) != 0)
        return -errno;
    c->portid = me.nl_pid;
    return 0;
}

static int request_send(const struct dump_ctx *c, int family, uint32_t states)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof(msg));
    msg.nlh.nlmsg_len = sizeof(msg);
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nlh.nlmsg_seq = c->seq;
    msg.req.sdiag_family = (uint8_t)family;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = states;
    if (c->flags & SOCKDIAG_WANT_INFO) msg.req.idiag_ext = 1u << (INET_DIAG_INFO - 1);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t n;
    do n = sendto(c->fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel));
    while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    return n == (ssize_t)sizeof(msg) ? 0 : -EIO;
}

/* The attributes after the inet_diag_msg: only INET_DIAG_INFO is used. */
static void attrs_parse(const struct nlmsghdr *h, const struct inet_diag_msg *m,
                        struct sockdiag_sock *s)
{
    int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
    const struct rtattr *a = (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
    for (; len > 0 && RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type != INET_DIAG_INFO) continue;
        size_t n = RTA_PAYLOAD(a);
        memcpy(&s->info, RTA_DATA(a), n < sizeof(s->info) ? n : sizeof(s->info));
        s->has_info = true;
    }
}

/* rqueue is rcv_nxt - copied_seq: once the peer's FIN is in (CLOSE_WAIT,
 * LAST_ACK, CLOSING), rcv_nxt counts it, until a read returns the EOF. */
static void rqueue_split(struct sockdiag_sock *s)
{
    bool fin_in = s->state == TCP_CLOSE_WAIT || s->state == TCP_LAST_ACK || s->state == TCP_CLOSING;
    if (s->state == TCP_LISTEN) return;
    s->fin_unread = fin_in && s->rqueue > 0;
    s->unread = s->fin_unread ? s->rqueue - 1 : s->rqueue;
}

/* One inet_diag_msg into the callback's form. -EBADMSG when it is short. */
static int msg_deliver(struct dump_ctx *c, const struct nlmsghdr *h)
{
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return -EBADMSG;
    const struct inet_diag_msg *m = NLMSG_DATA(h);
    struct sockdiag_sock s;
    memset(&s, 0, sizeof(s));
    s.family = m->idiag_family;
    s.state = m->idiag_state;
    memcpy(s.src, m->id.idiag_src, sizeof(s.src));
    memcpy(s.dst, m->id.idiag_dst, sizeof(s.dst));
    s.sport = ntohs(m->id.idiag_sport);
    s.dport = ntohs(m->id.idiag_dport);
    s.inode = m->idiag_inode;
    s.rqueue = m->idiag_rqueue;
    rqueue_split(&s);
    s.wqueue = m->idiag_wqueue;
    s.uid = m->idiag_uid;
    s.expires_ms = m->idiag_expires;
    if (c->flags & SOCKDIAG_WANT_INFO) attrs_parse(h, m, &s);
    c->count++;
    c->stopped = c->cb(&s, c->arg) != 0;
    return c->stopped ? 1 : 0;
}

/* One datagram of replies. Returns 0 to read on, 1 at the end (NLMSG_DONE
 * or the callback stopped), or -errno. */
static int batch_parse(struct dump_ctx *c, const void *buf, size_t len)
{
    const struct nlmsghdr *h = buf;
    for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_seq != c->seq || h->nlmsg_pid != c->portid) continue; /* not ours */
        if (h->nlmsg_type == NLMSG_DONE) return 1;
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) return -EBADMSG;
            return e->error < 0 ? e->error : -EPROTO;
        }
        if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
        int rc = msg_deliver(c, h);
        if (rc != 0) return rc;
    }
    return 0;
}

static int replies_read(struct dump_ctx *c, void *buf, size_t buflen)
{
    for (;;) {
        struct sockaddr_nl from;
        struct iovec iov = {.iov_base = buf, .iov_len = buflen};
        struct msghdr mh = {
            .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n = recvmsg(c->fd, &mh, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) return -EPROTO; /* the dump ended without NLMSG_DONE */
        if (mh.msg_flags & MSG_TRUNC) return -EMSGSIZE;
        if (from.nl_pid != 0) continue; /* only the kernel talks to us */
        int rc = batch_parse(c, buf, (size_t)n);
        if (rc < 0) return rc;
        if (rc > 0) return 0;
    }
}

static int dump_family(int family, uint32_t states, unsigned flags, void *buf, size_t buflen,
                       sockdiag_cb cb, void *arg, bool *stopped)
{
    *stopped = false;
    if ((family != AF_INET && family != AF_INET6) || !buf || !cb) return -EINVAL;
    /* netlink messages are 4-byte aligned: align the lent buffer */
    size_t skip = (size_t)(-(uintptr_t)buf & (NLMSG_ALIGNTO - 1));
    if (buflen < SOCKDIAG_BUF_MIN + skip) return -EINVAL;
    struct dump_ctx c = {.fd = -1, .flags = flags, .cb = cb, .arg = arg, .seq = 1};
    int rc = sock_open(&c);
    if (rc == 0) rc = request_send(&c, family, states & SOCKDIAG_STATES_ALL);
    if (rc == 0) rc = replies_read(&c, (char *)buf + skip, buflen - skip);
    if (c.fd >= 0) {
        int saved = errno;
        close(c.fd);
        errno = saved;
    }
    *stopped = c.stopped;
    return rc < 0 ? rc : c.count;
}

int sockdiag_dump(int family, uint32_t states, unsigned flags, void *buf, size_t buflen,
                  sockdiag_cb cb, void *arg)
{
    bool stopped;
    return dump_family(family, states, flags, buf, buflen, cb, arg, &stopped);
}

int sockdiag_dump_all(uint32_t states, unsigned flags, void *buf, size_t buflen, sockdiag_cb cb,
                      void *arg)
{
    bool stopped = false;
    int n4 = dump_family(AF_INET, states, flags, buf, buflen, cb, arg, &stopped);
    if (n4 < 0 || stopped || (flags & SOCKDIAG_INET_ONLY)) return n4;
    int n6 = dump_family(AF_INET6, states, flags, buf, buflen, cb, arg, &stopped);
    /* no IPv6 in this kernel (or namespace): the IPv4 sockets are all there is */
    if (n6 == -ENOENT || n6 == -EAFNOSUPPORT || n6 == -EPROTONOSUPPORT) return n4;
    return n6 < 0 ? n6 : n4 + n6;
}

const char *sockdiag_state_name(int state)
{
    static const char *const names[] = {
        "UNKNOWN",   "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING",
    };
    if (state < 1 || state >= (int)(sizeof(names) / sizeof(names[0]))) return names[0];
    return names[state];
}
