/* verdict.c - the one place that gives each live socket exactly one finding.
 *
 * Several rules could claim the same socket: an HTTP body never read on a
 * socket the peer has since closed is an unclosed-body, a close-wait and an
 * orphan at once. Each rule says only whether a socket shows its pattern
 * (its claim_* function, next to the rule); the table below says which
 * claim wins, and each rule then counts only the sockets whose verdict is
 * its own kind. A new live-socket rule adds its claim_* to rules.h and one
 * row here; no other rule needs to know about it. A row of KIND_COUNT is a
 * claim that the socket is fine: it gets no finding. */
#include "rules/rules.h"

static bool live_counts(const struct live_sock *l, const struct rule_opts *o)
{
    if (l->role == ROLE_LISTENER && !o->include_listeners) return false;
    if (l->inherited && !o->include_inherited) return false;
    if (!o->include_ipc && live_is_ipc(l)) return false; /* rules_ipc.c */
    return true;
}

/* Highest precedence first: what the program did wrong most precisely. */
static const struct {
    enum finding_kind kind;
    bool (*claims)(const struct process *p, const struct live_sock *l, const struct http_opts *h);
} precedence[] = {
    {KIND_UNCLOSED_BODY, claim_unclosed_body}, /* rules_http.c: body never read to the end */
    {KIND_STUCK_REQUEST, claim_stuck_request}, /* rules_http.c: request never answered */
    {KIND_CLOSE_WAIT, claim_close_wait},       /* rules_kernel.c: the peer closed, we did not */
    {KIND_COUNT, claim_go_pooled},             /* rules_http.c: idle in Go's pool: no finding */
    {KIND_COUNT, claim_idle_keepalive},        /* rules_exit.c: its last idle keep-alive */
    {KIND_COUNT, claim_lone_exchange},         /* rules_exit.c: its one answered connection */
    {KIND_COUNT, claim_accepted_at_exit},      /* rules_exit.c: a server's clients at its stop */
    {KIND_HANDLE_LEAK, claim_handle_owned},    /* rules_handles.c: held by a leaked handle */
    {KIND_ORPHAN, claim_orphaned},             /* rules_orphan.c: any other socket left open */
};

int live_verdict(const struct process *p, const struct live_sock *l, const struct rule_opts *o,
                 const struct http_opts *h)
{
    if (!live_counts(l, o)) return -1;
    for (size_t i = 0; i < sizeof(precedence) / sizeof(precedence[0]); i++)
        if (precedence[i].claims(p, l, h))
            return precedence[i].kind == KIND_COUNT ? -1 : (int)precedence[i].kind;
    return -1;
}
