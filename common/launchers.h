/* launchers.h - programs whose whole job is to exec another: shells, env,
 * timeout, nice, sudo and the like. The preload carries on through them
 * into the program they start; `connleak run` prefers the probe for them
 * (it sees whatever they exec, Go and static programs included). */
#ifndef CONNLEAK_LAUNCHERS_H
#define CONNLEAK_LAUNCHERS_H

#include <stdbool.h>

/* Whether the file name `base` (no directory) is a launcher's. */
bool launcher_name(const char *base);

#endif
