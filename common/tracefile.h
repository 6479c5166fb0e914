/* tracefile.h - the trace file of one process, as both recorders create
 * it (docs/trace-format.md): connleak-PID.jsonl in the trace directory, or
 * connleak-PID.N.jsonl when that name exists (pid reuse, or a new image
 * after exec), created O_EXCL | O_NOFOLLOW, mode 0600 (traces hold host
 * names and paths), never over an existing file or through a symlink.
 * Async-signal-safe: raw system calls, no stdio, no malloc. */
#ifndef CONNLEAK_TRACEFILE_H
#define CONNLEAK_TRACEFILE_H

#include <stddef.h>
#include <sys/types.h>

#define CL_TRACE_VERSION 1 /* the "version" of the hdr record */

/* Creates the trace of process pid in dir, open for appending and
 * close-on-exec. Returns its fd and its name in path (cap bytes), or -1
 * with errno set. */
int tracefile_create(const char *dir, pid_t pid, char *path, size_t cap);

#endif
