/* watch_find.c - the findings of `connleak watch`, from the model:
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
 * Order: kinds as listed, then larger counts first. */
#include <stdlib.h>
#include <string.h>

#include "model/findings.h"
#include "watch/watch.h"

/* The finding of a report each kind of watch finding is: the same name,
 * the same meaning (docs/watch.md), seen from outside. */
static const enum finding_kind as_finding[WK_COUNT] = {
    [WK_CLOSE_WAIT] = KIND_CLOSE_WAIT,
    [WK_FD_GROWTH] = KIND_FD_GROWTH,
    [WK_POOL] = KIND_POOL,
    [WK_TIME_WAIT] = KIND_TIME_WAIT,
};

const char *watch_kind_name(enum watch_kind kind)
{
    return kind < WK_COUNT ? kind_name(as_finding[kind]) : "?";
}

/* Not kind_severity(): without stacks or sockets, watch calls fd-growth a
 * warning where a report (which names the growing sites) says error. */
const char *watch_kind_severity(enum watch_kind kind)
{
    return kind == WK_CLOSE_WAIT ? "error" : "warning";
}

int watch_fail_on_parse(const char *list, unsigned *mask)
{
    char *copy = xstrdup(list), *save = NULL;
    int rc = 0;
    *mask = 0;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int i = 0; i < WK_COUNT; i++)
            if (strcmp(k, watch_kind_name((enum watch_kind)i)) == 0) found = i;
        if (strcmp(k, "any") == 0)
            *mask |= (1u << WK_COUNT) - 1;
        else if (found >= 0)
            *mask |= 1u << found;
        else
            rc = -1;
    }
    free(copy);
    return rc == 0 && *mask ? 0 : -1;
}

static struct watch_finding *finding_add(struct watch_findings *fs, enum watch_kind kind,
                                         size_t peer)
{
    ALLOC_GROW(fs->v, fs->n + 1, fs->cap);
    struct watch_finding *f = &fs->v[fs->n++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->peer = peer;
    f->to_limit = -1;
    f->rate = -1;
    return f;
}

/* A significant rise of at least min_rise over the watch: true, with fit. */
static bool rising(const struct watch_model *m, const double *y, double min_rise,
                   struct trend_fit *fit)
{
    return trend_rising(m->t, y, m->npts, min_rise, fit);
}

static void fd_growth_find(const struct watch_model *m, struct watch_findings *fs)
{
    struct trend_fit fit;
    if (!rising(m, m->fds, TREND_FD_MIN_RISE, &fit)) return;
    struct watch_finding *f = finding_add(fs, WK_FD_GROWTH, SIZE_MAX);
    f->fit = fit;
    f->count = (uint64_t)m->fds_last;
    f->first = m->fds_first;
    f->peak = m->fds_peak;
    if (m->nofile > 0) f->to_limit = trend_time_to(&fit, m->t_last, (double)m->nofile);
}

static void peer_find(const struct watch_model *m, size_t i, struct watch_findings *fs)
{
    const struct watch_peer *p = &m->peers[i];
    uint32_t cw = m->nsamples > 1 ? p->cw_kept : p->cur[TCP_CLOSE_WAIT];
    if (cw > 0) finding_add(fs, WK_CLOSE_WAIT, i)->count = cw;
    struct trend_fit fit;
    if (rising(m, p->est, TREND_POOL_MIN_RISE, &fit)) {
        struct watch_finding *f = finding_add(fs, WK_POOL, i);
        f->fit = fit;
        f->count = p->cur[TCP_ESTABLISHED];
        f->first = p->est[0];
        f->peak = p->peak_est;
    }
    if (p->peak_tw >= WATCH_TIME_WAIT_MIN) {
        struct watch_finding *f = finding_add(fs, WK_TIME_WAIT, i);
        f->count = p->peak_tw;
        double span = m->t_last - m->t_first;
        if (span > 0) f->rate = (double)p->tw_total / span;
    }
}

static int finding_cmp(const void *a, const void *b)
{
    const struct watch_finding *x = a, *y = b;
    if (x->kind != y->kind) return (int)x->kind - (int)y->kind;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->peer < y->peer ? -1 : x->peer > y->peer;
}

void watch_findings_compute(const struct watch_model *m, struct watch_findings *out)
{
    memset(out, 0, sizeof(*out));
    if (m->nsamples == 0) return;
    fd_growth_find(m, out);
    for (size_t i = 0; i < m->npeers; i++) peer_find(m, i, out);
    sort_n(out->v, out->n, sizeof(*out->v), finding_cmp);
}

bool watch_findings_have(const struct watch_findings *f, unsigned kinds)
{
    for (size_t i = 0; i < f->n; i++)
        if (kinds & (1u << f->v[i].kind)) return true;
    return false;
}

void watch_findings_free(struct watch_findings *f)
{
    free(f->v);
    memset(f, 0, sizeof(*f));
}
