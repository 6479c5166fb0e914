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

/* The same fields as binary (tracebin.h), inside an object the caller
 * opened with tb_obj and closes with tb_obj_end. */
void http1_tb_fields(struct tb *b, const struct http1 *h)
{
    static const uint8_t phases[] = {
        [HTTP1_PHASE_HEADERS] = TBW_HEADERS, [HTTP1_PHASE_BODY] = TBW_BODY};
    enum http1_phase ph = http1_phase(h);
    unsigned int m;
    tb_u(b, TBF_REQS, http1_requests(h));
    tb_u(b, TBF_RESPS, http1_responses(h));
    tb_u(b, TBF_AWAIT, http1_outstanding(h));
    tb_word(b, TBF_PHASE,
            ph == HTTP1_PHASE_HEADERS || ph == HTTP1_PHASE_BODY ? phases[ph] : TBW_IDLE);
    tb_u(b, TBF_STATUS, http1_status(h));
    tb_i(b, TBF_EXPECT, http1_body_expected(h));
    tb_u(b, TBF_READ, http1_body_read(h));
    tb_bool(b, TBF_KA, http1_keep_alive(h));
    if ((m = tb_word_find(http1_method(h), TBW_GET, TBW_CONNECT)) < TBW_COUNT)
        tb_word(b, TBF_METHOD, m);
    else
        tb_str(b, TBF_METHOD, http1_method(h), HTTP1_METHOD_MAX);
    tb_str(b, TBF_TARGET, http1_target(h), HTTP1_TARGET_MAX);
    tb_str(b, TBF_HOST, http1_host(h), HTTP1_HOST_MAX);
    if (http1_state(h) == HTTP1_LOST_SYNC) tb_bool(b, TBF_LOST, true);
    if (http1_state(h) == HTTP1_TUNNEL) tb_bool(b, TBF_TUNNEL, true);
}
