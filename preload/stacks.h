/* stacks.h - call stack capture (libunwind, dlopen()ed) and the table that
 * writes each distinct stack once (stacks.c). For the hooks, which take the
 * stack of each open, and for the trace writer and lifecycle, which keep
 * libunwind's own fds and locks right across fork. */
#ifndef CONNLEAK_STACKS_H
#define CONNLEAK_STACKS_H

#include "preload.h"

int stacks_init(void);
uint32_t stack_capture(void);        /* id of the caller's stack, emitted once; 0 if none */
uintptr_t stack_top_pc(uint32_t id); /* its innermost frame (the program's); 0 if none */
/* libunwind keeps a pipe of its own (memory validation). It is created
 * through our pipe2 hook while this is set, moved to high fd numbers, and
 * kept out of the program's reach like the trace fd. */
extern __thread int cl_in_unwind __attribute__((tls_model("initial-exec")));
extern int cl_unwind_fds[2];
bool stacks_fd_reserved(int fd);
bool stacks_fd_owned(int fd); /* ...and still libunwind's pipe */
void stacks_fds_created(void);
void stacks_check_fds(void);
void stacks_fd_taken(int fd);         /* the program dup2'ed over one: stop unwinding */
extern _Atomic uint32_t cl_trace_gen; /* bumped per trace file (fork child) */
void stacks_after_fork_child(void);
/* Around fork (lifecycle.c): no thread may be inside libunwind, whose locks
 * a child could never take; else the child records no stacks. */
void stacks_fork_prepare(void);
void stacks_fork_parent(void);
void stacks_notes(void);                      /* the child's "no-stacks" note, if due */
void stacks_test_in_unwind(void (*fn)(void)); /* tests: run inside each unwind */
void stack_emit_id(uint32_t id);
void stacks_warm_thread(void);
extern cl_lock_t cl_stack_lock;

#endif
