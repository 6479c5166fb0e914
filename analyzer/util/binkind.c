/* binkind.c - tells whether LD_PRELOAD can observe a program, by reading its
 * ELF headers with libelf: Go binaries (own system calls) and static ones
 * (no PT_INTERP, so no dynamic loader to preload anything) are not observable.
 * "#!" scripts are classified by their interpreter. */
#define _GNU_SOURCE
#include "util/binkind.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launchers.h"

#define BINKIND_MAX_NESTING 4 /* scripts whose interpreter is a script */

#ifndef NT_GO_BUILDID
#define NT_GO_BUILDID 4
#endif

static enum bin_kind detect_path(const char *path, char *why, size_t why_len, int depth);

static enum bin_kind say(enum bin_kind kind, char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes the reason (if wanted) and passes the kind through. */
static enum bin_kind say(enum bin_kind kind, char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return kind;
}

/* Name of the Go marker section, or NULL. */
static const char *elf_go_section(Elf *elf)
{
    size_t shstrndx;
    Elf_Scn *scn = NULL;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) return NULL;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name) continue;
        if (strcmp(name, ".note.go.buildid") == 0 || strcmp(name, ".go.buildinfo") == 0)
            return name;
    }
    return NULL;
}

/* True when the symbol table names runtime.buildVersion. */
static bool elf_has_go_symbol(Elf *elf)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0) continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        size_t count = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; data && i < count; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, (int)i, &sym)) break;
            const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
            if (name && strcmp(name, "runtime.buildVersion") == 0) return true;
        }
    }
    return false;
}

/* True when a PT_NOTE segment holds the Go build-id note (section headers
 * may be gone). */
static bool note_segment_is_go(Elf *elf, const GElf_Phdr *ph)
{
    Elf_Data *data = elf_getdata_rawchunk(elf, ph->p_offset, ph->p_filesz, ELF_T_NHDR);
    size_t off = 0, name_off, desc_off;
    GElf_Nhdr nh;
    if (!data) return false;
    while (off < data->d_size && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
        const char *name = (const char *)data->d_buf + name_off;
        if (nh.n_type == NT_GO_BUILDID && nh.n_namesz == 3 && memcmp(name, "Go", 3) == 0)
            return true;
    }
    return false;
}

struct elf_facts {
    bool interp, dynamic, pie_flag, go_note;
};

static bool dynamic_has_pie_flag(Elf *elf, const GElf_Phdr *ph)
{
    Elf_Data *data = elf_getdata_rawchunk(elf, ph->p_offset, ph->p_filesz, ELF_T_DYN);
    if (!data) return false;
    size_t count = data->d_size / gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
    for (size_t i = 0; i < count; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL) break;
        if (dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_PIE)) return true;
    }
    return false;
}

static void elf_read_facts(Elf *elf, struct elf_facts *facts)
{
    size_t phnum;
    memset(facts, 0, sizeof(*facts));
    if (elf_getphdrnum(elf, &phnum) != 0) return;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) continue;
        if (ph.p_type == PT_INTERP) facts->interp = true;
        if (ph.p_type == PT_NOTE && !facts->go_note) facts->go_note = note_segment_is_go(elf, &ph);
        if (ph.p_type == PT_DYNAMIC) {
            facts->dynamic = true;
            facts->pie_flag = dynamic_has_pie_flag(elf, &ph);
        }
    }
}

static enum bin_kind classify_elf(Elf *elf, char *why, size_t why_len)
{
    GElf_Ehdr eh;
    struct elf_facts facts;
    if (!gelf_getehdr(elf, &eh)) return say(BIN_UNKNOWN, why, why_len, "unreadable ELF header");
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        return say(BIN_UNKNOWN, why, why_len, "an ELF file but not an executable");
    elf_read_facts(elf, &facts);
    const char *go = elf_go_section(elf);
    if (go) return say(BIN_GO, why, why_len, "a Go binary (%s)", go);
    if (facts.go_note) return say(BIN_GO, why, why_len, "a Go binary (Go build-id note)");
    if (elf_has_go_symbol(elf))
        return say(BIN_GO, why, why_len, "a Go binary (runtime.buildVersion)");
    if (facts.interp) return say(BIN_DYNAMIC, why, why_len, "dynamically linked (PT_INTERP)");
    if (eh.e_type == ET_EXEC || !facts.dynamic)
        return say(BIN_STATIC, why, why_len, "statically linked (no PT_INTERP)");
    if (facts.pie_flag) return say(BIN_STATIC, why, why_len, "static-pie (no PT_INTERP)");
    return say(BIN_UNKNOWN, why, why_len, "a shared library, not a program");
}

static enum bin_kind detect_elf(int fd, char *why, size_t why_len)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return say(BIN_UNKNOWN, why, why_len, "libelf unusable: %s", elf_errmsg(-1));
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf) return say(BIN_UNKNOWN, why, why_len, "unreadable ELF: %s", elf_errmsg(-1));
    enum bin_kind kind = elf_kind(elf) == ELF_K_ELF
                             ? classify_elf(elf, why, why_len)
                             : say(BIN_UNKNOWN, why, why_len, "not an ELF file");
    elf_end(elf);
    return kind;
}

/* Finds an executable NAME in $PATH; false when none. */
static bool path_search(const char *name, char *out, size_t out_len)
{
    if (strchr(name, '/')) {
        snprintf(out, out_len, "%s", name);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        int n = snprintf(out, out_len, "%.*s/%s", (int)len, len ? path : ".", name);
        struct stat st;
        if (n > 0 && (size_t)n < out_len && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
            access(out, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

/* Splits the "#!" line into interpreter and, for `env NAME`, the program
 * env runs (options and VAR=value assignments skipped). */
static void shebang_parse(char *line, char **interp, char **prog)
{
    char *save = NULL, *word;
    *interp = strtok_r(line, " \t", &save);
    *prog = NULL;
    if (!*interp) return;
    const char *base = strrchr(*interp, '/');
    if (strcmp(base ? base + 1 : *interp, "env") != 0) return;
    while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
        if (word[0] != '-' && !strchr(word, '=')) {
            *prog = word;
            return;
        }
    }
}

static enum bin_kind detect_script(char *line, char *why, size_t why_len, int depth)
{
    char *interp, *prog, found[PATH_MAX];
    char inner[256] = "";
    line[strcspn(line, "\r\n")] = '\0';
    shebang_parse(line + 2, &interp, &prog);
    if (!interp) return say(BIN_UNKNOWN, why, why_len, "a script without interpreter");
    const char *target = interp;
    if (prog) {
        if (!path_search(prog, found, sizeof(found)))
            return say(BIN_UNKNOWN, why, why_len, "script interpreter %s not found in PATH", prog);
        target = found;
    }
    enum bin_kind kind = detect_path(target, inner, sizeof(inner), depth + 1);
    return say(kind, why, why_len, "a script for %s: %s", target, inner);
}

static enum bin_kind detect_path(const char *path, char *why, size_t why_len, int depth)
{
    char head[PATH_MAX + 8];
    struct stat st;
    if (depth > BINKIND_MAX_NESTING)
        return say(BIN_UNKNOWN, why, why_len, "scripts nested too deeply");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return say(BIN_UNKNOWN, why, why_len, "cannot open %s: %m", path);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return say(BIN_UNKNOWN, why, why_len, "%s is not a regular file", path);
    }
    ssize_t n = pread(fd, head, sizeof(head) - 1, 0);
    enum bin_kind kind;
    if (n >= 2 && head[0] == '#' && head[1] == '!') {
        head[n] = '\0';
        kind = detect_script(head, why, why_len, depth);
    } else if (n >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0) {
        kind = detect_elf(fd, why, why_len);
    } else {
        kind = say(BIN_UNKNOWN, why, why_len, "neither an ELF file nor a #! script");
    }
    close(fd);
    return kind;
}

enum bin_kind binkind_detect(const char *path, char *why, size_t why_len)
{
    if (why && why_len) why[0] = '\0';
    if (!path || !*path) return say(BIN_UNKNOWN, why, why_len, "no program given");
    return detect_path(path, why, why_len, 0);
}

static bool name_is_launcher(const char *path)
{
    const char *base = strrchr(path, '/');
    return launcher_name(base ? base + 1 : path);
}

bool binkind_launcher(const char *path)
{
    char head[PATH_MAX + 8];
    if (!path || !*path) return false;
    if (name_is_launcher(path)) return true;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = pread(fd, head, sizeof(head) - 1, 0);
    close(fd);
    if (n < 2 || head[0] != '#' || head[1] != '!') return false;
    head[n] = '\0';
    head[strcspn(head, "\r\n")] = '\0';
    char *interp, *prog;
    shebang_parse(head + 2, &interp, &prog);
    return (interp && name_is_launcher(interp) && !prog) || (prog && name_is_launcher(prog));
}

bool binkind_native(const char *path)
{
    unsigned char h[20];
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) return true;
    ssize_t n = pread(fd, h, sizeof(h), 0);
    close(fd);
    if (n < (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0) return true;
    unsigned machine =
        h[EI_DATA] == ELFDATA2MSB ? (unsigned)h[18] << 8 | h[19] : (unsigned)h[19] << 8 | h[18];
    return h[EI_CLASS] == ELFCLASS64 && machine == EM_X86_64;
}

/* Whether one of the DT_NEEDED entries of the ELF at fd starts with prefix. */
static bool elf_needs(Elf *elf, const char *prefix)
{
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(elf, scn)))
        if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNAMIC) break;
    Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
    if (!data || !sh.sh_entsize) return false;
    for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL) break;
        const char *name =
            dyn.d_tag == DT_NEEDED ? elf_strptr(elf, sh.sh_link, dyn.d_un.d_val) : NULL;
        if (name && strncmp(name, prefix, strlen(prefix)) == 0) return true;
    }
    return false;
}

bool binkind_needs_asan(const char *path)
{
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE) {
        if (fd >= 0) close(fd);
        return false;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    bool asan = elf && elf_kind(elf) == ELF_K_ELF && elf_needs(elf, "libasan.so");
    if (elf) elf_end(elf);
    close(fd);
    return asan;
}
