/* hooks_process.c - fork and the exits that skip destructors.
 *
 * fork: the locks are taken around the real fork so the child never
 * inherits one held by a thread that does not exist there; the child then
 * gets a trace file of its own (opened at its first socket event), with what
 * it inherited marked as inherited. _exit/_Exit skip atexit and destructors:
 * they write the exit record first. vfork children share our memory and are
 * left alone (see hook_in_vfork_child). */
#define _GNU_SOURCE
#include "connleak.h"

#include <sys/syscall.h>
#include <unistd.h>

CL_EXPORT pid_t fork(void)
{
    if (!hook_enter()) return REAL(fork)();
    lifecycle_fork_prepare();
    pid_t pid = REAL(fork)();
    int saved = errno;
    if (pid == 0)
        lifecycle_fork_child();
    else
        lifecycle_fork_parent();
    hook_leave();
    errno = saved;
    return pid;
}

static void exit_record(void)
{
    if (!hook_enter()) return;
    if (!hook_in_vfork_child()) lifecycle_finish("exit");
    hook_leave();
}

CL_EXPORT void _exit(int status)
{
    exit_record();
    if (REAL(_exit)) REAL(_exit)(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

CL_EXPORT void _Exit(int status)
{
    exit_record();
    if (REAL(_Exit)) REAL(_Exit)(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}
