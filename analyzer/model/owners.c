/* owners.c - which leaked client handle holds each live socket, so that a
 * handle leak and the sockets it keeps open are one finding (issue 15).
 *
 * A live socket is held by an unreleased handle H when one of these says so,
 * and nothing says otherwise:
 *   used     a huse record ties the socket to H (libcurl's active connection
 *            after a transfer, SSL_set_fd). For a curl easy handle only when
 *            no curl multi handle is unreleased: a multi keeps the
 *            connections of the easy handles it drove in its own cache.
 *            SSL objects created inside libcurl are libcurl's, not the
 *            program's: they do not claim sockets.
 *   inside   the socket was opened inside libcurl (the innermost frames of
 *            its stack, past connleak and libc, are libcurl's) and its
 *            stack from the first frame outside libcurl on - the program's
 *            call into libcurl - is exactly
 *              (a) the creating stack of an unreleased handle's group: it
 *                  was opened by the call that created the handle
 *                  (curl_multi_init's wake-up socketpair; one return
 *                  address calls one function, so no other group can
 *                  match), or
 *              (b) the same outside-libcurl stack as a socket an unreleased
 *                  easy handle holds by use: opened by the same call that
 *                  opened that connection (curl_easy_perform's internal
 *                  multi handle and its socketpair, libcurl 7.88),
 *            and only when one group of handles matches and every other
 *            unreleased libcurl handle group holds a used socket whose
 *            stack shows where its calls came from (else a pair of that
 *            group could be taken for ours). Released handles close what
 *            they hold (curl_easy_cleanup, curl_multi_cleanup), so a live
 *            socket opened inside libcurl belongs to an unreleased one.
 * A socket two groups claim is held by neither (it stays what it was).
 * Not seen: libcurl share handles (CURLOPT_SHARE connection caches), which
 * connleak does not record; their sockets may be taken for an easy
 * handle's under (b). */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

#define OWNER_AMBIGUOUS UINT32_MAX

static bool module_is(const struct module *m, const char *prefix)
{
    return m && str_has_prefix(path_basename(m->path), prefix);
}

static bool module_is_runtime_lib(const struct module *m)
{
    return module_is(m, "libconnleak") || module_is(m, "libc.so") || module_is(m, "libc-") ||
           module_is(m, "libpthread") || module_is(m, "ld-linux");
}

/* The index in s of the program's call into libcurl (the first frame past
 * the libcurl and runtime frames at the top), or -1 when s was not opened
 * inside libcurl. */
static int stack_curl_exit(const struct process *p, const struct stack *s)
{
    bool in_curl = false;
    for (uint32_t i = 0; s && i < s->n; i++) {
        const struct module *m = process_module_at(p, s->pc[i]);
        if (module_is(m, "libcurl"))
            in_curl = true;
        else if (!module_is_runtime_lib(m))
            return in_curl ? (int)i : -1;
    }
    return -1;
}

/* Whether s from index `from` on is exactly the frames of t. */
static bool stack_tail_is(const struct stack *s, int from, const struct stack *t)
{
    if (!s || !t || from < 0 || s->n - (uint32_t)from != t->n) return false;
    return memcmp(s->pc + from, t->pc, t->n * sizeof(*t->pc)) == 0;
}

/* Whether the stacks a and b are the same from their calls into libcurl on. */
static bool same_curl_call(const struct process *p, uint32_t a, uint32_t b)
{
    const struct stack *sa = process_stack(p, a), *sb = process_stack(p, b);
    int ea = stack_curl_exit(p, sa), eb = stack_curl_exit(p, sb);
    if (ea < 0 || eb < 0 || sa->n - (uint32_t)ea != sb->n - (uint32_t)eb) return false;
    return memcmp(sa->pc + ea, sb->pc + eb, (sa->n - (uint32_t)ea) * sizeof(*sa->pc)) == 0;
}

static bool same_group(const struct handle *a, const struct handle *b)
{
    return a->kind == b->kind && a->stk == b->stk;
}

/* Sets l->owner to handle index hi + 1, or ambiguous when another group has it. */
static void owner_claim(const struct process *p, struct live_sock *l, size_t hi)
{
    if (l->owner == 0)
        l->owner = (uint32_t)hi + 1;
    else if (l->owner != OWNER_AMBIGUOUS && !same_group(&p->handles[l->owner - 1], &p->handles[hi]))
        l->owner = OWNER_AMBIGUOUS;
}

static bool handle_is_curl(const struct handle *h)
{
    return h->kind == HANDLE_CURL || h->kind == HANDLE_CURLM;
}

/* A live socket's index by sid: sorted (sid, index) pairs. */
struct sid_index {
    uint64_t sid;
    size_t i;
};

static int cmp_sid_index(const void *a, const void *b)
{
    uint64_t x = ((const struct sid_index *)a)->sid, y = ((const struct sid_index *)b)->sid;
    return x < y ? -1 : x > y;
}

static struct live_sock *live_by_sid(struct process *p, const struct sid_index *v, uint64_t sid)
{
    struct sid_index key = {sid, 0};
    const struct sid_index *hit = search_n(&key, v, p->nlive, sizeof(*v), cmp_sid_index);
    return hit ? &p->live[hit->i] : NULL;
}

/* Rule "used": the huse records of the unreleased handles. */
static void owners_by_use(struct process *p, bool curlm_open)
{
    struct sid_index *v = xcalloc(p->nlive, sizeof(*v));
    for (size_t i = 0; i < p->nlive; i++) v[i] = (struct sid_index){p->live[i].sid, i};
    if (p->nlive > 1) sort_n(v, p->nlive, sizeof(*v), cmp_sid_index);
    for (size_t i = 0; i < p->nhandles; i++) {
        const struct handle *h = &p->handles[i];
        if (h->freed || (h->kind == HANDLE_CURL && curlm_open) || h->kind == HANDLE_CURLM) continue;
        if (h->kind == HANDLE_SSL && stack_curl_exit(p, process_stack(p, h->stk)) >= 0) continue;
        for (uint32_t u = h->uses; u && u <= p->nhuses; u = p->huses[u - 1].next) {
            uint64_t sid = p->huses[u - 1].sid;
            struct live_sock *l = sid ? live_by_sid(p, v, sid) : NULL;
            if (l) owner_claim(p, l, i);
            if (p->huses[u - 1].next >= u) break; /* chains only go back */
        }
    }
    free(v);
}

/* A group of unreleased libcurl handles (same kind and creating stack):
 * one of its handles, and the distinct stacks of the sockets it holds by use. */
struct curl_group {
    size_t rep;
    uint32_t *used;
    size_t nused, cap;
};

static size_t groups_build(const struct process *p, struct curl_group **out)
{
    struct curl_group *g = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < p->nhandles; i++) {
        const struct handle *h = &p->handles[i];
        size_t k = 0;
        if (h->freed || !handle_is_curl(h)) continue;
        while (k < n && !same_group(&p->handles[g[k].rep], h)) k++;
        if (k < n) continue;
        ALLOC_GROW(g, n + 1, cap);
        g[n++] = (struct curl_group){.rep = i};
    }
    for (size_t j = 0; j < p->nlive; j++) {
        uint32_t o = p->live[j].owner, stk = p->live[j].stk;
        for (size_t k = 0; o && k < n; k++) {
            if (!same_group(&p->handles[g[k].rep], &p->handles[o - 1])) continue;
            size_t u = 0;
            while (u < g[k].nused && g[k].used[u] != stk) u++;
            if (u == g[k].nused) {
                ALLOC_GROW(g[k].used, g[k].nused + 1, g[k].cap);
                g[k].used[g[k].nused++] = stk;
            }
        }
    }
    *out = g;
    return n;
}

/* Rule "inside" for sockets opened at stack stk: the one group that
 * matches, as a handle index + 1, or 0. */
static uint32_t owner_inside(const struct process *p, uint32_t stk, const struct curl_group *g,
                             size_t ng)
{
    const struct stack *s = process_stack(p, stk);
    int exit = stack_curl_exit(p, s);
    uint32_t found = 0;
    for (size_t k = 0; exit >= 0 && k < ng; k++) /* (a): the creating call itself, exactly */
        if (stack_tail_is(s, exit, process_stack(p, p->handles[g[k].rep].stk)))
            return (uint32_t)g[k].rep + 1;
    for (size_t k = 0; exit >= 0 && k < ng; k++) { /* (b) */
        const struct handle *h = &p->handles[g[k].rep];
        bool match = false;
        for (size_t u = 0; !match && h->kind == HANDLE_CURL && u < g[k].nused; u++)
            match = same_curl_call(p, g[k].used[u], stk);
        if (!match && g[k].nused == 0) return 0; /* its calls cannot be placed: might be its */
        if (match && found) return 0;            /* two groups */
        if (match) found = (uint32_t)g[k].rep + 1;
    }
    return found;
}

void process_link_owners(struct process *p)
{
    for (size_t i = 0; i < p->nlive; i++) p->live[i].owner = 0;
    if (!p->nhandles || !p->nlive) return;
    bool curlm_open = false;
    for (size_t i = 0; i < p->nhandles; i++)
        curlm_open |= p->handles[i].kind == HANDLE_CURLM && !p->handles[i].freed;
    owners_by_use(p, curlm_open);
    for (size_t i = 0; i < p->nlive; i++)
        if (p->live[i].owner == OWNER_AMBIGUOUS) p->live[i].owner = 0;
    struct curl_group *g;
    size_t ng = groups_build(p, &g), nslots = p->nstacks ? p->nstacks : 1;
    uint32_t *by_stk = xcalloc(nslots, sizeof(*by_stk)); /* owner_inside + 1, 0 = not asked */
    for (size_t i = 0; ng && i < p->nlive; i++) {
        struct live_sock *l = &p->live[i];
        uint32_t stk = l->stk < nslots ? l->stk : 0;
        if (l->owner || !stk) continue;
        if (!by_stk[stk]) by_stk[stk] = owner_inside(p, stk, g, ng) + 1;
        l->owner = by_stk[stk] - 1;
    }
    for (size_t k = 0; k < ng; k++) free(g[k].used);
    free(g);
    free(by_stk);
}
