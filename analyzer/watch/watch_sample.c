/* watch_sample.c - one snapshot of a process for `connleak watch`: its open
 * fds and socket inodes (/proc/PID/fd), the kernel's TCP sockets joined to
 * them by inode (sock_diag, every state, both families), every TIME_WAIT
 * socket of the host (they have no inode: watch_model.c matches them), and
 * its RLIMIT_NOFILE (/proc/PID/limits, readable for any process we may
 * watch, unlike prlimit). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "procfd.h"
#include "sockdiag.h"
#include "watch/watch.h"

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The fds of pid: count, and the sorted distinct socket inodes. */
static int fds_read(struct watch_snap *s, int pid)
{
    char buf[16384];
    size_t nsock = 0;
    ALLOC_GROW(s->inodes, 256, s->capinodes);
    for (;;) {
        int n = procfd_scan(pid, s->inodes, s->capinodes, &nsock, buf, sizeof(buf));
        if (n < 0) return n;
        s->nfds = n;
        if (nsock <= s->capinodes) break;
        ALLOC_GROW(s->inodes, nsock + nsock / 4, s->capinodes); /* more now: again */
    }
    s->nsock = nsock;
    sort_n(s->inodes, nsock, sizeof(*s->inodes), u64_cmp);
    size_t out = 0;
    for (size_t i = 0; i < nsock; i++)
        if (out == 0 || s->inodes[out - 1] != s->inodes[i]) s->inodes[out++] = s->inodes[i];
    s->ninodes = out;
    return 0;
}

static void wsock_push(struct wsock **v, size_t *n, size_t *cap, const struct sockdiag_sock *d)
{
    ALLOC_GROW(*v, *n + 1, *cap);
    struct wsock *w = &(*v)[(*n)++];
    memset(w, 0, sizeof(*w));
    w->tu.family = (uint8_t)d->family;
    w->tu.sport = d->sport;
    w->tu.dport = d->dport;
    size_t alen = d->family == AF_INET6 ? 16 : 4;
    memcpy(w->tu.src, d->src, alen);
    memcpy(w->tu.dst, d->dst, alen);
    w->state = d->state;
    w->unread = d->state == TCP_LISTEN ? 0 : d->unread;
    w->inode = d->inode;
}

static int diag_cb(const struct sockdiag_sock *d, void *arg)
{
    struct watch_snap *s = arg;
    if (d->state == TCP_TIME_WAIT)
        wsock_push(&s->tw, &s->ntw, &s->captw, d);
    else if (d->inode && search_n(&d->inode, s->inodes, s->ninodes, sizeof(*s->inodes), u64_cmp))
        wsock_push(&s->own, &s->nown, &s->capown, d);
    return 0;
}

/* The soft "Max open files" of /proc/PID/limits; -1 unlimited or unknown. */
static long nofile_read(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/limits", pid);
    FILE *f = fopen(path, "re");
    long v = -1;
    if (!f) return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Max open files", 14) == 0) {
            char *end;
            long n = strtol(line + 14, &end, 10);
            if (end != line + 14 && n > 0) v = n;
            break;
        }
    fclose(f);
    return v;
}

int watch_sample(struct watch_snap *s, int pid, double t)
{
    static char diag_buf[SOCKDIAG_BUF_SIZE];
    s->t = t;
    s->nown = s->ntw = 0;
    s->diag_err = 0;
    int rc = fds_read(s, pid);
    if (rc < 0) return rc;
    s->nofile = nofile_read(pid);
    /* a socket may have been closed and its inode reused between the two
     * reads: harmless, the next sample corrects it */
    rc = sockdiag_dump_all(SOCKDIAG_STATES_ALL, 0, diag_buf, sizeof(diag_buf), diag_cb, s);
    if (rc < 0) {
        s->diag_err = rc;
        s->nown = s->ntw = 0;
    }
    return 0;
}

void watch_snap_free(struct watch_snap *s)
{
    free(s->inodes);
    free(s->own);
    free(s->tw);
    memset(s, 0, sizeof(*s));
}
