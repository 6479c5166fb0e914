/* usr2_owner.c - a program that uses SIGUSR2 for itself, as nginx and many
 * daemons do: connleak's dump signal must stay the program's. What it
 * prints must be the same with and without connleak, and under connleak a
 * dump must still be taken at each raise.
 *
 *   usr2_owner sigaction   a handler set with sigaction (SA_SIGINFO): it
 *                          counts and checks its siginfo (si_signo, si_pid)
 *   usr2_owner signal      a handler set with signal()
 *   usr2_owner sysv        sysv_signal(): one-shot, so it is set again in
 *                          the handler
 *   usr2_owner ignore      SIG_IGN: the raises must do nothing
 *   usr2_owner resethand   SA_RESETHAND: the first raise runs the handler,
 *                          the action then reads SIG_DFL
 * Each mode raises SIGUSR2 three times (with a socket open, so that a dump
 * has something to write), reads the action back with sigaction(NULL, &old)
 * and prints what it saw; the socket is closed at the end. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t hits, info_ok;

static void on_usr2(int sig)
{
    if (sig == SIGUSR2) hits++;
}

static void on_usr2_sysv(int sig)
{
    hits++;
    sysv_signal(sig, on_usr2_sysv); /* one-shot: set it again */
}

static void on_usr2_info(int sig, siginfo_t *si, void *uc)
{
    hits++;
    if (sig == SIGUSR2 && si && si->si_signo == SIGUSR2 && si->si_pid == getpid() && uc) info_ok++;
}

static const char *handler_name(const struct sigaction *old)
{
    if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction == on_usr2_info) return "on_usr2_info";
    if (old->sa_handler == on_usr2) return "on_usr2";
    if (old->sa_handler == on_usr2_sysv) return "on_usr2_sysv";
    if (old->sa_handler == SIG_IGN) return "SIG_IGN";
    if (old->sa_handler == SIG_DFL) return "SIG_DFL";
    return "another handler";
}

/* The action as sigaction() reads it back: handler, flags, mask. */
static const char *action_name(void)
{
    static char out[128];
    struct sigaction old;
    if (sigaction(SIGUSR2, NULL, &old) != 0) return "error";
    snprintf(out, sizeof(out), "%s flags %#x mask{USR2 %d, USR1 %d}", handler_name(&old),
             (unsigned)old.sa_flags, sigismember(&old.sa_mask, SIGUSR2),
             sigismember(&old.sa_mask, SIGUSR1));
    return out;
}

static int install(const char *mode)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    if (strcmp(mode, "sigaction") == 0) {
        sa.sa_sigaction = on_usr2_info;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaddset(&sa.sa_mask, SIGUSR1);
        return sigaction(SIGUSR2, &sa, NULL);
    }
    if (strcmp(mode, "resethand") == 0) {
        sa.sa_handler = on_usr2;
        sa.sa_flags = SA_RESETHAND;
        return sigaction(SIGUSR2, &sa, NULL);
    }
    if (strcmp(mode, "signal") == 0) return signal(SIGUSR2, on_usr2) == SIG_ERR ? -1 : 0;
    if (strcmp(mode, "sysv") == 0) return sysv_signal(SIGUSR2, on_usr2_sysv) == SIG_ERR ? -1 : 0;
    if (strcmp(mode, "ignore") == 0) return signal(SIGUSR2, SIG_IGN) == SIG_ERR ? -1 : 0;
    return -1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "sigaction";
    printf("usr2_owner %s: before: %s\n", mode, action_name());
    if (install(mode) != 0) {
        fprintf(stderr, "usr2_owner: cannot install for mode %s\n", mode);
        return 2;
    }
    printf("usr2_owner %s: installed: %s\n", mode, action_name());
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int raises = strcmp(mode, "resethand") == 0 ? 1 : 3; /* then SIG_DFL would kill it */
    for (int i = 0; i < raises; i++) {
        raise(SIGUSR2);
        usleep(300 * 1000); /* time for connleak's thread to write each dump */
    }
    printf("usr2_owner %s: %d raises, handler ran %d times, siginfo right %d times\n", mode, raises,
           (int)hits, (int)info_ok);
    printf("usr2_owner %s: after: %s\n", mode, action_name());
    close(s);
    return 0;
}
