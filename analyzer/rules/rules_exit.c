/* rules_exit.c - what a correct program may still hold when it exits.
 *
 * The verdict table (verdict.c) asks these claims after the findings that
 * say what went wrong (an unread body, a request never answered, a
 * CLOSE_WAIT) and before orphaned-socket: a socket they claim gets no
 * finding and is counted in the report's "not counted as leaks" tail.
 *
 *   idle keep-alive  a client connection whose last response was read to
 *                    its end, nothing awaited, kept for reuse: wget and
 *                    redis-cli exit without closing their last one. At most
 *                    one per peer in a process: two or more idle ones to
 *                    the same peer are a pattern, and stay orphans.
 *   lone exchange    a client connection of a protocol connleak does not
 *                    follow (redis-cli's RESP), with nothing to tell a
 *                    finished exchange from an abandoned one but this:
 *                    the program wrote, and its last I/O on it was a read
 *                    (the peer answered last; nothing left in the receive
 *                    queue when the sampler saw it, no end-of-file), its
 *                    call site opened this one socket in the whole run (no
 *                    loop), it is the process' only such connection at
 *                    exit, and no client handle holds it. A loop that
 *                    forgets a socket per turn, a request never answered, a
 *                    second connection kept beside it all stay orphans; so
 *                    does any trace without "read_last" (the probe backend,
 *                    older traces).
 *   accepted at exit a server told to stop while clients are still
 *                    connected (a redis client that sent SHUTDOWN, an idle
 *                    subscriber, lighttpd's keep-alive client at SIGTERM):
 *                    fewer than EXIT_ACCEPTED_PILE per process. A pile of
 *                    them is a server that forgets its clients.
 *
 * Both hold only at the program's exit (a complete trace): in a trace cut
 * short or a running service's dump nothing says the program is done. */
#include "rules/rules.h"

/* The state of a client connection that has finished its last exchange. */
static bool keepalive_idle(const struct process *p, const struct live_sock *l)
{
    const struct http_state *h = process_http(p, l->http);
    return l->role == ROLE_CLIENT && h && !h->lost && !h->tunnel && h->go == GO_NONE &&
           h->phase == HTTP_IDLE && h->await == 0 && h->resps > 0 && h->ka && !l->eof;
}

bool claim_idle_keepalive(const struct process *p, const struct live_sock *l,
                          const struct http_opts *o)
{
    (void)o;
    if (!p->complete || !keepalive_idle(p, l)) return false;
    for (size_t i = 0; i < p->nlive; i++) { /* stops at the first other one */
        const struct live_sock *m = &p->live[i];
        if (m != l && m->peer == l->peer && keepalive_idle(p, m)) return false;
    }
    return true;
}

/* A connection the lone-exchange claim could be about (not yet counted). */
static bool lone_candidate(const struct live_sock *l)
{
    return l->role == ROLE_CLIENT && !l->http && !l->inherited && !l->passed && !l->before_attach &&
           !l->eof && !l->owner && l->in > 0 && l->out > 0 && l->read_last && l->rq == 0 &&
           l->kstate != KSTATE_CLOSE_WAIT && l->kstate != KSTATE_LAST_ACK;
}

bool claim_lone_exchange(const struct process *p, const struct live_sock *l,
                         const struct http_opts *o)
{
    (void)o;
    if (!p->complete || p->detached || !lone_candidate(l)) return false;
    if (!l->stk || process_site_opens(p, l->stk) != 1) return false;
    for (size_t i = 0; i < p->nlive; i++) { /* any other non-HTTP client connection */
        const struct live_sock *m = &p->live[i];
        if (m != l && m->role == ROLE_CLIENT && !m->http && !m->inherited) return false;
    }
    return true;
}

bool claim_accepted_at_exit(const struct process *p, const struct live_sock *l,
                            const struct http_opts *o)
{
    (void)o;
    if (!p->complete || l->role != ROLE_ACCEPTED || l->inherited) return false;
    size_t n = 0;
    for (size_t i = 0; i < p->nlive && n < EXIT_ACCEPTED_PILE; i++)
        n += p->live[i].role == ROLE_ACCEPTED && !p->live[i].inherited;
    return n < EXIT_ACCEPTED_PILE;
}
