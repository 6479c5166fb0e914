/* decode_http.c - record decoding: the HTTP state of sockets (from close
 * and live records) and the client-handle records hnew, huse, hfree. */
#include "trace/reader_internal.h"

/* ---- HTTP state ----------------------------------------------------------
 *
 * The `http` object of close and live records. Numbers saturate, strings
 * are cut to MAX_HTTP_TEXT bytes and interned, and only when a rule can
 * show them: a busy client's million closes cost no string table. */

#define MAX_HTTP_TEXT 256

/* s cut to MAX_HTTP_TEXT bytes, interned; NULL and "" are 0. */
uint32_t intern_cut(struct strtab *t, const char *s)
{
    if (!s || !*s) return 0;
    size_t n = strnlen(s, MAX_HTTP_TEXT);
    if (!s[n]) return strtab_intern(t, s);
    char buf[MAX_HTTP_TEXT + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtab_intern(t, buf);
}

uint32_t rec_u32_sat(const struct rec *o, enum field f)
{
    uint64_t v = rec_u64_or(o, f, 0);
    return v < UINT32_MAX ? (uint32_t)v : UINT32_MAX;
}

/* -1 (not known) unless a non-negative integer below 2^62. */
int64_t rec_expect(const struct rec *o)
{
    uint64_t v;
    return rec_u64(o, F_EXPECT, &v) && v < (UINT64_C(1) << 62) ? (int64_t)v : -1;
}

/* Go's net/http pool's word on a connection (probe traces): "busy" or "pooled". */
static uint8_t go_state_parse(const char *s)
{
    if (!s) return GO_NONE;
    return strcmp(s, "busy") == 0 ? GO_BUSY : strcmp(s, "pooled") == 0 ? GO_POOLED : GO_NONE;
}

/* The numbers of an `http` object into *h (o indexes it); false when the
 * record has none. */
static bool http_numbers(const cJSON *obj, struct rec *o, struct http_state *h)
{
    if (!cJSON_IsObject(obj)) return false;
    rec_index(o, obj);
    uint64_t status = rec_u64_or(o, F_STATUS, 0);
    *h = (struct http_state){
        .expect = rec_expect(o),
        .read = rec_u64_or(o, F_READ, 0),
        .reqs = rec_u32_sat(o, F_REQS),
        .resps = rec_u32_sat(o, F_RESPS),
        .await = rec_u32_sat(o, F_AWAIT),
        .status = status <= 999 ? (uint16_t)status : 0,
        .phase = (uint8_t)http_phase_parse(rec_str(o, F_PHASE)),
        .ka = rec_bool_or(o, F_KA, false),
        .tls = rec_bool_or(o, F_TLS, false),
        .lost = rec_bool_or(o, F_LOST, false),
        .tunnel = rec_bool_or(o, F_TUNNEL, false),
        .pool = rec_u32_sat(o, F_POOL),
        .go = go_state_parse(rec_str(o, F_GO)),
    };
    return true;
}

static void http_strings(struct process *p, const struct rec *o, struct http_state *h)
{
    h->host = intern_cut(&p->peers, rec_str(o, F_HOST));
    h->method = intern_cut(&p->texts, rec_str(o, F_METHOD));
    h->target = intern_cut(&p->texts, rec_str(o, F_TARGET));
}

/* The request site of an `http` object (o indexes it): absent in older
 * traces and when stacks are off. */
static void http_site(struct reader *r, const struct rec *o, struct http_state *h)
{
    h->rstk = stack_ref(r, o, F_STK);
    h->rsampled = h->rstk && rec_bool_or(o, F_SAMPLED, false);
}

/* Keeps h; its id for live_sock.http and http_closed.http (0 when full). */
uint32_t http_push(struct process *p, const struct http_state *h)
{
    if (p->nhttp >= UINT32_MAX - 1) return 0;
    ALLOC_GROW(p->http, p->nhttp + 1, p->caphttp);
    p->http[p->nhttp++] = *h;
    return (uint32_t)p->nhttp;
}

uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void peer_reqs_add(struct process *p, uint32_t peer, uint64_t reqs)
{
    if (!peer || !reqs) return;
    if (peer >= p->npeer_reqs) {
        size_t n = p->npeer_reqs ? p->npeer_reqs : 64;
        while (n <= peer) n *= 2;
        p->peer_reqs = xreallocarray(p->peer_reqs, n, sizeof(*p->peer_reqs));
        memset(p->peer_reqs + p->npeer_reqs, 0, (n - p->npeer_reqs) * sizeof(*p->peer_reqs));
        p->npeer_reqs = n;
    }
    p->peer_reqs[peer] = add_sat(p->peer_reqs[peer], reqs);
}

/* A single keep-alive request, then closed by the program, not the peer. */
static bool http_one_request(const struct http_state *h, bool eof)
{
    return h->reqs == 1 && h->resps == 1 && h->phase == HTTP_IDLE && h->ka && !eof;
}

/* What the rules need of a closed socket's HTTP state: a body left unread
 * (discarded-body), or one keep-alive request (no-connection-reuse). */
void close_http(struct reader *r, const struct sock *s, const struct rec *rec)
{
    struct process *p = r->p;
    struct http_state h;
    struct rec o;
    if (!http_numbers(rec->f[F_HTTP], &o, &h)) return;
    http_site(r, &o, &h);
    peer_reqs_add(p, s->peer, h.reqs);
    if (h.lost || h.tunnel) return; /* what it says can no longer be trusted */
    uint64_t ts = rec_u64_or(rec, F_TS, p->last_ts);
    if (h.phase == HTTP_BODY) {
        http_strings(p, &o, &h);
        ALLOC_GROW(p->discarded, p->ndiscarded + 1, p->capdiscarded);
        p->discarded[p->ndiscarded++] = (struct http_closed){
            .opened = s->opened,
            .closed = ts,
            .last_io = rec_u64_or(rec, F_LAST_IO, 0),
            .stk = s->stk,
            .peer = s->peer,
            .http = http_push(p, &h),
        };
    } else if (http_one_request(&h, rec_bool_or(rec, F_EOF, false))) {
        ALLOC_GROW(p->reuse, p->nreuse + 1, p->capreuse);
        p->reuse[p->nreuse++] = (struct reuse_cand){
            .opened = s->opened,
            .closed = ts,
            .stk = s->stk,
            .peer = s->peer,
            .host = intern_cut(&p->peers, rec_str(&o, F_HOST)),
            .body = h.read,
            .rstk = h.rstk,
        };
    }
}

/* The HTTP state of a live record, kept whole; 0 when it has none. */
uint32_t live_http(struct reader *r, const struct rec *rec)
{
    struct http_state h;
    struct rec o;
    if (!http_numbers(rec->f[F_HTTP], &o, &h)) return 0;
    http_site(r, &o, &h);
    http_strings(r->p, &o, &h);
    return http_push(r->p, &h);
}

/* ---- client handles ------------------------------------------------------ */

static int handle_kind_parse(const char *s)
{
    for (int k = 0; s && k < HANDLE_COUNT; k++)
        if (strcmp(s, handle_kind_name((enum handle_kind)k)) == 0) return k;
    return -1;
}

static struct handle *handle_of(struct reader *r, const struct rec *o, bool *ok)
{
    uint64_t h;
    *ok = rec_u64(o, F_H, &h);
    uint32_t i = *ok && h ? sidmap_get(&r->hids, h) : 0;
    return i ? &r->p->handles[i - 1] : NULL;
}

bool read_hnew(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint64_t id;
    int kind = handle_kind_parse(rec_str(o, F_KIND));
    if (!rec_u64(o, F_H, &id) || id == 0 || !rec_str(o, F_KIND)) return false;
    if (kind < 0 || p->nhandles >= UINT32_MAX - 1) return true; /* a kind we do not know */
    struct handle h = {
        .created = rec_u64_or(o, F_TS, 0), .stk = stack_ref(r, o, F_STK), .kind = (uint8_t)kind};
    uint32_t i = sidmap_get(&r->hids, id);
    if (i) { /* the id again: a new handle in its place */
        p->handles[i - 1] = h;
        return true;
    }
    ALLOC_GROW(p->handles, p->nhandles + 1, p->caphandles);
    p->handles[p->nhandles++] = h;
    sidmap_put(&r->hids, id, (uint32_t)p->nhandles, p->nhandles);
    return true;
}

/* A use like the handle's latest is not kept again: a handle performing in
 * a loop over one connection costs one entry. */
bool read_huse(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    bool ok;
    struct handle *h = handle_of(r, o, &ok);
    if (!h || p->nhuses >= UINT32_MAX - 1) return ok; /* not created in this trace */
    uint64_t sid = rec_u64_or(o, F_SID, 0);
    uint32_t url = intern_cut(&p->texts, rec_str(o, F_URL));
    const struct handle_use *last = h->uses ? &p->huses[h->uses - 1] : NULL;
    if ((!sid && !url) || (last && last->sid == sid && last->url == url)) return true;
    ALLOC_GROW(p->huses, p->nhuses + 1, p->caphuses);
    p->huses[p->nhuses++] = (struct handle_use){.sid = sid, .url = url, .next = h->uses};
    h->uses = (uint32_t)p->nhuses;
    return true;
}

bool read_hfree(struct reader *r, const struct rec *o)
{
    bool ok;
    struct handle *h = handle_of(r, o, &ok);
    if (h) h->freed = true;
    return ok;
}

/* gobody (probe): n Go response bodies from one request site, read to the
 * end and never closed. */
bool read_gobody(struct reader *r, const struct rec *o)
{
    struct process *p = r->p;
    uint64_t n;
    if (!rec_u64(o, F_N, &n) || !n) return false;
    struct http_state h = {
        .expect = -1, .reqs = 1, .resps = 1, .phase = HTTP_IDLE, .go = GO_POOLED};
    h.tls = rec_bool_or(o, F_TLS, false);
    http_strings(p, o, &h);
    ALLOC_GROW(p->gounclosed, p->ngounclosed + 1, p->capgounclosed);
    p->gounclosed[p->ngounclosed++] =
        (struct go_unclosed){.stk = stack_ref(r, o, F_STK), .http = http_push(p, &h), .n = n};
    return true;
}
