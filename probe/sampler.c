/* sampler.c - the probe's `sample` records, once a second per traced
 * process, as the preload's sampler writes them: its open fds and
 * RLIMIT_NOFILE (fd-growth), its live sockets by opening stack and its
 * client connections by peer (unbounded-pool), and the TIME_WAIT sockets
 * its own closes left (time-wait-storm).
 *
 * TIME_WAIT comes from the kernel's own state changes: a TCP socket the
 * program closed first ends its FIN_WAIT in CLOSE and the kernel keeps a
 * TIME_WAIT socket in its place for 60 s. The socket is already gone from
 * the process's table by then, so its opening stack and peer are kept a
 * little while after its close (a ring of the recent closes); each birth is
 * counted per (peer, stack). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "procfd.h"
#include "probe_int.h"

#define TW_LIFE_NS (60ull * 1000000000ull) /* Linux's TCP_TIMEWAIT_LEN */
#define SAMPLE_NS  1000000000ull           /* default period */
#define SAMPLE_MIN 100000000ull            /* the loader polls every 100 ms */

void tw_note_close(struct pproc *pr, const struct psock *s)
{
    if (s->type != 1 /* SOCK_STREAM */ || !s->sk || !s->peer.family) return;
    if (!pr->recent && !(pr->recent = calloc(TW_CLOSED_RING, sizeof(*pr->recent)))) return;
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
    if (!pr->recent) return; /* it closed no TCP socket first */
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

/* The TIME_WAIT sockets alive at ktime, per group; their total. */
static uint32_t tw_count(const struct pproc *pr, uint64_t ktime, uint32_t *count)
{
    uint32_t total = 0;
    uint64_t n = pr->nbirths < TW_BIRTHS ? pr->nbirths : TW_BIRTHS;
    for (uint64_t i = 1; i <= n; i++) {
        const struct ptw_birth *b = &pr->births[(pr->nbirths - i) % TW_BIRTHS];
        if (b->ktime + TW_LIFE_NS <= ktime) break; /* older ones are gone too */
        count[b->group]++;
        total++;
    }
    return total;
}

/* Adds one to key's count in v[0..*n) (at most cap keys; 0 = no key). */
static void count_key(struct psample_count *v, int *n, int cap, uint64_t key)
{
    if (!key) return;
    for (int i = 0; i < *n; i++)
        if (v[i].key == key) {
            v[i].n++;
            return;
        }
    if (*n < cap) v[(*n)++] = (struct psample_count){key, 1};
}

static int cmp_count(const void *a, const void *b)
{
    uint32_t x = ((const struct psample_count *)a)->n, y = ((const struct psample_count *)b)->n;
    return x > y ? -1 : x < y;
}

/* Live sockets by opening stack (the 8 largest), client connections by peer
 * (the first 8 peers met: a program talks to a few). */
static void sockets_count(const struct pproc *pr, struct psample *s)
{
    for (int fd = 0; fd < pr->nfdv; fd++) {
        const struct psock *k = pr->fdv[fd];
        if (!k || k->fd != fd) continue; /* each socket once */
        s->socks++;
        count_key(s->sites, &s->nsites, PSAMPLE_MAX, k->site ? k->site : k->stk);
        if (k->role == PROLE_CLIENT && k->peer.family) {
            int before = s->npeers;
            count_key(s->peers, &s->npeers, PSAMPLE_MAX, addr_hash(&k->peer));
            if (s->npeers > before) s->peer_addr[s->npeers - 1] = k->peer;
        }
    }
    qsort(s->sites, (size_t)s->nsites, sizeof(*s->sites), cmp_count);
    if (s->nsites > 8) s->nsites = 8;
}

/* The period of `sample` records: CONNLEAK_SAMPLE_MS, as for the preload
 * (default 1000; 0 = only the last one, at the end; at least 100 ms). */
static uint64_t sample_period_ns(void)
{
    static uint64_t period;
    if (period) return period;
    const char *v = getenv("CONNLEAK_SAMPLE_MS");
    char *end;
    long ms = v && *v ? strtol(v, &end, 10) : -1;
    if (ms < 0 || ms > 3600000 || (v && *v && *end))
        period = SAMPLE_NS;
    else if (ms == 0)
        period = UINT64_MAX;
    else
        period = (uint64_t)ms * 1000000ull < SAMPLE_MIN ? SAMPLE_MIN : (uint64_t)ms * 1000000ull;
    return period;
}

void sample_take(struct pproc *pr, uint64_t ktime, bool force)
{
    uint64_t period = sample_period_ns();
    if (!force && (period == UINT64_MAX || ktime < pr->sampled + period)) return;
    pr->sampled = ktime;
    struct psample s = {0};
    char buf[8192];
    size_t nsock = 0;
    struct rlimit rl;
    s.fds = procfd_scan(pr->pid, NULL, 0, &nsock, buf, sizeof(buf));
    if (s.fds <= 0) s.fds = -1; /* gone (at its exit): no count, the sockets still are */
    if (prlimit(pr->pid, RLIMIT_NOFILE, NULL, &rl) == 0)
        s.nofile = rl.rlim_cur == RLIM_INFINITY ? 0 : (uint64_t)rl.rlim_cur;
    sockets_count(pr, &s);
    s.tw_total = pr->births ? tw_count(pr, ktime, s.tw) : 0;
    /* a sample taken on the loader's clock may be followed by events the
     * kernel stamped earlier: the samples of one trace stay in order */
    uint64_t ts = proc_ts(pr, ktime);
    if (ts < pr->sample_ts) ts = pr->sample_ts;
    pr->sample_ts = ts;
    rec_sample(pr, ts, &s, pr->tw_groups, pr->ntw_groups);
}
