/* privdrop.c - a forked worker that drops root for nobody before its first
 * socket, as nginx's and lighttpd's workers do, and leaks that socket.
 *
 *   privdrop libc|raw     (run as root)
 *
 * libc: setresgid/setresuid through libc, which connleak sees (the worker
 * opens its trace first: the leak is reported at the marked line). raw:
 * the same through syscall(2), which it does not: the worker cannot create
 * its trace any more, and says so to `connleak run` (never on stderr).
 * Prints "privdrop: done" and exits 0; 1 if the drop failed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int drop(int raw)
{
    if (raw)
        return syscall(SYS_setresgid, 65534, 65534, 65534) ||
               syscall(SYS_setresuid, 65534, 65534, 65534);
    return setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534);
}

int main(int argc, char **argv)
{
    int raw = argc > 1 && strcmp(argv[1], "raw") == 0, status = 1;
    pid_t pid = fork();
    if (pid == 0) {
        if (drop(raw)) _exit(1);
        int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: leak-site */
        _exit(fd < 0);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0) return 1;
    puts("privdrop: done");
    return 0;
}
