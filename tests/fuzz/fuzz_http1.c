/* fuzz_http1.c - libFuzzer target of the HTTP/1.x exchange tracker
 * (common/http1.c): it must never crash, never read outside the buffer it
 * is given, never loop, and give the same state and events whatever the
 * byte boundaries its input arrives in, and whether or not its heads are
 * replayed from a head memo (http1_memo.c).
 *
 * Input: byte 0 seeds the split points, byte 1 holds options (bit 0: end
 * with EOF; bit 1: interleave writes and reads; bits 2-7: largest piece),
 * then the bytes written (the requests), a NUL, the bytes read (the
 * responses). The memo check feeds the input whole with a memo kept across
 * inputs (earlier inputs' heads replay onto this one's states), then twice
 * with a fresh memo (the second time replays what the first kept), then
 * split, then with one byte changed (chosen by the seed), each against the
 * same without a memo. Each piece is copied to a buffer of its exact size,
 * so that AddressSanitizer sees any read past its end. */
#include "http1.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
    struct http1 h;
    struct http1_memo *memo; /* NULL: parse every head */
    uint64_t hash;           /* of every event, in order */
};

static void hash_bytes(uint64_t *hash, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) *hash = (*hash ^ b[i]) * 0x100000001b3ull;
}

/* The events of one call, flattened to the same order whatever the split. */
static void hash_events(struct run *r, const struct http1_events *ev)
{
    static const unsigned int order[] = {HTTP1_EV_NOT_HTTP,         HTTP1_EV_REQUEST_SENT,
                                         HTTP1_EV_RESPONSE_HEADERS, HTTP1_EV_RESPONSE_DONE,
                                         HTTP1_EV_TUNNEL,           HTTP1_EV_LOST_SYNC};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        unsigned int e = order[i];
        if (!(ev->flags & e)) continue;
        hash_bytes(&r->hash, &e, sizeof(e));
        if (e == HTTP1_EV_REQUEST_SENT) {
            hash_bytes(&r->hash, r->h.method, sizeof(r->h.method));
            hash_bytes(&r->hash, r->h.target, sizeof(r->h.target));
            hash_bytes(&r->hash, r->h.host, sizeof(r->h.host));
        }
        if (e == HTTP1_EV_RESPONSE_HEADERS || e == HTTP1_EV_RESPONSE_DONE)
            hash_bytes(&r->hash, &ev->status, sizeof(ev->status));
        if (e == HTTP1_EV_RESPONSE_DONE) {
            hash_bytes(&r->hash, &ev->end, sizeof(ev->end));
            hash_bytes(&r->hash, &ev->expected, sizeof(ev->expected));
            hash_bytes(&r->hash, &ev->body_read, sizeof(ev->body_read));
        }
    }
}

static void check_state(const struct http1 *h)
{
    int64_t expected = http1_body_expected(h);
    if (h->state > HTTP1_TUNNEL || h->nfifo > HTTP1_FIFO_MAX) abort();
    if (h->framing == HTTP1_FRAME_LENGTH && http1_body_read(h) > (uint64_t)expected) abort();
    if (http1_phase(h) == HTTP1_PHASE_BODY && h->framing == HTTP1_FRAME_UNKNOWN) abort();
    if (http1_phase(h) == HTTP1_PHASE_BODY && h->end != HTTP1_END_NONE) abort();
}

static void check_events(const struct http1_events *ev, bool was_final)
{
    if (was_final && ev->flags) abort(); /* a final state says nothing more */
    if ((ev->flags & HTTP1_EV_RESPONSE_DONE) && ev->expected >= 0 &&
        ev->body_read > (uint64_t)ev->expected)
        abort();
    if ((ev->flags & HTTP1_EV_RESPONSE_DONE) && ev->end == HTTP1_END_NONE) abort();
}

/* Feeds one piece through a buffer of its exact size, calling until used. */
static void feed(struct run *r, bool out, const uint8_t *data, size_t n)
{
    if (!n) return;
    uint8_t *buf = malloc(n);
    if (!buf) abort();
    memcpy(buf, data, n);
    for (size_t at = 0; at < n;) {
        struct http1_events ev;
        bool was_final = http1_is_final(&r->h);
        size_t k = out ? http1_on_write_memo(&r->h, r->memo, buf + at, n - at, &ev)
                       : http1_on_read_memo(&r->h, r->memo, buf + at, n - at, &ev);
        if (k == 0 || k > n - at) abort();
        check_events(&ev, was_final);
        check_state(&r->h);
        hash_events(r, &ev);
        at += k;
    }
    free(buf);
}

static void feed_eof(struct run *r)
{
    struct http1_events ev;
    bool was_final = http1_is_final(&r->h);
    http1_on_eof(&r->h, &ev);
    check_events(&ev, was_final);
    check_state(&r->h);
    hash_events(r, &ev);
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* Feeds data in pieces of 1..max bytes. */
static void feed_split(struct run *r, bool out, const uint8_t *p, size_t n, uint32_t *seed,
                       size_t max)
{
    while (n) {
        size_t k = 1 + rnd(seed) % max;
        if (k > n) k = n;
        feed(r, out, p, k);
        p += k;
        n -= k;
    }
}

/* Writes and reads in turns chosen by the seed: invariants only. */
static void feed_interleaved(struct run *r, const uint8_t *rq, size_t nrq, const uint8_t *rs,
                             size_t nrs, uint32_t *seed, size_t max)
{
    while (nrq || nrs) {
        bool out = nrq && (!nrs || rnd(seed) & 1);
        const uint8_t **p = out ? &rq : &rs;
        size_t *n = out ? &nrq : &nrs;
        size_t k = 1 + rnd(seed) % max;
        if (k > *n) k = *n;
        feed(r, out, *p, k);
        *p += k;
        *n -= k;
    }
}

static void same_or_abort(const struct run *a, const struct run *b)
{
    if (memcmp(&a->h, &b->h, sizeof(a->h)) != 0 || a->hash != b->hash) abort();
}

/* Requests rq, responses rs, whole or split, with the memo m or none. */
static void run_all(struct run *r, struct http1_memo *m, const uint8_t *rq, size_t nrq,
                    const uint8_t *rs, size_t nrs, uint32_t *seed, size_t max, bool eof)
{
    memset(r, 0, sizeof(*r));
    r->memo = m;
    if (seed) {
        feed_split(r, true, rq, nrq, seed, max);
        feed_split(r, false, rs, nrs, seed, max);
    } else {
        feed(r, true, rq, nrq);
        feed(r, false, rs, nrs);
    }
    if (eof) feed_eof(r);
}

/* Replayed heads leave what parsed ones leave: the same input (kept, then
 * replayed), split, and with one byte changed, against no memo. */
static void check_memo(const struct run *whole, const uint8_t *rq, size_t nrq, const uint8_t *rs,
                       size_t nrs, uint32_t seed, size_t max, bool eof)
{
    static struct http1_memo memo, lasting; /* lasting: kept across inputs */
    static struct run with, ref;
    run_all(&with, &lasting, rq, nrq, rs, nrs, NULL, 0, eof);
    if (memcmp(&with.h, &whole->h, sizeof(with.h)) != 0 || with.hash != whole->hash) {
        /* the memo held heads of earlier inputs: this input alone may not
         * crash again; the inputs before it (libFuzzer's -runs from the
         * same corpus order) do */
        fprintf(stderr, "fuzz_http1: a head replayed from an earlier input differs\n");
        abort();
    }
    memset(&memo, 0, sizeof(memo));
    for (int pass = 0; pass < 2; pass++) {
        run_all(&with, &memo, rq, nrq, rs, nrs, NULL, 0, eof);
        same_or_abort(&with, whole);
    }
    uint32_t s1 = seed, s2 = seed;
    run_all(&with, &memo, rq, nrq, rs, nrs, &s1, max, eof);
    run_all(&ref, NULL, rq, nrq, rs, nrs, &s2, max, eof);
    same_or_abort(&with, &ref);
    if (!nrq && !nrs) return;
    uint8_t *copy = malloc(nrq + nrs);
    if (!copy) abort();
    memcpy(copy, rq, nrq);
    memcpy(copy + nrq, rs, nrs);
    copy[rnd(&seed) % (nrq + nrs)] = (uint8_t)rnd(&seed);
    run_all(&with, &memo, copy, nrq, copy + nrq, nrs, NULL, 0, eof);
    run_all(&ref, NULL, copy, nrq, copy + nrq, nrs, NULL, 0, eof);
    same_or_abort(&with, &ref);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint32_t seed = data[0];
    const uint32_t seed0 = seed;
    unsigned int opt = data[1];
    size_t max = 1 + (opt >> 2);
    data += 2;
    size -= 2;
    const uint8_t *nul = memchr(data, 0, size);
    size_t nrq = nul ? (size_t)(nul - data) : size;
    const uint8_t *rs = nul ? nul + 1 : data + size;
    size_t nrs = nul ? size - nrq - 1 : 0;

    static struct run whole, split;
    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    if (opt & 2) {
        feed_interleaved(&split, data, nrq, rs, nrs, &seed, max);
        if (opt & 1) feed_eof(&split);
        return 0;
    }
    feed(&whole, true, data, nrq);
    feed(&whole, false, rs, nrs);
    feed_split(&split, true, data, nrq, &seed, max);
    feed_split(&split, false, rs, nrs, &seed, max);
    if (opt & 1) {
        feed_eof(&whole);
        feed_eof(&split);
    }
    if (memcmp(&whole.h, &split.h, sizeof(whole.h)) != 0 || whole.hash != split.hash) abort();
    check_memo(&whole, data, nrq, rs, nrs, seed0, max, opt & 1);
    return 0;
}
