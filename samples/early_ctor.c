/* early_ctor.c - libearly_ctor.so: a library whose constructor opens and
 * closes a socket. Preloaded after libconnleak.so, its constructor runs
 * before connleak's own, so connleak's hooks are called before connleak is
 * initialised (design.md section 4, trap 1): they must resolve the real
 * functions themselves and pass through. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((constructor)) static void early_ctor(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int d = s >= 0 ? dup(s) : -1;
    int ok = s >= 0 && d >= 0 && close(d) == 0 && close(s) == 0;
    fprintf(stderr, "early_ctor: socket/dup/close before main: %s\n", ok ? "ok" : "FAILED");
}
