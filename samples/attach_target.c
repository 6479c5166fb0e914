/* attach_target.c - a C program for `connleak attach`: opens BEFORE client
 * sockets to 127.0.0.1:PORT at once, prints "ready" and a newline, waits
 * DELAY_MS (time for connleak to attach), opens AFTER more at the marked
 * line, stays alive HOLD_MS, then exits 0 without closing any of them.
 * With WORKERS, it first forks that many workers (a master's, as nginx's),
 * which do the same after the delay, silently, and are waited for.
 *
 *   attach_target PORT BEFORE AFTER DELAY_MS HOLD_MS [WORKERS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int connect_one(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* connleak-test: after-site */
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("attach_target: connect");
        exit(1);
    }
    return fd;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: attach_target PORT BEFORE AFTER DELAY_MS HOLD_MS [WORKERS]\n");
        return 2;
    }
    int port = atoi(argv[1]), before = atoi(argv[2]), after = atoi(argv[3]);
    int workers = argc == 7 ? atoi(argv[6]) : 0, worker = 0;
    for (int i = 0; i < workers && !worker; i++) {
        pid_t pid = fork();
        if (pid < 0) perror("attach_target: fork");
        worker = pid == 0;
    }
    if (!worker) {
        for (int i = 0; i < before; i++) connect_one(port);
        printf("ready\n");
        fflush(stdout);
    }
    sleep_ms(atol(argv[4]));
    for (int i = 0; i < after; i++) connect_one(port);
    if (!worker) printf("attach_target: %d sockets open\n", before + after);
    fflush(stdout);
    sleep_ms(atol(argv[5]));
    if (worker) _exit(0);
    while (wait(NULL) > 0)
        ;
    return 0;
}
