/* events.c - one function per trace record type (docs/trace-format.md).
 *
 * Each builds its line in a buffer on the caller's stack and hands it to the
 * trace writer; nothing here allocates or takes a lock of its own. The
 * client-handle records are in events_handles.c, the HTTP exchange log in
 * events_http.c. */
#define _GNU_SOURCE
#include "redact.h"
#include "preload.h"
#include "agg.h"
#include "config.h"
#include "events.h"
#include "events_internal.h"
#include "pyframes.h"
#include "fdtable.h"
#include "handles.h"
#include "httptrack.h"
#include "sampler.h"
#include "stacks.h"
#include "trace.h"

#include "jsonline.h"
#include "tracebin.h"
#include "tracefile.h"
#include "http1.h"
#include "sockdiag.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *role_name(int role)
{
    static const char *names[] = {"socket", "client", "listener", "accepted", "pair", "received"};
    return role >= 0 && role <= ROLE_RECEIVED ? names[role] : "socket";
}

static void kv_addr(struct jb *b, const char *key, const struct cl_addr *a)
{
    if (!a->family) return;
    jb_key(b, key);
    jb_addr(b, a);
}

/* ---- binary records (tracebin.h): the frequent ones ---- */

static void tb_sock(struct tb *b, const struct sock_rec *r, int fd)
{
    tb_u(b, TBF_SID, r->sid);
    tb_i(b, TBF_FD, fd);
}

/* A time before ts as TBT_REL: 0 for none, else 1 + its distance from ts
 * (a time the coarse clock put after ts counts as ts). */
static uint64_t rel(uint64_t ts, uint64_t t)
{
    return t ? (t <= ts ? ts - t : 0) + 1 : 0;
}

static enum tb_word family_word(int fam)
{
    return fam == AF_INET    ? TBW_INET
           : fam == AF_INET6 ? TBW_INET6
           : fam == AF_UNIX  ? TBW_UNIX
                             : TBW_COUNT;
}

static enum tb_word type_word(int type)
{
    return type == SOCK_STREAM ? TBW_STREAM : type == SOCK_DGRAM ? TBW_DGRAM : TBW_COUNT;
}

/* A word, or the name the JSON writer would give. */
static void tb_name(struct tb *b, enum tb_field f, enum tb_word w, const char *(*name)(int, char *),
                    int v)
{
    char tmp[16];
    if (w < TBW_COUNT)
        tb_word(b, f, w);
    else
        tb_str(b, f, name(v, tmp), sizeof(tmp));
}

static void tb_how(struct tb *b, const char *how)
{
    if (how[0] == 'c' && how[1] == 'l' && how[2] == 'o' && how[3] == 's' && how[4] == 'e' &&
        !how[5]) { /* "close", nearly every one: no search */
        tb_word(b, TBF_HOW, TBW_CLOSE);
        return;
    }
    unsigned int w = tb_word_find(how, TBW_CLOSE, TBW_SYSCALL);
    if (w < TBW_COUNT)
        tb_word(b, TBF_HOW, w);
    else
        tb_str(b, TBF_HOW, how, 32);
}

/* argv from /proc/self/cmdline, read with plain system calls. */
static void kv_argv(struct jb *b)
{
    char cmd[4096];
    ssize_t n = 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = syscall(SYS_read, fd, cmd, sizeof(cmd) - 1);
        syscall(SYS_close, fd);
    }
    JB_LIT(b, ",\"argv\":[");
    cmd[n > 0 ? n : 0] = 0;
    bool secret = false; /* the value of a --password-like option */
    for (ssize_t i = 0; i < n;) {
        size_t len = strnlen(cmd + i, (size_t)(n - i));
        char arg[4096];
        redact_arg(cmd + i, secret, arg, sizeof(arg));
        secret = !secret && redact_flag_takes_secret(cmd + i);
        size_t alen = strlen(arg);
        if (b->len + alen * 6 + 1024 > b->cap) { /* room for the rest of the header */
            if (i) JB_LIT(b, ",");
            JB_LIT(b, "\"...\"");
            break;
        }
        if (i) JB_LIT(b, ",");
        jb_str(b, arg, alen);
        i += (ssize_t)len + 1;
    }
    JB_LIT(b, "]");
}

void ev_header(struct jb *b, bool forked)
{
    char exe[4096];
    struct timespec rt;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    clock_gettime(CLOCK_REALTIME, &rt);
    JB_LIT(b, "{\"t\":\"hdr\",\"format\":\"connleak-trace\"");
    JB_KV_U64(b, "version", CL_TRACE_VERSION);
    jb_kv_str(b, "tool", "connleak " CONNLEAK_VERSION);
    JB_KV_U64(b, "pid", (uint64_t)cl_pid);
    JB_KV_U64(b, "ppid", (uint64_t)getppid());
    JB_KEY(b, "exe");
    jb_str(b, exe, 1000); /* bounded, so that the header always fits its buffer */
    kv_argv(b);
    JB_KV_U64(b, "start_mono_ns", cl_start_ns);
    JB_KV_U64(b, "start_unix_ns", (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec);
    JB_KV_LIT(b, "clock", "monotonic");
    JB_KV_U64(b, "depth", (uint64_t)cl_cfg.depth);
    JB_KV_U64(b, "flush_ms", (uint64_t)cl_cfg.flush_ms);
    jb_raw(b, forked ? ",\"forked\":true}\n" : ",\"forked\":false}\n");
}

static void open_write(const struct sock_rec *r, int fd, uint64_t lsid, bool inherited, bool late);

/* A quiet socket (agg.c) about to appear in the trace: its open record
 * first, late, with what it has become. The claim on `quiet` is cleared
 * after the record took its number (tring.c), so that a record of a thread
 * that sees it cleared (acquire) comes after this one. */
CL_HOT bool ev_is_quiet(const struct sock_rec *r)
{
    return atomic_load_explicit(&((struct sock_rec *)r)->quiet, memory_order_acquire);
}

void ev_promote(const struct sock_rec *r, int fd)
{
    if (ev_is_quiet(r)) open_write(r, fd, 0, false, true);
}

void ev_open(const struct sock_rec *r, int fd, uint64_t lsid, bool inherited)
{
    if (inherited)
        atomic_store(&((struct sock_rec *)r)->quiet, 0);
    else if (ev_is_quiet(r))
        return; /* written late, if ever */
    open_write(r, fd, lsid, inherited, false);
}

static void open_write(const struct sock_rec *r, int fd, uint64_t lsid, bool inherited, bool late)
{
    uint8_t mem[LINE_MAX_BYTES];
    struct tb b;
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_OPEN);
    tb_sock(&b, r, fd);
    tb_name(&b, TBF_FAM, family_word(r->family), family_name, r->family);
    tb_name(&b, TBF_TYPE, type_word(r->type), socktype_name, r->type);
    int role = inherited || late ? r->role : r->open_role;
    tb_word(&b, TBF_ROLE,
            role >= 0 && role <= ROLE_RECEIVED ? TBW_ROLE_SOCKET + role : TBW_ROLE_SOCKET);
    tb_u(&b, TBF_STK, r->stk);
    if (r->ino) tb_u(&b, TBF_INO, r->ino);
    if (r->peer.family) tb_addr(&b, TBF_PEER, &r->peer);
    if (r->local.family) tb_addr(&b, TBF_LOCAL, &r->local);
    if (lsid) tb_u(&b, TBF_LSID, lsid);
    if (inherited) tb_bool(&b, TBF_INHERITED, true);
    if (late) {
        tb_bool(&b, TBF_LATE, true);
        tb_u(&b, TBF_OPENED, rel(ts, r->opened));
        trace_frame_claimed(TBR_OPEN, ts, &b, &((struct sock_rec *)r)->quiet);
        return;
    }
    trace_frame(TBR_OPEN, ts, &b);
}

void ev_conn(const struct sock_rec *r, int fd, int err, const struct sockaddr *sa, socklen_t len)
{
    uint8_t mem[LINE_MAX_BYTES];
    struct tb b;
    struct cl_addr peer;
    if (ev_is_quiet(r)) return; /* its late open record will say it */
    uint64_t ts = clock_since_start();
    addr_from_sockaddr(&peer, sa, len);
    tb_init(&b, mem, sizeof(mem), TBR_CONN);
    tb_sock(&b, r, fd);
    if (peer.family) tb_addr(&b, TBF_PEER, &peer);
    if (r->local.family) tb_addr(&b, TBF_LOCAL, &r->local);
    if (err == EINPROGRESS) {
        tb_bool(&b, TBF_INPROGRESS, true);
    } else if (err) {
        const char *name = strerrorname_np(err);
        tb_str(&b, TBF_ERR, name ? name : "error", 64);
    }
    trace_frame(TBR_CONN, ts, &b);
}

void ev_listen(const struct sock_rec *r, int fd)
{
    uint8_t mem[LINE_MAX_BYTES];
    struct tb b;
    ev_promote(r, fd);
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_LISTEN);
    tb_sock(&b, r, fd);
    if (r->local.family) tb_addr(&b, TBF_LOCAL, &r->local);
    trace_frame(TBR_LISTEN, ts, &b);
}

void ev_dup(const struct sock_rec *r, int fd, int nfd, const char *how)
{
    uint8_t mem[LINE_MAX_BYTES];
    struct tb b;
    if (ev_is_quiet(r)) return; /* its fds are listed if it is ever written */
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_DUP);
    tb_sock(&b, r, fd);
    tb_u(&b, TBF_NFD, (uint64_t)nfd);
    tb_how(&b, how);
    trace_frame(TBR_DUP, ts, &b);
}

void ev_shut(const struct sock_rec *r, int fd, int how)
{
    uint8_t mem[LINE_MAX_BYTES];
    struct tb b;
    ev_promote(r, fd);
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_SHUT);
    tb_sock(&b, r, fd);
    tb_word(&b, TBF_HOW, how >= 0 && how <= 2 ? TBW_RD + how : TBW_OTHER);
    trace_frame(TBR_SHUT, ts, &b);
}

/* ts of the last successful I/O, 0 if none (the coarse clock may lag). */
static uint64_t last_io_of(const struct sock_rec *r)
{
    uint64_t last_io = atomic_load_explicit(&r->last_io, memory_order_relaxed);
    return last_io && last_io < r->opened ? r->opened : last_io;
}

void ev_close(const struct sock_rec *r, int fd, const char *how, bool last)
{
    uint8_t mem[LINE_MAX_BYTES];
    struct tb b;
    if (ev_is_quiet(r)) { /* its last close is counted, not written */
        if (!last) return;
        /* whoever clears quiet decides: the sampler promoting it right now
         * (its open record numbered before it cleared quiet, under the
         * trace lock: then this close comes after it) or this close (only
         * counted) */
        lock_take(&cl_trace_lock);
        bool mine = atomic_exchange(&((struct sock_rec *)r)->quiet, 0);
        lock_give(&cl_trace_lock);
        if (mine) {
            agg_note_close(r, http_state_of(r), http_site_of(r));
            return;
        }
    }
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_CLOSE);
    tb_sock(&b, r, fd);
    tb_how(&b, how);
    tb_bool(&b, TBF_LAST, last);
    if (last) {
        tb_u(&b, TBF_IN, atomic_load_explicit(&r->bytes_in, memory_order_relaxed));
        tb_u(&b, TBF_OUT, atomic_load_explicit(&r->bytes_out, memory_order_relaxed));
        tb_u(&b, TBF_LAST_IO, rel(ts, last_io_of(r)));
        if (atomic_load_explicit(&r->eof, memory_order_relaxed)) tb_bool(&b, TBF_EOF, true);
        if (pyframes_finalizing()) tb_bool(&b, TBF_FIN, true); /* the interpreter's, at exit */
        http_tb_state(&b, r);
    }
    trace_frame(TBR_CLOSE, ts, &b);
}

void ev_badclose(int fd, const char *kind, uint32_t stk, const struct fd_prev *prev)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    ev_begin(&b, mem, "badclose");
    JB_KEY(&b, "fd");
    jb_i64(&b, fd); /* close(-1) is a foreign close too */
    JB_KV_LIT(&b, "kind", kind);
    JB_KV_U64(&b, "stk", stk);
    if (prev) {
        JB_KV_U64(&b, "prev_sid", prev->prev_sid);
        JB_KV_U64(&b, "prev_stk", prev->prev_stk);
        if (prev->prev_close_stk) JB_KV_U64(&b, "prev_close_stk", prev->prev_close_stk);
    }
    ev_finish(&b);
}

void ev_dump(uint32_t seq, const char *why)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    ev_begin(&b, mem, "dump");
    JB_KV_U64(&b, "dump", seq);
    JB_KV_LIT(&b, "why", why);
    ev_finish(&b);
}

void ev_live(const struct sock_rec *r, const int *fds, int nfds, uint32_t dump)
{
    char mem[LINE_MAX_BYTES], t1[16], t2[16];
    struct jb b;
    ev_promote(r, nfds ? fds[0] : -1);
    ev_begin(&b, mem, "live");
    JB_KV_U64(&b, "sid", r->sid);
    JB_LIT(&b, ",\"fds\":[");
    for (int i = 0; i < nfds; i++) {
        if (i) JB_LIT(&b, ",");
        jb_u64(&b, (uint64_t)fds[i]);
    }
    JB_LIT(&b, "]");
    JB_KV_LIT(&b, "fam", family_name(r->family, t1));
    JB_KV_LIT(&b, "type", socktype_name(r->type, t2));
    JB_KV_LIT(&b, "role", role_name(r->role));
    kv_addr(&b, "peer", &r->peer);
    kv_addr(&b, "local", &r->local);
    JB_KV_U64(&b, "stk", r->stk);
    if (r->ino) JB_KV_U64(&b, "ino", r->ino);
    JB_KV_U64(&b, "opened", r->opened);
    JB_KV_U64(&b, "last_io", last_io_of(r));
    JB_KV_U64(&b, "in", atomic_load(&r->bytes_in));
    JB_KV_U64(&b, "out", atomic_load(&r->bytes_out));
    jb_raw(&b, r->flags & REC_INHERITED ? ",\"inherited\":true" : ",\"inherited\":false");
    if (atomic_load_explicit(&r->eof, memory_order_relaxed)) JB_LIT(&b, ",\"eof\":true");
    if (atomic_load_explicit(&r->passed, memory_order_relaxed)) JB_LIT(&b, ",\"passed\":true");
    if (atomic_load_explicit(&r->read_last, memory_order_relaxed))
        JB_LIT(&b, ",\"read_last\":true");
    if (r->kstate) JB_KV_LIT(&b, "kstate", sockdiag_state_name(r->kstate));
    if (dump) JB_KV_U64(&b, "dump", dump);
    http_kv_state(&b, r);
    ev_finish(&b);
}

void ev_end(const char *why)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    uint64_t opened = atomic_load(&cl_stats.opened), closed = atomic_load(&cl_stats.closed);
    ev_begin(&b, mem, "end");
    JB_KV_LIT(&b, "why", why);
    JB_KV_U64(&b, "opened", opened);
    JB_KV_U64(&b, "closed", closed);
    JB_KV_U64(&b, "live", opened - closed);
    JB_KV_U64(&b, "badclose_dropped", atomic_load(&cl_stats.badclose_dropped));
    JB_KV_U64(&b, "lost", atomic_load(&cl_stats.lost));
    uint64_t hd = atomic_load(&cl_handles_dropped);
    if (hd) JB_KV_U64(&b, "handles_dropped", hd);
    JB_LIT(&b, "}");
    trace_line_end(&b); /* no other thread's record after it */
}

void ev_note(const char *what, const char *detail)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    ev_begin(&b, mem, "note");
    JB_KV_LIT(&b, "what", what);
    jb_kv_str(&b, "detail", detail);
    ev_finish(&b);
}

/* ---- the sampler (sampler.c) ---- */

void ev_ktcp(const struct sock_rec *r, uint64_t sid, const char *state, uint32_t rqueue)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    if (ev_is_quiet(r)) return; /* the sampler promotes those old enough */
    ev_begin(&b, mem, "ktcp");
    JB_KV_U64(&b, "sid", sid); /* the one the sampler checked */
    JB_KV_LIT(&b, "state", state);
    JB_KV_U64(&b, "rq", rqueue);
    ev_finish(&b);
}

static void kv_counts(struct jb *b, const char *key, const char *const *names, const uint32_t *n,
                      unsigned int count)
{
    bool first = true;
    jb_key(b, key);
    JB_LIT(b, "{");
    for (unsigned int i = 0; i < count; i++) {
        if (!n[i] || !names[i]) continue;
        if (!first) JB_LIT(b, ",");
        first = false;
        jb_lit_str(b, names[i]);
        JB_LIT(b, ":");
        jb_u64(b, n[i]);
    }
    JB_LIT(b, "}");
}

void ev_sample(const struct sample_counts *c)
{
    static const char *const roles[] = {"socket",   "client", "listener",
                                        "accepted", "pair",   "received"};
    static const char *const states[] = {NULL,         "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                         "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                         "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
    char mem[LINE_MAX_BYTES * 3];
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    JB_LIT(&b, "{\"t\":\"sample\"");
    JB_KV_U64(&b, "ts", clock_since_start());
    JB_KEY(&b, "fds");
    jb_i64(&b, c->fds);
    JB_KV_U64(&b, "nofile", c->nofile);
    JB_KV_U64(&b, "socks", c->socks);
    kv_counts(&b, "roles", roles, c->roles, 6);
    if (!c->fds_exact) JB_LIT(&b, ",\"fds_est\":true");
    if (c->kernel) kv_counts(&b, "tcp", states, c->tcp, 12);
    if (c->kernel && c->tw_total_est) JB_LIT(&b, ",\"tw_est\":true");
    JB_LIT(&b, ",\"sites\":[");
    for (unsigned int i = 0; i < c->nsites; i++) {
        if (i) JB_LIT(&b, ",");
        JB_LIT(&b, "{\"stk\":");
        jb_u64(&b, c->site_stk[i]);
        JB_KV_U64(&b, "n", c->site_n[i]);
        JB_LIT(&b, "}");
    }
    JB_LIT(&b, "],\"peers\":[");
    for (unsigned int i = 0; i < c->npeers; i++) {
        if (i) JB_LIT(&b, ",");
        JB_LIT(&b, "{\"peer\":");
        jb_addr(&b, c->peer[i]);
        JB_KV_U64(&b, "n", c->peer_n[i]);
        JB_LIT(&b, "}");
    }
    JB_LIT(&b, "]");
    if (c->tw_read) JB_LIT(&b, ",\"tw\":["); /* present: TIME_WAIT was read */
    for (unsigned int i = 0; c->tw_read && i < c->ntw; i++) {
        if (i) JB_LIT(&b, ",");
        JB_LIT(&b, "{\"peer\":");
        jb_addr(&b, c->tw_peer[i]);
        JB_KV_U64(&b, "stk", c->tw_stk[i]);
        JB_KV_U64(&b, "n", c->tw_n[i]);
        if (c->tw_est[i]) JB_LIT(&b, ",\"est\":true");
        JB_LIT(&b, "}");
    }
    if (c->tw_read) JB_LIT(&b, "]");
    JB_KV_U64(&b, "us", c->cost_us);
    JB_KV_U64(&b, "wall_us", c->wall_us);
    ev_finish(&b);
}

/* ---- per-site counters of quiet sockets (agg.c) ---- */

void ev_agg(const struct agg_counts *c)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    ev_begin(&b, mem, "agg");
    JB_KV_U64(&b, "stk", c->stk);
    kv_addr(&b, "peer", &c->peer);
    JB_KV_U64(&b, "closed", c->closed);
    JB_KV_U64(&b, "first", c->first_ts);
    JB_KV_U64(&b, "last", c->last_ts);
    if (c->active) JB_KV_U64(&b, "active", c->active);
    if (c->peer_first) JB_KV_U64(&b, "eof", c->peer_first);
    if (c->reqs) JB_KV_U64(&b, "reqs", c->reqs);
    if (c->one_req_ka) JB_KV_U64(&b, "one_req_ka", c->one_req_ka);
    if (c->req_stk) {
        stack_emit_id(c->req_stk);
        JB_KV_U64(&b, "req_stk", c->req_stk);
    }
    if (c->discarded) {
        JB_KV_U64(&b, "discarded", c->discarded);
        JB_LIT(&b, ",\"example\":{\"method\":");
        jb_str(&b, c->method, sizeof(c->method));
        JB_KEY(&b, "target");
        jb_str(&b, c->target, sizeof(c->target));
        JB_KV_U64(&b, "status", c->status);
        JB_KEY(&b, "expect");
        jb_i64(&b, c->expect);
        JB_KV_U64(&b, "read", c->read);
        JB_LIT(&b, "}");
    }
    ev_finish(&b);
}
