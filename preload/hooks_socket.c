/* hooks_socket.c - where sockets are born and what they become:
 * socket, socketpair, accept, accept4 (born); connect, listen, shutdown
 * (become). Each hook calls the real function first, then records, and
 * returns with the real call's errno. */
#define _GNU_SOURCE
#include "preload.h"
#include "events.h"
#include "fdtable.h"
#include "guard.h"
#include "real.h"
#include "stacks.h"

#include "jsonline.h"

#include <sys/syscall.h>
#include <unistd.h>

/* Record-keeping around a real call: the guard, errno, and vfork children. */
#define RECORD_BEGIN                                                                               \
    int saved_errno = errno;                                                                       \
    if (!hook_enter_recording()) return ret;
#define RECORD_END                                                                                 \
    hook_leave();                                                                                  \
    errno = saved_errno;                                                                           \
    return ret;

static void addr_of(int fd, struct cl_addr *a, bool peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                 : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (r == 0) addr_from_sockaddr(a, (struct sockaddr *)&ss, len);
}

CL_EXPORT int socket(int domain, int type, int protocol)
{
    int ret = REAL(socket)(domain, type, protocol);
    if (ret < 0) return ret;
    RECORD_BEGIN
    track_open(ret, domain, type, ROLE_SOCKET, stack_capture(), NULL, 0);
    RECORD_END
}

CL_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
    int ret = REAL(socketpair)(domain, type, protocol, sv);
    if (ret < 0) return ret;
    RECORD_BEGIN
    uint32_t stk = stack_capture();
    track_open(sv[0], domain, type, ROLE_PAIR, stk, NULL, 0);
    track_open(sv[1], domain, type, ROLE_PAIR, stk, NULL, 0);
    RECORD_END
}

/* The peer is asked of the kernel rather than read from the caller's
 * buffer: after accept, *len is the full address length, which may exceed
 * the buffer the caller passed (and the pointers may be NULL or bad). */
static int accepted(int lfd, int fd, int type)
{
    struct cl_addr peer = {0};
    struct sock_rec *l = fdtable_get(lfd);
    addr_of(fd, &peer, true);
    int fam = l ? l->family : peer.family;
    int stype = l ? l->type : (type & 0xf);
    struct sock_rec *r = track_open(fd, fam, stype ? stype : SOCK_STREAM, ROLE_ACCEPTED,
                                    stack_capture(), &peer, l ? l->sid : 0);
    if (r) addr_of(fd, &r->local, false);
    return fd;
}

CL_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int ret = REAL(accept)(fd, addr, len);
    if (ret < 0) return ret;
    RECORD_BEGIN
    accepted(fd, ret, 0);
    RECORD_END
}

CL_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    int ret = REAL(accept4)(fd, addr, len, flags);
    if (ret < 0) return ret;
    RECORD_BEGIN
    accepted(fd, ret, 0);
    RECORD_END
}

/* A socket we never saw born (opened before connleak started, or through a
 * path we cannot see) is adopted when it is connected or listened on. */
static struct sock_rec *adopt(int fd)
{
    struct sock_rec *r = fdtable_get(fd);
    if (r) return r;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int type = 0;
    socklen_t tlen = sizeof(type);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return NULL;
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen);
    return track_open(fd, ss.ss_family, type, ROLE_SOCKET, stack_capture(), NULL, 0);
}

CL_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    int ret = REAL(connect)(fd, addr, len);
    int err = ret == 0 ? 0 : errno;
    RECORD_BEGIN
    struct sock_rec *r = adopt(fd);
    if (len > sizeof(struct sockaddr_storage)) len = sizeof(struct sockaddr_storage);
    if (err == EFAULT) addr = NULL, len = 0; /* the kernel could not read it: neither can we */
    if (r) {
        if (err == 0 || err == EINPROGRESS) {
            r->role = ROLE_CLIENT;
            addr_from_sockaddr(&r->peer, addr, len);
            /* the local address is not asked for here (a getsockname per
             * connect costs more than the hook): the sampler learns it for
             * sockets out of ESTABLISHED, a close first asks for the port
             * (timewait.c), the exit for the ones still open */
        }
        ev_conn(r, fd, err, addr, len);
    }
    RECORD_END
}

CL_EXPORT int listen(int fd, int backlog)
{
    int ret = REAL(listen)(fd, backlog);
    if (ret != 0) return ret;
    RECORD_BEGIN
    struct sock_rec *r = adopt(fd);
    if (r) {
        r->role = ROLE_LISTENER;
        addr_of(fd, &r->local, false);
        ev_listen(r, fd);
    }
    RECORD_END
}

CL_EXPORT int shutdown(int fd, int how)
{
    int ret = REAL(shutdown)(fd, how);
    if (ret != 0) return ret;
    RECORD_BEGIN
    struct sock_rec *r = fdtable_get(fd);
    if (r) ev_shut(r, fd, how);
    RECORD_END
}
