/* rules_orphan.c - orphaned-socket: sockets still open when the process
 * ended, grouped by the stack that opened them.
 *
 * One pass over the live set: a stack id indexes its group directly, and the
 * peers of a group are gathered as interned ids, then sorted and counted, so
 * a million leaked sockets cost a sort, not a million string compares. */
#include "rules.h"

#include <stdlib.h>

struct ids {
    uint32_t *v;
    size_t n, cap;
};

static bool orphan_counts(const struct live_sock *l, const struct rule_opts *o)
{
    if (l->role == ROLE_LISTENER && !o->include_listeners) return false;
    if (l->inherited && !o->include_inherited) return false;
    return true;
}

static void orphan_add(struct finding *f, const struct live_sock *l)
{
    uint64_t age = l->at > l->opened ? l->at - l->opened : 0;
    uint64_t since = l->last_io ? l->last_io : l->opened;
    uint64_t idle = l->at > since ? l->at - since : 0;
    f->count++;
    f->roles[l->role < ROLE_COUNT ? l->role : ROLE_OTHER]++;
    if (age < f->age_min) f->age_min = age;
    if (age > f->age_max) f->age_max = age;
    if (idle < f->idle_min) f->idle_min = idle;
    if (idle > f->idle_max) f->idle_max = idle;
    f->bytes_in += l->in;
    f->bytes_out += l->out;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Counts each distinct peer of one group. */
static void orphan_peers(const struct process *p, struct finding *f, struct ids *peers)
{
    qsort(peers->v, peers->n, sizeof(*peers->v), cmp_u32);
    for (size_t i = 0; i < peers->n;) {
        size_t j = i;
        while (j < peers->n && peers->v[j] == peers->v[i]) j++;
        if (peers->v[i] != 0) finding_push_peer(f, strtab_get(&p->peers, peers->v[i]), j - i);
        i = j;
    }
    free(peers->v);
}

void rules_orphan(const struct process *p, const struct rule_opts *o, struct findings *out)
{
    size_t nslots = p->nstacks ? p->nstacks : 1;
    uint32_t *group_of = xcalloc(nslots, sizeof(*group_of)); /* stk -> index in out + 1 */
    struct ids *peers = NULL;
    size_t ngroups = 0, cappeers = 0, first = out->n;
    for (size_t i = 0; i < p->nlive; i++) {
        const struct live_sock *l = &p->live[i];
        if (!orphan_counts(l, o)) continue;
        uint32_t stk = l->stk < nslots ? l->stk : 0;
        if (!group_of[stk]) {
            struct finding *f = findings_add(out, KIND_ORPHAN);
            f->stk = stk;
            f->partial = !p->complete;
            finding_add_pid(f, p->pid);
            group_of[stk] = (uint32_t)(out->n - first);
            ALLOC_GROW(peers, ngroups + 1, cappeers);
            peers[ngroups++] = (struct ids){0};
        }
        size_t g = group_of[stk] - 1;
        orphan_add(&out->v[first + g], l);
        ALLOC_GROW(peers[g].v, peers[g].n + 1, peers[g].cap);
        peers[g].v[peers[g].n++] = l->peer;
    }
    for (size_t g = 0; g < ngroups; g++) orphan_peers(p, &out->v[first + g], &peers[g]);
    free(peers);
    free(group_of);
}
