/* dump.c - the live set on demand: `kill -USR2 PID` makes connleak write
 * every socket still open (`live` records with "dump":N, after a `dump`
 * record) into the trace of a running service, at once, so that
 * `connleak report` on that trace reports leaks without stopping it.
 *
 * CONNLEAK_DUMP_SIGNAL picks the signal (a number or a name: USR1, USR2,
 * ...; default USR2; 0 or "off": none). The handler is installed at
 * start-up only where the signal still has its default action, so a
 * program that handles the signal itself keeps it (and one that installs a
 * handler later replaces ours). The handler only raises a flag and wakes
 * connleak's own thread, which writes the dump: it is async-signal-safe
 * and leaves errno alone. */
#define _GNU_SOURCE
#include "config.h"
#include "dump.h"
#include "events.h"
#include "fdtable.h"
#include "lifecycle.h"
#include "trace.h"

#include <signal.h>
#include <string.h>

static _Atomic int dump_wanted;
static _Atomic uint32_t dump_seq;

static void dump_on_signal(int sig)
{
    (void)sig;
    atomic_store(&dump_wanted, 1);
    flusher_wake(); /* a futex wake: async-signal-safe, errno kept */
}

void dump_install(void)
{
    int sig = cl_cfg.dump_signal;
    struct sigaction old, sa;
    if (sig <= 0 || sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
        (old.sa_flags & SA_SIGINFO))
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = dump_on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
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
    fdtable_each_live(live_promote_one, NULL);
    ev_dump(seq, "signal");
    fdtable_each_live(dump_one, &seq);
    trace_flush();
}
