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
 * The first three are grouped by opening stack like orphaned-socket, with
 * the exchange of the group's most recent socket; the last one per peer,
 * at the most common opening stack of its connections. */
#include "rules.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000ULL

/* ms -> ns, saturating */
static uint64_t ms_to_ns(uint64_t ms)
{
    return ms < UINT64_MAX / NS_PER_MS ? ms * NS_PER_MS : UINT64_MAX;
}

void finding_http_of(const struct process *p, struct finding *f, const struct http_state *h,
                     uint32_t peer)
{
    finding_set_http(f, h, strtab_get(&p->peers, http_host_or(h, peer)),
                     strtab_get(&p->texts, h->method), strtab_get(&p->texts, h->target));
}

int http_live_kind(const struct process *p, const struct live_sock *l, const struct http_opts *o)
{
    const struct http_state *h = process_http(p, l->http);
    if (!h || h->lost || h->tunnel) return -1;
    uint64_t idle = live_idle_ns(l);
    if (h->phase == HTTP_BODY)
        return p->complete || idle >= ms_to_ns(o->idle_ms) ? KIND_UNCLOSED_BODY : -1;
    if (h->await > 0 && idle >= ms_to_ns(o->stuck_ms)) return KIND_STUCK_REQUEST;
    return -1;
}

/* ---- by opening stack: unclosed-body, stuck-request, discarded-body ---- */

enum { G_UNCLOSED, G_STUCK, G_DISCARDED, G_KINDS };

static const enum finding_kind group_kinds[G_KINDS] = {KIND_UNCLOSED_BODY, KIND_STUCK_REQUEST,
                                                       KIND_DISCARDED_BODY};

/* One group while it is gathered (the finding is out->v[first + i]). */
struct http_group {
    struct ids peers, hosts;
    uint32_t http, peer; /* of its most recent socket */
};

struct http_groups {
    const struct process *p;
    struct findings *out;
    size_t first, nslots;
    uint32_t *group_of[G_KINDS]; /* stk -> index of its group + 1 */
    struct http_group *v;
    size_t n, cap;
};

/* A socket as these rules see it, live or closed. */
struct http_sock {
    uint64_t opened, idle;
    uint32_t stk, peer, http;
    uint8_t role;
};

static size_t group_get(struct http_groups *gs, int g, uint32_t stk)
{
    stk = stk < gs->nslots ? stk : 0;
    uint32_t *slot = &gs->group_of[g][stk];
    if (!*slot) {
        struct finding *f = findings_add(gs->out, group_kinds[g]);
        f->stk = stk;
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
    size_t i = group_get(gs, g, s->stk);
    struct finding *f = &gs->out->v[gs->first + i];
    struct http_group *grp = &gs->v[i];
    const struct http_state *h = process_http(gs->p, s->http);
    f->count++;
    f->roles[s->role < ROLE_COUNT ? s->role : ROLE_OTHER]++;
    if (s->idle < f->idle_min) f->idle_min = s->idle;
    if (s->idle > f->idle_max) f->idle_max = s->idle;
    f->bytes_read += h ? h->read : 0;
    ids_push(&grp->peers, s->peer);
    ids_push(&grp->hosts, http_host_or(h, s->peer));
    if (!grp->http || s->opened >= f->recent) {
        grp->http = s->http;
        grp->peer = s->peer;
        f->recent = s->opened;
    }
}

static void groups_live(struct http_groups *gs, const struct rule_opts *o,
                        const struct http_opts *h)
{
    const struct process *p = gs->p;
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        int kind = live_counts(l, o) ? http_live_kind(p, l, h) : -1;
        if (kind < 0) continue;
        struct http_sock s = {l->opened, live_idle_ns(l), l->stk, l->peer, l->http, l->role};
        group_add(gs, kind == KIND_UNCLOSED_BODY ? G_UNCLOSED : G_STUCK, &s);
    }
}

static void groups_discarded(struct http_groups *gs)
{
    const struct process *p = gs->p;
    for (size_t i = 0; i < p->ndiscarded; i++) {
        const struct http_closed *c = &p->discarded[i];
        uint64_t since = c->last_io ? c->last_io : c->opened;
        struct http_sock s = {c->opened, c->closed > since ? c->closed - since : 0,
                              c->stk,    c->peer,
                              c->http,   ROLE_CLIENT};
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
    qsort(ev, 2 * n, sizeof(*ev), cmp_u64);
    int64_t cur = 0, max = 1;
    for (size_t i = 0; i < 2 * n; i++) {
        cur += (ev[i] & 1) ? 1 : -1;
        if (cur > max) max = cur;
    }
    free(ev);
    return (uint64_t)max;
}

/* The most common opening stack of c[0..n) (ties: the lowest id), and how
 * many distinct ones there are. */
static uint32_t reuse_site(const struct reuse_cand *c, size_t n, uint64_t *sites)
{
    uint64_t *stk = xcalloc(n, sizeof(*stk));
    for (size_t i = 0; i < n; i++) stk[i] = c[i].stk;
    qsort(stk, n, sizeof(*stk), cmp_u64);
    uint32_t best = 0;
    size_t best_n = 0;
    *sites = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && stk[j] == stk[i]) j++;
        if (j - i > best_n) best = (uint32_t)stk[i], best_n = j - i;
        (*sites)++;
        i = j;
    }
    free(stk);
    return best;
}

/* One finding for the connections c[0..n) to one peer, sorted by close. */
static void reuse_finding(const struct process *p, const struct reuse_cand *c, size_t n,
                          struct findings *out)
{
    const char *peer = strtab_get(&p->peers, c[0].peer);
    struct finding *f = findings_add(out, KIND_NO_REUSE);
    f->stk = reuse_site(c, n, &f->sites);
    f->partial = !p->complete;
    finding_add_pid(f, p->pid);
    f->count = n;
    f->roles[ROLE_CLIENT] = n;
    f->max_concurrent = reuse_max_concurrent(c, n);
    f->requests = c[0].peer < p->npeer_reqs ? p->peer_reqs[c[0].peer] : n;
    f->key = fnv1a64(FNV1A64_INIT, peer, strlen(peer));
    finding_push_peer(f, peer, n);
    uint32_t host = c[n - 1].host ? c[n - 1].host : c[0].peer; /* the latest one's */
    f->http.host = xstrdup(strtab_get(&p->peers, host));
}

static void rules_reuse(const struct process *p, const struct http_opts *h, struct findings *out)
{
    uint64_t min = h->reuse_min > 1 ? h->reuse_min : 2;
    if (p->nreuse < min) return;
    struct reuse_cand *c = xcalloc(p->nreuse, sizeof(*c));
    memcpy(c, p->reuse, p->nreuse * sizeof(*c));
    qsort(c, p->nreuse, sizeof(*c), cmp_reuse);
    for (size_t i = 0; i < p->nreuse;) {
        size_t j = i;
        while (j < p->nreuse && c[j].peer == c[i].peer) j++;
        if (c[i].peer && j - i >= min) reuse_finding(p, c + i, j - i, out);
        i = j;
    }
    free(c);
}

void rules_http(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                struct findings *out)
{
    struct http_groups gs = {.p = p, .out = out, .first = out->n};
    if (p->nhttp) {
        gs.nslots = p->nstacks ? p->nstacks : 1;
        for (int g = 0; g < G_KINDS; g++) gs.group_of[g] = xcalloc(gs.nslots, sizeof(uint32_t));
        groups_live(&gs, o, h);
        groups_discarded(&gs);
        groups_finish(&gs);
    }
    rules_reuse(p, h, out);
}
