/* symbols.h - offline symbolisation of the program counters in a trace.
 *
 * The analyzer never symbolises inside the traced program: the trace carries
 * raw return addresses plus the module map (path, load bias, build-id), and
 * this module turns them into function, file:line and inlined frames with
 * elfutils' libdwfl, reading the binaries (and /usr/lib/debug) afterwards. */
#ifndef CONNLEAK_SYMBOLS_H
#define CONNLEAK_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym_frame {
    uint64_t pc;          /* run-time address, as written in the trace */
    const char *module;   /* module path; NULL when no module covers pc */
    const char *function; /* NULL when unknown (stripped, no symbol); demangled */
    const char *mangled;  /* the symbol as the binary spells it, when that is a
                           * C++ or Rust mangling (else NULL: C, Go) */
    uint64_t offset;      /* pc - start of function (0 when unknown) */
    const char *file;     /* source file; NULL without debug info */
    int line;             /* 0 without debug info */
    bool inlined;         /* this frame was inlined into the next one */
};

struct symbolizer;

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *sym);

/* Registers one module of the traced process: `base` is the load bias
 * (dlpi_addr), [lo, hi) its run-time range, `build_id_hex` the GNU build-id
 * recorded at run time ("" if none). Returns 0, or -1 when the file cannot be
 * used (a note says why; pcs in it then resolve to module+offset only). */
int symbolizer_add_module(struct symbolizer *sym, const char *path, uint64_t base, uint64_t lo,
                          uint64_t hi, const char *build_id_hex);

/* Resolves one return address (looked up at pc - 1). Writes up to `max`
 * frames, innermost first: the inlined callees (inlined = true), then the
 * function that contains them. Always writes at least one frame (with NULL
 * fields when nothing is known) and returns the number written. Strings stay
 * valid until symbolizer_free. */
int symbolizer_resolve(struct symbolizer *sym, uint64_t pc, struct sym_frame *out, int max);

/* The path of the registered module covering pc (as symbolizer_resolve
 * names it), without resolving anything; NULL when none does. */
const char *symbolizer_module_at(struct symbolizer *sym, uint64_t pc);

/* One-line notes gathered so far: missing debug info (once per module),
 * build-id mismatch (the binary changed since the run), unreadable files. */
size_t symbolizer_note_count(const struct symbolizer *sym);
const char *symbolizer_note(const struct symbolizer *sym, size_t i);

#endif
