/* rules_ipc.c - sockets that connect processes of the program to each
 * other (IPC), not to the network: left out of the findings by default,
 * like listeners and inherited sockets (verdict.c), counted in the report's
 * "not counted as leaks" tail; --include-ipc reports them as any other.
 *
 * What is recognised:
 *   received   a unix socket that arrived over SCM_RIGHTS (role
 *              "received"; a TCP connection received and never closed is
 *              a leak of the receiver's);
 *   passed     a socketpair end the process sent over SCM_RIGHTS (its live
 *              record says "passed");
 *   shared     a socketpair end that a forked child's trace lists among
 *              the sockets it inherited (nginx's master/worker channels):
 *              the parent's copy, matched by sid in the parent's trace
 *              (a forked child keeps its parent's sids).
 * Not recognised: a pair shared with a child that left no trace (it only
 * closed what it inherited, or was not traced), a pair whose other end was
 * passed rather than itself, and anything a trace cut short without a dump
 * rebuilt from its events (the "passed" mark is in live records only).
 * Other sockets passed over SCM_RIGHTS (a TCP connection handed to a
 * worker) are not IPC: the copy left open, sender's or receiver's, is
 * still a leak. */
#include "rules/rules.h"

#include <stdlib.h>

bool live_is_ipc(const struct live_sock *l)
{
    if (l->role == ROLE_RECEIVED) return l->unix_fam;
    return l->role == ROLE_PAIR && (l->passed || l->shared);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The image of the child's parent that forked it: its pid, started before
 * the child, the latest such (an exec gives one pid several traces). */
static struct process *parent_of(struct process *procs, size_t n, const struct process *c)
{
    struct process *best = NULL;
    for (size_t i = 0; i < n; i++) {
        struct process *p = &procs[i];
        if (p == c || p->pid != c->ppid || p->start_unix_ns > c->start_unix_ns) continue;
        if (!best || p->start_unix_ns >= best->start_unix_ns) best = p;
    }
    return best;
}

void ipc_mark_shared(struct process *procs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct process *c = &procs[i];
        if (!c->forked || !c->ninh_pairs || c->ppid <= 0) continue;
        struct process *p = parent_of(procs, n, c);
        if (!p) continue;
        qsort(c->inh_pairs, c->ninh_pairs, sizeof(*c->inh_pairs), cmp_u64);
        for (size_t j = 0; j < p->nlive; j++) {
            struct live_sock *l = &p->live[j];
            if (l->role == ROLE_PAIR && !l->shared &&
                bsearch(&l->sid, c->inh_pairs, c->ninh_pairs, sizeof(uint64_t), cmp_u64))
                l->shared = true;
        }
    }
}
