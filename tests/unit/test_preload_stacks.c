/* test_preload_stacks.c - a call site always gets the same stack id, two
 * call sites get two, and each stack is written to the trace exactly once,
 * before the first record that names it. A fork never leaves its child
 * waiting for libunwind's locks: it waits for the unwinds under way, and a
 * child forked while one was still inside records no stacks. */
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
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

/* ---- fork and libunwind ---- */

static _Atomic int held, inside;
static __thread int tl_blocker;

/* The blocker thread's unwind stops inside (where libunwind's locks would
 * be taken) until released. */
static void hold_inside(void)
{
    if (!tl_blocker) return;
    atomic_store(&inside, 1);
    while (atomic_load(&held)) sched_yield();
}

static void *blocker(void *arg)
{
    tl_blocker = 1;
    *(uint32_t *)arg = site_a();
    return NULL;
}

static void exit_in_unwind(void)
{
    syscall(SYS_exit_group, 2); /* the child reached libunwind */
}

/* A child: 0 if its stack_capture() did not call libunwind (and found no
 * stack), 2 if it did. Raw exits: nothing of the parent's trace flushed. */
static int child_unwinds(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        stacks_after_fork_child();
        stacks_test_in_unwind(exit_in_unwind);
        syscall(SYS_exit_group, site_b() == 0 ? 0 : 1);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void a_fork_during_an_unwind_leaves_the_child_without_stacks(void **state)
{
    (void)state;
    pthread_t t;
    uint32_t id_b = 0;
    atomic_store(&held, 1);
    stacks_test_in_unwind(hold_inside);
    pthread_create(&t, NULL, blocker, &id_b);
    while (!atomic_load(&inside)) sched_yield();
    uint64_t t0 = ms_now();
    stacks_fork_prepare(); /* waits for the blocker, in vain */
    assert_true(ms_now() - t0 >= 90);
    assert_int_equal(site_b(), 0);        /* no new unwind while a fork is under way */
    assert_int_equal(child_unwinds(), 0); /* the child does without libunwind */
    stacks_fork_parent();
    atomic_store(&held, 0);
    pthread_join(t, NULL);
    stacks_test_in_unwind(NULL);
    assert_int_not_equal(id_b, 0); /* the parent's unwind went on */
    assert_int_not_equal(site_b(), 0);
}

static void a_fork_with_no_unwind_under_way_keeps_stacks(void **state)
{
    (void)state;
    uint64_t t0 = ms_now();
    stacks_fork_prepare();
    assert_true(ms_now() - t0 < 50);
    assert_int_equal(child_unwinds(), 2); /* the child unwinds */
    stacks_fork_parent();
    assert_int_not_equal(site_a(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_site_same_id_written_once),
        cmocka_unit_test(different_sites_different_ids),
        cmocka_unit_test(stack_holds_the_call_site),
        cmocka_unit_test(new_trace_generation_writes_stacks_again),
        cmocka_unit_test(a_fork_during_an_unwind_leaves_the_child_without_stacks),
        cmocka_unit_test(a_fork_with_no_unwind_under_way_keeps_stacks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
