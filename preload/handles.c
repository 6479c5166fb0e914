/* handles.c - client-library objects that hold connections: libcurl easy
 * and multi handles, OpenSSL SSL objects (hooks_curl.c, hooks_ssl.c).
 *
 * A handle is known by its address. The table is open-addressed (linear
 * probing), mapped on the first handle so that programs without these
 * libraries pay nothing, and lock-free: a slot's key is claimed with a CAS
 * and given back as a tombstone. Entries carry the handle's serial id (the
 * `h` of hnew / huse / hfree records) and, for SSL objects, the socket the
 * object reads and writes, cached so that each SSL_read costs one lookup.
 * When the table is full new handles are not followed (counted in `end`). */
#define _GNU_SOURCE
#include "events.h"
#include "fdtable.h"
#include "handles.h"

#include <string.h>
#include <sys/mman.h>

#define HANDLE_BITS 16
#define HANDLE_CAP  (1u << HANDLE_BITS)
#define KEY_FREE    ((uintptr_t)0)
#define KEY_GONE    ((uintptr_t)1) /* tombstone */
#define KEY_BUSY    ((uintptr_t)2) /* the table is being mapped */

static struct handle *table;
static _Atomic uintptr_t table_state; /* KEY_FREE, KEY_BUSY, or the table */
static _Atomic uint32_t next_id = 1;
static _Atomic uint32_t max_probe; /* the longest probe any insertion took */
_Atomic uint64_t cl_handles_dropped;

static struct handle *table_get(bool create)
{
    uintptr_t t = atomic_load_explicit(&table_state, memory_order_acquire);
    if (t > KEY_BUSY || !create) return t > KEY_BUSY ? (struct handle *)t : NULL;
    uintptr_t expect = KEY_FREE;
    if (!atomic_compare_exchange_strong(&table_state, &expect, KEY_BUSY)) {
        while ((t = atomic_load_explicit(&table_state, memory_order_acquire)) == KEY_BUSY)
            __builtin_ia32_pause();
        return t > KEY_BUSY ? (struct handle *)t : NULL;
    }
    void *m = mmap(NULL, HANDLE_CAP * sizeof(struct handle), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    table = m == MAP_FAILED ? NULL : m;
    /* a failed map leaves the state at 1 (KEY_GONE): never retried */
    atomic_store_explicit(&table_state, table ? (uintptr_t)table : KEY_GONE, memory_order_release);
    return table;
}

static uint32_t slot_hash(const void *p)
{
    return (uint32_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> (64 - HANDLE_BITS));
}

struct handle *handle_find(const void *p)
{
    struct handle *t = table_get(false);
    if (!t || (uintptr_t)p <= KEY_BUSY) return NULL;
    for (uint32_t i = slot_hash(p), n = 0; n < HANDLE_CAP; i = (i + 1) & (HANDLE_CAP - 1), n++) {
        uintptr_t k = atomic_load_explicit(&t[i].key, memory_order_acquire);
        if (k == (uintptr_t)p) return &t[i];
        if (k == KEY_FREE || n > atomic_load_explicit(&max_probe, memory_order_relaxed))
            return NULL; /* no handle was ever put this far from its slot */
    }
    return NULL;
}

/* A new handle p of kind (HANDLE_*), created at stack stk. Writes hnew. */
struct handle *handle_new(const void *p, int kind, uint32_t stk)
{
    struct handle *t = table_get(true);
    if (!t || (uintptr_t)p <= KEY_BUSY) return NULL;
    for (uint32_t i = slot_hash(p), n = 0; n < HANDLE_CAP; i = (i + 1) & (HANDLE_CAP - 1), n++) {
        uintptr_t k = atomic_load_explicit(&t[i].key, memory_order_relaxed);
        if (k != KEY_FREE && k != KEY_GONE) continue;
        if (!atomic_compare_exchange_strong(&t[i].key, &k, KEY_BUSY)) continue;
        t[i].id = atomic_fetch_add(&next_id, 1);
        t[i].kind = (uint8_t)kind;
        t[i].fd = -1;
        t[i].sid = 0;
        t[i].used = 0;
        uint32_t mp = atomic_load(&max_probe);
        while (n > mp && !atomic_compare_exchange_weak(&max_probe, &mp, n)) {
        }
        atomic_store_explicit(&t[i].key, (uintptr_t)p, memory_order_release);
        ev_hnew(t[i].id, kind, stk);
        return &t[i];
    }
    atomic_fetch_add(&cl_handles_dropped, 1);
    return NULL;
}

/* p is being released: writes hfree and forgets it (before the real free,
 * so that an address reused by another thread is a new handle). */
void handle_free(const void *p)
{
    struct handle *h = handle_find(p);
    if (!h) return;
    uintptr_t k = (uintptr_t)p;
    uint32_t id = h->id;
    if (atomic_compare_exchange_strong(&h->key, &k, KEY_GONE)) ev_hfree(id);
}

/* The socket fd now belongs to handle h (SSL_set_fd, a transfer). */
void handle_set_socket(struct handle *h, int fd)
{
    struct sock_rec *r = fdtable_get(fd);
    h->fd = r ? fd : -1;
    h->sid = r ? r->sid : 0;
}

/* The fd h's socket still has, or -1 (closed, or the number reused). */
int handle_socket(const struct handle *h)
{
    if (h->fd < 0) return -1;
    struct sock_rec *r = fdtable_get(h->fd);
    return r && r->sid == h->sid ? h->fd : -1;
}

/* A URL as it may be written: scheme://host[:port]/path, without
 * user:password@, path parameters, query or fragment, cut to cap - 1 bytes. */
void url_redact(const char *url, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap) return;
    const char *s = url, *scheme_end = strstr(url, "://");
    if (scheme_end) { /* copy the scheme, skip userinfo in the authority */
        const char *auth = scheme_end + 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = memrchr(auth, '@', alen);
        size_t n = (size_t)(auth - url);
        n = n < cap - 1 ? n : cap - 1;
        memcpy(out, url, n);
        o = n;
        s = at ? at + 1 : auth;
    }
    for (; *s && *s != '?' && *s != '#' && *s != ';' && o < cap - 1; s++) out[o++] = *s;
    out[o] = 0;
}
