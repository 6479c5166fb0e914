/* trace.h - the trace file: safe creation, the line buffer, flush, and
 * keeping its fd out of the program's reach (trace.c). events.c writes its
 * lines here; the hooks that close or dup fds, fork and exec, and the
 * lifecycle, manage the file itself. */
#ifndef CONNLEAK_TRACE_H
#define CONNLEAK_TRACE_H

#include "preload.h"

#include "jsonline.h"
#include "tracebin.h"

extern cl_lock_t cl_trace_lock;
extern int cl_trace_fd;
int trace_create(bool forked);
void trace_append_locked(const char *s, size_t n);
void trace_line(struct jb *b); /* append b + '\n' under the lock */
void trace_frame(enum tb_rec type, uint64_t ts, const struct tb *b); /* a binary record */
bool trace_frame_claimed(enum tb_rec type, uint64_t ts, const struct tb *b, _Atomic uint8_t *claim);
void trace_flush(void);
void trace_flush_locked(void);
void trace_flush_end(void);        /* flush, and give back the disk-full reserve (end, exec) */
void trace_line_end(struct jb *b); /* the end record: nothing is written after it */
bool trace_fd_is(int fd);
bool trace_fd_owned(int fd);  /* ...and it still holds the trace file */
void trace_fd_vacate(int fd); /* before the program's dup2 onto the trace fd's number */
void trace_after_fork_child(void);
bool trace_is_open(void);
bool trace_started_locked(void); /* header and module map are in (under cl_trace_lock) */
void trace_publish(void);
void trace_open_lock_take(void);
void trace_open_lock_give(void);
bool trace_ensure_open(void);    /* lazy open: fork children, launchers */
void trace_report_failure(void); /* one line on stderr: no trace for this process */
extern bool cl_forked;           /* this process is a fork child */

#endif
