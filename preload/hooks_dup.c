/* hooks_dup.c - another fd for the same socket: dup, dup2, dup3 and
 * fcntl(F_DUPFD / F_DUPFD_CLOEXEC). A socket shared by several fds is closed
 * only when the last of them goes. dup2/dup3 onto a tracked number closes
 * what was there.
 *
 * connleak's own fds (ownfds.c) are numbers the program never opened: dup,
 * dup2, dup3 and fcntl (any command) on one fail with EBADF. dup2/dup3
 * *onto* one must succeed, the number being free as far as the program
 * knows: the trace moves to another number first; libunwind's pipe cannot
 * move (libunwind keeps its numbers), so stacks stop, with a note. */
#define _GNU_SOURCE
#include "preload.h"
#include "fdtable.h"
#include "guard.h"
#include "ownfds.h"
#include "real.h"
#include "stacks.h"
#include "trace.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

/* After the real call: on success errno is what the program had on entry
 * (connleak's own calls before the real one must not show through). */
static int dup_done(int ret, int entry_errno, int oldfd, const char *how)
{
    int err = ret >= 0 ? entry_errno : errno;
    if (ret >= 0) track_dup(oldfd, ret, how);
    hook_leave();
    errno = err;
    return ret;
}

/* The program's call names one of connleak's fds as its source. */
static int refused(void)
{
    errno = EBADF;
    return -1;
}

/* dup2/dup3 onto newfd, connleak's trace fd: the trace moves away first;
 * if the call then fails, the number must not keep a copy of the trace. */
static bool onto_prepare(int newfd)
{
    bool moved = trace_fd_is(newfd);
    if (moved) trace_fd_vacate(newfd);
    stacks_fd_taken(newfd);
    return moved;
}

static int onto_done(int ret, int newfd, bool moved)
{
    if (ret < 0 && moved) {
        int err = errno;
        syscall(SYS_close, newfd);
        errno = err;
    }
    return ret;
}

CL_EXPORT int dup(int oldfd)
{
    int entry_errno = errno;
    if (ownfd_refused(oldfd)) return refused();
    if (!hook_enter_recording()) return REAL(dup)(oldfd);
    return dup_done(REAL(dup)(oldfd), entry_errno, oldfd, "dup");
}

CL_EXPORT int dup2(int oldfd, int newfd)
{
    int entry_errno = errno;
    if (ownfd_refused(oldfd)) return refused();
    if (oldfd == newfd || !hook_enter_recording()) return REAL(dup2)(oldfd, newfd);
    bool moved = onto_prepare(newfd);
    int ret = onto_done(REAL(dup2)(oldfd, newfd), newfd, moved);
    return dup_done(ret, entry_errno, oldfd, "dup2");
}

CL_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    int entry_errno = errno;
    if (ownfd_refused(oldfd)) return refused();
    if (oldfd == newfd || !hook_enter_recording())
        return REAL(dup3)(oldfd, newfd, flags); /* EINVAL */
    bool moved = onto_prepare(newfd);
    int ret = onto_done(REAL(dup3)(oldfd, newfd, flags), newfd, moved);
    return dup_done(ret, entry_errno, oldfd, "dup3");
}

/* fcntl's third argument is an int or a pointer; passing it on as a pointer
 * is what every interposer does on x86_64 (same register). */
static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
    int entry_errno = errno;
    if (ownfd_refused(fd)) return refused();
    if ((cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || !hook_enter_recording())
        return real(fd, cmd, arg);
    return dup_done(real(fd, cmd, arg), entry_errno, fd, "fcntl");
}

CL_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(REAL(fcntl), fd, cmd, arg);
}

CL_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(REAL(fcntl64), fd, cmd, arg);
}

/* pipe2 is hooked for one caller only: libunwind, creating its memory
 * validation pipe while connleak unwinds. Its fds are moved up next to the
 * trace fd so that the program's own fd numbers stay what they would be
 * without connleak. Every other pipe2 passes straight through. */
CL_EXPORT int pipe2(int fds[2], int flags)
{
    int ret = REAL(pipe2)(fds, flags);
    if (ret != 0 || !cl_in_unwind) return ret;
    for (int i = 0; i < 2; i++) {
        int high = ownfd_place_high(fds[i]);
        cl_unwind_fds[i] = high;
        fds[i] = high;
    }
    stacks_fds_created();
    return ret;
}
