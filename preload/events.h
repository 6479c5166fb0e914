/* events.h - the event writer: one function per trace record type
 * (events.c, docs/trace-format.md). For the hooks, the fd table, the HTTP
 * tracker, handles and lifecycle. The sampler's records (ktcp, sample) are
 * declared in sampler.h and the aggregate's (agg) in agg.h, so that this
 * header shows nothing of them. */
#ifndef CONNLEAK_EVENTS_H
#define CONNLEAK_EVENTS_H

#include "fdtable.h"

#include <sys/socket.h>

void ev_header(struct jb *b, bool forked);
void ev_open(const struct sock_rec *r, int fd, uint64_t lsid, bool inherited);
void ev_conn(const struct sock_rec *r, int fd, int err, const struct sockaddr *sa, socklen_t len);
void ev_listen(const struct sock_rec *r, int fd);
void ev_dup(const struct sock_rec *r, int fd, int nfd, const char *how);
void ev_shut(const struct sock_rec *r, int fd, int how);
void ev_close(const struct sock_rec *r, int fd, const char *how, bool last);
void ev_badclose(int fd, const char *kind, uint32_t stk, const struct fd_prev *prev);
void ev_live(const struct sock_rec *r, const int *fds, int nfds, uint32_t dump); /* 0: at exit */
void ev_dump(uint32_t seq, const char *why);
bool ev_is_quiet(const struct sock_rec *r);
void ev_promote(const struct sock_rec *r, int fd); /* a quiet socket's late open record */
void ev_end(const char *why);
void ev_hnew(uint32_t id, int kind, uint32_t stk);
void ev_huse(uint32_t id, uint64_t sid, const char *url); /* sid 0 / url NULL: unknown */
void ev_hfree(uint32_t id);
void ev_note(const char *what, const char *detail);
struct http1;
struct http1_events;
/* stk: the request's stack, or (sampled) that of an earlier one on r */
void ev_http_req(const struct sock_rec *r, int fd, const struct http1 *h, uint32_t stk,
                 bool sampled);
void ev_http_resp(const struct sock_rec *r, const struct http1 *h, const struct http1_events *ev);
void ev_http_done(const struct sock_rec *r, const struct http1 *h, const struct http1_events *ev);

#endif
