/* notify.c - processes that could not be traced tell `connleak run`
 * (notify.h). */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/notify.h"
#include "report/report.h"

int notify_open(char *name, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(name, len, "connleak-%d-%ld", (int)getpid(), (long)ts.tv_nsec);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    if (n + 1 >= sizeof(sa.sun_path)) return -1;
    memcpy(sa.sun_path + 1, name, n);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n))) {
        close(fd);
        return -1;
    }
    return fd;
}

void notify_drain(int fd, struct report *r)
{
    char msg[4096 + 257];
    ssize_t n;
    if (fd < 0) return;
    while ((n = recv(fd, msg, sizeof(msg) - 1, 0)) > 0) {
        msg[n] = '\0';
        char *tab = strchr(msg, '\t');
        if (!tab) continue;
        *tab = '\0';
        long pid = strtol(msg, NULL, 10);
        notes_addf(&r->notes, "pid %ld was not traced: it %s (its sockets are not in this report)",
                   pid, tab + 1);
        r->untraced++;
    }
    close(fd);
}
