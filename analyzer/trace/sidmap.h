/* sidmap.h - socket ids (and handle ids) of a trace to dense indexes
 * (ids.c): the reader's table of the sockets open at once.
 *
 * sid -> a value (an index + 1; 0 = absent). The sids of one process come
 * in about the order they were handed out: the recent ones are in a dense
 * window (dense[sid & (ndense - 1)] for sids in [base, base + ndense)),
 * which grows up to twice the sockets so far plus DENSE_SLACK and then
 * slides forward; the sids it leaves behind (long-lived sockets) and sids
 * older than it are in a hash table (open addressing, sid 0 = empty).
 * Either way memory follows the sockets, not the sids' values. */
#ifndef CONNLEAK_TRACE_SIDMAP_H
#define CONNLEAK_TRACE_SIDMAP_H

#include <stddef.h>
#include <stdint.h>

#define DENSE_SLACK 65536

struct sidmap {
    uint64_t base;
    uint32_t *dense;
    size_t ndense;
    uint64_t *keys;
    uint32_t *vals;
    size_t n, nslots;
};

uint32_t sidmap_get(const struct sidmap *m, uint64_t sid);
void sidmap_put(struct sidmap *m, uint64_t sid, uint32_t val, size_t nsocks); /* nsocks: so far */
void sidmap_del(struct sidmap *m, uint64_t sid);
void sidmap_free(struct sidmap *m);

#endif
