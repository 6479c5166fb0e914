/* forker.c - leaks on both sides of a fork().
 *
 * The parent opens a socket (parent-site) and never closes it, then forks.
 * The child inherits that socket, opens two sockets of its own (child-site),
 * leaks them and exits with 0; the parent waits for it.
 * Expected report: child-site count 2 in the child's pid, parent-site count 1
 * in the parent's pid. The inherited copy is not the child's leak: it is left
 * out of the child's findings (unless --include-inherited). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int parent_leak(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: parent-site */
}

static int child_leak(void)
{
    return socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: child-site */
}

int main(void)
{
    int status;
    pid_t child;

    if (parent_leak() < 0) {
        perror("forker: socket");
        return 1;
    }
    fflush(stdout);
    child = fork();
    if (child < 0) {
        perror("forker: fork");
        return 1;
    }
    if (child == 0) {
        for (int i = 0; i < 2; i++) {
            if (child_leak() < 0) {
                perror("forker: child socket");
                exit(1);
            }
        }
        exit(0);
    }
    if (waitpid(child, &status, 0) != child) {
        perror("forker: waitpid");
        return 1;
    }
    printf("forker: parent %d, child %d exited with %d\n", (int)getpid(), (int)child,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
