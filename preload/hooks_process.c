/* hooks_process.c - fork and the exits that skip destructors.
 *
 * fork: see lifecycle.c (pthread_atfork handlers); the child gets a trace
 * file of its own (opened at its first socket event), with what it
 * inherited marked as inherited. _exit/_Exit skip atexit and destructors:
 * they write the exit record first. vfork children share our memory and are
 * left alone (see hook_in_vfork_child). */
#define _GNU_SOURCE
#include "preload.h"
#include "guard.h"
#include "lifecycle.h"
#include "real.h"

#include <sys/syscall.h>
#include <unistd.h>

/* vfork cannot be wrapped by a C function: the child would return through
 * a frame the parent still needs. This trampoline only marks the calling
 * thread (the child shares its TLS) and jumps to the real vfork; while the
 * mark is set, hooks ask the kernel for the pid to tell child from parent
 * (hook_in_vfork_child), and the parent clears the mark when it resumes. */
__thread int cl_vfork_flag __attribute__((tls_model("initial-exec")));

__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "  movq cl_vfork_flag@gottpoff(%rip), %rax\n"
        "  movl $1, %fs:(%rax)\n"
        "  movq cl_real_vfork(%rip), %rax\n"
        "  testq %rax, %rax\n"
        "  jnz 1f\n"
        "  subq $8, %rsp\n"
        "  call real_resolve\n"
        "  addq $8, %rsp\n"
        "  movq cl_real_vfork(%rip), %rax\n"
        "1:\n"
        "  jmp *%rax\n"
        ".size vfork, .-vfork\n");

CL_HOT bool hook_in_vfork_child(void)
{
    if (likely(!cl_vfork_flag)) return false;
    if ((pid_t)syscall(SYS_getpid) != cl_pid) return true;
    cl_vfork_flag = 0; /* the parent, resumed */
    return false;
}

/* fork itself is not hooked: pthread_atfork handlers (registered in
 * init.c, so they run after the program's own prepare handlers and before
 * its child handlers) take and reset connleak's locks. _Fork skips those
 * handlers: its child has the parent's tables and trace, so it records
 * nothing rather than something wrong. */
CL_EXPORT pid_t _Fork(void)
{
    pid_t pid = REAL(_Fork)();
    if (pid == 0) atomic_store(&cl_state, CL_OFF);
    return pid;
}

static void exit_record(void)
{
    if (!hook_enter()) return;
    if (!hook_in_vfork_child()) lifecycle_finish("exit");
    hook_leave();
}

CL_EXPORT void _exit(int status)
{
    exit_record();
    if (REAL(_exit)) REAL(_exit)(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

CL_EXPORT void _Exit(int status)
{
    exit_record();
    if (REAL(_Exit)) REAL(_Exit)(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

/* unshare(CLONE_NEWUSER) and setns() refuse a multi-threaded process (EINVAL):
 * connleak's flusher thread steps aside for the call and comes back after. */
CL_EXPORT int unshare(int flags)
{
    int entry_errno = errno;
    bool paused = flusher_pause();
    int ret = REAL(unshare)(flags);
    int err = ret == 0 ? entry_errno : errno;
    if (paused) flusher_start();
    errno = err;
    return ret;
}

CL_EXPORT int setns(int fd, int nstype)
{
    int entry_errno = errno;
    bool paused = flusher_pause();
    int ret = REAL(setns)(fd, nstype);
    int err = ret == 0 ? entry_errno : errno;
    if (paused) flusher_start();
    errno = err;
    return ret;
}
