/* mark.h - the test now running (connleak_mark, include/connleak.h): the
 * process-wide mark that attributes the sockets opened from now on to a
 * test (mark.c). trace.c writes the current one into a new trace file. */
#ifndef CONNLEAK_MARK_H
#define CONNLEAK_MARK_H

#include "preload.h"

#define MARK_NAME_MAX 256 /* bytes of a test name kept; longer names are cut */

void mark_init_env(void);        /* CONNLEAK_TEST: the initial mark (constructor) */
bool mark_is_set(void);          /* a test is marked (before any trace exists too) */
void mark_emit_locked(void);     /* under cl_trace_lock: the current mark, if any */
void mark_set(const char *test); /* NULL: between tests */

#endif
