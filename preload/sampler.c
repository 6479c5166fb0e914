/* sampler.c - the kernel's view of the program's sockets, over time.
 *
 * Every CONNLEAK_SAMPLE_MS (default 1000, 0 = off) the flusher thread
 * (lifecycle.c: signals blocked, its own, restarted after fork) takes a
 * sample: open fds and RLIMIT_NOFILE, tracked sockets by role, live sockets
 * per opening stack, connections per peer; the counts go into one `sample`
 * record. Every part is bounded so that a sample's cost does not grow with
 * the program's sockets: fds are counted a window at a time, idle sockets
 * are asked for unread bytes a few at a time.
 *
 * The kernel's view comes from netlink sock_diag (common/sockdiag.c): the
 * tracked sockets that left ESTABLISHED (the kernel filters the states),
 * joined to the fd table by inode, and the TIME_WAIT sockets, matched to
 * the program's closes by timewait.c. The kernel visits every socket of the
 * host for such a walk, so it runs only when the program's sockets give a
 * reason (a peer closed a connection, connections closed first in
 * the last 60 s), paced by its cost; and at exit (sampler_final) once more
 * when CONNLEAK_TW_MIN connections were closed first since TIME_WAIT was
 * last read. A socket whose kernel state changes
 * gets a `ktcp` record (a CLOSE_WAIT socket is known with the time it got
 * there and its unread bytes).
 *
 * Memory is mapped once at start-up (the inode join table); nothing here
 * allocates. */
#define _GNU_SOURCE
#include "preload.h"
#include "agg.h"
#include "config.h"
#include "events.h"
#include "fdtable.h"
#include "ownfds.h"
#include "sampler.h"
#include "prom.h"
#include "timewait.h"
#include "trace.h"

#include "jsonline.h"
#include "sockdiag.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* inode join table: 65,536 slots, sockets beyond half of it are not joined */
#define JOIN_BITS 16
#define JOIN_CAP  (1u << JOIN_BITS)
#define TOP_MAX   8 /* sites / peers listed per sample */

struct join_ent {
    uint64_t ino;
    uint64_t sid; /* the socket the record held when joined */
    uint32_t rec; /* index + 1 */
    uint32_t gen;
};

static struct join_ent *join;
static uint32_t join_gen;
static uint64_t next_due;

int sampler_init(void)
{
    if (!cl_cfg.sample_ms) return 0;
    void *m = mmap(NULL, JOIN_CAP * sizeof(*join), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    join = m == MAP_FAILED ? NULL : m;
    tw_init();
    sockdiag_socket_fn = ownfd_socket_transient; /* off the program's fd numbers */
    return join ? 0 : -1;
}

/* ---- one sample ---- */

struct sample {
    uint32_t roles[ROLE_RECEIVED + 1];
    uint32_t tcp[TCP_CLOSING + 1];
    struct count sites[32], peers[32];
    unsigned int nsites, npeers;
    uint32_t socks;
};

struct count *count_add(struct count *c, unsigned int *n, unsigned int cap, uint64_t key)
{
    for (unsigned int i = 0; i < *n; i++)
        if (c[i].key == key) return &c[i];
    if (*n == cap) return NULL; /* beyond cap distinct keys: not counted */
    memset(&c[*n], 0, sizeof(c[*n]));
    c[*n].key = key;
    return &c[(*n)++];
}

static void join_put(uint64_t ino, uint32_t rec, uint64_t sid)
{
    for (uint32_t i = (uint32_t)(ino * 0x9E3779B97F4A7C15ull >> (64 - JOIN_BITS)), n = 0;
         n < JOIN_CAP / 2; i = (i + 1) & (JOIN_CAP - 1), n++) {
        if (join[i].gen != join_gen) {
            join[i] = (struct join_ent){.ino = ino, .sid = sid, .rec = rec, .gen = join_gen};
            return;
        }
        if (join[i].ino == ino) return;
    }
}

/* The record of the socket with inode ino, if it still holds that socket
 * (*sid: its sid, to check again right before each write). */
static struct sock_rec *join_get(uint64_t ino, uint64_t *sid)
{
    for (uint32_t i = (uint32_t)(ino * 0x9E3779B97F4A7C15ull >> (64 - JOIN_BITS)), n = 0;
         n < JOIN_CAP / 2; i = (i + 1) & (JOIN_CAP - 1), n++) {
        if (join[i].gen != join_gen) return NULL;
        if (join[i].ino != ino) continue;
        struct sock_rec *r = &cl_fdt.recs[join[i].rec - 1];
        *sid = join[i].sid;
        return r->sid == join[i].sid ? r : NULL; /* closed and reused since */
    }
    return NULL;
}

/* The inode of r (behind fd), learnt once with fstat. */
static uint64_t rec_inode(struct sock_rec *r, int fd)
{
    if (r->ino) return r->ino;
    struct stat st;
    uint64_t sid = r->sid;
    if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return 0;
    if (fdtable_get(fd) != r || r->sid != sid) return 0; /* closed meanwhile */
    r->ino = st.st_ino;
    if (r->sid != sid) r->ino = 0; /* reused as we wrote: the new socket has none yet */
    return st.st_ino;
}

/* True if this sample has counted r already (another fd of a dup'ed
 * socket): a per-sample mark in the record. */
static uint16_t sample_mark;
static bool seen_before(struct sock_rec *r)
{
    if (atomic_load_explicit(&r->refs, memory_order_relaxed) < 2) return false;
    if (r->sample_mark == sample_mark) return true;
    r->sample_mark = sample_mark;
    return false;
}

/* A connection the program holds (not a listener, not a socket never
 * connected). */
static bool rec_connected(const struct sock_rec *r)
{
    return r->role == ROLE_CLIENT || r->role == ROLE_ACCEPTED || r->role == ROLE_RECEIVED;
}

/* Sets mark in r's flags if r still holds socket sid (else leaves none). */
static bool rec_mark(struct sock_rec *r, uint64_t sid, uint8_t mark)
{
    __atomic_fetch_or(&r->flags, mark, __ATOMIC_RELAXED);
    if (r->sid == sid) return true;
    __atomic_fetch_and(&r->flags, (uint8_t)~mark, __ATOMIC_RELAXED); /* not the new socket's */
    return false;
}

/* An idle connected stream socket whose receive queue holds bytes the
 * program never read (an unread response, a request nobody answered):
 * written once, as a ktcp record with its state and those bytes. Returns
 * true if it asked the kernel (one ioctl: a few µs). */
static bool unread_check(struct sock_rec *r, int fd, uint64_t now)
{
    uint64_t period = (uint64_t)cl_cfg.sample_ms * 1000000u;
    uint64_t last = atomic_load_explicit(&r->last_io, memory_order_relaxed);
    if (r->type != SOCK_STREAM || (r->flags & REC_UNREAD_SEEN) || r->kstate > TCP_ESTABLISHED ||
        !rec_connected(r) || atomic_load_explicit(&r->eof, memory_order_relaxed) ||
        (last ? last : r->opened) >= now || now - (last ? last : r->opened) < period)
        return false; /* (used since `now` was read: not idle) */
    int n = 0;
    uint64_t sid = r->sid;
    if (syscall(SYS_ioctl, fd, FIONREAD, &n) != 0 || n <= 0) return true;
    if (fdtable_get(fd) != r || r->sid != sid) return true; /* closed meanwhile */
    if (rec_mark(r, sid, REC_UNREAD_SEEN)) ev_ktcp(r, sid, "ESTABLISHED", (uint32_t)n);
    return true;
}

/* ---- reasons to walk the kernel's sockets ---- */

/* A walk costs about 1 ms per address family (the kernel walks its whole
 * connection hash table) and 0.2 us per socket of the host in the states
 * asked for (others' included), so it runs only when there
 * is a reason: a tracked connection whose peer has closed it (the program
 * read EOF, or poll says POLLRDHUP) and that the kernel (TCP_INFO, one
 * getsockopt) puts in a state the walk reports, or TIME_WAIT sockets the
 * program may have left (a connection closed first in the last 60 s). A
 * socket still ESTABLISHED (the program's shutdown(SHUT_RD)) is no reason
 * and is looked at again at the next POLLRDHUP (once only after an EOF
 * read: REC_EOF_ASKED); one in CLOSE (reset, a refused connect, both sides
 * done) is written as such without a walk, as the walk does not list it;
 * any other is a reason once (REC_KASKED). Its inode is learnt then
 * (fstat), so that the walk can join it. */
static bool suspect_new;

/* This round's reasons, to look at again after the walk (a socket may
 * reach CLOSE, which the walk does not list, before it; a walk may fail). */
#define SUSPECT_MAX 256
static struct {
    uint64_t sid;
    uint32_t idx; /* record index + 1 */
    int fd;
} suspects[SUSPECT_MAX];
static unsigned int nsuspects;

/* The kernel's TCP state of r behind fd, or 0 if it cannot be asked. */
static int tcp_state(struct sock_rec *r, int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    uint64_t sid = r->sid;
    if (syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 || len < 1) return 0;
    if (fdtable_get(fd) != r || r->sid != sid) return 0; /* closed meanwhile */
    return ti.tcpi_state;
}

/* A state learnt from the socket itself rather than from the walk. */
static void kstate_write(struct sock_rec *r, uint64_t sid, int state, uint32_t rq)
{
    r->kstate = (uint8_t)state;
    if (r->sid == sid)
        ev_ktcp(r, sid, sockdiag_state_name(state), rq);
    else
        r->kstate = 0; /* reused as we wrote */
}

/* from_poll: POLLRDHUP (asked again each round while ESTABLISHED, bounded
 * by the fd windows); else an EOF read (asked once while ESTABLISHED). */
static void suspect_check(struct sock_rec *r, int fd, bool from_poll)
{
    if (!join || r->type != SOCK_STREAM || (r->family != AF_INET && r->family != AF_INET6) ||
        (r->flags & REC_KASKED) || r->kstate > TCP_SYN_SENT || ev_is_quiet(r) ||
        (!from_poll && (r->flags & REC_EOF_ASKED)) || !rec_connected(r))
        return;
    uint64_t sid = r->sid;
    int state = tcp_state(r, fd);
    if (state == TCP_ESTABLISHED && !from_poll) rec_mark(r, sid, REC_EOF_ASKED);
    if (state == 0 || state == TCP_ESTABLISHED || !rec_mark(r, sid, REC_KASKED)) return;
    if (state == TCP_CLOSE) {
        kstate_write(r, sid, TCP_CLOSE, 0);
        return;
    }
    uint32_t idx = (uint32_t)(r - cl_fdt.recs) + 1;
    uint64_t ino = rec_inode(r, fd);
    if (ino) join_put(ino, idx, sid);
    if (nsuspects < SUSPECT_MAX)
        suspects[nsuspects].sid = sid, suspects[nsuspects].idx = idx, suspects[nsuspects++].fd = fd;
    suspect_new = true;
}

/* After a walk: a reason the walk did not join (it reached CLOSE, which
 * the walk does not list, or its inode was not learnt) is written from the
 * socket itself; if the walk failed, each is a reason again. */
static void suspects_after_walk(bool walked)
{
    for (unsigned int i = 0; i < nsuspects; i++) {
        struct sock_rec *r = &cl_fdt.recs[suspects[i].idx - 1];
        uint64_t sid = suspects[i].sid;
        int fd = suspects[i].fd, n = 0;
        if (r->sid != sid || r->kstate > TCP_SYN_SENT) continue; /* closed, or seen */
        if (!walked) {
            __atomic_fetch_and(&r->flags, (uint8_t)~REC_KASKED, __ATOMIC_RELAXED);
            continue;
        }
        int state = fdtable_get(fd) == r ? tcp_state(r, fd) : 0;
        if (state <= TCP_ESTABLISHED) continue;
        if (state != TCP_CLOSE && syscall(SYS_ioctl, fd, FIONREAD, &n) != 0) n = 0;
        kstate_write(r, sid, state, n > 0 ? (uint32_t)n : 0);
    }
    nsuspects = 0;
}

/* The idle sockets are asked a few per sample, round robin, so that a
 * sample's cost does not grow with them (10,000 idle sockets: each is
 * asked every 5 minutes at one sample a second). */
#define UNREAD_PER_SAMPLE 32
static unsigned int unread_cursor;

/* Counts the live sockets; with the join table, indexes those whose inode
 * is known for the kernel's walk and notes the ones that read EOF; asks
 * idle ones for their unread bytes. */
static void sample_live(struct sample *s)
{
    uint64_t now = clock_since_start();
    unsigned int asked = 0, next_cursor = 0;
    unsigned int hi = atomic_load(&cl_fd_high);
    if (join && ++join_gen == 0) join_gen = 1;
    if (++sample_mark == 0) sample_mark = 1;
    for (unsigned int fd = 0; fd < hi; fd++) {
        uint32_t idx = atomic_load_explicit(&cl_fdt.slots[fd].rec, memory_order_acquire);
        if (!idx) continue;
        struct sock_rec *r = &cl_fdt.recs[idx - 1];
        if (seen_before(r)) continue;
        if (ev_is_quiet(r) && now > r->opened &&
            now - r->opened > (uint64_t)cl_cfg.sample_ms * 1000000u)
            ev_promote(r, (int)fd); /* lived a sample period: in the trace from now on */
        if (fd >= unread_cursor && asked < UNREAD_PER_SAMPLE && !ev_is_quiet(r) &&
            unread_check(r, (int)fd, now) && ++asked == UNREAD_PER_SAMPLE)
            next_cursor = fd + 1; /* the next sample goes on from here */
        if (atomic_load_explicit(&r->eof, memory_order_relaxed)) suspect_check(r, (int)fd, false);
        if (join && r->ino) join_put(r->ino, idx, r->sid);
        s->socks++;
        s->roles[r->role <= ROLE_RECEIVED ? r->role : 0]++;
        struct count *c = count_add(s->sites, &s->nsites, 32, r->stk);
        if (c) c->n++, c->stk = r->stk;
        if (r->role == ROLE_CLIENT && r->peer.family && r->kstate <= TCP_ESTABLISHED) {
            c = count_add(s->peers, &s->npeers, 32, addr_hash(&r->peer));
            if (c) c->n++, c->peer = r->peer;
        }
    }
    unread_cursor = next_cursor; /* 0: round done, start again */
}

/* One kernel socket: joined to a tracked one by inode, or a TIME_WAIT
 * matched to a connection the program closed. */
static int sample_kernel_one(const struct sockdiag_sock *k, void *arg)
{
    struct sample *s = arg;
    if (k->state == TCP_TIME_WAIT) { /* matched by timewait.c */
        tw_walk_sock(k->family, k->dst, k->dport, k->sport);
        return 0;
    }
    uint64_t sid = 0;
    struct sock_rec *r = k->inode ? join_get(k->inode, &sid) : NULL;
    if (!r) return 0;
    if (ev_is_quiet(r)) return 0; /* young and not in the trace: seen again next time */
    if (k->state >= 1 && k->state <= TCP_CLOSING) s->tcp[k->state]++;
    if (!r->local.port && r->sid == sid) addr_from_raw(&r->local, k->family, k->src, k->sport);
    if (r->kstate != k->state && r->sid == sid) {
        bool first = r->kstate == 0;
        r->kstate = (uint8_t)k->state;
        if (r->sid != sid) { /* reused as we wrote: the new socket's state is unknown */
            r->kstate = 0;
            return 0;
        }
        if (!(first && (k->state == TCP_ESTABLISHED || k->state == TCP_LISTEN)))
            ev_ktcp(r, sid, sockdiag_state_name(k->state), k->unread);
    }
    return 0;
}

/* The n largest counts first (n is small: insertion sort). */
void counts_sort(struct count *c, unsigned int n)
{
    for (unsigned int i = 1; i < n; i++)
        for (unsigned int j = i; j > 0 && c[j].n > c[j - 1].n; j--) {
            struct count t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- open fds, a window at a time ---- */

/* Open fds of this process: poll() over the fd numbers (POLLNVAL = not
 * open), a window of FD_WINDOW numbers at a time, up to the first empty
 * window past the highest tracked fd (fds are handed out lowest first:
 * open ones are dense). Listing /proc/self/fd costs ten times more. A
 * sample polls windows until it has polled FD_POLL_OPEN open fds (about
 * 0.45 us each), so a count of 10,000 fds is spread over 40 samples; between
 * counts the last one is moved by the change in tracked sockets (before the
 * first: the fds polled so far plus the tracked sockets beyond). The same
 * poll asks for POLLRDHUP. */
#define FD_WINDOW     256
#define FD_POLL_OPEN  256
#define FD_WINDOW_MAX 16 /* windows per sample: sparse fds cost a few us each */
static struct {
    unsigned int next;   /* first fd number of the next window, 0 = a new round */
    int open;            /* open fds counted so far in this round */
    int last;            /* the last round's count, or -errno */
    bool counted;        /* a round has ended */
    uint32_t last_socks; /* tracked sockets when it ended */
} fdc;

/* One window from fdc.next; returns its open fds, or -errno. A tracked
 * socket with POLLRDHUP is a reason for a walk if the fd still holds the
 * socket it held before the poll (the number may be closed and reused). */
static int fd_window(unsigned int window)
{
    static struct pollfd pf[FD_WINDOW];
    static uint64_t sid_before[FD_WINDOW];
    unsigned int hi = atomic_load(&cl_fd_high);
    for (unsigned int i = 0; i < window; i++) {
        unsigned int fd = fdc.next + i;
        uint32_t idx = fd < hi ? atomic_load(&cl_fdt.slots[fd].rec) : 0;
        sid_before[i] = idx ? cl_fdt.recs[idx - 1].sid : 0;
        pf[i] = (struct pollfd){(int)fd, POLLRDHUP, 0};
    }
    long rc;
    /* the exiting thread runs the last sample with its signals open */
    while ((rc = syscall(SYS_poll, pf, window, 0)) < 0 && errno == EINTR) {
    }
    if (rc < 0) return -errno;
    int open = 0;
    for (unsigned int i = 0; i < window; i++) {
        if (pf[i].revents & POLLNVAL) continue;
        open++;
        if (!(pf[i].revents & POLLRDHUP) || !sid_before[i]) continue;
        struct sock_rec *r = fdtable_get(pf[i].fd);
        if (r && r->sid == sid_before[i]) suspect_check(r, pf[i].fd, true);
    }
    return open;
}

static int sample_fds(uint32_t socks, uint64_t nofile, bool *exact)
{
    /* poll refuses more entries than RLIMIT_NOFILE */
    unsigned int window = nofile && nofile < FD_WINDOW ? (unsigned int)nofile : FD_WINDOW;
    unsigned int hi = atomic_load(&cl_fd_high);
    bool whole = fdc.next == 0;
    int polled = 0;
    for (int windows = 0; polled < FD_POLL_OPEN && windows < FD_WINDOW_MAX; windows++) {
        int open = fd_window(window);
        if (open < 0 || (open == 0 && fdc.next >= hi) || fdc.next + window >= (1u << 24)) {
            fdc.last = open < 0 ? open : fdc.open + open; /* the round ends */
            fdc.counted = true, fdc.last_socks = socks;
            fdc.open = 0, fdc.next = 0;
            *exact = whole && open >= 0;
            return fdc.last;
        }
        fdc.open += open, polled += open;
        fdc.next += window;
    }
    *exact = false;
    if (fdc.counted) {
        int est = fdc.last + (int)(socks - fdc.last_socks);
        return fdc.last < 0 ? fdc.last : est < 0 ? 0 : est;
    }
    /* no count yet: the fds polled so far and the tracked sockets beyond */
    int beyond = 0;
    for (unsigned int fd = fdc.next; fd < hi; fd++)
        beyond += atomic_load_explicit(&cl_fdt.slots[fd].rec, memory_order_relaxed) != 0;
    return fdc.open + beyond;
}

/* ---- the kernel's walk ---- */

/* When there is a reason, the walk runs every `every`-th sample, `every`
 * set from its last cost so that it averages under WALK_BUDGET_US a sample,
 * and at least every 5 s whatever it costs. */
#define WALK_BUDGET_US 100
static uint32_t walk_left;

static void walk_ran(uint64_t cost_us)
{
    uint64_t e = cost_us / WALK_BUDGET_US + 1, most = 5000 / (uint64_t)cl_cfg.sample_ms;
    if (most < 1) most = 1;
    walk_left = (uint32_t)(e > most ? most : e) - 1;
}

/* The tracked sockets that left ESTABLISHED (CLOSE_WAIT above all), and
 * with want_tw the program's TIME_WAIT sockets. */
static void sample_walk(struct sample *s, bool want_tw, struct sample_counts *out)
{
    static char diag_buf[SOCKDIAG_BUF_SIZE];
    uint64_t c = thread_cpu_ns();
    /* ESTABLISHED and LISTEN are what most sockets are, and what the fd
     * table knows already: the kernel sends only the others */
    uint32_t states =
        SOCKDIAG_STATES_ALL & ~SOCKDIAG_STATE(TCP_LISTEN) & ~SOCKDIAG_STATE(TCP_ESTABLISHED);
    if (!want_tw) states &= ~SOCKDIAG_STATE(TCP_TIME_WAIT);
    tw_walk_begin(want_tw);
    suspect_new = false;
    /* no IPv6 socket ever: the AF_INET6 dump would only cost its ~1 ms;
     * refused (seccomp, a container without netlink): no kernel view */
    unsigned flags = atomic_load(&cl_inet6_seen) ? 0 : SOCKDIAG_INET_ONLY;
    if (sockdiag_dump_all(states, flags, diag_buf, sizeof(diag_buf), sample_kernel_one, s) < 0)
        out->kernel = false;
    out->tw_read = out->kernel && want_tw;
    suspects_after_walk(out->kernel);
    s->tcp[TCP_TIME_WAIT] += tw_walk_end(out);
    walk_ran((thread_cpu_ns() - c) / 1000);
}

/* final: the exit's last sample, which reads the kernel whatever the pace */
static void sample_take(bool final)
{
    struct sample s;
    memset(&s, 0, sizeof(s));
    struct sample_counts out;
    memset(&out, 0, sizeof(out));
    uint64_t t0 = clock_now_ns(), c0 = thread_cpu_ns();
    struct rlimit rl = {0, 0};
    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl);
    uint64_t nofile = rl.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)rl.rlim_cur;
    bool tw_first, tw_want = tw_age(clock_since_start(), &tw_first);
    sample_live(&s);
    out.fds = sample_fds(s.socks, nofile, &out.fds_exact);
    if (walk_left) walk_left--;
    /* the first close that leaves a TIME_WAIT socket brings the walk
     * forward: the sockets last 60 s, a paced walk may come too late */
    out.kernel = join && ((!walk_left && (suspect_new || tw_want)) || tw_first || final);
    if (out.kernel) sample_walk(&s, tw_want, &out);
    counts_sort(s.sites, s.nsites);
    counts_sort(s.peers, s.npeers);
    out.nofile = nofile;
    out.socks = s.socks;
    out.roles = s.roles;
    out.tcp = s.tcp;
    for (unsigned int i = 0; i < s.nsites && i < TOP_MAX; i++)
        out.site_stk[i] = s.sites[i].stk, out.site_n[i] = s.sites[i].n, out.nsites++;
    for (unsigned int i = 0; i < s.npeers && i < TOP_MAX; i++)
        out.peer[i] = &s.peers[i].peer, out.peer_n[i] = s.peers[i].n, out.npeers++;
    out.cost_us = (thread_cpu_ns() - c0) / 1000;
    out.wall_us = (clock_now_ns() - t0) / 1000;
    /* the counted closes first: an agg record then never spans the sample
     * (its closes before a TIME_WAIT read would count as after it) */
    agg_flush();
    ev_sample(&out);
    prom_sample(&out);
}

/* Called by the flusher thread at each wake-up: takes a sample when due. */
void sampler_tick(void)
{
    if (!trace_is_open()) return;
    uint64_t now = clock_now_ns();
    uint64_t period = (uint64_t)(cl_cfg.sample_ms ? cl_cfg.sample_ms : 1000) * 1000000ull;
    if (!next_due) next_due = cl_start_ns + period; /* the first one period after start */
    if (now < next_due) return;
    next_due = now + period;
    if (!cl_cfg.sample_ms) {
        agg_flush(); /* sampling off: the counters still go out every second */
        return;
    }
    sample_take(false);
}

/* At exit (lifecycle_finish, the flusher held off): a last sample that reads
 * TIME_WAIT when some (peer, stack) closed at least CONNLEAK_TW_MIN
 * connections first since the last walk that did, and that walk (if any)
 * found fewer of that site's: a program that ends before its first sample
 * leaves its storm in the kernel for 60 s, unseen. A storm a walk found
 * already keeps its peak, without a second walk at exit. */
void sampler_final(void)
{
    if (!cl_cfg.sample_ms || !join || !trace_is_open()) return;
    if (!tw_read_owed((uint64_t)cl_cfg.tw_min)) return;
    sample_take(true);
}

/* A fork child samples on its own schedule, from its first wake-up. */
void sampler_after_fork_child(void)
{
    next_due = 0;
    memset(&fdc, 0, sizeof(fdc));
    walk_left = 0;
    suspect_new = false;
    nsuspects = 0;
    unread_cursor = 0;
    tw_after_fork_child();
}
