/* procfd.c - open fds and socket inodes of a process (see procfd.h).
 *
 * For the calling process each fd is fstat'ed (cheap, and no path lookup);
 * for another process each /proc/PID/fd/N link is read ("socket:[INODE]"),
 * which needs only the right to read its fd directory. An fd closed between
 * the listing and the look-up still counts as open: it was at listing time. */
#define _GNU_SOURCE
#include "procfd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t procfd_socket_inode(const char *link, size_t len)
{
    static const char prefix[] = "socket:[";
    size_t plen = sizeof(prefix) - 1;
    if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']') return 0;
    uint64_t v = 0;
    for (size_t i = plen; i < len - 1; i++) {
        if (link[i] < '0' || link[i] > '9' || v > (UINT64_MAX - 9) / 10) return 0;
        v = v * 10 + (uint64_t)(link[i] - '0');
    }
    return v;
}

/* "/proc/self/fd" or "/proc/<pid>/fd" into out (>= 32 bytes). */
static void dir_path(int pid, char *out)
{
    char digits[12];
    int n = 0;
    strcpy(out, "/proc/");
    if (pid == 0) {
        strcat(out, "self/fd");
        return;
    }
    for (unsigned v = (unsigned)pid; v; v /= 10) digits[n++] = (char)('0' + v % 10);
    char *p = out + strlen(out);
    while (n) *p++ = digits[--n];
    strcpy(p, "/fd");
}

/* The fd number of a directory entry name, or -1 for "." and "..". */
static int name_fd(const char *name)
{
    int v = 0;
    if (!*name) return -1;
    for (; *name; name++) {
        if (*name < '0' || *name > '9' || v > 100000000) return -1;
        v = v * 10 + (*name - '0');
    }
    return v;
}

/* The socket inode behind entry `name` of dirfd, or 0 when not a socket. */
static uint64_t entry_inode(int pid, int dirfd, const char *name, int fd)
{
    if (pid == 0) {
        struct stat st;
        return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? (uint64_t)st.st_ino : 0;
    }
    char link[64];
    ssize_t n = readlinkat(dirfd, name, link, sizeof(link));
    return n > 0 && (size_t)n < sizeof(link) ? procfd_socket_inode(link, (size_t)n) : 0;
}

struct scan {
    uint64_t *inodes;
    size_t cap, nsock;
    int nfds;
};

static int entries_scan(int pid, int dirfd, struct scan *s, char *buf, size_t buflen)
{
    for (;;) {
        ssize_t n = getdents64(dirfd, buf, buflen);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) return 0;
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            int fd = name_fd(d->d_name);
            if (fd < 0 || (pid == 0 && fd == dirfd)) continue;
            s->nfds++;
            uint64_t ino = entry_inode(pid, dirfd, d->d_name, fd);
            if (!ino) continue;
            if (s->nsock < s->cap) s->inodes[s->nsock] = ino;
            s->nsock++;
        }
    }
}

int procfd_scan(int pid, uint64_t *inodes, size_t cap, size_t *nsock, void *buf, size_t buflen)
{
    if (pid < 0 || !nsock || !buf || (cap && !inodes)) return -EINVAL;
    /* struct dirent64 holds 64-bit fields: align the lent buffer */
    size_t skip = (size_t)(-(uintptr_t)buf & (_Alignof(struct dirent64) - 1));
    if (buflen < PROCFD_BUF_MIN + skip) return -EINVAL;
    char path[32];
    dir_path(pid, path);
    int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return -errno;
    struct scan s = {.inodes = inodes, .cap = cap};
    int rc = entries_scan(pid, dirfd, &s, (char *)buf + skip, buflen - skip);
    int saved = errno;
    close(dirfd);
    errno = saved;
    *nsock = s.nsock;
    return rc < 0 ? rc : s.nfds;
}
