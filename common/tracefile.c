/* tracefile.c - creates a process's trace file and writes to it, keeping
 * room for a note when the disk fills up (tracefile.h says how). */
#define _GNU_SOURCE
#include "tracefile.h"
#include "tracebin.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jsonline.h"

#define TRACEFILE_TRIES 100 /* .1 .. .99 after the plain name */
#define NOTE_ROOM       512 /* of the reserve, kept for the note */

int tracefile_create(const char *dir, pid_t pid, char *path, size_t cap)
{
    for (int n = 0; n < TRACEFILE_TRIES; n++) {
        struct jb b;
        jb_init(&b, path, cap - 1);
        jb_raw(&b, dir);
        jb_raw(&b, "/connleak-");
        jb_u64(&b, (uint64_t)pid);
        if (n) {
            jb_raw(&b, ".");
            jb_u64(&b, (uint64_t)n);
        }
        jb_raw(&b, ".jsonl");
        if (b.overflow) {
            errno = ENAMETOOLONG;
            return -1;
        }
        path[b.len] = 0;
        int fd =
            (int)syscall(SYS_openat, AT_FDCWD, path,
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND, 0600);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

static bool err_is_full(int err)
{
    return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

/* Writes all n bytes; -1 with errno at the first failure (*done written). */
static int write_all(int fd, const char *buf, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        ssize_t w = syscall(SYS_write, fd, buf + *done, n - *done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            return -1;
        }
        *done += (size_t)w;
    }
    return 0;
}

static uint64_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Makes sure n more bytes and the reserve are allocated. Returns the bytes
 * already allocated past the end when they are not (the disk is full), or
 * -1 when they are (or cannot be: no fallocate here, write and see). */
static long room_make(struct tracefile_out *o, int fd, size_t n)
{
    if (o->no_reserve) return -1;
    uint64_t end = file_size(fd);
    if (end + n + TRACEFILE_RESERVE <= o->reserved) return -1;
    if (syscall(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, (off_t)end,
                (off_t)(n + TRACEFILE_RESERVE)) == 0) {
        o->reserved = end + n + TRACEFILE_RESERVE;
        return -1;
    }
    if (!err_is_full(errno)) {
        o->no_reserve = true; /* EOPNOTSUPP, ...: no reserve, plain writes */
        return -1;
    }
    o->err = errno;
    return o->reserved > end ? (long)(o->reserved - end) : 0;
}

/* The empty file TRACE.disk-full: when not even the note could be written. */
static void marker_create(const char *path)
{
    char name[4096 + 128];
    struct jb b;
    jb_init(&b, name, sizeof(name) - 1);
    jb_raw(&b, path);
    jb_raw(&b, TRACEFILE_FULL_SUFFIX);
    if (b.overflow) return;
    name[b.len] = 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, name,
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) syscall(SYS_close, fd);
}

/* The note after the last line that could be written, in room bytes
 * (-1: unknown, try), else the marker. */
static void note_full(struct tracefile_out *o, int fd, const char *path, long room)
{
    char mem[512];
    struct jb b;
    const char *name = strerrorname_np(o->err);
    jb_init(&b, mem, sizeof(mem) - 1);
    if (o->mid_line) jb_raw(&b, "\n"); /* the cut line stays a damaged line of its own */
    jb_raw(&b, "{\"t\":\"note\",\"what\":\"");
    jb_raw(&b, err_is_full(o->err) ? "disk-full" : "write-failed");
    jb_raw(&b, "\",\"err\":\"");
    jb_raw(&b, name ? name : "E?");
    jb_raw(&b, "\",\"detail\":\"a write to the trace failed: nothing more was written\"}\n");
    size_t done;
    if ((room < 0 || (size_t)room >= b.len) && write_all(fd, b.p, b.len, &done) == 0) {
        o->mid_line = false;
        return;
    }
    marker_create(path);
}

/* The bytes of buf's first records that fit in n (buf starts at a record:
 * a JSON line or a binary frame, tracebin.h; a '\n' inside a frame is not
 * the end of a record). */
static size_t records_within(const char *buf, size_t n)
{
    size_t at = 0, k;
    while (at < n && (k = tb_record_size((const uint8_t *)buf + at, n - at)) > 0) at += k;
    return at;
}

/* The disk is full and room bytes are allocated past the end: the whole
 * lines of buf that fit in them (keeping NOTE_ROOM), then the note. */
static void write_last(struct tracefile_out *o, int fd, const char *path, const char *buf, size_t n,
                       long room)
{
    size_t fit = room > NOTE_ROOM ? (size_t)(room - NOTE_ROOM) : 0, done = 0;
    if (fit > n) fit = n;
    size_t whole = records_within(buf, fit);
    if (whole && write_all(fd, buf, whole, &done) == 0) {
        o->mid_line = false;
        room -= (long)done;
    }
    o->dropped += n - done;
    note_full(o, fd, path, room);
}

int tracefile_write(struct tracefile_out *o, int fd, const char *path, const char *buf, size_t n)
{
    int saved = errno;
    if (o->err) {
        o->dropped += n;
        return -1;
    }
    long room = room_make(o, fd, n);
    if (o->err) {
        write_last(o, fd, path, buf, n, room);
        errno = saved;
        return -1;
    }
    size_t done;
    int rc = write_all(fd, buf, n, &done);
    if (done) /* buf ends at a record's end */
        o->mid_line = done < n && records_within(buf, done) != done;
    if (rc < 0 && errno != EBADF) { /* EBADF: the fd is not ours any more (trace.c reopens) */
        o->err = errno;
        o->dropped += n - done;
        note_full(o, fd, path, -1);
    }
    errno = saved;
    return rc;
}

void tracefile_end(struct tracefile_out *o, int fd)
{
    int saved = errno;
    uint64_t end = file_size(fd);
    /* ftruncate to the same size frees the blocks past the end (tmpfs,
     * ext4, xfs); a hole punched past the end is the fallback (ext4 leaves
     * blocks past i_size alone when punching) */
    if (o->reserved > end && syscall(SYS_ftruncate, fd, (off_t)end) != 0)
        syscall(SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)end,
                (off_t)(o->reserved - end) + (1 << 16));
    o->reserved = 0;
    errno = saved;
}
