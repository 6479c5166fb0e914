/* watch_summary.c - the summary of a watch's model that its renderers read
 * (watch_summary.h): the last sample, the series, one row per peer (most
 * sockets first), the listening addresses. Borrowed pointers into the
 * model: refilled after every sample. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "watch/watch.h"

const char *watch_end_name(enum watch_end end)
{
    static const char *const names[] = {
        [END_EXITED] = "exited",           [END_DURATION] = "duration", [END_ONCE] = "once",
        [END_INTERRUPTED] = "interrupted", [END_LOST] = "lost",
    };
    return end <= END_LOST ? names[end] : "?";
}

static uint32_t peer_total(const struct watch_peer *p)
{
    uint32_t n = 0;
    for (int s = 0; s < WATCH_NSTATES; s++) n += p->cur[s];
    return n;
}

static void row_fill(struct watch_peer_row *r, const struct watch_peer *p)
{
    memset(r, 0, sizeof(*r));
    r->label = p->label;
    r->direction = p->key.family == 0 ? "other" : p->key.inbound ? "in" : "out";
    r->port = p->key.family ? p->key.port : -1;
    if (p->key.family) inet_ntop(p->key.family, p->key.addr, r->address, sizeof(r->address));
    r->states = p->cur;
    r->total = peer_total(p);
    r->unread = p->unread;
    r->peak_est = p->peak_est;
    r->peak_cw = p->peak_cw;
    r->peak_tw = p->peak_tw;
    r->tw_seen = p->tw_total;
    r->est = p->est;
    r->cw = p->cw;
    r->tw = p->tw;
}

static int row_cmp(const void *a, const void *b)
{
    const struct watch_peer_row *x = a, *y = b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    return strcmp(x->label, y->label);
}

static void listening_fill(struct strlist *l, const struct watch_model *m)
{
    for (size_t i = 0; i < m->nlisten; i++) {
        const struct wendpoint *e = &m->listen[i];
        if (e->last_seen != m->t_last) continue;
        char addr[INET6_ADDRSTRLEN] = "?";
        inet_ntop(e->tu.family, e->tu.src, addr, sizeof(addr));
        bool v6 = e->tu.family == AF_INET6;
        strlist_push(l, xasprintf("%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "", e->tu.sport));
    }
}

void watch_summary_fill(struct watch_summary *s, const struct watch_model *m)
{
    memset(s, 0, sizeof(*s));
    s->nsamples = m->nsamples;
    s->every_samples = m->stride ? m->stride : 1;
    s->duration_s = m->nsamples ? m->t_last - m->t_first : 0;
    s->npts = m->npts;
    s->t = m->t;
    s->fds = m->fds;
    s->socks = m->socks;
    s->fds_first = m->fds_first;
    s->fds_last = m->fds_last;
    s->fds_peak = m->fds_peak;
    s->nsock_last = m->nsock_last;
    s->totals = m->totals;
    s->nofile = m->nofile;
    s->diag_err = m->diag_err;
    listening_fill(&s->listening, m);
    s->peers = xcalloc(m->npeers + 1, sizeof(*s->peers));
    for (size_t i = 0; i < m->npeers; i++) row_fill(&s->peers[i], &m->peers[i]);
    s->npeers = m->npeers;
    sort_n(s->peers, s->npeers, sizeof(*s->peers), row_cmp);
}

void watch_summary_free(struct watch_summary *s)
{
    strlist_free(&s->listening);
    free(s->peers);
    memset(s, 0, sizeof(*s));
}
