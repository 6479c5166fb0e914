/* test_watch_model.c - the model and findings of `connleak watch`
 * (analyzer/watch/watch_model.c, watch_find.c) on hand-made snapshots: how long
 * CLOSE_WAIT sockets have waited, which TIME_WAIT sockets are the
 * process's (by its earlier 4-tuples, by its listening ports, and not the
 * others), the thresholds of each finding (struct finding of the shared
 * model, as run's), series thinning, the peer cap, and --fail-on names
 * (the parser of run, limited to the kinds watch can find). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "watch/watch.h"

#define PID 4242

/* ---- building snapshots ----------------------------------------------- */

static void snap_reset(struct watch_snap *s, double t, int nfds)
{
    s->t = t;
    s->nfds = nfds;
    s->nsock = 0;
    s->nown = s->ntw = 0;
    s->nofile = 1024;
    s->diag_err = 0;
}

static struct wtuple tuple(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
    struct wtuple tu;
    memset(&tu, 0, sizeof(tu));
    tu.family = AF_INET;
    tu.sport = sport;
    tu.dport = dport;
    inet_pton(AF_INET, src, tu.src);
    if (dst) inet_pton(AF_INET, dst, tu.dst);
    return tu;
}

static void own_add(struct watch_snap *s, int state, struct wtuple tu, uint64_t inode,
                    uint32_t unread)
{
    ALLOC_GROW(s->own, s->nown + 1, s->capown);
    s->own[s->nown++] = (struct wsock){.tu = tu, .state = state, .unread = unread, .inode = inode};
    s->nsock++;
}

static void tw_add(struct watch_snap *s, struct wtuple tu)
{
    ALLOC_GROW(s->tw, s->ntw + 1, s->captw);
    s->tw[s->ntw++] = (struct wsock){.tu = tu, .state = TCP_TIME_WAIT};
}

static const struct watch_peer *peer_named(const struct watch_model *m, const char *label)
{
    for (size_t i = 0; i < m->npeers; i++)
        if (strcmp(m->peers[i].label, label) == 0) return &m->peers[i];
    return NULL;
}

static size_t count_kind(const struct findings *f, enum finding_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) n += f->v[i].kind == k;
    return n;
}

static const struct finding *find_kind(const struct findings *f, enum finding_kind k)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].kind == k) return &f->v[i];
    return NULL;
}

/* ---- CLOSE_WAIT --------------------------------------------------------- */

static void test_close_wait_age_and_kept(void **state)
{
    (void)state;
    struct watch_model m = {0};
    struct watch_snap s = {0};
    struct findings f;
    snap_reset(&s, 0, 10);
    own_add(&s, TCP_CLOSE_WAIT, tuple("127.0.0.1", 40000, "127.0.0.1", 8000), 10, 100);
    watch_model_add(&m, &s);
    /* one sample: every CLOSE_WAIT socket counts */
    watch_findings_compute(&m, PID, &f);
    assert_int_equal(count_kind(&f, KIND_CLOSE_WAIT), 1);
    assert_int_equal(find_kind(&f, KIND_CLOSE_WAIT)->count, 1);
    assert_true(find_kind(&f, KIND_CLOSE_WAIT)->waited_min == UINT64_MAX); /* not known */
    findings_free(&f);

    snap_reset(&s, 1.5, 11);
    own_add(&s, TCP_CLOSE_WAIT, tuple("127.0.0.1", 40000, "127.0.0.1", 8000), 10, 100);
    own_add(&s, TCP_CLOSE_WAIT, tuple("127.0.0.1", 40001, "127.0.0.1", 8000), 11, 50);
    own_add(&s, TCP_ESTABLISHED, tuple("127.0.0.1", 40002, "127.0.0.1", 8000), 12, 7);
    watch_model_add(&m, &s);
    const struct watch_peer *p = peer_named(&m, "127.0.0.1:8000");
    assert_non_null(p);
    assert_int_equal(p->cur[TCP_CLOSE_WAIT], 2);
    assert_int_equal(p->cur[TCP_ESTABLISHED], 1);
    assert_int_equal(p->cw_kept, 1); /* inode 11 is new in CLOSE_WAIT */
    assert_true(p->cw_oldest == 1.5);
    assert_int_equal(p->cw_unread, 150);
    assert_int_equal(p->unread, 157);
    assert_int_equal(p->peak_cw, 2);
    watch_findings_compute(&m, PID, &f);
    /* the finding of the shared model, as rules_closewait fills it */
    const struct finding *cw = find_kind(&f, KIND_CLOSE_WAIT);
    assert_int_equal(cw->count, 1);
    assert_true(cw->outside);
    assert_int_equal(cw->peak, 2);
    assert_int_equal(cw->npids, 1);
    assert_int_equal(cw->pids[0], PID);
    assert_int_equal(cw->npeers, 1);
    assert_string_equal(cw->peers[0].peer, "127.0.0.1:8000");
    assert_int_equal(cw->peers[0].count, 1);
    assert_int_equal(finding_role(cw), ROLE_CLIENT);
    assert_true(cw->waited_min == 1500000000ULL && cw->waited_max == 1500000000ULL);
    assert_true(cw->age_min == UINT64_MAX); /* from outside: not known */
    assert_int_equal(cw->unread, 150);
    assert_string_equal(kind_severity(cw->kind), "error");
    findings_free(&f);

    /* the program closed them: no pile left */
    snap_reset(&s, 3, 9);
    watch_model_add(&m, &s);
    watch_findings_compute(&m, PID, &f);
    assert_int_equal(count_kind(&f, KIND_CLOSE_WAIT), 0);
    findings_free(&f);
    watch_snap_free(&s);
    watch_model_free(&m);
}

/* ---- TIME_WAIT ---------------------------------------------------------- */

static void test_time_wait_matching(void **state)
{
    (void)state;
    struct watch_model m = {0};
    struct watch_snap s = {0};
    struct wtuple conn = tuple("127.0.0.1", 40000, "127.0.0.1", 8000);
    snap_reset(&s, 0, 10);
    own_add(&s, TCP_ESTABLISHED, conn, 10, 0);
    own_add(&s, TCP_LISTEN, tuple("0.0.0.0", 9000, NULL, 0), 11, 0);
    watch_model_add(&m, &s);
    for (int i = 1; i <= 2; i++) {
        snap_reset(&s, i, 9);
        own_add(&s, TCP_LISTEN, tuple("0.0.0.0", 9000, NULL, 0), 11, 0);
        tw_add(&s, conn);                                         /* ours: seen before */
        tw_add(&s, tuple("127.0.0.1", 9000, "127.0.0.2", 50000)); /* our listener's */
        tw_add(&s, tuple("127.0.0.1", 40001, "127.0.0.1", 8000)); /* never seen: not ours */
        tw_add(&s, tuple("127.0.0.1", 8000, "127.0.0.1", 40000)); /* the other end */
        watch_model_add(&m, &s);
    }
    const struct watch_peer *out = peer_named(&m, "127.0.0.1:8000");
    const struct watch_peer *in = peer_named(&m, "127.0.0.2 -> :9000");
    assert_non_null(out);
    assert_non_null(in);
    assert_int_equal(m.npeers, 2);
    assert_int_equal(out->cur[TCP_TIME_WAIT], 1);
    assert_int_equal(out->cur[TCP_ESTABLISHED], 0);
    assert_int_equal(out->peak_est, 1);
    assert_int_equal(in->cur[TCP_TIME_WAIT], 1);
    assert_true(in->key.inbound);
    /* seen in two samples, counted once */
    assert_int_equal(out->tw_total, 1);
    assert_int_equal(in->tw_total, 1);
    assert_int_equal(m.totals[TCP_TIME_WAIT], 2);
    assert_int_equal(m.totals[TCP_LISTEN], 1);
    watch_snap_free(&s);
    watch_model_free(&m);
}

/* WATCH_TIME_WAIT_MIN at once towards one peer makes a storm; one less
 * does not. */
static void storm_check(int n, bool storm)
{
    struct watch_model m = {0};
    struct watch_snap s = {0};
    struct findings f;
    snap_reset(&s, 0, 10);
    for (int i = 0; i < n; i++)
        own_add(&s, TCP_ESTABLISHED, tuple("127.0.0.1", (uint16_t)(40000 + i), "10.0.0.1", 80),
                (uint64_t)(100 + i), 0);
    watch_model_add(&m, &s);
    snap_reset(&s, 2, 10);
    for (int i = 0; i < n; i++)
        tw_add(&s, tuple("127.0.0.1", (uint16_t)(40000 + i), "10.0.0.1", 80));
    watch_model_add(&m, &s);
    watch_findings_compute(&m, PID, &f);
    const struct finding *tw = find_kind(&f, KIND_TIME_WAIT);
    assert_int_equal(tw != NULL, storm);
    if (storm) {
        assert_int_equal(tw->count, n);
        assert_true(tw->rate == n / 2.0);
        assert_string_equal(tw->peers[0].peer, "10.0.0.1:80");
        assert_int_equal(tw->closes, n); /* each seen in TIME_WAIT once */
    }
    findings_free(&f);
    watch_snap_free(&s);
    watch_model_free(&m);
}

static void test_time_wait_storm_threshold(void **state)
{
    (void)state;
    storm_check(WATCH_TIME_WAIT_MIN - 1, false);
    storm_check(WATCH_TIME_WAIT_MIN, true);
}

/* ---- trends ------------------------------------------------------------- */

/* n samples one second apart; fds and connections to one peer follow f. */
static void series_run(struct watch_model *m, int n, int (*fds)(int), int (*conns)(int))
{
    struct watch_snap s = {0};
    for (int i = 0; i < n; i++) {
        snap_reset(&s, i, fds(i));
        for (int c = 0; c < conns(i); c++)
            own_add(&s, TCP_ESTABLISHED, tuple("127.0.0.1", (uint16_t)(40000 + c), "10.0.0.2", 443),
                    (uint64_t)(1000 + c), 0);
        watch_model_add(m, &s);
    }
    watch_snap_free(&s);
}

static int rising(int i)
{
    return 10 + i;
}

static int steady(int i)
{
    return 10 + (i % 3 == 1); /* wobbles by one, no trend */
}

static int one_step(int i)
{
    return 10 + (i >= 10); /* a single new fd: not growth */
}

static void test_fd_growth(void **state)
{
    (void)state;
    struct watch_model m = {0};
    struct findings f;
    series_run(&m, 20, rising, steady);
    watch_findings_compute(&m, PID, &f);
    const struct finding *g = find_kind(&f, KIND_FD_GROWTH);
    assert_non_null(g);
    assert_true(g->trend.fit.slope * 60 > 59.9 && g->trend.fit.slope * 60 < 60.1);
    assert_int_equal(g->count, 29);
    assert_true(g->trend.first == 10 && g->trend.peak == 29 && g->trend.last == 29);
    /* 1024 - 29 fds at one per second */
    assert_true(g->trend.eta_s > 994 && g->trend.eta_s < 996);
    assert_int_equal(count_kind(&f, KIND_POOL), 0);
    findings_free(&f);
    watch_model_free(&m);

    series_run(&m, 20, steady, steady);
    watch_findings_compute(&m, PID, &f);
    assert_int_equal(f.n, 0);
    findings_free(&f);
    watch_model_free(&m);

    series_run(&m, 20, one_step, steady);
    watch_findings_compute(&m, PID, &f);
    assert_int_equal(count_kind(&f, KIND_FD_GROWTH), 0);
    findings_free(&f);
    watch_model_free(&m);
}

static int pool_rising(int i)
{
    return 1 + i / 2;
}

static void test_unbounded_pool(void **state)
{
    (void)state;
    struct watch_model m = {0};
    struct findings f;
    series_run(&m, 20, steady, pool_rising);
    watch_findings_compute(&m, PID, &f);
    const struct finding *p = find_kind(&f, KIND_POOL);
    assert_non_null(p);
    assert_string_equal(p->peers[0].peer, "10.0.0.2:443");
    assert_int_equal(p->count, 10);
    assert_true(p->trend.first == 1 && p->trend.peak == 10);
    assert_true(p->trend.fit.slope > 0.45 && p->trend.fit.slope < 0.55);
    findings_free(&f);
    watch_model_free(&m);

    series_run(&m, 20, steady, steady); /* 10 or 11 connections: a bounded pool */
    watch_findings_compute(&m, PID, &f);
    assert_int_equal(count_kind(&f, KIND_POOL), 0);
    findings_free(&f);
    watch_model_free(&m);
}

/* ---- bounds ------------------------------------------------------------- */

static int zero(int i)
{
    (void)i;
    return 0;
}

static void test_series_thinned(void **state)
{
    (void)state;
    struct watch_model m = {0};
    int n = WATCH_MAX_POINTS + 11;
    series_run(&m, n, rising, zero);
    assert_int_equal(m.nsamples, n);
    assert_true(m.npts <= WATCH_MAX_POINTS);
    assert_int_equal(m.stride, 2);
    assert_true(m.t[0] == 0);
    for (size_t i = 1; i < m.npts; i++) {
        assert_true(m.t[i] == m.t[i - 1] + 2); /* every other sample */
        assert_true(m.fds[i] == m.t[i] + 10);
    }
    assert_true(m.fds_last == n - 1 + 10);
    watch_model_free(&m);
}

static void test_peer_cap(void **state)
{
    (void)state;
    struct watch_model m = {0};
    struct watch_snap s = {0};
    snap_reset(&s, 0, 10);
    for (int i = 0; i < WATCH_MAX_PEERS + 5; i++)
        own_add(&s, TCP_ESTABLISHED,
                tuple("127.0.0.1", (uint16_t)(20000 + i), "10.0.0.3", (uint16_t)(1000 + i)),
                (uint64_t)(10 + i), 0);
    watch_model_add(&m, &s);
    assert_int_equal(m.npeers, WATCH_MAX_PEERS + 1);
    const struct watch_peer *other = peer_named(&m, "(other peers)");
    assert_non_null(other);
    assert_int_equal(other->cur[TCP_ESTABLISHED], 5);
    watch_snap_free(&s);
    watch_model_free(&m);
}

static void test_fail_on_names(void **state)
{
    (void)state;
    unsigned mask;
    const enum finding_kind kinds[] = {KIND_CLOSE_WAIT, KIND_FD_GROWTH, KIND_POOL, KIND_TIME_WAIT};
    assert_int_equal(fail_on_parse_kinds("any", WATCH_KINDS, &mask), 0);
    assert_int_equal(mask, WATCH_KINDS);
    assert_int_equal(fail_on_parse_kinds("time-wait-storm,close-wait-pile", WATCH_KINDS, &mask), 0);
    assert_int_equal(mask, (1u << KIND_TIME_WAIT) | (1u << KIND_CLOSE_WAIT));
    /* kinds only run and report can find, and "leak" (orphaned-socket...) */
    assert_int_equal(fail_on_parse_kinds("leak", WATCH_KINDS, &mask), -1);
    assert_int_equal(fail_on_parse_kinds("orphaned-socket", WATCH_KINDS, &mask), -1);
    assert_int_equal(fail_on_parse_kinds("fd-growth,unclosed-body", WATCH_KINDS, &mask), -1);
    assert_int_equal(fail_on_parse_kinds(",", WATCH_KINDS, &mask), -1);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        assert_int_equal(fail_on_parse_kinds(kind_name(kinds[i]), WATCH_KINDS, &mask), 0);
        assert_int_equal(mask, 1u << kinds[i]);
        /* the same names as run's --fail-on */
        assert_int_equal(fail_on_parse(kind_name(kinds[i]), &mask), 0);
        assert_int_equal(mask, 1u << kinds[i]);
    }
    /* run's parser is unchanged: every kind, leak, any */
    assert_int_equal(fail_on_parse("any", &mask), 0);
    assert_int_equal(mask, (1u << KIND_COUNT) - 1);
    assert_int_equal(fail_on_parse("leak", &mask), 0);
    assert_int_equal(mask, KINDS_LEAK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_wait_age_and_kept),
        cmocka_unit_test(test_time_wait_matching),
        cmocka_unit_test(test_time_wait_storm_threshold),
        cmocka_unit_test(test_fd_growth),
        cmocka_unit_test(test_unbounded_pool),
        cmocka_unit_test(test_series_thinned),
        cmocka_unit_test(test_peer_cap),
        cmocka_unit_test(test_fail_on_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
