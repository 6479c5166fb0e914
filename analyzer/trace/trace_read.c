/* trace_read.c - parses a JSON-Lines trace into a struct process.
 *
 * One cJSON parse per line, the fields we need copied out, the tree freed at
 * once: memory stays proportional to the sockets and stacks, not to the file.
 * Socket ids are serials per process, but a forked child continues its
 * parent's counter, so they are looked up in a hash map (sid -> index in a
 * dense array): memory follows the number of open records, never the value
 * of a sid, which keeps a hostile trace from making us allocate gigabytes.
 * The socket table only lives while its trace is read. Stack ids are
 * whatever the preload chose: a hash map renumbers them densely. Lines are
 * read with plain read(2) and capped at MAX_LINE; only regular files are
 * read at all (a FIFO or a device named like a trace is skipped).
 * HTTP state and client handles go straight into the process (model.h
 * says which): nothing of them is kept per socket in the reader.
 * Bounded traces: a late `open` record (a quiet socket that came to matter)
 * dates the socket from its `opened`; `agg` records (quiet sockets only
 * counted) are summed per (stack, peer) into process.aggs.
 *
 * This file opens the trace and drives the reader; reader_internal.h says
 * which file holds each concern. */
#include "trace/reader_internal.h"

static void reader_free(struct reader *r)
{
    idmap_free(&r->stk_ids);
    idmap_free(&r->py_ids);
    free(r->fin);
    sidmap_free(&r->sids);
    sidmap_free(&r->hids);
    sidmap_free(&r->kids);
    hindex_free(&r->agg_index);
    free(r->ksocks);
    hindex_free(&r->mod_index);
    free(r->socks);
    free(r->free_socks);
}

/* Opens a trace without blocking and without taking a terminal; only a
 * regular file is a trace (a FIFO would hang us, /dev/zero never ends).
 * Also `connleak trace-dump`'s (dump.c). */
int trace_open(const char *path, struct stat *st, char **why)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        *why = xasprintf("cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        *why = xasprintf("%s: not a regular file: skipped", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* After a damaged header, the notes of the lines wait in `held` until the
 * file is known to be a trace (some record of a known kind was read):
 * then the header's note comes first and theirs follow; otherwise the
 * file is refused as before, without them. */
static int damaged_settle(struct reader *r, struct strlist *notes, struct strlist *held, char **why)
{
    int rc = 0;
    r->notes = notes;
    if (r->nrecords == 0) {
        *why = xasprintf("%s: not a connleak trace", r->name);
        rc = -1;
    } else {
        header_damaged(r);
        for (size_t i = 0; i < held->n; i++) notes_addf(notes, "%s", held->v[i]);
    }
    strlist_free(held);
    return rc;
}

bool trace_marked_full(const char *path)
{
    char *marker = xasprintf("%s%s", path, TRACEFILE_FULL_SUFFIX);
    struct stat st;
    bool marked = lstat(marker, &st) == 0 && S_ISREG(st.st_mode);
    free(marker);
    return marked;
}

int trace_read_file(const char *path, struct process *p, struct strlist *notes, char **why)
{
    memset(p, 0, sizeof(*p));
    *why = NULL;
    struct stat st;
    int fd = trace_open(path, &st, why);
    if (fd < 0) return -1;
    /* the read buffer, too, is kept from one trace to the next */
    static char *buf;
    static size_t cap;
    struct lines in = {.fd = fd, .buf = buf, .cap = cap};
    struct strlist held = {0};
    struct reader r = {.p = p, .notes = notes, .name = path, .held = &held};
    arena_begin();
    int rc = read_lines(&r, &in, why);
    arena_end();
    close(fd);
    buf = in.buf;
    cap = in.cap;
    if (rc == 0 && r.header_damage) rc = damaged_settle(&r, notes, &held, why);
    if (rc == 0) {
        p->trace = xstrdup(path);
        p->dev = (uint64_t)st.st_dev;
        p->ino = (uint64_t)st.st_ino;
        if (!p->write_failed && trace_marked_full(path)) { /* not even the note went in */
            p->write_failed = true;
            p->write_after = r.nrecords;
        }
        trace_finish(&r);
    } else {
        process_free(p);
    }
    strlist_free(&held);
    reader_free(&r);
    return rc;
}
