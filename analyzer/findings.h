/* findings.h - the finding model shared by the rules and the renderers.
 *
 * A rule turns one process into per-process groups (one per stack id); once
 * their stacks are symbolised, groups with the same kind and call site (the
 * site key: every frame's function and file:line) are merged across
 * processes, so a leak in every forked worker is one finding with several
 * pids, while two socket() calls in one function stay two findings. Findings
 * are then sorted: kinds in a fixed order of importance, larger counts
 * first. */
#ifndef CONNLEAK_FINDINGS_H
#define CONNLEAK_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum finding_kind { KIND_ORPHAN, KIND_DOUBLE_CLOSE, KIND_FOREIGN_CLOSE, KIND_COUNT };

const char *kind_name(enum finding_kind kind); /* "orphaned-socket", ... */
int kind_parse(const char *s);                 /* -1 when unknown */
const char *kind_severity(enum finding_kind kind);

/* One symbolised frame (strings owned). */
struct frame {
    uint64_t pc;
    uint64_t rel;                   /* pc - load bias of its module (pc when no module covers it) */
    char *module, *function, *file; /* NULL when unknown */
    uint64_t offset;
    int line;
    bool inlined, user;
};

struct frames {
    struct frame *v;
    size_t n;
    int top; /* index of the top frame (see stackfmt.h), -1 if none */
};

struct peer_count {
    char *peer;
    uint64_t count;
};

struct finding {
    enum finding_kind kind;
    uint64_t count; /* sockets (orphaned) or close calls (bad closes) */
    long *pids;     /* sorted, distinct */
    size_t npids, cappids;
    uint32_t stk, open_stk, first_close_stk; /* per-process stack ids, before resolving */
    struct frames stack, open_stack, first_close_stack;
    uint64_t fingerprint; /* functions only: the stable id in the JSON report */
    uint64_t site;        /* functions and lines: what findings are merged on */
    bool partial;         /* some of it comes from a trace cut short */
    bool sweep;           /* foreign closes of a close-all loop: a note, not a finding */

    /* orphaned-socket */
    uint64_t roles[ROLE_COUNT];
    struct peer_count *peers; /* all distinct peers, sorted by findings_sort */
    size_t npeers, cappeers;
    uint64_t age_min, age_max, idle_min, idle_max; /* nanoseconds */
    uint64_t bytes_in, bytes_out;

    /* double-close, foreign-close: distinct fds, sorted */
    int *fds;
    size_t nfds, capfds;
};

struct findings {
    struct finding *v;
    size_t n, cap;
    struct hindex index; /* of v[0 .. nindexed) by kind and site, for findings_merge */
    size_t nindexed;
};

struct finding *findings_add(struct findings *fs, enum finding_kind kind);
void finding_add_pid(struct finding *f, long pid);
void finding_add_fd(struct finding *f, int fd); /* keeps fds sorted, distinct */
/* Appends a peer the finding does not have yet (the caller knows). */
void finding_push_peer(struct finding *f, const char *peer, uint64_t count);
enum sock_role finding_role(const struct finding *f); /* the most common role */

/* Moves src into fs: merged into the finding of the same kind and site
 * (and sweep flag) if there is one, appended otherwise. src is left empty.
 * A hash index keeps this O(1) per call (findings_sort drops the index). */
void findings_merge(struct findings *fs, struct finding *src);
void findings_sort(struct findings *fs);
uint64_t findings_total(const struct findings *fs, enum finding_kind kind);

/* FNV-1a 64 over "module-basename!function\n" of every frame: stable across
 * runs and ASLR. A frame without a function contributes its module-relative
 * address instead ("module!+0x1a2b"), so unsymbolised stacks do not all
 * collide. */
uint64_t frames_fingerprint(const struct frames *s);
/* FNV-1a 64 over the fingerprint's text plus, per frame, "@file:line", or
 * "@+0xREL" (the module-relative pc) when the frame has no line: tells apart
 * call sites in the same function, still stable across runs and ASLR. */
uint64_t frames_site(const struct frames *s);
void frames_free(struct frames *s);
void finding_free(struct finding *f);
void findings_free(struct findings *fs);

#endif
