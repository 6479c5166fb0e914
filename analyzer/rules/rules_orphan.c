/* rules_orphan.c - orphaned-socket: sockets still open when the process
 * ended, grouped by the stack that opened them.
 *
 * One pass over the live set: a stack id indexes its group directly, and the
 * peers of a group are gathered as interned ids, then sorted and counted, so
 * a million leaked sockets cost a sort, not a million string compares.
 * A socket that an HTTP rule answers for (an unread body, a request without
 * an answer), or that the peer closed (close-wait-pile), is that rule's,
 * not this one's: one answer per socket. In a trace cut short (a service
 * still running), sockets idle less than --leak-after-ms may be in use:
 * not reported. */
#include "rules/rules.h"

#include <stdlib.h>

/* One group while it is gathered. */
struct orphan_group {
    struct ids peers;
    uint32_t http, peer; /* the HTTP state of its most recent socket that had one */
};

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
    if (n > 1) qsort(ids->v, n, sizeof(*v), cmp_u32);
    if (nw > 1) qsort(ids->w, nw, sizeof(*w), id_count_cmp);
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

bool live_counts(const struct live_sock *l, const struct rule_opts *o)
{
    if (l->role == ROLE_LISTENER && !o->include_listeners) return false;
    if (l->inherited && !o->include_inherited) return false;
    return true;
}

static void orphan_add(struct finding *f, const struct live_sock *l)
{
    uint64_t age = l->at > l->opened ? l->at - l->opened : 0;
    uint64_t idle = live_idle_ns(l);
    f->count++;
    f->roles[l->role < ROLE_COUNT ? l->role : ROLE_OTHER]++;
    if (age < f->age_min) f->age_min = age;
    if (age > f->age_max) f->age_max = age;
    if (idle < f->idle_min) f->idle_min = idle;
    if (idle > f->idle_max) f->idle_max = idle;
    f->bytes_in += l->in;
    f->bytes_out += l->out;
    f->unread += l->rq; /* idle sockets' receive queues, from the sampler */
}

/* The group's HTTP context: its most recently opened socket with HTTP. */
static void orphan_http(struct finding *f, struct orphan_group *g, const struct live_sock *l)
{
    if (!l->http || (g->http && l->opened < f->recent)) return;
    g->http = l->http;
    g->peer = l->peer;
    f->recent = l->opened;
}

static struct finding *orphan_group_new(const struct process *p, struct findings *out, uint32_t stk)
{
    struct finding *f = findings_add(out, KIND_ORPHAN);
    f->stk = stk;
    f->partial = !p->complete;
    f->dump = p->dump;
    finding_add_pid(f, p->pid);
    return f;
}

void rules_orphan(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                  struct findings *out)
{
    size_t nslots = p->nstacks ? p->nstacks : 1;
    uint32_t *group_of = xcalloc(nslots, sizeof(*group_of)); /* stk -> index in out + 1 */
    struct orphan_group *groups = NULL;
    size_t ngroups = 0, capgroups = 0, first = out->n;
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        if (!live_counts(l, o) || http_live_kind(p, l, h) >= 0 || live_closewait(l)) continue;
        if (!p->complete && live_idle_ns(l) < ms_to_ns(h->leak_after_ms)) continue; /* in use? */
        uint32_t stk = l->stk < nslots ? l->stk : 0;
        if (!group_of[stk]) {
            orphan_group_new(p, out, stk);
            group_of[stk] = (uint32_t)(out->n - first);
            ALLOC_GROW(groups, ngroups + 1, capgroups);
            groups[ngroups++] = (struct orphan_group){0};
        }
        size_t g = group_of[stk] - 1;
        orphan_add(&out->v[first + g], l);
        orphan_http(&out->v[first + g], &groups[g], l);
        ids_push(&groups[g].peers, l->peer);
    }
    for (size_t g = 0; g < ngroups; g++) {
        struct finding *f = &out->v[first + g];
        ids_count_peers(p, f, &groups[g].peers, false);
        const struct http_state *hs = process_http(p, groups[g].http);
        if (hs) finding_http_of(p, f, hs, groups[g].peer);
    }
    free(groups);
    free(group_of);
}
