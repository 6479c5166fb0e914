/* findings.h - the finding model shared by the rules and the renderers.
 *
 * A rule turns one process into per-process groups (one per stack id); once
 * their stacks are symbolised, groups with the same kind and call site (the
 * site key: every frame's function and file:line) are merged across
 * processes, so a leak in every forked worker is one finding with several
 * pids, while two socket() calls in one function stay two findings. Findings
 * are then sorted: kinds in a fixed order of importance (errors before
 * warnings: the enum's order), larger counts first. A few kinds are merged
 * on one more key than the site: no-connection-reuse on its peer,
 * client-handle-leak on the handle kind. */
#ifndef CONNLEAK_FINDINGS_H
#define CONNLEAK_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "util/trend.h"

enum finding_kind {
    KIND_UNCLOSED_BODY, /* errors */
    KIND_STUCK_REQUEST,
    KIND_CLOSE_WAIT,
    KIND_ORPHAN,
    KIND_FD_GROWTH,
    KIND_DOUBLE_CLOSE,
    KIND_HANDLE_LEAK, /* warnings */
    KIND_DISCARDED_BODY,
    KIND_MISSING_CLOSE,
    KIND_NO_REUSE,
    KIND_TIME_WAIT,
    KIND_POOL,
    KIND_FOREIGN_CLOSE,
    KIND_COUNT
};

/* The kinds that are sockets left open (--fail-on=leak). */
#define KINDS_LEAK                                                                                 \
    ((1u << KIND_ORPHAN) | (1u << KIND_UNCLOSED_BODY) | (1u << KIND_STUCK_REQUEST) |               \
     (1u << KIND_CLOSE_WAIT))
#define MAX_URLS 5 /* distinct URLs kept per client-handle-leak */
/* What to change about a time-wait-storm (text and JSON reports). */
#define TIME_WAIT_ADVICE                                                                           \
    "reuse connections (HTTP keep-alive, one shared client or a pool): each connection the "       \
    "program closes first holds a local port in TIME_WAIT for 60 s; SO_REUSEADDR does not help "   \
    "the client side"

const char *kind_name(enum finding_kind kind); /* "orphaned-socket", ... */
int kind_parse(const char *s);                 /* -1 when unknown */
const char *kind_severity(enum finding_kind kind);

/* One symbolised frame (strings owned). */
struct frame {
    uint64_t pc;
    uint64_t rel;                   /* pc - load bias of its module (pc when no module covers it) */
    char *module, *function, *file; /* NULL when unknown; function demangled */
    char *mangled;                  /* function as the binary spells it, when that is a C++ or
                                     * Rust mangling; NULL otherwise (C, Go, unknown) */
    uint64_t offset;
    int line;
    bool inlined, user;
};

struct frames {
    struct frame *v;
    size_t n;
    int top; /* index of the top frame (see stackfmt.h), -1 if none */
};

struct peer_count { /* a peer or an HTTP host, with how many sockets */
    char *peer;
    uint64_t count;
};

/* The HTTP exchange of one socket, as a finding shows it. */
struct finding_http {
    bool set;
    char *host;    /* the Host header, else the peer */
    char *request; /* "GET /path" (NULL when no request was seen) */
    uint16_t status;
    uint8_t phase; /* enum http_phase */
    bool tls;
    uint32_t requests;
    uint64_t read;
    int64_t expect; /* -1 = not known */
};

/* A series and its fit (fd-growth, unbounded-pool). */
struct finding_trend {
    double *t, *y, *y2; /* seconds since the first sample; values; fd-growth: y2 = socks */
    size_t n;
    struct trend_fit fit;
    double first, last, peak;
    uint64_t nofile; /* fd-growth: RLIMIT_NOFILE at the last sample, 0 = unlimited */
    double eta_s;    /* fd-growth: seconds to nofile at this rate; < 0 never */
};

/* fd-growth: a call site whose live sockets grow. */
struct growth_site {
    uint32_t stk;
    struct frames stack;
    double slope_per_min;
};

struct finding {
    enum finding_kind kind;
    uint64_t count; /* sockets (orphaned) or close calls (bad closes) */
    long *pids;     /* sorted, distinct */
    size_t npids, cappids;
    uint32_t stk, open_stk, first_close_stk; /* per-process stack ids, before resolving */
    struct frames stack, open_stack, first_close_stack;
    uint64_t fingerprint;   /* functions only: the stable id in the JSON report */
    uint64_t site;          /* functions and lines: what findings are merged on */
    bool partial;           /* some of it comes from a trace cut short */
    bool detached;          /* as of when connleak detached (attach): the process still runs */
    uint64_t before_attach; /* orphaned-socket: sockets open before `connleak attach` */
    bool sweep;             /* foreign closes of a close-all loop: a note, not a finding */
    uint64_t key;           /* merged on too: hash of the peer or handle kind; 0 else */

    /* orphaned-socket */
    uint64_t roles[ROLE_COUNT];
    struct peer_count *peers; /* all distinct peers, sorted by findings_sort */
    size_t npeers, cappeers;
    uint64_t age_min, age_max, idle_min, idle_max; /* nanoseconds */
    uint64_t bytes_in, bytes_out;

    /* double-close, foreign-close: distinct fds, sorted */
    int *fds;
    size_t nfds, capfds;

    /* unclosed-body, discarded-body, stuck-request (and orphaned-socket when
     * its sockets carried HTTP): the exchange of the group's most recent
     * socket (recent: its opened ts, within one process), the hosts */
    struct finding_http http;
    uint64_t recent;
    struct peer_count *hosts;
    size_t nhosts, caphosts;
    uint64_t bytes_read; /* body bytes read, all sockets */
    /* ...and no-connection-reuse: located at the request site (stk: the
     * stack of the request, open_stk: the socket's opening) when the trace
     * has one; req_sampled: some request's site is an earlier request's
     * stack standing for it (docs/trace-format.md, request sites) */
    bool req_site, req_sampled;

    /* no-connection-reuse: peers[0] is the peer, http.host its host */
    uint64_t requests;       /* over all the closed sockets to that peer */
    uint64_t max_concurrent; /* of the group's connections, at one time */
    uint64_t sites;          /* distinct opening stacks of its connections */

    /* client-handle-leak */
    uint8_t handle; /* enum handle_kind */
    char *urls[MAX_URLS];
    size_t nurls;
    uint64_t open_sockets; /* sockets the handles used that are still open */
    uint64_t held;         /* live sockets folded under it (model/owners.c), whatever their role */
    uint64_t held_conns;   /* of them, connections (role client); the rest: internal sockets */

    /* close-wait-pile (peers, roles, age as orphaned-socket) */
    uint64_t waited_min, waited_max; /* ns since CLOSE_WAIT (or EOF) was seen */
    uint64_t unread;                 /* receive-queue bytes, summed */
    uint32_t dump;                   /* as of this dump (0: exit or last flush) */

    /* time-wait-storm: count = peak, peers[0] the peer */
    uint64_t closes; /* the program's closes to that peer from that stack */
    double rate;     /* of those closes per second; < 0 unknown */
    bool estimated;  /* the peak is an estimate: the closes were sampled (preload/timewait.c) */

    /* fd-growth (stk: its fastest growing site), unbounded-pool (peers[0]) */
    struct finding_trend trend;
    struct growth_site *gsites;
    size_t ngsites;

    /* The tests (connleak_mark) during which its sockets were opened (its
     * handles created, its bad closes made), in the order the run met them;
     * none when no test was marked then, or for a kind not tied to one
     * opening (rules/rules_tests.c). */
    char **tests;
    size_t ntests, captests;

    /* Seen from outside, by `connleak watch` (watch/watch_find.c): no stacks,
     * one finding per peer (peers[0]; roles: client = outgoing, accepted =
     * incoming, other = the "(other peers)" row), the pid watched. Ages are
     * since a sample first saw the state (lower bounds); age_min ==
     * UINT64_MAX: not known (no opening seen). close-wait-pile: waited_min
     * == UINT64_MAX when one sample cannot tell; time-wait-storm: closes =
     * the distinct TIME_WAIT sockets seen (the program closed them first). */
    bool outside;
    uint64_t peak; /* close-wait-pile from outside: most in CLOSE_WAIT at one sample */
};

struct findings {
    struct finding *v;
    size_t n, cap;
    struct hindex index; /* of v[0 .. nindexed) by kind and site, for findings_merge */
    size_t nindexed;
};

struct finding *findings_add(struct findings *fs, enum finding_kind kind);
void finding_add_pid(struct finding *f, long pid);
void finding_add_fd(struct finding *f, int fd); /* keeps fds sorted, distinct */
/* Appends a peer the finding does not have yet (the caller knows). */
void finding_push_peer(struct finding *f, const char *peer, uint64_t count);
void finding_push_host(struct finding *f, const char *host, uint64_t count);
/* Adds a URL unless the finding has it or MAX_URLS already. */
void finding_add_url(struct finding *f, const char *url);
/* Appends a test the finding does not name yet. */
void finding_add_test(struct finding *f, const char *test);
/* Sets f->http from a socket's state (host: its Host or peer, may be NULL). */
void finding_set_http(struct finding *f, const struct http_state *h, const char *host,
                      const char *method, const char *target);
/* No-connection-reuse: the connections keep-alive would have saved. */
uint64_t finding_saved(const struct finding *f);
enum sock_role finding_role(const struct finding *f); /* the most common role */
/* "error" or "warning": its kind's, but a client-handle-leak that holds
 * sockets is an error (they are leaked sockets, folded under their cause). */
const char *finding_severity(const struct finding *f);
/* The kinds it counts as for --fail-on (1u << kind): its own, and
 * orphaned-socket for a client-handle-leak that holds sockets. */
unsigned finding_kinds(const struct finding *f);

/* Moves src into fs: merged into the finding of the same kind and site
 * (and sweep flag) if there is one, appended otherwise. src is left empty.
 * A hash index keeps this O(1) per call (findings_sort drops the index). */
void findings_merge(struct findings *fs, struct finding *src);
void findings_sort(struct findings *fs);
uint64_t findings_total(const struct findings *fs, enum finding_kind kind);

/* FNV-1a 64 over "module-basename!function\n" of every frame (the mangled
 * spelling when there is one, so that it does not depend on the demangler):
 * stable across runs and ASLR. A frame without a function contributes its
 * module-relative address instead ("module!+0x1a2b"), so unsymbolised
 * stacks do not all collide. */
uint64_t frames_fingerprint(const struct frames *s);
/* FNV-1a 64 over the fingerprint's text plus, per frame, "@file:line", or
 * "@+0xREL" (the module-relative pc) when the frame has no line: tells apart
 * call sites in the same function, still stable across runs and ASLR. */
uint64_t frames_site(const struct frames *s);
void frames_free(struct frames *s);
void finding_free(struct finding *f);
void findings_free(struct findings *fs);

#endif
