/* hooks_io.h - what the I/O hooks (hooks_io.c) share with the TLS hooks
 * (hooks_ssl.c): the byte counting of a read or write, and the probe that
 * finds the socket of an SSL object. For hooks_*.c only. */
#ifndef CONNLEAK_HOOKS_IO_H
#define CONNLEAK_HOOKS_IO_H

#include "fdtable.h"

#include <sys/types.h>

struct sock_rec *io_count(int fd, ssize_t n, bool in);
/* Set to SSL_PROBE_WANT around a real OpenSSL call whose socket is not
 * known: the first tracked socket the call reads or writes stores its fd. */
#define SSL_PROBE_WANT (-2)
extern __thread int cl_ssl_probe_fd __attribute__((tls_model("initial-exec")));

#endif
