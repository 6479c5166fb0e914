/* dump.c - the live set on demand: `kill -USR2 PID` makes connleak write
 * every socket still open (`live` records with "dump":N, after a `dump`
 * record) into the trace of a running service, at once, so that
 * `connleak report` on that trace reports leaks without stopping it.
 * Before the list, the table is checked against the process's fds as at
 * exit (fdtable_verify_live): a socket closed unseen is closed "unseen".
 *
 * CONNLEAK_DUMP_SIGNAL picks the signal (USR1, USR2 or RTMIN+n, a name or a
 * number; default USR2; 0 or "off": none). The signal stays the program's:
 * connleak's handler is installed in the kernel once, at start, and chains
 * to whatever the program asks for, before or after that (signal,
 * sigaction with or without SA_SIGINFO, bsd_signal, sysv_signal:
 * hooks_signal.c). The program's action is kept here, not in the kernel:
 * sigaction() shows it to the program as its own, and on delivery connleak
 * asks for its dump first, then runs the program's handler with the same
 * arguments, under the program's sa_mask, SA_NODEFER, SA_ONSTACK,
 * SA_RESTART and SA_RESETHAND. SIG_IGN: the dump, and the signal is
 * otherwise ignored. SIG_DFL: the dump only (connleak's documented
 * behaviour: the program is not terminated). An action set before connleak
 * started (inherited SIG_IGN, another library's constructor) is taken over
 * the same way.
 *
 * The handler only raises a flag and wakes connleak's own thread, which
 * writes the dump: it is async-signal-safe and leaves errno alone. The
 * program's action is changed under a spinlock taken with every signal
 * blocked, so the handler (which reads it under the same lock) never spins
 * on a lock its own thread holds. Not seen: the raw rt_sigaction system
 * call, sigset(), siginterrupt(). */
#define _GNU_SOURCE
#include "config.h"
#include "dump.h"
#include "events.h"
#include "fdtable.h"
#include "lifecycle.h"
#include "trace.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* set by glibc on every action it installs */
#endif
#define KERNEL_FLAGS (SA_RESTART | SA_ONSTACK | SA_NODEFER) /* passed on as they are */

static _Atomic int dump_wanted;
static _Atomic uint32_t dump_seq;
static _Atomic int chain_sig;     /* the signal connleak chains, 0 = none */
static struct sigaction prog_act; /* the program's action for it */
static cl_lock_t act_lock = CL_LOCK_INIT;

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static sigaction_fn fn;
    if (!fn) fn = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction"); /* resolved at start */
    return fn(sig, act, old);
}

/* Takes the action lock with every signal blocked on this thread. */
static void act_lock_take(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, old);
    lock_take(&act_lock);
}

static void act_lock_give(const sigset_t *old)
{
    lock_give(&act_lock);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

static bool is_handler(const struct sigaction *a)
{
    return a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN;
}

/* The program's handler, with its arguments, as the kernel would call it. */
static void prog_call(int sig, siginfo_t *info, void *uc)
{
    struct sigaction a;
    sigset_t old;
    act_lock_take(&old);
    a = prog_act;
    if (is_handler(&a) && (a.sa_flags & SA_RESETHAND)) { /* one-shot: SIG_DFL from now on */
        prog_act.sa_handler = SIG_DFL;
        prog_act.sa_flags &= ~SA_SIGINFO;
    }
    act_lock_give(&old);
    if (!is_handler(&a)) return; /* SIG_IGN, or SIG_DFL: the dump was all */
    if (a.sa_flags & SA_SIGINFO)
        a.sa_sigaction(sig, info, uc);
    else
        a.sa_handler(sig);
}

static void dump_on_signal(int sig, siginfo_t *info, void *uc)
{
    atomic_store(&dump_wanted, 1);
    flusher_wake(); /* a futex wake: async-signal-safe, errno kept */
    prog_call(sig, info, uc);
}

/* The kernel's action: connleak's handler, with the program's mask and
 * flags where it has a handler of its own. */
static void kernel_act_make(const struct sigaction *prog, struct sigaction *k)
{
    memset(k, 0, sizeof(*k));
    k->sa_sigaction = dump_on_signal;
    sigemptyset(&k->sa_mask);
    k->sa_flags = SA_SIGINFO | SA_RESTART;
    if (!is_handler(prog)) return;
    k->sa_mask = prog->sa_mask;
    k->sa_flags = SA_SIGINFO | (prog->sa_flags & KERNEL_FLAGS);
}

void dump_install(void)
{
    int sig = cl_cfg.dump_signal;
    struct sigaction k;
    sigset_t old;
    if (sig <= 0) return;
    act_lock_take(&old);
    if (real_sigaction(sig, NULL, &prog_act) == 0) { /* taken over: SIG_IGN, or a handler */
        kernel_act_make(&prog_act, &k);
        if (real_sigaction(sig, &k, NULL) == 0) atomic_store(&chain_sig, sig);
    }
    act_lock_give(&old);
}

bool dump_signal_is(int sig)
{
    return sig > 0 && sig == atomic_load(&chain_sig);
}

/* The program's new action, as glibc would show it back: with glibc's
 * restorer (which it adds to every action it installs). */
static void prog_act_set(int sig, const struct sigaction *act)
{
    struct sigaction k;
    prog_act = *act;
    if (real_sigaction(sig, NULL, &k) == 0) {
        prog_act.sa_flags |= k.sa_flags & SA_RESTORER;
        prog_act.sa_restorer = k.sa_restorer;
    }
}

/* sigaction() by the program on the dump signal: its action is kept, the
 * kernel's changes only in mask and flags. */
int dump_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int entry_errno = errno, ret = 0;
    struct sigaction was, k;
    sigset_t mask;
    act_lock_take(&mask);
    was = prog_act;
    if (act) {
        kernel_act_make(act, &k);
        ret = real_sigaction(sig, &k, NULL);
        if (ret == 0) prog_act_set(sig, act);
    }
    act_lock_give(&mask);
    if (ret == 0 && old) *old = was;
    errno = ret == 0 ? entry_errno : errno;
    return ret;
}

/* Before the program execs: an action the new image inherits is SIG_IGN
 * only (handlers become SIG_DFL), so the kernel must hold SIG_IGN where the
 * program asked for it. dump_exec_failed() puts connleak's handler back. */
void dump_exec_prepare(void)
{
    sigset_t mask;
    int sig = atomic_load(&chain_sig);
    if (!sig) return;
    act_lock_take(&mask);
    if (prog_act.sa_handler == SIG_IGN) {
        struct sigaction ign = prog_act;
        real_sigaction(sig, &ign, NULL);
    }
    act_lock_give(&mask);
}

void dump_exec_failed(void)
{
    sigset_t mask;
    struct sigaction k;
    int sig = atomic_load(&chain_sig), saved = errno;
    if (!sig) return;
    act_lock_take(&mask);
    kernel_act_make(&prog_act, &k);
    real_sigaction(sig, &k, NULL);
    act_lock_give(&mask);
    errno = saved;
}

/* A fork child: another thread may have held the lock at the fork. */
void dump_after_fork_child(void)
{
    atomic_flag_clear(&act_lock.f);
}

static void dump_one(struct sock_rec *r, const int *fds, int nfds, void *arg)
{
    ev_live(r, fds, nfds, *(const uint32_t *)arg);
}

/* On connleak's thread: writes the dump if one was asked for. */
void dump_if_wanted(void)
{
    if (!atomic_exchange(&dump_wanted, 0) || !trace_is_open()) return;
    uint32_t seq = atomic_fetch_add(&dump_seq, 1) + 1;
    fdtable_verify_live(); /* as at exit: what closed unseen is not listed */
    fdtable_each_live(live_promote_one, NULL);
    ev_dump(seq, "signal");
    fdtable_each_live(dump_one, &seq);
    trace_flush();
}
