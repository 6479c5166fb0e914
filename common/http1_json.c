/* http1_json.c - the "http" object of trace records (http1_json.h). */
#include "http1_json.h"

static const char *phase_name(enum http1_phase p)
{
    return p == HTTP1_PHASE_HEADERS ? "headers" : p == HTTP1_PHASE_BODY ? "body" : "idle";
}

void http1_json_open(struct jb *b, const struct http1 *h, bool body_open)
{
    JB_LIT(b, "{\"reqs\":");
    jb_u64(b, http1_requests(h));
    JB_KV_U64(b, "resps", http1_responses(h));
    JB_KV_U64(b, "await", http1_outstanding(h));
    JB_KV_LIT(b, "phase", body_open ? "body" : phase_name(http1_phase(h)));
    JB_KV_U64(b, "status", http1_status(h));
    JB_KEY(b, "expect");
    jb_i64(b, http1_body_expected(h));
    JB_KV_U64(b, "read", body_open ? 0 : http1_body_read(h));
    jb_raw(b, http1_keep_alive(h) ? ",\"ka\":true" : ",\"ka\":false");
    JB_KEY(b, "method");
    jb_str(b, http1_method(h), HTTP1_METHOD_MAX);
    JB_KEY(b, "target");
    jb_str(b, http1_target(h), HTTP1_TARGET_MAX);
    JB_KEY(b, "host");
    jb_str(b, http1_host(h), HTTP1_HOST_MAX);
    if (http1_state(h) == HTTP1_LOST_SYNC) JB_LIT(b, ",\"lost\":true");
    if (http1_state(h) == HTTP1_TUNNEL) JB_LIT(b, ",\"tunnel\":true");
}
