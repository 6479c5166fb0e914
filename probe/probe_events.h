/* probe_events.h - the events the BPF programs (connleak.bpf.c) send to the
 * loader through the ring buffer, and the maps both sides share.
 *
 * Included by the BPF program (with vmlinux.h types) and by the loader (with
 * <linux/types.h>): plain fixed-size types only. Every event starts with
 * struct pev_hdr; `kind` says which struct follows. Sizes are small and
 * fixed, except the user stack, which is sent only on the events that open
 * a socket or carry a Go request. */
#ifndef CONNLEAK_PROBE_EVENTS_H
#define CONNLEAK_PROBE_EVENTS_H

#define PEV_STACK_MAX 32  /* user frames per stack */
#define PEV_ADDR_MAX  28  /* bytes of a sockaddr kept: sockaddr_in6 */
#define PEV_STR_MAX   48  /* bytes of a Go string kept (method, host, path) */
#define PEV_CAP_MAX   256 /* first bytes of a read/write kept for the HTTP tracker */

enum pev_kind {
    PEV_SOCKET = 1,   /* socket() or accept4() returned an fd */
    PEV_CONNECT,      /* connect() returned (ret 0 or -EINPROGRESS) */
    PEV_BIND,         /* bind() succeeded: local address */
    PEV_LISTEN,       /* listen() succeeded */
    PEV_CLOSE,        /* close() of a tracked socket fd */
    PEV_DUP,          /* dup/dup2/dup3/fcntl(F_DUPFD) of a tracked socket fd */
    PEV_SHUTDOWN,     /* shutdown() succeeded */
    PEV_IO,           /* first bytes of a read or write (HTTP capture) */
    PEV_FORK,         /* a traced process forked a new process */
    PEV_EXEC,         /* a traced process exec'd */
    PEV_EXIT,         /* a traced process ended (its last thread) */
    PEV_TCP,          /* a tracked TCP socket changed state */
    PEV_GO_RT,        /* net/http.(*Transport).roundTrip: the user's stack */
    PEV_GO_PCRT,      /* net/http.(*persistConn).roundTrip: request on a conn */
    PEV_GO_PUTIDLE,   /* net/http.(*Transport).tryPutIdleConn: conn back in the pool */
    PEV_GO_CLOSE,     /* net/http.(*persistConn).closeLocked: transport closes it */
    PEV_GO_BODY,      /* net/http.(*bodyEOFSignal).Read: a response body's first read */
    PEV_GO_BODYCLOSE, /* net/http.(*bodyEOFSignal).Close: the program closed a body */
    PEV_CLOSE_RANGE,  /* close_range(fd, arg) succeeded (glibc's closefrom) */
};

struct pev_hdr {
    __u32 kind;
    __u32 pid; /* tgid: the process */
    __u32 tid;
    __u32 size; /* of the whole event */
    __u64 ts;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/* The `traced` map's value: flags of a traced process. */
#define TR_ON    1u /* traced */
#define TR_FRESH 2u /* forked: the loader has not copied its fds yet (send every close) */
#define TR_WAKE  4u /* wake the loader at each new socket: it has no complete module map yet */

/* Per socket fd, in the kernel: counts kept without an event per I/O. */
struct pfd_key {
    __u32 pid;
    __s32 fd;
};
struct pfd_val {
    __u64 sk;      /* struct sock *, to match inet_sock_set_state */
    __u64 in, out; /* bytes read / written */
    __u64 last_io; /* ktime of the last successful read or write */
    __u32 capture; /* bytes of I/O events still to send (HTTP capture) */
    __u32 eof;     /* a read returned 0 */
    __u64 ino;     /* the socket's inode: which socket, where an sk address is reused */
};

/* An inet socket's local address and TCP state, read from its struct sock. */
struct pev_local {
    __u16 port; /* host order; 0 = unknown */
    __u8 state; /* TCP state (1 ESTABLISHED ... 8 CLOSE_WAIT) */
    __u8 v6;
    __u8 addr[16];
};

struct pev_socket {
    struct pev_hdr h;
    __s32 fd;
    __s32 lfd; /* accept: the listening fd; -1 for socket() */
    __u16 fam, type;
    __u32 addr_len; /* accept: the peer address, when asked for */
    __u8 addr[PEV_ADDR_MAX];
    __u64 ino;
    __u64 sk;
    struct pev_local local; /* accept: the connection's own address and state */
    __u64 top_ret;          /* *(u64 *)user RSP: the caller's return address when the
                             * syscall was made by a frameless stub (glibc's socket) */
    __u32 nstack;
    __u32 pad;
    __u64 stack[PEV_STACK_MAX];
};

struct pev_connect { /* also bind */
    struct pev_hdr h;
    __s32 fd;
    __s32 ret;
    __u32 addr_len;
    __u8 addr[PEV_ADDR_MAX];
    struct pev_local local; /* connect: the local address it was given */
};

struct pev_fd { /* listen, close, shutdown, dup */
    struct pev_hdr h;
    __s32 fd;
    __s32 arg; /* dup: the new fd; shutdown: how */
    __s32 ret;
    __u32 how;              /* dup: 0 dup, 2 dup2, 3 dup3, 4 fcntl */
    __u64 in, out, last_io; /* close: the counts of the fd */
    __u32 eof;
    __u32 pad;
};

struct pev_io {
    struct pev_hdr h;
    __s32 fd;
    __u32 dir;  /* 0 read, 1 write */
    __s64 ret;  /* bytes moved */
    __u32 ncap; /* bytes in cap */
    __u32 pad;
    __u8 cap[PEV_CAP_MAX];
};

struct pev_proc { /* fork, exec, exit */
    struct pev_hdr h;
    __u32 child; /* fork: the new process */
    __s32 code;  /* exit: exit_code as wait() would see it; fork: -1 when the
                  * child could not be followed (the traced table is full) */
};

/* exec: what the new image is, for a program that ends before the loader
 * reads /proc/PID (a Go program exec'd by a shell can be done in 20 ms). */
#define PEV_PATH_MAX 256
#define PEV_ARGS_MAX 512
struct pev_exec {
    struct pev_hdr h;
    __u32 nargs; /* bytes in args: argv, NUL-separated (cut at PEV_ARGS_MAX) */
    __u32 pad;
    char filename[PEV_PATH_MAX]; /* as given to execve (may be relative) */
    char args[PEV_ARGS_MAX];
};

struct pev_tcp { /* h.tid: the fd the socket was opened as */
    struct pev_hdr h;
    __u64 sk;
    __s32 oldstate, newstate;
};

struct pev_go {
    struct pev_hdr h;
    __u64 goid;
    __u64 obj;    /* roundTrip: *Transport; pconn events: *persistConn */
    __u64 req;    /* roundTrip: *Request */
    __u64 sp;     /* RSP at entry: with goid, de-duplicates a double-fired entry */
    __u64 br;     /* PCRT: the connection's *bufio.Reader (persistConn.br) */
    __s32 fd_tcp; /* pconn events: the fd read through conn as a *net.TCPConn */
    __s32 fd_tls; /* ... and through conn as a *tls.Conn over a *net.TCPConn */
    __u32 reused;
    __u32 nstack;
    char method[16];
    char host[PEV_STR_MAX];
    char path[PEV_STR_MAX];
    __u64 stack[PEV_STACK_MAX];
};

/* Offsets of the Go structures the uprobes read, from the binary's DWARF (or
 * a per-version table): written by the loader into the `go_offs` array map
 * before the uprobes attach. 0xffff = unknown: the field is not read. */
struct go_offsets {
    __u16 g_goid;       /* runtime.g.goid */
    __u16 pc_conn;      /* net/http.persistConn.conn (net.Conn interface) */
    __u16 pc_reused;    /* net/http.persistConn.reused */
    __u16 tcpconn_fd;   /* net.TCPConn -> conn.fd (*netFD) */
    __u16 netfd_sysfd;  /* netFD.pfd (poll.FD) + poll.FD.Sysfd */
    __u16 tlsconn_conn; /* crypto/tls.Conn.conn (net.Conn interface) */
    __u16 req_method;   /* net/http.Request.Method (string) */
    __u16 req_url;      /* net/http.Request.URL (*url.URL) */
    __u16 url_host;     /* net/url.URL.Host (string) */
    __u16 url_path;     /* net/url.URL.Path (string) */
    __u16 treq_req;     /* net/http.transportRequest.Request (*Request) */
    __u16 pc_br;        /* net/http.persistConn.br (*bufio.Reader) */
    __u16 es_body;      /* net/http.bodyEOFSignal.body (io.ReadCloser interface) */
    __u16 body_src;     /* net/http.body.src (io.Reader interface) */
    __u16 lr_r;         /* io.LimitedReader.R (io.Reader): a Content-Length body */
    __u16 chunked_r;    /* net/http/internal.chunkedReader.r (*bufio.Reader) */
};

/* A response body (net/http.bodyEOFSignal), told by its first Read and its
 * Close. br ties it to the connection it is read from (the persistConn's
 * *bufio.Reader, under the body's src: itself for a body up to the
 * connection's close, in an io.LimitedReader for a Content-Length body, in
 * a chunkedReader for a chunked one): the BPF side keeps
 * br -> the connection's fds and a count of its requests (`serial`), so a
 * body is sent once per (body, request) and an address reused for a later
 * body is seen as a new one. */
struct pev_gobody {
    struct pev_hdr h;
    __u64 goid;
    __u64 es; /* the *bodyEOFSignal: resp.Body's data pointer */
    __u64 br;
    __s32 fd_tcp, fd_tls; /* BODY: the connection's fds (as in pev_go); -1 unknown */
    __u32 serial;         /* BODY: the connection's request count when it was read */
    __u32 pad;
};

/* The go_brs map: a connection's reader -> its fds and request count. */
struct go_br_key {
    __u64 br;
    __u32 tgid, pad;
};
struct go_br_val {
    __s32 fd_tcp, fd_tls;
    __u32 serial, pad;
};

/* The go_bodies map: a body already sent -> (br, serial) it was sent with. */
struct go_body_key {
    __u64 es;
    __u32 tgid, pad;
};
struct go_body_val {
    __u64 br;
    __u32 serial, pad;
};

#endif
