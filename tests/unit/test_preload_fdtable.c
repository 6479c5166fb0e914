/* test_preload_fdtable.c - the fd table follows a socket through dup, close
 * and reuse of its number, and tells a double close from a foreign one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "preload_harness.h"

#include <sys/socket.h>

static int setup(void **state)
{
    (void)state;
    return harness_start();
}

static struct sock_rec *open_sock(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*fd >= 0);
    return track_open(*fd, AF_INET, SOCK_STREAM, ROLE_SOCKET, 0, NULL, 0);
}

static void open_then_close_is_one_open_and_one_last_close(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd);
    assert_non_null(r);
    uint64_t sid = r->sid;
    assert_ptr_equal(fdtable_get(fd), r);
    assert_true(track_close(fd, "close"));
    close(fd);
    assert_null(fdtable_get(fd));
    assert_int_equal(harness_count("open", sid), 1);
    assert_int_equal(harness_count("close", sid), 1);
}

static void socket_stays_open_until_its_last_fd_closes(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd);
    uint64_t sid = r->sid;
    int fd2 = dup(fd);
    track_dup(fd, fd2, "dup");
    assert_ptr_equal(fdtable_get(fd2), r);
    assert_int_equal(atomic_load(&r->refs), 2);
    track_close(fd, "close");
    close(fd);
    assert_int_equal(atomic_load(&r->refs), 1);
    assert_ptr_equal(fdtable_get(fd2), r);
    track_close(fd2, "close");
    close(fd2);
    cJSON **v = NULL;
    int n = harness_lines(&v), lasts = 0, closes = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetObjectItem(v[i], "sid");
        if (!s || (uint64_t)s->valuedouble != sid) continue;
        if (strcmp(cJSON_GetObjectItem(v[i], "t")->valuestring, "close") != 0) continue;
        closes++;
        lasts += cJSON_IsTrue(cJSON_GetObjectItem(v[i], "last"));
    }
    harness_lines_free(v, n);
    assert_int_equal(closes, 2);
    assert_int_equal(lasts, 1);
}

static void reused_number_closes_the_old_socket_implicitly(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd);
    uint64_t old_sid = r->sid;
    close(fd); /* behind the table's back, like syscall(SYS_close) */
    int fd2;
    struct sock_rec *r2 = open_sock(&fd2);
    assert_int_equal(fd2, fd); /* the lowest free number again */
    assert_int_not_equal(r2->sid, old_sid);
    assert_int_equal(harness_count("close", old_sid), 1);
    track_close(fd2, "close");
    close(fd2);
}

static void dup2_over_a_socket_closes_it(void **state)
{
    (void)state;
    int a, b;
    struct sock_rec *ra = open_sock(&a);
    struct sock_rec *rb = open_sock(&b);
    uint64_t sid_b = rb->sid;
    dup2(a, b);
    track_dup(a, b, "dup2");
    assert_ptr_equal(fdtable_get(b), ra);
    assert_int_equal(harness_count("close", sid_b), 1);
    track_close(a, "close");
    close(a);
    track_close(b, "close");
    close(b);
}

static void second_close_is_double_unknown_fd_is_foreign(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd);
    uint64_t sid = r->sid;
    track_close(fd, "close");
    assert_int_equal(close(fd), 0);
    track_closed_ok(fd, true);
    assert_int_equal(close(fd), -1); /* EBADF */
    track_badclose(fd);
    track_badclose(999);
    cJSON **v = NULL;
    int n = harness_lines(&v), dbl = 0, foreign = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(cJSON_GetObjectItem(v[i], "t")->valuestring, "badclose") != 0) continue;
        const char *kind = cJSON_GetObjectItem(v[i], "kind")->valuestring;
        if (strcmp(kind, "double") == 0) {
            dbl++;
            assert_int_equal((uint64_t)cJSON_GetObjectItem(v[i], "prev_sid")->valuedouble, sid);
            assert_int_equal(cJSON_GetObjectItem(v[i], "fd")->valueint, fd);
        } else if (strcmp(kind, "foreign") == 0) {
            foreign++;
            assert_int_equal(cJSON_GetObjectItem(v[i], "fd")->valueint, 999);
        }
    }
    harness_lines_free(v, n);
    assert_int_equal(dbl, 1);
    assert_int_equal(foreign, 1);
}

struct live_seen {
    struct sock_rec *want;
    int count, nfds;
};

static void live_each(struct sock_rec *x, const int *fds, int n, void *arg)
{
    struct live_seen *seen = arg;
    (void)fds;
    if (x == seen->want) {
        seen->count++;
        seen->nfds = n;
    }
}

static void live_set_lists_each_socket_once_with_all_its_fds(void **state)
{
    (void)state;
    int fd;
    struct sock_rec *r = open_sock(&fd);
    int fd2 = dup(fd);
    track_dup(fd, fd2, "dup");
    struct live_seen seen = {r, 0, 0};
    fdtable_each_live(live_each, &seen);
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.nfds, 2);
    track_close(fd, "close");
    close(fd);
    track_close(fd2, "close");
    close(fd2);
}

/* The pass mark is 16 bits: past 65,535 passes it wraps, and every live
 * socket is still listed once per pass, whether it was opened before the
 * wrap, just at it, or after it. */
static void the_live_set_stays_whole_across_the_pass_mark_wrap(void **state)
{
    (void)state;
    int fd[3];
    struct live_seen seen[3] = {{open_sock(&fd[0]), 0, 0}};
    int fd0b = dup(fd[0]); /* two fds: listed once all the same */
    track_dup(fd[0], fd0b, "dup");
    for (int pass = 1; pass <= 70000; pass++) {
        if (pass == 65533) seen[1] = (struct live_seen){open_sock(&fd[1]), 0, 0};
        if (pass == 65540) seen[2] = (struct live_seen){open_sock(&fd[2]), 0, 0};
        int before[3] = {seen[0].count, seen[1].count, seen[2].count};
        for (int i = 0; i < 3; i++)
            if (seen[i].want) fdtable_each_live(live_each, &seen[i]);
        for (int i = 0; i < 3; i++)
            if (seen[i].want && seen[i].count != before[i] + 1)
                fail_msg("pass %d: socket %d listed %d times", pass, i, seen[i].count - before[i]);
    }
    assert_int_equal(seen[0].nfds, 2);
    track_close(fd0b, "close");
    close(fd0b);
    for (int i = 0; i < 3; i++) {
        track_close(fd[i], "close");
        close(fd[i]);
    }
}

/* A double close names the socket closed before at that fd: the slot keeps
 * the low 32 bits of its sid, and the rest comes from the sids handed out
 * since (the latest sid with those bits). */
static void double_close_sid_is_rebuilt_from_its_low_bits(void **state)
{
    (void)state;
    assert_int_equal(sid_widen(7, 9), 7);
    assert_int_equal(sid_widen(7, 7), 7);
    assert_int_equal(sid_widen(0xfffffffeu, 0x100000003ull), 0xfffffffeull);
    assert_int_equal(sid_widen(2, 0x100000003ull), 0x100000002ull);
    assert_int_equal(sid_widen(0, 0x100000000ull), 0x100000000ull);
    assert_int_equal(sid_widen(0xffffffffu, 0x300000000ull), 0x2ffffffffull);
}

static void counters_add_up(void **state)
{
    (void)state;
    uint64_t o0 = atomic_load(&cl_stats.opened), c0 = atomic_load(&cl_stats.closed);
    int fds[5];
    for (int i = 0; i < 5; i++) open_sock(&fds[i]);
    for (int i = 0; i < 3; i++) {
        track_close(fds[i], "close");
        close(fds[i]);
    }
    assert_int_equal(atomic_load(&cl_stats.opened) - o0, 5);
    assert_int_equal(atomic_load(&cl_stats.closed) - c0, 3);
    for (int i = 3; i < 5; i++) {
        track_close(fds[i], "close");
        close(fds[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_then_close_is_one_open_and_one_last_close),
        cmocka_unit_test(socket_stays_open_until_its_last_fd_closes),
        cmocka_unit_test(reused_number_closes_the_old_socket_implicitly),
        cmocka_unit_test(dup2_over_a_socket_closes_it),
        cmocka_unit_test(second_close_is_double_unknown_fd_is_foreign),
        cmocka_unit_test(live_set_lists_each_socket_once_with_all_its_fds),
        cmocka_unit_test(the_live_set_stays_whole_across_the_pass_mark_wrap),
        cmocka_unit_test(double_close_sid_is_rebuilt_from_its_low_bits),
        cmocka_unit_test(counters_add_up),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
