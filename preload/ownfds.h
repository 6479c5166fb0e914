/* ownfds.h - connleak's own fds in the program (the trace, libunwind's
 * pipe): placed out of the program's fd budget, and refused to the
 * program's close/dup calls as numbers it never opened (ownfds.c). For
 * trace.c and the close/dup hooks. */
#ifndef CONNLEAK_OWNFDS_H
#define CONNLEAK_OWNFDS_H

#include "preload.h"

#define OWNFD_MAX 3 /* the trace, libunwind's pipe (2) */

/* fd moved above the soft RLIMIT_NOFILE (or near the top of the range),
 * close-on-exec; returns the fd to use (fd itself if it could not move). */
int ownfd_place_high(int fd);
int ownfd_dup_high(int fd); /* the same, as a copy: fd stays open; -1 if none */
int ownfd_socket_transient(int domain, int type, int protocol); /* sock_diag's, moments */
void ownfd_fork_child(void); /* undoes a raise of ownfd_socket_transient under way */
bool ownfd_is(int fd);
bool ownfd_refused(int fd);         /* the program's close/dup of fd must fail EBADF */
int ownfd_list(int out[OWNFD_MAX]); /* connleak's fds now; returns how many */
/* Around an exec: the soft RLIMIT_NOFILE connleak lowered under its fds
 * (where it could not go above it) is given back, and taken again if the
 * exec returns. errno kept. */
void ownfd_exec_before(void);
void ownfd_exec_failed(void);

#endif
