/* dump.h - writes the live set on CONNLEAK_DUMP_SIGNAL (dump.c). For
 * lifecycle.c: the signal handler only wakes the flusher, which dumps. */
#ifndef CONNLEAK_DUMP_H
#define CONNLEAK_DUMP_H

void dump_install(void);
void dump_if_wanted(void); /* flusher thread */

#endif
