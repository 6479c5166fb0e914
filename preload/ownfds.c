/* ownfds.c - connleak's own fds inside the program: how many, where they
 * live, and how the program is kept off them.
 *
 * How many: at most 3 for the program's whole life, the trace file and
 * libunwind's memory-validation pipe (2; none with CONNLEAK_DEPTH=0). Two
 * more are open only for moments, on connleak's own thread (the exit's
 * sample: the exiting thread): the sock_diag netlink socket while a sample
 * reads the kernel's socket list (milliseconds, at the lowest free number;
 * above the limit when the program has none left: ownfd_socket_transient),
 * and /proc/self/cmdline while a trace header is written (at the lowest
 * free number, for microseconds).
 *
 * Where: above the program's soft RLIMIT_NOFILE. The kernel never hands out
 * a number at or above the soft limit (open fails with EMFILE, dup2 onto it
 * with EBADF), yet fds already there stay valid: so they cost the program
 * none of its budget, and a program that opens exactly as many fds as its
 * limit allows gets all of them. To put one there the soft limit is raised
 * for the one F_DUPFD_CLOEXEC and set back at once (the hard limit too
 * where the soft one already equals it and the process may raise it: root;
 * another thread's getrlimit in those two system calls would see it raised,
 * and its setrlimit in between is kept).
 * Where there is no room above and the limit cannot be raised (soft ==
 * hard without CAP_SYS_RESOURCE), connleak reserves the top of the range
 * instead: each fd goes to the number just under the soft limit and the
 * soft limit is lowered by one under it, so the program's getrlimit says
 * what it can open and a program that opens exactly its limit gets all of
 * it (3 fewer than without connleak: the numbers have to come from
 * somewhere). Before an exec the soft limit is given back (the new image
 * has none of these close-on-exec fds; if it is traced it reserves again)
 * and taken again if the exec fails.
 * Not where the soft limit is above ABOVE_MAX (the kernel's fd table, copied
 * at every fork, would grow to that size) or the top numbers are the
 * program's: then they sit 32 under min(soft limit, 1024), as close-on-exec
 * as everywhere, and take 3 numbers of the program's budget. A program that
 * raises its soft limit past them later has them inside its range too.
 *
 * Kept off: the program never had them, so it is answered as for any number
 * it never opened, as glibc and libunwind do for their private fds: close()
 * fails with EBADF and leaves the fd open; close_range() and closefrom()
 * close everything around them; dup, dup2, dup3 and fcntl on one fail with
 * EBADF. dup2/dup3 *onto* one (the program believes the number free) must
 * succeed: the trace moves to another number first (libunwind's pipe
 * cannot move, its numbers live inside libunwind: stacks stop instead, with
 * a note). A close connleak cannot see (a raw syscall) is caught at the
 * next flush: the trace is reopened by path (trace.c); until then a number
 * is refused only while it still holds connleak's file (same device and
 * inode), so one the program got back in between is the program's. */
#define _GNU_SOURCE
#include "preload.h"
#include "ownfds.h"
#include "stacks.h"
#include "trace.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ABOVE_MAX   32768 /* soft limits up to this: connleak's fds above them */
#define ABOVE_ROOM  8     /* numbers above the soft limit connleak may take */
#define UNDER_GAP   32    /* else: this far under min(soft limit, 1024) */
#define RESERVE_MIN 16    /* soft limits up to this are never lowered */

static int nofile_get(struct rlimit *rl)
{
    return (int)syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, rl);
}

/* Sets the limit back to *was, unless the program changed it meanwhile
 * (another thread's setrlimit between ours): then its value stays. */
static void nofile_restore(const struct rlimit *was, const struct rlimit *ours)
{
    struct rlimit now;
    if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, was, &now) != 0) return;
    if (now.rlim_cur != ours->rlim_cur || now.rlim_max != ours->rlim_max)
        syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &now, NULL);
}

/* Raises the soft limit ABOVE_ROOM over rl's into *up; false if it may not. */
static bool nofile_raise(const struct rlimit *rl, struct rlimit *up)
{
    rlim_t soft = rl->rlim_cur;
    if (soft == RLIM_INFINITY || soft > ABOVE_MAX || soft < 3) return false;
    *up = (struct rlimit){soft + ABOVE_ROOM, rl->rlim_max};
    if (up->rlim_max != RLIM_INFINITY && up->rlim_max < up->rlim_cur) {
        if (up->rlim_max > soft)
            up->rlim_cur = up->rlim_max; /* what room there is */
        else
            up->rlim_max = up->rlim_cur; /* soft == hard: only root may raise it */
    }
    return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, up, NULL) == 0; /* else: not root */
}

/* A copy of fd at the first free number at or above the soft limit, or -1. */
static int dup_above(int fd, const struct rlimit *rl)
{
    struct rlimit up;
    if (!nofile_raise(rl, &up)) return -1;
    int nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (int)rl->rlim_cur);
    nofile_restore(rl, &up);
    return nfd;
}

/* A socket of connleak's for a moment (the sampler's sock_diag read, a few
 * ms), at the lowest free number like glibc's internal fds. When the
 * program has none left (EMFILE), it is made with the soft limit raised
 * for the one socket() (where the limit may be raised: up to the hard one,
 * or by root), so it lands above the program's range and a program at its
 * limit does not make the read fail. The raise is taken only then: for
 * those system calls another thread's getrlimit would see it, and an exec
 * from another thread would keep it; a fork child undoes it
 * (ownfd_fork_child). errno is the socket's on failure, else kept. */
static struct rlimit raise_was, raise_up; /* the raise under way, if raise_on */
static _Atomic bool raise_on;

int ownfd_socket_transient(int domain, int type, int protocol)
{
    int saved = errno;
    int fd = (int)syscall(SYS_socket, domain, type, protocol), err = errno;
    if (fd < 0 && err == EMFILE && nofile_get(&raise_was) == 0) {
        raise_up = (struct rlimit){0, 0};
        atomic_store(&raise_on, true); /* a fork from now on undoes it (ownfd_fork_child) */
        if (nofile_raise(&raise_was, &raise_up)) {
            fd = (int)syscall(SYS_socket, domain, type, protocol), err = errno;
            nofile_restore(&raise_was, &raise_up);
        }
        atomic_store(&raise_on, false);
    }
    errno = fd >= 0 ? saved : err;
    return fd;
}

/* A child forked while ownfd_socket_transient had the limit raised gets
 * the program's limit back (unless it is no longer connleak's raise). */
void ownfd_fork_child(void)
{
    if (!atomic_load(&raise_on)) return;
    int saved = errno;
    if (raise_up.rlim_cur) nofile_restore(&raise_was, &raise_up);
    atomic_store(&raise_on, false);
    errno = saved;
}

/* The soft limit before connleak lowered it under its fds, and what it
 * lowered it to (0: never lowered). */
static rlim_t reserve_from, reserve_to;

/* A copy of fd at the number just under the soft limit, which is then
 * lowered under it (lowering needs no privilege), or -1 when that number is
 * the program's. */
static int dup_reserve(int fd, const struct rlimit *rl)
{
    rlim_t soft = rl->rlim_cur;
    if (soft == RLIM_INFINITY || soft > ABOVE_MAX || soft <= RESERVE_MIN) return -1;
    int nfd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, (int)(soft - 1));
    if (nfd < 0) return -1; /* soft - 1 is taken: F_DUPFD looks no higher */
    struct rlimit low = {soft - 1, rl->rlim_max};
    if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &low, NULL) != 0) {
        syscall(SYS_close, nfd);
        return -1;
    }
    if (!reserve_from || reserve_to != soft) reserve_from = soft; /* the program's own */
    reserve_to = soft - 1;
    return nfd;
}

/* Sets the soft limit from `from` to `to`, if it is still `from`. */
static void nofile_swap(rlim_t from, rlim_t to)
{
    struct rlimit rl;
    if (!from || nofile_get(&rl) != 0 || rl.rlim_cur != from) return;
    rl.rlim_cur = to;
    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL);
}

void ownfd_exec_before(void)
{
    int saved = errno;
    nofile_swap(reserve_to, reserve_from);
    errno = saved;
}

void ownfd_exec_failed(void)
{
    int saved = errno;
    nofile_swap(reserve_from, reserve_to);
    errno = saved;
}

/* A copy of fd near the top of the program's range, or -1. */
static int dup_under(int fd, rlim_t soft)
{
    long top = soft < 1024 ? (long)soft : 1024;
    if (top <= UNDER_GAP || fd >= top - UNDER_GAP) return -1;
    return (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, top - UNDER_GAP);
}

int ownfd_dup_high(int fd)
{
    struct rlimit rl;
    if (nofile_get(&rl) != 0) return -1;
    int nfd = dup_above(fd, &rl);
    if (nfd < 0) nfd = dup_reserve(fd, &rl);
    return nfd >= 0 ? nfd : dup_under(fd, rl.rlim_cur);
}

int ownfd_place_high(int fd)
{
    int saved = errno;
    int nfd = ownfd_dup_high(fd);
    errno = saved;
    if (nfd < 0) return fd;
    syscall(SYS_close, fd);
    return nfd;
}

bool ownfd_is(int fd)
{
    return fd >= 0 && (trace_fd_is(fd) || stacks_fd_reserved(fd));
}

/* An fd of connleak's that is still what connleak put there: a number
 * freed by a close connleak did not see (raw syscall) and given to the
 * program since is the program's (one fstat, only when the number is
 * connleak's). */
bool ownfd_refused(int fd)
{
    if (!ownfd_is(fd) || cl_in_unwind) return false; /* libunwind re-creating its pipe: its own */
    return trace_fd_owned(fd) || stacks_fd_owned(fd);
}

int ownfd_list(int out[OWNFD_MAX])
{
    int own[OWNFD_MAX] = {cl_trace_fd, cl_unwind_fds[0], cl_unwind_fds[1]}, n = 0;
    for (int i = 0; i < OWNFD_MAX; i++)
        if (own[i] >= 0) out[n++] = own[i];
    return n;
}
