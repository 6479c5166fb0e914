/* hooks_io.c - the read/write family: counters, and the HTTP tracker.
 *
 * This is the hot path of every program: a read on a file that is not a
 * tracked socket costs one bounds check and one load. For a tracked socket
 * it adds the bytes and stamps the time of last I/O with relaxed atomics; no
 * lock, no guard, no errno change (only done when the call succeeded); a
 * socket known not to carry HTTP costs one more branch, others feed
 * httptrack.c (a TLS socket's raw bytes are ciphertext: hooks_ssl.c feeds
 * its plaintext instead). recvmsg also adopts fds received over SCM_RIGHTS
 * (role "received"); sendmsg marks the tracked sockets it sends "passed". */
#define _GNU_SOURCE
#include "preload.h"
#include "fdtable.h"
#include "guard.h"
#include "hooks_io.h"
#include "httptrack.h"
#include "real.h"
#include "stacks.h"

#include <sys/socket.h>

/* Bytes of these sockets are not fed to the tracker from here. */
#define HTTP_RAW_SKIP (REC_HTTP_NOT | REC_HTTP_TLS)

__thread int cl_ssl_probe_fd __attribute__((tls_model("initial-exec")));

CL_HOT struct sock_rec *io_count(int fd, ssize_t n, bool in)
{
    struct sock_rec *r = fdtable_get(fd);
    if (!r) return NULL;
    if (unlikely(cl_ssl_probe_fd == SSL_PROBE_WANT)) cl_ssl_probe_fd = fd;
    /* a plain load and store, not a locked add: two threads reading one
     * socket at the same instant may lose a count, never corrupt one */
    _Atomic uint64_t *c = in ? &r->bytes_in : &r->bytes_out;
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + (uint64_t)n,
                          memory_order_relaxed);
    atomic_store_explicit(&r->last_io, clock_coarse_since_start(), memory_order_relaxed);
    if (atomic_load_explicit(&r->read_last, memory_order_relaxed) != in) /* no store in a run */
        atomic_store_explicit(&r->read_last, in, memory_order_relaxed);
    return r;
}

/* Feeds the HTTP tracker under the hook guard (its records take the trace
 * lock); iov NULL: end of file. */
CL_HOT static void io_http(struct sock_rec *r, int fd, const struct iovec *iov, size_t niov,
                           size_t n, bool in)
{
    if (!hook_enter_recording()) {
        http_skipped(r);
        return;
    }
    int saved = errno;
    if (iov)
        http_feed_iov(r, fd, iov, niov, n, in);
    else
        http_eof(r, fd, false);
    errno = saved;
    hook_leave();
}

/* Counts, then feeds the tracker unless the socket is known not to carry
 * HTTP: that costs one load and one branch. */
CL_HOT static void io_data(int fd, const void *buf, ssize_t n, bool in)
{
    struct sock_rec *r = io_count(fd, n, in);
    if (r && !(atomic_load_explicit(&r->http, memory_order_relaxed) & HTTP_RAW_SKIP)) {
        struct iovec one = {.iov_base = (void *)buf, .iov_len = (size_t)n};
        io_http(r, fd, &one, 1, (size_t)n, in);
    }
}

CL_HOT static void io_vec(int fd, const struct iovec *iov, size_t niov, ssize_t n, bool in)
{
    struct sock_rec *r = io_count(fd, n, in);
    if (r && !(atomic_load_explicit(&r->http, memory_order_relaxed) & HTTP_RAW_SKIP))
        io_http(r, fd, iov, niov, (size_t)n, in);
}

/* A read of want > 0 bytes returned 0: the peer closed (on a stream). */
static void io_eof(int fd, size_t want)
{
    struct sock_rec *r = want ? fdtable_get(fd) : NULL;
    if (!r || r->type != SOCK_STREAM) return;
    if (!atomic_load_explicit(&r->eof, memory_order_relaxed))
        atomic_store_explicit(&r->eof, 1, memory_order_relaxed);
    if (!(atomic_load_explicit(&r->http, memory_order_relaxed) & HTTP_RAW_SKIP))
        io_http(r, fd, NULL, 0, 0, true);
}

static size_t iov_total(const struct iovec *iov, size_t niov)
{
    size_t t = 0;
    for (size_t i = 0; i < niov; i++) t += iov[i].iov_len;
    return t;
}

#define DATA(ret, fd, buf, want, in)                                                               \
    do {                                                                                           \
        if ((ret) > 0)                                                                             \
            io_data((fd), (buf), (ret), (in));                                                     \
        else if ((ret) == 0 && (in))                                                               \
            io_eof((fd), (want));                                                                  \
    } while (0)

/* recv family: MSG_PEEK leaves the bytes for a later read; with MSG_TRUNC
 * a stream discards them without copying (buf may be NULL) and a datagram
 * reports its full length: counted, never parsed (the tracker loses sync). */
CL_HOT static void io_recv(int fd, void *buf, size_t n, ssize_t ret, int flags)
{
    if (flags & MSG_PEEK) return;
    if (!(flags & MSG_TRUNC)) {
        DATA(ret, fd, buf, n, true);
        return;
    }
    struct sock_rec *r = ret > 0 ? io_count(fd, ret, true) : NULL;
    if (r) http_skipped(r);
    if (ret == 0) io_eof(fd, n);
}

CL_HOT CL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    ssize_t r = REAL(read)(fd, buf, n);
    DATA(r, fd, buf, n, true);
    return r;
}

CL_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    ssize_t r = REAL(read_chk)(fd, buf, n, buflen);
    DATA(r, fd, buf, n, true);
    return r;
}

CL_HOT CL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t r = REAL(write)(fd, buf, n);
    DATA(r, fd, buf, n, false);
    return r;
}

CL_HOT CL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    ssize_t r = REAL(recv)(fd, buf, n, flags);
    io_recv(fd, buf, n, r, flags);
    return r;
}

CL_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    ssize_t r = REAL(recv_chk)(fd, buf, n, buflen, flags);
    io_recv(fd, buf, n, r, flags);
    return r;
}

CL_HOT CL_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    ssize_t r = REAL(send)(fd, buf, n, flags);
    DATA(r, fd, buf, n, false);
    return r;
}

CL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                           socklen_t *len)
{
    ssize_t r = REAL(recvfrom)(fd, buf, n, flags, addr, len);
    io_recv(fd, buf, n, r, flags);
    return r;
}

CL_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                 struct sockaddr *addr, socklen_t *len)
{
    ssize_t r = REAL(recvfrom_chk)(fd, buf, n, buflen, flags, addr, len);
    io_recv(fd, buf, n, r, flags);
    return r;
}

CL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
                         socklen_t len)
{
    ssize_t r = REAL(sendto)(fd, buf, n, flags, addr, len);
    DATA(r, fd, buf, n, false);
    return r;
}

/* fds that arrived over SCM_RIGHTS become tracked sockets of their own. */
static void rights_adopt(struct msghdr *msg)
{
    if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr) || !hook_enter()) return;
    int saved = errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int *fds = (int *)CMSG_DATA(c);
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int dom = 0, type = 0;
            socklen_t l1 = sizeof(dom), l2 = sizeof(type);
            if (getsockopt(fds[i], SOL_SOCKET, SO_DOMAIN, &dom, &l1) != 0) continue;
            getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &l2);
            track_open(fds[i], dom, type, ROLE_RECEIVED, stack_capture(), NULL, 0);
        }
    }
    hook_leave();
    errno = saved;
}

CL_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    ssize_t r = REAL(recvmsg)(fd, msg, flags);
    if (r >= 0 && !(flags & MSG_PEEK)) {
        if (r > 0 && (flags & MSG_TRUNC))
            io_recv(fd, NULL, 0, r, flags);
        else if (r > 0)
            io_vec(fd, msg->msg_iov, msg->msg_iovlen, r, true);
        else if (msg->msg_iovlen)
            io_eof(fd, iov_total(msg->msg_iov, msg->msg_iovlen));
        if (msg->msg_controllen) rights_adopt(msg);
    }
    return r;
}

/* fds sent over SCM_RIGHTS: a tracked socket among them is now shared
 * with the receiving process (the report leaves such IPC sockets out). Only
 * loads and one store per fd: no guard, no record, errno untouched. */
static void rights_mark_passed(const struct msghdr *msg)
{
    if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr)) return;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const int *fds = (const int *)CMSG_DATA(c);
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            struct sock_rec *sr = fdtable_get(fds[i]);
            if (sr) atomic_store_explicit(&sr->passed, 1, memory_order_relaxed);
        }
    }
}

CL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    ssize_t r = REAL(sendmsg)(fd, msg, flags);
    if (r > 0) io_vec(fd, msg->msg_iov, msg->msg_iovlen, r, false);
    if (r >= 0 && msg->msg_controllen) rights_mark_passed(msg);
    return r;
}

CL_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *t)
{
    int r = REAL(recvmmsg)(fd, v, n, flags, t);
    for (int i = 0; i < r && !(flags & MSG_PEEK); i++) {
        if (v[i].msg_len && (flags & MSG_TRUNC))
            io_recv(fd, NULL, 0, v[i].msg_len, flags);
        else if (v[i].msg_len)
            io_vec(fd, v[i].msg_hdr.msg_iov, v[i].msg_hdr.msg_iovlen, v[i].msg_len, true);
        if (v[i].msg_hdr.msg_controllen) rights_adopt(&v[i].msg_hdr);
    }
    return r;
}

CL_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
    int r = REAL(sendmmsg)(fd, v, n, flags);
    for (int i = 0; i < r; i++) {
        if (v[i].msg_len)
            io_vec(fd, v[i].msg_hdr.msg_iov, v[i].msg_hdr.msg_iovlen, v[i].msg_len, false);
        if (v[i].msg_hdr.msg_controllen) rights_mark_passed(&v[i].msg_hdr);
    }
    return r;
}

CL_HOT CL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    ssize_t r = REAL(readv)(fd, iov, n);
    if (r > 0)
        io_vec(fd, iov, (size_t)n, r, true);
    else if (r == 0 && n > 0)
        io_eof(fd, iov_total(iov, (size_t)n));
    return r;
}

CL_HOT CL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    ssize_t r = REAL(writev)(fd, iov, n);
    if (r > 0) io_vec(fd, iov, (size_t)n, r, false);
    return r;
}
