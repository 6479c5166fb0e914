/* watch_model.c - folds the snapshots of `connleak watch` into what the
 * findings need: the fd series, and per remote peer its sockets per TCP
 * state, their series, peaks, unread bytes and CLOSE_WAIT ages.
 *
 * A peer is addr:port for the process's outgoing connections, and the
 * client address plus the local port for connections it accepted (local
 * port = one of its listeners), so a server's clients do not make one peer
 * per ephemeral port. TIME_WAIT sockets have no inode: one counts for the
 * process when its 4-tuple is one of the process's connections seen in an
 * earlier sample (it closed that connection first), or when its local
 * port is one of the process's listening ports. A connection opened and
 * closed between two samples is never seen, so its TIME_WAIT is not
 * counted (docs/watch.md).
 *
 * Series: one point per sample up to WATCH_MAX_POINTS, then every other
 * point is dropped and one point is kept every `stride` samples. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "watch/watch.h"

int wtuple_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct wtuple));
}

static int wcw_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct wcw *)a)->inode, y = ((const struct wcw *)b)->inode;
    return x < y ? -1 : x > y;
}

/* ---- peers ---------------------------------------------------------- */

static void peer_label(const struct wpeer_key *k, char *out, size_t outsz)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    if (k->family == 0) {
        snprintf(out, outsz, "(other peers)");
        return;
    }
    inet_ntop(k->family, k->addr, addr, sizeof(addr));
    bool v6 = k->family == AF_INET6;
    if (k->inbound)
        snprintf(out, outsz, "%s -> :%u", addr, k->port);
    else
        snprintf(out, outsz, "%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "", k->port);
}

static uint32_t key_hash(const struct wpeer_key *k)
{
    return (uint32_t)fnv1a64(FNV1A64_INIT, k, sizeof(*k));
}

static double *series_new(const struct watch_model *m)
{
    return xcalloc(m->cappts ? m->cappts : 1, sizeof(double));
}

static size_t peer_find(const struct watch_model *m, const struct wpeer_key *k)
{
    size_t cur = 0, i;
    while ((i = hindex_next(&m->peer_index, key_hash(k), &cur)) != SIZE_MAX)
        if (memcmp(&m->peers[i].key, k, sizeof(*k)) == 0) return i;
    return SIZE_MAX;
}

/* The peer of key k, made on first sight; past WATCH_MAX_PEERS, the
 * "(other peers)" one. */
static struct watch_peer *peer_get(struct watch_model *m, const struct wpeer_key *k)
{
    size_t i = peer_find(m, k);
    if (i != SIZE_MAX) return &m->peers[i];
    struct wpeer_key other = {0};
    if (m->npeers >= WATCH_MAX_PEERS) {
        k = &other;
        if ((i = peer_find(m, k)) != SIZE_MAX) return &m->peers[i];
    }
    ALLOC_GROW(m->peers, m->npeers + 1, m->cappeers);
    struct watch_peer *p = &m->peers[m->npeers];
    memset(p, 0, sizeof(*p));
    p->key = *k;
    peer_label(k, p->label, sizeof(p->label));
    p->est = series_new(m);
    p->cw = series_new(m);
    p->tw = series_new(m);
    hindex_add(&m->peer_index, key_hash(k), m->npeers);
    return &m->peers[m->npeers++];
}

static void peers_reset(struct watch_model *m)
{
    for (size_t i = 0; i < m->npeers; i++) {
        struct watch_peer *p = &m->peers[i];
        memset(p->cur, 0, sizeof(p->cur));
        p->unread = p->cw_unread = 0;
        p->cw_kept = 0;
        p->cw_oldest = p->cw_youngest = 0;
    }
}

/* ---- endpoints remembered across samples ---------------------------- */

struct eplist {
    struct wendpoint **v;
    size_t *n, *cap;
};

/* Marks tu seen at t (for peer): updated in place when it is among the
 * first `sorted` entries, appended otherwise (eplist_settle sorts). */
static void ep_touch(struct eplist l, size_t sorted, const struct wtuple *tu, double t,
                     uint32_t peer)
{
    struct wendpoint *e = search_n(tu, *l.v, sorted, sizeof(**l.v), wtuple_cmp);
    if (!e) {
        ALLOC_GROW(*l.v, *l.n + 1, *l.cap);
        e = &(*l.v)[(*l.n)++];
        e->tu = *tu;
    }
    e->last_seen = t;
    e->peer = peer;
}

/* Sorts, and forgets the endpoints not seen for WATCH_KEEP_S. */
static void eplist_settle(struct eplist l, double now)
{
    size_t out = 0;
    for (size_t i = 0; i < *l.n; i++)
        if (now - (*l.v)[i].last_seen <= WATCH_KEEP_S) (*l.v)[out++] = (*l.v)[i];
    *l.n = out;
    sort_n(*l.v, out, sizeof(**l.v), wtuple_cmp);
}

static struct wtuple listen_key(uint8_t family, const uint8_t *src, uint16_t port)
{
    struct wtuple k;
    memset(&k, 0, sizeof(k));
    k.family = family;
    k.sport = port;
    if (src) memcpy(k.src, src, sizeof(k.src));
    return k;
}

/* Is tu's local end one of the process's listening ports? */
static bool listening(const struct watch_model *m, const struct wtuple *tu)
{
    struct wtuple exact = listen_key(tu->family, tu->src, tu->sport);
    struct wtuple any = listen_key(tu->family, NULL, tu->sport);
    return search_n(&exact, m->listen, m->nlisten, sizeof(*m->listen), wtuple_cmp) ||
           search_n(&any, m->listen, m->nlisten, sizeof(*m->listen), wtuple_cmp);
}

static void listeners_fold(struct watch_model *m, const struct watch_snap *s)
{
    struct eplist l = {&m->listen, &m->nlisten, &m->caplisten};
    size_t sorted = m->nlisten;
    for (size_t i = 0; i < s->nown; i++) {
        const struct wsock *w = &s->own[i];
        if (w->state != TCP_LISTEN) continue;
        struct wtuple k = listen_key(w->tu.family, w->tu.src, w->tu.sport);
        ep_touch(l, sorted, &k, s->t, 0);
    }
    eplist_settle(l, s->t);
}

/* ---- one sample's sockets ------------------------------------------- */

static struct watch_peer *peer_of(struct watch_model *m, const struct wtuple *tu)
{
    struct wpeer_key k;
    memset(&k, 0, sizeof(k));
    k.family = tu->family;
    k.inbound = listening(m, tu);
    k.port = k.inbound ? tu->sport : tu->dport;
    memcpy(k.addr, tu->dst, sizeof(k.addr));
    return peer_get(m, &k);
}

/* A socket in CLOSE_WAIT: when it was first seen so, into the new list. */
static void close_wait_fold(struct watch_model *m, struct watch_peer *p, const struct wsock *w,
                            double t, struct wcw **cw, size_t *ncw, size_t *capcw)
{
    struct wcw key = {.inode = w->inode, .first_seen = t};
    const struct wcw *old = search_n(&key, m->cw, m->ncw, sizeof(*m->cw), wcw_cmp);
    if (old) key.first_seen = old->first_seen;
    ALLOC_GROW(*cw, *ncw + 1, *capcw);
    (*cw)[(*ncw)++] = key;
    p->cw_unread += w->unread;
    if (key.first_seen < t && (p->cw_kept == 0 || t - key.first_seen < p->cw_youngest))
        p->cw_youngest = t - key.first_seen;
    if (key.first_seen < t) p->cw_kept++;
    if (t - key.first_seen > p->cw_oldest) p->cw_oldest = t - key.first_seen;
}

static void own_fold(struct watch_model *m, const struct watch_snap *s)
{
    struct eplist known = {&m->known, &m->nknown, &m->capknown};
    size_t sorted = m->nknown, ncw = 0, capcw = 0;
    struct wcw *cw = NULL;
    for (size_t i = 0; i < s->nown; i++) {
        const struct wsock *w = &s->own[i];
        if (w->state > 0 && w->state < WATCH_NSTATES) m->totals[w->state]++;
        /* listeners are no peer; TCP_CLOSE: a socket not connected yet */
        if (w->state == TCP_LISTEN || w->state == TCP_CLOSE) continue;
        struct watch_peer *p = peer_of(m, &w->tu);
        if (w->state > 0 && w->state < WATCH_NSTATES) p->cur[w->state]++;
        p->unread += w->unread;
        if (w->state == TCP_CLOSE_WAIT) close_wait_fold(m, p, w, s->t, &cw, &ncw, &capcw);
        ep_touch(known, sorted, &w->tu, s->t, (uint32_t)(p - m->peers));
    }
    eplist_settle(known, s->t);
    sort_n(cw, ncw, sizeof(*cw), wcw_cmp);
    free(m->cw);
    m->cw = cw;
    m->ncw = ncw;
    m->capcw = capcw;
}

/* TIME_WAIT sockets that are the process's (see the top of this file). */
static void time_wait_fold(struct watch_model *m, const struct watch_snap *s)
{
    struct wtuple *now = NULL;
    size_t nnow = 0, capnow = 0;
    for (size_t i = 0; i < s->ntw; i++) {
        const struct wtuple *tu = &s->tw[i].tu;
        const struct wendpoint *e =
            search_n(tu, m->known, m->nknown, sizeof(*m->known), wtuple_cmp);
        struct watch_peer *p = NULL;
        if (e)
            p = &m->peers[e->peer];
        else if (listening(m, tu))
            p = peer_of(m, tu);
        if (!p) continue;
        p->cur[TCP_TIME_WAIT]++;
        m->totals[TCP_TIME_WAIT]++;
        if (!search_n(tu, m->tw_prev, m->ntw_prev, sizeof(*m->tw_prev), wtuple_cmp)) p->tw_total++;
        ALLOC_GROW(now, nnow + 1, capnow);
        now[nnow++] = *tu;
    }
    sort_n(now, nnow, sizeof(*now), wtuple_cmp);
    free(m->tw_prev);
    m->tw_prev = now;
    m->ntw_prev = nnow;
    m->captw_prev = capnow;
}

/* ---- series --------------------------------------------------------- */

static void halve(double *v, size_t n)
{
    for (size_t i = 0; 2 * i < n; i++) v[i] = v[2 * i];
}

/* Room for one more point: grow all series, or drop every other point. */
static void series_room(struct watch_model *m)
{
    if (m->npts == WATCH_MAX_POINTS) {
        halve(m->t, m->npts);
        halve(m->fds, m->npts);
        halve(m->socks, m->npts);
        for (size_t i = 0; i < m->npeers; i++) {
            halve(m->peers[i].est, m->npts);
            halve(m->peers[i].cw, m->npts);
            halve(m->peers[i].tw, m->npts);
        }
        m->npts = (m->npts + 1) / 2;
        m->stride *= 2;
    }
    if (m->npts < m->cappts) return;
    size_t cap = m->cappts ? m->cappts * 2 : 64;
    m->t = xreallocarray(m->t, cap, sizeof(double));
    m->fds = xreallocarray(m->fds, cap, sizeof(double));
    m->socks = xreallocarray(m->socks, cap, sizeof(double));
    for (size_t i = 0; i < m->npeers; i++) {
        m->peers[i].est = xreallocarray(m->peers[i].est, cap, sizeof(double));
        m->peers[i].cw = xreallocarray(m->peers[i].cw, cap, sizeof(double));
        m->peers[i].tw = xreallocarray(m->peers[i].tw, cap, sizeof(double));
    }
    m->cappts = cap;
}

static void series_add(struct watch_model *m, const struct watch_snap *s)
{
    if (m->nsamples % m->stride != 0) return;
    series_room(m);
    size_t j = m->npts++;
    m->t[j] = s->t;
    m->fds[j] = s->nfds;
    m->socks[j] = (double)s->nsock;
    for (size_t i = 0; i < m->npeers; i++) {
        struct watch_peer *p = &m->peers[i];
        p->est[j] = p->cur[TCP_ESTABLISHED];
        p->cw[j] = p->cur[TCP_CLOSE_WAIT];
        p->tw[j] = p->cur[TCP_TIME_WAIT];
    }
}

static void peaks_update(struct watch_model *m)
{
    for (size_t i = 0; i < m->npeers; i++) {
        struct watch_peer *p = &m->peers[i];
        if (p->cur[TCP_ESTABLISHED] > p->peak_est) p->peak_est = p->cur[TCP_ESTABLISHED];
        if (p->cur[TCP_CLOSE_WAIT] > p->peak_cw) p->peak_cw = p->cur[TCP_CLOSE_WAIT];
        if (p->cur[TCP_TIME_WAIT] > p->peak_tw) p->peak_tw = p->cur[TCP_TIME_WAIT];
    }
}

void watch_model_add(struct watch_model *m, const struct watch_snap *s)
{
    if (m->nsamples == 0) {
        m->stride = 1;
        m->t_first = s->t;
        m->fds_first = m->fds_peak = s->nfds;
    }
    peers_reset(m);
    memset(m->totals, 0, sizeof(m->totals));
    listeners_fold(m, s);
    own_fold(m, s);
    time_wait_fold(m, s);
    peaks_update(m);
    series_add(m, s);
    m->nsamples++;
    m->t_last = s->t;
    m->fds_last = s->nfds;
    if (s->nfds > m->fds_peak) m->fds_peak = s->nfds;
    m->nsock_last = s->nsock;
    m->nofile = s->nofile;
    m->diag_err = s->diag_err;
}

void watch_model_free(struct watch_model *m)
{
    for (size_t i = 0; i < m->npeers; i++) {
        free(m->peers[i].est);
        free(m->peers[i].cw);
        free(m->peers[i].tw);
    }
    free(m->peers);
    hindex_free(&m->peer_index);
    free(m->t);
    free(m->fds);
    free(m->socks);
    free(m->known);
    free(m->listen);
    free(m->tw_prev);
    free(m->cw);
    memset(m, 0, sizeof(*m));
}
