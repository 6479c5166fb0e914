/* perfmap.h - names for frames in JIT-compiled code, from the perf map a
 * runtime writes (/tmp/perf-PID.map: `node --perf-basic-prof`, a JVM with a
 * perf-map agent), read at report time; and, where there is no map, a note
 * naming the runtime seen (node, Java) and the flag that would give names.
 *
 * A map line is "START SIZE NAME" (hex, hex, rest of line). Only the lines
 * covering a pc that a finding's stack holds are kept: a long-running
 * service's map can be hundreds of MB. */
#ifndef CONNLEAK_PERFMAP_H
#define CONNLEAK_PERFMAP_H

#include <stdbool.h>

#include "model/model.h"
#include "symbols/symbols.h"

struct perfmap;

/* The module of a frame named from a perf map: the same in every run (a
 * finding's fingerprint hashes module names), unlike the map's path. */
#define PERFMAP_MODULE "[jit]"

/* Gives sym what it needs to name the JIT frames of p: the runtime p ran
 * (from its modules) and the entries of p's perf map covering the pcs in
 * `pcs` (n of them, in no module; the array is sorted in place). Notes
 * (via sym) when frames stay unnamed and what would name them. */
void perfmap_attach(struct symbolizer *sym, const struct process *p, uint64_t *pcs, size_t n);

/* Called by the symbolizer for each pc it resolved (frames out[0..n)):
 * fills out[0] from the map when the pc is in no module, and notes
 * interpreter frames the map cannot name. Returns the frame count. */
int perfmap_frame(struct symbolizer *sym, uint64_t pc, struct sym_frame *out, int n);

void perfmap_free(struct perfmap *pm);

/* A frame named from a perf map that is not the program's own: node's
 * internals ("node:net"), installed packages (node_modules, Debian's
 * /usr/share/nodejs), V8 builtins and stubs, the JDK's classes. False for
 * frames not from a map. */
bool perfmap_frame_is_runtime(const char *module, const char *file, const char *function);

/* The JIT runtime a module is ("node", "java"), NULL for others. */
const char *perfmap_runtime_of(const char *module);

#endif
