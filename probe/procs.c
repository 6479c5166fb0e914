/* procs.c - the traced processes: a trace file each, begun at exec (or at
 * fork, or at attach), ended at exit (or when tracing stops), and the
 * dispatch of the kernel's events to the socket and Go handlers.
 *
 * A forked child starts with a copy of its parent's sockets, written as
 * `inherited` opens like the preload's; the kernel sends every close of a
 * child until the loader has copied them (traced = 2). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_int.h"

struct pproc *proc_find(struct probe *p, pid_t pid)
{
    for (size_t i = 0; i < p->nprocs; i++)
        if (p->procs[i]->pid == pid && !p->procs[i]->ended) return p->procs[i];
    return NULL;
}

struct pproc *proc_new(struct probe *p, pid_t pid, pid_t ppid)
{
    struct pproc **v = realloc(p->procs, (p->nprocs + 1) * sizeof(*v));
    struct pproc *pr = calloc(1, sizeof(*pr));
    if (!v || !pr) {
        free(pr);
        if (v) p->procs = v;
        return NULL;
    }
    p->procs = v;
    pr->pid = pid;
    pr->ppid = ppid;
    p->procs[p->nprocs++] = pr;
    p->running++;
    return pr;
}

uint64_t proc_ts(const struct pproc *pr, uint64_t ktime)
{
    return ktime > pr->start ? ktime - pr->start : 0;
}

/* A trace's stdio stream writes through tracefile_write (tracefile.h), as
 * the preload's buffer does: a full disk ends it with a "disk-full" note,
 * or leaves TRACE.disk-full. */
struct trace_cookie {
    int fd;
    struct tracefile_out out;
    char path[];
};

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
    struct trace_cookie *tc = c;
    tracefile_write(&tc->out, tc->fd, tc->path, buf, n);
    return (ssize_t)n; /* a failure is in the trace: stdio need not retry */
}

static int cookie_close(void *c)
{
    struct trace_cookie *tc = c;
    tracefile_end(&tc->out, tc->fd);
    int rc = close(tc->fd);
    free(tc);
    return rc;
}

/* Its trace file (tracefile.h: created safely, named like the preload's). */
static FILE *proc_trace_create(const char *dir, pid_t pid, char **path_out)
{
    char path[4096 + 64];
    int fd = tracefile_create(dir, pid, path, sizeof(path));
    if (fd < 0) return NULL;
    struct trace_cookie *tc = calloc(1, sizeof(*tc) + strlen(path) + 1);
    cookie_io_functions_t io = {.write = cookie_write, .close = cookie_close};
    FILE *f = tc ? fopencookie(tc, "a", io) : NULL;
    if (!f) {
        free(tc);
        close(fd);
        return NULL;
    }
    tc->fd = fd;
    strcpy(tc->path, path);
    *path_out = strdup(path);
    return f;
}

/* Its program and argv, from /proc while it lives, else from `from` (the
 * parent of a fork, or what the caller knew before the exec). */
void proc_identity(struct pproc *pr, const struct pproc *from)
{
    char path[64], buf[8192], exe[4096];
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pr->pid);
    ssize_t n = readlink(path, exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        free(pr->exe);
        pr->exe = strdup(exe);
    } else if (!pr->exe && from && from->exe) {
        pr->exe = strdup(from->exe);
    }
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pr->pid);
    FILE *f = fopen(path, "re");
    size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f) fclose(f);
    const char *src = buf;
    if (!len && from && from->cmdline) {
        src = from->cmdline;
        len = from->cmdline_len;
    }
    if (!len) return;
    free(pr->cmdline);
    pr->cmdline = malloc(len + 1);
    if (!pr->cmdline) return;
    memcpy(pr->cmdline, src, len);
    pr->cmdline[len] = 0;
    pr->cmdline_len = len;
}

/* A copy of from's exe and argv (a forked child runs its parent's image). */
static void identity_copy(struct pproc *pr, const struct pproc *from)
{
    free(pr->exe);
    free(pr->cmdline);
    pr->exe = from->exe ? strdup(from->exe) : NULL;
    pr->cmdline = from->cmdline ? malloc(from->cmdline_len + 1) : NULL;
    pr->cmdline_len = pr->cmdline ? from->cmdline_len : 0;
    if (pr->cmdline) memcpy(pr->cmdline, from->cmdline, from->cmdline_len + 1);
}

/* The new image as the exec event tells it, for a process already gone
 * from /proc: its file name (a relative one against the process' working
 * directory, else its parent's, else connleak's) and its argv. */
static void identity_from_exec(struct pproc *pr, const struct pev_exec *ex)
{
    char path[64], dir[4096] = "", exe[8192];
    size_t flen = strnlen(ex->filename, sizeof(ex->filename));
    if (!flen) return;
    if (ex->filename[0] != '/') {
        pid_t who[2] = {pr->pid, pr->ppid};
        for (int i = 0; i < 2 && !dir[0]; i++) {
            snprintf(path, sizeof(path), "/proc/%d/cwd", (int)who[i]);
            ssize_t n = readlink(path, dir, sizeof(dir) - 1);
            dir[n > 0 ? n : 0] = 0;
        }
        if (!dir[0] && !getcwd(dir, sizeof(dir))) dir[0] = 0;
    }
    snprintf(exe, sizeof(exe), "%s%s%.*s", dir, dir[0] ? "/" : "", (int)flen, ex->filename);
    char *real = realpath(exe, NULL);
    free(pr->exe);
    pr->exe = real ? real : strdup(exe);
    size_t n = ex->nargs < sizeof(ex->args) ? ex->nargs : sizeof(ex->args);
    if (!n || pr->cmdline) return;
    pr->cmdline = malloc(n + 1);
    if (!pr->cmdline) return;
    memcpy(pr->cmdline, ex->args, n);
    pr->cmdline[n] = 0;
    pr->cmdline_len = n;
}

/* A trace begins: for a forked child (parent set), as a copy of its
 * parent's image, Go probes included; else (the first traced process, or
 * a new image: ex set) read from /proc, or the exec event when the
 * process is already gone. */
void proc_begin_trace(struct probe *p, struct pproc *pr, uint64_t ktime, const struct pproc *parent,
                      const struct pev_exec *ex)
{
    pr->start = ktime;
    pr->forked = parent != NULL;
    pr->f = proc_trace_create(p->o.dir, pr->pid, &pr->path);
    if (!pr->f) {
        fprintf(stderr, "connleak: cannot create a trace for pid %d in %s: %s\n", (int)pr->pid,
                p->o.dir, strerror(errno));
        return;
    }
    if (parent) {
        identity_copy(pr, parent);
        rec_header(pr);
        pr->go = parent->go;
        if (pr->go) probe_go_inherit(p, parent->pid, pr->pid);
        pr->go_ready = parent->go_ready ? 1 : 0;
        return;
    }
    proc_identity(pr, NULL);
    if (!pr->exe && ex) identity_from_exec(pr, ex);
    rec_header(pr);
    modmap_refresh(pr);
    if (!pr->nmods) modmap_exe_fallback(pr);
    if (probe_go_attach(p, pr) < 0) pr->go = false;
}

/* The live sockets, their kernel counts first, then `end`. The `open`
 * records still held (Go sockets that carried no request) go first, all of
 * them: a socket record after a `live` one ends the batch of live records,
 * and the reader would keep only the last batch. */
void proc_end_trace(struct probe *p, struct pproc *pr, uint64_t ktime, const char *why)
{
    uint64_t ts = proc_ts(pr, ktime), live = 0;
    bool exec = strcmp(why, "exec") == 0; /* what is left was closed by the exec */
    sample_take(pr, ktime, true);
    for (int fd = 0; !exec && fd < pr->nfdv; fd++)
        if (pr->fdv[fd]) sock_write_open(pr, pr->fdv[fd]);
    for (int fd = 0; fd < pr->nfdv; fd++) {
        struct psock *s = pr->fdv[fd];
        if (!s) continue;
        struct pev_fd c = {0};
        probe_fd_take(p, pr->pid, fd, s->sk, s->ino, &c);
        s->in += c.in;
        s->out += c.out;
        if (c.last_io && proc_ts(pr, c.last_io) > s->last_io) s->last_io = proc_ts(pr, c.last_io);
        if (c.eof) s->eof = true;
        pr->fdv[fd] = NULL;
        if (--s->nfds > 0) continue; /* written with its last fd */
        if (exec) {                  /* close-on-exec: the kernel closed it at the exec */
            sock_close_last(pr, s, ts, "exec");
            continue;
        }
        gohttp_sock_done(pr, s);
        rec_live(pr, s, ts);
        live++;
        free(s);
    }
    gohttp_end(pr, ts);
    if (probe_lost(p)) {
        char detail[128];
        snprintf(detail, sizeof(detail),
                 "%llu kernel events were lost (ring buffer or socket table full)",
                 (unsigned long long)p->lost_events);
        rec_note(pr, ts, "events-lost", detail);
    }
    rec_end(pr, ts, why, live);
    if (pr->f) fclose(pr->f);
    pr->f = NULL;
    free(pr->fdv);
    pr->fdv = NULL;
    pr->nfdv = 0;
    stacks_free(&pr->stacks);
    modmap_free(pr);
    free(pr->gors);
    pr->gors = NULL;
    free(pr->births);
    pr->births = NULL;
    free(pr->recent); /* an ended process keeps only its small struct */
    pr->recent = NULL;
    pr->ngors = 0;
    pr->ended = true;
    p->running--;
}

/* A forked child's copy of its parent's sockets. */
void proc_adopt_fds(struct probe *p, struct pproc *parent, struct pproc *child)
{
    /* already gone (a short child, its fork read late): its sockets are
     * written, the kernel is not told of them */
    bool alive = probe_traced_update(p, child->pid, TR_ON | TR_FRESH | TR_WAKE);
    for (int fd = 0; parent && fd < parent->nfdv; fd++) {
        struct psock *ps = parent->fdv[fd], *s;
        if (!ps || ps->fd != fd || !(s = malloc(sizeof(*s)))) continue;
        *s = *ps;
        s->sid = ++child->next_sid;
        s->nfds = 0;
        s->inherited = true;
        s->pending = false;
        s->in = s->out = 0;
        s->opened = 0;
        s->stk = s->site = 0;
        child->opened++;
        for (int j = 0; j < parent->nfdv; j++) { /* ps->fd is any of its fds */
            if (parent->fdv[j] != ps) continue;
            if (proc_fd_reserve(child, j) < 0) continue;
            child->fdv[j] = s;
            s->nfds++;
            if (alive) probe_fd_add(p, child->pid, j, s->sk, s->ino);
        }
        rec_open(child, s, 0);
    }
    if (alive) probe_traced_update(p, child->pid, TR_ON | (child->maps_complete ? 0 : TR_WAKE));
}

static void on_fork(struct probe *p, struct pproc *parent, const struct pev_proc *e)
{
    struct pproc *c = proc_new(p, (pid_t)e->child, parent->pid);
    if (!c) return;
    proc_begin_trace(p, c, e->h.ts, parent, NULL);
    for (size_t i = 0; i < parent->nmods; i++) { /* the same address space, as of the fork */
        const struct pmod *m = &parent->mods[i];
        if (modmap_covers(c, m->lo)) continue;
        struct pmod *v = realloc(c->mods, (c->nmods + 1) * sizeof(*v));
        if (!v) break;
        c->mods = v;
        c->mods[c->nmods] = *m;
        c->mods[c->nmods++].path = strdup(m->path);
        modmap_write(c, m);
    }
    c->maps_complete = parent->maps_complete;
    if (e->code < 0) /* never clean when blind: the analyzer reads this note */
        rec_note(c, 0, "events-lost",
                 "the probe's table of traced processes is full: this process is not followed");
    proc_adopt_fds(p, parent, c);
}

/* Whether fd of the process still holds the socket (the exec kept it). */
static bool fd_kept(const struct pproc *pr, int fd, const struct psock *s)
{
    char path[64], link[64];
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pr->pid, fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n <= 0) return false;
    link[n] = 0;
    unsigned long ino = 0;
    return sscanf(link, "socket:[%lu]", &ino) == 1 && (!s->ino || ino == s->ino);
}

/* The sockets that survived an exec move to the new image's trace, as
 * inherited, with every fd of theirs the exec kept (a socket any of whose
 * fds survived moves whole: the old trace no longer holds it); their
 * kernel-side entries stay (same process). */
static void exec_carry(struct pproc *old, struct pproc *next)
{
    for (int fd = 0; fd < old->nfdv; fd++)
        if (old->fdv[fd] && fd_kept(old, fd, old->fdv[fd])) old->fdv[fd]->carried = true;
    for (int fd = 0; fd < old->nfdv; fd++) {
        struct psock *s = old->fdv[fd];
        if (!s || !s->carried) continue;
        old->fdv[fd] = NULL;
        if (s->inherited != INHERITED_BY_EXEC) { /* first met: a socket of the new image */
            sock_write_open(old, s);
            s->sid = ++next->next_sid;
            s->inherited = INHERITED_BY_EXEC;
            s->pending = false;
            s->in = s->out = s->opened = 0;
            s->stk = s->site = 0;
            s->nfds = 0;
            next->opened++;
            rec_open(next, s, 0);
        }
        if (!fd_kept(old, fd, s) || proc_fd_reserve(next, fd) < 0) continue;
        next->fdv[fd] = s;
        s->fd = s->nfds++ ? s->fd : fd;
    }
}

/* exec: the old image's trace ends (the sockets the exec closed get their
 * close); the ones that survive it go on, inherited, in the new image's. */
static void on_exec(struct probe *p, struct pproc *pr, const struct pev_exec *e)
{
    if (pr->f) {
        struct pproc *next = proc_new(p, pr->pid, pr->ppid);
        if (!next) return;
        proc_begin_trace(p, next, e->h.ts, NULL, e);
        exec_carry(pr, next);
        proc_end_trace(p, pr, e->h.ts, "exec");
        return;
    }
    proc_begin_trace(p, pr, e->h.ts, NULL, e);
}

void proc_handle(struct probe *p, const struct pev_hdr *h, size_t size)
{
    struct pproc *pr = proc_find(p, (pid_t)h->pid);
    if (!pr || size < h->size) return;
    if (h->kind == PEV_EXEC) {
        on_exec(p, pr, (const struct pev_exec *)h);
        return;
    }
    if (!pr->f) { /* not exec'd yet: the loader's own child */
        if (h->kind == PEV_EXIT) {
            pr->ended = true;
            p->running--;
        }
        return;
    }
    switch (h->kind) {
    case PEV_SOCKET:
        sock_on_socket(p, pr, (const void *)h);
        break;
    case PEV_CONNECT:
    case PEV_BIND:
        sock_on_connect(p, pr, (const void *)h);
        break;
    case PEV_LISTEN:
    case PEV_CLOSE:
    case PEV_DUP:
    case PEV_SHUTDOWN:
    case PEV_CLOSE_RANGE:
        sock_on_fd(p, pr, (const void *)h);
        break;
    case PEV_IO:
        if (!sock_on_io(p, pr, (const void *)h))
            probe_fd_capture_off(p, pr->pid, ((const struct pev_io *)h)->fd);
        break;
    case PEV_TCP:
        sock_on_tcp(p, pr, (const void *)h);
        break;
    case PEV_FORK:
        on_fork(p, pr, (const void *)h);
        break;
    case PEV_EXIT:
        pr->exit_code = ((const struct pev_proc *)h)->code;
        proc_end_trace(p, pr, h->ts, "exit");
        break;
    case PEV_GO_BODY:
    case PEV_GO_BODYCLOSE:
        gohttp_on_body(pr, (const void *)h);
        break;
    default:
        gohttp_on_event(p, pr, (const void *)h);
        break;
    }
}
