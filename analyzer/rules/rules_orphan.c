/* rules_orphan.c - orphaned-socket: sockets still open when the process
 * ended, grouped by the stack that opened them.
 *
 * One pass over the live set: a stack id indexes its group directly, and the
 * peers of a group are gathered as interned ids, then sorted and counted, so
 * a million leaked sockets cost a sort, not a million string compares.
 * Only the sockets whose one finding is orphaned-socket (rules/verdict.c,
 * the lowest precedence) are counted here. In a trace cut short (a service
 * still running), sockets idle less than --leak-after-ms may be in use:
 * not reported. */
#include "rules/rules.h"

#include <stdlib.h>

/* One group while it is gathered. */
struct orphan_group {
    struct ids peers;
    uint32_t http, peer; /* the HTTP state of its most recent socket that had one */
};

/* The claim of orphaned-socket: any live socket, the lowest precedence
 * (rules/verdict.c). */
bool claim_orphaned(const struct process *p, const struct live_sock *l, const struct http_opts *h)
{
    (void)p;
    (void)l;
    (void)h;
    return true;
}

static void orphan_add(struct finding *f, const struct live_sock *l)
{
    uint64_t age = l->at > l->opened ? l->at - l->opened : 0;
    uint64_t idle = live_idle_ns(l);
    f->count++;
    if (l->before_attach) f->before_attach++;
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
    f->detached = p->detached;
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
        if (live_verdict(p, l, o, h) != KIND_ORPHAN) continue;
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
