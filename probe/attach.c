/* attach.c - the sockets a process already has when the probe attaches to
 * it (`connleak attach PID`): read from /proc/PID/fd, each duplicated into
 * connleak for a moment (pidfd_getfd) to ask its family, type, addresses
 * and whether it listens (and a TCP socket's state: CLOSE_WAIT as a `ktcp`
 * record), then written as `open` records marked before_attach, and handed
 * to the kernel side so that their closes and bytes are followed from now
 * on. */
#define _GNU_SOURCE
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe_int.h"

static int pidfd_dup(int pidfd, int fd)
{
    return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

static void sock_describe(struct psock *s, int fd)
{
    int v = 0;
    socklen_t vl = sizeof(v);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl) == 0) s->fam = v;
    vl = sizeof(v);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl) == 0) s->type = v;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        addr_from_sockaddr(&s->local, (struct sockaddr *)&ss, sl);
    sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        addr_from_sockaddr(&s->peer, (struct sockaddr *)&ss, sl);
        s->role = PROLE_CLIENT;
    }
    vl = sizeof(v);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v) s->role = PROLE_LISTENER;
    /* a pile of CLOSE_WAIT already there is what an attach is often for:
     * the state now, as a ktcp record (its later changes are not seen: the
     * kernel side does not know this socket's struct sock) */
    struct tcp_info ti;
    socklen_t tl = sizeof(ti);
    if ((s->fam == AF_INET || s->fam == AF_INET6) && s->type == SOCK_STREAM &&
        getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0) {
        if (ti.tcpi_state == TCP_CLOSE_WAIT) snprintf(s->kstate, sizeof(s->kstate), "CLOSE_WAIT");
        if (ti.tcpi_state == TCP_LAST_ACK) snprintf(s->kstate, sizeof(s->kstate), "LAST_ACK");
    }
}

/* A connected socket whose local port is one the process listens on was
 * accepted, not dialled. */
static void roles_settle(struct pproc *pr)
{
    for (int i = 0; i < pr->nfdv; i++) {
        struct psock *s = pr->fdv[i];
        if (!s || s->role != PROLE_CLIENT) continue;
        for (int j = 0; j < pr->nfdv; j++) {
            struct psock *l = pr->fdv[j];
            if (l && l->role == PROLE_LISTENER && l->local.port == s->local.port) {
                s->role = PROLE_ACCEPTED;
                break;
            }
        }
    }
}

static struct psock *snapshot_one(struct probe *p, struct pproc *pr, int pidfd, int fd,
                                  unsigned long ino)
{
    struct psock *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->sid = ++pr->next_sid;
    s->fd = fd;
    s->ino = ino;
    s->before_attach = true;
    s->nfds = 1;
    int mine = pidfd_dup(pidfd, fd);
    if (mine >= 0) {
        sock_describe(s, mine);
        close(mine);
    }
    probe_fd_add(p, pr->pid, fd, 0, ino);
    pr->opened++;
    return s;
}

void proc_snapshot_fds(struct probe *p, struct pproc *pr)
{
    char dir[64], link[384], target[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pr->pid);
    int pidfd = (int)syscall(SYS_pidfd_open, pr->pid, 0);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int fd = atoi(de->d_name);
        unsigned long ino;
        snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0 || de->d_name[0] == '.') continue;
        target[n] = 0;
        if (sscanf(target, "socket:[%lu]", &ino) != 1) continue;
        struct psock *s = snapshot_one(p, pr, pidfd, fd, ino);
        if (!s) continue;
        if (proc_fd_reserve(pr, fd) < 0) {
            free(s);
            continue;
        }
        pr->fdv[fd] = s;
    }
    if (d) closedir(d);
    if (pidfd >= 0) close(pidfd);
    roles_settle(pr);
    for (int i = 0; i < pr->nfdv; i++) {
        if (!pr->fdv[i]) continue;
        rec_open(pr, pr->fdv[i], 0);
        if (pr->fdv[i]->kstate[0]) rec_ktcp(pr, pr->fdv[i], 0);
    }
}
