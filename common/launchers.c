/* launchers.c - the names of the programs that exec another (launchers.h).
 * Async-signal-safe: a table and strcmp, for the preload's constructor. */
#include "launchers.h"

#include <string.h>

bool launcher_name(const char *base)
{
    static const char *const names[] = {
        "env",  "sh",    "dash",    "bash",    "zsh",     "ksh",    "mksh",   "busybox", "timeout",
        "nice", "nohup", "stdbuf",  "setsid",  "taskset", "ionice", "chrt",   "time",    "xargs",
        "sudo", "su",    "runuser", "unshare", "nsenter", "flock",  "chroot", NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(base, names[i]) == 0) return true;
    return false;
}
