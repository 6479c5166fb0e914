/* jsonline.h - builds trace lines without stdio or malloc, for both
 * recorders: the preload's hooks (which may run in a signal handler) and
 * the probe's loader. A line goes into a caller's buffer; one that does not
 * fit is marked overflow and must be dropped whole, never cut. Socket
 * addresses are kept compact (struct cl_addr) and formatted as the trace
 * format says ("127.0.0.1:8080", "[::1]:443", "unix:/path").
 *
 *     char mem[512];
 *     struct jb b;
 *     jb_init(&b, mem, sizeof(mem));
 *     JB_LIT(&b, "{\"t\":\"conn\"");
 *     JB_KV_U64(&b, "sid", sid);
 *     jb_key(&b, "peer"); jb_addr(&b, &peer);
 *     jb_raw(&b, "}\n");
 *     if (!b.overflow) write(fd, b.p, b.len); */
#ifndef CONNLEAK_JSONLINE_H
#define CONNLEAK_JSONLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct jb {
    char *p;
    size_t len, cap;
    bool overflow;
};
void jb_init(struct jb *b, char *mem, size_t cap);
void jb_raw(struct jb *b, const char *s);
static inline void jb_rawn(struct jb *b, const char *s, size_t n)
{
    if (__builtin_expect(b->len + n > b->cap, 0)) {
        b->overflow = true;
        return;
    }
    __builtin_memcpy(b->p + b->len, s, n);
    b->len += n;
}
/* Literal text, keys and values whose length the compiler knows. */
#define JB_LIT(b, s)       jb_rawn((b), "" s, sizeof(s) - 1)
#define JB_KEY(b, k)       jb_rawn((b), ",\"" k "\":", sizeof(k) + 3)
#define JB_KV_U64(b, k, v) (JB_KEY(b, k), jb_u64((b), (v)))
#define JB_KV_LIT(b, k, s) (JB_KEY(b, k), jb_lit_str((b), (s)))
void jb_lit_str(struct jb *b, const char *s); /* quoted, no escaping: for our own constants */
void jb_u64(struct jb *b, uint64_t v);
void jb_i64(struct jb *b, int64_t v);
void jb_hex(struct jb *b, uint64_t v);                /* "0x..." with quotes */
void jb_str(struct jb *b, const char *s, size_t max); /* quoted, JSON-escaped */
/* ,"key": prefix helpers */
void jb_key(struct jb *b, const char *key);
void jb_kv_u64(struct jb *b, const char *key, uint64_t v);
void jb_kv_str(struct jb *b, const char *key, const char *s);

/* ---- socket addresses, compact ---- */
struct cl_addr {
    uint16_t family; /* 0 = unknown */
    uint16_t port;   /* host order */
    uint32_t scope;
    uint8_t a[24]; /* in/in6 address, or the start of a unix path */
};
void addr_from_sockaddr(struct cl_addr *dst, const struct sockaddr *sa, socklen_t len);
void jb_addr(struct jb *b, const struct cl_addr *a); /* quoted string */
uint64_t addr_hash(const struct cl_addr *a);         /* family, port and address; never 0 */
#define FNV1A_INIT 1469598103934665603ull
uint64_t fnv1a(uint64_t h, const void *p, size_t n); /* h: FNV1A_INIT, or a previous hash */
/* ip: 4 (AF_INET) or 16 bytes in network order; port in host order */
void addr_from_raw(struct cl_addr *a, int family, const uint8_t *ip, uint16_t port);
const char *family_name(int fam, char *tmp); /* "inet", "other:N" */
const char *socktype_name(int type, char *tmp);

#endif
