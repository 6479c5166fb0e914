/* fdtable.c - which fds are sockets, and the record of each socket.
 *
 * Two arrays mapped once at start-up (MAP_NORESERVE: pages are only touched
 * as fds are used): a slot per fd number, and a pool of socket records. A
 * slot points at a record; dup'ed fds point at the same record, which is
 * freed when its last fd goes. Slots are updated with atomic exchanges and
 * the pool's free list is a lock-free stack, so no hook ever waits here. */
#define _GNU_SOURCE
#include "preload.h"
#include "agg.h"
#include "config.h"
#include "events.h"
#include "fdtable.h"
#include "httptrack.h"
#include "pool.h"
#include "stacks.h"
#include "timewait.h"
#include "trace.h"

#include "jsonline.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define FD_CAP_MAX (1u << 20)

struct fd_table cl_fdt;
_Atomic unsigned int cl_fd_high;
_Atomic int cl_inet6_seen;
struct fd_stats cl_stats;

static _Atomic uint64_t next_sid = 1;
static struct cl_pool rec_pool;

static void *map_noreserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int pool_init(struct cl_pool *p, size_t elem, size_t link_off, uint32_t cap)
{
    p->base = map_noreserve((size_t)cap * elem);
    p->elem = elem;
    p->link_off = link_off;
    p->cap = cap;
    atomic_store(&p->free_head, 0);
    atomic_store(&p->used, 0);
    return p->base ? 0 : -1;
}

static uint32_t *pool_link(const struct cl_pool *p, uint32_t idx)
{
    return (uint32_t *)((char *)pool_at(p, idx) + p->link_off);
}

void *pool_alloc(struct cl_pool *p)
{
    uint64_t head = atomic_load(&p->free_head);
    while ((uint32_t)head) {
        uint64_t next = ((head >> 32) + 1) << 32 | *pool_link(p, (uint32_t)head);
        if (atomic_compare_exchange_weak(&p->free_head, &head, next))
            return pool_at(p, (uint32_t)head);
    }
    uint32_t i = atomic_fetch_add(&p->used, 1);
    if (i >= p->cap) {
        atomic_fetch_sub(&p->used, 1);
        return NULL;
    }
    return p->base + (size_t)i * p->elem;
}

void pool_free(struct cl_pool *p, void *e)
{
    uint32_t idx = pool_index(p, e);
    uint64_t head = atomic_load(&p->free_head);
    do {
        *pool_link(p, idx) = (uint32_t)head;
    } while (!atomic_compare_exchange_weak(&p->free_head, &head, ((head >> 32) + 1) << 32 | idx));
}

int fdtable_init(void)
{
    struct rlimit rl;
    unsigned int cap = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? FD_CAP_MAX : rl.rlim_max;
        if (want > cap) cap = want > FD_CAP_MAX ? FD_CAP_MAX : (unsigned int)want;
    }
    cl_fdt.slots = map_noreserve((size_t)cap * sizeof(struct fd_slot));
    if (!cl_fdt.slots || pool_init(&rec_pool, sizeof(struct sock_rec),
                                   offsetof(struct sock_rec, next_free), cap) != 0)
        return -1;
    cl_fdt.recs = (struct sock_rec *)rec_pool.base;
    cl_fdt.nslots = cap;
    return httptrack_init(cap);
}

static struct sock_rec *rec_alloc(void)
{
    return pool_alloc(&rec_pool);
}

/* After the last close record: the record and its HTTP state go. */
static void rec_free(struct sock_rec *r)
{
    http_release(r);
    pool_free(&rec_pool, r);
}

static uint32_t rec_index(const struct sock_rec *r)
{
    return (uint32_t)(r - cl_fdt.recs) + 1;
}

static void fd_high_bump(int fd)
{
    unsigned int want = (unsigned int)fd + 1, cur = atomic_load(&cl_fd_high);
    while (cur < want && !atomic_compare_exchange_weak(&cl_fd_high, &cur, want)) {
    }
}

/* Puts rec into slot fd; whatever was there was closed behind our back. */
static void slot_install(int fd, struct sock_rec *r, const char *how_old)
{
    struct fd_slot *s = &cl_fdt.slots[fd];
    uint32_t old = atomic_exchange(&s->rec, rec_index(r));
    s->prev_close = 0; /* no socket closed here since */
    fd_high_bump(fd);
    if (old) {
        struct sock_rec *o = &cl_fdt.recs[old - 1];
        bool last = atomic_fetch_sub(&o->refs, 1) == 1;
        ev_close(o, fd, how_old, last);
        if (last) {
            tw_note_close(o, -1);
            atomic_fetch_add(&cl_stats.closed, 1);
            rec_free(o);
        }
    }
}

/* Takes one more reference on r for a new fd, unless a racing close on
 * another thread has already dropped its last one: then the record may be
 * free (or someone else's) and must not be installed anywhere. */
static bool rec_ref(int oldfd, struct sock_rec *r)
{
    uint32_t n = atomic_load(&r->refs);
    do {
        if (n == 0) return false;
    } while (!atomic_compare_exchange_weak(&r->refs, &n, n + 1));
    if (fdtable_get(oldfd) == r) return true;
    if (atomic_fetch_sub(&r->refs, 1) == 1) { /* we held the last one: the close is ours */
        ev_close(r, oldfd, "close", true);
        tw_note_close(r, -1);
        atomic_fetch_add(&cl_stats.closed, 1);
        rec_free(r);
    }
    return false;
}

struct sock_rec *track_open(int fd, int fam, int type, int role, uint32_t stk,
                            const struct cl_addr *peer, uint64_t lsid)
{
    if ((unsigned int)fd >= cl_fdt.nslots) {
        atomic_fetch_add(&cl_stats.lost, 1);
        return NULL;
    }
    struct sock_rec *r = rec_alloc();
    if (!r) {
        atomic_fetch_add(&cl_stats.lost, 1);
        return NULL;
    }
    memset(r, 0, sizeof(*r)); /* ino stays 0: an fstat per socket costs too much here */
    if (!cl_cfg.http) r->http = REC_HTTP_NOT; /* CONNLEAK_HTTP=0 */
    r->sid = atomic_fetch_add(&next_sid, 1);
    r->opened = clock_since_start();
    r->stk = stk;
    r->refs = 1;
    r->family = (uint16_t)fam;
    if (fam == AF_INET6 && !atomic_load_explicit(&cl_inet6_seen, memory_order_relaxed))
        atomic_store(&cl_inet6_seen, 1);
    r->type = (uint16_t)(type & 0xf);
    r->role = r->open_role = (uint8_t)role;
    if (peer) r->peer = *peer;
    atomic_fetch_add(&cl_stats.opened, 1);
    if (!agg_socket_detailed()) r->quiet = 1; /* written late, or only counted */
    ev_open(r, fd, lsid, false);
    slot_install(fd, r, "implicit");
    return r;
}

/* fd_holds: fd still refers to the socket (a close about to happen); false
 * when the number already holds something else (dup2 onto it, a reuse
 * after an unseen close): then the socket itself cannot be asked. expect:
 * the slot's record index as the caller saw it (0 = whatever is there); the
 * close happens only if the slot still holds it. */
static bool track_close_slot(int fd, const char *how, bool fd_holds, uint32_t expect)
{
    if ((unsigned int)fd >= cl_fdt.nslots) return false;
    struct fd_slot *s = &cl_fdt.slots[fd];
    uint32_t cur = expect ? expect : atomic_load(&s->rec);
    if (!cur) return false;
    /* A fork child that only drops what it inherited (and then execs) should
     * leave no trace file behind: such closes are not recorded. Except for
     * a socketpair end: the child's trace then says it was shared with the
     * parent (an IPC channel, rules_ipc.c), as nginx's workers close theirs. */
    const struct sock_rec *cr = &cl_fdt.recs[cur - 1];
    bool quiet = !trace_is_open() && (cr->flags & REC_INHERITED) && cr->role != ROLE_PAIR;
    if (!quiet) trace_ensure_open(); /* its inherited sockets come first */
    uint32_t old = expect;
    if (expect ? !atomic_compare_exchange_strong(&s->rec, &old, 0)
               : !(old = atomic_exchange(&s->rec, 0)))
        return false;
    struct sock_rec *r = &cl_fdt.recs[old - 1];
    s->prev_sid = (uint32_t)r->sid;
    s->prev_stk = r->stk;
    s->prev_close = (cl_cfg.close_stacks && !quiet ? stack_capture() & FS_STK_MASK : 0) | FS_PREV;
    bool last = atomic_fetch_sub(&r->refs, 1) == 1;
    if (last && fd_holds && !quiet) tw_check_connected(r, fd);
    if (!quiet) ev_close(r, fd, how, last);
    if (last) {
        tw_note_close(r, fd_holds ? fd : -1);
        atomic_fetch_add(&cl_stats.closed, 1);
        rec_free(r);
    }
    return true;
}

static bool track_close_as(int fd, const char *how, bool fd_holds)
{
    return track_close_slot(fd, how, fd_holds, 0);
}

bool track_close(int fd, const char *how)
{
    return track_close_as(fd, how, true);
}

void track_closed_ok(int fd, bool was_tracked)
{
    if ((unsigned int)fd >= cl_fdt.nslots) return;
    struct fd_slot *s = &cl_fdt.slots[fd];
    s->prev_close = was_tracked ? s->prev_close | FS_CLOSED : 0;
}

void track_dup(int oldfd, int newfd, const char *how)
{
    if ((unsigned int)newfd >= cl_fdt.nslots) return;
    struct sock_rec *r = fdtable_get(oldfd);
    bool explicit_target = how[0] == 'd' && how[3] != 0; /* dup2, dup3 */
    if (!r) { /* newfd now holds a non-socket: what the table had there is gone */
        if (track_close_as(newfd, explicit_target ? "dup2" : "implicit", false))
            cl_fdt.slots[newfd].prev_close &= ~FS_CLOSED;
        return;
    }
    if (fdtable_get(newfd) == r) return;
    if (!rec_ref(oldfd, r)) return; /* closed under our feet by another thread */
    ev_dup(r, oldfd, newfd, how);
    slot_install(newfd, r, explicit_target ? "dup2" : "implicit");
}

void track_badclose(int fd)
{
    uint64_t n = atomic_fetch_add(&cl_stats.badclose, 1);
    if (n >= 1000) {
        if (atomic_fetch_add(&cl_stats.badclose_dropped, 1) == 0)
            ev_note("badclose-capped",
                    "more than 1000 closes of bad fds: only counted from now on");
        return;
    }
    uint32_t pc = (unsigned int)fd < cl_fdt.nslots ? cl_fdt.slots[fd].prev_close : 0;
    bool dbl = (pc & (FS_CLOSED | FS_PREV)) == (FS_CLOSED | FS_PREV);
    struct fd_prev prev = {0};
    if (dbl)
        prev = (struct fd_prev){sid_widen(cl_fdt.slots[fd].prev_sid, atomic_load(&next_sid) - 1),
                                cl_fdt.slots[fd].prev_stk, pc & FS_STK_MASK};
    ev_badclose(fd, dbl ? "double" : "foreign", stack_capture(), dbl ? &prev : NULL);
}

/* In a fork child: everything in the table came from the parent. */
static uint64_t minus_or_zero(uint64_t t, uint64_t d)
{
    return t > d ? t - d : 0;
}

void track_mark_all_inherited(uint64_t shift)
{
    unsigned int hi = atomic_load(&cl_fd_high);
    uint64_t n = 0;
    for (unsigned int fd = 0; fd < hi; fd++) {
        struct sock_rec *r = fdtable_get((int)fd);
        if (r) r->flags &= (uint8_t)~REC_KASKED; /* the child's sampler asks on its own */
        if (r && !(r->flags & REC_INHERITED)) {
            r->flags |= REC_INHERITED;
            r->dump_mark = 0;
            r->opened = minus_or_zero(r->opened, shift);
            uint64_t io = atomic_load(&r->last_io);
            if (io)
                atomic_store(&r->last_io, minus_or_zero(io, shift) ? minus_or_zero(io, shift) : 1);
        }
        cl_fdt.slots[fd].prev_close &= ~FS_CLOSED;
    }
    for (unsigned int fd = 0; fd < hi; fd++) {
        struct sock_rec *r = fdtable_get((int)fd);
        if (r && r->dump_mark == 0) {
            r->dump_mark = 1;
            n++;
        }
    }
    atomic_store(&cl_stats.opened, n);
    atomic_store(&cl_stats.closed, 0);
    atomic_store(&cl_stats.lost, 0);
    atomic_store(&cl_stats.badclose, 0);
    atomic_store(&cl_stats.badclose_dropped, 0);
}

static void emit_inherited_one(struct sock_rec *r, const int *fds, int nfds, void *arg)
{
    (void)arg;
    stack_emit_id(r->stk);
    ev_open(r, fds[0], 0, true);
    for (int i = 1; i < nfds; i++) ev_dup(r, fds[0], fds[i], "dup");
}

/* First lines of a fork child's trace: the sockets it started with. */
void fdtable_emit_inherited(void)
{
    fdtable_each_live(emit_inherited_one, NULL);
}

void fdtable_each_live(void (*fn)(struct sock_rec *, const int *, int, void *), void *arg)
{
    /* 0 is a new socket's and 1 track_mark_all_inherited's; every pass
     * visits every live socket, so a live one holds 0, 1 or the previous
     * pass's mark, never the current one, and the marks may wrap */
    static uint16_t mark = 1;
    unsigned int hi = atomic_load(&cl_fd_high);
    if (++mark < 2) mark = 2;
    for (unsigned int fd = 0; fd < hi; fd++) {
        struct sock_rec *r = fdtable_get((int)fd);
        if (!r || r->dump_mark == mark) continue;
        r->dump_mark = mark;
        int fds[16], n = 0;
        fds[n++] = (int)fd;
        for (unsigned int j = fd + 1; j < hi && n < 16 && atomic_load(&r->refs) > (uint32_t)n; j++)
            if (fdtable_get((int)j) == r) fds[n++] = (int)j;
        fn(r, fds, n, arg);
    }
}

/* At exit and at every dump: an fd the table still lists may have been
 * closed by a path we cannot see (a libc-internal close, a raw system call
 * made without syscall()) and its number reused for a file. Such entries
 * are closed "unseen" rather than reported. One fstat per tracked fd (what
 * /proc/self/fd would say of it); the first one also learns the socket's
 * inode, so that a number later reused by another socket is told apart.
 * Other threads run on during a dump: an entry is closed only if its slot
 * still holds the socket that was checked. */
void fdtable_verify_live(void)
{
    unsigned int hi = atomic_load(&cl_fd_high);
    for (unsigned int fd = 0; fd < hi; fd++) {
        uint32_t cur = atomic_load(&cl_fdt.slots[fd].rec);
        struct sock_rec *r = cur ? &cl_fdt.recs[cur - 1] : NULL;
        struct stat st;
        if (!r) continue;
        uint64_t sid = r->sid;
        if (fstat((int)fd, &st) != 0 || !S_ISSOCK(st.st_mode) || (r->ino && st.st_ino != r->ino)) {
            track_close_slot((int)fd, "unseen", false, cur);
            continue;
        }
        if (atomic_load(&cl_fdt.slots[fd].rec) != cur || r->sid != sid)
            continue; /* closed meanwhile */
        r->ino = (uint64_t)st.st_ino;
        if (!r->local.family) { /* learnt here rather than at every connect */
            struct sockaddr_storage ss;
            socklen_t len = sizeof(ss);
            if (getsockname((int)fd, (struct sockaddr *)&ss, &len) == 0)
                addr_from_sockaddr(&r->local, (struct sockaddr *)&ss, len);
        }
    }
}
