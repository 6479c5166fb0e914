/* httptrack.h - follows the HTTP/1.x exchanges of client sockets, fed with
 * the bytes the hooks see (httptrack.c, over common/http1.h). For the I/O
 * and TLS hooks, the close path and the event writer. It knows nothing of
 * the sampler. */
#ifndef CONNLEAK_HTTPTRACK_H
#define CONNLEAK_HTTPTRACK_H

#include "fdtable.h"
#include "tracebin.h"

#include <sys/uio.h>

struct http1;

int httptrack_init(unsigned int cap);
/* Bytes the program wrote / read on r (n > 0), fd one of its fds. Called
 * with the hook guard held; errno may change. */
void http_feed(struct sock_rec *r, int fd, const void *buf, size_t n, bool in);
void http_feed_iov(struct sock_rec *r, int fd, const struct iovec *iov, size_t niov, size_t n,
                   bool in);
/* Plaintext the program wrote / read through an SSL object on r's socket. */
void http_feed_tls(struct sock_rec *r, int fd, const void *buf, size_t n, bool in);
void http_eof(struct sock_rec *r, int fd, bool tls); /* raw EOF, or TLS close_notify */
void http_skipped(struct sock_rec *r);               /* bytes not fed (no guard): lost sync */
/* The socket's last fd went: frees its HTTP state (after its close record). */
void http_release(struct sock_rec *r);
/* ,"http":{...} for live / last close records, if r has HTTP state. */
void http_kv_state(struct jb *b, const struct sock_rec *r);
void http_tb_state(struct tb *b, const struct sock_rec *r); /* the same, binary */
const struct http1 *http_state_of(const struct sock_rec *r); /* NULL: none */
uint32_t http_site_of(const struct sock_rec *r);             /* its last request's stack, 0: none */

#endif
