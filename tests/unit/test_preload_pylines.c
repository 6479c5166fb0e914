/* test_preload_pylines.c - the preload's decoder of CPython's line tables
 * (pyframes_line_of, the format of 3.11+) against CPython itself: the
 * interpreter in $PYTHON (default /usr/bin/python3) dumps the line tables of
 * real code objects and what co_lines() says of each instruction
 * (tests/unit/pylines_dump.py); every instruction must decode to the same
 * line. Skipped (77) when that python is missing or older than 3.11. */
#include "pyframes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (strcmp(hex, "-") == 0) return 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *py = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
    const char *script = argc > 1 ? argv[1] : "pylines_dump.py";
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "'%s' -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && "
             "'%s' '%s'",
             py, py, script);
    FILE *in = popen(cmd, "r");
    static char line[1 << 20];
    static uint8_t tab[1 << 19];
    size_t len = 0, codes = 0, checked = 0, wrong = 0;
    int first = 0;
    while (in && fgets(line, sizeof(line), in)) {
        char hex[sizeof(line)];
        int off, want;
        if (sscanf(line, "C %d %s", &first, hex) == 2) {
            len = hex_decode(hex, tab, sizeof(tab));
            codes++;
        } else if (sscanf(line, "L %d %d", &off, &want) == 2) {
            int got = pyframes_line_of(tab, len, first, off);
            checked++;
            if (got != want && wrong++ < 10)
                fprintf(stderr, "code %zu (first line %d): offset %d: line %d, expected %d\n",
                        codes, first, off, got, want);
        }
    }
    int rc = in ? pclose(in) : -1;
    if (codes == 0) {
        printf("SKIP: %s is missing, older than 3.11, or printed nothing (exit %d)\n", py, rc);
        return 77;
    }
    printf("%zu code objects, %zu instructions checked, %zu wrong (%s)\n", codes, checked, wrong,
           py);
    return wrong == 0 && rc == 0 && checked > 1000 ? 0 : 1;
}
