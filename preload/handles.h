/* handles.h - the client handles connleak follows: libcurl easy and multi
 * handles and OpenSSL SSL objects, with the socket each one uses
 * (handles.c). For hooks_curl.c and hooks_ssl.c. */
#ifndef CONNLEAK_HANDLES_H
#define CONNLEAK_HANDLES_H

#include "preload.h"

enum { HANDLE_CURL = 0, HANDLE_CURLM, HANDLE_SSL };
struct handle {
    _Atomic uintptr_t key; /* the object's address; 0 free, 1 gone, 2 busy */
    uint32_t id;           /* serial, the `h` of hnew / huse / hfree */
    uint8_t kind;          /* HANDLE_* */
    int32_t fd;            /* SSL: the socket it uses, -1 if not known */
    uint64_t sid;          /* that socket's sid */
    uint64_t used;         /* curl: hash of the last huse written (sid, URL) */
};
struct handle *handle_new(const void *p, int kind, uint32_t stk); /* writes hnew */
struct handle *handle_find(const void *p);
void handle_free(const void *p); /* writes hfree */
void handle_set_socket(struct handle *h, int fd);
int handle_socket(const struct handle *h);
void url_redact(const char *url, char *out, size_t cap);
extern _Atomic uint64_t cl_handles_dropped;

#endif
