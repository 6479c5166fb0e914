/* fmt_shim.h - TEMPORARY: the JSON line builder and address formatting of
 * preload/fmt.c, until they move to common/ (issue 10). */
#ifndef CONNLEAK_PROBE_FMT_SHIM_H
#define CONNLEAK_PROBE_FMT_SHIM_H
#include "connleak.h"
#endif
