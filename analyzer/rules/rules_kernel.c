/* rules_kernel.c - the findings of the kernel's view and of the time axis,
 * from the sampler's records (docs/trace-format.md: sample, ktcp, dump):
 *
 *   close-wait-pile  live sockets the peer closed (kernel CLOSE_WAIT seen by
 *                    a sample, or EOF read CLOSEWAIT_EOF_MIN_MS or more
 *                    before the end) and the program never closed, by
 *                    opening stack;
 *   time-wait-storm  per (peer, opening stack), the peak of TIME_WAIT sockets
 *                    over the samples, at --tw-min or more;
 *   fd-growth        the open-fd series with a significant upward trend
 *                    (trend.h), with the call sites whose live sockets grow;
 *   unbounded-pool   per peer, ESTABLISHED client connections trending up.
 *
 * A sample lists at most SAMPLE_TOP sites and peers: one missing from a
 * sample that listed fewer had none then (0); one missing from a full list
 * is not known for that sample (no point). */
#include "rules/rules.h"

#include <stdlib.h>
#include <string.h>

#define SAMPLE_TOP 8  /* sites and peers a sample lists at most */
#define MAX_SERIES 64 /* sites or peers tested per process (those seen most) */
#define MAX_GSITES 5  /* growing sites named in an fd-growth finding */
#define NS_PER_S   1e9

/* ---- close-wait-pile ------------------------------------------------- */

/* How long it has waited: since the kernel was seen in CLOSE_WAIT, else
 * since its last I/O (the EOF read), else since it was opened. */
static uint64_t closewait_waited(const struct live_sock *l)
{
    uint64_t since = l->cw_since ? l->cw_since : l->last_io ? l->last_io : l->opened;
    return l->at > since ? l->at - since : 0;
}

static bool live_closewait(const struct live_sock *l)
{
    if (l->cw_since || l->kstate == KSTATE_CLOSE_WAIT || l->kstate == KSTATE_LAST_ACK) return true;
    return l->eof && closewait_waited(l) >= ms_to_ns(CLOSEWAIT_EOF_MIN_MS);
}

/* The claim of close-wait-pile (rules/verdict.c). */
bool claim_close_wait(const struct process *p, const struct live_sock *l, const struct http_opts *o)
{
    (void)p;
    (void)o;
    return live_closewait(l);
}

static void closewait_add(struct finding *f, const struct live_sock *l)
{
    uint64_t age = l->at > l->opened ? l->at - l->opened : 0, waited = closewait_waited(l);
    f->count++;
    f->roles[l->role < ROLE_COUNT ? l->role : ROLE_OTHER]++;
    if (age < f->age_min) f->age_min = age;
    if (age > f->age_max) f->age_max = age;
    if (waited < f->waited_min) f->waited_min = waited;
    if (waited > f->waited_max) f->waited_max = waited;
    f->unread += l->rq;
    f->bytes_in += l->in;
    f->bytes_out += l->out;
}

void rules_closewait(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                     struct findings *out)
{
    size_t nslots = p->nstacks ? p->nstacks : 1, first = out->n, ngroups = 0;
    uint32_t *group_of = xcalloc(nslots, sizeof(*group_of)); /* stk -> group + 1 */
    struct ids *peers = NULL;
    size_t cappeers = 0;
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        if (live_verdict(p, l, o, h) != KIND_CLOSE_WAIT) continue;
        uint32_t stk = l->stk < nslots ? l->stk : 0;
        if (!group_of[stk]) {
            struct finding *f = findings_add(out, KIND_CLOSE_WAIT);
            f->stk = stk;
            f->partial = !p->complete;
            f->dump = p->dump;
            finding_add_pid(f, p->pid);
            group_of[stk] = (uint32_t)++ngroups;
            ALLOC_GROW(peers, ngroups, cappeers);
            peers[ngroups - 1] = (struct ids){0};
        }
        closewait_add(&out->v[first + group_of[stk] - 1], l);
        ids_push(&peers[group_of[stk] - 1], l->peer);
    }
    for (size_t g = 0; g < ngroups; g++) ids_count_peers(p, &out->v[first + g], &peers[g], false);
    free(peers);
    free(group_of);
}

/* ---- time-wait-storm ------------------------------------------------- */

void rules_timewait(const struct process *p, const struct http_opts *h, struct findings *out)
{
    for (size_t i = 0; i < p->ntw; i++) {
        const struct tw_site *t = &p->tw[i];
        /* an estimate from sampled closes is never more than the closes */
        uint64_t peak = t->peak_est && t->closes && t->peak > t->closes ? t->closes : t->peak;
        if (!peak || peak < h->tw_min) continue;
        const char *peer = strtab_get(&p->peers, t->peer);
        struct finding *f = findings_add(out, KIND_TIME_WAIT);
        f->stk = t->stk;
        f->count = peak;
        f->roles[ROLE_CLIENT] = peak;
        f->partial = !p->complete;
        f->estimated = t->peak_est;
        finding_add_pid(f, p->pid);
        finding_push_peer(f, peer ? peer : "?", peak);
        f->key = fnv1a64(FNV1A64_INIT, peer ? peer : "?", peer ? strlen(peer) : 1) | 1;
        f->closes = t->closes;
        if (t->closes > 1 && t->last_close > t->first_close)
            f->rate = (double)t->closes / ((double)(t->last_close - t->first_close) / NS_PER_S);
    }
}

/* ---- series ---------------------------------------------------------- */

static double sample_t(const struct process *p, size_t i)
{
    return (double)(p->samples[i].ts - p->samples[0].ts) / NS_PER_S;
}

static void trend_set(struct finding_trend *tr, double *t, double *y, size_t n)
{
    tr->t = t;
    tr->y = y;
    tr->n = n;
    tr->first = n ? y[0] : 0;
    tr->last = n ? y[n - 1] : 0;
    tr->peak = 0;
    for (size_t i = 0; i < n; i++)
        if (y[i] > tr->peak) tr->peak = y[i];
}

/* The series of one site or peer (pts: its entries, in sample order). */
static size_t series_of(const struct process *p, const struct series_pt *pts, size_t npts,
                        bool peers, double **t, double **y)
{
    size_t n = 0, j = 0;
    *t = xcalloc(p->nsamples, sizeof(**t));
    *y = xcalloc(p->nsamples, sizeof(**y));
    for (size_t i = 0; i < p->nsamples; i++) {
        uint32_t listed = peers ? p->samples[i].npeers : p->samples[i].nsites;
        while (j < npts && pts[j].sample < i) j++;
        bool here = j < npts && pts[j].sample == i;
        if (!here && listed >= SAMPLE_TOP) continue; /* not known then */
        (*t)[n] = sample_t(p, i);
        (*y)[n++] = here ? pts[j].n : 0;
    }
    return n;
}

static int cmp_pt_id(const void *a, const void *b)
{
    const struct series_pt *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->sample < y->sample ? -1 : x->sample > y->sample;
}

struct run {
    size_t start, end; /* [start, end) in the sorted entries: one id */
};

static int cmp_run(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    size_t nx = x->end - x->start, ny = y->end - y->start;
    if (nx != ny) return nx > ny ? -1 : 1;
    return x->start < y->start ? -1 : 1;
}

/* The runs of equal ids in v (sorted by id, sample), longest first, at most
 * MAX_SERIES. */
static size_t runs_longest(const struct series_pt *v, size_t n, struct run **out)
{
    size_t nruns = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && v[j].id == v[i].id;) j++;
        ALLOC_GROW(*out, nruns + 1, cap);
        (*out)[nruns++] = (struct run){i, j};
    }
    sort_n(*out, nruns, sizeof(**out), cmp_run);
    return nruns < MAX_SERIES ? nruns : MAX_SERIES;
}

/* Calls cb with the series of each site or peer that grows (cb owns t, y). */
typedef void (*series_cb)(void *ctx, uint32_t id, double *t, double *y, size_t n,
                          const struct trend_fit *fit);

static void series_each_growing(const struct process *p, bool peers, double min_rise, series_cb cb,
                                void *ctx)
{
    size_t n = peers ? p->npeer_pts : p->nsites;
    if (!n) return;
    struct series_pt *v = xmalloc(n * sizeof(*v));
    memcpy(v, peers ? p->peer_pts : p->sites, n * sizeof(*v));
    sort_n(v, n, sizeof(*v), cmp_pt_id);
    struct run *runs;
    size_t nruns = runs_longest(v, n, &runs);
    for (size_t r = 0; r < nruns; r++) {
        double *t, *y;
        struct trend_fit fit;
        size_t m = series_of(p, v + runs[r].start, runs[r].end - runs[r].start, peers, &t, &y);
        if (trend_rising(t, y, m, min_rise, &fit)) {
            cb(ctx, v[runs[r].start].id, t, y, m, &fit);
        } else {
            free(t);
            free(y);
        }
    }
    free(runs);
    free(v);
}

/* ---- fd-growth ------------------------------------------------------- */

static void growth_site_add(void *ctx, uint32_t id, double *t, double *y, size_t n,
                            const struct trend_fit *fit)
{
    struct finding *f = ctx;
    (void)n;
    free(t);
    free(y);
    f->gsites = xreallocarray(f->gsites, f->ngsites + 1, sizeof(*f->gsites));
    f->gsites[f->ngsites++] =
        (struct growth_site){.stk = id, .stack = {.top = -1}, .slope_per_min = fit->slope * 60};
}

static int cmp_gsite(const void *a, const void *b)
{
    double x = ((const struct growth_site *)a)->slope_per_min,
           y = ((const struct growth_site *)b)->slope_per_min;
    return x > y ? -1 : x < y;
}

/* The fd series (or, when the fds could not be counted, tracked sockets). */
static size_t fds_series(const struct process *p, double **t, double **y, double **y2)
{
    size_t n = 0, valid = 0;
    for (size_t i = 0; i < p->nsamples; i++) valid += p->samples[i].fds >= 0;
    bool socks = valid < TREND_MIN_SIGNIFICANT;
    *t = xcalloc(p->nsamples + 1, sizeof(**t));
    *y = xcalloc(p->nsamples + 1, sizeof(**y));
    *y2 = xcalloc(p->nsamples + 1, sizeof(**y2));
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct sample_pt *s = &p->samples[i];
        if (!socks && s->fds < 0) continue;
        (*t)[n] = sample_t(p, i);
        (*y)[n] = socks ? s->socks : (double)s->fds;
        (*y2)[n++] = s->socks;
    }
    return n;
}

void rules_growth(const struct process *p, struct findings *out)
{
    double *t, *y, *y2;
    struct trend_fit fit;
    if (!p->nsamples) return;
    size_t n = fds_series(p, &t, &y, &y2);
    if (!trend_rising(t, y, n, TREND_FD_MIN_RISE, &fit)) {
        free(t);
        free(y);
        free(y2);
        return;
    }
    struct finding *f = findings_add(out, KIND_FD_GROWTH);
    finding_add_pid(f, p->pid);
    f->partial = !p->complete;
    f->key = ((uint64_t)p->pid << 1 | 1) * 0x9e3779b97f4a7c15ULL;
    trend_set(&f->trend, t, y, n);
    f->trend.y2 = y2;
    f->trend.fit = fit;
    f->count = (uint64_t)f->trend.last;
    f->trend.nofile = p->samples[p->nsamples - 1].nofile;
    f->trend.eta_s = f->trend.nofile ? trend_time_to(&fit, t[n - 1], (double)f->trend.nofile) : -1;
    series_each_growing(p, false, TREND_FD_MIN_RISE, growth_site_add, f);
    if (f->ngsites > 1) sort_n(f->gsites, f->ngsites, sizeof(*f->gsites), cmp_gsite);
    if (f->ngsites > MAX_GSITES) {
        for (size_t i = MAX_GSITES; i < f->ngsites; i++) frames_free(&f->gsites[i].stack);
        f->ngsites = MAX_GSITES;
    }
    f->stk = f->ngsites ? f->gsites[0].stk : 0;
}

/* ---- unbounded-pool -------------------------------------------------- */

struct pool_ctx {
    const struct process *p;
    struct findings *out;
};

static void pool_add(void *ctx, uint32_t id, double *t, double *y, size_t n,
                     const struct trend_fit *fit)
{
    struct pool_ctx *c = ctx;
    const char *peer = strtab_get(&c->p->peers, id);
    struct finding *f = findings_add(c->out, KIND_POOL);
    finding_add_pid(f, c->p->pid);
    f->partial = !c->p->complete;
    trend_set(&f->trend, t, y, n);
    f->trend.fit = *fit;
    f->trend.eta_s = -1;
    f->count = (uint64_t)f->trend.last;
    f->roles[ROLE_CLIENT] = f->count;
    finding_push_peer(f, peer ? peer : "?", (uint64_t)f->trend.peak);
    f->key = (fnv1a64(FNV1A64_INIT, peer ? peer : "?", peer ? strlen(peer) : 1) ^
              (uint64_t)c->p->pid * 0x9e3779b97f4a7c15ULL) |
             1;
}

void rules_pool(const struct process *p, struct findings *out)
{
    struct pool_ctx c = {p, out};
    series_each_growing(p, true, TREND_POOL_MIN_RISE, pool_add, &c);
}
