/* trace_read.h - reads one connleak trace file (docs/trace-format.md) into a
 * struct process.
 *
 * A trace is never trusted: unknown records and fields are skipped, a
 * malformed line is skipped and counted, a cut-short last line is ignored,
 * and a trace without its end record gets its live set rebuilt from the
 * open/dup/close events. Each of these leaves a one-line note. */
#ifndef CONNLEAK_TRACE_READ_H
#define CONNLEAK_TRACE_READ_H

#include "model/model.h"
#include "util/util.h"

#include <stdio.h>

#include "tracefile.h"

/* The trace format version this reader understands. */
#define TRACE_VERSION 3 /* 2: binary records may follow the header (common/tracebin.h); 3: by mask */

/* Reads the trace at `path` into *p (zeroed first). Returns 0 when it is a
 * usable trace, partial or not; notes say what was wrong. Returns -1 when it
 * is not (unreadable, not a connleak trace, a newer version): *why then
 * holds a one-line reason (the caller frees it) and *p is left empty. */
int trace_read_file(const char *path, struct process *p, struct strlist *notes, char **why);

/* `connleak trace-dump`: the trace at path as JSON Lines on out, binary
 * records as the JSON objects they stand for (trace/dump.c). Returns 0
 * with *ndamaged the records that could not be printed (each named on
 * stderr), or -1 with *why when the file is not a trace it can read. */
int trace_dump_file(const char *path, FILE *out, size_t *ndamaged, char **why);

/* True when the recorder left TRACE.disk-full next to the trace at path:
 * a write failed and not even its note could go in (common/tracefile.h). */
bool trace_marked_full(const char *path);

#endif
