/* debugcache.c - a per-user cache of separate debug files with their DWARF
 * sections decompressed, so that symbolising a pc in a system library
 * costs the pages it touches, not the whole of its debug info.
 *
 * Why: Debian's -dbgsym/-dbg files (libc6-dbg...) are SHF_COMPRESSED, and
 * libdw (0.188) inflates every debug section of a file when it first opens
 * it: one frame in libc costs ~10 MB of zlib, about 75 ms, on every report.
 * The first report that needs such a file writes a decompressed copy
 * (same sections, same build-id) under CACHE_DIR/debug/<build-id>.debug;
 * later ones hand libdwfl that copy, which it maps without inflating.
 *
 * CACHE_DIR is $CONNLEAK_CACHE_DIR, else $XDG_CACHE_HOME/connleak, else
 * $HOME/.cache/connleak; CONNLEAK_CACHE_DIR="" turns the cache off. A copy
 * is used only when it is a regular file owned by us whose build-id is the
 * module's; anything wrong (no home, read-only disk, full disk) falls back
 * to the original file: the report is the same, only slower. The cache
 * keeps at most DEBUGCACHE_MAX_BYTES: the oldest copies go first. */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/time.h>

#include "symbols/symbols_internal.h"

#define DEBUGCACHE_MAX_BYTES (1024ULL << 20) /* 1 GiB */
#define BUILD_ID_MAX         64

/* CACHE_DIR/debug into buf, made (0700) if needed; false when off/unusable. */
static bool cache_dir(char *buf, size_t len)
{
    const char *env = getenv("CONNLEAK_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (env)
        n = *env ? snprintf(buf, len, "%s", env) : -1;
    else if (xdg && *xdg == '/')
        n = snprintf(buf, len, "%s/connleak", xdg);
    else if (home && *home == '/' && snprintf(buf, len, "%s/.cache", home) < (int)len) {
        (void)mkdir(buf, 0700);
        n = snprintf(buf, len, "%s/.cache/connleak", home);
    } else
        n = -1;
    if (n < 0 || (size_t)n + sizeof("/debug") > len) return false;
    (void)mkdir(buf, 0700); /* the parent (~/.cache) must exist already */
    strcat(buf, "/debug");
    struct stat st;
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return false;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

static void hex_of(const unsigned char *bits, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bits[i] >> 4];
        out[2 * i + 1] = digits[bits[i] & 15];
    }
    out[2 * len] = '\0';
}

/* The hex build-id of an open ELF into out; false when it has none. */
static bool elf_build_id_hex(Elf *elf, char *out)
{
    const void *bits = NULL;
    ssize_t len = elf ? dwelf_elf_gnu_build_id(elf, &bits) : -1;
    if (len <= 0 || len > BUILD_ID_MAX) return false;
    hex_of(bits, (size_t)len, out);
    return true;
}

/* True when some section of elf is SHF_COMPRESSED (worth a copy). */
static bool elf_has_compressed(Elf *elf)
{
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED)) return true;
    }
    return false;
}

/* Copies every section of in to out (same indexes), each compressed one
 * decompressed; off[i] gets section i's offset in the input file. */
static int sections_copy(Elf *in, Elf *out, GElf_Off *off)
{
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(in, scn));) {
        GElf_Shdr sh;
        Elf_Scn *oscn = elf_newscn(out);
        if (!oscn || !gelf_getshdr(scn, &sh)) return -1;
        off[elf_ndxscn(scn)] = sh.sh_offset;
        if ((sh.sh_flags & SHF_COMPRESSED) &&
            (elf_compress(scn, 0, 0) < 0 || !gelf_getshdr(scn, &sh)))
            return -1;
        Elf_Data *d = elf_getdata(scn, NULL), *od = elf_newdata(oscn);
        if (!d || !od) return -1;
        *od = (Elf_Data){.d_buf = d->d_buf,
                         .d_type = d->d_type,
                         .d_version = d->d_version,
                         .d_size = d->d_size,
                         .d_align = d->d_align};
        if (!gelf_update_shdr(oscn, &sh)) return -1;
    }
    return 0;
}

/* Moves each program header's p_offset along with the section it points
 * into (libdwfl reads the build-id through PT_NOTE), once out is laid out. */
static int phdrs_relocate(Elf *in, Elf *out, size_t nph, const GElf_Off *off, size_t shnum)
{
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(in, (int)i, &ph)) return -1;
        for (size_t k = 1; k < shnum; k++) {
            GElf_Shdr ish, osh;
            Elf_Scn *is = elf_getscn(in, k), *os = elf_getscn(out, k);
            if (!is || !os || !gelf_getshdr(is, &ish) || !gelf_getshdr(os, &osh)) return -1;
            if (ish.sh_type == SHT_NOBITS || ph.p_offset < off[k] ||
                ph.p_offset >= off[k] + ish.sh_size || ph.p_filesz == 0)
                continue;
            ph.p_offset = osh.sh_offset + (ph.p_offset - off[k]);
            break;
        }
        if (!gelf_update_phdr(out, (int)i, &ph)) return -1;
    }
    return 0;
}

/* Copies the ELF header, program headers and every section of in to out,
 * each compressed section decompressed. 0 on success. */
static int elf_copy_decompressed(Elf *in, Elf *out)
{
    GElf_Ehdr eh;
    size_t nph, shnum;
    if (!gelf_getehdr(in, &eh) || elf_getphdrnum(in, &nph) != 0 ||
        elf_getshdrnum(in, &shnum) != 0 || shnum >= SHN_LORESERVE ||
        !gelf_newehdr(out, gelf_getclass(in)) || !gelf_update_ehdr(out, &eh) ||
        (nph && !gelf_newphdr(out, nph)))
        return -1;
    GElf_Off *off = calloc(shnum ? shnum : 1, sizeof(*off));
    int rc = off && sections_copy(in, out, off) == 0 && elf_update(out, ELF_C_NULL) >= 0 &&
                     phdrs_relocate(in, out, nph, off, shnum) == 0 &&
                     elf_update(out, ELF_C_WRITE) >= 0
                 ? 0
                 : -1;
    free(off);
    return rc;
}

/* Writes the decompressed copy of in at path (through a temporary file
 * renamed into place: a concurrent report sees a whole copy or none). */
static int copy_write(Elf *in, const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return -1;
    Elf *out = elf_begin(fd, ELF_C_WRITE, NULL);
    int rc = out ? elf_copy_decompressed(in, out) : -1;
    if (out) elf_end(out);
    if (close(fd) != 0) rc = -1;
    if (rc == 0) rc = rename(tmp, path);
    if (rc != 0) unlink(tmp);
    return rc;
}

/* Opens the cached copy at path if it is ours and has build-id want. */
static int copy_open(const char *path, const char *want)
{
    struct stat st;
    char have[2 * BUILD_ID_MAX + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) return -1;
    Elf *elf = NULL;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
              (elf = elf_begin(fd, ELF_C_READ_MMAP, NULL)) && elf_kind(elf) == ELF_K_ELF &&
              elf_build_id_hex(elf, have) && strcmp(have, want) == 0;
    elf_end(elf);
    if (!ok) {
        close(fd);
        return -1;
    }
    (void)futimens(fd, NULL); /* recently used: evicted last */
    return fd;
}

struct cache_file {
    char name[2 * BUILD_ID_MAX + 16];
    off_t size;
    time_t mtime;
};

static int cache_file_older(const void *a, const void *b)
{
    time_t x = ((const struct cache_file *)a)->mtime, y = ((const struct cache_file *)b)->mtime;
    return x < y ? -1 : x > y;
}

/* Removes the oldest copies until `incoming` more bytes fit the bound. */
static void cache_evict(const char *dir, uint64_t incoming)
{
    DIR *d = opendir(dir);
    struct cache_file *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = incoming;
    struct stat st;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 7 || len >= sizeof(v->name) || strcmp(e->d_name + len - 6, ".debug") != 0 ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        struct cache_file *nv = n < cap ? v : realloc(v, (cap = cap ? 2 * cap : 32) * sizeof(*v));
        if (!nv) break;
        v = nv;
        memcpy(v[n].name, e->d_name, len + 1);
        v[n].size = st.st_size;
        v[n++].mtime = st.st_mtime;
        total += (uint64_t)st.st_size;
    }
    if (n > 1) qsort(v, n, sizeof(*v), cache_file_older);
    for (size_t i = 0; i < n && total > DEBUGCACHE_MAX_BYTES; i++)
        if (unlinkat(dirfd(d), v[i].name, 0) == 0) total -= (uint64_t)v[i].size;
    free(v);
    if (d) closedir(d);
}

/* Makes the decompressed copy at path of the system's debug file of
 * build-id bid (/usr/lib/debug/.build-id/, where -dbgsym packages put
 * them) when that one is compressed; returns it open, or -1. */
static int copy_make(const char *dir, const char *path, const char *bid)
{
    char src[PATH_MAX];
    struct stat st;
    if (snprintf(src, sizeof(src), "/usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2) >=
        (int)sizeof(src))
        return -1;
    int fd = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    char have[2 * BUILD_ID_MAX + 1];
    Elf *elf = NULL;
    int cfd = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (elf = elf_begin(fd, ELF_C_READ_MMAP, NULL)) && elf_build_id_hex(elf, have) &&
        strcmp(have, bid) == 0 && elf_has_compressed(elf)) {
        cache_evict(dir, (uint64_t)st.st_size * 4); /* a guess at the inflated size */
        if (copy_write(elf, path) == 0) cfd = copy_open(path, bid);
    }
    elf_end(elf);
    close(fd);
    return cfd;
}

/* libdwfl's find_debuginfo callback: the decompressed copy of the module's
 * debug file (made now if need be), else the standard search. The copy is
 * looked for first: libdwfl's own search keeps the file it validated. */
int debugcache_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                              Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                              GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    const unsigned char *bits = NULL;
    GElf_Addr vaddr;
    char bid[2 * BUILD_ID_MAX + 1], dir[PATH_MAX], path[PATH_MAX];
    int len = dwfl_module_build_id(mod, &bits, &vaddr);
    if (len > 0 && len <= BUILD_ID_MAX && cache_dir(dir, sizeof(dir))) {
        hex_of(bits, (size_t)len, bid);
        int fd = snprintf(path, sizeof(path), "%s/%s.debug", dir, bid) < (int)sizeof(path)
                     ? copy_open(path, bid)
                     : -1;
        if (fd < 0 && len >= 2) fd = copy_make(dir, path, bid);
        char *name = fd >= 0 ? strdup(path) : NULL;
        if (name) {
            free(*debuginfo_file_name);
            *debuginfo_file_name = name;
            return fd;
        }
        if (fd >= 0) close(fd);
    }
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
}
