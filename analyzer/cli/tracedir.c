/* tracedir.c - the trace directory of a run (see tracedir.h). */
#define _GNU_SOURCE
#include "cli/tracedir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"

static int tracedir_fail(const char *dir, int err)
{
    fprintf(stderr, "connleak: cannot use trace dir '%s': %s\n", dir, strerror(err));
    return -1;
}

int tracedir_prepare(struct tracedir *td, const char *dir)
{
    memset(td, 0, sizeof(*td));
    if (!dir) {
        const char *tmp = getenv("TMPDIR");
        char *tmpl = xasprintf("%s/connleak-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tmpl)) {
            int err = errno;
            free(tmpl);
            return tracedir_fail(tmp && *tmp ? tmp : "/tmp", err);
        }
        td->path = realpath(tmpl, NULL);
        td->path = td->path ? td->path : tmpl;
        if (td->path != tmpl) free(tmpl);
        td->temp = true;
        return 0;
    }
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return tracedir_fail(dir, errno);
    if (stat(dir, &st) != 0) return tracedir_fail(dir, errno);
    if (!S_ISDIR(st.st_mode)) return tracedir_fail(dir, ENOTDIR);
    if (access(dir, W_OK | X_OK) != 0) return tracedir_fail(dir, errno);
    td->path = realpath(dir, NULL);
    if (!td->path) return tracedir_fail(dir, errno);
    trace_dir_list(td->path, &td->before);
    return 0;
}

/* Removes the traces of a directory we made, then the directory. */
void tracedir_remove(const struct tracedir *td)
{
    struct strlist files = {0};
    trace_dir_list(td->path, &files);
    for (size_t i = 0; i < files.n; i++) unlink(files.v[i]);
    strlist_free(&files);
    rmdir(td->path);
}

void tracedir_free(struct tracedir *td)
{
    free(td->path);
    strlist_free(&td->before);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The traces this run produced (files already in a --trace-dir are not;
 * both lists are sorted). */
void tracedir_read(struct report *r, const struct tracedir *td)
{
    struct strlist files = {0};
    trace_dir_list(td->path, &files);
    for (size_t i = 0; i < files.n; i++)
        if (!td->before.n ||
            !search_n(&files.v[i], td->before.v, td->before.n, sizeof(*td->before.v), cmp_str_ptr))
            report_add_trace(r, files.v[i]);
    strlist_free(&files);
}
