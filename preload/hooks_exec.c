/* hooks_exec.c - flush the trace before the process image goes away.
 *
 * The trace is written through a buffer that the flusher empties every
 * CONNLEAK_FLUSH_MS: an exec (which replaces the image, buffer and all) or
 * an abort() would lose what came since the last flush. Every exec function
 * of libc's API, and abort(), first write the buffer out, synchronously,
 * then call the real function; errno is kept. glibc's execv/execvp/execl*
 * do not call execve through the PLT, so each is hooked itself (the execl
 * forms are turned into their execv form on the stack, as glibc does).
 * posix_spawn does not replace the caller: nothing to do.
 * Around the real exec, the soft RLIMIT_NOFILE connleak may have lowered
 * under its own fds is given back (ownfds.c): the new image has none of them.
 *
 * Not done: a flush on fatal signals (SIGSEGV, SIGBUS, ...) would need a
 * handler of connleak's, which changes the program's signal dispositions
 * (and the program may replace it at any time): a crash loses at most the
 * last CONNLEAK_FLUSH_MS of events (README "Limits"). */
#define _GNU_SOURCE
#include "preload.h"
#include "config.h"
#include "events.h"
#include "guard.h"
#include "lifecycle.h"
#include "ownfds.h"
#include "real.h"
#include "trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* Not in a vfork child (the buffer is the parent's), nor from a signal
 * handler that interrupted a hook of this thread (it may hold the lock).
 * what: the program about to be exec'd, which the trace names when it will
 * not be traced (--no-follow-exec: init.c took libconnleak out of
 * LD_PRELOAD, unless this process is a launcher); NULL for abort(). */
static void image_flush(const char *what)
{
    if (!hook_enter_recording()) return;
    if (what && !cl_cfg.follow_exec && !config_exe_is_launcher())
        ev_note("exec-not-followed", what); /* "PATH": not traced after this exec */
    if (what) lifecycle_exec_read();        /* an exec's: not abort()'s */
    trace_flush_end(); /* the reserve comes back: a failed exec reserves again */
    hook_leave();
}

CL_EXPORT int execve(const char *file, char *const argv[], char *const envp[])
{
    image_flush(file);
    ownfd_exec_before();
    int rc = REAL(execve)(file, argv, envp);
    ownfd_exec_failed(); /* errno kept */
    return rc;
}

CL_EXPORT int execv(const char *file, char *const argv[])
{
    image_flush(file);
    ownfd_exec_before();
    int rc = REAL(execv)(file, argv);
    ownfd_exec_failed(); /* errno kept */
    return rc;
}

CL_EXPORT int execvp(const char *file, char *const argv[])
{
    image_flush(file);
    ownfd_exec_before();
    int rc = REAL(execvp)(file, argv);
    ownfd_exec_failed(); /* errno kept */
    return rc;
}

CL_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    image_flush(file);
    ownfd_exec_before();
    int rc = REAL(execvpe)(file, argv, envp);
    ownfd_exec_failed(); /* errno kept */
    return rc;
}

CL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    image_flush(argv[0] ? argv[0] : "(fexecve)");
    ownfd_exec_before();
    int rc = REAL(fexecve)(fd, argv, envp);
    ownfd_exec_failed(); /* errno kept */
    return rc;
}

CL_EXPORT int execveat(int dirfd, const char *file, char *const argv[], char *const envp[],
                       int flags)
{
    image_flush(file);
    ownfd_exec_before();
    int rc = REAL(execveat)(dirfd, file, argv, envp, flags);
    ownfd_exec_failed(); /* errno kept */
    return rc;
}

/* The number of arguments of an execl call, arg0 included. */
static size_t args_count(const char *arg0, va_list ap)
{
    size_t n = 1;
    (void)arg0;
    while (va_arg(ap, const char *)) n++;
    return n;
}

/* argv (n + 1 slots) from arg0 and the n - 1 variadic arguments after it. */
static void args_fill(const char **argv, size_t n, const char *arg0, va_list ap)
{
    argv[0] = arg0;
    for (size_t i = 1; i < n; i++) argv[i] = va_arg(ap, const char *);
    argv[n] = NULL;
}

/* argv: arg0 and the variadic arguments up to their NULL, on the stack as
 * glibc's execl builds it; ap is left open, at that NULL. */
#define ARGV_FROM_VA(argv, arg0, ap)                                                               \
    va_start(ap, arg0);                                                                            \
    size_t argc_ = args_count(arg0, ap);                                                           \
    va_end(ap);                                                                                    \
    const char *argv[argc_ + 1];                                                                   \
    va_start(ap, arg0);                                                                            \
    args_fill(argv, argc_, arg0, ap)

CL_EXPORT int execl(const char *file, const char *arg0, ...)
{
    va_list ap;
    ARGV_FROM_VA(argv, arg0, ap);
    va_end(ap);
    return execv(file, (char *const *)argv);
}

CL_EXPORT int execlp(const char *file, const char *arg0, ...)
{
    va_list ap;
    ARGV_FROM_VA(argv, arg0, ap);
    va_end(ap);
    return execvp(file, (char *const *)argv);
}

CL_EXPORT int execle(const char *file, const char *arg0, ...)
{
    va_list ap;
    ARGV_FROM_VA(argv, arg0, ap);
    (void)va_arg(ap, const char *); /* the NULL that ends the list */
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(file, (char *const *)argv, envp);
}

/* abort() raises SIGABRT: the buffer goes out first, so that the report
 * shows what the program did up to its abort. */
CL_EXPORT void abort(void)
{
    image_flush(NULL);
    REAL(abort)();
    __builtin_unreachable();
}
