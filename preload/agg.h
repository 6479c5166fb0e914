/* agg.h - per-site counters once CONNLEAK_DETAIL_SOCKETS sockets have been
 * written one by one (agg.c), and their record (events.c). For the fd table
 * and the event writer, which decide what is written, and lifecycle. */
#ifndef CONNLEAK_AGG_H
#define CONNLEAK_AGG_H

#include "fdtable.h"

struct http1;

struct agg_counts {
    uint64_t key; /* stk << 32 ^ peer hash; 0 = free */
    uint32_t stk;
    uint32_t req_stk; /* request site of the latest one-request or discarded connection */
    struct cl_addr peer;
    uint64_t closed, reqs, one_req_ka, discarded, peer_first, active;
    uint64_t first_ts, last_ts;
    char method[8], target[40]; /* of the last discarded body */
    uint16_t status;
    int64_t expect;
    uint64_t read;
};
void agg_init(void);
bool agg_socket_detailed(void);
/* req_stk: the request site of r's last request (httptrack.h), 0 if none */
void agg_note_close(const struct sock_rec *r, const struct http1 *h, uint32_t req_stk);
void agg_flush(void); /* flusher thread */
void agg_after_fork_child(void);
void ev_agg(const struct agg_counts *c);

#endif
