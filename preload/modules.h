/* modules.h - the module map (dl_iterate_phdr) written into the trace, so
 * that stacks can be symbolised offline (modules.c). For stacks.c, the
 * trace writer and the hooks that load code (dlopen). */
#ifndef CONNLEAK_MODULES_H
#define CONNLEAK_MODULES_H

#include "preload.h"

void modules_init(void);
void modules_emit_all_locked(void);
void modules_refresh_locked(void); /* emit modules loaded since (dlopen) */
bool modules_self_contains(uintptr_t pc);
void modules_self_set(uintptr_t lo, uintptr_t hi);

#endif
