/* findings.c - grouping, merging, fingerprinting and ordering of findings.
 *
 * The lists inside a finding (pids, fds, peers) are small per finding, so
 * they are plain sorted arrays. */
#include "model/findings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[KIND_COUNT] = {
    [KIND_UNCLOSED_BODY] = "unclosed-body",      [KIND_STUCK_REQUEST] = "stuck-request",
    [KIND_ORPHAN] = "orphaned-socket",           [KIND_DOUBLE_CLOSE] = "double-close",
    [KIND_HANDLE_LEAK] = "client-handle-leak",   [KIND_DISCARDED_BODY] = "discarded-body",
    [KIND_NO_REUSE] = "no-connection-reuse",     [KIND_FOREIGN_CLOSE] = "foreign-close",
    [KIND_CLOSE_WAIT] = "close-wait-pile",       [KIND_FD_GROWTH] = "fd-growth",
    [KIND_TIME_WAIT] = "time-wait-storm",        [KIND_POOL] = "unbounded-pool",
    [KIND_MISSING_CLOSE] = "missing-body-close",
};

const char *kind_name(enum finding_kind kind)
{
    return kind < KIND_COUNT ? kind_names[kind] : "?";
}

int kind_parse(const char *s)
{
    for (int k = 0; k < KIND_COUNT; k++)
        if (strcmp(s, kind_names[k]) == 0) return k;
    return -1;
}

const char *kind_severity(enum finding_kind kind)
{
    return kind >= KIND_HANDLE_LEAK ? "warning" : "error";
}

const char *finding_severity(const struct finding *f)
{
    return f->kind == KIND_HANDLE_LEAK && f->held ? "error" : kind_severity(f->kind);
}

unsigned finding_kinds(const struct finding *f)
{
    unsigned k = 1u << f->kind;
    return f->kind == KIND_HANDLE_LEAK && f->held ? k | 1u << KIND_ORPHAN : k;
}

struct finding *findings_add(struct findings *fs, enum finding_kind kind)
{
    ALLOC_GROW(fs->v, fs->n + 1, fs->cap);
    struct finding *f = &fs->v[fs->n++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->age_min = f->idle_min = f->waited_min = UINT64_MAX;
    f->rate = -1;
    f->stack.top = f->open_stack.top = f->first_close_stack.top = -1;
    return f;
}

void finding_add_pid(struct finding *f, long pid)
{
    size_t i = 0;
    while (i < f->npids && f->pids[i] < pid) i++;
    if (i < f->npids && f->pids[i] == pid) return;
    ALLOC_GROW(f->pids, f->npids + 1, f->cappids);
    memmove(f->pids + i + 1, f->pids + i, (f->npids - i) * sizeof(*f->pids));
    f->pids[i] = pid;
    f->npids++;
}

void finding_add_fd(struct finding *f, int fd)
{
    size_t lo = 0, hi = f->nfds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->fds[mid] < fd)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < f->nfds && f->fds[lo] == fd) return;
    ALLOC_GROW(f->fds, f->nfds + 1, f->capfds);
    memmove(f->fds + lo + 1, f->fds + lo, (f->nfds - lo) * sizeof(*f->fds));
    f->fds[lo] = fd;
    f->nfds++;
}

void finding_push_peer(struct finding *f, const char *peer, uint64_t count)
{
    ALLOC_GROW(f->peers, f->npeers + 1, f->cappeers);
    f->peers[f->npeers++] = (struct peer_count){xstrdup(peer), count};
}

void finding_push_host(struct finding *f, const char *host, uint64_t count)
{
    ALLOC_GROW(f->hosts, f->nhosts + 1, f->caphosts);
    f->hosts[f->nhosts++] = (struct peer_count){xstrdup(host), count};
}

void finding_add_url(struct finding *f, const char *url)
{
    if (!url || f->nurls >= MAX_URLS) return;
    for (size_t i = 0; i < f->nurls; i++)
        if (strcmp(f->urls[i], url) == 0) return;
    f->urls[f->nurls++] = xstrdup(url);
}

static void http_free(struct finding_http *h)
{
    free(h->host);
    free(h->request);
    memset(h, 0, sizeof(*h));
}

void finding_set_http(struct finding *f, const struct http_state *h, const char *host,
                      const char *method, const char *target)
{
    http_free(&f->http);
    f->http = (struct finding_http){
        .set = true,
        .host = xstrdup(host),
        .status = h->status,
        .phase = h->phase,
        .tls = h->tls,
        .requests = h->reqs,
        .read = h->read,
        .expect = h->expect,
    };
    if (method || target)
        f->http.request = xasprintf("%s %s", method ? method : "?", target ? target : "?");
}

uint64_t finding_saved(const struct finding *f)
{
    return f->count > f->max_concurrent ? f->count - f->max_concurrent : 0;
}

static int cmp_peer_name(const void *a, const void *b)
{
    return strcmp(((const struct peer_count *)a)->peer, ((const struct peer_count *)b)->peer);
}

/* *dst += src, adding the counts of equal names: both sorted by name, then
 * joined, so merging big groups stays O(n log n). */
static void counts_merge(struct peer_count **dst, size_t *ndst, size_t *cap,
                         const struct peer_count *src, size_t nsrc)
{
    if (nsrc == 0) return;
    if (*ndst > 1) sort_n(*dst, *ndst, sizeof(**dst), cmp_peer_name); /* NULL when empty */
    struct peer_count *sp = xcalloc(nsrc, sizeof(*sp)), *d = *dst;
    memcpy(sp, src, nsrc * sizeof(*sp));
    sort_n(sp, nsrc, sizeof(*sp), cmp_peer_name);
    struct peer_count *out = xcalloc(*ndst + nsrc, sizeof(*out));
    size_t i = 0, j = 0, n = 0;
    while (i < *ndst || j < nsrc) {
        int c = i == *ndst ? 1 : j == nsrc ? -1 : strcmp(d[i].peer, sp[j].peer);
        if (c <= 0)
            out[n] = d[i++];
        else
            out[n] = (struct peer_count){xstrdup(sp[j].peer), 0};
        if (c >= 0) out[n].count += sp[j++].count;
        n++;
    }
    free(sp);
    free(*dst);
    *dst = out;
    *ndst = *cap = n;
}

enum sock_role finding_role(const struct finding *f)
{
    int best = 0;
    for (int r = 1; r < ROLE_COUNT; r++)
        if (f->roles[r] > f->roles[best]) best = r;
    return (enum sock_role)best;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Adds src's numbers and lists to dst (same kind, same stack). */
void finding_add_test(struct finding *f, const char *test)
{
    for (size_t i = 0; i < f->ntests; i++)
        if (strcmp(f->tests[i], test) == 0) return;
    ALLOC_GROW(f->tests, f->ntests + 1, f->captests);
    f->tests[f->ntests++] = xstrdup(test);
}

static void finding_absorb(struct finding *dst, const struct finding *src)
{
    dst->count += src->count;
    dst->partial |= src->partial;
    dst->detached |= src->detached;
    dst->before_attach += src->before_attach;
    for (size_t i = 0; i < src->npids; i++) finding_add_pid(dst, src->pids[i]);
    for (size_t i = 0; i < src->nfds; i++) finding_add_fd(dst, src->fds[i]);
    counts_merge(&dst->peers, &dst->npeers, &dst->cappeers, src->peers, src->npeers);
    counts_merge(&dst->hosts, &dst->nhosts, &dst->caphosts, src->hosts, src->nhosts);
    for (int r = 0; r < ROLE_COUNT; r++) dst->roles[r] += src->roles[r];
    dst->age_min = min_u64(dst->age_min, src->age_min);
    dst->age_max = max_u64(dst->age_max, src->age_max);
    dst->idle_min = min_u64(dst->idle_min, src->idle_min);
    dst->idle_max = max_u64(dst->idle_max, src->idle_max);
    dst->bytes_in += src->bytes_in;
    dst->bytes_out += src->bytes_out;
    dst->bytes_read += src->bytes_read;
    dst->requests += src->requests;
    dst->max_concurrent += src->max_concurrent; /* processes run side by side */
    dst->sites = max_u64(dst->sites, src->sites);
    for (size_t i = 0; i < src->nurls; i++) finding_add_url(dst, src->urls[i]);
    for (size_t i = 0; i < src->ntests; i++) finding_add_test(dst, src->tests[i]);
    dst->open_sockets += src->open_sockets;
    dst->held += src->held;
    dst->held_conns += src->held_conns;
    dst->waited_min = min_u64(dst->waited_min, src->waited_min);
    dst->waited_max = max_u64(dst->waited_max, src->waited_max);
    dst->unread += src->unread;
    dst->closes += src->closes;
    dst->estimated |= src->estimated;
    if (src->rate > dst->rate) dst->rate = src->rate;
    if (src->dump > dst->dump) dst->dump = src->dump;
    dst->peak = max_u64(dst->peak, src->peak);
}

static uint32_t finding_key(const struct finding *f)
{
    uint64_t h = f->site ^ f->key ^ ((uint64_t)f->kind << 1 | f->sweep) * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)(h ^ h >> 32);
}

/* The finding of fs with src's kind, site and sweep flag, or NULL. */
static struct finding *findings_find(struct findings *fs, const struct finding *src)
{
    for (; fs->nindexed < fs->n; fs->nindexed++)
        hindex_add(&fs->index, finding_key(&fs->v[fs->nindexed]), fs->nindexed);
    size_t cur = 0, i;
    uint32_t key = finding_key(src);
    while ((i = hindex_next(&fs->index, key, &cur)) != SIZE_MAX) {
        struct finding *dst = &fs->v[i];
        if (dst->kind == src->kind && dst->site == src->site && dst->sweep == src->sweep &&
            dst->key == src->key)
            return dst;
    }
    return NULL;
}

void findings_merge(struct findings *fs, struct finding *src)
{
    struct finding *dst = findings_find(fs, src);
    if (dst) {
        finding_absorb(dst, src);
        if (dst->open_stack.n == 0 && src->open_stack.n > 0) {
            frames_free(&dst->open_stack);
            dst->open_stack = src->open_stack;
            src->open_stack = (struct frames){.top = -1};
        }
        if (dst->first_close_stack.n == 0 && src->first_close_stack.n > 0) {
            frames_free(&dst->first_close_stack);
            dst->first_close_stack = src->first_close_stack;
            src->first_close_stack = (struct frames){.top = -1};
        }
        if (!dst->http.set && src->http.set) {
            dst->http = src->http;
            src->http = (struct finding_http){0};
        }
        finding_free(src);
        return;
    }
    ALLOC_GROW(fs->v, fs->n + 1, fs->cap);
    fs->v[fs->n++] = *src;
    memset(src, 0, sizeof(*src));
}

static int cmp_peer(const void *a, const void *b)
{
    const struct peer_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->peer, y->peer);
}

static int cmp_finding(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->fingerprint != y->fingerprint) return x->fingerprint < y->fingerprint ? -1 : 1;
    if (x->site != y->site) return x->site < y->site ? -1 : 1;
    return 0;
}

void findings_sort(struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        struct finding *f = &fs->v[i];
        if (f->npeers > 1) sort_n(f->peers, f->npeers, sizeof(*f->peers), cmp_peer);
        if (f->nhosts > 1) sort_n(f->hosts, f->nhosts, sizeof(*f->hosts), cmp_peer);
    }
    if (fs->n > 1) sort_n(fs->v, fs->n, sizeof(*fs->v), cmp_finding);
    hindex_free(&fs->index); /* the findings moved */
    fs->nindexed = 0;
}

uint64_t findings_total(const struct findings *fs, enum finding_kind kind)
{
    uint64_t total = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (fs->v[i].kind == kind) total += fs->v[i].count;
    return total;
}

/* "module!function" (or "module!+0xREL") of one frame into h. */
static uint64_t frame_hash_name(uint64_t h, const struct frame *f)
{
    const char *mod = f->module ? path_basename(f->module) : "?";
    char rel[24];
    snprintf(rel, sizeof(rel), "+0x%" PRIx64, f->rel);
    const char *fn = f->mangled ? f->mangled : f->function ? f->function : rel;
    h = fnv1a64(h, mod, strlen(mod));
    h = fnv1a64(h, "!", 1);
    return fnv1a64(h, fn, strlen(fn));
}

uint64_t frames_fingerprint(const struct frames *s)
{
    uint64_t h = FNV1A64_INIT;
    for (size_t i = 0; i < s->n; i++) {
        h = frame_hash_name(h, &s->v[i]);
        h = fnv1a64(h, "\n", 1);
    }
    return h;
}

uint64_t frames_site(const struct frames *s)
{
    uint64_t h = FNV1A64_INIT;
    for (size_t i = 0; i < s->n; i++) {
        const struct frame *f = &s->v[i];
        char where[40];
        h = fnv1a64(frame_hash_name(h, f), "@", 1);
        if (f->file) {
            h = fnv1a64(h, f->file, strlen(f->file));
            snprintf(where, sizeof(where), ":%d\n", f->line);
        } else {
            snprintf(where, sizeof(where), "+0x%" PRIx64 "\n", f->rel);
        }
        h = fnv1a64(h, where, strlen(where));
    }
    return h;
}

void frames_free(struct frames *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].module);
        free(s->v[i].function);
        free(s->v[i].mangled);
        free(s->v[i].file);
    }
    free(s->v);
    *s = (struct frames){.top = -1};
}

void finding_free(struct finding *f)
{
    free(f->pids);
    frames_free(&f->stack);
    frames_free(&f->open_stack);
    frames_free(&f->first_close_stack);
    for (size_t i = 0; i < f->npeers; i++) free(f->peers[i].peer);
    free(f->peers);
    for (size_t i = 0; i < f->nhosts; i++) free(f->hosts[i].peer);
    free(f->hosts);
    free(f->fds);
    http_free(&f->http);
    for (size_t i = 0; i < f->nurls; i++) free(f->urls[i]);
    for (size_t i = 0; i < f->ntests; i++) free(f->tests[i]);
    free(f->tests);
    free(f->trend.t);
    free(f->trend.y);
    free(f->trend.y2);
    for (size_t i = 0; i < f->ngsites; i++) frames_free(&f->gsites[i].stack);
    free(f->gsites);
    memset(f, 0, sizeof(*f));
}

void findings_free(struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) finding_free(&fs->v[i]);
    free(fs->v);
    hindex_free(&fs->index);
    memset(fs, 0, sizeof(*fs));
}
