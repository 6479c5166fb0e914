/* pyframes.h - the Python frames of the calling thread, read from inside a
 * hook when the program is CPython 3.11, 3.12 or 3.13 (pyframes.c), and
 * whether the interpreter is shutting down. Programs without Python pay a
 * NULL check. */
#ifndef CONNLEAK_PYFRAMES_H
#define CONNLEAK_PYFRAMES_H

#include "preload.h"

void pyframes_init(void); /* once, at start: finds CPython's symbols and layout */
/* The id of the calling thread's Python frame chain (0: none), interned and
 * resolved to function, file and line the first time it is seen. */
uint32_t pyframes_capture(void);
/* Writes `pystk` record `id` if the current trace file lacks it; under the
 * trace lock. */
void pyframes_emit_locked(uint32_t id);
/* True while CPython finalizes (Py_FinalizeEx began): what closes sockets
 * then is the interpreter, not the program. */
bool pyframes_finalizing(void);
void pyframes_after_fork_child(void);
/* The line of byte offset `off` of a code object whose co_linetable (3.11+
 * format) is tab[0..len) and co_firstlineno `first`; -1: no line. */
int pyframes_line_of(const uint8_t *tab, size_t len, int first, int off);

#endif
