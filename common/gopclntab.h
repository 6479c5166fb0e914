/* gopclntab.h - Go's own pc -> function / file:line table (.gopclntab),
 * with its inlining tree: what names the frames of a Go binary that has no
 * DWARF and no symbol table (`go build -ldflags='-s -w'`), and where the
 * probe finds the net/http functions it puts uprobes on in such a binary.
 *
 * Formats read: Go 1.18-1.19 (magic 0xfffffff0) and 1.20+ (0xfffffff1), on
 * 64-bit little-endian binaries. Every offset is bounds-checked: a damaged
 * table gives no frames, never a crash. Used by analyzer/symbols and probe/. */
#ifndef CONNLEAK_GOPCLNTAB_H
#define CONNLEAK_GOPCLNTAB_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gopcln;

/* The table of the Go binary elf (kept open by the caller until close).
 * NULL with a one-line reason when there is none or it cannot be read. */
struct gopcln *gopcln_open(Elf *elf, char *why, size_t why_len);
void gopcln_close(struct gopcln *t);

struct gopcln_frame {
    const char *function; /* points into the binary's data: valid until close */
    const char *file;
    int line;
    bool inlined; /* inlined into the next frame */
};

/* Frames for the instruction at `pc` (a file address: for a return address,
 * pass it minus 1), innermost first: inlined callees, then the function that
 * holds pc. Returns how many were written, 0 when pc is in no Go function. */
int gopcln_lookup(const struct gopcln *t, uint64_t pc, struct gopcln_frame *out, int max);

/* The entry address (file address) of the function named `name`, 0 if none. */
uint64_t gopcln_func_entry(const struct gopcln *t, const char *name);

#endif
