/* timewait.c - the program's connections that end in TIME_WAIT, matched to
 * the kernel's TIME_WAIT sockets.
 *
 * A TCP connection the program closes first lingers 60 s in TIME_WAIT, as a
 * kernel socket without an inode: only its 4-tuple says whose it was. The
 * close path (tw_note_close) counts such closes per peer and opening stack
 * and, with CONNLEAK_TW_EXACT (the default), writes the connection's local
 * port into a table indexed by port (one getsockname unless the port is
 * known already). The sampler's kernel walk hands each TIME_WAIT socket to
 * tw_walk_sock: one whose local port holds an entry for the same peer from
 * the last 65 s is the program's, credited to the stack that opened it;
 * other processes' are ignored. A site that closes more than
 * TW_EXACT_PER_SEC connections in one second pays the getsockname for one
 * close in TW_STRIDE of the rest of that second: the entry carries that
 * weight, the walk credits a match with it, and the counts it gives are
 * marked estimated (`"est":true`; the report says "about"): a churning
 * client's closes cost no system call, its TIME_WAIT sockets are still
 * told from other processes' by their ports. With CONNLEAK_TW_EXACT=0 (no system call at
 * close) the TIME_WAIT sockets towards a peer are shared out among the
 * sites that closed connections to it in the last 60 s, never more than
 * they closed: exact only when no other process talks to that peer.
 *
 * The close path takes no lock: atomic adds and single-word stores. The
 * rest runs on the flusher thread only. */
#define _GNU_SOURCE
#include "preload.h"
#include "config.h"
#include "events.h"
#include "fdtable.h"
#include "sampler.h"
#include "timewait.h"

#include "jsonline.h"
#include "sockdiag.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TW_WINDOW_NS 60000000000ull /* Linux's TIME_WAIT period */

/* Per peer and opening stack: the connections the program closed first,
 * and (without the port table) a history of the count at past samples to
 * know how many of them are younger than 60 s. */
#define TW_SITES         64
#define TW_HIST          128 /* samples remembered: 60 s at periods down to 0.5 s */
#define TW_EXACT_PER_SEC 256 /* closes per site and second that all get a getsockname */
#define TW_STRIDE_LOG    4   /* past them, one in 1 << this */
struct tw_site {
    _Atomic uint64_t key; /* addr_hash(peer) ^ stk << 40; 0 = free */
    _Atomic uint64_t closes;
    _Atomic uint32_t win_sec, win_n; /* closes in the current second (racy: a rate) */
    struct cl_addr peer;
    _Atomic uint32_t stk;
    /* flusher thread only */
    uint64_t hist_closes[TW_HIST], hist_ts[TW_HIST];
    unsigned int hist_pos;
    uint64_t recent; /* closes in the last 60 s, at the last site_age */
    /* the last walk that read TIME_WAIT: the closes when it began (those
     * after may have been missed) and the site's TIME_WAIT sockets it found */
    uint64_t closes_begin, closes_read;
    uint32_t found_read;
    bool begun; /* the site existed when the walk under way began */
};
static struct tw_site tw_sites[TW_SITES];
static _Atomic uint64_t tw_closes_unsited; /* closes beyond the TW_SITES pairs */

/* By local port: the last connection closed first from that port, as one
 * word, peer hash (20 bits) << 44 | stk (24) << 20 | log2 of its weight
 * (4) << 16 | second (16): 512 KiB, mapped once, touched only for the
 * ports used. */
#define PORT_PEER(e) ((uint32_t)((e) >> 44))
#define PORT_STK(e)  ((uint32_t)((e) >> 20) & 0xffffffu)
#define PORT_WLOG(e) ((uint32_t)((e) >> 16) & 0xfu)
#define PORT_SEC(e)  ((uint32_t)(e)&0xffffu)
static _Atomic uint64_t *tw_ports;

/* flusher thread: the closes summed at the last tw_age, and when they last
 * grew; the closes beyond the sites when the walk under way began, and
 * when the last walk that read TIME_WAIT began */
static uint64_t closes_seen, closes_grew_ns, unsited_begin, unsited_read;
static bool closes_grew_once;

static uint32_t peer20(uint64_t key)
{
    return (uint32_t)(key & 0xfffffu) | 1u; /* never 0: a used entry is never 0 */
}

int tw_init(void)
{
    if (!cl_cfg.sample_ms || !cl_cfg.tw_exact) return 0;
    void *m = mmap(NULL, 65536 * sizeof(*tw_ports), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    tw_ports = m == MAP_FAILED ? NULL : m;
    return tw_ports ? 0 : -1; /* without it: shared out per peer */
}

/* The local port of r's connection: known, or asked on fd (-1: not asked). */
static uint16_t local_port(const struct sock_rec *r, int fd)
{
    if (r->local.port && r->local.family == r->family) return r->local.port;
    if (fd < 0) return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int saved = errno;
    long rc = syscall(SYS_getsockname, fd, (struct sockaddr *)&ss, &len);
    errno = saved;
    if (rc != 0 || ss.ss_family != r->family) return 0;
    struct cl_addr a;
    addr_from_sockaddr(&a, (struct sockaddr *)&ss, len);
    return a.port;
}

static void port_note(const struct sock_rec *r, int fd, uint64_t key, uint64_t sec,
                      unsigned int wlog)
{
    uint16_t port = local_port(r, fd);
    if (!port) return;
    uint64_t e = (uint64_t)peer20(key) << 44 | (uint64_t)(r->stk & 0xffffffu) << 20 |
                 (uint64_t)wlog << 16 | (sec & 0xffff);
    atomic_store_explicit(&tw_ports[port], e, memory_order_relaxed);
}

/* Whether this close of site t gets a port entry, and its weight's log2
 * in *wlog: all of a second's first TW_EXACT_PER_SEC, then one in
 * 1 << TW_STRIDE_LOG (a sample that stands for the others). */
static bool port_sampled(struct tw_site *t, uint64_t sec, unsigned int *wlog)
{
    *wlog = 0;
    if (!t) return true; /* the site table is full: every close, exactly */
    if (atomic_load_explicit(&t->win_sec, memory_order_relaxed) != (uint32_t)sec) {
        atomic_store_explicit(&t->win_sec, (uint32_t)sec, memory_order_relaxed);
        atomic_store_explicit(&t->win_n, 0, memory_order_relaxed);
    }
    uint32_t n = atomic_fetch_add_explicit(&t->win_n, 1, memory_order_relaxed);
    if (n < TW_EXACT_PER_SEC) return true;
    *wlog = TW_STRIDE_LOG;
    /* the middle one of each stride: the estimate rounds to the nearest stride */
    return (n - TW_EXACT_PER_SEC) % (1u << TW_STRIDE_LOG) == 1u << (TW_STRIDE_LOG - 1);
}

/* The per-site count of closes; the site, or NULL when the table is full. */
static struct tw_site *site_count(const struct sock_rec *r, uint64_t pkey)
{
    uint64_t key = pkey ^ ((uint64_t)r->stk << 40);
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
        return t;
    }
    return NULL;
}

/* The last fd of TCP client r, still open as fd, is about to be closed. One
 * that never carried a byte may never have connected: a non-blocking
 * connect the peer refused (the retry loop of a client whose backend is
 * down) or still pending. TCP_INFO tells: SYN_SENT, or CLOSE with no
 * round-trip time measured (a handshake that completed measured one; a
 * connection that ended before the close, shut down and then closed by
 * the peer, is CLOSE too, and is in TIME_WAIT). Such a socket leaves no
 * TIME_WAIT: marked (REC_NOCONN: not counted as a close first), and a
 * `conn` record with err ENOTCONN tells the report. A socket that carried
 * I/O pays nothing. */
void tw_check_connected(struct sock_rec *r, int fd)
{
    if (r->type != SOCK_STREAM || r->role != ROLE_CLIENT) return;
    if (r->peer.family != AF_INET && r->peer.family != AF_INET6) return;
    if (atomic_load_explicit(&r->last_io, memory_order_relaxed)) return;
    if (atomic_load_explicit(&r->eof, memory_order_relaxed)) return;
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    int saved = errno;
    long rc = syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
    errno = saved;
    if (rc != 0 || len < offsetof(struct tcp_info, tcpi_rtt) + sizeof(ti.tcpi_rtt)) return;
    if (ti.tcpi_state != TCP_SYN_SENT && (ti.tcpi_state != TCP_CLOSE || ti.tcpi_rtt != 0)) return;
    __atomic_fetch_or(&r->flags, REC_NOCONN, __ATOMIC_RELAXED); /* the sampler sets others */
    ev_conn(r, fd, ENOTCONN, NULL, 0);
}

/* The last fd of TCP socket r (still open as fd, or -1) is being closed by
 * the program. If the peer had not closed first, the socket lingers in
 * TIME_WAIT: counted, and its local port noted for the exact match. */
void tw_note_close(const struct sock_rec *r, int fd)
{
    if (!cl_cfg.sample_ms || r->type != SOCK_STREAM || r->role != ROLE_CLIENT) return;
    if (!r->peer.family || atomic_load_explicit(&r->eof, memory_order_relaxed)) return;
    if (r->flags & REC_NOCONN) return; /* refused, or still pending: no TIME_WAIT */
    uint64_t pkey = addr_hash(&r->peer);
    struct tw_site *t = site_count(r, pkey);
    if (!t) atomic_fetch_add_explicit(&tw_closes_unsited, 1, memory_order_relaxed);
    if (!tw_ports) return;
    uint64_t sec = clock_coarse_since_start() / 1000000000ull;
    unsigned int wlog;
    if (port_sampled(t, sec, &wlog)) port_note(r, fd, pkey, sec, wlog);
}

/* Site t's closes of the last 60 s, from the history of its count (only
 * for sharing out: the port table needs none of it). */
static void site_age(struct tw_site *t, uint64_t closes, uint64_t now)
{
    unsigned int prev = (t->hist_pos + TW_HIST - 1) % TW_HIST;
    if (now - t->hist_ts[prev] >= 500000000ull) { /* 0.5 s apart: 128 cover 64 s */
        t->hist_closes[t->hist_pos] = closes;
        t->hist_ts[t->hist_pos] = now;
        t->hist_pos = (t->hist_pos + 1) % TW_HIST;
    }
    /* the newest count older than 60 s: what had closed before the window */
    uint64_t best_ts = 0, base = 0;
    for (unsigned int h = 0; h < TW_HIST; h++)
        if (t->hist_ts[h] && now - t->hist_ts[h] > TW_WINDOW_NS && t->hist_ts[h] > best_ts)
            best_ts = t->hist_ts[h], base = t->hist_closes[h];
    t->recent = closes - base;
}

/* Flusher thread, every sample. Returns true while TIME_WAIT sockets of
 * the program may exist: a close within the last 60 s. *first: the first
 * such close ever, not yet walked. */
/* The closes first so far, all sites; with now, each site aged too. */
static uint64_t closes_sum(uint64_t now, bool age)
{
    uint64_t sum = atomic_load_explicit(&tw_closes_unsited, memory_order_relaxed);
    for (unsigned int i = 0; i < TW_SITES; i++) {
        struct tw_site *t = &tw_sites[i];
        if (!atomic_load_explicit(&t->stk, memory_order_acquire)) continue;
        uint64_t closes = atomic_load_explicit(&t->closes, memory_order_relaxed);
        sum += closes;
        if (age) site_age(t, closes, now);
    }
    return sum;
}

/* Whether some site closed at least min connections first since the last
 * walk that read TIME_WAIT began, and that walk found fewer than min of its
 * TIME_WAIT sockets: a storm no walk has seen may be there. Per site, as
 * the report judges storms: 60 + 60 sockets at two sites are no storm. */
bool tw_read_owed(uint64_t min)
{
    uint64_t unsited = atomic_load_explicit(&tw_closes_unsited, memory_order_relaxed);
    if (unsited - unsited_read >= min) return true; /* their sockets cannot be told apart */
    for (unsigned int i = 0; i < TW_SITES; i++) {
        struct tw_site *t = &tw_sites[i];
        if (!atomic_load_explicit(&t->stk, memory_order_acquire)) continue;
        uint64_t closes = atomic_load_explicit(&t->closes, memory_order_relaxed);
        if (closes - t->closes_read >= min && t->found_read < min) return true;
    }
    return false;
}

bool tw_age(uint64_t now, bool *first)
{
    uint64_t sum = closes_sum(now, !tw_ports);
    *first = false;
    if (sum != closes_seen) {
        *first = !closes_grew_once;
        closes_seen = sum, closes_grew_ns = now, closes_grew_once = true;
    }
    return closes_grew_once && now - closes_grew_ns <= TW_WINDOW_NS + 1000000000ull;
}

/* ---- one kernel walk ---- */

/* The walk's TIME_WAIT sockets by peer and site (the TW_MAX largest are
 * written), their total (all of them, listed or not), and the per-peer
 * counts to share out without the port table. */
#define TW_GROUPS 64
#define TW_PEERS  32
static struct count walk_sites[TW_GROUPS], walk_peers[TW_PEERS];
static unsigned int walk_nsites, walk_npeers;
static uint32_t walk_total;
static bool walk_est;     /* walk_total includes weighted (sampled) matches */
static uint32_t walk_sec; /* seconds since start when the walk began */

void tw_walk_begin(bool with_tw)
{
    for (unsigned int i = 0; with_tw && i < TW_SITES; i++) {
        struct tw_site *t = &tw_sites[i];
        t->begun = atomic_load_explicit(&t->stk, memory_order_acquire) != 0;
        t->closes_begin = atomic_load_explicit(&t->closes, memory_order_relaxed);
    }
    if (with_tw) unsited_begin = atomic_load_explicit(&tw_closes_unsited, memory_order_relaxed);
    walk_nsites = walk_npeers = walk_total = 0;
    walk_est = false;
    walk_sec = (uint32_t)(clock_coarse_since_start() / 1000000000ull);
}

/* A peer some site of ours closed connections to in the last 60 s. */
static bool peer_recent(uint64_t key)
{
    for (unsigned int i = 0; i < TW_SITES; i++)
        if (atomic_load_explicit(&tw_sites[i].stk, memory_order_acquire) && tw_sites[i].recent &&
            addr_hash(&tw_sites[i].peer) == key)
            return true;
    return false;
}

/* One TIME_WAIT socket of the host's, towards peer from local port sport.
 * An entry is the program's for 65 s after its close (a close during the
 * walk is up to a few seconds "ahead" of walk_sec); the 16-bit second
 * wraps after 18 h, when a port unused since and the same peer hash would
 * be needed to mistake an old entry for a new one. */
void tw_walk_sock(int family, const uint8_t *dst, uint16_t dport, uint16_t sport)
{
    uint64_t e = tw_ports ? atomic_load_explicit(&tw_ports[sport], memory_order_relaxed) : 0;
    uint32_t age = (walk_sec - PORT_SEC(e)) & 0xffffu;
    if (tw_ports && (!e || (age > 65 && age < 0xffffu - 4))) return; /* no close of ours */
    struct cl_addr peer;
    addr_from_raw(&peer, family, dst, dport);
    uint64_t key = addr_hash(&peer);
    if (tw_ports) {
        if (PORT_PEER(e) != peer20(key)) return; /* the port's last close was elsewhere */
        uint32_t stk = PORT_STK(e), w = 1u << PORT_WLOG(e);
        walk_total += w;
        walk_est |= w > 1;
        struct count *c =
            count_add(walk_sites, &walk_nsites, TW_GROUPS, key ^ ((uint64_t)stk << 40));
        if (c) c->n += w, c->stk = stk, c->peer = peer, c->est |= w > 1;
        return;
    }
    if (!peer_recent(key)) return; /* the host's other TIME_WAIT sockets */
    struct count *c = count_add(walk_peers, &walk_npeers, TW_PEERS, key);
    if (c) c->n++, c->peer = peer;
}

/* Without the port table: each peer's TIME_WAIT sockets go to the sites
 * that closed connections to it in the last 60 s, each at most as many as
 * it closed. */
static void walk_share(void)
{
    for (unsigned int p = 0; p < walk_npeers; p++) {
        uint64_t left = walk_peers[p].n;
        for (unsigned int i = 0; i < TW_SITES && left; i++) {
            struct tw_site *t = &tw_sites[i];
            uint32_t stk = atomic_load_explicit(&t->stk, memory_order_acquire);
            if (!stk || !t->recent || addr_hash(&t->peer) != walk_peers[p].key) continue;
            uint64_t n = t->recent < left ? t->recent : left;
            left -= n;
            walk_total += (uint32_t)n;
            struct count *c = count_add(walk_sites, &walk_nsites, TW_GROUPS, t->key);
            if (c) c->n += (uint32_t)n, c->stk = stk == UINT32_MAX ? 0 : stk, c->peer = t->peer;
        }
    }
}

/* A walk that read TIME_WAIT: each site's closes until it began are read,
 * and what it found of them is kept (tw_read_owed). A site that appeared
 * during the walk keeps its closes unread. */
static void walk_commit(void)
{
    for (unsigned int i = 0; i < TW_SITES; i++) {
        struct tw_site *t = &tw_sites[i];
        if (!t->begun) continue;
        uint64_t key = atomic_load_explicit(&t->key, memory_order_relaxed);
        t->closes_read = t->closes_begin, t->found_read = 0;
        for (unsigned int j = 0; j < walk_nsites; j++)
            if (walk_sites[j].key == key) t->found_read = walk_sites[j].n;
    }
    unsited_read = unsited_begin;
}

/* The walk's TIME_WAIT sockets per peer and site, the TW_MAX largest
 * first, into out; returns the total of the program's TIME_WAIT sockets. */
uint32_t tw_walk_end(struct sample_counts *out)
{
    if (!tw_ports) walk_share();
    out->tw_total_est = walk_est;
    counts_sort(walk_sites, walk_nsites);
    out->ntw = 0;
    for (unsigned int i = 0; i < walk_nsites && i < TW_MAX; i++) {
        out->tw_peer[i] = &walk_sites[i].peer, out->tw_stk[i] = walk_sites[i].stk;
        out->tw_n[i] = walk_sites[i].n, out->tw_est[i] = walk_sites[i].est, out->ntw++;
    }
    if (out->tw_read) walk_commit(); /* one that failed (EMFILE, refused) read nothing */
    return walk_total;
}

/* A fork child's closes are its own: the parent's are forgotten. */
void tw_after_fork_child(void)
{
    memset(tw_sites, 0, sizeof(tw_sites));
    atomic_store(&tw_closes_unsited, 0);
    closes_seen = closes_grew_ns = unsited_begin = unsited_read = 0;
    closes_grew_once = false;
    if (tw_ports) madvise(tw_ports, 65536 * sizeof(*tw_ports), MADV_DONTNEED); /* zero again */
}
