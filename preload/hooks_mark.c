/* hooks_mark.c - connleak_mark(), the one function libconnleak.so exports
 * that is not a hook of libc: a program built with include/connleak.h (or
 * Python through ctypes) names the test now running. Behind the hook
 * guard like every hook: a call from a signal handler that interrupted
 * connleak, from a vfork child or before the constructor does nothing. */
#define _GNU_SOURCE
#include "guard.h"
#include "mark.h"

CL_EXPORT void connleak_mark(const char *test)
{
    int saved = errno;
    if (hook_enter_recording()) {
        mark_set(test);
        hook_leave();
    }
    errno = saved;
}
