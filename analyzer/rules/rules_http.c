/* rules_http.c - the HTTP findings, from the state the preload writes into
 * the `http` object of close and live records (docs/trace-format.md):
 *
 *   unclosed-body   a live socket in the middle of a response body: at exit,
 *                   or idle past the idle threshold in a trace cut short;
 *   stuck-request   a live socket awaiting a response, idle past the stuck
 *                   threshold;
 *   discarded-body  a socket closed in the middle of a response body;
 *   no-connection-reuse  per peer, N or more connections closed by the
 *                   program after one keep-alive request each.
 *
 * The first three are grouped by request site when the trace has one (the
 * stack of the socket's last request, `stk` of its `http` object), else by
 * opening stack like orphaned-socket, with the exchange and opening stack
 * of the group's most recent socket; the last one per peer, at the most
 * common request site (else opening stack) of its connections.
 *
 * In a bounded trace, the sockets counted in agg records (model.h:
 * agg_site) add to discarded-body and no-connection-reuse: their counts
 * join those of the detailed sockets of the same stack and peer. What they
 * do not say is approximated: a discarded body's exchange is the agg's
 * example (when no detailed socket gives one), its idle time is not known;
 * the connections open at once to a peer are at least the peak of the
 * samples' ESTABLISHED count for that peer (else 1). */
#include "rules/rules.h"

#include <stdlib.h>
#include <string.h>

/* The claims of the live-socket findings of this file (rules/verdict.c asks
 * them in its precedence order). An HTTP state lost or tunnelled says
 * nothing. */
static const struct http_state *live_http_state(const struct process *p, const struct live_sock *l)
{
    const struct http_state *h = process_http(p, l->http);
    return h && !h->lost && !h->tunnel ? h : NULL;
}

bool claim_unclosed_body(const struct process *p, const struct live_sock *l,
                         const struct http_opts *o)
{
    const struct http_state *h = live_http_state(p, l);
    return h && h->phase == HTTP_BODY && (p->complete || live_idle_ns(l) >= ms_to_ns(o->idle_ms));
}

bool claim_stuck_request(const struct process *p, const struct live_sock *l,
                         const struct http_opts *o)
{
    const struct http_state *h = live_http_state(p, l);
    return h && h->phase != HTTP_BODY && h->await > 0 && live_idle_ns(l) >= ms_to_ns(o->stuck_ms);
}

bool claim_go_pooled(const struct process *p, const struct live_sock *l, const struct http_opts *o)
{
    (void)o;
    const struct http_state *h = process_http(p, l->http);
    return h && h->go == GO_POOLED;
}

/* ---- by opening stack: unclosed-body, stuck-request, discarded-body ---- */

enum { G_UNCLOSED, G_STUCK, G_DISCARDED, G_KINDS };

static const enum finding_kind group_kinds[G_KINDS] = {KIND_UNCLOSED_BODY, KIND_STUCK_REQUEST,
                                                       KIND_DISCARDED_BODY};

/* One group while it is gathered (the finding is out->v[first + i]). */
struct http_group {
    struct ids peers, hosts;
    uint32_t http, peer; /* of its most recent socket */
    bool agg;            /* that http is an agg record's example */
};

struct http_groups {
    const struct process *p;
    struct findings *out;
    size_t first, nslots;
    uint32_t *group_of[G_KINDS]; /* stk -> index of its group + 1 */
    struct http_group *v;
    size_t n, cap;
};

/* A socket as these rules see it, live or closed; or the n sockets of an
 * agg_site (agg: their idle time is not known, opened is their last close). */
struct http_sock {
    uint64_t opened, idle;
    uint32_t stk, peer, http;
    uint32_t rstk; /* its request site, 0 = not known */
    bool sampled;
    uint8_t role;
    uint64_t n;
    bool agg;
};

/* The group of a socket: by its request site, else its opening stack
 * (never the same stack id: they are captured in different calls). */
static size_t group_get(struct http_groups *gs, int g, const struct http_sock *s)
{
    uint32_t stk = s->rstk ? s->rstk : s->stk;
    stk = stk < gs->nslots ? stk : 0;
    uint32_t *slot = &gs->group_of[g][stk];
    if (!*slot) {
        struct finding *f = findings_add(gs->out, group_kinds[g]);
        f->stk = stk;
        f->req_site = s->rstk != 0;
        f->partial = !gs->p->complete;
        finding_add_pid(f, gs->p->pid);
        ALLOC_GROW(gs->v, gs->n + 1, gs->cap);
        gs->v[gs->n++] = (struct http_group){0};
        *slot = (uint32_t)gs->n;
    }
    return *slot - 1;
}

static void group_add(struct http_groups *gs, int g, const struct http_sock *s)
{
    size_t i = group_get(gs, g, s);
    struct finding *f = &gs->out->v[gs->first + i];
    struct http_group *grp = &gs->v[i];
    const struct http_state *h = process_http(gs->p, s->http);
    f->count += s->n;
    f->roles[s->role < ROLE_COUNT ? s->role : ROLE_OTHER] += s->n;
    if (!s->agg && s->idle < f->idle_min) f->idle_min = s->idle;
    if (!s->agg && s->idle > f->idle_max) f->idle_max = s->idle;
    f->bytes_read += h ? h->read : 0; /* agg: only its example's are known */
    ids_push_n(&grp->peers, s->peer, s->n);
    ids_push_n(&grp->hosts, http_host_or(h, s->peer), s->n);
    f->req_sampled |= s->sampled;
    /* a detailed socket's exchange before any agg example */
    if (!grp->http || (s->agg == grp->agg && s->opened >= f->recent) || (grp->agg && !s->agg)) {
        grp->http = s->http;
        grp->peer = s->peer;
        grp->agg = s->agg;
        f->recent = s->opened;
        if (f->req_site) f->open_stk = s->stk;
    }
}

static void groups_live(struct http_groups *gs, const struct rule_opts *o,
                        const struct http_opts *h)
{
    const struct process *p = gs->p;
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        int kind = live_verdict(p, l, o, h);
        if (kind != KIND_UNCLOSED_BODY && kind != KIND_STUCK_REQUEST) continue;
        const struct http_state *hs = process_http(p, l->http);
        struct http_sock s = {.opened = l->opened,
                              .idle = live_idle_ns(l),
                              .stk = l->stk,
                              .peer = l->peer,
                              .http = l->http,
                              .rstk = hs ? hs->rstk : 0,
                              .sampled = hs && hs->rsampled,
                              .role = l->role,
                              .n = 1};
        group_add(gs, kind == KIND_UNCLOSED_BODY ? G_UNCLOSED : G_STUCK, &s);
    }
}

static void groups_discarded(struct http_groups *gs)
{
    const struct process *p = gs->p;
    for (size_t i = 0; i < p->ndiscarded; i++) {
        const struct http_closed *c = &p->discarded[i];
        uint64_t since = c->last_io ? c->last_io : c->opened;
        const struct http_state *hs = process_http(p, c->http);
        struct http_sock s = {.opened = c->opened,
                              .idle = c->closed > since ? c->closed - since : 0,
                              .stk = c->stk,
                              .peer = c->peer,
                              .http = c->http,
                              .rstk = hs ? hs->rstk : 0,
                              .sampled = hs && hs->rsampled,
                              .role = ROLE_CLIENT,
                              .n = 1};
        group_add(gs, G_DISCARDED, &s);
    }
    for (size_t i = 0; i < p->naggs; i++) {
        const struct agg_site *a = &p->aggs[i];
        if (!a->discarded) continue;
        struct http_sock s = {.opened = a->last,
                              .stk = a->stk,
                              .peer = a->peer,
                              .http = a->example,
                              .rstk = a->rstk,
                              .role = ROLE_CLIENT,
                              .n = a->discarded,
                              .agg = true};
        group_add(gs, G_DISCARDED, &s);
    }
}

static void groups_finish(struct http_groups *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        struct finding *f = &gs->out->v[gs->first + i];
        struct http_group *g = &gs->v[i];
        ids_count_peers(gs->p, f, &g->peers, false);
        ids_count_peers(gs->p, f, &g->hosts, true);
        const struct http_state *h = process_http(gs->p, g->http);
        if (h) finding_http_of(gs->p, f, h, g->peer);
    }
    for (int g = 0; g < G_KINDS; g++) free(gs->group_of[g]);
    free(gs->v);
}

/* ---- no-connection-reuse --------------------------------------------- */

static int cmp_reuse(const void *a, const void *b)
{
    const struct reuse_cand *x = a, *y = b;
    if (x->peer != y->peer) return x->peer < y->peer ? -1 : 1;
    return x->closed < y->closed ? -1 : x->closed > y->closed;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The most connections of c[0..n) open at one time: opens +1, closes -1,
 * in time order, a close before an open at the same ts. */
static uint64_t reuse_max_concurrent(const struct reuse_cand *c, size_t n)
{
    uint64_t *ev = xcalloc(2 * n, sizeof(*ev)), limit = UINT64_C(1) << 62;
    for (size_t i = 0; i < n; i++) {
        uint64_t closed = c[i].closed < limit ? c[i].closed : limit - 1;
        uint64_t opened = c[i].opened < closed ? c[i].opened : closed;
        ev[2 * i] = opened << 1 | 1;
        ev[2 * i + 1] = closed << 1;
    }
    sort_n(ev, 2 * n, sizeof(*ev), cmp_u64);
    int64_t cur = 0, max = 1;
    for (size_t i = 0; i < 2 * n; i++) {
        cur += (ev[i] & 1) ? 1 : -1;
        if (cur > max) max = cur;
    }
    free(ev);
    return (uint64_t)max;
}

/* The connections closed after one keep-alive request to one peer: the
 * detailed ones c[0..n) (sorted by close) and the agg_sites a[0..na) that
 * counted some; count is their sum. */
struct reuse_peer {
    uint32_t peer;
    const struct reuse_cand *c;
    size_t n;
    const struct agg_site *const *a;
    size_t na;
    uint64_t count;
};

/* The most common opening stack of the connections (ties: the lowest id),
 * or with req their most common request site (else opening stack), and how
 * many distinct ones there are. */
static uint32_t reuse_site(const struct reuse_peer *rp, bool req, uint64_t *sites)
{
    size_t m = rp->n + rp->na;
    struct id_count *v = xcalloc(m, sizeof(*v));
    for (size_t i = 0; i < rp->n; i++) {
        const struct reuse_cand *c = &rp->c[i];
        v[i] = (struct id_count){req && c->rstk ? c->rstk : c->stk, 1};
    }
    for (size_t k = 0; k < rp->na; k++)
        v[rp->n + k] = (struct id_count){req && rp->a[k]->rstk ? rp->a[k]->rstk : rp->a[k]->stk,
                                         rp->a[k]->one_req_ka};
    sort_n(v, m, sizeof(*v), id_count_cmp);
    uint32_t best = 0;
    uint64_t best_n = 0;
    *sites = 0;
    for (size_t i = 0; i < m;) {
        uint64_t sum = 0;
        size_t j = i;
        for (; j < m && v[j].id == v[i].id; j++) sum += v[j].n;
        if (sum > best_n) best = v[i].id, best_n = sum;
        (*sites)++;
        i = j;
    }
    free(v);
    return best;
}

/* The most ESTABLISHED connections to peer at one sample (sample.peers). */
static uint64_t peer_peak(const struct process *p, uint32_t peer)
{
    uint64_t peak = 0;
    for (size_t i = 0; i < p->npeer_pts; i++)
        if (p->peer_pts[i].id == peer && p->peer_pts[i].n > peak) peak = p->peer_pts[i].n;
    return peak;
}

/* The most of them open at one time. The agg-counted ones' open and close
 * times are not known: then at least the samples' peak for the peer (all
 * its ESTABLISHED connections, an upper bound of theirs), else 1. */
static uint64_t reuse_concurrent(const struct process *p, const struct reuse_peer *rp)
{
    uint64_t max = rp->n ? reuse_max_concurrent(rp->c, rp->n) : 1;
    if (rp->na) {
        uint64_t peak = peer_peak(p, rp->peer);
        if (peak > max) max = peak;
    }
    return max < rp->count ? max : rp->count;
}

/* One finding for the connections to one peer. */
static void reuse_finding(const struct process *p, const struct reuse_peer *rp,
                          struct findings *out)
{
    const char *peer = strtab_get(&p->peers, rp->peer);
    struct finding *f = findings_add(out, KIND_NO_REUSE);
    uint64_t sites;
    f->stk = reuse_site(rp, true, &f->sites);
    f->open_stk = reuse_site(rp, false, &sites);
    f->req_site = f->stk != f->open_stk; /* some request site known */
    if (!f->req_site) f->open_stk = 0;
    f->partial = !p->complete;
    finding_add_pid(f, p->pid);
    f->count = rp->count;
    f->roles[ROLE_CLIENT] = rp->count;
    f->max_concurrent = reuse_concurrent(p, rp);
    f->requests = rp->peer < p->npeer_reqs ? p->peer_reqs[rp->peer] : 0;
    if (f->requests < rp->count) f->requests = rp->count;
    f->key = fnv1a64(FNV1A64_INIT, peer, strlen(peer));
    finding_push_peer(f, peer, rp->count);
    /* the latest detailed one's Host (agg records have none) */
    uint32_t host = rp->n && rp->c[rp->n - 1].host ? rp->c[rp->n - 1].host : rp->peer;
    f->http.host = xstrdup(strtab_get(&p->peers, host));
}

/* An agg_site with one-request connections to a server: a client's peer
 * has its port; the agg of accepted sockets, port 0. */
static bool agg_reuse(const struct process *p, const struct agg_site *a)
{
    const char *peer = a->one_req_ka && a->peer ? strtab_get(&p->peers, a->peer) : NULL;
    return peer && !str_has_suffix(peer, ":0");
}

static int cmp_agg_peer(const void *a, const void *b)
{
    uint32_t x = (*(const struct agg_site *const *)a)->peer,
             y = (*(const struct agg_site *const *)b)->peer;
    return x < y ? -1 : x > y;
}

/* The agg_sites that counted one-request connections, sorted by peer; *total
 * gets their connections added. */
static const struct agg_site **reuse_aggs(const struct process *p, size_t *na, uint64_t *total)
{
    const struct agg_site **a = xcalloc(p->naggs ? p->naggs : 1, sizeof(*a));
    *na = 0;
    for (size_t i = 0; i < p->naggs; i++) {
        if (!agg_reuse(p, &p->aggs[i])) continue;
        a[(*na)++] = &p->aggs[i];
        *total += p->aggs[i].one_req_ka;
    }
    sort_n(a, *na, sizeof(*a), cmp_agg_peer);
    return a;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Go connections left idle, after one request, each in a pool (Transport)
 * of its own: a new Transport per request, whose pool nobody uses again.
 * Appended to c as if closed at their last I/O. Returns the new count. */
static size_t reuse_go_stranded(const struct process *p, struct reuse_cand *c, size_t n)
{
    uint32_t *pools = xcalloc(p->nlive + 1, sizeof(*pools));
    size_t np = 0;
    for (size_t i = 0; i < p->nlive; i++) {
        const struct http_state *h = process_http(p, p->live[i].http);
        if (h && h->pool) pools[np++] = h->pool;
    }
    sort_n(pools, np, sizeof(*pools), cmp_u32);
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        const struct http_state *h = process_http(p, l->http);
        if (!h || h->go != GO_POOLED || h->reqs != 1 || !h->pool) continue;
        uint32_t *at = search_n(&h->pool, pools, np, sizeof(*pools), cmp_u32);
        bool alone =
            (at == pools || at[-1] != h->pool) && (at + 1 == pools + np || at[1] != h->pool);
        /* done with at its last I/O: stranded, not in use, until the end */
        uint64_t done = l->last_io > l->opened ? l->last_io : l->opened;
        if (alone)
            c[n++] = (struct reuse_cand){.opened = l->opened,
                                         .closed = done,
                                         .stk = l->stk,
                                         .peer = l->peer,
                                         .host = h->host,
                                         .rstk = h->rstk};
    }
    free(pools);
    return n;
}

static void rules_reuse(const struct process *p, const struct http_opts *h, struct findings *out)
{
    uint64_t min = h->reuse_min > 1 ? h->reuse_min : 2;
    struct reuse_cand *c = xcalloc(p->nreuse + p->nlive + 1, sizeof(*c));
    if (p->nreuse) memcpy(c, p->reuse, p->nreuse * sizeof(*c));
    size_t na, n = reuse_go_stranded(p, c, p->nreuse), i = 0, k = 0;
    uint64_t total = n;
    const struct agg_site **a = reuse_aggs(p, &na, &total);
    sort_n(c, n, sizeof(*c), cmp_reuse);
    while (total >= min && (i < n || k < na)) { /* the two lists by peer, side by side */
        struct reuse_peer rp = {0};
        rp.peer = i < n && (k == na || c[i].peer <= a[k]->peer) ? c[i].peer : a[k]->peer;
        rp.c = c ? c + i : NULL, rp.a = a + k;
        for (; i < n && c[i].peer == rp.peer; i++) rp.n++;
        for (; k < na && a[k]->peer == rp.peer; k++) rp.na++, rp.count += a[k]->one_req_ka;
        rp.count += rp.n;
        if (rp.peer && rp.count >= min) reuse_finding(p, &rp, out);
    }
    free(c);
    free(a);
}

void rules_http(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                struct findings *out)
{
    struct http_groups gs = {.p = p, .out = out, .first = out->n};
    if (p->nhttp || p->naggs) {
        gs.nslots = p->nstacks ? p->nstacks : 1;
        for (int g = 0; g < G_KINDS; g++) gs.group_of[g] = xcalloc(gs.nslots, sizeof(uint32_t));
        groups_live(&gs, o, h);
        groups_discarded(&gs);
        groups_finish(&gs);
    }
    rules_reuse(p, h, out);
}
