/* tring.c - per-thread record rings: the program's threads record without a
 * lock; the drain puts their records back in order (tring.h).
 *
 * A ring is a single-producer, single-consumer byte ring: its thread
 * writes entries and publishes them by moving `head` (release); the drain,
 * under cl_trace_lock, reads from `tail` to `head` and gives the room back
 * by moving `tail`. Every entry is contiguous (an entry that would wrap is
 * preceded by a pad to the ring's end) and carries the number it took from
 * `seq_next` just before it was published. Numbers are taken in the order
 * things happened as far as any thread could tell: a thread that saw
 * another's record (a stack written, a claim cleared) takes its number
 * after that one's.
 *
 * The drain merges the rings by those numbers: it follows one ring while
 * its entries are the next numbers, and looks across all rings when they
 * are not. A number no ring has yet belongs to a thread between taking it
 * and publishing it (two instructions, unless it is preempted there): the
 * drain looks again for up to 50 ms (10 at exit), then goes on without it,
 * and the record is written when it comes, out of order (the sink's `late`
 * is told, and trace.c writes a note).
 *
 * A line longer than TRING_LINE_MAX (a long Python stack) does not go into
 * a ring: under cl_trace_lock, it takes its number, the records numbered
 * before it are written, then it is (tring_line_through).
 *
 * Rings (32 KiB, touched as they are used) are mapped on a thread's first
 * record and given back when it ends (a pthread key's destructor), for the
 * next new thread to take: a program that starts a thread per request does
 * not grow them. Past RING_MAX rings, or if a mapping fails, threads share
 * one spare ring under a spinlock. A thread whose ring is full drains the
 * rings itself, under cl_trace_lock. */
#define _GNU_SOURCE
#include "tring.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>

#define RING_BYTES (32u << 10) /* a power of two; larger lines go through (tring_line_through) */
#define RING_MASK  (RING_BYTES - 1)
#define RING_MAX   1024

enum { ENT_PAD, ENT_LINE, ENT_FRAME, ENT_VOID /* a number whose claim was lost */ };

struct ent {       /* an entry: this, then the frame's numbered strings, then its bytes */
    uint32_t size; /* of the entry, a multiple of 8 */
    uint8_t what;  /* ENT_* */
    uint8_t type;  /* a frame's enum tb_rec */
    uint8_t nsi;
    uint8_t sock;
    uint64_t seq;
    uint64_t ts, sid;
    int64_t fd;
    uint32_t mask;
    uint32_t len; /* bytes of the line, or of the frame's values */
};

struct ring {
    _Atomic uint64_t head; /* bytes published: moved by the ring's thread */
    _Atomic bool dead;     /* a fork child's, whose entry was half written: never drained */
    uint8_t pad0[55];
    _Atomic uint64_t tail; /* bytes consumed: moved by the drain */
    uint8_t pad1[56];
    _Atomic int owned; /* a thread writes into it */
    uint8_t data[RING_BYTES] __attribute__((aligned(64)));
};

static struct ring *rings[RING_MAX];
static _Atomic unsigned int nrings; /* slots handed out (a slot may stay NULL) */
static struct ring spare;           /* for threads that have no ring of their own */
static cl_lock_t spare_lock = CL_LOCK_INIT;
static _Atomic uint64_t seq_next; /* the next record's number */
static uint64_t drain_next;       /* the next number to write (under cl_trace_lock) */
static pthread_key_t ring_key;
static bool key_made;
static __thread struct ring *tl_ring __attribute__((tls_model("initial-exec")));
static __thread bool tl_spare __attribute__((tls_model("initial-exec"))); /* none to be had */
/* The ring this thread is writing an entry into (a fork from a signal
 * handler may come in the middle: tring_after_fork_child). */
static __thread struct ring *tl_putting __attribute__((tls_model("initial-exec")));
static void (*test_mid_put)(void); /* tests: called between an entry's fill and publish */
/* The number of this thread's last record (the exit's end record). */
static __thread uint64_t tl_last_seq __attribute__((tls_model("initial-exec")));

static void ring_give_back(void *p)
{
    struct ring *r = p;
    if (tl_ring == r) tl_ring = NULL;
    atomic_store_explicit(&r->owned, 0, memory_order_release);
}

void tring_init(void)
{
    if (!key_made) key_made = pthread_key_create(&ring_key, ring_give_back) == 0;
}

static struct ring *ring_new(void)
{
    unsigned int i = atomic_fetch_add(&nrings, 1);
    if (i >= RING_MAX) return NULL;
    void *m =
        mmap(NULL, sizeof(struct ring), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL; /* (its slot stays empty) */
    struct ring *r = m;
    atomic_store(&r->owned, 1);
    atomic_store_explicit(&rings[i], r, memory_order_release);
    return r;
}

/* The calling thread's ring: its own, one a thread that ended gave back, a
 * new one; NULL when it must use the spare. */
static struct ring *ring_mine(void)
{
    if (likely(tl_ring != NULL)) return tl_ring;
    if (tl_spare) return NULL;
    struct ring *r = NULL;
    unsigned int n = atomic_load(&nrings);
    for (unsigned int i = 0; i < n && i < RING_MAX && !r; i++) {
        struct ring *c = atomic_load_explicit(&rings[i], memory_order_acquire);
        int free = 0;
        if (c && !atomic_load_explicit(&c->dead, memory_order_relaxed) &&
            atomic_compare_exchange_strong(&c->owned, &free, 1))
            r = c;
    }
    if (!r) r = ring_new();
    if (!r) {
        tl_spare = true;
        return NULL;
    }
    if (key_made) pthread_setspecific(ring_key, r);
    return tl_ring = r;
}

/* Room for an entry of `need` bytes at the ring's head, after a pad of
 * *skip bytes if it would wrap; NULL when the drain has not made room yet. */
static struct ent *ring_reserve(struct ring *r, uint32_t need, uint32_t *skip_out)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint32_t off = (uint32_t)(h & RING_MASK), to_end = RING_BYTES - off;
    uint32_t skip = to_end < need ? to_end : 0;
    if (need > RING_BYTES || h + skip + need - t > RING_BYTES) return NULL;
    if (skip) {
        struct ent *pad = (struct ent *)(r->data + off);
        pad->size = skip;
        pad->what = ENT_PAD;
    }
    *skip_out = skip;
    return (struct ent *)(r->data + ((h + skip) & RING_MASK));
}

/* Publishes the entry (with the pad before it, if any) under number seq. */
static void ring_publish_as(struct ring *r, struct ent *e, uint32_t skip, uint64_t seq)
{
    if (unlikely(atomic_load_explicit(&r->dead, memory_order_relaxed))) return;
    uint64_t end = atomic_load_explicit(&r->head, memory_order_relaxed) + skip + e->size;
    e->seq = tl_last_seq = seq;
    atomic_store_explicit(&r->head, end, memory_order_release);
}

/* Numbers the entry and publishes it. */
static void ring_publish(struct ring *r, struct ent *e, uint32_t skip)
{
    if (unlikely(atomic_load_explicit(&r->dead, memory_order_relaxed))) return; /* (no number) */
    ring_publish_as(r, e, skip, atomic_fetch_add_explicit(&seq_next, 1, memory_order_relaxed));
}

static uint32_t ent_size(unsigned int nsi, size_t len)
{
    return (uint32_t)((sizeof(struct ent) + nsi * sizeof(struct tb_si) + len + 7) & ~(size_t)7);
}

static void ent_fill(struct ent *e, uint32_t size, enum tb_rec type, uint64_t ts,
                     const struct tb *b)
{
    *e = (struct ent){.size = size,
                      .what = ENT_FRAME,
                      .type = (uint8_t)type,
                      .nsi = b->nsi,
                      .sock = b->sock,
                      .ts = ts,
                      .sid = b->sid,
                      .fd = b->fd,
                      .mask = b->mask,
                      .len = (uint32_t)b->len};
    uint8_t *p = (uint8_t *)(e + 1);
    if (b->nsi) memcpy(p, b->si, b->nsi * sizeof(struct tb_si)); /* (most have none) */
    memcpy(p + b->nsi * sizeof(struct tb_si), b->p, b->len);
}

static void line_fill(struct ent *e, uint32_t size, const char *s, size_t n)
{
    *e = (struct ent){.size = size, .what = ENT_LINE, .len = (uint32_t)n};
    memcpy(e + 1, s, n);
}

/* The ring to write an entry into: the thread's own, or the spare under
 * its lock (numbered under it: the spare's entries stay in order). */
static struct ring *put_begin(bool *spare_held)
{
    struct ring *r = ring_mine();
    *spare_held = r == NULL;
    if (!r) {
        lock_take(&spare_lock);
        r = &spare;
    }
    tl_putting = r;
    return r;
}

static void put_end(bool spare_held)
{
    tl_putting = NULL;
    if (spare_held) lock_give(&spare_lock);
}

bool tring_put_frame(enum tb_rec type, uint64_t ts, const struct tb *b)
{
    uint32_t size = ent_size(b->nsi, b->len), skip;
    bool sp;
    struct ring *r = put_begin(&sp);
    struct ent *e = ring_reserve(r, size, &skip);
    if (e) {
        ent_fill(e, size, type, ts, b);
        ring_publish(r, e, skip);
    }
    put_end(sp);
    return e != NULL;
}

bool tring_put_line(const char *s, size_t n)
{
    if (n > TRING_LINE_MAX) return false;
    uint32_t size = ent_size(0, n), skip;
    bool sp;
    struct ring *r = put_begin(&sp);
    struct ent *e = ring_reserve(r, size, &skip);
    if (e) {
        line_fill(e, size, s, n);
        if (unlikely(test_mid_put != NULL)) test_mid_put();
        ring_publish(r, e, skip);
    }
    put_end(sp);
    return e != NULL;
}

/* The number is taken before the claim is cleared: a thread that sees it
 * cleared takes a later one for whatever it then records. The room is
 * taken before the number, so that a full ring is drained while this
 * thread holds no number the drain would wait for. */
static int put_claimed(struct ring *r, uint32_t size, enum tb_rec type, uint64_t ts,
                       const struct tb *b, _Atomic uint8_t *claim)
{
    uint32_t skip;
    struct ent *e = ring_reserve(r, size, &skip);
    if (!e) return -1;
    uint64_t seq = atomic_fetch_add(&seq_next, 1);
    bool mine = atomic_exchange(claim, 0);
    if (mine)
        ent_fill(e, size, type, ts, b);
    else
        *e = (struct ent){.size = sizeof(struct ent), .what = ENT_VOID};
    ring_publish_as(r, e, skip, seq);
    return mine;
}

int tring_put_frame_claimed(enum tb_rec type, uint64_t ts, const struct tb *b,
                            _Atomic uint8_t *claim)
{
    bool sp;
    struct ring *r = put_begin(&sp);
    int got = put_claimed(r, ent_size(b->nsi, b->len), type, ts, b, claim);
    put_end(sp);
    return got;
}

/* ---- the drain ---- */

struct cursor {
    struct ring *r;
    uint64_t at, head; /* read from `at`; published up to `head` when last looked */
};

static struct cursor curs[RING_MAX + 1]; /* under cl_trace_lock */
static unsigned int ncurs;

/* The cursor's next entry, past pads; NULL when it has read all that was
 * published (it looks at `head` once more first). */
static struct ent *cursor_peek(struct cursor *c)
{
    for (;;) {
        if (c->at == c->head) {
            c->head = atomic_load_explicit(&c->r->head, memory_order_acquire);
            if (c->at == c->head) return NULL;
        }
        struct ent *e = (struct ent *)(c->r->data + (c->at & RING_MASK));
        if (unlikely(e->size < 8 || (c->at & RING_MASK) + e->size > RING_BYTES)) {
            c->at = c->head; /* not an entry (a bug): never loop on it, drop what follows */
            return NULL;
        }
        if (e->what != ENT_PAD) return e;
        c->at += e->size;
    }
}

static void cursors_collect(void)
{
    unsigned int n = atomic_load(&nrings);
    ncurs = 0;
    if (!atomic_load(&spare.dead))
        curs[ncurs++] = (struct cursor){&spare, atomic_load(&spare.tail), atomic_load(&spare.tail)};
    for (unsigned int i = 0; i < n && i < RING_MAX; i++) {
        struct ring *r = atomic_load_explicit(&rings[i], memory_order_acquire);
        if (r && !atomic_load_explicit(&r->dead, memory_order_relaxed))
            curs[ncurs++] = (struct cursor){r, atomic_load(&r->tail), atomic_load(&r->tail)};
    }
}

static void ent_emit(const struct tring_sink *k, const struct ent *e)
{
    const uint8_t *p = (const uint8_t *)(e + 1);
    if (e->what == ENT_LINE) {
        k->line((const char *)p, e->len);
        return;
    }
    struct tb b; /* what tb_frame_put reads (not cleared whole: it is on every record's path) */
    b.p = (uint8_t *)p + e->nsi * sizeof(struct tb_si);
    b.len = b.cap = e->len;
    b.overflow = b.in_obj = false;
    b.kind = e->type;
    b.mask = e->mask;
    b.sock = e->sock;
    b.sid = e->sid;
    b.fd = e->fd;
    b.nsi = e->nsi;
    if (e->nsi) memcpy(b.si, p, e->nsi * sizeof(struct tb_si));
    k->frame(e->type, e->ts, &b);
}

/* Writes the cursor's entries while they are the next numbers (or late
 * ones), and gives their room back to the ring's thread. */
static void cursor_run(const struct tring_sink *k, struct cursor *c, uint64_t limit)
{
    struct ent *e;
    while ((e = cursor_peek(c)) != NULL && e->seq <= drain_next && e->seq < limit) {
        if (e->what != ENT_VOID) ent_emit(k, e);
        if (e->seq == drain_next) drain_next++;
        c->at += e->size;
    }
    atomic_store_explicit(&c->r->tail, c->at, memory_order_release);
}

/* The cursors that have an entry numbered below the drain's limit, in a
 * binary heap by that number: threads whose records interleave cost the
 * merge a log of their count per record, not their count. */
static uint32_t heap[RING_MAX + 1];
static uint64_t key[RING_MAX + 1]; /* a cursor's next entry's number */
static unsigned int nheap;

static void heap_swap(unsigned int a, unsigned int b)
{
    uint32_t t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
}

static void heap_up(unsigned int i)
{
    while (i && key[heap[(i - 1) / 2]] > key[heap[i]]) heap_swap(i, (i - 1) / 2), i = (i - 1) / 2;
}

static void heap_down(unsigned int i)
{
    for (;;) {
        unsigned int l = 2 * i + 1, m = i;
        if (l < nheap && key[heap[l]] < key[heap[m]]) m = l;
        if (l + 1 < nheap && key[heap[l + 1]] < key[heap[m]]) m = l + 1;
        if (m == i) return;
        heap_swap(i, m);
        i = m;
    }
}

/* Cursor i back in (or out of) the heap after it was read: by the number
 * of its next entry, if that is below limit. It is at the heap's top. */
static void heap_settle_top(uint64_t limit)
{
    struct ent *e = cursor_peek(&curs[heap[0]]);
    if (e && e->seq < limit) {
        key[heap[0]] = e->seq;
    } else {
        heap[0] = heap[--nheap];
        if (!nheap) return;
    }
    heap_down(0);
}

/* The rings as they are now: every cursor with an entry below limit. */
static void heap_collect(uint64_t limit)
{
    cursors_collect();
    nheap = 0;
    for (unsigned int i = 0; i < ncurs; i++) {
        struct ent *e = cursor_peek(&curs[i]);
        if (!e || e->seq >= limit) continue;
        key[i] = e->seq;
        heap[nheap] = i;
        heap_up(nheap++);
    }
}

/* How long the drain waits for a number taken but not published: the
 * thread holding it was preempted, or a signal handler runs on it. */
#define WAIT_NS       (50 * 1000000ull)
#define WAIT_FINAL_NS (10 * 1000000ull)

/* Hands out records numbered below limit, in order. `all`: the numbers
 * below limit that no ring has published yet are waited for too (else the
 * next drain writes them). */
static void drain_to(const struct tring_sink *k, uint64_t limit, uint64_t wait_ns, bool all)
{
    uint64_t since = 0;
    unsigned int spins = 0;
    bool fresh = true; /* the cursors were just collected */
    heap_collect(limit);
    while (drain_next < limit) {
        if (nheap && key[heap[0]] <= drain_next) {
            cursor_run(k, &curs[heap[0]], limit);
            heap_settle_top(limit);
            since = 0;
            fresh = false;
            continue;
        }
        if (!nheap && !fresh) { /* a ring mapped since it was collected? */
            heap_collect(limit);
            fresh = true;
            continue;
        }
        if (!nheap && !all) break; /* nothing published after drain_next yet: the next drain */
        /* drain_next is taken but not published (or in a ring mapped since) */
        if (++spins % 64 == 0) {
            uint64_t now = clock_now_ns();
            if (!since) since = now;
            if (now - since >= wait_ns) {
                uint64_t seq = nheap ? key[heap[0]] : limit;
                if (k->late) k->late(seq - drain_next);
                drain_next = seq; /* written out of order when they come */
                since = 0;
                continue;
            }
            heap_collect(limit);
            fresh = true;
        }
        if (spins > 16)
            sched_yield();
        else
            __builtin_ia32_pause();
    }
}

/* A drain runs on program threads too (a full ring, a stack written): a
 * signal handler that forked there would leave the child to go on with the
 * parent's cursors and sink once it returns, writing the parent's records
 * into the child's trace (and trace.c's buffer half-appended). The
 * program's signals wait for the drain's end; not SIGXFSZ, which trace.c
 * holds back itself around its write, nor the faults. */
static void signals_hold(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGXFSZ);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGTRAP);
    pthread_sigmask(SIG_BLOCK, &all, old);
}

static void signals_give(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

void tring_drain(const struct tring_sink *k, bool final)
{
    sigset_t old;
    signals_hold(&old);
    /* later records wait for the next drain */
    drain_to(k, atomic_load(&seq_next), final ? WAIT_FINAL_NS : WAIT_NS, false);
    signals_give(&old);
}

/* The end record is this thread's last: records of other threads numbered
 * after it are not written (the analyzer ignores what follows `end`); the
 * ones before it are waited for as at exit. */
void tring_drain_final(const struct tring_sink *k)
{
    sigset_t old;
    signals_hold(&old);
    drain_to(k, tl_last_seq + 1, WAIT_FINAL_NS, true);
    signals_give(&old);
}

void tring_line_through(const struct tring_sink *k, const char *s, size_t n)
{
    sigset_t old;
    signals_hold(&old);
    uint64_t seq = tl_last_seq = atomic_fetch_add(&seq_next, 1);
    drain_to(k, seq, WAIT_NS, true);
    k->line(s, n);
    if (drain_next == seq) drain_next++;
    signals_give(&old);
}

/* The spare ring, shared by every thread past RING_MAX, may be full again
 * as soon as a drain has emptied it (its threads put without the trace
 * lock): a record that still finds no room is written through like a long
 * line, never dropped. */
void tring_frame_through(const struct tring_sink *k, enum tb_rec type, uint64_t ts,
                         const struct tb *b)
{
    sigset_t old;
    signals_hold(&old);
    uint64_t seq = tl_last_seq = atomic_fetch_add(&seq_next, 1);
    drain_to(k, seq, WAIT_NS, true);
    k->frame(type, ts, b);
    if (drain_next == seq) drain_next++;
    signals_give(&old);
}

int tring_frame_claimed_through(const struct tring_sink *k, enum tb_rec type, uint64_t ts,
                                const struct tb *b, _Atomic uint8_t *claim)
{
    sigset_t old;
    signals_hold(&old);
    uint64_t seq = atomic_fetch_add(&seq_next, 1); /* before the claim, as put_claimed */
    bool mine = atomic_exchange(claim, 0);
    drain_to(k, seq, WAIT_NS, true);
    if (mine) k->frame(type, ts, b);
    if (drain_next == seq) drain_next++;
    signals_give(&old);
    return mine;
}

/* A fork from a signal handler that interrupted this thread's put: the
 * entry being written is the parent's, and the put will go on writing it
 * where the ring's head was. That ring is left as it is and never drained
 * (nor reused); the thread takes another. (Were it the spare, threads past
 * RING_MAX rings would have none left in this child: their records go.) */
void tring_after_fork_child(void)
{
    if (tl_putting) {
        atomic_store(&tl_putting->dead, true);
        if (tl_putting == tl_ring) tl_ring = NULL;
        tl_spare = false;
    }
    unsigned int n = atomic_load(&nrings);
    for (unsigned int i = 0; i < n && i < RING_MAX; i++) {
        struct ring *r = atomic_load(&rings[i]);
        if (!r || atomic_load(&r->dead)) continue;
        atomic_store(&r->head, 0);
        atomic_store(&r->tail, 0);
        if (r != tl_ring) atomic_store(&r->owned, 0); /* its thread did not come along */
    }
    if (!atomic_load(&spare.dead)) {
        atomic_store(&spare.head, 0);
        atomic_store(&spare.tail, 0);
    }
    atomic_flag_clear(&spare_lock.f);
    drain_next = atomic_load(&seq_next);
}

unsigned int tring_count(void)
{
    unsigned int n = atomic_load(&nrings);
    return n < RING_MAX ? n : RING_MAX;
}

uint64_t tring_test_take(void)
{
    return atomic_fetch_add(&seq_next, 1);
}

bool tring_test_publish(uint64_t seq, const char *s, size_t n)
{
    uint32_t size = ent_size(0, n), skip;
    struct ring *r = ring_mine();
    struct ent *e = r ? ring_reserve(r, size, &skip) : NULL;
    if (!e) return false;
    line_fill(e, size, s, n);
    ring_publish_as(r, e, skip, seq);
    return true;
}

void tring_test_mid_put(void (*fn)(void))
{
    test_mid_put = fn;
}
