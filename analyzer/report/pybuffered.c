/* pybuffered.c - the note for what the socket view cannot tell in a Python
 * program: a small response arrives whole in one recv into the buffer of
 * CPython's http.client (io.DEFAULT_BUFFER_SIZE, 8 KiB), so it is "read" at
 * the socket whether or not the program ever looked at it or closed it.
 * A connection that carried one such response and was then closed (by the
 * program, or by the garbage collector when the response was dropped) looks
 * the same either way: such a run is never reported clean without saying
 * so. A connection reused for another request had its earlier responses
 * consumed (http.client sends no request while one is pending). */
#include "report/report.h"

#include <inttypes.h>
#include <string.h>

#define PY_BUFFER_BYTES 8192 /* CPython's io.DEFAULT_BUFFER_SIZE */

static bool process_is_python(const struct process *p)
{
    return p->npystacks > 1 || str_has_prefix(path_basename(p->exe), "python");
}

void report_note_python_buffered(struct strlist *notes, const struct process *p)
{
    if (!process_is_python(p)) return;
    uint64_t n = 0;
    uint32_t where = 0;
    for (size_t i = 0; i < p->nreuse; i++) {
        const struct reuse_cand *c = &p->reuse[i];
        if (c->body > PY_BUFFER_BYTES) continue;
        if (!n++) where = c->host ? c->host : c->peer;
    }
    if (!n) return;
    const char *to = where ? strtab_get(&p->peers, where) : NULL;
    notes_addf(notes,
               "%s (pid %ld): %" PRIu64 " connection%s%s%s%s closed after one response of at most "
               "8 KiB, which arrives whole in Python's buffer: whether the program read or closed "
               "%s cannot be told from the socket (python-buffered)",
               process_name(p), p->pid, n, n == 1 ? "" : "s",
               to ? n == 1 ? " to " : " (e.g. to " : "", to ? to : "", to && n > 1 ? ")" : "",
               n == 1 ? "it" : "them");
}
