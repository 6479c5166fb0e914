/* mark.c - connleak_mark(): which test is running (include/connleak.h).
 *
 * The mark is process-wide: test runners run one test at a time per
 * process. Each call writes a `mark` record (docs/trace-format.md); the
 * analyzer gives every socket (and client handle) the test whose mark
 * came last before its opening. The name is also kept here, so that a
 * trace created later (a forked child's, a lazily opened one) starts with
 * the mark current when it was created. Async-signal-safe: the line is
 * built on the stack, the state is changed under the trace lock, nothing
 * allocates. CONNLEAK_TEST=name gives the initial mark. The exported
 * connleak_mark() itself, behind the hook guard, is in hooks_mark.c. */
#define _GNU_SOURCE
#include "mark.h"
#include "trace.h"

#include "jsonline.h"

#include <stdlib.h>
#include <string.h>

#define MARK_LINE_BYTES (MARK_NAME_MAX * 6 + 128)

static char mark_name[MARK_NAME_MAX + 1];
static size_t mark_len;
static bool mark_on;
static uint64_t mark_at_ns; /* CLOCK_MONOTONIC when it was set */

/* strlen bounded by MARK_NAME_MAX, cut back to a whole UTF-8 character. */
static size_t name_len(const char *s)
{
    size_t n = strnlen(s, MARK_NAME_MAX + 1);
    if (n <= MARK_NAME_MAX) return n;
    n = MARK_NAME_MAX;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return n;
}

/* {"t":"mark","ts":N,"test":"NAME"}, or without "test" between tests. */
static void mark_line(struct jb *b, char *mem, const char *name, size_t n, uint64_t ts)
{
    jb_init(b, mem, MARK_LINE_BYTES - 1);
    JB_LIT(b, "{\"t\":\"mark\"");
    JB_KV_U64(b, "ts", ts);
    if (name) {
        JB_KEY(b, "test");
        jb_str(b, name, n);
    }
    JB_LIT(b, "}\n");
}

static void mark_store(const char *name, size_t n, uint64_t at)
{
    if (name) memcpy(mark_name, name, n);
    mark_len = n;
    mark_on = name != NULL;
    mark_at_ns = at;
}

void mark_init_env(void)
{
    const char *name = getenv("CONNLEAK_TEST");
    if (name && *name) mark_store(name, name_len(name), cl_start_ns);
}

bool mark_is_set(void)
{
    return mark_on;
}

/* A new trace: the mark current since before it started counts from its
 * start (ts 0), one set since from when it was set. */
void mark_emit_locked(void)
{
    if (!mark_on) return;
    char mem[MARK_LINE_BYTES];
    struct jb b;
    mark_line(&b, mem, mark_name, mark_len,
              mark_at_ns > cl_start_ns ? mark_at_ns - cl_start_ns : 0);
    if (!b.overflow) trace_append_locked(b.p, b.len);
}

/* Sets the mark and writes its record (connleak_mark, hooks_mark.c). */
void mark_set(const char *test)
{
    char mem[MARK_LINE_BYTES];
    struct jb b;
    size_t n = test ? name_len(test) : 0;
    uint64_t now = clock_now_ns();
    mark_line(&b, mem, test, n, now > cl_start_ns ? now - cl_start_ns : 0);
    lock_take(&cl_trace_lock);
    mark_store(test, n, now);
    bool started = trace_started_locked(); /* else its creation writes the mark */
    if (started && !b.overflow) trace_append_locked(b.p, b.len);
    lock_give(&cl_trace_lock);
    if (!started) trace_ensure_open(); /* a marked test leaves a trace, sockets or not */
}
