/* twunread.c - the note for TIME_WAIT connleak did not look at: the
 * preload's sampler reads the kernel's TIME_WAIT sockets at its samples
 * (and once more at exit when CONNLEAK_TW_MIN connections or more were
 * closed first since the last read), so a program killed before it, or
 * traced with a higher CONNLEAK_TW_MIN than the report's --tw-min, can
 * have closed enough connections first for a time-wait-storm that no
 * sample saw. Such a run is not reported clean without saying so. The
 * probe counts every TIME_WAIT socket's birth from the kernel's events:
 * its traces need no such note. */
#include "report/report.h"

#include <inttypes.h>

void report_note_tw_unread(struct strlist *notes, const struct process *p,
                           const struct http_opts *h)
{
    if (p->probe) return;
    const struct tw_site *most = NULL;
    for (size_t i = 0; i < p->ntw; i++) {
        const struct tw_site *t = &p->tw[i];
        if (t->unread < h->tw_min || t->peak >= h->tw_min) continue; /* too few, or found */
        if (!most || t->unread > most->unread) most = t;
    }
    if (!most) return;
    const char *peer = strtab_get(&p->peers, most->peer);
    notes_addf(notes,
               "%s (pid %ld): %" PRIu64 " connections to %s were closed first %s: whether they "
               "piled up in TIME_WAIT was not seen (tw-unread)",
               process_name(p), p->pid, most->unread, peer ? peer : "?",
               p->tw_read_any ? "after the last sample that read the kernel's TIME_WAIT sockets"
                              : "and no sample read the kernel's TIME_WAIT sockets");
}
