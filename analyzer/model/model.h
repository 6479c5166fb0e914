/* model.h - what one trace says about one process, ready for the rules.
 *
 * The reader (trace_read.c) fills a struct process line by line and keeps
 * only what the rules and the report need: the module map, the stack table,
 * the sockets still open at the end, and the bad closes. (The per-socket
 * records that rebuild a cut-short trace's live set live in the reader and
 * die with it.)
 * Stack ids in the trace are arbitrary numbers; the reader renumbers them
 * densely (1, 2, ...; 0 = no stack), so every `stk` field here indexes
 * process.stacks directly. Peer addresses repeat a lot, so they are
 * interned, together with the HTTP Host names (a host and a peer are both
 * "where to", and a rule that wants the host falls back on the peer).
 *
 * HTTP: the preload writes where a socket's HTTP/1.x exchanges stand in
 * the `http` object of its last close and of its live record. The reader
 * keeps that state only for the sockets a rule can use: live ones, closed
 * ones whose body was left unread (discarded), and closed ones that carried
 * a single keep-alive request (connection reuse), the last in a compact
 * form. Client handles (libcurl, OpenSSL) are kept with the sockets each
 * one used.
 *
 * Bounded traces: past CONNLEAK_DETAIL_SOCKETS sockets, a socket closed
 * before it mattered is only counted, in `agg` records per opening stack
 * and peer. The reader sums them per (stk, peer) into process.aggs; their
 * closes count in the totals, their active closes in the tw_sites, their
 * requests in peer_reqs, and the HTTP rules add their one-request and
 * discarded-body counts to those of the detailed sockets. */
#ifndef CONNLEAK_MODEL_H
#define CONNLEAK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

enum sock_role {
    ROLE_SOCKET,   /* socket(), never connected nor listening */
    ROLE_CLIENT,   /* connect() succeeded or is in progress */
    ROLE_LISTENER, /* listen() succeeded */
    ROLE_ACCEPTED, /* from accept() */
    ROLE_PAIR,     /* from socketpair() */
    ROLE_RECEIVED, /* arrived over SCM_RIGHTS */
    ROLE_OTHER,    /* a role this connleak does not know */
    ROLE_COUNT
};
const char *role_name(enum sock_role role);
enum sock_role role_parse(const char *s); /* NULL or unknown -> ROLE_OTHER */

struct module {
    char *path;
    uint64_t base, lo, hi; /* load bias; run-time range [lo, hi) */
    char *bid;             /* GNU build-id in hex, "" if none */
};

struct stack {
    uint64_t *pc; /* return addresses, innermost first */
    uint32_t n;
    uint32_t id; /* the id in the trace */
    uint32_t py; /* its Python frames: index in process.pystacks, 0 = none */
};

/* The Python frames beside a native stack (a `pystk` record), innermost
 * first; entry: the outermost frame of one _PyEval_EvalFrameDefault call. */
struct pyframe {
    char *function, *file;
    int line;
    bool entry;
};
struct pystack {
    struct pyframe *v;
    uint32_t n;
};

enum http_phase { HTTP_IDLE, HTTP_HEADERS, HTTP_BODY, HTTP_PHASE_OTHER };
const char *http_phase_name(enum http_phase phase);
enum http_phase http_phase_parse(const char *s); /* NULL or unknown -> HTTP_PHASE_OTHER */

/* Where a socket's HTTP/1.x exchanges stand (the trace's `http` object).
 * Counts saturate; strings are interned (host in process.peers, method and
 * target in process.texts; 0 = none). */
struct http_state {
    int64_t expect;              /* body bytes expected; -1 = not known */
    uint64_t read;               /* body bytes the program read */
    uint32_t reqs, resps, await; /* requests sent, responses ended, awaited */
    uint32_t host, method, target;
    uint16_t status; /* 0 = none yet */
    uint8_t phase;   /* enum http_phase */
    bool ka, tls, lost, tunnel;
    uint8_t go;    /* Go's net/http (probe traces): GO_BUSY, GO_POOLED, GO_NONE */
    uint32_t pool; /* Go: serial of the connection's Transport in its process */
    uint32_t rstk; /* the request site: stack of the last request (dense), 0 = not known */
    bool rsampled; /* rstk is an earlier request's, standing for the last one */
};

/* What Go's connection pool says of a connection (the probe's uprobes). */
enum { GO_NONE, GO_BUSY, GO_POOLED };

/* A socket still open at the end of the trace. */
struct live_sock {
    uint64_t sid;
    uint64_t opened, at; /* at = when the trace last saw it (ts of live record) */
    uint64_t last_io;    /* 0 = no I/O (or unknown) */
    uint64_t in, out;
    uint32_t stk, peer;
    uint32_t http; /* index + 1 into process.http; 0 = no HTTP seen */
    uint8_t role;
    bool inherited;
    bool before_attach; /* open when `connleak attach` began: its opening was not seen */
    bool eof;           /* the program read end-of-file: the peer closed first */
    bool passed;        /* sent to another process over SCM_RIGHTS */
    bool unix_fam;      /* an AF_UNIX socket ("fam":"unix") */
    bool shared;        /* a pair socket a traced forked child inherited (report.c) */
    bool read_last;     /* the program's last successful I/O on it was a read */
    uint8_t kstate;     /* the kernel's TCP state last seen (KSTATE_*), 0 = not known */
    uint32_t rq;        /* bytes in its receive queue at the last ktcp record */
    uint64_t cw_since;  /* ts of the ktcp record that saw it in CLOSE_WAIT; 0 = none */
    uint32_t owner;     /* index + 1 into process.handles of the unreleased client handle
                         * that holds it (process_link_owners); 0 = none known */
};

/* The kernel TCP states the rules care about (the others are KSTATE_OTHER). */
enum kstate { KSTATE_NONE, KSTATE_CLOSE_WAIT, KSTATE_LAST_ACK, KSTATE_OTHER };
enum kstate kstate_parse(const char *s); /* NULL -> KSTATE_NONE */

/* Every kernel TCP state by name, for the charts of the HTML report (a
 * sample's `tcp` counts, `ktcp` changes); TCPS_OTHER: a name not listed. */
enum tcp_state {
    TCPS_ESTABLISHED,
    TCPS_SYN_SENT,
    TCPS_SYN_RECV,
    TCPS_FIN_WAIT1,
    TCPS_FIN_WAIT2,
    TCPS_TIME_WAIT,
    TCPS_CLOSE,
    TCPS_CLOSE_WAIT,
    TCPS_LAST_ACK,
    TCPS_LISTEN,
    TCPS_CLOSING,
    TCPS_OTHER,
    TCPS_COUNT
};
enum tcp_state tcp_state_parse(const char *s);
const char *tcp_state_name(enum tcp_state st); /* "ESTABLISHED", ..., "other" */

/* One `ktcp` record: a tracked socket's kernel state changed at ts. */
struct ktcp_pt {
    uint64_t ts;
    uint8_t state; /* enum tcp_state */
};

/* One `sample` record: fds < 0 when the sampler could not count them. */
struct sample_pt {
    uint64_t ts;
    int64_t fds;
    uint64_t nofile; /* 0 = unlimited */
    uint32_t socks;
    uint32_t nsites, npeers; /* entries its `sites` and `peers` listed (at most 8 each) */
    bool tcp;                /* it read the kernel: its `tcp` counts are in process.tcp_pts */
};

/* One entry of a sample's `sites` (id: a dense stack index) or `peers` (id:
 * an interned peer); sample indexes process.samples. */
struct series_pt {
    uint32_t sample, id, n;
};

/* TIME_WAIT sockets towards peer of connections opened at stk: the peak over
 * the samples' `tw` entries, and the program's closes of such client
 * sockets (first and last ts, count; `unread`: those after the last sample
 * that read TIME_WAIT, process.tw_read_ts). */
struct tw_site {
    uint32_t peer, stk;
    uint32_t peak;
    bool peak_est; /* the peak is an estimate ("est" in its sample) */
    uint64_t closes, first_close, last_close, unread;
};

/* A closed socket whose response body was not read to the end. */
struct http_closed {
    uint64_t opened, closed, last_io;
    uint32_t stk, peer;
    uint32_t http; /* index + 1 into process.http */
};

/* A closed socket that carried exactly one request, whose response allowed
 * keep-alive, closed by the program (no EOF first): a candidate for
 * no-connection-reuse. */
struct reuse_cand {
    uint64_t opened, closed;
    uint32_t stk, peer, host;
    uint64_t body; /* body bytes of its response (report/pybuffered.c) */
    uint32_t rstk; /* its request's stack, 0 = not known */
};

/* The agg records of one (opening stack, peer), summed: sockets the trace
 * counted instead of writing them one by one (a bounded trace). */
struct agg_site {
    uint32_t stk, peer;
    uint32_t example;     /* index + 1 into process.http: the latest discarded body; 0 = none */
    uint32_t rstk;        /* request site of the latest one-request or discarded one; 0 = none */
    uint64_t closed;      /* sockets closed */
    uint64_t first, last; /* the earliest first (an open) and the latest last (a close) */
    uint64_t active;      /* TCP client sockets the program closed first */
    uint64_t reqs, one_req_ka, discarded;
};

enum handle_kind { HANDLE_CURL, HANDLE_CURLM, HANDLE_SSL, HANDLE_COUNT };
const char *handle_kind_name(enum handle_kind kind); /* "curl", "curlm", "ssl" */

/* A client-library object that holds connections (hnew ... hfree). */
struct handle {
    uint64_t created; /* ts of hnew */
    uint32_t stk;
    uint32_t uses; /* index + 1 into process.huses of its latest use; 0 = none */
    uint8_t kind;  /* enum handle_kind */
    bool freed;
};

/* One huse record: a handle used a socket (sid 0 = unknown) for a URL. */
struct handle_use {
    uint64_t sid;
    uint32_t url;  /* in process.texts */
    uint32_t next; /* index + 1 of the handle's previous use; 0 = none */
};

enum badclose_kind { BADCLOSE_DOUBLE, BADCLOSE_FOREIGN };

struct badclose {
    uint64_t ts;
    int fd;
    uint8_t kind;                           /* enum badclose_kind */
    uint32_t stk, prev_stk, prev_close_stk; /* the last: with CONNLEAK_CLOSE_STACKS=1 */
};

/* Go response bodies read to the end and never closed, per request site
 * (the probe's `gobody` records). */
struct go_unclosed {
    uint32_t stk;  /* the user's stack of the requests */
    uint32_t http; /* their request (method, target, host), as process_http() */
    uint64_t n;
};

/* A `mark` record: from ts on, the test named (in process.texts; 0 = no
 * test, between tests) is running (include/connleak.h). */
struct test_mark {
    uint64_t ts;
    uint32_t test;
};

struct process {
    char *trace;    /* path of the trace file */
    long pid, ppid; /* pid 0: unknown (a damaged header, trace/header.c) */
    bool forked;
    bool probe;       /* written by the probe backend (hdr "backend":"probe") */
    bool detached;    /* its end says "detach": still running when tracing stopped */
    bool events_lost; /* probe: a note says the kernel dropped events (ring buffer full) */
    bool complete;    /* an end record was read */
    unsigned issues;  /* malformed lines skipped */
    size_t damaged;   /* records lost to damage (malformed, over-long): the report is incomplete */
    bool cut_short;   /* the last line was incomplete */

    /* A write to the trace failed (a "disk-full"/"write-failed" note, or a
     * TRACE.disk-full marker file): the trace stops after write_after records.
     * write_errno: ENOSPC, EDQUOT, EFBIG, EIO...; "" from the marker. */
    bool write_failed;
    uint64_t write_after;
    char write_errno[16];

    char *exe;
    struct strlist argv;
    uint64_t start_unix_ns;
    uint64_t last_ts;  /* largest ts seen */
    unsigned flush_ms; /* from the header; 0 if not given */
    uint64_t dev, ino; /* the trace file's identity */

    struct module *mods;
    size_t nmods, capmods;
    struct stack *stacks; /* indexed by dense stack index; [0] is "no stack" */
    size_t nstacks, capstacks;
    struct pystack *pystacks; /* [0] is "none" */
    size_t npystacks, cappystacks;
    struct live_sock *live;
    size_t nlive, caplive;
    struct badclose *bad;
    size_t nbad, capbad;
    struct strtab peers; /* peer addresses and HTTP hosts */
    struct strtab texts; /* HTTP methods, targets, URLs */

    struct http_state *http; /* of live_sock.http and http_closed.http */
    size_t nhttp, caphttp;
    struct http_closed *discarded;
    size_t ndiscarded, capdiscarded;
    struct reuse_cand *reuse;
    size_t nreuse, capreuse;
    uint64_t *peer_reqs; /* by peer id: requests over the sockets closed, 0 beyond */
    size_t npeer_reqs;
    struct agg_site *aggs; /* the quiet sockets of a bounded trace, by (stk, peer) */
    size_t naggs, capaggs;
    struct handle *handles;
    size_t nhandles, caphandles;
    struct handle_use *huses;
    size_t nhuses, caphuses;
    struct go_unclosed *gounclosed;
    size_t ngounclosed, capgounclosed;
    uint64_t *inh_pairs; /* sids of the pair sockets this (forked) process inherited */
    size_t ninh_pairs, capinh_pairs;
    uint64_t *site_opens; /* by dense stack id: sockets opened there (open and agg records) */
    size_t nsite_opens;

    /* the sampler: its records in order, and the TIME_WAIT of closed clients */
    struct sample_pt *samples;
    size_t nsamples, capsamples;
    struct series_pt *sites, *peer_pts; /* from samples' `sites` and `peers` */
    size_t nsites, capsites, npeer_pts, cappeer_pts;
    struct series_pt *tcp_pts; /* from samples' `tcp` (id: enum tcp_state), for charts */
    size_t ntcp_pts, captcp_pts;
    struct ktcp_pt *ktcps; /* the ktcp records in order, for charts */
    size_t nktcps, capktcps;
    struct tw_site *tw;  /* by (peer, stk), indexed by tw_index */
    bool tw_read_any;    /* some sample read the kernel's TIME_WAIT sockets (`tw`) */
    uint64_t tw_read_ts; /* the last one */
    size_t ntw, captw;
    struct hindex tw_index;
    uint32_t dump;           /* the dump (`dump` record) the live set is as of; 0 = none */
    struct test_mark *marks; /* sorted by ts (model/marks.c) */
    size_t nmarks, capmarks;

    uint64_t opened, closed; /* counted from open / last-close records, and agg closes */
    /* What the report shows: from the end record when the trace is complete,
     * else counted from the events. */
    struct {
        uint64_t opened, closed, live, badclose_dropped, lost;
    } totals;
};

/* Sets live_sock.owner: which unreleased client handle holds each live
 * socket, where the trace can tell (the criterion: model/owners.c). */
void process_link_owners(struct process *p);

/* Sockets opened at a call site (a dense stack id): site_opens_add counts
 * n more, process_site_opens says how many (0 for stack 0 or none seen). */
void site_opens_add(struct process *p, uint32_t stk, uint64_t n);
uint64_t process_site_opens(const struct process *p, uint32_t stk);

/* The HTTP state a live_sock.http or http_closed.http names, or NULL. */
const struct http_state *process_http(const struct process *p, uint32_t http);
/* The "where to" of an HTTP state: its Host, or else the peer (an interned
 * id of process.peers; 0 when neither is known). */
uint32_t http_host_or(const struct http_state *h, uint32_t peer);
/* The stack at this dense index, or NULL for 0 (no stack). */
const struct stack *process_stack(const struct process *p, uint32_t id);
const struct pystack *process_pystack(const struct process *p, uint32_t py); /* NULL: none */
void pystack_free(struct pystack *s);
/* The module whose [lo, hi) covers pc, or NULL. */
const struct module *process_module_at(const struct process *p, uint64_t pc);
/* A short name for the report: basename of exe (or argv[0]), "?" if none. */
const char *process_name(const struct process *p);
void process_free(struct process *p);
/* model/marks.c: a mark record (test NULL or "": between tests), and the
 * test running at ts (an id of process.texts; 0 = none). */
void process_add_mark(struct process *p, uint64_t ts, const char *test);
uint32_t process_test_at(const struct process *p, uint64_t ts);

#endif
