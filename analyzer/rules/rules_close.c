/* rules_close.c - double-close and foreign-close: close() calls that failed
 * with EBADF, grouped by the stack of the bad close.
 *
 * Daemons close every fd number at start-up; the preload sees that as a run
 * of foreign closes from one call site. A site that closed many distinct
 * numbers is such a sweep and is flagged, to become a note instead. */
#include "rules/rules.h"

#include <stdlib.h>

void rules_close(const struct process *p, struct findings *out)
{
    size_t nslots = p->nstacks ? p->nstacks : 1;
    uint32_t *group_of[2]; /* per kind: stk -> index in out + 1 */
    group_of[BADCLOSE_DOUBLE] = xcalloc(nslots, sizeof(uint32_t));
    group_of[BADCLOSE_FOREIGN] = xcalloc(nslots, sizeof(uint32_t));
    size_t first = out->n;
    for (size_t i = 0; i < p->nbad; i++) {
        const struct badclose *b = &p->bad[i];
        uint32_t stk = b->stk < nslots ? b->stk : 0;
        uint32_t *slot = &group_of[b->kind == BADCLOSE_DOUBLE ? 0 : 1][stk];
        if (!*slot) {
            struct finding *f = findings_add(out, b->kind == BADCLOSE_DOUBLE ? KIND_DOUBLE_CLOSE
                                                                             : KIND_FOREIGN_CLOSE);
            f->stk = stk;
            finding_add_pid(f, p->pid);
            *slot = (uint32_t)(out->n - first);
        }
        struct finding *f = &out->v[first + *slot - 1];
        f->count++;
        finding_add_fd(f, b->fd);
        if (f->kind == KIND_DOUBLE_CLOSE && !f->open_stk) f->open_stk = b->prev_stk;
        if (f->kind == KIND_DOUBLE_CLOSE && !f->first_close_stk)
            f->first_close_stk = b->prev_close_stk;
    }
    for (size_t i = first; i < out->n; i++)
        if (out->v[i].kind == KIND_FOREIGN_CLOSE && out->v[i].nfds >= SWEEP_MIN_FDS)
            out->v[i].sweep = true;
    free(group_of[0]);
    free(group_of[1]);
}
