/* fdtable.h - the fd -> socket record table and the socket lifecycle it
 * records: open, dup, close, inherited (fdtable.c). The record (struct
 * sock_rec) is what the hooks, the event writer, the HTTP tracker and the
 * sampler all look at; any of them may include this header. */
#ifndef CONNLEAK_FDTABLE_H
#define CONNLEAK_FDTABLE_H

#include "preload.h"

#include "jsonline.h"

enum cl_role {
    ROLE_SOCKET = 0,
    ROLE_CLIENT,
    ROLE_LISTENER,
    ROLE_ACCEPTED,
    ROLE_PAIR,
    ROLE_RECEIVED,
};
#define REC_INHERITED   0x1u
#define REC_UNREAD_SEEN 0x2u  /* sampler.c: its unread bytes were written */
#define REC_KASKED      0x4u  /* sampler.c: its peer closed or it failed: the kernel was asked */
#define REC_EOF_ASKED   0x8u  /* sampler.c: asked after an EOF read, still ESTABLISHED */
#define REC_NOCONN      0x10u /* timewait.c: not connected at its close: no TIME_WAIT */
/* sock_rec.http: 0 = no HTTP state (yet), else an index + 1 into the HTTP
 * pool (httptrack.c); REC_HTTP_NOT set = not followed as HTTP (any more). */
#define REC_HTTP_NOT 0x80000000u
/* Set with an index: the state follows the plaintext of OpenSSL calls on the
 * socket (hooks_ssl.c), the raw bytes (ciphertext) are never fed. Set with
 * REC_HTTP_NOT: a TLS socket whose plaintext is not HTTP. */
#define REC_HTTP_TLS 0x40000000u
#define REC_HTTP_IDX 0x3fffffffu

struct sock_rec {
    uint64_t sid;
    uint64_t ino;
    uint64_t opened;           /* ts of open */
    _Atomic uint64_t last_io;  /* ts of last successful I/O, 0 if none */
    _Atomic uint64_t bytes_in; /* bytes the program read */
    _Atomic uint64_t bytes_out;
    uint32_t stk;          /* opening stack id */
    _Atomic uint32_t refs; /* fds that refer to this socket */
    uint32_t next_free;    /* free list link (index + 1) */
    _Atomic uint32_t http; /* REC_HTTP_NOT, or HTTP state index + 1, 0 = none */
    uint16_t family, type;
    uint8_t role, flags, open_role;
    _Atomic uint8_t eof;       /* the program read end-of-file: the peer closed */
    uint8_t kstate;            /* TCP state the sampler last saw (TCP_*), 0 = not seen */
    _Atomic uint8_t quiet;     /* nothing written yet (agg.c): its open record is owed */
    _Atomic uint8_t passed;    /* sent to another process over SCM_RIGHTS (hooks_io.c) */
    _Atomic uint8_t read_last; /* its last successful I/O was a read (hooks_io.c) */
    uint16_t sample_mark;      /* sampler.c: counted in the current sample */
    uint16_t dump_mark;        /* fdtable_each_live's pass (2..65535), to list each socket once */
    struct cl_addr peer, local;
};
_Static_assert(sizeof(struct sock_rec) == 144, "one per tracked socket: issue 16's memory budget");

/* 16 bytes per fd number (asserted below). The socket last closed at this
 * number, for double-close reports: prev_sid keeps the low 32 bits of its
 * sid (sid_widen rebuilds the rest from the sids handed out since), and
 * prev_close its closing stack (ids <= 2^16, stacks.c) with FS_PREV (a
 * socket was closed here since the number was last reused) and FS_CLOSED
 * (that close succeeded and nothing reopened the number). */
#define FS_PREV     0x40000000u
#define FS_CLOSED   0x80000000u
#define FS_STK_MASK 0x3fffffffu
struct fd_slot {
    _Atomic uint32_t rec; /* record index + 1; 0 = not a tracked socket */
    uint32_t prev_stk;    /* opening stack of the socket last closed here */
    uint32_t prev_sid;    /* low 32 bits of its sid */
    uint32_t prev_close;  /* its closing stack id | FS_PREV | FS_CLOSED */
};
_Static_assert(sizeof(struct fd_slot) == 16, "one per fd number: issue 16's memory budget");

/* The sid whose low 32 bits are lo, given the last sid handed out: the
 * latest one with them (right unless 2^32 more sockets were opened since
 * the one wanted was closed). */
static inline uint64_t sid_widen(uint32_t lo, uint64_t last)
{
    uint64_t sid = (last & ~0xffffffffull) | lo;
    return sid > last ? sid - (1ull << 32) : sid;
}

/* What a double-close report says of the socket last closed at the fd. */
struct fd_prev {
    uint64_t prev_sid;
    uint32_t prev_stk, prev_close_stk;
};

struct fd_stats {
    _Atomic uint64_t opened, closed, lost, badclose, badclose_dropped;
};

/* The table. Read by every hooked call, just after its system call has
 * evicted much of the cache: one cache line (a miss each, apart). */
struct fd_table {
    struct fd_slot *slots; /* by fd number */
    struct sock_rec *recs; /* by record index */
    unsigned int nslots;   /* fd numbers covered */
} __attribute__((aligned(64)));
extern struct fd_table cl_fdt;
extern _Atomic unsigned int cl_fd_high; /* highest fd + 1 ever tracked */
extern _Atomic int cl_inet6_seen;       /* an AF_INET6 socket was ever tracked */
extern struct fd_stats cl_stats;

int fdtable_init(void);
static inline struct sock_rec *fdtable_get(int fd)
{
    if ((unsigned int)fd >= cl_fdt.nslots) return NULL;
    uint32_t r = atomic_load_explicit(&cl_fdt.slots[fd].rec, memory_order_acquire);
    return r ? &cl_fdt.recs[r - 1] : NULL;
}
/* Tracks a new socket fd; closes (how "implicit") whatever the table still
 * had at that number. Emits the open record. Returns NULL if untrackable. */
struct sock_rec *track_open(int fd, int fam, int type, int role, uint32_t stk,
                            const struct cl_addr *peer, uint64_t lsid);
/* Drops fd from the table (before the real close). Returns true if it was a
 * tracked socket. */
bool track_close(int fd, const char *how);
/* After a successful close of fd: remember, for double-close detection,
 * whether it had been a tracked socket. */
void track_closed_ok(int fd, bool was_tracked);
/* newfd now refers to whatever oldfd refers to (dup family). */
void track_dup(int oldfd, int newfd, const char *how);
/* close() failed with EBADF. */
void track_badclose(int fd);
void track_mark_all_inherited(uint64_t shift);
void fdtable_emit_inherited(void);
/* Calls fn once per live socket with the fds that refer to it. */
void fdtable_each_live(void (*fn)(struct sock_rec *, const int *fds, int nfds, void *), void *arg);
void fdtable_verify_live(void);

#endif
