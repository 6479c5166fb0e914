/* real.c - the real libc functions behind the hooks.
 *
 * Resolved once with dlsym(RTLD_NEXT) in the constructor; a hook called
 * earlier (another library's constructor) resolves them itself. The writes
 * are idempotent, so two threads resolving at once is harmless. */
#define _GNU_SOURCE
#include "modules.h"
#include "real.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

struct cl_real cl_real;
_Atomic int cl_real_ready;
void *cl_real_vfork; /* jumped to by the vfork trampoline (hooks_process.c) */

#define RESOLVE(field, name) cl_real.field = (__typeof__(cl_real.field))dlsym(RTLD_NEXT, name)

void real_resolve(void)
{
    RESOLVE(socket, "socket");
    RESOLVE(socketpair, "socketpair");
    RESOLVE(connect, "connect");
    RESOLVE(accept, "accept");
    RESOLVE(accept4, "accept4");
    RESOLVE(listen, "listen");
    RESOLVE(shutdown, "shutdown");
    RESOLVE(close, "close");
    RESOLVE(close_range, "close_range");
    RESOLVE(closefrom, "closefrom");
    RESOLVE(dup, "dup");
    RESOLVE(dup2, "dup2");
    RESOLVE(dup3, "dup3");
    RESOLVE(fcntl, "fcntl");
    RESOLVE(fcntl64, "fcntl64");
    RESOLVE(fclose, "fclose");
    RESOLVE(fork, "fork");
    RESOLVE(_Fork, "_Fork");
    RESOLVE(pipe2, "pipe2");
    RESOLVE(pthread_create, "pthread_create");
    RESOLVE(unshare, "unshare");
    RESOLVE(setns, "setns");
    RESOLVE(_exit, "_exit");
    RESOLVE(_Exit, "_Exit");
    RESOLVE(execve, "execve");
    RESOLVE(execv, "execv");
    RESOLVE(execvp, "execvp");
    RESOLVE(execvpe, "execvpe");
    RESOLVE(fexecve, "fexecve");
    RESOLVE(execveat, "execveat");
    RESOLVE(abort, "abort");
    RESOLVE(read, "read");
    RESOLVE(write, "write");
    RESOLVE(recv, "recv");
    RESOLVE(send, "send");
    RESOLVE(recvfrom, "recvfrom");
    RESOLVE(sendto, "sendto");
    RESOLVE(recvmsg, "recvmsg");
    RESOLVE(sendmsg, "sendmsg");
    RESOLVE(recvmmsg, "recvmmsg");
    RESOLVE(sendmmsg, "sendmmsg");
    RESOLVE(readv, "readv");
    RESOLVE(writev, "writev");
    RESOLVE(read_chk, "__read_chk");
    RESOLVE(recv_chk, "__recv_chk");
    RESOLVE(recvfrom_chk, "__recvfrom_chk");
    RESOLVE(syscall, "syscall");
    cl_real_vfork = dlsym(RTLD_NEXT, "vfork");
    if (!cl_real.fcntl64) cl_real.fcntl64 = cl_real.fcntl;
    atomic_store(&cl_real_ready, 1);
}

/* ---- functions of libraries the program may load privately ----
 * A library loaded with dlopen(RTLD_LOCAL) (Python's _ssl module loads
 * libssl that way) is not in the global scope, so dlsym(RTLD_NEXT) does not
 * find its functions, yet its callers still bind to our hooks (LD_PRELOAD
 * comes first for everyone). Such a function is then looked up in every
 * loaded module whose file name starts with lib_prefix. */

struct lib_scan {
    const char *prefix;
    char paths[8][256];
    int n;
};

static int lib_scan_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct lib_scan *s = arg;
    const char *path = info->dlpi_name, *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : path;
    if (!base || strncmp(base, s->prefix, strlen(s->prefix)) != 0 || s->n >= 8) return 0;
    if (strlen(path) < sizeof(s->paths[0])) strcpy(s->paths[s->n++], path);
    return 0;
}

void *real_lookup(const char *name, const char *lib_prefix)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (f) return f;
    struct lib_scan s = {.prefix = lib_prefix};
    dl_iterate_phdr(lib_scan_one, &s); /* no dlopen inside: it holds the loader's lock */
    for (int i = 0; i < s.n && !f; i++) {
        void *h = dlopen(s.paths[i], RTLD_NOLOAD | RTLD_LAZY);
        if (!h) continue;
        f = dlsym(h, name);
        if (f && modules_self_contains((uintptr_t)f)) f = NULL; /* never ourselves */
        dlclose(h);
    }
    return f;
}
