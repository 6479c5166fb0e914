/* tracebin.c - the dictionaries of the trace format's binary records
 * (field names and types, record names, words, each kind's field list),
 * the encoder's object, string and address writers, the frame writer of
 * version 3, and the framing helpers both the writer (tracefile.c, which
 * must cut a buffer only between records) and the reader use. */
#include "tracebin.h"

#include <string.h>
#include <sys/socket.h>

const struct tb_field_info tb_fields[TBF_COUNT] = {
    [TBF_TS] = {"ts", TBT_TS, 0},
    [TBF_TSD] = {"ts", TBT_TSD, 0},
    [TBF_SID] = {"sid", TBT_U, 0},
    [TBF_FD] = {"fd", TBT_I, 0},
    [TBF_FAM] = {"fam", TBT_S, 0},
    [TBF_TYPE] = {"type", TBT_S, 0},
    [TBF_ROLE] = {"role", TBT_S, 0},
    [TBF_STK] = {"stk", TBT_U, 0},
    [TBF_INO] = {"ino", TBT_U, 0},
    [TBF_PEER] = {"peer", TBT_A, 0},
    [TBF_LOCAL] = {"local", TBT_A, 0},
    [TBF_LSID] = {"lsid", TBT_U, 0},
    [TBF_INHERITED] = {"inherited", TBT_B, TBT_T},
    [TBF_LATE] = {"late", TBT_B, TBT_T},
    [TBF_OPENED] = {"opened", TBT_REL, 0},
    [TBF_INPROGRESS] = {"inprogress", TBT_B, TBT_T},
    [TBF_ERR] = {"err", TBT_S, 0},
    [TBF_NFD] = {"nfd", TBT_U, 0},
    [TBF_HOW] = {"how", TBT_S, 0},
    [TBF_LAST] = {"last", TBT_B, 0},
    [TBF_IN] = {"in", TBT_U, 0},
    [TBF_OUT] = {"out", TBT_U, 0},
    [TBF_LAST_IO] = {"last_io", TBT_REL, 0},
    [TBF_EOF] = {"eof", TBT_B, TBT_T},
    [TBF_FIN] = {"fin", TBT_B, TBT_T},
    [TBF_HTTP] = {"http", TBT_O, 0},
    [TBF_REQS] = {"reqs", TBT_U, 0},
    [TBF_RESPS] = {"resps", TBT_U, 0},
    [TBF_AWAIT] = {"await", TBT_U, 0},
    [TBF_PHASE] = {"phase", TBT_S, 0},
    [TBF_STATUS] = {"status", TBT_U, 0},
    [TBF_EXPECT] = {"expect", TBT_I, 0},
    [TBF_READ] = {"read", TBT_U, 0},
    [TBF_KA] = {"ka", TBT_B, 0},
    [TBF_METHOD] = {"method", TBT_S, 0},
    [TBF_TARGET] = {"target", TBT_S, TBT_SI},
    [TBF_HOST] = {"host", TBT_S, TBT_SI},
    [TBF_LOST] = {"lost", TBT_B, TBT_T},
    [TBF_TUNNEL] = {"tunnel", TBT_B, TBT_T},
    [TBF_TLS] = {"tls", TBT_B, TBT_T},
    [TBF_SAMPLED] = {"sampled", TBT_B, TBT_T},
    [TBF_H] = {"h", TBT_U, 0},
    [TBF_KIND] = {"kind", TBT_S, 0},
    [TBF_URL] = {"url", TBT_S, 0},
};

const char *const tb_recs[TBR_COUNT] = {
    [TBR_OPEN] = "open",     [TBR_CONN] = "conn", [TBR_CLOSE] = "close",
    [TBR_LISTEN] = "listen", [TBR_DUP] = "dup",   [TBR_SHUT] = "shut",
    [TBR_HNEW] = "hnew",     [TBR_HUSE] = "huse", [TBR_HFREE] = "hfree",
};

/* Each kind's fields, as bit + 1. The common fields take the low bits, so
 * that a usual mask fits in one byte (two for the http object). */
const uint8_t tb_bit[TBK_COUNT][TBF_COUNT] = {
    [TBR_OPEN] = {[TBF_FAM] = 1,
                  [TBF_TYPE] = 2,
                  [TBF_ROLE] = 3,
                  [TBF_STK] = 4,
                  [TBF_INO] = 5,
                  [TBF_PEER] = 6,
                  [TBF_LOCAL] = 7,
                  [TBF_LSID] = 8,
                  [TBF_OPENED] = 9,
                  [TBF_INHERITED] = 10,
                  [TBF_LATE] = 11},
    [TBR_CONN] = {[TBF_PEER] = 1, [TBF_LOCAL] = 2, [TBF_ERR] = 3, [TBF_INPROGRESS] = 4},
    [TBR_CLOSE] = {[TBF_HOW] = 1,
                   [TBF_LAST] = 2,
                   [TBF_IN] = 3,
                   [TBF_OUT] = 4,
                   [TBF_LAST_IO] = 5,
                   [TBF_HTTP] = 6,
                   [TBF_EOF] = 7,
                   [TBF_FIN] = 8},
    [TBR_LISTEN] = {[TBF_LOCAL] = 1},
    [TBR_DUP] = {[TBF_NFD] = 1, [TBF_HOW] = 2},
    [TBR_SHUT] = {[TBF_HOW] = 1},
    [TBR_HNEW] = {[TBF_H] = 1, [TBF_KIND] = 2, [TBF_STK] = 3},
    [TBR_HUSE] = {[TBF_H] = 1, [TBF_SID] = 2, [TBF_URL] = 3},
    [TBR_HFREE] = {[TBF_H] = 1},
    [TBK_HTTP] = {[TBF_REQS] = 1,
                  [TBF_RESPS] = 2,
                  [TBF_AWAIT] = 3,
                  [TBF_PHASE] = 4,
                  [TBF_STATUS] = 5,
                  [TBF_EXPECT] = 6,
                  [TBF_READ] = 7,
                  [TBF_KA] = 8,
                  [TBF_METHOD] = 9,
                  [TBF_TARGET] = 10,
                  [TBF_HOST] = 11,
                  [TBF_STK] = 12,
                  [TBF_SAMPLED] = 13,
                  [TBF_LOST] = 14,
                  [TBF_TUNNEL] = 15,
                  [TBF_TLS] = 16},
};

const bool tb_has_sock[TBR_COUNT] = {
    [TBR_OPEN] = true,   [TBR_CONN] = true, [TBR_CLOSE] = true,
    [TBR_LISTEN] = true, [TBR_DUP] = true,  [TBR_SHUT] = true,
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

/* The object's mask goes before its values: two bytes are kept for it
 * (its usual fields take 8 to 14 bits), moved over if it needs three. */
void tb_obj(struct tb *b, enum tb_field f)
{
    if (b->in_obj || f != TBF_HTTP || !tb_room(b, 2) || !tb_field(b, f, true)) {
        b->overflow = true; /* one level, and the http object only */
        return;
    }
    b->in_obj = true;
    b->rec_mask = b->mask;
    b->rec_last = b->last;
    b->bits = tb_bit[TBK_HTTP];
    b->mask = 0;
    b->last = 0;
    b->ostart = (uint32_t)b->len;
    b->len += 2;
}

void tb_obj_end(struct tb *b)
{
    if (!b->in_obj) {
        b->overflow = true;
        return;
    }
    uint32_t omask = b->mask;
    b->in_obj = false;
    b->bits = tb_bit[b->kind];
    b->mask = b->rec_mask;
    b->last = b->rec_last;
    uint8_t *m = b->p + b->ostart;
    if (omask < 1u << 14) { /* two bytes: a one-byte mask is padded (0x80 | m, 0) */
        m[0] = (uint8_t)((omask & 0x7f) | 0x80);
        m[1] = (uint8_t)(omask >> 7);
        return;
    }
    size_t k = tb_varint_len(omask) - 2;
    if (!tb_room(b, k)) return;
    memmove(m + 2 + k, m + 2, b->len - b->ostart - 2);
    tb_varint_at(m, omask);
    b->len += k;
    for (unsigned int i = 0; i < b->nsi; i++)
        if (b->si[i].at >= b->ostart) b->si[i].at += k, b->si[i].str += k, b->si[i].end += k;
}

/* Inline (n << 2), or a word; a short TBT_SI string is noted for
 * tb_frame_put, which names it by number if its segment has it. */
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
    size_t at = b->len;
    tb_u(b, f, (uint64_t)n << 2);
    if (b->overflow || !tb_room(b, n)) return;
    if (tb_type3(f) == TBT_SI && n <= TB_SEG_STR_MAX && b->nsi < TB_SI_MAX)
        b->si[b->nsi++] = (struct tb_si){(uint32_t)at, (uint32_t)b->len, (uint32_t)(b->len + n),
                                         tb_hash((const uint8_t *)s, n)};
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* family; inet: 4 bytes and the port (2 bytes, big-endian); inet6: 16
 * bytes and the port; unix: the path as a length and bytes; any other
 * family: nothing more. */
void tb_addr(struct tb *b, enum tb_field f, const struct cl_addr *a)
{
    tb_u(b, f, a->family);
    size_t n = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
    if (a->family == AF_UNIX) {
        n = strnlen((const char *)a->a, sizeof(a->a));
        tb_varint(b, n);
    }
    if (!tb_room(b, n + 2)) return;
    memcpy(b->p + b->len, a->a, n);
    b->len += n;
    if (a->family == AF_INET || a->family == AF_INET6) {
        b->p[b->len++] = (uint8_t)(a->port >> 8);
        b->p[b->len++] = (uint8_t)a->port;
    }
}

/* The number of the segment's string s[0..n), or -1; a new one is
 * numbered while the segment has room (the reader numbers the same). */
static int seg_string(struct tb_seg *seg, const uint8_t *s, size_t n, uint32_t hash)
{
    for (unsigned int i = 0; i < seg->nstr; i++)
        if (seg->hash[i] == hash && seg->len[i] == n && memcmp(seg->str[i], s, n) == 0)
            return (int)i;
    if (seg->nstr < TB_SEG_STRS) {
        seg->hash[seg->nstr] = hash;
        seg->len[seg->nstr] = (uint8_t)n;
        memcpy(seg->str[seg->nstr++], s, n);
    }
    return -1;
}

static void seg_start(struct tb_seg *seg)
{
    seg->frames = 0;
    seg->nstr = 0;
    seg->sid = 0;
    seg->sock = false;
}

size_t tb_frame_put(uint8_t *o, struct tb_seg *seg, enum tb_rec type, uint64_t ts, bool anchor,
                    const struct tb *b)
{
    if (anchor || seg->frames >= TB_ANCHOR_EVERY) anchor = true, seg_start(seg);
    seg->frames++;
    bool same = !anchor && b->sock && seg->sock && seg->sid == b->sid && seg->fd == b->fd;
    uint8_t *head = o + 2; /* after the tag and a one-byte length, moved if it is longer */
    size_t h = tb_varint_at(head, anchor ? ts : tb_zigzag((int64_t)(ts - seg->ts)));
    h += tb_varint_at(head + h, b->mask);
    if (b->sock && !same) {
        h += tb_varint_at(head + h, tb_zigzag((int64_t)(b->sid - seg->sid)));
        h += tb_varint_at(head + h, tb_zigzag(b->fd));
    }
    int num[TB_SI_MAX];
    size_t plen = b->len;
    for (unsigned int i = 0; i < b->nsi; i++) {
        const struct tb_si *si = &b->si[i];
        num[i] = seg_string(seg, b->p + si->str, si->end - si->str, si->hash);
        if (num[i] >= 0) plen -= si->end - si->at - tb_varint_len((uint64_t)num[i] << 2 | 2);
    }
    size_t lb = tb_varint_len(h + plen);
    if (lb > 1) memmove(o + 1 + lb, head, h);
    o[0] = (uint8_t)(TB_TAG | (anchor ? TB_ANCHOR : 0) | (same ? TB_SAME : 0) | type);
    tb_varint_at(o + 1, h + plen);
    size_t n = 1 + lb + h;
    size_t from = 0;
    for (unsigned int i = 0; i < b->nsi; i++) {
        if (num[i] < 0) continue;
        memcpy(o + n, b->p + from, b->si[i].at - from);
        n += b->si[i].at - from;
        n += tb_varint_at(o + n, (uint64_t)num[i] << 2 | 2);
        from = b->si[i].end;
    }
    memcpy(o + n, b->p + from, b->len - from);
    n += b->len - from;
    o[n++] = '\n';
    seg->ts = ts;
    if (b->sock) seg->sid = b->sid, seg->fd = b->fd, seg->sock = true;
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
