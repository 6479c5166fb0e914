/* sampler.c - the kernel's view of the program's sockets, over time.
 *
 * Every CONNLEAK_SAMPLE_MS (default 1000, 0 = off) the flusher thread
 * (lifecycle.c: signals blocked, its own, restarted after fork) takes a
 * sample: open fds and RLIMIT_NOFILE, tracked sockets by role, live sockets
 * per opening stack, connections per peer, and from netlink sock_diag
 * (common/sockdiag.c) the tracked sockets that left ESTABLISHED, joined to
 * the fd table by inode (the kernel filters the states: a sample costs
 * little when most sockets are healthy). A socket whose kernel state
 * changes gets a `ktcp` record (a CLOSE_WAIT socket is known with the time
 * it got there and its unread bytes); the counts go into one `sample`
 * record. TIME_WAIT sockets have no inode: the program's closes of
 * connections it closed first are counted per peer and opening stack
 * (tw_note_close, from the close path, no system call), and the kernel's
 * TIME_WAIT sockets towards a peer are shared out among the sites that
 * closed connections to it in the last 60 s, never more than they closed.
 *
 * Memory is mapped once at start-up (the inode join table); nothing here
 * allocates. */
#define _GNU_SOURCE
#include "connleak.h"
#include "sockdiag.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define JOIN_BITS                                                                                  \
    16 /* inode join table: 65,536 slots, sockets beyond half of it are not joined                 \
        */
#define JOIN_CAP (1u << JOIN_BITS)
#define TOP_MAX  8  /* sites / peers listed per sample */
#define TW_MAX   16 /* TIME_WAIT groups per sample */

struct join_ent {
    uint64_t ino;
    uint64_t sid; /* the socket the record held when joined */
    uint32_t rec; /* index + 1 */
    uint32_t gen;
};

/* Per peer and opening stack: the connections the program closed first
 * (each leaves a TIME_WAIT socket for 60 s), with a history of the count
 * at past samples to know how many of them are younger than 60 s. */
#define TW_SITES 64
#define TW_HIST  128 /* samples remembered: 60 s at periods down to 0.5 s */
struct tw_site {
    _Atomic uint64_t key; /* peer_key ^ stk << 40; 0 = free */
    _Atomic uint64_t closes;
    struct cl_addr peer;
    _Atomic uint32_t stk;
    /* sampler only */
    uint64_t hist_closes[TW_HIST], hist_ts[TW_HIST];
    unsigned int hist_pos;
    uint64_t recent; /* closes in the last 60 s, at this sample */
};

static struct join_ent *join;
static uint32_t join_gen;
static struct tw_site tw_sites[TW_SITES];
static _Atomic int tw_any; /* a connection was closed first: TIME_WAIT is worth asking for */
static uint64_t next_due;

int sampler_init(void)
{
    if (!cl_cfg.sample_ms) return 0;
    void *m = mmap(NULL, JOIN_CAP * sizeof(*join), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    join = m == MAP_FAILED ? NULL : m;
    return join ? 0 : -1;
}

static uint64_t peer_key(const struct cl_addr *a)
{
    return addr_hash(a) | 1u; /* never 0 */
}

/* The last fd of TCP socket r is being closed by the program. If the peer
 * had not closed first, the socket lingers in TIME_WAIT: counted per peer
 * and opening stack (no system call: the local port is not asked for). */
void tw_note_close(const struct sock_rec *r)
{
    if (!cl_cfg.sample_ms || r->type != SOCK_STREAM || r->role != ROLE_CLIENT) return;
    if (!r->peer.family || atomic_load_explicit(&r->eof, memory_order_relaxed)) return;
    uint64_t key = peer_key(&r->peer) ^ ((uint64_t)r->stk << 40);
    for (unsigned int i = (unsigned int)(key % TW_SITES), n = 0; n < TW_SITES;
         i = (i + 1) % TW_SITES, n++) {
        struct tw_site *t = &tw_sites[i];
        uint64_t k = atomic_load_explicit(&t->key, memory_order_acquire);
        if (k == 0) {
            uint64_t zero = 0;
            if (!atomic_compare_exchange_strong(&t->key, &zero, key) && zero != key) continue;
            if (zero == 0) { /* ours: the sampler reads peer once stk is set */
                t->peer = r->peer;
                atomic_store_explicit(&t->stk, r->stk ? r->stk : UINT32_MAX, memory_order_release);
            }
        } else if (k != key) {
            continue;
        }
        atomic_fetch_add_explicit(&t->closes, 1, memory_order_relaxed);
        if (!atomic_load_explicit(&tw_any, memory_order_relaxed)) atomic_store(&tw_any, 1);
        return;
    }
}

/* A peer some site of ours closed connections to (the host may hold
 * thousands of TIME_WAIT sockets towards others). */
static bool tw_peer_ours(uint64_t key)
{
    for (unsigned int i = 0; i < TW_SITES; i++)
        if (atomic_load_explicit(&tw_sites[i].stk, memory_order_acquire) && tw_sites[i].recent &&
            peer_key(&tw_sites[i].peer) == key)
            return true;
    return false;
}

/* Each site's closes of the last 60 s (the TIME_WAIT period on Linux). */
static void tw_sites_age(uint64_t now)
{
    for (unsigned int i = 0; i < TW_SITES; i++) {
        struct tw_site *t = &tw_sites[i];
        if (!atomic_load_explicit(&t->stk, memory_order_acquire)) continue;
        uint64_t closes = atomic_load_explicit(&t->closes, memory_order_relaxed), base = 0;
        unsigned int prev = (t->hist_pos + TW_HIST - 1) % TW_HIST;
        if (now - t->hist_ts[prev] >= 500000000ull) { /* 0.5 s apart: 128 cover 64 s */
            t->hist_closes[t->hist_pos] = closes;
            t->hist_ts[t->hist_pos] = now;
            t->hist_pos = (t->hist_pos + 1) % TW_HIST;
        }
        /* the newest count older than 60 s: what had closed before the window */
        uint64_t best_ts = 0;
        for (unsigned int h = 0; h < TW_HIST; h++)
            if (t->hist_ts[h] && now - t->hist_ts[h] > 60000000000ull && t->hist_ts[h] > best_ts)
                best_ts = t->hist_ts[h], base = t->hist_closes[h];
        t->recent = closes - base;
    }
}

/* ---- one sample ---- */

struct count {
    uint64_t key; /* stk, or peer key */
    uint32_t n, stk;
    struct cl_addr peer;
};

struct sample {
    uint32_t roles[ROLE_RECEIVED + 1];
    uint32_t tcp[TCP_CLOSING + 1];
    struct count sites[32], peers[32], tw[TW_MAX], tw_peers[32];
    unsigned int nsites, npeers, ntw, ntw_peers;
    uint32_t joined, socks;
};

static struct count *count_add(struct count *c, unsigned int *n, unsigned int cap, uint64_t key)
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
        struct sock_rec *r = &cl_recs[join[i].rec - 1];
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

/* An idle connected stream socket whose receive queue holds bytes the
 * program never read (an unread response, a request nobody answered):
 * written once, as a ktcp record with its state and those bytes. Returns
 * true if it asked the kernel (one ioctl: a few µs). */
static bool unread_check(struct sock_rec *r, int fd, uint64_t now)
{
    uint64_t period = (uint64_t)cl_cfg.sample_ms * 1000000u;
    uint64_t last = atomic_load_explicit(&r->last_io, memory_order_relaxed);
    if (r->type != SOCK_STREAM || (r->flags & REC_UNREAD_SEEN) || r->kstate > TCP_ESTABLISHED ||
        (r->role != ROLE_CLIENT && r->role != ROLE_ACCEPTED && r->role != ROLE_RECEIVED) ||
        atomic_load_explicit(&r->eof, memory_order_relaxed) || (last ? last : r->opened) >= now ||
        now - (last ? last : r->opened) < period)
        return false; /* (used since `now` was read: not idle) */
    int n = 0;
    uint64_t sid = r->sid;
    if (syscall(SYS_ioctl, fd, FIONREAD, &n) != 0 || n <= 0) return true;
    if (fdtable_get(fd) != r || r->sid != sid) return true; /* closed meanwhile */
    __atomic_fetch_or(&r->flags, REC_UNREAD_SEEN, __ATOMIC_RELAXED);
    if (r->sid != sid) return true; /* reused as we looked */
    ev_ktcp(r, sid, "ESTABLISHED", (uint32_t)n);
    return true;
}

/* The idle sockets are asked a few per sample, round robin, so that a
 * sample's cost does not grow with them (10,000 idle sockets: each is
 * asked every 5 minutes at one sample a second). */
#define UNREAD_PER_SAMPLE 32
static unsigned int unread_cursor;

/* Counts the live sockets; with join, indexes them by inode for the
 * kernel's dump; with unread, asks idle ones for their unread bytes. */
static void sample_live(struct sample *s, bool with_join)
{
    uint64_t now = clock_since_start();
    unsigned int asked = 0, next_cursor = 0;
    unsigned int hi = atomic_load(&cl_fd_high);
    if (with_join && ++join_gen == 0) join_gen = 1;
    if (++sample_mark == 0) sample_mark = 1;
    for (unsigned int fd = 0; fd < hi; fd++) {
        uint32_t idx = atomic_load_explicit(&cl_slots[fd].rec, memory_order_acquire);
        if (!idx) continue;
        struct sock_rec *r = &cl_recs[idx - 1];
        if (seen_before(r)) continue;
        if (ev_is_quiet(r) && now > r->opened &&
            now - r->opened > (uint64_t)cl_cfg.sample_ms * 1000000u)
            ev_promote(r, (int)fd); /* lived a sample period: in the trace from now on */
        if (fd >= unread_cursor && asked < UNREAD_PER_SAMPLE && !ev_is_quiet(r) &&
            unread_check(r, (int)fd, now) && ++asked == UNREAD_PER_SAMPLE)
            next_cursor = fd + 1; /* the next sample goes on from here */
        uint64_t ino = with_join ? rec_inode(r, (int)fd) : 0;
        if (ino) join_put(ino, idx, r->sid);
        s->socks++;
        s->roles[r->role <= ROLE_RECEIVED ? r->role : 0]++;
        struct count *c = count_add(s->sites, &s->nsites, 32, r->stk);
        if (c) c->n++, c->stk = r->stk;
        if (r->role == ROLE_CLIENT && r->peer.family && r->kstate <= TCP_ESTABLISHED) {
            c = count_add(s->peers, &s->npeers, 32, peer_key(&r->peer));
            if (c) c->n++, c->peer = r->peer;
        }
    }
    unread_cursor = next_cursor; /* 0: round done, start again */
}

static void addr_from_diag(struct cl_addr *a, int family, const uint8_t *ip, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    a->family = (uint16_t)family;
    a->port = port;
    memcpy(a->a, ip, family == AF_INET ? 4 : 16);
}

/* One kernel socket: joined to a tracked one by inode, or a TIME_WAIT
 * matched to a connection the program closed. */
static int sample_kernel_one(const struct sockdiag_sock *k, void *arg)
{
    struct sample *s = arg;
    if (k->state == TCP_TIME_WAIT) { /* counted per peer, shared out after the dump */
        struct cl_addr peer;
        addr_from_diag(&peer, k->family, k->dst, k->dport);
        uint64_t key = peer_key(&peer);
        if (!tw_peer_ours(key)) return 0; /* the host's other TIME_WAIT sockets */
        struct count *c = count_add(s->tw_peers, &s->ntw_peers, 32, key);
        if (c) c->n++, c->peer = peer;
        return 0;
    }
    uint64_t sid = 0;
    struct sock_rec *r = k->inode ? join_get(k->inode, &sid) : NULL;
    if (!r) return 0;
    s->joined++;
    if (ev_is_quiet(r)) return 0; /* young and not in the trace: seen again next time */
    if (k->state >= 1 && k->state <= TCP_CLOSING) s->tcp[k->state]++;
    if (!r->local.port && r->sid == sid) addr_from_diag(&r->local, k->family, k->src, k->sport);
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

/* The TIME_WAIT sockets towards each peer go to the sites that closed
 * connections to it in the last 60 s, each at most as many as it closed
 * (other processes may talk to the same peer). Exact when the program is
 * the only one; never more than it closed. */
static void tw_share(struct sample *s)
{
    for (unsigned int p = 0; p < s->ntw_peers; p++) {
        uint64_t left = s->tw_peers[p].n;
        for (unsigned int i = 0; i < TW_SITES && left; i++) {
            struct tw_site *t = &tw_sites[i];
            uint32_t stk = atomic_load_explicit(&t->stk, memory_order_acquire);
            if (!stk || !t->recent || peer_key(&t->peer) != s->tw_peers[p].key) continue;
            uint64_t n = t->recent < left ? t->recent : left;
            left -= n;
            struct count *c = count_add(s->tw, &s->ntw, TW_MAX, t->key);
            if (c) c->n += (uint32_t)n, c->stk = stk == UINT32_MAX ? 0 : stk, c->peer = t->peer;
            s->tcp[TCP_TIME_WAIT] += (uint32_t)n;
        }
    }
}

/* The n largest counts first (n is small: insertion sort). */
static void counts_sort(struct count *c, unsigned int n)
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

/* Open fds of this process: one poll() over the fd numbers in chunks
 * (POLLNVAL = not open), up to the first empty chunk past the highest
 * tracked fd; fds are handed out lowest first, so open ones are dense.
 * Listing /proc/self/fd costs ten times more (it builds every entry). */
static int fd_count(uint64_t nofile)
{
    static struct pollfd pf[1024];
    /* poll refuses more entries than RLIMIT_NOFILE */
    unsigned int chunk = nofile && nofile < 1024 ? (unsigned int)nofile : 1024;
    unsigned int hi = atomic_load(&cl_fd_high), n = 0;
    for (unsigned int base = 0; base < (1u << 24); base += chunk) {
        for (unsigned int i = 0; i < chunk; i++) pf[i] = (struct pollfd){(int)(base + i), 0, 0};
        if (syscall(SYS_poll, pf, chunk, 0) < 0) return -errno;
        unsigned int open = 0;
        for (unsigned int i = 0; i < chunk; i++) open += !(pf[i].revents & POLLNVAL);
        n += open;
        if (!open && base >= hi) break;
    }
    return (int)n;
}

/* The two costly parts of a sample, the fd count and the kernel's dump,
 * grow with the number of fds / sockets (about 0.5 us per fd and 0.3 us
 * per socket of the host). Each runs every `every`-th sample, `every` set
 * from its last cost so that it averages under PART_BUDGET_US a sample. */
#define PART_BUDGET_US 100
struct part {
    uint32_t every, left;
};

static bool part_due(struct part *p)
{
    if (p->left) {
        p->left--;
        return false;
    }
    return true;
}

/* most_ms: whatever it costs, the part runs at least that often. */
static void part_ran(struct part *p, uint64_t cost_us, uint64_t most_ms)
{
    uint64_t e = cost_us / PART_BUDGET_US + 1, most = most_ms / (uint64_t)cl_cfg.sample_ms;
    if (most < 1) most = 1;
    if (e > most) e = most;
    p->every = (uint32_t)e;
    p->left = p->every - 1;
}

static struct part fd_part, kernel_part;
static bool tw_walked; /* a kernel walk has asked for TIME_WAIT sockets */
static int last_fds;
static uint32_t last_socks;

/* Open fds: counted, or between counts the last count moved by the
 * change in tracked sockets. */
static int sample_fds(uint32_t socks, uint64_t nofile, bool *exact)
{
    *exact = part_due(&fd_part);
    if (!*exact) return last_fds + (int)(socks - last_socks);
    uint64_t c = thread_cpu_ns();
    last_fds = fd_count(nofile);
    last_socks = socks;
    part_ran(&fd_part, (thread_cpu_ns() - c) / 1000, 60000);
    return last_fds;
}

static void sample_take(void)
{
    static char diag_buf[SOCKDIAG_BUF_SIZE];
    struct sample s;
    memset(&s, 0, sizeof(s));
    uint64_t t0 = clock_now_ns(), c0 = thread_cpu_ns();
    struct rlimit rl = {0, 0};
    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl);
    /* the first close that leaves a TIME_WAIT socket brings the kernel's
     * view forward: the sockets last 60 s, a paced walk may come too late */
    bool tw_new = atomic_load(&tw_any) && !tw_walked;
    bool kernel = join && (part_due(&kernel_part) || tw_new);
    sample_live(&s, kernel);
    bool fds_exact;
    int fds = sample_fds(s.socks, rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur, &fds_exact);
    if (kernel) {
        uint64_t c = thread_cpu_ns();
        tw_sites_age(clock_since_start());
        /* ESTABLISHED and LISTEN are what most sockets are, and what the
         * fd table knows already: the kernel sends only the others (and
         * TIME_WAIT only once the program has closed a connection first) */
        uint32_t states =
            SOCKDIAG_STATES_ALL & ~SOCKDIAG_STATE(TCP_LISTEN) & ~SOCKDIAG_STATE(TCP_ESTABLISHED);
        if (!atomic_load(&tw_any))
            states &= ~SOCKDIAG_STATE(TCP_TIME_WAIT);
        else
            tw_walked = true;
        sockdiag_dump_all(states, 0, diag_buf, sizeof(diag_buf), sample_kernel_one, &s);
        tw_share(&s);
        part_ran(&kernel_part, (thread_cpu_ns() - c) / 1000, 5000);
    }
    counts_sort(s.sites, s.nsites);
    counts_sort(s.peers, s.npeers);
    counts_sort(s.tw, s.ntw);
    struct sample_counts out = {
        .fds = fds,
        .fds_exact = fds_exact,
        .kernel = kernel,
        .nofile = rl.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)rl.rlim_cur,
        .socks = s.socks,
        .roles = s.roles,
        .tcp = s.tcp,
        .cost_us = (thread_cpu_ns() - c0) / 1000,
        .wall_us = (clock_now_ns() - t0) / 1000,
    };
    for (unsigned int i = 0; i < s.nsites && i < TOP_MAX; i++)
        out.site_stk[i] = s.sites[i].stk, out.site_n[i] = s.sites[i].n, out.nsites++;
    for (unsigned int i = 0; i < s.npeers && i < TOP_MAX; i++)
        out.peer[i] = &s.peers[i].peer, out.peer_n[i] = s.peers[i].n, out.npeers++;
    for (unsigned int i = 0; i < s.ntw; i++)
        out.tw_peer[i] = &s.tw[i].peer, out.tw_stk[i] = s.tw[i].stk, out.tw_n[i] = s.tw[i].n,
        out.ntw++;
    ev_sample(&out);
    agg_flush();
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
    sample_take();
}

/* A fork child samples on its own schedule, from its first wake-up. */
void sampler_after_fork_child(void)
{
    next_due = 0;
    fd_part = kernel_part = (struct part){0, 0};
    unread_cursor = 0;
    memset(tw_sites, 0, sizeof(tw_sites)); /* the parent's closes are not the child's */
    atomic_store(&tw_any, 0);
    tw_walked = false;
}
