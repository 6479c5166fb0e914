/* http_traces.h - what the tests of the HTTP findings share
 * (test_analyzer_http.c: the rules; test_analyzer_http_render.c: their
 * JSON and text): small traces written by hand (JSON lines,
 * docs/trace-format.md), read like `connleak report` reads them. Included
 * after analyzer_traces.h. */
#ifndef CONNLEAK_HTTP_TRACES_H
#define CONNLEAK_HTTP_TRACES_H

#include "analyzer_traces.h"

/* ---- writing traces --------------------------------------------------- */

static inline void hdr(struct strbuf *sb, int pid)
{
    trace_hdr(sb, pid, "/x/app");
}

/* open + conn of a client socket */
static inline void sock_open(struct strbuf *sb, int sid, int stk, const char *peer, uint64_t ts)
{
    strbuf_addf(sb,
                "{\"t\":\"open\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"role\":\"socket\",\"stk\":%d}\n"
                "{\"t\":\"conn\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"peer\":\"%s\"}\n",
                ts, sid, 2 + sid, stk, ts + 1, sid, 2 + sid, peer);
}

static inline void sock_close(struct strbuf *sb, int sid, uint64_t ts, const char *http, bool eof)
{
    strbuf_addf(sb,
                "{\"t\":\"close\",\"ts\":%lu,\"sid\":%d,\"fd\":%d,\"how\":\"close\",\"last\":true,"
                "\"in\":10,\"out\":10,\"last_io\":%lu%s%s%s}\n",
                ts, sid, 2 + sid, ts - 1, eof ? ",\"eof\":true" : "", http ? ",\"http\":" : "",
                http ? http : "");
}

static inline void sock_live(struct strbuf *sb, int sid, int stk, const char *peer, uint64_t opened,
                             uint64_t last_io, uint64_t at, const char *http)
{
    strbuf_addf(sb,
                "{\"t\":\"live\",\"ts\":%lu,\"sid\":%d,\"fds\":[%d],\"role\":\"client\","
                "\"peer\":\"%s\",\"stk\":%d,\"opened\":%lu,\"last_io\":%lu,\"in\":5,\"out\":6%s%s}"
                "\n",
                at, sid, 2 + sid, peer, stk, opened, last_io, http ? ",\"http\":" : "",
                http ? http : "");
}

static inline void trace_end(struct strbuf *sb, uint64_t ts)
{
    strbuf_addf(sb, "{\"t\":\"end\",\"ts\":%lu}\n", ts);
}

/* Writes the trace into dir and frees sb; the path (caller frees). */

#define SEC 1000000000ULL
#define MS  1000000ULL

/* a response in the middle of its body */
#define HTTP_BODY_200                                                                              \
    "{\"reqs\":1,\"resps\":0,\"await\":0,\"phase\":\"body\",\"status\":200,\"expect\":1048576,"    \
    "\"read\":65536,\"ka\":true,\"method\":\"GET\",\"target\":\"/big\",\"host\":\"api.test\"}"
/* a request waiting for its response */
#define HTTP_AWAIT                                                                                 \
    "{\"reqs\":1,\"resps\":0,\"await\":1,\"phase\":\"idle\",\"status\":0,\"expect\":-1,"           \
    "\"read\":0,\"ka\":false,\"method\":\"POST\",\"target\":\"/slow\",\"host\":\"\"}"
/* one keep-alive exchange, ended */
#define HTTP_ONE_KA                                                                                \
    "{\"reqs\":1,\"resps\":1,\"await\":0,\"phase\":\"idle\",\"status\":200,\"expect\":2,"          \
    "\"read\":2,\"ka\":true,\"method\":\"GET\",\"target\":\"/x\",\"host\":\"svc.test\"}"
#define HTTP_ONE_CLOSE                                                                             \
    "{\"reqs\":1,\"resps\":1,\"await\":0,\"phase\":\"idle\",\"status\":200,\"expect\":2,"          \
    "\"read\":2,\"ka\":false,\"method\":\"GET\",\"target\":\"/x\",\"host\":\"svc.test\"}"

/* ---- reading reports -------------------------------------------------- */

static inline struct process *load(struct strbuf *sb)
{
    struct process *p = calloc(1, sizeof(*p));
    struct strlist notes = {0};
    char *why = NULL, *path = trace_write(sb);
    assert_int_equal(trace_read_file(path, p, &notes, &why), 0);
    free(path);
    strlist_free(&notes);
    return p;
}

static inline void unload(struct process *p)
{
    process_free(p);
    free(p);
}

/* n connections to peer, each open for `len` ns, a new one every `step` ns. */
static inline void one_request_each(struct strbuf *sb, int first_sid, int n, const char *peer,
                                    uint64_t step, uint64_t len, const char *http, int stk)
{
    for (int i = 0; i < n; i++) {
        uint64_t t = 1000 + (uint64_t)i * step;
        sock_open(sb, first_sid + i, stk, peer, t);
        sock_close(sb, first_sid + i, t + len, http, false);
    }
}

#endif
