/* test_analyzer_sidmap.c - the reader's sid table (analyzer/trace/ids.c):
 * whatever order sids come in, put, get and delete agree with a plain
 * reference map, while its dense window grows, slides past long-lived
 * sockets (which move to the hash table) and jumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/sidmap.h"

#define SIDS 400000

static uint32_t *ref; /* sid (below SIDS, times a stride) -> value */

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* Sockets open in about sid order, a few late (another thread's sid taken
 * earlier), one in 20 living long, the rest closed soon after. */
static void run(uint64_t first, uint64_t stride)
{
    struct sidmap m = {0};
    uint64_t rnd = 88172645463325252ull;
    size_t live = 0;
    ref = calloc(SIDS, sizeof(*ref));
    assert_non_null(ref);
    for (uint64_t i = 0; i < SIDS; i++) {
        uint64_t k = i;
        if (i >= 8 && xorshift(&rnd) % 50 == 0) k = i - 1 - xorshift(&rnd) % 7; /* late */
        if (ref[k]) k = i;
        if (ref[k]) continue;
        ref[k] = (uint32_t)(k + 1);
        sidmap_put(&m, first + k * stride, ref[k], ++live);
        if (i >= 64 && xorshift(&rnd) % 20 != 0) { /* a recent one closes */
            uint64_t c = i - xorshift(&rnd) % 64;
            if (ref[c] && c % 20 != 7) {
                sidmap_del(&m, first + c * stride);
                ref[c] = 0;
                live--;
            }
        }
        if (i % 997 == 0) /* check a sample as we go */
            for (uint64_t j = i > 3000 ? i - 3000 : 0; j <= i; j += 7)
                assert_int_equal(sidmap_get(&m, first + j * stride), ref[j]);
    }
    for (uint64_t j = 0; j < SIDS; j++)
        assert_int_equal(sidmap_get(&m, first + j * stride), ref[j]);
    assert_int_equal(sidmap_get(&m, first + SIDS * stride), 0);
    assert_true(m.ndense <= 2 * live + DENSE_SLACK);
    sidmap_free(&m);
    free(ref);
}

static void sids_in_order_with_late_ones(void **state)
{
    (void)state;
    run(1, 1);
}

/* Sids that skip (a process's handle ids, a probe's): the window jumps. */
static void sids_with_gaps_jump_the_window(void **state)
{
    (void)state;
    run(1ull << 40, 100003);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sids_in_order_with_late_ones),
        cmocka_unit_test(sids_with_gaps_jump_the_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
