/* init.c - the library's constructor and destructor.
 *
 * Kept apart from lifecycle.c so that unit tests can link every other piece
 * of the preload without connleak starting itself inside the test. The
 * constructor sets everything up before the program's main(): tables mapped,
 * libunwind warmed up, trace created, flusher started, so that hooks never
 * allocate. */
#define _GNU_SOURCE
#include "connleak.h"

#include <string.h>
#include <unistd.h>

static void report_no_trace(void)
{
    char msg[4096 + 256];
    struct jb b;
    jb_init(&b, msg, sizeof(msg));
    jb_raw(&b, "connleak: cannot create a trace file in ");
    jb_raw(&b, cl_cfg.dir);
    jb_raw(&b, ": ");
    jb_raw(&b, strerror(errno));
    jb_raw(&b, "; this process is not traced\n");
    if (REAL(write)(2, b.p, b.len) < 0) { /* nothing more we can do */
    }
}

__attribute__((constructor)) static void connleak_init(void)
{
    real_resolve();
    config_load();
    if (!cl_cfg.follow_exec) config_strip_preload();
    if (cl_cfg.disabled) return;
    cl_pid = getpid();
    cl_start_ns = clock_now_ns();
    modules_init();
    if (fdtable_init() != 0) return;
    bool stacks_ok = stacks_init() == 0;
    if (trace_create(false) != 0) {
        report_no_trace();
        return;
    }
    if (!stacks_ok)
        ev_note("no-stacks", "libunwind.so.8 could not be loaded: sockets are recorded without "
                             "stacks");
    atomic_store_explicit(&cl_state, CL_ON, memory_order_release);
    flusher_start();
}

__attribute__((destructor)) static void connleak_fini(void)
{
    cl_in_hook = 1; /* whatever runs from here on is connleak's own */
    if (!hook_in_vfork_child()) lifecycle_finish("exit");
}
