/* sockets.c - the life of a traced process's sockets, from the kernel's
 * events: one function per event, each updating the process's fd table and
 * writing the record the preload would write for the same call.
 *
 * A socket a Go program opens is *pending*: its `open` (and `conn`) record
 * waits until net/http says which request it was dialled for (gohttp.c),
 * so that its stack is the user's call, not the dialer goroutine's; it is
 * written at the latest when the socket closes, listens, or the process
 * ends. Records of one socket stay in order; lines of different sockets
 * may then be out of `ts` order, which readers allow. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_int.h"

static const char *tcp_state_name(int st)
{
    static const char *names[] = {"?",          "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                  "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                  "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
    return st > 0 && st < (int)(sizeof(names) / sizeof(*names)) ? names[st] : "?";
}

int proc_fd_reserve(struct pproc *pr, int fd)
{
    if (fd < pr->nfdv) return 0;
    int n = pr->nfdv ? pr->nfdv : 64;
    while (n <= fd) n *= 2;
    struct psock **v = realloc(pr->fdv, (size_t)n * sizeof(*v));
    if (!v) return -1;
    memset(v + pr->nfdv, 0, (size_t)(n - pr->nfdv) * sizeof(*v));
    pr->fdv = v;
    pr->nfdv = n;
    return 0;
}

struct psock *proc_sock(struct pproc *pr, int fd)
{
    return fd >= 0 && fd < pr->nfdv ? pr->fdv[fd] : NULL;
}

/* Puts s at fd; a socket already there lost that fd to a path the probe
 * did not see, and is closed implicitly. */
static void fd_install(struct pproc *pr, int fd, struct psock *s, uint64_t ts)
{
    struct psock *old = proc_sock(pr, fd);
    if (old) {
        pr->fdv[fd] = NULL;
        if (--old->nfds == 0)
            sock_close_last(pr, old, ts, "implicit");
        else
            rec_close(pr, old, fd, "implicit", false, ts);
    }
    if (proc_fd_reserve(pr, fd) < 0) return;
    pr->fdv[fd] = s;
    s->nfds++;
}

static void local_set(struct psock *s, const struct pev_local *l)
{
    if (!l->port || (s->fam != AF_INET && s->fam != AF_INET6)) return;
    addr_from_raw(&s->local, l->v6 ? AF_INET6 : AF_INET, l->addr, l->port);
}

/* A kernel TCP state worth a `ktcp` record: the peer closed or reset it. */
static void kstate_set(struct pproc *pr, struct psock *s, int st, uint64_t ts)
{
    if (st != 8 /* CLOSE_WAIT */ && st != 9 /* LAST_ACK */ && st != 7 /* CLOSE */) return;
    snprintf(s->kstate, sizeof(s->kstate), "%s", tcp_state_name(st));
    sock_write_open(pr, s);
    rec_ktcp(pr, s, ts);
}

void sock_write_open(struct pproc *pr, struct psock *s)
{
    if (!s->pending) return;
    s->pending = false;
    rec_open(pr, s, s->opened);
    if (s->conn_pending) rec_conn(pr, s, s->conn_ts, s->conn_err);
    s->conn_pending = false;
}

/* The frame-pointer chain from a syscall made by a frameless stub (glibc's
 * socket(), accept4()) skips the stub's caller: its return address is the
 * word at the user stack pointer. Put back when it is code and not already
 * the next frame (Go's stubs keep a chain of their own). */
static uint32_t syscall_stack(struct pproc *pr, const struct pev_socket *e)
{
    uint64_t pcs[PEV_STACK_MAX + 1];
    int n = (int)(e->nstack < PEV_STACK_MAX ? e->nstack : PEV_STACK_MAX);
    memcpy(pcs, e->stack, (size_t)n * sizeof(*pcs));
    if (n >= 1 && e->top_ret && (n < 2 || pcs[1] != e->top_ret)) {
        if (!modmap_is_code(pr, e->top_ret)) modmap_refresh(pr);
        if (modmap_is_code(pr, e->top_ret)) {
            memmove(pcs + 2, pcs + 1, (size_t)(n - 1) * sizeof(*pcs));
            pcs[1] = e->top_ret;
            n++;
        }
    }
    return stack_intern(pr, pcs, n);
}

void sock_on_socket(struct probe *p, struct pproc *pr, const struct pev_socket *e)
{
    struct psock *s = calloc(1, sizeof(*s));
    if (!s) return;
    uint64_t ts = proc_ts(pr, e->h.ts);
    s->sid = ++pr->next_sid;
    s->fd = e->fd;
    s->fam = e->fam;
    s->type = e->type;
    s->sk = e->sk;
    s->ino = e->ino;
    s->opened = ts;
    s->role = e->lfd >= 0 ? PROLE_ACCEPTED : PROLE_SOCKET;
    s->stk = syscall_stack(pr, e);
    if (!pr->maps_complete && s->stk) { /* stop the kernel's wake-ups once the map is whole */
        pr->maps_complete = true;
        for (uint32_t i = 0; i < e->nstack && i < PEV_STACK_MAX; i++)
            if (!modmap_covers(pr, e->stack[i])) pr->maps_complete = false;
        if (pr->maps_complete) probe_traced_set(p, pr->pid, TR_ON);
    }
    s->http_on = p->o.http && s->role == PROLE_SOCKET && e->type == SOCK_STREAM;
    if (e->addr_len) addr_from_sockaddr(&s->peer, (const struct sockaddr *)e->addr, e->addr_len);
    struct psock *ls = e->lfd >= 0 ? proc_sock(pr, e->lfd) : NULL;
    if (ls) s->local = ls->local;
    if (s->role == PROLE_ACCEPTED) local_set(s, &e->local);
    pr->opened++;
    fd_install(pr, e->fd, s, ts);
    s->pending = pr->go && s->role == PROLE_SOCKET;
    if (!s->pending) rec_open(pr, s, ts);
    if (s->role == PROLE_ACCEPTED)
        kstate_set(pr, s, e->local.state, ts); /* closed in the backlog */
}

void sock_on_connect(struct probe *p, struct pproc *pr, const struct pev_connect *e)
{
    (void)p;
    struct psock *s = proc_sock(pr, e->fd);
    if (!s) return;
    uint64_t ts = proc_ts(pr, e->h.ts);
    if (e->h.kind == PEV_BIND) {
        if (e->addr_len)
            addr_from_sockaddr(&s->local, (const struct sockaddr *)e->addr, e->addr_len);
        return;
    }
    if (e->addr_len) addr_from_sockaddr(&s->peer, (const struct sockaddr *)e->addr, e->addr_len);
    local_set(s, &e->local);
    if (e->ret == 0 || e->ret == -115) s->role = PROLE_CLIENT;
    if (s->pending) {
        s->conn_pending = true;
        s->conn_ts = ts;
        s->conn_err = e->ret;
        return;
    }
    rec_conn(pr, s, ts, e->ret);
}

/* The counts the kernel kept for one fd, added to its socket. */
static void counts_add(struct pproc *pr, struct psock *s, const struct pev_fd *e)
{
    s->in += e->in;
    s->out += e->out;
    if (e->last_io) {
        uint64_t t = proc_ts(pr, e->last_io);
        if (t > s->last_io) s->last_io = t;
    }
    if (e->eof) s->eof = true;
}

void sock_close_last(struct pproc *pr, struct psock *s, uint64_t ts, const char *how)
{
    tw_note_close(pr, s);
    gohttp_sock_done(pr, s);
    sock_write_open(pr, s);
    rec_close(pr, s, s->fd, how, true, ts);
    pr->closed++;
    free(s);
}

static void on_close(struct pproc *pr, const struct pev_fd *e, uint64_t ts)
{
    struct psock *s = proc_sock(pr, e->fd);
    if (!s) return;
    counts_add(pr, s, e);
    pr->fdv[e->fd] = NULL;
    const char *how = e->how == 2 ? "dup2" : "close";
    if (--s->nfds == 0) {
        sock_close_last(pr, s, ts, how);
        return;
    }
    if (s->fd == e->fd)
        for (int i = 0; i < pr->nfdv; i++)
            if (pr->fdv[i] == s) s->fd = i;
    rec_close(pr, s, e->fd, how, false, ts);
}

/* close_range(first, last): each tracked fd in it, closed; its kernel
 * entry taken while still its socket's (a new socket may have the number). */
static void on_close_range(struct probe *p, struct pproc *pr, const struct pev_fd *e, uint64_t ts)
{
    int last = e->arg < pr->nfdv - 1 ? e->arg : pr->nfdv - 1;
    for (int fd = e->fd < 0 ? 0 : e->fd; fd <= last; fd++) {
        struct psock *s = pr->fdv[fd];
        if (!s) continue;
        struct pev_fd c = {.h = e->h, .fd = fd};
        probe_fd_take(p, pr->pid, fd, s->sk, s->ino, &c);
        on_close(pr, &c, ts);
    }
}

static const char *dup_how(uint32_t how)
{
    return how == 2 ? "dup2" : how == 3 ? "dup3" : how == 4 ? "fcntl" : "dup";
}

void sock_on_fd(struct probe *p, struct pproc *pr, const struct pev_fd *e)
{
    uint64_t ts = proc_ts(pr, e->h.ts);
    if (e->h.kind == PEV_CLOSE) {
        on_close(pr, e, ts);
        return;
    }
    if (e->h.kind == PEV_CLOSE_RANGE) {
        on_close_range(p, pr, e, ts);
        return;
    }
    struct psock *s = proc_sock(pr, e->fd);
    if (!s) return;
    switch (e->h.kind) {
    case PEV_LISTEN:
        s->role = PROLE_LISTENER;
        s->http_on = false;
        sock_write_open(pr, s);
        rec_listen(pr, s, ts);
        break;
    case PEV_SHUTDOWN:
        sock_write_open(pr, s);
        rec_shut(pr, s, e->fd, e->arg, ts);
        break;
    case PEV_DUP:
        sock_write_open(pr, s);
        fd_install(pr, e->arg, s, ts);
        rec_dup(pr, s, e->fd, e->arg, dup_how(e->how), ts);
        break;
    }
}

/* Feeds the HTTP/1 tracker what the kernel copied of one read or write. The
 * bytes past the copy are fed as zeros: right for a body counted by
 * Content-Length, and a loss of sync (said in the record) anywhere else. */
static void io_feed_http(struct psock *s, const struct pev_io *e)
{
    static const uint8_t zeros[4096];
    static struct http1_memo memo; /* the loader reads events on one thread */
    struct http1_events ev;
    size_t ncap = e->ncap < PEV_CAP_MAX ? e->ncap : PEV_CAP_MAX;
    size_t total = (size_t)e->ret, done = 0;
    while (done < total && http1_state(&s->http) <= HTTP1_ACTIVE) {
        const uint8_t *buf = done < ncap ? e->cap + done : zeros;
        size_t n = done < ncap ? ncap - done : total - done;
        if (done >= ncap && n > sizeof(zeros)) n = sizeof(zeros);
        size_t k = e->dir ? http1_on_write_memo(&s->http, &memo, buf, n, &ev)
                          : http1_on_read_memo(&s->http, &memo, buf, n, &ev);
        if (k == 0 && !ev.flags) break;
        done += k;
    }
}

/* Returns false when the socket's bytes need no longer be copied. */
bool sock_on_io(struct probe *p, struct pproc *pr, const struct pev_io *e)
{
    (void)p;
    struct psock *s = proc_sock(pr, e->fd);
    if (!s || !s->http_on) return false;
    io_feed_http(s, e);
    return http1_state(&s->http) <= HTTP1_ACTIVE;
}

void sock_on_tcp(struct probe *p, struct pproc *pr, const struct pev_tcp *e)
{
    (void)p;
    if (e->newstate == 6) { /* a close the program made first: TIME_WAIT */
        tw_on_birth(pr, e->sk, e->h.ts);
        return;
    }
    struct psock *s = proc_sock(pr, (int)e->h.tid);
    if (s && s->sk == e->sk) kstate_set(pr, s, e->newstate, proc_ts(pr, e->h.ts));
}
