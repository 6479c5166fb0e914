/* emit.c - the report's way out: output stream, colour, loading the paths
 * that `connleak report` is given. */
#define _GNU_SOURCE
#include "cli/emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/ci.h"
#include "render/render.h"
#include "util/util.h"

int output_open(struct output *out, const struct options *o)
{
    out->owned = false;
    out->f = o->cmd == CMD_RUN ? stderr : stdout;
    if (!o->output) return 0;
    if (strcmp(o->output, "-") == 0) {
        out->f = stdout;
        return 0;
    }
    out->f = fopen(o->output, "we");
    if (!out->f) {
        fprintf(stderr, "connleak: cannot write '%s': %s\n", o->output, strerror(errno));
        return -1;
    }
    out->owned = true;
    return 0;
}

bool color_wanted(enum color_mode mode, FILE *f)
{
    if (mode != COLOR_AUTO) return mode == COLOR_ALWAYS;
    const char *no_color = getenv("NO_COLOR");
    return isatty(fileno(f)) && !(no_color && *no_color);
}

unsigned output_columns(FILE *f)
{
    struct winsize ws;
    if (!isatty(fileno(f)) || ioctl(fileno(f), TIOCGWINSZ, &ws) != 0) return 0;
    return ws.ws_col;
}

int output_report(struct output *out, const struct options *o, const struct report *r)
{
    ci_render(out->f, o->format, o, r, color_wanted(o->color, out->f));
    if (fflush(out->f) != 0 || ferror(out->f)) return -1;
    return ci_write_files(o, r);
}

int output_close(struct output *out)
{
    int rc = 0;
    if (out->owned && out->f) rc = fclose(out->f);
    out->f = NULL;
    return rc;
}

static int load_one(struct report *r, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "connleak: cannot read '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        report_add_trace(r, path);
        return 0;
    }
    struct strlist files = {0};
    if (trace_dir_list(path, &files) < 0) {
        fprintf(stderr, "connleak: cannot read '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (files.n == 0) notes_addf(&r->notes, "%s: no connleak-*.jsonl trace files", path);
    for (size_t i = 0; i < files.n; i++) report_add_trace(r, files.v[i]);
    strlist_free(&files);
    return 0;
}

int report_load_paths(struct report *r, char *const *paths, int n)
{
    if (n == 0) {
        fputs("connleak: report needs a trace file or directory (see connleak --help)\n", stderr);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (load_one(r, paths[i]) < 0) return -1;
    if (r->nprocs > 0) return 0;
    if (r->first_error)
        fprintf(stderr, "connleak: no usable trace: %s%s\n", r->first_error,
                r->skipped > 1 ? " (and others)" : "");
    else
        fprintf(stderr, "connleak: no trace files (connleak-*.jsonl) in %s%s\n", paths[0],
                n > 1 ? " and the other paths" : "");
    return -1;
}
