/* events_http.c - the HTTP exchange log (CONNLEAK_HTTP=2): http_req,
 * http_resp and http_done, one JSON line per request written and response
 * read (httptrack.c). Like events.c: built on the caller's stack, no
 * allocation, no lock of its own. */
#define _GNU_SOURCE
#include "events.h"
#include "events_internal.h"

#include "http1.h"

static const char *framing_name(unsigned int f)
{
    static const char *names[] = {"none", "none", "length", "chunked", "eof", "tunnel"};
    return f <= HTTP1_FRAME_TUNNEL ? names[f] : "none";
}

static const char *end_name(unsigned int e)
{
    static const char *names[] = {"none", "headers",   "length", "chunked",
                                  "eof",  "truncated", "tunnel"};
    return e <= HTTP1_END_TUNNEL ? names[e] : "none";
}

void ev_http_req(const struct sock_rec *r, int fd, const struct http1 *h, uint32_t stk,
                 bool sampled)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    ev_begin(&b, mem, "http_req");
    kv_sock(&b, r, fd);
    JB_KV_U64(&b, "seq", http1_requests(h));
    JB_KEY(&b, "method");
    jb_str(&b, http1_method(h), HTTP1_METHOD_MAX);
    JB_KEY(&b, "target");
    jb_str(&b, http1_target(h), HTTP1_TARGET_MAX);
    JB_KEY(&b, "host");
    jb_str(&b, http1_host(h), HTTP1_HOST_MAX);
    if (stk) JB_KV_U64(&b, "stk", stk);
    if (stk && sampled) JB_LIT(&b, ",\"sampled\":true");
    ev_finish(&b);
}

/* The response answers request number responses + 1 until it has ended. */
static uint64_t resp_seq(const struct http1 *h, const struct http1_events *ev)
{
    return http1_responses(h) + ((ev->flags & HTTP1_EV_RESPONSE_DONE) ? 0 : 1);
}

/* What http_resp and http_done share: sid, which response, its status. */
static void kv_response(struct jb *b, const struct sock_rec *r, const struct http1 *h,
                        const struct http1_events *ev)
{
    JB_KV_U64(b, "sid", r->sid);
    JB_KV_U64(b, "seq", resp_seq(h, ev));
    JB_KV_U64(b, "status", ev->status);
}

void ev_http_resp(const struct sock_rec *r, const struct http1 *h, const struct http1_events *ev)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    ev_begin(&b, mem, "http_resp");
    kv_response(&b, r, h, ev);
    JB_KEY(&b, "expect");
    jb_i64(&b, ev->framing == HTTP1_FRAME_LENGTH || ev->framing == HTTP1_FRAME_NOBODY ? ev->expected
                                                                                      : -1);
    JB_KV_LIT(&b, "framing", framing_name(ev->framing));
    jb_raw(&b, ev->keep_alive ? ",\"keepalive\":true" : ",\"keepalive\":false");
    ev_finish(&b);
}

void ev_http_done(const struct sock_rec *r, const struct http1 *h, const struct http1_events *ev)
{
    char mem[LINE_MAX_BYTES];
    struct jb b;
    ev_begin(&b, mem, "http_done");
    kv_response(&b, r, h, ev);
    JB_KV_U64(&b, "body", ev->body_read);
    JB_KV_LIT(&b, "end", end_name(ev->end));
    ev_finish(&b);
}
