/* hooks_creds.c - a process about to drop its privileges opens its trace
 * first.
 *
 * A forked child opens its trace file at its first socket event (trace.c).
 * nginx's and lighttpd's workers switch to an unprivileged user (nobody,
 * www-data) before that, and could then no longer create their file in
 * the root-owned trace directory: they went untraced. Before a call that
 * changes the user ids runs, the trace is opened while the process can
 * still create it; afterwards it writes through the fd it already holds. */
#define _GNU_SOURCE
#include "preload.h"
#include "guard.h"
#include "trace.h"

#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

static int (*real_setuid)(uid_t);
static int (*real_seteuid)(uid_t);
static int (*real_setreuid)(uid_t, uid_t);
static int (*real_setresuid)(uid_t, uid_t, uid_t);

__attribute__((constructor)) static void creds_resolve(void)
{
    real_setuid = (int (*)(uid_t))dlsym(RTLD_NEXT, "setuid");
    real_seteuid = (int (*)(uid_t))dlsym(RTLD_NEXT, "seteuid");
    real_setreuid = (int (*)(uid_t, uid_t))dlsym(RTLD_NEXT, "setreuid");
    real_setresuid = (int (*)(uid_t, uid_t, uid_t))dlsym(RTLD_NEXT, "setresuid");
}

/* Opens the trace if this process has none yet (errno kept). */
static void trace_before_drop(void)
{
    int saved = errno;
    if (hook_enter_recording()) {
        trace_ensure_open();
        hook_leave();
    }
    errno = saved;
}

CL_EXPORT int setuid(uid_t uid)
{
    trace_before_drop();
    return real_setuid ? real_setuid(uid) : (int)syscall(SYS_setuid, uid);
}

CL_EXPORT int seteuid(uid_t euid)
{
    trace_before_drop();
    return real_seteuid ? real_seteuid(euid) : (int)syscall(SYS_setresuid, -1, euid, -1);
}

CL_EXPORT int setreuid(uid_t ruid, uid_t euid)
{
    trace_before_drop();
    return real_setreuid ? real_setreuid(ruid, euid) : (int)syscall(SYS_setreuid, ruid, euid);
}

CL_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
    trace_before_drop();
    return real_setresuid ? real_setresuid(ruid, euid, suid)
                          : (int)syscall(SYS_setresuid, ruid, euid, suid);
}
