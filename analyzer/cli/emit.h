/* emit.h - what run and report share after the analysis: where the report
 * goes, whether it has colour, and the exit code the findings call for. */
#ifndef CONNLEAK_EMIT_H
#define CONNLEAK_EMIT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/options.h"
#include "report/report.h"

struct output {
    FILE *f;
    bool owned; /* opened by us: closed by output_close */
};

/* Opens -o FILE (or picks the command's default stream). -1 after one line
 * on stderr. */
int output_open(struct output *out, const struct options *o);
/* Prints the report in the chosen format, then the --json/--sarif/--junit/--html
 * files and --gen-suppressions=FILE (cli/ci.c). -1 when writing failed. */
int output_report(struct output *out, const struct options *o, const struct report *r);
int output_close(struct output *out);

/* Colour for this stream? auto = a terminal, and NO_COLOR unset. */
bool color_wanted(enum color_mode mode, FILE *f);
/* The width of the terminal f writes to; 0 when f is not a terminal (a file
 * or a pipe gets the stacks in full). */
unsigned output_columns(FILE *f);

/* Reads each TRACE or DIR into r: a directory means its connleak-*.jsonl
 * files. -1 after one line on stderr when a path cannot be read or when no
 * usable trace was found. */
int report_load_paths(struct report *r, char *const *paths, int n);

#endif
