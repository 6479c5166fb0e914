/* stackfmt.h - turns the stack ids of findings into symbolised frames.
 *
 * Only stacks that findings use are symbolised, with one symbolizer per
 * process holding just the modules those stacks touch. Frames of connleak,
 * libc and the loader at the top (innermost) are trimmed: the user wants the
 * call site, not the socket() wrapper. */
#ifndef CONNLEAK_STACKFMT_H
#define CONNLEAK_STACKFMT_H

#include "model/findings.h"
#include "model/model.h"
#include "symbols/skipframes.h"
#include "symbols/symbols.h"

/* A symbolizer for p, fed with the modules covering the pcs of the stacks
 * that findings fs[from..] name. NULL when it cannot be created. */
struct symbolizer *stackfmt_symbolizer(const struct process *p, const struct findings *fs,
                                       size_t from);

/* Resolves stack `stk` of p (sym may be NULL: then frames carry only pc and
 * module). Trims connleak/libc frames at the top, sets user (skip: the
 * --skip-frames patterns, may be NULL) and top. */
void stackfmt_resolve(struct symbolizer *sym, const struct process *p, uint32_t stk,
                      const struct skip_frames *skip, struct frames *out);

/* The index of the top (headline) frame: the first (innermost) frame in the
 * user's code (user: not a system library, not a default or --skip-frames
 * pattern) that has a function; else the first user frame without one (an
 * unsymbolised frame of the program beats a named one of libcurl); else -1.
 * A frame in the program's own shared library counts as much as one in its
 * executable. */
int frames_top(const struct frames *s);

/* True for a module of connleak, libc or the dynamic loader. */
bool module_is_runtime(const char *module);
/* True for the program's own modules: not under /lib, /usr/lib (or lib64). */
bool module_is_user(const char *module);

/* The path to show a person: relative to the current directory when under it. */
const char *path_display(const char *path);
/* "FUNC (FILE:LINE)", "FUNC (MODULE+0xREL)" (no debug info), "0xPC (MODULE)":
 * where a stack points to (its top frame, else its first). FUNC is the
 * headline's name (symbol_headline: a long parameter list dropped). Caller
 * frees. */
char *frames_where(const struct frames *s);

#endif
