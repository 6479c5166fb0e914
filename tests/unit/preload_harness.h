/* preload_harness.h - sets up the preload's core inside a unit test, the
 * way the constructor would, with the trace in a fresh temp directory, and
 * reads the trace back as parsed JSON records (binary ones decoded). */
#ifndef PRELOAD_HARNESS_H
#define PRELOAD_HARNESS_H

#define _GNU_SOURCE
/* the whole core, as the constructor drives it: every preload header */
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
#include "ownfds.h"
#include "pool.h"
#include "real.h"
#include "sampler.h"
#include "stacks.h"
#include "timewait.h"
#include "trace.h"

#include <cjson/cJSON.h>

/* The analyzer's reader (analyzer/trace/trace_read.h, whose model.h names
 * clash with the preload's): `connleak trace-dump` of one trace. */
int trace_dump_file(const char *path, FILE *out, size_t *ndamaged, char **why);
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char harness_dir[256];

/* Returns 0 when the core is ready and a trace file exists. */
static inline int harness_start(void)
{
    strcpy(harness_dir, "/tmp/connleak-unit-XXXXXX");
    if (!mkdtemp(harness_dir)) return -1;
    setenv("CONNLEAK_DIR", harness_dir, 1);
    config_load();
    cl_pid = getpid();
    cl_start_ns = clock_now_ns();
    modules_init();
    modules_self_set(0, 0);
    if (fdtable_init() != 0 || stacks_init() != 0 || trace_create(false) != 0) return -1;
    trace_publish();
    atomic_store(&cl_state, CL_ON);
    return 0;
}

static inline char *harness_trace_path(void)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/connleak-%d.jsonl", harness_dir, (int)getpid());
    return path;
}

/* Flushes and parses every record of the trace, binary ones (format 2)
 * decoded by the analyzer's own reader, as `connleak trace-dump` prints
 * them; caller frees with harness_lines_free. Returns the number of
 * records (-1 on a bad one). */
static inline int harness_lines(cJSON ***out)
{
    trace_flush();
    char *text = NULL, *why = NULL;
    size_t len = 0, bad = 0;
    FILE *mem = open_memstream(&text, &len);
    int rc = trace_dump_file(harness_trace_path(), mem, &bad, &why);
    fclose(mem);
    free(why);
    int n = 0;
    cJSON **v = NULL;
    *out = NULL;
    for (char *line = text, *nl; rc == 0 && line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        v = realloc(v, sizeof(*v) * (size_t)(n + 1));
        v[n] = cJSON_ParseWithLength(line, nl ? (size_t)(nl - line) : strlen(line));
        if (!v[n]) break;
        n++;
    }
    free(text);
    *out = v;
    return rc != 0 || bad ? -1 : n;
}

static inline void harness_lines_free(cJSON **v, int n)
{
    for (int i = 0; i < n; i++) cJSON_Delete(v[i]);
    free(v);
}

/* Number of records of type t (and, if sid != 0, about that socket). */
static inline int harness_count(const char *t, uint64_t sid)
{
    cJSON **v = NULL;
    int n = harness_lines(&v), c = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *tt = cJSON_GetObjectItem(v[i], "t");
        const cJSON *s = cJSON_GetObjectItem(v[i], "sid");
        if (cJSON_IsString(tt) && strcmp(tt->valuestring, t) == 0 &&
            (!sid || (s && (uint64_t)s->valuedouble == sid)))
            c++;
    }
    harness_lines_free(v, n);
    return c;
}

#endif
