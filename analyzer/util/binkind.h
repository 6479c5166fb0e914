/* binkind.h - tells whether LD_PRELOAD can observe a program at all.
 *
 * Go binaries make their socket system calls directly and fully static
 * binaries never load libconnleak.so: connleak run must say so instead of
 * printing a reassuring "no leaks". */
#ifndef CONNLEAK_BINKIND_H
#define CONNLEAK_BINKIND_H

#include <stdbool.h>
#include <stddef.h>

enum bin_kind {
    BIN_DYNAMIC, /* an ordinary dynamically linked ELF: observable */
    BIN_STATIC,  /* ELF without PT_INTERP: LD_PRELOAD is ignored */
    BIN_GO,      /* Go binary (.note.go.buildid / .go.buildinfo / runtime.buildVersion) */
    BIN_UNKNOWN, /* not an ELF we can read (then connleak just runs it) */
};

/* Classifies the executable at `path` (already resolved through PATH). A
 * script starting with "#!" is classified by its interpreter. Writes a short
 * human reason into why (may be NULL). */
enum bin_kind binkind_detect(const char *path, char *why, size_t why_len);

/* False for an ELF program that is not x86_64 (a 32-bit one): neither the
 * preload (a 64-bit library) nor the probe (x86_64 system calls) can see
 * it. True for anything else, scripts included. */
bool binkind_native(const char *path);

/* Whether `path` is a launcher (launchers.h): by its name, or for a "#!"
 * script by its interpreter's (a shell script is one). */
bool binkind_launcher(const char *path);

/* Whether the ELF program at `path` needs the shared AddressSanitizer
 * runtime (a DT_NEEDED libasan.so.N, as gcc's -fsanitize=address links it).
 * That runtime refuses to start unless it comes first in the library list,
 * and libconnleak.so, preloaded, comes before it: `connleak run` then tells
 * it not to check (ASAN_OPTIONS=verify_asan_link_order=0; run.c). */
bool binkind_needs_asan(const char *path);

#endif
