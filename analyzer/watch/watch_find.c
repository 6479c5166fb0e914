/* watch_find.c - the findings of `connleak watch`, from the model, as
 * struct finding of the shared model (model/findings.h): the same kinds,
 * names and severities as `run` and `report`, seen from outside (outside
 * set: no stacks, one finding per peer):
 *
 *   close-wait-pile  per peer: sockets in CLOSE_WAIT at the last sample that
 *                    were already in CLOSE_WAIT at an earlier one (with a
 *                    single sample: all of them) - the peer closed, the
 *                    program never did
 *   fd-growth        the open-fd series has a significant upward trend
 *                    (Mann-Kendall, trend.h) and its Theil-Sen line rises by
 *                    at least TREND_FD_MIN_RISE fds over the watch
 *   unbounded-pool   per peer: the same test on its ESTABLISHED series
 *                    (TREND_POOL_MIN_RISE)
 *   time-wait-storm  per peer: at least WATCH_TIME_WAIT_MIN of the process's
 *                    connections in TIME_WAIT at once
 *
 * Order: findings_sort's (kinds in the enum's order, larger counts first;
 * then by peer). */
#include <stdlib.h>
#include <string.h>

#include "model/findings.h"
#include "watch/watch.h"

#define NS_PER_S 1e9

static uint64_t s_to_ns(double s)
{
    return s > 0 ? (uint64_t)(s * NS_PER_S) : 0;
}

static enum sock_role peer_role(const struct watch_peer *p)
{
    return p->key.family == 0 ? ROLE_OTHER : p->key.inbound ? ROLE_ACCEPTED : ROLE_CLIENT;
}

/* A finding of the process; peer: its peer (count: its sockets), or NULL. */
static struct finding *finding_new(struct findings *fs, enum finding_kind kind, int pid,
                                   const struct watch_peer *p, uint64_t count)
{
    struct finding *f = findings_add(fs, kind);
    f->outside = true;
    f->count = count;
    finding_add_pid(f, pid);
    f->fingerprint = frames_fingerprint(&f->stack); /* no stack: the same as run's */
    f->site = f->fingerprint;
    if (!p) return f;
    f->roles[peer_role(p)] = count;
    finding_push_peer(f, p->label, count);
    f->key = fnv1a64(FNV1A64_INIT, p->label, strlen(p->label)) | 1;
    f->site ^= f->key; /* what the findings are told apart by: the peer */
    return f;
}

/* A series of the model, with t from the first sample (as run's trends). */
static void trend_fill(struct finding_trend *tr, const struct watch_model *m, const double *y,
                       const struct trend_fit *fit)
{
    tr->n = m->npts;
    tr->t = xcalloc(m->npts + 1, sizeof(*tr->t));
    tr->y = xcalloc(m->npts + 1, sizeof(*tr->y));
    for (size_t i = 0; i < m->npts; i++) {
        tr->t[i] = m->t[i] - m->t[0];
        tr->y[i] = y[i];
    }
    tr->fit = *fit;
    tr->fit.intercept += fit->slope * m->t[0]; /* the same line, from the first sample */
    tr->eta_s = -1;
}

static void fd_growth_find(const struct watch_model *m, int pid, struct findings *fs)
{
    struct trend_fit fit;
    if (!trend_rising(m->t, m->fds, m->npts, TREND_FD_MIN_RISE, &fit)) return;
    struct finding *f = finding_new(fs, KIND_FD_GROWTH, pid, NULL, (uint64_t)m->fds_last);
    struct finding_trend *tr = &f->trend;
    trend_fill(tr, m, m->fds, &fit);
    tr->y2 = xcalloc(m->npts + 1, sizeof(*tr->y2));
    memcpy(tr->y2, m->socks, m->npts * sizeof(*tr->y2));
    tr->first = m->fds_first;
    tr->last = m->fds_last;
    tr->peak = m->fds_peak;
    tr->nofile = m->nofile > 0 ? (uint64_t)m->nofile : 0;
    if (m->nofile > 0) tr->eta_s = trend_time_to(&fit, m->t_last, (double)m->nofile);
}

static void close_wait_find(const struct watch_model *m, const struct watch_peer *p, int pid,
                            struct findings *fs)
{
    bool one = m->nsamples < 2; /* then every CLOSE_WAIT socket, and no age */
    uint32_t cw = one ? p->cur[TCP_CLOSE_WAIT] : p->cw_kept;
    if (cw == 0) return;
    struct finding *f = finding_new(fs, KIND_CLOSE_WAIT, pid, p, cw);
    f->peak = p->peak_cw;
    f->unread = p->cw_unread;
    if (one) return; /* waited_min stays UINT64_MAX: not known */
    f->waited_min = s_to_ns(p->cw_youngest);
    f->waited_max = s_to_ns(p->cw_oldest);
}

static void pool_find(const struct watch_model *m, const struct watch_peer *p, int pid,
                      struct findings *fs)
{
    struct trend_fit fit;
    if (!trend_rising(m->t, p->est, m->npts, TREND_POOL_MIN_RISE, &fit)) return;
    struct finding *f = finding_new(fs, KIND_POOL, pid, p, p->cur[TCP_ESTABLISHED]);
    f->peers[0].count = p->peak_est;      /* as run's: the peer with its peak */
    f->roles[peer_role(p)] = p->peak_est; /* its direction, if none is left at the end */
    trend_fill(&f->trend, m, p->est, &fit);
    f->trend.first = p->est[0];
    f->trend.last = p->cur[TCP_ESTABLISHED];
    f->trend.peak = p->peak_est;
}

static void time_wait_find(const struct watch_model *m, const struct watch_peer *p, int pid,
                           struct findings *fs)
{
    if (p->peak_tw < WATCH_TIME_WAIT_MIN) return;
    struct finding *f = finding_new(fs, KIND_TIME_WAIT, pid, p, p->peak_tw);
    f->closes = p->tw_total;
    double span = m->t_last - m->t_first;
    if (span > 0) f->rate = (double)p->tw_total / span;
}

void watch_findings_compute(const struct watch_model *m, int pid, struct findings *out)
{
    memset(out, 0, sizeof(*out));
    if (m->nsamples == 0) return;
    fd_growth_find(m, pid, out);
    for (size_t i = 0; i < m->npeers; i++) {
        close_wait_find(m, &m->peers[i], pid, out);
        pool_find(m, &m->peers[i], pid, out);
        time_wait_find(m, &m->peers[i], pid, out);
    }
    findings_sort(out);
}
