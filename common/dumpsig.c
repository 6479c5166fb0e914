/* dumpsig.c - CONNLEAK_DUMP_SIGNAL's value (dumpsig.h). */
#include "dumpsig.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* CONNLEAK_DUMP_SIGNAL: USR1, USR2 or RTMIN+n (a name, "SIG" optional, or
 * a number); "0" or "off": none. Anything else (SEGV would make a faulting
 * program loop, ILL or INT would be masked) is refused: -1. */
int dumpsig_parse(const char *s)
{
    if (!s || !*s) return SIGUSR2;
    if (strcmp(s, "off") == 0) return 0;
    if (strncmp(s, "SIG", 3) == 0) s += 3;
    char *end;
    long v = -1;
    if (strcmp(s, "USR1") == 0) return SIGUSR1;
    if (strcmp(s, "USR2") == 0) return SIGUSR2;
    if (strncmp(s, "RTMIN", 5) == 0) {
        v = s[5] == 0 ? 0 : s[5] == '+' ? strtol(s + 6, &end, 10) : -1;
        if (v < 0 || (s[5] == '+' && (end == s + 6 || *end))) return -1;
        v += SIGRTMIN;
    } else {
        v = strtol(s, &end, 10);
        if (end == s || *end) return -1;
    }
    if (v == 0) return 0;
    return v == SIGUSR1 || v == SIGUSR2 || (v >= SIGRTMIN && v <= SIGRTMAX) ? (int)v : -1;
}
