/* pool.h - a pool of fixed-size elements mapped once, with a lock-free
 * free list (fdtable.c). For the tables that hand out records from a signal
 * handler: the socket records (fdtable.c) and the HTTP states (httptrack.c). */
#ifndef CONNLEAK_POOL_H
#define CONNLEAK_POOL_H

#include "preload.h"

/* A pool of fixed-size elements mapped once, with a lock-free free list
 * (a tagged stack): used for socket records and HTTP states. Each element
 * holds its free-list link, a uint32_t at link_off. */
struct cl_pool {
    char *base;
    size_t elem, link_off;
    uint32_t cap;
    _Atomic uint64_t free_head; /* tag << 32 | (index + 1) */
    _Atomic uint32_t used;      /* elements ever handed out (bump) */
};
int pool_init(struct cl_pool *p, size_t elem, size_t link_off, uint32_t cap);
void *pool_alloc(struct cl_pool *p); /* NULL when full; not zeroed */
void pool_free(struct cl_pool *p, void *e);
static inline uint32_t pool_index(const struct cl_pool *p, const void *e) /* index + 1 */
{
    return (uint32_t)(((const char *)e - p->base) / p->elem) + 1;
}
static inline void *pool_at(const struct cl_pool *p, uint32_t idx) /* idx = index + 1 */
{
    return p->base + (size_t)(idx - 1) * p->elem;
}

#endif
