/* http1_memo_cost.c - the HTTP/1 tracker with and without its head memo,
 * for callgrind (exact instruction counts): 10,000 keep-alive exchanges on
 * one struct http1, a request and an nginx-like response each, the request
 * the same every time or with a new id in its target every time (a head
 * the memo never finds again).
 *
 *   valgrind --tool=callgrind build/bench/http1_memo_cost MEMO VARY
 *
 * MEMO 1: a memo passed (as the preload passes one per thread), 0: none.
 * VARY 1: "GET /items/N" with N new each time, 0: always the same target.
 * Divide callgrind's total by 10,000 (start-up is ~100,000 in all). */
#include "http1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct http1_memo memo;

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: http1_memo_cost MEMO(0|1) VARY(0|1)\n");
        return 2;
    }
    int use = atoi(argv[1]), vary = atoi(argv[2]);
    static const char rs[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                             "2\r\nConnection: keep-alive\r\n\r\nok";
    struct http1 h;
    memset(&h, 0, sizeof(h));
    for (int i = 0; i < 10000; i++) {
        char rq[256];
        int len = snprintf(rq, sizeof(rq),
                           "GET /items/%d HTTP/1.1\r\nHost: api.internal\r\nUser-Agent: "
                           "x/1.0\r\nAccept: */*\r\n\r\n",
                           vary ? i : 7);
        struct http1_events ev;
        for (size_t at = 0; at < (size_t)len;)
            at += http1_on_write_memo(&h, use ? &memo : NULL, rq + at, (size_t)len - at, &ev);
        for (size_t at = 0; at < sizeof(rs) - 1;)
            at += http1_on_read_memo(&h, use ? &memo : NULL, rs + at, sizeof(rs) - 1 - at, &ev);
    }
    printf("%u responses\n", h.responses);
    return h.responses == 10000 ? 0 : 1;
}
