/* sockdiag.h - the kernel's list of TCP sockets, from netlink sock_diag.
 *
 * One SOCK_DIAG_BY_FAMILY dump per address family (AF_INET, AF_INET6) with
 * struct inet_diag_req_v2, the wanted TCP states filtered in the kernel. Each
 * socket is handed to a callback; the caller joins it to a process's fds by
 * inode (TIME_WAIT sockets have none: match their 4-tuple).
 *
 * Shaped to run inside the preload library's sampler thread as well as in
 * the connleak command: no malloc (the caller lends the receive buffer), no
 * stdio, no global state; errors come back as -errno and the netlink socket
 * (SOCK_CLOEXEC) is always closed before returning. Plain C, Linux headers
 * only. */
#ifndef CONNLEAK_SOCKDIAG_H
#define CONNLEAK_SOCKDIAG_H

#include <netinet/tcp.h> /* TCP_ESTABLISHED ..., struct tcp_info */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A receive buffer of this size holds any dump message the kernel sends
 * (it sizes its messages by the reader's buffer, up to 32 KiB). Smaller
 * buffers work down to SOCKDIAG_BUF_MIN. */
#define SOCKDIAG_BUF_SIZE 32768
#define SOCKDIAG_BUF_MIN  8192

/* idiag_states bits: 1 << TCP_xxx (TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11). */
#define SOCKDIAG_STATE(s)   (1u << (s))
#define SOCKDIAG_STATES_ALL 0xfffu

/* flags of sockdiag_dump */
#define SOCKDIAG_WANT_INFO 1u /* ask for INET_DIAG_INFO (struct tcp_info) */
/* sockdiag_dump_all: AF_INET only (each family's dump costs ~1 ms of
 * walking the kernel's connection hash table, whatever it finds) */
#define SOCKDIAG_INET_ONLY 2u

/* One TCP socket as the kernel reports it. Addresses are in network byte
 * order (4 bytes used for AF_INET), ports in host byte order. */
struct sockdiag_sock {
    int family; /* AF_INET or AF_INET6 */
    int state;  /* TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_TIME_WAIT, TCP_LISTEN, ... */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint64_t inode;  /* 0 for TIME_WAIT (and for sockets without a file) */
    uint32_t rqueue; /* the kernel's idiag_rqueue: for a listener, connections waiting
                        in accept; otherwise bytes not yet read, plus 1 for a FIN
                        the program has not read (see unread, fin_unread) */
    uint32_t unread; /* bytes received and not read by the program (not listeners) */
    bool fin_unread; /* the peer's FIN arrived and the program has not read the EOF */
    uint32_t wqueue; /* unsent bytes; for a listener: the backlog */
    uint32_t uid;
    uint32_t expires_ms;  /* the running timer (for TIME_WAIT: time left), 0 if none */
    bool has_info;        /* info is filled (SOCKDIAG_WANT_INFO, and not TIME_WAIT) */
    struct tcp_info info; /* zero-filled beyond what the kernel sent */
};

/* Called once per socket; a non-zero return stops the dump (of both
 * families, for sockdiag_dump_all). */
typedef int (*sockdiag_cb)(const struct sockdiag_sock *s, void *arg);

/* Makes the dump's netlink socket; NULL: socket(2). The preload sets one
 * that keeps it off the program's fd numbers (preload/ownfds.c). */
extern int (*sockdiag_socket_fn)(int domain, int type, int protocol);

/* Dumps the TCP sockets of one family (AF_INET or AF_INET6) in the states
 * of the mask (SOCKDIAG_STATE bits). buf: at least SOCKDIAG_BUF_MIN bytes,
 * any alignment. Returns the number of sockets handed to cb, or -errno
 * (-EINVAL for a bad argument, -EMSGSIZE when a message did not fit the
 * buffer, the kernel's error for a refused request). */
int sockdiag_dump(int family, uint32_t states, unsigned flags, void *buf, size_t buflen,
                  sockdiag_cb cb, void *arg);

/* Both families, AF_INET then AF_INET6. A host without IPv6 is no error. */
int sockdiag_dump_all(uint32_t states, unsigned flags, void *buf, size_t buflen, sockdiag_cb cb,
                      void *arg);

/* "ESTABLISHED", "CLOSE_WAIT", ...; "UNKNOWN" outside 1..11. */
const char *sockdiag_state_name(int state);

#endif
