/* real.c - the real libc functions behind the hooks.
 *
 * Resolved once with dlsym(RTLD_NEXT) in the constructor; a hook called
 * earlier (another library's constructor) resolves them itself. The writes
 * are idempotent, so two threads resolving at once is harmless. */
#define _GNU_SOURCE
#include "connleak.h"

#include <dlfcn.h>

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
    cl_real_vfork = dlsym(RTLD_NEXT, "vfork");
    if (!cl_real.fcntl64) cl_real.fcntl64 = cl_real.fcntl;
    atomic_store(&cl_real_ready, 1);
}
