/* events_internal.h - what the record writers of events*.c share: a JSON
 * line begun on the caller's stack with its type and time, a socket's sid
 * and fd, and the line handed to the trace writer. */
#ifndef CONNLEAK_EVENTS_INTERNAL_H
#define CONNLEAK_EVENTS_INTERNAL_H

#include "preload.h"
#include "fdtable.h"
#include "trace.h"

#include "jsonline.h"

#define LINE_MAX_BYTES 1024

static inline void ev_begin_n(struct jb *b, char *mem, const char *head, size_t n)
{
    jb_init(b, mem, LINE_MAX_BYTES - 1);
    jb_rawn(b, head, n);
    JB_KV_U64(b, "ts", clock_since_start());
}
/* {"t":"TYPE" with its length known to the compiler */
#define ev_begin(b, mem, type) ev_begin_n((b), (mem), "{\"t\":\"" type "\"", sizeof(type) + 6)

static inline void ev_finish(struct jb *b)
{
    JB_LIT(b, "}");
    trace_line(b);
}

static inline void kv_sock(struct jb *b, const struct sock_rec *r, int fd)
{
    JB_KV_U64(b, "sid", r->sid);
    JB_KV_U64(b, "fd", (uint64_t)fd); /* tracked fds are never negative */
}

#endif
