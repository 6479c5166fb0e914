/* rules_handles.c - client-handle-leak: libcurl easy and multi handles and
 * OpenSSL SSL objects created (hnew) and never released (hfree) by the end
 * of the trace, grouped by kind and creating stack.
 *
 * A group names up to MAX_URLS distinct URLs its handles fetched (huse)
 * and counts the sockets they used that are still open: a leaked handle
 * usually holds its connection too. The sids are gathered per group, then
 * sorted, deduplicated and looked up in the sorted live set.
 *
 * One finding per root cause: the live sockets an unreleased handle holds
 * (model/owners.c says which) whose verdict is this rule's (rules/verdict.c:
 * they would otherwise be orphaned-socket) are counted in its group - held,
 * of them held_conns connections, their peers - instead of an orphaned-socket
 * of their own. A group that holds sockets is an error (findings.c). */
#include "rules/rules.h"

#include <stdlib.h>

bool claim_handle_owned(const struct process *p, const struct live_sock *l,
                        const struct http_opts *h)
{
    (void)h;
    return l->owner && l->owner <= p->nhandles && !p->handles[l->owner - 1].freed &&
           p->handles[l->owner - 1].kind < HANDLE_COUNT;
}

struct sids {
    uint64_t *v;
    size_t n, cap;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The sids of the live set, sorted. */
static uint64_t *live_sids(const struct process *p)
{
    uint64_t *v = xcalloc(p->nlive ? p->nlive : 1, sizeof(*v));
    for (size_t i = 0; i < p->nlive; i++) v[i] = p->live[i].sid;
    sort_n(v, p->nlive, sizeof(*v), cmp_u64);
    return v;
}

/* How many distinct sids of s are in live[0..nlive); frees s. */
static uint64_t sids_open(struct sids *s, const uint64_t *live, size_t nlive)
{
    uint64_t open = 0;
    if (s->n > 1) sort_n(s->v, s->n, sizeof(*s->v), cmp_u64); /* v is NULL when n is 0 */
    for (size_t i = 0; i < s->n; i++)
        if ((i == 0 || s->v[i] != s->v[i - 1]) &&
            search_n(&s->v[i], live, nlive, sizeof(*live), cmp_u64))
            open++;
    free(s->v);
    return open;
}

/* The handle's URLs into f, its sids into s (newest use first). */
static void handle_uses(const struct process *p, const struct handle *h, struct finding *f,
                        struct sids *s)
{
    for (uint32_t u = h->uses; u && u <= p->nhuses; u = p->huses[u - 1].next) {
        const struct handle_use *use = &p->huses[u - 1];
        if (use->url) finding_add_url(f, strtab_get(&p->texts, use->url));
        if (!use->sid) continue;
        ALLOC_GROW(s->v, s->n + 1, s->cap);
        s->v[s->n++] = use->sid;
        if (use->next >= u) break; /* chains only go back */
    }
}

static struct finding *handle_group_new(const struct process *p, struct findings *out,
                                        const struct handle *h, uint32_t stk)
{
    struct finding *f = findings_add(out, KIND_HANDLE_LEAK);
    f->stk = stk;
    f->handle = h->kind;
    f->key = (uint64_t)h->kind + 1;
    f->partial = !p->complete;
    finding_add_pid(f, p->pid);
    return f;
}

/* Counts the live sockets whose verdict folds them under a group:
 * group_of maps (kind, stk) to the group's index in out from first, + 1. */
static void handles_held(const struct process *p, const struct rule_opts *o,
                         const struct http_opts *h, struct findings *out, size_t first,
                         const uint32_t *group_of, size_t nslots)
{
    struct ids *peers = xcalloc(out->n - first, sizeof(*peers));
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        if (live_verdict(p, l, o, h) != KIND_HANDLE_LEAK) continue;
        if (!p->complete && live_idle_ns(l) < ms_to_ns(h->leak_after_ms)) continue; /* in use? */
        const struct handle *hd = &p->handles[l->owner - 1];
        uint32_t stk = hd->stk < nslots ? hd->stk : 0, g = group_of[hd->kind * nslots + stk];
        if (!g) continue;
        struct finding *f = &out->v[first + g - 1];
        f->held++;
        f->roles[l->role < ROLE_COUNT ? l->role : ROLE_OTHER]++;
        if (l->role == ROLE_CLIENT) {
            f->held_conns++;
            ids_push(&peers[g - 1], l->peer);
        }
    }
    for (size_t g = first; g < out->n; g++)
        ids_count_peers(p, &out->v[g], &peers[g - first], false);
    free(peers);
}

void rules_handles(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                   struct findings *out)
{
    if (!p->nhandles) return;
    size_t nslots = p->nstacks ? p->nstacks : 1, first = out->n, ngroups = 0, cap = 0;
    uint32_t *group_of = xcalloc(nslots * HANDLE_COUNT, sizeof(*group_of));
    struct sids *sids = NULL;
    for (size_t i = 0; i < p->nhandles; i++) {
        const struct handle *h = &p->handles[i];
        if (h->freed || h->kind >= HANDLE_COUNT) continue;
        uint32_t stk = h->stk < nslots ? h->stk : 0, *slot = &group_of[h->kind * nslots + stk];
        if (!*slot) {
            handle_group_new(p, out, h, stk);
            ALLOC_GROW(sids, ngroups + 1, cap);
            sids[ngroups++] = (struct sids){0};
            *slot = (uint32_t)ngroups;
        }
        struct finding *f = &out->v[first + *slot - 1];
        f->count++;
        handle_uses(p, h, f, &sids[*slot - 1]);
    }
    uint64_t *live = ngroups ? live_sids(p) : NULL;
    for (size_t g = 0; g < ngroups; g++)
        out->v[first + g].open_sockets = sids_open(&sids[g], live, p->nlive);
    free(live);
    if (ngroups) handles_held(p, o, h, out, first, group_of, nslots);
    free(sids);
    free(group_of);
}
