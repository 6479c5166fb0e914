/* rules_common.c - helpers every rule may use to fill its findings (peer and
 * host counts, idle times, the HTTP exchange of a group). No rule decides
 * here which finding a socket gets: that is rules/verdict.c. */
#include "rules/rules.h"

#include <stdlib.h>

void ids_push(struct ids *ids, uint32_t id)
{
    ALLOC_GROW(ids->v, ids->n + 1, ids->cap);
    ids->v[ids->n++] = id;
}

void ids_push_n(struct ids *ids, uint32_t id, uint64_t n)
{
    if (n == 1) {
        ids_push(ids, id);
    } else if (n) {
        ALLOC_GROW(ids->w, ids->nw + 1, ids->capw);
        ids->w[ids->nw++] = (struct id_count){id, n};
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int id_count_cmp(const void *a, const void *b)
{
    return cmp_u32(&((const struct id_count *)a)->id, &((const struct id_count *)b)->id);
}

/* Both lists sorted, then walked together: one count per distinct id. */
void ids_count_peers(const struct process *p, struct finding *f, struct ids *ids, bool hosts)
{
    const uint32_t *v = ids->v;
    const struct id_count *w = ids->w;
    size_t n = ids->n, nw = ids->nw, i = 0, k = 0;
    if (n > 1) sort_n(ids->v, n, sizeof(*v), cmp_u32);
    if (nw > 1) sort_n(ids->w, nw, sizeof(*w), id_count_cmp);
    while (i < n || k < nw) {
        uint32_t id = i < n && (k == nw || v[i] <= w[k].id) ? v[i] : w[k].id;
        uint64_t count = 0;
        for (; i < n && v[i] == id; i++) count++;
        for (; k < nw && w[k].id == id; k++) count += w[k].n;
        const char *name = id ? strtab_get(&p->peers, id) : NULL;
        if (name && hosts)
            finding_push_host(f, name, count);
        else if (name)
            finding_push_peer(f, name, count);
    }
    free(ids->v);
    free(ids->w);
    *ids = (struct ids){0};
}

uint64_t live_idle_ns(const struct live_sock *l)
{
    uint64_t since = l->last_io ? l->last_io : l->opened;
    return l->at > since ? l->at - since : 0;
}

void finding_http_of(const struct process *p, struct finding *f, const struct http_state *h,
                     uint32_t peer)
{
    finding_set_http(f, h, strtab_get(&p->peers, http_host_or(h, peer)),
                     strtab_get(&p->texts, h->method), strtab_get(&p->texts, h->target));
}
