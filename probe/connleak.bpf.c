// SPDX-License-Identifier: GPL-2.0
/* connleak.bpf.c - the kernel side of the probe backend.
 *
 * Follows the sockets of a traced process tree (the `traced` map, filled by
 * the loader and by fork) through syscall tracepoints, their TCP states
 * through sock:inet_sock_set_state, processes through sched fork/exit, and
 * Go's net/http client through entry uprobes. Everything is filtered here,
 * by tgid, so that other processes pay one hash lookup per traced syscall.
 * Byte counts stay in the `fds` map (no event per read or write); only the
 * first bytes of a socket's I/O are sent while the loader asks for them
 * (`capture`), for the HTTP tracker. Events go to user space through one
 * ring buffer, in the order they happened, most without a wake-up (the
 * loader drains it every 100 ms); fork, exec, exit and a new image's first
 * sockets force one: the default (adaptive) wake-up is skipped whenever
 * earlier events are still unread, which is nearly always.
 *
 * Over 600 lines on purpose: it is one BPF object (one skeleton, one set of
 * maps every program shares), and clang compiles one object from one file;
 * the sections below (socket calls, fd calls, I/O, processes, TCP states,
 * Go) are the concerns, each a screen or two. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "probe_events.h"

char LICENSE[] SEC("license") = "GPL";

#define EINPROGRESS     115
#define F_DUPFD         0
#define F_DUPFD_CLOEXEC 1030
#define TCP_CLOSE_STATE 7

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32);   /* tgid */
    __type(value, __u32); /* TR_* flags */
} traced SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __type(key, struct pfd_key);
    __type(value, struct pfd_val);
} fds SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 262144);
    __type(key, __u64);   /* struct sock * */
    __type(value, __u64); /* tgid << 32 | the fd it was opened as */
} socks SEC(".maps");

/* A syscall's arguments, from its sys_enter to its sys_exit. */
struct inflight {
    __u64 a[4];
    __u32 nr;
    __u32 pad;
};
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH); /* a thread that never returns leaves no debris */
    __uint(max_entries, 16384);
    __type(key, __u32); /* tid */
    __type(value, struct inflight);
} args SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32); /* tgid of a Go program */
    __type(value, struct go_offsets);
} go_offs SEC(".maps");

/* Go: a connection's *bufio.Reader -> its fds and request count, and the
 * response bodies already sent (probe_events.h). LRU: a connection or body
 * long forgotten makes room; a body then read again is sent again, which
 * the loader takes as the same body. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct go_br_key);
    __type(value, struct go_br_val);
} go_brs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct go_body_key);
    __type(value, struct go_body_val);
} go_bodies SEC(".maps");

/* Events that found the ring buffer full: the loader says so in the traces. */
__u64 dropped = 0;
/* Sockets the fds table had no room for (their closes cannot be followed):
 * reported like dropped events. */
__u64 map_full = 0;

/* Scratch space for the large events (the BPF stack is 512 bytes). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pev_go);
} scratch_go SEC(".maps");

/* Set by the loader: capture this many bytes of a new socket's I/O. */
const volatile __u32 capture_bytes = 0;

enum sysnr {
    NR_SOCKET = 1,
    NR_ACCEPT,
    NR_CONNECT,
    NR_BIND,
    NR_LISTEN,
    NR_CLOSE,
    NR_DUP,
    NR_SHUTDOWN,
    NR_READ,
    NR_WRITE,
    NR_READV,
    NR_WRITEV,
    NR_RECVMSG,
    NR_SENDMSG,
};

static __always_inline void *ev_reserve(__u64 size)
{
    void *e = bpf_ringbuf_reserve(&events, size, 0);
    if (!e) __sync_fetch_and_add(&dropped, 1);
    return e;
}

static __always_inline __u32 tgid_now(void)
{
    return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline bool is_traced(__u32 tgid)
{
    return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

static __always_inline void hdr_fill(struct pev_hdr *h, __u32 kind, __u32 size)
{
    __u64 id = bpf_get_current_pid_tgid();
    h->kind = kind;
    h->pid = id >> 32;
    h->tid = (__u32)id;
    h->size = size;
    h->ts = bpf_ktime_get_ns();
}

/* Remembers a syscall's arguments until its exit. */
static __always_inline int enter_save(__u32 nr, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
    struct inflight in = {.a = {a0, a1, a2, a3}, .nr = nr};
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    bpf_map_update_elem(&args, &tid, &in, BPF_ANY);
    return 0;
}

static __always_inline bool enter_take(__u32 nr, struct inflight *out)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct inflight *in = bpf_map_lookup_elem(&args, &tid);
    if (!in) return false;
    bool ok = in->nr == nr;
    if (ok) *out = *in;
    bpf_map_delete_elem(&args, &tid);
    return ok;
}

/* A syscall's arguments at its exit, from the registers it was entered
 * with (x86_64: rdi, rsi, rdx, r10; the kernel leaves them in pt_regs).
 * This spares the busy calls a sys_enter tracepoint and a map update each:
 * only the calls that need the state before the call (close, dup, listen,
 * shutdown) have one. */
static __always_inline void exit_args(__u32 nr, struct inflight *in)
{
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    in->a[0] = BPF_CORE_READ(regs, di);
    in->a[1] = BPF_CORE_READ(regs, si);
    in->a[2] = BPF_CORE_READ(regs, dx);
    in->a[3] = BPF_CORE_READ(regs, r10);
    in->nr = nr;
}

static __always_inline struct pfd_val *fd_lookup(__u32 tgid, int fd)
{
    struct pfd_key k = {.pid = tgid, .fd = fd};
    return bpf_map_lookup_elem(&fds, &k);
}

/* The struct file behind fd in the current process. */
static __always_inline struct file *fd_file(int fd)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct file **arr = BPF_CORE_READ(t, files, fdt, fd);
    unsigned int max = BPF_CORE_READ(t, files, fdt, max_fds);
    struct file *f = NULL;
    if (fd < 0 || (unsigned int)fd >= max) return NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
    return f;
}

static __always_inline void sock_learn(int fd, __u64 *sk_out, __u64 *ino_out)
{
    struct file *f = fd_file(fd);
    if (!f) return;
    struct socket *so = BPF_CORE_READ(f, private_data);
    *sk_out = (__u64)BPF_CORE_READ(so, sk);
    *ino_out = BPF_CORE_READ(f, f_inode, i_ino);
}

static __always_inline void local_read(__u64 skp, struct pev_local *l)
{
    struct sock *sk = (struct sock *)skp;
    if (!sk) return;
    __u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
    l->port = BPF_CORE_READ(sk, __sk_common.skc_num);
    l->state = BPF_CORE_READ(sk, __sk_common.skc_state);
    l->v6 = fam == 10;
    if (fam == 2) {
        __u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
        __builtin_memcpy(l->addr, &a, 4);
    } else if (fam == 10) {
        BPF_CORE_READ_INTO(&l->addr, sk, __sk_common.skc_v6_rcv_saddr);
    }
}

/* The user stack by its frame-pointer chain, as bpf_get_stack would walk
 * it, but reading a frame only where one can be: above the stack pointer,
 * within 8 MiB of it, each above the last. A program built without frame
 * pointers (most C at -O2) keeps anything in RBP; bpf_get_stack reads it
 * as a frame and takes a page fault, which costs about 6 us a socket here
 * (a Firecracker VM), five times the rest of the program. Its stacks were
 * garbage past the first frame anyway. */
#define STACK_SPAN (8u << 20)
static __always_inline __u32 stack_user(__u64 *buf)
{
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    __u64 sp = BPF_CORE_READ(regs, sp), bp = BPF_CORE_READ(regs, bp);
    buf[0] = BPF_CORE_READ(regs, ip);
    __u32 n = 1;
    for (int i = 1; i < PEV_STACK_MAX; i++) {
        __u64 fr[2];
        if (bp < sp || bp - sp >= STACK_SPAN || (bp & 7)) break;
        if (bpf_probe_read_user(fr, sizeof(fr), (void *)bp) || !fr[1]) break;
        buf[i] = fr[1];
        n = i + 1;
        if (fr[0] <= bp) break;
        bp = fr[0];
    }
    return n;
}

/* A new socket fd: into the fd map, the sock map, and one event. */
static __always_inline void socket_new(void *ctx, __u32 tgid, int fd, int lfd, __u16 fam,
                                       __u16 type, __u64 uaddr, __u64 ulen)
{
    struct pev_socket *e = ev_reserve(sizeof(*e));
    if (!e) return;
    hdr_fill(&e->h, PEV_SOCKET, sizeof(*e));
    e->fd = fd;
    e->lfd = lfd;
    e->fam = fam;
    e->type = type;
    e->addr_len = 0;
    e->sk = 0;
    e->ino = 0;
    sock_learn(fd, &e->sk, &e->ino);
    if (uaddr && ulen) {
        __u32 len = 0;
        bpf_probe_read_user(&len, sizeof(len), (void *)ulen);
        if (len > PEV_ADDR_MAX) len = PEV_ADDR_MAX;
        len &= 31;
        if (len && bpf_probe_read_user(e->addr, len, (void *)uaddr) == 0) e->addr_len = len;
    }
    __builtin_memset(&e->local, 0, sizeof(e->local));
    if (!fam && e->sk) { /* accept: the family from the socket itself */
        struct sock *sk = (struct sock *)e->sk;
        e->fam = BPF_CORE_READ(sk, __sk_common.skc_family);
        e->type = BPF_CORE_READ(sk, sk_type);
        local_read(e->sk, &e->local);
    }
    e->nstack = stack_user(e->stack);
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    __u64 usp = BPF_CORE_READ(regs, sp);
    e->top_ret = 0;
    bpf_probe_read_user(&e->top_ret, sizeof(e->top_ret), (void *)usp);
    __u64 sk = e->sk, ino = e->ino;
    __u32 *t = bpf_map_lookup_elem(&traced, &tgid);
    bpf_ringbuf_submit(e, t && (*t & TR_WAKE) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);

    struct pfd_key k = {.pid = tgid, .fd = fd};
    struct pfd_val v = {.sk = sk, .capture = capture_bytes, .ino = ino};
    if (bpf_map_update_elem(&fds, &k, &v, BPF_ANY)) __sync_fetch_and_add(&map_full, 1);
    __u64 owner = (__u64)tgid << 32 | (__u32)fd;
    if (v.sk) bpf_map_update_elem(&socks, &v.sk, &owner, BPF_ANY);
}

/* ---- socket, accept ---- */

SEC("tracepoint/syscalls/sys_exit_socket")
int exit_socket(struct trace_event_raw_sys_exit *ctx)
{
    struct inflight in;
    __u32 tgid = tgid_now();
    if (ctx->ret < 0 || !is_traced(tgid)) return 0;
    exit_args(NR_SOCKET, &in);
    socket_new(ctx, tgid, ctx->ret, -1, in.a[0], in.a[1] & 0xff, 0, 0);
    return 0;
}

static __always_inline int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
    struct inflight in;
    __u32 tgid = tgid_now();
    if (ctx->ret < 0 || !is_traced(tgid)) return 0;
    exit_args(NR_ACCEPT, &in);
    socket_new(ctx, tgid, ctx->ret, in.a[0], 0, 0, in.a[1], in.a[2]);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
    return accept_exit(ctx);
}
SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
    return accept_exit(ctx);
}

/* ---- connect, bind ---- */

static __always_inline int addr_exit(struct trace_event_raw_sys_exit *ctx, __u32 nr, __u32 kind)
{
    struct inflight in;
    __u32 tgid = tgid_now();
    if (ctx->ret < 0 && !(kind == PEV_CONNECT)) return 0;
    if (ctx->ret <= -512) return 0; /* ERESTARTSYS & co: the call is restarted, not failed */
    if (!is_traced(tgid)) return 0;
    exit_args(nr, &in);
    struct pfd_val *v = fd_lookup(tgid, in.a[0]);
    if (!v) return 0;
    struct pev_connect *e = ev_reserve(sizeof(*e));
    if (!e) return 0;
    hdr_fill(&e->h, kind, sizeof(*e));
    e->fd = in.a[0];
    e->ret = ctx->ret;
    __u32 len = in.a[2] > PEV_ADDR_MAX ? PEV_ADDR_MAX : (__u32)in.a[2];
    len &= 31;
    e->addr_len = len && bpf_probe_read_user(e->addr, len, (void *)in.a[1]) == 0 ? len : 0;
    __builtin_memset(&e->local, 0, sizeof(e->local));
    if (kind == PEV_CONNECT) local_read(v->sk, &e->local);
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
    return addr_exit(ctx, NR_CONNECT, PEV_CONNECT);
}
SEC("tracepoint/syscalls/sys_exit_bind")
int exit_bind(struct trace_event_raw_sys_exit *ctx)
{
    return addr_exit(ctx, NR_BIND, PEV_BIND);
}

/* ---- listen, shutdown, close, dup ---- */

static __always_inline void fd_event(__u32 kind, int fd, int arg, int ret, __u32 how,
                                     struct pfd_val *v)
{
    struct pev_fd *e = ev_reserve(sizeof(*e));
    if (!e) return;
    hdr_fill(&e->h, kind, sizeof(*e));
    e->fd = fd;
    e->arg = arg;
    e->ret = ret;
    e->how = how;
    e->in = v ? v->in : 0;
    e->out = v ? v->out : 0;
    e->last_io = v ? v->last_io : 0;
    e->eof = v ? v->eof : 0;
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* listen and shutdown take two arguments: their tracepoints hold no more
 * (reading past them is refused at attach time). */
static __always_inline int fd_enter(struct trace_event_raw_sys_enter *ctx, __u32 nr)
{
    __u32 tgid = tgid_now();
    if (!is_traced(tgid) || !fd_lookup(tgid, ctx->args[0])) return 0;
    return enter_save(nr, ctx->args[0], ctx->args[1], 0, 0);
}

SEC("tracepoint/syscalls/sys_enter_listen")
int enter_listen(struct trace_event_raw_sys_enter *ctx)
{
    return fd_enter(ctx, NR_LISTEN);
}
SEC("tracepoint/syscalls/sys_exit_listen")
int exit_listen(struct trace_event_raw_sys_exit *ctx)
{
    struct inflight in;
    if (enter_take(NR_LISTEN, &in) && ctx->ret == 0) fd_event(PEV_LISTEN, in.a[0], 0, 0, 0, NULL);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_shutdown")
int enter_shutdown(struct trace_event_raw_sys_enter *ctx)
{
    return fd_enter(ctx, NR_SHUTDOWN);
}
SEC("tracepoint/syscalls/sys_exit_shutdown")
int exit_shutdown(struct trace_event_raw_sys_exit *ctx)
{
    struct inflight in;
    if (enter_take(NR_SHUTDOWN, &in) && ctx->ret == 0)
        fd_event(PEV_SHUTDOWN, in.a[0], in.a[1], 0, 0, NULL);
    return 0;
}

/* close: the fd is forgotten at entry (a racing thread may get the number
 * back before the exit), with its counts in the event. A forked child whose
 * fds the loader has not copied yet sends every close. */
SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
    __u32 tgid = tgid_now();
    __u32 *t = bpf_map_lookup_elem(&traced, &tgid);
    if (!t) return 0;
    struct pfd_key k = {.pid = tgid, .fd = ctx->args[0]};
    struct pfd_val *v = bpf_map_lookup_elem(&fds, &k);
    if (!v && !(*t & TR_FRESH)) return 0;
    fd_event(PEV_CLOSE, k.fd, 0, 0, 0, v);
    if (v) bpf_map_delete_elem(&fds, &k);
    return 0;
}

/* close_range(first, last, flags), as glibc's closefrom() and daemons call
 * it: one event with the range; the loader closes its sockets in it and
 * takes their kernel entries. Sent at entry, as close is: at the exit a
 * racing thread may already have a freed number back. It fails only for
 * first > last or unknown flags, left out here. CLOSE_RANGE_CLOEXEC (4)
 * closes nothing now. */
SEC("tracepoint/syscalls/sys_enter_close_range")
int enter_close_range(struct trace_event_raw_sys_enter *ctx)
{
    __u32 tgid = tgid_now();
    if (!is_traced(tgid)) return 0;
    __u32 first = (__u32)ctx->args[0], last = (__u32)ctx->args[1];
    __u64 flags = ctx->args[2];
    if ((flags & 4) || (flags & ~6ull) || first > last || first > 0x7fffffff) return 0;
    fd_event(PEV_CLOSE_RANGE, (int)first, last > 0x7fffffff ? 0x7fffffff : (int)last, 0, 0, NULL);
    return 0;
}

/* dup takes one argument, dup2 and fcntl two, dup3 three. */
static __always_inline int dup_enter(__u64 oldfd, __u64 arg, __u32 how)
{
    __u32 tgid = tgid_now();
    if (!is_traced(tgid)) return 0;
    if (how == 4 && arg != F_DUPFD && arg != F_DUPFD_CLOEXEC) return 0;
    __u64 src = 0, dst = 0;
    if (fd_lookup(tgid, oldfd)) src = 1;
    asm volatile("" : "+r"(src));
    if ((how == 2 || how == 3) && fd_lookup(tgid, arg)) dst = 1;
    asm volatile("" : "+r"(dst));
    if (!src && !dst) return 0;
    return enter_save(NR_DUP, oldfd, arg, how, src);
}

static __always_inline int dup_exit(struct trace_event_raw_sys_exit *ctx)
{
    struct inflight in;
    __u32 tgid = tgid_now();
    if (!enter_take(NR_DUP, &in) || ctx->ret < 0) return 0;
    int oldfd = in.a[0], newfd = ctx->ret;
    if (oldfd == newfd) return 0; /* dup2(fd, fd) */
    struct pfd_key nk = {.pid = tgid, .fd = newfd};
    struct pfd_val *old = bpf_map_lookup_elem(&fds, &nk);
    if (old) /* dup2 over a tracked socket: its implicit close */
        fd_event(PEV_CLOSE, newfd, 0, 0, 2, old);
    if (in.a[3]) {
        struct pfd_val *src = fd_lookup(tgid, oldfd);
        struct pfd_val v = {.sk = src ? src->sk : 0, .ino = src ? src->ino : 0};
        bpf_map_update_elem(&fds, &nk, &v, BPF_ANY);
        fd_event(PEV_DUP, oldfd, newfd, 0, in.a[2], NULL);
    } else if (old) {
        bpf_map_delete_elem(&fds, &nk);
    }
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_dup")
int enter_dup(struct trace_event_raw_sys_enter *ctx)
{
    return dup_enter(ctx->args[0], 0, 0);
}
SEC("tracepoint/syscalls/sys_exit_dup")
int exit_dup(struct trace_event_raw_sys_exit *ctx)
{
    return dup_exit(ctx);
}
SEC("tracepoint/syscalls/sys_enter_dup2")
int enter_dup2(struct trace_event_raw_sys_enter *ctx)
{
    return dup_enter(ctx->args[0], ctx->args[1], 2);
}
SEC("tracepoint/syscalls/sys_exit_dup2")
int exit_dup2(struct trace_event_raw_sys_exit *ctx)
{
    return dup_exit(ctx);
}
SEC("tracepoint/syscalls/sys_enter_dup3")
int enter_dup3(struct trace_event_raw_sys_enter *ctx)
{
    return dup_enter(ctx->args[0], ctx->args[1], 3);
}
SEC("tracepoint/syscalls/sys_exit_dup3")
int exit_dup3(struct trace_event_raw_sys_exit *ctx)
{
    return dup_exit(ctx);
}
SEC("tracepoint/syscalls/sys_enter_fcntl")
int enter_fcntl(struct trace_event_raw_sys_enter *ctx)
{
    return dup_enter(ctx->args[0], ctx->args[1], 4);
}
SEC("tracepoint/syscalls/sys_exit_fcntl")
int exit_fcntl(struct trace_event_raw_sys_exit *ctx)
{
    return dup_exit(ctx);
}

/* ---- read and write families: counts in the map, first bytes as events ---- */

/* The user buffer that holds the first bytes moved. */
static __always_inline __u64 io_first_buf(struct inflight *in)
{
    __u64 base = in->a[1];
    if (in->nr == NR_RECVMSG || in->nr == NR_SENDMSG) /* struct msghdr: msg_iov at 16 */
        bpf_probe_read_user(&base, sizeof(base), (void *)(in->a[1] + 16));
    if (in->nr == NR_READV || in->nr == NR_WRITEV || in->nr == NR_RECVMSG || in->nr == NR_SENDMSG) {
        __u64 iov0 = 0; /* struct iovec: iov_base at 0 */
        bpf_probe_read_user(&iov0, sizeof(iov0), (void *)base);
        base = iov0;
    }
    return base;
}

static __always_inline int io_exit(struct trace_event_raw_sys_exit *ctx, __u32 nr, __u32 dir)
{
    struct inflight in;
    __u32 tgid = tgid_now();
    if (!is_traced(tgid)) return 0;
    exit_args(nr, &in);
    struct pfd_val *v = fd_lookup(tgid, in.a[0]);
    long ret = ctx->ret;
    if (!v || ret < 0) return 0;
    if (ret == 0) {
        if (!dir) v->eof = 1;
        return 0;
    }
    if (dir)
        v->out += ret;
    else
        v->in += ret;
    v->last_io = bpf_ktime_get_ns();
    if (!v->capture) return 0;
    struct pev_io *e = ev_reserve(sizeof(*e));
    if (!e) return 0;
    hdr_fill(&e->h, PEV_IO, sizeof(*e));
    e->fd = in.a[0];
    e->dir = dir;
    e->ret = ret;
    __u32 n = ret < PEV_CAP_MAX ? ret : PEV_CAP_MAX;
    if (n > v->capture) n = v->capture;
    n &= PEV_CAP_MAX * 2 - 1;
    if (n > PEV_CAP_MAX) n = PEV_CAP_MAX;
    e->ncap = bpf_probe_read_user(e->cap, n, (void *)io_first_buf(&in)) == 0 ? n : 0;
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    return 0;
}

#define IO_PAIR(name, nr, dir)                                                                     \
    SEC("tracepoint/syscalls/sys_exit_" #name)                                                     \
    int exit_##name(struct trace_event_raw_sys_exit *ctx)                                          \
    {                                                                                              \
        return io_exit(ctx, nr, dir);                                                              \
    }

IO_PAIR(read, NR_READ, 0)
IO_PAIR(recvfrom, NR_READ, 0)
IO_PAIR(readv, NR_READV, 0)
IO_PAIR(recvmsg, NR_RECVMSG, 0)
IO_PAIR(write, NR_WRITE, 1)
IO_PAIR(sendto, NR_WRITE, 1)
IO_PAIR(writev, NR_WRITEV, 1)
IO_PAIR(sendmsg, NR_SENDMSG, 1)

/* ---- processes ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
    __u32 ptgid = parent->tgid, ctgid = child->tgid;
    if (ptgid == ctgid || !is_traced(ptgid)) return 0;
    __u32 fresh = TR_ON | TR_FRESH | TR_WAKE;
    long full = bpf_map_update_elem(&traced, &ctgid, &fresh, BPF_ANY);
    struct pev_proc *e = ev_reserve(sizeof(*e));
    if (!e) return 0;
    hdr_fill(&e->h, PEV_FORK, sizeof(*e));
    e->h.pid = ptgid;
    e->child = ctgid;
    e->code = full ? -1 : 0; /* -1: the traced table is full, not followed */
    bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    __u32 tgid = p->tgid;
    if (!is_traced(tgid)) return 0;
    struct pev_exec *e = ev_reserve(sizeof(*e));
    if (!e) return 0;
    __u32 flags = TR_ON | TR_WAKE; /* a new image: its modules are not known yet */
    bpf_map_update_elem(&traced, &tgid, &flags, BPF_ANY);
    hdr_fill(&e->h, PEV_EXEC, sizeof(*e));
    e->pad = 0;
    if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename) < 0)
        e->filename[0] = 0;
    __u64 start = BPF_CORE_READ(p, mm, arg_start), end = BPF_CORE_READ(p, mm, arg_end);
    __u64 n = end > start ? end - start : 0;
    if (n > PEV_ARGS_MAX) n = PEV_ARGS_MAX;
    n &= PEV_ARGS_MAX * 2 - 1;
    if (n > PEV_ARGS_MAX) n = PEV_ARGS_MAX;
    e->nargs = n && bpf_probe_read_user(e->args, n, (void *)start) == 0 ? n : 0;
    bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP); /* the loader reads the new image's maps at once */
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
    /* The process' last thread: signal->live is down to 0 (the tracepoint's
     * group_dead argument exists only from Linux 6.16). Two threads ending
     * at once may both see 0: the one that removes the traced entry sends. */
    __u32 tgid = p->tgid;
    if (BPF_CORE_READ(p, signal, live.counter) != 0 || !is_traced(tgid)) return 0;
    if (bpf_map_delete_elem(&traced, &tgid) != 0) return 0;
    bpf_map_delete_elem(&go_offs, &tgid);
    struct pev_proc *e = ev_reserve(sizeof(*e));
    if (!e) return 0;
    hdr_fill(&e->h, PEV_EXIT, sizeof(*e));
    e->child = 0;
    e->code = BPF_CORE_READ(p, signal, group_exit_code);
    if (!e->code) e->code = p->exit_code;
    bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP); /* the loader wakes for an exit */
    return 0;
}

/* ---- TCP states: the kernel's own transitions, no polling ---- */

SEC("tracepoint/sock/inet_sock_set_state")
int on_tcp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
    __u64 sk = (__u64)ctx->skaddr;
    int st = ctx->newstate, old = ctx->oldstate;
    /* what the peer's close or reset does (CLOSE_WAIT, LAST_ACK, CLOSE), and
     * the end of a close the program made first (FIN_WAIT1/2 or CLOSING ->
     * CLOSE: the kernel keeps a TIME_WAIT socket in its place), sent as 6 */
    if (ctx->protocol != 6 /* IPPROTO_TCP */ || (st != 7 && st != 8 && st != 9)) return 0;
    __u64 *owner = bpf_map_lookup_elem(&socks, &sk);
    if (!owner) return 0;
    __u64 own = *owner;
    if (st == TCP_CLOSE_STATE) bpf_map_delete_elem(&socks, &sk);
    bool tw = st == TCP_CLOSE_STATE && (old == 4 || old == 5 || old == 11);
    if (!tw) {
        struct pfd_key k = {.pid = own >> 32, .fd = (__s32)own};
        struct pfd_val *v = bpf_map_lookup_elem(&fds, &k);
        if (!v || v->sk != sk) return 0; /* closed by the program (or its fd moved by dup) */
    }
    struct pev_tcp *e = ev_reserve(sizeof(*e));
    if (!e) return 0;
    hdr_fill(&e->h, PEV_TCP, sizeof(*e));
    e->h.pid = own >> 32;
    e->h.tid = (__u32)own; /* the fd it was opened as */
    e->sk = sk;
    e->oldstate = old;
    e->newstate = tw ? 6 /* TIME_WAIT */ : st;
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    return 0;
}

/* ---- Go net/http: entry uprobes (Go's stacks move: no uretprobes) ---- */

static __always_inline struct go_offsets *offs(void)
{
    __u32 tgid = tgid_now();
    return bpf_map_lookup_elem(&go_offs, &tgid);
}

static __always_inline __u64 ureadp(__u64 addr)
{
    __u64 v = 0;
    if (addr) bpf_probe_read_user(&v, sizeof(v), (void *)addr);
    return v;
}

/* A Go string {ptr, len} at addr, NUL-terminated into out. */
static __always_inline void gostr_read(__u64 addr, char *out, __u32 cap)
{
    __u64 p = ureadp(addr), len = ureadp(addr + 8);
    if (!p || !len) return;
    if (len > cap - 1) len = cap - 1;
    len &= 63;
    bpf_probe_read_user(out, len, (void *)p);
}

static __always_inline struct pev_go *go_begin(struct pt_regs *ctx, __u32 kind, __u64 obj)
{
    struct go_offsets *o = offs();
    __u32 zero = 0;
    struct pev_go *e = bpf_map_lookup_elem(&scratch_go, &zero);
    if (!o || !e) return NULL;
    __builtin_memset(e, 0, sizeof(*e));
    hdr_fill(&e->h, kind, sizeof(*e));
    e->obj = obj;
    e->sp = ctx->sp;
    e->goid = o->g_goid != 0xffff ? ureadp(ctx->r14 + o->g_goid) : ctx->r14;
    e->fd_tcp = -1;
    e->fd_tls = -1;
    return e;
}

static __always_inline void go_send(struct pev_go *e)
{
    if (bpf_ringbuf_output(&events, e, sizeof(*e), BPF_RB_NO_WAKEUP))
        __sync_fetch_and_add(&dropped, 1);
}

/* The fd under a persistConn, read two ways: its net.Conn as a *net.TCPConn,
 * and as a *tls.Conn over one. The loader keeps the one that is a socket. */
static __always_inline void go_conn_fd(struct pev_go *e, __u64 pc)
{
    struct go_offsets *o = offs();
    if (!o || o->pc_conn == 0xffff || o->tcpconn_fd == 0xffff) return;
    __u64 data = ureadp(pc + o->pc_conn + 8);
    __u64 fdp = ureadp(data + o->tcpconn_fd);
    __s64 fd = -1;
    if (fdp && bpf_probe_read_user(&fd, sizeof(fd), (void *)(fdp + o->netfd_sysfd)) == 0)
        e->fd_tcp = (__s32)fd;
    if (o->tlsconn_conn == 0xffff) return;
    __u64 inner = ureadp(data + o->tlsconn_conn + 8);
    fdp = ureadp(inner + o->tcpconn_fd);
    if (fdp && bpf_probe_read_user(&fd, sizeof(fd), (void *)(fdp + o->netfd_sysfd)) == 0)
        e->fd_tls = (__s32)fd;
    if (o->pc_reused != 0xffff) {
        __u8 r = 0;
        bpf_probe_read_user(&r, 1, (void *)(pc + o->pc_reused));
        e->reused = r;
    }
}

/* The user's stack at a Go function's entry: the frame-pointer chain lacks
 * the immediate caller, whose return address is at *RSP. */
static __always_inline void go_stack(struct pt_regs *ctx, struct pev_go *e)
{
    long n = bpf_get_stack(ctx, e->stack, sizeof(e->stack), BPF_F_USER_STACK);
    if (n <= 0) return;
    e->nstack = n / sizeof(__u64);
    e->stack[0] = ureadp(ctx->sp); /* replaces the entry pc itself */
}

SEC("uprobe")
int go_roundtrip(struct pt_regs *ctx)
{
    if (!is_traced(tgid_now())) return 0;
    struct pev_go *e = go_begin(ctx, PEV_GO_RT, ctx->ax);
    struct go_offsets *o = offs();
    if (!e || !o) return 0;
    e->req = ctx->bx;
    if (o->req_method != 0xffff) gostr_read(e->req + o->req_method, e->method, sizeof(e->method));
    if (o->req_url != 0xffff) {
        __u64 url = ureadp(e->req + o->req_url);
        if (url && o->url_host != 0xffff) gostr_read(url + o->url_host, e->host, sizeof(e->host));
        if (url && o->url_path != 0xffff) gostr_read(url + o->url_path, e->path, sizeof(e->path));
    }
    go_stack(ctx, e);
    go_send(e);
    return 0;
}

/* A request on a connection: remember its reader, for the bodies read
 * from it, and count the request. */
static __always_inline void go_br_note(struct pev_go *e, __u64 pc)
{
    struct go_offsets *o = offs();
    if (!o || o->pc_br == 0xffff || o->es_body == 0xffff || o->body_src == 0xffff) return;
    e->br = ureadp(pc + o->pc_br);
    if (!e->br) return;
    struct go_br_key k = {.br = e->br, .tgid = e->h.pid};
    struct go_br_val v = {.fd_tcp = e->fd_tcp, .fd_tls = e->fd_tls, .serial = 1};
    struct go_br_val *old = bpf_map_lookup_elem(&go_brs, &k);
    if (old) v.serial = old->serial + 1;
    bpf_map_update_elem(&go_brs, &k, &v, BPF_ANY);
}

static __always_inline int go_pconn(struct pt_regs *ctx, __u32 kind, __u64 pc, __u64 req)
{
    if (!is_traced(tgid_now())) return 0;
    struct pev_go *e = go_begin(ctx, kind, pc);
    if (!e) return 0;
    e->req = req;
    go_conn_fd(e, pc);
    if (kind == PEV_GO_PCRT) go_br_note(e, pc);
    go_send(e);
    return 0;
}

SEC("uprobe")
int go_pc_roundtrip(struct pt_regs *ctx) /* pc = RAX, treq = RBX: its first word is the *Request */
{
    return go_pconn(ctx, PEV_GO_PCRT, ctx->ax, ureadp(ctx->bx));
}

SEC("uprobe")
int go_put_idle(struct pt_regs *ctx) /* t = RAX, pconn = RBX */
{
    return go_pconn(ctx, PEV_GO_PUTIDLE, ctx->bx, 0);
}

SEC("uprobe")
int go_close_locked(struct pt_regs *ctx) /* pc = RAX */
{
    return go_pconn(ctx, PEV_GO_CLOSE, ctx->ax, 0);
}

/* resp.Body's Read and Close. Read is probed for its first call per body
 * only (go_bodies); the body's connection comes from its reader (see
 * struct pev_gobody): the first of three candidates under body.src that is
 * a connection's br in go_brs. */
static __always_inline struct go_br_val *gobody_conn(struct go_offsets *o, __u64 es, __u32 tgid,
                                                     __u64 *br)
{
    __u64 body = ureadp(es + o->es_body + 8); /* the interfaces' data words */
    __u64 src = ureadp(body + o->body_src + 8);
    __u64 cand[3] = {src, src ? ureadp(src + o->lr_r + 8) : 0,
                     src ? ureadp(src + o->chunked_r) : 0};
    for (int i = 0; i < 3; i++) {
        struct go_br_key k = {.br = cand[i], .tgid = tgid};
        struct go_br_val *v = cand[i] ? bpf_map_lookup_elem(&go_brs, &k) : NULL;
        if (v) {
            *br = cand[i];
            return v;
        }
    }
    return NULL;
}

static __always_inline struct pev_gobody *gobody_begin(struct pt_regs *ctx, __u32 kind)
{
    struct pev_gobody *e = ev_reserve(sizeof(*e));
    if (!e) return NULL;
    hdr_fill(&e->h, kind, sizeof(*e));
    struct go_offsets *o = offs();
    e->goid = o && o->g_goid != 0xffff ? ureadp(ctx->r14 + o->g_goid) : ctx->r14;
    e->es = ctx->ax;
    e->fd_tcp = e->fd_tls = -1;
    e->serial = e->pad = 0;
    e->br = 0;
    return e;
}

SEC("uprobe")
int go_body_read(struct pt_regs *ctx) /* es = RAX */
{
    __u32 tgid = tgid_now();
    if (!is_traced(tgid)) return 0;
    struct go_offsets *o = offs();
    if (!o || o->es_body == 0xffff || o->body_src == 0xffff) return 0;
    __u64 br = 0;
    struct go_br_val *conn = gobody_conn(o, ctx->ax, tgid, &br);
    if (!conn) return 0; /* not a connection a request was seen on */
    struct go_body_key k = {.es = ctx->ax, .tgid = tgid};
    struct go_body_val *seen = bpf_map_lookup_elem(&go_bodies, &k);
    if (seen && seen->br == br && seen->serial == conn->serial) return 0;
    struct go_body_val v = {.br = br, .serial = conn->serial};
    bpf_map_update_elem(&go_bodies, &k, &v, BPF_ANY);
    struct pev_gobody *e = gobody_begin(ctx, PEV_GO_BODY);
    if (!e) return 0;
    e->br = br;
    e->fd_tcp = conn->fd_tcp;
    e->fd_tls = conn->fd_tls;
    e->serial = conn->serial;
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    return 0;
}

SEC("uprobe")
int go_body_close(struct pt_regs *ctx) /* es = RAX */
{
    __u32 tgid = tgid_now();
    if (!is_traced(tgid)) return 0;
    struct go_body_key k = {.es = ctx->ax, .tgid = tgid};
    bpf_map_delete_elem(&go_bodies, &k); /* sent even when not found: it may be evicted */
    struct pev_gobody *e = gobody_begin(ctx, PEV_GO_BODYCLOSE);
    if (e) bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    return 0;
}
