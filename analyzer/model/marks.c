/* marks.c - which test was running when (the trace's `mark` records,
 * include/connleak.h): kept sorted by ts, so that the test of a socket is
 * the last mark at or before its opening, found by binary search. */
#include <string.h>

#include "model/model.h"

#define MAX_TEST_NAME 1024 /* longer names (not from our preload) are cut */

void process_add_mark(struct process *p, uint64_t ts, const char *test)
{
    char cut[MAX_TEST_NAME + 1];
    uint32_t id = 0;
    if (test && *test) {
        size_t n = strnlen(test, MAX_TEST_NAME);
        memcpy(cut, test, n);
        cut[n] = 0;
        id = strtab_intern(&p->texts, cut);
    }
    ALLOC_GROW(p->marks, p->nmarks + 1, p->capmarks);
    size_t i = p->nmarks; /* almost always the end: the records come in order */
    while (i && p->marks[i - 1].ts > ts) i--;
    memmove(p->marks + i + 1, p->marks + i, (p->nmarks - i) * sizeof(*p->marks));
    p->marks[i] = (struct test_mark){ts, id};
    p->nmarks++;
}

uint32_t process_test_at(const struct process *p, uint64_t ts)
{
    size_t lo = 0, hi = p->nmarks; /* the first mark after ts is at lo */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->marks[mid].ts <= ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? p->marks[lo - 1].test : 0;
}
