/* test_preload_stacks.c - a call site always gets the same stack id, two
 * call sites get two, and each stack is written to the trace exactly once,
 * before the first record that names it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "preload_harness.h"

static int setup(void **state)
{
    (void)state;
    return harness_start();
}

__attribute__((noinline)) static uint32_t site_a(void)
{
    uint32_t id = stack_capture();
    __asm__ volatile("" ::: "memory"); /* keep the call a call */
    return id;
}

__attribute__((noinline)) static uint32_t site_b(void)
{
    uint32_t id = stack_capture();
    __asm__ volatile("" ::: "memory");
    return id;
}

static int stk_lines_with_id(uint32_t id)
{
    cJSON **v = NULL;
    int n = harness_lines(&v), c = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *t = cJSON_GetObjectItem(v[i], "t");
        const cJSON *sid = cJSON_GetObjectItem(v[i], "id");
        if (strcmp(t->valuestring, "stk") == 0 && (uint32_t)sid->valuedouble == id) c++;
    }
    harness_lines_free(v, n);
    return c;
}

/* One call site, run n times (not unrolled: unrolling makes n call sites). */
__attribute__((noinline)) static void site_a_times(uint32_t *ids, int n)
{
#pragma GCC unroll 1
    for (int i = 0; i < n; i++) ids[i] = site_a();
}

static void same_site_same_id_written_once(void **state)
{
    (void)state;
    uint32_t ids[3];
    site_a_times(ids, 3);
    assert_int_not_equal(ids[0], 0);
    assert_int_equal(ids[0], ids[1]);
    assert_int_equal(ids[1], ids[2]);
    assert_int_equal(stk_lines_with_id(ids[0]), 1);
}

static void different_sites_different_ids(void **state)
{
    (void)state;
    uint32_t a = site_a(), b = site_b();
    assert_int_not_equal(a, 0);
    assert_int_not_equal(b, 0);
    assert_int_not_equal(a, b);
}

/* The stack holds return addresses: one of them lies inside the function
 * that called stack_capture. */
static void stack_holds_the_call_site(void **state)
{
    (void)state;
    uint32_t id = site_b();
    cJSON **v = NULL;
    int n = harness_lines(&v);
    const cJSON *pcs = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(cJSON_GetObjectItem(v[i], "t")->valuestring, "stk") == 0 &&
            (uint32_t)cJSON_GetObjectItem(v[i], "id")->valuedouble == id)
            pcs = cJSON_GetObjectItem(v[i], "pc");
    assert_non_null(pcs);
    assert_true(cJSON_GetArraySize(pcs) >= 3);
    int inside = 0;
    for (int i = 0; i < cJSON_GetArraySize(pcs); i++) {
        uintptr_t pc = strtoull(cJSON_GetArrayItem(pcs, i)->valuestring, NULL, 16);
        inside += pc > (uintptr_t)site_b && pc < (uintptr_t)site_b + 64;
    }
    assert_int_equal(inside, 1);
    harness_lines_free(v, n);
}

static void new_trace_generation_writes_stacks_again(void **state)
{
    (void)state;
    uint32_t ids[2];
    int lines[2];
#pragma GCC unroll 1
    for (volatile int i = 0; i < 2; i++) {         /* volatile: no peeling into two sites */
        if (i) atomic_fetch_add(&cl_trace_gen, 1); /* as after fork (same file here) */
        ids[i] = site_a();
        lines[i] = stk_lines_with_id(ids[i]);
    }
    assert_int_equal(ids[1], ids[0]);
    assert_int_equal(lines[1], lines[0] + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_site_same_id_written_once),
        cmocka_unit_test(different_sites_different_ids),
        cmocka_unit_test(stack_holds_the_call_site),
        cmocka_unit_test(new_trace_generation_writes_stacks_again),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
