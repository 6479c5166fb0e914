/* lifecycle.c - periodic flush, fork, and the exit record.
 *
 * A helper thread with every signal blocked flushes the trace every
 * CONNLEAK_FLUSH_MS, so that a SIGKILLed program still leaves a readable
 * trace. fork() takes the locks around the real call and gives the child a
 * fresh start. At exit (destructor, or _exit) the live set and the end record
 * are written, once. (init.c is where it all starts.) */
#define _GNU_SOURCE
#include "preload.h"
#include "agg.h"
#include "config.h"
#include "dump.h"
#include "events.h"
#include "fdtable.h"
#include "guard.h"
#include "lifecycle.h"
#include "ownfds.h"
#include "prom.h"
#include "real.h"
#include "sampler.h"
#include "stacks.h"
#include "trace.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Atomic int cl_state;
pid_t cl_pid;
__thread int cl_in_hook __attribute__((tls_model("initial-exec")));
uint64_t cl_start_ns;
static _Atomic int finished;

uint64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t clock_since_start(void)
{
    return clock_now_ns() - cl_start_ns;
}

/* For the time of last I/O, stamped on every read and write: the coarse
 * clock (a few ms resolution, enough for idle times) never leaves the vDSO. */
CL_HOT uint64_t clock_coarse_since_start(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return now > cl_start_ns ? now - cl_start_ns : 1;
}

void lock_take(cl_lock_t *l)
{
    for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&l->f, memory_order_acquire);) {
        if (++spins < 64)
            __builtin_ia32_pause();
        else
            sched_yield(); /* the holder may be preempted */
    }
}

static _Atomic int flusher_stop;
/* Held by the flusher while it writes a dump or a sample, and by the exit
 * while it writes the live set and the end record. */
static cl_lock_t work_lock = CL_LOCK_INIT;
static pthread_t flusher_tid;

static void *flusher_main(void *arg)
{
    (void)arg;
    cl_in_hook = 1; /* this thread is connleak's: nothing it does is recorded */
    int ms =
        cl_cfg.sample_ms && cl_cfg.sample_ms < cl_cfg.flush_ms ? cl_cfg.sample_ms : cl_cfg.flush_ms;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L}; /* wakes for samples too */
    while (!atomic_load(&flusher_stop)) {
        /* sleeps flush_ms, or until flusher_pause() wakes it; once the exit
         * has written the end record it sleeps for good instead of ending:
         * a thread that ended unjoined is a "thread leak" to ThreadSanitizer,
         * which then changes the program's exit status */
        bool idle = atomic_load(&finished);
        syscall(SYS_futex, (int *)&flusher_stop, FUTEX_WAIT_PRIVATE, 0, idle ? NULL : &ts, NULL, 0);
        if (atomic_load(&flusher_stop)) break;
        if (idle) continue;
        stacks_check_fds();
        lock_take(&work_lock); /* the exit's live set and end record are written alone */
        if (!atomic_load(&finished) && atomic_load(&cl_state) == CL_ON) {
            stacks_notes();
            dump_if_wanted();
            sampler_tick();
        }
        lock_give(&work_lock);
        trace_flush();
    }
    return NULL;
}

/* Wakes the flusher before its period is over (a dump was asked for). */
void flusher_wake(void)
{
    int saved = errno;
    syscall(SYS_futex, (int *)&flusher_stop, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    errno = saved;
}

bool cl_forked;
static _Atomic int flusher_running;

void flusher_start(void)
{
    if (atomic_exchange(&flusher_running, 1)) return;
    sigset_t all, old;
    pthread_attr_t attr;
    int saved = errno;
    atomic_store(&flusher_stop, 0);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread inherits "all blocked" */
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (REAL(pthread_create)(&flusher_tid, &attr, flusher_main, NULL) != 0)
        atomic_store(&flusher_running, 0);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
}

/* Some calls need the process to be single-threaded (unshare of a user
 * namespace, setns): the flusher steps aside for them. Returns true if it
 * was running (then flusher_start() brings it back). */
bool flusher_pause(void)
{
    if (!atomic_load(&flusher_running)) return false;
    atomic_store(&flusher_stop, 1);
    syscall(SYS_futex, (int *)&flusher_stop, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(flusher_tid, NULL);
    atomic_store(&flusher_running, 0);
    trace_flush();
    return true;
}

static void live_emit(struct sock_rec *r, const int *fds, int nfds, void *arg)
{
    (void)arg;
    ev_live(r, fds, nfds, 0);
}

/* Late open records of quiet sockets (agg.c) go before the live batch: a
 * reader takes socket events inside a batch as the end of it. */
void live_promote_one(struct sock_rec *r, const int *fds, int nfds, void *arg)
{
    (void)arg;
    if (nfds) ev_promote(r, fds[0]);
}

/* Writes the live set and the end record, once per process. */
void lifecycle_finish(const char *why)
{
    if (atomic_load(&cl_state) != CL_ON) return;
    /* The process connleak run started always leaves a trace, even a
     * launcher (sh -c 'exit 3') that never touched a socket. */
    bool root = cl_cfg.root_pid == cl_pid && !cl_forked;
    if (!trace_is_open() && !(root && trace_ensure_open())) return;
    lock_take(&work_lock);
    if (atomic_exchange(&finished, 1)) {
        lock_give(&work_lock);
        return;
    }
    int saved = errno;
    sampler_final();
    fdtable_verify_live();
    fdtable_each_live(live_promote_one, NULL);
    fdtable_each_live(live_emit, NULL);
    agg_flush();
    stacks_notes();
    ev_end(why);
    trace_flush_end();
    prom_exit();
    atomic_store(&cl_state, CL_OFF); /* nothing may follow the end record */
    lock_give(&work_lock);
    errno = saved;
}

/* Before an exec (hooks_exec.c): the image's trace ends here, so it gets
 * the TIME_WAIT read its exit would have made (sampler_final). Should the
 * exec fail, the closes are read already and the exit does not read again
 * for them. */
void lifecycle_exec_read(void)
{
    if (atomic_load(&cl_state) != CL_ON || !trace_is_open()) return;
    lock_take(&work_lock); /* the flusher's sample is not under way */
    if (!atomic_load(&finished)) {
        int saved = errno;
        sampler_final();
        errno = saved;
    }
    lock_give(&work_lock);
}

/* pthread_atfork handlers. A fork from a signal handler that interrupted a
 * connleak hook on this thread must not wait for locks this thread holds:
 * then they are not taken, and the child resets them all the same. */
static __thread int fork_locked __attribute__((tls_model("initial-exec")));

void lifecycle_fork_prepare(void)
{
    if (atomic_load(&cl_state) != CL_ON) return;
    stacks_fork_prepare(); /* even from a handler: libunwind's locks are not ours */
    if (cl_in_hook) return;
    cl_in_hook = 1;
    fork_locked = 1;
    trace_open_lock_take();
    lock_take(&cl_stack_lock);
    lock_take(&cl_trace_lock);
    trace_flush_locked(); /* the child must not write the parent's lines */
}

void lifecycle_fork_parent(void)
{
    stacks_fork_parent();
    if (!fork_locked) return;
    fork_locked = 0;
    lock_give(&cl_trace_lock);
    lock_give(&cl_stack_lock);
    trace_open_lock_give();
    cl_in_hook = 0;
}

void lifecycle_fork_child(void)
{
    if (atomic_load(&cl_state) != CL_ON) return;
    if (fork_locked) {
        fork_locked = 0;
        cl_in_hook = 0;
    }
    uint64_t parent_start = cl_start_ns;
    cl_pid = (pid_t)syscall(SYS_getpid);
    cl_start_ns = clock_now_ns();
    cl_forked = true;
    atomic_store(&flusher_running, 0); /* threads do not survive fork */
    atomic_store(&finished, 0);
    trace_after_fork_child();  /* releases the trace lock, forgets the parent's file */
    stacks_after_fork_child(); /* releases the stack lock, stacks re-emitted on use */
    sampler_after_fork_child();
    ownfd_fork_child();
    work_lock = (cl_lock_t)CL_LOCK_INIT; /* the parent's flusher may have held it */
    agg_after_fork_child();
    dump_after_fork_child(); /* the lock of the program's dump-signal action */
    if (ssl_after_fork_child) ssl_after_fork_child();     /* hooks_ssl.c: not in unit tests */
    track_mark_all_inherited(cl_start_ns - parent_start); /* times: from the child's start */
}
