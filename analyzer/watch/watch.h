/* watch.h - `connleak watch`: a process seen from outside, for programs
 * LD_PRELOAD cannot observe (Go, static binaries) or that already run.
 *
 * Pipeline, one stage per file: watch_sample.c takes a snapshot of the
 * process (/proc/PID/fd + sock_diag + limits), watch_model.c folds the
 * snapshots into series and per-peer state (CLOSE_WAIT ages, TIME_WAIT
 * matched by the process's earlier connections), watch_find.c turns the
 * model into findings of the shared model (model/findings.h: the kinds
 * close-wait-pile, fd-growth, unbounded-pool, time-wait-storm of `run` and
 * `report`) with the trend statistics of trend.h, and watch_summary.c
 * fills the summary (watch_summary.h) that render/watch_text.c and
 * render/watch_json.c print (docs/watch.md), each finding through the
 * renderers of run and report. cli/watch_cmd.c runs the loop;
 * cli/watch_opts.c parses the flags (cli/watch_cmd.h). This folder only
 * produces: it includes no renderer and no command-line code. */
#ifndef CONNLEAK_WATCH_H
#define CONNLEAK_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockdiag.h" /* TCP_ESTABLISHED ..., sockdiag_state_name */
#include "util/trend.h"
#include "util/util.h"
#include "watch/watch_summary.h"

/* The thresholds of the findings (docs/watch.md). */
/* fd-growth and unbounded-pool: trend_rising with TREND_*_MIN_RISE (trend.h) */
#define WATCH_TIME_WAIT_MIN 50    /* time-wait-storm: TIME_WAIT sockets towards one peer */
#define WATCH_KEEP_S        120.0 /* endpoints remembered to match TIME_WAIT (lasts 60 s) */
#define WATCH_MAX_PEERS     1024  /* beyond: one "(other peers)" row */
#define WATCH_MAX_POINTS    2048  /* series longer than this keep every other point */

/* ---- one sample ---------------------------------------------------- */

/* Two TCP endpoints; padding zeroed, so that memcmp compares. Addresses
 * in network order (4 bytes used for AF_INET), ports in host order. */
struct wtuple {
    uint8_t family, pad;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

struct wsock {
    struct wtuple tu;
    int state;
    uint32_t unread; /* bytes received, not read by the program */
    uint64_t inode;
};

struct watch_snap {
    double t;         /* seconds since the watch began */
    int nfds;         /* open fds */
    size_t nsock;     /* socket fds (any family) */
    uint64_t *inodes; /* the socket inodes, sorted, distinct */
    size_t ninodes, capinodes;
    struct wsock *own; /* the process's TCP sockets, joined by inode */
    size_t nown, capown;
    struct wsock *tw; /* every TIME_WAIT socket the kernel shows */
    size_t ntw, captw;
    long nofile;  /* soft RLIMIT_NOFILE; -1: unlimited or unknown */
    int diag_err; /* 0, or the -errno of sock_diag (then no sockets) */
};

/* Samples process pid into s (reusing its arrays). Returns 0, or the -errno
 * of reading /proc/PID/fd (-ENOENT: the process is gone). */
int watch_sample(struct watch_snap *s, int pid, double t);
void watch_snap_free(struct watch_snap *s);

/* ---- the model ----------------------------------------------------- */

/* A remote peer: outgoing connections to addr:port, or incoming ones from
 * addr to the process's listening port. family 0: "(other peers)". */
struct wpeer_key {
    uint8_t family, inbound;
    uint16_t port;
    uint8_t addr[16];
};

struct watch_peer {
    struct wpeer_key key;
    char label[64];
    uint32_t cur[WATCH_NSTATES]; /* sockets per state at the last sample
                                    (TIME_WAIT: the matched ones) */
    uint64_t unread;             /* receive-queue bytes on them */
    uint64_t cw_unread;          /* ... on those in CLOSE_WAIT */
    uint32_t peak_est, peak_cw, peak_tw;
    uint64_t tw_total;     /* distinct TIME_WAIT sockets matched over the watch */
    uint32_t cw_kept;      /* CLOSE_WAIT at the last sample and at an earlier one */
    double cw_oldest;      /* seconds since the oldest of them was first seen */
    double cw_youngest;    /* ... the youngest of the cw_kept ones */
    double *est, *cw, *tw; /* series, one value per model point */
};

struct wendpoint {
    struct wtuple tu; /* listeners: dport 0, dst zero */
    double last_seen;
    uint32_t peer;
};

struct wcw {
    uint64_t inode;
    double first_seen;
};

struct watch_model {
    unsigned nsamples, stride; /* a point every stride samples */
    double *t, *fds, *socks;   /* the series */
    size_t npts, cappts;
    struct watch_peer *peers;
    size_t npeers, cappeers;
    struct hindex peer_index;
    struct wendpoint *known, *listen; /* sorted by tuple */
    size_t nknown, capknown, nlisten, caplisten;
    struct wtuple *tw_prev; /* matched TIME_WAIT of the last sample, sorted */
    size_t ntw_prev, captw_prev;
    struct wcw *cw; /* CLOSE_WAIT inodes of the last sample, sorted */
    size_t ncw, capcw;
    /* the first and last sample */
    double t_first, t_last;
    int fds_first, fds_last, fds_peak;
    size_t nsock_last;
    uint32_t totals[WATCH_NSTATES]; /* the process's TCP sockets per state */
    long nofile;
    int diag_err;
};

/* Folds one sample in. */
void watch_model_add(struct watch_model *m, const struct watch_snap *s);
void watch_model_free(struct watch_model *m);
int wtuple_cmp(const void *a, const void *b);

/* ---- findings and summary ------------------------------------------ */

/* The findings of the model, as struct finding of the process pid
 * (outside set, see findings.h), sorted by findings_sort. */
void watch_findings_compute(const struct watch_model *m, int pid, struct findings *out);

/* The summary of the model the renderers read (pointers into m); free it
 * before the next sample. */
void watch_summary_fill(struct watch_summary *s, const struct watch_model *m);
void watch_summary_free(struct watch_summary *s);

#endif
