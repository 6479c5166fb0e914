/* lifecycle.h - the flusher thread, fork (prepare, parent, child) and the
 * exit (lifecycle.c; init.c is the constructor). For init.c, the process
 * and thread hooks, and the few files that wake the flusher or take part
 * in fork. */
#ifndef CONNLEAK_LIFECYCLE_H
#define CONNLEAK_LIFECYCLE_H

#include "preload.h"

struct sock_rec;

void flusher_wake(void); /* async-signal-safe */
void live_promote_one(struct sock_rec *r, const int *fds, int nfds, void *arg);
void ssl_after_fork_child(void) __attribute__((weak)); /* hooks_ssl.c */
void lifecycle_finish(const char *why);
void lifecycle_exec_read(void); /* before an exec: the exit's TIME_WAIT read */
void lifecycle_fork_prepare(void);
void lifecycle_fork_parent(void);
void lifecycle_fork_child(void);
void flusher_start(void);
bool flusher_pause(void);

#endif
