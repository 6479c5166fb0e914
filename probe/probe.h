/* probe.h - the eBPF recording backend, as the `connleak` command uses it.
 *
 * The probe sees every socket of a process tree from the kernel (syscall
 * tracepoints, TCP state changes, process fork/exec/exit) and, in Go
 * programs, net/http's client through uprobes; it writes the same trace
 * files as libconnleak.so (docs/trace-format.md), one per process, so the
 * analyzer reads them unchanged. It needs CAP_BPF and CAP_PERFMON (or
 * root), a kernel with BTF, and tracepoints and uprobes.
 *
 *     struct probe *p = probe_open(&opts, why, sizeof(why));
 *     probe_trace(p, pid, "/path/prog", ...); // a child stopped before its exec
 *     ... let it exec ...
 *     while (child runs) probe_poll(p, 100);
 *     probe_finish(p, "exit");              // every trace gets its end
 *     probe_close(p);
 */
#ifndef CONNLEAK_PROBE_H
#define CONNLEAK_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct probe_opts {
    const char *dir; /* where connleak-<pid>.jsonl files go */
    int depth;       /* frames per stack (at most 32) */
    bool http;       /* follow HTTP/1 on the wire (first bytes of each read/write) */
    bool verbose;    /* one line on stderr per uprobe attached */
};

struct probe;

/* Whether the probe can run here, without loading anything: false with a
 * one-line reason (not built, no BTF, no privilege). */
bool probe_supported(char *why, size_t len);

/* Loads and attaches the BPF programs. NULL with a one-line reason. */
struct probe *probe_open(const struct probe_opts *o, char *why, size_t len);

/* Traces process `pid` and its future children. With `exe`, pid is about
 * to exec that program (stopped by the caller until this returns): its
 * uprobes are attached now, and its trace begins at the exec. Without, pid
 * is already running (attach): its open sockets are read from /proc and
 * marked as open before attach. Returns 0 or -1 (why). */
int probe_trace(struct probe *p, pid_t pid, const char *exe, char *why, size_t len);

/* Handles the events that arrived, waiting up to timeout_ms for the first.
 * Returns the number handled, or -1 on a ring-buffer error. */
int probe_poll(struct probe *p, int timeout_ms);

/* How many traced processes are still running. */
int probe_live_processes(const struct probe *p);

/* Ends every trace still open: its live sockets, then `end` with `why`
 * ("exit" when the processes ended, "detach" when tracing stops while they
 * run). Events lost in the ring buffer are written as a note. */
void probe_finish(struct probe *p, const char *why);

void probe_close(struct probe *p);

#endif
