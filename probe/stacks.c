/* stacks.c - each distinct user stack of a process once in its trace: an
 * open-addressing table from a hash of the program counters to the `stk`
 * id, the `stk` record written (after the modules that cover its frames)
 * the first time a stack is seen. */
#include <stdlib.h>
#include <string.h>

#include "probe_int.h"

static uint64_t pcs_hash(const uint64_t *pcs, int n)
{
    uint64_t h = fnv1a(FNV1A_INIT, pcs, (size_t)n * sizeof(*pcs));
    return h ? h : 1;
}

static int table_grow(struct pstack *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    uint64_t *hash = calloc(cap, sizeof(*hash));
    uint32_t *id = calloc(cap, sizeof(*id));
    if (!hash || !id) {
        free(hash);
        free(id);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->hash[i]) continue;
        size_t j = t->hash[i] & (cap - 1);
        while (hash[j]) j = (j + 1) & (cap - 1);
        hash[j] = t->hash[i];
        id[j] = t->id[i];
    }
    free(t->hash);
    free(t->id);
    t->hash = hash;
    t->id = id;
    t->cap = cap;
    return 0;
}

/* The stack's id (0: no stack). Frames outside every known module make the
 * module map be read again first, so that a dlopen'ed library is named. */
uint32_t stack_intern(struct pproc *pr, const uint64_t *pcs, int n)
{
    struct pstack *t = &pr->stacks;
    if (n <= 0) return 0;
    uint64_t h = pcs_hash(pcs, n);
    if ((t->n + 1) * 2 > t->cap && table_grow(t) < 0) return 0;
    size_t j = h & (t->cap - 1);
    while (t->hash[j] && t->hash[j] != h) j = (j + 1) & (t->cap - 1);
    if (t->hash[j]) return t->id[j];
    bool covered = true;
    for (int i = 0; i < n && covered; i++) covered = modmap_covers(pr, pcs[i]);
    if (!covered) modmap_refresh(pr);
    t->hash[j] = h;
    t->id[j] = ++pr->next_stk;
    t->n++;
    rec_stk(pr, t->id[j], pcs, n);
    return t->id[j];
}

void stacks_free(struct pstack *t)
{
    free(t->hash);
    free(t->id);
    memset(t, 0, sizeof(*t));
}
