/* ids.c - socket ids and stack ids of a trace to dense indexes (sidmap),
 * so that memory follows the records, never the values of the ids. */
#include "trace/reader_internal.h"

/* ---- sockets and stacks by id ------------------------------------------ */

static size_t sid_slot(uint64_t sid, size_t nslots)
{
    return (size_t)((sid * 0x9e3779b97f4a7c15ULL) >> 20) & (nslots - 1);
}

static void sidmap_insert(struct sidmap *m, uint64_t sid, uint32_t val)
{
    size_t j = sid_slot(sid, m->nslots);
    while (m->keys[j]) j = (j + 1) & (m->nslots - 1);
    m->keys[j] = sid;
    m->vals[j] = val;
}

static void sidmap_grow(struct sidmap *m)
{
    struct sidmap old = *m;
    m->nslots = old.nslots ? old.nslots * 2 : 1024;
    m->keys = xcalloc(m->nslots, sizeof(*m->keys));
    m->vals = xcalloc(m->nslots, sizeof(*m->vals));
    for (size_t i = 0; i < old.nslots; i++)
        if (old.keys[i]) sidmap_insert(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

/* The dense window: the sids in [base, base + ndense), each at slot
 * sid & (ndense - 1); ndense a power of two. Sids below base are in the
 * hash table. A sid past the window makes it grow (up to twice the sockets
 * so far, and DENSE_SLACK) or, at that size, slide forward: the sockets it
 * leaves behind (the long-lived ones) go to the hash table. Sids come in
 * about the order they were handed out, so lookups stay in the window's
 * recent, cache-warm part, and memory follows the sockets, not the sids. */
static uint32_t *dense_at(const struct sidmap *m, uint64_t sid)
{
    return &m->dense[sid & (m->ndense - 1)];
}

uint32_t sidmap_get(const struct sidmap *m, uint64_t sid)
{
    if (sid - m->base < m->ndense) { /* (wraps for sid < base: out of the window) */
        uint32_t v = *dense_at(m, sid);
        if (v) return v;
    }
    if (!m->nslots) return 0;
    for (size_t j = sid_slot(sid, m->nslots); m->keys[j]; j = (j + 1) & (m->nslots - 1))
        if (m->keys[j] == sid) return m->vals[j];
    return 0;
}

static void hash_put(struct sidmap *m, uint64_t sid, uint32_t val)
{
    if (2 * (m->n + 1) > m->nslots) sidmap_grow(m);
    sidmap_insert(m, sid, val);
    m->n++;
}

/* The window doubled: every entry moves to its slot in the larger array. */
static void dense_grow(struct sidmap *m, size_t n)
{
    uint32_t *old = m->dense;
    size_t nold = m->ndense;
    m->dense = xcalloc(n, sizeof(*m->dense));
    m->ndense = n;
    for (size_t i = 0; i < nold; i++) {
        uint64_t sid = m->base + i;
        uint32_t v = old[sid & (nold - 1)];
        if (v) *dense_at(m, sid) = v;
    }
    free(old);
}

/* The window moves so that it starts at nbase: what it leaves behind goes
 * to the hash table. */
static void dense_slide(struct sidmap *m, uint64_t nbase)
{
    uint64_t k = nbase - m->base;
    if (k > m->ndense) k = m->ndense; /* (a jump: every entry leaves) */
    for (uint64_t i = 0; i < k; i++) {
        uint32_t *slot = dense_at(m, m->base + i);
        if (*slot) hash_put(m, m->base + i, *slot);
        *slot = 0;
    }
    m->base = nbase;
}

/* Maps sid to val; nsocks (the sockets so far) bounds the dense window. */
void sidmap_put(struct sidmap *m, uint64_t sid, uint32_t val, size_t nsocks)
{
    if (!m->dense) {
        m->base = sid;
        m->ndense = 1024;
        m->dense = xcalloc(m->ndense, sizeof(*m->dense));
    }
    if (sid < m->base) {
        hash_put(m, sid, val);
        return;
    }
    uint64_t limit = 2 * (uint64_t)nsocks + DENSE_SLACK;
    if (sid - m->base >= m->ndense) {
        size_t n = m->ndense;
        while (n <= sid - m->base && 2 * n <= limit) n *= 2;
        if (n > m->ndense) dense_grow(m, n);
    }
    if (sid - m->base >= m->ndense) dense_slide(m, sid - m->ndense / 4 * 3); /* room ahead */
    *dense_at(m, sid) = val;
}

/* Forgets sid (backward-shift deletion: no tombstones, so a table of
 * sockets that come and go stays as big as the most open at once). */
void sidmap_del(struct sidmap *m, uint64_t sid)
{
    if (sid - m->base < m->ndense && *dense_at(m, sid)) {
        *dense_at(m, sid) = 0;
        return;
    }
    if (!m->nslots) return;
    size_t mask = m->nslots - 1, j = sid_slot(sid, m->nslots);
    while (m->keys[j] && m->keys[j] != sid) j = (j + 1) & mask;
    if (!m->keys[j]) return;
    for (size_t k = (j + 1) & mask; m->keys[k]; k = (k + 1) & mask) {
        size_t home = sid_slot(m->keys[k], m->nslots);
        if (((k - home) & mask) < ((k - j) & mask)) continue; /* k may not move to j */
        m->keys[j] = m->keys[k];
        m->vals[j] = m->vals[k];
        j = k;
    }
    m->keys[j] = 0;
    m->n--;
}

void sidmap_free(struct sidmap *m)
{
    free(m->dense);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* The socket with this sid; a new one (zeroed) when `create` and the trace
 * has not opened it yet. Only open records create: the table grows with
 * the records, whatever the sids. */
struct sock *sock_get(struct reader *r, uint64_t sid, bool create)
{
    if (sid == 0) return NULL;
    uint32_t i = sidmap_get(&r->sids, sid);
    if (i) return &r->socks[i - 1];
    if (!create) return NULL;
    if (r->nfree) {
        i = r->free_socks[--r->nfree];
    } else {
        if (r->nsocks >= UINT32_MAX - 1) return NULL;
        ALLOC_GROW(r->socks, r->nsocks + 1, r->capsocks);
        i = (uint32_t)++r->nsocks;
    }
    r->socks[i - 1] = (struct sock){.sid = sid};
    sidmap_put(&r->sids, sid, i, r->nsocks);
    return &r->socks[i - 1];
}

/* A socket closed for good: what the report needs of it was counted at
 * its close (totals, HTTP, TIME_WAIT sites), and a later record naming
 * its sid is ignored whether it is known closed or not known at all. So
 * its slot and its sid are given back: the reader's memory follows the
 * sockets open at once, not the connections of the whole trace. */
void sock_fold(struct reader *r, struct sock *s)
{
    sidmap_del(&r->sids, s->sid);
    ALLOC_GROW(r->free_socks, r->nfree + 1, r->capfree);
    r->free_socks[r->nfree++] = (uint32_t)(s - r->socks) + 1;
    *s = (struct sock){.state = SOCK_CLOSED};
}

/* The dense index of the stack a record names; 0 when no stk record
 * defined that id. */
uint32_t stack_ref(struct reader *r, const struct rec *o, enum field f)
{
    uint32_t id = rec_id(o, f);
    return id ? idmap_get(&r->stk_ids, id) : 0;
}

void ts_seen(struct reader *r, const struct rec *o)
{
    uint64_t ts;
    if (rec_u64(o, F_TS, &ts) && ts > r->p->last_ts) r->p->last_ts = ts;
}
