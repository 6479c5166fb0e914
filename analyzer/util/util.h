/* util.h - small helpers shared by the analyzer: checked allocation, growable
 * arrays, a string builder, a list of one-line notes, a string interner.
 *
 * connleak is a short-lived command: when memory runs out it prints one line
 * and exits 125, so callers never check for NULL after these. */
#ifndef CONNLEAK_UTIL_H
#define CONNLEAK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Exit code of connleak itself failing (bad usage, no usable trace, ...). */
#define EXIT_TOOL 125
/* Exit code under --fail-on when a trace stops where a write failed (disk
 * full): the report is incomplete, whatever it found (README "Exit codes"). */
#define EXIT_INCOMPLETE 100

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* qsort and bsearch for arrays that may be empty: an empty array may be
 * NULL, which qsort and bsearch must never be given (UBSan's nonnull). */
static inline void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1) qsort(base, n, size, cmp);
}
static inline void *search_n(const void *key, const void *base, size_t n, size_t size,
                             int (*cmp)(const void *, const void *))
{
    return n ? bsearch(key, base, n, size, cmp) : NULL;
}

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s); /* NULL stays NULL */
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Makes room for `need` elements in arr (capacity cap), doubling. */
#define ALLOC_GROW(arr, need, cap)                                                                 \
    do {                                                                                           \
        if ((size_t)(need) > (cap)) {                                                              \
            size_t nc_ = (cap) ? (cap)*2 : 8;                                                      \
            if (nc_ < (size_t)(need)) nc_ = (size_t)(need);                                        \
            (arr) = xreallocarray((arr), nc_, sizeof(*(arr)));                                     \
            (cap) = nc_;                                                                           \
        }                                                                                          \
    } while (0)

/* A growable string. */
struct strbuf {
    char *s;
    size_t len, cap;
};
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
void strbuf_add(struct strbuf *sb, const char *s);
char *strbuf_steal(struct strbuf *sb); /* "" when empty; sb is reset */
void strbuf_free(struct strbuf *sb);

/* A whole file as a string, or NULL with errno (EILSEQ: it holds a NUL
 * byte, so it is no text file). */
char *text_file_read(const char *path);

/* An index of the elements of some array by a 32-bit hash of their content
 * (open addressing, load <= 1/2). The caller hashes and compares: a lookup
 * hands out the candidate indexes whose hash matches, one at a time. */
struct hindex {
    uint64_t *slots; /* hash << 32 | (index + 1); 0 = empty */
    size_t n, nslots;
};
void hindex_add(struct hindex *h, uint32_t hash, size_t index);
/* The next candidate for hash, or SIZE_MAX when there is none. *cursor is 0
 * for the first call and is advanced by each call. */
size_t hindex_next(const struct hindex *h, uint32_t hash, size_t *cursor);
void hindex_free(struct hindex *h);

/* A list of owned strings. notes_addf keeps a hash index of it (rebuilt
 * after strlist_sort) so that deduplicating many notes stays linear. */
struct strlist {
    char **v;
    size_t n, cap;
    struct hindex index;
    size_t nindexed; /* v[0 .. nindexed) are in index */
};
void strlist_push(struct strlist *l, char *owned);
bool strlist_contains(const struct strlist *l, const char *s);
/* Appends a formatted line unless the same line is already there. */
void notes_addf(struct strlist *l, const char *fmt, ...) PRINTF_LIKE(2, 3);
void strlist_sort(struct strlist *l);
void strlist_free(struct strlist *l);

/* Interned strings: equal strings get the same index; index 0 means NULL. */
struct strtab {
    char **s;        /* s[0] is NULL */
    size_t n, cap;   /* n includes the NULL at 0 */
    uint64_t *slots; /* open addressing: hash << 32 | index into s; 0 = empty */
    size_t nslots;
};
uint32_t strtab_intern(struct strtab *t, const char *s); /* NULL -> 0 */
const char *strtab_get(const struct strtab *t, uint32_t i);
void strtab_free(struct strtab *t);

/* A map of 32-bit ids to 32-bit values (open addressing); 0 = absent. */
struct idmap {
    uint64_t *slots; /* key << 32 | value; 0 = empty */
    size_t n, nslots;
};
uint32_t idmap_get(const struct idmap *m, uint32_t key);
void idmap_put(struct idmap *m, uint32_t key, uint32_t value); /* value != 0 */
void idmap_free(struct idmap *m);

#define FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a64(uint64_t h, const void *data, size_t len);

/* A copy of s that is safe to print on a terminal: bytes below 0x20, DEL,
 * C1 controls (U+0080..U+009F) and bytes that are not valid UTF-8 become
 * \xNN; valid UTF-8 is kept. NULL stays NULL. */
char *str_escape_controls(const char *s);

const char *path_basename(const char *path); /* "" for NULL */
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

#endif
