/* trace_dump_cmd.c - `connleak trace-dump [-o FILE] TRACE...`: each trace
 * as JSON Lines, its binary records (trace format 2) decoded
 * (trace/dump.c). Exit 0 when every record was printed, EXIT_INCOMPLETE
 * when some were damaged (each named on stderr), EXIT_TOOL for a bad
 * option or a file that is not a readable trace. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "trace/trace_read.h"
#include "util/util.h"

static const char usage_text[] =
    "usage: connleak trace-dump [-o FILE] TRACE...\n"
    "  prints each trace as JSON Lines: one object per record, the binary\n"
    "  records of format 2 decoded (docs/trace-format.md)\n"
    "  -o, --output FILE   write to FILE instead of stdout\n";

static int dump_all(char **paths, int n, FILE *out)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        size_t bad = 0;
        char *why = NULL;
        if (trace_dump_file(paths[i], out, &bad, &why) != 0) {
            fprintf(stderr, "connleak trace-dump: %s\n", why);
            free(why);
            rc = EXIT_TOOL;
        } else if (bad && rc == 0) {
            rc = EXIT_INCOMPLETE;
        }
    }
    return rc;
}

int cmd_trace_dump(int argc, char **argv)
{
    const char *output = NULL;
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
                   i + 1 < argc) {
            output = argv[++i];
        } else {
            fprintf(stderr, "connleak trace-dump: unknown option '%s'\n%s", argv[i], usage_text);
            return EXIT_TOOL;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "connleak trace-dump: no trace named\n%s", usage_text);
        return EXIT_TOOL;
    }
    FILE *out = stdout;
    if (output && strcmp(output, "-") != 0 && !(out = fopen(output, "we"))) {
        fprintf(stderr, "connleak trace-dump: cannot write '%s': %s\n", output, strerror(errno));
        return EXIT_TOOL;
    }
    int rc = dump_all(argv + i, argc - i, out);
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "connleak trace-dump: writing %s: %s\n", output ? output : "stdout",
                strerror(errno));
        rc = EXIT_TOOL;
    }
    if (out != stdout) fclose(out);
    return rc;
}
