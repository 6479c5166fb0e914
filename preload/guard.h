/* guard.h - the per-thread hook guard (lifecycle.c) and the vfork child
 * test (hooks_process.c). For the hooks_*.c files and whatever else must
 * keep its own work out of the trace (the flusher thread, stacks.c). */
#ifndef CONNLEAK_GUARD_H
#define CONNLEAK_GUARD_H

#include "preload.h"

extern __thread int cl_in_hook __attribute__((tls_model("initial-exec")));

/* Enter a hook that records: false means "pass through untouched" (not
 * initialised, disabled, or re-entered from a signal handler / from inside
 * connleak on this thread). */
static inline bool hook_enter(void)
{
    if (atomic_load_explicit(&cl_state, memory_order_acquire) != CL_ON || cl_in_hook) return false;
    cl_in_hook = 1;
    return true;
}
static inline void hook_leave(void)
{
    cl_in_hook = 0;
}
/* True in a vfork()ed child, which shares our memory with its parent: such a
 * child must never touch the tables. */
bool hook_in_vfork_child(void);
extern __thread int cl_vfork_flag __attribute__((tls_model("initial-exec")));

/* hook_enter, and not in a vfork child: the guard is held when it returns
 * true (release with hook_leave). */
static inline bool hook_enter_recording(void)
{
    if (!hook_enter()) return false;
    if (hook_in_vfork_child()) {
        hook_leave();
        return false;
    }
    return true;
}

#endif
