/* tracefile.h - the trace file of one process, as both recorders create
 * and write it (docs/trace-format.md): connleak-PID.jsonl in the trace
 * directory, or connleak-PID.N.jsonl when that name exists (pid reuse, or a
 * new image after exec), created O_EXCL | O_NOFOLLOW, mode 0600 (traces hold
 * host names and paths), never over an existing file or through a symlink.
 *
 * Writes go through tracefile_write, which keeps room for a last note: a
 * full disk must not cut a trace short silently (README "Limits"). Before
 * each write it allocates (fallocate, FALLOC_FL_KEEP_SIZE) the bytes it is
 * about to write plus TRACEFILE_RESERVE more past the end of the file; when
 * that allocation fails for want of space (ENOSPC, EDQUOT, EFBIG), the
 * whole lines that fit in what is already allocated are written, then a
 * `note` "disk-full" inside the reserve (rewriting allocated blocks needs no
 * new space on tmpfs, ext4, xfs), and nothing more is written. Where
 * fallocate is not supported, or the disk was full from the start so that
 * nothing could be reserved, the note is tried anyway and, if it cannot be
 * written, an empty file TRACE.disk-full is created next to the trace: a
 * name needs an inode, not a data block. tracefile_end gives the reserve
 * back (ftruncate to the file's size).
 * Async-signal-safe: raw system calls, no stdio, no malloc. */
#ifndef CONNLEAK_TRACEFILE_H
#define CONNLEAK_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CL_TRACE_VERSION 3 /* the "version" of the hdr record (2: binary records may follow; 3: their fields by mask) */

#define TRACEFILE_RESERVE     4096         /* kept allocated past the end for the note */
#define TRACEFILE_FULL_SUFFIX ".disk-full" /* the marker's name: the trace's + this */

/* Creates the trace of process pid in dir, open for appending and
 * close-on-exec. Returns its fd and its name in path (cap bytes), or -1
 * with errno set. */
int tracefile_create(const char *dir, pid_t pid, char *path, size_t cap);

/* The write state of one trace file (zeroed for a new file). */
struct tracefile_out {
    uint64_t reserved; /* the file is allocated up to this offset */
    int err;           /* the first write failure: nothing more is written */
    bool no_reserve;   /* fallocate is not supported there */
    bool mid_line;     /* the last byte written was not a newline */
    uint64_t dropped;  /* bytes not written since the failure */
};

/* Appends n bytes to the trace fd (path: its name, for the marker).
 * Returns 0, or -1 once the disk is full (errno kept as on entry). */
int tracefile_write(struct tracefile_out *o, int fd, const char *path, const char *buf, size_t n);

/* The trace is over (end record written, or an exec): the reserve past
 * its end is given back. Writing again reserves again. */
void tracefile_end(struct tracefile_out *o, int fd);

#endif
