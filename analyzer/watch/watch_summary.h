/* watch_summary.h - what `connleak watch` hands its renderers
 * (render/watch_text.c, render/watch_json.c), and all they may read of it:
 * how the watch went (process, samples, how it ended), the last sample and
 * the series, one row per peer, the findings, and the notes. The findings
 * are struct finding of the shared model (model/findings.h), the same kinds
 * `run` and `report` find, printed by the same per-finding renderers; the
 * model and the sampler behind them stay in watch.h. */
#ifndef CONNLEAK_WATCH_SUMMARY_H
#define CONNLEAK_WATCH_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/findings.h"
#include "util/util.h"

#define WATCH_NSTATES 12 /* TCP states 1..11, index 0 unused */

/* The kinds watch can find from outside; --fail-on refuses the others (a
 * kind watch cannot see would always pass). */
#define WATCH_KINDS                                                                                \
    ((1u << KIND_CLOSE_WAIT) | (1u << KIND_FD_GROWTH) | (1u << KIND_TIME_WAIT) | (1u << KIND_POOL))

/* One remote peer (watch_model.c says what a peer is). Pointers into the
 * watch's model: valid until its next sample. */
struct watch_peer_row {
    const char *label;      /* "10.0.0.1:443", "10.0.0.2 -> :8080", "(other peers)" */
    const char *direction;  /* "out", "in", "other" */
    char address[48];       /* its address; "" for other */
    int port;               /* out: the remote port; in: our listening port; -1 for other */
    const uint32_t *states; /* [WATCH_NSTATES]: sockets per TCP state at the last sample */
    uint32_t total;         /* sockets at the last sample */
    uint64_t unread;        /* receive-queue bytes on them */
    uint32_t peak_est, peak_cw, peak_tw;
    uint64_t tw_seen;            /* distinct TIME_WAIT sockets over the watch */
    const double *est, *cw, *tw; /* series, npts points */
};

struct watch_summary {
    unsigned nsamples, every_samples;
    double duration_s; /* from the first sample to the last */
    size_t npts;
    const double *t, *fds, *socks; /* the series; t: seconds since the watch began */
    int fds_first, fds_last, fds_peak;
    size_t nsock_last;
    const uint32_t *totals;       /* [WATCH_NSTATES]: the process's TCP sockets per state */
    long nofile;                  /* soft RLIMIT_NOFILE; -1: unlimited or unknown */
    int diag_err;                 /* 0, or the -errno of sock_diag (then no sockets) */
    struct strlist listening;     /* "127.0.0.1:8080", at the last sample */
    struct watch_peer_row *peers; /* most sockets at the last sample first, then by label */
    size_t npeers;
};

enum watch_end { END_EXITED, END_DURATION, END_ONCE, END_INTERRUPTED, END_LOST };
const char *watch_end_name(enum watch_end end);

struct watch_report {
    int interval_ms;   /* the sampling interval asked for */
    char *const *args; /* watch -- PROG ARGS... (nargs 0: watch PID) */
    int nargs;
    int pid;
    char comm[32];      /* the process's name (/proc/PID/comm) */
    char comm_text[72]; /* the same, safe to print on a terminal */
    char *exe;          /* NULL when unreadable */
    struct watch_summary s;
    struct findings f; /* kinds of WATCH_KINDS, sorted by findings_sort */
    enum watch_end end;
    bool has_program; /* watch -- PROG: PROG's outcome below */
    int exit_code;    /* -1 when a signal killed it */
    int signal;
    struct strlist notes;
};

#endif
