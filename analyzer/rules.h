/* rules.h - the rules that turn one process' model into findings.
 *
 * Each rule appends per-process groups (one per stack id) to a findings
 * list; their stacks are still ids (f->stk, f->open_stk): the caller resolves
 * them (stackfmt.h) and merges the groups across processes. */
#ifndef CONNLEAK_RULES_H
#define CONNLEAK_RULES_H

#include "findings.h"
#include "model.h"

/* A call site that closed at least this many distinct never-opened fds is a
 * close-all sweep, not a bug. */
#define SWEEP_MIN_FDS 4

struct rule_opts {
    bool include_listeners; /* report listeners still open at the end */
    bool include_inherited; /* report sockets a forked child inherited */
};

/* orphaned-socket: the sockets still open at the end, by opening stack. */
void rules_orphan(const struct process *p, const struct rule_opts *o, struct findings *out);

/* double-close and foreign-close: the EBADF closes, by closing stack. A
 * foreign-close group of SWEEP_MIN_FDS or more distinct fds gets sweep set. */
void rules_close(const struct process *p, struct findings *out);

#endif
