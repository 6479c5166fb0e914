/* hooks_close.c - where socket fds go away: close, close_range, closefrom,
 * fclose (an fdopen()ed socket closed through stdio).
 *
 * The fd is forgotten *before* the real close: once the kernel frees the
 * number another thread may get it at once, and its new socket must not be
 * mistaken for this one. A close that fails with EBADF is a double close
 * (we saw this number closed and nothing reopened it) or a foreign one.
 *
 * connleak's own fds (the trace, libunwind's pipe: ownfds.c) were never the
 * program's: its close() of one fails with EBADF as for any number it never
 * opened, and close_range()/closefrom() close everything around them, so a
 * daemon's close-everything sweep neither loses the trace nor is told that
 * numbers it never had were open. Only libunwind re-creating its pipe may
 * close those two.
 *
 * syscall() is hooked for the same calls made without libc's wrappers
 * (SYS_close, SYS_close_range, SYS_dup2, SYS_dup3): see the end of the file. */
#define _GNU_SOURCE
#include "preload.h"
#include "fdtable.h"
#include "guard.h"
#include "modules.h"
#include "ownfds.h"
#include "real.h"

#include <linux/close_range.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's close, as libc's close() or as syscall(SYS_close) (which is
 * no cancellation point): the program's own call, passed on as it made it. */
static int close_real(int fd, bool raw)
{
    return raw ? (int)REAL(syscall)(SYS_close, (long)fd) : REAL(close)(fd);
}

static int close_as(int fd, bool raw)
{
    int entry_errno = errno;
    if (ownfd_refused(fd)) {
        errno = EBADF;
        return -1;
    }
    if (!hook_enter_recording()) return close_real(fd, raw);
    bool tracked = track_close(fd, raw ? "syscall" : "close");
    int ret = close_real(fd, raw);
    int err = ret == 0 ? entry_errno : errno;
    if (ret == 0 || err != EBADF)
        track_closed_ok(fd, tracked); /* Linux frees the fd even on EINTR/EIO */
    else if (!tracked)
        track_badclose(fd);
    hook_leave();
    errno = err;
    return ret;
}

CL_EXPORT int close(int fd)
{
    return close_as(fd, false);
}

/* Forgets every tracked fd in [first, last] that the program is closing. */
static void range_forget(unsigned int first, unsigned int last, const char *how)
{
    unsigned int hi = atomic_load(&cl_fd_high);
    for (unsigned int fd = first; fd < hi && fd <= last; fd++)
        if (track_close((int)fd, how)) track_closed_ok((int)fd, true);
}

static int close_range_real(unsigned int first, unsigned int last, int flags)
{
    return REAL(close_range) ? REAL(close_range)(first, last, flags)
                             : (int)REAL(syscall)(SYS_close_range, first, last, flags);
}

/* Closes [a, b] one by one: where close_range is refused (seccomp, old
 * kernels), as glibc's closefrom falls back to. */
static int close_each(unsigned int a, unsigned int b)
{
    struct rlimit rl;
    unsigned int hi = 1u << 20;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < hi) hi = (unsigned int)rl.rlim_cur;
    for (unsigned int fd = a; fd <= b && fd < hi; fd++) REAL(close)((int)fd);
    return 0;
}

static int close_segment(unsigned int a, unsigned int b, int flags)
{
    int ret = close_range_real(a, b, flags);
    if (ret != 0 && (errno == ENOSYS || errno == EPERM) && !(flags & CLOSE_RANGE_CLOEXEC))
        ret = close_each(a, b);
    return ret;
}

/* close_range(..., CLOSE_RANGE_UNSHARE) over connleak's fds alone: nothing
 * to close, but the program still asked for a private fd table. */
static int unshare_files(int flags)
{
    return (flags & CLOSE_RANGE_UNSHARE) ? (int)syscall(SYS_unshare, CLONE_FILES) : 0;
}

/* connleak's fds in [first, last], sorted. */
static int own_in_range(unsigned int first, unsigned int last, unsigned int keep[OWNFD_MAX])
{
    int own[OWNFD_MAX], n = 0, nown = ownfd_list(own);
    for (int i = 0; i < nown; i++)
        if ((unsigned int)own[i] >= first && (unsigned int)own[i] <= last &&
            ownfd_refused(own[i])) /* still connleak's file */
            keep[n++] = (unsigned int)own[i];
    for (int i = 1; i < n; i++) /* sort, at most three */
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            unsigned int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    return n;
}

/* close_range over [first, last] that leaves connleak's own fds open: the
 * range is split around them; success as the kernel would give it for
 * numbers that were never open. */
static int close_range_sparing(unsigned int first, unsigned int last, int flags)
{
    unsigned int keep[OWNFD_MAX];
    int ret = 0, calls = 0;
    if (first > last) return close_range_real(first, last, flags); /* EINVAL, as without us */
    int n = own_in_range(first, last, keep);
    if (n == 0) return close_segment(first, last, flags);
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) {
        errno = EINVAL; /* as the kernel, before it closes anything */
        return -1;
    }
    bool done = false; /* the last kept fd was ~0u: nothing above it */
    for (int i = 0; i < n; i++) {
        if (keep[i] > first && ++calls && close_segment(first, keep[i] - 1, flags) != 0) ret = -1;
        if (keep[i] == ~0u) done = true;
        first = keep[i] + 1;
    }
    if (!done && first <= last && ++calls && close_segment(first, last, flags) != 0) ret = -1;
    return calls ? ret : unshare_files(flags);
}

CL_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    int entry_errno = errno;
    bool rec = hook_enter_recording();
    if (rec && !(flags & CLOSE_RANGE_CLOEXEC) && first <= last)
        range_forget(first, last, "close_range");
    int ret = close_range_sparing(first, last, flags); /* spare ours even unrecorded */
    int err = ret == 0 ? entry_errno : errno;
    if (rec) hook_leave();
    errno = err;
    return ret;
}

CL_EXPORT void closefrom(int lowfd)
{
    int entry_errno = errno;
    unsigned int low = lowfd < 0 ? 0 : (unsigned int)lowfd; /* as glibc clamps it */
    bool rec = hook_enter_recording();
    if (rec) range_forget(low, ~0u, "closefrom");
    close_range_sparing(low, ~0u, 0);
    if (rec) hook_leave();
    errno = entry_errno;
}

CL_EXPORT int fclose(FILE *fp)
{
    int entry_errno = errno;
    if (!fp || !hook_enter_recording()) return REAL(fclose)(fp);
    int fd = fileno_unlocked(fp);
    bool tracked = fd >= 0 && track_close(fd, "fclose");
    int ret = REAL(fclose)(fp);
    int saved = ret == 0 ? entry_errno : errno;
    if (tracked) track_closed_ok(fd, true);
    hook_leave();
    errno = saved;
    return ret;
}

/* ---- syscall(): the close family called without libc's wrappers ----
 * libuv (node) closes its sockets with syscall(SYS_close); others call
 * close_range, dup2 or dup3 that way. Those numbers take the hooks above
 * (hooks_dup.c for dup2/dup3), with connleak's own fds refused the same
 * way; every other number (futex, at a huge rate in some programs) costs
 * the argument copy and four compares. connleak's own raw calls (trace.c,
 * ownfds.c, ...) bind to this hook too, being in this library: they are
 * recognised by their return address and passed straight through. */
static bool sys_close_family(long n)
{
    return n == SYS_close || n == SYS_close_range
#ifdef SYS_dup2
           || n == SYS_dup2
#endif
           || n == SYS_dup3;
}

static long sys_close_hooked(long n, long a, long b, long c)
{
    switch (n) {
    case SYS_close:
        return close_as((int)a, true);
    case SYS_close_range:
        return close_range((unsigned int)a, (unsigned int)b, (int)c);
#ifdef SYS_dup2
    case SYS_dup2:
        return dup2((int)a, (int)b);
#endif
    default: /* SYS_dup3 */
        return dup3((int)a, (int)b, (int)c);
    }
}

CL_EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (likely(!sys_close_family(n)) ||
        modules_self_contains((uintptr_t)__builtin_return_address(0)))
        return REAL(syscall)(n, a, b, c, d, e, f);
    return sys_close_hooked(n, a, b, c);
}
