/* real.h - the real libc functions behind every hook, looked up with
 * dlsym(RTLD_NEXT) (real.c). For the hooks_*.c files, and for any file
 * that must call a hooked function without being recorded (REAL(fn)). */
#ifndef CONNLEAK_REAL_H
#define CONNLEAK_REAL_H

#include "preload.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct msghdr;
struct mmsghdr;
struct cl_real {
    int (*socket)(int, int, int);
    int (*socketpair)(int, int, int, int[2]);
    int (*connect)(int, const struct sockaddr *, socklen_t);
    int (*accept)(int, struct sockaddr *, socklen_t *);
    int (*accept4)(int, struct sockaddr *, socklen_t *, int);
    int (*listen)(int, int);
    int (*shutdown)(int, int);
    int (*close)(int);
    int (*close_range)(unsigned int, unsigned int, int);
    void (*closefrom)(int);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*fcntl)(int, int, ...);
    int (*fcntl64)(int, int, ...);
    int (*fclose)(FILE *);
    pid_t (*fork)(void);
    pid_t (*_Fork)(void);
    int (*pipe2)(int[2], int);
    int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    int (*unshare)(int);
    int (*setns)(int, int);
    void (*_exit)(int) __attribute__((noreturn));
    void (*_Exit)(int) __attribute__((noreturn));
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execv)(const char *, char *const[]);
    int (*execvp)(const char *, char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*fexecve)(int, char *const[], char *const[]);
    int (*execveat)(int, const char *, char *const[], char *const[], int);
    void (*abort)(void) __attribute__((noreturn));
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*recv)(int, void *, size_t, int);
    ssize_t (*send)(int, const void *, size_t, int);
    ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    ssize_t (*recvmsg)(int, struct msghdr *, int);
    ssize_t (*sendmsg)(int, const struct msghdr *, int);
    int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
    int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
    ssize_t (*readv)(int, const struct iovec *, int);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*read_chk)(int, void *, size_t, size_t);
    ssize_t (*recv_chk)(int, void *, size_t, size_t, int);
    ssize_t (*recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
    long (*syscall)(long, ...);
};
extern struct cl_real cl_real;
extern void *cl_real_vfork; /* used by the vfork trampoline (hooks_process.c) */
extern _Atomic int cl_real_ready;
void real_resolve(void);
/* name from the next object, or from a loaded lib_prefix* module (RTLD_LOCAL). */
void *real_lookup(const char *name, const char *lib_prefix);
#define REAL(fn) (likely(cl_real_ready) ? (void)0 : real_resolve(), cl_real.fn)

#endif
