/* httptrack.c - feeds the HTTP/1.x tracker (http1.c) from the read/write
 * hooks (plaintext sockets) and the OpenSSL hooks (TLS), and writes the
 * "http" state into close and live records (and, with CONNLEAK_HTTP=2, one
 * http_req / http_resp / http_done record per exchange).
 *
 * Only client sockets whose first write could start a request line get a
 * state, from a pool of its own; every other socket is marked REC_HTTP_NOT
 * at its first I/O and costs one branch from then on. Calls on one socket
 * are serialised by a try-lock: a second thread (or a signal handler) that
 * finds it busy skips its bytes and marks the state lost-sync, never waits.
 * A state freed while a feeder holds it is freed by that feeder. The
 * callers (hooks_io.c) hold the hook guard and preserve errno. */
#define _GNU_SOURCE
#include "config.h"
#include "events.h"
#include "fdtable.h"
#include "httptrack.h"
#include "pool.h"
#include "stacks.h"

#include "jsonline.h"
#include "http1_json.h"
#include "http1.h"

#include <string.h>

enum {
    HL_BUSY = 1u, /* a feeder holds the state */
    HL_LOST = 2u, /* bytes were skipped: the holder-to-be marks it lost-sync */
    HL_DEAD = 4u, /* the socket's last fd went: the holder frees it */
};

/* The request site (docs/trace-format.md, "request sites"): the stack of
 * the last request captured on the socket, and whether later requests were
 * written since without a capture of their own (then it stands for them). */
struct req_site {
    uint32_t stk;
    uint32_t key; /* hash of the captured request's method, target and host */
    uint32_t at;  /* coarse ts of the capture, in units of 2^AT_SHIFT ns (wraps in 52 days) */
    bool sampled;
};
_Static_assert(sizeof(struct req_site) == 16, "a request site is in every HTTP socket's state");
#define AT_SHIFT 20 /* ~1.05 ms */

struct http_slot {
    struct http1 h;
    struct req_site site;
    _Atomic uint32_t lock; /* HL_* */
    uint32_t next_free;
};
_Static_assert(sizeof(struct http_slot) == 152, "allocated once a socket carries HTTP");

/* On a keep-alive connection, at most one capture per this many ns for
 * requests like the last one captured (same method, target and host). */
#define REQ_SITE_EVERY_NS (100ull * 1000 * 1000)

static struct cl_pool http_pool;

int httptrack_init(unsigned int cap)
{
    return pool_init(&http_pool, sizeof(struct http_slot), offsetof(struct http_slot, next_free),
                     cap);
}

static struct http_slot *slot_of(uint32_t idx)
{
    return pool_at(&http_pool, idx & REC_HTTP_IDX);
}

static bool slot_lock(struct http_slot *s)
{
    uint32_t old = atomic_fetch_or_explicit(&s->lock, HL_BUSY, memory_order_acquire);
    if (old & HL_BUSY) {
        atomic_fetch_or_explicit(&s->lock, HL_LOST, memory_order_relaxed);
        return false;
    }
    if (old & HL_DEAD) { /* already freed by its releaser: just undo */
        atomic_fetch_and_explicit(&s->lock, ~HL_BUSY, memory_order_release);
        return false;
    }
    if (old & HL_LOST) {
        s->h.state = HTTP1_LOST_SYNC;
        atomic_fetch_and_explicit(&s->lock, ~HL_LOST, memory_order_relaxed);
    }
    return true;
}

static void slot_unlock(struct http_slot *s)
{
    uint32_t old = atomic_fetch_and_explicit(&s->lock, ~HL_BUSY, memory_order_acq_rel);
    if (old & HL_DEAD) pool_free(&http_pool, s); /* the releaser left it to us */
}

/* The first write on r (cur: what r->http held, 0 or, for TLS, a raw
 * verdict): a state if the bytes could start a request line. tls: the bytes
 * are the plaintext of an SSL object. */
static uint32_t slot_attach(struct sock_rec *r, uint32_t cur, const void *buf, bool in, bool tls)
{
    uint8_t c = *(const uint8_t *)buf;
    struct http_slot *s = NULL;
    uint32_t tag = tls ? REC_HTTP_TLS : 0, want = REC_HTTP_NOT | tag;
    if (!in && r->role == ROLE_CLIENT && c >= 'A' && c <= 'Z' && (s = pool_alloc(&http_pool))) {
        memset(&s->h, 0, sizeof(s->h));
        memset(&s->site, 0, sizeof(s->site));
        atomic_store_explicit(&s->lock, 0, memory_order_relaxed);
        want = pool_index(&http_pool, s) | tag;
    }
    if (atomic_compare_exchange_strong(&r->http, &cur, want)) return want;
    if (s) pool_free(&http_pool, s); /* another thread decided first */
    return cur;
}

/* n bytes into the hash, 8 at a time (a NUL-padded field: its padding is
 * zero, so the same string always hashes the same). */
static uint64_t key_mix(uint64_t k, const char *p, size_t n)
{
    uint64_t w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        k = (k ^ w) * 0x9e3779b97f4a7c15ull;
        k ^= k >> 29;
    }
    w = 0;
    memcpy(&w, p, n);
    k = (k ^ w) * 0x9e3779b97f4a7c15ull;
    return k ^ k >> 29;
}

/* Method, target and Host of the request just sent, hashed: whether it
 * is the same request as the last one captured. The three fields are
 * NUL-padded (http1.c clears them at each request): hashed whole, a word
 * at a time, not a byte at a time up to their NUL. */
static uint32_t request_key(const struct http1 *h)
{
    uint64_t k = key_mix(1469598103934665603ull, h->method, sizeof(h->method));
    k = key_mix(k, h->target, sizeof(h->target));
    k = key_mix(k, h->host, sizeof(h->host));
    return (uint32_t)(k ^ k >> 32) | 1;
}

/* The first requests of new connections, per thread and opening stack:
 * a loop that opens a connection per request at one place and sends the
 * same request on each unwinds once per REQ_SITE_EVERY_NS, not once per
 * connection (an unwind is a tenth of what connleak costs a churned
 * connection). Per thread, so no lock; a signal handler's hook cannot run
 * in the middle of an update (hooks do not nest). */
#define FIRST_SITES 8
struct first_site {
    uint32_t open_stk, req_stk;
    uint32_t key;
    uint64_t at;
    pid_t pid; /* a fork child's trace has not defined its parent's stacks */
};
static __thread struct first_site tl_first[FIRST_SITES] __attribute__((tls_model("initial-exec")));

/* The thread's head memo (http1.h): a client that sends the same request
 * and reads alike responses again and again, on one connection or on a new
 * one each time, has them replayed rather than parsed. Its word per request
 * head holds that head's request_key. About 2.3 KiB per thread. */
static __thread struct http1_memo tl_memo __attribute__((tls_model("initial-exec")));

/* A request was just sent on s (a socket opened at open_stk): its stack is
 * captured when it is the socket's first (unless this thread captured the
 * same first request from the same opening stack in the last
 * REQ_SITE_EVERY_NS), when an earlier response was not read to its end
 * (the request that follows an abandoned one), when it differs from the
 * last captured one in method, target or host, or at most every
 * REQ_SITE_EVERY_NS otherwise; else the last capture stands for it. */
CL_HOT __attribute__((noinline)) static void site_note(struct sock_rec *r, struct http_slot *s,
                                                       uint32_t *memo_word)
{
    const struct http1 *h = &s->h;
    struct req_site *site = &s->site;
    uint32_t open_stk = r->stk;
    uint32_t key = memo_word && *memo_word ? *memo_word : request_key(h);
    if (memo_word) *memo_word = key;
    /* the write that sent the request has just stamped the socket (TLS
     * plaintext may come from a BIO that is no socket: read the clock) */
    uint64_t now = atomic_load_explicit(&r->last_io, memory_order_relaxed);
    if (!now || (atomic_load_explicit(&r->http, memory_order_relaxed) & REC_HTTP_TLS))
        now = clock_coarse_since_start();
    uint32_t now_at = (uint32_t)(now >> AT_SHIFT); /* modulo 2^32: differences stay right */
    bool abandoned = http1_outstanding(h) > 1 || http1_phase(h) != HTTP1_PHASE_IDLE;
    bool first = http1_requests(h) <= 1;
    struct first_site *f = &tl_first[open_stk % FIRST_SITES];
    if (first && !abandoned && open_stk && f->open_stk == open_stk && f->key == key && f->req_stk &&
        now - f->at < REQ_SITE_EVERY_NS) {
        *site = (struct req_site){
            .stk = f->req_stk, .sampled = true, .key = key, .at = (uint32_t)(f->at >> AT_SHIFT)};
    } else if (first || abandoned || key != site->key || !site->stk ||
               (uint32_t)(now_at - site->at) >= (REQ_SITE_EVERY_NS >> AT_SHIFT)) {
        site->stk = stack_capture();
        site->key = key;
        site->at = now_at;
        site->sampled = false;
        if (first && open_stk) *f = (struct first_site){open_stk, site->stk, key, now, cl_pid};
    } else {
        site->sampled = true;
    }
}

/* The exchange log: CONNLEAK_HTTP=2. */
static void emit_log(struct sock_rec *r, int fd, struct http_slot *s, const struct http1_events *ev)
{
    const struct http1 *h = &s->h;
    if (ev_is_quiet(r)) return;
    if (ev->flags & HTTP1_EV_REQUEST_SENT) ev_http_req(r, fd, h, s->site.stk, s->site.sampled);
    if (ev->flags & HTTP1_EV_RESPONSE_HEADERS) ev_http_resp(r, h, ev);
    if (ev->flags & HTTP1_EV_RESPONSE_DONE) ev_http_done(r, h, ev);
}

/* What one call of the tracker saw: a request's site noted, and logged. */
CL_HOT static inline void emit(struct sock_rec *r, int fd, struct http_slot *s,
                               const struct http1_events *ev)
{
    if (ev->flags & HTTP1_EV_REQUEST_SENT) site_note(r, s, ev->memo_word);
    if (unlikely(cl_cfg.http >= 2) && ev->flags) emit_log(r, fd, s, ev);
}

/* Feeds one buffer to a locked state; records what it saw. */
CL_HOT static void feed_locked(struct sock_rec *r, int fd, struct http_slot *s, const uint8_t *p,
                               size_t n, bool in)
{
    struct http1 *h = &s->h;
    struct http1_events ev;
    while (n > 0 && !http1_is_final(h)) {
        size_t k = in ? http1_on_read_memo(h, &tl_memo, p, n, &ev)
                      : http1_on_write_memo(h, &tl_memo, p, n, &ev);
        emit(r, fd, s, &ev);
        p += k, n -= k;
    }
}

/* The state of r locked, or NULL (busy, or freed under our feet). */
CL_HOT static struct http_slot *state_enter(struct sock_rec *r, uint32_t idx)
{
    struct http_slot *s = slot_of(idx);
    if (!slot_lock(s)) return NULL;
    if (atomic_load_explicit(&r->http, memory_order_relaxed) == idx) return s;
    slot_unlock(s); /* the socket was closed and the state reused */
    return NULL;
}

void http_skipped(struct sock_rec *r)
{
    uint32_t idx = atomic_load_explicit(&r->http, memory_order_acquire);
    if ((idx & REC_HTTP_IDX) && !(idx & REC_HTTP_NOT))
        atomic_fetch_or_explicit(&slot_of(idx)->lock, HL_LOST, memory_order_relaxed);
}

/* Not HTTP after all: the state goes, later calls cost one check. */
CL_HOT static void state_leave(struct sock_rec *r, uint32_t idx, struct http_slot *s)
{
    bool drop = http1_state(&s->h) == HTTP1_NOT_HTTP;
    if (drop) {
        uint32_t cur = idx;
        drop = atomic_compare_exchange_strong(&r->http, &cur, REC_HTTP_NOT | (idx & REC_HTTP_TLS));
    }
    if (drop) atomic_fetch_or_explicit(&s->lock, HL_DEAD, memory_order_relaxed);
    slot_unlock(s);
}

/* The state to feed for raw (tls false) or TLS plaintext bytes, attached at
 * the first write; 0 when these bytes are not followed. */
CL_HOT static uint32_t state_for(struct sock_rec *r, const void *first, bool in, bool tls)
{
    uint32_t idx = atomic_load_explicit(&r->http, memory_order_acquire);
    if (!tls) {
        if (!idx) idx = slot_attach(r, 0, first, in, false);
        return idx & (REC_HTTP_NOT | REC_HTTP_TLS) ? 0 : idx;
    }
    /* TLS: the raw side saw ciphertext (not HTTP) or nothing yet */
    if (idx == 0 || idx == REC_HTTP_NOT) idx = slot_attach(r, idx, first, in, true);
    return (idx & REC_HTTP_TLS) && !(idx & REC_HTTP_NOT) ? idx : 0;
}

CL_HOT static void feed_iov(struct sock_rec *r, int fd, const struct iovec *iov, size_t niov,
                            size_t n, bool in, bool tls)
{
    size_t i = 0;
    while (i < niov && !iov[i].iov_len) i++;
    if (i == niov || n == 0) return;
    uint32_t idx = state_for(r, iov[i].iov_base, in, tls);
    struct http_slot *s = idx ? state_enter(r, idx) : NULL;
    if (s) {
        for (; i < niov && n > 0; i++) {
            size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
            if (k) feed_locked(r, fd, s, iov[i].iov_base, k, in);
            n -= k;
        }
        state_leave(r, idx, s);
    }
}

CL_HOT void http_feed_iov(struct sock_rec *r, int fd, const struct iovec *iov, size_t niov,
                          size_t n, bool in)
{
    feed_iov(r, fd, iov, niov, n, in, false);
}

CL_HOT void http_feed(struct sock_rec *r, int fd, const void *buf, size_t n, bool in)
{
    struct iovec one = {.iov_base = (void *)buf, .iov_len = n};
    feed_iov(r, fd, &one, 1, n, in, false);
}

void http_feed_tls(struct sock_rec *r, int fd, const void *buf, size_t n, bool in)
{
    struct iovec one = {.iov_base = (void *)buf, .iov_len = n};
    feed_iov(r, fd, &one, 1, n, in, true);
}

void http_eof(struct sock_rec *r, int fd, bool tls)
{
    uint32_t idx = atomic_load_explicit(&r->http, memory_order_acquire);
    if (!(idx & REC_HTTP_IDX) || (idx & REC_HTTP_NOT) || !(idx & REC_HTTP_TLS) != !tls) return;
    struct http_slot *s = state_enter(r, idx);
    if (s) {
        struct http1_events ev;
        http1_on_eof(&s->h, &ev);
        if (ev.flags) emit(r, fd, s, &ev);
        state_leave(r, idx, s);
    }
}

void http_release(struct sock_rec *r)
{
    uint32_t idx = atomic_exchange(&r->http, REC_HTTP_NOT);
    if (!(idx & REC_HTTP_IDX) || (idx & REC_HTTP_NOT)) return;
    struct http_slot *s = slot_of(idx);
    uint32_t old = atomic_fetch_or(&s->lock, HL_DEAD);
    if (!(old & HL_BUSY)) pool_free(&http_pool, s); /* else its holder frees it */
}

/* ---- the "http" object of live and close records ---- */

void http_kv_state(struct jb *b, const struct sock_rec *r)
{
    uint32_t idx = atomic_load_explicit(&r->http, memory_order_acquire);
    if (!(idx & REC_HTTP_IDX) || (idx & REC_HTTP_NOT)) return;
    const struct http_slot *s = slot_of(idx);
    uint32_t stk = s->site.stk;
    stack_emit_id(stk); /* a fork child's trace may not have it yet */
    JB_LIT(b, ",\"http\":");
    http1_json_open(b, &s->h, false);
    if (idx & REC_HTTP_TLS) JB_LIT(b, ",\"tls\":true");
    if (stk) JB_KV_U64(b, "stk", stk);
    if (stk && s->site.sampled) JB_LIT(b, ",\"sampled\":true");
    JB_LIT(b, "}");
}

/* The same, binary (a close record, tracebin.h). */
void http_tb_state(struct tb *b, const struct sock_rec *r)
{
    uint32_t idx = atomic_load_explicit(&r->http, memory_order_acquire);
    if (!(idx & REC_HTTP_IDX) || (idx & REC_HTTP_NOT)) return;
    const struct http_slot *s = slot_of(idx);
    uint32_t stk = s->site.stk;
    stack_emit_id(stk);
    tb_obj(b, TBF_HTTP);
    http1_tb_fields(b, &s->h);
    if (idx & REC_HTTP_TLS) tb_bool(b, TBF_TLS, true);
    if (stk) tb_u(b, TBF_STK, stk);
    if (stk && s->site.sampled) tb_bool(b, TBF_SAMPLED, true);
    tb_obj_end(b);
}

const struct http1 *http_state_of(const struct sock_rec *r)
{
    uint32_t idx = atomic_load_explicit(&r->http, memory_order_acquire);
    if (!(idx & REC_HTTP_IDX) || (idx & REC_HTTP_NOT)) return NULL;
    return &slot_of(idx)->h;
}

uint32_t http_site_of(const struct sock_rec *r)
{
    uint32_t idx = atomic_load_explicit(&r->http, memory_order_acquire);
    if (!(idx & REC_HTTP_IDX) || (idx & REC_HTTP_NOT)) return 0;
    return slot_of(idx)->site.stk;
}
