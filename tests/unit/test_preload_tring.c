/* test_preload_tring.c - the per-thread record rings (preload/tring.c): what
 * threads put in comes out of the drain whole, once, and in the order the
 * threads could see things happen; a full ring refuses until drained; a
 * thread that ends gives its ring to the next one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tring.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXOUT 400000

/* What the drain handed out, in order. */
static struct out {
    uint8_t type;
    uint64_t ts, sid;
    int64_t fd;
    uint32_t mask;
    size_t len;
    uint8_t bytes[48];
} * outs;
static size_t nout;
static uint64_t late;

static void sink_frame(enum tb_rec type, uint64_t ts, const struct tb *b)
{
    assert_true(nout < MAXOUT);
    struct out *o = &outs[nout++];
    *o = (struct out){.type = (uint8_t)type,
                      .ts = ts,
                      .sid = b->sid,
                      .fd = b->fd,
                      .mask = b->mask,
                      .len = b->len};
    memcpy(o->bytes, b->p, b->len < sizeof(o->bytes) ? b->len : sizeof(o->bytes));
}

static void sink_line(const char *s, size_t n)
{
    assert_true(nout < MAXOUT);
    struct out *o = &outs[nout++];
    *o = (struct out){.type = 0, .len = n};
    memcpy(o->bytes, s, n < sizeof(o->bytes) ? n : sizeof(o->bytes));
}

static void sink_late(uint64_t n)
{
    late += n;
}

static const struct tring_sink sink = {sink_frame, sink_line, sink_late};
static cl_lock_t drain_lock = CL_LOCK_INIT; /* the drain's, as cl_trace_lock is in trace.c */

static void drain(bool final)
{
    lock_take(&drain_lock);
    tring_drain(&sink, final);
    lock_give(&drain_lock);
}

/* A close record of socket sid, fd, with `len` value bytes of a pattern. */
static bool put(uint64_t sid, int64_t fd, uint64_t ts, size_t len)
{
    uint8_t mem[256];
    struct tb b;
    tb_init(&b, mem, sizeof(mem), TBR_CLOSE);
    tb_u(&b, TBF_SID, sid);
    tb_i(&b, TBF_FD, fd);
    for (size_t i = 0; i < len; i++) mem[i] = (uint8_t)(sid + i);
    b.len = len;
    b.mask = (uint32_t)sid;
    return tring_put_frame(TBR_CLOSE, ts, &b);
}

static int setup(void **state)
{
    (void)state;
    tring_init();
    if (!outs) outs = calloc(MAXOUT, sizeof(*outs));
    nout = 0;
    late = 0;
    drain(true); /* what an earlier case left */
    nout = 0;
    return outs ? 0 : -1;
}

static void a_record_comes_out_whole(void **state)
{
    (void)state;
    assert_true(put(7, 3, 1000, 40));
    assert_true(tring_put_line("{\"t\":\"note\"}\n", 13));
    drain(false);
    assert_int_equal(nout, 2);
    assert_int_equal(outs[0].type, TBR_CLOSE);
    assert_int_equal(outs[0].sid, 7);
    assert_int_equal(outs[0].fd, 3);
    assert_int_equal(outs[0].ts, 1000);
    assert_int_equal(outs[0].mask, 7);
    assert_int_equal(outs[0].len, 40);
    for (size_t i = 0; i < 40; i++) assert_int_equal(outs[0].bytes[i], (uint8_t)(7 + i));
    assert_int_equal(outs[1].type, 0);
    assert_memory_equal(outs[1].bytes, "{\"t\":\"note\"}\n", 13);
    drain(false); /* nothing twice */
    assert_int_equal(nout, 2);
}

/* A line too long for a ring is written in its turn, between the records
 * put before and after it. */
static void a_long_line_goes_through_in_its_turn(void **state)
{
    (void)state;
    static char big[TRING_LINE_MAX + 100];
    memset(big, 'x', sizeof(big));
    assert_true(put(1, 1, 1, 8));
    assert_false(tring_put_line(big, sizeof(big)));
    lock_take(&drain_lock);
    tring_line_through(&sink, big, sizeof(big));
    lock_give(&drain_lock);
    assert_true(put(2, 1, 2, 8));
    drain(false);
    assert_int_equal(nout, 3);
    assert_int_equal(outs[0].sid, 1);
    assert_int_equal(outs[1].type, 0);
    assert_int_equal(outs[1].len, sizeof(big));
    assert_int_equal(outs[2].sid, 2);
    assert_int_equal(late, 0);
}

/* A number taken and not published (its thread preempted in between) is
 * waited for, then the drain goes on without it and says so; its record is
 * written when it comes. The next records are not held up again. */
static void a_number_never_published_is_reported_late(void **state)
{
    (void)state;
    assert_true(put(1, 1, 1, 8));
    uint64_t held = tring_test_take();
    assert_true(put(2, 1, 2, 8));
    drain(false);
    assert_int_equal(late, 1);
    assert_int_equal(nout, 2);
    assert_int_equal(outs[0].sid, 1);
    assert_int_equal(outs[1].sid, 2);
    assert_true(put(3, 1, 3, 8));
    assert_true(tring_test_publish(held, "late\n", 5));
    drain(false);
    assert_int_equal(late, 1);
    assert_int_equal(nout, 4);
    assert_int_equal(outs[2].sid, 3); /* (drawn from its ring in order; the late one after) */
    assert_int_equal(outs[3].type, 0);
    assert_memory_equal(outs[3].bytes, "late\n", 5);
}

/* A fork from a signal handler that interrupted a put: the child's rings
 * hold nothing of the parent's, its half-written entry included (it would
 * be written where the ring's head was, which the child reset); the
 * parent writes it once. */
static pid_t forked;

static void fork_in_the_middle(void)
{
    forked = fork();
    if (forked == 0) tring_after_fork_child();
}

static void a_fork_in_the_middle_of_a_put_leaves_the_child_clean(void **state)
{
    (void)state;
    assert_true(put(5, 5, 5, 8)); /* something of the parent's in the ring */
    forked = -1;
    tring_test_mid_put(fork_in_the_middle);
    assert_true(tring_put_line("parent\n", 7));
    tring_test_mid_put(NULL);
    assert_true(forked >= 0);
    if (forked == 0) { /* the child: only its own record */
        nout = 0;
        late = 0;
        bool ok = tring_put_line("child\n", 6);
        lock_take(&drain_lock);
        tring_drain(&sink, true);
        lock_give(&drain_lock);
        _exit(ok && nout == 1 && outs[0].len == 6 && !memcmp(outs[0].bytes, "child\n", 6) &&
                      late == 0
                  ? 0
                  : 1);
    }
    int st;
    assert_int_equal(waitpid(forked, &st, 0), forked);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    drain(false);
    assert_int_equal(nout, 2);
    assert_int_equal(outs[0].sid, 5);
    assert_int_equal(outs[1].len, 7);
    assert_memory_equal(outs[1].bytes, "parent\n", 7);
    assert_int_equal(late, 0);
}

/* A fork from a signal handler that interrupted a drain on this thread (a
 * program thread whose ring was full): the drain goes on in the child once
 * the handler returns. The child must write none of the parent's records
 * and its rings must take and give back its own. */
static void fork_from_handler(int sig)
{
    (void)sig;
    forked = fork();
    if (forked == 0) {
        tring_after_fork_child();
        nout = 0; /* the child's own output starts here (trace.c's buf_len = 0) */
    }
}

static void sink_frame_forking(enum tb_rec type, uint64_t ts, const struct tb *b)
{
    sink_frame(type, ts, b);
    if (forked == -1 && nout == 1) raise(SIGUSR1); /* its handler forks */
}

static void a_fork_in_the_middle_of_a_drain_leaves_the_child_clean(void **state)
{
    (void)state;
    for (int i = 1; i <= 3; i++) assert_true(put((uint64_t)i, i, (uint64_t)i, 8));
    static const struct tring_sink forking = {sink_frame_forking, sink_line, sink_late};
    forked = -1;
    struct sigaction sa = {.sa_handler = fork_from_handler}, was;
    sigaction(SIGUSR1, &sa, &was);
    lock_take(&drain_lock);
    tring_drain(&forking, false);
    lock_give(&drain_lock);
    sigaction(SIGUSR1, &was, NULL);
    assert_true(forked >= 0);
    if (forked == 0) {
        size_t parents = nout; /* the parent's records the drain wrote in the child */
        nout = 0;
        int puts = 0;
        for (int i = 0; i < 400; i++) puts += put(100, 100, 100, 8); /* under a ring's worth */
        lock_take(&drain_lock);
        tring_drain(&sink, true);
        lock_give(&drain_lock);
        bool own = nout == (size_t)puts;
        for (size_t i = 0; i < nout && own; i++) own = outs[i].sid == 100;
        _exit((parents == 0 ? 0 : 1) | (puts == 400 ? 0 : 2) | (own ? 0 : 4));
    }
    int st;
    assert_int_equal(waitpid(forked, &st, 0), forked);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0); /* 1: parent's records, 2: puts refused, 4: not its own */
    assert_int_equal(nout, 3);
}

/* Records of every size, many times round the ring: each comes out once,
 * in order, with its bytes. */
static void records_wrap_round_the_ring(void **state)
{
    (void)state;
    uint64_t sid = 1;
    for (int round = 0; round < 40; round++) {
        size_t first = nout;
        uint64_t from = sid;
        while (put(sid, (int64_t)sid % 1000, sid, sid % 48)) sid++; /* until full */
        assert_true(sid - from > 250);
        drain(false);
        assert_int_equal(nout - first, sid - from);
        for (size_t i = first; i < nout; i++) {
            uint64_t want = from + (i - first);
            assert_int_equal(outs[i].sid, want);
            assert_int_equal(outs[i].len, want % 48);
            if (outs[i].len)
                assert_int_equal(outs[i].bytes[outs[i].len - 1], (uint8_t)(want + want % 48 - 1));
        }
    }
    assert_int_equal(late, 0);
}

/* Two threads take turns: each writes its record, then lets the other go.
 * The drain must give them back in exactly that order, though they come
 * from two rings; a third thread drains all along. */
static _Atomic int turn;
static _Atomic bool pingpong_done;
#define PINGS 20000

static void *pinger(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int k = me; k < PINGS; k += 2) {
        while (atomic_load(&turn) != k) __builtin_ia32_pause();
        while (!put((uint64_t)k, me, (uint64_t)k, 8))
            __builtin_ia32_pause(); /* full: the drainer */
        atomic_store(&turn, k + 1);
    }
    return NULL;
}

static void *drainer(void *arg)
{
    (void)arg;
    while (!atomic_load(&pingpong_done)) drain(false);
    return NULL;
}

static void threads_come_out_in_the_order_they_saw(void **state)
{
    (void)state;
    pthread_t a, b, d;
    atomic_store(&turn, 0);
    atomic_store(&pingpong_done, false);
    pthread_create(&d, NULL, drainer, NULL);
    pthread_create(&a, NULL, pinger, (void *)0);
    pthread_create(&b, NULL, pinger, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    atomic_store(&pingpong_done, true);
    pthread_join(d, NULL);
    drain(true);
    assert_int_equal(nout, PINGS);
    for (size_t i = 0; i < nout; i++) {
        assert_int_equal(outs[i].sid, i);
        assert_int_equal(outs[i].fd, i % 2);
    }
    assert_int_equal(late, 0);
}

/* Eight threads write as fast as they can: every record comes out once,
 * each thread's in its own order, none reported late. */
#define WRITERS 8
#define EACH    20000

static void *writer(void *arg)
{
    uint64_t me = (uint64_t)(intptr_t)arg;
    for (uint64_t i = 0; i < EACH; i++)
        while (!put(me << 32 | i, (int64_t)me, i, i % 24)) sched_yield();
    return NULL;
}

static void many_writers_lose_nothing(void **state)
{
    (void)state;
    pthread_t t[WRITERS], d;
    atomic_store(&pingpong_done, false);
    pthread_create(&d, NULL, drainer, NULL);
    for (int i = 0; i < WRITERS; i++) pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i);
    for (int i = 0; i < WRITERS; i++) pthread_join(t[i], NULL);
    atomic_store(&pingpong_done, true);
    pthread_join(d, NULL);
    drain(true);
    assert_int_equal(nout, WRITERS * EACH);
    uint64_t next[WRITERS] = {0};
    for (size_t i = 0; i < nout; i++) {
        uint64_t w = outs[i].sid >> 32, k = outs[i].sid & 0xffffffff;
        assert_true(w < WRITERS);
        assert_int_equal(k, next[w]);
        next[w]++;
    }
    assert_int_equal(late, 0);
}

/* A claim is won by one thread only; the loser's number leaves no gap. */
static _Atomic uint8_t claim;
static _Atomic int claims_won;

static void *claimer(void *arg)
{
    uint8_t mem[64];
    struct tb b;
    tb_init(&b, mem, sizeof(mem), TBR_OPEN);
    tb_u(&b, TBF_SID, (uint64_t)(intptr_t)arg);
    tb_i(&b, TBF_FD, 5);
    int got = tring_put_frame_claimed(TBR_OPEN, 1, &b, &claim);
    if (got > 0) atomic_fetch_add(&claims_won, 1);
    return NULL;
}

static void a_claim_is_written_once(void **state)
{
    (void)state;
    for (int round = 0; round < 50; round++) {
        pthread_t t[4];
        atomic_store(&claim, 1);
        atomic_store(&claims_won, 0);
        for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, claimer, (void *)(intptr_t)i);
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        assert_int_equal(claims_won, 1);
    }
    assert_true(put(99, 1, 2, 0)); /* after every lost claim's number */
    drain(false);
    assert_int_equal(nout, 51);
    assert_int_equal(outs[50].sid, 99);
    assert_int_equal(late, 0);
}

/* Threads that end give their ring to the next: 200 threads one after
 * another map no more rings than two at a time would. */
static void *one_record(void *arg)
{
    (void)arg;
    put(1, 1, 1, 4);
    return NULL;
}

static void ended_threads_rings_are_reused(void **state)
{
    (void)state;
    one_record(NULL); /* this thread has its own */
    unsigned int before = tring_count();
    for (int i = 0; i < 200; i++) {
        pthread_t t;
        pthread_create(&t, NULL, one_record, NULL);
        pthread_join(t, NULL);
    }
    assert_true(tring_count() <= before + 1);
    drain(false);
    assert_int_equal(nout, 201);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_record_comes_out_whole, setup),
        cmocka_unit_test_setup(a_long_line_goes_through_in_its_turn, setup),
        cmocka_unit_test_setup(records_wrap_round_the_ring, setup),
        cmocka_unit_test_setup(a_number_never_published_is_reported_late, setup),
        cmocka_unit_test_setup(a_fork_in_the_middle_of_a_put_leaves_the_child_clean, setup),
        cmocka_unit_test_setup(a_fork_in_the_middle_of_a_drain_leaves_the_child_clean, setup),
        cmocka_unit_test_setup(threads_come_out_in_the_order_they_saw, setup),
        cmocka_unit_test_setup(many_writers_lose_nothing, setup),
        cmocka_unit_test_setup(a_claim_is_written_once, setup),
        cmocka_unit_test_setup(ended_threads_rings_are_reused, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
