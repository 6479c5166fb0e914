/* events_handles.c - the records of client handles (handles.c): hnew, huse
 * and hfree, as binary records (common/tracebin.h), one per call of
 * libcurl's or OpenSSL's that makes, uses or frees a handle. Like events.c:
 * built on the caller's stack, no allocation, no lock of its own. */
#define _GNU_SOURCE
#include "preload.h"
#include "events.h"
#include "handles.h"
#include "trace.h"

#include "tracebin.h"

#define REC_MAX_BYTES 1024

void ev_hnew(uint32_t id, int kind, uint32_t stk)
{
    uint8_t mem[REC_MAX_BYTES];
    struct tb b;
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_HNEW);
    tb_u(&b, TBF_H, id);
    tb_word(&b, TBF_KIND, kind >= 0 && kind <= HANDLE_SSL ? TBW_CURL + kind : TBW_OTHER);
    tb_u(&b, TBF_STK, stk);
    trace_frame(TBR_HNEW, ts, &b);
}

void ev_huse(uint32_t id, uint64_t sid, const char *url)
{
    uint8_t mem[REC_MAX_BYTES];
    struct tb b;
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_HUSE);
    tb_u(&b, TBF_H, id);
    if (sid) tb_u(&b, TBF_SID, sid);
    if (url) tb_str(&b, TBF_URL, url, 120);
    trace_frame(TBR_HUSE, ts, &b);
}

void ev_hfree(uint32_t id)
{
    uint8_t mem[REC_MAX_BYTES];
    struct tb b;
    uint64_t ts = clock_since_start();
    tb_init(&b, mem, sizeof(mem), TBR_HFREE);
    tb_u(&b, TBF_H, id);
    trace_frame(TBR_HFREE, ts, &b);
}
