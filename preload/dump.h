/* dump.h - writes the live set on CONNLEAK_DUMP_SIGNAL (dump.c). For
 * lifecycle.c: the signal handler only wakes the flusher, which dumps. For
 * hooks_signal.c: the program's own action for that signal, kept by
 * connleak and chained to from its handler. */
#ifndef CONNLEAK_DUMP_H
#define CONNLEAK_DUMP_H

#include <signal.h>
#include <stdbool.h>

void dump_install(void);
void dump_if_wanted(void);    /* flusher thread */
bool dump_signal_is(int sig); /* connleak chains this signal to the program's action */
/* sigaction() on the dump signal: sets/returns the program's action */
int dump_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
void dump_exec_prepare(void); /* before an exec: the program's SIG_IGN back in the kernel */
void dump_exec_failed(void);  /* ...and connleak's handler again if the exec failed */
void dump_after_fork_child(void);
void signal_hooks_resolve(void); /* hooks_signal.c: libc's, from the constructor */

#endif
