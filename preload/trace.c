/* trace.c - the trace file: created safely, written through our own buffer,
 * flushed periodically, and recovered if the program takes its fd.
 *
 * Records go first into a ring of the recording thread's own, with no lock
 * (tring.c); whoever flushes, under cl_trace_lock, merges the rings back
 * into the order things happened and frames the records into one buffer,
 * which is written whole. The fd lives out of the program's
 * way (above its RLIMIT_NOFILE where possible, ownfds.c), close-on-exec;
 * the program's close of it fails with EBADF and a dup2 onto its number
 * moves it first (hooks_close.c, hooks_dup.c). If it is lost all the same
 * (a raw close syscall), the next flush reopens the file by path, in append
 * mode, refusing symlinks. Before every write the fd is checked to still be
 * our file (same device and inode): we never write into a file of the
 * program's. Writes keep room for a "disk-full" note (common/tracefile.h):
 * a full disk ends the trace with that note, or a TRACE.disk-full marker. */
#define _GNU_SOURCE
#include "preload.h"
#include "config.h"
#include "events.h"
#include "fdtable.h"
#include "lifecycle.h"
#include "mark.h"
#include "modules.h"
#include "ownfds.h"
#include "real.h"
#include "trace.h"
#include "tring.h"

#include "jsonline.h"
#include "tracebin.h"
#include "tracefile.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF_SIZE  (1u << 20)
#define BUF_FLUSH (BUF_SIZE / 2)

cl_lock_t cl_trace_lock = CL_LOCK_INIT;
static cl_lock_t open_lock = CL_LOCK_INIT; /* serialises the lazy creation of the file */
int cl_trace_fd = -1;

static char buf[BUF_SIZE];
static size_t buf_len;
static struct tb_seg bin_seg; /* the frames' segment (tracebin.h): previous time, sid, strings */
static bool bin_in_buf;       /* buf holds a binary record: the next one need not be an anchor */
static char path[4096 + 64];
static dev_t file_dev;
static ino_t file_ino;
static struct tracefile_out out; /* reserve and first write failure (tracefile.h) */
static bool lost;                /* the program closed our fd: reopen before writing */
static bool have_file;           /* this process has a trace file (header written or being) */
static bool started;             /* its first lines are in the buffer (under cl_trace_lock) */
static _Atomic bool created;     /* ...and it is published: header, modules, inherited sockets */
static bool ended; /* the end record is written: nothing more is (under cl_trace_lock) */
static __thread int tl_opening
    __attribute__((tls_model("initial-exec"))); /* this thread opens it */

static int file_create(void)
{
    return tracefile_create(cl_cfg.dir, cl_pid, path, sizeof(path));
}

/* Creates this process's trace and writes header + module map. */
int trace_create(bool forked)
{
    int fd = file_create();
    if (fd < 0) return -1;
    struct stat st;
    fd = ownfd_place_high(fd);
    if (fstat(fd, &st) != 0) {
        syscall(SYS_close, fd);
        return -1;
    }
    file_dev = st.st_dev;
    file_ino = st.st_ino;
    cl_trace_fd = fd;
    lost = false;
    out = (struct tracefile_out){0};
    have_file = true;
    char mem[8192];
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    ev_header(&b, forked);
    lock_take(&cl_trace_lock);
    trace_append_locked(b.p, b.len);
    modules_emit_all_locked();
    mark_emit_locked();
    started = true;
    trace_flush_locked();
    lock_give(&cl_trace_lock);
    return 0;
}

bool trace_started_locked(void)
{
    return started;
}

bool trace_is_open(void)
{
    return atomic_load_explicit(&created, memory_order_acquire) || tl_opening;
}

/* From now on every thread may append: the first lines are in. */
void trace_publish(void)
{
    atomic_store_explicit(&created, true, memory_order_release);
}

static bool fd_holds_trace(int fd)
{
    struct stat st;
    if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0) return false;
    return st.st_dev == file_dev && st.st_ino == file_ino;
}

static bool fd_still_ours(void)
{
    return fd_holds_trace(cl_trace_fd);
}

static void file_reopen(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return;
    if (fstat(fd, &st) != 0 || st.st_dev != file_dev || st.st_ino != file_ino) {
        syscall(SYS_close, fd); /* someone replaced the file: do not write there */
        return;
    }
    cl_trace_fd = ownfd_place_high(fd);
    lost = false;
    static const char note[] = "{\"t\":\"note\",\"what\":\"trace-reopened\",\"detail\":\"the "
                               "program closed connleak's trace fd; reopened\"}\n";
    syscall(SYS_write, cl_trace_fd, note, sizeof(note) - 1);
}

/* Writes the buffer out. */
static void buf_write_locked(void)
{
    if (!buf_len || !have_file) return;
    if (out.err) { /* the disk was full: the trace ended with its note */
        out.dropped += buf_len;
        buf_len = 0;
        bin_in_buf = false;
        return;
    }
    if (lost || !fd_still_ours()) {
        cl_trace_fd = -1; /* if the number was reused, it is the program's now */
        file_reopen();
        if (cl_trace_fd < 0) return; /* keep buffering; try again next time */
    }
    /* A file size limit must not kill the program with SIGXFSZ because of
     * our trace: the signal is held back and the write just fails. */
    sigset_t xfsz, old;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, &old);
    int before = out.err; /* a disk full is noted in the trace, once (tracefile.h) */
    tracefile_write(&out, cl_trace_fd, path, buf, buf_len);
    if (!before && out.err == EFBIG && !sigismember(&old, SIGXFSZ)) { /* ours: discard it */
        struct timespec zero = {0, 0};
        sigtimedwait(&xfsz, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    buf_len = 0;
    bin_in_buf = false;
}

static void sink_frame(enum tb_rec type, uint64_t ts, const struct tb *b);
static void buf_append_locked(const char *s, size_t n);

/* Records published while this was in flight are written out of their
 * place: the reader is told (a `note`), since a close could then come
 * before its open. */
static void sink_late(uint64_t n)
{
    char mem[256];
    struct jb b;
    jb_init(&b, mem, sizeof(mem) - 1);
    jb_raw(&b, "{\"t\":\"note\",\"what\":\"trace-reordered\"");
    jb_kv_u64(&b, "records", n);
    jb_raw(&b, ",\"detail\":\"a thread was preempted while publishing a record: it comes later "
               "in the trace than its place\"}\n");
    if (!b.overflow) buf_append_locked(b.p, b.len);
}

static const struct tring_sink sink = {sink_frame, buf_append_locked, sink_late};

/* Merges what the threads' rings hold into the buffer, and writes it. */
void trace_flush_locked(void)
{
    if (!have_file || ended) return;
    tring_drain(&sink, false);
    buf_write_locked();
}

void trace_flush(void)
{
    int saved = errno;
    lock_take(&cl_trace_lock);
    trace_flush_locked();
    lock_give(&cl_trace_lock);
    errno = saved;
}

/* The end record is written, or the process execs: what is buffered goes
 * out and the room kept for a disk-full note is given back. */
void trace_flush_end(void)
{
    int saved = errno;
    lock_take(&cl_trace_lock);
    if (have_file && !ended) tring_drain(&sink, true);
    buf_write_locked();
    if (have_file && cl_trace_fd >= 0) tracefile_end(&out, cl_trace_fd);
    lock_give(&cl_trace_lock);
    errno = saved;
}

/* The end record: numbered and written with the records before it under
 * the lock, so that no drain (another thread's whose ring is full, the
 * flusher's) writes later records of other threads after it; none is
 * written after it either (ended). */
void trace_line_end(struct jb *b)
{
    if (b->overflow || !trace_ensure_open()) return;
    b->p[b->len++] = '\n'; /* callers leave one byte spare */
    int saved = errno;
    lock_take(&cl_trace_lock);
    if (have_file && !ended) {
        trace_append_locked(b->p, b->len);
        tring_drain_final(&sink);
        ended = true;
    }
    lock_give(&cl_trace_lock);
    errno = saved;
}

/* Room for n more bytes in buf (flushing it first if need be); false when
 * there is none (the file cannot be written: the record is dropped). */
static bool buf_room_locked(size_t n)
{
    if (buf_len + n > BUF_SIZE) buf_write_locked();
    return n <= BUF_SIZE - buf_len;
}

static void buf_append_locked(const char *s, size_t n)
{
    if (!buf_room_locked(n)) return;
    memcpy(buf + buf_len, s, n);
    buf_len += n;
    if (buf_len >= BUF_FLUSH) buf_write_locked();
}

/* A line from a path that holds cl_trace_lock (a stack written once, the
 * module map): into this thread's ring like any record, numbered in turn. */
void trace_append_locked(const char *s, size_t n)
{
    if (n > TRING_LINE_MAX) { /* a long Python stack: no ring takes it */
        if (have_file && !ended) tring_line_through(&sink, s, n);
        return;
    }
    if (!tring_put_line(s, n)) {
        trace_flush_locked(); /* the ring was full: the drain makes room */
        if (!tring_put_line(s, n) && have_file && !ended)
            tring_line_through(&sink, s, n); /* (spare) */
    }
}

void trace_line(struct jb *b)
{
    if (b->overflow || !trace_ensure_open()) return;
    b->p[b->len++] = '\n'; /* callers leave one byte spare */
    if (b->len > TRING_LINE_MAX) {
        lock_take(&cl_trace_lock);
        trace_append_locked(b->p, b->len);
        lock_give(&cl_trace_lock);
        return;
    }
    if (!tring_put_line(b->p, b->len)) { /* a full ring is drained by its own thread */
        lock_take(&cl_trace_lock);
        trace_append_locked(b->p, b->len);
        lock_give(&cl_trace_lock);
    }
}

/* ---- binary records (tracebin.h) ----
 *
 * The frame is put together by the drain, in the records' order, because
 * its ts and sid are written as deltas from the previous frame's and its
 * Host and target may name a string an earlier frame wrote: the first
 * frame of a buffer (each flush writes a buffer whole) is an anchor, that
 * needs no earlier frame, so that a reader never needs a record from
 * another write; tb_frame_put makes every TB_ANCHOR_EVERY-th one an anchor
 * too, so that a damaged frame costs at most that many after it. The
 * values were encoded on the recording thread: the drain only settles the
 * head and the numbered strings. */

static void sink_frame(enum tb_rec type, uint64_t ts, const struct tb *b)
{
    if (!buf_room_locked(b->len + TB_FRAME_ROOM)) return;
    buf_len += tb_frame_put((uint8_t *)buf + buf_len, &bin_seg, type, ts, !bin_in_buf, b);
    bin_in_buf = true;
    if (buf_len >= BUF_FLUSH) buf_write_locked();
}

void trace_frame(enum tb_rec type, uint64_t ts, const struct tb *b)
{
    if (!tb_complete(b, type) || !trace_ensure_open()) return;
    if (likely(tring_put_frame(type, ts, b))) return;
    lock_take(&cl_trace_lock); /* a full ring is drained by its own thread */
    trace_flush_locked();
    if (!tring_put_frame(type, ts, b) && have_file && !ended)
        tring_frame_through(&sink, type, ts, b);
    lock_give(&cl_trace_lock);
}

/* trace_frame if *claim could be cleared (it was set): a record that must
 * come before any another thread writes once it sees the claim cleared (a
 * quiet socket's late open, agg.c). */
bool trace_frame_claimed(enum tb_rec type, uint64_t ts, const struct tb *b, _Atomic uint8_t *claim)
{
    if (!tb_complete(b, type) || !trace_ensure_open()) return false;
    lock_take(&cl_trace_lock); /* (ev_close decides under it too) */
    int got = tring_put_frame_claimed(type, ts, b, claim);
    if (got < 0) {
        trace_flush_locked();
        got = tring_put_frame_claimed(type, ts, b, claim);
        if (got < 0 && !ended) got = tring_frame_claimed_through(&sink, type, ts, b, claim);
    }
    lock_give(&cl_trace_lock);
    return got > 0;
}

bool trace_fd_is(int fd)
{
    return fd >= 0 && fd == cl_trace_fd;
}

/* The trace fd, and still the trace file: after a close connleak did not
 * see (a raw syscall) the number may be the program's own file already. */
bool trace_fd_owned(int fd)
{
    int saved = errno;
    bool owned = trace_fd_is(fd) && fd_holds_trace(fd);
    errno = saved;
    return owned;
}

/* The program dup2()s onto the trace fd's number, which it believes free:
 * the trace moves to another number first, and the program's call then
 * replaces the old one. If no number is free, the trace is flushed and
 * closed, and reopened by path at the next flush. */
void trace_fd_vacate(int fd)
{
    int saved = errno;
    lock_take(&cl_trace_lock);
    if (cl_trace_fd == fd) trace_flush_locked();
    if (cl_trace_fd == fd) { /* (not reopened elsewhere by that flush) */
        int nfd = ownfd_dup_high(fd);
        if (nfd < 0) {
            syscall(SYS_close, fd);
            lost = true;
        }
        cl_trace_fd = nfd; /* the old number is the program's call's to replace */
    }
    lock_give(&cl_trace_lock);
    errno = saved;
}

void trace_after_fork_child(void)
{
    atomic_flag_clear(&cl_trace_lock.f);
    atomic_flag_clear(&open_lock.f);
    buf_len = 0; /* the parent writes what it had buffered */
    bin_in_buf = false;
    tring_after_fork_child();
    if (cl_trace_fd >= 0) syscall(SYS_close, cl_trace_fd);
    cl_trace_fd = -1;
    have_file = false;
    ended = false;
    started = false;
    out = (struct tracefile_out){0};
    atomic_store(&created, false);
    lost = false;
}

/* Under `connleak run` (CONNLEAK_NOTIFY), one datagram "PID\tWHY" to its
 * abstract unix socket, which any process may reach whatever its user:
 * the report then names this process as untraced, and never a word goes
 * to the program's own stderr. Returns false when there is no such socket. */
static bool failure_notify(const char *msg, size_t len)
{
    size_t n = strlen(cl_cfg.notify);
    if (!n) return false;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path + 1, cl_cfg.notify, n); /* sun_path[0] = 0: abstract */
    int fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    long sent = syscall(SYS_sendto, fd, msg, len, MSG_DONTWAIT, &sa,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
    syscall(SYS_close, fd);
    return sent == (long)len;
}

void trace_report_failure(void)
{
    char msg[4096 + 256];
    struct jb b;
    int err = errno;
    const char *why = strerrordesc_np(err);
    jb_init(&b, msg, sizeof(msg));
    jb_u64(&b, (uint64_t)cl_pid);
    jb_raw(&b, "\tcannot create its trace file in ");
    jb_raw(&b, cl_cfg.dir);
    jb_raw(&b, ": ");
    jb_raw(&b, why ? why : "error");
    if (!failure_notify(b.p, b.len)) { /* preloaded by hand: stderr is all there is */
        jb_init(&b, msg, sizeof(msg));
        jb_raw(&b, "connleak: cannot create a trace file in ");
        jb_raw(&b, cl_cfg.dir);
        jb_raw(&b, ": ");
        jb_raw(&b, why ? why : "error");
        jb_raw(&b, "; this process is not traced\n");
        if (REAL(write)(2, b.p, b.len) < 0) { /* nothing more we can do */
        }
    }
    errno = err;
}

/* A forked child, a launcher, or a program a launcher exec'd opens its trace
 * at its first socket event, so that processes which never touch a socket
 * (most children of a fork+exec) leave no empty file behind. */
void trace_open_lock_take(void)
{
    lock_take(&open_lock);
}

void trace_open_lock_give(void)
{
    lock_give(&open_lock);
}

bool trace_ensure_open(void)
{
    static bool failed;
    if (likely(atomic_load_explicit(&created, memory_order_acquire)) || tl_opening) return true;
    if (failed || atomic_load(&cl_state) != CL_ON) return false;
    lock_take(&open_lock);
    if (!atomic_load(&created) && !failed) {
        tl_opening = 1; /* our own first lines go in; other threads wait for them */
        if (trace_create(cl_forked) == 0) {
            if (cl_forked) fdtable_emit_inherited();
            trace_publish();
        } else {
            failed = true;
            trace_report_failure();
        }
        tl_opening = 0;
    }
    lock_give(&open_lock);
    if (atomic_load(&created)) flusher_start(); /* no-op where it already runs */
    return atomic_load(&created);
}
