/* procs.h - the processes under a process, read from /proc: for `attach`
 * (the workers a master already has) and `run` (descendants still running
 * when the program it started has exited). */
#ifndef CONNLEAK_CLI_PROCS_H
#define CONNLEAK_CLI_PROCS_H

#include <stddef.h>
#include <sys/types.h>

/* Every process under root now (a master's workers: nginx, gunicorn,
 * postgres), from each /proc/PID/stat's parent pid; at most cap. */
size_t procs_descendants(pid_t root, pid_t *out, size_t cap);

/* The process's name (/proc/PID/comm) into buf; "?" when it is gone. */
void procs_name(pid_t pid, char *buf, size_t len);

#endif
