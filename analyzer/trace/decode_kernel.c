/* decode_kernel.c - record decoding: the sampler's records (sample, ktcp,
 * dump), the counted quiet sockets of bounded traces (agg), and notes. */
#include "trace/reader_internal.h"

/* ---- the sampler: sample, ktcp, dump --------------------------------- */

/* The tw_site of (peer, stk), created when new. The last one used is
 * tried first: a churning client closes to one peer from one stack. */
/* The hindex hash of a (peer, stack) pair. */
static uint32_t pair_hash(uint32_t peer, uint32_t stk)
{
    return (uint32_t)((((uint64_t)peer << 32 | stk) * 0x9e3779b97f4a7c15ULL) >> 32);
}

static struct tw_site *tw_site_get(struct reader *r, uint32_t peer, uint32_t stk)
{
    struct process *p = r->p;
    if (r->tw_last) {
        struct tw_site *t = &p->tw[r->tw_last - 1];
        if (t->peer == peer && t->stk == stk) return t;
    }
    uint32_t h = pair_hash(peer, stk);
    size_t cur = 0, i;
    while ((i = hindex_next(&p->tw_index, h, &cur)) != SIZE_MAX)
        if (p->tw[i].peer == peer && p->tw[i].stk == stk) break;
    if (i == SIZE_MAX) {
        ALLOC_GROW(p->tw, p->ntw + 1, p->captw);
        p->tw[p->ntw] = (struct tw_site){.peer = peer, .stk = stk};
        i = p->ntw++;
        hindex_add(&p->tw_index, h, i);
    }
    r->tw_last = i + 1;
    return &p->tw[i];
}

/* A TCP client socket's last close, the program's first (no EOF read):
 * counted towards its (peer, stk), like an agg record's `active`. */
/* n closes first, between first and last, of connections to peer from stk. */
static void tw_closes_add(struct reader *r, uint32_t peer, uint32_t stk, uint64_t n, uint64_t first,
                          uint64_t last)
{
    struct tw_site *t = tw_site_get(r, peer, stk);
    if (!t->closes || first < t->first_close) t->first_close = first;
    if (last > t->last_close) t->last_close = last;
    t->closes = add_sat(t->closes, n);
    if (!r->p->tw_read_any || last > r->p->tw_read_ts) t->unread = add_sat(t->unread, n);
}

void tw_close(struct reader *r, const struct sock *s, const struct rec *o)
{
    if (s->role != ROLE_CLIENT || !s->peer || !s->stream || s->noconn) return;
    if (rec_bool_or(o, F_EOF, false)) return;
    uint64_t ts = rec_u64_or(o, F_TS, r->p->last_ts);
    tw_closes_add(r, s->peer, s->stk, 1, ts, ts);
}

bool value_i64(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d > -9007199254740992.0 && d < 9007199254740992.0) || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

/* The entries of a sample's `sites` or `peers` into *out; the count. */
static uint32_t sample_series(struct reader *r, const cJSON *a, bool peers, struct series_pt **out,
                              size_t *n, size_t *cap)
{
    const cJSON *e;
    struct rec o;
    uint32_t count = 0;
    const cJSON *arr = cJSON_IsArray(a) ? a : NULL;
    cJSON_ArrayForEach(e, arr)
    {
        rec_index(&o, e);
        uint64_t v;
        uint32_t id =
            peers ? strtab_intern(&r->p->peers, rec_str(&o, F_PEER)) : stack_ref(r, &o, F_STK);
        if (!rec_u64(&o, F_N, &v) || v > UINT32_MAX) continue;
        count++;
        if (!id) continue;
        ALLOC_GROW(*out, *n + 1, *cap);
        (*out)[(*n)++] = (struct series_pt){(uint32_t)r->p->nsamples, id, (uint32_t)v};
    }
    return count;
}

/* A sample's `tw` list, present when it read the kernel's TIME_WAIT
 * sockets: the closes before it were seen there, if they left any. */
static void sample_tw(struct reader *r, const cJSON *a, uint64_t ts)
{
    const cJSON *e;
    struct rec o;
    const cJSON *arr = cJSON_IsArray(a) ? a : NULL;
    if (!arr) return;
    r->p->tw_read_any = true;
    r->p->tw_read_ts = ts;
    for (size_t i = 0; i < r->p->ntw; i++) r->p->tw[i].unread = 0;
    cJSON_ArrayForEach(e, arr)
    {
        rec_index(&o, e);
        uint64_t v;
        uint32_t peer = strtab_intern(&r->p->peers, rec_str(&o, F_PEER));
        if (!peer || !rec_u64(&o, F_N, &v)) continue;
        struct tw_site *t = tw_site_get(r, peer, stack_ref(r, &o, F_STK));
        uint32_t n = rec_u32_sat(&o, F_N);
        if (n > t->peak) t->peak = n, t->peak_est = rec_bool_or(&o, F_EST, false);
    }
}

/* A sample's `tcp` counts, by state, into process.tcp_pts; true when it
 * had them (the sample read the kernel). */
static bool sample_tcp(struct reader *r, const cJSON *o)
{
    struct process *p = r->p;
    if (!cJSON_IsObject(o)) return false;
    for (const cJSON *c = o->child; c; c = c->next) {
        int64_t n;
        if (!c->string || !value_i64(c, &n) || n <= 0) continue;
        ALLOC_GROW(p->tcp_pts, p->ntcp_pts + 1, p->captcp_pts);
        p->tcp_pts[p->ntcp_pts++] =
            (struct series_pt){(uint32_t)p->nsamples, tcp_state_parse(c->string),
                               n > UINT32_MAX ? UINT32_MAX : (uint32_t)n};
    }
    return true;
}

bool read_sample(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    struct sample_pt pt = {.fds = -1};
    if (!rec_u64(o, F_TS, &pt.ts) || (p->nsamples && pt.ts < p->samples[p->nsamples - 1].ts))
        return false; /* samples come in time order */
    if (!value_i64(o->f[F_FDS], &pt.fds)) pt.fds = -1;
    pt.nofile = rec_u64_or(o, F_NOFILE, 0);
    pt.socks = rec_u32_sat(o, F_SOCKS);
    const cJSON *sites = o->f[F_SITES], *peers = o->f[F_PEERS], *tw = o->f[F_TW];
    pt.nsites = sample_series(r, sites, false, &p->sites, &p->nsites, &p->capsites);
    pt.npeers = sample_series(r, peers, true, &p->peer_pts, &p->npeer_pts, &p->cappeer_pts);
    sample_tw(r, tw, pt.ts);
    pt.tcp = sample_tcp(r, o->f[F_TCP]);
    ALLOC_GROW(p->samples, p->nsamples + 1, p->capsamples);
    p->samples[p->nsamples++] = pt;
    return true;
}

bool read_ktcp(struct reader *r, const struct rec *o)
{
    bool ok;
    const struct sock *s = event_sock(r, o, &ok);
    const char *state = rec_str(o, F_STATE);
    if (!ok || !state) return false;
    if (!s) return true;
    uint32_t i = sidmap_get(&r->kids, s->sid);
    if (!i) {
        ALLOC_GROW(r->ksocks, r->nksocks + 1, r->capksocks);
        r->ksocks[r->nksocks++] = (struct ksock){0};
        i = (uint32_t)r->nksocks;
        sidmap_put(&r->kids, s->sid, i, r->nksocks);
    }
    struct ksock *k = &r->ksocks[i - 1];
    ALLOC_GROW(r->p->ktcps, r->p->nktcps + 1, r->p->capktcps);
    r->p->ktcps[r->p->nktcps++] =
        (struct ktcp_pt){rec_u64_or(o, F_TS, r->p->last_ts), (uint8_t)tcp_state_parse(state)};
    k->kstate = (uint8_t)kstate_parse(state);
    k->rq = rec_u32_sat(o, F_RQ);
    if (k->kstate == KSTATE_CLOSE_WAIT && !k->cw_since) {
        uint64_t ts = rec_u64_or(o, F_TS, r->p->last_ts);
        k->cw_since = ts ? ts : 1;
    }
    return true;
}

/* A dump starts a batch of live records of its own. */
bool read_dump(struct reader *r, const struct rec *o)
{
    uint64_t n;
    if (!rec_u64(o, F_DUMP, &n) || n == 0 || n > UINT32_MAX) return false;
    r->p->nlive = 0;
    r->in_live_batch = true;
    r->batch_dump = (uint32_t)n;
    return true;
}

/* What the ktcp records said of a live socket (a live record's own kstate
 * stands when there was none). */
void live_kernel(const struct reader *r, struct live_sock *l)
{
    uint32_t i = sidmap_get(&r->kids, l->sid);
    if (!i) return;
    const struct ksock *k = &r->ksocks[i - 1];
    l->kstate = k->kstate;
    l->rq = k->rq;
    l->cw_since = k->cw_since;
}

/* ---- agg: the quiet sockets of a bounded trace ------------------------- */

/* The agg_site of (stk, peer), created when new. */
static struct agg_site *agg_site_get(struct reader *r, uint32_t stk, uint32_t peer)
{
    struct process *p = r->p;
    uint32_t h = pair_hash(peer, stk);
    size_t cur = 0, i;
    while ((i = hindex_next(&r->agg_index, h, &cur)) != SIZE_MAX)
        if (p->aggs[i].stk == stk && p->aggs[i].peer == peer) return &p->aggs[i];
    ALLOC_GROW(p->aggs, p->naggs + 1, p->capaggs);
    p->aggs[p->naggs] = (struct agg_site){.stk = stk, .peer = peer};
    hindex_add(&r->agg_index, h, p->naggs);
    return &p->aggs[p->naggs++];
}

/* The request of the latest discarded body, as the HTTP state of a socket
 * in the middle of its body; one slot per site, overwritten. */
static void agg_example(struct reader *r, struct agg_site *a, const cJSON *ex)
{
    struct process *p = r->p;
    struct rec o;
    if (!cJSON_IsObject(ex)) return;
    rec_index(&o, ex);
    uint64_t status = rec_u64_or(&o, F_STATUS, 0);
    struct http_state h = {
        .expect = rec_expect(&o),
        .read = rec_u64_or(&o, F_READ, 0),
        .reqs = 1,
        .method = intern_cut(&p->texts, rec_str(&o, F_METHOD)),
        .target = intern_cut(&p->texts, rec_str(&o, F_TARGET)),
        .status = status <= 999 ? (uint16_t)status : 0,
        .phase = HTTP_BODY,
    };
    if (a->example)
        p->http[a->example - 1] = h;
    else
        a->example = http_push(p, &h);
}

/* What an agg record counts goes where the same socket's close record
 * would have gone: the totals, the requests per peer, the TIME_WAIT
 * closes per (peer, stk); the HTTP counts stay in its agg_site. A count
 * above `closed` is cut to it. */
bool read_agg(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint64_t closed;
    if (!rec_u64(o, F_CLOSED, &closed)) return false;
    uint32_t peer = strtab_intern(&p->peers, rec_str(o, F_PEER));
    struct agg_site *a = agg_site_get(r, stack_ref(r, o, F_STK), peer);
    uint64_t first = rec_u64_or(o, F_FIRST, 0), last = rec_u64_or(o, F_LAST, first);
    uint64_t n[4], *sum[4] = {&a->active, &a->reqs, &a->one_req_ka, &a->discarded};
    const enum field f[4] = {F_ACTIVE, F_REQS, F_ONE_REQ_KA, F_DISCARDED};
    for (int i = 0; i < 4; i++) {
        n[i] = rec_u64_or(o, f[i], 0);
        if (f[i] != F_REQS && n[i] > closed) n[i] = closed;
        *sum[i] = add_sat(*sum[i], n[i]);
    }
    if (!a->closed || first < a->first) a->first = first;
    if (last > a->last) a->last = last;
    a->closed = add_sat(a->closed, closed);
    p->opened = add_sat(p->opened, closed);
    site_opens_add(p, a->stk, closed);
    p->closed = add_sat(p->closed, closed);
    peer_reqs_add(p, peer, n[1]);
    if (n[3]) agg_example(r, a, o->f[F_EXAMPLE]);
    uint32_t rstk = stack_ref(r, o, F_REQ_STK);
    if (rstk) a->rstk = rstk;
    if (n[0] && peer) tw_closes_add(r, peer, a->stk, n[0], first, last);
    return true;
}

bool read_note(struct reader *r, const struct rec *o)
{
    const char *what = rec_str(o, F_WHAT), *detail = rec_str(o, F_DETAIL);
    if (!what && !detail) return false;
    if (what && strcmp(what, "events-lost") == 0) r->p->events_lost = true;
    if (what && (strcmp(what, "disk-full") == 0 || strcmp(what, "write-failed") == 0)) {
        const char *err = rec_str(o, F_ERR);
        r->p->write_failed = true; /* trace_finish says it */
        r->p->write_after = r->nrecords;
        snprintf(r->p->write_errno, sizeof(r->p->write_errno), "%s", err ? err : "");
        return true;
    }
    if (detail && what)
        notes_addf(r->notes, "pid %ld: %s (%s)", r->p->pid, detail, what);
    else
        notes_addf(r->notes, "pid %ld: %s", r->p->pid, detail ? detail : what);
    return true;
}

/* The test now running (connleak_mark); no "test": between tests. */
bool read_mark(struct reader *r, const struct rec *o)
{
    uint64_t ts;
    if (!rec_u64(o, F_TS, &ts)) return false;
    process_add_mark(r->p, ts, rec_str(o, F_TESTNAME));
    return true;
}

bool read_ignored(struct reader *r, const struct rec *o)
{
    (void)r;
    (void)o;
    return true;
}
