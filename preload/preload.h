/* preload.h - what every file of libconnleak.so shares: the export and
 * branch-hint macros, the process state (initialised or not, our pid), the
 * clocks, and a spinlock usable where a mutex would not be. Defined in
 * lifecycle.c. Any file of preload/ may include it; the other headers of
 * preload/ each serve one concern (see docs/architecture.md).
 *
 * Every hook may run in a signal handler of a multi-threaded program: no
 * malloc, no stdio, errno preserved, and a per-thread guard (guard.h) so
 * that a hook interrupted by a signal whose handler calls another hook
 * passes through. */
#ifndef CONNLEAK_PRELOAD_H
#define CONNLEAK_PRELOAD_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CL_EXPORT   __attribute__((visibility("default")))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* On the path of every read and write of a tracked socket: the compiler
 * puts these functions together (.text.hot), in a few pages instead of
 * spread over the library, so that each call touches fewer of them. */
#define CL_HOT __attribute__((hot))

/* ---- process state ---- */
enum { CL_OFF = 0, CL_ON = 1 };
extern _Atomic int cl_state; /* CL_ON once the constructor has run */
extern pid_t cl_pid;         /* pid of the process the tables belong to */

/* ---- clocks ---- */
uint64_t clock_now_ns(void);             /* CLOCK_MONOTONIC */
uint64_t clock_since_start(void);        /* ns since this process's trace start */
uint64_t clock_coarse_since_start(void); /* the same, coarse and cheaper */
extern uint64_t cl_start_ns;

/* ---- a small spinlock usable where a mutex would not be ---- */
typedef struct {
    atomic_flag f;
} cl_lock_t;
#define CL_LOCK_INIT                                                                               \
    {                                                                                              \
        ATOMIC_FLAG_INIT                                                                           \
    }
void lock_take(cl_lock_t *l);
static inline void lock_give(cl_lock_t *l)
{
    atomic_flag_clear_explicit(&l->f, memory_order_release);
}

#endif
