/* tracedir.h - the directory a run's traces go to: a temporary one made
 * and removed by connleak, or --trace-dir (kept; the traces already in it
 * are not this run's). Shared by `connleak run` and `connleak attach`. */
#ifndef CONNLEAK_TRACEDIR_H
#define CONNLEAK_TRACEDIR_H

#include <stdbool.h>

#include "util/util.h"

struct report;

struct tracedir {
    char *path;            /* absolute */
    bool temp;             /* made by us: removed after a good report */
    struct strlist before; /* trace files already there: not this run's */
};

/* dir NULL: a new temporary directory. Returns 0, or -1 after one line on stderr. */
int tracedir_prepare(struct tracedir *td, const char *dir);
/* Removes the traces of a directory we made, then the directory. */
void tracedir_remove(const struct tracedir *td);
void tracedir_free(struct tracedir *td);
/* Adds to r the traces this run produced. */
void tracedir_read(struct report *r, const struct tracedir *td);

#endif
