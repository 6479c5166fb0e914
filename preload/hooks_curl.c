/* hooks_curl.c - libcurl easy and multi handles as client handles.
 *
 * curl_easy_init / curl_easy_duphandle / curl_multi_init write hnew with
 * the creating stack, the cleanups write hfree, and after each transfer
 * (curl_easy_perform, or curl_multi_remove_handle of a finished one) huse
 * says which URL the handle fetched (query string and credentials removed)
 * and which socket it used, so that the sockets libcurl opens deep inside
 * are tied to the application's handle. curl_multi_add_handle needs no
 * hook: a multi transfer is recorded when its handle is removed, and the
 * sockets it opens carry the stack of the application's curl_multi_perform
 * call. Calls libcurl makes to its own API (its connection cache keeps an
 * easy handle of its own, curl_easy_perform drives a multi handle) are told
 * apart by their return address and pass through unrecorded. The real functions are looked up
 * at the first call (dlsym RTLD_NEXT): only programs with libcurl loaded
 * resolve them. The guard is not held during real calls: libcurl's own
 * socket calls must be recorded. */
#define _GNU_SOURCE
#define CURL_DISABLE_TYPECHECK
#include "preload.h"
#include "events.h"
#include "fdtable.h"
#include "guard.h"
#include "handles.h"
#include "real.h"
#include "stacks.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <string.h>

static struct {
    _Atomic(void *) easy_init, easy_dup, easy_cleanup, easy_perform, easy_getinfo, multi_init,
        multi_remove, multi_cleanup;
} curl_real;

static void *sym(_Atomic(void *) *slot, const char *name)
{
    void *f = atomic_load_explicit(slot, memory_order_acquire);
    if (unlikely(!f)) {
        f = real_lookup(name, "libcurl");
        atomic_store_explicit(slot, f, memory_order_release);
    }
    return f;
}
#define CURL_REAL(field, name, type) ((type)sym(&curl_real.field, name))

/* True when the hook was called from inside libcurl (the module of real). */
static bool from_libcurl(void *ret_addr, void *real)
{
    static _Atomic(void *) curl_base;
    void *base = atomic_load_explicit(&curl_base, memory_order_relaxed);
    Dl_info di;
    if (!base && real && dladdr(real, &di)) {
        base = di.dli_fbase;
        atomic_store_explicit(&curl_base, base, memory_order_relaxed);
    }
    return base && dladdr(ret_addr, &di) && di.dli_fbase == base;
}
#define INTERNAL(real) from_libcurl(__builtin_return_address(0), (void *)(real))

static void created(const void *h, int kind)
{
    if (!h || !hook_enter_recording()) return;
    int saved = errno;
    handle_new(h, kind, stack_capture());
    errno = saved;
    hook_leave();
}

static void released(const void *h)
{
    if (!h || !hook_enter_recording()) return;
    int saved = errno;
    handle_free(h);
    errno = saved;
    hook_leave();
}

/* After a transfer of easy handle e: its URL and socket (huse). */
static void transferred(CURL *e)
{
    if (!e || !hook_enter_recording()) return;
    int saved = errno;
    struct handle *h = handle_find(e);
    CURLcode (*info)(CURL *, CURLINFO, ...) =
        CURL_REAL(easy_getinfo, "curl_easy_getinfo", CURLcode(*)(CURL *, CURLINFO, ...));
    if (h && info) {
        char *url = NULL, clean[128];
        curl_socket_t fd = CURL_SOCKET_BAD;
        if (info(e, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK) url = NULL;
        if (url) url_redact(url, clean, sizeof(clean));
        if (info(e, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK) fd = CURL_SOCKET_BAD;
        struct sock_rec *r = fd == CURL_SOCKET_BAD ? NULL : fdtable_get(fd);
        uint64_t sid = r ? r->sid : 0;
        uint64_t used = fnv1a(FNV1A_INIT ^ sid, clean, url ? strlen(clean) : 0);
        if (used != h->used) { /* a loop over one URL on one connection: once */
            h->used = used;
            ev_huse(h->id, sid, url ? clean : NULL);
        }
    }
    errno = saved;
    hook_leave();
}

CL_EXPORT CURL *curl_easy_init(void)
{
    CURL *(*real)(void) = CURL_REAL(easy_init, "curl_easy_init", CURL * (*)(void));
    CURL *e = real ? real() : NULL;
    if (!INTERNAL(real)) created(e, HANDLE_CURL);
    return e;
}

CL_EXPORT CURL *curl_easy_duphandle(CURL *from)
{
    CURL *(*real)(CURL *) = CURL_REAL(easy_dup, "curl_easy_duphandle", CURL * (*)(CURL *));
    CURL *e = real ? real(from) : NULL;
    if (!INTERNAL(real)) created(e, HANDLE_CURL);
    return e;
}

CL_EXPORT void curl_easy_cleanup(CURL *e)
{
    void (*real)(CURL *) = CURL_REAL(easy_cleanup, "curl_easy_cleanup", void (*)(CURL *));
    if (!INTERNAL(real)) released(e); /* before the real call: the address may be reused */
    if (real) real(e);
}

CL_EXPORT CURLcode curl_easy_perform(CURL *e)
{
    CURLcode (*real)(CURL *) = CURL_REAL(easy_perform, "curl_easy_perform", CURLcode(*)(CURL *));
    if (!real) return CURLE_FAILED_INIT;
    CURLcode ret = real(e);
    if (!INTERNAL(real)) transferred(e);
    return ret;
}

CL_EXPORT CURLM *curl_multi_init(void)
{
    CURLM *(*real)(void) = CURL_REAL(multi_init, "curl_multi_init", CURLM * (*)(void));
    CURLM *m = real ? real() : NULL;
    if (!INTERNAL(real)) created(m, HANDLE_CURLM);
    return m;
}

CL_EXPORT CURLMcode curl_multi_remove_handle(CURLM *m, CURL *e)
{
    CURLMcode (*real)(CURLM *, CURL *) =
        CURL_REAL(multi_remove, "curl_multi_remove_handle", CURLMcode(*)(CURLM *, CURL *));
    if (!real) return CURLM_INTERNAL_ERROR;
    if (!INTERNAL(real)) transferred(e); /* before removal: then it has no connection */
    return real(m, e);
}

CL_EXPORT CURLMcode curl_multi_cleanup(CURLM *m)
{
    CURLMcode (*real)(CURLM *) =
        CURL_REAL(multi_cleanup, "curl_multi_cleanup", CURLMcode(*)(CURLM *));
    if (!INTERNAL(real)) released(m);
    return real ? real(m) : CURLM_INTERNAL_ERROR;
}
