/* hooks_signal.c - the dump signal stays the program's: sigaction, signal,
 * bsd_signal, ssignal, sysv_signal and __sysv_signal on CONNLEAK_DUMP_SIGNAL
 * set and show the program's own action, which connleak's handler chains
 * to (dump.c). Every other signal, and every call before connleak started
 * or in a vfork child (whose signal actions are its own copy), goes
 * straight to libc. */
#define _GNU_SOURCE
#include "preload.h"
#include "dump.h"
#include "guard.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_fn)(int, sighandler_t);

static sigaction_fn real_sigaction;
static signal_fn real_signal, real_bsd, real_ssignal, real_sysv, real__sysv;

/* From the constructor: a first call from a signal handler must not run
 * dlsym (it takes the loader's lock). */
void signal_hooks_resolve(void)
{
    real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    real_signal = (signal_fn)dlsym(RTLD_NEXT, "signal");
    real_bsd = (signal_fn)dlsym(RTLD_NEXT, "bsd_signal");
    real_ssignal = (signal_fn)dlsym(RTLD_NEXT, "ssignal");
    real_sysv = (signal_fn)dlsym(RTLD_NEXT, "sysv_signal");
    real__sysv = (signal_fn)dlsym(RTLD_NEXT, "__sysv_signal");
}

static bool chained(int sig)
{
    return dump_signal_is(sig) && !hook_in_vfork_child();
}

CL_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (chained(sig)) return dump_sigaction(sig, act, old);
    if (!real_sigaction) signal_hooks_resolve(); /* called before the constructor */
    return real_sigaction(sig, act, old);
}

/* signal()'s two flavours over sigaction, as glibc builds them: BSD (the
 * signal blocked in its handler, system calls restarted) and System V
 * (one-shot, not blocked, not restarted). */
static sighandler_t signal_as(int sig, sighandler_t h, int flags)
{
    struct sigaction act, old;
    if (h == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&act, 0, sizeof(act));
    act.sa_handler = h;
    sigemptyset(&act.sa_mask);
    if (!(flags & SA_NODEFER)) sigaddset(&act.sa_mask, sig);
    act.sa_flags = flags;
    return dump_sigaction(sig, &act, &old) == 0 ? old.sa_handler : SIG_ERR;
}

static sighandler_t signal_real(signal_fn *fn, int sig, sighandler_t h)
{
    if (!*fn) signal_hooks_resolve();
    if (!*fn) { /* not in this libc: the program could not have called it */
        errno = ENOSYS;
        return SIG_ERR;
    }
    return (*fn)(sig, h);
}

#define BSD_FLAVOUR  SA_RESTART
#define SYSV_FLAVOUR (SA_RESETHAND | SA_NODEFER)

CL_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
    return chained(sig) ? signal_as(sig, h, BSD_FLAVOUR) : signal_real(&real_signal, sig, h);
}

CL_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
    return chained(sig) ? signal_as(sig, h, BSD_FLAVOUR) : signal_real(&real_bsd, sig, h);
}

CL_EXPORT sighandler_t ssignal(int sig, sighandler_t h)
{
    return chained(sig) ? signal_as(sig, h, BSD_FLAVOUR) : signal_real(&real_ssignal, sig, h);
}

CL_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h)
{
    return chained(sig) ? signal_as(sig, h, SYSV_FLAVOUR) : signal_real(&real_sysv, sig, h);
}

CL_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t h)
{
    return chained(sig) ? signal_as(sig, h, SYSV_FLAVOUR) : signal_real(&real__sysv, sig, h);
}
