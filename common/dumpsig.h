/* dumpsig.h - the signals CONNLEAK_DUMP_SIGNAL may name: read by the
 * preload at start (a refused value installs nothing, with a note) and
 * checked by `connleak run` before it starts the program (exit 125). */
#ifndef CONNLEAK_DUMPSIG_H
#define CONNLEAK_DUMPSIG_H

/* USR1, USR2 or RTMIN+n (a name, "SIG" optional, or a number); "0" or "off":
 * 0, none; unset or empty: SIGUSR2. Anything else (SEGV would make a
 * faulting program loop, ILL or INT would be masked): -1. */
int dumpsig_parse(const char *s);

#endif
