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
 * close those two. */
#define _GNU_SOURCE
#include "preload.h"
#include "fdtable.h"
#include "guard.h"
#include "ownfds.h"
#include "real.h"

#include <linux/close_range.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

CL_EXPORT int close(int fd)
{
    int entry_errno = errno;
    if (ownfd_refused(fd)) {
        errno = EBADF;
        return -1;
    }
    if (!hook_enter_recording()) return REAL(close)(fd);
    bool tracked = track_close(fd, "close");
    int ret = REAL(close)(fd);
    int err = ret == 0 ? entry_errno : errno;
    if (ret == 0 || err != EBADF)
        track_closed_ok(fd, tracked); /* Linux frees the fd even on EINTR/EIO */
    else if (!tracked)
        track_badclose(fd);
    hook_leave();
    errno = err;
    return ret;
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
                             : (int)syscall(SYS_close_range, first, last, flags);
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
