/* libpath.h - finds libconnleak.so for `connleak run`. */
#ifndef CONNLEAK_LIBPATH_H
#define CONNLEAK_LIBPATH_H

#include <stddef.h>

/* The absolute path of libconnleak.so: $CONNLEAK_LIB if set; else next to
 * the connleak binary (a build tree); else ../lib/connleak/ from it (an
 * installed tree moved as a whole); else the configured install path.
 * NULL when none is readable: why then says what was tried. Caller frees. */
char *libpath_find(char *why, size_t why_len);

#endif
