/* test_http1_memo.c - the HTTP/1.x tracker's head memo (common/http1_memo.c):
 * a head replayed from the memo leaves the very state and events a parse of
 * the same bytes leaves, and the memo replays only heads that equal a kept
 * one wherever the parse looks. Every exchange here runs twice, fed the same
 * calls: once with a memo (primed as each case says), once without (the
 * reference), and the two must agree byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "http1.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct run {
    struct http1 h;
    uint64_t hash;    /* of every event, in order */
    int replayed;     /* calls that replayed a head */
    uint32_t *word;   /* the memo word of the last request sent */
    bool keep_alive;  /* of the last response done */
    int64_t expected; /* of the last response done */
    uint8_t framing;  /* of the last response headers */
};

static void hash_bytes(uint64_t *hash, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) *hash = (*hash ^ b[i]) * 0x100000001b3ull;
}

static void note(struct run *r, const struct http1_events *ev)
{
    unsigned int flags = ev->flags & ~(unsigned int)HTTP1_EV_REPLAYED;
    hash_bytes(&r->hash, &flags, sizeof(flags));
    hash_bytes(&r->hash, &ev->status, sizeof(ev->status));
    hash_bytes(&r->hash, &ev->framing, sizeof(ev->framing));
    hash_bytes(&r->hash, &ev->end, sizeof(ev->end));
    hash_bytes(&r->hash, &ev->keep_alive, sizeof(ev->keep_alive));
    hash_bytes(&r->hash, &ev->expected, sizeof(ev->expected));
    hash_bytes(&r->hash, &ev->body_read, sizeof(ev->body_read));
    if (ev->flags & HTTP1_EV_REPLAYED) r->replayed++;
    if (ev->flags & HTTP1_EV_REQUEST_SENT) r->word = ev->memo_word;
    if (ev->flags & HTTP1_EV_RESPONSE_HEADERS) r->framing = ev->framing;
    if (ev->flags & HTTP1_EV_RESPONSE_DONE) {
        r->keep_alive = ev->keep_alive;
        r->expected = ev->expected;
    }
}

/* One write or read of s, called until used. */
static void call(struct run *r, struct http1_memo *m, bool out, const char *s, size_t n)
{
    while (n) {
        struct http1_events ev;
        size_t k = out ? http1_on_write_memo(&r->h, m, s, n, &ev)
                       : http1_on_read_memo(&r->h, m, s, n, &ev);
        assert_true(k > 0 && k <= n);
        note(r, &ev);
        s += k;
        n -= k;
    }
}

static struct http1_memo memo;
static struct run with, ref;

/* A new connection for both runs (the memo stays). */
static void conn_new(void)
{
    memset(&with, 0, sizeof(with));
    memset(&ref, 0, sizeof(ref));
}

/* The same call on both runs, then: the same state, the same events. */
static void both(bool out, const char *s)
{
    call(&with, &memo, out, s, strlen(s));
    call(&ref, NULL, out, s, strlen(s));
    assert_memory_equal(&with.h, &ref.h, sizeof(with.h));
    assert_true(with.hash == ref.hash);
}

/* A request and its response on a new connection: how many heads replayed. */
static int exchange(const char *rq, const char *rs)
{
    conn_new();
    both(true, rq);
    both(false, rs);
    return with.replayed;
}

static int setup(void **state)
{
    (void)state;
    memset(&memo, 0, sizeof(memo));
    return 0;
}

#define GET "GET /api/v1/items HTTP/1.1\r\nHost: api.internal\r\nAccept: */*\r\n\r\n"
#define OK64                                                                                       \
    "HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 00:00:00 GMT\r\nContent-Length: 4\r\n\r\nbody"
#define OK64_LATER                                                                                 \
    "HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 00:00:07 GMT\r\nContent-Length: 4\r\n\r\nbody"

static void a_repeated_exchange_is_replayed_to_the_state_a_parse_gives(void **state)
{
    (void)state;
    assert_int_equal(exchange(GET, OK64), 0); /* first seen: parsed and kept */
    assert_int_equal(exchange(GET, OK64), 2); /* request and response replayed */
    assert_int_equal(http1_requests(&with.h), 1);
    assert_int_equal(http1_responses(&with.h), 1);
    assert_string_equal(http1_target(&with.h), "/api/v1/items");
    assert_true(with.keep_alive);
    assert_int_equal(with.expected, 4);
}

static void a_response_that_differs_only_in_a_skipped_value_is_replayed(void **state)
{
    (void)state;
    exchange(GET, OK64);
    assert_int_equal(exchange(GET, OK64_LATER), 2); /* only Date changed */
}

static void a_response_that_differs_where_the_parse_looks_is_parsed(void **state)
{
    (void)state;
    exchange(GET, OK64);
    /* a followed value: Content-Length */
    assert_int_equal(exchange(GET, "HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 00:00:00 "
                                   "GMT\r\nContent-Length: 5\r\n\r\nbody!"),
                     1);
    assert_int_equal(with.expected, 5);
    /* the status */
    exchange(GET, OK64);
    assert_int_equal(exchange(GET, "HTTP/1.1 404 OK\r\nDate: Sat, 05 Dec 2026 00:00:00 "
                                   "GMT\r\nContent-Length: 4\r\n\r\nbody"),
                     1);
    assert_int_equal(http1_status(&with.h), 404);
    /* a name: "Date" became "Host", still skipped in a response, but names matter */
    exchange(GET, OK64);
    assert_int_equal(exchange(GET, "HTTP/1.1 200 OK\r\nHost: Sat, 05 Dec 2026 00:00:00 "
                                   "GMT\r\nContent-Length: 4\r\n\r\nbody"),
                     1);
}

static void an_lf_where_a_value_was_skipped_makes_a_new_line_and_is_parsed(void **state)
{
    (void)state;
    const char *kept =
        "HTTP/1.1 200 OK\r\nX-A: aaaaaaaaaaaaaaaaaaaaa\r\nContent-Length: 4\r\n\r\nbody";
    const char *lf =
        "HTTP/1.1 200 OK\r\nX-A: a\r\nConnection: close \r\nContent-Length: 4\r\n\r\nbody";
    assert_int_equal(strlen(kept), strlen(lf)); /* same length: only an LF tells them apart */
    exchange(GET, kept);
    assert_true(with.keep_alive);
    assert_int_equal(exchange(GET, lf), 1); /* the request only */
    assert_false(with.keep_alive);          /* the new line was seen */
}

static void a_line_after_a_cr_the_parse_skips_matters_whole(void **state)
{
    (void)state;
    /* the parser skips CRs at the start of a header line: this is Content-Length */
    exchange(GET, "HTTP/1.1 200 OK\r\n\rContent-Length: 4\r\n\r\nbody");
    assert_int_equal(with.expected, 4);
    assert_int_equal(exchange(GET, "HTTP/1.1 200 OK\r\n\rContent-Length: 5\r\n\r\nbody!"), 1);
    assert_int_equal(with.expected, 5);
}

static void a_request_that_differs_in_a_skipped_value_is_replayed_with_its_word(void **state)
{
    (void)state;
    const char *a = "GET /x HTTP/1.1\r\nHost: h\r\nX-Request-Id: 0001\r\n\r\n";
    const char *b = "GET /x HTTP/1.1\r\nHost: h\r\nX-Request-Id: 0002\r\n\r\n";
    exchange(a, OK64);
    assert_non_null(with.word);
    assert_int_equal(*with.word, 0); /* a head just kept: the caller's word is 0 */
    *with.word = 42;                 /* what the caller derived from method, target, Host */
    uint32_t *kept = with.word;
    assert_int_equal(exchange(b, OK64), 2);
    assert_ptr_equal(with.word, kept);
    assert_int_equal(*with.word, 42);
    /* another Host is another request */
    assert_int_equal(exchange("GET /x HTTP/1.1\r\nHost: i\r\nX-Request-Id: 0002\r\n\r\n", OK64), 1);
    assert_int_equal(*with.word, 0);
}

static void the_replayed_response_is_framed_by_its_own_request(void **state)
{
    (void)state;
    exchange(GET, OK64);
    conn_new();
    both(true, "HEAD /api/v1/items HTTP/1.1\r\nHost: api.internal\r\nAccept: */*\r\n\r\n");
    both(false,
         "HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 00:00:00 GMT\r\nContent-Length: 4\r\n\r\n");
    assert_int_equal(with.replayed, 1); /* the response head, not the request */
    assert_int_equal(with.framing, HTTP1_FRAME_NOBODY);
    assert_int_equal(http1_responses(&with.h), 1);
}

static void heads_split_across_calls_are_neither_kept_nor_replayed(void **state)
{
    (void)state;
    const char *rq = "GET /split HTTP/1.1\r\nHost: h\r\n\r\n";
    for (int round = 0; round < 2; round++) {
        conn_new();
        call(&with, &memo, true, rq, 10);
        call(&with, &memo, true, rq + 10, strlen(rq) - 10);
        call(&ref, NULL, true, rq, strlen(rq));
        assert_memory_equal(&with.h, &ref.h, sizeof(with.h));
        assert_int_equal(with.replayed, 0);
    }
    /* a buffer that starts mid-head is not kept either: the whole one still parses */
    assert_int_equal(exchange(rq, OK64), 0);
}

static void a_pipelined_buffer_replays_each_head_it_starts_with(void **state)
{
    (void)state;
    exchange(GET, OK64);
    conn_new();
    both(true, GET GET);
    both(false, OK64 OK64_LATER);
    assert_int_equal(http1_requests(&with.h), 2);
    assert_int_equal(http1_responses(&with.h), 2);
    assert_int_equal(with.replayed, 4);
}

static void an_interim_response_is_not_kept_but_the_exchange_agrees(void **state)
{
    (void)state;
    const char *rs =
        "HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(exchange(GET, rs), 0);
    assert_int_equal(exchange(GET, rs), 1); /* the request only */
    assert_int_equal(http1_status(&with.h), 200);
}

static void each_direction_keeps_two_heads_and_the_oldest_goes(void **state)
{
    (void)state;
    const char *a = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n", *b = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    const char *c = "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
    exchange(a, OK64);
    exchange(b, OK64);
    assert_int_equal(exchange(a, OK64), 2);
    assert_int_equal(exchange(b, OK64), 2);
    exchange(c, OK64);                      /* takes a's way */
    assert_int_equal(exchange(a, OK64), 1); /* parsed again (and kept in b's way) */
    assert_int_equal(exchange(c, OK64), 2);
}

static void heads_too_long_to_keep_are_parsed_every_time(void **state)
{
    (void)state;
    char rq[HTTP1_MEMO_HEAD + 64];
    const char *fmt = "GET /long HTTP/1.1\r\nHost: h\r\nX-Pad: %0*d\r\n\r\n"; /* 40 + pad */
    snprintf(rq, sizeof(rq), fmt, HTTP1_MEMO_HEAD - 40, 7);
    assert_int_equal(strlen(rq), HTTP1_MEMO_HEAD); /* the longest kept */
    exchange(rq, OK64);
    assert_int_equal(exchange(rq, OK64), 2);
    snprintf(rq, sizeof(rq), fmt, HTTP1_MEMO_HEAD - 39, 7);
    exchange(rq, OK64);
    assert_int_equal(exchange(rq, OK64), 1); /* the response only */
}

static void heads_that_never_repeat_are_kept_only_now_and_then(void **state)
{
    (void)state;
    char rq[12][64];
    for (int i = 0; i < 12; i++) {
        snprintf(rq[i], sizeof(rq[i]), "GET /items/%d HTTP/1.1\r\nHost: h\r\n\r\n", i + 1);
        exchange(rq[i], OK64); /* requests 1-8 missed and were kept; 9-12 missed, not kept */
    }
    assert_int_equal(exchange(rq[11], OK64), 1); /* the 12th was not kept: the response only */
    assert_int_equal(exchange(rq[7], OK64), 2);  /* the 8th was (the last way filled) */
    /* a hit starts over: the next new head is kept at once */
    char fresh[] = "GET /again HTTP/1.1\r\nHost: h\r\n\r\n";
    exchange(fresh, OK64);
    assert_int_equal(exchange(fresh, OK64), 2);
}

static void a_fresh_connection_and_a_bad_state_agree_with_a_parse(void **state)
{
    (void)state;
    exchange(GET, OK64);
    /* eight requests awaiting answers fill the FIFO: the ninth, replayed, loses sync */
    conn_new();
    for (int i = 0; i < 9; i++) both(true, GET);
    assert_int_equal(http1_state(&with.h), HTTP1_LOST_SYNC);
    assert_int_equal(with.replayed, 9);
    /* a read before any write: not HTTP, replayed or not */
    conn_new();
    both(false, OK64);
    assert_int_equal(http1_state(&with.h), HTTP1_NOT_HTTP);
}

/* ---- random conversations ---- */

/* Heads that repeat, that differ only where the parse skips, and that differ
 * where it looks, in both directions, with and without bodies. */
static const char *const rq_heads[] = {
    GET,
    "GET /api/v1/items HTTP/1.1\r\nHost: api.internal\r\nAccept: text/*\r\n\r\n",
    "HEAD /api/v1/items HTTP/1.1\r\nHost: api.internal\r\n\r\n",
    "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
    "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "GET /close HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /old HTTP/1.0\r\n\r\n",
    "PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
};
static const char *const rs_heads[] = {
    OK64,
    OK64_LATER,
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    "HTTP/1.1 500 Oops\r\nContent-Length: 1\r\nX-Id: 7\r\n\r\n!",
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n",
    "HTTP/1.1 200 Connection established\r\n\r\n",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* One piece of s on both runs: whole, or cut where the seed says. */
static void both_cut(bool out, const char *s, uint32_t *seed)
{
    size_t n = strlen(s), cut = rnd(seed) % 4 ? n : rnd(seed) % (n + 1);
    call(&with, &memo, out, s, cut);
    call(&ref, NULL, out, s, cut);
    assert_memory_equal(&with.h, &ref.h, sizeof(with.h)); /* after each call */
    assert_true(with.hash == ref.hash);
    call(&with, &memo, out, s + cut, n - cut);
    call(&ref, NULL, out, s + cut, n - cut);
    assert_memory_equal(&with.h, &ref.h, sizeof(with.h));
    assert_true(with.hash == ref.hash);
}

static void random_conversations_agree_with_a_parse_whatever_came_before(void **state)
{
    (void)state;
    uint32_t seed = 16;
    int replayed = 0;
    for (int conn = 0; conn < 3000; conn++) {
        replayed += with.replayed;
        conn_new();
        for (int step = rnd(&seed) % 8; step >= 0; step--) {
            bool out = rnd(&seed) % 3 != 0; /* pipelining, and reads with none asked */
            /* two heads of each side come half the time: they get replayed */
            size_t pick = rnd(&seed) % 2 ? rnd(&seed) % 2 : rnd(&seed);
            const char *s =
                out ? rq_heads[pick % NELEM(rq_heads)] : rs_heads[pick % NELEM(rs_heads)];
            both_cut(out, s, &seed);
        }
        if (rnd(&seed) % 8 == 0) {
            struct http1_events ev;
            http1_on_eof(&with.h, &ev);
            note(&with, &ev);
            http1_on_eof(&ref.h, &ev);
            note(&ref, &ev);
            assert_memory_equal(&with.h, &ref.h, sizeof(with.h));
            assert_true(with.hash == ref.hash);
        }
    }
    /* the memo was used, onto every kind of state the steps above left */
    assert_true(replayed > 1500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_repeated_exchange_is_replayed_to_the_state_a_parse_gives, setup),
        cmocka_unit_test_setup(a_response_that_differs_only_in_a_skipped_value_is_replayed, setup),
        cmocka_unit_test_setup(a_response_that_differs_where_the_parse_looks_is_parsed, setup),
        cmocka_unit_test_setup(an_lf_where_a_value_was_skipped_makes_a_new_line_and_is_parsed,
                               setup),
        cmocka_unit_test_setup(a_line_after_a_cr_the_parse_skips_matters_whole, setup),
        cmocka_unit_test_setup(a_request_that_differs_in_a_skipped_value_is_replayed_with_its_word,
                               setup),
        cmocka_unit_test_setup(the_replayed_response_is_framed_by_its_own_request, setup),
        cmocka_unit_test_setup(heads_split_across_calls_are_neither_kept_nor_replayed, setup),
        cmocka_unit_test_setup(a_pipelined_buffer_replays_each_head_it_starts_with, setup),
        cmocka_unit_test_setup(an_interim_response_is_not_kept_but_the_exchange_agrees, setup),
        cmocka_unit_test_setup(each_direction_keeps_two_heads_and_the_oldest_goes, setup),
        cmocka_unit_test_setup(heads_too_long_to_keep_are_parsed_every_time, setup),
        cmocka_unit_test_setup(heads_that_never_repeat_are_kept_only_now_and_then, setup),
        cmocka_unit_test_setup(a_fresh_connection_and_a_bad_state_agree_with_a_parse, setup),
        cmocka_unit_test_setup(random_conversations_agree_with_a_parse_whatever_came_before, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
