/* model.h - what one trace says about one process, ready for the rules.
 *
 * The reader (trace_read.c) fills a struct process line by line and keeps
 * only what the rules and the report need: the module map, the stack table,
 * the sockets still open at the end, and the bad closes. (The per-socket
 * records that rebuild a cut-short trace's live set live in the reader and
 * die with it.)
 * Stack ids in the trace are arbitrary numbers; the reader renumbers them
 * densely (1, 2, ...; 0 = no stack), so every `stk` field here indexes
 * process.stacks directly. Peer addresses repeat a lot, so they are
 * interned. */
#ifndef CONNLEAK_MODEL_H
#define CONNLEAK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum sock_role {
    ROLE_SOCKET,   /* socket(), never connected nor listening */
    ROLE_CLIENT,   /* connect() succeeded or is in progress */
    ROLE_LISTENER, /* listen() succeeded */
    ROLE_ACCEPTED, /* from accept() */
    ROLE_PAIR,     /* from socketpair() */
    ROLE_RECEIVED, /* arrived over SCM_RIGHTS */
    ROLE_OTHER,    /* a role this connleak does not know */
    ROLE_COUNT
};
const char *role_name(enum sock_role role);
enum sock_role role_parse(const char *s); /* NULL or unknown -> ROLE_OTHER */

struct module {
    char *path;
    uint64_t base, lo, hi; /* load bias; run-time range [lo, hi) */
    char *bid;             /* GNU build-id in hex, "" if none */
};

struct stack {
    uint64_t *pc; /* return addresses, innermost first */
    uint32_t n;
    uint32_t id; /* the id in the trace */
};

/* A socket still open at the end of the trace. */
struct live_sock {
    uint64_t sid;
    uint64_t opened, at; /* at = when the trace last saw it (ts of live record) */
    uint64_t last_io;    /* 0 = no I/O (or unknown) */
    uint64_t in, out;
    uint32_t stk, peer;
    uint8_t role;
    bool inherited;
};

enum badclose_kind { BADCLOSE_DOUBLE, BADCLOSE_FOREIGN };

struct badclose {
    uint64_t ts;
    int fd;
    uint8_t kind;                           /* enum badclose_kind */
    uint32_t stk, prev_stk, prev_close_stk; /* the last: with CONNLEAK_CLOSE_STACKS=1 */
};

struct process {
    char *trace; /* path of the trace file */
    long pid, ppid;
    bool forked;
    bool complete;   /* an end record was read */
    unsigned issues; /* malformed lines skipped */
    bool cut_short;  /* the last line was incomplete */
    char *exe;
    struct strlist argv;
    uint64_t start_unix_ns;
    uint64_t last_ts;  /* largest ts seen */
    unsigned flush_ms; /* from the header; 0 if not given */
    uint64_t dev, ino; /* the trace file's identity */

    struct module *mods;
    size_t nmods, capmods;
    struct stack *stacks; /* indexed by dense stack index; [0] is "no stack" */
    size_t nstacks, capstacks;
    struct live_sock *live;
    size_t nlive, caplive;
    struct badclose *bad;
    size_t nbad, capbad;
    struct strtab peers;

    uint64_t opened, closed; /* counted from open / last-close records */
    /* What the report shows: from the end record when the trace is complete,
     * else counted from the events. */
    struct {
        uint64_t opened, closed, live, badclose_dropped, lost;
    } totals;
};

/* The stack at this dense index, or NULL for 0 (no stack). */
const struct stack *process_stack(const struct process *p, uint32_t id);
/* The module whose [lo, hi) covers pc, or NULL. */
const struct module *process_module_at(const struct process *p, uint64_t pc);
/* A short name for the report: basename of exe (or argv[0]), "?" if none. */
const char *process_name(const struct process *p);
void process_free(struct process *p);

#endif
