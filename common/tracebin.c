/* tracebin.c - the dictionaries of trace format version 2's binary records
 * (field names and types, record names, words), the string and address
 * encoders, and the framing helpers both the writer (tracefile.c, which
 * must cut a buffer only between records) and the reader use. */
#include "tracebin.h"

#include <string.h>
#include <sys/socket.h>

const struct tb_field_info tb_fields[TBF_COUNT] = {
    [TBF_TS] = {"ts", TBT_TS},
    [TBF_TSD] = {"ts", TBT_TSD},
    [TBF_SID] = {"sid", TBT_U},
    [TBF_FD] = {"fd", TBT_I},
    [TBF_FAM] = {"fam", TBT_S},
    [TBF_TYPE] = {"type", TBT_S},
    [TBF_ROLE] = {"role", TBT_S},
    [TBF_STK] = {"stk", TBT_U},
    [TBF_INO] = {"ino", TBT_U},
    [TBF_PEER] = {"peer", TBT_A},
    [TBF_LOCAL] = {"local", TBT_A},
    [TBF_LSID] = {"lsid", TBT_U},
    [TBF_INHERITED] = {"inherited", TBT_B},
    [TBF_LATE] = {"late", TBT_B},
    [TBF_OPENED] = {"opened", TBT_REL},
    [TBF_INPROGRESS] = {"inprogress", TBT_B},
    [TBF_ERR] = {"err", TBT_S},
    [TBF_NFD] = {"nfd", TBT_U},
    [TBF_HOW] = {"how", TBT_S},
    [TBF_LAST] = {"last", TBT_B},
    [TBF_IN] = {"in", TBT_U},
    [TBF_OUT] = {"out", TBT_U},
    [TBF_LAST_IO] = {"last_io", TBT_REL},
    [TBF_EOF] = {"eof", TBT_B},
    [TBF_FIN] = {"fin", TBT_B},
    [TBF_HTTP] = {"http", TBT_O},
    [TBF_REQS] = {"reqs", TBT_U},
    [TBF_RESPS] = {"resps", TBT_U},
    [TBF_AWAIT] = {"await", TBT_U},
    [TBF_PHASE] = {"phase", TBT_S},
    [TBF_STATUS] = {"status", TBT_U},
    [TBF_EXPECT] = {"expect", TBT_I},
    [TBF_READ] = {"read", TBT_U},
    [TBF_KA] = {"ka", TBT_B},
    [TBF_METHOD] = {"method", TBT_S},
    [TBF_TARGET] = {"target", TBT_S},
    [TBF_HOST] = {"host", TBT_S},
    [TBF_LOST] = {"lost", TBT_B},
    [TBF_TUNNEL] = {"tunnel", TBT_B},
    [TBF_TLS] = {"tls", TBT_B},
    [TBF_SAMPLED] = {"sampled", TBT_B},
    [TBF_H] = {"h", TBT_U},
    [TBF_KIND] = {"kind", TBT_S},
    [TBF_URL] = {"url", TBT_S},
};

const char *const tb_recs[TBR_COUNT] = {
    [TBR_OPEN] = "open",     [TBR_CONN] = "conn", [TBR_CLOSE] = "close",
    [TBR_LISTEN] = "listen", [TBR_DUP] = "dup",   [TBR_SHUT] = "shut",
    [TBR_HNEW] = "hnew",     [TBR_HUSE] = "huse", [TBR_HFREE] = "hfree",
};

const char *const tb_words[TBW_COUNT] = {
    [TBW_NONE] = "",
    [TBW_INET] = "inet",
    [TBW_INET6] = "inet6",
    [TBW_UNIX] = "unix",
    [TBW_NETLINK] = "netlink",
    [TBW_PACKET] = "packet",
    [TBW_STREAM] = "stream",
    [TBW_DGRAM] = "dgram",
    [TBW_SEQPACKET] = "seqpacket",
    [TBW_RAW] = "raw",
    [TBW_ROLE_SOCKET] = "socket",
    [TBW_ROLE_CLIENT] = "client",
    [TBW_ROLE_LISTENER] = "listener",
    [TBW_ROLE_ACCEPTED] = "accepted",
    [TBW_ROLE_PAIR] = "pair",
    [TBW_ROLE_RECEIVED] = "received",
    [TBW_CLOSE] = "close",
    [TBW_CLOSE_RANGE] = "close_range",
    [TBW_DUP] = "dup",
    [TBW_DUP2] = "dup2",
    [TBW_DUP3] = "dup3",
    [TBW_FCNTL] = "fcntl",
    [TBW_FCLOSE] = "fclose",
    [TBW_IMPLICIT] = "implicit",
    [TBW_SYSCALL] = "syscall",
    [TBW_RD] = "rd",
    [TBW_WR] = "wr",
    [TBW_RDWR] = "rdwr",
    [TBW_OTHER] = "other",
    [TBW_IDLE] = "idle",
    [TBW_HEADERS] = "headers",
    [TBW_BODY] = "body",
    [TBW_GET] = "GET",
    [TBW_POST] = "POST",
    [TBW_PUT] = "PUT",
    [TBW_HEAD] = "HEAD",
    [TBW_DELETE] = "DELETE",
    [TBW_PATCH] = "PATCH",
    [TBW_OPTIONS] = "OPTIONS",
    [TBW_CONNECT] = "CONNECT",
    [TBW_SLASH] = "/",
    [TBW_CURL] = "curl",
    [TBW_CURLM] = "curlm",
    [TBW_SSL] = "ssl",
};

unsigned int tb_word_find(const char *s, unsigned int first, unsigned int last)
{
    for (unsigned int w = first; w <= last && w < TBW_COUNT; w++)
        if (strcmp(tb_words[w], s) == 0) return w;
    return TBW_COUNT;
}

void tb_str(struct tb *b, enum tb_field f, const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max < TB_STR_MAX ? max : TB_STR_MAX) : 0;
    if (n == 0) {
        tb_word(b, f, TBW_NONE);
        return;
    }
    if (n == 1 && s[0] == '/') {
        tb_word(b, f, TBW_SLASH);
        return;
    }
    tb_u(b, f, (uint64_t)n << 1);
    if (!tb_room(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* family; inet: 4 bytes and the port; inet6: 16 bytes and the port; unix:
 * the path as a length and bytes; any other family: nothing more. */
void tb_addr(struct tb *b, enum tb_field f, const struct cl_addr *a)
{
    tb_u(b, f, a->family);
    size_t n = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
    if (a->family == AF_UNIX) {
        n = strnlen((const char *)a->a, sizeof(a->a));
        tb_varint(b, n);
    }
    if (!tb_room(b, n)) return;
    memcpy(b->p + b->len, a->a, n);
    b->len += n;
    if (a->family == AF_INET || a->family == AF_INET6) tb_varint(b, a->port);
}

size_t tb_frame_put(uint8_t *o, enum tb_rec type, uint64_t ts, bool delta, uint64_t prev,
                    const struct tb *b)
{
    uint8_t tsf[11];
    size_t tsn = 1;
    tsf[0] = delta ? TBF_TSD : TBF_TS;
    tsn += tb_varint_at(tsf + 1, delta ? tb_zigzag((int64_t)(ts - prev)) : ts);
    o[0] = (uint8_t)(TB_TAG | type);
    size_t n = 1 + tb_varint_at(o + 1, tsn + b->len);
    memcpy(o + n, tsf, tsn);
    memcpy(o + n + tsn, b->p, b->len);
    n += tsn + b->len;
    o[n++] = '\n';
    return n;
}

bool tb_get_varint(const uint8_t *p, size_t end, size_t *at, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned int shift = 0; shift < 64 && *at < end; shift += 7) {
        uint8_t c = p[(*at)++];
        if (shift == 63 && c > 1) return false; /* over 64 bits */
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

bool tb_frame_header(const uint8_t *p, size_t n, uint64_t *len, size_t *hdr)
{
    size_t at = 1;
    if (n < 2 || p[0] < TB_TAG) return false;
    if (!tb_get_varint(p, n < 6 ? n : 6, &at, len) || *len > TB_PAYLOAD_MAX) return false;
    *hdr = at;
    return true;
}

size_t tb_record_size(const uint8_t *p, size_t n)
{
    if (n == 0) return 0;
    if (p[0] < TB_TAG) {
        const uint8_t *nl = memchr(p, '\n', n);
        return nl ? (size_t)(nl - p) + 1 : 0;
    }
    uint64_t len;
    size_t hdr;
    if (!tb_frame_header(p, n, &len, &hdr)) return 0;
    return hdr + len + 1 <= n ? hdr + (size_t)len + 1 : 0;
}
