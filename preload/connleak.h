/* connleak.h - every header of libconnleak.so at once, for the unit tests
 * (tests/unit/), which drive the whole core the way the constructor does.
 * Nothing in preload/ includes it: each file there includes the headers of
 * the concerns it uses (docs/architecture.md lists them). */
#ifndef CONNLEAK_H
#define CONNLEAK_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "jsonline.h"
#include "tracefile.h"

#include "preload.h"
#include "agg.h"
#include "config.h"
#include "dump.h"
#include "events.h"
#include "fdtable.h"
#include "guard.h"
#include "handles.h"
#include "hooks_io.h"
#include "httptrack.h"
#include "lifecycle.h"
#include "modules.h"
#include "pool.h"
#include "real.h"
#include "sampler.h"
#include "stacks.h"
#include "timewait.h"
#include "trace.h"

#endif
