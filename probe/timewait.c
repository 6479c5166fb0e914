/* timewait.c - TIME_WAIT sockets a traced process left behind, from the
 * kernel's own state changes: a TCP socket the program closed first ends
 * its FIN_WAIT in CLOSE and the kernel keeps a TIME_WAIT socket in its
 * place for 60 s. The socket is already gone from the process's table by
 * then, so its opening stack and peer are kept a little while after its
 * close (a ring of the recent closes); each TIME_WAIT birth is counted per
 * (peer, stack), and once a second a `sample` record says how many of them
 * are alive, like the preload's sampler does (its `tcp` and `tw` fields). */
#include <stdlib.h>
#include <string.h>

#include "probe_int.h"

#define TW_LIFE_NS (60ull * 1000000000ull) /* Linux's TCP_TIMEWAIT_LEN */
#define SAMPLE_NS  1000000000ull

void tw_note_close(struct pproc *pr, const struct psock *s)
{
    if (s->type != 1 /* SOCK_STREAM */ || !s->sk || !s->peer.family) return;
    struct ptw_closed *c = &pr->recent[pr->nrecent++ % TW_CLOSED_RING];
    c->sk = s->sk;
    c->stk = s->site ? s->site : s->stk;
    c->peer = s->peer;
}

static int group_of(struct pproc *pr, const struct cl_addr *peer, uint32_t stk)
{
    for (int i = 0; i < pr->ntw_groups; i++)
        if (pr->tw_groups[i].stk == stk && memcmp(&pr->tw_groups[i].peer, peer, sizeof(*peer)) == 0)
            return i;
    if (pr->ntw_groups >= TW_GROUPS) return -1;
    pr->tw_groups[pr->ntw_groups] = (struct ptw_group){.peer = *peer, .stk = stk};
    return pr->ntw_groups++;
}

void tw_on_birth(struct pproc *pr, uint64_t sk, uint64_t ktime)
{
    if (!pr->births && !(pr->births = calloc(TW_BIRTHS, sizeof(*pr->births)))) return;
    uint64_t n = pr->nrecent < TW_CLOSED_RING ? pr->nrecent : TW_CLOSED_RING;
    for (uint64_t i = 1; i <= n; i++) { /* newest first: it closed moments ago */
        const struct ptw_closed *c = &pr->recent[(pr->nrecent - i) % TW_CLOSED_RING];
        if (c->sk != sk) continue;
        int g = group_of(pr, &c->peer, c->stk);
        if (g < 0) return;
        pr->births[pr->nbirths++ % TW_BIRTHS] = (struct ptw_birth){ktime, (uint16_t)g};
        return;
    }
}

/* A `sample` with the TIME_WAIT sockets alive at ktime, per group. */
static void sample_write(struct pproc *pr, uint64_t ktime)
{
    uint32_t count[TW_GROUPS] = {0}, total = 0;
    uint64_t n = pr->nbirths < TW_BIRTHS ? pr->nbirths : TW_BIRTHS;
    for (uint64_t i = 1; i <= n; i++) {
        const struct ptw_birth *b = &pr->births[(pr->nbirths - i) % TW_BIRTHS];
        if (b->ktime + TW_LIFE_NS <= ktime) break; /* older ones are gone too */
        count[b->group]++;
        total++;
    }
    if (!total && !pr->tw_last) return;
    rec_sample_tw(pr, proc_ts(pr, ktime), total, pr->tw_groups, count, pr->ntw_groups);
    pr->tw_last = total;
}

void tw_sample(struct pproc *pr, uint64_t ktime, bool force)
{
    if (!pr->nbirths && !pr->tw_last) return;
    if (!force && ktime < pr->tw_sampled + SAMPLE_NS) return;
    pr->tw_sampled = ktime;
    sample_write(pr, ktime);
}
