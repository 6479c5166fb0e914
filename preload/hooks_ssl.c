/* hooks_ssl.c - OpenSSL: the plaintext of TLS connections, and SSL objects
 * as client handles.
 *
 * SSL_read / SSL_write (and _ex) feed the bytes the program actually reads
 * and writes to the HTTP tracker of the SSL object's socket; the raw fd
 * carries ciphertext, which is never parsed (httptrack.c). SSL_new and
 * SSL_free make SSL objects client handles (hnew / hfree), SSL_set_fd ties
 * one to its socket (huse), SSL_shutdown unties it.
 *
 * The real functions are looked up (real_lookup) at the first call, so
 * only a program that has libssl loaded ever resolves them; a program that
 * calls one of these names without libssl gets -1 (or nothing) back. An SSL
 * object whose socket is not a plain fd BIO (libcurl's own BIO) is tied to
 * the first tracked socket its real call reads or writes (cl_ssl_probe_fd).
 * The hook guard is not held during the real call: the read and write hooks
 * below must see the ciphertext go by. Libraries that link OpenSSL
 * statically or load it with RTLD_DEEPBIND are not seen (README, Limits). */
#define _GNU_SOURCE
#include "preload.h"
#include "config.h"
#include "events.h"
#include "fdtable.h"
#include "guard.h"
#include "handles.h"
#include "hooks_io.h"
#include "httptrack.h"
#include "lifecycle.h"
#include "modules.h"
#include "real.h"
#include "stacks.h"

#include <dlfcn.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

#define SSL_ERROR_ZERO_RETURN 6

/* The functions of one loaded libssl. A process may hold several (Python's
 * _ssl and a wheel's bundled, renamed copy, both RTLD_LOCAL): each caller
 * gets the functions of the libssl its own module would have bound to, and
 * an SSL object never goes to another copy's functions. */
enum {
    F_READ,
    F_READ_EX,
    F_WRITE,
    F_WRITE_EX,
    F_NEW,
    F_FREE,
    F_SET_FD,
    F_SHUTDOWN,
    F_GET_FD,
    F_GET_ERROR,
    F_COUNT
};
static const char *const fn_names[F_COUNT] = {
    "SSL_read", "SSL_read_ex", "SSL_write",    "SSL_write_ex", "SSL_new",
    "SSL_free", "SSL_set_fd",  "SSL_shutdown", "SSL_get_fd",   "SSL_get_error"};

struct ssl_lib {
    void *base, *handle;
    _Atomic(void *) fn[F_COUNT];
};
#define SSL_LIBS 4
static struct ssl_lib libs[SSL_LIBS];
static _Atomic unsigned int nlibs;
static cl_lock_t libs_lock = CL_LOCK_INIT;

/* A fork child: the parent's thread that held the lock is not there. */
void ssl_after_fork_child(void)
{
    libs_lock = (cl_lock_t)CL_LOCK_INIT;
}

/* Call site (return address) -> its libssl, so that the lookup is done
 * once per call site: one word per slot, the address (below 2^56) with the
 * lib's index + 1 in the top byte, so that a reader never pairs one call
 * site's address with another's lib. */
static _Atomic uint64_t ra_cache[256];

/* The function a call site in ra's module would have bound to: looked up
 * in that module's own dependency scope, else anywhere loaded. */
static void *caller_fn(void *ra, const char *name)
{
    Dl_info di;
    void *f = NULL;
    if (dladdr(ra, &di) && di.dli_fname) {
        void *h = dlopen(di.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
        if (h) {
            f = dlsym(h, name);
            dlclose(h);
        }
    }
    if (!f || modules_self_contains((uintptr_t)f)) f = real_lookup(name, "libssl");
    return f;
}

static unsigned int ra_slot(const void *ra)
{
    return (unsigned int)((((uintptr_t)ra >> 2) * 0x9E3779B97F4A7C15ull) >> 56); /* 0..255 */
}

static struct ssl_lib *lib_slow(void *ra, int fn)
{
    Dl_info di;
    void *f = caller_fn(ra, fn_names[fn]);
    if (!f || !dladdr(f, &di)) return NULL;
    /* dlopen takes the loader's lock: never while holding ours */
    void *h = dlopen(di.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
    lock_take(&libs_lock);
    unsigned int n = atomic_load(&nlibs), i = 0;
    while (i < n && libs[i].base != di.dli_fbase) i++;
    if (i == n && n < SSL_LIBS) {
        libs[i].base = di.dli_fbase;
        libs[i].handle = h; /* kept */
        h = NULL;
        atomic_store(&nlibs, n + 1);
    }
    lock_give(&libs_lock);
    if (h) dlclose(h);
    if (i == SSL_LIBS) return NULL;
    if ((uintptr_t)ra >> 56 == 0)
        atomic_store(&ra_cache[ra_slot(ra)], (uint64_t)(uintptr_t)ra | (uint64_t)(i + 1) << 56);
    return &libs[i];
}

static struct ssl_lib *lib_for(void *ra, int fn)
{
    uint64_t e = atomic_load_explicit(&ra_cache[ra_slot(ra)], memory_order_acquire);
    if (likely(e && (e & ((1ull << 56) - 1)) == (uint64_t)(uintptr_t)ra))
        return &libs[(e >> 56) - 1];
    return lib_slow(ra, fn);
}

static void *lib_fn(struct ssl_lib *l, int i)
{
    if (!l) return NULL;
    void *f = atomic_load_explicit(&l->fn[i], memory_order_acquire);
    if (unlikely(!f) && l->handle) {
        f = dlsym(l->handle, fn_names[i]);
        if (f && modules_self_contains((uintptr_t)f)) f = NULL;
        atomic_store_explicit(&l->fn[i], f, memory_order_release);
    }
    return f;
}

/* The libssl of the hook being run (set by SSL_REAL, for the helpers). */
static __thread struct ssl_lib *cur_lib __attribute__((tls_model("initial-exec")));
#define SSL_REAL(field, type)                                                                      \
    ((type)lib_fn(cur_lib = lib_for(__builtin_return_address(0), F_##field), F_##field))
#define SSL_HELPER(field, type) ((type)lib_fn(cur_lib, F_##field))

/* Nested OpenSSL calls (one API function calling another) feed once. */
static __thread int ssl_depth __attribute__((tls_model("initial-exec")));

struct ssl_call {
    int saved_probe;
    bool outer;
};

static void call_begin(struct ssl_call *c)
{
    c->outer = ssl_depth++ == 0;
    c->saved_probe = cl_ssl_probe_fd;
    if (c->outer) cl_ssl_probe_fd = SSL_PROBE_WANT;
}

/* The fd the real call touched, or -1. */
static int call_end(struct ssl_call *c)
{
    int fd = cl_ssl_probe_fd;
    cl_ssl_probe_fd = c->saved_probe;
    ssl_depth--;
    return c->outer && fd >= 0 ? fd : -1;
}

/* The socket fd of s: cached in its handle, else its fd BIO, else the fd
 * its last real call touched. Called with the guard held. */
static int ssl_fd(SSL *s, int touched)
{
    struct handle *h = handle_find(s);
    int fd = h ? handle_socket(h) : -1;
    if (fd >= 0) return fd;
    int (*get_fd)(const SSL *) = SSL_HELPER(GET_FD, int (*)(const SSL *));
    fd = get_fd ? get_fd(s) : -1;
    if (!fdtable_get(fd)) fd = touched;
    if (h && fd >= 0) handle_set_socket(h, fd);
    return fd;
}

static bool ssl_closed(SSL *s, int ret);

/* n > 0 plaintext bytes went through s; n == 0 with in: the end of the
 * stream (close_notify, or a failed read on a socket whose peer closed:
 * servers often close without close_notify, and clients take it as EOF). */
static void ssl_data(SSL *s, struct ssl_call *c, int touched, const void *buf, size_t n, bool in)
{
    if (!c->outer || !cl_cfg.http || !hook_enter_recording()) return;
    int saved = errno;
    int fd = ssl_fd(s, touched);
    struct sock_rec *r = fdtable_get(fd);
    if (r && n)
        http_feed_tls(r, fd, buf, n, in);
    else if (r)
        http_eof(r, fd, true);
    errno = saved;
    hook_leave();
}

/* A read that returned nothing: the end of the stream if the peer sent
 * close_notify, or closed the socket (a "ragged" EOF). */
static bool ssl_ended(SSL *s, int ret, int touched)
{
    if (ret > 0) return false;
    if (ret == 0 && ssl_closed(s, ret)) return true;
    struct handle *h = handle_find(s);
    int fd = h ? handle_socket(h) : touched;
    struct sock_rec *r = fdtable_get(fd);
    return r && atomic_load_explicit(&r->eof, memory_order_relaxed);
}

/* A read returned 0: the peer's close_notify ends a close-delimited body. */
static bool ssl_closed(SSL *s, int ret)
{
    int saved = errno;
    int (*get_error)(const SSL *, int) = SSL_HELPER(GET_ERROR, int (*)(const SSL *, int));
    bool closed = get_error && get_error(s, ret) == SSL_ERROR_ZERO_RETURN;
    errno = saved;
    return closed;
}

CL_EXPORT int SSL_read(SSL *s, void *buf, int num)
{
    int (*real)(SSL *, void *, int) = SSL_REAL(READ, int (*)(SSL *, void *, int));
    if (!real) return -1;
    struct ssl_call c;
    call_begin(&c);
    int ret = real(s, buf, num);
    int fd = call_end(&c);
    if (ret > 0 || (c.outer && ssl_ended(s, ret, fd)))
        ssl_data(s, &c, fd, buf, ret > 0 ? (size_t)ret : 0, true);
    return ret;
}

CL_EXPORT int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *got)
{
    int (*real)(SSL *, void *, size_t, size_t *) =
        SSL_REAL(READ_EX, int (*)(SSL *, void *, size_t, size_t *));
    if (!real) return 0;
    struct ssl_call c;
    call_begin(&c);
    int ret = real(s, buf, num, got);
    int fd = call_end(&c);
    if (ret == 1 && got && *got)
        ssl_data(s, &c, fd, buf, *got, true);
    else if (ret == 0 && c.outer && ssl_ended(s, 0, fd))
        ssl_data(s, &c, fd, buf, 0, true);
    return ret;
}

CL_EXPORT int SSL_write(SSL *s, const void *buf, int num)
{
    int (*real)(SSL *, const void *, int) = SSL_REAL(WRITE, int (*)(SSL *, const void *, int));
    if (!real) return -1;
    struct ssl_call c;
    call_begin(&c);
    int ret = real(s, buf, num);
    int fd = call_end(&c);
    if (ret > 0) ssl_data(s, &c, fd, buf, (size_t)ret, false);
    return ret;
}

CL_EXPORT int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *put)
{
    int (*real)(SSL *, const void *, size_t, size_t *) =
        SSL_REAL(WRITE_EX, int (*)(SSL *, const void *, size_t, size_t *));
    if (!real) return 0;
    struct ssl_call c;
    call_begin(&c);
    int ret = real(s, buf, num, put);
    int fd = call_end(&c);
    if (ret == 1 && put && *put) ssl_data(s, &c, fd, buf, *put, false);
    return ret;
}

CL_EXPORT SSL *SSL_new(SSL_CTX *ctx)
{
    SSL *(*real)(SSL_CTX *) = SSL_REAL(NEW, SSL * (*)(SSL_CTX *));
    if (!real) return NULL;
    SSL *s = real(ctx);
    if (!s || !hook_enter_recording()) return s;
    int saved = errno;
    handle_new(s, HANDLE_SSL, stack_capture());
    errno = saved;
    hook_leave();
    return s;
}

CL_EXPORT void SSL_free(SSL *s)
{
    void (*real)(SSL *) = SSL_REAL(FREE, void (*)(SSL *));
    if (s && hook_enter_recording()) {
        int saved = errno;
        handle_free(s); /* before the real free: the address may be reused at once */
        errno = saved;
        hook_leave();
    }
    if (real) real(s);
}

CL_EXPORT int SSL_set_fd(SSL *s, int fd)
{
    int (*real)(SSL *, int) = SSL_REAL(SET_FD, int (*)(SSL *, int));
    if (!real) return 0;
    int ret = real(s, fd);
    if (ret != 1 || !hook_enter_recording()) return ret;
    int saved = errno;
    struct handle *h = handle_find(s);
    if (h) {
        handle_set_socket(h, fd);
        ev_huse(h->id, h->sid, NULL);
    }
    errno = saved;
    hook_leave();
    return ret;
}

CL_EXPORT int SSL_shutdown(SSL *s)
{
    int (*real)(SSL *) = SSL_REAL(SHUTDOWN, int (*)(SSL *));
    if (!real) return -1;
    int ret = real(s);
    if (!hook_enter_recording()) return ret;
    struct handle *h = handle_find(s);
    if (h) h->fd = -1; /* the TLS session is over: its fd number may be reused */
    hook_leave();
    return ret;
}
