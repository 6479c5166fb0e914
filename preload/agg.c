/* agg.c - a bounded trace for long-running services.
 *
 * The first CONNLEAK_DETAIL_SOCKETS sockets of a process (default 10,000)
 * are written one by one (open, conn, close, ...). After that a new socket
 * is "quiet": nothing is written when it opens. If it lives long enough to
 * matter (it is dup'ed, listens, is still open at a sample, a dump or the
 * exit) a late `open` record is written then, and it is followed like any
 * other. If it is closed first, its close only adds to per-site counters,
 * keyed by opening stack and peer, written as one `agg` record per key and
 * sample period. A service that churns connections for days thus writes a
 * few lines per call site and second, not per connection.
 *
 * The table is mapped on first use; a spinlock orders its updates (taken
 * inside the close hook, with the hook guard held, for a few loads and
 * stores). When it is full, closes count under a catch-all key (stack 0). */
#define _GNU_SOURCE
#include "preload.h"
#include "agg.h"
#include "config.h"
#include "fdtable.h"

#include "jsonline.h"
#include "http1.h"

#include <string.h>
#include <sys/mman.h>

#define AGG_CAP 512

static struct agg_counts *agg;
static unsigned int agg_used;
static cl_lock_t agg_lock = CL_LOCK_INIT;
static _Atomic uint64_t detail_left = UINT64_MAX;

void agg_init(void)
{
    atomic_store(&detail_left,
                 cl_cfg.detail_sockets < 0 ? UINT64_MAX : (uint64_t)cl_cfg.detail_sockets);
}

/* A new socket: false once the first CONNLEAK_DETAIL_SOCKETS were written. */
bool agg_socket_detailed(void)
{
    uint64_t left = atomic_load_explicit(&detail_left, memory_order_relaxed);
    while (left && left != UINT64_MAX)
        if (atomic_compare_exchange_weak(&detail_left, &left, left - 1)) return true;
    return left != 0;
}

/* The peer a count is kept for: a client's server (address and port); for
 * an accepted socket only the client's address (its ports are ephemeral:
 * one key per connection would defeat the purpose). */
static struct cl_addr agg_peer(const struct sock_rec *r)
{
    struct cl_addr a = r->peer;
    if (r->role != ROLE_CLIENT) a.port = 0;
    return a;
}

static uint64_t agg_key(const struct sock_rec *r, const struct cl_addr *peer)
{
    return ((uint64_t)r->stk << 32 ^ addr_hash(peer) ^ r->role) | 1u;
}

static struct agg_counts *agg_find_locked(const struct sock_rec *r)
{
    if (!agg) {
        void *m = mmap(NULL, AGG_CAP * sizeof(*agg), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return NULL;
        agg = m;
    }
    struct cl_addr peer = agg_peer(r);
    uint64_t key = agg_key(r, &peer);
    for (unsigned int i = 0; i < agg_used; i++)
        if (agg[i].key == key) return &agg[i];
    if (agg_used == AGG_CAP - 1) { /* full: the last entry, stack 0 and no peer, takes the rest */
        struct agg_counts *e = &agg[AGG_CAP - 1];
        if (!e->key) e->key = 1;
        return e;
    }
    struct agg_counts *e = &agg[agg_used++];
    memset(e, 0, sizeof(*e));
    e->key = key;
    e->stk = r->stk;
    e->peer = peer;
    return e;
}

/* The last fd of quiet socket r was closed: counted, not written. */
void agg_note_close(const struct sock_rec *r, const struct http1 *h, uint32_t req_stk)
{
    uint64_t now = clock_since_start();
    lock_take(&agg_lock);
    struct agg_counts *e = agg_find_locked(r);
    if (e) {
        if (!e->closed) e->first_ts = r->opened;
        e->last_ts = now;
        e->closed++;
        if (atomic_load_explicit(&r->eof, memory_order_relaxed))
            e->peer_first++;
        else if (r->role == ROLE_CLIENT && r->type == SOCK_STREAM && !(r->flags & REC_NOCONN))
            e->active++;
        if (h) {
            e->reqs += http1_requests(h);
            if (http1_phase(h) == HTTP1_PHASE_BODY) {
                e->discarded++;
                if (req_stk) e->req_stk = req_stk;
                memcpy(e->method, http1_method(h), sizeof(e->method));
                memcpy(e->target, http1_target(h), sizeof(e->target));
                e->status = (uint16_t)http1_status(h);
                e->expect = http1_body_expected(h);
                e->read = http1_body_read(h);
            } else if (http1_requests(h) == 1 && http1_responses(h) == 1 && http1_keep_alive(h) &&
                       !atomic_load(&r->eof)) {
                e->one_req_ka++;
                if (req_stk) e->req_stk = req_stk;
            }
        }
    }
    lock_give(&agg_lock);
}

/* Writes entry i's record if it counted closes since the last flush, and
 * starts its counts again; false past the used entries (but the catch-all). */
static bool agg_flush_one(unsigned int i)
{
    lock_take(&agg_lock);
    if (i >= agg_used && i != AGG_CAP - 1) {
        lock_give(&agg_lock);
        return false;
    }
    struct agg_counts copy = agg[i];
    memset(&agg[i], 0, sizeof(agg[i]));
    agg[i].key = copy.key, agg[i].stk = copy.stk, agg[i].peer = copy.peer;
    lock_give(&agg_lock);
    if (copy.closed) ev_agg(&copy);
    return true;
}

/* One agg record per key with closes since the last call (connleak's
 * thread): the used entries, then the catch-all. */
void agg_flush(void)
{
    if (!agg) return;
    for (unsigned int i = 0; i < AGG_CAP - 1 && agg_flush_one(i); i++) {
    }
    agg_flush_one(AGG_CAP - 1);
}

/* A fork child starts with no counts of its own. */
void agg_after_fork_child(void)
{
    agg_init(); /* the first CONNLEAK_DETAIL_SOCKETS of this process, too */
    agg_lock = (cl_lock_t)CL_LOCK_INIT;
    if (agg) memset(agg, 0, AGG_CAP * sizeof(*agg));
    agg_used = 0;
}
