/* modmap.c - the module map of a traced process, from /proc/PID/maps: one
 * `mod` record per mapped ELF file (path, load bias, run-time range), the
 * same as the preload writes from dl_iterate_phdr. The load bias is the
 * start of the file's first mapping less its first PT_LOAD's page-aligned
 * address (0 for a non-PIE executable such as a Go binary). Read again when
 * a stack has a frame outside every known module (dlopen). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "probe_int.h"

/* A file a traced program names (in its maps, as its exe), opened only if
 * it is a regular file: a path is text the program controls, and a FIFO
 * planted at "PATH (deleted)" would block the loader's one thread for
 * good. -1 otherwise. */
int file_open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The page-aligned p_vaddr of the first PT_LOAD and the build-id, or -1. */
static int elf_first_load(const char *path, uint64_t *vaddr, char *bid, size_t bid_len)
{
    int fd = file_open_regular(path);
    if (fd < 0) return -1;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    size_t n = 0;
    int rc = -1;
    bid[0] = 0;
    if (e && elf_getphdrnum(e, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(e, (int)i, &ph)) continue;
            if (ph.p_type == PT_LOAD && rc < 0) {
                *vaddr = ph.p_vaddr & ~(uint64_t)0xfff;
                rc = 0;
            }
            if (ph.p_type != PT_NOTE) continue;
            Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
            GElf_Nhdr nh;
            size_t off = 0, name_off, desc_off;
            while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
                if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
                    memcmp((char *)d->d_buf + name_off, "GNU", 4) != 0)
                    continue;
                const uint8_t *p = (const uint8_t *)d->d_buf + desc_off;
                for (size_t k = 0; k < nh.n_descsz && 2 * k + 2 < bid_len; k++)
                    snprintf(bid + 2 * k, 3, "%02x", p[k]);
            }
        }
    }
    if (e) elf_end(e);
    close(fd);
    return rc;
}

bool modmap_covers(const struct pproc *pr, uint64_t pc)
{
    for (size_t i = 0; i < pr->nmods; i++)
        if (pc >= pr->mods[i].lo && pc < pr->mods[i].hi) return true;
    return false;
}

bool modmap_is_code(const struct pproc *pr, uint64_t pc)
{
    for (size_t i = 0; i < pr->nmods; i++)
        if (pc >= pr->mods[i].xlo && pc < pr->mods[i].xhi) return true;
    return false;
}

static bool mod_known(const struct pproc *pr, const char *path, uint64_t lo)
{
    for (size_t i = 0; i < pr->nmods; i++)
        if (pr->mods[i].lo == lo && strcmp(pr->mods[i].path, path) == 0) return true;
    return false;
}

/* One file's mappings, consecutive in maps: [lo, hi), start of offset 0. */
struct span {
    char path[4096];
    uint64_t lo, hi, first, xlo, xhi;
    bool have_first;
};

static void span_emit(struct pproc *pr, struct span *sp)
{
    uint64_t vaddr = 0;
    char bid[80];
    if (!sp->path[0] || !sp->have_first || mod_known(pr, sp->path, sp->lo)) return;
    if (elf_first_load(sp->path, &vaddr, bid, sizeof(bid)) < 0) return; /* not ELF */
    struct pmod *m = realloc(pr->mods, (pr->nmods + 1) * sizeof(*m));
    if (!m) return;
    pr->mods = m;
    m = &pr->mods[pr->nmods++];
    *m = (struct pmod){strdup(sp->path), sp->lo, sp->hi, sp->xlo, sp->xhi, sp->first - vaddr, ""};
    snprintf(m->bid, sizeof(m->bid), "%s", bid);
    modmap_write(pr, m);
}

void modmap_write(struct pproc *pr, const struct pmod *m)
{
    rec_mod(pr, m->path, m->base, m->lo, m->hi, m->bid);
}

void modmap_refresh(struct pproc *pr)
{
    char path[64], line[4096 + 256];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pr->pid);
    FILE *f = fopen(path, "re");
    if (!f) return;
    struct span sp = {0};
    while (fgets(line, sizeof(line), f)) {
        uint64_t lo, hi, off;
        char perms[8];
        int name = 0;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &lo, &hi, perms,
                   &off, &name) < 4 ||
            !name)
            continue;
        char *file = line + name;
        file[strcspn(file, "\n")] = 0;
        if (file[0] != '/') continue;
        if (strcmp(file, sp.path) != 0) {
            span_emit(pr, &sp);
            snprintf(sp.path, sizeof(sp.path), "%s", file);
            sp.lo = lo;
            sp.xlo = sp.xhi = 0;
            sp.have_first = false;
        }
        if (perms[2] == 'x' && !sp.xhi) {
            sp.xlo = lo;
            sp.xhi = hi;
        }
        sp.hi = hi;
        if (off == 0 && !sp.have_first) {
            sp.first = lo;
            sp.have_first = true;
        }
    }
    span_emit(pr, &sp);
    fclose(f);
}

void modmap_free(struct pproc *pr)
{
    for (size_t i = 0; i < pr->nmods; i++) free(pr->mods[i].path);
    free(pr->mods);
    pr->mods = NULL;
    pr->nmods = 0;
}

/* When /proc/PID/maps can no longer be read (a short program already
 * gone), the executable alone, if it is loaded at the addresses its file
 * says (ET_EXEC: a Go or static binary, no PIE). */
void modmap_exe_fallback(struct pproc *pr)
{
    if (!pr->exe || pr->nmods) return;
    int fd = file_open_regular(pr->exe);
    if (fd < 0) return;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    size_t n = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    if (e && gelf_getehdr(e, &eh) && eh.e_type == ET_EXEC && elf_getphdrnum(e, &n) == 0)
        for (size_t i = 0; i < n; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD) continue;
            if (ph.p_vaddr < lo) lo = ph.p_vaddr & ~(uint64_t)0xfff;
            if (ph.p_vaddr + ph.p_memsz > hi) hi = ph.p_vaddr + ph.p_memsz;
        }
    if (e) elf_end(e);
    close(fd);
    if (hi <= lo) return;
    struct pmod *m = realloc(pr->mods, sizeof(*m));
    if (!m) return;
    pr->mods = m;
    pr->mods[0] = (struct pmod){strdup(pr->exe), lo, hi, lo, hi, 0, ""};
    pr->nmods = 1;
    modmap_write(pr, &pr->mods[0]);
}
