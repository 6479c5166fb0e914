/* notify.h - the channel a traced process uses to tell `connleak run` it
 * could not be traced (it cannot create its trace file: a worker that lost
 * its privileges, a read-only directory), instead of the program's stderr:
 * an abstract unix datagram socket any process can reach, whatever its
 * user (CONNLEAK_NOTIFY; preload/trace.c trace_report_failure). */
#ifndef CONNLEAK_CLI_NOTIFY_H
#define CONNLEAK_CLI_NOTIFY_H

#include <stddef.h>

struct report;

/* Binds a fresh abstract socket; its name (without the leading NUL) into
 * name. Returns the fd (close-on-exec, non-blocking), or -1. */
int notify_open(char *name, size_t len);
/* Each message so far as a note ("pid 123 was not traced: ..."), counted
 * in r->untraced; then closes fd. */
void notify_drain(int fd, struct report *r);

#endif
