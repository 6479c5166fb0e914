/* probe_int.h - the loader's own model of what the BPF programs report:
 * traced processes, their sockets, their stacks and modules, and the Go
 * requests in flight per goroutine. One header for the loader's files
 * (loader.c, procs.c, gohttp.c, records.c, stacks.c, modmap.c, gosyms.c),
 * none of which runs in the traced program: malloc and stdio are fine. */
#ifndef CONNLEAK_PROBE_INT_H
#define CONNLEAK_PROBE_INT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "jsonline.h"
#include "tracefile.h"
#include "http1.h"
#include "probe.h"
#include "probe_events.h"

#define INHERITED_BY_EXEC 2 /* psock.inherited: kept across an exec */

enum psock_role { PROLE_SOCKET, PROLE_CLIENT, PROLE_LISTENER, PROLE_ACCEPTED };

/* A socket of a traced process (one per socket, not per fd). */
struct psock {
    uint64_t sid;
    uint64_t sk, ino;
    int fam, type;
    enum psock_role role;
    int nfds;      /* fds that refer to it */
    int fd;        /* the first of them (for records) */
    uint32_t stk;  /* the stack that opened it (socket()/accept()) */
    uint32_t site; /* Go: the stack of the request it was dialled for */
    struct cl_addr peer, local;
    uint64_t opened, last_io, in, out; /* trace ns, bytes */
    bool eof, before_attach, pending;  /* pending: `open` not written yet */
    uint8_t inherited;                 /* 0, or from the parent (fork), or INHERITED_BY_EXEC */
    bool carried;                      /* survives the exec being handled (procs.c) */
    bool conn_pending;                 /* its `conn` record waits with the `open` */
    int conn_err;                      /* errno of that connect, 0, or -EINPROGRESS */
    uint64_t conn_ts;
    char kstate[16]; /* last TCP state seen, "" = ESTABLISHED or unknown */
    /* HTTP on the wire */
    struct http1 http;
    bool http_on, http_seen;
    /* Go's net/http */
    uint64_t transport;
    uint32_t pool;             /* serial of its Transport in the process, from 1 */
    uint32_t go_reqs, go_idle; /* requests; returns to the pool */
    bool go_busy;              /* a request's response not given back yet */
    bool go_tls;               /* its net.Conn is a *tls.Conn (HTTPS) */
    uint32_t req_stk;          /* the user's stack of its latest request */
    uint64_t body_es;          /* the body being read from it, 0 = none */
    char method[16], host[48], path[48];
};

struct pstack {     /* interned stacks of one process */
    uint64_t *hash; /* open addressing: hash of the pcs; 0 = empty */
    uint32_t *id;
    size_t cap, n;
};

struct pmod { /* a module written into the trace */
    char *path;
    uint64_t lo, hi;
    uint64_t xlo, xhi; /* its executable mapping */
    uint64_t base;     /* load bias */
    char bid[80];      /* GNU build-id, hex */
};

/* Per goroutine: the last net/http request it started (Transport.roundTrip). */
struct pgor {
    uint64_t goid;
    uint64_t sp, obj, req; /* to drop a second firing of one entry */
    uint32_t kind;         /* of its last Go event */
    uint32_t stk;
    uint64_t transport;
    uint32_t pool; /* serial of its Transport in the process, from 1 */
    char method[16], host[48], path[48];
};

/* Go response bodies the program read from and has not closed (gohttp.c). */
#define GOBODY_MAX   16384 /* bodies followed at once */
#define GOBODY_SITES 64    /* request sites their counts are kept for */
struct pgobody {
    uint64_t es;   /* the *bodyEOFSignal */
    uint16_t site; /* index in pproc.body_sites */
    bool eof;      /* its connection went back to the pool: read to the end */
};
struct pgobody_site {
    uint32_t stk; /* the user's stack of the request */
    bool tls;
    char method[16], host[48], path[48];
    uint64_t unclosed; /* read to the end and never closed */
};

/* TIME_WAIT bookkeeping (timewait.c). */
#define TW_CLOSED_RING 1024  /* recent closes of TCP sockets remembered */
#define TW_GROUPS      64    /* (peer, stack) groups counted */
#define TW_BIRTHS      65536 /* TIME_WAIT births remembered (60 s of them) */
struct ptw_closed {
    uint64_t sk;
    uint32_t stk;
    struct cl_addr peer;
};
struct ptw_group {
    struct cl_addr peer;
    uint32_t stk;
};
struct ptw_birth {
    uint64_t ktime;
    uint16_t group;
};

/* One `sample` record (sampler.c). */
#define PSAMPLE_MAX 64
struct psample_count {
    uint64_t key; /* stack id, or peer hash */
    uint32_t n;
};
struct psample {
    int fds; /* < 0: -errno */
    uint64_t nofile;
    uint32_t socks;
    struct psample_count sites[PSAMPLE_MAX], peers[PSAMPLE_MAX];
    struct cl_addr peer_addr[PSAMPLE_MAX];
    int nsites, npeers;
    uint32_t tw[TW_GROUPS], tw_total;
};

struct pproc {
    pid_t pid, ppid;
    char *exe;     /* the program it runs, NULL when not known */
    char *cmdline; /* its argv, NUL-separated (/proc/PID/cmdline) */
    size_t cmdline_len;
    FILE *f;        /* its trace, NULL before its header */
    char *path;     /* of the trace */
    uint64_t start; /* ktime of the trace's ts 0 */
    bool forked, running_at_attach, exited, go, ended;
    bool maps_complete; /* a stack was covered by the module map: TR_WAKE is off */
    struct psock **fdv; /* by fd */
    int nfdv;
    uint64_t next_sid, opened, closed;
    struct pstack stacks;
    uint32_t next_stk;
    struct pmod *mods;
    size_t nmods;
    struct pgor *gors;
    size_t ngors;
    struct ptw_closed *recent; /* TW_CLOSED_RING: the last TCP sockets it closed (lazily) */
    uint64_t nrecent;
    struct ptw_group tw_groups[TW_GROUPS];
    int ntw_groups;
    struct ptw_birth *births;  /* TW_BIRTHS, allocated at the first one */
    uint64_t nbirths, sampled; /* ktime of the last sample */
    uint64_t sample_ts;        /* trace ts of the last sample written */
    uint64_t *transports;      /* distinct *Transport seen, in order: pool = index + 1 */
    size_t ntransports;
    struct pgobody *bodies; /* GOBODY_MAX, allocated at the first body */
    size_t nbodies;
    struct pgobody_site *body_sites; /* GOBODY_SITES, with the bodies */
    int nbody_sites;
    uint64_t bodies_forgotten; /* bodies not followed: too many at once or sites */
    uint64_t go_ready;         /* trace ts from which its net/http is followed (0: not) */
    uint64_t go_late;          /* TCP sockets opened before that, never seen in a request */
    int exit_code;
};

struct probe {
    struct probe_opts o;
    struct connleak_bpf *skel;
    struct ring_buffer *rb;
    struct pproc **procs;
    size_t nprocs;
    int running;
    uint64_t lost_events;
    struct pbin *bins; /* binaries inspected */
    size_t nbins;
    uint64_t *probed; /* pid << 32 ^ inode: Go uprobes attached for that process */
    size_t nprobed;
    struct bpf_link **links;
    size_t nlinks;
};

/* loader.c: the kernel side as the other files need it */
void probe_fd_take(struct probe *p, pid_t pid, int fd, uint64_t sk, uint64_t ino,
                   struct pev_fd *into);
void probe_fd_capture_off(struct probe *p, pid_t pid, int fd);
void probe_fd_add(struct probe *p, pid_t pid, int fd, uint64_t sk, uint64_t ino);
void probe_traced_set(struct probe *p, pid_t pid, uint32_t how);
bool probe_traced_update(struct probe *p, pid_t pid, uint32_t how); /* false: it is gone */
uint64_t probe_lost(struct probe *p); /* events dropped so far (ring buffer full) */
int probe_go_attach(struct probe *p, struct pproc *pr);
void probe_go_inherit(struct probe *p, pid_t parent, pid_t child); /* a forked child's offsets */

/* procs.c: processes and their sockets */
struct pproc *proc_find(struct probe *p, pid_t pid);
struct pproc *proc_new(struct probe *p, pid_t pid, pid_t ppid);
void proc_begin_trace(struct probe *p, struct pproc *pr, uint64_t ktime, const struct pproc *parent,
                      const struct pev_exec *ex);
void proc_identity(struct pproc *pr, const struct pproc *from); /* exe and argv, read now */
void modmap_exe_fallback(struct pproc *pr); /* the executable when /proc is gone */
void proc_end_trace(struct probe *p, struct pproc *pr, uint64_t ktime, const char *why);
void proc_adopt_fds(struct probe *p, struct pproc *parent, struct pproc *child);
void proc_snapshot_fds(struct probe *p, struct pproc *pr);
struct psock *proc_sock(struct pproc *pr, int fd);
int proc_fd_reserve(struct pproc *pr, int fd); /* fdv large enough for fd; -1: no memory */
void proc_handle(struct probe *p, const struct pev_hdr *h, size_t size);
uint64_t proc_ts(const struct pproc *pr, uint64_t ktime);

/* sockets.c: one function per socket event */
void sock_on_socket(struct probe *p, struct pproc *pr, const struct pev_socket *e);
void sock_on_connect(struct probe *p, struct pproc *pr, const struct pev_connect *e);
void sock_on_fd(struct probe *p, struct pproc *pr, const struct pev_fd *e);
bool sock_on_io(struct probe *p, struct pproc *pr, const struct pev_io *e);
void sock_on_tcp(struct probe *p, struct pproc *pr, const struct pev_tcp *e);
void sock_write_open(struct pproc *pr, struct psock *s);
void sock_close_last(struct pproc *pr, struct psock *s, uint64_t ts, const char *how);

/* gohttp.c: net/http events */
void gohttp_on_event(struct probe *p, struct pproc *pr, const struct pev_go *e);
void gohttp_sock_done(struct pproc *pr, const struct psock *s); /* at its close or the end */

/* gobody.c: response bodies read to the end and never closed */
void gohttp_on_body(struct pproc *pr, const struct pev_gobody *e);
void gobody_on_idle(struct pproc *pr, struct psock *s);
void gohttp_end(struct pproc *pr, uint64_t ts); /* gobody records; frees the bodies */

/* sampler.c: `sample` records; TIME_WAIT sockets left by the program's closes */
void tw_note_close(struct pproc *pr, const struct psock *s);
void tw_on_birth(struct pproc *pr, uint64_t sk, uint64_t ktime);
void sample_take(struct pproc *pr, uint64_t ktime, bool force); /* once a second, or now */

/* records.c: trace lines */
void rec_header(struct pproc *pr);
void rec_open(struct pproc *pr, const struct psock *s, uint64_t ts);
void rec_conn(struct pproc *pr, const struct psock *s, uint64_t ts, int err);
void rec_listen(struct pproc *pr, const struct psock *s, uint64_t ts);
void rec_dup(struct pproc *pr, const struct psock *s, int fd, int nfd, const char *how,
             uint64_t ts);
void rec_shut(struct pproc *pr, const struct psock *s, int fd, int how, uint64_t ts);
void rec_close(struct pproc *pr, const struct psock *s, int fd, const char *how, bool last,
               uint64_t ts);
void rec_live(struct pproc *pr, const struct psock *s, uint64_t ts);
void rec_ktcp(struct pproc *pr, const struct psock *s, uint64_t ts);
void rec_end(struct pproc *pr, uint64_t ts, const char *why, uint64_t live);
void rec_note(struct pproc *pr, uint64_t ts, const char *what, const char *detail);
void rec_gobody(struct pproc *pr, uint64_t ts, const struct pgobody_site *site);
void rec_sample(struct pproc *pr, uint64_t ts, const struct psample *s, const struct ptw_group *g,
                int ngroups);
void rec_stk(struct pproc *pr, uint32_t id, const uint64_t *pcs, int n);
void rec_mod(struct pproc *pr, const char *path, uint64_t base, uint64_t lo, uint64_t hi,
             const char *bid);

/* stacks.c: interned stacks, written once each */
uint32_t stack_intern(struct pproc *pr, const uint64_t *pcs, int n);
void stacks_free(struct pstack *t);

/* modmap.c: the module map from /proc/PID/maps */
void modmap_refresh(struct pproc *pr);
bool modmap_covers(const struct pproc *pr, uint64_t pc);
bool modmap_is_code(const struct pproc *pr, uint64_t pc); /* in an executable mapping */
void modmap_write(struct pproc *pr, const struct pmod *m);
void modmap_free(struct pproc *pr);
int file_open_regular(const char *path); /* -1 unless a regular file */

/* gosyms.c: Go binaries: version, function offsets, struct offsets */
#define GO_TARGETS 6 /* the net/http functions probed (gosyms.c) */
struct go_target {
    const char *func;
    const char *prog; /* BPF program name */
    uint64_t offset;  /* file offset of the function's entry, 0 = not found */
};
struct go_info {
    char version[32]; /* "go1.19.8", "" if not Go */
    bool regabi;      /* Go >= 1.17: arguments in registers */
    struct go_offsets offs;
    bool offs_from_dwarf;
    struct go_target targets[GO_TARGETS];
    char why[256]; /* why the uprobes cannot be used, "" if they can */
};
bool gosyms_inspect(const char *path, struct go_info *gi);

/* A binary a traced process ran (loader.c), by device, inode and mtime. */
struct pbin {
    char *path;
    uint64_t dev, ino, mtime_ns;
    bool go;
    struct go_info gi;
};

#endif
