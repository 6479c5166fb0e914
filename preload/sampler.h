/* sampler.h - the kernel's view, every CONNLEAK_SAMPLE_MS: fds against
 * RLIMIT_NOFILE, TCP states by sock_diag, unread bytes, TIME_WAIT
 * (sampler.c), and its records (events.c). For sampler.c, timewait.c,
 * events.c and lifecycle.c only: neither the hooks nor the HTTP tracker
 * include it. */
#ifndef CONNLEAK_SAMPLER_H
#define CONNLEAK_SAMPLER_H

#include "fdtable.h"

#define TW_MAX 16 /* TIME_WAIT groups (peer, site) per sample */
/* A count per key (a stack, a peer, or both), for the few largest. */
struct count {
    uint64_t key;
    uint32_t n, stk;
    struct cl_addr peer;
    bool est; /* n is an estimate (timewait.c: sampled closes) */
};
struct count *count_add(struct count *c, unsigned int *n, unsigned int cap, uint64_t key);
void counts_sort(struct count *c, unsigned int n); /* largest first */
int sampler_init(void);
void sampler_tick(void);  /* flusher thread */
void sampler_final(void); /* exit: a last look at TIME_WAIT */
void sampler_after_fork_child(void);
struct sample_counts {
    int fds;         /* open fds, or -errno */
    bool fds_exact;  /* counted in this sample (else estimated from the last count) */
    bool kernel;     /* the kernel's TCP states were read in this sample */
    bool tw_read;    /* and its TIME_WAIT sockets (the `tw` list) */
    uint64_t nofile; /* RLIMIT_NOFILE soft limit, 0 = unlimited */
    uint32_t socks;  /* tracked sockets */
    const uint32_t *roles, *tcp;
    uint64_t cost_us, wall_us; /* CPU time of the sample, and its elapsed time */
    unsigned int nsites, npeers, ntw;
    uint32_t site_stk[8], site_n[8];
    const struct cl_addr *peer[8];
    uint32_t peer_n[8];
    const struct cl_addr *tw_peer[TW_MAX];
    uint32_t tw_stk[TW_MAX], tw_n[TW_MAX];
    bool tw_est[TW_MAX]; /* tw_n is an estimate from sampled closes */
    bool tw_total_est;   /* so is the tcp TIME_WAIT count, in part */
};
void ev_sample(const struct sample_counts *c);
void ev_ktcp(const struct sock_rec *r, uint64_t sid, const char *state, uint32_t rqueue);

#endif
