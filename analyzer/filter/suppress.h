/* suppress.h - suppression rules: findings a team has accepted (third-party
 * code it cannot fix today) taken out of the report, counted per rule.
 *
 * The file format (docs/suppressions.md) is line based, one keyword per
 * line, in the spirit of valgrind's suppressions and goleak's
 * IgnoreTopFunction:
 *
 *   rule NAME                  starts a rule
 *   kind KIND[,KIND...]        required: kinds, 'leak' or 'any'
 *   comment TEXT               free text, any number
 *   peer PATTERN               optional: every peer (else host) must match
 *   frame FUNC [file=P] [module=P]   the next frame of the stack
 *   ...                        any number of frames (zero or more)
 *
 * Patterns: '*' matches any run of characters. Frame lines match the
 * finding's stack from its innermost frame; frames past the last line are
 * not looked at (a prefix). A file or module pattern with no '/' is matched
 * against the basename. The function is the demangled name the report
 * shows. */
#ifndef CONNLEAK_SUPPRESS_H
#define CONNLEAK_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/findings.h"

struct supp_frame {
    bool gap;                       /* "...": zero or more frames */
    char *function, *file, *module; /* patterns; NULL = any */
};

struct supp_rule {
    char *name;
    char *path; /* the file it came from */
    int line;   /* of its "rule" line */
    unsigned kinds;
    char *peer; /* NULL = any */
    struct supp_frame *frames;
    size_t nframes, capframes;
    uint64_t findings, count; /* what it suppressed */
};

struct supp_set {
    struct supp_rule *v;
    size_t n, cap;
};

/* '*' glob: true when pattern matches all of s. */
bool supp_glob(const char *pattern, const char *s);

/* Parses a suppression file's text (path only names it in errors) into
 * set. -1 with a one-line message "PATH:LINE: why" in err. */
int supp_parse(struct supp_set *set, const char *path, const char *text, char *err, size_t errlen);
/* Reads and parses the file at path; -1 with err set ("PATH: why" when it
 * cannot be read). */
int supp_load(struct supp_set *set, const char *path, char *err, size_t errlen);

/* True when the rule covers the finding. */
bool supp_rule_matches(const struct supp_rule *rule, const struct finding *f);
/* The first rule of set covering f, or NULL. */
struct supp_rule *supp_find(struct supp_set *set, const struct finding *f);

/* A ready rule for f (the text of a suppression file, newline-terminated,
 * every line prefixed with indent). Caller frees. */
char *supp_rule_text(const struct finding *f, const char *indent);

void supp_set_free(struct supp_set *set);

#endif
