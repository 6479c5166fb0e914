/* connleak.h - the one internal header of libconnleak.so.
 *
 * The preload library is split by concern (libuv-style):
 *   real.c      the real libc functions behind every hook (dlsym RTLD_NEXT)
 *   config.c    CONNLEAK_* environment variables, read once
 *   (common/jsonline.c: the async-signal-safe JSON line builder, shared with
 *    the probe; common/tracefile.c: creating a trace file)
 *   fdtable.c   fd -> socket record table, record pool, socket lifecycle
 *   stacks.c    call stack capture (libunwind) and the dedup table
 *   modules.c   the module map (dl_iterate_phdr) written into the trace
 *   trace.c     the trace file: safe creation, buffer, flush, recovery
 *   events.c    one function per trace record type
 *   hooks_*.c   the interposed functions themselves
 *   lifecycle.c constructor, destructor, flusher thread, fork child
 *
 * Every hook may run in a signal handler of a multi-threaded program: no
 * malloc, no stdio, errno preserved, and a per-thread guard so that a hook
 * interrupted by a signal whose handler calls another hook passes through. */
#ifndef CONNLEAK_H
#define CONNLEAK_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <pthread.h>

#include "jsonline.h"
#include "tracefile.h"

#define CL_EXPORT   __attribute__((visibility("default")))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define CL_MAX_DEPTH     128

/* ---- config.c ---- */
struct cl_config {
    char dir[4096];      /* CONNLEAK_DIR: where traces go (default ".") */
    int depth;           /* CONNLEAK_DEPTH: frames per stack, 0 = no stacks */
    int flush_ms;        /* CONNLEAK_FLUSH_MS: periodic flush interval */
    bool close_stacks;   /* CONNLEAK_CLOSE_STACKS=1: remember the stack of each close */
    bool follow_exec;    /* CONNLEAK_FOLLOW_EXEC=1: keep LD_PRELOAD for exec'd programs */
    bool disabled;       /* CONNLEAK_DISABLE=1: load but record nothing */
    int http;            /* CONNLEAK_HTTP: 0 off, 1 follow HTTP/1 (default), 2 also log exchanges */
    pid_t root_pid;      /* CONNLEAK_ROOT_PID: the process `connleak run` started */
    int sample_ms;       /* CONNLEAK_SAMPLE_MS: sampler period, 0 = off */
    int dump_signal;     /* CONNLEAK_DUMP_SIGNAL: writes the live set, 0 = off */
    long detail_sockets; /* CONNLEAK_DETAIL_SOCKETS: written one by one, -1 = all */
    bool tw_exact;       /* CONNLEAK_TW_EXACT (default 1): local port at close, for TIME_WAIT */
};
extern struct cl_config cl_cfg;
void config_load(void);
void config_strip_preload(void);
bool config_exe_is_launcher(void);

/* ---- real.c ---- */
struct msghdr;
struct mmsghdr;
struct cl_real {
    int (*socket)(int, int, int);
    int (*socketpair)(int, int, int, int[2]);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*listen)(int, int);
    int (*shutdown)(int, int);
    int (*close)(int);
    int (*close_range)(unsigned int, unsigned int, int);
    void (*closefrom)(int);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*fcntl)(int, int, ...);
    int (*fcntl64)(int, int, ...);
    int (*fclose)(FILE *);
    pid_t (*fork)(void);
    pid_t (*_Fork)(void);
    int (*pipe2)(int[2], int);
    int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    int (*unshare)(int);
    int (*setns)(int, int);
    void (*_exit)(int) __attribute__((noreturn));
    void (*_Exit)(int) __attribute__((noreturn));
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
    ssize_t (*readv)(int, const struct iovec *, int);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*read_chk)(int, void *, size_t, size_t);
    ssize_t (*recv_chk)(int, void *, size_t, size_t, int);
    ssize_t (*recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
};
extern struct cl_real cl_real;
extern void *cl_real_vfork; /* used by the vfork trampoline (hooks_process.c) */
extern _Atomic int cl_real_ready;
void real_resolve(void);
/* name from the next object, or from a loaded lib_prefix* module (RTLD_LOCAL). */
void *real_lookup(const char *name, const char *lib_prefix);
#define REAL(fn) (likely(cl_real_ready) ? (void)0 : real_resolve(), cl_real.fn)

/* ---- state and the per-thread guard ---- */
enum { CL_OFF = 0, CL_ON = 1 };
extern _Atomic int cl_state; /* CL_ON once the constructor has run */
extern pid_t cl_pid;         /* pid of the process the tables belong to */
extern __thread int cl_in_hook __attribute__((tls_model("initial-exec")));

/* Enter a hook that records: false means "pass through untouched" (not
 * initialised, disabled, or re-entered from a signal handler / from inside
 * connleak on this thread). */
static inline bool hook_enter(void)
{
    if (atomic_load_explicit(&cl_state, memory_order_acquire) != CL_ON || cl_in_hook) return false;
    cl_in_hook = 1;
    return true;
}
static inline void hook_leave(void)
{
    cl_in_hook = 0;
}
/* True in a vfork()ed child, which shares our memory with its parent: such a
 * child must never touch the tables. */
bool hook_in_vfork_child(void);
extern __thread int cl_vfork_flag __attribute__((tls_model("initial-exec")));

/* hook_enter, and not in a vfork child: the guard is held when it returns
 * true (release with hook_leave). */
static inline bool hook_enter_recording(void)
{
    if (!hook_enter()) return false;
    if (hook_in_vfork_child()) {
        hook_leave();
        return false;
    }
    return true;
}

uint64_t clock_now_ns(void);             /* CLOCK_MONOTONIC */
uint64_t clock_since_start(void);        /* ns since this process's trace start */
uint64_t clock_coarse_since_start(void); /* the same, coarse and cheaper */
extern uint64_t cl_start_ns;

/* ---- a small spinlock usable where a mutex would not be ---- */
typedef struct {
    atomic_flag f;
} cl_lock_t;
#define CL_LOCK_INIT                                                                               \
    {                                                                                              \
        ATOMIC_FLAG_INIT                                                                           \
    }
void lock_take(cl_lock_t *l);
static inline void lock_give(cl_lock_t *l)
{
    atomic_flag_clear_explicit(&l->f, memory_order_release);
}

/* ---- common/jsonline.c: the line builder and addresses (jsonline.h) ---- */

/* ---- fdtable.c ---- */
enum cl_role {
    ROLE_SOCKET = 0,
    ROLE_CLIENT,
    ROLE_LISTENER,
    ROLE_ACCEPTED,
    ROLE_PAIR,
    ROLE_RECEIVED,
};
#define REC_INHERITED   0x1u
#define REC_UNREAD_SEEN 0x2u /* sampler.c: its unread bytes were written */
#define REC_KASKED      0x4u /* sampler.c: its peer closed or it failed: the kernel was asked */
#define REC_EOF_ASKED   0x8u /* sampler.c: asked after an EOF read, still ESTABLISHED */
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
    uint32_t dump_mark;    /* dump generation, to list each socket once */
    _Atomic uint32_t http; /* REC_HTTP_NOT, or HTTP state index + 1, 0 = none */
    uint16_t family, type;
    uint8_t role, flags, open_role;
    _Atomic uint8_t eof;   /* the program read end-of-file: the peer closed */
    uint8_t kstate;        /* TCP state the sampler last saw (TCP_*), 0 = not seen */
    _Atomic uint8_t quiet; /* nothing written yet (agg.c): its open record is owed */
    uint16_t sample_mark;  /* sampler.c: counted in the current sample */
    struct cl_addr peer, local;
};

struct fd_slot {
    _Atomic uint32_t rec; /* record index + 1; 0 = not a tracked socket */
    uint32_t prev_stk;    /* opening stack of the socket last closed here */
    uint64_t prev_sid;    /* its sid; 0 = no socket closed here since */
    uint32_t prev_close_stk;
    uint32_t closed; /* 1: we saw this fd closed and nothing reopened it */
};

struct fd_stats {
    _Atomic uint64_t opened, closed, lost, badclose, badclose_dropped;
};

/* A pool of fixed-size elements mapped once, with a lock-free free list
 * (a tagged stack): used for socket records and HTTP states. Each element
 * holds its free-list link, a uint32_t at link_off. */
struct cl_pool {
    char *base;
    size_t elem, link_off;
    uint32_t cap;
    _Atomic uint64_t free_head; /* tag << 32 | (index + 1) */
    _Atomic uint32_t used;      /* elements ever handed out (bump) */
};
int pool_init(struct cl_pool *p, size_t elem, size_t link_off, uint32_t cap);
void *pool_alloc(struct cl_pool *p); /* NULL when full; not zeroed */
void pool_free(struct cl_pool *p, void *e);
static inline uint32_t pool_index(const struct cl_pool *p, const void *e) /* index + 1 */
{
    return (uint32_t)(((const char *)e - p->base) / p->elem) + 1;
}
static inline void *pool_at(const struct cl_pool *p, uint32_t idx) /* idx = index + 1 */
{
    return p->base + (size_t)(idx - 1) * p->elem;
}

extern struct fd_slot *cl_slots;
extern struct sock_rec *cl_recs;
extern unsigned int cl_nslots;
extern _Atomic unsigned int cl_fd_high; /* highest fd + 1 ever tracked */
extern _Atomic int cl_inet6_seen;       /* an AF_INET6 socket was ever tracked */
extern struct fd_stats cl_stats;

int fdtable_init(void);
static inline struct sock_rec *fdtable_get(int fd)
{
    if ((unsigned int)fd >= cl_nslots) return NULL;
    uint32_t r = atomic_load_explicit(&cl_slots[fd].rec, memory_order_acquire);
    return r ? &cl_recs[r - 1] : NULL;
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

/* ---- httptrack.c: HTTP/1.x exchanges of client sockets (http1.h) ---- */
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
const struct http1 *http_state_of(const struct sock_rec *r); /* NULL: none */

/* ---- handles.c: libcurl handles and SSL objects ---- */
enum { HANDLE_CURL = 0, HANDLE_CURLM, HANDLE_SSL };
struct handle {
    _Atomic uintptr_t key; /* the object's address; 0 free, 1 gone, 2 busy */
    uint32_t id;           /* serial, the `h` of hnew / huse / hfree */
    uint8_t kind;          /* HANDLE_* */
    int32_t fd;            /* SSL: the socket it uses, -1 if not known */
    uint64_t sid;          /* that socket's sid */
    uint64_t used;         /* curl: hash of the last huse written (sid, URL) */
};
struct handle *handle_new(const void *p, int kind, uint32_t stk); /* writes hnew */
struct handle *handle_find(const void *p);
void handle_free(const void *p); /* writes hfree */
void handle_set_socket(struct handle *h, int fd);
int handle_socket(const struct handle *h);
void url_redact(const char *url, char *out, size_t cap);
extern _Atomic uint64_t cl_handles_dropped;

/* ---- stacks.c ---- */
int stacks_init(void);
uint32_t stack_capture(void); /* id of the caller's stack, emitted once; 0 if none */
/* libunwind keeps a pipe of its own (memory validation). It is created
 * through our pipe2 hook while this is set, moved to high fd numbers, and
 * kept out of the program's reach like the trace fd. */
extern __thread int cl_in_unwind __attribute__((tls_model("initial-exec")));
extern int cl_unwind_fds[2];
bool stacks_fd_reserved(int fd);
void stacks_fds_created(void);
void stacks_check_fds(void);
void stacks_fd_taken(int fd);         /* the program dup2'ed over one: stop unwinding */
extern _Atomic uint32_t cl_trace_gen; /* bumped per trace file (fork child) */
void stacks_after_fork_child(void);
void stack_emit_id(uint32_t id);
void stacks_warm_thread(void);
extern cl_lock_t cl_stack_lock;

/* ---- modules.c ---- */
void modules_init(void);
void modules_emit_all_locked(void);
void modules_refresh_locked(void); /* emit modules loaded since (dlopen) */
bool modules_self_contains(uintptr_t pc);
void modules_self_set(uintptr_t lo, uintptr_t hi);

/* ---- trace.c ---- */
extern cl_lock_t cl_trace_lock;
extern int cl_trace_fd;
int trace_create(bool forked);
void trace_append_locked(const char *s, size_t n);
void trace_line(struct jb *b); /* append b + '\n' under the lock */
bool trace_line_claimed(struct jb *b, _Atomic uint8_t *claim);
void trace_flush(void);
void trace_flush_locked(void);
bool trace_fd_is(int fd);
int trace_fd_place_high(int fd); /* dup to a number near the top, close-on-exec */
void trace_fd_moving(unsigned int first, unsigned int last); /* before a close_range/dup2 over it */
void trace_after_fork_child(void);
bool trace_is_open(void);
void trace_publish(void);
void trace_open_lock_take(void);
void trace_open_lock_give(void);
bool trace_ensure_open(void);    /* lazy open: fork children, launchers */
void trace_report_failure(void); /* one line on stderr: no trace for this process */
extern bool cl_forked;           /* this process is a fork child */

/* ---- events.c ---- */
void ev_header(struct jb *b, bool forked);
void ev_open(const struct sock_rec *r, int fd, uint64_t lsid, bool inherited);
void ev_conn(const struct sock_rec *r, int fd, int err, const struct sockaddr *sa, socklen_t len);
void ev_listen(const struct sock_rec *r, int fd);
void ev_dup(const struct sock_rec *r, int fd, int nfd, const char *how);
void ev_shut(const struct sock_rec *r, int fd, int how);
void ev_close(const struct sock_rec *r, int fd, const char *how, bool last);
void ev_badclose(int fd, const char *kind, uint32_t stk, const struct fd_slot *prev);
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
void ev_http_req(const struct sock_rec *r, int fd, const struct http1 *h);
void ev_http_resp(const struct sock_rec *r, const struct http1 *h, const struct http1_events *ev);
void ev_http_done(const struct sock_rec *r, const struct http1 *h, const struct http1_events *ev);

/* ---- sampler.c: the kernel's view, every CONNLEAK_SAMPLE_MS ---- */
#define TW_MAX 16 /* TIME_WAIT groups (peer, site) per sample */
/* A count per key (a stack, a peer, or both), for the few largest. */
struct count {
    uint64_t key;
    uint32_t n, stk;
    struct cl_addr peer;
};
struct count *count_add(struct count *c, unsigned int *n, unsigned int cap, uint64_t key);
void counts_sort(struct count *c, unsigned int n); /* largest first */
int sampler_init(void);
void sampler_tick(void); /* flusher thread */
void sampler_after_fork_child(void);
struct sample_counts {
    int fds;         /* open fds, or -errno */
    bool fds_exact;  /* counted in this sample (else estimated from the last count) */
    bool kernel;     /* the kernel's TCP states were read in this sample */
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
};
void ev_sample(const struct sample_counts *c);
void ev_ktcp(const struct sock_rec *r, uint64_t sid, const char *state, uint32_t rqueue);

/* ---- timewait.c: connections closed first, matched to TIME_WAIT sockets ---- */
int tw_init(void);
void tw_note_close(const struct sock_rec *r, int fd); /* close path; fd -1: not open */
bool tw_age(uint64_t now, bool *first);               /* flusher: TIME_WAIT worth asking */
void tw_walk_begin(void);
void tw_walk_sock(int family, const uint8_t *dst, uint16_t dport, uint16_t sport);
uint32_t tw_walk_end(struct sample_counts *out);
void tw_after_fork_child(void);

/* ---- dump.c: the live set on CONNLEAK_DUMP_SIGNAL ---- */
void dump_install(void);
void dump_if_wanted(void); /* flusher thread */

/* ---- agg.c: per-site counters once CONNLEAK_DETAIL_SOCKETS are written ---- */
struct agg_counts {
    uint64_t key; /* stk << 32 ^ peer hash; 0 = free */
    uint32_t stk;
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
void agg_note_close(const struct sock_rec *r, const struct http1 *h);
void agg_flush(void); /* flusher thread */
void agg_after_fork_child(void);
void ev_agg(const struct agg_counts *c);

/* ---- lifecycle.c ---- */
void flusher_wake(void); /* async-signal-safe */
void live_promote_one(struct sock_rec *r, const int *fds, int nfds, void *arg);
void ssl_after_fork_child(void) __attribute__((weak)); /* hooks_ssl.c */
void lifecycle_finish(const char *why);
void lifecycle_fork_prepare(void);
void lifecycle_fork_parent(void);
void lifecycle_fork_child(void);
void flusher_start(void);
bool flusher_pause(void);

/* ---- hooks_io.c ---- */
struct sock_rec *io_count(int fd, ssize_t n, bool in);
/* Set to SSL_PROBE_WANT around a real OpenSSL call whose socket is not
 * known: the first tracked socket the call reads or writes stores its fd. */
#define SSL_PROBE_WANT (-2)
extern __thread int cl_ssl_probe_fd __attribute__((tls_model("initial-exec")));

#endif
