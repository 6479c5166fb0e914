/* hooks_thread.c - every new thread warms libunwind before it runs.
 *
 * libunwind is dlopen()ed, so its thread-local data is allocated (malloc)
 * the first time each thread unwinds. That must not happen inside a hook,
 * which may run in a signal handler that interrupted malloc. Threads made
 * with pthread_create therefore unwind once at their start, outside any
 * hook, before the program's start routine runs. */
#define _GNU_SOURCE
#include "preload.h"
#include "guard.h"
#include "real.h"
#include "stacks.h"

#include <pthread.h>
#include <stdlib.h>

struct thread_start {
    void *(*fn)(void *);
    void *arg;
};

static void *thread_begin(void *p)
{
    struct thread_start start = *(struct thread_start *)p;
    free(p);
    stacks_warm_thread();
    return start.fn(start.arg);
}

CL_EXPORT int pthread_create(pthread_t *tid, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    struct thread_start *start = NULL;
    if (atomic_load(&cl_state) == CL_ON && !cl_in_hook) start = malloc(sizeof(*start));
    if (!start) return REAL(pthread_create)(tid, attr, fn, arg);
    start->fn = fn;
    start->arg = arg;
    int ret = REAL(pthread_create)(tid, attr, thread_begin, start);
    if (ret != 0) free(start);
    return ret;
}
