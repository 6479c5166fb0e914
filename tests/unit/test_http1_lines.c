/* test_http1_lines.c - the HTTP/1.x tracker's one-pass paths (common/http1.c
 * request line, common/http1_hdr.c header lines) against its byte-by-byte
 * path: every input here is fed whole (a line in one buffer: the one-pass
 * path), cut at every byte boundary and one byte at a time (the lines cut
 * go byte by byte), and must leave the very same state and events; the
 * values the one-pass path keeps are checked as well. The cases are the
 * odd ones: names in any case and near-misses, obs-fold, lists, repeated
 * and padded Content-Length, Host with whitespace, CRs or beyond
 * HTTP1_HOST_MAX, and request lines the one-pass path must hand back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "http1.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- the harness: whole, every cut, byte at a time ---- */

struct run {
    struct http1 h;
    uint64_t hash; /* of every event, in order */
    int requests_sent, responses_done;
    bool last_keep_alive;
    int64_t last_expected;
};

static void hash_bytes(uint64_t *hash, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) *hash = (*hash ^ b[i]) * 0x100000001b3ull;
}

static void note_events(struct run *r, const struct http1_events *ev)
{
    static const unsigned int order[] = {HTTP1_EV_NOT_HTTP,         HTTP1_EV_REQUEST_SENT,
                                         HTTP1_EV_RESPONSE_HEADERS, HTTP1_EV_RESPONSE_DONE,
                                         HTTP1_EV_TUNNEL,           HTTP1_EV_LOST_SYNC};
    /* one flag at a time: a cut may part what one call saw in two */
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (ev->flags & order[i]) hash_bytes(&r->hash, &order[i], sizeof(order[i]));
    if (ev->flags & HTTP1_EV_REQUEST_SENT) {
        r->requests_sent++;
        hash_bytes(&r->hash, r->h.method, sizeof(r->h.method));
        hash_bytes(&r->hash, r->h.target, sizeof(r->h.target));
        hash_bytes(&r->hash, r->h.host, sizeof(r->h.host));
    }
    if (ev->flags & HTTP1_EV_RESPONSE_DONE) {
        r->responses_done++;
        r->last_keep_alive = ev->keep_alive;
        r->last_expected = ev->expected;
        hash_bytes(&r->hash, &ev->status, sizeof(ev->status));
        hash_bytes(&r->hash, &ev->end, sizeof(ev->end));
        hash_bytes(&r->hash, &ev->keep_alive, sizeof(ev->keep_alive));
        hash_bytes(&r->hash, &ev->expected, sizeof(ev->expected));
        hash_bytes(&r->hash, &ev->body_read, sizeof(ev->body_read));
    }
}

/* One call's worth (a buffer of exactly n bytes), called until used. */
static void feed(struct run *r, bool out, const char *s, size_t n)
{
    while (n) {
        struct http1_events ev;
        size_t k = out ? http1_on_write(&r->h, s, n, &ev) : http1_on_read(&r->h, s, n, &ev);
        assert_true(k > 0 && k <= n);
        note_events(r, &ev);
        s += k;
        n -= k;
    }
}

/* Feeds s cut before cut (0: whole; SIZE_MAX: one byte at a time). */
static void feed_cut(struct run *r, bool out, const char *s, size_t cut)
{
    size_t n = strlen(s);
    if (cut == SIZE_MAX) {
        for (size_t i = 0; i < n; i++) feed(r, out, s + i, 1);
        return;
    }
    if (cut > n) cut = n;
    feed(r, out, s, cut);
    feed(r, out, s + cut, n - cut);
}

/* The request w, then the response rs (may be NULL), w cut at wcut and rs
 * at rcut. */
static void run_cut(struct run *r, const char *w, const char *rs, size_t wcut, size_t rcut)
{
    memset(r, 0, sizeof(*r));
    feed_cut(r, true, w, wcut);
    if (rs) feed_cut(r, false, rs, rcut);
}

static void assert_same(const struct run *a, const struct run *ref, const char *w, size_t wcut,
                        size_t rcut)
{
    if (memcmp(&a->h, &ref->h, sizeof(a->h)) != 0 || a->hash != ref->hash)
        fail_msg("state or events differ from whole for %.40s... cut at %zu / %zu", w, wcut, rcut);
}

/* Any cut of either side, and byte at a time, gives what whole gave. */
static void assert_any_cut_same(const struct run *ref, const char *w, const char *rs)
{
    static struct run t;
    for (size_t c = 1; c < strlen(w); c++) {
        run_cut(&t, w, rs, c, 0);
        assert_same(&t, ref, w, c, 0);
    }
    for (size_t c = 1; rs && c < strlen(rs); c++) {
        run_cut(&t, w, rs, 0, c);
        assert_same(&t, ref, w, 0, c);
    }
    run_cut(&t, w, rs, SIZE_MAX, SIZE_MAX);
    assert_same(&t, ref, w, SIZE_MAX, SIZE_MAX);
}

/* Runs w and rs whole into *ref, then checks every cut against it. */
static void check(struct run *ref, const char *w, const char *rs)
{
    run_cut(ref, w, rs, 0, 0);
    assert_any_cut_same(ref, w, rs);
}

#define GET_H "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"

/* ---- header lines ---- */

static void header_names_in_any_case_and_near_misses_agree(void **state)
{
    (void)state;
    static struct run r;
    check(&r, GET_H,
          "HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 2\r\ncontent-length: 2\r\nContent-Type: x\r\n"
          "Content-Lengthy: 9\r\nConten: 1\r\nConnections: close\r\nConn: close\r\n"
          "Transfer-Encodings: chunked\r\nTransfer: chunked\r\nHost: not-followed\r\n"
          "X-Very-Long-Header-Name-Beyond-Sixteen: v\r\n\r\nok");
    assert_int_equal(r.responses_done, 1);
    assert_int_equal(r.last_expected, 2);
    assert_true(r.last_keep_alive); /* the near-miss "Conn..." names are not Connection */
    assert_int_equal(http1_state(&r.h), HTTP1_ACTIVE);
}

static void a_ten_byte_connection_list_still_sees_close(void **state)
{
    (void)state;
    static struct run r;
    /* "close, foo" is as long as "keep-alive": it is a list, not a token */
    check(&r, "GET / HTTP/1.1\r\nHost: h\r\nConnection: x,  close\r\n\r\n",
          "HTTP/1.1 200 OK\r\nConnection: close, foo\r\nContent-Length: 0\r\n\r\n");
    assert_true(http1_request_flags(&r.h) & HTTP1_RQ_CLOSE);
    assert_false(r.last_keep_alive);
    check(&r, GET_H, "HTTP/1.0 200 OK\r\ncOnNeCtIoN: \tKEEP-ALIVE \r\nContent-Length: 0\r\n\r\n");
    assert_true(r.last_keep_alive);
    check(&r, GET_H, "HTTP/1.0 200 OK\r\nConnection: keep-alivex\r\nContent-Length: 0\r\n\r\n");
    assert_false(r.last_keep_alive);
}

static void transfer_encoding_lists_are_decided_by_their_last_coding(void **state)
{
    (void)state;
    static struct run r;
    check(&r, GET_H,
          "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: GZIP ,  Chunked \r\n\r\n2\r\nab\r\n0\r\n\r\n");
    assert_int_equal(http1_framing(&r.h), HTTP1_FRAME_CHUNKED);
    assert_int_equal(r.responses_done, 1);
    check(&r, GET_H, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc");
    assert_int_equal(http1_framing(&r.h), HTTP1_FRAME_EOF);
    check(&r, GET_H, "HTTP/1.1 200 OK\r\nTransfer-Encoding: ,chunked,\r\n\r\n0\r\n\r\n");
    assert_int_equal(http1_framing(&r.h), HTTP1_FRAME_CHUNKED);
}

static void folded_lines_are_skipped_the_same_way(void **state)
{
    (void)state;
    static struct run r;
    check(&r, "GET / HTTP/1.1\r\nHost: a\r\n b\r\nX: 1\r\n\tContent-Length: 5\r\n\r\n",
          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n continued\r\n\r\nx");
    assert_string_equal(http1_host(&r.h), "a");
    assert_int_equal(r.requests_sent, 1);
    assert_int_equal(r.last_expected, 1);
}

static void content_length_padding_zeros_and_lists_agree(void **state)
{
    (void)state;
    static struct run r;
    check(&r, GET_H,
          "HTTP/1.1 200 OK\r\nContent-Length:\t007 \t\r\nContent-Length: 7,7\r\n\r\n1234567");
    assert_int_equal(r.last_expected, 7);
    assert_int_equal(http1_state(&r.h), HTTP1_ACTIVE);
    check(&r, "POST / HTTP/1.1\r\nContent-Length:  3  \r\n\r\nabc" GET_H, NULL);
    assert_int_equal(r.requests_sent, 2);
}

/* A line the one-pass path hands back leaves the same (final) state. */
static void bad_header_lines_lose_sync_the_same_way(void **state)
{
    (void)state;
    static const char *bad[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding\t: chunked\r\n\r\n",
    };
    static struct run r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        check(&r, GET_H, bad[i]);
        assert_int_equal(http1_state(&r.h), HTTP1_LOST_SYNC);
    }
    check(&r, "POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n", NULL);
    assert_int_equal(http1_state(&r.h), HTTP1_LOST_SYNC);
}

static void host_is_kept_as_byte_by_byte_keeps_it(void **state)
{
    (void)state;
    static struct run r;
    check(&r, "GET / HTTP/1.1\r\nHost: \t a\rb \r\n\r\n", NULL); /* a CR inside is dropped */
    assert_string_equal(http1_host(&r.h), "ab");
    check(&r, "GET / HTTP/1.1\r\nhost:\r\n\r\n", NULL);
    assert_string_equal(http1_host(&r.h), "");
    assert_true(http1_request_flags(&r.h) & HTTP1_RQ_HOST);
    /* exactly HTTP1_HOST_MAX bytes: kept whole, not cut */
    check(&r, "GET / HTTP/1.1\r\nHost: 0123456789abcdefghij012345678\r\n\r\n", NULL);
    assert_int_equal(strnlen(http1_host(&r.h), HTTP1_HOST_MAX), HTTP1_HOST_MAX);
    assert_false(http1_request_flags(&r.h) & HTTP1_RQ_HOST_CUT);
    /* one more, and trailing CRs after the cut are not "more" */
    check(&r, "GET / HTTP/1.1\r\nHost: 0123456789abcdefghij0123456789\r\n\r\n", NULL);
    assert_true(http1_request_flags(&r.h) & HTTP1_RQ_HOST_CUT);
    check(&r, "GET / HTTP/1.1\r\nHost: 0123456789abcdefghij012345678\r\r\r\n\r\n", NULL);
    assert_false(http1_request_flags(&r.h) & HTTP1_RQ_HOST_CUT);
    /* a space at the cut is trimmed from what is kept */
    check(&r, "GET / HTTP/1.1\r\nHost: 0123456789abcdefghij01234567 89\r\n\r\n", NULL);
    assert_int_equal(strnlen(http1_host(&r.h), HTTP1_HOST_MAX), 28);
    assert_true(http1_request_flags(&r.h) & HTTP1_RQ_HOST_CUT);
}

/* ---- request lines ---- */

static void request_lines_agree_whole_or_cut(void **state)
{
    (void)state;
    static const char *lines[] = {
        "M-SEARCH * HTTP/1.1\r\n\r\n",
        "PROPFIND-EXTENDED_X /dav HTTP/1.1\r\n\r\n",                     /* 19 bytes of method */
        "ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\n\r\n",                       /* 20: the most allowed */
        "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n\r\n",                      /* 21: not HTTP */
        "GET /a;jsessionid=1/b HTTP/1.1\r\n\r\n",                        /* path parameters */
        "GET ?only=query HTTP/1.1\r\n\r\n",                              /* empty path, a query */
        "GET  HTTP/1.1\r\n\r\n",                                         /* empty target */
        "GET /0123456789/0123456789/0123456789/012345 HTTP/1.1\r\n\r\n", /* 40 bytes */
        "GET /0123456789/0123456789/0123456789/0123456 HTTP/1.1\r\n\r\n",
        "GET http://user:pw@example.com/x?y HTTP/1.1\r\n\r\n", /* the byte path drops it */
        "GET /a@b HTTP/1.1\r\n\r\n",
        "GET /a\x7f HTTP/1.1\r\n\r\n",
        "GET /\xc3\xa9t\xc3\xa9 HTTP/1.0\n\n",
        "GET / HTTP/1.2\r\n\r\n",
        "GET / HTTP/1.1\rX\r\n\r\n",
        "HEAD / HTTP/1.1\r\n\r\nCONNECT h:443 HTTP/1.1\r\n\r\n",
    };
    static struct run r;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        check(&r, lines[i], "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    check(&r, "ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(http1_state(&r.h), HTTP1_ACTIVE);
    assert_memory_equal(http1_method(&r.h), "ABCDEFGH", HTTP1_METHOD_MAX);
    check(&r, "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(http1_state(&r.h), HTTP1_NOT_HTTP);
    check(&r, "GET /0123456789/0123456789/0123456789/012345?q HTTP/1.1\r\n\r\n", NULL);
    assert_false(http1_request_flags(&r.h) & HTTP1_RQ_TARGET_CUT);
    assert_true(http1_request_flags(&r.h) & HTTP1_RQ_QUERY);
    check(&r, "GET /0123456789/0123456789/0123456789/0123456?q HTTP/1.1\r\n\r\n", NULL);
    assert_true(http1_request_flags(&r.h) & HTTP1_RQ_TARGET_CUT);
    assert_true(http1_request_flags(&r.h) & HTTP1_RQ_QUERY);
    check(&r, "GET /a;p=1?q HTTP/1.1\r\n\r\n", NULL);
    assert_string_equal(http1_target(&r.h), "/a");
    check(&r, "GET  HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(http1_state(&r.h), HTTP1_NOT_HTTP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_names_in_any_case_and_near_misses_agree),
        cmocka_unit_test(a_ten_byte_connection_list_still_sees_close),
        cmocka_unit_test(transfer_encoding_lists_are_decided_by_their_last_coding),
        cmocka_unit_test(folded_lines_are_skipped_the_same_way),
        cmocka_unit_test(content_length_padding_zeros_and_lists_agree),
        cmocka_unit_test(bad_header_lines_lose_sync_the_same_way),
        cmocka_unit_test(host_is_kept_as_byte_by_byte_keeps_it),
        cmocka_unit_test(request_lines_agree_whole_or_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
