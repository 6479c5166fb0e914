/* pymerge.h - a symbolised native stack with its Python frames put where
 * the interpreter's frames were (pymerge.c). */
#ifndef CONNLEAK_PYMERGE_H
#define CONNLEAK_PYMERGE_H

#include "model/findings.h"
#include "model/model.h"

/* Replaces the CPython interpreter's frames of s by the Python frames of
 * pystack `py` of p (nothing when py is 0). */
void frames_merge_python(const struct process *p, uint32_t py, struct frames *s);

/* Whether a .py file is the program's own: not the standard library, not an
 * installed package, not frozen. */
bool pyfile_is_user(const char *file);

#endif
