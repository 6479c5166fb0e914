/* demangle.h - readable names for mangled C++ (Itanium ABI) and Rust
 * (legacy and v0) symbols, with libiberty's demangler, and the shortening
 * of a long signature to a width for the text report.
 *
 * C names and Go names are not mangled: they come back as NULL ("nothing to
 * demangle") and the caller keeps the name it has. */
#ifndef CONNLEAK_DEMANGLE_H
#define CONNLEAK_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest parameter list (with its parentheses and qualifiers) a headline
 * keeps: "(int)" stays, "(std::__cxx11::basic_string<...> const&)" goes. */
#define HEADLINE_PARAMS_MAX 24

/* The readable name of a mangled symbol: with its parameter list
 * ("net::Pool::dial(int)") when params is true, without it
 * ("net::Pool::dial") when false. NULL when name is not a mangled C++ or
 * Rust symbol (or on error). Caller frees. */
char *symbol_demangle(const char *name, bool params);

/* The name a headline shows for a function whose readable name is
 * `function` and mangled name `mangled` (NULL when not mangled): the full
 * signature unless its parameter list is longer than HEADLINE_PARAMS_MAX,
 * then the name without it. Caller frees. */
char *symbol_headline(const char *function, const char *mangled);

/* Display columns of a UTF-8 string (one per character). */
size_t str_columns(const char *s);

/* sig fitted into `width` columns by replacing the middle of its template
 * argument lists ("<...>") with "…", the largest lists first. The names
 * themselves (outside "<...>") are never cut, so the result may still be
 * wider than width. width 0: no limit. Caller frees. */
char *signature_shorten(const char *sig, size_t width);

#endif
