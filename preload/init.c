/* init.c - the library's constructor and destructor.
 *
 * Kept apart from lifecycle.c so that unit tests can link every other piece
 * of the preload without connleak starting itself inside the test. The
 * constructor sets everything up before the program's main(): tables mapped,
 * libunwind warmed up, trace created, flusher started, so that hooks never
 * allocate. */
#define _GNU_SOURCE
#include "preload.h"
#include "agg.h"
#include "config.h"
#include "dump.h"
#include "events.h"
#include "fdtable.h"
#include "guard.h"
#include "lifecycle.h"
#include "mark.h"
#include "modules.h"
#include "real.h"
#include "sampler.h"
#include "stacks.h"
#include "trace.h"
#include "tring.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void connleak_fini(void);
static void connleak_quick_exit(void)
{
    connleak_fini();
}

__attribute__((constructor)) static void connleak_init(void)
{
    real_resolve();
    signal_hooks_resolve();
    config_load();
    bool launcher = config_exe_is_launcher();
    if (!cl_cfg.follow_exec && !launcher) config_strip_preload();
    if (cl_cfg.disabled) return;
    cl_pid = getpid();
    cl_start_ns = clock_now_ns();
    mark_init_env();
    modules_init();
    if (fdtable_init() != 0) return;
    sampler_init(); /* without its table, samples carry counts but no TCP states */
    agg_init();
    bool stacks_ok = stacks_init() == 0;
    tring_init();
    /* The program `connleak run` started (or one preloaded by hand) gets its
     * trace at once, so that no trace at all means "LD_PRELOAD was ignored".
     * Launchers (env, a shell, ...) and the programs they exec get one only
     * once they touch a socket: most of them never do. */
    bool lazy = launcher || (cl_cfg.root_pid && cl_cfg.root_pid != cl_pid && !mark_is_set());
    if (!lazy) {
        if (trace_create(false) != 0) {
            trace_report_failure();
            return;
        }
        trace_publish();
    }
    pthread_atfork(lifecycle_fork_prepare, lifecycle_fork_parent, lifecycle_fork_child);
    at_quick_exit(connleak_quick_exit); /* quick_exit skips destructors: run last of its handlers */
    dump_install();
    atomic_store_explicit(&cl_state, CL_ON, memory_order_release);
    if (!stacks_ok)
        ev_note("no-stacks", "libunwind.so.8 could not be loaded: sockets are recorded without "
                             "stacks");
    if (cl_cfg.dump_signal_refused)
        ev_note("dump-signal-refused", "CONNLEAK_DUMP_SIGNAL may only be USR1, USR2 or RTMIN+n: "
                                       "no dump signal is installed");
    flusher_start();
}

__attribute__((destructor)) static void connleak_fini(void)
{
    if (hook_in_vfork_child()) return; /* its TLS is the parent's: touch nothing */
    /* exit() from a signal handler that interrupted one of our hooks on
     * this thread: the locks that hook holds would never be given back.
     * The trace then ends at its last flush, like a killed program's. */
    if (cl_in_hook) return;
    cl_in_hook = 1; /* whatever runs from here on is connleak's own */
    lifecycle_finish("exit");
}
