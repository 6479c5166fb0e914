/* rules.h - the rules that turn one process' model into findings.
 *
 * Each rule appends per-process groups (one per stack id) to a findings
 * list; their stacks are still ids (f->stk, f->open_stk): the caller resolves
 * them (stackfmt.h) and merges the groups across processes. */
#ifndef CONNLEAK_RULES_H
#define CONNLEAK_RULES_H

#include "model/findings.h"
#include "model/model.h"

/* A call site that closed at least this many distinct never-opened fds is a
 * close-all sweep, not a bug. */
#define SWEEP_MIN_FDS 4

/* The thresholds of the HTTP rules when none are given. */
#define DEFAULT_IDLE_MS       5000  /* unclosed-body in a trace cut short */
#define DEFAULT_STUCK_MS      10000 /* stuck-request */
#define DEFAULT_REUSE_MIN     10    /* no-connection-reuse */
#define DEFAULT_TW_MIN        100   /* time-wait-storm */
#define DEFAULT_LEAK_AFTER_MS 0     /* orphaned-socket in a running service's trace: off */

/* close-wait-pile from the EOF alone (no sample saw the kernel's CLOSE_WAIT):
 * the program left it unclosed this long. A program that reads a reply to
 * EOF and exits at once without closing leaks an orphaned-socket. */
#define CLOSEWAIT_EOF_MIN_MS 1000

#define NS_PER_MS 1000000ULL

/* ms -> ns, saturating */
static inline uint64_t ms_to_ns(uint64_t ms)
{
    return ms < UINT64_MAX / NS_PER_MS ? ms * NS_PER_MS : UINT64_MAX;
}

struct rule_opts {
    bool include_listeners; /* report listeners still open at the end */
    bool include_inherited; /* report sockets a forked child inherited */
    bool include_ipc;       /* report IPC sockets (rules_ipc.c) */
    /* --skip-frames: globs of frames that are not the user's code, on top of
     * the defaults (symbols/skipframes.h); they choose the headline frame */
    const char *const *skip_frames;
    size_t nskip_frames;
};

/* The thresholds of the rules (struct report keeps them): the HTTP ones,
 * and those of the sampler's findings. */
struct http_opts {
    uint64_t idle_ms;       /* unclosed-body in a trace cut short: idle at least this */
    uint64_t stuck_ms;      /* stuck-request: idle at least this */
    uint64_t reuse_min;     /* no-connection-reuse: at least this many connections */
    uint64_t tw_min;        /* time-wait-storm: a peak of at least this many */
    uint64_t leak_after_ms; /* trace cut short: orphaned only when idle this long; 0 = off */
};
#define HTTP_OPTS_DEFAULT                                                                          \
    ((struct http_opts){DEFAULT_IDLE_MS, DEFAULT_STUCK_MS, DEFAULT_REUSE_MIN, DEFAULT_TW_MIN,      \
                        DEFAULT_LEAK_AFTER_MS})

/* Interned ids of one group (peers, hosts), counted once the group is
 * complete: one entry per socket, or one with a count for many (an agg
 * record's). */
struct id_count {
    uint32_t id;
    uint64_t n;
};
struct ids {
    uint32_t *v;
    size_t n, cap;
    struct id_count *w;
    size_t nw, capw;
};
void ids_push(struct ids *ids, uint32_t id);
int id_count_cmp(const void *a, const void *b); /* qsort: struct id_count by id */
void ids_push_n(struct ids *ids, uint32_t id, uint64_t n);
/* Pushes every distinct non-zero id of ids (names from p->peers) with its
 * count into f's peers (or hosts), then frees ids. */
void ids_count_peers(const struct process *p, struct finding *f, struct ids *ids, bool hosts);

/* The ns a live socket has been idle: from its last I/O (or its opening)
 * to the end of the trace. */
uint64_t live_idle_ns(const struct live_sock *l);

/* Sets f->http from h, with the host of h, or else the peer's name. */
void finding_http_of(const struct process *p, struct finding *f, const struct http_state *h,
                     uint32_t peer);

/* ---- the verdict: one finding per live socket (verdict.c) ------------ */

/* The one finding a live socket counts in: the first kind, in the
 * precedence table of verdict.c, whose rule claims it; -1 when no rule
 * reports it (a listener or an inherited socket not asked for). */
int live_verdict(const struct process *p, const struct live_sock *l, const struct rule_opts *o,
                 const struct http_opts *h);

/* The claims the table asks, one per live-socket finding, each next to its
 * rule: does this socket show the rule's pattern (whatever else it shows)? */
bool claim_unclosed_body(const struct process *p, const struct live_sock *l,
                         const struct http_opts *h); /* rules_http.c */
bool claim_stuck_request(const struct process *p, const struct live_sock *l,
                         const struct http_opts *h); /* rules_http.c */
bool claim_close_wait(const struct process *p, const struct live_sock *l,
                      const struct http_opts *h); /* rules_kernel.c */
/* A Go connection idle in net/http's pool at the end (probe traces): the
 * pool holds it; alone it is no leak (rules_http.c). */
bool claim_go_pooled(const struct process *p, const struct live_sock *l, const struct http_opts *h);
/* What a correct program may hold at its exit (rules_exit.c): its last
 * idle keep-alive connection to a peer; the connections a server had
 * accepted when told to stop, fewer than EXIT_ACCEPTED_PILE. */
#define EXIT_ACCEPTED_PILE 10
bool claim_idle_keepalive(const struct process *p, const struct live_sock *l,
                          const struct http_opts *h);
bool claim_accepted_at_exit(const struct process *p, const struct live_sock *l,
                            const struct http_opts *h);
/* A program's one answered connection of a protocol connleak does not
 * follow, idle at its exit (redis-cli's); the criterion: rules_exit.c. */
bool claim_lone_exchange(const struct process *p, const struct live_sock *l,
                         const struct http_opts *h);
/* A socket an unreleased client handle holds (live_sock.owner, set by
 * process_link_owners): folded under the handle's client-handle-leak
 * instead of an orphaned-socket of its own (rules_handles.c). Asked right
 * before orphaned-socket: it takes only what would be an orphan. */
bool claim_handle_owned(const struct process *p, const struct live_sock *l,
                        const struct http_opts *h);
bool claim_orphaned(const struct process *p, const struct live_sock *l,
                    const struct http_opts *h); /* rules_orphan.c: always */

/* IPC sockets (rules_ipc.c): received over SCM_RIGHTS, or a socketpair end
 * passed over SCM_RIGHTS or shared with a traced forked child. Left out
 * of the findings unless include_ipc. */
bool live_is_ipc(const struct live_sock *l);
/* Marks live_sock.shared across the processes of one report: the parent's
 * pair sockets that a forked child's trace lists as inherited. */
void ipc_mark_shared(struct process *procs, size_t n);

/* orphaned-socket: the sockets still open at the end whose verdict it is,
 * by opening stack; a group whose sockets carried HTTP
 * shows the exchange of its most recent one. */
void rules_orphan(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                  struct findings *out);

/* unclosed-body and stuck-request (live sockets whose verdict they are)
 * and discarded-body (closed sockets), by opening stack;
 * no-connection-reuse by peer. */
void rules_http(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                struct findings *out);

/* client-handle-leak: handles created and never released, by kind and
 * creating stack, with the live sockets whose verdict says they hold them
 * (held, held_conns; in a trace cut short, those idle at least
 * h->leak_after_ms, as orphaned-socket). */
void rules_handles(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                   struct findings *out);

/* The sampler's findings (rules_kernel.c). close-wait-pile: live sockets
 * the peer closed (kernel CLOSE_WAIT or LAST_ACK seen, or EOF read
 * CLOSEWAIT_EOF_MIN_MS or more before the end) whose verdict it is, by
 * opening stack. */
void rules_closewait(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                     struct findings *out);
/* time-wait-storm: per peer and opening stack, a TIME_WAIT peak of at least
 * h->tw_min. */
void rules_timewait(const struct process *p, const struct http_opts *h, struct findings *out);
/* fd-growth: the open-fd series trends up; names the sites that grow. */
void rules_growth(const struct process *p, struct findings *out);
/* unbounded-pool: per peer, ESTABLISHED client connections trend up. */
void rules_pool(const struct process *p, struct findings *out);

/* missing-body-close: Go bodies read to the end, never closed (rules_gobody.c). */
void rules_gobody(const struct process *p, struct findings *out);

/* Per-test attribution (rules_tests.c): the tests (connleak_mark) during
 * which the sockets of each of fs's groups of process p were opened, into
 * their tests. Run after the other rules; nothing when p marked no test. */
void rules_tests(const struct process *p, const struct rule_opts *o, const struct http_opts *h,
                 struct findings *fs);

/* double-close and foreign-close: the EBADF closes, by closing stack. A
 * foreign-close group of SWEEP_MIN_FDS or more distinct fds gets sweep set. */
void rules_close(const struct process *p, struct findings *out);

#endif
