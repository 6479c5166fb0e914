/* jsonline.c - builds trace lines without stdio or malloc (jsonline.h).
 *
 * snprintf is neither async-signal-safe nor cheap; a trace line only needs
 * integers, hex, escaped strings and socket addresses, so they are written
 * by hand into a caller-provided buffer. A line that does not fit is marked
 * overflow and dropped whole by the writer rather than cut. */
#define _GNU_SOURCE
#include "jsonline.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

void jb_init(struct jb *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->overflow = false;
}

void jb_raw(struct jb *b, const char *s)
{
    jb_rawn(b, s, strlen(s));
}

/* Two digits at a time: integers are most of every trace line. */
static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
                              "34353637383940414243444546474849505152535455565758596061626364656667"
                              "6869707172737475767778798081828384858687888990919293949596979899";

static int u64_digits(uint64_t v)
{
    int n = 1;
    for (; v >= 10000; v /= 10000) n += 4;
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

void jb_u64(struct jb *b, uint64_t v)
{
    size_t n = (size_t)u64_digits(v);
    if (b->len + n > b->cap) {
        b->overflow = true;
        return;
    }
    char *end = b->p + b->len + n;
    b->len += n;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--end = digits2[d + 1];
        *--end = digits2[d];
    }
    if (v >= 10) {
        *--end = digits2[v * 2 + 1];
        *--end = digits2[v * 2];
    } else {
        *--end = (char)('0' + v);
    }
}

void jb_i64(struct jb *b, int64_t v)
{
    if (v < 0) {
        jb_rawn(b, "-", 1);
        jb_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        jb_u64(b, (uint64_t)v);
    }
}

static const char hexdig[] = "0123456789abcdef";

void jb_hex(struct jb *b, uint64_t v)
{
    char tmp[24];
    int i = sizeof(tmp);
    tmp[--i] = '"';
    do {
        tmp[--i] = hexdig[v & 15];
        v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    tmp[--i] = '"';
    jb_rawn(b, tmp + i, sizeof(tmp) - (size_t)i);
}

/* Quoted JSON string of at most max input bytes. Control bytes are
 * escaped; bytes >= 0x80 pass through, so UTF-8 paths (/home/u/café) stay
 * what they are. */
void jb_str(struct jb *b, const char *s, size_t max)
{
    jb_rawn(b, "\"", 1);
    for (size_t i = 0; s && s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            jb_rawn(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15]};
            jb_rawn(b, e, 6);
        } else {
            jb_rawn(b, (const char *)&c, 1);
        }
    }
    jb_rawn(b, "\"", 1);
}

void jb_key(struct jb *b, const char *key)
{
    jb_rawn(b, ",\"", 2);
    jb_raw(b, key);
    jb_rawn(b, "\":", 2);
}

void jb_kv_u64(struct jb *b, const char *key, uint64_t v)
{
    jb_key(b, key);
    jb_u64(b, v);
}

void jb_kv_str(struct jb *b, const char *key, const char *s)
{
    jb_key(b, key);
    jb_str(b, s, 4096);
}

void jb_lit_str(struct jb *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 2 > b->cap) {
        b->overflow = true;
        return;
    }
    b->p[b->len] = '"';
    memcpy(b->p + b->len + 1, s, n);
    b->p[b->len + n + 1] = '"';
    b->len += n + 2;
}

void addr_from_sockaddr(struct cl_addr *dst, const struct sockaddr *sa, socklen_t len)
{
    memset(dst, 0, sizeof(*dst));
    if (!sa || len < sizeof(sa_family_t)) return;
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        dst->family = AF_INET;
        dst->port = ntohs(in->sin_port);
        memcpy(dst->a, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        dst->family = AF_INET6;
        dst->port = ntohs(in6->sin6_port);
        dst->scope = in6->sin6_scope_id;
        memcpy(dst->a, &in6->sin6_addr, 16);
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        dst->family = AF_UNIX;
        if (n > sizeof(dst->a) - 1) n = sizeof(dst->a) - 1;
        if (n > 0 && un->sun_path[0] == 0) { /* abstract: keep a leading '@' */
            dst->a[0] = '@';
            memcpy(dst->a + 1, un->sun_path + 1, n > 1 ? n - 1 : 0);
        } else if (n > 0) {
            memcpy(dst->a, un->sun_path, n);
        }
        dst->port = 1; /* "known": even an unnamed unix address is an address */
    } else {
        dst->family = sa->sa_family;
    }
}

static void jb_ipv4(struct jb *b, const uint8_t *a)
{
    char tmp[16];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i) tmp[n++] = '.';
        if (v >= 100) tmp[n++] = (char)('0' + v / 100);
        if (v >= 10) tmp[n++] = (char)('0' + v / 10 % 10);
        tmp[n++] = (char)('0' + v % 10);
    }
    jb_rawn(b, tmp, n);
}

/* RFC 5952: lowercase hex, longest run (>= 2) of zero groups as "::". */
static void jb_ipv6(struct jb *b, const uint8_t *a)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, v4mapped, 12) == 0) {
        jb_raw(b, "::ffff:");
        jb_ipv4(b, a + 12);
        return;
    }
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && a[2 * j] == 0 && a[2 * j + 1] == 0) j++;
        if (j - i > bestlen && j - i >= 2) best = i, bestlen = j - i;
        i = j > i ? j : i + 1;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            jb_raw(b, "::");
            i += bestlen - 1;
            continue;
        }
        if (i && i != best + bestlen) jb_rawn(b, ":", 1);
        unsigned g = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
        char tmp[4];
        int n = 0;
        for (int s = 12; s >= 0; s -= 4)
            if ((g >> s) || n || s == 0) tmp[n++] = hexdig[(g >> s) & 15];
        jb_rawn(b, tmp, (size_t)n);
    }
}

void jb_addr(struct jb *b, const struct cl_addr *a)
{
    jb_rawn(b, "\"", 1);
    if (a->family == AF_INET) {
        jb_ipv4(b, a->a);
        jb_rawn(b, ":", 1);
        jb_u64(b, a->port);
    } else if (a->family == AF_INET6) {
        jb_rawn(b, "[", 1);
        jb_ipv6(b, a->a);
        jb_rawn(b, "]:", 2);
        jb_u64(b, a->port);
    } else if (a->family == AF_UNIX) {
        jb_raw(b, "unix:");
        size_t n = strnlen((const char *)a->a, sizeof(a->a));
        /* jb_str adds quotes: emit the escaped body without them */
        char tmp[sizeof(a->a) * 6 + 2];
        struct jb t;
        jb_init(&t, tmp, sizeof(tmp));
        jb_str(&t, (const char *)a->a, n);
        jb_rawn(b, tmp + 1, t.len - 2);
    } else {
        jb_raw(b, "family:");
        jb_u64(b, a->family);
    }
    jb_rawn(b, "\"", 1);
}

const char *family_name(int fam, char *tmp)
{
    switch (fam) {
    case AF_INET:
        return "inet";
    case AF_INET6:
        return "inet6";
    case AF_UNIX:
        return "unix";
    case AF_NETLINK:
        return "netlink";
    case AF_PACKET:
        return "packet";
    }
    struct jb b;
    jb_init(&b, tmp, 15);
    jb_raw(&b, "other:");
    jb_u64(&b, (uint64_t)fam);
    tmp[b.len] = 0;
    return tmp;
}

const char *socktype_name(int type, char *tmp)
{
    switch (type) {
    case SOCK_STREAM:
        return "stream";
    case SOCK_DGRAM:
        return "dgram";
    case SOCK_SEQPACKET:
        return "seqpacket";
    case SOCK_RAW:
        return "raw";
    }
    struct jb b;
    jb_init(&b, tmp, 15);
    jb_raw(&b, "other:");
    jb_u64(&b, (uint64_t)type);
    tmp[b.len] = 0;
    return tmp;
}

void addr_from_raw(struct cl_addr *a, int family, const uint8_t *ip, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    a->family = (uint16_t)family;
    a->port = port;
    memcpy(a->a, ip, family == AF_INET ? 4 : 16);
}

uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
    return h;
}

/* A hash of an address (FNV-1a over family, port and the address bytes
 * that mean something), never 0, for the sampler's, timewait.c's and
 * agg.c's tables. */
uint64_t addr_hash(const struct cl_addr *a)
{
    size_t n = a->family == AF_INET ? 4u : a->family == AF_INET6 ? 16u : sizeof(a->a);
    uint64_t h = (FNV1A_INIT ^ a->family) * 1099511628211ull;
    h = (h ^ a->port) * 1099511628211ull;
    return fnv1a(h, a->a, n) | 1u;
}
