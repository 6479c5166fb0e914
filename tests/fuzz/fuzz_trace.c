/* fuzz_trace.c - libFuzzer target of the trace reader and what follows it
 * (issue 11, item 16): the input is a whole trace file, read with
 * report_add_trace (analyzer/trace/), analysed with the rules, symbolised,
 * and rendered as text and as JSON, the way `connleak report` does. It
 * must never crash, leak, read outside a buffer, hit undefined behaviour or
 * loop. The input's length picks the report options (the bytes are all
 * trace, so that the seeds stay traces), so that listeners, inherited
 * sockets and the thresholds are fuzzed too.
 *
 * The trace is a memfd, named /proc/self/fd/N: a regular file, as the
 * reader requires, without touching the disk. The seed corpus is
 * tests/data and tests/golden/traces (tests/fuzz/fuzz.cmake). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "render/render.h"
#include "report/report.h"
#include "rules/rules.h"

static FILE *sink;
static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("DEBUGINFOD_URLS", "", 1); /* module paths in a trace: never the network */
    sink = fopen("/dev/null", "w");
    memfd = memfd_create("connleak-fuzz-trace", MFD_CLOEXEC);
    if (!sink || memfd < 0) abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    return 0;
}

/* The trace file holds exactly data[0..n). */
static void trace_set(const uint8_t *data, size_t n)
{
    if (ftruncate(memfd, 0) != 0) abort();
    for (size_t at = 0; at < n;) {
        ssize_t k = pwrite(memfd, data + at, n - at, (off_t)at);
        if (k <= 0) abort();
        at += (size_t)k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned opt = (unsigned)(size ^ size >> 5);
    trace_set(data, size);
    struct report r;
    report_init(&r);
    if (opt & 4) r.http.idle_ms = 0, r.http.stuck_ms = 0, r.http.reuse_min = 1, r.http.tw_min = 1;
    if (opt & 8) r.http.leak_after_ms = 1000;
    if (report_add_trace(&r, path) == 0) {
        struct rule_opts ro = {.include_listeners = opt & 1, .include_inherited = opt & 2,
                               .include_ipc = opt & 32};
        report_analyze(&r, &ro);
        render_text(sink, &r, opt & 16);
        render_json(sink, &r);
    }
    report_free(&r);
    return 0;
}
